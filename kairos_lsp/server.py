"""The language server: wiring only.

Handlers at the bottom are a few lines each; they call plain functions.
:class:`kairos_lsp.session.Session` is the per-connection state (settings,
the memory, open documents, the background scan, dreams, commands) and has
no protocol types; it owns the :mod:`~kairos_lsp.recorder` (the memory
thread: buffers recorded, edits coalesced) and the :mod:`~kairos_lsp.checker`
(the checks thread: problems published). ``features/`` turn plain results
into LSP types. Threads are described in :mod:`kairos_lsp.session`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import stat
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from kairos_lsp import __version__
from kairos_lsp.config import Settings
from kairos_lsp.documents import Document
from kairos_lsp.features import claude_actions, code_actions
from kairos_lsp.features import diagnostics as diagnostics_feature
from kairos_lsp.features import hover as hover_feature
from kairos_lsp.features import memory as memory_feature
from kairos_lsp.features.diagnostics import Lines
from kairos_lsp.languages import source_glob
from kairos_lsp.quiet_gc import QuietCollector
from kairos_lsp.session import Session, one_line
from kairos_lsp.store import now
from kairos_lsp.store.wal import warning as sqlite_warning

log = logging.getLogger("kairos_lsp")

PROGRESS_INTERVAL = 0.1  # seconds between two $/progress reports
STATUS = "kairos/status"  # {state: scanning | dreaming | idle, percentage, message, lastDream}: editors' status bars


# -- protocol glue ------------------------------------------------------------------


class ScanProgress:
    """``$/progress`` for the scan, sent from the scan thread through the event loop."""

    def __init__(self, server: KairosServer, loop: asyncio.AbstractEventLoop, token: str | None):
        self.server = server
        self.loop = loop
        self.token = token
        self._last = 0.0
        self._percent = -1

    def _send(self, method: Callable, value: Any) -> None:
        if self.token is not None:
            try:
                self.loop.call_soon_threadsafe(_quietly, method, self.token, value)
            except RuntimeError:  # the event loop is gone: the server is exiting
                pass

    def begin(self) -> None:
        notify_status(self.server, "scanning", percentage=0)
        self._send(
            self.server.work_done_progress.begin,
            types.WorkDoneProgressBegin(
                title="kairos", message="reading the workspace", percentage=0, cancellable=True
            ),
        )

    def report(self, done: int, total: int, path: str) -> None:
        percent = done * 100 // total if total else 100
        now = time.monotonic()
        if done != total and (percent == self._percent or now - self._last < PROGRESS_INTERVAL):
            return
        self._percent, self._last = percent, now
        notify_status(self.server, "scanning", percentage=percent, message=f"{done}/{total} {path}")
        self._send(
            self.server.work_done_progress.report,
            types.WorkDoneProgressReport(message=f"{done}/{total} {path}", percentage=percent),
        )

    def end(self, message: str) -> None:
        notify_status(self.server, "idle", message=message)
        self._send(self.server.work_done_progress.end, types.WorkDoneProgressEnd(message=message))

    def cancelled(self) -> bool:
        future = self.server.work_done_progress.tokens.get(self.token) if self.token else None
        return bool(future is not None and future.cancelled())


def notify_status(ls: KairosServer, state: str, **fields: Any) -> None:
    """``kairos/status`` to the client, from any thread (fields in camelCase)."""
    if ls.loop is not None:
        try:
            ls.loop.call_soon_threadsafe(_quietly, ls.protocol.notify, STATUS, {"state": state, **fields})
        except RuntimeError:  # the event loop is gone: the server is exiting
            pass


def _quietly(fn: Callable, *args) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - a closed transport at shutdown
        log.debug("could not send a notification", exc_info=True)


class KairosProtocol(LanguageServerProtocol):
    """pygls' protocol with two repairs.

    * A request whose params do not even deserialise gets an error response
      (pygls logs it and never answers, so the client would wait forever), and
      a message that is not JSON gets the spec's Parse Error, with a null id.
    * pygls keeps no copy of a buffer over ``maxFileBytes`` (kairos neither: see
      :mod:`kairos_lsp.documents`); a 50 MB ``didOpen`` took 21.7 s and 3 GB.
    * ``didChange`` handlers see the changes as the client sent them: pygls
      updates its own copy of the text first and, doing so, clamps positions
      *in place* against its own line split (which also breaks at form feeds
      and U+2028), so a later handler could get a corrupted range.
    """

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        item = params.text_document
        if not self._too_big(item.text):  # pygls keeps no copy of an oversize buffer
            self.workspace.put_text_document(item)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        pristine = copy.deepcopy(params)
        uri = unquote(params.text_document.uri)
        try:
            for change in params.content_changes:
                if uri not in self.workspace.text_documents:
                    break  # an oversize buffer: pygls keeps no copy
                if self._too_big(change.text) or self._dropped(params.text_document.uri):
                    self.workspace.remove_text_document(uri)
                else:
                    self.workspace.update_text_document(params.text_document, change)
        except Exception:  # noqa: BLE001 - pygls' copy is not the one we rely on
            log.warning("pygls could not apply a change", exc_info=True)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (pristine,), None

    def _too_big(self, text: str) -> bool:
        """Over ``maxFileBytes`` by its characters alone (kairos' own copy then holds nothing either)."""
        session = getattr(self._server, "session", None)
        return session is not None and len(text) > session.settings.max_file_bytes

    def _dropped(self, uri: str) -> bool:
        """kairos dropped this buffer (it grew over ``maxFileBytes``, edit by edit)."""
        session = getattr(self._server, "session", None)
        doc = session.documents.get(uri) if session is not None else None
        return doc is not None and doc.oversize

    exit_code: int | None = None  # what ``exit`` asked for: 0 after ``shutdown``, else 1
    _answering_shutdown: Any = None  # the shutdown request's future while its handler runs

    def structure_message(self, data: dict[str, Any]):
        if isinstance(data, dict) and "jsonrpc" in data:  # (json.loads calls this on inner objects too)
            problem = invalid_request(data)
            if problem is not None:
                self.reject(data, JsonRpcInvalidRequest.CODE, f"Invalid Request: {problem}")
                raise JsonRpcInvalidRequest(problem)
            if "method" in data and "params" not in data:
                data = {**data, "params": None}  # pygls' fallback types need them (an unknown method's)
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            raise

    def handle_message(self, message: Any) -> None:
        if not hasattr(message, "jsonrpc"):  # JSON, but no JSON-RPC message: an array, a number, {"x": 1}
            self.reject(message, JsonRpcInvalidRequest.CODE, "Invalid Request: not a JSON-RPC 2.0 message")
            raise JsonRpcInvalidRequest("not a JSON-RPC 2.0 message")
        method = getattr(message, "method", None)
        if self._shutdown and method is not None and method != types.EXIT and hasattr(message, "id"):
            # the spec: requests after shutdown are answered with InvalidRequest
            self.reject({"id": message.id}, JsonRpcInvalidRequest.CODE, "Invalid Request: the server is shutting down")
            log.warning("kairos: %s after shutdown: refused", method)
            return
        if method == types.INITIALIZE and getattr(self._server, "session", None) is not None and hasattr(message, "id"):
            # a second initialize would start a second session over the first, which would live on
            self.reject({"id": message.id}, JsonRpcInvalidRequest.CODE, "Invalid Request: already initialized")
            log.warning("kairos: initialize sent again: refused")
            return
        if method == types.EXIT:
            answering = self._answering_shutdown
            if answering is not None and not answering.done():
                # exit sent before shutdown was answered (a client piping both at once): once it is
                answering.add_done_callback(lambda _: self.handle_message(message))
                return
            self.exit_code = 0 if self._shutdown else 1
        collector = getattr(self._server, "collector", None)
        if collector is not None:
            collector.message()
        super().handle_message(message)
        if method == types.SHUTDOWN and hasattr(message, "id"):
            self._answering_shutdown = self._request_futures.get(message.id)

    def reject(self, message: Any, code: int, text: str) -> None:
        """An error response to ``message``: its id when it has a valid one, else null."""
        ident = message.get("id") if isinstance(message, dict) else None
        ident = ident if is_valid_id(ident) else None
        # a plain dict: pygls' own response type would leave a null id out
        self._send_data({"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": text}})

    def parse_error(self, error: Exception) -> None:
        """JSON-RPC: a message that could not be parsed is answered with -32700, id null."""
        # a plain dict: pygls' own response type would leave the null id out
        error_body = {"code": JsonRpcParseError.CODE, "message": f"Parse error: {one_line(error)}"}
        self._send_data({"jsonrpc": "2.0", "id": None, "error": error_body})


