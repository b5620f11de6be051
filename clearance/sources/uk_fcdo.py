"""UK Sanctions List (FCDO), XML (``Designations``/``Designation``).

One ``Designation`` per listed party, keyed by its ``UniqueID`` (``AFG0001``), with the OFSI
Consolidated List's ``OFSIGroupID`` alongside: the same target in HM Treasury's list, so
each entity carries a ``same_as`` relation to ``uk_hmt:<OFSIGroupID>``. Details nest in
plural wrappers (``Names/Name``, ``IndividualDetails/Individual/DOBs/DOB``...); dates are
DD/MM/YYYY with ``dd``/``mm`` for an unknown day or month. Every leaf this module does not
map is kept as a fact under its element name, so a new field in the schema is never lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from lxml import etree

from clearance.errors import SourceFormatError
from clearance.model import (
    Address,
    Entity,
    Fact,
    Identifier,
    IdScheme,
    LegalEffect,
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
)
from clearance.normalize import country_code
from clearance.sources.base import ParseReport, RawFile
from clearance.sources.uk_hmt import LANGUAGE_CODES, parse_uk_date, uk_country
from clearance.sources.xml import local, parse_xml

LIST_CODE = "uk_fcdo"

_SCHEMAS = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "ship": Schema.VESSEL,
}
_NAME_PARTS = ("Name1", "Name2", "Name3", "Name4", "Name5", "Name6")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_DIGIT_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*\d[A-Za-z0-9./-]*")
_CONTACTS = (
    ("PhoneNumbers", "PhoneNumber", IdScheme.PHONE),
    ("EmailAddresses", "EmailAddress", IdScheme.EMAIL),
    ("Websites", "Website", IdScheme.WEBSITE),
)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = " ".join(text.split())
    return value if len(value) > 0 else None


class _Reader:
    """Reads one Designation by local-name paths and remembers which leaves it used."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used: set[etree._Element] = set()

    def nodes(self, element: etree._Element, *path: str) -> list[etree._Element]:
        found = [element]
        for name in path:
            found = [c for node in found for c in node if local(c.tag) == name]
        return found

    def texts(self, element: etree._Element, *path: str) -> list[str]:
        out: list[str] = []
        for node in self.nodes(element, *path):
            self.used.add(node)
            text = _clean(node.text)
            if text is not None:
                out.append(text)
        return out

    def text(self, element: etree._Element, *path: str) -> str | None:
        found = self.texts(element, *path)
        return found[0] if len(found) > 0 else None


