"""The small real store the CLI's batch and portfolio tests run on, on each backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clearance.ingest import update_from_directory
from clearance.store import Store

STORE_URLS: dict[Path, str] = {}  # a home whose store is a PostgreSQL database


def store_env(home: Path) -> dict[str, str]:
    """The environment that points the CLI at ``home`` and its store's database."""
    env = {"CLEARANCE_HOME": str(home)}
    if home in STORE_URLS:
        env["CLEARANCE_DATABASE_URL"] = STORE_URLS[home]
    return env


@pytest.fixture(scope="module")
def cons_home(
    shared_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    new_database: Callable[[], str | None],
) -> Path:
    """A home holding the OFAC non-SDN CSV of 19 Dec 2025, its store on each backend in
    turn (SQLite, PostgreSQL); a test module's own ``cons_home`` takes precedence."""
    home = tmp_path_factory.mktemp("cons")
    url = new_database()
    if url is not None:
        STORE_URLS[home] = url
    with Store.open(home, url) as store:
        folder = shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
        outcomes, _ = update_from_directory(store, folder)
        assert [o.status for o in outcomes] == ["added"]
    return home
