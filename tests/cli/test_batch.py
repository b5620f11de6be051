"""``clearance batch`` and ``clearance check`` on bad input, over a small real store (the
OFAC non-SDN CSV of 19 Dec 2025): one-line errors, bad rows reported, odd names survive."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clearance.cli.main import app
from tests.cli.conftest import store_env

pytestmark = pytest.mark.realdata

ENV = {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
HIKVISION = "us_ofac_cons:30946"  # HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.
HUAWEI = "us_ofac_cons:30947"  # HUAWEI TECHNOLOGIES CO., LTD.
GAZPROMBANK = "us_ofac_cons:17016"  # GAZPROMBANK JOINT STOCK COMPANY
ROSNEFT = "us_ofac_cons:17022"  # OPEN JOINT-STOCK COMPANY ROSNEFT OIL COMPANY


def run(home: Path, *args: str) -> tuple[int, str, str]:
    env = {**ENV, **store_env(home)}
    runner = CliRunner(env=env)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def batch(
    home: Path, tmp_path: Path, text: str
) -> tuple[int, str, dict[str, dict[str, Any]]]:
    queries = tmp_path / "queries.csv"
    queries.write_text(text, encoding="utf-8")
    output = tmp_path / "results.jsonl"
    code, _, err = run(home, "batch", str(queries), "--output", str(output))
    lines = [json.loads(x) for x in output.read_text(encoding="utf-8").splitlines()]
    return code, err, {line["qid"]: line for line in lines}


def csv_text(rows: list[tuple[str, str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([("qid", "name"), *rows])
    return buffer.getvalue()


def alerted(line: dict[str, Any]) -> set[str]:
    return {h["id"] for h in line["hits"] if h["match"]}


def test_csv_without_a_name_column_exits_1_with_one_line(
    cons_home: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.csv"
    queries.write_text("qid,company\n1,Hikvision\n", encoding="utf-8")
    output = tmp_path / "results.jsonl"
    code, _, err = run(cons_home, "batch", str(queries), "--output", str(output))
    assert code == 1
    assert err.strip().count("\n") == 0
    assert "no 'name' or 'identifier' column (columns: 'qid', 'company')" in err
    assert not output.exists()


def test_broken_quoting_is_reported_on_its_row_and_the_others_are_screened(
    cons_home: Path, tmp_path: Path
) -> None:
    text = (
        "qid,name\n"
        "q1,Hikvision\n"
        'q2,"Gazprombank\n'  # a quote opened and never closed
        "q3,Rosneft\n"
        'q4,"Huawei Technologies" Co\n'  # text after a closing quote: read leniently
    )
    code, err, out = batch(cons_home, tmp_path, text)
    assert code == 1
    assert "4 rows screened, 3 with an alert, 1 unusable" in err
    assert out["q2"]["row"] == 2
    assert out["q2"]["error"].startswith("line 3: broken quoting")
    assert out["q2"]["hits"] == []
    assert HIKVISION in alerted(out["q1"])
    assert ROSNEFT in alerted(out["q3"])
    assert HUAWEI in alerted(out["q4"])


def test_empty_name_row_gets_an_error_and_the_others_are_screened(
    cons_home: Path, tmp_path: Path
) -> None:
    code, _, out = batch(cons_home, tmp_path, "qid,name\nq1,  \nq2,Hikvision\n")
    assert code == 1
    assert out["q1"] == {
        "qid": "q1",
        "hits": [],
        "row": 1,
        "error": "name: empty name and no identifier",
    }
    assert HIKVISION in alerted(out["q2"])


def test_more_fields_than_columns_is_an_error_not_a_cut_name(
    cons_home: Path, tmp_path: Path
) -> None:
    code, _, out = batch(cons_home, tmp_path, "qid,name\nq1,Huawei, Technologies\n")
    assert code == 1
    assert out["q1"]["error"] == (
        "line 2: 3 fields but 2 columns (quote values that contain a ',')"
    )


def test_long_names_control_characters_and_emoji_give_sane_results(
    cons_home: Path, tmp_path: Path
) -> None:
    rows = [
        ("long", "Hikvision " * 1000),  # 10,000 characters
        ("letters", "X" * 10_000),
        ("control", "Hikvision\x00\x07\x1b"),
        ("only_control", "\x01\x02\x03"),
        ("emoji", "🚀🔥😀"),
        ("nbsp", "Gazprom\u00a0Neft"),
    ]
    code, _, out = batch(cons_home, tmp_path, csv_text(rows))
    assert code == 1  # only_control is unusable
    assert out["long"]["warning"] == "name cut to 1000 characters"
    assert "error" not in out["long"] and "error" not in out["letters"]
    assert alerted(out["letters"]) == set()
    assert HIKVISION in alerted(out["control"])
    assert out["only_control"]["error"] == "name: empty name and no identifier"
    assert "error" not in out["emoji"] and alerted(out["emoji"]) == set()
    assert out["nbsp"]["hits"][0]["id"] == "us_ofac_cons:17143"  # PJSC GAZPROM NEFT


def test_chinese_and_cyrillic_names_find_their_entities(
    cons_home: Path, tmp_path: Path
) -> None:
    rows = [
        ("zh", "华为技术有限公司"),
        ("zh_traditional", "華為技術有限公司"),
        ("ru_bank", "Газпромбанк"),
        ("ru_oil", "Роснефть"),
    ]
    code, _, out = batch(cons_home, tmp_path, csv_text(rows))
    assert code == 0
    assert HUAWEI in alerted(out["zh"])
    assert HUAWEI in alerted(out["zh_traditional"])
    assert GAZPROMBANK in alerted(out["ru_bank"])
    assert ROSNEFT in alerted(out["ru_oil"])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--birth-date", "1990-13", "error: --birth-date: '1990-13' is not YYYY"),
        ("--birth-date", "soon", "error: --birth-date: 'soon' is not YYYY"),
        ("--schema", "Plant", "error: --schema: 'Plant': use one of person"),
        ("--schema", "[/x]", "error: --schema: '[/x]': use one of person"),
    ],
)
def test_check_with_a_bad_option_exits_1_with_one_line(
    cons_home: Path, option: str, value: str, message: str
) -> None:
    code, out, err = run(cons_home, "check", "Hikvision", option, value)
    assert code == 1
    assert out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith(message)


def test_check_echoes_a_long_or_bracketed_name_without_crashing(
    cons_home: Path,
) -> None:
    code, out, _ = run(cons_home, "check", "[/x] " + "Q" * 10_000)
    assert code == 0
    assert out.startswith("No candidate for '[/x] QQQ")
    assert len(out) < 200
