"""Monitoring benchmark: a large synthetic watch set and one monthly SDN update.

    python bench/monitor.py [--parties 1000000] [--workers 2] [--postgres]

Builds a home under bench/.work/ with the real OFAC SDN snapshot of 2024-03-27, a watch set
of N synthetic parties (real name parts: given names, family names and company words taken
from that snapshot; a few hundred carry a listed entity's exact name), screens them once
(the baseline, through the list side: every entity of the first version is new), then
imports the next real snapshot (2024-04-26) and times the incremental run against a full
re-screen of every party (``run_monitor(full=True)``, as ``clearance monitor run --full``:
every party screened over ``--workers`` processes, its hits reconciled and stored), both
measured outright. ``--full-sample N`` instead times plain screens of N parties and scales
them (the table says so). ``--postgres`` puts the store in a throwaway PostgreSQL cluster
(tests/pg_cluster.py) instead of SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import resource
import shutil
import time
from pathlib import Path

from bench._setup import SHARED, WORK
from clearance.ingest import update_from_directory
from clearance.model import Schema
from clearance.monitor import create_watch_set, import_parties, party_query, run_monitor
from clearance.screen import load_index, screen
from clearance.store import Store, WatchStore, diff_versions

HISTORY = SHARED / "data" / "us_ofac_sdn" / "csv_history"
BEFORE, AFTER = "2024-03-27", "2024-04-26"
SUFFIXES = ["LLC", "LTD", "GMBH", "SA", "TRADING CO", "HOLDINGS", "INC", "GROUP"]


def name_parts(store: Store) -> tuple[list[str], list[str], list[str], list[str]]:
    """Given names, family names and company words of the first snapshot; its names."""
    given: set[str] = set()
    family: set[str] = set()
    words: set[str] = set()
    names: list[str] = []
    for entity in store.current().get_many(list(store.current().entity_ids())):
        caption = entity.caption
        names.append(caption)
        if entity.schema is Schema.PERSON and "," in caption:
            last, _, first = caption.partition(",")
            family.update(w for w in last.split() if w.isalpha() and len(w) > 2)
            given.update(w for w in first.split() if w.isalpha() and len(w) > 2)
        elif entity.schema is not Schema.PERSON:
            words.update(w for w in caption.split() if w.isalpha() and len(w) > 3)
    return sorted(given), sorted(family), sorted(words), names


def write_parties(
    path: Path,
    n: int,
    parts: tuple[list[str], list[str], list[str], list[str]],
    plant: list[str],
) -> None:
    rng = random.Random(7)
    given, family, words, listed = parts
    planted = [*plant, *rng.sample(listed, min(200, len(listed)))]
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["ref", "name", "schema"])
        for i in range(n):
            if i < len(planted):
                out.writerow([f"P{i}", planted[i], ""])
            elif rng.random() < 0.7:
                first = rng.choice(given).title()
                if rng.random() < 0.3:
                    first += " " + rng.choice(given).title()
                name = f"{first} {rng.choice(family).title()}"
                out.writerow([f"P{i}", name, "Person"])
            else:
                firm = " ".join(rng.choice(words) for _ in range(rng.randint(1, 2)))
                out.writerow([f"P{i}", f"{firm} {rng.choice(SUFFIXES)}".title(), ""])


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the screening workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument(
        "--full-sample",
        type=int,
        default=0,
        help="time plain screens of this many parties and scale (0: run the full "
        "re-screen outright)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="screen the first snapshot against the parties first (default: up to "
        "100,000 parties; it decides whether alerts on changed entities are new "
        "matches or changes, not how much work the incremental run does)",
    )
    args = parser.parse_args()
    baseline = args.parties <= 100_000 if args.baseline is None else args.baseline
    home = WORK / f"monitor-{args.parties}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        url = None
        if args.postgres:
            from tests.pg_cluster import Cluster

            cluster = Cluster()
            stack.callback(cluster.stop)
            cluster.start()
            url = cluster.create_database()
        bench(args, home, baseline, url)


def bench(
    args: argparse.Namespace, home: Path, baseline: bool, url: str | None
) -> None:
    started = time.perf_counter()
    loads: list[str] = []
    # name parts from the first snapshot; planted names from what the second one adds
    with Store.open(home / "peek") as peek:
        update_from_directory(peek, HISTORY / f"sdn_{BEFORE}.csv.gz")
        parts = name_parts(peek)
        before_ids = set(peek.current().entity_ids())
        update_from_directory(peek, HISTORY / f"sdn_{AFTER}.csv.gz")
        view = peek.current()
        added = sorted(set(view.entity_ids()) - before_ids)
        plant = [e.caption for e in view.get_many(added)[:100]]
    csv_path = WORK / f"parties-{args.parties}.csv"
    write_parties(csv_path, args.parties, parts, plant)
    rows: list[tuple[str, str]] = []
    with Store.open(home, url) as store:
        create_watch_set(store, "bench")
        t = time.perf_counter()
        counts, errors = import_parties(store, "bench", csv_path)
        rows.append(
            ("watch import (parties and keys)", f"{time.perf_counter() - t:.1f} s")
        )
        run_monitor(store, home / "index")  # no lists yet: the parties are now known
        update_from_directory(store, HISTORY / f"sdn_{BEFORE}.csv.gz")
        load_index(store.current(), home / "index")
        base_alerts = "not run (--no-baseline)"
        if baseline:  # through the list side: every entity of the first version is new
            t = time.perf_counter()
            base = run_monitor(store, home / "index")
            took_base = time.perf_counter() - t
            rows.append(
                ("baseline run (whole list against parties)", f"{took_base:.1f} s")
            )
            base_alerts = f"{len(base.alerts):,}"
        else:  # as if a baseline had run: the monitor has seen the first version
            (first,) = store.versions("us_ofac_sdn")
            WatchStore(store).set_state("version:us_ofac_sdn", str(first.id))
        # the monthly update
        update_from_directory(store, HISTORY / f"sdn_{AFTER}.csv.gz")
        before, after = store.versions("us_ofac_sdn")[-2:]
        diff = diff_versions(store, before, after)
        changed = len(diff.added) + len(diff.removed) + len(diff.changed)
        index = load_index(store.current(), home / "index")  # as `update` does
        loads.append(f"{os.getloadavg()[0]:.1f}")
        t = time.perf_counter()
        report = run_monitor(store, home / "index", workers=args.workers)
        incremental = time.perf_counter() - t
        loads.append(f"{os.getloadavg()[0]:.1f}")
        # the alternative: every party screened against the full index
        watch = WatchStore(store)
        ids = watch.active_party_ids()
        sample = ids
        full_work: dict[str, int] = {}
        full_alerts = 0
        full_cpu = 0.0
        t = time.perf_counter()
        if args.full_sample > 0:
            if len(ids) > args.full_sample:
                sample = random.Random(1).sample(ids, args.full_sample)
            parties = watch.parties_by_id(sample)
            t = time.perf_counter()
            for party in parties.values():
                screen(index, party_query(party.fields), limit=25)
            full = (time.perf_counter() - t) * len(ids) / len(sample)
        else:
            before_cpu = _cpu()
            whole = run_monitor(store, home / "index", full=True, workers=args.workers)
            full = time.perf_counter() - t
            full_cpu = _cpu() - before_cpu
            full_work = dict(whole.work)
            full_alerts = len(whole.alerts)
        loads.append(f"{os.getloadavg()[0]:.1f}")
        total = len(index.entities)
    took = time.perf_counter() - started
    print(
        f"\nbench/monitor.py --parties {args.parties:,} --workers {args.workers} "
        f"({'PostgreSQL' if url else 'SQLite'}; whole run {took:.0f} s; 1-min load "
        f"average before / after incremental / after full: {' / '.join(loads)})\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| watched parties | {counts.added:,} ({len(errors)} unusable rows) |")
    print(f"| list entities (SDN {AFTER}) | {total:,} |")
    print(
        f"| changed by the update ({BEFORE} -> {AFTER}) | {changed:,} "
        f"({changed / total:.2%}: {len(diff.added)} added, {len(diff.removed)} "
        f"removed, {len(diff.changed)} changed) |"
    )
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"| baseline alerts | {base_alerts} |")
    print(f"| **incremental run** | **{incremental:.2f} s** |")
    how = f"run_monitor(full=True), {args.workers} worker(s), measured"
    if args.full_sample > 0:
        how = f"plain screens of {len(sample):,} parties, scaled to {len(ids):,}"
    print(f"| **full re-screen** ({how}) | **{full:.1f} s** |")
    print(f"| speed-up | **{full / incremental:.0f}x** |")
    print(f"| incremental alerts | {len(report.alerts):,} |")
    for key in (
        "list_entities_changed",
        "pairs_scored",
        "forward_screens",
        "keys_looked_up",
        "key_postings_read",
        "common_keys_skipped",
    ):
        print(f"| incremental: {key.replace('_', ' ')} | {report.work.get(key, 0):,} |")
    if args.full_sample > 0:
        print(f"| full re-screen: party screens | {len(ids):,} |")
    else:
        for key in ("forward_screens", "pairs_scored"):
            print(f"| full: {key.replace('_', ' ')} | {full_work.get(key, 0):,} |")
        print(f"| full: alerts (pairs no earlier run had recorded) | {full_alerts:,} |")
    print(
        f"| full re-screen per party (wall) | {full / max(len(ids), 1) * 1000:.2f} ms |"
    )
    if full_cpu > 0:
        print(
            f"| full re-screen CPU (this process + its workers) | {full_cpu:.0f} s, "
            f"{full_cpu / max(len(ids), 1) * 1000:.2f} ms a party |"
        )


if __name__ == "__main__":
    main()
