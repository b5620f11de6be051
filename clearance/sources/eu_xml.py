"""EU Financial Sanctions Files (FSF), XML: the current 1.1 export and the legacy layout.

The root element tells the two apart. FSF 1.1 (``export``, namespace
``http://eu.europa.ec/fpi/fsd/export``) has one ``sanctionEntity`` per listed party with
``nameAlias``, ``birthdate``, ``identification``, ``citizenship`` and ``address`` children
whose data sit in attributes. The legacy file (``WHOLE``, until about 2017) has one
``ENTITY`` with ``NAME``/``BIRTH``/``PASSPORT``/``CITIZEN``/``ADDRESS`` children whose data
sit in child elements. Neither marks a primary name, so the first strong, structured
(surname given), English or unlabelled name is taken as primary; the rest are aliases.
Every child in both layouts also names the regulation that added it; only the entity's own
regulation is kept (as the listing's program and a ``Regulation`` fact).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

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
    Schema,
    effect_for,
    list_info,
    make_name,
    parse_full_date,
    parse_partial_date,
)
from clearance.normalize import country_code
from clearance.sources.base import ParseReport, RawFile
from clearance.sources.xml import local, parse_xml

LIST_CODE = "eu_fsf"

# FSF identificationTypeCode / legacy "(code-Label)" -> scheme; others are OTHER
_ID_SCHEMES = {
    "passport": IdScheme.PASSPORT,
    "id": IdScheme.NATIONAL_ID,
    "ssn": IdScheme.NATIONAL_ID,
    "regnumber": IdScheme.REGISTRATION,
    "fiscalcode": IdScheme.TAX_ID,
    "tin": IdScheme.TAX_ID,
    "swiftbic": IdScheme.SWIFT_BIC,
    "imo": IdScheme.IMO,
}
_COMPANY_SCHEMES = frozenset(
    {IdScheme.REGISTRATION, IdScheme.ISIN, IdScheme.TICKER, IdScheme.USCC}
)
_CONTACT_SCHEMES = {
    "WEB": IdScheme.WEBSITE,
    "EMAIL": IdScheme.EMAIL,
    "PHONE": IdScheme.PHONE,
}
_GENDERS = {"M": "male", "F": "female"}
_ID_FLAGS = (
    ("diplomatic", "diplomatic"),
    ("knownExpired", "known to be expired"),
    ("knownFalse", "known to be false"),
    ("reportedLost", "reported lost"),
    ("revokedByIssuer", "revoked by issuer"),
)
# legacy PASSPORT/NUMBER: "AD001095 (passport-National passport) ((passport))"
_LEGACY_NUMBER = re.compile(
    r"^(?P<number>.*?)\s*\((?P<code>[a-z]+)-(?P<label>[^()]*)\)\s*(?P<rest>.*)$",
    re.DOTALL,
)
_APPROX = re.compile(r"\s*\(approximative\)\s*$", re.IGNORECASE)
_COMMENT_LABELS = {"BIRTH": "Date of birth remark", "NAME": "Name remark"}
_UNKNOWN_COUNTRY = "00"  # FSF's countryIso2Code for "UNKNOWN"


@dataclass(slots=True)
class _NameCandidate:
    value: str
    strong: bool
    structured: (
        bool  # a surname is given separately: a person's real name, not an alias
    )
    lang: str | None


@dataclass(slots=True)
class _Draft:
    candidates: list[_NameCandidate] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    birth_dates: list[PartialDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def names(self) -> tuple[Name, ...]:
        if len(self.candidates) == 0:
            return ()
        best = min(
            range(len(self.candidates)),
            key=lambda i: (
                not self.candidates[i].strong,
                not self.candidates[i].structured,
                self.candidates[i].lang not in (None, "en"),
                i,
            ),
        )
        order = [best, *(i for i in range(len(self.candidates)) if i != best)]
        out: list[Name] = []
        for i in order:
            candidate = self.candidates[i]
            if i == best:
                kind = NameKind.PRIMARY
            else:
                kind = NameKind.ALIAS if candidate.strong else NameKind.WEAK
            name = make_name(candidate.value, kind, candidate.lang)
            if len(name.value) > 0 and all(n.value != name.value for n in out):
                out.append(name)
        return tuple(out)


def _u(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = " ".join(text.split())
    return value if len(value) > 0 else None


def _first_part(raw: RawFile) -> tuple[str, bytes]:
    if len(raw.parts) == 1:
        return next(iter(raw.parts.items()))
    for name in sorted(raw.parts):
        if name.endswith(".xml"):
            return name, raw.parts[name]
    raise SourceFormatError(raw.source, raw.origin, "no XML member in the file set")


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of an EU FSF file, in either the 1.1 or the legacy layout.

    Raises:
        SourceFormatError: the file is not well-formed XML, or its root is neither
            ``export`` (FSF 1.1) nor ``WHOLE`` (legacy).
    """
    part, data = _first_part(raw)
    root = parse_xml(data, raw.source, part)
    kind = local(root.tag)
    if kind == "export":
        yield from _parse_fsf(raw, report, part, root)
    elif kind == "WHOLE":
        yield from _parse_legacy(raw, report, part, root)
    else:
        raise SourceFormatError(
            raw.source, part, f"root element {kind}, expected export or WHOLE"
        )


