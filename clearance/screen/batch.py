"""Streaming batch screening: rows in, one result per row out, bad rows reported."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearance.errors import InvalidQuery
from clearance.match import Hit, Query
from clearance.model import Schema, parse_partial_date
from clearance.screen.single import Screener

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


def _clean(value: str | None) -> str:
    if value is None:
        return ""
    return "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()


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
    country = _clean(row.get("country")).lower() or None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        warnings.append(f"country {country!r} is not an ISO alpha-2 code; ignored")
        country = None
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


def read_csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Rows of a CSV file as dicts, numbered from 1; raises ``InvalidQuery`` when the file
    has no ``name`` (or ``identifier``) column."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "name" not in fields and "identifier" not in fields:
        raise InvalidQuery(
            "input", f"{path} has no 'name' or 'identifier' column (columns: {fields})"
        )
    reader.fieldnames = fields
    for number, row in enumerate(reader, start=1):
        yield number, {k: v for k, v in row.items() if isinstance(k, str)}


def screen_rows(
    screener: Screener,
    rows: Iterable[tuple[int, dict[str, str | None]]],
    *,
    threshold: float | None = None,
    limit: int = 10,
    on_row: Callable[[RowResult], None] | None = None,
) -> Iterator[RowResult]:
    """Screen each row; a bad row yields a result with ``error`` set and the run goes on."""
    for number, row in rows:
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
        out["error"] = result.error
    if result.warning is not None:
        out["warning"] = result.warning
    for hit in result.hits:
        entity = hit.entity
        out["hits"].append(
            {
                "id": entity.id,
                "caption": entity.caption,
                "score": round(hit.score, 4),
                "match": hit.match,
                "source": " / ".join(sorted({x.source for x in entity.listings})),
                "names": [n.value for n in entity.names],
                "matched_name": hit.matched_name,
                "legal_effects": sorted(
                    {x.legal_effect.value for x in entity.listings}
                ),
                "evidence": [
                    {
                        "feature": e.feature,
                        "score": round(e.score, 3),
                        "query_value": e.query_value,
                        "list_value": e.list_value,
                        "detail": e.detail,
                    }
                    for e in hit.evidence
                ],
            }
        )
    return out
