"""Forward-only schema migrations, applied in order when a store opens.

Version 1 is ``schema.sql``; each later version is one small function here.
``PRAGMA user_version`` mirrors the number applied, so a store written by a
newer kairos is refused instead of misread.
"""

from __future__ import annotations

import importlib.resources
import re
import sqlite3
from datetime import datetime, timezone

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from kairos_lsp.keys import module_path

migrations = Migrations("kairos")
INDEX_LATER = "index later: "  # a mark per index a first scan builds when it ends (value: its SQL)


@migrations()
def m001_initial(db: Database) -> None:
    schema = importlib.resources.files(__package__).joinpath("schema.sql").read_text()
    for statement in _statements(schema):  # executescript would commit mid-migration
        db.execute(statement)


@migrations()
def m002_files_has_errors(db: Database) -> None:
    # Files that only parsed with errors are worth a second look when they change.
    db.execute("ALTER TABLE files ADD COLUMN has_errors INTEGER NOT NULL DEFAULT 0")


@migrations()
def m003_versions_by_path(db: Database) -> None:
    # "What did this file look like before" must not scan every version.
    db.execute("CREATE INDEX IF NOT EXISTS versions_path ON versions(path, id)")


@migrations()
def m004_facts(db: Database) -> None:
    # The dream engine's consolidated beliefs; see kairos_lsp/dream/.
    for statement in _statements(_FACTS_SQL):
        db.execute(statement)


# The last name of a callee (``join`` in ``os.path.join``): rtrim strips the
# trailing identifier, so what follows the rest is that name. "Who calls X" is
# then an index lookup; queries must repeat CALLEE_NAME word for word.
# (``#``: a JavaScript private name is ``#dispatch``, as its method is named; since schema 38.)
IDENTIFIER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$#"
CALLEE_NAME = f"substr(object, length(rtrim(object, '{IDENTIFIER_CHARS}')) + 1)"


IMPORTED_NAME = "json_extract(object, '$.name')"
IMPORTED_ALIAS = "json_extract(object, '$.alias')"  # (in the imported-name index since schema 30)


@migrations()
def m005_callee_index(db: Database) -> None:
    db.execute(
        f"CREATE INDEX IF NOT EXISTS observations_callee ON observations({CALLEE_NAME}) WHERE predicate = 'calls'"
    )
    # "Under which aliases is X imported" (``from m import X as y``), for its callers.
    db.execute(
        f"CREATE INDEX IF NOT EXISTS observations_imported ON observations({IMPORTED_NAME}) WHERE predicate = 'imports'"
    )
    # Captured test outcomes are few among many observations: find them without a scan.
    db.execute(
        "CREATE INDEX IF NOT EXISTS observations_outcomes ON observations(subject, id) "
        "WHERE predicate IN ('test_failed', 'test_passed')"
    )


@migrations()
def m006_observed_facts(db: Database) -> None:
    # An observed fact asserts exactly what its first observation says, seen when
    # that observation's version was: keep only what can change about it (status,
    # confidence, ...) in a lean table keyed by that observation, and show both
    # kinds of facts through the ``facts`` view, as before.
    for statement in _statements(_OBSERVED_FACTS_SQL):
        db.execute(statement)


_FACTS_SQL = """
-- One belief about (subject, predicate, object). Never deleted: a belief that
-- stops holding gets valid_to and status superseded (a newer value replaced
-- it, see superseded_by) or retracted (the code no longer says it, the
-- symbol is gone, or the user rejected it).
CREATE TABLE facts (
    id                INTEGER PRIMARY KEY,
    subject           TEXT NOT NULL,
    predicate         TEXT NOT NULL,
    object            TEXT NOT NULL,
    origin            TEXT NOT NULL,     -- observed | insight | link | summary | user
    status            TEXT NOT NULL
                      CHECK (status IN ('tentative', 'firm', 'superseded', 'retracted')),
    confidence        REAL NOT NULL,     -- noisy-OR of the independent sources, 0..1
    evidence_count    INTEGER NOT NULL,  -- supporting observations linked so far
    valid_from        TEXT NOT NULL,     -- observed_at of the first supporting look
    valid_to          TEXT,              -- when it stopped holding; NULL while current
    superseded_by     INTEGER REFERENCES facts(id),
    verdict           TEXT CHECK (verdict IN ('confirmed', 'rejected')),
    first_observation INTEGER NOT NULL,  -- the observation that started it
    ended_by          INTEGER            -- the observation that ended it
);
CREATE INDEX facts_subject ON facts(subject, predicate);
CREATE INDEX facts_body_hash ON facts(object) WHERE predicate = 'body_hash';
CREATE INDEX facts_verdict ON facts(subject) WHERE verdict IS NOT NULL;
-- Bodies that vanished: where a symbol that appears may have come from (small).
CREATE INDEX facts_gone_body ON facts(object) WHERE predicate = 'body_hash' AND status = 'retracted';

-- Provenance: which observations support (or ended) a fact, and why.
CREATE TABLE fact_evidence (
    fact_id        INTEGER NOT NULL REFERENCES facts(id),
    observation_id INTEGER NOT NULL REFERENCES observations(id),
    why            TEXT NOT NULL,        -- the independent source: parse, edit, user, name, calls, ...
    detail         TEXT NOT NULL DEFAULT '',  -- for derived facts: the token or call that matched
    active         INTEGER NOT NULL DEFAULT 1,  -- 0 once that evidence disappeared
    PRIMARY KEY (fact_id, observation_id, why, detail)
) WITHOUT ROWID;

-- One row per dream: what it read and what it changed.
CREATE TABLE dreams (
    id                INTEGER PRIMARY KEY,
    trigger           TEXT NOT NULL,     -- cli | idle | command | verdict
    started_at        TEXT NOT NULL,
    duration_ms       REAL,
    first_observation INTEGER,           -- the observation id range it consolidated
    last_observation  INTEGER,
    observations      INTEGER NOT NULL DEFAULT 0,
    created           INTEGER NOT NULL DEFAULT 0,
    merged            INTEGER NOT NULL DEFAULT 0,
    superseded        INTEGER NOT NULL DEFAULT 0,
    retracted         INTEGER NOT NULL DEFAULT 0,
    promoted          INTEGER NOT NULL DEFAULT 0,
    demoted           INTEGER NOT NULL DEFAULT 0,
    linked            INTEGER NOT NULL DEFAULT 0,  -- renames and moves found
    stopped           INTEGER NOT NULL DEFAULT 0   -- 1: stopped early for a new edit
);

-- The last observation consolidated: a dream reads only what lies beyond.
CREATE TABLE dream_cursor (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    last_observation INTEGER NOT NULL
);
INSERT INTO dream_cursor (id, last_observation) VALUES (1, 0);

-- Current call sites per callee name (last dotted part), kept incrementally.
CREATE TABLE dream_callees (
    name    TEXT PRIMARY KEY,
    callers INTEGER NOT NULL
) WITHOUT ROWID;

-- Offline one-sentence summaries, keyed by body hash (+ docstring digest).
CREATE TABLE summary_cache (
    body_key TEXT PRIMARY KEY,
    summary  TEXT NOT NULL
) WITHOUT ROWID
"""


# Every fact (version 6 on): observed facts through their first observation, the others as they are.
_FACTS_VIEW = """
CREATE VIEW facts AS
SELECT f.id AS id, o.subject AS subject, o.predicate AS predicate, o.object AS object,
       'observed' AS origin, f.status AS status, f.confidence AS confidence,
       f.evidence_count AS evidence_count, v.observed_at AS valid_from, f.valid_to AS valid_to,
       f.superseded_by AS superseded_by, f.verdict AS verdict,
       f.first_observation AS first_observation, f.ended_by AS ended_by
FROM observed_facts f JOIN observations o ON o.id = f.first_observation
JOIN versions v ON v.id = o.version_id
UNION ALL
SELECT id, subject, predicate, object, origin, status, confidence, evidence_count, valid_from,
       valid_to, superseded_by, verdict, first_observation, ended_by FROM derived_facts
"""

# What can change about an observed fact (version 6 on; observed_changes' columns since 14).
_FACT_STATE = """    status            TEXT NOT NULL
                      CHECK (status IN ('tentative', 'firm', 'superseded', 'retracted')),
    confidence        REAL NOT NULL,
    evidence_count    INTEGER NOT NULL,
    valid_to          TEXT,
    superseded_by     INTEGER,
    verdict           TEXT CHECK (verdict IN ('confirmed', 'rejected')),
    ended_by          INTEGER"""

