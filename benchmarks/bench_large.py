"""A large tree end to end: scan, rescan, hovers, dream, hovers again and the server's scan, in one run.

    python benchmarks/bench_large.py [TREE] [--exclude GLOB] [--skip-dream] [--skip-hover] [--skip-server]
                                     [--runs N] [--positions N] [--hover-rounds N] [--seed N]
    python benchmarks/bench_large.py [TREE] --store SCANNED.db --skip-scan ...   # no scan: a store of TREE

TREE defaults to this interpreter's whole library folder (the standard
library with its site-packages: about 19,000 files, 176 MB here; the
standard library alone is that folder with ``--exclude site-packages/``).
Prints, from one run on this machine:

  * the source bytes the scan covers (files in a language kairos reads);
  * the tree-sitter floor (parse plus the tag query, no Python work, on every
    core: what ``bench_floor.py`` measures, here on TREE) and ``ctags -R``;
  * a cold ``kairos scan`` into a fresh store (a command, as users run it):
    time, floor and ctags ratios, peak RSS of the main process and of the
    main process with its workers (sampled from /proc every 50 ms);
  * an unchanged rescan (the same command again);
  * a full ``kairos dream`` (skip it with ``--skip-dream``: minutes on the
    large tree), its time and peak RSS;
  * the store's bytes per source byte, after the scan and after the dream;
  * unless TREE is the standard library alone, the reference issue 13 measures
    two targets against (``--skip-reference``: not measured): the standard
    library (TREE's ``stdlib`` with ``--exclude site-packages/``) scanned into
    its own store, then its full ``kairos dream`` run right before TREE's. The
    store target (at most 2 bytes per source byte after a full dream) is the
    standard library's; the dream target is TREE's dream at most 5 times the
    standard library's, in the same run (``--dream-runs N``: N pairs on fresh
    copies of the scanned stores, the median ratio against the target);
  * ``--rename DIR`` / ``--delete DIR`` (repeatable): the same with a folder of TREE renamed
    (to ``DIR_renamed``) or deleted in one look: every function in it moves, or goes;
  * the real server (``python -m kairos_lsp`` over stdio, driven by pygls'
    LanguageClient) started on TREE with the scanned store (``storePath``),
    before the dream and again after it (``--skip-hover``: neither): the time
    from spawning it to its ``initialize`` answer; the first hover, sent with
    its file's ``didOpen`` right after ``initialized`` (a top-level definition
    of the name called most in the sample), timed from ``initialized``, while
    the server's catch-up scan runs; that scan's time; peak RSS until it
    ended. Then, once the server is quiet, hovers over ``--positions``
    positions chosen (seeded) from half as many sampled files (half function
    definitions, half call sites of names the store defines) plus a quarter as
    many of the 12 names called most in the sample (``join``, ``get``,
    ``append``...): their call sites and definitions, hundreds of callers
    each; ``--hover-rounds`` rounds, the first "cold" (each position's first
    hover), the others "warm"; p50 / p90 / p99 / max of each, against a floor
    measured in the same rounds (a request no server knows: the pipe, JSON-RPC
    and the client); the callers the common names' hovers showed; the slowest
    hovers; then 200 of the positions again, each right after a look at another
    file was written into the store by this process (as the daemon writes
    them: the server's caches must notice, and keep what is still true; the
    file is forgotten again at the end); peak RSS of the whole phase (every
    file with a position is open: hundreds);
  * after the dream, a large change (``--changes N``, default 500; 0: none): the
    source files copied aside with their times, N of them (seeded) given a new
    function each, as a branch switch or a pull brings; then ``kairos scan`` of
    the copy into a copy of the dreamed store, and ``kairos dream``: the time
    and peak RSS of each (the RSS target holds for them too);
  * ``--rename DIR`` / ``--delete DIR`` (repeatable): the same with a folder of TREE renamed
    (to ``DIR_renamed``) or deleted in one look: every function in it moves, or goes;
  * the real server (``python -m kairos_lsp`` over stdio, driven by pygls'
    LanguageClient) scanning TREE into another fresh store: time from
    ``initialized`` to its "scan ..." log line, and peak RSS with its workers;
  * before the dreams (``--skip-server``: not measured), the real server on a copy of the
    scanned store, dreaming once the user is idle (``idleSeconds`` 1): the dream's time, the
    peak RSS of the server and of the server with its children (fork server, resource
    tracker, dream worker), and their RSS 8 s after the dream;

then the figures against issue 13's targets, each marked met or MISSED.
``--runs N`` repeats the floor and the cold scan N times (alternating), to
read the ratio on a noisy machine: the table shows each run, with the CPU
seconds each took (the floor's workers, the scan's process and workers),
which another load on the machine blurs far less than wall time.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import contextlib
import gc
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MB = 1_000_000  # decimal, as the issue counts

# Issue 13's targets.
RSS_TARGET = 300 * MB
FLOOR_TARGET = 1.3
STORE_TARGET = 2.0  # bytes per source byte, the standard library after a full dream
RESCAN_TARGET = 2.0
DREAM_TARGET = 5.0  # the large tree's full dream against the standard library's, in one run
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


# -- peak RSS of a process and its descendants ---------------------------------------------


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
            tree.setdefault(ppid, []).append(int(name))
    return tree


class PeakRSS:
    """Samples the RSS of ``pid`` and of all its descendants every ``every`` seconds in a
    thread: the peak of the process alone, of the sum (workers included), and of any one
    descendant; and the CPU each of them used (:attr:`cpu`). The CPU is read from /proc,
    not from what the waited-for children used: a fork server's workers are not this
    process's children, and their CPU reaches no one this process waits for."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every = pid, every
        self.main = self.total = self.child = 0
        self._cpu: dict[int, float] = {}  # the last CPU seconds seen of each process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> None:
        tree = _children()
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(tree.get(pid, []))
        sizes = [_rss(pid) for pid in pids]
        for pid in pids:
            self._cpu[pid] = max(self._cpu.get(pid, 0.0), _cpu_seconds(pid))
        self.main = max(self.main, sizes[0])
        self.total = max(self.total, sum(sizes))
        self.child = max([self.child, *sizes[1:]])

    def stop(self) -> PeakRSS:
        self._stop.set()
        self._thread.join()
        return self

    @property
    def cpu(self) -> float:
        """CPU seconds of the process and its descendants, as last sampled (a process that
        ended misses at most its last ``every`` seconds)."""
        return sum(self._cpu.values())


