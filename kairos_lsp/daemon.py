"""``kairos daemon``: keep the memory of a workspace current when no editor is open.

    kairos daemon [PATH]            watch PATH in the foreground (what systemd and launchd run)
    kairos daemon --detach [PATH]   the same in the background; returns once it watches
    kairos daemon status [PATH]     running or not, pid, since, events seen, last dream (--json)
    kairos daemon stop [PATH]       SIGTERM, and wait until it is gone

What it does, in order:

* takes ``.kairos/daemon.lock`` (an ``flock``: the kernel drops it when the process
  dies, so a crash never leaves a workspace locked); a second daemon exits with one
  line; ``.kairos/daemon.pid`` names the holder;
* starts watching (``watchfiles``), then catches up with a normal scan (the disk may
  have changed while it was off): changes made during the scan queue up, none is lost;
* records each burst of changes as one batch (``watchfiles`` groups changes until
  ``STEP_MS`` of quiet, at most ``DEBOUNCE_MS``; sets that arrive while a batch is
  written join the next one): a ``git checkout`` of 500 files is one or two batches;
  same rules as the scan (.gitignore, ``exclude``, max bytes, binary files, known
  languages), source ``daemon``;
* dreams after ``dream.idleSeconds`` of quiet, in a child process (the daemon's own
  memory stays flat), under the dream lock (a server dreaming meanwhile makes it wait
  for the next quiet period), and stops that dream as soon as a change arrives;
* on SIGTERM or SIGINT records what is queued, sweeps the tree for a change the
  watcher had not handed over yet, and exits 0 within ``STOP_SECONDS``.

It never watches ``.kairos/`` (nor ``.git/`` or ignored folders, at any depth: see
``watch.py``): the root folder is watched alone, so the store's writes never
wake it. Idle, its own threads block (on a queue, on a pipe for signals); only the
watchers' native loops wake every ``STEP_MS`` to look at their stop flag (no polling of
the disk: changes come from inotify/FSEvents). One line per event
goes to ``.kairos/daemon.log`` (rotated at 1 MB, one old file kept).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import logging.handlers
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kairos_lsp.config import Settings, cli_settings
from kairos_lsp.dream import dream, due
from kairos_lsp.scan import (
    CHILD_FROM,
    ScanReport,
    scan_in_child,
    scan_paths,
    scan_workspace,
)
from kairos_lsp.store import STORE_DIR, Store, StoreError, now
from kairos_lsp.watch import (
    DEBOUNCE_MS,
    LOOK_SECONDS,
    STEP_MS,
    TreeWatcher,
    WatchLimit,
    inotify_limit,
    inotify_watches,
    limit_advice,
)
from kairos_lsp.workers import Child, ChildFailed, ChildGone

LOCK_FILE = "daemon.lock"
PID_FILE = "daemon.pid"
STATE_FILE = "daemon.json"
LOG_FILE = "daemon.log"
LOG_BYTES = 1_000_000  # daemon.log is rotated at this size; one old file is kept
STOP_SECONDS = 2.0  # SIGTERM to exit, at most
SWEEP_SECONDS = 1.2  # of which the last look at the tree may take this long
DREAM_NICENESS = 5
START_WAIT = 15.0  # --detach waits this long for the daemon to hold its lock

log = logging.getLogger("kairos.daemon")


class DaemonError(Exception):
    """What stops a daemon, in one line for the user."""


def one_line(error: BaseException | str) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:500]


# -- the workspace's daemon files -------------------------------------------------------


def kairos_folder(root: Path, create: bool = True) -> Path:
    """``root/.kairos`` (0700, with its own .gitignore); a symlinked one is refused."""
    folder = root / STORE_DIR
    if folder.is_symlink():
        raise DaemonError(f"{folder} is a symbolic link; refusing to keep the daemon's files where it points")
    if create:
        folder.mkdir(mode=0o700, exist_ok=True)
        if not (folder / ".gitignore").exists():
            (folder / ".gitignore").write_text("*\n")
    return folder


def _open_private(path: Path, flags: int) -> int:
    """A file in ``.kairos`` opened without following a symlink planted there."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink
            raise DaemonError(f"{path} is a symbolic link; refusing to follow it") from None
        raise


