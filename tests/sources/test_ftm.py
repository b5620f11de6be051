"""OpenSanctions FollowTheMoney JSON-lines parser (full exports and deltas)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clearance.errors import SourceFormatError
from clearance.model import (
    Entity,
    Fact,
    Identifier,
    IdScheme,
    LegalEffect,
    NameKind,
    PartialDate,
    Schema,
)
from clearance.sources.base import ParseReport
from clearance.sources.ftm import parse, parse_delta
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

FTM = Path("opensanctions") / "ftm"
Real = tuple[dict[str, Entity], ParseReport]


def _real(shared_data: Path, *parts: str) -> Real:
    raw = raw_from_files("opensanctions", "ftm", shared_data.joinpath(FTM, *parts))
    entities, report = parse_all(parse, raw)
    return {e.id: e for e in entities}, report


def _ops(shared_data: Path, version: str) -> list[tuple[str, str]]:
    path = shared_data / FTM / "t2_delta" / version / "entities.delta.json"
    report = ParseReport("opensanctions")
    ops = parse_delta(raw_from_files("opensanctions", "ftm", path), report)
    return [(op, v if isinstance(v, str) else v.id) for op, v in ops]


@pytest.mark.realdata
def test_t1_things_are_entities_and_address_is_context(shared_data: Path) -> None:
    entities, report = _real(shared_data, "t1", "entities.ftm.json")
    assert len(entities) == 6
    assert report.records == 7
    assert [i.reason for i in report.issues] == [
        "not screened (context entities): Address 1"
    ]


@pytest.mark.realdata
def test_t1_pins_kuzmenko(shared_data: Path) -> None:
    person = _real(shared_data, "t1", "entities.ftm.json")[0][
        "opensanctions:NK-2Ka3UvopqbpZmVDFjWd4LA"
    ]
    assert person.schema is Schema.PERSON
    assert person.names[0].value == "Vitaly Yurievich KUZMENKO"
    assert person.names[0].kind is NameKind.PRIMARY
    assert ("Виталий Юрьевич КУЗЬМЕНКО", "Cyrillic") in [
        (n.value, n.script) for n in person.names
    ]
    assert person.birth_dates == (PartialDate(1971, 1, 22),)
    assert (
        Identifier(IdScheme.TAX_ID, "366510784303", label="taxNumber")
        in person.identifiers
    )
    assert person.nationalities == ("ru",)
    assert person.gender == "male"
    assert person.titles == ("General Director of JSC 163 Armor Repair Plant",)
    [listing] = person.listings
    assert listing.source == "opensanctions"
    assert listing.legal_effect is LegalEffect.SEE_UNDERLYING
    assert listing.programs == ("eu_fsf",)
    assert listing.via == "opensanctions"


@pytest.mark.realdata
def test_t1_organization_with_registration_number_is_a_company(
    shared_data: Path,
) -> None:
    entities, _ = _real(shared_data, "t1", "entities.ftm.json")
    assert entities["opensanctions:NK-2GdmHtZTeNXjNVrBGEXZNj"].schema is Schema.COMPANY
    assert (
        entities["opensanctions:NK-2PacmNpiLUmoz4XD2mSt7A"].schema
        is Schema.ORGANIZATION
    )


@pytest.mark.realdata
def test_zala_targets_only(shared_data: Path) -> None:
    entities, report = _real(shared_data, "zala", "entities.ftm.json")
    assert len(entities) == 14  # 6 persons, 8 target companies
    assert report.records == 91
    assert "Company (not a target) 3" in report.issues[0].reason
    assert "opensanctions:ru-inn-5920040846" not in entities


@pytest.mark.realdata
def test_zala_sanction_entities_become_listings(shared_data: Path) -> None:
    person = _real(shared_data, "zala", "entities.ftm.json")[0][
        "opensanctions:NK-aU5ybkbRFJucf8YMwsJvDw"
    ]
    assert len(person.listings) == 13
    eu = next(item for item in person.listings if item.source == "eu_fsf")
    assert eu.authority_ref == "EU.12789.10"
    assert eu.listed_on == date(2025, 2, 24)
    assert eu.legal_effect is LegalEffect.ASSET_FREEZE
    assert eu.via == "opensanctions"
    sdn = next(item for item in person.listings if item.source == "us_ofac_sdn")
    assert sdn.authority_ref == "45937"
    other = next(item for item in person.listings if item.authority == "OFAC")
    assert other.source == "opensanctions"
    assert other.legal_effect is LegalEffect.SEE_UNDERLYING


@pytest.mark.realdata
def test_zala_previous_name_is_former_and_cyrillic_kept(shared_data: Path) -> None:
    person = _real(shared_data, "zala", "entities.ftm.json")[0][
        "opensanctions:NK-2Tbri3s6GgNtAwsSXh4qpL"
    ]
    names = {n.value: n for n in person.names}
    assert person.caption == "Maria Aleksandrovna Osetrova"
    assert names["Maria Aleksandrovna Zakharova"].kind is NameKind.FORMER
    assert names["Мария Александровна Осетрова"].script == "Cyrillic"
    assert person.citizenships == ("ru",)


@pytest.mark.realdata
def test_delta_empty_file_yields_nothing(shared_data: Path) -> None:
    assert _ops(shared_data, "20240527134702-zbn") == []


@pytest.mark.realdata
def test_delta_poltergeist_added_then_deleted(shared_data: Path) -> None:
    added = _ops(shared_data, "20240528014702-pfh")
    assert ("upsert", "opensanctions:NK-500Poltergeist") in added
    assert _ops(shared_data, "20240528074703-npf") == [
        ("delete", "opensanctions:NK-500Poltergeist")
    ]


@pytest.mark.realdata
def test_parse_of_a_delta_yields_only_current_entities(shared_data: Path) -> None:
    entities, _ = _real(
        shared_data, "t2_delta", "20240528074703-npf", "entities.delta.json"
    )
    assert entities == {}
    entities, _ = _real(
        shared_data, "t2_delta", "20240528134729-3iv", "entities.delta.json"
    )
    assert list(entities) == ["opensanctions:Q4365364"]


def _lines(*objects: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(o) for o in objects).encode()


def _synthetic(
    data: bytes, name: str = "entities.ftm.json"
) -> tuple[list[Entity], ParseReport]:
    return parse_all(parse, raw_from_bytes("opensanctions", "ftm", {name: data}))


_VESSEL = {
    "id": "v1",
    "schema": "Vessel",
    "target": True,
    "datasets": ["un_sc_sanctions"],
    "properties": {"name": ["OCEAN STAR"], "imoNumber": ["9123456"], "flag": ["kp"]},
}


def test_synthetic_truncated_line_raises_with_line_number() -> None:
    data = _lines(_VESSEL) + b'\n{"id": "x", "schema": "Pers'
    with pytest.raises(SourceFormatError) as caught:
        _synthetic(data)
    assert caught.value.where == "entities.ftm.json line 2"


def test_synthetic_line_without_id_is_skipped() -> None:
    entities, report = _synthetic(
        _lines({"schema": "Person", "properties": {}}, _VESSEL)
    )
    assert [e.id for e in entities] == ["opensanctions:v1"]
    assert report.skipped == 1


def test_synthetic_sanction_after_its_entity_is_joined() -> None:
    sanction = {
        "id": "s1",
        "schema": "Sanction",
        "datasets": ["un_sc_sanctions"],
        "properties": {
            "entity": ["v1"],
            "program": ["DPRK"],
            "authorityId": ["KPi.001"],
            "startDate": ["2017-03-02"],
            "reason": ["ship-to-ship transfers"],
        },
    }
    [vessel], _ = _synthetic(_lines(_VESSEL, sanction))
    assert vessel.schema is Schema.VESSEL
    assert vessel.vessel is not None
    assert vessel.vessel.flag == "kp"
    assert Identifier(IdScheme.IMO, "9123456", label="imoNumber") in vessel.identifiers
    [listing] = vessel.listings
    assert (listing.source, listing.authority_ref, listing.programs) == (
        "un_sc",
        "KPi.001",
        ("DPRK",),
    )
    assert listing.listed_on == date(2017, 3, 2)
    assert Fact("Sanction reason", "ship-to-ship transfers") in vessel.facts


def test_synthetic_name_parts_only_and_legal_entity() -> None:
    person = {
        "id": "p1",
        "schema": "Person",
        "properties": {
            "firstName": ["Ivan"],
            "fatherName": ["Petrovich"],
            "lastName": ["Sidorov"],
        },
    }
    body = {"id": "l1", "schema": "LegalEntity", "properties": {"name": ["Body"]}}
    entities, _ = _synthetic(_lines(person, body))
    assert entities[0].caption == "Ivan Petrovich Sidorov"
    assert entities[1].schema is Schema.ORGANIZATION


def test_synthetic_delta_modification_to_non_target_deletes() -> None:
    ops = [
        {"op": "MOD", "entity": {**_VESSEL, "target": False}},
        {"op": "ADD", "entity": {**_VESSEL, "id": "v2"}},
    ]
    raw = raw_from_bytes("opensanctions", "ftm", {"entities.delta.json": _lines(*ops)})
    result = [
        (op, v if isinstance(v, str) else v.id)
        for op, v in parse_delta(raw, ParseReport("opensanctions"))
    ]
    assert result == [("delete", "opensanctions:v1"), ("upsert", "opensanctions:v2")]
