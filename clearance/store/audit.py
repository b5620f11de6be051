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
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from clearance.errors import NotFound
from clearance.store._sql import execute, executemany, now, transaction
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
    return append_records(db, [(event, actor, canonical_json(dict(payload)))])[0]


def append_records(
    db: Database, items: Sequence[tuple[str, str, str]]
) -> list[AuditRecord]:
    """Append chained records, in order, in one transaction (the caller's, or its own).

    Args:
        items: (event, actor, payload as ``canonical_json`` text) of each record.
    """
    at = now()
    out: list[AuditRecord] = []
    with transaction(db):
        row = execute(
            db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        prev = "" if row is None else str(row[1])
        # ids follow on with no gap (verify counts a gap as deleted records), so the id
        # is chosen here, under the transaction's write lock, never by an id sequence: a
        # PostgreSQL identity would skip the ids of rolled-back inserts
        record_id = 0 if row is None else int(row[0])
        rows = []
        for event, actor, text in items:
            record_id += 1
            value = record_hash(prev, record_id, at, event, actor, text)
            rows.append((record_id, at, event, actor, text, prev, value))
            out.append(
                AuditRecord(record_id, at, event, actor, json.loads(text), prev, value)
            )
            prev = value
        executemany(
            db,
            "INSERT INTO audit_log (id, at, event, actor, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        execute(db, "DELETE FROM meta WHERE key = ?", (_HEAD,))
        execute(
            db,
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            (_HEAD, f"{record_id}:{prev}"),
        )
    return out


@dataclass(slots=True)
class _Pending:
    event: str
    actor: str
    text: str  # canonical JSON of the payload, computed by the caller's thread
    record: AuditRecord | None = None
    error: Exception | None = None

    @property
    def done(self) -> bool:
        return self.record is not None or self.error is not None


class AuditWriter:
    """Appends the records of concurrent threads in grouped transactions (group commit).

    A threaded server screens many requests at once, and each appends an audit record.
    Appended one by one, every request takes the store's write lock for a transaction of
    its own: under load the threads queue on the lock, SQLite's busy handler puts them to
    sleep (1, 2, 5, 10 ms ...), and the chain's head is read and written once per record.
    Here a caller queues its record; if no one is writing, it writes everything queued
    (its own record and any that arrive meanwhile) in one transaction, and the others wait
    for that commit, then the next of them writes what queued up during it. There is no
    writer thread: alone, a caller writes its own record at once, without waking another
    thread (with the GIL, each hand-over between threads costs latency).

    ``append`` returns only once the record is committed: an API answer names its audit
    record, which exists before the client sees the answer, and nothing is left to flush
    at shutdown. The chain is the one one-by-one appends would make, in queue order.
    """

    MAX_GROUP = 256  # records per transaction: bounds one transaction's time

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[_Pending] = []
        self._writing = False
        self._changed = threading.Condition()

    def append(
        self, event: str, actor: str, payload: Mapping[str, JsonValue]
    ) -> AuditRecord:
        """Append one record (in a group with those of concurrent callers), committed
        when this returns."""
        pending = _Pending(event, actor, canonical_json(dict(payload)))
        with self._changed:
            self._queue.append(pending)
        while True:
            with self._changed:
                while self._writing and not pending.done:
                    self._changed.wait()
                if pending.done:
                    break
                # no one is writing and ours is not written: write the queue's head
                self._writing = True
                group = self._queue[: self.MAX_GROUP]
                del self._queue[: self.MAX_GROUP]
            self._write(group)
        if pending.error is not None:
            raise pending.error
        assert pending.record is not None
        return pending.record

    def _write(self, group: list[_Pending]) -> None:
        try:
            records = append_records(
                self._db, [(p.event, p.actor, p.text) for p in group]
            )
        except Exception as exc:  # noqa: BLE001  handed to each caller to raise
            for item in group:
                item.error = exc
        else:
            for item, record in zip(group, records, strict=True):
                item.record = record
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


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
        self._writer = store._audit_writer

    def append(
        self, event: str, payload: Mapping[str, JsonValue], actor: str | None = None
    ) -> AuditRecord:
        """Append one record; ``actor`` defaults to the local user name. Through the
        store's ``AuditWriter`` when it has one (a server), unless this thread is inside a
        transaction of its own (the record must join it)."""
        who = actor or local_user()
        if self._writer is not None and not self._db.in_transaction:
            return self._writer.append(event, who, payload)
        return append_record(self._db, event, who, payload)

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
