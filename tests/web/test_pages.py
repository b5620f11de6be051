"""The web pages rendered by FastAPI's test client over the small real store."""

from __future__ import annotations

import csv
import io
import json
import time
from html import unescape

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from clearance.screen import Service
from tests.web.conftest import make_app

pytestmark = pytest.mark.realdata

VEKSELBERG = "us_ofac_sdn:24306"  # gained the RUSSIA-EO14024 program on 2022-03-31


def text(html: str) -> str:
    return unescape(html)


def test_search_for_sugon_shows_dawning_with_both_listings(client: TestClient) -> None:
    page = client.get("/ui/", params={"q": "sugon"})
    assert page.status_code == 200
    html = text(page.text)
    assert "DAWNING INFORMATION INDUSTRY CO., LTD" in html
    assert "Entity List" in html
    assert "Securities ban (NS-CMIC)" in html
    assert "Export licence required" in html
    assert "Listed since" in html
    assert "Matched name" in html
    assert "query words found" in html  # the evidence, in words
    assert "Also listed" in html  # the Entity List's Sugon and NS-CMIC's Dawning meet


def test_search_by_isin_finds_the_entity(client: TestClient) -> None:
    html = text(client.get("/ui/", params={"q": "CNE100001TW7"}).text)
    assert "DAWNING INFORMATION INDUSTRY CO., LTD" in html
    assert "Identifier: same ISIN" in html


def test_search_with_a_bad_birth_date_says_what_is_wrong(client: TestClient) -> None:
    page = client.get("/ui/", params={"q": "sugon", "birth_date": "yesterday"})
    assert page.status_code == 400
    assert "is not YYYY, YYYY-MM or YYYY-MM-DD" in text(page.text)


def test_search_text_is_escaped_in_the_page(client: TestClient) -> None:
    html = client.get("/ui/", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_page_without_query_is_a_labelled_form(client: TestClient) -> None:
    html = client.get("/ui/").text
    assert '<label for="q">' in html
    assert 'href="#main"' in html  # skip link
    assert 'method="get"' in html


def test_root_sends_a_browser_to_the_search_page(client: TestClient) -> None:
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].endswith("/ui/")


def test_entity_page_shows_fields_listings_and_timeline(client: TestClient) -> None:
    html = text(client.get(f"/ui/entities/{VEKSELBERG}").text)
    assert "VEKSELBERG, Viktor Feliksovich" in html
    assert "Asset freeze" in html
    assert "2022-02-28" in html and "2022-03-31" in html
    timeline = html.split('id="timeline"', 1)[1]
    assert "changed" in timeline
    assert "RUSSIA-EO14024" in timeline


def test_entity_page_links_the_same_party_on_other_lists(client: TestClient) -> None:
    search = text(client.get("/ui/", params={"q": "sugon"}).text)
    link = search.split('<h3><a href="', 1)[1].split('"', 1)[0]
    html = text(client.get(link).text)
    assert "The same party on other lists" in html
    assert "/ui/entities/" in html.split('id="related"', 1)[1]


def test_unknown_entity_is_a_404_page(client: TestClient) -> None:
    page = client.get("/ui/entities/us_ofac_sdn:0")
    assert page.status_code == 404
    assert "no entity" in page.text


def test_lists_page_states_each_legal_effect(client: TestClient) -> None:
    html = text(client.get("/ui/lists").text)
    for source in ("us_trade_csl", "us_ofac_cons", "us_ofac_sdn"):
        assert source in html
    assert "2025-12-19" in html  # publication date of the non-SDN version
    assert "Entity List" in html
    assert "US persons may not purchase or sell publicly traded securities" in html


def test_lists_page_as_of_a_date_shows_the_versions_then(client: TestClient) -> None:
    html = text(client.get("/ui/lists", params={"as_of": "2022-03-15"}).text)
    assert "current on 2022-03-15" in html
    assert "2022-02-28" in html
    assert "2022-03-31" not in html
    assert "us_ofac_cons" not in html  # first published 2025-12-19


def test_changes_page_counts_and_links_sdn_changes(client: TestClient) -> None:
    page = client.get(
        "/ui/changes",
        params={"source": "us_ofac_sdn", "since": "2022-02-28", "until": "2022-03-31"},
    )
    html = text(page.text)
    assert page.status_code == 200
    # measured with `clearance diff us_ofac_sdn --from 2022-02-28 --to 2022-03-31`
    assert "627 added" in html
    assert "2 removed" in html
    assert "26 changed" in html
    assert f"/ui/entities/{VEKSELBERG}#timeline" in html


