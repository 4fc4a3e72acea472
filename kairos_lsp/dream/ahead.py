"""Read ahead: a helper process replays first looks at files while the dream writes.

A large dream (the first one over a workspace: every file is looked at for the
first time) is mostly Python work per file: build the facts a look asserts,
derive insights and the summary of every symbol. For a file the store knows
nothing about yet, that work depends only on the file's observations, on the
call-site counts and on the summary cache as they were when its batch began.
So a second process can do it on the second core, from its own read snapshot
of the store taken before the dream wrote anything, and hand the dream rows
ready to write (numbered from ``BASE``; the dream renumbers them).

The helper keeps its own copy of the counts and the cache by replaying what
every batch changes. The dream checks each result before using it: the file
must still be unknown when its turn comes (no live fact, no verdict), and
every summary and count the helper looked up must be what the dream finds
(the helper cannot know the summaries the dream computed itself). Otherwise
the dream replays the file itself, as it would have without a helper: the
facts are the same either way (tests compare them). A helper that fails or
dies only means the dream does all the work.

The dream's side (engine.py)::

    ahead = Ahead(store_path, position=cursor, settled=version, batch_size=5000)
    versions = ahead.batch(position, conn)    # the next batch as the helper read it, or None
    ahead.claim(ids)                          # files the dream will replay itself
    prepared = ahead.take(version.id)         # None: replay it here
    ahead.fits(prepared, state, summaries, callers)   # after state.load: still a first look?
    ahead.done_here(version.id)               # the dream replayed it itself
    found = ahead.exercised(last, store)      # what the batch's tests call, or None
    ahead.close()
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import astuple, dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kairos_lsp.dream import merge, tested
from kairos_lsp.dream.model import Counts, Version
from kairos_lsp.dream.state import GoneBodies, State
from kairos_lsp.dream.summary import Lookup, SummaryCache

BASE = 1 << 48       # helper-side fact ids start here
AHEAD_AT = 50_000    # observations: a smaller dream is not worth a process
NICENESS = 10       # added to the dream's own: the helper runs on spare CPU only
CREDIT = 256         # versions the helper may run ahead of the dream
_HOME = str(Path(__file__).resolve().parents[2])  # where kairos_lsp is imported from


@dataclass
class Prepared:
    """A first look at a file, replayed by the helper."""

    runs: list       # State.runs
    rows: list       # new derived facts, as rows
    evidence: list   # evidence rows
    ids: int         # fact ids used from BASE
    counts: tuple    # Counts delta, as a tuple
    calls: dict      # callee name -> call sites added
    puts: list       # [(body key, summary)] added to the summary cache, in order
    summaries: dict  # what it found in the summary cache: body key -> summary or None
    callers: dict    # what it found in the call-site counts: name -> count or None


class Ahead:
    def __init__(self, path: str, position: int, settled: int, batch_size: int):
        # A subprocess of its own (not multiprocessing: that would re-run the caller's
        # main module), spoken to over its stdin and stdout.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_HOME, env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from kairos_lsp.dream.ahead import main; main()", path, str(position),
             str(settled), str(batch_size), str(CREDIT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._to = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._from = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        self.ready = False
        self.done = False
        self.snapshot = 0  # the newest version in the helper's snapshot
        self.observed = 0  # and its newest observation
        self._batches: dict[int, list[Version]] = {}  # position -> the batch that follows it
        self._replays: deque[tuple] = deque()  # (version id, Prepared | None), in order
        self._found: dict[int, tuple] = {}  # last observation of a batch -> (tests, what they call)
        self.used = 0  # replays the dream took (counted by the dream)
        self.waited = 0.0  # seconds the dream spent waiting for the helper

    def take(self, version_id: int, wait: bool = True) -> Prepared | None:
        """The helper's replay of this version, or None (not one it could do, or it is gone,
        or, unless ``wait``, it has not sent it yet)."""
        if not self.ready:
            if self.done or not self._pump(block=False) or not self.ready:
                return None
        while True:
            if not self._replays:
                if self.done:
                    return None
                got = self._pump(block=wait)
                if not got:
                    return None
                continue
            head = self._replays[0][0]
            if head > version_id:  # skipped: the dream had it already
                return None
            _, prepared = self._replays.popleft()
            self._send(("credit", 1))
            if head == version_id:
                return prepared

    def batch(self, position: int, conn) -> list[Version] | None:
        """The batch after ``position`` as the helper read it (no observations in it), if it
        has got there and the store has no observation its snapshot lacks; else None."""
        if not self.ready:
            return None
        while not self.done and self._pump(block=False):
            pass
        versions = self._batches.pop(position, None)
        if versions is None:
            return None
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
        return versions if newest == self.observed else None

    def claim(self, version_ids) -> None:
        """The dream will replay these itself (unless the helper already has): the helper
        skips them. How the dream shares the work when the helper falls behind."""
        if version_ids and not self.done:
            self._send(("mine", sorted(version_ids)))

    def looked_up(self, first: int, last: int) -> tuple[set, set]:
        """The summary keys and callee names the helper looked up for versions ``first..last``
        (those it has sent so far), for the dream to fetch in one go."""
        while self.ready and not self.done and self._pump(block=False):
            pass
        keys, names = set(), set()
        for version_id, prepared in self._replays:
            if version_id > last:
                break
            if prepared is not None and version_id >= first:
                keys.update(prepared.summaries)
                names.update(prepared.callers)
        return keys, names

    def exercised(self, last: int, store) -> tuple | None:
        """What the tests of the batch ending at observation ``last`` call (see
        tested.exercised), as the helper found it; None when it cannot be trusted: no scan
        may have written since the helper's snapshot."""
        if not self.ready or last not in self._found and self.done:
            return None
        newest = store.db.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]
        if newest != self.snapshot:
            return None
        while last not in self._found:
            if self.done or not self._pump(block=True):
                return None
        return self._found.pop(last)

    def wait_ready(self, timeout: float) -> None:
        """Block until the helper has its snapshot (or is gone, or ``timeout`` passed)."""
        if not self.ready and not self.done and self._from.poll(timeout):
            self._pump(block=False)
        if not self.ready:
            self.done = True

    def done_here(self, version_id: int) -> None:
        """The dream replayed this version itself: the helper need not."""
        if not self.done:
            self._send(("here", version_id))

    def fits(self, prepared: Prepared, state: State, summaries: Lookup, callers: Lookup) -> bool:
        """Whether the helper's replay holds now: the file is still unknown, and the helper
        found what the dream finds in the summary cache and the call-site counts."""
        return (not state.live and not state.verdicts
                and _same(summaries, prepared.summaries) and _same(callers, prepared.callers))

    def close(self) -> None:
        self.done = True
        for end in (self._to, self._from):
            end.close()
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait()

    def _send(self, message) -> None:
        try:
            self._to.send(message)
        except OSError:  # the helper is gone
            self.done = True

    def _pump(self, block: bool) -> bool:
        """Read one message (waiting for it when ``block``) and file it; False when there
        was none, or the helper is gone."""
        try:
            if not block and not self._from.poll():
                return False
            started = time.perf_counter()
            data = self._from.recv_bytes()
            if block:
                self.waited += time.perf_counter() - started
            message = pickle.loads(data)
        except (EOFError, OSError):
            self.done = True
            return False
        kind = message[0]
        if kind == "ready":
            self.ready, self.snapshot, self.observed = True, message[1], message[2]
        elif kind == "batch":
            self._batches[message[1]] = message[2]
        elif kind == "tested":
            self._found[message[1]] = message[2]
        elif kind in ("end", "error"):
            self.done = True
            return False
        else:
            self._replays.append(message)
        return True


