"""The command line against PostgreSQL (CLEARANCE_DATABASE_URL): the same commands give the
same answers as on the embedded SQLite store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clearance.cli.main import app
from tests.cli.test_cli import ENV
from tests.pg_cluster import Cluster

pytestmark = [pytest.mark.realdata, pytest.mark.postgres]


def run(home: Path, url: str | None, *args: str) -> tuple[int, str, str]:
    env = {**ENV, "CLEARANCE_HOME": str(home)}
    if url is not None:
        env["CLEARANCE_DATABASE_URL"] = url
    result = CliRunner(env=env).invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def stores(
    shared_data: Path,
    postgres_cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, str | None]]:
    """The three Denied Persons List snapshots, loaded by `clearance update --from` into
    SQLite and into PostgreSQL, both stores sharing one home folder (and its saved
    indexes)."""
    home = tmp_path_factory.mktemp("home")
    out: dict[str, tuple[Path, str | None]] = {
        "sqlite": (home, None),
        "postgres": (home, postgres_cluster.create_database()),
    }
    for h, url in out.values():
        code, _, err = run(h, url, "update", "--from", str(shared_data / "us_bis_dpl"))
        assert code == 0, err
    return out


def _unstamped(data: Any) -> Any:
    """JSON without ``retrieved_at``: each store loaded the files at its own moment."""
    if isinstance(data, dict):
        return {k: _unstamped(v) for k, v in data.items() if k != "retrieved_at"}
    if isinstance(data, list):
        return [_unstamped(v) for v in data]
    return data


def both(stores: dict[str, tuple[Path, str | None]], *args: str) -> tuple[Any, Any]:
    """One command's JSON output on SQLite and on PostgreSQL."""
    answers = []
    for home, url in stores.values():
        code, out, err = run(home, url, *args, "--json")
        assert code == 0, err
        answers.append(_unstamped(json.loads(out)))
    return answers[0], answers[1]


def test_update_writes_to_the_database_not_the_home_folder(
    stores: dict[str, tuple[Path, str | None]],
) -> None:
    home, url = stores["postgres"]
    assert url is not None
    code, out, _ = run(home, url, "versions", "us_bis_dpl", "--json")
    assert code == 0
    assert [v["published"] for v in json.loads(out)] == [
        "2019-06-01",
        "2022-09-01",
        "2023-11-01",
    ]
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM versions").fetchone()
    assert row is not None and row[0] == 3


def test_lists_counts_agree(stores: dict[str, tuple[Path, str | None]]) -> None:
    lite, pg = both(stores, "lists")
    assert pg["sources"][0]["entities_by_list"] == {"us_bis_dpl": 538}
    assert (
        pg["sources"][0]["entities_by_effect"]
        == lite["sources"][0]["entities_by_effect"]
    )
    assert pg["sources"][0]["versions"] == 3


def test_diff_agrees(stores: dict[str, tuple[Path, str | None]]) -> None:
    lite, pg = both(stores, "diff", "us_bis_dpl", "--from", "2022-09-01")
    assert len(pg["added"]) > 0
    assert pg == lite


def test_find_show_and_history_agree(
    stores: dict[str, tuple[Path, str | None]],
) -> None:
    lite, pg = both(stores, "find", "aaron abraham villa")
    assert pg == lite
    assert pg[0]["found_by"] == "exact name"
    entity_id = pg[0]["id"]
    lite, pg = both(stores, "show", entity_id)
    assert pg == lite
    lite, pg = both(stores, "history", entity_id)
    assert pg == lite
    assert "listed" in json.dumps(pg)


def test_check_screens_against_the_database(
    stores: dict[str, tuple[Path, str | None]],
) -> None:
    lite, pg = both(stores, "check", "Aaron Abraham Villa")
    assert pg["hits"][0]["caption"] == "AARON ABRAHAM VILLA"
    assert pg["hits"] == lite["hits"]
    home, _ = stores["postgres"]
    # each store saved its own index in the shared home folder
    assert len(list((home / "index").glob("index-*.pickle"))) == 2


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "postgresql://nobody:secret@127.0.0.1:1/none", "lists")
    assert code != 0
    assert "cannot connect to PostgreSQL" in err
    assert "secret" not in err
    assert len(err.strip().splitlines()) == 1


def test_role_without_create_rights_is_a_one_line_error(
    postgres_cluster: Cluster, tmp_path: Path
) -> None:
    import psycopg

    url = postgres_cluster.create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS clearance_reader")
        conn.execute("CREATE ROLE clearance_reader LOGIN")  # PostgreSQL 15: no CREATE
    reader_url = url.replace("postgres@", "clearance_reader@")
    code, _, err = run(tmp_path, reader_url, "lists")
    assert code == 1
    assert "cannot set up Clearance's tables" in err
    assert "permission denied" in err
