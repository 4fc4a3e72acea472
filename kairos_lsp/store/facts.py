"""What a dream reads and writes: facts, their evidence, call-site counts, the
dream log and cursor, and the observation log read in batches.

One :class:`Facts` per connection (``store.facts``). Each method is one named
question or write; none opens a transaction (the dream groups its writes, see
``Store.transactions``). Facts live in two tables, shown together by the
``facts`` view: ``observed_facts`` (a view of one row per observation that started
a fact: its subject, predicate, object and valid_from are that observation's; stored
as runs of such observations, ``observed_runs``, and the facts that changed since,
``observed_changes``) and ``derived_facts`` (every other fact, a full row).
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from operator import itemgetter

from kairos_lsp.keys import qualname_of
from kairos_lsp.store.migrations import (
    LIVE_CODES,
    NEXT_FACT_ID,
    OBJECT_TEXT,
    ORIGINS,
    OUTCOME_IDS,
    PREDICATE_ID,
    RUN_OF,
    STATUS_CODE,
    STATUS_TEXT,
    TESTED_KEY,
    TESTS_FIRST_OWN,
    basis_points,
    packed_hash,
)
from kairos_lsp.store.names import Predicates, name_ids, origin_ids, stamp_ids

BODY_HASH = PREDICATE_ID["body_hash"]
TESTED_BY = PREDICATE_ID["tested_by"]
KIND = PREDICATE_ID["kind"]
ROLE = PREDICATE_ID["role"]
INSIGHT = ORIGINS.index("insight") + 1  # its origins.id
# A tested_by fact's evidence (``tests``, ``terminal``) is stored without its detail, the
# test, which is the fact's object (schema 22: 2 % of the large tree's memory); this shows
# it again (``e``: the evidence row, ``d``: its derived fact, if any).
TESTED_DETAIL = (
    f"CASE WHEN e.detail = '' AND d.predicate_id = {TESTED_BY} THEN {TESTED_KEY.format('d')} ELSE e.detail END"
)
# A tested_by fact's first evidence (which its row says: see migrations.EVIDENCE_VIEW) written,
# inactive, for the fact ``?1``.
_TESTS_FIRST_INACTIVE = (
    "INSERT OR IGNORE INTO fact_evidence (fact_id, observation_id, why, detail, active) "
    f"SELECT id, first_observation, 'tests', '', 0 FROM derived_log WHERE id = ?1 AND predicate_id = {TESTED_BY}"
)
LIVE = "('tentative', 'firm')"
# A fact's columns, in the order of ``kairos_lsp.dream.model.Fact``'s first fields.
FACT_COLUMNS = (
    "id, subject, predicate, object, origin, status, confidence, evidence_count, "
    "valid_from, valid_to, superseded_by, verdict, first_observation, ended_by"
)
# The same columns for observed facts (``observed_facts f``): their subject, predicate,
# object and valid_from are those of their first observation ``o`` and its version ``v``.
OBSERVED_COLUMNS = (
    "f.id, o.subject, o.predicate, o.object, 'observed', f.status, f.confidence, "
    "f.evidence_count, v.observed_at, f.valid_to, f.superseded_by, f.verdict, "
    "f.first_observation, f.ended_by"
)
OBSERVED_FROM = (
    "FROM observations o JOIN observed_facts f ON f.first_observation = o.id JOIN versions v ON v.id = o.version_id"
)
# The same in ``derived_log``, where subject, predicate and the times are ids.
DERIVED_COLUMNS = (
    FACT_COLUMNS.replace("subject, predicate,", "subject_id, predicate_id,")
    .replace("origin, status,", "origin_id, status_code,")
    .replace("valid_from, valid_to,", "valid_from_id, valid_to_id,")
    .replace("confidence,", "confidence_bp,")
)
# An observation as the dream replays it.
ROW = "id, subject, predicate, object, negated, version_id"
_LOG_ROW = "id, subject_id, predicate_id, object, negated, version_id"  # the same in the log (ids)
CHUNK = 500  # values bound in one IN (...)


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def dict_rows(cursor: sqlite3.Cursor) -> list[dict]:
    """A query's rows as dicts by column name (what sqlite-utils' ``query()`` gives, without
    the savepoint it wraps each statement in: two more statements per read)."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _marks(items) -> str:
    return ",".join("?" * len(items))


