"""How many of a tree's call sites the memory can follow to a symbol it knows.

    python benchmarks/bench_resolution.py TREE [TREE ...] [--show 10]

Scans each tree into a fresh memory (no dream: resolution reads what the scan
wrote) and looks every current call site up the way a hover, "called by" and
the checks do (``Resolver.lookup`` from the calling symbol's scope). Prints per
tree the call sites, how many resolve to a symbol of the tree, and the share;
with ``--show N``, the N callee texts that fail most often. A call into a
package outside the tree (``node_modules``, site-packages) cannot resolve, so
the share is never 100 %: compare code before and after a change on the same
tree.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from kairos_lsp.keys import qualname_of
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.resolve import Found
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store
from kairos_lsp.store.migrations import PREDICATE_ID


def resolution(tree: Path, show: int) -> None:
    with tempfile.TemporaryDirectory() as work, Store(Path(work) / "memory.db") as store:
        scan_workspace(tree, store)
        knowledge = Knowledge(store)
        started = time.perf_counter()
        rows = store.db.execute(
            "SELECT o.subject, o.object, c.path FROM current c JOIN observations o ON o.id = c.observation_id "
            # ("+": by the predicate's name, or its id's index, the planner joins every call
            # observation ever made: 66 s on the standard library, 0.06 s this way)
            f"WHERE +o.predicate_id = {PREDICATE_ID['calls']}"
        ).fetchall()
        missed: Counter[str] = Counter()
        for subject, callee, path in rows:
            if not isinstance(knowledge.resolver.lookup(path, callee, qualname_of(subject) or None), Found):
                missed[callee] += 1
        found = len(rows) - sum(missed.values())
        share = 100 * found / len(rows) if rows else 0.0
        seconds = time.perf_counter() - started
        print(f"{tree}: {len(rows):,} call sites, {found:,} resolve ({share:.1f} %) in {seconds:.1f} s")
        for callee, count in missed.most_common(show):
            print(f"    {count:6,}  {callee}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--show", type=int, default=0, help="the callees that fail most often")
    args = parser.parse_args()
    for tree in args.trees:
        resolution(tree.resolve(), args.show)


if __name__ == "__main__":
    main()
