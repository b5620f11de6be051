"""The alerts page on a synthetic store (one monitoring run, one alert): what it shows, the
disposition form with its server-side key check, and the form in Chromium; on each backend
in turn (``database_url``: None for SQLite in the home, else a PostgreSQL database)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from clearance.monitor import add_party, create_watch_set, run_monitor
from clearance.screen import Service
from clearance.server import create_app
from clearance.settings import Settings
from clearance.store import AuditLog, Role, Store, create_api_key
from tests.factories import make_entity, make_meta
from tests.web.conftest import _free_port
from tests.web.test_browser import browser, page, shot

__all__ = ["browser", "page"]  # pytest fixtures used below, imported for this module

KEYS = {"rita": Role.READER, "ana": Role.ANALYST}


@pytest.fixture
def alerts_home(
    tmp_path: Path, database_url: str | None
) -> tuple[Path, dict[str, str]]:
    """Two listed firms, a watch set with one matching party, one monitoring run (alert
    1), and a reader and an analyst key."""
    home = tmp_path / "home"
    with Store.open(home, database_url) as store:
        with store.import_version(make_meta("us_ofac_sdn", date(2022, 1, 31))) as w:
            w.add(make_entity("us_ofac_sdn:1", "ACME TRADING LLC"))
            w.add(make_entity("us_ofac_sdn:2", "ZENITH MARITIME SHIPPING CO"))
            w.finish()
        create_watch_set(store, "customers")
        add_party(store, "customers", {"ref": "C1", "name": "Zenith Maritime Shipping"})
        add_party(store, "customers", {"ref": "C2", "name": "Quiet Bakery"})
        assert len(run_monitor(store, home / "index").alerts) == 1
        keys = {
            name: create_api_key(store, name, role)[1] for name, role in KEYS.items()
        }
    return home, keys


@pytest.fixture
def home(alerts_home: tuple[Path, dict[str, str]]) -> Path:
    return alerts_home[0]


@pytest.fixture
def keys(alerts_home: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return alerts_home[1]


@pytest.fixture
def client(home: Path, database_url: str | None) -> Iterator[TestClient]:
    with Service.open(home, database_url=database_url) as service:
        app = create_app(Settings(home=home, database_url=database_url), service)
        with TestClient(app, follow_redirects=False) as opened:
            yield opened


def decide(
    client: TestClient, key: str, decision: str = "false_positive"
) -> httpx.Response:
    response: httpx.Response = client.post(
        "/ui/alerts/1/disposition",
        data={"decision": decision, "reason": "different IMO", "api_key": key},
    )
    return response


def test_open_alert_shows_party_entity_link_and_causing_version(
    client: TestClient,
) -> None:
    response = client.get("/ui/alerts")
    assert response.status_code == 200
    html = response.text
    assert '/ui/alerts" aria-current="page">Alerts</a>' in html
    assert 'id="alert-1"' in html and "New match" in html
    assert "Zenith Maritime Shipping" in html and "ref C1" in html
    assert 'href="http://testserver/ui/entities/us_ofac_sdn:2"' in html
    assert "list version #1 published 2022-01-31" in html
    assert "No decision yet." in html
    assert "Quiet Bakery" not in html  # no alert for the bakery


def test_decision_needs_an_analyst_key_checked_by_the_server(
    client: TestClient, keys: dict[str, str], home: Path, database_url: str | None
) -> None:
    missing = client.post(
        "/ui/alerts/1/disposition",
        data={"decision": "false_positive", "reason": "different IMO"},
    )
    assert missing.status_code == 401 and "analyst role" in missing.text
    assert decide(client, "clr_00000000_forged").status_code == 401
    refused = decide(client, keys["rita"])
    assert refused.status_code == 403
    assert "reader role" in refused.text
    with Store.open(home, database_url) as store:
        assert not any(r.event == "disposition" for r in AuditLog(store).records())


def test_a_recorded_decision_closes_the_alert_and_shows_in_its_history(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = decide(client, keys["ana"])
    assert response.status_code == 303
    target = response.headers["location"]
    assert "done=1" in target and target.endswith("#alert-1")
    assert "Decision recorded on alert 1." in client.get(target).text
    assert "No open alerts." in client.get("/ui/alerts").text
    html = client.get("/ui/alerts?state=all").text
    assert "false positive</strong> by apikey:ana (clr_" in html
    assert ": different IMO" in html


def test_bad_input_is_shown_on_the_page(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = decide(client, keys["ana"], decision="maybe")
    assert response.status_code == 400
    assert "use one of true_match" in response.text
    assert client.get("/ui/alerts?watch=nobody").status_code == 404
    unknown = client.post(
        "/ui/alerts/99/disposition",
        data={"decision": "true_match", "reason": "x", "api_key": keys["ana"]},
    )
    assert unknown.status_code == 404


@pytest.fixture
def alerts_server(home: Path, database_url: str | None) -> Iterator[str]:
    port = _free_port()
    with Service.open(home, database_url=database_url) as service:
        settings = Settings(home=home, database_url=database_url)
        app = create_app(settings, service=service)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="alerts-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.browser
def test_browser_records_a_decision_from_the_alerts_page(
    page: Page, alerts_server: str, keys: dict[str, str]
) -> None:
    page.goto(f"{alerts_server}/ui/")
    page.get_by_role("link", name="Alerts").click()
    alert = page.locator("#alert-1")
    expect(alert).to_contain_text("Zenith Maritime Shipping")
    expect(
        alert.get_by_role("link", name="ZENITH MARITIME SHIPPING CO")
    ).to_be_visible()
    shot(page, "alerts")
    alert.get_by_text("Record a decision on alert 1").click()
    alert.get_by_label("Decision").select_option("true_match")
    alert.get_by_label("API key").fill(keys["ana"])
    alert.get_by_label("Reason").fill("same registration number")
    alert.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Decision recorded on alert 1.")
    history = page.locator("#alert-1 ol.history")
    expect(history).to_contain_text("true match by apikey:ana")
    expect(history).to_contain_text("same registration number")
    shot(page, "alerts-decided")
