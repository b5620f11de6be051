"""One FtM entity outside an export file (synthetic objects)."""

from __future__ import annotations

import pytest

from clearance.errors import SourceFormatError
from clearance.model import IdScheme, Schema
from clearance.sources import entity_from_ftm, ftm_identifiers, ftm_schema


def test_non_target_organisation_with_an_isin_is_a_company() -> None:
    entity = entity_from_ftm(
        {
            "id": "x1",
            "schema": "Organization",
            "target": False,
            "properties": {"name": ["Acme"], "isinCode": ["US0000000001"]},
        }
    )
    assert entity.id == "opensanctions:x1"
    assert entity.schema is Schema.COMPANY
    assert [n.value for n in entity.names] == ["Acme"]


def test_entity_without_a_name_is_refused_with_where() -> None:
    with pytest.raises(SourceFormatError, match="right: no name"):
        entity_from_ftm({"schema": "Person", "properties": {}}, where="right")


def test_unscreened_schema_is_refused() -> None:
    with pytest.raises(SourceFormatError, match="schema 'Address' is not screened"):
        entity_from_ftm({"schema": "Address", "properties": {"full": ["x"]}})


def test_schema_and_identifier_helpers_follow_the_parser() -> None:
    assert ftm_schema("Airplane") is Schema.AIRCRAFT
    assert ftm_schema("Sanction") is None
    ids = ftm_identifiers(Schema.PERSON, {"idNumber": ["A1"], "imoNumber": ["9999"]})
    assert [(i.scheme, i.value) for i in ids] == [
        (IdScheme.NATIONAL_ID, "A1"),
        (IdScheme.IMO, "9999"),
    ]
