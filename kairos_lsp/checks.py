"""Problems the memory can see in one file, each with the fixes it can offer.

Plain Python over a parsed file and the knowledge layer; the server turns
:class:`Problem` into LSP diagnostics and code actions, the CLI prints them.
Positions are tree-sitter points (row, UTF-8 byte column).

Codes (stable, used as the diagnostic ``code``):

``stale-call``       a call whose arguments no longer fit the callee's current signature
``renamed-symbol``   a reference to a name that was renamed (or moved)
``missing-symbol``   a reference to a symbol that was deleted
``docstring-drift``  documented parameters that no longer exist, or new ones undocumented
``recent-failure``   the function or its test failed in the last captured run

>>> problems = check_file(knowledge, "app.py", "python", source, tree)   # doctest: +SKIP
>>> [(p.code, p.message) for p in problems]                               # doctest: +SKIP
[('stale-call', '`price()` now takes (item, qty, currency): this call leaves out `currency`')]
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from tree_sitter import Tree

from kairos_lsp import docparams
from kairos_lsp.extract import Symbol, extract_tree
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.resolve import Found, Gone, signature_items
from kairos_lsp.sites import CallSite, ImportedName, Span, find_sites
from kairos_lsp.store import symbol_key

Point = tuple[int, int]

STALE_CALL = "stale-call"
RENAMED_SYMBOL = "renamed-symbol"
MISSING_SYMBOL = "missing-symbol"
DOCSTRING_DRIFT = "docstring-drift"
RECENT_FAILURE = "recent-failure"

# Decorators known to keep a function's signature; any other may change it.
_KEEPS_SIGNATURE = {"staticmethod", "classmethod", "functools.lru_cache", "lru_cache", "cache",
                    "functools.cache", "functools.wraps", "abc.abstractmethod", "abstractmethod",
                    "override", "typing.override", "cached_property", "functools.cached_property"}
_SELF_NAMES = ("self", "cls")
_CONSTRUCTORS = ("__init__", "constructor")
_DECORATOR_NAME = re.compile(r"^[\w.]+")


@dataclass(frozen=True, slots=True)
class TextEdit:
    start: Point
    end: Point
    text: str


@dataclass(slots=True)
class Fix:
    title: str
    edits: list[TextEdit]
    preferred: bool = False


@dataclass(slots=True)
class Problem:
    code: str
    severity: str  # error | warning | information | hint
    message: str
    start: Point
    end: Point
    subject: str | None = None  # the symbol the problem is about
    fixes: list[Fix] = field(default_factory=list)


@dataclass(slots=True)
class _File:
    """What the checks share about the file they look at."""

    knowledge: Knowledge
    path: str
    language: str
    source: bytes
    symbols: list[Symbol]

    def scope(self, at: Point) -> str | None:
        """The qualified name of the innermost symbol holding ``at``."""
        inside = [s for s in self.symbols[1:] if s.start <= at <= s.end]
        return max(inside, key=lambda s: s.start).qualname if inside else None

    def point(self, offset: int) -> Point:
        line_start = self.source.rfind(b"\n", 0, offset) + 1
        return (self.source.count(b"\n", 0, offset), offset - line_start)


def check_file(knowledge: Knowledge, path: str, language: str, source: bytes,
               tree: Tree) -> list[Problem]:
    """Every problem the memory sees in ``source`` (the text of ``path`` as it is now)."""
    if tree is None:
        return []
    extraction = extract_tree(tree, source, language)
    file = _File(knowledge, path, language, source, extraction.symbols)
    sites = find_sites(tree, source, language)
    problems: list[Problem] = []
    problems += _references(file, sites.calls, sites.imports)
    problems += _stale_calls(file, sites.calls)
    problems += _docstring_drift(file)
    problems += _recent_failures(file)
    problems.sort(key=lambda p: (p.start, p.code))
    return problems


# -- stale-call ------------------------------------------------------------------------


def _stale_calls(file: _File, calls: list[CallSite]) -> list[Problem]:
    out = []
    for call in calls:
        if call.spread:
            continue  # how many arguments a spread passes is unknown
        target = file.knowledge.resolver.lookup(file.path, call.callee, file.scope(call.callee_span.start))
        if not isinstance(target, Found):
            continue
        callee = _callable(file.knowledge, target.key, call)
        if callee is None:
            continue
        problem = _fit(file, call, *callee)
        if problem is not None:
            out.append(problem)
    return out


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    kind: str  # required | optional | variadic
    keyword_only: bool = False
    positional_only: bool = False
    star: str = ""  # "*" for *args / ...rest, "**" for **kwargs


def _callable(knowledge: Knowledge, key: str, call: CallSite) -> tuple[str, str, list[_Param]] | None:
    """(key, signature, parameters as the call must fill them), or None when unsure."""
    row = knowledge.store.symbol(key)
    if row is None:
        return None
    if row["kind"] == "class":  # a constructor call
        for init in _CONSTRUCTORS:
            found = knowledge.store.symbol(f"{key}.{init}")
            if found is not None:
                row, key = found, found["key"]
                break
        else:
            return None
    if row["kind"] not in ("function", "method", "constructor"):
        return None
    values: dict[str, list[str]] = {}
    for obs in knowledge.store.current(key):
        values.setdefault(obs["predicate"], []).append(obs["object"])
    if any(_DECORATOR_NAME.match(d) is None or _DECORATOR_NAME.match(d).group() not in _KEEPS_SIGNATURE
           for d in values.get("decorated_by", [])):
        return None  # a decorator may change what the call takes
    signature = (values.get("signature") or [None])[0]
    if signature is None or "parameters" not in values and "(" not in signature:
        return None
    params = _parameters(json.loads((values.get("parameters") or ["[]"])[0]), signature)
    if params and params[0].name in _SELF_NAMES and row["kind"] in ("method", "constructor"):
        decorators = {_DECORATOR_NAME.match(d).group() for d in values.get("decorated_by", [])}
        head = call.callee.split(".")[0]
        if head == row["qualname"].split(".")[0] and "classmethod" not in decorators \
                and row["name"] not in _CONSTRUCTORS:
            return None  # Cls.method(obj, ...): self is passed by hand
        if "staticmethod" not in decorators:
            params = params[1:]
    return key, signature, params


def _parameters(pairs: list, signature: str) -> list[_Param]:
    """Parameters with how a call passes them, read from the signature's own text."""
    tokens = signature_items(signature)
    out, keyword_only = [], False
    names = {name for name, _ in pairs}
    for token in tokens:
        bare = token.split(":")[0].split("=")[0].strip()
        if bare == "/":  # everything before it is positional-only
            out = [_Param(p.name, p.kind, p.keyword_only, True, p.star) for p in out]
            continue
        if bare == "*":
            keyword_only = True
            continue
        star = "**" if bare.startswith("**") else "*" if bare.startswith(("*", "...")) else ""
        name = bare.lstrip("*.").rstrip("?").strip()
        if name not in names:
            continue  # `this: T` in TypeScript, a destructuring pattern...
        kind = dict(pairs)[name]
        out.append(_Param(name, kind, keyword_only and not star, False, star))
        if star == "*":
            keyword_only = True
    return out


