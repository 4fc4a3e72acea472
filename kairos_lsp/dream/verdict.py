"""A user's confirm / reject of a fact, stored as an observation with source ``user``."""

from __future__ import annotations

from kairos_lsp.keys import path_of
from kairos_lsp.store import Store, now


def record_verdict(store: Store, fact, confirm: bool, apply: bool = True) -> int:
    """Record a verdict on ``fact`` (a fact id, or a (subject, predicate, value) triple).

    Appends a version (source ``user``, the file's current content hash) and one
    observation: positive to confirm, negated to reject. With ``apply`` a short
    dream runs right away so the verdict takes effect (if another process is
    dreaming, that dream picks it up). Returns the observation id.
    """
    if isinstance(fact, int):
        row = store.db.execute("SELECT subject, predicate, object FROM facts WHERE id = ?", (fact,)).fetchone()
        if row is None:
            raise KeyError(f"no fact {fact}")
        subject, predicate, value = row
    else:
        subject, predicate, value = fact
    symbol = store.symbol(subject)
    path = symbol["path"] if symbol else path_of(subject)
    known = store.file(path)
    with store._write() as conn:
        version = conn.execute(
            "INSERT INTO versions (path, content_hash, source, observed_at) VALUES (?, ?, 'user', ?)",
            (path, known["content_hash"] if known else None, now())).lastrowid
        oid = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM observations").fetchone()[0]
        conn.execute("INSERT INTO observations (id, subject, predicate, object, negated, version_id) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (oid, subject, predicate, value, 0 if confirm else 1, version))
    if apply:
        from kairos_lsp.dream.engine import dream
        dream(store, trigger="verdict")
    return oid
