"""OpenSanctions data in FollowTheMoney (FtM) JSON lines: full exports and deltas.

Each line is one FtM entity (``id``, ``schema``, ``properties`` as lists of strings,
``datasets``, ``target``...) or, in a delta file, one operation
``{"op": "ADD"|"MOD"|"DEL", "entity": {...}}``. Only target persons, organisations,
companies, vessels and aircraft become Clearance entities; the other schemata are context
(``Sanction``, ``Address``, ``Ownership``, ``Family``...). ``Sanction`` and ``Address``
entities in the same file are joined onto the entity they name, in a first pass, so the
listings carry the underlying list, program and dates. OpenSanctions is an aggregator, not
an authority: a listing names the official list it copied (``via`` the FtM file) where the
dataset is one Clearance knows, and says ``see underlying`` otherwise.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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
    Schema,
    VesselInfo,
    effect_for,
    list_info,
    make_name,
    parse_full_date,
    parse_partial_date,
)
from clearance.normalize import country_code
from clearance.sources.base import ParseReport, RawFile

LIST_CODE = "opensanctions"

_SCHEMAS = {
    "Person": Schema.PERSON,
    "Organization": Schema.ORGANIZATION,
    "LegalEntity": Schema.ORGANIZATION,
    "PublicBody": Schema.ORGANIZATION,
    "Company": Schema.COMPANY,
    "Vessel": Schema.VESSEL,
    "Airplane": Schema.AIRCRAFT,
}
# OpenSanctions dataset -> the Clearance list it copies
_DATASET_LISTS = {
    "us_ofac_sdn": "us_ofac_sdn",
    "us_ofac_cons": "us_ofac_cons",
    "us_bis_denied": "us_bis_dpl",
    "un_sc_sanctions": "un_sc",
    "eu_fsf": "eu_fsf",
    "gb_hmt_sanctions": "uk_hmt",
    "gb_fcdo_sanctions": "uk_fcdo",
}
_NAME_KINDS = (
    ("alias", NameKind.ALIAS),
    ("weakAlias", NameKind.WEAK),
    ("abbreviation", NameKind.WEAK),
    ("previousName", NameKind.FORMER),
)
_IDENTIFIERS: dict[str, IdScheme] = {
    "passportNumber": IdScheme.PASSPORT,
    "taxNumber": IdScheme.TAX_ID,
    "innCode": IdScheme.TAX_ID,
    "vatCode": IdScheme.TAX_ID,
    "ogrnCode": IdScheme.REGISTRATION,
    "registrationNumber": IdScheme.REGISTRATION,
    "isinCode": IdScheme.ISIN,
    "ticker": IdScheme.TICKER,
    "leiCode": IdScheme.LEI,
    "swiftBic": IdScheme.SWIFT_BIC,
    "imoNumber": IdScheme.IMO,
    "mmsi": IdScheme.MMSI,
    "callSign": IdScheme.CALL_SIGN,
    "website": IdScheme.WEBSITE,
    "email": IdScheme.EMAIL,
    "phone": IdScheme.PHONE,
    "serialNumber": IdScheme.AIRCRAFT_SERIAL,
    "okpoCode": IdScheme.OTHER,
    "kppCode": IdScheme.OTHER,
    "dunsCode": IdScheme.OTHER,
    "uniqueEntityId": IdScheme.OTHER,
    "permId": IdScheme.OTHER,
    "bikCode": IdScheme.OTHER,
    "npiCode": IdScheme.OTHER,
}
_COMPANY_SCHEMES = frozenset(
    {IdScheme.REGISTRATION, IdScheme.ISIN, IdScheme.TICKER, IdScheme.USCC, IdScheme.LEI}
)
_COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry")
_REMARK_PROPS = ("notes", "summary", "description")
_TITLE_PROPS = ("position", "title")
# read elsewhere (names, dates, places, vessel details) or resolved (addressEntity)
_HANDLED = frozenset(
    {
        "name",
        "alias",
        "weakAlias",
        "abbreviation",
        "previousName",
        "firstName",
        "middleName",
        "fatherName",
        "lastName",
        "birthDate",
        "birthPlace",
        "nationality",
        "citizenship",
        "address",
        "addressEntity",
        "gender",
        "idNumber",
        "flag",
        "type",
        "tonnage",
        "grossRegisteredTonnage",
        "buildDate",
        *_IDENTIFIERS,
        *_COUNTRY_PROPS,
        *_REMARK_PROPS,
        *_TITLE_PROPS,
    }
)
_SANCTION_FACTS = (("reason", "Sanction reason"), ("provisions", "Sanction provisions"))

Op = tuple[str, Entity | str]


@dataclass(slots=True)
class _Context:
    """Sanction and Address entities of the file, by the id that links them."""

    sanctions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_screened: Counter[str] = field(default_factory=Counter)


def _part(raw: RawFile) -> tuple[str, bytes]:
    for name in ("entities.ftm.json", "entities.delta.json"):
        if name in raw.parts:
            return name, raw.parts[name]
    if len(raw.parts) == 1:
        return next(iter(raw.parts.items()))
    raise SourceFormatError(raw.source, raw.origin, "no entities.ftm.json member")


def parse(raw: RawFile, report: ParseReport) -> Iterator[Entity]:
    """Entities of an FtM export; for a delta file, the current state of added/modified ones.

    Raises:
        SourceFormatError: a line is not a JSON object (e.g. a truncated file).
    """
    for op, value in parse_delta(raw, report):
        if op == "upsert" and isinstance(value, Entity):
            yield value


def parse_delta(raw: RawFile, report: ParseReport) -> Iterator[Op]:
    """Changes in an FtM delta file: ``("upsert", entity)`` or ``("delete", entity_id)``.

    A full export reads as upserts only. Deletions name an ``opensanctions:`` id whatever
    its schema (a delta's ``DEL`` carries no schema), and an entity that stops being a
    target is deleted; the store should ignore ids it does not hold.

    Raises:
        SourceFormatError: a line is not a JSON object (e.g. a truncated file).
    """
    part, data = _part(raw)
    context = _index(raw, part, data)
    for number, obj in _lines(raw, part, data):
        report.records += 1
        where = f"{part} line {number}"
        op = obj.get("op")
        entity_data: Any = obj if op is None else obj.get("entity")
        change = "ADD" if op is None else str(op).upper()
        if not isinstance(entity_data, dict) or not isinstance(
            entity_data.get("id"), str
        ):
            report.skip(where, "no entity id")
            continue
        entity_id = f"{LIST_CODE}:{entity_data['id']}"
        if change == "DEL":
            yield "delete", entity_id
            continue
        if change not in ("ADD", "MOD"):
            report.skip(where, f"unknown op {op!r}")
            continue
        schema_name = str(entity_data.get("schema"))
        if schema_name not in _SCHEMAS:
            context.not_screened[schema_name] += 1
            report.skipped += 1
            continue
        if entity_data.get("target") is False:
            # context entities (owners, registry records) are not listed parties
            context.not_screened[f"{schema_name} (not a target)"] += 1
            report.skipped += 1
            if change == "MOD":
                yield "delete", entity_id
            continue
        entity = _entity(raw, report, where, entity_data, context)
        if entity is not None:
            yield "upsert", entity
    if len(context.not_screened) > 0:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(context.not_screened.items()))
        report.warn(part, f"not screened (context entities): {counts}")


def _lines(
    raw: RawFile, part: str, data: bytes
) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(io.BytesIO(data), start=1):
        stripped = line.strip()
        if number == 1:
            stripped = stripped.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM
        if len(stripped) == 0:
            continue
        yield number, _load(raw, part, number, stripped)


def _load(raw: RawFile, part: str, number: int, line: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise SourceFormatError(
            raw.source, f"{part} line {number}", f"bad JSON: {exc}"
        ) from exc
    if not isinstance(obj, dict):
        raise SourceFormatError(
            raw.source, f"{part} line {number}", "not a JSON object"
        )
    return obj


def _index(raw: RawFile, part: str, data: bytes) -> _Context:
    """First pass: the file's Sanction and Address entities (only their lines are decoded)."""
    context = _Context()
    for number, line in enumerate(io.BytesIO(data), start=1):
        if b'"Sanction"' not in line and b'"Address"' not in line:
            continue
        obj = _load(raw, part, number, line.strip().removeprefix(b"\xef\xbb\xbf"))
        entity = obj.get("entity") if "op" in obj else obj
        if not isinstance(entity, dict) or str(obj.get("op", "ADD")).upper() == "DEL":
            continue
        schema = entity.get("schema")
        props = entity.get("properties")
        if not isinstance(props, dict):
            continue
        if schema == "Sanction":
            for target in _vals(props, "entity"):
                context.sanctions.setdefault(target, []).append(entity)
        elif schema == "Address" and isinstance(entity.get("id"), str):
            context.addresses[entity["id"]] = entity
    return context


def _vals(props: dict[str, Any], key: str) -> list[str]:
    values = props.get(key)
    if not isinstance(values, list):
        return []
    out: list[str] = []
    for value in values:
        if isinstance(value, str) and (text := value.strip()) != "":
            out.append(text)
    return out


def _u(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _codes(values: list[str], label: str, facts: list[Fact]) -> list[str]:
    out: list[str] = []
    for value in values:
        code = country_code(value)
        if code is None:
            facts.append(Fact(label, value))
        else:
            out.append(code)
    return out


def _entity(
    raw: RawFile,
    report: ParseReport,
    where: str,
    data: dict[str, Any],
    context: _Context,
) -> Entity | None:
    props = data.get("properties")
    if not isinstance(props, dict):
        props = {}
    schema = _SCHEMAS[str(data["schema"])]
    names = _names(data, props)
    if len(names) == 0:
        report.skip(where, "no name")
        return None
    facts: list[Fact] = []
    birth_dates: list[PartialDate] = []
    for text in _vals(props, "birthDate"):
        parsed = parse_partial_date(text)
        if parsed is None:
            report.warn(where, f"unparseable birthDate {text!r}")
            facts.append(Fact("birthDate", text))
        else:
            birth_dates.append(parsed)
    identifiers = _identifiers(schema, props)
    if schema is Schema.ORGANIZATION and any(
        i.scheme in _COMPANY_SCHEMES for i in identifiers
    ):
        schema = Schema.COMPANY
    addresses = [Address(full=text) for text in _vals(props, "address")]
    for ref in _vals(props, "addressEntity"):
        found = context.addresses.get(ref)
        if found is None:
            facts.append(Fact("addressEntity", ref))
        else:
            addresses.extend(_address(found))
    countries = _codes(
        [v for p in _COUNTRY_PROPS for v in _vals(props, p)], "country", facts
    )
    countries += [a.country for a in addresses if a.country is not None]
    genders = [g.lower() for g in _vals(props, "gender")]
    remarks = "\n".join(_u([v for p in _REMARK_PROPS for v in _vals(props, p)]))
    for key in sorted(props):
        if key not in _HANDLED:
            facts.extend(Fact(key, value) for value in _vals(props, key))
    datasets = [d for d in data.get("datasets", []) if isinstance(d, str)]
    if len(datasets) > 0:
        facts.append(Fact("datasets", ", ".join(datasets)))
    for key in ("first_seen", "last_seen"):
        if isinstance(value := data.get(key), str):
            facts.append(Fact(key, value))
    listings = _listings(raw, str(data["id"]), datasets, context, facts)
    return Entity(
        id=f"{LIST_CODE}:{data['id']}",
        schema=schema,
        names=names,
        listings=listings,
        identifiers=identifiers,
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        birth_places=_u(_vals(props, "birthPlace")),
        nationalities=_u(_codes(_vals(props, "nationality"), "nationality", facts)),
        citizenships=_u(_codes(_vals(props, "citizenship"), "citizenship", facts)),
        countries=_u(countries),
        addresses=tuple(dict.fromkeys(addresses)),
        gender=genders[0]
        if len(set(genders)) == 1 and genders[0] in ("male", "female")
        else None,
        titles=_u([v for p in _TITLE_PROPS for v in _vals(props, p)]),
        vessel=_vessel(schema, props),
        remarks=remarks if len(remarks) > 0 else None,
        facts=tuple(dict.fromkeys(facts)),
        sources=(raw.source,),
    )


def _names(data: dict[str, Any], props: dict[str, Any]) -> tuple[Name, ...]:
    full = _vals(props, "name")
    caption = data.get("caption")
    if len(full) == 0:
        # only name parts: "first middle/patronymic last", as FtM captions them
        parts = [
            next(iter(_vals(props, key)), None)
            for key in ("firstName", "middleName", "fatherName", "lastName")
        ]
        if parts[1] is not None and parts[1] == parts[2]:
            parts[2] = None
        built = " ".join(p for p in parts if p is not None)
        if built != "":
            full = [built]
        elif isinstance(caption, str) and caption.strip() != "":
            full = [caption]
    if isinstance(caption, str) and caption in full:
        full = [caption, *(n for n in full if n != caption)]
    found = [
        (v, NameKind.PRIMARY if i == 0 else NameKind.ALIAS) for i, v in enumerate(full)
    ]
    for key, kind in _NAME_KINDS:
        found.extend((v, kind) for v in _vals(props, key))
    out: list[Name] = []
    for value, kind in found:
        name = make_name(value, kind)
        if name.value != "" and all(n.value != name.value for n in out):
            out.append(name)
    return tuple(out)


def _identifiers(schema: Schema, props: dict[str, Any]) -> tuple[Identifier, ...]:
    out: list[Identifier] = []
    id_scheme = IdScheme.NATIONAL_ID if schema is Schema.PERSON else IdScheme.OTHER
    for value in _vals(props, "idNumber"):
        out.append(Identifier(id_scheme, value, label="idNumber"))
    for key, scheme in _IDENTIFIERS.items():
        if key == "registrationNumber" and schema is Schema.AIRCRAFT:
            scheme = IdScheme.AIRCRAFT_TAIL
        for value in _vals(props, key):
            out.append(Identifier(scheme, value, label=key))
    return tuple(dict.fromkeys(out))


def _address(entity: dict[str, Any]) -> list[Address]:
    props = entity.get("properties")
    if not isinstance(props, dict):
        return []

    def first(key: str) -> str | None:
        return next(iter(_vals(props, key)), None)

    country = first("country")
    code = None if country is None else country_code(country)
    out: list[Address] = []
    for full in _vals(props, "full") or [str(entity.get("caption") or "")]:
        if full != "":
            out.append(
                Address(
                    full,
                    first("street"),
                    first("city"),
                    first("region"),
                    first("postalCode"),
                    code,
                )
            )
    return out


def _vessel(schema: Schema, props: dict[str, Any]) -> VesselInfo | None:
    if schema is not Schema.VESSEL:
        return None

    def joined(key: str) -> str | None:
        values = _vals(props, key)
        return "; ".join(values) if len(values) > 0 else None

    return VesselInfo(
        vessel_type=joined("type"),
        flag=joined("flag"),
        tonnage=joined("tonnage"),
        gross_registered_tonnage=joined("grossRegisteredTonnage"),
        built=joined("buildDate"),
    )


def _first_date(values: list[str], earliest: bool = True) -> date | None:
    dates = [d for d in (parse_full_date(v) for v in values) if d is not None]
    if len(dates) == 0:
        return None
    return min(dates) if earliest else max(dates)


def _listings(
    raw: RawFile,
    entity_id: str,
    datasets: list[str],
    context: _Context,
    facts: list[Fact],
) -> tuple[Listing, ...]:
    listings: list[Listing] = []
    for sanction in context.sanctions.get(entity_id, []):
        props = sanction.get("properties")
        if not isinstance(props, dict):
            continue
        code = next(
            (
                _DATASET_LISTS[d]
                for d in sanction.get("datasets", [])
                if d in _DATASET_LISTS
            ),
            None,
        )
        programs = _u(_vals(props, "program") + _vals(props, "programId"))
        authority = next(iter(_vals(props, "authority")), None)
        if code is None:
            source, effect = LIST_CODE, LegalEffect.SEE_UNDERLYING
            authority = authority or list_info(LIST_CODE).authority
        else:
            source, effect = code, effect_for(code, programs)
            authority = list_info(code).authority
        listed = _first_date(_vals(props, "listingDate")) or _first_date(
            _vals(props, "startDate")
        )
        listings.append(
            Listing(
                source=source,
                authority=authority,
                legal_effect=effect,
                authority_ref=next(iter(_vals(props, "authorityId")), None),
                programs=programs,
                listed_on=listed,
                delisted_on=_first_date(_vals(props, "endDate"), earliest=False),
                list_url=next(iter(_vals(props, "sourceUrl")), None),
                via=raw.source,
            )
        )
        for key, label in _SANCTION_FACTS:
            facts.extend(Fact(label, v) for v in _vals(props, key))
    if len(listings) == 0:
        listings.append(
            Listing(
                source=LIST_CODE,
                authority=list_info(LIST_CODE).authority,
                legal_effect=effect_for(LIST_CODE),
                programs=_u(datasets),
                via=raw.source,
            )
        )
    return tuple(dict.fromkeys(listings))
