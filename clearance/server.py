"""Composition root of ``clearance serve``: the settings, the shared ``Service``, the
HTTP API and (when installed) the web UI, in one FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from clearance import api
from clearance.screen import Service
from clearance.settings import Settings, load_settings

log = logging.getLogger("clearance.server")

DESCRIPTION = """Sanctions and restricted-party screening over versioned official lists.

* **Matching**: `POST /match/{dataset}` (yente-compatible), `GET /search/{dataset}`,
  `POST /screen`; every hit with its evidence and its listings' legal effect.
* **Reading**: `GET /entities/{id}` (with timeline), `GET /lists`, `GET /changes`.
* **OpenRefine**: `/reconcile/{dataset}` (W3C Reconciliation API).
* `as_of=YYYY-MM-DD` answers as the lists stood on that date.

Errors are JSON: `{"error": code, "message": text, "request_id": id}`.
"""


def create_app(settings: Settings, service: Service | None = None) -> FastAPI:
    """The app. Without ``service`` one is opened on ``settings.home`` at start-up (the
    index loads in the background: ``/readyz`` says when) and closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # screening requests run in this many threads; the rest wait their turn
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            settings.api_workers
        )
        owned = service is None
        app.state.service = (
            Service.open(
                settings.home, database_url=settings.database_url, background=True
            )
            if owned
            else service
        )
        if owned and settings.api_reload_interval > 0:
            app.state.service.watch(settings.api_reload_interval)
        try:
            yield
        finally:
            if owned:
                app.state.service.close()

    app = FastAPI(
        title="Clearance",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
    )
    app.state.settings = settings
    app.state.web = False
    if service is not None:
        app.state.service = service
    api.install(app, settings)
    try:
        from clearance.web import install as install_web
    except ImportError:  # the web UI is optional
        log.info("web UI not installed; serving the API only")
    else:
        install_web(app)
        app.state.web = True  # entity pages at /ui/entities/{id} (reconciliation links)
    return app


def app_from_environment() -> FastAPI:
    """The app from the environment's settings: the factory each process of
    ``clearance serve --processes N`` imports."""
    api.configure_logging()
    return create_app(load_settings())
