"""Diagnostics and code actions end to end: a real server over stdio, real edits.

One story per language: a library changes (a signature grows, a function is
renamed, another deleted, a docstring left behind) while a caller is open.
Each kairos diagnostic must appear where it should; applying the returned
fix must give code that parses and clears the diagnostic.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest
import pytest_lsp
from conftest import initialize, open_doc, scan_done, server_env, wait_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from workspaces import lower_inotify_limit, write

from kairos_lsp import watch
from kairos_lsp.extract import parse
from kairos_lsp.store import Store


@dataclass
class Story:
    language: str
    lib: str
    app: str
    lib_before: str
    lib_after: str
    app_text: str
    app_without_missing: str  # the caller once the user removed the deleted function's use
    new_name: str
    price_key: str


PY = Story(
    language="python",
    lib="lib/prices.py",
    app="app.py",
    lib_before='''"""Prices."""


def price(item, qty):
    """Price of an order line.

    Args:
        item: what is sold.
        qty: how many.
    """
    return item.cost * qty


def old_name(x):
    return x * 2 + 1


def legacy_discount(x):
    return x * 0.9
''',
    lib_after='''"""Prices."""


def price(item, qty, currency):
    """Price of an order line.

    Args:
        item: what is sold.
        qty: how many.
    """
    return item.cost * qty * currency.rate


def new_name(x):
    return x * 2 + 1
''',
    app_text="""from lib.prices import price, old_name, legacy_discount


def checkout(item):
    total = price(item, 2)
    return old_name(total) + legacy_discount(total)
""",
    app_without_missing="""from lib.prices import price, old_name


def checkout(item):
    total = price(item, 2)
    return old_name(total)
""",
    new_name="new_name",
    price_key="python:lib/prices.py:price",
)

TS = Story(
    language="typescript",
    lib="web/prices.ts",
    app="web/app.ts",
    lib_before="""/**
 * Price of an order line.
 * @param item what is sold
 * @param qty how many
 */
export function price(item: { cost: number }, qty: number): number {
  return item.cost * qty;
}

export function oldName(x: number): number {
  return x * 2 + 1;
}

export function legacyDiscount(x: number): number {
  return x * 0.9;
}
""",
    lib_after="""/**
 * Price of an order line.
 * @param item what is sold
 * @param qty how many
 */
export function price(item: { cost: number }, qty: number, currency: { rate: number }): number {
  return item.cost * qty * currency.rate;
}

export function newName(x: number): number {
  return x * 2 + 1;
}
""",
    app_text="""import { price, oldName, legacyDiscount } from "./prices";

export function checkout(item: { cost: number }): number {
  const total = price(item, 2);
  return oldName(total) + legacyDiscount(total);
}
""",
    app_without_missing="""import { price, oldName } from "./prices";

