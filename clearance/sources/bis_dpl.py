"""BIS Denied Persons List (``dpl.txt``), and the toolkit the US list parsers share.

The file is tab-separated with every field quoted and a header row: ``Name, Street_Address,
City, State, Country, Postal_Code, Effective_Date, Expiration_Date, Standard_Order,
Last_Update, Action, FR_Citation``; dates are MM/DD/YYYY and there are no entry IDs.

The one idea: BIS writes one row per (party, address), so a party at three addresses is
three rows. Rows whose names agree under ``_name_key`` (normalised, order-insensitive:
" I. ASH", "I. ASH" and the CSL's "ASH, I." agree) are one entity with id
``derived_id("us_bis_dpl", _name_key(primary))``. The name alone decides, never an
address, so the id survives address changes between list versions. Its listings are
grouped by effective date (one listing per denial order, Federal Register citations
unioned); addresses and facts are unioned. The trade.gov CSL's DPL rows go through the same
``_add_dpl`` and so give the same ids and the same entities.

Expiration_Date is the end of the denial, not a delisting: it becomes the fact
``Denial expires`` (compared with no clock, so parsing stays pure). Standard_Order, Action
and Last_Update are facts too; Last_Update is a per-record date, so ``report.published``
stays None.

Shared toolkit (private; used by ``csl``, ``state_dtc`` and ``state_isn``): decoding, CSV
reading with row checks (``_csv_records``), the ``_Draft`` accumulator that merges the rows
of one entity, listed-name splitting (a.k.a./f.k.a./scope clauses), Federal Register
citation normalisation, and the name-only Person/Organization guess (``_guess_schema``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date

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
    identifier_key,
    list_info,
    make_name,
    parse_full_date,
)
from clearance.normalize import country_code, normalize_text
from clearance.sources.base import ParseReport, RawFile, derived_id

LIST_CODE = "us_bis_dpl"
_COLUMNS = (
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
)


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of a BIS ``dpl.txt``; rows of one name merge into one entity."""
    part, data = _single_part(raw, ".txt")
    text = _decode(raw, part, data, report)
    header, rows = _csv_records(raw, part, text, report, delimiter="\t")
    col = _require_columns(raw, part, header, _COLUMNS)
    drafts = _Drafts(raw.source)
    for where, cells in rows:
        name = cells[col["Name"]]
        if len(name) == 0:
            report.skip(where, "empty Name")
            continue
        facts: list[Fact] = []
        effective = _date_or_fact(
            cells[col["Effective_Date"]], "Effective date", where, report, facts
        )
        expires_text = cells[col["Expiration_Date"]]
        expires: str | None = None
        if len(expires_text) > 0:
            parsed = parse_full_date(expires_text, day_first=False)
            if parsed is None:
                report.warn(where, f"unparseable Expiration_Date {expires_text!r}")
                expires = expires_text
            else:
                expires = parsed.isoformat()
        country = cells[col["Country"]]
        parts = [
            cells[col["Street_Address"]],
            cells[col["City"]],
            cells[col["State"]],
            cells[col["Postal_Code"]],
            country,
        ]
        full = ", ".join(p for p in parts if len(p) > 0)
        addresses: list[Address] = []
        if len(full) > 0:
            addresses.append(
                Address(
                    full,
                    street=_or_none(parts[0]),
                    city=_or_none(parts[1]),
                    region=_or_none(parts[2]),
                    postal_code=_or_none(parts[3]),
                    country=None if len(country) == 0 else country_code(country),
                    country_name=_or_none(country),
                )
            )
        _add_dpl(
            drafts,
            name=name,
            addresses=addresses,
            effective=effective,
            expires=expires,
            standard_order=cells[col["Standard_Order"]],
            action=cells[col["Action"]],
            last_update=cells[col["Last_Update"]],
            fr_text=cells[col["FR_Citation"]],
            list_url=None,
            via=None,
            extra_facts=facts,
        )
    yield from drafts.entities()


# --- the DPL record, shared with the CSL parser -----------------------------------------

