"""UN Security Council consolidated XML parser."""

from __future__ import annotations

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
    Schema,
)
from clearance.sources.base import ParseReport
from clearance.sources.un_xml import parse
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Real = tuple[dict[str, Entity], ParseReport]


def _real(shared_data: Path, snapshot: str) -> Real:
    raw = raw_from_files(
        "un_sc", "un_xml", shared_data / "un_sc" / snapshot / "consolidated.xml"
    )
    entities, report = parse_all(parse, raw)
    return {e.id: e for e in entities}, report


@pytest.fixture(scope="module")
def un_2026(shared_data: Path) -> Real:
    return _real(shared_data, "2026-02-27")


@pytest.mark.realdata
def test_2026_counts_individuals_and_entities(un_2026: Real) -> None:
    entities, report = un_2026
    schemas = Counter(e.schema for e in entities.values())
    assert schemas == {Schema.PERSON: 730, Schema.ORGANIZATION: 273}
    assert report.records == 1003
    assert report.skipped == 0


@pytest.mark.realdata
def test_2026_date_generated_is_published(un_2026: Real) -> None:
    _, report = un_2026
    assert report.published == date(2026, 2, 27)


@pytest.mark.realdata
def test_2026_pins_zeiniye_names(un_2026: Real) -> None:
    entities, _ = un_2026
    person = entities["un_sc:6908833"]
    names = [(n.value, n.kind, n.script) for n in person.names]
    assert names[0] == ("JAMAL HUSSEIN HASSAN ZEINIYE", NameKind.PRIMARY, None)
    assert ("جمال حسين حسن زينيه", NameKind.ALIAS, "Arabic") in names
    assert ("Jamal Husayn Zayniyah", NameKind.ALIAS, None) in names
    assert ("Abu Malek El Talleh", NameKind.WEAK, None) in names
    assert len(names) == 8


@pytest.mark.realdata
def test_2026_pins_zeiniye_listing(un_2026: Real) -> None:
    entities, _ = un_2026
    listing = entities["un_sc:6908833"].listings[0]
    assert listing.source == "un_sc"
    assert listing.authority == "United Nations Security Council"
    assert listing.authority_ref == "QDi.428"
    assert listing.programs == ("Al-Qaida",)
    assert listing.listed_on == date(2020, 10, 8)
    assert listing.legal_effect is LegalEffect.ASSET_FREEZE


@pytest.mark.realdata
def test_2026_pins_zeiniye_details(un_2026: Real) -> None:
    entities, _ = un_2026
    person = entities["un_sc:6908833"]
    assert person.birth_dates == (PartialDate(1972, 8, 17), PartialDate(1972, 1, 1))
    assert (
        Identifier(IdScheme.PASSPORT, "3987189", "sy", "Passport") in person.identifiers
    )
    assert "Benghazi, Libya" in person.birth_places
    assert person.nationalities == ("sy",)
    assert person.gender == "male"
    assert person.remarks is not None
    assert person.remarks.startswith("Leader of AL-NUSRAH FRONT")
    assert person.sources == ("un_sc",)


@pytest.mark.realdata
def test_2026_listed_on_with_utc_offset_keeps_the_date(un_2026: Real) -> None:
    entities, _ = un_2026
    # LISTED_ON is written "2015-04-07-04:00" for MAULANA FAZLULLAH (QDi.352)
    listing = entities["un_sc:6908452"].listings[0]
    assert listing.authority_ref == "QDi.352"
    assert listing.listed_on == date(2015, 4, 7)


@pytest.mark.realdata
def test_2016_subset_older_casing(shared_data: Path) -> None:
    entities, report = _real(shared_data, "2016-02_subset")
    assert Counter(e.schema for e in entities.values()) == {
        Schema.PERSON: 130,
        Schema.ORGANIZATION: 109,
    }
    assert report.published == date(2016, 2, 11)
    person = entities[
        "un_sc:111041"
    ]  # ABDUL RAUF KHADEM, "Between" and "Approximately"
    assert person.birth_dates == (
        PartialDate(1958, until_year=1963),
        PartialDate(1970, circa=True),
    )
    assert person.titles == (
        "Mullah",
        "Commander of Central Corps under the Taliban regime",
    )


