"""One small real store for the web tests: the 2022-05 CSL without its copy of the SDN list
(Entity List, NS-CMIC and the other US lists: 4,000 rows), OFAC's 2025-12-19 non-SDN set and
two real SDN snapshots a month apart,
served by a Service in a tiny app that mounts the web router (as ``clearance.server`` does).
Built once per backend (SQLite in the home, PostgreSQL): every test of a module that takes
these fixtures runs on each in turn."""

from __future__ import annotations

import csv
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clearance.ingest import import_raw
from clearance.screen import Service
from clearance.server import create_app
from clearance.settings import Settings
from clearance.store import Store
from clearance.web import create_router
from tests.conftest import raw_from_files

SDN_BEFORE, SDN_AFTER = date(2022, 2, 28), date(2022, 3, 31)


def _csl_without_sdn(shared_data: Path, folder: Path) -> Path:
    """The real 2022-05 CSL minus its SDN rows (the SDN snapshots below carry those): the
    store stays small and the tests quick."""
    source = shared_data / "us_trade_csl" / "2022-05_full" / "consolidated.csv.gz"
    target = folder / "consolidated.csv"
    with (
        gzip.open(source, "rt", encoding="utf-8", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        column = header.index("source")
        for row in reader:
            if not row[column].startswith("Specially Designated Nationals"):
                writer.writerow(row)
    return target


def _build_web_home(shared_data: Path, folder: Path, url: str | None) -> Path:
    home = folder / "home"
    cons = shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
    history = shared_data / "us_ofac_sdn" / "csv_history"
    with Store.open(home, url) as store:
        raws = [
            (
                raw_from_files(
                    "us_trade_csl", "csl_csv", _csl_without_sdn(shared_data, folder)
                ),
                date(2022, 5, 1),
            ),
            (
                raw_from_files(
                    "us_ofac_cons",
                    "ofac_csv",
                    *sorted(cons.glob("cons_*.csv")),
                ),
                date(2025, 12, 19),
            ),
            *(
                (
                    raw_from_files(
                        "us_ofac_sdn",
                        "ofac_csv",
                        history / f"sdn_{when.isoformat()}.csv.gz",
                    ),
                    when,
                )
                for when in (SDN_BEFORE, SDN_AFTER)
            ),
        ]
        for raw, published in raws:
            outcome = import_raw(store, raw, published=published)
            assert outcome.status == "added", outcome.message
    return home


@dataclass(frozen=True, slots=True)
class WebStore:
    home: Path
    url: str | None  # None: the home's SQLite file
    service: Service


@pytest.fixture(scope="session")
def _web_stores() -> Iterator[dict[str, WebStore]]:
    """Each backend's store and service, built on first use and kept for the session."""
    built: dict[str, WebStore] = {}
    yield built
    for store in built.values():
        store.service.close()


@pytest.fixture(scope="module")
def web_store(
    backend: str,
    new_database: Callable[[], str | None],
    shared_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _web_stores: dict[str, WebStore],
) -> WebStore:
    """The small real store on this module's backend, and a Service over it."""
    if backend not in _web_stores:
        url = new_database()
        home = _build_web_home(shared_data, tmp_path_factory.mktemp("web"), url)
        service = Service.open(home, database_url=url)
        assert service.store.where.startswith("postgresql://") == (url is not None)
        _web_stores[backend] = WebStore(home, url, service)
    return _web_stores[backend]


@pytest.fixture(scope="module")
def web_home(web_store: WebStore) -> Path:
    return web_store.home


@pytest.fixture(scope="module")
def web_service(web_store: WebStore) -> Service:
    return web_store.service


def make_app(service: Service) -> FastAPI:
    app = FastAPI()
    app.state.service = service
    app.include_router(create_router())
    return app


@pytest.fixture(scope="module")
def client(web_service: Service) -> Iterator[TestClient]:
    with TestClient(make_app(web_service)) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(web_store: WebStore) -> Iterator[str]:
    """``clearance serve``'s app (API and web UI, with its request guard) served by uvicorn
    on 127.0.0.1 and a free port, in a thread."""
    port = _free_port()
    settings = Settings(home=web_store.home, database_url=web_store.url)
    app = create_app(settings, service=web_store.service)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
