"""OFAC's Enhanced XML (``sanctionsData``): the SDN and Consolidated lists, fully structured.

Default namespace
``https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML``.
The one idea: values are typed by reference. ``referenceValues`` maps each ``refId`` to a
type and value (countries with their ISO codes, list names, alias types), every
``entities/entity`` points into it, and ``features`` carry what the legacy files wrote as
remark items (``ISIN``, ``Listing Date (CMIC)``, ``Birthdate``) under the same labels, so
they go through the ``_ofac_remarks`` table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

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
    PartialDate,
    Relation,
    Schema,
    VesselInfo,
    effect_for,
    list_info,
    make_name,
)
from clearance.normalize import country_code
from clearance.sources._ofac_remarks import (
    COMPANY_SCHEMES,
    RemarkBuilder,
    RemarkFields,
    parse_birth_date,
    unique_names,
)
from clearance.sources.base import ParseReport, RawFile
from clearance.sources.xml import child_text, children, local, parse_xml

SDN_LIST = "SDN List"
CONSOLIDATED_LIST = "Consolidated List"  # the umbrella every non-SDN entity is also on
_SCHEMAS = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
# OFAC relationship types, read from the related entity's side where that is clearer.
_RELATIONS = {
    "owned or controlled by": "parent",
    "owns, controls, or operates": "subsidiary",
    "associate of": "associate",
    "family member of": "family",
    "acting for or on behalf of": "agent_of",
    "providing support to": "supports",
    "leader or official of": "leader_of",
    "principal executive officer": "principal_executive_officer",
    "playing a significant role in": "significant_role_in",
    "property in the interest of": "property_of",
}
# Vessel features (from the SDN Enhanced XML schema; not in the Consolidated sample).
_VESSEL_FEATURES = {
    "vessel type": "vessel_type",
    "other vessel type": "vessel_type",
    "vessel flag": "flag",
    "vessel owner": "owner",
    "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "gross_registered_tonnage",
    "vessel grt": "gross_registered_tonnage",
    "vessel year of build": "built",
}
_DATE_FEATURES = frozenset({"birthdate"})


@dataclass(frozen=True, slots=True)
class _Ref:
    type: str
    value: str
    iso: str | None  # ISO code of a country reference value (upper case as written)


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of one OFAC Enhanced XML file (SDN or Consolidated).

    Raises:
        SourceFormatError: no single ``.xml`` part, malformed XML, or another root.
    """
    name = _xml_part(raw)
    root = parse_xml(raw.parts[name], raw.source, name)
    if local(root.tag) != "sanctionsData":
        raise SourceFormatError(
            raw.source,
            f"{name} /{local(root.tag)}",
            "not an OFAC Enhanced XML document",
        )
    refs = _references(root)
    file_code = _publication(root, raw, name, report)
    entities = [
        e for group in children(root, "entities") for e in children(group, "entity")
    ]
    if len(entities) == 0 and len(children(root, "entities")) == 0:
        raise SourceFormatError(
            raw.source, f"{name} /sanctionsData", "no entities element"
        )
    known: dict[str, str] = {}
    for entity in entities:
        ofac_id = (entity.get("id") or "").strip()
        if ofac_id.isdigit():
            known[ofac_id] = _code_for(file_code, _lists(entity))
    for entity in entities:
        report.records += 1
        ofac_id = (entity.get("id") or "").strip()
        where = f"{name} entity id={ofac_id} line {entity.sourceline}"
        if not ofac_id.isdigit():
            report.skip(where, f"entity id {ofac_id!r} is not a number")
            continue
        yield _entity(raw, report, refs, known, where, ofac_id, entity)


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


def _references(root: etree._Element) -> dict[str, _Ref]:
    refs: dict[str, _Ref] = {}
    for group in children(root, "referenceValues"):
        for item in children(group, "referenceValue"):
            ref_id = item.get("refId")
            if ref_id is None:
                continue
            refs[ref_id] = _Ref(
                child_text(item, "type") or "",
                child_text(item, "value") or "",
                child_text(item, "isoCode"),
            )
    return refs


def _publication(
    root: etree._Element, raw: RawFile, name: str, report: ParseReport
) -> str | None:
    """Sets ``report.published``; returns the list code the file publishes, if stated."""
    info = children(root, "publicationInfo")
    if len(info) == 0:
        report.warn(name, "no publicationInfo")
        return _code_of_source(raw.source)
    as_of = child_text(info[0], "dataAsOf")
    if as_of is not None:
        try:
            report.published = date.fromisoformat(as_of[:10])
        except ValueError:
            report.warn(name, f"unparseable dataAsOf {as_of!r}")
    stated = [
        (item.text or "").strip()
        for filters in children(info[0], "filters")
        for lists in children(filters, "sanctionsLists")
        for item in children(lists, "sanctionsList")
    ]
    if SDN_LIST in stated:
        return "us_ofac_sdn"
    if CONSOLIDATED_LIST in stated:
        return "us_ofac_cons"
    return _code_of_source(raw.source)


