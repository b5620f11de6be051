"""UK HM Treasury / OFSI Consolidated List of financial sanctions targets (ConList).

One row per name: every name and alias of a target is its own row, repeating the target's
other details, and rows sharing a ``Group ID`` are one target. Rows are therefore grouped
first, and a target's values are the union of its rows' values. Three editions are read:
the 2016 CSV (29 columns, cp1252, ``Prime Alias``), and the 2022-format CSV (``ConList.csv``)
and its XLSX edition (36 columns with ``Name Non-Latin Script``, ``Alias Quality``,
``Passport Number``...). Every edition starts with a ``Last Updated`` line above the header,
and writes dates DD/MM/YYYY with ``00`` (or ``dd``/``mm``) for an unknown day or month.
Multi-valued cells are enumerated: ``(1) Tunis (2) - (3) Sousse``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

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
    PartialDate,
    Relation,
    Schema,
    VesselInfo,
    effect_for,
    list_info,
    make_name,
    parse_partial_date,
)
from clearance.normalize import country_code
from clearance.sources.base import ParseReport, RawFile

LIST_CODE = "uk_hmt"

_REQUIRED = ("Name 6", "Group Type", "Alias Type", "Group ID")
_SCHEMAS = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "ship": Schema.VESSEL,
}
_ALIAS_KINDS = {
    "primary name": NameKind.PRIMARY,
    "prime alias": NameKind.PRIMARY,  # 2016 wording
    "primary name variation": NameKind.ALIAS,
    "aka": NameKind.ALIAS,
    "fka": NameKind.FORMER,
}
_KIND_ORDER = {
    NameKind.PRIMARY: 0,
    NameKind.ALIAS: 1,
    NameKind.WEAK: 2,
    NameKind.FORMER: 3,
}
# "Non-Latin Script Language" wordings seen in the 2025 XLSX -> ISO 639-1
LANGUAGE_CODES = {
    "arabic": "ar",
    "belarusian": "be",
    "bosnian": "bs",
    "bulgarian": "bg",
    "burmese": "my",
    "chinese": "zh",
    "georgian": "ka",
    "greek": "el",
    "hebrew": "he",
    "japanese": "ja",
    "kazakh": "kk",
    "korean": "ko",
    "persian": "fa",
    "persian/farsi": "fa",
    "romanian": "ro",
    "russian": "ru",
    "serbian": "sr",
    "spanish": "es",
    "thai": "th",
    "turkish": "tr",
    "ukrainian": "uk",
}
_NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
_ADDRESS_COLUMNS = (
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
)
_ENUM = re.compile(r"\((\d+)\)(?:\s*-\s*\((\d+)\))?")
_DMY = re.compile(r"^(\d{1,2}|dd)/(\d{1,2}|mm)/(\d{4})$", re.IGNORECASE)
_MY = re.compile(r"^(\d{1,2}|mm)/(\d{4})$", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"^([^()]+)\(([^()]+)\)\s*$")
_DOC_COUNTRY = re.compile(
    r"^([A-Z][A-Za-z .'-]*?)\s+(?:number|passport|national|identity|identification|"
    r"diplomatic|provisional|id\b)",
)
_PAREN_WORDS = re.compile(r"\(([A-Z][a-z]+(?: [A-Z][a-z]+)*)\)")
_DIGIT_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*\d[A-Za-z0-9./-]*")
# labelled sections of the 2022 format's "Other Information" cell: "(Gender):Male"
_LABELS = (
    "UK Sanctions List Ref",
    "UK Statement of Reasons",
    "UN Ref",
    "Gender",
    "Phone number",
    "Email address",
    "Website",
    "Type of entity",
    "Parent company",
    "Subsidiaries",
    "Business Reg No",
    "IMO number",
    "Current owners",
    "Flag of ship",
    "Previous flags",
    "Type of ship",
    "Tonnage of ship",
    "Length of ship",
    "Year built",
    "Fax",
    "Tel",
)
_LABEL = re.compile(r"\((" + "|".join(re.escape(label) for label in _LABELS) + r")\):")
_REF = re.compile(r"^\s*([A-Za-z]{2,4}\d{3,5})\b")
_UN_REF = re.compile(r"^\s*([A-Za-z]{2,3}\.\d+)\b")
# labelled sections kept as facts under their own label
_FACT_LABELS = (
    "Type of entity",
    "Phone number",
    "Email address",
    "Website",
    "Fax",
    "Tel",
    "Length of ship",
    "Previous flags",
)

Row = tuple[str, ...]


def _first_part(raw: RawFile) -> tuple[str, bytes]:
    if len(raw.parts) == 1:
        return next(iter(raw.parts.items()))
    for name in sorted(raw.parts):
        if name.endswith((".csv", ".xlsx")):
            return name, raw.parts[name]
    raise SourceFormatError(
        raw.source, raw.origin, "no CSV or XLSX member in the file set"
    )


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of an OFSI ConList file (2016 CSV, 2022-format CSV or XLSX).

    Raises:
        SourceFormatError: the file is not a CSV/XLSX ConList (no ``Last Updated`` line or
            header, a required column missing, an unreadable workbook).
    """
    part, data = _first_part(raw)
    if data[:4] == b"PK\x03\x04":
        lines = _xlsx_rows(raw, part, data)
    else:
        lines = _csv_rows(raw, report, part, data)
    header_at, header = _header(raw, report, part, lines)
    col = {name: i for i, name in enumerate(header)}
    missing = [c for c in _REQUIRED if c not in col]
    if len(missing) > 0:
        raise SourceFormatError(
            raw.source,
            f"{part} line {header_at}",
            f"missing columns: {', '.join(missing)}",
        )
    width = len(header)
    groups: dict[str, list[Row]] = {}
    group_id = col["Group ID"]
    for number, cells in lines:
        if all(c == "" for c in cells):
            continue
        report.records += 1
        row = (cells + ("",) * width)[:width] if len(cells) != width else cells
        gid = row[group_id]
        if gid == "":
            report.skip(f"{part} line {number}", "no Group ID")
            continue
        groups.setdefault(gid, []).append(row)
    for gid, rows in groups.items():
        entity = _entity(raw, report, f"{part} Group ID={gid}", gid, rows, col)
        if entity is not None:
            yield entity


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(raw: RawFile, part: str, data: bytes) -> Iterator[tuple[int, Row]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
    ) as exc:
        raise SourceFormatError(
            raw.source, part, f"unreadable workbook: {exc}"
        ) from exc
    try:
        names = workbook.sheetnames
        sheet = workbook["Data"] if "Data" in names else workbook[names[0]]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, tuple(_cell(v) for v in values)
    finally:
        workbook.close()


