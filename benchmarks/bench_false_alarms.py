"""False alarms on released projects: warnings per 1,000 files on a first scan (goal 0).

    python benchmarks/bench_false_alarms.py [--show N] [--more]

Runs what ``tests/test_false_alarms.py`` asserts, over every project of
``tests/released.py`` (Python sdists and npm packages with their TypeScript
sources, fixed versions, downloaded once into ``$KAIROS_TEST_CACHE`` or
``~/.cache/kairos-lsp-tests/``): each is copied to a temporary folder, scanned,
dreamed and every source file checked. Released code has seen no change in the
memory, so every ``stale-call``, ``renamed-symbol``, ``missing-symbol`` and
``docstring-drift`` is a false alarm. Prints one row per project (files
checked, the count of each code, their total and the total per 1,000 files),
the total row, and with ``--show N`` the first N alarms of each project. ``--more``: the
releases tried since as well (``released.MORE_PROJECTS``: ten Python and JavaScript ones, six
TypeScript packages with their sources, effect, zod 4 and @effect/platform among them, and Go
modules, Rust crates and Java projects as Debian 12 keeps their sources).

"unfit calls" measures the judging itself rather than its output: calls
resolved with certainty that do not bind to their callee as it is now
(``kairos_lsp.checks.unfit_calls``). On released code each is a mistake of
resolution or binding, unless the call is wrong on purpose (a test expecting a
``TypeError``): the count in test files is shown in parentheses.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import released  # noqa: E402  (tests/released.py: the projects, their download and the checks)

COLUMNS = (
    "project",
    "files",
    *released.ALARMS,
    "total",
    "per 1,000 files",
    "calls judged",
    "unfit calls (in tests)",
    "seconds",
)


def row(name: str, files: int, counts: list[int], judged: int, unfit: tuple[int, int], seconds: float) -> list[str]:
    total = sum(counts)
    per_thousand = f"{1000 * total / files:,.0f}" if files else "-"
    return [
        name,
        f"{files:,}",
        *(f"{n:,}" for n in counts),
        f"{total:,}",
        per_thousand,
        f"{judged:,}",
        f"{unfit[0]:,} ({unfit[1]:,})",
        f"{seconds:.1f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N alarms of each project")
    parser.add_argument("--more", action="store_true", help="also the releases tried since (released.MORE_PROJECTS)")
    args = parser.parse_args()

    rows, notes = [], []
    totals, files, seconds, unfit, judged = [0] * len(released.ALARMS), 0, 0.0, (0, 0), 0
    with tempfile.TemporaryDirectory(prefix="kairos-false-alarms-") as work:
        for project in released.PROJECTS + (released.MORE_PROJECTS if args.more else ()):
            try:
                tree = released.fetch(project)
            except released.Unavailable as exc:
                print(f"skipped: {exc}", file=sys.stderr)
                continue
            report = released.examine(project, tree, Path(work))
            counts = [report.count(code) for code in released.ALARMS]
            outside = len(report.unfit_outside_tests())
            mine = (len(report.unfit), len(report.unfit) - outside)
            unfit = (unfit[0] + mine[0], unfit[1] + mine[1])
            judged += report.judged
            rows.append(row(str(project), report.files, counts, report.judged, mine, report.seconds))
            totals = [a + b for a, b in zip(totals, counts)]
            files += report.files
            seconds += report.seconds
            notes += [f"{project}: crashed on {path}: {error}" for path, error in report.crashes]
            notes += [f"{project}: scan skipped {path}: {reason}" for path, reason in report.skipped]
            if args.show:
                notes += [f"{project}: {line}" for line in report.lines(args.show)]
                notes += [f"{project}: unfit call {where}: {what}" for where, what in report.unfit[: args.show]]
    if not rows:
        return 1
    rows.append(row("total", files, totals, judged, unfit, seconds))

    widths = [max(len(r[i]) for r in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    line = "  ".join
    print(line(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(COLUMNS, widths))))
    for n, r in enumerate(rows):
        if n == len(rows) - 1:
            print(line("-" * w for w in widths))
        print(line(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
