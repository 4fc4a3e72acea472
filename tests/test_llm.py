"""The Claude core against a stand-in Messages API on 127.0.0.1, through the real ``anthropic`` client.

Each use (summary streamed, insights and fills and fixes through forced tools),
what is sent (redacted, excluded, the dry run word for word), what it costs
(the cache, the daily budget, the concurrency limit), each failure falling back
to the offline answer with one log line, and the audit log. No test needs the
network: the only server is ``tests/claude_standin.py``.
"""

from __future__ import annotations

import threading
import time

import pytest
from claude_standin import ClaudeStandin, broken, error, slow, text, tool

from kairos_lsp.config import Settings
from kairos_lsp.llm import (
    DEFAULT_MODEL,
    Caller,
    CallSiteContext,
    Claude,
    FailureContext,
    SymbolContext,
    audit_log,
    dry_run,
    fill_argument,
    insights,
    propose_fix,
    summarize,
    summarize_many,
    usage_today,
)
from kairos_lsp.llm.client import PAUSE_SECONDS
from kairos_lsp.store import Store

KEY = "sk-ant-api03-" + "TestKeyForTheStandIn0123456789" * 2

SOURCE = '''def price_with_tax(price, rate):
    """Price plus tax at ``rate``."""
    return round(price * (1 + rate), 2)
'''

CONTEXT = SymbolContext(
    key="python:shop/pricing.py:price_with_tax",
    path="shop/pricing.py",
    language="python",
    kind="function",
    source=SOURCE,
    signature="price_with_tax(price, rate)",
    docstring="Price plus tax at ``rate``.",
    callers=(
        Caller("shop/cart.py", 14, "        total += price_with_tax(item.price, TAX)"),
        Caller(".env.local", 1, "TAX=price_with_tax(1, 2)"),  # an excluded file: its line is never sent
    ),
)


@pytest.fixture
def standin():
    with ClaudeStandin() as server:
        yield server


@pytest.fixture
def store():
    memory = Store(":memory:")
    yield memory
    memory.close()


class Logged(list):
    def __call__(self, level: str, message: str) -> None:
        self.append((level, message))


def claude_for(standin, store=None, env=None, **options) -> tuple[Claude, Logged]:
    settings = Settings(**{"llm_provider": "anthropic", "llm_timeout_seconds": 5.0, **options})
    logged = Logged()
    environment = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.url} if env is None else env
    return Claude(settings, store, logged, env=environment), logged


def ask_everything(claude: Claude) -> list:
    call = CallSiteContext(
        "python:shop/cart.py:total",
        "shop/cart.py",
        "python",
        14,
        "price_with_tax(item.price)",
        "price_with_tax(price, rate)",
        "def total(items, rate):\n    ...",
        ("items", "rate", "item"),
    )
    failure = FailureContext(CONTEXT.key, CONTEXT.path, "python", SOURCE, 0, "ZeroDivisionError at shop/pricing.py:3")
    return [
        summarize(claude, CONTEXT),
        insights(claude, CONTEXT),
        fill_argument(claude, call, "rate"),
        propose_fix(claude, failure),
        summarize_many(claude, [CONTEXT], budget=5),
    ]


# -- opting in ------------------------------------------------------------------


def test_without_opting_in_no_request_is_ever_made(standin, store, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # a key in the environment is not consent
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    claude = Claude(Settings(llm_provider="none"), store, Logged())  # env: os.environ, key and all
    assert ask_everything(claude) == [None, [], None, None, {}]
    assert claude._client is None
    assert summarize(None, CONTEXT) is None and insights(None, CONTEXT) == []
    assert standin.requests == [] and audit_log(store) == []


def test_opted_in_without_a_key_makes_no_request_and_says_so_once(standin, store):
    claude, logged = claude_for(standin, store, env={"ANTHROPIC_BASE_URL": standin.url})
    assert ask_everything(claude) == [None, [], None, None, {}]
    assert ask_everything(claude) == [None, [], None, None, {}]
    assert standin.requests == [] and claude._client is None
    assert logged == [("warning", "llm.provider is anthropic but ANTHROPIC_API_KEY is not set: Claude stays off")]


def test_the_sdk_reads_its_own_environment(standin, store, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    claude = Claude(Settings(llm_provider="anthropic"), store, Logged())  # env: os.environ
    assert summarize(claude, CONTEXT).text == "A stand-in answer."
    headers = standin.requests[0]["headers"]
    assert KEY in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))


