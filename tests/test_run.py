"""``kairos run`` end to end: real commands, real pytest and ruff, the real memory.

What a user notices: the command behaves as if run bare (its output, its exit
code), and afterwards the memory knows what happened: which test failed and
which project functions the exception went through, which lines a linter
flagged, that a passing rerun cleared the failure, and that a test which
passes and fails against the same code is flaky.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workspaces import kairos, problems, workspace

from kairos_lsp.dream import dream
from kairos_lsp.features.hover import render
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.store import RUN_OUTPUT_BYTES, RUNS_WITH_OUTPUT, Store

OPS = "def div(a, b):\n    return a / b\n"
STATS = "from shop.ops import div\n\n\ndef mean(xs):\n    return div(sum(xs), len(xs))\n"
TESTS = (
    "from shop.stats import mean\n\n\ndef test_mean():\n    assert mean({values}) == 0\n\n\n"
    "def test_one():\n    assert mean([2]) == 2\n"
)
FAILING = TESTS.format(values="[]")  # ZeroDivisionError raised in shop/ops.py, through shop/stats.py
PASSING = TESTS.format(values="[0]")


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    workspace(
        root,
        {"shop/__init__.py": "", "shop/ops.py": OPS, "shop/stats.py": STATS, "tests/test_stats.py": FAILING},
    ).store.close()
    return root


def run(root: Path, *command: str, wait: bool = True) -> subprocess.CompletedProcess:
    """``kairos run`` as a user types it (the console script's path: the light front)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIROS_")}
    env["PYTHONPATH"] = str(root)
    args = [sys.executable, "-c", "import sys; from kairos_lsp.__main__ import kairos; sys.exit(kairos())", "run"]
    return subprocess.run(
        [*args, *(["--wait"] if wait else []), "--", *command],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def pytest_command() -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]


def hover(store: Store, key: str) -> str:
    return render(Knowledge(store).card(key), store.symbol(key), "python")


def marked(root: Path, path: str) -> dict[str, str]:
    with Store.for_workspace(root) as store:
        return {p.subject.rsplit(":", 1)[-1]: p.message for p in problems(Knowledge(store), root, path)}


def wait_for_run(root: Path, count: int, deadline: float = 60.0) -> list[dict]:
    """The background recorder's work, once it has finished ``count`` runs."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if (root / ".kairos" / "memory.db").exists():
            with Store.for_workspace(root) as store:
                runs = store.runs()
            if len(runs) >= count and all(r["exit_code"] is not None for r in runs):
                return runs
        time.sleep(0.2)
    raise AssertionError(f"the run was not recorded within {deadline} s")


def test_a_failing_pytest_run_marks_the_test_and_the_two_modules_then_a_passing_rerun_clears_it(shop: Path):
    failed = run(shop, *pytest_command(), wait=False)
    assert failed.returncode == 1  # the command's own exit code
    assert "ZeroDivisionError" in failed.stdout and "1 failed, 1 passed" in failed.stdout  # its output, live
    runs = wait_for_run(shop, 1)  # recorded in the background
    assert runs[0]["exit_code"] == 1 and "pytest" in runs[0]["command"] and runs[0]["duration_ms"] > 0

    assert "ZeroDivisionError at shop/ops.py:2" in marked(shop, "tests/test_stats.py")["test_mean"]
    assert "test_one" not in marked(shop, "tests/test_stats.py")
    assert "ZeroDivisionError: division by zero went through here" in marked(shop, "shop/stats.py")["mean"]
    assert "went through here" in marked(shop, "shop/ops.py")["div"]

    with Store.for_workspace(shop) as store:
        text = hover(store, "python:tests/test_stats.py:test_mean")
        assert "**failed its last run**; last: ZeroDivisionError at shop/ops.py:2" in text

    (shop / "tests" / "test_stats.py").write_text(PASSING)
    passed = run(shop, *pytest_command())
    assert passed.returncode == 0, passed.stdout
    assert marked(shop, "tests/test_stats.py") == {}
    assert marked(shop, "shop/ops.py") == {} and marked(shop, "shop/stats.py") == {}
    with Store.for_workspace(shop) as store:
        assert "failed 1 of the last 2 runs; passed the last" in hover(store, "python:tests/test_stats.py:test_mean")


def test_a_test_that_passes_and_fails_on_the_same_code_is_flaky_and_a_fixed_one_is_not(shop: Path, tmp_path: Path):
    coin = tmp_path / "coin"  # outside the workspace: the code stays the same, the outcome does not
    (shop / "tests" / "test_coin.py").write_text(
        f"from pathlib import Path\n\n\ndef test_coin():\n    assert Path({str(coin)!r}).exists()\n"
    )
    run(shop, *pytest_command())  # test_coin fails, test_mean fails
    coin.write_text("heads")
    (shop / "tests" / "test_stats.py").write_text(PASSING)  # test_mean fixed: the code changed
    run(shop, *pytest_command())  # both pass
    with Store.for_workspace(shop) as store:
        dream(store, trigger="test")
        knowledge = Knowledge(store)
        coin_card = knowledge.card("python:tests/test_coin.py:test_coin")
        assert [(f["predicate"], f["status"]) for f in coin_card.insights if f["predicate"] == "flaky"] == [
            ("flaky", "tentative")
        ]
        assert "flaky" in hover(store, "python:tests/test_coin.py:test_coin")
        mean = knowledge.card("python:tests/test_stats.py:test_mean")
        assert not [f for f in mean.insights if f["predicate"] == "flaky"]


def test_the_exit_code_and_output_pass_through_and_a_missing_command_is_one_line(shop: Path):
    done = run(shop, sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(7)")
    assert (done.returncode, done.stdout) == (7, "out\n")  # stdout is the command's alone
    assert done.stderr.startswith("err\n") and "kairos: run 1 recorded" in done.stderr
    missing = run(shop, "kairos-no-such-command-here")
    assert missing.returncode == 127 and len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr
    with Store.for_workspace(shop) as store:
        runs = store.runs(with_output=True)
    assert [r["exit_code"] for r in runs] == [7]  # the command that never started is not a run
    assert b"out" in runs[0]["output"] and b"err" in runs[0]["output"]


def test_ruff_findings_from_the_real_tool_land_on_their_symbols(shop: Path):
    (shop / "shop" / "lint.py").write_text("import os\n\n\ndef unused():\n    value = 1\n    return None\n")
    kairos("scan", ".", "-q", cwd=shop)
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F"]
    done = run(shop, *ruff, "--output-format", "sarif", "-o", "ruff.sarif", "shop/lint.py")
    assert done.returncode == 1 and (shop / "ruff.sarif").exists()  # ruff found something, and said so
    with Store.for_workspace(shop) as store:
        knowledge = Knowledge(store)
        inside = knowledge.lint("python:shop/lint.py:unused")
        module = knowledge.lint("python:shop/lint.py")
    assert any("F841" in f["finding"] and "(line 5)" in f["finding"] for f in inside)
    assert any("F401" in f["finding"] and "(line 1)" in f["finding"] for f in module)


def test_a_command_line_from_the_shell_hook_is_remembered_without_its_output(shop: Path):
    kairos("record-command", "--exit", "3", "--duration", "1.5", "--cwd", str(shop), "--", "make", "test", cwd=shop)
    listed = kairos("runs", "--json", cwd=shop).stdout
    assert '"command": "make test"' in listed and '"exit_code": 3' in listed and '"duration_ms": 1500' in listed
    outside = shop.parent / "elsewhere"
    outside.mkdir()
    kairos("record-command", "--exit", "0", "--cwd", str(outside), "--", "ls", cwd=outside)
    assert not (outside / ".kairos").exists()  # a folder kairos keeps no memory of is left alone


def test_only_the_latest_runs_keep_their_output_and_only_its_last_megabyte(tmp_path: Path):
    store = Store(tmp_path / "memory.db")
    big = b"x" * (RUN_OUTPUT_BYTES + 10) + b"THE END"
    for n in range(RUNS_WITH_OUTPUT + 3):
        store.finish_run(store.start_run(f"make {n}", "."), 0, 10, b"run %d" % n)
    store.finish_run(store.start_run("make big", "."), 0, 10, big)
    runs = store.runs(limit=100, with_output=True)
    kept = [r for r in runs if r["output"] is not None]
    assert len(runs) == RUNS_WITH_OUTPUT + 4 and len(kept) == RUNS_WITH_OUTPUT
    assert kept[-1]["command"] == "make 4"  # the oldest runs lost their output, not their record
    assert len(kept[0]["output"]) == RUN_OUTPUT_BYTES and kept[0]["output"].endswith(b"THE END")
    store.close()
