"""``docstring-drift``: documentation left behind by a parameter change the memory saw.

A long-standing gap in documentation is a style question for linters, not a
memory. A documented parameter is flagged when the memory saw it removed or
renamed; an undocumented one when the memory saw it added to a function whose
documentation covered every parameter before. Each diagnostic covers one line:
the stale entry, or the last entry of the parameter section for a missing one.
"""

from __future__ import annotations

import json

from kairos_lsp import docparams
from kairos_lsp.checks.binding import SELF_NAMES, parameters, receiver_dropped
from kairos_lsp.checks.model import DOCSTRING_DRIFT, CheckedFile, Fix, Problem, TextEdit
from kairos_lsp.extract import Symbol
from kairos_lsp.keys import symbol_key


def docstring_drift(file: CheckedFile) -> list[Problem]:
    out = []
    # An overloaded function's documentation speaks of all its forms: apollo-client 4's first
    # `readQuery(options)` documents the `optimistic` its deprecated second form still takes.
    forms: dict[str, list[Symbol]] = {}
    for sym in file.symbols[1:]:
        forms.setdefault(sym.qualname.partition("~")[0], []).append(sym)
    for sym in file.symbols[1:]:
        if sym.doc_span is None or not sym.parameters or sym.signature is None:
            continue
        raw = file.source[sym.doc_span[0] : sym.doc_span[1]].decode("utf-8", "replace")
        params = _documentable(sym.kind, [list(p) for p in sym.parameters], sym.signature)
        if params is None:
            continue
        drift = docparams.drift(raw, params)
        if drift is None:
            continue
        key = symbol_key(file.language, file.path, sym.qualname)
        stale, missing, when = _seen_change(file, key, sym.kind, drift)
        siblings = forms[sym.qualname.partition("~")[0]]
        if len(siblings) > 1:  # (a name another form takes is no stale one)
            taken = {name.lstrip("*") for form in siblings for name, _ in form.parameters}
            stale = [name for name in stale if name not in taken]
        if not stale and not missing:
            continue
        entries = docparams.documented(raw)
        spans = {d.name: d for d in entries[1]} if entries else {}
        why = []
        if stale:
            why.append(
                "documents "
                + ", ".join(f"`{n}`" for n in stale)
                + " which "
                + ("is no longer a parameter" if len(stale) == 1 else "are no longer parameters")
            )
        if missing:
            why.append("leaves " + ", ".join(f"`{n}`" for n in missing) + " undocumented")
        message = f"The documentation of `{sym.qualname}` {' and '.join(why)} (parameters changed {when})"
        # (no fix for a form of several: the documentation of the others is not this one's to cut)
        fix = _fix(file, sym.qualname, sym.doc_span, raw, params) if len(siblings) == 1 else None
        places = [spans[n] for n in stale if n in spans] or ([entries[1][-1]] if entries and entries[1] else [])
        for place in places:
            start = file.point(sym.doc_span[0] + len(raw[: place.start].encode()))
            end = file.point(sym.doc_span[0] + len(raw[: place.end].encode()))
            problem = Problem(DOCSTRING_DRIFT, "information", message, start, end, key)
            if fix is not None:
                problem.fixes.append(fix)
            out.append(problem)
    return out


def _documentable(kind: str, pairs: list, signature: str) -> list[str] | None:
    """Parameter names as documentation names them (``**kwargs`` keeps its stars), receiver aside."""
    params = parameters(pairs, signature)
    if params is None:
        return None
    if kind in ("method", "constructor") and params and params[0].name in SELF_NAMES:
        params = receiver_dropped(params)
    return [p.star + p.name for p in params]


def _seen_change(file: CheckedFile, key: str, kind: str, drift: docparams.Drift) -> tuple[list[str], list[str], str]:
    """The drifted names the memory saw change: removed or renamed parameters still documented,
    and parameters added to a function documented in full before; and when that was."""
    looks = [
        look
        for look in file.knowledge.looks(key, ("signature", "parameters", "docstring"))
        if "parameters" in look.values and "signature" in look.values
    ]
    if len(looks) < 2:
        return [], [], ""
    earlier = [
        (look, names)
        for look in looks
        if (names := _documentable(kind, json.loads(look.values["parameters"]), look.values["signature"])) is not None
    ]
    if len(earlier) < 2:
        return [], [], ""
    looks = [look for look, _ in earlier]
    now_names = {n.lstrip("*") for n in earlier[-1][1]}
    once = {n.lstrip("*") for _, names in earlier[:-1] for n in names}
    stale = [n for n in drift.stale if n in once and n not in now_names]
    # The last look with other parameters than now; the change is the look after it.
    found = next(
        ((look, names) for look, names in reversed(earlier[:-1]) if {n.lstrip("*") for n in names} != now_names), None
    )
    missing: list[str] = []
    if found is not None and "docstring" in found[0].values:
        before = docparams.drift(found[0].values["docstring"], found[1])
        had = {n.lstrip("*") for n in found[1]}
        if before is None or not before.missing:
            missing = [n for n in drift.missing if n not in had]
    at = looks[looks.index(found[0]) + 1] if found is not None else looks[-1]
    return stale, missing, f"on {at.at[:16].replace('T', ' ')} UTC"


def _fix(file: CheckedFile, qualname: str, span: tuple[int, int], raw: str, params: list[str]) -> Fix | None:
    fixed = docparams.fix(raw, params)
    if "\n" not in raw and "\n" in fixed:  # a one-line comment grew: indent like its first line
        line_start = file.source.rfind(b"\n", 0, span[0]) + 1
        indent = file.source[line_start : span[0]].decode("utf-8", "replace")
        if not indent.strip():
            fixed = fixed.replace("\n", "\n" + indent)
    if fixed == raw:
        return None
    start, end = file.point(span[0]), file.point(span[1])
    return Fix(f"Update the documentation of `{qualname}`", [TextEdit(start, end, fixed)], preferred=True)
