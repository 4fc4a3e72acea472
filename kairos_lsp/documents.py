"""Open buffers: their text, language and tree-sitter tree, kept current edit by edit.

No protocol types here: the server hands over plain strings and integers.

>>> doc = Document("file:///w/a.py", "a.py", "python", "def f(a):\\n    pass\\n")
>>> edit = doc.update("def f(a, b):\\n    pass\\n")      # one edit: ", b" inserted
>>> edit.start_byte, edit.old_end_byte, edit.new_end_byte
(7, 7, 10)
>>> doc.tree.root_node.has_error
False
>>> to_byte_col("é😀x".encode(), 3)      # UTF-16: é is 1 unit, 😀 is 2
6
>>> from_byte_col("é😀x".encode(), 6)
3

Positions
---------
LSP columns count code units of the negotiated encoding (UTF-16 unless the
client and server agreed on UTF-8 or UTF-32); tree-sitter and the store count
UTF-8 bytes. :func:`to_byte_col` and :func:`from_byte_col` convert one line's
column between the two. Lines are separated by ``\\n`` (a trailing ``\\r`` is
not part of the line), which is how tree-sitter counts rows.

Oversize buffers
----------------
A buffer bigger than ``max_bytes`` (the ``maxFileBytes`` setting, which the scan
applies to files too) is neither parsed nor kept: it has no language, no tree, no
text and no lines, so hovers and checks on it answer nothing and it is never
recorded. Parsing a 50 MB buffer took 11.6 s and 2.6 GB. Its incremental changes
are dropped (the text they apply to is not there); a whole-text change that fits,
or the file on disk once saved (:meth:`Documents.reload`), brings it back.

Trees kept
----------
A tree-sitter tree takes about 24 bytes per byte of source: the 244 files of the
large tree an editor had open (2.75 MB) held 66 MB of trees. :class:`Documents`
keeps the trees of the buffers opened or edited last, up to ``tree_bytes`` of
their source (:data:`TREE_BYTES`, and always the last one); the others let
theirs go, and are parsed again when needed: by an edit (from scratch, then
kept again), or in the thread that checks or records a snapshot
(:meth:`Snapshot.parsed`), which does not keep it.

>>> big = Document("file:///w/big.py", "big.py", "python", "x = 1\\n" * 10, max_bytes=50)
>>> big.oversize, big.language, big.tree, big.text, big.line(0)
(True, None, None, b'', None)
>>> _ = big.update("x = 1\\n")
>>> big.oversize, big.language, big.line(0)
(False, 'python', b'x = 1')
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from tree_sitter import Parser, Tree

from kairos_lsp.languages import language_for_id, language_for_path, new_parser, repaired
from kairos_lsp.lines import LineIndex, as_lines

Point = tuple[int, int]

TREE_BYTES = 2 << 20  # the source bytes of the open buffers whose trees are kept (see "Trees kept")

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


# -- positions ------------------------------------------------------------------


def to_byte_col(line: bytes, col: int, encoding: str = UTF16) -> int:
    """The UTF-8 byte column of an LSP column on ``line`` (clamped to the line;
    a column inside a character moves to that character's start)."""
    if col <= 0:
        return 0
    if line.isascii():
        return min(col, len(line))
    if encoding == UTF8:
        col = min(col, len(line))
        while 0 < col < len(line) and (line[col] & 0xC0) == 0x80:  # inside a character
            col -= 1
        return col
    # "surrogatepass": a lone surrogate (possible in JSON text) stays one code unit.
    text = line.decode("utf-8", "surrogatepass")
    if encoding == UTF32:
        prefix = text[:col]
    else:
        # Cut the UTF-16 form; "ignore" drops half of a split surrogate pair.
        prefix = text.encode("utf-16-le", "surrogatepass")[: col * 2].decode("utf-16-le", "ignore")
    return len(prefix.encode("utf-8", "surrogatepass"))


def from_byte_col(line: bytes, byte_col: int, encoding: str = UTF16) -> int:
    """The LSP column (in ``encoding`` code units) of a UTF-8 byte column on ``line``."""
    byte_col = max(0, min(byte_col, len(line)))
    if encoding == UTF8 or line.isascii():
        return byte_col
    prefix = line[:byte_col].decode("utf-8", "ignore")  # a cut character counts as not reached
    if encoding == UTF32:
        return len(prefix)
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2


def _point_at(data: bytes, offset: int) -> Point:
    """(row, byte column) of a byte offset, as tree-sitter counts them."""
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix, by binary search over slice comparisons."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # invariant: a[:lo] == b[:lo] and a[:hi] != b[:hi]
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit`` bytes."""
    la, lb = len(a), len(b)
    lo, hi = 0, min(limit, la, lb)
    if a[la - hi :] == b[lb - hi :]:
        return hi
    while lo < hi:  # invariant: suffixes of length lo match, of length hi+1.. do not
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


@dataclass(frozen=True, slots=True)
class Edit:
    """One contiguous replacement, in bytes and tree-sitter points."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: Point
    old_end_point: Point
    new_end_point: Point


def diff_edit(old: bytes, new: bytes) -> Edit | None:
    """The single edit that turns ``old`` into ``new`` (None when they are equal)."""
    if old == new:
        return None
    start = common_prefix(old, new)
    # Never split a UTF-8 character: step back to its first byte.
    while start > 0 and start < len(new) and (new[start] & 0xC0) == 0x80:
        start -= 1
    tail = common_suffix(old, new, min(len(old), len(new)) - start)
    while tail > 0 and (old[len(old) - tail] & 0xC0) == 0x80:
        tail -= 1
    old_end, new_end = len(old) - tail, len(new) - tail
    start_point = _point_at(old, start)
    return Edit(
        start,
        old_end,
        new_end,
        start_point,
        _advance(start_point, old[start:old_end]),
        _advance(start_point, new[start:new_end]),
    )


def _advance(point: Point, inserted: bytes) -> Point:
    lines = inserted.count(b"\n")
    if lines == 0:
        return point[0], point[1] + len(inserted)
    return point[0] + lines, len(inserted) - (inserted.rfind(b"\n") + 1)


# -- one open buffer --------------------------------------------------------------


class Document:
    """One open buffer and its syntax tree.

    ``path`` is workspace-relative ('/'-separated) when the file lies in the
    workspace, else absolute; ``in_workspace`` tells which. ``language`` is a
    :mod:`kairos_lsp.languages` name, or None for text we cannot parse (then
    ``tree`` is None). Not thread-safe: use it from one thread (the server's
    event loop) and hand :meth:`snapshot` to other threads.
    """

    def __init__(
        self,
        uri: str,
        path: str,
        language: str | None,
        text: str,
        version: int | None = None,
        in_workspace: bool = True,
        max_bytes: int | None = None,
    ):
        self.uri = uri
        self.path = path
        self.version = version
        self.in_workspace = in_workspace
        self.max_bytes = max_bytes
        self.detected = language  # what it is parsed as while it fits
        self.language: str | None = None
        self.oversize = False
        self.text = b""
        self._lines: LineIndex | None = None
        self._parser: Parser | None = None
        self.tree: Tree | None = None  # None: no language, oversize, or let go (see "Trees kept")
        # What the tree was parsed from when the language's repairs changed the text (None: the
        # text itself). Texts are read from ``text``, never from the tree's nodes.
        self._parsed: bytes | None = None
        # called when its tree is built or dropped with the text (Documents counts the trees)
        self.on_tree: Callable[[Document], None] | None = None
        data = self._fitting(text)
        if data is None:
            self._drop()
        else:
            self._fresh(data)

    def _fitting(self, text: str) -> bytes | None:
        """``text`` as bytes, or None when it is over ``max_bytes`` (never encoded when its
        characters alone say so: a character is at least one byte)."""
        if self.max_bytes is not None and len(text) > self.max_bytes:
            return None
        data = _encode(text)
        return None if self.max_bytes is not None and len(data) > self.max_bytes else data

    def _fresh(self, data: bytes) -> None:
        """Hold ``data``, parsed from scratch."""
        self.oversize = False
        self.language = self.detected
        self.text = data
        self._lines = None
        self._parser = new_parser(self.language) if self.language else None
        self.tree = None
        if self._parser is not None:
            self._parse_whole()

    def _drop(self) -> None:
        """Too big: nothing kept, nothing parsed."""
        self.oversize = True
        self.language = None
        self.text = b""
        self._parsed = None
        self._lines = None
        self._parser = None
        self.tree = None
        self._tree_changed()

    def update(self, new_text: str, version: int | None = None) -> Edit | None:
        """Replace the whole text, reparsing incrementally from the previous tree.

        The one edit tree-sitter needs is the span between the common prefix
        and the common suffix of the old and the new bytes.
        """
        if version is not None:
            self.version = version
        new = self._fitting(new_text)
        if new is None:
            self._drop()
            return None
        if self.oversize:
            self._fresh(new)
            return diff_edit(b"", new)
        edit = diff_edit(self.text, new)
        return None if edit is None else self._apply(new, edit)

    def apply_change(
        self, start: Point, end: Point, text: str, encoding: str = UTF16, version: int | None = None
    ) -> Edit | None:
        """Apply an LSP range change (lines and columns in ``encoding`` units); None when the
        buffer is (or becomes) oversize, and the change is dropped.

        Lines are split on ``\\n`` only, as LSP clients and tree-sitter count
        them (``str.splitlines`` would also split on form feeds and U+2028).
        """
        if version is not None:
            self.version = version
        if self.oversize:
            return None
        start_byte, end_byte = self._offset(*start, encoding), self._offset(*end, encoding)
        end_byte = max(start_byte, end_byte)
        inserted = self._fitting(text)
        if inserted is None or (
            self.max_bytes is not None and len(self.text) - (end_byte - start_byte) + len(inserted) > self.max_bytes
        ):
            self._drop()
            return None
        new = self.text[:start_byte] + inserted + self.text[end_byte:]
        start_point = _point_at(self.text, start_byte)
        edit = Edit(
            start_byte,
            end_byte,
            start_byte + len(inserted),
            start_point,
            _advance(start_point, self.text[start_byte:end_byte]),
            _advance(start_point, inserted),
        )
        return self._apply(new, edit)

    def _offset(self, line: int, col: int, encoding: str) -> int:
        """Byte offset of an LSP position, clamped to the document (past the end: the end)."""
        index = self._index()
        data = index.line(line)
        return index.offset((line, to_byte_col(data, col, encoding) if data is not None else 0))

    def _apply(self, new: bytes, edit: Edit) -> Edit:
        """Hold ``new``, which ``edit`` made of the text; the edit the tree was given (wider than
        ``edit`` when a repair came or went elsewhere: what is re-observed)."""
        old, self.text = self.text, new
        self._lines = None
        if self._parser is None or self.language is None:
            return edit
        if self.tree is None:  # let go: parsed from scratch
            self._parse_whole()
            return edit
        given = repaired(self.language, new)
        if given is not new or self._parsed is not None:
            # The tree was parsed from, or is now given, repaired bytes: the edit that turns what
            # it was parsed from into what it is given holds the repairs that changed as well.
            edit = diff_edit(old if self._parsed is None else self._parsed, given) or edit
        self._parsed = None if given is new else given
        self.tree.edit(
            edit.start_byte,
            edit.old_end_byte,
            edit.new_end_byte,
            edit.start_point,
            edit.old_end_point,
            edit.new_end_point,
        )
        self.tree = self._parser.parse(given, self.tree)
        self._tree_changed()
        return edit

    def _parse_whole(self) -> None:
        """Parse the text from scratch, given the language's repairs."""
        assert self._parser is not None and self.language is not None
        given = repaired(self.language, self.text)
        self._parsed = None if given is self.text else given
        self.tree = self._parser.parse(given)
        self._tree_changed()

    def _tree_changed(self) -> None:
        if self.on_tree is not None:
            self.on_tree(self)

    def parsed(self) -> tuple[str, Tree]:
        """Its language and tree, parsed again (and kept) if it was let go; a ValueError for a
        buffer kairos does not read (no language, or oversize)."""
        if self._parser is None or self.language is None:
            raise ValueError(f"kairos: {self.path} is not in a language kairos reads")
        if self.tree is None:
            self._parse_whole()
        assert self.tree is not None
        return self.language, self.tree

    def let_go_of_tree(self) -> None:
        """Keep the text only; the tree is parsed again when needed (see "Trees kept")."""
        self.tree = None
        self._parsed = None

    @property
    def line_count(self) -> int:
        return self._index().count

    def line(self, row: int) -> bytes | None:
        """The bytes of line ``row`` without its line ending; None past the end (or oversize)."""
        return None if self.oversize else self._index().line(row)

    def _index(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def byte_position(self, line: int, col: int, encoding: str = UTF16) -> Point | None:
        """An LSP position as a tree-sitter point; None when the line does not exist."""
        data = self.line(line)
        return None if data is None else (line, to_byte_col(data, col, encoding))

    def snapshot(self) -> Snapshot:
        """An immutable view another thread may extract from (the tree is copied; None when
        it was let go: :meth:`Snapshot.parsed` parses the text then)."""
        return Snapshot(
            self.uri,
            self.path,
            self.language,
            self.text,
            self.tree.copy() if self.tree is not None else None,
            self.version,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    uri: str
    path: str
    language: str | None
    text: bytes
    tree: Tree | None
    version: int | None

    def parsed(self) -> tuple[str, Tree]:
        """Its language and tree (the text parsed here, in the caller's thread, when the
        buffer's tree was let go); only a buffer kairos reads has them (others are never
        recorded nor checked)."""
        if self.language is None:
            raise ValueError(f"kairos: {self.path} is not in a language kairos reads")
        if self.tree is None:
            return self.language, new_parser(self.language).parse(repaired(self.language, self.text))
        return self.language, self.tree


def _encode(text: str) -> bytes:
    return as_lines(text.encode("utf-8", "surrogatepass"))


# -- the registry -------------------------------------------------------------------


def uri_to_path(uri: str) -> str | None:
    """The local file system path of a ``file:`` URI; None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and path.startswith("/") and len(path) > 2 and path[2] == ":":
        path = path[1:]
    if parsed.netloc and parsed.netloc != "localhost":
        path = f"//{parsed.netloc}{path}"
    return path


def detect_language(language_id: str | None, path: str) -> str | None:
    spec = (language_for_id(language_id) if language_id else None) or language_for_path(path)
    return spec.name if spec else None


class Documents:
    """The open buffers, by URI. ``root`` (may be None) makes paths relative."""

    def __init__(
        self, root: str | os.PathLike | None = None, max_bytes: int | None = None, tree_bytes: int = TREE_BYTES
    ):
        self.root = Path(root).resolve() if root is not None else None
        self.max_bytes = max_bytes  # a bigger buffer is neither parsed nor kept
        self.tree_bytes = tree_bytes  # see "Trees kept"
        self._docs: dict[str, Document] = {}
        self._lock = threading.Lock()  # guards the dict only; documents are loop-owned
        # the buffers that hold a tree, the one parsed longest ago first: their source bytes,
        # and the sum of those (kept, not summed again: every keystroke updates it)
        self._trees: OrderedDict[str, int] = OrderedDict()
        self._tree_total = 0

    def locate(self, uri: str) -> tuple[str, bool]:
        """(path, in_workspace) for a URI: workspace-relative when inside the root."""
        fs_path = uri_to_path(uri)
        if fs_path is None:
            return uri, False
        absolute = Path(os.path.abspath(fs_path))
        if self.root is not None:
            for candidate in (absolute, _resolved(absolute)):
                try:
                    rel = candidate.relative_to(self.root)
                except ValueError:
                    continue
                return PurePosixPath(*rel.parts).as_posix(), True
        return absolute.as_posix(), False

    def open(self, uri: str, text: str, language_id: str | None = None, version: int | None = None) -> Document:
        path, inside = self.locate(uri)
        doc = Document(uri, path, detect_language(language_id, path), text, version, inside, self.max_bytes)
        with self._lock:
            self._docs[uri] = doc
        doc.on_tree = self._tree_changed
        self._tree_changed(doc)
        return doc

    def _tree_changed(self, doc: Document) -> None:
        """``doc`` has a new tree (it is the one parsed last: the trees parsed longest ago go
        beyond ``tree_bytes`` of their source), or none (oversize)."""
        self._tree_total -= self._trees.pop(doc.uri, 0)
        if doc.tree is None:
            return
        self._trees[doc.uri] = len(doc.text)
        self._tree_total += len(doc.text)
        while self._tree_total > self.tree_bytes and len(self._trees) > 1:
            uri, size = self._trees.popitem(last=False)
            self._tree_total -= size
            other = self._docs.get(uri)
            if other is not None:
                other.let_go_of_tree()

    def reload(self, doc: Document) -> bool:
        """An oversize buffer was saved: take the file's text when it now fits (True then).
        Its changes were dropped, but once saved the disk holds what the editor holds."""
        fs_path = uri_to_path(doc.uri)
        if not doc.oversize or fs_path is None:
            return False
        try:
            with open(fs_path, "rb") as f:
                data = f.read(doc.max_bytes + 1 if doc.max_bytes is not None else -1)
        except OSError:
            return False
        doc.update(data.decode("utf-8", "replace"))
        return not doc.oversize

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> Document | None:
        self._tree_total -= self._trees.pop(uri, 0)
        with self._lock:
            doc = self._docs.pop(uri, None)
        if doc is not None:
            doc.on_tree = None
        return doc

    def __iter__(self) -> Iterator[Document]:
        with self._lock:
            return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, uri: object) -> bool:
        return uri in self._docs


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path
