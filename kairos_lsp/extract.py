"""Tree -> symbols -> observation triples. Pure functions, no I/O.

One query per language (the grammar wheel's ``tags.scm`` plus our
``languages/queries/<lang>.scm``) is run once over the tree. Captures are
read by name only:

``@definition.<kind>`` + ``@name``
    a symbol (function, method, class, interface, constant, type, module...)
``@scope`` + ``@name``
    a container that qualifies the names inside it but is not a symbol
    itself (a Rust ``impl`` block)
``@owner`` + one of ``@doc @params @returns @decorator @qualifier
@param.required @param.optional @param.variadic``
    an attribute of the definition node captured as ``@owner``
    (``@doc.<anything>`` counts as ``@doc``, so a predicate can test one part)
``@reference.call`` + ``@name``
    a call, attributed to the innermost enclosing symbol
``@import`` + ``@import.module`` [``@import.name``] [``@import.alias``]
    a name imported, attributed to the innermost enclosing symbol
``@raise`` + ``@raise.name``
    an exception raised (or thrown, or a panic)
``@deprecated`` + ``@deprecated.message`` or ``@deprecated.arguments`` (a decorator's, read by _decorator_message)
    a deprecation announced (a warning as the function's or the module's own statement, a
    ``@deprecated`` decorator), attributed to the innermost enclosing symbol, unless
    ``@deprecated.not`` captures the same node (a decorator that deprecates a call form only)
``@deprecates`` + ``@deprecates.name`` + ``@deprecates.message`` [+ ``@deprecates.parameter``]
    names a module's ``__getattr__`` answers for with a deprecation warning
``@deprecated_parameter`` + ``@deprecated_parameter.name`` + ``.test`` + ``.message``
    a parameter a function warns is deprecated when it is given
``@owner`` + ``@declared``
    a definition without code (a TypeScript overload's signature)
``@write`` + ``@write.target``
    a name declared global, an item or attribute assigned: what a function writes
    beyond its own scope is kept (the language's ``locals`` query says what is its own)
``@attribute`` + ``@attribute.name`` + ``@attribute.type`` or ``@attribute.made``
    what an instance's attribute holds: its annotation, or the call that made it
``@local`` + ``@local.name`` + ``@local.type`` or ``@local.made``
    what a function's own name holds, kept for a name the function calls a method of and
    binds nowhere else in its own scope
``@gives`` + ``@gives.made`` or ``@gives.name``
    what a function gives the parameters named as it (a pytest fixture): the call that
    makes its value, or the name of its own that holds it

>>> from kairos_lsp.extract import extract_source
>>> result = extract_source(b"def add(a, b=1):\\n    '''Add.'''\\n    return a + b\\n", "python")
>>> [(s.qualname, s.kind, s.signature, s.docstring) for s in result.symbols]
[('', 'module', None, None), ('add', 'function', 'add(a, b=1)', 'Add.')]
"""

from __future__ import annotations

import bisect
import hashlib
import inspect
import itertools
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor, Tree

from kairos_lsp.languages import (
    LanguageSpec,
    deprecations_query,
    language_named,
    locals_query,
    new_parser,
    node_text,
    query,
    repaired,
)

Point = tuple[int, int]  # (row, UTF-8 byte column), as tree-sitter gives them

# When one node is captured under two kinds (Rust's tags.scm calls a function
# in an impl both a method and a function), the more specific kind wins. A TypeScript variable
# that declares a function's type is that function whatever its value (`const map: {...} = dual(...)`).
_KIND_RANK = {
    "method": 0,
    "constructor": 0,
    "interface": 1,
    "class": 2,
    "type": 3,
    "macro": 3,
    "module": 3,
    "function": 4,
    "constant": 5,
}
_CONTAINERS = {"class", "interface", "type"}
_NESTING = _CONTAINERS | {"scope"}  # what makes a function inside it a method
_NONE: dict = {}  # no attributes (never written to)
_CALLABLE = {"function", "method", "constructor", "macro"}
# Which extraction read a file (the store keeps it per file). Raise it when the same source
# gives other observations (a new predicate, a pattern mended), and set it as the
# ``extraction`` of each language it changes (``LanguageSpec``): the next scan reads again
# every file of those languages an older one read, and writes what differs. 1: what a function writes; a named
# function as the value of a definition is that one symbol (JavaScript); an overload's
# signature is declared without code, and a private method's call is a call (TypeScript).
# 2: private methods, class fields holding a function, and a class bound to a variable are
# symbols, an anonymous default export is a symbol named ``default``, a named one is bound
# to ``default``, a function assigned to an object's property is named with the object, and
# a class's signature names its base (JavaScript, TypeScript). 3: what an instance's
# attributes hold, where the code says so (Python, JavaScript, TypeScript). 4: what a
# function's own names hold, for those it calls a method of (Python, JavaScript, TypeScript).
# 5: what a pytest fixture gives (Python). 6: what an instance's attribute holds when a
# method hands it an annotated parameter as it is (Python). 7: the names instances hold by
# other means than a definition, with what they hold unsaid (`self.add = self.add_safe`,
# `this.go = this.goSafe.bind(this)`: Python, JavaScript, TypeScript). 8: a minified file is
# not read, and one read before is forgotten (JavaScript); a signature leaves out the comments
# in its parameter list (every language). 9: what the code says is deprecated, with the message
# it warns with (Python). 10: a deprecation `warnings.warn` says in its message, without a
# deprecation's category (Python). 11: a variable or field that declares its type is not given
# its value's parameters (TypeScript). 12: variance annotations and generic call signatures
# without semicolons are read (TypeScript; languages/repairs.py); a variable that declares a
# function's type is that function, a `void` parameter may be left out (TypeScript); a function
# of an object literal handed to a call is named with the variable that keeps the call's result
# (JavaScript, TypeScript). 13: a module constant is also what an expression makes (`const User =
# z.object(...)`, not a `require`), and the functions of its value are named with it; a variable
# that declares a function's type is a function whatever its value; an object literal inside
# another names what is in it (`api.users.list`), and a function-valued property is a method
# (JavaScript, TypeScript); a type-only star
# export (`export type * from`) is read (TypeScript; languages/repairs.py). 14: `@deprecated` on
# an overload deprecates the calls that match it, not the function (Python). 15: a named function
# in a value that declares or casts its type is given no parameters of its own (TypeScript). 16:
# what a module's `__all__` lists, for its star imports (Python); a namespace merges with a class,
# function or enum of its name (TypeScript). 17: a project's own deprecation decorator
# (`@util.deprecated("2.0", "...")`, `@deprecated_function(version=..., reason=...)`) and what
# its arguments say (Python); a module constant's object holding a function by name (`{ v: noop }`,
# `{ noop }`) has that member (JavaScript, TypeScript). 18: what an instance's attribute holds
# when an awaited call made it (`self.connection = await self.create_connection()`: Python). 19:
# the names a module's own blocks assign (`if TYPE_CHECKING: ... else: ALL = _All('ALL')`: Python);
# a class's base of any form, a call's mixin too (`extends Schema.Class<A>("A")({...})`), an
# interface's property of a function's type (TypeScript); the names an awaited dynamic import
# binds (`const { a } = await import('./m')`: JavaScript, TypeScript). 20: a struct's embedded
# fields and an interface's embedded interfaces are its bases, and what its fields hold is
# said (Go); what a struct's fields hold is said (Rust). 21: a class's superclass and interfaces
# are its bases, and what its fields hold is said (Java).
EXTRACTION_VERSION = 21
_MAX_TEXT = 160


