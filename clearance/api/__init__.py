"""The HTTP API (FastAPI): yente-compatible matching, search, entities, lists, changes,
OpenRefine reconciliation and administration, over ``clearance.screen.Service``.

``install(app, settings)`` adds the routers, the error table and the request guard to an
app whose ``state.service`` and ``state.settings`` the composition root
(``clearance.server``) sets.
"""

from clearance.api.app import install
from clearance.api.errors import ERRORS, ApiError
from clearance.api.middleware import JsonFormatter, configure_logging

__all__ = ["ERRORS", "ApiError", "JsonFormatter", "configure_logging", "install"]
