"""The memory: one SQLite file, written through sqlite-utils.

>>> store = Store(":memory:")
>>> store.stats()["observations"]
0

Writers hand over :class:`FileObservation` batches; each batch is one
transaction, so a killed process leaves either all of a batch or none of it.

Every write to the memory goes through this package: :class:`Store` for the
observation log, the files and symbols, verdicts, forgetting and the dreams'
log; :class:`~kairos_lsp.store.facts.Facts` (``store.facts``) for what a dream
reads and writes about facts. Callers group writes with::

    with store.transaction():     # BEGIN IMMEDIATE; COMMIT, or ROLLBACK on error
        ...
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path

from sqlite_utils import Database

from kairos_lsp.extract import EXTRACTION_VERSION, read_as_now
from kairos_lsp.keys import name_of, path_of, qualname_of
from kairos_lsp.lines import one_line
from kairos_lsp.observe import FileObservation
from kairos_lsp.store import compare, forgetting
from kairos_lsp.store import current as current_look
from kairos_lsp.store.facts import Facts, chunks, dict_rows
from kairos_lsp.store.migrations import (
    BODY_HASH_NOW,
    COPY_CHUNK,
    INDEX_LATER,
    OUTCOME_IDS,
    PREDICATE_ID,
    SCHEMA_VERSION,
    compact_pending,
    copy_log,
    deprecation_predicate_ids,
    migrations,
    now,
    packed_hash,
)
from kairos_lsp.store.names import Predicates, kind_ids, name_ids
from kairos_lsp.store.wal import Checkpoints
from kairos_lsp.store.writers import Waiters

STORE_DIR = ".kairos"
RECENT_FILES = 16
STORE_FILE = "memory.db"


RUN_OUTPUT_BYTES = 1 << 20  # what a run printed: the last 1 MB
RUNS_WITH_OUTPUT = 20  # ... kept for this many runs; older runs keep their command and outcome


CHECK_EVERY = 24 * 3600  # seconds between integrity checks of a memory when it opens
CHECK_CACHE_KIB = 2048  # SQLite's page cache while it checks the whole file
# SQLite's page cache per connection. Most connections read (the server's hovers and checks)
# or write a little (an edit); the system's file cache holds the store anyway. Each of the
# server's connections had 64 MiB: with 244 files of the large tree open and hovered, the
# server held 402 - 414 MB, 293 - 298 MB with 8 MiB, at the same hover times.
CACHE_KIB = 8192
WRITE_CACHE_KIB = 65536  # ... while a migration or a deferred index build rewrites the store
SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """A store that cannot be used; the message is one line for the user."""


class StoreCorrupt(StoreError):
    """The file is a damaged kairos memory (found by SQLite, or by the integrity check)."""


def is_corruption(exc: BaseException) -> bool:
    """An SQLite error that means the file is damaged, not busy or read-only."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    )


def checked_marker(path: str | os.PathLike) -> Path:
    """A file beside the memory whose mtime is its last clean integrity check (and which
    says a memory existed here: a memory truncated to nothing is noticed, not renewed)."""
    return Path(f"{path}.checked")


def move_aside(path: str | os.PathLike) -> Path:
    """Rename a damaged memory (and its -wal/-shm) to ``memory.db.corrupt-<UTC time>``;
    never deleted. Returns where it went."""
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
    with contextlib.suppress(FileNotFoundError):
        checked_marker(path).unlink()
    return target


def store_path(workspace: str | os.PathLike, override: str | None = None) -> Path:
    """Where the memory of a workspace lives: override, ``KAIROS_STORE``, or ``.kairos/memory.db``."""
    chosen = override or os.environ.get("KAIROS_STORE")
    if chosen:
        path = Path(chosen).expanduser()
        return path if path.is_absolute() else Path(workspace) / path
    return Path(workspace) / STORE_DIR / STORE_FILE


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_untrusted(path: Path, workspace: Path) -> None:
    """A path that may come from a file in the workspace (the ``storePath`` option): it
    may not leave the workspace with ``..`` or through a symlink (unless ``KAIROS_STORE``
    names the same file); refused before any folder is created for it."""
    root = Path(os.path.realpath(workspace))
    real = Path(os.path.realpath(path))
    env = os.environ.get("KAIROS_STORE")
    if env and Path(os.path.realpath(store_path(workspace, env))) == real:
        return  # the user said the same thing where a repository cannot
    written = Path(os.path.normpath(os.path.abspath(path)))
    within = _inside(written, Path(os.path.normpath(os.path.abspath(workspace))))
    if not _inside(real, root) and (".." in path.parts or within):  # up with "..", or out through a symlink
        raise StoreError(f"the store path {path} leaves the workspace {workspace}; set KAIROS_STORE to use it")


def _tighten(path: Path, mode: int) -> None:
    """chmod, unless not permitted (someone else's file): the store still opens."""
    with contextlib.suppress(OSError):
        os.chmod(path, mode)


def _prepare_file(path: Path) -> None:
    """The folder (``.kairos`` 0700, its ``.gitignore``) and the file (0600, whatever the
    umask, before SQLite writes to it, so its -wal/-shm get the same mode); a symlinked
    ``.kairos`` or database would redirect the memory, so it is refused, not followed."""
    folder = path.parent
    if folder.name == STORE_DIR:
        if folder.is_symlink():
            raise StoreError(f"{folder} is a symbolic link; refusing to keep the memory where it points")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _tighten(folder, 0o700)
        if not (folder / ".gitignore").exists():
            (folder / ".gitignore").write_text("*\n")
    else:
        folder.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        raise StoreError(f"{path} is a symbolic link; refusing to keep the memory where it points")
    # Created here only if new: closing a descriptor of an open database would drop the
    # POSIX locks SQLite holds on it for other connections of this process.
    with contextlib.suppress(OSError):  # there already, a read-only folder...: SQLite says what is wrong
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if each.exists() and not each.is_symlink():
            _tighten(each, 0o600)


def _is_foreign(db: Database) -> bool:
    """A database with tables, none of them kairos' (no ``observations``, no kairos migrations)."""
    tables = set(db.table_names())
    if not tables or "observations" in tables or "observation_log" in tables:
        return False
    if "_sqlite_migrations" in tables:
        row = db.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'kairos'").fetchone()
        return not row[0]
    return True


_READ_AGAIN = (-1, -1, "")  # a file's state when an older extraction read it


def holds(known: dict | None, content_hash: str) -> bool:
    """Whether a file's row (:meth:`Store.file`) holds these bytes as this extraction reads
    them: then a look at them has nothing to write."""
    return (
        known is not None
        and known["content_hash"] == content_hash
        and read_as_now(known["language"], known["extraction"])
    )


@dataclass(slots=True)
class WriteResult:
    files: int = 0
    added: int = 0
    negated: int = 0
    stale: int = 0  # looks not written: the file (or what the memory holds of it) changed since it was read


@dataclass(frozen=True, slots=True)
class Looks:
    """What :meth:`Store.looks_since` found: the last look's id, the paths looked at since
    the one asked about, and the mark the last forget left ("" if none)."""

    last: int
    paths: frozenset[str]
    forgotten: str


class Transactions:
    """Write transactions opened and committed as a long writer goes (see
    :meth:`Store.transactions`)."""

    def __init__(self, conn: sqlite3.Connection, waiters: Waiters, committed: Callable[[], None] = lambda: None):
        self._conn = conn
        self._waiters = waiters
        self._committed = committed  # what the store does after each commit (its checkpoints)
        self.open = False

    def begin(self) -> bool:
        """Open a transaction (``BEGIN IMMEDIATE``) unless one is open; True if it opened one."""
        if self.open:
            return False
        with self._waiters.announced():
            self._conn.execute("BEGIN IMMEDIATE")
        self.open = True
        return True

    def commit(self) -> None:
        """Commit what is open; if another writer waits for the write lock, leave it free
        for :data:`WRITERS_GAP`: that writer (its busy handler retries at least every
        100 ms) gets in, instead of finding the lock taken again at once and giving up
        after the busy timeout ("database is locked") while a long dream goes on. Nobody
        waiting: no gap (see :mod:`kairos_lsp.store.writers`)."""
        if self.open:
            self.finish()
            if self._waiters.anyone():
                time.sleep(WRITERS_GAP)

    def finish(self) -> None:
        """Commit what is open (the end of the group: no gap)."""
        if self.open:
            self._conn.execute("COMMIT")
            self.open = False
            self._committed()

    def rollback(self) -> None:
        if self.open:
            self._conn.execute("ROLLBACK")
            self.open = False


