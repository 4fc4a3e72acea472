"""The language server end to end: a real server process, a real workspace, a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import (
    CART_TS,
    GREET_PY,
    INDEX_PY,
    REPO,
    TEXT_PY,
    change,
    current,
    hover,
    initialize,
    make_workspace,
    open_doc,
    position_of,
    progress_kinds,
    scan_done,
    server_env,
    wait_for,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from kairos_lsp.config import Settings
from kairos_lsp.recorder import Recorder
from kairos_lsp.scan import scan_paths
from kairos_lsp.store import Store


async def test_initial_scan_reports_progress_and_fills_the_store(client: LanguageClient, tmp_path):
    root = make_workspace(
        tmp_path / "ws",
        {
            "assets/blob.py": b"\x00\x01\x02binary\x00" * 50,  # binary, in a source extension
            "legacy.py": "# caf\xe9\ndef old():\n    pass\n".encode("latin-1"),  # not UTF-8
        },
    )
    store_file = tmp_path / "memory" / "kairos.db"
    result = await initialize(client, root, store=store_file)
    assert result.capabilities.hover_provider
    assert result.capabilities.code_action_provider
    await scan_done(client)

    kinds = progress_kinds(client)
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    reports = [v for values in client.progress_reports.values() for v in values if v.kind == "report"]
    assert reports[-1].percentage == 100
    assert store_file.is_file()
    assert current(store_file, "python:src/text.py:split_words", "signature") == [
        ("split_words(text, lower=True)", "parse")
    ]
    store = Store(store_file)
    try:
        paths = {row["path"] for row in store.all_symbols()}
    finally:
        store.close()
    assert {"src/text.py", "src/index.py", "web/money.ts", "web/cart.ts", "greet.py"} <= paths
    assert not {"assets/blob.py", "legacy.py"} & paths
    await wait_for(
        lambda: any("skipped 2 files" in m.message for m in client.log_messages), what="a log line about skipped files"
    )
    # Nothing crashed: the server still answers, even on the undecodable file's neighbour.
    uri = open_doc(client, root, "src/text.py", "python")
    assert "split_words" in await hover(client, uri, 5, 6)


def _children(pid: int) -> list[str]:
    """The command lines of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, IndexError, ValueError):
                continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_once_its_scan_and_dream_are_done_nothing_stays_beside_the_server(client: LanguageClient, tmp_path):
    """The scan runs in a child interpreter with its workers, the dream in another: once
    they are done, no fork server or resource tracker stays beside the server (they were two
    more processes, 26 MB, all its life), and the dream's worker alone waits for the next."""
    modules = {f"pkg/m{i}.py": f"def f{i}(a):\n    return g(a) + {i}\n" for i in range(60)}  # workers parse
    root = make_workspace(tmp_path / "ws", modules)
    await initialize(client, root, store=tmp_path / "memory.db")
    await scan_done(client)
    pid = client._server.pid  # type: ignore[union-attr]
    await wait_for(lambda: not _children(pid), 10, "no process beside the server after its scan")
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow"))
    left = _children(pid)
    assert len(left) == 1 and "child_main" in left[0], left  # the dream's worker, kept for the next dream


