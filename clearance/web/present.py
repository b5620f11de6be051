"""Presentation: the service's answers turned into plain values a template prints.

Nothing here decides anything about screening or the lists; it chooses words, orders
fields and shortens long values for reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rigour.territories import get_territory

from clearance.match import Evidence, Hit
from clearance.model import (
    Entity,
    LegalEffect,
    Listing,
    ListVersion,
    describe_effect,
    list_info,
)
from clearance.screen import EntityDetail, SourceChanges, SourceSummary
from clearance.store import FieldChange, HistoryEvent

EntityUrl = Callable[[str], str]

SHOWN_VALUES = (
    8  # values of one changed field shown in a timeline or diff before "and N more"
)
LONG_VALUE = (
    300  # characters of one changed value shown (remarks run to 1,000 and more)
)

_FEATURE_WORDS = {
    "name": "Name",
    "identifier_match": "Identifier",
    "birth_date_match": "Birth date agrees",
    "birth_date_conflict": "Birth date differs",
    "country_match": "Country agrees",
    "country_conflict": "Country differs",
    "schema_conflict": "Type differs",
}

_FIELD_WORDS = {
    "names": "Names",
    "identifiers": "Identifiers",
    "listings": "Listings",
    "addresses": "Addresses",
    "birth_dates": "Birth dates",
    "birth_places": "Birth places",
    "nationalities": "Nationalities",
    "citizenships": "Citizenships",
    "countries": "Countries",
    "titles": "Titles",
    "relations": "Relations",
    "remarks": "Remarks",
    "facts": "Other facts",
    "gender": "Gender",
    "schema": "Type",
    "vessel": "Vessel",
}

_SCHEMA_WORDS = {"Organization": "Organisation"}  # British spelling on the page


def schema_word(schema: str) -> str:
    return _SCHEMA_WORDS.get(schema, schema)


_EVENT_TAGS = {
    "listed": "added",
    "relisted": "added",
    "delisted": "removed",
    "changed": "changed",
}


def effect_label(effect: LegalEffect) -> str:
    """The few words before the colon of the plain-English statement ("Asset freeze")."""
    head, sep, _ = describe_effect(effect).partition(": ")
    return head if sep else effect.value.replace("_", " ").capitalize()


def effect_body(effect: LegalEffect) -> str:
    """The plain-English statement without its label."""
    head, sep, rest = describe_effect(effect).partition(": ")
    return rest[:1].upper() + rest[1:] if sep else head


def country_name(code: str) -> str:
    territory = get_territory(code)
    if territory is None:
        return code.upper()
    return f"{territory.name} ({code.upper()})"


def _d(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def listing(item: Listing, *, full: bool = False) -> dict[str, Any]:
    """A listing for ``_listing.html``: the list, programmes, legal effect in words and
    dates; with ``full``, also the authority's reference, Federal Register and licence
    terms (the entity page)."""
    info = list_info(item.source)
    extra: list[tuple[str, str]] = []
    if full:
        if item.authority_ref is not None:
            extra.append(("Authority's reference", item.authority_ref))
        if len(item.federal_register) > 0:
            extra.append(("Federal Register", "; ".join(item.federal_register)))
        if item.licence_requirement is not None:
            extra.append(("Licence requirement", item.licence_requirement))
        if item.licence_policy is not None:
            extra.append(("Licence review policy", item.licence_policy))
        if item.list_url is not None:
            extra.append(("Published at", item.list_url))
    return {
        "title": info.title,
        "short": info.short,
        "source": item.source,
        "via": item.via,
        "authority": item.authority,
        "programs": list(item.programs),
        "effect": item.legal_effect.value,
        "effect_label": effect_label(item.legal_effect),
        "effect_text": effect_body(item.legal_effect),
        "listed_on": _d(item.listed_on),
        "effective_on": _d(item.effective_on),
        "divestment_on": _d(item.divestment_on),
        "delisted_on": _d(item.delisted_on),
        "extra": extra,
    }


def evidence_words(evidence: Evidence) -> str:
    """One feature's evidence as a sentence: what was compared, the finding, and which
    way it moved the score."""
    label = _FEATURE_WORDS.get(
        evidence.feature, evidence.feature.replace("_", " ").capitalize()
    )
    parts = [label]
    if evidence.detail:
        parts.append(f": {evidence.detail}")
    if evidence.query_value and evidence.list_value:
        parts.append(f" – “{evidence.query_value}” against “{evidence.list_value}”")
    elif evidence.query_value and evidence.feature != "name":
        parts.append(f" – query “{evidence.query_value}”")
    way = "raises" if evidence.score >= 0 else "lowers"
    parts.append(f" ({way} the score)")
    return "".join(parts)


def hit(
    item: Hit,
    entity_url: EntityUrl,
    related: Sequence[tuple[Entity, str]] = (),
) -> dict[str, Any]:
    """A hit for ``_hit.html``; ``related``: the same party's entries on other lists."""
    entity = item.entity
    return {
        "id": entity.id,
        "url": entity_url(entity.id),
        "caption": entity.caption,
        "schema": schema_word(entity.schema.value),
        "score": item.score,
        "match": item.match,
        "matched_name": item.matched_name,
        "evidence": [evidence_words(e) for e in item.evidence],
        "listings": [listing(x) for x in entity.listings],
        "related": [
            {
                "caption": other.caption,
                "url": entity_url(other.id),
                "lists": _lists_of(other),
                "reason": why,
            }
            for other, why in related
        ],
    }


