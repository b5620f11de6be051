"""Fixtures of the Spark tests: one local[2] session for the whole test session, and a
small real store (OFAC's non-SDN list of 19 Dec 2025) with its saved index.

The tests skip only when pyspark (or Java) is missing outside CI; under CI (``CI`` set)
a missing one is a failure, so the Spark engine is always tested there.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clearance.ingest import update_from_directory
from clearance.screen import load_index, view_key
from clearance.store import Store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[dev,spark]')"
    if shutil.which("java") is None:
        return (
            "java is not installed (scripts/_system installs openjdk-17-jre-headless)"
        )
    return None


MISSING = _missing()
if MISSING is not None:
    if os.environ.get("CI"):
        raise RuntimeError(f"the Spark tests must run in CI: {MISSING}")
    pytest.skip(MISSING, allow_module_level=True)  # one skip for the folder, with why


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from clearance.spark import session

    active = session("local[2]", "clearance-tests")
    yield active
    active.stop()


@pytest.fixture(scope="session")
def cons_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding OFAC's consolidated (non-SDN) list of 19 Dec 2025, index saved."""
    home = tmp_path_factory.mktemp("spark-home")
    with Store.open(home) as store:
        folder = shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
        outcomes, _ = update_from_directory(store, folder)
        assert [o.status for o in outcomes] == ["added"]
        load_index(store.current(), home / "index")
    return home


@pytest.fixture(scope="session")
def index_path(cons_home: Path) -> Path:
    with Store.open(cons_home) as store:
        key = view_key(store.current())
    return cons_home / "index" / f"index-{key}.pickle"
