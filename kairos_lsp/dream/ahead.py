"""Read ahead: a helper process replays first looks at files while the dream writes.

A large dream (the first one over a workspace: every file is looked at for the
first time) is mostly Python work per file: build the facts a look asserts,
derive insights and the summary of every symbol. For a file the store knows
nothing about yet, that work depends only on the file's observations and on the
call-site counts as they were when its batch began.
So a second process can do it on the second core, from its own read snapshot
of the store taken before the dream wrote anything, and hand the dream rows
ready to write (numbered from ``BASE``; the dream renumbers them).

The helper keeps its own copy of the counts by replaying what every batch
changes. The dream checks each result before using it: the file must still be
unknown when its turn comes (no live fact, no verdict), and every count the
helper looked up must be what the dream finds. Otherwise
the dream replays the file itself, as it would have without a helper: the
facts are the same either way (tests compare them). A helper that fails or
dies only means the dream does all the work.

This module is the dream's side: :func:`replayer` gives the dream (engine.py)
:class:`ReadAhead`, the replayer (see replay.py) that speaks to the helper through
:class:`Ahead`, or the in-process one; helper.py is the helper's side::

    ahead = start(store, cursor, bodies, 5000, wanted=None, backlog=n)  # or None
    versions = ahead.batch(position, store.facts)  # the next batch as the helper read it, or None
    ahead.claim(ids)                          # files the dream will replay itself
    prepared = ahead.take(version.id, 0.02)   # None: replay it here (not sent within 20 ms)
    ahead.fits(prepared, state, callers)      # after state.load: still a first look?
    ahead.done_here(version.id)               # the dream replayed it itself
    found = ahead.exercised(last, store, 1.0) # what the batch's tests call, or None (not within 1 s)
    ahead.close()
"""

from __future__ import annotations

import math
import os
import pickle
import select
import subprocess
import time
from collections import deque
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection

from kairos_lsp.dream.batches import BATCH, last_of, next_batch, prefix_of, rows_of
from kairos_lsp.dream.model import NOT_LOOKS, Counts, Version
from kairos_lsp.dream.replay import InProcess, replay
from kairos_lsp.dream.state import GoneBodies, State
from kairos_lsp.dream.summary import Lookup
from kairos_lsp.store.facts import Facts
from kairos_lsp.workers import python_command

BASE = 1 << 48  # helper-side fact ids start here
AHEAD_AT = 50_000  # observations: a smaller dream is not worth a process
WAIT_READY = 10.0  # s: a helper that has no snapshot by then is left behind
STOP_SECONDS = 2.0  # s: a helper that has not ended this long after SIGTERM is killed
# Versions the helper may run ahead of the dream (their replays wait in memory, pickled and
# not). At 96 the helper of the large tree's first dream sat out of credit for 0.6 s, while
# the dream committed and settled tests (its files are small: 96 of them are ~0.1 s of work);
# the standard library's never did. At 384 it waited 0.01 - 0.06 s; peak RSS the same.
CREDIT = 384
LEAD = 3  # files the dream takes on after one the helper was late with (see ReadAhead.replay)
CREDIT_EVERY = 16  # replays taken before the dream gives their credit back (one message, not 16)


@dataclass
class Prepared:
    """A first look at a file, replayed by the helper."""

    runs: list  # State.runs
    rows: list  # new derived facts, as rows
    evidence: list  # evidence rows
    ids: int  # fact ids used from BASE
    counts: tuple  # Counts delta, as a tuple
    calls: dict  # callee name -> call sites added
    callers: dict  # what it found in the call-site counts: name -> count or None


