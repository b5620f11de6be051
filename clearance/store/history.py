"""Diffs between two versions of a source, and an entity's timeline across versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearance.errors import InvalidQuery, NotFound
from clearance.model import ListVersion, entity_to_dict
from clearance.store.core import Store


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # "names", "addresses", "listings", ...
    added: tuple[str, ...]  # values present only after (rendered as text)
    removed: tuple[str, ...]  # values present only before


@dataclass(frozen=True, slots=True)
class EntityChange:
    entity_id: str
    caption: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class Diff:
    source: str
    before: ListVersion
    after: ListVersion
    added: tuple[tuple[str, str], ...]  # (entity id, caption)
    removed: tuple[tuple[str, str], ...]
    changed: tuple[EntityChange, ...]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    kind: str  # "listed" | "changed" | "delisted" | "relisted"
    version: ListVersion
    changes: tuple[FieldChange, ...] = ()


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _item(field: str, value: Any) -> str:
    """One value of a field as a reader would write it (``tax_id 770202363089``)."""
    if not isinstance(value, dict):
        return _text(value)
    if field == "names":
        return f"{value['value']} ({value['kind']})"
    if field == "identifiers":
        return f"{value.get('label') or value['scheme']} {value['value']}"
    if field == "listings":
        programs = ", ".join(value.get("programs", []))
        dates = ", ".join(
            f"{k.removesuffix('_on')} {value[k]}"
            for k in ("listed_on", "effective_on", "divestment_on", "delisted_on")
            if k in value
        )
        via = f" via {value['via']}" if "via" in value else ""
        text = f"{value['source']} [{programs}] {value['legal_effect']}{via}"
        return f"{text} ({dates})" if dates else text
    if field == "addresses":
        return str(value["full"])
    if field == "facts":
        return f"{value['label']}: {value['value']}"
    if field == "relations":
        return f"{value['kind']} {value.get('target_name', '')} {value.get('target_id', '')}"
    return _text(value)


def _without(data: dict[str, Any], ignore: frozenset[str]) -> dict[str, Any]:
    """Drop what one of the compared files cannot carry at all (e.g. aliases in an
    sdn.csv-only snapshot), so a gap in a file is not reported as a change to every entity."""
    out = {k: v for k, v in data.items() if k not in ignore}
    out["names"] = [
        n for n in data.get("names", []) if f"names:{n['kind']}" not in ignore
    ]
    return out


def compare_records(
    before: dict[str, Any], after: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> tuple[FieldChange, ...]:
    """Field-by-field changes between two entity records (codec dicts)."""
    if len(ignore) > 0:
        before, after = _without(before, ignore), _without(after, ignore)
    changes: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        if key == "sources":
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        old_items = (
            [_item(key, x) for x in old]
            if isinstance(old, list)
            else ([] if old is None else [_item(key, old)])
        )
        new_items = (
            [_item(key, x) for x in new]
            if isinstance(new, list)
            else ([] if new is None else [_item(key, new)])
        )
        added = tuple(x for x in new_items if x not in old_items)
        removed = tuple(x for x in old_items if x not in new_items)
        if len(added) == 0 and len(removed) == 0:
            added = ("(order changed)",)
        changes.append(FieldChange(key, added, removed))
    return tuple(changes)


def diff_versions(store: Store, before: ListVersion, after: ListVersion) -> Diff:
    """Entities added, removed and changed between two versions of one source."""
    if before.source != after.source:
        raise InvalidQuery("version", "both versions must belong to the same source")
    old = store.version_members(before.id)
    new = store.version_members(after.id)
    ignore = store.version_lacks(before.id) | store.version_lacks(after.id)
    changed_ids = sorted(e for e in old.keys() & new.keys() if old[e] != new[e])
    records = store.records(
        [
            *(new[e] for e in new.keys() - old.keys()),
            *(old[e] for e in old.keys() - new.keys()),
            *(old[e] for e in changed_ids),
            *(new[e] for e in changed_ids),
        ]
    )
    added = tuple(
        sorted(
            ((eid, records[new[eid]].caption) for eid in new.keys() - old.keys()),
            key=lambda x: x[1],
        )
    )
    removed = tuple(
        sorted(
            ((eid, records[old[eid]].caption) for eid in old.keys() - new.keys()),
            key=lambda x: x[1],
        )
    )
    changed: list[EntityChange] = []
    for eid in changed_ids:
        a, b = records[old[eid]], records[new[eid]]
        changes = compare_records(entity_to_dict(a), entity_to_dict(b), ignore)
        if len(changes) > 0:
            changed.append(EntityChange(eid, b.caption, changes))
    changed.sort(key=lambda c: c.caption)
    return Diff(before.source, before, after, added, removed, tuple(changed))


def entity_history(store: Store, entity_id: str) -> dict[str, list[HistoryEvent]]:
    """Per source file, the timeline of one entity across every version of that source."""
    memberships = dict(store.memberships(entity_id))
    if len(memberships) == 0:
        raise NotFound("entity", entity_id, "in no imported list version")
    sources = sorted({store.version(v).source for v in memberships})
    timelines: dict[str, list[HistoryEvent]] = {}
    for source in sources:
        events: list[HistoryEvent] = []
        previous_hash: str | None = None
        previous_version: ListVersion | None = None
        ever = False
        for version in store.versions(source):
            record_hash = memberships.get(version.id)
            if record_hash is None:
                if previous_hash is not None:
                    events.append(HistoryEvent("delisted", version))
                previous_hash = None
            elif previous_hash is None:
                events.append(HistoryEvent("relisted" if ever else "listed", version))
                ever = True
                previous_hash = record_hash
            elif record_hash != previous_hash:
                assert previous_version is not None
                ignore = store.version_lacks(previous_version.id) | store.version_lacks(
                    version.id
                )
                changes = compare_records(
                    entity_to_dict(store.record(previous_hash)),
                    entity_to_dict(store.record(record_hash)),
                    ignore,
                )
                if len(changes) > 0:
                    events.append(HistoryEvent("changed", version, changes))
                previous_hash = record_hash
            previous_version = version
        timelines[source] = events
    return timelines
