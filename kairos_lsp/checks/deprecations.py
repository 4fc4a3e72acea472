"""``deprecated-symbol``: uses of what the memory saw become deprecated.

The code says it is deprecated (a warning a function, method or module gives as its own
statement, a PEP 702 ``@deprecated``, a name a module no longer defines that its
``__getattr__`` keeps with a warning: see :mod:`kairos_lsp.extract`); the memory says since
when, and where. What was deprecated already when the memory first saw it draws nothing: the
memory speaks about change it saw (a project's own tests of its deprecations, first scanned,
are released code).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kairos_lsp.checks.model import DEPRECATED_SYMBOL, CheckedFile, Problem
from kairos_lsp.keys import name_of, path_of, qualname_of, symbol_key
from kairos_lsp.resolve import Found, Kept, held_parts
from kairos_lsp.sites import AttributeRead, CallSite, ImportedName, Span


def deprecations(
    file: CheckedFile,
    calls: list[CallSite],
    imports: list[ImportedName],
    expecting: Sequence[tuple[int, int]] = (),
    reads: list[AttributeRead] | None = None,
    bases: Sequence[AttributeRead] = (),
) -> list[Problem]:
    """Uses by import, call or attribute read (``reads``: :func:`kairos_lsp.sites.find_reads`
    of the names the memory saw deprecated, :meth:`Resolver.deprecated_names`; a property
    read, ``ctx.protected_args``, a module's kept ``flask.__version__``, a base class).

    ``expecting``: byte ranges of code that expects a warning (a test of a deprecation:
    ``with pytest.deprecated_call():``), where a use of what is deprecated is meant. Nor is
    anything said inside what the file itself deprecates (werkzeug's deprecated
    ``url_decode_stream`` calls the deprecated ``make_chunk_iter``: they go together; a class
    whose ``__init__`` or ``__new__`` is deprecated is as a whole), nor of a use in the file
    that deprecates it: the warning is its author's, addressed to the other files.

    A class whose making alone is deprecated (its ``__init__`` or ``__new__`` warns; ``bases``:
    :attr:`kairos_lsp.sites.Sites.bases`, the classes made on others) is said where one is made:
    a call of it, a class made on it, and the import a file makes one through. Naming it in
    an annotation, an ``isinstance`` or to call its class methods warns of nothing: aiohttp
    3.14's ``BasicAuth`` warns in ``__new__``, and its own modules that import it for their
    annotations, its ``__init__`` that exports it, and its tests of ``BasicAuth.decode`` were all
    said (22 warnings, 17 of them so)."""
    # (deprecated in its own words, or in its documentation: SQLAlchemy's `async_scoped_session`
    # proxies say `.. deprecated:: 2.0` and call the deprecated method they stand for)
    retiring = {s.qualname for s in file.symbols if s.deprecated or _documented_deprecated(s.docstring)}
    if "" in retiring:
        return []  # the module itself
    retiring |= {q.rpartition(".")[0] for q in retiring if q.endswith(_MAKERS)}
    reads = reads or []
    bound_by_import = {item.alias or item.name for item in imports}
    moved: dict[str, bool] = {}  # by kept key: whether the name lives on in another module (one query each)

    def lives_on(target: Kept) -> bool:
        if target.key not in moved:
            moved[target.key] = _lives_on(file, target)
        return moved[target.key]

    if expecting:
        calls = [c for c in calls if not any(lo <= c.callee_span.start_byte < hi for lo, hi in expecting)]
        imports = [i for i in imports if not any(lo <= i.name_span.start_byte < hi for lo, hi in expecting)]
        reads = [r for r in reads if not any(lo <= r.span.start_byte < hi for lo, hi in expecting)]
    # (an override's `super().from_settings(settings)` is the deprecated hook's own chain: scrapy's
    # tests subclass a pipeline to see its deprecated `from_settings` still called)
    calls = [c for c in calls if not _chained(c.callee, file.scope(c.callee_span.start))]
    if retiring:
        calls = [c for c in calls if not _within(file.scope(c.callee_span.start), retiring)]
        imports = [i for i in imports if not _within(file.scope(i.name_span.start), retiring)]
        reads = [r for r in reads if not _within(file.scope(r.span.start), retiring)]
    resolver = file.knowledge.resolver
    # by the key used: the message and whether only making one is deprecated; None: nothing to say
    said: dict[str, tuple[str, bool] | None] = {}
    out = []
    based = {b.span.start_byte for b in bases}
    imported = {item.name_span.start_byte: item for item in imports}
    # (the text used, its scope, where, and how: imported, called, read, or made on)
    sites: list[tuple[str, str | None, Span, str]] = [
        (item.alias or item.name, None, item.name_span, "import") for item in imports
    ]
    sites += [(call.callee, file.scope(call.callee_span.start), call.name_span, "call") for call in calls]
    sites += [(read.text, file.scope(read.span.start), read.name_span, _how_read(read, based)) for read in reads]
    targets = [resolver.lookup(file.path, text, scope) for text, scope, _, _ in sites]
    made = {t.key for t, site in zip(targets, sites) if site[3] == "call" and isinstance(t, Found)}
    made |= {
        t.key for b in bases if isinstance(t := resolver.lookup(file.path, b.text, file.scope(b.span.start)), Found)
    }
    for (text, _, span, how), target in zip(sites, targets):
        if not isinstance(target, (Found, Kept)) or path_of(target.key) == file.path:
            continue
        if target.key not in said:
            said[target.key] = _kept(file, target) if isinstance(target, Kept) else _deprecated(file, target.key)
            if said[target.key] is not None and "." in qualname_of(target.key) and resolver.overridden(target.key):
                said[target.key] = None  # (a method a subclass overrides: which one a call meets is not ours)
        found = said[target.key]
        if found is None:
            continue
        message, making = found
        if isinstance(target, Kept) and how != "import" and text in bound_by_import and lives_on(target):
            continue  # (a name moved, its old path kept: the warning is the import's, said there)
        if how == "import" and _used_as_meant(file, text, span, expecting, retiring):
            continue
        if how == "import" and isinstance(target, Found) and _reexported(file, imported[span.start_byte]):
            continue  # (a name a module's `__getattr__` keeps warns when imported: said)
        if making and (how in ("read", "compared") or how == "import" and target.key not in made):
            continue  # (the class named, none made: an annotation, an isinstance, a class method)
        if how == "compared" and isinstance(target, Found) and file.kind_of(target.key) == "function":
            continue  # (`formatter is dev.better_traceback`: it warns when called, and none is)
        out.append(Problem(DEPRECATED_SYMBOL, "information", message, span.start, span.end, target.key))
    for call, target in zip(calls, targets[len(imports) : len(imports) + len(calls)]):
        if call.keywords and isinstance(target, Found) and path_of(target.key) != file.path:
            out += _keywords_deprecated(file, call, target.key)
    # what a type checker is told to let be (pytest's own re-export of its deprecated `yield_fixture`)
    return [p for p in out if _ACKNOWLEDGED.search(file.line(p.start[0])) is None]


def _lives_on(file: CheckedFile, target: Kept) -> bool:
    """Whether the name a module's ``__getattr__`` keeps is defined in another module the memory
    holds: the name moved and only its old import path is deprecated (scrapy's `FileException`,
    now `scrapy.pipelines.media`'s), not the thing itself (werkzeug's `CharsetAccept`, kept as a
    private `_CharsetAccept` to be removed: each use of it is a use of what goes)."""
    name, home = name_of(target.key), path_of(target.key)
    return any(row["path"] != home and row["qualname"] == name for row in file.knowledge.store.symbols_named(name))


def _documented_deprecated(doc: str | None) -> bool:
    """Whether a docstring or doc comment says its symbol is deprecated (Sphinx's
    ``.. deprecated::``, JSDoc's ``@deprecated``)."""
    return doc is not None and _SAYS_DEPRECATED.search(doc) is not None


_SAYS_DEPRECATED = re.compile(r"^\s*(\.\. deprecated::|@deprecated\b)", re.MULTILINE)


def _how_read(read: AttributeRead, based: set[int]) -> str:
    """How an attribute read uses what it names: a base class, an identity test, or a read."""
    return "base" if read.span.start_byte in based else "compared" if read.compared else "read"


_MAKERS = (".__init__", ".__new__")  # a class's methods that make one: deprecated, the class is

# A comment a type checker reads as "this use of a deprecated name is meant": mypy's, pyright's,
# ty's (fastapi 0.141's tests import its deprecated `ORJSONResponse` with `# ty: ignore[deprecated]`)
_ACKNOWLEDGED = re.compile(
    rb"#\s*((type|ty):\s*ignore\[[^\]]*\bdeprecated\b|pyright:\s*ignore\[[^\]]*\breportDeprecated\b)"
)


def _used_as_meant(
    file: CheckedFile, name: str, imported: Span, expecting: Sequence[tuple[int, int]], retiring: set[str]
) -> bool:
    """Whether the file uses what it imports as ``name`` (at ``imported``), and only where a use
    is meant: in code that expects the warning (scrapy's tests import `equal_attributes` for
    tests marked `filterwarnings`; fastapi's use `ORJSONResponse` under
    `warnings.catch_warnings()`), or inside what the file deprecates itself (scrapy's deprecated
    `AjaxCrawlMiddleware` is all that uses its module's import of `escape_ajax`). Any other
    mention of the name, a string's or a comment's too, leaves the import said."""
    if not expecting and not retiring:
        return False
    uses = _mentions(file.source, name.encode(), imported.start_byte, imported.end_byte)
    return bool(uses) and all(
        any(lo <= at < hi for lo, hi in expecting) or _within(file.scope(file.point(at)), retiring) for at in uses
    )


def _mentions(source: bytes, name: bytes, start: int, end: int) -> list[int]:
    """Where ``source`` names ``name`` (a whole name, not an attribute), outside ``start:end``
    (the import itself)."""
    return [
        found.start()
        for found in re.finditer(rb"(?<![\w.])" + re.escape(name) + rb"\b", source)
        if not start <= found.start() < end
    ]


def _reexported(file: CheckedFile, item: ImportedName) -> bool:
    """Whether the module passes the name it imports on as its own and does not use it: PEP
    484's re-export, ``from ._sockets import wait_socket_readable as wait_socket_readable``
    (anyio 4.14's ``__init__``), or a name its ``__all__`` lists (scrapy 2.13's
    ``handlers/http.py`` keeps the deprecated ``HTTP10DownloadHandler`` so). The name passed on
    warns whoever calls it, and they are told; the module that passes it on calls nothing."""
    name = (item.alias or item.name).encode()
    source = file.source
    end = item.name_span.end_byte
    explicit = item.alias == item.name
    if explicit:  # (the alias, after `as`, is the import too)
        written = re.compile(rb"\s+as\s+" + re.escape(name) + rb"\b").match(source, end)
        if written is None:
            return False
        end = written.end()
    mentions = _mentions(source, name, item.name_span.start_byte, end)
    if not mentions:
        return explicit
    # (else the module's `__all__` lists it, and each other mention is a string: that entry)
    exports = file.symbols[0].exports if file.symbols else None
    return (
        exports is not None
        and name.decode() in exports
        and all(
            source[at - 1 : at] in (b'"', b"'") and source[at + len(name) : at + len(name) + 1] == source[at - 1 : at]
            for at in mentions
        )
    )


def _chained(callee: str, scope: str | None) -> bool:
    """``super().m(...)`` inside a method ``m``: an override calling what it overrides."""
    if scope is None or _SUPER_CALL.match(callee) is None:
        return False
    return callee.rpartition(".")[2] == scope.rpartition(".")[2]


_SUPER_CALL = re.compile(r"super\([^)]*\)\.\w+$")


def _within(scope: str | None, qualnames: set[str]) -> bool:
    """Whether ``scope`` is one of ``qualnames`` or inside one (``A.f.g`` is in ``A.f``)."""
    while scope:
        if scope in qualnames:
            return True
        scope = scope.rpartition(".")[0]
    return False


def _keywords_deprecated(file: CheckedFile, call: CallSite, key: str) -> list[Problem]:
    """A keyword ``call`` passes that its callee (a class: its ``__init__``) was seen to
    deprecate. One whose value is made of the caller's own of that name (``charset=charset``,
    werkzeug's ``charset=charset if charset != "utf-8" else None``) is relayed: the caller's
    callers are the ones to hear it."""
    path, qualname = path_of(key), qualname_of(key)
    deprecated = file.knowledge.resolver.deprecated_parameters(path)
    whose = qualname if qualname in deprecated else f"{qualname}.__init__"
    out = []
    for keyword in set(call.keywords) & set(deprecated.get(whose, ())):
        span = file.keyword_span(call, keyword)
        argument = next(a for a in call.arguments if a.keyword == keyword)
        given = file.source[argument.start_byte : argument.end_byte].decode("utf-8", "replace")
        if span is None or re.search(rf"\b{keyword}\b", given.partition("=")[2]):
            continue  # (relayed: `charset=charset`, `charset=charset if charset != "utf-8" else None`)
        when = _parameter_became_deprecated(file, symbol_key(file.language, path, whose), keyword)
        if when is not None:
            message = f"`{keyword}` of `{name_of(key)}` became deprecated on {when} ({path}): "
            message += deprecated[whose][keyword]
            out.append(Problem(DEPRECATED_SYMBOL, "information", message, span.start, span.end, key))
    return out


def _parameter_became_deprecated(file: CheckedFile, key: str, parameter: str) -> str | None:
    """When the memory last saw ``key`` start to warn that ``parameter`` is deprecated, if it
    saw ``key`` before that."""
    first_seen, when = None, None
    for row in file.knowledge.store.timeline(key, ("kind", "deprecated_parameter")):
        if row["negated"]:
            continue
        if row["predicate"] == "kind":
            first_seen = row["version"] if first_seen is None else first_seen
        elif row["object"].startswith(parameter + ": ") and first_seen is not None and row["version"] > first_seen:
            when = _time(row["observed_at"])
    return when


def _deprecated(file: CheckedFile, key: str) -> tuple[str, bool] | None:
    """What to say of a use of ``key`` (of a class: of making one, its ``__init__`` or
    ``__new__``, too), if the memory saw it become deprecated, and whether only making one is."""
    path, qualname = path_of(key), qualname_of(key)
    announced = file.knowledge.resolver.deprecated(path)
    for subject in (qualname, *(qualname + maker for maker in _MAKERS)) if qualname else ("",):
        if subject not in announced:
            continue
        whose = key + subject[len(qualname) :]
        when = _became_deprecated(file, whose, key if whose != key else None)
        if when is not None:
            name = name_of(key) or path
            return f"`{name}` became deprecated on {when} ({path}): {announced[subject]}", subject != qualname
    return None


def _became_deprecated(file: CheckedFile, key: str, made: str | None = None) -> str | None:
    """When the memory last saw ``key`` go from not deprecated to deprecated, if it did. A
    class's ``__init__`` or ``__new__`` (``made``: the class) that came deprecated (a `__new__`
    added with the warning) made the class deprecated if the memory saw the class before."""
    looks = file.knowledge.looks(key, ("kind", "deprecated"))
    when = None
    for before, look in zip(looks, looks[1:]):
        if "deprecated" in look.values and "kind" in before.values and "deprecated" not in before.values:
            when = _time(look.at)
    if when is None and made is not None and looks and "deprecated" in looks[0].values:
        seen = file.knowledge.looks(made, ("kind",))
        if seen and seen[0].version < looks[0].version:
            when = _time(looks[0].at)
    if when is None and made is None and looks and "deprecated" in looks[0].values:
        if _was_an_attribute(file, key, looks[0].version):
            when = _time(looks[0].at)
    return when


def _was_an_attribute(file: CheckedFile, key: str, version: int) -> bool:
    """Whether a method ``key`` (a property) was an attribute its class's ``__init__`` set,
    as the memory saw before look ``version``: click 8.2's ``self.protected_args = []`` became
    a property that warns. Its readers read the same name, deprecated now."""
    owner, _, member = qualname_of(key).rpartition(".")
    if not owner:
        return False
    init = symbol_key(key.partition(":")[0], path_of(key), owner + ".__init__")
    for row in file.knowledge.store.timeline(init, ("attribute",)):
        if row["version"] >= version:
            break
        # ("protected_args: list[str]", "app = Flask()", or the bare name)
        if not row["negated"] and (held_parts(row["object"])[0] or row["object"]) == member:
            return True
    return False


def _kept(file: CheckedFile, target: Kept) -> tuple[str, bool] | None:
    """What to say of a name its module's ``__getattr__`` keeps, if the memory saw the name
    defined there and then removed (and False: the name is deprecated, not making one)."""
    looks = file.knowledge.looks(target.key, ("kind",))
    when = None
    for before, look in zip(looks, looks[1:]):
        if before.values and not look.values:
            when = _time(look.at)
    if when is None:
        return None
    name, path = name_of(target.key), path_of(target.key)
    return (
        f"`{name}` is deprecated: it left `{path}` on {when}, and the module's `__getattr__` keeps it "
        f"with a warning: {target.message}"
    ), False


def _time(at: str) -> str:
    return at[:16].replace("T", " ") + " UTC"
