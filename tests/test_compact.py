"""The compact layouts (schema 13: names by id; schema 14: observed facts as runs; schema
18: a module searched for under any source root is one name; schema 21: no
``defined_at`` or ``arity``, which the key and the parameters say; schema 22: no test
key repeated in a ``tested_by`` fact's evidence; schema 23: the test by id): a
memory written by the kairos before each, on real code nobody here wrote, is converted
in place when it opens, even when the conversion is killed half-way, and
``kairos export --json`` says exactly what it said before.

The memory from before is made by that kairos itself (the package at
:data:`BEFORE`, taken out of this repository's git history), not by hand.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from workspaces import REPO, kairos, released_kairos

from kairos_lsp.store import Store
from kairos_lsp.store.migrations import SCHEMA_VERSION

BEFORE = "5f68c7b"  # the last commit with text subjects in the log (schema 12)
BEFORE_RUNS = "bd249db"  # the last commit with a row per observed fact (schema 13)
BEFORE_TAILS = "530bf7c"  # the last commit with a module search under four names (schema 17)

# A run of the new kairos that kills itself (SIGKILL: no cleanup, no rollback) while it
# copies the log in chunks of 40, at the sixth chunk.
KILLED_MIDWAY = """
import os, signal, sys
import kairos_lsp.store as store
copy = store.copy_log
done = []
def copy_then_die(conn, chunk):
    done.append(1)
    if len(done) == 6:
        os.kill(os.getpid(), signal.SIGKILL)
    return copy(conn, chunk)
store.copy_log = copy_then_die
store.Store(sys.argv[1])
"""


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> Path:
    """The kairos of :data:`BEFORE`, unpacked."""
    folder = released_kairos(BEFORE, tmp_path_factory.mktemp("before"))
    if folder is None:
        pytest.skip("needs this repository's git history")
    return folder


@pytest.fixture
def old_memory(tmp_path, before) -> tuple[Path, Path, str]:
    """A released package (sqlite-utils' sources), scanned and dreamed by the old kairos,
    with a user's verdict and a test run on top; returns (workspace, memory, its export)."""
    workspace = tmp_path / "w"
    shutil.copytree(Path(sqlite_utils.__file__).parent, workspace / "sqlite_utils")
    old = {"PYTHONPATH": str(before)}
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuite name="pytest" tests="2"><testcase classname="sqlite_utils.utils" name="find_spatialite"/>'
        '<testcase classname="sqlite_utils.utils" name="rows_from_file"><failure message="boom">'
        "Traceback</failure></testcase></testsuite>"
    )
    kairos("ingest", str(junit), "--base", str(workspace), cwd=workspace, env=old)
    memory = workspace / ".kairos" / "memory.db"
    reject = (
        "import sys; from kairos_lsp.store import Store; from kairos_lsp.dream import record_verdict\n"
        "store = Store(sys.argv[1])\n"
        '[(fact,)] = store.db.execute("SELECT id FROM facts WHERE subject = '
        "'python:sqlite_utils/db.py:Table.insert' AND predicate = 'signature'\").fetchall()\n"
        "record_verdict(store, fact, confirm=False)\n"
    )
    subprocess.run([sys.executable, "-c", reject, str(memory)], env={**os.environ, **old}, cwd=workspace, check=True)
    kairos("dream", cwd=workspace, env=old)
    assert _schema(memory) == 12
    return workspace, memory, kairos("export", "--json", cwd=workspace, env=old).stdout


# What the kairos before said of a symbol that says nothing beyond its kind and signature:
# the conversion ends those summaries (schema 19), as a dream now would; and a constant's
# "Takes no arguments and calls X." becomes "Set from X." (schema 20).
KIND_ONLY = {"A class.", "A module.", "Takes no arguments."}
CONSTANT_SAID = "Takes no arguments and calls "
# Observations the conversion drops (schema 21): the key says where a symbol is, and its
# parameters say its arity.
RESTATED = {"defined_at", "arity"}