def _csv_rows(
    raw: RawFile, report: ParseReport, part: str, data: bytes
) -> Iterator[tuple[int, Row]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # the 2016 CSV is cp1252 (0x91/0x92/0xA0/0xE9 bytes)
        text = data.decode("cp1252", errors="replace")
        report.warn(part, "not UTF-8; read as cp1252")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, tuple(c.strip() for c in cells)
    except csv.Error as exc:
        raise SourceFormatError(
            raw.source, f"{part} line {reader.line_num}", f"bad CSV: {exc}"
        ) from exc


def _header(
    raw: RawFile, report: ParseReport, part: str, lines: Iterator[tuple[int, Row]]
) -> tuple[int, Row]:
    for number, cells in lines:
        if len(cells) == 0 or all(c == "" for c in cells):
            continue
        if cells[0].lower() == "last updated":
            stamp = cells[1] if len(cells) > 1 else ""
            published = _full_date(stamp)
            if published is None:
                report.warn(
                    f"{part} line {number}", f"unparseable Last Updated {stamp!r}"
                )
            report.published = published
            continue
        if "Group ID" in cells or "Name 6" in cells:
            return number, tuple(c.strip() for c in cells)
        raise SourceFormatError(
            raw.source,
            f"{part} line {number}",
            "no 'Last Updated' line or ConList header",
        )
    raise SourceFormatError(raw.source, part, "empty file")


def _full_date(text: str) -> date | None:
    parsed = parse_uk_date(text)
    if parsed is None or parsed.month is None or parsed.day is None:
        return None
    return date(parsed.year, parsed.month, parsed.day)


def parse_uk_date(text: str) -> PartialDate | None:
    """A UK list date: ``DD/MM/YYYY`` with ``00``/``dd``/``mm`` unknowns, ``MM/YYYY``, ``YYYY``.

    Shared with the FCDO parser, which writes dates the same way.
    """
    value = text.strip()
    try:
        if m := _DMY.match(value):
            day, month, year = m.groups()
            month_n = None if not month.isdigit() or int(month) == 0 else int(month)
            day_n = None if not day.isdigit() or int(day) == 0 else int(day)
            return PartialDate(
                int(year), month_n, day_n if month_n is not None else None
            )
        if m := _MY.match(value):
            month, year = m.groups()
            month_n = None if not month.isdigit() or int(month) == 0 else int(month)
            return PartialDate(int(year), month_n)
    except ValueError:
        return None
    return parse_partial_date(value)


def _items(text: str) -> list[str]:
    """Values of an enumerated cell, by position: ``(1) A (2)-(3) -`` -> [A, "", ""]."""
    value = text.strip()
    if not value.startswith("(1)"):
        return [] if value in ("", "-") else [value]
    matches = list(_ENUM.finditer(value))
    out: list[str] = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(value)
        item = value[match.end() : end].strip()
        if item.endswith("."):
            item = item[:-1].rstrip()
        count = 1
        if match.group(2) is not None:
            count = max(1, int(match.group(2)) - int(match.group(1)) + 1)
        out.extend([item if item != "-" else ""] * count)
    return out


def uk_country(text: str) -> str | None:
    """ISO code of a UK list's country wording, reading through a trailing parenthesis."""
    code = country_code(text)
    match = _TRAILING_PAREN.match(text)
    if code is not None or match is None:
        return code
    outer, inner = match.group(1).strip(), match.group(2).strip()
    if inner[:1].islower():
        # a note: "Iraq (previous address)", "Russian Federation (as at November 2010)"
        return country_code(outer)
    # an inverted name, "Congo (Democratic Republic)", else a capitalised note,
    # "Italy (Domicile, last known address)"
    return country_code(f"{inner} of the {outer}") or country_code(outer)


def _u(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i != ""))


