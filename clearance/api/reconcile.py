"""OpenRefine reconciliation (W3C Reconciliation Service API 0.2) at
``/reconcile/{dataset}``: the service manifest, batched queries (``queries=`` as a form
field or query parameter), entity suggestions and HTML previews. Queries are screened
like ``/match`` queries."""

from __future__ import annotations

import html
import json
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, RootModel, ValidationError

from clearance.api import schemas
from clearance.api.auth import reader, requester
from clearance.api.errors import ApiError
from clearance.api.responses import FastJSONResponse
from clearance.errors import InvalidQuery
from clearance.match import Hit
from clearance.model import Entity, Schema, describe_effect, list_info
from clearance.monitor import record_queries
from clearance.screen import Service

JSON = dict[str, Any]

TYPES: tuple[tuple[str, str], ...] = (
    ("LegalEntity", "Person or organisation"),
    ("Person", "Person"),
    ("Company", "Company"),
    ("Organization", "Organisation"),
    ("Vessel", "Vessel"),
    ("Airplane", "Aircraft"),
)
_TYPE_OF = {
    Schema.PERSON: "Person",
    Schema.COMPANY: "Company",
    Schema.ORGANIZATION: "Organization",
    Schema.VESSEL: "Vessel",
    Schema.AIRCRAFT: "Airplane",
}
# Property ids OpenRefine users may map columns to (FollowTheMoney names).
PROPERTIES: tuple[tuple[str, str], ...] = (
    ("country", "Country"),
    ("birthDate", "Birth date"),
    ("nationality", "Nationality"),
    ("jurisdiction", "Jurisdiction"),
    ("isinCode", "ISIN"),
    ("ticker", "Ticker"),
    ("registrationNumber", "Registration number"),
    ("taxNumber", "Tax number"),
    ("idNumber", "ID number"),
    ("passportNumber", "Passport number"),
    ("imoNumber", "IMO number"),
    ("swiftBic", "SWIFT/BIC"),
    ("leiCode", "LEI"),
)


class ReconEntityValue(BaseModel):
    """A property value that is an entity (a column OpenRefine has reconciled before)."""

    id: str
    name: str | None = None


ReconValue = str | int | float | bool | ReconEntityValue


class ReconProperty(BaseModel):
    pid: str
    v: ReconValue | list[ReconValue] | None = None


def _plain(value: ReconValue) -> str | int | float:
    if isinstance(value, ReconEntityValue):
        return value.name or value.id
    if isinstance(value, bool):
        return str(value).lower()
    return value


class ReconQuery(BaseModel):
    query: str = ""
    type: str | list[str] | None = None
    limit: int = Field(5, ge=1, le=100)
    properties: list[ReconProperty] = []
    type_strict: str | None = None


ReconBatch = RootModel[dict[str, ReconQuery]]


def _base(request: Request, dataset: str) -> str:
    return str(request.base_url).rstrip("/") + f"/reconcile/{dataset}"


def manifest(request: Request, dataset: str) -> JSON:
    """The service manifest (W3C Reconciliation API 0.2)."""
    root = str(request.base_url).rstrip("/")
    base = _base(request, dataset)
    has_web = getattr(request.app.state, "web", False) is True
    view = (
        f"{root}/ui/entities/{{{{id}}}}" if has_web else f"{root}/entities/{{{{id}}}}"
    )
    title = "all lists" if dataset == "default" else dataset
    return {
        "versions": ["0.2"],
        "name": f"Clearance sanctions screening ({title})",
        "identifierSpace": f"{root}/entities/",
        "schemaSpace": "https://followthemoney.tech/explorer/schemata/",
        "documentation": f"{root}/docs",
        "serviceVersion": version("clearance"),
        "view": {"url": view},
        "preview": {
            "url": f"{base}/preview?id={{{{id}}}}",
            "width": 430,
            "height": 300,
        },
        "suggest": {
            "entity": {"service_url": base, "service_path": "/suggest/entity"},
            "type": {"service_url": base, "service_path": "/suggest/type"},
            "property": {"service_url": base, "service_path": "/suggest/property"},
        },
        "defaultTypes": [{"id": i, "name": n} for i, n in TYPES],
        "batchSize": 10,
    }


def _example(query: ReconQuery) -> schemas.EntityExample:
    schema = query.type if isinstance(query.type, str) else None
    if isinstance(query.type, list) and len(query.type) > 0:
        schema = query.type[0]
    props: dict[str, str | list[str | int | float]] = {}
    if len(query.query.strip()) > 0:
        props["name"] = [query.query.strip()]
    for prop in query.properties:
        values = (
            prop.v if isinstance(prop.v, list) else [] if prop.v is None else [prop.v]
        )
        current = props.setdefault(prop.pid, [])
        assert isinstance(current, list)
        current.extend(_plain(v) for v in values)
    return schemas.EntityExample.model_validate(
        {"schema": schema or "LegalEntity", "properties": props}
    )


def _description(entity: Entity) -> str:
    lists = sorted({list_info(x.source).short or x.source for x in entity.listings})
    return f"{entity.schema.value}; " + ", ".join(lists)


