"""Watch sets, their parties, what monitoring last knew of each hit, alerts, dispositions
and the webhook outbox: the storage side of continuous monitoring.

Parties are the user's data and are updated in place, but every addition, change or removal
appends a row to ``watch_changes`` whose id orders it: a monitoring run re-screens the
parties changed since the sequence number it last saw. Alerts and dispositions are
append-only; a new decision on an alert is a new row that names the one it supersedes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from clearance.errors import InvalidQuery, NotFound
from clearance.store._sql import execute, executemany, insert_id, now, transaction
from clearance.store.db import Database

if TYPE_CHECKING:
    from clearance.store.core import Store

_BATCH = 500


class Decision(StrEnum):
    TRUE_MATCH = "true_match"
    FALSE_POSITIVE = "false_positive"
    NEEDS_REVIEW = "needs_review"


class AlertKind(StrEnum):
    NEW_MATCH = "new_match"  # a listed entity now matches a watched party
    NEW_ALIAS_MATCH = "new_alias_match"  # it matches through a name added to the record
    LEGAL_EFFECT_CHANGED = "legal_effect_changed"  # a matched entity's legal effect
    RECORD_CHANGED = "record_changed"  # other changes to a matched entity's record
    DELISTED = "delisted"  # a matched entity left every list


@dataclass(frozen=True, slots=True)
class WatchSet:
    id: int
    name: str
    created_at: str
    description: str
    parties: int  # active parties


@dataclass(frozen=True, slots=True)
class PartyFields:
    """A party as the user gives it: their reference id and the screening fields."""

    ref: str
    name: str
    schema: str | None = None
    country: str | None = None
    birth_date: str | None = None
    identifier: str | None = None


@dataclass(frozen=True, slots=True)
class WatchedParty:
    id: int
    set_id: int
    fields: PartyFields
    active: bool

    @property
    def ref(self) -> str:
        return self.fields.ref

    def summary(self, open_alerts: int) -> dict[str, str | int | None]:
        """The party as ``watch show --json`` and ``GET /watch/{name}`` give it."""
        f = self.fields
        return {
            "ref": f.ref,
            "name": f.name,
            "schema": f.schema,
            "country": f.country,
            "birth_date": f.birth_date,
            "identifier": f.identifier,
            "open_alerts": open_alerts,
        }


@dataclass(frozen=True, slots=True)
class ImportCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class HitState:
    """What the last run knew of one (party, listed entity) pair."""

    party_id: int
    entity_id: str
    record_hash: str
    score: float
    matched: bool
    listed: bool
    version_id: int | None
    record: Mapping[str, object]  # the listed entity as last screened (codec dict)


@dataclass(frozen=True, slots=True)
class NewAlert:
    party_id: int
    entity_id: str
    kind: AlertKind
    source: str | None
    version_id: int | None
    score: float
    matched_name: str | None
    record_hash: str
    record: Mapping[str, object]  # the listed entity (codec dict)
    detail: Mapping[str, object]  # what changed, evidence


@dataclass(frozen=True, slots=True)
class Disposition:
    id: int
    alert_id: int
    party_id: int
    entity_id: str
    decision: Decision
    reason: str
    decided_by: str
    at: str
    record_hash: str
    supersedes: int | None


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    created_at: str
    run_id: int | None
    set_name: str
    party: WatchedParty
    entity_id: str
    kind: AlertKind
    source: str | None
    version_id: int | None
    score: float
    matched_name: str | None
    record_hash: str
    record: Mapping[str, object]
    detail: Mapping[str, object]
    dispositions: tuple[Disposition, ...] = field(default=())  # oldest first
    still_listed: bool = True

    @property
    def disposition(self) -> Disposition | None:
        return self.dispositions[-1] if len(self.dispositions) > 0 else None

    @property
    def is_open(self) -> bool:
        """Open until decided; a true match stays open while the entity is listed."""
        current = self.disposition
        if current is None or current.decision is Decision.NEEDS_REVIEW:
            return True
        if current.decision is Decision.TRUE_MATCH:
            return self.still_listed and self.kind is not AlertKind.DELISTED
        return False


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    body: str
    attempts: int


_PARTY_COLUMNS = (
    "id, set_id, ref, name, schema, country, birth_date, identifier, active"
)


def _party(row: Sequence[object]) -> WatchedParty:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return WatchedParty(
        int(str(row[0])),
        int(str(row[1])),
        PartyFields(
            str(row[2]),
            str(row[3]),
            text(row[4]),
            text(row[5]),
            text(row[6]),
            text(row[7]),
        ),
        bool(row[8]),
    )


def _values(fields: PartyFields) -> tuple[str | None, ...]:
    return (
        fields.name,
        fields.schema,
        fields.country,
        fields.birth_date,
        fields.identifier,
    )


class WatchStore:
    """Watch sets, parties, hits, alerts and dispositions over one ``Store``."""

    def __init__(self, store: Store) -> None:
        self._db: Database = store._db

    # -- watch sets --------------------------------------------------------------------

    def create_set(self, name: str, description: str = "") -> WatchSet:
        if len(name.strip()) == 0:
            raise InvalidQuery("name", "a watch set needs a name")
        with transaction(self._db):
            exists = execute(
                self._db, "SELECT id FROM watch_sets WHERE name = ?", (name,)
            ).fetchone()
            if exists is not None:
                raise InvalidQuery("name", f"watch set {name!r} exists already")
            insert_id(
                self._db,
                "INSERT INTO watch_sets (name, created_at, description) VALUES (?, ?, ?) "
                "RETURNING id",
                (name, now(), description),
            )
        return self.get_set(name)

    def get_set(self, name: str) -> WatchSet:
        for item in self.sets():
            if item.name == name:
                return item
        known = ", ".join(s.name for s in self.sets()) or "none yet"
        raise NotFound("watch set", name, f"known: {known}")

    def sets(self) -> list[WatchSet]:
        rows = execute(
            self._db,
            "SELECT s.id, s.name, s.created_at, s.description, "
            "COUNT(p.id) FROM watch_sets s LEFT JOIN watch_parties p "
            "ON p.set_id = s.id AND p.active = 1 GROUP BY s.id, s.name, s.created_at, "
            "s.description ORDER BY s.name",
        ).fetchall()
        return [
            WatchSet(int(i), str(n), str(c), str(d), int(k)) for i, n, c, d, k in rows
        ]

    # -- parties -----------------------------------------------------------------------

    def upsert_parties(
        self,
        set_id: int,
        parties: Iterable[PartyFields],
        keys_of: Callable[[PartyFields], Iterable[str]],
    ) -> ImportCounts:
        """Add new parties and update changed ones (by reference id), in one transaction;
        ``keys_of`` gives a party's lookup keys for reverse screening."""
        added = changed = unchanged = 0
        at = now()
        chunk: list[PartyFields] = []
        with transaction(self._db):
            for fields in parties:
                chunk.append(fields)
                if len(chunk) >= _BATCH:
                    a, c, u = self._upsert_chunk(set_id, chunk, keys_of, at)
                    added, changed, unchanged = added + a, changed + c, unchanged + u
                    chunk = []
            if len(chunk) > 0:
                a, c, u = self._upsert_chunk(set_id, chunk, keys_of, at)
                added, changed, unchanged = added + a, changed + c, unchanged + u
        return ImportCounts(added, changed, unchanged)

    def _upsert_chunk(
        self,
        set_id: int,
        chunk: list[PartyFields],
        keys_of: Callable[[PartyFields], Iterable[str]],
        at: str,
    ) -> tuple[int, int, int]:
        by_ref = {f.ref: f for f in chunk}  # the last row of a reference id wins
        marks = ",".join("?" * len(by_ref))
        existing = {
            p.ref: p
            for p in map(
                _party,
                execute(
                    self._db,
                    f"SELECT {_PARTY_COLUMNS} FROM watch_parties WHERE set_id = ? "
                    f"AND ref IN ({marks})",
                    [set_id, *by_ref],
                ).fetchall(),
            )
        }
        added = changed = unchanged = 0
        touched: list[tuple[int, PartyFields]] = []
        new = [fields for ref, fields in by_ref.items() if ref not in existing]
        if len(new) > 0:  # in one statement (COPY on PostgreSQL), then their new ids
            executemany(
                self._db,
                "INSERT INTO watch_parties (set_id, ref, name, schema, country, "
                "birth_date, identifier, active, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((set_id, f.ref, *_values(f), 1, at) for f in new),
            )
            marks = ",".join("?" * len(new))
            ids = dict(
                execute(
                    self._db,
                    f"SELECT ref, id FROM watch_parties WHERE set_id = ? "
                    f"AND ref IN ({marks})",
                    [set_id, *(f.ref for f in new)],
                ).fetchall()
            )
            touched.extend((int(ids[f.ref]), f) for f in new)
            added = len(new)
        for ref, fields in by_ref.items():
            old = existing.get(ref)
            if old is None:
                continue
            if old.active and old.fields == fields:
                unchanged += 1
                continue
            execute(
                self._db,
                "UPDATE watch_parties SET name = ?, schema = ?, country = ?, "
                "birth_date = ?, identifier = ?, active = 1, updated_at = ? "
                "WHERE id = ?",
                (*_values(fields), at, old.id),
            )
            execute(self._db, "DELETE FROM watch_keys WHERE party_id = ?", (old.id,))
            changed += 1
            touched.append((old.id, fields))
        executemany(
            self._db,
            "INSERT OR IGNORE INTO watch_keys (key, party_id) VALUES (?, ?)",
            ((key, pid) for pid, fields in touched for key in set(keys_of(fields))),
        )
        executemany(
            self._db,
            "INSERT INTO watch_changes (party_id, at) VALUES (?, ?)",
            ((pid, at) for pid, _ in touched),
        )
        return added, changed, unchanged

    def remove_party(self, set_id: int, ref: str) -> WatchedParty:
        with transaction(self._db):
            row = execute(
                self._db,
                f"SELECT {_PARTY_COLUMNS} FROM watch_parties WHERE set_id = ? AND ref = ? "
                "AND active = 1",
                (set_id, ref),
            ).fetchone()
            if row is None:
                raise NotFound("watched party", ref)
            party = _party(row)
            execute(
                self._db,
                "UPDATE watch_parties SET active = 0, updated_at = ? WHERE id = ?",
                (now(), party.id),
            )
            execute(self._db, "DELETE FROM watch_keys WHERE party_id = ?", (party.id,))
            execute(self._db, "DELETE FROM watch_hits WHERE party_id = ?", (party.id,))
            execute(
                self._db,
                "INSERT INTO watch_changes (party_id, at) VALUES (?, ?)",
                (party.id, now()),
            )
        return party

    def parties(self, set_id: int, limit: int | None = None) -> list[WatchedParty]:
        sql = (
            f"SELECT {_PARTY_COLUMNS} FROM watch_parties WHERE set_id = ? AND active = 1 "
            "ORDER BY ref"
        )
        params: list[object] = [set_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_party(r) for r in execute(self._db, sql, params).fetchall()]

    def parties_by_id(self, party_ids: Iterable[int]) -> dict[int, WatchedParty]:
        ids = sorted(set(party_ids))
        out: dict[int, WatchedParty] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for row in execute(
                self._db,
                f"SELECT {_PARTY_COLUMNS} FROM watch_parties WHERE id IN ({marks})",
                chunk,
            ).fetchall():
                party = _party(row)
                out[party.id] = party
        return out

    def active_party_ids(self) -> list[int]:
        return [
            int(r[0])
            for r in execute(
                self._db, "SELECT id FROM watch_parties WHERE active = 1 ORDER BY id"
            ).fetchall()
        ]

    def changes_since(self, seq: int) -> tuple[set[int], int]:
        """Parties added, changed or removed after change ``seq``, and the newest seq."""
        rows = execute(
            self._db,
            "SELECT id, party_id FROM watch_changes WHERE id > ? ORDER BY id",
            (seq,),
        ).fetchall()
        newest = max((int(r[0]) for r in rows), default=seq)
        return {int(r[1]) for r in rows}, newest

    def key_counts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many parties carry each lookup key (keys carried by none are left out)."""
        wanted = sorted(set(keys))
        out: dict[str, int] = {}
        for start in range(0, len(wanted), _BATCH):  # one round trip per batch of keys
            chunk = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for key, count in execute(
                self._db,
                f"SELECT key, COUNT(*) FROM watch_keys WHERE key IN ({marks}) "
                "GROUP BY key",
                chunk,
            ).fetchall():
                out[str(key)] = int(count)
        return out

    def parties_with_keys(self, keys: Iterable[str]) -> dict[str, list[int]]:
        """The parties carrying each key, in party id order (keys carried by none are
        left out)."""
        wanted = sorted(set(keys))
        out: dict[str, list[int]] = {}
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for key, party_id in execute(
                self._db,
                f"SELECT key, party_id FROM watch_keys WHERE key IN ({marks}) "
                "ORDER BY key, party_id",
                chunk,
            ).fetchall():
                out.setdefault(str(key), []).append(int(party_id))
        return out

    def party_count(self) -> int:
        row = execute(
            self._db, "SELECT COUNT(*) FROM watch_parties WHERE active = 1"
        ).fetchone()
        return 0 if row is None else int(row[0])

    # -- hits --------------------------------------------------------------------------

    def hits_for_entities(self, entity_ids: Iterable[str]) -> list[HitState]:
        return self._hits("entity_id", sorted(set(entity_ids)))

    def hits_for_parties(self, party_ids: Iterable[int]) -> list[HitState]:
        return self._hits("party_id", sorted(set(party_ids)))

    def _hits(self, column: str, values: Sequence[object]) -> list[HitState]:
        out: list[HitState] = []
        for start in range(0, len(values), _BATCH):
            chunk = list(values[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            for row in execute(
                self._db,
                "SELECT party_id, entity_id, record_hash, score, matched, listed, "
                f"version_id, record FROM watch_hits WHERE {column} IN ({marks})",
                chunk,
            ).fetchall():
                out.append(
                    HitState(
                        int(row[0]),
                        str(row[1]),
                        str(row[2]),
                        float(row[3]),
                        bool(row[4]),
                        bool(row[5]),
                        None if row[6] is None else int(row[6]),
                        json.loads(str(row[7])),
                    )
                )
        return out

    def put_hit(self, hit: HitState) -> None:
        execute(
            self._db,
            "DELETE FROM watch_hits WHERE party_id = ? AND entity_id = ?",
            (hit.party_id, hit.entity_id),
        )
        execute(
            self._db,
            "INSERT INTO watch_hits (party_id, entity_id, record_hash, score, matched, "
            "listed, version_id, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hit.party_id,
                hit.entity_id,
                hit.record_hash,
                hit.score,
                int(hit.matched),
                int(hit.listed),
                hit.version_id,
                json.dumps(dict(hit.record), ensure_ascii=False, default=str),
            ),
        )

    def drop_hit(self, party_id: int, entity_id: str) -> None:
        execute(
            self._db,
            "DELETE FROM watch_hits WHERE party_id = ? AND entity_id = ?",
            (party_id, entity_id),
        )

    # -- alerts and dispositions -------------------------------------------------------

    def add_alert(self, alert: NewAlert, run_id: int | None) -> int:
        row = execute(
            self._db, "SELECT set_id FROM watch_parties WHERE id = ?", (alert.party_id,)
        ).fetchone()
        if row is None:
            raise NotFound("watched party", str(alert.party_id))
        return insert_id(
            self._db,
            "INSERT INTO alerts (created_at, run_id, set_id, party_id, entity_id, kind, "
            "source, version_id, score, matched_name, record_hash, record, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                now(),
                run_id,
                int(row[0]),
                alert.party_id,
                alert.entity_id,
                alert.kind.value,
                alert.source,
                alert.version_id,
                alert.score,
                alert.matched_name,
                alert.record_hash,
                json.dumps(dict(alert.record), ensure_ascii=False, default=str),
                json.dumps(dict(alert.detail), ensure_ascii=False, default=str),
            ),
        )

    _ALERT_COLUMNS = (
        "a.id, a.created_at, a.run_id, s.name, a.party_id, a.entity_id, a.kind, a.source, "
        "a.version_id, a.score, a.matched_name, a.record_hash, a.record, a.detail"
    )

    def alerts(
        self,
        *,
        set_name: str | None = None,
        alert_ids: Sequence[int] | None = None,
        party_id: int | None = None,
        entity_id: str | None = None,
        open_only: bool = False,
    ) -> list[Alert]:
        """Alerts, newest first, with their dispositions (oldest first)."""
        sql = (
            f"SELECT {self._ALERT_COLUMNS} FROM alerts a JOIN watch_sets s "
            "ON s.id = a.set_id WHERE 1 = 1"
        )
        params: list[object] = []
        if set_name is not None:
            self.get_set(set_name)  # NotFound for an unknown set
            sql += " AND s.name = ?"
            params.append(set_name)
        if alert_ids is not None:
            if len(alert_ids) == 0:
                return []
            sql += f" AND a.id IN ({','.join('?' * len(alert_ids))})"
            params.extend(alert_ids)
        if party_id is not None:
            sql += " AND a.party_id = ?"
            params.append(party_id)
        if entity_id is not None:
            sql += " AND a.entity_id = ?"
            params.append(entity_id)
        sql += " ORDER BY a.id DESC"
        rows = execute(self._db, sql, params).fetchall()
        parties = self.parties_by_id(int(r[4]) for r in rows)
        decisions = self._dispositions([int(r[0]) for r in rows])
        listed = self._listed({(int(r[4]), str(r[5])) for r in rows})
        out: list[Alert] = []
        for row in rows:
            alert_id, party, entity = int(row[0]), int(row[4]), str(row[5])
            alert = Alert(
                id=alert_id,
                created_at=str(row[1]),
                run_id=None if row[2] is None else int(row[2]),
                set_name=str(row[3]),
                party=parties[party],
                entity_id=entity,
                kind=AlertKind(str(row[6])),
                source=None if row[7] is None else str(row[7]),
                version_id=None if row[8] is None else int(row[8]),
                score=float(row[9]),
                matched_name=None if row[10] is None else str(row[10]),
                record_hash=str(row[11]),
                record=json.loads(str(row[12])),
                detail=json.loads(str(row[13])),
                dispositions=tuple(decisions.get(alert_id, ())),
                still_listed=listed.get((party, entity), False),
            )
            if open_only and not alert.is_open:
                continue
            out.append(alert)
        return out

    def open_alert_counts(self, set_name: str) -> dict[int, int]:
        """Open alerts of each watched party of one set, by party id."""
        counts: dict[int, int] = {}
        for item in self.alerts(set_name=set_name, open_only=True):
            counts[item.party.id] = counts.get(item.party.id, 0) + 1
        return counts

    def alert(self, alert_id: int) -> Alert:
        found = self.alerts(alert_ids=[alert_id])
        if len(found) == 0:
            raise NotFound("alert", str(alert_id))
        return found[0]

    def _listed(self, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], bool]:
        out: dict[tuple[int, str], bool] = {}
        for hit in self.hits_for_parties(p for p, _ in pairs):
            out[(hit.party_id, hit.entity_id)] = hit.listed and hit.matched
        return out

    def _dispositions(self, alert_ids: Sequence[int]) -> dict[int, list[Disposition]]:
        out: dict[int, list[Disposition]] = {}
        for start in range(0, len(alert_ids), _BATCH):
            chunk = list(alert_ids[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            for row in execute(
                self._db,
                f"SELECT {_DISPOSITION_COLUMNS} FROM dispositions WHERE alert_id IN "
                f"({marks}) ORDER BY id",
                chunk,
            ).fetchall():
                item = _disposition(row)
                out.setdefault(item.alert_id, []).append(item)
        return out

    def dispose(
        self, alert_id: int, decision: Decision, reason: str, decided_by: str
    ) -> Disposition:
        """Record a decision on an alert; an earlier decision on the same pair is kept
        and named as superseded."""
        if len(reason.strip()) == 0:
            raise InvalidQuery("--reason", "a decision needs a reason")
        alert = self.alert(alert_id)
        with transaction(self._db):
            previous = self.latest_disposition(alert.party.id, alert.entity_id)
            new_id = insert_id(
                self._db,
                "INSERT INTO dispositions (alert_id, party_id, entity_id, decision, reason, "
                "decided_by, at, record_hash, supersedes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    alert_id,
                    alert.party.id,
                    alert.entity_id,
                    decision.value,
                    reason.strip(),
                    decided_by,
                    now(),
                    alert.record_hash,
                    None if previous is None else previous.id,
                ),
            )
        row = execute(
            self._db,
            f"SELECT {_DISPOSITION_COLUMNS} FROM dispositions WHERE id = ?",
            (new_id,),
        ).fetchone()
        return _disposition(row)

    def latest_disposition(self, party_id: int, entity_id: str) -> Disposition | None:
        row = execute(
            self._db,
            f"SELECT {_DISPOSITION_COLUMNS} FROM dispositions WHERE party_id = ? "
            "AND entity_id = ? ORDER BY id DESC LIMIT 1",
            (party_id, entity_id),
        ).fetchone()
        return None if row is None else _disposition(row)

    def alert_record(self, alert_id: int) -> Mapping[str, object]:
        row = execute(
            self._db, "SELECT record FROM alerts WHERE id = ?", (alert_id,)
        ).fetchone()
        if row is None:
            raise NotFound("alert", str(alert_id))
        data: Mapping[str, object] = json.loads(str(row[0]))
        return data

    # -- runs, state and outbox --------------------------------------------------------

    def state(self, key: str) -> str | None:
        row = execute(
            self._db, "SELECT value FROM monitor_state WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        execute(self._db, "DELETE FROM monitor_state WHERE key = ?", (key,))
        execute(
            self._db,
            "INSERT INTO monitor_state (key, value) VALUES (?, ?)",
            (key, value),
        )

    def add_run(
        self,
        trigger: str,
        versions: Mapping[str, int],
        work: Mapping[str, int],
        alerts: int,
    ) -> int:
        return insert_id(
            self._db,
            "INSERT INTO monitor_runs (at, started_by, versions, work, alerts) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (
                now(),
                trigger,
                json.dumps(dict(versions), sort_keys=True),
                json.dumps(dict(work), sort_keys=True),
                alerts,
            ),
        )

    def enqueue(self, body: str) -> int:
        at = now()
        return insert_id(
            self._db,
            "INSERT INTO outbox (created_at, body, attempts, next_attempt_at) "
            "VALUES (?, ?, 0, ?) RETURNING id",
            (at, body, at),
        )

    def pending(self, limit: int = 100) -> list[OutboxItem]:
        rows = execute(
            self._db,
            "SELECT id, body, attempts FROM outbox WHERE delivered_at IS NULL "
            "AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (now(), limit),
        ).fetchall()
        return [OutboxItem(int(i), str(b), int(a)) for i, b, a in rows]

    def outbox_status(self) -> list[dict[str, object]]:
        rows = execute(
            self._db,
            "SELECT id, created_at, attempts, delivered_at, last_error, next_attempt_at "
            "FROM outbox ORDER BY id",
        ).fetchall()
        keys = ("id", "created_at", "attempts", "delivered_at", "last_error", "next_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def delivered(self, item_id: int, attempts: int) -> None:
        with transaction(self._db):
            execute(
                self._db,
                "UPDATE outbox SET delivered_at = ?, attempts = ?, last_error = NULL "
                "WHERE id = ?",
                (now(), attempts, item_id),
            )

    def failed(self, item_id: int, attempts: int, error: str, retry_at: str) -> None:
        with transaction(self._db):
            execute(
                self._db,
                "UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                (attempts, error[:500], retry_at, item_id),
            )

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction over everything a monitoring run changes."""
        return transaction(self._db)


_DISPOSITION_COLUMNS = (
    "id, alert_id, party_id, entity_id, decision, reason, decided_by, at, record_hash, "
    "supersedes"
)


def _disposition(row: Sequence[object]) -> Disposition:
    return Disposition(
        int(str(row[0])),
        int(str(row[1])),
        int(str(row[2])),
        str(row[3]),
        Decision(str(row[4])),
        str(row[5]),
        str(row[6]),
        str(row[7]),
        str(row[8]),
        None if row[9] is None else int(str(row[9])),
    )