def _code_of_source(source: str) -> str | None:
    return source if source in ("us_ofac_sdn", "us_ofac_cons") else None


def _lists(entity: etree._Element) -> list[tuple[str, str | None]]:
    """(list name, datePublished) of each sanctionsList of an entity."""
    return [
        ((item.text or "").strip(), item.get("datePublished"))
        for group in children(entity, "sanctionsLists")
        for item in children(group, "sanctionsList")
    ]


def _list_code(list_name: str) -> str:
    return "us_ofac_sdn" if list_name == SDN_LIST else "us_ofac_cons"


def _code_for(file_code: str | None, lists: list[tuple[str, str | None]]) -> str:
    """The id prefix: the list this file publishes, else the entity's own list.

    An entity on both the SDN list and a non-SDN list (e.g. SSI) keeps the prefix of the
    file it came from, as the legacy CSV of the same list gives it.
    """
    if file_code is not None:
        return file_code
    names = [list_name for list_name, _ in lists]
    return "us_ofac_sdn" if SDN_LIST in names else "us_ofac_cons"


def _entity(
    raw: RawFile,
    report: ParseReport,
    refs: dict[str, _Ref],
    known: dict[str, str],
    where: str,
    ofac_id: str,
    entity: etree._Element,
) -> Entity:
    code = known[ofac_id]
    builder = RemarkBuilder()
    general = children(entity, "generalInfo")
    entity_type = None if len(general) == 0 else child_text(general[0], "entityType")
    remarks = None if len(general) == 0 else child_text(general[0], "remarks")
    title = None if len(general) == 0 else child_text(general[0], "title")

    names = _names(entity)
    if len(names) == 0 or names[0].kind is not NameKind.PRIMARY:
        report.warn(where, "no primary name")

    birth_dates: list[PartialDate] = []
    vessel_fields: dict[str, str] = {}
    for feature in _grouped(entity, "features", "feature"):
        _feature(feature, refs, builder, birth_dates, vessel_fields, report, where)
    for document in _grouped(entity, "identityDocuments", "identityDocument"):
        _document(document, builder, report, where)
    if remarks is not None:  # the free text left over, as in the legacy files
        builder.add_remarks(remarks)
    fields = builder.build()
    for problem in fields.problems:
        report.warn(where, problem)

    addresses = [
        a
        for item in _grouped(entity, "addresses", "address")
        for a in _address(item, refs)
    ]
    countries = [a.country for a in addresses if a.country is not None]
    identifiers = list(fields.identifiers)
    call_sign = vessel_fields.pop("call_sign", None)
    if call_sign is not None:
        identifiers.insert(
            0, Identifier(IdScheme.CALL_SIGN, call_sign, label="Vessel Call Sign")
        )
    vessel = _vessel(vessel_fields, fields.vessel_built)
    if vessel is not None and vessel.flag is not None:
        flag = country_code(vessel.flag)
        if flag is not None:
            countries.append(flag)

    programs = tuple(
        dict.fromkeys(
            text
            for item in _grouped(entity, "sanctionsPrograms", "sanctionsProgram")
            if (text := (item.text or "").strip())
        )
    )
    relations = [
        *fields.relations,
        *_relations(entity, known),
    ]
    schema = _schema(entity_type, fields.company, identifiers, report, where)
    return Entity(
        id=f"{code}:{ofac_id}",
        schema=schema,
        names=unique_names([*names, *fields.names]),
        listings=_listings(raw, code, ofac_id, programs, _lists(entity), fields),
        identifiers=tuple(dict.fromkeys(identifiers)),
        birth_dates=tuple(dict.fromkeys([*birth_dates, *fields.birth_dates])),
        birth_places=fields.birth_places,
        nationalities=fields.nationalities,
        citizenships=fields.citizenships,
        countries=tuple(dict.fromkeys(countries)),
        addresses=tuple(dict.fromkeys(addresses)),
        gender=fields.gender,
        titles=() if title is None else tuple(t.strip() for t in title.split("; ")),
        vessel=vessel,
        relations=tuple(dict.fromkeys(relations)),
        remarks=remarks,
        facts=fields.facts,
        sources=(raw.source,),
    )


def _grouped(entity: etree._Element, group: str, item: str) -> list[etree._Element]:
    return [
        element
        for parent in children(entity, group)
        for element in children(parent, item)
    ]


