"""A pytest plugin that tells the memory how each test went: exact outcomes, not scraped output.

Registered as the ``kairos`` ``pytest11`` entry point, and inert unless
``KAIROS_RECORD=1``::

    KAIROS_RECORD=1 pytest

Each test's node id becomes its symbol key (``tests/test_calc.py::TestCalc::test_add[2]``
is ``python:tests/test_calc.py:TestCalc.test_add``), its outcome a
``test_failed`` / ``test_passed`` observation with its duration, and a failure
names the exception and where it was raised. They are written once, at the end
of the session, to the memory of the workspace holding pytest's rootdir (the
nearest folder with ``.kairos`` or ``.git``, or ``KAIROS_STORE``). A test
that passes clears its earlier failure; ``recent-failure`` marks a failed test
and the functions it calls. Skipped tests say nothing.

>>> key_of("tests/test_calc.py::TestCalc::test_add[2-3]", "tests/test_calc.py")
'python:tests/test_calc.py:TestCalc.test_add'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kairos_lsp.cli import find_root
from kairos_lsp.keys import symbol_key
from kairos_lsp.store import Store, StoreError

_PARAMETERS = re.compile(r"\[.*\]$")


def key_of(nodeid: str, path: str) -> str:
    """The symbol key of a test: ``path`` (relative to the workspace) and the names after it."""
    names = [_PARAMETERS.sub("", part) for part in nodeid.split("::")[1:]]
    return symbol_key("python", path, ".".join(n for n in names if n))


@dataclass
class Recorder:
    """Outcomes of one pytest session, written to the memory when it ends."""

    rootpath: Path
    outcomes: dict[str, tuple[bool, str]] = field(default_factory=dict)  # nodeid -> (failed, detail)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            return
        if report.when == "call" or report.failed:  # a failing fixture fails the test too
            failed = report.failed or self.outcomes.get(report.nodeid, (False, ""))[0]
            detail = _failure(report) if report.failed else f"passed in {report.duration:.3f} s"
            if report.failed or report.nodeid not in self.outcomes:
                self.outcomes[report.nodeid] = (failed, detail)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.outcomes:
            return
        root = find_root(self.rootpath)
        by_key: dict[str, tuple[bool, str]] = {}  # the cases of a parametrized test are one symbol
        for nodeid, (failed, detail) in self.outcomes.items():
            file = (self.rootpath / nodeid.split("::", 1)[0]).resolve()
            try:
                path = file.relative_to(root).as_posix()
            except ValueError:
                continue  # a test outside the workspace
            key = key_of(nodeid, path)
            if key not in by_key or failed and not by_key[key][0]:  # one failing case fails the test
                by_key[key] = (failed, detail)
        found = [(key, failed, detail) for key, (failed, detail) in by_key.items()]
        try:
            store = Store.for_workspace(root)
        except StoreError as exc:
            session.config.get_terminal_writer().line(f"kairos: outcomes not recorded: {exc}", yellow=True)
            return
        try:
            recorded = store.record_outcomes(found, source="terminal")
        finally:
            store.close()
        session.config.get_terminal_writer().line(f"kairos: {recorded} test outcomes recorded in {store.path}")


def _failure(report: pytest.TestReport) -> str:
    """``AssertionError: assert 4 == 5 (tests/test_calc.py:5)``, and how long the test ran."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        text = str(report.longrepr).strip().splitlines()
        return (text[-1] if text else "failed") + f" ({report.when})"
    message = (crash.message or "failed").strip().splitlines()[0]
    where = os.path.relpath(crash.path) if os.path.isabs(str(crash.path)) else crash.path
    return f"{message} ({where}:{crash.lineno}, {report.when}, {report.duration:.3f} s)"


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("KAIROS_RECORD") == "1":
        config.pluginmanager.register(Recorder(Path(config.rootpath)), "kairos-recorder")
