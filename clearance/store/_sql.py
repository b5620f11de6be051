"""The few helpers the monitoring and audit tables go through, so a change of database
driver (e.g. PostgreSQL behind a ``Database`` wrapper) is adapted in one place."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

Params = Sequence[object]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def execute(db: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Cursor:
    return db.execute(sql, params)


def executemany(
    db: sqlite3.Connection, sql: str, rows: Iterable[Params]
) -> sqlite3.Cursor:
    return db.executemany(sql, rows)


def insert_id(db: sqlite3.Connection, sql: str, params: Params = ()) -> int:
    """Run an ``INSERT ... RETURNING id`` and return the new id."""
    row = db.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def _active(db: sqlite3.Connection) -> bool:
    return db.in_transaction


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (joined when one is already open): COMMIT, or ROLLBACK on
    any error."""
    if _active(db):
        yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if _active(db):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
