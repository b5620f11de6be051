"""EU Financial Sanctions Files XML parser (FSF 1.1 and legacy layouts)."""

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
    Schema,
)
from clearance.sources.base import ParseReport
from clearance.sources.eu_xml import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]


@pytest.fixture(scope="module")
def fsf(shared_data: Path) -> Real:
    path = shared_data / "eu_fsf" / "2026-08-05_subset_fsf_1_1" / "sample_eu_fsf.xml"
    entities, report = parse_all(parse, raw_from_files("eu_fsf", "eu_xml", path))
    return {e.id: e for e in entities}, report


@pytest.fixture(scope="module")
def legacy(shared_data: Path) -> Real:
    path = shared_data / "eu_fsf" / "2016-02-11_subset_legacy_format" / "global.xml"
    entities, report = parse_all(parse, raw_from_files("eu_fsf", "eu_xml", path))
    return {e.id: e for e in entities}, report


@pytest.mark.realdata
def test_fsf_counts_and_generation_date(fsf: Real) -> None:
    entities, report = fsf
    assert len(entities) == 5
    assert report.published == date(2026, 8, 5)
    assert report.issues == []


@pytest.mark.realdata
def test_fsf_pins_dorda_names(fsf: Real) -> None:
    dorda = fsf[0]["eu_fsf:6106"]
    assert dorda.schema is Schema.PERSON
    assert [(n.value, n.kind, n.lang) for n in dorda.names] == [
        ("Abu Zayd Umar DORDA", NameKind.PRIMARY, None),
        ("Dorda Abuzed OE", NameKind.ALIAS, None),
        ("ABÚ ZAJD UMAR DÚRDA", NameKind.ALIAS, "cs"),
        ("Abu Zayd Umar Hmeid Dorda", NameKind.ALIAS, None),
    ]


@pytest.mark.realdata
def test_fsf_pins_dorda_listing(fsf: Real) -> None:
    listing = fsf[0]["eu_fsf:6106"].listings[0]
    assert listing.source == "eu_fsf"
    assert listing.authority_ref == "EU.3886.3"
    assert listing.programs == ("LBY",)
    assert listing.listed_on == date(2011, 2, 26)  # designationDate
    assert listing.legal_effect is LegalEffect.ASSET_FREEZE


@pytest.mark.realdata
def test_fsf_pins_dorda_details(fsf: Real) -> None:
    dorda = fsf[0]["eu_fsf:6106"]
    assert dorda.birth_dates == (PartialDate(1944, 4, 4),)
    assert dorda.birth_places == ("Alrhaybat",)
    assert dorda.identifiers == (
        Identifier(
            IdScheme.PASSPORT,
            "FK117RK0",
            "ly",
            "National passport",
            "issued 2018-11-25; valid to 2026-11-24; region Tripoli",
        ),
    )
    assert dorda.addresses == (Address("LIBYA", country="ly", country_name="LIBYA"),)
    assert dorda.titles == (
        "Director, External Security Organisation. Head of external intelligence agency.",
    )
    assert Fact("UN reference number", "LYi.006") in dorda.facts
    assert dorda.remarks is not None
    assert dorda.remarks.startswith(
        "Listed pursuant to paragraph 15 of resolution 1970"
    )


@pytest.mark.realdata
def test_fsf_enterprise_with_registration_number_is_a_company(fsf: Real) -> None:
    parchin = fsf[0]["eu_fsf:3822"]
    assert parchin.schema is Schema.COMPANY
    assert parchin.caption == "Parchin Chemical Industries (PCI)"
    assert any(
        i.scheme is IdScheme.REGISTRATION and i.value == "892"
        for i in parchin.identifiers
    )


@pytest.mark.realdata
def test_fsf_islamic_calendar_keeps_gregorian_date(fsf: Real) -> None:
    entities, _ = fsf
    person = next(
        e for e in entities.values() if any("islamic" in f.label for f in e.facts)
    )
    assert PartialDate(1982, 4, 19) in person.birth_dates
    assert all(d.year > 1900 for d in person.birth_dates)


@pytest.mark.realdata
def test_legacy_counts_and_date(legacy: Real) -> None:
    entities, report = legacy
    assert Counter(e.schema for e in entities.values()) == {
        Schema.PERSON: 319,
        Schema.ORGANIZATION: 276,
    }
    assert report.published == date(2016, 2, 11)
    assert report.skipped == 0


@pytest.mark.realdata
def test_legacy_pins_mugabe(legacy: Real) -> None:
    mugabe = legacy[0]["eu_fsf:1"]
    assert mugabe.caption == "Robert Gabriel Mugabe"
    assert mugabe.birth_dates == (PartialDate(1924, 2, 21),)
    assert mugabe.identifiers[0].scheme is IdScheme.PASSPORT
    assert mugabe.identifiers[0].value == "AD001095"
    assert mugabe.identifiers[0].label == "National passport"
    assert mugabe.listings[0].programs == ("ZWE",)
    assert mugabe.listings[0].listed_on == date(2012, 2, 21)
    assert mugabe.gender == "male"


@pytest.mark.realdata
def test_legacy_approximate_year_range(legacy: Real) -> None:
    # BIRTH/DATE "1953 - 1958 (approximative)"
    person = legacy[0]["eu_fsf:521"]
    assert PartialDate(1953, circa=True, until_year=1958) in person.birth_dates


_NS = "http://eu.europa.ec/fpi/fsd/export"


def _fsf_xml(body: str) -> bytes:
    return (
        f'<export xmlns="{_NS}" generationDate="2026-01-02T10:00:00.000+01:00">'
        f"{body}</export>"
    ).encode()


def _synthetic(data: bytes) -> tuple[list[Entity], ParseReport]:
    return parse_all(parse, raw_from_bytes("eu_fsf", "eu_xml", {"eu.xml": data}))


def test_synthetic_unknown_root_raises() -> None:
    with pytest.raises(SourceFormatError, match="expected export or WHOLE"):
        _synthetic(b"<CONSOLIDATED_LIST/>")


def test_synthetic_truncated_file_raises() -> None:
    with pytest.raises(SourceFormatError):
        _synthetic(_fsf_xml("<sanctionEntity logicalId='1'>")[:-20])


def test_synthetic_entity_without_logical_id_is_skipped() -> None:
    body = (
        '<sanctionEntity euReferenceNumber="EU.1"><nameAlias wholeName="A"/>'
        "</sanctionEntity>"
        '<sanctionEntity logicalId="2" euReferenceNumber="EU.2">'
        '<subjectType code="enterprise"/><nameAlias wholeName="B Ltd"/>'
        "</sanctionEntity>"
    )
    entities, report = _synthetic(_fsf_xml(body))
    assert [e.id for e in entities] == ["eu_fsf:2"]
    assert entities[0].schema is Schema.ORGANIZATION
    assert report.skipped == 1
    assert report.published == date(2026, 1, 2)


def test_synthetic_weak_alias_and_primary_choice() -> None:
    body = (
        '<sanctionEntity logicalId="3"><subjectType code="person"/>'
        '<nameAlias wholeName="Jean DUPONT" nameLanguage="FR" lastName="DUPONT"/>'
        '<nameAlias wholeName="John DOE" lastName="DOE" strong="true"/>'
        '<nameAlias wholeName="JD" strong="false"/>'
        "</sanctionEntity>"
    )
    entities, _ = _synthetic(_fsf_xml(body))
    assert [(n.value, n.kind) for n in entities[0].names] == [
        ("John DOE", NameKind.PRIMARY),
        ("Jean DUPONT", NameKind.ALIAS),
        ("JD", NameKind.WEAK),
    ]
