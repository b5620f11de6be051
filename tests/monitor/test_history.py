"""Real history: a watch set of parties the SDN listed later, updated snapshot by snapshot
(real OFAC files of 2021-08 to 2024-02). Each party alerts exactly at the list version that
added it; a false positive re-alerts when its listed record changes, and only then. On each
backend in turn (SQLite in the home, PostgreSQL through CLEARANCE_DATABASE_URL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

SNAPSHOTS = [
    "2021-08-18",
    "2021-12-30",
    "2022-03-31",
    "2022-09-30",
    "2023-09-28",
    "2024-02-28",
]
# party ref -> (snapshot that first carries the entity, its OFAC entity id); found with
# `clearance diff us_ofac_sdn` between these snapshots
PLANTED = {
    "P1": ("2021-12-30", "us_ofac_sdn:33431"),  # INKOP DOO CUPRIJA
    "P2": ("2021-12-30", "us_ofac_sdn:34083"),  # VASEGHI, Leila
    "P3": ("2022-03-31", "us_ofac_sdn:35573"),  # BUTINA, Maria Valeryevna
    "P4": ("2022-09-30", "us_ofac_sdn:34699"),  # ALFA CAPITAL MARKETS LTD
    "P5": ("2023-09-28", "us_ofac_sdn:40776"),  # CONFIDERI PTE LTD (listed 2023-03)
    "P6": ("2023-09-28", "us_ofac_sdn:44460"),  # DESIGNER GARAGE
    "P7": ("2024-02-28", "us_ofac_sdn:47941"),  # CRYNOFIST AVIATION FZCO
}
PARTIES = """ref,name,schema,birth_date
FP1,ABR Management,,
P1,Inkop DOO Cuprija,,
P2,Leila Vaseghi,Person,1973
P3,Maria Valeryevna Butina,Person,1988-11-10
P4,Alfa Capital Markets Ltd,,
P5,Confideri Pte Ltd,,
P6,Designer Garage,,
P7,Crynofist Aviation FZCO,,
C1,Quiet Bakery Oslo,,
C2,Northwind Metals Trading,,
"""
ABR = "us_ofac_sdn:20283"  # CJSC ABR MANAGEMENT, renamed AO ABR MANAGEMENT in 2022-03


def _alerts(home: Path) -> list[dict[str, object]]:
    code, out, err = run(home, "alerts", "--json", "--limit", "0")
    assert code == 0, err
    return list(reversed(json.loads(out)))  # oldest first


def test_parties_alert_at_the_version_that_listed_them(
    shared_data: Path,
    home: Path,
    tmp_path: Path,
    database_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if database_url is not None:  # every command below uses it
        monkeypatch.setenv("CLEARANCE_DATABASE_URL", database_url)
    history = shared_data / "us_ofac_sdn" / "csv_history"
    (tmp_path / "parties.csv").write_text(PARTIES)
    assert run(home, "watch", "create", "customers")[0] == 0
    code, out, _ = run(
        home, "watch", "import", "customers", str(tmp_path / "parties.csv")
    )
    assert (code, out.strip()) == (0, "10 added, 0 changed, 0 unchanged, 0 unusable")
    version_of: dict[str, int] = {}
    seen = 0
    for day in SNAPSHOTS:
        code, out, err = run(
            home, "update", "--from", str(history / f"sdn_{day}.csv.gz"), "--json"
        )
        assert code == 0, err
        version_of[day] = json.loads(out)["outcomes"][0]["version_id"]
        assert "Monitoring run" in err  # the update re-screened the watch set
        alerts = _alerts(home)
        new, seen = alerts[seen:], len(alerts)
        refs = sorted(str(a["party"]["ref"]) for a in new)  # type: ignore[index]
        expected = sorted(r for r, (d, _) in PLANTED.items() if d == day)
        if day == SNAPSHOTS[0]:
            (first,) = new
            assert first["entity"]["id"] == ABR  # type: ignore[index]
            assert first["list_version"] == version_of[day]
            code, out, err = run(
                home,
                "dispose",
                str(first["id"]),
                "--decision",
                "false_positive",
                "--reason",
                "a Swedish consultancy",
                "--by",
                "analyst",
            )
            assert code == 0, err
            continue
        if day == "2022-03-31":
            # the listed record of the disposed false positive changed: new name,
            # identifiers and programs; it re-alerts, showing what changed
            (again,) = [a for a in new if a["party"]["ref"] == "FP1"]  # type: ignore[index]
            expected.append("FP1")
            assert again["list_version"] == version_of[day]
            fields = {c["field"] for c in again["detail"]["changes"]}  # type: ignore[index]
            assert {"names", "identifiers", "listings"} <= fields
            assert again["open"] is True
        assert refs == sorted(expected), day
        for alert in new:
            ref = str(alert["party"]["ref"])  # type: ignore[index]
            if ref in PLANTED:
                assert alert["kind"] == "new_match"
                assert alert["entity"]["id"] == PLANTED[ref][1]  # type: ignore[index]
                assert alert["list_version"] == version_of[day]
    # ABR changed again in 2022-09 (remarks and facts only): the false positive stayed
    # suppressed then; the clean parties never alerted
    assert not any(a["party"]["ref"].startswith("C") for a in _alerts(home))  # type: ignore[index]
    code, out, _ = run(home, "audit", "verify")
    assert code == 0 and "Audit trail intact" in out
    assert (home / "clearance.db").exists() == (database_url is None)