# -- the uses ---------------------------------------------------------------------


def test_summarize_streams_one_or_two_sentences(standin, store):
    standin.script(text("Adds tax at `rate` to a price and rounds to cents. Used by the cart. It is short."))
    claude, logged = claude_for(standin, store)
    summary = summarize(claude, CONTEXT)
    assert summary.text == "Adds tax at rate to a price and rounds to cents. Used by the cart."
    assert summary.model == DEFAULT_MODEL and summary.symbol == CONTEXT.key and len(summary.at) == 10
    body = standin.bodies[0]
    assert body["stream"] is True and body["model"] == DEFAULT_MODEL and "tools" not in body
    assert "def price_with_tax(price, rate):" in body["messages"][0]["content"]
    assert "shop/cart.py:15: total += price_with_tax(item.price, TAX)" in body["messages"][0]["content"]
    assert ".env.local" not in body["messages"][0]["content"]
    assert logged == []


def test_the_model_is_configurable(standin, store):
    claude, _ = claude_for(standin, store, llm_model="claude-sonnet-4-6")
    assert summarize(claude, CONTEXT).model == "claude-sonnet-4-6"
    assert standin.bodies[0]["model"] == "claude-sonnet-4-6"


def test_insights_come_through_a_forced_tool_and_what_does_not_validate_is_dropped(standin, store):
    standin.tool_inputs["record_insights"] = {
        "may_handle": ["network", "astrology", 7, "network"],
        "pure": "sometimes",
        "side_effects": ["network"],
        "mood": "cheerful",
    }
    claude, _ = claude_for(standin, store)
    found = insights(claude, CONTEXT)
    assert [(i.predicate, i.value) for i in found] == [("may_handle", "network"), ("side_effects", "network")]
    assert all(i.symbol == CONTEXT.key and i.model == DEFAULT_MODEL for i in found)
    body = standin.bodies[0]
    assert body["tool_choice"] == {"type": "tool", "name": "record_insights"}
    assert body["tools"][0]["input_schema"]["properties"]["pure"] == {
        "type": "boolean",
        "description": "No side effects; the result depends only on the arguments.",
    }


def test_pure_and_side_effects_that_contradict_keep_the_side_effects(standin, store):
    standin.tool_inputs["record_insights"] = {"may_handle": [], "pure": True, "side_effects": ["file I/O"]}
    claude, _ = claude_for(standin, store)
    assert [(i.predicate, i.value) for i in insights(claude, CONTEXT)] == [("side_effects", "file I/O")]


@pytest.mark.parametrize("answer", ["not an object", {"pure": "maybe"}, {"may_handle": ["astrology"]}])
def test_a_malformed_tool_answer_falls_back_is_audited_and_not_cached(standin, store, answer):
    standin.script(tool(answer), tool(answer))
    claude, logged = claude_for(standin, store)
    assert insights(claude, CONTEXT) == []
    assert insights(claude, CONTEXT) == []
    assert len(standin.requests) == 2  # a rejected answer is not kept: the next dream asks again
    assert [row["outcome"] for row in audit_log(store)] == ["rejected", "rejected"]
    assert len(logged) == 2 and all("was dropped" in line for _, line in logged)


def test_a_broken_answer_body_falls_back(standin, store):
    standin.script(broken())
    claude, logged = claude_for(standin, store)
    assert summarize(claude, CONTEXT) is None
    assert len(logged) == 1


