"""Which tests exercise a symbol: ``tested_by`` insights, across files.

A test (a ``test*`` function or method in a test file, or one marked
``#[test]`` / ``@Test``) that calls a symbol, resolved through the test
file's imports, is evidence that the symbol is ``tested_by`` that test
(source ``tests``). A captured run of the test (``test_passed`` /
``test_failed``, source ``terminal``) is a second, independent source, so
the fact becomes firm once the test has been seen running. When the test
stops calling the symbol (or is deleted) the fact is retracted; a rejected
fact is never recreated.

This runs once per dream batch, for the tests the batch touched and for the
tests of every test file whose recorded ``dependencies`` (what resolving its
calls read: files, module endings, class bases) the batch changed, with a few
bulk reads and writes of the store's facts (``store.facts``), like the
``widely called`` recheck.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from functools import lru_cache
from itertools import groupby

from kairos_lsp.dream.batches import rows_of
from kairos_lsp.dream.model import FIRM_AT, FIRM_SOURCES, NOT_LOOKS, Counts, noisy_or
from kairos_lsp.keys import TEST_FILE, name_of, path_of, qualname_of
from kairos_lsp.resolve import Found, Resolver, module_endings
from kairos_lsp.store import Store
from kairos_lsp.store.facts import Facts
from kairos_lsp.store.migrations import basis_points

PREDICATE = "tested_by"
REDERIVE = "rederive tested_by"  # the mark a migration leaves: derive every test once
TEST_NAME = re.compile(r"^[Tt]est")
_OWN = ("self.", "cls.", "this.", "super().")
TEST_MARKS = {"test", "Test", "tokio::test", "org.junit.Test", "org.junit.jupiter.api.Test"}


def is_test(subject: str, decorators=()) -> bool:
    """``python:tests/test_a.py:test_b`` is; so is a function marked ``#[test]`` or ``@Test``."""
    if any(mark in TEST_MARKS for mark in decorators):
        return True
    return _test_by_name(subject)


@lru_cache(maxsize=16384)  # a batch's subjects (bounded: a dream process keeps it all dream long)
def _test_by_name(subject: str) -> bool:
    name = name_of(subject)
    return bool(TEST_NAME.match(name)) and bool(TEST_FILE.search(path_of(subject)))


def resolver_for(store: Store) -> Resolver:
    """One resolver for a whole dream: a dream writes facts only, never the files,
    symbols or imports a resolver reads (input that arrives meanwhile is the next
    dream's), so what it caches stays true from batch to batch."""
    return Resolver(store, history=False, still=True)


class Derivations:
    """One dream's tested_by work. What a derivation reads (the calls, imports, files and
    symbols the latest scans wrote, and the runs) does not change during a dream, so each
    test is settled at most once per dream, however many batches touch it or name what it
    calls, and each change is looked up once; a settled test is settled again
    at once when a symbol it exercises vanishes in a later batch (the merge retracted that
    fact; the symbol is back by the end, or the test would not exercise it). What it keeps
    is bounded: what the resolver read is forgotten past :data:`RESOLVER_ANSWERS` answers
    (or :data:`RESOLVER_READS` recorded reads), the changes looked up past :data:`LOOKED_UP`,
    the tests of test files past :data:`TEST_FILES_KEPT` files; the tests it settled are kept
    by the store (``SettledTests``: temporary tables, spilled to a file)."""

    def __init__(self, store: Store, dream: int):
        self.resolver = resolver_for(store)
        self.dream = dream  # its id: what it records in ``dependencies``
        # the tests settled in this dream, and the symbols their facts name: in the store's
        # temporary tables (store.facts.SettledTests), not in this process's heap
        self._settled = store.facts.settled_tests()
        self.looked_up: set[str] = set()  # changes looked up in ``dependencies`` already
        self.earlier = store.facts.any_dependencies_before(dream)  # anything to look up at all
        self._tests_in: dict[str, frozenset[str]] = {}  # test file -> its tests (fixed during a dream)

    def tests_in(self, store: Store, path: str) -> frozenset[str]:
        """The tests of the file ``path`` now."""
        found = self._tests_in.get(path)
        if found is None:
            if len(self._tests_in) >= TEST_FILES_KEPT:
                self._tests_in.clear()  # (a first dream asks once or twice per test file)
            found = self._tests_in[path] = frozenset(_tests_among(store, store.facts.kinds_in(path)))
        return found

    def again(self, gone) -> set[str]:
        """The settled tests that exercise a symbol in ``gone``: no longer settled."""
        return self._settled.unsettle(gone) if gone else set()

    def unsettled(self, tests) -> list[str]:
        """Those of ``tests`` this dream has not settled yet, sorted."""
        return self._settled.unsettled(tests)

    def done(self, tests: list[str], wanted: dict) -> None:
        self._settled.add((test, wanted[test]) for test in tests)
        self.resolver.trim(RESOLVER_ANSWERS, RESOLVER_READS)
        if len(self.looked_up) > LOOKED_UP:
            self.looked_up.clear()  # looking a change up again only finds settled tests


