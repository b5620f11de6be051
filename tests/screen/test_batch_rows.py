"""The engine-neutral row API (``screen_record``): one input record in, one flat output
row out, over a small real store (the OFAC non-SDN CSV of 19 Dec 2025)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.errors import InvalidQuery
from clearance.ingest import update_from_directory
from clearance.match import Query
from clearance.screen import (
    OUTPUT_COLUMNS,
    BadRow,
    ColumnMap,
    IndexScreener,
    Row,
    Screener,
    contract_json,
    hit_json,
    hits_text,
    output_columns,
    result_json,
    screen_record,
    screen_records,
    screen_rows,
)
from clearance.store import Store

HIKVISION = "us_ofac_cons:30946"  # HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.


@pytest.fixture(scope="module")
def cons_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cons")
    with Store.open(home) as store:
        folder = shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
        update_from_directory(store, folder)
    return home


@pytest.fixture(scope="module")
def screener(cons_home: Path) -> Iterator[Screener]:
    with Store.open(cons_home) as store:
        yield Screener(store.current(), cons_home / "index")


def test_usual_headers_are_found_whatever_their_case_and_spacing() -> None:
    mapping = ColumnMap().resolve(["Customer ID", "Full Name", "Country", "DOB"])
    assert mapping == ColumnMap(
        name="Full Name", country="Country", birth_date="DOB", id="Customer ID"
    )


def test_a_named_column_overrides_the_defaults() -> None:
    mapping = ColumnMap(name="Company").resolve(["name", "Company"])
    assert mapping.name == "Company"


def test_a_named_column_that_is_missing_is_an_input_error() -> None:
    with pytest.raises(InvalidQuery, match=r"--country-col: no column 'land'"):
        ColumnMap(country="land").resolve(["name"])


def test_no_name_nor_identifier_column_names_the_columns_found() -> None:
    with pytest.raises(InvalidQuery, match=r"columns: 'qid', 'company'"):
        ColumnMap().resolve(["qid", "company"])


def test_input_columns_clashing_with_output_columns_are_prefixed() -> None:
    assert output_columns(["name", "match", "error"]) == [
        "name",
        "input_match",
        "input_error",
        *OUTPUT_COLUMNS,
    ]


@pytest.mark.realdata
def test_a_listed_name_gives_a_flat_row_with_the_best_hit_and_input_kept(
    screener: Screener,
) -> None:
    record = {"Ref": "C-7", "Name": "Hikvision", "Segment": 3, "match": "x"}
    mapping = ColumnMap(id="Ref").resolve(list(record))
    out = screen_record(screener, record, mapping, row=5)
    assert list(out) == output_columns(list(record))
    assert out["Ref"] == "C-7" and out["Segment"] == "3" and out["input_match"] == "x"
    assert (out["row"], out["key"], out["match"], out["error"]) == (
        5,
        "C-7",
        True,
        None,
    )
    assert out["top_id"] == HIKVISION
    assert out["top_lists"] == "us_ofac_cons"
    assert out["top_legal_effects"] == "securities_ban"
    assert out["alert_legal_effects"] == "securities_ban"
    assert "CMIC-EO13959" in str(out["top_programs"])
    assert "Hikvision" in str(out["top_evidence"])
    assert isinstance(out["top_score"], float) and out["top_score"] >= 0.5
    assert str(out["hit_ids"]).split(" | ")[0] == HIKVISION
    assert json.loads(str(out["hits_json"]))[0]["id"] == HIKVISION
    for value in out.values():
        assert value is None or isinstance(value, str | int | float)


@pytest.mark.realdata
def test_an_empty_name_is_an_error_row_and_a_bad_row_keeps_its_key(
    screener: Screener,
) -> None:
    mapping = ColumnMap().resolve(["id", "name"])
    empty = screen_record(screener, {"id": "a", "name": " "}, mapping, row=1)
    assert empty["error"] == "name: empty name and no identifier"
    assert (empty["match"], empty["hit_count"], empty["top_id"]) == (False, 0, None)
    bad = screen_record(screener, BadRow("line 3: broken quoting", "b"), mapping, row=2)
    assert (bad["key"], bad["error"]) == ("b", "line 3: broken quoting")


@pytest.mark.realdata
def test_json_line_of_an_output_row_is_the_batch_contract(
    screener: Screener,
) -> None:
    rows: list[tuple[int, Row]] = [
        (1, {"qid": "q1", "name": "Hikvision", "country": "Atlantis"}),
        (2, {"qid": "q2", "name": ""}),
        (3, {"qid": "q3", "name": "Zzyzx Qwerty"}),
    ]
    mapping = ColumnMap().resolve(["qid", "name", "country"])
    lines = [contract_json(o) for o in screen_records(screener, rows, mapping)]
    legacy = [result_json(r) for r in screen_rows(screener, rows)]
    assert [json.loads(line) for line in lines] == legacy
    assert legacy[0]["warning"] == "unknown country 'Atlantis' ignored"


@pytest.mark.realdata
def test_index_screener_from_the_saved_file_gives_the_same_rows(
    screener: Screener, cons_home: Path
) -> None:
    (saved,) = (cons_home / "index").glob("index-*.pickle")
    alone = IndexScreener.load(saved)
    mapping = ColumnMap().resolve(["name"])
    for name in ("Hikvision", "Huawei Technologies", "Sugon"):
        record = {"name": name}
        assert screen_record(alone, record, mapping, row=1) == screen_record(
            screener, record, mapping, row=1
        )


@pytest.mark.realdata
def test_hits_text_is_the_json_of_the_hits_byte_for_byte(
    screener: Screener,
) -> None:
    """The batch writes the hits with ``hits_text``, not ``json.dumps``: the same text
    for listed names (every 9th entity's), misspellings, non-Latin and empty results."""
    names = [e.caption for e in screener.index.entities[::9]]
    names += [
        "Hikvison Digitl",
        "华为技术有限公司",
        'Acme "Quoted" \\ Ltd',
        "Zzyzx Qwerty",
    ]
    seen_evidence = 0
    for name in names:
        hits = screener.screen(Query(name=name))
        expected = json.dumps([hit_json(h) for h in hits], ensure_ascii=False)
        assert hits_text(hits) == expected, name
        seen_evidence += sum(len(h.evidence) for h in hits)
    assert seen_evidence > 100  # not vacuous: many hits with their evidence
    assert hits_text([]) == "[]"
