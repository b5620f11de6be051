"""OFAC Enhanced XML (sanctionsData)."""

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
)
from clearance.sources.base import ParseReport
from clearance.sources.ofac_enhanced import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]


@pytest.fixture(scope="module")
def cons_2025(shared_data: Path) -> Real:
    path = (
        shared_data
        / "us_ofac_consolidated"
        / "enhanced_xml"
        / "2025-01-10"
        / "CONS_ENHANCED.XML"
    )
    entities, report = parse_all(
        parse, raw_from_files("us_ofac_cons", "ofac_enhanced_xml", path)
    )
    return {e.id: e for e in entities}, report


# --- real data: CONS_ENHANCED.XML 2025-01-10 ---------------------------------------------


@pytest.mark.realdata
def test_counts_every_entity(cons_2025: Real) -> None:
    entities, report = cons_2025
    assert len(entities) == 443
    assert report.records == 443
    assert report.skipped == 0
    assert report.issues == []
    assert all(e.id.startswith("us_ofac_cons:") for e in entities.values())


@pytest.mark.realdata
def test_data_as_of_is_published(cons_2025: Real) -> None:
    assert cons_2025[1].published == date(2025, 1, 10)


@pytest.mark.realdata
def test_entity_types(cons_2025: Real) -> None:
    schemas = Counter(e.schema for e in cons_2025[0].values())
    assert schemas[Schema.PERSON] == 80
    assert schemas[Schema.ORGANIZATION] + schemas[Schema.COMPANY] == 363


@pytest.mark.realdata
def test_cmic_entities_carry_the_securities_ban(cons_2025: Real) -> None:
    cmic = [
        e
        for e in cons_2025[0].values()
        if any(x.legal_effect is LegalEffect.SECURITIES_BAN for x in e.listings)
    ]
    assert len(cmic) == 68
    isins = [i for e in cmic for i in e.identifiers if i.scheme is IdScheme.ISIN]
    assert len(isins) >= 68


@pytest.mark.realdata
def test_pins_hikvision_identifiers(cons_2025: Real) -> None:
    hikvision = cons_2025[0]["us_ofac_cons:30946"]
    assert hikvision.schema is Schema.COMPANY
    assert hikvision.identifiers == (
        Identifier(IdScheme.TICKER, "002415 CN", None, "Equity Ticker"),
        Identifier(IdScheme.ISIN, "CNE100000PM8", None, "ISIN"),
        Identifier(
            IdScheme.USCC,
            "91330000733796106P",
            "cn",
            "Unified Social Credit Code (USCC)",
        ),
    )
    assert [(n.value, n.kind) for n in hikvision.names] == [
        ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", NameKind.PRIMARY),
        ("HIKVISION", NameKind.ALIAS),
        ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY", NameKind.ALIAS),
    ]


@pytest.mark.realdata
def test_pins_hikvision_cmic_listing(cons_2025: Real) -> None:
    (listing,) = cons_2025[0]["us_ofac_cons:30946"].listings
    assert listing.source == "us_ofac_cons"
    assert listing.authority_ref == "30946"
    assert listing.programs == ("CMIC-EO13959",)
    assert listing.listed_on == date(2021, 6, 3)
    assert listing.effective_on == date(2021, 8, 2)
    assert listing.divestment_on == date(2022, 6, 3)
    assert listing.legal_effect is LegalEffect.SECURITIES_BAN
    assert listing.via is None


@pytest.mark.realdata
def test_pins_hikvision_address_and_facts(cons_2025: Real) -> None:
    hikvision = cons_2025[0]["us_ofac_cons:30946"]
    assert hikvision.addresses == (
        Address(
            full="555, Qianmo Road, Binjiang District, Hangzhou 310051, China",
            street="555, Qianmo Road, Binjiang District",
            city="Hangzhou",
            postal_code="310051",
            country="cn",
            country_name="China",
        ),
    )
    assert hikvision.facts == (
        Fact("Issuer Name", "Hangzhou Hikvision Digital Technology"),
        Fact("Target Type", "Public Company"),
    )


