"""The API's JSON answers, encoded with orjson (a /match answer of five hits with their
properties, listings and evidence encodes in a tenth of the time the json module takes)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """``JSONResponse`` encoded by orjson: UTF-8, no spaces; NaN and infinities become
    ``null`` (valid JSON, where the json module writes ``NaN``)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