class _Group:
    """The rows of one Group ID, with column access by name."""

    __slots__ = ("col", "rows")

    def __init__(self, rows: list[Row], col: dict[str, int]) -> None:
        self.rows, self.col = rows, col

    def get(self, row: Row, name: str) -> str:
        index = self.col.get(name)
        return "" if index is None else row[index]

    def values(self, name: str) -> list[str]:
        index = self.col.get(name)
        if index is None:
            return []
        return list(dict.fromkeys(r[index] for r in self.rows if r[index] != ""))


def _entity(
    raw: RawFile,
    report: ParseReport,
    where: str,
    gid: str,
    rows: list[Row],
    col: dict[str, int],
) -> Entity | None:
    g = _Group(rows, col)
    names = _names(g)
    if len(names) == 0:
        report.skip(where, "no name")
        return None
    group_types = g.values("Group Type")
    schema = _SCHEMAS.get(group_types[0].lower()) if len(group_types) > 0 else None
    if schema is None:
        report.warn(
            where, f"unknown Group Type {group_types!r}; read as an organisation"
        )
        schema = Schema.ORGANIZATION
    facts: list[Fact] = []
    identifiers: list[Identifier] = []
    relations: list[Relation] = []
    titles = [t for v in g.values("Title") for t in _items(v)]
    titles += [t for v in g.values("Position") for t in _items(v)]
    birth_dates: list[PartialDate] = []
    for text in g.values("DOB"):
        for item in _items(text):
            parsed = parse_uk_date(item)
            if parsed is None:
                report.warn(where, f"unparseable DOB {item!r}")
                facts.append(Fact("Date of birth", item))
            else:
                birth_dates.append(parsed)
    nationalities: list[str] = []
    for text in g.values("Nationality"):
        for item in _items(text):
            code = uk_country(item)
            if code is None:
                facts.append(Fact("Nationality", item))
            else:
                nationalities.append(code)
    _documents(g, identifiers, facts)
    addresses, countries = _addresses(g)
    remarks_list = g.values("Other Information")
    gender: str | None = None
    vessel: VesselInfo | None = None
    for remark in remarks_list:
        found = _labelled(remark)
        gender = gender or _gender(found)
        vessel = vessel or _vessel(found)
        _labelled_details(found, identifiers, relations, facts)
    programs = _u(g.values("Regime"))
    listed = [
        d for d in (_full_date(v) for v in g.values("Listed On")) if d is not None
    ]
    for label, column in (
        ("UK Sanctions List date designated", "UK Sanctions List Date Designated"),
        ("Last updated", "Last Updated"),
    ):
        for value in g.values(column):
            facts.append(Fact(label, value))
    identifier_tuple = tuple(dict.fromkeys(identifiers))
    if schema is Schema.ORGANIZATION and any(
        i.scheme is IdScheme.REGISTRATION for i in identifier_tuple
    ):
        schema = Schema.COMPANY
    listing = Listing(
        source=LIST_CODE,
        authority=list_info(LIST_CODE).authority,
        legal_effect=effect_for(LIST_CODE, programs),
        authority_ref=gid,
        programs=programs,
        listed_on=min(listed) if len(listed) > 0 else None,
    )
    remarks = "\n".join(remarks_list)
    return Entity(
        id=f"{LIST_CODE}:{gid}",
        schema=schema,
        names=names,
        listings=(listing,),
        identifiers=identifier_tuple,
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        birth_places=_birth_places(g),
        nationalities=_u(nationalities),
        countries=_u(countries),
        addresses=tuple(dict.fromkeys(addresses)),
        gender=gender,
        titles=_u(titles),
        vessel=vessel,
        relations=tuple(dict.fromkeys(relations)),
        remarks=remarks if len(remarks) > 0 else None,
        facts=tuple(dict.fromkeys(facts)),
        sources=(raw.source,),
    )


