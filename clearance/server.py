"""Composition root of ``clearance serve``: the settings, the shared ``Service``, the
HTTP API and (when installed) the web UI, in one FastAPI app; and ``serve``, which runs
it under uvicorn in one process or several."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from clearance import api
from clearance.errors import ClearanceError
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


MAX_CONNECTIONS = 512  # beyond this uvicorn answers 503 at once instead of queueing
STARTUP_FAILURE = 3  # exit status of a server process whose app failed to start
GRACE_SECONDS = 10  # requests in flight get this long to finish at shutdown


def create_app(
    settings: Settings, service: Service | None = None, *, preload: bool = False
) -> FastAPI:
    """The app. Without ``service`` one is opened on ``settings.home`` at start-up and
    closed at shutdown. Its index loads in the background (``/readyz`` says when), or
    with ``preload`` before the app takes its first request (a process of several
    sharing one socket: the others answer meanwhile)."""

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
        if owned and preload:
            await anyio.to_thread.run_sync(app.state.service.wait_loaded)
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
    ``clearance serve --processes N`` imports (it loads its index before it accepts
    connections)."""
    api.configure_logging()
    return create_app(load_settings(), preload=True)


def _uvicorn_options() -> dict[str, Any]:
    return {
        "log_config": None,
        "access_log": False,  # ours (clearance.api.access) carries the request id
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_graceful_shutdown": GRACE_SECONDS,
    }


def serve(settings: Settings, *, host: str, port: int, processes: int = 1) -> None:
    """Serve the app on ``host:port`` until SIGINT or SIGTERM.

    With ``processes`` > 1, this process starts that many server processes (each with its
    own index in memory), restarts one that dies, and stops them all when told to, or
    when one fails to start. On Linux each server process listens on its own socket
    (SO_REUSEPORT), opened once its index is loaded, and the kernel spreads new
    connections over them; elsewhere they share one socket bound here. Either way the
    sockets have TCP_NODELAY, which accepted connections inherit: uvicorn's own
    multi-process mode binds a socket without it, and Nagle's algorithm then held each
    answer's body back until the client acknowledged its headers, some 40 ms later.

    Raises:
        ClearanceError: the address is in use (or otherwise cannot be bound).
    """
    import uvicorn  # only serving needs it

    api.configure_logging()
    if processes <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, **_uvicorn_options())
        return
    # each process builds its app from the environment: hand it these settings
    os.environ["CLEARANCE_HOME"] = str(settings.home)
    os.environ["CLEARANCE_API_WORKERS"] = str(settings.api_workers)
    if settings.database_url is not None:
        os.environ["CLEARANCE_DATABASE_URL"] = settings.database_url
    reserved = _bind(host, port)  # fails here, once, if the address is taken
    port = reserved.getsockname()[1]
    shared = None
    if not REUSE_PORT:
        reserved.listen(2048)
        shared = reserved
    log.info("listening", extra={"host": host, "port": port, "processes": processes})
    try:
        _supervise(shared, host, port, processes)
    finally:
        reserved.close()


# one listening socket per server process, balanced by the kernel (Linux semantics)
REUSE_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY (and SO_REUSEPORT where used), not yet
    listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if REUSE_PORT:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ClearanceError(
            f"cannot listen on {host}:{port}: {exc.strerror}"
        ) from None
    sock.set_inheritable(True)
    return sock


def _server_process(shared: socket.socket | None, host: str, port: int) -> None:
    """One server process (started by ``_supervise``): uvicorn listens on the socket
    (its own unless ``shared``) only after the app's start-up has loaded the index, so
    no connection waits on a process that is still loading."""
    import uvicorn

    sock = _bind(host, port) if shared is None else shared
    config = uvicorn.Config(
        "clearance.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        **_uvicorn_options(),
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _supervise(
    shared: socket.socket | None, host: str, port: int, processes: int
) -> None:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per process
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(
            target=_server_process, args=(shared, host, port), name="clearance-serve"
        )
        process.start()
        log.info("server process started", extra={"pid": process.pid})
        return process

    children = [start() for _ in range(processes)]
    failed = False
    while not stop.wait(0.5):
        for i, child in enumerate(children):
            if child.is_alive():
                continue
            if child.exitcode == STARTUP_FAILURE:
                log.error("a server process failed to start; stopping")
                failed = True
                stop.set()
                break
            log.warning(
                "server process died; starting another",
                extra={"pid": child.pid, "exitcode": child.exitcode},
            )
            children[i] = start()
    for child in children:
        if child.is_alive() and child.pid is not None:
            os.kill(child.pid, signal.SIGTERM)
    for child in children:
        child.join(GRACE_SECONDS + 5)
        if child.is_alive():
            child.kill()
            child.join()
    if failed:
        sys.exit(STARTUP_FAILURE)
