"""Monitoring commands end to end on a synthetic store: watch sets, monitor run, alerts,
dispose, and the audit trail (verify, export, replay, tampering); on each backend in turn
(the store in the home's SQLite file, or in PostgreSQL through CLEARANCE_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from clearance.cli.main import app
from tests.cli.test_cli import ENV, put, run
from tests.factories import make_entity


@pytest.fixture
def url(database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The store's database for every command of the test (None: SQLite in the home)."""
    if database_url is not None:
        monkeypatch.setenv("CLEARANCE_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def listed(home: Path, url: str | None) -> Path:
    put(
        home,
        [
            make_entity("us_ofac_sdn:1", "ACME TRADING LLC"),
            make_entity("us_ofac_sdn:2", "ZENITH MARITIME SHIPPING CO"),
        ],
        date(2022, 1, 31),
        "us_ofac_sdn",
        url,
    )
    assert run(home, "watch", "create", "customers")[0] == 0
    # the commands wrote where the test meant: the home's SQLite file, or PostgreSQL only
    assert (home / "clearance.db").exists() == (url is None)
    return home


def test_import_with_a_column_mapping_and_show(listed: Path, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "Account;Customer Name;Land\nA1;Acme Trading;US\nA2;Quiet Bakery;NO\n"
    )
    code, out, err = run(
        listed,
        "watch",
        "import",
        "customers",
        str(path),
        "--map",
        "ref=Account",
        "--map",
        "name=Customer Name",
        "--map",
        "country=Land",
    )
    assert (code, out.strip()) == (0, "2 added, 0 changed, 0 unchanged, 0 unusable"), (
        err
    )
    code, out, _ = run(listed, "watch", "show", "customers", "--json")
    shown = json.loads(out)["shown"]
    assert [(p["ref"], p["name"], p["country"]) for p in shown] == [
        ("A1", "Acme Trading", "us"),
        ("A2", "Quiet Bakery", "no"),
    ]
    code, out, _ = run(
        listed,
        "watch",
        "import",
        "customers",
        str(path),
        "--map",
        "ref=Account",
        "--map",
        "name=Customer Name",
    )
    assert "0 added, 2 changed" in out  # the country is no longer mapped


def test_import_xlsx(listed: Path, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "birth_date"])
    sheet.append(["X1", "Zenith Maritime Shipping", None])
    sheet.append(["X2", "", None])
    book.save(tmp_path / "parties.xlsx")
    code, out, err = run(
        listed, "watch", "import", "customers", str(tmp_path / "parties.xlsx")
    )
    assert code == 1  # one unusable row, reported
    assert "1 added" in out
    assert "row 2 (X2)" in err


