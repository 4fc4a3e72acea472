"""What kairos asks Claude, each a plain function returning plain data (or the offline None).

- :func:`summarize`: one or two sentences on what a symbol does (streamed plain text);
- :func:`insights`: ``may_handle`` / ``pure`` / ``side_effects``, through a tool with a JSON
  schema and ``tool_choice`` (structured output), checked against that schema;
- :func:`fill_argument`: the argument a ``stale-call`` site should pass for a new parameter,
  an expression of names visible at the call, or a literal;
- :func:`propose_fix`: edits to a failing function, only inside its own lines;
- :func:`summarize_many`: summaries of a prioritised list, up to a budget or until told to stop.

Each takes a :class:`~kairos_lsp.llm.client.Claude` (None, or not opted in: None at once).

>>> safe_expression("order.region", ("order", "item"), "python"), safe_expression("os.system('x')", ("os",), "python")
('order.region', None)
>>> safe_expression('"EU"', (), "typescript"), safe_expression("cfg?.region ?? 'EU'", ("cfg",), "typescript")
('"EU"', None)
>>> schema_errors({"pure": "yes"}, {"type": "object", "properties": {"pure": {"type": "boolean"}}})
['pure: not a boolean']
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kairos_lsp.llm.client import Claude, Raw, Rejected
from kairos_lsp.llm.payload import (
    FIX_TOOL,
    INSIGHTS_TOOL,
    CallSiteContext,
    FailureContext,
    SymbolContext,
    fill_payload,
    fix_payload,
    insights_payload,
    summary_payload,
)
from kairos_lsp.llm.redact import PLACEHOLDER_MARK

MAX_SUMMARY_CHARS = 320


@dataclass(frozen=True)
class Summary:
    """Claude's words on a symbol, for the hover: "summary by Claude (model, date)"."""

    symbol: str
    text: str
    model: str
    at: str  # ISO 8601 UTC date when it was written or taken from the cache


@dataclass(frozen=True)
class Insight:
    """One tentative insight: ``(symbol, predicate, value)`` with ``source`` "llm" and the model."""

    symbol: str
    predicate: str  # may_handle | pure | side_effects
    value: str  # a category; "true"/"false" for pure
    model: str


# -- summaries ---------------------------------------------------------------


def summarize(claude: Claude | None, context: SymbolContext) -> Summary | None:
    """One or two sentences on what ``context``'s symbol does; None offline or on failure."""
    if claude is None or not claude.opted_in:
        return None
    payload = summary_payload(context, claude.exclude)

    def parse(raw: Raw) -> Summary:
        return Summary(context.key, clean_summary(raw.text), raw.model or claude.model, _today())

    return claude.ask(payload, parse, stream=True)


def clean_summary(text: str) -> str:
    """The answer as one plain line of at most two sentences; :class:`Rejected` if empty.

    >>> clean_summary("  **Adds** tax to a price.\\nUsed at checkout. And more.  ")
    'Adds tax to a price. Used at checkout.'
    """
    text = re.sub(r"[*_`#]+", "", " ".join(text.split())).strip(" \"'")
    if PLACEHOLDER_MARK in text:
        text = text.replace(PLACEHOLDER_MARK, "[").strip()
    sentences = re.findall(r".+?[.!?](?=\s|$)", text)
    text = " ".join(s.strip() for s in sentences[:2]) if sentences else text
    if len(text) > MAX_SUMMARY_CHARS:
        text = text[: MAX_SUMMARY_CHARS - 1].rstrip() + "…"
    if len(text) < 8:
        raise Rejected(f"not a summary: {text!r}")
    return text


def summarize_many(
    claude: Claude | None,
    contexts: Iterable[SymbolContext],
    budget: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> dict[str, Summary]:
    """Summaries for ``contexts`` in the order given (the caller's priorities), ``claude``'s
    concurrency at once, until ``budget`` summaries were asked for (answers from the cache
    count too: ``budget`` bounds the work of one call) or ``should_stop()`` says so (asked
    before each request; requests in flight finish). ``{symbol key: Summary}`` for those
    that got one."""
    if claude is None or not claude.enabled or budget <= 0:
        return {}
    found: dict[str, Summary] = {}
    width = max(1, int(claude.settings.llm_max_concurrency))
    pending: set[Future] = set()
    asked = 0
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="kairos-claude") as pool:
        for context in contexts:
            if asked >= budget or should_stop():
                break
            while len(pending) >= width:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                _collect(done, found)
            pending.add(pool.submit(summarize, claude, context))
            asked += 1
        done, _ = wait(pending)
        _collect(done, found)
    return found


