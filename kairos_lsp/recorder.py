"""The memory thread: open buffers recorded into the store as they open, change, save and close.

One single-worker executor owns the connection that records buffers, so
buffer writes are serialised and never run on the event loop. Edits are
coalesced: each change re-arms a per-document timer (``edit.debounceMs``);
when it fires, a snapshot of the buffer (text plus a copy of its tree) goes
to the memory thread, which re-extracts only the symbols the edits touched
and records them with source ``edit``. :meth:`Recorder.flush` records a
pending edit at once (a hover first flushes its document). Files the editor's
watcher saw change on disk (``workspace/didChangeWatchedFiles``: a checkout, a
pull, a generator) are recorded the same way, in one batch per burst, under
the scan's rules.

Methods without a leading underscore are called on the event loop thread;
``_record*`` run on the memory thread.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tree_sitter import Tree

from kairos_lsp.config import Settings
from kairos_lsp.documents import Document, Snapshot, diff_edit
from kairos_lsp.extract import Extraction, extract_tree
from kairos_lsp.lines import as_lines, one_line
from kairos_lsp.observe import FileObservation, content_hash, observe_file, racy
from kairos_lsp.reextract import reextract
from kairos_lsp.scan import CHILD_FROM, as_read, record_buffer, scan_in_a_child, scan_paths
from kairos_lsp.store import Store, holds

Log = Callable[[str, str], None]  # (level: error|warning|info, one-line message)
T = TypeVar("T")
DISK = "kairos:disk"  # the pending work of files changed on disk (no document has this uri)
DISK_QUIET = 0.3  # seconds without a change on disk before a burst of them is recorded


class Recorder:
    """Records open buffers on the memory thread; coalesces bursts of edits."""

    def __init__(
        self,
        root: Path | None,
        store_file: Path,
        settings: Settings,
        debounce: float,
        log: Log,
        wanted: Callable[[Document], bool],
        on_recorded: Callable[[], None] = lambda: None,
    ):
        self.root = root
        self.store_file = store_file
        self.settings = settings  # the scan's rules (exclude, max file bytes) for files on disk
        self.debounce = debounce  # seconds
        self.log = log
        self.wanted = wanted  # is this buffer still to be recorded (checked again when a timer fires)
        self.on_recorded = on_recorded  # after every write: new observations to consolidate
        self.closed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kairos-memory")
        self._timers: dict[str, tuple[asyncio.TimerHandle, Document]] = {}
        self._pending: dict[str, asyncio.Future] = {}
        self._disk: set[str] = set()  # changed on disk, waiting for the burst to end
        self._disk_timer: asyncio.TimerHandle | None = None
        self._buffers: list[Document] = []  # the open buffers when the disk last changed
        self._store: Store | None = None  # memory thread only
        self._extractions: dict[str, tuple[bytes, Extraction]] = {}  # memory thread only

    # -- the event loop thread --------------------------------------------------

    def opened(self, doc: Document, then: Callable[[], None] | None = None) -> None:
        """A buffer opened (or was saved): record it, as the disk has it when they agree."""
        self.cancel(doc.uri)
        self._submit(doc.uri, self._record_from_disk, doc.snapshot(), then=then)

    saved = opened

    def edited(self, doc: Document) -> None:
        """A buffer changed: record it once no change has come for ``debounce`` seconds."""
        self.cancel(doc.uri)
        handle = asyncio.get_running_loop().call_later(self.debounce, self._fire, doc.uri)
        self._timers[doc.uri] = (handle, doc)

    def closed_document(self, doc: Document) -> None:
        """A buffer closed: the memory follows the file on disk again (unsaved edits are gone)."""
        self.cancel(doc.uri)
        self._submit(doc.uri, self._record_closed, doc.path)

    def after_scan(self, docs: list[Document]) -> None:
        """The scan recorded the disk: buffers with unsaved edits win again."""
        for doc in docs:
            if doc.uri not in self._timers:
                self._submit(doc.uri, self._record_if_dirty, doc.snapshot())

    def disk_changed(
        self, paths: Iterable[str], buffers: list[Document], then: Callable[[], None] | None = None
    ) -> None:
        """Files (or folders) changed on disk, as the editor's watcher saw them, absolute or
        relative to the workspace: recorded under the scan's rules once no change has come for
        :data:`DISK_QUIET` seconds, in one batch (a checkout's hundreds of changes are one look),
        then ``then()``. A look that reads more than the paths (a folder, the whole tree after a
        ``.gitignore`` changed) may read the files of open ``buffers``: those whose text is not
        the disk's win again, as after a scan."""
        self._disk.update(paths)
        self._buffers = buffers
        if self._disk_timer is not None:
            self._disk_timer.cancel()
        quiet = max(self.debounce, DISK_QUIET)
        self._disk_timer = asyncio.get_running_loop().call_later(quiet, self._fire_disk, then)

    def look_at_everything(self, buffers: list[Document], then: Callable[[], None] | None = None) -> None:
        """The whole tree looked at again (stat only for what did not change, in a child
        process), as after a ``.gitignore`` changed; then ``then()``. For a watcher that could
        not watch every folder."""
        snaps = [doc.snapshot() for doc in buffers if self.wanted(doc)]
        if self.root is not None:
            self._submit(DISK, self._record_disk, [], snaps, True, then=then)

    def cancel(self, uri: str) -> None:
        """Drop a pending (not yet fired) edit of ``uri``."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer[0].cancel()

    @property
    def idle(self) -> bool:
        """No edit waits for its timer and nothing waits to be written."""
        return not self._timers and self._disk_timer is None and not self._pending

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
        if self._disk_timer is not None:
            self._disk_timer.cancel()
            self._fire_disk(None)
        pending = [f for f in self._pending.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def run(self, fn: Callable[[Store], T]) -> T:
        """``fn(store)`` on the memory thread, with its connection (after what is queued)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: fn(self._writer()))

    def close(self) -> None:
        """Drop pending timers, finish what is queued, close the connection."""
        if self.closed:
            return
        self.closed = True
        for uri in list(self._timers):
            self.cancel(uri)
        if self._disk_timer is not None:
            self._disk_timer.cancel()
            self._disk_timer = None
        self._executor.shutdown(wait=True, cancel_futures=False)  # what is queued is written
        self._close_writer()  # the thread is done with it

    def _fire(self, uri: str) -> None:
        timer = self._timers.get(uri)
        self.cancel(uri)
        if timer is not None and self.wanted(timer[1]):
            self._submit(uri, self._record_edit, timer[1].snapshot())

    def _fire_disk(self, then: Callable[[], None] | None) -> None:
        self._disk_timer = None
        paths, self._disk = sorted(self._disk), set()
        buffers = [doc.snapshot() for doc in self._buffers if self.wanted(doc)]
        if paths and self.root is not None:
            self._submit(DISK, self._record_disk, paths, buffers, then=then)

    def _submit(self, uri: str, fn: Callable, *args, then: Callable[[], None] | None = None) -> None:
        if self.closed:
            return
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        self._pending[uri] = future
        future.add_done_callback(functools.partial(self._done, uri, then))

    def _done(self, uri: str, then: Callable[[], None] | None, future: asyncio.Future) -> None:
        if self._pending.get(uri) is future:
            del self._pending[uri]
        error = None if future.cancelled() else future.exception()
        failed = error is not None
        if error is not None:
            what = "the files changed on disk" if uri == DISK else uri
            self.log("error", f"kairos: could not record {what}: {one_line(error)}")
        if self.closed:
            return
        self.on_recorded()
        if not failed and then is not None:
            then()

    # -- the memory thread --------------------------------------------------------

    def _writer(self) -> Store:
        """The memory thread's own connection."""
        if self._store is None:
            self._store = Store(self.store_file)
            self._store.remember = True  # it re-observes the same open buffers
        return self._store

    def _close_writer(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _record_from_disk(self, snap: Snapshot) -> None:
        """An opened or saved buffer: a ``parse`` when the disk holds exactly its text, else an ``edit``."""
        mtime = self._disk_state(snap.path, snap.text)
        self._record(snap, "parse" if mtime else "edit", mtime)

    def _record_edit(self, snap: Snapshot) -> None:
        self._record(snap, "edit")

    def _record_if_dirty(self, snap: Snapshot) -> None:
        if not self._disk_state(snap.path, snap.text):
            self._record(snap, "edit")

    def _record(self, snap: Snapshot, source: str, mtime_ns: int = 0) -> None:
        language, tree = snap.parsed()
        store = self._writer()
        digest = content_hash(snap.text)
        known = store.file(snap.path)
        if known is not None and holds(known, digest):
            if not (source == "parse" and mtime_ns and known["mtime_ns"] != mtime_ns):
                return
            # Same bytes now on disk: remember the stat so a scan need not read it.
            size = len(snap.text)
            unchanged = FileObservation(snap.path, language, digest, size, mtime_ns, None, racy=racy(mtime_ns))
            if not store.write([unchanged], source=source).stale:
                return
            # Another writer recorded other bytes since (the daemon's look at the disk before
            # this save): these are what the buffer and the disk hold now.
        extraction = self._extract(snap.path, language, snap.text, tree)
        record_buffer(store, snap.path, language, snap.text, extraction, source=source, mtime_ns=mtime_ns)

    def _extract(self, path: str, language: str, text: bytes, tree: Tree) -> Extraction:
        """Re-extract only what changed since this buffer was last extracted."""
        previous = self._extractions.get(path)
        if previous is not None and previous[0] == text:
            return previous[1]
        if previous is not None and previous[1].language == language:
            extraction = reextract(tree, text, language, previous[1], diff_edit(previous[0], text))
        else:
            extraction = extract_tree(tree, text, language)
        self._extractions[path] = (text, extraction)
        return extraction

    def _record_disk(self, paths: list[str], buffers: list[Snapshot], everything: bool = False) -> None:
        """A burst of files changed on disk: read and recorded (or forgotten, when gone) as a scan
        would; a ``.gitignore`` changed reads the whole tree again; a big burst is read in a
        child process. Then the open buffers whose text is not the disk's are recorded again."""
        assert self.root is not None  # (only submitted with a workspace)
        everything = everything or any(Path(path).name == ".gitignore" for path in paths)
        if everything or len(paths) > CHILD_FROM:
            chosen = None if everything else paths
            report = scan_in_a_child(self.root, self.store_file, self.settings, chosen, "parse", lambda: self.closed)
        else:
            report = scan_paths(self.root, self._writer(), paths, self.settings, source="parse")
        for path, reason in report.skipped:
            self.log("info", f"kairos: skipped {path}: {reason}")
        for snap in buffers:
            self._record_if_dirty(snap)

    def _record_closed(self, path: str) -> None:
        self._extractions.pop(path, None)
        store = self._writer()
        known = store.file(path)
        disk = self._disk_path(path)
        if not disk.is_file():
            if known is not None:  # a never-saved buffer: what it said no longer holds
                store.forget_files([path], source="edit")
            return
        root = self.root or Path("")  # without a workspace the path is absolute
        for _ in range(3):  # again while another writer records the file between the look and the write
            state = (known["size"], known["mtime_ns"], known["content_hash"]) if known else None
            outcome = observe_file(str(root), path, state, self.settings.max_file_bytes)
            if not isinstance(outcome, FileObservation):
                return
            if not store.write([outcome], source="parse", still=as_read(root)).stale:
                return
            known = store.file(path)

    def _disk_path(self, path: str) -> Path:
        return self.root / path if self.root is not None else Path(path)

    def _disk_state(self, path: str, text: bytes) -> int:
        """The file's mtime when the disk holds exactly ``text``, else 0."""
        disk = self._disk_path(path)
        try:
            st = disk.stat()
            if st.st_size == len(text) and as_lines(disk.read_bytes()) == text:
                return st.st_mtime_ns
        except OSError:
            pass
        return 0
