"""Hover and code-action round trips over stdio: kairos-lsp against jedi-language-server.

    python benchmarks/bench_hover.py [--positions 400] [--rounds 3] [--seed 7]
                                     [--source DIR ...] [--jedi-actions 10]
                                     [--kairos CHECKOUT] [--no-jedi] [--json]

Copies a real library's Python sources (default: the installed `sqlite_utils`
and `pygls` packages; `--source DIR`, repeatable, for others) into a temporary
workspace, counts its functions, and picks positions deterministically
(seeded): half the name in a function definition, half the called name at
call sites of functions the workspace defines, spread over the files. Then it
starts both servers the way an editor does (`python -m kairos_lsp` from this
checkout, or `--kairos DIR`, and `jedi-language-server`, each over stdio,
driven by pygls' LanguageClient), opens every file that holds a position,
waits for kairos' workspace scan to end ($/progress end, then a definition
hover that answers), dreams once (`kairos.dreamNow`, so facts exist), and
sends every request once, unmeasured, to both servers.

Measured: each round gives every server its turn (kairos first in odd rounds,
jedi first in even ones, after a second of quiet), so both share the
machine's noise without either paying for the other's leftover work. A turn
sends every position in the same order, one request at a time, timed in the
client with `time.perf_counter` from sending the request to having the
decoded answer:

  floor       a method no server knows (`kairosBench/ping`): the error answer
              costs the pipe, JSON-RPC and this client, no feature work (kairos
              also logs a line about it);
  hover       textDocument/hover at the middle of the identifier;
  codeAction  textDocument/codeAction on the identifier's one-line range with
              an empty diagnostics context. jedi's answer runs refactorings
              (0.1 s to tens of seconds each), so it gets only the first
              `--jedi-actions` positions, in the first round, unwarmed (its
              files are parsed by then): a reference, not a comparison.

The client's garbage collector is paused during a turn (for both servers).
Percentiles are nearest-rank over all rounds' samples; the per-round p50/p99
show how repeatable they are. "answered" counts non-null hovers and non-empty
action lists. Targets (issue, 2-core machine): kairos hover p50 <= 2 ms and
p99 <= 10 ms, code action p99 <= 20 ms. Exit status is 0 whatever the
figures: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import functools
import gc
import importlib.metadata
import importlib.util
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.lsp.client import LanguageClient

DEFAULT_PACKAGES = ("sqlite_utils", "pygls")
TARGETS = {("hover", "p50"): 2.0, ("hover", "p99"): 10.0, ("codeAction", "p99"): 20.0}  # ms, kairos
SCAN_TIMEOUT = 120.0  # seconds to wait for kairos' workspace scan
REQUEST_TIMEOUT = 120.0  # seconds for one request before it counts as lost
SETTLE = 1.0  # seconds of quiet before each server's turn
PING = "kairosBench/ping"  # a method no server knows: the answer is an error, with no work behind it
REQUESTS = ("floor", "hover", "codeAction")
_NEWLINE = re.compile(r"\r\n|\r|\n")  # LSP line breaks (and ast's)


# -- the workspace and the positions ------------------------------------------------


@dataclass(frozen=True)
class Spot:
    path: str  # relative to the workspace, posix
    kind: str  # "def" or "call"
    name: str
    line: int  # 0-based
    character: int  # UTF-16, the middle of the identifier
    start: int  # UTF-16 span of the identifier
    end: int


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench: package {name!r} is not installed (pip install {name.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


def build_workspace(sources: list[Path], work: Path) -> Path:
    """Copy the ``.py`` files of each source tree into ``work/ws/<tree name>``."""
    root = work / "ws"
    root.mkdir()
    for source in sources:

        def ignore(folder: str, names: list[str]) -> list[str]:
            return [
                n
                for n in names
                if n == "__pycache__"
                or n.startswith(".")
                or (not n.endswith(".py") and not os.path.isdir(os.path.join(folder, n)))
            ]

        shutil.copytree(source, root / source.name, ignore=ignore)
    return root


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _spot(path: str, kind: str, name: str, line_no: int, byte_start: int, lines: list[str]) -> Spot | None:
    """A Spot from a 1-based line and a UTF-8 byte column (what ``ast`` gives)."""
    text = lines[line_no - 1]
    raw = text.encode("utf-8")
    byte_end = byte_start + len(name.encode("utf-8"))
    if raw[byte_start:byte_end].decode("utf-8", "replace") != name:
        return None
    start = utf16(raw[:byte_start].decode("utf-8"))
    end = start + utf16(name)
    return Spot(path, kind, name, line_no - 1, start + (end - start) // 2, start, end)


def collect(root: Path) -> tuple[int, list[Spot], list[Spot]]:
    """Functions counted, definition spots, call spots (calls of names the workspace defines)."""
    functions = 0
    defs: list[Spot] = []
    calls: list[tuple[str, str, int, int, list[str]]] = []
    defined: set[str] = set()
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        source = file.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        lines = _NEWLINE.split(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions += 1
                defined.add(node.name)
                # ast points at `def`/`async`; the name follows on the same line.
                raw = lines[node.lineno - 1].encode("utf-8")
                match = re.compile(rb"(?:async\s+)?def\s+(" + re.escape(node.name.encode()) + rb")\b").match(
                    raw, node.col_offset
                )
                if match and (spot := _spot(rel, "def", node.name, node.lineno, match.start(1), lines)):
                    defs.append(spot)
            elif isinstance(node, ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    calls.append((rel, func.id, func.lineno, func.col_offset, lines))
                elif (
                    isinstance(func, ast.Attribute) and func.end_lineno is not None and func.end_col_offset is not None
                ):
                    start = func.end_col_offset - len(func.attr.encode("utf-8"))
                    calls.append((rel, func.attr, func.end_lineno, start, lines))
    call_spots = [
        spot
        for rel, name, line, col, lines in calls
        if name in defined and (spot := _spot(rel, "call", name, line, col, lines))
    ]
    return functions, defs, call_spots


def spread(spots: list[Spot], count: int, rng: random.Random) -> list[Spot]:
    """``count`` spots taken from the files in turn, so no one big file dominates."""
    by_file: dict[str, list[Spot]] = defaultdict(list)
    for spot in spots:
        by_file[spot.path].append(spot)
    queues = []
    for path in sorted(by_file):
        group = by_file[path]
        rng.shuffle(group)
        queues.append(group)
    rng.shuffle(queues)
    chosen: list[Spot] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    return chosen


def choose(defs: list[Spot], calls: list[Spot], count: int, seed: int) -> list[Spot]:
    """Half definitions, half call sites (the other kind fills in when one runs out)."""
    rng = random.Random(seed)
    want_defs = min(len(defs), max(count // 2, count - len(calls)))
    chosen = spread(list(defs), want_defs, rng) + spread(list(calls), count - want_defs, rng)
    rng.shuffle(chosen)
    return chosen


# -- the client ----------------------------------------------------------------------


if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout
else:  # Python 3.10: a watchdog that cancels the waiting request

    @contextlib.asynccontextmanager
    async def _timeout(seconds: float):
        task, fired = asyncio.current_task(), []

        def expire() -> None:
            fired.append(True)
            task.cancel()

        handle = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            yield
        except asyncio.CancelledError:
            if fired:
                raise asyncio.TimeoutError from None
            raise
        finally:
            handle.cancel()


CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    text_document=types.TextDocumentClientCapabilities(
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(value_set=list(types.CodeActionKind))
            )
        ),
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
    ),
    workspace=types.WorkspaceClientCapabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
    ),
)


@dataclass
class Peer:
    """One language server over stdio, and what its answers took."""

    name: str
    command: list[str]
    options: dict | None = None
    env: dict[str, str] | None = None
    cwd: str | None = None
    limits: dict[str, int] = field(default_factory=dict)  # request -> first N positions, round 1 only
    client: LanguageClient | None = None
    scan_done: asyncio.Event = field(default_factory=asyncio.Event)
    scan_message: str = ""
    stderr_tail: list[str] = field(default_factory=list)
    version: str = ""
    samples: dict[str, dict[int, list[float]]] = field(  # request -> round -> ms
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    answered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lost: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _tokens: set = field(default_factory=set)
    _drain: asyncio.Task | None = None

    async def start(self, root: Path) -> None:
        client = LanguageClient("kairos-bench", "1")
        self.client = client

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def _create(params: types.WorkDoneProgressCreateParams) -> None:
            self._tokens.add(params.token)

        @client.feature(types.PROGRESS)
        def _progress(params: types.ProgressParams) -> None:
            value = params.value if isinstance(params.value, dict) else {}
            if value.get("kind") == "end" and str(params.token).startswith("kairos-scan"):
                self.scan_message = value.get("message", "")
                self.scan_done.set()

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def _register(params) -> None:
            return None

        for method in (
            types.WINDOW_LOG_MESSAGE,
            types.WINDOW_SHOW_MESSAGE,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            types.TELEMETRY_EVENT,
        ):
            client.feature(method)(lambda params: None)

        await client.start_io(*self.command, env=self.env, cwd=self.cwd)
        self._drain = asyncio.get_running_loop().create_task(self._drain_stderr())
        result = await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    process_id=os.getpid(),
                    root_uri=root.as_uri(),
                    root_path=str(root),
                    workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                    capabilities=CAPABILITIES,
                    initialization_options=self.options,
                )
            ),
            REQUEST_TIMEOUT,
        )
        info = result.server_info
        self.version = f"{info.name} {info.version}" if info else self.name
        if self.name == "jedi":  # it reports jedi's version as its own
            try:
                self.version = (
                    f"jedi-language-server {importlib.metadata.version('jedi-language-server')}"
                    f" (jedi {importlib.metadata.version('jedi')})"
                )
            except importlib.metadata.PackageNotFoundError:
                pass
        client.initialized(types.InitializedParams())

    async def _drain_stderr(self) -> None:
        """Keep the server's stderr pipe from filling up; remember its last lines."""
        process = self.client._server if self.client else None
        if process is None or process.stderr is None:
            return
        while line := await process.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip()
            if PING not in text:
                self.stderr_tail = (self.stderr_tail + [text])[-20:]

    def open(self, root: Path, path: str) -> None:
        file = root / path
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=file.as_uri(), language_id="python", version=1, text=file.read_text(encoding="utf-8")
                )
            )
        )

    def wants(self, request: str, index: int, number: int | None) -> bool:
        """Whether position ``index`` gets ``request`` in round ``number`` (None: the unmeasured pass)."""
        if request not in self.limits:
            return True
        return index < self.limits[request] and number == 0

    def _params(self, root: Path, request: str, spot: Spot):
        document = types.TextDocumentIdentifier(uri=(root / spot.path).as_uri())
        if request == "hover":
            return types.HoverParams(
                text_document=document, position=types.Position(line=spot.line, character=spot.character)
            )
        return types.CodeActionParams(
            text_document=document,
            range=types.Range(
                start=types.Position(line=spot.line, character=spot.start),
                end=types.Position(line=spot.line, character=spot.end),
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )

    async def ask(self, root: Path, request: str, spot: Spot, number: int | None = None) -> object:
        """One request, timed from sending it to having its decoded answer (recorded in round ``number``)."""
        record = number is not None
        if request == "floor":
            send, params = functools.partial(self.client.protocol.send_request_async, PING), None
        else:
            params = self._params(root, request, spot)
            send = (
                self.client.text_document_hover_async
                if request == "hover"
                else self.client.text_document_code_action_async
            )
        start = time.perf_counter()
        try:
            async with _timeout(REQUEST_TIMEOUT):  # no extra task per request, unlike wait_for
                answer = await send(params)
        except JsonRpcMethodNotFound:
            answer = request == "floor"  # the answer the floor expects
            if not answer and record:
                self.lost[request] += 1
                return None
        except Exception as exc:  # noqa: BLE001 - a timeout or an error response: counted, not timed
            if record:
                self.lost[request] += 1
            if isinstance(exc, asyncio.TimeoutError):
                await self._wait_idle()  # the late answer must not delay the next request
            return None
        elapsed = time.perf_counter() - start
        if record:
            self.samples[request][number].append(elapsed * 1000.0)
            if answer:  # a Hover, or a non-empty list of actions
                self.answered[request] += 1
        return answer

    async def _wait_idle(self) -> None:
        """Until the server answers a ping, i.e. has worked through what was queued before it."""
        # the expected method-not-found error, or a dead server
        with contextlib.suppress(Exception):
            async with _timeout(10 * REQUEST_TIMEOUT):
                await self.client.protocol.send_request_async(PING, None)

    async def stop(self) -> None:
        client = self.client
        if client is not None and not client.stopped:
            try:
                await asyncio.wait_for(client.shutdown_async(None), 10)
                client.exit(None)
                await asyncio.wait_for(client.stop(), 10)
            except Exception:  # noqa: BLE001 - a server that will not leave is ended
                process = client._server
                if process is not None and process.returncode is None:
                    process.kill()
                    await process.wait()
        if self._drain is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._drain, 2)


