"""One client's workspace, in plain Python: settings, the memory, open documents,
the background scan, dreams and commands. No protocol types here; the server
translates.

The session owns two workers, each with its own thread and connection:

* :class:`~kairos_lsp.recorder.Recorder`, the *memory* thread: records open
  buffers as they open, change (coalesced, ``edit.debounceMs``), save and
  close;
* :class:`~kairos_lsp.checker.Checker`, the *checks* thread: the problems
  (diagnostics and their fixes) of open documents, when a document opens,
  after every save and after every dream; the server publishes them.

Besides those:

* the event loop thread (pygls) handles every message, keeps the open
  documents current and answers hovers with its own read-only use of the
  store (SQLite in WAL mode: readers never wait for writers);
* one *scan* thread, started on ``initialized``, brings the store up to date
  with the files on disk through its own connection; it stops promptly on
  shutdown or when the user cancels its progress;
* dreams run in a worker process (its own interpreter, so a full dream never
  holds the GIL against a hover); the
  :class:`~kairos_lsp.dream.scheduler.IdleDreamer`'s one dream thread hands
  them over and waits, and applies verdicts and forgets itself, so everything
  that writes facts is serialised.

A hover first flushes a pending edit of its document, so it always reflects
the buffer.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from kairos_lsp import daemon
from kairos_lsp.checker import Checker, Publish
from kairos_lsp.checks import Problem
from kairos_lsp.config import Settings
from kairos_lsp.documents import Document, Documents
from kairos_lsp.dream import record_verdict
from kairos_lsp.dream.forget import forget
from kairos_lsp.dream.scheduler import IdleDreamer
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path, language_named
from kairos_lsp.llm import Claude
from kairos_lsp.llm import status as llm_status
from kairos_lsp.observe import BINARY_PROBE, minified
from kairos_lsp.recorder import Log, Recorder, one_line
from kairos_lsp.scan import IgnoreRules, scan_in_a_child
from kairos_lsp.store import Store, StoreError, store_path
from kairos_lsp.watch import DELETED, LOOK_SECONDS, TreeWatcher, WatchLimit, limit_advice

__all__ = ["Log", "Progress", "Publish", "Session", "one_line"]


BUSY_TIMEOUT_MS = 10000  # what Store sets on every connection
ATTENTION_EVERY = 5.0  # seconds: hovered symbols are noted in batches, never on the hover's path
OTHERS_EVERY = 1.0  # seconds between two looks at what other processes recorded in the memory
OWN_SOURCES = frozenset({"edit", "parse", "user"})  # what the server records of its open buffers


class Progress(Protocol):
    """What the scan reports to (the server sends it as ``$/progress``)."""

    def report(self, done: int, total: int, path: str) -> None: ...
    def end(self, message: str) -> None: ...
    def cancelled(self) -> bool: ...


def _seconds(text: str | None, default: float) -> float:
    """A positive number of seconds from the environment, else ``default``.

    >>> _seconds("2.5", 120.0), _seconds("soon", 120.0), _seconds(None, 120.0), _seconds("-1", 120.0)
    (2.5, 120.0, 120.0, 120.0)
    """
    try:
        value = float(text or "")
    except ValueError:
        return default
    return value if value > 0 else default


class Session:
    """One client's workspace: settings, the memory and its workers, open documents, scan, commands."""

    def __init__(
        self,
        root: Path | None,
        settings: Settings,
        log: Log,
        debounce: float | None = None,
        publish: Publish | None = None,
    ):
        self.root = root
        self.settings = settings
        self.log = log
        self.debounce = settings.debounce_ms / 1000 if debounce is None else debounce
        self.publish = publish
        self.documents = Documents(root, settings.max_file_bytes)  # bigger buffers: neither parsed nor kept
        self.store_file: Path | None = None
        self.store: Store | None = None  # the event loop's connection (reads)
        self.knowledge: Knowledge | None = None
        # Created with the memory (open_store); None when it could not be opened.
        self._recorder: Recorder | None = None
        self._checker: Checker | None = None
        self._dreamer: IdleDreamer | None = None
        self._temp_dir: str | None = None
        self._claude: Claude | None = None
        self._looked: set[str] = set()  # hovered since the last note
        self._stop = threading.Event()
        self._scan_thread: threading.Thread | None = None
        self._ignored = IgnoreRules(root, settings.exclude) if root is not None else None
        self._news: tuple[int, int] | None = None  # what the memory held when others were last looked for
        self._data_version: int | None = None
        self._others: asyncio.TimerHandle | None = None
        self._others_failed = False  # (said once until it works again)
        self.editor_watches = False  # the editor tells of files changed on disk (didChangeWatchedFiles)
        self._watcher: TreeWatcher | None = None  # the server's own, when the editor does not
        self._watch_limited = False  # (said once)
        self._looks: asyncio.Task | None = None  # past inotify's limit: looks at the whole tree
        # (KAIROS_LOOK_SECONDS: sooner, as the daemon's --look-seconds)
        self.look_seconds = _seconds(os.environ.get("KAIROS_LOOK_SECONDS"), LOOK_SECONDS)
        self.closed = False

    # -- the memory ------------------------------------------------------------

    def open_store(self) -> str | None:
        """Open (and migrate) the memory and start its workers; returns a one-line error, or None."""
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
            self.store = Store(path, workspace=self.root)
        except StoreError as exc:
            return f"kairos: {exc}; memory disabled for this session"
        except Exception as exc:  # noqa: BLE001 - an unwritable folder, a file in the way...
            return f"kairos: cannot open the memory at {path}: {one_line(exc)}; memory disabled"
        self.knowledge = Knowledge(self.store)
        self._dreamer = IdleDreamer(
            path,
            self.settings.idle_seconds,
            self.log,
            busy=lambda: self.scanning,
            on_dreamed=lambda _: self.check_all(),
            llm=self.settings,  # llm.provider "anthropic": the dreams ask Claude too (dream/claude.py)
            root=self.root,
        )
        self._recorder = Recorder(
            self.root,
            path,
            self.settings,
            self.debounce,
            self.log,
            wanted=self.records,
            on_recorded=self._recorded,
        )
        self._checker = Checker(path, self.documents, self.log, self.publish)
        return None

    @property
    def recorder(self) -> Recorder:
        """The memory thread; only once the memory is open."""
        if self._recorder is None:
            raise RuntimeError("kairos: the memory is not open")
        return self._recorder

    @property
    def checker(self) -> Checker:
        """The checks thread; only once the memory is open."""
        if self._checker is None:
            raise RuntimeError("kairos: the memory is not open")
        return self._checker

    @property
    def dreamer(self) -> IdleDreamer:
        """The dream's scheduler; only once the memory is open."""
        if self._dreamer is None:
            raise RuntimeError("kairos: the memory is not open")
        return self._dreamer

    def records(self, doc: Document) -> bool:
        """Whether this buffer belongs in the memory."""
        if self.store is None or doc.language is None or self.closed:
            return False
        if self._ignored is not None and (not doc.in_workspace or self._ignored.ignored(doc.path)):
            return False  # (there are ignore rules exactly when there is a workspace)
        # As the scan does: an oversize, binary or minified buffer is not source code to remember
        # (a buffer's text came from a str, so it is UTF-8: the scan's NUL test applies).
        if len(doc.text) > self.settings.max_file_bytes or b"\0" in doc.text[:BINARY_PROBE]:
            return False
        spec = language_named(doc.language)
        return spec is None or minified(doc.text, spec) is None

    def _recorded(self) -> None:
        if self._dreamer is not None and not self.closed:
            self._dreamer.kick()  # new observations: consolidate them once the user is idle

    # -- buffers (event loop thread) --------------------------------------------

    def opened(self, doc: Document) -> None:
        if self.records(doc):
            self.recorder.opened(doc, then=lambda: self.check(doc.uri))

    def changed(self, doc: Document) -> None:
        if not self.records(doc):
            return
        self.dreamer.touch()
        self.recorder.edited(doc)

    def saved(self, doc: Document) -> None:
        if self._recorder is None:
            return
        self._recorder.cancel(doc.uri)
        self.dreamer.touch()
        if self.records(doc):
            # A save may change what other open files see (a signature, a rename): check them all.
            self.recorder.saved(doc, then=self.check_all)

    def closed_document(self, doc: Document) -> None:
        if self._recorder is None:
            return
        self._recorder.cancel(doc.uri)
        self.checker.forget(doc)
        if self.records(doc):
            self.recorder.closed_document(doc)

    def disk_changed(self, changes: Iterable[tuple[str, bool]]) -> None:
        """Files the editor's watcher saw created, changed or deleted on disk (a checkout, a
        pull, a generator, a formatter run in the terminal), as ``(uri, deleted)``: recorded,
        then the open documents checked again. An open buffer's file is left to the buffer (it
        wins until it closes; its save is recorded as a save); a path the scan's rules skip, or
        a file of no language of ours, is not looked at (a deletion may be a folder's)."""
        if self._recorder is None or self._ignored is None or self.root is None or self.closed:
            return
        open_paths = {doc.path for doc in self.documents}
        paths: list[str] = []
        for uri, deleted in changes:
            path, inside = self.documents.locate(uri)
            if not inside or path in open_paths:
                continue
            if path == ".gitignore" or path.endswith("/.gitignore"):  # what the rules skip may change
                self._ignored = IgnoreRules(self.root, self.settings.exclude)
            elif self._ignored.ignored(path):
                continue
            elif not deleted and language_for_path(path) is None and not (self.root / path).is_dir():
                continue  # (an editor may send more than it was asked for: eglot ignores the kinds)
            paths.append(path)
        if paths and self._daemon_keeps_memory() is None:  # (the daemon records them: news, below)
            self.recorder.disk_changed(paths, list(self.documents), then=self.check_all)

    def follow_disk(self, editor_can_watch: bool) -> tuple[bool, str | None]:
        """Who tells the memory of files changed on disk while the editor is open, as
        ``files.watcher`` says (``auto``: the editor where it can, else the server): whether to
        ask the editor to watch, and a line for the log (None when the editor is asked)."""
        choice = self.settings.files_watcher
        ask_editor = choice in ("auto", "editor") and editor_can_watch
        if ask_editor:
            return True, None
        if choice in ("server", "auto"):
            if not self.watch_disk():
                return False, None  # (a daemon watches, or will: daemon.keepAlive)
            why = "files.watcher is server" if choice == "server" else "the editor does not tell servers of them"
            return False, f"kairos: the server watches the workspace for files changed on disk ({why})"
        why = "files.watcher is off" if choice == "off" else "the editor does not tell servers of them"
        return False, f"kairos: files changed outside the editor reach the memory at the next start ({why})"

    def watch_disk(self) -> bool:
        """Watch the workspace's files here (:class:`TreeWatcher`) when the editor does not
        (Neovim on Linux without ``inotifywait``, an editor without dynamic registration) or
        ``files.watcher`` says so: each burst goes the way of the editor's notifications
        (:meth:`disk_changed`). Not when a daemon keeps this memory (it watches) or
        ``daemon.keepAlive`` starts one. True if it watches."""
        if self.root is None or self._recorder is None or self.closed or self._watcher is not None:
            return False
        if self.settings.daemon_keep_alive or self._daemon_keeps_memory() is not None:
            return False
        loop = asyncio.get_running_loop()
        self._watcher = TreeWatcher(self.root, self.settings, lambda item: self._heard_disk(item, loop))
        self._watcher.start()
        return True

    @property
    def server_watches(self) -> bool:
        return self._watcher is not None

    def _heard_disk(self, item: object, loop: asyncio.AbstractEventLoop) -> None:
        """A burst from the server's watcher (on its thread): the watches planned anew first
        when the folders changed, then the changes handed to the event loop; the system's
        limit said once (and looks begin)."""
        watcher = self._watcher
        if watcher is None:
            return
        if isinstance(item, set):
            watcher.structure_changed(path for _, path in item)
            changes = [(Path(path).as_uri(), change == DELETED) for change, path in item]
            call: tuple = (self.disk_changed, changes)
        elif isinstance(item, WatchLimit):
            if self._watch_limited:
                return
            self._watch_limited = True
            line = (
                f"kairos: not every folder can be watched ({item.error}); what is not watched is seen by a look "
                f"at the whole tree every {self.look_seconds:g} s. To watch them all: {limit_advice()}"
            )
            call = (self._limited, line)
        elif isinstance(item, BaseException):
            call = (self.log, "error", f"kairos: the server stopped watching the workspace: {one_line(item)}")
        else:
            return
        try:
            loop.call_soon_threadsafe(*call)
        except RuntimeError:  # the event loop is gone: the server is exiting
            pass

    def _limited(self, line: str) -> None:
        """Past inotify's limit (on the event loop): said once, and looks begin."""
        self.log("warning", line)
        if self._looks is None and not self.closed:
            self._looks = asyncio.get_running_loop().create_task(self._look_while_limited())

    async def _look_while_limited(self) -> None:
        """As the daemon does past the limit: every ``look_seconds``, every folder watched again
        if the system now allows it, then a look at the whole tree (what was written where no
        watch was), then the open documents checked."""
        watcher = self._watcher
        try:
            while watcher is not None and watcher.limited is not None and not self.closed:
                await asyncio.sleep(self.look_seconds)
                if self.closed or self._recorder is None:
                    return
                if await asyncio.to_thread(watcher.watch_again):
                    self._watch_limited = False
                    self.log("info", "kairos: every folder is watched again")
                if self._daemon_keeps_memory() is None:
                    self.recorder.look_at_everything(list(self.documents), then=self.check_all)
        finally:
            self._looks = None

    async def flush(self, uri: str, timeout: float = 5.0) -> None:
        """Record a pending edit of ``uri`` now and wait until it is stored."""
        if self._recorder is not None:
            await self._recorder.flush(uri, timeout)

    async def flush_all(self, timeout: float = 5.0) -> None:
        if self._recorder is not None:
            await self._recorder.flush_all(timeout)

    # -- what other processes record ---------------------------------------------

    def follow_others(self) -> None:
        """From now on, every :data:`OTHERS_EVERY` seconds, read what other processes recorded
        (the daemon, ``kairos scan``, ``kairos dream``, a test run through ``kairos run`` or the
        pytest plugin): when there is some, the open documents are checked again and a dream is
        due once the user is idle. Without it their news reached the editor at the next edit."""
        if self.store is None or self.closed or self._news is not None:
            return
        self._news, _ = self.store.news_since(None)
        self._others = asyncio.get_running_loop().call_later(OTHERS_EVERY, self._look_at_others)

    def _look_at_others(self) -> None:
        self._others = None
        if self.store is None or self.closed:
            return
        try:
            version = self.store.db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:  # (another connection committed: maybe news)
                self._news_since()
                self._data_version = version
            self._others_failed = False
        except sqlite3.Error as exc:  # (a busy or broken memory: the next look tries again; said once)
            if not self._others_failed:
                self.log("warning", f"kairos: could not read what others recorded: {one_line(exc)}")
            self._others_failed = True
        self._others = asyncio.get_running_loop().call_later(OTHERS_EVERY, self._look_at_others)

    def _news_since(self) -> None:
        assert self.store is not None and self._news is not None
        marks, looks = self.store.news_since(self._news)
        dreamt = marks[1] != self._news[1]
        self._news = marks
        open_paths = {doc.path for doc in self.documents}
        # Not this server's own records of its open buffers (its saves and edits check already).
        others = any(source not in OWN_SOURCES or path not in open_paths for path, source in looks)
        if others:
            self.dreamer.kick()
        if others or dreamt:
            self.check_all()

    # -- problems (diagnostics) -------------------------------------------------

    def check_all(self) -> None:
        """Re-check every open document (after a dream or a save)."""
        for doc in self.documents:
            self.check(doc.uri)

    def check(self, uri: str) -> None:
        """Compute the problems of an open document off the event loop, then publish them."""
        doc = self.documents.get(uri)
        if doc is not None and self.records(doc):
            self.checker.check(doc)

    def problems_for(self, doc: Document) -> tuple[bytes, list[Problem]]:
        """The problems of ``doc`` as it is now (recomputed here if the last check is outdated)."""
        if self._checker is None:
            return doc.text, []
        return self._checker.problems_for(doc, self.knowledge if self.records(doc) else None)

    # -- commands -----------------------------------------------------------------

    async def verdict(self, fact_id: int, confirm: bool) -> dict:
        """Confirm or reject a fact; the dream applies it before this returns."""
        await self.dreamer.run(lambda store: record_verdict(store, int(fact_id), confirm))
        self.check_all()
        assert self.knowledge is not None  # the store is open: commands come after initialize
        return self.knowledge.fact(int(fact_id)) or {}

    async def forget(self, target: str) -> dict:
        """Forget a symbol (key, or ``path::Qual.name``) or a file (path or URI)."""
        target = self._target(target)
        await self.flush_all()
        counts = await self.recorder.run(lambda store: forget(store, target))
        self.check_all()
        return {"forgot": target, **counts}

    def _target(self, target: str) -> str:
        doc = self.documents.get(target)
        if doc is not None:
            return doc.path
        if target.startswith("file:") or os.path.isabs(target):  # a file that is not open: by URI or path
            path, inside = self.documents.locate(target if target.startswith("file:") else Path(target).as_uri())
            if inside:
                return path
        if "::" in target:
            path, qualname = target.split("::", 1)
            row = self.store.symbol_by_qualname(path, qualname) if self.store else None
            if row is not None:
                return row["key"]
        return target

    def status(self) -> dict:
        """``kairos.status``: the memory's size and counts, the last dream, the LLM, the scan."""
        out = self.knowledge.status() if self.knowledge is not None else {"store": None}
        out["llm"] = self.llm_status()
        out["scanning"] = self.scanning
        out["open_documents"] = len(self.documents)
        watcher = daemon.running(self.root) if self.root is not None else None
        out["daemon"] = {"running": watcher is not None, "pid": watcher.get("pid") if watcher else None}
        if watcher is not None and self._daemon_keeps_memory(watcher=watcher) is not None:
            out["disk"] = "followed: the kairos daemon watches the workspace"
        elif self.editor_watches:
            out["disk"] = "followed: the editor tells of files changed on disk"
        elif self.server_watches:
            out["disk"] = "followed: the server watches the workspace"
        else:
            out["disk"] = "not followed: files changed outside the editor reach the memory at the next start"
        return out

    def looked_at(self, key: str) -> None:
        """A symbol the user hovered: noted in the memory (in a batch, on the memory thread,
        :data:`ATTENTION_EVERY` seconds later), so that a dream asks Claude about it first."""
        if self.store is None or self.closed:
            return
        if not self._looked:
            asyncio.get_running_loop().call_later(ATTENTION_EVERY, self._note_looked)
        self._looked.add(key)

    def _note_looked(self) -> None:
        keys, self._looked = sorted(self._looked), set()
        if not keys or self.closed:
            return
        store, knowledge = self.store, self.knowledge
        if store is not None and knowledge is not None:
            # On the event loop's own connection, so that what the hovers read stays cached (the
            # memory thread's commit would make them read it all again: tens of ms each on a large
            # tree); never waiting for another writer's lock, nor checkpointing the log here.
            try:
                store.db.execute("PRAGMA busy_timeout = 0")
                with store.no_autocheckpoint():
                    knowledge.resolver.unchanged_by(lambda: store.note_attention(keys, "hovered"))
                return
            except sqlite3.OperationalError:  # another writer has the lock: the memory thread notes them
                pass
            finally:
                store.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        asyncio.ensure_future(self.recorder.run(lambda writer: writer.note_attention(keys, "hovered")))

    def llm_status(self) -> dict:
        """What Claude may do here (see ``llm.status``)."""
        return llm_status(self.settings, self.store)

    @property
    def claude(self) -> Claude | None:
        """Claude for the code actions a user picks (with its own connection to the memory,
        used off the event loop); None unless opted in with a key."""
        if self._claude is None and self.store_file is not None and self.settings.llm_provider == "anthropic":
            self._claude = Claude(self.settings, Store(self.store_file), self.log)
        return self._claude if self._claude is not None and self._claude.enabled else None

    # -- the scan -------------------------------------------------------------

    def start_scan(self, progress: Progress) -> bool:
        """Bring the memory up to date with the disk in the background."""
        if self.root is None or self.store is None or self.store_file is None or self.closed:
            return False
        loop = asyncio.get_running_loop()
        self._scan_thread = threading.Thread(
            target=self._scan, args=(self.root, self.store_file, progress, loop), name="kairos-scan", daemon=True
        )
        self._scan_thread.start()
        return True

    @property
    def scanning(self) -> bool:
        return self._scan_thread is not None and self._scan_thread.is_alive()

    def _daemon_keeps_memory(self, say: bool = False, watcher: dict | None = None) -> dict | None:
        """The daemon of this workspace (its state; ``watcher``: as just read) when one runs and
        keeps this memory (else None: ``say`` logs a daemon that keeps another)."""
        if watcher is None and self.root is not None and self.store_file is not None:
            watcher = daemon.running(self.root)
        theirs = watcher.get("store") if watcher is not None else None
        if watcher is not None and os.path.realpath(str(theirs)) != os.path.realpath(str(self.store_file)):
            if say:
                self.log("info", f"kairos: the daemon of this workspace keeps another memory ({theirs})")
            return None
        return watcher

    def _scan(self, root: Path, store_file: Path, progress: Progress, loop: asyncio.AbstractEventLoop) -> None:
        if self.settings.daemon_keep_alive:
            self.keep_daemon()
        watcher = self._daemon_keeps_memory(say=True)
        if watcher is not None:  # the daemon keeps the memory current: it watches, it caught up when it started
            message = f"a kairos daemon (pid {watcher.get('pid') or '?'}) keeps the memory current; no scan"
            self.log("info", f"kairos: {message}")
            progress.end(message)
            self._scanned(loop)
            return
        if self._watcher is not None:  # (what changes once the scan has read it comes as changes)
            self._watcher.wait_until_watched()
        try:
            report = scan_in_a_child(
                root,
                store_file,
                self.settings,
                None,
                "parse",
                stop=lambda: self._stop.is_set() or progress.cancelled(),
                heard=lambda told: progress.report(*told),
            )
        except Exception as exc:  # noqa: BLE001 - the server carries on without a scan
            self.log("error", f"kairos: the workspace scan failed: {one_line(exc)}")
            progress.end("scan failed")
            return
        skipped = [f"{path} ({reason})" for path, reason in report.skipped]
        if skipped:
            shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
            self.log("info", f"kairos: skipped {len(skipped)} files: {shown}")
        summary = (
            f"{report.seen} files, {report.parsed} read, {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped in {report.seconds:.1f} s"
        )
        if report.stopped:
            summary = "stopped; " + summary
        self.log("info", f"kairos: scan {summary}")
        progress.end(summary)
        self._scanned(loop)

    def _scanned(self, loop: asyncio.AbstractEventLoop) -> None:
        # The scan saw the disk; open buffers with unsaved edits win again.
        if not self._stop.is_set():
            try:
                loop.call_soon_threadsafe(self._after_scan)
            except RuntimeError:  # the event loop is gone: the server is exiting
                pass

    def keep_daemon(self, wait: float = daemon.START_WAIT) -> None:
        """``daemon.keepAlive``: start a detached ``kairos daemon`` for the workspace unless one runs
        (it outlives this server, so learning goes on after the editor is gone)."""
        if self.root is None or self.store is None or daemon.running(self.root) is not None:
            return
        command = daemon.daemon_command(
            self.root,
            self.settings.store_path,
            self.settings.exclude,
            self.settings.max_file_bytes,
            self.settings.idle_seconds,
        )
        try:
            pid, line = daemon.start_detached(self.root, command, wait)
        except (OSError, daemon.DaemonError) as exc:
            pid, line = None, one_line(exc)
        self.log("info" if pid else "warning", f"kairos: daemon.keepAlive: {line}")

    def _after_scan(self) -> None:
        if self.closed:
            return
        self.dreamer.kick()
        self.recorder.after_scan([doc for doc in self.documents if self.records(doc)])
        self.follow_others()
        if self.knowledge is not None:  # what the first hovers would read otherwise (on this, the event loop)
            self.knowledge.resolver.index_modules()

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
        if self.settings.daemon_keep_alive:
            try:
                self.keep_daemon(wait=5.0)  # (one started with the session may have been stopped since)
            except Exception as exc:  # noqa: BLE001 - the server exits anyway
                self.log("warning", f"kairos: daemon.keepAlive: {one_line(exc)}")
        self.closed = True
        self._stop.set()
        if self._watcher is not None:
            self._watcher.stop()
        if self._looks is not None:
            self._looks.cancel()
        if self._others is not None:
            self._others.cancel()
        if self._scan_thread is not None:
            self._scan_thread.join(timeout)
        if self._dreamer is not None:
            self._dreamer.close()
        if self._checker is not None:
            self._checker.close()
        if self._recorder is not None:
            self._recorder.close()
        if self._claude is not None:
            self._claude.close()
            if self._claude.store is not None:
                self._claude.store.close()
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
