"""Streaming batch screening: rows in, one result per row out, bad rows reported."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Protocol

from clearance.errors import InvalidQuery
from clearance.index import MatchIndex
from clearance.match import Evidence, Hit, Query
from clearance.model import Entity, Schema, parse_partial_date
from clearance.normalize import country_code
from clearance.screen.single import Screener, screen

MAX_NAME = (
    1000  # longer names are cut (and reported): no list name is longer than 700 chars
)
_SCHEMAS = {s.value.lower(): s for s in Schema}
_SCHEMAS["organisation"] = Schema.ORGANIZATION
_SCHEMAS["entity"] = Schema.ORGANIZATION
_SCHEMAS["individual"] = Schema.PERSON


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int  # 1-based data row number (header excluded)
    key: str  # the row's own id (qid) or its row number
    hits: tuple[Hit, ...]
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A CSV row that could not be read (a quote left open, more fields than the header):
    reported with its line, not screened."""

    reason: str
    key: str | None = None  # its qid, when that much could be read


Row = dict[str, str | None] | BadRow


def _clean(value: str | None) -> str:
    """Printable text with single spaces: every kind of space (no-break, ideographic, tab,
    line break) separates words; other invisible characters are dropped."""
    if value is None:
        return ""
    if value.isprintable():  # the usual case: no space but U+0020, nothing to drop
        return " ".join(value.split())
    kept = "".join(
        " " if ch.isspace() else ch for ch in value if ch.isprintable() or ch.isspace()
    )
    return " ".join(kept.split())


def row_query(row: dict[str, str | None]) -> tuple[Query, str | None]:
    """A query from one input row (columns name, schema, country, birth_date, identifier);
    raises ``InvalidQuery`` when nothing usable is left; returns a warning for what was
    ignored."""
    warnings: list[str] = []
    name = _clean(row.get("name"))
    if len(name) > MAX_NAME:
        warnings.append(f"name cut to {MAX_NAME} characters")
        name = name[:MAX_NAME]
    identifier = _clean(row.get("identifier")) or None
    if len(name) == 0 and identifier is None:
        raise InvalidQuery("name", "empty name and no identifier")
    schema_text = _clean(row.get("schema")).lower()
    schema = _SCHEMAS.get(schema_text) if schema_text else None
    if schema_text and schema is None:
        warnings.append(f"unknown schema {schema_text!r} ignored")
    country_text = _clean(row.get("country"))
    country = country_code(country_text) if country_text else None
    if country_text and country is None:
        warnings.append(f"unknown country {country_text!r} ignored")
    birth_text = _clean(row.get("birth_date"))
    birth = parse_partial_date(birth_text) if birth_text else None
    if birth_text and birth is None:
        warnings.append(f"unparseable birth date {birth_text!r} ignored")
    query = Query(
        name=name,
        schema=schema,
        country=country,
        birth_date=birth,
        identifier=identifier,
    )
    return query, "; ".join(warnings) or None


def screen_rows(
    screener: Screener,
    rows: Iterable[tuple[int, Row]],
    *,
    threshold: float | None = None,
    limit: int = 10,
    on_row: Callable[[RowResult], None] | None = None,
) -> Iterator[RowResult]:
    """Screen each row; a bad row yields a result with ``error`` set and the run goes on."""
    for number, row in rows:
        if isinstance(row, BadRow):
            result = RowResult(number, row.key or str(number), (), error=row.reason)
            if on_row is not None:
                on_row(result)
            yield result
            continue
        key = _clean(row.get("qid") or row.get("id")) or str(number)
        try:
            query, warning = row_query(row)
        except InvalidQuery as exc:
            result = RowResult(number, key, (), error=str(exc))
        else:
            hits = screener.screen(query, threshold=threshold, limit=limit)
            result = RowResult(number, key, tuple(hits), warning=warning)
        if on_row is not None:
            on_row(result)
        yield result


def result_json(result: RowResult) -> dict[str, Any]:
    """The benchmark contract's output line (plus evidence and listings)."""
    out: dict[str, Any] = {"qid": result.key, "hits": []}
    if result.error is not None:
        out["row"] = result.row
        out["error"] = result.error
    if result.warning is not None:
        out["warning"] = result.warning
    out["hits"] = [hit_json(hit) for hit in result.hits]
    return out


def hit_json(hit: Hit) -> dict[str, Any]:
    """One hit in the benchmark contract's shape (plus evidence and legal effects)."""
    entity = hit.entity
    return {
        "id": entity.id,
        "caption": entity.caption,
        "score": round(hit.score, 4),
        "match": hit.match,
        "source": " / ".join(sorted({x.source for x in entity.listings})),
        "names": [n.value for n in entity.names],
        "matched_name": hit.matched_name,
        "legal_effects": sorted({x.legal_effect.value for x in entity.listings}),
        "evidence": [evidence_json(e) for e in hit.evidence],
    }


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "feature": evidence.feature,
        "score": round(evidence.score, 3),
        "query_value": evidence.query_value,
        "list_value": evidence.list_value,
        "detail": evidence.detail,
    }


