"""UN Security Council Consolidated List, XML (``CONSOLIDATED_LIST``).

One ``INDIVIDUAL`` or ``ENTITY`` element per listed party, flat and self-contained:
the name is ``FIRST_NAME``..``FOURTH_NAME`` joined in order, aliases carry a ``QUALITY``
(Good -> strong, Low -> weak), and the id is the element's ``DATAID``. Element names are
stable since 2016 but their values' casing is not (``Exact`` in 2016, ``EXACT`` later),
so values are compared case-insensitively. Empty elements (``<ALIAS_NAME/>``) are
everywhere and mean "nothing". ``VERSIONNUM``, ``LIST_TYPE`` (always "UN List"),
``SORT_KEY`` and ``SORT_KEY_LAST_MOD`` are the UN's bookkeeping and are not kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

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

LIST_CODE = "un_sc"

_ALIAS_KINDS = {
    "good": NameKind.ALIAS,
    "low": NameKind.WEAK,
    "a.k.a.": NameKind.ALIAS,
    "f.k.a.": NameKind.FORMER,
    "": NameKind.ALIAS,
}
_RECORDS = (
    ("INDIVIDUALS", "INDIVIDUAL", Schema.PERSON),
    ("ENTITIES", "ENTITY", Schema.ORGANIZATION),
)
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join((element.text or "").split())
    return text if len(text) > 0 else None


class _Fields:
    """The children of one element grouped by tag, read once."""

    __slots__ = ("_by_tag",)

    def __init__(self, element: etree._Element) -> None:
        self._by_tag: dict[str, list[etree._Element]] = {}
        for child in element:
            self._by_tag.setdefault(local(child.tag), []).append(child)

    def text(self, tag: str) -> str | None:
        found = self._by_tag.get(tag)
        return None if found is None else _text(found[0])

    def all(self, tag: str) -> list[etree._Element]:
        return self._by_tag.get(tag, [])

    def values(self, tag: str) -> list[str]:
        """Texts of ``<tag><VALUE>..</VALUE></tag>`` lists (DESIGNATION, TITLE...)."""
        out: list[str] = []
        for holder in self.all(tag):
            for value in holder:
                text = _text(value)
                if text is not None:
                    out.append(text)
        return out


@dataclass(slots=True)
class _Draft:
    names: list[Name] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    birth_dates: list[PartialDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def name(self, value: str | None, kind: NameKind) -> None:
        if value is None:
            return
        name = make_name(value, kind)
        if len(name.value) > 0 and all(n.value != name.value for n in self.names):
            self.names.append(name)


def _u(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _first_part(raw: RawFile) -> tuple[str, bytes]:
    if len(raw.parts) == 1:
        return next(iter(raw.parts.items()))
    for name in sorted(raw.parts):
        if name.endswith(".xml"):
            return name, raw.parts[name]
    raise SourceFormatError(raw.source, raw.origin, "no XML member in the file set")


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of a UN consolidated list file.

    Raises:
        SourceFormatError: the file is not well-formed XML or its root is not
            ``CONSOLIDATED_LIST``.
    """
    part, data = _first_part(raw)
    root = parse_xml(data, raw.source, part)
    if local(root.tag) != "CONSOLIDATED_LIST":
        raise SourceFormatError(
            raw.source,
            part,
            f"root element {local(root.tag)}, expected CONSOLIDATED_LIST",
        )
    generated = root.get("dateGenerated")
    if generated is not None:
        published = parse_full_date(generated.strip()[:10])
        if published is None:
            report.warn(
                f"{part} CONSOLIDATED_LIST", f"unparseable dateGenerated {generated!r}"
            )
        report.published = published
    # local() of a comment node is never a real tag name, so comments drop out
    containers = {local(c.tag): c for c in root}
    if not any(name in containers for name, _, _ in _RECORDS):
        raise SourceFormatError(
            raw.source, part, "neither INDIVIDUALS nor ENTITIES present"
        )
    for container_name, tag, schema in _RECORDS:
        container = containers.get(container_name)
        if container is None:
            continue
        for element in container:
            if local(element.tag) != tag:
                continue
            report.records += 1
            entity = _entity(raw, report, element, tag, schema)
            if entity is not None:
                yield entity


