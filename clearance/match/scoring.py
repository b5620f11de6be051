"""Candidate generation, feature scoring and the alert decision, with evidence.

The score is a logistic model over the features of ``features.py``:
``p = 1 / (1 + exp(-(bias + sum(weight * value))))``. The weights and the alert threshold
are in ``weights.yml`` (one table, trained on the development split of the benchmark by
``bench/train.py``); a caller may pass another threshold per call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from operator import mul
from typing import Protocol

import yaml

from clearance.match.features import (
    Lexicon,
    NameFeatures,
    birth_date_features,
    code_like,
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
    "org_added_word",
    # (the features above come from the name; those below from the rest of the record)
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


MAX_CODE = 12  # letters in a query compared with an aircraft's registration as one word
NAME_FEATURES = FEATURES[: FEATURES.index("person")]
RECORD_FEATURES = FEATURES[len(NAME_FEATURES) :]


@dataclass(frozen=True, slots=True)
class Weights:
    bias: float
    threshold: float
    weights: dict[str, float]
    # the weights of NAME_FEATURES in order (each listed name's log-odds is one dot
    # product: the hot loop of screening)
    name_vector: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        vector = tuple(self.weights.get(k, 0.0) for k in NAME_FEATURES)
        object.__setattr__(self, "name_vector", vector)


@cache
def default_weights() -> Weights:
    text = resources.files("clearance.match").joinpath("weights.yml").read_text()
    data = yaml.safe_load(text)
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    missing = set(FEATURES) - set(weights)
    if missing:
        raise ValueError(f"weights.yml lacks {sorted(missing)}")
    return Weights(float(data["bias"]), float(data["threshold"]), weights)


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
    vector = weights.name_vector
    places = lexicon.places if person == 0.0 else frozenset()
    # registrations and call signs are compared letter by letter as a whole: an
    # aircraft's against any short query ("E-PGOOX" for "EP-GOX"), a vessel's against a
    # query that is a code too
    codes = (
        entity.schema is Schema.AIRCRAFT and sum(map(len, tokens)) <= MAX_CODE
    ) or (entity.schema is Schema.VESSEL and code_like(tokens))
    best: tuple[float, tuple[float, ...], NameFeatures, str] | None = None
    for listed in names:
        nf = name_features(lexicon, tokens, listed.tokens, listed.kind, codes, places)
        # in NAME_FEATURES order. Persons' names gain and lose middle names and
        # patronymics between documents, while a company with an extra distinctive
        # word is another company (the person_* features); a registration or call
        # sign misspelt is still that code, its letters as a whole being the evidence
        # ("ELP--IBS" for "EP-IBS": code_similarity); org_added_word below
        row = (
            nf.name_exact,
            nf.query_coverage,
            nf.name_coverage,
            nf.query_coverage * nf.name_coverage,
            nf.distinctive,
            nf.single_token,
            nf.weak_alias,
            nf.word_similarity,
            nf.joined_similarity,
            nf.unmatched_query,
            nf.unmatched_name,
            nf.unmatched_both,
            nf.subset,
            nf.core_query_coverage,
            nf.core_name_coverage,
            nf.unmatched_name * person,
            nf.unmatched_query * person,
            nf.name_coverage * person,
            nf.joined_similarity * nf.code_like * (1.0 - person),
            # every word of a firm's listed name found, and a rare one more in the
            # query: "BEH TAM VERTEX" is another firm than listed "BEH TAM COMPANY"
            nf.unmatched_query * nf.name_found * (1.0 - person),
        )
        z = sum(map(mul, vector, row))
        if best is None or z > best[0]:
            best = (z, row, nf, listed.text)
    values = {k: 0.0 for k in FEATURES}
    evidence: list[Evidence] = []
    matched_name: str | None = None
    if best is not None and len(tokens) > 0:
        values.update(zip(NAME_FEATURES, best[1], strict=True))
        matched_name = best[3]
        evidence.append(
            Evidence(
                "name",
                best[0],
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
    z = weights.bias + (
        best[0] if matched_name is not None and best is not None else 0.0
    )
    z += sum(weights.weights[k] * values[k] for k in RECORD_FEATURES)
    return _probability(z), values, evidence, matched_name
