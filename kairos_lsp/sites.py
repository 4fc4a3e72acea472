"""Call sites and imported names in one parsed file. Pure functions, no I/O.

The diagnostics need more than the stored observations: where each call is,
how many arguments it passes and by which keywords, and where each imported
name is written, so that a fix can rewrite it. That is only worth computing
for open documents, so it is a separate query (``languages/queries/*-sites.scm``)
run on demand, never during a scan.

>>> from kairos_lsp.extract import parse
>>> src = b"from .m import a as b\\nb(1, *rest, key=2)\\n"
>>> found = find_sites(parse(src, "python"), src, "python")
>>> [(c.callee, c.positional, c.keywords, c.spread, c.spread_keywords) for c in found.calls]
[('b', 1, ('key',), True, False)]
>>> [(i.module, i.name, i.alias) for i in found.imports]
[('.m', 'a', 'b')]
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node, Query, QueryCursor, Tree

from kairos_lsp.languages import new_parser, node_text, reads_query, repaired, sites_query

Point = tuple[int, int]  # (row, UTF-8 byte column)
_SPACE = re.compile(r"\s+")
_UNSPACED = re.compile(r"(?<!\bnew) ")  # every space but one after `new` (spaces already made one)
# TypeScript's non-null assertions and optional chaining say nothing of what a name is:
# `this.decoder!.start` and `observer?.refetch` name `this.decoder.start`, `observer.refetch`
_ASSERTED = re.compile(r"[!?](?=\.)|!$")
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")


@dataclass(frozen=True, slots=True)
class Span:
    start_byte: int
    end_byte: int
    start: Point
    end: Point

    @classmethod
    def of(cls, node: Node) -> Span:
        return cls(
            node.start_byte,
            node.end_byte,
            (node.start_point[0], node.start_point[1]),
            (node.end_point[0], node.end_point[1]),
        )


@dataclass(frozen=True, slots=True)
class CallSite:
    """One call: ``callee`` as written (``f``, ``mod.f``, ``self.f``) and its arguments."""

    callee: str
    callee_span: Span
    name_span: Span  # the callee's last name (``f`` in ``mod.f``)
    args: Span  # the argument list with its parentheses
    positional: int
    keywords: tuple[str, ...]
    spread: bool  # ``*xs`` / ``...xs``: how many positional arguments is unknown
    spread_keywords: bool  # ``**kw``: which keywords is unknown
    last_arg_end: int | None  # byte offset after the last argument, None when there is none
    arguments: tuple[Argument, ...] = ()
    # its one argument is a call, which passes every value it returns (Go's `f(g())`): how
    # many is unknown here (``spread``)
    results: bool = False


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument as written: ``keyword`` None for a positional one."""

    keyword: str | None
    start_byte: int
    end_byte: int


@dataclass(frozen=True, slots=True)
class NameBinding:
    """A name a scope binds: ``x = Client()``, ``x: Client``, ``self.x = ...``, ``def f(x: Client)``.

    ``attribute``: ``self.x`` / ``this.x`` / a class field, else a local name.
    ``type`` is the class named by an annotation or a constructor call, None when
    the binding says nothing known (another value, an untyped parameter).
    ``annotated``: the type came from an annotation (which outranks assignments).
    """

    name: str
    attribute: bool
    type: str | None
    annotated: bool
    at: Point
    parameter: bool = False  # a parameter (typed or not), not an assignment
    module: bool = False  # bound at module level wherever it is written (``global x``)
    copies: str | None = None  # the plain name assigned (``self.app = app``): it holds what that holds
    # where the binding holds when that is less than its named scope: an anonymous function's
    # (a test's callback, `xs.forEach(mobx => ...)`), a JavaScript loop's (`for (const [n, f] of
    # t)`), as (start, end); None: all of its scope
    within: tuple[Point, Point] | None = None


@dataclass(frozen=True, slots=True)
class ImportedName:
    """``from module import name [as alias]`` / ``import {name [as alias]} from "module"``."""

    module: str
    name: str
    alias: str | None
    name_span: Span
    module_span: Span  # the module as written (inside the quotes for JS/TS)


