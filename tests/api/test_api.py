"""The HTTP API over a small real store, through FastAPI's test client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clearance.screen import Service
from clearance.store import create_api_key
from tests.api.conftest import make_client

pytestmark = pytest.mark.realdata

# The example entity of the OpenSanctions matching guide (opensanctions.org/docs/api/
# matching/), sent as its yente client would, plus the two of yente's /match docstring.
YENTE_EXAMPLE = {
    "queries": {
        "q1": {
            "schema": "Person",
            "properties": {
                "name": ["Arkadiii Romanovich Rotenberg", "Ротенберг Аркадий"],
                "birthDate": ["1951"],
                "nationality": ["Russia"],
            },
        },
        "entity1": {
            "schema": "Person",
            "properties": {
                "name": ["John Doe"],
                "birthDate": ["1975-04-21"],
                "nationality": ["us"],
            },
        },
        "entity2": {
            "schema": "Company",
            "properties": {
                "name": ["Brilliant Amazing Limited"],
                "jurisdiction": ["hk"],
                "registrationNumber": ["84BA99810"],
            },
        },
    }
}


def test_yente_docs_example_finds_rotenberg_and_nothing_for_made_up_names(
    client: TestClient,
) -> None:
    response = client.post("/match/default", json=YENTE_EXAMPLE)
    assert response.status_code == 200
    data = response.json()
    assert data["limit"] == 5 and "name" in data["matcher"]
    top = data["responses"]["q1"]["results"][0]
    assert "ROTENBERG" in top["caption"] and top["match"]
    assert top["schema"] == "Person" and top["datasets"] == ["us_ofac_sdn"]
    assert top["properties"]["birthDate"][0].startswith("1951")
    assert top["explanations"]["name"]["detail"]
    assert top["features"]["birth_date_match"] > 0
    assert data["responses"]["q1"]["total"]["value"] >= 1
    for key in ("entity1", "entity2"):
        assert not any(r["match"] for r in data["responses"][key]["results"])
    assert data["responses"]["q1"]["query"]["schema"] == "Person"


def test_match_by_isin_alone_and_by_alias_with_listing_effect(
    client: TestClient,
) -> None:
    body = {
        "queries": {
            "by_isin": {"schema": "Company", "properties": {"isin": ["CNE100001TW7"]}},
            "by_name": {"schema": "Company", "properties": {"name": "Sugon"}},
        }
    }
    data = client.post("/match/us_ofac_cons?limit=2", json=body).json()
    for key in ("by_isin", "by_name"):
        top = data["responses"][key]["results"][0]
        assert top["caption"] == "DAWNING INFORMATION INDUSTRY CO., LTD"
        assert top["match"]
        assert top["listings"][0]["legal_effect"] == "securities_ban"
    assert "identifier_match" in data["responses"]["by_isin"]["results"][0]["features"]


def test_match_dataset_selects_lists(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Sugon"]}}}}
    only_sdn = client.post("/match/us_ofac_sdn", json=body).json()
    assert not any(r["match"] for r in only_sdn["responses"]["q"]["results"])
    unknown = client.post("/match/nowhere", json=body)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


def test_match_threshold_decides_the_match_flag(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Sugon"]}}}}
    strict = client.post("/match/default?threshold=0.99", json=body).json()
    assert not strict["responses"]["q"]["results"][0]["match"]


def test_search_with_filters(client: TestClient) -> None:
    data = client.get(
        "/search/default", params={"q": "sugon", "schema": "Company"}
    ).json()
    assert data["results"][0]["id"].startswith("us_ofac_cons:")
    assert data["results"][0]["evidence"][0]["detail"]
    persons = client.get(
        "/search/default", params={"q": "sugon", "schema": "Person"}
    ).json()
    assert all(r["schema"] == "Person" for r in persons["results"])
    by_country = client.get(
        "/search/default", params={"q": "sugon", "country": "China"}
    ).json()
    assert by_country["results"][0]["caption"].startswith("DAWNING")
    other = client.get("/search/default", params={"q": "sugon", "source": "us_bis_dpl"})
    assert all("us_bis_dpl" in r["id"] for r in other.json()["results"])


def test_screen_is_the_check_command_over_http(client: TestClient) -> None:
    data = client.post("/screen", json={"name": "Sugon", "country": "cn"}).json()
    assert data["alert"] and data["hits"][0]["match"]
    assert "related" in data["hits"][0]
    old = client.post("/screen", json={"name": "Sugon", "as_of": "2022-03-01"}).json()
    assert not old["alert"]  # NS-CMIC of 2025 was not in the store then


def test_entity_has_listings_history_and_provenance(client: TestClient) -> None:
    hit = client.get("/search/default", params={"q": "Rotenberg Arkady"}).json()
    entity_id = hit["results"][0]["id"]
    data = client.get(f"/entities/{entity_id}").json()
    assert data["listed"] and data["listings"][0]["legal_effect_text"]
    assert data["provenance"][0]["source"] == "us_ofac_sdn"
    events = data["history"]["us_ofac_sdn"]
    assert events[0]["event"] == "listed"
    assert client.get("/entities/us_ofac_sdn:0").status_code == 404


def test_entity_timeline_shows_a_change_between_two_sdn_snapshots(
    client: TestClient,
) -> None:
    changes = client.get(
        "/changes",
        params={"source": "us_ofac_sdn", "since": "2022-02-24", "until": "2022-02-28"},
    ).json()["sources"][0]
    assert changes["from"]["published"] == "2022-02-23"
    assert changes["to"]["published"] == "2022-02-28"
    assert changes["counts"]["added"] > 0 and changes["counts"]["changed"] > 0
    changed_id = changes["changed"][0]["id"]
    events = client.get(f"/entities/{changed_id}").json()["history"]["us_ofac_sdn"]
    assert [e["event"] for e in events] == ["listed", "changed"]
    assert events[1]["changes"][0]["field"]


def test_changes_rejects_reversed_dates_and_unknown_sources(client: TestClient) -> None:
    reversed_ = client.get(
        "/changes", params={"since": "2023-01-01", "until": "2022-01-01"}
    )
    assert reversed_.status_code == 422 and reversed_.json()["error"] == "invalid_query"
    assert client.get("/changes", params={"source": "nope"}).status_code == 404
    bad_date = client.get("/changes", params={"since": "yesterday"})
    assert bad_date.status_code == 422 and bad_date.json()["error"] == "invalid_request"


def test_lists_with_effects_and_as_of(client: TestClient) -> None:
    data = client.get("/lists").json()
    sources = {s["source"]: s for s in data["sources"]}
    assert set(sources) == {"us_ofac_sdn", "us_ofac_cons", "us_bis_dpl"}
    assert sources["us_ofac_sdn"]["versions"] == 2
    effects = {
        e["legal_effect"]
        for x in sources["us_ofac_cons"]["lists"]
        for e in x["legal_effects"]
    }
    assert "securities_ban" in effects
    old = client.get("/lists", params={"as_of": "2022-02-25"}).json()
    assert [s["source"] for s in old["sources"]] == ["us_ofac_sdn"]
    assert old["sources"][0]["published"] == "2022-02-23"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_errors_are_json_with_a_stable_code_and_request_id(client: TestClient) -> None:
    missing = client.get("/no/such/route")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert missing.json()["request_id"] == missing.headers["x-request-id"]
    broken = client.post(
        "/match/default",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_request"
    no_name = client.post(
        "/match/default",
        json={"queries": {"q": {"schema": "Person", "properties": {}}}},
    )
    assert no_name.status_code == 422 and no_name.json()["error"] == "invalid_query"
    bad_schema = client.post(
        "/match/default",
        json={"queries": {"q": {"schema": "Banana", "properties": {"name": ["x"]}}}},
    )
    assert bad_schema.status_code == 422 and "Banana" in bad_schema.json()["message"]
    wrong_method = client.delete("/lists")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"
    given = client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"


def test_unexpected_errors_hide_the_traceback(service: Service) -> None:
    with make_client(service) as client:
        app = client.app
        assert isinstance(app, FastAPI)

        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("secret detail")

        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_too_many_queries_is_422(service: Service) -> None:
    body = {
        "queries": {
            f"q{i}": {"schema": "Person", "properties": {"name": [f"Name {i}"]}}
            for i in range(3)
        }
    }
    with make_client(service, api_max_queries=2) as client:
        response = client.post("/match/default", json=body)
        assert response.status_code == 422
        assert response.json()["error"] == "too_many_queries"
        recon = client.post(
            "/reconcile/default",
            data={"queries": json.dumps({f"q{i}": {"query": "x"} for i in range(3)})},
        )
        assert recon.status_code == 422 and recon.json()["error"] == "too_many_queries"


def test_body_over_the_limit_is_413(service: Service) -> None:
    big = {"queries": {"q": {"schema": "Person", "properties": {"name": ["x" * 5000]}}}}
    with make_client(service, api_max_body=2048) as client:
        response = client.post("/match/default", json=big)
        assert response.status_code == 413
        assert response.json()["error"] == "body_too_large"

        def chunks() -> Iterator[
            bytes
        ]:  # no content-length: the limit applies while reading
            yield json.dumps(big).encode()

        streamed = client.post(
            "/match/default",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413


def test_slow_requests_time_out_with_504(service: Service) -> None:
    import time

    with make_client(service, api_timeout=0.2) as client:
        app = client.app
        assert isinstance(app, FastAPI)

        @app.get("/slow")
        async def slow() -> None:
            await __import__("asyncio").sleep(2)

        started = time.perf_counter()
        response = client.get("/slow")
        assert response.status_code == 504 and response.json()["error"] == "timeout"
        assert time.perf_counter() - started < 1.5


def test_read_endpoints_can_require_a_key(service: Service) -> None:
    _, key = create_api_key(service.store, "reader test", "reader")
    with make_client(service, api_read_key_required=True) as client:
        assert client.get("/lists").status_code == 401
        assert (
            client.get("/lists", headers={"authorization": f"Bearer {key}"}).status_code
            == 200
        )
        assert client.get("/lists", headers={"x-api-key": key}).status_code == 200
        assert client.get("/healthz").status_code == 200  # probes stay open


def test_match_takes_name_parts(client: TestClient) -> None:
    body = {
        "queries": {
            "q": {
                "schema": "Person",
                "properties": {
                    "firstName": ["Arkady"],
                    "lastName": ["Rotenberg"],
                    "birthDate": ["1951"],
                },
            }
        }
    }
    top = client.post("/match/default", json=body).json()["responses"]["q"]["results"][
        0
    ]
    assert "ROTENBERG" in top["caption"] and top["match"]


def test_reconcile_manifest_has_the_w3c_required_fields(client: TestClient) -> None:
    manifest = client.get("/reconcile/default").json()
    # required by the W3C Reconciliation API 0.2 manifest schema
    assert "0.2" in manifest["versions"]
    for key in ("name", "identifierSpace", "schemaSpace"):
        assert isinstance(manifest[key], str) and len(manifest[key]) > 0
    # patterns and required members of the optional parts we provide
    assert "{{id}}" in manifest["view"]["url"]
    preview = manifest["preview"]
    assert "{{id}}" in preview["url"]
    assert isinstance(preview["width"], int) and isinstance(preview["height"], int)
    types = manifest["defaultTypes"]
    assert all(set(t) == {"id", "name"} for t in types)
    assert len({t["id"] for t in types}) == len(types)
    for part in ("entity", "type", "property"):
        assert manifest["suggest"][part]["service_url"].startswith("http")


def test_reconcile_batched_queries_form_and_get(client: TestClient) -> None:
    queries = {
        "q0": {"query": "Sugon", "type": "Company", "limit": 3},
        "q1": {
            "query": "Arkady Rotenberg",
            "type": "Person",
            "properties": [{"pid": "birthDate", "v": "1951"}],
        },
    }
    posted = client.post("/reconcile/default", data={"queries": json.dumps(queries)})
    assert posted.status_code == 200
    data = posted.json()
    assert data["q0"]["result"][0]["name"].startswith("DAWNING")
    assert data["q0"]["result"][0]["match"] is True
    assert 0 <= data["q0"]["result"][0]["score"] <= 100
    assert data["q0"]["result"][0]["type"][0]["id"] == "Company"
    assert "ROTENBERG" in data["q1"]["result"][0]["name"]
    fetched = client.get("/reconcile/default", params={"queries": json.dumps(queries)})
    assert fetched.json()["q0"]["result"][0]["id"] == data["q0"]["result"][0]["id"]
    bad = client.post("/reconcile/default", data={"queries": "[1, 2]"})
    assert bad.status_code == 422


def test_reconcile_suggest_and_preview(client: TestClient) -> None:
    suggest = client.get(
        "/reconcile/default/suggest/entity", params={"prefix": "dawning"}
    )
    first = suggest.json()["result"][0]
    assert first["name"].startswith("DAWNING")
    types = client.get(
        "/reconcile/default/suggest/type", params={"prefix": "per"}
    ).json()
    assert {"id": "Person", "name": "Person"} in types["result"]
    preview = client.get("/reconcile/default/preview", params={"id": first["id"]})
    assert preview.headers["content-type"].startswith("text/html")
    assert "Securities ban" in preview.text


def test_updates_need_an_admin_key(service: Service, client: TestClient) -> None:
    _, reader = create_api_key(service.store, "reader", "reader")
    _, admin = create_api_key(service.store, "admin", "admin")
    assert client.post("/updates", json={}).status_code == 401
    forbidden = client.post(
        "/updates", json={}, headers={"authorization": f"Bearer {reader}"}
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "forbidden"
    wrong = client.post(
        "/updates", json={}, headers={"authorization": "Bearer clr_00000000_x"}
    )
    assert wrong.status_code == 401
    missing = client.post(
        "/updates",
        json={"directory": "/no/such/folder"},
        headers={"authorization": f"ApiKey {admin}"},
    )
    assert missing.status_code == 422