@pytest.mark.realdata
def test_dawning_keeps_its_chinese_name_and_weak_alias(cons_2025: Real) -> None:
    dawning = cons_2025[0]["us_ofac_cons:33113"]
    assert [(n.value, n.kind, n.script) for n in dawning.names] == [
        ("DAWNING INFORMATION INDUSTRY CO., LTD", NameKind.PRIMARY, None),
        ("曙光信息产业股份有限公司", NameKind.PRIMARY, "Han"),
        ("SUGON", NameKind.WEAK, None),
    ]
    assert (
        Identifier(IdScheme.ISIN, "CNE100001TW7", None, "ISIN") in dawning.identifiers
    )


@pytest.mark.realdata
def test_pins_vtb_ssi_and_sdn_listings(cons_2025: Real) -> None:
    vtb = cons_2025[0]["us_ofac_cons:17013"]
    ssi, sdn = vtb.listings
    assert (ssi.source, ssi.listed_on, ssi.legal_effect, ssi.via) == (
        "us_ofac_cons",
        date(2014, 7, 29),
        LegalEffect.SECTORAL,
        None,
    )
    assert (sdn.source, sdn.listed_on, sdn.legal_effect, sdn.via) == (
        "us_ofac_sdn",
        date(2022, 2, 24),
        LegalEffect.ASSET_FREEZE,
        "us_ofac_cons",
    )
    assert ssi.programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")


@pytest.mark.realdata
def test_pins_vtb_cyrillic_translation_and_directive(cons_2025: Real) -> None:
    vtb = cons_2025[0]["us_ofac_cons:17013"]
    assert vtb.names[1].value == "БАНК ВТБ ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО"
    assert vtb.names[1].script == "Cyrillic"
    assert ("JSC VTB BANK NEW DELHI BRANCH", NameKind.WEAK) in [
        (n.value, n.kind) for n in vtb.names
    ]
    assert (
        Identifier(IdScheme.SWIFT_BIC, "VTBRRUMM", None, "SWIFT/BIC") in vtb.identifiers
    )
    assert (
        Fact("Executive Order 13662 Directive Determination", "Subject to Directive 1")
        in vtb.facts
    )
    assert vtb.remarks is not None and vtb.remarks.startswith("For more information")


@pytest.mark.realdata
def test_pins_plc_person_birth_date_and_place(cons_2025: Real) -> None:
    haniya = cons_2025[0]["us_ofac_cons:9639"]
    assert haniya.schema is Schema.PERSON
    assert haniya.caption == "HANIYA, Ismail Abdul Salah"
    assert haniya.birth_dates == (PartialDate(1962),)
    assert haniya.birth_places == ("Shati",)
    assert haniya.listings[0].legal_effect is LegalEffect.RESTRICTED_DEALINGS
    assert haniya.listings[0].listed_on == date(2006, 4, 12)


@pytest.mark.realdata
def test_nationality_and_gender_features(cons_2025: Real) -> None:
    person = cons_2025[0]["us_ofac_cons:9647"]
    assert person.nationalities == ("ps",)  # "Palestinian", resolved by its refId
    assert person.gender == "male"


@pytest.mark.realdata
def test_relationship_resolves_to_an_entity_id(cons_2025: Real) -> None:
    insurer = cons_2025[0]["us_ofac_cons:19989"]
    assert insurer.relations == (
        Relation(
            "parent", "BM BANK JSC", "us_ofac_cons:17017", "Owned or Controlled By"
        ),
    )


@pytest.mark.realdata
def test_relationship_to_an_entity_outside_the_file(cons_2025: Real) -> None:
    person = cons_2025[0]["us_ofac_cons:9647"]
    assert person.relations == (
        Relation(
            "agent_of",
            "HAMAS",
            None,
            "Acting for or on behalf of; OFAC entity 4695, not in this file",
        ),
    )


# --- synthetic ---------------------------------------------------------------------------

_NS = b"https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML"


