"""OFAC classic XML (sdnList/sdnEntry and nsplc/nspEntry)."""

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
from clearance.sources.ofac_xml import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]
SAMPLES = ("format_samples", "ita_webservices")


def _real(shared_data: Path, source: str, *path: str) -> Real:
    raw = raw_from_files(source, "ofac_xml", shared_data.joinpath(*path))
    entities, report = parse_all(parse, raw)
    return {e.id: e for e in entities}, report


@pytest.fixture(scope="module")
def cons_2018(shared_data: Path) -> Real:
    return _real(
        shared_data,
        "us_ofac_cons",
        "us_ofac_consolidated",
        "xml",
        "2018-04-06",
        "consolidated.xml",
    )


# --- real data: Consolidated 2018-04-06 --------------------------------------------------


@pytest.mark.realdata
def test_cons_2018_counts_match_record_count(cons_2018: Real) -> None:
    entities, report = cons_2018
    assert len(entities) == 639
    assert report.records == 639
    assert report.declared_count == 639
    assert report.skipped == 0
    assert report.issues == []


@pytest.mark.realdata
def test_cons_2018_publish_date(cons_2018: Real) -> None:
    assert cons_2018[1].published == date(2018, 4, 6)


@pytest.mark.realdata
def test_cons_2018_entry_types(cons_2018: Real) -> None:
    schemas = Counter(e.schema for e in cons_2018[0].values())
    assert schemas[Schema.PERSON] == 94
    assert schemas[Schema.VESSEL] == 74
    assert schemas[Schema.ORGANIZATION] + schemas[Schema.COMPANY] == 471


@pytest.mark.realdata
def test_cons_2018_pins_ghalebani(cons_2018: Real) -> None:
    person = cons_2018[0]["us_ofac_cons:15960"]
    assert [(n.value, n.kind) for n in person.names] == [
        ("GHALEBANI, Ahmad", NameKind.PRIMARY),
        ("GHALEHBANI, Ahmad", NameKind.ALIAS),
        ("QALEHBANI, Ahmad", NameKind.ALIAS),
    ]
    assert person.identifiers == (
        Identifier(IdScheme.PASSPORT, "H20676140", "ir", "Passport"),
    )
    assert person.birth_dates == (PartialDate(1953, until_year=1954),)
    assert person.titles[0] == "Managing Director, National Iranian Oil Company"
    assert person.listings[0].programs == ("IRAN",)
    assert Fact(
        "For more information, please see",
        "https://www.treasury.gov/resource-center/sanctions/Programs/Documents/"
        "jcpoa_faqs.pdf",
    ) in (person.facts)


@pytest.mark.realdata
def test_cons_2018_weak_aka_becomes_weak_alias(cons_2018: Real) -> None:
    petro = cons_2018[0]["us_ofac_cons:11619"]
    weak = [n.value for n in petro.names if n.kind is NameKind.WEAK]
    assert weak == ["IPCC", "PCC"]


@pytest.mark.realdata
def test_cons_2018_address_reads_like_the_csv(cons_2018: Real) -> None:
    bank = cons_2018[0]["us_ofac_cons:4632"]
    assert bank.addresses[1] == Address(
        full="213 Ferdowsi Avenue, Tehran 11365, Iran",
        street="213 Ferdowsi Avenue",
        city="Tehran",
        postal_code="11365",
        country="ir",
        country_name="Iran",
    )
    assert bank.countries == ("ir",)


@pytest.mark.realdata
def test_cons_2018_vessel_info(cons_2018: Real) -> None:
    vessel = cons_2018[0]["us_ofac_cons:15036"]  # ARTAVIL
    assert vessel.schema is Schema.VESSEL
    assert vessel.vessel == VesselInfo(
        vessel_type="Crude/Oil Products Tanker",
        flag="Tanzania",
        tonnage="99144",
        gross_registered_tonnage="56068",
    )
    assert vessel.identifiers[0] == Identifier(
        IdScheme.CALL_SIGN, "T2EU4", label="Call Sign"
    )


