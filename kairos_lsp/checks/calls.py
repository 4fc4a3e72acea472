"""``stale-call``: a call whose arguments no longer fit the callee's signature, and its fixes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kairos_lsp.checks.model import SELF_NAMES, STALE_CALL, CheckedFile, Fix, Problem, TextEdit
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.resolve import Found, signature_items
from kairos_lsp.sites import CallSite, Span

# Decorators known to keep a function's signature; any other may change it.
_KEEPS_SIGNATURE = {"staticmethod", "classmethod", "functools.lru_cache", "lru_cache", "cache",
                    "functools.cache", "functools.wraps", "abc.abstractmethod", "abstractmethod",
                    "override", "typing.override", "cached_property", "functools.cached_property"}
_CONSTRUCTORS = ("__init__", "constructor")
_DECORATOR_NAME = re.compile(r"^[\w.]+")


def stale_calls(file: CheckedFile, calls: list[CallSite]) -> list[Problem]:
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
    if params and params[0].name in SELF_NAMES and row["kind"] in ("method", "constructor"):
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


def _fit(file: CheckedFile, call: CallSite, key: str, signature: str, params: list[_Param]) -> Problem | None:
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


def _call_fixes(file: CheckedFile, call: CallSite, missing: list[_Param], unknown: list[str], extra: int,
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


def _keyword_span(file: CheckedFile, call: CallSite, keyword: str) -> Span | None:
    pattern = re.compile(rb"(?<![\w.])" + re.escape(keyword.encode()) + rb"\s*=(?!=)")
    match = pattern.search(file.source, call.args.start_byte, call.args.end_byte)
    if match is None:
        return None
    start = match.start()
    end = start + len(keyword.encode())
    return Span(start, end, file.point(start), file.point(end))


def _extra_arguments(file: CheckedFile, call: CallSite, keep: int) -> tuple[int, int] | None:
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
