"""Renames and moves: a symbol that vanished and one that appeared with the same body.

Candidates are paired only when the change could be one edit: the old key
vanished after the previous look at the new key's file (or in the same look),
and the new key appeared after the previous look at the old key's file. So an
old copy of a function elsewhere is never mistaken for its new home. "After"
is in a later look, not only a later version: a scan's versions are one look
at the workspace (one time), so what a first scan met in a file read after
another's was there all along, not new. Without that, a folder deleted from
the large tree (site-packages) had each of its vanished functions paired with
a copy in a file read after its own in the first scan (530 false ``moved_to``
in the first 6 % of that dream), and asked about every such copy one by one:
the dream would have taken hours.

Evidence (independent sources, combined by noisy-OR like everything else):
``body`` the same body hash (the hash leaves out the name and whitespace),
``similar`` nearly the same body (same parameters and >= 80 % of the calls and
raises in common; only within one look at one file), ``parameters`` the same
parameter list. Exact body + same parameters is firm (0.9); a body match alone
stays tentative (0.8 but one source).

The old key gets ``renamed_to`` (same file) or ``moved_to`` (another file), the
new key ``renamed_from`` / ``moved_from``; user verdicts on insights follow
the symbol to its new key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

from kairos_lsp.dream.model import CAME_FROM, GONE_TO, Fact, Version
from kairos_lsp.dream.state import State
from kairos_lsp.keys import name_of, path_of, qualname_of

_COMPATIBLE = {"method": "callable", "function": "callable"}
SIMILAR_AT = 0.8


def _kind_class(kind: str | None) -> str | None:
    return _COMPATIBLE.get(kind, kind) if kind else None


def _values(facts: dict[str, list[Fact]] | dict, predicate: str) -> list[str]:
    return sorted(f.object for f in facts.get(predicate, []))


def _live_view(state: State, subject: str) -> dict[str, list[Fact]]:
    view: dict[str, list[Fact]] = {}
    for (predicate, _), fact in state.facts_of(subject).items():
        if fact.origin == "observed":
            view.setdefault(predicate, []).append(fact)
    return view


def _one(view: dict, predicate: str) -> Fact | None:
    facts = view.get(predicate)
    return facts[0] if facts else None


def _kind_of(view: dict) -> str | None:
    kind = _one(view, "kind")
    return kind.object if kind is not None else None


def detect(
    state: State, version: Version, born: list[str], vanished: dict[str, dict], views: dict | None = None
) -> None:
    pairs: list[tuple] = []
    if views is None:
        views = {y: _live_view(state, y) for y in born}
    for y in born:
        ny = views[y]
        for x in sorted(vanished):
            nx = vanished[x]
            if _kind_class(_kind_of(nx)) != _kind_class(_kind_of(ny)):
                continue
            why = _evidence(nx, ny)
            if why:
                score = 2 if "body" in why else 1
                same = qualname_of(x) == qualname_of(y)
                pairs.append((-score, not same, y, x, why))
    pairs.sort()
    used: set[str] = set()
    for _, _, y, x, why in pairs:
        if x in used or y in used:
            continue
        used.update((x, y))
        _link(state, version, x, y, why, _one(vanished[x], "body_hash"), _one(views[y], "body_hash"))
    rest = [y for y in born if y not in used]
    last = _LastLook(state, version)  # (read once for the file, not for each of its symbols)
    if rest:
        _find_old(state, version, rest, views, last)
    for x in sorted(vanished):
        if x not in used:
            _find_new(state, version, x, vanished[x], last)


class _LastLook:
    """The look at a version's file before it (``prev``: its version, 0 for none), when it
    was (``seen_at``), and the first version any later look can have made (``later``, None
    if none yet), each read when first needed."""

    def __init__(self, state: State, version: Version):
        self._facts, self._version = state.facts, version

    @cached_property
    def prev(self) -> int:
        return self._facts.previous_look(self._version.path, self._version.id)

    @cached_property
    def seen_at(self) -> str:
        return self._facts.look_time(self.prev)

    @cached_property
    def later(self) -> int | None:
        return self._facts.first_version_later(self.prev, self.seen_at)


def _evidence(old: dict, new: dict) -> list[str]:
    why = []
    if _values(old, "parameters") == _values(new, "parameters") and old.get("parameters"):
        why.append("parameters")
    if _values(old, "body_hash") == _values(new, "body_hash") and old.get("body_hash"):
        return ["body", *why]
    if "parameters" not in why and (old.get("parameters") or new.get("parameters")):
        return []
    a = set(_values(old, "calls")) | set(_values(old, "raises"))
    b = set(_values(new, "calls")) | set(_values(new, "raises"))
    if a and b and len(a & b) / len(a | b) >= SIMILAR_AT:
        return ["similar", *why]
    return []


def _pick(
    candidates: Iterable[str],
    subject: str,
    valid: Callable[[str], bool] = lambda c: True,
    rest: Callable[[], Iterable[str]] | None = None,
) -> str | None:
    """The valid candidate with the same qualname, else the same name, else the only one.

    Each tier holds the one before (the same qualname is the same name), so a tier is
    reached only when the one before has no valid candidate, and ``valid`` (queries) is
    asked of a candidate once, and no more once two are valid. ``rest``: the other
    candidates, read only when the same qualname decides nothing (``candidates`` then holds
    at least those of the same qualname): a function renamed with its folder has thousands
    of candidates when its body is ``pass``, and its namesake decides.

    >>> keys, asked = ["python:b.py:f", "python:c.py:g", "python:d.py:g"], []
    >>> _pick(keys, "python:a.py:f", lambda c: asked.append(c) or True), asked
    ('python:b.py:f', ['python:b.py:f'])
    >>> _pick(keys, "python:a.py:f", lambda c: c != "python:b.py:f")  # two left: no link
    >>> _pick(["python:b.py:f"], "python:a.py:f", lambda c: c != "python:b.py:f", rest=lambda: ["python:c.py:g"])
    'python:c.py:g'
    """
    candidates = sorted(set(candidates))
    asked: set[str] = set()
    for tier, test in enumerate(
        (
            lambda c: qualname_of(c) == qualname_of(subject),
            lambda c: name_of(c) == name_of(subject),
            lambda c: True,
        )
    ):
        if tier == 1 and rest is not None:
            candidates = sorted(set(candidates).union(rest()))
        fit: list[str] = []
        for c in candidates:
            if c in asked or not test(c):
                continue
            asked.add(c)
            if valid(c):
                fit.append(c)
                if len(fit) > 1:
                    return None  # ambiguous: better no link than a wrong one
        if fit:
            return fit[0]
    return None


def _find_old(state: State, version: Version, born: list[str], views: dict, last: _LastLook) -> None:
    """Keys that appeared: did their body vanish elsewhere since we last looked at this file?

    One query for all of them (a first scan makes every symbol of a file appear)."""
    wanted: dict[str, list[str]] = {}
    for y in born:
        body_fact = _one(views[y], "body_hash")
        if body_fact is not None and _one(views[y], "kind") is not None:
            wanted.setdefault(body_fact.object, []).append(y)
    if not wanted:
        return
    if not state.bodies.any_before(version.id):
        return
    facts = state.facts
    if not state.bodies.any_between(last.prev, version.id):
        return
    # (no later look retracted a body: a deleted folder brought back, its files one after
    # another, each last seen in the look that deleted them all)
    if last.later is None or not state.bodies.any_between(last.later - 1, version.id):
        return
    rows = facts.vanished_bodies(sorted(wanted), last.prev, version.id, last.seen_at)
    if not rows:
        return
    by_hash: dict[str, dict[str, int]] = {}
    for body_hash, old_key, first in sorted(rows):
        by_hash.setdefault(body_hash, {})[old_key] = first
    for body in sorted(by_hash):
        for y in sorted(wanted[body]):
            kind = _kind_of(views[y])
            assert kind is not None  # only keys with a kind are wanted
            found = {x: first for x, first in by_hash[body].items() if x != y}
            x = _pick(found, y, _gone_from(facts, kind))
            if x is None:
                continue
            why = ["body"]
            old_params = facts.last_value(x, "parameters")
            if old_params is not None and _values(views[y], "parameters") == [old_params]:
                why.append("parameters")
            _link(state, version, x, y, why, None, _one(views[y], "body_hash"), old_body_obs=found[x])


def _gone_from(facts, kind: str) -> Callable[[str], bool]:
    """Whether a vanished key can be where a new one of ``kind`` came from."""

    def gone(x: str) -> bool:
        return _kind_class(facts.last_value(x, "kind")) == _kind_class(kind) and not facts.has_live(
            x, ("kind",) + GONE_TO
        )

    return gone


def _find_new(state: State, version: Version, x: str, old: dict, last: _LastLook) -> None:
    """``x`` vanished: did its body appear elsewhere since we last looked at x's file?"""
    body, kind = _one(old, "body_hash"), _one(old, "kind")
    if body is None or kind is None:
        return
    facts = state.facts
    if last.later is None or not state.bodies.any_born(last.later, version.id):
        return  # no look since made a symbol appear (a deleted folder's files, one after another)
    prev, seen_at = last.prev, last.seen_at
    found: dict[str, int] = {}

    def appeared(qualname: str = "") -> list[str]:
        rows = facts.appeared_bodies(body.object, x, prev, version.id, seen_at, qualname)
        found.update((new_key, first) for new_key, first, _ in rows)
        return [new_key for new_key, _, _ in rows]

    def new_here(new_key: str) -> bool:
        born = facts.first_live_kind(new_key)
        if born is None or born[1] <= prev or born[3] <= seen_at or _kind_class(born[0]) != _kind_class(kind.object):
            return False
        return not facts.has_live(new_key, CAME_FROM)

    qualname = qualname_of(x)  # (a module's is "": then every candidate at once)
    y = _pick(appeared(qualname), x, new_here, rest=appeared if qualname else None)
    if y is None:
        return
    why = ["body"]
    new_params = facts.first_live_value(y, "parameters")
    if new_params is not None and _values(old, "parameters") == [new_params]:
        why.append("parameters")
    _link(state, version, x, y, why, body, None, new_body_obs=found[y])