_OBSERVED_FACTS_SQL = (
    f"""
-- Facts with origin 'observed': subject, predicate, object and valid_from are
-- those of the observation first_observation (and of its version).
CREATE TABLE observed_facts (
    first_observation INTEGER PRIMARY KEY REFERENCES observations(id),
    id                INTEGER NOT NULL,  -- the fact id (one sequence with derived_facts)
{_FACT_STATE}
);
INSERT INTO observed_facts (first_observation, id, status, confidence, evidence_count, valid_to,
                            superseded_by, verdict, ended_by)
    SELECT first_observation, id, status, confidence, evidence_count, valid_to, superseded_by,
           verdict, ended_by FROM facts WHERE origin = 'observed';
CREATE UNIQUE INDEX observed_facts_id ON observed_facts(id);
CREATE INDEX observed_facts_verdict ON observed_facts(first_observation) WHERE verdict IS NOT NULL;
DELETE FROM facts WHERE origin = 'observed';
-- Every other fact (insight, link, summary, user) keeps its full row.
ALTER TABLE facts RENAME TO derived_facts;
-- Bodies by hash, for renames and moves (the observed body_hash facts have no text of their own).
CREATE INDEX observations_body_hash ON observations(object) WHERE predicate = 'body_hash';
-- Every fact, with the columns of version 4. Queries by subject (or id) reach
-- both tables through their indexes.
"""
    + _FACTS_VIEW
)


@migrations()
def m007_tested_by(db: Database) -> None:
    # "What does this test exercise": tested_by facts by the test they name.
    db.execute("CREATE INDEX IF NOT EXISTS derived_facts_tested ON derived_facts(object) WHERE predicate = 'tested_by'")


@migrations()
def m008_runs(db: Database) -> None:
    # What was run in a terminal (kairos run, the pytest plugin, shell-init) and what it
    # printed; the observations a run produced (test outcomes, raised, lint) are in
    # versions that name it.
    db.execute(
        "CREATE TABLE IF NOT EXISTS runs ("
        " id INTEGER PRIMARY KEY,"
        " command TEXT NOT NULL,"
        " cwd TEXT NOT NULL,"
        " source TEXT NOT NULL,"  # run (kairos run) | pytest (the plugin alone) | shell (shell-init) | ingest
        " started_at TEXT NOT NULL,"
        " exit_code INTEGER,"  # NULL: still running, or never finished
        " duration_ms INTEGER,"
        " output BLOB,"  # the last 1 MB of what it printed; kept for the latest runs only
        " fingerprint TEXT,"  # the code it ran against (same fingerprint, different outcome: flaky)
        " token TEXT"  # KAIROS_RUN_ID: how the pytest plugin inside a `kairos run` finds its run
        ")"
    )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS runs_token ON runs(token) WHERE token IS NOT NULL")
    db.execute("ALTER TABLE versions ADD COLUMN run_id INTEGER")
    db.execute("CREATE INDEX IF NOT EXISTS versions_run ON versions(run_id) WHERE run_id IS NOT NULL")


@migrations()
def m009_llm(db: Database) -> None:
    # Claude (opt-in, kairos_lsp/llm/): answers cached by (purpose, model, hash of the
    # redacted payload), so nothing unchanged is sent twice; and one audit row per
    # request (a cached answer too), which is also what the daily token budget counts.
    db.execute(
        "CREATE TABLE IF NOT EXISTS llm_cache ("
        " purpose TEXT NOT NULL,"  # summary | insights | fill_argument | propose_fix
        " model TEXT NOT NULL,"
        " payload_hash TEXT NOT NULL,"  # sha256 of exactly what was sent (after redaction)
        " answer TEXT NOT NULL,"  # JSON
        " tokens_in INTEGER NOT NULL DEFAULT 0,"
        " tokens_out INTEGER NOT NULL DEFAULT 0,"
        " created_at TEXT NOT NULL,"
        " PRIMARY KEY (purpose, model, payload_hash)"
        ") WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS llm_audit ("
        " id INTEGER PRIMARY KEY,"
        " at TEXT NOT NULL,"  # ISO 8601 UTC
        " day TEXT NOT NULL,"  # its UTC date: the budget's day
        " purpose TEXT NOT NULL,"
        " model TEXT NOT NULL,"
        " symbol TEXT,"
        " tokens_in INTEGER NOT NULL DEFAULT 0,"
        " tokens_out INTEGER NOT NULL DEFAULT 0,"
        " redacted TEXT NOT NULL DEFAULT '{}',"  # JSON {kind: count} of secrets taken out before sending
        " cached INTEGER NOT NULL DEFAULT 0,"  # 1: answered from llm_cache, nothing sent
        " outcome TEXT NOT NULL,"  # ok | cached | rejected (the answer did not validate) | the error's kind
        " payload_hash TEXT"
        ")"
    )
    db.execute("CREATE INDEX IF NOT EXISTS llm_audit_day ON llm_audit(day)")


@migrations()
def m010_marks(db: Database) -> None:
    # Small named markers a user leaves in the memory: ``reviewed`` is how far the user has
    # looked through what the dreams changed (kairos review, the editors' Review views).
    db.execute("CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")


@migrations()
def m011_claude_in_dreams(db: Database) -> None:
    # Claude inside the dream (kairos_lsp/dream/claude.py): summaries for the hover, one per
    # symbol, body hash and model (a summary of an older body is never shown); what the user
    # looked at (``attention``: hovered symbols, noted by the server in batches), which
    # the dream asks about first; and the answers to "insights" recorded as observations of
    # source ``llm`` (one ``llm_asked`` observation per symbol says which body and model),
    # found by this partial index.
    db.execute(
        "CREATE TABLE IF NOT EXISTS claude_summaries ("
        " subject TEXT NOT NULL,"
        " body_hash TEXT NOT NULL,"
        " model TEXT NOT NULL,"
        " text TEXT NOT NULL,"
        " at TEXT NOT NULL,"  # ISO 8601 UTC: when Claude wrote it
        " PRIMARY KEY (subject, body_hash, model)"
        ") WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS attention ("
        " subject TEXT NOT NULL,"
        " what TEXT NOT NULL,"  # hovered | ...
        " at TEXT NOT NULL,"  # the last time
        " count INTEGER NOT NULL DEFAULT 1,"
        " PRIMARY KEY (subject, what)"
        ") WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS attention_recent ON attention(what, at)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS observations_llm ON observations(subject, version_id) WHERE predicate = 'llm_asked'"
    )


@migrations()
def m012_trust(db: Database) -> None:
    # What the code says is firm while it says so (observed facts and the offline summary
    # made of them); tentative -> firm promotion is for insights (dream/model.py).
    db.execute("UPDATE observed_facts SET status = 'firm' WHERE status = 'tentative'")
    db.execute("UPDATE derived_facts SET status = 'firm' WHERE status = 'tentative' AND origin = 'summary'")
    # What derived facts depend on, by name: a dream re-derives the ``unit`` (a test, for
    # ``tested_by``) when a symbol or import with that name appears or goes elsewhere.
    db.execute(
        "CREATE TABLE IF NOT EXISTS dependencies ("
        " kind TEXT NOT NULL,"  # what is derived: tested_by
        " name TEXT NOT NULL,"  # a name whose definitions or imports it depends on
        " dream INTEGER NOT NULL,"  # the dream that derived it (what a dream derived, it need not look up)
        " unit TEXT NOT NULL,"  # what is re-derived: the test's key
        " PRIMARY KEY (kind, name, dream, unit)"
        ") WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS dependencies_unit ON dependencies(kind, unit)")
    # A memory from before has no dependencies yet: its next dream derives every test once.
    db.execute(
        "INSERT OR REPLACE INTO marks (name, value) SELECT 'rederive tested_by', 'pending' "
        "WHERE EXISTS (SELECT 1 FROM derived_facts WHERE predicate = 'tested_by')"
    )


# The predicates every memory knows, with these ids for good: partial indexes name them
# by id (``predicate_id = 8``), so that a query through the ``observations`` view can use
# them. Other predicates (a verdict on an insight, ...) get the next ids as they come.
PREDICATES = (
    "kind",
    "body_hash",
    "signature",
    "arity",
    "parameters",
    "docstring",
    "decorated_by",
    "calls",
    "imports",
    "raises",
    "defined_at",
    "test_failed",
    "test_passed",
    "raised",
    "failed_in",
    "lint",
    "llm_asked",
    "summary",
    "role",
    "may_handle",
    "pure",
    "side_effects",
    "tested_by",
    "renamed_to",
    "renamed_from",
    "moved_to",
    "moved_from",
)
PREDICATE_ID = {name: i for i, name in enumerate(PREDICATES, start=1)}
OUTCOME_IDS = f"({PREDICATE_ID['test_failed']}, {PREDICATE_ID['test_passed']})"

COPY_CHUNK = 100_000  # observations copied per transaction when a memory is made compact

