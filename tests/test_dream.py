"""autoDream: replay real edit histories (write files, scan, dream) and check the exact facts."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kairos_lsp.dream import dream, facts_for, history, pending, predecessors, record_verdict, successor
from kairos_lsp.dream.lock import DreamLock
from kairos_lsp.keys import name_of
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

REPO = Path(__file__).resolve().parents[1]

AUTH = '''"""Sessions."""


class Session:
    def login(self, user, password):
        """Check the password and open a session."""
        if not verify(user, password):
            raise PermissionError(user)
        return open_session(user)


def fetch_page(url, timeout=10):
    """Download one page over HTTP."""
    return requests.get(url, timeout=timeout)


def add(a, b):
    return a + b
'''

LOGIN = "python:src/auth.py:Session.login"
FETCH = "python:src/auth.py:fetch_page"


class Workspace:
    def __init__(self, root: Path):
        self.root = root
        self.store = Store.for_workspace(root)
        self._tick = 1_700_000_000_000_000_000

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self._tick += 1_000_000_000
        os.utime(path, ns=(self._tick, self._tick))  # a rewrite is always seen as a change

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def edit(self, rel: str, old: str, new: str) -> None:
        text = (self.root / rel).read_text()
        assert old in text
        self.write(rel, text.replace(old, new))

    def scan_and_dream(self, **kwargs):
        scan_workspace(self.root, self.store, jobs=1)
        return dream(self.store, **kwargs)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path)
    w.write("src/auth.py", AUTH)
    w.scan_and_dream()
    yield w
    w.store.close()


def live(store, key):
    """{(predicate, value): status} of the current facts about a key."""
    return {(f["predicate"], _text(f["value"])): f["status"] for f in facts_for(store, key, current_only=True)}


def facts(store, key, predicate):
    return [
        (f["value"], f["status"])
        for f in sorted(facts_for(store, key), key=lambda f: f["id"])
        if f["predicate"] == predicate
    ]


def _text(value):
    return value if isinstance(value, str) else str(value)


def observed(store, key):
    return {
        k: v
        for k, v in live(store, key).items()
        if k[0] not in ("may_handle", "pure", "role", "summary") and "from" not in k[0]
    }


def test_first_dream_turns_observations_into_facts(ws):
    assert observed(ws.store, LOGIN) == {
        ("kind", "method"): "firm",
        ("signature", "login(self, user, password)"): "firm",
        ("parameters", "[['self', 'required'], ['user', 'required'], ['password', 'required']]"): "firm",
        ("docstring", "Check the password and open a session."): "firm",
        ("body_hash", ws.store.body_hash(LOGIN)): "firm",
        ("calls", "verify"): "firm",
        ("calls", "open_session"): "firm",
        ("calls", "PermissionError"): "firm",
        ("raises", "PermissionError"): "firm",
    }
    sig = next(f for f in facts_for(ws.store, LOGIN) if f["predicate"] == "signature")
    assert sig["confidence"] == 0.9 and sig["valid_to"] is None
    [evidence] = sig["evidence"]
    assert evidence["source"] == "parse" and evidence["path"] == "src/auth.py"
    assert evidence["file_hash"] == ws.store.file("src/auth.py")["content_hash"]
    # Insights: name + docstring say authentication (0.7: tentative); name + docstring + calls
    # say network for fetch_page, firm at 0.88 from three independent sources.
    assert live(ws.store, LOGIN)[("may_handle", "authentication")] == "tentative"
    network = next(f for f in facts_for(ws.store, FETCH) if f["value"] == "network")
    assert network["status"] == "firm" and network["confidence"] == 0.88
    assert sorted({e["source"] for e in network["evidence"]}) == ["calls", "docstring", "name"]
    assert live(ws.store, "python:src/auth.py:add")[("pure", "true")] == "tentative"
    assert live(ws.store, LOGIN)[("summary", "Check the password and open a session.")] == "firm"
    # the offline summary is made of what the code says: firm too; insights are not
    assert live(ws.store, "python:src/auth.py:add")[("summary", "Takes a and b.")] == "firm"
    assert live(ws.store, "python:src/auth.py:add")[("pure", "true")] == "tentative"


def test_signature_change_supersedes_the_old_values(ws):
    ws.edit("src/auth.py", "def login(self, user, password):", "def login(self, user, password, otp=None):")
    report = ws.scan_and_dream()
    assert report.superseded >= 4 and report.retracted == 0
    assert facts(ws.store, LOGIN, "signature") == [
        ("login(self, user, password)", "superseded"),
        ("login(self, user, password, otp=None)", "firm"),
    ]
    assert [(len(value), status) for value, status in facts(ws.store, LOGIN, "parameters")] == [
        (3, "superseded"),
        (4, "firm"),
    ]
    old, new = sorted((f for f in facts_for(ws.store, LOGIN) if f["predicate"] == "signature"), key=lambda f: f["id"])
    assert old["superseded_by"] == new["id"] and old["valid_to"] == new["valid_from"]
    assert new["valid_to"] is None
    # Only facts of the same subject and predicate were touched: the docstring stands.
    assert facts(ws.store, LOGIN, "docstring") == [("Check the password and open a session.", "firm")]


def test_rename_links_old_and_new_keys_and_keeps_history(ws):
    ws.edit("src/auth.py", "def add(a, b):", "def plus(a, b):")
    report = ws.scan_and_dream()
    assert report.linked == 1
    old, new = "python:src/auth.py:add", "python:src/auth.py:plus"
    assert live(ws.store, old) == {("renamed_to", new): "firm"}  # body + parameters: 0.9
    link = next(f for f in facts_for(ws.store, new) if f["predicate"] == "renamed_from")
    assert (link["value"], link["status"], link["confidence"]) == (old, "firm", 0.9)
    assert sorted({e["source"] for e in link["evidence"]}) == ["body", "parameters"]
    assert predecessors(ws.store, new) == [(old, "renamed_from")]
    assert successor(ws.store, old) == (new, "renamed_to")
    chain = history(ws.store, new)
    assert [h["subject"] for h in chain] == [new, old]
    assert ("signature", "add(a, b)") in {(f["predicate"], _text(f["value"])) for f in chain[1]["facts"]}
    assert all(f["status"] == "retracted" for f in chain[1]["facts"] if f["predicate"] != "renamed_to")


def test_move_to_another_file(ws):
    ws.edit("src/auth.py", AUTH[AUTH.index("def fetch_page") : AUTH.index("def add")], "")
    ws.write("src/net.py", AUTH[AUTH.index("def fetch_page") : AUTH.index("def add")])
    ws.scan_and_dream()
    new = "python:src/net.py:fetch_page"
    assert live(ws.store, FETCH) == {("moved_to", new): "firm"}
    assert live(ws.store, new)[("moved_from", FETCH)] == "firm"
    assert live(ws.store, new)[("may_handle", "network")] == "firm"
    assert predecessors(ws.store, new) == [(FETCH, "moved_from")]


def test_move_is_found_whichever_file_is_read_first(ws):
    # a.py sorts before src/auth.py: the new key appears before the old one vanishes.
    ws.edit("src/auth.py", AUTH[AUTH.index("def add") :], "")
    ws.write("a.py", AUTH[AUTH.index("def add") :])
    ws.scan_and_dream()
    assert live(ws.store, "python:src/auth.py:add") == {("moved_to", "python:a.py:add"): "firm"}
    assert live(ws.store, "python:a.py:add")[("moved_from", "python:src/auth.py:add")] == "firm"


def test_move_is_found_when_cut_and_paste_are_dreamed_apart(ws):
    # Cut from auth.py (a dream retracts it), then paste into an existing file (the next dream).
    ws.write("src/net.py", "import socket\n")
    ws.scan_and_dream()
    body = AUTH[AUTH.index("def fetch_page") : AUTH.index("def add")]
    ws.edit("src/auth.py", body, "")
    ws.scan_and_dream()
    assert live(ws.store, FETCH) == {}
    ws.write("src/net.py", "import socket\n\n\n" + body)
    ws.scan_and_dream()
    new = "python:src/net.py:fetch_page"
    assert live(ws.store, new)[("moved_from", FETCH)] == "firm"
    assert live(ws.store, FETCH) == {("moved_to", new): "firm"}


def test_an_old_copy_elsewhere_is_not_taken_for_a_move(ws):
    ws.write("lib/copy.py", "def add(a, b):\n    return a + b\n")
    ws.scan_and_dream()
    ws.edit("src/auth.py", '"""Sessions."""', '"""Sessions and pages."""')  # auth.py seen again
    ws.scan_and_dream()
    ws.edit("src/auth.py", AUTH[AUTH.index("def add") :], "")
    ws.scan_and_dream()
    assert live(ws.store, "python:src/auth.py:add") == {}
    assert not any(p.endswith("_from") for p, _ in live(ws.store, "python:lib/copy.py:add"))


CLOSE = "def close(self):\n    self.stream.close()\n    self.closed = True\n"


def test_a_folder_deleted_moved_nothing_to_copies_the_first_scan_read_after_it(tmp_path):
    """The first scan reads vendor/, then zlib_compat/, each with the same ``close`` and
    ``CHUNK``: both were there all along. vendor/ deleted, nothing in it went anywhere (on
    the large tree, site-packages deleted: 530 such moves in the first 6 % of the dream)."""
    w = Workspace(tmp_path)
    w.write("vendor/streams.py", CLOSE + "\n\nCHUNK = 4096\n")
    w.write("zlib_compat/streams.py", CLOSE + "\n\nCHUNK = 4096\n")
    w.scan_and_dream()
    (tmp_path / "vendor" / "streams.py").unlink()
    w.scan_and_dream()
    for name in ("close", "CHUNK"):
        assert live(w.store, f"python:vendor/streams.py:{name}") == {}
        assert not any(p.endswith("_from") for p, _ in live(w.store, f"python:zlib_compat/streams.py:{name}"))
    w.store.close()


def test_a_folder_deleted_then_brought_back_moved_nothing_inside_it(tmp_path):
    """vendor/ goes (one look deletes a.py, then b.py) and comes back (a checkout there and
    back): a.py's ``close`` did not move from b.py's, which vanished after a.py's last look."""
    w = Workspace(tmp_path)
    for rel in ("vendor/a.py", "vendor/b.py"):
        w.write(rel, CLOSE)
    w.scan_and_dream()
    aside = tmp_path.parent / f"{tmp_path.name}-vendor"
    (tmp_path / "vendor").rename(aside)
    w.scan_and_dream()
    aside.rename(tmp_path / "vendor")
    w.scan_and_dream()
    for rel in ("vendor/a.py", "vendor/b.py"):
        assert ("kind", "function") in live(w.store, f"python:{rel}:close")
        assert not any(p.endswith(("_from", "_to")) for p, _ in live(w.store, f"python:{rel}:close"))
    w.store.close()


