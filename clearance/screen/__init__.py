"""Screening services: single queries, streaming batches and pairwise comparison over the
store's index."""

from clearance.screen.batch import (
    BadRow,
    Row,
    RowResult,
    evidence_json,
    read_csv_rows,
    result_json,
    row_query,
    screen_rows,
)
from clearance.screen.compare import (
    NeutralLexicon,
    PairResult,
    compare,
    compare_pairs,
    pair_json,
    query_from_ftm,
)
from clearance.screen.single import (
    Screener,
    feature_rows,
    load_index,
    query_tokens,
    screen,
    view_key,
)

__all__ = [
    "BadRow",
    "NeutralLexicon",
    "PairResult",
    "Row",
    "RowResult",
    "Screener",
    "compare",
    "compare_pairs",
    "evidence_json",
    "feature_rows",
    "load_index",
    "pair_json",
    "query_from_ftm",
    "query_tokens",
    "read_csv_rows",
    "result_json",
    "row_query",
    "screen",
    "screen_rows",
    "view_key",
]
