"""Read-only queries over facts for the knowledge layer (no protocol types)."""

from __future__ import annotations

import json

from kairos_lsp.dream.model import CAME_FROM, FACT_COLUMNS, GONE_TO
from kairos_lsp.store import Store

_STATUS_ORDER = {"firm": 0, "tentative": 1, "superseded": 2, "retracted": 3}


def decode_value(predicate: str, text: str):
    """Structured predicates (parameters, imports) are stored as JSON text."""
    if predicate in ("parameters", "imports"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def facts_for(store: Store, subject: str, current_only: bool = False,
              with_evidence: bool = True) -> list[dict]:
    """Every fact about a subject (or only tentative/firm ones), with its evidence.

    Ordered current first (firm, tentative), then history; within that by
    predicate and id. Evidence: observation id, source (``why``: parse, edit,
    user, name, calls, ...), detail, observed_at, file_hash, path, active.
    """
    where = " AND status IN ('tentative', 'firm')" if current_only else ""
    rows = store.db.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE subject = ?{where} ORDER BY id",
                            (subject,)).fetchall()
    names = [c.strip() for c in FACT_COLUMNS.split(",")]
    facts = [dict(zip(names, row)) for row in rows]
    if with_evidence and facts:
        by_id = {f["id"]: f for f in facts}
        for f in facts:
            f["evidence"] = []
        ids = sorted(by_id)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            # Observed facts and summaries cite their first observation implicitly
            # (first_observation), so a cold dream writes no evidence row for them.
            for fact_id, oid, why, detail, active, observed_at, file_hash, path, source in store.db.execute(
                    "SELECT e.fact_id, e.observation_id, e.why, e.detail, e.active, v.observed_at, "
                    "v.content_hash, v.path, v.source FROM fact_evidence e "
                    "LEFT JOIN observations o ON o.id = e.observation_id "
                    "LEFT JOIN versions v ON v.id = o.version_id "
                    f"WHERE e.fact_id IN ({marks}) "
                    "UNION ALL "
                    "SELECT f.id, f.first_observation, v.source, '', 1, "
                    "  v.observed_at, v.content_hash, v.path, v.source FROM observed_facts f "
                    "JOIN observations o ON o.id = f.first_observation "
                    "JOIN versions v ON v.id = o.version_id "
                    f"WHERE f.id IN ({marks}) "
                    "UNION ALL "
                    "SELECT f.id, f.first_observation, CASE WHEN o.predicate = 'docstring' THEN 'docstring' "
                    "  ELSE 'code' END, '', 1, "
                    "  v.observed_at, v.content_hash, v.path, v.source FROM derived_facts f "
                    "JOIN observations o ON o.id = f.first_observation "
                    "JOIN versions v ON v.id = o.version_id "
                    f"WHERE f.id IN ({marks}) AND f.origin = 'summary' "
                    "ORDER BY 1, 2, 3, 4", chunk * 3):
                by_id[fact_id]["evidence"].append({
                    "observation": oid, "source": why, "detail": detail or None,
                    "active": bool(active), "observed_at": observed_at, "file_hash": file_hash,
                    "path": path, "seen_by": source})
    for f in facts:
        f["value"] = decode_value(f["predicate"], f.pop("object"))
    facts.sort(key=lambda f: (_STATUS_ORDER[f["status"]], f["predicate"], f["id"]))
    return facts


def current_value(store: Store, subject: str, predicate: str) -> str | None:
    row = store.db.execute("SELECT object FROM facts WHERE subject = ? AND predicate = ? "
                           "AND status IN ('tentative', 'firm') ORDER BY id DESC LIMIT 1",
                           (subject, predicate)).fetchone()
    return row[0] if row else None


def predecessors(store: Store, subject: str) -> list[tuple[str, str]]:
    """[(old key, 'renamed_from' | 'moved_from'), ...], nearest first, following the chain."""
    chain, seen, key = [], {subject}, subject
    while True:
        row = store.db.execute(
            "SELECT object, predicate FROM facts WHERE subject = ? AND predicate IN (?, ?) "
            "ORDER BY (status IN ('tentative', 'firm')) DESC, id DESC LIMIT 1", (key, *CAME_FROM)).fetchone()
        if row is None or row[0] in seen:
            return chain
        chain.append((row[0], row[1]))
        seen.add(row[0])
        key = row[0]


def successor(store: Store, subject: str) -> tuple[str, str] | None:
    """Where a vanished key went: (new key, 'renamed_to' | 'moved_to'), following the chain."""
    result, seen, key = None, {subject}, subject
    while True:
        row = store.db.execute(
            "SELECT object, predicate FROM facts WHERE subject = ? AND predicate IN (?, ?) "
            "AND status IN ('tentative', 'firm') ORDER BY id DESC LIMIT 1", (key, *GONE_TO)).fetchone()
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
    out = [{"subject": subject, "via": None, "facts": facts_for(store, subject)}]
    for key, via in predecessors(store, subject):
        out.append({"subject": key, "via": via, "facts": facts_for(store, key)})
    return out


def dream_log(store: Store, limit: int = 20) -> list[dict]:
    cursor = store.db.execute("SELECT * FROM dreams ORDER BY id DESC LIMIT ?", (limit,))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