def read_as_now(language: str, extraction: int) -> bool:
    """Whether a file of ``language`` read by extraction ``extraction`` gives what this one would.

    >>> read_as_now("go", 7), read_as_now("python", 8), read_as_now("typescript", 19)
    (False, False, True)
    """
    spec = language_named(language)
    return extraction >= (spec.extraction if spec is not None else EXTRACTION_VERSION)


@dataclass(slots=True)
class Symbol:
    """What one parse says about one symbol."""

    qualname: str  # "" for the module (the file itself)
    kind: str
    start: Point
    end: Point
    name_start: Point
    name_end: Point
    body_hash: str
    signature: str | None = None
    parameters: list[tuple[str, str]] = field(default_factory=list)  # (name, required|optional|variadic)
    docstring: str | None = None
    decorators: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    raises: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # state beyond its own scope (a function's)
    # an instance attribute's class as written here: "client: Client" (annotated), "client = Client" (made)
    attributes: list[str] = field(default_factory=list)
    # a function's own name's, for one it calls a method of: "index: Index", "index = Index"
    locals_held: list[str] = field(default_factory=list)
    # what a fixture gives those naming it: the call making it, "CliRunner()", or its own name, "app"
    gives: list[str] = field(default_factory=list)
    # the message it warns with that it is deprecated, as its own statement or a `@deprecated`
    deprecated: list[str] = field(default_factory=list)
    # what a module's `__getattr__` keeps with a deprecation warning: "old: 'old' is deprecated..."
    deprecates: list[str] = field(default_factory=list)
    # a parameter it warns is deprecated when given: "charset: The 'charset' parameter is deprecated..."
    deprecated_parameters: list[str] = field(default_factory=list)
    # a module's names its own blocks assign (`if TYPE_CHECKING: ... else: ALL = _All()`): not
    # definitions a parse can count on, but names the module still binds (Python)
    binds: list[str] = field(default_factory=list)
    # a module's names for `from m import *`: what its `__all__` lists; None when it does not say
    # so in one literal (no `__all__`, or one grown by `+=`, `.extend`, or not of strings alone)
    exports: list[str] | None = None
    declared: bool = False  # declared without code (a TypeScript overload's signature)
    span: tuple[int, int] = (0, 0)  # byte range of the definition node
    name_span: tuple[int, int] = (0, 0)
    doc_span: tuple[int, int] | None = None  # byte range of the docstring or doc comment(s)

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass(slots=True)
class Extraction:
    language: str
    symbols: list[Symbol]  # the module first, then definitions in document order
    has_errors: bool
    # Calls, imports and raises at module level, with their byte offsets, so
    # that a re-extraction of one region can keep the rest.
    module_refs: list[tuple[int, str, str]] = field(default_factory=list)