def test_a_folder_renamed_moves_each_function_to_its_namesake_even_a_body_of_pass(tmp_path):
    """pkg/ renamed lib/ in one look: every function moved, each to the key with its
    qualname, though three functions (one outside the folder) share the body ``pass``."""
    w = Workspace(tmp_path)
    w.write("pkg/io.py", CLOSE + "\n\ndef noop():\n    pass\n")
    w.write("pkg/util.py", "def clamp(x, lo, hi):\n    return min(hi, max(lo, x))\n\n\ndef nothing():\n    pass\n")
    w.write("other.py", "def idle():\n    pass\n")
    w.scan_and_dream()
    (tmp_path / "pkg").rename(tmp_path / "lib")
    w.scan_and_dream()
    for key in ("io.py:close", "io.py:noop", "util.py:clamp", "util.py:nothing"):
        assert live(w.store, f"python:pkg/{key}") == {("moved_to", f"python:lib/{key}"): "firm"}
    assert not any(p.endswith("_from") for p, _ in live(w.store, "python:other.py:idle"))
    w.store.close()


def test_a_folder_renamed_twice_moves_every_function_whose_body_hundreds_share(tmp_path):
    """120 functions whose body is ``pass``, in a folder renamed, then renamed again, each
    in one look: each time every function moves to its namesake, not to the first key with
    its body, nor nowhere for too many candidates."""
    w = Workspace(tmp_path)
    for n in range(12):
        w.write(f"pkg/m{n}.py", "".join(f"def f{n}_{k}():\n    pass\n\n\n" for k in range(10)))
    w.scan_and_dream()
    for old, new in (("pkg", "lib"), ("lib", "vendor")):
        (tmp_path / old).rename(tmp_path / new)
        w.scan_and_dream()
        for n in range(12):
            for k in range(10):
                key = f"m{n}.py:f{n}_{k}"
                assert live(w.store, f"python:{old}/{key}") == {("moved_to", f"python:{new}/{key}"): "firm"}
    w.store.close()


def test_a_move_is_found_beside_a_copy_the_first_scan_read_after_the_old_file(tmp_path):
    """Cut from more.py, pasted into a new file: a move. The copy in streams.py, which the
    first scan read after more.py, is no rival candidate (two candidates: no link at all)."""
    w = Workspace(tmp_path)
    w.write("zlib_compat/more.py", CLOSE)
    w.write("zlib_compat/streams.py", CLOSE)
    w.scan_and_dream()
    w.write("zlib_compat/more.py", "")
    w.write("zlib_compat/closing.py", CLOSE)
    w.scan_and_dream()
    moved = "python:zlib_compat/closing.py:close"
    assert live(w.store, "python:zlib_compat/more.py:close") == {("moved_to", moved): "firm"}
    assert live(w.store, moved)[("moved_from", "python:zlib_compat/more.py:close")] == "firm"
    assert not any(p.endswith("_from") for p, _ in live(w.store, "python:zlib_compat/streams.py:close"))
    w.store.close()


