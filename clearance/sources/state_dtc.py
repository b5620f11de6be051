"""State DDTC ITAR/AECA debarred parties CSV, in its three header eras.

- 2014 (12 or 16 columns): ``Corp`` (``x`` for a company), ``Debarred Party Full Name``
  (``Federal Register Notices - Debarred Party (Full Name)`` in the AECA file), surname and
  given names split out again, ``Alias``, ``Type`` (Statutory/Administrative debarment),
  date of birth, ``Notice Date``, ``Notice``, ``Eff. Date``, corrected and rescission
  notices, ``Juris``, ``Notes``.
- 2017-2019 (6 columns): ``Debarred Party Full Name and Alias`` (``Party Name`` in
  2019-11), ``Date of Birth``, ``Notice`` (``Federal Register Notice``), ``Notice Date``,
  ``Corrected Notice``, ``Corrected Notice Date``. The 2019 files are cp1252 and pad
  notices with no-break spaces and stray ``M-``.

The one idea: columns are found by role, whatever the era calls them, and every era ends in
the same entity. Persons are written ``Surname, Given (a.k.a. Alias; Alias)``; the a.k.a.
part becomes aliases and the id is ``derived_id("us_state_dtc", _name_key(primary))``,
which is order-insensitive, so the CSL's ``Given Surname`` copy gets the same id. A party
listed by several notices (``Aero Systems Aviation Corp.``) is one entity with a listing
per notice: ``Notice Date`` -> ``listed_on``, ``Eff. Date`` -> ``effective_on``,
``Rescission Eff. Date`` -> ``delisted_on``, notices -> ``federal_register``.

The schema comes from ``Corp`` where the file has it (``x`` -> Organization, else
Person), otherwise from the name (``bis_dpl._guess_schema``, person-leaning: the list is
mostly individuals). The surname/given-name columns repeat the full name and are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from clearance.errors import SourceFormatError
from clearance.model import (
    Entity,
    Fact,
    Listing,
    NameKind,
    PartialDate,
    Schema,
    effect_for,
    list_info,
    parse_partial_date,
)
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
    _single_part,
    _split_listed_name,
)

LIST_CODE = "us_state_dtc"

# Role -> the header names the eras use for it (compared case-insensitively).
_ROLES: dict[str, tuple[str, ...]] = {
    "name": (
        "debarred party full name and alias",
        "party name",
        "debarred party full name",
        "federal register notices - debarred party (full name)",
    ),
    "notice": ("notice", "federal register notice"),
    "notice_date": ("notice date",),
    "dob": ("date of birth", "dob", "date of birth - public release"),
    "corp": ("corp",),
    "alias": ("alias",),
    "type": ("type",),
    "effective": ("eff. date",),
    "juris": ("juris",),
    "corrected": ("corrected notice",),
    "corrected_date": ("corrected notice date",),
    "rescission": ("rescission notice",),
    "rescinded": ("rescission eff. date",),
    "notes": ("notes",),
}
_REQUIRED = ("name", "notice", "notice_date")
_TWO_DIGIT_YEAR = re.compile(r"([A-Za-z]{3,})-(\d{2})")  # "Oct-83" in the 2014 files
_YEAR_ONLY = re.compile(r"[xX?]+/[xX?]+/(\d{4})")  # "x/x/1942"


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of one DDTC debarred-parties CSV (any era)."""
    part, data = _single_part(raw, ".csv")
    text = _decode(raw, part, data, report, cp1252=True)
    header, rows = _csv_records(raw, part, text, report)
    col = _roles(raw, part, header)
    drafts = _Drafts(raw.source)
    authority = list_info(LIST_CODE).authority
    effect = effect_for(LIST_CODE)

    def cell(cells: Sequence[str], role: str) -> str:
        i = col.get(role)
        return "" if i is None else " ".join(cells[i].split())

    for where, cells in rows:
        name = cell(cells, "name")
        if len(name) == 0:
            report.skip(where, "empty party name")
            continue
        listed = _split_listed_name(name)
        if "corp" in col:
            corp = cell(cells, "corp").lower() == "x"
            schema = Schema.ORGANIZATION if corp else Schema.PERSON
        else:
            schema = _guess_schema(
                listed.primary, person_leaning=True, individual=listed.individual
            )
        draft = drafts.get(_derived(LIST_CODE, listed.primary), schema)
        draft.add_listed_name(listed)
        for alias in cell(cells, "alias").split(";"):
            draft.add_name(_clean_alias(alias), NameKind.ALIAS)

        facts: list[Fact] = []
        notice_text = " ".join((cell(cells, "notice"), cell(cells, "corrected")))
        citations, residue = _fr_citations(notice_text)
        if residue:
            facts.append(Fact("Federal Register (as listed)", notice_text.strip()))
        draft.add_listing(
            Listing(
                source=LIST_CODE,
                authority=authority,
                legal_effect=effect,
                listed_on=_date_or_fact(
                    cell(cells, "notice_date"), "Notice date", where, report, facts
                ),
                effective_on=_date_or_fact(
                    cell(cells, "effective"), "Effective date", where, report, facts
                ),
                delisted_on=_date_or_fact(
                    cell(cells, "rescinded"), "Rescission date", where, report, facts
                ),
                federal_register=citations,
            )
        )
        dob = cell(cells, "dob")
        if len(dob) > 0:
            birth = _birth_date(dob)
            if birth is None:
                report.warn(where, f"unparseable date of birth {dob!r}")
                facts.append(Fact("Date of birth", dob))
            else:
                draft.add_birth_date(birth)
        for role, label in (
            ("type", "Debarment type"),
            ("juris", "Jurisdiction"),
            ("corrected_date", "Corrected notice date"),
            ("rescission", "Rescission notice"),
        ):
            facts.append(Fact(label, cell(cells, role)))
        draft.add_remark(cell(cells, "notes"))
        for fact in facts:
            draft.add_fact(fact.label, fact.value)
    yield from drafts.entities()


def _roles(raw: RawFile, part: str, header: Sequence[str]) -> dict[str, int]:
    """Column position of each role the header has; SourceFormatError if one is missing."""
    position = {
        " ".join(h.split()).lower(): i for i, h in reversed(list(enumerate(header)))
    }
    col: dict[str, int] = {}
    for role, names in _ROLES.items():
        for name in names:
            if name in position:
                col[role] = position[name]
                break
    missing = [
        " or ".join(repr(n) for n in _ROLES[r]) for r in _REQUIRED if r not in col
    ]
    if len(missing) > 0:
        raise SourceFormatError(
            raw.source, f"{part} line 1", f"missing columns: {'; '.join(missing)}"
        )
    return col


def _birth_date(text: str) -> PartialDate | None:
    """A partial birth date from ``October, 1983``, ``Oct-83`` or ``x/x/1942``."""
    value = " ".join(text.replace(",", " ").split())
    match = _TWO_DIGIT_YEAR.fullmatch(value)
    if match is not None:
        # 2014 files: two-digit birth years of adults debarred by 2014 are all 19xx.
        value = f"{match.group(1)} 19{match.group(2)}"
    match = _YEAR_ONLY.fullmatch(value)
    if match is not None:
        value = match.group(1)
    return parse_partial_date(value)
