"""A pytest plugin that tells the memory how each test went: exact outcomes, not scraped output.

Registered as the ``kairos`` ``pytest11`` entry point, and inert unless
``KAIROS_RECORD=1`` (which ``kairos run`` sets)::

    KAIROS_RECORD=1 pytest
    kairos run -- pytest

Each test's node id becomes its symbol key (``tests/test_calc.py::TestCalc::test_add[2]``
is ``python:tests/test_calc.py:TestCalc.test_add``), its outcome a
``test_failed`` / ``test_passed`` observation, and a failure names the
exception and where it was raised. The traceback frames of a failure are
taken from pytest's own exception info, so every project function the
exception crossed gets ``raised`` (and ``failed_in``, naming the test). They
are written once, at the end of the session, to the memory of the workspace
holding pytest's rootdir (the nearest folder with ``.kairos`` or ``.git``, or
``KAIROS_STORE``), as one run: the run ``kairos run`` started
(``KAIROS_RUN_ID``), else a run of its own. The run's fingerprint is the
content of the project files the session loaded, so a test that passes and
fails against the same code is found ``flaky``. A test that passes clears its
earlier failure. Skipped tests say nothing.

>>> key_of("tests/test_calc.py::TestCalc::test_add[2-3]", "tests/test_calc.py")
'python:tests/test_calc.py:TestCalc.test_add'
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kairos_lsp import ingest
from kairos_lsp.cli import find_root
from kairos_lsp.keys import TEST_FILE, symbol_key
from kairos_lsp.store import Store, StoreError
from kairos_lsp.terminal import Frame, Report, TestCase

_PARAMETERS = re.compile(r"\[.*\]$")


def key_of(nodeid: str, path: str) -> str:
    """The symbol key of a test: ``path`` (relative to the workspace) and the names after it."""
    names = [_PARAMETERS.sub("", part) for part in nodeid.split("::")[1:]]
    return symbol_key("python", path, ".".join(n for n in names if n))


@dataclass
class Failure:
    exc_type: str
    message: str
    frames: tuple[Frame, ...]


@dataclass
class Recorder:
    """Outcomes of one pytest session, written to the memory when it ends."""

    rootpath: Path
    started: float = field(default_factory=time.time)
    outcomes: dict[str, tuple[str, float]] = field(default_factory=dict)  # nodeid -> (outcome, duration)
    failures: dict[str, Failure] = field(default_factory=dict)  # nodeid -> the first failure
    said: list[str] = field(default_factory=list)  # lines for the terminal summary

    def pytest_terminal_summary(self, terminalreporter) -> None:
        for line in self.said:
            terminalreporter.write_line(line)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield
        info = call.excinfo
        if info is None or item.nodeid in self.failures or info.errisinstance(pytest.skip.Exception):
            return
        frames = tuple(Frame(str(entry.path), entry.lineno + 1, entry.name) for entry in info.traceback)
        message = str(info.value).strip().splitlines()
        self.failures[item.nodeid] = Failure(info.typename, message[0] if message else "", frames)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            return
        if report.when == "call" or report.failed:  # a failing fixture fails the test too
            before = self.outcomes.get(report.nodeid)
            if report.failed or before is None:
                outcome = ("failed" if report.when == "call" else "error") if report.failed else "passed"
                if before is None or before[0] == "passed":
                    self.outcomes[report.nodeid] = (outcome, report.duration)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.outcomes:
            return
        root = find_root(self.rootpath)
        cases: dict[TestCase, str] = {}
        by_key: dict[str, TestCase] = {}  # the cases of a parametrized test are one symbol: one failing fails it
        for nodeid, (outcome, duration) in self.outcomes.items():
            file = (self.rootpath / nodeid.split("::", 1)[0]).resolve()
            try:
                path = file.relative_to(root).as_posix()
            except ValueError:
                continue  # a test outside the workspace
            key = key_of(nodeid, path)
            failure = self.failures.get(nodeid)
            case = TestCase(
                name=nodeid.rsplit("::", 1)[-1],
                classname=None,
                file=str(file),
                line=None,
                outcome=outcome,
                duration=duration,
                exc_type=failure.exc_type if failure else None,
                message=failure.message if failure else None,
                frames=failure.frames if failure else (),
            )
            if key not in by_key or outcome != "passed" and by_key[key].outcome == "passed":
                by_key[key] = case
        cases = {case: key for key, case in by_key.items()}
        say = self.said.append  # shown in pytest's terminal summary
        try:
            store = Store.for_workspace(root)
        except StoreError as exc:
            say(f"kairos: outcomes not recorded: {exc}")
            return
        try:
            token = os.environ.get("KAIROS_RUN_ID") or None  # set by `kairos run`, which finishes the run
            mine = token is None
            command = shlex.join(["pytest", *session.config.invocation_params.args])
            run = store.start_run(
                command, str(session.config.invocation_params.dir), "pytest" if mine else "run", token=token
            )
            counts = ingest.record(
                store, root, Report("pytest", "pytest", list(cases), [], []), run=run, cwd=self.rootpath, keys=cases
            )
            fingerprint = loaded_code(root)
            if mine:
                store.finish_run(run, int(exitstatus), int((time.time() - self.started) * 1000), None, fingerprint)
            else:
                store.set_fingerprint(run, fingerprint)
        except StoreError as exc:
            say(f"kairos: outcomes not recorded: {exc}")
            return
        finally:
            store.close()
        say(f"kairos: {counts.tests} test outcomes recorded in {store.path} ({counts.line()})")


def loaded_code(root: Path) -> str:
    """What the project code this session imported looks like: the contents of its files,
    test files aside (each outcome cites its own test file's content: a change to one
    test file is not a change to the code the others run)."""
    digest = hashlib.blake2b(digest_size=16)
    files = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if not name:
            continue
        path = Path(name)
        try:
            rel = path.resolve().relative_to(root)
        except (ValueError, OSError):
            continue
        if not any(part in ingest.FOREIGN for part in rel.parts) and not TEST_FILE.search(rel.as_posix()):
            files.add(rel)
    for rel in sorted(files):
        try:
            data = (root / rel).read_bytes()
        except OSError:
            continue
        digest.update(rel.as_posix().encode() + b"\0" + hashlib.blake2b(data, digest_size=16).digest())
    return digest.hexdigest()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("KAIROS_RECORD") == "1":
        config.pluginmanager.register(Recorder(Path(config.rootpath)), "kairos-recorder")
