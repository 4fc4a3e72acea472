"""Reports captured from real tools, ingested onto the symbols of the projects they came from.

``tests/fixtures/reports`` holds what pytest, jest, vitest, ruff, mypy, eslint and
tsc wrote about two small projects, and ``projects/`` those projects' sources.
Each test scans a copy of a project, ingests a report the way a user would
(``kairos ingest --base DIR``: the report was made in another folder), and
checks what the memory now says where a user would look: which test failed,
which project functions the exception went through, which symbol a linter
finding lands on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from workspaces import kairos, problems

from kairos_lsp import terminal
from kairos_lsp.ingest import Places, observations
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

REPORTS = Path(__file__).parent / "fixtures" / "reports"
BASES = {"py": "/tmp/pyfix", "js": "/tmp/jsfix"}  # where the tools ran (fixtures/reports/README.md)


@pytest.fixture
def project(tmp_path: Path, request) -> tuple[Path, Store]:
    name = request.param
    root = tmp_path / name
    shutil.copytree(REPORTS / "projects" / name, root)
    (root / ".git").mkdir()
    store = Store.for_workspace(root)
    scan_workspace(root, store, jobs=1)
    yield root, store
    store.close()


def ingest(root: Path, report: str, *extra: str) -> str:
    base = BASES["py" if (root / "calc").exists() else "js"]
    done = kairos("ingest", "--base", base, str(REPORTS / report), *extra, cwd=root)
    assert done.returncode == 0, done.stderr
    return done.stdout


def marked(store: Store, root: Path, path: str) -> dict[str, str]:
    language = language_for_path(path).name
    return {p.subject.rsplit(":", 1)[-1]: p.message for p in problems(Knowledge(store), root, path, language)}


@pytest.mark.parametrize("project", ["py"], indirect=True)
@pytest.mark.parametrize("report", ["pytest-junit.xml", "pytest-long.txt", "pytest-short.txt"])
def test_a_pytest_failure_marks_the_test_and_both_modules_its_traceback_crossed(project, report):
    root, store = project
    ingest(root, report)
    tests = marked(store, root, "tests/test_calc.py")
    assert "ValueError" in tests["TestCalc.test_total"] and "calc/parse.py" in tests["TestCalc.test_total"]
    assert "assert 2 == 3" in tests["TestCalc.test_add"]
    assert "TestCalc.test_passes" not in tests
    # the exception went through calc/core.py's total and was raised in calc/parse.py's parse_number
    assert "ValueError: not a number: 'x' went through here" in marked(store, root, "calc/core.py")["total"]
    assert "parse_number" in marked(store, root, "calc/parse.py")


@pytest.mark.parametrize("project", ["py"], indirect=True)
def test_a_passing_test_in_a_later_report_clears_its_failure(project):
    root, store = project
    ingest(root, "pytest-junit.xml")
    assert "TestCalc.test_total" in marked(store, root, "tests/test_calc.py")
    passing = root / "passing.xml"
    passing.write_text(
        '<testsuites><testsuite name="pytest"><testcase classname="tests.test_calc.TestCalc" '
        'name="test_total" time="0.01"/></testsuite></testsuites>'
    )
    ingest(root, str(passing))
    assert "TestCalc.test_total" not in marked(store, root, "tests/test_calc.py")
    assert "total" not in marked(store, root, "calc/core.py")
    assert Knowledge(store).last_test("python:tests/test_calc.py:TestCalc.test_total")["failures"] == 1


@pytest.mark.parametrize("project", ["py"], indirect=True)
@pytest.mark.parametrize("report, tool", [("ruff.sarif", "ruff"), ("mypy.txt", "mypy")])
def test_linter_findings_land_on_the_symbol_they_point_into(project, report, tool):
    root, store = project
    ingest(root, report)
    parsed = terminal.read_report(REPORTS / report) or terminal.parse_text((REPORTS / report).read_text())
    places = Places(store, root, base=BASES["py"])
    found, counts = observations(parsed, places)
    assert counts.findings == len(parsed.findings) and counts.unplaced == 0
    for finding in parsed.findings:
        key = places.symbol(finding.path, finding.line)
        row = store.symbol(key)
        if row is not None:  # inside a function: its range holds the line
            assert row["start_line"] < finding.line <= row["end_line"] + 1
        lint = Knowledge(store).lint(key, limit=20)
        assert any(f"(line {finding.line})" in item["finding"] and tool in item["finding"] for item in lint)


@pytest.mark.parametrize("project", ["js"], indirect=True)
@pytest.mark.parametrize("report", ["jest-junit.xml", "jest.txt", "vitest-junit.xml"])
def test_a_js_failure_marks_the_functions_its_stack_went_through(project, report):
    root, store = project
    out = ingest(root, report)
    assert "not placed" not in out
    source = "src/math.js" if report.startswith("jest") else "vt/math.ts"
    functions = marked(store, root, source)
    assert "TypeError: not a price: x went through here" in functions["parsePrice"]
    assert "total" in functions


@pytest.mark.parametrize("project", ["js"], indirect=True)
@pytest.mark.parametrize("report", ["eslint.sarif", "tsc.txt", "tsc-pretty.txt"])
def test_js_findings_are_all_placed(project, report):
    root, store = project
    out = ingest(root, report, "--json")
    assert '"unplaced": 0' in out and '"findings": 0' not in out


@pytest.mark.parametrize("project", ["py"], indirect=True)
def test_a_traceback_outside_a_test_marks_the_functions_it_crossed_as_raised(project):
    root, store = project
    ingest(root, "python-traceback.txt")
    knowledge = Knowledge(store)
    raised = store.db.execute("SELECT subject, object FROM observations WHERE predicate = 'raised'").fetchall()
    assert raised and all(subject.startswith("python:crash.py") for subject, _ in raised)
    assert not knowledge.failed_tests()  # no test failed: nothing to mark as a recent failure


@pytest.mark.parametrize("project", ["py"], indirect=True)
@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite>',  # entity expansion
        '<testsuites><testsuite name="pytest"><testcase name="test_add"',  # cut short
        '{"version": "2.1.0", "runs": [{"results": [',  # SARIF cut short
    ],
)
def test_a_malformed_report_is_one_line_and_nothing_is_stored(project, text):
    root, store = project
    good, bad = REPORTS / "pytest-junit.xml", root / "bad.report"
    bad.write_text(text)
    done = kairos("ingest", str(good), str(bad), cwd=root, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "bad.report" in done.stderr
    assert store.runs() == []  # the good report before it is not half-recorded either
