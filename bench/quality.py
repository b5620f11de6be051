"""Matching quality on the benchmark's dev split, next to the baselines its README reports.

    python bench/quality.py [--sample N] [--classes a,b]

Loads exactly the list files of ../shared/bench/lists.txt into bench/.work/home, builds the
index once (so the timed run loads it prebuilt), then runs the harness
../shared/bench/run_bench.py with `clearance batch` and prints its per-class tables and a
summary beside the README's baselines (B1 rapidfuzz WRatio, B2 Jaro-Winkler).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import SHARED, bench_home


def readme_baselines() -> list[str]:
    """The baseline summary rows as the benchmark README states them."""
    text = (SHARED / "bench" / "README.md").read_text()
    return [
        line
        for line in text.splitlines()
        if re.match(r"\| b[12] dev \| 6553 \| 0\.", line)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--classes", default="")
    args = parser.parse_args()
    home = bench_home()
    clearance = f"{sys.executable} -m clearance --home {home}"
    # build (or load) the index before the timed run
    subprocess.run(
        [*clearance.split(), "check", "warm up", "--json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [
            sys.executable,
            str(SHARED / "bench" / "run_bench.py"),
            "--cmd",
            f"{clearance} batch {{queries}} --output {{results}}",
            "--json",
            str(report),
            "--label",
            "clearance dev",
        ]
        if args.sample:
            command += ["--sample", str(args.sample)]
        if args.classes:
            command += ["--classes", args.classes]
        subprocess.run(command, check=True)
        data = json.loads(report.read_text())
    print("\nBaselines as the benchmark README reports them (same columns):")
    print(
        "| method | queries | alert recall | false-alert rate | precision | F1 | best-sweep F1 (t) "
        "| queries/s | index build s | peak RSS MB |"
    )
    for line in readme_baselines():
        print(line)
    summary = data.get("summary", data)
    print("\nclearance summary:", json.dumps(summary, indent=1)[:2000])


if __name__ == "__main__":
    main()
