"""``clearance compare`` on synthetic pairs: one JSON line per pair, word rarity named."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from clearance.cli.main import app
from clearance.store import Store
from tests.factories import make_entity, make_meta

ENV = {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
PAIRS = [
    {
        "id": "same",
        "left": {"schema": "Company", "properties": {"name": ["Sugon"]}},
        "right": {
            "id": "r1",
            "schema": "Company",
            "properties": {
                "name": ["Dawning Information Industry"],
                "alias": ["SUGON"],
            },
        },
    },
    {"id": "broken", "left": {"schema": "Company", "properties": {"name": ["X"]}}},
]


def _compare(home: Path, tmp_path: Path) -> tuple[int, str, list[dict[str, object]]]:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(p) for p in PAIRS) + "\n", encoding="utf-8")
    output = tmp_path / "scores.jsonl"
    runner = CliRunner(env={**ENV, "CLEARANCE_HOME": str(home)})
    result = runner.invoke(app, ["compare", str(pairs), "--output", str(output)])
    lines = [json.loads(x) for x in output.read_text(encoding="utf-8").splitlines()]
    return result.exit_code, result.stderr, lines


def test_compare_without_a_store_uses_neutral_word_rarity(
    home: Path, tmp_path: Path
) -> None:
    code, err, lines = _compare(home, tmp_path)
    assert "word rarity: neutral" in err
    assert "2 pairs compared, 1 matched, 1 unusable" in err
    assert code == 1  # a line failed
    assert lines[0]["id"] == "same" and lines[0]["match"] is True
    assert lines[1] == {
        "id": "broken",
        "line": 2,
        "error": "right: missing, or not a JSON object",
    }


def test_compare_with_a_store_uses_its_index(home: Path, tmp_path: Path) -> None:
    with (
        Store.open(home) as store,
        store.import_version(make_meta("us_ofac_sdn", date(2022, 1, 31))) as writer,
    ):
        writer.add(make_entity("us_ofac_sdn:1", "SUGON TRADING"))
        writer.finish()
    code, err, lines = _compare(home, tmp_path)
    assert "word rarity: from the store's index" in err
    assert code == 1
    assert lines[0]["match"] is True
