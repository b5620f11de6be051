"""With ``api_read_key_required`` the pages need an API key too: ``?key=`` or the cookie
the key form sets; otherwise a 401 page with that form (style sheets stay open)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearance.screen import Service
from clearance.server import create_app
from clearance.settings import Settings
from tests.web.test_alerts import alerts_home, home, keys

__all__ = ["alerts_home", "home", "keys"]  # pytest fixtures used below


@pytest.fixture
def client(home: Path, database_url: str | None) -> Iterator[TestClient]:
    settings = Settings(
        home=home, database_url=database_url, api_read_key_required=True
    )
    with (
        Service.open(home, database_url=database_url) as service,
        TestClient(create_app(settings, service), follow_redirects=False) as opened,
    ):
        yield opened


def test_pages_without_a_key_answer_401_with_the_key_form(client: TestClient) -> None:
    for path in ("/ui/", "/ui/alerts", "/ui/lists", "/ui/entities/us_ofac_sdn:2"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "These pages need an API key" in response.text
        assert 'name="key"' in response.text and f'value="{path}"' in response.text
    assert client.get("/ui/static/style.css").status_code == 200


def test_a_key_in_the_query_opens_a_page(
    client: TestClient, keys: dict[str, str]
) -> None:
    assert client.get("/ui/lists", params={"key": keys["rita"]}).status_code == 200
    wrong = client.get("/ui/lists", params={"key": "clr_00000000_forged"})
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.text


def test_the_key_form_sets_a_cookie_that_opens_every_page(
    client: TestClient, keys: dict[str, str]
) -> None:
    refused = client.post("/ui/key", data={"key": "nope", "next": "/ui/alerts"})
    assert refused.status_code == 401
    response = client.post("/ui/key", data={"key": keys["rita"], "next": "/ui/alerts"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/alerts"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/ui/alerts")  # the client keeps the cookie
    assert page.status_code == 200 and "Zenith Maritime Shipping" in page.text
    elsewhere = client.post(
        "/ui/key", data={"key": keys["rita"], "next": "https://example.org/"}
    )
    assert elsewhere.headers["location"] == "/ui/"  # never off the site
