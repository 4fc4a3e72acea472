"""Replaying one version (one look at one file) onto the live facts of its file:
merge and resolve, find renames and moves, re-derive insights and summaries.

The dream replays a batch through one interface, a *replayer*: :class:`InProcess`
replays every version itself; ``ahead.ReadAhead`` takes what the read-ahead
helper process replayed already and replays the rest itself. Either way a
version's facts are those :func:`replay` gives (the tests compare them)::

    versions = replayer.batch(position)         # the next batch, or []
    replayer.replay(state, callers, versions)
    found = replayer.exercised(versions, store) # what the batch's tests call, or None
    replayer = replayer.still(started)          # itself, or the in-process one
    used = replayer.close()                     # versions the helper replayed
"""

from __future__ import annotations

from typing import Protocol

from kairos_lsp.dream import links, merge, promote
from kairos_lsp.dream.batches import BATCH, next_batch, prefetch, prefix_of
from kairos_lsp.dream.model import EVENTS, LLM, SINGLE_VALUED, Version
from kairos_lsp.dream.state import State
from kairos_lsp.dream.summary import Lookup, first_sentence, parameter_names, summarize
from kairos_lsp.keys import name_of, qualname_of
from kairos_lsp.store.facts import Facts


class Replayer(Protocol):
    """How the dream replays its batches (see the module docstring)."""

    def batch(self, position: int) -> list[Version]: ...

    def replay(self, state: State, callers: Lookup, versions: list[Version]) -> None: ...

    def exercised(self, versions: list[Version], store) -> tuple | None: ...

    def may_commit(self) -> bool: ...

    def still(self, started: float, wanted: bool = True) -> Replayer: ...

    def close(self) -> int: ...


class InProcess:
    """The replayer that does all the work in this process."""

    def __init__(self, facts: Facts, batch_size: int = BATCH):
        self.facts = facts
        self.batch_size = batch_size

    def batch(self, position: int) -> list[Version]:
        """The batch after ``position`` (observations read)."""
        return next_batch(self.facts, position, self.batch_size)

    def replay(self, state: State, callers: Lookup, versions: list[Version]) -> None:
        """Replay a batch's versions in order, each onto the facts of its file."""
        prefetch(versions, callers)
        for version in versions:
            state.load(prefix_of(version), before=version.first)
            state.version_id = version.id
            replay(state, callers, version)

    def exercised(self, versions: list[Version], store) -> None:
        """What the batch's tests call, when found elsewhere: never, here (see tested.derive)."""
        return None

    def may_commit(self) -> bool:
        return True

    def still(self, started: float, wanted: bool = True) -> InProcess:
        return self

    def close(self) -> int:
        return 0


def replay(state: State, callers: Lookup, version: Version) -> None:
    """Replay one version onto the loaded facts of its file (``state.load``) and write back.
    What a run said (source ``terminal``) are events, not facts: ``dream/runs.py`` reads them.
    Claude's answers (source ``llm``) are evidence, not facts: their symbols' insights are
    re-derived with them (see :func:`derive_all`)."""
    if version.source == EVENTS:
        return
    if version.source == LLM:
        asked = {row[1] for row in version.observations}
        derive_all(state, callers, version, sorted(s for s in asked if s in state.live))
        state.flush()
        return
    if version.source == "user":
        merge.apply_user(state, version)
    else:
        vanished: dict[str, dict]
        cold = merge.apply_cold(state, version)
        if cold is not None:
            (born, views), vanished = cold, {}
        else:
            born, vanished = merge.apply_observed(state, version)
            views = None
        if born:
            state.bodies.appeared_in(version.id)
        if born or vanished:
            if views is None:
                views = {s: views_of(state, s) for s in state.live}
            links.detect(state, version, born, vanished, views)
            derive_all(state, callers, version, sorted(state.live), views=views)
            state.flush()
            return
    derive_all(state, callers, version, sorted(state.live))
    state.flush()


def views_of(state: State, subject: str) -> dict:
    """A subject's live facts that insights and summaries read, by predicate."""
    view: dict[str, list] = {}
    for (predicate, _), fact in state.live.get(subject, {}).items():
        if fact.origin == "observed" or (fact.origin == "user" and predicate in SINGLE_VALUED):
            view.setdefault(predicate, []).append(fact)
    return view


