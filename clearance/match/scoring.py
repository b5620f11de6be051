"""Candidate generation, feature scoring and the alert decision, with evidence.

The score is a logistic model over the features of ``features.py``:
``p = 1 / (1 + exp(-(bias + sum(weight * value))))``. The weights and the alert threshold
are in ``weights.yml`` (one table, trained on the development split of the benchmark by
``bench/train.py``); a caller may pass another threshold per call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

import yaml

from clearance.match.features import (
    Lexicon,
    NameFeatures,
    birth_date_features,
    country_features,
    name_features,
    schema_conflict,
)
from clearance.match.types import Evidence, Query
from clearance.model import Entity, NameKind, Schema, identifier_key

FEATURES = (
    "name_exact",
    "query_coverage",
    "name_coverage",
    "both_coverage",
    "distinctive",
    "single_token",
    "weak_alias",
    "word_similarity",
    "joined_similarity",
    "unmatched_query",
    "unmatched_name",
    "unmatched_both",
    "subset",
    "core_query_coverage",
    "core_name_coverage",
    "person_unmatched_name",
    "person_unmatched_query",
    "person_name_coverage",
    "code_similarity",
    "person",
    "identifier_match",
    "birth_date_match",
    "birth_date_conflict",
    "country_match",
    "country_conflict",
    "schema_conflict",
)


class ListedName(Protocol):
    """A listed name with its canonical words (the index's ``IndexedName``)."""

    @property
    def kind(self) -> NameKind: ...
    @property
    def text(self) -> str: ...
    @property
    def tokens(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Weights:
    bias: float
    threshold: float
    weights: dict[str, float]


@cache
def default_weights() -> Weights:
    text = resources.files("clearance.match").joinpath("weights.yml").read_text()
    data = yaml.safe_load(text)
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    missing = set(FEATURES) - set(weights)
    if missing:
        raise ValueError(f"weights.yml lacks {sorted(missing)}")
    return Weights(float(data["bias"]), float(data["threshold"]), weights)


def _logit(weights: Weights, values: dict[str, float]) -> float:
    return weights.bias + sum(weights.weights[k] * v for k, v in values.items())


def _probability(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def score_entity(
    lexicon: Lexicon,
    query: Query,
    entity: Entity,
    names: Sequence[ListedName],
    q_tokens: dict[bool, tuple[str, ...]],
    id_matched: str | None,
    weights: Weights,
) -> tuple[float, dict[str, float], list[Evidence], str | None]:
    """The best-scoring name of ``entity`` for the query, with its features and evidence."""
    tokens = q_tokens[entity.schema is not Schema.PERSON]
    person = 1.0 if entity.schema is Schema.PERSON else 0.0
    best: tuple[float, dict[str, float], NameFeatures, str | None] | None = None
    for listed in names:
        nf = name_features(lexicon, tokens, listed.tokens, listed.kind)
        values = {
            "name_exact": nf.name_exact,
            "query_coverage": nf.query_coverage,
            "name_coverage": nf.name_coverage,
            "both_coverage": nf.query_coverage * nf.name_coverage,
            "distinctive": nf.distinctive,
            "single_token": nf.single_token,
            "weak_alias": nf.weak_alias,
            "word_similarity": nf.word_similarity,
            "joined_similarity": nf.joined_similarity,
            "unmatched_query": nf.unmatched_query,
            "unmatched_name": nf.unmatched_name,
            "unmatched_both": nf.unmatched_both,
            "subset": nf.subset,
            "core_query_coverage": nf.core_query_coverage,
            "core_name_coverage": nf.core_name_coverage,
            # persons' names gain and lose middle names and patronymics between
            # documents; a company with an extra distinctive word is another company
            "person_unmatched_name": nf.unmatched_name * person,
            "person_unmatched_query": nf.unmatched_query * person,
            "person_name_coverage": nf.name_coverage * person,
            # a registration or call sign misspelt is still that code: its letters as
            # a whole are the evidence ("ELP--IBS" for "EP-IBS")
            "code_similarity": nf.joined_similarity * nf.code_like * (1.0 - person),
        }
        z = _logit(weights, values)
        if best is None or z > best[0]:
            best = (z, values, nf, listed.text)
    values = {k: 0.0 for k in FEATURES}
    evidence: list[Evidence] = []
    matched_name: str | None = None
    if best is not None and len(tokens) > 0:
        values.update(best[1])
        matched_name = best[3]
        evidence.append(
            Evidence(
                "name",
                sum(weights.weights[k] * v for k, v in best[1].items()),
                query.name,
                best[3],
                best[2].detail,
            )
        )
    values["person"] = 1.0 if entity.schema is Schema.PERSON else 0.0
    if id_matched is not None:
        values["identifier_match"] = 1.0
        listed_ids = [
            i for i in entity.identifiers if identifier_key(i.value) == id_matched
        ]
        shown = listed_ids[0] if listed_ids else None
        evidence.append(
            Evidence(
                "identifier_match",
                weights.weights["identifier_match"],
                query.identifier or query.name,
                None if shown is None else shown.value,
                None if shown is None else f"same {shown.label or shown.scheme.value}",
            )
        )
    match, conflict, detail = birth_date_features(query.birth_date, entity)
    values["birth_date_match"], values["birth_date_conflict"] = match, conflict
    if detail:
        feature = "birth_date_match" if match > 0 else "birth_date_conflict"
        evidence.append(
            Evidence(
                feature,
                weights.weights[feature] * max(match, conflict),
                None if query.birth_date is None else str(query.birth_date),
                None,
                detail,
            )
        )
    match, conflict, detail = country_features(query.country, entity)
    values["country_match"], values["country_conflict"] = match, conflict
    if detail:
        feature = "country_match" if match > 0 else "country_conflict"
        evidence.append(
            Evidence(feature, weights.weights[feature], query.country, None, detail)
        )
    values["schema_conflict"] = schema_conflict(query.schema, entity)
    if values["schema_conflict"] > 0:
        evidence.append(
            Evidence(
                "schema_conflict",
                weights.weights["schema_conflict"],
                None if query.schema is None else query.schema.value,
                entity.schema.value,
                "person against organisation",
            )
        )
    return _probability(_logit(weights, values)), values, evidence, matched_name