def test_deleting_a_symbol_or_a_file_retracts_everything_about_it(ws):
    ws.edit("src/auth.py", AUTH[AUTH.index("def add") :], "")
    ws.scan_and_dream()
    add = "python:src/auth.py:add"
    assert live(ws.store, add) == {}
    assert {f["status"] for f in facts_for(ws.store, add)} == {"retracted"}
    assert all(f["valid_to"] for f in facts_for(ws.store, add))
    ws.remove("src/auth.py")
    report = ws.scan_and_dream()
    assert report.retracted > 20
    for key in (LOGIN, FETCH, "python:src/auth.py", "python:src/auth.py:Session"):
        assert live(ws.store, key) == {}
        assert facts_for(ws.store, key)  # nothing is deleted: history stays


def test_revert_starts_a_new_fact_and_keeps_the_chain(ws):
    ws.edit("src/auth.py", "def add(a, b):", "def add(a, b, c=0):")
    ws.scan_and_dream()
    ws.edit("src/auth.py", "def add(a, b, c=0):", "def add(a, b):")
    ws.scan_and_dream()
    add = "python:src/auth.py:add"
    sigs = sorted((f for f in facts_for(ws.store, add) if f["predicate"] == "signature"), key=lambda f: f["id"])
    assert [(f["value"], f["status"]) for f in sigs] == [
        ("add(a, b)", "superseded"),
        ("add(a, b, c=0)", "superseded"),
        ("add(a, b)", "firm"),
    ]
    assert sigs[0]["superseded_by"] == sigs[1]["id"] and sigs[1]["superseded_by"] == sigs[2]["id"]
    assert live(ws.store, add)[("pure", "true")] == "tentative"


def test_split_one_function_into_two(ws):
    ws.edit(
        "src/auth.py",
        '''def fetch_page(url, timeout=10):
    """Download one page over HTTP."""
    return requests.get(url, timeout=timeout)''',
        '''def fetch_page(url, timeout=10):
    """Download one page over HTTP."""
    return decode(get_raw(url, timeout))


def get_raw(url, timeout):
    return requests.get(url, timeout=timeout)''',
    )
    report = ws.scan_and_dream()
    assert report.linked == 0  # fetch_page still exists: a split is no rename
    raw = "python:src/auth.py:get_raw"
    assert facts(ws.store, FETCH, "calls") == [
        ("requests.get", "retracted"),
        ("decode", "firm"),
        ("get_raw", "firm"),
    ]
    assert [v for v, s in facts(ws.store, FETCH, "body_hash")][:1] and [
        s for v, s in facts(ws.store, FETCH, "body_hash")
    ] == ["superseded", "firm"]
    assert live(ws.store, raw)[("calls", "requests.get")] == "firm"
    assert live(ws.store, raw)[("may_handle", "network")] == "tentative"  # calls only: 0.6
    # fetch_page lost its network call: the firm insight is demoted (name + docstring: 0.7).
    network = next(
        f for f in facts_for(ws.store, FETCH) if f["value"] == "network" and f["status"] in ("firm", "tentative")
    )
    assert (network["status"], network["confidence"]) == ("tentative", 0.7)
    assert report.demoted >= 1
    inactive = [e for e in network["evidence"] if not e["active"]]
    assert [(e["source"], e["detail"]) for e in inactive] == [("calls", "requests.get")]


def test_dreams_are_incremental(ws):
    again = dream(ws.store)
    assert (again.observations, again.created, again.first_observation) == (0, 0, None)
    before = ws.store.stats()["observations"]
    ws.edit("src/auth.py", "return a + b", "return b + a")
    scan_workspace(ws.root, ws.store, jobs=1)
    new = ws.store.stats()["observations"] - before
    assert pending(ws.store) == new
    report = dream(ws.store)
    assert report.observations == new and report.first_observation == before + 1
    assert pending(ws.store) == 0


def _snapshot(store):
    return store.db.execute(
        "SELECT id, subject, predicate, object, origin, status, confidence, evidence_count, "
        "superseded_by, verdict, first_observation, ended_by FROM facts ORDER BY id"
    ).fetchall()


def test_stop_and_resume_gives_the_same_facts(tmp_path):
    def build(root):
        w = Workspace(root)
        for i in range(6):
            w.write(f"m{i}.py", AUTH.replace("add", f"add{i}"))
        scan_workspace(root, w.store, jobs=1)
        return w

    whole = build(tmp_path / "whole")
    dream(whole.store)
    parts = build(tmp_path / "parts")
    calls = []
    first = dream(parts.store, batch_size=30, should_stop=lambda: calls.append(1) or len(calls) > 2)
    assert first.stopped and pending(parts.store) > 0
    log = parts.store.db.execute("SELECT stopped, observations FROM dreams").fetchall()
    assert log == [(1, first.observations)]
    second = dream(parts.store, batch_size=30)
    assert not second.stopped and pending(parts.store) == 0
    assert second.first_observation == first.last_observation + 1
    assert _snapshot(parts.store) == _snapshot(whole.store)


def test_a_second_dreamer_is_turned_away(ws):
    lock = DreamLock(ws.store.path)
    assert lock.acquire()
    try:
        report = dream(ws.store)
        assert report.busy and report.dream_id is None
    finally:
        lock.release()
    assert not dream(ws.store).busy


