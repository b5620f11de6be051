"""OFAC's legacy CSV sets: the SDN list and the non-SDN Consolidated list.

A set is a main file (``sdn.csv`` or ``cons_prim.csv``, one row per entry) joined on
``ent_num`` with optional address, alias and comments files. No header, ``-0-`` for null, CRLF
and a trailing Ctrl-Z. The one idea: the main file's ``Remarks`` cell holds most identifying
data as ``; ``-separated items, cut at 1,000 characters and continued in the comments file
(concatenated directly, the cut falls mid-word), then read by ``_ofac_remarks``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from clearance.errors import SourceFormatError
from clearance.model import (
    Address,
    Entity,
    Fact,
    Identifier,
    IdScheme,
    Listing,
    Name,
    NameKind,
    Schema,
    VesselInfo,
    effect_for,
    list_info,
    make_name,
)
from clearance.normalize import country_code
from clearance.sources._ofac_remarks import (
    REMARKS_LIMIT,
    RemarkFields,
    parse_remarks,
    unique_names,
)
from clearance.sources.base import ParseReport, RawFile


@dataclass(frozen=True, slots=True)
class _Layout:
    code: str  # list code
    main: str
    add: str
    alt: str
    comments: str


_LAYOUTS = {
    "sdn": _Layout("us_ofac_sdn", "sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"),
    "cons_prim": _Layout(
        "us_ofac_cons",
        "cons_prim.csv",
        "cons_add.csv",
        "cons_alt.csv",
        "cons_comments.csv",
    ),
}
# The main file, also as history snapshots name it ("sdn_2022-03-31.csv").
_MAIN_PART = re.compile(r"^(sdn|cons_prim)(?:[_-]\d[\d_-]*)?\.csv$")
_NULLS = frozenset({"-0-", "-0", ""})  # "-0" : 2019-01-04 add.csv lost its last byte
_MAIN_FIELDS, _ADD_FIELDS, _ALT_FIELDS, _COMMENT_FIELDS = 12, 6, 5, 2
_SCHEMAS = {
    "individual": Schema.PERSON,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
_ALT_KINDS = {"aka": NameKind.ALIAS, "fka": NameKind.FORMER, "nka": NameKind.ALIAS}

_Rows = dict[str, list[tuple[int, list[str]]]]


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of one OFAC CSV set (SDN or Consolidated).

    Raises:
        SourceFormatError: the main file is missing, or a file is not an OFAC CSV
            (wrong field count, broken quoting, undecodable).
    """
    layout, main_name = _find_main(raw)
    adds = _group(raw, layout.add, _ADD_FIELDS, report)
    alts = _group(raw, layout.alt, _ALT_FIELDS, report)
    comments = _group(raw, layout.comments, _COMMENT_FIELDS, report)
    seen: set[str] = set()
    for line, row in _rows(raw, main_name, _MAIN_FIELDS, report):
        report.records += 1
        where = f"{main_name} line {line}"
        ent_num = row[0].strip()
        if not ent_num.isdigit():
            report.skip(where, f"ent_num {ent_num!r} is not a number")
            continue
        if ent_num in seen:
            report.skip(where, f"ent_num {ent_num} listed twice")
            continue
        seen.add(ent_num)
        yield _entity(
            raw,
            report,
            layout,
            where,
            row,
            adds.get(ent_num, []),
            alts.get(ent_num, []),
            comments.get(ent_num, []),
        )
    for name, rows in (
        (layout.add, adds),
        (layout.alt, alts),
        (layout.comments, comments),
    ):
        orphans = sorted(set(rows) - seen, key=int)
        if len(orphans) > 0:
            report.warn(
                name,
                f"{len(orphans)} ent_num(s) not in {main_name}, ignored: "
                + ", ".join(orphans[:10])
                + (" ..." if len(orphans) > 10 else ""),
            )


