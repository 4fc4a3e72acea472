"""Git histories built in a test, replayed into a real memory one commit at a time.

A :class:`History` is a real git repository in a temporary folder. A test
writes its commits first (:meth:`History.commit`), then :meth:`History.replay`
checks each one out in order, scans it into one store, dreams, and checks
every source file of the workspace, as an editor would after each pull.

The store lives in ``.kairos/`` under the repository, which git never sees
(the store writes its own ``.gitignore`` there).

What a check flags is compared as a set of :class:`Flag` — (path, 1-based
line, code) — against the sites a test expects, which it names by a unique
fragment of their line (:func:`site`), so the expectations read like the code.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kairos_lsp.checks import Problem, check_file
from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.scan import iter_source_files, scan_workspace
from kairos_lsp.store import Store

GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
GIT_CONFIG = [
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@t",
    "-c",
    "init.defaultBranch=main",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "advice.detachedHead=false",
]


@dataclass(frozen=True, order=True)
class Flag:
    """One flagged site: a workspace-relative path, a 1-based line, a diagnostic code."""

    path: str
    line: int
    code: str


@dataclass
class Seen:
    """One problem a check reported, with the line it sits on."""

    flag: Flag
    problem: Problem
    text: str  # the flagged line as it reads in the file

    def __str__(self) -> str:
        return f"{self.flag.path}:{self.flag.line} {self.flag.code} | {self.text.strip()} | {self.problem.message}"


@dataclass
class Snapshot:
    """What the checks said about the whole workspace after one commit was scanned and dreamed."""

    commit: str
    message: str
    seen: list[Seen] = field(default_factory=list)

    @property
    def flags(self) -> set[Flag]:
        return {s.flag for s in self.seen}


class History:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.commits: list[tuple[str, str]] = []  # (sha, message)
        self.store: Store | None = None
        self.knowledge: Knowledge | None = None
        self.git("init", "-q")

    def git(self, *args: str, raw: bool = False) -> str:
        done = subprocess.run(["git", *GIT_CONFIG, *args], cwd=self.root, env=GIT_ENV, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout if raw else done.stdout.strip()

    # -- building ---------------------------------------------------------------

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        """Write (or, for None, delete) ``files`` and commit them; returns the commit's sha."""
        for rel, text in files.items():
            path = self.root / rel
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        self.git("add", "--all", "--", ".")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        sha = self.git("rev-parse", "HEAD")
        self.commits.append((sha, message))
        return sha

    # -- replaying ----------------------------------------------------------------

    def replay(self) -> list[Snapshot]:
        """Check out every commit in order; after each, scan, dream and check the workspace."""
        self.store = Store(self.root / ".kairos" / "memory.db")
        self.knowledge = Knowledge(self.store)
        snapshots = []
        for sha, message in self.commits:
            self.git("checkout", "-q", "--detach", sha)
            snapshots.append(self.rescan(message, sha))
        return snapshots

    def rescan(self, message: str = "worktree", sha: str = "") -> Snapshot:
        """Scan and dream what the worktree holds now, then check every source file."""
        assert self.store is not None, "replay() first"
        scan_workspace(self.root, self.store, Settings())
        dream(self.store, trigger="test")
        return Snapshot(sha, message, self.check())

    def check(self) -> list[Seen]:
        """Every problem in every source file of the workspace, in path and position order."""
        assert self.knowledge is not None, "replay() first"
        seen = []
        for rel in iter_source_files(self.root):
            for problem in self.problems(rel):
                seen.append(
                    Seen(Flag(rel, problem.start[0] + 1, problem.code), problem, self.line(rel, problem.start[0] + 1))
                )
        return seen

    def problems(self, rel: str) -> list[Problem]:
        language = language_for_path(rel).name
        source = (self.root / rel).read_bytes()
        return check_file(self.knowledge, rel, language, source, parse(source, language))

    # -- reading the worktree -----------------------------------------------------------

    def read(self, rel: str, at: str = "") -> str:
        """``rel`` as the worktree holds it, or as commit ``at`` held it."""
        return self.git("show", f"{at}:{rel}", raw=True) if at else (self.root / rel).read_text()

    def line(self, rel: str, number: int, at: str = "") -> str:
        try:
            lines = self.read(rel, at).split("\n")
        except (OSError, RuntimeError):
            return "<no such file>"
        return lines[number - 1] if 0 < number <= len(lines) else "<no such line>"

    def line_of(self, rel: str, fragment: str, at: str = "") -> int:
        """The 1-based line of the one line of ``rel`` holding ``fragment`` (in the worktree, or at ``at``)."""
        hits = [n for n, text in enumerate(self.read(rel, at).split("\n"), 1) if fragment in text]
        assert len(hits) == 1, f"{fragment!r} must be on exactly one line of {rel}, found on lines {hits}"
        return hits[0]

    def site(self, rel: str, fragment: str, code: str, at: str = "") -> Flag:
        """The flag a check should raise on the line of ``rel`` holding ``fragment``."""
        return Flag(rel, self.line_of(rel, fragment, at), code)

    def span_text(self, rel: str, problem: Problem) -> str:
        """The text a problem's range covers (rows and UTF-8 byte columns, as check_file gives them)."""
        lines = self.read(rel).encode().split(b"\n")
        (r0, c0), (r1, c1) = problem.start, problem.end
        if r0 == r1:
            return lines[r0][c0:c1].decode()
        return b"\n".join([lines[r0][c0:], *lines[r0 + 1 : r1], lines[r1][:c1]]).decode()


def describe(history: History, snapshot: Snapshot, expected: set[Flag]) -> str:
    """A failure message: every expected and actual flag, and the difference both ways."""
    seen = snapshot.seen
    actual = {s.flag for s in seen}

    def show(flag: Flag) -> str:
        return f"  {flag.path}:{flag.line} {flag.code} | {history.line(flag.path, flag.line, snapshot.commit).strip()}"

    parts = [
        f"expected ({len(expected)}):",
        *map(show, sorted(expected)),
        f"actual ({len(seen)}):",
        *(f"  {s}" for s in sorted(seen, key=lambda s: s.flag)),
        "missing (expected, not flagged):",
        *map(show, sorted(expected - actual)),
        "unexpected (flagged, not expected):",
        *map(show, sorted(actual - expected)),
    ]
    return "\n".join(parts)


def assert_flags(history: History, snapshot: Snapshot, expected: set[Flag]) -> None:
    """The workspace's flags after ``snapshot`` are exactly ``expected``."""
    assert snapshot.flags == expected, f"after commit {snapshot.message!r}:\n" + describe(history, snapshot, expected)


def assert_silent(history: History, snapshot: Snapshot) -> None:
    """Nothing flagged anywhere (compared against the worktree the snapshot was taken of)."""
    assert snapshot.seen == [], f"after commit {snapshot.message!r} nothing should be flagged:\n" + describe(
        history, snapshot, set()
    )
