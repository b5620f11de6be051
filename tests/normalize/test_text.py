"""Normalisation is total on any Unicode and idempotent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clearance.normalize import country_code, normalize_text


@given(st.text())
def test_normalize_is_total_and_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_punctuation_case_and_script_are_folded() -> None:
    assert normalize_text("HANGZHOU HIKVISION Co., Ltd.") == "hangzhou hikvision co ltd"
    assert normalize_text("Ромашка") == "romashka"


def test_country_names_as_lists_write_them() -> None:
    assert country_code("Korea, North") == "kp"
    assert country_code("Burma") == "mm"
    assert country_code("CN") == "cn"
    assert country_code("Atlantis") is None
