"""An offline one-sentence summary per symbol, computed from its own observations.

The docstring's first sentence when there is one; else a sentence built from
what the code shows: its parameters (or, for a class, what it is built from),
what it returns (an annotation), what it calls and what it raises. Nothing (``""``)
when that sentence would only repeat what a hover shows already, the symbol's kind
and signature ("A class.", "Takes no arguments."): a fifth of the standard library's
symbols, a third of the large tree's, each a fact to keep and a line to read.

>>> summarize("function", ["text", "strict"], ["re.findall", "split_words"], ["ValueError"], None,
...           "parse(text, strict) -> list[str]")
'Takes text and strict, returns list[str], calls re.findall and split_words, and raises ValueError.'
>>> summarize("function", [], [], [], "Split text into lines.\\n\\nMore.", None)
'Split text into lines.'
>>> summarize("class", [], [], [], None, "Point"), summarize("function", ["self"], [], [], None, "close(self)")
('', '')
>>> summarize("constant", [], ["re.compile"], [], None, None)
'Set from re.compile.'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable

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


def summarize(
    kind: str, params: list[str], calls: list[str], raises: list[str], docstring: str | None, signature: str | None
) -> str:
    if docstring and docstring.strip():
        return first_sentence(docstring)
    if kind == "module":
        return f"A module that calls {_listing(calls)}." if calls else ""
    if kind in ("class", "interface", "type", "struct", "enum", "trait"):
        return f"A {kind} built from {_listing(params)}." if params else ""
    if kind == "constant":  # a value, not something called: what it is set from
        return f"Set from {_listing(calls)}." if calls else ""
    parts = []
    shown = [p for p in params if p not in _SKIP_PARAMS]
    parts.append(f"Takes {_listing(shown)}" if shown else "Takes no arguments")
    if signature and " -> " in signature:
        parts.append("returns " + signature.rsplit(" -> ", 1)[1])
    if calls:
        parts.append(f"calls {_listing(calls)}")
    if raises:
        parts.append(f"raises {_listing(raises)}")
    if len(parts) == 1 and not shown:
        return ""  # "Takes no arguments.": the signature says it
    if len(parts) > 2:
        text = ", ".join(parts[:-1]) + ", and " + parts[-1]
    else:
        text = " and ".join(parts)
    return text + "."


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


ABSENT_KEPT = 50_000  # keys a Lookup remembers the table does not hold: past it, it starts over


class Lookup:
    """Values by key from a table that a dream writes only between batches (``fetch``:
    keys -> {key: value} for those stored): fetched for a whole batch at once
    (:meth:`prefetch`), so replaying a version seldom asks the store (a key not
    prefetched is fetched when asked for).

    >>> callers = Lookup(store.facts.callers_of)      # doctest: +SKIP
    >>> callers.prefetch(["parse", "load"])           # doctest: +SKIP
    >>> callers.get_many(["parse"])   # {'parse': 12}; a key not in the table is absent  # doctest: +SKIP
    """

    def __init__(self, fetch: Callable[[list], dict]):
        self._fetch = fetch
        self.known: dict = {}
        self.absent: set = set()
        self.looked: dict | None = None  # when a dict: every key looked up -> what was found (or None)
        self.complete = False  # True: every stored value is in ``known`` (nothing to fetch)

    def prefetch(self, keys) -> None:
        if self.complete:
            return
        known, absent = self.known, self.absent  # (no set difference with known: it grows all dream long)
        wanted = sorted(k for k in set(keys) if k not in known and k not in absent)
        found = self._fetch(wanted)
        self.known.update(found)
        self._absent(k for k in wanted if k not in found)

    def _absent(self, keys: Iterable) -> None:
        """Remember keys the table does not hold. Only a memo (``known`` is not: it mirrors
        what the dream wrote), so past :data:`ABSENT_KEPT` it starts over: the helper of a
        dream of a folder renamed on the large tree held 142,000 absent names.

        >>> table = {"a": 1}
        >>> lookup = Lookup(lambda keys: {k: table[k] for k in keys if k in table})
        >>> lookup.prefetch([f"x{n}" for n in range(ABSENT_KEPT)])
        >>> lookup.prefetch(["y", "a"])  # one more absent key: it starts over
        >>> sorted(lookup.absent), lookup.get_many(["a", "x1"])
        (['y'], {'a': 1})
        """
        keys = list(keys)
        if len(self.absent) + len(keys) > ABSENT_KEPT:
            self.absent.clear()
        self.absent.update(keys)

    def get_many(self, keys: list) -> dict:
        known, absent = self.known, self.absent
        out = {k: known[k] for k in keys if k in known}
        rest = [] if self.complete else [k for k in keys if k not in out and k not in absent]
        if rest:
            out.update(self._fetch(sorted(set(rest))))
        if self.looked is not None:
            self.looked.update((k, out.get(k)) for k in keys)
        return out

    def update(self, values: dict) -> None:
        """What the table holds now for these keys (written meanwhile by whoever keeps this)."""
        self.known.update(values)
        self.absent.difference_update(values)
