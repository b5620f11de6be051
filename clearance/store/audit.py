"""The audit trail: append-only records, each chained to the one before by its hash.

A record's hash is SHA-256 over the previous record's hash and the canonical JSON (sorted
keys, no spaces, UTF-8) of its own id, time, event, actor and payload. Editing a row changes
its hash; deleting one breaks the next row's link; cutting off the newest rows is caught by
the head (last id and hash) kept in ``meta``. Whoever can rewrite the whole database can
rewrite the chain too: export it (``clearance audit export``) to keep a copy elsewhere.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from clearance.errors import NotFound
from clearance.store._sql import execute, now, transaction
from clearance.store.db import Database

if TYPE_CHECKING:
    from clearance.store.core import Store

_HEAD = "audit_head"

JsonValue = object  # what json.dumps accepts: dicts, lists, str, int, float, bool, None


def canonical_json(value: object) -> str:
    """The one serialisation hashed everywhere: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def digest(value: object) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``: results and query digests."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def local_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without one)
        return "unknown"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: str
    event: str
    actor: str
    payload: Mapping[str, JsonValue]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "at": self.at,
            "event": self.event,
            "actor": self.actor,
            "payload": dict(self.payload),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of ``AuditLog.verify``: ``ok`` when every link holds."""

    checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return len(self.problems) == 0


def record_hash(
    prev_hash: str, record_id: int, at: str, event: str, actor: str, payload: str
) -> str:
    body = canonical_json(
        {
            "id": record_id,
            "at": at,
            "event": event,
            "actor": actor,
            "payload": json.loads(payload),
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append_record(
    db: Database,
    event: str,
    actor: str,
    payload: Mapping[str, JsonValue],
) -> AuditRecord:
    """Append one chained record (inside the caller's transaction, or its own)."""
    text = canonical_json(dict(payload))
    at = now()
    with transaction(db):
        row = execute(
            db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        prev = "" if row is None else str(row[1])
        # ids follow on with no gap (verify counts a gap as deleted records), so the id
        # is chosen here, under the transaction's write lock, never by an id sequence: a
        # PostgreSQL identity would skip the ids of rolled-back inserts
        record_id = 1 if row is None else int(row[0]) + 1
        value = record_hash(prev, record_id, at, event, actor, text)
        execute(
            db,
            "INSERT INTO audit_log (id, at, event, actor, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record_id, at, event, actor, text, prev, value),
        )
        execute(db, "DELETE FROM meta WHERE key = ?", (_HEAD,))
        execute(
            db,
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            (_HEAD, f"{record_id}:{value}"),
        )
    return AuditRecord(record_id, at, event, actor, json.loads(text), prev, value)


def adopt_legacy(db: Database) -> None:
    """Chain the rows of the older, unchained ``audit`` table (imports, refusals, failures)
    once, when the chained trail is still empty, so a store's history starts complete."""
    if execute(db, "SELECT id FROM audit_log LIMIT 1").fetchone() is not None:
        return  # the usual case, without taking the write lock
    with transaction(db):
        if execute(db, "SELECT id FROM audit_log LIMIT 1").fetchone() is not None:
            return  # another process adopted them first
        rows = execute(
            db, "SELECT at, event, source, version_id, detail FROM audit ORDER BY id"
        ).fetchall()
        for at, event, source, version_id, detail in rows:
            payload = {"source": source, "version_id": version_id, **json.loads(detail)}
            payload["recorded_at"] = at
            append_record(db, str(event), "unknown", payload)


def _record(row: tuple[object, ...]) -> AuditRecord:
    record_id, at, event, actor, payload, prev, value = row
    return AuditRecord(
        int(str(record_id)),
        str(at),
        str(event),
        str(actor),
        json.loads(str(payload)),
        str(prev),
        str(value),
    )


_COLUMNS = "id, at, event, actor, payload, prev_hash, hash"


class AuditLog:
    """The store's audit trail: ``append`` for every screening, disposition, monitoring run
    and list update; ``verify`` to check the chain."""

    def __init__(self, store: Store) -> None:
        self._db = store._db

    def append(
        self, event: str, payload: Mapping[str, JsonValue], actor: str | None = None
    ) -> AuditRecord:
        """Append one record; ``actor`` defaults to the local user name."""
        return append_record(self._db, event, actor or local_user(), payload)

    def get(self, record_id: int) -> AuditRecord:
        row = execute(
            self._db, f"SELECT {_COLUMNS} FROM audit_log WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            raise NotFound("audit record", str(record_id))
        return _record(tuple(row))

    def records(self, since: date | datetime | None = None) -> Iterator[AuditRecord]:
        """Records in order, from ``since`` (a date: from its start, UTC) on."""
        if since is None:
            rows = execute(self._db, f"SELECT {_COLUMNS} FROM audit_log ORDER BY id")
        else:
            start = since.isoformat()
            rows = execute(
                self._db,
                f"SELECT {_COLUMNS} FROM audit_log WHERE at >= ? ORDER BY id",
                (start,),
            )
        for row in rows.fetchall():
            yield _record(tuple(row))

    def verify(self) -> ChainCheck:
        """Recompute every hash and link; report each break (edited, deleted or
        truncated records)."""
        problems: list[str] = []
        prev = ""
        last_id = 0
        checked = 0
        rows = execute(
            self._db, f"SELECT {_COLUMNS} FROM audit_log ORDER BY id"
        ).fetchall()
        for row in rows:
            record_id, at, event, actor, payload, prev_hash, value = row
            checked += 1
            rid = int(record_id)
            if rid != last_id + 1:
                problems.append(
                    f"records {last_id + 1}..{rid - 1} are missing (deleted)"
                )
            if str(prev_hash) != prev:
                problems.append(
                    f"record {rid}: link to the previous record is broken "
                    "(a record before it was edited or deleted)"
                )
            try:
                expected = record_hash(
                    str(prev_hash), rid, str(at), str(event), str(actor), str(payload)
                )
            except ValueError:
                expected = ""
            if expected != str(value):
                problems.append(
                    f"record {rid}: contents do not match its hash (edited)"
                )
            prev = str(value)
            last_id = rid
        head = execute(
            self._db, "SELECT value FROM meta WHERE key = ?", (_HEAD,)
        ).fetchone()
        if head is not None:
            head_id, _, head_hash = str(head[0]).partition(":")
            if int(head_id) != last_id or head_hash != prev:
                problems.append(
                    f"the newest record should be {head_id}; the chain ends at "
                    f"{last_id} (records removed from the end)"
                )
        elif checked > 0:
            problems.append("the chain's head marker is missing")
        return ChainCheck(checked, tuple(problems))
