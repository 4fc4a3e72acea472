"""A user's confirm / reject of a fact, stored as an observation with source ``user``."""

from __future__ import annotations

from kairos_lsp.store import Store


def record_verdict(store: Store, fact, confirm: bool, apply: bool = True) -> int:
    """Record a verdict on ``fact`` (a fact id, or a (subject, predicate, value) triple).

    Appends a version (source ``user``, the file's current content hash) and one
    observation: positive to confirm, negated to reject. With ``apply`` a short
    dream runs right away so the verdict takes effect (if another process is
    dreaming, that dream picks it up). Returns the observation id.
    """
    if isinstance(fact, int):
        triple = store.facts.triple(fact)
        if triple is None:
            raise KeyError(f"no fact {fact}")
        subject, predicate, value = triple
    else:
        subject, predicate, value = fact
    oid = store.record_verdict(subject, predicate, value, confirm)
    if apply:
        from kairos_lsp.dream.engine import dream

        dream(store, trigger="verdict")
    return oid
