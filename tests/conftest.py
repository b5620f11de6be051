"""Shared fixtures: where the real official snapshots live, and how to read them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clearance.model import Entity
from clearance.sources.base import Parser, ParseReport, RawFile, maybe_gunzip
from tests.pg_cluster import Cluster, ClusterUnavailable


def _shared_data() -> Path:
    override = os.environ.get("CLEARANCE_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED_DATA = _shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only folder of real official snapshots; skips (or fails under CI) if absent."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"real data folder missing: {SHARED_DATA}")
        pytest.skip(f"real data folder missing: {SHARED_DATA}")
    return SHARED_DATA


def raw_from_files(
    source: str, fmt: str, *paths: Path, origin: str | None = None
) -> RawFile:
    """A RawFile of real files (gzip transparently undone); part names are lower-case base names."""
    parts: dict[str, bytes] = {}
    for path in paths:
        name = path.name.lower()
        if name.endswith(".gz"):
            name = name[:-3]
        parts[name] = maybe_gunzip(path.read_bytes())
    return RawFile(
        source=source,
        format=fmt,
        parts=parts,
        origin=origin or str(paths[0]),
        retrieved_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def raw_from_bytes(source: str, fmt: str, parts: dict[str, bytes]) -> RawFile:
    """A RawFile of synthetic bytes written inline in a test."""
    return RawFile(
        source=source,
        format=fmt,
        parts=parts,
        origin="synthetic",
        retrieved_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def parse_all(parser: Parser, raw: RawFile) -> tuple[list[Entity], ParseReport]:
    """Run a parser to completion; returns its entities and report."""
    report = ParseReport(raw.source)
    entities = list(parser(raw, report))
    return entities, report


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """An empty CLEARANCE_HOME for one test."""
    path = tmp_path / "home"
    path.mkdir()
    yield path


# -- store backends ------------------------------------------------------------------------
# Store tests take `database_url` (or `new_database` in module fixtures) and so run once per
# backend: embedded SQLite, and a real PostgreSQL server started for the session.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster (skips if it cannot start; fails under CI)."""
    cluster = Cluster()
    try:
        cluster.start()
    except ClusterUnavailable as exc:
        cluster.stop()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL test cluster would not start: {exc}")
        pytest.skip(f"PostgreSQL test cluster would not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def new_database(
    backend: str, request: pytest.FixtureRequest
) -> Callable[[], str | None]:
    """Makes an empty store database: a URL for ``Store.open(home, url)`` (None: SQLite in
    the home folder)."""
    if backend == "sqlite":
        return lambda: None
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database


@pytest.fixture
def database_url(new_database: Callable[[], str | None]) -> str | None:
    """An empty store database for one test, on each backend in turn."""
    return new_database()