_COMPACT_SQL = """
-- Every subject key and file path the memory mentions, once (the log refers to them by id).
CREATE TABLE IF NOT EXISTS names (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS predicates (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
-- The append-only log, as before, with subject and predicate by id.
CREATE TABLE IF NOT EXISTS observation_log (
    id           INTEGER PRIMARY KEY,
    subject_id   INTEGER NOT NULL,      -- names.id
    predicate_id INTEGER NOT NULL,      -- predicates.id
    object       TEXT NOT NULL,
    negated      INTEGER NOT NULL DEFAULT 0,
    version_id   INTEGER NOT NULL
)
"""


def _derived_table(name: str, times: str) -> str:
    """The derived log's table (version 13 on), its begin and end as ``times``."""
    return f"""CREATE TABLE {name} (
    id                INTEGER PRIMARY KEY,
    subject_id        INTEGER NOT NULL,  -- names.id
    predicate_id      INTEGER NOT NULL,  -- predicates.id
    object            TEXT NOT NULL,
    origin            TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('tentative', 'firm', 'superseded', 'retracted')),
    confidence        REAL NOT NULL,
    evidence_count    INTEGER NOT NULL,
    {times},
    superseded_by     INTEGER,
    verdict           TEXT CHECK (verdict IN ('confirmed', 'rejected')),
    first_observation INTEGER NOT NULL,
    ended_by          INTEGER
)"""


def _derived_view(valid_from: str, valid_to: str, joins: str, obj: str = "f.object") -> str:
    """The ``derived_facts`` view (version 13 on): the derived log with its subject and
    predicate as text, its begin and end as ``valid_from`` and ``valid_to`` (through ``joins``),
    its object as ``obj``."""
    return f"""CREATE VIEW derived_facts AS
SELECT f.id AS id, s.text AS subject, p.name AS predicate, {obj} AS object, f.origin AS origin,
       f.status AS status, f.confidence AS confidence, f.evidence_count AS evidence_count,
       {valid_from} AS valid_from, {valid_to} AS valid_to, f.superseded_by AS superseded_by,
       f.verdict AS verdict, f.first_observation AS first_observation, f.ended_by AS ended_by,
       f.subject_id AS subject_id, f.predicate_id AS predicate_id
FROM derived_log f JOIN names s ON s.id = f.subject_id JOIN predicates p ON p.id = f.predicate_id {joins}"""


# The derived log's indexes (version 13 on).
_DERIVED_INDEXES = f"""
CREATE INDEX derived_log_subject ON derived_log(subject_id, predicate_id);
CREATE INDEX derived_log_body_hash ON derived_log(object) WHERE predicate_id = {PREDICATE_ID["body_hash"]};
CREATE INDEX derived_log_gone_body ON derived_log(object)
    WHERE predicate_id = {PREDICATE_ID["body_hash"]} AND status = 'retracted';
CREATE INDEX derived_log_verdict ON derived_log(subject_id) WHERE verdict IS NOT NULL;
CREATE INDEX derived_log_tested ON derived_log(object) WHERE predicate_id = {PREDICATE_ID["tested_by"]}
"""


# Where a symbol is now (schema 13 on; its body hash too until schema 24).
def _symbol_place(kind: str = "kind          TEXT NOT NULL") -> str:
    """The symbol rows' columns, the kind as ``kind``."""
    return f"""    subject_id    INTEGER PRIMARY KEY,  -- names.id of its key
    path_id       INTEGER NOT NULL,     -- names.id of its path
    name          TEXT NOT NULL,
    {kind},
    start_line    INTEGER NOT NULL,
    start_col     INTEGER NOT NULL,
    end_line      INTEGER NOT NULL,
    end_col       INTEGER NOT NULL,
    name_line     INTEGER NOT NULL,
    name_col      INTEGER NOT NULL,
    name_end_col  INTEGER NOT NULL"""


_BODY_HASH_COLUMN = """,
       r.body_hash AS body_hash"""


def _symbols_view(more: str, kind: str = "r.kind", joins: str = "") -> str:
    """The ``symbols`` view: the symbol rows with their key, path, language and qualname
    as text (from the key), the kind as ``kind`` (through ``joins``), and ``more`` columns."""
    return f"""CREATE VIEW symbols AS
SELECT k.text AS key, p.text AS path, substr(k.text, 1, instr(k.text, ':') - 1) AS language,
       substr(k.text, instr(k.text, ':') + length(p.text) + 2) AS qualname, r.name AS name, {kind} AS kind,
       r.start_line AS start_line, r.start_col AS start_col, r.end_line AS end_line, r.end_col AS end_col,
       r.name_line AS name_line, r.name_col AS name_col, r.name_end_col AS name_end_col{more}
FROM symbol_rows r JOIN names k ON k.id = r.subject_id JOIN names p ON p.id = r.path_id{joins}"""


_COMPACT_FINISH_SQL = f"""
INSERT OR IGNORE INTO names (text) SELECT DISTINCT path FROM current;
CREATE TABLE current_ids (
    path_id        INTEGER NOT NULL,    -- names.id of the file's path
    observation_id INTEGER NOT NULL,
    PRIMARY KEY (path_id, observation_id)
) WITHOUT ROWID;
INSERT INTO current_ids (path_id, observation_id)
    SELECT n.id, c.observation_id FROM current c JOIN names n ON n.text = c.path ORDER BY 1, 2;
INSERT OR IGNORE INTO names (text) SELECT DISTINCT subject FROM derived_facts;
INSERT OR IGNORE INTO predicates (name) SELECT DISTINCT predicate FROM derived_facts;
-- Facts other than observed ones, as before, with subject and predicate by id.
{_derived_table("derived_log", "valid_from TEXT NOT NULL, valid_to TEXT")};
INSERT INTO derived_log SELECT f.id, n.id, p.id, f.object, f.origin, f.status, f.confidence, f.evidence_count,
       f.valid_from, f.valid_to, f.superseded_by, f.verdict, f.first_observation, f.ended_by
FROM derived_facts f JOIN names n ON n.text = f.subject JOIN predicates p ON p.name = f.predicate ORDER BY f.id;
INSERT OR IGNORE INTO names (text) SELECT key FROM symbols;
INSERT OR IGNORE INTO names (text) SELECT DISTINCT path FROM symbols;
-- Where each symbol is now, as before; its key, path, language and qualname are its
-- subject's key (language:path:qualname), shown by the symbols view.
CREATE TABLE symbol_rows (
{_symbol_place()},
    body_hash     TEXT NOT NULL
);
INSERT INTO symbol_rows SELECT k.id, p.id, s.name, s.kind, s.start_line, s.start_col, s.end_line, s.end_col,
       s.name_line, s.name_col, s.name_end_col, s.body_hash
FROM symbols s JOIN names k ON k.text = s.key JOIN names p ON p.text = s.path ORDER BY k.id;
DROP TABLE symbols;
CREATE INDEX symbol_rows_path ON symbol_rows(path_id);
CREATE INDEX symbol_rows_name ON symbol_rows(name);
{_symbols_view(_BODY_HASH_COLUMN)};
INSERT OR IGNORE INTO names (text) SELECT DISTINCT name FROM dependencies;
INSERT OR IGNORE INTO names (text) SELECT DISTINCT unit FROM dependencies;
-- What derived facts depend on (m012), names and units by id.
CREATE TABLE dependency_ids (
    kind    TEXT NOT NULL,
    name_id INTEGER NOT NULL,           -- names.id of the name ("file:P", "tail:T", "bases:K")
    dream   INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,           -- names.id of the unit (a test's key)
    PRIMARY KEY (kind, name_id, dream, unit_id)
) WITHOUT ROWID;
INSERT INTO dependency_ids SELECT d.kind, n.id, d.dream, u.id FROM dependencies d
    JOIN names n ON n.text = d.name JOIN names u ON u.text = d.unit ORDER BY 1, 2, 3, 4;
DROP TABLE dependencies;
CREATE INDEX dependency_ids_unit ON dependency_ids(kind, unit_id);
CREATE VIEW dependencies AS
SELECT d.kind AS kind, n.text AS name, d.dream AS dream, u.text AS unit
FROM dependency_ids d JOIN names n ON n.id = d.name_id JOIN names u ON u.id = d.unit_id;
DROP VIEW facts;
DROP TABLE derived_facts;
DROP TABLE observations;
DROP TABLE current;
{_DERIVED_INDEXES};
{_derived_view("f.valid_from", "f.valid_to", "")};
CREATE INDEX observation_log_subject ON observation_log(subject_id, predicate_id);
CREATE INDEX observation_log_callee ON observation_log({CALLEE_NAME}) WHERE predicate_id = {PREDICATE_ID["calls"]};
CREATE INDEX observation_log_imported ON observation_log({IMPORTED_NAME})
    WHERE predicate_id = {PREDICATE_ID["imports"]};
CREATE INDEX observation_log_outcomes ON observation_log(subject_id, id) WHERE predicate_id IN {OUTCOME_IDS};
CREATE INDEX observation_log_body_hash ON observation_log(object) WHERE predicate_id = {PREDICATE_ID["body_hash"]};
CREATE INDEX observation_log_llm ON observation_log(subject_id, version_id)
    WHERE predicate_id = {PREDICATE_ID["llm_asked"]};
-- What every query reads, with the columns of before (and the ids, for the partial indexes).
CREATE VIEW observations AS
SELECT o.id AS id, s.text AS subject, p.name AS predicate, o.object AS object, o.negated AS negated,
       o.version_id AS version_id, o.subject_id AS subject_id, o.predicate_id AS predicate_id
FROM observation_log o JOIN names s ON s.id = o.subject_id JOIN predicates p ON p.id = o.predicate_id;
CREATE VIEW current AS
SELECT n.text AS path, c.observation_id AS observation_id, c.path_id AS path_id
FROM current_ids c JOIN names n ON n.id = c.path_id
"""


