"""Peak RSS of a full dream: the main process, and with its read-ahead helper process.

    kairos scan -q --store /tmp/large.db "$(python -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
    python benchmarks/bench_dream_rss.py /tmp/large.db

Copies a scanned, never-dreamed store next to it, dreams the copy as a user's
first dream runs (with the read-ahead helper when it is large), and samples
the RSS of this process and of its children from /proc every 100 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from pathlib import Path

from kairos_lsp.dream import dream
from kairos_lsp.store import Store


def rss_mb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) // 1024
    except (OSError, IndexError, ValueError):
        return 0  # gone meanwhile


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a scanned store that was never dreamed (it is not changed)")
    args = parser.parse_args()
    copy = args.store + ".dream-copy"
    for suffix in ("", "-wal", "-shm", ".dream.lock", ".checked"):
        Path(copy + suffix).unlink(missing_ok=True)
    shutil.copyfile(args.store, copy)
    Store(copy).close()  # migrations outside the measure
    peak = {"main": 0, "all": 0}
    done = threading.Event()

    def sample() -> None:
        me = os.getpid()
        while not done.is_set():
            main_mb = rss_mb(me)
            peak["main"] = max(peak["main"], main_mb)
            peak["all"] = max(peak["all"], main_mb + sum(rss_mb(child) for child in children(me)))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    store = Store(copy)
    started = time.perf_counter()
    report = dream(store, trigger="bench")
    seconds = time.perf_counter() - started
    done.set()
    store.close()
    print(report.line())
    print(f"full dream: {seconds:.0f} s; peak RSS: main {peak['main']} MB, with the helper {peak['all']} MB")
    print("(issue 13's target: 300 MB)")
    for suffix in ("", "-wal", "-shm", ".dream.lock", ".checked"):
        Path(copy + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
