"""What a check produces: problems, their fixes, and the file they are about."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from kairos_lsp.extract import Symbol
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.lines import LineIndex
from kairos_lsp.sites import CallSite, Span

Point = tuple[int, int]  # (row, UTF-8 byte column)

STALE_CALL = "stale-call"
RENAMED_SYMBOL = "renamed-symbol"
MISSING_SYMBOL = "missing-symbol"
DOCSTRING_DRIFT = "docstring-drift"
RECENT_FAILURE = "recent-failure"
DEPRECATED_SYMBOL = "deprecated-symbol"
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
    missing: tuple[str, ...] = ()  # the parameters its one edit inserts placeholders for (Claude may fill them)


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
    _by_start: list[Symbol] | None = field(default=None, repr=False)
    _starts: list[Point] | None = field(default=None, repr=False)
    _kinds: dict[str, str] | None = field(default=None, repr=False)
    _named: dict[str, Symbol] | None = field(default=None, repr=False)

    def symbol(self, qualname: str) -> Symbol | None:
        """The symbol the file defines under ``qualname`` (the first of that name)."""
        if self._named is None:
            self._named = {}
            for s in self.symbols[1:]:
                self._named.setdefault(s.qualname, s)
        return self._named.get(qualname)

    def kinds(self) -> dict[str, str]:
        """Each symbol the file defines, qualified name -> kind (built once: a file's calls ask
        for every one of them)."""
        if self._kinds is None:
            self._kinds = {s.qualname: s.kind for s in self.symbols[1:]}
        return self._kinds

    def kind_of(self, key: str) -> str | None:
        """What the memory holds ``key`` (any file's symbol) to be: "function", "class", ..."""
        row = self.knowledge.store.symbol(key)
        return row["kind"] if row is not None else None

    def scope(self, at: Point) -> str | None:
        """The qualified name of the innermost symbol holding ``at`` (the one that starts last;
        of several starting there, the first)."""
        if self._by_start is None:
            self._by_start = sorted(self.symbols[1:], key=lambda s: s.start)  # stable: ties keep their order
            self._starts = [s.start for s in self._by_start]
        assert self._starts is not None
        found = None
        for i in range(bisect_right(self._starts, at) - 1, -1, -1):
            s = self._by_start[i]
            if found is not None and s.start != found.start:
                break
            if at <= s.end:
                found = s
        return found.qualname if found is not None else None

    def point(self, offset: int) -> Point:
        if self._index is None:
            self._index = LineIndex(self.source)
        return self._index.point(offset)

    def line(self, row: int) -> bytes:
        """The text of line ``row`` (0-based), without its line break."""
        if self._index is None:
            self._index = LineIndex(self.source)
        return self._index.line(row) or b""

    def keyword_span(self, call: CallSite, keyword: str) -> Span | None:
        """Where ``call`` passes ``keyword=``: the keyword's name."""
        for arg in call.arguments:
            if arg.keyword == keyword:
                end = arg.start_byte + len(keyword.encode())
                return Span(arg.start_byte, end, self.point(arg.start_byte), self.point(end))
        return None