RESOLVER_ANSWERS = 30_000  # with the files they read, ~30 MB
# Items in the resolver's records of what its answers read (~15 MB). A module searched for
# under any source root became one item instead of four: at 500,000 the resolver then kept a
# third more answers and files between trims, and a large tree's dream 10 - 15 MB more.
RESOLVER_READS = 350_000
LOOKED_UP = 50_000
# Test files whose tests are kept (a test file asked again is read again: one query). Kept all
# dream long, the tests of every test file were 24 MB of a first dream on twice the large tree.
TEST_FILES_KEPT = 2048


def exercised(store: Store, versions, resolver: Resolver, changes: bool = True) -> tuple:
    """The tests the batch's ``versions`` touched, what each calls now, and what else the
    batch changed that resolving tests' calls may have read: (tests, {test: {symbol:
    observation}}, {test file: what resolving its tests' calls read}, changes, symbols that
    vanished). ``changes``: whether to list the changes (None in their place if not: no
    dream before recorded a dependency to look them up in). Reads only what scans write,
    so a helper process may compute it."""
    subjects = {row[1] for version in versions if _may_hold_tests(version.path) for row in version.rows}
    tests = _tests_among(store, subjects)
    wanted, reads = _by_file(store, resolver, tests)
    # (not listed for a first dream: on the large tree, 37 MB its helper pickled for nothing)
    return tests, wanted, reads, _changed(versions) if changes else None, _gone(versions)


def derive(
    store: Store,
    versions,
    counts: Counts,
    derivations: Derivations,
    found: tuple | None = None,
) -> None:
    """Re-derive ``tested_by`` for every test the batch's ``versions`` touched, and for the
    tests of every test file whose calls may now mean something else: resolving them read a
    file whose symbols or imports the batch changed, looked for a module where a file
    appeared or went, or read the bases of a class whose signature changed (``dependencies``,
    by test file, see ``Resolver.depends``). ``found``: what :func:`exercised` returns, when
    it was computed elsewhere."""
    resolver = derivations.resolver
    earlier = derivations.earlier
    tests, wanted, reads, changed, gone = found if found is not None else exercised(store, versions, resolver, earlier)
    redo = derivations.again(gone)
    if earlier and changed is None:  # found by a helper whose snapshot had no dependency yet
        for version in versions:
            rows_of(store.facts, version)
        changed = _changed(versions)
    changed = changed - derivations.looked_up if earlier else set()
    derivations.looked_up.update(changed)
    others: set[str] = set()
    for path in store.facts.dependents(PREDICATE, changed, derivations.dream) if changed else ():
        others.update(derivations.tests_in(store, path))
    todo = sorted({*derivations.unsettled({*tests, *others}), *redo})
    # Settled a few test files at a time: what resolving their calls read, their facts and
    # their dependency rows are held for one group, not for every test a large change
    # reaches (a 500-file change on the large tree reached 966 test files: 274 MB at once).
    for group in _by_test_file(todo, SETTLE_FILES):
        more, more_reads = _by_file(store, resolver, [test for test in group if test not in wanted])
        exercising = {**{test: wanted[test] for test in group if test in wanted}, **more}
        group_reads = {path: reads[path] for path in {path_of(test) for test in group} if path in reads}
        _settle(store, group, exercising, {**group_reads, **more_reads}, versions[-1].observed_at, counts, derivations)


