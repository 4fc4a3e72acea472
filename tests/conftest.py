"""Shared by the server tests: the fixture that starts a real ``python -m kairos_lsp`` over
stdio, the helpers that drive it (initialize, open, change, hover, wait), and a small
sample workspace. Tests import the helpers from here (``from conftest import ...``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from kairos_lsp.store import Store

# The small projects tests/fixtures/reports was captured from: their failing tests are data.
collect_ignore_glob = ["fixtures/*"]

REPO = Path(__file__).resolve().parents[1]
DEBOUNCE_MS = 50


def server_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    env.update(PYTHONPATH=str(REPO), KAIROS_DEBOUNCE_MS=str(DEBOUNCE_MS), PYTHONUNBUFFERED="1")
    return env


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "kairos_lsp"], server_env=server_env())
)
async def client(lsp_client: LanguageClient):
    """A started server; each test initializes it with its own workspace."""
    accept_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()  # a no-op when the test never initialized


def accept_registrations(client: LanguageClient) -> None:
    """The client takes what the server registers (file watchers), as an editor does, and
    keeps it in ``client.registrations``."""
    registrations: list[types.Registration] = []
    client.registrations = registrations  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)


# -- a sample workspace ----------------------------------------------------------------

TEXT_PY = '''"""Text helpers."""

import re


def split_words(text, lower=True):
    """Split text into words.

    Punctuation is dropped; see the tests for examples.
    """
    words = re.findall(r"\\w+", text)
    return [w.lower() for w in words] if lower else words
'''

INDEX_PY = '''"""An index of words."""

from src.text import split_words


class Index:
    """Word counts per document."""

    def add(self, name, text):
        """Count the words of one document."""
        return len(split_words(text))
'''

MONEY_TS = """/** Format cents as a price. */
export function formatPrice(cents: number, currency = "EUR"): string {
  return (cents / 100).toFixed(2) + " " + currency;
}
"""

CART_TS = """import { formatPrice } from "./money";

export class Cart {
  total(cents: number): string {
    return formatPrice(cents);
  }
}
"""

# Emoji (astral: 2 UTF-16 units, 4 bytes) and CJK (1 unit, 3 bytes) before the edited spots,
# and a form feed (a line break for str.splitlines, not for LSP).
GREET_PY = '''# 挨拶 🎉 helpers — ünïcode everywhere 😀
LABEL = "世界 🌍"  # a form feed follows: not a line break for LSP
\f


def greet(name, mark="😀世界", loud=False):
    """Say hello. 👋"""
    return f"{name}{mark}"


print("🎉🎉", greet("x"))
'''


def make_workspace(root: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "src/__init__.py": "",
        "src/text.py": TEXT_PY,
        "src/index.py": INDEX_PY,
        "web/money.ts": MONEY_TS,
        "web/cart.ts": CART_TS,
        "greet.py": GREET_PY,
        **(extra or {}),
    }
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


# -- driving the server ---------------------------------------------------------------


async def initialize(
    client: LanguageClient,
    root: Path | None,
    options: dict | None = None,
    store: Path | None = None,
    editor: str = "visual-studio-code",
):
    if options is None:
        options = {"storePath": str(store)} if store else {}
    return await asyncio.wait_for(
        client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities(editor),
                root_uri=root.as_uri() if root else None,
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")] if root else None,
                initialization_options=options,
            )
        ),
        20,
    )


async def wait_for(condition, timeout: float = 15.0, what: str = "condition"):
    """Poll ``condition`` (sync or async) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def progress_kinds(client: LanguageClient) -> list[str]:
    return [value.kind for values in client.progress_reports.values() for value in values]


async def scan_done(client: LanguageClient, timeout: float = 30.0):
    await wait_for(lambda: "end" in progress_kinds(client), timeout, "the scan's progress end")


def open_doc(
    client: LanguageClient, root: Path, rel: str, language: str, text: str | None = None, version: int = 1
) -> str:
    path = root / rel
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id=language,
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


async def hover(client: LanguageClient, uri: str, line: int, character: int) -> str | None:
    result = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        ),
        15,
    )
    return None if result is None else result.contents.value


def u16(text: str) -> int:
    """Length in UTF-16 code units, as LSP columns count by default."""
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The UTF-16 LSP position of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return types.Position(line=line, character=u16(text[start:index]))


def change(
    client: LanguageClient, uri: str, version: int, start: types.Position, end: types.Position, new_text: str
) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new_text)
            ],
        )
    )


def current(store_file: Path, key: str, predicate: str) -> list[tuple[str, str]]:
    """(value, source) of what the store currently holds for a symbol's predicate."""
    store = Store(store_file)
    try:
        return [(row["object"], row["source"]) for row in store.current(key) if row["predicate"] == predicate]
    finally:
        store.close()