def _names(g: _Group) -> tuple[Name, ...]:
    found: list[tuple[int, int, Name]] = []
    for position, row in enumerate(g.rows):
        alias_type = g.get(row, "Alias Type").lower()
        kind = _ALIAS_KINDS.get(alias_type, NameKind.ALIAS)
        if kind is NameKind.ALIAS and g.get(row, "Alias Quality").lower().startswith(
            "low"
        ):
            kind = NameKind.WEAK
        parts = (g.get(row, c) for c in _NAME_COLUMNS)
        latin = " ".join(p for p in parts if p != "")
        if latin != "":
            found.append((_KIND_ORDER[kind], position, make_name(latin, kind)))
        script = g.get(row, "Name Non-Latin Script")
        if script != "":
            language = LANGUAGE_CODES.get(
                g.get(row, "Non-Latin Script Language").lower()
            )
            # an original-script rendering is a strong alias of the row's name
            script_kind = NameKind.ALIAS if kind is NameKind.PRIMARY else kind
            found.append(
                (
                    _KIND_ORDER[script_kind],
                    position,
                    make_name(script, script_kind, language),
                )
            )
    found.sort(key=lambda t: (t[0], t[1]))
    out: list[Name] = []
    for _, _, name in found:
        if name.kind is NameKind.PRIMARY and len(out) > 0:
            name = Name(name.value, NameKind.ALIAS, name.script, name.lang)
        if all(n.value != name.value for n in out):
            out.append(name)
    if len(out) > 0 and out[0].kind is not NameKind.PRIMARY:
        # two 2025 groups have only "Primary name variation" rows: the first stands in
        first = out[0]
        out[0] = Name(first.value, NameKind.PRIMARY, first.script, first.lang)
    return tuple(out)


def _birth_places(g: _Group) -> tuple[str, ...]:
    places: list[str] = []
    for row in g.rows:
        towns = _items(g.get(row, "Town of Birth"))
        lands = _items(g.get(row, "Country of Birth"))
        if len(towns) == len(lands):
            pairs = zip(towns, lands, strict=True)
            places.extend(", ".join(p for p in pair if p != "") for pair in pairs)
        else:
            places.extend(towns + lands)
    return _u(places)


def _doc_country(details: str) -> str | None:
    match = _DOC_COUNTRY.match(details)
    if match is not None:
        code = country_code(match.group(1))
        if code is not None:
            return code
    paren = _PAREN_WORDS.search(details)
    return None if paren is None else country_code(paren.group(1))


def _documents(g: _Group, identifiers: list[Identifier], facts: list[Fact]) -> None:
    for scheme, number_col, details_col, free_col in (
        (IdScheme.PASSPORT, "Passport Number", "Passport Details", "Passport Details"),
        (
            IdScheme.NATIONAL_ID,
            "National Identification Number",
            "National Identification Details",
            "NI Number",
        ),
    ):
        if number_col in g.col:
            pairs = {
                (g.get(r, number_col), g.get(r, details_col))
                for r in g.rows
                if g.get(r, number_col) != "" or g.get(r, details_col) != ""
            }
            for numbers_text, details_text in sorted(pairs):
                _paired(
                    scheme, details_col, numbers_text, details_text, identifiers, facts
                )
        elif free_col in g.col:
            # 2016 layout: one free-text cell, the number somewhere inside each item
            for text in g.values(free_col):
                for item in _items(text):
                    _free_text(scheme, free_col, item, identifiers, facts)


def _paired(
    scheme: IdScheme,
    label: str,
    numbers_text: str,
    details_text: str,
    identifiers: list[Identifier],
    facts: list[Fact],
) -> None:
    numbers = _items(numbers_text)
    details = _items(details_text)
    if len(details) != len(numbers):
        details = [details_text] * len(numbers) if len(numbers) == 1 else []
        if len(numbers) != 1 and details_text != "":
            facts.append(Fact(label, details_text))
    for i, number in enumerate(numbers):
        note = details[i] if i < len(details) and details[i] != "" else None
        if number == "":
            if note is not None:
                facts.append(Fact(label, note))
            continue
        country = None if note is None else _doc_country(note)
        identifiers.append(Identifier(scheme, number, country, label, note))
    if len(numbers) == 0 and details_text != "":
        facts.append(Fact(label, details_text))