CALL = CallSiteContext(
    caller="python:shop/cart.py:total",
    path="shop/cart.py",
    language="python",
    line=14,
    call="price_with_tax(item.price)",
    callee_signature="price_with_tax(price, rate)",
    caller_source="def total(items, region):\n    for item in items:\n        total += price_with_tax(item.price)\n",
    scope=("items", "region", "item", "TAX", "price_with_tax"),
)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("TAX", "TAX"),
        ("region.rate", "region.rate"),
        ("0.2", "0.2"),
        ("item['rate']", "item['rate']"),
        ("rate", None),  # not a name visible at the call
        ("lookup_rate(region)", None),  # a call
        ("__import__('os').system('rm -rf /')", None),
        ("TAX + 1", None),
        ("item.__class__", None),
        ("[REDACTED:password]", None),
    ],
)
def test_fill_argument_takes_only_names_in_scope_or_literals(standin, store, expression, expected):
    standin.tool_inputs["fill_argument"] = {"expression": expression}
    claude, _ = claude_for(standin, store)
    assert fill_argument(claude, CALL, "rate") == expected
    sent = standin.bodies[0]["messages"][0]["content"]
    assert (
        "New parameter to fill: rate" in sent
        and "Names visible at the call: TAX, item, items, price_with_tax, region" in sent
    )


def test_fill_argument_in_typescript(standin, store):
    call = CallSiteContext(
        "typescript:web/cart.ts:total",
        "web/cart.ts",
        "typescript",
        3,
        "priceWithTax(item.price)",
        "priceWithTax(price: number, rate: number)",
        "function total(items, cfg) { ... }",
        ("items", "cfg", "item"),
    )
    for answer, expected in (("cfg.taxRate", "cfg.taxRate"), ("0.2", "0.2"), ("`${x}`", None), ("window.rate", None)):
        claude, _ = claude_for(standin, store=None)  # no cache: the same question, another answer
        standin.tool_inputs["fill_argument"] = {"expression": answer}
        assert fill_argument(claude, call, "rate") == expected


FAILING = """def mean(values):
    total = sum(values)
    return total / len(values)
"""


def test_propose_fix_returns_text_edits_inside_the_function(standin, store):
    failure = FailureContext(
        "python:shop/stats.py:mean",
        "shop/stats.py",
        "python",
        FAILING,
        10,
        "tests/test_stats.py::test_empty failed: ZeroDivisionError: division by zero at shop/stats.py:13",
    )
    edit = {
        "start_line": 12,
        "start_character": 4,
        "end_line": 12,
        "end_character": 30,
        "new_text": "return total / len(values) if values else 0.0",
    }
    standin.tool_inputs["propose_fix"] = {"edits": [edit], "explanation": "guard the empty list"}
    claude, _ = claude_for(standin, store)
    assert propose_fix(claude, failure) == [
        {
            "range": {"start": {"line": 12, "character": 4}, "end": {"line": 12, "character": 30}},
            "newText": "return total / len(values) if values else 0.0",
        }
    ]
    sent = standin.bodies[0]["messages"][0]["content"]
    assert "12 | def mean(values):" not in sent and "10 | def mean(values):" in sent
    assert "ZeroDivisionError" in sent


@pytest.mark.parametrize(
    "edit",
    [
        {"start_line": 2, "start_character": 0, "end_line": 2, "end_character": 1},  # before the function
        {"start_line": 12, "start_character": 0, "end_line": 14, "end_character": 0},  # past its end
        {"start_line": 12, "start_character": 0, "end_line": 12, "end_character": 99},  # past the line's end
        {"start_line": 12, "start_character": 9, "end_line": 12, "end_character": 2},  # backwards
    ],
)
def test_edits_outside_the_function_are_rejected(standin, store, edit):
    failure = FailureContext("python:shop/stats.py:mean", "shop/stats.py", "python", FAILING, 10, "ZeroDivisionError")
    standin.tool_inputs["propose_fix"] = {"edits": [{**edit, "new_text": "x"}]}
    claude, logged = claude_for(standin, store)
    assert propose_fix(claude, failure) is None
    assert len(logged) == 1 and "dropped" in logged[0][1]


