"""The facts of the file a dream is working on, in memory, and their write-back.

A dream loads the live facts of one file's subjects (one indexed range query),
changes them in memory while it replays that file's observations, then
writes back only what changed (a few bulk writes, see ``store.facts``). Nothing is kept between
files, so memory stays flat however large the store is.
"""

from __future__ import annotations

import bisect
import functools

from kairos_lsp.dream.model import FIRM_AT, FIRM_SOURCES, READ_FROM_CODE, Counts, Fact, Version, noisy_or
from kairos_lsp.dream.summary import Lookup
from kairos_lsp.languages import DECLARATIONS
from kairos_lsp.store.facts import Facts


class State:
    def __init__(self, facts: Facts, counts: Counts, bodies: GoneBodies | None = None, definers: Lookup | None = None):
        """``definers``: what :meth:`scopes` remembers, to share between the states of one
        dream (its batches); by default this state's own."""
        self.facts = facts  # the store's fact tables
        self.counts = counts
        self.bodies = bodies if bodies is not None else GoneBodies(0)
        self.version_id = 0  # the version being replayed
        self.next_id = facts.next_id()
        self.definers = definers if definers is not None else definers_lookup(facts)
        self.live: dict[str, dict[tuple[str, str], Fact]] = {}
        self.verdicts: dict[str, dict[tuple[str, str], tuple[str, frozenset]]] = {}
        self.prefix: str | None = None
        self.touched: dict[int, Fact] = {}
        self.evidence_rows: list[tuple] = []
        self.deactivated: list[tuple] = []
        self.callee_delta: dict[str, int] = {}
        self.runs: list[list] = []  # [first obs, last obs, first fact id, weight, valid_from]
        self.rows: list[tuple] = []  # new derived facts already as rows (see absorb)
        # subjects that have a live fact other than an observed one (origin insight, link,
        # summary or user) among the loaded facts or created since
        self.derived_subjects: set[str] = set()
        self._first_asked: int | None = None
        self._asked_read = False
        self._any_verdict: bool | None = None  # read once per State (a batch, in one transaction)

    def asked_by(self, version_id: int) -> bool:
        """Whether Claude had been asked anything by version ``version_id`` (one read per
        State, not one per file: a version's observations never change, and later ones
        have higher ids)."""
        if not self._asked_read:
            self._first_asked, self._asked_read = self.facts.first_asked(), True
        return self._first_asked is not None and self._first_asked <= version_id

    # -- loading ------------------------------------------------------------

    def load(self, prefix: str, before: int | None = None) -> None:
        """Live facts and verdicts of every subject under ``language:path``.

        ``before``: no observation from this id on has been consolidated yet (so
        none started an observed fact): the observations of the version at hand."""
        self.clear(prefix)
        lo, hi = prefix, prefix + ";"  # ';' sorts right after ':'
        limit = (1 << 62) if before is None else before
        rows = self.facts.live_between(lo, hi, limit)
        derived = []
        for row in rows:
            if not _under(row[1], prefix):
                continue
            fact = Fact(*row)
            self.live.setdefault(fact.subject, {})[(fact.predicate, fact.object)] = fact
            if fact.origin != "observed":
                fact.evidence, fact.sources = {}, set()
                derived.append(fact)
                self.derived_subjects.add(fact.subject)
        if derived:
            by_id = {f.id: f for f in derived}
            for fact_id, why, detail, oid in self.facts.live_evidence_between(lo, hi):
                found = by_id.get(fact_id)
                if found is not None:
                    assert found.evidence is not None and found.sources is not None  # set just above
                    found.evidence[(why, detail, oid)] = True
                    found.sources.add(why)
        if self._any_verdict is None:
            self._any_verdict = self.facts.any_verdict()
        if not self._any_verdict:  # a first dream's case: not a look-up per file
            return
        for subject, predicate, obj, verdict, fact_id in self.facts.verdicts_between(lo, hi, limit):
            if _under(subject, prefix):
                self.verdicts.setdefault(subject, {})[(predicate, obj)] = (verdict, self.facts.signature(fact_id))

    def clear(self, prefix: str) -> None:
        """Start on the file ``prefix`` knowing it has no facts (what :meth:`load` finds then)."""
        self.prefix = prefix
        self.live = {}
        self.verdicts = {}
        self.derived_subjects = set()

    def set_verdict(self, fact_id: int, verdict: str) -> None:
        """The dream's own verdict on a fact (a rejection): later loads must look for verdicts."""
        self.facts.set_verdict(fact_id, verdict)
        self._any_verdict = True

    def facts_of(self, subject: str) -> dict[tuple[str, str], Fact]:
        return self.live.setdefault(subject, {})

    def ensure_sources(self, fact: Fact) -> set:
        if fact.sources is None:
            fact.sources = self.facts.sources(fact.id)
            if fact.origin == "observed":  # the first observation is implicit evidence
                fact.sources.update(self.facts.source_of(fact.first_observation))
        return fact.sources

    # -- changing -----------------------------------------------------------

    def create(
        self, subject: str, predicate: str, obj: str, origin: str, version: Version, oid: int, status: str = "tentative"
    ) -> Fact:
        fact = Fact(
            self.next_id,
            subject,
            predicate,
            obj,
            origin,
            status,
            0.0,
            0,
            version.observed_at,
            first_observation=oid,
            evidence={},
            sources=set(),
            new=True,
        )
        self.next_id += 1
        self.touched[fact.id] = fact
        self.counts.created += 1
        self.derived_subjects.add(subject)
        return fact

    def link(self, fact: Fact, oid: int, why: str, detail: str = "") -> None:
        """Add one supporting observation."""
        key = (why, detail, oid)
        if fact.evidence is not None:
            if fact.evidence.get(key):
                return
            fact.evidence[key] = True
        self.ensure_sources(fact).add(why)
        fact.evidence_count += 1
        self.evidence_rows.append((fact.id, oid, why, detail))
        self.touch(fact)

    def unlink(self, fact: Fact, key: tuple) -> None:
        """Evidence that disappeared: kept, but no longer counted."""
        evidence = fact.loaded_evidence
        evidence[key] = False
        self.deactivated.append((fact.id, key[2], key[0], key[1]))
        fact.sources = {k[0] for k, on in evidence.items() if on}
        self.touch(fact)

    def ended(self, fact: Fact, oid: int) -> None:
        self.evidence_rows.append((fact.id, oid, "negated", "", 0))

    def fresh(self, fact: Fact, weight: float, when: str) -> None:
        """A new observed fact exactly as its observation says: consecutive ones are one
        ``observed_runs`` row."""
        self.next_id += 1
        run = self.runs[-1] if self.runs else None
        if (
            run
            and run[1] + 1 == fact.first_observation
            and run[2] + (run[1] - run[0]) + 1 == fact.id
            and run[3] == weight
            and run[4] == when
        ):
            run[1] = fact.first_observation
        else:
            self.runs.append([fact.first_observation, fact.first_observation, fact.id, weight, when])

    def fresh_range(self, first: int, last: int, weight: float, when: str) -> None:
        """:meth:`fresh` for observations ``first..last`` (consecutive) in one go."""
        fact_id = self.next_id
        self.next_id += last - first + 1
        run = self.runs[-1] if self.runs else None
        if (
            run
            and run[1] + 1 == first
            and run[2] + (run[1] - run[0]) + 1 == fact_id
            and run[3] == weight
            and run[4] == when
        ):
            run[1] = last
        else:
            self.runs.append([first, last, fact_id, weight, when])

    def touch(self, fact: Fact) -> None:
        self.touched[fact.id] = fact

    def supersede(self, old: Fact, new: Fact, version: Version, oid: int) -> None:
        old.status, old.valid_to, old.superseded_by, old.ended_by = "superseded", version.observed_at, new.id, oid
        self.live.get(old.subject, {}).pop((old.predicate, old.object), None)
        self.touch(old)
        self.counts.superseded += 1

    def retract(self, fact: Fact, when: str, oid: int | None) -> None:
        fact.status, fact.valid_to, fact.ended_by = "retracted", when, oid
        if oid is not None and fact.predicate == "body_hash":
            self.bodies.retracted_in(self.version_id)
        self.live.get(fact.subject, {}).pop((fact.predicate, fact.object), None)
        self.touch(fact)
        self.counts.retracted += 1

    def judge(self, fact: Fact, contradicted: bool = False, capped: bool = False) -> None:
        """Confidence by noisy-OR. What the code says (``READ_FROM_CODE``) is firm while it
        says so; an insight is firm only above FIRM_AT with >= FIRM_SOURCES sources, no
        contradiction, and no earlier rejection. A user confirmation overrides."""
        if not fact.live:
            return
        before = fact.status
        if fact.verdict == "confirmed":
            fact.confidence, fact.status = 1.0, "firm"
        elif fact.origin in READ_FROM_CODE:
            fact.confidence, fact.status = noisy_or(self.ensure_sources(fact)), "firm"
            self.touch(fact)
            return
        else:
            sources = self.ensure_sources(fact)
            fact.confidence = noisy_or(sources)
            firm = fact.confidence >= FIRM_AT and len(sources) >= FIRM_SOURCES and not contradicted and not capped
            fact.status = "firm" if firm else "tentative"
        if before != fact.status and not fact.new:
            if fact.status == "firm":
                self.counts.promoted += 1
            else:
                self.counts.demoted += 1
        elif fact.new and fact.status == "firm":
            self.counts.promoted += 1
        self.touch(fact)

    # -- writing back ---------------------------------------------------------

    def flush(self) -> None:
        facts = self.facts
        for first, last, fact_id, weight, _ in self.runs:
            # observations first..last, all new facts of one version
            facts.add_observed_run(first, last, fact_id, weight)
        self.runs = []
        inserts = self.rows
        updates: list[tuple] = []
        observed: list[tuple] = []
        self.rows = []
        for fact in self.touched.values():
            if fact.verdict:  # (a user's negation or confirmation replayed): loads must look
                self._any_verdict = True
            if fact.new:
                assert fact.origin != "observed"  # new observed facts are runs
                inserts.append(fact.row())
                fact.new = False
            else:
                (observed if fact.origin == "observed" else updates).append(
                    (
                        fact.status,
                        fact.confidence,
                        fact.evidence_count,
                        fact.valid_to,
                        fact.superseded_by,
                        fact.verdict,
                        fact.ended_by,
                        fact.first_observation if fact.origin == "observed" else fact.id,
                    )
                )
        if inserts:
            facts.add_derived(inserts)
        facts.update(observed, updates)
        if self.evidence_rows:
            facts.add_evidence([r if len(r) == 5 else (*r, 1) for r in self.evidence_rows])
        if self.deactivated:
            facts.deactivate_evidence(self.deactivated)
        self.touched, self.evidence_rows, self.deactivated = {}, [], []

    def take_new(self) -> tuple[list, list, list]:
        """What a first look at a file created, instead of writing it: (runs, derived rows,
        evidence rows). Only new facts: a first look changes none (see ahead.py)."""
        assert not any(not f.new for f in self.touched.values()) and not self.deactivated
        rows = self.rows + [f.row() for f in self.touched.values()]
        evidence = [r if len(r) == 5 else (*r, 1) for r in self.evidence_rows]
        taken = (self.runs, rows, evidence)
        self.runs, self.rows, self.touched, self.evidence_rows = [], [], {}, []
        return taken

    def absorb(self, runs: list, rows: list, evidence: list, ids: int, base: int) -> None:
        """Add what :meth:`take_new` took elsewhere, numbered from ``base``: its fact ids
        become this dream's next ``ids`` ids (rows keep their order, so nothing else changes)."""
        shift = self.next_id - base
        self.runs.extend([first, last, fact_id + shift, weight, when] for first, last, fact_id, weight, when in runs)
        for row in rows:
            row = list(row)
            row[0] += shift
            if row[10] is not None and row[10] >= base:  # superseded_by
                row[10] += shift
            self.rows.append(tuple(row))
        self.evidence_rows.extend((fact_id + shift, *rest) for fact_id, *rest in evidence)
        self.next_id += ids

    def scopes(self, names: list[str], fresh: bool = False) -> dict[str, int]:
        """How many scopes define each of ``names`` (``Facts.definers_of``, type stubs
        aside), for those some define: remembered, as scans write symbols and a dream does
        not; ``fresh``: read again, for names a look just replayed took or gave up (a scan
        that wrote meanwhile may have changed them)."""
        if fresh:
            found = self.facts.definers_of(names, skip=DECLARATIONS)
            self.definers.update({name: found.get(name, 0) for name in names})
            return found
        self.definers.prefetch(names)
        return self.definers.get_many(names)

    def flush_callees(self, callers: Lookup) -> list[tuple[str, int, int]]:
        """Apply the call-site deltas, to the store and to ``callers`` (the counts as the
        dream knows them); returns (name, before, after) for every changed name."""
        names = sorted(n for n, d in self.callee_delta.items() if d)
        before = callers.get_many(names)
        changed = [(n, before.get(n, 0), max(0, before.get(n, 0) + self.callee_delta[n])) for n in names]
        self.facts.set_callers([(n, after) for n, _, after in changed])
        callers.update({n: after for n, _, after in changed})
        self.callee_delta = {}
        return changed


