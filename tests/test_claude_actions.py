"""Claude's code actions in the real server, with the real ``anthropic`` client talking to a
stand-in Messages API on 127.0.0.1.

A user who opted in sees "Fill `currency` (proposed by Claude)" next to the offline
placeholder fix of a ``stale-call``, and "Propose a fix (Claude)" on a
``recent-failure``; picking one asks Claude then (``codeAction/resolve``), and the
edit it returns is the user's to apply. A user who did not opt in sees neither,
and nothing is sent.
"""

from __future__ import annotations

import asyncio
import sys

import pytest
import pytest_lsp
from claude_standin import ClaudeStandin, tool
from conftest import accept_registrations, initialize, open_doc, scan_done, server_env, wait_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from kairos_lsp.extract import parse
from kairos_lsp.store import Store

STANDIN = ClaudeStandin()  # started once for this module; its address goes in the server's environment

LIB_BEFORE = "def price(item, qty):\n    return item.cost * qty\n"
LIB_AFTER = "def price(item, qty, currency):\n    return item.cost * qty * currency.rate\n"
APP = (
    "from lib.prices import price\n\n\n"
    "def checkout(item, shop_currency):\n"
    "    total = price(item, 2)\n"
    "    return total\n"
)


def claude_env() -> dict[str, str]:
    env = server_env()
    env.update(ANTHROPIC_API_KEY="sk-ant-test-key", ANTHROPIC_BASE_URL=STANDIN.url)
    return env


@pytest.fixture(scope="module", autouse=True)
def standin():
    with STANDIN:
        yield STANDIN


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "kairos_lsp"], server_env=claude_env())
)
async def client(lsp_client: LanguageClient):
    accept_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def command(client: LanguageClient, name: str, *args):
    return await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=list(args))), 60
    )


async def changed_library(client: LanguageClient, tmp_path, provider: str):
    root = tmp_path / "ws"
    for rel, text in {"lib/__init__.py": "", "lib/prices.py": LIB_BEFORE, "app.py": APP}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    store_file = tmp_path / "memory.db"
    options = {"storePath": str(store_file), "dream": {"idleSeconds": 3600}, "llm": {"provider": provider}}
    await initialize(client, root, options)
    await scan_done(client)
    await command(client, "kairos.dreamNow")
    lib = root / "lib" / "prices.py"
    lib.write_text(LIB_AFTER)
    uri = open_doc(client, root, "lib/prices.py", "python")
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await command(client, "kairos.dreamNow")
    app = open_doc(client, root, "app.py", "python")
    await wait_for(lambda: [d.code for d in client.diagnostics.get(app, [])] == ["stale-call"], what="the stale call")
    return root, store_file, app


async def actions_at(client: LanguageClient, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.split("\n")
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = edit.range.start, edit.range.end
        head = "\n".join(lines[: start.line] + [lines[start.line][: start.character]])
        tail = "\n".join([lines[end.line][end.character :]] + lines[end.line + 1 :])
        lines = (head + edit.new_text + tail).split("\n")
    return "\n".join(lines)


async def test_an_opted_in_user_gets_claudes_argument_from_the_callers_scope(client: LanguageClient, tmp_path):
    STANDIN.requests.clear()
    root, _, app = await changed_library(client, tmp_path, "anthropic")
    stale = client.diagnostics[app][0]
    actions = await actions_at(client, app, stale)
    titles = [a.title for a in actions]
    assert "Add missing argument `currency=...`" in titles  # the offline fix stays
    offered = next(a for a in actions if a.title == "Fill `currency` (proposed by Claude)")
    assert offered.edit is None  # nothing asked yet: only when the user picks it
    sent_before = len(STANDIN.requests)

    STANDIN.tool_inputs["fill_argument"] = {"expression": "shop_currency"}
    resolved = await asyncio.wait_for(client.code_action_resolve_async(offered), 60)
    assert len(STANDIN.requests) == sent_before + 1
    fixed = apply(APP, resolved.edit.changes[app])
    assert "total = price(item, 2, currency=shop_currency)" in fixed
    assert not parse(fixed.encode(), "python").root_node.has_error
    sent = STANDIN.requests[-1]["body"]
    assert "shop_currency" in str(sent["messages"]) and "def checkout" in str(sent["messages"])
    assert "return item.cost" not in str(sent["messages"])  # not the library's whole file: the call's context


async def test_an_answer_from_outside_the_scope_is_refused_and_nothing_is_applied(client: LanguageClient, tmp_path):
    root, _, app = await changed_library(client, tmp_path, "anthropic")
    stale = client.diagnostics[app][0]
    offered = next(a for a in await actions_at(client, app, stale) if "proposed by Claude" in a.title)
    STANDIN.script(tool({"expression": "__import__('os').system('rm -rf /')"}))
    resolved = await asyncio.wait_for(client.code_action_resolve_async(offered), 60)
    assert resolved.edit is None
    await wait_for(lambda: any("Claude had no proposal" in m.message for m in client.messages), what="a message")


async def test_a_failure_gets_a_proposed_fix_inside_the_function(client: LanguageClient, tmp_path):
    root, store_file, app = await changed_library(client, tmp_path, "anthropic")
    with Store(store_file) as store:
        store.record_outcomes([("python:app.py:checkout", True, "AssertionError at app.py:5: total is wrong")])
    await command(client, "kairos.dreamNow")
    await wait_for(lambda: "recent-failure" in [d.code for d in client.diagnostics.get(app, [])], what="the failure")
    failure = next(d for d in client.diagnostics[app] if d.code == "recent-failure")
    offered = next(a for a in await actions_at(client, app, failure) if a.title == "Propose a fix (Claude)")
    STANDIN.script(
        tool(
            {
                "edits": [
                    {
                        "start_line": 5,
                        "start_character": 11,
                        "end_line": 5,
                        "end_character": 16,
                        "new_text": "round(total, 2)",
                    }
                ],
                "explanation": "round the total",
            }
        )
    )
    resolved = await asyncio.wait_for(client.code_action_resolve_async(offered), 60)
    assert resolved.edit is not None
    fixed = apply(APP, resolved.edit.changes[app])
    assert "    return round(total, 2)" in fixed


async def test_without_opting_in_there_is_no_claude_action_and_nothing_is_sent(client: LanguageClient, tmp_path):
    STANDIN.requests.clear()
    root, _, app = await changed_library(client, tmp_path, "none")
    stale = client.diagnostics[app][0]
    titles = [a.title for a in await actions_at(client, app, stale)]
    assert "Add missing argument `currency=...`" in titles
    assert not [t for t in titles if "Claude" in t]
    assert STANDIN.requests == []