SETTLE_FILES = 32  # test files settled together


def _by_test_file(tests: list[str], files: int) -> Iterator[list[str]]:
    """Sorted ``tests`` in runs of at most ``files`` test files (a file's tests together:
    the keys of one file are one run of a sorted list).

    >>> list(_by_test_file(["py:a.py:t1", "py:a.py:t2", "py:b.py:t", "py:c.py:t"], 2))
    [['py:a.py:t1', 'py:a.py:t2', 'py:b.py:t'], ['py:c.py:t']]
    """
    runs = [list(run) for _, run in groupby(tests, key=path_of)]
    for start in range(0, len(runs), files):
        yield [test for run in runs[start : start + files] for test in run]


def rederive_all(store: Store, counts: Counts, derivations: Derivations, when: str, chunk: int = 2000) -> Iterator[int]:
    """Derive every current test once (a memory from before dependencies were recorded), in
    chunks of ``chunk`` tests: yields after each, so that the caller can commit (deriving
    again is harmless, so a dream killed half-way starts over next time)."""
    tests = sorted({*_tests_among(store, store.facts.symbol_keys()), *store.facts.tests_with_tested_by()})
    for start in range(0, len(tests), chunk):
        group = tests[start : start + chunk]
        wanted, reads = _by_file(store, derivations.resolver, group)
        _settle(store, group, wanted, reads, when, counts, derivations)
        yield len(group)


def _settle(
    store: Store, tests: list[str], wanted: dict, reads: dict, when: str, counts: Counts, derivations: Derivations
) -> None:
    """Make the tested_by facts naming ``tests`` what ``wanted`` says, and record what the
    derivation of their test files' tests depends on (``reads``, by test file)."""
    store_facts = store.facts
    ran = store_facts.last_runs(tests)
    existing: dict[tuple[str, str], tuple[int, str, str | None]] = {}
    for fact_id, subject, test, status, verdict in store_facts.tested_by(tests):
        existing[(subject, test)] = (fact_id, status, verdict)
    next_id = store_facts.next_id()
    facts, evidence = [], []
    again: list[tuple[int, str, str | None, int, int | None]] = []  # live facts seen again
    for test in tests:
        for subject, oid in sorted(wanted[test].items()):
            known = existing.get((subject, test))
            if known is not None and (known[1] in ("tentative", "firm") or known[2] == "rejected"):
                if known[1] in ("tentative", "firm"):  # (rejected by the user: the same evidence never brings it back)
                    again.append((known[0], known[1], known[2], oid, ran.get(test)))
                continue
            sources = {"tests", "terminal"} if test in ran else {"tests"}
            confidence, status = _judge(sources)
            facts.append((next_id, subject, test, status, confidence, len(sources), when, oid))
            # (its first evidence, the test's call ``oid``, is the fact's own first observation:
            # no row; see migrations.EVIDENCE_VIEW)
            if test in ran:
                evidence.append((next_id, ran[test], "terminal", ""))
            counts.created += 1
            counts.promoted += status == "firm"
            next_id += 1
    store_facts.add_tested_by(facts, evidence)
    _judge_again(store_facts, again, counts)
    gone = [
        fact_id
        for (subject, test), (fact_id, status, _) in existing.items()
        if subject not in wanted[test] and status in ("tentative", "firm")
    ]
    store_facts.retract_derived(gone, when)
    counts.retracted += len(gone)
    # One row per test file and change, not per test: a test file's tests read much the same.
    # What a file's tests depended on is replaced only when all of them were derived here;
    # otherwise it is added to: the others still depend on what they read (a dream finds
    # them through it, and a change it no longer covers only derives them once more).
    files = sorted({path_of(test) for test in tests})
    settling = set(tests)
    whole = [path for path in files if settling.issuperset(derivations.tests_in(store, path))]
    store_facts.set_dependencies(
        PREDICATE, whole, [(change, path) for path in files for change in sorted(reads[path])], derivations.dream
    )
    derivations.done(tests, wanted)


