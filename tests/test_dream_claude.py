"""Claude inside the dream, for real: the real ``anthropic`` client against the stand-in
Messages API on 127.0.0.1 (tests/claude_standin.py), a real store, real scans and dreams.

Summaries come in priority order (hovered, edited, failing, widely called, the rest)
within a per-dream limit, cached by body hash and model; Claude's insights are llm
observations that count as one evidence source while the body is the one Claude saw.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from claude_standin import ClaudeStandin, slow
from workspaces import kairos

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream, record_verdict
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

KEY = "sk-ant-api03-" + "x" * 40

NET = """def send_all(sock, data):
    sock.sendall(data)


def add(a, b):
    return a + b


def scale(values, factor):
    return [v * factor for v in values]


def shout(text):
    return text.upper()
"""

MORE = """def first(items):
    return items[0]


def last(items):
    return items[-1]
"""

SEND = "python:app/net.py:send_all"
ADD = "python:app/net.py:add"
SCALE = "python:app/net.py:scale"
SHOUT = "python:app/net.py:shout"
FIRST = "python:app/more.py:first"
LAST = "python:app/more.py:last"
SYMBOLS = {SEND, ADD, SCALE, SHOUT, FIRST, LAST}
MODULES = {"python:app/net.py", "python:app/more.py"}
ALL = SYMBOLS | MODULES


def shown(key: str) -> str:
    """How a request names a symbol: its name, or a module's path."""
    parts = key.split(":", 2)
    return parts[2] if len(parts) == 3 else parts[1]


class PerSymbol(dict):
    """``record_insights`` answers chosen by the symbol a request is about (one request at a time)."""

    def __init__(self, standin: ClaudeStandin, answers: dict[str, dict], default: dict | None = None):
        super().__init__()
        self.standin, self.answers, self.default = standin, answers, default or {"may_handle": []}

    def get(self, name, fallback=None):  # the stand-in's lookup of a forced tool's input
        content = self.standin.requests[-1]["body"]["messages"][0]["content"]
        for symbol, answer in self.answers.items():
            if f"Symbol: {symbol} (" in content:
                return answer
        return self.default


@pytest.fixture
def standin():
    with ClaudeStandin() as server:
        yield server


class Space:
    def __init__(self, root: Path, standin: ClaudeStandin):
        self.root, self.standin = root, standin
        self.store = Store.for_workspace(root)
        self.env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.url}
        self._tick = 1_700_000_000_000_000_000

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self._tick += 1_000_000_000
        os.utime(path, ns=(self._tick, self._tick))

    def scan(self) -> None:
        scan_workspace(self.root, self.store, Settings())

    def dream(self, summaries=20, insights=0, llm=True, model=None, **kwargs):
        from kairos_lsp.dream import claude

        settings = Settings(
            llm_provider="anthropic" if llm else "none", llm_max_concurrency=1, llm_timeout_seconds=5.0, llm_model=model
        )
        old = claude.SUMMARIES_PER_DREAM, claude.INSIGHTS_PER_DREAM
        claude.SUMMARIES_PER_DREAM, claude.INSIGHTS_PER_DREAM = summaries, insights
        try:
            return dream(self.store, trigger="test", llm=settings, root=self.root, env=self.env, **kwargs)
        finally:
            claude.SUMMARIES_PER_DREAM, claude.INSIGHTS_PER_DREAM = old

    def body(self, key: str) -> str:
        body = self.store.body_hash(key)
        assert body is not None
        return body

    def summary(self, key: str):
        return self.store.claude_summary(key, self.body(key))

    def asked(self, purpose: str) -> list[str]:
        """The symbols requests of ``purpose`` were about, in order received."""
        out = []
        for request in self.standin.requests:
            body = request["body"]
            is_tool = bool(body.get("tools"))
            if (purpose == "insights") == is_tool:
                line = body["messages"][0]["content"].split("\n", 1)[0]
                out.append(line.split("Symbol: ", 1)[1].split(" (", 1)[0])
        return out

    def live(self, key: str) -> dict:
        """{(predicate, value): (status, confidence, sources)} of a symbol's live insights."""
        facts = Knowledge(self.store).explain(key)
        assert facts is not None
        out = {}
        for fact in facts["facts"]:
            if fact["predicate"] in ("may_handle", "pure", "side_effects") and fact["status"] in ("tentative", "firm"):
                sources = sorted({e["source"] for e in fact.get("evidence", []) if e.get("active", True)})
                out[(fact["predicate"], fact["value"])] = (fact["status"], fact["confidence"], sources)
        return out


