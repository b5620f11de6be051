"""Fetch -> parse -> store: one list version at a time, each in its own transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clearance.errors import SourceFormatError, SourceUnavailable
from clearance.model import Entity
from clearance.sources import (
    Candidate,
    DirectoryFetcher,
    HttpFetcher,
    ParseReport,
    RawFile,
    Skipped,
    official_spec,
    parse_ftm_delta,
    parser_for,
)
from clearance.store import Store, VersionMeta


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one source file: added | unchanged | refused | failed (the file is
    bad) | unavailable (the download failed) | not_modified (HTTP 304)."""

    source: str
    origin: str
    status: str
    published: date | None
    entity_count: int = 0
    issue_count: int = 0
    version_id: int | None = None
    message: str = ""


def _published(
    raw: RawFile, report: ParseReport, override: date | None
) -> tuple[date, str]:
    if override is not None:
        return override, "user"
    if report.published is not None:
        return report.published, "file"
    if raw.published is not None:
        return raw.published, raw.published_from or "filename"
    return raw.retrieved_at.date(), "retrieved"


_OFAC_COMPANIONS = {
    "us_ofac_sdn": ("add.csv", "alt.csv"),
    "us_ofac_cons": ("cons_add.csv", "cons_alt.csv"),
}


def lacking_fields(raw: RawFile) -> tuple[str, ...]:
    """Fields a file cannot carry because a companion file is missing (OFAC history snapshots
    keep only sdn.csv: no addresses, no strong aliases)."""
    companions = _OFAC_COMPANIONS.get(raw.source)
    if raw.format != "ofac_csv" or companions is None:
        return ()
    add, alt = companions
    lacks: list[str] = []
    if add not in raw.parts:
        lacks += ["addresses", "countries"]
    if alt not in raw.parts:
        lacks += ["names:alias", "names:former"]
    return tuple(lacks)


