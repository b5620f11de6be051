"""The web pages: parse the form, call one service function, render a template.

Every page is a plain GET (or, for the batch upload, a POST form) that works without
JavaScript; ``batch.js`` only makes the batch progress live instead of refreshed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from clearance.errors import ClearanceError, InvalidQuery, NotFound
from clearance.match import Query, default_weights
from clearance.model import Schema, parse_partial_date
from clearance.normalize import country_code
from clearance.screen import Service
from clearance.settings import Settings
from clearance.web import present
from clearance.web.batch import (
    MAX_UPLOAD_BYTES,
    BatchJobs,
    percent,
    results_csv,
    results_json,
    summary,
)

PREFIX = "/ui"
HITS_SHOWN = 10
WEAK_SCORE = 0.05  # hits below this are listed apart, folded ("weaker candidates")
CHANGES_SHOWN = 200  # entities per table on the changes page before "and N more"
_STATIC = {
    "style.css": "text/css",
    "batch.js": "text/javascript",
    "upload.js": "text/javascript",
}
_SCHEMAS = [
    (Schema.PERSON.value, "Person"),
    (Schema.ORGANIZATION.value, "Organisation"),
    (Schema.COMPANY.value, "Company"),
    (Schema.VESSEL.value, "Vessel"),
    (Schema.AIRCRAFT.value, "Aircraft"),
]

_templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("clearance.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def _service(request: Request) -> Service:
    service = request.app.state.service
    assert isinstance(service, Service)
    return service


def _date(text: str | None, field: str) -> date | None:
    if text is None or len(text.strip()) == 0:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidQuery(field, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _render(
    request: Request, name: str, page: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return _templates.TemplateResponse(
        request, name, {"page": page, **context}, status_code=status_code
    )


def _problem(request: Request, exc: ClearanceError) -> HTMLResponse:
    status = 404 if isinstance(exc, NotFound) else 400
    return _render(
        request, "problem.html", "", status, message=str(exc), not_found=status == 404
    )


def _entity_url(request: Request, as_of: date | None) -> present.EntityUrl:
    def url(entity_id: str) -> str:
        target = str(request.url_for("web_entity", entity_id=entity_id))
        return target if as_of is None else f"{target}?as_of={as_of.isoformat()}"

    return url


def _versions_note(service: Service, as_of: date | None) -> str:
    view = service.view(as_of)
    count = len(view.versions)
    newest = max(v.published for v in view.versions.values())
    when = "the newest list versions" if as_of is None else f"the lists as of {as_of}"
    return f"{when} of {count} sources (latest publication {newest.isoformat()})"


def create_router() -> APIRouter:
    """The web UI's pages under ``/ui`` (and ``/`` sending a browser there); they find the
    ``Service`` at ``request.app.state.service``."""
    router = APIRouter(include_in_schema=False)
    jobs = BatchJobs()

    @router.get("/", name="web_home")
    def home(request: Request) -> RedirectResponse:
        return RedirectResponse(str(request.url_for("web_search")), status_code=303)

    @router.get(PREFIX + "/static/{name}", name="web_static")
    def static(name: str) -> Response:
        media = _STATIC.get(name)
        if media is None:
            return Response("not found", status_code=404, media_type="text/plain")
        body = resources.files("clearance.web").joinpath("static", name).read_bytes()
        return Response(
            body,
            media_type=media,
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @router.get(PREFIX + "/", name="web_search", response_class=HTMLResponse)
    def search(
        request: Request,
        q: str = "",
        schema: str = "",
        country: str = "",
        birth_date: str = "",
        as_of: str = "",
    ) -> HTMLResponse:
        form = {
            "q": q.strip(),
            "schema": schema,
            "country": country.strip(),
            "birth_date": birth_date.strip(),
            "as_of": as_of.strip(),
        }
        context: dict[str, Any] = {
            "form": form,
            "schemas": _SCHEMAS,
            "hits": None,
            "error": None,
        }
        if len(form["q"]) == 0:
            return _render(request, "search.html", "web_search", **context)
        try:
            query = _query(form)
            when = _date(form["as_of"], "Lists as of")
            service = _service(request)
            hits = service.search(query, as_of=when, limit=HITS_SHOWN)
            entity_url = _entity_url(request, when)
            view = service.view(when)
            # for each alert, the same party's entries on other lists (as `clearance check`)
            shown = [
                present.hit(h, entity_url, view.related(h.entity) if h.match else ())
                for h in hits
            ]
            context.update(
                hits=[h for h in shown if h["match"] or h["score"] >= WEAK_SCORE],
                weak=[h for h in shown if not h["match"] and h["score"] < WEAK_SCORE],
                weak_score=WEAK_SCORE,
                alerts=sum(h.match for h in hits),
                threshold=default_weights().threshold,
                version_note=_versions_note(service, when),
            )
        except ClearanceError as exc:
            context["error"] = str(exc)
            return _render(request, "search.html", "web_search", 400, **context)
        return _render(request, "search.html", "web_search", **context)

    @router.get(
        PREFIX + "/entities/{entity_id:path}",
        name="web_entity",
        response_class=HTMLResponse,
    )
    def entity(request: Request, entity_id: str, as_of: str = "") -> HTMLResponse:
        try:
            when = _date(as_of, "as_of")
            detail = _service(request).entity_detail(entity_id, when)
        except ClearanceError as exc:
            return _problem(request, exc)
        return _render(
            request,
            "entity.html",
            "",
            e=present.entity_page(detail, _entity_url(request, when)),
            timeline=present.timeline(detail.history),
            as_of=None if when is None else when.isoformat(),
        )

    @router.get(PREFIX + "/lists", name="web_lists", response_class=HTMLResponse)
    def lists(request: Request, as_of: str = "") -> HTMLResponse:
        service = _service(request)
        try:
            when = _date(as_of, "as_of")
            data = present.lists_page(service.lists_summary(when))
        except ClearanceError as exc:
            return _problem(request, exc)
        for row in data["sources"]:
            row["changes_url"] = (
                f"{request.url_for('web_changes')}?source={row['source']}"
            )
        return _render(
            request,
            "lists.html",
            "web_lists",
            as_of=None if when is None else when.isoformat(),
            **data,
        )

    @router.get(PREFIX + "/changes", name="web_changes", response_class=HTMLResponse)
    def changes(
        request: Request, source: str = "", since: str = "", until: str = ""
    ) -> HTMLResponse:
        service = _service(request)
        form = {
            "source": source.strip(),
            "since": since.strip(),
            "until": until.strip(),
        }
        context: dict[str, Any] = {
            "form": form,
            "sources": service.store.sources(),
            "items": None,
            "error": None,
            "shown": CHANGES_SHOWN,
        }
        if not any(form.values()):
            context["latest"] = present.latest_versions(service.versions())
        else:
            try:
                items = service.changes(
                    form["source"] or None,
                    _date(form["since"], "From"),
                    _date(form["until"], "To"),
                )
            except ClearanceError as exc:
                context["error"] = str(exc)
                return _render(request, "changes.html", "web_changes", 400, **context)
            context["items"] = present.changes_page(
                items, _entity_url(request, None), CHANGES_SHOWN
            )
        return _render(request, "changes.html", "web_changes", **context)

    @router.get(PREFIX + "/batch", name="web_batch", response_class=HTMLResponse)
    def batch_form(request: Request) -> HTMLResponse:
        return _render(
            request, "batch.html", "web_batch", error=None, **_upload_limit(request)
        )

    @router.post(PREFIX + "/batch", name="web_batch_upload", response_model=None)
    async def batch_upload(
        request: Request,
        file: Annotated[UploadFile, File()],
        as_of: Annotated[str, Form()] = "",
    ) -> Response:
        limit = _upload_limit(request)
        data = await file.read(limit["max_bytes"] + 1)
        try:
            if len(data) > limit["max_bytes"]:
                raise InvalidQuery("file", f"larger than {limit['max_size']}")
            job = jobs.start(
                _service(request),
                file.filename or "upload.csv",
                data,
                _date(as_of, "Lists as of"),
            )
        except ClearanceError as exc:
            status = 413 if len(data) > limit["max_bytes"] else 400
            return _render(
                request, "batch.html", "web_batch", status, error=str(exc), **limit
            )
        target = request.url_for("web_batch_job", job_id=job.id)
        return RedirectResponse(str(target), status_code=303)

    @router.get(
        PREFIX + "/batch/{job_id}", name="web_batch_job", response_class=HTMLResponse
    )
    def batch_job(request: Request, job_id: str) -> HTMLResponse:
        service = _service(request)
        job = jobs.get(service, job_id)
        if job is None:
            return _problem(
                request,
                NotFound("batch", job_id, "finished batches are kept for a while only"),
            )
        return _render(
            request,
            "batch_job.html",
            "web_batch",
            job=job,
            percent=percent(job.done, job.total, job.state),
            summary=summary(jobs.results(service, job.id))
            if job.state == "done"
            else None,
        )

    @router.get(PREFIX + "/batch/{job_id}/status", name="web_batch_status")
    def batch_status(request: Request, job_id: str) -> Response:
        job = jobs.get(_service(request), job_id)
        if job is None:
            return Response(
                '{"error": "not_found"}', status_code=404, media_type="application/json"
            )
        return Response(json.dumps(job.status()), media_type="application/json")

    @router.get(PREFIX + "/batch/{job_id}/results.{fmt}", name="web_batch_results")
    def batch_results(request: Request, job_id: str, fmt: str) -> Response:
        service = _service(request)
        job = jobs.get(service, job_id)
        if job is None or job.state != "done" or fmt not in ("csv", "json"):
            return _problem(request, NotFound("batch results", f"{job_id}.{fmt}"))
        rows = jobs.results(service, job.id)
        stem = re.sub(r"[^\w.-]+", "_", job.filename.rsplit(".", 1)[0]) or "batch"
        body = results_csv(rows) if fmt == "csv" else results_json(job, rows)
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return Response(
            body.encode("utf-8"),
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{stem}-results.{fmt}"'
            },
        )

    return router


def _upload_limit(request: Request) -> dict[str, Any]:
    """The largest upload the server takes: ours, or the API's body limit if smaller
    (``clearance serve`` puts its settings on the app)."""
    limit = MAX_UPLOAD_BYTES
    settings = getattr(request.app.state, "settings", None)
    if isinstance(settings, Settings):
        limit = min(limit, settings.api_max_body)
    size = f"{limit / 1_000_000:.3g} MB" if limit >= 100_000 else f"{limit:,} bytes"
    return {"max_bytes": limit, "max_size": size}


def _query(form: dict[str, str]) -> Query:
    schema = None
    if form["schema"]:
        options = {value.lower(): Schema(value) for value, _ in _SCHEMAS}
        schema = options.get(form["schema"].lower())
        if schema is None:
            raise InvalidQuery("Type", f"{form['schema']!r} is not a known type")
    country = None
    if form["country"]:
        country = country_code(form["country"])
        if country is None:
            raise InvalidQuery("Country", f"{form['country']!r} is not a known country")
    birth = None
    if form["birth_date"]:
        birth = parse_partial_date(form["birth_date"])
        if birth is None:
            raise InvalidQuery(
                "Birth date",
                f"{form['birth_date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD",
            )
    return Query(name=form["q"], schema=schema, country=country, birth_date=birth)
