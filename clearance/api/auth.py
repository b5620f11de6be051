"""API keys on requests: ``Authorization: Bearer <key>`` (or ``ApiKey <key>``, as
OpenSanctions clients send it, or an ``X-API-Key`` header), checked against the store's
hashed keys, with the role the endpoint needs."""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from fastapi import Request

from clearance.api.errors import ApiError
from clearance.screen import Service
from clearance.settings import Settings
from clearance.store import ApiKey, Role, verify_api_key


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("bearer", "apikey") and len(value.strip()) > 0:
            return value.strip()
    key = request.headers.get("x-api-key")
    return None if key is None or len(key.strip()) == 0 else key.strip()


def check_key(request: Request, needed: Role) -> ApiKey:
    """The request's key if it is active and its role covers ``needed``.

    Raises:
        ApiError: 401 without a valid key, 403 when the key's role is too low.
    """
    key = presented_key(request)
    if key is None:
        raise ApiError(
            401, "unauthorized", f"this endpoint needs an API key ({needed})"
        )
    service: Service = request.app.state.service
    record = verify_api_key(service.store, key)
    if record is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    if not record.role.allows(needed):
        raise ApiError(
            403,
            "forbidden",
            f"this endpoint needs the {needed} role (key has {record.role})",
        )
    request.scope["api_key"] = record.prefix  # logged, never the key itself
    request.scope["api_actor"] = actor(record)
    return record


def actor(key: ApiKey) -> str:
    """Who an API request acts as, in dispositions and audit records."""
    return key.actor


def require(needed: Role) -> Callable[[Request], ApiKey]:
    """A dependency: the endpoint needs a key with role ``needed`` or higher."""

    def dependency(request: Request) -> ApiKey:
        return check_key(request, needed)

    return dependency


async def reader(request: Request) -> None:
    """A dependency for read endpoints: open unless ``api_read_key_required``. Async, so
    an open endpoint costs no trip through the thread pool; a key is checked (a database
    read) in the pool."""
    settings: Settings = request.app.state.settings
    if settings.api_read_key_required:
        await anyio.to_thread.run_sync(check_key, request, Role.READER)


def requester(request: Request) -> str:
    """Who a read request comes from, for its audit record: the key's ``actor`` when a
    valid key was presented, else ``"anonymous"`` (an invalid key on an open endpoint is
    ignored, as ``reader`` ignores it)."""
    known = request.scope.get("api_actor")
    if isinstance(known, str):
        return known
    key = presented_key(request)
    if key is None:
        return "anonymous"
    service: Service = request.app.state.service
    record = verify_api_key(service.store, key)
    return "anonymous" if record is None or not record.active else actor(record)