def collapse(text: str, limit: int = _MAX_TEXT) -> str:
    """One line, single spaces, bounded length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_BEFORE_COMMA = re.compile(rb"[ \t]+,")  # where a comment before a comma was
_SIG_FIXES = ((re.compile(r"([(\[<{]) "), r"\1"), (re.compile(r",?\s+([)\]>}])|,([)\]>}])"), r"\1\2"))


def _signature_text(name: str, params: str, returns: str | None, form: str) -> str:
    if "\n" in params or "  " in params or len(params) > 400:
        params = collapse(params, 400)
        for pattern, repl in _SIG_FIXES:
            params = pattern.sub(repl, params)
    if not params.startswith("("):
        params = f"({params})"
    if returns:
        return form.format(sig=f"{name}{params}", ret=collapse(returns.lstrip(":").strip(), 120))
    return f"{name}{params}"


_STRING_PREFIX = re.compile(r"^[rRuUbBfF]{0,2}(\"\"\"|'''|\"|')")
_COMMENT_MARK = re.compile(r"^\s*(/\*\*+|/\*!?|\*/|\*|///?!?|#+)\s?")


def clean_doc(text: str) -> str | None:
    """A docstring literal or doc comment without its quotes or comment marks."""
    match = _STRING_PREFIX.match(text)
    if match:
        quote = match.group(1)
        body = text[match.end() :]
        if body.endswith(quote):
            body = body[: -len(quote)]
    else:
        lines = []
        for line in text.splitlines():
            line = line.rstrip()
            if line.endswith("*/"):
                line = line[:-2].rstrip()
            lines.append(_COMMENT_MARK.sub("", line, count=1))
        body = "\n".join(lines)
    body = inspect.cleandoc(body).strip()
    return body or None


def _uncommented(node: Node, source: bytes) -> str:
    """A node's text without the comments in it: a parameter list whose comments say which are
    deprecated (httpx 0.27's `get(..., # Deprecated in favor of ssl_context... verify=None)`)
    would read as parameters, and a long one be cut short."""
    text = source[node.start_byte : node.end_byte]
    if b"#" in text or b"/" in text:  # (a comment needs one: most lists are read as they are)
        cuts, stack = [], [node]
        while stack:
            here = stack.pop()
            if here.type == "comment":
                cuts.append((here.start_byte - node.start_byte, here.end_byte - node.start_byte))
            else:
                stack.extend(here.children)
        for start, end in sorted(cuts, reverse=True):
            text = text[:start] + text[end:]
        if cuts:
            text = _BEFORE_COMMA.sub(b",", text)
    return text.decode("utf-8", "replace")


def _point(point: tuple[int, ...]) -> Point:
    """A tree-sitter point as a plain ``(row, column)`` tuple."""
    return point[0], point[1]


def _key(node: Node) -> tuple[int, int, int]:
    return (node.start_byte, node.end_byte, node.kind_id)


def _callee(name: Node, ref: Node, source: bytes) -> str:
    """``os.path.join`` rather than ``join``: the call's text up to the end of the name."""
    start = ref.start_byte
    if start > name.start_byte:  # some tags.scm capture the arguments as the reference
        parent = name.parent
        start = parent.start_byte if parent is not None and parent.end_byte == name.end_byte else name.start_byte
    text = source[start : name.end_byte].decode("utf-8", "replace")
    return text if len(text) < 80 and text.isprintable() and "  " not in text else collapse(text, 120)


def _doc_run(docs: Sequence[Node]) -> list[Node]:
    """A doc comment as a language of line comments writes one (Go's ``//`` lines): the
    comment its query captured, the last of the run, if it touches what follows it, and the
    comments right above it, line after line (the queries ask for the last comment alone: see
    ``languages.query_source``; a licence a blank line above the package clause is not its doc)."""
    last = max(docs, key=lambda n: n.start_byte)
    run = [last]
    above = last.prev_sibling
    while above is not None and above.type == last.type:
        run.append(above)
        above = above.prev_sibling
    following = last.next_named_sibling  # (what the query anchored the comment to)
    return _adjacent_docs(run, following) if following is not None else run[::-1]


def _adjacent_docs(docs: list[Node], owner: Node, leading: Sequence[Node] = ()) -> list[Node]:
    """Keep the comments that touch the definition (or its decorators), nothing further up."""
    kept: list[Node] = []
    line = min([owner.start_point[0]] + [d.start_point[0] for d in leading if d.start_byte < owner.start_byte])
    for node in sorted(docs, key=lambda n: n.start_byte, reverse=True):
        if node.start_byte >= owner.start_byte:  # a docstring inside the body
            return [node]
        if node.end_point[0] < line - 1:
            break
        kept.append(node)
        line = node.start_point[0]
    return kept[::-1]


_prepared: dict[str, tuple] = {}
_prepare_lock = threading.Lock()


def _prepared_query(language: str):
    """The language's query, with unused patterns disabled, and each pattern's role.

    Knowing the role per pattern index up front keeps the per-match work (the
    hot loop of a scan) to one list lookup. Prepared once per process under a
    lock: preparing edits the query, and the server extracts from two threads.
    """
    ready = _prepared.get(language)
    if ready is None:
        with _prepare_lock:
            ready = _prepared.get(language) or _prepared.setdefault(language, _prepare(language))
    return ready


def _prepare(language: str):
    q = query(language)
    names = [q.capture_name(i) for i in range(q.capture_count)]
    roles: list[str | None] = []
    for pattern in range(q.pattern_count):
        present = {name for i, name in enumerate(names) if _in_pattern(q, pattern, i)}
        role = next(
            (
                r
                for r, needs in _ROLES
                if needs <= present
                or (r == "definition" and "name" in present and any(n.startswith("definition.") for n in present))
            ),
            None,
        )
        if role is None:
            q.disable_pattern(pattern)  # e.g. Go's every-type-identifier reference pattern
        roles.append(role)
    # What an owner's capture adds to: "doc.first" and the like are parts of "doc".
    buckets = {name: name.split(".", 1)[0] if name.startswith("doc.") else name for name in names}
    return q, roles, buckets


_ROLES = (
    ("owner", {"owner"}),
    ("call", {"reference.call", "name"}),
    ("import", {"import", "import.module"}),
    ("import", {"import", "import.alias"}),  # a name this module binds to another of its own
    ("raise", {"raise", "raise.name"}),
    ("write", {"write", "write.target"}),
    ("attribute", {"attribute", "attribute.name"}),
    ("local", {"local", "local.name"}),
    ("gives", {"gives"}),
    ("binds", {"binds"}),
    ("scope", {"scope", "name"}),
    ("definition", set(["\0"])),
)


def _in_pattern(q, pattern: int, capture: int) -> bool:
    try:
        q.capture_quantifier(pattern, capture)
    except SystemError:  # py-tree-sitter 0.26 raises on quantifier "zero": not in this pattern
        return False
    return True


def body_hash(source: bytes, span: tuple[int, int], name_span: tuple[int, int]) -> str:
    """Hash of the definition without its own name and with whitespace folded,
    so a rename or a re-indent keeps the hash."""
    if span[0] <= name_span[0] and name_span[1] <= span[1]:
        body = source[span[0] : name_span[0]] + source[name_span[1] : span[1]]
    else:
        body = source[span[0] : span[1]]
    return hashlib.blake2b(b" ".join(body.split()), digest_size=8).hexdigest()


def extract_tree(tree: Tree, source: bytes, language: str, byte_range: tuple[int, int] | None = None) -> Extraction:
    """All symbols of one parsed file, outermost first (or those in ``byte_range``)."""
    root = tree.root_node
    defs: dict[tuple, tuple[str, Node, Node]] = {}
    scopes: dict[tuple, tuple[Node, Node]] = {}
    attrs: dict[tuple, dict[str, list[Node]]] = {}
    refs: list[tuple[int, str, str]] = []  # (start byte, calls|imports|raises, value)
    # a local name's binding, by its start byte: (its end, the annotation or callee, how it holds
    # it: "typed", "made" by the call, or what the call made is entered by: "__enter__"...)
    held_by_binding: dict[int, tuple[int, Node, str]] = {}
    given_at: list[int] = []  # the statements a fixture's value is given by (see _keep_gifts)
    announcing: list[tuple[int, int]] = []  # calls of something named `warn` or `deprecated`: see _deprecations

    q, roles, buckets = _prepared_query(language)
    cursor = QueryCursor(q)
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    add_ref = refs.append
    # The scan's hot loop: calls and owners' attributes are most of the matches, so their
    # node attributes are read once and inline (no helper calls), the rest as it comes.
    for pattern, match in cursor.matches(root):
        role = roles[pattern]
        if role == "call":
            ref = match["reference.call"][0]
            name = match["name"][0]
            start = ref.start_byte
            if start > name.start_byte:
                text = _callee(name, ref, source)
            else:  # what _callee does, inline
                text = source[start : name.end_byte].decode("utf-8", "replace")
                if not (len(text) < 80 and text.isprintable() and "  " not in text):
                    text = collapse(text, 120)
            add_ref((start, "calls", text))
            if text.endswith(_ANNOUNCING):
                announcing.append((start, ref.end_byte))  # (see _deprecations)
        elif role == "owner":
            owner = match["owner"][0]
            key = (owner.start_byte, owner.end_byte, owner.kind_id)
            bucket = attrs.get(key)
            if bucket is None:
                bucket = attrs[key] = {}
            for cap, nodes in match.items():
                if cap != "owner":
                    into = bucket.get(buckets[cap])
                    if into is None:
                        bucket[buckets[cap]] = list(nodes)
                    else:
                        into.extend(nodes)
        elif role == "definition":
            name = match["name"][0]
            for cap, nodes in match.items():
                if cap.startswith("definition."):
                    kind = cap[11:]
                    node = nodes[0]
                    key = _key(node)
                    old = defs.get(key)
                    if old is None or _KIND_RANK.get(kind, 9) < _KIND_RANK.get(old[0], 9):
                        defs[key] = (kind, node, name)
                    if "doc" in match:
                        attrs.setdefault(key, {}).setdefault("doc", []).extend(match["doc"])
        elif role == "import":
            module = match.get("import.module")  # (none: this module, ``export default greet``)
            value = {"module": collapse(node_text(module[0], source).strip("\"'`")) if module else ""}
            for part in ("name", "alias"):
                if f"import.{part}" in match:
                    value[part] = collapse(node_text(match[f"import.{part}"][0], source))
            refs.append((match["import"][0].start_byte, "imports", json.dumps(value, sort_keys=True)))
        elif role == "raise":
            refs.append(
                (match["raise"][0].start_byte, "raises", collapse(node_text(match["raise.name"][0], source), 120))
            )
        elif role == "scope":
            scopes[_key(match["scope"][0])] = (match["scope"][0], match["name"][0])
        elif role == "write":
            target = match["write.target"][0]
            # (a byte before: ``_with = () => x`` defines ``_with`` there, and the write is the
            # enclosing function's, not the new function's own)
            at = max(target.start_byte - 1, 0)
            refs.append((at, "writes", _written(source[target.start_byte : target.end_byte])))
        elif role == "attribute":
            held = node_text(match["attribute.name"][0], source)
            typed = match.get("attribute.type")
            made = match.get("attribute.made")
            if typed:
                held += f": {node_text(typed[0], source)}"
            elif made:
                held += f" = {node_text(made[0], source)}"
            # (else the bare name: held, by what the code does not say)
            refs.append((match["attribute"][0].start_byte, "attributes", collapse(held, 120)))
        elif role == "local":
            name = match["local.name"][0]
            typed = match.get("local.type")
            if typed:  # (its text read only if kept: most are not)
                held_by_binding[name.start_byte] = (name.end_byte, typed[0], "typed")
            else:
                how = "__aenter__" if "local.aenter" in match else "__enter__" if "local.enter" in match else "made"
                known = held_by_binding.get(name.start_byte)
                # (an annotation outranks the call: `x: A = make()`; `async with` is also a `with`)
                if known is None or how == "__aenter__" and known[2] == "__enter__":
                    held_by_binding[name.start_byte] = (name.end_byte, match["local.made"][0], how)
        elif role == "gives":
            made = match.get("gives.made")
            given = f"{node_text(made[0], source)}()" if made else node_text(match["gives.name"][0], source)
            at = match["gives"][0].start_byte
            given_at.append(at)
            refs.append((at, "gives", collapse(given, 120)))
        elif role == "binds":
            refs += _block_assigned(match["binds"][0], source)

    _drop_named_values(defs)
    spec = language_named(language)
    assert spec is not None, language
    if spec.modules == "ecmascript":
        _drop_constants_named_otherwise(defs, source)
        _merge_namespaces(defs, scopes, source)
    if announcing and spec.deprecations:
        refs += _deprecations(root, source, language, announcing)
    returns_form = spec.returns
    if spec.doc_runs:
        for found in attrs.values():
            if "doc" in found:
                found["doc"] = _doc_run(found["doc"])
    symbols = [_module_symbol(root, source, attrs.get(_key(root), {}))]
    spans = [(0, len(source) + 1)]
    # Walk definitions and scopes in document order, keeping a stack of containers.
    entries: list[tuple[int, int, str, tuple]] = [(k[0], -k[1], "def", v) for k, v in defs.items()]
    entries += [(k[0], -k[1], "scope", v) for k, v in scopes.items()]
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    stack: list[tuple[int, str, str, int]] = []  # (end_byte, qualname, kind, where its name starts)
    seen: dict[str, int] = {}
    for start, neg_end, what, entry in entries:
        while stack and stack[-1][0] <= start:
            stack.pop()
        prefix = stack[-1][1] if stack else ""
        if what == "scope":
            qual = f"{prefix}.{node_text(entry[1], source)}" if prefix else node_text(entry[1], source)
            stack.append((-neg_end, qual, "scope", entry[1].start_byte))
            continue
        kind, node, name = entry
        a = attrs.get((start, -neg_end, node.kind_id), _NONE)  # (the node's _key)
        qualifier = a.get("qualifier")
        if qualifier and stack and stack[-1][3] == qualifier[0].start_byte:
            qualifier = None  # (the variable is a symbol, the prefix: `const differ = make({...})`)
        base = node_text(qualifier[0], source) + "." + node_text(name, source) if qualifier else node_text(name, source)
        qual = f"{prefix}.{base}" if prefix else base
        if kind == "function" and stack and stack[-1][2] in _NESTING:
            kind = "method"
        elif kind == "method" and stack and stack[-1][2] == "module":
            kind = "function"  # Rust's tags call any function in a `mod { }` block a method
        if qual in seen:  # a second definition with the same name (overloads, property setters)
            seen[qual] += 1
            qual = f"{qual}~{seen[qual]}"
        else:
            seen[qual] = 1
        symbols.append(_symbol(qual, kind, node, name, source, a, returns_form))
        spans.append((start, -neg_end))
        stack.append((-neg_end, qual, kind, name.start_byte))

    module_refs = _attribute(symbols, spans, refs)
    binds = locals_query(spec.name)
    own = _OwnScopes(symbols, root, source, binds) if binds is not None else None
    if any(s.writes for s in symbols):
        module_refs = [r for r in module_refs if r[1] != "writes"]
        _keep_outer_writes(symbols, spec, own)
    if given_at:
        _keep_gifts(symbols, set(given_at), own)
    if held_by_binding and own is not None:
        _keep_locals_held(symbols, held_by_binding, source, own)
    return Extraction(language, symbols, root.has_error, module_refs)


# what a call is named, in a file that may announce a deprecation
_ANNOUNCING = ("warn", "deprecated", "deprecated_function", "deprecated_method", "deprecated_class")


def _deprecations(root: Node, source: bytes, language: str, calls: list[tuple[int, int]]) -> list[tuple[int, str, str]]:
    """What the code says is deprecated (the language's ``deprecations`` query), as references
    to give the innermost symbol: ``deprecated`` (the message), ``deprecates`` (a name a
    module's ``__getattr__`` keeps: "old: message"), ``deprecated_parameters`` ("p: message").

    Asked only around ``calls``, the byte ranges of the file's calls of something named
    ``warn`` or ``deprecated``: every pattern holds one, and a cursor kept to a call's range
    visits only its ancestors and itself (on every node of every file, these patterns cost a
    fifth of the tag query's time on the standard library; around the calls, a tenth of that
    in the 162 files that have one, with the same matches)."""
    q = deprecations_query(language)
    if q is None:
        return []
    found: set[tuple[int, str, str]] = set()
    for start, end in calls:
        cursor = QueryCursor(q)
        cursor.set_byte_range(start, end)
        found.update(_announcements(cursor.matches(root), source))
    return list(found)  # (in no order: _attribute sorts every reference)


def _announcements(matches, source: bytes) -> list[tuple[int, str, str]]:
    refs: list[tuple[int, str, str]] = []
    matches = [match for _, match in matches]
    # (``@deprecated.not``: where a ``@deprecated`` says less than that the symbol is: on an overload)
    not_at = {match["deprecated.not"][0].start_byte for match in matches if "deprecated.not" in match}
    for match in matches:
        if "deprecated" in match:
            if "deprecated.arguments" in match:
                message = _decorator_message(match["deprecated.arguments"][0], source)
            else:
                message = _literal(match["deprecated.message"][0], source)
            if "deprecated.warn" in match and not _a_deprecation(match, "deprecated", message, source):
                continue
            if match["deprecated"][0].start_byte not in not_at:
                refs.append((match["deprecated"][0].start_byte, "deprecated", message))
        elif "deprecates" in match:
            names = match["deprecates.name"][0]
            parameter = "{" + node_text(match["deprecates.parameter"][0], source) + "}"
            message = _literal(match["deprecates.message"][0], source)
            at = match["deprecates"][0].start_byte
            for name in [names] if names.type == "string" else names.named_children:
                if name.type == "string" and name.end_byte > name.start_byte:
                    kept = _literal(name, source)
                    # (`f"'parser.{name}' is deprecated"` says it of each name the branch keeps)
                    refs.append((at, "deprecates", f"{kept}: {message.replace(parameter, kept)}"))
        elif "deprecated_parameter" in match:
            given = node_text(match["deprecated_parameter.name"][0], source)
            test = " ".join(node_text(match["deprecated_parameter.test"][0], source).split())
            message = _literal(match["deprecated_parameter.message"][0], source)
            if not _a_deprecation(match, "deprecated_parameter", message, source):
                continue
            # (given: `p`, `p is not None`; not a value's kind, `not isinstance(p, str)`, nor another name's)
            if re.fullmatch(rf"{given}( is not \w+)?", test) and re.search(rf"\b{given}\b", message):
                at = match["deprecated_parameter"][0].start_byte
                refs.append((at, "deprecated_parameters", f"{given}: {message}"))
    return refs


def _decorator_message(arguments: Node, source: bytes) -> str:
    """What a ``@deprecated(...)`` decorator's arguments tell a user: its message (the first
    string that is not a version, or ``reason=``), since when, what to use instead, when it goes.

    >>> def said(args):
    ...     call = parse(b"f" + args, "python").root_node.children[0].children[0]
    ...     return _decorator_message(call.child_by_field_name("arguments"), b"f" + args)
    >>> said(b'("Use g")')
    'Use g'
    >>> said(b'("2.1", issue=None, instead="trio.lowlevel.wait_readable")')
    'deprecated since 2.1; use trio.lowlevel.wait_readable instead'
    >>> said(b'(msg)'), said(b'(version="2.0.0", reason="deprecated since redisearch 2.0")')
    ('deprecated', 'deprecated since redisearch 2.0')
    """
    message = since = instead = removal = None
    for argument in arguments.named_children:
        if argument.type in ("string", "concatenated_string"):
            text = _literal(argument, source)
            if _VERSION.fullmatch(text):
                since = since or text
            elif message is None:
                message = text
        elif argument.type == "keyword_argument":
            name, value = argument.child_by_field_name("name"), argument.child_by_field_name("value")
            if name is None or value is None:
                continue
            if value.type in ("string", "concatenated_string"):
                given = _literal(value, source)
            elif value.type in ("identifier", "attribute"):
                given = node_text(value, source)
            else:
                continue
            keyword = node_text(name, source)
            if keyword in _SAYS_WHY and value.type != "identifier" and message is None:
                message = given
            elif keyword in _SAYS_SINCE and value.type != "identifier":
                since = given
            elif keyword in _SAYS_INSTEAD and given != "None":
                instead = given
            elif keyword in _SAYS_REMOVAL and value.type != "identifier":
                removal = given
    said = [message or (f"deprecated since {since}" if since else "deprecated")]
    if message and since and "since" not in message.lower():
        said.append(f"since {since}")
    if instead:
        said.append(f"use {instead} instead")
    if removal:
        said.append(f"to be removed in {removal}")
    return collapse("; ".join(said), 240)


_VERSION = re.compile(r"v?\d+(\.\d+)*([a-z]+\d*)?")
# what deprecation decorators call their arguments (PEP 702's `message`, Deprecated's `reason` and
# `version`, deprecation's `details` and `deprecated_in`, litestar's, trio's, scrapy's, redis-py's)
_SAYS_WHY = ("message", "msg", "reason", "details", "info")
_SAYS_SINCE = ("version", "since", "deprecated_in")
_SAYS_INSTEAD = ("alternative", "instead", "use_instead", "replacement")
_SAYS_REMOVAL = ("removal_in", "removed_in", "remove_in", "removal_version")


def _a_deprecation(match: dict, what: str, message: str, source: bytes) -> bool:
    """Whether a warning the deprecations query found (``what``: its captures' prefix) is a
    deprecation: a deprecation's category (second, or ``category=``), or, with any other or
    none (a ``UserWarning``), ``warnings.warn`` whose message says so (not a logger's ``warn``).

    >>> warned = lambda src: _deprecations(parse(src, "python").root_node, src, "python", [(13, len(src))])
    >>> found = lambda src: [r[2] for r in warned(src)]
    >>> found(b"def f():\\n    warnings.warn('f is old', DeprecationWarning)\\n")
    ['f is old']
    >>> found(b"def f():\\n    warnings.warn('f is deprecated', stacklevel=2)\\n")
    ['f is deprecated']
    >>> found(b"def f():\\n    log.warn('f is deprecated')\\n"), found(b"def f():\\n    warnings.warn('f is slow')\\n")
    ([], [])
    """
    category = match.get(f"{what}.category")
    if category and _DEPRECATION_CATEGORY.fullmatch(node_text(category[0], source)):
        return True
    return node_text(match[f"{what}.warn"][0], source) in ("warn", "warnings.warn") and "deprecat" in message.lower()


_DEPRECATION_CATEGORY = re.compile(r"(category\s*=\s*)?([A-Za-z_]\w*\.)*\w*(DeprecationWarning|RemovedIn\w*Warning)")


def _literal(node: Node, source: bytes) -> str:
    """A Python string literal's text as one line, its parts joined (``"a" f" {b}"`` -> ``a {b}``).

    >>> src = b'x = ("old" f" {name}")'
    >>> _literal(parse(src, "python").root_node.children[0].children[0].children[2].children[1], src)
    'old {name}'
    """
    parts = node.named_children if node.type == "concatenated_string" else [node]
    text = ""
    for part in parts:
        raw = node_text(part, source)
        opened = _STRING_PREFIX.match(raw)
        if opened is None:
            continue  # (a comment between the parts)
        text += raw[opened.end() : len(raw) - len(opened.group(1))]
    return collapse(text, 240)


_FIRST_NAME = re.compile(r"[\w$]+")
_INNERMOST_ITEM = re.compile(rb"\[[^\[\]]*\]")


def _written(target: bytes) -> str:
    """What an assignment writes, its items' keys left out: ``_cache[key]`` -> ``_cache[…]``,
    ``os.environ["A"]`` -> ``os.environ[…]``, ``rows[i].done`` -> ``rows[…].done``.

    >>> _written(b'ctx.state[ key ][ f(x[0]) ] . n')
    'ctx.state[…][…].n'
    """
    text = b"".join(target.split())
    for _ in range(4):  # keys in keys in keys...
        if b"[" not in text:
            break
        text = _INNERMOST_ITEM.sub(b"\0", text)
    text = text.split(b"[", 1)[0].replace(b"\0", "[…]".encode())
    return collapse(text.decode("utf-8", "replace"), 120)


def _keep_outer_writes(symbols: list[Symbol], spec: LanguageSpec, own: _OwnScopes | None) -> None:
    """Keep, of what each function writes, what lies beyond its own scope.

    A module's or class body's writes are its own state, and so are a method's writes
    to its receiver (``self.x = 1``, ``this.x = 1``: the language's ``receiver``, else its
    first parameter), items of the ``**kwargs`` a call made for it, and a parameter named
    again (``n = n || 1``).
    A function's ``d[k] = v`` writes beyond it when ``d`` is a parameter (the caller's
    object), declared ``global`` or ``nonlocal``, or bound nowhere in the function's own
    scope (the module's ``_cache``, ``os.environ``); names bound in a nested function or
    class are theirs, not this function's.
    """
    for index, sym in enumerate(symbols):
        if not sym.writes:
            continue
        if sym.kind not in _CALLABLE or own is None:
            sym.writes = []
            continue
        params = [name for name, _ in sym.parameters]
        receiver = None
        if sym.kind in ("method", "constructor"):
            receiver = spec.receiver or (params[0] if params else None)
        gathered = {name for name, how in sym.parameters if how == "variadic"}  # a new tuple or dict per call
        kept: list[tuple[str, str]] = []
        unsure: list[tuple[str, str]] = []
        for value in sym.writes:
            first = _FIRST_NAME.match(value)
            name = first.group(0) if first else ""
            if name == receiver or value.endswith("[…]") and value[:-3] in gathered:  # self.x, kwargs["x"]
                continue
            if name in params:
                if value != name:  # (a parameter named again is the function's own: ``n = n || 1``)
                    kept.append((value, name))
                continue
            unsure.append((value, name))
        if unsure:
            bound, declared, _ = own.of(index)
            kept += [(v, n) for v, n in unsure if n in declared or n not in bound]
        sym.writes = sorted(v for v, _ in kept)


def _keep_gifts(symbols: list[Symbol], given_at: set[int], own: _OwnScopes | None) -> None:
    """Keep what a fixture gives when all its returns and yields (``given_at``: the bytes of
    those the query read) say the same: one in a branch, ``return None``, a bare ``yield``
    or ``yield from``, or two values (``if fast: return A()`` ... ``return B()``), and the
    test's parameter may hold something else."""
    for index, sym in enumerate(symbols):
        if not sym.gives:
            continue
        if own is None or len(sym.gives) > 1 or not given_at.issuperset(own.of(index)[2]):
            sym.gives = []


_RECEIVER_HEAD = re.compile(r"([\w$]+) ?\??\.")  # ``x.m``, ``x .m`` (a chain over lines), ``x?.m``


def _keep_locals_held(
    symbols: list[Symbol], held: dict[int, tuple[int, Node, str]], source: bytes, own: _OwnScopes
) -> None:
    """Keep, of what each function's own names hold (``held``: by the byte its binding starts
    at), those of the names it calls a method of (``index.add()``) or gives (a fixture's
    ``return app``) that it binds nowhere else in its own scope (no other assignment, loop,
    ``with``, parameter, ``global``), nor as two different things (an annotation outranks
    what a call made).

    A name a function calls through without binding it is the nearest enclosing function's,
    or the module's (a class body encloses nothing): what those hold is kept too (``app =
    Flask(__name__)``, then ``app.logger.info()`` in a view). A function on the way that
    binds the same name otherwise (a parameter, a loop...) is given the bare name
    (``"app"``): its own, holding what the memory does not know, where the resolver stops."""
    starts = sorted(held)
    names = [source[at : held[at][0]].decode("utf-8", "replace") for at in starts]
    everywhere = set(names)
    memo: dict[tuple[int, str], bool] = {}

    def holding(index: int, head: str) -> bool:
        """Whether ``symbols[index]`` keeps what its own name ``head`` holds (found once)."""
        known = memo.get((index, head))
        if known is None:
            known = memo[(index, head)] = keep(symbols[index], index, head)
        return known

    top: set[str] | None = None  # the names bound outside every function and class (found once)

    def keep(sym: Symbol, index: int, head: str) -> bool:
        nonlocal top
        lo, hi = sym.span
        first, last = bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi)
        if not index:  # (not the module's query for a name only functions bind)
            if top is None:
                top = _bound_at_top(symbols, starts, names)
            if head not in top:
                return False
        elif head not in names[first:last] or any(head == name for name, _ in sym.parameters):
            return False
        bound, declared, _ = own.of(index)
        ats = bound.get(head, ())
        if not ats or head in declared or any(at not in held for at in ats):
            return False
        found = [held[at] for at in ats]
        annotated = {node_text(node, source) for _, node, how in found if how == "typed"}
        texts = annotated or {
            node_text(node, source) if how == "made" else f"{node_text(node, source)}().{how}" for _, node, how in found
        }
        if len(texts) != 1:
            return False
        sym.locals_held.append(collapse(f"{head}{': ' if annotated else ' = '}{texts.pop()}", 120))
        return True

    open_scopes: list[int] = []  # the functions (and the module, first) the symbol is in
    for index, sym in enumerate(symbols):
        lo = sym.span[0]
        while open_scopes and symbols[open_scopes[-1]].span[1] <= lo:
            open_scopes.pop()
        if index and sym.kind not in _CALLABLE:
            continue  # (a class body is no scope of its methods' names)
        enclosing = list(open_scopes)
        open_scopes.append(index)
        if not (sym.calls or sym.gives):
            continue
        heads = {m.group(1) for m in map(_RECEIVER_HEAD.match, sym.calls) if m is not None}
        heads.update(sym.gives)  # (a call's "f()" is no name it holds)
        heads.intersection_update(everywhere)  # (the query below only for a name some call made)
        for head in sorted(heads):
            if holding(index, head):
                continue
            # not one it holds: its own all the same if it binds it; else an enclosing scope's
            for depth in range(len(enclosing) - 1, -1, -1):
                if holding(enclosing[depth], head):
                    for inner in (*enclosing[depth + 1 :], index):  # the nearest on the way binding it
                        bound, declared, _ = own.of(inner)
                        if head in bound or head in declared or any(head == n for n, _ in symbols[inner].parameters):
                            if head not in symbols[inner].locals_held:
                                symbols[inner].locals_held.append(head)
                            break
                    break


