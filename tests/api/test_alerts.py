"""Monitoring over the HTTP API on a synthetic store: a monitoring run raises an alert,
an analyst disposes of it, the watch sets are listed and the audit chain is checked, each
with the role its endpoint needs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearance.monitor import add_party, create_watch_set
from clearance.screen import Service
from clearance.store import AuditLog, Role, Store, create_api_key
from tests.api.conftest import make_client
from tests.factories import make_entity, make_meta


@dataclass(frozen=True, slots=True)
class Keys:
    reader: str
    analyst: str
    admin: str


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
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
def keys(home: Path) -> Keys:
    with Store.open(home) as store:
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
def client(home: Path, keys: Keys) -> Iterator[TestClient]:
    with Service.open(home) as service, make_client(service) as opened:
        yield opened


def run_monitor(client: TestClient, keys: Keys) -> dict[str, object]:
    response = client.post("/monitor/run", headers=auth(keys.admin), json={})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def test_monitor_run_needs_an_admin_key(client: TestClient, keys: Keys) -> None:
    assert client.post("/monitor/run").json()["error"] == "unauthorized"
    response = client.post("/monitor/run", headers=auth(keys.analyst))
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")


def test_monitor_run_raises_the_alert_shown_by_get_alerts(
    client: TestClient, keys: Keys
) -> None:
    assert client.get("/alerts").json() == {"total": 0, "alerts": []}
    report = run_monitor(client, keys)
    alerts = report["alerts"]
    assert isinstance(alerts, list) and len(alerts) == 1
    assert report["work"]["parties_total"] == 2  # type: ignore[index]
    data = client.get("/alerts", params={"open": "true", "watch": "customers"}).json()
    assert data["total"] == 1
    alert = data["alerts"][0]
    assert alert["kind"] == "new_match" and alert["open"]
    assert alert["party"]["ref"] == "C1"
    assert alert["entity"]["id"] == "us_ofac_sdn:2"
    assert alert["source"] == "us_ofac_sdn" and alert["list_version"] == 1
    assert alert["id"] == alerts[0]["id"]
    assert run_monitor(client, keys)["alerts"] == []  # nothing changed since


def test_unknown_watch_set_is_a_json_404(client: TestClient) -> None:
    response = client.get("/alerts", params={"watch": "nobody"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "customers" in response.json()["message"]  # the known sets are named


def test_disposition_needs_an_analyst_and_records_who(
    client: TestClient, keys: Keys, home: Path
) -> None:
    run_monitor(client, keys)
    alert_id = client.get("/alerts").json()["alerts"][0]["id"]
    url = f"/alerts/{alert_id}/disposition"
    body = {"decision": "false_positive", "reason": "different IMO number"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=auth(keys.reader)).status_code == 403
    response = client.post(url, json=body, headers=auth(keys.analyst))
    assert response.status_code == 201, response.text
    first = response.json()
    assert first["decision"] == "false_positive" and first["supersedes"] is None
    assert first["by"].startswith("apikey:ana (clr_")
    assert client.get("/alerts", params={"open": "true"}).json()["total"] == 0
    again = {"decision": "needs_review", "reason": "second look"}
    second = client.post(url, json=again, headers=auth(keys.admin)).json()
    assert second["supersedes"] == first["id"]
    history = client.get(f"/alerts/{alert_id}").json()["history"]
    assert [(h["decision"], h["by"].split(" ")[0]) for h in history] == [
        ("false_positive", "apikey:ana"),
        ("needs_review", "apikey:root"),
    ]
    assert client.get("/alerts", params={"open": "true"}).json()["total"] == 1
    with Store.open(home) as store:
        audited = [r for r in AuditLog(store).records() if r.event == "disposition"]
    assert [r.actor.split(" ")[0] for r in audited] == ["apikey:ana", "apikey:root"]


def test_bad_disposition_and_unknown_alert_are_json_errors(
    client: TestClient, keys: Keys
) -> None:
    run_monitor(client, keys)
    alert_id = client.get("/alerts").json()["alerts"][0]["id"]
    response = client.post(
        f"/alerts/{alert_id}/disposition",
        json={"decision": "maybe", "reason": "unsure"},
        headers=auth(keys.analyst),
    )
    assert (response.status_code, response.json()["error"]) == (422, "invalid_query")
    assert "false_positive" in response.json()["message"]
    response = client.post(
        "/alerts/999/disposition",
        json={"decision": "true_match", "reason": "x"},
        headers=auth(keys.analyst),
    )
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    response = client.post(
        f"/alerts/{alert_id}/disposition",
        json={"decision": "true_match"},
        headers=auth(keys.analyst),
    )
    assert (response.status_code, response.json()["error"]) == (422, "invalid_request")


def test_watch_sets_and_their_parties(client: TestClient, keys: Keys) -> None:
    sets = client.get("/watch").json()["watch_sets"]
    assert [(s["name"], s["parties"], s["description"]) for s in sets] == [
        ("customers", 2, "KYC book")
    ]
    run_monitor(client, keys)
    shown = client.get("/watch/customers").json()["shown"]
    assert sorted((p["ref"], p["name"], p["open_alerts"]) for p in shown) == [
        ("C1", "Zenith Maritime Shipping", 1),
        ("C2", "Quiet Bakery", 0),
    ]
    assert client.get("/watch/nobody").status_code == 404


def test_reads_need_a_key_when_configured(home: Path, keys: Keys) -> None:
    with (
        Service.open(home) as service,
        make_client(service, api_read_key_required=True) as locked,
    ):
        assert locked.get("/alerts").status_code == 401
        assert locked.get("/watch", headers=auth(keys.reader)).status_code == 200


def test_audit_verify_is_admin_only_and_catches_an_edit(
    client: TestClient, keys: Keys, home: Path
) -> None:
    assert client.get("/audit/verify", headers=auth(keys.analyst)).status_code == 403
    run_monitor(client, keys)
    data = client.get("/audit/verify", headers=auth(keys.admin)).json()
    assert data["ok"] and data["checked"] >= 2 and data["problems"] == []
    with sqlite3.connect(home / "clearance.db") as db:
        db.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 1")
    data = client.get("/audit/verify", headers=auth(keys.admin)).json()
    assert not data["ok"]
    assert any("edited" in p for p in data["problems"])
