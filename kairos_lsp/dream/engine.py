"""The dream loop: read what is new since the cursor, in batches, and consolidate it.

Each batch is one write transaction: it replays whole versions (one look at
one file) in observation-id order, writes the facts back, advances the cursor
and updates the dream's log row, then commits. ``should_stop`` is asked before
every batch, so a dream yields to a new edit within one batch (a few
thousand observations, well under a second); the next dream resumes at the
cursor. Cost follows the number of new observations, never the store size:
every query is an indexed lookup for the file or subject at hand.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Callable

from kairos_lsp.dream import links, merge, promote, tested
from kairos_lsp.dream.ahead import BASE, WAIT_READY, Ahead, Prepared, Share, start
from kairos_lsp.dream.lock import lock_for
from kairos_lsp.dream.model import (FACT_COLUMNS, OBSERVED_COLUMNS, OBSERVED_FROM, SINGLE_VALUED, Counts,
                                    Fact, Version)
from kairos_lsp.dream.state import GoneBodies, State
from kairos_lsp.dream.summary import Lookup, SummaryCache, cache_key, first_sentence, parameter_names, summarize
from kairos_lsp.keys import name_of
from kairos_lsp.store import Store, now

BATCH = 5000
COUNTED = [f.name for f in fields(Counts)]
COMMIT_EVERY = 3.0  # seconds: batches share one transaction up to this long (stops are still per batch;
#                    fewer commits rewrite fewer index pages: the WAL of a full stdlib dream is 95 MB, not 125)


@dataclass
class DreamReport(Counts):
    """What one dream did: its counts, plus how it ran."""

    busy: bool = False            # another process is dreaming over this store
    dream_id: int | None = None
    trigger: str = "cli"
    first_observation: int | None = None
    last_observation: int | None = None
    stopped: bool = False
    ahead: int = 0                # versions replayed by the helper process (see ahead.py)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        if self.busy:
            return "dream: busy (another process is dreaming over this store)"
        stop = ", stopped early (resumes next time)" if self.stopped else ""
        if self.ahead:
            stop = f" ({self.ahead} first looks replayed ahead){stop}"
        return (f"dream #{self.dream_id} ({self.trigger}): read {self.observations} observations, "
                f"{self.created} facts created, {self.merged} merged, {self.superseded} superseded, "
                f"{self.retracted} retracted, {self.promoted} promoted, {self.demoted} demoted, "
                f"{self.linked} renames/moves in {self.seconds * 1000:.0f} ms{stop}")


def cursor(store: Store) -> int:
    return store.db.execute("SELECT last_observation FROM dream_cursor WHERE id = 1").fetchone()[0]


def pending(store: Store) -> int:
    """How many observations the next dream would read (0: nothing to consolidate)."""
    last = store.db.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
    return max(0, last - cursor(store))


def dream(store: Store, trigger: str = "cli", should_stop: Callable[[], bool] = lambda: False,
          batch_size: int = BATCH, ahead: bool | None = None) -> DreamReport:
    """Consolidate every observation beyond the cursor into facts. See the package docstring.

    Give the dream its own :class:`Store` (connection) when other threads write.
    ``ahead``: replay first looks at files in a helper process (see ahead.py): None
    when there are at least ``AHEAD_AT`` observations to read; True always (and wait
    for the helper to start); False never. The facts are the same either way.
    """
    report = DreamReport(trigger=trigger)
    lock = lock_for(store)
    if not lock.acquire():
        report.busy = True
        return report
    try:
        _run(store, report, should_stop, batch_size, ahead)
    finally:
        lock.release()
    return report


def _run(store: Store, report: DreamReport, should_stop, batch_size: int, ahead: bool | None) -> None:
    started = time.perf_counter()
    conn = store.db.conn
    counts = Counts()
    with store._write():
        report.dream_id = conn.execute("INSERT INTO dreams (trigger, started_at) VALUES (?, ?)",
                                       (report.trigger, now())).lastrowid
    position = cursor(store)
    # No checkpoint at every commit while dreaming (each costs two fsyncs and rewrites
    # the same index pages); the commit that logs the dream checkpoints once at the end.
    autocheckpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        # the version of the last consolidated observation: no earlier retraction is newer
        row = conn.execute("SELECT version_id FROM observations WHERE id = ?", (position,)).fetchone()
        bodies = GoneBodies(row[0] if row else 0)
        _batches(store, report, counts, started, should_stop, batch_size, position, bodies,
                 start(store, position, bodies.settled, batch_size, ahead, backlog=pending(store)))
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
    with store._write():
        _log(conn, report, counts, started)
    for name, value in asdict(counts).items():
        setattr(report, name, value)
    report.seconds = time.perf_counter() - started


def _batches(store: Store, report: DreamReport, counts: Counts, started: float, should_stop,
             batch_size: int, position: int, bodies: GoneBodies, ahead: Ahead | None) -> None:
    conn = store.db.conn
    in_transaction = False
    committed_at = time.perf_counter()
    tests = tested.resolver_for(store)
    share = Share()
    try:
        while True:
            if should_stop():
                report.stopped = True
                break
            # with a helper, most versions arrive replayed: read observations only when needed
            versions = (ahead.batch(position, conn) if ahead is not None else None) or \
                _next_batch(conn, position, batch_size, lazy=ahead is not None)
            if not versions:
                break
            if not in_transaction:
                conn.execute("BEGIN IMMEDIATE")
                in_transaction, committed_at = True, time.perf_counter()
            with _no_gc():
                state = State(conn, counts, bodies)
                # summary_cache and dream_callees are written only between batches
                summaries = SummaryCache(conn)
                callers = Lookup(conn, "dream_callees", "name", "callers")
                if ahead is None:
                    _prefetch(versions, summaries, callers)
                else:  # what the helper looked up for this batch's files, as far as it got
                    keys, names = ahead.looked_up(versions[0].id, versions[-1].id)
                    summaries.prefetch(keys)
                    callers.prefetch(names)
                claimed = share.claim(versions, ahead)
                for version in versions:
                    consolidate(state, summaries, callers, version, ahead, version.id in claimed)
                share.adjust(ahead, len(versions))
                _recheck_callers(state, versions[-1])
                # per-batch hook: tested_by, across files (what tests call: found by the helper, if any)
                found = ahead.exercised(last_of(versions), store) if ahead is not None else None
                if found is None:
                    for version in versions:
                        rows_of(conn, version)
                tested.derive(store, versions, counts, tests, found)
                summaries.flush()
            last = last_of(versions)
            if report.first_observation is None:
                report.first_observation = versions[0].first
            report.last_observation = position = last
            counts.observations += sum(v.count for v in versions)
            conn.execute("UPDATE dream_cursor SET last_observation = ? WHERE id = 1", (last,))
            _log(conn, report, counts, started)
            # Batches decide what is consolidated together (and so the result); a
            # transaction only groups batches to save commits, so it never changes it.
            # (Not before the helper has its snapshot: it must not see this dream's writes.)
            if time.perf_counter() - committed_at >= COMMIT_EVERY and (ahead is None or ahead.ready or ahead.done):
                conn.execute("COMMIT")
                in_transaction = False
            if ahead is not None and not ahead.ready and time.perf_counter() - started > WAIT_READY:
                ahead.close()
                ahead = None
    except BaseException:
        if in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        if ahead is not None:
            report.ahead = ahead.used
            ahead.close()
    if in_transaction:
        conn.execute("COMMIT")


@contextmanager
def _no_gc():
    """No cyclic garbage collection during one batch: it builds ~10^5 acyclic objects
    (facts, views, rows) that reference counting frees, and the collector would scan
    them (and every long-lived object) again and again. Collection resumes between batches."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _log(conn, report: DreamReport, counts: Counts, started: float) -> None:
    conn.execute(
        "UPDATE dreams SET duration_ms = ?, first_observation = ?, last_observation = ?, "
        "observations = ?, created = ?, merged = ?, superseded = ?, retracted = ?, promoted = ?, "
        "demoted = ?, linked = ?, stopped = ? WHERE id = ?",
        (round((time.perf_counter() - started) * 1000, 1), report.first_observation,
         report.last_observation, counts.observations, counts.created, counts.merged,
         counts.superseded, counts.retracted, counts.promoted, counts.demoted, counts.linked,
         int(report.stopped), report.dream_id))


