"""What is sent to Claude: the smallest text that serves, redacted, never from an excluded file.

A request is built from a context the caller assembles from the memory (the
symbol's own source, its signature and docstring, a few callers' call lines;
never a whole file), capped in size, and redacted (:mod:`kairos_lsp.llm.redact`)
as a whole. :func:`dry_run` shows exactly the text a request would carry.

>>> context = SymbolContext(key="python:shop/cart.py:total", path="shop/cart.py", language="python",
...     kind="function", source="def total(items):\\n    return sum(i.price for i in items)\\n",
...     signature="total(items)", callers=(Caller("shop/app.py", 11, "    due = total(cart.items)"),))
>>> print(dry_run(context).split("--- user ---")[1].strip())
Symbol: total (python function) in shop/cart.py
Signature: total(items)
Source:
```python
def total(items):
    return sum(i.price for i in items)
```
Called from:
- shop/app.py:12: due = total(cart.items)
>>> excluded("config/.env.production", ()), excluded("deploy/secrets/db.yaml", ()), excluded("shop/cart.py", ())
(True, True, False)
>>> summary_payload(SymbolContext("python:.env:x", ".env", "python", "module", "KEY=1")) is None
True
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pathspec

from kairos_lsp.config import gitignore_spec
from kairos_lsp.keys import qualname_of
from kairos_lsp.llm.redact import redact

# Never sent, whatever the code around them asks (``llm.exclude`` adds more; gitignore syntax).
DEFAULT_EXCLUDE = (
    ".env*",
    "*.pem",
    "*.key",
    "secrets/",
    "credentials*",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    ".netrc",
    ".npmrc",
    ".pypirc",
)
MAX_SOURCE_LINES = 150  # a symbol's source beyond this is cut (and says so)
MAX_SOURCE_CHARS = 12_000
MAX_CALLERS = 3
MAX_LINE_CHARS = 240  # a caller's call line, an error line
MAX_FAILURE_CHARS = 3_000

SUMMARY = "summary"
INSIGHTS = "insights"
FILL_ARGUMENT = "fill_argument"
PROPOSE_FIX = "propose_fix"
PURPOSES = (SUMMARY, INSIGHTS, FILL_ARGUMENT, PROPOSE_FIX)

# The offline categories (kairos_lsp/dream/promote.py), which Claude's insights must use too.
MAY_HANDLE = ("authentication", "file I/O", "network", "database", "parsing", "caching", "serialization", "logging")
SIDE_EFFECTS = (
    "file I/O",
    "network",
    "database",
    "logging",
    "global state",
    "subprocess",
    "environment",
    "clock",
    "randomness",
)


@dataclass(frozen=True)
class Caller:
    """A call of the symbol: where (``line`` 0-based) and the line's text."""

    path: str
    line: int
    text: str


@dataclass(frozen=True)
class SymbolContext:
    """One symbol as the memory knows it. ``source``: the symbol's own text (for a
    module, an outline the caller chooses, never the whole file)."""

    key: str
    path: str
    language: str
    kind: str
    source: str
    signature: str | None = None
    docstring: str | None = None
    callers: tuple[Caller, ...] = ()


_OUTLINE = re.compile(
    r"^(?:async\s+def|def|class|import|from|export|function|const|let|interface|type|enum|func|pub|fn|struct|impl"
    r"|trait|package|public|protected|abstract|final)\b"
)
MAX_OUTLINE_LINES = 60


def symbol_context(
    row: Mapping[str, Any],
    file_text: str,
    signature: str | None = None,
    docstring: str | None = None,
    callers: Iterable[Caller] = (),
) -> SymbolContext:
    r"""A :class:`SymbolContext` from a ``symbols`` row (``Store.symbol(key)``) and its file's
    text: the symbol's own lines; for a module, its outline (top-level definitions and
    imports, first lines only), never the whole file.

    >>> row = {"key": "python:m.py:f", "path": "m.py", "language": "python", "kind": "function",
    ...        "start_line": 2, "end_line": 3}
    >>> symbol_context(row, "import os\n\ndef f():\n    return os.sep\n").source
    'def f():\n    return os.sep'
    >>> module = {**row, "key": "python:m.py", "kind": "module", "start_line": 0, "end_line": 4}
    >>> symbol_context(module, "import os\nX = 1\ndef f():\n    return os.sep\n").source
    'import os\ndef f():'
    """
    lines = file_text.splitlines()
    if row["kind"] == "module":
        source = "\n".join([line for line in lines if _OUTLINE.match(line)][:MAX_OUTLINE_LINES])
    else:
        source = "\n".join(lines[row["start_line"] : row["end_line"] + 1])
    return SymbolContext(
        row["key"], row["path"], row["language"], row["kind"], source, signature, docstring, tuple(callers)
    )


