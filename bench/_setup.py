"""Shared by the benchmarks: a Clearance home holding exactly the benchmark's list files."""

from __future__ import annotations

import hashlib
import shutil
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


def parser_stamp() -> str:
    """A digest of the code that turns list files into entities (parsers and model).

    The store keeps a file it has seen as "unchanged" however the parsers have changed
    since, so a benchmark home imported by older code would hold older entities than a
    fresh clone's: a home whose stamp differs is deleted and imported again."""
    digest = hashlib.sha256()
    package = ROOT / "clearance"
    for path in sorted(
        [*package.glob("sources/**/*.py"), *package.glob("model/**/*.py")]
    ):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fresh_home(home: Path) -> bool:
    """Delete ``home`` if another version of the parsers imported it; True if it is
    (still) current."""
    stamp = home / "parser-stamp.txt"
    if stamp.is_file() and stamp.read_text().strip() == parser_stamp():
        return True
    shutil.rmtree(home, ignore_errors=True)
    return False


def mark_home(home: Path) -> None:
    """Record which parsers imported ``home``."""
    (home / "parser-stamp.txt").write_text(parser_stamp() + "\n")


def bench_home(data: Path = SHARED / "data") -> Path:
    """A home with the benchmark lists imported and the index built (reused if present)."""
    listed = (SHARED / "bench" / "lists.txt").read_text().splitlines()
    files = [
        line.strip() for line in listed if line.strip() and not line.startswith("#")
    ]
    folders = sorted({str(Path(f).parent) for f in files})
    assert folders == sorted(BENCH_FOLDERS), f"lists.txt changed: {folders}"
    home = WORK / "home"
    fresh_home(home)
    clearance = [sys.executable, "-m", "clearance", "--home", str(home)]
    for folder in BENCH_FOLDERS:
        subprocess.run(
            [*clearance, "update", "--from", str(data / folder), "--force", "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    mark_home(home)
    return home
