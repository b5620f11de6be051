"""`update` from the official URLs, served by a mock transport with real bytes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from clearance.ingest import update_from_official
from clearance.sources import HttpFetcher, official_spec
from clearance.store import Store


@pytest.mark.realdata
def test_download_imports_then_conditional_request_skips(
    shared_data: Path, tmp_path: Path
) -> None:
    body = (shared_data / "us_bis_dpl" / "2023-11" / "dpl.txt").read_bytes()
    url = official_spec("us_bis_dpl").urls["dpl.txt"]
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == url
        seen.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"dpl-1"':
            return httpx.Response(304)
        return httpx.Response(200, content=body, headers={"ETag": '"dpl-1"'})

    fetcher = HttpFetcher(transport=httpx.MockTransport(handle), sleep=lambda _: None)
    validators = tmp_path / "validators.json"
    with Store.open(tmp_path / "home") as store:
        (first,) = update_from_official(store, fetcher, ["us_bis_dpl"], validators)
        (second,) = update_from_official(store, fetcher, ["us_bis_dpl"], validators)
        assert (first.status, first.entity_count) == ("added", 538)
        assert second.status == "not_modified"
        assert seen == [None, '"dpl-1"']
        assert len(store.versions("us_bis_dpl")) == 1


def test_unreachable_source_is_reported_and_recorded(tmp_path: Path) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network closed", request=request)

    fetcher = HttpFetcher(
        transport=httpx.MockTransport(handle), sleep=lambda _: None, retries=1
    )
    with Store.open(tmp_path / "home") as store:
        (outcome,) = update_from_official(
            store, fetcher, ["un_sc"], tmp_path / "validators.json"
        )
        assert outcome.status == "unavailable"
        assert "2 attempts" in outcome.message
        assert store.versions() == []
        assert store.audit_events(1)[0]["event"] == "import_failed"