@dataclass(frozen=True, slots=True)
class AttributeRead:
    """An attribute read, not called: ``text`` as written (``ctx.protected_args``)."""

    text: str
    span: Span
    name_span: Span  # the attribute's name (``protected_args``)
    compared: bool = False  # whether an identity test is all it is in (``f is mod.old``)

    @property
    def name(self) -> str:
        return self.text.rpartition(".")[2]


@dataclass(slots=True)
class Sites:
    calls: list[CallSite] = field(default_factory=list)
    imports: list[ImportedName] = field(default_factory=list)
    bindings: list[NameBinding] = field(default_factory=list)
    # byte ranges of code that expects a warning (``with pytest.deprecated_call():``): a use
    # of something deprecated there is what the code means to test
    expecting_warnings: list[tuple[int, int]] = field(default_factory=list)
    # byte ranges of code that expects a call to fail with a TypeError (``with
    # pytest.raises(TypeError):``): a call there that does not bind is what the code tests
    expecting_type_errors: list[tuple[int, int]] = field(default_factory=list)
    # the names classes are made on (``class Mine(helpers.BasicAuth):``): making one makes those too
    bases: list[AttributeRead] = field(default_factory=list)
    # members assigned, as written (``s.get_engine = Mock()``, ``api.fetch = vi.fn()``), and where
    replaced: list[tuple[str, Point]] = field(default_factory=list)
    # the anonymous functions, (start, end): a function declared in one is seen there only
    unnamed: list[tuple[Point, Point]] = field(default_factory=list)
    # the bodies of anonymous classes (Java's `new T() { ... }`), as byte ranges: a bare call in
    # one may be of the class it extends
    anonymous_classes: list[tuple[int, int]] = field(default_factory=list)


def find_sites(tree: Tree, source: bytes, language: str) -> Sites:
    """Every call site and imported name in ``tree``; empty for a language without a sites query.

    A macro whose arguments are expressions (the query's ``@call.macro``, Rust's
    ``assert_eq!(...)``) is read as a call: the source again with its ``!`` as ``_``, every
    byte where it was, so the calls in its arguments are found where they are written.

    >>> from kairos_lsp.extract import parse
    >>> src = b'fn t() { assert_eq!(join("a", 1), b); }'
    >>> [c.callee for c in find_sites(parse(src, "rust"), src, "rust").calls]
    ['join']
    """
    query = sites_query(language)
    found = Sites()
    if query is None or tree is None:
        return found
    macros: set[int] = set()  # where each macro read as a call has its `!`
    if _reads_macros(query):
        bangs = QueryCursor(query).captures(tree.root_node).get("call.bang", [])
        if bangs:
            patched = bytearray(source)
            for bang in bangs:
                patched[bang.start_byte : bang.end_byte] = b"_"
                macros.add(bang.start_byte)
            tree = new_parser(language).parse(repaired(language, bytes(patched)))
    keywords: dict[int, list[str]] = {}
    spreads: dict[int, list[str]] = {}  # argument list -> its spread arguments' captures
    calls: list[tuple[Node, Node]] = []
    for _, match in QueryCursor(query).matches(tree.root_node):
        if "call.callee" in match:
            if match["call.callee"][0].end_byte - 1 in macros:
                continue  # (the macro itself, its `!` given as `_`)
            calls.append((match["call.callee"][0], match["call.args"][0]))
        elif "call.keyword" in match:
            node = match["call.keyword"][0]
            keywords.setdefault(_parent(_parent(node)).id, []).append(node_text(node, source))
        elif "call.spread" in match or "call.spread_keywords" in match or "call.results" in match:
            capture = next(name for name in ("call.spread", "call.spread_keywords", "call.results") if name in match)
            spreads.setdefault(_parent(match[capture][0]).id, []).append(capture)
        elif "bind.name" in match or "bind.attr" in match or "bind.global" in match:
            binding = _binding(match, source, language)
            if binding is not None:
                found.bindings.append(binding)
        elif "unnamed.class" in match:
            node = match["unnamed.class"][0]
            found.anonymous_classes.append((node.start_byte, node.end_byte))
        elif "unnamed.scope" in match:
            node = match["unnamed.scope"][0]
            found.unnamed.append((tuple(node.start_point), tuple(node.end_point)))  # type: ignore[arg-type]
        elif "assigned.member" in match:
            node = match["assigned.member"][0]
            text = _ASSERTED.sub("", _SPACE.sub("", node_text(node, source)))
            found.replaced.append((text, (node.start_point[0], node.start_point[1])))
        elif "class.base" in match:
            node = match["class.base"][0]
            text = _SPACE.sub("", node_text(node, source))
            found.bases.append(AttributeRead(text, Span.of(node), Span.of(_last_name(node))))
        elif "expects.warning" in match:
            node = match["expects.warning"][0]
            found.expecting_warnings.append((node.start_byte, node.end_byte))
        elif "expects.type_error" in match:
            node = match["expects.type_error"][0]
            found.expecting_type_errors.append((node.start_byte, node.end_byte))
        elif "import.name" in match:
            alias = match.get("import.alias")
            module = match["import.module"][0]
            found.imports.append(
                ImportedName(
                    node_text(module, source),
                    node_text(match["import.name"][0], source),
                    node_text(alias[0], source) if alias else None,
                    Span.of(match["import.name"][0]),
                    Span.of(module),
                )
            )
    for callee, args in calls:
        found.calls.append(_call(callee, args, keywords.get(args.id, ()), spreads.get(args.id, []), source, language))
    found.calls.sort(key=lambda c: c.callee_span.start_byte)
    found.imports.sort(key=lambda i: i.name_span.start_byte)
    found.bases.sort(key=lambda b: b.span.start_byte)
    return found


