"""Offline insights and their promotion.

For every live symbol of a file the dream just replayed, derive:

``may_handle <category>``  authentication, file I/O, network, database,
    parsing, caching, serialization, logging — from independent sources:
    ``name`` (tokens of the symbol's name), ``docstring`` (its words),
    ``calls`` (what it calls), ``decorators``, ``imports`` (its own imports). The
    words of a constant named in capitals count only beside another source: its
    name says what it is about (``FTP_PORT``), not what it does.
``pure true``  a function (not a method) whose calls are all side-effect free
    builtins, that raises nothing, imports nothing and writes nothing beyond its own
    scope (no ``writes``: a global, a parameter's item; sources ``calls``,
    ``raises``; ``name`` when it reads like a query: is_/has_/to_/...). Never
    while a side-effect category (file I/O, network, database, logging) holds,
    nor in a type stub (``.pyi``, ``.d.ts``), an ``@overload`` or a signature declared
    without code (``declared``: TypeScript's overloads): a stub's ``...``
    calls nothing, and says nothing of what ``subprocess.run`` does.
``role entry point``  ``name`` main/cli (not of a function defined inside another),
    ``decorators`` command/route, and ``module`` (the file calls it at module level,
    e.g. under ``__main__``).
``role widely called``  ``callers``: at least WIDELY call sites name it, and no other
    scope defines that name (a call of ``close`` or ``get`` says nothing of which one it
    calls; see :func:`own_calls`).

With Claude opted in (dream/claude.py), its answers on the symbol's current body
are one more source, ``llm``: ``may_handle`` a category, ``pure`` true or false
(each contradicts the other), ``side_effects`` (a side-effect category is also
``may_handle`` evidence); alone it never makes a fact firm (one source), and a
``side_effects`` or ``pure false`` fact rests on Claude alone, so stays tentative.

Each source counts once (its weight is in ``model.WEIGHTS``); confidence is
the noisy-OR over the sources; a fact becomes firm at ``FIRM_AT`` (0.75) with
at least two sources and no contradiction. When a source disappears its
evidence link is deactivated and the fact re-judged (demoted, or retracted
when nothing is left). A user verdict overrides: confirmed stays firm,
rejected is never re-created from evidence it was rejected with (new
evidence may bring it back, tentative at most).
"""

from __future__ import annotations

import functools
import json
import operator
import re
import sys

from kairos_lsp.dream.model import LLM, Fact, Version
from kairos_lsp.dream.state import State
from kairos_lsp.dream.summary import parameter_names
from kairos_lsp.keys import name_of, path_of, qualname_of
from kairos_lsp.languages import declares_only

WIDELY = 10
STUBS_NOT_PURE = "retract purity of stubs"  # the mark a migration leaves: stubs were found pure before
INSIGHTS = ("may_handle", "pure", "role", "side_effects")

