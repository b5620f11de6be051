"""Speed benchmark: index build and load, single-query latency, 2-core batch throughput,
a rapidfuzz brute-force baseline and (optionally) a synthetic scale test, in one run.

    python bench/speed.py [--scale N] [--scale-only] [--baseline-sample 200]

The lists are every folder the project's bootstrap imports (``scripts/bootstrap``: all of
../shared/data except format samples, fixtures and OpenSanctions, then OFAC's non-SDN
snapshots with ``--force``), loaded once into bench/.work/speed_home and reused. Each
measurement runs in its own process so its peak RSS is its own:

- build: the index is deleted and rebuilt by ``clearance.screen.load_index`` (reading the
  store, building, saving), then loaded from disk in the same process;
- latency: every dev query of ../shared/bench/dev_queries.csv, one at a time, in one
  process pinned to one core, after an untimed warm-up of the first 20 queries;
- batch: the dev queries split in two halves over two forked workers, one per core, each
  loading the saved index once (load time excluded from queries/s);
- baseline: rapidfuzz ``extractOne`` (WRatio) of the normalised query over every normalised
  listed name, for a fixed sample of dev queries, on the latency process's core;
- scale (``--scale N``): N synthetic entities made of real name parts (persons
  "SURNAME, Given Given", companies "<place> <word> <industry> Co., Ltd."), indexed in
  process, then 2,000 queries (half typo'd listed names, half new random names).

Nothing is written outside bench/.work. Other work on the machine shows up in the figures:
the output prints the load average at the start and at the end.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier as BarrierType
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz, process

from bench._setup import ROOT, SHARED, WORK, fresh_home, mark_home
from clearance.errors import ClearanceError
from clearance.index import MatchIndex
from clearance.match import Query
from clearance.model import (
    Entity,
    Listing,
    NameKind,
    Schema,
    effect_for,
    list_info,
    make_name,
)
from clearance.normalize import normalize_text
from clearance.screen import load_index, row_query, screen
from clearance.store import Store

HOME = WORK / "speed_home"
INDEX_FOLDER = HOME / "index"
PARTS = WORK / "speed_name_parts.json"
DONE = HOME / ".bootstrap-done"  # written once both bootstrap imports succeeded
QUERIES = SHARED / "bench" / "dev_queries.csv"
WARM_UP = 20  # first queries run untimed: lazy tables (weights, lexicons) load on use
SCALE_QUERIES = 2000
SEED = 20240601

# targets (issue: screening speed)
P50_MS = 1.0
P99_MS = 10.0
BATCH_QPS = 2000.0
BUILD_S = 20.0
SCALE_N = 1_000_000
SCALE_P50_MS = 20.0
SCALE_RSS_MB = 4096.0

INDUSTRIES = (
    "Trading",
    "Electronics",
    "Shipping",
    "Technology",
    "Machinery",
    "Chemical",
    "Petroleum",
    "Logistics",
    "Aviation",
    "Engineering",
    "Import Export",
    "Investment",
    "Construction",
    "Pharmaceutical",
    "Marine",
)
# too generic to stand for "<word>" in a synthetic company name
GENERIC = frozenset(
    [
        "co",
        "ltd",
        "limited",
        "company",
        "llc",
        "inc",
        "the",
        "of",
        "and",
        "corporation",
        "corp",
        "group",
        "sa",
        "de",
    ]
)

Json = dict[str, Any]


# --- setup (parent) --------------------------------------------------------------------


def speed_home() -> Path:
    """The bootstrap's lists imported into bench/.work/speed_home (reused once done)."""
    if fresh_home(HOME) and DONE.is_file():
        return HOME
    clearance = [sys.executable, "-m", "clearance", "--home", str(HOME)]
    data = SHARED / "data"
    excluded = ("us_ofac_consolidated", "format_samples", "*fixture*", "opensanctions")
    first = [*clearance, "update", "--from", str(data)]
    for pattern in excluded:
        first += ["--exclude", pattern]
    second = [*clearance, "update", "--from", str(data / "us_ofac_consolidated")]
    for command in (first, [*second, "--force"]):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    DONE.write_text("bootstrap imports done\n")
    mark_home(HOME)
    return HOME


