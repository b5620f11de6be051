-- Clearance store, schema version 1. Append-only: rows are inserted, never updated in place.
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per list version (one retrieved snapshot of a source file).
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    published TEXT NOT NULL,          -- ISO date; versions are ordered by (published, id)
    published_from TEXT NOT NULL,     -- file | filename | user | retrieved
    retrieved_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    origin TEXT NOT NULL,
    entity_count INTEGER NOT NULL,
    issue_count INTEGER NOT NULL,
    issues TEXT NOT NULL,             -- JSON list of the first issues of the parse report
    lacks TEXT NOT NULL DEFAULT '[]', -- JSON list of fields the file cannot carry
    UNIQUE (source, sha256)
);
CREATE INDEX IF NOT EXISTS versions_source ON versions (source, published, id);
-- Entity records, content-addressed: a record unchanged across versions is stored once.
CREATE TABLE IF NOT EXISTS records (
    hash TEXT PRIMARY KEY,
    entity_id TEXT NOT NULL,
    data TEXT NOT NULL                -- canonical JSON (clearance.model.entity_json)
) WITHOUT ROWID;
-- Which record each entity had in each version.
CREATE TABLE IF NOT EXISTS members (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    entity_id TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES records (hash),
    PRIMARY KEY (version_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_entity ON members (entity_id, version_id);
-- Lookup keys of each record: normalised names, name tokens, identifiers.
CREATE TABLE IF NOT EXISTS keys (
    key TEXT NOT NULL,                -- "n:<name>", "t:<token>", "i:<scheme>:<value>", "v:<value>"
    hash TEXT NOT NULL,
    PRIMARY KEY (key, hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_hash ON keys (hash);
-- Audit trail of state changes (imports, refusals, failures).
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    source TEXT,
    version_id INTEGER,
    detail TEXT NOT NULL
);
