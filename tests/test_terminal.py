"""The terminal parsers on output captured from real tools (tests/fixtures/reports) and on hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kairos_lsp.terminal import (
    MAX_BYTES,
    Frame,
    ReportError,
    parse_junit,
    parse_sarif,
    parse_text,
    read_report,
)

REPORTS = Path(__file__).parent / "fixtures" / "reports"


def text(name: str) -> str:
    return (REPORTS / name).read_text(encoding="utf-8")


def where(frames: tuple[Frame, ...]) -> list[tuple[str, int, str | None]]:
    return [(f.path, f.line, f.function) for f in frames]


def by_name(report, name):
    return next(t for t in report.tests if t.name == name)


def test_every_fixture_is_named_in_the_readme():
    readme = text("README.md")
    for path in REPORTS.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, path.name


# --- JUnit ---------------------------------------------------------------------------------------------------------


def test_pytest_junit():
    report = read_report(REPORTS / "pytest-junit.xml")
    assert report is not None and (report.format, report.tool) == ("junit", "pytest")
    outcomes = {t.name: t.outcome for t in report.tests}
    assert outcomes == {
        "test_add[2-3-5]": "passed",
        "test_add[1-1-3]": "failed",
        "test_total": "failed",
        "test_passes": "passed",
        "test_skipped": "skipped",
    }
    total = by_name(report, "test_total")
    assert total.classname == "tests.test_calc.TestCalc"
    assert (total.exc_type, total.message) == ("ValueError", "not a number: 'x'")
    # the traceback crosses two project modules, innermost last, each frame with its function
    assert where(total.frames) == [
        ("tests/test_calc.py", 12, "test_total"),
        ("calc/core.py", 9, "total"),
        ("calc/core.py", 9, "<genexpr>"),
        ("calc/parse.py", 4, "parse_number"),
    ]
    add = by_name(report, "test_add[1-1-3]")
    assert (add.exc_type, add.message) == ("AssertionError", "assert 2 == 3")
    assert where(add.frames) == [("tests/test_calc.py", 9, "test_add")]
    assert by_name(report, "test_skipped").message == "not ready"
    assert all(t.duration is not None for t in report.tests)


def test_jest_junit():
    report = read_report(REPORTS / "jest-junit.xml")
    assert report is not None and report.tool == "jest"
    junk = by_name(report, "total rejects junk")
    assert (junk.outcome, junk.file, junk.exc_type, junk.message) == (
        "failed",
        "src/math.test.js",
        "TypeError",
        "not a price: x",
    )
    # innermost last: the test file calls total, which calls parsePrice
    assert [(Path(f.path).name, f.line) for f in junk.frames[-4:]] == [
        ("math.test.js", 9),
        ("math.js", 10),
        ("math.js", 10),
        ("math.js", 4),
    ]
    assert junk.frames[-1].function == "parsePrice" and junk.frames[-1].column == 11
    rounds = by_name(report, "parsePrice rounds")  # jest-junit writes " parsePrice rounds"
    assert rounds.exc_type == "Error" and rounds.message.startswith("expect(received).toBe(expected)")
    assert by_name(report, "total later").outcome == "skipped"


def test_vitest_junit():
    report = read_report(REPORTS / "vitest-junit.xml")
    assert report is not None and report.tool == "vitest"
    junk = by_name(report, "total > rejects junk")
    assert (junk.classname, junk.exc_type, junk.message) == ("math.test.ts", "TypeError", "not a price: x")
    assert [(f.path, f.line, f.function) for f in junk.frames] == [
        ("math.test.ts", 11, None),
        ("math.ts", 10, "total"),
        ("math.ts", 10, None),
        ("math.ts", 4, "parsePrice"),
    ]
    assert by_name(report, "rounds").exc_type == "AssertionError"
    assert [t.outcome for t in report.tests] == ["passed", "failed", "skipped", "failed"]


def test_junit_line_and_single_suite_root():
    report = parse_junit(
        b'<testsuite name="pytest"><testcase classname="t" name="test_a" file="t.py" line="14" time="x"/>'
        b'<testcase classname="t" name="test_b"><error message="failed on setup"/></testcase></testsuite>'
    )
    a, b = report.tests
    assert (a.file, a.line, a.duration) == ("t.py", 15, None)  # pytest's xunit1 line is 0-based
    assert (b.outcome, b.message) == ("error", "failed on setup")


# --- SARIF ---------------------------------------------------------------------------------------------------------


def test_ruff_sarif():
    report = read_report(REPORTS / "ruff.sarif")
    assert report is not None and (report.format, report.tool) == ("sarif", "ruff")
    assert [(Path(f.path).name, f.line, f.column, f.rule) for f in report.findings] == [
        ("app.py", 1, 8, "F401"),
        ("app.py", 2, 8, "F401"),
        ("app.py", 6, 5, "F841"),
    ]
    assert report.findings[0].path == "/tmp/pyfix/lint/app.py"  # file:// URI made a path
    assert report.findings[0].message == "`os` imported but unused"


def test_eslint_sarif():
    report = read_report(REPORTS / "eslint.sarif")
    assert report is not None and report.tool == "eslint"
    assert [(f.line, f.column, f.rule, f.level) for f in report.findings] == [
        (1, 7, "no-unused-vars", "error"),
        (4, 7, "prefer-const", "warning"),
        (5, 21, "no-undef", "error"),
    ]
    assert report.findings[2].message == "'missing' is not defined."


def test_sarif_artifact_index_base_id_and_default_level():
    report = parse_sarif(
        b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep", "rules": [{"id": "r1",'
        b' "defaultConfiguration": {"level": "note"}}]}}, "originalUriBaseIds": {"SRC": {"uri": "file:///w/"}},'
        b' "artifacts": [{"location": {"uri": "a%20b.py", "uriBaseId": "SRC"}}], "results": ['
        b'{"ruleIndex": 0, "message": {"text": "one\\ntwo"}, "locations": [{"physicalLocation": {"artifactLocation":'
        b' {"uri": "x.py", "uriBaseId": "SRC"}, "region": {"startLine": 3}}}]},'
        b'{"ruleId": "r2", "message": {}, "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}]},'
        b'{"ruleId": "r3", "message": {"text": "no location"}}]}]}'
    )
    first, second = report.findings
    assert (first.path, first.line, first.column, first.rule, first.level, first.message) == (
        "/w/x.py",
        3,
        None,
        "r1",
        "note",
        "one",
    )
    assert (second.path, second.line, second.level, second.tool) == ("/w/a b.py", 1, "warning", "semgrep")


# --- plain text ------------------------------------------------------------------------------------------------------


def test_python_traceback_chained():
    report = parse_text(text("python-traceback.txt"))
    cause, final = report.raised
    assert (cause.exc_type, cause.chained) == ("json.decoder.JSONDecodeError", None)
    assert cause.message.startswith("Expecting property name enclosed in double quotes")
    assert (final.exc_type, final.message, final.chained) == ("ConfigError", "bad config: expected an object", "cause")
    assert where(final.frames) == [
        ("/tmp/pyfix/crash.py", 20, "<module>"),
        ("/tmp/pyfix/crash.py", 16, "main"),
        ("/tmp/pyfix/crash.py", 12, "load"),
    ]
    assert report.findings == [] and report.tests == []


def test_traceback_forms():
    report = parse_text(
        "Traceback (most recent call last):\r\n"
        '  File "a.py", line 1, in <module>\r\n'
        "KeyboardInterrupt\r\n"
        "\r\n"
        "During handling of the above exception, another exception occurred:\r\n"
        "\r\n"
        "Traceback (most recent call last):\r\n"
        '  File "b.py", line 2\r\n'
        "    def f(\r\n"
        "         ^\r\n"
        "SyntaxError: '(' was never closed\r\n"
    )
    first, second = report.raised
    assert (first.exc_type, first.message, first.chained) == ("KeyboardInterrupt", "", None)
    assert (second.exc_type, second.chained, where(second.frames)) == ("SyntaxError", "context", [("b.py", 2, None)])


@pytest.mark.parametrize("name", ["pytest-long.txt", "pytest-short.txt"])
def test_pytest_output(name):
    report = parse_text(text(name))
    assert report.tool == "pytest"
    total = by_name(report, "test_total")
    assert (total.classname, total.file, total.outcome) == ("tests.test_calc.TestCalc", "tests/test_calc.py", "failed")
    assert (total.exc_type, total.message) == ("ValueError", "not a number: 'x'")
    assert [f.path for f in total.frames] == ["tests/test_calc.py", "calc/core.py", "calc/core.py", "calc/parse.py"]
    assert total.frames[-1].function == "parse_number"
    add = by_name(report, "test_add[1-1-3]")
    assert (add.exc_type, add.message) == ("AssertionError", "assert 2 == 3")
    assert report.findings == []  # pytest's "path:line: ValueError" lines are frames, not findings


def test_jest_output():
    report = parse_text(text("jest.txt"))
    junk = by_name(report, "total › rejects junk")
    assert (junk.exc_type, junk.message) == ("TypeError", "not a price: x")
    assert where(junk.frames)[0] == ("src/math.test.js", 9, "Object.total")
    assert where(junk.frames)[-1] == ("src/math.js", 4, "parsePrice")
    assert by_name(report, "parsePrice rounds").message.startswith("expect(received)")


def test_node_uncaught_error():
    report = parse_text(
        "/app/x.js:4\n    throw new TypeError('bad');\n    ^\n\nTypeError: bad\n"
        "    at parse (/app/x.js:4:11)\n    at Object.<anonymous> (/app/main.js:2:1)\n\nNode.js v20.20.2\n"
    )
    (raised,) = report.raised
    assert (raised.exc_type, raised.message) == ("TypeError", "bad")
    assert where(raised.frames) == [("/app/main.js", 2, "Object.<anonymous>"), ("/app/x.js", 4, "parse")]


def test_mypy():
    report = parse_text(text("mypy.txt"))
    assert report.tool == "mypy"
    assert [(f.line, f.column, f.rule, f.level) for f in report.findings] == [
        (14, 8, "list-item", "error"),
        (15, 7, "arg-type", "error"),
        (16, 10, "assignment", "error"),
        (17, 13, None, "note"),
    ]
    assert report.findings[1].message == 'Argument 1 to "greet" has incompatible type "int"; expected "str"'


@pytest.mark.parametrize("name", ["tsc.txt", "tsc-pretty.txt"])
def test_tsc(name):
    report = parse_text(text(name))
    assert [(f.path, f.line, f.column, f.tool, f.rule) for f in report.findings] == [
        ("ts/app.ts", 5, 7, "tsc", "TS2322"),
        ("ts/app.ts", 6, 8, "tsc", "TS2345"),
        ("ts/app.ts", 7, 19, "tsc", "TS2551"),
    ]
    assert "\x1b" not in report.findings[0].message


def test_gcc():
    report = parse_text(text("gcc.txt"))
    assert report.tool == "gcc"
    levels = [(f.line, f.column, f.level, f.rule) for f in report.findings]
    assert levels[:4] == [
        (4, 9, "warning", "-Wunused-variable"),
        (9, 18, "warning", "-Wint-conversion"),
        (10, 20, "error", None),
        (3, 12, "note", None),
    ]
    assert report.findings[2].message == "too many arguments to function ‘square’"


def test_rustc():
    error = parse_text(text("cargo.txt")).findings
    assert [(f.path, f.line, f.column, f.tool, f.rule, f.level, f.message) for f in error] == [
        ("src/main.rs", 7, 24, "rustc", "E0308", "error", "mismatched types")
    ]
    warning = parse_text(text("cargo-warning.txt")).findings
    assert [(f.line, f.column, f.rule, f.level) for f in warning] == [(6, 9, "unused_variables", "warning")]


def test_javac():
    report = parse_text(text("javac.txt"))
    assert [(f.path, f.line, f.column, f.tool, f.level) for f in report.findings] == [
        ("Greeter.java", 7, None, "javac", "error"),
        ("Greeter.java", 8, None, "javac", "error"),
    ]


def test_go_ruff_concise_windows_path_and_tool_hint():
    report = parse_text(
        "# example.com/m\n./main.go:8:2: fmt.Printf format %d has arg s of wrong type string\n"
        "C:\\src\\app.py:1:8: F401 [*] `os` imported but unused\n",
        tool=None,
    )
    go, ruff = report.findings
    assert (go.path, go.line, go.column, go.tool, go.level) == ("./main.go", 8, 2, "go", "error")
    assert (ruff.path, ruff.rule, ruff.message) == ("C:\\src\\app.py", "F401", "`os` imported but unused")
    hinted = parse_text("app.py:1:8: F401 `os` imported but unused\n", tool="ruff")
    assert hinted.findings[0].tool == hinted.tool == "ruff"


def test_ansi_colours_and_carriage_returns_are_stripped():
    coloured = "\x1b[1m\x1b[31msrc/a.py\x1b[0m:3: \x1b[31merror:\x1b[0m Bad thing  \x1b[33m[misc]\x1b[0m\r\n"
    progress = "10%\r50%\rsrc/b.py:4: error: Other  [misc]\r\n"
    report = parse_text(coloured + progress + "\x1b]8;;file:///x\x07link\x1b]8;;\x07\n")
    assert [(f.path, f.line, f.rule, f.message) for f in report.findings] == [
        ("src/a.py", 3, "misc", "Bad thing"),
        ("src/b.py", 4, "misc", "Other"),
    ]


def test_prose_is_not_a_finding():
    report = parse_text(
        "Note: see http://example.com:8080/x for details\n"
        "grep hit: notes.txt:12:    some text\n"
        "12:30:01 INFO started\n"
        "README.md:3: nothing to say\n"
    )
    assert report.findings == [] and report.raised == [] and report.tests == []


# --- bad and hostile input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<testsuites><testcase",
        b"\x00\x01\x02\xff\xfe binary",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><testsuites>&lol2;'
        b"</testsuites>",
        b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><testsuite/>',
        b"<html><body/></html>",
    ],
)
def test_bad_junit_is_one_line_report_error(data):
    with pytest.raises(ReportError) as caught:
        parse_junit(data)
    assert "\n" not in str(caught.value) and str(caught.value)


@pytest.mark.parametrize("data", [b"", b"{", b'{"runs": 3}', b"\xff\xfe\x00", b"[" * 100_000, b"null"])
def test_bad_sarif_is_one_line_report_error(data):
    with pytest.raises(ReportError) as caught:
        parse_sarif(data)
    assert "\n" not in str(caught.value) and str(caught.value)


def test_hostile_but_valid_sarif_shapes_are_skipped():
    report = parse_sarif(
        b'{"version": "2.1.0", "runs": [7, {"tool": [], "results": [null, {"locations": "x"},'
        b' {"locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"},'
        b' "region": {"startLine": -4, "startColumn": true}}}], "level": "bogus", "message": {"text": 5}}]}]}'
    )
    (finding,) = report.findings
    assert (finding.path, finding.line, finding.column, finding.level, finding.message) == (
        "a.py",
        1,
        None,
        "warning",
        "",
    )


def test_read_report_sniffs(tmp_path):
    plain = tmp_path / "out.txt"
    plain.write_text("hello\n")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    other_json = tmp_path / "package.json"
    other_json.write_text('{"name": "x", "version": "1.0.0"}')
    assert read_report(plain) is None and read_report(binary) is None and read_report(other_json) is None
    broken = tmp_path / "junit.xml"
    broken.write_bytes(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- made by hand -->\n<testsuites><testsuite>')
    with pytest.raises(ReportError, match="junit.xml: not well-formed XML"):
        read_report(broken)
    with pytest.raises(ReportError, match="cannot read"):
        read_report(tmp_path / "missing.xml")


def test_read_report_refuses_huge_files(tmp_path, monkeypatch):
    import kairos_lsp.terminal as terminal

    monkeypatch.setattr(terminal, "MAX_BYTES", 1024)
    big = tmp_path / "big.xml"
    big.write_bytes(b"<testsuites>" + b" " * 2048 + b"</testsuites>")
    with pytest.raises(ReportError, match="larger than"):
        read_report(big)
    assert MAX_BYTES == 64 * 1024 * 1024


@pytest.mark.parametrize(
    "junk",
    [
        "a" * 1_000_000,
        "a:1:" * 250_000,
        ("x" * 99 + "\n") * 10_000,
        ("src/a.py:1: " + "E" * 80 + "\n") * 10_000,
        ('  File "' + "a" * 200 + "\n") * 5_000,
        "Traceback (most recent call last):\n" + '  File "a.py", line 1, in f\n' * 40_000,
        ("    at " + "(" * 300 + "\n") * 3_000,
        ("_ " * 200 + "\n") * 2_000 + "= FAILURES =\n" + ("__ x" * 200 + "\n") * 1_000,
        ("\x1b]" * 1_000 + "\n") * 500,
        ("\x1b]" + "a" * 4_000 + "\n") * 250,
        ("\x1b[" + "1;" * 2_000 + "\n") * 250,
    ],
    ids=[
        "one-line",
        "colons",
        "short-lines",
        "findings",
        "open-quotes",
        "frames",
        "parens",
        "underscores",
        "osc",
        "osc-open",
        "csi",
    ],
)
def test_text_parsing_is_linear(junk):
    assert len(junk) >= 900_000
    start = time.perf_counter()
    parse_text(junk)
    assert time.perf_counter() - start < 1.0
