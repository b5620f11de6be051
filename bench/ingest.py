"""Import benchmark: time and peak memory to import the full 2022-05 CSL and every SDN history
snapshot into one store, each import in its own process pinned to one core.

    python bench/ingest.py [--data ../shared/data] [--snapshots N]
        [--postgres | --database-url postgresql://...]

Targets (issue 3): full CSL <= 10 s, each SDN snapshot <= 5 s, on one core. By default the
store is embedded SQLite; --postgres imports into a throwaway local PostgreSQL cluster (as the
tests start one), --database-url into an existing, empty database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(path: Path, home: Path, database_url: str | None) -> None:
    """Child: import one file (or folder) and print timings as JSON."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from clearance.ingest import import_parsed, parse_raw
    from clearance.sources import DirectoryFetcher
    from clearance.store import Store

    fetcher = DirectoryFetcher(path)
    (candidate,) = fetcher.scan().candidates
    start = time.perf_counter()
    raw = fetcher.load(candidate)
    entities, report = parse_raw(raw)
    parsed = time.perf_counter()
    with Store.open(home, database_url) as store:
        outcome = import_parsed(store, raw, entities, report, force=True)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "entities": len(entities),
                "status": outcome.status,
                "parse_s": parsed - start,
                "store_s": done - parsed,
            }
        )
    )


def measure(
    path: Path, home: Path, database_url: str | None
) -> dict[str, float | int | str]:
    start = time.perf_counter()
    url = [] if database_url is None else ["--database-url", database_url]
    child = subprocess.Popen(
        [sys.executable, __file__, "--one", str(path), "--home", str(home), *url],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    child.stdout.close()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"import of {path} failed")
    data: dict[str, float | int | str] = json.loads(output)
    data["wall_s"] = wall
    data["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--snapshots", type=int, default=0, help="only the first N (0 = all)"
    )
    parser.add_argument("--database-url", help="an empty PostgreSQL database")
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway local PostgreSQL cluster"
    )
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        one(args.one, args.home, args.database_url)
        return
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.pg_cluster import Cluster

        cluster = Cluster()
        try:
            cluster.start()
            run(args, cluster.create_database())
        finally:
            cluster.stop()
        return
    run(args, args.database_url)


def run(args: argparse.Namespace, database_url: str | None) -> None:
    """Import the CSL and the SDN history, one process each; print the table."""
    jobs = [("CSL 2022-05 full", args.data / "us_trade_csl" / "2022-05_full")]
    history = sorted((args.data / "us_ofac_sdn" / "csv_history").glob("sdn_*.csv.gz"))
    if args.snapshots > 0:
        history = history[: args.snapshots]
    jobs += [(f"SDN {p.name[4:14]}", p) for p in history]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for label, path in jobs:
            row = measure(path, home, database_url)
            rows.append((label, row))
            print(
                f"{label:<18} {row['entities']:>7,} entities  parse {row['parse_s']:5.2f} s  "
                f"store {row['store_s']:5.2f} s  process {row['wall_s']:5.2f} s  "
                f"peak RSS {row['peak_rss_mb']:6.0f} MB",
                flush=True,
            )
        db_size = store_size(home, database_url)
    sdn = [r for label, r in rows if label.startswith("SDN")]
    print()
    print("| import | entities | parse+store s | process s | peak RSS MB | target |")
    print("|---|---:|---:|---:|---:|---|")
    csl = rows[0][1]
    print(
        f"| full CSL 2022-05 | {csl['entities']:,} | "
        f"{float(csl['parse_s']) + float(csl['store_s']):.2f} | {float(csl['wall_s']):.2f} | "
        f"{float(csl['peak_rss_mb']):.0f} | <= 10 s |"
    )
    if sdn:
        work = [float(r["parse_s"]) + float(r["store_s"]) for r in sdn]
        walls = [float(r["wall_s"]) for r in sdn]
        rss = [float(r["peak_rss_mb"]) for r in sdn]
        print(
            f"| SDN snapshot (max of {len(sdn)}) | {max(int(r['entities']) for r in sdn):,} | "
            f"{max(work):.2f} | {max(walls):.2f} | {max(rss):.0f} | <= 5 s each |"
        )
        print(
            f"| SDN snapshot (mean of {len(sdn)}) | | {sum(work) / len(work):.2f} | "
            f"{sum(walls) / len(walls):.2f} | {sum(rss) / len(rss):.0f} | |"
        )
    backend = "SQLite" if database_url is None else "PostgreSQL"
    print(
        f"\n{backend} store size after all imports: {db_size:.0f} MB; "
        "one core per import process"
    )


def store_size(home: Path, database_url: str | None) -> float:
    """Megabytes the store takes on disk."""
    if database_url is None:
        return (home / "clearance.db").stat().st_size / 1e6
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0]) / 1e6


if __name__ == "__main__":
    main()
