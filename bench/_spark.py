"""Shared by the benchmarks: one ``clearance batch`` run in its own process tree, timed,
with the peak memory of the whole tree (for Spark: the driver, its JVM and the Python
workers), sampled from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.5


def _children(pid: int) -> list[int]:
    found: list[int] = []
    task = Path(f"/proc/{pid}/task")
    try:
        threads = list(task.iterdir())
    except OSError:
        return found
    for thread in threads:
        try:
            text = (thread / "children").read_text()
        except OSError:
            continue
        found.extend(int(c) for c in text.split())
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (fields 14 and 15 of its stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)"; comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    found, todo, seen = [], [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append(current)
        todo.extend(_children(current))
    return found


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in kB (shared pages are
    counted in each process: an upper bound)."""
    return sum(_rss_kb(p) for p in _tree(pid))


def timed_batch(args: list[str]) -> dict[str, float]:
    """Run ``python -m clearance <args>``; its wall time, peak tree RSS in MB, and the
    CPU time of the whole tree (each process's last sample: Spark's JVM and Python
    workers included, which ``RUSAGE_CHILDREN`` misses as nobody waits for them).

    Raises:
        subprocess.CalledProcessError: the run failed (exit code 1 because some rows
            were unusable is a success here: the bench files hold bad rows on purpose).
    """
    command = [sys.executable, "-m", "clearance", *args]
    peak = 0
    cpu: dict[int, float] = {}
    started = time.monotonic()
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                pids = _tree(process.pid)
                peak = max(peak, sum(_rss_kb(p) for p in pids))
                for pid in pids:
                    cpu[pid] = max(cpu.get(pid, 0.0), _cpu_seconds(pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = process.communicate()
        done.set()
        sampler.join()
    seconds = time.monotonic() - started
    failed = process.returncode not in (0, 1) or (
        process.returncode == 1 and (b"Traceback" in err or b"error:" in err)
    )  # 1 with a summary is "some rows unusable"; 1 with an error line is a failure
    if failed:
        raise subprocess.CalledProcessError(process.returncode, command, stderr=err)
    return {
        "seconds": seconds,
        "peak_rss_mb": peak / 1024,
        "cpu_seconds": sum(cpu.values()),
    }


def bench_spark(
    home: Path, input_path: Path, output: Path, master: str = "local[2]"
) -> dict[str, float]:
    """``clearance batch --engine spark`` over ``input_path``: wall time (Spark start,
    staging, screening and writing included) and peak RSS of the process tree."""
    return timed_batch(
        [
            "--home",
            str(home),
            "batch",
            str(input_path),
            "--output",
            str(output),
            "--engine",
            "spark",
            "--master",
            master,
            "--quiet",
        ]
    )
