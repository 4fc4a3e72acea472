"""Python's full garbage collections, moved to moments when the server is quiet.

A server on a large tree holds a million Python objects (what the resolver read of
each file, the open documents). Python's full collection looks at every one of them:
100 - 200 ms holding the GIL, at whatever moment enough new objects have piled up,
in the middle of a hover as often as not (issue 13: hover p99 <= 10 ms). Here:

* the full collection waits for many more younger ones than Python's default
  (:data:`OLDEST_AFTER`), so it hardly ever comes on its own;
* once the server has had no message for :data:`QUIET` seconds, a collection runs
  and what survives it is frozen (``gc.freeze``): later collections, automatic or
  not, look only at what came after;
* every :data:`THAW_EVERY` seconds at most, that quiet collection starts by thawing
  everything, so that cycles among frozen objects are freed too.

An idle server does nothing: it collects only after messages came in.

A batch job that makes many short-lived, acyclic objects (a scan's writer, a dream)
turns the automatic collector off while it runs instead (:func:`paused`).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET = 1.0  # seconds without a message before collecting
THAW_EVERY = 300.0  # seconds between two collections of everything, frozen objects too
OLDEST_AFTER = 1000  # collections of the middle generation before a full one (Python's default: 10)


class QuietCollector:
    def __init__(self, quiet: float = QUIET, thaw_every: float = THAW_EVERY):
        self.quiet = quiet
        self.thaw_every = thaw_every
        self._last_message = time.monotonic()
        self._thawed_at = time.monotonic()
        self._pending = False  # messages came in since the last collection
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Collect from now on when quiet (on the running event loop)."""
        if self._task is None:
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, OLDEST_AFTER)
            self._task = asyncio.ensure_future(self._run())

    def message(self) -> None:
        """A message came in: the server is busy."""
        self._last_message = time.monotonic()
        self._pending = True

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.quiet)
            if self._pending and time.monotonic() - self._last_message >= self.quiet:
                self.collect()

    def collect(self) -> None:
        self._pending = False
        if time.monotonic() - self._thawed_at >= self.thaw_every:
            gc.unfreeze()
            self._thawed_at = time.monotonic()
        gc.collect()
        gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside; the collector as it was after.

    For work that allocates and frees objects by the hundred thousand, none in cycles
    (reference counting frees them): the collector would look at them, and at everything
    long-lived, again and again for nothing. Cycles made inside are collected later.

    >>> with paused():
    ...     gc.isenabled()
    False
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