def _entity(
    raw: RawFile,
    entity_id: str,
    schema: Schema,
    draft: _Draft,
    listing: Listing,
) -> Entity:
    identifiers = tuple(dict.fromkeys(draft.identifiers))
    if schema is Schema.ORGANIZATION and any(
        i.scheme in _COMPANY_SCHEMES for i in identifiers
    ):
        schema = Schema.COMPANY
    genders = _u(draft.genders)
    remarks = "\n".join(_u(draft.remarks))
    return Entity(
        id=f"{LIST_CODE}:{entity_id}",
        schema=schema,
        names=draft.names(),
        listings=(listing,),
        identifiers=identifiers,
        birth_dates=tuple(dict.fromkeys(draft.birth_dates)),
        birth_places=_u(draft.birth_places),
        citizenships=_u(draft.citizenships),
        countries=_u(draft.countries),
        addresses=tuple(dict.fromkeys(draft.addresses)),
        gender=genders[0] if len(genders) == 1 else None,
        titles=_u(draft.titles),
        remarks=remarks if len(remarks) > 0 else None,
        facts=tuple(dict.fromkeys(draft.facts)),
        sources=(raw.source,),
    )


def _listing(
    programs: list[str], listed_on: date | None, authority_ref: str | None
) -> Listing:
    program_tuple = _u(programs)
    return Listing(
        source=LIST_CODE,
        authority=list_info(LIST_CODE).authority,
        legal_effect=effect_for(LIST_CODE, program_tuple),
        authority_ref=authority_ref,
        programs=program_tuple,
        listed_on=listed_on,
    )


# --- FSF 1.1 ---------------------------------------------------------------------------


def _attr(element: etree._Element, name: str) -> str | None:
    return _clean(element.get(name))


def _kids(element: etree._Element) -> dict[str, list[etree._Element]]:
    out: dict[str, list[etree._Element]] = {}
    for child in element:
        out.setdefault(local(child.tag), []).append(child)
    return out


def _remark(element: etree._Element) -> str | None:
    texts = [
        (c.text or "").strip() for c in element if local(c.tag) == "remark" and c.text
    ]
    joined = "\n".join(t for t in texts if len(t) > 0)
    return joined if len(joined) > 0 else None


def _iso2(element: etree._Element) -> str | None:
    code = _attr(element, "countryIso2Code")
    if code is not None and code != _UNKNOWN_COUNTRY:
        return code.lower()
    description = _attr(element, "countryDescription")
    if description is None or description == "UNKNOWN":
        return None
    return country_code(description)


def _country_name(element: etree._Element) -> str | None:
    description = _attr(element, "countryDescription")
    return None if description == "UNKNOWN" else description