def _statements(sql: str) -> list[str]:
    """The statements of a script, comments aside (a trigger's body stays whole)."""
    statements, pending = [], ""
    for line in sql.splitlines():
        pending += line.split("--", 1)[0] + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().rstrip(";"))
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def copy_log(conn, chunk: int = COPY_CHUNK) -> int:
    """Copy the next ``chunk`` observations of a memory not compact yet into the compact
    log, in the caller's transaction; returns how many (0: all are there). What was copied
    stays: a migration killed half-way goes on from there the next time."""
    for statement in _statements(_COMPACT_SQL):
        conn.execute(statement)
    conn.executemany(
        "INSERT OR IGNORE INTO predicates (id, name) VALUES (?, ?)", [(i, n) for n, i in PREDICATE_ID.items()]
    )
    done = conn.execute("SELECT coalesce(max(id), 0) FROM observation_log").fetchone()[0]
    last = conn.execute(
        "SELECT max(id) FROM (SELECT id FROM observations WHERE id > ? ORDER BY id LIMIT ?)", (done, chunk)
    ).fetchone()[0]
    if last is None:
        return 0
    span = (done, last)
    conn.execute(
        "INSERT OR IGNORE INTO predicates (name) SELECT DISTINCT predicate FROM observations WHERE id > ? AND id <= ?",
        span,
    )
    conn.execute("INSERT OR IGNORE INTO names (text) SELECT subject FROM observations WHERE id > ? AND id <= ?", span)
    return conn.execute(
        "INSERT INTO observation_log (id, subject_id, predicate_id, object, negated, version_id) "
        "SELECT o.id, n.id, p.id, o.object, o.negated, o.version_id FROM observations o "
        "JOIN names n ON n.text = o.subject JOIN predicates p ON p.name = o.predicate "
        "WHERE o.id > ? AND o.id <= ? ORDER BY o.id",
        span,
    ).rowcount


def compact_pending(conn) -> bool:
    """A memory whose log still has text subjects (a ``observations`` table, not the view)."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'observations'").fetchone()
    return found is not None


@migrations()
def m013_compact(db: Database) -> None:
    # Subjects, paths and predicates once each, by id: the log and ``current`` were mostly
    # the same keys again (issue 13). Store.open copies the log in chunks beforehand (see
    # copy_log); what is left is copied here, then the old tables give way to views.
    conn = db.conn
    while copy_log(conn):
        pass
    for statement in _statements(_COMPACT_FINISH_SQL):
        conn.execute(statement)
    conn.execute(_FACTS_VIEW)


# The run that may hold observation {0}: the last one starting at or before it (check its end).
RUN_OF = "(SELECT max(first_observation) FROM observed_runs WHERE first_observation <= {0})"

_OBSERVED_RUNS_SQL = f"""
-- Observed facts as runs (issue 13): a dream starts the facts of consecutive observations
-- at once, all firm, one evidence each, with consecutive ids. A run keeps the first and
-- last observation, the first fact's id and the confidence; observed_changes keeps the
-- facts that became something else since (superseded, retracted, judged, confirmed).
CREATE TABLE observed_runs (
    first_observation INTEGER PRIMARY KEY,
    last_observation  INTEGER NOT NULL,
    first_fact        INTEGER NOT NULL,  -- the fact id of first_observation; one more each
    confidence        REAL NOT NULL
);
INSERT INTO observed_runs
SELECT min(first_observation), max(first_observation), min(id), confidence FROM (
    SELECT first_observation, id, confidence, first_observation - row_number()
           OVER (PARTITION BY id - first_observation, confidence ORDER BY first_observation) AS run
    FROM observed_facts)
GROUP BY id - first_observation, confidence, run ORDER BY 1;
CREATE UNIQUE INDEX observed_runs_fact ON observed_runs(first_fact);
CREATE TABLE observed_changes (
    first_observation INTEGER PRIMARY KEY,
{_FACT_STATE}
);
INSERT INTO observed_changes
SELECT f.first_observation, f.status, f.confidence, f.evidence_count, f.valid_to, f.superseded_by, f.verdict,
       f.ended_by
FROM observed_facts f JOIN observed_runs r ON r.first_observation = {RUN_OF.format("f.first_observation")}
WHERE NOT (f.status = 'firm' AND f.confidence = r.confidence AND f.evidence_count = 1 AND f.valid_to IS NULL
           AND f.superseded_by IS NULL AND f.verdict IS NULL AND f.ended_by IS NULL);
CREATE INDEX observed_changes_verdict ON observed_changes(first_observation) WHERE verdict IS NOT NULL;
DROP VIEW facts;
DROP TABLE observed_facts;
-- The observed facts as before: one row per observation of a run (a forgotten one is gone).
CREATE VIEW observed_facts AS
SELECT o.id AS first_observation, o.id - r.first_observation + r.first_fact AS id,
       coalesce(c.status, 'firm') AS status, coalesce(c.confidence, r.confidence) AS confidence,
       coalesce(c.evidence_count, 1) AS evidence_count, c.valid_to AS valid_to,
       c.superseded_by AS superseded_by, c.verdict AS verdict, c.ended_by AS ended_by
FROM observation_log o
JOIN observed_runs r ON r.first_observation = {RUN_OF.format("o.id")} AND o.id <= r.last_observation
LEFT JOIN observed_changes c ON c.first_observation = o.id;
-- Written to like the table it was: a change is kept in observed_changes ...
CREATE TRIGGER observed_facts_update INSTEAD OF UPDATE ON observed_facts BEGIN
    INSERT OR REPLACE INTO observed_changes (first_observation, status, confidence, evidence_count, valid_to,
                                             superseded_by, verdict, ended_by)
    VALUES (OLD.first_observation, NEW.status, NEW.confidence, NEW.evidence_count, NEW.valid_to,
            NEW.superseded_by, NEW.verdict, NEW.ended_by);
END;
-- ... and a deleted fact leaves its run, which splits around it.
CREATE TRIGGER observed_facts_delete INSTEAD OF DELETE ON observed_facts BEGIN
    DELETE FROM observed_changes WHERE first_observation = OLD.first_observation;
    INSERT INTO observed_runs (first_observation, last_observation, first_fact, confidence)
    SELECT OLD.first_observation + 1, r.last_observation, OLD.id + 1, r.confidence FROM observed_runs r
    WHERE r.first_observation = {RUN_OF.format("OLD.first_observation")}
      AND r.last_observation > OLD.first_observation;
    UPDATE observed_runs SET last_observation = OLD.first_observation - 1
    WHERE first_observation = {RUN_OF.format("OLD.first_observation")};
    DELETE FROM observed_runs WHERE first_observation = OLD.first_observation;
END
"""


@migrations()
def m014_observed_runs(db: Database) -> None:
    # A full dream wrote one observed_facts row (and an index entry) per observation, all
    # alike: a third of the store (issue 13). Runs say the same in a row per file.
    conn = db.conn
    for statement in _statements(_OBSERVED_RUNS_SQL):
        conn.execute(statement)
    conn.execute(_FACTS_VIEW)


_CURRENT_RUNS_SQL = """
-- What the latest look at each file asserts, as runs of consecutive observation ids: a
-- look appends its new observations together, so a file's current ones are a few runs.
CREATE TABLE current_runs (
    path_id           INTEGER NOT NULL,  -- names.id of the file's path
    first_observation INTEGER NOT NULL,
    last_observation  INTEGER NOT NULL,
    PRIMARY KEY (path_id, first_observation)
) WITHOUT ROWID;
INSERT INTO current_runs
SELECT path_id, min(observation_id), max(observation_id) FROM (
    SELECT path_id, observation_id,
           observation_id - row_number() OVER (PARTITION BY path_id ORDER BY observation_id) AS run
    FROM current_ids)
