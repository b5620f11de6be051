"""`clearance update --from` on real files: summary, refusals, failures and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run

pytestmark = pytest.mark.realdata


def test_update_from_a_folder_reports_each_file(shared_data: Path, home: Path) -> None:
    code, out, err = run(
        home, "update", "--from", str(shared_data / "us_bis_dpl"), "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert [
        (o["published"], o["status"], o["entity_count"]) for o in data["outcomes"]
    ] == [
        ("2019-06-01", "added", 410),
        ("2022-09-01", "added", 452),
        ("2023-11-01", "added", 538),
    ]
    code, out, _ = run(home, "update", "--from", str(shared_data / "us_bis_dpl"))
    assert code == 0
    assert "3 unchanged" in out


def test_malformed_file_exits_3_naming_file_and_line(
    shared_data: Path, home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "un" / "2026-02-27"
    folder.mkdir(parents=True)
    real = (shared_data / "un_sc" / "2026-02-27" / "consolidated.xml").read_bytes()
    (folder / "consolidated.xml").write_bytes(real[:50_000])
    code, out, _ = run(home, "update", "--from", str(folder), "--json")
    assert code == 3
    (outcome,) = json.loads(out)["outcomes"]
    assert outcome["status"] == "failed"
    assert "consolidated.xml" in outcome["message"] and "line" in outcome["message"]


def test_incomplete_ofac_set_is_reported_and_skipped(
    shared_data: Path, home: Path
) -> None:
    folder = shared_data / "us_ofac_sdn" / "csv" / "2024-01-08_no_sdn"
    code, out, _ = run(home, "update", "--from", str(folder), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["outcomes"] == []
    assert "without the main file" in data["skipped"][0]["reason"]


def test_shrinking_list_is_refused_then_forced(shared_data: Path, home: Path) -> None:
    folder = shared_data / "us_ofac_consolidated" / "csv"
    code, out, _ = run(home, "update", "--from", str(folder), "--json")
    statuses = [o["status"] for o in json.loads(out)["outcomes"]]
    assert code == 0 and statuses == ["added", "refused"]
    code, out, _ = run(home, "update", "--from", str(folder), "--force", "--json")
    statuses = [o["status"] for o in json.loads(out)["outcomes"]]
    assert statuses == ["unchanged", "added"]


def test_published_option_dates_an_undated_file(
    shared_data: Path, home: Path, tmp_path: Path
) -> None:
    undated = tmp_path / "download"
    undated.mkdir()
    real = shared_data / "us_bis_dpl" / "2019-06" / "dpl.txt"
    (undated / "dpl.txt").write_bytes(real.read_bytes())
    code, out, _ = run(
        home, "update", "--from", str(undated), "--published", "2019-06-30", "--json"
    )
    assert code == 0
    code, out, _ = run(home, "versions", "us_bis_dpl", "--json")
    (version,) = json.loads(out)
    assert (version["published"], version["published_from"]) == ("2019-06-30", "user")