class Ahead:
    def __init__(self, path: str, position: int, bodies: GoneBodies, batch_size: int):
        # A subprocess of its own (not multiprocessing: that would re-run the caller's
        # main module), spoken to over its stdin and stdout.
        self._process = subprocess.Popen(
            [
                *python_command("from kairos_lsp.dream.helper import main; main()"),
                path,
                str(position),
                str(bodies.settled),
                str(bodies.gone),
                str(batch_size),
                str(CREDIT),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None  # both are PIPE
        self._to = Connection(os.dup(stdin.fileno()), readable=False)
        self._from = Connection(os.dup(stdout.fileno()), writable=False)
        # asked before every message: Connection.poll builds a selector each time (~30 us)
        self._arrivals = select.poll()
        self._arrivals.register(self._from.fileno(), select.POLLIN)
        stdin.close()
        stdout.close()
        self.ready = False
        self.done = False
        self.snapshot = 0  # the newest version in the helper's snapshot
        self.observed = 0  # and its newest observation
        self._batches: dict[int, list[Version]] = {}  # position -> the batch that follows it
        self._replays: deque[tuple] = deque()  # (version id, Prepared | None), in order
        self._found: dict[int, tuple] = {}  # last observation of a batch -> (tests, what they call)
        self.used = 0  # replays the dream took (counted by the dream)
        self._owed = 0  # credit for replays taken, not yet given back
        self.waited = 0.0  # seconds the dream spent waiting for the helper

    def take(self, version_id: int, wait: float = 0.0) -> Prepared | None:
        """The helper's replay of this version, or None: not one it could do, or it is gone,
        or it has not sent it within ``wait`` seconds."""
        if not self.ready:
            if self.done or not self._pump(block=False) or not self.ready:
                return None
        deadline = time.perf_counter() + wait
        while True:
            if not self._replays:
                if self.done:
                    return None
                self._pay()  # the helper may be waiting for it
                got = self._pump(block=wait > 0, timeout=deadline - time.perf_counter())
                if not got:
                    return None
                continue
            head = self._replays[0][0]
            if head > version_id:  # skipped: the dream had it already
                return None
            _, prepared = self._replays.popleft()
            self._owed += 1
            if self._owed >= CREDIT_EVERY:
                self._pay()
            if head == version_id:
                return prepared

    def batch(self, position: int, facts: Facts) -> list[Version] | None:
        """The batch after ``position`` as the helper read it (no observations in it), if it
        has got there and the store has no observation its snapshot lacks; else None."""
        if not self.ready:
            return None
        while not self.done and self._pump(block=False):
            pass
        versions = self._batches.pop(position, None)
        for behind in [p for p in self._batches if p < position]:  # batches the dream read itself
            del self._batches[behind]
        if versions is None:
            return None
        return versions if facts.newest_observation() == self.observed else None

    def claim(self, version_ids) -> None:
        """The dream will replay these itself (unless the helper already has): the helper
        skips them. How the dream shares the work when the helper falls behind."""
        if version_ids and not self.done:
            self._send(("mine", sorted(version_ids)))

    def looked_up(self, first: int, last: int) -> set:
        """The callee names the helper looked up for versions ``first..last`` (those it has
        sent so far), for the dream to fetch in one go."""
        while self.ready and not self.done and self._pump(block=False):
            pass
        names: set = set()
        for version_id, prepared in self._replays:
            if version_id > last:
                break
            if prepared is not None and version_id >= first:
                names.update(prepared.callers)
        return names

    def exercised(self, last: int, store, wait: float) -> tuple | None:
        """What the tests of the batch ending at observation ``last`` call (see
        tested.exercised), as the helper found it; None when it has not sent it within
        ``wait`` seconds, or it cannot be trusted: no scan may have written since the
        helper's snapshot."""
        for behind in [k for k in self._found if k < last]:  # batches the dream did itself
            del self._found[behind]
        if not self.ready or last not in self._found and self.done:
            return None
        if store.facts.newest_version() != self.snapshot:
            return None
        deadline = time.perf_counter() + wait
        while last not in self._found:
            if self.done or not self._pump(block=True, timeout=deadline - time.perf_counter()):
                return None
        return self._found.pop(last)

    def wait_ready(self, timeout: float) -> None:
        """Block until the helper has its snapshot (or is gone, or ``timeout`` passed)."""
        if not self.ready and not self.done and self._arrived(timeout):
            self._pump(block=False)
        if not self.ready:
            self.done = True

    def done_here(self, version_id: int) -> None:
        """The dream replayed this version itself: the helper need not."""
        if not self.done:
            self._send(("here", version_id))

    def fits(self, prepared: Prepared, state: State, callers: Lookup) -> bool:
        """Whether the helper's replay holds now: the file is still unknown, and the helper
        found what the dream finds in the call-site counts."""
        return not state.live and not state.verdicts and _same(callers, prepared.callers)

    def close(self) -> None:
        self.done = True
        for end in (self._to, self._from):
            end.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:  # a stopped process takes SIGTERM only once continued
                self._process.kill()
        self._process.wait()

    def _pay(self) -> None:
        """Give back the credit owed: the helper runs ahead by what it is given."""
        if self._owed:
            self._send(("credit", self._owed))
            self._owed = 0

    def _send(self, message) -> None:
        try:
            self._to.send(message)
        except OSError:  # the helper is gone
            self.done = True

    def _pump(self, block: bool, timeout: float | None = None) -> bool:
        """Read one message (waiting for it when ``block``, at most ``timeout`` seconds if
        given) and file it; False when there was none, or the helper is gone."""
        if block:
            self._pay()
        try:
            if not block and not self._arrived():
                return False
            started = time.perf_counter()
            if block and timeout is not None and not self._arrived(timeout):
                self.waited += time.perf_counter() - started
                return False
            data = self._from.recv_bytes()
            if block:
                self.waited += time.perf_counter() - started
            message = pickle.loads(data)
        except (EOFError, OSError):
            self.done = True
            return False
        if message[0] == "bundle":  # several messages the helper had queued, sent as one
            # (True when any is filed: the last may say the helper is done, after replays)
            return any([self._file(pickle.loads(each)) for each in message[1]])
        return self._file(message)

    def _arrived(self, timeout: float = 0.0) -> bool:
        """Whether the helper sent something (or is gone), waiting at most ``timeout`` s."""
        return bool(self._arrivals.poll(math.ceil(max(timeout, 0.0) * 1000)))

    def _file(self, message: tuple) -> bool:
        """File one message; False when it says the helper is done."""
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


def _same(lookup: Lookup, seen: dict) -> bool:
    found = lookup.get_many(list(seen))
    return all(found.get(key) == value for key, value in seen.items())


def start(store, position: int, bodies: GoneBodies, batch_size: int, wanted: bool | None, backlog: int) -> Ahead | None:
    """The read-ahead helper for a dream from ``position`` with ``backlog`` observations to
    read, or None (small dream, memory store, not POSIX: it speaks over inherited pipes;
    or a body was retracted before the dream, so every first look is the dream's own)."""
    if wanted is False or store.path == ":memory:" or os.name != "posix":
        return None
    # (with a body gone, the helper could replay no file; on the large tree with a folder
    # renamed it held 126 MB for 5 % of the dream's time: what the batches' tests call)
    if wanted is None and (backlog < AHEAD_AT or bodies.gone > 0):
        return None
    try:
        ahead = Ahead(store.path, position, bodies, batch_size)
    except OSError:  # no process to spare: the dream does it all
        return None
    if wanted:
        ahead.wait_ready(WAIT_READY)
    return ahead


class Share:
    """How many files at the end of each batch the dream replays itself instead of waiting
    for the helper: one more after a batch in which it waited, one fewer after one in
    which it did not. Which process replays a file never changes the facts."""

    # s per batch: at 5 ms the dream settled at waiting just under it, 2.4 s in all over the
    # large tree's 524 batches, while the helper was the busier process
    WAITED = 0.002

    def __init__(self):
        self.files = 0
        self._waited = 0.0

    def claim(self, versions: list[Version], ahead: Ahead) -> set[int]:
        if not self.files:
            return set()
        self._waited = ahead.waited
        claimed = {v.id for v in versions[-self.files :]}
        ahead.claim(claimed)
        return claimed

    def adjust(self, ahead: Ahead, files: int) -> None:
        if ahead.done:
            return
        waited, self._waited = ahead.waited - self._waited, ahead.waited
        self.files = min(self.files + 1, files) if waited > self.WAITED else max(self.files - 1, 0)


class Patience:
    """How long the dream waits for the helper's replay of a file: about twice what
    replaying a file takes the dream itself, and not at all once the helper was late, until
    it delivers again. A helper starved of CPU (it runs at a lower priority; a busy machine)
    must not hold the dream up: waiting without bound, the standard library's first dream
    took 79 s instead of 8 s with three other busy processes on the two cores. The dream
    tells the helper which files it replayed itself, and the helper skips ahead to it."""

    FIRST = 0.02  # s: before the dream has replayed a file itself
    MOST = 0.05  # s
    TESTS = 1.0  # s, for what a batch's tests call (see ReadAhead.exercised)

    def __init__(self):
        self.own = self.FIRST / 2  # the dream's own replay time per file (moving average)
        self.behind = False

    def wait(self) -> float:
        return 0.0 if self.behind else min(2 * self.own, self.MOST)

    def late(self) -> None:
        self.behind = True

    def delivered(self) -> None:
        self.behind = False

    def replayed(self, seconds: float) -> None:
        self.own += (seconds - self.own) / 8


COUNTED = [f.name for f in fields(Counts)]


class ReadAhead:
    """The replayer (see replay.py) of a dream with a helper: versions the helper replayed
    are taken when they still hold, the rest are replayed here, and the files at the end
    of each batch are taken back when the helper falls behind (:class:`Share`)."""

    def __init__(self, ahead: Ahead, facts: Facts, batch_size: int = BATCH):
        self.ahead = ahead
        self.facts = facts
        self.batch_size = batch_size
        self.share = Share()
        self.patience = Patience()

    def batch(self, position: int) -> list[Version]:
        """The next batch, as the helper read it if it got there; observations are read
        only when needed (most versions arrive replayed)."""
        return self.ahead.batch(position, self.facts) or next_batch(self.facts, position, self.batch_size, lazy=True)

    def replay(self, state: State, callers: Lookup, versions: list[Version]) -> None:
        ahead = self.ahead
        # what the helper looked up for this batch's files, as far as it got
        callers.prefetch(ahead.looked_up(versions[0].id, versions[-1].id))
        claimed = self.share.claim(versions, ahead)
        absorbed: set[str] = set()  # files whose replays are absorbed and not yet written
        for n, version in enumerate(versions):
            if not self._replay(state, callers, version, version.id in claimed, absorbed):
                # The helper is late: it is replaying this file as well, and racing it to the
                # next ones would repeat them too (the large tree's first dream replayed 1,300
                # files twice). Leave it the files after the next few instead.
                lead = {v.id for v in versions[n + 1 : n + 1 + LEAD]} - claimed
                ahead.claim(lead)
                claimed |= lead
        state.flush()
        self.share.adjust(ahead, len(versions))

    def _replay(self, state: State, callers: Lookup, version: Version, claimed: bool, absorbed: set[str]) -> bool:
        """Replay ``version``, with the helper's replay if it has one; False when it was
        waited for in vain. ``claimed``: the dream told the helper to leave this one (use
        its replay only if it is already there). ``absorbed``: the files whose replays wait to be written
        together (one write per table for a run of them, not per file: the large tree's
        files are small); written before anything may read them: a later look at one of
        those files, or a replay here (a move's search reads other files' facts)."""
        ahead = self.ahead
        prefix = prefix_of(version)
        if prefix in absorbed:
            state.flush()
            absorbed.clear()
        state.load(prefix, before=version.first)
        state.version_id = version.id
        # Wait for the helper only for what it replays: a first look at a file, with no
        # vanished body to look for (that search is the dream's own).
        first = not state.live and not state.verdicts and version.source not in NOT_LOOKS
        wait = first and not claimed and not state.bodies.any_before(version.id)
        prepared = ahead.take(version.id, wait=self.patience.wait() if wait else 0.0)
        if prepared is not None and ahead.fits(prepared, state, callers):
            state.bodies.appeared_in(version.id)  # (a first look: its symbols appear)
            _absorb(state, prepared)
            absorbed.add(prefix)
            ahead.used += 1
            self.patience.delivered()
            return True
        late = wait and prepared is None
        if late:
            self.patience.late()
        ahead.done_here(version.id)
        if absorbed:
            state.flush()
            absorbed.clear()
        started = time.perf_counter()
        rows_of(self.facts, version)
        replay(state, callers, version)
        if wait:
            self.patience.replayed(time.perf_counter() - started)
        return not late

    def exercised(self, versions: list[Version], store) -> tuple | None:
        """What the batch's tests call, as the helper found it; None (and the batch's
        observations read) when the dream must find it itself."""
        # (the helper sends it before it replays the batch: late only when it is behind)
        found = self.ahead.exercised(last_of(versions), store, 0.0 if self.patience.behind else Patience.TESTS)
        if found is None:
            for version in versions:
                rows_of(self.facts, version)
        return found

    def may_commit(self) -> bool:
        """Not before the helper has its snapshot: it must not see this dream's writes."""
        return self.ahead.ready or self.ahead.done

    def still(self, started: float, wanted: bool = True) -> ReadAhead | InProcess:
        """Itself, or the in-process replayer once a helper that has no snapshot
        ``WAIT_READY`` seconds after the dream ``started`` is left behind, or is no longer
        ``wanted`` (the dream's memory, see scheduler.py)."""
        if not wanted or (not self.ahead.ready and time.perf_counter() - started > WAIT_READY):
            self.ahead.close()
            return InProcess(self.facts, self.batch_size)
        return self

    def close(self) -> int:
        """Stop the helper; returns how many versions it replayed for the dream."""
        self.ahead.close()
        return self.ahead.used


def _absorb(state: State, prepared: Prepared) -> None:
    """Take the helper's replay in (written at the next ``state.flush``)."""
    state.absorb(prepared.runs, prepared.rows, prepared.evidence, prepared.ids, BASE)
    for name, value in zip(COUNTED, prepared.counts):
        setattr(state.counts, name, getattr(state.counts, name) + value)
    delta = state.callee_delta
    for name, n in prepared.calls.items():
        delta[name] = delta.get(name, 0) + n


def replayer(
    store, position: int, bodies: GoneBodies, batch_size: int, wanted: bool | None, backlog: int
) -> ReadAhead | InProcess:
    """The dream's replayer: with the read-ahead helper when :func:`start` starts one."""
    ahead = start(store, position, bodies, batch_size, wanted, backlog)
    if ahead is None:
        return InProcess(store.facts, batch_size)
    return ReadAhead(ahead, store.facts, batch_size)
