"""Plain terminal output: Python tracebacks, pytest failures, JS stacks and ``path:line[:col]: message`` lines.

Recognised findings: mypy (``a.py:3: error: ... [arg-type]``), tsc (``a.ts(5,7): error TS2322: ...`` and the
pretty ``a.ts:5:7 - error TS2322: ...``), gcc/clang (``a.c:4:9: warning: ... [-Wunused-variable]``), javac
(``A.java:7: error: ...``), go build/vet (``./a.go:8:2: ...``), rustc/cargo (``error[E0308]: ...`` then
`` --> src/main.rs:7:24``) and ruff/flake8/pylint's concise ``a.py:1:8: F401 ...``.

Every exception of a chained Python traceback becomes its own :class:`Raised`, in the order printed (the
last one is the one that ended the program); ``Raised.chained`` says how each follows the one before.
A pytest run's ``FAILED``/``ERROR``/``PASSED`` summary lines become tests, with the exception and frames of
their section under ``FAILURES``.

Lines longer than ``MAX_LINE`` are skipped and every pattern is anchored, so output parses in linear time.

>>> report = parse_text('''src/a.py:3: error: Argument 1 to "f" has incompatible type "int"  [arg-type]
... Traceback (most recent call last):
...   File "src/a.py", line 9, in <module>
...     main()
... requests.exceptions.HTTPError: 404 Client Error
... ''')
>>> f = report.findings[0]
>>> f.path, f.line, f.tool, f.rule, f.level
('src/a.py', 3, 'mypy', 'arg-type', 'error')
>>> r = report.raised[0]
>>> r.exc_type, r.message, r.frames[0].line
('requests.exceptions.HTTPError', '404 Client Error', 9)
"""

from __future__ import annotations

import re
from dataclasses import replace

from kairos_lsp.terminal.model import Finding, Frame, Raised, Report, TestCase
from kairos_lsp.terminal.stacks import (
    CHAINS,
    PY_FRAME,
    TB_START,
    clean_lines,
    exception_line,
    js_frame,
    js_stack,
    pytest_entries,
)