def _fit(file: _File, call: CallSite, key: str, signature: str, params: list[_Param]) -> Problem | None:
    positional = [p for p in params if not p.keyword_only and not p.star]
    takes_more = any(p.star == "*" for p in params)
    takes_keywords = any(p.star == "**" for p in params)
    by_name = {p.name: p for p in params if not p.star}
    missing = [p for i, p in enumerate(positional) if p.kind == "required" and i >= call.positional
               and p.name not in call.keywords]
    missing += [p for p in params if p.keyword_only and p.kind == "required" and p.name not in call.keywords]
    unknown = [k for k in call.keywords if k not in by_name and not takes_keywords]
    extra = 0 if takes_more else max(0, call.positional - len(positional))
    if not (missing or unknown or extra):
        return None
    why = []
    if missing:
        why.append("leaves out " + ", ".join(f"`{p.name}`" for p in missing))
    if extra:
        why.append(f"passes {call.positional} positional arguments, it takes {len(positional)}")
    if unknown:
        why.append("passes " + ", ".join(f"`{k}=`" for k in unknown) + " which it no longer takes")
    before = _previous_signature(file.knowledge, key)
    since = f" (it was `{before}`)" if before else ""
    message = f"This call no longer fits `{signature}`{since}: it " + " and ".join(why)
    problem = Problem(STALE_CALL, "warning", message, call.callee_span.start, call.args.end, key)
    problem.fixes = _call_fixes(file, call, missing, unknown, extra, positional)
    return problem


