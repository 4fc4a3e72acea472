"""When to dream: after ``idleSeconds`` without an edit, off the event loop.

>>> dreamer = IdleDreamer(store_file, idle_seconds=30, log=print)   # doctest: +SKIP
>>> dreamer.touch()            # an edit arrived: the idle clock restarts   # doctest: +SKIP
>>> await dreamer.dream_now()  # kairos.dreamNow                     # doctest: +SKIP

The dream itself runs in a worker process (its own connection, its own
interpreter): a full dream is seconds of Python work, and on a thread of the
server it would hold the GIL against every hover (measured: hover p99 170 ms
during a full dream on the standard library). One *dream thread* hands
dreams to that process and waits, and runs the short jobs (verdicts, forget)
itself, so everything that writes facts is serialised. An idle dream stops
between batches as soon as another edit arrives (the next idle dream resumes
at the cursor); a dream asked for by a command runs to the end. Methods other
than the dream itself are called on the event loop thread.

The server's process family stays within issue 13's 300 MB on the large tree (the
interpreter's whole library folder, 2.6 M observations) while it dreams, and small after:

* a dream gets what the server leaves of :data:`FAMILY_BYTES` (less a margin for what
  grows between two looks, at least :data:`LEAST_SHARE`): the dream's worker with its
  children stops between two batches once they hold more, and a new worker resumes at the
  cursor (a stopped dream resumes exactly: the facts are the same, tests compare them). What a
  long dream grows is mostly Python's heap held in part-used arenas, not live objects (16 of
  122 MB at the end of the large tree's first dream): a new interpreter starts without it;
* with a share of :data:`HELPER_FROM` or more it takes the read-ahead helper (ahead.py),
  as ``kairos dream`` does: the large tree's first dream beside the server took 30.0 s
  alone, 19.5 s with it (its family then peaked at 319 MB, before the share). Past the
  share the helper ends first and the dream goes on alone: a resumed dream is no longer a
  first dream (it looks call-site counts and dependencies up in the memory: the large
  tree's later parts took 2.5 times as long per observation), so a new worker is the
  last resort;
* the worker is a :class:`~kairos_lsp.workers.Child` (a new interpreter spoken to over
  pipes), not a process pool's: a pool needs a fork server, and multiprocessing's resource
  tracker comes with it; both stayed beside the server all its life (26 MB);
* a worker that has read ``RECYCLE_AFTER`` observations or more ends after its dream
  (Python keeps what a large dream allocated: 121 MB held while idle). The next dream
  starts a new one, in a fraction of a second; a small dream keeps the worker, so an
  edit's dream pays no start;
* a worker no dream used for ``WORKER_IDLE`` seconds ends too: after an edit's dream on
  the large tree the family was 4 processes, 132 MB, 34 of them the idle worker.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.dream.engine import DreamReport, dream, due
from kairos_lsp.store import Store
from kairos_lsp.workers import Child, ChildFailed, ChildGone, CodeChanged, family_resident, resident

FAMILY_BYTES = 300 << 20  # issue 13's bound on the server's process family (see the module docstring)
MARGIN = 32 << 20  # what a dream's family may grow between two looks at it (a batch), and the server meanwhile
# A dream's share however large the server is: what the large tree's first dream grows to alone
# (136 - 143 MB). With 96 MB it ran in 26 parts and took 54 s, against 30 s in one.
LEAST_SHARE = 160 << 20
HELPER_FROM = 160 << 20  # a share from which the dream takes the read-ahead helper
RECYCLE_AFTER = 20_000  # observations read: the worker ends after such a dream (see the module docstring)
WORKER_IDLE = 120.0  # seconds without a dream: the worker ends (see the module docstring)


class IdleDreamer:
    def __init__(
        self,
        store_file: str | Path,
        idle_seconds: float,
        log: Callable[[str, str], None],
        busy: Callable[[], bool] = lambda: False,
        on_dreamed: Callable[[DreamReport], None] = lambda report: None,
        llm: Settings | None = None,
        root: str | Path | None = None,
        worker_idle: float = WORKER_IDLE,
        family_bytes: int = FAMILY_BYTES,
    ):
        self.store_file = store_file
        self.worker_idle = worker_idle
        self.family_bytes = family_bytes  # the server's and its dream's memory (see the module docstring)
        # opted in (llm.provider "anthropic"): each dream then asks Claude too (dream/claude.py)
        self.llm = llm if llm is not None and llm.llm_provider == "anthropic" else None
        self.root = str(root) if root is not None else None
        self.idle_seconds = idle_seconds
        self.log = log
        self.busy = busy  # e.g. the first scan is running: dream after it
        self.on_dreamed = on_dreamed
        # Called on the dream thread with True when a dream starts and False when it ends
        # (an editor's status bar shows "dreaming"); it must not block.
        self.on_busy: Callable[[bool], None] = lambda busy: None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kairos-dream")
        self._store: Store | None = None  # the dream thread's own connection
        self._stop = threading.Event()  # tells the worker's dream to stop between batches
        self._worker: Child | None = None  # started on the first dream
        self._worker_used = 0.0  # when its last dream ended (set and read on the dream thread only)
        self._retire: asyncio.TimerHandle | None = None
        self._idle_running = False
        self._edits = 0
        self._last_edit = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._running: asyncio.Future | None = None
        self._closing = False

    def touch(self) -> None:
        """An edit arrived: restart the idle clock (and stop a running idle dream)."""
        self._edits += 1
        self._last_edit = time.monotonic()
        if self._idle_running:
            self._stop.set()
        self.kick()

    def kick(self) -> None:
        """There may be new input: dream once the user has been idle long enough."""
        if self._closing:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, self._last_edit + self.idle_seconds - time.monotonic())
        self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._closing or (self._running is not None and not self._running.done()):
            return  # the running dream kicks again when it ends
        if time.monotonic() - self._last_edit < self.idle_seconds or self.busy():
            self._rearm()
            return
        self._running = asyncio.get_running_loop().run_in_executor(self._executor, self._dream, "idle", self._edits)
        self._running.add_done_callback(self._finished)

    def _rearm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(max(self.idle_seconds, 0.05), self._due)

    def _dream(self, trigger: str, edits_at_start: int) -> DreamReport | None:
        """On the dream thread: hand one dream to the worker process and wait for its report."""
        if self._store is None:
            self._store = Store(self.store_file)
        if trigger == "idle" and not due(self._store):
            return None
        self._idle_running = trigger == "idle"
        self._stop.clear()
        if self._closing or (self._idle_running and self._edits != edits_at_start):
            self._stop.set()  # an edit (or the end) came before the dream could start
        self.on_busy(True)
        report: DreamReport | None = None
        try:
            while True:
                if self._worker is None:
                    self._worker = Child(niceness=WORKER_NICENESS)
                share = self.share()
                args = (str(self.store_file), trigger, self.llm, self.root, share, share >= HELPER_FROM)
                part, outgrown = self._worker.call(_dream_in_worker, args, stop=self._stop.is_set)
                self._worker_used = time.monotonic()
                report = part if report is None else report.then(part)
                if outgrown or part.observations >= RECYCLE_AFTER:
                    self._end_worker()  # what it grew to goes back to the system
                if not outgrown or self._stop.is_set() or not part.observations:
                    return report
                # (a new worker resumes at the cursor, within the share again)
        except CodeChanged as exc:  # an upgrade since the server started: its one line says to restart
            self._end_worker()
            raise RuntimeError(str(exc)) from None
        except ChildGone:  # the worker died (killed, out of memory): the next dream starts another
            self._end_worker()
            raise RuntimeError("the dream's worker process died; nothing was lost, the next dream resumes") from None
        except ChildFailed as exc:
            raise RuntimeError(str(exc)) from None
        finally:
            self._idle_running = False
            self.on_busy(False)

    def share(self) -> int:
        """The memory a dream's worker and its children may hold now: what the server leaves
        of ``family_bytes``, less :data:`MARGIN`, and at least :data:`LEAST_SHARE`."""
        server = resident(os.getpid()) or 0
        return max(LEAST_SHARE, self.family_bytes - server - MARGIN)

    def _end_worker(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _retire_later(self) -> None:
        """On the event loop, after a dream: end the worker once no dream used it for ``worker_idle`` s."""
        if self._retire is not None:
            self._retire.cancel()
        if not self._closing:
            self._retire = asyncio.get_running_loop().call_later(self.worker_idle, self._retire_due)

    def _retire_due(self) -> None:
        self._retire = None
        if not self._closing:
            # on the dream thread, between dreams: the worker is that thread's alone
            self._executor.submit(self._retire_if_idle)

    def _retire_if_idle(self) -> None:
        if self._worker is not None and time.monotonic() - self._worker_used >= self.worker_idle:
            self._end_worker()

    def _finished(self, future: asyncio.Future) -> None:
        self._retire_later()
        if future.cancelled():
            return
        if future.exception() is not None:
            self.log("error", f"kairos: the dream failed: {future.exception()}")
            return
        report = future.result()
        if report is None:
            return
        self.log("info", f"kairos: {report.line()}")
        self._notes(report)
        if not report.busy:
            self.on_dreamed(report)
        if report.stopped or report.busy:
            self.kick()  # resume once the user is idle again

    async def dream_now(self) -> DreamReport:
        """Dream to the end now (the ``kairos.dreamNow`` command), after any running dream."""
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(self._executor, self._dream, "command", self._edits)
        finally:
            self._retire_later()
        assert report is not None  # only an idle dream returns None (nothing pending)
        self.log("info", f"kairos: {report.line()}")
        self._notes(report)
        if not report.busy:
            self.on_dreamed(report)
        return report

    def _notes(self, report: DreamReport) -> None:
        for note in report.notes:
            level, _, message = note.partition(": ")
            self.log(level if level in ("info", "warning", "error") else "info", f"kairos: {message or note}")

    async def run(self, fn: Callable[[Store], object]):
        """Run ``fn(store)`` on the dream thread, between dreams (a verdict, a forget)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[Store], object]):
        if self._store is None:
            self._store = Store(self.store_file)
        return fn(self._store)

    def close(self) -> None:
        self._closing = True
        self._stop.set()
        for timer in (self._timer, self._retire):
            if timer is not None:
                timer.cancel()
        self._executor.submit(self._close_store)
        self._executor.shutdown(wait=True)
        self._end_worker()

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


