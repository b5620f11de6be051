"""Batch files: streaming readers (CSV, XLSX, Parquet, JSON lines) that yield numbered
records, and incremental writers (CSV, JSON lines, Parquet) that report how many bytes
are safely written, so an interrupted run can resume.

A reader never holds the file in memory: it yields ``(row number, record)`` pairs, rows
numbered from 1 over the non-blank data rows; a row it cannot read is a ``BadRow`` and
reading goes on. Every reader gives its columns before its first row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Generic, Protocol, Self, TypeVar

from clearance.errors import InvalidQuery
from clearance.screen.batch import (
    BadRow,
    ColumnMap,
    OutputRow,
    OutputValue,
    Record,
    Row,
    contract_json,
    input_value,
)

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
OUTPUT_FORMATS = ("csv", "jsonl", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DELIMITERS = ",;\t|"
WHOLE_LINE = "\x1f"  # a one-column file: the whole line is the value, commas and all
_SNIFF_BYTES = 1 << 16
_PARQUET_BATCH = 10_000
PART_ROWS = 10_000  # Parquet output: rows per row group (~50 MB of screened rows)
_JSON_PEEK = 1000  # JSON lines: columns are the keys met in the first lines


def file_format(path: Path, override: str | None = None) -> str:
    """The format of a batch file: ``override`` if given, else from its extension
    (CSV for an unknown one).

    Raises:
        InvalidQuery: an unknown ``override``.
    """
    if override is not None:
        if override.lower() not in FORMATS:
            raise InvalidQuery("--format", f"{override!r}: use one of {FORMATS}")
        return override.lower()
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) > 1 and suffixes[-1] == ".gz":
        suffixes.pop()
    return _EXTENSIONS.get(suffixes[-1] if suffixes else "", "csv")


def output_format(path: Path) -> str:
    """The output format from the extension: .csv, .jsonl (or .json) or .parquet."""
    found = _EXTENSIONS.get(path.suffix.lower())
    if found not in OUTPUT_FORMATS:
        raise InvalidQuery(
            "--output", f"{path.name}: name it .csv, .jsonl or .parquet (the format)"
        )
    assert found is not None
    return found


class Roles(Protocol):
    """Which columns play which part: a ``ColumnMap`` (screening) or the holdings'
    columns of a portfolio."""

    def resolve(self, columns: Sequence[str]) -> Self: ...

    def text_columns(self) -> list[str]:
        """The resolved columns in which a line break means a quote left open."""
        ...

    def key_column(self) -> str | None: ...


M = TypeVar("M", bound=Roles)


@dataclass(slots=True)
class Table(Generic[M]):
    """An open input file: its columns, the resolved column mapping, and its rows
    (``(row number, record or BadRow)``), read lazily."""

    columns: list[str]
    mapping: M
    rows: Iterator[tuple[int, Record | BadRow]]
    done: Callable[[], float]  # the share of the file read so far, 0..1
    total_rows: int | None = None  # when the format says it up front
    encoding: str | None = None
    delimiter: str | None = None


def _unique(names: Sequence[str]) -> list[str]:
    """Column names made usable: an empty header is ``column_N``, a repeated one gets
    ``_2``, ``_3``..."""
    out: list[str] = []
    for i, raw in enumerate(names):
        name = " ".join(raw.split()) or f"column_{i + 1}"
        base, n = name, 1
        while name in out:
            n += 1
            name = f"{base}_{n}"
        out.append(name)
    return out


# --- CSV -------------------------------------------------------------------------------


def sniff_encoding(head: bytes) -> str:
    """UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 (with or without BOM) when the
    first 64 KiB decode as such, else Windows-1252."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _lenient(line: str, delimiter: str) -> list[str] | None:
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return None


def sniff_delimiter(header: str, mapping: Roles) -> str:
    """The delimiter (comma, semicolon, tab or bar) that splits the header into columns
    the mapping can use; else the one giving most columns; one column: the whole line."""

    def columns(delimiter: str) -> list[str]:
        return [c.strip() for c in _lenient(header, delimiter) or []]

    for delimiter in DELIMITERS:
        found = columns(delimiter)
        if len(found) > 1:
            try:
                mapping.resolve(_unique(found))
            except InvalidQuery:
                continue
            return delimiter
    widest = max(DELIMITERS, key=lambda d: len(columns(d)))
    return widest if len(columns(widest)) > 1 else WHOLE_LINE


