"""Read-only questions the features and the CLI ask of the memory.

>>> knowledge = Knowledge(store)                          # doctest: +SKIP
>>> knowledge.explain("python:src/text.py:parse")["facts"][0]["predicate"]  # doctest: +SKIP
'arity'

Facts come from the dream engine; what it has not consolidated yet shows as
the current raw observations, each ``tentative`` with the observation behind
it as evidence.
"""

from __future__ import annotations

import json
import re

from kairos_lsp.dream import cursor, facts_for, history, successor
from kairos_lsp.dream.read import decode_value
from kairos_lsp.store import Store

_WORD = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")
SINGLE_VALUED = {"kind", "signature", "arity", "parameters", "docstring", "body_hash", "defined_at"}


class Knowledge:
    def __init__(self, store: Store):
        self.store = store

    # -- finding symbols ----------------------------------------------------

    def symbol_at(self, path: str, line: int, col: int, line_text: bytes | None = None) -> dict | None:
        """The symbol a user points at: a definition's name, else the word under the cursor.

        ``col`` is a UTF-8 byte column, as in the store.
        """
        for row in self.store.symbols_in(path):
            if row["name_line"] == line and row["name_col"] <= col <= row["name_end_col"] and row["qualname"]:
                return row
        if line_text is None:
            return None
        word = word_at(line_text, col)
        return self.resolve(word, path) if word else None

    def resolve(self, name: str, from_path: str) -> dict | None:
        """A symbol by its short name: the same file first, then a unique match elsewhere."""
        candidates = self.store.symbols_named(name)
        same_file = [c for c in candidates if c["path"] == from_path]
        if same_file:
            return same_file[0]
        top_level = [c for c in candidates if "." not in c["qualname"]]
        pool = top_level or candidates
        return pool[0] if len(pool) == 1 else None

    def find(self, path: str, qualname: str | None = None, line: int | None = None) -> dict | None:
        """``FILE::QUALNAME`` or ``FILE:LINE`` (1-based line) as the CLI takes them."""
        if qualname is not None:
            if qualname == "":
                modules = [r for r in self.store.symbols_in(path) if r["qualname"] == ""]
                return modules[0] if modules else None
            return self.store.symbol_by_qualname(path, qualname)
        if line is not None:
            return self.store.symbol_at(path, line - 1)
        return None

    # -- what we know about one ------------------------------------------------

    def card(self, key: str) -> dict:
        """The short view a hover needs: signature, docstring, kind, callers count."""
        values: dict[str, list[str]] = {}
        for row in self.store.current(key):
            values.setdefault(row["predicate"], []).append(row["object"])
        first = {p: v[0] for p, v in values.items() if p in SINGLE_VALUED}
        return {
            "symbol": key,
            "kind": first.get("kind"),
            "signature": first.get("signature"),
            "docstring": first.get("docstring"),
            "decorators": values.get("decorated_by", []),
            "calls": values.get("calls", []),
            "raises": values.get("raises", []),
        }

    def explain(self, key: str, content_hash: str | None = None) -> dict | None:
        """Everything the memory holds about a symbol, in the ``kairos explain --json`` shape.

        Facts come from the dream (status, confidence, evidence, validity and
        history); each current one is checked against the code before it is
        handed out (``check``: ``current`` or ``stale``). ``content_hash`` is
        the hash of the open buffer, when there is one. Observations the dream
        has not consolidated yet show as tentative raw facts.
        """
        row = self.store.symbol(key)
        facts = facts_for(self.store, key)
        log = self.store.history(key)
        if row is None and not facts and not log:
            return None
        if not facts:
            facts = self._raw_facts(key)
        check = self._checker(key, row, content_hash)
        for fact in facts:
            fact["check"] = check(fact) if fact["status"] in ("tentative", "firm") else None
        moved = successor(self.store, key)
        return {
            "symbol": key,
            "kind": row["kind"] if row else _last(log, "kind"),
            "exists": row is not None,
            "location": ({"path": row["path"], "range": [[row["start_line"], row["start_col"]],
                                                          [row["end_line"], row["end_col"]]]}
                         if row else None),
            "citation": self._citation(row),
            "summary": _summary(facts),
            "facts": facts,
            "earlier": [{"symbol": h["subject"], "via": h["via"], "facts": h["facts"]}
                        for h in history(self.store, key)[1:]],
            "successor": {"symbol": moved[0], "via": moved[1]} if moved else None,
            "log": [{"predicate": h["predicate"], "value": decode_value(h["predicate"], h["object"]),
                     "seen": "no longer" if h["negated"] else "yes", "source": h["source"],
                     "observed_at": h["observed_at"], "file_hash": h["file_hash"]}
                    for h in log],
        }

    def _raw_facts(self, key: str) -> list[dict]:
        """Current observations not consolidated yet, shown as tentative facts."""
        return [{"predicate": obs["predicate"], "value": decode_value(obs["predicate"], obs["object"]),
                 "status": "tentative", "confidence": None, "origin": "observed",
                 "evidence": [{"source": obs["source"], "observed_at": obs["observed_at"],
                               "file_hash": obs["file_hash"], "path": obs["path"]}],
                 "valid_from": obs["observed_at"], "valid_to": None, "superseded_by": None}
                for obs in self.store.current(key)]

    def _citation(self, row: dict | None) -> dict | None:
        if row is None:
            return None
        known = self.store.file(row["path"])
        return {"path": row["path"], "range": [[row["start_line"], row["start_col"]],
                                               [row["end_line"], row["end_col"]]],
                "content_hash": known["content_hash"] if known else None}

    def _checker(self, key: str, row: dict | None, content_hash: str | None):
        """Validate on use: is a current fact still what the code says right now?

        The code is the open buffer (``content_hash``) or the file as last read.
        A fact the code no longer backs, or derived from inputs that changed
        since the last dream, is ``stale``; it is never shown as current.
        """
        if row is None:
            return lambda fact: "stale"
        known = self.store.file(row["path"])
        code_moved = known is None or (content_hash is not None and content_hash != known["content_hash"])
        backed = {(o["predicate"], o["object"]) for o in self.store.current(key)}
        undreamed = self.store.db.execute(
            "SELECT 1 FROM observations WHERE subject = ? AND id > ? LIMIT 1",
            (key, cursor(self.store))).fetchone() is not None

        def check(fact: dict) -> str:
            if code_moved:
                return "stale"
            if fact.get("origin") == "observed":
                text = fact["value"] if isinstance(fact["value"], str) else json.dumps(fact["value"])
                return "current" if (fact["predicate"], text) in backed else "stale"
            return "stale" if undreamed else "current"
        return check

    def export(self) -> list[dict]:
        """Every symbol the memory knows, current and historical."""
        keys = set(self.store.subjects())
        keys.update(row[0] for row in self.store.db.execute("SELECT DISTINCT subject FROM facts"))
        return [item for key in sorted(keys) if (item := self.explain(key))]


def word_at(line: bytes, col: int) -> str | None:
    for match in _WORD.finditer(line):
        if match.start() <= col <= match.end():
            return match.group().decode()
    return None


def _summary(facts: list[dict]) -> str | None:
    """The dream's one-sentence summary, else the docstring's first paragraph."""
    live = [f for f in facts if f["status"] in ("tentative", "firm")]
    for predicate in ("summary", "docstring"):
        for fact in live:
            if fact["predicate"] == predicate:
                return fact["value"].strip().split("\n\n")[0].replace("\n", " ")
    return None


def _last(history: list[dict], predicate: str) -> str | None:
    values = [h["object"] for h in history if h["predicate"] == predicate and not h["negated"]]
    return values[-1] if values else None
