"""Shared by the benchmarks: a Clearance home holding exactly the benchmark's list files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WORK = ROOT / "bench" / ".work"
# the folders of ../shared/bench/lists.txt (each holds exactly the listed files)
BENCH_FOLDERS = (
    "us_ofac_sdn/csv/2021-07-07",
    "us_ofac_consolidated/csv/2025-12-19",
    "us_trade_csl/2022-05_full",
    "un_sc/2026-02-27",
)


def bench_home(data: Path = SHARED / "data") -> Path:
    """A home with the benchmark lists imported and the index built (reused if present)."""
    listed = (SHARED / "bench" / "lists.txt").read_text().splitlines()
    files = [
        line.strip() for line in listed if line.strip() and not line.startswith("#")
    ]
    folders = sorted({str(Path(f).parent) for f in files})
    assert folders == sorted(BENCH_FOLDERS), f"lists.txt changed: {folders}"
    home = WORK / "home"
    clearance = [sys.executable, "-m", "clearance", "--home", str(home)]
    for folder in BENCH_FOLDERS:
        subprocess.run(
            [*clearance, "update", "--from", str(data / folder), "--force", "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return home