def run_phase(phase: str, *extra: str) -> Json:
    """Run one phase in a fresh child process; its last stdout line is a JSON object."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *extra],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    result: Json = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return result


# --- helpers (children) ----------------------------------------------------------------


def pin(core_rank: int = 0) -> int:
    """Pin this process to one core (the ``core_rank``-th allowed one); returns it."""
    cores = sorted(os.sched_getaffinity(0))
    core = cores[core_rank % len(cores)]
    os.sched_setaffinity(0, {core})
    return core


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(p / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary(latencies_ms: list[float]) -> Json:
    ordered = sorted(latencies_ms)
    total_s = sum(ordered) / 1000
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
        "qps": len(ordered) / total_s if total_s > 0 else 0.0,
    }


def dev_queries() -> tuple[list[Query], int]:
    """The dev queries as ``Query`` objects, and how many rows were skipped."""
    queries: list[Query] = []
    skipped = 0
    with QUERIES.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                query, _ = row_query(dict(row))
            except ClearanceError:
                skipped += 1
                continue
            queries.append(query)
    return queries, skipped


def open_index() -> MatchIndex:
    with Store.open(HOME) as store:
        return load_index(store.current(), INDEX_FOLDER)


# --- phases (children) -----------------------------------------------------------------


def phase_build() -> Json:
    pin()
    for old in INDEX_FOLDER.glob("index-*.pickle"):
        old.unlink()
    with Store.open(HOME) as store:
        view = store.current()
        start = time.perf_counter()
        index = load_index(view, INDEX_FOLDER)
        build_s = time.perf_counter() - start
        entities, names = len(index.entities), len(index.names)
        build_rss = peak_rss_mb()
        del index
        gc.collect()
        start = time.perf_counter()
        index = load_index(view, INDEX_FOLDER)
        load_s = time.perf_counter() - start
    (saved,) = INDEX_FOLDER.glob("index-*.pickle")
    return {
        "entities": entities,
        "names": names,
        "build_s": build_s,
        "load_s": load_s,
        "file_mb": saved.stat().st_size / 1e6,
        "build_rss_mb": build_rss,
        "sources": len({e.list_code for e in index.entities}),
    }


def phase_latency(baseline_sample: int) -> Json:
    core = pin()
    queries, skipped = dev_queries()
    index = open_index()
    for query in queries[:WARM_UP]:
        screen(index, query)
    latencies: list[float] = []
    clock = time.perf_counter_ns
    for query in queries:
        start = clock()
        screen(index, query)
        latencies.append((clock() - start) / 1e6)
    result = summary(latencies)
    result.update(core=core, skipped=skipped, rss_mb=peak_rss_mb())
    # baseline B1-style brute force, on the same core, after Clearance's peak RSS is read
    choices = [normalize_text(n.text) for n in index.names]
    named = [i for i, q in enumerate(queries) if len(normalize_text(q.name)) > 0]
    sample = random.Random(SEED).sample(named, min(baseline_sample, len(named)))
    texts = [normalize_text(queries[i].name) for i in sample]
    process.extractOne(texts[0], choices, scorer=fuzz.WRatio)  # warm-up
    began = time.perf_counter()
    for text in texts:
        process.extractOne(text, choices, scorer=fuzz.WRatio)
    base_s = time.perf_counter() - began
    result["baseline_n"] = len(texts)
    result["baseline_ms"] = base_s * 1000 / len(texts)
    result["sample_mean"] = sum(latencies[i] for i in sample) / len(sample)
    return result


def _batch_worker(
    rank: int,
    queries: list[Query],
    barrier: BarrierType,
    out: Queue[tuple[int, int, float, float, float, float]],
) -> None:
    pin(rank)
    start = time.perf_counter()
    index = open_index()
    load_s = time.perf_counter() - start
    for query in queries[:WARM_UP]:
        screen(index, query)
    barrier.wait(timeout=600)
    start = time.perf_counter()
    for query in queries:
        screen(index, query)
    out.put((rank, len(queries), start, time.perf_counter(), load_s, peak_rss_mb()))


def phase_batch() -> Json:
    queries, _ = dev_queries()
    half = len(queries) // 2
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_batch_worker, args=(rank, part, barrier, out))
        for rank, part in enumerate((queries[:half], queries[half:]))
    ]
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=1200) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"batch worker failed with exit code {worker.exitcode}")
    done = sum(r[1] for r in reports)
    wall = max(r[3] for r in reports) - min(r[2] for r in reports)
    return {
        "n": done,
        "wall_s": wall,
        "qps": done / wall,
        "load_s": max(r[4] for r in reports),
        "rss_mb": max(r[5] for r in reports),
        "cores": len(os.sched_getaffinity(0)),
    }


def phase_parts() -> Json:
    """Write the real name parts the scale test draws from (occurrences, so common words
    stay common): person surnames and given names, company words, places."""
    index = open_index()
    surnames: list[str] = []
    given: list[str] = []
    words: list[str] = []
    places: list[str] = []

    def latin_words(text: str) -> list[str]:
        return [
            w for w in text.replace(",", " ").split() if w.isascii() and w.isalpha()
        ]

    for entity in index.entities:
        for name in entity.names:
            if name.script is not None:
                continue
            if entity.schema is Schema.PERSON:
                if "," in name.value:
                    last, first = name.value.split(",", 1)
                    surnames += [w.upper() for w in latin_words(last)]
                    given += [w.title() for w in latin_words(first) if len(w) > 1]
                else:
                    given += [w.title() for w in latin_words(name.value) if len(w) > 1]
            else:
                words += [
                    w.title()
                    for w in latin_words(name.value)
                    if len(w) > 2 and w.lower() not in GENERIC
                ]
        for address in entity.addresses:
            if address.city and address.city.isascii():
                places.append(address.city.strip().title())
    parts = {"surnames": surnames, "given": given, "words": words, "places": places}
    PARTS.write_text(json.dumps(parts))
    return {k: len(v) for k, v in parts.items()}


class NameMaker:
    """Synthetic names from real parts."""

    def __init__(self, parts: dict[str, list[str]], seed: int) -> None:
        self.rng = random.Random(seed)
        self.parts = parts

    def person(self) -> str:
        pick = self.rng.choice
        given = self.parts["given"]
        return f"{pick(self.parts['surnames'])}, {pick(given)} {pick(given)}"

    def company(self) -> str:
        pick = self.rng.choice
        return (
            f"{pick(self.parts['places'])} {pick(self.parts['words'])} "
            f"{pick(INDUSTRIES)} Co., Ltd."
        )


def typo(text: str, rng: random.Random) -> str:
    """One or two random edits (substitute, delete, insert, transpose) in long words."""
    words = text.split(" ")
    for _ in range(rng.choice((1, 1, 2))):
        long = [i for i, w in enumerate(words) if len(w) >= 5]
        if len(long) == 0:
            break
        i = rng.choice(long)
        w = words[i]
        at = rng.randrange(1, len(w) - 1)
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        edit = rng.randrange(4)
        if edit == 0:
            w = w[:at] + letter + w[at + 1 :]
        elif edit == 1:
            w = w[:at] + w[at + 1 :]
        elif edit == 2:
            w = w[:at] + letter + w[at:]
        else:
            w = w[: at - 1] + w[at] + w[at - 1] + w[at + 1 :]
        words[i] = w
    return " ".join(words)


def phase_scale(n: int) -> Json:
    pin()
    parts: dict[str, list[str]] = json.loads(PARTS.read_text())
    maker = NameMaker(parts, SEED)
    info = list_info("us_ofac_sdn")
    effect = effect_for("us_ofac_sdn", ("SDGT",))
    start = time.perf_counter()
    entities: list[Entity] = []
    for i in range(n):
        person = maker.rng.random() < 0.5
        make = maker.person if person else maker.company
        names = [make_name(make())]
        if maker.rng.random() < 0.3:  # some entities carry an a.k.a.
            names.append(make_name(make(), NameKind.ALIAS))
        listing = Listing(
            "us_ofac_sdn", info.authority, effect, str(i), programs=("SDGT",)
        )
        entities.append(
            Entity(
                f"synthetic:{i}",
                Schema.PERSON if person else Schema.ORGANIZATION,
                tuple(names),
                (listing,),
                sources=("us_ofac_sdn",),
            )
        )
    generate_s = time.perf_counter() - start
    generate_rss = peak_rss_mb()
    start = time.perf_counter()
    index = MatchIndex.build(entities, key="synthetic")
    build_s = time.perf_counter() - start
    build_rss = peak_rss_mb()
    rng = random.Random(SEED + 1)
    fresh = NameMaker(parts, SEED + 2)
    texts: list[str] = []
    for _ in range(SCALE_QUERIES // 2):
        texts.append(typo(rng.choice(entities).names[0].value, rng))
        texts.append(fresh.person() if rng.random() < 0.5 else fresh.company())
    queries = [Query(name=t) for t in texts]
    for query in queries[:WARM_UP]:
        screen(index, query)
    latencies: list[float] = []
    clock = time.perf_counter_ns
    for query in queries:
        begin = clock()
        screen(index, query)
        latencies.append((clock() - begin) / 1e6)
    result = summary(latencies)
    result.update(
        entities=len(index.entities),
        names=len(index.names),
        generate_s=generate_s,
        generate_rss_mb=generate_rss,
        build_s=build_s,
        build_rss_mb=build_rss,
        rss_mb=peak_rss_mb(),
        typo_p50=percentile(sorted(latencies[0::2]), 50),
        random_p50=percentile(sorted(latencies[1::2]), 50),
    )
    return result


# --- report (parent) -------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def print_main(build: Json, latency: Json, batch: Json) -> None:
    print(
        f"\nAll bootstrap lists: {build['entities']:,} entities, {build['names']:,} "
        f"indexed names from {build['sources']} lists; index file "
        f"{build['file_mb']:.0f} MB; {latency['n']:,} dev queries "
        f"({latency['skipped']} rows skipped as invalid).\n"
    )
    print("| measure | value | target | met |")
    print("|---|---:|---|---|")
    rows: list[tuple[str, ...]] = [
        (
            "index build (read store, build, save; 1 core)",
            f"{build['build_s']:.1f} s",
            f"<= {BUILD_S:.0f} s",
            verdict(build["build_s"] <= BUILD_S),
        ),
        ("peak RSS while building", f"{build['build_rss_mb']:.0f} MB", "", ""),
        ("index load from disk", f"{build['load_s']:.2f} s", "", ""),
        (
            "single query p50 (1 core)",
            f"{latency['p50']:.2f} ms",
            f"<= {P50_MS:g} ms",
            verdict(latency["p50"] <= P50_MS),
        ),
        ("single query p95", f"{latency['p95']:.2f} ms", "", ""),
        (
            "single query p99",
            f"{latency['p99']:.2f} ms",
            f"<= {P99_MS:g} ms",
            verdict(latency["p99"] <= P99_MS),
        ),
        ("single query max", f"{latency['max']:.1f} ms", "", ""),
        ("single query mean", f"{latency['mean']:.2f} ms", "", ""),
        ("queries/s, 1 process on 1 core", f"{latency['qps']:,.0f}", "", ""),
        ("peak RSS, 1 screening process", f"{latency['rss_mb']:.0f} MB", "", ""),
        (
            f"queries/s, 2 processes on {min(batch['cores'], 2)} cores",
            f"{batch['qps']:,.0f}",
            f">= {BATCH_QPS:,.0f}",
            verdict(batch["qps"] >= BATCH_QPS and batch["cores"] >= 2),
        ),
        ("batch: each worker's index load (not counted)", f"{batch['load_s']:.2f} s"),
        ("batch: peak RSS per worker", f"{batch['rss_mb']:.0f} MB"),
        (
            f"rapidfuzz WRatio brute force ({latency['baseline_n']} queries, 1 core)",
            f"{latency['baseline_ms']:.1f} ms/query",
            "",
            "",
        ),
        (
            "brute force / Clearance mean latency",
            f"{latency['baseline_ms'] / latency['mean']:.1f}x "
            f"({latency['baseline_ms'] / latency['sample_mean']:.1f}x on the same "
            "sample)",
            "",
            "",
        ),
    ]
    for row in rows:
        print("| " + " | ".join((*row, "", "")[:4]) + " |")


def print_scale(scale: Json) -> None:
    at_target = scale["entities"] >= SCALE_N
    note = "" if at_target else f" (target is for {SCALE_N:,})"
    print(
        f"\nScale: {scale['entities']:,} synthetic entities, {scale['names']:,} "
        f"indexed names; {scale['n']:,} queries (half typo'd listed names, half new "
        "random names), 1 core.\n"
    )
    print("| measure | value | target | met |")
    print("|---|---:|---|---|")
    rows = [
        ("generate entities", f"{scale['generate_s']:.1f} s", "", ""),
        ("index build (in process)", f"{scale['build_s']:.1f} s", "", ""),
        (
            "query p50",
            f"{scale['p50']:.2f} ms",
            f"<= {SCALE_P50_MS:g} ms{note}",
            verdict(scale["p50"] <= SCALE_P50_MS) if at_target else "n/a",
        ),
        (
            "query p50: typo'd listed / random names",
            f"{scale['typo_p50']:.2f} / {scale['random_p50']:.2f} ms",
            "",
            "",
        ),
        ("query p99", f"{scale['p99']:.2f} ms", "", ""),
        ("query max", f"{scale['max']:.1f} ms", "", ""),
        ("queries/s", f"{scale['qps']:,.0f}", "", ""),
        ("peak RSS after generating", f"{scale['generate_rss_mb']:.0f} MB", "", ""),
        ("peak RSS after build", f"{scale['build_rss_mb']:.0f} MB", "", ""),
        (
            "peak RSS (generate + build + query)",
            f"{scale['rss_mb']:.0f} MB",
            f"< {SCALE_RSS_MB:,.0f} MB{note}",
            verdict(scale["rss_mb"] < SCALE_RSS_MB) if at_target else "n/a",
        ),
        ("scale process wall time", f"{scale['process_s']:.1f} s", "", ""),
    ]
    for row in rows:
        print("| " + " | ".join((*row, "", "")[:4]) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=int, default=0, help="synthetic entities (0 = skip)"
    )
    parser.add_argument(
        "--scale-only", action="store_true", help="skip the real-list measurements"
    )
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    phases: dict[str, Callable[[], Json]] = {
        "build": phase_build,
        "latency": lambda: phase_latency(args.baseline_sample),
        "batch": phase_batch,
        "parts": phase_parts,
        "scale": lambda: phase_scale(args.scale),
    }
    if args.phase is not None:
        print(json.dumps(phases[args.phase]()))
        return
    started = time.perf_counter()
    load = os.getloadavg()
    speed_home()
    print(
        f"{len(os.sched_getaffinity(0))} cores; load average at start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min)"
    )
    if not args.scale_only:
        build = run_phase("build")
        latency = run_phase("latency", "--baseline-sample", str(args.baseline_sample))
        batch = run_phase("batch")
        print_main(build, latency, batch)
    if args.scale > 0:
        run_phase("parts")  # cheap; always from the current lists
        print_scale(run_phase("scale", "--scale", str(args.scale)))
    load = os.getloadavg()
    print(
        f"\nbenchmark wall time {time.perf_counter() - started:.0f} s; load average at "
        f"end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


if __name__ == "__main__":
    main()
