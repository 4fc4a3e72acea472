"""What a fact is in memory, and the rules every stage shares.

Statuses: ``tentative`` and ``firm`` are *current* (live); ``superseded`` and
``retracted`` are history. Origins say where a fact came from:

``observed``  a triple a look at the code asserted (parse, edit, daemon, ...)
``insight``   derived offline from observed facts (may_handle, pure, role)
``link``      a rename or move (renamed_to/renamed_from, moved_to/moved_from)
``summary``   the one-sentence summary
``user``      asserted by a user verdict alone
"""

from __future__ import annotations

from dataclasses import dataclass

LIVE = ("tentative", "firm")

# Facts read from the code (kind, signature, parameters, docstring, calls,
# imports, raises, body hash, and the offline summary made of them) are what the code
# says: firm while it says so (checked on use), superseded or retracted when it stops.
# Tentative -> firm promotion is for insights, inferred rather than read: may_handle,
# pure, role, tested_by, flaky, renames and moves, Claude's insights.
READ_FROM_CODE = ("observed", "summary")

# One current value per subject for these; a new value supersedes the old.
SINGLE_VALUED = frozenset({"kind", "signature", "parameters", "docstring", "body_hash", "summary"})

# Link predicates: where a symbol went (on the old key) and where it came from (new key).
GONE_TO = ("renamed_to", "moved_to")
CAME_FROM = ("renamed_from", "moved_from")

# Weight of one independent source (the ``why`` of an evidence link). Confidence
# is their noisy-OR: 1 - prod(1 - w) over the distinct sources with active evidence.
WEIGHTS = {
    # looks at the code
    "parse": 0.9,
    "daemon": 0.9,
    "edit": 0.8,
    "terminal": 0.7,
    "llm": 0.6,
    # offline insight sources
    "name": 0.4,
    "docstring": 0.5,
    "calls": 0.6,
    "decorators": 0.5,
    "imports": 0.3,
    "raises": 0.3,
    "callers": 0.5,
    "module": 0.4,
    "tests": 0.6,  # a test calls it (tested_by); a captured run of that test is "terminal"
    # rename / move evidence
    "body": 0.8,
    "similar": 0.5,
    "parameters": 0.5,
    # the one-sentence summary
    "code": 0.6,
}
FIRM_AT = 0.75  # confidence needed to become firm ...
FIRM_SOURCES = 2  # ... from at least this many independent sources, uncontradicted
USER = "user"
# The source of what runs said (test outcomes, raised, lint): events the dream reads
# for insights (flaky, tested_by), never facts of their own.
EVENTS = "terminal"
# The source of Claude's answers (opt-in, dream/claude.py): evidence (why "llm", weight
# WEIGHTS["llm"]) for derived insights while the symbol's body is the one Claude saw,
# never facts of their own; one source, so never firm on Claude's word alone.
LLM = "llm"
# Sources whose versions are not looks at the code (no observed facts, no first look).
NOT_LOOKS = ("user", EVENTS, LLM)


_NOISY: dict[frozenset, float] = {}


def noisy_or(sources) -> float:
    """Combine independent sources: ``1 - prod(1 - weight)``; order does not matter."""
    key = frozenset(sources)
    found = _NOISY.get(key)
    if found is None:
        found = _NOISY[key] = _noisy_or(key)
    return found


def _noisy_or(sources) -> float:
    miss = 1.0
    for why in sorted(set(sources)):
        miss *= 1.0 - WEIGHTS.get(why, 0.3)
    return round(1.0 - miss, 4)


@dataclass(slots=True, eq=False)
class Fact:
    id: int
    subject: str
    predicate: str
    object: str
    origin: str
    status: str
    confidence: float
    evidence_count: int
    valid_from: str
    valid_to: str | None = None
    superseded_by: int | None = None
    verdict: str | None = None
    first_observation: int = 0
    ended_by: int | None = None
    # (why, detail, observation id) -> active; loaded for derived facts only
    evidence: dict | None = None
    sources: set | None = None  # distinct ``why`` of active support; None = not loaded
    new: bool = False
    dirty: bool = False

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def loaded_evidence(self) -> dict:
        """:attr:`evidence`, which derived facts always have loaded (``State.load``, ``State.create``)."""
        if self.evidence is None:
            raise RuntimeError(
                f"fact {self.id} ({self.origin}): its evidence is not loaded (only derived facts have it)"
            )
        return self.evidence

    def row(self) -> tuple:
        """The fact as a row of ``derived_facts`` (``store.facts.FACT_COLUMNS``, in order)."""
        return (
            self.id,
            self.subject,
            self.predicate,
            self.object,
            self.origin,
            self.status,
            self.confidence,
            self.evidence_count,
            self.valid_from,
            self.valid_to,
            self.superseded_by,
            self.verdict,
            self.first_observation,
            self.ended_by,
        )


@dataclass
class Counts:
    observations: int = 0
    created: int = 0
    merged: int = 0
    superseded: int = 0
    retracted: int = 0
    promoted: int = 0
    demoted: int = 0
    linked: int = 0

    def values(self) -> tuple[int, ...]:
        """The counts in field order (``dataclasses.astuple`` copies deeply: slow per file)."""
        return tuple(vars(self).values())


@dataclass
class Version:
    id: int
    path: str
    content_hash: str | None
    source: str
    observed_at: str
    rows: list | None = None  # (id, subject, predicate, object, negated, version id); None: not read yet
    first: int = 0  # its first and last observation ids, and how many it has
    last: int = 0
    count: int = 0
    subject: str = ""  # the subject of its first observation

    @property
    def observations(self) -> list:
        """:attr:`rows`, once read (see ``batches.rows_of``)."""
        if self.rows is None:
            raise RuntimeError(f"version {self.id}: its observations are not read yet (see batches.rows_of)")
        return self.rows
