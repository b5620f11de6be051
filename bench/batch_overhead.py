"""What the batch path costs apart from the matcher: reading, building queries, writing
the hits as JSON and the rows as CSV, passing them between processes, writing the file.

    python bench/batch_overhead.py [--rows 20000] [--workers 1,2] [--profile]

Screens bench/batch.py's synthetic customer file once with the real matcher, keeping
every row's hits in memory; then runs `run_batch` again (CSV output) with a screener
that replays those hits, so the matcher costs next to nothing and what is left is the
rest of the path. Prints CPU milliseconds per row of the parent process and of the worker
processes (CPU time, not wall time: steadier on a shared machine), and the rows/s the
path alone allows. With --profile, the top functions of a 1-process replay (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import WORK, bench_home
from bench.batch import generate
from clearance.match import Hit, Query
from clearance.screen import IndexScreener, Screener, run_batch
from clearance.store import Store


class Replay:
    """Screens by looking the query up in hits recorded earlier (or records them)."""

    def __init__(self, real: IndexScreener | None) -> None:
        self.real = real
        self.hits: dict[tuple[Query, float | None, int], list[Hit]] = {}

    def screen(
        self, query: Query, *, threshold: float | None = None, limit: int = 10
    ) -> list[Hit]:
        key = (query, threshold, limit)
        found = self.hits.get(key)
        if found is None:
            if self.real is None:
                raise KeyError(f"no recorded hits for {query.name!r}")
            found = self.hits[key] = self.real.screen(
                query, threshold=threshold, limit=limit
            )
        return found


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--planted", type=float, default=0.01)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    home = bench_home()
    path, _ = generate(args.rows, args.planted, home)
    output = WORK / f"overhead-{args.rows}.csv"
    with Store.open(home) as store:
        screener = Screener(store.current(), home / "index")
        replay = Replay(IndexScreener(screener.index))
        started = time.process_time()
        run_batch(replay, path, output, workers=1)
        matcher = time.process_time() - started
        replay.real = None  # from here on, the recorded hits only
        print(f"input: {path} ({args.rows:,} rows)")
        print(
            f"recording run, real matcher, 1 process: "
            f"{matcher / args.rows * 1e3:.3f} ms CPU per row"
        )
        print(
            "| workers | rows/s (path alone) | parent ms/row | workers ms/row | total |"
        )
        print("|---|---|---|---|---|")
        for count in (int(w) for w in args.workers.split(",")):
            parent0, kids0 = _cpu()
            wall = time.perf_counter()
            run_batch(replay, path, output, workers=count)
            wall = time.perf_counter() - wall
            parent1, kids1 = _cpu()
            parent = (parent1 - parent0) / args.rows * 1e3
            kids = (kids1 - kids0) / args.rows * 1e3
            print(
                f"| {count} | {args.rows / wall:,.0f} | {parent:.3f} | {kids:.3f} "
                f"| {parent + kids:.3f} |",
                flush=True,
            )
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            run_batch(replay, path, output, workers=1)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)
    for leftover in output.parent.glob(output.name + "*"):
        leftover.unlink()


if __name__ == "__main__":
    main()
