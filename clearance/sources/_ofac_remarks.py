"""OFAC remarks as typed fields, shared by the legacy CSV and the classic XML parsers.

OFAC writes everything its flat files have no column for into one ``Remarks`` cell of
``; ``-separated items, each opened by a label: ``DOB 03 May 1938; POB Giza, Egypt;
Passport 1084010 (Egypt); ISIN CNE100001TW7; a.k.a. 'SUGON'; Linked To: HAMAS.`` The classic
XML puts most of the same labels in ``idList/id/idType``. One table (``_RULES``) maps each
label to what it means; an item is matched by its longest known label (after an optional
``alt.``), and anything unrecognised is kept as ``Fact("remark", item)``, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum, auto
from typing import TypeVar

from clearance.model import (
    Fact,
    Identifier,
    IdScheme,
    Name,
    NameKind,
    PartialDate,
    Relation,
    make_name,
    parse_full_date,
    parse_partial_date,
)
from clearance.normalize import country_code

_T = TypeVar("_T")

REMARKS_LIMIT = 1000  # OFAC cuts the Remarks cell here; the rest is in *_comments.csv


class _Kind(Enum):
    IDENT = (
        auto()
    )  # an identifier: value, optional "(Country)", "issued"/"expires" notes
    CRYPTO = auto()  # "Digital Currency Address - XBT <address>"
    DOB = auto()
    POB = auto()
    NATIONALITY = auto()
    CITIZEN = auto()
    GENDER = auto()
    AKA = auto()  # a.k.a. in remarks: OFAC's weak aliases
    FKA = auto()
    NKA = auto()
    LINKED = auto()
    LISTED = auto()  # NS-CMIC listing date -> Listing.listed_on
    EFFECTIVE = auto()  # NS-CMIC effective date -> Listing.effective_on
    DIVESTMENT = auto()  # NS-CMIC divestment date -> Listing.divestment_on
    BUILT = auto()  # vessel year of build -> VesselInfo.built
    FACT = auto()  # a labelled value kept as a Fact
    LONG_FACT = auto()  # a Fact whose label runs to the first ": " or " - "
    COMPANY_FACT = (
        auto()
    )  # a Fact that may mark a company ("Target Type Public Company")


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: _Kind
    scheme: IdScheme = IdScheme.OTHER


def _ids(scheme: IdScheme, *labels: str) -> dict[str, _Rule]:
    return {label.lower(): _Rule(_Kind.IDENT, scheme) for label in labels}


def _kind(kind: _Kind, *labels: str) -> dict[str, _Rule]:
    return {label.lower(): _Rule(kind) for label in labels}


# Labels as OFAC writes them (remark items and classic-XML idTypes), matched case-insensitively.
# The ID document types come from the Enhanced XML's "ID DOCUMENT TYPE" reference values.
_RULES: dict[str, _Rule] = {
    **_ids(
        IdScheme.PASSPORT,
        "Passport",
        "Diplomatic Passport",
        "British National Overseas Passport",
        "Stateless Person Passport",
        "Travel Document Number",
        "Passport No.",
    ),
    **_ids(
        IdScheme.NATIONAL_ID,
        "National ID No.",
        "Cedula No.",
        "D.N.I.",
        "C.U.R.P.",
        "C.U.R.P. #",
        "SSN",
        "N.I.E.",
        "Identification Number",
        "Personal ID Card",
        "Kenyan ID No.",
        "Bosnian Personal ID No.",
        "Moroccan Personal ID No.",
        "Turkish Identification Number",
        "Turkish Identificiation Number",  # sic, OFAC's spelling in some remarks
        "CNP (Personal Numerical Code)",
        "Citizen's Card Number",
        "UAE Identification",
        "C.I.N.",
        "C.U.I.P.",
        "Electoral Registry No.",
        "Credencial electoral",
        "I.F.E.",
        "National Foreign ID Number",
        "Numero de Identidad",
        "Tazkira National ID Card",
        "Stateless Person ID Card",
        "Refugee ID Card",
        "Residency Number",
        "Romanian Permanent Resident",
        "Birth Certificate Number",
        "Public Security and Immigration No.",
        "Immigration No.",
    ),
    **_ids(
        IdScheme.TAX_ID,
        "Tax ID No.",
        "R.F.C.",
        "R.F.C. #",
        "RFC",
        "NIT #",
        "RUC #",
        "RIF #",
        "C.I.F.",
        "N.I.F.",
        "C.U.I.T.",
        "C.U.I.",
        "US FEIN",
        "V.A.T. Number",
        "Italian Fiscal Code",
        "Fiscal Code",
        "Paraguayan tax identification number",
        "Romanian Tax Registration",
        "Numero Unico de Identificacao Tributaria (NUIT)",
        "RTN",
        "RSIN",
    ),
    **_ids(
        IdScheme.REGISTRATION,
        "Registration Number",
        "Registration ID",
        "Business Registration Number",
        "Business Registration Document #",
        "Business Number",
        "Company Number",
        "UK Company Number",
        "Commercial Registry Number",
        "C.R. No.",
        "Romanian C.R.",
        "Government Gazette Number",
        "Public Registration Number",
        "Folio Mercantil No.",
        "Matricula Mercantil No",
        "Trade License No.",
        "Chamber of Commerce Number",
        "Istanbul Chamber of Comm. No.",
        "Dubai Chamber of Commerce Membership No.",
        "Certificate of Incorporation Number",
        "Registration Certificate Number (Dubai)",
        "Central Registration System Number",
        "Economic Register Number (CBLS)",
        "Enterprise Number",
        "Branch Unit Number",
        "Registered Charity No.",
        "MSB Registration Number",
        "Chinese Commercial Code",
        "Organization Code",
        "D-U-N-S Number",
        "Russian State Individual Business Registration Number Pattern (OGRNIP)",
        "LE Number",
    ),
    **_ids(
        IdScheme.USCC,
        "Unified Social Credit Code (USCC)",
        "United Social Credit Code Certificate (USCCC)",
    ),
    **_ids(IdScheme.ISIN, "ISIN"),
    **_ids(IdScheme.TICKER, "Equity Ticker"),
    **_ids(IdScheme.LEI, "Legal Entity Number", "LEI"),
    **_ids(IdScheme.SWIFT_BIC, "SWIFT/BIC"),
    **_ids(IdScheme.WEBSITE, "Website"),
    **_ids(IdScheme.EMAIL, "Email Address", "Email"),
    **_ids(
        IdScheme.PHONE,
        "Telephone",
        "Telephone No.",
        "Telephone Number",
        "Phone",
        "Phone Number",
        "Phone No.",
        "Fax",
        "Fax No.",
        "Fax Number",
    ),
    **_ids(IdScheme.IMO, "Vessel Registration Identification", "IMO"),
    **_ids(IdScheme.MMSI, "MMSI"),
    **_ids(IdScheme.CALL_SIGN, "Call Sign", "Other Vessel Call Sign"),
    **_ids(
        IdScheme.AIRCRAFT_SERIAL,
        "Aircraft Manufacturer's Serial Number (MSN)",
        "Aircraft Construction Number (also called L/N or S/N or F/N)",
        "Aircraft Serial Identification",
    ),
    **_ids(
        IdScheme.AIRCRAFT_TAIL, "Aircraft Tail Number", "Previous Aircraft Tail Number"
    ),
    **_ids(
        IdScheme.OTHER,
        "Driver's License No.",
        "Pilot License Number",
        "Seafarer's Identification Document",
        "SRE Permit No.",
        "Permit Number",
        "VisaNumberID",
        "Serial No.",
        "License",
        "Tourism License No.",
        "Afghan Money Service Provider License Number",
        "Cartilla de Servicio Militar Nacional",
        "Military Registration Number",
        "File Number",
        "Trademark number",
        "Global Intermediary Identification Number",
        "BIK (RU)",
        "Aircraft Mode S Transponder Code",
    ),
    **_kind(_Kind.CRYPTO, "Digital Currency Address"),
    **_kind(_Kind.DOB, "DOB"),
    **_kind(_Kind.POB, "POB"),
    **_kind(_Kind.NATIONALITY, "nationality"),
    **_kind(_Kind.CITIZEN, "citizen"),
    **_kind(_Kind.GENDER, "Gender"),
    **_kind(_Kind.AKA, "a.k.a."),
    **_kind(_Kind.FKA, "f.k.a."),
    **_kind(_Kind.NKA, "n.k.a."),
    **_kind(_Kind.LINKED, "Linked To"),
    **_kind(_Kind.LISTED, "Listing Date (CMIC)", "Listing Date (CCMC)"),
    **_kind(_Kind.EFFECTIVE, "Effective Date (CMIC)", "Effective Date (CCMC)"),
    **_kind(
        _Kind.DIVESTMENT,
        "Purchase/Sales For Divestment Date (CMIC)",
        "Divestment Date (CCMC)",
        "Purchase/Sales For Divestment Date (CCMC)",
    ),
    **_kind(_Kind.BUILT, "Vessel Year of Build"),
    **_kind(
        _Kind.FACT,
        "Issuer Name",
        "Organization Established Date",
        "Organization Type",
        "Aircraft Manufacture Date",
        "Aircraft Model",
        "Aircraft Operator",
        "Former Vessel Flag",
        "Other Vessel Flag",
        "Other Vessel Type",
        "Nationality of Registration",
        "Secondary sanctions risk",
        "Additional Sanctions Information",
        "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial "
        "Institutions",
        "PEESA Information",
        "IFCA Determination",
        "UN/LOCODE",
        "Executive Order 14024 Directive Information",
        "Executive Order 14014 Directive Information",
        "Registration Country",
    ),
    **_kind(_Kind.COMPANY_FACT, "Target Type"),
    **_kind(
        _Kind.LONG_FACT,
        "Executive Order",
        "CAATSA Section",
        "Listing Date",
        "Effective Date",
        "For more information",
        "For more information,",
    ),
}
_MAX_WORDS = max(len(label.split(" ")) for label in _RULES)
_FACT_KINDS = frozenset({_Kind.FACT, _Kind.LONG_FACT, _Kind.COMPANY_FACT})

# "Target Type" values that make an organisation a Company.
_COMPANY_TARGETS = frozenset(
    {
        "public company",
        "private company",
        "state-owned enterprise",
        "financial institution",
    }
)
# Identifier schemes that make an organisation a Company (house convention).
COMPANY_SCHEMES = frozenset(
    {IdScheme.ISIN, IdScheme.TICKER, IdScheme.USCC, IdScheme.REGISTRATION}
)

_ALT = re.compile(r"^alt\.\s+", re.IGNORECASE)
_IDENT_REST = re.compile(
    r"^(?P<value>.+?)(?P<parens>(?:\s+\([^()]*\))*)"
    r"(?:\s+(?P<notes>(?:issued|expires)\b.*))?$"
)
_PAREN = re.compile(r"\(([^()]*)\)")
_IMO_VALUE = re.compile(r"^IMO\s*(\d{7})$", re.IGNORECASE)
_DATE_RANGE = re.compile(
    r"^(?P<circa>circa\s+)?(?P<start>.+?)\s+to\s+(?P<end>.+)$", re.I
)
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]{1,4}\.)*[A-Za-z]{1,4}$")  # Ltd, S.A, C.V
_GIVEN_NAME = re.compile(r"^[A-Z][a-z]")
_LONG_SEP = re.compile(r":\s+|\s+-\s+|:$")
# A "Linked To:" name closing the remarks loses its own final dot to OFAC's closing period.
# Restored when the last word is dotted ("S.A", "C.V": 346 of 351 targets in the 2019/2021
# SDN and 2025 Consolidated sets) or one of these; "LTD" and "CO" go either way (~50/50)
# and stay without.
_DOTTED_ENDINGS = frozenset({"LTDA", "INC", "C"})


@dataclass(frozen=True, slots=True)
class RemarkFields:
    """What the remark items (or classic-XML id items) say, sorted into model fields.

    ``problems`` lists texts that looked typed but did not parse (e.g. a bad date); the
    caller reports them with its own location. Their raw text is also kept in ``facts``.
    """

    names: tuple[Name, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    birth_dates: tuple[PartialDate, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    citizenships: tuple[str, ...] = ()
    gender: str | None = None
    relations: tuple[Relation, ...] = ()
    facts: tuple[Fact, ...] = ()
    listed_on: date | None = None
    effective_on: date | None = None
    divestment_on: date | None = None
    vessel_built: str | None = None
    # carries a company marker (a company Target Type or company identifiers)
    company: bool = False
    problems: tuple[str, ...] = ()


def split_items(text: str) -> list[str]:
    """The ``; ``-separated items of a remarks text, without the closing period."""
    body = text.strip()
    if body.endswith("."):
        body = body[:-1]
    return [item.strip() for item in body.split("; ") if len(item.strip()) > 0]


def country_or_text(text: str) -> str:
    """ISO alpha-2 code of a country name where resolvable, else the list's own wording."""
    code = country_code(text)
    return text.strip() if code is None else code


