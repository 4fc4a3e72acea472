"""Deleting what the user asked the memory to forget (see kairos_lsp/dream/forget.py):
the one place where rows are deleted. Called by :meth:`Store.forget`, in its transaction."""

from __future__ import annotations

import sqlite3

from kairos_lsp.store import current
from kairos_lsp.store.migrations import CALLEE_NAME, PREDICATE_ID


def subjects_of_file(conn: sqlite3.Connection, path: str) -> set[str]:
    """Every subject any look at ``path`` saw."""
    rows = conn.execute(
        "SELECT DISTINCT o.subject FROM versions v JOIN observations o ON o.version_id = v.id WHERE v.path = ?", (path,)
    )
    return {r[0] for r in rows}


def subjects_under(conn: sqlite3.Connection, key: str) -> set[str]:
    """The symbol ``key`` and its members ("Cls.m"), as observed or as facts."""
    rows = conn.execute(
        "SELECT text FROM names WHERE (text = ? OR (text > ? AND text < ?)) "
        "AND EXISTS (SELECT 1 FROM observation_log WHERE subject_id = names.id) "
        "UNION SELECT DISTINCT subject FROM facts WHERE subject = ?",
        (key, key + ".", key + "/", key),
    )
    return {r[0] for r in rows}


def looked_at(conn: sqlite3.Connection, path: str) -> bool:
    """Whether any look at ``path`` was recorded."""
    return conn.execute("SELECT 1 FROM versions WHERE path = ? LIMIT 1", (path,)).fetchone() is not None


