"""The HTTP API's endpoints. Each parses its input, calls one service function and
converts the answer (``schemas``); the work happens in ``clearance.screen.Service``."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from clearance.api import schemas
from clearance.api.auth import reader, requester, require
from clearance.api.errors import ApiError
from clearance.api.responses import FastJSONResponse
from clearance.errors import InvalidQuery
from clearance.ingest import update_from_directory, update_from_official
from clearance.match import Hit, default_weights
from clearance.match import Query as ScreenQuery
from clearance.model import parse_partial_date
from clearance.monitor import record_queries, record_screening
from clearance.screen import Service, UpdateStep
from clearance.settings import Settings
from clearance.sources import OFFICIAL, HttpFetcher
from clearance.store import Role, Store

JSON = dict[str, Any]

AUDIT_HEADER = "x-audit-record"  # id of the audit record a screening request appended

# Algorithm names yente clients send; Clearance has one engine and answers all of them.
ALGORITHMS = (
    "clearance",
    "best",
    "default",
    "logic-v1",
    "logic-v2",
    "name-based",
    "name-qualified",
    "regression-v1",
)

# What each evidence feature means (served as the "matcher" of /match answers).
FEATURE_DOCS: dict[str, str] = {
    "name": "How well the query's name meets the best listed name: words found on both "
    "sides weighted by their rarity, spelling variants, transliteration and joined words.",
    "identifier_match": "An identifier of the query (ISIN, ticker, IMO, passport, ...) "
    "equals one the list gives for the entity.",
    "birth_date_match": "The query's birth date agrees with a listed one (to the "
    "precision the list gives).",
    "birth_date_conflict": "The query's birth date contradicts every listed one.",
    "country_match": "The query's country is one of the entity's countries.",
    "country_conflict": "The query's country is none of the entity's countries.",
    "schema_conflict": "The query is a person and the entity an organisation, or the "
    "other way round.",
}

AsOf = Annotated[
    date | None, Query(description="Answer as the lists stood on this date.")
]


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _check_batch(request: Request, count: int) -> None:
    limit = _settings(request).api_max_queries
    if count > limit:
        raise ApiError(
            422,
            "too_many_queries",
            f"{count} queries in one request; the limit is {limit}",
        )


def _threshold(threshold: float | None) -> float:
    return default_weights().threshold if threshold is None else threshold


def _json(content: JSON, headers: dict[str, str] | None = None) -> JSONResponse:
    """Already JSON-ready: skip FastAPI's recursive encoder (1.4 ms of a /match answer)
    and encode with orjson."""
    return FastJSONResponse(content, headers=headers)


@cache  # the package's own weights: the same for the process's life (don't modify)
def matcher_docs() -> JSON:
    weights = default_weights().weights
    return {
        name: {
            "description": text,
            "coefficient": weights.get(name, 1.0),
            "url": "/docs#matching-features",
        }
        for name, text in FEATURE_DOCS.items()
    }


def create_router() -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", tags=["System"])
    def healthz() -> JSON:
        """The process is up."""
        return {"status": "ok"}

    @router.get("/readyz", tags=["System"])
    def readyz(request: Request) -> JSONResponse:
        """The store is open and the screening index loaded (503 until then)."""
        service = _service(request)
        if not service.ready:
            reason = service.load_error or "the screening index is loading"
            raise ApiError(503, "not_ready", reason)
        return JSONResponse({"status": "ready", "index": service.current_key})

    @router.post(
        "/match/{dataset}",
        tags=["Matching"],
        dependencies=[Depends(reader)],
        summary="Query-by-example matching (yente-compatible)",
    )
    def match(
        request: Request,
        body: schemas.MatchRequest,
        dataset: str,
        limit: Annotated[int, Query(ge=1, le=100)] = 5,
        threshold: Annotated[float | None, Query(ge=0, le=1)] = None,
        cutoff: Annotated[float | None, Query(ge=0, le=1, deprecated=True)] = None,
        algorithm: str = "best",
        as_of: AsOf = None,
    ) -> JSONResponse:
        """Screen a batch of query entities, each in FollowTheMoney form as yente takes
        them (``{"queries": {"q1": {"schema": "Company", "properties": {"name":
        [...]}}}}``). ``dataset`` is a source or list (``us_ofac_sdn``), a collection
        (``us``, ``eu``, ``uk``, ``un``) or ``default`` for every list. Each result has
        ``score`` (0..1, a calibrated probability), ``match`` (score >= threshold; default
        the calibrated threshold), ``features`` and ``explanations`` (the evidence of each
        feature) and every listing with its legal effect."""
        if algorithm.lower() not in ALGORITHMS:
            raise InvalidQuery(
                "algorithm", f"{algorithm!r}: use one of {', '.join(ALGORITHMS)}"
            )
        _check_batch(request, len(body.queries))
        if len(body.queries) == 0:
            raise InvalidQuery("queries", "no queries given")
        service = _service(request)
        sources = service.sources_for(dataset)
        cut = _threshold(threshold)
        floor = 0.0 if cutoff is None else min(cutoff, cut)
        responses: JSON = {}
        found: dict[str, list[Hit]] = {}
        sent: JSON = {}  # each query as the client sent it (answered and audited)
        for key, example in body.queries.items():
            sent[key] = example.model_dump(by_alias=True, mode="json")
            variants, schema = schemas.example_queries(example)
            hits = service.search_variants(
                variants,
                as_of=as_of,
                threshold=cut,
                limit=limit,
                sources=sources,
                schema=schema,
            )
            hits = [h for h in hits if h.score >= floor]
            found[key] = hits
            responses[key] = {
                "status": 200,
                "results": [schemas.scored_json(h) for h in hits],
                "total": {"value": len(hits), "relation": "eq"},
                "query": sent[key],
            }
        record = record_queries(
            service.store,
            service.screener(as_of).view,  # the versions that answered (cached)
            f"/match/{dataset}",
            sent,
            found,
            threshold=cut,
            limit=limit,
            sources=sorted(sources or ()),
            actor=requester(request),
        )
        body_out = {"responses": responses, "matcher": matcher_docs(), "limit": limit}
        headers = {"x-batch-size": str(len(responses)), AUDIT_HEADER: str(record.id)}
        return _json(body_out, headers)

    @router.get("/search/{dataset}", tags=["Matching"], dependencies=[Depends(reader)])
    def search(
        request: Request,
        dataset: str,
        q: Annotated[str, Query(min_length=1, max_length=1000)],
        schema: str | None = None,
        source: Annotated[list[str] | None, Query()] = None,
        country: Annotated[list[str] | None, Query()] = None,
        birth_date: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        threshold: Annotated[float | None, Query(ge=0, le=1)] = None,
        as_of: AsOf = None,
    ) -> JSONResponse:
        """Search by name or identifier (ISIN, ticker, IMO, ...), scored with evidence.
        Filters: ``schema`` (Person, Company, ...), ``source`` (lists or sources, repeat
        for several), ``country`` (ISO codes or names, repeat for several)."""
        service = _service(request)
        sources = service.sources_for(dataset)
        if source:
            picked: set[str] = set()
            for name in source:
                picked |= service.sources_for(name) or set()
            sources = frozenset(picked) if sources is None else sources & picked
        countries = frozenset(
            c
            for c in (schemas.parse_country(x) for x in country or [])
            if c is not None
        )
        parsed_schema = schemas.parse_schema(schema)
        birth = None
        if birth_date:
            birth = parse_partial_date(birth_date)
            if birth is None:
                raise InvalidQuery(
                    "birth_date", f"{birth_date!r} is not YYYY[-MM[-DD]]"
                )
        query = ScreenQuery(
            name=q.strip(),
            schema=parsed_schema,
            country=next(iter(sorted(countries)), None),
            birth_date=birth,
        )
        hits = service.search(
            query,
            as_of=as_of,
            threshold=threshold,
            limit=limit,
            sources=sources,
            schema=parsed_schema,
            countries=countries,
        )
        return _json(
            {
                "limit": limit,
                "offset": 0,
                "total": {"value": len(hits), "relation": "eq"},
                "results": [schemas.hit_json(h) for h in hits],
            }
        )

    @router.post("/screen", tags=["Matching"], dependencies=[Depends(reader)])
    def screen(request: Request, body: schemas.ScreenRequest) -> JSONResponse:
        """One query with every field Clearance screens on; the answer of
        ``clearance check --json``: hits, evidence, listings, and for each alert the same
        party on other lists."""
        service = _service(request)
        if len(body.name.strip()) == 0 and not body.identifier:
            raise InvalidQuery("name", "empty name and no identifier")
        birth = None
        if body.birth_date:
            birth = parse_partial_date(body.birth_date)
            if birth is None:
                raise InvalidQuery(
                    "birth_date", f"{body.birth_date!r} is not YYYY[-MM[-DD]]"
                )
        query = ScreenQuery(
            name=body.name.strip(),
            schema=schemas.parse_schema(body.schema_),
            country=schemas.parse_country(body.country),
            birth_date=birth,
            identifier=body.identifier,
        )
        sources = None
        if body.sources:
            picked: set[str] = set()
            for name in body.sources:
                picked |= service.sources_for(name) or set()
            sources = frozenset(picked)
        hits = service.search(
            query,
            as_of=body.as_of,
            threshold=body.threshold,
            limit=body.limit,
            sources=sources,
        )
        view = service.view(body.as_of)
        out = []
        for hit in hits:
            data = schemas.hit_json(hit)
            if hit.match:
                data["related"] = [
                    {"id": e.id, "caption": e.caption, "reason": why}
                    for e, why in view.related(hit.entity)
                ]
            out.append(data)
        record = record_screening(
            service.store,
            view,
            query,
            hits,
            threshold=body.threshold,
            limit=body.limit,
            sources=sorted(sources or ()),
            actor=requester(request),
            channel="api",
        )
        return _json(
            {
                "as_of": None if body.as_of is None else body.as_of.isoformat(),
                "threshold": _threshold(body.threshold),
                "alert": any(h.match for h in hits),
                "hits": out,
                "audit_record": record.id,
            },
            {AUDIT_HEADER: str(record.id)},
        )

    @router.get(
        "/entities/{entity_id:path}", tags=["Reading"], dependencies=[Depends(reader)]
    )
    def entity(
        request: Request, entity_id: str, as_of: AsOf = None, history: bool = True
    ) -> JSON:
        """Every field of an entity, its listings with legal effect and dates, relations
        (resolved to entity ids where possible), the same party on other lists, the list
        versions it comes from, and its timeline across every stored version. A delisted
        entity is answered from its last record with ``"listed": false``."""
        detail = _service(request).entity_detail(entity_id, as_of, history=history)
        return schemas.entity_json(detail)

    @router.get("/lists", tags=["Reading"], dependencies=[Depends(reader)])
    def lists(request: Request, as_of: AsOf = None) -> JSON:
        """Sources with their version, publication date, freshness, the lists they carry
        and what a listing on each means."""
        summaries = _service(request).lists_summary(as_of)
        return {
            "as_of": None if as_of is None else as_of.isoformat(),
            "sources": [schemas.summary_json(s) for s in summaries],
        }

    @router.get("/changes", tags=["Reading"], dependencies=[Depends(reader)])
    def changes(
        request: Request,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: Annotated[int, Query(ge=0, description="Rows per kind; 0 = all.")] = 100,
    ) -> JSON:
        """Entities added, removed and changed (field by field) per source between the
        version current on ``since`` (default: the version before) and the one current on
        ``until`` (default: now)."""
        items = _service(request).changes(source, since, until)
        cap = None if limit == 0 else limit
        return {
            "since": None if since is None else since.isoformat(),
            "until": None if until is None else until.isoformat(),
            "sources": [schemas.changes_json(c, cap) for c in items],
        }

    @router.post(
        "/updates",
        tags=["Administration"],
        status_code=202,
        dependencies=[Depends(require(Role.ADMIN))],
    )
    def start_update(request: Request, body: schemas.UpdateRequest) -> JSON:
        """Import official files from a folder on the server (``directory``) or download
        ``sources`` from their official URLs (all when empty), in the background; the new
        index is swapped in when it is ready, and reads go on meanwhile. Needs an admin
        key. While an update runs, its job is returned instead of starting another."""
        service = _service(request)
        home = _settings(request).home
        if body.directory is not None:
            folder = Path(body.directory)
            if not folder.is_dir():
                raise InvalidQuery(
                    "directory", f"no such folder on the server: {folder}"
                )

            def run(store: Store) -> list[UpdateStep]:
                return list(update_from_directory(store, folder, force=body.force)[0])

            label = f"directory {folder}"
        else:
            names = body.sources or [s.source for s in OFFICIAL]
            known = {s.source for s in OFFICIAL}
            unknown = [n for n in names if n not in known]
            if len(unknown) > 0:
                raise InvalidQuery("sources", f"unknown: {', '.join(unknown)}")

            def run(store: Store) -> list[UpdateStep]:
                return list(
                    update_from_official(
                        store,
                        HttpFetcher(),
                        names,
                        home / "http_validators.json",
                        force=body.force,
                    )
                )

            label = "official: " + ", ".join(names)
        return schemas.job_json(service.start_update(label, run))

    @router.get(
        "/updates/latest",
        tags=["Administration"],
        dependencies=[Depends(require(Role.ADMIN))],
    )
    def latest_update(request: Request) -> JSON:
        """State of the latest update job of this server process."""
        return schemas.job_json(_service(request).update_job())

    return router
