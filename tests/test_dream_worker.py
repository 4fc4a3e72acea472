"""The server's dream worker (dream/scheduler.py): what it keeps beside the server."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from kairos_lsp.config import Settings
from kairos_lsp.dream.ahead import AHEAD_AT
from kairos_lsp.dream.scheduler import IdleDreamer
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_large_dream_in_the_server_has_no_helper_and_its_worker_ends_after_it(tmp_path):
    """Beside the server, a first dream over a large workspace runs without the read-ahead
    helper, and its worker process (which kept what the dream allocated, 121 MB on the
    large tree) ends when it is done; a small dream keeps the worker for the next one."""
    root = tmp_path / "ws"
    root.mkdir()
    for i in range(MODULES):
        (root / f"m{i}.py").write_text(_module(i))
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    assert store.facts.newest_observation() >= AHEAD_AT  # a backlog that would start a helper

    async def run():
        dreamer = IdleDreamer(store.path, 3600, lambda level, message: None, llm=Settings())
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
    assert large.observations >= AHEAD_AT and large.ahead == 0  # no helper beside the server
    assert after_large == set()  # the worker of the large dream is gone
    assert 0 < small.observations < 100
    assert len(after_small) == 1  # the small dream's worker stays for the next dream
    store.close()


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
