"""UK HM Treasury / OFSI ConList parser (2016 CSV, 2022-format CSV and XLSX)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

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
    Relation,
    Schema,
)
from clearance.sources.base import ParseReport
from clearance.sources.uk_hmt import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]


@pytest.fixture(scope="module")
def xlsx(shared_data: Path) -> Real:
    path = shared_data / "uk_hmt" / "2025-04-10_full_xlsx" / "UK_Sanctions_List.xlsx"
    entities, report = parse_all(parse, raw_from_files("uk_hmt", "uk_hmt", path))
    return {e.id: e for e in entities}, report


@pytest.fixture(scope="module")
def csv_2016(shared_data: Path) -> Real:
    path = shared_data / "uk_hmt" / "2016-02-12_subset" / "sanctionsconlist.csv"
    entities, report = parse_all(parse, raw_from_files("uk_hmt", "uk_hmt", path))
    return {e.id: e for e in entities}, report


@pytest.mark.realdata
def test_xlsx_rows_and_groups(xlsx: Real) -> None:
    entities, report = xlsx
    assert report.records == 18796
    assert len(entities) == 4686
    assert report.published == date(2025, 4, 10)
    assert report.skipped == 0


@pytest.mark.realdata
def test_xlsx_group_types(xlsx: Real) -> None:
    schemas = Counter(e.schema for e in xlsx[0].values())
    assert schemas[Schema.PERSON] == 3662
    assert schemas[Schema.VESSEL] == 15
    assert schemas[Schema.ORGANIZATION] + schemas[Schema.COMPANY] == 1009


@pytest.mark.realdata
def test_xlsx_pins_lakhal(xlsx: Real) -> None:
    person = xlsx[0]["uk_hmt:7087"]
    assert person.names[0].value == "MOHAMED LAKHAL"
    assert person.names[0].kind is NameKind.PRIMARY
    kinds = {n.value: n.kind for n in person.names}
    assert kinds["Mohamed AOUANI"] is NameKind.ALIAS
    assert kinds["Abu OBEIDA"] is NameKind.WEAK
    assert any(n.script == "Arabic" and n.kind is NameKind.ALIAS for n in person.names)
    assert person.birth_dates == (PartialDate(1969, 2, 5), PartialDate(1970, 2, 5))
    assert person.nationalities == ("tn",)


@pytest.mark.realdata
def test_xlsx_pins_lakhal_listing_and_links(xlsx: Real) -> None:
    person = xlsx[0]["uk_hmt:7087"]
    listing = person.listings[0]
    assert listing.source == "uk_hmt"
    assert listing.authority == "HM Treasury, OFSI"
    assert listing.authority_ref == "7087"
    assert listing.programs == ("ISIL (Da'esh) and Al-Qaida",)
    assert listing.listed_on == date(2002, 4, 24)
    assert listing.legal_effect is LegalEffect.ASSET_FREEZE
    assert (
        Relation("same_as", "UK Sanctions List AQD0241", "uk_fcdo:AQD0241")
        in person.relations
    )
    assert Fact("UN reference number", "QDi.062") in person.facts


@pytest.mark.realdata
def test_xlsx_ship_has_imo_and_vessel_details(xlsx: Real) -> None:
    ship = xlsx[0]["uk_hmt:13651"]
    assert ship.schema is Schema.VESSEL
    assert ship.caption == "SAM JONG 2"
    assert Identifier(IdScheme.IMO, "7408873", label="IMO number") in ship.identifiers
    assert ship.vessel is not None
    assert ship.vessel.flag == "North Korea"
    assert ship.vessel.built == "1975"


@pytest.mark.realdata
def test_xlsx_non_latin_name_keeps_language(xlsx: Real) -> None:
    company = xlsx[0]["uk_hmt:16636"]
    assert company.schema is Schema.COMPANY  # Business Reg No: Kazakhstan BIN
    cyrillic = [n for n in company.names if n.script == "Cyrillic"]
    assert [(n.value, n.lang) for n in cyrillic] == [("ТОО ЗАПЧАСТЬ ТРЕЙД", "ru")]


@pytest.mark.realdata
def test_2016_csv_counts_and_encoding(csv_2016: Real) -> None:
    entities, report = csv_2016
    assert report.records == 800
    assert len(entities) == 463
    assert report.published == date(2016, 2, 12)
    assert [i.reason for i in report.issues] == ["not UTF-8; read as cp1252"]


@pytest.mark.realdata
def test_2016_csv_pins_group_7877(csv_2016: Real) -> None:
    person = csv_2016[0]["uk_hmt:7877"]
    assert person.caption == "Mourad Ben Ali Ben Al-Basheer AL-TRABELSI"
    assert len(person.names) == 16
    assert person.identifiers[0].scheme is IdScheme.PASSPORT
    assert person.identifiers[0].value == "G827238"
    assert person.identifiers[0].country == "tn"
    # "(1) Manzil Tmim (2)-(6) -" against "(1)-(2) Tunisia (3) Libya ..."
    assert person.birth_places[:3] == ("Manzil Tmim, Tunisia", "Tunisia", "Libya")
    assert person.listings[0].listed_on == date(2003, 11, 18)


_HEADER_2022 = [
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Title",
    "Name Non-Latin Script",
    "Non-Latin Script Type",
    "Non-Latin Script Language",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "National Identification Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Other Information",
    "Group Type",
    "Alias Type",
    "Alias Quality",
    "Regime",
    "Listed On",
    "UK Sanctions List Date Designated",
    "Last Updated",
    "Group ID",
]


def _row(**values: str) -> list[str]:
    return [
        values.get(h.replace(" ", "_").replace("/", "_").replace("-", "_"), "")
        for h in _HEADER_2022
    ]


def _conlist(*rows: list[str], header: list[str] = _HEADER_2022) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Last Updated", "09/06/2023"] + [""] * (len(header) - 2))
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _synthetic(data: bytes) -> tuple[list[Entity], ParseReport]:
    return parse_all(parse, raw_from_bytes("uk_hmt", "uk_hmt", {"conlist.csv": data}))


_IVANOV = {
    "Name_6": "IVANOV",
    "Name_1": "Ivan",
    "DOB": "00/00/1970",
    "Nationality": "Russia",
    "Group_Type": "Individual",
    "Regime": "Russia",
    "Listed_On": "15/03/2022",
    "Group_ID": "15000",
    "Other_Information": "(UK Sanctions List Ref):RUS0001. (Gender):Male",
}


def test_synthetic_2022_csv_groups_rows_into_one_entity() -> None:
    rows = [
        _row(**_IVANOV, Alias_Type="Primary name"),
        _row(
            **{**_IVANOV, "Name_6": "IVANOFF", "DOB": "dd/mm/1971"},
            Alias_Type="AKA",
            Alias_Quality="Low quality",
        ),
        _row(
            **_IVANOV,
            Alias_Type="Primary name variation",
            Name_Non_Latin_Script="Иван ИВАНОВ",
            Non_Latin_Script_Language="Russian",
        ),
    ]
    entities, report = _synthetic(_conlist(*rows))
    assert report.published == date(2023, 6, 9)
    assert report.records == 3
    [person] = entities
    assert person.id == "uk_hmt:15000"
    assert [(n.value, n.kind, n.lang) for n in person.names] == [
        ("Ivan IVANOV", NameKind.PRIMARY, None),
        ("Иван ИВАНОВ", NameKind.ALIAS, "ru"),
        ("Ivan IVANOFF", NameKind.WEAK, None),
    ]
    assert person.birth_dates == (PartialDate(1970), PartialDate(1971))
    assert person.gender == "male"
    assert person.nationalities == ("ru",)
    assert person.listings[0].listed_on == date(2022, 3, 15)
    assert (
        Relation("same_as", "UK Sanctions List RUS0001", "uk_fcdo:RUS0001")
        in person.relations
    )


def test_synthetic_2022_csv_passport_numbers_pair_with_details() -> None:
    row = _row(
        **_IVANOV,
        Alias_Type="Primary name",
        Passport_Number="(1) 123456 (2) 654321",
        Passport_Details="(1) Russia number (2) Issued 2010",
    )
    [person], _ = _synthetic(_conlist(row))
    assert person.identifiers == (
        Identifier(
            IdScheme.PASSPORT, "123456", "ru", "Passport Details", "Russia number"
        ),
        Identifier(
            IdScheme.PASSPORT, "654321", None, "Passport Details", "Issued 2010"
        ),
    )


def test_synthetic_row_without_group_id_is_skipped() -> None:
    rows = [
        _row(**{**_IVANOV, "Group_ID": ""}, Alias_Type="Primary name"),
        _row(**_IVANOV, Alias_Type="Primary name"),
    ]
    entities, report = _synthetic(_conlist(*rows))
    assert len(entities) == 1
    assert report.skipped == 1
    assert report.issues[0].where == "conlist.csv line 3"


def test_synthetic_missing_column_raises() -> None:
    header = [h for h in _HEADER_2022 if h != "Group ID"]
    with pytest.raises(SourceFormatError, match="Group ID") as caught:
        _synthetic(_conlist(header=header))
    assert caught.value.where == "conlist.csv line 2"


def test_synthetic_not_a_conlist_raises() -> None:
    with pytest.raises(SourceFormatError, match="header"):
        _synthetic(b"name,country\nACME,Iran\n")


def test_synthetic_broken_workbook_raises() -> None:
    with pytest.raises(SourceFormatError, match="workbook"):
        _synthetic(b"PK\x03\x04 this is not a zip archive")
