"""Strings in, comparison keys out. Index and query paths share these functions."""

from clearance.normalize.countries import country_code
from clearance.normalize.names import (
    MIN_WORD_SIMILARITY,
    canonical_token,
    has_han,
    latin_tokens,
    name_key,
    name_tokens,
    query_name_tokens,
    word_similarity,
)
from clearance.normalize.text import NORMALIZER_VERSION, normalize_text

__all__ = [
    "MIN_WORD_SIMILARITY",
    "NORMALIZER_VERSION",
    "canonical_token",
    "country_code",
    "has_han",
    "latin_tokens",
    "name_key",
    "name_tokens",
    "normalize_text",
    "query_name_tokens",
    "word_similarity",
]
