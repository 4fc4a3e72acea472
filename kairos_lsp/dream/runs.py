"""What runs said, turned into insights: ``flaky`` tests.

A test that passed and failed against the same code (two runs with one
fingerprint: the project files the run loaded, or the workspace's files) is
``flaky``. The insight rests on the runs alone (source ``terminal``), so it
stays tentative unless a user confirms it; a user's reject sticks. Runs are
history, so the fact is not retracted by later runs: its evidence says which
runs disagreed.

This runs once per dream batch, for the tests the batch's runs touched, like
``tested_by`` (dream/tested.py).
"""

from __future__ import annotations

from kairos_lsp.dream.batches import rows_of
from kairos_lsp.dream.model import EVENTS, Counts, Version, noisy_or
from kairos_lsp.store import Store

PREDICATE = "flaky"
OUTCOMES = ("test_passed", "test_failed")


def derive(store: Store, versions: list[Version], counts: Counts) -> None:
    """Find the flaky tests among those the batch's runs reported on."""
    facts = store.facts
    tests = sorted(
        {
            row[1]
            for version in versions
            if version.source == EVENTS
            for row in rows_of(facts, version)
            if row[2] in OUTCOMES
        }
    )
    if not tests:
        return
    evidence = _disagreements(facts.outcomes_in_runs(tests))
    if not evidence:
        return
    existing = {
        subject: (fact_id, status, verdict)
        for fact_id, subject, _, status, verdict in facts.insights_of(list(evidence), PREDICATE)
    }
    when = versions[-1].observed_at
    confidence = noisy_or({"terminal"})
    status = "tentative"  # one source, the runs: firm only by a user's confirm
    next_id = facts.next_id()
    new, links = [], []
    for test, found in sorted(evidence.items()):
        known = existing.get(test)
        if known is not None:
            fact_id, live_status, verdict = known
            if live_status in ("tentative", "firm") and verdict != "rejected":
                for oid, _ in found:
                    facts.support(fact_id, oid, "terminal")
            continue  # a rejected or retracted fact is not brought back by runs
        new.append((next_id, test, "true", status, confidence, len(found), when, found[0][0]))
        links += [(next_id, oid, "terminal", fingerprint) for oid, fingerprint in found]
        counts.created += 1
        next_id += 1
    facts.add_insights(PREDICATE, new, links)


def _disagreements(outcomes: list[tuple[str, str, int, str]]) -> dict[str, list[tuple[int, str]]]:
    """{test: [(observation id, fingerprint)...]} for the tests that both passed and failed
    against one fingerprint: the last pass and the last failure of each such fingerprint.

    >>> _disagreements([("t", "test_passed", 1, "a"), ("t", "test_failed", 2, "a"), ("u", "test_failed", 3, "a")])
    {'t': [(1, 'a'), (2, 'a')]}
    """
    seen: dict[str, dict[str, dict[str, int]]] = {}
    for test, predicate, oid, fingerprint in outcomes:
        seen.setdefault(test, {}).setdefault(fingerprint, {})[predicate] = oid
    out: dict[str, list[tuple[int, str]]] = {}
    for test, by_code in seen.items():
        for fingerprint, last in by_code.items():
            if len(last) == 2:
                out.setdefault(test, []).extend(sorted((oid, fingerprint) for oid in last.values()))
    return out
