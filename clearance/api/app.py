"""Assembles the API onto a FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from clearance.api import errors, reconcile, routes
from clearance.api.middleware import RequestGuard
from clearance.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Routers, error handlers and the request guard (request ids, body limit, timeout,
    access log)."""
    errors.install(app)
    app.include_router(routes.create_router())
    app.include_router(reconcile.create_router())
    app.add_middleware(
        RequestGuard, max_body=settings.api_max_body, timeout=settings.api_timeout
    )