export function checkout(item: { cost: number }): number {
  const total = price(item, 2);
  return oldName(total);
}
""",
    new_name="newName",
    price_key="typescript:web/prices.ts:price",
)


GO = Story(
    language="go",
    lib="shop/prices.go",
    app="shop/checkout.go",
    lib_before="package shop\n\n// Price of an order line.\nfunc Price(qty int) int {\n\treturn qty * 2\n}\n\n"
    "func OldName(x int) int {\n\treturn x*2 + 1\n}\n\nfunc LegacyDiscount(x int) int {\n\treturn x * 9 / 10\n}\n",
    lib_after="package shop\n\n// Price of an order line.\n"
    "func Price(qty int, rate int) int {\n\treturn qty * rate\n}\n\n"
    "func NewName(x int) int {\n\treturn x*2 + 1\n}\n",
    app_text="package shop\n\nfunc Checkout() int {\n\ttotal := Price(2)\n"
    "\treturn OldName(total) + LegacyDiscount(total)\n}\n",
    app_without_missing="package shop\n\nfunc Checkout() int {\n\ttotal := Price(2)\n\treturn OldName(total)\n}\n",
    new_name="NewName",
    price_key="go:shop/prices.go:Price",
)

JAVA = Story(
    language="java",
    lib="src/shop/Prices.java",
    app="src/shop/Checkout.java",
    lib_before="package shop;\n\npublic class Prices {\n    /** Price of an order line. */\n"
    "    public static int price(int qty) {\n        return qty * 2;\n    }\n\n"
    "    public static int oldName(int x) {\n        return x * 2 + 1;\n    }\n\n"
    "    public static int legacyDiscount(int x) {\n        return x * 9 / 10;\n    }\n}\n",
    lib_after="package shop;\n\npublic class Prices {\n    /** Price of an order line. */\n"
    "    public static int price(int qty, int rate) {\n        return qty * rate;\n    }\n\n"
    "    public static int newName(int x) {\n        return x * 2 + 1;\n    }\n}\n",
    app_text="package shop;\n\nclass Checkout {\n    int checkout() {\n        int total = Prices.price(2);\n"
    "        return Prices.oldName(total) + Prices.legacyDiscount(total);\n    }\n}\n",
    app_without_missing="package shop;\n\nclass Checkout {\n    int checkout() {\n"
    "        int total = Prices.price(2);\n        return Prices.oldName(total);\n    }\n}\n",
    new_name="newName",
    price_key="java:src/shop/Prices.java:Prices.price",
)


# -- helpers ------------------------------------------------------------------------


def kairos(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.source == "kairos"]


def codes(client: LanguageClient, uri: str) -> list[str]:
    return sorted(d.code for d in kairos(client, uri))


async def command(client: LanguageClient, name: str, *arguments):
    return await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=list(arguments))), 30
    )


async def actions_for(client: LanguageClient, uri: str, diagnostic: types.Diagnostic):
    return (
        await asyncio.wait_for(
            client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=diagnostic.range,
                    context=types.CodeActionContext(diagnostics=[diagnostic]),
                )
            ),
            15,
        )
        or []
    )


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text: UTF-16 columns are character columns)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def at(pos: types.Position) -> int:
        return offsets[pos.line] + pos.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: at(edit.range.start)] + edit.new_text + text[at(edit.range.end) :]
    return text


class Buffer:
    """An open document the test edits like a user: change, write to disk, save."""

    def __init__(self, client: LanguageClient, root, rel: str, language: str):
        self.client, self.path, self.language = client, root / rel, language
        self.text = self.path.read_text()
        self.version = 1
        self.uri = open_doc(client, root, rel, language)

    def type(self, text: str) -> None:
        """The buffer's text becomes ``text``, unsaved."""
        self.version += 1
        self.text = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def save(self, text: str) -> None:
        self.type(text)
        self.path.write_text(text)
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )

    def close(self) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )

    async def fix(self, diagnostic: types.Diagnostic, title_part: str) -> str:
        """Apply the code action whose title holds ``title_part``; returns the new text."""
        actions = await actions_for(self.client, self.uri, diagnostic)
        chosen = [a for a in actions if getattr(a, "edit", None) is not None and title_part in a.title]
        assert chosen, f"no fix {title_part!r} among {[a.title for a in actions]}"
        fixed = apply(self.text, chosen[0].edit.changes[self.uri])
        tree = parse(fixed.encode(), self.language)
        assert not tree.root_node.has_error, f"the fix does not parse:\n{fixed}"
        self.save(fixed)
        return fixed


async def start(
    client: LanguageClient, tmp_path, story: Story, idle_seconds: float = 3600, editor: str = "visual-studio-code"
):
    root = tmp_path / "ws"
    for rel, text in {story.lib: story.lib_before, story.app: story.app_text, "lib/__init__.py": ""}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    store_file = tmp_path / "memory.db"
    options = {"storePath": str(store_file), "dream": {"idleSeconds": idle_seconds}}
    await initialize(client, root, options, editor=editor)
    await scan_done(client)
    await command(client, "kairos.dreamNow")
    return root, store_file


def symbols_named(store_file, name: str) -> int:
    """How many symbols of that name the memory holds."""
    store = Store(store_file)
    try:
        return len(store.symbols_named(name))
    finally:
        store.close()


def one(client: LanguageClient, uri: str, code: str, line_text: str, text: str) -> types.Diagnostic:
    """The kairos diagnostic ``code`` on the line of ``text`` holding ``line_text``."""
    line = next(i for i, t in enumerate(text.split("\n")) if line_text in t)
    found = [d for d in kairos(client, uri) if d.code == code and d.range.start.line == line]
    assert found, f"no {code} on line {line}: {[(d.code, d.range.start.line) for d in kairos(client, uri)]}"
    return found[0]


