"""What the project's git history saw change, replayed into a new memory.

A memory speaks about change it saw; a memory started today has seen none.
The last commits of a repository are looks at the code as it was, each at
its commit's time: replaying them before the first scan lets the memory know
that ``price`` gained ``region`` last week, and point at the calls that
predate it, on the day it is installed.

>>> report = learn_history(root, store, commits=20)     # doctest: +SKIP
>>> report.commits, report.first, report.last            # doctest: +SKIP
(20, '3f1c9a2e10', '9be04d1c77')

Only into a memory that holds nothing yet: once it watches the workspace, it
sees the changes itself. The trees are written to a temporary folder (only
the files a commit changed, after the first), never into the work tree, and
git's index is not touched.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store


class HistoryError(Exception):
    """History cannot be replayed; the message is one line for the user."""


@dataclass(slots=True)
class HistoryReport:
    commits: int = 0
    first: str | None = None  # abbreviated ids
    last: str | None = None
    files_read: int = 0


def learn_history(
    root: str | Path,
    store: Store,
    commits: int = 20,
    settings: Settings = Settings(),
    progress: Callable[[int, int, str], None] | None = None,
) -> HistoryReport:
    """Replay the last ``commits`` first-parent commits of the repository at ``root`` (oldest
    first, each scanned and dreamed at its commit time). The work tree itself is the caller's
    next scan."""
    root = Path(root).resolve()
    if store.stats()["files"]:
        raise HistoryError("the memory already holds this workspace; history is replayed only into a new one")
    log = _git(root, "log", "--first-parent", f"--max-count={max(commits, 0)}", "--format=%H %cI", "HEAD")
    entries = [line.split(" ", 1) for line in log.splitlines() if line.strip()][::-1]
    report = HistoryReport()
    if not entries:
        return report
    prefix = _git(root, "rev-parse", "--show-prefix").strip()  # the workspace may be a folder of the repository
    stamp = ""
    with tempfile.TemporaryDirectory(prefix="kairos-history-") as work:
        tree = Path(work)
        previous = None
        for n, (commit, when) in enumerate(entries):
            changed = _write_tree(root, tree, previous, commit, prefix)
            # Commit times may go backwards (a rebase): the memory's looks may not.
            stamp = max(stamp, _utc(when))
            scan = scan_workspace(tree, store, settings, jobs=1, stamp=stamp)
            dream(store, trigger="history")
            report.files_read += scan.parsed
            report.commits += 1
            if progress:
                progress(n + 1, len(entries), f"{commit[:10]} ({changed} files)")
            previous = commit
    report.first, report.last = entries[0][0][:10], entries[-1][0][:10]
    return report


def _write_tree(root: Path, tree: Path, previous: str | None, commit: str, prefix: str) -> int:
    """``tree`` as the workspace was at ``commit``: all of it, or what changed since ``previous``."""
    if previous is None:
        _extract(root, tree, commit, [prefix] if prefix else [], prefix)
        return sum(1 for path in tree.rglob("*") if path.is_file())
    diff = _git(root, "diff", "--name-status", "--no-renames", "-z", previous, commit, "--", prefix or ".")
    fields = diff.split("\0")
    written, removed = [], 0
    for status, path in zip(fields[0::2], fields[1::2]):
        rel = path[len(prefix) :] if prefix and path.startswith(prefix) else path
        if status.startswith("D"):
            target = tree / rel
            if target.is_file():
                target.unlink()
            removed += 1
        else:
            written.append(path)
    for start in range(0, len(written), 200):  # command lines have a length limit
        _extract(root, tree, commit, written[start : start + 200], prefix)
    return len(written) + removed


def _extract(root: Path, tree: Path, commit: str, paths: list[str], prefix: str) -> None:
    """``git archive`` of ``paths`` at ``commit`` unpacked into ``tree`` (the workspace's ``prefix`` in
    the repository stripped)."""
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", commit, "--", *paths], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise HistoryError(f"git archive {commit[:10]} failed: {archive.stderr.decode(errors='replace').strip()}")
    strip = ["--strip-components", str(prefix.count("/"))] if prefix else []
    unpacked = subprocess.run(
        ["tar", "-x", "-C", str(tree), *strip], input=archive.stdout, capture_output=True, check=False
    )
    if unpacked.returncode != 0:
        raise HistoryError(f"cannot unpack {commit[:10]}: {unpacked.stderr.decode(errors='replace').strip()}")


def _git(root: Path, *args: str) -> str:
    if shutil.which("git") is None:
        raise HistoryError("git is not installed")
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise HistoryError(f"git {args[0]}: {first}")
    return done.stdout


def _utc(iso: str) -> str:
    """A commit time as the store writes times: ``2026-12-01T14:50:02.000Z``."""
    moment = datetime.fromisoformat(iso.strip()).astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
