-- Clearance audit trail: append-only and hash-chained. Each row carries the hash of the row
-- before it; ``hash`` is SHA-256 over ``prev_hash`` and the canonical JSON of the row's
-- fields (clearance.store.audit), so an edited or deleted row breaks the chain.
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,                 -- ISO 8601 UTC
    event TEXT NOT NULL,              -- screening | batch | monitor_run | disposition | import ...
    actor TEXT NOT NULL,              -- local user name or "api-key:<id>"
    payload TEXT NOT NULL,            -- canonical JSON (sorted keys, no spaces)
    prev_hash TEXT NOT NULL,          -- hash of the previous row ("" for the first)
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
