"""Scoring: features with evidence, one weight table, the alert decision."""

from clearance.match.features import Lexicon, align
from clearance.match.scoring import (
    FEATURES,
    ListedName,
    Weights,
    default_weights,
    score_entity,
)
from clearance.match.types import Evidence, Hit, Query

__all__ = [
    "FEATURES",
    "Evidence",
    "Hit",
    "Lexicon",
    "ListedName",
    "Query",
    "Weights",
    "align",
    "default_weights",
    "score_entity",
]
