"""A workspace's files watched for changes (``watchfiles``): what ``kairos daemon`` and a
server whose editor does not watch share.

    watcher = TreeWatcher(root, settings, deliver=changes.put)
    watcher.start()
    watcher.wait_until_watched()       # from here on no change is missed
    ...                                # deliver(item) from the watcher threads, per burst:
                                       #   a set of (watchfiles.Change, absolute path),
                                       #   a WatchLimit (not every folder could be watched),
                                       #   or the exception that ended a watcher
    watcher.structure_changed(paths)   # before reading a batch: new folders watched as planned
    watcher.stop()

No ignored folder is watched, at any depth (:func:`watch_plan`): a folder that holds one
(``.git``, ``.kairos``, a ``node_modules/`` the ``.gitignore`` names) is watched alone, the
others with their whole tree; the root is always watched alone. So the memory's own writes
never wake it, and a monorepo's ``packages/*/node_modules`` cost no inotify watches (each
watched folder takes one, out of the user's ``fs.inotify.max_user_watches``). A burst ends after
``STEP_MS`` of quiet, at most ``DEBOUNCE_MS`` after it began. Past the system's limit of
inotify watches a watcher says so (:class:`WatchLimit`) and watches what it can;
:meth:`TreeWatcher.watch_again` tries again once the limit is raised.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kairos_lsp.config import Settings
from kairos_lsp.languages import language_for_path
from kairos_lsp.scan import ALWAYS_SKIPPED, IgnoreRules

STEP_MS = 200  # a burst ends after this much quiet...
DEBOUNCE_MS = 2000  # ...or after this long, whichever comes first
MOST_DIR_WATCHERS = 4  # folders made one by one get a watcher each, up to this many
LOOK_SECONDS = 120.0  # when the system cannot watch every folder: a look at the whole tree this often
MORE_WATCHES = 524288  # what the limit's message suggests (what most guides and tools suggest)
INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_watches")  # Linux: for all of a user's processes
DELETED = 3  # watchfiles.Change.deleted (watchfiles is imported by the watcher threads only)


def inotify_limit() -> int | None:
    """How many inotify watches the system allows a user (None where it does not say)."""
    try:
        return int(INOTIFY_LIMIT.read_text())
    except (OSError, ValueError):
        return None


def inotify_watches(pid: int | str = "self") -> int | None:
    """How many inotify watches a process holds (from ``/proc``; None where it cannot tell)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify":
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    count += sum(line.startswith("inotify wd:") for line in info)
    return count


def limit_advice() -> str:
    """How to watch it all: the command that raises the limit."""
    return f"sudo sysctl fs.inotify.max_user_watches={MORE_WATCHES}"


def _limit_text() -> str:
    """The limit reached, as the system names it."""
    limit = inotify_limit()
    if limit is None:
        return "the system's limit of inotify watches is reached"
    return f"the system's limit of inotify watches is reached: fs.inotify.max_user_watches = {limit}"


def _limit_reached(error: OSError) -> bool:
    """Whether ``watchfiles`` failed for want of inotify watches (notify's ``MaxFilesWatch``)."""
    return error.errno == errno.ENOSPC or "MaxFilesWatch" in str(error) or "watch limit" in str(error)


def watch_plan(root: Path, rules: IgnoreRules) -> tuple[frozenset[str], frozenset[str]]:
    """``(alone, whole)``: the folders to watch by themselves and those to watch with all they
    hold, so that no folder the scan skips or ``rules`` ignore is watched. The root is watched
    alone; a folder holding an ignored folder somewhere below is watched alone and its folders
    are planned the same way; a folder with nothing ignored below is watched whole.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for rel in ("src/app", "web/node_modules/x", "web/src", ".git/objects"):
    ...     (root / rel).mkdir(parents=True)
    >>> _ = (root / ".gitignore").write_text("node_modules/")
    >>> alone, whole = watch_plan(root, IgnoreRules(root))
    >>> sorted(os.path.relpath(p, root) for p in alone), sorted(os.path.relpath(p, root) for p in whole)
    (['.', 'web'], ['src', 'web/src'])
    """
    alone: set[str] = set()
    whole: set[str] = set()

    def plan(path: str, rel: str) -> tuple[bool, list[str]]:
        """Whether nothing below ``path`` is ignored, and its folders that may be watched whole."""
        pure, kept = True, []
        try:
            with os.scandir(path) as entries:
                folders = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
        except OSError:  # (unreadable: the watcher says so when it tries)
            return True, []
        for entry in folders:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name in ALWAYS_SKIPPED or rules.ignored(child, True):
                pure = False
                continue
            child_pure, child_kept = plan(entry.path, child)
            if child_pure:
                kept.append(entry.path)
            else:
                pure = False
                alone.add(entry.path)
                whole.update(child_kept)
        return pure, kept

    _, top = plan(str(root), "")
    alone.add(str(root))
    whole.update(top)
    return frozenset(alone), frozenset(whole)


