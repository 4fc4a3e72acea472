"""``kairos export --json``: every symbol the memory holds, as ``Knowledge.explain`` gives it,
as one JSON array, written symbol after symbol.

The symbols go in pages of :data:`PAGE` keys, in key order. On a memory of more than one page
a child process explains every other page while this one explains the page before it, and
the pages are written in order: the same bytes as one process writes, in about half the time
on two cores (the large tree's memory, 446,376 symbols: 182 s in one process, 99 s with the
child). A child that cannot start, or dies, leaves its pages to this process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any, TextIO

from kairos_lsp.knowledge import Knowledge
from kairos_lsp.store import Store
from kairos_lsp.workers import shared_pages

PAGE = 500  # symbols explained at a time, in one process or the other


def write_export(store: Store, stream: TextIO, helper: bool = True) -> None:
    """What ``json.dump([knowledge.explain(key) for key in store.subjects()], stream, indent=1)``
    writes (the symbols the memory knows: an explanation that is None is left out), one page
    of symbols at a time (the large tree's memory as one list took 9 GB before the first byte
    came out); ``helper``: every other page in a child process, when there are two or more.

    >>> import io
    >>> store = Store(":memory:")
    >>> _ = store.record_seen([("python:b.py:g", "raised", "KeyError"), ("python:a.py:f", "lint", "E1")])
    >>> out = io.StringIO()
    >>> write_export(store, out)
    >>> out.getvalue() == json.dumps([Knowledge(store).explain(key) for key in store.subjects()], indent=1)
    True
    """
    knowledge = Knowledge(store)
    written = False
    there = export_part if helper and store.path != ":memory:" else None
    for text in shared_pages(store.subjects(), PAGE, partial(_part, knowledge), there, lambda keys: (store.path, keys)):
        if text:
            stream.write((",\n " if written else "[\n ") + text)
            written = True
    stream.write("\n]" if written else "[]")


def _part(knowledge: Knowledge, keys: list[str]) -> str:
    """The JSON of these symbols (those the memory knows), as items of the export's array."""
    return ",\n ".join(indented_json(item, "\n ") for item in map(knowledge.explain, keys) if item)


_opened: dict[str, Knowledge] = {}  # in a child: the memory it reads, opened once (its calls run one by one)


def export_part(path: str, keys: list[str], should_stop: Callable[[], bool] | None = None) -> str:
    """:func:`_part` in a :class:`~kairos_lsp.workers.Child`, on the memory at ``path``."""
    knowledge = _opened.get(path) or _opened.setdefault(path, Knowledge(Store(path)))
    return _part(knowledge, keys)


def indented_json(value, newline: str = "\n") -> str:
    """``json.dumps(value, indent=1)``, byte for byte, as text nested after ``newline`` (a
    line break and the indent of the place it goes). With an indent the standard library
    encodes in Python, generator by generator: an export of the large tree spent most of
    its time there. This writes the JSON types kairos exports directly (the strings with
    the library's own C escaping) and hands anything else to ``json.dumps``.

    >>> value = {"a": [1, 2.5, None, True, {}], "b": {"c": "\u00e9\\n"}, "d": [], "e": -0.0}
    >>> indented_json(value) == json.dumps(value, indent=1)
    True
    >>> indented_json({1: float("nan")}) == json.dumps({1: float("nan")}, indent=1)
    True
    """
    parts: list[str] = []
    try:
        _indented(value, newline, parts)
    except _NotPlain:
        return json.dumps(value, indent=1).replace("\n", newline)
    return "".join(parts)


class _NotPlain(Exception):
    """A value the direct writer leaves to ``json.dumps`` (a float that is not finite, a
    key that is not a string, a type JSON has no word for)."""


_json_string = json.encoder.encode_basestring_ascii  # (what json.dumps uses with ensure_ascii)
_INFINITY = float("inf")


def _indented(value, newline: str, parts: list[str]) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + " "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            scalar = _SCALARS.get(type(item))  # most values: written here, not one call deeper
            if scalar is None:
                parts.append(separator + _json_string(key) + ": ")
                _indented(item, inner, parts)
            else:
                parts.append(separator + _json_string(key) + ": " + scalar(item))
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        inner = newline + " "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _indented(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    else:
        scalar = _SCALARS.get(kind)
        if scalar is None:
            raise _NotPlain
        parts.append(scalar(value))


def _float(value: float) -> str:
    if -_INFINITY < value < _INFINITY:
        return float.__repr__(value)
    raise _NotPlain  # (NaN and the infinities: json.dumps' own words)


# A JSON scalar's text, by its exact type (a subclass, such as an enum, is json.dumps')
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _json_string,
    int: int.__repr__,
    float: _float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}