@dataclass(frozen=True)
class CallSiteContext:
    """A ``stale-call`` site: the call (``line`` 0-based), the callee's signature now, the
    enclosing function's own source and the names visible at the call."""

    caller: str  # the enclosing symbol's key
    path: str
    language: str
    line: int
    call: str  # the call as written, e.g. ``price_with_tax(item, 3)``
    callee_signature: str  # e.g. ``price_with_tax(item, quantity, region)``
    caller_source: str
    scope: tuple[str, ...]  # parameters, locals, imports and module names visible there


@dataclass(frozen=True)
class FailureContext:
    """A ``recent-failure``: the function's source (the only text a fix may change),
    where it starts in its file (0-based), and what failed."""

    key: str
    path: str
    language: str
    source: str
    start_line: int
    failure: str  # the test, the exception and the traceback's lines, as the memory has them
    test_source: str | None = None  # the failing test's own source, when it is another symbol


@dataclass(frozen=True)
class Payload:
    """One request's content, already redacted: ``system`` and ``user`` are exactly the
    text sent; ``tool`` the structured-output tool, if any."""

    purpose: str
    symbol: str
    system: str
    user: str
    max_tokens: int
    redacted: dict[str, int] = field(default_factory=dict)
    tool: dict | None = None
    sent_lines: tuple[int, int] | None = None  # propose_fix: the file lines shown (first, last), 0-based
    changed_lines: frozenset[int] = frozenset()  # propose_fix: file lines that redaction altered

    @property
    def digest(self) -> str:
        """The cache key's content part: a hash of everything the request carries."""
        body = json.dumps([self.system, self.user, self.tool, self.max_tokens], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


@functools.lru_cache(maxsize=32)
def _spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return gitignore_spec((*DEFAULT_EXCLUDE, *globs))


def excluded(path: str, extra: Iterable[str] = ()) -> bool:
    """Whether a file is never sent: :data:`DEFAULT_EXCLUDE` and ``extra`` (gitignore-style)."""
    return _spec(tuple(extra)).match_file(path.replace("\\", "/").lstrip("/"))


def _clip(text: str, lines: int = MAX_SOURCE_LINES, chars: int = MAX_SOURCE_CHARS) -> str:
    kept = text.splitlines()
    cut = len(kept) - lines
    kept = kept[:lines]
    while kept and sum(len(line) + 1 for line in kept) > chars:
        kept.pop()
        cut = max(cut, 0) + 1
    body = "\n".join(kept)
    return body + (f"\n… ({cut} more lines not sent)" if cut > 0 else "")


def _one_line(text: str, limit: int = MAX_LINE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(key: str, kind: str, language: str, path: str) -> str:
    name = qualname_of(key) or path
    return f"Symbol: {name} ({language} {kind}) in {path}"


def _symbol_text(context: SymbolContext, exclude: Iterable[str]) -> str:
    parts = [_describe(context.key, context.kind, context.language, context.path)]
    if context.signature:
        parts.append(f"Signature: {_one_line(context.signature, 400)}")
    if context.docstring and context.docstring.strip() and context.docstring.strip() not in context.source:
        parts.append("Docstring: " + _clip(context.docstring.strip(), 20, 1500))
    parts.append(f"Source:\n```{context.language}\n{_clip(context.source.rstrip())}\n```")
    callers = [c for c in context.callers if not excluded(c.path, exclude)][:MAX_CALLERS]
    if callers:
        parts.append("Called from:\n" + "\n".join(f"- {c.path}:{c.line + 1}: {_one_line(c.text)}" for c in callers))
    return "\n".join(parts)


def _payload(purpose: str, symbol: str, system: str, text: str, path: str, max_tokens: int, tool=None) -> Payload:
    found = redact(text, path)
    return Payload(purpose, symbol, system, found.text, max_tokens, found.counts, tool)


SUMMARY_SYSTEM = (
    "You write the one-line description a developer sees when hovering over a symbol in their editor. "
    "Answer with one or two plain sentences (under 50 words) on what the symbol does and why a caller would "
    "use it: no preamble, no markdown, no restating of the signature. Text shown as [REDACTED:kind] was a "
    "secret removed before sending."
)

INSIGHTS_SYSTEM = (
    "You classify code for a memory of a codebase. Call the tool with what the symbol may handle (only "
    "categories its code shows), whether it is pure (no side effects; its result depends only on its "
    "arguments), and its side effects. Be conservative: leave a category out when unsure."
)

INSIGHTS_TOOL = {
    "name": "record_insights",
    "description": "Record what a symbol may handle, whether it is pure, and which side effects it has.",
    "input_schema": {
        "type": "object",
        "properties": {
            "may_handle": {
                "type": "array",
                "items": {"type": "string", "enum": list(MAY_HANDLE)},
                "maxItems": 4,
                "description": "Concerns the code itself deals with.",
            },
            "pure": {"type": "boolean", "description": "No side effects; the result depends only on the arguments."},
            "side_effects": {
                "type": "array",
                "items": {"type": "string", "enum": list(SIDE_EFFECTS)},
                "maxItems": 6,
            },
        },
        "required": ["may_handle", "pure", "side_effects"],
        "additionalProperties": False,
    },
}

FILL_SYSTEM = (
    "A function gained a parameter and a call site was left behind. Propose the argument to pass: one "
    "expression built only from names visible at the call (listed) or a literal. Call the tool with it; "
    "if nothing in scope fits, give the literal the parameter's meaning suggests."
)

FILL_TOOL = {
    "name": "fill_argument",
    "description": "The expression to pass for the new parameter at this call.",
    "input_schema": {
        "type": "object",
        "properties": {"expression": {"type": "string", "maxLength": 200}},
        "required": ["expression"],
        "additionalProperties": False,
    },
}

FIX_SYSTEM = (
    "A test failed and its traceback went through the function shown, with its file's line numbers. "
    "Propose the smallest edit to that function that fixes the failure. Call the tool with edits whose "
    "positions are 0-based file lines and 0-based character offsets, only inside the lines shown. Never "
    "write [REDACTED:...] text back."
)

FIX_TOOL = {
    "name": "propose_fix",
    "description": "Edits to the function's source that fix the failure.",
    "input_schema": {
        "type": "object",
        "properties": {
            "edits": {
                "type": "array",
                "minItems": 1,
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "properties": {
                        "start_line": {"type": "integer", "minimum": 0},
                        "start_character": {"type": "integer", "minimum": 0},
                        "end_line": {"type": "integer", "minimum": 0},
                        "end_character": {"type": "integer", "minimum": 0},
                        "new_text": {"type": "string", "maxLength": 4000},
                    },
                    "required": ["start_line", "start_character", "end_line", "end_character", "new_text"],
                    "additionalProperties": False,
                },
            },
            "explanation": {"type": "string", "maxLength": 500},
        },
        "required": ["edits"],
        "additionalProperties": False,
    },
}


def summary_payload(context: SymbolContext, exclude: Iterable[str] = ()) -> Payload | None:
    """The summary request for a symbol; None when its file is excluded."""
    if excluded(context.path, exclude):
        return None
    return _payload(SUMMARY, context.key, SUMMARY_SYSTEM, _symbol_text(context, exclude), context.path, 160)


def insights_payload(context: SymbolContext, exclude: Iterable[str] = ()) -> Payload | None:
    if excluded(context.path, exclude):
        return None
    text = _symbol_text(context, exclude)
    return _payload(INSIGHTS, context.key, INSIGHTS_SYSTEM, text, context.path, 300, INSIGHTS_TOOL)


def fill_payload(context: CallSiteContext, parameter: str, exclude: Iterable[str] = ()) -> Payload | None:
    if excluded(context.path, exclude):
        return None
    text = "\n".join(
        [
            f"The callee now reads: {_one_line(context.callee_signature, 400)}",
            f"New parameter to fill: {parameter}",
            f"Call at {context.path}:{context.line + 1}: {_one_line(context.call, 400)}",
            f"Names visible at the call: {', '.join(sorted(set(context.scope))[:200])}",
            f"Enclosing code:\n```{context.language}\n{_clip(context.caller_source.rstrip(), 80, 6000)}\n```",
        ]
    )
    return _payload(FILL_ARGUMENT, context.caller, FILL_SYSTEM, text, context.path, 120, FILL_TOOL)


def fix_payload(context: FailureContext, exclude: Iterable[str] = ()) -> Payload | None:
    if excluded(context.path, exclude):
        return None
    lines = context.source.rstrip("\n").split("\n")[:MAX_SOURCE_LINES]
    redacted_lines = [redact(line, context.path).text for line in lines]
    changed = frozenset(context.start_line + i for i, (a, b) in enumerate(zip(lines, redacted_lines)) if a != b)
    width = len(str(context.start_line + len(lines)))
    numbered = "\n".join(f"{context.start_line + i:>{width}} | {line}" for i, line in enumerate(lines))
    failure = context.failure.strip()
    if len(failure) > MAX_FAILURE_CHARS:
        failure = failure[:MAX_FAILURE_CHARS] + "\n…"
    parts = [
        _describe(context.key, "function", context.language, context.path),
        f"Source (file line | text):\n{numbered}",
        f"What failed:\n{failure}",
    ]
    if context.test_source:
        parts.append(f"The failing test:\n```{context.language}\n{_clip(context.test_source.rstrip(), 60, 4000)}\n```")
    payload = _payload(PROPOSE_FIX, context.key, FIX_SYSTEM, "\n".join(parts), context.path, 1200, FIX_TOOL)
    last = context.start_line + len(lines) - 1
    return Payload(
        payload.purpose,
        payload.symbol,
        payload.system,
        payload.user,
        payload.max_tokens,
        payload.redacted,
        payload.tool,
        (context.start_line, last),
        changed,
    )


def payload_for(
    context: SymbolContext | CallSiteContext | FailureContext,
    purpose: str | None = None,
    exclude: Iterable[str] = (),
    parameter: str | None = None,
) -> Payload | None:
    """The request a use would send for ``context`` (``purpose`` defaults by context:
    summary for a symbol, fill_argument for a call site, propose_fix for a failure)."""
    if isinstance(context, CallSiteContext):
        return fill_payload(context, parameter or "?", exclude)
    if isinstance(context, FailureContext):
        return fix_payload(context, exclude)
    if purpose == INSIGHTS:
        return insights_payload(context, exclude)
    return summary_payload(context, exclude)


def dry_run(
    context: SymbolContext | CallSiteContext | FailureContext,
    purpose: str | None = None,
    exclude: Iterable[str] = (),
    parameter: str | None = None,
) -> str:
    """Exactly the text a request for ``context`` would send (``kairos privacy --dry-run``):
    the system prompt and the user message, verbatim between the markers, then the tool's
    schema when there is one; for an excluded file, one line saying nothing would be sent."""
    payload = payload_for(context, purpose, exclude, parameter)
    path = context.path
    if payload is None:
        return f"# nothing would be sent: {path} matches an exclusion glob"
    redacted = ", ".join(f"{kind} {n}" for kind, n in sorted(Counter(payload.redacted).items())) or "none"
    text = (
        f"# purpose: {payload.purpose} · symbol: {payload.symbol} · secrets redacted: {redacted}\n"
        f"--- system ---\n{payload.system}\n--- user ---\n{payload.user}\n"
    )
    if payload.tool:
        text += f"--- tool ---\n{json.dumps(payload.tool, indent=2)}\n"
    return text