class WorkspaceLock:
    """One daemon per workspace: an exclusive ``flock`` on ``.kairos/daemon.lock``."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, attempts: int = 5) -> bool:
        fd = _open_private(self.path, os.O_RDWR | os.O_CREAT)
        for attempt in range(attempts):  # a `status` probing at this instant holds it for microseconds
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return True
            except OSError:
                if attempt + 1 < attempts:
                    time.sleep(0.02)
        os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def running(root: str | os.PathLike) -> dict | None:
    """``{"pid", "since", ...}`` of the daemon watching ``root``, or None when none does.

    Asks the lock, not the pid file: a daemon killed with SIGKILL leaves its pid file,
    never its lock. Creates nothing.
    """
    folder = Path(root) / STORE_DIR
    if folder.is_symlink():
        return None
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            pass  # held: a daemon runs
        else:
            return None
    finally:
        os.close(fd)  # (drops the shared lock if we took it)
    state = read_state(Path(root))
    try:
        state["pid"] = int((folder / PID_FILE).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        state.setdefault("pid", None)
    state["running"] = True
    return state


def read_state(root: Path) -> dict:
    """What the daemon last wrote about itself (``.kairos/daemon.json``), or {}."""
    try:
        with open(root / STORE_DIR / STATE_FILE, encoding="utf-8") as handle:
            state = json.load(handle)
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_private(path: Path, text: str) -> None:
    """Replace a file in ``.kairos`` at once (a reader sees the old or the new text)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = _open_private(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temp, path)


# -- the daemon -----------------------------------------------------------------------------


@dataclass
class Counters:
    events: int = 0  # file changes the watcher reported (after its filter)
    batches: int = 0  # batches recorded
    files: int = 0  # files read or forgotten by those batches
    dreams: int = 0
    last_batch: str | None = None
    last_dream: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)


def _few_files(paths: Iterable[str], most: int) -> bool:
    """Whether these paths (files, folders) hold at most ``most`` files in all; a path gone
    does not count as few (the memory may know a whole tree under it).

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _few_files([folder], 1), _few_files([folder + "/gone"], 1)
    (True, False)
    """
    count = 0
    for path in paths:
        if not os.path.lexists(path):
            return False
        if not os.path.isdir(path):
            count += 1
        for _, _, files in os.walk(path):
            count += len(files)
            if count > most:
                return False
    return count <= most


