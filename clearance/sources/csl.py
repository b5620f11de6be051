"""trade.gov Consolidated Screening List (CSL) CSV: 13 US lists in one file.

Three layouts are read: the current one (29 columns, leading ``_id``), the 2019 one (no
``_id``) and the 2016 API one (no ``_id``, no ``ids``, short source codes such as ``SDN``).
The ``source`` column names the list, spelled out (``Entity List (EL) - Bureau of Industry
and Security``) or as a short code; the code in it picks our list code.

The one idea: each row is a copy of an entry on some other authority's list, so each
entity gets that list's id and the listing says ``via="us_trade_csl"``. Treasury rows keep
OFAC's ent_num (``_id``/``entity_number``): ``us_ofac_sdn:<n>`` for SDN,
``us_ofac_cons:<n>`` for SSI, FSE, NS-PLC, NS-CMIC, NS-MBS and CAPTA, so they merge with
OFAC's own files. The other lists have no entry IDs: ids are derived from the primary name
exactly as ``bis_dpl``, ``state_dtc`` and ``state_isn`` derive them (``_derived``). Rows that
map to one id (a DPL party at several addresses, an OFAC entry on both SSI and CAPTA) are
merged into one entity with one listing per distinct listing.

Column notes:
- ``type`` Individual/Entity/Vessel/Aircraft. BIS and State rows have none: the schema is
  guessed from the name (``bis_dpl._guess_schema``; DPL and DTC are person-leaning).
- ``ids`` items are ``[country, ][date, ]value, type`` (2019-2022) or
  ``type, value[, country][, dates]`` (2023 on); the order is detected per file. Known types
  become identifiers (``IMO nnnnnnn`` -> IMO), the NS-CMIC dates become the listing's
  ``listed_on``/``effective_on``/``divestment_on``, ``Gender`` the gender, and other
  statements (``Issuer Name``, ``Target Type``, sanctions information) facts; unknown types
  that look like identifiers become ``OTHER`` with the list's label.
- ``end_date`` only occurs on DPL rows (the denial's expiry): the fact ``Denial expires``.
- Entity List parents: ``Parent, Unit`` (where ``Parent`` is itself listed), ``X.
  Subordinate Institution - Unit``, ``X, and subordinate entity Unit`` and ``Unit (a
  subordinate institute of X)`` give ``Relation("part_of", X)``, with X's id when listed.
- ``_id`` of non-Treasury rows is ITA's row hash, and ``source_information_url`` a page
  about the list; neither describes the entity, so both are left out.
- Legal effect: ``effect_for(code, programs)``, with the list's own marker (``CAPTA``,
  ``MBS``, ``FSE``, ``CMIC``, ``NS-PLC``) added for the lookup only, because the CSL's
  programs for CAPTA and NS-MBS rows name sanctions programs (``RUSSIA-EO14024``), not
  the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date

from clearance.model import (
    Address,
    Entity,
    Fact,
    Identifier,
    IdScheme,
    Listing,
    NameKind,
    Relation,
    Schema,
    VesselInfo,
    effect_for,
    list_info,
    parse_full_date,
    parse_partial_date,
)
from clearance.normalize import country_code
from clearance.sources.base import ParseReport, RawFile
from clearance.sources.bis_dpl import (
    _add_dpl,
    _clean_alias,
    _csv_records,
    _date_or_fact,
    _decode,
    _derived,
    _Draft,
    _Drafts,
    _fr_citations,
    _guess_schema,
    _ListedName,
    _name_key,
    _or_none,
    _require_columns,
    _single_part,
    _split_listed_name,
)

# Columns every layout has (the 2016 API layout); ``_id`` and ``ids`` are optional.
_COLUMNS = (
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
)

# The list code in the ``source`` column -> (our list code, marker for effect_for).
_LISTS: dict[str, tuple[str, str | None]] = {
    "EL": ("us_bis_el", None),
    "MEU": ("us_bis_meu", None),
    "UVL": ("us_bis_uvl", None),
    "DPL": ("us_bis_dpl", None),
    "ISN": ("us_state_isn", None),
    "DTC": ("us_state_dtc", None),
    "SDN": ("us_ofac_sdn", None),
    "SSI": ("us_ofac_cons", None),
    "FSE": ("us_ofac_cons", "FSE"),
    "PLC": ("us_ofac_cons", "NS-PLC"),
    "CMIC": ("us_ofac_cons", "CMIC"),
    "MBS": ("us_ofac_cons", "MBS"),
    "CAP": ("us_ofac_cons", "CAPTA"),
    "CAPTA": ("us_ofac_cons", "CAPTA"),
}
_TREASURY = frozenset({"us_ofac_sdn", "us_ofac_cons"})
_PERSON_LEANING = frozenset({"us_bis_dpl", "us_state_dtc"})
_RELATION_LISTS = frozenset({"us_bis_el", "us_bis_meu", "us_bis_uvl"})
_TYPES = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
_PAREN = re.compile(r"\(([^()]+)\)")

# ``ids`` types (lower case) that are identifiers, by scheme.
_SCHEMES: dict[str, IdScheme] = {
    **dict.fromkeys(
        (
            "passport",
            "diplomatic passport",
            "travel document number",
        ),
        IdScheme.PASSPORT,
    ),
    **dict.fromkeys(
        (
            "national id no.",
            "personal id card",
            "identification number",
            "cedula no.",
            "c.u.r.p.",
            "d.n.i.",
            "kenyan id no.",
            "turkish identification number",
            "citizen's card number",
            "numero de identidad",
            "tazkira national id card",
            "bosnian personal id no.",
            "moroccan personal id no.",
            "national foreign id number",
            "ssn",
            "electoral registry no.",
            "credencial electoral",
            "residency number",
            "refugee id card",
            "birth certificate number",
            "i.f.e.",
            "c.u.i.p.",
            "driver's license no.",
        ),
        IdScheme.NATIONAL_ID,
    ),
    **dict.fromkeys(
        (
            "tax id no.",
            "r.f.c.",
            "rfc",
            "nit #",
            "ruc #",
            "c.u.i.t.",
            "c.u.i.",
            "v.a.t. number",
            "us fein",
            "c.i.f.",
            "italian fiscal code",
            "rif #",
            "paraguayan tax identification number",
            "numero unico de identificacao tributaria (nuit)",
        ),
        IdScheme.TAX_ID,
    ),
    **dict.fromkeys(
        (
            "registration number",
            "registration id",
            "company number",
            "uk company number",
            "business registration number",
            "business registration document #",
            "commercial registry number",
            "government gazette number",
            "certificate of incorporation number",
            "public registration number",
            "chamber of commerce number",
            "trade license no.",
            "c.r. no.",
            "folio mercantil no.",
            "matricula mercantil no",
            "enterprise number",
            "business number",
            "file number",
            "branch unit number",
            "d-u-n-s number",
            "central registration system number",
            "dubai chamber of commerce membership no.",
            "registered charity no.",
            "le number",
        ),
        IdScheme.REGISTRATION,
    ),
    "isin": IdScheme.ISIN,
    "equity ticker": IdScheme.TICKER,
    "unified social credit code (uscc)": IdScheme.USCC,
    "united social credit code certificate (usccc)": IdScheme.USCC,
    "swift/bic": IdScheme.SWIFT_BIC,
    "website": IdScheme.WEBSITE,
    "email address": IdScheme.EMAIL,
    "phone number": IdScheme.PHONE,
    "mmsi": IdScheme.MMSI,
    "vessel registration identification": IdScheme.IMO,
    "other vessel call sign": IdScheme.CALL_SIGN,
    "aircraft manufacturer's serial number (msn)": IdScheme.AIRCRAFT_SERIAL,
    "aircraft serial identification": IdScheme.AIRCRAFT_SERIAL,
    "aircraft construction number (also called l/n or s/n or f/n)": (
        IdScheme.AIRCRAFT_SERIAL
    ),
    "aircraft tail number": IdScheme.AIRCRAFT_TAIL,
    "previous aircraft tail number": IdScheme.AIRCRAFT_TAIL,
    "legal entity number": IdScheme.LEI,
}
_LISTING_DATES = {
    "listing date (cmic)": "listed_on",
    "effective date (cmic)": "effective_on",
    "purchase/sales for divestment date (cmic)": "divestment_on",
}
# Types known to be statements (kept as facts); they also help detect the item order.
_FACT_TYPES = frozenset(
    {
        "gender",
        "issuer name",
        "target type",
        "organization established date",
        "organization type:",
        "additional sanctions information -",
        "secondary sanctions risk:",
        "transactions prohibited for persons owned or controlled by u.s. financial "
        "institutions:",
        "executive order 13662 directive determination -",
        "executive order 13846 information:",
        "executive order 14024 directive information -",
        "nationality of registration",
        "former vessel flag",
        "aircraft model",
        "aircraft operator",
        "aircraft manufacture date",
    }
)
_ID_LIKE = re.compile(
    r"(?:\bno\b\.?|\bnumber\b|\bid\b|#|\bcode\b|\blicen[cs]e\b|\bcard\b|\bpassport\b|"
    r"\bregistration\b|\bdocument\b|\bpermit\b|\bcertificate\b)",
    re.IGNORECASE,
)
_COUNTRY2 = re.compile(r"[A-Z]{2}")
_ID_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]{2} \d{4}|[A-Z][a-z]{2} \d{4}"
)
_IMO = re.compile(r"IMO\s*(\d{7})")
_LEI = re.compile(r"[A-Z0-9]{18}\d{2}")
_COMPANY_TARGET = re.compile(r"company|enterprise", re.IGNORECASE)
_LINKED_TO = re.compile(r"Linked To:\s*([^;]+)")

# Entity List sub-units.
_SUBORDINATE = (
    re.compile(
        r"^(?P<parent>.+?)\.?\s+Subordinate Institution\s*-\s*\S", re.IGNORECASE
    ),
    re.compile(r"^(?P<parent>.+?),?\s+and subordinate entity\s+\S", re.IGNORECASE),
    re.compile(
        r"\(a subordinate (?:institute|institution|entity|unit) of (?P<parent>[^)]+)\)",
        re.IGNORECASE,
    ),
)
_LEGAL_FORM_ONLY = re.compile(
    r"(?:ltd|limited|llc|inc|co|corp|jsc|pjsc|ojsc|ooo|oao|ao|pao|zao|gmbh|plc|s\.?a|"
    r"ag|ab|pte\.? ltd)\.?",
    re.IGNORECASE,
)


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of one CSL CSV (any of the three layouts)."""
    part, data = _single_part(raw, ".csv")
    text = _decode(raw, part, data, report)
    header, records = _csv_records(raw, part, text, report)
    _require_columns(raw, part, header, _COLUMNS)
    rows = [(where, dict(zip(header, cells, strict=True))) for where, cells in records]
    type_first = _ids_type_first(row.get("ids", "") for _, row in rows)
    drafts = _Drafts(raw.source)
    lists: dict[str, tuple[str, str | None] | None] = {}
    pending: list[tuple[_Draft, str, str]] = []  # (draft, list code, primary name)
    for where, row in rows:
        value = row["source"]
        found = lists.get(value)
        if found is None and value not in lists:
            found = lists[value] = _list_of(value)
        if found is None:
            report.skip(where, f"unknown list in source column: {value!r}")
            continue
        code, marker = found
        if len(row["name"]) == 0:
            report.skip(where, "empty name")
            continue
        if code == "us_bis_dpl":
            _dpl_row(drafts, row, where, report, raw.source)
            continue
        draft = _entity_row(
            drafts, row, code, marker, where, report, raw.source, type_first
        )
        if draft is not None and code in _RELATION_LISTS:
            pending.append((draft, code, draft.primary))
    _add_parents(drafts, pending)
    yield from drafts.entities()


