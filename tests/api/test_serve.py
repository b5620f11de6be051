"""``clearance serve`` as a real process on 127.0.0.1: readiness, a match, JSON logs
without payloads, API keys from the CLI, and an update that swaps the index while reads
go on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clearance.ingest import update_from_directory
from clearance.store import Store

pytestmark = pytest.mark.realdata


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clearance", "--home", str(home), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def _wait(predicate: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def server(shared_data: Path, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    home = tmp_path / "home"
    with Store.open(home) as store:
        outcomes, _ = update_from_directory(
            store, shared_data / "us_bis_dpl" / "2019-06"
        )
    assert outcomes[0].status == "added"
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "CLEARANCE_API_RELOAD_INTERVAL": "0"}
    with log.open("w") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clearance",
                "--home",
                str(home),
                "serve",
                "--port",
                str(port),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _wait(ready, 60)
        yield base, home, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_answers_logs_and_swaps_after_an_update(
    server: tuple[str, Path, Path], shared_data: Path, tmp_path: Path
) -> None:
    base, home, log = server
    body = {
        "queries": {"q": {"schema": "Person", "properties": {"name": ["Zaza Nizami"]}}}
    }
    first = httpx.post(f"{base}/match/default", json=body, timeout=10)
    assert first.status_code == 200
    lists = httpx.get(f"{base}/lists", timeout=10).json()
    assert [s["published"] for s in lists["sources"]] == ["2019-06-01"]

    key = _cli(home, "apikey", "create", "--name", "ops", "--role", "admin", "--json")
    admin = json.loads(key.stdout)["key"]
    assert admin.startswith("clr_")
    listed = _cli(home, "apikey", "list", "--json").stdout
    assert admin not in listed and json.loads(listed)[0]["role"] == "admin"

    job = httpx.post(
        f"{base}/updates",
        json={"directory": str(shared_data / "us_bis_dpl" / "2023-11")},
        headers={"authorization": f"Bearer {admin}"},
        timeout=10,
    )
    assert job.status_code == 202 and job.json()["state"] in ("queued", "running")

    def done() -> bool:
        state = httpx.get(
            f"{base}/updates/latest",
            headers={"authorization": f"Bearer {admin}"},
            timeout=10,
        ).json()
        # reads keep working while the update runs
        assert (
            httpx.post(f"{base}/match/default", json=body, timeout=10).status_code
            == 200
        )
        return state["state"] in ("done", "failed")

    _wait(done, 120)
    latest = httpx.get(
        f"{base}/updates/latest",
        headers={"authorization": f"Bearer {admin}"},
        timeout=10,
    ).json()
    assert latest["state"] == "done" and latest["swapped"]
    assert latest["outcomes"][0]["status"] == "added"
    lists = httpx.get(f"{base}/lists", timeout=10).json()
    assert [s["published"] for s in lists["sources"]] == ["2023-11-01"]

    _cli(home, "apikey", "revoke", json.loads(listed)[0]["prefix"])
    refused = httpx.get(
        f"{base}/updates/latest",
        headers={"authorization": f"Bearer {admin}"},
        timeout=10,
    )
    assert refused.status_code == 401

    lines = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{")
    ]
    access = [x for x in lines if x.get("message") == "request"]
    assert any(x["path"] == "/match/default" and x["status"] == 200 for x in access)
    assert all("request_id" in x for x in access)
    assert "Zaza" not in log.read_text() and admin not in log.read_text()


def test_sockets_have_tcp_nodelay_and_accepted_connections_inherit_it() -> None:
    """The server's sockets disable Nagle's algorithm, and so do the connections they
    accept (Linux copies the option from the listening socket): without it, each answer's
    body waited for the client's delayed ACK of its headers, ~40 ms (uvicorn's own
    multi-process socket lacks it)."""
    from clearance.server import _bind

    listener = _bind("127.0.0.1", 0)
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        listener.listen(1)
        with socket.create_connection(listener.getsockname()[:2], timeout=5):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()


def test_serve_with_two_processes_answers_and_stops_them_all(
    shared_data: Path, tmp_path: Path
) -> None:
    """``--processes 2``: both processes load the index before they take connections,
    answer, and end with the parent on SIGTERM."""
    home = tmp_path / "home"
    with Store.open(home) as store:
        update_from_directory(store, shared_data / "us_bis_dpl" / "2019-06")
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "CLEARANCE_API_RELOAD_INTERVAL": "0"}
    command = [sys.executable, "-m", "clearance", "--home", str(home), "serve"]
    with log.open("w") as handle:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--processes", "2"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"

    def lines() -> list[dict[str, object]]:
        text = log.read_text(encoding="utf-8").splitlines()
        return [json.loads(x) for x in text if x.startswith("{")]

    try:
        _wait(lambda: sum(x["message"] == "index serving" for x in lines()) == 2, 90)
        body = {
            "queries": {
                "q": {"schema": "Person", "properties": {"name": ["Zaza Nizami"]}}
            }
        }
        for _ in range(4):  # new connections, spread over both processes
            answer = httpx.post(f"{base}/match/default", json=body, timeout=10)
            assert answer.status_code == 200
            assert answer.json()["responses"]["q"]["status"] == 200
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    children = [
        int(str(x["pid"])) for x in lines() if x["message"] == "server process started"
    ]
    assert len(children) == 2
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
