"""An editor for the benchmarks: the real server over stdio, driven by pygls' client with the
capabilities VS Code sends (it watches files for the servers that ask), its diagnostics kept
as they come::

    editor = await Editor.start(root, {"dream": {"idleSeconds": 3600}})
    await editor.scanned_and_dreamed()
    editor.open("src/app.py")
    ...
    await editor.stop()
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

from kairos_lsp.languages import language_for_path

REPO = Path(__file__).resolve().parents[1]


class Editor:
    def __init__(self, root: Path, client: LanguageClient):
        self.root = root
        self.client = client
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}  # kairos' own, by uri
        self.heard = time.monotonic()  # when diagnostics last came
        self.versions: dict[str, int] = {}

    @classmethod
    async def start(cls, root: Path, options: dict[str, Any], editor_name: str = "visual-studio-code") -> Editor:
        """The real server over stdio, sent the capabilities ``editor_name`` sends (as pytest-lsp
        captured them: "visual-studio-code" watches files for servers, "neovim" does not)."""
        client = LanguageClient("kairos-bench", "1")
        editor = cls(root, client)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            editor.diagnostics[params.uri] = [d for d in params.diagnostics if d.source == "kairos"]
            editor.heard = time.monotonic()

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            pass

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(params: types.WorkDoneProgressCreateParams) -> None:
            pass

        env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        await client.start_io(sys.executable, "-m", "kairos_lsp", env=env, cwd=str(root))
        await client.initialize_async(
            types.InitializeParams(
                capabilities=client_capabilities(editor_name),
                root_uri=root.as_uri(),
                initialization_options=options,
            )
        )
        client.initialized(types.InitializedParams())
        return editor

    async def command(self, name: str) -> Any:
        return await self.client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=[]))

    async def scanned_and_dreamed(self) -> None:
        while (await self.command("kairos.status")).get("scanning"):
            await asyncio.sleep(0.2)
        await self.command("kairos.dreamNow")

    def uri(self, rel: str) -> str:
        return (self.root / rel).as_uri()

    def open(self, rel: str) -> None:
        spec = language_for_path(rel)
        assert spec is not None, rel
        self.versions[rel] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri(rel), language_id=spec.name, version=1, text=(self.root / rel).read_text()
                )
            )
        )

    def reload(self, rel: str) -> None:
        """The open buffer takes what the disk holds now, as an editor reloads a clean buffer."""
        self.versions[rel] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri(rel), version=self.versions[rel]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=(self.root / rel).read_text())],
            )
        )

    async def quiet(self, seconds: float) -> None:
        """Until no diagnostics came for ``seconds``, counted from now at the earliest (what was
        just asked for may not have been published yet)."""
        self.heard = max(self.heard, time.monotonic())
        while time.monotonic() - self.heard < seconds:
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