def _list_of(value: str) -> tuple[str, str | None] | None:
    """Our list code (and effect marker) for a ``source`` cell, long form or short code."""
    code = value.strip().upper()
    if code not in _LISTS:
        groups = _PAREN.findall(value)
        if len(groups) == 0:
            return None
        code = groups[-1].strip().upper().removesuffix(" LIST").removeprefix("NS-")
    return _LISTS.get(code)


def _split(text: str) -> list[str]:
    if len(text) == 0:
        return []
    return [p for p in (p.strip() for p in text.split(";")) if len(p) > 0]


def _addresses(text: str) -> list[Address]:
    """``; ``-separated addresses; a final two-letter part is the ISO country code."""
    result = []
    for piece in _split(text):
        # Entity List addresses sometimes keep a leading "and " after splitting
        item = _clean_alias(piece)
        if len(item) == 0:
            continue
        last = item.rsplit(",", 1)[-1].strip()
        country = None
        name = None
        if _COUNTRY2.fullmatch(last) is not None:
            country = country_code(last)
            name = last
        result.append(Address(item, country=country, country_name=name))
    return result


def _dpl_row(
    drafts: _Drafts, row: dict[str, str], where: str, report: ParseReport, via: str
) -> None:
    facts: list[Fact] = []
    effective = _date_or_fact(row["start_date"], "Start date", where, report, facts)
    end = row["end_date"]
    expires: str | None = None
    if len(end) > 0:
        parsed = _date_or_fact(end, "Denial expires", where, report, [])
        expires = end if parsed is None else parsed.isoformat()
    _add_dpl(
        drafts,
        name=row["name"],
        addresses=_addresses(row["addresses"]),
        effective=effective,
        expires=expires,
        standard_order=row["standard_order"],
        action=row["remarks"],  # the CSL puts DPL's Action column in remarks
        last_update="",
        fr_text=row["federal_register_notice"],
        list_url=_or_none(row["source_list_url"]),
        via=via,
        extra_facts=facts,
    )


