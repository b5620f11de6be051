"""The web UI in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against
a real uvicorn server on 127.0.0.1; screenshots of each page go to tests/web/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"
LAPTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=375, height=740)
VEKSELBERG = "us_ofac_sdn:24306"  # gained the RUSSIA-EO14024 program on 2022-03-31
ROWS = 5000  # a batch of a few seconds, so the test sees the bar between 0 and 100 %


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} missing: run scripts/_system (scripts/check does)")
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=LAPTOP, locale="en-GB", accept_downloads=True
    )
    tab = context.new_page()
    yield tab
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_width(page: Page) -> bool:
    """No horizontal scrolling: the page is as wide as the window."""
    return bool(
        page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    )


def test_search_for_sugon_shows_dawning_with_both_listings(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/ui/")
    page.get_by_label("Name, identifier or ISIN").fill("sugon")
    page.keyboard.press("Enter")
    results = page.locator("ol.hits").first
    expect(results).to_contain_text("DAWNING INFORMATION INDUSTRY CO., LTD")
    expect(results).to_contain_text("Entity List")
    expect(results).to_contain_text("Securities ban (NS-CMIC)")
    expect(results).to_contain_text("Export licence required")
    dawning = page.locator("li.hit").filter(
        has=page.get_by_role("heading", name="DAWNING INFORMATION INDUSTRY CO., LTD")
    )
    expect(dawning.locator(".tag.match")).to_have_text("Match")
    expect(dawning).to_contain_text("Listed since 2021-12-16")
    # the same party's Entity List entry, linked from the NS-CMIC hit
    expect(dawning.get_by_role("link", name="Sugon")).to_be_visible()
    shot(page, "search")


def test_keyboard_user_reaches_the_skip_link_first(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/ui/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_entity_timeline_shows_the_change_between_two_sdn_versions(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/ui/entities/{VEKSELBERG}")
    expect(page.locator("h1")).to_have_text("VEKSELBERG, Viktor Feliksovich")
    change = page.locator("ol.timeline > li.changed")
    expect(change).to_contain_text("2022-03-31")
    expect(change.locator("ins")).to_contain_text("RUSSIA-EO14024")
    expect(change.locator("del")).to_contain_text("UKRAINE-EO13662")
    expect(page.locator("ol.timeline > li.listed").first).to_contain_text("2022-02-28")
    shot(page, "entity")


def test_search_and_entity_pages_work_without_javascript(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(
        viewport=LAPTOP, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{live_server}/ui/")
    page.get_by_label("Name, identifier or ISIN").fill("CNE100001TW7")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="DAWNING INFORMATION INDUSTRY CO., LTD").click()
    expect(page.locator("h1")).to_have_text("DAWNING INFORMATION INDUSTRY CO., LTD")
    expect(page.locator("#timeline")).to_be_visible()
    context.close()


def test_batch_upload_completes_with_progress_and_downloads(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    upload = tmp_path / "parties.csv"
    names = ["Sugon", "Hikvision", "Viktor Vekselberg", "Jane Nobody Smithson"]
    rows = [f"q{i},{names[i % len(names)]} {i}" for i in range(ROWS)]
    upload.write_text("qid,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    page.goto(f"{live_server}/ui/batch")
    page.get_by_label("File to screen").set_input_files(upload)
    page.get_by_role("button", name="Upload and screen").click()
    bar = page.get_by_role("progressbar", name="Rows screened")
    expect(bar).to_be_visible()
    seen = set()
    download_link = page.get_by_role("link", name="Download results (CSV)")
    for _ in range(1200):  # up to a minute on a loaded machine
        if download_link.count() > 0:
            break
        if bar.count() > 0:
            seen.add(int(bar.get_attribute("aria-valuenow") or 0))
        page.wait_for_timeout(50)
    expect(download_link).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "100")
    assert any(0 < value < 100 for value in seen), f"no progress seen: {seen}"
    expect(page.locator("table", has_text="Alerts by list")).to_contain_text(
        "Entity List"
    )
    shot(page, "batch")
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / "results.csv"
    info.value.save_as(saved)
    results = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert {r["qid"] for r in results} == {f"q{i}" for i in range(ROWS)}
    assert any(r["match"] == "yes" and "us_bis_el" in r["lists"] for r in results)


def test_batch_page_refuses_a_file_above_the_servers_limit(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"  # the server's default upload limit is 20 MB
    big.write_text("qid,name\n" + "1,Sugon Information Industry\n" * 730_000)
    page.goto(f"{live_server}/ui/batch")
    expect(page.locator("label[for=file]")).to_contain_text("up to 20 MB")
    page.get_by_label("File to screen").set_input_files(big)
    page.get_by_role("button", name="Upload and screen").click()
    expect(page.get_by_role("alert")).to_contain_text("larger than 20 MB")
    assert page.url.endswith("/ui/batch")


def test_lists_and_changes_pages(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/ui/lists")
    expect(page.locator("table")).to_contain_text("us_ofac_sdn")
    shot(page, "lists")
    page.get_by_role("link", name="Changes").click()
    page.get_by_label("Source").select_option("us_ofac_sdn")
    page.get_by_label("From").fill("2022-02-28")
    page.get_by_label("To").fill("2022-03-31")
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator("#src-us_ofac_sdn")).to_contain_text("26 changed")
    page.get_by_role("link", name=re.compile("VEKSELBERG")).click()
    expect(page.locator("h1")).to_contain_text("VEKSELBERG")
    page.goto(f"{live_server}/ui/changes?source=us_ofac_sdn")
    shot(page, "changes")


@pytest.mark.parametrize(
    "name, path",
    [
        ("phone-search", "/ui/?q=sugon"),
        ("phone-entity", f"/ui/entities/{VEKSELBERG}"),
        ("phone-lists", "/ui/lists"),
        ("phone-changes", "/ui/changes?source=us_ofac_sdn"),
    ],
)
def test_pages_fit_a_phone_screen(
    browser: Browser, live_server: str, name: str, path: str
) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    page = context.new_page()
    page.goto(live_server + path)
    assert fits_width(page)
    shot(page, name)
    context.close()
