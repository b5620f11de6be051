"""The entity model: canonical encoding, the legal-effect catalogue, identifier keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from clearance.model import (
    EFFECT_TEXT,
    LISTS,
    Address,
    Identifier,
    IdScheme,
    LegalEffect,
    PartialDate,
    Relation,
    Schema,
    VesselInfo,
    detect_script,
    effect_for,
    entity_from_dict,
    entity_json,
    entity_to_dict,
    identifier_key,
)
from tests.factories import make_entity


def test_entity_round_trips_through_its_dict() -> None:
    base = make_entity(
        isin="CNE100000PM8", listed_on=date(2021, 6, 3), remarks="verbatim"
    )
    entity = replace(
        base,
        schema=Schema.VESSEL,
        birth_dates=(PartialDate(1966), PartialDate(1970, 3)),
        addresses=(Address("1 Road, Havana, Cuba", city="Havana", country="cu"),),
        vessel=VesselInfo(vessel_type="Oil Tanker", flag="Iran"),
        relations=(Relation("linked_to", "SOME BANK"),),
        identifiers=(
            *base.identifiers,
            Identifier(IdScheme.IMO, "9187629", label="IMO"),
        ),
    )
    assert entity_from_dict(entity_to_dict(entity)) == entity


def test_encoding_is_canonical() -> None:
    assert entity_json(make_entity()) == entity_json(make_entity())
    assert "birth_dates" not in entity_to_dict(make_entity())  # empty fields omitted


def test_every_legal_effect_has_plain_words() -> None:
    assert set(EFFECT_TEXT) == set(LegalEffect)
    assert all(len(text) > 40 for text in EFFECT_TEXT.values())


def test_effect_depends_on_the_program_for_ofac_non_sdn() -> None:
    assert effect_for("us_ofac_cons", ("CMIC-EO13959",)) is LegalEffect.SECURITIES_BAN
    assert effect_for("us_ofac_cons", ("UKRAINE-EO13662",)) is LegalEffect.SECTORAL
    assert effect_for("us_ofac_cons", ("NS-PLC",)) is LegalEffect.RESTRICTED_DEALINGS
    assert effect_for("us_ofac_sdn", ("SDGT",)) is LegalEffect.ASSET_FREEZE
    assert effect_for("us_bis_el") is LegalEffect.EXPORT_LICENCE
    assert "us_bis_uvl" in LISTS


def test_identifier_keys_ignore_spacing_and_case() -> None:
    assert identifier_key("603019CN") == identifier_key("603019 cn")
    assert identifier_key("CNE 100000 PM8") == "CNE100000PM8"


def test_scripts_are_detected() -> None:
    assert detect_script("海康威视") == "Han"
    assert detect_script("ООО Ромашка") == "Cyrillic"
    assert detect_script("Hikvision") is None
