"""The versioned, append-only store: the only place with SQL."""

from clearance.store.apikeys import (
    ApiKey,
    Role,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    verify_api_key,
)
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
    "ApiKey",
    "Diff",
    "EntityChange",
    "FieldChange",
    "HistoryEvent",
    "ImportResult",
    "Role",
    "Store",
    "VersionMeta",
    "View",
    "Writer",
    "compare_records",
    "create_api_key",
    "diff_versions",
    "entity_history",
    "list_api_keys",
    "revoke_api_key",
    "verify_api_key",
]