@pytest.fixture
def space(tmp_path, standin):
    root = tmp_path / "ws"
    root.mkdir()
    s = Space(root, standin)
    s.write("app/net.py", NET)
    s.write("app/more.py", MORE)
    s.scan()
    dream(s.store, trigger="test")  # the offline memory first
    yield s
    s.store.close()


# -- opting in ------------------------------------------------------------------------


def test_no_request_without_opting_in(space, standin):
    report = space.dream(llm=False, insights=20)
    assert report.claude_summaries == 0 and not report.notes
    report = dream(space.store, trigger="test", env=space.env)  # no settings at all
    space.write("app/more.py", MORE + "\n\ndef third(items):\n    return items[2]\n")
    space.scan()
    dream(space.store, trigger="test", llm=Settings(), root=space.root, env=space.env)
    assert standin.requests == []
    assert space.store.llm_audit_log() == []
    assert all(space.summary(key) is None for key in SYMBOLS)
    # opted in without a key: still nothing, and one line that says why
    report = dream(space.store, trigger="test", llm=Settings(llm_provider="anthropic"), root=space.root, env={})
    assert standin.requests == []
    assert report.notes == ["warning: llm.provider is anthropic but ANTHROPIC_API_KEY is not set: Claude stays off"]


# -- summaries ------------------------------------------------------------------------


def test_summaries_come_hovered_and_failing_first_within_the_limit(space, standin):
    space.store.note_attention([LAST], what="hovered")
    space.store.record_outcomes([(SCALE, True, "AssertionError: 2 != 3")])  # its last outcome: failed
    report = space.dream(summaries=2)
    assert space.asked("summary") == ["last", "scale"]
    assert report.claude_summaries == 2
    assert space.summary(LAST) == {
        "text": "A stand-in answer.",
        "model": "claude-haiku-5-5",
        "at": space.summary(LAST)["at"],
    }
    assert space.summary(SCALE) is not None
    assert [key for key in sorted(ALL) if space.summary(key) is not None] == sorted([LAST, SCALE])
    # the next dream goes on with the rest, in file order, still within the limit
    space.dream(summaries=2)
    assert space.asked("summary") == ["last", "scale", "app/more.py", "first"]


def test_edited_and_widely_called_come_before_the_rest(space, standin):
    space.write("app/net.py", NET.replace("return text.upper()", "return text.upper() + '!'"))
    space.scan()
    dream(space.store, trigger="test")
    space.dream(summaries=1)
    assert space.asked("summary") == ["shout"]


def test_a_summary_is_cached_by_body_hash_and_model(space, standin):
    space.dream(summaries=20)
    assert sorted(space.asked("summary")) == sorted(shown(key) for key in ALL)
    sent, audited = len(standin.requests), len(space.store.llm_audit_log(1000))
    space.dream(summaries=20)  # nothing changed: nothing is asked, not even of the cache
    assert len(standin.requests) == sent and len(space.store.llm_audit_log(1000)) == audited
    old_body = space.body(ADD)
    standin.text = "Adds two numbers and one."
    space.write("app/net.py", NET.replace("return a + b", "return a + b + 1"))
    space.scan()
    space.dream(summaries=20)
    assert space.asked("summary")[len(ALL) :] == ["add"]  # only the edited body
    assert space.summary(ADD)["text"] == "Adds two numbers and one."
    assert space.store.claude_summary(ADD, old_body)["text"] == "A stand-in answer."  # kept, for that body only
    # another model: asked again, and marked with that model
    space.store.note_attention([ADD])
    space.dream(summaries=1, model="claude-sonnet-5")
    assert space.asked("summary")[len(ALL) + 1 :] == ["add"]
    assert space.store.claude_summary(ADD, space.body(ADD), "claude-sonnet-5")["model"] == "claude-sonnet-5"