def is_valid_id(value: Any) -> bool:
    """LSP request ids are integers or strings."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def invalid_request(data: dict[str, Any]) -> str | None:
    """Why ``data`` is no JSON-RPC 2.0 request, notification or response; None when it is one."""
    if data.get("jsonrpc") != "2.0":
        return 'jsonrpc must be "2.0"'
    if "method" in data:
        if not isinstance(data["method"], str):
            return "method must be a string"
        if "id" in data and not is_valid_id(data["id"]):
            return "id must be an integer or a string"
        known = types.METHOD_TO_TYPES.get(data["method"])
        if "id" in data and known is not None and known[0].__name__.endswith("Notification"):
            return f"{data['method']} is a notification: it takes no id"  # (pygls would drop the id: no answer)
        if data.get("params") is not None and not isinstance(data["params"], (dict, list)):
            return "params must be an object or an array"
        return None
    if "id" not in data:
        return "neither a request, a notification nor a response"
    return None


class KairosServer(LanguageServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, protocol_cls=KairosProtocol, **kwargs)
        self.session: Session | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._reporting = False
        self.collector = QuietCollector()  # full garbage collections while no message comes in

    def log(self, level: str, message: str) -> None:
        """One line to the client's log; callable from any thread."""
        kind = {
            "error": types.MessageType.Error,
            "warning": types.MessageType.Warning,
            "info": types.MessageType.Info,
        }.get(level, types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=one_line(message))
        getattr(log, level if level in ("error", "warning", "info") else "debug")(params.message)
        if self.loop is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            _quietly(self.window_log_message, params)
        else:
            try:
                self.loop.call_soon_threadsafe(_quietly, self.window_log_message, params)
            except RuntimeError:  # the event loop is gone: the server is exiting
                pass

    def show(self, level: str, message: str) -> None:
        kind = types.MessageType.Error if level == "error" else types.MessageType.Warning
        self.window_show_message(types.ShowMessageParams(type=kind, message=one_line(message)))

    def report_server_error(self, error: Exception, source) -> None:
        # One line in the log instead of a pop-up per failure; the request (if any)
        # already got its error response. Not re-entrant: the log itself may be what fails.
        if self._reporting:
            return
        self._reporting = True
        try:
            # a message the client got wrong is the client's problem: a warning, not an error
            bad = isinstance(error, JsonRpcException) or (
                isinstance(source, type) and issubclass(source, JsonRpcException)
            )
            if isinstance(error, json.JSONDecodeError) and isinstance(self.protocol, KairosProtocol):
                self.protocol.parse_error(error)
            level = "warning" if bad else "error"
            self.log(level, f"kairos: {getattr(source, '__name__', source)}: {one_line(error)}")
        finally:
            self._reporting = False

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """pygls' stdio server, with kairos' message loop (:func:`read_messages`)."""
        self._stop_event = stop = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        assert isinstance(self.protocol, KairosProtocol)
        protocol, source = self.protocol, stdin or sys.stdin.buffer

        async def run() -> None:
            reader = await pipe_reader(source) or StdinAsyncReader(source, self.thread_pool)
            await read_messages(stop, Replay(b"", reader), protocol, self.report_server_error)

        try:
            asyncio.run(run())
        except BrokenPipeError:
            log.error("the client is gone (its end of the pipe closed)")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        return str(getattr(encoding, "value", encoding))