def definers_lookup(facts: Facts) -> Lookup:
    """What :meth:`State.scopes` remembers, for one dream's states to share."""
    return Lookup(functools.partial(facts.definers_of, skip=DECLARATIONS))


class GoneBodies:
    """When body_hash facts were retracted by an observation (``ended_by``), as far as a
    dream needs to know: every such retraction from before the dream ended at or
    before version ``gone`` (``Facts.bodies_gone_at``; by default ``settled``, the
    cursor's version), and ``ended`` lists the versions that retracted one during the
    dream. So a search for bodies that vanished between two looks at a file can be
    skipped when no retraction falls in between (a first dream retracts nothing, and
    every file's look is its first; nor does a memory whose bodies only ever appeared).

    The other way round, ``born`` lists the versions of this dream that made symbols
    appear (so maybe new bodies): a search for where a vanished body went is skipped
    when no version it could have gone to made any (a deleted folder makes none)."""

    def __init__(self, settled: int, gone: int | None = None):
        self.settled = settled
        self.gone = settled if gone is None else min(gone, settled)
        self.ended: list[int] = []
        self.born: list[int] = []  # in replay order, which is version order

    def any_born(self, first: int, before: int) -> bool:
        """Whether a version from ``first`` to before ``before`` may have made a symbol appear.

        >>> bodies = GoneBodies(settled=10)
        >>> bodies.born += [12, 15]
        >>> bodies.any_born(9, 20), bodies.any_born(13, 15), bodies.any_born(13, 16)
        (True, False, True)
        """
        if first <= self.settled:
            return True  # (before this dream: not known here)
        at = bisect.bisect_left(self.born, first)
        return at < len(self.born) and self.born[at] < before

    def retracted_in(self, version: int) -> None:
        """A version of this dream retracted a body (versions come in order: kept sorted, once
        each; a deleted folder retracts 400,000 bodies in 17,000 versions)."""
        if not self.ended or self.ended[-1] != version:
            self.ended.append(version)

    def appeared_in(self, version: int) -> None:
        """A version of this dream made symbols appear (its replay, or the helper's)."""
        self.born.append(version)

    def any_between(self, after: int, before: int) -> bool:
        """Whether a version after ``after`` and before ``before`` may have retracted a body.

        >>> bodies = GoneBodies(settled=10)
        >>> for version in (12, 12, 15):
        ...     bodies.retracted_in(version)
        >>> bodies.ended, bodies.any_between(9, 11), bodies.any_between(12, 15), bodies.any_between(11, 13)
        ([12, 15], True, False, True)
        >>> GoneBodies(settled=10, gone=4).any_between(5, 11), GoneBodies(settled=10, gone=0).any_before(11)
        (False, False)
        """
        if after < self.gone:
            return True
        at = bisect.bisect_right(self.ended, after)
        return at < len(self.ended) and self.ended[at] < before

    def any_before(self, before: int) -> bool:
        """Whether :meth:`any_between` can be true for some ``after`` (>= 0)."""
        return self.gone > 0 or bool(self.ended and self.ended[0] < before)

    def newest(self) -> int:
        """The newest version known to have retracted a body (0: none), to keep with the cursor."""
        return max(self.gone, self.ended[-1] if self.ended else 0)


def _under(subject: str, prefix: str) -> bool:
    return subject == prefix or subject.startswith(prefix + ":")
