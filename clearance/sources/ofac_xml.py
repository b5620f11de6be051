"""OFAC's classic XML: ``sdnList``/``sdnEntry`` (SDN and Consolidated) and ``nsplc``/``nspEntry``.

Namespaces ``http://tempuri.org/sdnList.xsd`` and ``http://tempuri.org/nsplc.xsd``. The one
idea: each entry is the legacy CSV row with its remark items already broken out into
elements, and ``idList/id`` carries the same labelled values as the CSV remarks (``ISIN``,
``Passport``, ``Listing Date (CMIC)``...), so both go through the ``_ofac_remarks`` table.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from clearance.errors import SourceFormatError
from clearance.model import (
    Address,
    Entity,
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
    parse_full_date,
)
from clearance.normalize import country_code
from clearance.sources._ofac_remarks import RemarkBuilder, unique_names
from clearance.sources.base import ParseReport, RawFile
from clearance.sources.xml import child_text, children, local, parse_xml

_ROOTS = {"sdnList": "sdnEntry", "nsplc": "nspEntry"}
_SCHEMAS = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of one classic OFAC XML file.

    Raises:
        SourceFormatError: no single ``.xml`` part, malformed XML, or another root.
    """
    name = _xml_part(raw)
    root = parse_xml(raw.parts[name], raw.source, name)
    root_name = local(root.tag)
    entry_name = _ROOTS.get(root_name)
    if entry_name is None:
        raise SourceFormatError(
            raw.source, f"{name} /{root_name}", "not an OFAC sdnList or nsplc document"
        )
    # The caller tells SDN from Consolidated (file name, root); NS-PLC is non-SDN.
    cons = raw.source == "us_ofac_cons" or root_name == "nsplc"
    code = "us_ofac_cons" if cons else "us_ofac_sdn"
    _publication(root, name, report)
    for entry in children(root, entry_name):
        report.records += 1
        uid = child_text(entry, "uid")
        where = f"{name} {entry_name} uid={uid} line {entry.sourceline}"
        if uid is None or not uid.isdigit():
            report.skip(where, f"uid {uid!r} is not a number")
            continue
        yield _entity(raw, report, code, where, uid, entry)


def _xml_part(raw: RawFile) -> str:
    found = sorted(name for name in raw.parts if name.endswith(".xml"))
    if len(found) != 1:
        raise SourceFormatError(
            raw.source,
            raw.origin,
            f"expected one .xml part, found {len(found)}: "
            + ", ".join(sorted(raw.parts)),
        )
    return found[0]


def _publication(root: etree._Element, name: str, report: ParseReport) -> None:
    info = children(root, "publshInformation")  # sic
    if len(info) == 0:
        report.warn(name, "no publshInformation")
        return
    published = child_text(info[0], "Publish_Date")
    if published is not None:
        report.published = parse_full_date(published, day_first=False)
        if report.published is None:
            report.warn(name, f"unparseable Publish_Date {published!r}")
    count = child_text(info[0], "Record_Count")
    if count is not None:
        if count.isdigit():
            report.declared_count = int(count)
        else:
            report.warn(name, f"Record_Count {count!r} is not a number")


