"""The pytest plugin on its own: real pytest runs of a small project record exact outcomes.

A failing run marks the failed test and the function it calls (``recent-failure``,
citing the assertion and where it failed); a passing rerun clears it; a run
without ``KAIROS_RECORD=1`` records nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from workspaces import problems, workspace

from kairos_lsp.knowledge import Knowledge
from kairos_lsp.pytest_plugin import key_of
from kairos_lsp.store import Store

CALC = "def add(a, b):\n    return a + b\n\n\ndef double(x):\n    return add(x, x)\n"
TESTS = (
    "import pytest\n\nfrom shop.calc import add, double\n\n\n"
    "class TestCalc:\n    @pytest.mark.parametrize('n', [1, 2])\n    def test_double(self, n):\n"
    "        assert double(n) == 2 * n\n\n\n"
    "def test_add():\n    assert add(2, 2) == {expected}\n\n\n"
    "@pytest.mark.skip\ndef test_later():\n    assert False\n"
)


def run_pytest(root: Path, record: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIROS_")}
    env["PYTHONPATH"] = str(root)
    if record:
        env["KAIROS_RECORD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)  # the workspace root, as a repository's would be
    workspace(root, {"shop/__init__.py": "", "shop/calc.py": CALC, "tests/test_calc.py": TESTS.format(expected=5)})
    return root


def test_a_failing_run_marks_the_test_and_what_it_calls_and_a_passing_rerun_clears_it(project: Path):
    failed = run_pytest(project)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "kairos: 2 test outcomes recorded" in failed.stdout  # two parametrized cases are one test; skip says nothing
    knowledge = Knowledge(Store(project / ".kairos" / "memory.db"))
    outcome = knowledge.last_test("python:tests/test_calc.py:test_add")
    assert outcome["failed"] and "assert 4 == 5" in outcome["detail"] and "tests/test_calc.py:13" in outcome["detail"]
    assert knowledge.last_test("python:tests/test_calc.py:TestCalc.test_double")["failed"] is False
    assert knowledge.last_test("python:tests/test_calc.py:test_later") is None

    marked = [(p.code, p.subject) for p in problems(knowledge, project, "shop/calc.py")]
    assert marked == [("recent-failure", "python:shop/calc.py:add")]
    own = problems(knowledge, project, "tests/test_calc.py")
    assert [(p.code, p.subject) for p in own] == [("recent-failure", "python:tests/test_calc.py:test_add")]
    assert "assert 4 == 5" in own[0].message

    (project / "tests" / "test_calc.py").write_text(TESTS.format(expected=4))
    passed = run_pytest(project)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert problems(knowledge, project, "shop/calc.py") == []


def test_without_kairos_record_nothing_is_recorded(project: Path):
    run = run_pytest(project, record=False)
    assert run.returncode == 1 and "kairos:" not in run.stdout
    assert Knowledge(Store(project / ".kairos" / "memory.db")).failed_tests() == {}


@pytest.mark.parametrize(
    "nodeid,key",
    [
        ("tests/test_a.py::test_x", "python:tests/test_a.py:test_x"),
        ("tests/test_a.py::TestA::test_y[1-a]", "python:tests/test_a.py:TestA.test_y"),
        ("tests/test_a.py::TestA::Inner::test_z", "python:tests/test_a.py:TestA.Inner.test_z"),
    ],
)
def test_node_ids_become_symbol_keys(nodeid: str, key: str):
    assert key_of(nodeid, "tests/test_a.py") == key


def test_one_failing_case_fails_a_parametrized_test(project: Path):
    (project / "tests" / "test_calc.py").write_text(
        "import pytest\n\nfrom shop.calc import double\n\n\n"
        "@pytest.mark.parametrize('n', [1, 2, 3])\ndef test_double(n):\n    assert double(n) != 4\n"
    )
    run_pytest(project)
    outcome = Knowledge(Store(project / ".kairos" / "memory.db")).last_test("python:tests/test_calc.py:test_double")
    assert outcome["failed"] and "assert 4 != 4" in outcome["detail"]
