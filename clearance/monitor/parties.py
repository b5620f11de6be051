"""Watched parties: reading them from a CSV or XLSX file with a column mapping, the query
each one screens as, and the lookup keys that find them from a listed name."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from itertools import pairwise
from pathlib import Path

from openpyxl import load_workbook

from clearance.errors import InvalidQuery
from clearance.index import is_organisation
from clearance.match import Query
from clearance.model import Entity, Schema, identifier_key, parse_partial_date
from clearance.normalize import canonical_token, name_tokens
from clearance.screen import row_query
from clearance.store import PartyFields

FIELDS = ("ref", "name", "schema", "country", "birth_date", "identifier")
# column headers recognised without a mapping (lower case)
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "reference", "qid", "id", "customer_id", "client_id"),
    "name": ("name", "full_name", "party", "customer"),
    "schema": ("schema", "type", "kind"),
    "country": ("country", "nationality"),
    "birth_date": ("birth_date", "dob", "date_of_birth"),
    "identifier": ("identifier", "id_number", "registration", "isin"),
}
MIN_ID_KEY = 4  # shorter identifier keys match too much by chance (as the index does)


def _cells(path: Path) -> Iterator[list[str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield ["" if v is None else str(v).strip() for v in values]
        finally:
            workbook.close()
        return
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count)
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield [v.strip() for v in record]


def read_party_rows(
    path: Path, mapping: Mapping[str, str] | None = None
) -> Iterator[tuple[int, PartyFields | str]]:
    """Parties of a CSV (comma, semicolon, tab or bar) or XLSX file, numbered from 1; a row
    that cannot be used yields its reason instead.

    Args:
        mapping: field -> column header, for files whose headers are not the usual ones
            (``{"name": "Customer Name", "ref": "Account"}``); other fields are found by
            their usual headers (``ref``/``id``, ``name``, ``country``, ``birth_date``, ...).

    Raises:
        InvalidQuery: no name column, or a mapped column missing from the header.
    """
    if not path.is_file():
        raise InvalidQuery("FILE", f"no such file: {path}")
    rows = _cells(path)
    header = next(rows, None)
    if header is None:
        raise InvalidQuery(str(path), "the file is empty")
    columns = [h.strip().lower() for h in header]
    wanted = {k.lower(): v for k, v in (mapping or {}).items()}
    unknown = set(wanted) - set(FIELDS)
    if unknown:
        raise InvalidQuery("--map", f"unknown field(s) {sorted(unknown)}; use {FIELDS}")
    where: dict[str, int] = {}
    for name in FIELDS:
        if name in wanted:
            column = wanted[name].strip().lower()
            if column not in columns:
                raise InvalidQuery(
                    "--map", f"no column {wanted[name]!r} in {path.name}"
                )
            where[name] = columns.index(column)
            continue
        for candidate in DEFAULT_COLUMNS[name]:
            if candidate in columns:
                where[name] = columns.index(candidate)
                break
    if "name" not in where:
        raise InvalidQuery(
            str(path),
            f"no name column (columns: {', '.join(columns)}); map one with --map name=COLUMN",
        )
    for number, cells in enumerate(rows, start=1):
        if not any(len(c) > 0 for c in cells):
            continue
        values = {
            name: (cells[pos] if pos < len(cells) else "")
            for name, pos in where.items()
        }
        values.setdefault("ref", "")
        if len(values["ref"]) == 0:
            values["ref"] = f"row-{number}"
        try:
            yield number, party_fields(values)
        except InvalidQuery as exc:
            yield number, f"row {number} ({values['ref']}): {exc}"


def party_fields(values: Mapping[str, str | None]) -> PartyFields:
    """Validated, normalised party fields (country as ISO code, birth date as partial
    date text, schema as its canonical name), the way ``clearance batch`` reads a row."""
    ref = (values.get("ref") or "").strip()
    if len(ref) == 0:
        raise InvalidQuery("ref", "a party needs a reference id")
    query, warning = row_query(dict(values))
    if warning is not None:
        raise InvalidQuery("row", warning)
    return PartyFields(
        ref=ref,
        name=query.name,
        schema=None if query.schema is None else query.schema.value,
        country=query.country,
        birth_date=None if query.birth_date is None else str(query.birth_date),
        identifier=query.identifier,
    )


def party_query(fields: PartyFields) -> Query:
    """The query a watched party screens as (the same one ``clearance check`` would build
    from these fields)."""
    return Query(
        name=fields.name,
        schema=None if fields.schema is None else Schema(fields.schema),
        country=fields.country,
        birth_date=None
        if fields.birth_date is None
        else parse_partial_date(fields.birth_date),
        identifier=fields.identifier,
    )


def _token_keys(tokens: tuple[str, ...]) -> set[str]:
    keys: set[str] = set()
    if len(tokens) == 0:
        return keys
    for token in tokens:
        keys.add(f"w:{token}")
        keys.add(f"w:{canonical_token(token)}")
    for a, b in pairwise(tokens):
        keys.add(f"w:{a}{b}")  # "Zhong Xing" meets "Zhongxing"
    keys.add(f"w:{''.join(tokens)}")
    keys.add(f"s:{' '.join(sorted(canonical_token(t) for t in tokens))}")
    return keys


def _id_keys(value: str | None) -> set[str]:
    if value is None:
        return set()
    key = identifier_key(value)
    return {f"i:{key}"} if len(key) >= MIN_ID_KEY else set()


def party_keys(fields: PartyFields) -> set[str]:
    """Lookup keys of a watched party: the words of its name as an organisation's and as a
    person's name (like a query's), merged neighbours, the whole name, its identifier."""
    organisation = fields.schema != Schema.PERSON.value
    keys = _token_keys(name_tokens(fields.name, organisation))
    keys |= _token_keys(name_tokens(fields.name, False))
    keys |= _id_keys(fields.identifier)
    if any(c.isdigit() for c in fields.name):
        keys |= _id_keys(fields.name)  # a "name" that is really an identifier
    return keys


def entity_keys(entity: Entity) -> dict[str, set[str]]:
    """Lookup keys of a listed entity, per name (and one group for its identifiers)."""
    organisation = is_organisation(entity.schema)
    out: dict[str, set[str]] = {}
    for name in entity.names:
        keys = _token_keys(name_tokens(name.value, organisation))
        if len(keys) > 0:
            out.setdefault(name.value, set()).update(keys)
    ids: set[str] = set()
    for ident in entity.identifiers:
        ids |= _id_keys(ident.value)
        digits = "".join(c for c in identifier_key(ident.value) if c.isdigit())
        if ident.scheme.value == "ticker" and len(digits) >= MIN_ID_KEY:
            ids.add(f"i:{digits}")
    if len(ids) > 0:
        out[""] = ids
    return out
