"""Read-only questions the features and the CLI ask of the memory.

>>> knowledge = Knowledge(store)                          # doctest: +SKIP
>>> knowledge.explain("python:src/text.py:parse")["facts"][0]["predicate"]  # doctest: +SKIP
'kind'

Facts come from the dream engine; what it has not consolidated yet shows as
the current raw observations, each ``tentative`` with the observation behind
it as evidence.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field, replace

from kairos_lsp.dream import cursor, dream_log, earlier, facts_for, successor
from kairos_lsp.dream.model import SINGLE_VALUED
from kairos_lsp.dream.read import decode_value
from kairos_lsp.keys import path_of, qualname_of
from kairos_lsp.languages import language_named
from kairos_lsp.resolve import Found, OutOfTime, Resolver, Target, module_tail
from kairos_lsp.store import Store
from kairos_lsp.store.migrations import (
    CALLEE_NAME,
    IMPORTED_ALIAS,
    IMPORTED_NAME,
    OUTCOME_IDS,
    PREDICATE_ID,
    TESTS_FIRST_OWN,
)
from kairos_lsp.store.wal import wal_reset_bug

# (``#dispatch`` after a dot is one word: a JavaScript private name, ``this.#dispatch()``)
_WORD = re.compile(rb"(?:(?<=\.)#)?[A-Za-z_$][A-Za-z0-9_$]*")
_DOTTED_TAIL = re.compile(rb"[A-Za-z_$](?:[A-Za-z0-9_$.]|(?<=\.)#)*$")
# Facts a hover lists: what the dream concluded, beyond what the signature already says.
INSIGHTS = ("may_handle", "pure", "side_effects", "role", "tested_by", "flaky", "renamed_from", "moved_from")
# What the Review lists: derived facts (insights and links) and, of what the code says, signatures.
REVIEWED = (*INSIGHTS, "renamed_to", "moved_to")
REVIEWED_CODE = "'signature'"
_CALLER_CANDIDATES = 400  # call sites examined per "who calls this" (common names)
_KEPT = 10_000  # names, callers' searches and cards Knowledge keeps (the most; they go when the store changes)
GUESSED_AT_MOST = 500  # definitions of a name beyond which a word is not guessed to mean one (resolve)
_CALLERS_ALWAYS = 2  # call sites a search examines whatever the time budget (Knowledge.callers)
TESTS_LISTED = 2  # tested_by facts a card holds (of thousands, for a helper every test calls)
TESTS_COUNTED = 100  # tested_by facts a card counts ("and 98+ more" beyond)


@dataclass(frozen=True, slots=True)
class Look:
    """A symbol's single-valued predicates as one look at its file left them."""

    version: int  # the ``versions`` row: increases with every look, in every file
    at: str  # ISO 8601 UTC
    path: str
    values: dict[str, str]


@dataclass
class Callers:
    count: int = 0
    first: list[dict] = field(default_factory=list)  # symbol rows, at most ``limit``
    more: bool = False  # candidates beyond what was examined


@dataclass
class _CallerSearch:
    """How far :meth:`Knowledge.callers` got for one symbol."""

    names: tuple[str, ...]  # what its call sites may call it
    examined: int = 0  # candidates (call sites) looked at
    seen: set[str] = field(default_factory=set)  # callers found
    found: Callers = field(default_factory=Callers)
    done: bool = False


@dataclass
class Card:
    """The short view a hover needs of one symbol (:meth:`Knowledge.card`)."""

    symbol: str  # its key
    path: str | None = None  # where it is defined now
    kind: str | None = None
    signature: str | None = None
    docstring: str | None = None
    summary: str | None = None  # the dream's one sentence
    decorators: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    raises: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # state beyond its own scope: a global, an argument's item
    deprecated: list[str] = field(default_factory=list)  # the warning its code gives that it is deprecated
    insights: list[dict] = field(default_factory=list)  # live facts (``INSIGHTS`` predicates)
    tests: int | None = None  # live tested_by facts, when insights holds only the first few
    more_tests: bool = False  # more than ``tests``
    stale: bool = False  # the code changed since the last dream: insights and summary withheld
    callers: Callers = field(default_factory=Callers)
    changed: dict | None = None  # :meth:`Knowledge.last_change`
    test: dict | None = None  # :meth:`Knowledge.last_test`
    through: list[tuple[str, dict, str]] = field(default_factory=list)  # :meth:`Knowledge.failing_through`
    lint: list[dict] = field(default_factory=list)  # :meth:`Knowledge.lint`
    claude: dict | None = None  # Claude's summary of this very body: ``text``, ``model``, ``at``


