"""The store's database connection: embedded SQLite (default) or a PostgreSQL server.

The store's SQL is written once, in a small portable subset of SQLite's dialect (see the
rules below); ``PostgresDatabase`` translates it on the way through, so both backends run
the same store code. The portable subset:

- ``?`` placeholders; column types TEXT, INTEGER (64-bit), REAL, BLOB;
- ``INTEGER PRIMARY KEY`` for an automatic id (an identity column on PostgreSQL), read back
  with ``INSERT ... RETURNING id``; ``WITHOUT ROWID`` (dropped on PostgreSQL);
- ``CREATE TABLE/INDEX IF NOT EXISTS``; ``INSERT OR IGNORE`` (``ON CONFLICT DO NOTHING``);
- standard SELECT, JOIN, GROUP BY, ORDER BY, LIMIT, COALESCE, COUNT, MAX, MIN, ``substr``;
  ``x IN (?, ?, ...)`` of any length (one array parameter on PostgreSQL);
- ``executemany`` for many rows (PostgreSQL: plain ``INSERT [OR IGNORE] ... VALUES (?, ...)``
  batches go through COPY); ``transaction()`` around every write of several statements;
- no JSON functions, GLOB, rowid, strftime, PRAGMA or AUTOINCREMENT: compute in Python.

Text compares byte-wise on both backends (SQLite's BINARY collation; ``COLLATE "C"`` on every
PostgreSQL TEXT column), so ordering and the ``key >= ? AND key < ?`` prefix scans agree.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import Any, Protocol

from clearance.errors import ClearanceError

# one number for every Clearance writer on a PostgreSQL database (pg_advisory_xact_lock):
# imports are serialised as SQLite's BEGIN IMMEDIATE serialises them
_WRITE_LOCK = 0x0C1EA7A9CE
_MIGRATE_LOCK = _WRITE_LOCK + 1


class Cursor(Protocol):
    """What ``Database.execute`` returns: rows as tuples."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """One connection to the store's database."""

    backend: str  # "sqlite" | "postgres"
    where: str  # the file or server, for messages (never a password)

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction, committed on exit or rolled back on an exception.
        Writers are serialised; readers keep seeing the last commit. Nested calls join the
        outer transaction (as does a call inside a transaction begun by hand)."""
        ...

    @property
    def in_transaction(self) -> bool: ...

    def migrate(self, scripts: Sequence[tuple[str, str]]) -> None:
        """Run DDL scripts, (file name, text) pairs of ``CREATE ... IF NOT EXISTS``
        statements, in order. The first script creates the ``meta`` table."""
        ...

    def close(self) -> None: ...


def open_database(home: Path, url: str | None, *, per_thread: bool = False) -> Database:
    """The database named by ``url`` (``postgresql://...``), else ``home/clearance.db``.

    Args:
        per_thread: give each thread its own connection (for a threaded server); by
            default one connection, used by the thread that opened it.
    """
    connect = _connector(home, url, shared=per_thread)
    if per_thread:
        return PerThreadDatabase(connect)
    return connect()


def _connector(home: Path, url: str | None, *, shared: bool) -> Callable[[], Database]:
    """How to open one connection to the database named by ``url`` (checked now)."""
    if url is None or len(url.strip()) == 0:
        home.mkdir(parents=True, exist_ok=True)
        return lambda: SQLiteDatabase(home / "clearance.db", shared=shared)
    if url.startswith(("postgresql://", "postgres://")):
        return lambda: PostgresDatabase(url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return lambda: SQLiteDatabase(path, shared=shared)
    raise ClearanceError(
        f"unsupported database URL {_redact(url)!r}: use postgresql://... "
        "(or leave CLEARANCE_DATABASE_URL unset for the embedded SQLite store)"
    )


class PerThreadDatabase:
    """One connection per thread, opened on a thread's first use, all closed by
    ``close()`` (from any thread): a threaded server shares one store this way. Each
    thread's transactions are its own."""

    def __init__(self, connect: Callable[[], Database]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, Database]] = []
        first = self._current()  # fail now (e.g. a bad URL), not in a worker thread
        self.backend = first.backend
        self.where = first.where

    def _current(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            with self._lock:
                # a server's pool retires idle threads (anyio's after 10 s) and starts
                # new ones: close the connections of ended threads, or they pile up
                # (one file descriptor and page cache each) for the process's life
                ended = [c for t, c in self._connections if not t.is_alive()]
                self._connections = [
                    (t, c) for t, c in self._connections if t.is_alive()
                ]
                self._connections.append((threading.current_thread(), db))
            for old in ended:
                old.close()
            self._local.db = db
        return db

    @property
    def connections(self) -> int:
        """Connections open now (one per thread that used the store and may still)."""
        with self._lock:
            return len(self._connections)

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        return self._current().execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._current().executemany(sql, rows)

    def transaction(self) -> AbstractContextManager[None]:
        return self._current().transaction()

    @property
    def in_transaction(self) -> bool:
        return self._current().in_transaction

    def migrate(self, scripts: Sequence[tuple[str, str]]) -> None:
        self._current().migrate(scripts)

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for _, db in connections:
            db.close()


class SQLiteDatabase:
    """The embedded store: one file in WAL mode, so readers never wait for an import."""

    backend = "sqlite"

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        """``shared``: the connection may be closed from another thread than its own
        (``PerThreadDatabase``); it is still used by one thread only."""
        self.where = str(path)
        self._conn = sqlite3.connect(
            path, isolation_level=None, timeout=30.0, check_same_thread=not shared
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._depth = 0

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._conn.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth > 0 or self.in_transaction:  # joins one begun by hand too
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._conn.execute(
            "BEGIN IMMEDIATE"
        )  # take the write lock now, not at first write
        self._depth = 1
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def migrate(self, scripts: Sequence[tuple[str, str]]) -> None:
        for _, script in scripts:
            self._conn.executescript(script)

    def close(self) -> None:
        self._conn.close()


class PostgresDatabase:
    """A PostgreSQL server (``CLEARANCE_DATABASE_URL=postgresql://...``), for deployments
    where several users and processes share one store. Needs ``clearance[postgres]``."""

    backend = "postgres"

    def __init__(self, url: str) -> None:
        try:
            import psycopg  # optional dependency: imported only when a URL names it
        except ImportError as exc:
            raise ClearanceError(
                "CLEARANCE_DATABASE_URL names PostgreSQL but psycopg is not installed: "
                "pip install 'clearance[postgres]'"
            ) from exc
        self.where = _redact(url)
        try:
            self._conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise ClearanceError(
                f"cannot connect to PostgreSQL at {self.where}: {_first_line(exc)}"
            ) from None
        self._depth = 0

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        plan = _translate(sql)
        cursor = self._conn.execute(plan.sql, plan.pack(params))
        if plan.takes_write_lock:  # BEGIN IMMEDIATE: serialise writers as SQLite does
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        plan = _translate(sql)
        rows = iter(rows)
        head = list(islice(rows, _COPY_FROM))
        if plan.insert is not None and len(head) == _COPY_FROM:
            self._copy(plan.insert, chain(head, rows))
            return
        with self._conn.cursor() as cursor:
            cursor.executemany(plan.sql, (plan.pack(row) for row in chain(head, rows)))

    def _copy(self, insert: _Insert, rows: Iterable[Sequence[object]]) -> None:
        """Many rows of a plain ``INSERT [OR IGNORE] ... VALUES (?, ...)`` through COPY,
        an order of magnitude faster than row-by-row INSERTs. OR IGNORE copies into a
        temporary table first, then inserts from it with ON CONFLICT DO NOTHING."""
        columns = ", ".join(insert.columns)
        target = insert.table
        with self._conn.transaction(), self._conn.cursor() as cursor:
            if insert.ignore:
                # the staging table has exactly the copied columns, without the
                # target's constraints: an automatic id (NOT NULL, not copied) is
                # given by the final INSERT; one staging table per column list
                shape = hashlib.sha1(f"{insert.table}({columns})".encode()).hexdigest()
                target = f"clearance_stage_{insert.table}_{shape[:8]}"
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {target} AS "
                    f"SELECT {columns} FROM {insert.table} WITH NO DATA"
                )
            with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if insert.ignore:
                cursor.execute(
                    f"INSERT INTO {insert.table} ({columns}) SELECT {columns} "
                    f"FROM {target} ON CONFLICT DO NOTHING"
                )
                cursor.execute(f"TRUNCATE {target}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth > 0 or self.in_transaction:  # joins one begun by hand too
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                yield
        finally:
            self._depth = 0

    @property
    def in_transaction(self) -> bool:
        from psycopg import pq  # optional dependency, see __init__

        return bool(self._conn.info.transaction_status != pq.TransactionStatus.IDLE)

    def migrate(self, scripts: Sequence[tuple[str, str]]) -> None:
        # Scripts already run (same text) are skipped: on PostgreSQL even a no-op
        # CREATE INDEX IF NOT EXISTS locks its table and would wait for a running import.
        digests = {
            name: hashlib.sha256(text.encode()).hexdigest() for name, text in scripts
        }
        import psycopg  # optional dependency, see __init__

        try:
            if self._applied() == digests:
                return
            with self._conn.transaction():
                # two processes creating the same tables at once would collide in pg_type
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
                applied = self._applied()
                for name, script in scripts:
                    if applied.get(name) == digests[name]:
                        continue
                    for statement in split_statements(script):
                        self._conn.execute(to_postgres(statement), ())
                    self._conn.execute(
                        "INSERT INTO meta (key, value) VALUES (%s, %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (f"schema:{name}", digests[name]),
                    )
        except psycopg.Error as exc:  # e.g. a role without CREATE on the schema
            raise ClearanceError(
                f"cannot set up Clearance's tables in {self.where}: {_first_line(exc)}"
            ) from None

    def _applied(self) -> dict[str, str]:
        """Digest of each schema file last run, by file name."""
        found = self._conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if found is None or not found[0]:
            return {}
        rows = self._conn.execute(
            "SELECT key, value FROM meta WHERE key LIKE 'schema:%%'", ()
        ).fetchall()
        return {str(k).removeprefix("schema:"): str(v) for k, v in rows}

    def close(self) -> None:
        self._conn.close()


# -- translation to PostgreSQL -----------------------------------------------------------

_TOKENS = re.compile(
    r"(?P<string>'(?:[^']|'')*')|(?P<ident>\"(?:[^\"]|\"\")*\")|(?P<comment>--[^\n]*)"
    r"|(?P<code>[^'\"-]+|-)",
    re.DOTALL,
)
# a column definition: "(" or "," then the column name, then its type
_COLUMN_TYPE = re.compile(
    r"(?P<lead>[(,]\s*\w+\s+)"
    r"(?P<type>INTEGER\s+PRIMARY\s+KEY|INTEGER|TEXT|REAL|BLOB)\b",
    re.I,
)
_PG_TYPES = {
    "INTEGER PRIMARY KEY": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    "INTEGER": "BIGINT",
    "TEXT": 'TEXT COLLATE "C"',
    "REAL": "DOUBLE PRECISION",
    "BLOB": "BYTEA",
}
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\b", re.I)
_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
# a list of placeholders, "x IN (?, ?, ?)", becomes "x = ANY(%s)" with one array parameter:
# psycopg parses (and caches) a query with one parameter much faster than with 500
_PLACEHOLDERS = re.compile(
    r"(?P<notin>\bNOT\s+IN\s*\(\s*\?(?:\s*,\s*\?)*\s*\))"
    r"|(?P<in>\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\))|(?P<one>\?)",
    re.I,
)
_PLAIN_INSERT = re.compile(
    r"^\s*INSERT\s+(?P<ignore>OR\s+IGNORE\s+)?INTO\s+(?P<table>\w+)\s*"
    r"\((?P<columns>\s*\w+(?:\s*,\s*\w+)*)\s*\)\s*"
    r"VALUES\s*\((?P<values>\s*\?(?:\s*,\s*\?)*)\s*\)\s*$",
    re.I,
)
_COPY_FROM = 200  # executemany of at least this many rows goes through COPY
_BEGIN = re.compile(r"^\s*BEGIN\s+(IMMEDIATE|EXCLUSIVE)\s*;?\s*$", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TABLE\b", re.I)


def _tokens(sql: str) -> list[tuple[str, str]]:
    return [(str(m.lastgroup), m.group()) for m in _TOKENS.finditer(sql)]


def split_statements(script: str) -> list[str]:
    """A DDL script's statements, comments dropped (``;`` inside quotes kept)."""
    statements: list[str] = []
    current: list[str] = []
    for kind, text in _tokens(script):
        if kind == "comment":
            continue
        if kind != "code" or ";" not in text:
            current.append(text)
            continue
        head, *rest = text.split(";")
        current.append(head)
        for part in rest:
            statements.append("".join(current))
            current = [part]
    statements.append("".join(current))
    return [s.strip() for s in statements if len(s.strip()) > 0]


@dataclass(frozen=True, slots=True)
class _Insert:
    table: str
    columns: tuple[str, ...]
    ignore: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement translated for psycopg, and how to lay out its parameters."""

    sql: str
    groups: tuple[int, ...]  # per %s: 0 = one parameter, n = a list of the next n
    insert: _Insert | None  # a plain INSERT ... VALUES (?, ...): may go through COPY
    takes_write_lock: bool = False  # BEGIN IMMEDIATE (prefer Database.transaction())

    def pack(self, params: Sequence[object]) -> Sequence[object]:
        if all(n == 0 for n in self.groups):
            return tuple(params)
        out: list[object] = []
        i = 0
        for n in self.groups:
            if n == 0:
                out.append(params[i])
                i += 1
            else:
                out.append(list(params[i : i + n]))
                i += n
        return out


def _pg_column_type(match: re.Match[str]) -> str:
    sqlite_type = " ".join(match.group("type").upper().split())
    return match.group("lead") + _PG_TYPES[sqlite_type]


def to_postgres(sql: str) -> str:
    """One statement of portable SQL as PostgreSQL (psycopg's ``%s`` placeholders)."""
    return _translate(sql).sql


@lru_cache(maxsize=1024)
def _translate(sql: str) -> _Plan:
    if _BEGIN.match(sql) is not None:
        return _Plan("BEGIN", (), None, takes_write_lock=True)
    tokens = [(k, t) for k, t in _tokens(sql) if k != "comment"]
    is_create_table = _CREATE_TABLE.match(sql) is not None
    ignore = False
    groups: list[int] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.lastgroup == "one":
            groups.append(0)
            return "%s"
        groups.append(match.group().count("?"))
        return "<> ALL(%s)" if match.lastgroup == "notin" else "= ANY(%s)"

    out: list[str] = []
    for kind, text in tokens:
        if kind == "code":
            if is_create_table:
                text = _COLUMN_TYPE.sub(_pg_column_type, text)
                text = _WITHOUT_ROWID.sub(")", text)
            text, n = _OR_IGNORE.subn("INSERT INTO", text)
            ignore = ignore or n > 0
            text = _PLACEHOLDERS.sub(placeholder, text.replace("%", "%%"))
        elif kind == "string":
            text = text.replace("%", "%%")
        out.append(text)
    if ignore:
        for i in range(len(out) - 1, -1, -1):
            if tokens[i][0] == "code" and _RETURNING.search(out[i]) is not None:
                out[i] = _RETURNING.sub("ON CONFLICT DO NOTHING RETURNING", out[i], 1)
                break
        else:
            out.append(" ON CONFLICT DO NOTHING")
    insert = None
    plain = _PLAIN_INSERT.match(sql)
    if plain is not None:
        columns = tuple(c.strip() for c in plain.group("columns").split(","))
        if len(columns) == plain.group("values").count("?"):
            insert = _Insert(
                plain.group("table"), columns, plain.group("ignore") is not None
            )
    return _Plan("".join(out).strip(), tuple(groups), insert)


def _redact(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if len(lines) > 0 else type(exc).__name__
