"""Every error the API answers, in one table: exception -> HTTP status and stable code.

Bodies are always ``{"error": code, "message": text, "request_id": id}``; a traceback never
reaches a client (unexpected exceptions are logged with it and answered as
``internal_error``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from clearance.errors import (
    ClearanceError,
    ImportRefused,
    InvalidQuery,
    NotFound,
    SourceFormatError,
    SourceUnavailable,
    StaleIndex,
)

log = logging.getLogger("clearance.api")


class ApiError(Exception):
    """An error only the HTTP layer knows (authentication, limits, readiness)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# Domain errors, most specific first: (class, HTTP status, code).
ERRORS: tuple[tuple[type[ClearanceError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (InvalidQuery, 422, "invalid_query"),
    (ImportRefused, 409, "import_refused"),
    (SourceFormatError, 422, "source_format"),
    (SourceUnavailable, 502, "source_unavailable"),
    (StaleIndex, 503, "stale_index"),
    (ClearanceError, 400, "bad_request"),
)

# Statuses Starlette raises itself (unknown route, wrong method, ...).
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    503: "not_ready",
    504: "timeout",
}


def error_body(
    code: str, message: str, request_id: str | None
) -> dict[str, str | None]:
    return {"error": code, "message": message, "request_id": request_id}


def _request_id(request: Request) -> str | None:
    value = request.scope.get("request_id")
    return value if isinstance(value, str) else None


def respond(request: Request, status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, _request_id(request)), status_code=status
    )


def for_exception(exc: ClearanceError) -> tuple[int, str]:
    for cls, status, code in ERRORS:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"  # unreachable: ClearanceError is the table's last row


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def clearance_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ClearanceError)
        status, code = for_exception(exc)
        return respond(request, status, code, str(exc))

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        response = respond(request, exc.status, exc.code, exc.message)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for item in exc.errors()[:10]:
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
        return respond(request, 422, "invalid_request", "; ".join(problems))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = HTTP_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, str(exc.detail))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"request_id": _request_id(request)})
        return respond(
            request, 500, "internal_error", "internal error; see the server log"
        )

    app.add_exception_handler(ClearanceError, clearance_error)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
