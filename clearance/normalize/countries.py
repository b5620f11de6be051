"""Country names and codes as lists write them -> ISO 3166 alpha-2 (lower case)."""

from __future__ import annotations

from functools import lru_cache

from rigour.territories import lookup_territory


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """ISO alpha-2 code (lower case) for a country name or code, or None when unknown.

    Accepts the lists' wordings: ``"Korea, North"``, ``"Burma"``, ``"CN"``, ``"Iran"``.
    """
    value = text.strip().strip(".")
    if len(value) == 0:
        return None
    territory = lookup_territory(value)
    if territory is None:
        return None
    return str(territory.code)