# category -> (name/docstring tokens, call patterns, decorator patterns, import modules)
# A call pattern "x." matches calls starting with "x."; "a.b" matches a call ending in "a.b";
# a bare word matches the call's last part.
CATEGORIES: dict[str, tuple[set[str], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "authentication": (
        {
            "auth",
            "authenticate",
            "authentication",
            "authorize",
            "login",
            "logout",
            "password",
            "passwd",
            "credential",
            "credentials",
            "token",
            "oauth",
            "jwt",
            "signin",
            "permission",
            "permissions",
            "session",
        },
        (
            "authenticate",
            "check_password",
            "verify_password",
            "login",
            "logout",
            "jwt.",
            "bcrypt.",
            "hmac.compare_digest",
            "getpass",
            "getpass.",
        ),
        ("login_required", "requires_auth", "permission_required"),
        ("jwt", "bcrypt", "passlib", "oauthlib", "getpass", "hmac"),
    ),
    "file I/O": (
        {
            "file",
            "files",
            "path",
            "read",
            "write",
            "open",
            "save",
            "load",
            "directory",
            "dir",
            "folder",
            "filename",
            "mkdir",
            "unlink",
            "copy",
            "tempfile",
        },
        (
            "open",
            "os.remove",
            "os.unlink",
            "os.rename",
            "os.replace",
            "os.makedirs",
            "os.mkdir",
            "os.listdir",
            "os.walk",
            "os.scandir",
            "os.stat",
            "os.lstat",
            "os.access",
            "os.chmod",
            "os.rmdir",
            "os.readlink",
            "os.symlink",
            "os.path.exists",
            "os.path.isfile",
            "os.path.isdir",
            "os.path.islink",
            "os.path.getsize",
            "os.path.getmtime",
            "shutil.",
            "read_text",
            "write_text",
            "read_bytes",
            "write_bytes",
            "mkdir",
            "unlink",
            "glob.",
            "tempfile.",
            "io.open",
        ),
        (),
        ("shutil", "tempfile", "glob", "pathlib", "fnmatch"),
    ),
    "network": (
        {
            "http",
            "https",
            "url",
            "urls",
            "request",
            "requests",
            "fetch",
            "download",
            "upload",
            "socket",
            "sockets",
            "client",
            "server",
            "api",
            "endpoint",
            "host",
            "port",
            "smtp",
            "ftp",
        },
        (
            "requests.",
            "httpx.",
            "aiohttp.",
            "urllib.",
            "urlopen",
            "socket.",
            "http.client.",
            "connect",
            "sendall",
            "recv",
            "getaddrinfo",
            "create_connection",
        ),
        ("route", "app.get", "app.post", "router."),
        ("socket", "requests", "httpx", "aiohttp", "urllib", "http", "ssl", "smtplib", "ftplib"),
    ),
    "database": (
        {
            "db",
            "database",
            "sql",
            "sqlite",
            "query",
            "queries",
            "cursor",
            "commit",
            "rollback",
            "transaction",
            "table",
            "tables",
            "schema",
            "migration",
            "orm",
        },
        (
            "execute",
            "executemany",
            "executescript",
            "fetchone",
            "fetchall",
            "fetchmany",
            "commit",
            "rollback",
            "sqlite3.connect",
            "cursor",
            "session.query",
        ),
        ("transaction", "atomic"),
        ("sqlite3", "sqlalchemy", "psycopg2", "pymysql", "dbm", "shelve", "sqlite_utils"),
    ),
    "parsing": (
        {
            "parse",
            "parser",
            "parsing",
            "tokenize",
            "tokenizer",
            "token",
            "tokens",
            "lex",
            "lexer",
            "grammar",
            "ast",
            "syntax",
            "scan",
            "scanner",
            "regex",
        },
        (
            "re.match",
            "re.search",
            "re.compile",
            "re.fullmatch",
            "re.findall",
            "re.finditer",
            "re.sub",
            "re.split",
            "ast.parse",
            "tokenize.",
            "shlex.split",
            "parse",
            "parse_args",
        ),
        (),
        ("re", "ast", "tokenize", "shlex", "argparse", "html.parser", "tree_sitter", "lark"),
    ),
    "caching": (
        {"cache", "cached", "caching", "memo", "memoize", "memoized", "lru", "invalidate"},
        ("lru_cache", "functools.lru_cache", "cache_clear", "cache_info"),
        (
            "lru_cache",
            "functools.lru_cache",
            "cache",
            "functools.cache",
            "cached_property",
            "functools.cached_property",
            "cached",
        ),
        ("cachetools",),
    ),
    "serialization": (
        {
            "json",
            "serialize",
            "deserialize",
            "serializer",
            "dump",
            "dumps",
            "loads",
            "pickle",
            "marshal",
            "encode",
            "decode",
            "yaml",
            "toml",
            "xml",
            "csv",
        },
        (
            "json.",
            "pickle.",
            "marshal.",
            "yaml.",
            "toml.",
            "tomllib.",
            "csv.",
            "dumps",
            "loads",
            "to_json",
            "from_json",
        ),
        (),
        ("json", "pickle", "marshal", "yaml", "toml", "tomllib", "csv", "copyreg", "plistlib"),
    ),
    "logging": (
        {"log", "logs", "logger", "logging", "warn", "warning", "debug", "trace", "audit"},
        (
            "logging.",
            "logger.",
            "log.debug",
            "log.info",
            "log.warning",
            "log.error",
            "log.exception",
            "warnings.warn",
            "print",
        ),
        (),
        ("logging", "warnings", "structlog", "loguru"),
    ),
}
SIDE_EFFECTS = {"file I/O", "network", "database", "logging"}
PURE_CALLS = {
    "len",
    "abs",
    "min",
    "max",
    "sum",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "range",
    "map",
    "filter",
    "any",
    "all",
    "int",
    "float",
    "str",
    "bool",
    "tuple",
    "list",
    "dict",
    "set",
    "frozenset",
    "isinstance",
    "issubclass",
    "round",
    "divmod",
    "hash",
    "ord",
    "chr",
    "repr",
    "format",
    "type",
    "iter",
    "hasattr",
    "getattr",
    "bytes",
    "pow",
    "join",
    "split",
    "strip",
    "lower",
    "upper",
    "startswith",
    "endswith",
    "replace",
    "get",
    "items",
    "keys",
    "values",
    "math.",
}
QUERY_NAME = re.compile(r"^(is|has|to|as|get|compute|calc|calculate|count|normalize|clamp)(_|[A-Z]|$)")
ENTRY_NAMES = {"main", "cli", "run_cli", "entrypoint", "entry_point"}
ENTRY_DECORATORS = ("command", "group", "route", "app.get", "app.post", "main", "typer.")
# Decorators of a signature declared without its code (``@typing.overload``: the body is ``...``).
DECLARING_DECORATORS = ("overload",)
_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")


def tokens(name: str) -> list[str]:
    return [t.lower() for t in _SPLIT.findall(name)]


class Patterns:
    """Call patterns compiled to dict lookups (a scan of the stdlib classifies ~200k calls)."""

    def __init__(self, table: dict[str, tuple[str, ...]], memo: bool = True):
        """``memo``: remember answers (at most :data:`MEMO` calls; the caller may do it instead)."""
        self.bare: dict[str, set[str]] = {}
        self.dotted: dict[str, set[str]] = {}
        self.prefix: dict[str, set[str]] = {}
        for label, patterns in table.items():
            for p in patterns:
                if p.endswith("."):
                    self.prefix.setdefault(p[:-1], set()).add(label)
                elif "." in p:
                    self.dotted.setdefault(p, set()).add(label)
                else:
                    self.bare.setdefault(p, set()).add(label)
        self.memo = memo
        self._cache: dict[str, frozenset] = {}
        self._values: dict[frozenset, frozenset] = {}  # one object per distinct answer (there are few)

    def labels(self, call: str) -> frozenset:
        found = self._cache.get(call)
        if found is None:
            parts = call.split(".")
            hits = set(self.bare.get(parts[-1], ()))
            for k in range(2, len(parts) + 1):
                hits |= self.dotted.get(".".join(parts[-k:]), set())
            for i in range(len(parts) - 1):
                for j in range(i + 1, len(parts)):
                    hits |= self.prefix.get(".".join(parts[i:j]), set())
            found = frozenset(hits)
            found = self._values.setdefault(found, found)
            if self.memo:
                _remember(self._cache, call, found)
        return found


MEMO = 50_000  # entries per memo of this module: past it, it starts over (bounded memory, see README)


def _remember(memo: dict, key, value) -> None:
    if len(memo) >= MEMO:
        memo.clear()
    memo[key] = value


_CALLS = Patterns({c: v[1] for c, v in CATEGORIES.items()}, memo=False)  # _CALL_INFO remembers
_DECORATORS = Patterns({c: v[2] for c, v in CATEGORIES.items()})
_PURE = Patterns({"pure": tuple(PURE_CALLS)}, memo=False)
_ENTRY = Patterns({"entry": ENTRY_DECORATORS})
_DECLARING = Patterns({"declared": DECLARING_DECORATORS})
_TOKENS: dict[str, list[str]] = {}
for _category in sorted(CATEGORIES):
    for _token in CATEGORIES[_category][0]:
        _TOKENS.setdefault(_token, []).append(_category)
_TOKEN_WORDS = frozenset(_TOKENS)
_MODULES = {m: {c for c, v in CATEGORIES.items() if m in v[3]} for v in CATEGORIES.values() for m in v[3]}

# Words that name a category only beside one of these in the same name (or docstring), or
# when another source names it too: a lexer's get_token, ssl's SSLSocket.session, dict.copy
# and a codec's decoding_table handle no authentication, files or database. Samples of the
# large tree's claims from such a word alone: token 24 wrong of 40, session 19 of 30, path
# (a graph's, a URL's, PurePath.name) 19 of 25, schema 15 of 15 and query 13 of 15 (a JSON
# schema, a URL's query string), cursor 9 of 12 (a text cursor; the 3 right: DB-API stubs;
# README). ``read``, ``write``, ``open`` and ``load`` for file I/O, beside a parameter that
# names a file too (:data:`NAMING_PARAMETERS`): of the large tree's 4,508 claims from one of
# them alone, 372 have one (of 12 sampled, 9 right, the 3 wrong an ``fd`` of a socket or
# process, so ``fd`` is none), and of 20 sampled among the 4,136 others 4 were right, 12
# wrong (ldap's ``open``, memcached's ``load_bytecode``, a terminal's ``_write_status``),
# 4 a stream's or a pipe's. ``trace``, ``debug``, ``warning`` and ``audit`` for logging (a
# debugger's ``set_trace``, a matrix's ``trace``, a Warning class, Windows' audit policies):
# of 20 sampled among the 1,542 claims that went, 3 were right (pony's ``set_sql_debug``).
# Tried the same way and left out: ``log`` (of 12 claims it took away, 6 were right:
# distutils' Log).
_BESIDE = {
    "authentication": {"access", "refresh", "bearer", "csrf", "xsrf", "id", "api", "cookie", "verifier", "secret",
                       "user"},
    "file I/O": {"src", "dst", "disk", "fs", "tree"},
    "database": {"create", "drop", "alter", "column", "columns", "row", "rows", "insert", "select", "index", "lock",
                 "locked"},
}  # fmt: skip
# Kinds whose names, written in capitals, say what a symbol is about, not what it does:
# FTP_PORT is a number, PAGE_EXECUTE_READ a flag, LOAD_CONST an opcode. Such a name's
# words (and its docstring's) count only beside a call or an import that names the category
# (``LOGGER = logging.getLogger(...)``). Samples of the large tree's claims from words alone:
# of 45 on constants in capitals, none handles its category; of 30 in lower case, about a
# third do (``_open = open``, ``_version_cache = {}``, a logger), so those keep them (README).
NAMED_ABOUT = frozenset({"constant"})
QUALIFIED: dict[tuple[str, str], frozenset[str]] = {
    (word, category): frozenset((CATEGORIES[category][0] | _BESIDE.get(category, set())) - {word})
    for word, category in (
        ("token", "authentication"),
        ("session", "authentication"),
        ("copy", "file I/O"),
        ("path", "file I/O"),
        ("table", "database"),
        ("schema", "database"),
        ("query", "database"),
        ("queries", "database"),
        ("cursor", "database"),
        ("read", "file I/O"),
        ("write", "file I/O"),
        ("open", "file I/O"),
        ("load", "file I/O"),
        ("trace", "logging"),
        ("debug", "logging"),
        ("warning", "logging"),
        ("audit", "logging"),
    )
}
# Parameter words that make a QUALIFIED verb count alone: ``write_dot(G, path)``,
# ``json.load(fp)`` and ``dbm.open(file)`` handle files; ``IMAP4.open(host, port)`` and
# ``pickle._Unpickler.load_tuple2(self)`` do not. (Not for ``path`` itself: posixpath's
# ``join(a, *p)`` and a ``_path_join(path)`` work on strings.)
_FILE_PARAMETERS = frozenset(
    {"file", "files", "filename", "filenames", "filepath", "fileobj", "fname", "fp", "path", "paths", "pathname",
     "dir", "dirname", "directory", "folder"}
)  # fmt: skip
NAMING_PARAMETERS: dict[tuple[str, str], frozenset[str]] = {
    (verb, "file I/O"): _FILE_PARAMETERS for verb in ("read", "write", "open", "load")
}


def _categories(word: str, words: set[str]) -> list[tuple[str, bool]]:
    """The categories ``word`` names among ``words`` (a name's or a docstring's), each with
    whether it names it alone: False for a word of QUALIFIED with none of its companions
    there, which counts only when another source names the category too (a ``copy`` that
    calls ``shutil.copyfile``; not ``dict.copy``). A word of several categories whose
    companions for one are there names that one only: ``access_token`` is no lexer's token
    (on the large tree 237 claims of oauthlib's, Authlib's and pywin32's tokens said parsing)."""
    found = [(c, (word, c) not in QUALIFIED or not QUALIFIED[word, c].isdisjoint(words)) for c in _TOKENS.get(word, ())]
    meant = [(c, True) for c, alone in found if alone and (word, c) in QUALIFIED]
    return meant or found


_OBJECT = operator.attrgetter("object")
# name -> (token, category, alone) for its sorted distinct tokens that name a category (see _categories)
_NAME_TOKENS: dict[str, tuple[tuple[str, str, bool], ...]] = {}
_CALL_INFO: dict[str, tuple[tuple[str, ...], bool]] = {}  # call -> (sorted categories, impure)
_INFOS: dict[tuple, tuple] = {}  # one object per distinct answer (there are few)


# Pure only when called bare: ``set(items)`` builds a set, while ``event.set()``,
# ``var.set(value)`` (a context variable, a Tk variable), a Map's or a response's ``set``
# write. 12 functions of the library folder and 4 of express were found pure by one.
BARE_ONLY = {"set"}


def _call_info(call: str) -> tuple[tuple[str, ...], bool]:
    pure = _PURE.labels(call) and not ("." in call and call.rsplit(".", 1)[1] in BARE_ONLY)
    info = (tuple(sorted(_CALLS.labels(call))), not pure)
    info = _INFOS.setdefault(info, info)
    _remember(_CALL_INFO, call, info)
    return info


def _name_tokens(name: str) -> tuple[tuple[str, str, bool], ...]:
    """``(token, category, alone)`` for the sorted distinct tokens of ``name`` that name a
    category (most names have none; ``alone``: see :func:`_categories`).

    >>> _name_tokens("get_token")
    (('token', 'authentication', False), ('token', 'parsing', True))
    >>> _name_tokens("check_access_token")
    (('token', 'authentication', True),)
    """
    words = set(tokens(name))
    named = _TOKEN_WORDS.intersection(words)  # most names have none: no loop over their words
    found = tuple((sys.intern(t), c, alone) for t in sorted(named) for c, alone in _categories(t, words))
    _remember(_NAME_TOKENS, name, found)
    return found


def _parameter_words(view: dict[str, list[Fact]]) -> frozenset[str]:
    """The words of a symbol's parameter names (``file_path`` -> file, path)."""
    parameters = view.get("parameters")
    return _words_of(parameters[0].object) if parameters else frozenset()


@functools.lru_cache(maxsize=4096)  # the same few parameter lists recur across a code base
def _words_of(parameters_json: str) -> frozenset[str]:
    """The words of the names in a ``parameters`` observation.

    >>> sorted(_words_of('[["self", "required"], ["filePath", "required"], ["mode", "optional"]]'))
    ['file', 'mode', 'path', 'self']
    """
    return frozenset(word for name in parameter_names(parameters_json) for word in tokens(name))


@functools.lru_cache(maxsize=16384)  # a module's imports recur in every dream of its file
def _imported(value: str) -> str:
    try:
        data = json.loads(value)
        return data.get("module", "") if isinstance(data, dict) else str(value)
    except ValueError:
        return value


def own_calls(subject: str, calls: int, scopes: int | None) -> int:
    """Of the ``calls`` sites that name ``subject``'s name, those that count as its own:
    all when ``scopes`` (``Facts.definers_of``) is one, its own; none when more scopes
    define the name, or when ``subject`` is in a type stub (which declares what another
    file defines). On the large tree the name's call sites alone made 71,778 symbols widely
    called, and 2 of 40 picked at random had 10 call sites that resolve to them; held by
    one scope, 2,886, and 31 of 40 (README).

    >>> own_calls("python:a.py:parse", 12, 1), own_calls("python:a.py:C.close", 2811, 400)
    (12, 0)
    >>> own_calls("python:stubs/a.pyi:parse", 12, 1)
    0
    """
    return calls if scopes == 1 and not declares_only(path_of(subject)) else 0


def declared_only(subject: str, decorators: list[str], declared: bool = False) -> bool:
    """Whether ``subject`` is declared without its code, so that what it calls or raises
    says nothing: a function of a type stub, an ``@overload`` (``decorators``: their names),
    or one the extraction saw declared without code (``declared``: TypeScript's overloads).

    >>> declared_only("python:stubs/os.pyi:system", []), declared_only("python:a.py:f", ["typing.overload"])
    (True, True)
    >>> declared_only("python:a.py:f", ["functools.cache"])
    False
    """
    return declared or declares_only(path_of(subject)) or any(_DECLARING.labels(head) for head in decorators)


def derive(
    subject: str,
    view: dict[str, list[Fact]],
    callers: int,
    module_calls: set[str],
    name: str | None = None,
    llm: list[tuple[str, str, int, str]] | None = None,
    nested: bool = False,
) -> dict[tuple[str, str], list[tuple[str, str, int]]]:
    """The insights the evidence supports now: {(predicate, value): [(why, detail, obs id)]}.
    ``name``: ``name_of(subject)``, when the caller has it. ``llm``: Claude's answers on the
    current body, ``(predicate, value, observation id, model)`` (see :func:`llm_evidence`).
    ``nested``: ``subject`` is defined inside a function (a test's ``async def main()``
    for ``asyncio.run``), so its name says nothing of how the program starts."""
    out: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    kind_fact = view.get("kind", [None])[0]
    if kind_fact is None:
        return out
    kind = kind_fact.object
    if name is None:
        name = name_of(subject)
    anchor = kind_fact.first_observation
    if name[:2] == "__" == name[-2:]:
        # a protocol's name, which the language chose (``__dir__``, ``__url__``): on the
        # large tree 235 ``__dir__`` "handled" file I/O, ``__commit_id__`` a database
        name_tokens: tuple[tuple[str, str, bool], ...] = ()
    else:
        cached = _NAME_TOKENS.get(name)
        name_tokens = _name_tokens(name) if cached is None else cached
    doc = view.get("docstring", [])
    doc_words: set[str] = set()
    if doc:
        first = doc[0].object.split("\n\n", 1)[0]
        doc_words = {w.lower() for w in _WORD.findall(first)}
    calls = sorted(view.get("calls", ()), key=_OBJECT)
    decorators = sorted(view.get("decorated_by", ()), key=_OBJECT)
    imports = sorted(view.get("imports", ()), key=_OBJECT)
    raises = view.get("raises", [])

    def add(predicate, value, why, detail, oid):
        out.setdefault((predicate, value), []).append((why, detail, oid))

    supported = []  # (category, why, word, oid): words that count only beside another source
    words_alone = kind not in NAMED_ABOUT or name.upper() != name
    parameter_words = None
    for token, category, alone in name_tokens:
        if not alone and (token, category) in NAMING_PARAMETERS:
            if parameter_words is None:
                parameter_words = _parameter_words(view)
            alone = not NAMING_PARAMETERS[token, category].isdisjoint(parameter_words)
        if alone and words_alone:
            add("may_handle", category, "name", token, anchor)
        else:
            supported.append((category, "name", token, anchor))
    if doc:
        for word in sorted(doc_words):
            for category, alone in _categories(word, doc_words):
                if alone and words_alone:
                    add("may_handle", category, "docstring", word, doc[0].first_observation)
                else:
                    supported.append((category, "docstring", word, doc[0].first_observation))
    impure = False
    call_info = _CALL_INFO
    for call in calls:
        obj = call.object
        info = call_info.get(obj)
        if info is None:
            info = _call_info(obj)
        for category in info[0]:
            add("may_handle", category, "calls", obj, call.first_observation)
        if info[1]:
            impure = True
    entry_decorators = []
    heads = []
    for deco in decorators:
        head = deco.object.split("(", 1)[0]
        heads.append(head)
        for category in sorted(_DECORATORS.labels(head)):
            add("may_handle", category, "decorators", head, deco.first_observation)
        if _ENTRY.labels(head):
            entry_decorators.append((head, deco.first_observation))
    for imp in imports:
        module = _imported(imp.object)
        for category in sorted(_MODULES.get(module, set()) | _MODULES.get(module.split(".", 1)[0], set())):
            add("may_handle", category, "imports", module, imp.first_observation)

    for category, why, word, oid in supported:
        if ("may_handle", category) in out:
            add("may_handle", category, why, word, oid)
    handled = {value for (predicate, value) in out if predicate == "may_handle"}
    # A function that writes beyond its scope (a global, its argument's item) is not pure.
    if kind == "function" and not (handled & SIDE_EFFECTS) and not raises and not imports and not view.get("writes"):
        if not impure and not declared_only(subject, heads, "declared" in view):
            body = view.get("body_hash", [kind_fact])[0]
            add("pure", "true", "calls", "no side-effect calls", body.first_observation)
            add("pure", "true", "raises", "raises nothing", body.first_observation)
            if QUERY_NAME.match(name):
                add("pure", "true", "name", name, anchor)

    if kind in ("function", "method", "constructor", "macro"):
        if name.lower() in ENTRY_NAMES and not nested:
            add("role", "entry point", "name", name, anchor)
        for head, oid in entry_decorators:
            add("role", "entry point", "decorators", head, oid)
        if "." not in qualname_of(subject) and name in module_calls and ("role", "entry point") in out:
            add("role", "entry point", "module", name, anchor)
    if kind != "module" and not name.startswith("__") and callers >= WIDELY:
        add("role", "widely called", "callers", f">= {WIDELY} call sites", anchor)
    if llm:
        # one detail for every model: a user's reject of Claude's word sticks whichever model says it
        # again (the model is on the observation: "llm_asked")
        for predicate, value, oid, _model in llm:
            add(predicate, value, LLM, "Claude", oid)
            if predicate == "side_effects" and value in CATEGORIES:
                add("may_handle", value, LLM, "Claude", oid)
    return out


def llm_evidence(rows, bodies: dict[str, str]) -> dict[str, list[tuple[str, str, int, str]]]:
    """Claude's answers that count now: for each subject, those of its latest answer on its
    current body (``bodies``: subject -> body hash); answers on another body are stale.
    ``rows``: ``Facts.llm_answers_between`` rows.

    >>> rows = [("s", 7, "b1 m", 70, "pure", "true"), ("s", 9, "b2 m", 90, "pure", "false")]
    >>> llm_evidence(rows, {"s": "b1"}), llm_evidence(rows, {"s": "b3"})
    ({'s': [('pure', 'true', 70, 'm')]}, {})
    """
    latest: dict[str, int] = {}
    for subject, version, asked, _, _, _ in rows:
        if asked.split(" ", 1)[0] == bodies.get(subject):
            latest[subject] = max(latest.get(subject, 0), version)
    out: dict[str, list[tuple[str, str, int, str]]] = {}
    for subject, version, asked, oid, predicate, value in rows:
        if latest.get(subject) == version:
            out.setdefault(subject, []).append((predicate, value, oid, asked.split(" ", 1)[-1]))
    return out


def contradicted(key: tuple[str, str], desired: dict) -> bool:
    """Only facts of the same subject are candidates: pure vs a side-effect category (or
    Claude's side effects), pure true vs pure false."""
    if key == ("pure", "true"):
        return ("pure", "false") in desired or any(
            (p == "may_handle" and v in SIDE_EFFECTS) or p == "side_effects" for p, v in desired
        )
    if key[0] == "may_handle" and key[1] in SIDE_EFFECTS:
        return ("pure", "true") in desired
    if key == ("pure", "false"):
        return ("pure", "true") in desired
    return False


def reconcile(state: State, version: Version, subject: str, desired: dict) -> None:
    """Bring the live insight facts of a subject in line with what the evidence supports now."""
    facts = state.facts_of(subject)
    # only a subject with derived facts (loaded or created, see State) can have insights
    # (insights of other kinds, such as tested_by from dream/tested.py, are not this module's)
    existing = (
        {k: f for k, f in facts.items() if f.origin in ("insight", "user") and k[0] in INSIGHTS}
        if subject in state.derived_subjects
        else {}
    )
    verdicts = state.verdicts.get(subject, {})
    if not existing and not verdicts:
        # Nothing to keep, unlink or retract: every desired insight is a new fact
        # with exactly its evidence (the general loop below, without the no-ops).
        create, link, judge = state.create, state.link, state.judge
        for key in sorted(desired):
            evidence = desired[key]
            if not evidence:
                continue
            created = create(subject, key[0], key[1], "insight", version, evidence[0][2])
            facts[key] = created
            for item in sorted(set(evidence)):
                link(created, item[2], item[0], item[1])
            judge(created, contradicted=contradicted(key, desired), capped=False)
        return
    for key in sorted(set(desired) | set(existing)):
        evidence = desired.get(key, [])
        fact = existing.get(key)
        verdict = verdicts.get(key)
        signature = frozenset((why, detail) for why, detail, _ in evidence)
        rejected = verdict is not None and verdict[0] == "rejected"
        if fact is None:
            if not evidence or (rejected and verdict is not None and signature <= verdict[1]):
                continue
            fact = state.create(subject, key[0], key[1], "insight", version, evidence[0][2])
            facts[key] = fact
        wanted = {(why, detail, oid) for why, detail, oid in evidence}
        for item in sorted(wanted):
            if not fact.loaded_evidence.get(item):
                state.link(fact, item[2], item[0], item[1])
        for item in sorted(
            k for k, on in fact.loaded_evidence.items() if on and k not in wanted and k[0] not in ("user", "negated")
        ):
            state.unlink(fact, item)
        if not evidence and fact.verdict != "confirmed":
            state.retract(fact, version.observed_at, None)
            continue
        state.judge(fact, contradicted=contradicted(key, desired), capped=rejected)
