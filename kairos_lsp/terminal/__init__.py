"""What tools said, parsed (pure): JUnit XML, SARIF, tracebacks and ``path:line:col`` lines.

Only the standard library and nothing of the memory: :mod:`kairos_lsp.ingest` maps
these results onto symbols and records them.

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "report.xml")
...     with open(path, "wb") as out:
...         _ = out.write(b'<testsuite name="jest tests"><testcase name="adds" classname="math"/></testsuite>')
...     report = read_report(path)
>>> report.format, report.tests[0].name, report.tests[0].outcome
('junit', 'adds', 'passed')
"""

from __future__ import annotations

import os
import re

from kairos_lsp.terminal.junit import junit_from_root, parse_junit, parse_xml
from kairos_lsp.terminal.model import MAX_BYTES, Finding, Frame, Raised, Report, ReportError, TestCase
from kairos_lsp.terminal.sarif import is_sarif, parse_json, parse_sarif, sarif_from_obj
from kairos_lsp.terminal.text import parse_text

__all__ = [
    "MAX_BYTES",
    "Finding",
    "Frame",
    "Raised",
    "Report",
    "ReportError",
    "TestCase",
    "parse_junit",
    "parse_sarif",
    "parse_text",
    "read_report",
    "sniff",
]

PROLOG = re.compile(rb"(?:\s|<\?[^>]{0,1024}\?>|<!--(?:[^-]|-[^-]){0,4096}-->)*<(!DOCTYPE\s+)?([\w.:-]+)")


def sniff(data: bytes) -> str | None:
    """``"junit"``, ``"sarif"`` or None, from the first few KB of a file's content.

    >>> sniff(b'<?xml version="1.0"?><testsuites/>'), sniff(b'{"version": "2.1.0", "runs": []}'), sniff(b"PK")
    ('junit', 'sarif', None)
    """
    head = data[:8192].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        m = PROLOG.match(head)
        if m and m.group(2).rsplit(b":", 1)[-1] in (b"testsuites", b"testsuite"):
            return "junit"
        return None
    if head.startswith(b"{") and (b'"runs"' in head or b"sarif" in head.lower()):
        return "sarif"
    return None


def read_report(path: str | os.PathLike) -> Report | None:
    """The report in the file at ``path`` (JUnit XML or SARIF, told by its content), or None if it is neither.

    Files over ``MAX_BYTES`` (64 MB) are refused; a report that cannot be read or is malformed raises
    ReportError with a one-line message naming the file.
    """
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise ReportError(f"{os.fspath(path)}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise ReportError(f"{os.fspath(path)}: larger than {MAX_BYTES >> 20} MB; not read")
    kind = sniff(data)
    try:
        if kind == "junit":
            return junit_from_root(parse_xml(data))
        if kind == "sarif":
            obj = parse_json(data)
            return sarif_from_obj(obj) if is_sarif(obj) else None
    except ReportError as error:
        raise ReportError(f"{os.fspath(path)}: {error}") from None
    return None
