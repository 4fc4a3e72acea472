"""Read-only questions about facts for the knowledge layer (no protocol types); the
queries themselves are the store's (``store.facts``)."""

from __future__ import annotations

import json

from kairos_lsp.dream.model import CAME_FROM, GONE_TO
from kairos_lsp.store import Store
from kairos_lsp.store.facts import FACT_COLUMNS

_STATUS_ORDER = {"firm": 0, "tentative": 1, "superseded": 2, "retracted": 3}


def decode_value(predicate: str, text: str):
    """Structured predicates (parameters, imports) are stored as JSON text."""
    if predicate in ("parameters", "imports"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def facts_for(store: Store, subject: str, current_only: bool = False, with_evidence: bool = True) -> list[dict]:
    """Every fact about a subject (or only tentative/firm ones), with its evidence.

    Ordered current first (firm, tentative), then history; within that by
    predicate and id. Evidence: observation id, source (``why``: parse, edit,
    user, name, calls, ...), detail, observed_at, file_hash, path, active.
    """
    rows = store.facts.about(subject, current_only)
    names = [c.strip() for c in FACT_COLUMNS.split(",")]
    facts = [dict(zip(names, row)) for row in rows]
    if with_evidence and facts:
        by_id = {f["id"]: f for f in facts}
        for f in facts:
            f["evidence"] = []
        for fact_id, oid, why, detail, active, observed_at, file_hash, path, source in store.facts.evidence_of(
            sorted(by_id)
        ):
            by_id[fact_id]["evidence"].append(
                {
                    "observation": oid,
                    "source": why,
                    "detail": detail or None,
                    "active": bool(active),
                    "observed_at": observed_at,
                    "file_hash": file_hash,
                    "path": path,
                    "seen_by": source,
                }
            )
    for f in facts:
        f["value"] = decode_value(f["predicate"], f.pop("object"))
    facts.sort(key=lambda f: (_STATUS_ORDER[f["status"]], f["predicate"], f["id"]))
    return facts


def current_value(store: Store, subject: str, predicate: str) -> str | None:
    return store.facts.current_value(subject, predicate)


def predecessors(store: Store, subject: str) -> list[tuple[str, str]]:
    """[(old key, 'renamed_from' | 'moved_from'), ...], nearest first, following the chain."""
    chain: list[tuple[str, str]] = []
    seen, key = {subject}, subject
    while True:
        row = store.facts.came_from(key, CAME_FROM)
        if row is None or row[0] in seen:
            return chain
        chain.append((row[0], row[1]))
        seen.add(row[0])
        key = row[0]


def successor(store: Store, subject: str) -> tuple[str, str] | None:
    """Where a vanished key went: (new key, 'renamed_to' | 'moved_to'), following the chain."""
    result, seen, key = None, {subject}, subject
    while True:
        row = store.facts.went_to(key, GONE_TO)
        if row is None or row[0] in seen:
            return result
        result = (row[0], row[1])
        seen.add(row[0])
        key = row[0]


def history(store: Store, subject: str) -> list[dict]:
    """What was believed about a symbol, including under its earlier names or files.

    ``[{"subject": key, "via": None | "renamed_from" | "moved_from", "facts": [...]}, ...]``,
    the symbol itself first, then each predecessor.
    """
    return [{"subject": subject, "via": None, "facts": facts_for(store, subject)}, *earlier(store, subject)]


def earlier(store: Store, subject: str) -> list[dict]:
    """:func:`history` without the symbol itself: its predecessors' facts, nearest first."""
    return [{"subject": key, "via": via, "facts": facts_for(store, key)} for key, via in predecessors(store, subject)]


def dream_log(store: Store, limit: int = 20) -> list[dict]:
    return store.facts.dream_log(limit)