def children_cpu() -> float:
    """CPU seconds of the children this process has waited for (their own children included,
    once they were waited for): what a phase costs whatever else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, PeakRSS, str]:
    """Run a command to its end: wall seconds, peak RSS, its standard output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.PIPE)
        peak = PeakRSS(process.pid)
        _, err = process.communicate()
        elapsed = time.perf_counter() - start
        peak.stop()
        if process.returncode != 0:
            sys.exit(f"bench: {' '.join(command)} failed ({process.returncode}): {err.decode()[-2000:]}")
        out.seek(0)
        return elapsed, peak, out.read().decode()


# -- the floor and ctags ------------------------------------------------------------------


def source_files(tree: Path, exclude: tuple[str, ...] = ()) -> list[tuple[str, str, int]]:
    """(path, language, bytes) of what a scan reads: known languages, .gitignore honoured,
    not larger than the scan's limit."""
    from kairos_lsp.config import Settings
    from kairos_lsp.languages import language_for_path
    from kairos_lsp.scan import iter_source_files

    limit = Settings().max_file_bytes
    found = []
    for rel in iter_source_files(tree, exclude):
        size = os.path.getsize(tree / rel)
        spec = language_for_path(rel)
        if size <= limit and spec is not None:
            found.append((rel, spec.name, size))
    return found


def usable_sources(root: str, files: list[tuple[str, str, int]]) -> Iterator[tuple[bytes, str]]:
    """Each file's bytes and language, for the files a scan would read (what ``unusable``
    turns down it skips too)."""
    from kairos_lsp.observe import unusable

    for rel, language, _ in files:
        with open(os.path.join(root, rel), "rb") as handle:
            data = handle.read()
        if not unusable(data):
            yield data, language


def floor_chunk(args: tuple[str, list[tuple[str, str, int]]]) -> int:
    """Parse plus tag query of some files of a tree, no Python work on the results; the matches."""
    from tree_sitter import QueryCursor

    from kairos_lsp.extract import _prepared_query, parse

    matches = 0
    for data, language in usable_sources(*args):
        tree = parse(data, language)
        matches += len(QueryCursor(_prepared_query(language)[0]).matches(tree.root_node))
    return matches


def floor(tree: Path, files: list[tuple[str, str, int]]) -> float:
    """Parse plus tag query of every file on every core, no Python work on the results."""
    chunks = [(str(tree), files[i : i + 32]) for i in range(0, len(files), 32)]
    start = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(floor_chunk, chunks))
    return time.perf_counter() - start


