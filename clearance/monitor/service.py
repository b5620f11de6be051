"""Service functions behind the CLI (and, later, the API): each adapter call is one line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from clearance.errors import InvalidQuery
from clearance.monitor.parties import party_fields, party_keys, read_party_rows
from clearance.store import (
    Alert,
    AuditLog,
    Decision,
    Disposition,
    ImportCounts,
    Store,
    WatchedParty,
    WatchSet,
    WatchStore,
)


def create_watch_set(store: Store, name: str, description: str = "") -> WatchSet:
    return WatchStore(store).create_set(name, description)


def import_parties(
    store: Store, set_name: str, path: Path, mapping: Mapping[str, str] | None = None
) -> tuple[ImportCounts, list[str]]:
    """Add or update the parties of a CSV/XLSX file (by their reference ids); returns the
    counts and the unusable rows' reasons. All or nothing: one transaction."""
    watch = WatchStore(store)
    target = watch.get_set(set_name)
    errors: list[str] = []
    good = []
    for _, row in read_party_rows(path, mapping):
        if isinstance(row, str):
            errors.append(row)
        else:
            good.append(row)
    counts = watch.upsert_parties(target.id, good, party_keys)
    return counts, errors


def add_party(
    store: Store, set_name: str, values: Mapping[str, str | None]
) -> ImportCounts:
    """Add one party (or update the one with the same reference id)."""
    watch = WatchStore(store)
    target = watch.get_set(set_name)
    return watch.upsert_parties(target.id, [party_fields(values)], party_keys)


def remove_party(store: Store, set_name: str, ref: str) -> WatchedParty:
    watch = WatchStore(store)
    return watch.remove_party(watch.get_set(set_name).id, ref)


def list_alerts(
    store: Store, *, open_only: bool = False, set_name: str | None = None
) -> list[Alert]:
    return WatchStore(store).alerts(set_name=set_name, open_only=open_only)


def dispose_alert(
    store: Store, alert_id: int, decision: str, reason: str, decided_by: str
) -> Disposition:
    """Record an analyst's decision (versioned: an earlier one is kept) and audit it."""
    try:
        value = Decision(decision)
    except ValueError:
        options = ", ".join(d.value for d in Decision)
        raise InvalidQuery(
            "--decision", f"{decision!r}: use one of {options}"
        ) from None
    watch = WatchStore(store)
    with watch.transaction():
        item = watch.dispose(alert_id, value, reason, decided_by)
        AuditLog(store).append(
            "disposition",
            {
                "alert_id": alert_id,
                "disposition_id": item.id,
                "party_id": item.party_id,
                "entity_id": item.entity_id,
                "decision": item.decision.value,
                "reason": item.reason,
                "record_hash": item.record_hash,
                "supersedes": item.supersedes,
            },
            decided_by,
        )
    return item