def _bound_at_top(symbols: list[Symbol], starts: list[int], names: list[str]) -> set[str]:
    """Of the names bound at ``starts``, those bound in the module's own statements: outside
    every function and class."""
    inside = sorted(s.span for s in symbols[1:] if s.kind in _CALLABLE or s.kind in _CONTAINERS)
    outermost: list[tuple[int, int]] = []
    for span in inside:
        if not outermost or span[0] >= outermost[-1][1]:
            outermost.append(span)
    ends = [span[0] for span in outermost]
    found = set()
    for at, name in zip(starts, names):
        i = bisect.bisect_right(ends, at) - 1
        if i < 0 or at >= outermost[i][1]:
            found.add(name)
    return found


class _OwnScopes:
    """The names each function of one file binds in its own scope, each with the bytes its
    bindings start at, and the names it declares outer (the language's ``locals`` query),
    asked by the function's index among the file's symbols.

    The query runs over a function once: a function inside it (a bundle's every function is
    inside its wrapper) reads its part of what was found, rather than walk its subtree again;
    and a function asked twice (what it writes, what its names hold) is answered once.
    """

    def __init__(self, symbols: list[Symbol], root: Node, source: bytes, binds) -> None:
        self._symbols, self._root, self._source, self._binds = symbols, root, source, binds
        self._last: tuple[int, int, list[int], list[tuple[int, int, str]]] | None = None  # lo, hi, starts, found
        self._known: dict[int, tuple[dict[str, list[int]], set[str], list[int]]] = {}

    def of(self, index: int) -> tuple[dict[str, list[int]], set[str], list[int]]:
        """(the names it binds, with the bytes each binding starts at; the names it declares
        outer; the bytes its returns and yields start at)."""
        known = self._known.get(index)
        if known is None:
            known = self._known[index] = self._own(index) if index else self._module_own()
        return known

    def _module_own(self) -> tuple[dict[str, list[int]], set[str], list[int]]:
        """:meth:`of` the module, as :meth:`_own` finds it, with the query run over the
        module's own statements only: between its definitions (a file's functions are most
        of it) and on each definition's name."""
        children: list[Symbol] = []
        for inner in itertools.islice(self._symbols, 1, None):
            if not children or inner.span[0] >= children[-1].span[1]:
                children.append(inner)
        ranges = [*zip([0, *(c.span[1] for c in children)], [*(c.span[0] for c in children), len(self._source)])]
        ranges += [c.name_span for c in children]
        bound: dict[str, list[int]] = {}
        declared: set[str] = set()
        cursor = QueryCursor(self._binds)
        for lo, hi in sorted(ranges):
            if lo >= hi:
                continue
            cursor.set_byte_range(lo, hi)
            for cap, nodes in cursor.captures(self._root).items():
                for node in nodes:
                    if cap == "exit" or not lo <= node.start_byte < hi:
                        continue
                    if cap == "declared":
                        declared.add(node_text(node, self._source))
                    else:
                        bound.setdefault(node_text(node, self._source), []).append(node.start_byte)
        return bound, declared, []

    def _own(self, index: int) -> tuple[dict[str, list[int]], set[str], list[int]]:
        sym, source = self._symbols[index], self._source
        lo, hi = sym.span
        if self._last is None or not (self._last[0] <= lo and hi <= self._last[1]):
            node = self._root.descendant_for_byte_range(lo, hi)
            captured = QueryCursor(self._binds).captures(node).items() if node is not None else ()
            found = sorted((n.start_byte, n.end_byte, cap) for cap, nodes in captured for n in nodes)
            self._last = (lo, hi, [f[0] for f in found], found)
        starts, found = self._last[2], self._last[3]
        # Definitions directly inside it: their bodies are their own scopes, their names its.
        children: list[Symbol] = []
        for inner in itertools.islice(self._symbols, index + 1, None):
            if inner.span[0] >= hi:
                break
            if not children or inner.span[0] >= children[-1].span[1]:
                children.append(inner)
        child_starts = [c.span[0] for c in children]
        bound: dict[str, list[int]] = {}
        declared: set[str] = set()
        exits: list[int] = []
        for at, end, cap in found[bisect.bisect_left(starts, lo) : bisect.bisect_left(starts, hi)]:
            if at == sym.name_span[0] and index:
                continue  # its own name (a module has none)
            i = bisect.bisect_right(child_starts, at) - 1
            if i >= 0 and at < children[i].span[1] and at != children[i].name_span[0]:
                continue
            if cap == "exit":
                exits.append(at)
                continue
            name = source[at:end].decode("utf-8", "replace")
            if cap == "declared":
                declared.add(name)
            else:
                bound.setdefault(name, []).append(at)
        return bound, declared, exits