async def test_hover_on_definitions_and_cross_file_references(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    await initialize(client, root, store=tmp_path / "memory.db")
    await scan_done(client)

    index = open_doc(client, root, "src/index.py", "python")
    at = position_of(INDEX_PY, "split_words(text)", 3)
    text = await hover(client, index, at.line, at.character)
    assert "```python\ndef split_words(text, lower=True)\n```" in text
    assert "Split text into words." in text
    assert "Punctuation is dropped" not in text  # only the first paragraph
    assert "*function*" in text and "`src/text.py` line 6" in text

    at = position_of(INDEX_PY, "def add", 5)  # a method's own name
    text = await hover(client, index, at.line, at.character)
    assert "def add(self, name, text)" in text and "Count the words" in text and "`Index`" in text

    at = position_of(INDEX_PY, "class Index", 7)
    text = await hover(client, index, at.line, at.character)
    assert "class Index" in text and "Word counts per document." in text

    cart = open_doc(client, root, "web/cart.ts", "typescript")
    at = position_of(CART_TS, "formatPrice(cents)", 2)
    text = await hover(client, cart, at.line, at.character)
    assert "```typescript\nfunction formatPrice(cents: number" in text
    assert "Format cents as a price." in text and "`web/money.ts` line 2" in text

    assert await hover(client, index, 0, 1) is None  # a docstring's words are not symbols
    assert await hover(client, index, 400, 0) is None  # past the end of the document


async def test_what_the_user_hovers_is_noted_for_the_dream_later_not_on_the_hover(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    store_file = tmp_path / "memory.db"
    await initialize(client, root, store=store_file)
    await scan_done(client)
    index = open_doc(client, root, "src/index.py", "python")
    at = position_of(INDEX_PY, "split_words(text)", 3)
    assert "split_words" in await hover(client, index, at.line, at.character)

    def noted():
        with Store(store_file) as store:
            return [row["subject"] for row in store.attention("hovered")]

    assert noted() == []  # not written while the user waits for the hover
    await wait_for(lambda: noted() == ["python:src/text.py:split_words"], timeout=20, what="the hover noted")


async def test_hover_follows_imports_and_shows_callers_and_facts(client: LanguageClient, tmp_path):
    # Two functions named split_words: only imports say which one a reference means.
    other = 'def split_words(text):\n    """Not this one."""\n    return text.split()\n'
    use = (
        "from src import text as t\nfrom src.index import Index\n\n\n"
        'def run(s):\n    return t.split_words(s), Index().add("a", s)\n'
    )
    seen = "_seen = {}\n\n\ndef remember(key):\n    _seen[key] = True\n"  # calls nothing, writes the module's
    query = "class Query {\n  #dispatch(action: string): void {}\n  setData(d: string) { this.#dispatch(d) }\n}\n"
    typed = "from src.index import Index\n\n\ndef handle(index: Index, s):\n    return index.add('b', s)\n"
    files = {"other.py": other, "use.py": use, "seen.py": seen, "query.ts": query, "typed.py": typed}
    root = make_workspace(tmp_path / "ws", files)
    await initialize(client, root, {"storePath": str(tmp_path / "memory.db"), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow")), 30
    )

    uri = open_doc(client, root, "use.py", "python")
    at = position_of(use, "t.split_words(s)", 4)
    text = await hover(client, uri, at.line, at.character)
    assert "split_words(text, lower=True)" in text and "Not this one" not in text
    assert "**called by** 2: " in text and "`Index.add` (src/index.py)" in text and "`run` (use.py)" in text
    assert "first seen" in text
    # an insight says how sure it is and what it rests on: split_words calls re.split
    assert "**handles** parsing *(tentative: its calls)*" in text

    at = position_of(seen, "remember", 2)
    text = await hover(client, open_doc(client, root, "seen.py", "python"), at.line, at.character)
    assert "**writes** `_seen[…]`" in text and "**pure**" not in text

    ts = open_doc(client, root, "query.ts", "typescript")
    for anchor in ("#dispatch(action", "#dispatch(d)"):  # its definition, its call
        at = position_of(query, anchor, 3)
        text = await hover(client, ts, at.line, at.character)
        assert "#dispatch(action: string): void" in text and "**called by** 1: `Query.setData`" in text

    # a receiver whose class its parameter's annotation names: the method, and its callers
    at = position_of(typed, "index.add(", 7)
    text = await hover(client, open_doc(client, root, "typed.py", "python"), at.line, at.character)
    assert "add(self, name, text)" in text and "Count the words of one document." in text
    assert "**called by** 2: " in text and "`handle` (typed.py)" in text and "`run` (use.py)" in text

    index = open_doc(client, root, "src/index.py", "python")
    at = position_of(INDEX_PY, "import split_words", 8)  # the name in an import statement
    assert "split_words(text, lower=True)" in await hover(client, index, at.line, at.character)

    cart = open_doc(client, root, "web/cart.ts", "typescript")
    at = position_of(CART_TS, "{ formatPrice }", 3)
    text = await hover(client, cart, at.line, at.character)
    assert "function formatPrice(cents: number" in text and "**called by** 1: `Cart.total`" in text


async def test_incremental_edits_with_emoji_and_cjk_update_hover_and_store(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    store_file = tmp_path / "memory.db"
    await initialize(client, root, store=store_file)
    await scan_done(client)
    uri = open_doc(client, root, "greet.py", "python")
    text = GREET_PY

    # Three edits in a burst, each after emoji/CJK on its line, positions in UTF-16.
    edits = [
        ("loud=False", "loud=False", "shout=False, count=1"),  # replace a range
        ('mark="😀世界"', 'mark="😀世界"', 'mark="😀世界!"'),
        ("Say hello. 👋", "Say hello. 👋", "Greet someone warmly. 👋"),
    ]
    for version, (anchor, old, new) in enumerate(edits, start=2):
        start = position_of(text, anchor)
        end = position_of(text, anchor, len(old))
        change(client, uri, version, start, end, new)
        text = text.replace(old, new, 1)
    # An insertion of a whole line above everything: every row below moves.
    change(client, uri, 5, types.Position(line=0, character=0), types.Position(line=0, character=0), "# 🧪 テスト\n")
    text = "# 🧪 テスト\n" + text

    signature = 'greet(name, mark="😀世界!", shout=False, count=1)'
    await wait_for(
        lambda: current(store_file, "python:greet.py:greet", "signature") == [(signature, "edit")],
        what="the edited signature in the store",
    )
    assert current(store_file, "python:greet.py:greet", "docstring") == [("Greet someone warmly. 👋", "edit")]

    # Hover on the reference that follows emoji on its line, and on the definition's name.
    at = position_of(text, 'greet("x")', 2)
    reference = await hover(client, uri, at.line, at.character)
    assert f"def {signature}" in reference and "Greet someone warmly." in reference
    assert "`greet.py` line 7" in reference
    at = position_of(text, "def greet", 4)
    assert f"def {signature}" in await hover(client, uri, at.line, at.character)

    # A hover right after an edit sees it without waiting for the debounce.
    start = position_of(text, "count=1")
    change(client, uri, 6, start, position_of(text, "count=1", 7), "times=2")
    text = text.replace("count=1", "times=2")
    assert "times=2" in await hover(client, uri, at.line, at.character)


async def test_save_records_a_parse_and_close_forgets_unsaved_edits(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    store_file = tmp_path / "memory.db"
    await initialize(client, root, store=store_file)
    await scan_done(client)
    key = "python:src/text.py:split_words"
    uri = open_doc(client, root, "src/text.py", "python")
    at = position_of(TEXT_PY, "lower=True")
    change(client, uri, 2, at, position_of(TEXT_PY, "lower=True", 10), "lower=False")
    saved = TEXT_PY.replace("lower=True", "lower=False")
    (root / "src/text.py").write_text(saved, encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await wait_for(
        lambda: current(store_file, key, "signature") == [("split_words(text, lower=False)", "parse")],
        what="the saved signature",
    )
    store = Store(store_file)
    try:
        # The saved bytes are held with the file's stat, or with none when the save came right
        # after a change (observe.racy: the next look hashes it again); no look parses it again.
        assert store.file("src/text.py")["mtime_ns"] in (0, (root / "src/text.py").stat().st_mtime_ns)
        assert scan_paths(root, store, ["src/text.py"]).parsed == 0
    finally:
        store.close()

    # Unsaved edits are observed as "edit", and closing without saving goes back to the disk.
    at = position_of(saved, "lower=False")
    change(client, uri, 3, at, position_of(saved, "lower=False", 11), "lower=None")
    await wait_for(
        lambda: current(store_file, key, "signature") == [("split_words(text, lower=None)", "edit")],
        what="the unsaved signature",
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await wait_for(
        lambda: current(store_file, key, "signature") == [("split_words(text, lower=False)", "parse")],
        what="the disk's signature again",
    )


async def test_hover_answers_while_the_scan_runs(client: LanguageClient, tmp_path):
    body = "".join(
        f'\n\ndef func_{j}(a, b=1, *rest):\n    """Doc {j}."""\n    return helper(a) + other_{j}(b)\n'
        for j in range(20)
    )
    extra = {f"gen/mod_{i}.py": f'"""Module {i}."""\n{body}' for i in range(1500)}
    root = make_workspace(tmp_path / "ws", extra)
    await initialize(client, root, store=tmp_path / "memory.db")
    await wait_for(lambda: "begin" in progress_kinds(client), what="the scan to begin")

    uri = open_doc(client, root, "greet.py", "python")
    at = position_of(GREET_PY, 'greet("x")', 1)
    started = time.monotonic()
    text = await hover(client, uri, at.line, at.character)
    elapsed = time.monotonic() - started
    assert "def greet(name" in text
    assert "end" not in progress_kinds(client), "the scan ended before the hover: make it longer"
    assert elapsed < 3.0
    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=at, end=at),
                context=types.CodeActionContext(diagnostics=[]),
            )
        ),
        5,
    )
    assert not actions
    # Shutting down mid-scan stops the scan promptly (the fixture sends shutdown and exit).
    started = time.monotonic()
    await asyncio.wait_for(client.shutdown_session(), 10)
    assert time.monotonic() - started < 5.0
    client.capabilities = None  # the fixture need not shut it down again


async def test_bad_initialization_options_warn_but_the_server_works(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    await initialize(
        client,
        root,
        options={"dream": {"idleSeconds": "soon"}, "exclude": "build/", "storePath": str(tmp_path / "memory.db")},
    )
    await wait_for(lambda: client.messages, what="a warning")
    warning = client.messages[0]
    assert warning.type == types.MessageType.Warning
    assert "dream.idleSeconds" in warning.message and "exclude" in warning.message
    assert "\n" not in warning.message
    await scan_done(client)
    uri = open_doc(client, root, "src/index.py", "python")
    at = position_of(INDEX_PY, "split_words(text)", 1)
    assert "def split_words(text, lower=True)" in await hover(client, uri, at.line, at.character)


async def test_unusable_store_is_reported_and_the_server_keeps_running(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    bad = tmp_path / "memory.db"
    bad.write_bytes(b"this is not a database, " * 100)
    await initialize(client, root, store=bad)
    await wait_for(lambda: client.messages, what="an error message")
    assert client.messages[0].type == types.MessageType.Error
    assert "memory" in client.messages[0].message and "\n" not in client.messages[0].message
    uri = open_doc(client, root, "src/index.py", "python")
    change(client, uri, 2, types.Position(line=0, character=0), types.Position(line=0, character=0), "#\n")
    at = position_of(INDEX_PY, "split_words(text)", 1)
    assert await hover(client, uri, at.line + 1, at.character) is None
    assert bad.read_bytes().startswith(b"this is not a database")


async def test_malformed_requests_get_an_error_and_do_not_kill_the_server(client: LanguageClient, tmp_path):
    root = make_workspace(tmp_path / "ws")
    await initialize(client, root, store=tmp_path / "memory.db")
    await scan_done(client)
    uri = open_doc(client, root, "src/index.py", "python")
    # Raw JSON (the client would refuse to build it): hover params without a position.
    answer: Future = Future()
    client.protocol._request_futures["bad-1"] = answer
    client.protocol._send_data(
        {"jsonrpc": "2.0", "id": "bad-1", "method": types.TEXT_DOCUMENT_HOVER, "params": {"textDocument": {"uri": uri}}}
    )
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(asyncio.wrap_future(answer), 10)
    # A hover on a document the server never saw, and a position far off a line's end.
    assert await hover(client, (root / "nope.py").as_uri(), 0, 0) is None
    assert await hover(client, uri, 1, 10_000) is None  # clamped to an empty line
    assert "split_words" in await hover(client, uri, 2, 10_000)  # clamped to the end: the last word
    at = position_of(INDEX_PY, "split_words(text)", 1)
    assert "split_words" in await hover(client, uri, at.line, at.character)
    # the client's mistake, logged as one warning line (not an error of the server's)
    await wait_for(lambda: any(m.type == types.MessageType.Warning for m in client.log_messages), what="a warning")
    assert all("\n" not in m.message for m in client.log_messages)


async def test_without_a_workspace_hover_still_works(client: LanguageClient, tmp_path):
    folder = make_workspace(tmp_path / "loose")
    await initialize(client, None)
    uri = open_doc(client, folder, "src/text.py", "python")
    assert "def split_words(text, lower=True)" in await hover(client, uri, 5, 6)
    assert not (folder / ".kairos").exists()
    assert not progress_kinds(client)  # no workspace, no scan


def test_tcp_refuses_a_non_loopback_address():
    result = subprocess.run(
        [sys.executable, "-m", "kairos_lsp", "--tcp", "0.0.0.0:0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=server_env(),
        cwd=REPO,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--allow-remote" in result.stderr
    assert "loopback" in result.stderr


async def test_tcp_on_loopback_serves_the_protocol(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kairos_lsp",
        "--tcp",
        f"127.0.0.1:{port}",
        env={**server_env(), "KAIROS_LSP_TOKEN": "a-token-for-this-test-only"},  # required on TCP
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def connect():
            try:
                return await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return None

        reader, writer = await wait_for(connect, 20, "the TCP server to listen")

        async def call(message: dict) -> dict | None:
            body = json.dumps(message).encode()
            writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            if "id" not in message:
                return None
            while True:
                headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
                length = int(headers.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                reply = json.loads(await reader.readexactly(length))
                if reply.get("id") == message["id"]:
                    return reply

        reply = await call(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": None,
                    "capabilities": {},
                    "initializationOptions": {
                        "storePath": str(tmp_path / "memory.db"),
                        "token": "a-token-for-this-test-only",
                    },
                },
            }
        )
        assert reply["result"]["serverInfo"]["name"] == "kairos-lsp"
        assert reply["result"]["capabilities"]["hoverProvider"]
        await call({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        assert (await call({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))["result"] is None
        writer.close()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_session_coalesces_a_burst_of_edits_into_one_write(tmp_path):
    """In-process, without a client: ten edits in a burst are one observation."""
    from kairos_lsp.config import Settings
    from kairos_lsp.server import Session

    root = make_workspace(tmp_path / "ws")
    logged: list[tuple[str, str]] = []
    session = Session(
        root.resolve(),
        Settings(store_path=str(tmp_path / "memory.db")),
        lambda level, message: logged.append((level, message)),
        debounce=0.05,
    )
    assert session.open_store() is None
    doc = session.documents.open((root / "greet.py").as_uri(), GREET_PY, "python", 1)
    session.opened(doc)
    await session.flush(doc.uri)
    text = GREET_PY
    for i in range(10):
        text = text.replace(f"loud=False{', x' * i}", f"loud=False{', x' * (i + 1)}")
        doc.update(text, version=i + 2)
        session.changed(doc)
    await wait_for(lambda: session.recorder.idle, 5, "the debounced write")
    sources = [
        row["source"]
        for row in session.store.db.query("SELECT source FROM versions WHERE path = 'greet.py' ORDER BY id")
    ]
    assert sources == ["parse", "edit"]  # the scan-less open saw the disk, then one edit
    signature = current(tmp_path / "memory.db", "python:greet.py:greet", "signature")
    assert signature == [('greet(name, mark="😀世界", loud=False' + ", x" * 10 + ")", "edit")]
    await session.shutdown()
    assert session.closed and not logged


class MemoryThread(NamedTuple):
    """The memory thread without a session, on a sample workspace and an empty memory: what it
    logged, and each time it said it recorded something."""

    root: Path
    store_file: Path
    recorder: Recorder
    logged: list[tuple[str, str]]
    recorded: list[int]


def memory_thread(tmp_path: Path) -> MemoryThread:
    root = make_workspace(tmp_path / "ws").resolve()
    store_file = tmp_path / "memory.db"
    Store(store_file).close()
    logged: list[tuple[str, str]] = []
    recorded: list[int] = []
    recorder = Recorder(
        root,
        store_file,
        Settings(max_file_bytes=1_000_000),
        0.05,
        lambda *line: logged.append(line),
        wanted=lambda doc: True,
        on_recorded=lambda: recorded.append(1),
    )
    return MemoryThread(root, store_file, recorder, logged, recorded)


async def test_a_save_is_kept_when_the_daemon_records_the_older_disk_meanwhile(tmp_path, monkeypatch):
    """The race the two-servers-and-a-daemon test met once: the memory held the buffer's
    edit; the daemon, looking at the disk before the save, recorded the older bytes between
    the save's comparison and its write. The save found its bytes held, refreshed the file's
    stat only, and so stamped the daemon's older content with the saved file's stat: the
    saved function was gone from the memory, and no later look read the file again."""
    from kairos_lsp.documents import Documents

    root, store_file, recorder, logged, _ = memory_thread(tmp_path)
    rel = "src/text.py"
    disk = root / rel
    doc = Documents(root).open(disk.as_uri(), TEXT_PY, "python", 1)
    recorder.opened(doc)
    await recorder.flush_all()
    edited = TEXT_PY + "\n\ndef newer():\n    return 1\n"
    doc.update(edited, version=2)
    recorder.edited(doc)
    await recorder.flush(doc.uri)  # the memory holds the unsaved edit

    real_file = Store.file
    armed = [True]

    def daemon_looks_in_between(store: Store, path: str):
        known = real_file(store, path)
        if armed[0] and path == rel:
            armed[0] = False
            saved = disk.stat().st_mtime_ns
            disk.write_text(TEXT_PY, encoding="utf-8")  # what the daemon read before the save
            daemon = Store(store_file)
            try:
                assert scan_paths(root, daemon, [rel], source="daemon").parsed == 1
            finally:
                daemon.close()
            disk.write_text(edited, encoding="utf-8")
            os.utime(disk, ns=(saved, saved))  # the disk as the save left it
        return known

    disk.write_text(edited, encoding="utf-8")
    monkeypatch.setattr(Store, "file", daemon_looks_in_between)
    recorder.saved(doc)
    await recorder.flush_all()
    monkeypatch.undo()
    assert not armed[0] and not logged
    assert current(store_file, "python:src/text.py:newer", "kind") == [("function", "parse")]
    daemon = Store(store_file)  # and the daemon's next look agrees with the disk
    try:
        scan_paths(root, daemon, [rel], source="daemon")
        assert daemon.symbol("python:src/text.py:newer") is not None
    finally:
        daemon.close()
    recorder.close()


async def test_recorder_records_bursts_of_files_changed_on_disk(tmp_path):
    """What the editor's watcher tells (a checkout of many files, a deletion, a .gitignore
    changed): one batch per burst, a big one read in a child process, what the rules skip
    forgotten when a .gitignore changes, and an open buffer with unsaved work still what the
    memory holds of its file after that look at the whole tree."""
    from kairos_lsp.documents import Documents
    from kairos_lsp.scan import CHILD_FROM

    root, store_file, recorder, logged, batches = memory_thread(tmp_path)
    unsaved = Documents(root).open(
        (root / "src/text.py").as_uri(), TEXT_PY + "\n\ndef unsaved():\n    return 1\n", "python", 1
    )
    recorder.edited(unsaved)
    await recorder.flush(unsaved.uri)
    batches.clear()
    buffers = [unsaved]

    def known(prefix: str) -> list[str]:
        store = Store(store_file)
        try:
            return [path for path in store.file_states() if path.startswith(prefix)]
        finally:
            store.close()

    many = CHILD_FROM + 6  # a checkout: more files than a batch reads in-process
    for i in range(many):
        (root / "gen" / f"m{i}.py").parent.mkdir(exist_ok=True)
        (root / "gen" / f"m{i}.py").write_text(f"def made_{i}():\n    return {i}\n")
    recorder.disk_changed([f"gen/m{i}.py" for i in range(many // 2)], buffers)
    recorder.disk_changed([str(root / "gen" / f"m{i}.py") for i in range(many // 2, many)], buffers)  # (absolute)
    assert not recorder.idle
    await asyncio.sleep(0.6)  # the burst's quiet time
    await recorder.flush_all(timeout=60)
    assert len(known("gen/")) == many and len(batches) == 1 and not logged

    for i in range(3):
        (root / "gen" / f"m{i}.py").unlink()
    recorder.disk_changed([f"gen/m{i}.py" for i in range(3)], buffers)
    await asyncio.sleep(0.6)
    await recorder.flush_all()
    assert len(known("gen/")) == many - 3 and len(batches) == 2

    (root / ".gitignore").write_text("gen/\n")
    recorder.disk_changed([".gitignore"], buffers)
    await asyncio.sleep(0.6)
    await recorder.flush_all(timeout=60)
    assert known("gen/") == [] and known("src/") and not logged
    assert current(store_file, "python:src/text.py:unsaved", "kind") == [("function", "edit")]
    recorder.close()


async def test_checks_asked_again_while_one_waits_make_one_check_of_the_newest_text(tmp_path):
    """Keystrokes, a save and what other processes record each ask for a document's checks;
    while the checks thread is busy they queue as one, of the newest text (not 30 checks of
    texts already gone, which a busy memory would pile up)."""
    from kairos_lsp.checker import Checker
    from kairos_lsp.documents import Documents

    root, store_file, recorder, _, _ = memory_thread(tmp_path)
    documents = Documents(root)
    docs = [documents.open((root / rel).as_uri(), TEXT_PY, "python", 1) for rel in ("src/text.py", "src/index.py")]
    recorder.opened(docs[0])
    await recorder.flush_all()
    published: list[tuple[str, bytes]] = []
    checker = Checker(store_file, documents, lambda *line: None, lambda uri, text, _: published.append((uri, text)))
    for version in range(2, 32):
        for doc in docs:
            doc.update(TEXT_PY + f"\n\ndef f{version}():\n    return {version}\n", version=version)
            checker.check(doc)

    def newest_shown() -> bool:
        last = {uri: text for uri, text in published}
        return all(last.get(doc.uri) == doc.text for doc in docs)

    await wait_for(newest_shown, 20, "the newest text of each checked")
    await asyncio.sleep(0.5)  # (nothing more comes)
    assert newest_shown() and len(published) <= 6, [text[-20:] for _, text in published]  # 60 asked for
    checker.close()
    recorder.close()


async def test_recorder_in_process_open_save_and_close(tmp_path):
    """The memory thread without a session: opened and saved buffers that match the disk are a
    ``parse``; an unsaved edit is an ``edit``; closing goes back to the disk."""
    from kairos_lsp.documents import Documents

    root, store_file, recorder, logged, recorded = memory_thread(tmp_path)
    key = "python:src/text.py:split_words"
    doc = Documents(root).open((root / "src/text.py").as_uri(), TEXT_PY, "python", 1)
    recorder.opened(doc)
    await recorder.flush_all()
    assert current(store_file, key, "signature") == [("split_words(text, lower=True)", "parse")]

    doc.update(TEXT_PY.replace("lower=True", "lower=None"), version=2)
    recorder.edited(doc)
    assert not recorder.idle
    await recorder.flush(doc.uri)
    assert current(store_file, key, "signature") == [("split_words(text, lower=None)", "edit")]

    saved = TEXT_PY.replace("lower=True", "lower=False")
    (root / "src/text.py").write_text(saved, encoding="utf-8")
    doc.update(saved, version=3)
    recorder.edited(doc)
    recorder.saved(doc)  # a save drops the pending edit and records what the disk holds
    await recorder.flush_all()
    assert current(store_file, key, "signature") == [("split_words(text, lower=False)", "parse")]

    doc.update(TEXT_PY, version=4)
    recorder.edited(doc)
    await recorder.flush_all()
    recorder.closed_document(doc)
    await recorder.flush_all()
    assert current(store_file, key, "signature") == [("split_words(text, lower=False)", "parse")]
    assert recorder.idle and len(recorded) == 5 and not logged
    assert await recorder.run(lambda store: store.file("src/text.py")["size"]) == len(saved.encode())
    recorder.close()
    recorder.opened(doc)  # after close: nothing happens
    assert recorder.idle
