"""Pairs of FollowTheMoney entities scored with the screening features (synthetic pairs)."""

from __future__ import annotations

import json
from typing import Any

from clearance.model import PartialDate, Schema
from clearance.screen import NeutralLexicon, compare_pairs, pair_json, query_from_ftm


def _person(name: str, **props: list[str]) -> dict[str, Any]:
    return {"id": name, "schema": "Person", "properties": {"name": [name], **props}}


def _company(name: str, **props: list[str]) -> dict[str, Any]:
    return {"id": name, "schema": "Company", "properties": {"name": [name], **props}}


def _line(key: str, left: dict[str, Any], right: dict[str, Any]) -> str:
    return json.dumps({"id": key, "left": left, "right": right})


def _scores(*lines: str) -> list[dict[str, Any]]:
    return [pair_json(r) for r in compare_pairs(NeutralLexicon(), lines)]


def test_same_person_with_a_typo_matches() -> None:
    # synthetic: one letter changed in the surname, same birth date and nationality
    left = _person(
        "Rustam Gasanovich Kurbanov", birthDate=["1971-03-05"], nationality=["ru"]
    )
    right = _person(
        "KURBANOW, Rustam Gasanovich", birthDate=["1971-03-05"], country=["Russia"]
    )
    (out,) = _scores(_line("p1", left, right))
    assert out["id"] == "p1"
    assert out["match"] is True
    assert out["evidence"][0]["feature"] == "name"
    assert "birth_date_match" in {e["feature"] for e in out["evidence"]}


def test_different_people_do_not_match() -> None:
    left = _person("John Smith", birthDate=["1970"])
    right = _person("Maria Gonzalez Ortega", birthDate=["1985-02-03"])
    (out,) = _scores(_line("p2", left, right))
    assert out["match"] is False
    assert out["score"] < 0.1


def test_company_pair_with_equal_isin_matches() -> None:
    left = _company("Hikvision", isinCode=["CNE100000PM8"])
    right = _company(
        "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", isinCode=["CNE 100000 PM8"]
    )
    (out,) = _scores(_line("c1", left, right))
    assert out["match"] is True
    evidence = {e["feature"]: e for e in out["evidence"]}
    assert evidence["identifier_match"]["list_value"] == "CNE 100000 PM8"


def test_bad_lines_yield_error_lines_and_the_run_goes_on() -> None:
    good = _line("ok", _person("Ali Hassan"), _person("Ali Hassan"))
    no_name = _line("anon", {"schema": "Person", "properties": {}}, _person("Ali"))
    no_right = json.dumps({"id": "half", "left": _person("Ali")})
    out = _scores('{"id": "cut", "left": {', no_name, "", no_right, good)
    assert [o["id"] for o in out] == [None, "anon", "half", "ok"]
    assert [o.get("line") for o in out] == [1, 2, 4, None]
    assert out[0]["error"].startswith("not JSON")
    assert out[1]["error"] == "left: no name (name, or firstName and lastName)"
    assert out[2]["error"] == "right: missing, or not a JSON object"
    assert out[3]["match"] is True and "error" not in out[3]


def test_right_side_of_an_unscreened_schema_is_an_error() -> None:
    right = {"id": "s", "schema": "Sanction", "properties": {"program": ["SDGT"]}}
    (out,) = _scores(_line("s1", _person("Ali"), right))
    assert out["error"] == "right: schema 'Sanction' is not screened"


def test_query_takes_name_parts_country_and_birth_date() -> None:
    left = {
        "schema": "Person",
        "properties": {
            "firstName": ["Igor"],
            "lastName": ["Sechin"],
            "citizenship": ["Russian Federation"],
            "birthDate": ["1960-09", "1961"],
            "passportNumber": ["1234567"],
        },
    }
    query = query_from_ftm(left)
    assert query.name == "Igor Sechin"
    assert query.schema is Schema.PERSON
    assert query.country == "ru"
    assert query.birth_date == PartialDate(1960, 9)
    assert query.identifier == "1234567"


def test_query_prefers_the_identifier_the_other_side_shares() -> None:
    left = _company(
        "Acme", registrationNumber=["R-1"], leiCode=["5493001KJTIIGC8Y1R12"]
    )
    query = query_from_ftm(left, frozenset({"5493001KJTIIGC8Y1R12"}))
    assert query.identifier == "5493001KJTIIGC8Y1R12"


def test_legal_entity_query_names_no_schema() -> None:
    left = {"schema": "LegalEntity", "properties": {"name": ["Acme"]}}
    assert query_from_ftm(left).schema is None