server = KairosServer("kairos-lsp", __version__)


def _guard(default: Any = None):
    """Request handlers answer ``default`` (and log one line) instead of failing."""

    def wrap(fn):
        @functools.wraps(fn)
        async def run(ls: KairosServer, params):
            try:
                return await fn(ls, params)
            except Exception as exc:  # noqa: BLE001
                log.exception("%s failed", fn.__name__)
                ls.log("error", f"kairos: {fn.__name__} failed: {one_line(exc)}")
                return default

        return run

    return wrap


def workspace_root(params: types.InitializeParams) -> Path | None:
    """The workspace folder from rootUri, rootPath or the first workspace folder."""
    candidates = [params.root_uri and to_fs_path(params.root_uri), params.root_path]
    candidates += [to_fs_path(f.uri) for f in params.workspace_folders or []]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate).resolve()
    return None


def other_folders(params: types.InitializeParams, root: Path | None) -> list[str]:
    """The workspace folders besides ``root`` (and not inside it), which this server does not keep."""
    found = []
    for folder in params.workspace_folders or []:
        path = to_fs_path(folder.uri)
        if not path or not Path(path).is_dir():
            continue
        resolved = Path(path).resolve()
        if root is not None and (resolved == root or resolved.is_relative_to(root)):
            continue
        if str(resolved) not in found:
            found.append(str(resolved))
    return found


# -- handlers ------------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: KairosServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop()
    settings = Settings.from_options(params.initialization_options)
    ls.session = Session(workspace_root(params), settings, ls.log, publish=functools.partial(_publish, ls))
    for problem in settings.unknown:  # one line each in the log, one message on screen
        ls.log("warning", f"kairos: initialization option ignored: {problem}")
    if settings.unknown:
        ls.show("warning", "kairos: ignoring bad initialization options: " + "; ".join(settings.unknown))
    left = other_folders(params, ls.session.root)
    if left:  # (VS Code's extension starts a server per folder; other clients may send several)
        names = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
        ls.log("warning", f"kairos: this server keeps the memory of {ls.session.root} only, not of {names}")
    error = ls.session.open_store()
    if error:
        ls.show("error", error)
    else:
        ls.session.dreamer.on_busy = functools.partial(_dreaming, ls)


def _dreaming(ls: KairosServer, busy: bool) -> None:
    if busy:
        notify_status(ls, "dreaming")
    else:
        notify_status(ls, "scanning" if ls.session and ls.session.scanning else "idle", lastDream=now())


