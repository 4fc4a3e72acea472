"""Which symbol a name in a file refers to, through its imports, across files.

Read-only over the store: a file's imports are its current ``imports``
observations, modules are found among the files the memory knows.

* Python: ``from m import a [as b]``, ``import m [as x]`` then ``x.a``,
  relative imports (``from ..m import a``), packages (``m/__init__.py``),
  re-exports (``from .impl import a`` or ``*`` in the module imported from).
* JavaScript / TypeScript: ``import {a [as b]} from "./m"``,
  ``import * as m from "./m"`` then ``m.a``, ``export {a} from``,
  ``export * from``, index files and the ``.js`` → ``.ts`` convention.
* Receivers whose class the code declares (given the calling symbol as
  ``scope``): ``super().m``, a parameter annotated with a class (``ls.show`` in
  ``def f(ls: Server)``), an instance attribute (its ``attribute`` observations:
  ``self.protocol.send``), a property's declared type, what a call returns
  (``Index().add``, ``client.cache().get`` with ``cache() -> Cache``), a
  function's own name that an annotation or a call gives a class (its ``local``
  observations: ``index = Index()`` then ``index.add``, ``with Client() as c``; a
  module's own names for its own statements), a test's parameter that
  a pytest fixture of the same name gives a value to (its ``gives`` observation or
  its declared type: ``runner.invoke`` in ``def test_x(runner)`` with ``return
  CliRunner()`` in ``conftest.py``).
* A name a function defines in its own body, or one it is nested in (given the
  calling symbol as ``scope``): a test's own ``class C`` then ``C(42)``, a
  closure's helper; it hides the module's name of the same spelling.

A name that once meant a symbol which no longer exists resolves to
:class:`Gone`, with where it went if the dream linked it (rename or move):
the knowledge layer passes ``successor`` for that, so that this module needs
nothing above the store and the dream itself can resolve names.

>>> resolver = Resolver(store)                        # doctest: +SKIP
>>> resolver.lookup("src/app.py", "util.parse")       # doctest: +SKIP
Found(key='python:src/util.py:parse')
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
import json
import posixpath
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from kairos_lsp.keys import PYTHON_MODULE_FILES, module_path, path_of, qualname_of, symbol_key
from kairos_lsp.languages import language_named, platform_lacks
from kairos_lsp.languages.golang import PREDECLARED, infer_modules, package_folder, package_name
from kairos_lsp.languages.javatypes import FEW_METHODS, OBJECT_METHODS, SOURCE_ROOT
from kairos_lsp.languages.rustpaths import PRELUDE, ROOT_FILES, module_files, module_parts
from kairos_lsp.sites import class_named
from kairos_lsp.store import Store
from kairos_lsp.store.migrations import PREDICATE_ID

T = TypeVar("T")
_MAX_DEPTH = 6  # re-export chains longer than this are not followed
_ES_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_SELF = ("self", "cls", "this")
_UNSAID = (False, "")  # what an attribute holds when the code does not say (see Resolver._attributes)
_SUPER = ("super()", "super")  # Python's ``super().m``, JavaScript's ``super.m``
_SCOPED = (*_SELF, "super")  # texts whose meaning depends on where they are written
_FUNCTIONS = ("function", "method", "constructor")
# What a definition inside may be local to: a function, and (JavaScript, TypeScript) a module
# constant, whose value's own functions are named with it (`const h = wrap(() => { const run =
# ...; run(1) })` calls its own `h.run`), as the checks take it.
_ENCLOSING = (*_FUNCTIONS, "constant")
_CLASSES = ("class", "interface")
_JAVA_TYPES = (*_CLASSES, "enum")  # what a Java type's name may name

_PROPERTIES = ("property", "cached_property", "functools.cached_property")
_FIXTURE = re.compile(r"(pytest\.)?fixture\b")  # a decorator that makes a function a pytest fixture
# What a generator is declared to yield: ``Iterator[Server]``, ``typing.Generator[Client, None, None]``.
_YIELDS = re.compile(r"(?:[\w.]+\.)?(?:Async)?(?:Iterator|Iterable|Generator)\[\s*([\w.]+)\s*(?:,.*)?\]")
_MODIFIERS = ("public ", "private ", "protected ", "readonly ", "override ")  # TypeScript parameter properties
_DEFAULT = re.compile(r"=(?!>)")  # a default value's ``=``, not an arrow type's ``=>``
_DEFAULT_EXPORTS = ("default", "exports")  # what a default import or ``require`` gets, ES then CommonJS
# What a resolver of a changing store keeps across changes, at most (like the dream's, ~50 MB).
ANSWERS_KEPT = 30_000
# Files the imports of one file lead to that :meth:`Resolver.reaches` follows before it says
# "maybe" (a barrel of barrels in a large monorepo: every file is read, a batch per step).
REACH_FILES = 5_000
# A declaration kept (a function's signature, read for its parameters' annotations) weighs
# about a quarter of an answer with what it read: trim counts four as one answer.
_DECLARATIONS_PER_ANSWER = 4
READS_KEPT = 500_000
_NOTHING_FOLLOWED: frozenset[tuple[str, str]] = frozenset()
_GETATTR = "__getattr__"  # what answers for the names a Python module or class does not define
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")
_TYPE_ARGUMENTS = re.compile(r"\s*(\[.*\]|<.*>)$")  # ``Base[T]``, ``Base<T>``
_TYPING_FORMS = frozenset(("Generic", "Protocol"))  # given type arguments: typing's
# What a call's result is looked up from: a dotted name (``super()``, a call's result, ``#x``) or ``new`` one.
# A callee: `(new )?[\w$#]+(\(\))?(\.[\w$#]+|\(.*\)\.[\w$#]+)*`, read by _is_callee (that
# expression backtracks without end on a long chain: kysely's tests' query builders)
_CALLEE_HEAD = re.compile(r"(new )?[\w$#]+")
_MEMBERS = re.compile(r"(\.[\w$#]+)*")
_SOME_MEMBERS = re.compile(r"(\.[\w$#]+)+")


@dataclass(frozen=True, slots=True)
class Found:
    key: str


@dataclass(frozen=True, slots=True)
class Gone:
    """The name meant ``key``, which no longer exists; ``successor`` is where it went."""

    key: str
    successor: str | None = None
    via: str | None = None  # renamed_to | moved_to


@dataclass(frozen=True, slots=True)
class Binding:
    """A name a file's imports bring in: ``module`` and the ``name`` in it.

    ``name`` None: the module itself (``import m as x``, ``import * as x``).
    """

    local: str
    module: str
    name: str | None


@dataclass(frozen=True, slots=True)
class Kept:
    """The name meant ``key``, which its Python module no longer defines: the module's
    ``__getattr__`` answers for it with a deprecation warning, ``message`` (PEP 562)."""

    key: str
    message: str


Target = Found | Gone | Kept | None


@dataclass(slots=True)
class _Announced:
    """What a file's code says is deprecated (see :meth:`Resolver._announced`)."""

    deprecated: dict[str, str]  # qualified name -> message
    kept: dict[str, str]  # a name its module's `__getattr__` keeps -> message
    parameters: dict[str, dict[str, str]]  # qualified name -> parameter -> message


@dataclass(slots=True)
class _FileInfo:
    """What resolution needs of one file: its language, imports and definitions.

    Its imports are parsed for the names asked (:meth:`binding`), not all at once: a test file
    of sympy imports 1,283 names, 10 ms to parse, and a hover asks for one or two of them.
    Once :data:`_ASKED_BEFORE_ALL` names were asked, all of them are parsed in one go: a
    dream asks sympy's ``__init__`` for hundreds of names, each a search of its imports.
    """

    language: str
    style: str | None  # how its language imports modules (LanguageSpec.modules)
    imports: list[str]  # its current ``imports`` observations (JSON), in the order they were made
    stars: list[Binding]
    kinds: dict[str, str]  # qualified name -> kind, for every symbol defined in it
    asked: dict[str, tuple[Binding | None, bool]] = field(default_factory=dict)  # binding(), so far
    every: dict[str, Binding] | None = None  # named(), once asked
    all_bound: bool = False  # every name its imports bind is in ``asked``
    stars_read: bool = False  # the modules it star-imports were read (Resolver._read_stars)
    nested: frozenset[str] | None = None  # inner_names(), once asked
    # what `from it import *` brings, by its `__all__` (Python); None: its public names
    exports: frozenset[str] | None = None
    binds: set[str] | None = None  # what its own blocks assign (Python: ``if TYPE_CHECKING: ... else: ALL = ...``)

    def inner_names(self) -> frozenset[str]:
        """The names that a function of the file (or a JavaScript or TypeScript module constant,
        in its value) defines in its own body (a nested ``def`` or ``class``): only these can
        mean something else inside a function than at the top."""
        if self.nested is None:
            names = set()
            for qualname, kind in self.kinds.items():
                outer, _, name = qualname.rpartition(".")
                # (a method of an object the function builds binds no name in it: JavaScript's
                # `{ detectMutations() { return detectMutations(...) } }` calls the module's)
                if self.kinds.get(outer) in _ENCLOSING and kind != "method":
                    names.add(name)
            self.nested = frozenset(names)
        return self.nested

    def binding(self, local: str) -> tuple[Binding | None, bool]:
        """What the imports bind ``local`` to (the first import of it), and whether it is
        ambiguous: imported from different places in different scopes (``as f`` in two
        functions: which one is meant depends on where)."""
        if local not in self.asked and (self.all_bound or len(self.asked) >= _ASKED_BEFORE_ALL):
            self._bind_all()
            return self.asked.get(local, _UNBOUND)
        if local not in self.asked:
            # an import binding ``local`` names it in its JSON (ASCII, as the extraction writes it)
            texts = self.imports if not local.isascii() else [text for text in self.imports if local in text]
            first, ambiguous = None, False
            for binding in _bindings(texts, self.style):
                if binding.local == local:
                    if first is None:
                        first = binding
                    elif binding != first:
                        ambiguous = True
            self.asked[local] = (first, ambiguous)
        return self.asked[local]

    def _bind_all(self) -> None:
        """:meth:`binding` of every name its imports bind, as asking for each would find it."""
        if self.all_bound:
            return
        self.all_bound = True
        asked: dict[str, tuple[Binding | None, bool]] = {}
        for binding in _bindings(self.imports, self.style):
            first, ambiguous = asked.get(binding.local, (None, False))
            if first is None:
                asked[binding.local] = (binding, False)
            elif binding != first and not ambiguous:
                asked[binding.local] = (first, True)
        self.asked.update(asked)
        if self.every is None:
            self.every = {local: first for local, (first, _) in asked.items() if first is not None}

    def named(self) -> dict[str, Binding]:
        """Every name its imports bind (the first binding of each)."""
        if self.every is None:
            self.every = {}
            for binding in _bindings(self.imports, self.style):
                self.every.setdefault(binding.local, binding)
        return self.every


@dataclass(frozen=True, slots=True)
class _StarClosure:
    """What following star imports into a module from one depth reaches, whatever the name
    looked for: every module it follows (in the order it does), the names any of them could
    answer for (defines, or imports under that name), the packages among them (whose
    submodules may be the name) and what the chase reads of the store."""

    followed: tuple[str, ...]
    names: frozenset[str]
    packages: tuple[str, ...]
    read: frozenset[str]


_ASKED_BEFORE_ALL = 16  # names asked of one file before all its imports are parsed at once
_READ_TOGETHER = 200  # files read in one set of queries (SQLite's variables: 250,000 since 3.32)
_UNBOUND: tuple[Binding | None, bool] = (None, False)


def _bindings(texts: list[str], style: str | None) -> Iterator[Binding]:
    """The bindings of ``imports`` observations, star imports left out."""
    for text in texts:
        try:
            binding = _binding(json.loads(text), style)
        except ValueError:
            continue
        if binding is not None:
            yield binding


class OutOfTime(Exception):
    """A lookup given a ``deadline`` (see :meth:`Resolver.lookup`) passed it before it was
    done. What it read stays cached: the same lookup asked again goes on from there."""