def _parse_fsf(
    raw: RawFile, report: ParseReport, part: str, root: etree._Element
) -> Iterator[Entity]:
    generated = root.get("generationDate")
    if generated is not None:
        report.published = parse_full_date(generated.strip()[:10])
        if report.published is None:
            report.warn(f"{part} export", f"unparseable generationDate {generated!r}")
    for element in root:
        if local(element.tag) != "sanctionEntity":
            continue
        report.records += 1
        entity = _fsf_entity(raw, report, element)
        if entity is not None:
            yield entity


def _fsf_entity(
    raw: RawFile, report: ParseReport, element: etree._Element
) -> Entity | None:
    logical_id = _attr(element, "logicalId")
    reference = _attr(element, "euReferenceNumber")
    where = f"sanctionEntity logicalId={logical_id}"
    if logical_id is None:
        report.skip(f"sanctionEntity #{report.records}", "no logicalId")
        return None
    kids = _kids(element)
    draft = _Draft()
    schema = Schema.ORGANIZATION
    for subject in kids.get("subjectType", []):
        code = subject.get("code")
        if code == "person":
            schema = Schema.PERSON
        elif code != "enterprise":
            report.warn(where, f"unknown subjectType {code!r}; read as an organisation")
    for alias in kids.get("nameAlias", []):
        _fsf_name(draft, alias)
    if len(draft.candidates) == 0:
        report.skip(where, "no name")
        return None
    for birth in kids.get("birthdate", []):
        _fsf_birth(report, where, draft, birth)
    for citizenship in kids.get("citizenship", []):
        code = _iso2(citizenship)
        if code is not None:
            draft.citizenships.append(code)
        elif (name := _country_name(citizenship)) is not None:
            draft.facts.append(Fact("Citizenship", name))
        if (remark := _remark(citizenship)) is not None:
            draft.facts.append(Fact("Citizenship remark", remark))
    for address in kids.get("address", []):
        _fsf_address(draft, address)
    for document in kids.get("identification", []):
        _fsf_identification(draft, document)
    programs: list[str] = []
    published: date | None = None
    for regulation in kids.get("regulation", []):
        if (programme := _attr(regulation, "programme")) is not None:
            programs.append(programme)
        published = published or parse_full_date(
            _attr(regulation, "publicationDate") or ""
        )
        draft.facts.append(Fact("Regulation", _regulation_text(regulation)))
    for remark_element in kids.get("remark", []):
        text = (remark_element.text or "").strip()
        if len(text) > 0:
            draft.remarks.append(text)
    if (un_ref := _attr(element, "unitedNationId")) is not None:
        draft.facts.append(Fact("UN reference number", un_ref))
    if (details := _attr(element, "designationDetails")) is not None:
        draft.facts.append(Fact("Designation details", details))
    # designationDate is the listing date; the regulation is the latest one touching it
    listed_on = published
    if (designated := _attr(element, "designationDate")) is not None:
        listed_on = parse_full_date(designated)
        if listed_on is None:
            report.warn(where, f"unparseable designationDate {designated!r}")
            draft.facts.append(Fact("Designation date", designated))
    return _entity(
        raw, logical_id, schema, draft, _listing(programs, listed_on, reference)
    )


def _regulation_text(regulation: etree._Element) -> str:
    parts = [_attr(regulation, "numberTitle") or "regulation"]
    for label, attr in (
        ("type", "regulationType"),
        ("published", "publicationDate"),
        ("in force", "entryIntoForceDate"),
    ):
        if (value := _attr(regulation, attr)) is not None:
            parts.append(f"{label} {value}")
    for child in regulation:
        if local(child.tag) == "publicationUrl" and (url := _clean(child.text)):
            parts.append(url)
    return "; ".join(parts)