@server.feature(types.INITIALIZED)
async def initialized(ls: KairosServer, params: types.InitializedParams) -> None:
    ls.collector.start()
    if (risk := sqlite_warning()) is not None:  # (in the log, after initialize's answer, as eglot needs)
        ls.log("info", f"kairos: {risk}")
    session = ls.session
    if session is None or session.root is None or session.store is None:
        return
    token = None
    window = ls.client_capabilities.window
    if window is not None and window.work_done_progress:
        token = f"kairos-scan-{uuid.uuid4().hex[:8]}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception as exc:  # noqa: BLE001 - scan without a progress bar
            ls.log("warning", f"kairos: no progress bar: {one_line(exc)}")
            token = None
    progress = ScanProgress(ls, asyncio.get_running_loop(), token)
    progress.begin()
    ask_editor, line = session.follow_disk(_editor_can_watch(ls))  # (before the scan: no change falls in between)
    if line is not None:
        ls.log("info", line)
    session.start_scan(progress)
    if ask_editor:
        await _watch_files(ls)


def _editor_can_watch(ls: KairosServer) -> bool:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    return watched is not None and bool(watched.dynamic_registration)


async def _watch_files(ls: KairosServer) -> None:
    """Ask the editor to tell what changes on disk outside it (``workspace/didChangeWatchedFiles``):
    without it, the memory would follow a checkout only at the next start (or the server watches)."""
    registration = types.Registration(
        id="kairos-watched-files",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[
                types.FileSystemWatcher(glob_pattern=source_glob()),
                types.FileSystemWatcher(glob_pattern="**/.gitignore"),
                # a folder deleted is one event, for the folder, that no file glob matches
                types.FileSystemWatcher(glob_pattern="**/*", kind=types.WatchKind.Delete),
            ]
        ),
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as exc:  # noqa: BLE001 - then the server watches
        session = ls.session
        watching = session is not None and session.settings.files_watcher == "auto" and session.watch_disk()
        ls.log(
            "warning",
            f"kairos: the editor would not watch files: {one_line(exc)}" + ("; the server does" if watching else ""),
        )
    else:
        if ls.session is not None:
            ls.session.editor_watches = True


@server.feature(types.SHUTDOWN)
async def shutdown(ls: KairosServer, params: None) -> None:
    ls.collector.stop()
    if ls.session is not None:
        await ls.session.shutdown()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: KairosServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    if ls.session is not None:
        doc = ls.session.documents.open(item.uri, item.text, item.language_id, item.version)
        ls.session.opened(doc)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: KairosServer, params: types.DidChangeTextDocumentParams) -> None:
    session = ls.session
    doc = session.documents.get(params.text_document.uri) if session else None
    if session is not None and doc is not None:
        _apply_changes(doc, params.content_changes, ls.encoding)
        doc.version = params.text_document.version
        session.changed(doc)


def _apply_changes(doc: Document, changes: Sequence[types.TextDocumentContentChangeEvent], encoding: str) -> None:
    """Our own copy, not pygls': its line split also breaks at form feeds and U+2028."""
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            doc.apply_change(
                (change.range.start.line, change.range.start.character),
                (change.range.end.line, change.range.end.character),
                change.text,
                encoding,
            )
        else:
            doc.update(change.text)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
def did_save(ls: KairosServer, params: types.DidSaveTextDocumentParams) -> None:
    session = ls.session
    doc = session.documents.get(params.text_document.uri) if session else None
    if session is not None and doc is not None:
        if params.text is not None:
            doc.update(params.text)
        elif doc.oversize:  # its changes were dropped: the disk has what the editor has
            session.documents.reload(doc)
        session.saved(doc)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: KairosServer, params: types.DidCloseTextDocumentParams) -> None:
    session = ls.session
    doc = session.documents.close(params.text_document.uri) if session else None
    if session is not None and doc is not None:
        session.closed_document(doc)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: KairosServer, params: types.DidChangeWatchedFilesParams) -> None:
    if ls.session is not None:
        ls.session.disk_changed((c.uri, c.type == types.FileChangeType.Deleted) for c in params.changes)


@server.feature(types.TEXT_DOCUMENT_HOVER)
@_guard(None)
async def hover(ls: KairosServer, params: types.HoverParams) -> types.Hover | None:
    session = ls.session
    doc = session.documents.get(params.text_document.uri) if session else None
    if session is None or doc is None or session.knowledge is None:
        return None
    await session.flush(doc.uri)
    shown, key = hover_feature.hover_of(
        session.knowledge, doc, params.position.line, params.position.character, ls.encoding
    )
    if key is not None:
        session.looked_at(key)
    return shown