class Knowledge:
    def __init__(self, store: Store):
        self.store = store
        self.resolver = Resolver(store, successor)
        # What hovers ask again, kept while the store is the same (``_generation``): the symbol a
        # short name means outside its file (resolve), how far "who calls this" got (callers),
        # the rest of a symbol's card (card).
        self._named: dict[str, dict | None] = {}
        self._callers: dict[tuple[str, int], _CallerSearch] = {}
        self._cards: dict[str, Card] = {}  # without their callers
        self._aliases: dict[tuple[str, str], tuple[str, ...]] = {}  # what calls of a name may call it (callers)
        self._default_aliases: dict[str, list[str]] = {}  # a module's last name -> its default imports' aliases
        self._generation: tuple[int, int] | None = None

    # -- finding symbols ----------------------------------------------------

    def symbol_at(self, path: str, line: int, col: int, line_text: bytes | None = None) -> dict | None:
        """The symbol a user points at: a definition's name, else the word under the cursor.

        ``col`` is a UTF-8 byte column, as in the store.
        """
        rows = list(
            self.store.db.query(
                "SELECT * FROM symbols WHERE path = ? AND name_line = ? AND name_col <= ? AND name_end_col >= ? "
                "AND qualname != '' ORDER BY start_line, start_col LIMIT 1",
                [path, line, col, col],
            )
        )
        if rows:
            return rows[0]
        if line_text is None:
            return None
        target = self.reference_at(path, line, col, line_text)
        if isinstance(target, Found):
            return self.store.symbol(target.key)
        word = word_at(line_text, col)
        return self.resolve(word, path) if word and target is None else None

    def reference_at(self, path: str, line: int, col: int, line_text: bytes) -> Target:
        """What the (dotted) name under the cursor refers to, through the file's imports."""
        span = word_span(line_text, col)
        if span is None:
            return None
        dotted = _DOTTED_TAIL.search(line_text[: span[1]])
        text = dotted.group().decode() if dotted else line_text[span[0] : span[1]].decode()
        scope = self.store.symbol_at(path, line)
        return self.resolver.lookup(path, text.strip("."), scope["qualname"] if scope else None)

    def resolve(self, name: str, from_path: str) -> dict | None:
        """A symbol by its short name: the same file first, then a unique match elsewhere
        (a unique top-level one, else the only symbol of that name).

        Asked as small queries, not by reading every symbol of that name: on a large tree
        ``__init__`` names 17,592 (a hover on ``base.__init__(obj)`` in a file with no
        ``__init__`` of its own read them all, 66 - 85 ms). A
        name defined more than :data:`GUESSED_AT_MOST` times is no guess at all (of the large
        tree's 23 such names, ``__call__`` alone had one top-level definition, and a word
        ``__call__`` means it at one place in 1,309).
        """

        def first(where: str, args: tuple, limit: int, order: str = "") -> list[dict]:
            return list(self.store.db.query(f"SELECT * FROM symbols WHERE {where} {order} LIMIT {limit}", args))

        # (``+name``: by the path's index, a file has few symbols; a name may have thousands)
        same_file = first("path = ? AND +name = ?", (from_path, name), 1, "ORDER BY key")
        if same_file:
            return same_file[0]
        self._sync()
        if name not in self._named:
            defined = self.store.db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM symbol_rows WHERE name = ? LIMIT ?)", (name, GUESSED_AT_MOST + 1)
            ).fetchone()[0]
            pool: list[dict] = []
            if defined <= GUESSED_AT_MOST:
                # only "exactly one" counts: no order needed, the first two found say it
                pool = first("name = ? AND instr(qualname, '.') = 0", (name,), 2) or first("name = ?", (name,), 2)
            self._named[name] = pool[0] if len(pool) == 1 else None
        return self._named[name]

    def _sync(self) -> None:
        """Forget what :meth:`resolve`, :meth:`callers` (and :meth:`_caller_names`) and :meth:`card`
        kept when the store changed."""
        generation = self.resolver.generation
        kept: tuple[dict, ...] = (self._named, self._callers, self._cards, self._aliases, self._default_aliases)
        if generation != self._generation or sum(len(cache) for cache in kept) > _KEPT:
            for cache in kept:
                cache.clear()
            self._generation = generation

    def find(self, path: str, qualname: str | None = None, line: int | None = None) -> dict | None:
        """``FILE::QUALNAME`` or ``FILE:LINE`` (1-based line) as the CLI takes them."""
        if qualname is not None:
            if qualname == "":
                modules = [r for r in self.store.symbols_in(path) if r["qualname"] == ""]
                return modules[0] if modules else None
            return self.store.symbol_by_qualname(path, qualname)
        if line is not None:
            return self.store.symbol_at(path, line - 1)
        return None

    # -- what we know about one ------------------------------------------------

    def card(self, key: str, callers: int = 3, callers_until: float | None = None) -> Card:
        """The short view a hover needs.

        What the code says now (kind, signature, docstring, raises), the dream's
        summary and insights (withheld when the code changed since the dream:
        validate on use), callers (the first ``callers``, looked for until
        ``callers_until``: see :meth:`callers`), the last change and the last
        test outcome. All but the callers is kept until the store changes: a symbol is
        hovered again and again, and a helper every test calls has thousands of facts.
        """
        self._sync()
        known = self._cards.get(key)
        if known is None:
            known = self._cards[key] = self._card(key)
        return replace(known, callers=self.callers(key, callers, callers_until) if callers else Callers())

    def _card(self, key: str) -> Card:
        values: dict[str, list[str]] = {}
        for row in self.store.current(key):
            values.setdefault(row["predicate"], []).append(row["object"])
        first = {p: v[0] for p, v in values.items() if p in SINGLE_VALUED}
        stale = self.undreamed(key)
        facts, tests, more_tests = ([], 0, False) if stale else self.insights(key)
        summary = next((f["object"] for f in facts if f["predicate"] == "summary"), None)
        return Card(
            symbol=key,
            path=path_of(key) if "kind" in first else None,  # the key says where, while it exists
            kind=first.get("kind"),
            signature=first.get("signature"),
            docstring=first.get("docstring"),
            summary=summary,
            decorators=values.get("decorated_by", []),
            calls=values.get("calls", []),
            raises=values.get("raises", []),
            writes=values.get("writes", []),
            deprecated=values.get("deprecated", []),
            insights=[f for f in facts if f["predicate"] in INSIGHTS],
            tests=tests,
            more_tests=more_tests,
            stale=stale,
            changed=self.last_change(key),
            test=self.last_test(key),
            through=self.failing_through([key]).get(key, []),
            lint=self.lint(key),
            claude=self.store.claude_summary(key, first.get("body_hash")),
        )

    def insights(self, key: str) -> tuple[list[dict], int, bool]:
        """What the dream concluded about ``key`` (its live derived facts: summary, insights,
        links), with only the first :data:`TESTS_LISTED` ``tested_by`` facts; how many
        ``tested_by`` facts it counted (up to :data:`TESTS_COUNTED`), and whether there are more.
        A tentative insight but ``tested_by`` carries ``sources``: the kinds of evidence it
        rests on (``name``, ``docstring``, ``calls``...).

        The tests listed are the firm ones first, then by name, among those counted (in the
        order the dream made them). What the code says (observed facts) is not here: a card
        reads it from the code's current observations. ``numpy.testing.assert_allclose`` has
        2,639 tests: reading them all took 15 ms, counting them all 3 (the status is in each row).
        """
        columns = "id, predicate, object, status, confidence, evidence_count, verdict, origin"
        live = "status IN ('tentative', 'firm')"
        tested = PREDICATE_ID["tested_by"]
        facts = list(
            self.store.db.query(
                f"SELECT {columns} FROM derived_facts WHERE subject = ? AND predicate_id != {tested} AND {live} "
                "ORDER BY predicate, id",
                (key,),
            )
        )
        tests = list(
            self.store.db.query(
                f"SELECT {columns} FROM derived_facts WHERE subject = ? AND predicate_id = {tested} AND {live} "
                f"ORDER BY id LIMIT {TESTS_COUNTED + 1}",  # the order of its index: no sort
                (key,),
            )
        )
        more = len(tests) > TESTS_COUNTED
        del tests[TESTS_COUNTED:]
        count = len(tests)
        tests.sort(key=lambda f: (f["status"] != "firm", f["object"]))
        for fact in facts:
            if fact["status"] == "tentative" and fact["predicate"] in INSIGHTS:
                # what it rests on, so a hover can say "by its name" apart from "by its calls"
                fact["sources"] = sorted(self.store.facts.sources(fact["id"]))
        return facts + tests[:TESTS_LISTED], count, more

    def looks(self, key: str, predicates: tuple[str, ...]) -> list[Look]:
        """How ``predicates`` (single-valued: signature, parameters, docstring, body_hash) of
        ``key`` changed, one :class:`Look` per look that changed any of them, oldest first.

        The first is what the memory saw first; two looks mean it saw a change.
        """
        out: list[Look] = []
        values: dict[str, str] = {}
        for row in self.store.timeline(key, predicates):
            if out and out[-1].version == row["version"]:
                out.pop()
            if row["negated"]:
                if values.get(row["predicate"]) == row["object"]:
                    del values[row["predicate"]]
            else:
                values[row["predicate"]] = row["object"]
            out.append(Look(row["version"], row["observed_at"], row["path"], dict(values)))
        return [look for i, look in enumerate(out) if i == 0 or look.values != out[i - 1].values]

    def callers(self, key: str, limit: int = 3, until: float | None = None) -> Callers:
        """Symbols whose current code calls ``key`` (resolved through their imports).

        ``until`` (a ``time.perf_counter()`` value): stop examining call sites once it has
        passed, once the search has examined :data:`_CALLERS_ALWAYS` (a hover: a common name
        has hundreds, each in a file whose imports may not have been read yet), and stop a
        call site's lookup that reads the store past it; what is left unexamined sets
        ``more``. Until the store changes, the next look goes on from there (a stopped lookup
        from the files it read), and a finished answer is kept.
        """
        self._sync()
        search = self._callers.get((key, limit))
        if search is None:
            row = self.store.symbol(key)
            if row is None:
                return Callers()
            names = self._caller_names(row["name"], row["language"], row["path"])
            search = self._callers[(key, limit)] = _CallerSearch(names)
        found, names = search.found, search.names
        if search.done:
            return Callers(found.count, list(found.first), found.more)
        rows = self.store.db.execute(
            # (the log itself: the callee index is on its object; see migrations.OBJECT_TEXT)
            "SELECT s.text, o.object, v.path FROM observation_log o JOIN names s ON s.id = o.subject_id "
            "JOIN versions v ON v.id = o.version_id "
            "JOIN current c ON c.path = v.path AND c.observation_id = o.id "
            f"WHERE o.predicate_id = {PREDICATE_ID['calls']} AND {CALLEE_NAME} IN ({','.join('?' * len(names))}) "
            "LIMIT ? OFFSET ?",
            (*names, _CALLER_CANDIDATES + 1 - search.examined, search.examined),
        )  # read as they are examined: a spent budget stops the query too
        with self.resolver.held():  # one snapshot for the search: no check of the store per lookup
            more = self._examine(key, limit, until, search, rows)
        rows.close()
        found.more = more
        search.done = not more or search.examined == _CALLER_CANDIDATES
        return Callers(found.count, list(found.first), found.more)

    def _examine(self, key: str, limit: int, until: float | None, search: _CallerSearch, rows) -> bool:
        """:meth:`callers`' look at each candidate call site; whether some are left unexamined."""
        found, seen = search.found, search.seen
        more = False
        for looked, (subject, callee, path) in enumerate(rows):
            if search.examined == _CALLER_CANDIDATES or (
                until is not None
                and looked  # each look examines one at least: the next hover gets further
                and search.examined >= _CALLERS_ALWAYS
                and time.perf_counter() > until
            ):
                more = True
                break
            if subject in seen or subject == key:
                search.examined += 1
                continue
            scope = qualname_of(subject) or None
            try:  # one call site may chase star imports through a hundred modules (networkx, sympy)
                target = self.resolver.lookup(path, callee, scope, deadline=until)
            except OutOfTime:  # not examined: the next look resolves it from what this one read
                more = True
                break
            search.examined += 1
            if isinstance(target, Found) and target.key == key:
                seen.add(subject)
                found.count += 1
                if len(found.first) < limit:
                    caller = self.store.symbol(subject)
                    if caller is not None:
                        found.first.append(caller)
        return more

    def _caller_names(self, name: str, language: str = "", path: str = "") -> tuple[str, ...]:
        """The names a call of ``name`` may use: its own and the aliases it is imported under
        (kept per name: ``TypeVar`` is imported 889 times, 4 ms to read). A JavaScript or
        TypeScript module's default export (``default``, or a name its module binds to
        ``default``; CommonJS's ``exports``) is imported under any name: the aliases of the
        default imports and requires of a module named as its file is (``import d from
        "../toDate/index.js"``, ``const Router = require("./router")``) too."""
        self._sync()
        spec = language_named(language)
        tail = module_tail(path) if spec is not None and spec.modules == "ecmascript" else ""
        if (name, tail) not in self._aliases:
            aliases = self.store.db.execute(  # (the imported-name index alone answers it)
                f"SELECT DISTINCT {IMPORTED_ALIAS} FROM observation_log "
                f"WHERE predicate_id = {PREDICATE_ID['imports']} AND {IMPORTED_NAME} = ?",
                (name,),
            )
            names = dict.fromkeys((name, *(alias for (alias,) in aliases if alias)))
            if tail and names.keys() & {"default", "exports"}:  # (CommonJS: ``module.exports = f``)
                names.update(dict.fromkeys(self._default_imports().get(tail, ())))
            self._aliases[(name, tail)] = tuple(names)
        return self._aliases[(name, tail)]

    def _default_imports(self) -> dict[str, list[str]]:
        """The aliases of every default import (``import d from "./m"``), by the last name of
        the module each names (:func:`resolve.module_tail`); read once per store state
        (date-fns: 3,000 imports, 2 ms)."""
        if not self._default_aliases:
            rows = self.store.db.execute(
                f"SELECT DISTINCT {IMPORTED_ALIAS}, json_extract(object, '$.module') FROM observation_log "
                f"WHERE predicate_id = {PREDICATE_ID['imports']} AND {IMPORTED_NAME} IS NULL"
            )
            for alias, module in rows:
                if alias:
                    self._default_aliases.setdefault(module_tail(module or ""), []).append(alias)
            self._default_aliases.setdefault("", [])  # (read, even when there is none)
        return self._default_aliases

    def fact(self, fact_id: int) -> dict | None:
        """One fact by id: its subject, predicate, value, status and the user's verdict."""
        row = self.store.facts.fact(fact_id)
        if row is None:
            return None
        return {"subject": row[1], "predicate": row[2], "value": row[3], "status": row[5], "verdict": row[11]}

    def live_facts(self, key: str) -> list[dict]:
        """Current (tentative or firm) facts, without evidence rows: cheap enough for a hover."""
        cursor_ = self.store.db.execute(
            "SELECT id, predicate, object, status, confidence, evidence_count, verdict, origin "
            "FROM facts WHERE subject = ? AND status IN ('tentative', 'firm') ORDER BY predicate, id",
            (key,),
        )
        names = [d[0] for d in cursor_.description]
        return [dict(zip(names, row)) for row in cursor_.fetchall()]

    def undreamed(self, key: str) -> bool:
        """Observations about ``key`` the dream has not consolidated yet."""
        return (
            self.store.db.execute(
                "SELECT 1 FROM observations WHERE subject = ? AND id > ? LIMIT 1", (key, cursor(self.store))
            ).fetchone()
            is not None
        )

    def last_change(self, key: str) -> dict | None:
        """When the body last changed (``changed``) or was first seen (``first_seen``)."""
        rows = self.store.db.execute(
            "SELECT v.observed_at, v.source FROM observations o JOIN versions v ON v.id = o.version_id "
            f"WHERE o.subject = ? AND o.predicate_id = {PREDICATE_ID['body_hash']} AND o.negated = 0 "
            "ORDER BY o.id DESC LIMIT 2",
            (key,),
        ).fetchall()
        if not rows:
            return None
        return {"at": rows[0][0], "source": rows[0][1], "changed": len(rows) > 1}

    def last_test(self, key: str, runs: int = 5) -> dict | None:
        """The last captured test outcome about ``key`` (``failed``, ``detail``, ``at``,
        ``source``), and how many of its last ``runs`` outcomes were failures
        (``failures`` of ``runs``)."""
        rows = self.store.db.execute(
            "SELECT o.predicate, o.object, v.observed_at, v.source FROM observations o "
            "JOIN versions v ON v.id = o.version_id WHERE o.subject = ? AND o.negated = 0 "
            f"AND o.predicate_id IN {OUTCOME_IDS} ORDER BY o.id DESC LIMIT ?",
            (key, runs),
        ).fetchall()
        if not rows:
            return None
        predicate, detail, at, source = rows[0]
        return {
            "failed": predicate == "test_failed",
            "detail": detail,
            "at": at,
            "source": source,
            "runs": len(rows),
            "failures": sum(row[0] == "test_failed" for row in rows),
        }

    def failed_tests(self, limit: int = 200) -> dict[str, dict]:
        """Symbols whose last captured test outcome is a failure: ``{key: outcome}``
        (``run``: the run that captured it, when known)."""
        out = {}
        for subject, predicate, detail, at, run in self.store.db.execute(
            "SELECT o.subject, o.predicate, o.object, v.observed_at, v.run_id FROM observations o "
            "JOIN versions v ON v.id = o.version_id WHERE o.id IN (SELECT max(id) "
            "FROM observation_log INDEXED BY observation_log_outcomes "
            f"WHERE predicate_id IN {OUTCOME_IDS} GROUP BY subject_id) LIMIT ?",
            (limit,),
        ):
            if predicate == "test_failed":
                out[subject] = {"failed": True, "detail": detail, "at": at, "run": run}
        return out

    def failing_through(self, keys: list[str]) -> dict[str, list[tuple[str, dict, str]]]:
        """Which of ``keys`` a failing test's traceback crossed in the run where it last
        failed: ``{key: [(test, its outcome, what was raised)]}``."""
        out: dict[str, list[tuple[str, dict, str]]] = {}
        if not keys:
            return out
        marks = ",".join("?" * len(keys))
        rows = self.store.db.execute(
            "SELECT o.subject, o.object, v.run_id, o.version_id "
            "FROM observations o JOIN versions v ON v.id = o.version_id "
            f"WHERE o.subject IN ({marks}) AND o.predicate = 'failed_in' AND v.run_id IS NOT NULL ORDER BY o.id",
            keys,
        ).fetchall()
        failed = self.failed_tests() if rows else {}
        for subject, test, run, version in rows:
            outcome = failed.get(test)
            if outcome is None or outcome.get("run") != run:
                continue  # the test passed since, or failed in another run
            raised = self.store.db.execute(
                "SELECT object FROM observations WHERE version_id = ? AND subject = ? AND predicate = 'raised' LIMIT 1",
                (version, subject),
            ).fetchone()
            entry = (test, outcome, raised[0] if raised else "")
            if entry not in out.setdefault(subject, []):
                out[subject].append(entry)
        return out

    def lint(self, key: str, limit: int = 3) -> list[dict]:
        """What linters said about ``key`` in the last run that reported on it."""
        rows = self.store.db.execute(
            "SELECT o.object, v.observed_at, v.run_id FROM observations o JOIN versions v ON v.id = o.version_id "
            "WHERE o.subject = ? AND o.predicate = 'lint' ORDER BY o.id DESC LIMIT 50",
            (key,),
        ).fetchall()
        if not rows:
            return []
        last = rows[0][2]
        return [{"finding": r[0], "at": r[1]} for r in rows if r[2] == last][:limit]

    def callees(self, key: str) -> list[str]:
        """Symbols ``key`` calls now, resolved through its file's imports."""
        row = self.store.symbol(key)
        if row is None:
            return []
        out = []
        for obs in self.store.current(key):
            if obs["predicate"] == "calls":
                target = self.resolver.lookup(row["path"], obs["object"], row["qualname"])
                if isinstance(target, Found) and target.key not in out:
                    out.append(target.key)
        return out

    def explain(self, key: str, content_hash: str | None = None) -> dict | None:
        """Everything the memory holds about a symbol, in the ``kairos explain --json`` shape.

        Facts come from the dream (status, confidence, evidence, validity and
        history); each current one is checked against the code before it is
        handed out (``check``: ``current`` or ``stale``). ``content_hash`` is
        the hash of the open buffer, when there is one. Observations the dream
        has not consolidated yet show as tentative raw facts.
        """
        row = self.store.symbol(key)
        facts = facts_for(self.store, key)
        log = self.store.history(key)
        if row is None and not facts and not log:
            return None
        if not facts:
            facts = self._raw_facts(key)
        known = self.store.file(row["path"]) if row else None  # the file as last read
        check = self._checker(key, row, known, content_hash)
        for fact in facts:
            fact["check"] = check(fact) if fact["status"] in ("tentative", "firm") else None
        moved = successor(self.store, key)
        return {
            "symbol": key,
            "kind": row["kind"] if row else _last(log, "kind"),
            "exists": row is not None,
            "location": (
                {
                    "path": row["path"],
                    "range": [[row["start_line"], row["start_col"]], [row["end_line"], row["end_col"]]],
                }
                if row
                else None
            ),
            "citation": self._citation(row, known),
            "summary": _summary(facts),
            "facts": facts,
            "earlier": [
                {"symbol": h["subject"], "via": h["via"], "facts": h["facts"]} for h in earlier(self.store, key)
            ],
            "successor": {"symbol": moved[0], "via": moved[1]} if moved else None,
            "log": [
                {
                    "predicate": h["predicate"],
                    "value": decode_value(h["predicate"], h["object"]),
                    "seen": "no longer" if h["negated"] else "yes",
                    "source": h["source"],
                    "observed_at": h["observed_at"],
                    "file_hash": h["file_hash"],
                }
                for h in log
            ],
        }

    def _raw_facts(self, key: str) -> list[dict]:
        """Current observations not consolidated yet, shown as tentative facts."""
        return [
            {
                "predicate": obs["predicate"],
                "value": decode_value(obs["predicate"], obs["object"]),
                "status": "tentative",
                "confidence": None,
                "origin": "observed",
                "evidence": [
                    {
                        "source": obs["source"],
                        "observed_at": obs["observed_at"],
                        "file_hash": obs["file_hash"],
                        "path": obs["path"],
                    }
                ],
                "valid_from": obs["observed_at"],
                "valid_to": None,
                "superseded_by": None,
            }
            for obs in self.store.current(key)
        ]

    def _citation(self, row: dict | None, known: dict | None) -> dict | None:
        if row is None:
            return None
        return {
            "path": row["path"],
            "range": [[row["start_line"], row["start_col"]], [row["end_line"], row["end_col"]]],
            "content_hash": known["content_hash"] if known else None,
        }

    def _checker(self, key: str, row: dict | None, known: dict | None, content_hash: str | None):
        """Validate on use: is a current fact still what the code says right now?

        The code is the open buffer (``content_hash``) or the file as last read (``known``).
        A fact the code no longer backs, or derived from inputs that changed
        since the last dream, is ``stale``; it is never shown as current.
        """
        if row is None:
            return lambda fact: "stale"
        code_moved = known is None or (content_hash is not None and content_hash != known["content_hash"])
        backed = {(o["predicate"], o["object"]) for o in self.store.current(key)}
        undreamed = (
            self.store.db.execute(
                "SELECT 1 FROM observations WHERE subject = ? AND id > ? LIMIT 1", (key, cursor(self.store))
            ).fetchone()
            is not None
        )

        def check(fact: dict) -> str:
            if code_moved:
                return "stale"
            if fact.get("origin") == "observed":
                text = fact["value"] if isinstance(fact["value"], str) else json.dumps(fact["value"])
                return "current" if (fact["predicate"], text) in backed else "stale"
            return "stale" if undreamed else "current"

        return check

    def status(self) -> dict:
        """Size and counts of the memory, and its last dream (``kairos.status``)."""
        stats = self.store.stats()
        facts = self.store.facts.by_status()
        last = dream_log(self.store, 1)
        return {
            "store": self.store.path,
            "bytes": stats.get("bytes", 0),
            "files": stats["files"],
            "symbols": stats["symbols"],
            "observations": stats["observations"],
            "facts": {status: facts.get(status, 0) for status in ("firm", "tentative", "superseded", "retracted")},
            # (the SQLite this Python links: with the WAL-reset bug, see store/wal.py)
            "sqlite": {"version": sqlite3.sqlite_version, "wal_reset_bug": wal_reset_bug()},
            "undreamed": self.store.db.execute(
                "SELECT count(*) FROM observation_log WHERE id > ?", (cursor(self.store),)
            ).fetchone()[0],
            "last_dream": (
                {
                    k: last[0][k]
                    for k in (
                        "id",
                        "trigger",
                        "started_at",
                        "duration_ms",
                        "observations",
                        "created",
                        "superseded",
                        "retracted",
                        "promoted",
                        "demoted",
                        "linked",
                        "stopped",
                    )
                }
                if last
                else None
            ),
        }

    # -- what the dreams changed (the Review) ---------------------------------------

    def reviewed(self) -> str | None:
        """How far the user has looked through :meth:`recent_changes` (an ISO time), if ever."""
        row = self.store.db.execute("SELECT value FROM marks WHERE name = 'reviewed'").fetchone()
        return row[0] if row else None

    def baseline(self) -> str | None:
        """Where promotions start to count when the user never looked: the first dream that
        read anything (the insights of the memory's first look are its baseline, not news)."""
        row = self.store.db.execute(
            "SELECT started_at FROM dreams WHERE observations > 0 ORDER BY id LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def consolidated_until(self) -> str | None:
        """When the newest observation the dreams have consolidated was made: what marking the
        review as seen covers (a later dream reads only what came after it)."""
        row = self.store.db.execute(
            "SELECT v.observed_at FROM observations o JOIN versions v ON v.id = o.version_id WHERE o.id = ?",
            (cursor(self.store),),
        ).fetchone()
        return row[0] if row else None

    def recent_changes(self, since: str | None = None, limit: int = 100) -> dict:
        """What the dreams promoted, superseded or retracted after ``since`` (an ISO time;
        default: where the user last marked the review seen), newest first, facts the user
        has already judged left out. A user who never marked it sees every change the memory
        saw, and the promotions since its first dream (:meth:`baseline`).

        * ``promoted``: a derived fact (an insight or a rename/move link) that is firm and
          gained evidence after ``since``;
        * ``superseded``: an insight, a link or a signature that a newer value replaced
          (``replaced_by``: that value);
        * ``retracted``: one the code no longer backs (the symbol is gone, the evidence left).

        A value that came and went after ``since`` (a signature half typed) is no news: the
        change shows once, from the value held at ``since`` to the one the chain ends with;
        nor is a belief that ended and came back (a line that did not parse for a moment).

        Each change: fact ``id``, ``subject``, ``qualname``, ``path`` and ``line`` (0-based,
        where the symbol is now, else None), ``predicate``, ``value``, ``change``, ``status``,
        ``confidence``, ``at`` (when the change was seen), ``judgeable`` (the symbol still exists:
        Confirm / Reject apply). ``more``: changes beyond ``limit``.
        """
        since = since or self.reviewed()
        promoted_since = since or self.baseline()
        if promoted_since is None:  # no dream yet: nothing has changed
            return {"since": None, "changes": [], "more": False}
        reviewed = ",".join(f"'{p}'" for p in REVIEWED)
        rows = self.store.db.execute(
            # superseded or retracted insights and links
            "SELECT id, subject, predicate, object, status, confidence, valid_to, superseded_by FROM derived_facts "
            f"WHERE valid_to > ?1 AND status IN ('superseded', 'retracted') AND predicate IN ({reviewed}) "
            "AND verdict IS NULL AND valid_from <= ?2 "
            "UNION ALL "
            # ... signatures the code changed or dropped
            "SELECT f.id, o.subject, o.predicate, o.object, f.status, f.confidence, f.valid_to, f.superseded_by "
            "FROM observed_facts f JOIN observations o ON o.id = f.first_observation "
            "JOIN versions v ON v.id = o.version_id "
            f"WHERE f.valid_to > ?1 AND f.status IN ('superseded', 'retracted') AND o.predicate IN ({REVIEWED_CODE}) "
            "AND f.verdict IS NULL AND v.observed_at <= ?2 "
            "UNION ALL "
            # firm insights and links with evidence newer than ``since``
            "SELECT * FROM (SELECT f.id, f.subject, f.predicate, f.object, f.status, f.confidence, "
            # (the evidence view in two parts: joined whole, it is materialized)
            "(SELECT max(at) FROM (SELECT v.observed_at AS at FROM fact_evidence e "
            "JOIN observations o ON o.id = e.observation_id JOIN versions v ON v.id = o.version_id "
            "WHERE e.fact_id = f.id AND e.active = 1 UNION ALL SELECT v.observed_at FROM observations o "
            "JOIN versions v ON v.id = o.version_id WHERE f.predicate = 'tested_by' AND o.id = f.first_observation "
            f"AND {TESTS_FIRST_OWN.format('f')})) AS at, NULL "
            f"FROM derived_facts f WHERE f.status = 'firm' AND f.predicate IN ({reviewed}) AND f.verdict IS NULL) "
            "WHERE at > ?2 "
            "ORDER BY 7 DESC, 1 DESC",
            (since or "", promoted_since),
        )
        changes: list[dict] = []
        more = False
        for fact_id, subject, predicate, obj, status, confidence, at, replaced in rows:
            if self._no_news(fact_id, subject, predicate, obj, status, since or ""):
                continue
            if len(changes) == limit:
                more = True
                break
            symbol = self.store.symbol(subject)
            replacement = self._last_of_chain(replaced)
            if status != "firm" and predicate in SINGLE_VALUED:
                # what holds now, however it came (a retract and a new fact when the file did not parse)
                now = self.store.db.execute(
                    "SELECT object FROM facts WHERE subject = ? AND predicate = ? AND status IN ('tentative', 'firm') "
                    "ORDER BY id DESC LIMIT 1",
                    (subject, predicate),
                ).fetchone()
                replacement = now[0] if now else replacement
                status = "superseded" if now else status
            changes.append(
                {
                    "id": fact_id,
                    "subject": subject,
                    "qualname": qualname_of(subject),
                    "path": symbol["path"] if symbol else path_of(subject),
                    "line": symbol["name_line"] if symbol else None,
                    "predicate": predicate,
                    "value": decode_value(predicate, obj),
                    "change": "promoted" if status == "firm" else status,
                    "status": status,
                    "confidence": confidence,
                    "at": at,
                    "verdict": None,
                    "judgeable": symbol is not None,  # a verdict on a deleted symbol's fact has nothing to stick to
                    "replaced_by": decode_value(predicate, replacement) if replacement is not None else None,
                }
            )
        return {"since": since, "changes": changes, "more": more}

    def _no_news(self, fact_id: int, subject: str, predicate: str, obj: str, status: str, since: str) -> bool:
        """The same belief held at ``since`` and holds now, under another fact (a half-typed
        line that did not parse retracted it, the next look made it again)."""
        if status == "firm":  # promoted: was the same triple live at ``since``, as a fact that ended since?
            sql = "SELECT 1 FROM facts WHERE subject = ? AND predicate = ? AND object = ? AND id != ? AND valid_to > ?"
            args: tuple = (subject, predicate, obj, fact_id, since)
        else:  # superseded or retracted: does the same triple hold again now?
            sql = (
                "SELECT 1 FROM facts WHERE subject = ? AND predicate = ? AND object = ? "
                "AND status IN ('tentative', 'firm')"
            )
            args = (subject, predicate, obj)
        return self.store.db.execute(sql + " LIMIT 1", args).fetchone() is not None

    def _last_of_chain(self, fact_id: int | None, hops: int = 100) -> str | None:
        """The value at the end of a ``superseded_by`` chain starting at ``fact_id``."""
        value = None
        while fact_id is not None and hops:
            row = self.store.facts.fact(fact_id)
            if row is None:
                break
            value, fact_id, hops = row[3], row[10], hops - 1
        return value


def word_at(line: bytes, col: int) -> str | None:
    span = word_span(line, col)
    return line[span[0] : span[1]].decode() if span else None


def word_span(line: bytes, col: int) -> tuple[int, int] | None:
    """Byte span of the identifier under (or just before) a byte column."""
    for match in _WORD.finditer(line):
        if match.start() <= col <= match.end():
            return match.start(), match.end()
    return None


def _summary(facts: list[dict]) -> str | None:
    """The dream's one-sentence summary, else the docstring's first paragraph."""
    live = [f for f in facts if f["status"] in ("tentative", "firm")]
    for predicate in ("summary", "docstring"):
        for fact in live:
            if fact["predicate"] == predicate:
                return fact["value"].strip().split("\n\n")[0].replace("\n", " ")
    return None


def _last(history: list[dict], predicate: str) -> str | None:
    values = [h["object"] for h in history if h["predicate"] == predicate and not h["negated"]]
    return values[-1] if values else None
