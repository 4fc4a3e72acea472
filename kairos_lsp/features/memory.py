"""What the memory holds about the symbol at a position, for an editor's memory view
(``kairos.explain``), and the review of what the dreams changed (``kairos.recentChanges``).

Plain JSON-ready dicts: an editor's tree view shows them as they are.
"""

from __future__ import annotations

from kairos_lsp.documents import Document, to_byte_col
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.observe import content_hash


def explain_at(knowledge: Knowledge, doc: Document, line: int, character: int, encoding: str = "utf-16") -> dict | None:
    """:meth:`Knowledge.explain` for the symbol at an LSP position of an open document (each
    current fact checked against the buffer as it is now); None when nothing is known there."""
    text = doc.line(line)
    if text is None:
        return None
    row = knowledge.symbol_at(doc.path, line, to_byte_col(text, character, encoding), text)
    if row is None:
        return None
    # validated against this buffer when the symbol lives in it; else against its file as last read
    return knowledge.explain(row["key"], content_hash(doc.text) if row["path"] == doc.path else None)


def review_options(options: object) -> tuple[str | None, int, bool]:
    """``kairos.recentChanges``' one optional argument ``{"since": ISO time, "limit": n,
    "markSeen": bool}`` read leniently: (since, limit, mark_seen)."""
    if not isinstance(options, dict):
        return None, 100, False
    since = options.get("since")
    limit = options.get("limit")
    return (
        since if isinstance(since, str) and since else None,
        limit if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= 1000 else 100,
        options.get("markSeen") is True,
    )
