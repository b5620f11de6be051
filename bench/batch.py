"""Batch screening at scale: rows/s, peak memory and recall of planted listed names.

    python bench/batch.py [--rows 1000000] [--planted 0.01] [--workers 1,2] [--spark]

Generates a synthetic customer file in bench/.work/ (never committed): people composed of
real first and last names, and companies of real company words and legal forms, all
taken from the innocent (negative) queries of ../shared/bench/dev_queries.csv; plus a
known share of planted listed names, drawn from the benchmark lists' entities, a third
of them with a light typo. It screens the file with `clearance batch` (CSV output) with
1 and 2 worker processes (and with `--engine spark --master local[2]` when --spark is
given) against the benchmark home (bench/_setup.py: the lists of
../shared/bench/lists.txt, index prebuilt, so its load is part of the time).

Prints, per run: rows/s (wall clock); CPU seconds of the process tree and rows per CPU
second (the figure that still means something on a machine shared with other work);
the peak resident memory of the process tree (shared pages counted once per process: an
upper bound); the recall of the planted names (found when an alerted hit is the planted
entity, or has its primary name); and whether the output is byte for byte the first
run's.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import json
import os
import random
import re
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import SHARED, WORK, bench_home
from bench._spark import timed_batch
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


def recall(output: Path, truth: Path) -> tuple[int, int]:
    """(planted rows found, planted rows) in a CSV output."""
    csv.field_size_limit(1 << 30)
    wanted: dict[str, tuple[str, str]] = {}
    with truth.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            wanted[row["row"]] = (row["entity_id"], _norm(row["listed_name"]))
    found = 0
    with output.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            target = wanted.get(row["row"])
            if target is None or row["match"] != "true":
                continue
            hits = json.loads(row["hits_json"])
            if any(
                h["match"]
                and (h["id"] == target[0] or _norm(h["caption"]) == target[1])
                for h in hits
            ):
                found += 1
    return found, len(wanted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--planted", type=float, default=0.01)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--spark", action="store_true", help="also Spark local[2]")
    parser.add_argument("--keep", action="store_true", help="keep the first output")
    args = parser.parse_args()
    home = bench_home()
    path, truth = generate(args.rows, args.planted, home)
    runs: list[tuple[str, list[str]]] = [
        (f"local, {w} worker{'s' if w != '1' else ''}", ["--workers", w])
        for w in args.workers.split(",")
    ]
    if args.spark:
        runs.append(("spark local[2]", ["--engine", "spark", "--master", "local[2]"]))
    print(f"input: {path} ({args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB)")
    print(
        "| engine | rows | seconds | rows/s | CPU s | rows per CPU s | peak RSS (MB) "
        "| planted recall | same output |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    first: Path | None = None
    for label, extra in runs:
        slug = re.sub(r"\W+", "-", label)
        output = WORK / f"out-{args.rows}-{slug}-{os.getpid()}.csv"  # ~1.5 kB a row
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = timed_batch(
            [
                "--home",
                str(home),
                "batch",
                str(path),
                "--output",
                str(output),
                *extra,
                "--quiet",
            ]
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        found, planted = recall(output, truth)
        same = "-"
        if first is None:
            first = output
        else:
            same = "yes" if filecmp.cmp(output, first, shallow=False) else "NO"
            _remove(output)
        print(
            f"| {label} | {args.rows:,} | {result['seconds']:.1f} | "
            f"{args.rows / result['seconds']:,.0f} | {cpu:,.0f} | {args.rows / cpu:,.0f} | "
            f"{result['peak_rss_mb']:,.0f} | "
            f"{found}/{planted} = {found / max(planted, 1):.3f} | {same} |",
            flush=True,
        )
    if first is not None and not args.keep:
        _remove(first)


def _remove(output: Path) -> None:
    for path in output.parent.glob(output.name + "*"):
        path.unlink()


if __name__ == "__main__":
    main()