def derive_all(
    state: State,
    callers: Lookup,
    version: Version,
    subjects: list[str],
    views: dict | None = None,
) -> None:
    """Re-derive the insights and the summary of every live symbol among ``subjects``."""
    module = state.prefix
    if views is None:
        views = {s: views_of(state, s) for s in subjects}
    module_view = views[module] if module in views else views_of(state, module) if module else {}
    module_calls = {c.object for c in module_view.get("calls", [])}
    live = [s for s in subjects if views[s].get("kind")]
    name = {s: name_of(s) for s in live}
    names = sorted(set(name.values()))
    counts = callers.get_many(names)
    scopes = state.scopes([n for n in names if counts.get(n, 0) >= promote.WIDELY and n[:2] != "__"])
    llm = _llm_answers(state, version, live, views)
    derive, reconcile = promote.derive, promote.reconcile
    for subject in live:
        view = views[subject]
        own = name[subject]
        calls = promote.own_calls(subject, counts.get(own, 0), scopes.get(own))
        desired = derive(subject, view, calls, module_calls, own, llm.get(subject), _in_function(subject, views))
        reconcile(state, version, subject, desired)
        if view.get("body_hash"):
            # from the symbol's own observations, every time: a few microseconds, where a
            # cache by body took a table as large as the summaries and a lookup each
            _set_summary(state, version, subject, view, _summary_for(view))


FUNCTIONS = ("function", "method")  # the kinds a symbol defined inside one is nested in


def _in_function(subject: str, views: dict) -> bool:
    """Whether ``subject`` is defined inside a function or method (``views``: its file's).

    >>> kind = [type("Fact", (), {"object": "function"})()]
    >>> views = {"py:t.py:test_run": {"kind": kind}, "py:t.py:C": {}}
    >>> _in_function("py:t.py:test_run.main", views), _in_function("py:t.py:C.main", views)
    (True, False)
    >>> _in_function("py:t.py:main", views)
    False
    """
    if "." not in qualname_of(subject):
        return False
    kind = views.get(subject.rsplit(".", 1)[0], {}).get("kind")
    return bool(kind) and kind[0].object in FUNCTIONS


def _llm_answers(state: State, version: Version, live: list[str], views: dict) -> dict:
    """Claude's answers that count for ``live`` subjects at ``version``: recorded up to it
    (so replaying the same log gives the same facts) and about each subject's current body."""
    if not live or state.prefix is None or not state.asked_by(version.id):
        return {}
    lo, hi = state.prefix, state.prefix + ";"
    rows = [row for row in state.facts.llm_answers_between(lo, hi, version.id) if row[0] in views]
    if not rows:
        return {}
    bodies = {s: views[s]["body_hash"][0].object for s in live if views[s].get("body_hash")}
    return promote.llm_evidence(rows, bodies)


def _summary_for(view: dict) -> str:
    doc = view.get("docstring")
    docstring = doc[0].object if doc else None
    if docstring and docstring.strip():  # summarize() would use the docstring alone
        return first_sentence(docstring)

    def values(p):
        return sorted(f.object for f in view.get(p, ()))

    params = view.get("parameters")
    signature = view.get("signature")
    return summarize(
        view["kind"][0].object,
        parameter_names(params[0].object if params else None),
        values("calls"),
        values("raises"),
        docstring,
        signature[0].object if signature else None,
    )


def _set_summary(state: State, version: Version, subject: str, view: dict, text: str) -> None:
    facts = state.facts_of(subject)
    if ("summary", text) in facts:
        return
    doc = view.get("docstring")
    source = doc[0] if doc else view["body_hash"][0]
    if not text:  # nothing to say beyond the kind and signature: an offline summary said before ends
        if subject in state.derived_subjects:  # (unless the user confirmed it)
            ended = [f for (p, _), f in facts.items() if p == "summary" and f.origin == "summary" and not f.verdict]
            for old in ended:
                state.retract(old, version.observed_at, source.first_observation)
        return
    fact = state.create(subject, "summary", text, "summary", version, source.first_observation)
    # evidence: first_observation (a docstring or body_hash observation), implicit like observed facts
    fact.evidence_count, fact.sources = 1, {"docstring" if doc else "code"}
    # an earlier summary is a derived fact (then the subject has one) or an observed one (in the view)
    if subject in state.derived_subjects or "summary" in view:
        for old in [f for (p, _), f in facts.items() if p == "summary" and f is not fact]:
            state.supersede(old, fact, version, source.first_observation)
    facts[("summary", text)] = fact
    state.judge(fact)
