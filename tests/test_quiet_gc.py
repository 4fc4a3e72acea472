"""Full garbage collections wait until the server is quiet, then what survived is frozen."""

from __future__ import annotations

import asyncio
import gc

from kairos_lsp.quiet_gc import QuietCollector


async def test_collects_and_freezes_once_quiet_after_messages_never_while_idle():
    thresholds = gc.get_threshold()
    collector = QuietCollector(quiet=0.05, thaw_every=3600)
    try:
        gc.unfreeze()
        collector.start()
        assert gc.get_threshold()[2] > thresholds[2]  # no full collection on its own meanwhile
        await asyncio.sleep(0.2)
        assert gc.get_freeze_count() == 0  # no message yet: nothing to do
        collector.message()
        await asyncio.sleep(0.2)
        assert gc.get_freeze_count() > 0  # quiet after a message: collected, survivors frozen
        gc.unfreeze()
        await asyncio.sleep(0.2)
        assert gc.get_freeze_count() == 0  # once per burst of messages
    finally:
        collector.stop()
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_a_thaw_lets_a_collection_free_cycles_among_frozen_objects():
    collector = QuietCollector(quiet=0.05, thaw_every=0)
    try:
        cycles: list[list] = [[] for _ in range(1000)]
        for cycle in cycles:
            cycle.append(cycle)
        gc.freeze()
        frozen = gc.get_freeze_count()
        del cycles, cycle
        collector.collect()  # thaws first (thaw_every 0), collects, freezes again
        assert gc.get_freeze_count() <= frozen - 1000
    finally:
        gc.unfreeze()
