"""What the resolver and the hover ask of a real memory is answered from indexes: no
statement they issue reads the whole observation log (a file's imports, a module's symbols, a
class's bases; a symbol's card with its callers, insights, last change and last test).

On a large workspace one such statement costs a read of millions of observations, and the
resolver issues one per file a name leads to: a dream's `tested_by` work on the
interpreter's library folder stalled on it. The planner chooses its plan from the schema and
the query, not from the data, so a small real package shows the same plans.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.resolve import Resolver
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

PACKAGES = ("json", "email")  # this interpreter's own: imports, re-exports, classes with bases


STARRED = 50  # modules a package re-exports with star imports (sympy's and networkx's have dozens)


def memory(tmp_path: Path) -> Store:
    stdlib = Path(json.__file__).parents[1]
    root = tmp_path / "proj"
    for name in PACKAGES:
        shutil.copytree(stdlib / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "many").mkdir()
    for n in range(STARRED):
        (root / "many" / f"m{n}.py").write_text(f"def f{n}(x):\n    return x + {n}\n")
    (root / "many" / "__init__.py").write_text("".join(f"from .m{n} import *\n" for n in range(STARRED)))
    (root / "use_many.py").write_text(f"import many\n\n\ndef main():\n    return many.f{STARRED - 1}(1)\n")
    store = Store(tmp_path / "memory.db")
    scan_workspace(root, store, Settings())
    return store


def test_every_statement_the_resolver_issues_reads_through_an_index(tmp_path):
    store = memory(tmp_path)
    calls = store.db.execute(
        "SELECT DISTINCT v.path, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
        "JOIN versions v ON v.id = o.version_id WHERE o.predicate = 'calls' ORDER BY 1, 2"
    ).fetchall()
    assert len(calls) > 500  # a real package's call sites, enough to lead across its files
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    resolver = Resolver(store)
    found = sum(resolver.lookup(path, callee).__class__.__name__ == "Found" for path, callee in calls)
    # (what a check asks before it looks at attribute reads)
    assert resolver.deprecated_names() == resolver.gone_names() == frozenset()
    store.db.conn.set_trace_callback(None)
    assert found > 100  # it did resolve names through imports, so it read files' imports and symbols
    _assert_no_whole_log_reads(store, statements)
    store.close()


def test_every_statement_of_a_hover_card_reads_through_an_index(tmp_path):
    store = memory(tmp_path)
    dream(store, trigger="test")
    keys = [row[0] for row in store.db.execute("SELECT key FROM symbols WHERE kind != 'module' ORDER BY key")]
    assert len(keys) > 500
    knowledge = Knowledge(store)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    cards = [knowledge.card(key) for key in keys[::5]]  # every fifth: functions, methods, classes
    store.db.conn.set_trace_callback(None)
    assert sum(card.callers.count > 0 for card in cards) > 20  # callers were searched, and found
    _assert_no_whole_log_reads(store, statements)
    store.close()


def test_every_statement_of_a_full_dream_reads_through_an_index(tmp_path):
    # (a dream reads every new observation, by id ranges: a SEARCH, not a SCAN)
    store = memory(tmp_path)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    dream(store, trigger="test", ahead=False)
    store.db.conn.set_trace_callback(None)
    assert store.db.execute("SELECT count(*) FROM derived_facts WHERE predicate = 'summary'").fetchone()[0] > 500
    _assert_no_whole_log_reads(store, statements)
    store.close()


def _assert_no_whole_log_reads(store: Store, statements: list[str]) -> None:
    reads = sorted({s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))})
    assert reads
    partial = {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE sql LIKE '% WHERE %'")}
    whole_log = {}
    for statement in reads:
        plan = [row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + statement)]
        # a SCAN (of a partial index: only its rows), or an automatic index built for the
        # statement (which reads all of it first)
        scans = [
            step
            for step in plan
            if (step.startswith("SCAN") or "AUTOMATIC" in step)
            and _is_log(step, statement)
            and not any(step.endswith(f"INDEX {name}") for name in partial)
        ]
        if scans:
            whole_log[statement] = scans
    assert not whole_log, "statements that read the whole observation log:\n" + "\n".join(
        f"{s}\n    {plan}" for s, plan in whole_log.items()
    )


def _is_log(step: str, statement: str) -> bool:
    """Whether a plan's SCAN step reads the observation log (by its name, or an alias of it)."""
    table = step.split()[1]
    if table in ("observation_log", "observations"):
        return True
    lowered = statement.lower()
    return any(f"{name} {table.lower()} " in lowered for name in ("observation_log", "observations"))


def test_the_aliases_a_name_is_imported_under_are_read_from_the_index_alone(tmp_path):
    # ``Any`` is imported 2,844 times on the interpreter's library folder: reading each import
    # from the log to see its alias took 154 ms of a hover's "called by".
    store = memory(tmp_path)
    aliased = "from json import loads as parse\n\n\ndef read(s):\n    return parse(s)\n"
    (tmp_path / "proj" / "aliased.py").write_text(aliased)
    scan_workspace(tmp_path / "proj", store, Settings())
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    callers = Knowledge(store).callers("python:json/__init__.py:loads")
    store.db.conn.set_trace_callback(None)
    assert "read" in [c["qualname"] for c in callers.first]  # found through the alias
    (aliases,) = [s for s in statements if "$.alias" in s]
    roots = dict(store.db.execute("SELECT rootpage, name FROM sqlite_master WHERE rootpage"))
    program = store.db.execute("EXPLAIN " + aliases).fetchall()  # (as traced: its values written in)
    cursors = {row[2]: roots[row[3]] for row in program if row[1] == "OpenRead"}  # (p1 the cursor, p2 its root)
    # what the statement reads (Column) comes from the index; the log's own rows are never sought
    assert {cursors[row[2]] for row in program if row[1] == "Column"} == {"observation_log_imported"}
    store.close()


def test_the_tests_a_change_may_reach_are_found_by_the_changed_names_alone(tmp_path):
    # A folder deleted on the large tree changed 17,000 names. Asked through the
    # ``dependencies`` view, each list of 500 of them read every dependency row of the
    # kind: a quarter of that dream's time.
    store = memory(tmp_path)
    tests = tmp_path / "proj" / "tests"
    tests.mkdir()
    for n in range(20):
        (tests / f"test_m{n}.py").write_text(
            f"import json\nfrom many.m{n} import f{n}\n\n\ndef test_f{n}():\n    assert json.loads(str(f{n}(1)))\n"
        )
    scan_workspace(tmp_path / "proj", store, Settings())
    dream(store, trigger="test", ahead=False)
    names = [row[0] for row in store.db.execute("SELECT DISTINCT name FROM dependencies WHERE kind = 'tested_by'")]
    assert len(names) >= 20  # each test's reads: its file, the module it imports, the names it calls
    asked = names + [f"file:elsewhere/m{n}.py" for n in range(1000)]  # a large change: most reach no test
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    units = store.facts.dependents("tested_by", asked, before=1 << 30)
    store.db.conn.set_trace_callback(None)
    assert units >= {f"tests/test_m{n}.py" for n in range(20)}  # (by test file)
    for statement in statements:
        aliases = {"dependency_ids", *re.findall(r"dependency_ids\s+(?:AS\s+)?(\w+)", statement)}
        for step in (row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + statement)):
            reads_dependencies = "dependency_ids" in step or step.split()[1] in aliases
            assert not reads_dependencies or "name_id=?" in step, f"{statement[:200]}...\n    {step}"
    store.close()