async def callers_warned(client: LanguageClient, app: Buffer) -> None:
    """Until the caller shows what the library's change (``lib_after``) makes of it."""
    expected = ["missing-symbol", "missing-symbol", "renamed-symbol", "renamed-symbol", "stale-call"]
    await wait_for(
        lambda: codes(client, app.uri) == expected, what=f"the caller's diagnostics, got {codes(client, app.uri)}"
    )


# -- the stories -------------------------------------------------------------------------


@pytest.mark.parametrize("story", [PY, TS], ids=["python", "typescript"])
async def test_a_library_changed_on_disk_outside_the_editor_shows_in_its_open_callers(
    client: LanguageClient, tmp_path, story: Story
):
    """A pull (a checkout, a generator) rewrites the library, which is not open: the editor's
    watcher tells the server, which records it, so the open caller is warned without being
    touched; the library's folder deleted, the memory forgets what it held."""
    root, store_file = await start(client, tmp_path, story)
    watchers = [  # (as JSON: the registration's options have no type of their own)
        watcher["globPattern"]
        for registration in client.registrations  # type: ignore[attr-defined]
        if registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for watcher in registration.register_options["watchers"]
    ]
    assert any(story.lib.rsplit(".", 1)[1] + "," in str(glob) for glob in watchers), watchers
    status = await command(client, "kairos.status")
    assert status["disk"] == "followed: the editor tells of files changed on disk"
    app = Buffer(client, root, story.app, story.language)
    await asyncio.sleep(0.3)
    assert codes(client, app.uri) == []

    def told(path, change: types.FileChangeType) -> None:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=change)])
        )

    # An unsaved edit of the open caller: its buffer, not its file, is what the memory holds.
    unsaved = "unsavedHelper" if story.language == "typescript" else "unsaved_helper"
    app.type(
        app.text
        + (
            f"\n\nexport function {unsaved}(): number {{\n  return 1;\n}}\n"
            if story.language == "typescript"
            else f"\n\ndef {unsaved}():\n    return 1\n"
        )
    )
    await wait_for(lambda: symbols_named(store_file, unsaved) == 1, what="the unsaved edit recorded")

    (root / story.lib).write_text(story.lib_after)
    told(root / story.lib, types.FileChangeType.Changed)
    (root / story.app).touch()
    told(root / story.app, types.FileChangeType.Changed)  # (an open buffer's file: the buffer's)
    await wait_for(lambda: symbols_named(store_file, story.new_name) == 1, what="the library's new text recorded")
    assert symbols_named(store_file, unsaved) == 1
    await command(client, "kairos.dreamNow")
    await callers_warned(client, app)

    gone = (root / story.lib).parent
    if gone == (root / story.app).parent:
        gone = root / story.lib
        gone.unlink()
    else:
        shutil.rmtree(gone)  # one event, for the folder (as VS Code tells a folder deleted)
    told(gone, types.FileChangeType.Deleted)
    await wait_for(lambda: symbols_named(store_file, story.new_name) == 0, what="the deleted folder's files forgotten")