class Facts:
    def __init__(self, conn: sqlite3.Connection, predicates: Predicates | None = None):
        self.conn = conn
        self.predicates = predicates or Predicates()
        self._first_later: dict[str, int] = {}  # a look's time -> the first version of a later look
        self._first_row: dict[int, int] = {}  # a version -> the first observation of it or after
        self._bodies: OrderedDict[str, _BodyRows] = OrderedDict()  # see _body_rows
        self._kept_rows = 0

    def _pairs(self, sql: str, items: list) -> dict:
        """``{first column: second}`` of ``sql`` run on ``items`` a chunk at a time (``sql``
        holds ``{marks}`` where the chunk's placeholders go)."""
        found: dict = {}
        for chunk in chunks(items):
            found.update(self.conn.execute(sql.format(marks=_marks(chunk)), chunk))
        return found

    # -- the observation log, in batches ----------------------------------------

    def newest_observation(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM observation_log").fetchone()[0]

    def newest_version(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]

    def observations_after(self, position: int, limit: int, lazy: bool = False) -> list[tuple]:
        """Up to ``limit`` observations after id ``position``, in id order: :data:`ROW`
        tuples, or ``(id, version_id)`` when ``lazy``."""
        if lazy:
            return self.conn.execute(
                "SELECT id, version_id FROM observation_log WHERE id > ? ORDER BY id LIMIT ?", (position, limit)
            ).fetchall()
        return self._rows(f"SELECT {_LOG_ROW} FROM observation_log WHERE id > ? ORDER BY id LIMIT ?", (position, limit))

    def versions(self, ids: list[int]) -> dict[int, tuple[int, str, str | None, str, str]]:
        """``{id: (id, path, content_hash, source, observed_at)}``."""
        info: dict[int, tuple[int, str, str | None, str, str]] = {}
        for chunk in chunks(ids):
            info.update(
                {
                    r[0]: r
                    for r in self.conn.execute(
                        f"SELECT id, path, content_hash, source, observed_at FROM versions "
                        f"WHERE id IN ({_marks(chunk)})",
                        chunk,
                    )
                }
            )
        return info

    def subject_of(self, observation_id: int) -> str:
        return self.conn.execute("SELECT subject FROM observations WHERE id = ?", (observation_id,)).fetchone()[0]

    def version_of(self, observation_id: int) -> int | None:
        row = self.conn.execute("SELECT version_id FROM observations WHERE id = ?", (observation_id,)).fetchone()
        return row[0] if row else None

    def observations_between(self, first: int, last: int) -> list[tuple]:
        """Observations ``first..last`` as :data:`ROW` tuples."""
        return self._rows(f"SELECT {_LOG_ROW} FROM observation_log WHERE id BETWEEN ? AND ? ORDER BY id", (first, last))

    def _rows(self, sql: str, args: tuple) -> list[tuple]:
        """:data:`ROW` tuples from the log's ids: each subject's text read once per call and
        shared by its rows (not a join per row through the view, and one string object a
        subject's rows hash once)."""
        raw = self.conn.execute(sql, args).fetchall()
        subjects = {row[1] for row in raw}
        texts: dict[int, str] = {}
        if subjects and max(subjects) - min(subjects) < 2 * len(subjects):
            # A scan interns a file's keys together, so a batch's subjects are nearly a range
            # of ids (1,115 of 1,170 on the large tree): read in order, not one probe each.
            texts.update(
                self.conn.execute("SELECT id, text FROM names WHERE id BETWEEN ? AND ?", (min(subjects), max(subjects)))
            )
        else:
            texts.update(self._pairs("SELECT id, text FROM names WHERE id IN ({marks})", list(subjects)))
        predicates = self.predicates.names(self.conn, {row[2] for row in raw})
        return [
            (oid, texts[subject], predicates[predicate], obj.hex() if type(obj) is bytes else obj, negated, version)
            for oid, subject, predicate, obj, negated, version in raw
        ]

    def previous_look(self, path: str, before: int) -> int:
        """The last version of ``path`` before version ``before`` (0: none)."""
        row = self.conn.execute("SELECT max(id) FROM versions WHERE path = ? AND id < ?", (path, before)).fetchone()
        return row[0] or 0

    def first_version_later(self, after: int, after_time: str) -> int | None:
        """No version after ``after`` made by a look later than ``after_time`` has a smaller
        id than this; None: there is none yet."""
        later = self._first_later.get(after_time)
        if later is None:
            row = self.conn.execute(
                "SELECT id FROM versions WHERE observed_at > ? ORDER BY id LIMIT 1", (after_time,)
            ).fetchone()
            if row is None:
                return None  # (not kept: a later look may come)
            later = self._first_later[after_time] = row[0]
        return max(later, after + 1)

    def first_observation_later(self, after: int, after_time: str) -> int:
        """No observation of a version after ``after`` made by a look later than ``after_time``
        has a smaller id than this. The log is appended a version at a time, so its ids grow
        with their versions' (``batches.py`` reads it in that order): the first version of a
        later look is found once per look, its first observation by bisection. A folder
        deleted from the large tree asked, for each of its 400,000 symbols, about every symbol
        with the same body (14,132 share the commonest) that the first scan read after it."""
        version = self.first_version_later(after, after_time)
        if version is None:
            return self.newest_observation() + 1
        found = self._first_row.get(version)
        if found is None:

            def version_from(observation: int) -> int:  # (of the first row at or after it: ids may have gaps)
                return self.conn.execute(
                    "SELECT version_id FROM observation_log WHERE id >= ? ORDER BY id LIMIT 1", (observation,)
                ).fetchone()[0]

            ids = range(1, self.newest_observation() + 1)
            found = self._first_row[version] = 1 + bisect.bisect_left(ids, version, key=version_from)
        return found

    def look_time(self, version: int) -> str:
        """When the look that made ``version`` happened ("" for none: before every look). A
        scan's versions share one time: they are one look at the workspace."""
        row = self.conn.execute("SELECT observed_at FROM versions WHERE id = ?", (version,)).fetchone()
        return row[0] if row else ""

    def current_objects(self, path: str, subject: str, predicate: str) -> list[str]:
        """What the latest look at ``path`` asserts about ``subject``'s ``predicate``."""
        return [
            row[0]
            for row in self.conn.execute(
                "SELECT o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                "WHERE c.path = ? AND o.subject = ? AND o.predicate = ?",
                (path, subject, predicate),
            )
        ]

    def current_calls(self, path: str, subjects: list[str]) -> list[tuple[str, str, int]]:
        """``(subject, callee, observation id)`` of every call the latest look at ``path``
        asserts for ``subjects``, in observation order."""
        return self.conn.execute(
            "SELECT o.subject, o.object, o.id FROM current c JOIN observations o ON o.id = c.observation_id "
            f"WHERE c.path = ? AND o.predicate = 'calls' AND o.subject IN ({_marks(subjects)}) ORDER BY o.id",
            (path, *subjects),
        ).fetchall()

    def last_runs(self, tests: list[str]) -> dict[str, int]:
        """The last captured outcome (``test_passed`` / ``test_failed``) of each test that has one."""
        return self._pairs(
            f"SELECT subject, max(id) FROM observations WHERE predicate_id IN {OUTCOME_IDS} "
            "AND negated = 0 AND subject IN ({marks}) GROUP BY subject",
            tests,
        )

    def outcomes_in_runs(self, tests: list[str]) -> list[tuple[str, str, int, str]]:
        """``(test, test_passed | test_failed, observation id, code)`` of every outcome of
        ``tests`` captured in a run that knows what code it ran, by id. The code is the run's
        fingerprint and the test file's content as the outcome's version cites it."""
        rows = []
        for chunk in chunks(tests):
            rows += self.conn.execute(
                "SELECT o.subject, o.predicate, o.id, r.fingerprint || ':' || coalesce(v.content_hash, '') "
                "FROM observations o "
                "JOIN versions v ON v.id = o.version_id JOIN runs r ON r.id = v.run_id "
                f"WHERE o.subject IN ({_marks(chunk)}) AND o.predicate_id IN {OUTCOME_IDS} "
                "AND o.negated = 0 AND r.fingerprint IS NOT NULL ORDER BY o.id",
                chunk,
            ).fetchall()
        return rows

    def insights_of(self, subjects: list[str], predicate: str) -> list[tuple[int, str, str, str, str | None]]:
        """``(id, subject, object, status, verdict)`` of the ``predicate`` insights about ``subjects``."""
        rows = []
        for chunk in chunks(subjects):
            rows += self.conn.execute(
                "SELECT id, subject, object, status, verdict FROM derived_facts "
                f"WHERE predicate = ? AND subject IN ({_marks(chunk)}) ORDER BY id",
                (predicate, *chunk),
            ).fetchall()
        return rows

    def first_asked(self) -> int | None:
        """The first version that holds an answer of Claude's (``llm_asked``), None if none does."""
        llm_asked = PREDICATE_ID["llm_asked"]
        return self.conn.execute(
            f"SELECT min(version_id) FROM observation_log WHERE predicate_id = {llm_asked}"
        ).fetchone()[0]

    def llm_answers_between(self, lo: str, hi: str, version: int) -> list[tuple[str, int, str, int, str, str]]:
        """``(subject, version id, "<body hash> <model>", observation id, predicate, value)`` of
        Claude's insights (source ``llm``, see ``Store.record_llm_insights``) on subjects in
        ``[lo, hi)`` recorded in versions up to ``version``, by observation id."""
        return self.conn.execute(
            "SELECT a.subject, a.version_id, a.object, o.id, o.predicate, o.object FROM observations a "
            "JOIN observations o ON o.subject = a.subject AND o.predicate IN ('may_handle', 'pure', 'side_effects') "
            "AND o.version_id = a.version_id AND o.negated = 0 "
            f"WHERE a.predicate_id = {PREDICATE_ID['llm_asked']} AND a.subject >= ? AND a.subject < ? "
            "AND a.version_id <= ? ORDER BY o.id",
            (lo, hi, version),
        ).fetchall()

    # -- the dream's cursor and log -------------------------------------------------

    def cursor(self) -> int:
        """The last observation consolidated."""
        return self.conn.execute("SELECT last_observation FROM dream_cursor WHERE id = 1").fetchone()[0]

    def set_cursor(self, last: int, bodies_gone_at: int) -> None:
        """The last observation consolidated, and the newest version up to it that
        retracted a body (see :meth:`bodies_gone_at`)."""
        self.conn.execute(
            "UPDATE dream_cursor SET last_observation = ?, bodies_gone_at = ? WHERE id = 1", (last, bodies_gone_at)
        )

    def bodies_gone_at(self) -> int:
        """The newest version, up to the cursor, whose observations retracted a body_hash
        fact (or a later one; 0: none did). No dream before this one retracted a body after it."""
        return self.conn.execute("SELECT bodies_gone_at FROM dream_cursor WHERE id = 1").fetchone()[0]

    def start_dream(self, trigger: str, started_at: str) -> int:
        """A new row of the dream log; returns its id."""
        dream_id = self.conn.execute(
            "INSERT INTO dreams (trigger, started_at) VALUES (?, ?)", (trigger, started_at)
        ).lastrowid
        assert dream_id is not None  # set by every INSERT
        return dream_id

    def log_dream(
        self, dream_id: int, duration_ms: float, first: int | None, last: int | None, counts: tuple, stopped: bool
    ) -> None:
        """Update a dream's row: ``counts`` is (observations, created, merged, superseded,
        retracted, promoted, demoted, linked)."""
        self.conn.execute(
            "UPDATE dreams SET duration_ms = ?, first_observation = ?, last_observation = ?, "
            "observations = ?, created = ?, merged = ?, superseded = ?, retracted = ?, promoted = ?, "
            "demoted = ?, linked = ?, stopped = ? WHERE id = ?",
            (duration_ms, first, last, *counts, int(stopped), dream_id),
        )

    def dream_log(self, limit: int = 20) -> list[dict]:
        """The last ``limit`` dreams, newest first."""
        return dict_rows(self.conn.execute("SELECT * FROM dreams ORDER BY id DESC LIMIT ?", (limit,)))

    # -- facts: what a file's replay loads --------------------------------------------

    def next_id(self) -> int:
        """The next fact id (one sequence over both fact tables)."""
        return self.conn.execute(NEXT_FACT_ID).fetchone()[0]

    def has_any(self) -> bool:
        """Whether any fact exists."""
        return bool(
            self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM observed_runs) OR EXISTS (SELECT 1 FROM derived_log)"
            ).fetchone()[0]
        )

    def observed_firsts(self, fact_ids: Iterable[int]) -> dict[int, int]:
        """``{fact id: its first observation}`` of the observed facts among ``fact_ids``
        (their ids are not stored: each run numbers its facts from its ``first_fact``)."""
        found: dict[int, int] = {}
        for chunk in chunks(list(fact_ids)):  # (one statement a chunk: an export asks for every fact)
            found.update(
                self.conn.execute(
                    f"WITH wanted(id) AS (VALUES {','.join(['(?)'] * len(chunk))}) "
                    "SELECT w.id, r.first_observation + w.id - r.first_fact FROM wanted w JOIN observed_runs r "
                    "ON r.first_fact = (SELECT max(first_fact) FROM observed_runs WHERE first_fact <= w.id) "
                    "WHERE r.first_observation + w.id - r.first_fact <= r.last_observation",
                    chunk,
                ).fetchall()
            )
        return found

    def fact(self, fact_id: int) -> tuple | None:
        """One fact as a :data:`FACT_COLUMNS` row, by id."""
        row = self.conn.execute(f"SELECT {FACT_COLUMNS} FROM derived_facts WHERE id = ?", (fact_id,)).fetchone()
        if row is not None:
            return row
        first = self.observed_firsts((fact_id,)).get(fact_id)
        if first is None:
            return None
        return self.conn.execute(
            f"SELECT {OBSERVED_COLUMNS} {OBSERVED_FROM} WHERE o.id = ? AND f.first_observation = ?", (first, first)
        ).fetchone()

    def by_status(self) -> dict[str, int]:
        """How many facts there are of each status (the views would join every row)."""
        counts: dict[str, int] = dict(
            self.conn.execute(f"SELECT {STATUS_TEXT.format('d')}, count(*) FROM derived_log d GROUP BY status_code")
        )
        observed = self.conn.execute(
            "SELECT count(*) FROM observed_runs r JOIN observation_log o "
            "ON o.id BETWEEN r.first_observation AND r.last_observation"
        ).fetchone()[0]
        for status, count in self.conn.execute("SELECT status, count(*) FROM observed_changes GROUP BY status"):
            counts[status] = counts.get(status, 0) + count
            observed -= count
        counts["firm"] = counts.get("firm", 0) + observed
        return counts

    def live_between(self, lo: str, hi: str, before: int) -> list[tuple]:
        """Live facts whose subject is in ``[lo, hi)`` (observed ones only from observations
        before ``before``), as :data:`FACT_COLUMNS` rows, by id."""
        return self.conn.execute(
            f"SELECT {OBSERVED_COLUMNS} {OBSERVED_FROM} WHERE o.subject >= ? AND o.subject < ? "
            f"AND +o.id < ? AND f.status IN {LIVE} "
            f"UNION ALL SELECT {FACT_COLUMNS} FROM derived_facts WHERE subject >= ? AND subject < ? "
            f"AND status IN {LIVE} ORDER BY 1",
            (lo, hi, before, lo, hi),
        ).fetchall()

    def live_evidence_between(self, lo: str, hi: str) -> Iterable[tuple[int, str, str, int]]:
        """``(fact id, why, detail, observation id)`` of the active evidence of live derived
        facts whose subject is in ``[lo, hi)`` (a tested_by fact's first, its own: see
        migrations.EVIDENCE_VIEW)."""
        return self.conn.execute(
            "SELECT e.fact_id, e.why, e.detail, e.observation_id FROM derived_facts f "
            "JOIN fact_evidence e ON e.fact_id = f.id "
            f"WHERE f.subject >= ? AND f.subject < ? AND f.status IN {LIVE} "
            "AND e.active = 1 "
            "UNION ALL SELECT f.id, 'tests', '', f.first_observation FROM derived_facts f "
            f"WHERE f.subject >= ?1 AND f.subject < ?2 AND f.status IN {LIVE} AND f.predicate = 'tested_by' "
            f"AND {TESTS_FIRST_OWN.format('f')}",
            (lo, hi),
        )

    def any_verdict(self) -> bool:
        """Whether any fact has a user's verdict (or the dream's rejection): by two partial indexes."""
        return bool(
            self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM derived_log WHERE verdict IS NOT NULL) "
                "OR EXISTS (SELECT 1 FROM observed_changes WHERE verdict IS NOT NULL)"
            ).fetchone()[0]
        )

    def verdicts_between(self, lo: str, hi: str, before: int) -> Iterable[tuple[str, str, str, str, int]]:
        """``(subject, predicate, object, verdict, fact id)`` of every fact with a verdict whose
        subject is in ``[lo, hi)`` (observed ones only from observations before ``before``)."""
        return self.conn.execute(
            "SELECT o.subject, o.predicate, o.object, f.verdict, f.id FROM observed_facts f "
            "JOIN observations o ON o.id = f.first_observation WHERE f.verdict IS NOT NULL "
            "AND o.subject >= ? AND o.subject < ? AND +o.id < ? "
            "UNION ALL SELECT subject, predicate, object, verdict, id FROM derived_facts "
            "WHERE verdict IS NOT NULL AND subject >= ? AND subject < ? ORDER BY 5",
            (lo, hi, before, lo, hi),
        )

    def signature(self, fact_id: int) -> frozenset:
        """The active evidence of a fact, as ``(why, detail)``, its user verdict and its
        end aside: what a rejection remembers."""
        return frozenset(
            self.conn.execute(
                "SELECT why, detail FROM evidence WHERE fact_id = ? AND active = 1 AND why NOT IN ('user', 'negated')",
                (fact_id,),
            )
        )

    def sources(self, fact_id: int) -> set[str]:
        """The distinct ``why`` of a fact's active evidence (its end aside)."""
        return {
            why
            for (why,) in self.conn.execute(
                "SELECT DISTINCT why FROM evidence WHERE fact_id = ? AND active = 1 AND why != 'negated'",
                (fact_id,),
            )
        }

    def source_of(self, observation_id: int) -> list[str]:
        """The source of the look that made an observation (parse, edit, ...)."""
        return [
            source
            for (source,) in self.conn.execute(
                "SELECT v.source FROM observations o JOIN versions v ON v.id = o.version_id WHERE o.id = ?",
                (observation_id,),
            )
        ]

    def triple(self, fact_id: int) -> tuple[str, str, str] | None:
        """``(subject, predicate, object)`` of a fact."""
        row = self.fact(fact_id)
        return (row[1], row[2], row[3]) if row else None

    def latest_id(self, subject: str, predicate: str, obj: str) -> int | None:
        """The newest fact (any status) of a triple."""
        row = self.conn.execute(
            "SELECT id FROM facts WHERE subject = ? AND predicate = ? AND object = ? ORDER BY id DESC LIMIT 1",
            (subject, predicate, obj),
        ).fetchone()
        return row[0] if row else None

    # -- facts: what a replay writes back -----------------------------------------------

    def add_observed_run(self, first: int, last: int, fact_id: int, confidence: float) -> None:
        """New observed facts for observations ``first..last``, with ids from ``fact_id`` on,
        firm (what the code says) at ``confidence``, one evidence each (their first observation):
        one ``observed_runs`` row."""
        self.conn.execute(
            "INSERT INTO observed_runs (first_observation, last_observation, first_fact, confidence) "
            "VALUES (?, ?, ?, ?)",
            (first, last, fact_id, confidence),
        )

    def add_derived(self, rows: list[tuple]) -> None:
        """New derived facts, as :data:`FACT_COLUMNS` rows."""
        if not rows:
            return
        subjects = name_ids(self.conn, {row[1] for row in rows})
        predicates = self.predicates.ids(self.conn, {row[2] for row in rows})
        origins = origin_ids(self.conn, {row[4] for row in rows})
        stamps = stamp_ids(self.conn, sorted({row[8] for row in rows} | {row[9] for row in rows if row[9]}))
        tests = self._stored_objects(TESTED_BY, [row[3] for row in rows if row[2] == "tested_by"])
        self.conn.executemany(
            f"INSERT INTO derived_log ({DERIVED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row[0],
                    subjects[row[1]],
                    predicates[row[2]],
                    tests[row[3]] if row[2] == "tested_by" else row[3],
                    origins[row[4]],
                    STATUS_CODE[row[5]],
                    basis_points(row[6]),
                    row[7],
                    stamps[row[8]],
                    stamps.get(row[9]),
                    *row[10:],
                )
                for row in rows
            ],
        )

    def _stored_objects(self, predicate_id: int, objects: list[str]) -> dict[str, str]:
        """``{object: as stored}`` for facts of one predicate: a tested_by fact's test as its
        key's ``names.id`` (see migrations.m023_tested_by_ids), any other object as it is."""
        if predicate_id != TESTED_BY:
            return {obj: obj for obj in objects}
        return {text: str(i) for text, i in name_ids(self.conn, objects).items()}

    def update(self, observed: list[tuple], derived: list[tuple]) -> None:
        """Changed facts: ``(status, confidence, evidence_count, valid_to, superseded_by,
        verdict, ended_by, key)`` rows, the key being the first observation of an observed
        fact and the id of a derived one."""
        if derived:
            stamps = stamp_ids(self.conn, sorted({row[3] for row in derived if row[3]}))
            self.conn.executemany(
                "UPDATE derived_log SET status_code = ?, confidence_bp = ?, evidence_count = ?, valid_to_id = ?, "
                "superseded_by = ?, verdict = ?, ended_by = ? WHERE id = ?",
                [(STATUS_CODE[row[0]], basis_points(row[1]), row[2], stamps.get(row[3]), *row[4:]) for row in derived],
            )
        if not observed:
            return
        self.conn.executemany(
            "INSERT OR REPLACE INTO observed_changes (status, confidence, evidence_count, valid_to, superseded_by, "
            "verdict, ended_by, first_observation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            observed,
        )
        # A fact judged again as it was made (firm, its run's confidence, one evidence) needs no row.
        for chunk in chunks([row[7] for row in observed if row[0] == "firm" and row[2] == 1]):
            self.conn.execute(
                f"DELETE FROM observed_changes WHERE first_observation IN ({_marks(chunk)}) AND status = 'firm' "
                "AND evidence_count = 1 AND valid_to IS NULL AND superseded_by IS NULL AND verdict IS NULL "
                "AND ended_by IS NULL AND confidence = (SELECT r.confidence FROM observed_runs r "
                f"WHERE r.first_observation = {RUN_OF.format('observed_changes.first_observation')})",
                chunk,
            )

    def set_verdict(self, fact_id: int, verdict: str) -> None:
        self.conn.execute("UPDATE derived_log SET verdict = ? WHERE id = ?", (verdict, fact_id))
        first = self.observed_firsts((fact_id,)).get(fact_id)
        if first is not None:  # the view writes it to observed_changes
            self.conn.execute("UPDATE observed_facts SET verdict = ? WHERE first_observation = ?", (verdict, first))

    def add_evidence(self, rows: list[tuple]) -> None:
        """``(fact id, observation id, why, detail, active)`` rows; a row already there is replaced."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO fact_evidence (fact_id, observation_id, why, detail, active) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    def deactivate_evidence(self, rows: list[tuple]) -> None:
        """``(fact id, observation id, why, detail)`` rows: kept, no longer counted (a
        tested_by fact's first evidence, which its row says, is written then, inactive)."""
        self.conn.executemany(
            "UPDATE fact_evidence SET active = 0 WHERE fact_id = ? AND observation_id = ? AND why = ? AND detail = ?",
            rows,
        )
        self.conn.executemany(f"{_TESTS_FIRST_INACTIVE} AND first_observation = ?2 AND ?3 = 'tests' AND ?4 = ''", rows)

    # -- call-site counts -----------------------------------------------------------------

    def callers_of(self, names: list[str]) -> dict[str, int]:
        """Call sites per callee name, for the names that have a count."""
        return self._pairs("SELECT name, callers FROM dream_callees WHERE name IN ({marks})", names)

    def set_callers(self, counts: list[tuple[str, int]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO dream_callees (name, callers) VALUES (?, ?)", counts)

    def has_callers(self) -> bool:
        return bool(self.conn.execute("SELECT EXISTS (SELECT 1 FROM dream_callees)").fetchone()[0])

    # -- "widely called" ----------------------------------------------------------------

    def without_widely_called(self, names: list[str]) -> list[tuple[str, int]]:
        """``(key, the first observation of its kind fact)`` of the live symbols (not modules)
        named ``names`` (at most :data:`CHUNK`) that have no live or rejected
        ``role widely called`` fact, observed or derived."""
        # By ids, not through the views (a key's text looked up again for every join): a
        # large tree's common names match 66,000 symbols, and this took 3 % of its dream.
        marks = _marks(names)
        widely = "object = 'widely called' AND predicate_id = " + str(ROLE)
        return self.conn.execute(
            "SELECT n.text, live.first_observation FROM ("
            "SELECT r.subject_id AS subject_id, k.first_observation AS first_observation, k.id AS id "
            f"FROM symbol_rows r JOIN observation_log o ON o.subject_id = r.subject_id AND o.predicate_id = {KIND} "
            "AND o.object != 'module' "
            f"JOIN observed_facts k ON k.first_observation = o.id AND k.status IN {LIVE} "
            f"WHERE r.name IN ({marks}) "
            "UNION ALL "
            "SELECT r.subject_id, d.first_observation, d.id FROM symbol_rows r "
            f"JOIN derived_log d ON d.subject_id = r.subject_id AND d.predicate_id = {KIND} "
            f"AND d.status_code IN {LIVE_CODES} AND d.object != 'module' "
            f"WHERE r.name IN ({marks})) AS live JOIN names n ON n.id = live.subject_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM derived_log w WHERE w.subject_id = live.subject_id AND w.{widely} "
            f"  AND (w.status_code IN {LIVE_CODES} OR w.verdict = 'rejected')) "
            "AND NOT EXISTS (SELECT 1 FROM observation_log ro JOIN observed_facts f ON f.first_observation = ro.id "
            f"  WHERE ro.subject_id = live.subject_id AND ro.{widely} "
            f"  AND (f.status IN {LIVE} OR f.verdict = 'rejected')) "
            "ORDER BY n.text, live.id",
            names + names,
        ).fetchall()

    def definers_of(self, names: list[str], skip: tuple[str, ...] = ()) -> dict[str, int]:
        """How many scopes define each of ``names``, for the names some define: the symbols
        that exist now named exactly so (a scope's redefinitions ``f~2`` are its own), not
        modules (a file's stem), nor in a file whose path ends with one of ``skip`` (a type
        stub declares what another file defines)."""
        found: dict[str, int] = {}
        endings = "".join(" AND lower(p.text) NOT LIKE ?" for _ in skip)
        for chunk in chunks(names):
            found.update(
                self.conn.execute(
                    "SELECT r.name, count(*) FROM symbol_rows r JOIN kinds g ON g.id = r.kind_id "
                    f"JOIN names p ON p.id = r.path_id WHERE r.name IN ({_marks(chunk)}) AND g.name != 'module'"
                    f"{endings} GROUP BY r.name",
                    (*chunk, *(f"%{ending.lower()}" for ending in skip)),
                )
            )
        return found

    def widely_called(self, names: list[str]) -> list[tuple]:
        """The live ``role widely called`` facts without a verdict of the symbols named
        ``names`` (at most :data:`CHUNK`), as :data:`FACT_COLUMNS` rows."""
        marks = _marks(names)
        return self.conn.execute(
            f"SELECT {OBSERVED_COLUMNS} {OBSERVED_FROM} JOIN symbols s ON s.key = o.subject "
            f"WHERE s.name IN ({marks}) AND o.predicate = 'role' "
            f"AND o.object = 'widely called' AND f.status IN {LIVE} AND f.verdict IS NULL "
            f"UNION ALL SELECT {FACT_COLUMNS} FROM derived_facts f JOIN symbols s ON s.key = f.subject "
            f"WHERE s.name IN ({marks}) AND f.predicate = 'role' "
            f"AND f.object = 'widely called' AND f.status IN {LIVE} "
            "AND f.verdict IS NULL ORDER BY 1",
            names + names,
        ).fetchall()

    # -- renames and moves ------------------------------------------------------------

    def has_live(self, subject: str, predicates: tuple[str, ...]) -> bool:
        return (
            self.conn.execute(
                f"SELECT 1 FROM facts WHERE subject = ? AND predicate IN ({_marks(predicates)}) "
                f"AND status IN {LIVE} LIMIT 1",
                (subject, *predicates),
            ).fetchone()
            is not None
        )

    def last_value(self, subject: str, predicate: str) -> str | None:
        """The object of the newest fact (any status) of a subject's predicate."""
        row = self.conn.execute(
            "SELECT object FROM facts WHERE subject = ? AND predicate = ? ORDER BY id DESC LIMIT 1",
            (subject, predicate),
        ).fetchone()
        return row[0] if row else None

    def first_live_value(self, subject: str, predicate: str) -> str | None:
        """The object of the oldest live fact of a subject's predicate."""
        row = self.conn.execute(
            f"SELECT object FROM facts WHERE subject = ? AND predicate = ? AND status IN {LIVE} ORDER BY id LIMIT 1",
            (subject, predicate),
        ).fetchone()
        return row[0] if row else None

    def current_value(self, subject: str, predicate: str) -> str | None:
        """The object of the newest live fact of a subject's predicate."""
        row = self.conn.execute(
            "SELECT object FROM facts WHERE subject = ? AND predicate = ? "
            f"AND status IN {LIVE} ORDER BY id DESC LIMIT 1",
            (subject, predicate),
        ).fetchone()
        return row[0] if row else None

    def vanished_bodies(
        self, hashes: list[str], after: int, before: int, after_time: str = ""
    ) -> list[tuple[str, str, int]]:
        """``(body hash, subject, first observation)`` of body_hash facts with one of
        ``hashes`` retracted by an observation of a version between ``after`` and ``before``,
        made by a look later than ``after_time`` (see :meth:`look_time`)."""
        rows = []
        for chunk in chunks(hashes):
            marks = _marks(chunk)
            # (the log itself: its index holds a body hash as kept, see migrations.packed_hash)
            rows += self.conn.execute(
                f"SELECT {OBJECT_TEXT.format('b.object')}, s.text, f.first_observation FROM observation_log b "
                "JOIN names s ON s.id = b.subject_id "
                "JOIN observed_facts f ON f.first_observation = b.id "
                "JOIN observation_log o ON o.id = f.ended_by JOIN versions v ON v.id = o.version_id "
                f"WHERE b.predicate_id = {BODY_HASH} AND b.object IN ({marks}) "
                "AND f.status = 'retracted' AND o.version_id > ? AND o.version_id < ? AND v.observed_at > ? "
                "UNION ALL "
                # (derived_log itself: through derived_facts, whose object is an expression,
                # this read every derived fact, for every file, 0.3 s a time on the large tree)
                "SELECT f.object, s.text, f.first_observation FROM derived_log f JOIN names s ON s.id = f.subject_id "
                "JOIN observation_log o ON o.id = f.ended_by JOIN versions v ON v.id = o.version_id "
                f"WHERE f.predicate_id = {BODY_HASH} AND f.object IN ({marks}) "
                f"AND f.status_code = {STATUS_CODE['retracted']} AND o.version_id > ? AND o.version_id < ? "
                "AND v.observed_at > ?",
                (*[packed_hash(h) for h in chunk], after, before, after_time, *chunk, after, before, after_time),
            ).fetchall()
        return rows

    def appeared_bodies(
        self, body: str, besides: str, after: int, before: int, after_time: str = "", qualname: str = ""
    ) -> list[tuple[str, int, int]]:
        """``(subject, first observation, fact id)`` of live body_hash facts with hash ``body``,
        of subjects other than ``besides``, observed in a version between ``after`` and ``before``
        made by a look later than ``after_time`` (see :meth:`look_time`), by fact id; with
        ``qualname``, only the subjects of that qualname (a folder renamed made thousands of
        functions whose body is ``pass`` appear: each one's namesake is what decides)."""
        rows = self._body_rows(body, self.first_observation_later(after, after_time), qualname)
        window = [
            (observation, subject)
            for observation, version, seen_at, subject in rows
            if after < version < before and seen_at > after_time and subject != besides
        ]
        live = self._live_facts([observation for observation, _ in window])
        found = [(subject, observation, live[observation]) for observation, subject in window if observation in live]
        found += [
            row
            for row in self.conn.execute(
                "SELECT s.text, f.first_observation, f.id FROM derived_log f JOIN names s ON s.id = f.subject_id "
                "JOIN observation_log o ON o.id = f.first_observation JOIN versions v ON v.id = o.version_id "
                f"WHERE f.predicate_id = {BODY_HASH} AND f.object = ? AND f.status_code IN {LIVE_CODES} "
                "AND s.text != ? AND o.version_id > ? AND o.version_id < ? AND v.observed_at > ?",
                (body, besides, after, before, after_time),
            )
            if not qualname or qualname_of(row[0]) == qualname
        ]
        return sorted(found, key=itemgetter(2))

    def _body_rows(self, body: str, first: int, qualname: str = "") -> list[tuple[int, int, str, str]]:
        """``(observation id, version, look time, subject)`` of the observations from id
        ``first`` on that asserted ``body`` (of subjects of ``qualname``, if given), by id.

        The rows of a body that many observations assert are kept (the log only grows: what
        was appended since is read on the next call): the large tree's site-packages renamed
        made thousands of functions with one body appear (14,130 with the commonest), and
        each of as many that vanished read them all again through the index: 89 % of that
        dream's time."""
        newest = self.newest_observation()
        kept = self._bodies.get(body)
        if kept is None or kept.first > first:
            rows = self._read_body(body, first, newest)
            if len(rows) < _SHARED_BODY:
                return [row for row in rows if not qualname or qualname_of(row[3]) == qualname]
            if kept is not None:  # (kept from a later id on: replaced)
                self._kept_rows -= len(kept.rows)
            kept = self._bodies[body] = _BodyRows(first, newest, rows)
            self._kept_rows += len(rows)
            while self._kept_rows > _KEPT_ROWS and len(self._bodies) > 1:
                self._kept_rows -= len(self._bodies.popitem(last=False)[1].rows)
        elif kept.upto < newest:
            more = self._read_body(body, kept.upto + 1, newest)
            kept.add(more, newest)
            self._kept_rows += len(more)
        self._bodies.move_to_end(body)
        rows = kept.of(qualname) if qualname else kept.rows
        return rows[bisect.bisect_left(rows, first, key=itemgetter(0)) :]

    def forget_kept_bodies(self) -> None:
        """Let go of the rows :meth:`appeared_bodies` kept (a dream's end: a server's
        connection lives on)."""
        self._bodies.clear()
        self._kept_rows = 0

    def _read_body(self, body: str, first: int, last: int) -> list[tuple[int, int, str, str]]:
        # (the log's body index holds (hash, id): only the ids from ``first`` on are read; a
        # retraction, negated, starts no fact: a deleted folder negates every body it held)
        return self.conn.execute(
            "SELECT o.id, o.version_id, v.observed_at, s.text FROM observation_log o "
            "CROSS JOIN versions v ON v.id = o.version_id CROSS JOIN names s ON s.id = o.subject_id "
            f"WHERE o.predicate_id = {BODY_HASH} AND o.object = ? AND o.id >= ? AND o.id <= ? AND o.negated = 0 "
            "ORDER BY o.id",
            (packed_hash(body), first, last),
        ).fetchall()

    def _live_facts(self, first_observations: list[int]) -> dict[int, int]:
        """``{first observation: fact id}`` of the observed facts among these that are live."""
        return self._pairs(
            "SELECT first_observation, id FROM observed_facts WHERE first_observation IN ({marks}) "
            f"AND status IN {LIVE}",
            first_observations,
        )

    def first_live_kind(self, subject: str) -> tuple[str, int, int, str] | None:
        """``(kind, version of its first observation, fact id, that version's look time)`` of a
        subject's oldest live kind fact."""
        return self.conn.execute(
            "SELECT o.object, o.version_id, f.id, v.observed_at FROM observations o "
            "JOIN observed_facts f ON f.first_observation = o.id JOIN versions v ON v.id = o.version_id "
            f"WHERE o.subject = ? AND o.predicate_id = {PREDICATE_ID['kind']} AND f.status IN {LIVE} "
            "UNION ALL "
            "SELECT f.object, o.version_id, f.id, v.observed_at FROM derived_facts f "
            "JOIN observations o ON o.id = f.first_observation JOIN versions v ON v.id = o.version_id "
            f"WHERE f.subject = ? AND f.predicate = 'kind' AND f.status IN {LIVE} "
            "ORDER BY 3 LIMIT 1",
            (subject, subject),
        ).fetchone()

    def judged_insights(self, subject: str) -> list[tuple[int, str, str, str]]:
        """``(id, predicate, object, verdict)`` of a subject's insights (and user facts) that
        carry a verdict, by id."""
        return self.conn.execute(
            "SELECT id, predicate, object, verdict FROM derived_facts WHERE subject = ? AND verdict IS NOT NULL "
            "AND origin IN ('insight', 'user') ORDER BY id",
            (subject,),
        ).fetchall()

    def last_user_observation(self, fact_id: int) -> int | None:
        """The newest user observation among a fact's evidence."""
        row = self.conn.execute(
            "SELECT observation_id FROM fact_evidence WHERE fact_id = ? AND why = 'user' "
            "ORDER BY observation_id DESC LIMIT 1",
            (fact_id,),
        ).fetchone()
        return row[0] if row else None

    # -- tested_by ----------------------------------------------------------------------

    def tested_by(self, tests: list[str]) -> list[tuple[int, str, str, str, str | None]]:
        """``(id, subject, test, status, verdict)`` of every tested_by fact naming ``tests``, by id."""
        rows = []
        for chunk in chunks(tests):
            # (the object is the test's names.id, as text: see migrations.m023_tested_by_ids)
            rows += self.conn.execute(
                f"SELECT d.id, s.text, t.text, {STATUS_TEXT.format('d')}, d.verdict FROM names t "
                f"JOIN derived_log d ON d.predicate_id = {TESTED_BY} AND d.object = CAST(t.id AS TEXT) "
                f"JOIN names s ON s.id = d.subject_id WHERE t.text IN ({_marks(chunk)})",
                chunk,
            ).fetchall()
        return sorted(rows)

    def settled_tests(self) -> SettledTests:
        """An empty record of the tests a dream settles (see :class:`SettledTests`)."""
        return SettledTests(self.conn)

    # -- what derived facts depend on (see migrations.m012_trust) -------------------------

    def dependents(self, kind: str, names: Iterable[str], before: int) -> set[str]:
        """The units (tests, for ``tested_by``) whose derivation by a dream before ``before``
        depends on any of ``names`` (what this dream derived, it knows)."""
        found: set[str] = set()
        for chunk in chunks(sorted(names)):
            found.update(
                row[0]
                for row in self.conn.execute(
                    # (names first, then the rows by their key: through the ``dependencies`` view,
                    # a list of hundreds of names read every row of the kind, 70 µs a name)
                    "SELECT u.text FROM names n CROSS JOIN dependency_ids d ON d.kind = ? AND "
                    "d.name_id = n.id AND d.dream < ? JOIN names u ON u.id = d.unit_id "
                    f"WHERE n.text IN ({_marks(chunk)})",
                    (kind, before, *chunk),
                )
            )
        return found

    def any_dependencies_before(self, before: int | None = None) -> bool:
        """Whether a dream before ``before`` (any dream: None) recorded any dependency (a first
        dream has none to look up: on a large tree, asking for each of its changes cost a
        quarter of its time)."""
        bound = (1 << 62) if before is None else before
        row = self.conn.execute("SELECT 1 FROM dependency_ids WHERE dream < ? LIMIT 1", (bound,)).fetchone()
        return row is not None

    def set_dependencies(self, kind: str, units: list[str], rows: Iterable[tuple[str, str]], dream: int) -> None:
        """``(name, unit)`` rows derived by ``dream``: they replace what ``units`` depended
        on, and add to what the other units they name depend on."""
        for chunk in chunks(units):
            self.conn.execute(
                "DELETE FROM dependency_ids WHERE kind = ? AND unit_id IN "
                f"(SELECT id FROM names WHERE text IN ({_marks(chunk)}))",
                (kind, *chunk),
            )
        rows = list(rows)
        ids = name_ids(self.conn, {text for row in rows for text in row})
        self.conn.executemany(
            "INSERT OR IGNORE INTO dependency_ids (kind, name_id, dream, unit_id) VALUES (?, ?, ?, ?)",
            [(kind, ids[name], dream, ids[unit]) for name, unit in rows],
        )

    def redefinitions(self, names: list[str]) -> list[str]:
        """The names of the redefinitions (``f~2``, ...) of ``names`` among the symbols that
        exist now (an index range per name)."""
        found: list[str] = []
        for name in names:
            found += [
                row[0]
                for row in self.conn.execute(
                    "SELECT DISTINCT name FROM symbols WHERE name > ? AND name < ?", (name + "~", name + "~\uffff")
                )
            ]
        return found

    def kinds_in(self, path: str) -> dict[str, str]:
        """The kind of each symbol of ``path`` that exists now, by its key."""
        return dict(self.conn.execute("SELECT key, kind FROM symbols WHERE path = ?", (path,)).fetchall())

    def has_mark(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM marks WHERE name = ?", (name,)).fetchone() is not None

    def mark_value(self, name: str) -> str | None:
        """The value of the mark ``name`` (how far its to-do went), or None: no such mark."""
        row = self.conn.execute("SELECT value FROM marks WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_mark(self, name: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO marks (name, value) VALUES (?, ?)", (name, value))

    def take_mark(self, name: str) -> bool:
        """Remove the mark ``name`` (a to-do a migration left, such as 'rederive tested_by');
        True if it was there."""
        return self.conn.execute("DELETE FROM marks WHERE name = ?", (name,)).rowcount > 0

    def symbol_keys(self) -> list[str]:
        """Every symbol that exists now."""
        return [row[0] for row in self.conn.execute("SELECT key FROM symbols ORDER BY key")]

    def tests_with_tested_by(self) -> list[str]:
        """The tests that live tested_by facts name."""
        return [
            row[0]
            for row in self.conn.execute(
                "SELECT text FROM names WHERE id IN "
                f"(SELECT object FROM derived_log WHERE predicate_id = {TESTED_BY} AND status_code IN {LIVE_CODES})"
            )
        ]

    def add_tested_by(self, facts: list[tuple], evidence: list[tuple]) -> None:
        """New tested_by insights, ``(id, subject, test, status, confidence, evidence_count,
        valid_from, first_observation)``, and their evidence ``(fact id, observation id, why, detail)``."""
        self.add_insights("tested_by", facts, evidence)

    def add_insights(self, predicate: str, facts: list[tuple], evidence: list[tuple]) -> None:
        """New insights of one predicate, ``(id, subject, object, status, confidence, evidence_count,
        valid_from, first_observation)``, and their evidence ``(fact id, observation id, why, detail)``."""
        subjects = name_ids(self.conn, {row[1] for row in facts})
        predicate_id = self.predicates.ids(self.conn, (predicate,))[predicate]
        stamps = stamp_ids(self.conn, sorted({row[6] for row in facts}))
        objects = self._stored_objects(predicate_id, [row[2] for row in facts])
        self.conn.executemany(
            "INSERT INTO derived_log (id, subject_id, predicate_id, object, origin_id, status_code, confidence_bp, "
            "evidence_count, valid_from_id, first_observation) "
            f"VALUES (?, ?, {predicate_id}, ?, {INSIGHT}, ?, ?, ?, ?, ?)",
            [
                (row[0], subjects[row[1]], objects[row[2]], STATUS_CODE[row[3]], basis_points(row[4]), row[5])
                + (stamps[row[6]], row[7])
                for row in facts
            ],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO fact_evidence (fact_id, observation_id, why, detail) VALUES (?, ?, ?, ?)", evidence
        )

    def retract_derived(self, fact_ids: list[int], when: str) -> None:
        """Retract derived facts (``valid_to`` = ``when``) and deactivate their evidence (a
        tested_by fact's first, which its row says, is written then, inactive)."""
        stamp = stamp_ids(self.conn, (when,))[when]
        self.conn.executemany(
            f"UPDATE derived_log SET status_code = {STATUS_CODE['retracted']}, valid_to_id = ? WHERE id = ?",
            [(stamp, fact_id) for fact_id in fact_ids],
        )
        ids = [(f,) for f in fact_ids]
        self.conn.executemany("UPDATE fact_evidence SET active = 0 WHERE fact_id = ?", ids)
        self.conn.executemany(_TESTS_FIRST_INACTIVE, ids)

    def support(self, fact_id: int, observation_id: int, why: str) -> None:
        """Evidence for a derived fact, its object as the detail (kept if already there);
        a ``tested_by`` fact's evidence has none: its object, the test, is the detail
        (:data:`TESTED_DETAIL`)."""
        self.support_all([(fact_id, observation_id, why)])

    def support_all(self, rows: Iterable[tuple[int, int, str]]) -> None:
        """:meth:`support` for many ``(fact id, observation id, why)`` at once (not a tested_by
        fact's first evidence: its row says it)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO fact_evidence (fact_id, observation_id, why, detail) "
            f"SELECT ?1, ?2, ?3, CASE WHEN predicate_id = {TESTED_BY} THEN '' ELSE object END FROM derived_log "
            f"WHERE id = ?1 AND NOT (predicate_id = {TESTED_BY} AND first_observation = ?2 AND ?3 = 'tests')",
            list(rows),
        )

    def judgements(self, fact_ids: list[int]) -> dict[int, tuple[set[str], int, int, int]]:
        """``{fact id: (the distinct why of its active evidence, how many active evidence rows
        it has, its confidence in basis points, its evidence count)}``: what judging a derived
        fact again reads (see :meth:`judge_all`), for many facts in a few queries."""
        found: dict[int, tuple[set[str], int, int, int]] = {}
        for chunk in chunks(fact_ids):
            marks = _marks(chunk)
            for fact_id, confidence_bp, count in self.conn.execute(
                f"SELECT id, confidence_bp, evidence_count FROM derived_log WHERE id IN ({marks})", chunk
            ):
                found[fact_id] = (set(), 0, confidence_bp, count)
            for fact_id, why, active in self.conn.execute(
                "SELECT fact_id, why, count(*) FROM evidence "
                f"WHERE active = 1 AND fact_id IN ({marks}) GROUP BY fact_id, why",
                chunk,
            ):
                sources, total, confidence_bp, count = found[fact_id]
                sources.add(why)
                found[fact_id] = (sources, total + active, confidence_bp, count)
        return found

    def judge_all(self, rows: Iterable[tuple[int, str, float, int]]) -> None:
        """A derived fact judged again, for many ``(fact id, status, confidence, evidence count)``."""
        self.conn.executemany(
            "UPDATE derived_log SET status_code = ?, confidence_bp = ?, evidence_count = ? WHERE id = ?",
            [
                (STATUS_CODE[status], basis_points(confidence), evidence_count, fact_id)
                for fact_id, status, confidence, evidence_count in rows
            ],
        )

    # -- reading, for the knowledge layer -------------------------------------------------

    def about(self, subject: str, current_only: bool = False) -> list[tuple]:
        """Every fact about a subject (or only live ones) as :data:`FACT_COLUMNS` rows, by id."""
        where = f" AND status IN {LIVE}" if current_only else ""
        return self.conn.execute(
            f"SELECT {FACT_COLUMNS} FROM facts WHERE subject = ?{where} ORDER BY id", (subject,)
        ).fetchall()

    def evidence_of(self, fact_ids: list[int]) -> list[tuple]:
        """``(fact id, observation id, why, detail, active, observed_at, file_hash, path, source)``
        of the facts' evidence. Observed facts and summaries cite their first observation
        implicitly (first_observation), so a cold dream writes no evidence row for them."""
        rows = []
        for chunk in chunks(fact_ids):
            marks = _marks(chunk)
            firsts = list(self.observed_firsts(chunk).values())
            rows += self.conn.execute(
                f"SELECT e.fact_id, e.observation_id, e.why, {TESTED_DETAIL}, e.active, v.observed_at, "
                "v.content_hash, v.path, v.source FROM evidence e "
                "LEFT JOIN derived_log d ON d.id = e.fact_id "
                "LEFT JOIN observation_log o ON o.id = e.observation_id "
                "LEFT JOIN versions v ON v.id = o.version_id "
                f"WHERE e.fact_id IN ({marks}) "
                "UNION ALL "
                "SELECT f.id, f.first_observation, v.source, '', 1, "
                "  v.observed_at, v.content_hash, v.path, v.source FROM observed_facts f "
                "JOIN observations o ON o.id = f.first_observation "
                "JOIN versions v ON v.id = o.version_id "
                f"WHERE f.first_observation IN ({_marks(firsts)}) "
                "UNION ALL "
                "SELECT f.id, f.first_observation, CASE WHEN o.predicate = 'docstring' THEN 'docstring' "
                "  ELSE 'code' END, '', 1, "
                "  v.observed_at, v.content_hash, v.path, v.source FROM derived_facts f "
                "JOIN observations o ON o.id = f.first_observation "
                "JOIN versions v ON v.id = o.version_id "
                f"WHERE f.id IN ({marks}) AND f.origin = 'summary' "
                "ORDER BY 1, 2, 3, 4",
                (*chunk, *firsts, *chunk),
            ).fetchall()
        return rows

    def came_from(self, subject: str, predicates: tuple[str, str]) -> tuple[str, str] | None:
        """``(old key, predicate)`` of a subject's newest link of ``predicates`` (renamed_from,
        moved_from), live ones first."""
        return self.conn.execute(
            "SELECT object, predicate FROM facts WHERE subject = ? AND predicate IN (?, ?) "
            f"ORDER BY (status IN {LIVE}) DESC, id DESC LIMIT 1",
            (subject, *predicates),
        ).fetchone()

    def went_to(self, subject: str, predicates: tuple[str, str]) -> tuple[str, str] | None:
        """``(new key, predicate)`` of a subject's newest live link of ``predicates`` (renamed_to, moved_to)."""
        return self.conn.execute(
            "SELECT object, predicate FROM facts WHERE subject = ? AND predicate IN (?, ?) "
            f"AND status IN {LIVE} ORDER BY id DESC LIMIT 1",
            (subject, *predicates),
        ).fetchone()


# A body asserted this many times from a look on is kept (Facts._body_rows): on the large tree
# renamed, 51 bodies, 46,111 rows (the commonest, 14,130).
_SHARED_BODY = 128
_KEPT_ROWS = 50_000  # rows kept for all bodies (about 15 MB), the least recently asked let go


class _BodyRows:
    """The observations of one body hash from id ``first`` to ``upto``, by id, and grouped by
    their subjects' qualnames when asked."""

    def __init__(self, first: int, upto: int, rows: list[tuple[int, int, str, str]]):
        self.first, self.upto, self.rows = first, upto, rows
        self._by_qualname: dict[str, list[tuple[int, int, str, str]]] | None = None

    def add(self, rows: list[tuple[int, int, str, str]], upto: int) -> None:
        self.rows += rows
        self.upto = upto
        self._by_qualname = None

    def of(self, qualname: str) -> list[tuple[int, int, str, str]]:
        if self._by_qualname is None:
            self._by_qualname = {}
            for row in self.rows:
                self._by_qualname.setdefault(qualname_of(row[3]), []).append(row)
        return self._by_qualname.get(qualname, [])


class SettledTests:
    """The tests one dream has settled, and the symbols each one's ``tested_by`` facts name
    (see ``dream/tested.py``), in temporary tables of the dream's connection. Held in the
    dream's heap, they grew with the tree: 40 MB of a first dream on twice the large tree.
    SQLite keeps them in its small page cache for temporary tables and spills the rest to
    a temporary file (as its default build does: ``TEMP_STORE=1``); rolled back with the
    dream's transaction, as the facts are. Each record empties what the connection's last
    one held.

    >>> import sqlite3
    >>> settled = SettledTests(sqlite3.connect(":memory:"))
    >>> settled.add([("t1", ["f", "g"]), ("t2", ["g"]), ("t3", ["h"])])
    >>> settled.unsettled(["t1", "t4"])
    ['t4']
    >>> sorted(settled.unsettle(["g", "x"]))
    ['t1', 't2']
    >>> settled.unsettled(["t1", "t2", "t3"])
    ['t1', 't2']
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS dream_settled (test TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS dream_exercising (subject TEXT NOT NULL, test TEXT NOT NULL)")
        conn.execute("CREATE INDEX IF NOT EXISTS temp.dream_exercising_subject ON dream_exercising (subject)")
        conn.execute("DELETE FROM temp.dream_settled")
        conn.execute("DELETE FROM temp.dream_exercising")

    def add(self, settled: Iterable[tuple[str, Iterable[str]]]) -> None:
        """``(test, the symbols its facts name)`` pairs: these tests are settled."""
        pairs = [(test, list(subjects)) for test, subjects in settled]
        self.conn.executemany("INSERT OR IGNORE INTO temp.dream_settled VALUES (?)", [(test,) for test, _ in pairs])
        self.conn.executemany(
            "INSERT INTO temp.dream_exercising VALUES (?, ?)",
            [(subject, test) for test, subjects in pairs for subject in subjects],
        )

    def unsettled(self, tests: Iterable[str]) -> list[str]:
        """Those of ``tests`` not settled, sorted."""
        wanted = sorted(set(tests))
        found: set[str] = set()
        for chunk in chunks(wanted):
            found.update(
                row[0]
                for row in self.conn.execute(
                    f"SELECT test FROM temp.dream_settled WHERE test IN ({_marks(chunk)})", chunk
                )
            )
        return [test for test in wanted if test not in found]

    def unsettle(self, gone: Iterable[str]) -> set[str]:
        """The settled tests whose facts name a symbol in ``gone``: no longer settled."""
        tests: set[str] = set()
        for chunk in chunks(sorted(set(gone))):
            marks = _marks(chunk)
            tests.update(
                row[0]
                for row in self.conn.execute(
                    f"SELECT test FROM temp.dream_exercising WHERE subject IN ({marks})", chunk
                )
            )
            self.conn.execute(f"DELETE FROM temp.dream_exercising WHERE subject IN ({marks})", chunk)
        for chunk in chunks(sorted(tests)):
            self.conn.execute(f"DELETE FROM temp.dream_settled WHERE test IN ({_marks(chunk)})", chunk)
        return tests