def _fsf_name(draft: _Draft, alias: etree._Element) -> None:
    first, middle, last = (
        _attr(alias, "firstName"),
        _attr(alias, "middleName"),
        _attr(alias, "lastName"),
    )
    whole = _attr(alias, "wholeName")
    if whole is None:
        whole = _clean(" ".join(p for p in (first, middle, last) if p is not None))
    if whole is None:
        return
    language = _attr(alias, "nameLanguage")
    draft.candidates.append(
        _NameCandidate(
            whole,
            strong=alias.get("strong", "true").strip().lower() != "false",
            structured=last is not None,
            lang=None if language is None else language.lower(),
        )
    )
    for attr in ("title", "function"):
        if (value := _attr(alias, attr)) is not None:
            draft.titles.append(value)
    if (gender := _GENDERS.get(alias.get("gender") or "")) is not None:
        draft.genders.append(gender)
    if (remark := _remark(alias)) is not None:
        draft.facts.append(Fact("Name remark", f"{whole}: {remark}"))


def _fsf_birth(
    report: ParseReport, where: str, draft: _Draft, birth: etree._Element
) -> None:
    circa = (birth.get("circa") or "").strip().lower() == "true"
    calendar = _attr(birth, "calendarType") or "GREGORIAN"
    year, month, day = (
        _attr(birth, "year"),
        _attr(birth, "monthOfYear"),
        _attr(birth, "dayOfMonth"),
    )
    gregorian = calendar == "GREGORIAN"
    parsed: PartialDate | None = None
    text: str | None = None
    try:
        if (full := _attr(birth, "birthdate")) is not None:
            # always Gregorian; year/month/day are in ``calendarType`` (e.g. ISLAMIC)
            text, parsed = full, parse_partial_date(full)
        elif gregorian and year is not None:
            text = "-".join(p for p in (year, month, day) if p is not None)
            parsed = PartialDate(
                int(year),
                None if month is None else int(month),
                None if month is None or day is None else int(day),
            )
        elif gregorian and (start := _attr(birth, "yearRangeFrom")) is not None:
            end = _attr(birth, "yearRangeTo") or start
            text = f"{start} to {end}"
            until = None if end == start else int(end)
            parsed = PartialDate(int(start), until_year=until)
    except ValueError:
        parsed = None
    if parsed is not None:
        draft.birth_dates.append(dataclasses.replace(parsed, circa=circa))
    elif text is not None:
        report.warn(where, f"unparseable birth date {text!r}")
        draft.facts.append(Fact("Date of birth", text))
    city = _attr(birth, "city")
    place_parts = [
        _attr(birth, "place"),
        None if city == "-" else city,  # "-" is FSF's "no city"
        _attr(birth, "region"),
        _attr(birth, "zipCode"),
        _country_name(birth),
    ]
    place = ", ".join(p for p in place_parts if p is not None)
    if len(place) > 0:
        draft.birth_places.append(place)
    if not gregorian and year is not None:
        local_date = "-".join(p for p in (year, month, day) if p is not None)
        draft.facts.append(
            Fact(f"Date of birth ({calendar.lower()} calendar)", local_date)
        )
    if (remark := _remark(birth)) is not None:
        draft.facts.append(Fact("Date of birth remark", remark))


def _fsf_address(draft: _Draft, address: etree._Element) -> None:
    street, city = _attr(address, "street"), _attr(address, "city")
    region, postal = _attr(address, "region"), _attr(address, "zipCode")
    place, po_box = _attr(address, "place"), _attr(address, "poBox")
    country_name = _country_name(address)
    code = _iso2(address)
    po_line = None if po_box is None else f"PO Box {po_box}"
    parts = (street, po_line, place, city, postal, region, country_name)
    full = ", ".join(p for p in parts if p is not None)
    remark = _remark(address)
    if len(full) > 0:
        draft.addresses.append(
            Address(full, street, city, region, postal, code, country_name)
        )
    if code is not None:
        draft.countries.append(code)
    if remark is not None:
        label = full if len(full) > 0 else "address"
        draft.facts.append(Fact("Address remark", f"{label}: {remark}"))
    for child in address:
        if local(child.tag) != "contactInfo":
            continue
        key = (child.get("key") or "").strip().upper()
        value = _clean(child.get("value"))
        if value is None:
            continue
        scheme = _CONTACT_SCHEMES.get(key)
        if scheme is None:
            draft.facts.append(Fact(f"Contact {key.lower() or 'info'}", value))
            continue
        for item in value.split(";"):
            if (item := item.strip()) != "":
                draft.identifiers.append(Identifier(scheme, item, label=key))


