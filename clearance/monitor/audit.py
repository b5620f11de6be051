"""Audited screening: what a screening's audit record holds, and replaying one against
the list versions it used."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from clearance.errors import InvalidQuery
from clearance.match import Hit, Query
from clearance.model import Schema, parse_partial_date
from clearance.screen import Screener
from clearance.store import AuditLog, AuditRecord, Store, View, digest


def query_json(query: Query) -> dict[str, object]:
    return {
        "name": query.name,
        "schema": None if query.schema is None else query.schema.value,
        "country": query.country,
        "birth_date": None if query.birth_date is None else str(query.birth_date),
        "identifier": query.identifier,
    }


def results_of(hits: Sequence[Hit]) -> list[list[object]]:
    """The part of a result the digest covers: entity, score (6 places), decision."""
    return [[h.entity.id, round(h.score, 6), h.match] for h in hits]


def record_screening(
    store: Store,
    view: View,
    query: Query,
    hits: Sequence[Hit],
    *,
    threshold: float | None,
    limit: int,
    sources: Sequence[str] = (),
    actor: str | None = None,
    channel: str = "cli",
) -> AuditRecord:
    """Append the audit record of one screening (``clearance check``; the API later)."""
    return AuditLog(store).append(
        "screening",
        {
            "channel": channel,
            "query": query_json(query),
            "query_digest": digest(query_json(query)),
            "list_versions": {s: v.id for s, v in sorted(view.versions.items())},
            "threshold": threshold,
            "limit": limit,
            "sources": sorted(sources),
            "results": results_of(hits),
            "results_digest": digest(results_of(hits)),
            "decision": "alert" if any(h.match for h in hits) else "clear",
        },
        actor,
    )


def file_digest(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def record_batch(
    store: Store,
    view: View,
    queries: Path,
    results: Path,
    counts: Mapping[str, int],
    *,
    threshold: float | None,
    limit: int,
    actor: str | None = None,
    channel: str = "cli",
) -> AuditRecord:
    """Append the audit record of one batch screening: the input file's digest, the list
    versions, and the digest of the results file written."""
    return AuditLog(store).append(
        "batch",
        {
            "channel": channel,
            "file": queries.name,
            "file_digest": file_digest(queries),
            "list_versions": {s: v.id for s, v in sorted(view.versions.items())},
            "threshold": threshold,
            "limit": limit,
            "counts": dict(counts),
            "results_digest": file_digest(results),
            "decision": "alert" if counts.get("alerts", 0) > 0 else "clear",
        },
        actor,
    )


@dataclass(frozen=True, slots=True)
class Replay:
    record: AuditRecord
    hits: tuple[Hit, ...]
    digest: str  # of the replayed results
    same: bool  # equal to the recorded results digest


def replay(store: Store, index_folder: Path, record_id: int) -> Replay:
    """Re-run an audited screening against the very list versions it used.

    Raises:
        InvalidQuery: the record is not a screening.
        NotFound: no such record, or one of its list versions is gone.
    """
    record = AuditLog(store).get(record_id)
    payload = record.payload
    if record.event != "screening":
        raise InvalidQuery(
            "RECORD", f"record {record_id} is a {record.event}, not a screening"
        )
    query = _query(payload["query"])
    versions = payload["list_versions"]
    assert isinstance(versions, Mapping)
    view = store.view_of(int(str(v)) for v in versions.values())
    threshold = payload.get("threshold")
    sources = payload.get("sources") or []
    assert isinstance(sources, list)
    hits = Screener(view, index_folder).screen(
        query,
        threshold=None if threshold is None else float(str(threshold)),
        limit=int(str(payload["limit"])),
        sources=None if len(sources) == 0 else frozenset(str(s) for s in sources),
    )
    value = digest(results_of(hits))
    return Replay(record, tuple(hits), value, value == payload.get("results_digest"))


def _query(data: object) -> Query:
    assert isinstance(data, Mapping)

    def text(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value)

    schema, birth = text("schema"), text("birth_date")
    return Query(
        name=text("name") or "",
        schema=None if schema is None else Schema(schema),
        country=text("country"),
        birth_date=None if birth is None else parse_partial_date(birth),
        identifier=text("identifier"),
    )
