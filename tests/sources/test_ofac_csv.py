"""OFAC legacy CSV sets (SDN and non-SDN Consolidated)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from clearance.errors import SourceFormatError
from clearance.model import (
    Address,
    Entity,
    Fact,
    Identifier,
    IdScheme,
    LegalEffect,
    NameKind,
    PartialDate,
    Relation,
    Schema,
    VesselInfo,
)
from clearance.sources.base import ParseReport
from clearance.sources.ofac_csv import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]
SDN_PARTS = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
CONS_PARTS = ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")


def _real(shared_data: Path, source: str, folder: str, parts: tuple[str, ...]) -> Real:
    base = shared_data / folder
    raw = raw_from_files(source, "ofac_csv", *(base / part for part in parts))
    entities, report = parse_all(parse, raw)
    return {e.id: e for e in entities}, report


@pytest.fixture(scope="module")
def sdn_2021(shared_data: Path) -> Real:
    return _real(shared_data, "us_ofac_sdn", "us_ofac_sdn/csv/2021-07-07", SDN_PARTS)


@pytest.fixture(scope="module")
def cons_2025(shared_data: Path) -> Real:
    return _real(
        shared_data, "us_ofac_cons", "us_ofac_consolidated/csv/2025-12-19", CONS_PARTS
    )


@pytest.fixture(scope="module")
def fixture_2025(shared_data: Path) -> Real:
    return _real(
        shared_data,
        "us_ofac_sdn",
        "us_ofac_sdn/csv/fixture_2025-05-16_small",
        SDN_PARTS,
    )


# --- real data: SDN 2021-07-07 (full 4-file set) ---------------------------------------


@pytest.mark.realdata
def test_sdn_2021_counts_every_entry(sdn_2021: Real) -> None:
    entities, report = sdn_2021
    assert len(entities) == 8976
    assert report.records == 8976
    assert report.skipped == 0
    assert report.issues == []


@pytest.mark.realdata
def test_sdn_2021_schemas(sdn_2021: Real) -> None:
    entities, _ = sdn_2021
    schemas = Counter(e.schema for e in entities.values())
    assert schemas[Schema.VESSEL] > 0 and schemas[Schema.AIRCRAFT] > 0
    assert sum(schemas.values()) == 8976


@pytest.mark.realdata
def test_sdn_2021_pins_boyarkin_identity(sdn_2021: Real) -> None:
    person = sdn_2021[0]["us_ofac_sdn:26194"]
    assert person.schema is Schema.PERSON
    assert person.names[0].value == "BOYARKIN, Victor Alekseyevich"
    assert person.names[0].kind is NameKind.PRIMARY
    assert "BOYARKIN, Viktor" in [
        n.value for n in person.names if n.kind is NameKind.ALIAS
    ]
    assert person.birth_dates == (PartialDate(1958, 10, 12),)
    assert person.birth_places == ("Meschovsk, Russia",)
    assert person.nationalities == ("ru",)
    assert person.citizenships == ("ru",)
    assert person.gender == "male"


@pytest.mark.realdata
def test_sdn_2021_pins_boyarkin_passports_and_listing(sdn_2021: Real) -> None:
    person = sdn_2021[0]["us_ofac_sdn:26194"]
    assert person.identifiers == (
        Identifier(IdScheme.PASSPORT, "200042334", "ru", "Passport"),
        Identifier(IdScheme.PASSPORT, "642348547", "ru", "Passport"),
    )
    (listing,) = person.listings
    assert listing.source == "us_ofac_sdn"
    assert listing.authority_ref == "26194"
    assert listing.programs == ("UKRAINE-EO13661", "UKRAINE-EO13662")
    assert listing.legal_effect is LegalEffect.ASSET_FREEZE
    assert person.relations == (Relation("linked_to", "DERIPASKA, Oleg Vladimirovich"),)
    assert person.sources == ("us_ofac_sdn",)


@pytest.mark.realdata
def test_sdn_2021_pins_boyarkin_address(sdn_2021: Real) -> None:
    person = sdn_2021[0]["us_ofac_sdn:26194"]
    assert person.addresses == (
        Address(
            full="#189, 20, BLD1, Generala Beloborodova, Moscow, Federal District 125222, "
            "Russia",
            street="#189, 20, BLD1, Generala Beloborodova",
            region="Moscow, Federal District 125222",
            country="ru",
            country_name="Russia",
        ),
    )
    assert person.countries == ("ru",)


@pytest.mark.realdata
def test_sdn_2021_title_column_becomes_titles(sdn_2021: Real) -> None:
    maduro = sdn_2021[0]["us_ofac_sdn:22790"]
    assert maduro.titles == ("President of the Bolivarian Republic of Venezuela",)
    assert maduro.identifiers == (
        Identifier(IdScheme.NATIONAL_ID, "5892464", "ve", "Cedula No."),
    )


@pytest.mark.realdata
def test_sdn_2021_vessel_columns_and_call_sign(sdn_2021: Real) -> None:
    vessel = sdn_2021[0]["us_ofac_sdn:15036"]  # ARTAVIL
    assert vessel.schema is Schema.VESSEL
    assert vessel.vessel == VesselInfo(
        vessel_type="Crude/Oil Products Tanker",
        flag="Iran",
        tonnage="99,144",
        gross_registered_tonnage="56,068",
    )
    assert vessel.identifiers[:3] == (
        Identifier(IdScheme.CALL_SIGN, "T2EU4", label="Call Sign"),
        Identifier(IdScheme.IMO, "9187629", None, "Vessel Registration Identification"),
        Identifier(IdScheme.MMSI, "572469210", None, "MMSI"),
    )
    assert ("ALPHA", NameKind.FORMER) in [(n.value, n.kind) for n in vessel.names]
    assert Fact("Former Vessel Flag", "Malta") in vessel.facts


@pytest.mark.realdata
def test_sdn_2021_comments_continue_truncated_remarks(sdn_2021: Real) -> None:
    # ent_num 12300: remarks cut at "...Linked To: PROMO RAI", comments go on "Z S.A.S.; ..."
    entity = sdn_2021[0]["us_ofac_sdn:12300"]
    assert entity.remarks is not None
    assert "Linked To: PROMO RAIZ S.A.S." in entity.remarks
    assert Relation("linked_to", "PROMO RAIZ S.A.S.") in entity.relations


# --- real data: Consolidated 2025-12-19 (NS-CMIC) --------------------------------------


@pytest.mark.realdata
def test_cons_2025_counts_entries_and_cmic_programs(cons_2025: Real) -> None:
    entities, report = cons_2025
    assert len(entities) == 442
    assert report.issues == []
    cmic = [e for e in entities.values() if "CMIC-EO13959" in e.listings[0].programs]
    assert len(cmic) == 68
    assert {e.listings[0].legal_effect for e in cmic} == {LegalEffect.SECURITIES_BAN}
    assert all(e.id.startswith("us_ofac_cons:") for e in entities.values())


@pytest.mark.realdata
def test_cons_2025_pins_dawning(cons_2025: Real) -> None:
    dawning = cons_2025[0]["us_ofac_cons:33113"]
    assert dawning.caption == "DAWNING INFORMATION INDUSTRY CO., LTD"
    assert dawning.schema is Schema.COMPANY
    assert ("SUGON", NameKind.WEAK) in [(n.value, n.kind) for n in dawning.names]
    assert (
        Identifier(IdScheme.ISIN, "CNE100001TW7", None, "ISIN") in dawning.identifiers
    )
    assert (
        Identifier(IdScheme.TICKER, "603019CN", None, "Equity Ticker")
        in dawning.identifiers
    )


@pytest.mark.realdata
def test_cons_2025_pins_dawning_cmic_dates(cons_2025: Real) -> None:
    (listing,) = cons_2025[0]["us_ofac_cons:33113"].listings
    assert listing.source == "us_ofac_cons"
    assert listing.programs == ("CMIC-EO13959",)
    assert listing.listed_on == date(2021, 12, 16)
    assert listing.effective_on == date(2022, 2, 14)
    assert listing.divestment_on == date(2022, 12, 16)
    assert listing.legal_effect is LegalEffect.SECURITIES_BAN


@pytest.mark.realdata
def test_cons_2025_pins_hikvision(cons_2025: Real) -> None:
    hikvision = cons_2025[0]["us_ofac_cons:30946"]
    assert hikvision.caption == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    assert (
        Identifier(IdScheme.ISIN, "CNE100000PM8", None, "ISIN") in hikvision.identifiers
    )
    assert [(n.value, n.kind) for n in hikvision.names[1:]] == [
        ("HIKVISION", NameKind.ALIAS),
        ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY", NameKind.ALIAS),
    ]
    assert hikvision.listings[0].listed_on == date(2021, 6, 3)


@pytest.mark.realdata
def test_cons_2025_comments_concatenate_mid_word(cons_2025: Real) -> None:
    # ent_num 17016: the cut falls inside "'Effec|tive Date (EO 14024 Directive)'"
    gazprombank = cons_2025[0]["us_ofac_cons:17016"]
    assert gazprombank.remarks is not None
    assert len(gazprombank.remarks) == 1000 + 477
    assert "after the 'Effective Date (EO 14024 Directive)' associated" in (
        gazprombank.remarks
    )
    assert (
        Identifier(IdScheme.LEI, "253400WSS48YWMBUA688", None, "Legal Entity Number")
        in gazprombank.identifiers
    )
    assert (
        Fact("Listing Date (EO 14024 Directive 3)", "24 Feb 2022") in gazprombank.facts
    )


# --- real data: history snapshot (main file only) and the small fixture ----------------


@pytest.mark.realdata
def test_history_snapshot_main_file_only(shared_data: Path) -> None:
    path = shared_data / "us_ofac_sdn" / "csv_history" / "sdn_2022-03-31.csv.gz"
    entities, report = parse_all(parse, raw_from_files("us_ofac_sdn", "ofac_csv", path))
    assert len(entities) == 9847
    assert report.records == 9847
    assert all(len(e.addresses) == 0 for e in entities)
    # 7 remarks run to the 1,000-character cut with no comments file to continue them
    assert len(report.issues) == 7
    assert all("cut at 1,000 characters" in i.reason for i in report.issues)


@pytest.mark.realdata
def test_fixture_counts_and_orphan_rows(fixture_2025: Real) -> None:
    entities, report = fixture_2025
    assert len(entities) == 17
    # the fixture's add/alt files carry rows of entries not in its sdn.csv
    assert [i.where for i in report.issues] == ["add.csv", "alt.csv"]


@pytest.mark.realdata
def test_fixture_vessel_tasca(fixture_2025: Real) -> None:
    tasca = fixture_2025[0]["us_ofac_sdn:52327"]
    assert tasca.schema is Schema.VESSEL
    assert tasca.vessel == VesselInfo(vessel_type="Crude Oil Tanker", flag="Panama")
    assert [(i.scheme, i.value) for i in tasca.identifiers] == [
        (IdScheme.CALL_SIGN, "3E2647"),
        (IdScheme.IMO, "9313149"),
        (IdScheme.MMSI, "352002494"),
    ]
    assert tasca.countries == ("pa",)


@pytest.mark.realdata
def test_fixture_aircraft_and_organisation_schemas(fixture_2025: Real) -> None:
    entities, _ = fixture_2025
    assert entities["us_ofac_sdn:20540"].schema is Schema.AIRCRAFT
    hesa = entities["us_ofac_sdn:11195"]
    assert hesa.schema is Schema.COMPANY  # carries a Registration Number
    assert hesa.listings[0].programs == ("NPWMD", "IFSR", "IRAN-CON-ARMS-EO")


@pytest.mark.realdata
def test_fixture_comments_continue_suex_wallets(fixture_2025: Real) -> None:
    suex = fixture_2025[0]["us_ofac_sdn:33151"]
    wallets = [i for i in suex.identifiers if i.scheme is IdScheme.CRYPTO_WALLET]
    # the main file cuts inside "1B64QRxf" + "aa35MVkf7sDjuGUYAP5izQt7Qi" from comments
    assert "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi" in [w.value for w in wallets]
    assert ("SUCCESSFUL EXCHANGE", NameKind.WEAK) in [
        (n.value, n.kind) for n in suex.names
    ]


# --- synthetic ---------------------------------------------------------------------------

_ROW = (
    b'10278,"LOGAN MOREY, Elvis Angus","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,'
    b'-0- ,-0- ,"DOB 28 Jul 1963; Passport P0017003 (Belize)."\r\n'
)
_ORG = (
    b'11195,"IRAN AIRCRAFT MANUFACTURING INDUSTRIAL COMPANY",-0- ,"NPWMD] [IFSR",'
    b"-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
)


def _synthetic(parts: dict[str, bytes], source: str = "us_ofac_sdn") -> list[Entity]:
    entities, _ = parse_all(parse, raw_from_bytes(source, "ofac_csv", parts))
    return entities


def test_synthetic_missing_main_file_raises() -> None:
    raw = raw_from_bytes(
        "us_ofac_sdn", "ofac_csv", {"add.csv": b"1,2,-0- ,-0- ,-0- ,-0- \r\n"}
    )
    with pytest.raises(SourceFormatError, match="no OFAC main file"):
        parse_all(parse, raw)


def test_synthetic_truncated_main_file_raises_with_line() -> None:
    cut = _ROW + _ORG[:60]  # the download stopped inside the second row
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": cut})
    with pytest.raises(SourceFormatError) as caught:
        parse_all(parse, raw)
    assert caught.value.where == "sdn.csv line 2"


def test_synthetic_unterminated_quote_raises() -> None:
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": _ROW + b'11195,"IRAN'})
    with pytest.raises(SourceFormatError, match=r"sdn\.csv line 2"):
        parse_all(parse, raw)


def test_synthetic_html_error_page_raises_at_line_1() -> None:
    page = b"<html><body>Service Unavailable</body></html>\r\n"
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": page})
    with pytest.raises(SourceFormatError) as caught:
        parse_all(parse, raw)
    assert caught.value.where == "sdn.csv line 1"
    assert "expected 12 fields" in caught.value.reason


def test_synthetic_empty_main_file_raises() -> None:
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": b"\x1a"})
    with pytest.raises(SourceFormatError, match="empty file"):
        parse_all(parse, raw)


def test_synthetic_non_numeric_ent_num_is_skipped_and_the_rest_parse() -> None:
    bad = _ORG.replace(b"11195,", b"x11195,", 1)
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": _ROW + bad + _ORG})
    entities, report = parse_all(parse, raw)
    assert [e.id for e in entities] == ["us_ofac_sdn:10278", "us_ofac_sdn:11195"]
    assert report.records == 3
    assert report.skipped == 1
    assert report.issues[0].where == "sdn.csv line 2"


def test_synthetic_ctrl_z_and_nulls_leave_no_junk() -> None:
    (entity,) = _synthetic({"sdn.csv": _ORG + b"\x1a"})
    assert entity.schema is Schema.ORGANIZATION
    assert entity.remarks is None
    assert entity.vessel is None
    assert entity.titles == ()


def test_synthetic_alt_types_with_spaces_and_quotes() -> None:
    alt = (
        b'11195,1,"fka ","OLD NAME",-0- \r\n'
        b"11195,2,'nka',\"NEW NAME\",-0- \r\n"
        b'11195,3,"aka","IAMI",-0- \r\n'
    )
    (entity,) = _synthetic({"sdn.csv": _ORG, "alt.csv": alt})
    assert [(n.value, n.kind) for n in entity.names] == [
        ("IRAN AIRCRAFT MANUFACTURING INDUSTRIAL COMPANY", NameKind.PRIMARY),
        ("OLD NAME", NameKind.FORMER),
        ("NEW NAME", NameKind.ALIAS),
        ("IAMI", NameKind.ALIAS),
    ]


def test_synthetic_remarks_continue_without_separator() -> None:
    main = (
        b'33113,"DAWNING",-0- ,"CMIC-EO13959",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        b'"ISIN CNE1000"\r\n'
    )
    comments = b"33113,\"01TW7; a.k.a. 'SUGON'.\"\r\n"
    (entity,) = _synthetic(
        {"cons_prim.csv": main, "cons_comments.csv": comments}, "us_ofac_cons"
    )
    assert entity.id == "us_ofac_cons:33113"
    assert entity.remarks == "ISIN CNE100001TW7; a.k.a. 'SUGON'."
    assert entity.identifiers == (
        Identifier(IdScheme.ISIN, "CNE100001TW7", None, "ISIN"),
    )


def test_synthetic_address_rows_join_on_ent_num() -> None:
    add = (
        b'10278,1,"50 6th Ave.","Corozal","Belize",-0- \r\n'
        b"10278,2,-0- ,-0- ,-0- ,-0- \r\n"
    )
    (entity,) = _synthetic({"sdn.csv": _ROW, "add.csv": add})
    assert entity.addresses == (
        Address(
            full="50 6th Ave., Corozal, Belize",
            street="50 6th Ave.",
            region="Corozal",
            country="bz",
            country_name="Belize",
        ),
    )


def test_synthetic_cp1252_main_file_decodes_with_a_warning() -> None:
    row = _ORG.replace(b"IRAN AIRCRAFT", b"CAF\xc9 AIRCRAFT")
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": row})
    entities, report = parse_all(parse, raw)
    assert entities[0].caption.startswith("CAFÉ AIRCRAFT")
    assert report.issues[0].reason == "not UTF-8; decoded as Windows-1252"


def test_synthetic_duplicate_ent_num_is_skipped() -> None:
    raw = raw_from_bytes("us_ofac_sdn", "ofac_csv", {"sdn.csv": _ORG + _ORG})
    entities, report = parse_all(parse, raw)
    assert len(entities) == 1
    assert report.skipped == 1