def _identifier(entity: Entity) -> list[str]:
    out = []
    for ident in entity.identifiers:
        label = ident.label or ident.scheme.value.replace("_", " ")
        text = f"{label}: {ident.value}"
        notes = [country_name(ident.country)] if ident.country else []
        if ident.note:
            notes.append(ident.note)
        out.append(text + (f" ({'; '.join(notes)})" if notes else ""))
    return out


def entity_fields(entity: Entity) -> list[tuple[str, list[str]]]:
    """Every field of an entity besides names, listings, relations and remarks (which the
    page shows in their own sections), as (label, values); empty fields left out."""
    fields: list[tuple[str, list[str]]] = [
        ("Identifiers", _identifier(entity)),
        ("Birth dates", [str(d) for d in entity.birth_dates]),
        ("Birth places", list(entity.birth_places)),
        ("Nationalities", [country_name(c) for c in entity.nationalities]),
        ("Citizenships", [country_name(c) for c in entity.citizenships]),
        ("Countries", [country_name(c) for c in entity.countries]),
        ("Gender", [] if entity.gender is None else [entity.gender]),
        ("Titles and positions", list(entity.titles)),
        ("Addresses", [a.full for a in entity.addresses]),
    ]
    if entity.vessel is not None:
        v = entity.vessel
        fields.append(
            (
                "Vessel",
                [
                    f"{label}: {value}"
                    for label, value in (
                        ("type", v.vessel_type),
                        ("flag", v.flag),
                        ("owner", v.owner),
                        ("tonnage", v.tonnage),
                        ("gross registered tonnage", v.gross_registered_tonnage),
                        ("built", v.built),
                    )
                    if value
                ],
            )
        )
    for fact in entity.facts:
        fields.append((fact.label, [fact.value]))
    return [(label, values) for label, values in fields if len(values) > 0]


def _cut(value: str) -> str:
    return value if len(value) <= LONG_VALUE else value[: LONG_VALUE - 1] + "…"


def field_change(change: FieldChange) -> dict[str, Any]:
    shown_added = [_cut(x) for x in change.added[:SHOWN_VALUES]]
    shown_removed = [_cut(x) for x in change.removed[:SHOWN_VALUES]]
    more = (
        len(change.added) + len(change.removed) - len(shown_added) - len(shown_removed)
    )
    note = None
    if change.added == ("(order changed)",):
        note, shown_added = "order changed", []
    return {
        "field": _FIELD_WORDS.get(change.field, change.field.replace("_", " ")),
        "added": shown_added,
        "removed": shown_removed,
        "more": more,
        "note": note,
    }