class Daemon:
    """One workspace watched, recorded and dreamed over until :meth:`stop`."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        store_override: str | None = None,
        idle_seconds: float | None = None,
        look_seconds: float = LOOK_SECONDS,
    ):
        self.root = Path(root).resolve()
        self.look_seconds = look_seconds
        self.settings = settings
        self.store_override = store_override
        self.idle_seconds = settings.idle_seconds if idle_seconds is None else idle_seconds
        self.folder = self.root / STORE_DIR
        self.store_file = ""  # where the memory is (checked, and migrated, at the start)
        self.counters = Counters()
        self.since = now()
        self._changes: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._signalled_at: float | None = None
        self._dream_stop = threading.Event()
        self._child_stop = threading.Event()  # a scan in a child
        self._dreaming = False
        self.watcher = TreeWatcher(self.root, settings, self._heard, stopped=self._stop)
        self._said_limited = False  # (the limit's warning, once until every folder is watched again)
        self._lock: WorkspaceLock | None = None
        self._wake_r = self._wake_w = -1  # a pipe while running: signals and the worker's end wake the main thread
        self.exit_code = 0

    # -- running ------------------------------------------------------------------

    def run(self) -> int:
        """Lock, catch up, watch until SIGTERM/SIGINT (on the main thread). Returns the exit code."""
        self.folder = kairos_folder(self.root)
        self._lock = WorkspaceLock(self.folder)
        if not self._lock.acquire():
            other = running(self.root) or {}
            raise AlreadyRunning(f"a daemon already watches {self.root} (pid {other.get('pid') or '?'})")
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        try:
            return self._run_locked()
        finally:
            with contextlib.suppress(OSError):
                (self.folder / PID_FILE).unlink()
            self._lock.release()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _run_locked(self) -> int:
        with self._memory() as store:
            self.store_file = store.path
        _write_private(self.folder / PID_FILE, f"{os.getpid()}\n")
        self._save_state()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        old_wakeup = signal.set_wakeup_fd(self._wake_w)
        log.info(
            f"started: pid {os.getpid()}, watching {self.root}, memory {self.store_file}, "
            f"dream after {self.idle_seconds:g} s of quiet"
        )
        worker = threading.Thread(target=self._work, name="kairos-daemon", daemon=True)
        try:
            self.watcher.start()
            worker.start()
            while worker.is_alive() and self._signalled_at is None:
                with contextlib.suppress(InterruptedError, BlockingIOError):
                    os.read(self._wake_r, 64)  # a signal (wakeup fd) or the worker's end
            self._stop.set()
            self._dream_stop.set()
            self._child_stop.set()
            self._changes.put(None)  # wakes the worker if it waits for changes
            worker.join(STOP_SECONDS + 5)
        finally:
            self._stop.set()
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.watcher.stop()
            self._save_state(stopped=True)
        if self._signalled_at is not None:
            log.info(f"stopped by a signal in {time.monotonic() - self._signalled_at:.2f} s")
        return self.exit_code

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._signalled_at is None:
            self._signalled_at = time.monotonic()
            log.info(f"{signal.Signals(signum).name}: recording what is pending, then exiting")

    def _work(self) -> None:
        """The worker thread: catch up, then batches and dreams until the stop."""
        try:
            self.watcher.wait_until_watched()
            self._catch_up()
            self._loop()
            self._flush()
        except DaemonError as exc:
            log.error(f"error: {exc}")
            self.exit_code = 1
        except Exception as exc:  # noqa: BLE001 - one line in the log, exit 1
            log.exception(f"error: {one_line(exc)}")
            self.exit_code = 1
        finally:
            self._stop.set()
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

    @contextlib.contextmanager
    def _memory(self) -> Iterator[Store]:
        """The memory, opened for one batch and closed after it: idle, the daemon holds no
        connection (and no page cache)."""
        try:
            store = Store.for_workspace(self.root, self.store_override)
        except StoreError as exc:
            raise DaemonError(str(exc)) from None
        try:
            yield store
        finally:
            store.close()

    def _in_child(self, paths: list[str] | None) -> ScanReport:
        """A whole look at the tree (``paths`` None) or a big batch, in a child process:
        what it parses never grows the daemon's own memory."""
        args = (str(self.root), self.store_file, self.settings, paths, "daemon")
        report = run_child(scan_in_child, args, self._child_stop, self._stop, self._signalled)
        if isinstance(report, dict):  # what went wrong
            if report.get("stopped"):
                return ScanReport(stopped=True)  # killed at the exit: the last look (in _flush) follows
            raise DaemonError(report.get("error", "the scan's child process said nothing"))
        for path, reason in report.skipped:
            self._skipped(path, reason)
        return report

    def _catch_up(self) -> None:
        report = self._in_child(None)
        self.counters.files += report.parsed + report.removed
        log.info(
            f"caught up: {report.seen} files, {report.parsed} read, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.skipped)} skipped in {report.seconds:.2f} s"
            + (" (stopped)" if report.stopped else "")
        )
        self._save_state()

    @property
    def quiet(self) -> float:
        """Seconds without a batch before a dream: ``idle_seconds``, but no less than a burst
        can last (the watcher hands changes over up to ``DEBOUNCE_MS`` after they happen)."""
        return max(self.idle_seconds, (DEBOUNCE_MS + STEP_MS) / 1000)

    def _loop(self) -> None:
        quiet = self.quiet
        due: float | None = time.monotonic() + quiet  # a dream after the catch-up, if needed
        look: float | None = None  # the next look at the whole tree (when not every folder is watched)
        while not self._stop.is_set():
            if look is None and self.watcher.limited is not None:
                look = time.monotonic() + self.look_seconds
            wake = min((t for t in (due, look) if t is not None), default=None)
            timeout = None if wake is None else max(0.0, wake - time.monotonic())
            try:
                item = self._changes.get(timeout=timeout)
            except queue.Empty:
                if look is not None and time.monotonic() >= look:
                    look = None
                    if self._look():
                        due = time.monotonic() + quiet
                    continue
                due = self._idle_dream()
                continue
            if item is None:
                break
            self._batch(self._drain(item))
            due = time.monotonic() + quiet

    def _look(self) -> bool:
        """A look at the whole tree (stat only for what did not change), for a daemon that
        cannot watch every folder; True if it recorded something. First, if the system now
        allows more watches, every folder is watched again (:meth:`_watch_again`): the look
        then sees what was written before the new watches were in place."""
        self._watch_again()
        started = time.perf_counter()
        report = self._in_child(None)
        if not report.parsed + report.removed:
            return False
        self._recorded(report, "a look at the whole tree (not every folder is watched)", started)
        return True

    def _watch_again(self) -> None:
        """Every folder watched again once the system allows it (:meth:`TreeWatcher.watch_again`):
        then the looks end."""
        if self.watcher.watch_again():
            self._said_limited = False
            log.info(f"every folder is watched again (fs.inotify.max_user_watches: {inotify_limit()})")
            self._save_state()

    def _recorded(self, report: ScanReport, what: str, started: float) -> None:
        """Count a batch that recorded something, and log it: ``what`` it was, its counts."""
        self.counters.batches += 1
        self.counters.files += report.parsed + report.removed
        self.counters.last_batch = now()
        log.info(
            f"batch {self.counters.batches}: {what}: "
            f"{report.parsed} files read, {report.unchanged} unchanged, {report.removed} removed, "
            f"{len(report.skipped)} skipped; +{report.added} -{report.negated} observations "
            f"in {(time.perf_counter() - started) * 1000:.0f} ms"
        )
        self._save_state()

    def _drain(self, first: object) -> set[tuple[int, str]]:
        """The change sets queued so far, merged into one batch."""
        changes: set[tuple[int, str]] = set()
        item: object = first
        while True:
            if isinstance(item, BaseException):
                raise DaemonError(f"the watcher failed: {one_line(item)}")
            if isinstance(item, WatchLimit):
                self._watch_limit(item)
            if isinstance(item, set):
                changes |= item
            try:
                item = self._changes.get_nowait()
            except queue.Empty:
                return changes
            if item is None:
                self._changes.put(None)  # the stop, for _loop, after this batch
                return changes

    def _watch_limit(self, limit: WatchLimit) -> None:
        """The system would not watch every folder: say so once, and how to lift it; from now
        on the whole tree is also looked at every ``look_seconds``."""
        if not self._said_limited:
            self._said_limited = True
            log.warning(
                f"not every folder can be watched ({limit.error}); what is not watched is seen by a look at "
                f"the whole tree every {self.look_seconds:g} s. To watch it all, raise the limit: {limit_advice()}"
            )
            self._save_state()

    def _batch(self, changes: set[tuple[int, str]]) -> None:
        """Record one batch of changes (absolute paths) under the scan's rules."""
        if not changes:
            return
        started = time.perf_counter()
        paths = {path for _, path in changes}
        full = any(os.path.basename(path) == ".gitignore" for path in paths)
        # A folder made or removed where only its parent is watched is in the batch: it is read
        # whole, or forgotten; in a child unless it holds few files (a folder made may hold a
        # tree: a clone, a move).
        folders = self.watcher.structure_changed(paths)
        if folders:
            log.info("the folders to watch changed: watching them anew")
        if full or len(paths) > CHILD_FROM or (folders and not _few_files(paths, CHILD_FROM)):
            report = self._in_child(None if full else sorted(paths))
        else:
            with self._memory() as store:
                report = scan_paths(self.root, store, paths, self.settings, source="daemon", on_skip=self._skipped)
        if not report.parsed + report.removed and not report.skipped:
            return  # nothing the memory keeps (a folder touched, an ignored file, the same bytes)
        self._recorded(report, f"{len(changes)} changes{' (full look)' if full else ''}", started)

    def _flush(self) -> None:
        """At the stop: what is queued, then a last look for what the watcher still held."""
        changes: set[tuple[int, str]] = set()
        while True:
            try:
                item = self._changes.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, set):
                changes |= item
        self._child_stop.clear()
        self._batch(changes)
        deadline = (self._signalled_at or time.monotonic()) + SWEEP_SECONDS
        started = time.perf_counter()
        with self._memory() as store:
            report = scan_workspace(
                self.root,
                store,
                self.settings,
                source="daemon",
                jobs=1,
                should_stop=lambda: time.monotonic() > deadline,
                on_skip=self._skipped,
            )
        if report.parsed or report.removed:
            stopped = " (stopped: out of time)" if report.stopped else ""
            self._recorded(report, f"last look before exiting{stopped}", started)

    def _skipped(self, path: str, reason: str) -> None:
        log.info(f"skipped {path}: {reason}")

    # -- dreaming ------------------------------------------------------------------

    def _idle_dream(self) -> float | None:
        """Dream now if there is anything to consolidate; when to try again (None: on the next change)."""
        with self._memory() as store:
            if not due(store):
                return None
        self._dreaming = True  # from now on a change stops the dream
        self._dream_stop.clear()
        if not self._changes.empty() or self._stop.is_set():
            self._dreaming = False
            return time.monotonic()  # a change came first: record it, then wait for quiet again
        try:
            llm = self.settings if self.settings.llm_provider == "anthropic" else None  # Claude too (opted in)
            args = (self.store_file, "daemon", llm, str(self.root))
            result = run_child(_dream_child, args, self._dream_stop, self._stop, self._signalled)
        finally:
            self._dreaming = False
        self.counters.dreams += 1
        line = result.get("line") or result.get("error") or "dream: no report"
        self.counters.last_dream = {"at": now(), **result}
        log.info(line)
        for note in result.get("notes") or ():  # Claude's lines: no key, a failure, the budget
            log.warning(note)
        self._save_state()
        if result.get("busy") or result.get("stopped") or result.get("error"):
            return time.monotonic() + self.quiet
        return None

    def _heard(self, item: object) -> None:
        """What a watcher thread hands over (see :class:`TreeWatcher`): queued for the worker;
        a change makes an idle dream yield."""
        if isinstance(item, set):
            self.counters.events += len(item)
            if self._dreaming:
                self._dream_stop.set()
        self._changes.put(item)

    def _signalled(self) -> float | None:
        return self._signalled_at

    # -- watching ------------------------------------------------------------------

    # -- status ---------------------------------------------------------------------

    def _save_state(self, stopped: bool = False) -> None:
        c = self.counters
        state = {
            "pid": os.getpid(),
            "root": str(self.root),
            "store": self.store_file or None,
            "since": self.since,
            "stopped_at": now() if stopped else None,
            "idle_seconds": self.idle_seconds,
            "watch_limited": self.watcher.limited,
            "look_seconds": self.look_seconds,
            "watches": inotify_watches(),  # (what counts against the system's limit)
            "watch_limit": inotify_limit(),
            "events": c.events,
            "batches": c.batches,
            "files": c.files,
            "dreams": c.dreams,
            "last_batch": c.last_batch,
            "last_dream": c.last_dream,
        }
        with contextlib.suppress(OSError, DaemonError):
            _write_private(self.folder / STATE_FILE, json.dumps(state, indent=1) + "\n")