def test_changes_page_starts_from_each_sources_newest_versions(
    client: TestClient,
) -> None:
    html = text(client.get("/ui/changes").text)
    row = html.split("?source=us_ofac_sdn", 1)[1].split("</tr>", 1)[0]
    assert "2022-03-31" in row and "2022-02-28" in row
    assert "?source=us_ofac_cons" not in html  # one version: nothing to compare


def test_changes_page_refuses_a_reversed_period(client: TestClient) -> None:
    page = client.get(
        "/ui/changes", params={"since": "2022-03-31", "until": "2022-02-28"}
    )
    assert page.status_code == 400
    assert "must not be after until" in page.text


def _wait_done(client: TestClient, location: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        status: dict[str, object] = client.get(f"{location}/status").json()
        if status["state"] in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_batch_csv_upload_screens_every_row(client: TestClient) -> None:
    body = "qid,name,country\nq1,Sugon,cn\nq2,Jane Nobody Smithson,\nq3,,\n"
    page = client.post(
        "/ui/batch",
        files={"file": ("parties.csv", body.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert page.status_code == 303
    location = page.headers["location"]
    status = _wait_done(client, location)
    assert status["state"] == "done"
    assert status["done"] == 3
    html = text(client.get(location).text)
    assert "Alerts by list" in html
    assert "Download results (CSV)" in html
    rows = list(csv.DictReader(io.StringIO(client.get(f"{location}/results.csv").text)))
    assert {r["qid"] for r in rows} == {"q1", "q2", "q3"}
    sugon = [r for r in rows if r["qid"] == "q1" and r["match"] == "yes"]
    assert "us_ofac_cons" in {r["lists"] for r in sugon}
    assert any(r["error"] for r in rows if r["qid"] == "q3")
    data = json.loads(client.get(f"{location}/results.json").text)
    assert data["summary"]["rows"] == 3
    assert data["summary"]["alerted"] == 1
    assert data["summary"]["errors"] == 1


def test_batch_xlsx_upload_reads_the_first_sheet(client: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Birth date"])
    sheet.append(["Dawning Information Industry", None])
    buffer = io.BytesIO()
    book.save(buffer)
    page = client.post(
        "/ui/batch",
        files={"file": ("parties.xlsx", buffer.getvalue(), "application/octet-stream")},
        follow_redirects=False,
    )
    location = page.headers["location"]
    assert _wait_done(client, location)["state"] == "done"
    data = client.get(f"{location}/results.json").json()
    assert data["results"][0]["hits"][0]["caption"].startswith("DAWNING")


def test_batch_without_a_name_column_fails_with_the_reason(client: TestClient) -> None:
    page = client.post(
        "/ui/batch",
        files={"file": ("x.csv", b"company,town\nSugon,Beijing\n", "text/csv")},
        follow_redirects=False,
    )
    location = page.headers["location"]
    status = _wait_done(client, location)
    assert status["state"] == "failed"
    assert "no 'name' or 'identifier' column" in str(status["error"])
    assert "no 'name' or 'identifier' column" in text(client.get(location).text)


def test_another_server_process_answers_for_a_batch(
    client: TestClient, web_service: Service
) -> None:
    body = b"qid,name\nq1,Sugon\n"
    page = client.post(
        "/ui/batch",
        files={"file": ("one.csv", body, "text/csv")},
        follow_redirects=False,
    )
    location = page.headers["location"]
    # a second app with its own router: what `clearance serve --processes 2` runs
    with TestClient(make_app(web_service)) as other:
        status = _wait_done(other, location)
        assert status["state"] == "done"
        rows = list(
            csv.DictReader(io.StringIO(other.get(f"{location}/results.csv").text))
        )
    assert [r["qid"] for r in rows] == ["q1", "q1"]  # Sugon alerts on two lists
    job_id = location.rsplit("/", 1)[1]
    folder = web_service.home / "batches" / job_id
    assert sorted(p.name for p in folder.iterdir()) == ["job.json", "results.jsonl"]


def test_batch_upload_above_the_limit_is_a_413_page(client: TestClient) -> None:
    body = b"qid,name\n" + b"1,Sugon\n" * 2_600_000  # 20.8 MB
    page = client.post("/ui/batch", files={"file": ("big.csv", body, "text/csv")})
    assert page.status_code == 413
    assert "larger than 20 MB" in page.text


def test_batch_ids_are_not_paths(client: TestClient) -> None:
    for job_id in ("..", "..%2F..%2Fclearance.db", "job.json"):
        assert client.get(f"/ui/batch/{job_id}/status").status_code == 404


def test_static_files_are_served_and_others_are_not(client: TestClient) -> None:
    assert (
        client.get("/ui/static/style.css")
        .headers["content-type"]
        .startswith("text/css")
    )
    assert client.get("/ui/static/../routes.py").status_code == 404