def _entity(
    raw: RawFile,
    report: ParseReport,
    layout: _Layout,
    where: str,
    row: list[str],
    adds: list[tuple[int, list[str]]],
    alts: list[tuple[int, list[str]]],
    comments: list[tuple[int, list[str]]],
) -> Entity:
    ent_num = row[0].strip()
    where = f"{where} ent_num {ent_num}"
    name = _cell(row[1])
    sdn_type = _cell(row[2])
    programs = _programs(_cell(row[3]))
    title = _cell(row[4])
    call_sign = _cell(row[5])

    remarks_text = "" if _cell(row[11]) is None else row[11]
    for _, comment in comments:
        remarks_text += comment[1]  # continues mid-word: no separator
    truncated = len(row[11]) >= REMARKS_LIMIT and len(comments) == 0
    if truncated:
        report.warn(
            where,
            "remarks cut at 1,000 characters with no comments continuation; "
            "last item kept verbatim",
        )
    fields = parse_remarks(remarks_text, truncated=truncated)
    for problem in fields.problems:
        report.warn(where, problem)

    names: list[Name] = []
    facts: list[Fact] = []
    if name is None:
        report.warn(where, "no SDN_Name")
    else:
        names.append(make_name(name, NameKind.PRIMARY))
    for line, alt in alts:
        alt_name = _cell(alt[3])
        if alt_name is None:
            continue
        alt_type = alt[2].strip().strip("'\"").strip().lower().rstrip(".")
        kind = _ALT_KINDS.get(alt_type.replace(".", ""))
        if kind is None:
            report.warn(f"{layout.alt} line {line}", f"unknown alt_type {alt[2]!r}")
            kind = NameKind.ALIAS
        names.append(make_name(alt_name, kind))
        alt_remarks = _cell(alt[4])
        if alt_remarks is not None:
            facts.append(Fact("alias remarks", f"{alt_name}: {alt_remarks}"))
    names.extend(fields.names)

    addresses: list[Address] = []
    countries: list[str] = []
    for _, add in adds:
        address = _address(add)
        if address is None:
            continue
        addresses.append(address)
        if address.country is not None:
            countries.append(address.country)
        add_remarks = _cell(add[5])
        if add_remarks is not None:
            facts.append(Fact("address remarks", f"{address.full}: {add_remarks}"))

    identifiers: list[Identifier] = []
    if call_sign is not None:
        identifiers.append(Identifier(IdScheme.CALL_SIGN, call_sign, label="Call Sign"))
    identifiers.extend(fields.identifiers)

    vessel = _vessel(row, fields)
    if vessel is not None and vessel.flag is not None:
        flag = country_code(vessel.flag)
        if flag is not None:
            countries.append(flag)

    facts.extend(fields.facts)
    code = layout.code
    listing = Listing(
        source=code,
        authority=list_info(code).authority,
        legal_effect=effect_for(code, programs),
        authority_ref=ent_num,
        programs=programs,
        listed_on=fields.listed_on,
        effective_on=fields.effective_on,
        divestment_on=fields.divestment_on,
    )
    return Entity(
        id=f"{code}:{ent_num}",
        schema=_schema(sdn_type, fields, report, where),
        names=unique_names(names),
        listings=(listing,),
        identifiers=tuple(dict.fromkeys(identifiers)),
        birth_dates=fields.birth_dates,
        birth_places=fields.birth_places,
        nationalities=fields.nationalities,
        citizenships=fields.citizenships,
        countries=tuple(dict.fromkeys(countries)),
        addresses=tuple(dict.fromkeys(addresses)),
        gender=fields.gender,
        titles=() if title is None else tuple(t.strip() for t in title.split("; ")),
        vessel=vessel,
        relations=fields.relations,
        remarks=remarks_text.strip() if len(remarks_text.strip()) > 0 else None,
        facts=tuple(dict.fromkeys(facts)),
        sources=(raw.source,),
    )


