"""Partial dates stay as precise as the list wrote them."""

from __future__ import annotations

from datetime import date

import pytest

from clearance.model import PartialDate, parse_full_date, parse_partial_date


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("03 May 1938", "1938-05-03"),
        ("1966", "1966"),
        ("Jan 1966", "1966-01"),
        ("circa 1966", "c. 1966"),
        ("1962 to 1964", "1962/1964"),
        ("1966-07-04", "1966-07-04"),
        ("04/07/1966", "1966-07-04"),
    ],
)
def test_official_date_shapes_parse_at_their_precision(text: str, iso: str) -> None:
    parsed = parse_partial_date(text)
    assert parsed is not None and str(parsed) == iso


def test_month_first_when_asked() -> None:
    assert parse_partial_date("10/16/2017", day_first=False) == PartialDate(
        2017, 10, 16
    )


@pytest.mark.parametrize(
    "text", ["", "unknown", "31 Feb 1970", "1964 to 1962", "Smarch 1970"]
)
def test_non_dates_give_none(text: str) -> None:
    assert parse_partial_date(text) is None


def test_a_year_is_not_turned_into_the_first_of_january() -> None:
    parsed = parse_partial_date("1966")
    assert parsed == PartialDate(1966) and parsed.month is None and parsed.day is None


def test_round_trip_through_text() -> None:
    for value in (
        PartialDate(1966),
        PartialDate(1966, 7),
        PartialDate(1966, 7, 4),
        PartialDate(1962, until_year=1964),
        PartialDate(1950, circa=True),
    ):
        assert PartialDate.from_iso(str(value)) == value


def test_full_date_needs_a_day() -> None:
    assert parse_full_date("03 Jun 2021") == date(2021, 6, 3)
    assert parse_full_date("Jun 2021") is None
