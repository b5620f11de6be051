"""The versioned store: every list version kept, imported atomically, read through views.

One database (embedded SQLite in WAL mode by default, or a PostgreSQL server; see
``clearance.store.db``): readers never block on an import, and an import is one transaction,
so a crash or an error mid-import leaves the previous version current and writes nothing.
Entity records are content-addressed; a version is the set of (entity id, record hash) pairs
it holds, which makes diffs, history and point-in-time views set operations.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType

from clearance.errors import ClearanceError, InvalidQuery, NotFound
from clearance.model import (
    Entity,
    ListVersion,
    content_hash,
    entity_from_dict,
    entity_to_dict,
    identifier_key,
    merge_entities,
)
from clearance.normalize import normalize_text
from clearance.store.audit import (
    AuditWriter,
    adopt_legacy,
    append_record,
    local_user,
)
from clearance.store.db import Database, PerThreadDatabase, open_database

SCHEMA_VERSION = 1
# DDL files run in this order by Store._migrate: schema.sql, then one file per feature
# (schema_<topic>.sql), each of CREATE ... IF NOT EXISTS statements in the portable dialect
SCHEMA_FILES = (
    "schema.sql",
    "schema_monitor.sql",
    "schema_audit.sql",
    "schema_apikeys.sql",
)
MAX_LOSS = (
    0.20  # a new version losing more than 20 % of its predecessor's entities is refused
)
DECLARED_SHORTFALL = (
    0.20  # nor one holding 20 % fewer entries than the file itself declares
)
_ISSUES_KEPT = 200  # issues stored per version; the count is always complete
_BATCH = 500
_SAME_NAME = "same name on another list"


@dataclass(frozen=True, slots=True)
class VersionMeta:
    """What the store needs to know about a list version besides its entities."""

    source: str
    published: date
    published_from: str
    retrieved_at: datetime
    sha256: str
    format: str
    origin: str
    issues: tuple[tuple[str, str], ...] = ()  # (where, reason)
    issue_count: int = 0
    declared_count: int | None = None
    lacks: tuple[
        str, ...
    ] = ()  # fields this file cannot carry, e.g. ("addresses",) for an
    #                              OFAC sdn.csv without add.csv; "names:alias" for name kinds


@dataclass(frozen=True, slots=True)
class ImportResult:
    status: str  # "added" | "unchanged" | "refused"
    source: str
    published: date
    entity_count: int
    version: ListVersion | None = None
    previous: ListVersion | None = None
    message: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record_keys(entity: Entity) -> set[str]:
    keys: set[str] = set()
    for name in entity.names:
        norm = normalize_text(name.value)
        if len(norm) == 0:
            continue
        keys.add(f"n:{norm}")
        keys.update(f"t:{tok}" for tok in norm.split())
    for ident in entity.identifiers:
        value = identifier_key(ident.value)
        if len(value) == 0:
            continue
        keys.add(f"i:{ident.scheme.value}:{value}")
        keys.add(f"v:{value}")
    return keys


class Writer:
    """Buffers one list version's entities; ``finish`` writes them in one transaction."""

    def __init__(self, store: Store, meta: VersionMeta, force: bool) -> None:
        self._store = store
        self._meta = meta
        self._force = force
        self._entities: dict[str, list[Entity]] = {}
        self.result: ImportResult | None = None

    def add(self, entity: Entity) -> None:
        self._entities.setdefault(entity.id, []).append(entity)

    def finish(self) -> ImportResult:
        entities = [merge_entities(group) for group in self._entities.values()]
        self.result = self._store._write_version(self._meta, entities, self._force)
        return self.result

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entities.clear()  # nothing was written unless finish() committed


