"""The few helpers the monitoring, audit and API-key tables go through: the store's
``Database`` (SQLite or PostgreSQL, ``clearance.store.db``), in its portable SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from clearance.store.db import Cursor, Database

Params = Sequence[object]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def execute(db: Database, sql: str, params: Params = ()) -> Cursor:
    return db.execute(sql, params)


def executemany(db: Database, sql: str, rows: Iterable[Params]) -> None:
    db.executemany(sql, rows)


def insert_id(db: Database, sql: str, params: Params = ()) -> int:
    """Run an ``INSERT ... RETURNING id`` and return the new id."""
    row = db.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def transaction(db: Database) -> AbstractContextManager[None]:
    """One write transaction (joined when one is already open): COMMIT, or ROLLBACK on
    any error."""
    return db.transaction()
