"""Walk a workspace, read what changed, extract it on every core, store it.

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "app.py").write_text("def f():\\n    return 1\\n")
>>> _ = (root / "logo.py").write_bytes(b"\\x89PNG\\x00")
>>> report = scan_workspace(root, Store(":memory:"), jobs=1)
>>> report.parsed, report.unchanged, report.skipped
(1, 0, [('logo.py', 'binary file')])

A file whose size and mtime match what the store knows is not even read; a
file whose content hash matches is not parsed. Results are written in
batches, one transaction each, so a killed scan resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from kairos_lsp import quiet_gc
from kairos_lsp.config import Settings, gitignore_spec
from kairos_lsp.languages import language_for_path
from kairos_lsp.observe import FileObservation, Skipped, content_hash, observe_chunk, observe_file, racy
from kairos_lsp.store import STORE_DIR, Store, WriteResult, holds, now
from kairos_lsp.workers import Child, say

ALWAYS_SKIPPED = {".git", ".hg", ".svn", STORE_DIR, "__pycache__"}
BATCH = 256  # files written per transaction at most...
BATCH_TRIPLES = 32768  # ...and observations: a batch's rows stay a few MB
PARALLEL_FROM = 24  # fewer files than this are cheaper to parse in-process
IN_FLIGHT = 2  # chunks per worker submitted ahead of the writer (bounds memory)
# A worker's heap grows with the biggest files it parsed and never shrinks (a 331 KB file: +4
# MB, kept: the freed nodes' arenas stay partly in use); one past this is replaced by a new
# interpreter (19 MB after its imports, those of observe.py alone).
WORKER_RSS = 48 << 20
SCAN_CACHE_KIB = 16384  # SQLite's page cache while a scan writes (see Store.bulk_writes)
SCAN_CHECKPOINT_PAGES = 65536  # a WAL checkpoint every 256 MiB of a scan's writes (4 KiB pages)

Progress = Callable[[int, int, str], None]


@dataclass
class ScanReport:
    seen: int = 0
    parsed: int = 0
    unchanged: int = 0
    removed: int = 0
    added: int = 0
    negated: int = 0
    stale: int = 0  # read, then changed again before the write: left to the next look
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False


class IgnoreRules:
    """``.gitignore`` files (nested ones too) plus ``exclude`` patterns, as git reads them.

    >>> import tempfile
    >>> rules = IgnoreRules(tempfile.mkdtemp(), ("build/",))
    >>> rules.ignored("build/out.py"), rules.ignored("src/app.py")
    (True, False)
    """

    def __init__(self, root: str | os.PathLike, exclude: tuple[str, ...] = ()):
        self.root = Path(root).resolve()
        self.exclude = tuple(exclude)
        self._specs: dict[str, pathspec.PathSpec | None] = {}

    def _spec(self, folder: str) -> pathspec.PathSpec | None:
        """The rules a folder's own .gitignore adds (the root's also carries ``exclude``)."""
        if folder not in self._specs:
            lines = list(self.exclude) if folder == "" else []
            gitignore = self.root / folder / ".gitignore"
            try:
                lines += gitignore.read_text(errors="replace").splitlines()
            except OSError:
                pass
            self._specs[folder] = gitignore_spec(lines) if lines else None
        return self._specs[folder]

    def ignored(self, rel: str, is_dir: bool = False) -> bool:
        """Whether a workspace-relative path is excluded (any of its folders counts)."""
        parts = rel.split("/")
        if any(part in ALWAYS_SKIPPED for part in parts[: -1 if not is_dir else None]):
            return True
        for depth in range(len(parts) - 1):  # a folder that is ignored hides what it holds
            if self._matches("/".join(parts[: depth + 1]), True):
                return True
        return self._matches(rel, is_dir)

    def _matches(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        for depth in range(len(parts)):
            spec = self._spec("/".join(parts[:depth]))
            if spec is not None and spec.match_file("/".join(parts[depth:]) + ("/" if is_dir else "")):
                return True
        return False


def iter_source_files(
    root: Path, exclude: tuple[str, ...] = (), under: str | os.PathLike | None = None
) -> Iterator[str]:
    """Workspace-relative paths of files in a language we know, honouring .gitignore files and
    ``exclude``; with ``under`` (a folder inside ``root``), only those below it (none when the
    rules ignore the folder itself).

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for rel in ("a.py", "pkg/b.py", "pkg/notes.txt", "build/c.py"):
    ...     (root / rel).parent.mkdir(exist_ok=True)
    ...     _ = (root / rel).write_text("x = 1\\n")
    >>> list(iter_source_files(root, ("build/",)))
    ['a.py', 'pkg/b.py']
    >>> list(iter_source_files(root, ("build/",), under=root / "pkg"))
    ['pkg/b.py']
    >>> list(iter_source_files(root, ("build/",), under="build"))
    []
    """
    root = Path(root).resolve()
    rules = IgnoreRules(root, exclude)
    top = root if under is None else (root / under).resolve()
    if top != root and rules.ignored(top.relative_to(root).as_posix(), True):
        return
    yield from _walk(root, rules, top)


def _walk(root: Path, rules: IgnoreRules, top: Path) -> Iterator[str]:
    """:func:`iter_source_files` below ``top`` (a folder inside ``root``, not itself ignored)."""
    for folder, dirs, files in os.walk(top):
        here = Path(folder).relative_to(root).as_posix()
        prefix = "" if here == "." else here + "/"
        dirs[:] = sorted(d for d in dirs if d not in ALWAYS_SKIPPED and not rules._matches(prefix + d, True))
        for name in sorted(files):
            if language_for_path(name) and not rules._matches(prefix + name, False):
                yield prefix + name


def scan_workspace(
    root: str | os.PathLike,
    store: Store,
    settings: Settings = Settings(),
    progress: Progress | None = None,
    on_skip: Callable[[str, str], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    jobs: int | None = None,
    source: str = "parse",
    stamp: str | None = None,
    indexes_after: bool = False,
) -> ScanReport:
    """Bring the store up to date with the files under ``root``.

    ``jobs`` worker processes parse (default: one per core; new interpreters, safe to start
    from a process that runs threads, such as the server). ``stamp`` is when the look
    happened (default: now; a replayed commit passes its own time). ``indexes_after``: into
    an empty memory, build the log's indexes at the end (``Store.indexes_built_after``: for
    a scan nobody queries meanwhile).
    """
    started = time.perf_counter()
    root = Path(root).resolve()
    store.claim_workspace(root)  # (another folder's memory would forget all it knows)
    report = ScanReport()
    known = store.file_states()
    paths = list(iter_source_files(root, settings.exclude))
    report.seen = len(paths)
    items = [(rel, known.get(rel)) for rel in paths]
    pending: list[FileObservation] = []
    stamp = stamp or now()  # one look at the workspace, however many batches it takes to write
    triples = 0

    def flush() -> None:
        nonlocal triples
        if pending:
            result = store.write(pending, source=source, stamp=stamp, still=as_read(root))
            report.stale += result.stale
            report.added += result.added
            report.negated += result.negated
            pending.clear()
            triples = 0

    done = 0
    not_source: list[str] = []  # known files that are no longer source code (see Skipped)
    later = store.indexes_built_after() if indexes_after else contextlib.nullcontext()
    # No automatic cyclic collection in the writer either (as in the workers): what comes back
    # from them and is written (files' rows, ~10^5 tuples a batch) is acyclic, and the
    # collector's passes over it and over what a scan keeps (every file's state) took 7 - 11 %
    # of this process's CPU on the standard library.
    with store.bulk_writes(SCAN_CACHE_KIB, SCAN_CHECKPOINT_PAGES), later, quiet_gc.paused():
        for rel, outcome in _observe_all(str(root), items, settings.max_file_bytes, jobs):
            done += 1
            _tally(report, outcome, pending, on_skip)
            if isinstance(outcome, Skipped) and outcome.not_source and rel in known:
                not_source.append(rel)
            if isinstance(outcome, FileObservation) and outcome.triples:
                triples += len(outcome.triples)
            if len(pending) >= BATCH or triples >= BATCH_TRIPLES:
                flush()
            if progress:
                progress(done, len(items), rel)
            if should_stop():
                report.stopped = True
                break
        flush()
    if not report.stopped:
        seen = set(paths)
        gone = [p for p in known if p not in seen] + not_source
        if gone:
            result = store.forget_files(gone, source=source)
            report.removed = len(gone)
            report.negated += result.negated
    report.seconds = time.perf_counter() - started
    return report


def scan_paths(
    root: str | os.PathLike,
    store: Store,
    paths: Iterable[str],
    settings: Settings = Settings(),
    source: str = "parse",
    on_skip: Callable[[str, str], None] | None = None,
) -> ScanReport:
    """Bring the store up to date with some paths under ``root`` only (what a watcher saw
    change), under the rules of :func:`scan_workspace`: .gitignore, ``exclude``, max bytes,
    binary files, known languages.

    A path may name a file or a folder (every source file under it), relative to ``root``
    or absolute; one that no longer exists forgets what the memory knew of it (and,
    for a folder, of every file it held). The files read are written in one
    transaction; the files gone are forgotten in another.

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.py").write_text("def f():\\n    return 1\\n")
    >>> store = Store(":memory:")
    >>> scan_paths(root, store, ["a.py", "notes.txt"]).parsed
    1
    >>> (root / "a.py").unlink()
    >>> scan_paths(root, store, [str(root / "a.py")]).removed
    1
    """
    started = time.perf_counter()
    root = Path(root).resolve()
    report = ScanReport()
    rules = IgnoreRules(root, settings.exclude)
    known = store.file_states()
    wanted: set[str] = set()
    for given in paths:
        rel = _relative(root, given)
        if rel is None:
            continue
        full = root / rel
        folder = full.is_dir() and not full.is_symlink()
        if rules.ignored(rel, folder):
            continue
        if folder:
            wanted.update(_walk(root, rules, full))
        elif language_for_path(rel) and not full.is_dir():
            wanted.add(rel)
        prefix = rel + "/"  # a folder gone (or replaced): what the memory knew under it
        wanted.update(path for path in known if path.startswith(prefix))
    present = sorted(rel for rel in wanted if os.path.isfile(root / rel))
    gone = sorted(rel for rel in wanted if rel in known and not os.path.isfile(root / rel))
    report.seen = len(present)
    pending: list[FileObservation] = []
    for rel in present:
        outcome = observe_file(str(root), rel, known.get(rel), settings.max_file_bytes)
        _tally(report, outcome, pending, on_skip)
        if isinstance(outcome, Skipped) and outcome.not_source and rel in known:
            gone.append(rel)
    if pending:
        result = store.write(pending, source=source, still=as_read(root))
        report.stale += result.stale
        report.added += result.added
        report.negated += result.negated
    if gone:
        result = store.forget_files(gone, source=source)
        report.removed = len(gone)
        report.negated += result.negated
    report.seconds = time.perf_counter() - started
    return report


def as_read(root: Path) -> Callable[[FileObservation], bool]:
    """Whether a file under ``root`` is still as a look read it (its size and mtime)."""

    def still(item: FileObservation) -> bool:
        try:
            st = os.stat(root / item.path)
        except OSError:
            return False  # gone: the forgetting is the next look's
        return st.st_size == item.size and st.st_mtime_ns == item.mtime_ns

    return still


def _relative(root: Path, given: str | os.PathLike) -> str | None:
    """``given`` as a workspace-relative posix path; None outside ``root`` (or ``root`` itself)."""
    path = Path(given)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            return None
    rel = path.as_posix()
    return None if rel in ("", ".") or rel.startswith("../") else rel


def _tally(report: ScanReport, outcome, pending: list, on_skip: Callable[[str, str], None] | None) -> None:
    """Count one file's outcome in ``report``; what is to be written goes to ``pending``."""
    if isinstance(outcome, Skipped):
        report.skipped.append((outcome.path, outcome.reason))
        if on_skip:
            on_skip(outcome.path, outcome.reason)
    elif outcome is None or outcome.unchanged:
        report.unchanged += 1
        if outcome is not None:
            pending.append(outcome)  # same bytes, new mtime: remember the stat
    else:
        report.parsed += 1
        pending.append(outcome)


