"""Grammar loading and tag queries, one entry per language.

Language knowledge lives in two places only: the official grammar wheel's own
``tags.scm`` and our extension in ``queries/<name>.scm``. The extractor reads
captures by name and never asks which language it is looking at.

>>> spec = language_for_path("src/app.ts")
>>> spec.name
'typescript'
"""

from __future__ import annotations

import importlib
import importlib.resources
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath

from tree_sitter import Language, Node, Parser, Query

from kairos_lsp.languages.repairs import REPAIRS


@dataclass(frozen=True)
class LanguageSpec:
    """How to parse one language: its grammar wheel and its query files."""

    name: str
    extensions: tuple[str, ...]
    module: str  # the grammar wheel's import name
    entry: str = "language"  # function in the wheel returning the grammar
    tags_from: tuple[str, ...] = ()  # wheels whose tags.scm we start from
    comment_prefixes: tuple[str, ...] = ("//",)
    returns: str = "{sig} -> {ret}"  # how the language writes a return type, for signatures
    own_queries: tuple[str, ...] = ()  # our query files, when not just the one named after it
    sites: tuple[str, ...] = ()  # query files for call sites, imported names, receivers (open documents only)
    locals: tuple[str, ...] = ()  # query files for the names a function binds (what it writes: extract.py)
    # query files for what the code says is deprecated, asked around the calls of `warn` or
    # `deprecated` (extract.py)
    deprecations: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # query files for the attributes a file reads (open documents only)
    receiver: str | None = None  # what a method's object is called, when no parameter ("this")
    modules: str | None = None  # how imports name files: "python", "ecmascript", "go", "rust" or "java" (resolve.py)
    # The extraction (``extract.EXTRACTION_VERSION``) that last changed what this language's
    # files give: a file an older one read is read again.
    extraction: int = 1
    # Endings of files that declare without code (type stubs): their bodies say nothing of effects.
    declarations: tuple[str, ...] = ()
    # Lines longer than this on average make a file minified, machine-made (a bundle in `dist/`):
    # not read (GitHub Linguist's test for JavaScript: 110 characters).
    minified_above: int | None = None
    # Rewrites of the bytes before parsing, for syntax the grammar wheel misreads (repairs.py).
    repairs: tuple[str, ...] = ()
    # The file in platform/ naming the methods the platform's own classes define (see platform_method).
    platform: str | None = None
    # Whether its doc comments are runs of line comments (Go's `//`): see query_source.
    doc_runs: bool = False
    # Whether a value's class is declared where the file's imports lead: TypeScript types an
    # untyped callback parameter from them (a named function's untyped one is an error in
    # strict mode); a Python function takes a duck-typed value from anywhere.
    typed_through_imports: bool = False


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python",
        (".py", ".pyi"),
        "tree_sitter_python",
        tags_from=("tree_sitter_python",),
        comment_prefixes=("#",),
        sites=("python-sites",),
        locals=("python-locals",),
        deprecations=("python-deprecations",),
        reads=("python-reads",),
        modules="python",
        platform="python",
        extraction=19,
        declarations=(".pyi",),
    ),
    LanguageSpec(
        "javascript",
        (".js", ".mjs", ".cjs", ".jsx"),
        "tree_sitter_javascript",
        tags_from=("tree_sitter_javascript",),
        returns="{sig}: {ret}",
        own_queries=("javascript", "ecmascript"),
        sites=("ecmascript-sites", "javascript-sites"),
        locals=("ecmascript-locals", "javascript-locals"),
        reads=("ecmascript-reads", "javascript-reads", "jsx-reads"),
        receiver="this",
        modules="ecmascript",
        platform="ecmascript",
        typed_through_imports=True,
        extraction=19,
        minified_above=110,
    ),
    # TypeScript's tags.scm only adds TS patterns to JavaScript's.
    LanguageSpec(
        "typescript",
        (".ts", ".mts", ".cts"),
        "tree_sitter_typescript",
        entry="language_typescript",
        returns="{sig}: {ret}",
        own_queries=("typescript", "ecmascript"),
        sites=("ecmascript-sites", "typescript-sites"),
        locals=("ecmascript-locals", "typescript-locals"),
        reads=("ecmascript-reads", "typescript-reads"),
        receiver="this",
        modules="ecmascript",
        platform="ecmascript",
        typed_through_imports=True,
        extraction=19,
        tags_from=("tree_sitter_javascript", "tree_sitter_typescript"),
        declarations=(".d.ts", ".d.mts", ".d.cts"),
        repairs=(
            "typescript-variance",
            "typescript-call-signatures",
            "typescript-escaped-backquotes",
            "typescript-type-star-exports",
        ),
    ),
    LanguageSpec(
        "tsx",
        (".tsx",),
        "tree_sitter_typescript",
        entry="language_tsx",
        returns="{sig}: {ret}",
        own_queries=("typescript", "ecmascript"),  # TS plus JSX
        sites=("ecmascript-sites", "typescript-sites"),
        locals=("ecmascript-locals", "typescript-locals"),
        reads=("ecmascript-reads", "typescript-reads", "jsx-reads"),
        receiver="this",
        modules="ecmascript",
        platform="ecmascript",
        typed_through_imports=True,
        extraction=19,
        tags_from=("tree_sitter_javascript", "tree_sitter_typescript"),
        repairs=(
            "typescript-variance",
            "typescript-call-signatures",
            "typescript-escaped-backquotes",
            "typescript-type-star-exports",
        ),
    ),
    LanguageSpec(
        "go",
        (".go",),
        "tree_sitter_go",
        tags_from=("tree_sitter_go",),
        returns="{sig} {ret}",
        sites=("go-sites",),
        modules="go",
        extraction=20,
        doc_runs=True,
    ),
    LanguageSpec(
        "rust",
        (".rs",),
        "tree_sitter_rust",
        tags_from=("tree_sitter_rust",),
        sites=("rust-sites",),
        modules="rust",
        extraction=20,
    ),
    LanguageSpec(
        "java",
        (".java",),
        "tree_sitter_java",
        tags_from=("tree_sitter_java",),
        returns="{ret} {sig}",
        sites=("java-sites",),
        receiver="this",
        modules="java",
        extraction=21,
    ),
)