def ctags(tree: Path, work: Path, exclude: tuple[str, ...] = ()) -> float | None:
    if not shutil.which("ctags"):
        return None
    start = time.perf_counter()
    subprocess.run(
        [
            "ctags",
            "-R",
            "--exclude=.kairos",
            *(f"--exclude={glob.strip('/')}" for glob in exclude),
            "-f",
            str(work / "tags"),
            str(tree),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


# -- the server ---------------------------------------------------------------------------


def _client(ended, starts: tuple[str, ...] = ("kairos: scan ",)):
    """A pygls client that calls ``ended(line)`` on the server's first log line that starts with
    one of ``starts`` (or says the scan or the dream failed)."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("bench-large", "1")

    @client.feature("kairos/status")
    def _status(params: object) -> None:
        pass

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def _log(params: types.LogMessageParams) -> None:
        text = params.message
        if text.startswith(starts) or "scan failed" in text or "the dream failed" in text:
            ended(text)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _shown(params: types.ShowMessageParams) -> None:
        # an error on screen (a store written by a newer kairos: "memory disabled") means no
        # scan will end: the phase stops with it, where it waited an hour for the scan before
        if params.type == types.MessageType.Error:
            ended(f"{SERVER_ERROR}{params.message}")

    return client


SERVER_ERROR = "error on screen: "


def _unless_failed(line: str) -> str:
    """``line``, unless it is an error the server showed: then the benchmark stops with it."""
    if line.startswith(SERVER_ERROR):
        raise SystemExit(f"bench_large.py: the server showed an error: {line.removeprefix(SERVER_ERROR)}")
    return line


def _failed(scanned: asyncio.Future) -> bool:
    """Whether the server showed an error in place of ending its scan (see :func:`_client`)."""
    return scanned.done() and scanned.result()[1].startswith(SERVER_ERROR)


async def server_until(
    tree: Path, store: Path, env: dict[str, str], options: dict, starts: tuple[str, ...], settle: float = 0.0
) -> tuple[float, PeakRSS, str, int]:
    """Start the real server on ``tree`` with ``store`` and wait for its log line that starts with
    one of ``starts``: the time from ``initialized``, the peak RSS until then, the line, and the
    RSS of the server with its children ``settle`` seconds after it."""
    from lsprotocol import types

    done: asyncio.Future = asyncio.get_running_loop().create_future()
    client = _client(lambda text: done.done() or done.set_result(text), starts)

    await client.start_io(sys.executable, "-m", "kairos_lsp", env={**env, "KAIROS_STORE": str(store)}, cwd=str(REPO))
    server = client._server  # the server's process: its RSS and its workers'
    assert server is not None and server.stderr is not None
    drain = asyncio.create_task(server.stderr.read())  # never let its stderr pipe fill up
    peak = PeakRSS(server.pid)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=tree.as_uri(), initialization_options=options
        )
    )
    start = time.perf_counter()
    client.initialized(types.InitializedParams())
    line = _unless_failed(await asyncio.wait_for(done, timeout=3600))
    elapsed = time.perf_counter() - start
    peak.stop()
    after = 0
    if settle:
        await asyncio.sleep(settle)
        probe = PeakRSS(server.pid, every=3600).stop()
        probe.sample()  # (now, whether or not its thread sampled as it started)
        after = probe.total
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return elapsed, peak, line, after


async def server_scan(
    tree: Path, store: Path, env: dict[str, str], exclude: tuple[str, ...] = ()
) -> tuple[float, PeakRSS, str]:
    """Start the real server on ``tree`` with a fresh store and wait for its scan's log line."""
    options = {"dream": {"idleSeconds": 3600}, "exclude": list(exclude)}
    elapsed, peak, line, _ = await server_until(tree, store, env, options, ("kairos: scan ",))
    return elapsed, peak, line


SERVER_SETTLE = 8.0  # seconds after the server's dream when its RSS is read again


def server_dream_phase(tree, work, db, env, exclude, rows, misses) -> None:
    """The real server on a copy of the scanned store: its first dream, once the user is idle
    (``idleSeconds`` 1), with the peak RSS of the server and its children, and their RSS
    :data:`SERVER_SETTLE` seconds after."""
    copy = work / "server-dream.db"
    copy_store(db, copy)
    options = {"dream": {"idleSeconds": 1}, "exclude": list(exclude)}
    elapsed, peak, line, after = asyncio.run(
        server_until(tree, copy, env, options, ("kairos: dream #",), settle=SERVER_SETTLE)
    )
    took = re.search(r" in (\d+) ms", line)
    rows.append(
        (
            "the server's first dream",
            f"{int(took[1]) / 1000:.1f} s" if took else "?",
            f"{mb(peak.main)} / {mb(peak.total)}",
            f"{elapsed:.1f} s from initialized to its end; {mb(after)} with its children {SERVER_SETTLE:g} s after",
        )
    )
    if "failed" in line:
        misses.append(f"the server's dream: {line}")
    if peak.total > RSS_TARGET:
        misses.append(f"the server's dream: peak RSS {mb(peak.main)} / {mb(peak.total)}, target <= {mb(RSS_TARGET)}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)


# -- the server on a scanned store: first hover, hover latency ------------------------------

COMMON_NAMES = 12  # the most called names of the sampled files: their call sites and definitions
HOVER_TARGET_MS = 10.0  # issue 13: hover p99 on the large store
FIRST_HOVER_TARGET_S = 1.0  # issue 13: the first hover, from ``initialized``
_CALLED_BY = re.compile(r"\*\*called by\*\* (\d+)(\+?)")


def hover_positions(tree: Path, files: list[tuple[str, str, int]], store: Path, count: int, seed: int) -> dict:
    """Positions to hover, chosen (seeded) from a sample of the tree's Python files:

    * ``all``: half function names in definitions, half called names at call sites of names
      the store defines, spread over the files (as ``bench_hover.py`` picks them);
    * ``common``: call sites and definitions of the names called most often in the sample
      (``join``, ``get``, ``append``, ``__init__``...), with the top-level definitions of
      those names anywhere in the store (``posixpath.join``): hundreds of call sites each.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_hover import Spot, _spot, choose, spread

    rng = random.Random(seed)
    python = sorted(rel for rel, language, _ in files if language == "python")
    sample = rng.sample(python, min(len(python), max(count // 2, 100)))
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        defined = {name for (name,) in db.execute("SELECT DISTINCT name FROM symbols")}
    defs: list[Spot] = []
    calls: list[Spot] = []
    called: collections.Counter[str] = collections.Counter()

    def read(rel: str) -> None:
        try:
            source = (tree / rel).read_text(encoding="utf-8")
            parsed = ast.parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            return
        lines = re.split(r"\r\n|\r|\n", source)
        for node in ast.walk(parsed):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found = re.compile(rb"(?:async\s+)?def\s+(" + re.escape(node.name.encode()) + rb")\b").match(
                    lines[node.lineno - 1].encode("utf-8"), node.col_offset
                )
                if found and (spot := _spot(rel, "def", node.name, node.lineno, found.start(1), lines)):
                    defs.append(spot)
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    name, line, col = func.id, func.lineno, func.col_offset
                elif isinstance(func, ast.Attribute) and func.end_lineno is not None and func.end_col_offset:
                    name, line = func.attr, func.end_lineno
                    col = func.end_col_offset - len(func.attr.encode("utf-8"))
                else:
                    continue
                if name in defined and (spot := _spot(rel, "call", name, line, col, lines)):
                    calls.append(spot)
                    called[name] += 1

    for rel in sample:
        read(rel)
    common = {name for name, _ in called.most_common(COMMON_NAMES)}
    extra: list[str] = []
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        for name in sorted(common):
            extra += [
                path
                for (path,) in db.execute(
                    "SELECT path FROM symbols WHERE name = ? AND qualname = name AND path LIKE '%.py' "
                    "ORDER BY path LIMIT 5",
                    (name,),
                )
                if path not in sample and (tree / path).is_file()
            ]
    before, calls_before = len(defs), len(calls)
    for rel in sorted(set(extra)):
        read(rel)
    chosen = choose(defs[:before], calls[:calls_before], count, seed)
    common_defs = [d for d in defs if d.name in common]
    common_calls = [c for c in calls if c.name in common]
    # every top-level definition of a common name outside the sample (posixpath.join...), then a spread
    heavy = sorted((d for d in defs[before:] if d.name in common), key=lambda d: (-called[d.name], d.path))
    want = max(count // 4, 20)
    picked = heavy + spread([d for d in common_defs if d not in heavy], max(0, want // 2 - len(heavy)), rng)
    picked += spread(common_calls, want - len(picked), rng)
    rng.shuffle(picked)
    first = heavy[0] if heavy else next((d for d in picked if d.kind == "def"), chosen[0])
    return {"all": chosen, "common": picked, "first": first, "names": sorted(common), "sampled": len(sample)}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def _settle(pid: int, quiet: float = 0.05, window: float = 1.0, limit: float = 300.0) -> float:
    """Until the server spends less than ``quiet`` of a core over ``window`` seconds (its checks
    of the files just opened are done): the seconds it took."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        before = _cpu_seconds(pid)
        await asyncio.sleep(window)
        if _cpu_seconds(pid) - before < quiet * window:
            break
    return time.perf_counter() - start


def _nearest(ordered: list[float], p: float) -> float:
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


async def server_hover(
    tree: Path, store: Path, env: dict[str, str], positions: dict, rounds: int, exclude: tuple[str, ...] = ()
) -> dict:
    """The real server started on ``tree`` with ``store`` (already scanned), as an editor starts
    it: the first hover sent right after ``initialized`` (and its file's ``didOpen``), then, once
    its catch-up scan ended and it is quiet, every position hovered ``rounds`` times (the first
    round is each hover's first: cold), with a round trip the server does no work for (an
    unknown method) as the floor, in the same rounds."""
    from lsprotocol import types
    from pygls.exceptions import JsonRpcMethodNotFound

    scanned: asyncio.Future = asyncio.get_running_loop().create_future()
    client = _client(lambda text: scanned.done() or scanned.set_result((time.perf_counter(), text)))

    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: None)

    marker = Path(f"{store}.checked")
    check_due = not marker.exists() or time.time() - marker.stat().st_mtime > 24 * 3600
    spawned = time.perf_counter()
    await client.start_io(sys.executable, "-m", "kairos_lsp", env=env, cwd=str(REPO))
    server = client._server
    assert server is not None and server.stderr is not None
    drain = asyncio.create_task(server.stderr.read())
    peak = PeakRSS(server.pid)
    opened: set[str] = set()

    def open_file(rel: str) -> None:
        if rel not in opened:
            opened.add(rel)
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=(tree / rel).as_uri(),
                        language_id="python",
                        version=1,
                        text=(tree / rel).read_text(encoding="utf-8"),
                    )
                )
            )

    async def hover(spot) -> tuple[float, str | None]:
        params = types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=(tree / spot.path).as_uri()),
            position=types.Position(line=spot.line, character=spot.character),
        )
        start = time.perf_counter()
        answer = await asyncio.wait_for(client.text_document_hover_async(params), 120)
        elapsed = (time.perf_counter() - start) * 1000
        return elapsed, answer.contents.value if answer is not None else None

    async def ping() -> float:
        start = time.perf_counter()
        with contextlib.suppress(JsonRpcMethodNotFound):
            await asyncio.wait_for(client.protocol.send_request_async("kairosBench/ping", None), 120)
        return (time.perf_counter() - start) * 1000

    out: dict = {"check_due": check_due}
    try:
        await client.initialize_async(
            types.InitializeParams(
                process_id=os.getpid(),
                capabilities=types.ClientCapabilities(
                    window=types.WindowClientCapabilities(work_done_progress=False),
                    text_document=types.TextDocumentClientCapabilities(
                        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown])
                    ),
                ),
                root_uri=tree.as_uri(),
                initialization_options={
                    "dream": {"idleSeconds": 3600},
                    "exclude": list(exclude),
                    "storePath": str(store),
                },
            )
        )
        out["initialize_s"] = time.perf_counter() - spawned
        # The first hover: a definition of the most called name, as a restored editor session asks.
        first = positions["first"]
        start = time.perf_counter()
        client.initialized(types.InitializedParams())
        open_file(first.path)
        ms, text = await hover(first)
        out["first"] = {
            "spot": f"{first.path}:{first.line + 1} {first.name}",
            "ms": (time.perf_counter() - start) * 1000,
        }
        out["first"]["answered"] = text is not None
        out["first"]["callers"] = _CALLED_BY.search(text).group(1, 2) if text and _CALLED_BY.search(text) else None
        while text is None and time.perf_counter() - start < 60 and not _failed(scanned):
            await asyncio.sleep(0.05)
            _, text = await hover(first)
        out["first"]["answered_ms"] = (time.perf_counter() - start) * 1000 if text is not None else None
        scan_at, line = await asyncio.wait_for(scanned, 3600)
        _unless_failed(line)
        out["scan"] = {"s": scan_at - start, "line": line.removeprefix("kairos: ")}
        out["first_phase_rss"] = (peak.main, peak.total)
        for spot in positions["all"] + positions["common"]:
            open_file(spot.path)
        await ping()
        out["settle_s"] = await _settle(server.pid)
        samples: dict[str, list[list[float]]] = {"floor": [], "all": [], "common": []}
        shown: list[tuple[int, bool]] = []  # the common names' "called by" counts
        slowest: list[tuple[float, int, str]] = []
        answered = {"all": 0, "common": 0}
        for number in range(rounds):
            await asyncio.sleep(1.0)
            gc.collect()
            gc.disable()
            try:
                samples["floor"].append([await ping() for _ in range(len(positions["all"]))])
                for group in ("all", "common"):
                    times = []
                    for spot in positions[group]:
                        ms, text = await hover(spot)
                        times.append(ms)
                        slowest.append((ms, number + 1, f"{spot.path}:{spot.line + 1}:{spot.character} {spot.name}"))
                        if number == 0 and text is not None:
                            answered[group] += 1
                            if group == "common" and (found := _CALLED_BY.search(text)):
                                shown.append((int(found.group(1)), found.group(2) == "+"))
                    samples[group].append(times)
            finally:
                gc.enable()
        samples["after"] = [await _after_looks_elsewhere(store, positions["all"][:AFTER_LOOKS], hover)]
        out["samples"], out["answered"], out["callers_shown"] = samples, answered, shown
        out["rss"], out["open_files"] = (peak.main, peak.total), len(opened)
        out["slowest"] = sorted(slowest, reverse=True)[:8]
    finally:
        peak.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_async(None), 30)
            client.exit(None)
            await asyncio.wait_for(client.stop(), 30)
        if server.returncode is None:
            server.kill()
        drain.cancel()
    return out