@cache
def _reads_macros(query: Query) -> bool:
    """Whether a sites query names macros to read as calls (``@call.bang``)."""
    return any(query.capture_name(i) == "call.bang" for i in range(query.capture_count))


def find_reads(tree: Tree, source: bytes, language: str, names: Collection[str]) -> list[AttributeRead]:
    """The attributes ``tree`` reads that are named one of ``names``, in order; not a call's
    callee (a :class:`CallSite`), nor what an assignment sets; and in JavaScript and
    TypeScript the bare names it reads as values (``useStore.getState()``'s ``useStore``, a
    callback, a JSX element, a type). Empty for a language without a reads query.

    >>> from kairos_lsp.extract import parse
    >>> src = b"v = ctx.old\\nctx.old = 1\\nctx.old()\\nclass C(json.old, x.new): pass\\na.old, b = f()\\n"
    >>> [r.text for r in find_reads(parse(src, "python"), src, "python", {"old"})]
    ['ctx.old', 'json.old']
    >>> src = b"old.get(); old(); f(old); const x = <Old />; let t: Old"
    >>> [r.text for r in find_reads(parse(src, "tsx"), src, "tsx", {"old", "Old"})]
    ['old', 'old', 'Old', 'Old']
    """
    query = reads_query(language)
    if query is None or not names:
        return []
    wanted = {name.encode() for name in names}
    found = []
    captured = QueryCursor(query).captures(tree.root_node)
    for name in captured.get("read.bare", ()):  # (a name read as it is: JavaScript, TypeScript)
        if source[name.start_byte : name.end_byte] in wanted:
            found.append(AttributeRead(node_text(name, source), Span.of(name), Span.of(name)))
    for name in captured.get("read.name", ()):
        if source[name.start_byte : name.end_byte] not in wanted:
            continue
        read = _parent(name)
        held = read.parent
        if held is not None and (
            (held.type == "call" and held.child_by_field_name("function") == read)
            or (held.type == "assignment" and held.child_by_field_name("left") == read)
            or held.type in _TARGETS
        ):
            continue
        text = _ASSERTED.sub("", _SPACE.sub("", node_text(read, source)))
        found.append(AttributeRead(text, Span.of(read), Span.of(name), _identity_tested(held)))
    found.sort(key=lambda r: r.span.start_byte)
    return found


def _identity_tested(held: Node | None) -> bool:
    """Whether ``held`` is a comparison by identity alone (``a is b``, ``a is not b``)."""
    if held is None or held.type != "comparison_operator":
        return False
    operators = [child.type for child in held.children if not child.is_named]
    return bool(operators) and all(op in ("is", "is not") for op in operators)