def _entity_row(
    drafts: _Drafts,
    row: dict[str, str],
    code: str,
    marker: str | None,
    where: str,
    report: ParseReport,
    via: str,
    type_first: bool,
) -> _Draft | None:
    kind = row["type"].lower()
    schema = _TYPES.get(kind)
    if schema is None and len(kind) > 0:
        report.warn(where, f"unknown type {row['type']!r}; read as an organisation")
        schema = Schema.ORGANIZATION
    authority_ref: str | None = None
    if code in _TREASURY:
        ent_num = row["entity_number"]
        if len(ent_num) == 0:
            ent_num = row.get("_id", "")
        if not ent_num.isdigit():
            report.skip(
                where, f"Treasury row without an OFAC entity number: {ent_num!r}"
            )
            return None
        authority_ref = ent_num
        listed = _ListedName(" ".join(row["name"].split()))
        entity_id = f"{code}:{ent_num}"
        if schema is None:
            schema = Schema.ORGANIZATION
    else:
        listed = _split_listed_name(row["name"])
        entity_id = _derived(code, listed.primary)
        if schema is None:
            schema = _guess_schema(
                listed.primary,
                person_leaning=code in _PERSON_LEANING,
                individual=listed.individual,
            )
    draft = drafts.get(entity_id, schema)
    draft.add_listed_name(listed)
    for alias in _split(row["alt_names"]):
        draft.add_name(_clean_alias(alias), NameKind.ALIAS)

    facts: list[Fact] = []
    dates: dict[str, date] = {}
    if "ids" in row:
        _ids(draft, row.get("ids", ""), type_first, dates, where, report)
    listed_on = _date_or_fact(row["start_date"], "Start date", where, report, facts)
    if listed_on is None:
        listed_on = dates.get("listed_on")
    programs = tuple(_split(row["programs"]))
    lookup = programs if marker is None else (*programs, marker)
    citations, residue = _fr_citations(row["federal_register_notice"])
    if residue:
        facts.append(
            Fact("Federal Register (as listed)", row["federal_register_notice"])
        )
    draft.add_listing(
        Listing(
            source=code,
            authority=list_info(code).authority,
            legal_effect=effect_for(code, lookup),
            authority_ref=authority_ref,
            programs=programs,
            listed_on=listed_on,
            effective_on=dates.get("effective_on"),
            divestment_on=dates.get("divestment_on"),
            federal_register=citations,
            licence_requirement=_or_none(row["license_requirement"]),
            licence_policy=_or_none(row["license_policy"]),
            list_url=_or_none(row["source_list_url"]),
            via=via,
        )
    )
    end = row["end_date"]
    if len(end) > 0:
        parsed = _date_or_fact(end, "End date", where, report, facts)
        if parsed is not None:
            facts.append(Fact("End date", parsed.isoformat()))
    for address in _addresses(row["addresses"]):
        draft.add_address(address)
    for title in _split(row["title"]):
        draft.add_title(title)
    for value in _split(row["dates_of_birth"]):
        birth = parse_partial_date(value)
        if birth is None:
            report.warn(where, f"unparseable date of birth {value!r}")
            facts.append(Fact("Date of birth", value))
        else:
            draft.add_birth_date(birth)
    for value in _split(row["places_of_birth"]):
        draft.add_birth_place(value)
    for column, label in (
        ("nationalities", "Nationality"),
        ("citizenships", "Citizenship"),
    ):
        for value in _split(row[column]):
            iso = country_code(value)
            if iso is None:
                facts.append(Fact(label, value))
            elif column == "nationalities":
                draft.add_nationality(iso)
            else:
                draft.add_citizenship(iso)
    if len(row["call_sign"]) > 0:
        draft.add_identifier(
            Identifier(IdScheme.CALL_SIGN, row["call_sign"], label="Call Sign")
        )
    vessel = VesselInfo(
        vessel_type=_or_none(row["vessel_type"]),
        flag=_or_none(row["vessel_flag"]),
        owner=_or_none(row["vessel_owner"]),
        tonnage=_or_none(row["gross_tonnage"]),
        gross_registered_tonnage=_or_none(row["gross_registered_tonnage"]),
    )
    if vessel != VesselInfo() and draft.vessel is None:
        draft.vessel = vessel
    draft.add_fact("Standard order", row["standard_order"])
    draft.add_remark(row["remarks"])
    for target in _linked_to(row["remarks"]):
        draft.add_relation(Relation("linked_to", target))
    for fact in facts:
        draft.add_fact(fact.label, fact.value)
    return draft