def _free_text(
    scheme: IdScheme,
    label: str,
    item: str,
    identifiers: list[Identifier],
    facts: list[Fact],
) -> None:
    if item == "":
        return
    token = _DIGIT_TOKEN.search(item)
    if token is None:
        facts.append(Fact(label, item))
        return
    number = token.group(0).rstrip("./-")
    identifiers.append(Identifier(scheme, number, _doc_country(item), label, item))


def _addresses(g: _Group) -> tuple[list[Address], list[str]]:
    addresses: list[Address] = []
    countries: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for row in g.rows:
        key = tuple(g.get(row, c) for c in _ADDRESS_COLUMNS)
        if key in seen or all(v == "" for v in key):
            continue
        seen.add(key)
        # the six lines are free text (street, district, city or province in any
        # order), so only the full address, postcode and country are structured
        postal, country_name = key[6], key[7]
        full = ", ".join(v for v in key if v != "")
        code = None if country_name == "" else uk_country(country_name)
        addresses.append(
            Address(
                full,
                postal_code=postal or None,
                country=code,
                country_name=country_name or None,
            )
        )
        if code is not None:
            countries.append(code)
    return addresses, countries


def _labelled(remark: str) -> list[tuple[str, str]]:
    """The ``(Label):value`` sections of an Other Information cell, in order."""
    matches = list(_LABEL.finditer(remark))
    out: list[tuple[str, str]] = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(remark)
        out.append((match.group(1), remark[match.end() : end].strip()))
    return out


def _gender(found: list[tuple[str, str]]) -> str | None:
    for label, value in found:
        if label == "Gender":
            word = value.split(" ", 1)[0].strip(".").lower()
            if word in ("male", "female"):
                return word
    return None


def _vessel(found: list[tuple[str, str]]) -> VesselInfo | None:
    values = {label: value.rstrip(".").strip() for label, value in found}
    keys = (
        "Type of ship",
        "Flag of ship",
        "Current owners",
        "Tonnage of ship",
        "Year built",
    )
    if not any(k in values for k in keys):
        return None
    return VesselInfo(
        vessel_type=values.get("Type of ship") or None,
        flag=values.get("Flag of ship") or None,
        owner=values.get("Current owners") or None,
        tonnage=values.get("Tonnage of ship") or None,
        built=values.get("Year built") or None,
    )


def _labelled_details(
    found: list[tuple[str, str]],
    identifiers: list[Identifier],
    relations: list[Relation],
    facts: list[Fact],
) -> None:
    for label, value in found:
        if label == "UK Sanctions List Ref":
            if (m := _REF.match(value)) is not None:
                ref = m.group(1).upper()
                # a non-empty target_name: the entity codec drops empty strings
                relations.append(
                    Relation("same_as", f"UK Sanctions List {ref}", f"uk_fcdo:{ref}")
                )
                facts.append(Fact("UK Sanctions List Ref", ref))
        elif label == "UN Ref":
            if (m := _UN_REF.match(value)) is not None:
                facts.append(Fact("UN reference number", m.group(1)))
        elif label == "IMO number":
            digits = re.sub(r"\D", "", value.split(" ", 1)[0])
            if digits != "":
                identifiers.append(Identifier(IdScheme.IMO, digits, label=label))
        elif label == "Business Reg No":
            for item in _items(value) or [value]:
                _registration(item, identifiers, facts)
        elif label in ("Parent company", "Subsidiaries"):
            kind = "parent" if label == "Parent company" else "subsidiary"
            for item in _items(value) or [value]:
                if item != "":
                    relations.append(Relation(kind, item.rstrip(".").strip()))
        elif label in _FACT_LABELS and value != "":
            facts.append(Fact(label, value))


def _registration(item: str, identifiers: list[Identifier], facts: list[Fact]) -> None:
    text = item.strip().rstrip(".")
    tokens = _DIGIT_TOKEN.findall(text)
    if len(tokens) == 0:
        if text != "":
            facts.append(Fact("Business Reg No", text))
        return
    number = tokens[-1]
    prefix = text[: text.rfind(number)].strip(" :-")
    identifiers.append(
        Identifier(
            IdScheme.REGISTRATION,
            number,
            label=prefix or "Business Reg No",
            note=text if prefix != "" else None,
        )
    )