def run(path: str, position: int, settled: int, batch_size: int, credit: int, inbox: Connection,
        pipe: Connection) -> None:
    """The helper process: replay first looks, in the dream's batches, from a snapshot."""
    from kairos_lsp.dream.engine import _next_batch, _prefetch, _prefix, derive_all  # the dream's own code
    from kairos_lsp.store import Store

    gc.disable()  # a short-lived process of acyclic rows
    results = _Outbox(pipe)
    try:
        store = Store(path)
        conn = store.db.conn
        conn.execute("BEGIN")  # one read snapshot for the whole run
        cursor = conn.execute("SELECT last_observation FROM dream_cursor WHERE id = 1").fetchone()[0]
        if cursor != position:  # the dream committed before the snapshot: it is not the one to mirror
            results.send(("end",))
            return
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]
        observed = conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
        results.send(("ready", newest, observed))
        resolver = tested.resolver_for(store)
        summaries = SummaryCache(conn)
        callers = Lookup(conn, "dream_callees", "name", "callers")
        for lookup, table in ((summaries, "summary_cache"), (callers, "dream_callees")):
            # an empty table stays what the helper's own copy says (a first dream's case)
            lookup.complete = not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
        state = State(conn, Counts(), GoneBodies(settled))
        seen: set[str] = set()
        dream = _Dream(credit)
        empty = not conn.execute("SELECT EXISTS (SELECT 1 FROM observed_facts) "
                                 "OR EXISTS (SELECT 1 FROM derived_facts)").fetchone()[0]
        while True:
            versions = _next_batch(conn, position, batch_size)
            if not versions:
                break
            results.send(("batch", position, [_outline(v) for v in versions]))
            # what the batch's tests call (every batch: the dream may ask for any), first:
            # the dream needs it when it has replayed the batch, which is when the helper is done
            results.send(("tested", versions[-1].last, tested.exercised(store, versions, resolver)))
            deltas: dict[str, int] = {}
            puts: dict[str, str] = {}
            if not (summaries.complete and callers.complete):
                _prefetch(versions, summaries, callers)
            for n, version in enumerate(versions):
                prefix = _prefix(version)
                first = prefix not in seen
                seen.add(prefix)
                if n % 8 == 0 or dream.credit < 8:
                    dream.listen(inbox, block=False)
                prepared = None
                if not dream.leaves(version.id):
                    while dream.credit <= 0:
                        dream.listen(inbox, block=True)
                    dream.credit -= 1
                    if first and version.source != "user":
                        prepared = _prepare(state, summaries, callers, version, prefix, derive_all, empty)
                    results.send((version.id, prepared))
                if prepared is None:
                    _follow(version, deltas, state.bodies)
                else:  # a first look: no negated observation, every call counts once
                    for name, count in prepared.calls.items():
                        deltas[name] = deltas.get(name, 0) + count
                    puts.update(prepared.puts)
            _mirror(callers, summaries, deltas, puts)
            position = versions[-1].last
        results.send(("end",))
    except (EOFError, BrokenPipeError):
        return  # the dream is over
    except Exception as exc:  # the dream goes on without the helper
        results.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        results.close()


