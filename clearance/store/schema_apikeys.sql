-- API keys of the HTTP API. Only a SHA-256 of each secret is kept; the secret is shown once.
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY,
    prefix TEXT NOT NULL UNIQUE,      -- the key's public part, e.g. "clr_3f9a1c2b", for lookup
    hash TEXT NOT NULL,               -- hex SHA-256 of the whole key
    name TEXT NOT NULL,               -- who or what holds it
    role TEXT NOT NULL,               -- reader | analyst | admin
    created_at TEXT NOT NULL,
    revoked_at TEXT                   -- set once; a revoked key never works again
);
