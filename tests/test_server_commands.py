"""kairos.confirmFact / rejectFact (through their code actions), kairos.forget and kairos.status."""

from __future__ import annotations

import ast
import asyncio

import pytest
import released
from conftest import hover, initialize, open_doc, scan_done
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from kairos_lsp.store import Store

LIB = '''"""Storage helpers."""
import json


def load_settings(path):
    """Read the settings file and parse it."""
    with open(path) as handle:
        return json.load(handle)


def save_settings(path, data):
    """Write the settings file."""
    with open(path, "w") as handle:
        json.dump(data, handle)
'''


async def command(client: LanguageClient, name: str, *arguments):
    return await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=list(arguments))), 30
    )


async def fact_actions(client: LanguageClient, uri: str, line: int, character: int):
    actions = (
        await asyncio.wait_for(
            client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=types.Range(
                        start=types.Position(line=line, character=character),
                        end=types.Position(line=line, character=character),
                    ),
                    context=types.CodeActionContext(diagnostics=[]),
                )
            ),
            15,
        )
        or []
    )
    return [a for a in actions if a.title.startswith(("Confirm", "Reject"))]


def command_of(action) -> types.Command:
    """The command a code action carries.

    lsprotocol's client-side hook structures every code action that has a
    ``command`` as a bare Command, with the real command stringified into it;
    editors tell them apart by the type of ``command``, as the spec says.
    """
    if isinstance(action, types.CodeAction):
        return action.command
    raw = ast.literal_eval(action.command)
    return types.Command(title=raw["title"], command=raw["command"], arguments=raw.get("arguments"))


def fact(store_file, fact_id: int) -> tuple[str, str | None]:
    store = Store(store_file)
    try:
        return store.db.execute("SELECT status, verdict FROM facts WHERE id = ?", (fact_id,)).fetchone()
    finally:
        store.close()


LIB_TS = """import { readFileSync, writeFileSync } from "fs";

/** Read the settings file and parse it. */
export function loadSettings(path: string): object {
  return JSON.parse(readFileSync(path, "utf8"));
}
"""


async def start(client: LanguageClient, tmp_path, language: str = "python"):
    root = tmp_path / "ws"
    (root / "conf").mkdir(parents=True)
    rel = "conf/storage.py" if language == "python" else "conf/storage.ts"
    (root / rel).write_text(LIB if language == "python" else LIB_TS)
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    await command(client, "kairos.dreamNow")
    return root, store_file, open_doc(client, root, rel, language)


@pytest.mark.parametrize("language,line,character", [("python", 4, 6), ("typescript", 3, 18)])
async def test_confirm_and_reject_facts_from_code_actions(client: LanguageClient, tmp_path, language, line, character):
    root, store_file, uri = await start(client, tmp_path, language)
    actions = await fact_actions(client, uri, line, character)  # on `load_settings` / `loadSettings`
    titles = [a.title for a in actions]
    assert any("handles file I/O" in t or "handles" in t for t in titles), titles
    confirm = next(a for a in actions if a.title.startswith("Confirm") and "handles" in a.title)
    command_ = command_of(confirm)
    fact_id = command_.arguments[0]
    assert fact(store_file, fact_id)[0] == "tentative"  # nothing is applied until the user chooses

    answer = await command(client, command_.command, *command_.arguments)
    assert answer["verdict"] == "confirmed" and answer["status"] == "firm"
    assert fact(store_file, fact_id) == ("firm", "confirmed")
    card = await hover(client, uri, line, character)
    assert card is not None
    assert "**handles**" in card and "tentative" not in card.split("handles")[1].split("·")[0]

    reject = next(a for a in await fact_actions(client, uri, line, character) if a.title.startswith("Reject"))
    command_ = command_of(reject)
    answer = await command(client, command_.command, *command_.arguments)
    assert answer["verdict"] == "rejected" and answer["status"] == "retracted"
    assert (await command(client, "kairos.dreamNow"))["observations"] == 0
    assert fact(store_file, command_.arguments[0]) == ("retracted", "rejected")  # and it stays so

    bad = await command(client, "kairos.confirmFact", "not-a-fact")
    assert bad["error"].startswith("kairos: confirm fact failed")


async def test_status_and_forget(client: LanguageClient, tmp_path):
    root, store_file, uri = await start(client, tmp_path)
    status = await command(client, "kairos.status")
    assert status["files"] == 1 and status["symbols"] == 3 and status["bytes"] > 0
    assert status["last_dream"]["trigger"] == "command" and status["undreamed"] == 0
    assert status["facts"]["tentative"] > 0 and status["llm"]["provider"] == "none"
    assert status["llm"]["state"].startswith("off")

    gone = await command(client, "kairos.forget", "conf/storage.py::save_settings")
    assert gone["forgot"] == "python:conf/storage.py:save_settings" and gone["observations"] > 0
    store = Store(store_file)
    try:
        key = "python:conf/storage.py:save_settings"
        assert store.symbol(key) is None and store.history(key) == []
        assert store.db.execute("SELECT count(*) FROM facts WHERE subject = ?", (key,)).fetchone()[0] == 0
        assert store.symbol("python:conf/storage.py:load_settings") is not None  # the rest stays
    finally:
        store.close()

    gone = await command(client, "kairos.forget", uri)  # a whole file, by URI
    assert gone["forgot"] == "conf/storage.py" and gone["files"] == 1
    after = await command(client, "kairos.status")
    assert after["symbols"] == 0 and sum(after["facts"].values()) == 0
    assert (await command(client, "kairos.forget"))["error"].startswith("kairos: forget failed")


