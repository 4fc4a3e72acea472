"""Small real workspaces for tests: files written to disk, scanned into a real SQLite store,
dreamed, and checked file by file; and the ``kairos`` command run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kairos_lsp import watch, workers
from kairos_lsp.checks import check_file
from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store


def write(root: Path, files: dict[str, str | None]) -> None:
    """Files written under ``root`` (None: deleted)."""
    for rel, text in files.items():
        if text is None:
            (root / rel).unlink()
        else:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)


def lower_inotify_limit(headroom: int) -> str:
    """Set the system's limit of inotify watches to what all processes hold now plus
    ``headroom``; the limit before (to write back). Skips the test where it may not."""
    if not os.access(watch.INOTIFY_LIMIT, os.W_OK):
        pytest.skip("needs a writable fs.inotify.max_user_watches (root, or a user namespace of one's own)")
    before = watch.INOTIFY_LIMIT.read_text()
    in_use = sum(watch.inotify_watches(pid) or 0 for pid in filter(str.isdigit, os.listdir("/proc")))
    watch.INOTIFY_LIMIT.write_text(str(in_use + headroom))
    return before


def workspace(root: Path, files: dict[str, str]) -> Knowledge:
    """``files`` written under ``root`` and scanned (not dreamed) into ``root/.kairos/memory.db``."""
    write(root, dict(files))
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, Settings())
    return Knowledge(store)


def rewrite(knowledge: Knowledge, root: Path, files: dict[str, str | None]) -> None:
    """Files changed (None: deleted), then a scan and a dream: the memory sees the change."""
    write(root, files)
    scan_workspace(root, knowledge.store, Settings())
    dream(knowledge.store, trigger="test")


def problems(knowledge: Knowledge, root: Path, rel: str, language: str = "python"):
    """What the checks find in ``rel`` as it is on disk."""
    source = (root / rel).read_bytes()
    return check_file(knowledge, rel, language, source, parse(source, language))


REPO = Path(__file__).resolve().parents[1]


def kairos(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True, **kwargs):
    """``kairos ARGS`` in a subprocess, as a user runs it (``KAIROS_STORE`` unset unless ``env`` sets it)."""
    environment = {key: value for key, value in os.environ.items() if key != "KAIROS_STORE"}
    environment.update({"PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})})
    result = subprocess.run(
        [sys.executable, "-m", "kairos_lsp.cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def released_kairos(commit: str, folder: Path) -> Path | None:
    """The ``kairos_lsp`` package of an earlier ``commit`` of this repository, unpacked
    under ``folder`` (run it with ``env={"PYTHONPATH": str(folder)}``): memories written
    by the kairos of before, made by that kairos itself. None without the git history."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "kairos_lsp"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


class KilledChild(workers.Child):
    """A child process killed (as the out-of-memory killer would) once it is given a call:
    ``monkeypatch.setattr(workers, "Child", KilledChild)``."""

    def send(self, target, args):
        number = super().send(target, args)
        self.kill()
        return number