def delete(conn: sqlite3.Connection, subjects: list[str], path: str | None, links: tuple[str, ...]) -> dict[str, int]:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_subjects (subject TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM forget_subjects")
    conn.executemany("INSERT OR IGNORE INTO forget_subjects VALUES (?)", [(s,) for s in subjects])
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_observations (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM forget_observations")
    conn.execute(
        "INSERT INTO forget_observations SELECT id FROM observations "
        "WHERE subject IN (SELECT subject FROM forget_subjects)"
    )
    _uncount_callers(conn)
    # Facts live in two tables (see the ``facts`` view): observed facts under their
    # first observation, every other fact with its own subject.
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_facts (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM forget_facts")
    conn.execute(
        "INSERT INTO forget_facts SELECT id FROM observed_facts "
        "WHERE first_observation IN (SELECT id FROM forget_observations) "
        "UNION ALL SELECT id FROM derived_facts WHERE subject IN (SELECT subject FROM forget_subjects)"
    )
    facts = conn.execute("SELECT count(*) FROM forget_facts").fetchone()[0]
    observations = conn.execute("SELECT count(*) FROM forget_observations").fetchone()[0]
    conn.execute(
        "DELETE FROM fact_evidence WHERE fact_id IN (SELECT id FROM forget_facts) "
        "OR observation_id IN (SELECT id FROM forget_observations)"
    )
    for table in ("observed_changes", "derived_log"):  # an observed fact replaced by another has a change row
        conn.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by IN (SELECT id FROM forget_facts)")
    # the view's trigger takes each out of its run (see migrations.m014_observed_runs)
    conn.execute("DELETE FROM observed_facts WHERE first_observation IN (SELECT id FROM forget_observations)")
    conn.execute(
        "DELETE FROM derived_log WHERE subject_id IN "
        "(SELECT n.id FROM names n JOIN forget_subjects f ON f.subject = n.text)"
    )
    marks = ",".join("?" * len(links))
    conn.execute(
        f"DELETE FROM derived_log WHERE predicate_id IN (SELECT id FROM predicates WHERE name IN ({marks})) "
        "AND object IN (SELECT subject FROM forget_subjects)",
        links,
    )
    conn.execute(
        "DELETE FROM observed_facts WHERE first_observation IN (SELECT id FROM observations "
        f"WHERE predicate IN ({marks}) AND object IN (SELECT subject FROM forget_subjects))",
        links,
    )
    # the files that asserted a forgotten observation keep the rest of what they assert
    forgotten = {row[0] for row in conn.execute("SELECT id FROM forget_observations")}
    for (path_id,) in conn.execute(
        "SELECT DISTINCT n.id FROM forget_observations f JOIN observation_log o ON o.id = f.id "
        "JOIN versions v ON v.id = o.version_id JOIN names n ON n.text = v.path"
    ).fetchall():
        now = current.ids_of(conn, path_id)
        if forgotten.intersection(now):
            current.replace(conn, path_id, set(now) - forgotten)
    conn.execute("DELETE FROM observation_log WHERE id IN (SELECT id FROM forget_observations)")
    conn.execute(
        "DELETE FROM symbol_rows WHERE subject_id IN "
        "(SELECT n.id FROM names n JOIN forget_subjects f ON f.subject = n.text)"
    )
    # Claude's summaries of the forgotten symbols, and what the user looked at
    conn.execute("DELETE FROM claude_summaries WHERE subject IN (SELECT subject FROM forget_subjects)")
    conn.execute("DELETE FROM attention WHERE subject IN (SELECT subject FROM forget_subjects)")
    files = 0
    if path is not None:
        files = conn.execute("DELETE FROM files WHERE path = ?", (path,)).rowcount
        conn.execute("DELETE FROM current_runs WHERE path_id = (SELECT id FROM names WHERE text = ?)", (path,))
        conn.execute(
            "DELETE FROM versions WHERE path = ? AND id NOT IN (SELECT DISTINCT version_id FROM observation_log)",
            (path,),
        )
    # What forgotten tests depended on, and what depended on the forgotten file.
    conn.execute(
        "DELETE FROM dependency_ids WHERE unit_id IN "
        "(SELECT n.id FROM names n JOIN forget_subjects f ON f.subject = n.text) "
        "OR name_id = (SELECT id FROM names WHERE text = 'file:' || ?)",
        (path,),
    )
    conn.execute(
        "DELETE FROM names WHERE text = 'file:' || ? "
        "AND NOT EXISTS (SELECT 1 FROM dependency_ids WHERE name_id = names.id)",
        (path,),
    )
    # The keys (and the path) themselves, once nothing refers to them: forgotten means gone.
    conn.execute(
        "DELETE FROM names WHERE (text IN (SELECT subject FROM forget_subjects) OR text = ?) "
        "AND NOT EXISTS (SELECT 1 FROM observation_log WHERE subject_id = names.id) "
        "AND NOT EXISTS (SELECT 1 FROM derived_log WHERE subject_id = names.id) "
        f"AND NOT EXISTS (SELECT 1 FROM derived_log WHERE predicate_id = {PREDICATE_ID['tested_by']} "
        "AND object = CAST(names.id AS TEXT)) "  # a test a tested_by fact names (its id: schema 23)
        "AND NOT EXISTS (SELECT 1 FROM current_runs WHERE path_id = names.id) "
        "AND NOT EXISTS (SELECT 1 FROM symbol_rows WHERE subject_id = names.id OR path_id = names.id)",
        (path,),
    )
    return {"subjects": len(subjects), "observations": observations, "facts": facts, "files": files}


def _uncount_callers(conn: sqlite3.Connection) -> None:
    """Consolidated call sites that go away no longer count towards "widely called"."""
    cursor = conn.execute("SELECT last_observation FROM dream_cursor WHERE id = 1").fetchone()
    if cursor is None:
        return
    for name, count in conn.execute(
        f"SELECT {CALLEE_NAME}, count(*) FROM observation_log WHERE predicate_id = {PREDICATE_ID['calls']} AND id <= ? "
        "AND id IN (SELECT id FROM forget_observations) AND negated = 0 "
        "AND id IN (SELECT observation_id FROM current) GROUP BY 1",
        (cursor[0],),
    ).fetchall():
        conn.execute("UPDATE dream_callees SET callers = max(0, callers - ?) WHERE name = ?", (count, name))
