"""Continuous monitoring: watch sets re-screened incrementally after every list update,
alerts with dispositions that stick, webhook and digest notification, audited screening
and its replay."""

from clearance.monitor.audit import (
    Replay,
    file_digest,
    query_json,
    record_batch,
    record_screening,
    replay,
    results_of,
)
from clearance.monitor.notify import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    Delivery,
    deliver,
    digest_text,
    sign,
    verify_signature,
)
from clearance.monitor.parties import (
    entity_keys,
    party_fields,
    party_keys,
    party_query,
    read_party_rows,
)
from clearance.monitor.run import RunReport, alert_json, run_monitor
from clearance.monitor.service import (
    add_party,
    create_watch_set,
    dispose_alert,
    import_parties,
    list_alerts,
    remove_party,
)

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "Delivery",
    "Replay",
    "RunReport",
    "add_party",
    "alert_json",
    "create_watch_set",
    "deliver",
    "digest_text",
    "dispose_alert",
    "entity_keys",
    "file_digest",
    "import_parties",
    "list_alerts",
    "party_fields",
    "party_keys",
    "party_query",
    "query_json",
    "read_party_rows",
    "record_batch",
    "record_screening",
    "remove_party",
    "replay",
    "results_of",
    "run_monitor",
    "sign",
    "verify_signature",
]
