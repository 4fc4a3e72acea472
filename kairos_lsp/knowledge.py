"""Read-only questions the features and the CLI ask of the memory.

>>> knowledge = Knowledge(store)                          # doctest: +SKIP
>>> knowledge.explain("python:src/text.py:parse")["facts"][0]["predicate"]  # doctest: +SKIP
'arity'

Until the dream engine consolidates them, facts are the current raw
observations, each with status ``tentative`` and the observation behind it
as evidence.
"""

from __future__ import annotations

import json
import re

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

    def explain(self, key: str) -> dict | None:
        """Everything the memory holds about a symbol, in the ``kairos explain --json`` shape."""
        row = self.store.symbol(key)
        history = self.store.history(key)
        if row is None and not history:
            return None
        facts = []
        for obs in self.store.current(key):
            facts.append({
                "predicate": obs["predicate"],
                "value": _value(obs["predicate"], obs["object"]),
                "status": "tentative",
                "confidence": None,
                "evidence": [{"source": obs["source"], "observed_at": obs["observed_at"],
                              "file_hash": obs["file_hash"], "path": obs["path"]}],
                "valid_from": obs["observed_at"],
                "valid_to": None,
            })
        result = {
            "symbol": key,
            "kind": row["kind"] if row else _last(history, "kind"),
            "exists": row is not None,
            "location": ({"path": row["path"], "range": [[row["start_line"], row["start_col"]],
                                                          [row["end_line"], row["end_col"]]]}
                         if row else None),
            "summary": _summary(facts),
            "facts": facts,
            "history": [{"predicate": h["predicate"], "value": _value(h["predicate"], h["object"]),
                         "seen": "no longer" if h["negated"] else "yes", "source": h["source"],
                         "observed_at": h["observed_at"], "file_hash": h["file_hash"]}
                        for h in history],
        }
        return result

    def export(self) -> list[dict]:
        """Every symbol the memory knows, current and historical."""
        return [item for key in self.store.subjects() if (item := self.explain(key))]


def word_at(line: bytes, col: int) -> str | None:
    for match in _WORD.finditer(line):
        if match.start() <= col <= match.end():
            return match.group().decode()
    return None


def _value(predicate: str, text: str):
    if predicate in ("parameters", "imports"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _summary(facts: list[dict]) -> str | None:
    for fact in facts:
        if fact["predicate"] == "docstring":
            return fact["value"].strip().split("\n\n")[0].replace("\n", " ")
    return None


def _last(history: list[dict], predicate: str) -> str | None:
    values = [h["object"] for h in history if h["predicate"] == predicate and not h["negated"]]
    return values[-1] if values else None