def _linked_to(remarks: str) -> list[str]:
    """Targets of OFAC's ``(Linked To: X)`` remarks."""
    if "Linked To" not in remarks:
        return []
    targets = []
    for match in _LINKED_TO.finditer(remarks):
        target = match.group(1).strip().rstrip(".").strip()
        while target.endswith(")") and target.count(")") > target.count("("):
            target = target[:-1].rstrip().rstrip(".")
        if len(target) > 0:
            targets.append(target)
    return targets


def _ids_type_first(cells: Iterable[str]) -> bool:
    """Whether ``ids`` items put the type first (2023 on) or last (2019-2022)."""
    first = last = 0
    known = _SCHEMES.keys() | _FACT_TYPES | _LISTING_DATES.keys()
    for cell in cells:
        for item in _split(cell):
            parts = item.split(", ")
            if parts[0].lower() in known:
                first += 1
            if parts[-1].lower() in known:
                last += 1
        if first + last > 200:
            break
    return first > last


def _ids(
    draft: _Draft,
    cell: str,
    type_first: bool,
    dates: dict[str, date],
    where: str,
    report: ParseReport,
) -> None:
    for item in _split(cell):
        parts = [p.strip() for p in item.split(", ")]
        if len(parts) < 2:
            draft.add_fact("Identification", item)
            continue
        label, rest = (parts[0], parts[1:]) if type_first else (parts[-1], parts[:-1])
        key = label.lower()
        field = _LISTING_DATES.get(key)
        if field is not None:
            value = ", ".join(rest)
            when = parse_full_date(value)
            if when is None:
                report.warn(where, f"unparseable {label} {value!r}")
                draft.add_fact(label, value)
            else:
                dates.setdefault(field, when)
            continue
        if key == "gender":
            draft.gender = ", ".join(rest).lower()
            continue
        scheme = _SCHEMES.get(key)
        if scheme is None and key.startswith("digital currency address"):
            scheme = IdScheme.CRYPTO_WALLET
        if (
            scheme is None
            and key not in _FACT_TYPES
            and _ID_LIKE.search(key) is not None
        ):
            scheme = IdScheme.OTHER
        if scheme is None:
            value = ", ".join(rest)
            draft.add_fact(label.rstrip(" :-"), value)
            if key == "target type" and _COMPANY_TARGET.search(value) is not None:
                draft.company = True
            continue
        main, others = (rest[0], rest[1:]) if type_first else (rest[-1], rest[:-1])
        country: str | None = None
        extra: list[str] = []
        id_dates: list[str] = []
        for piece in others:
            iso = None
            if country is None and _COUNTRY2.fullmatch(piece) is not None:
                iso = country_code(piece)
            if iso is not None:
                country = iso
            elif _ID_DATE.fullmatch(piece) is not None:
                partial = parse_partial_date(piece)
                id_dates.append(piece if partial is None else partial.iso())
            else:
                extra.append(piece)
        value = ", ".join([main, *extra] if type_first else [*extra, main])
        if len(value) == 0:
            draft.add_fact(label, item)
            continue
        if scheme is IdScheme.IMO:
            match = _IMO.fullmatch(value)
            if match is None:
                scheme = IdScheme.OTHER
            else:
                value = match.group(1)
        elif scheme is IdScheme.LEI and _LEI.fullmatch(value) is None:
            scheme = IdScheme.REGISTRATION
        note = None if len(id_dates) == 0 else "dates: " + ", ".join(id_dates)
        draft.add_identifier(Identifier(scheme, value, country, label, note))