async def test_an_editor_that_does_not_watch_files_has_the_server_watch_them(client: LanguageClient, tmp_path):
    """Neovim on Linux (as pytest-lsp captured its capabilities) does not watch files for its
    servers: the server watches the workspace itself. A library rewritten on disk warns its
    open caller with nothing told; a package made at the top of the tree, or moved in whole,
    is read; a folder deleted is forgotten; an unsaved buffer stays the buffer's."""
    root, store_file = await start(client, tmp_path, PY, editor="neovim")
    assert not client.registrations  # type: ignore[attr-defined]
    status = await command(client, "kairos.status")
    assert status["disk"].startswith("followed: the server watches the workspace"), status["disk"]
    app = Buffer(client, root, PY.app, PY.language)
    await asyncio.sleep(0.3)
    assert codes(client, app.uri) == []

    app.type(app.text + "\n\ndef unsaved_helper():\n    return 1\n")
    await wait_for(lambda: symbols_named(store_file, "unsaved_helper") == 1, what="the unsaved edit recorded")

    (root / PY.lib).write_text(PY.lib_after)  # nothing told: the server sees it
    (root / PY.app).touch()  # (an open buffer's file: the buffer's)
    await wait_for(lambda: symbols_named(store_file, PY.new_name) == 1, what="the library's new text recorded")
    assert symbols_named(store_file, "unsaved_helper") == 1
    await command(client, "kairos.dreamNow")
    await callers_warned(client, app)

    (root / "tools").mkdir()  # a new top-level folder, then a file in it
    (root / "tools" / "made.py").write_text("def made_in_a_new_folder():\n    return 1\n")
    outside = tmp_path / "outside" / "vendored"
    outside.mkdir(parents=True)
    (outside / "moved.py").write_text("def moved_in_whole():\n    return 2\n")
    outside.rename(root / "lib" / "vendored")  # a tree moved in: one event, for its folder
    await wait_for(
        lambda: symbols_named(store_file, "made_in_a_new_folder") == 1, what="the new top-level folder's file read"
    )
    await wait_for(lambda: symbols_named(store_file, "moved_in_whole") == 1, what="the folder moved in read")
    (root / "tools" / "later.py").write_text("def written_later():\n    return 3\n")  # the new folder is watched
    await wait_for(
        lambda: symbols_named(store_file, "written_later") == 1, what="a file written later in the new folder read"
    )

    shutil.rmtree(root / "lib")
    await wait_for(lambda: symbols_named(store_file, PY.new_name) == 0, what="the deleted folder's files forgotten")
    assert symbols_named(store_file, "moved_in_whole") == 0 and symbols_named(store_file, "made_in_a_new_folder") == 1


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "kairos_lsp"], server_env={**server_env(), "KAIROS_LOOK_SECONDS": "2"}
    )
)
async def looking_client(lsp_client: LanguageClient):
    """A server that, past inotify's limit, looks at the whole tree every 2 s (not 120)."""
    yield
    await lsp_client.shutdown_session()


async def test_past_the_systems_limit_of_watches_the_server_says_so_once_and_still_records_every_write(
    looking_client: LanguageClient, tmp_path
):
    """More folders than inotify may still watch: the server's watcher watches what it can,
    the log says so once, with the sysctl that lifts the limit, and looks at the whole tree
    now and then (as the daemon does), so a write where no watch is still reaches the
    memory; once the limit is raised, every folder is watched again."""
    client = looking_client
    root, store_file = tmp_path / "ws", tmp_path / "memory.db"
    write(root, {PY.lib: PY.lib_before, PY.app: PY.app_text, "lib/__init__.py": ""})
    for i in range(40):
        for j in range(30):
            (root / f"vendor/p{i}/sub{j}").mkdir(parents=True)
    before = lower_inotify_limit(300)  # the tree has 1,244 folders
    try:
        await initialize(client, root, {"storePath": str(store_file)}, editor="neovim")
        await scan_done(client)
        await wait_for(
            lambda: any("max_user_watches" in m.message for m in client.log_messages), what="the line about the limit"
        )
        lines = [m.message for m in client.log_messages if "max_user_watches" in m.message]
        assert len(lines) == 1 and "not every folder can be watched" in lines[0], lines
        assert "every 2 s" in lines[0] and "sudo sysctl fs.inotify.max_user_watches=" in lines[0]
        later = {
            f"vendor/p{i}/sub{j}/late.py": f"def late_{i}_{j}():\n    return 1\n"
            for i, j in ((0, 0), (20, 15), (39, 29))
        }
        write(root, later)
        for i, j in ((0, 0), (20, 15), (39, 29)):
            await wait_for(
                lambda i=i, j=j: symbols_named(store_file, f"late_{i}_{j}") == 1, what=f"late_{i}_{j} recorded"
            )
    finally:
        watch.INOTIFY_LIMIT.write_text(before)
    await wait_for(
        lambda: any("every folder is watched again" in m.message for m in client.log_messages),
        what="every folder watched once the limit rose",
    )
    assert len([m for m in client.log_messages if "max_user_watches" in m.message]) == 1