# -- insights ---------------------------------------------------------------------------


def test_claude_alone_stays_tentative_and_explain_shows_its_evidence(space, standin):
    standin.tool_inputs = PerSymbol(standin, {"shout": {"may_handle": ["network"], "pure": False}})
    report = space.dream(summaries=0, insights=20)
    assert report.claude_insights == len(ALL)
    live = space.live(SHOUT)
    assert live[("may_handle", "network")] == ("tentative", 0.6, ["llm"])
    assert live[("pure", "false")][0] == "tentative"
    result = kairos("explain", "app/net.py::shout", "--json", cwd=space.root)
    facts = json.loads(result.stdout)["facts"]
    fact = next(f for f in facts if f["predicate"] == "may_handle" and f["value"] == "network")
    assert fact["status"] == "tentative"
    assert {e["source"] for e in fact["evidence"]} == {"llm"}
    # a second dream asks nothing again
    sent = len(standin.requests)
    space.dream(summaries=0, insights=20)
    assert len(standin.requests) == sent


def test_claude_and_an_offline_source_make_a_fact_firm(space, standin):
    before = space.live(SEND)
    assert before[("may_handle", "network")][0] == "tentative"  # offline: its calls alone
    standin.tool_inputs = PerSymbol(standin, {"send_all": {"may_handle": ["network"], "side_effects": ["network"]}})
    space.dream(summaries=0, insights=20)
    status, confidence, sources = space.live(SEND)[("may_handle", "network")]
    assert (status, sources) == ("firm", ["calls", "llm"]) and confidence == pytest.approx(0.84)
    assert space.live(SEND)[("side_effects", "network")][0] == "tentative"


def test_a_users_reject_sticks_while_claude_says_it_again(space, standin):
    standin.tool_inputs = PerSymbol(standin, {"shout": {"may_handle": ["network"]}})
    space.dream(summaries=0, insights=20)
    assert ("may_handle", "network") in space.live(SHOUT)
    record_verdict(space.store, (SHOUT, "may_handle", "network"), confirm=False)
    assert ("may_handle", "network") not in space.live(SHOUT)
    # a new body: Claude is asked again and says the same
    space.write("app/net.py", NET.replace("return text.upper()", "return text.upper().strip()"))
    space.scan()
    sent = len(space.asked("insights"))
    space.dream(summaries=0, insights=20)
    # the bodies that changed are asked about again, and nothing else
    assert sorted(space.asked("insights")[sent:]) == ["app/net.py", "shout"]
    for _ in range(2):
        assert ("may_handle", "network") not in space.live(SHOUT)
        space.dream(summaries=0, insights=20)


def test_a_body_change_drops_stale_claude_evidence(space, standin):
    standin.tool_inputs = PerSymbol(
        standin, {"send_all": {"may_handle": ["network"]}, "shout": {"may_handle": ["network"]}}
    )
    space.dream(summaries=0, insights=20)
    assert space.live(SEND)[("may_handle", "network")][0] == "firm"
    assert ("may_handle", "network") in space.live(SHOUT)
    edited = NET.replace("sock.sendall(data)", "sock.sendall(data)\n    return len(data)")
    edited = edited.replace("return text.upper()", "return text.lower()")
    space.write("app/net.py", edited)
    space.scan()
    dream(space.store, trigger="test")  # offline: Claude saw the old bodies only
    status, confidence, sources = space.live(SEND)[("may_handle", "network")]
    assert (status, sources, confidence) == ("tentative", ["calls"], 0.6)
    assert ("may_handle", "network") not in space.live(SHOUT)  # Claude's word alone, now stale: retracted
    # asked about the new bodies, Claude's word counts again
    space.dream(summaries=0, insights=20)
    assert space.live(SEND)[("may_handle", "network")][0] == "firm"