# -- the run --------------------------------------------------------------------------


async def wait_for_kairos(kairos: Peer, root: Path, spots: list[Spot]) -> str:
    """Until the scan has ended and a definition hover answers; then dream once."""
    try:
        await asyncio.wait_for(kairos.scan_done.wait(), SCAN_TIMEOUT)
        how = f"scan ended: {kairos.scan_message}"
    except asyncio.TimeoutError:
        how = f"no $/progress end within {SCAN_TIMEOUT:.0f} s"
    probe = next((s for s in spots if s.kind == "def"), spots[0])
    deadline = time.monotonic() + SCAN_TIMEOUT
    while await kairos.ask(root, "hover", probe) is None:
        if time.monotonic() > deadline:
            how += "; a definition hover still answers nothing"
            break
        await asyncio.sleep(0.2)
    dream = await asyncio.wait_for(
        kairos.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="kairos.dreamNow", arguments=[])
        ),
        SCAN_TIMEOUT,
    )
    if isinstance(dream, dict):
        counts = ", ".join(
            f"{k} {dream[k]:.3g}"
            for k in ("observations", "created", "promoted", "seconds")
            if isinstance(dream.get(k), (int, float))
        )
        how += f"; dreamNow: {counts}"
    return how


async def run(args: argparse.Namespace, root: Path, spots: list[Spot], work: Path) -> list[Peer]:
    checkout = str(args.kairos)  # `python -m` looks in its working directory first
    python_path = os.pathsep.join(filter(None, [checkout, os.environ.get("PYTHONPATH")]))
    peers = [
        Peer(
            "kairos",
            [sys.executable, "-m", "kairos_lsp"],
            options={"dream": {"idleSeconds": 3600}},
            cwd=checkout,
            env={**os.environ, "KAIROS_STORE": str(work / "kairos.db"), "PYTHONPATH": python_path},
        )
    ]
    jedi = shutil.which("jedi-language-server")
    if args.no_jedi:
        pass
    elif jedi is None:
        print(
            "jedi-language-server is not installed: measuring kairos alone "
            "(pip install jedi-language-server to compare)"
        )
    else:
        peers.append(
            Peer("jedi", [jedi], env=dict(os.environ), limits={"codeAction": min(args.jedi_actions, len(spots))})
        )
    kairos = peers[0]
    try:
        for peer in list(peers):
            try:
                await peer.start(root)
            except Exception as exc:  # noqa: BLE001 - say why, then go on without it (or stop)
                await peer.stop()
                tail = "\n  ".join(peer.stderr_tail[-10:])
                print(f"{peer.name} did not start: {exc}" + (f"\n  {tail}" if tail else ""))
                if peer is kairos:
                    raise SystemExit(1) from None
                peers.remove(peer)
        print("servers: " + ", ".join(peer.version for peer in peers))
        for path in sorted({s.path for s in spots}):
            for peer in peers:
                peer.open(root, path)
        started = time.perf_counter()
        print(f"kairos warm-up: {await wait_for_kairos(kairos, root, spots)} ({time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
        for request in REQUESTS:  # every request once, unmeasured
            for index, spot in enumerate(spots):
                for peer in peers:
                    if peer.wants(request, index, None):
                        await peer.ask(root, request, spot)
        print(f"unmeasured pass: {time.perf_counter() - started:.1f} s")
        for number in range(args.rounds):
            order = peers if number % 2 == 0 else peers[::-1]
            spent = []
            for peer in order:  # one server at a time: neither pays for the other's leftover work
                await asyncio.sleep(SETTLE)
                gc.collect()
                gc.disable()
                started = time.perf_counter()
                try:
                    for request in REQUESTS:
                        for index, spot in enumerate(spots):
                            if peer.wants(request, index, number):
                                await peer.ask(root, request, spot, number)
                finally:
                    gc.enable()
                spent.append(f"{peer.name} {time.perf_counter() - started:.1f} s")
            print(f"round {number + 1}/{args.rounds}: {', then '.join(spent)}")
    finally:
        for peer in peers:
            await peer.stop()
            if peer.lost and peer.stderr_tail:  # (without the floor's unknown-method warnings)
                print(f"{peer.name} stderr (last lines):\n  " + "\n  ".join(peer.stderr_tail))
    return peers


# -- the report ------------------------------------------------------------------------


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest rank."""
    if not sorted_ms:
        return math.nan
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def figures(peers: list[Peer]) -> dict:
    out: dict = {}
    for peer in peers:
        for request in REQUESTS:
            if request not in peer.samples and not peer.lost.get(request):
                continue  # never asked
            by_round = peer.samples.get(request, {})
            chunks = [sorted(by_round[n]) for n in sorted(by_round)]
            ordered = sorted(ms for chunk in chunks for ms in chunk)
            row = {"count": len(ordered), "answered": peer.answered[request], "lost": peer.lost[request]}
            row.update({f"p{p}": percentile(ordered, p) for p in (50, 90, 99)})
            row["max"] = ordered[-1] if ordered else math.nan
            # the spread between rounds, to judge repeatability
            row["rounds_p50"] = [percentile(c, 50) for c in chunks if c]
            row["rounds_p99"] = [percentile(c, 99) for c in chunks if c]
            out.setdefault(peer.name, {})[request] = row
    return out


def report(result: dict, meta: dict) -> None:
    kairos, jedi = result.get("kairos", {}), result.get("jedi", {})
    header = f"{'server':8} {'request':11} {'count':>6} {'answered':>9} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}"
    print()
    print(header + "   (ms; per-round p50 / p99)")
    print("-" * len(header))
    for name, rows in result.items():
        for request, row in rows.items():
            print(
                f"{name:8} {request:11} {row['count']:6d} {row['answered']:9d} "
                f"{row['p50']:8.2f} {row['p90']:8.2f} {row['p99']:8.2f} {row['max']:8.2f}   "
                + " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(row["rounds_p50"], row["rounds_p99"]))
                + (f"  ({row['lost']} lost)" if row["lost"] else "")
            )
    if jedi:
        print()
        for request in kairos:
            if request in jedi:
                ratios = [
                    f"{p} {kairos[request][p] / jedi[request][p]:.2f}" for p in ("p50", "p99") if jedi[request][p] > 0
                ]
                few = f"  (jedi: {jedi[request]['count']} samples)" if jedi[request]["count"] < 100 else ""
                print(f"kairos / jedi, {request:10}: " + ", ".join(ratios) + few)
    print()
    for (request, p), limit in TARGETS.items():
        value = kairos.get(request, {}).get(p, math.nan)
        verdict = "PASS" if value <= limit else "FAIL"
        print(f"target: kairos {request:10} {p} <= {limit:4.0f} ms: {value:8.2f} ms  {verdict}")
    meta["targets"] = {
        f"{r} {p}": {
            "limit_ms": v,
            "value_ms": kairos.get(r, {}).get(p),
            "pass": bool(kairos.get(r, {}).get(p, math.inf) <= v),
        }
        for (r, p), v in TARGETS.items()
    }


def _finite(value):
    """NaN (no samples) as null, so the output is strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=400, help="positions to sample (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="seed for choosing the positions")
    parser.add_argument(
        "--source",
        action="append",
        type=Path,
        metavar="DIR",
        help="a source tree to copy into the workspace (repeatable; "
        f"default: the installed {' and '.join(DEFAULT_PACKAGES)} packages)",
    )
    parser.add_argument(
        "--jedi-actions",
        type=int,
        default=10,
        metavar="N",
        help="jedi's codeAction (a reference only: its refactorings take 0.1 s to "
        "tens of seconds each) is sent at the first N positions, in round 1 "
        "only (default 10)",
    )
    parser.add_argument(
        "--kairos",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        metavar="DIR",
        help="the kairos-lsp checkout whose server is measured (default: this one)",
    )
    parser.add_argument("--no-jedi", action="store_true", help="measure kairos alone")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    args = parser.parse_args()
    sources = [s.resolve() for s in args.source] if args.source else [package_dir(n) for n in DEFAULT_PACKAGES]
    for source in sources:
        if not source.is_dir():
            sys.exit(f"bench: {source} is not a directory")
    work = Path(tempfile.mkdtemp(prefix="kairos-bench-hover-"))
    try:
        root = build_workspace(sources, work)
        functions, defs, calls = collect(root)
        files = len(list(root.rglob("*.py")))
        spots = choose(defs, calls, args.positions, args.seed)
        kinds = {k: sum(s.kind == k for s in spots) for k in ("def", "call")}
        print(f"workspace: {', '.join(str(s) for s in sources)}")
        print(
            f"  {files} files, {functions} functions; {len(spots)} positions "
            f"({kinds['def']} definitions, {kinds['call']} call sites) in {len({s.path for s in spots})} files, "
            f"seed {args.seed}"
        )
        print(f"kairos-lsp from {args.kairos}")
        print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
            f"{args.rounds} rounds x {len(spots)} positions x hover + codeAction"
        )
        if functions < 300:
            print(f"warning: only {functions} functions; the target asks for several hundred")
        if not spots:
            sys.exit("bench: no positions found")
        peers = asyncio.run(run(args, root, spots, work))
        result = figures(peers)
        meta = {
            "sources": [str(s) for s in sources],
            "files": files,
            "functions": functions,
            "positions": len(spots),
            "definitions": kinds["def"],
            "calls": kinds["call"],
            "rounds": args.rounds,
            "seed": args.seed,
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "servers": {p.name: p.version for p in peers},
        }
        report(result, meta)
        if args.json:
            print(json.dumps(_finite({**meta, "results": result}), indent=2))
    finally:
        if args.keep:
            print(f"workspace kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
