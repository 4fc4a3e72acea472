"""Diagnostics: :class:`kairos_lsp.checks.Problem` as LSP, ``source: "kairos"``.

Positions are converted against the exact text the problems were computed
on (a snapshot), so a diagnostic never points into an edit made meanwhile.
"""

from __future__ import annotations

from lsprotocol import types

from kairos_lsp.checks import DEPRECATED_SYMBOL, Problem
from kairos_lsp.documents import from_byte_col, to_byte_col
from kairos_lsp.lines import LineIndex

SOURCE = "kairos"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
_TAGS = {DEPRECATED_SYMBOL: [types.DiagnosticTag.Deprecated]}  # editors strike the name through


class Lines:
    """LSP positions for tree-sitter points in one text."""

    def __init__(self, text: bytes):
        self.text = text
        self._index = LineIndex(text)

    def line(self, row: int) -> bytes:
        return self._index.line(row) or b""

    def position(self, point: tuple[int, int], encoding: str) -> types.Position:
        row, col = point
        return types.Position(line=row, character=from_byte_col(self.line(row), col, encoding))

    def range(self, start: tuple[int, int], end: tuple[int, int], encoding: str) -> types.Range:
        return types.Range(start=self.position(start, encoding), end=self.position(end, encoding))

    def point(self, position: types.Position, encoding: str) -> tuple[int, int]:
        return position.line, to_byte_col(self.line(position.line), position.character, encoding)


def diagnostic(problem: Problem, lines: Lines, encoding: str) -> types.Diagnostic:
    return types.Diagnostic(
        range=lines.range(problem.start, problem.end, encoding),
        message=problem.message,
        severity=_SEVERITY.get(problem.severity),
        code=problem.code,
        source=SOURCE,
        tags=_TAGS.get(problem.code),
        data={"subject": problem.subject} if problem.subject else None,
    )


def diagnostics(problems: list[Problem], text: bytes, encoding: str) -> list[types.Diagnostic]:
    lines = Lines(text)
    return [diagnostic(p, lines, encoding) for p in problems]
