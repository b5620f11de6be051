"""The batch upload has its own body limit (``api_max_upload``), larger than the API's
(``api_max_body``), in ``clearance serve``'s request guard and on the batch page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearance.screen import Service
from clearance.server import create_app
from clearance.settings import Settings
from tests.web.test_alerts import alerts_home, home

__all__ = ["alerts_home", "home"]  # pytest fixtures used below

ROW = "Zenith Maritime Shipping,GR\n"


@pytest.fixture
def client(home: Path, database_url: str | None) -> Iterator[TestClient]:
    settings = Settings(
        home=home, database_url=database_url, api_max_body=2048, api_max_upload=20_000
    )
    with (
        Service.open(home, database_url=database_url) as service,
        TestClient(create_app(settings, service), follow_redirects=False) as opened,
    ):
        yield opened


def upload(client: TestClient, size: int) -> int:
    body = "name,country\n" + ROW * (size // len(ROW))
    response = client.post(
        "/ui/batch", files={"file": ("parties.csv", body.encode(), "text/csv")}
    )
    return int(response.status_code)


def test_upload_over_the_api_body_limit_is_accepted(client: TestClient) -> None:
    assert upload(client, 10_000) == 303  # 5 x api_max_body: a batch job starts


def test_upload_over_its_own_limit_is_413(client: TestClient) -> None:
    assert upload(client, 30_000) == 413


def test_api_keeps_its_smaller_limit(client: TestClient) -> None:
    response = client.post("/screen", json={"name": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_batch_page_states_the_upload_limit(client: TestClient) -> None:
    assert "20,000 bytes" in client.get("/ui/batch").text