def test_overlapping_edits_and_edits_on_redacted_lines_are_rejected(standin, store):
    source = 'def connect():\n    return db.connect(password="hunter2-Pa55word")\n'
    failure = FailureContext("python:app/db.py:connect", "app/db.py", "python", source, 0, "OperationalError")
    claude, _ = claude_for(standin, store)
    standin.tool_inputs["propose_fix"] = {
        "edits": [{"start_line": 1, "start_character": 4, "end_line": 1, "end_character": 10, "new_text": "yield"}]
    }
    assert propose_fix(claude, failure) is None  # writing back a line whose secret Claude never saw
    assert "hunter2-Pa55word" not in standin.received().decode()
    overlapping = [
        {"start_line": 0, "start_character": 0, "end_line": 0, "end_character": 8, "new_text": "a"},
        {"start_line": 0, "start_character": 4, "end_line": 0, "end_character": 10, "new_text": "b"},
    ]
    standin.tool_inputs["propose_fix"] = {"edits": overlapping}
    assert propose_fix(claude, failure) is None


# -- privacy -----------------------------------------------------------------------

SECRETS = {
    "anthropic_key": "sk-ant-api03-Jq8v2LkT9wXz4RmN7pB1cD5fG3hK6sV0yU8eA2iO4tQ9lZ-aB3cD4eF5gH6iJ7kL8mN9oP0AA",
    "openai_key": "sk-proj-4fGh7Jk9Lm2Np5Qr8St1Vw3Xy6Za0Bc4De7Fg0Hj3Kl6Mn9Pq2Rs5Tu8Vw1",
    "aws_access_key": "AKIAQ3EGRT7KXMPL4ZWD",
    "aws_secret_key": "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",
    "github_token": "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "slack_token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "stripe_key": "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "password": "correct-Horse-battery-9",
    "url_password": "Sup3rS3cretDbPass",
}

LEAKY = f'''def connect(env):
    """Connect to everything; yes, the keys are inline (the reason redaction exists)."""
    anthropic_client = Anthropic(api_key="{SECRETS["anthropic_key"]}")
    openai.api_key = "{SECRETS["openai_key"]}"
    boto3.client("s3", aws_access_key_id="{SECRETS["aws_access_key"]}",
                 aws_secret_access_key="{SECRETS["aws_secret_key"]}")
    gh = Github("{SECRETS["github_token"]}")
    slack = WebClient(token="{SECRETS["slack_token"]}")
    stripe.api_key = "{SECRETS["stripe_key"]}"
    session = {{"Authorization": "Bearer {SECRETS["jwt"]}"}}
    password = "{SECRETS["password"]}"
    db = create_engine("postgresql://shop:{SECRETS["url_password"]}@db.internal:5432/shop")
    key = """-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDdGVzdGtleWZvcmthaXJvc3JlZGFjdGlvbnRlc3RzAAAAAAAAAAAAAAAA
-----END OPENSSH PRIVATE KEY-----"""
    return anthropic_client, gh, slack, session, password, db, key
'''


def test_realistic_secrets_never_reach_the_api_and_the_audit_counts_them(standin, store):
    context = SymbolContext("python:app/connect.py:connect", "app/connect.py", "python", "function", LEAKY)
    claude, _ = claude_for(standin, store)
    assert summarize(claude, context) is not None
    insights(claude, context)
    received = standin.received().decode()
    for kind, secret in SECRETS.items():
        assert secret not in received, kind
        assert secret.replace("/", "\\/") not in received, kind
    assert "BEGIN OPENSSH PRIVATE KEY" not in received and "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ" not in received
    assert (
        "[REDACTED:anthropic_key]" in received and "postgresql://shop:[REDACTED:url_password]@db.internal" in received
    )
    counts = audit_log(store)[-1]["redacted"]
    for kind in SECRETS:
        assert counts.get(kind, 0) >= 1, (kind, counts)
    assert counts["private_key"] == 1
    assert sum(counts.values()) == 11


