"""What a dream reads next: whole versions (one look at one file each) beyond a
position in the observation log, about ``BATCH`` observations at a time.

Both the dream (engine.py) and its read-ahead helper (helper.py) cut the log
into the same batches with :func:`next_batch`, so they agree on what is
consolidated together.
"""

from __future__ import annotations

from kairos_lsp.dream.model import Version
from kairos_lsp.dream.summary import Lookup
from kairos_lsp.keys import module_of, name_of
from kairos_lsp.store.facts import Facts

BATCH = 5000


def next_batch(facts: Facts, position: int, size: int = BATCH, lazy: bool = False) -> list[Version]:
    """Whole versions whose observations start after ``position``, about ``size`` rows.
    ``lazy``: do not read their observations yet (see :func:`rows_of`)."""
    vid = 1 if lazy else 5
    rows = facts.observations_after(position, size, lazy)
    if not rows:
        return []
    while True:  # never split a version: finish the last one
        more = facts.observations_after(rows[-1][0], 500, lazy)
        tail = [r for r in more if r[vid] == rows[-1][vid]]
        rows += tail
        if len(tail) < len(more) or not more:
            break
    info = facts.versions(sorted({r[vid] for r in rows}))
    versions: list[Version] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][vid] != rows[start][vid]:
            version = Version(*info[rows[start][vid]], first=rows[start][0], last=rows[i - 1][0], count=i - start)
            if lazy:
                version.subject = facts.subject_of(version.first)
            else:
                version.rows = rows[start:i]
                version.subject = version.rows[0][1]
            versions.append(version)
            start = i
    return versions


def rows_of(facts: Facts, version: Version) -> list:
    """A version's observations, read when first needed."""
    if version.rows is None:
        version.rows = facts.observations_between(version.first, version.last)
    return version.rows


def last_of(versions: list[Version]) -> int:
    """The last observation of a batch."""
    return versions[-1].last


def prefix_of(version: Version) -> str:
    """``language:path``: the file whose facts replaying ``version`` loads."""
    subject = version.subject
    if version.source == "user":
        return module_of(subject)
    return subject.split(":", 1)[0] + ":" + version.path


def prefetch(versions: list[Version], callers: Lookup) -> None:
    """The call-site counts replaying these versions will look up, in one go (the rest are
    asked for then)."""
    if callers.complete:  # it knows every count already (a first dream's helper)
        return
    subjects = {row[1] for version in versions for row in version.observations}
    callers.prefetch({name_of(subject) for subject in subjects})