def parse_birth_date(text: str) -> PartialDate | None:
    """An OFAC DOB: ``03 May 1938``, ``1966``, ``Jan 1966``, ``circa 1966``, ranges."""
    value = text.strip().rstrip(".").strip()
    single = parse_partial_date(value)
    if single is not None:
        return single
    match = _DATE_RANGE.match(value)
    if match is None:
        return None
    start = parse_partial_date(match.group("start"))
    end = parse_partial_date(match.group("end"))
    if start is None or end is None or end.year < start.year:
        return None
    if start.year == end.year:  # "Jan 1966 to Mar 1966": known to the year
        return PartialDate(start.year, circa=match.group("circa") is not None)
    return PartialDate(
        start.year, circa=match.group("circa") is not None, until_year=end.year
    )


class RemarkBuilder:
    """Collects typed fields from remark items and labelled values, then ``build()``s."""

    def __init__(self) -> None:
        self._names: list[Name] = []
        self._identifiers: list[Identifier] = []
        self._birth_dates: list[PartialDate] = []
        self._birth_places: list[str] = []
        self._nationalities: list[str] = []
        self._citizenships: list[str] = []
        self._gender: str | None = None
        self._relations: list[Relation] = []
        self._facts: list[Fact] = []
        self._listed_on: date | None = None
        self._effective_on: date | None = None
        self._divestment_on: date | None = None
        self._vessel_built: str | None = None
        self._company = False
        self._problems: list[str] = []

    def add_remarks(self, text: str, *, truncated: bool = False) -> None:
        """Add every item of a remarks text.

        Args:
            text: the remarks as written (comments continuation already appended).
            truncated: the text was cut at OFAC's 1,000-character limit with no
                continuation, so its last item is kept verbatim rather than typed.
        """
        items = split_items(text)
        last = len(items) - 1
        for index, item in enumerate(items):
            if truncated and index == last:
                self._facts.append(Fact("remark (truncated)", item))
                continue
            self.add_item(item, closing=index == last and text.rstrip().endswith("."))

    def add_item(self, item: str, *, closing: bool = False) -> None:
        """Add one remark item such as ``Passport 1084010 (Egypt)``.

        Args:
            item: the item text.
            closing: the item ended the remarks and lost OFAC's closing period, which
                a ``Linked To:`` name ending in an abbreviation needs back.
        """
        body = item.strip()
        if body.startswith("(") and body.endswith(")"):
            # classic XML: "(Linked To: NATIONAL IRANIAN TANKER COMPANY)"
            body = body[1:-1].strip()
        body = _ALT.sub("", body)
        found = _match_label(body)
        if found is None:
            self._facts.append(Fact("remark", item.strip()))
            return
        label, rule, rest = found
        self._apply(label, rule, rest, item.strip(), closing)

    def add_labelled(
        self,
        label: str,
        value: str,
        country_name: str | None = None,
        notes: tuple[str, ...] = (),
        *,
        unknown_as_fact: bool = False,
    ) -> None:
        """Add a value OFAC gives with a separate label (XML ``idType``, feature type).

        Args:
            label: OFAC's label, e.g. ``Passport`` or ``Secondary sanctions risk:``.
            value: the value as written.
            country_name: the issuing country where the file gives it apart.
            notes: e.g. ``("issued 2008",)``, kept on an identifier.
            unknown_as_fact: keep an unknown label as a ``Fact`` rather than an
                ``IdScheme.OTHER`` identifier (Enhanced XML features are attributes).
        """
        clean_label = label.strip().rstrip(":-").strip()
        value = value.strip()
        rule = _RULES.get(clean_label.lower())
        if rule is None:
            # "Executive Order 13662 Directive Determination -", "Digital Currency
            # Address - XBT": a known label opening a longer one
            found = _match_label(clean_label)
            if found is not None and found[1].kind in (*_FACT_KINDS, _Kind.CRYPTO):
                rule = found[1]
        if rule is None:
            if unknown_as_fact:
                self._facts.append(_fact(clean_label, value))
                return
            self._identifiers.append(
                Identifier(
                    IdScheme.OTHER,
                    value,
                    _country(country_name),
                    clean_label,
                    _join_notes(notes),
                )
            )
        elif rule.kind is _Kind.IDENT:
            # classic XML sometimes leaves the country in the number: "1026303117642 (Russia)"
            self._ident_from_text(rule.scheme, clean_label, value, country_name, notes)
        elif rule.kind is _Kind.CRYPTO:
            self._identifiers.append(
                Identifier(IdScheme.CRYPTO_WALLET, value, None, clean_label)
            )
        elif rule.kind in _FACT_KINDS:
            if rule.kind is _Kind.COMPANY_FACT and value.lower() in _COMPANY_TARGETS:
                self._company = True
            self._facts.append(_fact(clean_label, value))
        else:
            self._apply(clean_label, rule, value, f"{clean_label} {value}", False)

    def build(self) -> RemarkFields:
        return RemarkFields(
            names=tuple(_unique(self._names)),
            identifiers=tuple(_unique(self._identifiers)),
            birth_dates=tuple(_unique(self._birth_dates)),
            birth_places=tuple(_unique(self._birth_places)),
            nationalities=tuple(_unique(self._nationalities)),
            citizenships=tuple(_unique(self._citizenships)),
            gender=self._gender,
            relations=tuple(_unique(self._relations)),
            facts=tuple(_unique(self._facts)),
            listed_on=self._listed_on,
            effective_on=self._effective_on,
            divestment_on=self._divestment_on,
            vessel_built=self._vessel_built,
            company=self._company
            or any(i.scheme in COMPANY_SCHEMES for i in self._identifiers),
            problems=tuple(self._problems),
        )

    def _apply(
        self, label: str, rule: _Rule, rest: str, item: str, closing: bool
    ) -> None:
        kind = rule.kind
        if kind is _Kind.IDENT:
            self._ident_from_text(rule.scheme, label, rest)
        elif kind is _Kind.CRYPTO:
            self._crypto(label, rest)
        elif kind is _Kind.DOB:
            self._birth_date(rest)
        elif kind is _Kind.POB:
            if len(rest) > 0:
                self._birth_places.append(rest)
        elif kind is _Kind.NATIONALITY:
            self._nationalities.append(country_or_text(rest))
        elif kind is _Kind.CITIZEN:
            self._citizenships.append(country_or_text(rest))
        elif kind is _Kind.GENDER:
            self._gender = rest.lower()
        elif kind in (_Kind.AKA, _Kind.FKA, _Kind.NKA):
            self._alias(kind, rest)
        elif kind is _Kind.LINKED:
            self._linked(rest, closing)
        elif kind in (_Kind.LISTED, _Kind.EFFECTIVE, _Kind.DIVESTMENT):
            self._listing_date(kind, label, rest)
        elif kind is _Kind.BUILT:
            self._vessel_built = rest
        elif kind is _Kind.LONG_FACT:
            self._long_fact(item, label)
        else:
            if kind is _Kind.COMPANY_FACT and rest.lower() in _COMPANY_TARGETS:
                self._company = True
            self._facts.append(_fact(label, rest))

    def _ident_from_text(
        self,
        scheme: IdScheme,
        label: str,
        rest: str,
        country_name: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        """An identifier from ``<value> [(Place)] (Country) [issued ...] [expires ...]``."""
        match = _IDENT_REST.match(rest)
        if match is None:  # empty value
            self._facts.append(Fact(label, rest))
            return
        found: str | None = None
        extra: list[str] = []
        for part in _PAREN.findall(match.group("parens")):
            if country_code(part) is None:
                extra.append(part)  # "(Connecticut) (United States)": a place, kept
                continue
            if found is not None:
                extra.append(found)
            found = part
        if match.group("notes") is not None:
            extra.append(match.group("notes"))
        self._add_identifier(
            scheme,
            label,
            match.group("value"),
            found if country_name is None else country_name,
            (*notes, *extra),
        )

    def _add_identifier(
        self,
        scheme: IdScheme,
        label: str,
        value: str,
        country_name: str | None,
        notes: tuple[str, ...],
    ) -> None:
        imo = _IMO_VALUE.match(value)
        if imo is not None:  # "Vessel Registration Identification IMO 9486910"
            scheme, value = IdScheme.IMO, imo.group(1)
        self._identifiers.append(
            Identifier(scheme, value, _country(country_name), label, _join_notes(notes))
        )

    def _crypto(self, label: str, rest: str) -> None:
        body = rest.lstrip("-: ").strip()
        currency, _, address = body.partition(" ")
        if len(address) == 0:
            self._facts.append(Fact(label, rest))
            return
        self._identifiers.append(
            Identifier(
                IdScheme.CRYPTO_WALLET, address.strip(), None, f"{label} - {currency}"
            )
        )

    def _birth_date(self, rest: str) -> None:
        parsed = parse_birth_date(rest)
        if parsed is None:
            self._problems.append(f"unparseable date of birth {rest!r}")
            self._facts.append(Fact("DOB", rest))
            return
        self._birth_dates.append(parsed)

    def _alias(self, kind: _Kind, rest: str) -> None:
        text = rest.strip()
        if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
            text = text[1:-1]
        name_kind = {
            _Kind.AKA: NameKind.WEAK,
            _Kind.FKA: NameKind.FORMER,
            _Kind.NKA: NameKind.ALIAS,
        }[kind]
        values = [v for v in text.split("', '") if len(v.strip()) > 0]
        if len(values) == 2 and _GIVEN_NAME.match(values[1]) is not None:
            # "a.k.a. 'ABU-AL-KARKH', 'Yusuf'" (SDN 11177): one name, SURNAME, Given,
            # quoted in two halves; OFAC writes given names in mixed case
            values = [f"{values[0]}, {values[1]}"]
        for value in values:
            self._names.append(make_name(value, name_kind))

    def _linked(self, rest: str, closing: bool) -> None:
        name = rest.lstrip(":").strip()
        if len(name) == 0:
            return
        if closing and _lost_final_dot(name):
            name += "."
        self._relations.append(Relation("linked_to", name))

    def _listing_date(self, kind: _Kind, label: str, rest: str) -> None:
        value = rest.lstrip(":").strip()
        parsed = parse_full_date(value)
        if parsed is None:
            self._problems.append(f"unparseable {label} {value!r}")
            self._facts.append(Fact(label, value))
            return
        if kind is _Kind.LISTED:
            self._listed_on = parsed
        elif kind is _Kind.EFFECTIVE:
            self._effective_on = parsed
        else:
            self._divestment_on = parsed

    def _long_fact(self, item: str, label: str) -> None:
        body = _ALT.sub("", item)
        match = _LONG_SEP.search(body, len(label))
        if match is None:
            self._facts.append(_fact(label, body[len(label) :].strip()))
            return
        self._facts.append(
            _fact(body[: match.start()].strip(), body[match.end() :].strip())
        )


def parse_remarks(text: str | None, *, truncated: bool = False) -> RemarkFields:
    """Typed fields of one remarks text (``None``/empty gives an empty result)."""
    builder = RemarkBuilder()
    if text is not None and len(text.strip()) > 0:
        builder.add_remarks(text, truncated=truncated)
    return builder.build()


def _match_label(body: str) -> tuple[str, _Rule, str] | None:
    """The longest known label opening ``body``: (label as written, rule, the rest)."""
    words = body.split(" ")
    for size in range(min(len(words), _MAX_WORDS), 0, -1):
        head = " ".join(words[:size])
        key = head.rstrip(":").lower()
        rule = _RULES.get(key)
        if rule is None:
            continue
        rest = " ".join(words[size:]).strip()
        if rule.kind not in (_Kind.CRYPTO, _Kind.LONG_FACT):
            rest = rest.lstrip(":").strip()
            if rest.startswith("- "):
                rest = rest[2:].strip()
        return head.rstrip(":"), rule, rest
    return None


def unique_names(names: list[Name]) -> tuple[Name, ...]:
    """Names in order without repeats; a name already listed keeps its first kind."""
    seen: set[str] = set()
    kept: list[Name] = []
    for name in names:
        if name.value not in seen:
            seen.add(name.value)
            kept.append(name)
    return tuple(kept)


def _fact(label: str, value: str) -> Fact:
    """A labelled fact; a closing period is dropped, as the files end items either way,
    unless it closes an abbreviation ("Co., Ltd.", "S.A.")."""
    text = value.strip()
    if text.endswith("."):
        if _ABBREVIATION.match(text[:-1].rsplit(" ", 1)[-1]) is None:
            text = text[:-1]
    return Fact(label, text)


def _country(name: str | None) -> str | None:
    return None if name is None else country_code(name)


def _join_notes(notes: tuple[str, ...]) -> str | None:
    parts = [n.strip() for n in notes if len(n.strip()) > 0]
    return "; ".join(parts) if len(parts) > 0 else None


def _lost_final_dot(name: str) -> bool:
    last = name.rsplit(" ", 1)[-1].rstrip(",")
    return "." in last or last.upper() in _DOTTED_ENDINGS


def _unique(values: list[_T]) -> list[_T]:
    seen: set[_T] = set()
    kept: list[_T] = []
    for value in values:
        if value not in seen:
            seen.add(value)
            kept.append(value)
    return kept
