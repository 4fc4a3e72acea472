"""Merge and resolve: replay one version's observations onto the live facts.

Rules, applied observation by observation in id order (so the result does not
depend on where batches or dreams start and stop):

* a positive observation of a triple that already has a live fact adds an
  evidence link to it (merge); otherwise it starts a new fact, firm: what the
  code says (model.READ_FROM_CODE);
* for a single-valued predicate, a new value supersedes the live one
  (``status = superseded``, ``valid_to``, ``superseded_by``) — candidates are
  only facts of the same subject and predicate;
* a negated observation retracts the fact it negates (``valid_to``,
  ``ended_by``) unless a later observation of the same version re-asserts it;
* a subject whose ``kind`` is retracted has vanished: every fact about it is
  retracted too, except ``renamed_to`` / ``moved_to`` (where it went).
"""

from __future__ import annotations

from kairos_lsp.dream.model import GONE_TO, SINGLE_VALUED, USER, WEIGHTS, Fact, Version
from kairos_lsp.dream.state import State


def callee_name(call: str) -> str:
    return call.rsplit(".", 1)[-1].strip()


def apply_observed(state: State, version: Version) -> tuple[list[str], dict[str, dict]]:
    """Returns (born subjects, vanished subjects -> their facts just before vanishing)."""
    ending: dict[tuple[str, str, str], tuple[Fact, int]] = {}
    born: list[str] = []
    source = version.source
    counts = state.counts
    callee = state.callee_delta
    weight = WEIGHTS.get(source, 0.3)
    for oid, subject, predicate, obj, negated, _ in version.observations:
        if predicate == "calls":
            name = callee_name(obj)
            callee[name] = callee.get(name, 0) + (-1 if negated else 1)
        facts = state.facts_of(subject)
        key = (predicate, obj)
        if negated:
            fact = facts.get(key)
            if fact is not None:
                ending[(subject, predicate, obj)] = (fact, oid)
            continue
        fact = facts.get(key)
        if fact is not None:
            ending.pop((subject, predicate, obj), None)
            state.link(fact, oid, source)
            counts.merged += 1
            state.judge(fact)
            continue
        # A new observed fact: its first observation is its evidence (``first_observation``;
        # no evidence row needed), at that source's weight; firm: it is what the code says.
        fact = Fact(
            state.next_id,
            subject,
            predicate,
            obj,
            "observed",
            "firm",
            weight,
            1,
            version.observed_at,
            first_observation=oid,
            sources={source},
        )
        state.fresh(fact, weight, version.observed_at)
        counts.created += 1
        replaced = False
        if predicate in SINGLE_VALUED:
            for old in [f for (p, _), f in facts.items() if p == predicate]:
                state.supersede(old, fact, version, oid)
                ending.pop((subject, predicate, old.object), None)
                replaced = True
        facts[key] = fact
        if predicate == "kind" and not replaced:
            born.append(subject)
    ended: dict[str, dict[str, list[Fact]]] = {}
    gone: list[str] = []
    for (subject, predicate, _obj), (fact, oid) in sorted(ending.items()):
        if not fact.live:
            continue
        state.ended(fact, oid)
        state.retract(fact, version.observed_at, oid)
        ended.setdefault(subject, {}).setdefault(predicate, []).append(fact)
        if predicate == "kind":
            gone.append(subject)
    vanished: dict[str, dict] = {}
    for subject in sorted(gone):
        snapshot = ended.get(subject, {})
        for fact in sorted(state.facts_of(subject).values(), key=lambda f: f.id):
            if fact.predicate in GONE_TO:
                continue
            if fact.origin == "observed":
                snapshot.setdefault(fact.predicate, []).append(fact)
            state.retract(fact, version.observed_at, None)
        vanished[subject] = snapshot
    for subject in born:
        for fact in sorted(state.facts_of(subject).values(), key=lambda f: f.id):
            if fact.predicate in GONE_TO:  # it exists again
                state.retract(fact, version.observed_at, None)
    return sorted(born), vanished


