"""Is my memory right? Compare it, fact by fact, with a fresh look at the tree.

>>> found = verify(Path("."), store)                         # doctest: +SKIP
>>> found.line()                                             # doctest: +SKIP
'verify: 10,408 current facts, 0 differ from a fresh scan and dream of the tree'

Convergence (``design.md``): after any history of edits, scans, moves and dreams,
the current facts of a memory equal those of a fresh scan and dream of the final
tree. :func:`verify` first brings the live memory up to date (a scan and a full
dream, as the daemon would), then builds the fresh memory in a temporary folder:
a scan of the same tree with the same settings, plus the same events (the user's
verdicts, what runs said, Claude's answers: what no scan can see), and a dream.
What only a history can know is left out of the comparison: where a symbol was
renamed or moved from (``renamed_from``, ``moved_from``) and to.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream, pending
from kairos_lsp.dream.model import CAME_FROM, GONE_TO, NOT_LOOKS
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

HISTORY_ONLY = GONE_TO + CAME_FROM


class Busy(Exception):
    """Another process kept dreaming over the memory, so it could not be brought up to date."""


@dataclass(frozen=True)
class Difference:
    subject: str
    predicate: str
    value: str
    live: str | None  # its status in the live memory; None: the live memory lacks it
    fresh: str | None  # ... in the fresh memory

    def describe(self) -> str:
        if self.live is None:
            return f"missing: {self.subject} {self.predicate} {self.value!r} (a fresh look finds it {self.fresh})"
        if self.fresh is None:
            return f"extra: {self.subject} {self.predicate} {self.value!r} ({self.live}; a fresh look does not find it)"
        return f"status: {self.subject} {self.predicate} {self.value!r} is {self.live}, a fresh look says {self.fresh}"


@dataclass
class Verification:
    live_facts: int = 0
    fresh_facts: int = 0
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.differences

    def by_predicate(self) -> dict[str, Counter]:
        """{predicate: Counter(missing=, extra=, status=)}, predicates sorted."""
        out: dict[str, Counter] = {}
        for diff in self.differences:
            kind = "missing" if diff.live is None else "extra" if diff.fresh is None else "status"
            out.setdefault(diff.predicate, Counter())[kind] += 1
        return dict(sorted(out.items()))

    def line(self) -> str:
        return (
            f"verify: {self.live_facts:,} current facts, {len(self.differences):,} differ from a fresh "
            f"scan and dream of the tree ({self.fresh_facts:,} facts) in {self.seconds:.1f} s"
        )

    def as_dict(self, examples: int = 5) -> dict:
        return {
            "ok": self.ok,
            "live_facts": self.live_facts,
            "fresh_facts": self.fresh_facts,
            "differing": len(self.differences),
            "seconds": round(self.seconds, 3),
            "by_predicate": {
                predicate: {
                    **counts,
                    "examples": [
                        {"subject": d.subject, "value": d.value, "live": d.live, "fresh": d.fresh}
                        for d in self.differences
                        if d.predicate == predicate
                    ][:examples],
                }
                for predicate, counts in self.by_predicate().items()
            },
        }


def catch_up(root: Path, store: Store, settings: Settings, jobs: int | None = None, patience: float = 60.0) -> None:
    """Scan the tree into the live memory and dream until nothing is pending. A dream held
    by another process (the daemon, an editor) is waited for up to ``patience`` seconds."""
    # (workers are new interpreters: forked from this process, each began at its size, 130 MB on the large tree)
    scan_workspace(root, store, settings, jobs=jobs)
    deadline = time.monotonic() + patience
    first = True  # one dream at least: it also does what a migration left to do
    while first or pending(store):
        first = False
        if dream(store, trigger="verify").busy:
            first = True
            if time.monotonic() > deadline:
                raise Busy("another process keeps dreaming over this memory; try again when it is idle")
            time.sleep(0.5)


def fresh_memory(root: Path, live: Store, settings: Settings, folder: Path, jobs: int | None = None) -> Path:
    """A fresh scan of ``root`` plus ``live``'s events, dreamed, in ``folder``; its path."""
    path = folder / "memory.db"
    fresh = Store(path)
    try:
        # (nobody reads it meanwhile: its indexes are built at the end)
        scan_workspace(root, fresh, settings, jobs=jobs, indexes_after=True)
        fresh.copy_events(live.path, NOT_LOOKS)
        while pending(fresh):
            # with the read-ahead helper when the backlog is large, as `kairos dream`: on the large
            # tree 8 s sooner, the family's peak 264 MB against 241 MB
            dream(fresh, trigger="verify")
    finally:
        fresh.close()
    return path


def verify(
    root: Path, store: Store, settings: Settings = Settings(), jobs: int | None = None, up_to_date: bool = False
) -> Verification:
    """Compare ``store`` (the live memory of ``root``) with a fresh one. ``up_to_date``:
    the caller has just scanned and dreamed (tests replaying a history), so skip that."""
    started = time.perf_counter()
    if not up_to_date:
        catch_up(root, store, settings, jobs)
    with tempfile.TemporaryDirectory(prefix="kairos-verify-") as folder:
        path = fresh_memory(root, store, settings, Path(folder), jobs)
        live_facts, fresh_facts, rows = store.differing_facts(path, HISTORY_ONLY)
    return Verification(live_facts, fresh_facts, [Difference(*row) for row in rows], time.perf_counter() - started)