def _publish(ls: KairosServer, uri: str, text: bytes, problems) -> None:
    _quietly(
        ls.text_document_publish_diagnostics,
        types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics_feature.diagnostics(problems, text, ls.encoding)
        ),
    )


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, code_actions.FACT_KIND], resolve_provider=True
    ),
)
@_guard([])
async def code_action(ls: KairosServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    session = ls.session
    doc = session.documents.get(params.text_document.uri) if session else None
    if session is None or doc is None or session.knowledge is None:
        return []
    await session.flush(doc.uri)
    text, problems = session.problems_for(doc)
    actions = code_actions.code_actions(
        session.knowledge, doc, text, problems, params.range, params.context.only, ls.encoding
    )
    if (
        session.claude is not None
        and doc.language
        and (not params.context.only or types.CodeActionKind.QuickFix in params.context.only)
    ):
        lines = Lines(text)
        start, end = lines.point(params.range.start, ls.encoding), lines.point(params.range.end, ls.encoding)
        actions += claude_actions.offers(problems, text, doc.uri, start, end, ls.encoding)
    return actions


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: KairosServer, action: types.CodeAction) -> types.CodeAction:
    """A Claude action the user picked: asked now, off the event loop."""
    session = ls.session
    if session is None or session.knowledge is None or not claude_actions.is_ours(action):
        return action
    claude = session.claude
    doc = session.documents.get(action.data["uri"])  # type: ignore[index]  # is_ours: a dict
    if claude is None or doc is None or session.root is None or doc.language is None:
        return action
    try:
        resolved = await asyncio.to_thread(
            claude_actions.resolve,
            action,
            claude,
            session.knowledge,
            doc.path,
            doc.language,
            doc.text,
            ls.encoding,
            session.root,
        )
    except Exception as exc:  # noqa: BLE001 - the action comes back as offered, the reason in the log
        ls.log("error", f"kairos: Claude's proposal failed: {one_line(exc)}")
        resolved = action
    if resolved.edit is None:
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info,
                message="kairos: Claude had no proposal here (the kairos log says why); the offline fix still stands",
            )
        )
    return resolved


def _command(fn):
    """A command answers a one-line error instead of failing."""

    @functools.wraps(fn)
    async def run(ls: KairosServer, *args):
        if ls.session is None or ls.session.store is None:
            return {"error": "kairos: the memory is not open"}
        try:
            return await fn(ls.session, *args)
        except Exception as exc:  # noqa: BLE001
            log.debug("%s failed", fn.__name__, exc_info=True)  # the traceback at DEBUG only
            message = f"kairos: {fn.__name__.replace('_', ' ')} failed: {one_line(exc)}"
            ls.log("warning" if isinstance(exc, ValueError) else "error", message)  # ValueError: bad arguments
            return {"error": message}

    del run.__wrapped__  # pygls passes the server only to a function whose first parameter is `ls`
    return run


@server.command("kairos.dreamNow")
@_command
async def dream_now(session: Session, *args) -> dict:
    """Consolidate now; returns the dream's counts when it is done."""
    await session.flush_all()
    return (await session.dreamer.dream_now()).as_dict()


@server.command("kairos.confirmFact")
@_command
async def confirm_fact(session: Session, fact_id=None, *args) -> dict:
    """Confirm a fact (its id, as the code action passes it): it becomes firm and stays so."""
    return await session.verdict(_fact_id(fact_id), confirm=True)


@server.command("kairos.rejectFact")
@_command
async def reject_fact(session: Session, fact_id=None, *args) -> dict:
    """Reject a fact: it is retracted and the same evidence never promotes it again."""
    return await session.verdict(_fact_id(fact_id), confirm=False)


@server.command("kairos.forget")
@_command
async def forget(session: Session, target=None, *args) -> dict:
    """Forget a symbol (key or ``path::Qual.name``) or a file (path or URI)."""
    if not isinstance(target, str) or not target:
        raise ValueError("kairos.forget takes a symbol key, 'path::Qual.name', a path or a URI")
    return await session.forget(target)


@server.command("kairos.status")
@_command
async def status(session: Session, *args) -> dict:
    """The memory's size and counts, the last dream, the LLM state."""
    return session.status()


@server.command("kairos.explain")
@_command
async def explain(session: Session, uri=None, position=None, *args) -> dict | None:
    """What the memory holds about the symbol at ``(uri, {line, character})``: facts, evidence, citation."""
    doc = session.documents.get(uri) if isinstance(uri, str) else None
    if doc is None or session.knowledge is None or not isinstance(position, dict):
        return None
    await session.flush(doc.uri)
    line, character = int(position.get("line", 0)), int(position.get("character", 0))
    return memory_feature.explain_at(session.knowledge, doc, line, character, server.encoding)


@server.command("kairos.recentChanges")
@_command
async def recent_changes(session: Session, options=None, *args) -> dict:
    """What the dreams promoted, superseded or retracted since the user last looked, newest first
    (``{since, limit, markSeen}``, all optional; ``markSeen`` moves the mark past them)."""
    since, limit, mark_seen = memory_feature.review_options(options)
    assert session.knowledge is not None  # (_command: the memory is open)
    changes = session.knowledge.recent_changes(since, limit)
    if mark_seen and (seen := session.knowledge.consolidated_until()):
        await session.recorder.run(lambda store: store.mark_reviewed(seen))
    return changes