AFTER_LOOKS = 200  # hovers, each after a look at another file written into the store
SCRATCH = "kairos-bench-scratch.py"  # that file (in the store only; forgotten at the end)


async def _after_looks_elsewhere(store: Path, spots: list, hover) -> list[float]:
    """Hover ``spots`` again (warm), each right after a look at another file was written into
    the store by another process, as the daemon or a second editor writes them: what a user
    sees while the memory keeps learning. The scratch file is forgotten again at the end."""
    from kairos_lsp.extract import extract_source
    from kairos_lsp.scan import record_buffer
    from kairos_lsp.store import Store

    writer = Store(store)
    times = []
    try:
        for n, spot in enumerate(spots):
            data = f"def scratch_{n}(x):\n    return x + {n}\n".encode()
            record_buffer(writer, SCRATCH, "python", data, extract_source(data, "python"))
            times.append((await hover(spot))[0])
        subjects, path = writer.subjects_to_forget(SCRATCH)
        writer.forget(subjects, path, ())
    finally:
        writer.close()
    return times


def hover_rows(label: str, result: dict, rows: list, misses: list[str]) -> None:
    """Rows of the table, and what misses the targets, from :func:`server_hover`."""
    first = result["first"]
    rss = f"{mb(result['rss'][0])} / {mb(result['rss'][1])}"
    note = "; the store's daily integrity check was due" if result["check_due"] else ""
    rows.append((f"server on the {label} store: initialize", f"{result['initialize_s'] * 1000:.0f} ms", "", note[2:]))
    callers = first["callers"]
    rows.append(
        (
            "  first hover after initialized",
            f"{first['ms']:.0f} ms",
            f"{mb(result['first_phase_rss'][0])} / {mb(result['first_phase_rss'][1])}",
            f"{first['spot']}: "
            + ("answered" if first["answered"] else f"null (answered at {first['answered_ms'] or math.nan:.0f} ms)")
            + (f", called by {callers[0]}{callers[1]}" if callers else ""),
        )
    )
    rows.append(("  its catch-up scan", f"{result['scan']['s']:.2f} s", "", result["scan"]["line"][:60]))
    if first["ms"] > FIRST_HOVER_TARGET_S * 1000 or not first["answered"]:
        misses.append(
            f"{label} store: first hover {first['ms']:.0f} ms after initialized"
            + ("" if first["answered"] else " (and it answered nothing)")
            + f", target <= {FIRST_HOVER_TARGET_S * 1000:.0f} ms"
        )
    floor = sorted(ms for chunk in result["samples"]["floor"] for ms in chunk)
    samples = result["samples"]
    series = [  # (name, which, its rounds, answered out of how many: the cold round's)
        (name, which, picked, f"; {result['answered'][group]}/{len(samples[group][0])} answered" if cold else "")
        for group, name in (("all", "hover"), ("common", "hover, common names"))
        for which, picked, cold in (("cold", samples[group][:1], True), ("warm", samples[group][1:], False))
    ]
    series.append(("hover", "after a look elsewhere", samples["after"], ""))
    for name, which, picked, answered in series:
        ordered = sorted(ms for chunk in picked for ms in chunk)
        if not ordered:
            continue
        p50, p99 = _nearest(ordered, 50), _nearest(ordered, 99)
        rows.append(
            (
                f"  {name}, {which} ({len(ordered)})",
                f"p50 {p50:.2f} ms",
                "",
                f"p90 {_nearest(ordered, 90):.2f}, p99 {p99:.2f}, max {ordered[-1]:.2f} ms; "
                f"p99 {p99 / HOVER_TARGET_MS:.2f} x target{answered}",
            )
        )
        if p99 > HOVER_TARGET_MS:
            misses.append(f"{label} store: {name} p99 {p99:.1f} ms ({which}), target <= {HOVER_TARGET_MS:.0f} ms")
    shown = result["callers_shown"]
    if shown:
        counts = sorted(n for n, _ in shown)
        rows.append(
            (
                "  common names: callers shown",
                "",
                "",
                f"{len(shown)} hovers: median {counts[len(counts) // 2]}, max {counts[-1]}, "
                f"{sum(more for _, more in shown)} with more unexamined",
            )
        )
    rows.append(
        (
            "  floor (unknown method)",
            f"p50 {_nearest(floor, 50):.2f} ms",
            rss,
            f"p99 {_nearest(floor, 99):.2f} ms; peak RSS: the whole phase, {result['open_files']} files open",
        )
    )
    rows.append(
        (
            "  slowest hovers",
            "",
            "",
            "; ".join(f"{ms:.0f} ms (round {number}) {where}" for ms, number, where in result["slowest"][:5]),
        )
    )
    first_rss = result["first_phase_rss"]
    if first_rss[1] > RSS_TARGET:
        misses.append(
            f"{label} store: server peak RSS until its catch-up scan ended {mb(first_rss[0])} / {mb(first_rss[1])}, "
            f"target <= {mb(RSS_TARGET)}"
        )


