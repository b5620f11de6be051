"""HTTP load benchmark: N concurrent clients against a real ``clearance serve`` on loopback.

    python bench/api_load.py --home /tmp/clearance-home [--duration 10] [--clients 1,8,32]
        [--scenarios match,batch,search] [--url http://127.0.0.1:8000]

Starts ``clearance serve`` on a free 127.0.0.1 port for ``--home`` (or uses ``--url``), waits
for ``/readyz``, then for each scenario and client count runs that many concurrent clients
(httpx, async, one connection each) for ``--duration`` seconds:

- match: ``POST /match/default`` with one query (names of ../shared/bench/dev_queries.csv,
  in turn, with their schema/country/birth date);
- batch: ``POST /match/default`` with 20 queries per request;
- search: ``GET /search/default?q=<name>``.

Prints requests/s, queries/s, p50/p95/p99 latency and the error count (non-2xx answers and
transport errors) per row, and the load average before and after: the client runs on the
same machine, so its CPU use and other work show up in the figures.

The server writes to the home it serves (its API-key table), so point ``--home`` at a copy
of a loaded home (``cp -r /work/homes/full /tmp/clearance-home``), not a shared one.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT.parent / "shared" / "bench" / "dev_queries.csv"
BATCH = 20  # queries per request in the batch scenario


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    queries: int = 0


def _examples() -> list[dict[str, Any]]:
    """yente query entities from the dev queries (name, schema, country, birth date)."""
    out: list[dict[str, Any]] = []
    with QUERIES.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["name"].strip():
                continue
            props: dict[str, list[str]] = {"name": [row["name"]]}
            if row["country"]:
                props["country"] = [row["country"]]
            if row["birth_date"]:
                props["birthDate"] = [row["birth_date"]]
            out.append({"schema": row["schema"] or "LegalEntity", "properties": props})
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(values: list[float], share: float) -> float:
    if len(values) == 0:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _client(
    base: str,
    scenario: str,
    examples: Iterator[dict[str, Any]],
    until: float,
    tally: Tally,
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.perf_counter() < until:
            if scenario == "search":
                example = next(examples)
                request = client.get(
                    "/search/default", params={"q": example["properties"]["name"][0]}
                )
                count = 1
            else:
                count = BATCH if scenario == "batch" else 1
                queries = {f"q{i}": next(examples) for i in range(count)}
                request = client.post("/match/default", json={"queries": queries})
            started = time.perf_counter()
            try:
                response = await request
            except httpx.HTTPError:
                tally.errors += 1
                continue
            if response.status_code // 100 != 2:
                tally.errors += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.queries += count


async def _run(
    base: str,
    scenario: str,
    clients: int,
    duration: float,
    examples: list[dict[str, Any]],
) -> tuple[Tally, float]:
    tally = Tally()
    cycle = itertools.cycle(examples)
    started = time.perf_counter()
    until = started + duration
    await asyncio.gather(
        *(_client(base, scenario, cycle, until, tally) for _ in range(clients))
    )
    return tally, time.perf_counter() - started


def _serve(
    home: Path, port: int, threads: int | None, processes: int
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "clearance", "--home", str(home), "serve"]
    command += ["--port", str(port)]
    if threads is not None:
        command += ["--workers-threads", str(threads)]
    command += ["--processes", str(processes)]
    env = {**os.environ, "CLEARANCE_API_RELOAD_INTERVAL": "0"}
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )


def _wait_ready(base: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server at {base} not ready after {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="home to serve (a copy: see above)")
    parser.add_argument("--url", help="use a server already running here instead")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per row")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--scenarios", default="match,batch,search")
    parser.add_argument("--threads", type=int, help="server --workers-threads")
    parser.add_argument("--processes", type=int, default=1, help="server --processes")
    args = parser.parse_args()
    if (args.home is None) == (args.url is None):
        parser.error("give --home (start a server) or --url (use a running one)")
    examples = _examples()
    process = None
    base = args.url
    if args.home is not None:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = _serve(args.home, port, args.threads, args.processes)
        started = time.perf_counter()
        _wait_ready(base)
        print(
            f"server ({args.processes} process(es)) ready in "
            f"{time.perf_counter() - started:.1f} s at {base}"
        )
    try:
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        header = f"{'scenario':<8} {'clients':>7} {'requests':>8} {'req/s':>7} {'queries/s':>9}"
        header += f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        print(header)
        for scenario in args.scenarios.split(","):
            for clients in (int(c) for c in args.clients.split(",")):
                tally, elapsed = asyncio.run(
                    _run(base, scenario, clients, args.duration, examples)
                )
                done = len(tally.latencies)
                print(
                    f"{scenario:<8} {clients:>7} {done:>8} {done / elapsed:>7.1f} "
                    f"{tally.queries / elapsed:>9.1f} "
                    f"{_percentile(tally.latencies, 0.50) * 1000:>7.1f} "
                    f"{_percentile(tally.latencies, 0.95) * 1000:>7.1f} "
                    f"{_percentile(tally.latencies, 0.99) * 1000:>7.1f} {tally.errors:>6}",
                    flush=True,
                )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
