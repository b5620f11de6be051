"""State DDTC debarred-parties parser: three header eras, real files and synthetic cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clearance.errors import SourceFormatError
from clearance.model import Entity, Fact, LegalEffect, NameKind, Schema
from clearance.sources import state_dtc
from clearance.sources.base import ParseReport
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

HEADER_2019 = "Party Name,Date Of Birth,Federal Register Notice,Notice Date,"
HEADER_2019 += "Corrected Notice,Corrected Notice Date\n"


def _parse(data: bytes) -> tuple[list[Entity], ParseReport]:
    raw = raw_from_bytes("us_state_dtc", "dtc_csv", {"debarred.csv": data})
    return parse_all(state_dtc.parse, raw)


def _real(shared_data: Path, name: str) -> tuple[list[Entity], ParseReport]:
    path = shared_data / "us_state_dtc" / name
    return parse_all(state_dtc.parse, raw_from_files("us_state_dtc", "dtc_csv", path))


def _by_name(entities: list[Entity], name: str) -> Entity:
    return next(e for e in entities if e.caption == name)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "rows", "entities"),
    [
        ("aeca_debarred_party_list_05092014.csv", 521, 517),
        ("itar_debarred_party_list_07142014.csv", 525, 521),
        ("itar_debarred_party_list_04172017.csv", 516, 512),
        ("itar_debarred_party_list_01242018.csv", 515, 511),
        ("itar_debarred_party_list_05022019.csv", 686, 682),
        ("itar_debarred_party_list_11062019.csv", 707, 703),
    ],
)
def test_real_file_reads_every_row(
    shared_data: Path, name: str, rows: int, entities: int
) -> None:
    result, report = _real(shared_data, name)
    assert report.records == rows
    assert report.skipped == 0
    assert len(result) == entities  # four companies are debarred by two notices each


@pytest.mark.realdata
def test_real_party_debarred_twice_has_a_listing_per_notice(shared_data: Path) -> None:
    entities, _ = _real(shared_data, "itar_debarred_party_list_11062019.csv")
    aero = _by_name(entities, "Aero Systems Aviation Corp.")
    assert aero.schema is Schema.ORGANIZATION
    assert [(x.listed_on, x.federal_register) for x in aero.listings] == [
        (date(1994, 2, 7), ("59 FR 5664",)),
        (date(1993, 9, 27), ("58 FR 50382",)),
    ]
    assert aero.listings[0].legal_effect is LegalEffect.DEBARMENT


@pytest.mark.realdata
def test_real_cp1252_file_is_decoded_with_a_warning(shared_data: Path) -> None:
    entities, report = _real(shared_data, "itar_debarred_party_list_11062019.csv")
    assert report.issues[0].reason == "not UTF-8; decoded as cp1252"
    acety = _by_name(entities, "Acety, Edwin")
    assert acety.schema is Schema.PERSON
    assert str(acety.birth_dates[0]) == "1975-11"
    assert acety.listings[0].federal_register == ("83 FR 18112",)


@pytest.mark.realdata
def test_real_aka_in_full_name_becomes_aliases(shared_data: Path) -> None:
    entities, _ = _real(shared_data, "itar_debarred_party_list_04172017.csv")
    hukic = _by_name(entities, "Hukic, Bajro")
    assert [(n.value, n.kind) for n in hukic.names] == [
        ("Hukic, Bajro", NameKind.PRIMARY),
        ("Bob Hukic", NameKind.ALIAS),
        ("Bab Hucici", NameKind.ALIAS),
    ]


@pytest.mark.realdata
def test_real_2014_columns_give_schema_dates_and_facts(shared_data: Path) -> None:
    entities, _ = _real(shared_data, "aeca_debarred_party_list_05092014.csv")
    odonnell = _by_name(entities, "ODonnell, Andrew V.")
    assert odonnell.schema is Schema.PERSON
    assert str(odonnell.birth_dates[0]) == "1977-07"  # "Jul-77"
    assert odonnell.listings[0].effective_on == date(2012, 7, 24)
    assert odonnell.listings[0].federal_register == ("77 FR 43414", "76 FR 70805")
    assert Fact("Jurisdiction", "GAN") in odonnell.facts
    assert Fact("Debarment type", "Statutory") in odonnell.facts
    assert (
        _by_name(entities, "Dilligas Trading Co., Inc.").schema is Schema.ORGANIZATION
    )


@pytest.mark.realdata
def test_real_eras_give_the_same_id(shared_data: Path) -> None:
    old, _ = _real(shared_data, "itar_debarred_party_list_07142014.csv")
    new, _ = _real(shared_data, "itar_debarred_party_list_11062019.csv")
    assert _by_name(old, "Chung, Fu Chin").id == _by_name(new, "Chung, Fu Chin").id


def test_synthetic_missing_name_column_is_refused_with_the_file_named() -> None:
    with pytest.raises(SourceFormatError) as caught:
        _parse(b"Who,Notice,Notice Date\nX,1 FR 2,1/1/2000\n")
    assert caught.value.where == "debarred.csv line 1"
    assert "'party name'" in caught.value.reason


def test_synthetic_empty_name_is_skipped_and_the_rest_parse() -> None:
    data = HEADER_2019 + ',,1 FR 2,1/1/2000,,\n"Roe, Jane",,1 FR 3,1/2/2000,,\n'
    entities, report = _parse(data.encode())
    assert [e.caption for e in entities] == ["Roe, Jane"]
    assert report.skipped == 1


def test_synthetic_cp1252_name_is_decoded() -> None:
    data = HEADER_2019.encode() + b'"O\x92Neal, Ren\xe9",,1 FR 2\xa0,1/1/2000,,\n'
    entities, _ = _parse(data)
    assert entities[0].caption == "O’Neal, René"
    assert entities[0].listings[0].federal_register == ("1 FR 2",)


def test_synthetic_truncated_quoted_last_record_is_reported() -> None:
    data = HEADER_2019 + '"Roe, Jane",,1 FR 3,1/2/2000,,\n"Doe, John'
    entities, report = _parse(data.encode())
    assert len(entities) == 1
    assert "truncated last record" in report.issues[0].reason


def test_synthetic_unparseable_birth_date_is_kept_as_fact() -> None:
    data = HEADER_2019 + '"Roe, Jane",sometime,1 FR 3,1/2/2000,,\n'
    entities, report = _parse(data.encode())
    assert Fact("Date of birth", "sometime") in entities[0].facts
    assert report.issues[0].severity == "warning"
