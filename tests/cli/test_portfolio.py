"""``clearance portfolio`` on a holdings file of real ISINs, a ticker and issuer names
(seed firms on NS-CMIC plus innocent ones), over the OFAC non-SDN CSV of 19 Dec 2025."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from clearance.cli.main import app
from clearance.ingest import update_from_directory
from clearance.store import Store

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


@pytest.fixture(scope="module")
def cons_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cons")
    with Store.open(home) as store:
        update_from_directory(
            store, shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
        )
    return home


def run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner(env={**ENV, "CLEARANCE_HOME": str(home)}).invoke(app, list(args))
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