def _drop_named_values(defs: dict[tuple, tuple[str, Node, Node]]) -> None:
    """A named function that is the value of a definition is that definition, not one
    inside it: ``app.listen = function listen() {}``, ``res.type = function contentType()``
    (each tagged twice; the calls went to the inner one, and the outer, calling nothing,
    was found pure). Callers know it by the outer name: its own is bound only inside it.
    Only definitions that end together are looked at."""
    ends: dict[int, list[tuple]] = {}
    for key in defs:
        ends.setdefault(key[1], []).append(key)
    for keys in ends.values():
        if len(keys) < 2:
            continue
        for key in keys:
            parent = defs[key][1].parent
            if parent is not None and _key(parent) in defs:
                del defs[key]


def _drop_constants_named_otherwise(defs: dict[tuple, tuple[str, Node, Node]], source: bytes) -> None:
    """A JavaScript or TypeScript module constant is no symbol of its own where its name is
    another definition's:

    - a function or class written in its value with its name: `export const flow: Flow =
      Object.assign(function flow(...) {...}, annotation)` (mobx), React's `const Button =
      forwardRef(function Button(props, ref) {...})`, effect's `const UnknownException: new(...)
      => ... = (function() { class UnknownException ... })()`: callers call that one;
    - an interface or a type of its name before it (TypeScript's companion: zod's `export
      interface ZodType`, then `export const ZodType = core.$constructor(...)`): the type names
      what it is, and the constant would be its `~2` (what a second definition of a name is
      called: its functions' calls, `ZodType~2.runChecks`, would never be judged).
    """
    constants = [key for key, (kind, _, _) in defs.items() if kind == "constant"]
    if not constants:
        return
    named: dict[str, list[tuple[int, str]]] = {}
    for key, (kind, _node, name) in defs.items():
        if kind in ("function", "class", "interface", "type"):
            named.setdefault(node_text(name, source), []).append((key[0], kind))
    for key in constants:
        for start, kind in named.get(node_text(defs[key][2], source), ()):
            if key[0] <= start < key[1] if kind in ("function", "class") else start < key[0]:
                del defs[key]
                break