def _link(
    state: State,
    version: Version,
    x: str,
    y: str,
    why: list[str],
    old_body: Fact | None,
    new_body: Fact | None,
    old_body_obs: int | None = None,
    new_body_obs: int | None = None,
) -> None:
    moved = path_of(x) != path_of(y)
    forward, backward = ("moved_to", "moved_from") if moved else ("renamed_to", "renamed_from")
    old_oid = old_body.first_observation if old_body else old_body_obs
    new_oid = new_body.first_observation if new_body else new_body_obs
    anchor = new_oid or old_oid or 0
    for subject, predicate, obj in ((x, forward, y), (y, backward, x)):
        local = state.live.get(subject) if _in_scope(state, subject) else None
        if local is not None and (predicate, obj) in local:
            continue
        fact = state.create(subject, predicate, obj, "link", version, anchor)
        for oid in sorted({o for o in (old_oid, new_oid) if o}):
            for source in why:
                state.link(fact, oid, source, "old" if oid == old_oid else "new")
        state.judge(fact)
        if local is not None:
            local[(predicate, obj)] = fact
    state.counts.linked += 1
    _carry_verdicts(state, version, x, y)


def _in_scope(state: State, subject: str) -> bool:
    prefix = state.prefix or ""
    return subject == prefix or subject.startswith(prefix + ":")


def _carry_verdicts(state: State, version: Version, x: str, y: str) -> None:
    """What the user said about the old key's insights holds for the new key."""
    latest = {}
    for fact_id, predicate, obj, verdict in state.facts.judged_insights(x):
        latest[(predicate, obj)] = (fact_id, verdict)
    for (predicate, obj), (fact_id, verdict) in sorted(latest.items()):
        signature = state.facts.signature(fact_id)
        if _in_scope(state, y):
            state.verdicts.setdefault(y, {})[(predicate, obj)] = (verdict, signature)
        user_obs = state.facts.last_user_observation(fact_id)
        fact = state.create(y, predicate, obj, "user" if verdict == "confirmed" else "insight", version, user_obs or 0)
        fact.verdict = verdict
        if user_obs:
            state.link(fact, user_obs, "user")
        if verdict == "rejected":
            fact.status, fact.valid_to = "retracted", version.observed_at
            # keep the evidence it was rejected with, so it is not re-promoted by the same
            for why, detail in sorted(signature):
                state.evidence_rows.append((fact.id, fact.first_observation, why, detail, 1))
        else:
            state.judge(fact)
            if _in_scope(state, y):
                state.facts_of(y)[(predicate, obj)] = fact