def _facts(path: Path) -> tuple[list, list]:
    conn = sqlite3.connect(path)
    try:
        facts = conn.execute(
            "SELECT id, subject, predicate, object, origin, status, confidence, evidence_count, valid_from, "
            "valid_to, superseded_by, verdict FROM facts ORDER BY id"
        ).fetchall()
        evidence = conn.execute(
            "SELECT fact_id, observation_id, why, detail, active FROM fact_evidence ORDER BY 1, 2, 3, 4"
        ).fetchall()
    finally:
        conn.close()
    return facts, evidence


def test_replaying_the_same_store_gives_the_same_facts(space, standin, tmp_path):
    standin.tool_inputs = PerSymbol(
        standin, {"send_all": {"may_handle": ["network"]}, "add": {"pure": True}, "shout": {"may_handle": ["logging"]}}
    )
    space.store.note_attention([ADD])
    space.dream(summaries=3, insights=3)
    space.write("app/net.py", NET.replace("return a + b", "return a - b"))
    space.scan()
    space.dream(summaries=3, insights=20)
    record_verdict(space.store, (SHOUT, "may_handle", "logging"), confirm=False)
    space.store.close()
    copies = []
    for n in range(2):
        copy = tmp_path / f"replay{n}.db"
        shutil.copy(space.root / ".kairos" / "memory.db", copy)
        conn = sqlite3.connect(copy)
        conn.executescript(
            "DELETE FROM observed_facts; DELETE FROM derived_log; DELETE FROM fact_evidence; "
            "DELETE FROM dream_callees; DELETE FROM dreams; "
            "UPDATE dream_cursor SET last_observation = 0;"
        )
        conn.close()
        with Store(copy) as store:
            dream(store, trigger="replay", batch_size=7 if n else 5000, ahead=False)
        copies.append(_facts(copy))
    original = _facts(space.root / ".kairos" / "memory.db")
    assert copies[0] == copies[1] == original
    space.store = Store.for_workspace(space.root)


def test_the_dream_stops_promptly_while_claude_is_slow(space, standin):
    standin.script(*[slow(3.0) for _ in range(10)])
    stop = threading.Event()
    threading.Timer(0.4, stop.set).start()
    started = time.perf_counter()
    report = space.dream(summaries=20, insights=20, should_stop=stop.is_set)
    took = time.perf_counter() - started
    assert report.stopped and took < 1.5, took
    assert report.claude_summaries == 0
    # the next dream resumes: the answer in flight was kept in Claude's cache
    time.sleep(3.2)
    report = space.dream(summaries=20)
    assert report.claude_summaries == len(ALL)


# -- the command line ---------------------------------------------------------------------


def test_kairos_dream_llm_anthropic_and_the_config_file(space, standin):
    space.store.close()
    env = {**space.env}
    result = kairos("dream", "--llm", "anthropic", "--json", cwd=space.root, env=env)
    report = json.loads(result.stdout)
    assert report["claude_summaries"] == len(ALL)
    assert len(space.asked("summary")) == len(ALL)
    space.write("app/more.py", MORE + "\n\ndef third(items):\n    return items[2]\n")
    kairos("scan", ".", cwd=space.root)
    kairos("dream", "--llm", "none", cwd=space.root, env=env)  # --llm none wins over everything
    assert len(space.asked("summary")) == len(ALL)
    (space.root / ".kairos" / "config.toml").write_text('[llm]\nprovider = "anthropic"\n')
    kairos("dream", cwd=space.root, env=env)
    assert sorted(space.asked("summary")[len(ALL) :]) == ["app/more.py", "third"]
    space.store = Store.for_workspace(space.root)


