"""A change the memory learns from the project's git history counts as seen: replayed into a new
memory, last week's signature change flags the calls that predate it, citing the commit's time."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from workspaces import kairos, problems, write

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.history import HistoryError, learn_history
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

PRICING = "def price(amount{extra}):\n    return amount * 1.2\n"
SHOP = "from pricing import price\n\n\ndef checkout(total):\n    return price(total)\n"


def commit(root: Path, message: str, files: dict[str, str | None], date: str) -> None:
    write(root, files)
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message],
        check=True,
        env=env,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    commit(
        root,
        "first",
        {"pricing.py": PRICING.format(extra=""), "shop.py": SHOP, "old.py": "def legacy():\n    return 1\n"},
        "2026-11-20T09:00:00+01:00",
    )
    commit(root, "price takes a region", {"pricing.py": PRICING.format(extra=", region")}, "2026-11-24T15:30:00+01:00")
    commit(root, "drop old.py", {"old.py": None}, "2026-11-25T10:00:00+01:00")
    return root


def test_history_makes_a_past_change_seen(repo: Path):
    store = Store(repo / ".kairos" / "memory.db")
    report = learn_history(repo, store, commits=10)
    assert report.commits == 3
    scan_workspace(repo, store, Settings())
    dream(store, trigger="test")
    found = problems(Knowledge(store), repo, "shop.py")
    assert [(p.code, p.start[0]) for p in found] == [("stale-call", 4)]
    assert "`price` gained `region` on 2026-11-24 14:30 UTC (pricing.py); this call predates it" in found[0].message
    assert store.symbol("python:old.py:legacy") is None  # the deleted file is gone from the memory too


def test_without_history_the_same_code_raises_nothing(repo: Path):
    store = Store(repo / ".kairos" / "memory.db")
    scan_workspace(repo, store, Settings())
    dream(store, trigger="test")
    assert problems(Knowledge(store), repo, "shop.py") == []


def test_history_goes_only_into_a_new_memory_and_only_from_git(repo: Path, tmp_path: Path):
    store = Store(repo / ".kairos" / "memory.db")
    scan_workspace(repo, store, Settings())
    with pytest.raises(HistoryError, match="already holds"):
        learn_history(repo, store)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(HistoryError, match="git"):
        learn_history(plain, Store(plain / ".kairos" / "memory.db"))
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""  # the work tree and the index are untouched


def test_the_cli_replays_history_before_the_scan(repo: Path):
    kairos("scan", "--history", "10", "-q", cwd=repo)
    check = kairos("check", "shop.py", cwd=repo, check=False)
    assert check.returncode == 1 and "stale-call: `price` gained `region` on 2026-11-24 14:30 UTC" in check.stdout
    again = kairos("scan", "--history", "10", cwd=repo, check=False)
    assert again.returncode == 2 and again.stderr.strip().startswith("kairos: --history: the memory already holds")
