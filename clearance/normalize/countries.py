"""Country names and codes as lists write them -> ISO 3166 alpha-2 (lower case).

rigour's territory table (codes, names, full names) is the reference; ``data/countries.yml``
adds the wordings official lists use that it lacks ("Burma", "Korea, South", demonyms such
as "Iranian"). Lookups are exact after ``normalize_text``: rigour's fuzzy lookup is not used
because it takes seconds to build and turns city names into countries.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

import yaml
from rigour.territories import get_territories

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
    text = (
        resources.files("clearance.normalize")
        .joinpath("data/countries.yml")
        .read_text()
    )
    tables = yaml.safe_load(text)
    for table in ("aliases", "demonyms"):
        for key, code in tables[table].items():
            index[normalize_text(str(key))] = str(code)
    return index


@lru_cache(maxsize=8192)
def country_code(text: str) -> str | None:
    """ISO alpha-2 code (lower case) for a country name, code or demonym; None if unknown.

    Accepts the lists' wordings: ``"Korea, North"``, ``"Burma"``, ``"CN"``, ``"Iranian"``.
    """
    key = normalize_text(text)
    if len(key) == 0:
        return None
    index = _index()
    found = index.get(key)
    if found is None and "," in text:  # "Korea, North" -> "North Korea"
        head, _, tail = text.partition(",")
        found = index.get(normalize_text(f"{tail} {head}"))
    return found
