"""What a run said, mapped onto symbols and recorded in the memory.

The parsers in ``terminal/`` read what tools printed or wrote (JUnit XML,
SARIF, tracebacks, ``path:line:col`` lines); this module finds the symbols
they speak of and records, through the Store, one run's worth of:

``test_failed`` / ``test_passed``  on each test, its detail ``AssertionError at tests/test_calc.py:5: assert 4 == 5``
``raised``                         on each project function a traceback crosses: ``ZeroDivisionError: division by zero``
``failed_in``                      on those functions, naming the failing test (``recent-failure`` marks them)
``lint``                           on the symbol a finding points into: ``ruff F401 (line 3): `os` imported but unused``

Frames and findings outside the workspace (the standard library,
site-packages) are left out: they are not the user's code.

>>> store = Store(":memory:")                                  # doctest: +SKIP
>>> report = terminal.read_report("report.xml")                 # doctest: +SKIP
>>> record(store, Path("."), report, run=store.start_run("pytest", "."))   # doctest: +SKIP
Ingested(tests=3, failed=1, raised=2, findings=0)
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kairos_lsp import terminal
from kairos_lsp.config import DEFAULT_MAX_FILE_BYTES
from kairos_lsp.keys import TEST_FILE, symbol_key
from kairos_lsp.languages import language_for_path
from kairos_lsp.observe import FileObservation, observe_file
from kairos_lsp.scan import iter_source_files
from kairos_lsp.store import Store
from kairos_lsp.terminal import Finding, Frame, Raised, Report, TestCase

_PARAMETERS = re.compile(r"\[.*\]$")
FOREIGN = ("site-packages", "dist-packages", "node_modules", ".venv", "venv")


@dataclass
class Ingested:
    """How much of a report became observations."""

    tests: int = 0
    failed: int = 0
    raised: int = 0
    findings: int = 0
    unplaced: int = 0  # tests and findings no symbol of the workspace could be found for

    def line(self) -> str:
        parts = [
            f"{self.tests} test outcomes ({self.failed} failed)",
            f"{self.raised} raised",
            f"{self.findings} findings",
        ]
        if self.unplaced:
            parts.append(f"{self.unplaced} not placed on a symbol")
        return ", ".join(parts)


class Places:
    """Where paths and lines of a report are in the workspace: symbol keys, cached."""

    def __init__(self, store: Store, root: Path, cwd: Path | None = None, base: str | None = None):
        """``base``: the folder the tools ran in, when the report was made elsewhere (a CI
        machine's checkout): its paths are read as this workspace's."""
        self.store = store
        self.root = root.resolve()
        self.cwd = (cwd or root).resolve()
        self.base = os.path.normpath(base) if base else None

    def relative(self, path: str) -> str | None:
        """The workspace-relative path of a path as a tool printed it, or None when it is
        outside the workspace or in a dependency folder."""
        if not path:
            return None
        if path.startswith("file://"):
            path = path[7:]
        if self.base and (path == self.base or path.startswith(self.base.rstrip("/") + "/")):
            path = str(self.root / os.path.relpath(path, self.base))
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.cwd / candidate
        try:
            rel = Path(os.path.normpath(candidate)).relative_to(self.root)
        except ValueError:
            return None
        if any(part in FOREIGN for part in rel.parts):
            return None
        return rel.as_posix()

    def symbol(self, path: str, line: int) -> str | None:
        """The innermost symbol at a 1-based line of a printed path; the module when the
        line is outside every symbol; None when the file is not one the memory read."""
        rel = self.known_file(path)
        if rel is None:
            return None
        row = self.store.symbol_at(rel, max(line - 1, 0))
        if row is not None:
            return row["key"]
        language = language_for_path(rel)
        return symbol_key(language.name, rel, "") if language else None

    def test(self, case: TestCase) -> str | None:
        """The symbol of a test case: by its file when the report names one, else by its
        name and the class or module its classname gives."""
        name = _PARAMETERS.sub("", case.name).strip()
        owner = (case.classname or "").replace("::", ".").split(".")
        hints = [p for p in (case.file, *(f.path for f in case.frames)) if p]
        candidates = [row for row in self.store.symbols_named(name) if row["kind"] in ("function", "method")]
        if not candidates:
            return self._module_of(case)
        for hint in hints:
            rel = self.relative(hint)
            here = [row for row in candidates if row["path"] == rel]
            if len(here) == 1:
                return here[0]["key"]
            if here:
                candidates = here
                break
        module = [p for p in owner if p]
        scored = sorted(((_match(row, module), row["key"]) for row in candidates), reverse=True)
        if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            return scored[0][1]
        return candidates[0]["key"] if len(candidates) == 1 else None

    def _module_of(self, case: TestCase) -> str | None:
        """A test with no symbol of its own (``it("adds", () => ...)`` in Jest or Vitest):
        the module of its file, when the report names the file or its stack passes
        through a test file."""
        stack = [f.path for f in reversed(case.frames)]
        for hint in (case.file, case.classname, *stack):
            rel = self.known_file(hint) if hint else None
            if rel is not None and (hint in (case.file, case.classname) or TEST_FILE.search(rel)):
                language = language_for_path(rel)
                return symbol_key(language.name, rel, "") if language else None
        return None

    def known_file(self, path: str) -> str | None:
        """The file the memory read that a printed path means: by where it is, else (a
        path relative to some tool's own root, as Vitest prints) the one file ending so."""
        rel = self.relative(path)
        if rel is not None and self.store.file(rel) is not None:
            return rel
        if not os.path.isabs(path) and "." in os.path.basename(path):
            found = self.store.files_ending_with(Path(path).as_posix().lstrip("./"))
            if len(found) == 1:
                return found[0]
        return None


def _match(row: dict, owner: list[str]) -> int:
    """How well a symbol fits a classname's parts (``tests.test_calc.TestCalc``): its
    class and its file's module path, counted from the end."""
    path = row["path"].rsplit(".", 1)[0].split("/")
    qual = row["qualname"].split(".")[:-1]
    names = path + qual
    score = 0
    for mine, theirs in zip(reversed(names), reversed(owner)):
        if mine != theirs:
            break
        score += 1
    return score


def detail_of(case: TestCase, places: Places) -> str:
    """``AssertionError at tests/test_calc.py:5: assert 4 == 5`` (where: the innermost frame
    in the workspace), or ``passed in 0.012 s``."""
    if case.outcome == "passed":
        return f"passed in {case.duration:.3f} s" if case.duration is not None else "passed"
    where = next(
        (f"{rel}:{f.line}" for f in reversed(case.frames) if (rel := places.relative(f.path)) is not None),
        None,
    )
    what = case.exc_type or case.outcome
    text = what + (f" at {where}" if where else "")
    if case.message and case.message != case.exc_type:
        text += f": {case.message}"
    return text


def observations(
    report: Report, places: Places, skip_tests: Iterable[str] = (), keys: dict[TestCase, str] | None = None
) -> tuple[list[tuple], Ingested]:
    """The triples a report gives about the workspace's symbols, and their counts.
    ``keys``: the symbol of a test case when the caller knows it exactly (the pytest plugin)."""
    counts = Ingested()
    found: list[tuple[str, str, str]] = []
    skip = set(skip_tests)
    for case in report.tests:
        if case.outcome == "skipped":
            continue
        key = keys.get(case) if keys else None
        key = key or places.test(case)
        if key is None:
            counts.unplaced += 1
            continue
        if key in skip:
            continue
        failed = case.outcome in ("failed", "error")
        found.append((key, "test_failed" if failed else "test_passed", detail_of(case, places)))
        counts.tests += 1
        if failed:
            counts.failed += 1
            if case.frames:
                exc = Raised(case.exc_type or "failure", case.message or "", case.frames)
                counts.raised += _raised(exc, places, found, failing=key)
    for exc in report.raised:
        counts.raised += _raised(exc, places, found)
    for finding in report.findings:
        key = places.symbol(finding.path, finding.line)
        if key is None:
            counts.unplaced += 1
            continue
        found.append((key, "lint", _lint(finding)))
        counts.findings += 1
    return found, counts


def _raised(exc: Raised, places: Places, found: list, failing: str | None = None) -> int:
    """``raised`` (and ``failed_in``, under a failing test) on each project function the
    traceback crosses, once each."""
    text = exc.exc_type + (f": {exc.message}" if exc.message else "")
    marked: list[str] = []
    for frame in exc.frames:
        key = places.symbol(frame.path, frame.line)
        if key is None or key in marked or key == failing:
            continue
        marked.append(key)
        found.append((key, "raised", text))
        if failing:
            found.append((key, "failed_in", failing))
    return len(marked)


def _lint(finding: Finding) -> str:
    rule = f" {finding.rule}" if finding.rule else ""
    return f"{finding.tool}{rule} (line {finding.line}): {finding.message}"


def record(
    store: Store,
    root: Path,
    report: Report,
    run: int | None = None,
    cwd: Path | None = None,
    skip_tests: Iterable[str] = (),
    keys: dict[TestCase, str] | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    base: str | None = None,
) -> Ingested:
    """Record what ``report`` says about the workspace at ``root`` (paths in it are
    relative to ``cwd``), as part of ``run``. ``skip_tests``: tests already recorded for
    this run (by the pytest plugin, which knows more than a JUnit file). The files the
    report names are read first, so that its lines fall on today's symbols."""
    places = Places(store, root, cwd, base)
    refresh(store, root, {rel for path in named_paths(report) if (rel := places.relative(path))}, max_bytes)
    found, counts = observations(report, places, skip_tests, keys)
    if found:
        store.record_seen(found, run)
    return counts


def named_paths(report: Report) -> set[str]:
    """Every path a report names: test files, frames, findings."""
    paths = {f.path for f in report.findings}
    for case in report.tests:
        paths.update(f.path for f in case.frames)
        if case.file:
            paths.add(case.file)
    for exc in report.raised:
        paths.update(f.path for f in exc.frames)
    return paths


def refresh(store: Store, root: Path, rels: Iterable[str], max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
    """Make the memory hold these files as they are on disk now (cheap when it does)."""
    fresh = []
    for rel in sorted(rels):
        if language_for_path(rel) is None:
            continue
        outcome = observe_file(str(root), rel, store.file_state(rel), max_bytes)
        if isinstance(outcome, FileObservation):
            fresh.append(outcome)
    if fresh:
        store.write(fresh)


def fingerprint(root: Path, exclude: tuple[str, ...] = ()) -> str:
    """What the workspace's source files look like now (paths, sizes, mtimes): two runs
    with one fingerprint ran against the same code."""
    digest = hashlib.blake2b(digest_size=16)
    for rel in iter_source_files(root, exclude):
        try:
            st = os.stat(root / rel)
        except OSError:
            continue
        digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def frames_of(entries: Iterable[tuple[str, int, str | None]]) -> tuple[Frame, ...]:
    """Frames from ``(path, 1-based line, function)`` triples."""
    return tuple(Frame(path, line, function) for path, line, function in entries)


__all__ = [
    "FOREIGN",
    "Ingested",
    "Places",
    "detail_of",
    "fingerprint",
    "frames_of",
    "observations",
    "record",
    "terminal",
]