class Resolver:
    """Name → symbol for one store.

    What it reads of each file is cached until the store changes (another
    connection's commit, or one of this connection's own), so a hover that
    resolves hundreds of call sites for "who calls this" costs a few queries.
    """

    def __init__(
        self,
        store: Store,
        successor: Callable[[Store, str], tuple[str, str] | None] | None = None,
        history: bool = True,
        still: bool = False,
    ):
        """``history``: tell :class:`Gone` names apart (one query per unknown name);
        ``still``: the store does not change while this resolver is used (no re-checks)."""
        self.store = store
        self.successor = successor
        self.history = history
        self.still = still
        self._files: dict[str, tuple[_FileInfo | None, str]] = {}
        self._in_star = 0  # star imports being followed (Gone is not looked for under them)
        self._modules: dict[tuple[str, str, str], str | None] = {}  # by file and by folder
        self._declarations: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}  # by file: see _declared
        self._held_attributes: dict[str, dict[str, dict[str, set[tuple[bool, str]]]]] = {}  # see _attributes
        self._held_locals: dict[str, dict[str, dict[str, tuple[bool, str] | None]]] = {}  # see _locals_held
        self._held_names: dict[str, set[str]] = {}  # by file: every name in _held_locals (a quick no)
        self._given: dict[str, dict[str, str]] = {}  # see _gifts
        self._deprecations: dict[str, _Announced] = {}  # by file: see _announced
        self._names_of: dict[str, frozenset[str]] = {}  # see deprecated_names, gone_names
        self._holding: set[tuple] = set()  # locals being followed (see _local)
        self._annotations: dict[str, dict[str, str]] = {}  # see _parameters
        self._declared_kept = 0  # entries in _declarations (a dream asks every test's: see trim)
        self._answers: dict[tuple, Target] = {}
        # A module's name as a lookup first enters it through an import, before anything
        # else was followed: the same for every file importing it (a star re-export chase
        # through a big package's ``__init__`` is done once, not once per test file).
        self._entries: dict[tuple, Target] = {}
        self._entry_read: dict[tuple, frozenset[str]] = {}
        self._entry_visited: dict[tuple, frozenset[tuple[str, str]]] = {}
        self._closures: dict[tuple[str, int], _StarClosure] = {}  # by module and depth (see _star_closure)
        self._reached: dict[str, frozenset[str] | None] = {}  # by file: see reaches (None: too many)
        self._visited: set[tuple[str, str]] = set()  # (file, name) followed in the current lookup
        # What each answer read (see depends): the lookups under way record into the last set.
        self._reading: list[set[str]] = []
        self._read: dict[tuple, frozenset[str]] = {}
        self._module_read: dict[tuple[str, str, str], frozenset[str]] = {}
        self._frozen: dict[frozenset[str], frozenset[str]] = {}
        self._users: dict[frozenset[str], list[tuple]] = {}  # the memos each read set is shared by
        self._holders: dict[str, list[frozenset[str]]] = {}  # the read sets holding each name
        self._gone_answers: set[tuple] = set()  # (kind, memo) of answers that are Gone (a dream may link them)
        # Python files by module name (``m`` for ``a/m.py`` and ``a/m/__init__.py``): where
        # :meth:`_python_anywhere` looks, read once, instead of a ``LIKE '%/...'`` over every file.
        self._by_module_name: dict[str, list[str]] | None = None  # None: not checked since the store changed
        self._module_paths: list[str] = []  # the files it was built from
        self._known_paths: frozenset[str] = frozenset()  # the same, to tell a file the memory does not know
        self._module_index: dict[str, list[str]] = {}
        self._go_by_folder: dict[str, list[str]] | None = None  # see _go_packages
        self._go_module_paths: dict[str, str] | None = None  # see _go_modules
        self._java_roots: tuple[str, ...] | None = None  # see _java_source_roots
        self._weight = 0  # items in the distinct sets of _frozen (what they hold in memory)
        self._generation: tuple[int, int] | None = None
        self._looks: tuple[int, str] | None = None  # the last look (versions.id) and forget seen
        self._deadline: float | None = None  # of the lookup under way (perf_counter), if it has one
        self._reads_made = 0  # reads of the store by the lookup under way (see _reading_store)
        self._held = 0  # held(): the store is checked for changes at its start, not at each lookup

    # -- public ---------------------------------------------------------------

    @property
    def generation(self) -> tuple[int, int] | None:
        """Changes whenever the store does: what a caller caches beside this resolver's own
        caches stays valid while it is the same."""
        self._sync()
        return self._generation

    def unchanged_by(self, write: Callable[[], T]) -> T:
        """``write()`` on this resolver's connection, keeping what is cached: for a write of
        what no answer reads (which symbols the user hovered). A commit of another connection
        before or during it still makes the next lookup forget, as any change does (SQLite's
        ``data_version`` counts only other connections' commits)."""
        self._sync()
        before = self._generation
        result = write()
        data_version = self.store.db.execute("PRAGMA data_version").fetchone()[0]
        if before is not None and data_version == before[0]:
            self._generation = (data_version, self.store.db.conn.total_changes)
        return result

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Lookups within see the store as it was at the start: one check for changes, not one
        per lookup (a file's checks resolve thousands of calls, a ``PRAGMA`` each). What they
        answer is kept as any answer is, and forgotten when a later lookup sees a change.

        ::

            with resolver.held():
                targets = [resolver.lookup(path, callee) for callee in callees]
        """
        self._sync()
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def lookup(self, path: str, text: str, scope: str | None = None, deadline: float | None = None) -> Target:
        """What ``text`` (``f``, ``mod.f``, ``self.f``, ``Cls.f``) means in file ``path``.

        ``scope`` is the qualified name of the enclosing symbol (for ``self``/``this``,
        ``super()``, and a parameter whose annotation names a class: ``ls.show`` in
        ``def f(ls: Server)``).
        ``deadline`` (a ``time.perf_counter()`` value): raise :class:`OutOfTime` rather than
        read the store once it has passed, after one read at least, so that a lookup asked
        again until it answers always gets further (a hover's search for callers: one call
        site may chase star imports through a hundred modules).
        """
        return self._looked_up(path, text, scope, deadline)[0]

    def _looked_up(
        self, path: str, text: str, scope: str | None, deadline: float | None = None
    ) -> tuple[Target, list[tuple]]:
        """:meth:`lookup`'s answer, and the memos of the answers it went through (the last its own)."""
        self._sync()
        text = _plain(text)
        memos: list[tuple] = [_memo(path, text, scope)]
        answer = self._answer(memos[0], deadline, lambda: self._lookup(path, text, scope))
        # (asked after the module's answer, which read the file within the deadline)
        inner = self._inner(path, text, scope) if scope else None
        if inner is not None:  # the function's own definition hides the module's name and imports
            memos = [(path, text, inner, "inner")]
            qualname = inner + "." + text
            return self._answer(memos[0], deadline, lambda: self._symbol(path, qualname, 0)), memos
        if answer is None and "." in text:
            # (the same name in another function may be another local or parameter: the answer
            # is the scope's, or that of the scope holding the name; what made it is read
            # again inside the answer, so that what the answer read is recorded with it. A
            # function's own name shadows an enclosing function's parameter. No scope: the
            # module's own statements, and its own names.)
            holder = self._holder(path, text, scope or "")
            if holder is not None:  # (kept under the scope holding the name: its functions share it)
                memos.append((path, text, holder[0], "local"))
                answer = self._answer(memos[-1], deadline, lambda: self._local(path, text, holder))
            elif scope:
                owner, written = self._parameter_owner(path, text, scope)
                if written:
                    memos.append((path, text, scope))
                    answer = self._answer(memos[-1], deadline, lambda: self._typed(path, text, scope))
                elif owner is not None and self._injected(path, owner):
                    memos.append((path, text, owner, "fixture"))
                    answer = self._answer(memos[-1], deadline, lambda: self._fixture_given(path, text, owner))
        called = _called(text) if answer is None and ")." in text else None
        if called is not None:  # a member of what a call returns
            memos.append((path, text, scope, "()"))
            answer = self._answer(memos[-1], deadline, lambda: self._returned(path, called, scope))
        return answer, memos

    def _answer(self, memo: tuple, deadline: float | None, find: Callable[[], Target]) -> Target:
        """``find()``, kept under ``memo`` with what it read."""
        if memo in self._answers:
            if self._reading:
                self._reading[-1].update(self._read[memo])
            return self._answers[memo]
        outer, self._visited = self._visited, set()
        outer_star, self._in_star = self._in_star, 0
        outer_deadline, outer_reads = self._deadline, self._reads_made
        if deadline is not None:  # (a lookup within this one keeps this one's)
            self._deadline, self._reads_made = deadline, 0
        read: set[str] = set()
        self._reading.append(read)
        try:
            answer = self._answers[memo] = find()
        finally:
            self._visited, self._in_star = outer, outer_star
            if deadline is not None:
                self._deadline, self._reads_made = outer_deadline, outer_reads
            self._reading.pop()
        self._read[memo] = self._shared(read, ("answer", memo))
        if isinstance(answer, Gone) and not self.still:
            self._gone_answers.add(("answer", memo))
        if self._reading:
            self._reading[-1].update(read)
        return answer

    def _lookup(self, path: str, text: str, scope: str | None) -> Target:
        info = self._file(path)
        if info is None or not text:
            return None
        parts = text.split(".")
        if info.style == "go":
            return self._go_lookup(path, info, parts)
        if info.style == "rust":
            return self._rust_lookup(path, info, parts, scope)
        if info.style == "java":
            return self._java_lookup(path, info, parts, scope)
        if parts[0] in _SELF and len(parts) > 1 and scope:
            owner = _owner_class(info, scope)
            if owner is None:
                return None
            if len(parts) == 2:
                return self._symbol(path, f"{owner}.{parts[1]}", 0)
            return self._members(path, owner, parts[1:])
        if parts[0] in _SUPER and len(parts) == 2 and scope:  # the method the class overrides
            owner = _owner_class(info, scope)
            return self._inherited(path, owner, parts[1], 0) if owner else None
        binding, ambiguous = self._binding(path, info, parts[0])
        if ambiguous:
            return None
        if parts[0] in info.kinds:  # a definition in the file itself (f, or Cls.f)
            return self._symbol(path, ".".join(parts), 0)
        if binding is not None:
            return self._through(path, binding, parts[1:], 0)
        if info.stars:  # a name the file's own ``from m import *`` brings (``from ctypes import *``)
            self._visited.add((path, text))
            found = self._from_stars(path, info, text, 0)
            if found is not None:
                return found
        if len(parts) == 1 and not _global(info.style, parts[0]) and not (info.binds and parts[0] in info.binds):
            return self._gone(symbol_key(info.language, path, parts[0]))  # a name this file once defined
        return None

    def bindings(self, path: str) -> dict[str, Binding]:
        """The names a file imports, by local name."""
        self._sync()
        info = self._file(path)
        return info.named() if info else {}

    def reaches(self, path: str, target: str) -> bool:
        """Whether ``target`` is ``path`` or a file its imports lead to, through the imports of
        the files they name in turn (barrels' star re-exports too): where a type checker finds
        the declarations it reads the file's values' types from. True also when the imports
        lead to more than :data:`REACH_FILES` files (then it cannot say no cheaply)."""
        self._sync()
        if path not in self._reached:
            self._reached[path] = self._imports_closure(path)
        reached = self._reached[path]
        return reached is None or target in reached

    def _imports_closure(self, path: str) -> frozenset[str] | None:
        """Every file ``path``'s imports lead to, step by step, each step's files read in one
        batch; None past :data:`REACH_FILES`."""
        seen, step = {path}, [path]
        while step:
            unread = sorted(here for here in step if here not in self._files)
            for here, read in self._read_files(unread).items():
                self._files[here] = (read, _dependency(here, read is not None))
            following = []
            for here in step:
                info = self._files[here][0]
                if info is None:
                    continue
                for binding in (*info.named().values(), *info.stars):
                    found = self.module_file(info.language, here, binding.module)
                    if found is not None and found not in seen:
                        seen.add(found)
                        following.append(found)
            if len(seen) > REACH_FILES:
                return None
            step = following
        return frozenset(seen)

    def overridden(self, key: str) -> bool:
        """Whether a class the memory holds that has the method ``key``'s class among its bases
        defines a method of its name: a call through the base's type may reach that one
        (scrapy's `BaseDupeFilter.log`, deprecated for subclasses that do not override it;
        `RFPDupeFilter.log`, the one its scheduler reaches, is not)."""
        return bool(self.overrides(key))

    def overrides(self, key: str) -> list[str]:
        """The methods overriding the method ``key``: of its name, in the classes the memory
        holds that have its class among their bases, at any depth (sanic's `Sanic`, two classes
        below `RouteMixin`, defines the `_apply_route` that runs)."""
        self._sync()
        owner, _, name = qualname_of(key).rpartition(".")
        if not owner:
            return []
        base = key.rpartition(".")[0]
        if self._kind(base) not in _CLASSES:
            return []
        found = []
        for row in self.store.symbols_named(name):
            cls = row["qualname"].rpartition(".")[0]
            if row["key"] == key or not cls or row["kind"] not in _FUNCTIONS:
                continue
            if self._kind(row["key"].rpartition(".")[0]) not in _CLASSES:
                continue
            if self._descends(row["path"], cls, base, 0):
                found.append(row["key"])
        return found

    def _descends(self, path: str, cls: str, base: str, depth: int) -> bool:
        """Whether the class ``cls`` of ``path`` has the class ``base`` (a key) among its bases."""
        if depth >= _MAX_DEPTH:
            return False
        for written in self._bases(path, cls):
            found = self.lookup(path, written, cls.rpartition(".")[0] or None)
            if isinstance(found, Found) and self._kind(found.key) in _CLASSES:
                if found.key == base or self._descends(path_of(found.key), qualname_of(found.key), base, depth + 1):
                    return True
        return False

    def depends(self, path: str, text: str, scope: str | None = None) -> frozenset[str]:
        """What the answer of :meth:`lookup` for the same arguments read, so a caller can
        tell when to ask again: ``file:P`` for every file it looked at (one that does not
        exist too: it may appear), ``tail:T`` for a module looked for under any source root
        (a file whose module path ends with T: ``tail:a/m`` for ``a.m``), ``bases:K`` for a
        symbol whose signature it read (a class's bases, a parameter's or property's type)."""
        return self.answered(path, text, scope)[1]

    def answered(self, path: str, text: str, scope: str | None = None) -> tuple[Target, frozenset[str]]:
        """:meth:`lookup` and :meth:`depends` in one (the dream asks both of every test's call)."""
        answer, memos = self._looked_up(path, text, scope)
        if len(memos) == 1:
            return answer, self._read.get(memos[0], frozenset())
        return answer, frozenset().union(*(self._read.get(memo, ()) for memo in memos))

    def given_by_fixture(self, path: str, text: str, scope: str | None) -> Target:
        """:meth:`lookup`'s answer when it came through a pytest fixture, else None: ``p.m``
        where ``p`` is a parameter of the test or fixture ``scope`` that a fixture gives, and
        nothing of the module's is named ``p`` (pre-commit's ``store.select_all_repos()`` in a
        test taking ``store``, a conftest fixture's ``yield Store(...)``)."""
        answer, memos = self._looked_up(path, text, scope)
        return answer if memos[-1][-1] == "fixture" else None

    def trim(self, limit: int, reads: int | None = None) -> None:
        """Forget what was read once more than ``limit`` answers are kept, or (``reads``)
        their records of what they read hold more than ``reads`` items in all (a long dream
        over a large tree): what is asked again is read again."""
        kept = len(self._answers) + len(self._entries) + self._declared_kept // _DECLARATIONS_PER_ANSWER
        if kept > limit or (reads is not None and self._weight > reads):
            self._forget()

    def index_modules(self) -> None:
        """Read which Python files are modules of which name now, not in the first lookup that
        looks for a module under any source root (25 - 40 ms on 19,000 files)."""
        self._sync()
        self._module_names()

    def module_file(self, language: str, from_path: str, module: str) -> str | None:
        """The file an import names, among the files the memory knows."""
        by_file = (language, from_path, module)  # the hot path: no path arithmetic
        if by_file in self._modules:
            if self._reading:
                self._reading[-1].update(self._module_read[by_file])
            return self._modules[by_file]
        spec = language_named(language)
        style = spec.modules if spec else None
        by_folder = (style or "", posixpath.dirname(from_path), module)  # same answer for a folder
        if by_folder not in self._modules:
            found = None
            read: set[str] = set()
            self._reading.append(read)
            try:
                if style == "python":
                    found = self._first_known(_python_candidates(from_path, module)) or self._python_anywhere(module)
                elif style == "ecmascript":
                    found = self._first_known(_es_candidates(from_path, module))
            finally:
                self._reading.pop()
            self._modules[by_folder], self._module_read[by_folder] = found, self._shared(read, ("module", by_folder))
        self._modules[by_file], self._module_read[by_file] = self._modules[by_folder], self._module_read[by_folder]
        if not self.still:
            self._users[self._module_read[by_file]].append(("module", by_file))
        if self._reading:
            self._reading[-1].update(self._module_read[by_file])
        return self._modules[by_file]

    # -- steps ------------------------------------------------------------------

    def _binding(self, path: str, info: _FileInfo, local: str) -> tuple[Binding | None, bool]:
        """:meth:`_FileInfo.binding`, where imports of one module under two spellings are one
        (``from .console import Console`` at the top, ``from rich.console import Console`` in
        the module's ``__main__`` block): ambiguous only when they name different things."""
        binding, ambiguous = info.binding(local)
        if not ambiguous or binding is None:
            return binding, ambiguous
        texts = info.imports if not local.isascii() else [text for text in info.imports if local in text]
        named = {
            (self.module_file(info.language, path, other.module), other.name)
            for other in _bindings(texts, info.style)
            if other.local == local
        }
        (found, _), *others = named
        return binding, bool(others) or found is None

    def _through(self, path: str, binding: Binding, rest: list[str], depth: int) -> Target:
        info = self._file(path)
        if info is None:
            return None
        # (no module: a name this module binds to another of its own, ``export default greet``)
        target_file = self.module_file(info.language, path, binding.module) if binding.module else path
        if target_file is None:
            return None
        if binding.name == "default":
            # The default export (``export default``, or CommonJS's ``module.exports = X``, which
            # ``require`` returns), or its member (``AxiosError.from``); else, for a member, the
            # module used as a namespace (``const m = require("./m")``, then ``m.f``).
            answers = []
            for export in _DEFAULT_EXPORTS:
                answers.append(self._symbol(target_file, ".".join([export, *rest]), depth))
                if isinstance(answers[-1], Found):
                    return answers[-1]
            # (``default`` gone from the module: the answer that says so)
            return self._in_module(target_file, rest, depth) if rest else answers[0]
        if binding.name is None:  # a module
            return self._in_module(target_file, rest, depth) if rest else None
        return self._symbol(target_file, ".".join([binding.name, *rest]), depth)

    def _in_module(self, module_path: str, rest: list[str], depth: int) -> Target:
        """``rest`` inside a module file, or inside one of its submodules (``os.path.join``)."""
        found = self._symbol(module_path, ".".join(rest), depth)
        if isinstance(found, Found) or len(rest) < 2:
            return found
        sub = self._submodule(module_path, rest[0])
        # (the first step may have followed the submodule already, found the name gone there,
        # and left it visited: then that is the answer, not the second step's None)
        deeper = self._in_module(sub, rest[1:], depth + 1) if sub else None
        return deeper if deeper is not None else found

    def _symbol(self, path: str, qualname: str, depth: int) -> Target:
        """A symbol of a module by qualified name, following re-exports."""
        if depth or self._visited:
            return self._followed(path, qualname, depth)
        # A lookup's first step into a module: its answer, what it read and what it followed
        # (the rest of the lookup must see the same) do not depend on where the lookup began.
        memo = (path, qualname)
        if memo not in self._entries:
            read: set[str] = set()
            self._reading.append(read)
            try:
                answer = self._entries[memo] = self._followed(path, qualname, 0)
            finally:
                self._reading.pop()
            self._entry_read[memo] = self._shared(read, ("entry", memo))
            # What was followed matters only to a lookup that goes on into a submodule
            # (``_in_module``: a dotted name not found): kept for those alone (memory).
            dotted = "." in qualname and not isinstance(answer, Found)
            self._entry_visited[memo] = frozenset(self._visited) if dotted else _NOTHING_FOLLOWED
            if isinstance(answer, Gone) and not self.still:
                self._gone_answers.add(("entry", memo))
        if self._reading:
            self._reading[-1].update(self._entry_read[memo])
        self._visited = set(self._entry_visited[memo])
        return self._entries[memo]

    def _followed(self, path: str, qualname: str, depth: int) -> Target:
        info = self._file(path)
        if info is None or depth > _MAX_DEPTH:
            return None
        key = symbol_key(info.language, path, qualname)
        if qualname in info.kinds:
            return Found(key)
        if info.style == "go":  # (a method of the file's type may be in any file of its package)
            return self._in_package(posixpath.dirname(path), qualname, _go_test(path))
        if info.style == "rust":
            return self._rust_item(path, info, qualname, depth)
        # Star re-exports form a graph (mobx's `export * from` fans out across dozens of files):
        # within one lookup, a name in a file is followed once, not once per path to it.
        if (path, qualname) in self._visited:
            return None
        self._visited.add((path, qualname))
        head, _, tail = qualname.partition(".")
        if tail and head in info.kinds:  # a member this file's own class does not define
            if info.language == "java" and info.kinds.get(qualname.rpartition(".")[0]) == "constant":
                # (a method of what a field holds: its declared type's, whatever anonymous class
                # it held: gson's `TypeAdapters.JSON_ELEMENT.read(...)` once it held another's)
                return None
            # (of the class nearest the member: ``Outer.Inner.m``, a test's own ``class C``, see _inner)
            owner = _owner_class(info, qualname.rpartition(".")[0])
            member = qualname[len(owner) + 1 :] if owner else ""
            inherited = self._inherited(path, owner, member, depth) if owner else None
            if (
                isinstance(inherited, Found)
                and owner
                and info.language == "java"
                and not self._java_alike(path, owner, member)
            ):
                return None  # (Java chooses among every base's method of the name: guava's `get(key)`)
            if isinstance(inherited, Found):
                return inherited
            gone = self._gone(key) or inherited  # (its own, or a base's: see _inherited)
            if gone is None:
                return gone
            if not owner:
                held = qualname.rpartition(".")
                if info.kinds.get(held[0]) == "constant" and held[2] in self._attributes(path).get(held[0], {}):
                    return None  # a function gone whose name the object still holds (`{ v: noop }`)
                return gone
            if member in self._attributes(path).get(owner, {}):
                return None  # a method gone whose name the instances still hold (`self.add = self.add_safe`)
            if info.language == "python" and (
                f"{owner}.{_GETATTR}" in info.kinds or isinstance(self._inherited(path, owner, _GETATTR, depth), Found)
            ):
                return None  # the class's `__getattr__` answers for what it does not define
            if self._open_base(path, owner, member, depth):
                return None  # an override gone, the base's own serving (`read` of `io.RawIOBase`)
            if info.language == "java" and member in OBJECT_METHODS:
                return None  # an override gone, `Object`'s serving (every Java class is one)
            if self._served_beside(path, owner, member, depth):
                return None  # a mixin's: the class it is mixed into serves it
            return gone
        rest = tail.split(".") if tail else []
        if info.style == "java":  # (a class of another file: its package's, or one it imports)
            found_type = self._java_type(path, info, head, None)
            return self._symbol(found_type[0], ".".join([found_type[1], *rest]), depth + 1) if found_type else None
        reexport, ambiguous = self._binding(path, info, head)
        reexport = None if ambiguous else reexport
        if reexport is not None and reexport.name and reexport.module:
            # A package that imports its own submodule (`from . import util`, `from pkg import
            # util` in pkg/__init__.py: pytest's assertion package) binds the submodule: the
            # import leads back here, and would end the chase.
            if self.module_file(info.language, path, reexport.module) == path:
                sub = self._submodule(path, reexport.name)
                if sub is not None:
                    return self._in_module(sub, rest, depth + 1) if rest else None
        if reexport is not None:
            return self._through(path, reexport, rest, depth + 1)
        found = self._from_stars(path, info, qualname, depth)
        if found is not None:
            return found
        sub = self._submodule(path, head)  # from package import module
        if sub is not None:
            return self._in_module(sub, rest, depth + 1) if rest else None
        if info.language == "python" and _GETATTR in info.kinds:
            # PEP 562: the module's own `__getattr__` answers (a deprecated name kept)
            message = None if tail else self._kept_by_getattr(path).get(qualname)
            return Kept(key, message) if message is not None else None
        if info.binds and head in info.binds:
            return None  # a definition gone, its name still bound in a block of the module
        return self._gone(key)

    def _from_stars(self, path: str, info: _FileInfo, qualname: str, depth: int) -> Found | None:
        """``qualname`` in the first module ``path`` star-imports that has it, if one does."""
        if not info.stars_read and len(info.stars) > 1:
            self._read_stars(path, info)
        head = qualname.partition(".")[0]
        for star in info.stars:
            target_file = self.module_file(info.language, path, star.module)
            if target_file is not None and not self._exported(target_file, head):
                continue
            if target_file is not None and not self._none_under(target_file, qualname, depth + 1):
                self._in_star += 1  # only a Found counts here: no Gone is looked for below
                try:
                    found = self._symbol(target_file, qualname, depth + 1)
                finally:
                    self._in_star -= 1
                if isinstance(found, Found):
                    return found
        return None

    def _exported(self, path: str, name: str) -> bool:
        """Whether a star import of the Python module ``path`` brings ``name``: one its
        ``__all__`` lists, or without one, a name not made private by a leading underscore.
        networkx's `betweenness_subset.py` binds `shortest_path` to a private helper and leaves
        it out of `__all__`: `nx.shortest_path` is `shortest_paths/generic.py`'s."""
        info = self._file(path)
        if info is None or info.style != "python":
            return True
        return name in info.exports if info.exports is not None else not name.startswith("_")

    def _none_under(self, path: str, qualname: str, depth: int) -> bool:
        """True when following star imports into ``path`` cannot find ``qualname``: no module
        the chase reaches defines or imports its first part, nor has it as a submodule. The
        chase is then not run, but what it reads and follows is recorded as if it had been
        (networkx's package star-imports 300 modules: a dream looked thousands of names up
        through it, each a walk of all of them)."""
        if (path, qualname) in self._visited:
            return False  # followed already in this lookup: the chase stops at once
        closure = self._star_closure(path, depth)
        head = qualname.partition(".")[0]
        if head in closure.names:
            return False
        probes: set[str] = set()  # what looking for a submodule reads, kept if none is there
        self._reading.append(probes)
        try:
            submodule = any(self._submodule(package, head) is not None for package in closure.packages)
        finally:
            self._reading.pop()
        if submodule:
            return False
        if self._reading:
            self._reading[-1].update(closure.read)
            self._reading[-1].update(probes)
        self._visited.update((module, qualname) for module in closure.followed)
        return True

    def _star_closure(self, path: str, depth: int) -> _StarClosure:
        """What :meth:`_followed` reaches from ``path`` at ``depth`` through star imports alone,
        for a name no module there knows (its walk, step for step: a module is followed once,
        not past :data:`_MAX_DEPTH`)."""
        memo = (path, depth)
        closure = self._closures.get(memo)
        if closure is not None:
            return closure
        followed: dict[str, None] = {}  # (in the order followed)
        names: set[str] = set()
        packages: list[str] = []

        def walk(module: str, depth: int) -> None:
            info = self._file(module)
            if info is None or depth > _MAX_DEPTH or module in followed:
                return
            followed[module] = None
            names.update(qualname.partition(".")[0] for qualname in info.kinds)
            names.update(info.named())
            if not info.stars_read and len(info.stars) > 1:
                self._read_stars(module, info)
            for star in info.stars:
                target = self.module_file(info.language, module, star.module)
                if target is not None:
                    walk(target, depth + 1)
            if _is_package(module, info):
                packages.append(module)

        read: set[str] = set()
        self._reading.append(read)
        try:
            walk(path, depth)
        finally:
            self._reading.pop()
        closure = self._closures[memo] = _StarClosure(
            tuple(followed), frozenset(names), tuple(packages), self._shared(read, ("closure", memo))
        )
        return closure

    def _inherited(self, path: str, cls: str, member: str, depth: int) -> Found | Gone | None:
        """``member`` of a base class of ``cls`` (bases as its signature lists them: ``A(Base, m.Mixin)``),
        looked up where the class statement is (a test's ``class A(self.theclass)``: the test's ``self``).
        Gone when no base defines it and a base's own went (websockets' ``self.enforce_mask(...)``
        in a test class two steps below the ``FramesTestCase`` that dropped it): whether something
        else serves it in ``cls`` is the caller's to ask."""
        memo = (path, cls, "bases")
        if memo in self._holding or depth >= _MAX_DEPTH:  # (a base that names the class itself)
            return None
        self._holding.add(memo)
        gone = None
        try:
            for base in self._bases(path, cls):
                target = self.lookup(path, base, cls.rpartition(".")[0] or None)
                if isinstance(target, Found):
                    base_path, base_qualname = path_of(target.key), qualname_of(target.key)
                    found = self._symbol(base_path, f"{base_qualname}.{member}", depth + 1)
                    if isinstance(found, Found):
                        return found
                    if isinstance(found, Gone) and gone is None:
                        gone = found
        finally:
            self._holding.discard(memo)
        return gone

    def _open_base(self, path: str, cls: str, member: str, depth: int) -> bool:
        """Whether ``cls`` has a base the memory does not hold (``io.RawIOBase``, a library's
        ``EventEmitter``), itself or through its bases, that may define ``member``: then a
        member the class no longer defines may be that base's. A Python builtin class is
        asked (``Exception`` has no ``compute``), and a class of the standard library as its
        declarations say (``unittest.TestCase`` has no ``enforce_mask``)."""
        memo = (path, cls, "open bases")
        if memo in self._holding or depth >= _MAX_DEPTH:
            return False
        if self._made_base(path, cls):
            return True  # (a base a call makes: a mixin's, whatever it defines)
        info = self._file(path)
        self._holding.add(memo)
        try:
            for base in self._bases(path, cls):
                target = self.lookup(path, base, cls.rpartition(".")[0] or None)
                if isinstance(target, Found):
                    if self._open_base(path_of(target.key), qualname_of(target.key), member, depth + 1):
                        return True
                elif target is None and not (info and self._lacks(info.language, path, base, member)):
                    return True
        finally:
            self._holding.discard(memo)
        return False

    def _served_beside(self, path: str, cls: str, member: str, depth: int) -> bool:
        """Whether a class of ``cls``'s file made on it and on another base gets ``member`` from
        that base, or may (one the memory does not hold): ``cls`` is a mixin, and its ``self``
        is one of those (tornado's `TestIOStreamWebMixin` calls `self.fetch(...)`, which
        `TestIOStreamWebHTTP(AsyncHTTPTestCase, TestIOStreamWebMixin)` gets from
        `AsyncHTTPTestCase`, whether the mixin has a `fetch` of its own or not)."""
        info = self._file(path)
        if info is None or depth >= _MAX_DEPTH:
            return False
        name = cls.rpartition(".")[2]
        for other, kind in info.kinds.items():
            if kind not in _CLASSES or other == cls or name not in self._bases(path, other):
                continue
            if isinstance(self._inherited(path, other, member, depth + 1), Found):
                return True
            if self._open_base(path, other, member, depth + 1):
                return True
        return False

    def _lacks(self, language: str, path: str, base: str, member: str) -> bool:
        """Whether the Python class ``base``, as ``path`` names it and the memory does not hold,
        is a builtin or a standard library's class without ``member``; the Java interface
        ``base`` one of the platform's few-method ones without it (``AutoCloseable``)."""
        if language == "java":
            few = FEW_METHODS.get(base.rpartition(".")[2])
            return few is not None and member not in few
        if language != "python":
            return False
        if _builtin_lacks(base, member):
            return True
        info = self._file(path)
        binding = self._binding(path, info, base.split(".")[0])[0] if info is not None else None
        # (an absolute import: `from .unittest import X` is the project's own)
        if binding is None or binding.module.startswith("."):
            return False
        return platform_lacks("python", member, binding.module)

    def _made_base(self, path: str, cls: str) -> bool:
        """Whether a base of ``cls`` is what a call makes, not a class named (effect's `class A
        extends Schema.Class<A>("A")({...})`, Python's `class A(with_metaclass(M, Base))`)."""
        items = _base_items(self._declared(path, cls)[0])
        return any("(" in _TYPE_ARGUMENTS.sub("", item) and "=" not in item.split("(")[0] for item in items)

    def _bases(self, path: str, cls: str) -> list[str]:
        items = _base_items(self._declared(path, cls)[0])
        # (a base given type arguments is that class: redis-py's `Retry(AbstractRetry[RedisError])`;
        # `Generic[E]` and `Protocol[T]` define nothing a call reaches)
        bases = []
        for item in items:
            base = _TYPE_ARGUMENTS.sub("", item)
            if _DOTTED.fullmatch(base) and not (base != item and base.rpartition(".")[2] in _TYPING_FORMS):
                bases.append(base)
        return bases

    def _declared(self, path: str, qualname: str) -> tuple[str, tuple[str, ...]]:
        """A symbol's current signature ("" if none) and decorators: a class's bases, a
        function's parameters and what it returns, as written."""
        info = self._file(path)
        if info is None:
            return "", ()
        key = symbol_key(info.language, path, qualname)
        if self._reading:
            self._reading[-1].add(sys.intern("bases:" + key))
        declarations = self._declarations.setdefault(path, {})
        if qualname not in declarations:
            self._declared_kept += 1
            self._reading_store()
            signature, decorators = "", []
            for predicate, value in self.store.db.execute(
                "SELECT o.predicate, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                "WHERE c.path = ? AND o.subject = ? AND o.predicate IN ('signature', 'decorated_by')",
                (path, key),
            ):
                if predicate == "signature":
                    signature = value
                else:
                    decorators.append(value)
            declarations[qualname] = (signature, tuple(decorators))
        return declarations[qualname]

    def _parameter_named(self, path: str, text: str, scope: str) -> str | None:
        """The annotation (as written, "" if none) of the parameter ``text``'s first name is,
        in ``scope`` or a function it is nested in; None when it is none (``self``, a local)."""
        return self._parameter_owner(path, text, scope)[1]

    def _parameter_owner(self, path: str, text: str, scope: str) -> tuple[str | None, str | None]:
        """(the function, the annotation as written, "" if none) of the parameter ``text``'s
        first name is (see :meth:`_parameter_named`); (None, None) when it is none."""
        head = text.partition(".")[0]
        if head.startswith(_SCOPED):
            return None, None
        # (asked once the module's names gave no answer: a parameter shadows them, a test's
        # ``app`` the fixture ``app`` defined beside it, or an ``app`` another test imports;
        # but not a module's name, ``os.path``: the function's signature is read only when a
        # parameter may be meant, and an answer that read it depends on it)
        info = self._file(path)
        if info is None:
            return None, None
        binding = info.binding(head)[0]
        if binding is not None and binding.name is None:
            return None, None
        for function in _functions_around(info, scope):
            annotation = self._parameters(path, function).get(head)
            if annotation is not None:
                return function, annotation
        return None, None

    def _injected(self, path: str, function: str) -> bool:
        """Whether pytest gives ``function``'s parameters their values: a test (``test_x``,
        ``TestA.test_x``) or a fixture. Only Python's."""
        if not path.endswith(".py"):
            return False
        return function.rpartition(".")[2].startswith("test") or self._is_fixture(path, function)

    def _is_fixture(self, path: str, function: str) -> bool:
        return any(_FIXTURE.match(decorator) for decorator in self._declared(path, function)[1])

    def _fixture_of(self, path: str, name: str, owner: str) -> tuple[str, str] | None:
        """:meth:`_fixture`, kept as an answer with what it read: the same for every test of a
        module or class (most parameters name a fixture of pytest's own: ``monkeypatch``,
        ``tmp_path``, found in no folder)."""
        cls, _, own_name = owner.rpartition(".")
        itself = owner if own_name == name else None  # (the one case where the owner matters more)
        memo = (path, name, cls, itself, "fixture of")
        found = self._answer(memo, None, lambda: self._fixture_found(path, name, owner))
        return (path_of(found.key), qualname_of(found.key)) if isinstance(found, Found) else None

    def _fixture_found(self, path: str, name: str, owner: str) -> Target:
        found = self._fixture(path, name, owner)
        info = self._file(found[0]) if found is not None else None
        return Found(symbol_key(info.language, *found)) if found is not None and info is not None else None

    def _fixture(self, path: str, name: str, owner: str) -> tuple[str, str] | None:
        """(file, qualified name) of the fixture pytest gives ``owner``'s parameter ``name``
        from: one of ``owner``'s class, of its module, or of a ``conftest.py`` in its folder
        or one above, the nearest first; never ``owner`` itself (a fixture that asks for the
        fixture it overrides gets the one above it)."""
        cls = owner.rpartition(".")[0]
        candidates = [(path, f"{cls}.{name}")] if cls else []
        candidates.append((path, name))
        folder = posixpath.dirname(path)
        while True:
            candidates.append((posixpath.join(folder, "conftest.py"), name))
            if not folder:
                break
            folder = posixpath.dirname(folder)
        for found in candidates:
            if found == (path, owner):
                continue
            info = self._file(found[0])
            if info is not None and info.kinds.get(found[1]) in _FUNCTIONS and self._is_fixture(*found):
                return found
        return None

    def _fixture_given(self, path: str, text: str, owner: str) -> Target:
        """``p.m`` where ``p`` is a parameter of the test or fixture ``owner`` that a fixture
        named ``p`` gives a value to: ``m`` of the class its signature says it returns (or
        yields: ``-> Iterator[Server]``), or of what its ``gives`` observation says it
        returns: a call's result (``CliRunner()``), or one of its own names (a local that a
        call made, a parameter another fixture gives)."""
        head, *names = text.split(".")
        fixture = self._fixture_of(path, head, owner)
        memo = (path, text, owner, "fixture")
        if fixture is None or memo in self._holding:  # (``a(b)`` gives ``b``, ``b(a)`` gives ``a``)
            return None
        fixture_path, name = fixture
        cls = self._class_written(fixture_path, _yielded(_returns(self._declared(fixture_path, name)[0])))
        if cls is not None:
            return self._members(*cls, names)
        given = self._gifts(fixture_path).get(name)
        if given is None:
            return None
        self._holding.add(memo)
        try:
            if given.endswith("()"):
                return self._returned(fixture_path, (given[:-2], names), name)
            inner = ".".join((given, *names))
            own = self._holder(fixture_path, inner, name) or self._parameter_named(fixture_path, inner, name)
            if own is None:
                return None  # (a name bound more than once, or the module's: not one value)
            return self.lookup(fixture_path, inner, name)
        finally:
            self._holding.discard(memo)

    def _gifts(self, path: str) -> dict[str, str]:
        """What the fixtures of a file give, as their code says: {fixture: "CliRunner()" or
        "app"}, from the ``gives`` observations."""
        if path not in self._given:
            self._reading_store()
            self._given[path] = {
                qualname_of(subject): value
                for subject, value in self.store.db.execute(
                    "SELECT o.subject, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                    "WHERE c.path = ? AND o.predicate = 'gives'",
                    (path,),
                )
            }
        return self._given[path]

    def deprecated(self, path: str) -> dict[str, str]:
        """What the code of ``path`` says is deprecated now, by qualified name, with the message
        it warns with: {"Context.protected_args": "'protected_args' is deprecated ..."}, from
        its ``deprecated`` observations (see :mod:`kairos_lsp.extract`)."""
        self._sync()
        return self._announced(path).deprecated

    def deprecated_names(self) -> frozenset[str]:
        """The names of all the memory ever saw deprecated (:meth:`Store.deprecated_names`):
        a use of any other name is of nothing deprecated."""
        self._sync()
        if "deprecated" not in self._names_of:
            self._names_of["deprecated"] = self.store.deprecated_names()
        return self._names_of["deprecated"]

    def gone_names(self) -> frozenset[str]:
        """The names of all the memory saw go (:meth:`Store.gone_names`): a use of any other
        name is of nothing gone."""
        self._sync()
        if "gone" not in self._names_of:
            self._names_of["gone"] = self.store.gone_names()
        return self._names_of["gone"]

    def deprecated_parameters(self, path: str) -> dict[str, dict[str, str]]:
        """The parameters the functions of ``path`` warn are deprecated when given, by the
        function's qualified name: {"Parser.__init__": {"charset": "The 'charset' parameter ..."}}."""
        self._sync()
        return self._announced(path).parameters

    def _kept_by_getattr(self, path: str) -> dict[str, str]:
        """The names a Python module's ``__getattr__`` answers for with a deprecation warning,
        and the message: {"split_opt": "'parser.split_opt' is deprecated ..."}, from its
        ``deprecates`` observations."""
        return self._announced(path).kept

    def _announced(self, path: str) -> _Announced:
        announced = self._deprecations.get(path)
        if announced is None:
            self._reading_store()
            announced = _Announced({}, {}, {})
            getattr_key = symbol_key("python", path, _GETATTR)
            for subject, predicate, value in self.store.db.execute(
                "SELECT o.subject, o.predicate, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                "WHERE c.path = ? AND o.predicate IN ('deprecated', 'deprecates', 'deprecated_parameter')",
                (path,),
            ):
                name, _, message = value.partition(": ")
                if predicate == "deprecated":
                    announced.deprecated[qualname_of(subject)] = value
                elif predicate == "deprecated_parameter":
                    announced.parameters.setdefault(qualname_of(subject), {})[name] = message
                elif subject == getattr_key:
                    announced.kept[name] = message
            self._deprecations[path] = announced
        return announced

    def _typed(self, path: str, text: str, scope: str) -> Target:
        """``p.m`` where ``p`` is a parameter of ``scope`` (or of a function it is nested in)
        whose annotation names a class: ``m`` of that class (``ls.show`` in ``def f(ls:
        Server)``, ``client.fetch`` in ``constructor(private client: Client)``)."""
        cls = self._class_written(path, self._parameter_named(path, text, scope) or "")
        return self._members(*cls, text.split(".")[1:]) if cls is not None else None

    def _class_written(self, path: str, written: str, scope: str | None = None) -> tuple[str, str] | None:
        """(file, qualified name) of the one class an annotation written in ``path`` names
        (``Server``, ``'Optional[Server]'``, ``Box<T> | undefined``), looked up as the module's
        names, with no scope (``socket: socket.socket`` would send a scoped lookup round in
        circles) but a Java type's (``scope``: a class whose nested ``Builder`` it may name)."""
        named = class_named(written) if written else None
        cls = self.lookup(path, named, scope) if named else None
        if not isinstance(cls, Found) or self._kind(cls.key) not in _CLASSES:
            return None
        return path_of(cls.key), qualname_of(cls.key)

    def _inner(self, path: str, text: str, scope: str) -> str | None:
        """The function (``scope`` or one it is nested in; a class body encloses nothing) whose
        own body defines ``text``'s first name (``class C`` in a test, then ``C(42)``; a
        closure's helper), or None (also when a function nearer ``scope`` has a parameter of
        that name)."""
        info = self._file(path)
        head = text.partition(".")[0]
        if info is None or head not in info.inner_names():
            return None
        for outer in _functions_around(info, scope, _ENCLOSING):
            if head in self._parameters(path, outer):
                return None  # (its parameter: effect's `patch: (patch, oldValue) => patch(oldValue)`)
            if info.kinds.get(f"{outer}.{head}") not in (None, "method"):
                return outer
        return None

    def _holder(self, path: str, text: str, scope: str) -> tuple[str, tuple[bool, str]] | None:
        """(the scope whose own name ``text``'s first name is, what it holds): ``scope``'s own,
        else the nearest enclosing function's or the module's ("") that holds it (a class body
        encloses nothing); None when that scope's name holds what the memory does not know (a
        parameter, a loop's variable: the bare name), or none of them says."""
        head = text.partition(".")[0]
        held = self._locals_held(path)
        if head not in self._held_names.get(path, ()):
            return None
        own = held.get(scope, {})
        if head in own:
            what = own[head]
            return (scope, what) if what is not None else None
        if not scope:
            return None
        info = self._file(path)
        parts = scope.split(".")
        for end in range(len(parts) - 1, -1, -1):
            outer = ".".join(parts[:end])
            if outer and (info is None or info.kinds.get(outer) not in _FUNCTIONS):
                continue
            found = held.get(outer, {})
            if head in found:
                what = found[head]
                return (outer, what) if what is not None else None
        return None

    def _local(self, path: str, text: str, holder: tuple[str, tuple[bool, str]]) -> Target:
        """``x.m`` where ``x`` is a local name whose annotation names a class (``index: Index =
        ...``), or that a call made (``index = Index()``, ``cache = client.getQueryCache()``):
        ``m`` of that class, or of the class the callee says it returns. ``holder``: the scope
        whose own name it is, and what it holds (see :meth:`_holder`)."""
        scope, (made, written) = holder  # (what made it is read where it was made)
        memo = (path, text, scope)
        if memo in self._holding:  # (``a = b.make()`` and ``b = a.make()``)
            return None
        names = text.split(".")[1:]
        if made:
            self._holding.add(memo)
            try:
                return self._returned(path, (written, names), scope)
            finally:
                self._holding.discard(memo)
        cls = self._class_written(path, written)
        return self._members(*cls, names) if cls is not None else None

    def _locals_held(self, path: str) -> dict[str, dict[str, tuple[bool, str] | None]]:
        """What the functions of a file hold in their own names, as their code says:
        {function: {name: (made by a call, the annotation or callee), or None: what it holds
        is not known}}, from the ``local`` observations."""
        info = self._file(path)
        if info is None:
            return {}
        if path not in self._held_locals:
            self._reading_store()
            found: dict[str, dict[str, tuple[bool, str] | None]] = {}
            for subject, value in self.store.db.execute(
                "SELECT o.subject, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                "WHERE c.path = ? AND o.predicate = 'local'",
                (path,),
            ):
                name, made, written = held_parts(value)
                if name:
                    found.setdefault(qualname_of(subject), {})[name] = (made, written)
                elif _DOTTED.fullmatch(value):  # a bare name: its own, holding what is not known
                    found.setdefault(qualname_of(subject), {})[value] = None
            self._held_locals[path] = found
            self._held_names[path] = {name for names in found.values() for name in names}
        return self._held_locals[path]

    def _parameters(self, path: str, function: str) -> dict[str, str]:
        """A function's parameters by name, with their annotations as written ("" if none)."""
        signature = self._declared(path, function)[0]
        # (by what follows the name, not by function: a test file's many ``test_x(self)`` are one entry)
        written = signature[signature.find("(") :] if "(" in signature else ""
        parameters = self._annotations.get(written)
        if parameters is None:
            parameters = {}
            for item in signature_items(written):
                name, annotation = parameter_parts(item)
                if _DOTTED.fullmatch(name.rstrip("?")):  # (not ``*args``, ``...rest``, ``{a, b}``)
                    parameters.setdefault(name.rstrip("?"), annotation)
            parameters = self._annotations[written] = parameters
        return parameters

    def _members(self, path: str, cls: str, names: list[str]) -> Target:
        """``names[0]`` a member of class ``cls`` (defined in ``path``, or inherited), each
        next one a member of the class the one before holds: an attribute's
        (``self.protocol.send``: ``protocol: Protocol`` in the class body) or a property's
        (``ls.workspace.get_document``: ``workspace`` a property ``-> Workspace``)."""
        for at, name in enumerate(names):
            found = self._symbol(path, f"{cls}.{name}", 0)
            if at == len(names) - 1:
                return found
            if isinstance(found, Found):
                held = self._property_class(found.key)
            else:
                held = self._attribute_class(path, cls, name, 0)
            if held is None:
                return None  # (a member gone midway: the call's name is not the one that went)
            path, cls = held
        return None

    def _attribute_class(self, path: str, cls: str, name: str, depth: int) -> tuple[str, str] | None:
        """(file, qualified name) of the class attribute ``name`` of instances of ``cls`` holds,
        as its class (or a base) says: its annotations if any, else the calls that made it;
        None when they do not agree on one class."""
        held = self._attributes(path).get(cls, {}).get(name, set()) - {_UNSAID}
        if not held:
            for base in self._bases(path, cls) if depth < _MAX_DEPTH else ():
                target = self.lookup(path, base)
                if isinstance(target, Found) and self._kind(target.key) in _CLASSES:
                    found = self._attribute_class(path_of(target.key), qualname_of(target.key), name, depth + 1)
                    if found is not None:
                        return found
            return None
        annotated = {text for made, text in held if not made}
        named = {class_named(text) for text in annotated or {text for _, text in held}}
        if len(named) != 1 or None in named:
            return None
        text = named.pop() or ""
        scope = cls if text.split(".")[0] in _SELF else None  # (`self.make`: a method of the class)
        memo = (path, cls, name, "made")
        if memo in self._holding:  # (`self.items = self.items.copy()`: made from itself)
            return None
        self._holding.add(memo)
        try:
            cls_target = self.lookup(path, text, scope)
            if isinstance(cls_target, Found) and not annotated and self._kind(cls_target.key) in _FUNCTIONS:
                # made by a function: the class it says it returns (websockets' `self.connection =
                # await self.create_connection()`, declared `-> ClientConnection`)
                return self._made(path, text, scope)
        finally:
            self._holding.discard(memo)
        if not isinstance(cls_target, Found) or self._kind(cls_target.key) not in _CLASSES:
            return None
        return path_of(cls_target.key), qualname_of(cls_target.key)

    def _attributes(self, path: str) -> dict[str, dict[str, set[tuple[bool, str]]]]:
        """What the instances' attributes of each class of a file hold, as its code says:
        {class: {attribute: {(made by a call, class text)}}}, from the ``attribute``
        observations of the class and of its methods; ``_UNSAID`` for one bound to what the
        code does not say (``self.add = self.add_safe``). A module constant's object is such an
        owner too (JavaScript's ``{ v: noop }``)."""
        info = self._file(path)
        if info is None:
            return {}
        if path not in self._held_attributes:
            self._reading_store()
            found: dict[str, dict[str, set[tuple[bool, str]]]] = {}
            for subject, value in self.store.db.execute(
                "SELECT o.subject, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                "WHERE c.path = ? AND o.predicate = 'attribute'",
                (path,),
            ):
                qualname = qualname_of(subject)
                owner = _owner_class(info, qualname) or (qualname if info.kinds.get(qualname) == "constant" else None)
                name, made, text = held_parts(value)
                if owner is not None:  # (a bare name: held, by what the code does not say)
                    found.setdefault(owner, {}).setdefault(name or value, set()).add((made, text))
            self._held_attributes[path] = found
        return self._held_attributes[path]

    def _returned(self, path: str, called: tuple[str, list[str]], scope: str | None) -> Target:
        """A member of what a call returns (``called``: see :func:`_called`): of an instance of
        the class called (``Index().add``, ``new Client().get``), or of the class a function's or
        method's signature says it returns (``this.#client.getQueryCache().build``:
        ``getQueryCache(): QueryCache``)."""
        callee, names = called
        made = self._made(path, callee, scope)
        return self._members(*made, names) if made is not None else None

    def _made(self, path: str, callee: str, scope: str | None) -> tuple[str, str] | None:
        """(file, qualified name) of the class of what calling ``callee`` gives: the class
        called, the one a function's signature says it returns, or, for a method declared to
        return its own instance (``-> Self``, ``def __enter__(self: T) -> T``), the class of
        the call it is a method of (``Client().__enter__``: ``with Client() as c``)."""
        target = self.lookup(path, callee.removeprefix("new "), scope)
        if not isinstance(target, Found):
            return None
        kind = self._kind(target.key)
        if kind in _CLASSES:
            return path_of(target.key), qualname_of(target.key)
        if kind not in _FUNCTIONS:
            return None
        signature = self._declared(path_of(target.key), qualname_of(target.key))[0]
        if target.key.startswith("java:"):  # (Java writes the type first: `Builder add(int n)`)
            owner = qualname_of(target.key).rpartition(".")[0]
            written = signature.partition("(")[0].rpartition(" ")[0]
            return self._class_written(path_of(target.key), written, owner) if written else None
        returns = _returns(signature)
        if returns.startswith("(") and target.key.startswith("go:"):  # (Go's results: the first's)
            returns = next(iter(signature_items(returns)), "")
        made = self._class_written(path_of(target.key), returns) if returns else None
        if made is None and returns == "Self" and target.key.startswith("rust:"):  # (`Client::new() -> Self`)
            owner = qualname_of(target.key).rpartition(".")[0]
            if self._kind(symbol_key("rust", path_of(target.key), owner)) in _CLASSES:
                return path_of(target.key), owner
        if made is None and returns and _returns_self(signature, returns):
            receiver = callee.rpartition(".")[0]
            if receiver.endswith(")"):
                called = _called(receiver + ".x")  # (what it is a method of is itself a call's result)
                return self._made(path, called[0], scope) if called is not None else None
        return made

    def _property_class(self, key: str) -> tuple[str, str] | None:
        """(file, qualified name) of the class a property is declared to be: a Python
        ``@property`` annotated ``-> Cls``, a TypeScript getter ``(): Cls`` (no parameters)."""
        if self._kind(key) != "method" or key.startswith("java:"):  # (a Java method is no field)
            return None
        signature, decorators = self._declared(path_of(key), qualname_of(key))
        if key.startswith("python:"):
            if not any(decorator.lstrip("@").strip() in _PROPERTIES for decorator in decorators):
                return None
        elif signature_items(signature):
            return None
        return self._returns_class(key)

    def _returns_class(self, key: str) -> tuple[str, str] | None:
        """(file, qualified name) of the one class a function's signature says it returns."""
        path = path_of(key)
        return self._class_written(path, _returns(self._declared(path, qualname_of(key))[0]))

    def _kind(self, key: str) -> str | None:
        info = self._file(path_of(key))
        return info.kinds.get(qualname_of(key)) if info is not None else None

    def _gone(self, key: str) -> Gone | None:
        """A key the memory saw before and that no longer exists. Not looked for in the modules
        a star import leads to, which only a Found leaves (a query per module of the chase)."""
        if not self.history or self._in_star:
            return None
        self._reading_store()
        seen = self.store.db.execute("SELECT 1 FROM observations WHERE subject = ? LIMIT 1", (key,)).fetchone()
        if seen is None:
            return None
        moved = self.successor(self.store, key) if self.successor else None
        if moved is not None and self.store.symbol(moved[0]) is not None:
            return Gone(key, moved[0], moved[1])
        return Gone(key)

    # -- Rust: a module is a file, or a `mod` block in one ------------------------------

    def _rust_lookup(self, path: str, info: _FileInfo, parts: list[str], scope: str | None) -> Target:
        """A path in a Rust file (``a::b`` written ``a.b``): ``self.m`` and ``Self::f`` in a
        method, ``crate::``, ``super::`` and ``self::`` paths, what the file and the inline
        modules around the scope define (``mod tests { ... }``), what its ``use`` binds."""
        head = parts[0]
        owner = _owner_class(info, scope) if scope else None
        if head in ("self", "Self") and owner is not None:  # the method's own type
            return self._members(path, owner, parts[1:]) if len(parts) > 1 else None
        if head in ("crate", "super", "self"):
            return self._rust_path(path, parts)
        prefixes = [p for p in _enclosing(scope) if info.kinds.get(p) == "module"] if scope else []
        for prefix in [*prefixes, ""]:
            name = f"{prefix}.{head}" if prefix else head
            if name not in info.kinds:
                continue
            if info.kinds[name] == "module" and not any(q.startswith(name + ".") for q in info.kinds):
                return self._rust_path(path, ["self", *name.split("."), *parts[1:]])  # `mod net;`: its file
            return self._symbol(path, ".".join([name, *parts[1:]]), 0)
        return self._symbol(path, ".".join(parts), 0)  # (what the file's `use` binds: _rust_item)

    def _rust_item(self, path: str, info: _FileInfo, qualname: str, depth: int) -> Target:
        """:meth:`_followed` for a Rust file: what it does not define itself is what its ``use``
        brings, or a star's; Gone where it defined it and nothing brings it now. A member of a
        type not found is nobody's to say: its ``impl`` may be in any file of the crate, or a
        trait's."""
        if (path, qualname) in self._visited:
            return None
        self._visited.add((path, qualname))
        head, _, tail = qualname.partition(".")
        if head in info.kinds:
            if info.kinds[head] != "module":
                return None
            return self._gone(symbol_key("rust", path, qualname)) if info.kinds.get(qualname) is None else None
        binding, ambiguous = self._binding(path, info, head)
        if ambiguous:
            return None
        if binding is not None:
            target = [*binding.module.split("::"), *(binding.name.split("::") if binding.name else [])]
            return self._rust_path(path, [*target, *(tail.split(".") if tail else [])], depth + 1)
        for star in info.stars:  # `use super::*;` (a test module's), `use crate::prelude::*;`
            found = self._rust_path(path, [*star.module.split("::"), *qualname.split(".")], depth + 1)
            if isinstance(found, Found):
                return found
        if tail or info.stars or head in PRELUDE:
            return None
        return self._gone(symbol_key("rust", path, qualname))

    def _rust_path(self, path: str, parts: list[str], depth: int = 0) -> Target:
        """A path from the Rust file ``path``: ``crate::a::f``, ``super::f``, ``self::m::f``, or a
        child module's ``m::f`` (another first name is an outside crate's: None)."""
        root = self._crate_root(path)
        if root is None or depth > _MAX_DEPTH:
            return None
        module = module_parts(root, path)
        at = 0
        if parts[0] == "crate":
            module, at = [], 1
        elif parts[0] == "self":
            at = 1
        while at < len(parts) and parts[at] == "super":
            if not module:
                return None
            module, at = module[:-1], at + 1
        file = self._first_known(module_files(root, module))
        rest = parts[at:]
        children = 0
        while rest and (child := self._first_known(module_files(root, [*module, rest[0]]))) is not None:
            module, file, rest, children = [*module, rest[0]], child, rest[1:], children + 1
        if file is None or not rest or (at == 0 and not children):
            return None
        return self._symbol(file, ".".join(rest), depth)

    def _crate_root(self, path: str) -> str | None:
        """The folder of the nearest ``lib.rs`` or ``main.rs`` above a Rust file."""
        folder = posixpath.dirname(path)
        while True:
            if self._first_known([posixpath.join(folder, name) for name in ROOT_FILES]) is not None:
                return folder
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    # -- Java: a class is a file, its package a folder ----------------------------------

    def _java_lookup(self, path: str, info: _FileInfo, parts: list[str], scope: str | None) -> Target:
        """A name in a Java file: ``this.m`` and ``super.m`` in a method; a class (the file's,
        one nested in a class around the scope, its package's, or one it imports) and its
        members (``Util.join``, ``Outer.Inner.make``); a bare method name, of the classes around
        the scope, innermost first, each with what its bases bring, or one a static import
        brings (``import static org.junit.Assert.assertEquals``)."""
        head = parts[0]
        owner = _owner_class(info, scope) if scope else None
        if head == "this":
            return self._members(path, owner, parts[1:]) if owner and len(parts) > 1 else None
        if head == "super":
            return self._inherited(path, owner, parts[1], 0) if owner and len(parts) == 2 else None
        found_type = self._java_type(path, info, head, scope)
        if found_type is not None:
            return self._symbol(found_type[0], ".".join([found_type[1], *parts[1:]]), 0)
        if len(parts) > 1:
            return None  # (a variable's member: the caller knows what it holds, if anyone does)
        memo = (path, head, "java bare")
        if memo in self._holding:  # (a base's name no class defines, looked for as a method in turn)
            return None
        classes = [name for name in _enclosing(scope) if info.kinds.get(name) in _CLASSES] if scope else []
        gone = None
        self._holding.add(memo)
        try:
            for cls in classes:
                found = self._symbol(path, f"{cls}.{head}", 0)
                if isinstance(found, Found):
                    return found
                if found is None and self._open_base(path, cls, head, 0):
                    return None  # (a base the memory does not hold may have it)
                gone = gone or found
        finally:
            self._holding.discard(memo)
        binding, ambiguous = self._binding(path, info, head)
        if binding is not None:  # a static import's
            return self._java_member(binding.module, head) if not ambiguous else None
        for star in info.stars:  # `import static org.junit.Assert.*;`, or a package's classes
            found = self._java_member(star.module, head)
            if isinstance(found, Found):
                return found
        return None if info.stars else gone

    def java_namesakes(self, key: str) -> list[str] | None:
        """The other methods a call of the Java method ``key`` by its name may meet: its class's
        overloads and the methods of its name its bases define, at any depth (Java chooses among
        all of them by the arguments: jsoup's `Document.text(String)` beside `Element.text()`);
        None when a base the memory does not hold may define one, or `Object` does."""
        self._sync()
        cls, _, name = qualname_of(key).rpartition(".")
        name = name.partition("~")[0]
        if not cls or name in OBJECT_METHODS:
            return None
        found: list[str] = []
        return found if self._java_namesakes(path_of(key), cls, name, found, 0) else None

    def _java_namesakes(self, path: str, cls: str, name: str, found: list[str], depth: int) -> bool:
        """Add to ``found`` the methods named ``name`` of ``cls`` and its bases; False when a
        base may have one unseen."""
        info = self._file(path)
        if info is None or depth > _MAX_DEPTH:
            return False
        found += [
            symbol_key("java", path, qualname)
            for qualname in info.kinds
            if qualname.startswith(f"{cls}.{name}") and qualname[len(cls) + 1 :].partition("~")[0] == name
        ]
        for base in self._bases(path, cls):
            few = FEW_METHODS.get(base.rpartition(".")[2])
            if few is not None and name not in few:
                continue  # (`Serializable`: none of its name)
            target = self.lookup(path, base, cls)
            if not isinstance(target, Found) or self._kind(target.key) not in _JAVA_TYPES:
                return False
            if not self._java_namesakes(path_of(target.key), qualname_of(target.key), name, found, depth + 1):
                return False
        return True

    def java_superclass(self, path: str, cls: str) -> str | None:
        """The key of the class the Java class ``cls`` of ``path`` extends (its first base, when
        that is a class the memory holds: not an interface, which it would only implement)."""
        self._sync()
        bases = self._bases(path, cls)
        target = self.lookup(path, bases[0], cls) if bases else None
        return target.key if isinstance(target, Found) and self._kind(target.key) == "class" else None

    def _java_alike(self, path: str, cls: str, name: str) -> bool:
        """Whether every method named ``name`` that the Java class ``cls`` has through its bases
        takes the same parameter types (overrides of one method), as far as the memory knows them
        all: guava's `AbstractLoadingCache` gets `get(K, Callable)` from `AbstractCache` and
        `get(K)` from `LoadingCache`."""
        found: list[str] = []
        if not self._java_namesakes(path, cls, name, found, 0):
            return False
        return len({_java_types(self._declared(path_of(key), qualname_of(key))[0]) for key in found}) <= 1

    def _java_member(self, dotted: str, member: str) -> Target:
        """``member`` of the class a dotted name names (a static import's ``com.ex.Util``)."""
        found_type = self._java_class(dotted)
        return self._symbol(found_type[0], f"{found_type[1]}.{member}", 1) if found_type else None

    def _java_type(self, path: str, info: _FileInfo, name: str, scope: str | None) -> tuple[str, str] | None:
        """(file, qualified name) of the class a Java file names ``name``: one it defines (nested
        in a class around ``scope`` first), one it imports by name, one of its package (the
        file of that name in its folder), one a package it imports whole holds; None for the
        platform's and other libraries' classes."""
        for prefix in [*_enclosing(scope or ""), ""] if scope else [""]:
            qualname = f"{prefix}.{name}" if prefix else name
            if info.kinds.get(qualname) in _JAVA_TYPES:
                return path, qualname
        binding, ambiguous = self._binding(path, info, name)
        if binding is not None:
            return self._java_class(f"{binding.module}.{binding.name}") if not ambiguous else None
        sibling = self._first_known([posixpath.join(posixpath.dirname(path), f"{name}.java")])
        if sibling is not None:
            kind = self._kind(symbol_key("java", sibling, name))
            return (sibling, name) if kind in _JAVA_TYPES else None
        package = self._java_package(path)
        if package:  # (its package's class under another source root: `src/test/java` beside `src/main/java`)
            found = self._java_class(f"{package}.{name}")
            if found is not None:
                return found
        for star in info.stars:
            found = self._java_class(f"{star.module}.{name}")
            if found is not None:
                return found
        return None

    def _java_package(self, path: str) -> str | None:
        """The package of a Java file, by the source root it is under (its folder below the
        nearest root: ``com.ex`` for ``src/test/java/com/ex/T.java``); None under none."""
        folder = posixpath.dirname(path)
        for root in self._java_source_roots():
            if folder.startswith(root + "/") or (not root and folder):
                return folder[len(root) + 1 if root else 0 :].replace("/", ".")
        return None

    def _java_source_roots(self) -> tuple[str, ...]:
        """The folders Java packages are under, as the workspace's imports show them (an import
        of ``com.ex.Client`` and a file ``lib/src/com/ex/Client.java``: ``lib/src``) and as Maven
        and Gradle lay them out (``src/main/java``, ``src/test/java``), the longest first."""
        if self._reading:  # (Java files coming or going may change them)
            self._reading[-1].add(_JAVA_ROOTS)
        if self._java_roots is None:
            self._module_names()
            self._reading_store()
            roots: set[str] = set()
            for (text,) in self.store.db.execute(
                "SELECT DISTINCT o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                f"WHERE c.path GLOB '*.java' AND +o.predicate_id = {PREDICATE_ID['imports']}"
            ):
                item = json.loads(text)
                if item.get("name") in (None, "*"):
                    continue
                parts = f"{item.get('module', '')}.{item['name']}".split(".")
                for end in range(len(parts), 1, -1):  # (a static import names a member, a nested class)
                    tail = "/".join(parts[:end]) + ".java"
                    files = [
                        f for f in self._module_index.get(parts[end - 1], ()) if f == tail or f.endswith("/" + tail)
                    ]
                    if files:
                        roots.update(f[: -len(tail)].rstrip("/") for f in files)
                        break
            for path in self._module_paths:  # (and Maven's and Gradle's: `src/main/java`, `src/test/java`)
                if path.endswith(".java") and (conventional := SOURCE_ROOT.search(path)) is not None:
                    roots.add(path[: conventional.end()])
            self._java_roots = tuple(sorted(roots, key=len, reverse=True))
        return self._java_roots

    def _java_class(self, dotted: str) -> tuple[str, str] | None:
        """(file, qualified name) of a class by its full name: ``com.ex.Client`` is the class
        of a file ending ``com/ex/Client.java`` under some source root, ``com.ex.Outer.Inner``
        one nested in ``Outer``'s file; None where the memory holds no such file, or two."""
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            rel = "/".join(parts[:end])
            if self._reading:  # (a file of that name may come anywhere)
                self._reading[-1].add(sys.intern(f"tail:{rel}"))
            ending = f"/{rel}.java"
            files = [
                file
                for file in self._module_names().get(parts[end - 1], ())
                if file.endswith(ending) or file == ending[1:]
            ]
            if len(files) == 1:
                return files[0], ".".join(parts[end - 1 :])
            if files:
                return None
        return None

    # -- Go: a package is a folder ---------------------------------------------------

    def _go_lookup(self, path: str, info: _FileInfo, parts: list[str]) -> Target:
        """A name in a Go file: the file's package's (defined in any file of its folder), or,
        through an import, a package's of the workspace (``util.Join``)."""
        binding, ambiguous = self._binding(path, info, parts[0])
        if binding is None or parts[0] in info.kinds:
            return self._in_package(posixpath.dirname(path), ".".join(parts), _go_test(path))
        if ambiguous or len(parts) < 2:
            return None
        folder = package_folder(self._go_modules(), binding.module)
        return self._in_package(folder, ".".join(parts[1:]), False) if folder is not None else None

    def _in_package(self, folder: str, qualname: str, tests: bool) -> Target:
        """``qualname`` in the Go package of ``folder`` (``tests``: its ``_test.go`` files too):
        Found where one file defines it; None where several do (each for its own platform:
        ``open_linux.go``, ``open_windows.go``). A member of a type no file defines is one an
        embedded field brings (``type Conn struct { *Reader }``), where one does, or may (a type
        the memory does not hold); Gone where none does and one did."""
        if self._reading:  # (a file of the package coming, going or changing changes the answer)
            self._reading[-1].add(sys.intern("gopkg:" + folder))
        files = [path for path in self._go_packages().get(folder, ()) if tests or not _go_test(path)]
        unread = [path for path in files if path not in self._files]
        if unread:
            for here, read in self._read_files(unread).items():
                self._files[here] = (read, _dependency(here, read is not None))
        infos = [(path, self._file(path)) for path in files]
        holders = [path for path, info in infos if info is not None and qualname in info.kinds]
        if len(holders) == 1:
            return Found(symbol_key("go", holders[0], qualname))
        if holders:
            return None
        if "." in qualname:
            owner, _, member = qualname.rpartition(".")
            head, _, held = owner.partition(".")
            typed = [path for path, info in infos if info is not None and head in info.kinds]
            if len(typed) != 1:
                return None
            if held:  # a member of what the type's field holds (`ctx.cfg.Admin.provision`)
                return self._members(typed[0], head, qualname.split(".")[1:])
            if member in self._attributes(typed[0]).get(owner, {}):
                return None  # a field of the name (a function's type: `s.onClose(err)` calls what it holds)
            # (an embedded field's: promoted to the type; one the memory does not hold may bring it)
            inherited = self._inherited(typed[0], owner, member, 1)
            if inherited is not None or self._bases(typed[0], owner):
                return inherited if not self._open_base(typed[0], owner, member, 1) else None
            return self._package_gone(folder, qualname, tests)
        # (a dot import brings another package's names into the file's own; a name Go declares
        # is the language's once the package's own went: gin's `min` when Go 1.21 made it a builtin)
        if _global("go", qualname) or any(
            info is not None and any('"."' in text for text in info.imports) for _, info in infos
        ):
            return None
        return self._package_gone(folder, qualname, tests)

    def _package_gone(self, folder: str, qualname: str, tests: bool) -> Gone | None:
        """A name some file of a Go package defined, the latest such, and none does now."""
        if not self.history or self._in_star:
            return None
        self._reading_store()
        pattern = _glob_literal(f"go:{folder}/" if folder else "go:") + "*:" + _glob_literal(qualname)
        for (key,) in self.store.db.execute(
            "SELECT n.text FROM names n JOIN observation_log o ON o.subject_id = n.id "
            "WHERE n.text GLOB ? GROUP BY n.id ORDER BY max(o.id) DESC",
            (pattern,),
        ):
            where = path_of(key)
            if posixpath.dirname(where) != folder or qualname_of(key) != qualname or (_go_test(where) and not tests):
                continue
            moved = self.successor(self.store, key) if self.successor else None
            if moved is not None and self.store.symbol(moved[0]) is not None:
                return Gone(key, moved[0], moved[1])
            return Gone(key)
        return None

    def _go_packages(self) -> dict[str, list[str]]:
        """The Go files the memory knows, by folder."""
        self._module_names()
        if self._go_by_folder is None:
            by_folder: dict[str, list[str]] = {}
            for path in self._module_paths:
                if path.endswith(".go"):
                    by_folder.setdefault(posixpath.dirname(path), []).append(path)
            self._go_by_folder = by_folder
        return self._go_by_folder

    def _go_modules(self) -> dict[str, str]:
        """The Go modules of the workspace, ``{module path: root folder}``, as its files'
        imports show them (:func:`kairos_lsp.languages.golang.infer_modules`)."""
        packages = self._go_packages()
        if self._reading:  # (a package coming or going may change them)
            self._reading[-1].add(_GO_MODULES)
        if self._go_module_paths is None:
            self._reading_store()
            imports = {
                json.loads(text).get("module", "")
                for (text,) in self.store.db.execute(
                    "SELECT DISTINCT o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                    f"WHERE c.path GLOB '*.go' AND +o.predicate_id = {PREDICATE_ID['imports']}"
                )
            }
            self._go_module_paths = infer_modules(set(packages), imports)
        return self._go_module_paths

    def _submodule(self, module_path: str, name: str) -> str | None:
        info = self._file(module_path)
        if info is None or not _is_package(module_path, info):
            return None
        folder = posixpath.dirname(module_path)
        return self._first_known([posixpath.join(folder, f"{name}.py"), posixpath.join(folder, name, "__init__.py")])

    # -- what is cached ----------------------------------------------------------

    def _sync(self) -> None:
        """Forget what the store's changes since the last check may have changed."""
        if (self.still or self._held) and self._generation is not None:
            return
        generation = (self.store.db.execute("PRAGMA data_version").fetchone()[0], self.store.db.conn.total_changes)
        if generation != self._generation:
            self._generation = generation
            self._catch_up()

    def _catch_up(self) -> None:
        """Forget what read a file that a look recorded since the last check looked at
        (``file:P``), and the module paths' endings of files that came or went (``tail:T``); every name
        that resolved to a symbol that is gone (a dream may have linked where it went since);
        all of it when the user made the memory forget something. A dream's facts, or a
        note of what was hovered, change nothing else a lookup reads: on a large tree, a
        hover after each of them read its files, and the module index, all over again."""
        looks = self.store.looks_since(self._looks[0] if self._looks else None)
        if self._looks is None or looks.forgotten != self._looks[1] or looks.last < self._looks[0]:
            self._looks = (looks.last, looks.forgotten)
            self._forget()
            return
        self._looks = (looks.last, looks.forgotten)
        if len(self._answers) + len(self._entries) > ANSWERS_KEPT or self._weight > READS_KEPT:
            self._forget()  # what a long session asked: read again what is asked again
            return
        stale = {sys.intern("file:" + path) for path in looks.paths}
        # a file the memory did not know when a lookup read it (its module path), if it came
        stale.update(_dependency(path, False) for path in looks.paths)
        if self._by_module_name is not None and looks.paths:
            now = self.store.paths_known(looks.paths)
            came_or_went = {path for path in looks.paths if (path in now) != (path in self._known_paths)}
            if came_or_went:
                self._reindex(came_or_went, now)
                stale.update(sys.intern("tail:" + tail) for path in came_or_went for tail in module_endings(path))
                if any(path.endswith(".go") for path in came_or_went):
                    stale.add(_GO_MODULES)
                if any(path.endswith(".java") for path in came_or_went):
                    stale.add(_JAVA_ROOTS)
        # (a Go package's names are any of its files': one changing changes what the package holds)
        stale.update(sys.intern("gopkg:" + posixpath.dirname(path)) for path in looks.paths if path.endswith(".go"))
        for path in looks.paths:
            self._files.pop(path, None)
        for path in looks.paths:
            self._declarations.pop(path, None)
            self._held_attributes.pop(path, None)
            self._held_locals.pop(path, None)
            self._held_names.pop(path, None)
            self._given.pop(path, None)
            self._deprecations.pop(path, None)
        if looks.paths:
            self._names_of.clear()
            self._reached.clear()  # (an import anywhere may lead somewhere else now)
        users = list(self._gone_answers)
        self._gone_answers.clear()
        for name in stale:
            for frozen in self._holders.pop(name, ()):
                users += self._users.pop(frozen, ())
                # (still counted in _weight: the other names' holders keep it until a start over)
                self._frozen.pop(frozen, None)
        caches: dict[str, tuple[dict, ...]] = {
            "answer": (self._answers, self._read),
            "module": (self._modules, self._module_read),
            "entry": (self._entries, self._entry_read, self._entry_visited),
            "closure": (self._closures,),
        }
        for kind, memo in users:
            for cache in caches[kind]:
                cache.pop(memo, None)

    def _shared(self, read: set[str], user: tuple) -> frozenset[str]:
        """One frozenset for equal ones (most lookups in a file read the same files); unless
        the store is still, ``user`` (an answer's or a module's memo) is kept by it, so that
        what a change made stale is found among the distinct sets, not among every answer."""
        frozen = frozenset(read)
        shared = self._frozen.setdefault(frozen, frozen)
        if shared is frozen:
            self._weight += len(frozen)
            if not self.still:
                for name in frozen:
                    self._holders.setdefault(name, []).append(frozen)
        if not self.still:
            self._users.setdefault(shared, []).append(user)
        return shared

    def _forget(self) -> None:
        for cache in (
            self._files,
            self._modules,
            self._declarations,
            self._held_attributes,
            self._held_locals,
            self._held_names,
            self._given,
            self._deprecations,
            self._annotations,
            self._answers,
            self._read,
            self._module_read,
            self._entries,
            self._entry_read,
            self._entry_visited,
            self._closures,
            self._reached,
            self._frozen,
            self._users,
            self._holders,
        ):
            cache.clear()
        self._gone_answers.clear()
        self._by_module_name = None
        self._go_by_folder = self._go_module_paths = self._java_roots = None
        self._names_of.clear()
        self._weight = 0
        self._declared_kept = 0

    def _reading_store(self) -> None:
        """Called before each read of the store a lookup makes: past the lookup's deadline,
        stop it (it made a read already: asked again, it goes on from what that read)."""
        if self._deadline is not None:
            if self._reads_made and time.perf_counter() > self._deadline:
                raise OutOfTime
            self._reads_made += 1

    def _file(self, path: str) -> _FileInfo | None:
        entry = self._files.get(path)
        if entry is None:  # what the file holds, and what reading it makes a lookup depend on
            info = self._read_file(path)
            entry = self._files[path] = (info, _dependency(path, info is not None))
        if self._reading:
            self._reading[-1].add(entry[1])
        return entry[0]

    def _read_file(self, path: str) -> _FileInfo | None:
        return self._read_files([path])[path]

    def _read_stars(self, path: str, info: _FileInfo) -> None:
        """Read the modules ``path`` star-imports, together, before a search follows them one
        by one until one defines the name (four queries for all, not four each: a name looked
        up through networkx's or sympy's packages reads a hundred files or more)."""
        targets = {self._star_file(path, info, star.module) for star in info.stars}
        unread = sorted(target for target in targets if target is not None and target not in self._files)
        for target, read in self._read_files(unread).items():
            self._files[target] = (read, _dependency(target, read is not None))
        info.stars_read = True

    def _star_file(self, path: str, info: _FileInfo, module: str) -> str | None:
        """The file a star import of ``path`` most likely names (its first candidate the memory
        knows), without reading any; None when it cannot say so cheaply."""
        if self._by_module_name is None:
            return None
        if info.style == "python":
            candidates = _python_candidates(path, module)
        elif info.style == "ecmascript":
            candidates = _es_candidates(path, module)
        else:
            return None
        known = next((c for c in candidates if c in self._known_paths), None)
        if known is None and info.style == "python":
            return self._python_anywhere(module, read=False)
        return known

    def _read_files(self, paths: list[str]) -> dict[str, _FileInfo | None]:
        """What each file holds for resolution (None: not a file the memory knows), for all of
        them in four queries."""
        found: dict[str, _FileInfo | None] = dict.fromkeys(paths)
        if self._by_module_name is not None:
            # the files' paths were read since the store changed: no query for a file that is not one
            # (a module is looked for under up to four names; a star re-export across a package, hundreds)
            paths = [path for path in paths if path in self._known_paths]
        if paths:
            self._reading_store()
        db = self.store.db
        for first in range(0, len(paths), _READ_TOGETHER):
            chunk = paths[first : first + _READ_TOGETHER]
            marks = ",".join("?" * len(chunk))
            languages = dict(db.execute(f"SELECT path, language FROM files WHERE path IN ({marks})", chunk).fetchall())
            if not languages:
                continue
            imports: dict[str, list[str]] = {path: [] for path in languages}
            for path, text in db.execute(
                "SELECT c.path, o.object FROM current c JOIN observations o ON o.id = c.observation_id "
                # no name per row; "+o.id": else the planner reads the whole log in id order
                # rather than the files' runs and a sort (each file's imports in the order made)
                f"WHERE c.path IN ({marks}) AND +o.predicate_id = {PREDICATE_ID['imports']} ORDER BY +o.id",
                chunk,
            ).fetchall():
                imports[path].append(text)
            exports: dict[str, frozenset[str]] = {}
            binds: dict[str, set[str]] = {}
            for path, predicate, text in db.execute(
                "SELECT c.path, (SELECT name FROM predicates WHERE id = o.predicate_id), o.object "
                "FROM current c JOIN observations o ON o.id = c.observation_id "
                f"WHERE c.path IN ({marks}) "
                "AND +o.predicate_id IN (SELECT id FROM predicates WHERE name IN ('exports', 'binds'))",
                chunk,
            ).fetchall():
                if predicate == "exports":
                    exports[path] = frozenset(text.split())
                else:
                    binds.setdefault(path, set()).add(text)
            kinds: dict[str, dict[str, str]] = {path: {} for path in languages}
            for path, qualname, kind in db.execute(
                f"SELECT path, qualname, kind FROM symbols WHERE path IN ({marks}) AND qualname != ''", chunk
            ).fetchall():
                kinds[path][qualname] = kind
            for path, language in languages.items():
                spec = language_named(language)
                style = spec.modules if spec else None
                stars = []
                for text in imports[path]:
                    if '"*"' in text:  # a star import names "*" (and only then binds nothing)
                        try:
                            item = json.loads(text)
                        except ValueError:
                            continue
                        if _binding(item, style) is None:
                            stars.append(Binding("*", item.get("module", ""), None))
                # By module, not in the order observed: a star import added to a file later is
                # observed after the others, a fresh look sees the file's order, and the first
                # that has a name is the one followed. Which one Python binds (the last in the
                # file) the observations do not say: they keep no positions.
                stars.sort(key=lambda star: star.module)
                found[path] = _FileInfo(
                    language, style, imports[path], stars, kinds[path], exports=exports.get(path), binds=binds.get(path)
                )
        return found

    def _first_known(self, candidates) -> str | None:
        for candidate in candidates:
            if candidate and self._file(candidate) is not None:
                return candidate
        return None

    def _module_names(self) -> dict[str, list[str]]:
        """Python files by the name they are imported by (see :func:`_module_name`): checked
        once per store change (the paths, in the order of their index: ms for tens of
        thousands) and built again only when the files are not the same."""
        if self._by_module_name is None:
            self._reading_store()
            paths = [row[0] for row in self.store.db.execute("SELECT path FROM files ORDER BY path")]
            if paths != self._module_paths:
                by_name: dict[str, list[str]] = {}
                for path in paths:
                    name = _module_name(path)
                    if name is not None:
                        by_name.setdefault(name, []).append(path)
                self._module_paths, self._module_index = paths, by_name
                self._known_paths = frozenset(paths)
                self._go_by_folder = self._go_module_paths = self._java_roots = None
            self._by_module_name = self._module_index
        return self._by_module_name

    def _reindex(self, paths: set[str], now: set[str]) -> None:
        """The module index with ``paths`` added (those in ``now``) or taken out: files come
        and go one or a few at a time, and reading every path again took 40 ms on 19,000."""
        known = set(self._known_paths)
        if any(path.endswith(".go") for path in paths):
            self._go_by_folder = self._go_module_paths = None
        if any(path.endswith(".java") for path in paths):
            self._java_roots = None
        for path in sorted(paths):
            name = _module_name(path)
            entries = self._module_index.setdefault(name, []) if name is not None else None
            if path in now:
                known.add(path)
                bisect.insort(self._module_paths, path)
                if entries is not None:
                    entries.append(path)
            else:
                known.discard(path)
                self._module_paths.remove(path)
                if entries is not None:
                    entries.remove(path)
        self._known_paths = frozenset(known)

    def _python_anywhere(self, module: str, read: bool = True) -> str | None:
        """An absolute module under some source root (``src/pkg/m.py`` for ``pkg.m``).
        ``read``: what the lookup under way depends on includes it."""
        if module.startswith("."):
            return None
        rel = module.replace(".", "/")
        if self._reading and read:  # a file of this module may appear anywhere
            self._reading[-1].add(sys.intern(f"tail:{rel}"))
        endings = tuple(f"/{rel}{end}" for end in PYTHON_MODULE_FILES)
        matches = [path for path in self._module_names().get(rel.rsplit("/", 1)[-1], ()) if path.endswith(endings)]
        if matches:
            # A folder holding a package's `__init__.py` is no source root: what is under it is
            # not importable by that name. `from json import JSONEncoder` in flask's
            # `src/flask/scaffold.py` is the standard library's, not `src/flask/json/`; `import
            # jsonschema` in falcon's `falcon/media/validators/jsonschema.py` is PyPI's, not itself.
            matches = [path for path in matches if not self._inside_package(path, endings, read)]
        return min(matches, key=lambda p: (p.count("/"), p)) if matches else None

    def _inside_package(self, path: str, endings: tuple[str, ...], read: bool) -> bool:
        """Whether the folder ``path`` is found under (``path`` less the module's own part, one
        of ``endings``) is a Python package: what it holds is not importable by that name."""
        ending = next(end for end in endings if path.endswith(end))
        init = f"{path[: -len(ending)]}/__init__.py"
        if self._reading and read:  # (its coming or going changes the answer)
            self._reading[-1].add(sys.intern("file:" + init))
        return init in self._known_paths


# What every CommonJS module is handed (Node's module wrapper): a file's own `const require =
# createRequire(...)` shadows it, and once that goes, `require(...)` is the wrapper's again.
_MODULE_WRAPPER = frozenset(("require", "module", "exports", "__filename", "__dirname"))


def _global(style: str | None, name: str) -> bool:
    """Whether a bare ``name`` is the language's own when no definition of the file's binds it:
    a Python builtin (``open``), a CommonJS module's ``require``.

    >>> _global("python", "open"), _global("python", "fetch"), _global("ecmascript", "require")
    (True, False, True)
    >>> _global("go", "min"), _global("go", "helper")
    (True, False)
    """
    if style == "python":
        return hasattr(builtins, name)
    if style == "go":
        return name in PREDECLARED
    return style == "ecmascript" and name in _MODULE_WRAPPER


def _base_items(signature: str) -> list[str]:
    """A class signature's bases as written: ``Query extends Removable``, ``A extends B, C``
    (JavaScript, TypeScript); ``Query(Removable, m.Mixin)`` (Python)."""
    if " extends " in signature:
        return signature_items("(" + signature.split(" extends ", 1)[1] + ")")
    return signature_items(signature)


def _builtin_lacks(name: str, member: str) -> bool:
    """True when ``name`` is a Python builtin class without ``member``: ``_builtin_lacks('object', 'run')``."""
    found = getattr(builtins, name, None)
    return isinstance(found, type) and not hasattr(found, member)


_RUST_ROOTS = ("crate", "super", "self")
_GO_MODULES = "gomod:"  # what a lookup through a Go import depends on (see Resolver._go_modules)
_JAVA_ROOTS = "javaroots:"  # what a lookup of a Java package's class depends on (Resolver._java_source_roots)
_GLOB_SPECIAL = re.compile(r"([*?\[])")


def _enclosing(scope: str) -> list[str]:
    """``scope`` and the names around it, innermost first: ``tests.t`` gives ``tests.t``, ``tests``."""
    parts = scope.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


def _java_types(signature: str) -> tuple[str, ...]:
    """A Java method's parameter types as written, without names, annotations or ``final``.

    >>> _java_types("V get(final @Nullable K key, Callable<? extends V> loader)")
    ('K', 'Callable<? extends V>')
    """
    out = []
    for item in signature_items(signature):
        words = [word for word in item.split() if not word.startswith("@") and word != "final"]
        out.append(" ".join(words[:-1]))
    return tuple(out)


def _go_test(path: str) -> bool:
    """Whether a Go file is a test's: only ``go test`` builds it, with its package."""
    return path.endswith("_test.go")


def _glob_literal(text: str) -> str:
    """``text`` matched as it is by SQLite's GLOB.

    >>> _glob_literal("a*b[1]")
    'a[*]b[[]1]'
    """
    return _GLOB_SPECIAL.sub(r"[\1]", text)


def _is_package(path: str, info: _FileInfo) -> bool:
    """A Python package's ``__init__.py``: its submodules are names in it (``from pkg import mod``)."""
    return info.style == "python" and path.endswith("/__init__.py")


def _dependency(path: str, known: bool) -> str:
    """What a lookup that read ``path`` depends on: ``file:P``; for a Python module the memory
    does not know, ``tail:M`` of its module path instead, which its coming also changes (see
    :func:`module_endings`), and which ``m.py``, ``m/__init__.py`` and their stubs share: the
    four names a module is looked for under are one dependency, not four (on a large tree, most
    of what the tests' lookups read were files that do not exist).

    >>> _dependency("pkg/m.py", True), _dependency("pkg/m/__init__.pyi", False), _dependency("m.js", False)
    ('file:pkg/m.py', 'tail:pkg/m', 'file:m.js')
    """
    module = None if known else module_path(path)
    return sys.intern(f"tail:{module}" if module else f"file:{path}")


def module_endings(path: str) -> list[str]:
    """What a search for a module under any source root (``tail:T``) finds a file by: its
    module's path and every ending of it at a folder boundary; none for a file that is no
    Python module.

    >>> module_endings("src/pkg/m.py"), module_endings("src/pkg/__init__.pyi"), module_endings("a.js")
    (['src/pkg/m', 'pkg/m', 'm'], ['src/pkg', 'pkg'], [])
    """
    module = module_path(path)
    if not module:
        return []
    parts = module.split("/")
    return ["/".join(parts[n:]) for n in range(len(parts))]


def _module_name(path: str) -> str | None:
    """The name a Python file is imported by, last part only: ``m`` for ``a/m.py`` and
    ``a/m/__init__.py`` (and their ``.pyi``); None for any other file.

    >>> _module_name("src/pkg/m.py"), _module_name("src/pkg/__init__.pyi"), _module_name("a.js")
    ('m', 'pkg', None)
    """
    module = module_path(path)
    return module.rpartition("/")[2] if module else None


def _binding(item: dict, style: str | None) -> Binding | None:
    """One ``imports`` observation as a binding; None for a star import (``*``)."""
    module, name, alias = item.get("module", ""), item.get("name"), item.get("alias")
    if name == "*":
        return Binding(alias, module, None) if alias else None
    if style == "go":  # a package, by its name or the alias it is given (`_`, `.`: no name)
        return None if alias in ("_", ".") else Binding(alias or package_name(module), module, None)
    if style == "rust":  # `use a::b::C [as D];`, `use a::{self, b::c};` (the module), `use a;`
        if name == "self" or not name:
            return Binding(alias or module.rpartition("::")[2], module, None) if module not in _RUST_ROOTS else None
        return Binding(alias or name.rpartition("::")[2], module, name)
    if name is None:
        if style == "ecmascript":  # import d from "./m": the default export
            return Binding(alias, module, "default") if alias else None
        if alias:  # import a.b as x
            return Binding(alias, module, None)
        head = module.split(".")[0]  # import a.b binds a
        return Binding(head, head, None)
    return Binding(alias or name, module, name)


def _called(text: str) -> tuple[str, list[str]] | None:
    """A callee that is a member of a call's result, as (what is called, the member's names);
    None for any other.

    >>> _called("this.#client.getQueryCache().build"), _called("new Client(a, f(b)).get")
    (('this.#client.getQueryCache', ['build']), ('new Client', ['get']))
    >>> _called('", ".join'), _called("a().b().c"), _called("f(x)[0].y")
    (None, ('a().b', ['c']), None)
    """
    close = text.rfind(").")
    names = text[close + 2 :]
    if close < 0 or not _DOTTED.fullmatch(names.replace("#", "")):
        return None
    depth = 0
    for at in range(close, -1, -1):
        if text[at] == ")":
            depth += 1
        elif text[at] == "(":
            depth -= 1
            if depth == 0:
                callee = text[:at].strip()
                return (callee, names.split(".")) if _is_callee(callee) else None
    return None


def _is_callee(text: str) -> bool:
    """Whether ``text`` is a name, maybe ``new`` and maybe called with nothing, then members,
    each maybe after a call's arguments: ``new Client``, ``a().b``, ``db.select(x).where(y).run``.
    The members read off the front, what is left is empty or ``(...).name``, as the expression
    in the comment above says it.

    >>> [_is_callee(t) for t in ("new Client", "a().b", "db.f(x).g(y).h", "a.b(", "f(x)", "a b")]
    [True, True, True, False, False, False]
    """
    head = _CALLEE_HEAD.match(text)
    if head is None or "\n" in text:
        return False
    for start in (head.end() + 2, head.end()) if text.startswith("()", head.end()) else (head.end(),):
        rest = text[_MEMBERS.match(text, start).end() :]  # type: ignore[union-attr]
        if not rest:
            return True
        close = rest.rfind(")")  # (a member's name has none: the one before the last members)
        if rest[0] == "(" and close > 0 and _SOME_MEMBERS.fullmatch(rest, close + 1):
            return True
    return False


def _plain(text: str) -> str:
    """A callee as a dotted name: a chain broken over lines (the log keeps one space) or an
    optional one read as the names it goes through.

    >>> _plain("this.#client .getQueryCache"), _plain("this.#retryer?.continue"), _plain('", ".join')
    ('this.#client.getQueryCache', 'this.#retryer.continue', '", ".join')
    """
    return text.replace(" .", ".").replace("?.", ".") if " ." in text or "?." in text else text


def _memo(path: str, text: str, scope: str | None) -> tuple:
    """What a lookup's answer is kept under: a file says the same name many times, and only
    ``self``, ``this`` and ``super`` depend on where (a parameter's type: see ``lookup``); in
    Rust, ``Self`` and any name (a ``mod tests`` block's own ``connect`` hides the file's); in
    Java any name (a nested class's own method hides the outer class's)."""
    return (path, text, scope) if text.startswith(_SCOPED) or path.endswith((".rs", ".java")) else (path, text)


def held_parts(value: str) -> tuple[str, bool, str]:
    """An ``attribute`` or ``local`` observation: (name, made by a call, the class or callee text).

    >>> held_parts("client: Optional[Client]"), held_parts("#cache = Map"), held_parts("x")
    (('client', False, 'Optional[Client]'), ('#cache', True, 'Map'), ('', False, ''))
    """
    name, colon, annotation = value.partition(": ")
    if colon:
        return name, False, annotation
    name, equals, made = value.partition(" = ")
    return (name, True, made) if equals else ("", False, "")


def parameter_parts(item: str) -> tuple[str, str]:
    """One parameter as a signature writes it (an item of :func:`signature_items`): its name
    with any ``*``, ``...`` or ``?`` (TypeScript's modifiers dropped), and its annotation as
    written ("" when it has none).

    >>> parameter_parts("private readonly client?: Client = make()"), parameter_parts("*args: int")
    (('client?', 'Client'), ('*args', 'int'))
    >>> parameter_parts("cb: (x: number) => void"), parameter_parts("d = {'a': 1}"), parameter_parts("b=2")
    (('cb', '(x: number) => void'), ('d', ''), ('b', ''))
    """
    head, _, annotation = item.partition(":")
    name = head.split("=")[0]
    if "=" in head:
        annotation = ""  # (the colon was in the default value)
    for modifier in _MODIFIERS:
        name = name.replace(modifier, "")
    return name.strip(), _DEFAULT.split(annotation, maxsplit=1)[0].strip()


def _yielded(annotation: str) -> str:
    """What a return annotation gives a fixture's users: what a generator yields, else itself.

    >>> _yielded("typing.Iterator[TestServer]"), _yielded("Generator[Client, None, None]"), _yielded("App")
    ('TestServer', 'Client', 'App')
    """
    found = _YIELDS.fullmatch(annotation.strip().strip("'\"")) if "[" in annotation else None
    return found.group(1) if found else annotation


def _returns_self(signature: str, returns: str) -> bool:
    """Whether a method's ``signature``, returning ``returns``, returns the instance it is
    called on: ``-> Self``, or the type its first parameter is annotated with.

    >>> _returns_self("configure(self) -> Self", "Self"), _returns_self("__enter__(self: T) -> T", "T")
    (True, True)
    >>> _returns_self("copy(self, other: T) -> T", "T"), _returns_self("make() -> 'typing.Self'", "'typing.Self'")
    (False, True)
    """
    returns = returns.strip("'\"")
    if returns.rpartition(".")[2] == "Self":
        return True
    items = signature_items(signature)
    return bool(items) and parameter_parts(items[0])[1] == returns


def _returns(signature: str) -> str:
    """What a signature says its function returns, as written ("" when it does not say).

    >>> _returns("workspace(self) -> 'Workspace'"), _returns("get(k: string): Map<K, V>"), _returns("f(a)")
    ("'Workspace'", 'Map<K, V>', '')
    """
    depth = 0
    for at, ch in enumerate(signature):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                rest = signature[at + 1 :].strip()
                return rest.removeprefix("->").removeprefix(":").strip()
    return ""


def _functions_around(info: _FileInfo, scope: str, kinds: tuple[str, ...] = _FUNCTIONS) -> Iterator[str]:
    """``scope`` if it is a function, then the functions it is nested in, innermost first; a
    class body encloses nothing (``C.m``: only ``C.m``). (``kinds``: what counts as one.)"""
    parts = scope.split(".")
    for end in range(len(parts), 0, -1):
        function = ".".join(parts[:end])
        if info.kinds.get(function) in kinds:
            yield function


def _owner_class(info: _FileInfo, scope: str) -> str | None:
    """The class whose method ``scope`` is (or that ``scope`` is)."""
    parts = scope.split(".")
    for end in range(len(parts), 0, -1):
        qualname = ".".join(parts[:end])
        if info.kinds.get(qualname) in _CLASSES:
            return qualname
    return None


def signature_items(signature: str, angles: bool = True) -> list[str]:
    """The top-level comma-separated items between a signature's outer parentheses; ``angles``:
    ``<...>`` holds type arguments (not Go's, whose ``<-chan T`` opens nothing).

    >>> signature_items("f(a, b: dict[str, int] = {}, cb: (x: number) => void, *rest): T")
    ['a', 'b: dict[str, int] = {}', 'cb: (x: number) => void', '*rest']
    >>> signature_items("m(f: impl Fn(u8) -> u8, m: HashMap<K, V>)"), signature_items("f(a, b <-chan T)", angles=False)
    (['f: impl Fn(u8) -> u8', 'm: HashMap<K, V>'], ['a', 'b <-chan T'])
    """
    start = signature.find("(")
    if start < 0:
        return []
    opens, closes = ("([{<", ")]}>") if angles else ("([{", ")]}")
    depth, previous = 0, ""
    item: list[str] = []
    items: list[str] = []
    for ch in signature[start + 1 :]:
        if ch in opens:
            depth += 1
        elif ch in closes and not (ch == ">" and previous in "=-"):  # "=>", "->" close nothing
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(item).strip())
            item = []
        else:
            item.append(ch)
        previous = ch
    items.append("".join(item).strip())
    return [i for i in items if i]