def _entity(
    raw: RawFile, report: ParseReport, element: etree._Element, tag: str, schema: Schema
) -> Entity | None:
    f = _Fields(element)
    data_id = f.text("DATAID")
    where = f"{tag} DATAID={data_id}"
    if data_id is None:
        report.skip(f"{tag} #{report.records}", "no DATAID")
        return None
    draft = _Draft()
    draft.name(
        " ".join(p for p in (f.text(t) for t in _NAME_PARTS) if p is not None),
        NameKind.PRIMARY,
    )
    # the original-script rendering of the primary name is a strong name of its own
    draft.name(f.text("NAME_ORIGINAL_SCRIPT"), NameKind.ALIAS)
    for alias in f.all(f"{tag}_ALIAS"):
        _alias(report, where, draft, _Fields(alias))
    if len(draft.names) == 0:
        report.skip(where, "no name")
        return None
    if draft.names[0].kind is not NameKind.PRIMARY:
        draft.names[0] = dataclasses.replace(draft.names[0], kind=NameKind.PRIMARY)
    for dob in f.all(f"{tag}_DATE_OF_BIRTH"):
        _birth_date(report, where, draft, _Fields(dob))
    for pob in f.all(f"{tag}_PLACE_OF_BIRTH"):
        place = _place(_Fields(pob))
        if place is not None:
            draft.birth_places.append(place)
    for value in f.values("NATIONALITY"):
        code = country_code(value)
        if code is None:
            draft.facts.append(Fact("Nationality", value))
        else:
            draft.nationalities.append(code)
    for document in f.all(f"{tag}_DOCUMENT"):
        _document(draft, _Fields(document))
    for address in f.all(f"{tag}_ADDRESS"):
        _address(draft, _Fields(address))
    draft.titles.extend(f.values("TITLE"))
    draft.titles.extend(f.values("DESIGNATION"))
    for label, tag_name in (
        ("Submitted by", "SUBMITTED_BY"),
        ("Submitted on", "SUBMITTED_ON"),
    ):
        submitted = f.text(tag_name)
        if submitted is not None:
            draft.facts.append(Fact(label, submitted))
    updated = f.values("LAST_DAY_UPDATED")
    if len(updated) > 0:
        draft.facts.append(Fact("Last day updated", ", ".join(updated)))
    gender = (f.text("GENDER") or "").lower()
    programs = tuple(p for p in (f.text("UN_LIST_TYPE"),) if p is not None)
    listed_text = f.text("LISTED_ON")
    listed_on = None
    if listed_text is not None:
        # ten 2026 values carry a UTC offset after the date: "2015-04-07-04:00"
        listed_on = parse_full_date(listed_text[:10])
        if listed_on is None:
            report.warn(where, f"unparseable LISTED_ON {listed_text!r}")
            draft.facts.append(Fact("Listed on", listed_text))
    listing = Listing(
        source=LIST_CODE,
        authority=list_info(LIST_CODE).authority,
        legal_effect=effect_for(LIST_CODE, programs),
        authority_ref=f.text("REFERENCE_NUMBER"),
        programs=programs,
        listed_on=listed_on,
    )
    comments = f.all("COMMENTS1")
    remarks = (comments[0].text or "").strip() if len(comments) > 0 else ""
    return Entity(
        id=f"{LIST_CODE}:{data_id}",
        schema=schema,
        names=tuple(draft.names),
        listings=(listing,),
        identifiers=tuple(dict.fromkeys(draft.identifiers)),
        birth_dates=tuple(dict.fromkeys(draft.birth_dates)),
        birth_places=_u(draft.birth_places),
        nationalities=_u(draft.nationalities),
        countries=_u(draft.countries),
        addresses=tuple(dict.fromkeys(draft.addresses)),
        gender=gender if gender in ("male", "female") else None,
        titles=_u(draft.titles),
        remarks=remarks if len(remarks) > 0 else None,
        facts=tuple(dict.fromkeys(draft.facts)),
        sources=(raw.source,),
    )


def _alias(report: ParseReport, where: str, draft: _Draft, f: _Fields) -> None:
    name = f.text("ALIAS_NAME")
    if name is None:
        return
    quality = (f.text("QUALITY") or "").lower()
    kind = _ALIAS_KINDS.get(quality, NameKind.ALIAS)
    draft.name(name, kind)
    # some aliases carry their own birth details (2018+), used with that name
    dob = f.text("DATE_OF_BIRTH")
    if dob is not None:
        parsed = parse_partial_date(dob[:10])
        if parsed is None:
            report.warn(where, f"unparseable alias DATE_OF_BIRTH {dob!r}")
            draft.facts.append(Fact("Alias date of birth", f"{name}: {dob}"))
        else:
            draft.birth_dates.append(parsed)
    place = ", ".join(
        p for p in (f.text("CITY_OF_BIRTH"), f.text("COUNTRY_OF_BIRTH")) if p
    )
    if len(place) > 0:
        draft.birth_places.append(place)
    note = f.text("NOTE")
    if note is not None:
        draft.facts.append(Fact("Alias note", f"{name}: {note}"))


