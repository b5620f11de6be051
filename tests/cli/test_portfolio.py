"""``clearance portfolio`` on a holdings file of real ISINs, a ticker and issuer names
(seed firms on NS-CMIC plus innocent ones), over the OFAC non-SDN CSV of 19 Dec 2025."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from clearance.cli.main import app
from clearance.ingest import update_from_directory
from clearance.store import Store
from tests.cli.conftest import store_env

pytestmark = pytest.mark.realdata

ENV = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
HOLDINGS = [
    ["Account", "ISIN", "Ticker", "Issuer", "Quantity"],
    ["A1", "CNE100000PM8", "", "Hangzhou Hikvision", "1000"],
    ["A1", "", "603019 CN", "", "50"],
    ["A2", "", "", "SenseTime Group", "10"],
    ["A2", "US0378331005", "AAPL US", "Apple Inc.", "200"],
    ["A3", "US5949181045", "MSFT US", "Microsoft Corporation", "7"],
]


def run(home: Path, *args: str) -> tuple[int, str, str]:
    env = {**ENV, **store_env(home)}
    result = CliRunner(env=env).invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_csv_holdings_report_ns_cmic_status_and_dates(
    cons_home: Path, tmp_path: Path
) -> None:
    holdings = tmp_path / "holdings.csv"
    with holdings.open("w", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(HOLDINGS)
    output = tmp_path / "result.csv"
    code, out, _ = run(cons_home, "portfolio", str(holdings), "--output", str(output))
    assert code == 0
    assert "3 of 5 holdings listed (1 on the issuer name only)" in out
    assert "issuer name (name only: review)" in out
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [r["Quantity"] for r in rows] == ["1000", "50", "10", "200", "7"]
    assert [r["listed"] for r in rows] == ["true", "true", "true", "false", "false"]
    assert [r["match_basis"] for r in rows] == [
        "isin + issuer name",
        "ticker",
        "issuer name",
        "",
        "",
    ]
    hikvision = rows[0]
    assert (
        hikvision["matched_entity"] == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    )
    assert (hikvision["listed_on"], hikvision["purchase_prohibited_on"]) == (
        "2021-06-03",
        "2021-08-02",
    )
    assert hikvision["divestment_deadline"] == "2022-06-03"
    assert rows[1]["matched_entity"] == "DAWNING INFORMATION INDUSTRY CO., LTD"
    assert rows[2]["status"].startswith("purchase prohibited since 2022-02-08")
    assert rows[3]["status"] == rows[4]["status"] == "not listed"


def test_xlsx_holdings_to_parquet_with_a_named_column(
    cons_home: Path, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Security", "Code"])
    sheet.append(["Sugon", "CNE100001TW7"])
    sheet.append(["Apple", "US0378331005"])
    holdings = tmp_path / "holdings.xlsx"
    book.save(holdings)
    output = tmp_path / "result.parquet"
    code, _, _ = run(
        cons_home,
        "portfolio",
        str(holdings),
        "--output",
        str(output),
        "--isin-col",
        "Code",
        "--json",
    )
    assert code == 0
    table = pq.read_table(output).to_pylist()
    assert [r["listed"] for r in table] == [True, False]
    assert table[0]["matched_id"] == "us_ofac_cons:33113"
    assert table[0]["match_basis"] == "isin + issuer name"  # "Security": the issuer


def test_no_usable_column_is_one_line_exit_1(cons_home: Path, tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("account,quantity\nA1,3\n")
    code, _, err = run(
        cons_home, "portfolio", str(holdings), "--output", str(tmp_path / "r.csv")
    )
    assert code == 1
    assert err.strip().count("\n") == 0
    assert "no ISIN, ticker or issuer column (columns: 'account', 'quantity')" in err


def test_json_summary_lists_the_listed_holdings(
    cons_home: Path, tmp_path: Path
) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("isin\nCNE100000PM8\n\nUS0378331005\n")
    code, out, _ = run(
        cons_home,
        "portfolio",
        str(holdings),
        "--output",
        str(tmp_path / "r.jsonl"),
        "--as-of",
        "2026-01-01",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["holdings"], data["listed"], data["as_of"]) == (2, 1, "2026-01-01")
    assert data["listed_holdings"][0]["matched_id"] == "us_ofac_cons:30946"
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert json.loads(lines[1])["status"] == "not listed"


def _status(home: Path, tmp_path: Path, *options: str) -> dict[str, Any]:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("isin\nCNE100000PM8\n")  # Hikvision, on NS-CMIC
    code, out, err = run(
        home,
        "portfolio",
        str(holdings),
        "--output",
        str(tmp_path / "r.csv"),
        *options,
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("status_date", "status"),
    [
        (
            "2021-07-01",  # listed, purchase ban not yet in force
            "listed 2021-06-03; purchase prohibited from 2021-08-02; "
            "divestment deadline 2022-06-03",
        ),
        (
            "2022-01-01",  # purchases prohibited, divestment sales still allowed
            "purchase prohibited since 2021-08-02; divestment deadline 2022-06-03",
        ),
        (
            "2022-06-04",  # the day after the divestment deadline
            "purchase prohibited since 2021-08-02; divestment deadline 2022-06-03 "
            "passed: purchases and sales prohibited",
        ),
    ],
)
def test_status_date_states_hikvision_status_on_that_date_with_current_lists(
    cons_home: Path, tmp_path: Path, status_date: str, status: str
) -> None:
    data = _status(cons_home, tmp_path, "--status-date", status_date)
    assert (data["as_of"], data["status_date"]) == (None, status_date)
    [held] = data["listed_holdings"]
    assert held["status"] == status
    assert held["status_date"] == status_date
    dates = (held["listed_on"], held["purchase_prohibited_on"])
    assert dates == ("2021-06-03", "2021-08-02")
    assert held["divestment_deadline"] == "2022-06-03"


@pytest.fixture(scope="module")
def two_versions_home(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """OFAC's non-SDN list of 27 May 2018 (before NS-CMIC existed) and of 19 Dec 2025."""
    home = tmp_path_factory.mktemp("cons2")
    with Store.open(home) as store:
        for day in ("2018-05-27", "2025-12-19"):
            folder = shared_data / "us_ofac_consolidated" / "csv" / day
            outcomes, _ = update_from_directory(store, folder, force=True)
            assert [o.status for o in outcomes] == ["added"]  # 2025: 197 fewer entities
    return home