def _python_candidates(from_path: str, module: str) -> list[str]:
    level = len(module) - len(module.lstrip("."))
    rest = module[level:].replace(".", "/")
    if level:
        base = posixpath.dirname(from_path)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
    else:
        base = ""
    stem = posixpath.join(base, rest) if rest else base
    if not rest:
        return [posixpath.join(base, "__init__.py"), posixpath.join(base, "__init__.pyi")]
    return [f"{stem}.py", f"{stem}/__init__.py", f"{stem}.pyi", f"{stem}/__init__.pyi"]


def module_tail(module: str) -> str:
    """The last name of a JavaScript or TypeScript module, by its import or its file's path:
    what an import of it and the file have in common, whatever folder either is in.

    >>> module_tail("../toDate/index.js"), module_tail("toDate/index.js"), module_tail("./anon")
    ('toDate', 'toDate', 'anon')
    >>> module_tail("src/c.ts"), module_tail("date-fns/toDate"), module_tail("./types.d.ts")
    ('c', 'toDate', 'types')
    """
    parts = [part for part in module.split("/") if part not in ("", ".", "..")]
    if not parts:
        return ""
    last = parts[-1]
    for ext in sorted(_ES_EXTENSIONS, key=len, reverse=True):
        if last.endswith(ext):
            last = last[: -len(ext)]
            break
    return parts[-2] if last == "index" and len(parts) > 1 else last


def _es_candidates(from_path: str, module: str) -> list[str]:
    if not module.startswith("."):
        return []  # a package from node_modules: not ours
    stem = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), module))
    if stem.startswith(".."):
        return []
    bare = stem
    for ext in (".js", ".jsx", ".mjs", ".cjs"):
        if stem.endswith(ext):  # TypeScript imports "./m.js" meaning ./m.ts
            bare = stem[: -len(ext)]
    return [stem, *(bare + ext for ext in _ES_EXTENSIONS), *(f"{stem}/index{ext}" for ext in _ES_EXTENSIONS)]