_TARGETS = ("pattern_list", "tuple_pattern", "list_pattern")  # what ``a.x, b = ...`` sets (``a.x += 1`` reads)


def _call(callee: Node, args: Node, keywords, spreads: list[str], source: bytes, language: str) -> CallSite:
    values = [n for n in args.named_children if n.type not in ("comment", "line_comment", "block_comment")]
    name = _last_name(callee)
    if callee.type == "method_invocation":  # (Java's: the callee is the invocation up to its name)
        name = callee.child_by_field_name("name") or name
        callee_span = Span(
            callee.start_byte,
            name.end_byte,
            (callee.start_point[0], callee.start_point[1]),
            (name.end_point[0], name.end_point[1]),
        )
        # (`new Client(a).send`: what the constructor makes, as TypeScript's callees keep it)
        text = _UNSPACED.sub("", _SPACE.sub(" ", source[callee.start_byte : name.end_byte].decode("utf-8", "replace")))
    else:
        callee_span = Span.of(callee)
        text = _ASSERTED.sub("", _SPACE.sub("", node_text(callee, source)))
    if language in ("rust", "java"):  # (`Vec::<u8>::new`, Java's `new ArrayList<>()`, `this.<T>get()`)
        text = rust_path(text)
    arguments = tuple(
        Argument(
            node_text(n.child_by_field_name("name"), source) if n.type == "keyword_argument" else None,
            n.start_byte,
            n.end_byte,
        )
        for n in values
    )
    return CallSite(
        text,
        callee_span,
        Span.of(name),
        Span.of(args),
        len(values) - len(keywords) - len(spreads),
        tuple(keywords),
        "call.spread" in spreads or "call.results" in spreads,
        "call.spread_keywords" in spreads,
        values[-1].end_byte if values else None,
        arguments,
        "call.results" in spreads,
    )


def rust_path(text: str) -> str:
    """A Rust path as the other languages write a dotted name: ``crate::net::Client::new`` is
    ``crate.net.Client.new``, without type arguments (``Vec::<u8>::new``, ``parse::<T>``; Java's
    ``new HashMap<String, List<T>>``, ``Collections.<T>emptyList``).

    >>> rust_path("Vec::<Option<u8>>::new"), rust_path("crate::util::join"), rust_path("x.send")
    ('Vec.new', 'crate.util.join', 'x.send')
    >>> rust_path("HashMap<String,List<T>>"), rust_path("Collections.<T>emptyList")
    ('HashMap', 'Collections.emptyList')
    """
    if "<" in text:
        while True:
            stripped = _TYPE_ARGUMENTS.sub("", text)
            if stripped == text:
                break
            text = stripped
    return text.replace("::", ".")


_TYPE_ARGUMENTS = re.compile(r"(::)?<[^<>()]*>")  # the innermost `<...>` of a path, with its `::`
_OPTIONAL = re.compile(r"^(?:typing\.)?Optional\[(.+)\]$")
_GENERIC = re.compile(r"<.*>$")  # a class's type arguments: ``Query<TData, TError>``
# Python's generic forms whose arguments, not themselves, say what a value holds (`list[X]` is a
# list of them, `type[X]` the class, `Annotated[X, ...]` an X with notes): no one class named
_TYPE_FORMS = frozenset(
    "list dict set frozenset tuple type List Dict Set FrozenSet Tuple Type DefaultDict OrderedDict Counter "
    "ChainMap Deque deque defaultdict Iterable Iterator Sequence MutableSequence Mapping MutableMapping "
    "AbstractSet MutableSet Collection Container Callable Generator AsyncIterator AsyncIterable "
    "AsyncGenerator Awaitable Coroutine Reversible ClassVar Final Annotated Literal Union Required "
    "NotRequired ReadOnly TypeGuard TypeIs Unpack Concatenate".split()
)
_CONSTRUCTED = ("call", "new_expression")
_REFERENCE = re.compile(r"^(\*|&(\s*'\w+)?(\s*mut\b)?\s*)")  # `*T`, `&T`, `&'a mut T`
_MADE_BY_CALLS = ("go", "rust")  # languages whose variables hold what a call declares it returns
_GO_NEW = re.compile(r"new\(\s*([\w.]+)\s*\)")  # Go's `new(Server)`: a *Server
_PARAMETERS = (
    "parameters",
    "default_parameter",
    "typed_parameter",
    "typed_default_parameter",
    "required_parameter",
    "optional_parameter",
    "lambda_parameters",
    "formal_parameters",  # JavaScript's plain parameters
    "arrow_function",  # ... and an arrow function's one, `x => x.m()`
    "parameter_declaration",  # Go's
    "variadic_parameter_declaration",
    "parameter",  # Rust's
    "closure_parameters",
    "formal_parameter",  # Java's
    "catch_formal_parameter",
    "inferred_parameters",
    "lambda_expression",
)


