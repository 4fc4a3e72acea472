"""``kairos verify``: the memory against a fresh scan and dream of the tree.

A real git history built here (a package that grows, renames, moves functions,
changes what its tests import, and finally moves into ``src/``), each commit
checked out and scanned, dreams every few commits: at the end the memory must
equal a fresh look. Then what a user sees of verify: one line and exit 0 when
the memory is right, the differences by predicate and exit 1 when it is not,
verdicts and test runs that no scan can see taken into account, and a memory
from before (tentative observed facts, no dependencies) migrated in place.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from histories import History
from workspaces import kairos, released_kairos

from kairos_lsp.dream import dream, record_verdict
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

SCHEMA_11 = "ed134ff"  # the last commit before trust (m012)

CORE = '''"""Parsing and loading."""
import json


def parse(text):
    """Split the text into words."""
    return text.split()


def load(path):
    with open(path) as handle:
        return json.load(handle)
'''

NET = '''import urllib.request


def fetch(url, timeout=10):
    """Download a page over HTTP."""
    return urllib.request.urlopen(url, timeout=timeout).read()
'''

TESTS = """from mylib.core import parse, load
import mylib.net

parse("a module-level call: the test file's module is no test")


def test_parse():
    assert parse("a b") == ["a", "b"]


def test_load(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    assert load(tmp_path / "x.json") == {}


def test_fetch():
    mylib.net.fetch("http://localhost")
"""


def build(history: History) -> None:
    h = history
    h.commit(
        "start",
        {"mylib/__init__.py": "", "mylib/core.py": CORE, "mylib/net.py": NET, "tests/test_core.py": TESTS},
    )
    h.commit("tokenize", {"mylib/core.py": CORE.replace("def parse(text):", "def tokenize(text):")})
    h.commit(
        "tests follow the rename",
        {"tests/test_core.py": TESTS.replace("parse", "tokenize")},
    )
    h.commit(
        "signature",
        {"mylib/net.py": NET.replace("def fetch(url, timeout=10):", "def fetch(url, timeout=10, retries=0):")},
    )
    h.commit(
        "load moves to io",
        {
            "mylib/core.py": CORE.replace("def parse(text):", "def tokenize(text):").split("\n\ndef load")[0] + "\n",
            "mylib/io.py": "import json\n\n\n" + CORE.split("\n\n\n")[-1],
        },
    )
    h.commit(
        "the package re-exports load (the tests' import resolves again)",
        {"mylib/__init__.py": "from mylib.io import load\n"},
    )
    h.commit(
        "tests import from the package",
        {
            "tests/test_core.py": TESTS.replace("parse", "tokenize").replace(
                "from mylib.core import tokenize, load", "from mylib.core import tokenize\nfrom mylib import load"
            )
        },
    )
    h.commit("a test renamed", {"tests/test_core.py": h.read("tests/test_core.py").replace("test_fetch", "test_get")})
    h.git("mv", "mylib", "src_mylib")
    h.git("commit", "-q", "-m", "tmp")
    (h.root / "src").mkdir()
    h.git("mv", "src_mylib", "src/mylib")
    h.git("commit", "-q", "--amend", "-m", "move the package into src/")
    h.commits.append((h.git("rev-parse", "HEAD"), "move the package into src/"))
    h.commit("net gone", {"src/mylib/net.py": None})


def test_a_replayed_git_history_equals_a_fresh_look(tmp_path):
    history = History(tmp_path / "repo")
    build(history)
    store = Store(history.root / ".kairos" / "memory.db")
    for n, (sha, _message) in enumerate(history.commits):
        history.git("checkout", "-q", "--detach", sha)
        scan_workspace(history.root, store, jobs=1)
        if n % 3 == 2:
            dream(store, trigger="test")
    store.close()
    done = kairos("verify", "--json", str(history.root), cwd=history.root, check=False)
    found = json.loads(done.stdout)
    assert found["by_predicate"] == {} and done.returncode == 0, found
    assert found["live_facts"] == found["fresh_facts"] > 50
    # what the tests exercise is known at its new place
    store = Store(history.root / ".kairos" / "memory.db")
    tested = {
        (s, o)
        for s, o in store.db.execute(
            "SELECT subject, object FROM facts WHERE predicate = 'tested_by' AND status IN ('tentative', 'firm')"
        )
    }
    store.close()
    assert ("python:src/mylib/io.py:load", "python:tests/test_core.py:test_load") in tested
    assert ("python:src/mylib/core.py:tokenize", "python:tests/test_core.py:test_tokenize") in tested


@pytest.fixture
def project(tmp_path) -> Path:
    history = History(tmp_path / "p")
    history.commit(
        "start", {"mylib/__init__.py": "", "mylib/core.py": CORE, "mylib/net.py": NET, "tests/test_core.py": TESTS}
    )
    kairos("scan", "-q", str(history.root), cwd=history.root)
    kairos("dream", cwd=history.root)
    return history.root


def test_a_right_memory_is_one_line_and_exit_0(project):
    done = kairos("verify", cwd=project)
    assert done.returncode == 0
    [line] = done.stdout.strip().splitlines()
    assert line.startswith("verify: ") and " 0 differ from a fresh scan and dream" in line


def test_a_wrong_memory_names_what_differs_and_exits_1(project):
    # A fact the memory lost (as a bug would): the code still says it.
    db = sqlite3.connect(project / ".kairos" / "memory.db")
    [(fact_id,)] = db.execute(
        "SELECT id FROM facts WHERE subject = 'python:mylib/core.py:parse' AND predicate = 'signature'"
    ).fetchall()
    db.execute("UPDATE observed_facts SET status = 'retracted' WHERE id = ?", (fact_id,))
    db.commit()
    db.close()
    done = kairos("verify", cwd=project, check=False)
    assert done.returncode == 1
    assert "signature: 1 missing" in done.stdout
    assert "missing: python:mylib/core.py:parse signature 'parse(text)' (a fresh look finds it firm)" in done.stdout
    found = json.loads(kairos("verify", "--json", cwd=project, check=False).stdout)
    assert found["differing"] == 1 and found["by_predicate"]["signature"]["missing"] == 1


def test_verdicts_and_runs_count_in_the_fresh_look_too(project):
    store = Store(project / ".kairos" / "memory.db")
    [(insight,)] = store.db.execute(
        "SELECT id FROM facts WHERE subject = 'python:mylib/net.py:fetch' AND predicate = 'may_handle' "
        "AND object = 'network' AND status IN ('tentative', 'firm')"
    ).fetchall()
    record_verdict(store, insight, confirm=False)
    store.record_outcomes([("python:tests/test_core.py:test_parse", False, "")])
    dream(store)
    statuses = dict(
        store.db.execute(
            "SELECT object, status FROM facts WHERE predicate = 'tested_by' AND subject = 'python:mylib/core.py:parse' "
            "AND status IN ('tentative', 'firm')"
        ).fetchall()
    )
    store.close()
    assert statuses == {"python:tests/test_core.py:test_parse": "firm"}  # seen running: a second source
    done = kairos("verify", cwd=project, check=False)
    assert done.returncode == 0, done.stdout


def test_a_memory_from_before_is_migrated_in_place(tmp_path):
    """Schema 11, written by the kairos of then (observed facts tentative, tested_by
    without dependencies). Opening it migrates; verify then finds it right."""
    old = released_kairos(SCHEMA_11, tmp_path / "old")
    if old is None:
        pytest.skip("needs this repository's git history")
    history = History(tmp_path / "p")
    history.commit(
        "start", {"mylib/__init__.py": "", "mylib/core.py": CORE, "mylib/net.py": NET, "tests/test_core.py": TESTS}
    )
    kairos("scan", "-q", str(history.root), cwd=history.root, env={"PYTHONPATH": str(old)})
    kairos("dream", cwd=history.root, env={"PYTHONPATH": str(old)})
    db = sqlite3.connect(history.root / ".kairos" / "memory.db")
    assert db.execute("PRAGMA user_version").fetchone() == (11,)
    assert db.execute("SELECT count(*) FROM observed_facts WHERE status = 'tentative'").fetchone()[0] > 0
    db.close()
    # the package moves while kairos is away: only re-derived tests find their code again
    (history.root / "src").mkdir()
    (history.root / "mylib").rename(history.root / "src" / "mylib")
    store = Store(history.root / ".kairos" / "memory.db")
    assert store.db.execute("SELECT count(*) FROM observed_facts WHERE status = 'tentative'").fetchone() == (0,)
    store.close()
    done = kairos("verify", cwd=history.root, check=False)
    assert done.returncode == 0, done.stdout
