"""Fetching: HTTP through a mock transport (never the network), and folders of files."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import httpx
import pytest

from clearance.errors import SourceUnavailable
from clearance.sources import DirectoryFetcher, HttpFetcher, SourceSpec, date_from_name

SPEC = SourceSpec(
    "un_sc", "un_xml", {"consolidated.xml": "https://example.test/un.xml"}
)
BODY = b'<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:00Z"></CONSOLIDATED_LIST>'


def fetcher(
    handler: httpx.MockTransport, sleeps: list[float] | None = None
) -> HttpFetcher:
    record = sleeps if sleeps is not None else []
    return HttpFetcher(transport=handler, sleep=record.append, backoff=0.5, retries=3)


def test_download_returns_bytes_and_keeps_validators() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BODY, headers={"ETag": '"v1"'})

    outcome = fetcher(httpx.MockTransport(handle)).fetch(SPEC)
    assert outcome.raw is not None
    assert outcome.raw.parts["consolidated.xml"] == BODY
    assert outcome.validators["https://example.test/un.xml"] == {"etag": '"v1"'}


def test_conditional_request_reports_not_modified() -> None:
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("If-None-Match"))
        return httpx.Response(304)

    validators = {"https://example.test/un.xml": {"etag": '"v1"'}}
    outcome = fetcher(httpx.MockTransport(handle)).fetch(SPEC, validators)
    assert outcome.raw is None
    assert seen == ['"v1"']


def test_server_errors_are_retried_with_growing_backoff() -> None:
    calls = iter([503, 502, 200])

    def handle(request: httpx.Request) -> httpx.Response:
        status = next(calls)
        return httpx.Response(status, content=BODY if status == 200 else b"")

    sleeps: list[float] = []
    outcome = fetcher(httpx.MockTransport(handle), sleeps).fetch(SPEC)
    assert outcome.raw is not None
    assert sleeps == [0.5, 1.0]


def test_gzipped_download_is_unpacked() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=gzip.compress(BODY))

    outcome = fetcher(httpx.MockTransport(handle)).fetch(SPEC)
    assert outcome.raw is not None and outcome.raw.parts["consolidated.xml"] == BODY


def test_persistent_failure_raises_source_unavailable() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    with pytest.raises(SourceUnavailable, match="4 attempts"):
        fetcher(httpx.MockTransport(handle)).fetch(SPEC)


def test_client_error_is_not_retried() -> None:
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404)

    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        fetcher(httpx.MockTransport(handle)).fetch(SPEC)
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sdn_2021-08-18.csv.gz", date(2021, 8, 18)),
        ("2022-05_full", date(2022, 5, 1)),
        ("itar_debarred_party_list_01242018.csv", date(2018, 1, 24)),
        ("consolidated.xml", None),
        ("20240527134702-zbn", date(2024, 5, 27)),
        ("cons_prim.csv", None),
    ],
)
def test_dates_are_read_from_file_and_folder_names(
    name: str, expected: date | None
) -> None:
    assert date_from_name(name) == expected


OFAC_MAIN = b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
OFAC_ADD = b'36,25,-0- ,"Havana","Cuba",-0- \r\n'
OFAC_ALT = b'36,12,"aka","AERO-CARIBBEAN",-0- \r\n'


def test_folder_with_add_and_alt_but_no_main_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "add.csv").write_bytes(OFAC_ADD)
    (tmp_path / "alt.csv").write_bytes(OFAC_ALT)
    scan = DirectoryFetcher(tmp_path).scan()
    assert scan.candidates == []
    assert "without the main file" in scan.skipped[0].reason


def test_ofac_set_is_grouped_and_dated_from_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "2021-07-07"
    folder.mkdir()
    (folder / "sdn.csv").write_bytes(OFAC_MAIN)
    (folder / "add.csv").write_bytes(OFAC_ADD)
    (folder / "alt.csv").write_bytes(OFAC_ALT)
    (candidate,) = DirectoryFetcher(tmp_path).scan().candidates
    assert candidate.format == "ofac_csv"
    assert sorted(candidate.paths) == ["add.csv", "alt.csv", "sdn.csv"]
    assert candidate.published == date(2021, 7, 7)


def test_renamed_files_are_recognised_from_content(tmp_path: Path) -> None:
    (tmp_path / "download (3).bin").write_bytes(BODY)
    (candidate,) = DirectoryFetcher(tmp_path).scan().candidates
    assert (candidate.source, candidate.format) == ("un_sc", "un_xml")


def test_history_folder_gives_one_candidate_per_dated_main_file(tmp_path: Path) -> None:
    for day in ("2022-02-28", "2022-03-31"):
        (tmp_path / f"sdn_{day}.csv.gz").write_bytes(gzip.compress(OFAC_MAIN))
    scan = DirectoryFetcher(tmp_path).scan()
    assert [c.published for c in scan.candidates] == [
        date(2022, 2, 28),
        date(2022, 3, 31),
    ]


def test_excluded_paths_are_not_scanned(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "un.xml").write_bytes(BODY)
    assert DirectoryFetcher(tmp_path, ("samples",)).scan().candidates == []
