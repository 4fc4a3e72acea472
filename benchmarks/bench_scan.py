"""Scan speed against universal-ctags, on the CPython standard library of this interpreter.

    python benchmarks/bench_scan.py [--runs 3] [--tree PATH]

Prints, from one run on this machine:
  * cold `kairos scan` (fresh store) vs `ctags -R` on the same tree, and the ratio;
  * an unchanged rescan (in-process, and the whole `kairos scan` command);
  * re-observing one edited ~2,000-line file the way the server does it
    (incremental reparse, re-extract of the touched symbols, store write).
Targets (issue #2, 2-core machine): ratio <= 4, rescan <= 0.5 s, edit <= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.documents import Document, diff_edit
from kairos_lsp.extract import extract_tree
from kairos_lsp.reextract import reextract
from kairos_lsp.scan import record_buffer, scan_workspace
from kairos_lsp.store import Store

EXCLUDE = ("site-packages/",)  # third-party packages are not the standard library


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ctags_once(tree: Path, out: Path) -> float:
    return timed(
        lambda: subprocess.run(
            ["ctags", "-R", "--exclude=site-packages", "-f", str(out), str(tree)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def kairos_cold_once(tree: Path, db: Path) -> tuple[float, int, int]:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    store = Store(db)
    start = time.perf_counter()
    report = scan_workspace(tree, store, Settings(exclude=EXCLUDE))
    elapsed = time.perf_counter() - start
    symbols = store.stats()["symbols"]
    store.close()
    return elapsed, report.parsed, symbols


def edit_file(tree: Path, db: Path, lines: int = 2000) -> list[float]:
    """Time re-observing one ~2,000-line file after single-line edits in its functions."""
    candidates = sorted(tree.glob("*.py"), key=lambda p: abs(p.read_bytes().count(b"\n") - lines))
    path = candidates[0]
    rel = path.relative_to(tree).as_posix()
    store = Store(db)
    store.remember = True  # as the server's writer does for open buffers
    text = path.read_text()
    doc = Document(path.as_uri(), rel, "python", text)
    extraction = extract_tree(doc.tree, doc.text, "python")
    record_buffer(store, rel, "python", doc.text, extraction, source="edit")
    timings = []
    rows = text.split("\n")
    targets = [i for i, line in enumerate(rows) if line.startswith("        return ")][:40]
    for n, row in enumerate(targets):
        rows[row] = rows[row] + f"  # edited {n}"
        new_text = "\n".join(rows)
        start = time.perf_counter()
        previous_text = doc.text
        doc.update(new_text)
        edit = diff_edit(previous_text, doc.text)
        extraction = reextract(doc.tree, doc.text, "python", extraction, edit)
        record_buffer(store, rel, "python", doc.text, extraction, source="edit")
        timings.append(time.perf_counter() - start)
    store.close()
    print(f"edited file: {rel} ({text.count(chr(10))} lines), {len(timings)} edits")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tree", default=sysconfig.get_paths()["stdlib"])
    args = parser.parse_args()
    tree = Path(args.tree)
    if not shutil.which("ctags"):
        sys.exit("bench: universal-ctags is not installed (apt-get install universal-ctags)")
    work = Path(tempfile.mkdtemp(prefix="kairos-bench-"))
    print(f"tree: {tree} (without site-packages), {os.cpu_count()} cores, Python {sys.version.split()[0]}")

    ctags_once(tree, work / "tags")  # warm the page cache for both tools
    ctags = [ctags_once(tree, work / "tags") for _ in range(args.runs)]
    cold = [kairos_cold_once(tree, work / "memory.db") for _ in range(args.runs)]
    ctags_s = statistics.median(ctags)
    kairos_s = statistics.median(c[0] for c in cold)
    print(f"ctags -R         : {ctags_s:6.2f} s  (median of {args.runs})")
    print(f"kairos scan cold : {kairos_s:6.2f} s  (median of {args.runs}; {cold[0][1]} files, {cold[0][2]} symbols)")
    print(f"ratio            : {kairos_s / ctags_s:6.2f} x ctags  (target <= 4)")

    store = Store(work / "memory.db")
    rescans = [timed(lambda: scan_workspace(tree, store, Settings(exclude=EXCLUDE))) for _ in range(5)]
    store.close()
    env = {**os.environ, "KAIROS_STORE": str(work / "memory.db")}
    command = timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "kairos_lsp.cli", "scan", "-q", "--exclude", "site-packages/", str(tree)],
            check=True,
            env=env,
        )
    )
    print(
        f"unchanged rescan : {statistics.median(rescans):6.3f} s in-process, {command:.3f} s as a command "
        f"(target <= 0.5 s)"
    )

    edits = sorted(edit_file(tree, work / "memory.db"))
    p50 = edits[len(edits) // 2] * 1000
    worst = edits[-1] * 1000
    print(f"edit re-observe  : p50 {p50:.1f} ms, max {worst:.1f} ms (target <= 20 ms)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