GROUP BY path_id, run ORDER BY 1, 2;
DROP VIEW current;
DROP TABLE current_ids;
CREATE VIEW current AS
SELECT n.text AS path, o.id AS observation_id, r.path_id AS path_id
FROM current_runs r JOIN observation_log o ON o.id BETWEEN r.first_observation AND r.last_observation
JOIN names n ON n.id = r.path_id
"""


@migrations()
def m015_current_runs(db: Database) -> None:
    # A row per current observation was the store's third largest table (issue 13).
    for statement in _statements(_CURRENT_RUNS_SQL):
        db.conn.execute(statement)


_STAMPS_SQL = f"""
-- When derived facts began and ended, once each: a dream's facts share its time.
CREATE TABLE stamps (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL UNIQUE
);
INSERT INTO stamps (at)
    SELECT valid_from FROM derived_log UNION SELECT valid_to FROM derived_log WHERE valid_to IS NOT NULL ORDER BY 1;
{_derived_table("derived_rows", "valid_from_id INTEGER NOT NULL, valid_to_id INTEGER")};  -- stamps.id
INSERT INTO derived_rows
SELECT f.id, f.subject_id, f.predicate_id, f.object, f.origin, f.status, f.confidence, f.evidence_count, a.id, b.id,
       f.superseded_by, f.verdict, f.first_observation, f.ended_by
FROM derived_log f JOIN stamps a ON a.at = f.valid_from LEFT JOIN stamps b ON b.at = f.valid_to ORDER BY f.id;
DROP VIEW facts;
DROP VIEW derived_facts;
DROP TABLE derived_log;
ALTER TABLE derived_rows RENAME TO derived_log;
{_DERIVED_INDEXES};
{_derived_view("a.at", "b.at", "JOIN stamps a ON a.id = f.valid_from_id LEFT JOIN stamps b ON b.id = f.valid_to_id")}
"""


@migrations()
def m016_stamps(db: Database) -> None:
    # Every derived fact repeated its dream's time as text: 3 MB of the standard library's
    # memory after a full dream (issue 13).
    for statement in _statements(_STAMPS_SQL):
        db.conn.execute(statement)
    db.conn.execute(_FACTS_VIEW)


@migrations()
def m017_no_summary_cache(db: Database) -> None:
    # Offline summaries were cached by body: a table as large as the summary facts themselves
    # (5.6 MB of the standard library's memory after a full dream, 30 MB of the large tree's),
    # for a sentence the dream computes in microseconds from the symbol's own observations.
    db.conn.execute("DROP TABLE IF EXISTS summary_cache")


@migrations()
def m018_module_tails(db: Database) -> None:
    # A search for a module under any source root was recorded under each of its four file
    # names (``tail:a/m.py``, ``tail:a/m/__init__.py`` and their ``.pyi``): a third of the
    # large tree's dependency rows. One name per module now (``tail:a/m``), as a dream and
    # the resolver look them up.
    conn = db.conn
    conn.execute("CREATE TEMP TABLE tail_moves (old_id INTEGER PRIMARY KEY, new_id INTEGER)")
    for old_id, text in conn.execute("SELECT id, text FROM names WHERE text LIKE 'tail:%'").fetchall():
        module = module_path(text[len("tail:") :])
        if module:
            conn.execute("INSERT OR IGNORE INTO names (text) VALUES (?)", (f"tail:{module}",))
            new_id = conn.execute("SELECT id FROM names WHERE text = ?", (f"tail:{module}",)).fetchone()[0]
            conn.execute("INSERT INTO tail_moves VALUES (?, ?)", (old_id, new_id))
    for statement in _statements(_MODULE_TAILS_SQL):
        conn.execute(statement)


_MODULE_TAILS_SQL = """
INSERT OR IGNORE INTO dependency_ids (kind, name_id, dream, unit_id)
    SELECT d.kind, m.new_id, d.dream, d.unit_id FROM dependency_ids d JOIN tail_moves m ON m.old_id = d.name_id;
DELETE FROM dependency_ids WHERE name_id IN (SELECT old_id FROM tail_moves);
DELETE FROM names WHERE id IN (SELECT old_id FROM tail_moves);
DROP TABLE tail_moves;
"""


# The next fact id: one sequence over both fact tables (the run that starts with the highest
# fact id holds the highest: their ids do not overlap).
NEXT_FACT_ID = (
    "SELECT max(coalesce((SELECT max(id) FROM derived_log), 0), "
    "coalesce((SELECT first_fact + last_observation - first_observation FROM observed_runs "
    "ORDER BY first_fact DESC LIMIT 1), 0)) + 1"
)


def now() -> str:
    """The time as the store writes it: ISO 8601, UTC, milliseconds (``...T12:03:05.120Z``)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp_now(conn: sqlite3.Connection) -> int:
    """The ``stamps`` id of now: when a migration ends or replaces facts."""
    at = now()
    conn.execute("INSERT OR IGNORE INTO stamps (at) VALUES (?)", (at,))
    return conn.execute("SELECT id FROM stamps WHERE at = ?", (at,)).fetchone()[0]


# What an offline summary said when it had nothing beyond the symbol's kind and signature.
_KIND_ONLY_SUMMARIES = (
    "Takes no arguments.",
    "A module.",
    *(f"A {kind}." for kind in ("class", "interface", "type", "struct", "enum", "trait")),
)


@migrations()
def m019_no_kind_only_summaries(db: Database) -> None:
    # The dream no longer says what a hover shows already (a fifth of the standard library's
    # summaries): those it said end, as they would at the symbol's next change, so the memory
    # stays what a fresh look gives (``kairos verify``). A docstring saying "A class." stays.
    marks = ", ".join("?" * len(_KIND_ONLY_SUMMARIES))
    db.conn.execute(
        "UPDATE derived_log SET status = 'retracted', valid_to_id = ? "
        f"WHERE predicate_id = {PREDICATE_ID['summary']} AND origin = 'summary' AND status IN ('tentative', 'firm') "
        f"AND verdict IS NULL AND object IN ({marks}) "
        f"AND (SELECT predicate_id FROM observation_log WHERE id = first_observation) != {PREDICATE_ID['docstring']}",
        (_stamp_now(db.conn), *_KIND_ONLY_SUMMARIES),
    )


_CONSTANT_SAID = "Takes no arguments and calls "  # what a constant's offline summary said


@migrations()
def m020_constant_summaries(db: Database) -> None:
    # A constant's offline summary read as a function's ("Takes no arguments and calls
    # re.compile."); it now says what the constant is set from ("Set from re.compile."). The
    # new sentence supersedes the old one, as a dream does, so a fresh look agrees.
    conn = db.conn
    stamp = _stamp_now(conn)
    said = conn.execute(
        "SELECT f.id, f.subject_id, f.object, f.confidence, f.evidence_count, f.first_observation FROM derived_log f "
        f"JOIN symbol_rows r ON r.subject_id = f.subject_id AND r.kind = 'constant' "
        f"WHERE f.predicate_id = {PREDICATE_ID['summary']} AND f.origin = 'summary' "
        "AND f.status IN ('tentative', 'firm') AND f.verdict IS NULL AND f.object LIKE ? "
        f"AND (SELECT predicate_id FROM observation_log WHERE id = f.first_observation) != {PREDICATE_ID['docstring']} "
        "ORDER BY f.id",
        (_CONSTANT_SAID + "%",),
    ).fetchall()
    next_id = conn.execute(NEXT_FACT_ID).fetchone()[0]
    for new_id, (old_id, subject_id, text, confidence, evidence, source) in enumerate(said, start=next_id):
        conn.execute(
            "INSERT INTO derived_log (id, subject_id, predicate_id, object, origin, status, confidence, "
            "evidence_count, valid_from_id, valid_to_id, superseded_by, verdict, first_observation, ended_by) "
            "VALUES (?, ?, ?, ?, 'summary', 'firm', ?, ?, ?, NULL, NULL, NULL, ?, NULL)",
            (
                new_id,
                subject_id,
                PREDICATE_ID["summary"],
                "Set from " + text[len(_CONSTANT_SAID) :],
                confidence,
                evidence,
                stamp,
                source,
            ),
        )
        conn.execute(
            "UPDATE derived_log SET status = 'superseded', valid_to_id = ?, superseded_by = ?, ended_by = ? "
            "WHERE id = ?",
            (stamp, new_id, source, old_id),
        )


