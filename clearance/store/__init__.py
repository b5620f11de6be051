"""The versioned, append-only store: the only place with SQL."""

from clearance.store.core import ImportResult, Store, VersionMeta, View, Writer
from clearance.store.history import (
    Diff,
    EntityChange,
    FieldChange,
    HistoryEvent,
    compare_records,
    diff_versions,
    entity_history,
)

__all__ = [
    "Diff",
    "EntityChange",
    "FieldChange",
    "HistoryEvent",
    "ImportResult",
    "Store",
    "VersionMeta",
    "View",
    "Writer",
    "compare_records",
    "diff_versions",
    "entity_history",
]
