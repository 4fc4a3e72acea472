"""Dream speed on the CPython standard library of this interpreter.

    python benchmarks/bench_dream.py [--runs 3] [--store PATH] [--tree PATH]

Builds a store from the standard library without site-packages (or reuses
``--store``, a store scanned from ``--tree`` and never dreamed), then prints:
  * a full dream (every observation of the scan) on a fresh copy of that store,
    median of ``--runs``, as it runs by default (with the read-ahead helper
    process, dream/ahead.py) and, as its peer, alone (``ahead=False``: one
    process), runs alternating; then whether both stored exactly the same facts;
  * an incremental dream after one file edit: a realistic signature change (a
    new keyword parameter) in one function of a mid-size module, written to
    disk, rescanned through ``scan_workspace`` into the same store, then
    dreamed; median of ``--runs`` edits (each one changes the signature again);
  * the same after a function named ``join`` appears in that module, then goes, in
    turn: the tests that call through that name are derived again.
Targets (issue #3, 2-core machine): full dream <= 10 s, incremental <= 100 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

EXCLUDE = ("site-packages/",)  # third-party packages are not the standard library
MODULE_LINES = (800, 2500)  # "mid-size": the edited module's length
ADDED = "join"  # a name many of the stdlib's tests call through (os.path.join)


def fresh_copy(store: Path, work: Path) -> Path:
    """A copy of the scanned, never-dreamed store (the database only: no WAL, no lock)."""
    copy = work / "dream.db"
    for suffix in ("", "-wal", "-shm", ".dream.lock"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(store, copy)
    Store(copy).close()  # migrate outside the timing
    if hasattr(os, "sync"):
        os.sync()  # the copy's writeback is not the dream's (on 2 cores it would take CPU from it)
    return copy


def full_dream(store: Path, work: Path, ahead: bool | None = None) -> tuple[float, str, str]:
    db = Store(fresh_copy(store, work))
    start = time.perf_counter()
    report = dream(db, trigger="bench", ahead=ahead)
    elapsed = time.perf_counter() - start
    digest = facts_digest(db)
    db.close()
    return elapsed, report.line(), digest


def facts_digest(db: Store) -> str:
    """A digest of everything a dream stores but its timings (facts, evidence, call-site counts)."""
    digest = hashlib.blake2b(digest_size=16)
    for query in (
        "SELECT * FROM facts ORDER BY id",
        "SELECT * FROM fact_evidence ORDER BY 1, 2, 3, 4",
        "SELECT * FROM dream_callees ORDER BY 1",
    ):
        for row in db.db.execute(query):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def pick_function(tree: Path) -> tuple[Path, re.Match]:
    """A top-level function with parameters in a mid-size module (first by path)."""
    pattern = re.compile(r"^def (\w+)\(([^)\n]+)\)(\s*->[^:\n]+)?:", re.M)
    for path in sorted(tree.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if MODULE_LINES[0] <= text.count("\n") <= MODULE_LINES[1]:
            match = pattern.search(text)
            if match and "*" not in match.group(2):
                return path, match
    sys.exit("bench: no mid-size module with a plain top-level function found")


def incremental(store: Path, tree: Path, work: Path, runs: int) -> tuple[list[float], str, list[float], str]:
    """Dream the whole copy once, then time the dream after each one-file edit: a signature
    change, then a function added and removed in turn."""
    db = Store(fresh_copy(store, work))
    dream(db, trigger="bench")
    # Edit the module in a copy of the tree (the store's paths are relative to it);
    # the rescan finds that one file changed.
    path, match = pick_function(tree)
    rel = path.relative_to(tree).as_posix()
    mirror = work / "tree"
    if not mirror.exists():
        shutil.copytree(tree, mirror, ignore=shutil.ignore_patterns("site-packages", "__pycache__"), symlinks=True)
    original = path.read_text(encoding="utf-8", errors="replace")
    texts = []
    for n in range(runs):
        params = match.group(2) + "".join(f", extra{i}=None" for i in range(n + 1))
        texts.append(original[: match.start(2)] + params + original[match.end(2) :])
    timings, line = timed_edits(db, mirror, rel, texts)
    print(f"edited: {rel}, def {match.group(1)}({match.group(2)}) gains keyword parameters")
    # A function appears (and goes) under a name that many tests call through (os.path.join):
    # every test whose calls may now mean something else is derived again (dream/tested.py).
    added = texts[-1] + f"\n\ndef {ADDED}(*parts):\n    return parts\n"
    born, born_line = timed_edits(db, mirror, rel, [added if n % 2 == 0 else texts[-1] for n in range(runs)])
    db.close()
    return timings, line, born, born_line


def timed_edits(db: Store, mirror: Path, rel: str, texts: list[str]) -> tuple[list[float], str]:
    """Write each text to ``rel``, rescan, and time the dream after it."""
    timings, line = [], ""
    for text in texts:
        (mirror / rel).write_text(text, encoding="utf-8")
        scan_workspace(mirror, db, Settings(exclude=EXCLUDE))
        start = time.perf_counter()
        report = dream(db, trigger="bench")
        timings.append(time.perf_counter() - start)
        line = report.line()
    return timings, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tree", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--store", help="a store already scanned from --tree (not dreamed); reused as is")
    args = parser.parse_args()
    tree = Path(args.tree)
    work = Path(tempfile.mkdtemp(prefix="kairos-bench-dream-"))
    print(f"tree: {tree} (without site-packages), {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    try:
        if args.store:
            store = Path(args.store)
        else:
            store = work / "scanned.db"
            start = time.perf_counter()
            with_store = Store(store)
            scan_workspace(tree, with_store, Settings(exclude=EXCLUDE))
            with_store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with_store.close()
            print(f"scan (not timed as the benchmark): {time.perf_counter() - start:.1f} s")
        fulls, alones = [], []
        for _ in range(args.runs):
            fulls.append(full_dream(store, work))
            alones.append(full_dream(store, work, ahead=False))
        print(f"  {fulls[0][1]}")
        full, alone = statistics.median(f[0] for f in fulls), statistics.median(f[0] for f in alones)
        print(
            f"full dream       : {full:6.2f} s  "
            f"(median of {args.runs}: {', '.join(f'{f[0]:.2f}' for f in fulls)}; target <= 10 s)"
        )
        print(
            f"  alone (no helper): {alone:6.2f} s  (median of {args.runs}: "
            f"{', '.join(f'{f[0]:.2f}' for f in alones)}); with the helper: {alone / full:.2f}x as fast"
        )
        same = len({f[2] for f in fulls + alones}) == 1
        print(f"  same facts with and without the helper, in every run: {'yes' if same else 'NO'}")
        print(f"  digest: {', '.join(sorted({f[2] for f in fulls + alones}))}")
        edits, line, born, born_line = incremental(store, tree, work, args.runs)
        print(f"  {line}")
        print(
            f"incremental dream: {statistics.median(edits) * 1000:6.1f} ms (median of {args.runs}: "
            f"{', '.join(f'{e * 1000:.1f}' for e in edits)}; target <= 100 ms)"
        )
        print(f"  {born_line}")
        print(
            f"  a function {ADDED}() added / removed: {statistics.median(born) * 1000:6.1f} ms (median of "
            f"{args.runs}: {', '.join(f'{e * 1000:.1f}' for e in born)}; target <= 100 ms)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
