"""Country names and codes as lists write them -> ISO 3166 alpha-2 (lower case).

rigour's territory table is the reference. Its fuzzy name lookup takes seconds to build, so
codes and the usual English names are answered from a small index built on first use, and
only other wordings fall back to ``lookup_territory``.
"""

from __future__ import annotations

from functools import cache, lru_cache

from rigour.territories import get_territories, lookup_territory

from clearance.normalize.text import normalize_text


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for territory in get_territories():
        code = str(territory.ftm_country or territory.code)
        keys = [territory.code, territory.alpha3, *territory.other_codes]
        keys += [territory.name, territory.full_name]
        for key in keys:
            if key:
                index.setdefault(normalize_text(str(key)), code)
    return index


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """ISO alpha-2 code (lower case) for a country name or code, or None when unknown.

    Accepts the lists' wordings: ``"Korea, North"``, ``"Burma"``, ``"CN"``, ``"Iran"``.
    """
    value = text.strip().strip(".")
    if len(value) == 0:
        return None
    key = normalize_text(value)
    index = _index()
    found = index.get(key)
    if found is None and "," in value:  # "Korea, North" -> "North Korea"
        head, _, tail = value.partition(",")
        found = index.get(normalize_text(f"{tail} {head}"))
    if found is not None:
        return found
    territory = lookup_territory(value)
    if territory is None:
        return None
    return str(territory.ftm_country or territory.code)