@pytest.mark.parametrize(
    "path, extra",
    [
        (".env", ()),
        ("deploy/.env.production", ()),
        ("certs/server.pem", ()),
        ("certs/server.key", ()),
        ("ops/secrets/settings.py", ()),
        ("config/credentials.json", ()),
        ("vault/tokens.py", ("vault/",)),
        ("src/generated_keys.py", ("*_keys.py",)),
    ],
)
def test_excluded_files_are_never_sent(standin, store, path, extra):
    context = SymbolContext(f"python:{path}:f", path, "python", "function", "def f():\n    return 1\n")
    claude, logged = claude_for(standin, store, llm_exclude=extra)
    assert ask_everything_in(claude, context) == [None, [], {}]
    assert standin.requests == [] and audit_log(store) == [] and logged == []
    assert dry_run(context, exclude=extra) == f"# nothing would be sent: {path} matches an exclusion glob"


def ask_everything_in(claude, context):
    return [summarize(claude, context), insights(claude, context), summarize_many(claude, [context], 3)]


def test_the_dry_run_is_exactly_what_is_sent(standin, store):
    claude, _ = claude_for(standin, store)
    leaky = SymbolContext("python:app/connect.py:connect", "app/connect.py", "python", "function", LEAKY)
    for context, use, purpose in ((CONTEXT, summarize, None), (leaky, insights, "insights")):
        standin.requests.clear()
        use(claude, context)
        shown = dry_run(context, purpose)
        body = standin.bodies[0]
        system = shown.split("--- system ---\n", 1)[1].split("\n--- user ---\n", 1)[0]
        user = shown.split("\n--- user ---\n", 1)[1].split("\n--- tool ---\n", 1)[0].removesuffix("\n")
        assert system == body["system"] and user == body["messages"][0]["content"]
        if purpose == "insights":
            assert "secrets redacted: anthropic_key 1, aws_access_key 1" in shown.splitlines()[0]
            assert '"name": "record_insights"' in shown
    assert all(secret not in shown for secret in SECRETS.values())


def test_the_payload_is_the_symbol_not_the_file(standin, store):
    long_source = "def huge():\n" + "".join(f"    x{i} = {i}\n" for i in range(400))
    context = SymbolContext(
        "python:a.py:huge",
        "a.py",
        "python",
        "function",
        long_source,
        callers=tuple(Caller(f"c{i}.py", i, f"huge()  # {i}") for i in range(10)),
    )
    claude, _ = claude_for(standin, store)
    summarize(claude, context)
    sent = standin.bodies[0]["messages"][0]["content"]
    assert "\n    x148 = 148\n" in sent and "\n    x149 = 149\n" not in sent and "(251 more lines not sent)" in sent
    assert sent.count("huge() #") == 3


# -- cost -----------------------------------------------------------------------------


def test_nothing_unchanged_is_sent_twice(standin, store):
    claude, _ = claude_for(standin, store)
    first = summarize(claude, CONTEXT)
    again = summarize(claude, CONTEXT)
    assert again == first and len(standin.requests) == 1
    fresh, _ = claude_for(standin, store)  # a new session over the same memory
    assert summarize(fresh, CONTEXT).text == first.text and len(standin.requests) == 1
    changed = SymbolContext(**{**CONTEXT.__dict__, "source": SOURCE.replace("2)", "4)")})
    summarize(claude, changed)
    other_model, _ = claude_for(standin, store, llm_model="claude-sonnet-4-6")
    summarize(other_model, CONTEXT)
    assert len(standin.requests) == 3
    rows = audit_log(store)
    assert [(r["cached"], r["outcome"]) for r in reversed(rows)] == [
        (False, "ok"),
        (True, "cached"),
        (True, "cached"),
        (False, "ok"),
        (False, "ok"),
    ]
    assert rows[-2]["tokens_in"] == 0 and rows[-1]["tokens_in"] > 0