def _fsf_identification(draft: _Draft, document: etree._Element) -> None:
    code = (_attr(document, "identificationTypeCode") or "").lower()
    scheme = _ID_SCHEMES.get(code, IdScheme.OTHER)
    label = _attr(document, "identificationTypeDescription") or code or None
    notes: list[str] = []
    for note_label, attr in (
        ("issued", "issueDate"),
        ("valid to", "validTo"),
        ("issued by", "issuedBy"),
        ("region", "region"),
        ("name on document", "nameOnDocument"),
    ):
        if (value := _attr(document, attr)) is not None:
            notes.append(f"{note_label} {value}")
    for attr, wording in _ID_FLAGS:
        if (document.get(attr) or "").strip().lower() == "true":
            notes.append(wording)
    if (remark := _remark(document)) is not None:
        notes.append(remark)
    note = "; ".join(notes) if len(notes) > 0 else None
    country = _iso2(document)
    numbers = _u(
        [n for n in (_attr(document, "number"), _attr(document, "latinNumber")) if n]
    )
    if len(numbers) == 0:
        draft.facts.append(Fact("Identification", "; ".join([label or code, *notes])))
    for number in numbers:
        draft.identifiers.append(Identifier(scheme, number, country, label, note))


# --- legacy WHOLE/ENTITY ----------------------------------------------------------------


def _text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if local(child.tag) == name:
            return _clean(child.text)
    return None


def _parse_legacy(
    raw: RawFile, report: ParseReport, part: str, root: etree._Element
) -> Iterator[Entity]:
    stamp = root.get("Date")
    if stamp is not None:
        report.published = parse_full_date(stamp.strip())  # DD/MM/YYYY
        if report.published is None:
            report.warn(f"{part} WHOLE", f"unparseable Date {stamp!r}")
    for element in root:
        if local(element.tag) != "ENTITY":
            continue
        report.records += 1
        entity = _legacy_entity(raw, report, element)
        if entity is not None:
            yield entity


def _legacy_entity(
    raw: RawFile, report: ParseReport, element: etree._Element
) -> Entity | None:
    entity_id = _attr(element, "Id")
    where = f"ENTITY Id={entity_id}"
    if entity_id is None:
        report.skip(f"ENTITY #{report.records}", "no Id")
        return None
    kind = element.get("Type")
    if kind not in ("P", "E"):
        report.warn(where, f"unknown Type {kind!r}; read as an organisation")
    schema = Schema.PERSON if kind == "P" else Schema.ORGANIZATION
    draft = _Draft()
    for child in element:
        tag = local(child.tag)
        if tag == "NAME":
            _legacy_name(draft, child)
        elif tag == "BIRTH":
            _legacy_birth(report, where, draft, child)
        elif tag == "PASSPORT":
            _legacy_passport(draft, child)
        elif tag == "CITIZEN":
            _legacy_citizen(draft, child)
        elif tag == "ADDRESS":
            _legacy_address(draft, child)
        # 2016 file: a few BIRTH and NAME elements carry their remark as an XML comment
        for node in child:
            if isinstance(node, etree._Comment):
                comment = _clean((node.text or "").replace("Comment:", "", 1))
                if comment is not None:
                    label = _COMMENT_LABELS.get(tag, f"{tag.capitalize()} remark")
                    draft.facts.append(Fact(label, comment))
    if len(draft.candidates) == 0:
        report.skip(where, "no name")
        return None
    if (remark := _attr(element, "remark")) is not None:
        draft.remarks.append(remark)
    basis = [_attr(element, "legal_basis"), _attr(element, "pdf_link")]
    if any(b is not None for b in basis):
        draft.facts.append(Fact("Regulation", "; ".join(b for b in basis if b)))
    reg_date = _attr(element, "reg_date")
    listed_on = None if reg_date is None else parse_full_date(reg_date)
    if reg_date is not None and listed_on is None:
        report.warn(where, f"unparseable reg_date {reg_date!r}")
        draft.facts.append(Fact("Regulation date", reg_date))
    programs = [p for p in (_attr(element, "programme"),) if p is not None]
    return _entity(
        raw, entity_id, schema, draft, _listing(programs, listed_on, entity_id)
    )