ROW = "id, subject, predicate, object, negated, version_id"


def _next_batch(conn, position: int, size: int, lazy: bool = False) -> list[Version]:
    """Whole versions whose observations start after ``position``, about ``size`` rows.
    ``lazy``: do not read their observations yet (see :func:`rows_of`)."""
    columns, vid = ("id, version_id", 1) if lazy else (ROW, 5)
    rows = conn.execute(f"SELECT {columns} FROM observations WHERE id > ? ORDER BY id LIMIT ?",
                        (position, size)).fetchall()
    if not rows:
        return []
    while True:  # never split a version: finish the last one
        more = conn.execute(f"SELECT {columns} FROM observations WHERE id > ? ORDER BY id LIMIT 500",
                            (rows[-1][0],)).fetchall()
        tail = [r for r in more if r[vid] == rows[-1][vid]]
        rows += tail
        if len(tail) < len(more) or not more:
            break
    ids = sorted({r[vid] for r in rows})
    info = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        info.update({r[0]: r for r in conn.execute(
            f"SELECT id, path, content_hash, source, observed_at FROM versions "
            f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)})
    versions: list[Version] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][vid] != rows[start][vid]:
            version = Version(*info[rows[start][vid]], first=rows[start][0], last=rows[i - 1][0],
                              count=i - start)
            if lazy:
                version.subject = conn.execute("SELECT subject FROM observations WHERE id = ?",
                                               (version.first,)).fetchone()[0]
            else:
                version.rows = rows[start:i]
                version.subject = version.rows[0][1]
            versions.append(version)
            start = i
    return versions


