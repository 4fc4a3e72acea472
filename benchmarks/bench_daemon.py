"""`kairos daemon` on a copy of the CPython standard library of this interpreter.

    python benchmarks/bench_daemon.py [--idle 60] [--writes 50] [--tree PATH]

Starts a real `kairos daemon` (a subprocess, as systemd would) on a copy of the standard
library (without site-packages), or of all of ``--tree PATH`` (e.g. the interpreter's whole
library folder, the large tree of issue 13), lets it catch up (a first scan of the whole
tree) and dream, then prints:
  * its RSS (now, and the peak of the daemon process), and the peak of the daemon with its
    children (sum of their RSS; also of their PSS, which counts a page shared by several
    processes once, in shares);
  * its CPU while idle for --idle seconds (utime + stime of the daemon and all its
    descendants, from /proc/PID/stat);
  * from a file write to its observation stored, over --writes writes, each a new file
    with a new function, half a second apart (p50, p95, max).
Targets (issue #9, 2-core machine): idle CPU <= 0.1 s in 60 s, write -> stored p95 <= 1 s,
RSS <= 150 MB. A line ending in MISS says a target was missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from kairos_lsp import daemon
from kairos_lsp.store import Store

TICK = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        each = todo.pop()
        found.append(each)
        todo += children.get(each, [])
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime (and those of waited-for children) of ``pid`` and its descendants."""
    total = 0
    for each in descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of one process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def tree_rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and its descendants (the catch-up scan's and the dream's child processes), in MB."""
    total = 0.0
    for each in descendants(pid):
        try:
            total += memory_mb(each)[0]
        except (OSError, KeyError):
            continue
    return total


def tree_pss_mb(pid: int) -> float:
    """The proportional set size of ``pid`` and its descendants (shared pages counted once), in MB."""
    total = 0.0
    for each in descendants(pid):
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def mark(ok: bool) -> str:
    return "" if ok else "  MISS"


def wait_for(condition, timeout: float, what: str, sample=lambda: None):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            sys.exit(f"bench: timed out waiting for {what}")
        sample()
        time.sleep(0.2)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", help="a folder copied whole (default: the standard library, without site-packages)")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idleness measured")
    parser.add_argument("--writes", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kairos-bench-daemon-"))
    root = work / "tree"
    tree = args.tree or sysconfig.get_paths()["stdlib"]
    skipped = ("__pycache__", ".kairos") if args.tree else ("site-packages", "__pycache__", ".kairos")
    shutil.copytree(tree, root, ignore=shutil.ignore_patterns(*skipped), symlinks=True)
    files = sum(1 for _ in root.rglob("*.py"))
    whole = "" if args.tree else " (without site-packages)"
    print(f"tree: copy of {tree}{whole}, {files} .py files, {os.cpu_count()} cores")
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    command = [sys.executable, "-m", "kairos_lsp.cli", "daemon", str(root), "--quiet", "--idle-seconds", "2"]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        log = root / ".kairos" / "daemon.log"
        peaks = [0.0, 0.0]  # sum of RSS, sum of PSS

        def sample() -> None:
            peaks[:] = max(peaks[0], tree_rss_mb(process.pid)), max(peaks[1], tree_pss_mb(process.pid))

        wait_for(lambda: log.exists() and "caught up" in log.read_text(), 900, "the catch-up scan", sample)
        caught_up = time.monotonic() - started
        dreamt = wait_for(
            lambda: (daemon.read_state(root).get("last_dream") or {}).get("line"), 1800, "the first dream", sample
        )
        print(f"first start      : caught up in {caught_up:.1f} s; then {dreamt}")
        rss, peak = memory_mb(process.pid)
        print(
            f"daemon RSS       : {rss:6.1f} MB after the first dream, peak {peak:.1f} MB (target <= 150 MB)"
            f"{mark(max(rss, peak) <= 150)}"
        )
        print(
            f"with its children: peak {peaks[0]:.0f} MB (sum of RSS; of PSS {peaks[1]:.0f} MB; sampled every 0.2 s, "
            "while the catch-up scan's and the dream's child processes ran; they exit after)"
        )

        time.sleep(3)  # let the dream child settle
        before = cpu_seconds(process.pid)
        time.sleep(args.idle)
        idle = cpu_seconds(process.pid) - before
        scaled = idle * 60 / args.idle
        print(
            f"idle CPU         : {idle:.3f} s in {args.idle:g} s ({scaled:.3f} s a minute; target <= 0.1 s)"
            f"{mark(scaled <= 0.1)}"
        )

        store = Store(root / ".kairos" / "memory.db")
        (root / "kairos_bench").mkdir()
        timings = []
        for i in range(args.writes):
            target = f"python:kairos_bench/w{i}.py:written_{i}"
            (root / "kairos_bench" / f"w{i}.py").write_text(f"def written_{i}(x):\n    return x + {i}\n")
            wrote = time.perf_counter()
            while not store.symbol(target):
                if time.perf_counter() - wrote > 30:
                    sys.exit(f"bench: write {i} never reached the store")
                time.sleep(0.005)
            timings.append(time.perf_counter() - wrote)
            time.sleep(0.5)
        store.close()
        timings.sort()
        p50 = timings[len(timings) // 2]
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        print(
            f"write -> stored  : p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms "
            f"over {len(timings)} writes (target p95 <= 1000 ms){mark(p95 <= 1.0)}"
        )
        rss, peak = memory_mb(process.pid)
        print(f"daemon RSS       : {rss:6.1f} MB at the end, peak {peak:.1f} MB{mark(max(rss, peak) <= 150)}")

        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        took = time.monotonic() - stopping
        print(
            f"SIGTERM -> exit  : {took:.2f} s, status {process.returncode} (target <= 2 s, 0)"
            f"{mark(took <= 2 and process.returncode == 0)}"
        )
        if err.strip():
            print(f"daemon stderr    : {err.strip()[:500]}")
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
