"""Telling people about alerts: webhook messages drained from the outbox, and a digest.

Messages are written to the ``outbox`` in the run's own transaction and posted after it has
committed, so a slow or absent receiver never holds up or undoes a list update. Each POST
carries ``X-Clearance-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact body bytes
under the shared secret; a receiver recomputes it to know the message is ours and intact.
A failed message is retried with exponential backoff, within the drain and across runs,
with each failure recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from clearance.store import Alert, Store, WatchStore

SIGNATURE_HEADER = "X-Clearance-Signature"
DELIVERY_HEADER = "X-Clearance-Delivery"
ATTEMPTS = 3  # per drain
BACKOFF = 0.5  # seconds before the 2nd attempt; doubles each time
TIMEOUT = 5.0  # seconds per POST
RETRY_LATER = timedelta(
    minutes=5
)  # a message failing a whole drain waits this, doubled
MAX_DRAIN_SECONDS = 30.0  # a drain stops starting new posts after this


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header)


@dataclass(frozen=True, slots=True)
class Delivery:
    delivered: int
    failed: int
    errors: tuple[str, ...]


def deliver(
    store: Store,
    url: str,
    secret: str,
    *,
    transport: httpx.BaseTransport | None = None,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
    timeout: float = TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST every pending outbox message to ``url``; never raises for a network failure
    (failures are recorded on the message and counted)."""
    watch = WatchStore(store)
    delivered = failed = 0
    errors: list[str] = []
    started = time.monotonic()
    with httpx.Client(transport=transport, timeout=timeout) as client:
        for item in watch.pending():
            if time.monotonic() - started > MAX_DRAIN_SECONDS:
                break
            body = item.body.encode("utf-8")
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(secret, body),
                DELIVERY_HEADER: str(item.id),
            }
            error = ""
            tries = item.attempts
            for attempt in range(attempts):
                tries += 1
                try:
                    response = client.post(url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                else:
                    if response.is_success:
                        error = ""
                        break
                    error = f"HTTP {response.status_code}"
                if attempt + 1 < attempts:
                    sleep(backoff * 2**attempt)
            if error == "":
                watch.delivered(item.id, tries)
                delivered += 1
            else:
                wait = RETRY_LATER * 2 ** min(tries // attempts, 6)
                retry_at = (datetime.now(UTC) + wait).isoformat(timespec="seconds")
                watch.failed(item.id, tries, error, retry_at)
                failed += 1
                errors.append(f"message {item.id}: {error}")
    return Delivery(delivered, failed, tuple(errors))


def digest_text(alerts: Sequence[Alert], title: str) -> str:
    """A Markdown digest of alerts, plain enough to paste into an e-mail."""
    lines = [f"# {title}", ""]
    if len(alerts) == 0:
        lines.append("No new alerts.")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(alerts)} new alert(s).")
    lines.append("")
    for alert in sorted(alerts, key=lambda a: a.id):
        party = alert.party.fields
        caption = _caption(alert)
        lines.append(
            f"## Alert {alert.id}: {alert.kind.value.replace('_', ' ')} "
            f"({alert.set_name} / {party.ref})"
        )
        lines.append("")
        lines.append(f"- Watched party: {party.name}")
        lines.append(f"- Listed entity: {caption} ({alert.entity_id})")
        lines.append(
            f"- Score: {alert.score:.2f}; matched name: {alert.matched_name or '-'}"
        )
        lines.append(f"- List version: {alert.source} #{alert.version_id}")
        changes = alert.detail.get("changes")
        if isinstance(changes, list):
            for change in changes:
                if isinstance(change, dict):
                    added = "; ".join(str(x) for x in change.get("added", []))
                    removed = "; ".join(str(x) for x in change.get("removed", []))
                    lines.append(
                        f"- Changed {change.get('field')}: + {added or '-'} / "
                        f"- {removed or '-'}"
                    )
        lines.append(
            f"- Decide: `clearance dispose {alert.id} --decision "
            "true_match|false_positive|needs_review --reason ...`"
        )
        lines.append("")
    return "\n".join(lines)


def _caption(alert: Alert) -> str:
    names = alert.record.get("names")
    if isinstance(names, list) and len(names) > 0 and isinstance(names[0], dict):
        return str(names[0].get("value"))
    return alert.entity_id