def _binding(match: dict, source: bytes, language: str) -> NameBinding | None:
    receiver = match.get("bind.self")
    if receiver and node_text(receiver[0], source) != "self":
        return None
    node = (match.get("bind.name") or match.get("bind.attr") or match.get("bind.global") or [])[0]
    if _required(node):
        return None  # an import: the module's names are what the resolver reads there
    annotation, value = match.get("bind.type"), match.get("bind.value")
    if value and value[0].type == "await" and value[0].named_child_count:
        value = [value[0].named_children[0]]  # (`x = await make()`: what the call gives)
    kind = None
    if value and value[0].type == "unary_expression" and node_text(value[0], source).startswith("&"):
        value = [value[0].child_by_field_name("operand") or value[0]]  # (Go's `&Server{...}`: a Server's)
    if annotation:
        kind = class_named(node_text(annotation[0], source))
    elif value and value[0].type in ("composite_literal", "type_assertion_expression"):
        made = value[0].child_by_field_name("type")  # (Go's `Server{...}`, `x.(*Server)`)
        kind = class_named(node_text(made, source)) if made is not None else None
    elif value and language == "go" and (made_new := _GO_NEW.fullmatch(node_text(value[0], source))):
        kind = class_named(made_new.group(1))
    elif value and value[0].type == "object_creation_expression":  # (Java's `var c = new Client()`)
        kind = class_named(rust_path(node_text(value[0].child_by_field_name("type"), source)))
    elif value and (
        value[0].type in _CONSTRUCTED or (language in _MADE_BY_CALLS and value[0].type == "call_expression")
    ):
        # (Go's `NewServer(...)`, Rust's `Client::new(...)`: what the function declares it returns)
        made = value[0].child_by_field_name("function") or value[0].child_by_field_name("constructor")
        if made is not None:
            kind = class_named(rust_path(node_text(made, source)) if language == "rust" else node_text(made, source))
    parent = node.parent
    if parent is not None and parent.type == "assignment_pattern" and parent.parent is not None:
        parent = parent.parent  # (JavaScript's `function f(x = 1)`: in the parameters, or a pattern)
    parameter = parent is not None and parent.type in _PARAMETERS
    copies = node_text(value[0], source) if not annotation and value and value[0].type == "identifier" else None
    return NameBinding(
        node_text(node, source),
        "bind.attr" in match,
        kind,
        bool(annotation) or _declares(node, language),
        tuple(node.start_point),
        parameter,
        "bind.global" in match,
        copies,
        None if "bind.attr" in match or "bind.global" in match else _unnamed_scope(node),
    )


def _declares(node: Node, language: str) -> bool:
    """Whether a Go name is bound by a declaration (``x := ...``, ``var x = ...``): a new
    variable, which in a block shadows the function's own of the name (go-git's ``d :=
    &unknownExtensionDecoder{r}`` in a `case` of a method whose receiver is ``d *Decoder``):
    it says what the name holds as an annotation does, and the two must agree."""
    if language != "go":
        return False
    parent = node.parent
    if parent is not None and parent.type == "expression_list":
        parent = parent.parent
    return parent is not None and parent.type in ("short_var_declaration", "var_spec")