# What cites an observation by id, the restated observations' own facts aside: one of
# them cited here is kept as it is (a moment of history).
_CITED = """
SELECT observation_id FROM fact_evidence WHERE fact_id NOT IN (SELECT id FROM temp.restated_facts)
UNION SELECT first_observation FROM derived_log UNION SELECT ended_by FROM derived_log
UNION SELECT ended_by FROM observed_changes WHERE first_observation NOT IN (SELECT id FROM temp.restated)
UNION SELECT first_observation FROM dreams UNION SELECT last_observation FROM dreams
UNION SELECT last_observation FROM dream_cursor
"""


@migrations()
def m021_no_restated_observations(db: Database) -> None:
    # Observations that restate others: ``defined_at`` (``python:src/a.py:f`` says where f
    # is) and ``arity`` (``parameters`` say it). Both a row per symbol and look: 21 % of
    # the log's rows, 8 % of the standard library's memory. The scan no longer writes them;
    # those stored go, with their facts.
    conn = db.conn
    restated = f"{PREDICATE_ID['defined_at']}, {PREDICATE_ID['arity']}"
    conn.execute(f"CREATE TEMP TABLE restated AS SELECT id FROM observation_log WHERE predicate_id IN ({restated})")
    conn.execute(
        "CREATE TEMP TABLE restated_facts AS SELECT id FROM observed_facts WHERE first_observation IN temp.restated"
    )
    # (EXCEPT of a subquery: a compound select's operators bind left to right)
    conn.execute(f"CREATE TEMP TABLE gone AS SELECT id FROM temp.restated EXCEPT SELECT * FROM ({_CITED})")
    conn.execute(
        "DELETE FROM fact_evidence WHERE observation_id IN temp.gone OR fact_id IN "
        "(SELECT id FROM observed_facts WHERE first_observation IN temp.gone)"
    )
    conn.execute("DELETE FROM observed_changes WHERE first_observation IN temp.gone")
    conn.execute("DELETE FROM observation_log WHERE id IN temp.gone")
    for table in ("gone", "restated_facts", "restated"):
        conn.execute(f"DROP TABLE temp.{table}")


@migrations()
def m022_tested_by_evidence_detail(db: Database) -> None:
    # A tested_by fact's evidence repeated the test's key as its detail: the fact's object.
    # It is stored without it now (read back by ``Facts.evidence_of``).
    db.conn.execute(
        "UPDATE fact_evidence SET detail = '' WHERE detail != '' AND detail = "
        f"(SELECT object FROM derived_log WHERE id = fact_id AND predicate_id = {PREDICATE_ID['tested_by']})"
    )


# A tested_by fact's object, the test, is its key's ``names.id`` (schema 23), as text: the
# column's affinity. ``{0}``: the derived log's row.
TESTED_KEY = "(SELECT t.text FROM names t WHERE t.id = {0}.object)"
TESTED_OBJECT = (
    f"CASE WHEN f.predicate_id = {PREDICATE_ID['tested_by']} THEN {TESTED_KEY.format('f')} ELSE f.object END"
)

_TESTED_IDS_SQL = f"""
INSERT OR IGNORE INTO names (text)
    SELECT DISTINCT object FROM derived_log WHERE predicate_id = {PREDICATE_ID["tested_by"]};
UPDATE derived_log SET object = CAST((SELECT id FROM names WHERE text = derived_log.object) AS TEXT)
    WHERE predicate_id = {PREDICATE_ID["tested_by"]};
DROP VIEW facts;
DROP VIEW derived_facts;
{
    _derived_view(
        "a.at",
        "b.at",
        "JOIN stamps a ON a.id = f.valid_from_id LEFT JOIN stamps b ON b.id = f.valid_to_id",
        TESTED_OBJECT,
    )
}
"""


@migrations()
def m023_tested_by_ids(db: Database) -> None:
    # A tested_by fact's object, a test's key (70 characters on average), was text in the
    # row and again in the index that finds a test's facts: 2.3 MB of the standard library's
    # dreamed memory. The key is a name the memory holds already: its id says it.
    for statement in _statements(_TESTED_IDS_SQL):
        db.conn.execute(statement)
    db.conn.execute(_FACTS_VIEW)


# An observation's object as text: a body hash is kept as its 8 bytes (schema 28), shown as
# the 16 hex digits it was. ``{0}``: the log's ``object`` column.
OBJECT_TEXT = "CASE WHEN typeof({0}) = 'blob' THEN lower(hex({0})) ELSE {0} END"

# A symbol's body hash now: its newest ``body_hash`` observation (a look appends one only
# when the body changed, after the negation of the one before). ``{0}``: the symbol's names.id.
BODY_HASH_NOW = (
    f"(SELECT {OBJECT_TEXT.format('b.object')} FROM observation_log b WHERE b.subject_id = {{0}} "
    f"AND b.predicate_id = {PREDICATE_ID['body_hash']} AND b.negated = 0 ORDER BY b.id DESC LIMIT 1)"
)

_SYMBOL_ROWS_SQL = f"""
CREATE TABLE symbol_places (
{_symbol_place()}
);
INSERT INTO symbol_places SELECT subject_id, path_id, name, kind, start_line, start_col, end_line, end_col,
       name_line, name_col, name_end_col FROM symbol_rows ORDER BY subject_id;
DROP VIEW symbols;
DROP TABLE symbol_rows;
ALTER TABLE symbol_places RENAME TO symbol_rows;
CREATE INDEX symbol_rows_path ON symbol_rows(path_id);
CREATE INDEX symbol_rows_name ON symbol_rows(name);
{_symbols_view("")}
"""


@migrations()
def m024_symbols_without_body_hash(db: Database) -> None:
    # Each symbol's row repeated its body hash, which its newest body_hash observation says
    # (BODY_HASH_NOW): 1.35 MB of the standard library's memory, and a rewrite of the row
    # at every edit of the body.
    for statement in _statements(_SYMBOL_ROWS_SQL):
        db.conn.execute(statement)


# A derived fact's status as a small integer (schema 25; 0 and 1 take no bytes in a row).
STATUS_CODE = {"tentative": 0, "firm": 1, "superseded": 2, "retracted": 3}
LIVE_CODES = f"({STATUS_CODE['tentative']}, {STATUS_CODE['firm']})"
# ... and as text again, for the derived log's row ``{0}``.
STATUS_TEXT = "CASE {0}.status_code " + " ".join(f"WHEN {c} THEN '{s}'" for s, c in STATUS_CODE.items()) + " END"
# The origins every memory numbers alike (others get the next ids).
ORIGINS = ("insight", "summary", "link", "user")


def _derived_facts_view(confidence: str) -> str:
    """The derived facts with words and texts where the log keeps ids (schema 25 on);
    ``confidence``: how a row's confidence reads."""
    return f"""CREATE VIEW derived_facts AS
SELECT f.id AS id, s.text AS subject, p.name AS predicate, {TESTED_OBJECT} AS object, g.name AS origin,
       {STATUS_TEXT.format("f")} AS status, {confidence} AS confidence, f.evidence_count AS evidence_count,
       a.at AS valid_from, b.at AS valid_to, f.superseded_by AS superseded_by,
       f.verdict AS verdict, f.first_observation AS first_observation, f.ended_by AS ended_by,
       f.subject_id AS subject_id, f.predicate_id AS predicate_id
FROM derived_log f JOIN names s ON s.id = f.subject_id JOIN predicates p ON p.id = f.predicate_id
JOIN origins g ON g.id = f.origin_id
JOIN stamps a ON a.id = f.valid_from_id LEFT JOIN stamps b ON b.id = f.valid_to_id"""


