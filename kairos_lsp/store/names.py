"""Ids for what the memory repeats: subject keys and paths (``names``), predicates, and
the times derived facts begin and end (``stamps``).

The log and the derived facts hold ids; the ``observations``, ``current`` and
``derived_facts`` views show the text again. Writers ask here, in their write
transaction::

    ids = name_ids(conn, {"python:a.py:f", "a.py"})
    predicate = predicates.ids(conn, {"calls"})["calls"]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from kairos_lsp.store.migrations import PREDICATE_ID

_CHUNK = 500


def name_ids(conn: sqlite3.Connection, texts: Iterable[str]) -> dict[str, int]:
    """``{text: id}``, the new ones added to ``names``. Not cached across transactions:
    forgetting deletes names, and another process may add them."""
    return _ids(conn, "names", "text", texts)


def kind_ids(conn: sqlite3.Connection, kinds: Iterable[str]) -> dict[str, int]:
    """``{kind: id}`` of symbols' kinds (``function``, ``class``...), the new ones added."""
    return _ids(conn, "kinds", "name", kinds)


def origin_ids(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, int]:
    """``{origin: id}`` of derived facts' origins (``insight``, ``user``...), the new ones added."""
    return _ids(conn, "origins", "name", names)


def stamp_ids(conn: sqlite3.Connection, times: Iterable[str]) -> dict[str, int]:
    """``{time: id}`` of times (ISO text) in ``stamps``, the new ones added."""
    return _ids(conn, "stamps", "at", times)


def _ids(conn: sqlite3.Connection, table: str, column: str, texts: Iterable[str]) -> dict[str, int]:
    wanted = list(dict.fromkeys(texts))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        ids.update(conn.execute(f"SELECT {column}, id FROM {table} WHERE {column} IN ({marks})", chunk))
    new = [text for text in wanted if text not in ids]
    if new:  # under the write lock: the ids are ours
        first = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
        conn.executemany(
            f"INSERT INTO {table} (id, {column}) VALUES (?, ?)", [(first + i, t) for i, t in enumerate(new)]
        )
        ids.update((text, first + i) for i, text in enumerate(new))
    return ids


class Predicates:
    """Predicate ids of one memory, kept once known: predicates are never deleted, and
    those of :data:`PREDICATE_ID` have the same id in every memory."""

    def __init__(self) -> None:
        self._known = dict(PREDICATE_ID)
        self._names = {i: name for name, i in PREDICATE_ID.items()}

    def names(self, conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, str]:
        """``{id: name}``, all of them when one of ``ids`` was not known yet."""
        if any(i not in self._names for i in ids):
            self._names.update(conn.execute("SELECT id, name FROM predicates"))
        return self._names

    def ids(self, conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, int]:
        known = self._known
        for name in names:
            if name not in known:
                conn.execute("INSERT OR IGNORE INTO predicates (name) VALUES (?)", (name,))
                known[name] = conn.execute("SELECT id FROM predicates WHERE name = ?", (name,)).fetchone()[0]
        return known