# --- the hits as JSON text, fast ---------------------------------------------------------
# ``hits_text`` writes exactly ``json.dumps([hit_json(h) ...], ensure_ascii=False)``
# (a test holds them equal) without building the dicts: a batch writes it for every row,
# ~4 kB for 6 hits, and the dicts and the generic encoder cost more than the matcher's
# last speed-up saved. The parts of a hit that belong to its entity (id, caption,
# sources, names, legal effects) are written once per entity and kept.

_ENTITY_TEXT: dict[str, tuple[Entity, str, str, str]] = {}
_ENTITY_TEXT_MAX = (
    200_000  # more entities than all official lists hold; then start over
)
_FEATURE_TEXT: dict[str, str] = {}  # '{"feature": "name", "score": ' by feature


def _str(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _entity_text(entity: Entity) -> tuple[Entity, str, str, str]:
    """(entity, its head, its middle and its legal effects as JSON fragments)."""
    known = _ENTITY_TEXT.get(entity.id)
    if known is not None and known[0] is entity:
        return known
    if len(_ENTITY_TEXT) >= _ENTITY_TEXT_MAX:
        _ENTITY_TEXT.clear()
    head = f'{{"id": {_str(entity.id)}, "caption": {_str(entity.caption)}, "score": '
    sources = " / ".join(sorted({x.source for x in entity.listings}))
    names = ", ".join(_str(n.value) for n in entity.names)
    middle = f', "source": {_str(sources)}, "names": [{names}], "matched_name": '
    effects = sorted({x.legal_effect.value for x in entity.listings})
    tail = f', "legal_effects": [{", ".join(_str(e) for e in effects)}], "evidence": ['
    known = (entity, head, middle, tail)
    _ENTITY_TEXT[entity.id] = known
    return known


def _evidence_text(evidence: Evidence) -> str:
    head = _FEATURE_TEXT.get(evidence.feature)
    if head is None:
        head = _FEATURE_TEXT[evidence.feature] = (
            f'{{"feature": {_str(evidence.feature)}, "score": '
        )
    query, listed, detail = evidence.query_value, evidence.list_value, evidence.detail
    # repr: what json.dumps writes for a (finite) float
    return (
        head
        + repr(round(evidence.score, 3))
        + ', "query_value": '
        + ("null" if query is None else encode_basestring(query))
        + ', "list_value": '
        + ("null" if listed is None else encode_basestring(listed))
        + ', "detail": '
        + ("null" if detail is None else encode_basestring(detail))
        + "}"
    )


def hits_text(hits: Sequence[Hit]) -> str:
    """The hits as ``json.dumps([hit_json(h) for h in hits], ensure_ascii=False)``."""
    parts: list[str] = []
    for hit in hits:
        _, head, middle, tail = _entity_text(hit.entity)
        parts.append(
            head
            + repr(round(hit.score, 4))
            + (', "match": true' if hit.match else ', "match": false')
            + middle
            + _str(hit.matched_name)
            + tail
            + ", ".join([_evidence_text(e) for e in hit.evidence])
            + "]}"
        )
    return "[" + ", ".join(parts) + "]"


# --- the engine-neutral row API --------------------------------------------------------
# One input record in, one flat output row out: the single-machine runner (process pool)
# and the Spark engine (mapInPandas) both call ``screen_record``, so their outputs agree
# row for row.

OutputValue = str | float | int | bool | None
OutputRow = dict[str, OutputValue]
Record = Mapping[str, object]

OUTPUT_COLUMNS: tuple[str, ...] = (
    "row",  # 1-based data row number of the input (header excluded)
    "key",  # the row's own id (its id column) or else its row number
    "match",  # any hit at or above the threshold: the alert decision
    "hit_count",  # hits returned (at most --limit)
    "top_id",  # the best hit's entity id, e.g. "us_ofac_cons:30946"
    "top_name",  # its official primary name
    "top_matched_name",  # the listed name the query met
    "top_score",  # 0..1, rounded to 4 places
    "top_lists",  # sources listing it, " / "-separated, e.g. "us_ofac_cons"
    "top_programs",  # the programs of its listings, e.g. "CMIC-EO13959"
    "top_legal_effects",  # e.g. "securities_ban"
    "top_evidence",  # one line per feature: "name_coverage +2.1: Hikvision ~ ... (...)"
    "alert_lists",  # sources of every hit that alerted, " / "-separated
    "alert_legal_effects",  # legal effects of every hit that alerted
    "hit_ids",  # every hit's entity id, best first, " | "-separated
    "hit_names",  # their primary names, " | "-separated
    "hit_scores",  # their scores, " | "-separated
    "hits_json",  # the hits in full (the `clearance batch` JSON lines contract)
    "warning",  # what was ignored in the row (unknown country, cut name, ...)
    "error",  # why the row could not be screened; then no hit columns
)
INPUT_PREFIX = "input_"  # an input column named like an output column is kept as this
_LIST_SEP, _HIT_SEP = " / ", " | "


def _header_key(column: str) -> str:
    return re.sub(r"[\s_\-.]+", "_", column.strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which input column plays which part of a query. ``None`` means "look for the
    usual headers" (``DEFAULT_HEADERS``, case, spaces and underscores ignored); after
    ``resolve`` each field is a column of the file or ``None`` (absent)."""

    name: str | None = None
    schema: str | None = None
    country: str | None = None
    birth_date: str | None = None
    identifier: str | None = None
    id: str | None = None  # the row's own key (a customer number, the benchmark's qid)

    def resolve(self, columns: Sequence[str]) -> ColumnMap:
        """The mapping for a file with these columns: explicit names must exist; the
        others are found among the usual headers.

        Raises:
            InvalidQuery: a named column is missing, or no name nor identifier column.
        """
        by_key: dict[str, str] = {}
        for column in columns:
            by_key.setdefault(_header_key(column), column)
        found: dict[str, str | None] = {}
        for field in fields(self):
            wanted = getattr(self, field.name)
            if wanted is not None:
                if wanted in columns:
                    found[field.name] = wanted
                elif _header_key(wanted) in by_key:
                    found[field.name] = by_key[_header_key(wanted)]
                else:
                    flag = f"--{field.name.replace('_', '-')}-col"
                    raise InvalidQuery(
                        flag, f"no column {wanted!r} (columns: {_listed(columns)})"
                    )
                continue
            found[field.name] = next(
                (by_key[h] for h in DEFAULT_HEADERS[field.name] if h in by_key), None
            )
        resolved = replace(self, **found)
        if resolved.name is None and resolved.identifier is None:
            raise InvalidQuery(
                "input",
                f"no 'name' or 'identifier' column (columns: {_listed(columns)})",
            )
        return resolved

    def text_columns(self) -> list[str]:
        """The query's columns (a line break in one of them is a quote left open)."""
        values = (getattr(self, f.name) for f in fields(self))
        return [v for v in values if v is not None]

    def key_column(self) -> str | None:
        return self.id


DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "fullname", "customer_name", "entity_name",
             "party_name", "legal_name", "counterparty_name"),
    "schema": ("schema", "entity_type", "party_type", "type"),
    "country": ("country", "country_code", "nationality", "country_of_residence"),
    "birth_date": ("birth_date", "date_of_birth", "dob", "birthdate"),
    "identifier": ("identifier", "isin", "imo", "id_number", "registration_number"),
    "id": ("qid", "id", "customer_id", "record_id", "reference", "ref"),
}  # fmt: skip