@pytest.mark.realdata
def test_cons_2018_country_left_in_id_number(cons_2018: Real) -> None:
    novatek = cons_2018[0]["us_ofac_cons:17064"]
    assert (
        Identifier(IdScheme.REGISTRATION, "1026303117642", "ru", "Registration ID")
        in novatek.identifiers
    )


# --- real data: ITA importer samples -----------------------------------------------------


@pytest.mark.realdata
def test_sdn_sample_weak_aka_and_declared_count(shared_data: Path) -> None:
    entities, report = _real(shared_data, "us_ofac_sdn", *SAMPLES, "ofac_sdn.xml")
    assert len(entities) == 4
    assert report.declared_count == 5704  # a carve: the count is the full list's
    assert report.published == date(2014, 7, 16)
    bank = entities["us_ofac_sdn:306"]
    assert [(n.value, n.kind) for n in bank.names] == [
        ("BANCO NACIONAL DE CUBA", NameKind.PRIMARY),
        ("BNC", NameKind.WEAK),
        ("NATIONAL BANK OF CUBA", NameKind.ALIAS),
    ]
    assert bank.listings[0].legal_effect is LegalEffect.ASSET_FREEZE


@pytest.mark.realdata
def test_ns_plc_root_is_always_consolidated(shared_data: Path) -> None:
    # even when the caller guessed the SDN source for it
    entities, report = _real(shared_data, "us_ofac_sdn", *SAMPLES, "ofac_ns_plc.xml")
    assert report.declared_count == 6
    assert len(entities) == 6
    haniya = entities["us_ofac_cons:9639"]
    assert haniya.caption == "HANIYA, Ismail Abdul Salah"
    assert haniya.schema is Schema.PERSON
    assert haniya.birth_dates == (PartialDate(1962),)
    assert haniya.birth_places == ("Shati",)
    assert haniya.listings[0].legal_effect is LegalEffect.RESTRICTED_DEALINGS


@pytest.mark.realdata
def test_fse_sample_linked_to_and_determination(shared_data: Path) -> None:
    entities, _ = _real(shared_data, "us_ofac_cons", *SAMPLES, "ofac_fse.xml")
    ferland = entities["us_ofac_cons:15987"]
    assert ferland.relations == (
        Relation("linked_to", "NATIONAL IRANIAN TANKER COMPANY"),
    )
    assert ferland.facts == (
        Fact("Executive Order 13645 Determination", "Material Support"),
    )
    assert ferland.listings[0].programs == ("FSE-IR", "ISA", "EO13645")
    assert ferland.listings[0].legal_effect is LegalEffect.SANCTIONS_EVASION


@pytest.mark.realdata
def test_consolidated_sample_ccmc_dates_and_ticker(shared_data: Path) -> None:
    entities, _ = _real(shared_data, "us_ofac_cons", *SAMPLES, "ofac_consolidated.xml")
    telecom = entities["us_ofac_cons:30882"]
    (listing,) = telecom.listings
    assert listing.listed_on == date(2021, 1, 8)
    assert listing.effective_on == date(2021, 3, 9)
    assert listing.divestment_on == date(2022, 1, 8)
    assert Identifier(IdScheme.TICKER, "728 HK", None, "Equity Ticker") in (
        telecom.identifiers
    )
    assert telecom.schema is Schema.COMPANY
    assert Fact("Issuer Name", "China Telecom Corporation Limited") in telecom.facts


# --- synthetic ---------------------------------------------------------------------------