class _Lines:
    """Lines with push-back: after a broken record, reading restarts on the line after
    the one it began on. ``taken`` holds the current record's (line number, text)."""

    def __init__(self, stream: Iterator[str], first_line: int) -> None:
        self.stream = stream
        self.next_no = first_line
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if len(self.pending) > 0:
            item = self.pending.popleft()
        else:
            item = (self.next_no, next(self.stream))
            self.next_no += 1
        self.taken.append(item)
        return item[1]

    def restart_after_first(self) -> None:
        self.pending.extendleft(reversed(self.taken[1:]))
        self.taken = []


def _csv_record(
    columns: list[str], record: list[str], line: int, delimiter: str
) -> Record | BadRow:
    extra = [v for v in record[len(columns) :] if len(v.strip()) > 0]
    if len(extra) > 0:
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        return BadRow(
            f"line {line}: {len(record)} fields but {len(columns)} columns "
            f"(quote values that contain a {shown})",
        )
    return {c: record[i] if i < len(record) else None for i, c in enumerate(columns)}


def _with_key(
    row: BadRow, columns: list[str], record: list[str], key: str | None
) -> BadRow:
    if key is not None and key in columns and columns.index(key) < len(record):
        value = " ".join(record[columns.index(key)].split())
        return BadRow(row.reason, value or None)
    return row


def _csv_rows(
    text: IO[str],
    columns: list[str],
    first_line: int,
    delimiter: str,
    mapping: Roles,
) -> Iterator[tuple[int, Record | BadRow]]:
    """The records after the header. A quote left open would swallow the lines after
    it: a row whose query columns span lines, or that fails to parse over several
    lines, is a ``BadRow``, and reading restarts on the next line."""
    lines = _Lines(iter(text), first_line)
    query_columns = mapping.text_columns()
    key = mapping.key_column()
    number = 0
    while True:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        restart = False
        try:
            for record in reader:
                taken, lines.taken = lines.taken, []
                start = taken[0][0]
                if not any(len(v.strip()) > 0 for v in record):
                    continue  # a blank line, or a row of empty cells
                number += 1
                row = _csv_record(columns, record, start, delimiter)
                if isinstance(row, BadRow):
                    row = _with_key(row, columns, record, key)
                elif len(taken) > 1:
                    values = [str(row.get(c) or "") for c in query_columns if c]
                    if any("\n" in v or "\r" in v for v in values):
                        row = _with_key(
                            BadRow(
                                f"line {start}: broken quoting (a quote opened here "
                                f"runs over {len(taken)} lines)"
                            ),
                            columns,
                            record,
                            key,
                        )
                        lines.taken = taken
                        restart = True
                yield number, row
                if restart:
                    lines.restart_after_first()
                    break
        except csv.Error as exc:
            number += 1
            taken = lines.taken
            start, first = taken[0] if len(taken) > 0 else (lines.next_no, "")
            record_or_none = _lenient(first, delimiter) if len(taken) <= 1 else None
            if record_or_none is None:
                why = (
                    f"{exc}"
                    if len(taken) <= 1
                    else f"a quote opened here runs on: {exc}"
                )
                bad = BadRow(f"line {start}: broken quoting ({why})")
                yield (
                    number,
                    _with_key(bad, columns, _lenient(first, delimiter) or [], key),
                )
            else:  # one sloppy line, e.g. a space after a closing quote: read leniently
                row = _csv_record(columns, record_or_none, start, delimiter)
                if isinstance(row, BadRow):
                    row = _with_key(row, columns, record_or_none, key)
                yield number, row
            lines.restart_after_first()
            restart = True
        if not restart:
            return


