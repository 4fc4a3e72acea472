"""One dreamer per store: an exclusive ``flock`` on a file next to the database.

The kernel drops the lock when the holding process dies, so a crash never
leaves the store locked. A second dreamer (another process, or another Store
object in this process) does not wait: :meth:`DreamLock.acquire` returns False.
In-memory stores share a process-wide lock per Store object instead.
"""

from __future__ import annotations

import fcntl
import os
import threading

_memory_locks: dict[int, threading.Lock] = {}
_memory_guard = threading.Lock()


class DreamLock:
    def __init__(self, db_path: str, key: int = 0):
        self.db_path = db_path
        self.path = None if db_path == ":memory:" else db_path + ".dream.lock"
        self._key = key
        self._fd: int | None = None
        self._thread_lock: threading.Lock | None = None

    def acquire(self) -> bool:
        if self.path is None:
            with _memory_guard:
                lock = _memory_locks.setdefault(self._key, threading.Lock())
            if not lock.acquire(blocking=False):
                return False
            self._thread_lock = lock
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # for a curious user; the flock is what counts
        except BaseException:  # a full disk (ENOSPC), say: never keep the lock or the descriptor
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._thread_lock is not None:
            self._thread_lock.release()
            self._thread_lock = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_for(store) -> DreamLock:
    return DreamLock(store.path, id(store))