def _previous_signature(knowledge: Knowledge, key: str) -> str | None:
    row = knowledge.store.db.execute(
        "SELECT object FROM facts WHERE subject = ? AND predicate = 'signature' AND status = 'superseded' "
        "ORDER BY id DESC LIMIT 1", (key,)).fetchone()
    return row[0] if row else None


def _call_fixes(file: _File, call: CallSite, missing: list[_Param], unknown: list[str], extra: int,
                positional: list[_Param]) -> list[Fix]:
    fixes = []
    if len(unknown) == 1 and len(missing) == 1 and file.language == "python":
        # A keyword the callee renamed: pass it under its new name.
        at = _keyword_span(file, call, unknown[0])
        if at is not None:
            fixes.append(Fix(f"Rename keyword `{unknown[0]}=` to `{missing[0].name}=`",
                             [TextEdit(at.start, at.end, missing[0].name)], preferred=True))
            return fixes
    if missing and not unknown and not extra:
        args = [_placeholder(file.language, p) for p in missing]
        insert_at = call.last_arg_end if call.last_arg_end is not None else call.args.start_byte + 1
        text = (", " if call.last_arg_end is not None else "") + ", ".join(args)
        point = file.point(insert_at)
        label = ", ".join(f"`{a}`" for a in args)
        fixes.append(Fix(f"Add missing argument{'s' if len(args) > 1 else ''} {label}",
                         [TextEdit(point, point, text)], preferred=True))
    if extra and not missing and not unknown:
        cut = _extra_arguments(file, call, len(positional))
        if cut is not None:
            fixes.append(Fix(f"Remove {extra} extra argument{'s' if extra > 1 else ''}",
                             [TextEdit(file.point(cut[0]), file.point(cut[1]), "")]))
    return fixes


def _placeholder(language: str, param: _Param) -> str:
    """A stand-in the user replaces: a keyword in Python (placed anywhere), else a marked undefined."""
    if language == "python":
        return f"{param.name}=..." if not param.positional_only else "..."
    return f"undefined /* {param.name} */"


def _keyword_span(file: _File, call: CallSite, keyword: str) -> Span | None:
    pattern = re.compile(rb"(?<![\w.])" + re.escape(keyword.encode()) + rb"\s*=(?!=)")
    match = pattern.search(file.source, call.args.start_byte, call.args.end_byte)
    if match is None:
        return None
    start = match.start()
    end = start + len(keyword.encode())
    return Span(start, end, file.point(start), file.point(end))


def _extra_arguments(file: _File, call: CallSite, keep: int) -> tuple[int, int] | None:
    """The byte range holding the positional arguments past the first ``keep``."""
    inner = file.source[call.args.start_byte + 1:call.args.end_byte - 1]
    commas, depth, quote = [], 0, None
    for i, ch in enumerate(inner):
        c = chr(ch)
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            commas.append(i)
    if call.keywords or len(commas) < keep:
        return None
    base = call.args.start_byte + 1
    start = base + (commas[keep - 1] if keep else 0)
    end = call.last_arg_end
    return (start, end) if end is not None and end > start else None


# -- renamed-symbol / missing-symbol -------------------------------------------------------