_CUSTODY = re.compile(
    r"\b(?:INMATE|INCARCERATED|USM NO|REGISTER NUMBER|FCI|FMC|FDC|CORRECTIONAL|PRISONS?|"
    r"PENITENTIARY|DETENTION)\b",
    re.IGNORECASE,
)


def _add_dpl(
    drafts: _Drafts,
    *,
    name: str,
    addresses: Sequence[Address],
    effective: date | None,
    expires: str | None,
    standard_order: str,
    action: str,
    last_update: str,
    fr_text: str,
    list_url: str | None,
    via: str | None,
    extra_facts: Sequence[Fact] = (),
) -> None:
    """Merge one DPL row (BIS's own or the CSL's copy) into its entity."""
    listed = _split_listed_name(name)
    schema = _guess_schema(
        listed.primary, person_leaning=True, individual=listed.individual
    )
    if (
        schema is Schema.ORGANIZATION
        and _ORG_WORDS.search(listed.primary) is None
        and any(_CUSTODY.search(a.full) is not None for a in addresses)
    ):
        schema = Schema.PERSON  # an inmate number in the address: a person
    draft = drafts.get(_derived(LIST_CODE, listed.primary), schema)
    draft.add_listed_name(listed)
    citations, residue = _fr_citations(fr_text)
    draft.add_listing(
        Listing(
            source=LIST_CODE,
            authority=list_info(LIST_CODE).authority,
            legal_effect=effect_for(LIST_CODE),
            listed_on=effective,
            federal_register=citations,
            list_url=list_url,
            via=via,
        )
    )
    if residue:
        draft.add_fact("Federal Register (as listed)", fr_text)
    for address in addresses:
        draft.add_address(address)
    if expires is not None:
        draft.add_fact("Denial expires", expires)
    draft.add_fact("Standard order", standard_order)
    draft.add_fact("Action", action)
    draft.add_fact("Last update", last_update)
    for fact in extra_facts:
        draft.add_fact(fact.label, fact.value)


# --- decoding and CSV reading -------------------------------------------------------------


def _single_part(raw: RawFile, suffix: str) -> tuple[str, bytes]:
    """The one member to parse: the only part, or the only part ending in ``suffix``."""
    if len(raw.parts) == 1:
        name = next(iter(raw.parts))
        return name, raw.parts[name]
    names = sorted(n for n in raw.parts if n.endswith(suffix))
    if len(names) != 1:
        found = ", ".join(sorted(raw.parts)) or "none"
        raise SourceFormatError(
            raw.source, raw.origin, f"expected one {suffix} member, found: {found}"
        )
    return names[0], raw.parts[names[0]]


def _decode(
    raw: RawFile, part: str, data: bytes, report: ParseReport, *, cp1252: bool = False
) -> str:
    """UTF-8 text (BOM stripped); cp1252 only where the source is known to use it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not cp1252:
            raise SourceFormatError(
                raw.source, f"{part} byte {exc.start}", "not valid UTF-8"
            ) from exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            raw.source, f"{part} byte {exc.start}", "neither UTF-8 nor cp1252"
        ) from exc
    report.warn(part, "not UTF-8; decoded as cp1252")
    return text


def _csv_records(
    raw: RawFile, part: str, text: str, report: ParseReport, *, delimiter: str = ","
) -> tuple[list[str], Iterator[tuple[str, list[str]]]]:
    """The header and a stream of ``(where, stripped cells)`` for every well-formed row.

    Counts every data row in ``report.records``. A repeated header row is reported and
    passed over; a row with the wrong number of fields is skipped, and one cut off by the
    end of the file is reported as a truncated last record.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise SourceFormatError(raw.source, f"{part} line 1", str(exc)) from exc
    if first is None:
        raise SourceFormatError(raw.source, f"{part} line 1", "empty file, no header")
    header = [cell.strip() for cell in first]
    ends_clean = text.endswith(("\n", "\r"))
    last_line = text.count("\n") + (0 if ends_clean else 1)

    def rows() -> Iterator[tuple[str, list[str]]]:
        start = reader.line_num + 1
        width = len(header)
        try:
            for cells in reader:
                where = f"{part} line {start}"
                start = reader.line_num + 1
                if len(cells) == 0 or (len(cells) == 1 and len(cells[0].strip()) == 0):
                    continue
                stripped = [cell.strip() for cell in cells]
                if stripped == header:
                    report.warn(where, "repeated header row ignored")
                    continue
                report.records += 1
                if len(cells) != width:
                    if (
                        len(cells) < width
                        and not ends_clean
                        and reader.line_num >= last_line
                    ):
                        report.skip(
                            where,
                            f"truncated last record: {len(cells)} of {width} fields "
                            "(the file ends mid-record)",
                        )
                    else:
                        report.skip(where, f"{len(cells)} fields, expected {width}")
                    continue
                yield where, stripped
        except csv.Error as exc:
            raise SourceFormatError(
                raw.source, f"{part} line {start}", str(exc)
            ) from exc

    return header, rows()