def rows_of(conn, version: Version) -> list:
    """A version's observations, read when first needed."""
    if version.rows is None:
        version.rows = conn.execute(f"SELECT {ROW} FROM observations WHERE id BETWEEN ? AND ? ORDER BY id",
                                    (version.first, version.last)).fetchall()
    return version.rows


def last_of(versions: list[Version]) -> int:
    return versions[-1].last


def _prefetch(versions: list[Version], summaries: SummaryCache, callers: Lookup) -> None:
    """What replaying these versions will look up, in a few queries (the rest is asked for then)."""
    bodies, docs, subjects = {}, {}, set()
    for version in versions:
        for _, subject, predicate, obj, negated, _ in version.rows:
            subjects.add(subject)
            if negated:
                continue
            if predicate == "body_hash":
                bodies[subject] = obj
            elif predicate == "docstring":
                docs[subject] = obj
    summaries.prefetch(cache_key(body, docs.get(subject)) for subject, body in bodies.items())
    callers.prefetch({name_of(subject) for subject in subjects})


def _prefix(version: Version) -> str:
    subject = version.subject
    if version.source == "user":
        parts = subject.split(":", 2)
        return ":".join(parts[:2])
    return subject.split(":", 1)[0] + ":" + version.path


def consolidate(state: State, summaries: SummaryCache, callers: Lookup, version: Version,
                ahead: Ahead | None = None, claimed: bool = False) -> None:
    """Replay one version: merge and resolve, find renames, re-derive insights and summaries.
    ``ahead``: a helper that may have replayed it already (see ahead.py); ``claimed``: the
    dream told it to leave this one (use its replay only if it is already there)."""
    state.load(_prefix(version), before=version.first)
    state.version_id = version.id
    if ahead is not None:
        # Wait for the helper only for what it replays: a first look at a file, with no
        # vanished body to look for (that search is the dream's own).
        first = not state.live and not state.verdicts and version.source != "user"
        wait = first and not claimed and not state.bodies.any_before(version.id)
        prepared = ahead.take(version.id, wait=wait)
        if prepared is not None and ahead.fits(prepared, state, summaries, callers):
            _absorb(state, summaries, prepared)
            ahead.used += 1
            return
        ahead.done_here(version.id)
    rows_of(state.conn, version)
    _replay(state, summaries, callers, version)
    if ahead is not None:  # what it stored in the summary cache, for the helper's copy
        ahead.computed(version.id, summaries.take_recent())


