"""The web UI: server-rendered pages (Jinja2) over the same service as the HTTP API.

Search, entity (with its timeline across list versions), changes, batch and lists pages,
an alerts page with a disposition form, mounted by ``clearance.server`` with ``install(app)``
(``create_router()`` alone for an app of one's own).
"""

from clearance.web.routes import create_router, install

__all__ = ["create_router", "install"]