_STATUS_CODES_SQL = f"""
-- Where a derived fact came from, once each (an insight, a summary, a link, the user...).
CREATE TABLE origins (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO origins (id, name) VALUES {", ".join(f"({i}, '{name}')" for i, name in enumerate(ORIGINS, start=1))};
INSERT OR IGNORE INTO origins (name) SELECT DISTINCT origin FROM derived_log;
CREATE TABLE derived_rows (
    id                INTEGER PRIMARY KEY,
    subject_id        INTEGER NOT NULL,  -- names.id
    predicate_id      INTEGER NOT NULL,  -- predicates.id
    object            TEXT NOT NULL,
    origin_id         INTEGER NOT NULL,  -- origins.id
    status_code       INTEGER NOT NULL CHECK (status_code BETWEEN 0 AND 3),  -- STATUS_CODE
    confidence        REAL NOT NULL,
    evidence_count    INTEGER NOT NULL,
    valid_from_id     INTEGER NOT NULL,  -- stamps.id
    valid_to_id       INTEGER,
    superseded_by     INTEGER,
    verdict           TEXT CHECK (verdict IN ('confirmed', 'rejected')),
    first_observation INTEGER NOT NULL,
    ended_by          INTEGER
);
INSERT INTO derived_rows
SELECT f.id, f.subject_id, f.predicate_id, f.object, g.id,
       CASE f.status {" ".join(f"WHEN '{s}' THEN {c}" for s, c in STATUS_CODE.items())} END,
       f.confidence, f.evidence_count, f.valid_from_id, f.valid_to_id, f.superseded_by, f.verdict,
       f.first_observation, f.ended_by
FROM derived_log f JOIN origins g ON g.name = f.origin ORDER BY f.id;
DROP VIEW facts;
DROP VIEW derived_facts;
DROP TABLE derived_log;
ALTER TABLE derived_rows RENAME TO derived_log;
CREATE INDEX derived_log_subject ON derived_log(subject_id, predicate_id);
CREATE INDEX derived_log_body_hash ON derived_log(object) WHERE predicate_id = {PREDICATE_ID["body_hash"]};
CREATE INDEX derived_log_gone_body ON derived_log(object)
    WHERE predicate_id = {PREDICATE_ID["body_hash"]} AND status_code = {STATUS_CODE["retracted"]};
CREATE INDEX derived_log_verdict ON derived_log(subject_id) WHERE verdict IS NOT NULL;
CREATE INDEX derived_log_tested ON derived_log(object) WHERE predicate_id = {PREDICATE_ID["tested_by"]};
{_derived_facts_view("f.confidence")}
"""


@migrations()
def m025_status_codes(db: Database) -> None:
    # A derived fact's origin and status were words in every row ('insight', 'tentative'):
    # 1.5 MB of the standard library's dreamed memory. Now an origin's id and a status code;
    # the derived_facts view shows the words.
    for statement in _statements(_STATUS_CODES_SQL):
        db.conn.execute(statement)
    db.conn.execute(_FACTS_VIEW)


@migrations()
def m026_subject_index(db: Database) -> None:
    # The log's index by subject held each entry's predicate too (2 bytes of its 14): a
    # symbol has a few observations, read together, so the subject alone finds them
    # (1 MB of the standard library's dreamed memory).
    db.conn.execute("DROP INDEX observation_log_subject")
    db.conn.execute("CREATE INDEX observation_log_subject ON observation_log(subject_id)")
    db.conn.execute("DROP INDEX derived_log_subject")  # the same for derived facts
    db.conn.execute("CREATE INDEX derived_log_subject ON derived_log(subject_id)")


_KINDS_SQL = f"""
-- What kinds of symbol there are (function, method, class...), once each.
CREATE TABLE kinds (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO kinds (name) SELECT DISTINCT kind FROM symbol_rows ORDER BY 1;
CREATE TABLE symbol_places (
{_symbol_place("kind_id       INTEGER NOT NULL,     -- kinds.id")}
);
INSERT INTO symbol_places SELECT r.subject_id, r.path_id, r.name, g.id, r.start_line, r.start_col, r.end_line,
       r.end_col, r.name_line, r.name_col, r.name_end_col FROM symbol_rows r JOIN kinds g ON g.name = r.kind
ORDER BY r.subject_id;
DROP VIEW symbols;
DROP TABLE symbol_rows;
ALTER TABLE symbol_places RENAME TO symbol_rows;
CREATE INDEX symbol_rows_path ON symbol_rows(path_id);
CREATE INDEX symbol_rows_name ON symbol_rows(name);
{_symbols_view("", "g.name", " JOIN kinds g ON g.id = r.kind_id")}
"""


@migrations()
def m027_kind_ids(db: Database) -> None:
    # Each symbol's row held its kind as a word ('function', 'method'): 0.4 MB of the
    # standard library's memory. Now its id among the memory's kinds.
    for statement in _statements(_KINDS_SQL):
        db.conn.execute(statement)


_HEX_HASH = re.compile(r"(?:[0-9a-f]{2})+")  # what OBJECT_TEXT shows again exactly
HASH_CHUNK = 50_000  # body hashes packed per statement when a memory converts


def packed_hash(text: str) -> str | bytes:
    """A body hash as it is kept in the log: its bytes, when OBJECT_TEXT gives it back."""
    return bytes.fromhex(text) if _HEX_HASH.fullmatch(text) else text


_OBSERVATIONS_VIEW = f"""CREATE VIEW observations AS
SELECT o.id AS id, s.text AS subject, p.name AS predicate, {OBJECT_TEXT.format("o.object")} AS object,
       o.negated AS negated, o.version_id AS version_id, o.subject_id AS subject_id, o.predicate_id AS predicate_id
FROM observation_log o JOIN names s ON s.id = o.subject_id JOIN predicates p ON p.id = o.predicate_id"""


@migrations()
def m028_packed_body_hashes(db: Database) -> None:
    # A body hash was 16 hex digits in the log and again in its index: as 8 bytes, 1.3 MB
    # less of the standard library's memory. The observations view shows the digits.
    conn = db.conn
    last = 0
    while True:
        rows = conn.execute(
            f"SELECT id, object FROM observation_log WHERE predicate_id = {PREDICATE_ID['body_hash']} "
            "AND id > ? AND typeof(object) = 'text' ORDER BY id LIMIT ?",
            (last, HASH_CHUNK),
        ).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        packed = [(packed_hash(text), oid) for oid, text in rows]
        conn.executemany(
            "UPDATE observation_log SET object = ? WHERE id = ?", [row for row in packed if isinstance(row[0], bytes)]
        )
    conn.execute("DROP VIEW observations")
    conn.execute(_OBSERVATIONS_VIEW)


def basis_points(confidence: float) -> int:
    """A derived fact's confidence as it is kept (schema 29): in ten-thousandths, the
    precision the dream rounds to (``model.noisy_or``); ``CONFIDENCE`` reads it back as the
    same float (``n / 10000.0`` is the double nearest ``n`` ten-thousandths, as round() is)."""
    return round(confidence * 10_000)


CONFIDENCE = "{0}.confidence_bp / 10000.0"


@migrations()
def m029_confidence_basis_points(db: Database) -> None:
    # A derived fact's confidence was a REAL, 8 bytes in every row: in ten-thousandths, the
    # precision it has, 2 bytes (0.7 MB less of the standard library's dreamed memory).
    # The column's new name makes a query the change missed fail instead of misreading it.
    conn = db.conn
    conn.execute("DROP VIEW facts")
    conn.execute("DROP VIEW derived_facts")
    conn.execute("ALTER TABLE derived_log RENAME COLUMN confidence TO confidence_bp")
    conn.execute("UPDATE derived_log SET confidence_bp = CAST(round(confidence_bp * 10000) AS INTEGER)")
    conn.execute(_derived_facts_view(CONFIDENCE.format("f")))
    conn.execute(_FACTS_VIEW)


@migrations()
def m030_imported_aliases_in_their_index(db: Database) -> None:
    # "Under which aliases is X imported" read every import of X from the log: for ``Any``,
    # imported 2,844 times on the large tree, 154 ms of a hover's "called by". With the alias
    # in the index, the answer comes from the index alone (SQLite reads an indexed
    # expression from the index): 0.2 ms.
    conn = db.conn
    conn.execute("DROP INDEX IF EXISTS observation_log_imported")
    conn.execute(
        f"CREATE INDEX observation_log_imported ON observation_log({IMPORTED_NAME}, {IMPORTED_ALIAS}) "
        f"WHERE predicate_id = {PREDICATE_ID['imports']}"
    )


