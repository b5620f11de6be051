"""Strings in, comparison keys out. Index and query paths share these functions."""

from clearance.normalize.countries import country_code
from clearance.normalize.text import NORMALIZER_VERSION, normalize_text

__all__ = ["NORMALIZER_VERSION", "country_code", "normalize_text"]