_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
_BY_NAME = {spec.name: spec for spec in LANGUAGES}
DECLARATIONS = tuple(ending for spec in LANGUAGES for ending in spec.declarations)


def language_for_path(path: str | PurePath) -> LanguageSpec | None:
    """The language of a file by its extension, or None when we do not know it."""
    return _BY_EXTENSION.get(PurePath(path).suffix.lower())


def source_glob() -> str:
    """One glob for every file a language of ours reads: what an editor's watcher is asked
    to tell the server about.

    >>> source_glob()[:20]
    '**/*.{cjs,cts,go,jav'
    """
    return "**/*.{" + ",".join(sorted(ext[1:] for ext in _BY_EXTENSION)) + "}"


def declares_only(path: str) -> bool:
    """Whether a file only declares (a type stub: ``.pyi``, ``.d.ts``): what its functions
    call or raise says nothing of what they do.

    >>> declares_only("stdlib/os/__init__.pyi"), declares_only("types/node.d.ts"), declares_only("os.py")
    (True, True, False)
    """
    return path.lower().endswith(DECLARATIONS)


def language_named(name: str) -> LanguageSpec | None:
    return _BY_NAME.get(name)


def language_for_id(language_id: str) -> LanguageSpec | None:
    """Map an LSP ``languageId`` (``typescriptreact``, ``python``...) to a spec."""
    aliases = {"typescriptreact": "tsx", "javascriptreact": "javascript"}
    return _BY_NAME.get(aliases.get(language_id, language_id))


@cache
def grammar(name: str) -> Language:
    spec = _BY_NAME[name]
    return Language(getattr(importlib.import_module(spec.module), spec.entry)())


@cache
def _repairs(name: str) -> tuple[Callable[[bytes], bytes], ...]:
    return tuple(REPAIRS[repair] for repair in _BY_NAME[name].repairs)


def repaired(name: str, source: bytes) -> bytes:
    """What the parser is given for ``source``: the bytes with the language's repairs, each
    byte where it was (``source`` itself when it has none). Texts are read from ``source``.

    >>> repaired("typescript", b"interface Box<out T> {}"), repaired("python", b"x = 1")
    (b'interface Box<    T> {}', b'x = 1')
    """
    given = source
    for repair in _repairs(name):
        given = repair(given)
    # (a repair that moved a byte would misplace every text after it: the file as it is, then)
    return given if len(given) == len(source) else source


def node_text(node: Node | None, source: bytes) -> str:
    """A node's text, read from the file's own bytes (the parser may have been given repaired
    ones: :func:`repaired`); "" for no node.

    >>> source = b"interface Box<out T> {}"
    >>> tree = new_parser("typescript").parse(repaired("typescript", source))
    >>> params = tree.root_node.children[0].child_by_field_name("type_parameters")
    >>> params.text, node_text(params, source)
    (b'<    T>', '<out T>')
    """
    if node is None:
        return ""
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def new_parser(name: str) -> Parser:
    """A fresh parser (parsers are not shared between threads)."""
    return Parser(grammar(name))


def _wheel_tags(module: str) -> str:
    mod = importlib.import_module(module)
    text = getattr(mod, "TAGS_QUERY", None)
    if text is None:  # tree-sitter-typescript ships the file but no constant
        text = importlib.resources.files(module).joinpath("queries/tags.scm").read_text()
    return text


