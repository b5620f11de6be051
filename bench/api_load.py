"""HTTP load benchmark: N concurrent clients against a real ``clearance serve`` on loopback.

    python bench/api_load.py --home /tmp/clearance-home [--duration 10] [--clients 1,8,32]
        [--scenarios match,batch,search] [--processes 2] [--url http://127.0.0.1:8000]
        [--report-every 60] [--server-log serve.log]

Starts ``clearance serve`` on a free 127.0.0.1 port for ``--home`` (or uses ``--url``), waits
until ``/readyz`` answers 200 on every connection it opens (each ``--processes`` process
loads its own index), then for each scenario and client count runs that many concurrent
clients (one keep-alive connection each) for ``--duration`` seconds:

- match: ``POST /match/default`` with one query (names of ../shared/bench/dev_queries.csv,
  in turn, with their schema/country/birth date);
- batch: ``POST /match/default`` with 20 queries per request;
- search: ``GET /search/default?q=<name>``.

Prints requests/s, queries/s, p50/p95/p99 latency, the error count (non-2xx answers,
broken connections and answers slower than ``--timeout``), the CPU the server processes
and this client used (in cores: 1.00 = one core busy all the time), the server's CPU
milliseconds per query answered (the figure least disturbed by other work), and the load average
before and after: client and server share the machine, so the client's own CPU and any
other work show up in the figures. The clients speak HTTP/1.1 over raw asyncio streams
with every request encoded before the clock starts, so the load generator costs a few
percent of a core rather than competing with the server (httpx cost ~1 ms of CPU per
request). For a soak run (``--duration 600 --clients 32 --scenarios match``),
``--report-every 60`` prints a line per minute, and ``--server-log`` keeps the server's JSON
log (its 5xx answers and errors) for a look afterwards.

The server writes to the home it serves (its API keys and the audit trail of every
screening), so point ``--home`` at a copy of a loaded home
(``cp -r /work/homes/full /tmp/clearance-home``), not a shared one.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT.parent / "shared" / "bench" / "dev_queries.csv"
BATCH = 20  # queries per request in the batch scenario


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    queries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # non-2xx answers by status


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


def _requests(scenario: str, host: str, examples: list[dict[str, Any]]) -> list[bytes]:
    """Every request of a scenario, encoded once (HTTP/1.1, keep-alive)."""
    out: list[bytes] = []
    if scenario == "search":
        for example in examples:
            target = "/search/default?q=" + quote(example["properties"]["name"][0])
            out.append(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        return out
    count = BATCH if scenario == "batch" else 1
    for start in range(0, len(examples) - count + 1, count):
        queries = {f"q{i}": examples[start + i] for i in range(count)}
        body = json.dumps({"queries": queries}).encode()
        head = (
            f"POST /match/default HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
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


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request and read its answer; the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length > 0:
        await reader.readexactly(length)
    return status


async def _client(
    host: str,
    port: int,
    requests: list[bytes],
    offset: int,
    count: int,
    until: float,
    tally: Tally,
    timeout: float,
) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    index = offset
    while time.perf_counter() < until:
        request = requests[index % len(requests)]
        index += 1
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, port)
            status = await asyncio.wait_for(_exchange(*connection, request), timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            tally.errors += 1
            if connection is not None:
                connection[1].close()
            connection = None
            continue
        elapsed = time.perf_counter() - started
        if status // 100 != 2:
            tally.errors += 1
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            continue
        tally.latencies.append(elapsed)
        tally.queries += count
    if connection is not None:
        connection[1].close()


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    if pid is None:
        return float("nan")
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    family = {pid}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                changed = True
    for member in family:
        total += times.get(member, 0.0)
    return total


async def _run(
    host: str,
    port: int,
    scenario: str,
    clients: int,
    duration: float,
    requests: list[bytes],
    timeout: float,
    report_every: float,
) -> tuple[Tally, float]:
    tally = Tally()
    count = 1 if scenario != "batch" else BATCH
    started = time.perf_counter()
    until = started + duration
    spread = max(1, len(requests) // clients)
    tasks = [
        asyncio.create_task(
            _client(host, port, requests, i * spread, count, until, tally, timeout)
        )
        for i in range(clients)
    ]
    if report_every > 0:
        mark = started
        done = 0
        while not all(t.done() for t in tasks):
            await asyncio.sleep(1.0)
            now = time.perf_counter()
            if now - mark >= report_every:
                fresh = tally.latencies[done:]
                print(
                    f"  {now - started:6.0f} s: {len(fresh) / (now - mark):7.1f} req/s, "
                    f"p95 {_percentile(fresh, 0.95) * 1000:6.1f} ms, "
                    f"errors so far {tally.errors}, load "
                    f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
                    flush=True,
                )
                mark, done = now, len(tally.latencies)
    await asyncio.gather(*tasks)
    return tally, time.perf_counter() - started


def _serve(
    home: Path, port: int, threads: int | None, processes: int, log: Path | None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "clearance", "--home", str(home), "serve"]
    command += ["--port", str(port)]
    if threads is not None:
        command += ["--workers-threads", str(threads)]
    command += ["--processes", str(processes)]
    env = {**os.environ, "CLEARANCE_API_RELOAD_INTERVAL": "0"}
    out = subprocess.DEVNULL if log is None else log.open("wb")
    return subprocess.Popen(command, stdout=out, stderr=out, env=env)


def _wait_ready(base: str, processes: int, seconds: float = 300) -> None:
    """Until ``/readyz`` says 200 on fresh connections ``processes`` times in a row (a
    process still loading its index answers 503 or not at all)."""
    import httpx  # only to poll readiness; the load itself uses raw streams

    deadline = time.monotonic() + seconds
    streak = 0
    while time.monotonic() < deadline:
        try:
            ok = httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        if streak >= 2 * processes:
            return
        time.sleep(0.05 if ok else 0.5)
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
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="an answer slower than this counts"
    )
    parser.add_argument(
        "--report-every", type=float, default=0, help="seconds between progress lines"
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's log here")
    parser.add_argument(
        "--server-pid", type=int, help="with --url: the server's pid, for its CPU use"
    )
    args = parser.parse_args()
    if (args.home is None) == (args.url is None):
        parser.error("give --home (start a server) or --url (use a running one)")
    examples = _examples()
    process = None
    base = args.url
    if args.home is not None:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = _serve(args.home, port, args.threads, args.processes, args.server_log)
        started = time.perf_counter()
        _wait_ready(base, args.processes)
        print(
            f"server ({args.processes} process(es)) ready in "
            f"{time.perf_counter() - started:.1f} s at {base}"
        )
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    server_pid = args.server_pid if process is None else process.pid
    try:
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        header = f"{'scenario':<8} {'clients':>7} {'requests':>8} {'req/s':>7} {'queries/s':>9}"
        header += f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        header += (
            f" {'server cpu':>10} {'ms cpu/q':>8} {'client cpu':>10} {'load 1m':>7}"
        )
        print(header)
        for scenario in args.scenarios.split(","):
            requests = _requests(scenario, f"{host}:{port}", examples)
            for clients in (int(c) for c in args.clients.split(",")):
                server_before = _cpu_seconds(server_pid)
                client_before = time.process_time()
                tally, elapsed = asyncio.run(
                    _run(
                        host,
                        port,
                        scenario,
                        clients,
                        args.duration,
                        requests,
                        args.timeout,
                        args.report_every,
                    )
                )
                server_cpu = (_cpu_seconds(server_pid) - server_before) / elapsed
                client_cpu = (time.process_time() - client_before) / elapsed
                done = len(tally.latencies)
                per_query = server_cpu * elapsed * 1000 / max(1, tally.queries)
                print(
                    f"{scenario:<8} {clients:>7} {done:>8} {done / elapsed:>7.1f} "
                    f"{tally.queries / elapsed:>9.1f} "
                    f"{_percentile(tally.latencies, 0.50) * 1000:>7.1f} "
                    f"{_percentile(tally.latencies, 0.95) * 1000:>7.1f} "
                    f"{_percentile(tally.latencies, 0.99) * 1000:>7.1f} {tally.errors:>6}"
                    f" {server_cpu:>10.2f} {per_query:>8.2f} {client_cpu:>10.2f}"
                    f" {os.getloadavg()[0]:>7.2f}",
                    flush=True,
                )
                if len(tally.statuses) > 0:
                    print(f"  non-2xx answers by status: {tally.statuses}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