def _replay(state: State, summaries: SummaryCache, callers: Lookup, version: Version) -> None:
    if version.source == "user":
        merge.apply_user(state, version)
    else:
        cold = merge.apply_cold(state, version)
        if cold is not None:
            (born, views), vanished = cold, {}
        else:
            born, vanished = merge.apply_observed(state, version)
            views = None
        if born or vanished:
            if views is None:
                views = {s: _views(state, s) for s in state.live}
            links.detect(state, version, born, vanished, views)
            derive_all(state, summaries, callers, version, sorted(state.live), views=views)
            state.flush()
            return
    derive_all(state, summaries, callers, version, sorted(state.live))
    state.flush()


def _absorb(state: State, summaries: SummaryCache, prepared: Prepared) -> None:
    state.absorb(prepared.runs, prepared.rows, prepared.evidence, prepared.ids, BASE)
    for name, value in zip(COUNTED, prepared.counts):
        setattr(state.counts, name, getattr(state.counts, name) + value)
    delta = state.callee_delta
    for name, n in prepared.calls.items():
        delta[name] = delta.get(name, 0) + n
    for key, text in prepared.puts:
        summaries.fresh[key] = text
    state.flush()


def _views(state: State, subject: str) -> dict:
    view: dict[str, list] = {}
    for (predicate, _), fact in state.live.get(subject, {}).items():
        if fact.origin == "observed" or (fact.origin == "user" and predicate in SINGLE_VALUED):
            view.setdefault(predicate, []).append(fact)
    return view


def derive_all(state: State, summaries: SummaryCache, callers: Lookup, version: Version,
               subjects: list[str], views: dict | None = None) -> None:
    module = state.prefix
    if views is None:
        views = {s: _views(state, s) for s in subjects}
    module_view = views.get(module) if module in views else _views(state, module) if module else {}
    module_calls = {c.object for c in module_view.get("calls", [])}
    live = [s for s in subjects if views[s].get("kind")]
    keys = {}
    for subject in live:
        view = views[subject]
        body = view.get("body_hash")
        doc = view.get("docstring")
        if body:
            keys[subject] = cache_key(body[0].object, doc[0].object if doc else None)
    cached = summaries.get_many(list(keys.values()))
    name = {s: name_of(s) for s in live}
    names = sorted(set(name.values()))
    counts = callers.get_many(names)
    derive, reconcile = promote.derive, promote.reconcile
    for subject in live:
        view = views[subject]
        own = name[subject]
        desired = derive(subject, view, counts.get(own, 0), module_calls, own)
        reconcile(state, version, subject, desired)
        if subject in keys:
            key = keys[subject]
            text = cached.get(key)
            if text is None:
                text = _summary_for(subject, view)
                cached[key] = text
                summaries.put(key, text)
            _set_summary(state, version, subject, view, text)


def _summary_for(subject: str, view: dict) -> str:
    doc = view.get("docstring")
    docstring = doc[0].object if doc else None
    if docstring and docstring.strip():  # summarize() would use the docstring alone
        return first_sentence(docstring)

    def values(p):
        return sorted(f.object for f in view.get(p, ()))
    params = view.get("parameters")
    signature = view.get("signature")
    return summarize(view["kind"][0].object, name_of(subject),
                     parameter_names(params[0].object if params else None),
                     values("calls"), values("raises"), docstring,
                     signature[0].object if signature else None)