class Store:
    """The store. Open with ``Store.open(home)`` (or ``Store.open(home, database_url)``);
    close with ``close()``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.where = db.where
        # the SQLite file, None on a server database
        self.path = Path(db.where) if db.backend == "sqlite" else None
        # tells the saved screening indexes of different databases apart (see _migrate)
        self.identity = ""
        self._audit_writer: AuditWriter | None = None  # see group_audit_writes
        try:
            self._migrate()
        except BaseException:
            db.close()
            raise

    @classmethod
    def open(
        cls, home: Path, database_url: str | None = None, *, per_thread: bool = False
    ) -> Store:
        """The embedded store in ``home`` (``clearance.db``), or the PostgreSQL database
        named by ``database_url`` (``postgresql://user@host/db``).

        Args:
            per_thread: give each thread its own connection (for a threaded server);
                by default the store has one connection, used by its creating thread.
        """
        return cls(open_database(home, database_url, per_thread=per_thread))

    def close(self) -> None:
        self._audit_writer = None
        self._db.close()

    def group_audit_writes(self) -> None:
        """From now on, group the audit records that concurrent threads append into
        shared transactions (``AuditWriter``): for a threaded server, where many requests
        each append one. Needs a store opened with ``per_thread=True``."""
        if not isinstance(self._db, PerThreadDatabase):
            raise ClearanceError("grouped audit writes need a per-thread store")
        if self._audit_writer is None:
            self._audit_writer = AuditWriter(self._db)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        folder = resources.files("clearance.store")
        self._db.migrate(
            [(name, folder.joinpath(name).read_text("utf-8")) for name in SCHEMA_FILES]
        )
        adopt_legacy(self._db)
        row = self._db.execute(
            "SELECT value FROM meta WHERE key='schema_version'"
        ).fetchone()
        if row is None:
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise ClearanceError(
                f"store {self.where} has schema {row[0]}; this Clearance knows {SCHEMA_VERSION}"
            )
        if self._db.backend != "sqlite":
            # A server database is not tied to one home folder, where saved indexes live:
            # its random id keeps an index of another database (with the same version ids)
            # from being taken for its own. An embedded store's identity stays "".
            row = self._db.execute(
                "SELECT value FROM meta WHERE key='store_id'"
            ).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)",
                    (uuid.uuid4().hex,),
                )
                row = self._db.execute(
                    "SELECT value FROM meta WHERE key='store_id'"
                ).fetchone()
            self.identity = f"{self._db.backend}:{row[0]}"

    # -- writing -----------------------------------------------------------------------

    def import_version(self, meta: VersionMeta, *, force: bool = False) -> Writer:
        """A writer for one list version: ``add`` entities, then ``finish`` to commit."""
        return Writer(self, meta, force)

    def record_failure(self, source: str, origin: str, reason: str) -> None:
        """Append an audit row for an import that failed before reaching the store."""
        self._audit("import_failed", source, None, {"origin": origin, "reason": reason})

    def _audit(
        self,
        event: str,
        source: str | None,
        version_id: int | None,
        detail: dict[str, object],
    ) -> None:
        self._db.execute(
            "INSERT INTO audit (at, event, source, version_id, detail) VALUES (?, ?, ?, ?, ?)",
            (_now(), event, source, version_id, json.dumps(detail, default=str)),
        )
        chained = {"source": source, "version_id": version_id, **detail}
        append_record(self._db, event, local_user(), chained)

    def _previous(self, source: str, published: date) -> ListVersion | None:
        row = self._db.execute(
            f"SELECT {self._VERSION_COLUMNS} FROM versions WHERE source = ? AND published <= ? "
            "ORDER BY published DESC, id DESC LIMIT 1",
            (source, published.isoformat()),
        ).fetchone()
        return None if row is None else self._version(row)

    def _write_version(
        self, meta: VersionMeta, entities: Sequence[Entity], force: bool
    ) -> ImportResult:
        count = len(entities)
        db = self._db
        # one transaction: the version, its records and its audit row (or the refusal's)
        with db.transaction():
            existing = db.execute(
                f"SELECT {self._VERSION_COLUMNS} FROM versions "
                "WHERE source = ? AND sha256 = ?",
                (meta.source, meta.sha256),
            ).fetchone()
            if existing is not None:
                version = self._version(existing)
                return ImportResult(
                    "unchanged",
                    meta.source,
                    version.published,
                    version.entity_count,
                    version,
                    message=f"identical to version {version.id}",
                )
            previous = self._previous(meta.source, meta.published)
            refusal = self._refusal(meta, count, previous)
            if refusal is not None and not force:
                self._audit(
                    "import_refused",
                    meta.source,
                    None,
                    {"origin": meta.origin, "reason": refusal, "entities": count},
                )
                return ImportResult(
                    "refused",
                    meta.source,
                    meta.published,
                    count,
                    None,
                    previous,
                    refusal,
                )
            version_id = self._insert_entities(meta, entities)
            self._audit(
                "import",
                meta.source,
                version_id,
                {
                    "origin": meta.origin,
                    "entities": count,
                    "sha256": meta.sha256,
                    "forced": refusal is not None,
                },
            )
        version = self.version(version_id)
        return ImportResult(
            "added", meta.source, meta.published, count, version, previous
        )

    @staticmethod
    def _refusal(
        meta: VersionMeta, count: int, previous: ListVersion | None
    ) -> str | None:
        if count == 0:
            return "the file holds no entities"
        if meta.declared_count is not None and count < meta.declared_count * (
            1 - DECLARED_SHORTFALL
        ):
            return (
                f"the file declares {meta.declared_count:,} entries but holds {count:,}: "
                "truncated or a sample"
            )
        if previous is not None and count < previous.entity_count * (1 - MAX_LOSS):
            lost = previous.entity_count - count
            return (
                f"{lost:,} of {previous.entity_count:,} entities "
                f"({lost / previous.entity_count:.0%}) would disappear compared with the "
                f"version of {previous.published.isoformat()}; use --force if this is real"
            )
        return None

    def _insert_entities(self, meta: VersionMeta, entities: Sequence[Entity]) -> int:
        db = self._db
        row = db.execute(
            "INSERT INTO versions (source, published, published_from, retrieved_at, sha256, "
            "format, origin, entity_count, issue_count, issues, lacks) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                meta.source,
                meta.published.isoformat(),
                meta.published_from,
                meta.retrieved_at.isoformat(timespec="seconds"),
                meta.sha256,
                meta.format,
                meta.origin,
                len(entities),
                meta.issue_count,
                json.dumps([list(i) for i in meta.issues[:_ISSUES_KEPT]]),
                json.dumps(sorted(meta.lacks)),
            ),
        ).fetchone()
        version_id = int(row[0])
        rows: list[tuple[str, str, str, Entity]] = []
        for entity in entities:
            data = json.dumps(
                entity_to_dict(entity), ensure_ascii=False, separators=(",", ":")
            )
            rows.append((content_hash(data), entity.id, data, entity))
        known: set[str] = set()
        hashes = [r[0] for r in rows]
        for start in range(0, len(hashes), _BATCH):
            chunk = hashes[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            known.update(
                h
                for (h,) in db.execute(
                    f"SELECT hash FROM records WHERE hash IN ({marks})", chunk
                )
            )
        new = [r for r in rows if r[0] not in known]
        db.executemany(
            "INSERT OR IGNORE INTO records (hash, entity_id, data) VALUES (?, ?, ?)",
            ((h, eid, data) for h, eid, data, _ in new),
        )
        db.executemany(
            "INSERT OR IGNORE INTO keys (key, hash) VALUES (?, ?)",
            ((key, h) for h, _, _, entity in new for key in _record_keys(entity)),
        )
        db.executemany(
            "INSERT INTO members (version_id, entity_id, hash) VALUES (?, ?, ?)",
            ((version_id, eid, h) for h, eid, _, _ in rows),
        )
        return version_id

    # -- versions ----------------------------------------------------------------------

    @staticmethod
    def _version(row: Sequence[object]) -> ListVersion:
        return ListVersion(
            id=int(str(row[0])),
            source=str(row[1]),
            published=date.fromisoformat(str(row[2])),
            published_from=str(row[3]),
            retrieved_at=datetime.fromisoformat(str(row[4])),
            sha256=str(row[5]),
            format=str(row[6]),
            origin=str(row[7]),
            entity_count=int(str(row[8])),
            issue_count=int(str(row[9])),
        )

    _VERSION_COLUMNS = (
        "id, source, published, published_from, retrieved_at, sha256, format, origin, "
        "entity_count, issue_count"
    )

    def versions(self, source: str | None = None) -> list[ListVersion]:
        """List versions in publication order (of one source, or all)."""
        sql = f"SELECT {self._VERSION_COLUMNS} FROM versions"
        params: tuple[str, ...] = ()
        if source is not None:
            sql += " WHERE source = ?"
            params = (source,)
        sql += " ORDER BY source, published, id"
        return [self._version(r) for r in self._db.execute(sql, params)]

    def version(self, version_id: int) -> ListVersion:
        row = self._db.execute(
            f"SELECT {self._VERSION_COLUMNS} FROM versions WHERE id = ?", (version_id,)
        ).fetchone()
        if row is None:
            raise NotFound("list version", str(version_id))
        return self._version(row)

    def version_issues(self, version_id: int) -> list[tuple[str, str]]:
        row = self._db.execute(
            "SELECT issues FROM versions WHERE id = ?", (version_id,)
        ).fetchone()
        if row is None:
            raise NotFound("list version", str(version_id))
        return [(str(a), str(b)) for a, b in json.loads(row[0])]

    def version_lacks(self, version_id: int) -> frozenset[str]:
        """Fields the version's file cannot carry (see ``VersionMeta.lacks``)."""
        row = self._db.execute(
            "SELECT lacks FROM versions WHERE id = ?", (version_id,)
        ).fetchone()
        if row is None:
            raise NotFound("list version", str(version_id))
        return frozenset(json.loads(row[0]))

    def sources(self) -> list[str]:
        return [
            r[0]
            for r in self._db.execute("SELECT DISTINCT source FROM versions ORDER BY 1")
        ]

    def resolve_version(self, source: str, spec: str) -> ListVersion:
        """A version of ``source`` from a version id (``42``) or a date (``2022-02-28``: the
        version current on that date)."""
        versions = self.versions(source)
        if len(versions) == 0:
            raise NotFound(
                "source", source, "no versions imported; run `clearance update`"
            )
        text = spec.strip()
        if text.isdigit():
            for version in versions:
                if version.id == int(text):
                    return version
            raise NotFound("list version", f"{source}#{text}")
        try:
            when = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidQuery(
                "version", f"{spec!r} is neither a version id nor a date (YYYY-MM-DD)"
            ) from exc
        chosen = [v for v in versions if v.published <= when]
        if len(chosen) == 0:
            raise NotFound(
                "list version",
                f"{source} on {when.isoformat()}",
                f"first version is of {versions[0].published.isoformat()}",
            )
        return chosen[-1]

    def entity_counts_by_list(self, version_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        rows = self._db.execute(
            "SELECT entity_id FROM members WHERE version_id = ?", (version_id,)
        )
        for (entity_id,) in rows:
            code = str(entity_id).partition(":")[0]
            counts[code] = counts.get(code, 0) + 1
        return counts

    def effect_counts(self, version_id: int) -> dict[tuple[str, str], int]:
        """(list code, legal effect) -> number of entities of one version with such a
        listing."""
        counts: dict[tuple[str, str], int] = {}
        rows = self._db.execute(
            "SELECT r.data FROM members m JOIN records r ON r.hash = m.hash "
            "WHERE m.version_id = ?",
            (version_id,),
        )
        for (data,) in rows:  # JSON read in Python: the same on every backend, as fast
            listings = json.loads(data).get("listings", [])
            for key in {(str(x["source"]), str(x["legal_effect"])) for x in listings}:
                counts[key] = counts.get(key, 0) + 1
        return counts

    def audit_events(self, limit: int = 100) -> list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT id, at, event, source, version_id, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            {
                "id": i,
                "at": at,
                "event": ev,
                "source": src,
                "version_id": vid,
                "detail": json.loads(detail),
            }
            for i, at, ev, src, vid, detail in rows
        ]

    # -- reading -----------------------------------------------------------------------

    def current(self) -> View:
        """The newest version of every source."""
        latest: dict[str, ListVersion] = {}
        for version in self.versions():
            latest[version.source] = version  # publication order: the last one wins
        return View(self, latest, None)

    def as_of(self, when: date) -> View:
        """The lists as they stood on ``when``: per source, the newest version published then."""
        chosen: dict[str, ListVersion] = {}
        for version in self.versions():
            if version.published <= when:
                chosen[version.source] = version
        return View(self, chosen, when)

    def view_of(self, version_ids: Iterable[int]) -> View:
        """A view pinned to exactly these list versions (one per source), e.g. the versions
        an audited screening used."""
        chosen: dict[str, ListVersion] = {}
        for version_id in version_ids:
            version = self.version(version_id)
            if version.source in chosen:
                raise InvalidQuery(
                    "versions", f"two versions of {version.source} in one view"
                )
            chosen[version.source] = version
        return View(self, chosen, None)

    def record(self, record_hash: str) -> Entity:
        row = self._db.execute(
            "SELECT data FROM records WHERE hash = ?", (record_hash,)
        ).fetchone()
        if row is None:
            raise NotFound("record", record_hash)
        return entity_from_dict(json.loads(row[0]))

    def records(self, record_hashes: Iterable[str]) -> dict[str, Entity]:
        """Entity records by hash, read in batches (one query per 500, not one each: a
        round trip to a database server costs more than the read); unknown hashes are
        left out."""
        wanted = list(dict.fromkeys(record_hashes))
        out: dict[str, Entity] = {}
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for record_hash, data in self._db.execute(
                f"SELECT hash, data FROM records WHERE hash IN ({marks})", chunk
            ):
                out[str(record_hash)] = entity_from_dict(json.loads(data))
        return out

    def _records_in(
        self, version_ids: Sequence[int], entity_ids: Sequence[str]
    ) -> list[tuple[int, str, str]]:
        out: list[tuple[int, str, str]] = []
        if len(version_ids) == 0:
            return out
        vmarks = ",".join("?" * len(version_ids))
        for start in range(0, len(entity_ids), _BATCH):
            chunk = list(entity_ids[start : start + _BATCH])
            emarks = ",".join("?" * len(chunk))
            out.extend(
                (int(v), str(e), str(h))
                for v, e, h in self._db.execute(
                    f"SELECT version_id, entity_id, hash FROM members WHERE version_id IN "
                    f"({vmarks}) AND entity_id IN ({emarks})",
                    [*version_ids, *chunk],
                )
            )
        return out

    def memberships(self, entity_id: str) -> list[tuple[int, str]]:
        """(version id, record hash) of every version that holds ``entity_id``."""
        return [
            (int(v), str(h))
            for v, h in self._db.execute(
                "SELECT version_id, hash FROM members WHERE entity_id = ?", (entity_id,)
            )
        ]

    def version_at(self, source: str, when: date) -> ListVersion | None:
        """The version of ``source`` current on ``when`` (None before the first)."""
        return self._previous(source, when)

    def version_entities(self, version_id: int) -> Iterator[Entity]:
        """Every entity record of one version, as that source file had it."""
        hashes = list(self.version_members(version_id).values())
        for start in range(0, len(hashes), _BATCH):
            chunk = hashes[start : start + _BATCH]
            found = self.records(chunk)
            for record_hash in chunk:
                yield found[record_hash]

    def version_members(self, version_id: int) -> dict[str, str]:
        """entity id -> record hash for one version, in entity id order (byte-wise):
        the same order on both backends, so an index built from it is the same."""
        return {
            str(e): str(h)
            for e, h in self._db.execute(
                "SELECT entity_id, hash FROM members WHERE version_id = ? "
                "ORDER BY entity_id",
                (version_id,),
            )
        }

    def hashes_for_keys(self, keys: Sequence[str], prefix: bool = False) -> set[str]:
        found: set[str] = set()
        for key in keys:
            if prefix:
                rows = self._db.execute(
                    "SELECT hash FROM keys WHERE key >= ? AND key < ?",
                    (key, key + "\uffff"),
                )
            else:
                rows = self._db.execute("SELECT hash FROM keys WHERE key = ?", (key,))
            found.update(str(h) for (h,) in rows)
        return found

    def entity_ids_for_hashes(
        self, hashes: Iterable[str], version_ids: Sequence[int]
    ) -> set[str]:
        hash_list = list(hashes)
        out: set[str] = set()
        if len(version_ids) == 0:
            return out
        vmarks = ",".join("?" * len(version_ids))
        for start in range(0, len(hash_list), _BATCH):
            chunk = hash_list[start : start + _BATCH]
            hmarks = ",".join("?" * len(chunk))
            out.update(
                str(e)
                for (e,) in self._db.execute(
                    f"SELECT DISTINCT entity_id FROM members WHERE version_id IN ({vmarks}) "
                    f"AND hash IN ({hmarks})",
                    [*version_ids, *chunk],
                )
            )
        return out


@dataclass(slots=True)
class View:
    """A read-only view pinned to one version per source (current, or as of a date)."""

    store: Store
    versions: dict[str, ListVersion]
    as_of: date | None
    _version_ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._version_ids = [v.id for v in self.versions.values()]

    @property
    def is_empty(self) -> bool:
        return len(self.versions) == 0

    def get_many(self, entity_ids: Sequence[str]) -> list[Entity]:
        """Entities by id, each merged across the source files that carry it; unknown ids are
        left out."""
        grouped: dict[str, list[tuple[int, str]]] = {}
        for version_id, entity_id, record_hash in self.store._records_in(
            self._version_ids, entity_ids
        ):
            grouped.setdefault(entity_id, []).append((version_id, record_hash))
        found = self.store.records(
            h for members in grouped.values() for _, h in members
        )
        out: list[Entity] = []
        for entity_id in entity_ids:
            members = grouped.get(entity_id)
            if members is None:
                continue
            out.append(merge_entities([found[h] for _, h in sorted(members)]))
        return out

    def get(self, entity_id: str) -> Entity:
        found = self.get_many([entity_id])
        if len(found) == 0:
            hint = None
            if len(self.store.memberships(entity_id)) > 0:
                hint = "listed in other versions: see `clearance history`"
            raise NotFound("entity", entity_id, hint)
        return found[0]

    def entity_ids(self, source: str | None = None) -> Iterator[str]:
        seen: set[str] = set()
        for name, version in sorted(self.versions.items()):
            if source is not None and name != source:
                continue
            for entity_id in self.store.version_members(version.id):
                if entity_id not in seen:
                    seen.add(entity_id)
                    yield entity_id

    def find(self, text: str, limit: int = 20) -> list[tuple[Entity, str]]:
        """Entities whose normalised name or identifier equals, starts with, or contains all
        the words of ``text``; each with how it was found."""
        norm = normalize_text(text)
        ident = identifier_key(text)
        if len(norm) == 0 and len(ident) == 0:
            raise InvalidQuery("text", "nothing to search for")
        stages: list[tuple[str, set[str]]] = []
        if len(ident) >= 4:
            stages.append(("identifier", self.store.hashes_for_keys([f"v:{ident}"])))
        if len(norm) > 0:
            stages.append(("exact name", self.store.hashes_for_keys([f"n:{norm}"])))
            stages.append(
                ("name prefix", self.store.hashes_for_keys([f"n:{norm}"], prefix=True))
            )
            tokens = norm.split()
            common: set[str] | None = None
            for i, token in enumerate(tokens):
                is_last = i == len(tokens) - 1
                hits = self.store.hashes_for_keys(
                    [f"t:{token}"], prefix=is_last and len(token) >= 3
                )
                common = hits if common is None else common & hits
            stages.append(("all words", common or set()))
        results: list[tuple[Entity, str]] = []
        seen: set[str] = set()
        for how, hashes in stages:
            ids = sorted(
                self.store.entity_ids_for_hashes(hashes, self._version_ids) - seen
            )
            for entity in self.get_many(ids):
                seen.add(entity.id)
                results.append((entity, how))
            if len(results) >= limit:
                break
        return results[:limit]

    def related(self, entity: Entity) -> list[tuple[Entity, str]]:
        """Other entities of the same party: sharing an identifier, linked by id, or (for
        organisations) carrying the same normalised primary name on another list."""
        reasons: dict[str, str] = {}
        for ident in entity.identifiers:
            value = identifier_key(ident.value)
            if len(value) < 4 or ident.scheme.value in (
                "other",
                "website",
                "email",
                "phone",
            ):
                continue
            hashes = self.store.hashes_for_keys([f"i:{ident.scheme.value}:{value}"])
            for entity_id in self.store.entity_ids_for_hashes(
                hashes, self._version_ids
            ):
                reasons.setdefault(
                    entity_id, f"same {ident.scheme.value} {ident.value}"
                )
        for relation in entity.relations:
            if relation.target_id is not None:
                reasons.setdefault(
                    relation.target_id, f"{relation.kind} (stated by the list)"
                )
        if entity.schema.value != "Person":
            # organisations: a strong name of this entry names an entry on another list
            for name in entity.names:
                norm = normalize_text(name.value)
                if name.kind.value == "weak" or len(norm) < 4:
                    continue
                hashes = self.store.hashes_for_keys([f"n:{norm}"])
                for entity_id in self.store.entity_ids_for_hashes(
                    hashes, self._version_ids
                ):
                    reasons.setdefault(entity_id, f"{_SAME_NAME}: {name.value}")
        reasons.pop(entity.id, None)
        out: list[tuple[Entity, str]] = []
        for other in self.get_many(sorted(reasons)):
            reason = reasons[other.id]
            by_name = reason.startswith(_SAME_NAME)
            if by_name and (
                other.list_code == entity.list_code or other.schema.value == "Person"
            ):
                continue
            out.append((other, reason))
        return out

    def resolve(self, text: str) -> list[Entity]:
        """Entities named by ``text``: an entity id, else every entity with exactly that
        normalised name or identifier (e.g. ``hikvision`` -> its Entity List and NS-CMIC
        entries). Raises ``NotFound`` with suggestions when nothing matches exactly."""
        if ":" in text:
            return [self.get(text.strip())]
        results = self.find(text, limit=50)
        exact = [e for e, how in results if how in ("exact name", "identifier")]
        if len(exact) > 0:
            return exact
        hint = None
        if len(results) > 0:
            hint = "did you mean: " + "; ".join(
                f"{e.id} ({e.caption})" for e, _ in results[:3]
            )
        raise NotFound("entity", text, hint)
