"""Every API screening appends one audit record: ``/match`` and reconciliation batches one
per request (not per query), ``/screen`` a replayable one, each naming who asked."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from clearance.monitor import replay
from clearance.store import AuditLog, AuditRecord, Store
from tests.api.conftest import Keys, auth


def records(monitor_home: Path) -> list[AuditRecord]:
    with Store.open(monitor_home) as store:
        return [r for r in AuditLog(store).records() if r.event.startswith("screening")]


def test_a_match_batch_appends_one_record_with_digests_and_versions(
    monitor_client: TestClient, monitor_home: Path
) -> None:
    body = {
        "queries": {
            "a": {"schema": "Company", "properties": {"name": ["Acme Trading"]}},
            "b": {"schema": "Company", "properties": {"name": ["Quiet Bakery"]}},
            "c": {"schema": "Company", "properties": {"name": ["Zenith Maritime"]}},
        }
    }
    response = monitor_client.post("/match/default", json=body)
    assert response.status_code == 200, response.text
    matched = sum(
        any(r["match"] for r in answer["results"])
        for answer in response.json()["responses"].values()
    )
    [record] = records(monitor_home)
    assert response.headers["x-audit-record"] == str(record.id)
    payload = record.payload
    assert (record.event, record.actor) == ("screening_batch", "anonymous")
    assert payload["endpoint"] == "/match/default" and payload["queries"] == 3
    assert payload["list_versions"] == {"us_ofac_sdn": 1}
    assert payload["alerts"] == matched and matched >= 1
    assert len(str(payload["query_digest"])) == 64
    assert len(str(payload["results_digest"])) == 64
    assert "Acme" not in json.dumps(payload)  # digests, not the names screened
    monitor_client.post("/match/default", json=body)
    second = records(monitor_home)[-1].payload
    assert second["query_digest"] == payload["query_digest"]
    assert second["results_digest"] == payload["results_digest"]


def test_screen_records_who_asked_and_replays_to_the_same_result(
    monitor_client: TestClient, monitor_home: Path, keys: Keys
) -> None:
    response = monitor_client.post(
        "/screen", json={"name": "Zenith Maritime Shipping"}, headers=auth(keys.reader)
    )
    assert response.status_code == 200 and response.json()["alert"]
    [record] = records(monitor_home)
    assert response.json()["audit_record"] == record.id
    assert record.event == "screening"
    assert record.actor.startswith("apikey:rita (clr_")
    assert record.payload["channel"] == "api"
    assert record.payload["decision"] == "alert"
    with Store.open(monitor_home) as store:
        again = replay(store, monitor_home / "index", record.id)
    assert again.same and again.hits[0].entity.id == "us_ofac_sdn:2"


def test_an_invalid_key_on_an_open_endpoint_is_recorded_as_anonymous(
    monitor_client: TestClient, monitor_home: Path
) -> None:
    response = monitor_client.post(
        "/screen", json={"name": "Acme"}, headers=auth("clr_00000000_nope")
    )
    assert response.status_code == 200
    assert records(monitor_home)[-1].actor == "anonymous"


def test_a_reconciliation_batch_appends_one_record(
    monitor_client: TestClient, monitor_home: Path
) -> None:
    queries = {"q0": {"query": "Acme Trading"}, "q1": {"query": "Zenith Maritime"}}
    response = monitor_client.post(
        "/reconcile/default", data={"queries": json.dumps(queries)}
    )
    assert response.status_code == 200, response.text
    [record] = records(monitor_home)
    assert record.payload["endpoint"] == "/reconcile/default"
    assert record.payload["queries"] == 2


def test_failed_requests_append_nothing(
    monitor_client: TestClient, monitor_home: Path
) -> None:
    assert (
        monitor_client.post("/match/default", json={"queries": {}}).status_code == 422
    )
    assert monitor_client.post("/screen", json={"name": " "}).status_code == 422
    assert records(monitor_home) == []
