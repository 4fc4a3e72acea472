"""The checks thread: the problems of open documents, computed off the event loop, then published.

One single-worker executor with its own read connection runs
:func:`kairos_lsp.checks.check_file` on a snapshot of a document (the newest one
when checks of it queue up: a document waits at most once); the result
comes back to the event loop, is kept (a code action reuses it while the
text is the same) and handed to ``publish``, which the server turns into
``textDocument/publishDiagnostics``. Methods without a leading underscore
are called on the event loop thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kairos_lsp.checks import Problem, check_file
from kairos_lsp.documents import Document, Documents, Snapshot
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.lines import one_line
from kairos_lsp.recorder import Log
from kairos_lsp.store import Store

# Called on the event loop with (uri, the exact text checked, its problems).
Publish = Callable[[str, bytes, list[Problem]], None]


class Checker:
    """Checks open documents on the checks thread and publishes their problems."""

    def __init__(self, store_file: Path, documents: Documents, log: Log, publish: Publish | None = None):
        self.store_file = store_file
        self.documents = documents
        self.log = log
        self.publish = publish
        self.closed = False
        # The last problems of each open document: (version, the text checked, problems).
        self.problems: dict[str, tuple[int | None, bytes, list[Problem]]] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kairos-checks")
        self._knowledge: Knowledge | None = None  # checks thread only
        # Documents waiting for the checks thread, each with its newest snapshot: asked again
        # meanwhile (keystrokes, a save, what other processes record), one check does.
        self._waiting: dict[str, Snapshot] = {}
        self._waiting_lock = threading.Lock()

    def check(self, doc: Document) -> None:
        """Compute the problems of ``doc`` as it is now, off the event loop, then publish them."""
        if self.closed or doc.language is None:  # not a language kairos reads, or oversize
            return
        with self._waiting_lock:
            queued = doc.uri in self._waiting
            self._waiting[doc.uri] = doc.snapshot()
        if queued:
            return
        future = asyncio.get_running_loop().run_in_executor(self._executor, self._check, doc.uri)
        future.add_done_callback(functools.partial(self._checked, doc.uri))

    def forget(self, doc: Document) -> None:
        """A document closed: clear what was published for it."""
        if self.problems.pop(doc.uri, None) is not None and self.publish is not None:
            self.publish(doc.uri, doc.text, [])

    def problems_for(self, doc: Document, knowledge: Knowledge | None) -> tuple[bytes, list[Problem]]:
        """The problems of ``doc`` as it is now: the last check's when the text is the same,
        else computed here with ``knowledge`` (the caller's connection; None: none)."""
        cached = self.problems.get(doc.uri)
        if cached is not None and cached[1] == doc.text:
            return cached[1], cached[2]
        if knowledge is None or doc.language is None:
            return doc.text, []
        language, tree = doc.parsed()  # (kept again: the user is at this document)
        return doc.text, check_file(knowledge, doc.path, language, doc.text, tree)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)  # what is queued is outdated
        self._close_knowledge()  # the thread is done with it

    def _checked(self, uri: str, future: asyncio.Future) -> None:
        if future.cancelled() or self.closed:
            return
        error = future.exception()
        if error is not None:
            self.log("error", f"kairos: could not check {uri}: {one_line(error)}")
            return
        snap, problems = future.result()
        if uri not in self.documents:
            return  # closed meanwhile
        self.problems[uri] = (snap.version, snap.text, problems)
        if self.publish is not None:
            self.publish(uri, snap.text, problems)

    # -- the checks thread ---------------------------------------------------------

    def _check(self, uri: str) -> tuple[Snapshot, list[Problem]]:
        with self._waiting_lock:
            snap = self._waiting.pop(uri)
        if self._knowledge is None:
            self._knowledge = Knowledge(Store(self.store_file))
        language, tree = snap.parsed()  # check() sends only documents in a language kairos reads
        return snap, check_file(self._knowledge, snap.path, language, snap.text, tree)

    def _close_knowledge(self) -> None:
        if self._knowledge is not None:
            self._knowledge.store.close()
            self._knowledge = None