def _changed(versions) -> set[str]:
    """What a batch's looks at the code changed that resolving a test's calls may have read
    (see ``Resolver.depends``): ``file:P`` for a file whose symbols, imports, attributes,
    locals held or fixtures' values changed,
    ``tail:T`` for every ending of the module path of a file that appeared or went,
    ``bases:K`` for a symbol whose signature or decorators changed."""
    changed: set[str] = set()
    for version in versions:
        if version.source in NOT_LOOKS:
            continue
        path = version.path
        for _, subject, predicate, obj, _, _ in version.rows:
            if predicate == "kind":
                changed.add("file:" + path)
                if obj == "module":  # the file itself appeared or went
                    changed.update("tail:" + ending for ending in module_endings(path))
            elif predicate in ("imports", "attribute", "local", "gives"):  # (what names hold: the file's)
                changed.add("file:" + path)
            elif predicate in ("signature", "decorated_by"):  # (a property's type is read with both)
                changed.add("bases:" + subject)
    return changed


def _gone(versions) -> set[str]:
    """The symbols a batch's looks at the code say vanished."""
    return {
        row[1]
        for version in versions
        if version.source not in NOT_LOOKS
        for row in version.rows
        if row[4] and row[2] == "kind"
    }


def _may_hold_tests(path: str) -> bool:
    """A test file, or a language whose tests are marked rather than named (Rust, Java)."""
    return bool(TEST_FILE.search(path)) or path.endswith((".rs", ".java"))


def _tests_among(store: Store, subjects) -> list[str]:
    """The tests among symbol keys, sorted (a test file's module is not a test)."""
    maybe = sorted(subject for subject in subjects if subject.count(":") >= 2 and _maybe_test(subject))
    return [key for key in maybe if is_test(key, _decorators(store, key))]


def _maybe_test(subject: str) -> bool:
    """Cheap first look, before asking the store for decorators."""
    name = name_of(subject)
    return bool(TEST_NAME.match(name)) or subject.startswith(("rust:", "java:"))


def _decorators(store: Store, subject: str) -> list[str]:
    if not subject.startswith(("rust:", "java:")):
        return []
    return store.facts.current_objects(path_of(subject), subject, "decorated_by")


def _by_file(store: Store, resolver: Resolver, tests: list[str]) -> tuple[dict, dict[str, set[str]]]:
    """What ``tests`` exercise, and what resolving the calls of every current test of their
    files read, by file (what the files' ``dependencies`` are)."""
    wanted: dict[str, dict[str, int]] = {}
    reads: dict[str, set[str]] = {}
    by_path: dict[str, list[str]] = {}
    for test in tests:
        by_path.setdefault(path_of(test), []).append(test)
    for path, group in by_path.items():
        kinds = store.facts.kinds_in(path)
        every = sorted({*group, *_tests_among(store, kinds)})
        found, reads[path] = _exercised(store, resolver, every, kinds)
        wanted.update((test, found[test]) for test in group)
        resolver.trim(RESOLVER_ANSWERS, RESOLVER_READS)
    return wanted, reads