@pytest.mark.parametrize(
    "editor, watcher, follows, registers",
    [
        ("neovim", None, "followed: the server watches the workspace", False),  # Neovim on Linux does not watch
        ("visual-studio-code", None, "followed: the editor tells", True),
        ("visual-studio-code", "server", "followed: the server watches the workspace", False),
        ("visual-studio-code", "off", "not followed", False),
        ("neovim", "editor", "not followed", False),
        ("neovim", "off", "not followed", False),
    ],
)
async def test_status_says_who_follows_the_disk(
    client: LanguageClient, tmp_path, editor: str, watcher: str | None, follows: str, registers: bool
):
    """Who tells the memory of files changed on disk, by the editor's capabilities (as pytest-lsp
    captured them) and ``files.watcher``: the status, the registration, and one log line."""
    root = tmp_path / "ws"
    (root / "conf").mkdir(parents=True)
    (root / "conf/storage.py").write_text(LIB)
    options: dict = {"storePath": str(tmp_path / "memory.db")}
    if watcher is not None:
        options["files"] = {"watcher": watcher}
    await initialize(client, root, options, editor=editor)
    await scan_done(client)
    status = await command(client, "kairos.status")
    assert status["disk"].startswith(follows), status["disk"]
    registered = [r.method for r in client.registrations]  # type: ignore[attr-defined]
    assert (types.WORKSPACE_DID_CHANGE_WATCHED_FILES in registered) == registers
    logged = [m.message for m in client.log_messages]
    if follows.startswith("not followed"):
        assert any("reach the memory at the next start" in line for line in logged), logged
    elif not registers:
        assert any("the server watches the workspace" in line for line in logged), logged


async def test_forget_takes_the_path_or_uri_of_a_file_that_is_not_open(client: LanguageClient, tmp_path):
    root = tmp_path / "ws"
    for name in ("a.py", "b.py"):
        (root / "conf").mkdir(parents=True, exist_ok=True)
        (root / "conf" / name).write_text(LIB)
    await initialize(client, root, {"storePath": str(tmp_path / "memory.db"), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    by_path = await command(client, "kairos.forget", str(root / "conf" / "a.py"))
    assert by_path["forgot"] == "conf/a.py" and by_path["files"] == 1
    by_uri = await command(client, "kairos.forget", (root / "conf" / "b.py").as_uri())
    assert by_uri["forgot"] == "conf/b.py" and by_uri["files"] == 1
    assert (await command(client, "kairos.status"))["files"] == 0


async def test_a_minified_buffer_is_not_remembered(client: LanguageClient, tmp_path):
    """axios' own minified bundle, opened: neither the scan nor the buffer puts it in the memory."""
    (axios,) = [p for p in released.PROJECTS if p.name == "axios"]
    bundle = released.fetched(axios).parent / "dist" / "axios.min.js"
    root = tmp_path / "ws"
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "axios.min.js").write_bytes(bundle.read_bytes())
    (root / "ok.js").write_text("export function add(a, b) {\n  return a + b;\n}\n")
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    open_doc(client, root, "dist/axios.min.js", "javascript")
    open_doc(client, root, "ok.js", "javascript")
    await command(client, "kairos.dreamNow")
    store = Store(store_file)
    try:
        assert store.file("ok.js") is not None and store.file("dist/axios.min.js") is None
    finally:
        store.close()


async def test_a_binary_buffer_is_not_remembered(client: LanguageClient, tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "blob.py").write_bytes(b"def f():\n    return 1\n\x00\x01\x02")
    (root / "ok.py").write_text(LIB)
    store_file = tmp_path / "memory.db"
    await initialize(client, root, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    open_doc(client, root, "blob.py", "python")  # as an editor opens it, NUL bytes included
    open_doc(client, root, "ok.py", "python")
    await command(client, "kairos.dreamNow")  # the memory thread has recorded what it records by then
    store = Store(store_file)
    try:
        assert store.file("ok.py") is not None and store.file("blob.py") is None
    finally:
        store.close()


async def test_a_second_workspace_folder_is_named_in_the_log_as_not_kept(client: LanguageClient, tmp_path):
    """A client that sends several workspace folders to one server (VS Code's extension starts
    one per folder): the server keeps the first folder's memory, and says which it does not."""
    first, second = tmp_path / "first", tmp_path / "second"
    for root in (first, second):
        (root / "conf").mkdir(parents=True)
        (root / "conf/storage.py").write_text(LIB)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=first.as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(uri=first.as_uri(), name="first"),
                types.WorkspaceFolder(uri=(first / "conf").as_uri(), name="inner"),  # (inside the first: kept)
                types.WorkspaceFolder(uri=second.as_uri(), name="second"),
            ],
            initialization_options={"storePath": str(tmp_path / "memory.db")},
        )
    )
    await scan_done(client)
    lines = [m.message for m in client.log_messages if "keeps the memory of" in m.message]
    assert lines == [f"kairos: this server keeps the memory of {first.resolve()} only, not of {second.resolve()}"]