class _Outbox:
    """Results go out on a thread: the pipe holds 64 KiB, and the helper must not wait
    for the dream to read them (the credit bounds how far ahead it runs)."""

    def __init__(self, pipe: Connection):
        self.pipe = pipe
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, message) -> None:
        self.queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            try:
                self.pipe.send_bytes(data)  # without the GIL while the pipe is full
            except OSError:
                return


class _Dream:
    """What the dream told the helper: how far it may run ahead, and what it did itself."""

    def __init__(self, credit: int):
        self.credit = credit
        self.here = 0
        self.mine: set[int] = set()  # versions the dream claimed

    def listen(self, inbox: Connection, block: bool) -> None:
        while block or inbox.poll():
            kind, value = inbox.recv()
            if kind == "credit":
                self.credit += value
            elif kind == "mine":
                self.mine.update(value)
            else:
                self.here = max(self.here, value)
            block = False

    def leaves(self, version_id: int) -> bool:
        """Whether the dream replays this version itself."""
        if version_id in self.mine:
            self.mine.discard(version_id)
            return True
        return version_id <= self.here


def _outline(version: Version) -> Version:
    """A version without its observations (the dream reads those only if it needs them)."""
    return Version(version.id, version.path, version.content_hash, version.source, version.observed_at,
                   None, version.first, version.last, version.count, version.subject)