_HEAD = (
    b'<?xml version="1.0" standalone="yes"?>\n'
    b'<sdnList xmlns="http://tempuri.org/sdnList.xsd">\n'
    b"<publshInformation><Publish_Date>12/31/2024</Publish_Date>"
    b"<Record_Count>2</Record_Count></publshInformation>\n"
)
_ENTRY = (
    b"<sdnEntry><uid>{uid}</uid><firstName>Ana</firstName><lastName>PEREZ</lastName>"
    b"<sdnType>Individual</sdnType><programList><program>SDNTK</program></programList>"
    b"<idList><id><uid>1</uid><idType>Passport</idType><idNumber>A123</idNumber>"
    b"<idCountry>Mexico</idCountry><expirationDate>01 Jan 2030</expirationDate></id>"
    b"</idList></sdnEntry>\n"
)


def _doc(*uids: bytes) -> bytes:
    return (
        _HEAD + b"".join(_ENTRY.replace(b"{uid}", uid) for uid in uids) + b"</sdnList>"
    )


def test_synthetic_entry_maps_names_ids_and_publication() -> None:
    raw = raw_from_bytes("us_ofac_sdn", "ofac_xml", {"sdn.xml": _doc(b"7")})
    (entity,), report = parse_all(parse, raw)
    assert entity.id == "us_ofac_sdn:7"
    assert entity.caption == "PEREZ, Ana"
    assert entity.identifiers == (
        Identifier(IdScheme.PASSPORT, "A123", "mx", "Passport", "expires 01 Jan 2030"),
    )
    assert report.published == date(2024, 12, 31)
    assert report.declared_count == 2


def test_synthetic_consolidated_source_gives_cons_ids() -> None:
    raw = raw_from_bytes("us_ofac_cons", "ofac_xml", {"consolidated.xml": _doc(b"7")})
    (entity,), _ = parse_all(parse, raw)
    assert entity.id == "us_ofac_cons:7"
    assert entity.listings[0].source == "us_ofac_cons"


def test_synthetic_non_numeric_uid_is_skipped_and_the_rest_parse() -> None:
    raw = raw_from_bytes("us_ofac_sdn", "ofac_xml", {"sdn.xml": _doc(b"x", b"8")})
    entities, report = parse_all(parse, raw)
    assert [e.id for e in entities] == ["us_ofac_sdn:8"]
    assert report.records == 2
    assert report.skipped == 1


def test_synthetic_truncated_xml_raises_with_line() -> None:
    data = _doc(b"7", b"8")[:-200]
    raw = raw_from_bytes("us_ofac_sdn", "ofac_xml", {"sdn.xml": data})
    with pytest.raises(SourceFormatError, match=r"sdn\.xml line \d+"):
        parse_all(parse, raw)


def test_synthetic_other_root_is_refused() -> None:
    data = b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>"
    raw = raw_from_bytes("us_ofac_sdn", "ofac_xml", {"sdn.xml": data})
    with pytest.raises(SourceFormatError, match="not an OFAC sdnList"):
        parse_all(parse, raw)


def test_synthetic_no_xml_part_is_refused() -> None:
    raw = raw_from_bytes("us_ofac_sdn", "ofac_xml", {"sdn.csv": b"1,2"})
    with pytest.raises(SourceFormatError, match=r"expected one \.xml part"):
        parse_all(parse, raw)


def test_synthetic_bad_birth_date_is_warned_and_kept_as_fact() -> None:
    entry = (
        b"<sdnEntry><uid>9</uid><lastName>X</lastName><sdnType>Individual</sdnType>"
        b"<dateOfBirthList><dateOfBirthItem><uid>1</uid><dateOfBirth>sometime in the 60s"
        b"</dateOfBirth></dateOfBirthItem></dateOfBirthList></sdnEntry>"
    )
    raw = raw_from_bytes(
        "us_ofac_sdn", "ofac_xml", {"sdn.xml": _HEAD + entry + b"</sdnList>"}
    )
    (entity,), report = parse_all(parse, raw)
    assert entity.birth_dates == ()
    assert entity.facts == (Fact("DOB", "sometime in the 60s"),)
    assert "unparseable date of birth" in report.issues[0].reason
