"""Batch file readers and writers (synthetic files written inline): delimiter and
encoding sniffing with overrides, XLSX, Parquet and JSON lines input, bad rows reported
with their line, and output written incrementally."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from clearance.errors import InvalidQuery
from clearance.match import Hit, Query
from clearance.screen import (
    OUTPUT_COLUMNS,
    BadRow,
    Block,
    ColumnMap,
    Engine,
    RowEncoder,
    RowWriter,
    file_format,
    local_engine,
    open_table,
    output_columns,
    run_batch,
)
from clearance.screen import io as screen_io
from clearance.screen.batch import OutputRow, Record


def read(
    path: Path, mapping: ColumnMap | None = None, **options: str
) -> tuple[list[str], list[tuple[int, Record | BadRow]]]:
    with open_table(path, mapping or ColumnMap(), **options) as table:
        return table.columns, list(table.rows)


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolon_file_in_windows_1252_is_sniffed(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Kunde;Name;Land\n1;Müller GmbH;DE\n", "cp1252")
    with open_table(path, ColumnMap()) as table:
        assert (table.delimiter, table.encoding) == (";", "cp1252")
        assert list(table.rows) == [
            (1, {"Kunde": "1", "Name": "Müller GmbH", "Land": "DE"})
        ]


def test_delimiter_and_encoding_overrides_win(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "name|note\nAcme, Inc.|a;b\n", "latin-1")
    columns, rows = read(path, delimiter="|", encoding="latin-1")
    assert columns == ["name", "note"]
    assert rows == [(1, {"name": "Acme, Inc.", "note": "a;b"})]


def test_tab_separated_utf16_from_excel(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "\ufeffid\tname\n7\t中科曙光\n", "utf-16-le")
    assert read(path)[1] == [(1, {"id": "7", "name": "中科曙光"})]


def test_an_unknown_encoding_is_an_input_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "name\nAcme\n")
    with pytest.raises(InvalidQuery, match="unknown encoding 'klingon'"):
        read(path, encoding="klingon")


def test_unclosed_quote_is_one_bad_row_with_its_line_and_key(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name\n1,"Acme\n2,Beta\n3,Gamma\n')
    rows = read(path)[1]
    assert rows[0] == (
        1,
        BadRow(
            "line 2: broken quoting (a quote opened here runs on: "
            "unexpected end of data)",
            "1",
        ),
    )
    assert rows[1:] == [
        (2, {"id": "2", "name": "Beta"}),
        (3, {"id": "3", "name": "Gamma"}),
    ]


def test_quote_closed_lines_later_in_a_name_is_a_bad_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name\n1,"Acme\n2,Beta\n3,Gamma"\n4,Delta\n')
    rows = read(path)[1]
    assert rows[0] == (
        1,
        BadRow("line 2: broken quoting (a quote opened here runs over 3 lines)", "1"),
    )
    assert rows[1] == (2, {"id": "2", "name": "Beta"})
    assert rows[-1] == (4, {"id": "4", "name": "Delta"})


def test_line_break_in_another_column_and_blank_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name,notes\n1,Acme,"two\nlines"\n\n,,\n2,Beta,\n')
    assert read(path)[1] == [
        (1, {"id": "1", "name": "Acme", "notes": "two\nlines"}),
        (2, {"id": "2", "name": "Beta", "notes": ""}),
    ]


def test_more_fields_than_columns_and_sloppy_quotes(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name\n7,Acme, Inc.\n8,"Beta" Trading\n')
    assert read(path)[1] == [
        (
            1,
            BadRow(
                "line 2: 3 fields but 2 columns (quote values that contain a ',')", "7"
            ),
        ),
        (2, {"id": "8", "name": "Beta Trading"}),
    ]


def test_one_column_file_keeps_commas(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Name\nAcme, Inc.\n")
    assert read(path)[1] == [(1, {"Name": "Acme, Inc."})]


def test_empty_and_repeated_headers_get_names(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "name,,name\nA,b,c\n")
    assert read(path)[0] == ["name", "column_2", "name_2"]


def test_xlsx_first_sheet_with_dates_and_numbers(tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Customer ID", "Full Name", "Date of Birth"])
    sheet.append([1001, "Viktor Bout", datetime(1967, 1, 13)])
    sheet.append([None, None, None])
    sheet.append([1002.0, "Acme", None])
    path = tmp_path / "in.xlsx"
    book.save(path)
    with open_table(path, ColumnMap()) as table:
        assert table.mapping.birth_date == "Date of Birth"
        rows = list(table.rows)
    assert rows == [
        (
            1,
            {
                "Customer ID": 1001,
                "Full Name": "Viktor Bout",
                "Date of Birth": "1967-01-13",
            },
        ),
        (2, {"Customer ID": 1002.0, "Full Name": "Acme", "Date of Birth": None}),
    ]


def test_parquet_input_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1, 2], "name": ["Acme", None]}), path)
    with open_table(path, ColumnMap()) as table:
        assert table.total_rows == 2
        assert list(table.rows) == [
            (1, {"id": 1, "name": "Acme"}),
            (2, {"id": 2, "name": None}),
        ]
        assert table.done() == 1.0


def test_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"name": "Acme", "tags": ["a"]}\n[1]\n{"name": "Beta", "id": 3}\n')
    columns, rows = read(path)
    assert columns == ["name", "tags", "id"]
    assert rows == [
        (1, {"name": "Acme", "tags": '["a"]', "id": None}),
        (2, BadRow("line 2: not a JSON object (a list)")),
        (3, {"name": "Beta", "tags": None, "id": 3}),
    ]


def test_format_from_extension_or_override() -> None:
    assert file_format(Path("a.XLSX")) == "xlsx"
    assert file_format(Path("a.ndjson")) == "jsonl"
    assert file_format(Path("a.dat")) == "csv"
    assert file_format(Path("a.dat"), "parquet") == "parquet"
    with pytest.raises(InvalidQuery, match="--format"):
        file_format(Path("a.csv"), "xls")


def _row(n: int, **values: object) -> OutputRow:
    out: OutputRow = dict.fromkeys(OUTPUT_COLUMNS)
    out.update(row=n, key=str(n), match=False, hit_count=0, name=f"N{n}")
    out.update(values)  # type: ignore[arg-type]
    return out


def test_csv_writer_truncates_back_to_an_offset(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    columns = output_columns(["name"])
    writer = RowWriter(path, columns, "csv", None)
    writer.write([_row(1)])
    writer.flush()
    offset = writer.offset()
    writer.write([_row(2)])
    writer.close(False)
    resumed = RowWriter(path, columns, "csv", offset)
    resumed.write([_row(3, match=True, top_score=0.9)])
    resumed.close(True)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [(r["row"], r["match"], r["top_score"]) for r in rows] == [
        ("1", "false", ""),
        ("3", "true", "0.9"),
    ]


def test_parquet_output_is_assembled_from_its_parts(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    columns = output_columns(["name"])
    writer = RowWriter(path, columns, "parquet", None)
    writer.write([_row(1)])
    writer.write([_row(2, top_score=0.5)])
    writer.close(True)
    table = pq.read_table(path)
    assert table.column("row").to_pylist() == [1, 2]
    assert table.schema.field("match").type == pa.bool_()
    assert table.column("top_score").to_pylist() == [None, 0.5]
    assert not path.with_name("out.parquet.parts").exists()


def test_jsonl_writer_writes_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    writer = RowWriter(path, output_columns(["name"]), "jsonl", None)
    writer.write([_row(1, hits_json="[]", error="name: empty")])
    writer.close(True)
    assert json.loads(path.read_text()) == {
        "qid": "1",
        "hits": [],
        "row": 1,
        "error": "name: empty",
    }


def test_parquet_output_resumes_from_its_flushed_parts(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    columns = output_columns(["name"])
    writer = RowWriter(path, columns, "parquet", None)
    writer.write([_row(1)])
    writer.flush()
    offset = writer.offset()
    writer.write([_row(2)])
    writer.flush()  # a part the checkpoint never recorded: dropped on resume
    resumed = RowWriter(path, columns, "parquet", offset)
    resumed.write([_row(3)])
    resumed.close(True)
    assert pq.read_table(path).column("row").to_pylist() == [1, 3]


def test_csv_encoder_writes_what_the_csv_module_writes(tmp_path: Path) -> None:
    columns = output_columns(["name", "note"])
    tricky = ["a,b", 'say "hi"', "two\nlines", " padded ", "", "é 海", '[{"a": "b"}]']
    rows = [
        _row(i, note=value, top_score=0.25 * i, match=i % 2 == 0)
        for i, value in enumerate(tricky, start=1)
    ]
    rows.append({"row": 9, "key": "9", "match": False, "error": "bad"})  # no inputs
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    for row in rows:
        values = [row.get(c) for c in columns]
        writer.writerow(
            [("true" if v else "false") if isinstance(v, bool) else v for v in values]
        )
    encoded = RowEncoder(columns, "csv").encode(rows)
    assert encoded.decode("utf-8") == expected.getvalue()


def test_csv_encoder_quotes_a_carriage_return(tmp_path: Path) -> None:
    columns = output_columns(["name"])
    path = tmp_path / "out.csv"
    path.write_bytes(RowEncoder(columns, "csv").encode([_row(1, name="a\rb")]))
    with path.open(newline="", encoding="utf-8") as handle:
        [row] = list(csv.reader(handle))
    assert row[0] == "a\rb"  # csv.writer would leave it bare: a line break to a reader


class _NoHits:
    def screen(
        self, query: Query, *, threshold: float | None = None, limit: int = 10
    ) -> list[Hit]:
        return []


def _die_after(chunks: int) -> Engine:
    local = local_engine(_NoHits(), 1)

    def engine(*args: Any) -> Iterator[list[OutputRow] | Block]:
        for number, rows in enumerate(local(*args)):
            if number == chunks:
                raise KeyboardInterrupt  # as a kill would, after some checkpoints
            yield rows

    return engine


def test_resumed_parquet_output_is_the_uninterrupted_file_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts end at checkpoints, which fall elsewhere in a resumed run: the file is
    cut into row groups of PART_ROWS rows all the same (synthetic rows, no hits)."""
    monkeypatch.setattr(screen_io, "PART_ROWS", 100)
    source = tmp_path / "in.csv"
    source.write_text(
        "id,name\n" + "".join(f"{i},Name {i}\n" for i in range(1, 1001)),
        encoding="utf-8",
    )
    whole = tmp_path / "whole.parquet"
    run_batch(_NoHits(), source, whole, chunk_rows=70, checkpoint_seconds=3600)
    cut = tmp_path / "cut.parquet"
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            None,
            source,
            cut,
            engine=_die_after(5),
            chunk_rows=70,
            checkpoint_seconds=0,  # a part after each chunk of 70 rows
        )
    assert len(list((tmp_path / "cut.parquet.parts").glob("part-*.parquet"))) == 5
    summary = run_batch(
        _NoHits(), source, cut, resume=True, chunk_rows=30, checkpoint_seconds=0
    )
    assert summary.resumed_at_row == 350
    assert cut.read_bytes() == whole.read_bytes()
    metadata = pq.ParquetFile(cut).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
        100
    ] * 10
    assert pq.read_table(cut).column("row").to_pylist() == list(range(1, 1001))