def parse_raw(raw: RawFile) -> tuple[list[Entity], ParseReport]:
    """Parse a raw file completely (nothing is stored yet). Raises ``SourceFormatError``."""
    parser = parser_for(raw.format)
    report = ParseReport(raw.source)
    try:
        entities = list(parser(raw, report))
    except SourceFormatError:
        raise
    except (ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
        # a parser bug or an unforeseen shape: still the file's fault as far as the store goes
        raise SourceFormatError(
            raw.source, raw.origin, f"{type(exc).__name__}: {exc}"
        ) from exc
    return entities, report


def import_raw(
    store: Store, raw: RawFile, *, force: bool = False, published: date | None = None
) -> Outcome:
    """Parse ``raw`` fully, then write it as one list version (or refuse it)."""
    if is_delta(raw):
        return import_delta(store, raw, published=published)
    try:
        entities, report = parse_raw(raw)
    except SourceFormatError as exc:
        store.record_failure(raw.source, raw.origin, str(exc))
        return Outcome(
            raw.source, raw.origin, "failed", raw.published, message=str(exc)
        )
    return import_parsed(store, raw, entities, report, force=force, published=published)


def import_parsed(
    store: Store,
    raw: RawFile,
    entities: list[Entity],
    report: ParseReport,
    *,
    force: bool = False,
    published: date | None = None,
) -> Outcome:
    """Write already parsed entities of ``raw`` as one list version (or refuse them)."""
    when, how = _published(raw, report, published)
    meta = VersionMeta(
        source=raw.source,
        published=when,
        published_from=how,
        retrieved_at=raw.retrieved_at,
        sha256=raw.sha256,
        format=raw.format,
        origin=raw.origin,
        issues=tuple((i.where, i.reason) for i in report.issues),
        issue_count=len(report.issues),
        declared_count=report.declared_count,
        lacks=lacking_fields(raw),
    )
    with store.import_version(meta, force=force) as writer:
        for entity in entities:
            writer.add(entity)
        result = writer.finish()
    return Outcome(
        raw.source,
        raw.origin,
        result.status,
        when,
        result.entity_count,
        len(report.issues),
        None if result.version is None else result.version.id,
        result.message,
    )


def is_delta(raw: RawFile) -> bool:
    """An OpenSanctions delta file (changes against the previous export, not a full list)."""
    return raw.format == "ftm" and any(
        name.endswith("delta.json") for name in raw.parts
    )


def import_delta(
    store: Store, raw: RawFile, *, published: date | None = None
) -> Outcome:
    """Apply an OpenSanctions delta to the version current at its date: a new version.

    Deletions are stated explicitly in a delta, so the 20 % loss rule (which guards against
    truncated full files) does not apply.
    """
    report = ParseReport(raw.source)
    try:
        operations = list(parse_ftm_delta(raw, report))
    except SourceFormatError as exc:
        store.record_failure(raw.source, raw.origin, str(exc))
        return Outcome(
            raw.source, raw.origin, "failed", raw.published, message=str(exc)
        )
    when, _ = _published(raw, report, published)
    if len(operations) == 0:
        return Outcome(raw.source, raw.origin, "unchanged", when, message="empty delta")
    base = store.version_at(raw.source, when)
    entities: dict[str, Entity] = {}
    if base is not None:
        entities = {e.id: e for e in store.version_entities(base.id)}
    for _operation, item in operations:  # the item's type says upsert or delete
        if isinstance(item, str):
            entities.pop(item, None)
        else:
            entities[item.id] = item
    return import_parsed(
        store, raw, list(entities.values()), report, force=True, published=published
    )


Listener = Callable[[Outcome], None]


def update_from_directory(
    store: Store,
    root: Path,
    *,
    exclude: Iterable[str] = (),
    force: bool = False,
    published: date | None = None,
    on_outcome: Listener | None = None,
) -> tuple[list[Outcome], list[Skipped]]:
    """Import every recognised official file under ``root``, oldest first."""
    fetcher = DirectoryFetcher(root, tuple(exclude))
    scan = fetcher.scan()
    ordered: list[Candidate] = sorted(
        scan.candidates, key=lambda c: (c.published or date.min, c.source, c.origin)
    )
    outcomes: list[Outcome] = []
    for candidate in ordered:
        try:
            raw = fetcher.load(candidate)
        except OSError as exc:
            outcome = Outcome(
                candidate.source, candidate.origin, "failed", None, message=str(exc)
            )
        else:
            outcome = import_raw(store, raw, force=force, published=published)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes, scan.skipped


def update_from_official(
    store: Store,
    fetcher: HttpFetcher,
    sources: Iterable[str],
    validators_path: Path,
    *,
    force: bool = False,
    on_outcome: Listener | None = None,
) -> list[Outcome]:
    """Download each source from its official URL and import it.

    ``validators_path`` keeps the ETag / Last-Modified of the last download, so an unchanged
    file is not downloaded again.
    """
    validators: dict[str, dict[str, str]] = {}
    if validators_path.is_file():
        validators = json.loads(validators_path.read_text("utf-8"))
    outcomes: list[Outcome] = []
    for source in sources:
        try:
            spec = official_spec(source)
            fetched = fetcher.fetch(spec, validators)
        except SourceUnavailable as exc:
            store.record_failure(source, exc.url, str(exc))
            outcome = Outcome(source, exc.url, "unavailable", None, message=str(exc))
        else:
            origin = ", ".join(spec.urls.values())
            if fetched.raw is None:
                outcome = Outcome(
                    source, origin, "not_modified", None, message="HTTP 304"
                )
            else:
                outcome = import_raw(store, fetched.raw, force=force)
            if outcome.status in ("added", "unchanged", "not_modified", "refused"):
                validators.update(fetched.validators)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    validators_path.parent.mkdir(parents=True, exist_ok=True)
    validators_path.write_text(json.dumps(validators, indent=1), "utf-8")
    return outcomes
