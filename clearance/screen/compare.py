"""Pairs of FollowTheMoney entities, scored with the screening features and weights.

The left entity of a pair becomes a ``Query`` (what a user would type: one name, a schema,
a country, a birth date, an identifier) and the right one an ``Entity`` (what a list
states: all its names and identifiers); ``score_entity`` then scores the two exactly as
screening scores a candidate. Word rarity comes from a ``Lexicon``: the store's index when
there is one, else ``NeutralLexicon``, under which every word counts the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from clearance.errors import ClearanceError, InvalidQuery, SourceFormatError
from clearance.index import MatchIndex
from clearance.match import Hit, Lexicon, Query, Weights, default_weights, score_entity
from clearance.model import Entity, Schema, identifier_key, parse_partial_date
from clearance.normalize import country_code
from clearance.screen.batch import evidence_json
from clearance.screen.single import query_tokens
from clearance.sources import entity_from_ftm, ftm_identifiers, ftm_schema

_NAME_PARTS = ("firstName", "middleName", "lastName")
_COUNTRY_PROPS = ("country", "nationality", "citizenship")
# FtM's LegalEntity is "person or organisation, unknown": as a query it names no schema
_UNKNOWN_SCHEMAS = frozenset({"LegalEntity"})


@dataclass(slots=True)
class NeutralLexicon:
    """Every word equally rare: the ``Lexicon`` for comparing pairs without a store."""

    max_idf: float = 1.0
    generic_idf: float = 0.0  # no word is generic: a word's whole weight is its core
    places: frozenset[str] = frozenset()  # no gazetteer without the lists' addresses

    def token_idf(self, token: str) -> float:
        return 1.0


@dataclass(frozen=True, slots=True)
class PairResult:
    line: int  # 1-based line number in the pairs file
    key: str | int | None  # the pair's own id, as given
    hit: Hit | None  # None when the line was unusable
    error: str | None = None


def _values(properties: Mapping[str, object], key: str) -> list[str]:
    values = properties.get(key)
    if not isinstance(values, list):
        return []
    return [v.strip() for v in values if isinstance(v, str) and len(v.strip()) > 0]


def query_from_ftm(
    data: Mapping[str, object], known_identifiers: frozenset[str] = frozenset()
) -> Query:
    """The query a user would make for one FtM entity.

    Args:
        data: the decoded FtM entity (``schema``, ``properties``).
        known_identifiers: identifier keys of the other side; the query's identifier is
            the first of the entity's identifiers among them, else its first identifier.

    Raises:
        InvalidQuery: the entity has no ``name`` and no ``firstName``/``lastName``.
    """
    raw_properties = data.get("properties")
    properties: Mapping[str, object] = (
        raw_properties if isinstance(raw_properties, dict) else {}
    )
    schema_name = data.get("schema")
    schema = None
    if isinstance(schema_name, str) and schema_name not in _UNKNOWN_SCHEMAS:
        schema = ftm_schema(schema_name)
    names = _values(properties, "name")
    if len(names) > 0:
        name = names[0]
    else:
        parts = [next(iter(_values(properties, key)), "") for key in _NAME_PARTS]
        name = " ".join(p for p in parts if len(p) > 0)
    if len(name) == 0:
        raise InvalidQuery("left", "no name (name, or firstName and lastName)")
    countries = [
        code
        for key in _COUNTRY_PROPS
        for value in _values(properties, key)
        if (code := country_code(value)) is not None
    ]
    births = [
        date
        for value in _values(properties, "birthDate")
        if (date := parse_partial_date(value)) is not None
    ]
    identifiers = [
        i.value
        for i in ftm_identifiers(schema or Schema.ORGANIZATION, properties)
        if len(identifier_key(i.value)) > 0
    ]
    shared = [v for v in identifiers if identifier_key(v) in known_identifiers]
    chosen = next(iter(shared or identifiers), None)
    return Query(
        name=name,
        schema=schema,
        country=countries[0] if len(countries) > 0 else None,
        birth_date=births[0] if len(births) > 0 else None,
        identifier=chosen,
    )


def compare(
    lexicon: Lexicon,
    query: Query,
    entity: Entity,
    *,
    threshold: float | None = None,
    weights: Weights | None = None,
) -> Hit:
    """Score ``entity`` as a hit for ``query``, on all its names, as screening would."""
    w = weights or default_weights()
    cut = w.threshold if threshold is None else threshold
    # a one-entity index: the entity's names and identifiers keyed as screening keys them
    own = MatchIndex.build([entity], entity.id)
    id_matched = None
    for raw in (query.identifier, query.name):
        if raw and identifier_key(raw) in own.identifiers:
            id_matched = identifier_key(raw)
    q_tokens = query_tokens(own, query)
    names = [own.names[i] for i in own.entity_names[0]]
    p, _, evidence, matched = score_entity(
        lexicon, query, entity, names, q_tokens, id_matched, w
    )
    return Hit(entity, p, p >= cut, matched, tuple(evidence))


def _key(value: object) -> str | int | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return json.dumps(value)


def _pair(
    lexicon: Lexicon,
    obj: Mapping[str, object],
    threshold: float | None,
    weights: Weights | None,
) -> Hit:
    left, right = obj.get("left"), obj.get("right")
    if not isinstance(left, dict):
        raise InvalidQuery("left", "missing, or not a JSON object")
    if not isinstance(right, dict):
        raise InvalidQuery("right", "missing, or not a JSON object")
    entity = entity_from_ftm(right, where="right")
    own_ids = frozenset(identifier_key(i.value) for i in entity.identifiers)
    query = query_from_ftm(left, own_ids)
    return compare(lexicon, query, entity, threshold=threshold, weights=weights)


def compare_pairs(
    lexicon: Lexicon,
    lines: Iterable[str | bytes],
    *,
    threshold: float | None = None,
    weights: Weights | None = None,
) -> Iterator[PairResult]:
    """Score each line ``{"id": ..., "left": <FtM entity>, "right": <FtM entity>}``.

    A bad line (not JSON, no ``left`` or ``right``, a side without a name or of a schema
    that is not screened) yields a result with ``error`` set, and the run goes on; blank
    lines are skipped.
    """
    for number, line in enumerate(lines, start=1):
        if len(line.strip()) == 0:
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
            yield PairResult(number, None, None, f"not JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            yield PairResult(number, None, None, "not a JSON object")
            continue
        key = _key(obj.get("id"))
        try:
            hit = _pair(lexicon, obj, threshold, weights)
        except SourceFormatError as exc:
            yield PairResult(number, key, None, f"{exc.where}: {exc.reason}")
        except ClearanceError as exc:
            yield PairResult(number, key, None, str(exc))
        else:
            yield PairResult(number, key, hit)


def pair_json(result: PairResult) -> dict[str, Any]:
    """One output line: ``{"id", "score", "match", "evidence"}``, or ``{"id", "line",
    "error"}`` for an unusable line."""
    if result.hit is None:
        return {"id": result.key, "line": result.line, "error": result.error}
    return {
        "id": result.key,
        "score": round(result.hit.score, 4),
        "match": result.hit.match,
        "evidence": [evidence_json(e) for e in result.hit.evidence],
    }