# -- the worker process -------------------------------------------------------------

# Dreams are background work: the server answering the editor comes first when the cores are
# busy (the read-ahead helper of a large dream inherits this).
WORKER_NICENESS = 5
_STORES: dict[str, Store] = {}  # in the worker: its connection, kept from dream to dream


def _dream_in_worker(
    store_file: str,
    trigger: str,
    llm: Settings | None,
    root: str | None,
    share: int,
    helper: bool,
    should_stop: Callable[[], bool],
) -> tuple[DreamReport, bool]:
    """One dream in the worker (``helper``: with the read-ahead helper if its backlog is
    large), and whether it stopped because the worker with its children outgrew ``share``
    bytes. Looked at between batches, after the first (each part gets on): past the share,
    the helper ends first; still past it at a later look, the dream stops (a new worker
    resumes it)."""
    store = _STORES.get(store_file)
    if store is None:
        store = _STORES[store_file] = Store(store_file)
    outgrown = False
    looks = 0

    def stop() -> bool:
        nonlocal helper, outgrown, looks
        if should_stop():
            return True
        looks += 1
        if looks > 1 and (family_resident() or 0) > share:
            outgrown = not helper
            helper = False
        return outgrown

    # (ahead None: the helper when the backlog is large)
    report = dream(
        store,
        trigger=trigger,
        should_stop=stop,
        llm=llm,
        root=root,
        ahead=None if helper else False,
        keep_helper=lambda: helper,
    )
    return report, outgrown
