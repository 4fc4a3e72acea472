"""The dream loop: read what is new since the cursor, in batches, and consolidate it.

Each batch replays whole versions (one look at one file) in observation-id
order through the dream's replayer (replay.py: in this process, or with the
read-ahead helper of ahead.py), writes the facts back, advances the cursor and
updates the dream's log row. Batches share a write transaction for up to
``COMMIT_EVERY`` seconds. ``should_stop`` is asked before every batch, so a
dream yields to a new edit within one batch (a few thousand observations, well
under a second); the next dream resumes at the cursor. Cost follows the number
of new observations, never the store size: every query is an indexed lookup
for the file or subject at hand.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

from kairos_lsp import quiet_gc
from kairos_lsp.config import Settings
from kairos_lsp.dream import ahead as read_ahead
from kairos_lsp.dream import claude, promote, rederive, runs, tested
from kairos_lsp.dream.batches import BATCH, last_of, rows_of
from kairos_lsp.dream.lock import lock_for
from kairos_lsp.dream.model import NOT_LOOKS, Counts, Fact, Version
from kairos_lsp.dream.replay import Replayer
from kairos_lsp.dream.state import GoneBodies, State, definers_lookup
from kairos_lsp.dream.summary import Lookup
from kairos_lsp.keys import name_of, path_of
from kairos_lsp.languages import declares_only
from kairos_lsp.store import Store, now

DREAM_CACHE_KIB = 16384  # SQLite's page cache while dreaming: a quarter of a process's budget at 64 MiB
COMMIT_EVERY = 3.0  # seconds: batches share one transaction up to this long (stops are still per batch;
#                    fewer commits rewrite fewer index pages: the WAL of a full stdlib dream is 95 MB, not 125)
YOUNG_EVERY = 32  # batches between two collections of the young generations (see _batches)


@dataclass
class DreamReport(Counts):
    """What one dream did: its counts, plus how it ran."""

    busy: bool = False  # another process is dreaming over this store
    dream_id: int | None = None
    trigger: str = "cli"
    first_observation: int | None = None
    last_observation: int | None = None
    stopped: bool = False
    ahead: int = 0  # versions replayed by the helper process (see ahead.py)
    seconds: float = 0.0
    claude_summaries: int = 0  # opted in: summaries Claude wrote in this dream (see claude.py)
    claude_insights: int = 0  # ... symbols whose insights it gave (recorded as llm observations)
    claude_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # lines for the log ("warning: ...")

    def as_dict(self) -> dict:
        return asdict(self)

    def then(self, later: DreamReport) -> DreamReport:
        """This dream and the one that resumed it, as one report (a dream the server's worker
        ran in parts, see scheduler.py): counts and times added, the later one's end.

        >>> first = DreamReport(observations=5, created=3, first_observation=1, last_observation=5, stopped=True)
        >>> both = first.then(DreamReport(observations=2, created=1, first_observation=6, last_observation=7))
        >>> (both.observations, both.created, both.first_observation, both.last_observation, both.stopped)
        (7, 4, 1, 7, False)
        """
        joined = DreamReport(**{name: getattr(self, name) + getattr(later, name) for name in _ADDED})
        joined.busy, joined.dream_id, joined.trigger = later.busy, later.dream_id or self.dream_id, self.trigger
        joined.first_observation = self.first_observation or later.first_observation
        joined.last_observation = later.last_observation or self.last_observation
        joined.stopped = later.stopped
        joined.notes = self.notes + later.notes
        return joined

    def line(self) -> str:
        if self.busy:
            return "dream: busy (another process is dreaming over this store)"
        stop = ", stopped early (resumes next time)" if self.stopped else ""
        if self.ahead:
            stop = f" ({self.ahead} first looks replayed ahead){stop}"
        if self.claude_summaries or self.claude_insights:
            stop = (
                f"; Claude: {self.claude_summaries} summaries, insights on {self.claude_insights} symbols "
                f"in {self.claude_seconds * 1000:.0f} ms{stop}"
            )
        return (
            f"dream #{self.dream_id} ({self.trigger}): read {self.observations} observations, "
            f"{self.created} facts created, {self.merged} merged, {self.superseded} superseded, "
            f"{self.retracted} retracted, {self.promoted} promoted, {self.demoted} demoted, "
            f"{self.linked} renames/moves in {self.seconds * 1000:.0f} ms{stop}"
        )


_ADDED = [*asdict(Counts()), "ahead", "seconds", "claude_summaries", "claude_insights", "claude_seconds"]


def cursor(store: Store) -> int:
    return store.facts.cursor()


def pending(store: Store) -> int:
    """How many observations the next dream would read (0: nothing to consolidate)."""
    return max(0, store.facts.newest_observation() - cursor(store))


# The to-dos a migration leaves the next dream (see _batches), besides observations.
MIGRATION_MARKS = (tested.REDERIVE, promote.STUBS_NOT_PURE, rederive.MARK)


def due(store: Store) -> bool:
    """Whether a dream has anything to do: observations to consolidate, or a to-do a
    migration left (which an idle server or daemon would otherwise leave to the next edit)."""
    return pending(store) > 0 or any(store.facts.has_mark(mark) for mark in MIGRATION_MARKS)


def dream(
    store: Store,
    trigger: str = "cli",
    should_stop: Callable[[], bool] = lambda: False,
    batch_size: int = BATCH,
    ahead: bool | None = None,
    llm: Settings | None = None,
    root: str | Path | None = None,
    env: dict[str, str] | None = None,
    keep_helper: Callable[[], bool] = lambda: True,
) -> DreamReport:
    """Consolidate every observation beyond the cursor into facts. See the package docstring.

    Give the dream its own :class:`Store` (connection) when other threads write.
    ``ahead``: replay first looks at files in a helper process (see ahead.py): None
    when there are at least ``AHEAD_AT`` observations to read; True always (and wait
    for the helper to start); False never. The facts are the same either way.
    ``keep_helper`` is asked after every batch: False ends the helper, the dream goes on alone.
    ``llm``: the settings, when ``llm.provider`` is ``"anthropic"`` (and
    ``ANTHROPIC_API_KEY`` is set in ``env``, default ``os.environ``): after consolidating,
    ask Claude about the most wanted symbols (claude.py; ``root``: the workspace, by
    default the folder holding ``.kairos/``), and consolidate its answers too.
    """
    report = DreamReport(trigger=trigger)
    lock = lock_for(store)
    if not lock.acquire():
        report.busy = True
        return report
    try:
        consult = None
        if claude.opted_in(llm):
            assert llm is not None

            def consult(stop) -> bool:
                done = claude.consult(store, llm, stop, root, env=env)
                report.claude_summaries, report.claude_insights = done.summaries, done.insights
                report.claude_seconds, report.notes = done.seconds, done.notes
                if done.stopped:
                    report.stopped = True
                return done.observations > 0

        _run(store, report, should_stop, batch_size, ahead, consult, keep_helper)
    finally:
        lock.release()
    return report


def _run(
    store: Store,
    report: DreamReport,
    should_stop,
    batch_size: int,
    ahead: bool | None,
    consult=None,
    keep_helper: Callable[[], bool] = lambda: True,
) -> None:
    started = time.perf_counter()
    facts = store.facts
    counts = Counts()
    with store.transaction():
        report.dream_id = facts.start_dream(report.trigger, now())
    _consolidate(store, report, counts, started, should_stop, batch_size, ahead, keep_helper)
    # Claude (opted in), outside the dream's write transactions; what it said is input
    # like any observation: consolidated right away, unless the dream was told to stop.
    if consult is not None and not report.stopped and consult(should_stop) and not report.stopped:
        _consolidate(store, report, counts, started, should_stop, batch_size, False)
    with store.transaction():
        _log(store, report, counts, started)
    for name, value in asdict(counts).items():
        setattr(report, name, value)
    report.seconds = time.perf_counter() - started


def _consolidate(
    store: Store,
    report: DreamReport,
    counts: Counts,
    started: float,
    should_stop,
    batch_size: int,
    ahead,
    keep_helper: Callable[[], bool] = lambda: True,
) -> None:
    facts = store.facts
    position = cursor(store)
    # No checkpoint at every commit while dreaming (one at the end), and SQLite's page
    # cache at DREAM_CACHE_KIB, not the smaller one the store opens with (see Store.bulk_writes).
    with store.no_autocheckpoint(), store.bulk_writes(DREAM_CACHE_KIB, checkpoint_pages=0):
        # the version of the last consolidated observation (no symbol born before it is known
        # here), and the newest version before the dream that retracted a body
        bodies = GoneBodies(facts.version_of(position) or 0, facts.bodies_gone_at())
        replayer = read_ahead.replayer(store, position, bodies, batch_size, ahead, backlog=pending(store))
        try:
            _batches(store, report, counts, started, should_stop, position, bodies, replayer, keep_helper)
        finally:
            facts.forget_kept_bodies()


def _batches(
    store: Store,
    report: DreamReport,
    counts: Counts,
    started: float,
    should_stop,
    position: int,
    bodies: GoneBodies,
    replayer: Replayer,
    keep_helper: Callable[[], bool] = lambda: True,
) -> None:
    facts = store.facts
    committed_at = time.perf_counter()
    assert report.dream_id is not None  # _run starts the dream's log row first
    tests = tested.Derivations(store, report.dream_id)
    # Call-site counts, read once each and kept all dream long: the dream is the table's
    # only writer meanwhile (it holds the dream lock), and writes it through flush_callees,
    # which keeps this up to date. An empty table (a first dream): nothing to read at all.
    callers = Lookup(facts.callers_of)
    callers.complete = not facts.has_callers()
    fresh_until = facts.newest_version() if position == 0 else 0  # a memory's first dream: see _recheck_callers
    definers = definers_lookup(facts)  # (State.scopes)
    with store.transactions() as transaction:
        try:
            if facts.has_mark(tested.REDERIVE):  # left by a migration: a memory from before
                transaction.begin()
                for _ in tested.rederive_all(store, counts, tests, now()):
                    transaction.commit()
                    transaction.begin()
                facts.take_mark(tested.REDERIVE)  # with the last chunk: a kill before means again
            if facts.has_mark(promote.STUBS_NOT_PURE):  # migration 32's: a change of the rules too
                transaction.begin()
                if not facts.has_mark(rederive.MARK):
                    facts.set_mark(rederive.MARK, "")
                facts.take_mark(promote.STUBS_NOT_PURE)
            if facts.has_mark(rederive.MARK):  # left by a migration: the rules of insights changed
                transaction.begin()
                for _ in rederive.rederive(facts, counts, callers, now()):
                    transaction.commit()
                    if should_stop():  # (an edit in the server): the next dream goes on from the mark
                        report.stopped = True
                        return
                    transaction.begin()
            batches = 0
            # No automatic cyclic collection while dreaming: each batch builds ~10^5 acyclic
            # objects (facts, views, rows) that reference counting frees, and a full collection
            # looks at everything the dream keeps (the resolver's files, the call-site counts):
            # on the large tree, 40 of them took 1.6 s, 7.4 times the standard library's 0.21 s.
            # A dream makes hardly any cycles (a full collection after a first dream on either
            # tree found none), so every YOUNG_EVERY batches it collects the young generations
            # only (what those batches made); a full collection waits until after the dream. (A
            # young collection after every batch cost 1 s on the large tree: it looks at the
            # batch's rows, still alive then.)
            with quiet_gc.paused():
                while True:
                    if should_stop():
                        report.stopped = True
                        break
                    versions = replayer.batch(position)
                    if not versions:
                        break
                    if transaction.begin():
                        committed_at = time.perf_counter()
                    state = State(facts, counts, bodies, definers)
                    replayer.replay(state, callers, versions)
                    _recheck_callers(state, callers, versions, fresh_until)
                    # per-batch hook: tested_by, across files (what tests call: found by the helper, if any)
                    tested.derive(store, versions, counts, tests, replayer.exercised(versions, store))
                    runs.derive(store, versions, counts)
                    last = last_of(versions)
                    if report.first_observation is None:
                        report.first_observation = versions[0].first
                    report.last_observation = position = last
                    counts.observations += sum(v.count for v in versions)
                    facts.set_cursor(last, bodies.newest())
                    _log(store, report, counts, started)
                    # Batches decide what is consolidated together (and so the result); a
                    # transaction only groups batches to save commits, so it never changes it.
                    if time.perf_counter() - committed_at >= COMMIT_EVERY and replayer.may_commit():
                        transaction.commit()
                    following = replayer.still(started, keep_helper())
                    if following is not replayer:  # the helper left behind: what it replayed counts
                        report.ahead += replayer.close()
                        replayer = following
                    batches += 1
                    if batches % YOUNG_EVERY == 0:
                        gc.collect(1)  # cycles among what the last batches made (see above)
        finally:
            report.ahead += replayer.close()


def _log(store: Store, report: DreamReport, counts: Counts, started: float) -> None:
    assert report.dream_id is not None  # _run starts the dream's log row first
    store.facts.log_dream(
        report.dream_id,
        round((time.perf_counter() - started) * 1000, 1),
        report.first_observation,
        report.last_observation,
        astuple(counts),
        report.stopped,
    )


def _recheck_callers(state: State, callers: Lookup, versions: list[Version], fresh_until: int) -> None:
    """Create or retract the ``role widely called`` fact of the live symbols named so,
    directly (the rest of their insights did not change), for the names whose call-site
    count crossed WIDELY in this batch, and for those a symbol of the batch's looks took or
    gave up, so that one scope more or less defines them (see ``promote.own_calls``). Not
    the latter for looks up to the version ``fresh_until``: written before a memory's
    first dream began, which derives every file with the symbols as they are now (a look
    a scan writes meanwhile may change them for files derived before). A name's
    redefinitions (``f~2``, see ``keys.name_of``) count as that name, as when their file
    is replayed."""
    changed = state.flush_callees(callers)
    widely = promote.WIDELY
    crossed_up = {n for n, before, after in changed if before < widely <= after}
    crossed_down = {n for n, before, after in changed if after < widely <= before}
    defined = {
        name_of(row[1])
        for version in versions
        if version.id > fresh_until and version.source not in NOT_LOOKS
        for row in rows_of(state.facts, version)
        if row[2] == "kind" and row[3] != "module"
    }
    counts = callers.get_many(sorted(defined))
    defined = {n for n in defined if counts.get(n, 0) >= widely}  # (below it, none holds it)
    wanted = sorted(n for n in crossed_up | defined if n[:2] != "__")
    scopes = state.scopes(wanted, fresh=bool(defined))
    sole = [n for n in wanted if scopes.get(n) == 1]
    shared = sorted(crossed_down | defined.difference(sole))  # (a name that just crossed up holds none)
    up = sorted({*sole, *state.facts.redefinitions(sole)})
    down = sorted({*shared, *state.facts.redefinitions(shared)})
    value = ("role", "widely called")
    for i in range(0, len(up), 500):
        # the live kind facts (observed, or asserted by a user) of symbols with those names
        # that have no live or rejected 'role widely called' fact (observed or derived)
        for subject, anchor in state.facts.without_widely_called(up[i : i + 500]):
            if not declares_only(path_of(subject)):  # (a type stub's: see promote.own_calls)
                fact = state.create(subject, *value, "insight", versions[-1], anchor)
                state.link(fact, anchor, "callers", f">= {promote.WIDELY} call sites")
                state.judge(fact)
    for i in range(0, len(down), 500):
        for row in state.facts.widely_called(down[i : i + 500]):
            state.retract(Fact(*row), versions[-1].observed_at, None)
    state.flush()