def _u(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _full_date(text: str | None) -> date | None:
    parsed = None if text is None else parse_uk_date(text)
    if parsed is None or parsed.month is None or parsed.day is None:
        return None
    return date(parsed.year, parsed.month, parsed.day)


def _first_part(raw: RawFile) -> tuple[str, bytes]:
    if len(raw.parts) == 1:
        return next(iter(raw.parts.items()))
    for name in sorted(raw.parts):
        if name.endswith(".xml"):
            return name, raw.parts[name]
    raise SourceFormatError(raw.source, raw.origin, "no XML member in the file set")


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of a UK Sanctions List XML file.

    Raises:
        SourceFormatError: the file is not well-formed XML or its root is not
            ``Designations``.
    """
    part, data = _first_part(raw)
    root = parse_xml(data, raw.source, part)
    if local(root.tag) != "Designations":
        raise SourceFormatError(
            raw.source, part, f"root element {local(root.tag)}, expected Designations"
        )
    for child in root:
        if local(child.tag) == "DateGenerated":
            stamp = _clean(child.text)
            report.published = _full_date(stamp)
            if report.published is None:
                report.warn(f"{part} DateGenerated", f"unparseable date {stamp!r}")
    for element in root:
        if local(element.tag) != "Designation":
            continue
        report.records += 1
        entity = _entity(raw, report, element)
        if entity is not None:
            yield entity


def _entity(
    raw: RawFile, report: ParseReport, element: etree._Element
) -> Entity | None:
    r = _Reader()
    unique_id = r.text(element, "UniqueID")
    where = f"Designation UniqueID={unique_id}"
    if unique_id is None:
        report.skip(f"Designation #{report.records}", "no UniqueID")
        return None
    names = _names(r, element)
    if len(names) == 0:
        report.skip(where, "no name")
        return None
    kind = (r.text(element, "IndividualEntityShip") or "").lower()
    schema = _SCHEMAS.get(kind)
    if schema is None:
        report.warn(
            where, f"unknown IndividualEntityShip {kind!r}; read as an organisation"
        )
        schema = Schema.ORGANIZATION
    facts: list[Fact] = []
    identifiers: list[Identifier] = []
    relations: list[Relation] = []
    titles = r.texts(element, "Titles", "Title")
    group = r.text(element, "OFSIGroupID")
    if group is not None:
        facts.append(Fact("OFSI Group ID", group))
        # a non-empty target_name: the entity codec drops empty strings
        relations.append(
            Relation("same_as", f"OFSI Group ID {group}", f"uk_hmt:{group}")
        )
    if (un_ref := r.text(element, "UNReferenceNumber")) is not None:
        facts.append(Fact("UN reference number", un_ref))
    for label, tag in (
        ("Designation source", "DesignationSource"),
        ("Last updated", "LastUpdated"),
    ):
        if (value := r.text(element, tag)) is not None:
            facts.append(Fact(label, value))
    imposed = _indicators(r, element)
    facts.extend(Fact("Sanction imposed", measure) for measure in imposed)
    summary = r.text(element, "SanctionsImposed")  # "Asset freeze|Travel Ban"
    if summary is not None and len(imposed) == 0:
        facts.extend(Fact("Sanction imposed", m.strip()) for m in summary.split("|"))
    for wrapper, tag, scheme in _CONTACTS:
        for value in r.texts(element, wrapper, tag):
            identifiers.append(Identifier(scheme, value))
    addresses, countries = _addresses(r, element)
    person = _individual(r, element, where, report, titles, identifiers, facts)
    _organisation(r, element, identifiers, relations, facts)
    vessel = _ship(r, element, identifiers, facts)
    remarks = _remarks(r, element)
    if schema is Schema.ORGANIZATION and any(
        i.scheme is IdScheme.REGISTRATION for i in identifiers
    ):
        schema = Schema.COMPANY
    programs = _u(r.texts(element, "RegimeName"))
    effect = effect_for(LIST_CODE, programs)
    if len(imposed) > 0 and "Asset freeze" not in imposed:
        # e.g. a ship under a port-entry ban only: listed, but nothing is frozen
        effect = LegalEffect.RESTRICTED_DEALINGS
    designated = r.text(element, "DateDesignated")
    listed_on = _full_date(designated)
    if designated is not None and listed_on is None:
        report.warn(where, f"unparseable DateDesignated {designated!r}")
        facts.append(Fact("Date designated", designated))
    # whatever the schema adds later is kept, never dropped
    for leaf in element.iter():
        if len(leaf) == 0 and leaf not in r.used:
            text = _clean(leaf.text)
            if text is not None:
                facts.append(Fact(local(leaf.tag), text))
    listing = Listing(
        source=LIST_CODE,
        authority=list_info(LIST_CODE).authority,
        legal_effect=effect,
        authority_ref=unique_id,
        programs=programs,
        listed_on=listed_on,
    )
    return Entity(
        id=f"{LIST_CODE}:{unique_id}",
        schema=schema,
        names=names,
        listings=(listing,),
        identifiers=tuple(dict.fromkeys(identifiers)),
        birth_dates=person.birth_dates,
        birth_places=person.birth_places,
        nationalities=person.nationalities,
        countries=_u(countries),
        addresses=tuple(dict.fromkeys(addresses)),
        gender=person.gender,
        titles=_u(titles),
        vessel=vessel,
        relations=tuple(dict.fromkeys(relations)),
        remarks=remarks,
        facts=tuple(dict.fromkeys(facts)),
        sources=(raw.source,),
    )


def _names(r: _Reader, element: etree._Element) -> tuple[Name, ...]:
    found: list[Name] = []
    for node in r.nodes(element, "Names", "Name"):
        parts = [r.text(node, tag) for tag in _NAME_PARTS]
        value = " ".join(p for p in parts if p is not None)
        name_type = (r.text(node, "NameType") or "").lower()
        strength = (r.text(node, "AliasStrength") or "").lower()
        if name_type == "primary name":
            kind = NameKind.PRIMARY
        elif "former" in name_type or "previous" in name_type:
            kind = NameKind.FORMER
        elif strength.startswith("low"):
            kind = NameKind.WEAK
        else:
            kind = NameKind.ALIAS  # "Alias", "Primary Name Variation"
        if value != "":
            found.append(make_name(value, kind))
    for non_latin in r.nodes(element, "NonLatinNames", "NonLatinName"):
        script = r.text(non_latin, "NameNonLatinScript")
        language = r.text(non_latin, "NonLatinScriptLanguage") or ""
        r.texts(non_latin, "NonLatinScriptType")  # implied by the detected script
        if script is not None:
            lang = LANGUAGE_CODES.get(language.lower())
            found.append(make_name(script, NameKind.ALIAS, lang))
    order = {
        NameKind.PRIMARY: 0,
        NameKind.ALIAS: 1,
        NameKind.WEAK: 2,
        NameKind.FORMER: 3,
    }
    out: list[Name] = []
    for name in sorted(found, key=lambda n: order[n.kind]):
        if name.kind is NameKind.PRIMARY and len(out) > 0:
            name = Name(name.value, NameKind.ALIAS, name.script, name.lang)
        if all(n.value != name.value for n in out):
            out.append(name)
    if len(out) > 0 and out[0].kind is not NameKind.PRIMARY:
        out[0] = Name(out[0].value, NameKind.PRIMARY, out[0].script, out[0].lang)
    return tuple(out)


def _indicators(r: _Reader, element: etree._Element) -> list[str]:
    """Measures flagged ``true``: ``AssetFreeze`` -> "Asset freeze"."""
    measures: list[str] = []
    for node in r.nodes(element, "SanctionsImposedIndicators"):
        for flag in node:
            r.used.add(flag)
            if (flag.text or "").strip().lower() == "true":
                measures.append(_CAMEL.sub(" ", local(flag.tag)).capitalize())
    return measures


def _addresses(r: _Reader, element: etree._Element) -> tuple[list[Address], list[str]]:
    addresses: list[Address] = []
    countries: list[str] = []
    for node in r.nodes(element, "Addresses", "Address"):
        lines: list[str] = []
        for child in node:
            if local(child.tag).startswith("AddressLine"):
                r.used.add(child)
                if (text := _clean(child.text)) is not None:
                    lines.append(text)
        postal = r.text(node, "AddressPostalCode")
        country_name = r.text(node, "AddressCountry")
        full = ", ".join(p for p in (*lines, postal, country_name) if p is not None)
        if len(full) == 0:
            continue
        code = None if country_name is None else uk_country(country_name)
        addresses.append(
            Address(full, postal_code=postal, country=code, country_name=country_name)
        )
        if code is not None:
            countries.append(code)
    return addresses, countries


class _Person:
    __slots__ = ("birth_dates", "birth_places", "gender", "nationalities")

    def __init__(self) -> None:
        self.birth_dates: tuple[PartialDate, ...] = ()
        self.birth_places: tuple[str, ...] = ()
        self.nationalities: tuple[str, ...] = ()
        self.gender: str | None = None


def _individual(
    r: _Reader,
    element: etree._Element,
    where: str,
    report: ParseReport,
    titles: list[str],
    identifiers: list[Identifier],
    facts: list[Fact],
) -> _Person:
    person = _Person()
    dates: list[PartialDate] = []
    places: list[str] = []
    nationalities: list[str] = []
    genders: list[str] = []
    for node in r.nodes(element, "IndividualDetails", "Individual"):
        for text in r.texts(node, "DOBs", "DOB"):
            parsed = parse_uk_date(text)
            if parsed is None:
                report.warn(where, f"unparseable DOB {text!r}")
                facts.append(Fact("Date of birth", text))
            else:
                dates.append(parsed)
        for text in r.texts(node, "Nationalities", "Nationality"):
            code = uk_country(text)
            if code is None:
                facts.append(Fact("Nationality", text))
            else:
                nationalities.append(code)
        genders.extend(g.lower() for g in r.texts(node, "Genders", "Gender"))
        titles.extend(r.texts(node, "Positions", "Position"))
        for location in r.nodes(node, "BirthDetails", "Location"):
            parts = [r.text(location, t) for t in ("TownOfBirth", "RegionOfBirth")]
            parts.append(r.text(location, "CountryOfBirth"))
            place = ", ".join(p for p in parts if p is not None)
            if len(place) > 0:
                places.append(place)
        for scheme, label, wrapper, tag, number_tag, info_tag in (
            (
                IdScheme.PASSPORT,
                "Passport",
                "PassportDetails",
                "Passport",
                "PassportNumber",
                "PassportAdditionalInformation",
            ),
            (
                IdScheme.NATIONAL_ID,
                "National identifier",
                "NationalIdentifierDetails",
                "NationalIdentifier",
                "NationalIdentifierNumber",
                "NationalIdentifierAdditionalInformation",
            ),
        ):
            for document in r.nodes(node, wrapper, tag):
                number = r.text(document, number_tag)
                info = r.text(document, info_tag)
                if number is None:
                    if info is not None:
                        facts.append(Fact(label, info))
                    continue
                identifiers.append(
                    Identifier(scheme, number, _doc_country(info), label, info)
                )
    person.birth_dates = tuple(dict.fromkeys(dates))
    person.birth_places = _u(places)
    person.nationalities = _u(nationalities)
    known = [g for g in _u(genders) if g in ("male", "female")]
    person.gender = known[0] if len(known) == 1 else None
    return person


def _doc_country(info: str | None) -> str | None:
    # "Afghanistan passport number P04581926, issued in Kandahar": the issuing country leads
    if info is None:
        return None
    words = info.split(" ")
    for size in (3, 2, 1):
        if len(words) > size:
            code = country_code(" ".join(words[:size]))
            if code is not None:
                return code
    return None


def _organisation(
    r: _Reader,
    element: etree._Element,
    identifiers: list[Identifier],
    relations: list[Relation],
    facts: list[Fact],
) -> None:
    for node in r.nodes(element, "EntityDetails", "Entity"):
        for value in r.texts(node, "TypeOfEntities", "TypeOfEntity"):
            facts.append(Fact("Type of entity", value))
        for value in r.texts(
            node, "BusinessRegistrationNumbers", "BusinessRegistrationNumber"
        ):
            tokens = _DIGIT_TOKEN.findall(value)
            if len(tokens) == 0:
                facts.append(Fact("Business registration number", value))
                continue
            number = tokens[-1].rstrip(".")
            label = value[: value.rfind(tokens[-1])].strip(" :-") or None
            identifiers.append(Identifier(IdScheme.REGISTRATION, number, label=label))
        for value in r.texts(node, "ParentCompanies", "ParentCompany"):
            relations.append(Relation("parent", value))
        for value in r.texts(node, "Subsidiaries", "Subsidiary"):
            relations.append(Relation("subsidiary", value))


def _ship(
    r: _Reader,
    element: etree._Element,
    identifiers: list[Identifier],
    facts: list[Fact],
) -> VesselInfo | None:
    vessel: VesselInfo | None = None
    for node in r.nodes(element, "ShipDetails", "Ship"):
        for value in r.texts(node, "IMONumbers", "IMONumber"):
            digits = re.sub(r"\D", "", value)  # "IMO9562233"
            identifiers.append(
                Identifier(IdScheme.IMO, digits or value, label="IMONumber")
            )
        owners = r.texts(node, "CurrentOwnerOperators", "CurrentOwnerOperator")
        flags = r.texts(node, "CurrentBelievedFlagOfShips", "CurrentBelievedFlagOfShip")
        types = r.texts(node, "TypeOfShipDetails", "TypeOfShip")
        tonnages = r.texts(node, "TonnageOfShipDetails", "TonnageOfShip")
        built = r.texts(node, "YearBuiltDetails", "YearBuilt")
        for value in r.texts(node, "PreviousFlags", "PreviousFlag"):
            facts.append(Fact("Previous flag", value))
        for value in r.texts(node, "LengthOfShipDetails", "LengthOfShip"):
            facts.append(Fact("Length of ship", value))
        vessel = VesselInfo(
            vessel_type="; ".join(types) or None,
            flag="; ".join(flags) or None,
            owner="; ".join(owners) or None,
            tonnage="; ".join(tonnages) or None,
            built="; ".join(built) or None,
        )
    return vessel


def _remarks(r: _Reader, element: etree._Element) -> str | None:
    parts: list[str] = []
    for node in r.nodes(element, "OtherInformation"):
        r.used.add(node)
        if (text := (node.text or "").strip()) != "":
            parts.append(text)
    for node in r.nodes(element, "UKStatementofReasons"):
        r.used.add(node)
        if (text := (node.text or "").strip()) != "":
            parts.append(f"UK Statement of Reasons: {text}")
    return "\n".join(parts) if len(parts) > 0 else None