def assert_converted(after: str, before: str) -> None:
    """The export after the conversion is the export before, kind-only summaries ended
    (facts compared by id: an ended fact is listed after the current ones), and none of
    what restates other observations (schema 21)."""
    old, new = json.loads(before), json.loads(after)
    ended = restated = 0
    for was, now in zip(old, new, strict=True):
        now_facts = {fact["id"]: fact for fact in now["facts"]}
        restated += sum(fact["predicate"] in RESTATED for fact in was["facts"])
        was["facts"] = [fact for fact in was["facts"] if fact["predicate"] not in RESTATED]
        was["log"] = [seen for seen in was["log"] if seen["predicate"] not in RESTATED]
        for fact in list(was["facts"]):
            live_summary = fact["predicate"] == "summary" and fact["status"] == "firm"
            if not live_summary or any(e.get("source") == "docstring" for e in fact.get("evidence", [])):
                continue
            if fact["value"] in KIND_ONLY:
                fact.update(status="retracted", valid_to=now_facts[fact["id"]]["valid_to"], check=None)
                ended += 1
                if was.get("summary") == fact["value"]:
                    was["summary"] = None
            elif was["kind"] == "constant" and fact["value"].startswith(CONSTANT_SAID):
                said = "Set from " + fact["value"][len(CONSTANT_SAID) :]
                [added] = [f for f in now["facts"] if f["predicate"] == "summary" and f["value"] == said]
                assert added["status"] == "firm" and added["id"] not in {f["id"] for f in was["facts"]}
                fact.update(status="superseded", valid_to=added["valid_from"], superseded_by=added["id"], check=None)
                fact["ended_by"] = added["first_observation"]  # the code it was read from, as a dream ends it
                was["facts"].append(added)
                was["summary"] = said
                ended += 1
        was["facts"] = sorted(was["facts"], key=lambda fact: fact["id"])
        now["facts"] = sorted(now["facts"], key=lambda fact: fact["id"])
    assert new == old, _first_difference(old, new)
    assert ended and restated


def _first_difference(old: list, new: list) -> str:
    for was, now in zip(old, new, strict=True):
        for key in was:
            if key != "facts" and was[key] != now[key]:
                return f"{was['symbol']}: {key} {was[key]!r} -> {now[key]!r}"
        for fact, now_fact in zip(was["facts"], now["facts"], strict=True):
            if fact != now_fact:
                changed = {k: (fact[k], now_fact.get(k)) for k in fact if fact[k] != now_fact.get(k)}
                return f"{was['symbol']}: {fact['predicate']} {fact['value']!r} {changed}"
    return "?"


def _schema(memory: Path) -> int:
    db = sqlite3.connect(memory)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def _size(memory: Path) -> int:
    return sum(os.path.getsize(f"{memory}{s}") for s in ("", "-wal") if os.path.exists(f"{memory}{s}"))


def test_an_old_memory_converts_in_place_and_exports_the_same(old_memory):
    workspace, memory, exported = old_memory
    size = _size(memory)
    after = kairos("export", "--json", cwd=workspace).stdout
    assert _schema(memory) == SCHEMA_VERSION
    assert_converted(after, exported)
    assert _size(memory) < 0.75 * size, (size, _size(memory))  # the subjects' text is kept once
    # and it goes on working: a new look at a changed file lands in the compact log
    source = workspace / "sqlite_utils" / "utils.py"
    source.write_text(source.read_text() + "\n\ndef added_later(x):\n    return x\n")
    kairos("scan", "-q", str(workspace), cwd=workspace)
    kairos("dream", cwd=workspace)
    shown = json.loads(kairos("explain", "sqlite_utils/utils.py::added_later", "--json", cwd=workspace).stdout)
    assert shown["exists"] and any(f["predicate"] == "signature" for f in shown["facts"])


def test_a_conversion_killed_half_way_goes_on_where_it_stopped(old_memory):
    workspace, memory, exported = old_memory
    env = {key: value for key, value in os.environ.items() if key != "KAIROS_STORE"}
    env.update(PYTHONPATH=str(REPO), KAIROS_COPY_CHUNK="40")
    killed = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, str(memory)], env=env, timeout=120, check=False)
    assert killed.returncode == -9
    db = sqlite3.connect(memory)
    copied = db.execute("SELECT count(*) FROM observation_log").fetchone()[0]
    total = db.execute("SELECT count(*) FROM observations").fetchone()[0]  # still the old table
    db.close()
    assert copied == 5 * 40 and total > copied  # five chunks committed, then the kill
    assert _schema(memory) == 12
    after = kairos("export", "--json", cwd=workspace, env={"KAIROS_COPY_CHUNK": "40"}).stdout
    assert _schema(memory) == SCHEMA_VERSION
    assert_converted(after, exported)


