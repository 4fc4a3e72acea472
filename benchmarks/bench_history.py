"""Diagnostics on a real project's history: what they catch, and what becomes of each.

    python benchmarks/bench_history.py GIT_DIR [--commits N] [--every K] [--until REV] [--show N]
    python benchmarks/bench_history.py GIT_DIR --revs 2.2.0 3.1.8   # a release, then a later one

Replays the last N first-parent commits of a git repository (a clone or a bare
mirror) into one memory, the way a user who keeps kairos open while pulling
would: for every K-th commit it checks the tree out, scans, dreams and checks
every source file. Each warning (``stale-call``, ``renamed-symbol``,
``missing-symbol``, ``docstring-drift``) is followed from the commit where it
first appears to its fate:

* ``site changed``: the flagged line was later edited or removed, and the
  warning went with it (the authors changed the call the memory pointed at);
* ``cleared elsewhere``: the warning went while the flagged line stayed (the
  callee took the old form back, e.g. a default for the new parameter; the
  import a call goes through was fixed; the docstring was completed);
* ``still there``: flagged at the last commit replayed (a site left broken,
  or a false alarm: the line is printed to judge).

The first commit replayed is the first scan: it must raise nothing.

``--revs`` replays exactly the revisions given, in that order: two release tags are
a user who pulls months of work at once; every warning at the later one is on
released code, so a false alarm unless the authors left a site broken.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kairos_lsp.checks import DEPRECATED_SYMBOL, DOCSTRING_DRIFT, MISSING_SYMBOL, RENAMED_SYMBOL, STALE_CALL, check_file
from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.scan import iter_source_files, scan_workspace
from kairos_lsp.store import Store

ALARMS = (STALE_CALL, RENAMED_SYMBOL, MISSING_SYMBOL, DOCSTRING_DRIFT, DEPRECATED_SYMBOL)


@dataclass
class Alarm:
    code: str
    path: str
    text: str  # the flagged line, stripped
    message: str
    first: str  # commit where it appeared
    fate: str = "still there"


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True).stdout


def last_commits(git_dir: Path, n: int, until: str = "HEAD") -> tuple[Path, list[str]]:
    """(the git folder of a clone or a bare mirror, its last ``n`` first-parent commits up to
    ``until``, oldest first)."""
    git_dir = git_dir / ".git" if (git_dir / ".git").is_dir() else git_dir
    return git_dir, git(git_dir, "rev-list", "--first-parent", f"--max-count={n}", until).split()[::-1]


def checkout(git_dir: Path, commit: str, tree: Path) -> None:
    """The tree exactly as at ``commit`` (files of other commits removed), what a scan reads of
    it: source files and ignore files (a mirror may lack other big blobs, images or design
    files, which a whole-tree ``git archive`` fails on)."""
    for child in tree.iterdir():
        if child.name != ".kairos":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    listed = git(git_dir, "ls-tree", "-r", "--name-only", "-z", commit).split("\0")
    read = [path for path in listed if path and (language_for_path(path) or path.endswith(".gitignore"))]
    for at in range(0, len(read), 2000):  # (a command line each)
        command = ["git", "--literal-pathspecs", f"--git-dir={git_dir}", "archive", commit, "--", *read[at : at + 2000]]
        archive = subprocess.run(command, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)


def alarms_of(knowledge: Knowledge, tree: Path) -> dict[tuple[str, str, str], str]:
    """``{(code, path, flagged line): message}`` over every source file."""
    found = {}
    for rel in iter_source_files(tree):
        spec = language_for_path(rel)
        source = (tree / rel).read_bytes()
        for problem in check_file(knowledge, rel, spec.name, source, parse(source, spec.name)):
            if problem.code in ALARMS:
                line = source.split(b"\n")[problem.start[0]].decode("utf-8", "replace").strip()
                found[(problem.code, rel, line)] = problem.message
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir", type=Path, help="a repository's .git folder, or a bare mirror")
    parser.add_argument("--commits", type=int, default=150, help="how many of the last commits (first parent)")
    parser.add_argument("--every", type=int, default=1, help="replay every K-th commit (the last always)")
    parser.add_argument("--until", default="HEAD", help="the last commit to replay (default HEAD)")
    parser.add_argument("--show", type=int, default=20, help="print this many alarms of each fate")
    parser.add_argument("--revs", nargs="+", metavar="REV", help="replay exactly these revisions, in order")
    args = parser.parse_args()
    if args.revs:
        git_dir = args.git_dir / ".git" if (args.git_dir / ".git").is_dir() else args.git_dir
        commits = replayed = [git(git_dir, "rev-parse", f"{rev}^{{commit}}").strip() for rev in args.revs]
    else:
        git_dir, commits = last_commits(args.git_dir, args.commits, args.until)
        replayed = [c for i, c in enumerate(commits) if i % args.every == 0 or c == commits[-1]]

    started = time.perf_counter()
    alarms: dict[tuple[str, str, str], Alarm] = {}
    first_scan = 0
    with tempfile.TemporaryDirectory(prefix="kairos-history-") as work:
        tree = Path(work) / "tree"
        tree.mkdir()
        store = Store(tree / ".kairos" / "memory.db")
        knowledge = Knowledge(store)
        for n, commit in enumerate(replayed):
            checkout(git_dir, commit, tree)
            scan_workspace(tree, store, Settings())
            dream(store, trigger="history")
            now = alarms_of(knowledge, tree)
            if n == 0:
                first_scan = len(now)
            for key, alarm in list(alarms.items()):
                if alarm.fate == "still there" and key not in now:
                    lines = {line.strip() for line in _read(tree / key[1]).split("\n")}
                    alarm.fate = "cleared elsewhere" if key[2] in lines else "site changed"
            for key, message in now.items():
                if key not in alarms or alarms[key].fate != "still there":
                    alarms[key] = Alarm(key[0], key[1], key[2], message, commit[:10])
            print(f"\r{n + 1}/{len(replayed)} commits, {len(alarms)} warnings so far", end="", file=sys.stderr)
        store.close()
    print(file=sys.stderr)
    seconds = time.perf_counter() - started

    fates = ("site changed", "cleared elsewhere", "still there")
    print(f"{git_dir}: {len(replayed)} commits replayed ({commits[0][:10]}..{commits[-1][:10]}) in {seconds:.0f} s")
    print(f"first scan: {first_scan} warnings (goal 0)")
    print(f"{'code':<16}" + "".join(f"{f:>22}" for f in fates))
    for code in ALARMS:
        counts = [sum(a.code == code and a.fate == f for a in alarms.values()) for f in fates]
        print(f"{code:<16}" + "".join(f"{c:>22}" for c in counts))
    for fate in fates:
        shown = [a for a in alarms.values() if a.fate == fate][: args.show]
        if shown:
            print(f"\n{fate}:")
        for a in shown:
            print(f"  {a.first} {a.path}: {a.code}: {a.text[:90]}\n      {a.message[:200]}")
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
