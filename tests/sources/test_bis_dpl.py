"""BIS Denied Persons List parser: real snapshots and synthetic edge cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clearance.errors import SourceFormatError
from clearance.model import Entity, Fact, LegalEffect, NameKind, Schema
from clearance.sources import bis_dpl
from clearance.sources.base import ParseReport
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Parsed = tuple[list[Entity], ParseReport]

HEADER = (
    '"Name"\t"Street_Address"\t"City"\t"State"\t"Country"\t"Postal_Code"\t'
    '"Effective_Date"\t"Expiration_Date"\t"Standard_Order"\t"Last_Update"\t"Action"\t'
    '"FR_Citation"\n'
)


def _row(name: str, street: str = "1 MAIN ST", effective: str = "01/02/2020") -> str:
    cells = [name, street, "TOWN", "TX", "US", "75001", effective, "01/02/2030", "Y"]
    cells += ["2020-01-10", "FR NOTICE ADDED", "85 F.R. 1234 1/9/2020"]
    return "\t".join(f'"{c}"' for c in cells) + "\n"


def _parse(text: str) -> tuple[list[Entity], ParseReport]:
    raw = raw_from_bytes("us_bis_dpl", "bis_dpl", {"dpl.txt": text.encode()})
    return parse_all(bis_dpl.parse, raw)


def _by_name(entities: list[Entity], name: str) -> Entity:
    return next(e for e in entities if e.caption == name)


@pytest.fixture(scope="module")
def dpl_2022(shared_data: Path) -> tuple[list[Entity], ParseReport]:
    raw = raw_from_files(
        "us_bis_dpl", "bis_dpl", shared_data / "us_bis_dpl/2022-09/dpl.txt"
    )
    return parse_all(bis_dpl.parse, raw)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("version", "rows", "entities"),
    [("2019-06", 546, 410), ("2022-09", 581, 452), ("2023-11", 665, 538)],
)
def test_real_snapshot_reads_every_row_and_merges_rows_by_name(
    shared_data: Path, version: str, rows: int, entities: int
) -> None:
    path = shared_data / "us_bis_dpl" / version / "dpl.txt"
    result, report = parse_all(bis_dpl.parse, raw_from_files("us_bis_dpl", "x", path))
    assert report.records == rows
    assert report.skipped == 0
    assert len(result) == entities
    assert len({e.id for e in result}) == entities


@pytest.mark.realdata
def test_real_leading_space_name_merges_with_its_other_rows(dpl_2022: Parsed) -> None:
    entities, _ = dpl_2022
    ash = _by_name(
        entities, "I. ASH"
    )  # " I. ASH" (Seagoville) and "I. ASH" (Richardson)
    assert ash.schema is Schema.PERSON
    assert len(ash.addresses) == 3
    assert ash.addresses[0].city == "SEAGOVILLE"
    assert [x.listed_on for x in ash.listings] == [date(2003, 6, 19), date(2002, 3, 4)]
    assert ash.listings[1].federal_register == (
        "67 FR 56530",
        "67 FR 10890",
        "71 FR 38843",
    )
    assert Fact("Denial expires", "2056-06-29") in ash.facts


@pytest.mark.realdata
def test_real_rows_of_one_order_make_one_listing_with_citations_unioned(
    dpl_2022: Parsed,
) -> None:
    entities, _ = dpl_2022
    air = _by_name(entities, "AIR FREIGHT LTD")
    assert air.schema is Schema.ORGANIZATION
    assert len(air.listings) == 1
    assert air.listings[0].listed_on == date(2022, 5, 13)
    assert air.listings[0].legal_effect is LegalEffect.EXPORT_DENIAL
    assert "85 FR 34405" in air.listings[0].federal_register
    assert air.countries == ("iq", "ae", "jo")


@pytest.mark.realdata
def test_real_aka_in_name_becomes_an_alias(dpl_2022: Parsed) -> None:
    entities, _ = dpl_2022
    sun = _by_name(entities, "FUYI SUN")
    assert [(n.value, n.kind) for n in sun.names] == [
        ("FUYI SUN", NameKind.PRIMARY),
        ("FRANK SUN", NameKind.ALIAS),
    ]


@pytest.mark.realdata
def test_real_file_states_no_publication_date(dpl_2022: Parsed) -> None:
    _, report = dpl_2022
    assert report.published is None


def test_synthetic_rows_with_same_name_share_one_id_whatever_the_spacing() -> None:
    entities, _ = _parse(HEADER + _row(" JOHN  DOE") + _row("JOHN DOE", "2 SIDE ST"))
    assert len(entities) == 1
    assert entities[0].id == bis_dpl._derived("us_bis_dpl", "DOE, JOHN")
    assert len(entities[0].addresses) == 2


def test_synthetic_wrong_header_names_the_file_and_missing_columns() -> None:
    text = '"Name"\t"Address"\n"JOHN DOE"\t"1 MAIN ST"\n'
    with pytest.raises(SourceFormatError) as caught:
        _parse(text)
    assert caught.value.where == "dpl.txt line 1"
    assert "Street_Address" in caught.value.reason
    assert "FR_Citation" in caught.value.reason


def test_synthetic_empty_name_is_skipped_and_the_rest_kept() -> None:
    entities, report = _parse(HEADER + _row("") + _row("JANE ROE"))
    assert [e.caption for e in entities] == ["JANE ROE"]
    assert report.skipped == 1
    assert report.issues[0].where == "dpl.txt line 2"


def test_synthetic_truncated_quoted_last_record_is_reported() -> None:
    text = HEADER + _row("JANE ROE") + '"JOHN DOE"\t"1 MAIN'
    entities, report = _parse(text)
    assert [e.caption for e in entities] == ["JANE ROE"]
    assert report.records == 2
    assert "truncated last record" in report.issues[0].reason


def test_synthetic_unparseable_effective_date_is_warned_and_kept_as_fact() -> None:
    entities, report = _parse(HEADER + _row("JANE ROE", effective="13/45/2020"))
    assert entities[0].listings[0].listed_on is None
    assert Fact("Effective date", "13/45/2020") in entities[0].facts
    assert "unparseable" in report.issues[0].reason


def test_synthetic_file_that_is_not_utf8_is_refused() -> None:
    raw = raw_from_bytes(
        "us_bis_dpl", "x", {"dpl.txt": HEADER.encode() + b'"JOS\xc9"\n'}
    )
    with pytest.raises(SourceFormatError):
        parse_all(bis_dpl.parse, raw)
