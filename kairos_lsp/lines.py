"""One line index over a text's bytes: rows and byte columns (tree-sitter points) <-> byte offsets.

Lines are split on ``\\n`` only, as tree-sitter counts them (``str.splitlines``
would also split on form feeds and U+2028); a ``\\r`` before the ``\\n`` belongs
to no line's content. A lone ``\\r`` ends a line for LSP clients too, so text
enters kairos through :func:`as_lines`, which makes it a ``\\n`` (same length:
every byte offset stays where it was).

>>> index = LineIndex(b"ab\\r\\ncd\\nef")
>>> index.count, index.line(0), index.line(2), index.line(3)
(3, b'ab', b'ef', None)
>>> index.point(5), index.offset((1, 1)), index.offset((9, 0))
((1, 1), 5, 9)
"""

from __future__ import annotations

import re
from bisect import bisect_right

Point = tuple[int, int]  # (row, UTF-8 byte column)


class LineIndex:
    """Where each line of ``text`` starts; built once per text."""

    __slots__ = ("text", "starts")

    def __init__(self, text: bytes):
        self.text = text
        starts, find = [0], text.find
        at = find(b"\n")
        while at != -1:
            starts.append(at + 1)
            at = find(b"\n", at + 1)
        self.starts = starts

    @property
    def count(self) -> int:
        return len(self.starts)

    def line(self, row: int) -> bytes | None:
        """The bytes of line ``row`` without its line ending; None past the end."""
        if row < 0 or row >= len(self.starts):
            return None
        end = self.starts[row + 1] - 1 if row + 1 < len(self.starts) else len(self.text)
        data = self.text[self.starts[row] : end]
        return data[:-1] if data.endswith(b"\r") else data

    def offset(self, point: Point) -> int:
        """The byte offset of a point; a row past the end is the end of the text."""
        row, col = point
        if row < 0:
            return 0
        return self.starts[row] + col if row < len(self.starts) else len(self.text)

    def point(self, offset: int) -> Point:
        """The point of a byte offset."""
        row = bisect_right(self.starts, offset) - 1
        return row, offset - self.starts[row]


def as_lines(data: bytes) -> bytes:
    """Lone carriage returns (classic Mac line ends) as ``\\n``, so that tree-sitter's rows
    are the editor's lines; ``\\r\\n`` is left alone, and so is the length.

    >>> as_lines(b"a\\rb\\r\\nc\\r")
    b'a\\nb\\r\\nc\\n'
    """
    if b"\r" not in data:
        return data
    return _LONE_CR.sub(b"\n", data)


_LONE_CR = re.compile(rb"\r(?!\n)")


def one_line(error: BaseException | str) -> str:
    """An error (or any text) as one line for the user: whitespace folded, at most 500
    characters, the exception's type when it has no message.

    >>> one_line(OSError("disk  full")), one_line(KeyError())
    ('disk full', 'KeyError')
    """
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:500]