def _sqlite_utils_dreamed_by(commit: str, tmp_path: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """sqlite-utils' sources in a workspace, scanned and dreamed by the kairos of ``commit``;
    returns the workspace and the environment that runs that kairos."""
    folder = released_kairos(commit, tmp_path_factory.mktemp(f"kairos_{commit}"))
    if folder is None:
        pytest.skip("needs this repository's git history")
    workspace = tmp_path / "w"
    shutil.copytree(Path(sqlite_utils.__file__).parent, workspace / "sqlite_utils")
    old = {"PYTHONPATH": str(folder)}
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    return workspace, old


@pytest.fixture
def memory_with_history(tmp_path, tmp_path_factory) -> tuple[Path, Path, str]:
    """sqlite-utils' sources scanned and dreamed by the kairos of :data:`BEFORE_RUNS`, then
    changed as a user would (a signature edited, a function removed, a file deleted), dreamed
    again, with a verdict on what the code says; returns (workspace, memory, its export)."""
    workspace, old = _sqlite_utils_dreamed_by(BEFORE_RUNS, tmp_path, tmp_path_factory)
    utils = workspace / "sqlite_utils" / "utils.py"
    text, edits = re.subn(r"def find_spatialite\(\)[^:]*:", "def find_spatialite(extra=None):", utils.read_text())
    assert edits == 1
    utils.write_text(text)
    (workspace / "sqlite_utils" / "__main__.py").unlink()  # imported by nothing
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    memory = workspace / ".kairos" / "memory.db"
    confirm = (
        "import sys; from kairos_lsp.store import Store; from kairos_lsp.dream import record_verdict\n"
        "store = Store(sys.argv[1])\n"
        '[(fact,)] = store.db.execute("SELECT id FROM facts WHERE subject = '
        "'python:sqlite_utils/db.py:Table.upsert' AND predicate = 'kind'\").fetchall()\n"
        "record_verdict(store, fact, confirm=True)\n"
    )
    subprocess.run([sys.executable, "-c", confirm, str(memory)], env={**os.environ, **old}, cwd=workspace, check=True)
    assert _schema(memory) == 13
    return workspace, memory, kairos("export", "--json", cwd=workspace, env=old).stdout


def test_observed_facts_become_runs_and_export_the_same(memory_with_history):
    workspace, memory, exported = memory_with_history
    size = _size(memory)
    after = kairos("export", "--json", cwd=workspace).stdout
    assert _schema(memory) == SCHEMA_VERSION
    assert_converted(after, exported)
    assert _size(memory) < 0.85 * size, (size, _size(memory))
    shown = json.loads(kairos("explain", "sqlite_utils/utils.py::find_spatialite", "--json", cwd=workspace).stdout)
    signatures = {f["status"] for f in shown["facts"] if f["predicate"] == "signature"}
    assert signatures == {"firm", "superseded"}
    # and it goes on: an edit supersedes a fact that was in a run, a dream records it
    utils = workspace / "sqlite_utils" / "utils.py"
    utils.write_text(utils.read_text().replace("def find_spatialite(extra=None):", "def find_spatialite(a, b):"))
    kairos("scan", "-q", str(workspace), cwd=workspace)
    kairos("dream", cwd=workspace)
    shown = json.loads(kairos("explain", "sqlite_utils/utils.py::find_spatialite", "--json", cwd=workspace).stdout)
    live = [f["value"] for f in shown["facts"] if f["predicate"] == "signature" and f["status"] == "firm"]
    assert live == ["find_spatialite(a, b)"]
    assert sum(f["predicate"] == "signature" and f["status"] == "superseded" for f in shown["facts"]) == 2


def test_a_module_searched_under_any_root_is_one_name_and_its_file_appearing_is_still_seen(tmp_path, tmp_path_factory):
    folder = released_kairos(BEFORE_TAILS, tmp_path_factory.mktemp("before_tails"))
    if folder is None:
        pytest.skip("needs this repository's git history")
    workspace = tmp_path / "w"
    files = {
        "src/shop/__init__.py": "",
        "src/shop/cart.py": "import re\n\nCODE = re.compile('[0-9]+')\n\n\ndef total(items):\n    return sum(items)\n",
        "tests/test_cart.py": "from shop.cart import total\nfrom shop.tax import rate\n\n\n"
        "def test_total():\n    assert total([1, 2]) == 3\n    assert rate(3) == 0\n",
    }
    for rel, text in files.items():
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text(text)
    old = {"PYTHONPATH": str(folder)}
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    memory = workspace / ".kairos" / "memory.db"
    assert _schema(memory) == 17
    exported = kairos("export", "--json", cwd=workspace, env=old).stdout

    after = kairos("export", "--json", cwd=workspace).stdout
    assert _schema(memory) == SCHEMA_VERSION
    assert_converted(after, exported)
    db = sqlite3.connect(memory)
    tails = {row[0] for row in db.execute("SELECT name FROM dependencies WHERE name LIKE 'tail:%'")}
    db.close()
    assert {"tail:shop/cart", "tail:shop/tax"} <= tails and not any(t.endswith((".py", ".pyi")) for t in tails)
    # what the converted memory holds is what a fresh look at the code gives
    assert "0 differ" in kairos("verify", cwd=workspace).stdout
    shown = json.loads(kairos("explain", "src/shop/cart.py::CODE", "--json", cwd=workspace).stdout)
    assert shown["summary"] == "Set from re.compile."
    # the module the test imports appears under the source root: the dream finds the test again
    (workspace / "src/shop/tax.py").write_text("def rate(x):\n    return 0\n")
    kairos("scan", "-q", str(workspace), cwd=workspace)
    kairos("dream", cwd=workspace)
    shown = json.loads(kairos("explain", "src/shop/tax.py::rate", "--json", cwd=workspace).stdout)
    tested = [f for f in shown["facts"] if f["predicate"] == "tested_by"]
    assert [f["value"] for f in tested] == ["python:tests/test_cart.py:test_total"]
    # the evidence names its test, which the memory keeps once, as the fact's object (schema 22)
    assert [e["detail"] for e in tested[0]["evidence"]] == ["python:tests/test_cart.py:test_total"]
    db = sqlite3.connect(memory)
    [(repeated,)] = db.execute("SELECT count(*) FROM fact_evidence WHERE why = 'tests' AND detail != ''").fetchall()
    # nor as the fact's object: that is the test's name by id (schema 23)
    stored = db.execute(
        "SELECT d.object, n.text FROM derived_log d JOIN predicates p ON p.id = d.predicate_id "
        "LEFT JOIN names n ON n.id = d.object WHERE p.name = 'tested_by'"
    ).fetchall()
    db.close()
    assert repeated == 0
    assert stored and all(text == "python:tests/test_cart.py:test_total" and ":" not in obj for obj, text in stored)


def test_a_derived_facts_confidence_reads_back_as_the_dream_judged_it(tmp_path):
    """Kept in ten-thousandths (schema 29), a confidence still reads back as the very float
    the dream computed, for every combination of sources it judges by."""
    from itertools import combinations

    from kairos_lsp.dream.model import WEIGHTS, noisy_or
    from kairos_lsp.store import Store

    store = Store(tmp_path / "memory.db")
    sources = sorted(WEIGHTS) + ["unweighted"]
    judged = [noisy_or(group) for size in (1, 2, 3) for group in combinations(sources, size)] + [1.0, 0.0]
    assert len(set(judged)) > 20
    rows = [
        (i + 1, "python:a.py:f", "summary", f"s{i}", "insight", "tentative", c, 1, "2026-01-01", None)
        + (None, None, 1, None)
        for i, c in enumerate(judged)
    ]
    with store.transaction():
        store.facts.add_derived(rows)
    read = [row[0] for row in store.db.execute("SELECT confidence FROM derived_facts ORDER BY id")]
    assert read == judged  # exactly equal, not approximately


BEFORE_BODIES_GONE = "66bada0"  # the last commit without the cursor's bodies_gone_at (schema 30)


def test_a_converted_memory_knows_the_last_look_that_retracted_a_body(tmp_path, tmp_path_factory):
    """Schema 31 keeps, with the dream's cursor, the newest version that retracted a body:
    before it, a memory is searched for where a body went, after it no first look needs
    to be (so the dream's helper may replay them). A memory from before gets it from its
    log: the look that removed a function, not a later one that only changed a body."""
    workspace, old = _sqlite_utils_dreamed_by(BEFORE_BODIES_GONE, tmp_path, tmp_path_factory)
    memory = workspace / ".kairos" / "memory.db"
    first_only = tmp_path / "first.db"
    with sqlite3.connect(memory) as source, sqlite3.connect(first_only) as copy:
        source.backup(copy)
    cli, utils = workspace / "sqlite_utils" / "cli.py", workspace / "sqlite_utils" / "utils.py"
    text, removed = re.subn(r"\ndef verify_is_dict\(doc\):.*?\n\n\n", "\n", cli.read_text(), flags=re.S)
    assert removed == 1
    cli.write_text(text)
    text, edits = re.subn(r"    return column_types\n", "    return dict(column_types)\n", utils.read_text())
    assert edits == 1
    utils.write_text(text)  # a body changed (superseded), in a look after cli.py's
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    assert _schema(memory) == _schema(first_only) == 30

    def looks_at(db: sqlite3.Connection, rel: str) -> int:
        return db.execute("SELECT max(id) FROM versions WHERE path = ?", (f"sqlite_utils/{rel}",)).fetchone()[0]

    store = Store(memory)
    try:
        removed_in, changed_in = looks_at(store.db.conn, "cli.py"), looks_at(store.db.conn, "utils.py")
        assert store.facts.bodies_gone_at() == removed_in < changed_in
    finally:
        store.close()
    store = Store(first_only)
    try:
        assert store.facts.bodies_gone_at() == 0  # a first dream retracts nothing
    finally:
        store.close()
    assert _schema(memory) == _schema(first_only) == SCHEMA_VERSION


BEFORE_FIRST_TESTS = "0a7366f"  # the last commit with a row per tested_by fact's first evidence (schema 38)
_WITHOUT_CONTEXT = "def test_url_generation_without_context_fails():\n    with pytest.raises(RuntimeError):\n"
STOPS_CALLING = (_WITHOUT_CONTEXT + '        flask.url_for("index")', _WITHOUT_CONTEXT + "        flask.abort(500)")


def test_a_tested_by_facts_first_evidence_is_its_own_row_and_an_old_memory_exports_the_same(tmp_path, tmp_path_factory):
    """A tested_by fact's first evidence is the test's call, which the fact's own row cites
    as its first observation: the memory keeps no second row for it (schema 39), unless the
    fact was retracted (the row, inactive, stays). A memory dreamed by the kairos before,
    with such a retracted fact, on flask's released sources, exports the same once
    converted, and goes on: the test calling again is a new, live fact beside the old one."""
    from released import PROJECTS, fetched

    before = released_kairos(BEFORE_FIRST_TESTS, tmp_path_factory.mktemp("before-tests"))
    if before is None:
        pytest.skip("needs this repository's git history")
    flask = next(project for project in PROJECTS if project.name == "flask")
    workspace = tmp_path / "flask"
    shutil.copytree(fetched(flask), workspace)
    old = {"PYTHONPATH": str(before)}
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    test_file = workspace / "tests" / "test_appctx.py"
    calling = test_file.read_text()
    assert STOPS_CALLING[0] in calling
    test_file.write_text(calling.replace(*STOPS_CALLING))
    kairos("scan", "-q", str(workspace), cwd=workspace, env=old)
    kairos("dream", cwd=workspace, env=old)
    memory = workspace / ".kairos" / "memory.db"
    assert _schema(memory) == 38
    exported = kairos("export", "--json", cwd=workspace, env=old).stdout

    assert kairos("export", "--json", cwd=workspace).stdout == exported
    assert _schema(memory) == SCHEMA_VERSION
    db = sqlite3.connect(memory)
    tested_by = "(SELECT id FROM predicates WHERE name = 'tested_by')"
    rows = db.execute(
        "SELECT e.active, count(*) FROM fact_evidence e JOIN derived_log d ON d.id = e.fact_id "
        f"WHERE d.predicate_id = {tested_by} AND e.why = 'tests' AND e.observation_id = d.first_observation "
        "GROUP BY e.active"
    ).fetchall()
    [(facts,)] = db.execute(f"SELECT count(*) FROM derived_log WHERE predicate_id = {tested_by}").fetchall()
    db.close()
    assert rows == [(0, 1)] and facts > 500  # the retracted fact's row alone, of every tested_by fact

    test_file.write_text(calling)  # the test calls url_for again
    kairos("scan", "-q", str(workspace), cwd=workspace)
    kairos("dream", cwd=workspace)
    shown = json.loads(kairos("explain", "src/flask/helpers.py::url_for", "--json", cwd=workspace).stdout)
    key = "python:tests/test_appctx.py:test_url_generation_without_context_fails"
    facts_of_test = sorted(
        (f["status"], [(e["source"], e["detail"], e["active"]) for e in f["evidence"]])
        for f in shown["facts"]
        if f["predicate"] == "tested_by" and f["value"] == key
    )
    assert facts_of_test == [("retracted", [("tests", key, False)]), ("tentative", [("tests", key, True)])]
    assert "0 differ" in kairos("verify", cwd=workspace).stdout
