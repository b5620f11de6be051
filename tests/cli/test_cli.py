"""The command line on a synthetic store: output, JSON, and one-line errors with exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearance.cli.main import app
from clearance.model import Entity
from clearance.store import Store
from tests.factories import make_entity, make_meta

ENV = {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}


def run(home: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner(env={**ENV, "CLEARANCE_HOME": str(home)})
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def put(
    home: Path,
    entities: list[Entity],
    published: date,
    source: str,
    database_url: str | None = None,
) -> None:
    with (
        Store.open(home, database_url) as store,
        store.import_version(make_meta(source, published)) as writer,
    ):
        for entity in entities:
            writer.add(entity)
        writer.finish()


@pytest.fixture
def filled(home: Path) -> Path:
    dawning = make_entity(
        "us_ofac_cons:32091",
        "DAWNING INFORMATION INDUSTRY CO., LTD",
        aliases=("SUGON",),
        isin="CNE100001TW7",
        programs=("CMIC-EO13959",),
        listed_on=date(2021, 6, 3),
    )
    put(home, [dawning], date(2025, 12, 19), "us_ofac_cons")
    first = [make_entity(f"us_ofac_sdn:{i}", f"PARTY {i}") for i in range(1, 5)]
    put(home, first, date(2022, 2, 28), "us_ofac_sdn")
    put(
        home,
        [*first, make_entity("us_ofac_sdn:9", "NEW PARTY")],
        date(2022, 3, 31),
        "us_ofac_sdn",
    )
    return home


def test_lists_shows_each_source_and_list(filled: Path) -> None:
    code, out, _ = run(filled, "lists")
    assert code == 0
    assert "us_ofac_sdn" in out and "2022-03-31" in out
    assert "asset_freeze" in out


def test_lists_json_has_iso_dates(filled: Path) -> None:
    code, out, _ = run(filled, "lists", "--json")
    data = json.loads(out)
    assert code == 0
    sdn = next(s for s in data["sources"] if s["source"] == "us_ofac_sdn")
    assert sdn["published"] == "2022-03-31" and sdn["versions"] == 2


def test_show_prints_listing_with_legal_effect_in_words(filled: Path) -> None:
    code, out, _ = run(filled, "show", "us_ofac_cons:32091")
    assert code == 0
    assert "SUGON" in out
    assert "securities_ban" in out and "divestment" in out
    assert "2021-06-03" in out


def test_show_accepts_an_exact_name(filled: Path) -> None:
    code, out, _ = run(filled, "show", "sugon", "--json")
    assert code == 0
    (entity,) = json.loads(out)
    assert entity["id"] == "us_ofac_cons:32091"
    assert entity["listings"][0]["legal_effect"] == "securities_ban"
    assert entity["listings"][0]["listed_on"] == "2021-06-03"


def test_find_sugon_finds_dawning(filled: Path) -> None:
    code, out, _ = run(filled, "find", "sugon")
    assert code == 0
    assert "DAWNING INFORMATION INDUSTRY" in out


def test_diff_between_dates_lists_added_entries(filled: Path) -> None:
    code, out, _ = run(
        filled,
        "diff",
        "us_ofac_sdn",
        "--from",
        "2022-02-28",
        "--to",
        "2022-03-31",
        "--json",
    )
    data = json.loads(out)
    assert code == 0
    assert data["counts"] == {"added": 1, "removed": 0, "changed": 0}
    assert data["added"][0]["caption"] == "NEW PARTY"


def test_history_shows_when_an_entity_was_listed(filled: Path) -> None:
    code, out, _ = run(filled, "history", "us_ofac_sdn:9", "--json")
    events = json.loads(out)["sources"]["us_ofac_sdn"]
    assert code == 0
    assert [(e["event"], e["version"]["published"]) for e in events] == [
        ("listed", "2022-03-31")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "us_ofac_sdn:999999"), "no entity"),
        (("show", "us_ofac_sdn:1", "--as-of", "31/12/2022"), "not a date"),
        (("diff", "nonexistent_source"), "no source"),
        (("update", "--from", "/nonexistent/folder"), "no such folder"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_1(
    filled: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(filled, *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_empty_store_says_to_run_update(home: Path) -> None:
    code, _, err = run(home, "show", "us_ofac_sdn:1")
    assert code == 1
    assert "run `clearance update`" in err


def test_home_option_overrides_the_environment(filled: Path, tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "elsewhere", "--home", str(filled), "find", "sugon")
    assert code == 0, err
