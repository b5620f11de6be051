"""``clearance batch --resume`` after the process is killed (SIGKILL) mid-run: the
finished output (CSV, Parquet) is byte for byte that of an uninterrupted run, over a
small real store (the OFAC non-SDN CSV of 19 Dec 2025). Also: 2 worker processes
write what 1 writes."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clearance.ingest import update_from_directory
from clearance.store import Store

pytestmark = pytest.mark.realdata

ROWS = 4000  # long enough that the kill lands mid-run with the faster matcher
NAMES = [  # listed names, near misses and innocent ones (synthetic customer file)
    "Hikvision",
    "Huawei Technologies Co Ltd",
    "Dawning Information Industry",
    "Gazprom Neft",
    "Acme Trading GmbH",
    "Jean Dupont",
    "Blue Lake Foods",
    "Zhang Wei",
    "",  # an empty name: an error row
]


@pytest.fixture(scope="module")
def cons_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cons")
    with Store.open(home) as store:
        update_from_directory(
            store, shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
        )
    return home


@pytest.fixture(scope="module")
def customers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Customer ID", "Name", "Country"])
        for i in range(ROWS):
            writer.writerow([f"C{i:05d}", NAMES[i % len(NAMES)], "cn" if i % 3 else ""])
    return path


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def command(home: Path, *args: str) -> list[str]:
    script = "from clearance.cli.main import app; app()"
    return [sys.executable, "-c", script, "--home", str(home), "batch", *args]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(home, *args), capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def uninterrupted(cons_home: Path, customers: Path) -> Path:
    output = customers.with_name("whole.csv")
    done = run(cons_home, str(customers), "--output", str(output), "--workers", "1")
    assert done.returncode == 1, done.stderr  # the empty names
    return output


def test_two_workers_write_the_same_bytes_as_one(
    cons_home: Path, customers: Path, uninterrupted: Path
) -> None:
    output = customers.with_name("two.csv")
    done = run(cons_home, str(customers), "--output", str(output), "--workers", "2")
    assert done.returncode == 1, done.stderr
    assert output.read_bytes() == uninterrupted.read_bytes()


def _kill_after_a_checkpoint(home: Path, args: list[str], checkpoint: Path) -> int:
    """Start a 2-worker run, SIGKILL it once its checkpoint has 200 rows or more, check
    that no worker is left; the rows done at the last checkpoint."""
    process = subprocess.Popen(
        command(home, *args, "--workers", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    rows_done = 0
    while time.monotonic() < deadline and process.poll() is None:
        if checkpoint.is_file():
            rows_done = json.loads(checkpoint.read_text())["rows_done"]
            if rows_done >= 200:
                break
        time.sleep(0.02)
    workers = children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert len(workers) == 2
    gone = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < gone:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{w}").exists() for w in workers)  # no orphan left
    state = json.loads(checkpoint.read_text())
    assert 0 < state["rows_done"] < ROWS  # killed mid-run, after a checkpoint
    return int(state["rows_done"])


def test_resume_after_sigkill_gives_the_uninterrupted_output(
    cons_home: Path, customers: Path, uninterrupted: Path
) -> None:
    output = customers.with_name("killed.csv")
    checkpoint = customers.with_name("killed.csv.checkpoint.json")
    args = [str(customers), "--output", str(output), "--checkpoint-every", "0"]
    rows_done = _kill_after_a_checkpoint(cons_home, args, checkpoint)
    state = json.loads(checkpoint.read_text())
    assert output.stat().st_size >= state["output_offset"]
    resumed = run(cons_home, *args, "--resume")
    assert resumed.returncode == 1, resumed.stderr
    assert output.read_bytes() == uninterrupted.read_bytes()
    errors = customers.with_name("killed.csv.errors.csv").read_text()
    assert errors == customers.with_name("whole.csv.errors.csv").read_text()
    summary = json.loads(customers.with_name("killed.csv.summary.json").read_text())
    whole = json.loads(customers.with_name("whole.csv.summary.json").read_text())
    assert summary["resumed_at_row"] == rows_done
    for key in ("rows", "alerts", "errors", "alerts_by_list", "alerts_by_legal_effect"):
        assert summary[key] == whole[key]
    assert not checkpoint.exists()


def test_parquet_resume_after_sigkill_gives_the_uninterrupted_file(
    cons_home: Path, customers: Path
) -> None:
    whole = customers.with_name("whole.parquet")
    done = run(cons_home, str(customers), "--output", str(whole), "--workers", "1")
    assert done.returncode == 1, done.stderr
    output = customers.with_name("killed.parquet")
    checkpoint = customers.with_name("killed.parquet.checkpoint.json")
    args = [str(customers), "--output", str(output), "--checkpoint-every", "0"]
    _kill_after_a_checkpoint(cons_home, args, checkpoint)
    parts = customers.with_name("killed.parquet.parts")
    assert len(list(parts.glob("part-*.parquet"))) >= 1  # one part per checkpoint
    resumed = run(cons_home, *args, "--resume")
    assert resumed.returncode == 1, resumed.stderr
    assert output.read_bytes() == whole.read_bytes()
    assert not parts.exists() and not checkpoint.exists()


def test_resume_refuses_a_checkpoint_of_other_options(
    cons_home: Path, customers: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.csv"
    checkpoint = tmp_path / "out.csv.checkpoint.json"
    checkpoint.write_text(json.dumps({"identity": {"input": "elsewhere"}}))
    done = run(cons_home, str(customers), "--output", str(output), "--resume")
    assert done.returncode == 1
    assert "was left by a run over another input or with other options" in done.stderr
