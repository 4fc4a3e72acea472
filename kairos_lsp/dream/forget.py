"""Forget: the user asks the memory to drop what it holds about a symbol or a file.

This is the one place where rows are deleted, because the user asked: the
observations, facts, evidence, cached summaries and the symbol rows go. The
code itself is not touched, so a file the memory still watches is learned
again the next time it is read (keep it out with ``exclude``).

>>> forget(store, "python:src/auth.py:Session.login")   # doctest: +SKIP
{'subjects': 1, 'observations': 12, 'facts': 14, 'files': 0}
"""

from __future__ import annotations

import time

from kairos_lsp.dream.lock import lock_for
from kairos_lsp.dream.model import CAME_FROM, GONE_TO
from kairos_lsp.store import Store
from kairos_lsp.store.migrations import CALLEE_NAME

_LOCK_WAIT = 30.0  # seconds to wait for a running dream to finish its batch


def forget(store: Store, target: str) -> dict[str, int]:
    """Delete a symbol (by key, with its members) or a file (by path) from the memory."""
    with _dream_lock(store):
        subjects, path = _subjects(store, target)
        with store._write() as conn:
            counts = _delete(conn, sorted(subjects), path)
        store._recent.pop(path, None) if path else store._recent.clear()
        return counts


def _subjects(store: Store, target: str) -> tuple[set[str], str | None]:
    if store.file(target) is not None or _observed_path(store, target):
        rows = store.db.execute(
            "SELECT DISTINCT o.subject FROM versions v JOIN observations o ON o.version_id = v.id "
            "WHERE v.path = ?", (target,))
        return {r[0] for r in rows}, target
    rows = store.db.execute(
        "SELECT DISTINCT subject FROM observations WHERE subject = ? OR (subject > ? AND subject < ?) "
        "UNION SELECT DISTINCT subject FROM facts WHERE subject = ?",
        (target, target + ".", target + "/", target))  # the key and its members ("Cls.m")
    return {r[0] for r in rows}, None


def _observed_path(store: Store, path: str) -> bool:
    return store.db.execute("SELECT 1 FROM versions WHERE path = ? LIMIT 1", (path,)).fetchone() is not None


def _delete(conn, subjects: list[str], path: str | None) -> dict[str, int]:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_subjects (subject TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM forget_subjects")
    conn.executemany("INSERT OR IGNORE INTO forget_subjects VALUES (?)", [(s,) for s in subjects])
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_observations (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM forget_observations")
    conn.execute("INSERT INTO forget_observations SELECT id FROM observations "
                 "WHERE subject IN (SELECT subject FROM forget_subjects)")
    _uncount_callers(conn)
    bodies = [r[0] for r in conn.execute(
        "SELECT DISTINCT object FROM observations WHERE predicate = 'body_hash' "
        "AND id IN (SELECT id FROM forget_observations)")]
    # Facts live in two tables (see the ``facts`` view): observed facts under their
    # first observation, every other fact with its own subject.
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_facts (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM forget_facts")
    conn.execute("INSERT INTO forget_facts SELECT id FROM observed_facts "
                 "WHERE first_observation IN (SELECT id FROM forget_observations) "
                 "UNION ALL SELECT id FROM derived_facts WHERE subject IN (SELECT subject FROM forget_subjects)")
    facts = conn.execute("SELECT count(*) FROM forget_facts").fetchone()[0]
    observations = conn.execute("SELECT count(*) FROM forget_observations").fetchone()[0]
    conn.execute("DELETE FROM fact_evidence WHERE fact_id IN (SELECT id FROM forget_facts) "
                 "OR observation_id IN (SELECT id FROM forget_observations)")
    for table in ("observed_facts", "derived_facts"):
        conn.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by IN "
                     "(SELECT id FROM forget_facts)")
    conn.execute("DELETE FROM observed_facts WHERE first_observation IN (SELECT id FROM forget_observations)")
    conn.execute("DELETE FROM derived_facts WHERE subject IN (SELECT subject FROM forget_subjects)")
    links = (*GONE_TO, *CAME_FROM)
    marks = ','.join('?' * len(links))
    conn.execute(f"DELETE FROM derived_facts WHERE predicate IN ({marks}) "
                 "AND object IN (SELECT subject FROM forget_subjects)", links)
    conn.execute("DELETE FROM observed_facts WHERE first_observation IN (SELECT id FROM observations "
                 f"WHERE predicate IN ({marks}) AND object IN (SELECT subject FROM forget_subjects))", links)
    conn.execute("DELETE FROM current WHERE observation_id IN (SELECT id FROM forget_observations)")
    conn.execute("DELETE FROM observations WHERE id IN (SELECT id FROM forget_observations)")
    conn.execute("DELETE FROM symbols WHERE key IN (SELECT subject FROM forget_subjects)")
    for body in bodies:  # summaries derived from the forgotten code
        conn.execute("DELETE FROM summary_cache WHERE body_key = ? OR body_key LIKE ?", (body, body + "%"))
    files = 0
    if path is not None:
        files = conn.execute("DELETE FROM files WHERE path = ?", (path,)).rowcount
        conn.execute("DELETE FROM current WHERE path = ?", (path,))
        conn.execute("DELETE FROM versions WHERE path = ? AND id NOT IN "
                     "(SELECT DISTINCT version_id FROM observations)", (path,))
    return {"subjects": len(subjects), "observations": observations, "facts": facts, "files": files}


def _uncount_callers(conn) -> None:
    """Consolidated call sites that go away no longer count towards "widely called"."""
    cursor = conn.execute("SELECT last_observation FROM dream_cursor WHERE id = 1").fetchone()
    if cursor is None:
        return
    for name, count in conn.execute(
            f"SELECT {CALLEE_NAME}, count(*) FROM observations WHERE predicate = 'calls' AND id <= ? "
            "AND id IN (SELECT id FROM forget_observations) AND negated = 0 "
            "AND id IN (SELECT observation_id FROM current) GROUP BY 1", (cursor[0],)).fetchall():
        conn.execute("UPDATE dream_callees SET callers = max(0, callers - ?) WHERE name = ?", (count, name))


class _dream_lock:
    """Hold the dream lock, waiting for a running dream to let go."""

    def __init__(self, store: Store):
        self.lock = lock_for(store)

    def __enter__(self):
        deadline = time.monotonic() + _LOCK_WAIT
        while not self.lock.acquire():
            if time.monotonic() > deadline:
                raise TimeoutError("a dream is running; try again when it ends")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.lock.release()
