"""Claude inside the dream (opt-in): summaries for the hover, and insights as evidence.

After a dream has consolidated what was new (outside its write transactions, on a
store connection of Claude's own), and only when ``llm.provider`` is
``"anthropic"`` and ``ANTHROPIC_API_KEY`` is set, :func:`consult` asks Claude
about a few symbols, most wanted first:

1. those the user hovered (``Store.note_attention``), the latest first;
2. those whose body changed in a later look (edited);
3. those failing (last test outcome failed, or a run saw them raise or fail);
4. those widely called (a live ``role widely called`` fact);
5. then the rest, by file and position.

At most :data:`SUMMARIES_PER_DREAM` summaries and :data:`INSIGHTS_PER_DREAM` insight
requests per dream, and none once the dream is told to stop (requests in flight
are left to finish on their own; their answers are in Claude's cache for the
next dream). A summary is kept per symbol, body hash and model
(``Store.claude_summary``): an unchanged body is never asked about again, an
edited one is. Insights are recorded as observations of source ``llm``
(``Store.record_llm_insights``); the dream replays them right away as evidence
for the symbol's derived insights (``promote.derive``), while the body is the one
Claude saw. Files excluded from Claude (``llm.exclude`` and the defaults) are
skipped, and so is a symbol whose file changed on disk since the memory's last
look (its text would not be the body its hash names).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kairos_lsp.config import Settings
from kairos_lsp.llm import Claude, SymbolContext, excluded, insights, summarize, symbol_context
from kairos_lsp.llm.payload import INSIGHTS, insights_payload
from kairos_lsp.store import STORE_DIR, Store

SUMMARIES_PER_DREAM = 20
INSIGHTS_PER_DREAM = 20
POLL = 0.05  # seconds between looks at should_stop while requests are in flight

Log = Callable[[str, str], None]


@dataclass
class Consulted:
    """What one dream's Claude pass did."""

    summaries: int = 0  # new summaries stored
    insights: int = 0  # symbols whose insights were recorded as llm observations
    observations: int = 0  # llm observations written
    stopped: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # log lines ("warning: ...")


def opted_in(settings: Settings | None) -> bool:
    return settings is not None and settings.llm_provider == "anthropic"


def workspace_of(store_file: str) -> Path | None:
    """``<root>`` for a memory at ``<root>/.kairos/memory.db``; None elsewhere."""
    if store_file == ":memory:":
        return None
    path = Path(store_file).resolve()
    return path.parent.parent if path.parent.name == STORE_DIR else None


# One Claude per memory and settings in a process: its pause after a failure, a refused
# key and requests still in flight from a stopped dream outlive the dream.
_CLAUDES: dict[tuple[str, Settings], tuple[Claude, Store]] = {}
_LOCK = threading.Lock()


def claude_for(store: Store, settings: Settings, log: Log, env: Mapping[str, str] | None) -> Claude:
    if store.path == ":memory:" or env is not None:  # (a test's own environment: not shared)
        return Claude(settings, store if store.path == ":memory:" else Store(store.path), log, env=env)
    with _LOCK:
        known = _CLAUDES.get((store.path, settings))
        if known is None:
            own = Store(store.path)
            known = _CLAUDES[(store.path, settings)] = (Claude(settings, own, log), own)
        known[0].log = log
        return known[0]


def consult(
    store: Store,
    settings: Settings,
    should_stop: Callable[[], bool] = lambda: False,
    root: str | os.PathLike | None = None,
    log: Log | None = None,
    env: Mapping[str, str] | None = None,
    summaries: int | None = None,
    insight_requests: int | None = None,
    keys: list[str] | None = None,
) -> Consulted:
    """Ask Claude for summaries and insights on the most wanted symbols (see the module
    docstring), or on ``keys`` alone (``kairos explain --llm``). ``store`` must have no
    transaction open. Never raises for Claude's sake."""
    started = time.perf_counter()
    done = Consulted()

    def note(level: str, message: str) -> None:
        done.notes.append(f"{level}: {message}")
        if log is not None:
            log(level, message)

    if not opted_in(settings):
        return done
    environment = os.environ if env is None else env
    if not environment.get("ANTHROPIC_API_KEY"):
        note("warning", "llm.provider is anthropic but ANTHROPIC_API_KEY is not set: Claude stays off")
        return done
    folder = Path(root) if root is not None else workspace_of(store.path)
    if folder is None:
        note("warning", "Claude: the workspace of this memory is unknown, so its code cannot be read; no requests")
        return done
    claude = claude_for(store, settings, note, env)
    try:
        if claude.enabled and claude.off_reason is None:
            _consult(claude, store, folder, should_stop, done, summaries, insight_requests, keys)
    finally:
        own = claude.store
        if env is not None and own is not None and own is not store and not done.stopped:
            own.close()  # a Claude of the caller's environment: not kept (see claude_for)
    done.seconds = time.perf_counter() - started
    return done


