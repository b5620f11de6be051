"""A small real store for the API tests, built once per session from official snapshots:
two SDN history files (for changes and timelines), the OFAC non-SDN list of 2025-12-19
(Dawning/Sugon under NS-CMIC) and the Denied Persons List of 2023-11."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearance.ingest import update_from_directory
from clearance.screen import Service
from clearance.server import create_app
from clearance.settings import Settings
from clearance.store import Store

FILES = (
    "us_ofac_sdn/csv_history/sdn_2022-02-23.csv.gz",
    "us_ofac_sdn/csv_history/sdn_2022-02-28.csv.gz",
    "us_ofac_consolidated/csv/2025-12-19/cons_prim.csv",
    "us_ofac_consolidated/csv/2025-12-19/cons_alt.csv",
    "us_ofac_consolidated/csv/2025-12-19/cons_add.csv",
    "us_ofac_consolidated/csv/2025-12-19/cons_comments.csv",
    "us_bis_dpl/2023-11/dpl.txt",
)


def build_home(shared_data: Path, root: Path, database_url: str | None = None) -> Path:
    """A home with the snapshots above imported (linked, never copied into the repo), its
    store in ``database_url`` when given (PostgreSQL)."""
    folder = root / "lists"
    for name in FILES:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_data / name)
    home = root / "home"
    with Store.open(home, database_url) as store:
        outcomes, _ = update_from_directory(store, folder)
    assert [o.status for o in outcomes] == ["added"] * 4
    return home


@pytest.fixture(scope="session")
def api_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(shared_data, tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="session")
def service(api_home: Path) -> Iterator[Service]:
    with Service.open(api_home) as opened:
        yield opened


def make_client(service: Service, **settings: object) -> TestClient:
    app = create_app(Settings(home=service.home, **settings), service)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with make_client(service) as opened:
        yield opened
