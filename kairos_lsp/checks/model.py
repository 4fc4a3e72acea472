"""What a check produces: problems, their fixes, and the file they are about."""

from __future__ import annotations

from dataclasses import dataclass, field

from kairos_lsp.extract import Symbol
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.lines import LineIndex

Point = tuple[int, int]  # (row, UTF-8 byte column)

STALE_CALL = "stale-call"
RENAMED_SYMBOL = "renamed-symbol"
MISSING_SYMBOL = "missing-symbol"
DOCSTRING_DRIFT = "docstring-drift"
RECENT_FAILURE = "recent-failure"
SELF_NAMES = ("self", "cls")  # a method's first parameter, not passed by its callers


@dataclass(frozen=True, slots=True)
class TextEdit:
    start: Point
    end: Point
    text: str


@dataclass(slots=True)
class Fix:
    title: str
    edits: list[TextEdit]
    preferred: bool = False


@dataclass(slots=True)
class Problem:
    code: str
    severity: str  # error | warning | information | hint
    message: str
    start: Point
    end: Point
    subject: str | None = None  # the symbol the problem is about
    fixes: list[Fix] = field(default_factory=list)


@dataclass(slots=True)
class CheckedFile:
    """What the checks share about the file they look at."""

    knowledge: Knowledge
    path: str
    language: str
    source: bytes
    symbols: list[Symbol]
    _index: LineIndex | None = field(default=None, repr=False)

    def scope(self, at: Point) -> str | None:
        """The qualified name of the innermost symbol holding ``at``."""
        inside = [s for s in self.symbols[1:] if s.start <= at <= s.end]
        return max(inside, key=lambda s: s.start).qualname if inside else None

    def point(self, offset: int) -> Point:
        if self._index is None:
            self._index = LineIndex(self.source)
        return self._index.point(offset)
