"""Batch screening at scale, the whole proof in one command: rows/s, peak memory, CPU,
recall of planted listed names, a kill and resume, and Spark's output row for row.

    python bench/batch.py                      # 1,000,000 rows, every part
    python bench/batch.py --rows 20000 --parts two,resume
    python bench/batch.py --one-worker-rows 100000 --master local[2]

Generates a synthetic customer file in bench/.work/ (never committed): people composed of
real first and last names, and companies of real company words and legal forms, all
taken from the innocent (negative) queries of ../shared/bench/dev_queries.csv; plus a
known share of planted listed names (--planted, 1 %), drawn from the benchmark lists'
entities, a third of them with a light typo. Every run is `clearance batch` (CSV output)
in its own process, against the benchmark home (bench/_setup.py: the lists of
../shared/bench/lists.txt, index prebuilt, so its load is part of the time).

Parts (--parts, default all):
  two      2 worker processes: the reference output
  one      1 worker process (on the first --one-worker-rows rows when given)
  spark    --engine spark --master local[2] (--master)
  resume   a 2-worker run SIGKILLed at a random point after its first checkpoint, then
           `--resume`d: its output compared byte for byte with the reference
  compare  Spark's output against the reference row for row: same rows, keys, alert
           decisions, hit ids and scores (needs two and spark)

Prints one table: rows/s (wall clock), CPU seconds of the whole process tree (sampled from
/proc: worker processes, Spark's JVM and Python workers included), peak resident memory
of the process tree (shared pages counted once per process: an upper bound), the recall
of the planted names (found when an alerted hit is the planted entity or has its primary
name), and the check of each output against the reference.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import SHARED, WORK, bench_home
from bench._spark import _cpu_seconds, _rss_kb, _tree, timed_batch
from clearance.model import Schema
from clearance.screen import Screener
from clearance.store import Store

SEED = 20261123
TYPO_SHARE = 1 / 3  # planted names with one letter dropped or two swapped
COUNTRIES = ["", "", "", "us", "gb", "de", "fr", "cn", "ru", "ae", "tr", "in", "br"]


def name_parts() -> tuple[list[str], list[str], list[str], list[str]]:
    """First names, last names, company words and legal forms of the benchmark's
    innocent queries (real names, none of them listed)."""
    first: set[str] = set()
    last: set[str] = set()
    words: set[str] = set()
    forms: set[str] = set()
    with (SHARED / "bench" / "dev_queries.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["class"].startswith("neg_") or "near" in row["class"]:
                continue  # near misses of listed names are not plain innocents
            tokens = row["name"].replace(",", " ").split()
            if len(tokens) < 2 or not all(t.isascii() for t in tokens):
                continue
            if row["class"] == "neg_company":
                forms.add(tokens[-1] if len(tokens[-1]) <= 8 else "Ltd")
                words.update(t for t in tokens[:-1] if t.isalpha() and len(t) > 2)
            else:
                first.add(tokens[0])
                last.add(tokens[-1])
    return sorted(first), sorted(last), sorted(words), sorted(forms)


def typo(name: str, rng: random.Random) -> str:
    words = name.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if len(long) == 0:
        return name
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        word = word[:j] + word[j + 1 :]  # one letter dropped
    else:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # two swapped
    words[i] = word
    return " ".join(words)


def planted_pool(home: Path) -> list[tuple[str, str, str]]:
    """(entity id, primary name, schema) of listed people and organisations with a
    plain (ASCII, 5 to 60 characters) primary name."""
    with Store.open(home) as store:
        screener = Screener(store.current(), home / "index")
        pool = []
        for entity in screener.index.entities:
            if entity.schema is Schema.VESSEL or entity.schema is Schema.AIRCRAFT:
                continue
            name = entity.caption
            if not (5 <= len(name) <= 60) or not name.isascii():
                continue
            pool.append((entity.id, name, entity.schema.value))
    return pool


def generate(rows: int, planted_share: float, home: Path) -> tuple[Path, Path]:
    """The customer file and its truth file (row, planted entity id and name)."""
    path = WORK / f"customers-{rows}.csv"
    truth = WORK / f"customers-{rows}.truth.csv"
    if path.is_file() and truth.is_file():
        return path, truth
    rng = random.Random(SEED)
    first, last, words, forms = name_parts()
    pool = planted_pool(home)
    WORK.mkdir(parents=True, exist_ok=True)
    part, truth_part = path.with_suffix(".tmp"), truth.with_suffix(".tmp")
    with (
        part.open("w", newline="", encoding="utf-8") as out,
        truth_part.open("w", newline="", encoding="utf-8") as known,
    ):
        writer, truths = csv.writer(out), csv.writer(known)
        writer.writerow(["customer_id", "name", "type", "country"])
        truths.writerow(["row", "entity_id", "listed_name", "screened_name"])
        for row in range(1, rows + 1):
            if rng.random() < planted_share:
                entity_id, name, schema = rng.choice(pool)
                screened = typo(name, rng) if rng.random() < TYPO_SHARE else name
                kind = "Person" if schema == "Person" else "Organization"
                truths.writerow([row, entity_id, name, screened])
            elif rng.random() < 0.6:
                given = rng.choice(first)
                if rng.random() < 0.2:
                    given += f" {rng.choice('ABCDEFGHJKLMNPRSTW')}."
                screened, kind = f"{given} {rng.choice(last)}", "Person"
            else:
                count = rng.choice((1, 2, 2, 3))
                company = " ".join(rng.sample(words, count))
                screened, kind = f"{company} {rng.choice(forms)}", "Organization"
            writer.writerow([f"C{row:08d}", screened, kind, rng.choice(COUNTRIES)])
    truth_part.replace(truth)
    part.replace(path)  # complete files only, under their final names
    return path, truth


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _rows(output: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with output.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _truth(truth: Path, rows: int) -> dict[str, tuple[str, str]]:
    wanted: dict[str, tuple[str, str]] = {}
    with truth.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["row"]) <= rows:
                wanted[row["row"]] = (row["entity_id"], _norm(row["listed_name"]))
    return wanted


def _found(row: dict[str, str], target: tuple[str, str]) -> bool:
    if row["match"] != "true":
        return False
    return any(
        h["match"] and (h["id"] == target[0] or _norm(h["caption"]) == target[1])
        for h in json.loads(row["hits_json"])
    )


def recall(output: Path, truth: Path, rows: int) -> tuple[int, int]:
    """(planted rows found, planted rows) in a CSV output of the first ``rows`` rows."""
    wanted = _truth(truth, rows)
    found = 0
    for row in _rows(output):
        target = wanted.get(row["row"])
        if target is not None and _found(row, target):
            found += 1
    return found, len(wanted)


SAME = ("row", "key", "match", "hit_count", "hit_ids", "hit_scores", "top_score")


def compare_rows(reference: Path, other: Path) -> tuple[int, int, list[str]]:
    """Row for row: (rows compared, rows that differ in any of ``SAME`` or in the hits'
    JSON, the first differences)."""
    compared = differ = 0
    shown: list[str] = []
    for mine, theirs in itertools.zip_longest(_rows(reference), _rows(other)):
        compared += 1
        if mine is None or theirs is None:
            differ += 1
            shown.append(f"row {compared}: only in one output")
            continue
        bad = [c for c in (*SAME, "hits_json") if mine.get(c) != theirs.get(c)]
        if len(bad) > 0:
            differ += 1
            if len(shown) < 5:
                shown.append(f"row {mine['row']}: {', '.join(bad)} differ")
    return compared, differ, shown


@dataclass
class Line:
    part: str
    rows: int
    seconds: float
    cpu: float
    rss_mb: float
    recall: tuple[int, int] | None = None
    versus: str = "-"
    check: str = "-"
    notes: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        found = (
            "-"
            if self.recall is None
            else f"{self.recall[0]}/{self.recall[1]} = "
            f"{self.recall[0] / max(self.recall[1], 1):.3f}"
        )
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        return [
            self.part,
            f"{self.rows:,}",
            f"{self.seconds:,.1f}",
            f"{rate:,.0f}",
            f"{self.cpu:,.0f}",
            f"{self.rss_mb:,.0f}",
            found,
            self.versus,
            self.check,
        ]


HEADER = [
    "part",
    "rows",
    "seconds",
    "rows/s",
    "CPU s (tree)",
    "peak RSS MB (tree)",
    "planted recall",
    "rows/s vs 2 workers",
    "output check",
]


def _batch_args(home: Path, path: Path, output: Path, *extra: str) -> list[str]:
    return ["--home", str(home), "batch", str(path), "--output", str(output), *extra]


def prefix(path: Path, rows: int) -> Path:
    """The file's header and first ``rows`` rows (one line a row: no quoted breaks)."""
    out = path.with_name(f"{path.stem}-first-{rows}.csv")
    if not out.is_file():
        tmp = out.with_suffix(".tmp")
        with path.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
            dst.writelines(itertools.islice(src, rows + 1))
        tmp.replace(out)
    return out