class AlreadyRunning(DaemonError):
    pass


# -- the dream, in a child process ----------------------------------------------------------


def run_child(target: Any, args: tuple, stop: threading.Event, stopping: threading.Event, signalled: Any) -> Any:
    """``target(*args, should_stop)`` in a :class:`~kairos_lsp.workers.Child`: what it returns,
    or ``{"error": line}`` (with ``"stopped": True`` when the daemon's exit killed it).
    ``stop`` asks it to stop between batches; once the daemon is stopping
    (``signalled()`` says since when) it gets ``STOP_SECONDS / 2`` to do so, then is killed
    (that loses nothing: its open transaction rolls back, the dream lock dies with it).
    A new interpreter, not a fork: the daemon runs threads, and a fork server would stay
    beside it with multiprocessing's resource tracker, two more processes (28 MB) all its
    life.
    """

    def give_up() -> bool:
        if not stopping.is_set():
            return False
        stop.set()
        began = signalled() or time.monotonic()
        return time.monotonic() > began + STOP_SECONDS / 2

    child = Child()
    try:
        result = child.call(target, args, stop=stop.is_set, give_up=give_up)
    except ChildGone as exc:
        if stopping.is_set():
            return {"error": "stopped by the daemon's exit (what is left resumes next time)", "stopped": True}
        return {"error": f"the daemon's child process ended without a report: {exc}"}
    except ChildFailed as exc:
        return {"error": f"the daemon's child process failed: {exc}"}
    finally:
        child.close()
    return result