def _require_columns(
    raw: RawFile, part: str, header: Sequence[str], required: Sequence[str]
) -> dict[str, int]:
    """Column positions by name; SourceFormatError naming every missing column."""
    col = {name: i for i, name in reversed(list(enumerate(header)))}
    missing = [name for name in required if name not in col]
    if len(missing) > 0:
        raise SourceFormatError(
            raw.source, f"{part} line 1", f"missing columns: {', '.join(missing)}"
        )
    return col


def _or_none(text: str) -> str | None:
    return None if len(text) == 0 else text


def _date_or_fact(
    text: str,
    label: str,
    where: str,
    report: ParseReport,
    facts: list[Fact],
    *,
    day_first: bool = False,
) -> date | None:
    """A full date (ISO or MM/DD/YYYY); unparseable text is warned and kept as a fact."""
    if len(text) == 0:
        return None
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    parsed = parse_full_date(text, day_first=day_first)
    if parsed is None:
        report.warn(where, f"unparseable {label.lower()} {text!r}")
        facts.append(Fact(label, text))
    return parsed


# --- names --------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    """Normalised, order-insensitive key: "ASH, I." and " I. ASH" give the same key."""
    return " ".join(sorted(normalize_text(name).split()))


def _derived(list_code: str, primary: str) -> str:
    """The entity id of a list without entry IDs: list code + hash of the name key."""
    return derived_id(list_code, _name_key(primary))


@dataclass(frozen=True, slots=True)
class _ListedName:
    primary: str
    others: tuple[tuple[str, NameKind], ...] = ()
    scope: str | None = None  # "and any successor, sub-unit, or subsidiary thereof"
    individual: bool = False  # the name carries "(DPRK individual)" or the like
    verbatim: str = ""  # the cell as listed, scope clause included


_MARK = (
    r"a\.?\s?k\.?\s?a\.?|a/k/a|also\s+known\s+as|d/b/a|d\.b\.a\.|doing\s+business\s+as|"
    r"f\.?\s?k\.?\s?a\.?|f/k/a|formerly(?:\s+known\s+as)?|n\.?\s?k\.?\s?a\.?|"
    r"now\s+known\s+as"
)
# "(a.k.a. X; Y)", "[aka X, Y]", "(f.k.a., X)" anywhere in the name
_BRACKET_AKA = re.compile(
    r"\s*[(\[]\s*(?P<mark>" + _MARK + r")\s*[,:]?\s*(?P<names>[^)\]]*)[)\]]",
    re.IGNORECASE,
)
# ", a.k.a. X", " A/K/A X", " D/B/A X", " ALSO KNOWN AS X" (bare "aka" only in brackets)
_INLINE_AKA = re.compile(
    r"\s*,?\s+(a\.k\.a\.?|a/k/a|also\s+known\s+as|d/b/a|d\.b\.a\.|f\.k\.a\.?|f/k/a|"
    r"formerly\s+known\s+as|n\.k\.a\.?)\s+",
    re.IGNORECASE,
)
_SCOPE = re.compile(
    r",?\s+(?:and\s+)?(?:any|its|all)\s+(?:successors?|sub-?units?|subsidiar\w*)\b.*$",
    re.IGNORECASE,
)
_INDIVIDUAL = re.compile(r"\s*\((?:[\w.-]+\s+)?individual\)", re.IGNORECASE)
_LEADING_AND = re.compile(r"^(?:and|or)\s+", re.IGNORECASE)


