"""What the latest look at each file asserts (the ``current`` view), kept as runs of
consecutive observation ids per file (``current_runs``). Writers replace a file's runs
in their write transaction::

    replace(conn, path_id, [17, 18, 19, 25])   # runs 17..19 and 25..25
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """``[(first, last)]`` of the consecutive stretches of ``ids``.

    >>> runs([3, 1, 2, 7, 9, 8, 12])
    [(1, 3), (7, 9), (12, 12)]
    """
    found: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if found and found[-1][1] + 1 == i:
            found[-1] = (found[-1][0], i)
        else:
            found.append((i, i))
    return found


def replace(conn: sqlite3.Connection, path_id: int, ids: Iterable[int]) -> None:
    """The file ``path_id``'s current observations are now ``ids``."""
    replace_runs(conn, path_id, runs(ids))


def replace_runs(conn: sqlite3.Connection, path_id: int, runs_of_ids: list[tuple[int, int]]) -> None:
    """The file ``path_id``'s current observations are now the runs ``[(first, last)]``."""
    conn.execute("DELETE FROM current_runs WHERE path_id = ?", (path_id,))
    conn.executemany(
        "INSERT INTO current_runs (path_id, first_observation, last_observation) VALUES (?, ?, ?)",
        [(path_id, first, last) for first, last in runs_of_ids],
    )


def ids_of(conn: sqlite3.Connection, path_id: int) -> list[int]:
    """The file ``path_id``'s current observations (those still in the log)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT o.id FROM current_runs r JOIN observation_log o "
            "ON o.id BETWEEN r.first_observation AND r.last_observation WHERE r.path_id = ? ORDER BY 1",
            (path_id,),
        )
    ]


def count(conn: sqlite3.Connection) -> int:
    """How many observations are current (every id of a run is in the log: forgetting one
    replaces its file's runs)."""
    sql = "SELECT coalesce(sum(last_observation - first_observation + 1), 0) FROM current_runs"
    return conn.execute(sql).fetchone()[0]