async def test_the_servers_watcher_takes_no_watches_for_ignored_folders_even_made_later(
    client: LanguageClient, tmp_path
):
    """A monorepo's ``packages/*/node_modules`` (ignored, thousands of folders): the server's
    watcher watches none of them, neither those there at the start nor one ``npm install``
    makes later (each folder watched takes one of the user's inotify watches), and a source
    file written next to them still reaches the memory."""
    root, store_file = tmp_path / "ws", tmp_path / "memory.db"
    write(root, {".gitignore": "node_modules/\n", "packages/a/src/a.py": "def a():\n    return 1\n"})
    write(root, {"packages/b/src/b.py": "def b():\n    return 2\n"})

    def modules(package: str) -> None:  # 20 x 10 folders, as an installed package tree has
        for i in range(20):
            for j in range(10):
                (root / f"packages/{package}/node_modules/m{i}/d{j}").mkdir(parents=True)

    modules("a")
    await initialize(client, root, {"storePath": str(store_file)}, editor="neovim")
    await scan_done(client)
    pid = client._server.pid  # type: ignore[union-attr]

    def watches() -> int:
        return watch.inotify_watches(pid) or 0

    def sources_folders() -> int:  # every folder but those in node_modules (the root too)
        return sum(1 for top, _, _ in os.walk(root) if "node_modules" not in top)

    assert sum(1 for _ in os.walk(root)) > sources_folders() + 200
    await wait_for(lambda: 0 < watches() <= sources_folders(), what=f"ignored folders not watched ({watches()})")

    modules("b")  # npm install in the other package, while the server watches
    await asyncio.sleep(0.5)
    (root / "packages/b/src/later.py").write_text("def written_after_the_install():\n    return 3\n")
    await wait_for(lambda: symbols_named(store_file, "written_after_the_install") == 1, what="the source file recorded")
    await wait_for(lambda: 0 < watches() <= sources_folders(), what=f"the new node_modules not watched ({watches()})")


@pytest.mark.parametrize("story", [PY, TS], ids=["python", "typescript"])
async def test_a_library_change_shows_in_its_callers_and_each_fix_clears_it(
    client: LanguageClient, tmp_path, story: Story
):
    root, _ = await start(client, tmp_path, story)
    app = Buffer(client, root, story.app, story.language)
    lib = Buffer(client, root, story.lib, story.language)
    await asyncio.sleep(0.3)
    assert codes(client, app.uri) == [] and codes(client, lib.uri) == []

    lib.save(story.lib_after)
    await command(client, "kairos.dreamNow")
    await callers_warned(client, app)
    await wait_for(lambda: codes(client, lib.uri) == ["docstring-drift"], what="docstring drift")

    stale = one(client, app.uri, "stale-call", "price(item, 2)", app.text)
    assert "currency" in stale.message and stale.severity == types.DiagnosticSeverity.Warning
    old = "old_name" if story.language == "python" else "oldName"
    renamed = one(client, app.uri, "renamed-symbol", f"{old}(total)", app.text)
    assert story.new_name in renamed.message
    missing = one(
        client,
        app.uri,
        "missing-symbol",
        "Discount(total)" if story.language != "python" else "legacy_discount(total)",
        app.text,
    )
    assert "no longer exists" in missing.message
    drift = kairos(client, lib.uri)[0]
    assert "currency" in drift.message

    # The user removes the use of the deleted function: missing-symbol clears.
    app.save(story.app_without_missing)
    await wait_for(
        lambda: codes(client, app.uri) == ["renamed-symbol", "renamed-symbol", "stale-call"],
        what=f"missing-symbol cleared, got {codes(client, app.uri)}",
    )

    # Each fix in turn: the edit parses and its diagnostic goes away.
    fixed = await app.fix(one(client, app.uri, "renamed-symbol", f"{old}(total)", app.text), "new name")
    assert old not in fixed and fixed.count(story.new_name) == 2
    await wait_for(lambda: codes(client, app.uri) == ["stale-call"], what=f"rename fixed, got {codes(client, app.uri)}")

    fixed = await app.fix(one(client, app.uri, "stale-call", "price(item, 2", app.text), "missing argument")
    assert "currency" in fixed
    await wait_for(lambda: codes(client, app.uri) == [], what=f"stale call fixed, got {codes(client, app.uri)}")

    fixed = await lib.fix(kairos(client, lib.uri)[0], "documentation")
    assert "currency" in fixed.split("*/")[0] if story.language != "python" else "currency:" in fixed
    await wait_for(lambda: codes(client, lib.uri) == [], what=f"docstring fixed, got {codes(client, lib.uri)}")


# What the Go and Java stories' caller writes: the stale call, the renamed and the missing
# name's lines, and the lines their fixes make.
PACKAGE_LINES = {
    "go": ("Price(2)", "OldName(total)", "LegacyDiscount", "return NewName(total)", "Price(2, rate)", "`Price` gained"),
    "java": (
        "Prices.price(2)",
        "Prices.oldName(total)",
        "Prices.legacyDiscount",
        "return Prices.newName(total);",
        "Prices.price(2, rate)",
        "`price` gained",
    ),
}