def _mark_kind(mark: str) -> NameKind:
    return NameKind.FORMER if mark.lower().startswith("f") else NameKind.ALIAS


def _clean_alias(text: str) -> str:
    text = _LEADING_AND.sub("", " ".join(text.split()))
    return text.strip(" ,;\"'")


def _split_listed_name(raw_name: str) -> _ListedName:
    """Split a name cell into the primary name and the a.k.a./f.k.a. names it embeds."""
    text = " ".join(raw_name.split())
    others: list[tuple[str, NameKind]] = []
    scope: str | None = None
    individual = False
    if "ndividual" in text:
        stripped = _INDIVIDUAL.sub("", text)
        individual = stripped != text
        text = stripped
    text_before_scope = text
    if "sub" in text.lower() or "successor" in text.lower():
        match = _SCOPE.search(text)
        if match is not None and match.start() > 0:
            scope = match.group(0).strip(" ,")
            text = text[: match.start()]
    for match in _BRACKET_AKA.finditer(text):
        kind = _mark_kind(match.group("mark"))
        for piece in match.group("names").split(";"):
            alias = _clean_alias(piece)
            if len(alias) > 0:
                others.append((alias, kind))
    if len(others) > 0:
        text = _BRACKET_AKA.sub("", text)
    pieces = _INLINE_AKA.split(text)
    if len(pieces) > 1:
        text = pieces[0]
        for mark, names in zip(pieces[1::2], pieces[2::2], strict=True):
            kind = _mark_kind(mark)
            for piece in names.split(";"):
                alias = _clean_alias(piece)
                if len(alias) > 0:
                    others.append((alias, kind))
    primary = text.strip(" ,;")
    if len(primary) == 0:
        primary = " ".join(raw_name.split())
    return _ListedName(primary, tuple(others), scope, individual, text_before_scope)


# Words that mark an organisation in a name with no type column: legal forms and the nouns
# organisations are named with. Checked before any person pattern.
_ORG_WORDS = re.compile(
    r"(?:^|[\s,(\"'])(?:ltd|limited|llc|l\.l\.c|inc|incorporated|corp|corporation|co|"
    r"company|companies|gmbh|jsc|pjsc|ojsc|cjsc|ooo|oao|zao|pao|ao|fzc|fze|fzco|f\.z\.e|"
    r"pte|plc|llp|lp|sarl|s\.a\.r\.l|srl|spa|s\.p\.a|ltda|bhd|sdn|pvt|kft|doo|d\.o\.o|sro|"
    r"s\.r\.o|sas|s\.a\.s|sa|s\.a|sl|s\.l|bv|b\.v|nv|n\.v|ag|a\.g|a\.b|kg|oy|as|uab|"
    r"pty|airlines?|airways|aviation|aerospace|air|group|holdings?|trading|trade|traders|"
    r"international|intl|enterprises?|establishment|industr\w*|technolog\w*|tech|technik|"
    r"technic|electronic\w*|services?|systems?|communications?|telecom\w*|metals?|"
    r"computers?|supply|supplies|machinery|exports?|imports?|associates|anstalt|empresa|"
    r"results|zone|data|contracting|maritime|shipping|logistics|microwave|vertriebs|"
    r"handel|web|academy|institute|institution|university|college|school|bureau|center|"
    r"centre|laborator\w*|lab|labs|research|factory|plant|works|ministry|department|"
    r"agency|office|organi[sz]ation|committee|council|commission|army|forces?|guards?|"
    r"regiment|brigades?|battalion|corps|bank|fund|foundation|partners|partnership|"
    r"solutions|networks?|products?|equipment|engineering|design|development|sciences?|"
    r"scientific|energy|nuclear|missile|defen[cs]e|military|navy|police|government|"
    r"national|federal|hospital|pharma\w*|chemicals?|chemie|instruments?|devices?|"
    r"components?|software|semiconductors?|microelectronics|optics?|photonics|"
    r"materials?|precision|manufactur\w*|business|firm|consult\w*|club|society|"
    r"association|union|party|front|movement|media|radio|television|net|trust|capital|"
    r"financ\w*|investments?|insurance|exchange|resources|mining|oil|gas|petroleum|"
    r"refinery|shipyard|zavod|kombinat|obshchestvo|npo|npp|nii|tsnii|okb|kb|marketing|"
    r"management|surplus|optoelectronics|global|sanat|sanayi|ticaret|makina)"
    r"(?=$|[\s,.)\"'])",
    re.IGNORECASE,
)
_HONORIFIC = re.compile(
    r"^(?:mr|mrs|ms|miss|dr|prof|col|colonel|capt|captain|gen|general|maj|major|lt|"
    r"lieutenant|sgt|sergeant|adm|admiral|brig|brigadier|sheikh|shaykh|haji|hajji|"
    r"mullah|mawlawi|maulana|mufti)\.?\s",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"(?:^|[\s,])(?:jr|sr|ii|iii|iv)\.?(?=$|[\s,])", re.IGNORECASE)