def test_as_of_picks_the_lists_and_status_date_defaults_to_it(
    two_versions_home: Path, tmp_path: Path
) -> None:
    before = _status(two_versions_home, tmp_path, "--as-of", "2019-06-01")
    assert (before["as_of"], before["status_date"]) == ("2019-06-01", "2019-06-01")
    assert before["listed"] == 0  # the 2018 list has no NS-CMIC entries
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert (rows[0]["status"], rows[0]["status_date"]) == ("not listed", "2019-06-01")


def test_as_of_and_status_date_are_separate(
    two_versions_home: Path, tmp_path: Path
) -> None:
    data = _status(
        two_versions_home,
        tmp_path,
        "--as-of",
        "2026-01-01",
        "--status-date",
        "2021-07-01",
    )
    assert (data["as_of"], data["status_date"]) == ("2026-01-01", "2021-07-01")
    [held] = data["listed_holdings"]
    assert held["status"].startswith("listed 2021-06-03; purchase prohibited from")
    old = _status(
        two_versions_home,
        tmp_path,
        "--as-of",
        "2019-06-01",
        "--status-date",
        "2022-01-01",
    )
    assert old["listed"] == 0  # the lists of 2019 did not have it, whatever the date


def test_table_names_the_status_date_and_the_lists(
    cons_home: Path, tmp_path: Path
) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("isin\nCNE100000PM8\n")
    code, out, _ = run(
        cons_home,
        "portfolio",
        str(holdings),
        "--output",
        str(tmp_path / "r.csv"),
        "--status-date",
        "2022-01-01",
    )
    assert code == 0
    assert "status on 2022-01-01; current lists" in out
    assert "divestment deadline 2022-06-03" in out


def test_bad_status_date_is_one_line_exit_1(cons_home: Path, tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("isin\nCNE100000PM8\n")
    code, _, err = run(
        cons_home,
        "portfolio",
        str(holdings),
        "--output",
        str(tmp_path / "r.csv"),
        "--status-date",
        "1 June",
    )
    assert code == 1
    assert "--status-date" in err and "is not a date" in err