def _dream_child(
    store_file: str, trigger: str, llm: Settings | None, root: str | None, should_stop: Callable[[], bool]
) -> dict:
    """In a child process: a dream, niced."""
    if hasattr(os, "nice"):
        os.nice(DREAM_NICENESS)
    try:
        store = Store(store_file)
        try:
            report = dream(store, trigger=trigger, should_stop=should_stop, llm=llm, root=root)
        finally:
            store.close()
        return {
            "line": report.line(),
            "busy": report.busy,
            "stopped": report.stopped,
            "id": report.dream_id,
            "notes": report.notes,
        }
    except Exception as exc:  # noqa: BLE001 - the daemon logs it
        return {"error": f"dream: failed: {one_line(exc)}"}


# -- starting one in the background ----------------------------------------------------------


def daemon_command(
    root: Path,
    store: str | None = None,
    exclude: Iterable[str] = (),
    max_bytes: int | None = None,
    idle_seconds: float | None = None,
) -> list[str]:
    """The command line of a foreground daemon for ``root``."""
    command = [sys.executable, "-m", "kairos_lsp.cli", "daemon", str(root), "--quiet"]
    if store:
        command += ["--store", store]
    for pattern in exclude:
        command += ["--exclude", pattern]
    if max_bytes is not None:
        command += ["--max-bytes", str(max_bytes)]
    if idle_seconds is not None:
        command += ["--idle-seconds", f"{idle_seconds:g}"]
    return command


