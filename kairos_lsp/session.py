"""One client's workspace, in plain Python: settings, memory, open documents,
the background scan and the coalescing of edits. No protocol types here; the
server translates.

Threads
-------
* the event loop thread (pygls) handles every message, keeps the open
  documents current and answers hovers with its own read-only use of the
  store (SQLite in WAL mode: readers never wait for writers);
* one *memory* thread (a single-worker executor) owns the connection that
  records open buffers, so buffer writes are serialised and never run on the
  event loop;
* one *scan* thread, started on ``initialized``, brings the store up to date
  with the files on disk through its own connection; it stops promptly on
  shutdown or when the user cancels its progress.
* one *checks* thread computes the problems (diagnostics and their fixes) of
  open documents on its own connection, when a document opens, after every
  save and after every dream; the server publishes them;
* the dream runs on the :class:`~kairos_lsp.dream.scheduler.IdleDreamer`'s
  thread, which also applies verdicts (confirm / reject).

Edits are coalesced: each ``didChange`` re-arms a per-document timer
(``edit.debounceMs``, default 200 ms); when it fires, a snapshot of the
buffer (text plus a copy of its tree) goes to the memory thread, which
re-extracts the symbols the edits touched and records them with source
``edit``. A hover first flushes a pending timer for its document so it always
reflects the buffer.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Protocol

from kairos_lsp.checks import Problem, check_file
from kairos_lsp.config import Settings
from kairos_lsp.documents import Document, Documents, Snapshot, diff_edit
from kairos_lsp.dream import record_verdict
from kairos_lsp.dream.forget import forget
from kairos_lsp.dream.scheduler import IdleDreamer
from kairos_lsp.extract import Extraction, extract_tree
from kairos_lsp.reextract import reextract
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import IgnoreRules, ScanReport, content_hash, observe_file, record_buffer, scan_workspace
from kairos_lsp.store import FileObservation, Store, StoreError, store_path
from kairos_lsp.workers import START_METHOD


Log = Callable[[str, str], None]  # (level: error|warning|info, one-line message)
# Called on the event loop with (uri, the exact text checked, its problems).
Publish = Callable[[str, bytes, list[Problem]], None]


class Progress(Protocol):
    """What the scan reports to (the server sends it as ``$/progress``)."""

    def report(self, done: int, total: int, path: str) -> None: ...
    def end(self, message: str) -> None: ...
    def cancelled(self) -> bool: ...


class Session:
    """One client's workspace: settings, memory, open documents, scan and debounce."""

    def __init__(self, root: Path | None, settings: Settings, log: Log,
                 debounce: float | None = None):
        self.root = root
        self.settings = settings
        self.log = log
        self.debounce = settings.debounce_ms / 1000 if debounce is None else debounce
        self.documents = Documents(root)
        self.store_file: Path | None = None
        self.store: Store | None = None  # the event loop's connection (reads)
        self.knowledge: Knowledge | None = None
        self._temp_dir: str | None = None
        self._memory = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kairos-memory")
        self._memory_store: Store | None = None  # touched on the memory thread only
        self._extractions: dict[str, tuple[bytes, Extraction]] = {}  # memory thread only
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._pending: dict[str, asyncio.Future] = {}
        self._stop = threading.Event()
        self.dreamer: IdleDreamer | None = None
        self._scan_thread: threading.Thread | None = None
        self._ignored = IgnoreRules(root, settings.exclude) if root is not None else None
        self.closed = False
        # Problems of open documents, computed off the event loop on their own connection.
        self.publish: Publish | None = None
        self.problems: dict[str, tuple[int | None, bytes, list[Problem]]] = {}
        self._checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kairos-checks")
        self._check_knowledge: Knowledge | None = None  # checks thread only

    # -- the memory ------------------------------------------------------------

    def open_store(self) -> str | None:
        """Open (and migrate) the memory; returns a one-line error, or None."""
        if self.root is not None:
            path = store_path(self.root, self.settings.store_path)
        else:
            chosen = self.settings.store_path or os.environ.get("KAIROS_STORE")
            if chosen and Path(chosen).expanduser().is_absolute():
                path = Path(chosen).expanduser()
            else:  # no workspace: a memory for this session only, next to nothing of the user's
                self._temp_dir = tempfile.mkdtemp(prefix="kairos-")
                path = Path(self._temp_dir) / "memory.db"
                self.log("info", f"kairos: no workspace folder; keeping this session's memory in {path}")
        self.store_file = path
        try:
            self.store = Store(path)
        except StoreError as exc:
            return f"kairos: {exc}; memory disabled for this session"
        except Exception as exc:  # noqa: BLE001 - an unwritable folder, a file in the way...
            return f"kairos: cannot open the memory at {path}: {one_line(exc)}; memory disabled"
        self.knowledge = Knowledge(self.store)
        self.dreamer = IdleDreamer(path, self.settings.idle_seconds, self.log,
                                   busy=lambda: self.scanning, on_dreamed=lambda _: self.check_all())
        return None

    def _writer(self) -> Store:
        """The memory thread's own connection."""
        if self._memory_store is None:
            self._memory_store = Store(self.store_file)
            self._memory_store.remember = True  # it re-observes the same open buffers
        return self._memory_store

    def records(self, doc: Document) -> bool:
        """Whether this buffer belongs in the memory."""
        if self.store is None or doc.language is None or self.closed:
            return False
        if self.root is not None and (not doc.in_workspace or self._ignored.ignored(doc.path)):
            return False
        return len(doc.text) <= self.settings.max_file_bytes

    def _disk_path(self, doc_path: str) -> Path:
        return self.root / doc_path if self.root is not None else Path(doc_path)

    # -- buffers (event loop thread) --------------------------------------------

    def opened(self, doc: Document) -> None:
        if self.records(doc):
            self._submit(doc.uri, self._record_opened, doc.snapshot(), then=lambda: self.check(doc.uri))

    def changed(self, doc: Document) -> None:
        if not self.records(doc):
            return
        if self.dreamer is not None:
            self.dreamer.touch()
        self._cancel_timer(doc.uri)
        loop = asyncio.get_running_loop()
        self._timers[doc.uri] = loop.call_later(self.debounce, self._fire, doc.uri)

    def saved(self, doc: Document) -> None:
        self._cancel_timer(doc.uri)
        if self.dreamer is not None:
            self.dreamer.touch()
        if self.records(doc):
            # A save may change what other open files see (a signature, a rename): check them all.
            self._submit(doc.uri, self._record_saved, doc.snapshot(), then=self.check_all)

    def closed_document(self, doc: Document) -> None:
        self._cancel_timer(doc.uri)
        if self.problems.pop(doc.uri, None) is not None and self.publish is not None:
            self.publish(doc.uri, doc.text, [])
        if self.records(doc):
            self._submit(doc.uri, self._record_closed, doc.path)

    async def flush(self, uri: str, timeout: float = 5.0) -> None:
        """Record a pending edit of ``uri`` now and wait until it is stored."""
        if uri in self._timers:
            self._fire(uri)
        pending = self._pending.get(uri)
        if pending is not None and not pending.done():
            try:
                await asyncio.wait_for(asyncio.shield(pending), timeout)
            except Exception:  # noqa: BLE001 - logged by _done; a hover still answers
                pass

    async def flush_all(self, timeout: float = 5.0) -> None:
        for uri in list(self._timers):
            self._fire(uri)
        pending = [f for f in self._pending.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    def _fire(self, uri: str) -> None:
        self._cancel_timer(uri)
        doc = self.documents.get(uri)
        if doc is not None and self.records(doc):
            self._submit(uri, self._record_edit, doc.snapshot())

    def _cancel_timer(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()

    def _submit(self, uri: str, fn: Callable, *args, then: Callable[[], None] | None = None) -> None:
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._memory, fn, *args)
        self._pending[uri] = future
        future.add_done_callback(functools.partial(self._done, uri, then))

    def _done(self, uri: str, then: Callable[[], None] | None, future: asyncio.Future) -> None:
        if self._pending.get(uri) is future:
            del self._pending[uri]
        if self.dreamer is not None and not self.closed:
            self.dreamer.kick()  # new observations: consolidate them once the user is idle
        if not future.cancelled() and future.exception() is not None:
            self.log("error", f"kairos: could not record {uri}: {one_line(future.exception())}")
        elif then is not None and not self.closed:
            then()

    # -- problems (diagnostics) -------------------------------------------------

    def check_all(self) -> None:
        """Re-check every open document (after a dream or a save)."""
        for doc in self.documents:
            self.check(doc.uri)

    def check(self, uri: str) -> None:
        """Compute the problems of an open document off the event loop, then publish them."""
        doc = self.documents.get(uri)
        if doc is None or self.closed or not self.records(doc) or doc.tree is None:
            return
        future = asyncio.get_running_loop().run_in_executor(self._checks, self._check, doc.snapshot())
        future.add_done_callback(functools.partial(self._checked, uri))

    def _check(self, snap: Snapshot) -> tuple[Snapshot, list[Problem]]:
        if self._check_knowledge is None:
            self._check_knowledge = Knowledge(Store(self.store_file))
        return snap, check_file(self._check_knowledge, snap.path, snap.language, snap.text, snap.tree)

    def _checked(self, uri: str, future: asyncio.Future) -> None:
        if future.cancelled() or self.closed:
            return
        if future.exception() is not None:
            self.log("error", f"kairos: could not check {uri}: {one_line(future.exception())}")
            return
        snap, problems = future.result()
        if uri not in self.documents:
            return  # closed meanwhile
        self.problems[uri] = (snap.version, snap.text, problems)
        if self.publish is not None:
            self.publish(uri, snap.text, problems)

    def problems_for(self, doc: Document) -> tuple[bytes, list[Problem]]:
        """The problems of ``doc`` as it is now (recomputed here if the last check is outdated)."""
        cached = self.problems.get(doc.uri)
        if cached is not None and cached[1] == doc.text:
            return cached[1], cached[2]
        if self.knowledge is None or doc.tree is None or not self.records(doc):
            return doc.text, []
        return doc.text, check_file(self.knowledge, doc.path, doc.language, doc.text, doc.tree)

    # -- commands -----------------------------------------------------------------

    async def verdict(self, fact_id: int, confirm: bool) -> dict:
        """Confirm or reject a fact; the dream applies it before this returns."""
        await self.dreamer.run(lambda store: record_verdict(store, int(fact_id), confirm))
        self.check_all()
        row = self.store.db.execute("SELECT subject, predicate, object, status, verdict FROM facts "
                                    "WHERE id = ?", (int(fact_id),)).fetchone()
        return dict(zip(("subject", "predicate", "value", "status", "verdict"), row)) if row else {}

    async def forget(self, target: str) -> dict:
        """Forget a symbol (key, or ``path::Qual.name``) or a file (path or URI)."""
        target = self._target(target)
        await self.flush_all()
        counts = await asyncio.get_running_loop().run_in_executor(
            self._memory, lambda: forget(self._writer(), target))
        self.check_all()
        return {"forgot": target, **counts}

    def _target(self, target: str) -> str:
        doc = self.documents.get(target)
        if doc is not None:
            return doc.path
        if "::" in target:
            path, qualname = target.split("::", 1)
            row = self.store.symbol_by_qualname(path, qualname) if self.store else None
            if row is not None:
                return row["key"]
        return target

    def status(self) -> dict:
        """``kairos.status``: the memory's size and counts, the last dream, the LLM, the scan."""
        out = self.knowledge.status() if self.knowledge is not None else {"store": None}
        provider = self.settings.llm_provider
        # Nothing leaves the machine unless the user opted in (and the Claude client is not built yet).
        out["llm"] = {"provider": provider, "model": self.settings.llm_model,
                      "state": "off: everything stays on this machine" if provider == "none"
                      else "requested, but this version has no Claude client yet: nothing is sent"}
        out["scanning"] = self.scanning
        out["open_documents"] = len(self.documents)
        return out

    # -- buffers (memory thread) -------------------------------------------------

    def _record(self, snap: Snapshot, source: str, mtime_ns: int = 0) -> None:
        store = self._writer()
        digest = content_hash(snap.text)
        known = store.file(snap.path)
        if known and known["content_hash"] == digest:
            if source == "parse" and mtime_ns and known["mtime_ns"] != mtime_ns:
                # Same bytes now on disk: remember the stat so a scan need not read it.
                store.write([FileObservation(snap.path, snap.language, digest, len(snap.text),
                                             mtime_ns, None)], source=source)
            return
        extraction = self._extract(snap)
        record_buffer(store, snap.path, snap.language, snap.text, extraction,
                      source=source, mtime_ns=mtime_ns)

    def _extract(self, snap: Snapshot) -> Extraction:
        """Re-extract only what changed since this buffer was last extracted."""
        previous = self._extractions.get(snap.path)
        if previous is not None and previous[0] == snap.text:
            return previous[1]
        if previous is not None and previous[1].language == snap.language:
            extraction = reextract(snap.tree, snap.text, snap.language, previous[1],
                                   diff_edit(previous[0], snap.text))
        else:
            extraction = extract_tree(snap.tree, snap.text, snap.language)
        self._extractions[snap.path] = (snap.text, extraction)
        return extraction

    def _disk_state(self, path: str, text: bytes) -> int:
        """The file's mtime when the disk holds exactly ``text``, else 0."""
        disk = self._disk_path(path)
        try:
            st = disk.stat()
            if st.st_size == len(text) and disk.read_bytes() == text:
                return st.st_mtime_ns
        except OSError:
            pass
        return 0

    def _record_opened(self, snap: Snapshot) -> None:
        mtime = self._disk_state(snap.path, snap.text)
        self._record(snap, "parse" if mtime else "edit", mtime)

    def _record_edit(self, snap: Snapshot) -> None:
        self._record(snap, "edit")

    def _record_saved(self, snap: Snapshot) -> None:
        mtime = self._disk_state(snap.path, snap.text)
        self._record(snap, "parse" if mtime else "edit", mtime)

    def _record_closed(self, path: str) -> None:
        """A buffer closed: the memory follows the file on disk again (unsaved edits are gone)."""
        self._extractions.pop(path, None)
        store = self._writer()
        known = store.file(path)
        disk = self._disk_path(path)
        if not disk.is_file():
            if known is not None:  # a never-saved buffer: what it said no longer holds
                store.forget_files([path], source="edit")
            return
        state = (known["size"], known["mtime_ns"], known["content_hash"]) if known else None
        # Without a workspace the path is absolute, and os.path.join("", path) is path.
        outcome = observe_file(str(self.root or ""), path, state, self.settings.max_file_bytes)
        if isinstance(outcome, FileObservation):
            store.write([outcome], source="parse")

    # -- the scan -------------------------------------------------------------

    def start_scan(self, progress: Progress) -> bool:
        """Bring the memory up to date with the disk in the background."""
        if self.root is None or self.store is None or self.closed:
            return False
        loop = asyncio.get_running_loop()
        self._scan_thread = threading.Thread(target=self._scan, args=(progress, loop),
                                             name="kairos-scan", daemon=True)
        self._scan_thread.start()
        return True

    @property
    def scanning(self) -> bool:
        return self._scan_thread is not None and self._scan_thread.is_alive()

    def _scan(self, progress: Progress, loop: asyncio.AbstractEventLoop) -> None:
        skipped: list[str] = []
        report: ScanReport | None = None
        try:
            store = Store(self.store_file)
            try:
                report = scan_workspace(
                    self.root, store, self.settings, progress=progress.report,
                    on_skip=lambda path, reason: skipped.append(f"{path} ({reason})"),
                    should_stop=lambda: self._stop.is_set() or progress.cancelled(),
                    start_method=START_METHOD)
            finally:
                store.close()
        except Exception as exc:  # noqa: BLE001 - the server carries on without a scan
            self.log("error", f"kairos: the workspace scan failed: {one_line(exc)}")
            progress.end("scan failed")
            return
        if skipped:
            shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
            self.log("info", f"kairos: skipped {len(skipped)} files: {shown}")
        summary = (f"{report.seen} files, {report.parsed} read, {report.unchanged} unchanged, "
                   f"{len(report.skipped)} skipped in {report.seconds:.1f} s")
        if report.stopped:
            summary = "stopped; " + summary
        self.log("info", f"kairos: scan {summary}")
        progress.end(summary)
        # The scan saw the disk; open buffers with unsaved edits win again.
        if not self._stop.is_set():
            try:
                loop.call_soon_threadsafe(self._after_scan)
            except RuntimeError:  # the event loop is gone: the server is exiting
                pass

    def _after_scan(self) -> None:
        if self.dreamer is not None:
            self.dreamer.kick()
        for doc in self.documents:
            if self.records(doc) and doc.uri not in self._timers:
                self._submit(doc.uri, self._record_edit_if_dirty, doc.snapshot())

    def _record_edit_if_dirty(self, snap: Snapshot) -> None:
        if not self._disk_state(snap.path, snap.text):
            self._record(snap, "edit")

    # -- the end ----------------------------------------------------------------

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the scan, record pending edits, close the memory."""
        self._stop.set()
        await self.flush_all(timeout)
        if self._scan_thread is not None:
            await asyncio.to_thread(self._scan_thread.join, timeout)
        self.close(timeout)

    def close(self, timeout: float = 5.0) -> None:
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        for uri in list(self._timers):
            self._cancel_timer(uri)
        if self._scan_thread is not None:
            self._scan_thread.join(timeout)
        if self.dreamer is not None:
            self.dreamer.close()
        self._checks.submit(self._close_checks)
        self._checks.shutdown(wait=True, cancel_futures=True)
        self._memory.submit(self._close_writer)
        self._memory.shutdown(wait=True, cancel_futures=False)
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def _close_checks(self) -> None:
        if self._check_knowledge is not None:
            self._check_knowledge.store.close()
            self._check_knowledge = None

    def _close_writer(self) -> None:
        if self._memory_store is not None:
            self._memory_store.close()
            self._memory_store = None


def one_line(error: BaseException | str) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:500]
