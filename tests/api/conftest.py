"""A small real store for the API tests, built once per session from official snapshots:
two SDN history files (for changes and timelines), the OFAC non-SDN list of 2025-12-19
(Dawning/Sugon under NS-CMIC) and the Denied Persons List of 2023-11."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearance.ingest import update_from_directory
from clearance.monitor import add_party, create_watch_set
from clearance.screen import Service
from clearance.server import create_app
from clearance.settings import Settings
from clearance.store import Role, Store, create_api_key
from tests.factories import make_entity, make_meta

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


# -- a synthetic store for the monitoring endpoints (no real data needed) -------------


@dataclass(frozen=True, slots=True)
class Keys:
    reader: str
    analyst: str
    admin: str


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def monitor_home(tmp_path: Path) -> Path:
    """Two listed firms, and a watch set with one party that matches one of them."""
    home = tmp_path / "home"
    with Store.open(home) as store:
        with store.import_version(make_meta("us_ofac_sdn", date(2022, 1, 31))) as w:
            w.add(make_entity("us_ofac_sdn:1", "ACME TRADING LLC"))
            w.add(make_entity("us_ofac_sdn:2", "ZENITH MARITIME SHIPPING CO"))
            w.finish()
        create_watch_set(store, "customers", "KYC book")
        add_party(store, "customers", {"ref": "C1", "name": "Zenith Maritime Shipping"})
        add_party(store, "customers", {"ref": "C2", "name": "Quiet Bakery"})
    return home


@pytest.fixture
def keys(monitor_home: Path) -> Keys:
    with Store.open(monitor_home) as store:
        made = [
            create_api_key(store, name, role)[1]
            for name, role in (
                ("rita", Role.READER),
                ("ana", Role.ANALYST),
                ("root", Role.ADMIN),
            )
        ]
    return Keys(*made)


@pytest.fixture
def monitor_client(monitor_home: Path, keys: Keys) -> Iterator[TestClient]:
    """The API over the synthetic monitoring store (API keys made first)."""
    with Service.open(monitor_home) as service, make_client(service) as opened:
        yield opened
