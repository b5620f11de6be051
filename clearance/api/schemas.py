"""Request and response documents of the HTTP API (pydantic: the border), and the
conversions between them and the core's dataclasses."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clearance.errors import InvalidQuery
from clearance.match import Evidence, Hit, Query
from clearance.model import (
    Entity,
    IdScheme,
    Listing,
    ListVersion,
    Schema,
    describe_effect,
    entity_to_dict,
    list_info,
    listing_to_dict,
    parse_partial_date,
)
from clearance.normalize import country_code
from clearance.screen import (
    EntityDetail,
    SourceChanges,
    SourceSummary,
    UpdateJob,
)
from clearance.store import HistoryEvent

JSON = dict[str, Any]

# -- yente-compatible matching -------------------------------------------------------------


class EntityExample(BaseModel):
    """A query entity as yente takes it: a FollowTheMoney schema and properties."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(None, examples=["my-entity-id"])
    schema_: str = Field(..., alias="schema", examples=["Company"])
    properties: dict[str, str | list[str | int | float]] = Field(
        ..., examples=[{"name": ["Dawning Information Industry"], "country": ["cn"]}]
    )

    def values(self, prop: str) -> list[str]:
        raw = self.properties.get(prop)
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else [raw]
        return [str(v).strip() for v in items if len(str(v).strip()) > 0]


class MatchRequest(BaseModel):
    queries: dict[str, EntityExample] = Field(
        ...,
        examples=[
            {
                "q1": {
                    "schema": "Company",
                    "properties": {
                        "name": ["Sugon"],
                        "country": ["cn"],
                        "isin": ["CNE100001TW7"],
                    },
                }
            }
        ],
    )
    weights: dict[str, float] = Field(
        {}, description="Accepted for yente clients; Clearance's weights are fixed."
    )
    config: dict[str, Any] = Field(
        {}, description="Accepted for yente clients; not used."
    )


class ScreenRequest(BaseModel):
    """One query with every field Clearance screens on (``clearance check``)."""

    name: str = Field("", max_length=1000, examples=["Sugon"])
    schema_: str | None = Field(None, alias="schema", examples=["Company"])
    country: str | None = Field(None, examples=["cn"])
    birth_date: str | None = Field(None, examples=["1966-07"])
    identifier: str | None = Field(None, examples=["CNE100001TW7"])
    sources: list[str] = Field([], description="Only these lists or sources.")
    threshold: float | None = Field(None, ge=0, le=1)
    limit: int = Field(5, ge=1, le=100)
    as_of: date | None = None

    model_config = ConfigDict(populate_by_name=True)


class UpdateRequest(BaseModel):
    """Import official files from a folder on the server, or download sources."""

    directory: str | None = Field(None, examples=["/srv/clearance/lists"])
    sources: list[str] = Field(
        [], description="Sources to download (empty with no directory: all)."
    )
    force: bool = False


# FollowTheMoney property names <-> identifier schemes.
_ID_PROPS: dict[str, IdScheme] = {
    "isin": IdScheme.ISIN,
    "isinCode": IdScheme.ISIN,
    "ticker": IdScheme.TICKER,
    "registrationNumber": IdScheme.REGISTRATION,
    "uscCode": IdScheme.USCC,
    "taxNumber": IdScheme.TAX_ID,
    "innCode": IdScheme.TAX_ID,
    "vatCode": IdScheme.TAX_ID,
    "ogrnCode": IdScheme.REGISTRATION,
    "dunsCode": IdScheme.REGISTRATION,
    "okpoCode": IdScheme.REGISTRATION,
    "idNumber": IdScheme.NATIONAL_ID,
    "passportNumber": IdScheme.PASSPORT,
    "imoNumber": IdScheme.IMO,
    "mmsi": IdScheme.MMSI,
    "callSign": IdScheme.CALL_SIGN,
    "swiftBic": IdScheme.SWIFT_BIC,
    "bicCode": IdScheme.SWIFT_BIC,
    "leiCode": IdScheme.LEI,
    "serialNumber": IdScheme.AIRCRAFT_SERIAL,
    "publicKey": IdScheme.CRYPTO_WALLET,
}
_PROP_OF_SCHEME: dict[IdScheme, str] = {
    IdScheme.ISIN: "isinCode",
    IdScheme.TICKER: "ticker",
    IdScheme.USCC: "registrationNumber",
    IdScheme.REGISTRATION: "registrationNumber",
    IdScheme.TAX_ID: "taxNumber",
    IdScheme.NATIONAL_ID: "idNumber",
    IdScheme.PASSPORT: "passportNumber",
    IdScheme.IMO: "imoNumber",
    IdScheme.MMSI: "mmsi",
    IdScheme.CALL_SIGN: "callSign",
    IdScheme.SWIFT_BIC: "swiftBic",
    IdScheme.LEI: "leiCode",
    IdScheme.WEBSITE: "website",
    IdScheme.EMAIL: "email",
    IdScheme.PHONE: "phone",
    IdScheme.AIRCRAFT_SERIAL: "serialNumber",
    IdScheme.AIRCRAFT_TAIL: "registrationNumber",
    IdScheme.CRYPTO_WALLET: "publicKey",
    IdScheme.OTHER: "idNumber",
}
_NAME_PROPS = ("name", "alias", "previousName", "weakAlias")
_COUNTRY_PROPS = (
    "country",
    "jurisdiction",
    "nationality",
    "citizenship",
    "mainCountry",
)
_DATE_PROPS = ("birthDate", "incorporationDate")
_SCHEMAS: dict[str, Schema | None] = {
    "person": Schema.PERSON,
    "company": Schema.COMPANY,
    "organization": Schema.ORGANIZATION,
    "publicbody": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "airplane": Schema.AIRCRAFT,
    "aircraft": Schema.AIRCRAFT,
    "legalentity": None,  # a person or an organisation: no schema evidence
    "thing": None,
}
MAX_VARIANTS = 20  # names x identifiers screened for one query entity