def _collect(done: Iterable[Future], found: dict[str, Summary]) -> None:
    for future in done:
        summary = future.result()  # summarize never raises
        if summary is not None:
            found[summary.symbol] = summary


# -- insights ----------------------------------------------------------------


def insights(claude: Claude | None, context: SymbolContext) -> list[Insight]:
    """Tentative insights on ``context``'s symbol; [] offline, on failure, or when nothing
    in the answer validates (what does not validate is dropped, item by item)."""
    if claude is None or not claude.opted_in:
        return []
    payload = insights_payload(context, claude.exclude)

    def parse(raw: Raw) -> list[Insight]:
        model = raw.model or claude.model
        return [Insight(context.key, p, v, model) for p, v in read_insights(raw.tool_input)]

    return claude.ask(payload, parse) or []


def read_insights(answer: Any) -> list[tuple[str, str]]:
    """``(predicate, value)`` pairs from a ``record_insights`` tool input, each field checked
    against the tool's schema; :class:`Rejected` when nothing usable is left.

    >>> read_insights({"may_handle": ["network", "astrology"], "pure": False, "side_effects": ["network"]})
    [('may_handle', 'network'), ('pure', 'false'), ('side_effects', 'network')]
    """
    if not isinstance(answer, dict):
        raise Rejected(f"the tool input is not an object: {answer!r:.80}")
    properties = INSIGHTS_TOOL["input_schema"]["properties"]  # type: ignore[index]
    found: list[tuple[str, str]] = []
    for name in ("may_handle", "pure", "side_effects"):
        if name not in answer:
            continue
        value, schema = answer[name], properties[name]
        if schema["type"] == "array":
            if not isinstance(value, list):
                continue
            items = [v for v in value if not schema_errors(v, schema["items"])]
            found += [(name, v) for v in dict.fromkeys(items)][: schema.get("maxItems", len(items))]
        elif not schema_errors(value, schema):
            found.append((name, "true" if value else "false"))
    effects = {v for p, v in found if p == "side_effects"}
    if ("pure", "true") in found and effects:  # contradicts itself: keep what the code does, not the claim
        found.remove(("pure", "true"))
    if not found:
        raise Rejected(f"nothing in the answer validates: {answer!r:.120}")
    return found


# -- stale-call: fill a new parameter ------------------------------------------


def fill_argument(claude: Claude | None, context: CallSiteContext, parameter: str) -> str | None:
    """The expression to pass for ``parameter`` at ``context``'s call: names visible there
    (attributes of them) or a literal, checked by :func:`safe_expression`; else None."""
    if claude is None or not claude.opted_in:
        return None
    payload = fill_payload(context, parameter, claude.exclude)

    def parse(raw: Raw) -> str:
        answer = raw.tool_input
        if not isinstance(answer, dict) or not isinstance(answer.get("expression"), str):
            raise Rejected(f"no expression in {answer!r:.80}")
        expression = safe_expression(answer["expression"], context.scope, context.language)
        if expression is None:
            raise Rejected(f"{answer['expression']!r:.80} is not a literal or a name in scope")
        return expression

    return claude.ask(payload, parse)


_JS_LITERAL = re.compile(
    r"""(?x)^(?:
        -?(?:\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|0[xXoObB][0-9a-fA-F_]+)n?   # numbers
      | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'                        # strings (no templates)
      | true | false | null | undefined
    )$"""
)
_JS_PATH = re.compile(r"^([A-Za-z_$][\w$]*)(?:\.[A-Za-z_$][\w$]*)*$")


