"""Writers that wait for the write lock say so, so that a long writer leaves a gap only then.

A long writer (a dream) commits every few seconds and takes the write lock again at once.
A writer that waits meanwhile (an edit in the server, a daemon's batch) is in SQLite's
busy handler, which sleeps between its tries: it would find the lock taken again each
time and give up after the busy timeout. So the long writer leaves the lock free for a
moment after each commit (``WRITERS_GAP``). Most of the time nobody waits, and that
moment is lost: 0.15 s every 3 s, 5 % of a dream.

So each writer holds a shared ``flock`` on ``<memory>.writers`` from just before it asks
for the write lock (``BEGIN IMMEDIATE``) until it has it. The long writer, after a
commit, tries for an exclusive ``flock`` on the same file without waiting: if it cannot
have it, someone waits for the write lock, and it leaves the gap. The kernel drops a
dead process's ``flock``. A writer that begins just after the long writer asked waits
for the next commit (at most ``COMMIT_EVERY``, well within the busy timeout), and is
seen then.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "memory.db")
>>> mine, theirs = Waiters(path), Waiters(path)
>>> mine.anyone()
False
>>> with theirs.announced():
...     mine.anyone()
True
>>> mine.close(); theirs.close()
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # no flock (Windows): nobody can say so, and the gap is always left
    fcntl = None  # type: ignore[assignment]


class Waiters:
    """The writers waiting for the write lock of the memory at ``db_path``."""

    def __init__(self, db_path: str):
        self.path = None if db_path == ":memory:" or fcntl is None else db_path + ".writers"
        self._fd: int | None = None

    def _file(self) -> int | None:
        if self._fd is None and self.path is not None:
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)  # (only ever locked)
            with contextlib.suppress(OSError):  # a read-only folder, a link: see anyone()
                self._fd = os.open(self.path, flags, 0o600)
        return self._fd

    @contextlib.contextmanager
    def announced(self) -> Iterator[None]:
        """Around asking for the write lock: others see that this writer waits."""
        fd = self._file()
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_SH)  # (an exclusive one is only ever held for a moment)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def anyone(self) -> bool:
        """Whether another writer waits for the write lock now (True when it cannot tell)."""
        fd = self._file()
        if fd is None:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
