"""Entity <-> plain JSON-ready dicts. The store and the API both speak this shape.

Keys with empty values are omitted, so the encoding of an entity is canonical and its hash
identifies its content.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from clearance.model.dates import PartialDate
from clearance.model.entity import Address, Entity, Fact, Relation, Schema, VesselInfo
from clearance.model.identifier import Identifier, IdScheme
from clearance.model.listing import LegalEffect, Listing
from clearance.model.name import Name, NameKind

JSON = dict[str, Any]


def _compact(data: dict[str, Any]) -> JSON:
    return {
        k: v
        for k, v in data.items()
        if v is not None and v != () and v != [] and v != ""
    }


def _d(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _pd(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def listing_to_dict(listing: Listing) -> JSON:
    return _compact(
        {
            "source": listing.source,
            "authority": listing.authority,
            "legal_effect": listing.legal_effect.value,
            "authority_ref": listing.authority_ref,
            "programs": list(listing.programs),
            "listed_on": _d(listing.listed_on),
            "effective_on": _d(listing.effective_on),
            "divestment_on": _d(listing.divestment_on),
            "delisted_on": _d(listing.delisted_on),
            "federal_register": list(listing.federal_register),
            "licence_requirement": listing.licence_requirement,
            "licence_policy": listing.licence_policy,
            "list_url": listing.list_url,
            "via": listing.via,
        }
    )


def listing_from_dict(data: JSON) -> Listing:
    return Listing(
        source=data["source"],
        authority=data["authority"],
        legal_effect=LegalEffect(data["legal_effect"]),
        authority_ref=data.get("authority_ref"),
        programs=tuple(data.get("programs", ())),
        listed_on=_pd(data.get("listed_on")),
        effective_on=_pd(data.get("effective_on")),
        divestment_on=_pd(data.get("divestment_on")),
        delisted_on=_pd(data.get("delisted_on")),
        federal_register=tuple(data.get("federal_register", ())),
        licence_requirement=data.get("licence_requirement"),
        licence_policy=data.get("licence_policy"),
        list_url=data.get("list_url"),
        via=data.get("via"),
    )


def entity_to_dict(entity: Entity) -> JSON:
    """Canonical dict of an entity (stable key order, empty fields omitted)."""
    vessel = None
    if entity.vessel is not None:
        vessel = _compact(
            {
                "vessel_type": entity.vessel.vessel_type,
                "flag": entity.vessel.flag,
                "owner": entity.vessel.owner,
                "tonnage": entity.vessel.tonnage,
                "gross_registered_tonnage": entity.vessel.gross_registered_tonnage,
                "built": entity.vessel.built,
            }
        )
    return _compact(
        {
            "id": entity.id,
            "schema": entity.schema.value,
            "names": [
                _compact(
                    {
                        "value": n.value,
                        "kind": n.kind.value,
                        "script": n.script,
                        "lang": n.lang,
                    }
                )
                for n in entity.names
            ],
            "listings": [listing_to_dict(x) for x in entity.listings],
            "identifiers": [
                _compact(
                    {
                        "scheme": i.scheme.value,
                        "value": i.value,
                        "country": i.country,
                        "label": i.label,
                        "note": i.note,
                    }
                )
                for i in entity.identifiers
            ],
            "birth_dates": [str(d) for d in entity.birth_dates],
            "birth_places": list(entity.birth_places),
            "nationalities": list(entity.nationalities),
            "citizenships": list(entity.citizenships),
            "countries": list(entity.countries),
            "addresses": [
                _compact(
                    {
                        "full": a.full,
                        "street": a.street,
                        "city": a.city,
                        "region": a.region,
                        "postal_code": a.postal_code,
                        "country": a.country,
                        "country_name": a.country_name,
                    }
                )
                for a in entity.addresses
            ],
            "gender": entity.gender,
            "titles": list(entity.titles),
            "vessel": vessel or None,
            "relations": [
                _compact(
                    {
                        "kind": r.kind,
                        "target_name": r.target_name,
                        "target_id": r.target_id,
                        "note": r.note,
                    }
                )
                for r in entity.relations
            ],
            "remarks": entity.remarks,
            "facts": [{"label": f.label, "value": f.value} for f in entity.facts],
            "sources": list(entity.sources),
        }
    )


def entity_from_dict(data: JSON) -> Entity:
    vessel_data = data.get("vessel")
    return Entity(
        id=data["id"],
        schema=Schema(data["schema"]),
        names=tuple(
            Name(n["value"], NameKind(n["kind"]), n.get("script"), n.get("lang"))
            for n in data.get("names", ())
        ),
        listings=tuple(listing_from_dict(x) for x in data.get("listings", ())),
        identifiers=tuple(
            Identifier(
                IdScheme(i["scheme"]),
                i["value"],
                i.get("country"),
                i.get("label"),
                i.get("note"),
            )
            for i in data.get("identifiers", ())
        ),
        birth_dates=tuple(PartialDate.from_iso(d) for d in data.get("birth_dates", ())),
        birth_places=tuple(data.get("birth_places", ())),
        nationalities=tuple(data.get("nationalities", ())),
        citizenships=tuple(data.get("citizenships", ())),
        countries=tuple(data.get("countries", ())),
        addresses=tuple(
            Address(
                a["full"],
                a.get("street"),
                a.get("city"),
                a.get("region"),
                a.get("postal_code"),
                a.get("country"),
                a.get("country_name"),
            )
            for a in data.get("addresses", ())
        ),
        gender=data.get("gender"),
        titles=tuple(data.get("titles", ())),
        vessel=None if vessel_data is None else VesselInfo(**vessel_data),
        relations=tuple(
            Relation(
                r["kind"], r.get("target_name", ""), r.get("target_id"), r.get("note")
            )
            for r in data.get("relations", ())
        ),
        remarks=data.get("remarks"),
        facts=tuple(Fact(f["label"], f["value"]) for f in data.get("facts", ())),
        sources=tuple(data.get("sources", ())),
    )


def entity_json(entity: Entity) -> str:
    """Canonical compact JSON of an entity."""
    return json.dumps(entity_to_dict(entity), ensure_ascii=False, separators=(",", ":"))


def content_hash(text: str) -> str:
    """Short content hash used for stored records and content-derived ids."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]