@contextmanager
def _open_csv(
    path: Path, mapping: M, delimiter: str | None, encoding: str | None
) -> Iterator[Table[M]]:
    with path.open("rb") as raw:
        enc = encoding or sniff_encoding(raw.read(_SNIFF_BYTES))
        raw.seek(0)
        try:
            codecs.lookup(enc)
        except LookupError:
            raise InvalidQuery("--encoding", f"unknown encoding {enc!r}") from None
        text = io.TextIOWrapper(raw, encoding=enc, errors="replace", newline="")
        header, line_no = "", 0
        for line in text:
            line_no += 1
            if len(line.strip()) > 0:
                header = line
                break
        header = header.lstrip("\ufeff")
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
            if len(delimiter) != 1:
                raise InvalidQuery("--delimiter", f"{delimiter!r}: one character")
        found = delimiter or sniff_delimiter(header, mapping)
        columns = _unique([c.strip() for c in _lenient(header, found) or []])
        resolved = mapping.resolve(columns)
        size = max(path.stat().st_size, 1)
        yield Table(
            columns=columns,
            mapping=resolved,
            rows=_csv_rows(text, columns, line_no + 1, found, resolved),
            done=lambda: min(raw.tell() / size, 1.0),
            encoding=enc,
            delimiter=found,
        )


def read_csv_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """Rows of a CSV file as dicts keyed by lower-case column names, numbered from 1;
    a row that cannot be read is a ``BadRow`` (see ``open_table``).

    Raises:
        InvalidQuery: the file has no ``name`` (or ``identifier``) column.
    """
    with open_table(path, ColumnMap(), format="csv") as table:
        lower = [c.lower() for c in table.columns]
        for number, record in table.rows:
            if isinstance(record, BadRow):
                yield number, record
            else:
                values = [input_value(record[c]) for c in table.columns]
                yield number, dict(zip(lower, values, strict=True))


# --- XLSX, Parquet, JSON lines ---------------------------------------------------------


def _cell(value: object) -> object:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@contextmanager
def _open_xlsx(path: Path, mapping: M) -> Iterator[Table[M]]:
    from openpyxl import load_workbook  # only for .xlsx input

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 -- openpyxl raises many kinds on a bad file
        raise InvalidQuery(str(path), f"not a readable .xlsx file ({exc})") from None
    try:
        sheet = book.worksheets[0]
        total = max((sheet.max_row or 1) - 1, 1)
        cells = sheet.iter_rows(values_only=True)
        columns: list[str] = []
        for values in cells:
            if any(v is not None and str(v).strip() for v in values):
                columns = _unique(
                    [str(v).strip() if v is not None else "" for v in values]
                )
                break
        resolved = mapping.resolve(columns)
        seen = [0]

        def rows() -> Iterator[tuple[int, Record | BadRow]]:
            number = 0
            for values in cells:
                seen[0] += 1
                if not any(v is not None and str(v).strip() for v in values):
                    continue
                number += 1
                yield (
                    number,
                    {c: _cell(v) for c, v in zip(columns, values, strict=False)},
                )

        yield Table(columns, resolved, rows(), lambda: min(seen[0] / total, 1.0))
    finally:
        book.close()


@contextmanager
def _open_parquet(path: Path, mapping: M) -> Iterator[Table[M]]:
    import pyarrow.parquet as pq  # only for .parquet files

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 -- pyarrow raises several kinds on a bad file
        raise InvalidQuery(str(path), f"not a readable Parquet file ({exc})") from None
    columns = list(parquet.schema_arrow.names)
    resolved = mapping.resolve(columns)
    total = max(parquet.metadata.num_rows, 1)
    seen = [0]

    def rows() -> Iterator[tuple[int, Record | BadRow]]:
        number = 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH):
            for record in batch.to_pylist():
                seen[0] += 1
                number += 1
                yield number, {c: _cell(v) for c, v in record.items()}

    try:
        yield Table(
            columns,
            resolved,
            rows(),
            lambda: min(seen[0] / total, 1.0),
            total_rows=parquet.metadata.num_rows,
        )
    finally:
        parquet.close()


@contextmanager
def _open_jsonl(path: Path, mapping: M, encoding: str | None) -> Iterator[Table[M]]:
    with path.open("rb") as raw:
        enc = encoding or sniff_encoding(raw.read(_SNIFF_BYTES))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=enc, errors="replace")
        head: list[str] = []
        for line in text:
            head.append(line)
            if len(head) >= _JSON_PEEK:
                break
        keys: dict[str, None] = {}
        for line in head:
            value = _json_object(line)
            if isinstance(value, dict):
                keys.update(dict.fromkeys(str(k) for k in value))
        columns = list(keys)
        resolved = mapping.resolve(columns)
        size = max(path.stat().st_size, 1)

        def rows() -> Iterator[tuple[int, Record | BadRow]]:
            number = 0
            for line_no, line in enumerate(_chain(head, text), start=1):
                if len(line.strip()) == 0:
                    continue
                number += 1
                value = _json_object(line)
                if isinstance(value, str):
                    yield number, BadRow(f"line {line_no}: {value}")
                    continue
                yield number, {c: _json_cell(value.get(c)) for c in columns}

        yield Table(
            columns, resolved, rows(), lambda: min(raw.tell() / size, 1.0), encoding=enc
        )


