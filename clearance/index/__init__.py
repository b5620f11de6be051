"""Candidate generation over normalised keys, and the index's on-disk form."""

from clearance.index.core import (
    INDEX_FORMAT,
    MAX_CANDIDATES,
    IndexedName,
    MatchIndex,
    candidates,
    fuzzy_vocab,
    is_organisation,
    one_deletes,
    trigrams,
)

__all__ = [
    "INDEX_FORMAT",
    "MAX_CANDIDATES",
    "IndexedName",
    "MatchIndex",
    "candidates",
    "fuzzy_vocab",
    "is_organisation",
    "one_deletes",
    "trigrams",
]
