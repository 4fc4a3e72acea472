"""Code actions: the fixes of kairos problems, and confirm / reject for facts.

Nothing is applied here: each fix is a ``WorkspaceEdit`` the user may choose;
a verdict is a command the editor runs when the user picks it.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from kairos_lsp.checks import Problem
from kairos_lsp.documents import Document
from kairos_lsp.features.diagnostics import Lines, diagnostic
from kairos_lsp.keys import qualname_of
from kairos_lsp.knowledge import Knowledge

FACT_KIND = "source.kairos.fact"  # a custom kind, advertised by the server
VERDICT_PREDICATES = ("may_handle", "pure", "role", "summary", "tested_by")
MAX_FACTS = 6  # facts offered for a verdict at one position
_LABELS = {"may_handle": "handles", "pure": "is pure", "role": "role", "summary": "summary", "tested_by": "tested by"}


def code_actions(
    knowledge: Knowledge,
    doc: Document,
    text: bytes,
    problems: list[Problem],
    where: types.Range,
    only: Sequence[str] | None = None,
    encoding: str = "utf-16",
) -> list[types.CodeAction]:
    """Every action for an LSP range of ``doc``: the fixes of ``problems`` (found in ``text``, the
    document as they were computed on) that overlap it, then ``Confirm`` / ``Reject`` for the facts
    about the symbol at its start; ``only`` keeps the kinds the client asked for."""
    lines = Lines(text)
    start = lines.point(where.start, encoding)
    end = lines.point(where.end, encoding)
    wanted = [_kind(k) for k in only or ()]
    actions = fixes(problems, text, doc.uri, start, end, encoding)
    if not wanted or any(FACT_KIND.startswith(k) for k in wanted):
        actions += verdicts(knowledge, doc.path, start, lines.line(start[0]))
    if wanted:
        actions = [a for a in actions if any(_kind(a.kind).startswith(k) for k in wanted)]
    return actions


def _kind(kind) -> str:
    """A kind as the protocol spells it (``str()`` of an lsprotocol enum is its Python name)."""
    return str(getattr(kind, "value", kind))


def fixes(
    problems: list[Problem], text: bytes, uri: str, start: tuple[int, int], end: tuple[int, int], encoding: str
) -> list[types.CodeAction]:
    """Quick fixes of the problems that overlap the byte-point range [start, end]."""
    lines = Lines(text)
    actions = []
    for problem in problems:
        if problem.end < start or problem.start > end or not problem.fixes:
            continue
        shown = diagnostic(problem, lines, encoding)
        for fix in problem.fixes:
            edits = [types.TextEdit(range=lines.range(e.start, e.end, encoding), new_text=e.text) for e in fix.edits]
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    is_preferred=fix.preferred or None,
                    edit=types.WorkspaceEdit(changes={uri: edits}),
                )
            )
    return actions


def verdicts(knowledge: Knowledge, path: str, point: tuple[int, int], line_text: bytes) -> list[types.CodeAction]:
    """``Confirm`` / ``Reject`` for what the memory believes about the symbol under the cursor."""
    row = knowledge.symbol_at(path, point[0], point[1], line_text)
    if row is None:
        row = knowledge.store.symbol_at(path, point[0], point[1])
    if row is None:
        return []
    actions = []
    facts = [
        f
        for f in knowledge.live_facts(row["key"])
        if f["predicate"] in VERDICT_PREDICATES and f["verdict"] != "confirmed"
    ]
    # What the code does first, then the tests; a menu, not a list of every test.
    facts.sort(key=lambda f: (VERDICT_PREDICATES.index(f["predicate"]), f["status"] == "firm", f["id"]))
    for fact in facts[:MAX_FACTS]:
        label = _label(row["qualname"] or row["path"], fact)
        if fact["status"] != "firm":
            actions.append(_command(f"Confirm: {label}", "kairos.confirmFact", fact["id"]))
        actions.append(_command(f"Reject: {label}", "kairos.rejectFact", fact["id"]))
    return actions


def _label(name: str, fact: dict) -> str:
    value = fact["object"]
    if value.count(":") >= 2:  # a symbol key: its qualified name says enough
        value = qualname_of(value)
    value = "" if value == "true" else " " + (value if len(value) <= 60 else value[:59] + "…")
    status = "" if fact["status"] == "firm" else f" ({fact['status']}, {fact['confidence']:.2f})"
    return f"`{name}` {_LABELS.get(fact['predicate'], fact['predicate'])}{value}{status}"


def _command(title: str, command: str, fact_id: int) -> types.CodeAction:
    return types.CodeAction(
        title=title, kind=FACT_KIND, command=types.Command(title=title, command=command, arguments=[fact_id])
    )
