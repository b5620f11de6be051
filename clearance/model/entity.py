"""The one entity model every parser produces and every consumer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from clearance.model.dates import PartialDate
from clearance.model.identifier import Identifier
from clearance.model.listing import Listing
from clearance.model.name import Name, NameKind


class Schema(StrEnum):
    PERSON = "Person"
    ORGANIZATION = "Organization"
    COMPANY = "Company"
    VESSEL = "Vessel"
    AIRCRAFT = "Aircraft"


@dataclass(frozen=True, slots=True)
class Address:
    full: str  # the address as the list writes it, joined with ", "
    street: str | None = None
    city: str | None = None
    region: str | None = (
        None  # state / province, or OFAC's "City/State/Postal" remainder
    )
    postal_code: str | None = None
    country: str | None = None  # ISO 3166 alpha-2, lower case, where resolvable
    country_name: str | None = None  # the list's own country wording


@dataclass(frozen=True, slots=True)
class VesselInfo:
    vessel_type: str | None = None
    flag: str | None = None  # the list's wording, e.g. "Iran"
    owner: str | None = None
    tonnage: str | None = None
    gross_registered_tonnage: str | None = None
    built: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    kind: str  # "linked_to", "parent", "subsidiary", "institute_of", "associate", ...
    target_name: str
    target_id: str | None = None  # an entity id when the list gives one
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled value the model has no field for, kept verbatim (never dropped)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Entity:
    id: str  # "<list>:<official id>", e.g. "us_ofac_sdn:12345"
    schema: Schema
    names: tuple[Name, ...]
    listings: tuple[Listing, ...]
    identifiers: tuple[Identifier, ...] = ()
    birth_dates: tuple[PartialDate, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()  # ISO alpha-2 lower case where resolvable
    citizenships: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # countries of address, registration or operation
    addresses: tuple[Address, ...] = ()
    gender: str | None = None  # "male" | "female" as the list states
    titles: tuple[str, ...] = ()  # titles / positions / designations
    vessel: VesselInfo | None = None
    relations: tuple[Relation, ...] = ()
    remarks: str | None = None  # verbatim
    facts: tuple[Fact, ...] = ()
    sources: tuple[str, ...] = field(
        default=()
    )  # source files that carried this entity

    @property
    def caption(self) -> str:
        """The primary name (the first name of kind primary, else the first name)."""
        for name in self.names:
            if name.kind is NameKind.PRIMARY:
                return name.value
        return self.names[0].value if len(self.names) > 0 else self.id

    @property
    def list_code(self) -> str:
        return self.id.split(":", 1)[0]