_PATRONYMIC = re.compile(r"\w+(?:ovich|evich|ovna|evna|ichna)\b", re.IGNORECASE)
_LETTERS = r"[^\W\d_](?:[^\W\d_]|['’.\-])*"
_TOKEN = r"[(\"“]?" + _LETTERS + r"[)\"”]?"
_INITIALS = re.compile(r"(?:[^\W\d_]\.\s?)+" + _LETTERS + r"(?:\s+" + _LETTERS + r")*")
_WORDS = _LETTERS + r"(?:\s+" + _LETTERS + r")*"
# "Sergei G Yuropov", "ALEXANDER M. ROVEGNO"; a bare "o"/"e" is the Persian or Portuguese
# "and" of a company name ("Tarh O Palayesh"), not an initial.
_MIDDLE_INITIAL = re.compile(
    _WORDS + r"\s+(?:[^\W\d_]\.|(?![OoEe]\s)[^\W\d_])\s+" + _WORDS
)
_SURNAME_GIVEN = re.compile(
    _LETTERS
    + r"(?:[\s-]+"
    + _LETTERS
    + r")*,\s*"
    + _LETTERS
    + r"(?:\s+"
    + _LETTERS
    + r")*"
)
_PLAIN_PERSON = re.compile(_TOKEN + r"(?:\s+" + _TOKEN + r"){1,5}")


def _guess_schema(
    name: str, *, person_leaning: bool, individual: bool = False
) -> Schema:
    """Person or Organization from a name alone, for lists without a type column.

    Organisation words (legal forms, "Institute", "Trading"...) win. Then a person needs an
    obvious mark: an honorific, a generational suffix, a patronymic, initials, or the
    "Surname, Given" form. On person-leaning lists (DPL, DTC: mostly individuals) a plain
    run of two to six alphabetic words also counts. Anything else is an Organization.
    """
    if individual:
        return Schema.PERSON
    if _ORG_WORDS.search(name) is not None:
        return Schema.ORGANIZATION
    if (
        _HONORIFIC.match(name) is not None
        or _SUFFIX.search(name) is not None
        or _PATRONYMIC.search(name) is not None
        or _INITIALS.fullmatch(name) is not None
        or _MIDDLE_INITIAL.fullmatch(name) is not None
        or _SURNAME_GIVEN.fullmatch(name) is not None
    ):
        return Schema.PERSON
    if person_leaning and _PLAIN_PERSON.fullmatch(name) is not None:
        return Schema.PERSON
    return Schema.ORGANIZATION


# --- Federal Register citations -----------------------------------------------------------

_FR_CITE = re.compile(r"(\d{1,3})\s*F\.?\s?R\.?\s*(\d{1,6})(?!\d)")
_DATE_TEXT = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
_VOL_SPLIT = re.compile(r"\s*;\s*|(?<=/\d\d),\s*(?=Vol\.)|(?<=\d/\d{4}),\s*(?=Vol\.)")