def start_detached(
    root: Path, command: list[str], wait: float = START_WAIT, env: dict[str, str] | None = None
) -> tuple[int | None, str]:
    """Start ``command`` (a foreground daemon) in its own session, detached from this
    process' terminal and stdio; wait until it holds the workspace lock. Returns (pid,
    one line): pid None when it did not start (the line says why)."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            cwd=str(root),
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            code = child.poll()
            if code is not None:
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip().splitlines()
                return None, (said[-1] if said else f"the daemon exited at once (status {code})")
            state = running(root)
            if state is not None and state.get("pid") == child.pid:
                # reaped in the background, so that it never lingers as a zombie of this process
                threading.Thread(target=child.wait, name="kairos-daemon-reaper", daemon=True).start()
                return child.pid, f"started (pid {child.pid}), log: {root / STORE_DIR / LOG_FILE}"
            time.sleep(0.05)
    threading.Thread(target=child.wait, name="kairos-daemon-reaper", daemon=True).start()
    return child.pid, f"started (pid {child.pid}), not yet watching after {wait:g} s"


def stop(root: Path, wait: float = 10.0) -> tuple[bool, str]:
    """SIGTERM the daemon of ``root`` and wait for its lock to go. (stopped, one line)."""
    state = running(root)
    if state is None:
        return False, f"not running for {root}"
    pid = state.get("pid")
    if not pid:
        return False, f"a daemon holds {root / STORE_DIR / LOCK_FILE} but left no pid file"
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True, f"stopped (pid {pid} was already gone)"
    except PermissionError:
        return False, f"not allowed to stop pid {pid}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if running(root) is None:
            return True, f"stopped (pid {pid})"
        time.sleep(0.05)
    return False, f"pid {pid} did not stop within {wait:g} s"


# -- the command ---------------------------------------------------------------------------------

ACTIONS = ("status", "stop")


def add_arguments(parser) -> None:
    """``kairos daemon [status|stop] [PATH]`` and its options."""
    parser.description = (
        "kairos daemon [PATH]: watch PATH (default: here) in the foreground and keep its memory current; "
        "--detach: in the background. kairos daemon status [PATH]: exit 0 if running, 3 if not. "
        "kairos daemon stop [PATH]: SIGTERM, and wait until it has exited."
    )
    parser.add_argument("words", nargs="*", metavar="[status|stop] [PATH]", help="what to do, and the workspace")
    parser.add_argument("--detach", action="store_true", help="run in the background (pid in .kairos/daemon.pid)")
    parser.add_argument("--json", action="store_true", help="status: as JSON")
    parser.add_argument("--store", help="memory file (default: <workspace>/.kairos/memory.db or $KAIROS_STORE)")
    parser.add_argument("--exclude", action="append", metavar="GLOB", help="gitignore-style pattern to skip")
    parser.add_argument("--max-bytes", type=int, default=None, help="skip larger files")
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=None,
        help="dream after this much quiet (default: dream.idleSeconds, $KAIROS_DREAM_IDLE_SECONDS, 30)",
    )
    parser.add_argument(
        "--look-seconds",
        type=float,
        default=None,
        help=f"when the system will not watch every folder (inotify's limit), look at the whole tree this often "
        f"(default {LOOK_SECONDS:g})",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="log to .kairos/daemon.log only, not stderr")


def main(args, out: TextIO, err: TextIO) -> int:
    """Run the ``kairos daemon`` command; one line on ``err`` for what goes wrong."""
    words = list(args.words)
    action = words.pop(0) if words and words[0] in ACTIONS else "run"
    if len(words) > 1:
        print(f"kairos daemon: expected at most one PATH, got {' '.join(words)}", file=err)
        return 2
    root = Path(words[0] if words else ".").resolve()
    if not root.is_dir():
        print(f"kairos daemon: not a folder: {root}", file=err)
        return 2
    if action == "status":
        return _status(root, args.json, out)
    if action == "stop":
        stopped, line = stop(root)
        print(f"kairos daemon: {line}", file=out if stopped or line.startswith("not running") else err)
        return 0 if stopped or line.startswith("not running") else 1
    settings = cli_settings(root)  # .kairos/config.toml, if any
    for problem in settings.unknown:
        print(f"kairos daemon: ignored: {problem}", file=err)
    if args.exclude:
        settings = _replace(settings, exclude=tuple(args.exclude))
    if args.max_bytes is not None:
        settings = _replace(settings, max_file_bytes=args.max_bytes)
    if args.idle_seconds is not None and args.idle_seconds < 0:
        print("kairos daemon: --idle-seconds must not be negative", file=err)
        return 2
    if args.look_seconds is not None and args.look_seconds <= 0:
        print("kairos daemon: --look-seconds must be positive", file=err)
        return 2
    if args.detach:
        other = running(root)
        if other is not None:
            print(f"kairos daemon: a daemon already watches {root} (pid {other.get('pid') or '?'})", file=err)
            return 1
        command = daemon_command(root, args.store, settings.exclude, args.max_bytes, args.idle_seconds)
        if args.look_seconds is not None:
            command += ["--look-seconds", f"{args.look_seconds:g}"]
        pid, line = start_detached(root, command)
        print(f"kairos daemon: {line}", file=out if pid else err)
        return 0 if pid else 1
    try:
        handlers = _logging(root, quiet=args.quiet, err=err)
    except DaemonError as exc:
        print(f"kairos daemon: {exc}", file=err)
        return 2
    try:
        look = LOOK_SECONDS if args.look_seconds is None else args.look_seconds
        return Daemon(root, settings, args.store, args.idle_seconds, look).run()
    except AlreadyRunning as exc:
        print(f"kairos daemon: {exc}", file=err)
        return 1
    except DaemonError as exc:
        log.error(f"error: {exc}")  # (to stderr as well, unless --quiet)
        if args.quiet:
            print(f"kairos daemon: {exc}", file=err)
        return 2
    finally:
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


def _logging(root: Path, quiet: bool, err: TextIO) -> list[logging.Handler]:
    """One line per event to ``.kairos/daemon.log`` (rotated), and to stderr unless quiet."""
    folder = kairos_folder(root)
    path = folder / LOG_FILE
    if path.is_symlink():
        raise DaemonError(f"{path} is a symbolic link; refusing to write the log where it points")
    with contextlib.suppress(OSError):
        os.close(_open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND))  # 0600 when new
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=1, encoding="utf-8")
    formatter = logging.Formatter("%(asctime)sZ %(message)s")  # UTC, as the memory's own times
    formatter.converter = time.gmtime
    formatter.default_msec_format = "%s.%03d"
    handler.setFormatter(formatter)
    handlers: list[logging.Handler] = [handler]
    if not quiet:
        stream = logging.StreamHandler(err)
        stream.setFormatter(logging.Formatter("kairos daemon: %(message)s"))
        handlers.append(stream)
    for each in handlers:
        log.addHandler(each)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handlers


def _status(root: Path, as_json: bool, out: TextIO) -> int:
    state = running(root)
    if as_json:
        payload = state if state is not None else {"running": False, **_last(read_state(root))}
        payload["root"] = str(root)
        print(json.dumps(payload, indent=1), file=out)
        return 0 if state is not None else 3
    if state is None:
        last = read_state(root)
        ran = f"; last ran {last.get('since')} .. {last.get('stopped_at') or '?'}" if last else ""
        print(f"kairos daemon: not running for {root}{ran}", file=out)
        return 3
    dream_line = (state.get("last_dream") or {}).get("line") or "none yet"
    print(
        f"kairos daemon: running (pid {state.get('pid')}) since {state.get('since')}, watching {root}\n"
        f"  events seen {state.get('events', 0)}, batches {state.get('batches', 0)}, "
        f"files recorded {state.get('files', 0)}, last batch {state.get('last_batch') or 'none yet'}\n"
        f"  last dream: {dream_line}",
        file=out,
    )
    if state.get("watches") is not None:
        limit = state.get("watch_limit")
        print(
            f"  inotify watches: {state['watches']:,}"
            + (f" (fs.inotify.max_user_watches: {limit:,}, for all of the user's processes)" if limit else ""),
            file=out,
        )
    if state.get("watch_limited"):
        print(
            f"  not every folder is watched ({state['watch_limited']}): the whole tree is looked at every "
            f"{state.get('look_seconds', LOOK_SECONDS):g} s",
            file=out,
        )
    return 0


def _last(state: dict) -> dict:
    return {key: state[key] for key in ("since", "stopped_at", "events", "batches", "last_dream") if key in state}