@migrations()
def m031_bodies_gone_at(db: Database) -> None:
    # A dream looks for where a vanished body went only when some body was retracted
    # before the look in hand. Before, every retraction earlier than the dream was assumed
    # to lie at the cursor's version, so after any dream at all no first look could skip the
    # search, and the read-ahead helper could replay none (a first dream stopped by an edit
    # and resumed lost it for the rest). Now the newest version that retracted a body, as of
    # the cursor, is kept with it. A body is retracted by a negated body_hash observation
    # that no new body of the same symbol replaces in the same look (that one supersedes
    # it): 1.5 s over the large tree's 6.8 M observations, once.
    conn = db.conn
    body = PREDICATE_ID["body_hash"]
    conn.execute("ALTER TABLE dream_cursor ADD COLUMN bodies_gone_at INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "UPDATE dream_cursor SET bodies_gone_at = coalesce((SELECT max(n.version_id) FROM observation_log n "
        f"WHERE n.predicate_id = {body} AND n.negated = 1 AND n.id <= last_observation AND NOT EXISTS ("
        f"SELECT 1 FROM observation_log p WHERE p.subject_id = n.subject_id AND p.predicate_id = {body} "
        "AND p.negated = 0 AND p.version_id = n.version_id)), 0)"
    )


@migrations()
def m032_no_purity_from_stubs(db: Database) -> None:
    # Functions of type stubs (``.pyi``, ``.d.ts``) and overloads were found pure: a stub's
    # ``...`` calls and raises nothing. Dreams no longer say so (promote.py); a memory that holds such facts
    # retracts them at its next dream, which derives every insight again (engine.py, dream/rederive.py).
    db.conn.execute(
        "INSERT OR REPLACE INTO marks (name, value) SELECT 'retract purity of stubs', 'pending' "
        f"WHERE EXISTS (SELECT 1 FROM derived_log WHERE predicate_id = {PREDICATE_ID['pure']})"
    )


@migrations()
def m033_rederive_insights(db: Database) -> None:
    # ``token``, ``session``, ``copy``, ``table``, ``path``, ``schema``, ``query`` and ``cursor``
    # named a category alone (a lexer's get_token, dict.copy, a URL's path, a JSON schema), and
    # ``os.lstat``, ``os.path.exists`` and the like were not file I/O calls. Dreams now say
    # otherwise (promote.py); a memory dreamed before derives every symbol's insights again
    # at its next dream (the mark: dream/rederive.py; its value, the last file done, starts
    # empty).
    _rederive_insights(db)


@migrations()
def m034_constants_and_shared_names(db: Database) -> None:
    # A constant named in capitals made a ``may_handle`` claim by its name alone (FTP_PORT:
    # network, PAGE_EXECUTE_READ: file I/O), every symbol whose name ten call sites name was
    # ``role widely called``, however many scopes define it (``close``, ``get``), and a
    # ``main`` defined inside a function a ``role entry point``. Dreams now say none of it
    # (promote.py); a memory dreamed before derives its insights again at its next dream,
    # as after migration 33.
    _rederive_insights(db)


@migrations()
def m035_verbs_beside_a_file(db: Database) -> None:
    # ``read``, ``write``, ``open`` and ``load`` named file I/O alone (ldap's ``open``, a
    # terminal's ``_write_status``), ``trace``, ``debug``, ``warning`` and ``audit`` logging
    # (a debugger's ``set_trace``, a matrix's trace, a Warning class), and a dunder's words a
    # category (``__dir__``: file I/O), and an ``access_token`` parsing. Now the verbs count
    # beside a file word of the name, docstring or parameters, the logging words beside
    # another, either beside another source; a dunder's name says nothing; a token beside an
    # authentication word is no lexer's (promote.py). Rederived as after migration 33.
    _rederive_insights(db)


@migrations()
def m036_files_extraction(db: Database) -> None:
    # Which extraction read each file: one that observes more (what a function writes) reads
    # again, at the next scan, every file an older one read (0: before this was kept).
    db.execute("ALTER TABLE files ADD COLUMN extraction INTEGER NOT NULL DEFAULT 0")


@migrations()
def m037_a_method_named_set_writes(db: Database) -> None:
    # ``event.set()`` and ``var.set(value)`` were pure calls (as the builtin ``set(items)`` is):
    # rederived as after migration 33 (promote.BARE_ONLY).
    _rederive_insights(db)


@migrations()
def m038_private_names_are_called(db: Database) -> None:
    # ``this.#dispatch()`` was indexed as a call of ``dispatch``; a private method is named
    # ``#dispatch`` now that it is a symbol (extraction 2). The callee index again, or its
    # mark when a first scan left it for later.
    conn = db.conn
    sql = (
        f"CREATE INDEX observation_log_callee ON observation_log({CALLEE_NAME}) "
        f"WHERE predicate_id = {PREDICATE_ID['calls']}"
    )
    mark = INDEX_LATER + "observation_log_callee"
    if conn.execute("SELECT 1 FROM marks WHERE name = ?", (mark,)).fetchone():
        conn.execute("UPDATE marks SET value = ? WHERE name = ?", (sql, mark))
    else:
        conn.execute("DROP INDEX IF EXISTS observation_log_callee")
        conn.execute(sql)


# Every fact's evidence: the rows ``fact_evidence`` stores, and the first evidence of each
# ``tested_by`` fact, which the fact's own row says (its first observation, the test's call:
# ``tests``) unless ``fact_evidence`` holds that row itself (made inactive when the fact was
# retracted). Readers ask this view (or, where a query joins it, the two parts apart: a
# join materializes it); writers write ``fact_evidence``. ``TESTS_FIRST_OWN``: whether a
# tested_by fact's row (``{0}``) says its first evidence.
TESTS_FIRST_OWN = (
    "NOT EXISTS (SELECT 1 FROM fact_evidence x WHERE x.fact_id = {0}.id AND x.observation_id = {0}.first_observation "
    "AND x.why = 'tests' AND x.detail = '')"
)
EVIDENCE_VIEW = (
    "CREATE VIEW evidence AS SELECT fact_id, observation_id, why, detail, active FROM fact_evidence "
    "UNION ALL SELECT d.id, d.first_observation, 'tests', '', 1 FROM derived_log d "
    f"WHERE d.predicate_id = {PREDICATE_ID['tested_by']} AND {TESTS_FIRST_OWN.format('d')}"
)


@migrations()
def m039_a_tested_by_facts_first_evidence_is_its_own(db: Database) -> None:
    # A tested_by fact's one evidence row repeated its first observation (the test's call):
    # 21,494 rows of the standard library's memory, 0.43 MB. Now the fact's row says it
    # (the ``evidence`` view); a retracted fact's row, made inactive, stays.
    db.execute(EVIDENCE_VIEW)
    db.execute(
        "DELETE FROM fact_evidence WHERE why = 'tests' AND detail = '' AND active = 1 AND (fact_id, observation_id) "
        f"IN (SELECT id, first_observation FROM derived_log WHERE predicate_id = {PREDICATE_ID['tested_by']})"
    )


@migrations()
def m040_what_a_test_defines_calls_for_it(db: Database) -> None:
    # A test function's tested_by facts now name what the helpers, classes and methods it
    # defines in its body call (dream/tested.py): the next dream derives every test once.
    db.execute(
        "INSERT OR REPLACE INTO marks (name, value) SELECT 'rederive tested_by', 'pending' "
        f"WHERE EXISTS (SELECT 1 FROM derived_log WHERE predicate_id = {PREDICATE_ID['tested_by']})"
    )


DEPRECATION_PREDICATES = ("deprecated", "deprecates")  # what is deprecated, names a module keeps so
DEPRECATIONS_INDEX = "observation_log_deprecations"


@migrations()
def m041_deprecations_indexed(db: Database) -> None:
    # Which names the memory ever saw deprecated, without reading the whole log: a check
    # looks at the attributes a file reads (``ctx.protected_args``, ``flask.__version__``)
    # only when their name is one of those (Store.deprecated_names). A few rows per project.
    conn = db.conn
    conn.executemany("INSERT OR IGNORE INTO predicates (name) VALUES (?)", [(p,) for p in DEPRECATION_PREDICATES])
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {DEPRECATIONS_INDEX} ON observation_log(subject_id) "
        f"WHERE predicate_id IN ({deprecation_predicate_ids(conn)})"
    )


def deprecation_predicate_ids(conn) -> str:
    """The ids of :data:`DEPRECATION_PREDICATES` in this memory, as the deprecations index
    names them (a query that names them so is answered from it)."""
    marks = ",".join("?" * len(DEPRECATION_PREDICATES))
    ids = conn.execute(f"SELECT id FROM predicates WHERE name IN ({marks}) ORDER BY id", DEPRECATION_PREDICATES)
    return ", ".join(str(i) for (i,) in ids)


GONE_INDEX = "observation_log_gone"


@migrations()
def m042_gone_indexed(db: Database) -> None:
    # Which names the memory saw go (a symbol's kind negated: deleted, renamed, moved), without
    # reading the whole log: a check looks at the attributes a file reads (``@utils.old``,
    # ``except errors.OldError:``) only when their name is one of those (Store.gone_names).
    db.execute(
        f"CREATE INDEX IF NOT EXISTS {GONE_INDEX} ON observation_log(subject_id) "
        f"WHERE predicate_id = {PREDICATE_ID['kind']} AND negated = 1"
    )


def _rederive_insights(db: Database) -> None:
    """Leave the mark that makes the next dream derive every symbol's insights again (when
    the memory holds any: a memory never dreamed has none to correct)."""
    db.conn.execute(
        "INSERT OR REPLACE INTO marks (name, value) SELECT 'rederive insights', '' "
        f"WHERE EXISTS (SELECT 1 FROM derived_log WHERE predicate_id = {PREDICATE_ID['may_handle']})"
    )


SCHEMA_VERSION = len(migrations._migrations)