@pytest.mark.realdata
def test_2018_counts_and_submitted_by(shared_data: Path) -> None:
    entities, _ = _real(shared_data, "2018-06-07")
    schemas = Counter(e.schema for e in entities.values())
    assert schemas == {Schema.PERSON: 693, Schema.ORGANIZATION: 405}
    submitted = [
        e for e in entities.values() if any(f.label == "Submitted by" for f in e.facts)
    ]
    assert len(submitted) == 3


def _xml(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<CONSOLIDATED_LIST dateGenerated="2020-01-02T00:00:00Z">{body}</CONSOLIDATED_LIST>'
    ).encode()


_PERSON = """<INDIVIDUAL><DATAID>{id}</DATAID><FIRST_NAME>JOHN</FIRST_NAME>
<SECOND_NAME>DOE</SECOND_NAME><UN_LIST_TYPE>DRC</UN_LIST_TYPE>
<REFERENCE_NUMBER>CDi.999</REFERENCE_NUMBER><LISTED_ON>2012-12-31</LISTED_ON>
{extra}</INDIVIDUAL>"""


def _synthetic(body: str) -> tuple[list[Entity], ParseReport]:
    raw = raw_from_bytes("un_sc", "un_xml", {"consolidated.xml": _xml(body)})
    return parse_all(parse, raw)


def test_synthetic_malformed_xml_raises_with_line() -> None:
    raw = raw_from_bytes(
        "un_sc", "un_xml", {"consolidated.xml": b"<CONSOLIDATED_LIST>\n<A>"}
    )
    with pytest.raises(SourceFormatError) as caught:
        parse_all(parse, raw)
    assert "line" in caught.value.where


def test_synthetic_wrong_root_raises() -> None:
    raw = raw_from_bytes("un_sc", "un_xml", {"consolidated.xml": b"<WHOLE Date='1'/>"})
    with pytest.raises(SourceFormatError, match="CONSOLIDATED_LIST"):
        parse_all(parse, raw)


def test_synthetic_record_without_dataid_is_skipped_others_kept() -> None:
    body = (
        "<INDIVIDUALS>"
        + _PERSON.format(id="", extra="")
        + _PERSON.format(id="42", extra="")
        + "</INDIVIDUALS>"
    )
    entities, report = _synthetic(body)
    assert [e.id for e in entities] == ["un_sc:42"]
    assert report.skipped == 1
    assert report.records == 2


def test_synthetic_alias_qualities_and_empty_alias() -> None:
    extra = """<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>JD</ALIAS_NAME>
    </INDIVIDUAL_ALIAS><INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY>
    <ALIAS_NAME>Johnny</ALIAS_NAME></INDIVIDUAL_ALIAS>
    <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
    <INDIVIDUAL_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Old Co</ALIAS_NAME>
    </INDIVIDUAL_ALIAS>"""
    entities, _ = _synthetic(
        "<INDIVIDUALS>" + _PERSON.format(id="1", extra=extra) + "</INDIVIDUALS>"
    )
    assert [(n.value, n.kind) for n in entities[0].names] == [
        ("JOHN DOE", NameKind.PRIMARY),
        ("JD", NameKind.ALIAS),
        ("Johnny", NameKind.WEAK),
        ("Old Co", NameKind.FORMER),
    ]


def test_synthetic_unparseable_birth_date_is_warned_and_kept_as_fact() -> None:
    extra = """<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE>
    <NOTE>30-35 years old</NOTE></INDIVIDUAL_DATE_OF_BIRTH>"""
    entities, report = _synthetic(
        "<INDIVIDUALS>" + _PERSON.format(id="1", extra=extra) + "</INDIVIDUALS>"
    )
    assert entities[0].birth_dates == ()
    assert Fact("Date of birth", "30-35 years old") in entities[0].facts
    assert report.issues[0].where == "INDIVIDUAL DATAID=1"


def test_synthetic_entity_is_an_organization_with_address_country() -> None:
    body = """<ENTITIES><ENTITY><DATAID>7</DATAID><FIRST_NAME>ACME TRADING</FIRST_NAME>
    <ENTITY_ADDRESS><CITY>Kabul</CITY><COUNTRY>Afghanistan</COUNTRY></ENTITY_ADDRESS>
    </ENTITY></ENTITIES>"""
    entities, _ = _synthetic(body)
    assert entities[0].schema is Schema.ORGANIZATION
    assert entities[0].countries == ("af",)
    assert entities[0].addresses[0].full == "Kabul, Afghanistan"