def _merge_namespaces(
    defs: dict[tuple, tuple[str, Node, Node]], scopes: dict[tuple, tuple[Node, Node]], source: bytes
) -> None:
    """A TypeScript namespace beside a class, function or enum of its name merges with it
    (declaration merging): apollo-client 4's `export declare namespace ApolloLink { interface
    Options ... }` then `export class ApolloLink { static empty() ... }`. The class is the symbol
    and the namespace names what it holds with it (`ApolloLink.Options`), as TypeScript does;
    the class was `ApolloLink~2`, and `ApolloLink.empty()` a call of a method gone."""
    merged: dict[str, list[tuple]] = {}
    for key, (kind, _node, name) in defs.items():
        if kind in ("class", "function", "enum"):
            merged.setdefault(node_text(name, source), []).append(key)
    if not merged:
        return
    for key, (kind, node, name) in list(defs.items()):
        if kind != "module":
            continue
        partners = merged.get(node_text(name, source), ())
        # (beside it: neither holds the other, and the same container holds both)
        if any(
            defs[other][1].parent is not None and _container(defs[other][1]) == _container(node)
            for other in partners
            if not (key[0] <= other[0] < key[1] or other[0] <= key[0] < other[1])
        ):
            del defs[key]
            scopes[key] = (node, name)


