-- kairos memory, schema version 1. Later changes are small migrations in
-- migrations.py; this file is never edited after release.

-- What each file looked like the last time we read it.
CREATE TABLE IF NOT EXISTS files (
    path         TEXT PRIMARY KEY,      -- workspace-relative, '/'-separated
    language     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    observed_at  TEXT NOT NULL
);

-- Where each symbol that exists now is. Mutable on purpose: line numbers move
-- with every edit above a symbol and are not worth an observation each time.
CREATE TABLE IF NOT EXISTS symbols (
    key           TEXT PRIMARY KEY,     -- language:path:Qual.name ("language:path" for a module)
    path          TEXT NOT NULL,
    language      TEXT NOT NULL,
    qualname      TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    start_line    INTEGER NOT NULL,     -- tree-sitter points: row, UTF-8 byte column
    start_col     INTEGER NOT NULL,
    end_line      INTEGER NOT NULL,
    end_col       INTEGER NOT NULL,
    name_line     INTEGER NOT NULL,
    name_col      INTEGER NOT NULL,
    name_end_col  INTEGER NOT NULL,
    body_hash     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS symbols_path ON symbols(path);
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name);

-- Each time a source looked at a file: which content it saw, and when.
CREATE TABLE IF NOT EXISTS versions (
    id           INTEGER PRIMARY KEY,
    path         TEXT NOT NULL,
    content_hash TEXT,                  -- NULL: the file was gone
    source       TEXT NOT NULL,         -- parse | edit | terminal | daemon | llm | user
    observed_at  TEXT NOT NULL          -- ISO 8601 UTC
);

-- The append-only log: what one look saw about one subject. A row with
-- negated = 1 says the look saw that the thing no longer holds.
CREATE TABLE IF NOT EXISTS observations (
    id          INTEGER PRIMARY KEY,
    subject     TEXT NOT NULL,
    predicate   TEXT NOT NULL,
    object      TEXT NOT NULL,
    negated     INTEGER NOT NULL DEFAULT 0,
    version_id  INTEGER NOT NULL REFERENCES versions(id)
);
CREATE INDEX IF NOT EXISTS observations_subject ON observations(subject, predicate);

-- Which observations the latest look at each file still stands behind.
CREATE TABLE IF NOT EXISTS current (
    path           TEXT NOT NULL,
    observation_id INTEGER NOT NULL,
    PRIMARY KEY (path, observation_id)
) WITHOUT ROWID;

