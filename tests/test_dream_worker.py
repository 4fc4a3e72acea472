"""The server's dream worker (dream/scheduler.py): what it keeps beside the server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import pytest
from test_dream_ahead import copy_store, dump

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream, scheduler
from kairos_lsp.dream.ahead import AHEAD_AT
from kairos_lsp.dream.engine import DreamReport
from kairos_lsp.dream.scheduler import IdleDreamer
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store
from kairos_lsp.workers import Child, resident


def _parents() -> dict[int, int]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    return found


def _workers() -> set[int]:
    """The dream worker processes this process started (kairos' child interpreters)."""
    workers = set()
    for pid, parent in _parents().items():
        if parent == os.getpid():
            try:
                if b"child_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.add(pid)
            except OSError:
                continue
    return workers


MODULES = 200  # 112,400 observations: a helper would start, and replay files ahead


def _module(i: int) -> str:
    return "".join(
        f'def f{i}_{j}(a, b=1):\n    """Add {j}."""\n    return g{j % 7}(a) + h(b) + {j}\n\n\n' for j in range(80)
    )


def _large_workspace(root: Path, modules: int = MODULES) -> Store:
    root.mkdir()
    for i in range(modules):
        (root / f"m{i}.py").write_text(_module(i))
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    assert store.facts.newest_observation() >= AHEAD_AT  # a backlog that would start a helper
    return store


def _written(path: Path) -> dict[str, list]:
    """What the dreams wrote (test_dream_ahead's dump), but their log: one dream or several."""
    written = dump(path)
    del written["dreams"]
    return written


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_large_dream_in_the_server_takes_the_helper_when_its_share_allows_and_its_worker_ends_after_it(
    tmp_path, monkeypatch
):
    """Beside a server that leaves it room, a first dream over a large workspace takes the
    read-ahead helper, as ``kairos dream`` does, and its worker process (which kept what the
    dream allocated, 121 MB on the large tree) ends when it is done; a small dream keeps the
    worker for the next one."""
    root = tmp_path / "ws"
    store = _large_workspace(root)
    roomy = (resident(os.getpid()) or 0) + scheduler.MARGIN + (1 << 30)  # a share of 1 GiB
    asked: list[tuple] = []  # what each dream's worker was given: (..., share, with the helper)
    call = Child.call
    monkeypatch.setattr(
        Child, "call", lambda child, target, args, **kw: asked.append(args) or call(child, target, args, **kw)
    )

    async def run():
        dreamer = IdleDreamer(store.path, 3600, lambda level, message: None, llm=Settings(), family_bytes=roomy)
        try:
            before = _workers()
            large = await dreamer.dream_now()
            after_large = _workers() - before
            (root / "late.py").write_text("def late(x):\n    return x\n")
            scan_workspace(root, store, jobs=1)
            small = await dreamer.dream_now()
            return large, after_large, small, _workers() - before
        finally:
            dreamer.close()

    large, after_large, small, after_small = asyncio.run(run())
    assert large.observations >= AHEAD_AT
    assert asked[0][-2] >= scheduler.HELPER_FROM and asked[0][-1]  # with the helper (its replays: racy here)
    assert after_large == set()  # the worker of the large dream is gone
    assert 0 < small.observations < 100
    assert len(after_small) == 1  # the small dream's worker stays for the next dream
    store.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_dream_past_its_share_goes_on_in_new_workers_to_the_same_facts(tmp_path, monkeypatch):
    """A dream whose worker (with its helper) holds more than the server leaves it stops between
    two batches, once the helper is gone; a new worker resumes it at once, until it is done.
    One dream as the user sees it (one report), the same facts as a dream in one go. (The
    helper let go midway: test_dream_ahead.py.)"""
    store = _large_workspace(tmp_path / "ws", modules=100)
    whole = copy_store(store, tmp_path / "whole.db")
    with contextlib.closing(Store(whole)) as reference:
        expected = dream(reference, ahead=False)
    # a share of one byte: every part outgrows it after its first batch
    monkeypatch.setattr(scheduler, "LEAST_SHARE", 1)
    monkeypatch.setattr(scheduler, "HELPER_FROM", 1)
    parts = []
    then = DreamReport.then
    monkeypatch.setattr(DreamReport, "then", lambda self, later: parts.append(later) or then(self, later))
    workers: set[int] = set()

    async def run():
        dreamer = IdleDreamer(store.path, 3600, lambda level, message: None, llm=Settings(), family_bytes=0)
        try:
            before = _workers()
            call = Child.call

            def watched(child, *args, **kwargs):
                workers.add(child.process.pid)
                return call(child, *args, **kwargs)

            monkeypatch.setattr(Child, "call", watched)
            report = await dreamer.dream_now()
            return report, _workers() - before
        finally:
            dreamer.close()

    report, left = asyncio.run(run())
    assert len(parts) >= 2 and len(workers) == len(parts) + 1  # a new worker for each part
    assert not report.stopped and len(left) <= 1  # (the last part's worker, kept after a small part)
    assert report.observations == expected.observations and report.created == expected.created
    assert _written(store.path) == _written(whole)  # read beside the open store, as the server does
    store.close()
    assert _written(whole)["facts"]  # not two empty memories


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_dream_worker_no_dream_used_for_a_while_ends_and_the_next_dream_starts_another(tmp_path):
    """An edit's dream keeps its worker for the next one; once no dream has used it for
    ``worker_idle`` seconds it ends (its memory back to the system), and the next dream
    starts another and consolidates as before."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def f(x):\n    return g(x)\n")
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)

    async def run():
        dreamer = IdleDreamer(store.path, 3600, lambda level, message: None, llm=Settings(), worker_idle=1.0)
        try:
            before = _workers()
            first = await dreamer.dream_now()
            kept = _workers() - before
            await asyncio.sleep(0.5)
            still = _workers() - before  # used half a second ago: kept
            deadline = time.monotonic() + 10
            while _workers() - before and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            gone = _workers() - before
            (root / "b.py").write_text("def h(y):\n    return f(y)\n")
            scan_workspace(root, store, jobs=1)
            second = await dreamer.dream_now()
            return first, kept, still, gone, second, _workers() - before
        finally:
            dreamer.close()

    first, kept, still, gone, second, again = asyncio.run(run())
    assert first.observations > 0 and len(kept) == 1 and still == kept
    assert gone == set()  # ended after a second without a dream
    assert second.observations > 0 and second.created > 0  # a new worker dreamed
    assert len(again) == 1 and again != kept
    store.close()


def test_an_idle_server_with_nothing_new_still_does_what_a_migration_left_the_dream(tmp_path):
    """Nothing new to consolidate: an idle dream does not start. A migration's to-do (a
    memory dreamed by the rules before derives its insights again) starts one all the same,
    rather than waiting for the user's next edit; the to-do is done once."""
    from kairos_lsp.dream import rederive
    from kairos_lsp.store.migrations import m033_rederive_insights

    root = tmp_path / "ws"
    root.mkdir()
    (root / "lexer.py").write_text('def get_token(stream):\n    """The next token."""\n    return stream.pop()\n')
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    dreamed: list[DreamReport] = []

    async def run():
        dreamer = IdleDreamer(store.path, 0.05, lambda level, message: None, on_dreamed=dreamed.append, llm=Settings())
        try:
            dreamer.kick()
            await asyncio.sleep(1.0)
            idle = list(dreamed)  # nothing to do: no dream
            with store.transaction():
                m033_rederive_insights(store.db)
            dreamer.kick()  # (the server kicks after its first scan)
            deadline = time.monotonic() + 20
            while not dreamed[len(idle) :] and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            dreamer.kick()
            await asyncio.sleep(1.0)  # done: no dream again
            return idle, dreamed[len(idle) :]
        finally:
            dreamer.close()

    idle, after = asyncio.run(run())
    assert idle == []
    assert len(after) == 1 and after[0].observations == 0 and not after[0].stopped
    assert not store.facts.has_mark(rederive.MARK)
    store.close()
