"""Monitoring over the HTTP API on a synthetic store: a monitoring run raises an alert,
an analyst disposes of it, the watch sets are listed and the audit chain is checked, each
with the role its endpoint needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from clearance.screen import Service
from clearance.store import AuditLog, Store
from tests.api.conftest import Keys, auth, make_client


def run_monitor(monitor_client: TestClient, keys: Keys) -> dict[str, object]:
    response = monitor_client.post("/monitor/run", headers=auth(keys.admin), json={})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def test_monitor_run_needs_an_admin_key(monitor_client: TestClient, keys: Keys) -> None:
    assert monitor_client.post("/monitor/run").json()["error"] == "unauthorized"
    response = monitor_client.post("/monitor/run", headers=auth(keys.analyst))
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")


def test_monitor_run_raises_the_alert_shown_by_get_alerts(
    monitor_client: TestClient, keys: Keys
) -> None:
    assert monitor_client.get("/alerts").json() == {"total": 0, "alerts": []}
    report = run_monitor(monitor_client, keys)
    alerts = report["alerts"]
    assert isinstance(alerts, list) and len(alerts) == 1
    assert report["work"]["parties_total"] == 2  # type: ignore[index]
    data = monitor_client.get(
        "/alerts", params={"open": "true", "watch": "customers"}
    ).json()
    assert data["total"] == 1
    alert = data["alerts"][0]
    assert alert["kind"] == "new_match" and alert["open"]
    assert alert["party"]["ref"] == "C1"
    assert alert["entity"]["id"] == "us_ofac_sdn:2"
    assert alert["source"] == "us_ofac_sdn" and alert["list_version"] == 1
    assert alert["id"] == alerts[0]["id"]
    assert run_monitor(monitor_client, keys)["alerts"] == []  # nothing changed since


def test_unknown_watch_set_is_a_json_404(monitor_client: TestClient) -> None:
    response = monitor_client.get("/alerts", params={"watch": "nobody"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "customers" in response.json()["message"]  # the known sets are named


def test_disposition_needs_an_analyst_and_records_who(
    monitor_client: TestClient, keys: Keys, monitor_home: Path
) -> None:
    run_monitor(monitor_client, keys)
    alert_id = monitor_client.get("/alerts").json()["alerts"][0]["id"]
    url = f"/alerts/{alert_id}/disposition"
    body = {"decision": "false_positive", "reason": "different IMO number"}
    assert monitor_client.post(url, json=body).status_code == 401
    assert (
        monitor_client.post(url, json=body, headers=auth(keys.reader)).status_code
        == 403
    )
    response = monitor_client.post(url, json=body, headers=auth(keys.analyst))
    assert response.status_code == 201, response.text
    first = response.json()
    assert first["decision"] == "false_positive" and first["supersedes"] is None
    assert first["by"].startswith("apikey:ana (clr_")
    assert monitor_client.get("/alerts", params={"open": "true"}).json()["total"] == 0
    again = {"decision": "needs_review", "reason": "second look"}
    second = monitor_client.post(url, json=again, headers=auth(keys.admin)).json()
    assert second["supersedes"] == first["id"]
    history = monitor_client.get(f"/alerts/{alert_id}").json()["history"]
    assert [(h["decision"], h["by"].split(" ")[0]) for h in history] == [
        ("false_positive", "apikey:ana"),
        ("needs_review", "apikey:root"),
    ]
    assert monitor_client.get("/alerts", params={"open": "true"}).json()["total"] == 1
    with Store.open(monitor_home) as store:
        audited = [r for r in AuditLog(store).records() if r.event == "disposition"]
    assert [r.actor.split(" ")[0] for r in audited] == ["apikey:ana", "apikey:root"]


def test_bad_disposition_and_unknown_alert_are_json_errors(
    monitor_client: TestClient, keys: Keys
) -> None:
    run_monitor(monitor_client, keys)
    alert_id = monitor_client.get("/alerts").json()["alerts"][0]["id"]
    response = monitor_client.post(
        f"/alerts/{alert_id}/disposition",
        json={"decision": "maybe", "reason": "unsure"},
        headers=auth(keys.analyst),
    )
    assert (response.status_code, response.json()["error"]) == (422, "invalid_query")
    assert "false_positive" in response.json()["message"]
    response = monitor_client.post(
        "/alerts/999/disposition",
        json={"decision": "true_match", "reason": "x"},
        headers=auth(keys.analyst),
    )
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    response = monitor_client.post(
        f"/alerts/{alert_id}/disposition",
        json={"decision": "true_match"},
        headers=auth(keys.analyst),
    )
    assert (response.status_code, response.json()["error"]) == (422, "invalid_request")


def test_watch_sets_and_their_parties(monitor_client: TestClient, keys: Keys) -> None:
    sets = monitor_client.get("/watch").json()["watch_sets"]
    assert [(s["name"], s["parties"], s["description"]) for s in sets] == [
        ("customers", 2, "KYC book")
    ]
    run_monitor(monitor_client, keys)
    shown = monitor_client.get("/watch/customers").json()["shown"]
    assert sorted((p["ref"], p["name"], p["open_alerts"]) for p in shown) == [
        ("C1", "Zenith Maritime Shipping", 1),
        ("C2", "Quiet Bakery", 0),
    ]
    assert monitor_client.get("/watch/nobody").status_code == 404


def test_reads_need_a_key_when_configured(monitor_home: Path, keys: Keys) -> None:
    with (
        Service.open(monitor_home) as service,
        make_client(service, api_read_key_required=True) as locked,
    ):
        assert locked.get("/alerts").status_code == 401
        assert locked.get("/watch", headers=auth(keys.reader)).status_code == 200


def test_audit_verify_is_admin_only_and_catches_an_edit(
    monitor_client: TestClient, keys: Keys, monitor_home: Path
) -> None:
    assert (
        monitor_client.get("/audit/verify", headers=auth(keys.analyst)).status_code
        == 403
    )
    run_monitor(monitor_client, keys)
    data = monitor_client.get("/audit/verify", headers=auth(keys.admin)).json()
    assert data["ok"] and data["checked"] >= 2 and data["problems"] == []
    with sqlite3.connect(monitor_home / "clearance.db") as db:
        db.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 1")
    data = monitor_client.get("/audit/verify", headers=auth(keys.admin)).json()
    assert not data["ok"]
    assert any("edited" in p for p in data["problems"])
