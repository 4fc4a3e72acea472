"""What the parsers return: frames, test cases, findings, raised exceptions, one report (plain data).

Everything here is stdlib-only and immutable except :class:`Report`, which a
parser fills as it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BYTES = 64 * 1024 * 1024  # a report larger than this is refused, not read
MAX_LINE = 4096  # a text line longer than this is skipped: no tool prints a finding that long


class ReportError(ValueError):
    """Malformed or hostile input; ``str(error)`` is one line meant for the user."""


@dataclass(frozen=True)
class Frame:
    """One frame of a traceback or a stack, as printed."""

    path: str  # as printed (absolute or relative)
    line: int  # 1-based
    function: str | None
    column: int | None = None  # 1-based, when the tool prints one (JS stacks)


@dataclass(frozen=True)
class TestCase:
    """One test's outcome."""

    __test__ = False  # not a pytest test class

    name: str  # test name as the tool gives it (pytest: "test_add[2-3]")
    classname: str | None  # JUnit classname (pytest: "tests.test_calc.TestCalc"; vitest: the file path)
    file: str | None  # file attribute when the tool writes one
    line: int | None  # 1-based
    outcome: str  # "passed" | "failed" | "error" | "skipped"
    duration: float | None  # seconds
    exc_type: str | None  # "AssertionError" when known
    message: str | None  # first line of the failure (or skip) message
    frames: tuple[Frame, ...] = ()  # innermost last


@dataclass(frozen=True)
class Finding:
    """A linter, compiler or type checker finding."""

    path: str
    line: int  # 1-based
    column: int | None  # 1-based
    tool: str  # "ruff", "eslint", "mypy", "tsc", "gcc", "rustc", "javac", "go", ... ("unknown" when unsure)
    rule: str | None  # "F401", "no-unused-vars", "arg-type", "TS2345", "E0308", "-Wunused-variable"
    level: str  # "error" | "warning" | "note"
    message: str  # one line


@dataclass(frozen=True)
class Raised:
    """An uncaught exception with its traceback."""

    exc_type: str
    message: str  # first line ("" when the exception has none)
    frames: tuple[Frame, ...]  # outermost first, innermost last
    # How this exception follows the Raised printed just before it: "cause" ("The above exception was
    # the direct cause..."), "context" ("During handling of the above exception..."), or None.
    chained: str | None = None


@dataclass
class Report:
    """What one report or one output said."""

    format: str  # "junit" | "sarif" | "text"
    tool: str | None
    tests: list[TestCase] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    raised: list[Raised] = field(default_factory=list)

    @property
    def failed(self) -> list[TestCase]:
        """The tests that failed or errored."""
        return [t for t in self.tests if t.outcome in ("failed", "error")]