def _add_parents(drafts: _Drafts, pending: list[tuple[_Draft, str, str]]) -> None:
    """Entity List sub-units -> ``Relation("part_of", parent)``, linked when listed."""
    if len(pending) == 0:
        return
    listed: dict[tuple[str, str], _Draft] = {}
    for draft, code, primary in pending:
        listed.setdefault((code, _name_key(primary)), draft)
    for draft, code, primary in pending:
        parent: str | None = None
        for pattern in _SUBORDINATE:
            match = pattern.search(primary)
            if match is not None:
                parent = match.group("parent").strip(" ,.")
                break
        if parent is None:
            # "Academy of Military Medical Sciences, Institute of Basic Medicine": the
            # longest comma-prefix that is itself a listed entry.
            cut = primary.rfind(", ")
            while cut > 0:
                head, tail = primary[:cut], primary[cut + 2 :]
                target = listed.get((code, _name_key(head)))
                if (
                    target is not None
                    and target is not draft
                    and _LEGAL_FORM_ONLY.fullmatch(tail.strip()) is None
                ):
                    parent = head
                    break
                cut = primary.rfind(", ", 0, cut)
            if parent is None:
                continue
        target = listed.get((code, _name_key(parent)))
        if target is draft:
            continue
        draft.add_relation(
            Relation(
                "part_of",
                parent if target is None else target.primary,
                None if target is None else target.entity_id,
            )
        )