def parse_schema(text: str | None, field: str = "schema") -> Schema | None:
    """A schema name (FollowTheMoney's or ours, any case); None for LegalEntity/Thing."""
    if text is None or len(text.strip()) == 0:
        return None
    key = text.strip().lower()
    if key not in _SCHEMAS:
        known = "Person, Company, Organization, LegalEntity, Vessel, Airplane"
        raise InvalidQuery(
            field, f"{text!r} is not a schema Clearance screens ({known})"
        )
    return _SCHEMAS[key]


def parse_country(text: str | None, field: str = "country") -> str | None:
    if text is None or len(text.strip()) == 0:
        return None
    code = country_code(text)
    if code is None:
        raise InvalidQuery(field, f"{text!r} is not a country Clearance knows")
    return code


def example_queries(example: EntityExample) -> tuple[list[Query], Schema | None]:
    """The screening queries of one yente query entity: each name (with the first
    identifier), then each further identifier; country and birth date from the first
    resolvable value.

    Raises:
        InvalidQuery: unknown schema, or neither a name nor an identifier.
    """
    schema = parse_schema(example.schema_)
    names: list[str] = []
    for prop in _NAME_PROPS:
        names.extend(v for v in example.values(prop) if v not in names)
    parts = ("firstName", "secondName", "middleName", "fatherName", "lastName")
    joined = " ".join(v for part in parts for v in example.values(part)[:1])
    if len(joined) > 0 and joined not in names:
        names.append(joined)
    identifiers: list[str] = []
    for prop in _ID_PROPS:
        identifiers.extend(v for v in example.values(prop) if v not in identifiers)
    country = None
    for prop in _COUNTRY_PROPS:
        for value in example.values(prop):
            country = country or country_code(value)
    birth = None
    for prop in _DATE_PROPS:
        for value in example.values(prop):
            birth = birth or parse_partial_date(value)
    if len(names) == 0 and len(identifiers) == 0:
        raise InvalidQuery("properties", "a query needs a name or an identifier")
    queries: list[Query] = []
    for name in names:
        ident = identifiers[0] if len(identifiers) > 0 else None
        queries.append(Query(name[:1000], schema, country, birth, ident))
    for ident in identifiers[1 if len(names) > 0 else 0 :]:
        queries.append(Query(names[0] if names else "", schema, country, birth, ident))
    return queries[:MAX_VARIANTS], schema


def entity_properties(entity: Entity) -> dict[str, list[str]]:
    """An entity's fields as FollowTheMoney properties (what yente clients read)."""
    props: dict[str, list[str]] = {}

    def add(prop: str, value: str | None) -> None:
        if value is not None and len(value) > 0 and value not in props.get(prop, []):
            props.setdefault(prop, []).append(value)

    kinds = {
        "primary": "name",
        "alias": "alias",
        "weak": "weakAlias",
        "former": "previousName",
    }
    for name in entity.names:
        add(kinds[name.kind.value], name.value)
    for ident in entity.identifiers:
        add(_PROP_OF_SCHEME.get(ident.scheme, "idNumber"), ident.value)
    for value in entity.birth_dates:
        add("birthDate", value.iso())
    for place in entity.birth_places:
        add("birthPlace", place)
    for code in entity.nationalities:
        add("nationality", code)
    for code in entity.citizenships:
        add("citizenship", code)
    for code in entity.countries:
        add("country", code)
    for address in entity.addresses:
        add("address", address.full)
    for title in entity.titles:
        add("position", title)
    add("gender", entity.gender)
    add("notes", entity.remarks)
    for listing in entity.listings:
        for program in listing.programs:
            add("program", program)
    add("topics", "sanction")
    return props


def evidence_json(evidence: Evidence) -> JSON:
    return {
        "score": round(evidence.score, 4),
        "query_value": evidence.query_value,
        "list_value": evidence.list_value,
        "detail": evidence.detail,
    }


def listing_json(listing: Listing) -> JSON:
    data = listing_to_dict(listing)
    data["list_title"] = list_info(listing.source).title
    data["legal_effect_text"] = describe_effect(listing.legal_effect)
    return data


