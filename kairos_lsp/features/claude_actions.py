"""Code actions Claude answers, only when the user opted in and picks one.

Two offers, next to the offline fixes (never instead of them):

- ``stale-call`` whose callee gained parameters: "Fill `region` (proposed by Claude)",
  a concrete argument taken from the caller's scope, where the offline fix puts
  ``region=...``;
- ``recent-failure``: "Propose a fix (Claude)", edits to the failing function.

An offer carries no edit: the server resolves it (``codeAction/resolve``) when the
user picks it, off the event loop, so nothing waits on the network before the user
asks. A proposal is a ``WorkspaceEdit`` the user still chooses to apply; when Claude
has none (offline, over budget, an answer that does not validate), the action comes
back without an edit and the reason is in the log.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from kairos_lsp.checks import Problem
from kairos_lsp.checks.model import RECENT_FAILURE, STALE_CALL
from kairos_lsp.documents import from_byte_col
from kairos_lsp.features.diagnostics import Lines, diagnostic
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.llm import CallSiteContext, Claude, FailureContext, fill_argument, propose_fix

FILL = "claude-fill"
FIX = "claude-fix"
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_IMPORTED = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s+(.+)$|^\s*import\s+.*?\bfrom\b", re.M)


def offers(
    problems: list[Problem], text: bytes, uri: str, start: tuple[int, int], end: tuple[int, int], encoding: str
) -> list[types.CodeAction]:
    """The Claude actions for the problems overlapping [start, end], unresolved (no edit)."""
    lines = Lines(text)
    actions = []
    for problem in problems:
        if problem.end < start or problem.start > end:
            continue
        shown = diagnostic(problem, lines, encoding)
        if problem.code == STALE_CALL:
            for fix in problem.fixes:
                if not fix.missing or len(fix.edits) != 1:
                    continue
                edit = fix.edits[0]
                names = ", ".join(f"`{name}`" for name in fix.missing)
                data = {
                    "kairos": FILL,
                    "uri": uri,
                    "callee": problem.subject,
                    "missing": list(fix.missing),
                    "at": list(edit.start),
                    "call": [list(problem.start), list(problem.end)],
                    "comma": edit.text.startswith(", "),
                }
                actions.append(_offer(f"Fill {names} (proposed by Claude)", shown, data))
        elif problem.code == RECENT_FAILURE and problem.subject:
            data = {"kairos": FIX, "uri": uri, "subject": problem.subject}
            actions.append(_offer("Propose a fix (Claude)", shown, data))
    return actions


def _offer(title: str, shown: types.Diagnostic, data: dict) -> types.CodeAction:
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[shown], data=data)


def is_ours(action: types.CodeAction) -> bool:
    data = action.data
    return isinstance(data, dict) and data.get("kairos") in (FILL, FIX)


def resolve(
    action: types.CodeAction,
    claude: Claude,
    knowledge: Knowledge,
    path: str,
    language: str,
    text: bytes,
    encoding: str,
    root: Path,
) -> types.CodeAction:
    """Ask Claude (the user picked the action) and give the action its edit, if any.
    ``root``: the workspace folder (a failing test's file is read from there)."""
    data: dict[str, Any] = action.data  # type: ignore[assignment]
    if data["kairos"] == FILL:
        edits = _fill(data, claude, knowledge, path, language, text, encoding)
    else:
        edits = _fix(data, claude, knowledge, path, language, text, encoding, root)
    if edits:
        action.edit = types.WorkspaceEdit(changes={data["uri"]: edits})
    return action


def _fill(
    data: dict, claude: Claude, knowledge: Knowledge, path: str, language: str, text: bytes, encoding: str
) -> list[types.TextEdit] | None:
    source = text.decode("utf-8", "replace")
    lines = Lines(text)
    (row, _), _ = data["call"]
    caller = knowledge.store.symbol_at(path, row)
    caller_source = _lines_of(source, caller) if caller else ""
    callee = knowledge.card(data["callee"]) if data.get("callee") else None
    context = CallSiteContext(
        caller=caller["key"] if caller else f"{language}:{path}",
        path=path,
        language=language,
        line=row,
        call=lines.line(row).decode("utf-8", "replace").strip(),
        callee_signature=(callee.signature if callee and callee.signature else ""),
        caller_source=caller_source,
        scope=scope_names(source, caller_source, knowledge, path),
    )
    values = []
    for name in data["missing"]:
        value = fill_argument(claude, context, name)
        if value is None:
            return None
        values.append(f"{name}={value}" if language == "python" else value)
    at = lines.position(tuple(data["at"]), encoding)
    inserted = (", " if data["comma"] else "") + ", ".join(values)
    return [types.TextEdit(range=types.Range(start=at, end=at), new_text=inserted)]


def scope_names(source: str, caller_source: str, knowledge: Knowledge, path: str) -> tuple[str, ...]:
    """Names visible at a call, as far as a memory can tell: what the enclosing function
    mentions (its parameters and locals among them), the file's top-level definitions and
    what its imports bind.

    >>> sorted(scope_names("import os\\nfrom a import b as c\\n", "def f(x):\\n    y = x", None, "m.py"))
    ['a', 'as', 'b', 'c', 'def', 'f', 'from', 'import', 'os', 'x', 'y']
    """
    names = set(_WORD.findall(caller_source))
    for match in _IMPORTED.finditer(source):
        names.update(_WORD.findall(match.group(0)))
    if knowledge is not None:
        names.update(row["name"] for row in knowledge.store.symbols_in(path) if row["qualname"].count(".") == 0)
    names.discard("")
    return tuple(sorted(names))


def _fix(
    data: dict, claude: Claude, knowledge: Knowledge, path: str, language: str, text: bytes, encoding: str, root: Path
) -> list[types.TextEdit] | None:
    source = text.decode("utf-8", "replace")
    subject = data["subject"]
    row = knowledge.store.symbol(subject)
    if row is None or row["path"] != path:
        return None
    outcome = knowledge.last_test(subject)
    crossed = knowledge.failing_through([subject]).get(subject, [])
    test_key = crossed[0][0] if crossed else subject
    failure_lines = []
    if outcome and outcome["failed"]:
        failure_lines.append(f"{test_key} failed: {outcome['detail']}")
    for test, tested, raised in crossed:
        failure_lines.append(f"{test} failed ({tested['detail']}); {raised} went through this function")
    test_source = None
    if test_key != subject:
        test_row = knowledge.store.symbol(test_key)
        if test_row is not None:
            try:
                test_text = (root / test_row["path"]).read_text()
                test_source = _lines_of(test_text, test_row)
            except OSError:
                test_source = None
    context = FailureContext(
        key=subject,
        path=path,
        language=language,
        source=_lines_of(source, row),
        start_line=row["start_line"],
        failure="\n".join(failure_lines) or "a recent test run failed",
        test_source=test_source,
    )
    proposed = propose_fix(claude, context)
    if not proposed:
        return None
    lines = Lines(text)
    out = []
    for edit in proposed:
        start, end = edit["range"]["start"], edit["range"]["end"]
        out.append(
            types.TextEdit(
                range=types.Range(
                    start=_position(lines, start["line"], start["character"], encoding),
                    end=_position(lines, end["line"], end["character"], encoding),
                ),
                new_text=edit["newText"],
            )
        )
    return out


def _position(lines: Lines, line: int, character: int, encoding: str) -> types.Position:
    """A position given in Python characters of the line, in the client's encoding."""
    data = lines.line(line)
    byte_col = len(data.decode("utf-8", "replace")[:character].encode("utf-8"))
    return types.Position(line=line, character=from_byte_col(data, byte_col, encoding))


def _lines_of(source: str, row: dict) -> str:
    return "\n".join(source.split("\n")[row["start_line"] : row["end_line"] + 1])
