"""Convergence on a real project's history: a memory built commit by commit against a fresh look.

    python benchmarks/bench_convergence.py GIT_DIR [--commits 150] [--every 10] [--until REV] [--show 5]

Replays the last N first-parent commits of a git repository (a clone or a bare
mirror) into one memory: every commit is checked out and scanned, and every
K-th is dreamed over, as a user who pulls often and leaves the editor idle now
and then. At the end ``kairos verify``'s comparison runs: the memory (brought up
to date) against a fresh scan and dream of the last commit's tree, fact by fact
(subject, predicate, value, status; where symbols were renamed or moved from
is history only a replay can know, and is left out).

Prints the facts compared, the facts that differ by predicate with examples,
and how long the replay and the comparison took. Goal: 0 differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store
from kairos_lsp.verify import verify

sys.path.insert(0, str(Path(__file__).parent))
from bench_history import checkout, last_commits  # noqa: E402  (one way to check a commit out, shared)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir", type=Path, help="a repository's .git folder, or a bare mirror")
    parser.add_argument("--commits", type=int, default=150, help="how many of the last commits (first parent)")
    parser.add_argument("--every", type=int, default=10, help="dream after every K-th commit")
    parser.add_argument("--until", default="HEAD", help="the last commit to replay (default HEAD)")
    parser.add_argument("--show", type=int, default=5, help="examples per predicate")
    args = parser.parse_args()
    git_dir, commits = last_commits(args.git_dir, args.commits, args.until)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kairos-convergence-") as work:
        tree = Path(work) / "tree"
        tree.mkdir()
        store = Store(tree / ".kairos" / "memory.db")
        for n, commit in enumerate(commits):
            checkout(git_dir, commit, tree)
            scan_workspace(tree, store, Settings())
            if (n + 1) % args.every == 0:
                dream(store, trigger="history")
            print(f"\r{n + 1}/{len(commits)} commits", end="", file=sys.stderr)
        print(file=sys.stderr)
        replayed = time.perf_counter() - started
        found = verify(tree, store, Settings())
        store.close()

    print(
        f"{git_dir}: {len(commits)} commits ({commits[0][:10]}..{commits[-1][:10]}), a dream every {args.every}, "
        f"replayed in {replayed:.0f} s; compared in {found.seconds:.1f} s"
    )
    print(
        f"current facts: {found.live_facts:,} replayed, {found.fresh_facts:,} fresh; "
        f"{len(found.differences):,} differ (goal 0)"
    )
    for predicate, counts in found.by_predicate().items():
        print(f"  {predicate}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
        for diff in [d for d in found.differences if d.predicate == predicate][: args.show]:
            print(f"    {diff.describe()}")
    return 0 if found.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