def _names(entity: etree._Element) -> list[Name]:
    """Primary name first, then aliases; each translation (script) is its own name."""
    primary: list[Name] = []
    others: list[Name] = []
    for name in _grouped(entity, "names", "name"):
        is_primary = child_text(name, "isPrimary") == "true"
        kind = NameKind.PRIMARY if is_primary else _alias_kind(name)
        values: list[tuple[bool, str]] = []
        for translation in _grouped(name, "translations", "translation"):
            full = child_text(translation, "formattedFullName")
            if full is None:
                continue
            values.append((child_text(translation, "isPrimary") == "true", full))
        values.sort(key=lambda v: not v[0])  # the primary (Latin) translation first
        target = primary if is_primary else others
        target.extend(make_name(value, kind) for _, value in values)
    return primary + others


def _alias_kind(name: etree._Element) -> NameKind:
    alias_type = (child_text(name, "aliasType") or "A.K.A.").upper().replace(".", "")
    if alias_type == "FKA":
        return NameKind.FORMER
    if alias_type == "NKA":
        return NameKind.ALIAS
    return (
        NameKind.WEAK if child_text(name, "isLowQuality") == "true" else NameKind.ALIAS
    )


def _feature(
    feature: etree._Element,
    refs: dict[str, _Ref],
    builder: RemarkBuilder,
    birth_dates: list[PartialDate],
    vessel_fields: dict[str, str],
    report: ParseReport,
    where: str,
) -> None:
    label = child_text(feature, "type")
    value = child_text(feature, "value")
    if label is None:
        report.warn(where, f"feature id={feature.get('id')} without a type")
        return
    key = label.strip().rstrip(":-").strip().lower()
    if key in _DATE_FEATURES:
        parsed = _feature_date(feature, value)
        if parsed is None:
            report.warn(where, f"unparseable {label} {value!r}")
            builder.add_labelled(label, value or "", unknown_as_fact=True)
        else:
            birth_dates.append(parsed)
        return
    if value is None:
        return
    if key in ("nationality country", "citizenship country"):
        ref = refs.get(child_text(feature, "valueRefId") or "")
        country = value if ref is None or ref.iso is None else ref.iso
        builder.add_labelled(
            "nationality" if key.startswith("nat") else "citizen", country
        )
        return
    if key in ("place of birth",):
        builder.add_labelled("POB", value)
        return
    if key in ("vessel call sign", "call sign"):
        vessel_fields["call_sign"] = value
        return
    if key in _VESSEL_FEATURES:
        vessel_fields[_VESSEL_FEATURES[key]] = value
        return
    comment = child_text(feature, "comments")
    builder.add_labelled(
        label, value, notes=() if comment is None else (comment,), unknown_as_fact=True
    )


def _feature_date(feature: etree._Element, value: str | None) -> PartialDate | None:
    """A birth date from its text, else from the structured ``valueDate`` bounds."""
    if value is not None:
        parsed = parse_birth_date(value)
        if parsed is not None:
            return parsed
    for value_date in children(feature, "valueDate"):
        start = child_text(value_date, "fromDateBegin")
        end = child_text(value_date, "toDateEnd") or child_text(
            value_date, "toDateBegin"
        )
        if start is None:
            continue
        try:
            first = date.fromisoformat(start[:10])
            last = first if end is None else date.fromisoformat(end[:10])
        except ValueError:
            return None
        circa = child_text(value_date, "isApproximate") == "true"
        if first == last:
            return PartialDate(first.year, first.month, first.day, circa=circa)
        if first.year != last.year:
            return PartialDate(first.year, circa=circa, until_year=last.year)
        if first.month == last.month:
            return PartialDate(first.year, first.month, circa=circa)
        return PartialDate(first.year, circa=circa)
    return None


def _document(
    document: etree._Element, builder: RemarkBuilder, report: ParseReport, where: str
) -> None:
    label = child_text(document, "type")
    number = child_text(document, "documentNumber")
    if label is None or number is None:
        report.warn(
            where, f"identityDocument id={document.get('id')} without type or number"
        )
        return
    notes: list[str] = []
    for tag, prefix in (
        ("issuingAuthority", "issued by "),
        ("issuingLocation", "issued in "),
        ("issueDate", "issued "),
        ("expirationDate", "expires "),
    ):
        text = child_text(document, tag)
        if text is not None:
            notes.append(prefix + text)
    if child_text(document, "isValid") == "false":
        notes.append("not valid")
    builder.add_labelled(
        label, number, child_text(document, "issuingCountry"), tuple(notes)
    )