def _legacy_name(draft: _Draft, element: etree._Element) -> None:
    last = _text(element, "LASTNAME")
    whole = _text(element, "WHOLENAME")
    if whole is None:
        parts = (_text(element, t) for t in ("FIRSTNAME", "MIDDLENAME", "LASTNAME"))
        whole = _clean(" ".join(p for p in parts if p is not None))
    if whole is None:
        return
    language = _text(element, "LANGUAGE")
    draft.candidates.append(
        _NameCandidate(
            whole,
            strong=True,
            structured=last is not None,
            lang=None if language is None else language.lower(),
        )
    )
    for tag in ("TITLE", "FUNCTION"):
        if (value := _text(element, tag)) is not None:
            draft.titles.append(value)
    if (gender := _GENDERS.get(_text(element, "GENDER") or "")) is not None:
        draft.genders.append(gender)


def _legacy_birth(
    report: ParseReport, where: str, draft: _Draft, element: etree._Element
) -> None:
    text = _text(element, "DATE")
    if text is not None:
        body = _APPROX.sub("", text)
        parsed = parse_partial_date(body)
        if parsed is None:
            report.warn(where, f"unparseable birth date {text!r}")
            draft.facts.append(Fact("Date of birth", text))
        else:
            circa = parsed.circa or body != text
            draft.birth_dates.append(dataclasses.replace(parsed, circa=circa))
    place, country = _text(element, "PLACE"), _text(element, "COUNTRY")
    joined = ", ".join(p for p in (place, country) if p is not None)
    if len(joined) > 0:
        draft.birth_places.append(joined)


def _legacy_passport(draft: _Draft, element: etree._Element) -> None:
    text = _text(element, "NUMBER")
    country_text = _text(element, "COUNTRY")
    country = None if country_text is None else country_code(country_text)
    if text is None:
        return
    match = _LEGACY_NUMBER.match(text)
    if match is None:
        draft.identifiers.append(Identifier(IdScheme.OTHER, text, country, "PASSPORT"))
        return
    number = match.group("number").strip()
    label = match.group("label").strip() or match.group("code")
    rest = _clean(match.group("rest"))
    if len(number) == 0:
        draft.facts.append(Fact("Identification", text))
        return
    scheme = _ID_SCHEMES.get(match.group("code"), IdScheme.OTHER)
    draft.identifiers.append(Identifier(scheme, number, country, label, rest))


def _legacy_citizen(draft: _Draft, element: etree._Element) -> None:
    text = _text(element, "COUNTRY")
    if text is None:
        return
    code = country_code(text)
    if code is None:
        draft.facts.append(Fact("Citizenship", text))
    else:
        draft.citizenships.append(code)


def _legacy_address(draft: _Draft, element: etree._Element) -> None:
    street_parts = (_text(element, "STREET"), _text(element, "NUMBER"))
    street = _clean(" ".join(p for p in street_parts if p is not None))
    city, postal = _text(element, "CITY"), _text(element, "ZIPCODE")
    country_text = _text(element, "COUNTRY")
    code = None if country_text is None else country_code(country_text)
    full = ", ".join(p for p in (street, city, postal, country_text) if p is not None)
    if len(full) > 0:
        draft.addresses.append(
            Address(full, street, city, None, postal, code, country_text)
        )
    if code is not None:
        draft.countries.append(code)
    if (other := _text(element, "OTHER")) is not None:
        label = full if len(full) > 0 else "address"
        draft.facts.append(Fact("Address remark", f"{label}: {other}"))
