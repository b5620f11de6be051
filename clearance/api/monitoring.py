"""Monitoring over HTTP: alerts and their dispositions, watch sets, monitoring runs and the
audit chain's check, over the same ``clearance.monitor`` functions as the CLI."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request

from clearance.api import schemas
from clearance.api.auth import actor, reader, require
from clearance.monitor import (
    alert_json,
    deliver,
    dispose_alert,
    list_alerts,
    run_monitor,
)
from clearance.screen import Service
from clearance.settings import Settings
from clearance.store import ApiKey, AuditLog, Role, Store, WatchStore

JSON = dict[str, Any]

log = logging.getLogger("clearance.api")


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _deliver(store: Store, url: str, secret: str) -> None:
    """Send the run's webhook messages after the answer went out; failures stay in the
    outbox for the next run (``deliver`` never raises for a network failure)."""
    delivery = deliver(store, url, secret)
    log.info(
        "webhook",
        extra={"delivered": delivery.delivered, "failed": delivery.failed},
    )


def create_router() -> APIRouter:
    router = APIRouter(tags=["Monitoring"])

    @router.get("/alerts", dependencies=[Depends(reader)])
    def alerts(
        request: Request,
        open_: Annotated[
            bool, Query(alias="open", description="Only open alerts.")
        ] = False,
        watch: Annotated[str | None, Query(description="Only this watch set.")] = None,
        limit: Annotated[
            int, Query(ge=0, description="At most this many, newest first; 0 = all.")
        ] = 100,
    ) -> JSON:
        """Monitoring alerts, newest first: kind, watched party, listed entity, the list
        version that caused it, score and the current disposition (``clearance alerts
        --json``)."""
        found = list_alerts(_service(request).store, open_only=open_, set_name=watch)
        shown = found if limit == 0 else found[:limit]
        return {
            "total": len(found),
            "alerts": [alert_json(a) for a in shown],
        }

    @router.get("/alerts/{alert_id}", dependencies=[Depends(reader)])
    def alert(request: Request, alert_id: int) -> JSON:
        """One alert with its whole disposition history (oldest first)."""
        item = WatchStore(_service(request).store).alert(alert_id)
        data = alert_json(item)
        data["history"] = [
            {
                "id": d.id,
                "decision": d.decision.value,
                "reason": d.reason,
                "by": d.decided_by,
                "at": d.at,
                "supersedes": d.supersedes,
            }
            for d in item.dispositions
        ]
        return data

    @router.post("/alerts/{alert_id}/disposition", status_code=201)
    def dispose(
        request: Request,
        alert_id: int,
        body: schemas.DispositionRequest,
        key: Annotated[ApiKey, Depends(require(Role.ANALYST))],
    ) -> JSON:
        """Record a decision on an alert (``true_match``, ``false_positive`` or
        ``needs_review``, with a reason); needs an analyst or admin key, whose name is
        recorded as who decided. An earlier decision is kept and named as superseded; the
        decision is written to the audit trail."""
        item = dispose_alert(
            _service(request).store, alert_id, body.decision, body.reason, actor(key)
        )
        return {
            "id": item.id,
            "alert_id": item.alert_id,
            "decision": item.decision.value,
            "reason": item.reason,
            "by": item.decided_by,
            "at": item.at,
            "supersedes": item.supersedes,
        }

    @router.get("/watch", dependencies=[Depends(reader)])
    def watch_sets(request: Request) -> JSON:
        """The watch sets with their party counts."""
        sets = WatchStore(_service(request).store).sets()
        return {
            "watch_sets": [
                {
                    "name": s.name,
                    "parties": s.parties,
                    "created_at": s.created_at,
                    "description": s.description,
                }
                for s in sets
            ]
        }

    @router.get("/watch/{name}", dependencies=[Depends(reader)])
    def watch_set(
        request: Request,
        name: str,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> JSON:
        """A watch set's parties (at most ``limit``) with their open alert counts."""
        watch = WatchStore(_service(request).store)
        target = watch.get_set(name)
        parties = watch.parties(target.id, limit)
        open_alerts = watch.open_alert_counts(name)
        return {
            "name": target.name,
            "description": target.description,
            "created_at": target.created_at,
            "parties": target.parties,
            "shown": [p.summary(open_alerts.get(p.id, 0)) for p in parties],
        }

    @router.post("/monitor/run", tags=["Administration"])
    def monitor_run(
        request: Request,
        background: BackgroundTasks,
        key: Annotated[ApiKey, Depends(require(Role.ADMIN))],
        body: schemas.MonitorRunRequest | None = None,
    ) -> JSON:
        """Re-screen the watch sets against what changed since the last run (``full``:
        every party), as ``clearance monitor run``; needs an admin key. The new alerts are
        answered; with ``CLEARANCE_WEBHOOK_URL`` and ``_SECRET`` set they are also POSTed
        to the webhook after the answer."""
        settings: Settings = request.app.state.settings
        service = _service(request)
        notify = (
            settings.webhook_url is not None and settings.webhook_secret is not None
        )
        report = run_monitor(
            service.store,
            service.index_folder,
            full=body is not None and body.full,
            actor=actor(key),
            notify=notify,
        )
        if notify:
            assert settings.webhook_url is not None
            assert settings.webhook_secret is not None
            background.add_task(
                _deliver, service.store, settings.webhook_url, settings.webhook_secret
            )
        return {
            "run_id": report.run_id,
            "list_versions": dict(report.versions),
            "work": dict(report.work),
            "audit_record": report.audit_id,
            "alerts": [alert_json(a) for a in report.alerts],
            "webhook": "queued" if notify else None,
        }

    @router.get("/audit/verify", tags=["Administration"])
    def audit_verify(
        request: Request,
        key: Annotated[ApiKey, Depends(require(Role.ADMIN))],
    ) -> JSON:
        """Recompute the audit trail's hash chain (``clearance audit verify``): ``ok``
        false, with the problems, if a record was edited or deleted. Needs an admin key."""
        check = AuditLog(_service(request).store).verify()
        return {
            "ok": check.ok,
            "checked": check.checked,
            "problems": list(check.problems),
        }

    return router