def killed_and_resumed(
    home: Path, path: Path, output: Path, rows: int, rng: random.Random
) -> tuple[dict[str, float], dict[str, float], int, int]:
    """A 2-worker run SIGKILLed at a random point after its first checkpoint (once the
    checkpoint has reached a random row count, then after a random part of the time
    between checkpoints), and the `--resume` run: (killed run's timing, resumed run's
    timing, rows done at the kill's checkpoint, rows the resumed run found done)."""
    checkpoint = output.with_name(output.name + ".checkpoint.json")
    # the usual 2 s between checkpoints, more often on a small file (done in seconds)
    every = "2" if rows >= 100_000 else "0.1"
    command = [
        sys.executable,
        "-m",
        "clearance",
        *_batch_args(home, path, output, "--workers", "2", "--quiet"),
        "--checkpoint-every",
        every,
    ]
    started = time.monotonic()
    peak, cpu = 0, dict[int, float]()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    target: int | None = None
    while process.poll() is None:
        pids = _tree(process.pid)
        peak = max(peak, sum(_rss_kb(p) for p in pids))
        for pid in pids:
            cpu[pid] = max(cpu.get(pid, 0.0), _cpu_seconds(pid))
        if checkpoint.is_file():
            done = json.loads(checkpoint.read_text(encoding="utf-8"))["rows_done"]
            if target is None:  # the first checkpoint: choose where to kill
                target = rng.randint(done, max(done, int(rows * 0.9)))
            if done >= target:
                time.sleep(rng.uniform(0.0, float(every)))
                break
        time.sleep(0.02)
    if process.poll() is not None:
        raise RuntimeError("the run ended before it could be killed: use more --rows")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed = {
        "seconds": time.monotonic() - started,
        "peak_rss_mb": peak / 1024,
        "cpu_seconds": sum(cpu.values()),
    }
    state = json.loads(checkpoint.read_text(encoding="utf-8"))
    resumed = timed_batch(
        [
            *_batch_args(home, path, output, "--workers", "2", "--quiet", "--resume"),
            "--checkpoint-every",
            every,
        ]
    )
    summary = json.loads(
        output.with_name(output.name + ".summary.json").read_text(encoding="utf-8")
    )
    return killed, resumed, int(state["rows_done"]), int(summary["resumed_at_row"])


