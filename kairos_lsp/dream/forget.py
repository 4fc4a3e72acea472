"""Forget: the user asks the memory to drop what it holds about a symbol or a file.

This is the one place where rows are deleted, because the user asked: the
observations, facts, evidence, Claude's summaries and the symbol rows go
(:meth:`Store.forget` deletes them; this module holds the dream lock meanwhile). The
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

_LOCK_WAIT = 30.0  # seconds to wait for a running dream to finish its batch


def forget(store: Store, target: str) -> dict[str, int]:
    """Delete a symbol (by key, with its members) or a file (by path) from the memory."""
    with _dream_lock(store):
        subjects, path = store.subjects_to_forget(target)
        return store.forget(subjects, path, links=(*GONE_TO, *CAME_FROM))


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