def _container(node: Node) -> tuple[int, int] | None:
    """The byte range of the block or program a declaration is written in, past `export` and
    `declare` (a statement's own wrappers)."""
    parent = node.parent
    while parent is not None and parent.type in ("export_statement", "ambient_declaration", "expression_statement"):
        parent = parent.parent
    return (parent.start_byte, parent.end_byte) if parent is not None else None


def _block_assigned(statement: Node, source: bytes) -> list[tuple[int, str, str]]:
    """The names a module-level ``if`` or ``try`` statement's own blocks assign, as ``binds``
    references (the query finds the statements; walking their few children here costs less
    than a pattern for each block's depth)."""
    out: list[tuple[int, str, str]] = []
    condition = statement.child_by_field_name("condition")
    if condition is not None and b"__name__" in source[condition.start_byte : condition.end_byte]:
        return out  # (`if __name__ == "__main__":` binds nothing an importer sees)
    blocks = [c for c in statement.named_children if c.type == "block"]
    blocks += [b for c in statement.named_children if c.type in _CLAUSES for b in c.named_children if b.type == "block"]
    for block in blocks:
        for child in block.named_children:
            if child.type != "expression_statement" or not child.named_children:
                continue
            assignment = child.named_children[0]
            left = assignment.child_by_field_name("left") if assignment.type == "assignment" else None
            if left is not None and left.type == "identifier":
                out.append((left.start_byte, "binds", node_text(left, source)))
    return out


_CLAUSES = frozenset(("elif_clause", "else_clause", "except_clause", "finally_clause"))


def _module_symbol(root: Node, source: bytes, a: dict[str, list[Node]]) -> Symbol:
    docs = sorted(a.get("doc", []), key=lambda n: n.start_byte)
    text = "\n".join(node_text(d, source).rstrip("\r\n") for d in docs)
    return Symbol(
        "",
        "module",
        (0, 0),
        _point(root.end_point),
        (0, 0),
        (0, 0),
        hashlib.blake2b(source, digest_size=8).hexdigest(),
        docstring=clean_doc(text) if docs else None,
        exports=_exports(a.get("exports"), source),
        span=(0, len(source)),
    )


def _exports(lists: list[Node] | None, source: bytes) -> list[str] | None:
    """The names a module's one literal ``__all__`` lists; None when it has none, or more than
    one, or grows it elsewhere, or lists anything but plain strings."""
    if not lists or len(lists) > 1 or len(_ALL_SET.findall(source)) > 1:
        return None
    names = []
    for item in lists[0].named_children:
        if item.type == "comment":
            continue
        parts = [c for c in item.named_children if c.type == "string_content"]
        if item.type != "string" or len(parts) != 1 or item.named_child_count != 3:
            return None  # (an f-string, a name, `*other.__all__`)
        names.append(node_text(parts[0], source))
    return names