def _fact_id(value) -> int:
    if isinstance(value, dict):
        value = value.get("id", value.get("fact"))
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ValueError(f"expected a fact id, got {value!r}")
    return int(value)


# -- command line -----------------------------------------------------------------------


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"bad port {port!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0].split("%")[0] for info in infos if isinstance(info[4][0], str)}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


# -- sockets: who may connect ------------------------------------------------------------

TOKEN_ENV = "KAIROS_LSP_TOKEN"
FIRST_MESSAGE_BYTES = 4 << 20  # an initialize with every capability a client has is ~20 KB
FIRST_MESSAGE_SECONDS = 30.0


class Refused(Exception):
    """A connection that may not talk to this server (the reason goes to the log only)."""


def default_token_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "kairos-lsp" / "token"


def load_token(path: Path) -> str:
    """``$KAIROS_LSP_TOKEN``, else the token in ``path``, made when there is none (random,
    0600, in a folder made 0700). A token file others may read, or not ours, is refused."""
    if os.environ.get(TOKEN_ENV, "").strip():
        token = os.environ[TOKEN_ENV].strip()
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
                    raise ValueError(f"{path} must be a file of yours that only you can read (chmod 600)")
                token = os.read(fd, 4096).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
        else:
            token = secrets.token_urlsafe(32)
            try:
                os.write(fd, f"{token}\n".encode())
            finally:
                os.close(fd)
    if len(token) < 16:
        raise ValueError(f"the token must be at least 16 characters ({TOKEN_ENV} or {path})")
    return token


async def first_message(reader: asyncio.StreamReader) -> Any:
    """The first JSON-RPC message of a connection, read with a size and a time limit."""
    length = None
    for _ in range(16):
        line = await reader.readline()
        if not line:
            raise Refused("closed before a message")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip()) if value.strip().isdigit() else None
    else:
        raise Refused("not an LSP message")
    if length is None or not 0 < length <= FIRST_MESSAGE_BYTES:
        raise Refused("not an LSP message (Content-Length)")
    try:
        return json.loads(await reader.readexactly(length))
    except ValueError as exc:
        raise Refused("not an LSP message (JSON)") from exc


def authenticate(message: Any, token: str | None) -> bytes:
    """The first message, framed again for the protocol with the token taken out of it.
    With a token, it must be ``initialize`` carrying ``initializationOptions.token``."""
    is_initialize = isinstance(message, dict) and message.get("method") == "initialize"
    params = message.get("params") if is_initialize else None
    options = params.get("initializationOptions") if isinstance(params, dict) else None
    given = options.pop("token", None) if isinstance(options, dict) else None
    if token is not None:
        if not is_initialize:
            raise Refused("the first message is not initialize")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
            raise Refused("no token" if given is None else "wrong token")
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


PIPE_LINE_LIMIT = 1 << 26  # bytes: a longer line is not a header (it is dropped as noise)


class PipeReader:
    """stdin read by the event loop itself, as asyncio reads a pipe: a message is handled as
    soon as it arrives. pygls' ``StdinAsyncReader`` hands every line and body to a thread
    and back (three hand-offs a message), which doubled the round trip of a request that
    does nothing: p50 0.97 -> 0.50 ms on the large tree's hover benchmark."""

    def __init__(self, stream: asyncio.StreamReader):
        self._stream = stream

    async def readline(self) -> bytes:
        while True:
            try:
                return await self._stream.readline()  # b"" at the end of the stream
            except ValueError:  # over PIPE_LINE_LIMIT: noise between messages, dropped
                continue

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:  # the stream ended inside the body
            return exc.partial


async def pipe_reader(source: Any) -> PipeReader | None:
    """A :class:`PipeReader` on ``source`` (stdin) when it is a pipe or a socket, as editors
    start a server; else None (a file, ``/dev/null`` or a terminal: pygls' thread reader;
    and on Windows, whose event loop reads only pipes opened for overlapped reads)."""
    if os.name != "posix":
        return None
    try:
        mode = os.fstat(source.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return None
    stream = asyncio.StreamReader(limit=PIPE_LINE_LIMIT)
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), source)
    return PipeReader(stream)


class Replay:
    """A reader that hands out ``first`` (and what is :meth:`unread`) before what follows."""

    def __init__(self, first: bytes, reader: Any):
        self._first = first
        self._reader = reader

    def unread(self, data: bytes) -> None:
        self._first = data + self._first

    async def readline(self) -> bytes:
        if not self._first:
            return await self._reader.readline()
        cut = self._first.find(b"\n") + 1
        if not cut:  # a line begun in what was put back ends on the stream
            line, self._first = self._first, b""
            return line + await self._reader.readline()
        line, self._first = self._first[:cut], self._first[cut:]
        return line

    async def readexactly(self, n: int) -> bytes:
        head, self._first = self._first[:n], self._first[n:]
        return head + (await self._reader.readexactly(n - len(head)) if n > len(head) else b"")


