"""Webhooks to a local receiver (signature checked there), retries with backoff, failures
recorded; and the digest."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clearance.monitor import (
    SIGNATURE_HEADER,
    add_party,
    create_watch_set,
    deliver,
    digest_text,
    run_monitor,
    verify_signature,
)
from clearance.store import Store, WatchStore
from tests.factories import make_entity, make_meta

SECRET = "synthetic-shared-secret"


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers ``statuses`` in turn (then 200) and
    keeps what it got, with whether the signature verified."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, object], bool]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = verify_signature(SECRET, body, self.headers[SIGNATURE_HEADER])
                receiver.received.append((json.loads(body), ok))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    """On each backend in turn (SQLite, PostgreSQL)."""
    with Store.open(tmp_path / "home", database_url) as opened:
        with opened.import_version(make_meta("us_ofac_sdn", date(2022, 1, 1))) as w:
            w.add(make_entity("us_ofac_sdn:1", "ACME TRADING LLC"))
            w.add(make_entity("us_ofac_sdn:2", "ZENITH MARITIME SHIPPING CO"))
            w.finish()
        create_watch_set(opened, "customers")
        add_party(opened, "customers", {"ref": "C1", "name": "Acme Trading"})
        run_monitor(opened, tmp_path / "index", notify=True)  # one alert, one message
        yield opened


def test_webhook_reaches_a_local_receiver_with_a_valid_signature(store: Store) -> None:
    receiver = Receiver([])
    try:
        delivery = deliver(store, receiver.url, SECRET)
    finally:
        receiver.close()
    assert (delivery.delivered, delivery.failed) == (1, 0)
    ((body, signed),) = receiver.received
    assert signed
    assert body["event"] == "alerts"
    alerts = body["alerts"]
    assert isinstance(alerts, list)
    assert [(a["party"]["ref"], a["entity"]["id"]) for a in alerts] == [
        ("C1", "us_ofac_sdn:1")
    ]
    assert deliver(store, receiver.url, SECRET).delivered == 0  # nothing left to send


def test_failed_posts_are_retried_with_backoff(store: Store) -> None:
    receiver = Receiver([500, 503])
    waits: list[float] = []
    try:
        delivery = deliver(store, receiver.url, SECRET, sleep=waits.append)
    finally:
        receiver.close()
    assert (delivery.delivered, delivery.failed) == (1, 0)
    assert waits == [0.5, 1.0]
    assert len(receiver.received) == 3
    (item,) = WatchStore(store).outbox_status()
    assert item["attempts"] == 3 and item["delivered_at"] is not None


def test_unreachable_receiver_is_recorded_not_raised(store: Store) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = deliver(
        store, f"http://127.0.0.1:{port}/hook", SECRET, sleep=lambda _: None, timeout=1
    )
    assert (delivery.delivered, delivery.failed) == (0, 1)
    (item,) = WatchStore(store).outbox_status()
    assert item["attempts"] == 3
    assert item["delivered_at"] is None
    assert "ConnectError" in str(item["last_error"])
    assert WatchStore(store).pending() == []  # retried at a later run, not at once


def test_a_wrong_secret_does_not_verify(store: Store) -> None:
    receiver = Receiver([])
    try:
        deliver(store, receiver.url, "another secret")
    finally:
        receiver.close()
    ((_, signed),) = receiver.received
    assert not signed


def test_digest_lists_each_alert_with_how_to_decide(store: Store) -> None:
    alerts = WatchStore(store).alerts()
    text = digest_text(alerts, "Clearance alerts")
    assert text.startswith("# Clearance alerts\n")
    assert "## Alert 1: new match (customers / C1)" in text
    assert "- Listed entity: ACME TRADING LLC (us_ofac_sdn:1)" in text
    assert "clearance dispose 1 --decision" in text


def test_without_a_webhook_nothing_queues(
    tmp_path: Path, database_url: str | None
) -> None:
    with Store.open(tmp_path / "home", database_url) as store:
        with store.import_version(make_meta("us_ofac_sdn", date(2022, 1, 1))) as w:
            w.add(make_entity("us_ofac_sdn:1", "ACME TRADING LLC"))
            w.finish()
        create_watch_set(store, "customers")
        add_party(store, "customers", {"ref": "C1", "name": "Acme Trading"})
        assert len(run_monitor(store, tmp_path / "index").alerts) == 1
        assert WatchStore(store).outbox_status() == []
