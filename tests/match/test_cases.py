"""The matching case table (``cases.yml``) over real lists: one test per row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearance.ingest import update_from_directory
from clearance.match import Hit, Query
from clearance.model import Schema, parse_partial_date
from clearance.screen import Screener
from clearance.store import Store

pytestmark = pytest.mark.realdata

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "cases.yml").read_text(encoding="utf-8")
)
SNAPSHOTS = (
    ("us_trade_csl", "2022-05_full"),
    ("us_ofac_consolidated", "csv", "2025-12-19"),
    ("us_ofac_sdn", "csv", "2021-07-07"),
    ("un_sc", "2026-02-27"),
)
LIMIT = 25  # enough for every expected entity to be shown even when many alert


@pytest.fixture(scope="module")
def screener(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Screener]:
    home = tmp_path_factory.mktemp("cases")
    with Store.open(home) as store:
        for parts in SNAPSHOTS:
            outcomes, _ = update_from_directory(store, shared_data.joinpath(*parts))
            assert [o.status for o in outcomes] == ["added"]
        yield Screener(store.current(), home / "index")


def _query(row: dict[str, Any]) -> Query:
    schema = row.get("schema")
    birth = row.get("birth_date")
    return Query(
        name=str(row["name"]),
        schema=None if schema is None else Schema(schema),
        country=row.get("country"),
        birth_date=None if birth is None else parse_partial_date(str(birth)),
        identifier=row.get("identifier"),
    )


def _params() -> list[Any]:
    params = []
    for number, case in enumerate(CASES, start=1):
        marks = []
        if "xfail" in case:
            marks.append(pytest.mark.xfail(reason=case["xfail"], strict=True))
        name = case["query"]["name"]
        params.append(pytest.param(case, id=f"{number:02d}-{name}", marks=marks))
    return params


def _shown(hits: list[Hit]) -> str:
    return "; ".join(
        f"{h.entity.id} {h.entity.caption!r} {h.score:.3f}{' MATCH' if h.match else ''}"
        for h in hits[:8]
    )


def test_every_row_has_a_query_an_expectation_and_a_reason() -> None:
    for case in CASES:
        assert set(case) <= {"query", "expected", "why", "xfail"}, case
        assert set(case["query"]) <= {
            "name",
            "schema",
            "country",
            "birth_date",
            "identifier",
        }
        assert isinstance(case["query"]["name"], str), case
        assert case["expected"] == "none" or len(case["expected"]) > 0, case
        assert isinstance(case["why"], str), case


def test_every_expected_entity_is_on_the_lists(screener: Screener) -> None:
    index = screener.index
    captions = {e.caption for e in index.entities}
    for case in CASES:
        if case["expected"] != "none":
            for item in case["expected"]:
                assert item in index.entity_pos or item in captions, item


@pytest.mark.parametrize("case", _params())
def test_case(screener: Screener, case: dict[str, Any]) -> None:
    hits = screener.screen(_query(case["query"]), limit=LIMIT)
    alerted = [h for h in hits if h.match]
    if case["expected"] == "none":
        assert alerted == [], f"{case['why']}; alerted: {_shown(alerted)}"
        return
    found = {h.entity.id for h in alerted} | {h.entity.caption for h in alerted}
    missing = [item for item in case["expected"] if item not in found]
    assert missing == [], f"{case['why']}; missing {missing}; hits: {_shown(hits)}"