def _find_main(raw: RawFile) -> tuple[_Layout, str]:
    found = sorted(
        (name, match.group(1))
        for name in raw.parts
        if (match := _MAIN_PART.match(name)) is not None
    )
    if len(found) == 0:
        raise SourceFormatError(
            raw.source,
            raw.origin,
            "no OFAC main file (sdn.csv or cons_prim.csv) among "
            + (", ".join(sorted(raw.parts)) or "no parts"),
        )
    if len(found) > 1:
        raise SourceFormatError(
            raw.source,
            raw.origin,
            "more than one main file: " + ", ".join(name for name, _ in found),
        )
    name, stem = found[0]
    return _LAYOUTS[stem], name


def _decode(raw: RawFile, name: str, data: bytes, report: ParseReport) -> str:
    data = data.rstrip(b"\x1a")  # DOS end-of-file marker after the last CRLF
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # OFAC files are ASCII in practice; older exports were Windows-1252. Latin-1 maps the
    # five bytes cp1252 leaves undefined, so decoding never fails.
    report.warn(name, "not UTF-8; decoded as Windows-1252")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _rows(
    raw: RawFile, name: str, width: int, report: ParseReport
) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) of an OFAC CSV part; blank lines are passed over."""
    text = _decode(raw, name, raw.parts[name], report)
    if len(text.strip()) == 0:
        raise SourceFormatError(raw.source, name, "empty file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceFormatError(
                raw.source, f"{name} line {reader.line_num}", f"malformed CSV: {exc}"
            ) from exc
        if len(row) == 0 or (len(row) == 1 and len(row[0].strip()) == 0):
            line = reader.line_num + 1
            continue
        if len(row) != width:
            raise SourceFormatError(
                raw.source,
                f"{name} line {line}",
                f"expected {width} fields, found {len(row)}",
            )
        yield line, row
        line = reader.line_num + 1


def _group(raw: RawFile, name: str, width: int, report: ParseReport) -> _Rows:
    """Rows of an optional part, by ent_num, in file order."""
    grouped: _Rows = {}
    if name not in raw.parts:
        return grouped
    for line, row in _rows(raw, name, width, report):
        ent_num = row[0].strip()
        if not ent_num.isdigit():
            report.warn(f"{name} line {line}", f"ent_num {ent_num!r} is not a number")
            continue
        grouped.setdefault(ent_num, []).append((line, row))
    return grouped


def _cell(value: str) -> str | None:
    text = value.strip()
    return None if text in _NULLS else text


def _programs(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = (p.strip().strip("[]").strip() for p in value.split("] ["))
    return tuple(dict.fromkeys(p for p in parts if len(p) > 0))


def _address(row: list[str]) -> Address | None:
    street, place, country = _cell(row[2]), _cell(row[3]), _cell(row[4])
    parts = [p for p in (street, place, country) if p is not None]
    if len(parts) == 0:
        return None
    return Address(
        full=", ".join(parts),
        street=street,
        region=place,  # "City/State/Postal" in one cell, e.g. "Moscow 123317"
        country=None if country is None else country_code(country),
        country_name=country,
    )


def _vessel(row: list[str], fields: RemarkFields) -> VesselInfo | None:
    vessel_type, tonnage, grt, flag, owner = (_cell(row[i]) for i in range(6, 11))
    values = (vessel_type, tonnage, grt, flag, owner, fields.vessel_built)
    if all(v is None for v in values):
        return None
    return VesselInfo(
        vessel_type=vessel_type,
        flag=flag,
        owner=owner,
        tonnage=tonnage,
        gross_registered_tonnage=grt,
        built=fields.vessel_built,
    )


def _schema(
    sdn_type: str | None, fields: RemarkFields, report: ParseReport, where: str
) -> Schema:
    if sdn_type is None:
        return Schema.COMPANY if fields.company else Schema.ORGANIZATION
    schema = _SCHEMAS.get(sdn_type.lower())
    if schema is None:
        report.warn(where, f"unknown SDN_Type {sdn_type!r}, taken as an organisation")
        return Schema.COMPANY if fields.company else Schema.ORGANIZATION
    return schema
