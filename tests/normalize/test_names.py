"""Name keys: dotted legal forms, and words found two edits away."""

from __future__ import annotations

import pytest

from clearance.normalize import name_tokens, query_name_tokens, word_similarity


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("AMANA PLUS S.A.L.", ("amana", "plus")),
        ("M/S. AL ZAROONI EXCHANGE", ("zarooni", "exchange")),
        ("L.L.C. Vega", ("vega",)),
        ("J.P. Morgan S.A.", ("j", "p", "morgan")),
        # letters that are not wholly legal forms stay: "AB" is a legal form, "ABC" no
        ("A B C Trading", ("a", "b", "c", "trading")),
        ("S A B Holding", ("s", "a", "b", "holding")),
    ],
)
def test_dotted_legal_forms_are_dropped_from_firms(
    name: str, tokens: tuple[str, ...]
) -> None:
    assert name_tokens(name, True) == tokens
    assert query_name_tokens(name, True, lambda _: False) == tokens


def test_persons_keep_their_initials() -> None:
    assert name_tokens("S.A. Khan", False) == ("s", "a", "khan")


def test_two_edits_in_longer_words_and_one_missing_letter_in_short_ones() -> None:
    assert word_similarity("griinneko", "grinenko") == pytest.approx(1 - 2 / 9)
    assert word_similarity("bnk", "bank") == pytest.approx(0.75)
    assert word_similarity("gnj", "ganj") == pytest.approx(0.75)
    assert word_similarity("bnk", "bunk") == pytest.approx(0.75)
    assert word_similarity("bnk", "nbk") == 0.0