@pytest.mark.parametrize("story", [GO, JAVA], ids=lambda story: story.language)
async def test_a_package_change_shows_in_the_callers_of_its_other_files_and_each_fix_clears_it(
    client: LanguageClient, tmp_path, story: Story
):
    """Go and Java: the caller is another file of the package (no import names what it calls)."""
    stale_line, renamed_line, missing_line, renamed_fixed, stale_fixed, gained = PACKAGE_LINES[story.language]
    root, _ = await start(client, tmp_path, story)
    app = Buffer(client, root, story.app, story.language)
    lib = Buffer(client, root, story.lib, story.language)
    await asyncio.sleep(0.3)
    assert codes(client, app.uri) == [] and codes(client, lib.uri) == []

    lib.save(story.lib_after)
    await command(client, "kairos.dreamNow")
    expected = ["missing-symbol", "renamed-symbol", "stale-call"]
    await wait_for(lambda: codes(client, app.uri) == expected, what=f"the caller's, got {codes(client, app.uri)}")
    assert f"{gained} `rate`" in one(client, app.uri, "stale-call", stale_line, app.text).message
    assert story.new_name in one(client, app.uri, "renamed-symbol", renamed_line, app.text).message
    assert "no longer exists" in one(client, app.uri, "missing-symbol", missing_line, app.text).message

    app.save(story.app_without_missing)
    await wait_for(lambda: codes(client, app.uri) == ["renamed-symbol", "stale-call"], what="missing-symbol cleared")
    fixed = await app.fix(one(client, app.uri, "renamed-symbol", renamed_line, app.text), "new name")
    assert renamed_fixed in fixed
    fixed = await app.fix(one(client, app.uri, "stale-call", stale_line, app.text), "missing argument")
    assert stale_fixed in fixed  # (the parameter's name, for the user to give a value)
    await wait_for(lambda: codes(client, app.uri) == [], what=f"fixed, got {codes(client, app.uri)}")