# -- the run ------------------------------------------------------------------------------


def store_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


def fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".checked"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def mb(value: int) -> str:
    return f"{value / MB:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--runs", type=int, default=1, help="floor and cold scan, alternating (default 1)")
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="a store that already holds a scan of TREE, used instead of scanning one (needs --skip-scan); "
        "the dream phase writes into it",
    )
    parser.add_argument("--skip-scan", action="store_true", help="no floor, ctags or scan phases (with --store)")
    parser.add_argument("--skip-dream", action="store_true")
    parser.add_argument(
        "--skip-reference", action="store_true", help="no standard-library scan and dream to measure the dream against"
    )
    parser.add_argument(
        "--dream-runs", type=int, default=1, help="pairs of full dreams, standard library then TREE (default 1)"
    )
    parser.add_argument("--skip-hover", action="store_true", help="no hover phases (the server on the scanned store)")
    parser.add_argument("--skip-server", action="store_true", help="no server scanning a fresh store")
    parser.add_argument("--positions", type=int, default=600, help="hover positions (default 600; + a quarter)")
    parser.add_argument("--hover-rounds", type=int, default=3, help="rounds over the positions (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="seed for choosing the positions")
    parser.add_argument("--exclude", metavar="GLOB", action="append", default=[], help="as kairos scan's (repeatable)")
    parser.add_argument("--keep", metavar="DIR", help="keep the stores in DIR (default: a temporary folder)")
    parser.add_argument(
        "--changes", type=int, default=500, help="files changed after the dream, then scanned and dreamed (default 500)"
    )
    parser.add_argument(
        "--rename",
        metavar="DIR",
        action="append",
        default=[],
        help="after the dream, a folder of TREE renamed in one look, then scanned and dreamed (repeatable; "
        "site-packages: minutes)",
    )
    parser.add_argument(
        "--delete", metavar="DIR", action="append", default=[], help="the same with the folder deleted (repeatable)"
    )
    args = parser.parse_args()
    for folder in [*args.rename, *args.delete]:
        if not (Path(args.tree) / folder).is_dir():
            parser.error(f"--rename / --delete: no folder {folder} in {args.tree}")
    if args.store and not args.skip_scan:
        parser.error("--store names a scanned store to use: add --skip-scan (a scan would start it afresh)")
    if args.skip_scan and not args.store:
        parser.error("--skip-scan needs --store (a store that holds a scan of TREE)")
    tree = Path(args.tree).resolve()
    work = Path(args.keep or tempfile.mkdtemp(prefix="kairos-large-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    kairos = [sys.executable, "-m", "kairos_lsp.cli"]
    db = Path(args.store).resolve() if args.store else work / "memory.db"
    if args.store and not db.is_file():
        parser.error(f"--store: no such file: {db}")

    exclude = tuple(args.exclude)
    files = source_files(tree, exclude)
    skip = [part for glob in exclude for part in ("--exclude", glob)]
    source = sum(size for _, _, size in files)
    python = sys.version.split()[0]
    print(f"tree: {tree}: {len(files):,} source files, {mb(source)}; {os.cpu_count()} cores, Python {python}")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows: list[tuple[str, str, str, str]] = []  # (phase, time, peak RSS main / with workers, other)
    misses: list[str] = []

    if not args.skip_scan:
        scan_phases(args, tree, work, db, env, kairos, files, source, exclude, skip, rows, misses)
    else:
        stored = store_bytes(db)
        rows.append(
            ("store given (--store)", "", "", f"{db}: {mb(stored)}, {stored / source:.2f} bytes per source byte")
        )
        misses.append("floor, cold scan and rescan: not measured (--skip-scan)")

    positions = None
    if not args.skip_hover:
        started = time.perf_counter()
        positions = hover_positions(tree, files, db, args.positions, args.seed)
        print(
            f"hover positions: {len(positions['all'])} (from {positions['sampled']} sampled files, seed {args.seed}) "
            f"and {len(positions['common'])} of the {COMMON_NAMES} most called names "
            f"({', '.join(positions['names'])}), chosen in {time.perf_counter() - started:.0f} s"
        )
        hover_phase(tree, db, env, positions, args.hover_rounds, exclude, rows, misses)

    if not args.skip_dream:
        dream_phases(args, tree, work, db, env, kairos, exclude, source, rows, misses)
        if positions is not None:
            hover_phase(tree, db, env, positions, args.hover_rounds, exclude, rows, misses)
    else:
        misses.append("store after the dream, the dream ratio and dream RSS: not measured (--skip-dream)")
    if args.changes:  # (on a store given and never dreamed, the dream after the change is its first)
        change_phases(tree, work, db, env, kairos, files, skip, args.changes, args.seed, rows, misses)
    if args.rename or args.delete:
        folder_phases(tree, work, db, env, kairos, files, skip, args.rename, args.delete, rows, misses)

    if not args.skip_server:
        server_db = work / "server.db"
        fresh(server_db)
        server_s, server_peak, line = asyncio.run(server_scan(tree, server_db, env, exclude))
        server_rss = f"{mb(server_peak.main)} / {mb(server_peak.total)}"
        rows.append(("server scanning", f"{server_s:.2f} s", server_rss, line.removeprefix("kairos: ")[:60]))
        if server_peak.total > RSS_TARGET:
            misses.append(
                f"server peak RSS while it scans {mb(server_peak.main)} / {mb(server_peak.total)}, "
                f"target <= {mb(RSS_TARGET)}"
            )
    else:
        misses.append("server RSS while it scans: not measured (--skip-server)")

    header = ("phase", "time", "peak RSS main / with workers", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print()
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if misses:
        print("targets missed (issue 13):")
        for miss in misses:
            print(f"  - {miss}")
    else:
        print("every target of issue 13 measured here is met")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def dream_phases(args, tree, work, db, env, kairos, exclude, source, rows, misses) -> None:
    """Full dreams of TREE and, unless TREE is the standard library alone, of the standard
    library right before it (each pair on fresh copies of the scanned stores but the last,
    which dreams TREE's store itself for the hover phase after it); the stores' sizes after."""
    alone = tree == STDLIB and any(glob.strip("/") == "site-packages" for glob in exclude)
    if not args.skip_server:
        server_dream_phase(tree, work, db, env, exclude, rows, misses)
    std = None if alone or args.skip_reference else reference_scan(work, env, kairos, rows)
    ratios: list[float] = []
    for run in range(args.dream_runs):
        last = run == args.dream_runs - 1
        std_s = None
        if std is not None:
            std_db = work / "stdlib-dreamed.db"
            copy_store(std[0], std_db)
            std_s, std_peak, _ = run_measured([*kairos, "dream", "--store", str(std_db), "--root", str(STDLIB)], env)
            std_dreamed = store_bytes(std_db)
            rows.append(
                (
                    "standard library: kairos dream",
                    f"{std_s:.2f} s",
                    f"{mb(std_peak.main)} / {mb(std_peak.total)}",
                    f"run {run + 1}; store after it {mb(std_dreamed)}, "
                    f"{std_dreamed / std[1]:.2f} bytes per source byte",
                )
            )
        target = db if last else work / "dream-run.db"
        if not last:
            copy_store(db, target)
        dream_s, dream_peak, _ = run_measured([*kairos, "dream", "--store", str(target), "--root", str(tree)], env)
        versus = ""
        if std_s is not None:
            ratios.append(dream_s / std_s)
            versus = f"run {run + 1}; {dream_s / std_s:.2f} x the standard library's"
        peak_rss = f"{mb(dream_peak.main)} / {mb(dream_peak.total)}"
        rows.append(("kairos dream, full", f"{dream_s:.1f} s", peak_rss, versus))
        if dream_peak.total > RSS_TARGET:
            misses.append(f"dream peak RSS {mb(dream_peak.main)} / {mb(dream_peak.total)}, target <= {mb(RSS_TARGET)}")
    dreamed = store_bytes(db)
    rows.append(("store after the dream", "", "", f"{mb(dreamed)}, {dreamed / source:.2f} bytes per source byte"))
    if alone:  # the tree is the standard library: the store target is its own
        if dreamed > STORE_TARGET * source:
            misses.append(f"store after the dream {dreamed / source:.2f} x the source, target <= {STORE_TARGET}")
    elif std is None:
        misses.append("standard library's store after a dream, dream ratio: not measured (--skip-reference)")
    else:
        if std_dreamed > STORE_TARGET * std[1]:
            misses.append(
                f"standard library's store after the dream {std_dreamed / std[1]:.2f} x its source, "
                f"target <= {STORE_TARGET}"
            )
        ratio = sorted(ratios)[len(ratios) // 2]
        if ratio > DREAM_TARGET:
            each = ", ".join(f"{r:.2f}" for r in ratios)
            misses.append(
                f"full dream {ratio:.2f} x the standard library's (median of {len(ratios)}: {each}), "
                f"target <= {DREAM_TARGET}"
            )


def change_phases(tree, work, db, env, kairos, files, skip, count, seed, rows, misses) -> None:
    """A large change after a full dream: TREE's source files copied aside (their times
    kept, so the memory's stat of each still holds), ``count`` of them given one new
    function each; then a scan of the copy and a dream, into a copy of the dreamed store."""
    python = sorted(rel for rel, language, _ in files if language == "python")
    chosen = random.Random(seed).sample(python, min(count, len(python)))

    def change(copy: Path) -> None:
        for n, rel in enumerate(chosen):
            with open(copy / rel, "a", encoding="utf-8") as handle:
                handle.write(f"\n\ndef kairos_bench_changed_{n}(value):\n    return value\n")

    measure_change(f"{len(chosen)} files changed", change, tree, work, db, env, kairos, files, skip, rows, misses)


def folder_phases(tree, work, db, env, kairos, files, skip, renamed, deleted, rows, misses) -> None:
    """A folder of TREE renamed (``renamed``, to the same name with ``_renamed``), or
    deleted, in one look after a full dream (as a refactoring or a branch switch does):
    every function in it moves, or goes. Each on its own copy of the tree and store."""
    for folder in renamed:
        source = Path(folder.strip("/"))

        def rename(copy: Path, source: Path = source) -> None:
            (copy / source).rename(copy / source.with_name(f"{source.name}_renamed"))

        measure_change(f"{source} renamed", rename, tree, work, db, env, kairos, files, skip, rows, misses)
    for folder in deleted:
        source = Path(folder.strip("/"))

        def delete(copy: Path, source: Path = source) -> None:
            shutil.rmtree(copy / source)

        measure_change(f"{source} deleted", delete, tree, work, db, env, kairos, files, skip, rows, misses)


def measure_change(label, change, tree, work, db, env, kairos, files, skip, rows, misses) -> None:
    """TREE's source files copied aside (their times kept, so the memory's stat of each
    still holds), ``change`` made to the copy; then ``kairos scan`` of the copy into a copy
    of the store and ``kairos dream``: the time and peak RSS of each (the RSS target holds
    for them too)."""
    copy = work / "changed-tree"
    shutil.rmtree(copy, ignore_errors=True)
    for rel, _, _ in files:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / rel, copy / rel)
    change(copy)
    changed_db = work / "changed.db"
    copy_store(db, changed_db)
    for phase, command in (
        ("kairos scan", [*kairos, "scan", "-q", *skip, "--store", str(changed_db), str(copy)]),
        ("kairos dream", [*kairos, "dream", "--store", str(changed_db), "--root", str(copy)]),
    ):
        seconds, peak, out = run_measured(command, env)
        summary = out.strip().splitlines()[0][:60] if out.strip() else ""
        rows.append((f"{label}: {phase}", f"{seconds:.2f} s", f"{mb(peak.main)} / {mb(peak.total)}", summary))
        if peak.total > RSS_TARGET:
            misses.append(
                f"{phase} after {label}: peak RSS {mb(peak.main)} / {mb(peak.total)}, target <= {mb(RSS_TARGET)}"
            )
    shutil.rmtree(copy, ignore_errors=True)


def reference_scan(work: Path, env: dict[str, str], kairos: list[str], rows: list) -> tuple[Path, int]:
    """The standard library alone scanned into a store of its own: the store and the source
    bytes it covers."""
    exclude = ("site-packages/",)
    std_source = sum(size for _, _, size in source_files(STDLIB, exclude))
    std_db = work / "stdlib.db"
    fresh(std_db)
    command = [*kairos, "scan", "-q", "--exclude", exclude[0], "--store", str(std_db), str(STDLIB)]
    scan_s, _, _ = run_measured(command, env)
    rows.append(("standard library: kairos scan", f"{scan_s:.2f} s", "", f"{STDLIB}, {mb(std_source)} of source"))
    return std_db, std_source


def copy_store(db: Path, to: Path) -> None:
    """A copy of a store no process has open: its WAL too, if any, and the mark of its last
    integrity check (without it, opening the copy would check it again, as a new file).

    Copied by ``cp``, never by this process: a descriptor of the memory opened and closed
    here, outside SQLite, drops every POSIX lock this process's SQLite connections hold on
    it, and a SQLite that believes it still holds them lets another process reset the WAL
    under it. This benchmark's own connections (its read-only looks, its writer of looks)
    then corrupted the large tree's memory in the hover phase after the dreams: a page of
    the names' index in page 1, rows of the wrong table in ``attention``."""
    fresh(to)
    for suffix in ("", "-wal", ".checked"):
        if Path(f"{db}{suffix}").exists():
            subprocess.run(["cp", "-p", f"{db}{suffix}", f"{to}{suffix}"], check=True)


def hover_phase(
    tree: Path,
    db: Path,
    env: dict[str, str],
    positions: dict,
    rounds: int,
    exclude: tuple[str, ...],
    rows: list,
    misses: list[str],
) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        dreamed = conn.execute("SELECT count(*) FROM dreams WHERE observations > 0").fetchone()[0] > 0
    label = "dreamed" if dreamed else "scan-only"
    result = asyncio.run(server_hover(tree, db, env, positions, rounds, exclude))
    hover_rows(label, result, rows, misses)
    check_row(label, tree, db, positions, rows)


def check_row(label: str, tree: Path, db: Path, positions: dict, rows: list) -> None:
    """The checks the server runs on a file after an edit (its diagnostics: ``check_file``), on
    each file of the hover sample, against the floor of parsing it: p50 / p99 / slowest, with a
    fresh memory (the first check of each file) and again."""
    from kairos_lsp.checks import check_file
    from kairos_lsp.extract import parse
    from kairos_lsp.knowledge import Knowledge
    from kairos_lsp.store import Store

    paths = sorted({spot.path for group in ("all", "common") for spot in positions[group]})
    times: dict[str, list[float]] = {"parse": [], "first": [], "again": []}
    store = Store(db)
    try:
        knowledge = Knowledge(store)
        for path in paths:
            source = (tree / path).read_bytes()
            started = time.perf_counter()
            parsed = parse(source, "python")
            times["parse"].append(time.perf_counter() - started)
            for run in ("first", "again"):
                started = time.perf_counter()
                check_file(knowledge, path, "python", source, parsed)
                times[run].append(time.perf_counter() - started)
    finally:
        store.close()
    shown = {run: sorted(t * 1000 for t in ts) for run, ts in times.items()}
    parse_p50 = _nearest(shown["parse"], 50)
    rows.append(
        (
            f"checks ({label}, {len(paths)} files)",
            "",
            "",
            " · ".join(
                f"{run} p50 / p99 / max {_nearest(ms, 50):.1f} / {_nearest(ms, 99):.1f} / {ms[-1]:.0f} ms"
                for run, ms in shown.items()
            )
            + f"; p50 {_nearest(shown['again'], 50) / parse_p50:.1f} x parsing",
        )
    )


def scan_phases(args, tree, work, db, env, kairos, files, source, exclude, skip, rows, misses) -> None:
    """The floor, ctags, a cold scan (``--runs`` times) and an unchanged rescan."""
    ctags(tree, work, exclude)  # warm the page cache for everyone
    ctags_s = ctags(tree, work, exclude)
    ratios: list[float] = []
    cpu_ratios: list[float] = []  # the same ratio in CPU seconds: what a busy machine blurs least
    for run in range(args.runs):
        cpu = children_cpu()
        floor_s = floor(tree, files)
        floor_cpu = children_cpu() - cpu
        fresh(db)
        scan_s, peak, _ = run_measured([*kairos, "scan", "-q", *skip, "--store", str(db), str(tree)], env)
        scan_cpu = peak.cpu
        ratios.append(scan_s / floor_s)
        cpu_ratios.append(scan_cpu / floor_cpu)
        ctags_note = f", {scan_s / ctags_s:.1f} x ctags" if ctags_s else ""
        rows.append(("floor (parse + tag query)", f"{floor_s:.2f} s", "", f"run {run + 1}: {floor_cpu:.1f} s of CPU"))
        rows.append(
            (
                "kairos scan, cold",
                f"{scan_s:.2f} s",
                f"{mb(peak.main)} / {mb(peak.total)}",
                f"{scan_s / floor_s:.2f} x floor{ctags_note}; {scan_cpu:.1f} s of CPU, "
                f"{scan_cpu / floor_cpu:.2f} x the floor's",
            )
        )
    scanned = store_bytes(db)
    rows.append(("store after the scan", "", "", f"{mb(scanned)}, {scanned / source:.2f} bytes per source byte"))
    if ctags_s is not None:
        rows.append(("ctags -R", f"{ctags_s:.2f} s", "", ""))
    else:
        rows.append(("ctags -R", "not installed", "", ""))
    ratio = sorted(ratios)[len(ratios) // 2]
    if ratio > FLOOR_TARGET:
        cpu_ratio = sorted(cpu_ratios)[len(cpu_ratios) // 2]
        misses.append(
            f"cold scan {ratio:.2f} x the floor (median of {len(ratios)}; in CPU seconds {cpu_ratio:.2f} x), "
            f"target <= {FLOOR_TARGET}"
        )
    if peak.total > RSS_TARGET:
        misses.append(f"scan peak RSS {mb(peak.main)} main, {mb(peak.total)} with workers, target <= {mb(RSS_TARGET)}")

    rescan_s, rescan_peak, _ = run_measured([*kairos, "scan", "-q", *skip, "--store", str(db), str(tree)], env)
    rows.append(
        ("kairos scan, unchanged", f"{rescan_s:.2f} s", f"{mb(rescan_peak.main)} / {mb(rescan_peak.total)}", "")
    )
    if rescan_s > RESCAN_TARGET:
        misses.append(f"unchanged rescan {rescan_s:.2f} s, target <= {RESCAN_TARGET} s")


if __name__ == "__main__":
    main()
