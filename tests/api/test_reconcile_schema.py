"""The reconciliation endpoints against the W3C Reconciliation Service API 0.2 JSON
schemas (vendored in ``tests/api/schemas/reconciliation-0.2``: see its README for source,
version and licence). OpenRefine reads the manifest when a user adds the service; an
answer that breaks the schema is a service OpenRefine users cannot rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

pytestmark = pytest.mark.realdata

SCHEMAS = Path(__file__).parent / "schemas" / "reconciliation-0.2"
BASE = "https://reconciliation-api.github.io/specs/0.2/schemas/"


def _registry() -> Registry:
    # the files say "$schema": "http://json-schema.org/schema#" (no draft); the spec's own
    # test script validated them with ajv 3, whose default is draft-07
    resources = [
        Resource.from_contents(
            json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT7
        )
        for path in sorted(SCHEMAS.glob("*.json"))
    ]
    return Registry().with_resources((r.id() or "", r) for r in resources)


REGISTRY = _registry()


def validator(name: str) -> Draft7Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=REGISTRY)


def problems(name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(document)
    ]


QUERIES: dict[str, Any] = {
    "q0": {"query": "Sugon", "type": "Company", "limit": 3},
    "q1": {
        "query": "Arkady Rotenberg",
        "type": "Person",
        "properties": [{"pid": "birthDate", "v": "1951"}],
    },
    "q2": {"query": "", "properties": [{"pid": "isinCode", "v": ["CNE100001TW7"]}]},
    "q3": {"query": "Nobody Made Up Trading Ltd", "type": ["Company", "Person"]},
    "q4": {  # a value from a column reconciled before: an entity, {id, name}
        "query": "Sugon",
        "properties": [{"pid": "country", "v": {"id": "Q148", "name": "China"}}],
    },
}


def test_the_schemas_are_the_vendored_ones_and_they_reject() -> None:
    """The validator is live: a manifest without its required identifierSpace, a
    candidate without a score and an answer that is a list all fail."""
    assert {p.name for p in SCHEMAS.glob("*.json")} >= {
        "manifest.json",
        "type.json",
        "reconciliation-result-batch.json",
    }
    schema = json.loads((SCHEMAS / "manifest.json").read_text(encoding="utf-8"))
    assert schema["$id"] == BASE + "manifest.json"
    broken = {"versions": ["0.2"], "name": "x", "schemaSpace": "x"}
    assert any("identifierSpace" in p for p in problems("manifest.json", broken))
    assert problems("manifest.json", {**broken, "identifierSpace": "x"}) == []
    no_score = {"q0": {"result": [{"id": "a", "name": "A"}]}}
    assert len(problems("reconciliation-result-batch.json", no_score)) > 0
    bad_type: dict[str, Any] = {**broken, "identifierSpace": "x"}
    bad_type["defaultTypes"] = [{"name": "no id"}]
    assert len(problems("manifest.json", bad_type)) > 0  # through type.json
    assert len(problems("reconciliation-result-batch.json", [])) > 0


@pytest.mark.parametrize("dataset", ["default", "us_ofac_sdn"])
def test_manifest_validates(client: TestClient, dataset: str) -> None:
    response = client.get(f"/reconcile/{dataset}")
    assert response.status_code == 200
    manifest = response.json()
    assert problems("manifest.json", manifest) == []
    assert "0.2" in manifest["versions"]


def test_our_query_batch_is_a_valid_one() -> None:
    assert problems("reconciliation-query-batch.json", QUERIES) == []


def test_query_answers_validate_posted_and_fetched(client: TestClient) -> None:
    posted = client.post("/reconcile/default", data={"queries": json.dumps(QUERIES)})
    assert posted.status_code == 200
    answer = posted.json()
    assert problems("reconciliation-result-batch.json", answer) == []
    assert set(answer) == set(QUERIES)
    top = answer["q0"]["result"][0]
    assert top["name"].startswith("DAWNING") and top["match"] is True
    assert {f["id"] for f in top["features"]} >= {"name"}  # 0.2 matching features
    assert answer["q2"]["result"][0]["id"] == top["id"]  # by ISIN alone
    assert not any(c["match"] for c in answer["q3"]["result"])
    assert answer["q4"]["result"][0]["id"] == top["id"]
    fetched = client.get("/reconcile/default", params={"queries": json.dumps(QUERIES)})
    assert problems("reconciliation-result-batch.json", fetched.json()) == []


def test_suggest_answers_validate(client: TestClient) -> None:
    entities = client.get(
        "/reconcile/default/suggest/entity", params={"prefix": "dawning"}
    ).json()
    assert problems("suggest-entities-response.json", entities) == []
    assert len(entities["result"]) > 0
    types = client.get(
        "/reconcile/default/suggest/type", params={"prefix": "comp"}
    ).json()
    assert problems("suggest-types-response.json", types) == []
    assert types["result"][0]["id"] == "Company"
    props = client.get(
        "/reconcile/default/suggest/property", params={"prefix": "isin"}
    ).json()
    assert problems("suggest-properties-response.json", props) == []
    assert props["result"][0]["id"] == "isinCode"