def _address(element: etree._Element, refs: dict[str, _Ref]) -> list[Address]:
    """One Address per translation of an address (Latin first)."""
    country_el = children(element, "country")
    country_name = child_text(element, "country")
    country: str | None = None
    if len(country_el) > 0:
        ref = refs.get(country_el[0].get("refId") or "")
        if ref is not None and ref.iso is not None:
            country = ref.iso.lower()
    if country is None and country_name is not None:
        country = country_code(country_name)
    found: list[Address] = []
    for translation in _grouped(element, "translations", "translation"):
        parts: dict[str, list[str]] = {}
        for part in _grouped(translation, "addressParts", "addressPart"):
            kind = (child_text(part, "type") or "").upper()
            value = child_text(part, "value")
            if value is not None:
                parts.setdefault(kind, []).append(value)
        street = ", ".join(
            v for k in ("ADDRESS1", "ADDRESS2", "ADDRESS3") for v in parts.get(k, [])
        )
        city = ", ".join(parts.get("CITY", []))
        region = ", ".join([*parts.get("STATE/PROVINCE", []), *parts.get("REGION", [])])
        postal = ", ".join(parts.get("POSTAL CODE", []))
        place = ", ".join(p for p in (city, region) if len(p) > 0)
        if len(postal) > 0:
            place = postal if len(place) == 0 else f"{place} {postal}"
        full = ", ".join(p for p in (street, place, country_name or "") if len(p) > 0)
        if len(full) == 0:
            continue
        found.append(
            Address(
                full=full,
                street=street or None,
                city=city or None,
                region=region or None,
                postal_code=postal or None,
                country=country,
                country_name=country_name,
            )
        )
    if len(found) == 0 and country_name is not None:
        found.append(
            Address(full=country_name, country=country, country_name=country_name)
        )
    return found


def _vessel(values: dict[str, str], built: str | None) -> VesselInfo | None:
    if len(values) == 0 and built is None:
        return None
    return VesselInfo(
        vessel_type=values.get("vessel_type"),
        flag=values.get("flag"),
        owner=values.get("owner"),
        tonnage=values.get("tonnage"),
        gross_registered_tonnage=values.get("gross_registered_tonnage"),
        built=values.get("built", built),
    )


def _relations(entity: etree._Element, known: dict[str, str]) -> list[Relation]:
    found: list[Relation] = []
    for item in _grouped(entity, "relationships", "relationship"):
        kind_text = child_text(item, "type") or "linked to"
        for related in children(item, "relatedEntity"):
            target_name = (related.text or "").strip()
            target = (related.get("entityId") or "").strip()
            if len(target_name) == 0:
                continue
            code = known.get(target)
            note = kind_text
            if code is None and len(target) > 0:
                note = f"{kind_text}; OFAC entity {target}, not in this file"
            found.append(
                Relation(
                    _RELATIONS.get(kind_text.lower(), "linked_to"),
                    target_name,
                    None if code is None else f"{code}:{target}",
                    note,
                )
            )
    return found


def _listings(
    raw: RawFile,
    code: str,
    ofac_id: str,
    programs: tuple[str, ...],
    lists: list[tuple[str, str | None]],
    fields: RemarkFields,
) -> tuple[Listing, ...]:
    """One listing per list code the entity is on (the umbrella list aside).

    ``listed_on`` is the NS-CMIC listing date where given, else the earliest
    ``datePublished`` of the entity's lists with that code.
    """
    dates: dict[str, date | None] = {}
    for list_name, published in lists:
        if list_name == CONSOLIDATED_LIST:
            continue
        list_code = _list_code(list_name)
        when: date | None = None
        if published is not None:
            try:
                when = date.fromisoformat(published[:10])
            except ValueError:
                when = None
        earlier = dates.get(list_code)
        if earlier is None or (when is not None and when < earlier):
            dates[list_code] = when
    if len(dates) == 0:
        dates[code] = None
    ordered = sorted(dates, key=lambda c: c != code)  # the file's own list first
    listings: list[Listing] = []
    for list_code in ordered:
        own = list_code == "us_ofac_cons"
        listings.append(
            Listing(
                source=list_code,
                authority=list_info(list_code).authority,
                legal_effect=effect_for(list_code, programs),
                authority_ref=ofac_id,
                programs=programs,
                listed_on=(fields.listed_on if own else None) or dates[list_code],
                effective_on=fields.effective_on if own else None,
                divestment_on=fields.divestment_on if own else None,
                via=None if list_code == raw.source else raw.source,
            )
        )
    return tuple(listings)


def _schema(
    entity_type: str | None,
    company: bool,
    identifiers: list[Identifier],
    report: ParseReport,
    where: str,
) -> Schema:
    schema = None if entity_type is None else _SCHEMAS.get(entity_type.lower())
    if schema is None:
        report.warn(
            where, f"unknown entityType {entity_type!r}, taken as an organisation"
        )
        schema = Schema.ORGANIZATION
    if schema is Schema.ORGANIZATION and (
        company or any(i.scheme in COMPANY_SCHEMES for i in identifiers)
    ):
        return Schema.COMPANY
    return schema
