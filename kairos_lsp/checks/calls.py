"""``stale-call``: a call the memory saw go stale when its callee's parameters changed.

A memory speaks about change it saw. A call is judged only when

* its callee is resolved with certainty (through imports, ``self``, a receiver
  whose class is known, or a method name one workspace class alone defines),
  and nothing may have changed what the callee takes: no overloads or
  redefinitions, no decorator other than those known to keep a signature, no
  class decorator and no inherited or ``__new__`` constructor; and
* the memory holds more than one parameter list for the callee: it saw the
  change.

It is flagged when it does not bind to the current parameters (by the
language's own rules, :mod:`kairos_lsp.checks.binding`) but did bind to an
earlier list, or was written after the change; and when it still binds but a
parameter inserted or removed ahead of a positional argument moved that
argument to another parameter. Code as first scanned raises nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from kairos_lsp.checks.binding import Bound, Param, bind, describe_change, parameters, receiver_dropped, shape
from kairos_lsp.checks.model import STALE_CALL, CheckedFile, Fix, Point, Problem, TextEdit
from kairos_lsp.checks.receivers import Receivers, builtin_method
from kairos_lsp.keys import path_of, qualname_of, symbol_key
from kairos_lsp.knowledge import Knowledge, Look
from kairos_lsp.languages import language_named
from kairos_lsp.languages.javatypes import MAKES_CONSTRUCTORS
from kairos_lsp.resolve import Found, Target, parameter_parts, signature_items
from kairos_lsp.sites import Argument, CallSite

# Decorators known to keep a function's signature; any other may change it.
_KEEPS_SIGNATURE = {
    "staticmethod",
    "classmethod",
    "functools.lru_cache",
    "lru_cache",
    "cache",
    "functools.cache",
    "functools.wraps",
    "abc.abstractmethod",
    "abstractmethod",
    "override",
    "typing.override",
    "typing_extensions.override",
    # (typeshed: `Callable[_P, Iterator[T]] -> Callable[_P, _GeneratorContextManager[T]]`)
    "contextlib.contextmanager",
    "contextmanager",
    "contextlib.asynccontextmanager",
    "asynccontextmanager",
}
# Class decorators known to leave the constructor alone.
_KEEPS_CLASS = {
    "final",
    "typing.final",
    "functools.total_ordering",
    "total_ordering",
    "runtime_checkable",
    "typing.runtime_checkable",
}
_CONSTRUCTORS = ("__init__", "constructor")
# Python's `__new__` is a static method without saying so: `super().__new__(cls, value, quote)`
# passes the class by hand (sqlalchemy's `_truncated_label` was judged one argument too many)
_STATIC_UNDECORATED = ("__new__",)
_RECEIVER_NAMES = frozenset(("self", "cls", "mcs", "mcls", "metacls", "klass"))
_NO_BASES = re.compile(r"[\w.]+\(\s*(object)?\s*\)")  # `class D():`, `class B(object):`
_DECORATOR_NAME = re.compile(r"^@?\s*([\w.]+)")
_LEADING_NAME = re.compile(r"\(*([A-Za-z_$#][\w$#]*)")  # a receiver's first name: `Path` in `(Path(a) / b)`
_SHAPE_OF = ("signature", "parameters")
_TYPE_PARAMETER = re.compile(r"[A-Z]\d?|T[A-Z]\w*")  # `T`, `U2`, `TValue`: as type parameters are named
_METACLASS = re.compile(r"\bmetaclass\s*=\s*([\w.]+)")
_PLAIN_METACLASSES = frozenset(("type", "ABCMeta", "abc.ABCMeta"))  # their `__call__` is `__init__`'s


@dataclass(frozen=True, slots=True)
class _Shape:
    """One parameter list the memory saw, and the look that first showed it."""

    params: list[Param]
    version: int
    at: str
    path: str


@dataclass(frozen=True, slots=True)
class _Callee:
    key: str
    name: str  # as a user calls it: the function, or the class for a constructor
    shapes: list[_Shape]  # distinct parameter lists, oldest first; the last is the current one
    # taken by its method's name alone (see _only_method): a call that never fit it says the
    # guess is wrong, not that the method changed
    guessed: bool = False


def judgeable(file: CheckedFile, calls: list[CallSite], failing: Sequence[tuple[int, int]] = ()) -> list[CallSite]:
    """The calls a check may hold to their callee: not those the code means to fail, inside
    ``failing`` (:attr:`kairos_lsp.sites.Sites.expecting_type_errors`: ``with
    pytest.raises(TypeError):``) or on a line that tells the type checker the call is wrong
    (``# type: ignore[call-arg]``, ``# pyright: ignore[reportCallIssue]``): urllib3's tests call
    ``request("GET", url, body)`` to see ``body`` is keyword-only, aiohttp's make a
    ``HTTPUnavailableForLegalReasons()`` without its ``link``. (TypeScript's ``//
    @ts-expect-error`` says nothing of which error: on hono's and valibot's lines it is a type's,
    and the calls there bind; see _judged.)"""
    kept = []
    for call in calls:
        at, row = call.callee_span.start_byte, call.callee_span.start[0]
        if any(lo <= at < hi for lo, hi in failing):
            continue
        if file.language == "python" and _TOLD_PYTHON.search(file.line(row)):
            continue
        kept.append(call)
    return kept


# (a bare ignore, or one naming a call's arity errors: mypy's and pyright's; not `arg-type`, a
# value of another type passed where one is taken: trio's `bad_call_run(f())  # type:
# ignore[arg-type]` passes the right number)
_TOLD_PYTHON = re.compile(
    rb"#\s*(type:\s*ignore(\[[^\]]*\b(call-arg|misc|call-overload)\b[^\]]*\])?(?![\[\w])"
    rb"|pyright:\s*ignore(\[[^\]]*\breportCallIssue\b[^\]]*\])?(?![\[\w]))"
)


def stale_calls(file: CheckedFile, calls: list[CallSite], receivers: Receivers) -> list[Problem]:
    out = []
    since: dict[str, str] = {}  # caller scope -> when its current body was first seen
    for call, scope, callee in _judged(file, calls, receivers):
        if len(callee.shapes) < 2:
            continue  # never seen changing: nothing to say
        caller = symbol_key(file.language, file.path, scope or "")
        if caller not in since:
            looks = file.knowledge.looks(caller, ("body_hash",))
            since[caller] = looks[-1].at if looks else "9999"  # not stored yet: written now
        if call.results:
            call = _counted(call, callee, since[caller])
        problem = _judge(file, call, callee, since[caller])
        if problem is not None:
            out.append(problem)
    return out


def unfit_calls(
    file: CheckedFile, calls: list[CallSite], receivers: Receivers
) -> tuple[int, list[tuple[CallSite, str, str]]]:
    """How many calls are judged with certainty, and those that do not bind to their callee's
    current parameters, seen change or not: ``(call, callee key, why)``.

    Not a diagnostic (code the memory never saw change raises nothing); on code known
    to work, such as a released project, every one is a mistake of resolution or
    binding, so this measures how closely the judging follows the language.
    """
    out, judged = [], 0
    for call, _, callee in _judged(file, calls, receivers):
        judged += 1
        bound = _bind(callee.shapes[-1].params, call)
        if not bound.ok:
            out.append((call, callee.key, _why(bound)))
    return judged, out


def _judged(
    file: CheckedFile, calls: list[CallSite], receivers: Receivers
) -> Iterator[tuple[CallSite, str | None, _Callee]]:
    """``(call, its scope, what it must fit)`` for every call judged with certainty."""
    callees: dict[tuple, _Callee | None] = {}  # a file calls the same few functions many times
    overrides: dict[str, list[_Callee | None]] = {}  # by the overridden method's key
    for call in calls:
        if call.spread and call.spread_keywords and not call.keywords and not call.positional:
            continue  # `f(*args, **kwargs)` fits whatever `f` takes
        scope = file.scope(call.callee_span.start)
        resolved = _resolve(file, call, receivers, scope)
        if resolved is None:
            continue
        memo = (*resolved, call.callee)
        if memo not in callees:
            key, bound, guessed = resolved
            found = _callee(file.knowledge, key, bound, call)
            callees[memo] = replace(found, guessed=True) if found is not None and guessed else found
        callee = callees[memo]
        if callee is None:
            continue
        # (asked only of a call a change could have left behind, or that does not fit: the
        # overrides are read from the whole memory). Through another receiver too where the
        # code narrowed what it holds to a class below the one its annotation or maker names
        # (SQLAlchemy's `dest_impl = dest_state.get_impl(key)`, `-> AttributeImpl`, then `assert
        # is_has_collection_adapter(dest_impl)` before `dest_impl.set(..., _adapt=False)`).
        # (the narrowing read last: it reads the function's text up to the call)
        if (len(callee.shapes) > 1 or not _fits(callee.shapes[-1], call)) and (
            _through_self(call) or _narrowed(file, call, scope)
        ):
            if callee.key not in overrides:
                overrides[callee.key] = [
                    _callee(file.knowledge, key, True, call) for key in file.knowledge.resolver.overrides(callee.key)
                ]
            if _overridden_otherwise(callee, overrides[callee.key], call):
                continue  # (the instance's class's method may run: sanic's `Sanic._apply_route`)
        # A guess by name, a JavaScript caller (no checker holds it to a TypeScript signature:
        # mobx 7's tests call `_startAction("a1")` of a function of three required parameters),
        # or a call the line before tells TypeScript is wrong (`// @ts-expect-error`: graphql-js's
        # `identityFunc()`, ky's `new HTTPError(response, request)`; on most such lines the error
        # is a type's, and the call binds) is judged only where it fit at some time: one that
        # never did was meant so.
        if (callee.guessed or file.language == "javascript" or _told_typescript(file, call)) and not _ever_fits(
            callee, call
        ):
            continue
        yield call, scope, callee


def _resolve(
    file: CheckedFile, call: CallSite, receivers: Receivers, scope: str | None
) -> tuple[str, bool | None, bool] | None:
    """(callee key, whether a receiver fills ``self``, whether it is a guess by the method's
    name), or None when not certain.

    ``None`` for the second: decide by how the call names it (``Cls.m`` passes
    ``self`` by hand); False: through its class, under whatever name.
    """
    resolver = file.knowledge.resolver
    receiver, _, method = call.callee.rpartition(".")
    if receiver and receivers.replaced(call.callee, scope):
        return None  # (the scope put something else there: a mock)
    if receiver in ("", "this") and receivers.in_anonymous_class(call.callee_span.start_byte):
        return None  # (Java's `new TimerTask() { ... cancel(); }`: the class it extends may have it)
    if file.language == "java" and call.callee in ("this", "super"):  # a constructor's first statement
        owner = receivers.owner_class(scope or "")
        if owner is None:
            return None
        if call.callee == "this":
            return symbol_key("java", file.path, owner), False, False
        base = resolver.java_superclass(file.path, owner)
        return (base, False, False) if base is not None else None
    head = call.callee.split(".")[0]
    if head in file.kinds() and head in resolver.bindings(file.path):
        # Defined and imported by one file (an import inside a function, werkzeug's `def make_app():
        # from cupoftee import make_app`; an import with a fallback definition): which one a
        # call reaches depends on where it is written and what ran.
        return None
    nested = _nested_definition(file, receivers, head, scope)
    if nested is not None:  # a function defined in an enclosing function shadows the module's
        return (symbol_key(file.language, file.path, nested), None, False) if not receiver else None
    at = call.callee_span.start
    bound_here = receivers.local(head, scope, at) if head not in ("self", "this") else None
    # (``self.client.m()``: the memory's reading of what ``client`` holds takes the class its
    # annotations or constructions name; a check wants every binding in this file to agree)
    attribute_held = head in ("self", "this") and "." in receiver
    if bound_here is None and not attribute_held:  # not a local name: imports, definitions, self
        target = resolver.lookup(file.path, call.callee, scope)
        if isinstance(target, Found) and not receiver and path_of(target.key) == file.path:
            defined = file.symbol(qualname_of(target.key))
            if defined is not None and not receivers.seen(defined.start, at):
                return None  # (declared in an anonymous function the call is not in)
        if isinstance(target, Found):
            # (through a class under another name: networkx's `from .test_graph import TestGraph
            # as _TestGraph`, then `_TestGraph.setup_method(self)` passes self by hand)
            held = resolver.lookup(file.path, receiver, scope) if receiver else None
            through_class = isinstance(held, Found) and file.kind_of(held.key) == "class"
            return target.key, False if through_class else None, False
        if not receiver:
            return None
    if not receiver:
        return None  # a local name bound to some value: not the function the imports say
    target = through_receiver(file, receivers, call.callee, scope, at)
    if target is not None or receivers.class_of(receiver, scope, at) is not None:
        return (target.key, True, False) if isinstance(target, Found) else None
    given = resolver.given_by_fixture(file.path, call.callee, scope)
    if isinstance(given, Found):  # (a test's parameter: what the pytest fixture of its name gives)
        return given.key, True, False
    if receiver.split(".")[0] in ("self", "this") and receiver.count(".") == 0:
        return None  # self.m() the class does not define: inherited from somewhere unknown
    guessed = _only_method(file, receivers, receiver, method, scope, at)
    return (guessed, True, True) if guessed is not None else None


def through_receiver(file: CheckedFile, receivers: Receivers, text: str, scope: str | None, at: Point) -> Target:
    """``x.m`` where the file says what class ``x`` holds (:meth:`Receivers.class_of`): ``m`` of
    that class, or of the one the function that made it declares to return (websockets'
    `self.connection = await self.create_connection()`, `-> ClientConnection`); None when the
    file does not say."""
    receiver, _, method = text.rpartition(".")
    kind = receivers.class_of(receiver, scope, at) if receiver else None
    if kind is None and file.language == "go" and "." in receiver:
        # (Go: a field of a typed value, `ctx.cfg.Admin.provision()`, as the struct declares it;
        # Python's and TypeScript's attributes the resolver reads from what their code assigns)
        head, _, fields = receiver.partition(".")
        kind = receivers.class_of(head, scope, at)
        method = f"{fields}.{method}"
    if kind is None:
        return None
    resolver = file.knowledge.resolver
    cls = resolver.lookup(file.path, kind, scope)
    if isinstance(cls, Found) and file.kind_of(cls.key) in ("function", "method"):
        return resolver.lookup(file.path, f"{kind}().{method}", scope)
    if not isinstance(cls, Found) or file.kind_of(cls.key) not in ("class", "interface"):
        return None
    return resolver.lookup(file.path, f"{kind}.{method}", scope)


def _overridden_otherwise(callee: _Callee, overrides: list[_Callee | None], call: CallSite) -> bool:
    """Whether an override of the method (``overrides``: None for one not modelled) takes the
    call otherwise than the method: a call through ``self``, or through a receiver the code
    narrowed to a class below, may be meant for the override
    (sanic's `RouteMixin._apply_route(self, route)` raises NotImplementedError;
    `Sanic._apply_route(self, route, overwrite)`, which runs, takes the call's `overwrite=`).
    Overrides the call fits as it fits the method (a template method's: Django REST framework's
    `get_queryset(self)`) leave it judged."""
    fits = _fits(callee.shapes[-1], call)
    return any(override is None or _fits(override.shapes[-1], call) != fits for override in overrides)


def _fits(form: _Shape, call: CallSite) -> bool:
    return _bind(form.params, call).ok


def _bind(params: list[Param], call: CallSite) -> Bound:
    return bind(params, call.positional, call.keywords, call.spread, call.spread_keywords)


def _through_self(call: CallSite) -> bool:
    """Whether the call is of the instance's own method: ``self.m()``, ``this.m()``."""
    receiver, _, _ = call.callee.rpartition(".")
    return receiver in ("self", "this")


def _narrowed(file: CheckedFile, call: CallSite, scope: str | None) -> bool:
    """Whether the code before the call, in its function, tests what the receiver's first name
    holds as a type checker narrows it: ``isinstance(x, C)``, ``assert is_c(x)`` (a type guard),
    ``x instanceof C``."""
    receiver = call.callee.rpartition(".")[0]
    if not receiver or receiver.startswith(("self", "this", "super")) or scope is None:
        return False
    head = re.escape(receiver.split(".")[0])
    symbol = file.symbol(scope)
    start = file.point(symbol.span[0])[0] if symbol is not None else 0
    before = b"\n".join(file.line(row) for row in range(start, call.callee_span.start[0] + 1))
    return (
        re.search(
            rf"isinstance\(\s*{head}\s*,|assert\s+[\w.]+\(\s*{head}\s*[,)]|\b{head}\s+instanceof\b".encode(), before
        )
        is not None
    )


def _told_typescript(file: CheckedFile, call: CallSite) -> bool:
    """Whether the line before ``call`` tells TypeScript it has an error (``// @ts-expect-error``,
    ``// @ts-ignore``)."""
    row = call.callee_span.start[0]
    return (
        file.language in ("typescript", "tsx") and row > 0 and _TOLD_TYPESCRIPT.search(file.line(row - 1)) is not None
    )


_TOLD_TYPESCRIPT = re.compile(rb"^\s*//\s*@ts-(expect-error|ignore)\b")


def _ever_fits(callee: _Callee, call: CallSite) -> bool:
    """Whether ``call`` binds to any parameter list the memory saw ``callee`` have: for a guess
    by name, the evidence that it is the method called (vitest's `runner.worker.canReuse(task)`
    calls its `PoolWorker`'s, not the one class's `canReuse()` that never took an argument); for
    a JavaScript caller, that it means to pass what the callee takes."""
    return any(_fits(form, call) for form in callee.shapes)


def _only_method(
    file: CheckedFile, receivers: Receivers, receiver: str, method: str, scope: str | None, at: Point
) -> str | None:
    """``x.m()`` with ``x`` of unknown class, when one class alone in the workspace defines ``m``: its key.

    Only when nothing says what ``x`` is (it is bound, if at all, as an untyped
    parameter): not when it is imported (a module, or a name from outside),
    defined in the file, or assigned; not for names the language's own types or its platform's
    classes define (every file's, or those of a module the file imports), nor for
    classes local to a function (nothing else reaches them), nor a capitalized name bound
    nowhere (a global: zod's `Number.isFinite` is not its `ZodNumber.isFinite`).
    """
    if receiver.split(".")[0] in ("super()", "super"):
        return None  # the base class's method, which the resolver answers: never the class's own
    if file.language == "java":
        return None  # (a Java name the file does not type is a field a base declares, or a lambda's
        # parameter whose type the call it is passed to says: the platform's classes as often as ours)
    # (`Path(__file__).parent.resolve`, `(Path(a) / b).resolve`: what an imported name makes)
    leading = _LEADING_NAME.match(receiver)
    head = leading.group(1) if leading else receiver.split(".")[0]
    if head in file.knowledge.resolver.bindings(file.path) or head in file.kinds():
        return None
    if receiver[:1].isupper() and receiver.isidentifier() and receivers.local(receiver, scope, at) is None:
        return None  # (`Number.isFinite`, `Math.max`: a global class or namespace, no instance of ours)
    if not receivers.only_parameters(receiver, scope, at):
        return None
    # (nor where the platform has a class of that method: urllib3's tests call `wrap_socket` on an
    # `ssl.SSLContext`, trpc's fetch adapter `text()` on a `Request`, not the workspace's one)
    imported = (binding.module for binding in file.knowledge.resolver.bindings(file.path).values())
    if builtin_method(file.language, method, imported):
        return None
    store = file.knowledge.store
    family = _FAMILIES.get(file.language, (file.language,))
    named = [row for row in store.symbols_named(method) if row["language"] in family]
    if len(named) != 1 or named[0]["kind"] != "method":
        return None
    row = named[0]
    owner = row["qualname"].rpartition(".")[0]
    parts = owner.split(".")
    for end in range(1, len(parts) + 1):
        enclosing = store.symbol_by_qualname(row["path"], ".".join(parts[:end]))
        if enclosing is None or enclosing["kind"] not in ("class", "interface"):
            return None
    spec = language_named(file.language)
    if spec is not None and spec.typed_through_imports and not file.knowledge.resolver.reaches(file.path, row["path"]):
        # TypeScript gives an untyped callback parameter the type the function it is passed to
        # declares, found through the file's imports: a class beyond them is not what it holds
        # (trpc's tests' `client.useQueries((t) => [t.post.byId(...)])` is no call of the
        # `User.byId` its openapi example generated)
        return None
    return row["key"]


# The languages whose classes a file's untyped receiver may hold one of.
_FAMILIES = {language: ("typescript", "tsx", "javascript") for language in ("typescript", "tsx", "javascript")}

# What a definition inside may be local to: a function, and (JavaScript, TypeScript) a module
# constant, whose value's own functions are named with it (`const h = wrap(() => { const run =
# ...; run(1) })` calls its own `h.run`).
_ENCLOSING = ("function", "method", "constant")


def _nested_definition(file: CheckedFile, receivers: Receivers, name: str, scope: str | None) -> str | None:
    """The qualified name of ``name`` defined inside an enclosing function, if any (and not
    bound by a function nearer the call: effect's `patch: (patch, oldValue) => patch(oldValue)`
    calls its parameter, not itself)."""
    parts = scope.split(".") if scope else []
    defined = file.kinds()
    for end in range(len(parts), 0, -1):
        here = ".".join(parts[:end])
        # (a method of an object the function builds binds no name: `detectMutations() { return
        # detectMutations(...) }` in redux's trackForMutations calls the module's function)
        # (its parameter first: a function's own definition of the name beside a parameter of it is
        # an object's property, effect's `(id, decode) => transformOrFail(..., { decode: ... })`)
        if receivers.has_parameter(here, name):
            return None
        if defined.get(here) in _ENCLOSING and defined.get(f"{here}.{name}") not in (None, "method"):
            # (nor beside another variable of its name: one of the two is in an anonymous
            # function, or the variable holds something else first: which one a call means is
            # not ours to say; effect's `const runRaw = Effect.fnUntraced(function*(handler) {
            # function runRaw(data) {...} })`, then `runRaw(f)`; vue's `let slot = slots[name]`,
            # then maybe `slot = () => []`)
            nested = file.symbol(f"{here}.{name}")
            assert nested is not None
            return None if receivers.has_variable(here, name, besides=nested.name_start) else nested.qualname
        own = file.symbol(here)
        if own is not None and receivers.has_variable(here, name, besides=own.name_start):
            # (a variable of the name nearer the call: TanStack router's `const middleware =
            # middlewares[index]!` in `applyNext`, beside the enclosing function's `function
            # middleware()`; not the function's own name, `const f = () => f()` binds where f begins)
            return None
    return None


def _callee(knowledge: Knowledge, key: str, bound: bool | None, call: CallSite) -> _Callee | None:
    """What a call must fit, or None when something may change it unseen."""
    store = knowledge.store
    row = store.symbol(key)
    if row is None or "~" in row["qualname"] or store.symbol(f"{key}~2") is not None:
        return None  # overloads and redefinitions: which one a call meets is not ours to say
    read = store.file(row["path"])
    if read is None or read["has_errors"]:
        # The callee's file did not parse: what the memory read of it may be a piece of a
        # declaration (tree-sitter-typescript reads `<A>(a: A): A` after another call signature
        # on a new line as an error, tree-sitter/tree-sitter-typescript#335: half of effect's
        # files, their overloads lost), or a file being typed.
        return None
    if row["language"] == "javascript":
        # Any call fits a JavaScript function: a parameter left out is undefined, an argument
        # more is ignored or read through ``arguments`` (axios, undici and date-fns as released
        # make 310 such calls). TypeScript holds calls to the parameters; JavaScript does not.
        return None
    name = row["name"]
    lost = None
    java = row["language"] == "java"
    if row["kind"] in ("class", "interface"):
        annotations = _values(knowledge, key, "decorated_by")
        if java and any(_named(d) in MAKES_CONSTRUCTORS for d in annotations):
            return None  # (Lombok's `@AllArgsConstructor`, `@Builder`: constructors the source has not)
        if not java and any(not _known(d, _KEEPS_CLASS) for d in annotations):
            return None  # a dataclass, attrs or pydantic class: its __init__ is generated
        if store.symbol(f"{key}.__new__") is not None:
            return None
        if any(_made_by_own_metaclass(signature) for signature in _values(knowledge, key, "signature")):
            return None
        if java and any("(" in signature for signature in _values(knowledge, key, "signature")):
            return None  # (a record: its canonical constructor is the compiler's, `R(int a, String b)`)
        for init in _constructors(row["language"], name):
            found = store.symbol(f"{key}.{init}")
            if found is not None:
                row, key, bound = found, found["key"], True
                break
        else:
            lost = _lost_constructor(knowledge, key, row["language"])
            if lost is None:
                return None  # inherited or generated: not modelled
            key, bound = lost.key, True
        if store.symbol(f"{key}~2") is not None:
            return None  # overloaded constructors
    elif row["name"] in _CONSTRUCTORS:
        return None
    if row["kind"] not in ("function", "method", "constructor") and lost is None:
        return None
    # (a Java annotation changes no parameter list: `@Override`, `@Nullable`, `@Deprecated`)
    decorators = [_DECORATOR_NAME.match(d) for d in _values(knowledge, key, "decorated_by")] if not java else []
    names = {m.group(1) if m else "" for m in decorators}
    if row["name"] in _STATIC_UNDECORATED:
        names.add("staticmethod")
    if any(not _known(n, _KEEPS_SIGNATURE) for n in names):
        return None  # a decorator may change what the call takes
    looks = knowledge.looks(key, _SHAPE_OF)
    last = looks[-1].values.get("parameters") if looks and row["kind"] == "method" else None
    if not bound:  # named through the resolver: ``obj.m()`` and ``self.m()`` fill self, ``Cls.m()`` does not
        owner = row["qualname"].rpartition(".")[0].rpartition(".")[2]
        through_class = bound is False or call.callee.rpartition(".")[0].rpartition(".")[2] == owner
        if through_class and row["kind"] == "method" and not names & {"staticmethod", "classmethod"}:
            if row["language"] in ("python", "go") or (row["language"] == "rust" and _takes_self(last)):
                # Cls.method(obj, ...), Go's `T.M(t, ...)`, Rust's `Client::send(&c, ...)`: the
                # receiver is passed by hand (Rust's `Client::new(...)` takes none: judged)
                return None
            holder = store.symbol(key.rpartition(".")[0])
            if holder is None or holder["kind"] != "class":
                return None  # (an object's method: `const d = cond ? { createTreeWalker() {...} } : document`)
            # (TypeScript: a method called through its class is a static one, `ApolloLink.from(...)`;
            # an instance's is not there to call)
        bound = True
    shapes: list[_Shape] = []
    drops = "staticmethod" not in names and (bound or "classmethod" in names) and row["kind"] != "function"
    # (the decorators are the method's now; a look from before it became static, or stopped
    # being, says so by its first parameter: gunicorn's `@staticmethod _strip_body_framing_headers(headers)`
    # became `@classmethod (cls, headers, status)`)
    receiver_now = _receiver_first(json.loads(last)) if last else None
    for look in looks:
        signature, pairs = look.values.get("signature"), look.values.get("parameters")
        if signature is None or pairs is None:
            continue
        listed = json.loads(pairs)
        params = parameters(listed, signature, row["language"])
        if params is None:
            return None  # how some parameter is passed is unknown
        if row["language"] in ("typescript", "tsx"):
            params = _generic_left_optional(knowledge, row["path"], signature, params)
        drop = drops
        if row["language"] == "python" and receiver_now is not None and _receiver_first(listed) != receiver_now:
            drop = not receiver_now  # (it was static, or it was not)
        if drop:
            params = receiver_dropped(params, row["language"])
        if shapes and shape(shapes[-1].params) == shape(params):
            continue
        shapes.append(_Shape(params, look.version, look.at, look.path))
    if lost is not None and shapes and shapes[-1].params:  # (it takes nothing now)
        shapes.append(_Shape([], lost.gone.version, lost.gone.at, lost.gone.path))
    if java and row["kind"] == "method" and shapes and _overloaded_above(knowledge, key, shapes[-1].params):
        return None
    return _Callee(key, name, shapes) if shapes else None


def _overloaded_above(knowledge: Knowledge, key: str, params: list[Param]) -> bool:
    """Whether a call of the Java method ``key`` by its name may meet another method than it:
    one of its name a base of its class has, or may have, taking arguments otherwise (an
    override takes them as it does)."""
    namesakes = knowledge.resolver.java_namesakes(key)
    if namesakes is None:
        return True
    taken = [(p.required, p.star) for p in params]
    for other in namesakes:
        if other == key:
            continue
        signatures = _values(knowledge, other, "signature")
        theirs = parameters([], signatures[0], "java") if signatures else None
        if theirs is None or [(p.required, p.star) for p in theirs] != taken:
            return True
    return False


def _takes_self(parameters: str | None) -> bool:
    """Whether a Rust method takes ``self`` (not an associated function), by its latest
    ``parameters`` observation."""
    listed = json.loads(parameters) if parameters else []
    return bool(listed) and listed[0][0] == "self"


def _receiver_first(listed: list) -> bool | None:
    """Whether a Python method's first parameter (``parameters`` as observed, decoded) is named
    as a receiver is (``self``, ``cls``); None when it has none to tell."""
    return listed[0][0] in _RECEIVER_NAMES if listed else None


@dataclass(frozen=True, slots=True)
class _Lost:
    key: str  # the constructor's, gone
    gone: Look  # the look that saw it go


def _lost_constructor(knowledge: Knowledge, cls: str, language: str) -> _Lost | None:
    """The constructor a class had and lost, when the class has no base to take one from
    (hono's `class Node` dropped its `constructor(method?, handler?)`: `new Node('get',
    handler)` then passes two arguments to a class that takes none; Python's `class A:` alone,
    or on `object`), or None."""
    signatures = _values(knowledge, cls, "signature")
    if language == "python":
        baseless = all(_NO_BASES.fullmatch(signature) for signature in signatures)
    elif language == "java":  # (a Java class's constructors are its own: none is inherited)
        baseless = True
    else:
        baseless = language in ("typescript", "tsx") and not any(" extends " in s for s in signatures)
    held = {re.split(r"[:=\s]", value, maxsplit=1)[0] for value in _values(knowledge, cls, "attribute")}
    if not baseless or held & set(_CONSTRUCTORS):
        return None  # (a base, or a constructor the class body assigns: `__init__ = _init`)
    for init in _constructors(language, qualname_of(cls).rpartition(".")[2]):
        looks = knowledge.looks(f"{cls}.{init}", _SHAPE_OF)
        if len(looks) > 1 and not looks[-1].values:
            return _Lost(f"{cls}.{init}", looks[-1])
    return None


def _generic_left_optional(knowledge: Knowledge, path: str, signature: str, params: list[Param]) -> list[Param]:
    """TypeScript parameters typed by what looks like a type parameter (``T``, ``TValue``: a
    bare name so written that the callee's file neither defines nor imports), or by a union of
    one, made optional:
    instantiated ``void`` it may be left out (RxJS's ``new Subject<void>()``, then
    ``notifier.next()``), and the memory keeps no type arguments to tell."""
    generic = set()
    for item in signature_items(signature):
        name, annotation = parameter_parts(item)
        # (one of a union too: a `Promise`'s `resolve(value: T | PromiseLike<T>)`)
        for part in annotation.split("|"):
            if _TYPE_PARAMETER.fullmatch(part.strip()) and knowledge.resolver.lookup(path, part.strip()) is None:
                generic.add(name.rstrip("?"))
    return [replace(p, required=False) if p.name in generic else p for p in params] if generic else params


def _constructors(language: str, cls: str) -> tuple[str, ...]:
    """The names a class's constructor has: Java's is the class's own (``Client.Client``)."""
    return (cls,) if language == "java" else _CONSTRUCTORS


def _named(annotation: str) -> str:
    """An annotation's or decorator's last name: ``Builder`` for ``@lombok.Builder(toBuilder = true)``."""
    match = _DECORATOR_NAME.match(annotation)
    return match.group(1).rpartition(".")[2] if match else ""


def _made_by_own_metaclass(signature: str) -> bool:
    """Whether a class's bases name a metaclass other than the standard library's: its
    ``__call__`` may take what it likes (hypothesis's ``ExampleDatabase(metaclass=_EDMeta)``
    takes a path its ``__init__`` does not)."""
    found = _METACLASS.search(signature)
    return found is not None and found.group(1) not in _PLAIN_METACLASSES


def _known(decorator: str, keeps: set[str]) -> bool:
    match = _DECORATOR_NAME.match(decorator)
    return match is not None and match.group(1) in keeps


def _values(knowledge: Knowledge, key: str, predicate: str) -> list[str]:
    return [obs["object"] for obs in knowledge.store.current(key) if obs["predicate"] == predicate]


def _judge(file: CheckedFile, call: CallSite, callee: _Callee, written: str) -> Problem | None:
    """``written``: when the caller's current code was first seen (ISO time; a look at the
    callee at the same moment, the same scan, counts as the same change)."""
    now = callee.shapes[-1]
    fit_now = _bind(now.params, call)
    earlier = None  # the latest earlier parameter list the call fits, and the change that followed it
    for i in range(len(callee.shapes) - 2, -1, -1):
        if _fits(callee.shapes[i], call):
            earlier = (callee.shapes[i], callee.shapes[i + 1])
            break
    last_change = callee.shapes[-1]
    if not fit_now.ok:
        if earlier is not None:
            before, change = earlier
        elif written >= last_change.at:  # written (or rewritten) with or after the change
            before, change = callee.shapes[-2], last_change
        else:
            return None  # it never fit what the memory saw: not a change it saw
        return _problem(file, call, callee, before, change, written, fit_now, _why(fit_now))
    before = callee.shapes[-2]
    if written >= last_change.at:
        return None  # written against the current parameters
    old = _bind(before.params, call)
    if not old.ok:
        return None
    old_names = {p.name for p in before.params}
    new_names = {p.name for p in now.params}
    # A parameter renamed in place takes the same argument; one inserted or removed ahead moves it.
    moved = [
        (i, was, new)
        for i, (was, new) in enumerate(zip(old.slots, fit_now.slots))
        if was != new and "*" not in (was, new) and (was in new_names or new in old_names)
    ]
    # One the author renamed in place and kept for a while as a deprecated keyword (marshmallow
    # 2.1: `Function(func)` became `Function(serialize=None, deserialize=None, func=None)`,
    # warning when `func` is given): the argument lands on the new name it is meant for.
    retired = file.knowledge.resolver.deprecated_parameters(path_of(callee.key)).get(qualname_of(callee.key), {})
    moved = [(i, was, new) for i, was, new in moved if was not in retired]
    if not moved:
        return None
    why = "its " + "; its ".join(f"argument {i + 1} now lands on `{new}`, not `{was}`" for i, was, new in moved)
    problem = _problem(file, call, callee, before, last_change, written, fit_now, why)
    fix = _keywords_fix(file, call, before, now, moved[0][0])
    if fix is not None:
        problem.fixes.append(fix)
    return problem


def _counted(call: CallSite, callee: _Callee, written: str) -> CallSite:
    """A call passing what another returns (Go's `f(g())`), with as many arguments as the
    parameters the callee had when the call was written: it compiled then, so the call gave
    that many (urfave/cli's `flagSplitMultiValues(strings.Join(opts, ";"))` passed one, to a
    function that came to take three). Unchanged when those took any number (`...T`)."""
    then = [form for form in callee.shapes if form.at <= written]
    if not then or any(p.star for p in then[-1].params):
        return call
    return replace(call, positional=len(then[-1].params), spread=False, results=False)


def _why(bound: Bound) -> str:
    why = []
    if bound.missing:
        why.append("leaves out " + ", ".join(f"`{n}`" for n in bound.missing))
    if bound.extra:
        why.append(f"passes {bound.extra} positional argument{'s' if bound.extra > 1 else ''} too many")
    if bound.unknown:
        why.append("passes " + ", ".join(f"`{k}=`" for k in bound.unknown) + " which it no longer takes")
    if bound.twice:
        why.append("gives " + ", ".join(f"`{k}`" for k in bound.twice) + " twice (by position and by name)")
    return "it " + " and ".join(why)


def _problem(
    file: CheckedFile,
    call: CallSite,
    callee: _Callee,
    before: _Shape,
    change: _Shape,
    written: str,
    bound: Bound,
    why: str,
) -> Problem:
    when = change.at[:16].replace("T", " ")
    told = "predates it" if written < change.at else "was written after it"
    message = (
        f"`{callee.name}` {describe_change(before.params, change.params)} on {when} UTC ({change.path}); "
        f"this call {told}: {why}"
    )
    problem = Problem(STALE_CALL, "warning", message, call.args.start, call.args.end, callee.key)
    problem.fixes = _call_fixes(file, call, bound, callee.shapes[-1].params)
    return problem


def _call_fixes(file: CheckedFile, call: CallSite, bound: Bound, params: list[Param]) -> list[Fix]:
    fixes = []
    if (
        len(bound.unknown) == 1
        and len(bound.missing) == 1
        and file.language == "python"
        and not bound.extra
        and not bound.twice
    ):
        # A keyword the callee renamed: pass it under its new name.
        at = file.keyword_span(call, bound.unknown[0])
        if at is not None:
            fixes.append(
                Fix(
                    f"Rename keyword `{bound.unknown[0]}=` to `{bound.missing[0]}=`",
                    [TextEdit(at.start, at.end, bound.missing[0])],
                    preferred=True,
                )
            )
            return fixes
    if bound.missing and not bound.unknown and not bound.extra and not bound.twice:
        by_name = {p.name: p for p in params}
        args = [_placeholder(file.language, by_name[name]) for name in bound.missing]
        insert_at = call.last_arg_end if call.last_arg_end is not None else call.args.start_byte + 1
        text = (", " if call.last_arg_end is not None else "") + ", ".join(args)
        point = file.point(insert_at)
        label = ", ".join(f"`{a}`" for a in args)
        fixes.append(
            Fix(
                f"Add missing argument{'s' if len(args) > 1 else ''} {label}",
                [TextEdit(point, point, text)],
                preferred=True,
                missing=tuple(bound.missing),
            )
        )
    if bound.unknown and not bound.missing and not bound.extra and not bound.twice:
        cut = [arg for arg in call.arguments if arg.keyword in bound.unknown]
        if len(cut) == len(bound.unknown):
            names = ", ".join(f"`{k}=`" for k in bound.unknown)
            fixes.append(Fix(f"Remove {names}", _remove(file, call, cut), preferred=True))
    if bound.extra and not bound.missing and not bound.unknown and not bound.twice:
        positional = [arg for arg in call.arguments if arg.keyword is None]
        if len(positional) == call.positional:
            cut = positional[len(positional) - bound.extra :]
            fixes.append(
                Fix(f"Remove {bound.extra} extra argument{'s' if bound.extra > 1 else ''}", _remove(file, call, cut))
            )
    return fixes


def _remove(file: CheckedFile, call: CallSite, cut: list[Argument]) -> list[TextEdit]:
    """Edits removing some arguments with the commas that separate them from the rest."""
    args = list(call.arguments)
    edits = []
    for arg in cut:
        i = args.index(arg)
        if i > 0:  # from the end of the previous argument
            start, end = args[i - 1].end_byte, arg.end_byte
        elif i + 1 < len(args):  # the first: up to the next one
            start, end = arg.start_byte, args[i + 1].start_byte
        else:
            start, end = arg.start_byte, arg.end_byte
        edits.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(edits):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [TextEdit(file.point(s), file.point(e), "") for s, e in merged]


def _keywords_fix(file: CheckedFile, call: CallSite, before: _Shape, now: _Shape, first: int) -> Fix | None:
    """Pass the shifted arguments by the names they were meant for, when the callee still takes them."""
    positional = [arg for arg in call.arguments if arg.keyword is None]
    old = [p for p in before.params if not p.keyword_only and not p.star]
    takes = {p.name for p in now.params if not p.star and not p.positional_only}
    if len(positional) != call.positional or len(positional) > len(old):
        return None
    edits = []
    for i in range(first, len(positional)):
        if old[i].name not in takes:
            return None
        at = file.point(positional[i].start_byte)
        edits.append(TextEdit(at, at, f"{old[i].name}="))
    if file.language != "python" or not edits:
        return None
    return Fix("Pass the moved argument" + ("s" if len(edits) > 1 else "") + " by name", edits, preferred=True)


def _placeholder(language: str, param: Param) -> str:
    """A stand-in the user replaces: a keyword in Python (placed anywhere), the parameter's name
    in Go, Rust and Java (no value is every type's), else a marked undefined."""
    if language == "python":
        return "..." if param.positional_only else f"{param.name}=..."
    if language in ("go", "rust", "java"):
        return param.name
    return f"undefined /* {param.name} */"