def _fr_citations(text: str) -> tuple[tuple[str, ...], bool]:
    """Citations as ``"84 FR 54002"``, and whether text that looks like more was left over.

    ``"67 F.R. 56530 9/4/02 67 F.R. 10890 3/11/02"`` gives two citations (the publication
    dates are implied by volume and page). Text without any ``N FR P`` citation, such as
    State's ``"Vol. 81, No. 128, 07/05/16"``, is kept verbatim, one item per notice.
    """
    text = " ".join(text.split())
    if len(text) == 0:
        return (), False
    found = [f"{m.group(1)} FR {m.group(2)}" for m in _FR_CITE.finditer(text)]
    if len(found) == 0:
        pieces = [p.strip(" ,") for p in _VOL_SPLIT.split(text)]
        return tuple(p for p in pieces if len(p) > 0), False
    residue = _DATE_TEXT.sub(" ", _FR_CITE.sub(" ", text))
    unique = tuple(dict.fromkeys(found))
    return unique, any(ch.isdigit() for ch in residue)


# --- merging the rows of one entity -------------------------------------------------------

_COMPANY_SCHEMES = frozenset(
    {IdScheme.ISIN, IdScheme.TICKER, IdScheme.USCC, IdScheme.REGISTRATION}
)


def _listing_key(listing: Listing) -> tuple[object, ...]:
    return (
        listing.source,
        listing.legal_effect,
        listing.authority_ref,
        listing.programs,
        listing.listed_on,
        listing.effective_on,
        listing.divestment_on,
        listing.delisted_on,
        listing.licence_requirement,
        listing.licence_policy,
        listing.via,
    )