_LENGTH = b"content-length:"


async def read_messages(stop: threading.Event, reader: Replay, protocol: KairosProtocol, on_error: Callable) -> None:
    """pygls' message loop, made to find its feet again after a bad frame.

    A ``Content-Length`` too small leaves the body's tail before the next header, one not a
    number leaves the body unread: either way the next header shares a line with bytes that
    are not headers, and is found at its end. One too large swallows the following messages
    into its body: once that body is in, the headers inside it are read again. The bad
    message itself is answered with a Parse Error (-32700, id null) and logged in one line.
    """
    length: int | None = None
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        if line.strip():
            at = line.lower().rfind(_LENGTH)
            if at == -1:
                continue  # Content-Type, or noise between messages
            value = line[at + len(_LENGTH) :].strip()
            length = int(value) if value.isdigit() else None
            if length is None:
                on_error(
                    json.JSONDecodeError("bad Content-Length header", line.decode("latin-1")[:80], 0), JsonRpcParseError
                )
            continue
        if length is None:
            continue  # the blank line after a bad header, or a stray one
        body, length = await reader.readexactly(length), None
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:  # not JSON, or not in any Unicode
            inner = body.lower().find(_LENGTH, 1)
            if inner != -1:  # the length was too large: the messages it swallowed are read again
                reader.unread(body[inner:])
            if not isinstance(exc, json.JSONDecodeError):
                exc = json.JSONDecodeError(f"not text: {one_line(exc)}", "", 0)
            on_error(exc, JsonRpcParseError)
            continue
        except Exception as exc:  # noqa: BLE001 - an invalid request, already answered
            logging.getLogger("pygls.server").debug("Unable to handle message", exc_info=True)
            on_error(exc, JsonRpcException)
            continue
        try:
            protocol.handle_message(message)
        except Exception as exc:  # noqa: BLE001 - the loop goes on
            logging.getLogger("pygls.server").debug("Unable to handle message", exc_info=True)
            on_error(exc, JsonRpcException)


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    """The connecting process' user on a Unix socket (Linux), else None."""
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None or sock.family != getattr(socket, "AF_UNIX", None):
        return None
    _, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return uid


def serve(ls: KairosServer, listen: Callable[[Callable], Any], token: str | None, announce: Callable) -> None:
    """Serve one client at a time on a socket: ``listen(handler)`` starts the asyncio server.

    A connection must pass before any byte reaches the protocol: on TCP its first message is
    ``initialize`` with the token; on a Unix socket (0600) it comes from this user. Any other
    is closed with one WARNING line and learns nothing. The first client's end ends the server.
    """
    stop = threading.Event()
    ls._stop_event = stop
    serving = False

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal serving
        peer = writer.get_extra_info("peername") or "a local process"
        try:
            uid = peer_uid(writer)
            if uid is not None and uid != os.getuid():
                raise Refused(f"user {uid} is not this server's user")
            first = authenticate(await asyncio.wait_for(first_message(reader), FIRST_MESSAGE_SECONDS), token)
            if serving:
                raise Refused("another client is connected (one at a time)")
        except (Refused, asyncio.TimeoutError, asyncio.IncompleteReadError, OSError, ValueError) as exc:
            reason = one_line(exc) if isinstance(exc, Refused) else f"{type(exc).__name__} {one_line(exc)}"
            log.warning("connection from %s refused: %s", peer, reason or "no message in time")
            writer.close()
            return
        serving = True
        ls.protocol.set_writer(writer)  # asyncio's writer: write() and close()
        assert isinstance(ls.protocol, KairosProtocol)
        await read_messages(stop, Replay(first, reader), ls.protocol, ls.report_server_error)
        ls.shutdown()

    async def main() -> None:
        ls._server = await listen(connection)
        announce(ls._server)
        async with ls._server:
            await ls._server.serve_forever()

    try:
        asyncio.run(main())
    except asyncio.CancelledError:  # ls.shutdown() closed the listening socket
        pass


def listen_unix(path: Path) -> Callable[[Callable], Any]:
    """``asyncio.start_unix_server`` on ``path``, mode 0600 from its creation on. A stale
    socket there is replaced; anything else, or a socket a server answers on, is refused."""
    if path.is_symlink() or (path.exists() and not stat.S_ISSOCK(path.lstat().st_mode)):
        raise ValueError(f"{path} exists and is not a socket")
    if path.exists():
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # nobody answers: left by a server that was killed
        else:
            raise ValueError(f"a server already listens on {path}")
        finally:
            probe.close()

    async def listen(handler: Callable) -> asyncio.Server:
        umask = os.umask(0o177)  # the socket is born 0600: no moment when others may connect
        try:
            listening = await asyncio.start_unix_server(handler, str(path))
        finally:
            os.umask(umask)
        os.chmod(path, 0o600)
        return listening

    return listen