def _consult(
    claude: Claude,
    store: Store,
    folder: Path,
    should_stop: Callable[[], bool],
    done: Consulted,
    summaries: int | None,
    insight_requests: int | None,
    keys: list[str] | None = None,
) -> None:
    model = claude.model
    limit_s = SUMMARIES_PER_DREAM if summaries is None else summaries
    limit_i = INSIGHTS_PER_DREAM if insight_requests is None else insight_requests
    texts = _Texts(store, folder, claude.exclude)

    def summary_contexts() -> Iterator[tuple[SymbolContext, str]]:
        wanted = (
            keys
            if keys is not None
            else priorities(store, limit_s, lambda wide: store.without_claude_summary(model, wide))
        )
        for key in wanted:
            row = texts.row(key)
            if row is not None and store.claude_summary(key, row["body_hash"], model) is None:
                context = texts.context(row)
                if context is not None:
                    yield context, row["body_hash"]

    found = _ask_all(claude, summary_contexts(), lambda ctx: summarize(claude, ctx), limit_s, should_stop)
    store.add_claude_summaries(
        (ctx.key, body, model, answer.text, answer.at) for ctx, body, answer in found if answer is not None
    )
    done.summaries = sum(answer is not None for _, _, answer in found)
    if should_stop():
        done.stopped = True
    elif limit_i > 0:

        def insight_contexts() -> Iterator[tuple[SymbolContext, str]]:
            wanted = (
                keys
                if keys is not None
                else priorities(store, limit_i, lambda w: store.without_claude_insights(model, w))
            )
            for key in wanted:
                row = texts.row(key)
                if row is not None and not store.claude_asked(key, row["body_hash"], model):
                    context = texts.context(row)
                    if context is not None:
                        yield context, row["body_hash"]

        asked = _ask_all(claude, insight_contexts(), lambda ctx: _insights(claude, ctx), limit_i, should_stop)
        # what came back empty is looked up here, on the dream's thread: its connection is not
        # for the request threads
        answers = [(ctx, body, _settled(store, said)) for ctx, body, said in asked]
        # an answer with nothing usable in it is recorded too (an llm_asked observation
        # alone), so that body is not asked about again; a failure is not (asked next time)
        recorded = [
            (ctx.key, body, model, sorted({(i.predicate, i.value) for i in said}))
            for ctx, body, said in answers
            if said is not None
        ]
        done.observations = store.record_llm_insights(recorded) if recorded else 0
        done.insights = len(recorded)
        done.stopped = should_stop()


def _insights(claude: Claude, context: SymbolContext) -> list | str | None:
    """Claude's insights on ``context``; when none came back, the digest of the request (see
    :func:`_settled`), or None when no request could be made. Runs on a request thread: it
    does not touch the dream's connection."""
    found = insights(claude, context)
    if found:
        return found
    payload = insights_payload(context, claude.exclude)
    return None if payload is None else payload.digest


def _settled(store: Store, said: list | str | None) -> list | None:
    """[] when Claude answered with nothing usable (its answer was dropped as not validating:
    the audit says "rejected"), None when the request failed or was not made."""
    if not isinstance(said, str):
        return said
    return [] if store.llm_outcome(INSIGHTS, said) == "rejected" else None


def priorities(store: Store, limit: int, rest: Callable[[int], list[str]]) -> Iterator[str]:
    """Symbol keys, most wanted first (hovered, edited, failing, widely called, then ``rest``:
    those not asked about yet, by file), each once; read lazily, so a dream that finds
    enough early reads no further."""
    seen: set[str] = set()
    wide = max(100, limit * 5)
    groups: Iterable[Callable[[], list[str]]] = (
        lambda: [row["subject"] for row in store.attention("hovered", wide)],
        lambda: store.recently_edited(wide),
        lambda: store.recently_failing(wide),
        lambda: store.widely_called_symbols(wide),
        lambda: rest(wide),
    )
    for group in groups:
        for key in group():
            if key not in seen:
                seen.add(key)
                yield key


class _Texts:
    """Symbols' rows and their files' text, as the memory last saw them (else None)."""

    def __init__(self, store: Store, root: Path, exclude: tuple[str, ...]):
        self.store, self.root, self.exclude = store, root, exclude
        self._files: dict[str, str | None] = {}

    def row(self, key: str) -> dict | None:
        row = self.store.symbol(key)
        if row is None or excluded(row["path"], self.exclude):
            return None
        body_hash = self.store.body_hash(key)
        return {**row, "body_hash": body_hash} if body_hash else None

    def context(self, row: dict) -> SymbolContext | None:
        text = self._text(row["path"])
        if text is None:
            return None
        facts = self.store.facts
        return symbol_context(
            row, text, facts.current_value(row["key"], "signature"), facts.current_value(row["key"], "docstring")
        )

    def _text(self, path: str) -> str | None:
        if path not in self._files:
            from kairos_lsp.observe import content_hash

            self._files[path] = None
            known = self.store.file(path)
            with contextlib.suppress(OSError):
                data = (self.root / path).read_bytes()
                if known is not None and content_hash(data) == known["content_hash"]:
                    self._files[path] = data.decode("utf-8", errors="replace")
        return self._files[path]


def _ask_all(
    claude: Claude,
    items: Iterable[tuple[SymbolContext, str]],
    ask: Callable[[SymbolContext], Any],
    limit: int,
    should_stop: Callable[[], bool],
) -> list[tuple[SymbolContext, str, Any]]:
    """``ask(context)`` for ``items`` in order, ``claude``'s concurrency at once, up to ``limit``
    requests; ``[(context, body hash, answer)]`` in the order asked. On ``should_stop()``
    (looked at before each request and while waiting) it returns at once: requests in
    flight are left to finish in their threads (their answers land in Claude's cache)."""
    if limit <= 0:
        return []
    width = max(1, int(claude.settings.llm_max_concurrency))
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="kairos-dream-claude")
    asked: list[tuple[SymbolContext, str, Future]] = []
    pending: set[Future] = set()
    stopped = False
    try:
        for context, body in items:
            if len(asked) >= limit or should_stop():
                stopped = should_stop()
                break
            while len(pending) >= width and not stopped:
                _, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
                stopped = should_stop()
            if stopped:
                break
            future = pool.submit(ask, context)
            asked.append((context, body, future))
            pending.add(future)
        while pending and not stopped:
            _, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
            stopped = should_stop()
    finally:
        pool.shutdown(wait=not stopped, cancel_futures=True)
    return [
        (context, body, future.result()) for context, body, future in asked if future.done() and not future.cancelled()
    ]