def _listed(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns if len(c) > 0) or "none"


def output_columns(input_columns: Sequence[str]) -> list[str]:
    """The output's columns for an input with these: every input column (renamed with
    ``INPUT_PREFIX`` when it clashes with an output column), then ``OUTPUT_COLUMNS``."""
    return [kept_name(c) for c in input_columns] + list(OUTPUT_COLUMNS)


def kept_name(column: str) -> str:
    return INPUT_PREFIX + column if column in OUTPUT_COLUMNS else column


def input_value(value: object) -> str | None:
    """Input values are kept as text (None stays None; a pandas NaN is None), so every
    reader and engine writes the same row."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 12345.0 is the id 12345
    return str(value)


class RowScreener(Protocol):
    """What screening a row needs: a ``Screener`` or an ``IndexScreener``."""

    def screen(
        self, query: Query, *, threshold: float | None = None, limit: int = 10
    ) -> list[Hit]: ...


class IndexScreener:
    """Screens with a loaded index alone, no store: what a batch worker process or a
    Spark executor holds (``IndexScreener.load(saved_index_path)``)."""

    def __init__(self, index: MatchIndex) -> None:
        self.index = index

    @classmethod
    def load(cls, path: Path) -> IndexScreener:
        """Load a saved index file (``index-<key>.pickle`` in the home's ``index/``)."""
        key = path.name.removeprefix("index-").removesuffix(".pickle")
        return cls(MatchIndex.load(path, key))

    def screen(
        self, query: Query, *, threshold: float | None = None, limit: int = 10
    ) -> list[Hit]:
        return screen(self.index, query, threshold=threshold, limit=limit)


def record_query(record: Record, mapping: ColumnMap) -> tuple[Query, str | None]:
    """A query from one input record through a resolved ``ColumnMap``; raises
    ``InvalidQuery`` when nothing usable is left (see ``row_query``)."""
    roles: dict[str, str | None] = {}
    for role in ("name", "schema", "country", "birth_date", "identifier"):
        column = getattr(mapping, role)
        roles[role] = None if column is None else input_value(record.get(column))
    return row_query(roles)


def _joined(values: Iterable[str], sep: str = _LIST_SEP) -> str:
    return sep.join(sorted(set(values)))


def evidence_text(evidence: Evidence) -> str:
    """One feature's evidence as a line: ``feature +score: query ~ listed (detail)``."""
    text = f"{evidence.feature} {evidence.score:+.2f}"
    values = [v for v in (evidence.query_value, evidence.list_value) if v is not None]
    if len(values) > 0:
        text += ": " + " ~ ".join(values)
    if evidence.detail is not None:
        text += f" ({evidence.detail})"
    return text


def _empty(row: int, key: str) -> OutputRow:
    out: OutputRow = dict.fromkeys(OUTPUT_COLUMNS)
    out.update(row=row, key=key, match=False, hit_count=0)
    return out


def screen_record(
    screener: RowScreener,
    record: Record | BadRow,
    mapping: ColumnMap,
    *,
    row: int,
    threshold: float | None = None,
    limit: int = 10,
) -> OutputRow:
    """Screen one input record into one flat output row (``output_columns`` of the
    record's columns, values text, numbers, booleans or None).

    Pure: the same record, mapping and index give the same row in any process or engine.
    A record that cannot be screened (a ``BadRow`` from the reader, an empty name) gives
    a row with ``error`` set and no hits.

    Args:
        mapping: a resolved ``ColumnMap``.
        row: the record's 1-based data row number in its file.
    """
    if isinstance(record, BadRow):
        out = _empty(row, record.key or str(row))
        out["error"] = record.reason
        return out
    kept: OutputRow = {kept_name(c): input_value(v) for c, v in record.items()}
    key = str(row)
    if mapping.id is not None:
        key = _clean(input_value(record.get(mapping.id))) or key
    out = _empty(row, key)
    try:
        query, warning = record_query(record, mapping)
    except InvalidQuery as exc:
        out["error"] = str(exc)
        return kept | out
    hits = screener.screen(query, threshold=threshold, limit=limit)
    out["warning"] = warning
    out["hit_count"] = len(hits)
    out["match"] = any(h.match for h in hits)
    out["hits_json"] = hits_text(hits)
    if len(hits) == 0:
        return kept | out
    top = hits[0]
    listings = top.entity.listings
    alerts = [h for h in hits if h.match]
    out.update(
        top_id=top.entity.id,
        top_name=top.entity.caption,
        top_matched_name=top.matched_name,
        top_score=round(top.score, 4),
        top_lists=_joined(x.source for x in listings),
        top_programs=_joined(p for x in listings for p in x.programs),
        top_legal_effects=_joined(x.legal_effect.value for x in listings),
        top_evidence="\n".join(evidence_text(e) for e in top.evidence),
        alert_lists=_joined(x.source for h in alerts for x in h.entity.listings)
        or None,
        alert_legal_effects=_joined(
            x.legal_effect.value for h in alerts for x in h.entity.listings
        )
        or None,
        hit_ids=_HIT_SEP.join(h.entity.id for h in hits),
        hit_names=_HIT_SEP.join(h.entity.caption for h in hits),
        hit_scores=_HIT_SEP.join(f"{h.score:.4f}" for h in hits),
    )
    return kept | out


def screen_records(
    screener: RowScreener,
    records: Iterable[tuple[int, Record | BadRow]],
    mapping: ColumnMap,
    *,
    threshold: float | None = None,
    limit: int = 10,
) -> Iterator[OutputRow]:
    """``screen_record`` over ``(row number, record)`` pairs, in order."""
    for number, record in records:
        yield screen_record(
            screener, record, mapping, row=number, threshold=threshold, limit=limit
        )


def contract_json(out: OutputRow) -> str:
    """An output row as one line of the ``clearance batch`` JSON lines contract
    (``{"qid", "hits"}``, plus ``row`` and ``error`` for a bad row and ``warning``):
    the same text ``result_json`` gives, built without parsing the hits again."""
    head: dict[str, Any] = {"qid": out["key"]}
    tail: dict[str, Any] = {}
    if out["error"] is not None:
        tail["row"] = out["row"]
        tail["error"] = out["error"]
    if out["warning"] is not None:
        tail["warning"] = out["warning"]
    hits = out["hits_json"] if isinstance(out["hits_json"], str) else "[]"
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "hits": ' + hits
    if len(tail) > 0:
        text += ", " + json.dumps(tail, ensure_ascii=False)[1:-1]
    return text + "}"