def _same_files(one: Path, other: Path) -> bool:
    return all(
        filecmp.cmp(
            one.with_name(one.name + suffix),
            other.with_name(other.name + suffix),
            shallow=False,
        )
        for suffix in ("", ".errors.csv")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--planted", type=float, default=0.01)
    parser.add_argument(
        "--parts",
        default="two,one,spark,resume,compare",
        help="which parts to run (default: all)",
    )
    parser.add_argument(
        "--one-worker-rows",
        type=int,
        default=None,
        help="time 1 worker on the first N rows only (the table says so)",
    )
    parser.add_argument("--master", default="local[2]", help="Spark master")
    parser.add_argument("--seed", type=int, default=SEED, help="of the kill point")
    parser.add_argument("--keep", action="store_true", help="keep the outputs")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - {"two", "one", "spark", "resume", "compare"}
    if len(unknown) > 0:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if "compare" in parts:
        parts |= {"two", "spark"}
    if "resume" in parts:
        parts.add("two")  # the reference it is compared with
    home = bench_home()
    path, truth = generate(args.rows, args.planted, home)
    run_id = f"{args.rows}-{os.getpid()}"
    reference = WORK / f"out-{run_id}-two.csv"
    lines: list[Line] = []
    notes: list[str] = []
    load_before = os.getloadavg()
    print(
        f"input: {path} ({args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB); "
        f"load average {load_before[0]:.1f} {load_before[1]:.1f} "
        f"{load_before[2]:.1f}",
        flush=True,
    )
    two_rate: float | None = None

    def versus(line: Line) -> str:
        if two_rate is None or line.seconds <= 0:
            return "-"
        return f"{(line.rows / line.seconds) / two_rate:.2f}x"

    if "two" in parts:
        timing = timed_batch(
            _batch_args(home, path, reference, "--workers", "2", "--quiet")
        )
        line = Line(
            "local, 2 workers",
            args.rows,
            timing["seconds"],
            timing["cpu_seconds"],
            timing["peak_rss_mb"],
            recall(reference, truth, args.rows),
            check="reference",
        )
        two_rate = args.rows / timing["seconds"]
        lines.append(line)
        _progress(line)
    if "resume" in parts:
        output = WORK / f"out-{run_id}-resumed.csv"
        try:
            killed, resumed, at, resumed_at = killed_and_resumed(
                home, path, output, args.rows, random.Random(args.seed)
            )
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            lines.append(_failed("killed, resumed", args.rows, exc, notes))
            parts.discard("resume")
    if "resume" in parts:
        same = _same_files(output, reference)
        seconds = killed["seconds"] + resumed["seconds"]
        line = Line(
            "local, 2 workers: killed, resumed",
            args.rows,
            seconds,
            killed["cpu_seconds"] + resumed["cpu_seconds"],
            max(killed["peak_rss_mb"], resumed["peak_rss_mb"]),
            recall(output, truth, args.rows),
            check=("byte-identical" if same else "DIFFERS")
            + f" (SIGKILL at {killed['seconds']:,.0f} s, checkpoint row {at:,}; "
            f"resumed from row {resumed_at:,})",
        )
        line.versus = versus(line)
        lines.append(line)
        _progress(line)
        _remove(output, args.keep)
    spark_output = WORK / f"out-{run_id}-spark.csv"
    if "spark" in parts:
        try:
            timing = timed_batch(
                _batch_args(
                    home,
                    path,
                    spark_output,
                    "--engine",
                    "spark",
                    "--master",
                    args.master,
                    "--quiet",
                )
            )
        except subprocess.CalledProcessError as exc:
            lines.append(_failed(f"spark {args.master}", args.rows, exc, notes))
            parts.discard("spark")
    if "spark" in parts:
        line = Line(
            f"spark {args.master}",
            args.rows,
            timing["seconds"],
            timing["cpu_seconds"],
            timing["peak_rss_mb"],
            recall(spark_output, truth, args.rows),
        )
        line.versus = versus(line)
        if "compare" in parts:
            compared, differ, shown = compare_rows(reference, spark_output)
            identical = _same_files(spark_output, reference)
            line.check = f"{compared - differ:,}/{compared:,} rows the same" + (
                "; files identical" if identical else "; files DIFFER"
            )
            notes.extend(f"spark: {text}" for text in shown)
        lines.append(line)
        _progress(line)
        _remove(spark_output, args.keep)
    if "one" in parts:
        rows = min(args.one_worker_rows or args.rows, args.rows)
        source = path if rows == args.rows else prefix(path, rows)
        output = WORK / f"out-{run_id}-one.csv"
        timing = timed_batch(
            _batch_args(home, source, output, "--workers", "1", "--quiet")
        )
        label = "local, 1 worker" + (
            "" if rows == args.rows else f" (first {rows:,} rows)"
        )
        line = Line(
            label,
            rows,
            timing["seconds"],
            timing["cpu_seconds"],
            timing["peak_rss_mb"],
            recall(output, truth, rows),
        )
        line.versus = versus(line)
        if rows == args.rows and reference.is_file():
            line.check = "identical" if _same_files(output, reference) else "DIFFERS"
        lines.append(line)
        _progress(line)
        _remove(output, args.keep)
    if reference.is_file():
        _remove(reference, args.keep)
    load_after = os.getloadavg()
    print()
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for line in lines:
        print("| " + " | ".join(line.cells()) + " |")
    print(
        f"\nload average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
        f"(1 min); {os.cpu_count()} cores"
    )
    for note in notes:
        print(note)


def _failed(part: str, rows: int, exc: Exception, notes: list[str]) -> Line:
    """A part that failed: in the table as such, its error in the notes."""
    why = str(exc)
    if isinstance(exc, subprocess.CalledProcessError) and exc.stderr:
        why += ": " + bytes(exc.stderr).decode("utf-8", "replace")[-2000:]
    notes.append(f"{part} FAILED: {why}")
    line = Line(part, rows, 0.0, 0.0, 0.0, check="FAILED (see below)")
    _progress(line)
    return line


def _progress(line: Line) -> None:
    print("  done: " + " | ".join(line.cells()), flush=True)


def _remove(output: Path, keep: bool) -> None:
    if keep:
        return
    for path in output.parent.glob(output.name + "*"):
        if path.is_file():
            path.unlink()


if __name__ == "__main__":
    main()