def test_a_reject_sticks_whichever_model_says_it_again(space, standin):
    standin.tool_inputs = PerSymbol(standin, {"shout": {"may_handle": ["network"]}})
    space.dream(summaries=0, insights=20)
    record_verdict(space.store, (SHOUT, "may_handle", "network"), confirm=False)
    sent = len(space.asked("insights"))
    space.dream(summaries=0, insights=20, model="claude-sonnet-5")  # another model: asked again, says the same
    assert len(space.asked("insights")) == sent + len(ALL)
    assert ("may_handle", "network") not in space.live(SHOUT)


# -- the server's idle dream (a worker process) and the daemon's (a child process) ----------


def test_the_servers_dream_worker_asks_claude(space, standin, monkeypatch):
    import asyncio

    from kairos_lsp.dream.scheduler import IdleDreamer

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    # (the worker is a new interpreter, with this environment)
    space.store.note_attention([SHOUT])  # what the server notes as the user hovers
    space.write("app/more.py", MORE + "\n\ndef third(items):\n    return items[2]\n")
    space.scan()
    logged: list = []
    settings = Settings(llm_provider="anthropic", llm_max_concurrency=1)

    async def run():
        dreamer = IdleDreamer(space.store.path, 60, lambda level, message: logged.append(message), llm=settings)
        try:
            return await dreamer.dream_now()
        finally:
            dreamer.close()

    report = asyncio.run(run())
    assert report.claude_summaries == len(ALL) + 1
    assert space.asked("summary")[0] == "shout"
    assert space.summary(SHOUT) is not None and space.summary("python:app/more.py:third") is not None
    assert any("Claude: " in line for line in logged)
    # not opted in: the worker asks nothing
    asyncio.run(_dream_now(space.store.path, Settings()))
    assert len(space.asked("summary")) == len(ALL) + 1


async def _dream_now(path, settings):
    from kairos_lsp.dream.scheduler import IdleDreamer

    dreamer = IdleDreamer(path, 60, lambda level, message: None, llm=settings)
    try:
        return await dreamer.dream_now()
    finally:
        dreamer.close()


def test_the_daemons_dream_child_asks_claude(space, standin, monkeypatch):
    from kairos_lsp.daemon import _dream_child, run_child

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # (the child is a new interpreter with this environment)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    space.write("app/more.py", MORE + "\n\ndef third(items):\n    return items[2]\n")
    space.scan()
    settings = Settings(llm_provider="anthropic", llm_max_concurrency=1)
    result = run_child(
        _dream_child,
        (space.store.path, "daemon", settings, str(space.root)),
        threading.Event(),
        threading.Event(),
        lambda: None,
    )
    assert "Claude: " in result["line"], result
    assert len(space.asked("summary")) == len(ALL) + 1


def test_forgetting_a_symbol_forgets_what_claude_said_and_that_it_was_hovered(space, standin):
    from kairos_lsp.dream.forget import forget

    standin.tool_inputs = PerSymbol(standin, {"shout": {"may_handle": ["network"]}})
    space.store.note_attention([SHOUT])
    space.dream(summaries=20, insights=20)
    body = space.body(SHOUT)
    assert space.store.claude_summary(SHOUT, body) is not None
    forget(space.store, SHOUT)
    assert space.store.claude_summary(SHOUT, body) is None
    assert space.store.attention() == []
    assert not space.store.claude_asked(SHOUT, body, "claude-haiku-5-5")


def test_summaries_and_insights_go_through_the_same_symbols(space, standin):
    for _ in range(2):
        space.dream(summaries=3, insights=3)
    assert space.asked("summary") == space.asked("insights")
    assert len(space.asked("insights")) == 6
    space.dream(summaries=3, insights=3)
    assert sorted(space.asked("insights")) == sorted(shown(key) for key in ALL)
