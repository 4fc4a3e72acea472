"""The read-ahead helper process (see ahead.py): replays first looks at files, in the
dream's batches, from its own snapshot of the store, and sends the dream what it
found. Started by :class:`kairos_lsp.dream.ahead.Ahead` as
``python -c "from kairos_lsp.dream.helper import main; main()" path position settled gone batch_size credit``;
its stdin and stdout are its connections to the dream.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import select
import signal
import sys
import threading
from multiprocessing.connection import Connection

from kairos_lsp.dream import merge, tested
from kairos_lsp.dream.ahead import BASE, Prepared
from kairos_lsp.dream.batches import next_batch, prefetch, prefix_of
from kairos_lsp.dream.model import NOT_LOOKS, Counts, Version
from kairos_lsp.dream.replay import derive_all
from kairos_lsp.dream.state import GoneBodies, State
from kairos_lsp.dream.summary import Lookup
from kairos_lsp.keys import module_of
from kairos_lsp.store import Store
from kairos_lsp.workers import die_with_parent

NICENESS = 10  # added to the dream's own: the helper runs on spare CPU only
BUNDLE = 64  # queued messages sent as one at most
CACHE_KIB = 4096  # its SQLite page cache: it only reads (the system's file cache holds the rest)
# Its resolver keeps a quarter of what the dream's may (see tested.RESOLVER_READS): the two
# processes' memory adds up. On the large tree's first dream the helper peaked at 126 - 135 MB
# with the dream's bounds (files read for one batch's tests, then forgotten, leave Python's
# allocator fragmented) and at 110 MB with a quarter, in no more time (22.1 / 20.2 s against
# 20.4 / 19.7 s).
RESOLVER_SHARE = 4


def run(
    path: str,
    position: int,
    settled: int,
    gone: int,
    batch_size: int,
    credit: int,
    inbox: Connection,
    pipe: Connection,
) -> None:
    """The helper process: replay first looks, in the dream's batches, from a snapshot,
    until none is left that it could replay (``settled``, ``gone``: see GoneBodies)."""
    gc.disable()  # a short-lived process of acyclic rows
    results = Outbox(pipe)
    try:
        store = Store(path)
        facts = store.facts
        facts.conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")  # it only reads: less than the store opens with
        store.begin_snapshot()  # one read snapshot for the whole run
        if facts.cursor() != position:  # the dream committed before the snapshot: it is not the one to mirror
            results.send(("end",))
            return
        results.send(("ready", facts.newest_version(), facts.newest_observation()))
        resolver = tested.resolver_for(store)
        callers = Lookup(facts.callers_of)
        # an empty table stays what the helper's own copy says (a first dream's case)
        callers.complete = not facts.has_callers()
        state = State(facts, Counts(), GoneBodies(settled, gone))
        seen: set[str] = set()
        dream = _Dream(credit, inbox)
        empty = not facts.has_any()
        # the dream looks changes up only in what earlier dreams recorded (see tested.derive)
        changes = facts.any_dependencies_before()
        while True:
            versions = next_batch(facts, position, batch_size)
            if not versions:
                break
            if state.bodies.any_before(versions[0].id):
                # A body was retracted before these: for any first look from here on, only
                # the dream may search where it went. The helper would replay nothing more,
                # and it holds 100 MB on the large tree: the dream does the rest alone.
                break
            results.send(("batch", position, [_outline(v) for v in versions]))
            # what the batch's tests call (every batch: the dream may ask for any), first:
            # the dream needs it when it has replayed the batch, which is when the helper is done
            found = tested.exercised(store, versions, resolver, changes)
            results.send(("tested", versions[-1].last, found))
            resolver.trim(tested.RESOLVER_ANSWERS // RESOLVER_SHARE, tested.RESOLVER_READS // RESOLVER_SHARE)
            deltas: dict[str, int] = {}
            prefetch(versions, callers)
            for version in versions:
                prefix = prefix_of(version)
                first = prefix not in seen
                seen.add(prefix)
                dream.listen(inbox, block=False)
                prepared = None
                if not dream.leaves(version.id):
                    while dream.credit <= 0:
                        dream.listen(inbox, block=True)
                    dream.credit -= 1
                    if first and version.source not in NOT_LOOKS:
                        prepared = _prepare(state, callers, version, prefix, empty)
                    results.send((version.id, prepared))
                if prepared is None:
                    _follow(version, deltas, state.bodies)
                else:  # a first look: no negated observation, every call counts once
                    for name, count in prepared.calls.items():
                        deltas[name] = deltas.get(name, 0) + count
            _mirror(callers, deltas)
            # The dream gives what the batch's tests call tested_by facts once it has replayed
            # the batch: a later first look at one of their files is the dream's to replay (it
            # holds facts then). Not prepared here for nothing (358 files of the large tree).
            seen.update(module_of(subject) for calls in found[1].values() for subject in calls)
            position = versions[-1].last
        results.send(("end",))
    except (EOFError, BrokenPipeError):
        return  # the dream is over
    except Exception as exc:  # the dream goes on without the helper
        results.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        results.close(inbox)


class Outbox:
    """Results go out on a thread: the pipe holds 64 KiB, and the helper must not wait
    for the dream to read them (the credit bounds how far ahead it runs)."""

    def __init__(self, pipe: Connection):
        self.pipe = pipe
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, message) -> None:
        self.queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self, inbox: Connection | None = None) -> None:
        """Send what is queued, then stop. ``inbox``: read (and drop) what the dream sends
        meanwhile. The dream writes to the helper without reading until it needs a result:
        a helper that stopped reading would leave both pipes full, each process blocked
        writing to the other."""
        self.queue.put(None)
        while self.thread.is_alive():
            if inbox is None:
                self.thread.join()
                break
            try:
                if inbox.poll(0.05):
                    inbox.recv_bytes()
            except (EOFError, OSError):  # the dream is gone: the thread's writes fail too
                inbox = None

    def _run(self) -> None:
        ended = False
        while not ended:
            bundle = [self.queue.get()]
            # what else is queued goes as one message: one write, and one wake-up of the
            # dream, for several files (the large tree has 19,000 files, mostly small)
            while len(bundle) < BUNDLE and not self.queue.empty():
                bundle.append(self.queue.get())
            if bundle[-1] is None:
                ended = True
                bundle.pop()
            if not bundle:
                break
            data = bundle[0] if len(bundle) == 1 else pickle.dumps(("bundle", bundle), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                self.pipe.send_bytes(data)  # without the GIL while the pipe is full
            except OSError:
                return


class _Dream:
    """What the dream told the helper: how far it may run ahead, and what it did itself."""

    def __init__(self, credit: int, inbox: Connection):
        self.credit = credit
        self.here = 0
        self.mine: set[int] = set()  # versions the dream claimed
        # asked before every file: Connection.poll builds a selector each time (~30 us)
        self._waiting = select.poll()
        self._waiting.register(inbox.fileno(), select.POLLIN)

    def listen(self, inbox: Connection, block: bool) -> None:
        while block or self._waiting.poll(0):
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
    return Version(
        version.id,
        version.path,
        version.content_hash,
        version.source,
        version.observed_at,
        None,
        version.first,
        version.last,
        version.count,
        version.subject,
    )


def _follow(version: Version, deltas: dict[str, int], bodies: GoneBodies) -> None:
    """What replaying any version changes that the helper must mirror: call-site counts
    (every call observation of a look counts, +1 or -1) and where a body may have been
    retracted (a negated body_hash: more than the dream's own list, never less)."""
    if version.source == "user":
        return
    for _, _, predicate, obj, negated, _ in version.observations:
        if predicate == "calls":
            name = merge.callee_name(obj)
            deltas[name] = deltas.get(name, 0) + (-1 if negated else 1)
        elif predicate == "body_hash" and negated:
            bodies.retracted_in(version.id)


def _prepare(state: State, callers: Lookup, version: Version, prefix: str, empty: bool) -> Prepared | None:
    """``empty``: the snapshot holds no fact at all (a first dream), so no file has any."""
    if empty:
        state.clear(prefix)
    else:
        state.load(prefix, before=version.first)
        if state.live or state.verdicts:
            return None
    state.version_id = version.id
    if state.bodies.any_before(version.id) and state.bodies.any_between(
        state.facts.previous_look(version.path, version.id), version.id
    ):
        return None  # the dream would look for a body that vanished: only it can
    state.next_id, state.counts, state.callee_delta = BASE, Counts(), {}
    cold = merge.apply_cold(state, version)
    if cold is None:
        return None
    _, views = cold
    callers.looked = {}
    derive_all(state, callers, version, sorted(state.live), views=views)
    runs, rows, evidence = state.take_new()
    prepared = Prepared(
        runs,
        rows,
        evidence,
        state.next_id - BASE,
        state.counts.values(),
        state.callee_delta,
        callers.looked,
    )
    callers.looked = None
    return prepared


def _mirror(callers: Lookup, deltas: dict[str, int]) -> None:
    """The end of a batch, as the dream writes it: call-site counts (never below zero)."""
    names = sorted(n for n, d in deltas.items() if d)
    before = callers.get_many(names)
    callers.update({name: max(0, before.get(name, 0) + deltas[name]) for name in names})


def main() -> None:
    """The helper's entry point: ``path position settled gone batch_size credit``; stdin and stdout
    are its connections to the dream (anything printed goes to stderr instead)."""
    # A dream killed -9 leaves no helper: it noticed its closed pipes only at its next read,
    # 1.5 - 1.7 s later on a busy machine (it runs at a lower priority). The dream calls
    # dream() on the thread that started this process, so that thread outlives the helper.
    die_with_parent()
    inbox, results = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    sys.stdout = sys.stderr
    path, position, settled, gone, batch_size, credit = sys.argv[1], *map(int, sys.argv[2:7])

    # the dream ends a helper it no longer needs with SIGTERM
    def stop(*_) -> None:
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    if hasattr(os, "nice"):
        # Only spare CPU: when the cores are busy (the editor, its server) the helper
        # falls behind and the dream takes its files back (see engine.Share).
        os.nice(NICENESS)
    run(path, position, settled, gone, batch_size, credit, inbox, results)
