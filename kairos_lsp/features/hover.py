"""Hover: what the memory knows about the symbol under the cursor.

>>> card = Card("python:m.py:add", kind="function", signature="add(a, b=1)", docstring="Add.\\n\\nMore.")
>>> print(render(card, {"qualname": "add", "path": "m.py", "start_line": 2}, "python"))
```python
def add(a, b=1)
```
<BLANKLINE>
Add.
<BLANKLINE>
*function* · `m.py` line 3
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from lsprotocol import types

from kairos_lsp.documents import Document, from_byte_col, to_byte_col, uri_to_path
from kairos_lsp.keys import name_of, path_of, qualname_of
from kairos_lsp.knowledge import Card, Knowledge, word_span
from kairos_lsp.languages import language_named
from kairos_lsp.lines import LineIndex, as_lines
from kairos_lsp.resolve import Kept

_MAX_DOC = 600
# Seconds from a hover's start until which it looks for callers beyond the first few call sites:
# a common name has hundreds, and a hover must answer in milliseconds (issue 13: p99 <= 10 ms
# on a large store), whatever finding its symbol and the rest of its card took. What is left
# shows as "called by N+"; the next hover of the same symbol goes further.
CALLERS_UNTIL = 0.004

# How a definition starts in each language, by kind ("" when the signature says it all). A
# constant is shown as declared from its name on (see declaration), after `const ` in JavaScript
# and TypeScript, whose module constants are all `const`s.
_KEYWORDS = {
    "python": {"function": "def ", "method": "def ", "class": "class "},
    "javascript": {"function": "function ", "class": "class ", "constant": "const "},
    "typescript": {
        "function": "function ",
        "class": "class ",
        "interface": "interface ",
        "type": "type ",
        "constant": "const ",
    },
    "tsx": {
        "function": "function ",
        "class": "class ",
        "interface": "interface ",
        "type": "type ",
        "constant": "const ",
    },
    "go": {"function": "func ", "method": "func ", "type": "type "},
    "rust": {"function": "fn ", "method": "fn ", "interface": "trait "},
    "java": {"class": "class ", "interface": "interface "},
}


def hover(
    knowledge: Knowledge, doc: Document, line: int, character: int, encoding: str = "utf-16"
) -> types.Hover | None:
    """The hover for an LSP position in an open document; None when we know nothing."""
    return hover_of(knowledge, doc, line, character, encoding)[0]


def hover_of(
    knowledge: Knowledge, doc: Document, line: int, character: int, encoding: str = "utf-16"
) -> tuple[types.Hover | None, str | None]:
    """The hover, and the key of the symbol it is about (what the user looked at)."""
    started = time.perf_counter()
    text = doc.line(line)
    if text is None:
        return None, None
    col = to_byte_col(text, character, encoding)
    row = knowledge.symbol_at(doc.path, line, col, text)
    if row is not None:
        card = knowledge.card(row["key"], callers_until=started + CALLERS_UNTIL)
        declared = declaration(row, doc) if row.get("kind") == "constant" else None
        markdown = render(card, row, row.get("language") or doc.language, declared)
    else:  # (no definition: a name a module's `__getattr__` keeps, if it is one)
        kept = knowledge.reference_at(doc.path, line, col, text)
        if not isinstance(kept, Kept):
            return None, None
        markdown = render_kept(kept, doc.language)
    span = word_span(text, col)
    where = None
    if span is not None:
        where = types.Range(
            start=types.Position(line=line, character=from_byte_col(text, span[0], encoding)),
            end=types.Position(line=line, character=from_byte_col(text, span[1], encoding)),
        )
    shown = types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown), range=where)
    return shown, row["key"] if row is not None else None


def render_kept(kept: Kept, language: str | None) -> str:
    """A name its module no longer defines and keeps with a warning (PEP 562's ``__getattr__``:
    click 8.2's ``parser.split_opt``): what the warning says, and whose it is.

    >>> print(render_kept(Kept("python:src/click/parser.py:split_opt", "'parser.split_opt' is deprecated"), "python"))
    ```python
    split_opt
    ```
    <BLANKLINE>
    **deprecated** 'parser.split_opt' is deprecated
    <BLANKLINE>
    *kept by the module's `__getattr__`* · `src/click/parser.py`
    """
    heading = f"```{language or ''}\n{name_of(kept.key)}\n```"
    whose = f"*kept by the module's `__getattr__`* · `{path_of(kept.key)}`"
    return f"{heading}\n\n**deprecated** {_clip(kept.message, 300)}\n\n{whose}"


def render(card: Card, row: dict, language: str | None, declared: str | None = None) -> str:
    """Signature, what it does, what the dream concluded, callers, last change, location.

    ``row`` is the symbol's row in the store (its location and names); ``declared``, a
    constant's declaration as written (:func:`declaration`), heads it in place of its name.

    >>> print(render(Card("k", kind="constant"), {"qualname": "User"}, "typescript", "User = z.object({})"))
    ```typescript
    const User = z.object({})
    ```
    <BLANKLINE>
    *constant*
    """
    kind = card.kind or row.get("kind") or "symbol"
    keyword = _KEYWORDS.get(language or "", {}).get(kind, "")
    if declared is None and kind == "constant":
        keyword = ""  # (the name alone: `const` would read as a declaration)
    signature = declared or card.signature or row.get("qualname") or row.get("name") or "?"
    heading = f"{keyword}{signature}"
    spec = language_named(language or "")
    if row.get("qualname") == "default" and spec is not None and spec.modules == "ecmascript" and keyword:
        # an anonymous default export, named as importers reach it: shown as it is written
        heading = f"export default {keyword}{signature.removeprefix('default').lstrip()}".rstrip()
    parts = [f"```{language or ''}\n{heading}\n```"]
    what = first_paragraph(card.docstring)
    if what is None and card.claude:
        # Claude's words, marked as such: who wrote it, with which model, when
        what = f"{card.claude['text']}  \n*summary by Claude ({card.claude['model']}, {_when(card.claude['at'])[:10]})*"
    what = what or card.summary
    if what:
        parts.append(what)
    lines = [line for line in (_facts_line(card), _callers_line(card), _history_line(card)) if line]
    if lines:
        parts.append("  \n".join(lines))
    where = f"*{kind}*"
    if "." in (row.get("qualname") or ""):
        where += f" in `{row['qualname'].rsplit('.', 1)[0]}`"
    line = row.get("name_line", row.get("start_line"))  # the name's line, not a leading comment's
    if row.get("path") is not None and line is not None:
        where += f" · `{row['path']}` line {line + 1}"
    parts.append(where)
    return "\n\n".join(parts)


DECLARATION_CHARS = 120  # of a constant's declaration shown as its hover's heading
_DISK_BYTES = 4 << 20  # a file larger than this on disk is not read for it
_DISK_BLOCK = 1 << 16  # read so much of it at a time, until the lines a hover shows are in


def declaration(row: dict, doc: Document) -> str | None:
    """A constant's declaration as written from its name on, on one line and cut short
    (``TIMEOUT = 60 * 1000``, ``User = z.object({ name: z.string() })``): from the open document when it is the
    constant's file, else from the file on disk. None when that text no longer has the name
    where the memory saw it (changed since: nothing rather than another line), or is not there.

    The memory keeps no value (issue 13's store is at its bound); a hover reads a few lines.
    """
    line_of = _lines(row["path"], doc, row["end_line"])
    if line_of is None:
        return None
    named = line_of(row["name_line"])
    if named is None or named[row["name_col"] : row["name_end_col"]].decode("utf-8", "replace") != row["name"]:
        return None
    parts: list[bytes] = []
    size = 0
    for number in range(row["name_line"], row["end_line"] + 1):  # (from its name: past a doc comment)
        text = line_of(number)
        if text is None:
            break
        if number == row["end_line"]:
            text = text[: row["end_col"]]
        if number == row["name_line"]:
            text = text[row["name_col"] :]
        parts.append(text)
        size += len(text)
        if size > DECLARATION_CHARS * 4:  # (enough for the characters shown)
            break
    return _clip(b" ".join(parts).decode("utf-8", "replace"), DECLARATION_CHARS) or None


def _lines(path: str, doc: Document, last: int) -> Callable[[int], bytes | None] | None:
    """Line by number of ``path``, up to line ``last`` at least: ``doc``'s own, or the file on
    disk beside it (its root is ``doc``'s location less ``doc.path``), read only as far as that
    line (a constant near the top of a 4 MB module costs a block, not the file)."""
    if path == doc.path:
        return doc.line
    here = uri_to_path(doc.uri)
    if here is None or not here.replace(os.sep, "/").endswith("/" + doc.path):
        return None  # (a file outside the workspace: no root to read beside it)
    file = os.path.join(here[: len(here) - len(doc.path)], path)
    try:
        if os.path.getsize(file) > _DISK_BYTES:
            return None
        with open(file, "rb") as handle:
            blocks, newlines = [], 0
            while newlines <= last and (block := handle.read(_DISK_BLOCK)):
                blocks.append(block)
                newlines += block.count(b"\n")  # (a file of lone \r line ends is read whole)
    except OSError:
        return None
    return LineIndex(as_lines(b"".join(blocks))).line


def _facts_line(card: Card) -> str | None:
    """Firm facts plainly; tentative ones marked, with how much evidence they have.

    A predicate with many values (a function run by 40 tests) shows a count and
    the first few, so the card keeps its size.
    """
    items = [f"**deprecated** {_clip(message, 120)}" for message in card.deprecated]
    insights = [f for f in card.insights if f["predicate"] != "tested_by"]
    for fact in sorted(insights, key=lambda f: (f["status"] != "firm", f["predicate"])):
        label = _FACT_LABELS.get(fact["predicate"], fact["predicate"].replace("_", " "))
        value = fact["object"]
        text = f"**{label}**" if value in ("true", "") else f"**{label}** {_short(value)}"
        items.append(text + _tentative(fact))
    tests = sorted(
        (f for f in card.insights if f["predicate"] == "tested_by"), key=lambda f: (f["status"] != "firm", f["object"])
    )
    if tests:
        count = len(tests) if card.tests is None else card.tests  # the card may hold only the first few
        shown = ", ".join(f"`{_short(f['object'])}`{_tentative(f)}" for f in tests[:2])
        more = "+" if card.more_tests else ""
        items.append(f"**tested by** {shown}" + (f" and {count - 2}{more} more" if count > 2 else ""))
    if card.raises:
        items.append("**raises** " + ", ".join(f"`{r}`" for r in card.raises[:4]))
    if card.writes:
        more = f" and {len(card.writes) - 4} more" if len(card.writes) > 4 else ""
        items.append("**writes** " + ", ".join(f"`{w}`" for w in card.writes[:4]) + more)
    if card.stale:
        items.append("*changed since the last dream: facts withheld*")
    return " · ".join(items) if items else None


def _tentative(fact: dict) -> str:
    """Nothing for a firm fact; for a tentative one, what it rests on when the card says
    (a claim by a symbol's name alone is weaker than one by what it calls), else how much.

    >>> _tentative({"status": "tentative", "evidence_count": 2, "sources": ["docstring", "name"]})
    ' *(tentative: its name and docstring)*'
    >>> _tentative({"status": "tentative", "evidence_count": 2, "sources": ["calls", "llm"]})
    " *(tentative: its calls and Claude's answer)*"
    >>> _tentative({"status": "tentative", "evidence_count": 1})
    ' *(tentative, 1 evidence)*'
    """
    if fact["status"] == "firm":
        return ""
    sources = set(fact.get("sources", ()))
    own = [word for why, word in _OWN_SOURCES.items() if why in sources]
    said = ([f"its {_and(own)}"] if own else []) + [word for why, word in _OTHER_SOURCES.items() if why in sources]
    if not said:
        return f" *(tentative, {fact.get('evidence_count') or 0} evidence)*"
    return f" *(tentative: {_and(said)})*"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# The evidence an insight rests on (``why`` in the store) as a hover says it: the symbol's own
# (weakest first: a name says less than what the code calls), then what others said.
_OWN_SOURCES = {
    "name": "name",
    "docstring": "docstring",
    "calls": "calls",
    "imports": "imports",
    "decorators": "decorators",
    "raises": "raises",
    "callers": "callers",
    "module": "module's calls",
}
_OTHER_SOURCES = {"llm": "Claude's answer", "user": "your confirmation"}


def _callers_line(card: Card) -> str | None:
    callers = card.callers
    if not callers.count:  # none yet; with call sites left to examine, the next hover goes on
        return "**called by** none found yet; hover again to look further" if callers.more else None
    names = ", ".join(
        f"`{c['qualname'] or c['path']}`" + ("" if c["path"] == card.path else f" ({c['path']})") for c in callers.first
    )
    more = "+" if callers.more else ""
    extra = ", …" if callers.count > len(callers.first) else ""
    return f"**called by** {callers.count}{more}: {names}{extra}"


def _history_line(card: Card) -> str | None:
    items = []
    changed = card.changed
    if changed:
        verb = "changed" if changed["changed"] else "first seen"
        items.append(f"{verb} {_when(changed['at'])}")
    test = card.test
    if test and test["failures"]:
        record = (
            f"failed {test['failures']} of the last {test['runs']} runs" if test["runs"] > 1 else "failed its last run"
        )
        if test["failed"]:
            items.append(f"**{record}**; last: {_clip(test['detail'], 80)}, {_when(test['at'])}")
        else:
            items.append(f"{record}; passed the last, {_when(test['at'])}")
    for test_key, outcome, raised in card.through[:1]:
        more = f" (and {len(card.through) - 1} more)" if len(card.through) > 1 else ""
        items.append(f"**raised** {_clip(raised, 60)} in `{_short(test_key)}`{more}, {_when(outcome['at'])}")
    if card.lint:
        items.append("**lint** " + "; ".join(_clip(f["finding"], 70) for f in card.lint))
    return " · ".join(items) if items else None


_FACT_LABELS = {
    "may_handle": "handles",
    "role": "role",
    "pure": "pure",
    "side_effects": "side effects",
    "tested_by": "tested by",
    "flaky": "flaky",
    "renamed_from": "renamed from",
    "moved_from": "moved from",
}


def _short(text: str, limit: int = 48) -> str:
    """A fact's value, shortened; a symbol key is shown as its qualified name."""
    text = " ".join(str(text).split())
    if ":" in text and text.count(":") >= 2 and not text.startswith("`"):
        text = qualname_of(text) or text
    return _clip(text, limit)


def _clip(text: str, limit: int) -> str:
    """Free text (a failure, a finding) on one line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(stamp: str) -> str:
    """``2026-11-23T20:14:03.120Z`` -> ``2026-11-23 20:14``."""
    return stamp[:16].replace("T", " ") if stamp else "?"


def first_paragraph(docstring: str | None) -> str | None:
    if not docstring:
        return None
    paragraph = docstring.strip().split("\n\n", 1)[0].strip()
    if len(paragraph) > _MAX_DOC:
        paragraph = paragraph[: _MAX_DOC - 1].rstrip() + "…"
    return paragraph or None
