"""An offline one-sentence summary per symbol, cached by body hash.

The docstring's first sentence when there is one; else a sentence built from
what the code shows: its parameters, what it returns (an annotation), what it
calls, what it raises, and the side effects the insights found.

>>> summarize("function", "def", ["text", "strict"], ["re.findall", "split_words"], ["ValueError"], None, "parse(text, strict) -> list[str]")
'Takes text and strict, returns list[str], calls re.findall and split_words, and raises ValueError.'
>>> summarize("function", "def", [], [], [], "Split text into lines.\\n\\nMore.", None)
'Split text into lines.'
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

_SENTENCE = re.compile(r"(.+?[.!?])(\s|$)", re.S)
_MAX = 200
_SKIP_PARAMS = {"self", "cls", "this"}


def first_sentence(doc: str) -> str:
    paragraph = " ".join(doc.strip().split("\n\n", 1)[0].split())
    match = _SENTENCE.match(paragraph)
    sentence = match.group(1) if match else paragraph
    if len(sentence) > _MAX:
        sentence = sentence[: _MAX - 1].rstrip() + "…"
    elif sentence and sentence[-1] not in ".!?…":
        sentence += "."
    return sentence


def _listing(items: list[str], limit: int = 3) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def summarize(kind: str, name: str, params: list[str], calls: list[str], raises: list[str],
              docstring: str | None, signature: str | None) -> str:
    if docstring and docstring.strip():
        return first_sentence(docstring)
    if kind == "module":
        return "A module" + (f" that calls {_listing(calls)}" if calls else "") + "."
    if kind in ("class", "interface", "type", "struct", "enum", "trait"):
        return f"A {kind}" + (f" built from {_listing(params)}" if params else "") + "."
    parts = []
    shown = [p for p in params if p not in _SKIP_PARAMS]
    parts.append(f"Takes {_listing(shown)}" if shown else "Takes no arguments")
    if signature and " -> " in signature:
        parts.append("returns " + signature.rsplit(" -> ", 1)[1])
    if calls:
        parts.append(f"calls {_listing(calls)}")
    if raises:
        parts.append(f"raises {_listing(raises)}")
    if len(parts) > 2:
        text = ", ".join(parts[:-1]) + ", and " + parts[-1]
    else:
        text = " and ".join(parts)
    return text + "."


def cache_key(body_hash: str, docstring: str | None) -> str:
    """The body hash, plus a digest of the docstring (a leading doc comment is outside the body)."""
    if not docstring:
        return body_hash
    return body_hash + ":" + hashlib.blake2b(docstring.encode(), digest_size=6).hexdigest()


def parameter_names(parameters_json: str | None) -> list[str]:
    if not parameters_json:
        return []
    return list(_parameter_names(parameters_json))


@functools.lru_cache(maxsize=4096)  # the same few parameter lists recur across a code base
def _parameter_names(parameters_json: str) -> tuple[str, ...]:
    try:
        return tuple(p[0] for p in json.loads(parameters_json))
    except (ValueError, TypeError, IndexError):
        return ()


class SummaryCache:
    """Summaries by body key, read from and written to ``summary_cache`` in bulk."""

    def __init__(self, conn):
        self.conn = conn
        self.fresh: dict[str, str] = {}

    def get_many(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        keys = sorted(set(keys))
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT body_key, summary FROM summary_cache WHERE body_key IN ({marks})", chunk))
        return found

    def put(self, key: str, text: str) -> None:
        self.fresh[key] = text

    def flush(self) -> None:
        if self.fresh:
            self.conn.executemany("INSERT OR IGNORE INTO summary_cache (body_key, summary) VALUES (?, ?)",
                                  sorted(self.fresh.items()))
            self.fresh = {}
