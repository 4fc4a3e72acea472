"""The floor under `kairos scan`: tree-sitter alone, with no Python work on the results.

    python benchmarks/bench_floor.py

Parses this interpreter's standard library (without site-packages) on every
core, first with parsing only, then parsing plus running the tag query, and
prints both wall times next to `ctags -R` on the same tree. What a scan adds
on top (symbols, observations, the store) cannot make it faster than this.
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kairos_lsp.scan import iter_source_files

ROOT = sysconfig.get_paths()["stdlib"]


def _work(args: tuple[list[str], bool]) -> int:
    from tree_sitter import QueryCursor

    from kairos_lsp.extract import _prepared_query, parse

    paths, with_query = args
    query = _prepared_query("python")[0]
    matches = 0
    for rel in paths:
        with open(os.path.join(ROOT, rel), "rb") as handle:
            tree = parse(handle.read(), "python")
        if with_query:
            matches += len(QueryCursor(query).matches(tree.root_node))
    return matches


def timed(with_query: bool, chunks: list[list[str]]) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_work, [(chunk, with_query) for chunk in chunks]))
    return time.perf_counter() - start


def main() -> None:
    paths = list(iter_source_files(Path(ROOT), ("site-packages/",)))
    chunks = [paths[i : i + 32] for i in range(0, len(paths), 32)]
    with tempfile.TemporaryDirectory() as work:
        start = time.perf_counter()
        subprocess.run(
            ["ctags", "-R", "--exclude=site-packages", "-f", f"{work}/tags", ROOT],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ctags = time.perf_counter() - start
    parse_only, with_query = timed(False, chunks), timed(True, chunks)
    print(f"{len(paths)} files, {os.cpu_count()} cores")
    print(f"ctags -R             : {ctags:6.2f} s")
    print(f"parse only           : {parse_only:6.2f} s  ({parse_only / ctags:.1f} x ctags)")
    print(f"parse + tag query    : {with_query:6.2f} s  ({with_query / ctags:.1f} x ctags)")


if __name__ == "__main__":
    main()