def _birth_date(report: ParseReport, where: str, draft: _Draft, f: _Fields) -> None:
    kind = (f.text("TYPE_OF_DATE") or "").upper()
    note = f.text("NOTE")
    circa = kind == "APPROXIMATELY"
    if note is not None and note.lower() == "approximately":
        circa, note = True, None
    parsed: PartialDate | None = None
    raw_text: str | None = None
    if (text := f.text("DATE")) is not None:
        raw_text, parsed = text, parse_partial_date(text[:10])
    elif (text := f.text("YEAR")) is not None:
        raw_text, parsed = text, parse_partial_date(text)
    elif (start := f.text("FROM_YEAR")) is not None:
        end = f.text("TO_YEAR") or start
        raw_text = f"{start} to {end}"
        parsed = (
            parse_partial_date(raw_text) if end != start else parse_partial_date(start)
        )
    elif note is not None:
        # "Nov. 1973", "August 1961": a partial date written only in the note
        raw_text, parsed, note = note, parse_partial_date(note), None
    if raw_text is None and note is None:
        return
    if parsed is not None:
        draft.birth_dates.append(
            dataclasses.replace(parsed, circa=parsed.circa or circa)
        )
    elif raw_text is not None:
        report.warn(where, f"unparseable date of birth {raw_text!r}")
        draft.facts.append(Fact("Date of birth", raw_text))
    if note is not None:
        draft.facts.append(Fact("Date of birth note", note))


def _place(f: _Fields) -> str | None:
    parts = [f.text(t) for t in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")]
    text = ", ".join(p for p in parts if p is not None)
    note = f.text("NOTE")
    if note is not None:
        text = f"{text} ({note})" if len(text) > 0 else note
    return text if len(text) > 0 else None


def _document(draft: _Draft, f: _Fields) -> None:
    kind = f.text("TYPE_OF_DOCUMENT")
    detail = f.text("TYPE_OF_DOCUMENT2")
    label = detail or kind
    lowered = (kind or detail or "").lower()
    if any(word in lowered for word in ("passport", "passeport", "pasaporte")):
        scheme = IdScheme.PASSPORT
    elif "identification" in lowered or "identity" in lowered:
        scheme = IdScheme.NATIONAL_ID
    else:
        scheme = IdScheme.OTHER
    issuing = f.text("ISSUING_COUNTRY")
    of_issue = f.text("COUNTRY_OF_ISSUE")
    notes: list[str] = []
    if (issued := f.text("DATE_OF_ISSUE")) is not None:
        notes.append(f"issued {issued}")
    if (city := f.text("CITY_OF_ISSUE")) is not None:
        notes.append(f"issued in {city}")
    if of_issue is not None and of_issue != issuing:
        notes.append(f"country of issue {of_issue}")
    if issuing is not None and country_code(issuing) is None:
        notes.append(f"issuing country {issuing}")
    if (note := f.text("NOTE")) is not None:
        notes.append(note)
    number = f.text("NUMBER")
    if number is None:
        if label is not None or len(notes) > 0:
            draft.facts.append(
                Fact("Document", "; ".join([label or "document", *notes]))
            )
        return
    country_text = issuing or of_issue
    draft.identifiers.append(
        Identifier(
            scheme,
            number,
            None if country_text is None else country_code(country_text),
            label,
            "; ".join(notes) if len(notes) > 0 else None,
        )
    )


def _address(draft: _Draft, f: _Fields) -> None:
    street, city, region = f.text("STREET"), f.text("CITY"), f.text("STATE_PROVINCE")
    postal, country = f.text("ZIP_CODE"), f.text("COUNTRY")
    note = f.text("NOTE")
    full = ", ".join(
        p for p in (street, city, region, postal, country) if p is not None
    )
    if len(full) == 0:
        if note is not None:
            # a note-only address ("Believed to be in Pakistan or Afghanistan")
            draft.addresses.append(Address(full=note))
        return
    code = None if country is None else country_code(country)
    draft.addresses.append(Address(full, street, city, region, postal, code, country))
    if code is not None:
        draft.countries.append(code)
    if note is not None:
        draft.facts.append(Fact("Address note", f"{full}: {note}"))