def test_the_lock_does_not_outlive_a_crashed_dreamer(ws):
    code = (
        "import sys, time; from kairos_lsp.dream.lock import DreamLock; "
        f"l = DreamLock({ws.store.path!r}); assert l.acquire(); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        assert dream(ws.store).busy
    finally:
        proc.kill()
        proc.wait()
    assert not dream(ws.store).busy


def test_a_rejected_fact_is_never_re_promoted_by_the_same_evidence(ws):
    fact = next(f for f in facts_for(ws.store, FETCH, current_only=True) if f["value"] == "network")
    record_verdict(ws.store, fact["id"], confirm=False)
    after = next(f for f in facts_for(ws.store, FETCH) if f["id"] == fact["id"])
    assert (after["status"], after["verdict"]) == ("retracted", "rejected")
    assert any(e["source"] == "user" for e in after["evidence"])
    user = [h for h in ws.store.history(FETCH) if h["source"] == "user"]
    assert [(h["predicate"], h["object"], h["negated"]) for h in user] == [("may_handle", "network", 1)]
    # The file changes around it, the symbol is re-derived: the same evidence does not bring it back.
    ws.edit("src/auth.py", "return a + b", "return b + a")
    ws.edit("src/auth.py", '"""Download one page over HTTP."""', '"""Download one page over HTTP, politely."""')
    ws.scan_and_dream()
    assert ("may_handle", "network") not in live(ws.store, FETCH)
    # It follows a rename too.
    ws.edit("src/auth.py", "def fetch_page(", "def fetch_one(")
    ws.scan_and_dream()
    assert ("may_handle", "network") not in live(ws.store, "python:src/auth.py:fetch_one")
    # New evidence (an import of a network module) may show it again, but tentative only.
    ws.edit(
        "src/auth.py",
        "    return requests.get(url, timeout=timeout)",
        "    import socket\n    return requests.get(url, timeout=timeout)",
    )
    ws.scan_and_dream()
    assert live(ws.store, "python:src/auth.py:fetch_one")[("may_handle", "network")] == "tentative"


def test_a_rejection_holds_for_a_look_at_the_file_the_same_dream_replays_after_it(ws):
    # The verdict and the next look are consolidated together: the look must see the verdict
    # the dream has just written (a memory with no verdict before is not asked again per file).
    fact = next(f for f in facts_for(ws.store, FETCH, current_only=True) if f["value"] == "network")
    record_verdict(ws.store, fact["id"], confirm=False, apply=False)
    ws.edit("src/auth.py", "return a + b", "return b + a")
    scan_workspace(ws.root, ws.store, jobs=1)
    report = dream(ws.store)
    assert report.first_observation < report.last_observation  # one dream for both
    assert ("may_handle", "network") not in live(ws.store, FETCH)
    assert next(f for f in facts_for(ws.store, FETCH) if f["id"] == fact["id"])["verdict"] == "rejected"


def test_a_confirmed_fact_is_firm_whatever_its_evidence(ws):
    key = ("python:src/auth.py:add", "pure", "true")
    record_verdict(ws.store, key, confirm=True)
    assert live(ws.store, key[0])[("pure", "true")] == "firm"
    ws.edit("src/auth.py", "return a + b", "return sum((a, b))")
    ws.scan_and_dream()
    fact = next(f for f in facts_for(ws.store, key[0], current_only=True) if f["predicate"] == "pure")
    assert (fact["status"], fact["verdict"], fact["confidence"]) == ("firm", "confirmed", 1.0)


def test_a_summary_follows_its_symbol_through_a_rename_and_a_change(ws):
    assert live(ws.store, "python:src/auth.py:add")[("summary", "Takes a and b.")] == "firm"
    ws.edit("src/auth.py", "def add(a, b):", "def plus(a, b):")
    ws.scan_and_dream()
    assert live(ws.store, "python:src/auth.py:plus")[("summary", "Takes a and b.")] == "firm"
    ws.edit("src/auth.py", "def plus(a, b):", "def plus(a, b, c):")
    ws.scan_and_dream()
    summaries = {o: s for (p, o), s in live(ws.store, "python:src/auth.py:plus").items() if p == "summary"}
    assert summaries == {"Takes a, b and c.": "firm"}


def test_a_summary_says_more_than_kind_and_signature_or_nothing(ws):
    # A hover shows the kind and the signature already: "A class." said nothing more.
    assert [o for (p, o) in live(ws.store, "python:src/auth.py:Session") if p == "summary"] == []
    add = "python:src/auth.py:add"
    ws.edit("src/auth.py", "def add(a, b):\n    return a + b", "def add():\n    return 3")
    ws.scan_and_dream()
    assert [o for (p, o) in live(ws.store, add) if p == "summary"] == []
    assert facts(ws.store, add, "summary") == [("Takes a and b.", "retracted")]
    ws.edit("src/auth.py", "def add():\n    return 3", "def add():\n    return len('abc')")
    ws.scan_and_dream()
    assert live(ws.store, add)[("summary", "Takes no arguments and calls len.")] == "firm"
    # a constant is not called: what it is set from, if anything
    ws.write("src/conf.py", "import os\n\nHOME = os.getenv('HOME')\nDEBUG = True\n")
    ws.scan_and_dream()
    assert live(ws.store, "python:src/conf.py:HOME")[("summary", "Set from os.getenv.")] == "firm"
    assert [o for (p, o) in live(ws.store, "python:src/conf.py:DEBUG") if p == "summary"] == []


def test_dream_log_records_each_run(ws):
    ws.edit("src/auth.py", "return a + b", "return b + a")
    ws.scan_and_dream(trigger="idle")
    rows = ws.store.db.execute(
        "SELECT trigger, observations, created, superseded, stopped, duration_ms IS NOT NULL FROM dreams ORDER BY id"
    ).fetchall()
    [(first_scan,)] = ws.store.db.execute(
        "SELECT count(*) FROM observation_log WHERE id <= (SELECT last_observation FROM dreams ORDER BY id LIMIT 1)"
    ).fetchall()
    assert rows[0][0] == "cli" and rows[0][1] == first_scan > 20  # the first dream read the whole first scan
    assert rows[-1][0] == "idle" and rows[-1][3] >= 2 and rows[-1][4] == 0 and rows[-1][5] == 1


def test_a_dream_gives_the_garbage_collector_back_however_it_ends(ws, monkeypatch):
    """A dream runs without Python's automatic garbage collection (its batches make no
    cycles, and a full collection looks at everything it keeps); the process it runs in
    (the server, the daemon) must have it back afterwards: finished, stopped, or failed."""
    import gc

    from kairos_lsp.dream import runs

    assert gc.isenabled()
    during: list[bool] = []
    for step in range(3):
        ws.edit("src/auth.py", f"return a + b{' ' * step}", f"return a + b{' ' * (step + 1)}")
        scan_workspace(ws.root, ws.store, jobs=1)
        if step == 0:
            report = dream(ws.store, should_stop=lambda: during.append(gc.isenabled()) or False)
            assert report.observations > 0 and not report.stopped
        elif step == 1:
            report = dream(ws.store, should_stop=lambda: True)
            assert report.stopped
        else:
            with monkeypatch.context() as patch:
                patch.setattr(runs, "derive", lambda *args: 1 / 0)
                with pytest.raises(ZeroDivisionError):
                    dream(ws.store)
        assert gc.isenabled(), f"step {step}"
    assert during and not any(during)  # (and it was off while the batches ran)


def _pure_facts(store: Store) -> dict[str, str]:
    """Subject -> status of every ``pure true`` insight the memory holds (live or not)."""
    return {
        row["subject"]: row["status"]
        for row in store.db.query(
            "SELECT subject, status FROM derived_facts WHERE predicate = 'pure' AND object = 'true'"
        )
    }


@pytest.fixture
def typed_code(tmp_path) -> Path:
    """Released code that declares without code: the installed ``attr`` package (attrs, a
    dependency of cattrs), its code and its own type stubs side by side (``converters.py``
    and ``converters.pyi``), and click's ``decorators.py`` (``@t.overload`` signatures of
    ``command`` and ``group`` before their code)."""

    import attr
    import click

    root = tmp_path / "ws"
    shutil.copytree(Path(attr.__file__).parent, root / "attr", ignore=shutil.ignore_patterns("__pycache__"))
    assert list((root / "attr").glob("*.pyi")) and list((root / "attr").glob("*.py"))
    (root / "click").mkdir()
    shutil.copyfile(Path(click.__file__).parent / "decorators.py", root / "click" / "decorators.py")
    return root


def _overloads(store: Store) -> set[str]:
    return {
        row["subject"]
        for row in store.db.query(
            "SELECT subject FROM facts WHERE predicate = 'decorated_by' AND object LIKE '%overload' AND status = 'firm'"
        )
    }


def test_functions_of_type_stubs_and_overloads_are_not_found_pure_and_code_still_is(typed_code):
    """A stub's ``...`` calls and raises nothing: that says nothing of what the function does
    (attrs' ``converters.pyi`` declares ``to_bool``, whose code raises ValueError)."""
    store = Store(typed_code / ".kairos" / "memory.db")
    scan_workspace(typed_code, store, jobs=1)
    dream(store)
    pure = _pure_facts(store)
    stubs = [s for s in pure if s.split(":")[1].endswith(".pyi")]
    assert stubs == []
    overloads = _overloads(store)
    assert {s for s in overloads if s.startswith("python:click/")} and not overloads & set(pure)
    assert any(s.split(":")[1].endswith(".py") for s in pure)  # code is still judged
    functions_in_stubs = store.db.execute(
        "SELECT count(*) FROM symbols WHERE path LIKE '%.pyi' AND kind = 'function'"
    ).fetchone()[0]
    assert functions_in_stubs > 20  # there was something to be wrong about
    store.close()


def test_a_memory_that_found_stubs_pure_retracts_that_at_its_next_dream(typed_code, monkeypatch):
    """A memory dreamed before stubs and overloads were told apart (its migration leaves a
    mark): the next dream retracts those facts, keeping their history, and nothing else."""
    from kairos_lsp.dream import promote
    from kairos_lsp.store.migrations import m032_no_purity_from_stubs

    store = Store(typed_code / ".kairos" / "memory.db")
    scan_workspace(typed_code, store, jobs=1)
    with monkeypatch.context() as before:
        before.setattr(promote, "declared_only", lambda subject, decorators, declared=False: False)  # the code before
        dream(store)
    was = _pure_facts(store)
    in_stubs = {s for s in was if s.split(":")[1].endswith(".pyi") or s in _overloads(store)}
    assert "python:attr/converters.pyi:to_bool" in in_stubs  # the old mistakes
    assert {s for s in in_stubs if s.startswith("python:click/")}
    with store.transaction():
        m032_no_purity_from_stubs(store.db)
    report = dream(store)
    now = _pure_facts(store)
    assert {s for s in in_stubs if now[s] != "retracted"} == set()  # kept, retracted
    assert {s: st for s, st in now.items() if s not in in_stubs} == {s: was[s] for s in was if s not in in_stubs}
    assert report.retracted == len(in_stubs) and report.observations == 0
    again = dream(store)
    assert again.retracted == 0  # once
    store.close()


@pytest.fixture
def writing_code(tmp_path) -> Path:
    """Released code whose functions call nothing and write: the standard library's
    ``operator`` (``setitem``, ``delitem``: an argument's item), ``gettext`` (``textdomain``:
    a global) and ``heapq`` (``_siftdown``: the heap it is given)."""
    import sysconfig

    root = tmp_path / "ws"
    root.mkdir()
    for module in ("operator.py", "gettext.py", "heapq.py"):
        shutil.copyfile(Path(sysconfig.get_paths()["stdlib"]) / module, root / module)
    return root


WRITERS = {
    "python:operator.py:setitem",
    "python:operator.py:delitem",
    "python:gettext.py:textdomain",
    "python:gettext.py:bindtextdomain",
    "python:heapq.py:_siftdown",
    "python:heapq.py:_siftdown_max",
}


def test_a_function_that_writes_beyond_its_scope_is_not_pure(writing_code):
    store = Store(writing_code / ".kairos" / "memory.db")
    scan_workspace(writing_code, store, jobs=1)
    dream(store)
    pure = {s for s, status in _pure_facts(store).items() if status != "retracted"}
    assert WRITERS.isdisjoint(pure)
    assert {"python:operator.py:add", "python:operator.py:getitem"} <= pure  # they only read
    writes = {
        (r["subject"], r["object"])
        for r in store.db.query("SELECT subject, object FROM facts WHERE predicate = 'writes'")
    }
    assert {("python:operator.py:setitem", "a[…]"), ("python:gettext.py:textdomain", "_current_domain")} <= writes
    store.close()


def test_a_memory_read_by_an_older_extraction_is_read_again_and_retracts_what_it_misjudged(writing_code, monkeypatch):
    """A memory whose files an extraction without ``writes`` read (schema 36 marks them): the
    next scan reads every file again though none changed, the dream retracts the purity of
    the functions that write, keeping its history, and nothing else changes."""
    from kairos_lsp import extract
    from kairos_lsp import store as store_module

    store = Store(writing_code / ".kairos" / "memory.db")
    with monkeypatch.context() as before:  # the code before
        before.setattr(extract, "locals_query", lambda language: None)
        before.setattr(store_module, "EXTRACTION_VERSION", 0)
        scan_workspace(writing_code, store, jobs=1)
        dream(store)
    was = _pure_facts(store)
    assert WRITERS <= {s for s, status in was.items() if status != "retracted"}  # the old mistakes
    report = scan_workspace(writing_code, store, jobs=1)
    assert report.parsed == 3 and report.negated == 0 and report.added > 0
    dream(store)
    now = _pure_facts(store)
    assert {s: now[s] for s in WRITERS} == {s: "retracted" for s in WRITERS}
    assert {s: st for s, st in now.items() if s not in WRITERS} == {s: was[s] for s in was if s not in WRITERS}
    assert scan_workspace(writing_code, store, jobs=1).parsed == 0  # once
    store.close()


def test_express_s_api_is_not_found_pure_for_calling_nothing(tmp_path):
    """express 4 defines its API as ``app.listen = function listen() {...}``: each was tagged
    twice, the calls went to the inner symbol (``listen.listen``) and the outer one, calling
    nothing, was found pure: ``app.listen``, ``app.use``, ``res.send``, 64 such claims. And
    ``app.enable`` (``this.set(setting, true)``) and ``res.links`` write by a method named
    ``set``, which is not the builtin ``set()``."""
    import released

    tree = released.fetched(released.Project("express", "4.21.2", "npm"))
    root = tmp_path / "express"
    shutil.copytree(tree / "lib", root / "lib")
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    pure = {s for s, status in _pure_facts(store).items() if status != "retracted"}
    api = {
        f"javascript:lib/{m}"
        for m in ("application.js:app.listen", "application.js:app.use", "response.js:res.send")
        + ("application.js:app.enable", "application.js:app.disable", "response.js:res.links")
    }
    assert api.isdisjoint(pure)
    calls = {
        r["object"]
        for r in store.db.query(
            "SELECT object FROM facts WHERE subject = ? AND predicate = 'calls'",
            ["javascript:lib/application.js:app.listen"],
        )
    }
    assert "http.createServer" in calls
    assert store.symbol("javascript:lib/application.js:app.listen.listen") is None  # one symbol, not two
    store.close()


def test_typescript_overload_signatures_are_not_found_pure(tmp_path):
    """rxjs declares most operators several times before their code (``first<T>(...): X;``):
    each signature calls nothing, and 226 of its 249 pure facts were such signatures."""
    import released

    tree = released.fetched(released.Project("rxjs", "7.8.1", "npm", "src"))
    root = tmp_path / "rxjs"
    shutil.copytree(tree / "internal" / "operators", root / "operators")
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    pure = {s for s, status in _pure_facts(store).items() if status != "retracted"}
    declared = {r["subject"] for r in store.db.query("SELECT subject FROM facts WHERE predicate = 'declared'")}
    assert "typescript:operators/first.ts:first" in declared and len(declared) > 100
    assert not pure & declared
    assert "typescript:operators/first.ts:first~7" not in declared  # the code (the 7th)
    assert "typescript:operators/skip.ts:skip" in pure  # code is still judged
    store.close()


def test_typescript_closures_that_set_their_enclosing_variables_are_not_pure(tmp_path):
    """TanStack Query's ``createRetryer`` hands out ``cancelRetry = () => { isRetryCancelled =
    true }`` and ``notifyManager``'s setters set its variables: they call nothing, and the
    memory had found them pure."""
    import released

    tree = released.fetched(released.Project("@tanstack/query-core", "5.59.20", "npm", "src"))
    root = tmp_path / "query-core"
    root.mkdir()
    for module in ("retryer.ts", "notifyManager.ts", "utils.ts"):
        shutil.copyfile(tree / module, root / module)
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    pure = {s for s, status in _pure_facts(store).items() if status != "retracted"}
    setters = {
        "typescript:retryer.ts:createRetryer.cancelRetry",
        "typescript:retryer.ts:createRetryer.continueRetry",
        "typescript:notifyManager.ts:createNotifyManager.setScheduler",
    }
    assert not setters & pure
    writes = {
        (r["subject"], r["object"])
        for r in store.db.query("SELECT subject, object FROM facts WHERE predicate = 'writes'")
    }
    assert ("typescript:retryer.ts:createRetryer.cancelRetry", "isRetryCancelled") in writes
    assert "typescript:utils.ts:isServer" not in {s for s, _ in writes}
    assert "typescript:utils.ts:keepPreviousData" in pure  # it only returns its argument
    store.close()


def _handles(store: Store, category: str) -> set[str]:
    return {
        row["subject"]
        for row in store.db.query(
            "SELECT subject FROM derived_facts WHERE predicate = 'may_handle' AND object = ? "
            "AND status IN ('tentative', 'firm')",
            (category,),
        )
    }


@pytest.fixture
def worded_code(tmp_path) -> Path:
    """Released code whose names say ``token``, ``session``, ``copy``, ``table``, ``path``,
    ``query``, ``cursor``, ``load`` or ``__dir__`` without meaning authentication, files or a
    database (the standard library's shlex and netrc lexers, ``copy.copy``,
    ``WeakKeyDictionary.copy``, stringprep's lookup tables, posixpath, http.cookiejar,
    urllib.parse, idlelib's text cursor, pickle's unpickler, enum, bdb's debugger and
    unittest's ``debug`` that runs a suite without a result), ``json.load(fp)`` and
    ``tomllib.load(fp)`` that do read a file, constants named after a category (ftplib's
    ``FTP_PORT``, stat's ``FILE_ATTRIBUTE_*``) beside asyncio's ``logger =
    logging.getLogger(...)``, and a few functions of ours where a companion word or a call
    makes them mean it."""
    import sysconfig

    root = tmp_path / "ws"
    root.mkdir()
    modules = ("shlex.py", "netrc.py", "copy.py", "weakref.py", "stringprep.py", "posixpath.py", "ftplib.py", "stat.py")
    for module in (*modules, "pickle.py", "enum.py", "bdb.py"):
        shutil.copyfile(Path(sysconfig.get_paths()["stdlib"]) / module, root / module)
    packages = (("http", "cookiejar.py"), ("urllib", "parse.py"), ("idlelib", "autoexpand.py"), ("asyncio", "log.py"))
    packages += (("json", "__init__.py"), ("tomllib", "_parser.py"), ("unittest", "suite.py"))
    for package, module in packages:
        (root / package).mkdir()
        shutil.copyfile(Path(sysconfig.get_paths()["stdlib"]) / package / module, root / package / module)
    (root / "ours.py").write_text(
        "def refresh_access_token(client):\n    return client.refresh()\n\n\n"
        "def validate_csrf_token(request):\n    return request.form\n\n\n"
        "def open_session(url):\n    return url\n\n\n"
        "def copy_file(a, b):\n    return a, b\n\n\n"
        "def create_table(name):\n    return name\n\n\n"
        "def resolve_disk_path(p):\n    return p\n\n\n"
        "def path_contents(path):\n    with open(path) as handle:\n        return handle.read()\n\n\n"
        "def run_sql_query(cursor, text):\n    return cursor.execute(text)\n\n\n"
        "def close_db_cursor(handle):\n    return handle\n\n\n"
        "def read_settings(file_path):\n    return file_path\n\n\n"
        "def write_status(stream, status):\n    stream.write(status)\n\n\n"
        "class StaleCacheWarning(UserWarning):\n    pass\n\n\n"
        "def debug_log(message):\n    return message\n"
    )
    return root


def test_words_that_name_a_category_only_beside_another_do_not_alone(worded_code):
    """``token``, ``session``, ``copy``, ``table``, ``path``, ``schema``, ``query`` and
    ``cursor`` name authentication, file I/O or a database only beside a word that makes them
    so (``access_token``, ``copy_file``, ``create_table``, ``disk_path``, ``db_cursor``), or
    another source that says so, and then that one only (an access token is no lexer's).
    The standard library's shlex and netrc lexers read tokens, and they stay parsing;
    ``copy.copy``, ``WeakKeyDictionary.copy``, stringprep's lookup tables, posixpath's string
    work, a cookie's URL path, a URL's query string and a text cursor are none of those;
    posixpath's ``islink`` reads the disk."""
    root = worded_code
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    handles = {c: _handles(store, c) for c in ("authentication", "parsing", "file I/O", "database")}
    lexer = {"python:shlex.py:shlex.get_token", "python:shlex.py:shlex.read_token"}
    lexer.add("python:netrc.py:_netrclex.get_token")
    assert lexer <= handles["parsing"] and not lexer & handles["authentication"]
    auth_tokens = {"python:ours.py:refresh_access_token", "python:ours.py:validate_csrf_token"}
    assert auth_tokens <= handles["authentication"] and not auth_tokens & handles["parsing"]  # no lexer's tokens
    assert "python:ours.py:open_session" not in handles["authentication"]
    copies = {
        "python:copy.py:copy",
        "python:weakref.py:WeakKeyDictionary.copy",
        "python:weakref.py:WeakValueDictionary.copy",
    }
    assert not copies & handles["file I/O"] and "python:ours.py:copy_file" in handles["file I/O"]
    tables = {"python:stringprep.py:in_table_c11", "python:stringprep.py:map_table_b3"}
    assert not tables & handles["database"] and "python:ours.py:create_table" in handles["database"]
    strings = {f"python:posixpath.py:{name}" for name in ("normpath", "join", "abspath", "relpath", "isabs")}
    strings |= {"python:http/cookiejar.py:request_path", "python:http/cookiejar.py:escape_path"}
    assert not strings & handles["file I/O"]
    disk = {"python:posixpath.py:islink", "python:posixpath.py:lexists", "python:posixpath.py:ismount"}
    assert disk | {"python:ours.py:resolve_disk_path", "python:ours.py:path_contents"} <= handles["file I/O"]
    urls = {f"python:urllib/parse.py:{name}" for name in ("urlencode", "parse_qs", "urlsplit")}
    assert not urls & handles["database"] and "python:ours.py:run_sql_query" in handles["database"]
    text_cursor = {"python:idlelib/autoexpand.py:AutoExpand.getprevword", "python:idlelib/autoexpand.py"}
    assert not text_cursor & handles["database"] and "python:ours.py:close_db_cursor" in handles["database"]
    store.close()


def test_read_write_open_load_name_file_io_beside_a_file_and_a_dunder_name_says_nothing(worded_code):
    """``read``, ``write``, ``open`` and ``load`` are about files only beside a word that
    names one, in the name, the docstring or a parameter: ``json.load(fp)`` and
    ``tomllib.load(fp)`` read a file object, ``read_settings(file_path)`` a file, and pickle's
    ``_Unpickler.load`` reads "from the open file" its docstring names; its ``load_tuple2``
    and ``load_global`` build objects from opcodes, and ``write_status(stream, ...)`` writes
    to a stream. A dunder's name is the language's word,
    not the symbol's: enum's ``__dir__`` methods list attributes and handle no files."""
    root = worded_code
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    files = _handles(store, "file I/O")
    readers = {"python:json/__init__.py:load", "python:tomllib/_parser.py:load", "python:ours.py:read_settings"}
    assert readers <= files
    unpickler = {f"python:pickle.py:_Unpickler.{name}" for name in ("load_tuple2", "load_global", "load_none")}
    assert not unpickler & files and "python:ours.py:write_status" not in files
    assert "python:pickle.py:_Unpickler.load" in files  # "Read a pickled object ... from the open file"
    dunders = {row["key"] for row in store.db.query("SELECT key FROM symbols WHERE name = '__dir__'")}
    assert "python:enum.py:EnumType.__dir__" in dunders and len(dunders) == 2
    assert not dunders & files
    assert "python:pickle.py:_Pickler.dump" in _handles(store, "serialization")  # other words still say
    store.close()


def test_trace_debug_and_warning_name_logging_only_beside_a_logging_word(worded_code):
    """``trace``, ``debug``, ``warning`` and ``audit`` are about logging beside another
    logging word or source: bdb's ``set_trace`` and ``dispatch_line`` ("trace") run a
    debugger, unittest's ``TestSuite.debug`` runs tests without collecting their results,
    and a ``UserWarning`` subclass is a kind of warning that logs nothing. bdb's
    ``trace_dispatch`` prints, so its name counts beside the call; ``debug_log`` names
    logging twice."""
    root = worded_code
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    logging_ = _handles(store, "logging")
    debugger = {f"python:bdb.py:{name}" for name in ("set_trace", "Bdb.set_trace", "Bdb.dispatch_line", "Bdb.run")}
    suites = {"python:unittest/suite.py:BaseTestSuite.debug", "python:unittest/suite.py:TestSuite.debug"}
    assert not (debugger | suites) & logging_ and "python:ours.py:StaleCacheWarning" not in logging_
    assert {"python:bdb.py:Bdb.trace_dispatch", "python:ours.py:debug_log"} <= logging_
    store.close()


def test_a_constant_named_in_capitals_handles_nothing_by_its_name_alone(worded_code):
    """ftplib's ``FTP_PORT`` is a number and stat's ``FILE_ATTRIBUTE_ARCHIVE`` a flag: their
    names say what they are about, and no claim that they handle the network or files is
    made. asyncio's ``logger``, made by ``logging.getLogger``, does handle logging: its call
    says so, and its name beside the call makes that firm. cookiejar's ``logger``, set to
    ``logging.getLogger(...)`` later in a function, keeps its claim by its name: a module's
    object named in lower case is often what its name says. A method named like them still
    makes its claim by its name."""
    root = worded_code
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    kinds = {row["key"]: row["kind"] for row in store.db.query("SELECT key, kind FROM symbols")}
    named = {
        "python:ftplib.py:FTP_PORT": "network",
        "python:stat.py:FILE_ATTRIBUTE_ARCHIVE": "file I/O",
        "python:stat.py:FILE_ATTRIBUTE_DIRECTORY": "file I/O",
        "python:stat.py:FILE_ATTRIBUTE_READONLY": "file I/O",
    }
    assert {kinds.get(key) for key in named} == {"constant"}
    for key, category in named.items():
        assert key not in _handles(store, category)
    capitals = {key for key, kind in kinds.items() if kind == "constant" and name_of(key).isupper()}
    claims = store.db.query(
        "SELECT f.subject, group_concat(DISTINCT e.why) AS sources FROM derived_facts f "
        "JOIN fact_evidence e ON e.fact_id = f.id AND e.active "
        "WHERE f.predicate = 'may_handle' AND f.status IN ('tentative', 'firm') GROUP BY f.id"
    )
    on_capitals = [(row["subject"], set(row["sources"].split(","))) for row in claims if row["subject"] in capitals]
    assert all(sources - {"name", "docstring"} for _, sources in on_capitals)
    assert "python:http/cookiejar.py:IPV4_RE" in dict(on_capitals)  # re.compile: parsing
    firm = store.db.query(
        "SELECT status FROM derived_facts WHERE subject = 'python:asyncio/log.py:logger' "
        "AND predicate = 'may_handle' AND object = 'logging'"
    )
    assert [row["status"] for row in firm] == ["firm"]
    assert "python:http/cookiejar.py:logger" in _handles(store, "logging")
    assert "python:ftplib.py:FTP.login" in _handles(store, "authentication")  # a method: by its name
    store.close()


def _insights(store: Store) -> dict[tuple[str, str, str], str]:
    """(subject, predicate, object) -> status of every live insight and summary."""
    return {
        (row["subject"], row["predicate"], row["object"]): row["status"]
        for row in store.db.query(
            "SELECT subject, predicate, object, status FROM derived_facts WHERE origin IN ('insight', 'summary') "
            "AND status IN ('tentative', 'firm')"
        )
    }


def test_a_memory_dreamed_by_the_rules_before_derives_its_insights_again_at_its_next_dream(worded_code, monkeypatch):
    """A memory dreamed while ``get_token`` read as authentication and ``copy`` as file I/O
    (so ``copy._copy_immutable`` was not pure): its migration leaves a mark, and the next dream derives every
    symbol's insights again. It then holds what a memory dreamed by the rules of today
    holds, keeps the history of what it retracts, and goes on where it stopped when a dream
    ends midway."""
    from kairos_lsp.dream import promote, rederive
    from kairos_lsp.store.migrations import m033_rederive_insights

    fresh_root = worded_code.parent / "fresh"
    shutil.copytree(worded_code, fresh_root)
    with contextlib.closing(Store(fresh_root / ".kairos" / "memory.db")) as fresh:
        scan_workspace(fresh_root, fresh, jobs=1)
        dream(fresh)
        today = _insights(fresh)
    store = Store(worded_code / ".kairos" / "memory.db")
    scan_workspace(worded_code, store, jobs=1)
    with monkeypatch.context() as before:
        before.setattr(promote, "QUALIFIED", {})  # the rules before: every word names alone,
        before.setattr(promote, "NAMED_ABOUT", frozenset())  # a constant's too
        before.setattr(promote, "_NAME_TOKENS", {})  # (what the rules of today remembered)
        dream(store)
    was = _insights(store)
    assert ("python:shlex.py:shlex.get_token", "may_handle", "authentication") in was  # the old mistakes
    assert ("python:posixpath.py:normpath", "may_handle", "file I/O") in was
    assert ("python:ftplib.py:FTP_PORT", "may_handle", "network") in was
    assert ("python:pickle.py:_Unpickler.load_tuple2", "may_handle", "file I/O") in was
    assert ("python:bdb.py:set_trace", "may_handle", "logging") in was
    assert ("python:copy.py:_copy_immutable", "pure", "true") in set(today) - set(was)
    with store.transaction():
        m033_rederive_insights(store.db)
    monkeypatch.setattr(rederive, "FILES", 2)
    stopped = dream(store, should_stop=lambda: True)  # an edit in the server, after two files
    halfway = store.facts.mark_value(rederive.MARK)
    assert stopped.stopped and halfway and _insights(store) != today
    report = dream(store)
    assert _insights(store) == today
    ended = {
        (row["subject"], row["predicate"], row["object"])
        for row in store.db.query("SELECT subject, predicate, object FROM derived_facts WHERE status = 'retracted'")
    }
    assert set(was) - set(today) <= ended  # kept, retracted
    assert report.retracted > 0 and report.observations == 0 and not store.facts.has_mark(rederive.MARK)
    assert stopped.retracted + report.retracted == len(ended)
    again = dream(store)
    assert again.retracted == again.created == 0  # once
    store.close()


def _widely_called(store: Store) -> set[str]:
    return {
        row["subject"]
        for row in store.db.query(
            "SELECT subject FROM facts WHERE predicate = 'role' AND object = 'widely called' "
            "AND status IN ('tentative', 'firm')"
        )
    }


def test_a_name_many_scopes_define_is_nobodys_widely_called_and_one_scope_takes_it_back(tmp_path):
    """The standard library's ftplib, smtplib, poplib and imaplib each define ``close``,
    called at 27 sites: a call of ``x.close()`` says nothing of which, so none is widely
    called. ``FTP.voidcmd`` (22 calls), ``POP3._shortcmd`` (14) and ``IMAP4._simple_command``
    (43) are the only scopes of their names, and are. A function named ``voidcmd`` added to
    another file takes it from ``FTP.voidcmd`` at the next dream, though ftplib did not
    change; removed, it gives it back. Each time the memory equals a fresh look. (ftplib
    replayed with the counts as they were: its ``close`` is not widely called either.)"""
    import sysconfig

    from kairos_lsp.verify import verify

    root = tmp_path / "ws"
    root.mkdir()
    for module in ("ftplib.py", "smtplib.py", "poplib.py", "imaplib.py"):
        shutil.copyfile(Path(sysconfig.get_paths()["stdlib"]) / module, root / module)
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    widely = _widely_called(store)
    own = {"python:ftplib.py:FTP.voidcmd", "python:poplib.py:POP3._shortcmd", "python:imaplib.py:IMAP4._simple_command"}
    assert own <= widely
    closes = {f"python:{m}.py:{c}.close" for m, c in (("ftplib", "FTP"), ("smtplib", "SMTP"), ("poplib", "POP3"))}
    assert len(closes | {"python:imaplib.py:IMAP4.close"}) == 4 and not {k for k in widely if k.endswith(".close")}
    with open(root / "ftplib.py", "a") as ftplib:  # ftplib replayed, the counts as they were
        ftplib.write("\n\ndef _noop():\n    pass\n")
    scan_workspace(root, store, jobs=1)
    dream(store)
    assert _widely_called(store) == widely
    (root / "ours.py").write_text("def voidcmd(cmd):\n    return cmd\n")
    scan_workspace(root, store, jobs=1)
    dream(store)
    assert "python:ftplib.py:FTP.voidcmd" not in _widely_called(store)
    assert "python:ours.py:voidcmd" not in _widely_called(store)
    assert not verify(root, store, jobs=1, up_to_date=True).differences
    (root / "ours.py").unlink()
    scan_workspace(root, store, jobs=1)
    dream(store)
    assert _widely_called(store) == widely
    assert not verify(root, store, jobs=1, up_to_date=True).differences
    store.close()


def test_a_main_defined_inside_a_function_is_no_entry_point(tmp_path):
    """The standard library's asyncio runner tests define ``async def main()`` inside their
    tests, for ``asyncio.run``: none is how a program starts. tarfile's and tabnanny's
    ``main`` are (their files also call them under ``__main__``)."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root = tmp_path / "ws"
    (root / "tests").mkdir(parents=True)
    for module in ("tarfile.py", "tabnanny.py"):
        shutil.copyfile(stdlib / module, root / module)
    shutil.copyfile(stdlib / "test" / "test_asyncio" / "test_runners.py", root / "tests" / "test_runners.py")
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    entry = {
        row["subject"]: row["status"]
        for row in store.db.query(
            "SELECT subject, status FROM facts WHERE predicate = 'role' AND object = 'entry point' "
            "AND status IN ('tentative', 'firm')"
        )
    }
    query = "SELECT key FROM symbols WHERE name LIKE 'main%' AND path LIKE 'tests/%'"
    nested = [row["key"] for row in store.db.query(query)]
    assert len(nested) >= 5 and not set(nested) & set(entry)
    assert {"python:tarfile.py:main", "python:tabnanny.py:main"} <= set(entry)
    store.close()
