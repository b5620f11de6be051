"""Streaming batch screening: rows in, one result per row out, bad rows reported."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from clearance.errors import InvalidQuery
from clearance.match import Evidence, Hit, Query
from clearance.model import Schema, parse_partial_date
from clearance.normalize import country_code
from clearance.screen.single import Screener

MAX_NAME = (
    1000  # longer names are cut (and reported): no list name is longer than 700 chars
)
_SCHEMAS = {s.value.lower(): s for s in Schema}
_SCHEMAS["organisation"] = Schema.ORGANIZATION
_SCHEMAS["entity"] = Schema.ORGANIZATION
_SCHEMAS["individual"] = Schema.PERSON
_DELIMITERS = ",;\t|"
_WHOLE_LINE = "\x1f"  # a one-column file: the whole line is the value, commas and all
# the columns a query is made of: a line break in one of them is a quote left open
_QUERY_COLUMNS = ("qid", "id", "name", "schema", "country", "birth_date", "identifier")


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


def _decode(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")  # Excel's "Unicode text"
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _header(line: str) -> tuple[str, list[str]]:
    """The delimiter and the column names, found from the header line: the delimiter that
    splits it into a ``name`` (or ``identifier``) column; for a one-column header, none."""

    def columns(delimiter: str) -> list[str]:
        return [c.strip().lower() for c in _lenient(line, delimiter) or []]

    for delimiter in _DELIMITERS:
        found = columns(delimiter)
        if len(found) > 1 and ("name" in found or "identifier" in found):
            return delimiter, found
    widest = max(_DELIMITERS, key=lambda d: len(columns(d)))
    if len(columns(widest)) > 1:
        return widest, columns(
            widest
        )  # no query column: the caller says which there are
    return _WHOLE_LINE, columns(_WHOLE_LINE)


def _key_of(columns: list[str], record: list[str]) -> str | None:
    for column in ("qid", "id"):
        if column in columns and columns.index(column) < len(record):
            return _clean(record[columns.index(column)]) or None
    return None


def _lenient(line: str, delimiter: str) -> list[str] | None:
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return None


def _row(columns: list[str], record: list[str], line: int, delimiter: str) -> Row:
    extra = [v for v in record[len(columns) :] if len(v.strip()) > 0]
    if len(extra) > 0:
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        return BadRow(
            f"line {line}: {len(record)} fields but {len(columns)} columns "
            f"(quote values that contain a {shown})",
            _key_of(columns, record),
        )
    return {c: record[i] if i < len(record) else None for i, c in enumerate(columns)}


def read_csv_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """Rows of a CSV file as dicts, numbered from 1; a row that cannot be read is a
    ``BadRow`` and reading goes on at the next line.

    The delimiter (comma, semicolon, tab or bar) is the one that splits the header into
    its columns. A quote left open would swallow the lines after it: a row whose query
    columns span lines, or that fails to parse over several lines, is reported, and the
    next line is read afresh.

    Raises:
        InvalidQuery: the file has no ``name`` (or ``identifier``) column.
    """
    lines = list(io.StringIO(_decode(path.read_bytes()), newline=""))
    first = next((i for i, text in enumerate(lines) if len(text.strip()) > 0), None)
    delimiter, columns = _header("" if first is None else lines[first])
    if "name" not in columns and "identifier" not in columns:
        found = ", ".join(repr(c) for c in columns if len(c) > 0) or "none"
        raise InvalidQuery(
            str(path), f"no 'name' or 'identifier' column (columns: {found})"
        )
    number = 0
    pos = len(lines) if first is None else first + 1
    while pos < len(lines):
        begin = pos  # the line the next record starts on
        restart: int | None = None
        reader = csv.reader(islice(lines, pos, None), delimiter=delimiter, strict=True)
        try:
            for record in reader:
                start, begin = begin, pos + reader.line_num
                if not any(len(v.strip()) > 0 for v in record):
                    continue  # a blank line, or a row of empty cells
                number += 1
                row = _row(columns, record, start + 1, delimiter)
                if begin - start > 1 and isinstance(row, dict):
                    values = [row.get(c) or "" for c in _QUERY_COLUMNS]
                    if any("\n" in v or "\r" in v for v in values):
                        row = BadRow(
                            f"line {start + 1}: broken quoting (a quote opened here "
                            f"runs over {begin - start} lines)",
                            _key_of(columns, record),
                        )
                        restart = start + 1
                yield number, row
                if restart is not None:
                    break
        except csv.Error as exc:
            number += 1
            spans = pos + reader.line_num - begin
            record_or_none = _lenient(lines[begin], delimiter) if spans <= 1 else None
            if record_or_none is None:
                key = _key_of(columns, _lenient(lines[begin], delimiter) or [])
                why = f"{exc}" if spans <= 1 else f"a quote opened here runs on: {exc}"
                yield number, BadRow(f"line {begin + 1}: broken quoting ({why})", key)
            else:  # one sloppy line, e.g. a space after a closing quote: read leniently
                yield number, _row(columns, record_or_none, begin + 1, delimiter)
            restart = begin + 1
        pos = len(lines) if restart is None else restart


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
                "evidence": [evidence_json(e) for e in hit.evidence],
            }
        )
    return out


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "feature": evidence.feature,
        "score": round(evidence.score, 3),
        "query_value": evidence.query_value,
        "list_value": evidence.list_value,
        "detail": evidence.detail,
    }