def test_the_daily_budget_stops_requests_with_one_line(standin, store):
    claude, logged = claude_for(standin, store, llm_daily_tokens=900)
    contexts = [
        SymbolContext(f"python:m.py:f{i}", "m.py", "python", "function", f"def f{i}():\n    return {i}\n")
        for i in range(8)
    ]
    results = [summarize(claude, c) for c in contexts]
    sent = len(standin.requests)
    assert 1 <= sent < 8 and results[:sent] == [r for r in results if r is not None]
    usage = claude.usage_today()
    assert usage["used"] <= usage["budget"] == 900 and usage == usage_today(store, 900)
    assert [line for line in logged if "budget" in line[1]] == logged and len(logged) == 1
    assert "daily budget is spent" in logged[0][1] and "llm.dailyTokens" in logged[0][1]
    assert summarize(claude, contexts[0]) is not None  # cached answers cost nothing: still served


def test_a_zero_budget_sends_nothing(standin, store):
    claude, logged = claude_for(standin, store, llm_daily_tokens=0)
    assert summarize(claude, CONTEXT) is None and standin.requests == [] and len(logged) == 1


def test_summarize_many_follows_the_order_the_budget_and_the_stop(standin, store):
    contexts = [
        SymbolContext(f"python:m.py:f{i}", "m.py", "python", "function", f"def f{i}():\n    return {i}\n")
        for i in range(10)
    ]
    claude, _ = claude_for(standin, store, llm_max_concurrency=3)
    standin.script(*[text(f"Returns {i}.", delay=0.15) for i in range(10)])
    found = summarize_many(claude, contexts, budget=6)
    assert sorted(found) == sorted(c.key for c in contexts[:6])
    assert standin.max_in_flight == 3
    stop = threading.Event()
    calls = []

    def should_stop():
        calls.append(1)
        if len(calls) > 2:
            stop.set()
        return stop.is_set()

    more = summarize_many(claude, contexts, budget=10, should_stop=should_stop)
    assert set(more) == {contexts[0].key, contexts[1].key}  # cached: answered without a request
    assert len(standin.requests) == 6