def safe_expression(expression: str, scope: Iterable[str], language: str) -> str | None:
    """``expression`` (stripped) if it is a literal, or a name visible in ``scope`` with
    attribute access, or (Python) a constant subscript of one, or a tuple/list/dict of
    those; None for anything else (calls, operators, lambdas, new names, placeholders)."""
    expression = expression.strip().rstrip(",;").strip()
    if not expression or len(expression) > 200 or PLACEHOLDER_MARK in expression:
        return None
    names = set(scope)
    if language == "python":
        try:
            tree = ast.parse(expression, mode="eval")
        except SyntaxError:
            return None
        return expression if _safe_python(tree.body, names) else None
    if _JS_LITERAL.match(expression):
        return expression
    match = _JS_PATH.match(expression)
    if match and (match.group(1) in names or match.group(1) == "this"):
        return expression
    return None


def _safe_python(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, bytes) or len(node.value) < 200
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Attribute):
        return not node.attr.startswith("__") and _safe_python(node.value, names)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float))
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and _safe_python(node.value, names)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_safe_python(e, names) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _safe_python(k, names) for k in node.keys) and all(
            _safe_python(v, names) for v in node.values
        )
    return False


# -- recent-failure: propose a fix --------------------------------------------


def propose_fix(claude: Claude | None, context: FailureContext) -> list[dict] | None:
    """Edits that may fix ``context``'s failure, as LSP ``TextEdit``-shaped dicts
    (``{"range": {"start": {"line", "character"}, "end": ...}, "newText"}``; lines 0-based
    in the file, characters as Python string offsets in the line: convert to the client's
    encoding). Only edits inside the function's own lines are accepted, none touching a
    line whose secrets were redacted, none overlapping; else None."""
    if claude is None or not claude.opted_in:
        return None
    payload = fix_payload(context, claude.exclude)
    if payload is None:
        return None
    lines = context.source.rstrip("\n").split("\n")
    first, last = payload.sent_lines or (context.start_line, context.start_line + len(lines) - 1)

    def parse(raw: Raw) -> list[dict]:
        answer = raw.tool_input
        problems = schema_errors(answer, FIX_TOOL["input_schema"])  # type: ignore[arg-type]
        if problems:
            raise Rejected("; ".join(problems[:3]))
        edits = []
        for edit in answer["edits"]:
            start = (edit["start_line"], edit["start_character"])
            end = (edit["end_line"], edit["end_character"])
            if not (first <= start[0] <= end[0] <= last) or start > end:
                raise Rejected(
                    f"an edit at lines {start[0] + 1}-{end[0] + 1} is outside the function ({first + 1}-{last + 1})"
                )
            for line, character in (start, end):
                if character > len(lines[line - context.start_line]):
                    raise Rejected(f"character {character} is past the end of line {line + 1}")
            if set(range(start[0], end[0] + 1)) & payload.changed_lines or PLACEHOLDER_MARK in edit["new_text"]:
                raise Rejected("an edit touches text redacted before sending")
            edits.append((start, end, edit["new_text"]))
        edits.sort()
        for (_, previous_end, _), (next_start, _, _) in zip(edits, edits[1:]):
            if next_start < previous_end:
                raise Rejected("edits overlap")
        return [
            {
                "range": {"start": {"line": s[0], "character": s[1]}, "end": {"line": e[0], "character": e[1]}},
                "newText": text,
            }
            for s, e, text in edits
        ]

    return claude.ask(payload, parse)


# -- JSON Schema, the subset the tools use ---------------------------------------

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def schema_errors(value: Any, schema: dict, path: str = "") -> list[str]:
    """What is wrong with ``value`` against ``schema`` (type, enum, properties, required,
    additionalProperties: false, items, minItems/maxItems, maxLength, minimum); [] if nothing."""
    where = path or "the answer"
    kind = schema.get("type")
    if kind and not _TYPES[kind](value):
        return [f"{where}: not {'an' if kind[0] in 'aeiou' else 'a'} {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r:.40} is not one of the choices"]
    errors: list[str] = []
    if kind == "string" and len(value) > schema.get("maxLength", len(value)):
        errors.append(f"{where}: longer than {schema['maxLength']}")
    if kind in ("integer", "number") and "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: below {schema['minimum']}")
    if kind == "array":
        if len(value) > schema.get("maxItems", len(value)) or len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: {len(value)} items")
        for i, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), f"{path}[{i}]")
    if kind == "object":
        properties = schema.get("properties", {})
        errors += [f"{where}: {name} missing" for name in schema.get("required", ()) if name not in value]
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(item, properties[name], f"{path}.{name}" if path else name)
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected {name!r:.40}")
    return errors


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")
