"""The alerts page: monitoring alerts by watch set, with the list version that caused
each, the listed entity, the disposition history and a form to record a decision.

Recording a decision needs an API key with the analyst (or admin) role, typed into the
form and checked here against the store's hashed keys; its name is recorded as who
decided. Nothing is remembered in the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clearance.errors import ClearanceError, NotFound
from clearance.model import ListVersion, list_info
from clearance.monitor import dispose_alert, list_alerts
from clearance.screen import Service
from clearance.store import Alert, Decision, Role, WatchStore, verify_api_key

Render = Callable[..., HTMLResponse]
EntityUrl = Callable[[str], str]

DECISIONS = [
    (Decision.FALSE_POSITIVE.value, "False positive"),
    (Decision.TRUE_MATCH.value, "True match"),
    (Decision.NEEDS_REVIEW.value, "Needs review"),
]
_KIND_WORDS = {
    "new_match": "New match",
    "new_alias_match": "New alias matches",
    "legal_effect_changed": "Legal effect changed",
    "record_changed": "Listed record changed",
    "delisted": "Delisted",
}


class KeyRefused(Exception):
    """The form's API key is missing, unknown, revoked or below the analyst role (an
    adapter-only error: the page answers 401 or 403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _version_label(version_id: int | None, versions: dict[int, ListVersion]) -> str:
    if version_id is None:
        return "unknown list version"
    version = versions.get(version_id)
    if version is None:
        return f"list version #{version_id}"
    title = list_info(version.source).title or version.source
    return f"{title}, list version #{version_id} published {version.published}"


def alert_card(
    alert: Alert, versions: dict[int, ListVersion], entity_url: EntityUrl
) -> dict[str, Any]:
    """One alert as the template shows it."""
    record = alert.record
    names = record.get("names")
    caption = alert.entity_id
    if isinstance(names, list) and len(names) > 0:
        first = names[0]
        caption = str(first.get("value", caption) if isinstance(first, dict) else first)
    changes = alert.detail.get("changes")
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "kind_words": _KIND_WORDS.get(alert.kind.value, alert.kind.value),
        "open": alert.is_open,
        "created_at": alert.created_at,
        "party": alert.party.fields,
        "entity_id": alert.entity_id,
        "caption": caption,
        "entity_url": entity_url(alert.entity_id),
        "score": f"{alert.score:.2f}",
        "matched_name": alert.matched_name,
        "version": _version_label(alert.version_id, versions),
        "changes": changes if isinstance(changes, list) else [],
        "history": [
            {
                "id": d.id,
                "decision": d.decision.value.replace("_", " "),
                "reason": d.reason,
                "by": d.decided_by,
                "at": d.at,
                "supersedes": d.supersedes,
            }
            for d in alert.dispositions
        ],
    }


def group_by_set(
    cards: Sequence[dict[str, Any]], alerts: Sequence[Alert]
) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for card, alert in zip(cards, alerts, strict=True):
        groups.setdefault(alert.set_name, []).append(card)
    return sorted(groups.items())


def analyst_key(service: Service, key: str) -> str:
    """Who decides: the actor of an active analyst or admin key.

    Raises:
        KeyRefused: no key, an unknown or revoked one (401), or a reader key (403).
    """
    if len(key.strip()) == 0:
        raise KeyRefused(
            401, "Enter an API key with the analyst role to record a decision."
        )
    record = verify_api_key(service.store, key.strip())
    if record is None:
        raise KeyRefused(401, "That API key is unknown or revoked.")
    if not record.role.allows(Role.ANALYST):
        raise KeyRefused(
            403, f"That API key has the {record.role} role; deciding needs analyst."
        )
    return record.actor


def create_alerts_router(
    service_of: Callable[[Request], Service],
    render: Render,
    problem: Callable[[Request, ClearanceError], HTMLResponse],
    entity_url: Callable[[Request], EntityUrl],
) -> APIRouter:
    """``/ui/alerts`` and its disposition form, rendered with the pages' own helpers."""
    router = APIRouter(include_in_schema=False)

    def page(
        request: Request,
        watch: str,
        state: str,
        *,
        status_code: int = 200,
        error: str | None = None,
        error_alert: int | None = None,
        done: int | None = None,
    ) -> HTMLResponse:
        service = service_of(request)
        store = WatchStore(service.store)
        try:
            found = list_alerts(
                service.store,
                open_only=state != "all",
                set_name=watch or None,
            )
        except NotFound as exc:
            return problem(request, exc)
        versions = {v.id: v for v in service.versions()}
        url = entity_url(request)
        cards = [alert_card(a, versions, url) for a in found]
        return render(
            request,
            "alerts.html",
            "web_alerts",
            status_code,
            form={"watch": watch, "state": state},
            sets=[s.name for s in store.sets()],
            groups=group_by_set(cards, found),
            total=len(found),
            decisions=DECISIONS,
            error=error,
            error_alert=error_alert,
            done=done,
        )

    @router.get("/ui/alerts", name="web_alerts", response_class=HTMLResponse)
    def alerts(
        request: Request, watch: str = "", state: str = "open", done: int | None = None
    ) -> HTMLResponse:
        return page(request, watch.strip(), state, done=done)

    @router.post(
        "/ui/alerts/{alert_id}/disposition",
        name="web_alert_dispose",
        response_model=None,
    )
    def dispose(
        request: Request,
        alert_id: int,
        decision: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        api_key: Annotated[str, Form()] = "",
        watch: Annotated[str, Form()] = "",
        state: Annotated[str, Form()] = "open",
    ) -> Response:
        service = service_of(request)
        try:
            who = analyst_key(service, api_key)
            dispose_alert(service.store, alert_id, decision, reason, who)
        except KeyRefused as exc:
            return page(
                request,
                watch,
                state,
                status_code=exc.status,
                error=str(exc),
                error_alert=alert_id,
            )
        except NotFound as exc:
            return problem(request, exc)
        except ClearanceError as exc:
            return page(
                request,
                watch,
                state,
                status_code=400,
                error=str(exc),
                error_alert=alert_id,
            )
        query = urlencode({"watch": watch, "state": state, "done": alert_id})
        target = f"{request.url_for('web_alerts')}?{query}#alert-{alert_id}"
        return RedirectResponse(target, status_code=303)

    return router