def test_the_concurrency_limit_holds_across_threads(standin, store):
    claude, _ = claude_for(standin, store, llm_max_concurrency=2)
    standin.script(*[text("Slow.", delay=0.2) for _ in range(6)])
    contexts = [SymbolContext(f"python:m.py:g{i}", "m.py", "python", "function", f"def g{i}(): pass") for i in range(6)]
    threads = [threading.Thread(target=summarize, args=(claude, c)) for c in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(standin.requests) == 6 and standin.max_in_flight == 2


# -- failures -------------------------------------------------------------------------


def test_401_turns_claude_off_for_the_session(standin, store):
    standin.script(error(401, message="invalid x-api-key"))
    claude, logged = claude_for(standin, store)
    assert ask_everything(claude) == [None, [], None, None, {}]
    assert len(standin.requests) == 1  # no retry of a refused key, and no second try
    assert len(logged) == 1 and "refused ANTHROPIC_API_KEY (401)" in logged[0][1]
    assert audit_log(store)[0]["outcome"] == "http 401"


def test_after_a_401_cached_answers_are_still_served(standin, store):
    claude, logged = claude_for(standin, store)
    first = summarize(claude, CONTEXT)
    standin.script(error(401, message="invalid x-api-key"))
    assert insights(claude, CONTEXT) == [] and len(logged) == 1
    assert summarize(claude, CONTEXT) == first and len(standin.requests) == 2


def test_429_is_retried_with_retry_after_then_falls_back_and_pauses(standin, store):
    standin.script(*[error(429, {"retry-after": "0.05"}, "rate limited")] * 3)
    claude, logged = claude_for(standin, store)
    started = time.monotonic()
    assert summarize(claude, CONTEXT) is None
    assert time.monotonic() - started < 3
    assert len(standin.requests) == 3  # the first try and the SDK's two retries
    assert [r["headers"].get("x-stainless-retry-count") for r in standin.requests] == ["0", "1", "2"]
    assert len(logged) == 1 and "rate limited (429)" in logged[0][1] and "pausing Claude for 0.05 s" in logged[0][1]
    time.sleep(0.1)
    assert summarize(claude, CONTEXT).text == "A stand-in answer."  # the pause is over


def test_a_429_then_success_is_one_answer(standin, store):
    standin.script(error(429, {"retry-after": "0.01"}))
    claude, logged = claude_for(standin, store)
    assert summarize(claude, CONTEXT).text == "A stand-in answer." and logged == []
    assert len(standin.requests) == 2


def test_5xx_is_retried_then_falls_back_and_pauses(standin, store):
    standin.script(*[error(500, {"retry-after-ms": "10"}, "internal")] * 3)
    claude, logged = claude_for(standin, store)
    assert summarize(claude, CONTEXT) is None
    assert len(standin.requests) == 3
    assert len(logged) == 1 and "answered 500 (internal)" in logged[0][1] and f"{PAUSE_SECONDS:g} s" in logged[0][1]
    assert insights(claude, CONTEXT) == [] and len(standin.requests) == 3  # paused: no request, no line
    assert len(logged) == 1
    assert audit_log(store)[0]["outcome"] == "http 500"


def test_a_timeout_falls_back(standin, store):
    standin.script(*[slow(2.0)] * 3)
    claude, logged = claude_for(standin, store, llm_timeout_seconds=0.2)
    started = time.monotonic()
    assert summarize(claude, CONTEXT) is None
    assert time.monotonic() - started < 5
    assert len(logged) == 1 and "timed out after 0.2 s" in logged[0][1]
    assert audit_log(store)[0]["outcome"] == "timeout"


def test_network_down_falls_back(store):
    with ClaudeStandin() as gone:
        url = gone.url  # a port nothing listens on once it closes
    claude, logged = claude_for(None, store, env={"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": url})
    assert summarize(claude, CONTEXT) is None
    assert fill_argument(claude, CALL, "rate") is None  # paused: no second line
    assert len(logged) == 1 and "cannot reach the API" in logged[0][1]
    assert audit_log(store)[0]["outcome"] == "network"


# -- audit ------------------------------------------------------------------------------


def test_the_audit_log_records_every_request(standin, store):
    claude, _ = claude_for(standin, store)
    summarize(claude, CONTEXT)
    insights(claude, CONTEXT)
    summarize(claude, CONTEXT)
    rows = audit_log(store)
    assert [r["purpose"] for r in rows] == ["summary", "insights", "summary"]
    newest = rows[0]
    assert newest["cached"] is True and newest["tokens_in"] == newest["tokens_out"] == 0
    assert rows[2]["tokens_in"] > 0 and rows[2]["tokens_out"] > 0 and rows[2]["model"] == DEFAULT_MODEL
    assert rows[2]["symbol"] == CONTEXT.key and rows[2]["at"].endswith("Z") and len(rows[2]["payload_hash"]) == 64
    assert audit_log(store, limit=1) == rows[:1]
    assert usage_today(store, 1000)["used"] == sum(r["tokens_in"] + r["tokens_out"] for r in rows)


def test_the_audit_lives_in_the_store(standin, tmp_path):
    path = tmp_path / "memory.db"
    with Store(path) as memory:
        claude, _ = claude_for(standin, memory)
        summarize(claude, CONTEXT)
    with Store(path) as memory:
        assert [r["purpose"] for r in audit_log(memory)] == ["summary"]
        claude, _ = claude_for(standin, memory)
        assert summarize(claude, CONTEXT) is not None and len(standin.requests) == 1