@dataclass(frozen=True)
class WatchLimit:
    """What a watcher hands over when the system would not watch every folder it was given."""

    error: str


@dataclass(eq=False)
class _Watcher:
    """A watcher thread, its own stop, its ``ready`` (see :class:`_StopFlag`), what it watches,
    and ``limited``: set when the system would not watch all of it."""

    thread: threading.Thread
    stop: threading.Event
    ready: threading.Event
    dirs: frozenset[str]
    limited: threading.Event


class _StopFlag:
    """A watcher's stop flag: the tree watcher's, its owner's, or the watcher's own (a
    change-over). Its first ``is_set()`` sets ``ready``: ``watchfiles`` asks it at every step
    of its loop, so from the first ask on the watches are in place (on the interpreter's
    whole library folder, 8,700 folders, they take 0.3 s)."""

    def __init__(self, *events: threading.Event, ready: threading.Event):
        self.events = events
        self.ready = ready

    def is_set(self) -> bool:
        if not self.ready.is_set():
            self.ready.set()
        return any(event.is_set() for event in self.events)


class TreeWatcher:
    """A workspace watched: no ignored folder, at any depth (see the module and :func:`watch_plan`).

    ``deliver`` is called from the watcher threads; ``stopped``, an owner's event that also
    stops every watcher (a daemon's stop)."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        deliver: Callable[[Any], None],
        stopped: threading.Event | None = None,
    ):
        self.root = Path(root)
        self.settings = settings
        self.deliver = deliver
        self._stop = threading.Event()
        self._stops = (self._stop,) if stopped is None else (self._stop, stopped)
        self._rules = IgnoreRules(self.root, settings.exclude)
        self._alone: frozenset[str] = frozenset()  # the folders watched by themselves (the root among them)
        self._alone_watcher: _Watcher | None = None  # the folders watched alone
        self._dir_watchers: list[_Watcher] = []  # the folders watched whole
        self.limited: str | None = None  # why not every folder is watched
        self._limited_at: int | None = None  # fs.inotify.max_user_watches when a watcher last hit it
        self._watch_again_anyway = False  # a watcher hit it while those it replaced still held their watches
        self._changing = threading.Lock()  # (two watcher threads may see a folder go)

    def start(self) -> None:
        """The watcher of the folders watched alone and that of those watched whole (started:
        :meth:`wait_until_watched`)."""
        self._alone, whole = watch_plan(self.root, self._rules)
        self._alone_watcher = self._start_watcher(self._alone, False)
        self._dir_watchers = [self._start_watcher(whole, True)] if whole else []

    def wait_until_watched(self, watchers: Iterable[_Watcher] | None = None) -> None:
        """Until each watcher's watches are in place (or it ended, or the watching stops)."""
        for watcher in self._watchers() if watchers is None else watchers:
            while not watcher.ready.wait(0.05) and watcher.thread.is_alive() and not self.stopped:
                pass

    @property
    def stopped(self) -> bool:
        return any(event.is_set() for event in self._stops)

    def stop(self, wait: float = 1.0) -> None:
        self._stop.set()
        for watcher in self._watchers():
            watcher.thread.join(wait)

    def structure_changed(self, paths: Iterable[str]) -> bool:
        """Whether the folders to watch changed: one made, removed or renamed in a folder
        watched alone, an ignored folder made in one watched whole (``npm install``'s
        ``node_modules/``), a ``.gitignore`` changed; if so, the plan is followed anew
        before the batch is read (:meth:`_watch_plan`). True if the watchers changed."""
        paths = list(paths)
        if any(os.path.basename(path) == ".gitignore" for path in paths):
            self._rules = IgnoreRules(self.root, self.settings.exclude)
        else:
            whole = frozenset().union(*(watcher.dirs for watcher in self._dir_watchers))
            if not any(self._reshapes(path, whole) for path in paths):
                return False
        with self._changing:
            return self._watch_plan()

    def _reshapes(self, path: str, whole: frozenset[str]) -> bool:
        """Whether this change (a path the watchers' filter let through) reshapes the plan;
        ``whole``: the folders watched whole."""
        if not os.path.isdir(path):
            return path in self._alone or path in whole  # a watched folder gone (or renamed away)
        if path in self._alone or path in whole:
            return False
        if os.path.dirname(path) in self._alone:
            return True  # a folder made where only the folder itself is watched
        rel = os.path.relpath(path, self.root)
        return not rel.startswith("..") and self._rules.ignored(rel.replace(os.sep, "/"), True)  # node_modules/

    def watch_again(self) -> bool:
        """Past inotify's limit, once ``fs.inotify.max_user_watches`` is higher than when a
        watcher last hit it (the ``sysctl`` the warning gave), or when the watcher that hit it
        replaced others that still held their watches then: the top-level folders' watchers
        stop (and their watches are given back), then one new watcher watches them all (near
        the limit, old and new would not fit together; the caller's look that follows reads
        what was written in between). True if it now watches every folder."""
        limit = inotify_limit()
        if self.limited is None or limit is None:
            return False
        raised = self._limited_at is not None and limit > self._limited_at
        if not raised and not self._watch_again_anyway:
            return False
        self._limited_at, self._watch_again_anyway = limit, False
        stopped, self._dir_watchers = self._dir_watchers, []
        for watcher in stopped:
            watcher.stop.set()
        for watcher in stopped:
            watcher.thread.join(1.0)
        # ... and those replaced before, which stop once they have handed over their last burst
        deadline = time.monotonic() + (DEBOUNCE_MS + 2 * STEP_MS) / 1000 + 2
        kept = len(self._alone) if self._alone_watcher is not None else 0  # (one watch a folder watched alone)
        while (inotify_watches() or 0) > kept and time.monotonic() < deadline:
            time.sleep(0.05)
        _, whole = watch_plan(self.root, self._rules)
        fresh = [self._start_watcher(whole, True)] if whole else []
        self.wait_until_watched(fresh)
        self._dir_watchers = fresh
        if any(watcher.limited.is_set() for watcher in fresh):
            return False
        self.limited = None
        return True

    # -- the watchers ----------------------------------------------------------------

    def _start_watcher(self, paths: Iterable[str], recursive: bool) -> _Watcher:
        stop, ready, limited = threading.Event(), threading.Event(), threading.Event()
        paths = sorted(paths)
        thread = threading.Thread(
            target=self._watch,
            args=(paths, recursive, _StopFlag(*self._stops, stop, ready=ready), limited),
            name="kairos-watch-dirs" if recursive else "kairos-watch-root",
            daemon=True,
        )
        thread.start()
        return _Watcher(thread, stop, ready, frozenset(paths), limited)

    def _watch_plan(self) -> bool:
        """Watch the folders as :func:`watch_plan` says now; True if the watchers changed.

        The folders watched alone get a new watcher when they changed (one watch each: cheap).
        Folders newly watched whole get a watcher of their own (on a large tree, watching
        every folder again takes longer than the 1 s a write may take to reach the memory).
        A folder no longer watched whole (gone: its watches go with it, one renamed keeps
        them under its old name; or now holding an ignored folder), a watcher ended, or more
        than :data:`MOST_DIR_WATCHERS`: one new watcher for all. The batch is read once the
        new watchers watch: what is written from then on comes as changes, what was written
        before, the batch reads. A watcher replaced stops only once it has handed over what
        it saw before that (its bursts end within ``DEBOUNCE_MS``): no change falls between
        the two. What both see comes twice; the second time finds the file as recorded.
        """
        alone, whole = watch_plan(self.root, self._rules)
        replaced: list[_Watcher] = []
        fresh: list[_Watcher] = []
        if alone != self._alone and self._alone_watcher is not None:
            replaced.append(self._alone_watcher)
            self._alone_watcher = self._start_watcher(alone, False)
            fresh.append(self._alone_watcher)
            self._alone = alone
        watchers = self._dir_watchers
        watched = frozenset().union(*(watcher.dirs for watcher in watchers))
        made, dropped = whole - watched, watched - whole
        ended = any(not watcher.thread.is_alive() for watcher in watchers)
        if dropped or ended or (made and len(watchers) >= MOST_DIR_WATCHERS):
            replaced += watchers
            self._dir_watchers = [self._start_watcher(whole, True)] if whole else []
            fresh += self._dir_watchers
        elif made:
            added = self._start_watcher(made, True)
            self._dir_watchers = [*watchers, added]
            fresh.append(added)
        if not fresh:
            return False  # (a folder ignored now is still watched until the next change: the rules skip it)
        self.wait_until_watched(fresh)
        for watcher in replaced:
            retire = threading.Timer((DEBOUNCE_MS + 2 * STEP_MS) / 1000, watcher.stop.set)
            retire.daemon = True
            retire.start()
        if replaced and any(watcher.limited.is_set() for watcher in fresh):
            # Both held watches for a moment: near the limit, the new one may fit once the
            # old ones are gone. The next watch_again tries again.
            self._watch_again_anyway = True
        return True

    def _watchers(self) -> list[_Watcher]:
        """The watchers of the folders watched alone and whole (not those replaced, which stop by themselves)."""
        return ([self._alone_watcher] if self._alone_watcher is not None else []) + self._dir_watchers

    def _watch(self, paths: list[str], recursive: bool, stop: _StopFlag, limited: threading.Event) -> None:
        """A watcher thread: change sets to ``deliver`` until ``stop``.

        A folder the system will not watch is first an error, not skipped: with
        ``ignore_permission_denied`` set, ``watchfiles`` also skips, without a word, every
        folder past inotify's limit (``fs.inotify.max_user_watches``), and what is written
        there would never reach the memory. Past the limit, the owner hears of it
        (:class:`WatchLimit`); past the limit or an unreadable folder, the watcher starts
        again, watching what it can.
        """
        import watchfiles

        skip_errors = False
        while True:
            try:
                for changes in watchfiles.watch(
                    *paths,
                    watch_filter=self.wanted,
                    debounce=DEBOUNCE_MS,
                    step=STEP_MS,
                    stop_event=stop,
                    rust_timeout=0,
                    recursive=recursive,
                    force_polling=False,
                    ignore_permission_denied=skip_errors,
                    raise_interrupt=False,
                    debug=False,
                ):
                    self.deliver({(int(change), path) for change, path in changes})
                return
            except OSError as exc:
                if skip_errors or stop.ready.is_set():  # not while setting up its watches
                    self.deliver(exc)
                    return
                if _limit_reached(exc):
                    limited.set()
                    self._limited_at = inotify_limit()
                    self.limited = _limit_text()
                    self.deliver(WatchLimit(self.limited))
                skip_errors = True
            except Exception as exc:  # noqa: BLE001 - the owner hears of it
                self.deliver(exc)
                return

    def wanted(self, change: Any, path: str) -> bool:
        """The watchers' filter: source files, .gitignore files, folders added or gone."""
        rel = os.path.relpath(path, self.root)
        parts = rel.split(os.sep)
        if rel.startswith("..") or any(part in ALWAYS_SKIPPED for part in parts):
            return False
        name = parts[-1]
        if name == ".gitignore" or language_for_path(name):
            return True
        if os.path.isdir(path):
            return int(change) != 2  # a folder added (its files may predate the watch), not one touched
        return not os.path.lexists(path)  # maybe a folder, gone