def _run_queries(
    service: Service, dataset: str, raw: str, limit: int, actor: str
) -> JSON:
    try:
        batch = ReconBatch.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise InvalidQuery(
            "queries", f"not a batch of reconciliation queries: {exc}"
        ) from None
    if len(batch.root) > limit:
        raise ApiError(
            422,
            "too_many_queries",
            f"{len(batch.root)} queries in one request; the limit is {limit}",
        )
    sources = service.sources_for(dataset)
    out: JSON = {}
    found: dict[str, list[Hit]] = {}
    for key, query in batch.root.items():
        variants, _ = schemas.example_queries(_example(query))
        hits = service.search_variants(variants, limit=query.limit, sources=sources)
        found[key] = hits
        out[key] = {
            "result": [
                {
                    "id": h.entity.id,
                    "name": h.entity.caption,
                    "score": round(h.score * 100, 1),
                    "match": h.match,
                    "type": [
                        {"id": _TYPE_OF[h.entity.schema], "name": h.entity.schema.value}
                    ],
                    "description": _description(h.entity),
                    # 0.2 matching features: the evidence scores (as /match gives them)
                    "features": [
                        {"id": e.feature, "value": round(e.score, 4)}
                        for e in h.evidence
                    ],
                }
                for h in hits
            ]
        }
    record_queries(
        service.store,
        service.view(),
        f"/reconcile/{dataset}",
        batch.model_dump(mode="json"),
        found,
        threshold=None,
        limit=max((q.limit for q in batch.root.values()), default=0),
        sources=sorted(sources or ()),
        actor=actor,
    )
    return out


def create_router() -> APIRouter:
    router = APIRouter(tags=["Reconciliation"], dependencies=[Depends(reader)])

    @router.get("/reconcile/{dataset}", summary="Manifest, or queries with ?queries=")
    def reconcile_get(
        request: Request,
        dataset: str,
        queries: Annotated[
            str | None, Query(description="JSON batch of queries")
        ] = None,
    ) -> JSONResponse:
        """Without ``queries``: the service manifest OpenRefine reads when the service is
        added. With ``queries`` (a JSON object of queries): their candidates."""
        service: Service = request.app.state.service
        service.sources_for(dataset)  # 404 for an unknown dataset
        if queries is None or len(queries.strip()) == 0:
            return FastJSONResponse(manifest(request, dataset))
        limit = request.app.state.settings.api_max_queries
        return FastJSONResponse(
            _run_queries(service, dataset, queries, limit, requester(request))
        )

    @router.post("/reconcile/{dataset}", summary="Batched reconciliation queries")
    def reconcile_post(
        request: Request,
        dataset: str,
        queries: Annotated[
            str | None, Form(description="JSON batch of queries")
        ] = None,
    ) -> JSONResponse:
        """The form field ``queries`` holds a JSON object of queries (``{"q0": {"query":
        "Sugon", "type": "Company", "properties": [{"pid": "country", "v": "cn"}]}}``);
        the answer maps each key to its candidates, scored 0-100."""
        service: Service = request.app.state.service
        if queries is None or len(queries.strip()) == 0:
            return FastJSONResponse(manifest(request, dataset))
        limit = request.app.state.settings.api_max_queries
        return FastJSONResponse(
            _run_queries(service, dataset, queries, limit, requester(request))
        )

    @router.get("/reconcile/{dataset}/suggest/entity")
    def suggest_entity(
        request: Request,
        dataset: str,
        prefix: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> JSON:
        """Entities whose name or identifier starts with, or contains all words of,
        ``prefix``."""
        service: Service = request.app.state.service
        sources = service.sources_for(dataset)
        found = service.find(prefix, limit=limit * 3)
        result = [
            {"id": e.id, "name": e.caption, "description": _description(e)}
            for e, _ in found
            if sources is None or e.list_code in sources or set(e.sources) & sources
        ]
        return {"prefix": prefix, "result": result[:limit]}

    @router.get("/reconcile/{dataset}/suggest/type")
    def suggest_type(dataset: str, prefix: str = "") -> JSON:
        """Types (schemata) whose id or name starts with ``prefix``."""
        text = prefix.lower()
        result = [
            {"id": i, "name": n}
            for i, n in TYPES
            if i.lower().startswith(text) or n.lower().startswith(text)
        ]
        return {"prefix": prefix, "result": result}

    @router.get("/reconcile/{dataset}/suggest/property")
    def suggest_property(dataset: str, prefix: str = "") -> JSON:
        """Properties a column may be mapped to."""
        text = prefix.lower()
        result = [
            {"id": i, "name": n}
            for i, n in PROPERTIES
            if i.lower().startswith(text) or n.lower().startswith(text)
        ]
        return {"prefix": prefix, "result": result}

    @router.get("/reconcile/{dataset}/preview", response_class=HTMLResponse)
    def preview(request: Request, dataset: str, id: str) -> HTMLResponse:
        """A small HTML card of the entity for OpenRefine's preview pane."""
        service: Service = request.app.state.service
        entity = service.entity(id)
        rows = "".join(
            f"<li><b>{html.escape(list_info(x.source).title)}</b>"
            f"{' since ' + x.listed_on.isoformat() if x.listed_on else ''}: "
            f"{html.escape(describe_effect(x.legal_effect))}</li>"
            for x in entity.listings
        )
        body = (
            "<html><body style='font-family:sans-serif;font-size:13px'>"
            f"<h3>{html.escape(entity.caption)}</h3><p>{html.escape(entity.schema.value)}"
            f" &middot; {html.escape(entity.id)}</p><ul>{rows}</ul></body></html>"
        )
        return HTMLResponse(body)

    return router