def _same(lookup: Lookup, seen: dict) -> bool:
    found = lookup.get_many(list(seen))
    return all(found.get(key) == value for key, value in seen.items())


def _follow(version: Version, deltas: dict[str, int], bodies: GoneBodies) -> None:
    """What replaying any version changes that the helper must mirror: call-site counts
    (every call observation of a look counts, +1 or -1) and where a body may have been
    retracted (a negated body_hash: more than the dream's own list, never less)."""
    if version.source == "user":
        return
    for _, _, predicate, obj, negated, _ in version.rows:
        if predicate == "calls":
            name = merge.callee_name(obj)
            deltas[name] = deltas.get(name, 0) + (-1 if negated else 1)
        elif predicate == "body_hash" and negated:
            bodies.ended.append(version.id)


def _prepare(state: State, summaries: SummaryCache, callers: Lookup, version: Version, prefix: str,
             derive_all, empty: bool) -> Prepared | None:
    """``empty``: the snapshot holds no fact at all (a first dream), so no file has any."""
    from kairos_lsp.dream.links import _previous_look

    if empty:
        state.clear(prefix)
    else:
        state.load(prefix, before=version.first)
        if state.live or state.verdicts:
            return None
    state.version_id = version.id
    if state.bodies.any_before(version.id) and \
            state.bodies.any_between(_previous_look(state, version.path, version.id), version.id):
        return None  # the dream would look for a body that vanished: only it can
    state.next_id, state.counts, state.callee_delta = BASE, Counts(), {}
    cold = merge.apply_cold(state, version)
    if cold is None:
        return None
    _, views = cold
    summaries.fresh = {}
    summaries.looked, callers.looked = {}, {}
    derive_all(state, summaries, callers, version, sorted(state.live), views=views)
    runs, rows, evidence = state.take_new()
    prepared = Prepared(runs, rows, evidence, state.next_id - BASE, astuple(state.counts), state.callee_delta,
                        list(summaries.fresh.items()), summaries.looked, callers.looked)
    summaries.looked = callers.looked = None
    return prepared


def _mirror(callers: Lookup, summaries: SummaryCache, deltas: dict[str, int], puts: dict[str, str]) -> None:
    """The end of a batch, as the dream writes it: call-site counts (never below zero)
    and new summaries (the first one stored for a key stays)."""
    names = sorted(n for n, d in deltas.items() if d)
    before = callers.get_many(names)
    for name in names:
        callers.known[name] = max(0, before.get(name, 0) + deltas[name])
        callers.absent.discard(name)
    keys = sorted(puts)
    stored = summaries.get_many(keys)
    for key in keys:
        if key not in stored:
            summaries.known[key] = puts[key]
            summaries.absent.discard(key)


def main() -> None:
    """The helper's entry point: ``path position settled batch_size credit``; stdin and stdout
    are its connections to the dream (anything printed goes to stderr instead)."""
    inbox, results = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    sys.stdout = sys.stderr
    if hasattr(os, "nice"):
        # Only spare CPU: when the cores are busy (the editor, its server) the helper
        # falls behind and the dream takes its files back (see engine.Share).
        os.nice(NICENESS)
    path, position, settled, batch_size, credit = sys.argv[1], *map(int, sys.argv[2:6])
    run(path, position, settled, batch_size, credit, inbox, results)