class OneLine(logging.Formatter):
    """Each record on one line: an exception as its type and first line, its traceback
    only at DEBUG (a malformed message must not cost kilobytes of stderr)."""

    def __init__(self, fmt: str, tracebacks: bool = False):
        super().__init__(fmt)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks:
            return super().format(record)
        # the first line of the message (pygls puts whole tracebacks in some), and the exception's own
        first = (record.getMessage().splitlines() or [""])[0]
        shown = logging.makeLogRecord(
            {**record.__dict__, "msg": first, "args": None, "exc_info": None, "exc_text": None}
        )
        line = super().format(shown)
        error = record.exc_info[1] if record.exc_info else None
        return f"{line}: {type(error).__name__}: {one_line(error)}" if error is not None else line


_BAD_MESSAGE = (
    "Unable to handle message",
    "Unable to deserialize message",
    "Failed to deserialize",
    "Failed to handle request",  # an unknown method: kairos' own line says it
    "Exception occurred for message",  # the error a request was answered with: kairos' own line says it
)


def bad_messages_are_warnings(record: logging.LogRecord) -> bool:
    """A malformed message is the client's: kairos logs it as one WARNING line
    (``report_server_error``); pygls' own ERROR lines about it are shown at DEBUG only."""
    if record.name.startswith("pygls") and record.getMessage().startswith(_BAD_MESSAGE):
        return logging.getLogger().isEnabledFor(logging.DEBUG)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="kairos-lsp",
        description="The kairos language server.",
        epilog=f"With --tcp, a client's initialize must carry initializationOptions.token: ${TOKEN_ENV}, else "
        f"the token in --token-file (default {default_token_file()}, made 0600 on first use). A --socket is "
        "made 0600 and admits only this user; no token there.",
    )
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead (a token is required)")
    parser.add_argument("--socket", metavar="PATH", help="listen on a Unix socket instead (mode 0600, this user only)")
    parser.add_argument("--token-file", metavar="PATH", help="where --tcp's token is (made when missing)")
    parser.add_argument("--allow-remote", action="store_true", help="allow --tcp on an address other than loopback")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("KAIROS_LOG_LEVEL", "WARNING"),
        help="log level on stderr (default WARNING)",
    )
    parser.add_argument("--version", action="version", version=f"kairos-lsp {__version__}")
    args = parser.parse_args(argv)
    level = getattr(logging, str(args.log_level).upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine("kairos-lsp %(levelname)s %(name)s: %(message)s", tracebacks=level <= logging.DEBUG))
    handler.addFilter(bad_messages_are_warnings)
    logging.basicConfig(level=level, handlers=[handler])
    if args.tcp and args.socket:
        parser.exit(2, "kairos-lsp: --tcp or --socket, not both\n")
    try:
        if args.tcp:
            try:
                host, port = parse_address(args.tcp)
            except ValueError as exc:
                parser.exit(2, f"kairos-lsp: --tcp: {exc}\n")
            if not args.allow_remote and not is_loopback(host):
                parser.exit(
                    2,
                    f"kairos-lsp: refusing to listen on {host}: not a loopback address "
                    f"(anyone on the network could read your code); use --allow-remote to do it anyway\n",
                )
            token_file = Path(args.token_file).expanduser() if args.token_file else default_token_file()
            try:
                token = load_token(token_file)
            except (OSError, ValueError) as exc:
                parser.exit(2, f"kairos-lsp: --tcp needs a token: {one_line(exc)}\n")
            where = f"${TOKEN_ENV}" if os.environ.get(TOKEN_ENV, "").strip() else str(token_file)

            def tcp(handler: Callable) -> Any:
                return asyncio.start_server(handler, host, port)

            def announce_tcp(listening: asyncio.Server) -> None:
                bound = ", ".join(_address(sock.getsockname()) for sock in listening.sockets)
                print(f"kairos-lsp: listening on {bound}; initializationOptions.token: {where}", file=sys.stderr)

            serve(server, tcp, token, announce_tcp)
        elif args.socket:
            path = Path(args.socket).expanduser().absolute()
            try:
                listen = listen_unix(path)
            except (OSError, ValueError) as exc:
                parser.exit(2, f"kairos-lsp: --socket: {one_line(exc)}\n")
            try:
                serve(server, listen, None, lambda _: print(f"kairos-lsp: listening on {path}", file=sys.stderr))
            finally:
                if path.is_socket():
                    path.unlink()
        else:
            server.start_io()
    finally:
        if server.session is not None:
            server.session.close(timeout=2.0)
    if isinstance(server.protocol, KairosProtocol) and server.protocol.exit_code:
        sys.exit(server.protocol.exit_code)  # exit without shutdown: 1, as the spec says


def _address(name: Any) -> str:
    host, port = name[0], name[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


if __name__ == "__main__":
    main()