class _Draft:
    """Everything one file says about one entity, merged row by row; ``build`` freezes it.

    Values are de-duplicated in order of first appearance. A second primary name that
    differs from the first becomes an alias; listings that agree on everything but their
    Federal Register citations and URL merge, with citations unioned.
    """

    __slots__ = (
        "_seen",
        "addresses",
        "birth_dates",
        "birth_places",
        "citizenships",
        "company",
        "countries",
        "entity_id",
        "facts",
        "gender",
        "identifiers",
        "listings",
        "names",
        "nationalities",
        "relations",
        "remarks",
        "schema",
        "source_file",
        "titles",
        "vessel",
    )

    def __init__(self, entity_id: str, schema: Schema, source_file: str) -> None:
        self.entity_id = entity_id
        self.schema = schema
        self.source_file = source_file
        self.company = False  # the list marks it a company (e.g. CSL "Target Type")
        self.names: list[Name] = []
        self.listings: list[Listing] = []
        self.identifiers: list[Identifier] = []
        self.birth_dates: list[PartialDate] = []
        self.birth_places: list[str] = []
        self.nationalities: list[str] = []
        self.citizenships: list[str] = []
        self.countries: list[str] = []
        self.addresses: list[Address] = []
        self.gender: str | None = None
        self.titles: list[str] = []
        self.vessel: VesselInfo | None = None
        self.relations: list[Relation] = []
        self.remarks: list[str] = []
        self.facts: list[Fact] = []
        self._seen: set[tuple[str, object]] = set()

    def _first(self, kind: str, key: object) -> bool:
        """True the first time ``(kind, key)`` is offered."""
        marker = (kind, key)
        if marker in self._seen:
            return False
        self._seen.add(marker)
        return True

    @property
    def primary(self) -> str:
        for name in self.names:
            if name.kind is NameKind.PRIMARY:
                return name.value
        return self.names[0].value if len(self.names) > 0 else self.entity_id

    def add_name(self, value: str, kind: NameKind = NameKind.PRIMARY) -> None:
        text = " ".join(value.split())
        # make_name's script detection finds nothing in ASCII; skip it on the hot path
        name = Name(text, kind) if text.isascii() else make_name(text, kind)
        if len(name.value) == 0 or not self._first("name", name.value):
            return
        if kind is NameKind.PRIMARY and any(
            n.kind is NameKind.PRIMARY for n in self.names
        ):
            name = Name(name.value, NameKind.ALIAS, name.script, name.lang)
        self.names.append(name)

    def add_listed_name(self, listed: _ListedName) -> None:
        self.add_name(listed.primary)
        for value, kind in listed.others:
            self.add_name(value, kind)
        if listed.scope is not None:
            self.add_fact("Scope", listed.scope)
            # the name as listed, scope clause and all, stays searchable and shown
            self.add_name(listed.verbatim, NameKind.ALIAS)

    def add_listing(self, listing: Listing) -> None:
        key = _listing_key(listing)
        for i, old in enumerate(self.listings):
            if _listing_key(old) == key:
                extra = tuple(
                    c for c in listing.federal_register if c not in old.federal_register
                )
                url = listing.list_url if old.list_url is None else old.list_url
                self.listings[i] = replace(
                    old, federal_register=old.federal_register + extra, list_url=url
                )
                return
        self.listings.append(listing)

    def add_identifier(self, identifier: Identifier) -> None:
        key = (identifier.scheme, identifier_key(identifier.value), identifier.country)
        if self._first("id", key):
            self.identifiers.append(identifier)

    def add_address(self, address: Address) -> None:
        if self._first("address", normalize_text(address.full)):
            self.addresses.append(address)
        if address.country is not None:
            self.add_country(address.country)

    def add_country(self, code: str) -> None:
        if self._first("country", code):
            self.countries.append(code)

    def add_birth_date(self, value: PartialDate) -> None:
        if self._first("dob", value):
            self.birth_dates.append(value)

    def add_birth_place(self, value: str) -> None:
        if len(value) > 0 and self._first("pob", value):
            self.birth_places.append(value)

    def add_nationality(self, code: str) -> None:
        if self._first("nationality", code):
            self.nationalities.append(code)

    def add_citizenship(self, code: str) -> None:
        if self._first("citizenship", code):
            self.citizenships.append(code)

    def add_title(self, value: str) -> None:
        if len(value) > 0 and self._first("title", value):
            self.titles.append(value)

    def add_relation(self, relation: Relation) -> None:
        if self._first("relation", relation):
            self.relations.append(relation)

    def add_remark(self, value: str) -> None:
        if len(value) > 0 and self._first("remark", value):
            self.remarks.append(value)

    def add_fact(self, label: str, value: str) -> None:
        if len(value) > 0 and self._first("fact", (label, value)):
            self.facts.append(Fact(label, value))

    def build(self) -> Entity:
        schema = self.schema
        if schema is Schema.ORGANIZATION and (
            self.company or any(i.scheme in _COMPANY_SCHEMES for i in self.identifiers)
        ):
            schema = Schema.COMPANY
        return Entity(
            id=self.entity_id,
            schema=schema,
            names=tuple(self.names),
            listings=tuple(self.listings),
            identifiers=tuple(self.identifiers),
            birth_dates=tuple(self.birth_dates),
            birth_places=tuple(self.birth_places),
            nationalities=tuple(self.nationalities),
            citizenships=tuple(self.citizenships),
            countries=tuple(self.countries),
            addresses=tuple(self.addresses),
            gender=self.gender,
            titles=tuple(self.titles),
            vessel=self.vessel,
            relations=tuple(self.relations),
            remarks=None if len(self.remarks) == 0 else "\n".join(self.remarks),
            facts=tuple(self.facts),
            sources=(self.source_file,),
        )


class _Drafts:
    """Drafts by entity id, in order of first appearance."""

    __slots__ = ("by_id", "source_file")

    def __init__(self, source_file: str) -> None:
        self.source_file = source_file
        self.by_id: dict[str, _Draft] = {}

    def get(self, entity_id: str, schema: Schema) -> _Draft:
        draft = self.by_id.get(entity_id)
        if draft is None:
            draft = _Draft(entity_id, schema, self.source_file)
            self.by_id[entity_id] = draft
        elif draft.schema is Schema.ORGANIZATION and schema is Schema.COMPANY:
            draft.schema = schema
        return draft

    def entities(self) -> Iterator[Entity]:
        for draft in self.by_id.values():
            yield draft.build()
