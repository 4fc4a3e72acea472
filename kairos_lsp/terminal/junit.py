"""JUnit XML, as pytest, jest-junit, vitest, gotestsum, cargo-nextest and Maven Surefire write it.

The XML is parsed by ``xml.etree`` after refusing any DOCTYPE or ENTITY
declaration (no JUnit writer emits one, and they are how entity-expansion
attacks start), so no extra dependency is needed.

>>> report = parse_junit(b'''<testsuites name="pytest tests"><testsuite name="pytest">
... <testcase classname="tests.test_calc" name="test_add[2-3]" time="0.01"/>
... <testcase classname="tests.test_calc" name="test_div" time="0.02">
... <failure message="ZeroDivisionError: division by zero">calc.py:3: ZeroDivisionError</failure></testcase>
... </testsuite></testsuites>''')
>>> report.tool, [(t.name, t.outcome) for t in report.tests]
('pytest', [('test_add[2-3]', 'passed'), ('test_div', 'failed')])
>>> failed = report.tests[1]
>>> failed.exc_type, failed.message, failed.frames[0].path
('ZeroDivisionError', 'division by zero', 'calc.py')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kairos_lsp.terminal.model import MAX_BYTES, Report, ReportError, TestCase
from kairos_lsp.terminal.stacks import exception_line, failure_of

DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)|<\x00!\x00(?:D\x00|E\x00)", re.I)
KNOWN_TOOLS = {"pytest": "pytest", "jest": "jest", "vitest": "vitest", "nextest-run": "cargo-nextest"}
OUTCOMES = (("failure", "failed"), ("error", "error"), ("skipped", "skipped"))


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _tool(root: ET.Element) -> str | None:
    names = [root.get("name") or ""] + [s.get("name") or "" for s in root.iter() if _local(s.tag) == "testsuite"][:1]
    for name in names:
        word = name.split(" ", 1)[0].lower()
        if word in KNOWN_TOOLS:
            return KNOWN_TOOLS[word]
    return None


def parse_xml(data: bytes) -> ET.Element:
    """The root element of ``data``; ReportError when too large, declaring entities, or not well-formed XML."""
    if len(data) > MAX_BYTES:
        raise ReportError(f"report is {len(data) // (1 << 20)} MB; only reports up to {MAX_BYTES >> 20} MB are read")
    if DECLARATION.search(data):
        raise ReportError("XML with a DOCTYPE or ENTITY declaration is refused (entity expansion)")
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        raise ReportError(f"not well-formed XML: {error}") from None
    except (ValueError, LookupError) as error:  # e.g. an unknown encoding in the XML declaration
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ReportError(f"unreadable XML: {first}") from None


def _case(element: ET.Element, tool: str | None) -> TestCase:
    outcome, detail = "passed", None
    for child in element:
        for tag, name in OUTCOMES:
            if _local(child.tag) == tag:
                outcome, detail = name, child
                break
        if detail is not None:
            break
    exc_type = message = None
    frames: tuple = ()
    if detail is not None:
        attr_message = _first_line(detail.get("message"))
        if outcome == "skipped":
            message = attr_message or _first_line(detail.text)
        else:
            text_type, text_message, frames = failure_of(detail.text or "")
            declared = detail.get("type")
            exc_type = declared if declared and exception_line(declared) else text_type
            message = attr_message or text_message
            if message and exc_type and message.startswith(exc_type + ":"):
                message = message[len(exc_type) + 1 :].strip()
            elif message and exc_type is None:
                exc = exception_line(message)
                if exc is not None and exc[1]:
                    exc_type, message = exc
    line = _int(element.get("line") or element.get("lineno"))
    if line is not None and tool == "pytest":
        line += 1  # pytest's xunit1 "line" is 0-based
    return TestCase(
        name=(element.get("name") or "").strip(),  # jest-junit writes " title" for a test outside a describe
        classname=(element.get("classname") or "").strip() or None,
        file=element.get("file") or element.get("filepath") or None,
        line=line,
        outcome=outcome,
        duration=_float(element.get("time")),
        exc_type=exc_type,
        message=message,
        frames=frames,
    )


def junit_from_root(root: ET.Element) -> Report:
    if _local(root.tag) not in ("testsuites", "testsuite"):
        raise ReportError(f"not a JUnit report: the root element is <{_local(root.tag)}>")
    tool = _tool(root)
    tests = [_case(e, tool) for e in root.iter() if _local(e.tag) == "testcase"]
    return Report(format="junit", tool=tool, tests=tests)


def parse_junit(data: bytes) -> Report:
    """The tests of a JUnit XML report (root ``<testsuites>`` or ``<testsuite>``); ReportError on bad input."""
    return junit_from_root(parse_xml(data))
