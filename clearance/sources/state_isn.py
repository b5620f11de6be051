"""State ISN nonproliferation sanctions CSV (as ITA kept it for the CSL).

Columns: ``Source List, Programs, Name, Alternative Names, Country, Federal Register
Notice, Effective Date`` (M/D/YYYY), and optionally ``Remarks/Notes, Web Link``.

The one idea: one row per (party, sanction program), so rows whose names agree under
``_name_key`` are one entity with one listing per program and date
(id ``derived_id("us_state_isn", _name_key(primary))``, as for the CSL's ISN rows).
Alternative names are comma-separated here (the CSL uses ``;``): a piece that is only a
legal form (``Ltd.``) stays with the name before it, ``F.K.A.`` marks a former name.
Notices are kept verbatim (``Vol. 81, No. 128, 07/05/16``), one per notice; trailing
clauses such as ``and any successor, sub-unit, or subsidiary thereof`` become the fact
``Scope``. ``Country`` goes to ``countries`` (the list's wording is kept as a fact when it
does not resolve, e.g. ``Kong Kong``). The schema is guessed from the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from clearance.model import Entity, Fact, Listing, NameKind, effect_for, list_info
from clearance.normalize import country_code
from clearance.sources.base import ParseReport, RawFile
from clearance.sources.bis_dpl import (
    _clean_alias,
    _csv_records,
    _date_or_fact,
    _decode,
    _derived,
    _Drafts,
    _fr_citations,
    _guess_schema,
    _require_columns,
    _single_part,
    _split_listed_name,
)

LIST_CODE = "us_state_isn"
_COLUMNS = (
    "Source List",
    "Programs",
    "Name",
    "Alternative Names",
    "Country",
    "Federal Register Notice",
    "Effective Date",
)
_FORMER = re.compile(r"^F\.?\s?K\.?\s?A\.?\s+", re.IGNORECASE)
_LEGAL_FORM = re.compile(
    r"(?:ltd|limited|llc|inc|co|corp|s\.?a|gmbh|plc|jsc)\.?", re.IGNORECASE
)


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of an ISN CSV; one entity per name, one listing per program."""
    part, data = _single_part(raw, ".csv")
    text = _decode(raw, part, data, report)
    header, rows = _csv_records(raw, part, text, report)
    col = _require_columns(raw, part, header, _COLUMNS)
    remarks_at = col.get("Remarks/Notes")
    link_at = col.get("Web Link")
    drafts = _Drafts(raw.source)
    authority = list_info(LIST_CODE).authority
    for where, cells in rows:
        name = cells[col["Name"]]
        if len(name) == 0:
            report.skip(where, "empty Name")
            continue
        listed = _split_listed_name(name)
        schema = _guess_schema(
            listed.primary, person_leaning=False, individual=listed.individual
        )
        draft = drafts.get(_derived(LIST_CODE, listed.primary), schema)
        draft.add_listed_name(listed)
        for alias, kind in _alternative_names(cells[col["Alternative Names"]]):
            draft.add_name(alias, kind)

        facts: list[Fact] = []
        programs = tuple(
            p.strip() for p in cells[col["Programs"]].split(";") if len(p.strip()) > 0
        )
        notice = cells[col["Federal Register Notice"]]
        citations, residue = _fr_citations(notice)
        if residue:
            facts.append(Fact("Federal Register (as listed)", notice))
        link = "" if link_at is None else cells[link_at]
        draft.add_listing(
            Listing(
                source=LIST_CODE,
                authority=authority,
                legal_effect=effect_for(LIST_CODE, programs),
                programs=programs,
                listed_on=_date_or_fact(
                    cells[col["Effective Date"]], "Effective date", where, report, facts
                ),
                federal_register=citations,
                list_url=None if len(link) == 0 else link,
            )
        )
        country = cells[col["Country"]]
        if len(country) > 0:
            iso = country_code(country)
            if iso is None:
                report.warn(where, f"unknown country {country!r}; kept as a fact")
                facts.append(Fact("Country", country))
            else:
                draft.add_country(iso)
        if remarks_at is not None:
            draft.add_remark(cells[remarks_at])
        for fact in facts:
            draft.add_fact(fact.label, fact.value)
    yield from drafts.entities()


def _alternative_names(text: str) -> list[tuple[str, NameKind]]:
    """Comma-separated alternative names; ``F.K.A.`` pieces are former names."""
    pieces: list[str] = []
    for piece in text.split(","):
        value = piece.strip()
        if len(value) == 0:
            continue
        if len(pieces) > 0 and _LEGAL_FORM.fullmatch(value) is not None:
            pieces[-1] = f"{pieces[-1]}, {value}"
        else:
            pieces.append(value)
    result: list[tuple[str, NameKind]] = []
    for piece in pieces:
        kind = NameKind.ALIAS
        if _FORMER.match(piece) is not None:
            kind = NameKind.FORMER
            piece = _FORMER.sub("", piece)
        alias = _clean_alias(piece)
        if len(alias) > 0:
            result.append((alias, kind))
    return result
