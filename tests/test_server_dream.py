"""autoDream through the server: idle dreams after edits, and kairos.dreamNow."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import TEXT_PY, change, hover, initialize, make_workspace, open_doc, position_of, scan_done, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient

from kairos_lsp.dream import facts_for
from kairos_lsp.store import Store


def signature_facts(store_file, key):
    store = Store(store_file)
    try:
        return {(f["value"], f["status"]) for f in facts_for(store, key) if f["predicate"] == "signature"}
    finally:
        store.close()


async def test_an_idle_dream_consolidates_an_edit(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 0.3}})
    await scan_done(client)
    key = "python:src/text.py:split_words"
    await wait_for(
        lambda: ("split_words(text, lower=True)", "firm") in signature_facts(store_file, key),
        what="the first idle dream",
    )

    uri = open_doc(client, root, "src/text.py", "python")
    at = position_of(TEXT_PY, "lower=True)", len("lower=True"))
    change(client, uri, 2, at, at, ", sep=None")
    await wait_for(
        lambda: (
            signature_facts(store_file, key)
            >= {
                ("split_words(text, lower=True, sep=None)", "firm"),
                ("split_words(text, lower=True)", "superseded"),
            }
        ),
        what="an idle dream after the edit",
    )
    assert any("kairos: dream #" in m.message for m in client.log_messages)


async def test_dream_now_returns_its_counts_and_edits_keep_idle_dreams_away(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    uri = open_doc(client, root, "src/text.py", "python")
    at = position_of(TEXT_PY, "lower=True)", len("lower=True"))
    change(client, uri, 2, at, at, ", strict=False")
    assert "strict=False" in await hover(client, uri, at.line, 5)  # the edit is stored ...
    key = "python:src/text.py:split_words"
    assert signature_facts(store_file, key) == set()  # ... but an hour of idling has not passed

    counts = await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow")), 30
    )
    assert counts["trigger"] == "command" and counts["observations"] > 0 and not counts["stopped"]
    assert ("split_words(text, lower=True, strict=False)", "firm") in signature_facts(store_file, key)
    again = await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow")), 30
    )
    assert again["observations"] == 0


def live_facts(store_file, key):
    store = Store(store_file)
    try:
        return {
            (f["predicate"], f["value"] if isinstance(f["value"], str) else str(f["value"])): f["status"]
            for f in facts_for(store, key)
            if f["status"] in ("tentative", "firm")
        }
    finally:
        store.close()


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_moving_a_function_between_open_buffers_links_old_and_new_keys(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws", {"src/words.py": '"""Word tools."""\n'})
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow")), 30
    )

    text_uri = open_doc(client, root, "src/text.py", "python")
    words_uri = open_doc(client, root, "src/words.py", "python")
    moved = TEXT_PY[TEXT_PY.index("def split_words") :]
    replace_all(client, text_uri, 2, TEXT_PY[: TEXT_PY.index("def split_words")])  # cut ...
    replace_all(client, words_uri, 2, '"""Word tools."""\nimport re\n\n\n' + moved)  # ... and paste
    counts = await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow")), 30
    )
    assert counts["linked"] >= 1

    old, new = "python:src/text.py:split_words", "python:src/words.py:split_words"
    assert live_facts(store_file, old) == {("moved_to", new): "firm"}  # all else retracted
    facts = live_facts(store_file, new)
    assert facts[("moved_from", old)] == "firm"
    assert ("signature", "split_words(text, lower=True)") in facts
    assert "split_words(text, lower=True)" in await hover(client, words_uri, 4, 6)


async def test_a_killed_dream_worker_loses_nothing_and_the_next_dream_resumes(client: LanguageClient, tmp_path):
    import os
    import signal

    body = "".join(f"def f{i}(a, b=1):\n    '''Add {i}.'''\n    return helper(a) + b\n\n\n" for i in range(60))
    root = make_workspace(
        tmp_path / "ws", {f"gen/m{n}.py": "def helper(x):\n    return x\n\n\n" + body for n in range(150)}
    )
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    lock = Path(str(store_file) + ".dream.lock")
    dreaming = asyncio.ensure_future(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow"))
    )
    await wait_for(
        lambda: lock.exists() and lock.read_text().strip() not in ("", str(os.getpid())),
        what="the dream's worker to take the lock",
    )
    await asyncio.sleep(0.1)  # mid-dream: it takes about a second here
    os.kill(int(lock.read_text()), signal.SIGKILL)
    first = await asyncio.wait_for(dreaming, 60)
    assert first["error"].startswith("kairos: dream now failed: the dream's worker process died")
    again = await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow")), 60
    )
    assert again["trigger"] == "command" and again["observations"] > 0 and not again["stopped"]
    store = Store(store_file)
    try:
        assert (
            store.db.execute(
                "SELECT count(*) FROM observations WHERE id > (SELECT last_observation FROM dream_cursor)"
            ).fetchone()[0]
            == 0
        )
    finally:
        store.close()
