"""``recent-failure``: a test failed in the last captured run.

It marks the failed test, the functions of the file that test calls, and
the project functions its traceback crossed (``failed_in``, exact when the
run was captured by kairos' pytest plugin or a report with stack frames)."""

from __future__ import annotations

from kairos_lsp.checks.model import RECENT_FAILURE, CheckedFile, Problem
from kairos_lsp.keys import symbol_key


def recent_failures(file: CheckedFile) -> list[Problem]:
    """A failed test marks itself and the functions of this file it calls."""
    failed = file.knowledge.failed_tests()
    if not failed:
        return []
    keys = {symbol_key(file.language, file.path, s.qualname): s for s in file.symbols[1:]}
    blamed: dict[str, list[tuple[str, dict]]] = {}
    for key, crossed in file.knowledge.failing_through(list(keys)).items():
        for test, outcome, raised in crossed:
            blamed.setdefault(key, []).append((test, {**outcome, "raised": raised}))
    for test, outcome in failed.items():
        if test in keys:
            blamed.setdefault(test, []).insert(0, (test, outcome))
        for callee in file.knowledge.callees(test):
            if callee in keys and callee != test and all(t != test for t, _ in blamed.get(callee, [])):
                blamed.setdefault(callee, []).append((test, outcome))
    out = []
    for key, tests in blamed.items():
        sym = keys[key]
        test, outcome = tests[0]
        when = outcome["at"][:16].replace("T", " ")
        detail = " ".join(str(outcome["detail"]).split())[:200]
        who = f"`{sym.qualname}`" if test == key else f"its test `{test.rsplit(':', 1)[-1]}`"
        more = f" (and {len(tests) - 1} more)" if len(tests) > 1 else ""
        if outcome.get("raised"):
            detail = f"{' '.join(outcome['raised'].split())[:160]} went through here"
        out.append(
            Problem(
                RECENT_FAILURE,
                "information",
                f"{who} failed in the last captured run{more} ({when}): {detail}",
                sym.name_start,
                sym.name_end,
                key,
            )
        )
    return out