def query_source(name: str) -> str:
    """The full query text for a language: wheel tags first, then ours. For a language whose
    docs are runs of line comments (``doc_runs``: Go), a run captured as a doc (``(comment)*
    @doc .``) is asked as its last comment alone, the one that touches the definition
    (extract.py reads the run above it): tree-sitter's cost for a quantified capture grows as
    a power of the run's length (a 358-line doc comment in caddy's templates.go took the tag
    query 11.6 s; as one comment, milliseconds).

    >>> "(comment)* @doc" in query_source("go"), "(comment)? @doc" in query_source("go")
    (False, True)
    """
    spec = _BY_NAME[name]
    parts = [_wheel_tags(module) for module in spec.tags_from]
    for own_name in spec.own_queries or (name,):
        own = importlib.resources.files(__package__).joinpath(f"queries/{own_name}.scm")
        if own.is_file():
            parts.append(own.read_text())
    text = "\n".join(parts)
    return _OPTIONAL_RUN.sub(r"(\1)? @doc", _RUN.sub(r"(\1) @doc", text)) if spec.doc_runs else text


_RUN = re.compile(r"\((\w*comment)\)\+ @doc\b")  # `(comment)+ @doc`: the last one of the run
_OPTIONAL_RUN = re.compile(r"\((\w*comment)\)\* @doc\b")  # `(comment)* @doc`: the last one, if any


@cache
def query(name: str) -> Query:
    return Query(grammar(name), query_source(name))


@cache
def sites_query(name: str) -> Query | None:
    """The call-site query of a language, or None when it has none."""
    return _our_query(name, _BY_NAME[name].sites)


@cache
def locals_query(name: str) -> Query | None:
    """The query for the names a function binds in its own scope, or None when the
    language has none (then nothing it writes is observed)."""
    return _our_query(name, _BY_NAME[name].locals)


@cache
def deprecations_query(name: str) -> Query | None:
    """The query for what a language's code says is deprecated, or None when it has none."""
    return _our_query(name, _BY_NAME[name].deprecations)


@cache
def reads_query(name: str) -> Query | None:
    """The query for the attributes a language's code reads, or None when it has none."""
    return _our_query(name, _BY_NAME[name].reads)


def platform_method(name: str, method: str, modules: Iterable[str]) -> bool:
    """Whether a class of the platform language ``name`` runs on defines ``method``: one every
    file reaches (JavaScript's ``addEventListener``, a fetch ``Request``'s ``text``) or one of
    the ``modules`` a file imports (Python's ``ssl``: ``SSLContext.wrap_socket``; Node's
    ``fs``), as the type checkers' own declarations say (``platform/*.txt``, written by
    ``tools/platform_methods.py`` from typeshed and TypeScript's libraries).

    >>> platform_method("typescript", "addEventListener", ()), platform_method("typescript", "byId", ())
    (True, False)
    >>> platform_method("python", "wrap_socket", ["ssl"]), platform_method("python", "wrap_socket", ["json"])
    (True, False)
    """
    table = _platform(_BY_NAME[name].platform)
    if method in table.get("*", ()):
        return True
    # (the top-level module: `http.client` is `http`'s, `node:fs/promises` is `fs`'s)
    return any(method in table.get(module.removeprefix("node:").split("/")[0].split(".")[0], ()) for module in modules)


def platform_lacks(name: str, method: str, module: str) -> bool:
    """Whether the platform's declarations list ``module`` and none of its classes defines
    ``method`` (nor one every file reaches): a class a file imports from it has no such method.
    A module they do not list (a library's) may define anything.

    >>> platform_lacks("python", "enforce_mask", "unittest"), platform_lacks("python", "setUp", "unittest")
    (True, False)
    >>> platform_lacks("python", "enforce_mask", "attrs")
    False
    """
    table = _platform(_BY_NAME[name].platform)
    top = module.removeprefix("node:").split("/")[0].split(".")[0]
    return top in table and method not in table[top] and method not in table.get("*", ())


@cache
def _platform(file: str | None) -> dict[str, frozenset[str]]:
    """``platform/<file>.txt`` as {module: method names} (``*``: every file's)."""
    if file is None:
        return {}
    text = importlib.resources.files(__package__).joinpath(f"platform/{file}.txt").read_text()
    lines = (line.partition(": ") for line in text.splitlines() if line and not line.startswith("#"))
    return {module: frozenset(names.split()) for module, _, names in lines}


def _our_query(name: str, parts: tuple[str, ...]) -> Query | None:
    """Our query files ``parts`` of a language as one query (None: no files)."""
    if not parts:
        return None
    files = importlib.resources.files(__package__)
    return Query(grammar(name), "\n".join(files.joinpath(f"queries/{part}.scm").read_text() for part in parts))