WRITERS_GAP = 0.15  # seconds; SQLite's busy handler sleeps at most 100 ms between tries


class Store:
    """Observations, symbols and files of one workspace."""

    def __init__(self, path: str | os.PathLike, *, workspace: str | os.PathLike | None = None):
        """``workspace``: the path may come from the workspace itself (the ``storePath``
        option), so it is checked against it; without one the caller's path is trusted."""
        self.path = str(path)
        self.recovered: str | None = None  # one line for the user when a damaged memory was moved aside
        self._paths: set[str] | None = None
        # A writer that re-observes the same few files (the server's open buffers)
        # keeps what they currently assert, instead of reading it back each time.
        self.remember = False
        self._recent: OrderedDict[str, tuple[int, dict, list]] = OrderedDict()
        self.predicates = Predicates()
        self.waiters = Waiters(self.path)  # (before the file is opened: a migration writes)
        if self.path != ":memory:":
            if workspace is not None:
                _check_untrusted(Path(self.path), Path(workspace))
            _prepare_file(Path(self.path))
        try:
            self._open_retrying()
        except StoreCorrupt as exc:
            if self.path == ":memory:":
                raise
            with contextlib.suppress(Exception):
                self.db.close()
            moved = move_aside(Path(self.path))
            self.recovered = (
                f"the memory at {self.path} was damaged ({exc}); it was moved to {moved.name} "
                "and a new memory started (kairos scan fills it)"
            )
            _prepare_file(Path(self.path))
            self._open()
        self.facts = Facts(self.db.conn, self.predicates)

    def _open_retrying(self, tries: int = 20) -> None:
        """:meth:`_open`, again when another process held the file at a moment SQLite does
        not wait for (switching a new memory to WAL, while several processes create it)."""
        for attempt in range(tries):
            started = time.monotonic()
            try:
                self._open()
                return
            except StoreError as exc:
                waited = time.monotonic() - started > 1  # the busy timeout ran out: a real holder
                if waited or attempt == tries - 1 or not str(exc).endswith("database is locked"):
                    raise
                with contextlib.suppress(Exception):
                    self.db.close()
                time.sleep(0.1)

    def _open(self) -> None:
        """Connect, refuse what is not ours, migrate, and check the file's integrity when it
        is due (:data:`CHECK_EVERY`); a damaged file raises :class:`StoreCorrupt`."""
        fresh = False
        if self.path != ":memory:":
            size = os.path.getsize(self.path)
            marker = checked_marker(self.path)
            if size == 0 and marker.exists():
                raise StoreCorrupt("it was truncated to nothing")
            # The header is SQLite's to read (its "file is not a database", below): a descriptor
            # of our own on the file, once closed, would drop every POSIX lock this process'
            # other connections hold on it, and a writer elsewhere could then corrupt the memory.
            fresh = size == 0
        try:
            conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            self.db = Database(conn)
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer kairos (schema {version}, this one knows {SCHEMA_VERSION})"
                )
            if _is_foreign(self.db):
                conn.close()
                raise StoreError(f"{self.path} is a SQLite database that is not a kairos memory; not touching it")
            if self.path != ":memory:":
                self.db.enable_wal()
            self.checkpoints = Checkpoints(conn, self.path, guarded=None if self.path != ":memory:" else False)
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
            # A long writer's WAL (a dream checkpoints only at its end) is cut back to 64 MiB
            # once checkpointed, instead of keeping its largest size on the disk.
            self.db.execute("PRAGMA journal_size_limit = 67108864")
            with self.page_cache(WRITE_CACHE_KIB):  # index inserts stay in memory
                if version:
                    self.build_deferred_indexes()  # a first scan killed before it built them
                if migrations.pending(self.db):
                    self._copy_log()
                    # Under the write lock, and checked again there: two processes opening
                    # a new store at once must not both run the same migration.
                    with self.transaction():
                        if migrations.pending(self.db):
                            migrations.apply(self.db)
                            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                if version and self.path != ":memory:" and self._mostly_free():
                    # An older layout's pages are free now; give them back to the disk. Busy
                    # (another process reads) or no room for the copy: the next write reuses them.
                    with contextlib.suppress(sqlite3.OperationalError):
                        conn.execute("VACUUM")
            if self.path != ":memory:":
                self._check(fresh)
        except StoreError:
            raise
        except sqlite3.DatabaseError as exc:
            if self.path != ":memory:" and "not a database" in str(exc).lower():
                if checked_marker(self.path).exists():
                    raise StoreCorrupt("its header is not SQLite's") from None
                raise StoreError(f"{self.path} is not a SQLite database; not touching it") from None
            if is_corruption(exc):
                raise StoreCorrupt(one_line(exc)) from None
            raise StoreError(f"cannot open the memory at {self.path}: {exc}") from None

    def _mostly_free(self) -> bool:
        """Whether a tenth of the file or more is free pages: worth a VACUUM (a migration that
        only rebuilt an index frees about what the new one takes, and the large tree's memory
        took 4.5 s to copy whole for it)."""
        free = self.db.execute("PRAGMA freelist_count").fetchone()[0]
        return free * 10 >= self.db.execute("PRAGMA page_count").fetchone()[0]

    def _copy_log(self) -> None:
        """Before the compact layout's migration (m013): copy the log in chunks, one
        transaction each, so that a memory of millions of observations is not copied in
        one transaction, and a migration killed half-way goes on where it stopped."""
        conn = self.db.conn
        if not compact_pending(conn):
            return
        chunk = int(os.environ.get("KAIROS_COPY_CHUNK", COPY_CHUNK))  # smaller in the resume test
        while True:
            with self.transaction():
                if not compact_pending(conn) or not copy_log(conn, chunk):
                    return

    def _check(self, fresh: bool) -> None:
        """SQLite's ``quick_check`` when the last clean one is older than :data:`CHECK_EVERY`
        (about a second per 200 MB); a clean result touches the marker."""
        marker = checked_marker(self.path)
        try:
            due = fresh or time.time() - marker.stat().st_mtime > CHECK_EVERY
        except FileNotFoundError:
            due = True
        if not due:
            return
        if not fresh:
            # Read through a small page cache: it reads every page once, and through a 64 MiB
            # one it left them all there (a dream of the large tree started 60 MB higher).
            with self.page_cache(CHECK_CACHE_KIB):
                found = [row[0] for row in self.db.execute("PRAGMA quick_check(5)").fetchall()]
            if found != ["ok"]:
                raise StoreCorrupt(one_line("; ".join(found))[:200])
        with contextlib.suppress(OSError):
            marker.touch(mode=0o600)
            os.utime(marker)

    @classmethod
    def for_workspace(cls, workspace: str | os.PathLike, override: str | None = None) -> Store:
        return cls(store_path(workspace, override), workspace=workspace if override else None)

    def close(self) -> None:
        self.db.close()
        self.waiters.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """One write transaction: ``BEGIN IMMEDIATE`` (the write lock at once, so it never
        fails half-way for want of it), ``COMMIT`` at the end, ``ROLLBACK`` on any error."""
        conn = self.db.conn
        with self.waiters.announced():
            conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self.checkpoints.committed()

    @contextlib.contextmanager
    def transactions(self) -> Iterator[Transactions]:
        """Writes grouped into transactions the caller opens and commits as it goes (a
        dream commits every few seconds, not every batch); what is open at the end is
        committed, or rolled back on an error."""
        group = Transactions(self.db.conn, self.waiters, self.checkpoints.committed)
        try:
            yield group
        except BaseException:
            group.rollback()
            raise
        group.finish()

    def begin_snapshot(self) -> None:
        """Read from one snapshot from now on (a deferred transaction that is never ended:
        for a process that only reads, such as the dream's read-ahead helper)."""
        self.db.conn.execute("BEGIN")

    @contextlib.contextmanager
    def no_autocheckpoint(self) -> Iterator[None]:
        """No WAL checkpoint at every commit meanwhile (each costs two fsyncs and rewrites
        the same pages); the first commit after it checkpoints as usual."""
        with self.checkpoints.every_pages(0):
            yield

    @contextlib.contextmanager
    def page_cache(self, kib: int) -> Iterator[None]:
        """SQLite's page cache at ``kib`` meanwhile, as it was afterwards."""
        conn = self.db.conn
        cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = {-int(kib)}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {int(cache)}")

    @contextlib.contextmanager
    def bulk_writes(self, cache_kib: int = 16384, checkpoint_pages: int = 65536) -> Iterator[None]:
        """How a long writer (a scan) writes meanwhile, each setting as it was afterwards:

        * a WAL checkpoint every ``checkpoint_pages`` pages (256 MiB of 4 KiB pages), not
          every 1,000 (each checkpoint rewrote the same index pages and cost two fsyncs), and
          one at the end, so that no later writer (an edit in the server) pays for it (with
          a SQLite that has the WAL-reset bug: see :mod:`kairos_lsp.store.wal`);
        * SQLite's page cache at ``cache_kib`` (the store opens it at :data:`CACHE_KIB`): at
          64 MiB it was most of a scan's resident memory on the interpreter's library folder,
          and the scan wrote no slower with 16 MiB;
        * at the end, the WAL's disk space given back when nothing is left in it for a reader.
        """
        conn = self.db.conn
        with self.page_cache(cache_kib), self.checkpoints.every_pages(checkpoint_pages):
            yield
        if not conn.in_transaction:
            # What was written is committed in the WAL whatever happens here (a full disk).
            with contextlib.suppress(sqlite3.OperationalError):
                self.checkpoints.finish()

    @contextlib.contextmanager
    def indexes_built_after(self) -> Iterator[bool]:
        """A first scan into an empty log: the log's and the symbol rows' own indexes are
        dropped now and built once at the end (yields True), as a bulk load does. Sorting
        each once cost 0.5 s of CPU on the standard library, against 1.5 s for keeping them
        in order row by row, and leaves their pages full instead of 85 % (1.5 MB less
        store). Meanwhile a reader's query by subject or callee reads the whole log: the
        command line's scan does this, the server does not (it answers hovers while it
        scans). A scan killed half-way leaves a mark per index with its SQL (``marks``):
        whoever opens the memory next builds them. Not empty: yields False, drops nothing.

        >>> store = Store(":memory:")
        >>> with store.indexes_built_after() as later:
        ...     print(later, store.db["observation_log"].indexes)
        True []
        >>> [index.name for index in store.db["observation_log"].indexes if index.name.endswith("subject")]
        ['observation_log_subject']
        """
        conn = self.db.conn
        dropped = False
        with self.transaction():
            if conn.execute("SELECT 1 FROM observation_log LIMIT 1").fetchone() is None:
                for name, sql in conn.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    "AND tbl_name IN ('observation_log', 'symbol_rows') ORDER BY name"
                ).fetchall():
                    conn.execute("INSERT OR REPLACE INTO marks (name, value) VALUES (?, ?)", (INDEX_LATER + name, sql))
                    conn.execute(f'DROP INDEX "{name}"')
                    dropped = True
        try:
            yield dropped
        finally:
            if dropped:
                self.build_deferred_indexes()
                with self.transaction():
                    # The names' own index, kept up for interning, filled its pages 85 %: sorted
                    # again (0.1 s here), its freed pages hold what the first dream writes.
                    conn.execute("REINDEX names")

    def build_deferred_indexes(self) -> int:
        """Build the indexes a first scan left for later (see :meth:`indexes_built_after`);
        how many. Each with its mark in one transaction: killed half-way, the rest wait."""
        conn = self.db.conn
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'marks'").fetchone() is None:
            return 0
        later = (INDEX_LATER, INDEX_LATER + "\uffff")
        if conn.execute("SELECT 1 FROM marks WHERE name >= ? AND name < ?", later).fetchone() is None:
            return 0  # (no write lock taken: a reader such as the dream's helper opens while a writer works)
        built = 0
        while True:
            with self.transaction():
                row = conn.execute(
                    "SELECT name, value FROM marks WHERE name >= ? AND name < ? ORDER BY name LIMIT 1", later
                ).fetchone()
                if row is None:
                    return built
                name = row[0][len(INDEX_LATER) :]
                if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone():
                    pass  # built by another process meanwhile
                else:
                    conn.execute(row[1])
                    built += 1
                conn.execute("DELETE FROM marks WHERE name = ?", (row[0],))

    # -- writing ------------------------------------------------------------

    def write(
        self,
        batch: Iterable[FileObservation],
        source: str = "parse",
        stamp: str | None = None,
        still: Callable[[FileObservation], bool] | None = None,
    ) -> WriteResult:
        """Record a batch of file observations in one transaction.

        Only what changed is appended: triples the file no longer asserts get
        a negated observation, new ones a positive observation, and an
        unchanged file only has its stat refreshed, and only while the memory still holds
        its bytes (else the look is counted stale). ``stamp`` is when the look
        happened (default: now); a scan written in several batches passes one,
        so that what changed together reads as simultaneous. ``still(item)``: whether the
        file is still as it was read, asked under the write lock; a look at a file that
        changed since is not written (a writer that saw the newer content may have
        recorded it already: this older look would undo it, and nothing would redo it).
        """
        result = WriteResult()
        stamp = stamp or now()
        batch = list(batch)
        with self.transaction():
            conn = self.db.conn
            # A big batch (a scan) asks once which of its files are known; a small one asks per file.
            self._paths = self._known_paths(conn, [item.path for item in batch]) if len(batch) > 8 else None
            for item in batch:
                if still is not None and not still(item):
                    result.stale += 1
                    continue
                if item.unchanged:
                    # Only while the memory holds these bytes: another writer may have recorded
                    # other bytes since they were compared, and this stat on that row would tell
                    # every later look that the disk holds them (a save lost for good).
                    refreshed = conn.execute(
                        "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ? AND content_hash = ?",
                        (item.size, item.kept_mtime, item.path, item.content_hash),
                    ).rowcount
                    result.files += refreshed
                    result.stale += 1 - refreshed
                    continue
                result.files += 1
                self._write_file(conn, item, source, stamp, result)
        return result

    def _write_file(self, conn, item: FileObservation, source: str, stamp: str, result: WriteResult) -> None:
        item.prepare()
        new, rows = item.triples, item.symbol_rows
        if new is None or rows is None:
            raise ValueError(f"{item.path}: no triples to write (an unchanged file is not written)")
        old, old_rows = self._current_of(conn, item.path)
        if old:
            added = [triple for triple in new if triple not in old]  # (in order: new is sorted)
            gone = sorted(set(old).difference(new))
        else:  # a new file
            added, gone = new, []
        version = self._version(conn, item.path, item.content_hash, source, stamp)
        path_id = name_ids(conn, (item.path,))[item.path]
        if old_rows is None:
            changed = rows
        else:  # only the symbols that moved or changed
            changed = list(set(rows).difference(old_rows))
        # Every subject id the file's observations and changed symbols need, in one look-up: new
        # names get their ids in the order of the added triples, as when each part asked alone.
        ids = name_ids(conn, chain((t[0] for t in gone), (t[0] for t in added), (row[0] for row in changed)))
        if gone:
            self._append(conn, gone, 1, version, ids)
        first = 0
        if added:
            first = self._append(conn, added, 0, version, ids)
        if not old and not self.remember:  # a new file: its observations are one run of ids
            now_current: dict = {}
            if added:
                current_look.replace_runs(conn, path_id, [(first, first + len(added) - 1)])
        else:
            now_current = dict(old)
            for t in gone:
                del now_current[t]
            now_current.update((t, first + i) for i, t in enumerate(added))
            if gone or added:
                current_look.replace(conn, path_id, now_current.values())
        result.added += len(added)
        result.negated += len(gone)
        if old_rows is None:
            if self._paths is None or item.path in self._paths:  # (a new file has no rows)
                conn.execute("DELETE FROM symbol_rows WHERE path_id = ?", (path_id,))
        else:
            keys = {row[0] for row in rows}
            conn.executemany(
                "DELETE FROM symbol_rows WHERE subject_id = (SELECT id FROM names WHERE text = ?)",
                [(row[0],) for row in old_rows if row[0] not in keys],
            )
        # (key, name, kind, places...): only the changed rows are written (an edit changes a few)
        kinds = kind_ids(conn, (row[2] for row in changed))
        conn.executemany(
            "INSERT OR REPLACE INTO symbol_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            # by id: a new file's symbols are new names, so its rows go at the table's end
            sorted((ids[row[0]], path_id, row[1], kinds[row[2]], *row[3:]) for row in changed),
        )
        conn.execute(
            "INSERT OR REPLACE INTO files (path, language, content_hash, size, mtime_ns, "
            "observed_at, has_errors, extraction) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.path,
                item.language,
                item.content_hash,
                item.size,
                item.kept_mtime,
                stamp,
                int(item.has_errors),
                EXTRACTION_VERSION,
            ),
        )
        if self.remember:
            self._recent[item.path] = (version, now_current, rows)
            self._recent.move_to_end(item.path)
            while len(self._recent) > RECENT_FILES:
                self._recent.popitem(last=False)

    def _current_of(self, conn, path: str) -> tuple[dict, list | None]:
        """What the latest look at a file asserts: ``{triple: observation id}``, and its
        symbol rows when known. Files written through this connection lately are
        remembered, as long as no other writer touched them since."""
        cached = self._recent.get(path)
        if cached is not None:
            latest = conn.execute("SELECT max(id) FROM versions WHERE path = ?", (path,)).fetchone()[0]
            if latest == cached[0]:
                return cached[1], cached[2]
            del self._recent[path]
        if self._paths is not None and path not in self._paths:
            return {}, None
        return {
            (s, p, o): oid
            for oid, s, p, o in conn.execute(
                "SELECT o.id, o.subject, o.predicate, o.object FROM current c "
                "JOIN observations o ON o.id = c.observation_id WHERE c.path = ?",
                (path,),
            )
        }, None

    @staticmethod
    def _known_paths(conn, paths: list[str]) -> set[str]:
        """Which of ``paths`` the memory has a file row for. (Only these: every known path,
        read again for each of a scan's batches, grew with the tree, quadratic in its files:
        0.36 s of the writer's 14 s of CPU on the interpreter's library folder, 0.02 s now.)"""
        known: set[str] = set()
        for chunk in chunks(paths):
            marks = ",".join("?" * len(chunk))
            known.update(row[0] for row in conn.execute(f"SELECT path FROM files WHERE path IN ({marks})", chunk))
        return known

    @staticmethod
    def _version(conn, path: str, content_hash: str | None, source: str, stamp: str, run: int | None = None) -> int:
        return conn.execute(
            "INSERT INTO versions (path, content_hash, source, observed_at, run_id) VALUES (?, ?, ?, ?, ?)",
            (path, content_hash, source, stamp, run),
        ).lastrowid

    def _append(
        self,
        conn,
        triples: list[tuple[str, str, str]],
        negated: int,
        version: int,
        subjects: dict[str, int] | None = None,
    ) -> int:
        """Append observations; returns the id of the first (ids are consecutive
        because the batch holds the write lock). ``subjects``: their ids, when known."""
        return self._append_rows(conn, [(s, p, o, negated, version) for s, p, o in triples], subjects)

    def _append_rows(
        self, conn, rows: list[tuple[str, str, str, int, int]], subjects: dict[str, int] | None = None
    ) -> int:
        """Append ``(subject, predicate, object, negated, version)`` rows to the log, subjects
        and predicates by id (``subjects``: the ids, when the caller has them); returns the id
        of the first."""
        if subjects is None:
            # in the rows' order (a file's sorted triples), so new names get ids the same way each time
            subjects = name_ids(conn, (row[0] for row in rows))
        predicates = self.predicates.ids(conn, {row[1] for row in rows})
        # Past what a dream consolidated, even when forgetting deleted the log's newest
        # observations: an id the dream has passed must not come back (it would never be dreamed).
        first = conn.execute(
            "SELECT max(coalesce((SELECT max(id) FROM observation_log), 0), "
            "coalesce((SELECT last_observation FROM dream_cursor WHERE id = 1), 0)) + 1"
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO observation_log (id, subject_id, predicate_id, object, negated, version_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (first + i, subjects[s], predicates[p], packed_hash(o) if p == "body_hash" else o, n, v)
                for i, (s, p, o, n, v) in enumerate(rows)
            ],
        )
        return first

    # -- what runs said ------------------------------------------------------

    def start_run(
        self, command: str, cwd: str, source: str = "run", started_at: str | None = None, token: str | None = None
    ) -> int:
        """A run (``kairos run``, a pytest session): its id, for the observations it
        produces and for :meth:`finish_run`. ``token``: the ``KAIROS_RUN_ID`` that
        ``kairos run`` gave the command; a run with that token already is that run."""
        with self.transaction():
            conn = self.db.conn
            if token is not None:
                known = conn.execute("SELECT id FROM runs WHERE token = ?", (token,)).fetchone()
                if known:
                    return known[0]
            run = conn.execute(
                "INSERT INTO runs (command, cwd, source, started_at, token) VALUES (?, ?, ?, ?, ?)",
                (command, cwd, source, started_at or now(), token),
            ).lastrowid
        assert run is not None
        return run

    def finish_run(
        self,
        run: int,
        exit_code: int | None,
        duration_ms: int | None,
        output: bytes | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """How the run ended. ``output``: what it printed, of which the last
        :data:`RUN_OUTPUT_BYTES` are kept, and only for the latest :data:`RUNS_WITH_OUTPUT`
        runs (older runs keep their command, exit code and timing). A fingerprint
        already set (by the pytest plugin inside the run) is kept."""
        tail = output[-RUN_OUTPUT_BYTES:] if output else None
        with self.transaction():
            conn = self.db.conn
            conn.execute(
                "UPDATE runs SET exit_code = ?, duration_ms = ?, output = coalesce(?, output), "
                "fingerprint = coalesce(fingerprint, ?) WHERE id = ?",
                (exit_code, duration_ms, tail, fingerprint, run),
            )
            conn.execute(
                "UPDATE runs SET output = NULL WHERE output IS NOT NULL AND id NOT IN "
                "(SELECT id FROM runs WHERE output IS NOT NULL ORDER BY id DESC LIMIT ?)",
                (RUNS_WITH_OUTPUT,),
            )

    def record_run(
        self,
        command: str,
        cwd: str,
        exit_code: int | None,
        duration_ms: int | None,
        source: str = "shell",
        started_at: str | None = None,
        output: bytes | None = None,
    ) -> int:
        """A run seen after the fact (a shell's command line, from ``kairos shell-init``)."""
        run = self.start_run(command, cwd, source, started_at)
        self.finish_run(run, exit_code, duration_ms, output)
        return run

    def set_fingerprint(self, run: int, fingerprint: str) -> None:
        """The code a run ran against (see ``dream/runs.py``)."""
        with self.transaction():
            self.db.conn.execute("UPDATE runs SET fingerprint = ? WHERE id = ?", (fingerprint, run))

    def run(self, run: int) -> dict | None:
        """One run, without its output."""
        rows = self._dicts(
            "SELECT id, command, cwd, source, started_at, exit_code, duration_ms, fingerprint FROM runs WHERE id = ?",
            (run,),
        )
        return rows[0] if rows else None

    def runs(self, limit: int = 20, with_output: bool = False) -> list[dict]:
        """The latest runs, newest first."""
        columns = "id, command, cwd, source, started_at, exit_code, duration_ms, fingerprint" + (
            ", output" if with_output else ""
        )
        return self._dicts(f"SELECT {columns} FROM runs ORDER BY id DESC LIMIT ?", (limit,))

    def tests_in_run(self, run: int) -> set[str]:
        """The tests whose outcome ``run`` already holds."""
        return {
            row[0]
            for row in self.db.execute(
                "SELECT o.subject FROM versions v JOIN observations o ON o.version_id = v.id "
                f"WHERE v.run_id = ? AND o.predicate_id IN {OUTCOME_IDS}",
                (run,),
            )
        }

    def record_seen(self, triples: Iterable[tuple[str, str, str]], run: int | None = None, source="terminal") -> int:
        """What a run said about symbols: ``(subject, predicate, object)`` triples such as
        ``test_failed``, ``raised`` or ``lint``, in one version per file that cites the
        file's content as the memory knows it then, and names the run. Returns how many."""
        stamp = now()
        by_path: dict[str, list[tuple[str, str, str]]] = {}
        for subject, predicate, obj in triples:
            path = path_of(subject) if ":" in subject else subject
            by_path.setdefault(path, []).append((subject, predicate, " ".join(str(obj).split())[:500]))
        with self.transaction():
            conn = self.db.conn
            for path, found in by_path.items():
                known = conn.execute("SELECT content_hash FROM files WHERE path = ?", (path,)).fetchone()
                version = self._version(conn, path, known[0] if known else None, source, stamp, run)
                self._append(conn, found, 0, version)
        return sum(len(t) for t in by_path.values())

    def record_outcomes(
        self, outcomes: Iterable[tuple[str, bool, str]], source: str = "terminal", run: int | None = None
    ) -> int:
        """Test outcomes seen in a captured run: ``(symbol key, failed, detail)``, each a
        ``test_failed`` or ``test_passed`` observation (see :meth:`record_seen`)."""
        return self.record_seen(
            ((subject, "test_failed" if failed else "test_passed", detail) for subject, failed, detail in outcomes),
            run,
            source,
        )

    def record_verdict(self, subject: str, predicate: str, value: str, confirm: bool) -> int:
        """A user's confirm (a positive observation) or reject (a negated one) of a triple,
        in a version of its own (source ``user``, citing the file's content as it is now).
        Returns the observation's id."""
        symbol = self.symbol(subject)
        path = symbol["path"] if symbol else path_of(subject)
        known = self.file(path)
        with self.transaction():
            conn = self.db.conn
            version = self._version(conn, path, known["content_hash"] if known else None, "user", now())
            return self._append(conn, [(subject, predicate, value)], 0 if confirm else 1, version)

    def claim_workspace(self, root: str | os.PathLike) -> None:
        """Hold ``root`` as the folder this memory's paths are relative to, before a look at
        all of it. A memory kept outside its workspace (``--store``, ``KAIROS_STORE``) that
        knows the files of another folder, one that is still there, refuses when ``root``
        lacks most of them: a look would take them for deleted. (A copy of the folder has
        them; a memory inside its workspace, ``.kairos/memory.db``, is that folder's wherever
        it was copied or moved.)

        >>> import tempfile
        >>> store = Store(":memory:")
        >>> first, other = tempfile.mkdtemp(), tempfile.mkdtemp()
        >>> store.claim_workspace(first)
        >>> store.claim_workspace(other)  # it knows no file of the first yet
        """
        root = str(Path(root).resolve())
        held = self.db.execute("SELECT value FROM marks WHERE name = 'workspace'").fetchone()
        if held is not None and held[0] != root and self.path != ":memory:":
            inside = Path(self.path).resolve().is_relative_to(root)
            apart = not inside and os.path.isdir(held[0])  # (else the memory follows its folder)
            known = [path for (path,) in self.db.execute("SELECT path FROM files ORDER BY path")] if apart else []
            sample = known[:: max(1, len(known) // 64)]  # (spread over the tree)
            lacking = sum(not os.path.exists(os.path.join(root, path)) for path in sample)
            if apart and lacking * 2 > len(sample):
                raise StoreError(
                    f"the memory at {self.path} holds {len(known)} files of {held[0]}, which {root} "
                    f"lacks; a look at it would take them for deleted: give {root} its own memory "
                    f"(--store), or look at {held[0]}"
                )
        if held is None or held[0] != root:
            with self.transaction():
                self.db.execute("INSERT OR REPLACE INTO marks (name, value) VALUES ('workspace', ?)", (root,))

    def mark_reviewed(self, until: str) -> None:
        """The user has looked at what the dreams changed up to ``until`` (an ISO time);
        the mark never moves back."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO marks (name, value) VALUES ('reviewed', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (until,),
            )

    def forget(self, subjects: Iterable[str], path: str | None, links: tuple[str, ...]) -> dict[str, int]:
        """Delete ``subjects`` (and ``path``, when a file is forgotten) from the memory: their
        observations, facts, evidence, symbols and cached summaries, and the ``links``
        facts (renamed_to, ...) that name them. The one write that deletes. Returns counts."""
        with self.transaction():
            counts = forgetting.delete(self.db.conn, sorted(subjects), path, links)
            # the one write that takes rows away: readers that keep what they read start over
            self.db.execute(
                "INSERT INTO marks (name, value) VALUES ('forgotten', '1') "
                "ON CONFLICT (name) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
        self._recent.pop(path, None) if path else self._recent.clear()
        return counts

    def subjects_to_forget(self, target: str) -> tuple[set[str], str | None]:
        """What forgetting ``target`` deletes: (subjects, the path when it is a file the
        memory read or looked at; else None: a symbol key, with its members)."""
        conn = self.db.conn
        if self.file(target) is not None or forgetting.looked_at(conn, target):
            return forgetting.subjects_of_file(conn, target), target
        return forgetting.subjects_under(conn, target), None

    def forget_files(self, paths: Iterable[str], source: str = "parse") -> WriteResult:
        """Files that are gone: everything they asserted is negated, their symbols dropped."""
        result = WriteResult()
        stamp = now()
        with self.transaction():
            conn = self.db.conn
            for path in paths:
                gone = sorted(
                    conn.execute(
                        "SELECT o.subject, o.predicate, o.object FROM current c "
                        "JOIN observations o ON o.id = c.observation_id WHERE c.path = ?",
                        (path,),
                    )
                )
                if gone:
                    self._append(conn, gone, 1, self._version(conn, path, None, source, stamp))
                for table in ("current_runs", "symbol_rows"):
                    conn.execute(f"DELETE FROM {table} WHERE path_id = (SELECT id FROM names WHERE text = ?)", (path,))
                conn.execute("DELETE FROM files WHERE path = ?", (path,))
                result.files += 1
                result.negated += len(gone)
        return result

    # -- reading ------------------------------------------------------------

    def file_states(self) -> dict[str, tuple[int, int, str]]:
        """``{path: (size, mtime_ns, content_hash)}`` for every file we know; a file an older
        extraction read is ``(-1, -1, "")``, which no file on disk matches: every look reads
        it again (``extract.EXTRACTION_VERSION``).
        """
        return {
            row[0]: (row[1], row[2], row[3]) if read_as_now(row[5], row[4]) else _READ_AGAIN
            for row in self.db.execute("SELECT path, size, mtime_ns, content_hash, extraction, language FROM files")
        }

    def file_state(self, path: str) -> tuple[int, int, str] | None:
        """One file's entry of :meth:`file_states`, or None when the memory has not read it."""
        row = self.db.execute(
            "SELECT size, mtime_ns, content_hash, extraction, language FROM files WHERE path = ?", (path,)
        ).fetchone()
        if row is None:
            return None
        return (row[0], row[1], row[2]) if read_as_now(row[4], row[3]) else _READ_AGAIN

    def looks_since(self, after: int | None) -> Looks:
        """The looks recorded after the one with id ``after`` (None: none asked about):
        what a reader that keeps what it read of files must read again.

        >>> looks = store.looks_since(None)              # doctest: +SKIP
        >>> store.looks_since(looks.last).paths          # doctest: +SKIP
        frozenset({'src/app.py'})
        """
        last = self.db.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]
        paths: frozenset[str] = frozenset()
        if after is not None and last > after:
            # (no DISTINCT: the planner would read every path by its index, not the new rows by id)
            rows = self.db.execute("SELECT path FROM versions WHERE id > ?", (after,))
            paths = frozenset(path for (path,) in rows)
        mark = self.db.execute("SELECT value FROM marks WHERE name = 'forgotten'").fetchone()
        return Looks(last, paths, mark[0] if mark else "")

    def news_since(self, after: tuple[int, int] | None) -> tuple[tuple[int, int], list[tuple[str, str]]]:
        """For a reader that follows what every writer records (the server follows the daemon,
        the CLI, a test run): the marks now, ``(last look's id, last dream's id)``, and each
        look recorded after ``after``'s as ``(path, source)`` (none when ``after`` is None)::

            marks, _ = store.news_since(None)
            marks, looks = store.news_since(marks)   # [('tests/test_calc.py', 'terminal')]
        """
        last = self.db.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]
        dream = self.db.execute("SELECT coalesce(max(id), 0) FROM dreams").fetchone()[0]
        looks: list[tuple[str, str]] = []
        if after is not None and last > after[0]:
            looks = list(self.db.execute("SELECT path, source FROM versions WHERE id > ?", (after[0],)))
        return (last, dream), looks

    def paths_known(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` that are files the memory knows now."""
        known: set[str] = set()
        for chunk in chunks(list(paths)):
            marks = ",".join("?" * len(chunk))
            known.update(p for (p,) in self.db.execute(f"SELECT path FROM files WHERE path IN ({marks})", chunk))
        return known

    def _dicts(self, sql: str, params: Sequence | dict = ()) -> list[dict]:
        """The rows of a read as dicts (:func:`dict_rows`: the savepoints ``db.query`` adds were
        a fifth of an export's time)."""
        return dict_rows(self.db.conn.execute(sql, params))

    def file(self, path: str) -> dict | None:
        rows = self._dicts("SELECT * FROM files WHERE path = ?", [path])
        return rows[0] if rows else None

    def files_ending_with(self, tail: str, limit: int = 2) -> list[str]:
        """Paths of files the memory read that end with ``/tail`` (or are ``tail``)."""
        rows = self.db.execute(
            "SELECT path FROM files WHERE path = ? OR substr(path, -?) = ? LIMIT ?",
            (tail, len(tail) + 1, "/" + tail, limit),
        )
        return [row[0] for row in rows]

    def symbol(self, key: str) -> dict | None:
        rows = self._dicts("SELECT * FROM symbols WHERE key = ?", [key])
        return rows[0] if rows else None

    def body_hash(self, key: str) -> str | None:
        """The body hash of the symbol ``key`` now (None: no such symbol now)::

        store.claude_summary(key, store.body_hash(key))
        """
        row = self.db.execute(
            f"SELECT {BODY_HASH_NOW.format('r.subject_id')} FROM symbol_rows r "
            "WHERE r.subject_id = (SELECT id FROM names WHERE text = ?)",
            (key,),
        ).fetchone()
        return row[0] if row else None

    def symbols_in(self, path: str) -> list[dict]:
        return self._dicts("SELECT * FROM symbols WHERE path = ? ORDER BY start_line, start_col", [path])

    def symbols_named(self, name: str) -> list[dict]:
        return self._dicts("SELECT * FROM symbols WHERE name = ? ORDER BY key", [name])

    def symbol_by_qualname(self, path: str, qualname: str) -> dict | None:
        rows = self._dicts("SELECT * FROM symbols WHERE path = ? AND qualname = ?", [path, qualname])
        return rows[0] if rows else None

    def symbol_at(self, path: str, line: int, col: int | None = None) -> dict | None:
        """The innermost non-module symbol whose range holds the position."""
        rows = self._dicts(
            "SELECT * FROM symbols WHERE path = :path AND qualname != '' "
            "AND start_line <= :line AND end_line >= :line ORDER BY start_line, start_col",
            {"path": path, "line": line},
        )
        inside = [r for r in rows if col is None or _contains(r, line, col)]
        return inside[-1] if inside else None

    def current(self, subject: str) -> list[dict]:
        """What the latest parse asserts about a subject, with the observation behind each."""
        return self._dicts(
            "SELECT o.predicate, o.object, o.id, v.source, v.observed_at, "
            "v.content_hash AS file_hash, v.path FROM observations o "
            "JOIN versions v ON v.id = o.version_id "
            "JOIN current c ON c.path = v.path AND c.observation_id = o.id "
            "WHERE o.subject = ? ORDER BY o.predicate, o.object",
            [subject],
        )

    def history(self, subject: str) -> list[dict]:
        """Every observation ever made about a subject, oldest first."""
        return self._dicts(
            "SELECT o.id, o.predicate, o.object, o.negated, v.source, v.observed_at, "
            "v.content_hash AS file_hash, v.path FROM observations o "
            "JOIN versions v ON v.id = o.version_id WHERE o.subject = ? ORDER BY o.id",
            [subject],
        )

    def timeline(self, subject: str, predicates: Iterable[str]) -> list[dict]:
        """The observations of some predicates about a subject, oldest first, each with its
        look (``version``, ``observed_at``, ``path``, ``source``): how those values changed."""
        wanted = list(predicates)
        return self._dicts(
            "SELECT o.predicate, o.object, o.negated, o.version_id AS version, v.source, v.observed_at, v.path "
            "FROM observations o JOIN versions v ON v.id = o.version_id "
            f"WHERE o.subject = ? AND o.predicate IN ({','.join('?' * len(wanted))}) ORDER BY o.id",
            [subject, *wanted],
        )

    def deprecated_names(self) -> frozenset[str]:
        """The names of everything the memory ever saw deprecated (a symbol's last name:
        ``protected_args`` of ``Context.protected_args``) or kept by a module's
        ``__getattr__`` with a warning (``__version__``): what a use could be a use of.
        Read from their own small index, not the log.

        >>> store.deprecated_names()                   # doctest: +SKIP
        frozenset({'protected_args', '__version__'})
        """
        ids = deprecation_predicate_ids(self.db.conn)
        if not ids:
            return frozenset()
        found: set[str] = set()
        rows = self.db.conn.execute(
            # (its index, built with these ids; not forced: a first scan may have put it off)
            f"SELECT n.text, o.predicate_id, o.object FROM observation_log o "
            f"JOIN names n ON n.id = o.subject_id WHERE o.predicate_id IN ({ids})"
        ).fetchall()
        named = self.predicates.names(self.db.conn, {row[1] for row in rows})
        for subject, predicate, value in rows:
            if named[predicate] == "deprecates":  # "old: message", said by a module's `__getattr__`
                found.add(value.partition(": ")[0])
            else:
                found.add(name_of(subject))
                owner, _, name = qualname_of(subject).rpartition(".")
                if name in ("__init__", "__new__") and owner:  # (the class is, by its own name)
                    found.add(owner.rpartition(".")[2])
        return frozenset(found)

    def gone_names(self) -> frozenset[str]:
        """The names of every symbol the memory saw go (its kind negated: deleted, renamed,
        moved; some may be back): what a use of something gone could be a use of. Read from
        their own small index, not the log.

        >>> store.gone_names()                         # doctest: +SKIP
        frozenset({'old_helper', 'OldError'})
        """
        rows = self.db.conn.execute(
            "SELECT DISTINCT n.text FROM observation_log o JOIN names n ON n.id = o.subject_id "
            f"WHERE o.predicate_id = {PREDICATE_ID['kind']} AND o.negated = 1"
        )
        return frozenset(name_of(subject) for (subject,) in rows)

    def all_symbols(self) -> list[dict]:
        return self._dicts("SELECT * FROM symbols ORDER BY path, start_line, start_col")

    def language_counts(self) -> dict[str, tuple[int, int]]:
        """``{language: (files, symbols)}``."""
        files = dict(self.db.execute("SELECT language, count(*) FROM files GROUP BY language"))
        symbols = dict(self.db.execute("SELECT language, count(*) FROM symbols GROUP BY language"))
        return {lang: (files.get(lang, 0), symbols.get(lang, 0)) for lang in sorted({*files, *symbols})}

    def subjects(self, page: int = 1000) -> Iterator[str]:
        """Every subject the log has seen or a dream derived a fact about, current or not, in
        order, read ``page`` at a time (the large tree's 446,376 held at once took 226 MB).

        >>> store = Store(":memory:")
        >>> store.record_seen([("python:b.py:g", "raised", "KeyError"), ("python:a.py:f", "lint", "E1")])
        2
        >>> list(store.subjects(page=1))
        ['python:a.py:f', 'python:b.py:g']
        """
        conn = self.db.conn
        last = ""
        while True:
            rows = conn.execute(
                "SELECT n.text FROM names n WHERE n.text > ? AND ("
                "EXISTS (SELECT 1 FROM observation_log o WHERE o.subject_id = n.id) OR "
                "EXISTS (SELECT 1 FROM derived_log f WHERE f.subject_id = n.id)) ORDER BY n.text LIMIT ?",
                (last, page),
            ).fetchall()
            yield from (row[0] for row in rows)
            if len(rows) < page:
                return
            last = rows[-1][0]

    def stats(self) -> dict[str, int]:
        counts = {}
        for name, table in (
            ("files", "files"),
            ("symbols", "symbols"),
            ("versions", "versions"),
            ("observations", "observation_log"),
        ):
            counts[name] = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        counts["current"] = current_look.count(self.db.conn)
        counts["schema_version"] = self.db.execute("PRAGMA user_version").fetchone()[0]
        if self.path != ":memory:" and os.path.exists(self.path):
            counts["bytes"] = sum(
                os.path.getsize(self.path + suffix) for suffix in ("", "-wal") if os.path.exists(self.path + suffix)
            )
        return counts

    # -- verify: a fresh memory next to this one ----------------------------------

    def copy_events(self, other: str | os.PathLike, sources: tuple[str, ...]) -> int:
        """Append the versions of ``sources`` (what is not a look at the code: verdicts, what
        runs said, Claude's answers) and their observations from the memory at ``other``, in
        their order, with the runs they name. For ``kairos verify``: a fresh scan of the tree
        plus the same events. Returns how many observations were copied."""
        marks = ", ".join("?" * len(sources))
        conn = self.db.conn
        conn.execute("ATTACH DATABASE ? AS other", (str(other),))  # not allowed inside a transaction
        try:
            with self.transaction():
                conn.execute(
                    "INSERT INTO runs (id, command, cwd, source, started_at, exit_code, duration_ms, fingerprint, "
                    "token) SELECT id, command, cwd, source, started_at, exit_code, duration_ms, fingerprint, token "
                    "FROM other.runs WHERE id NOT IN (SELECT id FROM main.runs)"
                )
                conn.execute("DROP TABLE IF EXISTS temp.moved_versions")
                conn.execute(
                    "CREATE TEMP TABLE moved_versions AS SELECT id AS old, "
                    "(SELECT coalesce(max(id), 0) FROM main.versions) + row_number() OVER (ORDER BY id) AS new "
                    f"FROM other.versions WHERE source IN ({marks})",
                    sources,
                )
                conn.execute(
                    "INSERT INTO main.versions (id, path, content_hash, source, observed_at, run_id) "
                    "SELECT m.new, v.path, v.content_hash, v.source, v.observed_at, v.run_id "
                    "FROM temp.moved_versions m JOIN other.versions v ON v.id = m.old ORDER BY m.new"
                )
                rows = conn.execute(
                    "SELECT o.subject, o.predicate, o.object, o.negated, m.new "
                    "FROM other.observations o JOIN temp.moved_versions m ON m.old = o.version_id ORDER BY o.id"
                ).fetchall()
                if rows:
                    self._append_rows(conn, rows)
                copied = len(rows)
                conn.execute("DROP TABLE temp.moved_versions")
        finally:
            conn.execute("DETACH DATABASE other")
        return copied

    def differing_facts(
        self, other: str | os.PathLike, besides: tuple[str, ...]
    ) -> tuple[int, int, list[tuple[str, str, str, str | None, str | None]]]:
        """Compare the current facts (subject, predicate, value, status) with those of the
        memory at ``other``, leaving out the predicates ``besides``. Returns (facts here,
        facts there, differences as (subject, predicate, value, status here, status there),
        a status None where that memory lacks the fact). Both memories are files; the
        scratch files of the comparison (:mod:`kairos_lsp.store.compare`) go beside ``other``."""
        if self.path == ":memory:":
            raise ValueError("only a memory in a file can be compared")
        return compare.differing_facts(self.path, other, besides, Path(other).parent)

    # -- Claude: cache, audit, budget ------------------------------------------

    def llm_cached(self, purpose: str, model: str, payload_hash: str) -> dict | None:
        """A Claude answer kept for exactly this payload: ``{"answer" (JSON text),
        "tokens_in", "tokens_out", "created_at"}``, or None."""
        rows = self._dicts(
            "SELECT answer, tokens_in, tokens_out, created_at FROM llm_cache "
            "WHERE purpose = ? AND model = ? AND payload_hash = ?",
            (purpose, model, payload_hash),
        )
        return rows[0] if rows else None

    def record_llm_request(
        self,
        purpose: str,
        model: str,
        symbol: str | None,
        *,
        tokens_in: int = 0,
        tokens_out: int = 0,
        redacted: dict[str, int] | None = None,
        cached: bool = False,
        outcome: str = "ok",
        payload_hash: str | None = None,
        answer: str | None = None,
        at: str | None = None,
    ) -> int:
        """One audit row for one Claude request (or an answer taken from the cache:
        ``cached``); with ``answer`` (JSON text) the answer is kept for the payload too,
        in the same transaction. Returns the audit row's id."""
        stamp = at or now()
        with self.transaction():
            conn = self.db.conn
            if answer is not None and payload_hash is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO llm_cache (purpose, model, payload_hash, answer, tokens_in, tokens_out, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (purpose, model, payload_hash, answer, tokens_in, tokens_out, stamp),
                )
            row = conn.execute(
                "INSERT INTO llm_audit (at, day, purpose, model, symbol, tokens_in, tokens_out, redacted, cached, "
                "outcome, payload_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamp,
                    stamp[:10],
                    purpose,
                    model,
                    symbol,
                    tokens_in,
                    tokens_out,
                    json.dumps(dict(sorted((redacted or {}).items()))),
                    int(cached),
                    outcome,
                    payload_hash,
                ),
            ).lastrowid
        assert row is not None
        return row

    def llm_tokens_on(self, day: str) -> int:
        """Tokens (in + out) that requests actually sent on a UTC day (``YYYY-MM-DD``);
        answers from the cache cost nothing."""
        row = self.db.execute(
            "SELECT coalesce(sum(tokens_in + tokens_out), 0) FROM llm_audit WHERE day = ? AND cached = 0", (day,)
        ).fetchone()
        return int(row[0])

    def llm_audit_log(self, limit: int = 50) -> list[dict]:
        """The latest Claude requests, newest first (``redacted`` decoded to a dict)."""
        rows = self._dicts(
            "SELECT id, at, purpose, model, symbol, tokens_in, tokens_out, redacted, cached, outcome, "
            "payload_hash FROM llm_audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        for row in rows:
            row["redacted"] = json.loads(row["redacted"] or "{}")
            row["cached"] = bool(row["cached"])
        return rows

    # -- Claude in the dream: attention, summaries, insights ------------------------------

    def note_attention(self, keys: Iterable[str], what: str = "hovered", at: str | None = None) -> None:
        """The user looked at these symbols (``what``: "hovered"): one small upsert per key,
        in one transaction; the dream asks Claude about them first. Cheap enough to call
        with a batch every few seconds (not on a hover's path: queue the keys)."""
        stamp = at or now()
        rows = [(key, what, stamp) for key in dict.fromkeys(keys)]
        if not rows:
            return
        with self.transaction():
            self.db.conn.executemany(
                "INSERT INTO attention (subject, what, at) VALUES (?, ?, ?) "
                "ON CONFLICT (subject, what) DO UPDATE SET at = max(at, excluded.at), count = count + 1",
                rows,
            )

    def attention(self, what: str = "hovered", limit: int = 100, since: str | None = None) -> list[dict]:
        """``{"subject", "at", "count"}`` of the symbols noted as ``what``, the latest first."""
        return self._dicts(
            "SELECT subject, at, count FROM attention WHERE what = ? AND at >= ? ORDER BY at DESC, subject LIMIT ?",
            (what, since or "", limit),
        )

    def claude_summary(self, subject: str, body_hash: str | None, model: str | None = None) -> dict | None:
        """Claude's summary of ``subject`` for exactly this body (``body_hash``: the symbol's
        current one, ``symbols.body_hash``): ``{"text", "model", "at"}``, the newest if several
        models wrote one (``model``: only that model's); None for any other body."""
        if not body_hash:
            return None
        rows = self._dicts(
            "SELECT text, model, at FROM claude_summaries WHERE subject = ? AND body_hash = ? "
            "AND (? IS NULL OR model = ?) ORDER BY at DESC, model LIMIT 1",
            (subject, body_hash, model, model),
        )
        return rows[0] if rows else None

    def add_claude_summaries(self, rows: Iterable[tuple[str, str, str, str, str]]) -> None:
        """Claude's summaries: ``(subject, body_hash, model, text, at)`` rows (one per body and model)."""
        rows = list(rows)
        if rows:
            with self.transaction():
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO claude_summaries (subject, body_hash, model, text, at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )

    def without_claude_summary(self, model: str, limit: int) -> list[str]:
        """Up to ``limit`` symbol keys (by path and position, a symbol before those inside it)
        with no summary by ``model`` of their current body."""
        return [
            row[0]
            for row in self.db.execute(
                f"SELECT k.text FROM {_SYMBOLS_BY_ID} WHERE NOT EXISTS (SELECT 1 FROM claude_summaries c "
                f"WHERE c.subject = k.text AND c.body_hash = {BODY_HASH_NOW.format('r.subject_id')} AND c.model = ?) "
                f"{_IN_FILE_ORDER} LIMIT ?",
                (model, limit),
            )
        ]

    def without_claude_insights(self, model: str, limit: int) -> list[str]:
        """Up to ``limit`` symbol keys (by path and position) whose current body ``model``
        has not been asked about for insights (no ``llm_asked`` observation for it)."""
        return [
            row[0]
            for row in self.db.execute(
                f"SELECT k.text FROM {_SYMBOLS_BY_ID} WHERE NOT EXISTS (SELECT 1 FROM observation_log o "
                f"WHERE o.subject_id = r.subject_id AND o.predicate_id = {PREDICATE_ID['llm_asked']} "
                f"AND o.object = {BODY_HASH_NOW.format('r.subject_id')} || ' ' || ?) "
                f"{_IN_FILE_ORDER} LIMIT ?",
                (model, limit),
            )
        ]

    def recently_edited(self, limit: int = 100, window: int = 100_000) -> list[str]:
        """Symbols whose body changed in a later look at their file (not its first), among
        the last ``window`` observations, the latest first."""
        rows = self.db.execute(
            "SELECT o.subject FROM observations o JOIN versions v ON v.id = o.version_id "
            "WHERE o.id > (SELECT coalesce(max(id), 0) FROM observation_log) - ? "
            f"AND o.predicate_id = {PREDICATE_ID['body_hash']} "
            "AND o.negated = 0 AND EXISTS (SELECT 1 FROM versions p WHERE p.path = v.path AND p.id < v.id "
            "AND p.source NOT IN ('terminal', 'user', 'llm')) ORDER BY o.id DESC LIMIT ?",
            (window, limit * 4),
        )
        return list(dict.fromkeys(row[0] for row in rows))[:limit]

    def recently_failing(self, limit: int = 100, window: int = 100_000) -> list[str]:
        """Symbols whose last captured test outcome is a failure, then those a recent run
        saw raise or fail (``raised``, ``failed_in``, among the last ``window`` observations),
        the latest first."""
        failed = [
            row[0]
            for row in self.db.execute(
                "SELECT subject, predicate FROM observations WHERE id IN (SELECT max(id) "
                "FROM observation_log INDEXED BY observation_log_outcomes "
                f"WHERE predicate_id IN {OUTCOME_IDS} GROUP BY subject_id) ORDER BY id DESC"
            )
            if row[1] == "test_failed"
        ]
        seen = self.db.execute(
            "SELECT subject FROM observations WHERE id > (SELECT coalesce(max(id), 0) FROM observation_log) - ? "
            "AND predicate IN ('raised', 'failed_in') AND negated = 0 ORDER BY id DESC LIMIT ?",
            (window, limit * 4),
        )
        return list(dict.fromkeys([*failed, *(row[0] for row in seen)]))[:limit]

    def widely_called_symbols(self, limit: int = 100) -> list[str]:
        """Symbols with a live ``role widely called`` fact, the most called first."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT f.subject FROM derived_facts f JOIN symbols s ON s.key = f.subject "
                "LEFT JOIN dream_callees c ON c.name = s.name WHERE f.predicate = 'role' "
                "AND f.object = 'widely called' AND f.status IN ('tentative', 'firm') "
                "ORDER BY coalesce(c.callers, 0) DESC, f.subject LIMIT ?",
                (limit,),
            )
        ]

    def claude_asked(self, subject: str, body_hash: str, model: str) -> bool:
        """Whether Claude's insights on this body of ``subject`` by ``model`` are recorded."""
        return (
            self.db.execute(
                f"SELECT 1 FROM observations WHERE subject = ? AND predicate_id = {PREDICATE_ID['llm_asked']} "
                "AND object = ? LIMIT 1",
                (subject, f"{body_hash} {model}"),
            ).fetchone()
            is not None
        )

    def llm_outcome(self, purpose: str, payload_hash: str) -> str | None:
        """The outcome of the latest request of ``purpose`` with exactly this payload
        (ok, cached, rejected, or the error's kind); None if never asked."""
        row = self.db.execute(
            "SELECT outcome FROM llm_audit WHERE payload_hash = ? AND purpose = ? ORDER BY id DESC LIMIT 1",
            (payload_hash, purpose),
        ).fetchone()
        return row[0] if row else None

    def record_llm_insights(self, answers: Iterable[tuple[str, str, str, list[tuple[str, str]]]]) -> int:
        """Claude's insights, ``(subject, body_hash, model, [(predicate, value)...])``, as
        observations of source ``llm``: one version per file (citing the file's content as
        the memory knows it), and per symbol an ``llm_asked`` observation (``"<body hash>
        <model>"``: the body Claude saw) before its insights. The dream counts them as
        evidence for derived insights while the body is the same, never as facts of their
        own. Returns how many observations were written."""
        stamp = now()
        by_path: dict[str, list[tuple[str, str, str]]] = {}
        for subject, body, model, found in answers:
            symbol = self.symbol(subject)
            path = symbol["path"] if symbol else path_of(subject)
            triples = by_path.setdefault(path, [])
            triples.append((subject, "llm_asked", f"{body} {model}"))
            triples += [(subject, predicate, value) for predicate, value in found]
        written = 0
        with self.transaction():
            conn = self.db.conn
            for path, triples in sorted(by_path.items()):
                known = conn.execute("SELECT content_hash FROM files WHERE path = ?", (path,)).fetchone()
                version = self._version(conn, path, known[0] if known else None, "llm", stamp)
                self._append(conn, triples, 0, version)
                written += len(triples)
        return written


def _contains(row: dict, line: int, col: int) -> bool:
    start = (row["start_line"], row["start_col"])
    end = (row["end_line"], row["end_col"])
    return start <= (line, col) <= end


# The symbols with their ids (``r``: the row, ``k``: its key, ``p``: its path), for what
# reads their body hash (BODY_HASH_NOW); in the order of their files and places.
_SYMBOLS_BY_ID = "symbol_rows r JOIN names k ON k.id = r.subject_id JOIN names p ON p.id = r.path_id"
_IN_FILE_ORDER = "ORDER BY p.text, r.start_line, r.start_col, r.end_line DESC, r.end_col DESC, k.text"
