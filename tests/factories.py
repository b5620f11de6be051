"""Tiny builders for synthetic entities and list versions (named synthetic on purpose)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from clearance.model import (
    Entity,
    Identifier,
    IdScheme,
    Listing,
    NameKind,
    Schema,
    effect_for,
    list_info,
    make_name,
)
from clearance.store import VersionMeta


def make_entity(
    entity_id: str = "us_ofac_sdn:1",
    name: str = "ACME TRADING LLC",
    *,
    schema: Schema = Schema.ORGANIZATION,
    aliases: tuple[str, ...] = (),
    isin: str | None = None,
    source: str | None = None,
    programs: tuple[str, ...] = ("SDGT",),
    listed_on: date | None = None,
    remarks: str | None = None,
) -> Entity:
    code = entity_id.split(":", 1)[0]
    names = (make_name(name), *(make_name(a, NameKind.ALIAS) for a in aliases))
    identifiers = () if isin is None else (Identifier(IdScheme.ISIN, isin),)
    via = None if source is None or source == code else source
    listing = Listing(
        source=code,
        authority=list_info(code).authority,
        legal_effect=effect_for(code, programs),
        authority_ref=entity_id.split(":", 1)[1],
        programs=programs,
        listed_on=listed_on,
        via=via,
    )
    return Entity(
        id=entity_id,
        schema=schema,
        names=names,
        listings=(listing,),
        identifiers=identifiers,
        remarks=remarks,
        sources=(source or code,),
    )


def make_meta(
    source: str = "us_ofac_sdn",
    published: date = date(2022, 1, 31),
    sha256: str | None = None,
    declared_count: int | None = None,
) -> VersionMeta:
    return VersionMeta(
        source=source,
        published=published,
        published_from="user",
        retrieved_at=datetime(2026, 1, 1, tzinfo=UTC),
        sha256=sha256 or f"synthetic-{source}-{published.isoformat()}",
        format="synthetic",
        origin="synthetic",
        declared_count=declared_count,
    )
