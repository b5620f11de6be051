"""State ISN nonproliferation sanctions parser: the 2016 file and synthetic cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clearance.errors import SourceFormatError
from clearance.model import Entity, Fact, LegalEffect, NameKind
from clearance.sources import state_isn
from clearance.sources.base import ParseReport
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Parsed = tuple[list[Entity], ParseReport]

HEADER = (
    "Source List,Programs,Name,Alternative Names,Country,Federal Register Notice,"
    "Effective Date,Remarks/Notes,Web Link\n"
)


def _parse(text: str) -> tuple[list[Entity], ParseReport]:
    raw = raw_from_bytes("us_state_isn", "isn_csv", {"isn.csv": text.encode()})
    return parse_all(state_isn.parse, raw)


def _by_name(entities: list[Entity], name: str) -> Entity:
    return next(e for e in entities if e.caption == name)


@pytest.fixture(scope="module")
def isn_2016(shared_data: Path) -> Parsed:
    path = shared_data / "us_state_isn/2016-12/isn.csv"
    return parse_all(state_isn.parse, raw_from_files("us_state_isn", "isn_csv", path))


@pytest.mark.realdata
def test_real_file_reads_every_row_and_merges_programs(isn_2016: Parsed) -> None:
    entities, report = isn_2016
    assert report.records == 213
    assert report.skipped == 0
    assert len(entities) == 177


@pytest.mark.realdata
def test_real_party_under_three_programs_has_three_listings(isn_2016: Parsed) -> None:
    entities, _ = isn_2016
    khan = _by_name(entities, "Abdul Qadeer Khan")
    assert [x.programs for x in khan.listings] == [
        ("E.O. 13382",),
        ("Export-Import Bank Act",),
        ("Nuclear Proliferation Prevention Act",),
    ]
    assert khan.listings[0].listed_on == date(2009, 1, 9)
    assert khan.listings[0].federal_register == ("Vol. 74, No. 11, 01/16/09",)
    assert khan.listings[0].legal_effect is LegalEffect.NONPROLIFERATION
    assert khan.countries == ("pk",)
    assert khan.remarks == "Associated with the A.Q. Khan Network"


@pytest.mark.realdata
def test_real_comma_separated_alternative_names_with_former_names(
    isn_2016: Parsed,
) -> None:
    entities, _ = isn_2016
    citc = _by_name(entities, "Center for Innovation and Technology Cooperation")
    assert ("CITC", NameKind.ALIAS) in [(n.value, n.kind) for n in citc.names]
    assert (
        "Office of Scientific and Industrial Studies (OSIS)",
        NameKind.FORMER,
    ) in [(n.value, n.kind) for n in citc.names]


@pytest.mark.realdata
def test_real_two_notices_in_one_cell_are_split(isn_2016: Parsed) -> None:
    entities, _ = isn_2016
    notices = {n for e in entities for x in e.listings for n in x.federal_register}
    assert "Vol. 80, No. 170, 09/02/15" in notices
    assert "Vol. 80, No. 207, 10/27/15" in notices


@pytest.mark.realdata
def test_real_unknown_country_is_warned_and_kept(isn_2016: Parsed) -> None:
    entities, report = isn_2016
    assert [i.reason for i in report.issues] == [
        "unknown country 'Kong Kong'; kept as a fact"
    ]
    assert any(Fact("Country", "Kong Kong") in e.facts for e in entities)


def test_synthetic_missing_columns_are_named() -> None:
    with pytest.raises(SourceFormatError) as caught:
        _parse("Source List,Name\nISN,X\n")
    assert caught.value.where == "isn.csv line 1"
    assert "Programs" in caught.value.reason
    assert "Effective Date" in caught.value.reason


def test_synthetic_empty_name_is_skipped_and_the_rest_parse() -> None:
    text = HEADER + "ISN,INKSNA,,,Iran,,1/2/2016,,\n"
    text += "ISN,INKSNA,Acme Trading Co.,,Iran,,1/2/2016,,\n"
    entities, report = _parse(text)
    assert [e.caption for e in entities] == ["Acme Trading Co."]
    assert report.skipped == 1


def test_synthetic_scope_clause_becomes_a_fact_and_leaves_the_name() -> None:
    name = "Acme LLC and any successor, sub-unit, or subsidiary thereof"
    entities, _ = _parse(HEADER + f'ISN,INKSNA,"{name}",,Russia,,1/2/2016,,\n')
    assert entities[0].caption == "Acme LLC"
    assert Fact("Scope", "and any successor, sub-unit, or subsidiary thereof") in (
        entities[0].facts
    )


def test_synthetic_truncated_quoted_last_record_is_reported() -> None:
    text = HEADER + "ISN,INKSNA,Acme Trading Co.,,Iran,,1/2/2016,,\n" + 'ISN,"INKS'
    entities, report = _parse(text)
    assert len(entities) == 1
    assert "truncated last record" in report.issues[0].reason