def test_unknown_mapping_column_is_one_line_error(listed: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("ref,name\n1,Acme\n")
    code, _, err = run(
        listed, "watch", "import", "customers", str(path), "--map", "name=Nom"
    )
    assert code == 1
    assert "no column 'Nom'" in err


def test_run_alerts_dispose(listed: Path, tmp_path: Path) -> None:
    run(listed, "watch", "add", "customers", "Acme Trading", "--ref", "A1")
    run(listed, "watch", "add", "customers", "Quiet Bakery", "--ref", "A2")
    digest = tmp_path / "digest.md"
    code, out, err = run(listed, "monitor", "run", "--json", "--digest", str(digest))
    assert code == 0, err
    data = json.loads(out)
    (alert,) = data["alerts"]
    assert (alert["party"]["ref"], alert["entity"]["id"], alert["kind"]) == (
        "A1",
        "us_ofac_sdn:1",
        "new_match",
    )
    assert data["work"]["forward_screens"] == 2
    assert "ACME TRADING LLC" in digest.read_text()
    code, out, _ = run(listed, "alerts", "--open", "--watch", "customers")
    assert "ACME TRADING LLC" in out and "open" in out
    code, out, err = run(
        listed,
        "dispose",
        str(alert["id"]),
        "--decision",
        "false_positive",
        "--reason",
        "other firm",
        "--by",
        "ana",
    )
    assert code == 0, err
    assert "false_positive by ana" in out
    code, out, _ = run(listed, "alerts", "--open", "--json")
    assert json.loads(out) == []
    code, out, _ = run(listed, "alerts", "--json")
    assert json.loads(out)[0]["disposition"]["reason"] == "other firm"
    code, _, err = run(
        listed, "dispose", "99", "--decision", "true_match", "--reason", "x"
    )
    assert code == 1 and "no alert '99'" in err
    code, _, err = run(
        listed, "dispose", str(alert["id"]), "--decision", "maybe", "--reason", "x"
    )
    assert code == 1 and "use one of" in err
    code, _, err = run(listed, "alerts", "--watch", "nope")
    assert code == 1 and "no watch set 'nope'" in err


@pytest.mark.realdata
def test_update_reruns_monitoring_and_survives_a_dead_webhook(
    listed: Path, shared_data: Path
) -> None:
    run(listed, "watch", "add", "customers", "Hikvision", "--ref", "H1")
    run(listed, "monitor", "run")
    folder = shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
    runner_env = {
        "CLEARANCE_WEBHOOK_URL": "http://127.0.0.1:9/hook",
        "CLEARANCE_WEBHOOK_SECRET": "s",
    }
    code, out, err = run_env(listed, runner_env, "update", "--from", str(folder))
    assert code == 0, err
    assert "Monitoring run 2" in out
    assert "1 failed (kept for retry)" in out
    code, out, _ = run(listed, "alerts", "--json")
    assert [a["party"]["ref"] for a in json.loads(out)] == ["H1"]


def run_env(home: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    runner = CliRunner(env={**ENV, "CLEARANCE_HOME": str(home), **env})
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_is_audited_and_replays_to_the_same_digest(
    listed: Path, url: str | None
) -> None:
    code, out, _ = run(listed, "check", "Acme Trading", "--json")
    assert code == 0
    code, out, _ = run(listed, "audit", "export", "--since", "2000-01-01")
    records = [json.loads(line) for line in out.splitlines()]
    screening = [r for r in records if r["event"] == "screening"][-1]
    assert screening["payload"]["query"]["name"] == "Acme Trading"
    assert screening["payload"]["decision"] == "alert"
    # a newer list version does not change what the old screening replays against
    put(
        listed,
        [make_entity("us_ofac_sdn:3", "ACME TRADING LIMITED")],
        date(2022, 2, 28),
        "us_ofac_sdn",
        url,
    )
    code, out, err = run(listed, "audit", "replay", str(screening["id"]), "--json")
    assert code == 0, err
    replayed = json.loads(out)
    assert replayed["same"] is True
    assert replayed["replayed_digest"] == screening["payload"]["results_digest"]
    assert [h[0] for h in replayed["hits"]] == ["us_ofac_sdn:1"]


def tamper(home: Path, url: str | None, sql: str) -> None:
    """Edit the store behind Clearance's back, as someone with database access could."""
    if url is None:
        with sqlite3.connect(home / "clearance.db") as db:
            db.execute(sql)
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def test_audit_verify_catches_an_edited_record(listed: Path, url: str | None) -> None:
    run(listed, "check", "Acme Trading")
    code, out, _ = run(listed, "audit", "verify")
    assert code == 0 and "Audit trail intact" in out
    tamper(
        listed,
        url,
        "UPDATE audit_log SET actor = 'someone else' WHERE event = 'screening'",
    )
    code, _, err = run(listed, "audit", "verify")
    assert code == 1
    assert "contents do not match its hash (edited)" in err
    code, _, err = run(listed, "audit", "replay", "1")
    assert code == 1 and "not a screening" in err


def test_batch_is_audited_with_file_digests(listed: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text("qid,name\n1,Acme Trading\n2,Quiet Bakery\n")
    output = tmp_path / "out.jsonl"
    code, _, err = run(listed, "batch", str(queries), "--output", str(output))
    assert code == 0, err
    code, out, _ = run(listed, "audit", "export")
    (record,) = [json.loads(x) for x in out.splitlines() if '"batch"' in x]
    payload = record["payload"]
    assert payload["file_digest"] == hashlib.sha256(queries.read_bytes()).hexdigest()
    assert payload["results_digest"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert payload["counts"] == {"rows": 2, "alerts": 1, "errors": 0}
    assert payload["decision"] == "alert"


def test_list_remove_and_full_run(listed: Path) -> None:
    run(listed, "watch", "add", "customers", "Acme Trading", "--ref", "A1")
    run(listed, "watch", "add", "customers", "Quiet Bakery", "--ref", "A2")
    code, out, _ = run(listed, "watch", "list", "--json")
    assert json.loads(out)[0]["parties"] == 2
    run(listed, "monitor", "run")
    code, out, _ = run(listed, "monitor", "run", "--json")
    assert json.loads(out)["work"]["parties_changed"] == 0
    code, out, _ = run(listed, "monitor", "run", "--full", "--json")
    data = json.loads(out)
    assert data["work"]["forward_screens"] == 2 and data["alerts"] == []
    code, out, _ = run(listed, "watch", "remove", "customers", "A1")
    assert (code, out.strip()) == (0, "Party A1 (Acme Trading) removed.")
    code, _, err = run(listed, "watch", "remove", "customers", "A1")
    assert code == 1 and "no watched party 'A1'" in err
    code, out, _ = run(listed, "watch", "list", "--json")
    assert json.loads(out)[0]["parties"] == 1