def _datasets(entity: Entity) -> list[str]:
    return sorted({*entity.sources, *(x.source for x in entity.listings)})


def scored_json(hit: Hit) -> JSON:
    """A hit as yente's ``ScoredEntityResponse`` (plus listings, matched name and the
    evidence in words)."""
    entity = hit.entity
    return {
        "id": entity.id,
        "caption": entity.caption,
        "schema": entity.schema.value,
        "properties": entity_properties(entity),
        "datasets": _datasets(entity),
        "referents": [],
        "target": True,
        "score": round(hit.score, 4),
        "match": hit.match,
        "features": {e.feature: round(e.score, 4) for e in hit.evidence},
        "explanations": {e.feature: evidence_json(e) for e in hit.evidence},
        "matched_name": hit.matched_name,
        "listings": [listing_json(x) for x in entity.listings],
    }


def hit_json(hit: Hit) -> JSON:
    """A hit in Clearance's own shape (``clearance check --json``)."""
    entity = hit.entity
    return {
        "id": entity.id,
        "caption": entity.caption,
        "schema": entity.schema.value,
        "score": round(hit.score, 4),
        "match": hit.match,
        "matched_name": hit.matched_name,
        "names": [n.value for n in entity.names],
        "evidence": [{"feature": e.feature, **evidence_json(e)} for e in hit.evidence],
        "listings": [listing_json(x) for x in entity.listings],
    }


def version_json(version: ListVersion) -> JSON:
    return {
        "id": version.id,
        "source": version.source,
        "published": version.published.isoformat(),
        "published_from": version.published_from,
        "retrieved_at": version.retrieved_at.isoformat(),
        "format": version.format,
        "entity_count": version.entity_count,
        "issue_count": version.issue_count,
        "sha256": version.sha256,
    }


def _event_json(event: HistoryEvent) -> JSON:
    return {
        "event": event.kind,
        "version": version_json(event.version),
        "changes": [
            {"field": c.field, "added": list(c.added), "removed": list(c.removed)}
            for c in event.changes
        ],
    }


def entity_json(detail: EntityDetail) -> JSON:
    entity = detail.entity
    data = entity_to_dict(entity)
    data["caption"] = entity.caption
    data["listed"] = detail.in_view
    data["as_of"] = None if detail.as_of is None else detail.as_of.isoformat()
    data["datasets"] = _datasets(entity)
    data["listings"] = [
        {**listing_json(x.listing), "list_title": x.list_title} for x in detail.listings
    ]
    data["relations"] = [
        {
            "kind": r.relation.kind,
            "target_name": r.relation.target_name,
            "target_id": None if r.target is None else r.target.id,
            "target_caption": None if r.target is None else r.target.caption,
            "note": r.relation.note,
        }
        for r in detail.relations
    ]
    data["related"] = [
        {"id": e.id, "caption": e.caption, "reason": why} for e, why in detail.related
    ]
    data["provenance"] = [version_json(v) for v in detail.provenance]
    data["history"] = {
        source: [_event_json(e) for e in events]
        for source, events in detail.history.items()
    }
    return data


def summary_json(summary: SourceSummary) -> JSON:
    return {
        **version_json(summary.version),
        "versions": summary.versions,
        "first_published": summary.first_published.isoformat(),
        "age_days": summary.age_days,
        "lists": [
            {
                "code": item.code,
                "title": item.title,
                "authority": item.authority,
                "entities": item.entities,
                "legal_effects": [
                    {
                        "legal_effect": effect.value,
                        "entities": n,
                        "text": item.effect_text[effect],
                    }
                    for effect, n in sorted(item.effects.items())
                ],
            }
            for item in summary.lists
        ],
    }


def changes_json(changes: SourceChanges, limit: int | None) -> JSON:
    def cut(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return items if limit is None else items[:limit]

    return {
        "source": changes.source,
        "from": None if changes.before is None else version_json(changes.before),
        "to": None if changes.after is None else version_json(changes.after),
        "counts": {
            "added": len(changes.added),
            "removed": len(changes.removed),
            "changed": len(changes.changed),
        },
        "added": [{"id": i, "caption": c} for i, c in cut(changes.added)],
        "removed": [{"id": i, "caption": c} for i, c in cut(changes.removed)],
        "changed": [
            {
                "id": c.entity_id,
                "caption": c.caption,
                "changes": [
                    {
                        "field": f.field,
                        "added": list(f.added),
                        "removed": list(f.removed),
                    }
                    for f in c.changes
                ],
            }
            for c in cut(changes.changed)
        ],
    }


def job_json(job: UpdateJob) -> JSON:
    return {
        "id": job.id,
        "label": job.label,
        "state": job.state,
        "started_at": job.started_at.isoformat(),
        "finished_at": None if job.finished_at is None else job.finished_at.isoformat(),
        "swapped": job.swapped,
        "error": job.error,
        "outcomes": [
            {
                "source": s.source,
                "origin": s.origin,
                "status": s.status,
                "message": s.message,
            }
            for s in job.steps
        ],
    }