PATH = r"((?:[A-Za-z]:[\\/])?[^\s:(),\"'<>|*?]+)"
COLON = re.compile(PATH + r":(\d+)(?::(\d+))?:\s+(\S.*)$")
TSC = re.compile(PATH + r"\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$")
TSC_PRETTY = re.compile(PATH + r":(\d+):(\d+) - (error|warning|message) (TS\d+): (.*)$")
LEVEL = re.compile(r"(fatal error|error|warning|note|info|remark)(?:\[([\w-]+)\])?:\s*(.*)$")
LINT_CODE = re.compile(r"([A-Z]{1,4}\d{2,5})\b(?: \[\*\])?\s*(.*)$")
MYPY_CODE = re.compile(r"(.*\S)\s{2}\[([\w-]+)\]$")
GCC_FLAG = re.compile(r"(.*\S) \[(-W[\w=+-]+)\]$")
RUST_HEAD = re.compile(r"(error|warning)(?:\[([A-Z]\d{4})\])?: (.+)$")
RUST_ARROW = re.compile(r"\s*--> " + PATH + r":(\d+)(?::(\d+))?$")
RUST_LINT = re.compile(r"\s*= note: `#\[(?:warn|deny|forbid)\(([\w:]+)\)\]`")
PYTEST_SUMMARY = re.compile(r"(FAILED|ERROR|PASSED|XPASS|XFAIL) (\S.*)$")
LEVELS = {"fatal error": "error", "error": "error", "warning": "warning", "note": "note", "info": "note"}
C_FAMILY = {"c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "m", "mm", "cu"}
BY_EXTENSION = {"java": "javac", "go": "go", "py": "mypy", "pyi": "mypy", "rs": "rustc", "ts": "tsc", "tsx": "tsc"}


def _extension(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""


def _colon_finding(line: str, hint: str | None) -> Finding | None:
    m = COLON.match(line)
    if not m:
        return None
    path, row, col, rest = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    ext = _extension(path)
    if not ext or row < 1:
        return None
    rule = None
    level_m = LEVEL.match(rest)
    if level_m:
        level = LEVELS.get(level_m.group(1), "note")
        rule, message = level_m.group(2), level_m.group(3)
        tool = hint or ("gcc" if ext in C_FAMILY else BY_EXTENSION.get(ext, "unknown"))
        if tool == "tsc" and not hint:
            tool = "unknown"
        for pattern in (MYPY_CODE, GCC_FLAG):
            code = pattern.match(message)
            if code and rule is None:
                message, rule = code.group(1), code.group(2)
    else:
        code = LINT_CODE.match(rest)
        if code:  # ruff/flake8/pylint concise output
            level, rule, message = "warning", code.group(1), code.group(2)
            tool = hint or "unknown"
        elif ext == "go":  # go build / go vet print no level
            level, message, tool = "error", rest, hint or "go"
        else:
            return None
    return Finding(path, row, int(col) if col else None, tool, rule, level, message.strip())


def _tsc_finding(line: str, hint: str | None) -> Finding | None:
    m = TSC.match(line) or TSC_PRETTY.match(line)
    if not m:
        return None
    level = {"error": "error", "warning": "warning"}.get(m.group(4), "note")
    return Finding(m.group(1), int(m.group(2)), int(m.group(3)), hint or "tsc", m.group(5), level, m.group(6).strip())


def _split_nodeid(nodeid: str) -> tuple[str, str | None, str]:
    """``tests/t.py::TestC::test_x[1]`` -> (``test_x[1]``, ``tests.t.TestC``, ``tests/t.py``)."""
    parts = nodeid.split("::")
    file = parts[0]
    module = file[:-3] if file.endswith(".py") else file
    module = module.replace("\\", "/").replace("/", ".")
    if len(parts) == 1:
        return file, None, file
    return parts[-1], ".".join([module, *parts[1:-1]]), file


def _section_name(line: str) -> str | None:
    """pytest's ``____ TestCalc.test_add[1] ____`` header -> ``TestCalc.test_add[1]``; None otherwise."""
    if not (line.startswith("_ ") or line.startswith("__")) or not line.endswith("_"):
        return None
    name = line.rstrip("_").rstrip().lstrip("_").strip()
    if not name or set(name) <= {"_", " "}:
        return None
    return name


class _Reader:
    def __init__(self, hint: str | None):
        self.hint = hint
        self.report = Report(format="text", tool=hint)
        self.sections: dict[str, list[str]] = {}
        self.summary: list[tuple[str, str, str | None]] = []

    def run(self, lines: list[str]) -> Report:
        findings, raised = self.report.findings, self.report.raised
        section: list[str] | None = None  # the lines of the current pytest failure section
        in_failures = False
        frames: list | None = None  # inside a Python traceback
        chained: str | None = None
        rust: tuple[str, str | None, str] | None = None  # a rustc header waiting for its --> line
        js_lines: list[str] = []  # a JS "Type: message" line and the stack under it
        previous = ""
        jest: list[str] | None = None  # a jest failure: its title, then its text
        for line in lines:
            stripped = line.strip()
            if frames is not None:  # a Python traceback
                m = PY_FRAME.match(line)
                if m:
                    frames.append(Frame(m.group(1), int(m.group(2)), m.group(3)))
                    continue
                if not line or line[0] in " \t":
                    continue
                exc = exception_line(line)
                if exc is not None and frames:
                    raised.append(Raised(exc[0], exc[1], tuple(frames), chained))
                    frames, chained = None, None
                    continue
                frames, chained = None, None  # not a traceback after all: read the line as any other
            if js_lines:
                if js_frame(line) is not None:
                    js_lines.append(line)
                    continue
                self._js_raised(js_lines)
                js_lines = []
            if jest is not None:
                if stripped.startswith("● ") or line.startswith("Test Suites:") or (line and line[0] not in " \t"):
                    self._jest_test(jest)
                    jest = None
                else:
                    jest.append(line)
                    continue
            if stripped.startswith("● ") and not stripped.startswith("● Console"):
                jest = [stripped[2:].strip()]
                continue
            if in_failures:
                name = _section_name(line)
                if name is not None:
                    section = self.sections.setdefault(name, [])
                    continue
                if line.startswith("====="):
                    in_failures, section = False, None
                elif line.startswith("-----") and "Captured" in line:
                    section = None
                elif section is not None:
                    section.append(line)
                    continue
            if stripped == TB_START:
                frames = []
                continue
            if stripped in CHAINS:
                chained = CHAINS[stripped]
                continue
            if line.startswith("=") and (" FAILURES " in line or " ERRORS " in line):
                in_failures = True
                continue
            if rust is not None:
                m = RUST_ARROW.match(line)
                if m:
                    level, code, message = rust
                    col = int(m.group(3)) if m.group(3) else None
                    findings.append(
                        Finding(m.group(1), int(m.group(2)), col, self.hint or "rustc", code, level, message)
                    )
                    rust = None
                    continue
                if not stripped:
                    rust = None
            if findings and findings[-1].tool == (self.hint or "rustc") and findings[-1].rule is None:
                lint = RUST_LINT.match(line)
                if lint:
                    findings[-1] = replace(findings[-1], rule=lint.group(1))
                    continue
            if js_frame(line) is not None and exception_line(previous.strip()) is not None and ": " in previous:
                js_lines = [previous, line]
                previous = line
                continue
            previous = line
            if stripped and chained is not None:
                chained = None
            if not line or line[0] in " \t":
                continue
            m = RUST_HEAD.match(line)
            if m:
                rust = (m.group(1), m.group(2), m.group(3).strip())
                continue
            summary = PYTEST_SUMMARY.match(line)
            if summary and "::" in summary.group(2).split(" - ", 1)[0]:
                nodeid, _, message = summary.group(2).partition(" - ")
                self.summary.append((summary.group(1), nodeid.strip(), message.strip() or None))
                continue
            finding = _tsc_finding(line, self.hint) or _colon_finding(line, self.hint)
            if finding is not None:
                findings.append(finding)
        if js_lines:
            self._js_raised(js_lines)
        if jest is not None:
            self._jest_test(jest)
        self._tests()
        if self.report.tool is None:
            tools = {f.tool for f in findings} | ({"pytest"} if self.report.tests else set())
            self.report.tool = tools.pop() if len(tools) == 1 else None
        return self.report

    def _js_raised(self, lines: list[str]) -> None:
        exc_type, message, frames = js_stack(lines)
        if exc_type is not None and frames:
            self.report.raised.append(Raised(exc_type, message or "", tuple(frames)))

    def _jest_test(self, section: list[str]) -> None:
        exc_type, message, frames = js_stack(section[1:])
        test = TestCase(section[0], None, None, None, "failed", None, exc_type, message, tuple(frames))
        self.report.tests.append(test)
        if self.report.tool is None:
            self.report.tool = "jest"

    def _tests(self) -> None:
        outcomes = {"FAILED": "failed", "ERROR": "error", "PASSED": "passed", "XPASS": "passed", "XFAIL": "skipped"}
        named = set()
        for word, nodeid, message in self.summary:
            name, classname, file = _split_nodeid(nodeid)
            title = ".".join(nodeid.split("::")[1:])
            exc_type, text_message, frames = pytest_entries(self.sections.get(title, []))
            named.add(title)
            if message and exc_type and message.startswith(exc_type + ":"):
                message = message[len(exc_type) + 1 :].strip()
            self.report.tests.append(
                TestCase(
                    name, classname, file, None, outcomes[word], None, exc_type, text_message or message, tuple(frames)
                )
            )
        for title, lines in self.sections.items():  # a failure section without a summary line (-rN)
            if title not in named and lines:
                exc_type, message, frames = pytest_entries(lines)
                head, bracket, params = title.partition("[")
                name = head.rsplit(".", 1)[-1] + bracket + params
                self.report.tests.append(
                    TestCase(name, None, None, None, "failed", None, exc_type, message, tuple(frames))
                )


def parse_text(text: str, tool: str | None = None) -> Report:
    """Tests, findings and raised exceptions in terminal output (ANSI colours, CRLF and ``\\r`` handled).

    ``tool``, when the caller knows which tool printed the output, names every finding's tool.
    """
    return _Reader(tool).run(clean_lines(text))
