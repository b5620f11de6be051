-- Clearance monitoring: watch sets, their parties, known hits, alerts, dispositions and the
-- webhook outbox. Alerts and dispositions are append-only; a changed disposition is a new row.
CREATE TABLE IF NOT EXISTS watch_sets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
-- One watched party; ``active`` 0 once removed (its alerts stay).
CREATE TABLE IF NOT EXISTS watch_parties (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL REFERENCES watch_sets (id),
    ref TEXT NOT NULL,                -- the user's own reference id
    name TEXT NOT NULL,
    schema TEXT,
    country TEXT,
    birth_date TEXT,
    identifier TEXT,
    active INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (set_id, ref)
);
-- Every added, changed or removed party, in order: the id is the change sequence number.
CREATE TABLE IF NOT EXISTS watch_changes (
    id INTEGER PRIMARY KEY,
    party_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
-- Lookup keys of the watched parties' names and identifiers (reverse screening).
CREATE TABLE IF NOT EXISTS watch_keys (
    key TEXT NOT NULL,
    party_id INTEGER NOT NULL,
    PRIMARY KEY (key, party_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS watch_keys_party ON watch_keys (party_id);
-- What the last monitoring run knew about each (party, listed entity) pair with a hit.
CREATE TABLE IF NOT EXISTS watch_hits (
    party_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    record_hash TEXT NOT NULL,        -- content hash of the listed entity as screened
    score REAL NOT NULL,
    matched INTEGER NOT NULL,         -- 1 when the score reached the alert threshold
    listed INTEGER NOT NULL,          -- 0 once the entity left every list
    version_id INTEGER,               -- list version current when last screened
    record TEXT NOT NULL,             -- the listed entity as last screened (codec JSON)
    PRIMARY KEY (party_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS watch_hits_entity ON watch_hits (entity_id);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    run_id INTEGER,
    set_id INTEGER NOT NULL,
    party_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    kind TEXT NOT NULL,               -- new_match | delisted | legal_effect_changed | ...
    source TEXT,
    version_id INTEGER,               -- the list version that caused it
    score REAL NOT NULL,
    matched_name TEXT,
    record_hash TEXT NOT NULL,
    record TEXT NOT NULL,             -- the listed entity as alerted (codec JSON)
    detail TEXT NOT NULL              -- JSON: what changed, evidence
);
CREATE INDEX IF NOT EXISTS alerts_pair ON alerts (party_id, entity_id);
CREATE TABLE IF NOT EXISTS dispositions (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    party_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    decision TEXT NOT NULL,           -- true_match | false_positive | needs_review
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    at TEXT NOT NULL,
    record_hash TEXT NOT NULL,        -- the listed record the decision was made on
    supersedes INTEGER                -- the previous disposition of the pair, kept
);
CREATE INDEX IF NOT EXISTS dispositions_pair ON dispositions (party_id, entity_id);
CREATE TABLE IF NOT EXISTS monitor_runs (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    started_by TEXT NOT NULL,         -- run | update (what started it)
    versions TEXT NOT NULL,           -- JSON {source: version id} screened against
    work TEXT NOT NULL,               -- JSON work counters
    alerts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_state (
    key TEXT PRIMARY KEY,             -- "version:<source>", "party_seq"
    value TEXT NOT NULL
);
-- Webhook notifications, written with the alerts and drained after the commit.
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL,               -- the JSON posted
    attempts INTEGER NOT NULL,
    delivered_at TEXT,
    last_error TEXT,
    next_attempt_at TEXT NOT NULL
);
