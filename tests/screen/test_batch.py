"""Reading batch CSV files and making queries of their rows (synthetic files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.errors import InvalidQuery
from clearance.screen import BadRow, Row, read_csv_rows, row_query


def _rows(tmp_path: Path, text: str, encoding: str = "utf-8") -> list[tuple[int, Row]]:
    path = tmp_path / "queries.csv"
    path.write_bytes(text.encode(encoding))
    return list(read_csv_rows(path))


def test_unclosed_quote_is_one_bad_row_and_the_next_lines_are_read(
    tmp_path: Path,
) -> None:
    rows = _rows(tmp_path, 'qid,name\n1,"Acme\n2,Beta\n3,Gamma\n')
    assert rows == [
        (
            1,
            BadRow(
                "line 2: broken quoting (a quote opened here runs on: "
                "unexpected end of data)",
                "1",
            ),
        ),
        (2, {"qid": "2", "name": "Beta"}),
        (3, {"qid": "3", "name": "Gamma"}),
    ]


def test_quote_closed_lines_later_in_a_name_is_a_bad_row(tmp_path: Path) -> None:
    rows = _rows(tmp_path, 'qid,name\n1,"Acme\n2,Beta\n3,Gamma"\n')
    first = rows[0][1]
    assert isinstance(first, BadRow) and first.key == "1"
    assert (
        first.reason == "line 2: broken quoting (a quote opened here runs over 3 lines)"
    )
    assert rows[1] == (2, {"qid": "2", "name": "Beta"})


def test_a_line_break_in_another_column_is_kept(tmp_path: Path) -> None:
    rows = _rows(tmp_path, 'qid,name,notes\n1,Acme,"two\nlines"\n2,Beta,\n')
    assert rows == [
        (1, {"qid": "1", "name": "Acme", "notes": "two\nlines"}),
        (2, {"qid": "2", "name": "Beta", "notes": ""}),
    ]


def test_text_after_a_closing_quote_is_read_leniently(tmp_path: Path) -> None:
    rows = _rows(tmp_path, 'qid,name\n1,"Acme" Trading\n')
    assert rows == [(1, {"qid": "1", "name": "Acme Trading"})]


def test_more_fields_than_columns_is_a_bad_row(tmp_path: Path) -> None:
    (row,) = _rows(tmp_path, "qid,name\n7,Acme, Inc.\n")
    assert row == (
        1,
        BadRow("line 2: 3 fields but 2 columns (quote values that contain a ',')", "7"),
    )


def test_trailing_empty_fields_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "qid,name\n1,Acme,,\n\n,,\n2,Beta\n")
    assert rows == [
        (1, {"qid": "1", "name": "Acme"}),
        (2, {"qid": "2", "name": "Beta"}),
    ]


def test_one_column_file_keeps_commas_in_names(tmp_path: Path) -> None:
    rows = _rows(tmp_path, 'Name\nAcme, Inc.\n"Beta ""B"" Ltd"\n')
    assert rows == [(1, {"name": "Acme, Inc."}), (2, {"name": 'Beta "B" Ltd'})]


def test_delimiter_is_the_one_that_splits_the_header(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "qid;name;country\n1;Acme, Inc.;China\n")
    assert rows == [(1, {"qid": "1", "name": "Acme, Inc.", "country": "China"})]


def test_utf16_file_from_excel_is_read(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "\ufeffqid\tname\n1\t中科曙光\n", encoding="utf-16-le")
    assert rows == [(1, {"qid": "1", "name": "中科曙光"})]


def test_missing_name_column_names_the_columns_found(tmp_path: Path) -> None:
    with pytest.raises(InvalidQuery, match=r"columns: 'qid', 'company'"):
        _rows(tmp_path, "qid,company\n1,Acme\n")


def test_every_kind_of_space_separates_words_and_invisibles_go() -> None:
    query, warning = row_query({"name": "Acme\u00a0Trading\u3000Co\t Ltd\u200b\x00"})
    assert query.name == "Acme Trading Co Ltd"
    assert warning is None


def test_country_names_become_codes_and_unknown_ones_are_reported() -> None:
    assert row_query({"name": "Acme", "country": "China"})[0].country == "cn"
    assert row_query({"name": "Acme", "country": "CN"})[0].country == "cn"
    query, warning = row_query({"name": "Acme", "country": "中国x"})
    assert query.country is None
    assert warning == "unknown country '中国x' ignored"
