"""The vocabulary of Clearance: entities, names, identifiers, listings and list versions.

Frozen, slotted dataclasses and StrEnums; standard library only.
"""

from clearance.model.codec import (
    content_hash,
    entity_from_dict,
    entity_json,
    entity_to_dict,
    listing_to_dict,
)
from clearance.model.dates import PartialDate, parse_full_date, parse_partial_date
from clearance.model.effects import (
    EFFECT_TEXT,
    LISTS,
    ListInfo,
    describe_effect,
    effect_for,
    list_info,
)
from clearance.model.entity import Address, Entity, Fact, Relation, Schema, VesselInfo
from clearance.model.identifier import Identifier, IdScheme, identifier_key
from clearance.model.listing import LegalEffect, Listing
from clearance.model.merge import merge_entities
from clearance.model.name import Name, NameKind, detect_script, make_name
from clearance.model.version import ListVersion

__all__ = [
    "EFFECT_TEXT",
    "LISTS",
    "Address",
    "Entity",
    "Fact",
    "IdScheme",
    "Identifier",
    "LegalEffect",
    "ListInfo",
    "ListVersion",
    "Listing",
    "Name",
    "NameKind",
    "PartialDate",
    "Relation",
    "Schema",
    "VesselInfo",
    "content_hash",
    "describe_effect",
    "detect_script",
    "effect_for",
    "entity_from_dict",
    "entity_json",
    "entity_to_dict",
    "identifier_key",
    "list_info",
    "listing_to_dict",
    "make_name",
    "merge_entities",
    "parse_full_date",
    "parse_partial_date",
]
