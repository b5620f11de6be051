"""``clearance batch`` over other inputs and outputs (XLSX in, Parquet and CSV out, named
columns), its summary and errors files, ``--as-of``, over the OFAC non-SDN CSV of
19 Dec 2025."""

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

ENV = {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
HIKVISION = "us_ofac_cons:30946"


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


def suppliers(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Supplier No", "Supplier", "Land", "Spend"])
    sheet.append([4711, "Hangzhou Hikvision Digital Technology", "China", 1200.5])
    sheet.append([4712, "", "Germany", 3])
    sheet.append([4713, "Bäckerei Müller", "Atlantis", 10])
    path = tmp_path / "suppliers.xlsx"
    book.save(path)
    return path


def test_xlsx_with_named_columns_to_parquet_with_summary_and_errors(
    cons_home: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.parquet"
    code, out, err = run(
        cons_home,
        "batch",
        str(suppliers(tmp_path)),
        "--output",
        str(output),
        "--name-col",
        "supplier",
        "--country-col",
        "Land",
        "--id-col",
        "Supplier No",
        "--workers",
        "1",
    )
    assert code == 1  # the empty name
    assert "3 rows screened, 1 with an alert, 1 unusable" in err
    assert "alerts by legal effect securities_ban" in out
    rows = pq.read_table(output).to_pylist()
    assert [r["key"] for r in rows] == ["4711", "4712", "4713"]
    assert rows[0]["Spend"] == "1200.5" and rows[0]["Land"] == "China"
    assert (rows[0]["match"], rows[0]["top_id"]) == (True, HIKVISION)
    assert rows[1]["error"] == "name: empty name and no identifier"
    assert rows[2]["warning"] == "unknown country 'Atlantis' ignored"
    summary = json.loads((tmp_path / "out.parquet.summary.json").read_text())
    assert (summary["rows"], summary["alerts"], summary["errors"]) == (3, 1, 1)
    assert summary["alerts_by_list"] == {"us_ofac_cons": 1}
    assert summary["alerts_by_legal_effect"] == {"securities_ban": 1}
    errors = list(
        csv.reader(io.StringIO((tmp_path / "out.parquet.errors.csv").read_text()))
    )
    assert errors == [
        ["row", "key", "reason", "screened"],
        ["2", "4712", "name: empty name and no identifier", "no"],
        ["3", "4713", "unknown country 'Atlantis' ignored", "yes"],
    ]
    assert not (tmp_path / "out.parquet.checkpoint.json").exists()


def test_clean_csv_exits_0_and_json_prints_the_summary(
    cons_home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("Full Name\tCountry\nHikvision\tcn\nAnna Schmidt\tde\n")
    output = tmp_path / "out.csv"
    code, out, _ = run(
        cons_home, "batch", str(source), "--output", str(output), "--json"
    )
    assert code == 0
    assert json.loads(out)["rows"] == 2
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [r["Full Name"] for r in rows] == ["Hikvision", "Anna Schmidt"]
    assert [r["match"] for r in rows] == ["true", "false"]


def test_as_of_before_any_list_is_one_line_exit_1(
    cons_home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("name\nHikvision\n")
    code, _, err = run(
        cons_home, "batch", str(source), "--output", str(tmp_path / "o.csv"),
        "--as-of", "2001-01-01",
    )  # fmt: skip
    assert code == 1
    assert err.strip().count("\n") == 0
    assert "no list was published by then" in err


def test_unknown_output_extension_is_refused_before_writing(
    cons_home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("name\nHikvision\n")
    code, _, err = run(
        cons_home, "batch", str(source), "--output", str(tmp_path / "o.xls")
    )
    assert code == 1
    assert "name it .csv, .jsonl or .parquet" in err
    assert not (tmp_path / "o.xls").exists()
