"""Combine the records of one entity that arrived through several source files.

OFAC's own SDN file and the trade.gov CSL's copy of it describe the same entry
(``us_ofac_sdn:<ent_num>``); a reader sees one entity with both provenances, never two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from clearance.model.entity import Entity
from clearance.model.listing import Listing

T = TypeVar("T")


def _union(groups: Iterable[Sequence[T]]) -> tuple[T, ...]:
    seen: dict[T, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


def _listing_key(listing: Listing) -> tuple[str, tuple[str, ...], str | None]:
    return (listing.source, tuple(sorted(listing.programs)), listing.authority_ref)


def _fill(base: Listing, other: Listing) -> Listing:
    """``base`` with the fields it lacks taken from ``other`` (same list entry, other file)."""
    return replace(
        base,
        listed_on=base.listed_on if base.listed_on is not None else other.listed_on,
        effective_on=base.effective_on
        if base.effective_on is not None
        else other.effective_on,
        divestment_on=base.divestment_on
        if base.divestment_on is not None
        else other.divestment_on,
        delisted_on=base.delisted_on
        if base.delisted_on is not None
        else other.delisted_on,
        federal_register=base.federal_register or other.federal_register,
        licence_requirement=base.licence_requirement
        if base.licence_requirement is not None
        else other.licence_requirement,
        licence_policy=base.licence_policy
        if base.licence_policy is not None
        else other.licence_policy,
        list_url=base.list_url if base.list_url is not None else other.list_url,
    )


def merge_entities(records: Sequence[Entity]) -> Entity:
    """One entity from several records with the same id; the list's own file comes first."""
    if len(records) == 1:
        return records[0]
    code = records[0].list_code
    ordered = sorted(records, key=lambda e: 0 if code in e.sources else 1)
    first = ordered[0]
    listings: dict[tuple[str, tuple[str, ...], str | None], Listing] = {}
    for entity in ordered:
        for listing in entity.listings:
            key = _listing_key(listing)
            if key in listings:
                listings[key] = _fill(listings[key], listing)
            else:
                listings[key] = listing
    return replace(
        first,
        names=_union(e.names for e in ordered),
        listings=tuple(listings.values()),
        identifiers=_union(e.identifiers for e in ordered),
        birth_dates=_union(e.birth_dates for e in ordered),
        birth_places=_union(e.birth_places for e in ordered),
        nationalities=_union(e.nationalities for e in ordered),
        citizenships=_union(e.citizenships for e in ordered),
        countries=_union(e.countries for e in ordered),
        addresses=_union(e.addresses for e in ordered),
        titles=_union(e.titles for e in ordered),
        relations=_union(e.relations for e in ordered),
        facts=_union(e.facts for e in ordered),
        gender=next((e.gender for e in ordered if e.gender is not None), None),
        vessel=next((e.vessel for e in ordered if e.vessel is not None), None),
        remarks=next((e.remarks for e in ordered if e.remarks is not None), None),
        sources=_union(e.sources for e in ordered),
    )