async def test_what_other_processes_record_reaches_the_open_editor_by_itself(client: LanguageClient, tmp_path):
    """Nothing typed, nothing saved: a test run in the terminal (``kairos run``, the pytest
    plugin) and a ``kairos scan`` after a pull, each in a process of its own, show in the open
    files within seconds, the scan's news dreamed over once the user is idle."""
    root, store_file = await start(client, tmp_path, PY, idle_seconds=1)
    app = Buffer(client, root, PY.app, PY.language)
    lib = Buffer(client, root, PY.lib, PY.language)
    await asyncio.sleep(0.3)
    assert codes(client, app.uri) == [] and codes(client, lib.uri) == []
    recorded = subprocess.run(
        [sys.executable, "-c", RECORD_FAILURE, str(store_file), PY.price_key],
        capture_output=True,
        text=True,
        check=False,
    )
    assert recorded.returncode == 0, recorded.stderr
    await wait_for(
        lambda: codes(client, lib.uri) == ["recent-failure"], what=f"recent-failure, got {codes(client, lib.uri)}"
    )

    lib.close()
    (root / PY.lib).write_text(PY.lib_after)  # a pull, then a scan in the terminal
    scanned = subprocess.run(
        [sys.executable, "-m", "kairos_lsp.cli", "scan", "-q", "--store", str(store_file), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert scanned.returncode == 0, scanned.stderr
    await callers_warned(client, app)


RECORD_FAILURE = """
import sys
from kairos_lsp.store import Store
with Store(sys.argv[1]) as store:
    store.record_outcomes([(sys.argv[2], True, "test_price: AssertionError: 4 != 5")])
"""


@pytest.mark.parametrize("story", [PY, TS], ids=["python", "typescript"])
async def test_a_failed_test_shows_until_it_passes_again(client: LanguageClient, tmp_path, story: Story):
    root, store_file = await start(client, tmp_path, story)
    lib = Buffer(client, root, story.lib, story.language)
    await asyncio.sleep(0.3)
    store = Store(store_file)
    try:
        store.record_outcomes([(story.price_key, True, "test_price: AssertionError: 4 != 5")])
        await command(client, "kairos.dreamNow")
        await wait_for(lambda: codes(client, lib.uri) == ["recent-failure"], what="recent-failure")
        failure = kairos(client, lib.uri)[0]
        assert failure.severity == types.DiagnosticSeverity.Information
        assert "AssertionError: 4 != 5" in failure.message
        assert lib.text.split("\n")[failure.range.start.line].find("price") >= 0

        store.record_outcomes([(story.price_key, False, "test_price passed")])
        await command(client, "kairos.dreamNow")
        await wait_for(lambda: codes(client, lib.uri) == [], what="the failure cleared")
    finally:
        store.close()


SHRINK = {
    "python": (
        "lib/shapes.py",
        "app.py",
        "def scale(x, factor):\n    return x * factor\n\n\ndef fmt(value, unit):\n    return f'{value}{unit}'\n",
        "def scale(x):\n    return x * 2\n\n\ndef fmt(value, units):\n    return f'{value}{units}'\n",
        "from lib.shapes import scale, fmt\n\nsize = scale(1, 2)\nlabel = fmt(size, unit='m')\n",
    ),
    "typescript": (
        "web/shapes.ts",
        "web/app.ts",
        "export function scale(x: number, factor: number): number {\n  return x * factor;\n}\n",
        "export function scale(x: number): number {\n  return x * 2;\n}\n",
        'import { scale } from "./shapes";\n\nexport const size = scale(1, 2);\n',
    ),
}


@pytest.mark.parametrize("language", ["python", "typescript"])
async def test_extra_arguments_and_renamed_keywords_are_fixed(client: LanguageClient, tmp_path, language):
    lib_rel, app_rel, before, after, app_text = SHRINK[language]
    root = tmp_path / "ws"
    for rel, text in {lib_rel: before, app_rel: app_text, "lib/__init__.py": ""}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    await initialize(client, root, {"storePath": str(tmp_path / "memory.db"), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    app = Buffer(client, root, app_rel, language)
    lib = Buffer(client, root, lib_rel, language)
    lib.save(after)
    expected = ["stale-call", "stale-call"] if language == "python" else ["stale-call"]
    await wait_for(lambda: codes(client, app.uri) == expected, what=f"stale calls, got {codes(client, app.uri)}")

    fixed = await app.fix(one(client, app.uri, "stale-call", "scale(1, 2)", app.text), "Remove 1 extra argument")
    assert "scale(1)" in fixed
    if language == "python":
        await wait_for(lambda: codes(client, app.uri) == ["stale-call"], what="the extra argument removed")
        keyword = one(client, app.uri, "stale-call", "fmt(size", app.text)
        assert "`unit=`" in keyword.message and "`units`" in keyword.message
        fixed = await app.fix(keyword, "Rename keyword")
        assert "fmt(size, units='m')" in fixed
    await wait_for(lambda: codes(client, app.uri) == [], what=f"all fixed, got {codes(client, app.uri)}")


MOVE = {
    "python": (
        "geo/old.py",
        "geo/shapes.py",
        "app.py",
        "def area(r):\n    return 3.14 * r * r\n",
        "from geo.old import area\n\nprint(area(2))\n",
        "from geo.shapes import area",
    ),
    "typescript": (
        "web/old.ts",
        "web/geo/shapes.ts",
        "web/app.ts",
        "export function area(r: number): number {\n  return 3.14 * r * r;\n}\n",
        'import { area } from "./old";\n\nexport const a = area(2);\n',
        'import { area } from "./geo/shapes";',
    ),
}


@pytest.mark.parametrize("language", ["python", "typescript"])
async def test_a_moved_function_is_imported_from_its_new_place(client: LanguageClient, tmp_path, language):
    old_rel, new_rel, app_rel, body, app_text, expected = MOVE[language]
    root = tmp_path / "ws"
    for rel, text in {old_rel: body, app_rel: app_text, "geo/__init__.py": ""}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    await initialize(client, root, {"storePath": str(tmp_path / "memory.db"), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    await command(client, "kairos.dreamNow")
    app = Buffer(client, root, app_rel, language)
    old = Buffer(client, root, old_rel, language)
    (root / new_rel).parent.mkdir(parents=True, exist_ok=True)
    (root / new_rel).write_text("")  # a new file, opened and filled like an editor would
    Buffer(client, root, new_rel, language).save(body)
    old.save("")
    await command(client, "kairos.dreamNow")
    # The import is stale; the call through it is right again once the import is fixed.
    await wait_for(lambda: codes(client, app.uri) == ["renamed-symbol"], what="the move")
    moved = one(client, app.uri, "renamed-symbol", "import", app.text)
    assert f"moved to `{new_rel}`" in moved.message
    fixed = await app.fix(moved, "from its new place")
    assert fixed.split("\n")[0] == expected
    await wait_for(lambda: codes(client, app.uri) == [], what=f"the import fixed, got {codes(client, app.uri)}")


async def test_a_dropped_keyword_and_a_shifted_argument_are_fixed_in_the_editor(client: LanguageClient, tmp_path):
    """The runner drops `mix_stderr`, `make` gains `workspace` ahead of `source`: each call that predates
    the change is flagged on its argument list, and each quick fix gives code that clears it."""
    root = tmp_path / "ws"
    files = {
        "lib/__init__.py": "",
        "lib/api.py": "def run(cmd, mix_stderr=True):\n    return cmd\n\n\n"
        "def make(uri, source=None):\n    return uri\n",
        "app.py": "from lib.api import make, run\n\nout = run('ls', mix_stderr=False)\ndoc = make('u', 'text')\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    await initialize(client, root, {"storePath": str(tmp_path / "memory.db"), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    app = Buffer(client, root, "app.py", "python")
    Buffer(client, root, "lib/api.py", "python").save(
        "def run(cmd):\n    return cmd\n\n\ndef make(uri, workspace=None, source=None):\n    return uri\n"
    )
    await wait_for(lambda: codes(client, app.uri) == ["stale-call", "stale-call"], what="both calls flagged")

    dropped = one(client, app.uri, "stale-call", "run('ls'", app.text)
    assert "`run` lost `mix_stderr`" in dropped.message and "`mix_stderr=` which it no longer takes" in dropped.message
    assert app.text.split("\n")[dropped.range.start.line][dropped.range.start.character :].startswith("('ls'")
    assert "run('ls')\n" in await app.fix(dropped, "Remove `mix_stderr=`")
    await wait_for(lambda: codes(client, app.uri) == ["stale-call"], what="the keyword removed")

    shifted = one(client, app.uri, "stale-call", "make('u'", app.text)
    assert "argument 2 now lands on `workspace`, not `source`" in shifted.message
    assert "make('u', source='text')" in await app.fix(shifted, "by name")
    await wait_for(lambda: codes(client, app.uri) == [], what=f"all fixed, got {codes(client, app.uri)}")


async def test_a_function_the_library_deprecates_is_struck_through_in_its_callers(client: LanguageClient, tmp_path):
    """The library's author adds a DeprecationWarning to `legacy_discount` and saves: the open
    caller's use of it shows as deprecated (information, struck through by the editor), with
    the warning's own words; the caller moved off it, the diagnostic goes."""
    root, _ = await start(client, tmp_path, PY)
    app = Buffer(client, root, PY.app, PY.language)
    lib = Buffer(client, root, PY.lib, PY.language)
    await asyncio.sleep(0.3)
    assert codes(client, app.uri) == []

    warned = (
        "    import warnings\n\n"
        "    warnings.warn(\"'legacy_discount' is deprecated; use discount\", DeprecationWarning)\n"
    )
    lib.save(PY.lib_before.replace("def legacy_discount(x):\n", "def legacy_discount(x):\n" + warned))
    await command(client, "kairos.dreamNow")
    await wait_for(
        lambda: codes(client, app.uri) == ["deprecated-symbol", "deprecated-symbol"],
        what=f"the caller's diagnostics, got {codes(client, app.uri)}",
    )
    use = one(client, app.uri, "deprecated-symbol", "legacy_discount(total)", app.text)
    assert use.severity == types.DiagnosticSeverity.Information
    assert list(use.tags or ()) == [types.DiagnosticTag.Deprecated]
    assert use.message.endswith("'legacy_discount' is deprecated; use discount")
    assert app.text.split("\n")[use.range.start.line][use.range.start.character : use.range.end.character] == (
        "legacy_discount"
    )

    app.save(PY.app_without_missing)
    await wait_for(lambda: codes(client, app.uri) == [], what=f"the use removed, got {codes(client, app.uri)}")
