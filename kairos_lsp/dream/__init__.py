"""autoDream: consolidate observations into facts. Plain Python, no protocol types.

>>> report = dream(store, trigger="cli")                  # doctest: +SKIP
>>> print(report.line())                                  # doctest: +SKIP
dream #3 (cli): read 41 observations, 9 facts created, ...

Modules, one job each:

``lock``     one dreamer per store (flock next to the database; busy -> return)
``engine``   the dream loop: batches beyond the cursor, grouped into transactions; the dream log
``batches``  cutting the observation log into batches of whole versions (engine and helper)
``replay``   replaying one version onto its file's facts; the in-process replayer
``ahead``    the replayer with a read-ahead helper process (``helper`` is that process)
``state``    live facts of one file in memory, written back in bulk (observed facts
             to ``observed_facts``, every other to ``derived_facts``; the ``facts``
             view shows both with the same columns)
``merge``    merge same triples, resolve single-valued predicates, retract
             negated facts and vanished symbols, apply user verdicts
``links``    renames and moves (same or nearly the same body)
``promote``  offline insights (may_handle, pure, role), noisy-OR, firm/tentative
``tested``   tested_by insights, across files
``summary``  one-sentence summary, cached by body hash
``verdict``  record_verdict: confirm/reject as a ``user`` observation
``forget``   forget a symbol or a file, under the dream lock
``read``     facts_for, history, earlier, predecessors, successor, dream_log

No SQL here: every query and write is the store's (``kairos_lsp.store``, and
``store.facts`` for facts, evidence, counts and the dream log).
"""

from kairos_lsp.dream.engine import DreamReport, cursor, dream, due, pending
from kairos_lsp.dream.model import FIRM_AT, FIRM_SOURCES, SINGLE_VALUED, WEIGHTS, noisy_or
from kairos_lsp.dream.read import current_value, dream_log, earlier, facts_for, history, predecessors, successor
from kairos_lsp.dream.verdict import record_verdict

__all__ = [
    "DreamReport",
    "dream",
    "due",
    "pending",
    "cursor",
    "record_verdict",
    "facts_for",
    "history",
    "earlier",
    "predecessors",
    "successor",
    "current_value",
    "dream_log",
    "noisy_or",
    "WEIGHTS",
    "FIRM_AT",
    "FIRM_SOURCES",
    "SINGLE_VALUED",
]
