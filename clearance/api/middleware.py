"""ASGI middleware around every request: a request id, the body-size limit, the request
timeout and one structured access-log line (method, path, status, duration; never the
query string or body, which carry the names being screened)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.exceptions import HTTPException

from clearance.api.errors import error_body

log = logging.getLogger("clearance.api.access")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MULTIPART_SLACK = (
    64 * 1024
)  # an upload's form framing and other fields, beyond the file
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a client's own id, if it looks sane


class RequestGuard:
    """Request id (``X-Request-ID``, the client's or a new one), body limit (413; file
    uploads to ``upload_paths`` have their own, larger one), timeout (504) and the access
    log."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        timeout: float,
        max_upload: int | None = None,
        upload_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = timeout
        self.max_upload = max_body if max_upload is None else max_upload
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        given = headers.get("x-request-id", b"").decode("latin-1")
        request_id = given if _GOOD_ID.match(given) else uuid.uuid4().hex[:16]
        scope["request_id"] = request_id
        started = time.perf_counter()
        state = {"status": 0, "started": False}
        limit = self.max_body
        if scope.get("method") == "POST" and scope.get("path") in self.upload_paths:
            limit = self.max_upload + MULTIPART_SLACK

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # an HTTPException passes FastAPI's body parsing unchanged
                    raise HTTPException(413, self._too_large(limit))
            return message

        try:
            length = int(headers.get("content-length", b"0") or 0)
        except ValueError:
            length = 0
        try:
            if length > limit:
                await self._answer(
                    send_wrapper, 413, "body_too_large", self._too_large(limit)
                )
            else:
                # a deadline on this task (no extra task per request, as wait_for made)
                async with asyncio.timeout(self.timeout):
                    await self.app(scope, receive_wrapper, send_wrapper)
        except TimeoutError:
            if not state["started"]:
                message = f"the request took longer than {self.timeout:g} s"
                await self._answer(send_wrapper, 504, "timeout", message, request_id)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": state["status"],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    @staticmethod
    def _too_large(limit: int) -> str:
        return f"the request body is larger than {limit:,} bytes"

    @staticmethod
    async def _answer(
        send: Send, status: int, code: str, message: str, request_id: str | None = None
    ) -> None:
        body = json.dumps(error_body(code, message, request_id)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the record's structured extras."""

    _SKIP = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._SKIP and not key.startswith("_"):
                data[key] = value
        if record.exc_info is not None:
            data["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for Clearance and uvicorn (uvicorn's own access log is off:
    ours carries the request id)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("clearance", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