def _unnamed_scope(node: Node) -> tuple[Point, Point] | None:
    """The range of the innermost scope around a bound name that kairos does not name: an
    anonymous function, or the JavaScript loop whose variable it is; None when that is a named
    definition (its scope is the definition's) or the module."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in _NAMED_SCOPES:
            return None
        if parent.type in _UNNAMED_FUNCTIONS or (
            parent.type == "for_in_statement" and parent.child_by_field_name("left") == child
        ):
            return (tuple(parent.start_point), tuple(parent.end_point))  # type: ignore[return-value]
        child, parent = parent, parent.parent
    return None


# (the same as ecmascript-sites.scm's `@unnamed.scope`, and Python's lambda)
_UNNAMED_FUNCTIONS = frozenset(
    (
        "arrow_function",
        "function_expression",
        "generator_function",
        "lambda",
        "func_literal",
        "closure_expression",
        "lambda_expression",  # Java's
    )
)
_NAMED_SCOPES = frozenset(
    (
        "function_declaration",
        "method_declaration",  # Go's, Java's
        "constructor_declaration",  # Java's
        "function_item",  # Rust's
        "generator_function_declaration",
        "method_definition",
        "function_definition",
        "class_declaration",
        "class_definition",
        "class",
    )
)


def _required(node: Node) -> bool:
    """Whether ``node`` is a name ``require(...)`` binds, CommonJS's import: ``const mobx =
    require("../../src/mobx.ts")`` (mobx's tests), ``const { request, Client } =
    require('../../index')`` (undici's); or a dynamic import once awaited, ``const {
    preparePgPush } = await import('./migrate')`` (drizzle-kit's)."""
    pattern = node.parent
    while pattern is not None and pattern.type in _PATTERNS:
        pattern = pattern.parent
    if pattern is None or pattern.type != "variable_declarator":
        return False
    value = pattern.child_by_field_name("value")
    if value is not None and value.type == "await_expression" and value.named_child_count:
        value = value.named_children[0]
    called = value.child_by_field_name("function") if value is not None and value.type == "call_expression" else None
    if called is not None and called.type == "import":
        return True
    return called is not None and called.type == "identifier" and called.text == b"require"


_PATTERNS = ("object_pattern", "array_pattern", "pair_pattern", "assignment_pattern", "object_assignment_pattern")


def class_named(text: str) -> str | None:
    """The one class a type annotation or constructor names, or None.

    >>> [class_named(t) for t in ("Client", "'Client'", "Optional[m.Client]", "Client | None", "list[Client]")]
    ['Client', 'Client', 'm.Client', 'Client', None]

    A class given type arguments is that class (textual's ``-> App[object]``), but not a
    Python form whose arguments say what the value holds (``list[X]`` is a list of them):

    >>> [class_named(t) for t in ("Query<T, Map<K, V>>", "Query<T> | undefined", "Array<Query>[]")]
    ['Query', 'Query', None]
    >>> [class_named(t) for t in ("App[object]", "'m.App[ReturnType]'", "Iterator[App]", "type[App]", "App[]")]
    ['App', 'm.App', None, None, None]
    >>> [class_named(t) for t in ("*Server", "*util.Server", "[]Server", "map[string]Server")]
    ['Server', 'util.Server', None, None]
    """
    text = _SPACE.sub(" ", text).strip().strip("'\"")
    # (Go's pointer to one: `*Server`; Rust's reference, `&mut Client`, and its paths, `net::Client`)
    text = _REFERENCE.sub("", text).replace(" ", "").replace("::", ".")
    optional = _OPTIONAL.match(text)
    if optional:
        text = optional.group(1)
    parts = [p for p in text.split("|") if p not in ("None", "null", "undefined")]
    if len(parts) != 1:
        return None
    named = _GENERIC.sub("", parts[0]) if parts[0].endswith(">") else parts[0]
    if named.endswith("]") and not named.endswith("[]") and "[" in named:  # (TypeScript's `Query[]`: many)
        named = named[: named.index("[")]
        if named.rpartition(".")[2] in _TYPE_FORMS:
            return None
    return named if _DOTTED.fullmatch(named) else None


def _last_name(node: Node) -> Node:
    """The node of the last identifier in a callee (``f`` in ``a.b.f``)."""
    while node.named_child_count:
        last = node.named_children[-1]
        if last.type in ("arguments", "argument_list", "type_arguments"):
            break
        node = last
    return node


def _parent(node: Node) -> Node:
    """The parent of a node the query captured inside another (so it has one)."""
    assert node.parent is not None
    return node.parent