def _set_summary(state: State, version: Version, subject: str, view: dict, text: str) -> None:
    facts = state.facts_of(subject)
    if ("summary", text) in facts:
        return
    doc = view.get("docstring")
    source = doc[0] if doc else view["body_hash"][0]
    fact = state.create(subject, "summary", text, "summary", version, source.first_observation)
    # evidence: first_observation (a docstring or body_hash observation), implicit like observed facts
    fact.evidence_count, fact.sources = 1, {"docstring" if doc else "code"}
    # an earlier summary is a derived fact (then the subject has one) or an observed one (in the view)
    if subject in state.derived_subjects or "summary" in view:
        for old in [f for (p, _), f in facts.items() if p == "summary" and f is not fact]:
            state.supersede(old, fact, version, source.first_observation)
    facts[("summary", text)] = fact
    state.judge(fact)


def _recheck_callers(state: State, last: Version) -> None:
    """Names whose call-site count crossed WIDELY in this batch: create or retract the
    ``role widely called`` fact of the live symbols with that name, directly (the rest
    of those symbols' insights did not change)."""
    changed = state.flush_callees()
    up = sorted(n for n, before, after in changed
                if before < promote.WIDELY <= after and not n.startswith("__"))
    down = sorted(n for n, before, after in changed if after < promote.WIDELY <= before)
    value = ("role", "widely called")
    for i in range(0, len(up), 500):
        chunk = up[i:i + 500]
        marks = ','.join('?' * len(chunk))
        # the live kind facts (observed, or asserted by a user) of symbols with those names
        # that have no live or rejected 'role widely called' fact (observed or derived)
        rows = state.conn.execute(
            "SELECT key, first_observation FROM ("
            "SELECT s.key AS key, k.first_observation AS first_observation, k.id AS id FROM symbols s "
            "JOIN observations o ON o.subject = s.key AND o.predicate = 'kind' AND o.object != 'module' "
            "JOIN observed_facts k ON k.first_observation = o.id AND k.status IN ('tentative', 'firm') "
            f"WHERE s.name IN ({marks}) "
            "UNION ALL "
            "SELECT s.key, k.first_observation, k.id FROM symbols s "
            "JOIN derived_facts k ON k.subject = s.key AND k.predicate = 'kind' "
            "AND k.status IN ('tentative', 'firm') AND k.object != 'module' "
            f"WHERE s.name IN ({marks})) AS live "
            "WHERE NOT EXISTS (SELECT 1 FROM derived_facts r WHERE r.subject = live.key "
            "  AND r.predicate = 'role' AND r.object = 'widely called' AND (r.status IN ('tentative', 'firm') "
            "  OR r.verdict = 'rejected')) "
            "AND NOT EXISTS (SELECT 1 FROM observations ro JOIN observed_facts r ON r.first_observation = ro.id "
            "  WHERE ro.subject = live.key AND ro.predicate = 'role' AND ro.object = 'widely called' "
            "  AND (r.status IN ('tentative', 'firm') OR r.verdict = 'rejected')) "
            "ORDER BY key, id", chunk + chunk).fetchall()
        for subject, anchor in rows:
            fact = state.create(subject, *value, "insight", last, anchor)
            state.link(fact, anchor, "callers", f">= {promote.WIDELY} call sites")
            state.judge(fact)
    for i in range(0, len(down), 500):
        chunk = down[i:i + 500]
        marks = ','.join('?' * len(chunk))
        rows = state.conn.execute(
            f"SELECT {OBSERVED_COLUMNS} {OBSERVED_FROM} JOIN symbols s ON s.key = o.subject "
            f"WHERE s.name IN ({marks}) AND o.predicate = 'role' "
            "AND o.object = 'widely called' AND f.status IN ('tentative', 'firm') AND f.verdict IS NULL "
            f"UNION ALL SELECT {FACT_COLUMNS} FROM derived_facts f JOIN symbols s ON s.key = f.subject "
            f"WHERE s.name IN ({marks}) AND f.predicate = 'role' "
            "AND f.object = 'widely called' AND f.status IN ('tentative', 'firm') "
            "AND f.verdict IS NULL ORDER BY 1", chunk + chunk).fetchall()
        for row in rows:
            state.retract(Fact(*row), last.observed_at, None)
    state.flush()
