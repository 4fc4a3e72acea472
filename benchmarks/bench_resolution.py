"""How many of a tree's call sites the memory can follow to a symbol it knows.

    python benchmarks/bench_resolution.py TREE [TREE ...] [--show 10] [--defined] [--dump FILE]

Scans each tree into a fresh memory (no dream: resolution reads what the scan
wrote) and looks every current call site up the way a hover, "called by" and
the checks do (``Resolver.lookup`` from the calling symbol's scope). Prints per
tree the call sites, how many resolve to a symbol of the tree, and the share;
with ``--show N``, the N callee texts that fail most often (``--defined``: only
those whose last name the tree defines, the gaps worth a look; with the calling
symbol of one site each). A call into a package outside the tree
(``node_modules``, site-packages) cannot resolve, so the share is never 100 %:
compare code before and after a change on the same tree. ``--dump FILE`` (one
tree) writes every call site and what it resolves to, a line each, in a fixed
order: run it with the code before (a worktree on ``PYTHONPATH``) and after, and
``diff`` the two files, site by site.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from kairos_lsp.keys import qualname_of
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.resolve import Found, Gone
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store
from kairos_lsp.store.migrations import PREDICATE_ID


def resolution(tree: Path, show: int, defined: bool = False, dump: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as work, Store(Path(work) / "memory.db") as store:
        scan_workspace(tree, store)
        knowledge = Knowledge(store)
        started = time.perf_counter()
        rows = store.db.execute(
            "SELECT o.subject, o.object, c.path FROM current c JOIN observations o ON o.id = c.observation_id "
            # ("+": by the predicate's name, or its id's index, the planner joins every call
            # observation ever made: 66 s on the standard library, 0.06 s this way)
            f"WHERE +o.predicate_id = {PREDICATE_ID['calls']} ORDER BY o.subject, o.object"
        ).fetchall()
        missed: Counter[str] = Counter()
        where: dict[str, str] = {}
        answers = []
        for subject, callee, path in rows:
            target = knowledge.resolver.lookup(path, callee, qualname_of(subject) or None)
            answers.append(target.key if isinstance(target, Found | Gone) else "-")
            if not isinstance(target, Found):
                missed[callee] += 1
                where.setdefault(callee, subject)
        found = len(rows) - sum(missed.values())
        share = 100 * found / len(rows) if rows else 0.0
        seconds = time.perf_counter() - started
        print(f"{tree}: {len(rows):,} call sites, {found:,} resolve ({share:.1f} %) in {seconds:.1f} s")
        if defined:  # (the last name of ``a.b.c``, ``x?.y``, ``"".join``)
            names = {qualname.rpartition(".")[2] for (qualname,) in store.db.execute("SELECT qualname FROM symbols")}
            missed = Counter({callee: n for callee, n in missed.items() if re.split(r"[.?\s]+", callee)[-1] in names})
            print(f"    {sum(missed.values()):,} of the sites that do not resolve call a name the tree defines")
        for callee, count in missed.most_common(show):
            print(f"    {count:6,}  {callee}" + (f"  (in {where[callee]})" if defined else ""))
        if dump is not None:
            dump.write_text("".join(f"{s}\t{c}\t{a}\n" for (s, c, _), a in zip(rows, answers, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--show", type=int, default=0, help="the callees that fail most often")
    parser.add_argument("--defined", action="store_true", help="only callees whose last name the tree defines")
    parser.add_argument("--dump", type=Path, help="every call site and its answer, into this file (one tree)")
    args = parser.parse_args()
    if args.dump is not None and len(args.trees) != 1:
        parser.error("--dump takes one tree")
    for tree in args.trees:
        resolution(tree.resolve(), args.show, args.defined, args.dump)


if __name__ == "__main__":
    main()
