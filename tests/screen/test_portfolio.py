"""Portfolio checks on the real NS-CMIC entries of the OFAC non-SDN CSV of 19 Dec 2025:
ISIN and ticker exactly, issuer names through the matching engine (flagged), dates and
the status on a date; innocent holdings stay unlisted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from clearance.ingest import update_from_directory
from clearance.model import LegalEffect, Listing
from clearance.screen import (
    PORTFOLIO_COLUMNS,
    HoldingColumns,
    IndexScreener,
    Screener,
    check_holding,
    portfolio_columns,
    status_text,
)
from clearance.screen.batch import OutputRow
from clearance.store import Store

HIKVISION = "us_ofac_cons:30946"  # ISIN CNE100000PM8, ticker 002415 CN
DAWNING = "us_ofac_cons:33113"  # Sugon: ISIN CNE100001TW7, ticker 603019CN
SENSETIME = "us_ofac_cons:33114"  # no ISIN or ticker on the list
ON = date(2026, 1, 1)
COLUMNS = HoldingColumns().resolve(["Account", "ISIN", "Ticker", "Issuer", "status"])


@pytest.fixture(scope="module")
def screener(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IndexScreener]:
    home = tmp_path_factory.mktemp("cons")
    with Store.open(home) as store:
        update_from_directory(
            store, shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19"
        )
        yield IndexScreener(Screener(store.current(), home / "index").index)


def check(screener: IndexScreener, **values: str) -> OutputRow:
    record = {"Account": "A1", "ISIN": "", "Ticker": "", "Issuer": "", "status": "x"}
    record.update(values)
    return check_holding(screener, record, COLUMNS, row=1, on=ON)


def test_usual_holding_headers_are_found() -> None:
    assert HoldingColumns(isin="ISIN", ticker="Ticker", issuer="Issuer") == COLUMNS


@pytest.mark.realdata
def test_hikvision_isin_gives_its_ns_cmic_dates_and_status(
    screener: IndexScreener,
) -> None:
    out = check(screener, ISIN="cne 100000 pm8")
    assert out["matched_id"] == HIKVISION
    assert (out["listed"], out["match_basis"], out["name_match_only"]) == (
        True,
        "isin",
        False,
    )
    assert (out["listed_on"], out["effective_on"], out["divestment_deadline"]) == (
        "2021-06-03",
        "2021-08-02",
        "2022-06-03",
    )
    assert out["purchase_prohibited_on"] == "2021-08-02"
    assert out["legal_effect"] == "securities_ban"
    assert str(out["legal_effect_text"]).startswith("Securities ban (NS-CMIC)")
    assert out["programs"] == "CMIC-EO13959"
    assert out["status"] == (
        "purchase prohibited since 2021-08-02; divestment deadline 2022-06-03 "
        "passed: purchases and sales prohibited"
    )


@pytest.mark.realdata
def test_input_columns_are_kept_and_a_clashing_one_renamed(
    screener: IndexScreener,
) -> None:
    out = check(screener, ISIN="CNE100000PM8")
    assert list(out) == portfolio_columns(
        ["Account", "ISIN", "Ticker", "Issuer", "status"]
    )
    assert out["input_status"] == "x" and out["Account"] == "A1"
    assert list(out)[-len(PORTFOLIO_COLUMNS) :] == list(PORTFOLIO_COLUMNS)


@pytest.mark.realdata
@pytest.mark.parametrize("ticker", ["603019 CN", "603019CN", "603019-cn"])
def test_dawning_ticker_matches_exactly_however_spaced(
    screener: IndexScreener, ticker: str
) -> None:
    out = check(screener, Ticker=ticker)
    assert (out["matched_id"], out["match_basis"]) == (DAWNING, "ticker")
    assert out["effective_on"] == "2022-02-14"


@pytest.mark.realdata
def test_isin_and_issuer_name_both_count(screener: IndexScreener) -> None:
    out = check(screener, ISIN="CNE100001TW7", Issuer="Dawning Information Industry")
    assert (out["matched_id"], out["match_basis"]) == (DAWNING, "isin + issuer name")
    assert out["name_match_only"] is False


@pytest.mark.realdata
def test_sensetime_by_issuer_name_only_is_flagged(screener: IndexScreener) -> None:
    out = check(screener, Issuer="SenseTime Group")
    assert (out["matched_id"], out["match_basis"]) == (SENSETIME, "issuer name")
    assert out["name_match_only"] is True
    assert isinstance(out["name_score"], float) and out["name_score"] > 0.5
    assert str(out["status"]).startswith("purchase prohibited since 2022-02-08")


@pytest.mark.realdata
@pytest.mark.parametrize(
    "values",
    [
        {"ISIN": "US0378331005", "Ticker": "AAPL US", "Issuer": "Apple Inc."},
        {"ISIN": "US5949181045", "Issuer": "Microsoft Corporation"},
        {"Ticker": "002415"},  # Hikvision's code without its exchange: not exact
    ],
)
def test_innocent_holdings_are_not_listed(
    screener: IndexScreener, values: dict[str, str]
) -> None:
    out = check(screener, **values)
    assert (out["listed"], out["status"], out["matched_id"]) == (
        False,
        "not listed",
        None,
    )


@pytest.mark.realdata
def test_a_holding_with_nothing_to_check_is_an_error(screener: IndexScreener) -> None:
    out = check(screener)
    assert out["error"] == "no ISIN, ticker or issuer name"


NS_CMIC = Listing(  # synthetic: the shape of an NS-CMIC listing
    source="us_ofac_cons",
    authority="US Treasury, OFAC",
    legal_effect=LegalEffect.SECURITIES_BAN,
    listed_on=date(2021, 12, 16),
    effective_on=date(2022, 2, 14),
    divestment_on=date(2022, 12, 16),
)


@pytest.mark.parametrize(
    ("on", "status"),
    [
        (
            date(2022, 1, 10),
            "listed 2021-12-16; purchase prohibited from 2022-02-14; "
            "divestment deadline 2022-12-16",
        ),
        (
            date(2022, 2, 14),
            "purchase prohibited since 2022-02-14; divestment deadline 2022-12-16",
        ),
        (
            date(2022, 12, 17),
            "purchase prohibited since 2022-02-14; divestment deadline 2022-12-16 "
            "passed: purchases and sales prohibited",
        ),
    ],
)
def test_status_follows_the_date(on: date, status: str) -> None:
    assert status_text(NS_CMIC, on) == status


@pytest.mark.realdata
def test_an_ssi_issuer_counts_as_a_securities_listing(screener: IndexScreener) -> None:
    out = check(screener, Issuer="Gazprombank")
    assert (out["matched_id"], out["legal_effect"]) == (
        "us_ofac_cons:17016",
        "sectoral",
    )
    assert out["name_match_only"] is True
    assert out["status"] == (
        "listed: sectoral sanctions (SSI): new debt or new equity prohibited under "
        "the directive named in its programs"
    )
    assert out["purchase_prohibited_on"] is None