def _doc(entities: bytes, list_name: bytes = b"SDN List") -> bytes:
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n<sanctionsData xmlns="'
        + _NS
        + b'">\n'
        b"<publicationInfo><dataAsOf>2025-03-01T00:00:00</dataAsOf><filters>"
        b'<sanctionsLists><sanctionsList refId="1550">'
        + list_name
        + b"</sanctionsList>"
        b"</sanctionsLists></filters></publicationInfo>\n"
        b'<referenceValues><referenceValue refId="11143"><type>Country</type>'
        b"<value>Mexico</value><isoCode>MX</isoCode></referenceValue></referenceValues>\n"
        b"<entities>" + entities + b"</entities></sanctionsData>"
    )


_PERSON = (
    b'<entity id="{id}"><generalInfo><entityType refId="600">Individual</entityType>'
    b"</generalInfo><sanctionsLists>"
    b'<sanctionsList refId="1550" datePublished="2020-05-04">SDN List</sanctionsList>'
    b"</sanctionsLists><sanctionsPrograms><sanctionsProgram>SDNTK</sanctionsProgram>"
    b"</sanctionsPrograms><names><name><isPrimary>true</isPrimary><translations>"
    b"<translation><isPrimary>true</isPrimary><formattedFullName>PEREZ, Ana"
    b"</formattedFullName></translation></translations></name></names>"
    b"<features><feature><type>Birthdate</type><value>circa 1970</value></feature>"
    b"</features><identityDocuments><identityDocument><type>Passport</type>"
    b'<documentNumber>A123</documentNumber><issuingCountry refId="11143">Mexico'
    b"</issuingCountry></identityDocument></identityDocuments></entity>"
)


def test_synthetic_sdn_file_gives_sdn_ids_and_listing() -> None:
    raw = raw_from_bytes(
        "us_ofac_sdn",
        "ofac_enhanced_xml",
        {"sdn_enhanced.xml": _doc(_PERSON.replace(b"{id}", b"7"))},
    )
    (entity,), report = parse_all(parse, raw)
    assert entity.id == "us_ofac_sdn:7"
    assert entity.caption == "PEREZ, Ana"
    assert entity.birth_dates == (PartialDate(1970, circa=True),)
    assert entity.identifiers == (
        Identifier(IdScheme.PASSPORT, "A123", "mx", "Passport"),
    )
    (listing,) = entity.listings
    assert (listing.source, listing.listed_on, listing.programs) == (
        "us_ofac_sdn",
        date(2020, 5, 4),
        ("SDNTK",),
    )
    assert report.published == date(2025, 3, 1)


def test_synthetic_non_numeric_entity_id_is_skipped_and_the_rest_parse() -> None:
    entities_xml = _PERSON.replace(b"{id}", b"x") + _PERSON.replace(b"{id}", b"8")
    raw = raw_from_bytes(
        "us_ofac_sdn", "ofac_enhanced_xml", {"sdn.xml": _doc(entities_xml)}
    )
    entities, report = parse_all(parse, raw)
    assert [e.id for e in entities] == ["us_ofac_sdn:8"]
    assert report.records == 2
    assert report.skipped == 1


def test_synthetic_truncated_file_raises_with_line() -> None:
    data = _doc(_PERSON.replace(b"{id}", b"7"))[:-300]
    raw = raw_from_bytes("us_ofac_sdn", "ofac_enhanced_xml", {"sdn.xml": data})
    with pytest.raises(SourceFormatError, match=r"sdn\.xml line \d+"):
        parse_all(parse, raw)


def test_synthetic_classic_root_is_refused() -> None:
    data = b'<sdnList xmlns="http://tempuri.org/sdnList.xsd"></sdnList>'
    raw = raw_from_bytes("us_ofac_sdn", "ofac_enhanced_xml", {"sdn.xml": data})
    with pytest.raises(SourceFormatError, match="not an OFAC Enhanced XML"):
        parse_all(parse, raw)


def test_synthetic_unknown_feature_is_kept_as_fact() -> None:
    entity_xml = _PERSON.replace(b"{id}", b"7").replace(
        b"</features>",
        b"<feature><type>Favourite Colour</type><value>Blue</value></feature></features>",
    )
    raw = raw_from_bytes(
        "us_ofac_sdn", "ofac_enhanced_xml", {"sdn.xml": _doc(entity_xml)}
    )
    (entity,), _ = parse_all(parse, raw)
    assert entity.facts == (Fact("Favourite Colour", "Blue"),)
