"""Deriving every symbol's insights and summary again, by the rules of today.

When the rules of ``promote.py`` change (a word that no longer names a category alone, a
call that now does), a memory dreamed before keeps what the old rules said about a file
until the file changes. The migration that comes with such a change leaves the mark
:data:`MARK`; the next dream derives every live symbol again, file by file, from the facts
the memory holds (what the dreams consolidated), as replaying the file's latest look does:
what the rules say now is created or judged again, what they no longer say is retracted
(its history kept), a user's verdict still holds. The mark's value is the last file done,
so a dream stopped or killed midway goes on from there the next time.

>>> for _ in rederive(store.facts, counts, callers, now()):  # doctest: +SKIP
...     transaction.commit()
...     if should_stop():
...         break
...     transaction.begin()
"""

from __future__ import annotations

from collections.abc import Iterator

from kairos_lsp.dream.model import Counts, Version
from kairos_lsp.dream.replay import derive_all
from kairos_lsp.dream.state import State, definers_lookup
from kairos_lsp.dream.summary import Lookup
from kairos_lsp.keys import module_of
from kairos_lsp.store.facts import Facts

MARK = "rederive insights"  # the mark a migration leaves (its value: the last file done)
FILES = 500  # files per chunk: the caller commits after each


def rederive(facts: Facts, counts: Counts, callers: Lookup, when: str, chunk: int | None = None) -> Iterator[int]:
    """Derive the insights and summaries of every file's live symbols again, ``chunk``
    files at a time: yields how many files after each (the caller commits, and may stop:
    the mark says where to go on), the mark removed with the last (``chunk``: default
    :data:`FILES`). Facts created or retracted are stamped ``when``."""
    chunk = chunk or FILES
    done = facts.mark_value(MARK) or ""
    files = sorted({module_of(key) for key in facts.symbol_keys()} - {""})
    files = [prefix for prefix in files if prefix > done]
    # Claude's answers count as of the last look consolidated, as in a replay of that look
    cursor = facts.cursor()
    version = Version((facts.version_of(cursor) or 0) if cursor else 0, "", None, "rederive", when)
    definers = definers_lookup(facts)
    for start in range(0, len(files), chunk):
        group = files[start : start + chunk]
        state = State(facts, counts, definers=definers)
        state.version_id = version.id
        for prefix in group:
            state.load(prefix)
            if state.live:
                derive_all(state, callers, version, sorted(state.live))
                state.flush()
        if start + chunk < len(files):
            facts.set_mark(MARK, group[-1])
        else:
            facts.take_mark(MARK)  # with the last chunk: a kill before means that chunk again
        yield len(group)
    if not files:
        facts.take_mark(MARK)
