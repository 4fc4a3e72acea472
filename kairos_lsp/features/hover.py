"""Hover: what the memory knows about the symbol under the cursor.

>>> print(render({"kind": "function", "signature": "add(a, b=1)", "docstring": "Add.\\n\\nMore."},
...              {"qualname": "add", "path": "m.py", "start_line": 2}, "python"))
```python
def add(a, b=1)
```
Add.
<BLANKLINE>
*function* · `m.py` line 3
"""

from __future__ import annotations

import re

from lsprotocol import types

from kairos_lsp.documents import Document, from_byte_col, to_byte_col
from kairos_lsp.knowledge import Knowledge

_WORD = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")
_MAX_DOC = 600

# How a definition starts in each language, by kind ("" when the signature says it all).
_KEYWORDS = {
    "python": {"function": "def ", "method": "def ", "class": "class "},
    "javascript": {"function": "function ", "class": "class "},
    "typescript": {"function": "function ", "class": "class ", "interface": "interface ",
                   "type": "type "},
    "tsx": {"function": "function ", "class": "class ", "interface": "interface ", "type": "type "},
    "go": {"function": "func ", "method": "func ", "type": "type "},
    "rust": {"function": "fn ", "method": "fn ", "interface": "trait "},
    "java": {"class": "class ", "interface": "interface "},
}


def hover(knowledge: Knowledge, doc: Document, line: int, character: int,
          encoding: str = "utf-16") -> types.Hover | None:
    """The hover for an LSP position in an open document; None when we know nothing."""
    text = doc.line(line)
    if text is None:
        return None
    col = to_byte_col(text, character, encoding)
    row = knowledge.symbol_at(doc.path, line, col, text)
    if row is None:
        return None
    card = knowledge.card(row["key"])
    markdown = render(card, row, row.get("language") or doc.language)
    span = word_span(text, col)
    where = None
    if span is not None:
        where = types.Range(
            start=types.Position(line=line, character=from_byte_col(text, span[0], encoding)),
            end=types.Position(line=line, character=from_byte_col(text, span[1], encoding)))
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
                       range=where)


def render(card: dict, row: dict, language: str | None) -> str:
    """Signature in a code block, the docstring's first paragraph, then kind and location."""
    kind = card.get("kind") or row.get("kind") or "symbol"
    keyword = _KEYWORDS.get(language or "", {}).get(kind, "")
    signature = card.get("signature") or row.get("qualname") or row.get("name") or "?"
    parts = [f"```{language or ''}\n{keyword}{signature}\n```"]
    doc = first_paragraph(card.get("docstring"))
    if doc:
        parts.append(doc)
    where = f"*{kind}*"
    if "." in (row.get("qualname") or ""):
        where += f" in `{row['qualname'].rsplit('.', 1)[0]}`"
    line = row.get("name_line", row.get("start_line"))  # the name's line, not a leading comment's
    if row.get("path") is not None and line is not None:
        where += f" · `{row['path']}` line {line + 1}"
    parts.append(where)
    return "\n".join(parts[:-1]) + "\n\n" + parts[-1]


def first_paragraph(docstring: str | None) -> str | None:
    if not docstring:
        return None
    paragraph = docstring.strip().split("\n\n", 1)[0].strip()
    if len(paragraph) > _MAX_DOC:
        paragraph = paragraph[: _MAX_DOC - 1].rstrip() + "…"
    return paragraph or None


def word_span(line: bytes, col: int) -> tuple[int, int] | None:
    """Byte span of the identifier under (or just before) a byte column."""
    for match in _WORD.finditer(line):
        if match.start() <= col <= match.end():
            return match.start(), match.end()
    return None