def _references(file: _File, calls: list[CallSite], imports: list[ImportedName]) -> list[Problem]:
    resolver = file.knowledge.resolver
    gone: dict[str, tuple[Gone, list[Span], list[ImportedName]]] = {}
    for item in imports:
        target = resolver.lookup(file.path, item.alias or item.name)
        if isinstance(target, Gone):
            gone.setdefault(target.key, (target, [], []))[2].append(item)
    for call in calls:
        target = resolver.lookup(file.path, call.callee, file.scope(call.callee_span.start))
        if isinstance(target, Gone):
            gone.setdefault(target.key, (target, [], []))[1].append(call.name_span)
    out = []
    for key, (target, spans, imported) in gone.items():
        old = key.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        fix = None
        if target.successor is not None:
            new_path, new = target.successor.split(":", 2)[1], target.successor.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
            if target.via == "renamed_to":
                code, message = RENAMED_SYMBOL, f"`{old}` was renamed to `{new}`"
                fix = _rename_fix(old, new, spans, imported)
            else:
                code, message = RENAMED_SYMBOL, f"`{old}` moved to `{new_path}`"
                fix = _move_fix(file, key.split(":", 2)[1], new_path, new, old, spans, imported)
        else:
            code, message = MISSING_SYMBOL, f"`{old}` no longer exists (it was deleted from `{key.split(':', 2)[1]}`)"
        for where in [i.name_span for i in imported] + spans:
            problem = Problem(code, "warning", message, where.start, where.end, key)
            if fix is not None:
                problem.fixes.append(fix)
            out.append(problem)
    return out


def _rename_fix(old: str, new: str, calls: list[Span], imported: list[ImportedName]) -> Fix:
    """Rewrite the import, and the calls unless the import gave the name an alias."""
    edits = [TextEdit(i.name_span.start, i.name_span.end, new) for i in imported]
    aliased = any(i.alias for i in imported)
    if not aliased:
        edits += [TextEdit(s.start, s.end, new) for s in calls]
    return Fix(f"Use the new name `{new}`", sorted(set(edits), key=lambda e: e.start), preferred=True)


def _move_fix(file: _File, old_path: str, new_path: str, new: str, old: str, calls: list[Span],
              imported: list[ImportedName]) -> Fix | None:
    """Point the import at the module the symbol moved to (and at its new name, if it changed)."""
    if not imported:
        return None
    edits = []
    for item in imported:
        module = _module_for(file, item.module, old_path, new_path)
        if module is None:
            return None
        edits.append(TextEdit(item.module_span.start, item.module_span.end, module))
        if new != old:
            edits.append(TextEdit(item.name_span.start, item.name_span.end, new))
    if new != old and not any(i.alias for i in imported):
        edits += [TextEdit(s.start, s.end, new) for s in calls]
    return Fix(f"Import `{new}` from its new place", sorted(set(edits), key=lambda e: e.start), preferred=True)


def _module_for(file: _File, written: str, old_path: str, new_path: str) -> str | None:
    """How this file should name ``new_path``, written the way it named ``old_path``."""
    here = posixpath.dirname(file.path)
    if written.startswith("."):
        if file.language == "python":
            return _python_relative(here, new_path)
        target = posixpath.relpath(_strip_ext(new_path), here or ".")
        return target if target.startswith(".") else "./" + target
    if file.language != "python":
        return None  # a package import: not a file of this workspace
    old_rel = _strip_ext(old_path).removesuffix("/__init__")
    written_rel = written.replace(".", "/")
    if not old_rel.endswith(written_rel):
        return None
    root = old_rel[: len(old_rel) - len(written_rel)]
    new_rel = _strip_ext(new_path).removesuffix("/__init__")
    if not new_rel.startswith(root):
        return None
    return new_rel[len(root):].replace("/", ".")


def _python_relative(here: str, new_path: str) -> str:
    target = _strip_ext(new_path).removesuffix("/__init__")
    up = posixpath.relpath(posixpath.dirname(target) or ".", here or ".")
    dots = 1 if up == "." else 1 + up.count("..")
    if up != "." and not all(part == ".." for part in up.split("/")):
        tail = [p for p in up.split("/") if p != ".."]
        return "." * dots + ".".join(tail + [posixpath.basename(target)])
    return "." * dots + posixpath.basename(target)


