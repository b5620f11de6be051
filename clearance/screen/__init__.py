"""Screening services: single queries and streaming batches over the store's index."""

from clearance.screen.batch import (
    RowResult,
    read_csv_rows,
    result_json,
    row_query,
    screen_rows,
)
from clearance.screen.single import Screener, feature_rows, load_index, screen, view_key

__all__ = [
    "RowResult",
    "Screener",
    "feature_rows",
    "load_index",
    "read_csv_rows",
    "result_json",
    "row_query",
    "screen",
    "screen_rows",
    "view_key",
]
