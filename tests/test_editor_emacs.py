"""kairos-lsp in Emacs through eglot (Debian's emacs-nox and elpa-eglot), in batch mode: the
server starts from ``eglot-server-programs``, scans, answers a hover and workspace commands.
Skipped, with the reason, without emacs and eglot; .ci/editors installs them, and .ci/run requires them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SESSION = Path(__file__).parent / "editors" / "emacs_session.el"


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> dict:
    emacs = shutil.which("emacs")
    if emacs is None:
        reason = "no emacs (apt-get install emacs-nox elpa-eglot, or run .ci/editors)"
        if os.environ.get("KAIROS_EDITOR_TESTS") == "required":
            pytest.fail(f"KAIROS_EDITOR_TESTS=required, but {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("emacs") / "shop"
    shutil.copytree(REPO / "kairos_lsp" / "demo", root, ignore=shutil.ignore_patterns("__pycache__", ".kairos"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)  # project.el finds the project by its VCS
    out = root.parent / "result.json"
    env = {
        **os.environ,
        "KAIROS_TEST_ROOT": str(root),
        "KAIROS_TEST_SERVER": str(Path(sys.executable).parent / "kairos-lsp"),
        "KAIROS_TEST_OUT": str(out),
        "HOME": str(root.parent),
    }
    env.pop("KAIROS_STORE", None)
    proc = subprocess.run(
        [emacs, "--batch", "-l", str(SESSION)], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    if "Cannot open load file" in proc.stderr and "eglot" in proc.stderr:
        pytest.skip("emacs has no eglot (apt-get install elpa-eglot)")
    assert out.exists(), f"emacs exited {proc.returncode}: {proc.stderr[-3000:]}"
    return json.loads(out.read_text())


def test_eglot_starts_kairos_and_the_scan_runs(session):
    assert session["server_name"] == "kairos-lsp"
    assert session["files"] == 5


def test_eglot_hover(session):
    assert "def price_with_tax(amount: float, rate: float = TAX_RATE) -> float" in session["hover"]
    assert "Add tax to a net amount, rounded to cents." in session["hover"]


def test_eglot_workspace_command(session):
    assert session["review_changes"] == 0  # nothing changed yet


def test_shutdown_is_answered(session):
    # eglot waits 1.5 s for the answer to `shutdown`, then kills the server (measured, not asserted below 1.5 s)
    assert session["shutdown_seconds"] < 30