def _entity(
    raw: RawFile,
    report: ParseReport,
    code: str,
    where: str,
    uid: str,
    entry: etree._Element,
) -> Entity:
    builder = RemarkBuilder()
    names: list[Name] = []
    primary = _full_name(entry)
    if primary is None:
        report.warn(where, "no lastName")
    else:
        names.append(make_name(primary, NameKind.PRIMARY))
    for aka in _items(entry, "akaList", "aka"):
        value = _full_name(aka)
        if value is None:
            continue
        names.append(make_name(value, _aka_kind(aka)))

    for item in _items(entry, "idList", "id"):
        label = child_text(item, "idType")
        value = child_text(item, "idNumber")
        if label is None or value is None:
            report.warn(
                where, f"id uid={child_text(item, 'uid')} without type or number"
            )
            continue
        notes: list[str] = []
        issued = child_text(item, "issueDate")
        if issued is not None:
            notes.append(f"issued {issued}")
        expires = child_text(item, "expirationDate")
        if expires is not None:
            notes.append(f"expires {expires}")
        builder.add_labelled(label, value, child_text(item, "idCountry"), tuple(notes))
    for item in _items(entry, "dateOfBirthList", "dateOfBirthItem"):
        _add(builder, "DOB", child_text(item, "dateOfBirth"))
    for item in _items(entry, "placeOfBirthList", "placeOfBirthItem"):
        _add(builder, "POB", child_text(item, "placeOfBirth"))
    for item in _items(entry, "nationalityList", "nationality"):
        _add(builder, "nationality", child_text(item, "country"))
    for item in _items(entry, "citizenshipList", "citizenship"):
        _add(builder, "citizen", child_text(item, "country"))
    remarks = child_text(entry, "remarks")
    if remarks is not None:
        builder.add_remarks(remarks)
    fields = builder.build()
    for problem in fields.problems:
        report.warn(where, problem)
    names.extend(fields.names)

    addresses = [a for a in map(_address, _items(entry, "addressList", "address")) if a]
    countries = [a.country for a in addresses if a.country is not None]
    identifiers = list(fields.identifiers)
    vessel: VesselInfo | None = None
    info = children(entry, "vesselInfo")
    if len(info) > 0:
        vessel, call_sign = _vessel(info[0], fields.vessel_built)
        if call_sign is not None:
            identifiers.insert(0, call_sign)
        flag = None if vessel.flag is None else country_code(vessel.flag)
        if flag is not None:
            countries.append(flag)

    programs = tuple(
        dict.fromkeys(
            text
            for program in _items(entry, "programList", "program")
            if (text := (program.text or "").strip())
        )
    )
    title = child_text(entry, "title")
    listing = Listing(
        source=code,
        authority=list_info(code).authority,
        legal_effect=effect_for(code, programs),
        authority_ref=uid,
        programs=programs,
        listed_on=fields.listed_on,
        effective_on=fields.effective_on,
        divestment_on=fields.divestment_on,
    )
    return Entity(
        id=f"{code}:{uid}",
        schema=_schema(entry, fields.company, report, where),
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
        remarks=remarks,
        facts=fields.facts,
        sources=(raw.source,),
    )


def _items(
    entry: etree._Element, list_name: str, item_name: str
) -> list[etree._Element]:
    return [
        item
        for group in children(entry, list_name)
        for item in children(group, item_name)
    ]


def _add(builder: RemarkBuilder, label: str, value: str | None) -> None:
    if value is not None:
        builder.add_labelled(label, value)


def _full_name(element: etree._Element) -> str | None:
    """``LASTNAME, First`` as the CSV writes it, or the last name alone."""
    last = child_text(element, "lastName")
    first = child_text(element, "firstName")
    if last is None:
        return first
    return last if first is None else f"{last}, {first}"


def _aka_kind(aka: etree._Element) -> NameKind:
    kind = (child_text(aka, "type") or "a.k.a.").lower().replace(".", "").strip()
    if kind == "fka":
        return NameKind.FORMER
    if kind == "nka":
        return NameKind.ALIAS
    category = (child_text(aka, "category") or "strong").lower()
    return NameKind.WEAK if category == "weak" else NameKind.ALIAS


def _address(element: etree._Element) -> Address | None:
    lines = [
        text
        for tag in ("address1", "address2", "address3")
        if (text := child_text(element, tag)) is not None
    ]
    street = ", ".join(lines) if len(lines) > 0 else None
    city = child_text(element, "city")
    region = child_text(element, "stateOrProvince")
    postal = child_text(element, "postalCode")
    country = child_text(element, "country")
    # "City, State Postal", as the CSV's City/State/Postal cell writes it
    place = ", ".join(p for p in (city, region) if p is not None)
    if postal is not None:
        place = postal if len(place) == 0 else f"{place} {postal}"
    parts = [p for p in (street, place, country) if p is not None and len(p) > 0]
    if len(parts) == 0:
        return None
    return Address(
        full=", ".join(parts),
        street=street,
        city=city,
        region=region,
        postal_code=postal,
        country=None if country is None else country_code(country),
        country_name=country,
    )


def _vessel(
    element: etree._Element, built: str | None
) -> tuple[VesselInfo, Identifier | None]:
    call_sign = child_text(element, "callSign")
    vessel = VesselInfo(
        vessel_type=child_text(element, "vesselType"),
        flag=child_text(element, "vesselFlag"),
        owner=child_text(element, "vesselOwner"),
        tonnage=child_text(element, "tonnage"),
        gross_registered_tonnage=child_text(element, "grossRegisteredTonnage"),
        built=built,
    )
    identifier = (
        None
        if call_sign is None
        else Identifier(IdScheme.CALL_SIGN, call_sign, label="Call Sign")
    )
    return vessel, identifier


def _schema(
    entry: etree._Element, company: bool, report: ParseReport, where: str
) -> Schema:
    kind = child_text(entry, "sdnType") or child_text(entry, "nspType")
    schema = None if kind is None else _SCHEMAS.get(kind.lower())
    if schema is None:
        report.warn(where, f"unknown entry type {kind!r}, taken as an organisation")
        schema = Schema.ORGANIZATION
    if schema is Schema.ORGANIZATION and company:
        return Schema.COMPANY
    return schema
