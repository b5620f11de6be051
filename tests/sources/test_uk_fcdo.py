"""UK Sanctions List (FCDO) XML parser."""

from __future__ import annotations

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
from clearance.sources.uk_fcdo import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]


@pytest.fixture(scope="module")
def fcdo(shared_data: Path) -> Real:
    path = shared_data / "uk_fcdo" / "2026-09-10_subset_xml" / "sample_uk_sanctions.xml"
    entities, report = parse_all(parse, raw_from_files("uk_fcdo", "uk_fcdo", path))
    return {e.id: e for e in entities}, report


@pytest.mark.realdata
def test_five_designations_and_date_generated(fcdo: Real) -> None:
    entities, report = fcdo
    assert sorted(entities) == [
        "uk_fcdo:AFG0001",
        "uk_fcdo:AFG0006",
        "uk_fcdo:AQD0195",
        "uk_fcdo:BEL0107",
        "uk_fcdo:DPR0075",
    ]
    assert report.published == date(2026, 9, 10)
    assert report.issues == []


@pytest.mark.realdata
def test_pins_akhund_names_and_listing(fcdo: Real) -> None:
    person = fcdo[0]["uk_fcdo:AFG0006"]
    assert person.schema is Schema.PERSON
    assert [(n.value, n.kind, n.script) for n in person.names] == [
        ("MOHAMMAD HASSAN AKHUND", NameKind.PRIMARY, None),
        ("Mohammad Akhwand", NameKind.ALIAS, None),
        ("محمد حسن آخوند", NameKind.ALIAS, "Arabic"),
    ]
    listing = person.listings[0]
    assert listing.authority_ref == "AFG0006"
    assert listing.listed_on == date(2001, 1, 25)
    assert listing.programs == (
        "The Afghanistan (Sanctions) (EU Exit) Regulations 2020",
    )
    assert listing.legal_effect is LegalEffect.ASSET_FREEZE


@pytest.mark.realdata
def test_pins_akhund_details(fcdo: Real) -> None:
    person = fcdo[0]["uk_fcdo:AFG0006"]
    # DOBs: 12/05/1958, dd/mm/1945, 1946
    assert person.birth_dates == (
        PartialDate(1958, 5, 12),
        PartialDate(1945),
        PartialDate(1946),
    )
    assert person.identifiers[0] == Identifier(
        IdScheme.PASSPORT,
        "P04581926",
        "af",
        "Passport",
        "Afghanistan passport number P04581926, issued in Kandahar (expires 7 August 2034)",
    )
    assert person.nationalities == ("af",)
    assert person.gender == "male"
    assert person.titles == (
        "Mullah",
        "Haji",
        "Deputy Minister of Agriculture under the Taliban regime",
    )
    assert person.birth_places == ("Pashmul village, Panjwai District, Afghanistan",)
    assert Relation("same_as", "OFSI Group ID 7172", "uk_hmt:7172") in person.relations
    assert Fact("UN reference number", "TAi.002") in person.facts
    assert Fact("Sanction imposed", "Travel ban") in person.facts


@pytest.mark.realdata
def test_entity_with_company_number_parents_and_weak_alias(fcdo: Real) -> None:
    company = fcdo[0]["uk_fcdo:BEL0107"]
    assert company.schema is Schema.COMPANY
    assert ("BNK", NameKind.WEAK) in [(n.value, n.kind) for n in company.names]
    assert Identifier(IdScheme.REGISTRATION, "06527449", label="UK Company no.") in (
        company.identifiers
    )
    assert Relation("parent", "Belneftekhim") in company.relations
    assert Relation("subsidiary", "BNK (Deutschland) GmbH") in company.relations
    assert company.remarks is not None
    assert "UK Statement of Reasons: BNK (UK) Ltd is controlled" in company.remarks


@pytest.mark.realdata
def test_ship_without_asset_freeze_is_not_an_asset_freeze(fcdo: Real) -> None:
    ship = fcdo[0]["uk_fcdo:DPR0075"]
    assert ship.schema is Schema.VESSEL
    assert ship.listings[0].legal_effect is LegalEffect.RESTRICTED_DEALINGS
    assert Identifier(IdScheme.IMO, "9562233", label="IMONumber") in ship.identifiers
    assert ship.vessel is not None
    assert ship.vessel.flag == "Comoros"
    assert Fact("Previous flag", "India") in ship.facts
    assert ship.relations == ()  # no OFSIGroupID on this one


_DESIGNATION = """<Designation><DateDesignated>01/02/2020</DateDesignated>
<UniqueID>{uid}</UniqueID><Names><Name><Name1>Jane</Name1><Name6>ROE</Name6>
<NameType>Primary Name</NameType></Name></Names>
<RegimeName>Test Regime</RegimeName><IndividualEntityShip>Individual</IndividualEntityShip>
{extra}</Designation>"""


def _synthetic(body: str) -> tuple[list[Entity], ParseReport]:
    data = (
        f"<Designations><DateGenerated>03/04/2026</DateGenerated>{body}</Designations>"
    )
    return parse_all(
        parse, raw_from_bytes("uk_fcdo", "uk_fcdo", {"f.xml": data.encode()})
    )


def test_synthetic_wrong_root_raises() -> None:
    raw = raw_from_bytes("uk_fcdo", "uk_fcdo", {"f.xml": b"<export/>"})
    with pytest.raises(SourceFormatError, match="Designations"):
        parse_all(parse, raw)


def test_synthetic_designation_without_unique_id_is_skipped() -> None:
    body = _DESIGNATION.format(uid="", extra="") + _DESIGNATION.format(
        uid="TST0001", extra=""
    )
    entities, report = _synthetic(body)
    assert [e.id for e in entities] == ["uk_fcdo:TST0001"]
    assert report.skipped == 1
    assert report.published == date(2026, 4, 3)


def test_synthetic_unknown_leaf_is_kept_as_a_fact() -> None:
    extra = "<NewField><Inner>something new</Inner></NewField>"
    [person], _ = _synthetic(_DESIGNATION.format(uid="TST0002", extra=extra))
    assert Fact("Inner", "something new") in person.facts
    assert person.listings[0].listed_on == date(2020, 2, 1)
