"""autoDream invariants over random edit histories (real files, real scans, real dreams)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kairos_lsp.dream import dream, record_verdict
from kairos_lsp.dream.model import GONE_TO, SINGLE_VALUED
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

BODIES = [
    '    """Download {n} over HTTP."""\n    return requests.get(url)\n',
    "    return a + b\n",
    "    with open(path) as handle:\n        return handle.read()\n",
    "    if not token:\n        raise PermissionError(user)\n    return check_password(user, token)\n",
    '    """Parse the text."""\n    return re.findall(pattern, text)\n',
]
PARAMS = ["(url)", "(a, b)", "(path, mode='r')", "(user, token=None)", "(text, *rest)"]
NAMES = ["fetch", "add", "load", "login", "parse", "helper", "run"]
FILES = ["a.py", "pkg/b.py", "pkg/c.py"]

# (op, file, name, other file / new name / body index / params index)
ops = st.tuples(
    st.sampled_from(["add", "remove", "rename", "move", "body", "params", "drop_file", "reject", "confirm"]),
    st.sampled_from(FILES),
    st.sampled_from(NAMES),
    st.integers(0, 6),
    st.booleans(),
)
histories = st.lists(ops, min_size=1, max_size=7)


def render(functions: dict[str, tuple[int, int]]) -> str:
    return "".join(
        f"def {name}{PARAMS[p]}:\n{BODIES[b].format(n=name)}\n\n" for name, (b, p) in sorted(functions.items())
    )


def replay(root: Path, history) -> list[tuple]:
    store = Store.for_workspace(root)
    files: dict[str, dict[str, tuple[int, int]]] = {}
    tick = [1_700_000_000_000_000_000]

    def flush():
        for rel in FILES:
            path = root / rel
            if rel in files:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(render(files[rel]) or "x = 1\n")
                tick[0] += 10**9
                os.utime(path, ns=(tick[0], tick[0]))
            elif path.exists():
                path.unlink()
        scan_workspace(root, store, jobs=1)

    for op, rel, name, k, dream_now in history:
        funcs = files.setdefault(rel, {}) if op not in ("drop_file",) else files.get(rel, {})
        if op == "add":
            funcs[name] = (k % len(BODIES), k % len(PARAMS))
        elif op == "remove" and funcs:
            funcs.pop(sorted(funcs)[k % len(funcs)])
        elif op == "rename" and funcs:
            old = sorted(funcs)[k % len(funcs)]
            if name not in funcs:
                funcs[name] = funcs.pop(old)
        elif op == "move" and funcs:
            old = sorted(funcs)[k % len(funcs)]
            target = files.setdefault(FILES[(FILES.index(rel) + 1 + k) % len(FILES)], {})
            if target is not funcs and old not in target:
                target[old] = funcs.pop(old)
        elif op == "body" and funcs:
            old = sorted(funcs)[k % len(funcs)]
            funcs[old] = ((funcs[old][0] + 1) % len(BODIES), funcs[old][1])
        elif op == "params" and funcs:
            old = sorted(funcs)[k % len(funcs)]
            funcs[old] = (funcs[old][0], (funcs[old][1] + 1) % len(PARAMS))
        elif op == "drop_file":
            files.pop(rel, None)
        elif op in ("reject", "confirm"):
            flush()
            dream(store)
            rows = store.db.execute(
                "SELECT id FROM facts WHERE predicate IN ('may_handle', 'pure', 'role') "
                "AND status IN ('tentative', 'firm') ORDER BY id"
            ).fetchall()
            if rows:
                record_verdict(store, rows[k % len(rows)][0], confirm=op == "confirm")
            continue
        flush()
        if dream_now:
            dream(store, batch_size=7 + k)  # small batches: boundaries fall anywhere
    dream(store)
    check_invariants(store)
    snapshot = store.db.execute(
        "SELECT id, subject, predicate, object, origin, status, confidence, evidence_count, "
        "superseded_by, verdict, first_observation, ended_by FROM facts ORDER BY id"
    ).fetchall()
    store.close()
    return snapshot


def check_invariants(store: Store) -> None:
    db = store.db
    # 1. At most one current value per single-valued predicate per subject.
    marks = ",".join("?" * len(SINGLE_VALUED))
    dup = db.execute(
        f"SELECT subject, predicate, count(*) FROM facts WHERE status IN ('tentative', 'firm') "
        f"AND predicate IN ({marks}) GROUP BY subject, predicate HAVING count(*) > 1",
        sorted(SINGLE_VALUED),
    ).fetchall()
    assert dup == []
    # 2a. What the code says is never tentative.
    assert db.execute(
        "SELECT count(*) FROM facts WHERE status = 'tentative' AND origin IN ('observed', 'summary')"
    ).fetchone() == (0,)
    # 2. Every firm insight has >= 2 independent sources or a user confirmation; what
    #    the code says (observed facts, the offline summary) is firm while it says so.
    for fact_id, verdict in db.execute(
        "SELECT id, verdict FROM facts WHERE status = 'firm' AND origin NOT IN ('observed', 'summary')"
    ).fetchall():
        sources = {
            why
            for (why,) in db.execute(
                "SELECT DISTINCT why FROM fact_evidence WHERE fact_id = ? AND active = 1 "
                "AND why NOT IN ('negated', 'user')",
                (fact_id,),
            )
        }
        assert verdict == "confirmed" or len(sources) >= 2, (fact_id, sources)
    # 3. No current fact about a symbol that no longer exists (except where it went).
    gone = db.execute(
        "SELECT subject, predicate, object FROM facts WHERE status IN ('tentative', 'firm') "
        "AND subject NOT IN (SELECT key FROM symbols) "
        f"AND predicate NOT IN ({','.join('?' * len(GONE_TO))})",
        GONE_TO,
    ).fetchall()
    assert gone == []
    # 4. Every current symbol has its current body hash (what the latest look at its file
    #    says) as a live fact, and the store says the same of it.
    now = dict(
        db.execute(
            "SELECT s.key, o.object FROM symbols s JOIN current c ON c.path = s.path "
            "JOIN observations o ON o.id = c.observation_id AND o.subject = s.key AND o.predicate = 'body_hash'"
        ).fetchall()
    )
    assert sorted(now) == sorted(row[0] for row in db.execute("SELECT key FROM symbols"))
    assert {key: store.body_hash(key) for key in now} == now
    missing = [
        key
        for key, body in now.items()
        if not db.execute(
            "SELECT 1 FROM facts WHERE subject = ? AND predicate = 'body_hash' AND object = ? "
            "AND status IN ('tentative', 'firm')",
            (key, body),
        ).fetchone()
    ]
    assert missing == []
    # 5. History is kept: superseded facts point at a fact of the same subject and predicate.
    bad = db.execute(
        "SELECT old.id FROM facts old JOIN facts new ON new.id = old.superseded_by "
        "WHERE old.status = 'superseded' AND (new.subject != old.subject OR new.predicate != old.predicate)"
    ).fetchall()
    assert bad == []


@settings(
    max_examples=int(os.environ.get("KAIROS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(histories)
def test_random_histories_keep_the_invariants_and_are_deterministic(history):
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        first = replay(Path(one), history)
        second = replay(Path(two), history)
    assert first == second