def _exercised(store: Store, resolver: Resolver, tests: list[str], kinds: dict[str, str]) -> tuple[dict, set[str]]:
    """({test: {symbol key: the observation of the call}}, what resolving their calls read)
    for what each test of one file (``kinds``: its symbols' kinds, by key) calls now, itself
    or through what a test function defines in its body (a helper, a class and its methods:
    a test defines them to use them)."""
    out: dict[str, dict[str, int]] = {test: {} for test in tests}
    read: set[str] = set()
    if not tests:
        return out, read
    path = path_of(tests[0])
    owner = {test: test for test in tests}  # the test a symbol's calls are the calls of
    owner.update(_defined_in_tests(tests, kinds))
    for subject, callee, oid in store.facts.current_calls(path, list(owner)):
        if callee.startswith(_OWN):
            continue  # the test's own helpers and assertions (self.assertEqual), not the code under test
        test = owner[subject]
        scope = sys.intern(qualname_of(subject))  # (a parameter's annotation, a local name: its own)
        target, depends = resolver.answered(path, callee, scope)
        read |= depends
        if isinstance(target, Found) and _under_test(target.key, test):
            out[test].setdefault(target.key, oid)
    return out, read


def _defined_in_tests(tests: list[str], kinds: dict[str, str]) -> dict[str, str]:
    """The symbols a test function (not a test class: its other methods are no test's)
    defines in its body, at any depth, each with that test.

    >>> kinds = {"py:t.py:test_a": "function", "py:t.py:test_a.helper": "function",
    ...          "py:t.py:test_a.C.m": "method", "py:t.py:TestB": "class", "py:t.py:TestB.setUp": "method"}
    >>> _defined_in_tests(["py:t.py:TestB", "py:t.py:test_a"], kinds)
    {'py:t.py:test_a.helper': 'py:t.py:test_a', 'py:t.py:test_a.C.m': 'py:t.py:test_a'}
    """
    functions = {test for test in tests if kinds.get(test) in ("function", "method")}
    found: dict[str, str] = {}
    if not functions:
        return found
    for key in kinds:
        if key in functions:
            continue
        outer = key
        while True:
            head, dot, _ = outer.rpartition(".")
            if not dot or head.count(":") < 2:
                break
            outer = head
            if outer in functions:
                found[key] = outer
                break
    return found


def _under_test(key: str, test: str) -> bool:
    """Whether a symbol a test calls is code under test: not the test itself, another test,
    or what the test defines in its own body (``class C`` made for the test, a helper)."""
    return key != test and not key.startswith(test + ".") and not is_test(key)


def _judge(sources: set[str]) -> tuple[float, str]:
    confidence = noisy_or(sources)
    return confidence, "firm" if confidence >= FIRM_AT and len(sources) >= FIRM_SOURCES else "tentative"


def _judge_again(facts: Facts, again: list[tuple[int, str, str | None, int, int | None]], counts: Counts) -> None:
    """Live facts seen again, ``(fact id, status, verdict, observation of the call, last run
    or None)``: their evidence may have grown (the test has now run). Read and written in
    bulk, and written only where the judgement changed: a change to a much-imported file
    settles tens of thousands of facts again, nearly all as they were."""
    if not again:
        return
    facts.support_all(
        [(fact_id, oid, "tests") for fact_id, _, _, oid, _ in again]
        + [(fact_id, ran, "terminal") for fact_id, _, _, _, ran in again if ran]
    )
    judged = facts.judgements([fact_id for fact_id, *_ in again])
    changed = []
    for fact_id, status, verdict, _, _ in again:
        sources, active, confidence_bp, count = judged[fact_id]
        confidence, new_status = (1.0, "firm") if verdict == "confirmed" else _judge(sources)
        if (new_status, basis_points(confidence), active) != (status, confidence_bp, count):
            changed.append((fact_id, new_status, confidence, active))
        if new_status != status:
            if new_status == "firm":
                counts.promoted += 1
            else:
                counts.demoted += 1
    facts.judge_all(changed)