def timeline(
    history: dict[str, list[HistoryEvent]],
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Per source (its title and code), the entity's events across list versions, oldest
    first."""
    out = []
    for source, events in sorted(history.items()):
        out.append(
            (
                f"{list_info(source).title} ({source})",
                [
                    {
                        "kind": e.kind,
                        "tag": _EVENT_TAGS.get(e.kind, ""),
                        "published": e.version.published.isoformat(),
                        "version_id": e.version.id,
                        "changes": [field_change(c) for c in e.changes],
                    }
                    for e in events
                ],
            )
        )
    return out


def _lists_of(entity: Entity) -> str:
    return ", ".join(sorted({list_info(x.source).short for x in entity.listings}))


def entity_page(detail: EntityDetail, entity_url: EntityUrl) -> dict[str, Any]:
    entity = detail.entity
    relations = []
    for item in detail.relations:
        target = item.target
        relations.append(
            {
                "kind": item.relation.kind.replace("_", " "),
                "name": item.relation.target_name if target is None else target.caption,
                "url": None if target is None else entity_url(target.id),
                "note": item.relation.note,
            }
        )
    return {
        "id": entity.id,
        "caption": entity.caption,
        "schema": schema_word(entity.schema.value),
        "in_view": detail.in_view,
        "names": [
            {"value": n.value, "kind": n.kind.value, "script": n.script}
            for n in entity.names
        ],
        "listings": [listing(x.listing, full=True) for x in detail.listings],
        "fields": entity_fields(entity),
        "relations": relations,
        "related": [
            {
                "caption": other.caption,
                "url": entity_url(other.id),
                "lists": _lists_of(other),
                "reason": why,
            }
            for other, why in detail.related
        ],
        "provenance": [
            {"source": v.source, "id": v.id, "published": v.published.isoformat()}
            for v in detail.provenance
        ],
        "remarks": entity.remarks,
    }


@dataclass(frozen=True, slots=True)
class Effect:
    label: str
    text: str
    entities: int


def lists_page(summaries: Sequence[SourceSummary]) -> dict[str, Any]:
    """Sources (newest version of each) and, per official list, its legal effects."""
    sources = []
    by_list: dict[str, dict[str, Any]] = {}
    for s in summaries:
        info = list_info(s.source)
        sources.append(
            {
                "source": s.source,
                "title": info.title,
                "authority": info.authority,
                "published": s.version.published.isoformat(),
                "version_id": s.version.id,
                "versions": s.versions,
                "entities": s.version.entity_count,
                "age_days": s.age_days,
            }
        )
        for item in s.lists:
            entry = by_list.setdefault(
                item.code,
                {
                    "code": item.code,
                    "title": item.title,
                    "authority": item.authority,
                    "entities": 0,
                    "through": [],
                    "effects": {},
                },
            )
            entry["entities"] = max(entry["entities"], item.entities)
            entry["through"].append(s.source)
            for effect, n in item.effects.items():
                entry["effects"][effect] = max(entry["effects"].get(effect, 0), n)
    lists = []
    for code in sorted(by_list):
        entry = by_list[code]
        effects = [
            Effect(effect_label(e), effect_body(e), n)
            for e, n in sorted(entry["effects"].items(), key=lambda x: -x[1])
        ]
        through = [s for s in entry["through"] if s != code]
        lists.append(
            {
                **entry,
                "through": ", ".join(through),
                "effects": effects,
            }
        )
    return {"sources": sources, "lists": lists}


def _version(v: ListVersion | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "id": v.id,
        "published": v.published.isoformat(),
        "entities": v.entity_count,
    }


def changes_page(
    items: Sequence[SourceChanges], entity_url: EntityUrl, shown: int
) -> list[dict[str, Any]]:
    """Per source: the two versions compared, counts, and the first ``shown`` entities
    added, removed and changed (with the changed fields)."""
    out = []
    for c in items:
        out.append(
            {
                "source": c.source,
                "title": list_info(c.source).title,
                "same": c.before is not None
                and c.after is not None
                and c.before.id == c.after.id,
                "before": _version(c.before),
                "after": _version(c.after),
                "counts": {
                    "added": len(c.added),
                    "removed": len(c.removed),
                    "changed": len(c.changed),
                },
                "added": [
                    {"id": i, "caption": name, "url": entity_url(i)}
                    for i, name in c.added[:shown]
                ],
                "removed": [
                    {"id": i, "caption": name, "url": entity_url(i)}
                    for i, name in c.removed[:shown]
                ],
                "changed": [
                    {
                        "id": x.entity_id,
                        "caption": x.caption,
                        "url": entity_url(x.entity_id),
                        "fields": ", ".join(
                            _FIELD_WORDS.get(f.field, f.field) for f in x.changes
                        ),
                    }
                    for x in c.changed[:shown]
                ],
            }
        )
    return out


def latest_versions(versions: Sequence[ListVersion]) -> list[dict[str, Any]]:
    """Per source, its newest list version and the one before (versions come in
    publication order), for the changes page's starting table."""
    by_source: dict[str, list[ListVersion]] = {}
    for version in versions:
        by_source.setdefault(version.source, []).append(version)
    return [
        {
            "source": source,
            "title": list_info(source).title,
            "newest": items[-1].published.isoformat(),
            "previous": items[-2].published.isoformat() if len(items) > 1 else None,
            "versions": len(items),
        }
        for source, items in sorted(by_source.items())
    ]