def _strip_ext(path: str) -> str:
    stem, ext = posixpath.splitext(path)
    return stem if ext else path


# -- docstring-drift ------------------------------------------------------------------------


def _docstring_drift(file: _File) -> list[Problem]:
    out = []
    for sym in file.symbols[1:]:
        if sym.doc_span is None or not sym.parameters:
            continue
        raw = file.source[sym.doc_span[0]:sym.doc_span[1]].decode("utf-8", "replace")
        params = [name for name, _ in sym.parameters]
        if params and params[0] in _SELF_NAMES and sym.kind in ("method", "constructor"):
            params = params[1:]
        drift = docparams.drift(raw, params)
        if drift is None:
            continue
        why = []
        if drift.stale:
            why.append("documents " + ", ".join(f"`{n}`" for n in drift.stale) + " which "
                       + ("is not a parameter" if len(drift.stale) == 1 else "are not parameters"))
        if drift.missing:
            why.append("leaves " + ", ".join(f"`{n}`" for n in drift.missing) + " undocumented")
        start, end = file.point(sym.doc_span[0]), file.point(sym.doc_span[1])
        key = symbol_key(file.language, file.path, sym.qualname)
        problem = Problem(DOCSTRING_DRIFT, "information",
                          f"The documentation of `{sym.qualname}` " + " and ".join(why), start, end, key)
        fixed = docparams.fix(raw, params)
        if "\n" not in raw and "\n" in fixed:  # a one-line comment grew: indent like its first line
            line_start = file.source.rfind(b"\n", 0, sym.doc_span[0]) + 1
            indent = file.source[line_start:sym.doc_span[0]].decode("utf-8", "replace")
            if not indent.strip():
                fixed = fixed.replace("\n", "\n" + indent)
        if fixed != raw:
            problem.fixes.append(Fix(f"Update the documentation of `{sym.qualname}`",
                                     [TextEdit(start, end, fixed)], preferred=True))
        out.append(problem)
    return out


# -- recent-failure --------------------------------------------------------------------------


def _recent_failures(file: _File) -> list[Problem]:
    """A failed test marks itself and the functions of this file it calls."""
    failed = file.knowledge.failed_tests()
    if not failed:
        return []
    keys = {symbol_key(file.language, file.path, s.qualname): s for s in file.symbols[1:]}
    blamed: dict[str, list[tuple[str, dict]]] = {}
    for test, outcome in failed.items():
        if test in keys:
            blamed.setdefault(test, []).insert(0, (test, outcome))
        for callee in file.knowledge.callees(test):
            if callee in keys and callee != test:
                blamed.setdefault(callee, []).append((test, outcome))
    out = []
    for key, tests in blamed.items():
        sym = keys[key]
        test, outcome = tests[0]
        when = outcome["at"][:16].replace("T", " ")
        detail = " ".join(str(outcome["detail"]).split())[:200]
        who = f"`{sym.qualname}`" if test == key else f"its test `{test.rsplit(':', 1)[-1]}`"
        more = f" (and {len(tests) - 1} more)" if len(tests) > 1 else ""
        out.append(Problem(RECENT_FAILURE, "information",
                           f"{who} failed in the last captured run{more} ({when}): {detail}",
                           sym.name_start, sym.name_end, key))
    return out


def apply_fix(source: bytes, fix: Fix) -> bytes:
    """``source`` with a fix's edits applied (they never overlap).

    >>> apply_fix(b"f(a)\\n", Fix("t", [TextEdit((0, 3), (0, 3), ", b=...")]))
    b'f(a, b=...)\\n'
    """
    starts = [0]
    at = source.find(b"\n")
    while at != -1:
        starts.append(at + 1)
        at = source.find(b"\n", at + 1)

    def offset(point: Point) -> int:
        return starts[point[0]] + point[1] if point[0] < len(starts) else len(source)

    for edit in sorted(fix.edits, key=lambda e: e.start, reverse=True):
        source = source[:offset(edit.start)] + edit.text.encode() + source[offset(edit.end):]
    return source