def _chain(head: list[str], rest: IO[str]) -> Iterator[str]:
    yield from head
    yield from rest


def _json_object(line: str) -> dict[str, Any] | str:
    """The object on a line, or why it is not one."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        return f"not JSON ({exc})"
    if not isinstance(value, dict):
        return f"not a JSON object (a {type(value).__name__})"
    return value


def _json_cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


@contextmanager
def open_table(
    path: Path,
    mapping: M,
    *,
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Iterator[Table[M]]:
    """Open a batch input file for streaming.

    Args:
        mapping: which column is which (unresolved, e.g. ``ColumnMap()`` for the
            usual headers).
        format: csv, xlsx, parquet or jsonl; by default from the extension.
        delimiter: CSV only; by default the one that splits the header into columns.
        encoding: CSV and JSON lines; by default UTF-16 (BOM), UTF-8 or Windows-1252.

    Raises:
        InvalidQuery: the file is missing or unreadable, or has no usable columns.
    """
    if not path.is_file():
        raise InvalidQuery("INPUT", f"no such file: {path}")
    kind = file_format(path, format)
    wanted = mapping
    if kind == "xlsx":
        opened = _open_xlsx(path, wanted)
    elif kind == "parquet":
        opened = _open_parquet(path, wanted)
    elif kind == "jsonl":
        opened = _open_jsonl(path, wanted, encoding)
    else:
        opened = _open_csv(path, wanted, delimiter, encoding)
    with opened as table:
        yield table


# --- writers ---------------------------------------------------------------------------


class RowEncoder:
    """Output rows as the bytes of a CSV or JSON lines output. Picklable: a batch's
    worker processes encode the rows they screen, and the writing process only writes
    bytes."""

    def __init__(
        self, columns: Sequence[str], kind: str, *, contract: bool = True
    ) -> None:
        """Args:
        contract: JSON lines in the ``clearance batch`` contract (else flat rows).
        """
        self.columns, self.kind, self.contract = list(columns), kind, contract

    def _values(self, row: OutputRow) -> list[OutputValue]:
        if list(row) == self.columns:  # the usual case: every column, in order
            return list(row.values())
        return [row.get(c) for c in self.columns]  # e.g. a bad row: no input columns

    def encode(self, rows: Sequence[OutputRow]) -> bytes:
        if self.kind == "jsonl":
            if self.contract:
                text = "".join(contract_json(r) + "\n" for r in rows)
            else:
                text = "".join(
                    json.dumps({c: r.get(c) for c in self.columns}, ensure_ascii=False)
                    + "\n"
                    for r in rows
                )
            return text.encode("utf-8")
        if self.kind != "csv":
            raise ValueError(f"no encoding for {self.kind} output")
        lines = [",".join([_csv_field(v) for v in self._values(r)]) for r in rows]
        return ("\n".join(lines) + "\n").encode("utf-8") if len(lines) > 0 else b""


_NEEDS_QUOTES = re.compile(r'[,"\r\n]').search


def _csv_field(value: OutputValue) -> str:
    """A CSV field as ``csv.writer`` writes it (minimal quoting, None empty; booleans
    ``true``/``false``), twice as fast on the long JSON values of a batch output; and a
    carriage return is quoted too (``csv`` leaves it bare when lines end in a line
    feed, and a reader then sees a line break)."""
    if isinstance(value, str):
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    else:
        text = str(value)
    if _NEEDS_QUOTES(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


class RowWriter:
    """Writes output rows incrementally; ``offset()`` is the byte size of what is
    written so far (after ``flush``), the point a resumed run truncates back to."""

    def __init__(
        self,
        path: Path,
        columns: list[str],
        kind: str,
        offset: int | None,
        *,
        types: Mapping[str, str] | None = None,
        contract: bool = True,
    ) -> None:
        """Args:
        types: Arrow types of the non-text columns ("int", "float", "bool"), for
            Parquet; by default those of ``OUTPUT_COLUMNS``.
        contract: JSON lines in the ``clearance batch`` contract (else flat rows).
        """
        self.path, self.columns, self.kind = path, columns, kind
        self.types = OUTPUT_TYPES if types is None else types
        self.encoder = (
            None if kind == "parquet" else RowEncoder(columns, kind, contract=contract)
        )
        self._pending: list[OutputRow] = []  # Parquet rows not yet in a part
        if kind == "parquet":
            self._parts = path.with_name(path.name + ".parts")
            self._parts.mkdir(exist_ok=True)
            self._part = 0 if offset is None else offset
            for stale in self._parts.glob("part-*.parquet"):
                if int(stale.stem.split("-")[1]) >= self._part:
                    stale.unlink()
            return
        if offset is None:
            self._handle: IO[bytes] = path.open("wb")
            if kind == "csv":
                self._handle.write(self._csv_lines([columns]))
        else:
            self._handle = path.open("r+b")
            self._handle.truncate(offset)
            self._handle.seek(offset)

    def _csv_lines(self, rows: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode("utf-8")

    def write(self, rows: Sequence[OutputRow]) -> None:
        if self.encoder is None:
            self._pending.extend(rows)
            if len(self._pending) >= PART_ROWS:
                self._write_part()
        else:
            self._handle.write(self.encoder.encode(rows))

    def write_encoded(self, data: bytes) -> None:
        """Write rows already encoded by ``self.encoder`` (CSV and JSON lines)."""
        assert self.encoder is not None, "Parquet output takes rows"
        self._handle.write(data)

    def _write_part(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self._pending = self._pending, []
        if len(rows) == 0:
            return
        data = {c: [r.get(c) for r in rows] for c in self.columns}
        table = pa.table(data, schema=parquet_schema(self.columns, self.types))
        tmp = self._parts / f"part-{self._part:08d}.tmp"
        pq.write_table(table, tmp)
        tmp.replace(self._parts / f"part-{self._part:08d}.parquet")
        self._part += 1

    def flush(self) -> None:
        """Make what is written durable (a resumed run starts after it)."""
        if self.kind == "parquet":
            self._write_part()
        else:
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def offset(self) -> int:
        """Bytes written (CSV, JSON lines) or parts written (Parquet)."""
        return self._part if self.kind == "parquet" else self._handle.tell()

    def close(self, finished: bool) -> None:
        """Close; a finished Parquet output is assembled from its parts (bounded
        memory).

        The parts end wherever a checkpoint fell, so an interrupted and resumed run
        has other parts than an uninterrupted one. Their rows are therefore cut
        again into row groups of exactly ``PART_ROWS`` rows, each written from one
        contiguous table: the file's bytes then depend on the rows alone (and the
        pyarrow version, which Parquet's ``created_by`` names), and a resumed run
        writes the same file, byte for byte, as an uninterrupted one.
        """
        if self.kind != "parquet":
            self._handle.close()
            return
        if not finished:
            return
        self._write_part()
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = parquet_schema(self.columns, self.types)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with pq.ParquetWriter(tmp, schema) as writer:
            waiting: list[Any] = []  # tables of fewer than PART_ROWS rows in all
            count = 0
            for part in sorted(self._parts.glob("part-*.parquet")):
                table = pq.read_table(part, schema=schema)
                waiting.append(table)
                count += table.num_rows
                while count >= PART_ROWS:
                    rows = pa.concat_tables(waiting).combine_chunks()
                    group = rows.slice(0, PART_ROWS).combine_chunks()
                    writer.write_table(group, row_group_size=PART_ROWS)
                    waiting, count = [rows.slice(PART_ROWS)], count - PART_ROWS
            if count > 0:
                rows = pa.concat_tables(waiting).combine_chunks()
                writer.write_table(rows, row_group_size=PART_ROWS)
        tmp.replace(self.path)
        for part in self._parts.glob("part-*.parquet"):
            part.unlink()
        self._parts.rmdir()


OUTPUT_TYPES = {"row": "int", "match": "bool", "hit_count": "int", "top_score": "float"}


def parquet_schema(columns: list[str], types: Mapping[str, str]) -> Any:
    """The Arrow schema of output columns: ``types`` names the non-text ones."""
    import pyarrow as pa

    arrow = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    return pa.schema([(c, arrow.get(types.get(c, ""), pa.string())) for c in columns])
