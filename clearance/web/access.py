"""Read access to the pages when ``api_read_key_required`` is set: an API key (any role)
given as ``?key=`` or in a cookie set by the key form (``POST /ui/key``); without one the
pages answer 401 with that form. Style sheets and scripts stay open."""

from __future__ import annotations

from fastapi import Request
from starlette.exceptions import HTTPException

from clearance.screen import Service
from clearance.settings import Settings
from clearance.store import verify_api_key

COOKIE = "clearance_key"
OPEN_PATHS = ("/ui/static/", "/ui/key")


class ReadKeyRequired(HTTPException):
    """No valid key for a page (answered with the key form, 401)."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message)
        self.message = message


def key_of(request: Request) -> str | None:
    key = request.query_params.get("key") or request.cookies.get(COOKIE)
    return None if key is None or len(key.strip()) == 0 else key.strip()


def valid_key(request: Request, key: str) -> bool:
    service = request.app.state.service
    assert isinstance(service, Service)
    return verify_api_key(service.store, key) is not None


def read_access(request: Request) -> None:
    """A dependency of every page: passes unless reading needs a key and none valid was
    given.

    Raises:
        ReadKeyRequired: no key, or an unknown or revoked one.
    """
    settings = getattr(request.app.state, "settings", None)
    if not isinstance(settings, Settings) or not settings.api_read_key_required:
        return
    if request.url.path.startswith(OPEN_PATHS):
        return
    key = key_of(request)
    if key is None:
        raise ReadKeyRequired("These pages need an API key (any role).")
    if not valid_key(request, key):
        raise ReadKeyRequired("That API key is unknown or revoked.")