def apply_cold(state: State, version: Version) -> tuple[list[str], dict] | None:
    """The first look at a file (no live facts under it): every observation starts a fact.

    The same facts, ids and counts as :func:`apply_observed`, without its per-row
    bookkeeping, when nothing is negated, no triple repeats, no subject has two
    values of a single-valued predicate and no link predicate shows up. Returns
    (born subjects, their views: subject -> predicate -> [facts]), or None when
    the version does not qualify (the caller takes the general path).
    """
    rows = version.rows
    if state.live or not rows or rows[-1][0] - rows[0][0] != len(rows) - 1:
        return None
    source = version.source
    weight = WEIGHTS.get(source, 0.3)
    when = version.observed_at
    shift = state.next_id - rows[0][0]
    live: dict[str, dict] = {}
    views: dict[str, dict] = {}
    born: list[str] = []
    calls: dict[str, int] = {}
    single, gone_to = SINGLE_VALUED, GONE_TO
    for oid, subject, predicate, obj, negated, _ in rows:
        if negated or predicate in gone_to:
            return None
        facts = live.get(subject)
        if facts is None:
            facts = live[subject] = {}
            view = views[subject] = {}
        else:
            view = views[subject]
        key = (predicate, obj)
        same = view.get(predicate)
        if key in facts or (same is not None and predicate in single):
            return None
        fact = FirstLook(oid + shift, subject, predicate, obj, weight, when, oid)
        facts[key] = fact
        if same is None:
            view[predicate] = [fact]
        else:
            same.append(fact)
        if predicate == "calls":
            name = callee_name(obj)
            calls[name] = calls.get(name, 0) + 1
        elif predicate == "kind":
            born.append(subject)
    state.live = live
    callee = state.callee_delta
    for name, n in calls.items():
        callee[name] = callee.get(name, 0) + n
    state.fresh_range(rows[0][0], rows[-1][0], weight, when)
    state.counts.created += len(rows)
    return sorted(born), views


class FirstLook(Fact):
    """An observed fact as a first look creates it (there are hundreds of thousands in a
    first dream): it stores only what varies; the rest are a new observed fact's constants,
    read-only (nothing in a first look changes them; a later look reads the fact back from
    the store as a plain :class:`Fact`). Its sources are not loaded (see State.ensure_sources)."""

    __slots__ = ()
    origin = "observed"
    status = "firm"
    evidence_count = 1
    valid_to = superseded_by = verdict = ended_by = evidence = sources = None
    new = dirty = False

    def __init__(
        self,
        id: int,
        subject: str,
        predicate: str,
        obj: str,
        confidence: float,
        valid_from: str,
        first_observation: int,
    ):
        self.id, self.subject, self.predicate, self.object = id, subject, predicate, obj
        self.confidence, self.valid_from, self.first_observation = confidence, valid_from, first_observation


def apply_user(state: State, version: Version) -> None:
    """Verdicts: a positive ``user`` observation confirms, a negated one rejects.

    A confirmed fact is firm whatever its evidence; a rejected one is retracted
    and remembered with the evidence it had, so the same evidence never brings
    it back (see promote.reconcile).
    """
    for oid, subject, predicate, obj, negated, _ in version.observations:
        facts = state.facts_of(subject)
        fact = facts.get((predicate, obj))
        exists = any(p == "kind" for p, _ in facts)
        if negated:
            if fact is not None:
                signature = _signature_of(state, fact)
                fact.verdict = "rejected"
                state.link(fact, oid, USER)
                state.retract(fact, version.observed_at, oid)
            else:
                old = state.facts.latest_id(subject, predicate, obj)
                signature = state.facts.signature(old) if old else frozenset()
                if old:
                    state.set_verdict(old, "rejected")
                    state.evidence_rows.append((old, oid, USER, ""))
            state.verdicts.setdefault(subject, {})[(predicate, obj)] = ("rejected", signature)
            continue
        if not exists:
            continue  # nothing to confirm about a symbol that does not exist
        if fact is None:
            fact = state.create(subject, predicate, obj, "user", version, oid)
            if predicate in SINGLE_VALUED:
                for replaced in [f for (p, _), f in facts.items() if p == predicate]:
                    state.supersede(replaced, fact, version, oid)
            facts[(predicate, obj)] = fact
        fact.verdict = "confirmed"
        state.link(fact, oid, USER)
        state.judge(fact)
        state.verdicts.setdefault(subject, {})[(predicate, obj)] = ("confirmed", frozenset())


def _signature_of(state: State, fact: Fact) -> frozenset:
    if fact.evidence is not None:
        return frozenset(
            (why, detail) for (why, detail, _), on in fact.evidence.items() if on and why not in (USER, "negated")
        )
    return state.facts.signature(fact.id)