# (each statement that sets or grows `__all__`, at any depth: `__all__ = [...]`, `+=`, `.extend(`)
_ALL_SET = re.compile(rb"^[ \t]*__all__\s*(?::[^=\n]*)?(?:\+?=|\.(?:extend|append|insert)\b)", re.M)


def _symbol(
    qual: str, kind: str, node: Node, name: Node, source: bytes, a: dict[str, list[Node]], returns_form: str
) -> Symbol:
    # The scan's hot path: each node attribute is read once.
    span = (node.start_byte, node.end_byte)
    name_span = (name.start_byte, name.end_byte)
    sym = Symbol(
        qual,
        kind,
        tuple(node.start_point),  # type: ignore[arg-type]  # (a Point: two ints)
        tuple(node.end_point),  # type: ignore[arg-type]
        tuple(name.start_point),  # type: ignore[arg-type]
        tuple(name.end_point),  # type: ignore[arg-type]
        body_hash(source, span, name_span),
        span=span,
        name_span=name_span,
    )
    if "declared" in a:
        sym.declared = True
    decorators = a.get("decorator")
    doc_nodes = a.get("doc")
    if doc_nodes:
        docs = _adjacent_docs(doc_nodes, node, decorators or ())
        if docs:
            sym.docstring = clean_doc("\n".join(node_text(d, source).rstrip("\r\n") for d in docs))
            sym.doc_span = (docs[0].start_byte, docs[-1].end_byte)
            if docs[0].start_byte < span[0]:  # a leading comment belongs to the symbol
                sym.start = _point(docs[0].start_point)
    base = a.get("extends")  # (a JavaScript or TypeScript class's, an interface's: several)
    if base:
        name_text = source[name_span[0] : name_span[1]].decode("utf-8", "replace")
        bases = ", ".join(node_text(b, source) for b in base)
        sym.signature = f"{name_text} extends {collapse(bases, 120)}"
    params = a.get("params")
    if params and "typed.elsewhere" not in a:
        returns = a.get("returns")
        name_text = source[name_span[0] : name_span[1]].decode("utf-8", "replace")
        sym.signature = _signature_text(
            name_text, _uncommented(params[0], source), node_text(returns[0], source) if returns else None, returns_form
        )
        # (a parameter the query gives two kinds has the later: TypeScript's `_: void` is also
        # a plain parameter, and callers may leave it out)
        found = {n.start_byte: (node_text(n, source), kind) for cap, kind in _PARAM_KINDS for n in a.get(cap, ())}
        if found:
            sym.parameters = [found[at] for at in sorted(found)]
    if decorators:
        sym.decorators = [
            collapse(node_text(d, source).lstrip("@#[").rstrip("]"), 120)
            for d in sorted(decorators, key=lambda n: n.start_byte)
        ]
    return sym


_PARAM_KINDS = (("param.required", "required"), ("param.optional", "optional"), ("param.variadic", "variadic"))


def _attribute(
    symbols: list[Symbol], spans: list[tuple[int, int]], refs: list[tuple[int, str, str]]
) -> list[tuple[int, str, str]]:
    """Give each call, import and raise to the innermost symbol that contains it.

    One sweep over symbols and references in document order, with a stack of
    the symbols open at the current position (symbols nest or are disjoint).
    """
    module_refs: list[tuple[int, str, str]] = []
    if not refs:
        return module_refs
    found: dict[int, dict[str, set[str]]] = {}
    ordered = sorted(range(1, len(symbols)), key=spans.__getitem__)
    starts = [spans[i][0] for i in ordered]
    stack = [0]  # the module holds everything
    top, top_end = 0, spans[0][1]
    groups = found[0] = {}
    next_sym, count = 0, len(ordered)
    refs.sort()
    for ref in refs:
        start = ref[0]
        if next_sym < count and starts[next_sym] <= start:
            while next_sym < count and starts[next_sym] <= start:
                stack.append(ordered[next_sym])
                next_sym += 1
            top = -1  # the innermost open symbol changed
        while len(stack) > 1 and spans[stack[-1]][1] <= start:
            stack.pop()
            top = -1
        if top != stack[-1] or top_end <= start:
            top = stack[-1]
            top_end = spans[top][1]
            groups = found.get(top) or found.setdefault(top, {})
        values = groups.get(ref[1])
        if values is None:
            groups[ref[1]] = {ref[2]}
        else:
            values.add(ref[2])
        if top == 0:
            module_refs.append(ref)
    for index, groups in found.items():
        for what, values in groups.items():
            setattr(symbols[index], what, sorted(values))
    return module_refs


_parsers = threading.local()


def parse(source: bytes, language: str) -> Tree:
    """Parse with this thread's parser for the language (parsers are not thread-safe), given
    the language's repairs of ``source`` (:func:`kairos_lsp.languages.repaired`): read the
    nodes' texts from ``source`` (:func:`kairos_lsp.languages.node_text`), not ``Node.text``."""
    cache = _parsers.__dict__
    parser = cache.get(language) or cache.setdefault(language, new_parser(language))
    return parser.parse(repaired(language, source))


def extract_source(source: bytes, language: str) -> Extraction:
    """Parse and extract in one step (the scanner's path)."""
    return extract_tree(parse(source, language), source, language)


def parameters_json(parameters: list[tuple[str, str]]) -> str:
    """``json.dumps(parameters)``, byte for byte, without the encoder's machinery (a scan
    writes one per function).

    >>> given = [("a", "required"), ("b\u00e9", "optional"), ('c"', "variadic")]
    >>> parameters_json(given) == json.dumps(given)
    True
    """
    return "[" + ", ".join(f"[{_json_string(name)}, {_json_string(kind)}]" for name, kind in parameters) + "]"


_json_string = json.encoder.encode_basestring_ascii  # what json.dumps uses for a str (ensure_ascii)


def observations(symbol: Symbol) -> list[tuple[str, str]]:
    """The (predicate, value) pairs one parse asserts about a symbol.

    Locations are not predicates here: line numbers move with every edit above
    them, so the store keeps them in place instead of in the append-only log.
    """
    out = [("kind", symbol.kind), ("body_hash", symbol.body_hash)]
    if symbol.signature is not None:
        out.append(("signature", symbol.signature))
        if symbol.kind in _CALLABLE:  # no ``arity``: the parameters say it (schema 21)
            out.append(("parameters", parameters_json(symbol.parameters)))
    if symbol.docstring:
        out.append(("docstring", symbol.docstring))
    out += [("decorated_by", d) for d in symbol.decorators]
    out += [("calls", c) for c in symbol.calls]
    out += [("imports", i) for i in symbol.imports]
    out += [("raises", r) for r in symbol.raises]
    out += [("writes", w) for w in symbol.writes]
    out += [("attribute", a) for a in symbol.attributes]
    out += [("local", a) for a in symbol.locals_held]
    out += [("gives", g) for g in symbol.gives]
    out += [("deprecated", d) for d in symbol.deprecated]
    out += [("deprecates", d) for d in symbol.deprecates]
    out += [("deprecated_parameter", d) for d in symbol.deprecated_parameters]
    out += [("binds", b) for b in symbol.binds]
    if symbol.exports is not None:
        out.append(("exports", " ".join(symbol.exports)))
    if symbol.declared:
        out.append(("declared", "without code"))
    return out
