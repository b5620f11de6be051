"""One FollowTheMoney entity as a Clearance entity, outside any export file.

For comparing pairs of entities (``clearance compare``): the mapping of ``ftm.parse``
applies, but there is no file around the entity, so no ``Sanction`` or ``Address`` entities
are joined onto it, and an entity that is not a ``target`` is kept (the two sides of a pair
need not be listed parties).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from clearance.errors import SourceFormatError
from clearance.model import Entity, Identifier, Schema
from clearance.sources import ftm
from clearance.sources.base import ParseReport, RawFile

_RETRIEVED = datetime(1970, 1, 1, tzinfo=UTC)  # no retrieval: the entity came inline


def ftm_schema(name: str) -> Schema | None:
    """The Clearance schema of an FtM schema name (``"Company"``); None if not screened."""
    return ftm._SCHEMAS.get(name)


def ftm_identifiers(
    schema: Schema, properties: Mapping[str, object]
) -> list[Identifier]:
    """Identifiers among an FtM entity's properties (``isinCode``, ``idNumber``,
    ``passportNumber``, ``imoNumber``...), read as ``ftm.parse`` reads them."""
    return list(ftm._identifiers(schema, dict(properties)))


def entity_from_ftm(
    data: Mapping[str, object], *, source: str = ftm.LIST_CODE, where: str = "entity"
) -> Entity:
    """The Clearance entity of one FtM entity object (``id``, ``schema``, ``properties``).

    Args:
        data: the decoded JSON object.
        source: the source named in the entity's provenance.
        where: where the object was found, for error messages (``"line 3 right"``).

    Raises:
        SourceFormatError: the schema is not screened (``Sanction``, ``Thing``...) or the
            entity has no name.
    """
    schema = data.get("schema")
    if not isinstance(schema, str) or ftm_schema(schema) is None:
        raise SourceFormatError(source, where, f"schema {schema!r} is not screened")
    raw = RawFile(source, "ftm", {}, where, _RETRIEVED)
    report = ParseReport(source)
    entity_id = data.get("id")
    body = {**data, "id": entity_id if isinstance(entity_id, str) else where}
    entity = ftm._entity(raw, report, where, body, ftm._Context())
    if entity is None:
        reasons = "; ".join(i.reason for i in report.issues) or "unusable"
        raise SourceFormatError(source, where, reasons)
    return entity
