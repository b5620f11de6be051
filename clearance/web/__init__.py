"""The web UI: server-rendered pages (Jinja2) over the same service as the HTTP API.

Search, entity (with its timeline across list versions), changes, batch and lists pages,
mounted by ``clearance.server`` from ``create_router()``.
"""

from clearance.web.routes import create_router

__all__ = ["create_router"]