def _observe_all(root: str, items: list, max_bytes: int, jobs: int | None) -> Iterator[tuple]:
    """Yield (path, outcome) in order, using a worker process per core for big batches.

    A consumer that stops iterating (a cancelled scan) waits only for the file each worker
    is parsing at that moment: the chunks queued behind it end at once.
    """
    jobs = jobs or os.cpu_count() or 1
    # Only files whose stat changed need a worker at all.
    todo = []
    for rel, known in items:
        if known and _stat_matches(os.path.join(root, rel), known):
            yield rel, None
        else:
            todo.append((rel, known))
    if jobs <= 1 or len(todo) < PARALLEL_FROM:
        for rel, known in todo:
            yield rel, observe_file(root, rel, known, max_bytes)
        return
    size = max(4, min(32, len(todo) // (jobs * 8) or 1))
    chunks = (todo[i : i + size] for i in range(0, len(todo), size))
    workers: list[Child | None] = []
    try:
        for _ in range(jobs):  # (one at a time: those started are closed if the next cannot start)
            workers.append(Child())
        # At most IN_FLIGHT chunks per worker are queued or parsed at a time: results wait for
        # the writer in this bounded window, never the whole tree's observations in memory at
        # once. A chunk goes to the worker with the fewest in the window (one held up by a big
        # file gets fewer); they come back in the order sent. A worker grown past WORKER_RSS
        # is given no more chunks, and ends once it has handed over those it has.
        window: deque[tuple[int, int]] = deque()  # (worker, call)
        queued = [0] * jobs
        retiring = [False] * jobs

        def received(which: int, asked: int) -> list:
            worker = workers[which]
            assert worker is not None  # (a worker ends only once nothing is queued for it)
            queued[which] -= 1
            done = worker.receive(asked)
            retiring[which] = retiring[which] or (worker.rss() or 0) > WORKER_RSS
            if retiring[which] and not queued[which]:
                workers[which], retiring[which] = None, False
                worker.close()
            return done

        for chunk in chunks:
            while all(retiring) and window:  # every worker is to end: one hands over what it has first
                yield from received(*window.popleft())
            which = min(range(jobs), key=lambda i: (retiring[i], queued[i]))
            worker = workers[which]
            if worker is None:
                worker = workers[which] = Child()
            window.append((which, worker.send(observe_chunk, (root, chunk, max_bytes))))
            queued[which] += 1
            if len(window) >= jobs * IN_FLIGHT:
                yield from received(*window.popleft())
        while window:
            yield from received(*window.popleft())
    finally:
        for worker in workers:
            if worker is not None:
                worker.close()


PROGRESS_EVERY = 0.1  # seconds between the progress a scan in a child tells its parent
CHILD_FROM = 64
"""A batch of more changed paths than this is read in a child process (what it parses never
grows the long-lived process: the daemon, the server)."""


def scan_in_child(
    root: str,
    store_file: str,
    settings: Settings,
    paths: list[str] | None,
    source: str,
    should_stop: Callable[[], bool],
) -> ScanReport:
    """What the server and the daemon run in a :class:`~kairos_lsp.workers.Child`: the whole
    tree (``paths`` None) or those paths, recorded. The progress goes to the parent as
    ``(done, total, path)`` (:func:`~kairos_lsp.workers.say`), every :data:`PROGRESS_EVERY`
    seconds and at the end."""
    told = 0.0

    def tell(done: int, total: int, path: str) -> None:
        nonlocal told
        if done == total or time.monotonic() - told >= PROGRESS_EVERY:
            told = time.monotonic()
            say((done, total, path))

    with Store(store_file) as store:
        if paths is not None:
            return scan_paths(root, store, paths, settings, source=source)
        return scan_workspace(root, store, settings, progress=tell, should_stop=should_stop, source=source)


def scan_in_a_child(
    root: str | os.PathLike,
    store_file: str | os.PathLike,
    settings: Settings,
    paths: list[str] | None,
    source: str,
    stop: Callable[[], bool],
    heard: Callable[[tuple[int, int, str]], None] = lambda told: None,
) -> ScanReport:
    """:func:`scan_in_child` in a child interpreter of its own, ended after (its workers are
    children of that one): what the scan allocates never grows this process, and nothing of
    it stays once the scan is done. ``heard``: its progress, ``(done, total, path)``."""
    child = Child()
    try:
        return child.call(scan_in_child, (str(root), str(store_file), settings, paths, source), stop=stop, heard=heard)
    finally:
        child.close()


def _stat_matches(path: str, known: tuple[int, int, str]) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == known[0] and st.st_mtime_ns == known[1]


def record_buffer(
    store: Store, rel: str, language: str, data: bytes, extraction, source: str = "edit", mtime_ns: int = 0
):
    """Store what an open buffer (not yet saved, maybe) says about its symbols.

    Returns the store's WriteResult; writes nothing when the buffer's content
    hash is what the store already holds for the file.
    """
    digest = content_hash(data)
    if holds(store.file(rel), digest):
        return WriteResult()
    look = FileObservation(rel, language, digest, len(data), mtime_ns, extraction, racy=racy(mtime_ns))
    return store.write([look], source=source)
