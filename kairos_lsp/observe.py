"""One look at one file: read it, refuse what is not source, extract it, and turn what it
says into the rows the store appends. This is all a scan's worker runs, so it imports no
more than extraction needs (no SQLite, settings or event loop): a worker starts at about
half the memory of one that imports the scan (19 against 34 MB here).

>>> import pathlib, tempfile
>>> root = tempfile.mkdtemp()
>>> _ = (pathlib.Path(root) / "app.py").write_text("def f():\\n    return 1\\n")
>>> look = observe_file(root, "app.py", None, 1 << 20)
>>> look.language, sorted({key for key, _, _ in look.triples})
('python', ['python:app.py', 'python:app.py:f'])
>>> observe_file(root, "app.py", (look.size, look.mtime_ns, look.content_hash), 1 << 20) is None
True
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from dataclasses import dataclass

from kairos_lsp.extract import Extraction, Symbol, extract_source, observations
from kairos_lsp.keys import symbol_key
from kairos_lsp.languages import LanguageSpec, language_for_path
from kairos_lsp.lines import as_lines

# A file changed this recently when it was read may change again within the same tick of its
# file system's clock and keep its size and mtime (a tick is 1 s on ext3, 2 s on FAT, a jiffy on
# Linux before 6.13): its stat is then not remembered, and the next look reads and hashes it
# again rather than trusting it (git's "racy clean" files).
RACY_NS = 2_000_000_000


def racy(mtime_ns: int) -> bool:
    """Whether a file last changed at ``mtime_ns``, read now, could change again unseen by its
    stat.

    >>> racy(time.time_ns()), racy(time.time_ns() - 3_600_000_000_000)
    (True, False)
    """
    return abs(time.time_ns() - mtime_ns) < RACY_NS


@dataclass(slots=True)
class Skipped:
    path: str
    reason: str
    # Not code a person writes (minified): what the memory knew of the file is forgotten, as a
    # fresh look would not hold it (an oversize file is kept as it was last read).
    not_source: bool = False


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(slots=True)
class FileObservation:
    """One look at one file. ``extraction`` is None when the content is unchanged.

    :meth:`prepare` turns the extraction into plain rows; scan workers call it
    so that only tuples of strings travel back to the writing process.
    """

    path: str
    language: str
    content_hash: str
    size: int
    mtime_ns: int
    extraction: Extraction | None
    triples: list[tuple[str, str, str]] | None = None  # sorted, each once
    symbol_rows: list[tuple] | None = None
    has_errors: bool = False
    racy: bool = False  # read right after a change (:func:`racy`): the memory keeps no mtime for it

    @property
    def kept_mtime(self) -> int:
        """The mtime the memory keeps for the file: 0 (look again) when it was read right
        after a change."""
        return 0 if self.racy else self.mtime_ns

    @property
    def unchanged(self) -> bool:
        return self.extraction is None and self.triples is None

    def prepare(self) -> FileObservation:
        if self.extraction is not None:
            path, language = self.path, self.language
            triples: list[tuple[str, str, str]] = []
            rows = []
            for symbol in self.extraction.symbols:
                key = symbol_key(language, path, symbol.qualname)
                # No ``defined_at``: the key says where (schema 21).
                triples += [(key, predicate, value) for predicate, value in observations(symbol)]
                rows.append(symbol_row(key, symbol))
            # Sorted where it is prepared (a scan's workers): the writer appends a new file's
            # observations in this order as they come, with no set or sort of its own.
            self.triples = sorted(set(triples))
            self.symbol_rows = rows
            self.has_errors = self.extraction.has_errors
            self.extraction = None
        return self


def symbol_row(key: str, s: Symbol) -> tuple:
    """What ``symbol_rows`` holds of a symbol, its key first (the key says its path,
    language and qualified name)."""
    return (
        key,
        s.name,
        s.kind,
        s.start[0],
        s.start[1],
        s.end[0],
        s.end[1],
        s.name_start[0],
        s.name_start[1],
        s.name_end[1],
    )


def observe_file(
    root: str, rel: str, known: tuple[int, int, str] | None, max_bytes: int
) -> FileObservation | Skipped | None:
    """Read and extract one file. None when size and mtime say it is unchanged."""
    path = os.path.join(root, rel)
    try:
        st = os.stat(path)
        if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
            return None
        if st.st_size > max_bytes:
            return Skipped(rel, f"larger than {max_bytes:,} bytes ({st.st_size:,})")
        with open(path, "rb") as handle:
            data = as_lines(handle.read())
    except OSError as exc:
        return Skipped(rel, f"unreadable: {exc.strerror or exc}")
    reason = unusable(data)
    if reason:
        return Skipped(rel, reason)
    spec = language_for_path(rel)
    if spec is None:
        return Skipped(rel, "not a language kairos reads")
    reason = minified(data, spec)
    if reason:
        return Skipped(rel, reason, not_source=True)
    language = spec.name
    digest = content_hash(data)
    fresh = racy(st.st_mtime_ns)
    if known and known[2] == digest:
        return FileObservation(rel, language, digest, st.st_size, st.st_mtime_ns, None, racy=fresh)
    extraction = extract_source(data, language)
    return FileObservation(rel, language, digest, st.st_size, st.st_mtime_ns, extraction, racy=fresh).prepare()


BINARY_PROBE = 8192  # a NUL byte in the first this-many bytes makes a file binary


def unusable(data: bytes) -> str | None:
    """Why a file's bytes are not source code we should parse, or None."""
    if b"\0" in data[:BINARY_PROBE]:
        return "binary file"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte {exc.start})"
    return None


def minified(data: bytes, spec: LanguageSpec) -> str | None:
    """Why a file of ``spec``'s language reads as minified (its lines longer than
    ``spec.minified_above`` on average: axios' `dist/axios.min.js`, one line of 30 KB), or None.
    Such a file is made by a tool from sources the memory reads, and checking it would flag
    its one-letter names by the dozen."""
    if spec.minified_above is None or not data:
        return None
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    average = len(data) // lines
    if average <= spec.minified_above:
        return None
    return f"minified (lines of {average:,} bytes on average)"


def observe_chunk(root: str, items: list[tuple[str, tuple | None]], max_bytes: int, should_stop) -> list:
    """In a scan's worker (a :class:`~kairos_lsp.workers.Child`), without the cyclic garbage
    collector: what extraction allocates (match dicts, nodes, symbols, rows) forms no
    reference cycles, yet the collector's passes over it took 7 % of a worker's time; and a
    worker lives for one scan, so even a cycle made now and then would not pile up. A
    stopped scan's chunks end at the next file."""
    gc.disable()
    done = []
    for rel, known in items:
        if should_stop():
            break
        done.append((rel, observe_file(root, rel, known, max_bytes)))
    return done
