"""Checkpoints of the memory's write-ahead log, kept clear of SQLite's WAL-reset bug.

SQLite 3.7.0 – 3.51.2 (all but the 3.44.6 and 3.50.7 backports) has a race between a
checkpoint and a writer that restarts the WAL (https://sqlite.org/wal.html#walresetbug,
fixed in 3.51.3): the checkpoint can then copy or skip the wrong frames, and a database
that several connections write at once is corrupted. A memory is written that way: the
server's threads, the daemon, a dream, ``kairos run`` and the CLI. With such a SQLite (the
one Python links: 3.40.1 on the development machine), no connection of kairos checkpoints
on its own (``wal_autocheckpoint = 0``): :meth:`Checkpoints.run` copies the WAL into the
database file only while a second connection holds the write lock, so that no writer can
restart the WAL meanwhile; when a writer holds it, the checkpoint waits for a later
commit. The last connection to close still checkpoints and removes the WAL, as SQLite
does: no other connection has the file open then.

>>> checkpoints = Checkpoints(conn, "memory.db")     # doctest: +SKIP
>>> checkpoints.committed()  # after each COMMIT     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from time import monotonic

FIXED_IN = (3, 51, 3)
BACKPORTS = {(3, 44): (3, 44, 6), (3, 50): (3, 50, 7)}  # fixed releases of older lines
EVERY = 5.0  # seconds between checkpoints after commits (SQLite's own: every 1,000 pages of WAL)
BULK_EVERY = 30.0  # the same during a long writer's bulk writes (a scan: a few in all)


def wal_reset_bug(version: str = sqlite3.sqlite_version) -> bool:
    """Whether SQLite ``version`` has the WAL-reset bug.

    >>> wal_reset_bug("3.40.1"), wal_reset_bug("3.50.7"), wal_reset_bug("3.51.2"), wal_reset_bug("3.53.0")
    (True, False, True, False)
    """
    major, minor, patch = (int(part) for part in (version.split(".") + ["0", "0"])[:3])
    release = (major, minor, patch)
    if release < (3, 7, 0) or release >= FIXED_IN:
        return False
    backport = BACKPORTS.get((major, minor))
    return backport is None or release < backport


def warning(version: str = sqlite3.sqlite_version) -> str | None:
    """One line for the user when this SQLite has the bug; None when it does not."""
    if not wal_reset_bug(version):
        return None
    return (
        f"SQLite {version}, which this Python uses, has the WAL-reset bug (sqlite.org/wal.html#walresetbug): "
        "kairos checkpoints only under the write lock to stay clear of it; a Python built with "
        "SQLite 3.51.3 or later removes the risk"
    )


class Checkpoints:
    """When one connection of a memory checkpoints its WAL (see the module docstring).

    ``guarded`` (default: this SQLite has the bug): SQLite's automatic checkpoints are off
    on the connection and :meth:`committed` runs :meth:`run` at most every :attr:`every`
    seconds; otherwise SQLite's own automatic checkpoints go on as they are set.
    """

    def __init__(self, conn: sqlite3.Connection, path: str, guarded: bool | None = None):
        self.guarded = wal_reset_bug() if guarded is None else guarded
        self.every: float | None = EVERY  # None: none until it is set again (a dream)
        self._conn = conn
        # the same file if the process changes its folder later; never created by the guard
        self._uri = Path(os.path.abspath(path)).as_uri() + "?mode=rw"
        self._last = monotonic()
        if self.guarded:
            conn.execute("PRAGMA wal_autocheckpoint = 0")

    def committed(self) -> None:
        """After a commit: a checkpoint, when one is due."""
        if self.guarded and self.every is not None and monotonic() - self._last >= self.every:
            self.run()

    def run(self) -> bool:
        """Copy the WAL into the database file now, as far as readers allow; False when it
        could not (another writer holds the lock, or another checkpoint runs). Not within a
        transaction of this connection."""
        self._last = monotonic()
        if not self.guarded:
            return not self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0]
        # A connection of its own for the lock, opened for this checkpoint only (no descriptor
        # kept between them), that never waits: a writer at work means a later commit does it.
        try:
            guard = sqlite3.connect(self._uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False)
        except sqlite3.OperationalError:  # the file is gone (moved aside): nothing to guard
            return False
        try:
            try:
                guard.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return False
            try:
                return not self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0]
            except sqlite3.OperationalError:
                return False
            finally:
                guard.execute("ROLLBACK")
        finally:
            guard.close()

    def finish(self) -> None:
        """The end of a long writer's work: checkpoint, and give the WAL's disk space back
        when nothing is left in it (unguarded: a TRUNCATE checkpoint that never waits for a
        reader; guarded: the next writer starts the WAL over, cut to the journal size limit,
        and the last connection to close removes it). A full disk raises: what was written is
        in the WAL whatever happens here."""
        if self.guarded:
            self.run()
            return
        conn = self._conn
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if not busy and frames == copied:
            timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")

    @contextlib.contextmanager
    def every_pages(self, pages: int) -> Iterator[None]:
        """Meanwhile, a checkpoint every ``pages`` pages of WAL (0: none): SQLite's own
        setting, or when guarded, one every :data:`BULK_EVERY` seconds (or none)."""
        if self.guarded:
            every, self.every = self.every, (BULK_EVERY if pages else None)
            try:
                yield
            finally:
                self.every = every
            return
        before = self._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self._conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
        try:
            yield
        finally:
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")
