"""``kairos check FOLDER``: the problems of many files, every other page of them checked in a
child process (:func:`kairos_lsp.workers.shared_pages`).

The checks are :func:`kairos_lsp.checks.check_file`'s, as the editor runs them on one
document. What a folder adds: the files read from disk, a resolver trimmed between files
(nothing changes the memory meanwhile, and a change is what trims one otherwise: the large
tree's 19,213 files held 794 MB without), and a second core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kairos_lsp.checks import Problem, check_file
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.lines import as_lines
from kairos_lsp.resolve import ANSWERS_KEPT, READS_KEPT
from kairos_lsp.store import Store
from kairos_lsp.workers import shared_pages

PAGE = 48  # files checked at a time, in one process or the other
# Each process's resolver keeps half what a server's keeps: two of them side by side (the
# large tree's check peaked at 298 MB with both at a full share, 252 - 264 MB at half).
SHARE = 2


@dataclass
class Checked:
    """One file's problems; ``unreadable``: why it could not be read (gone since the walk)."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    unreadable: str | None = None


def check_files(store: Store, root: Path, paths: Iterable[str], helper: bool = True) -> Iterator[Checked]:
    """Each of ``paths`` (relative to ``root``, in a language kairos reads) checked against
    ``store``, in order; ``helper``: every other page of files in a child process, when there
    are two pages or more.

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.py").write_text("def f(x):\\n    return x\\n\\n\\nf(1)\\n")
    >>> [(c.path, c.problems, c.unreadable) for c in check_files(Store(":memory:"), root, ["a.py", "b.py"])]
    [('a.py', [], None), ('b.py', [], 'No such file or directory')]
    """
    knowledge = Knowledge(store)
    there = check_part if helper and store.path != ":memory:" else None
    for page in shared_pages(
        paths, PAGE, partial(_check_page, knowledge, root), there, lambda part: (store.path, str(root), part)
    ):
        yield from page


def _check_page(knowledge: Knowledge, root: Path, paths: list[str]) -> list[Checked]:
    out = []
    for rel in paths:
        spec = language_for_path(rel)
        try:
            source = as_lines((root / rel).read_bytes())
        except OSError as exc:
            out.append(Checked(rel, unreadable=exc.strerror or str(exc)))
            continue
        problems = check_file(knowledge, rel, spec.name, source, parse(source, spec.name)) if spec else []
        out.append(Checked(rel, problems))
        knowledge.resolver.trim(ANSWERS_KEPT // SHARE, READS_KEPT // SHARE)
    return out


_opened: dict[str, Knowledge] = {}  # in a child: the memory it reads, opened once (its calls run one by one)


def check_part(
    store_path: str, root: str, paths: list[str], should_stop: Callable[[], bool] | None = None
) -> list[Checked]:
    """:func:`_check_page` in a :class:`~kairos_lsp.workers.Child`, on the memory at ``store_path``."""
    knowledge = _opened.get(store_path) or _opened.setdefault(store_path, Knowledge(Store(store_path)))
    return _check_page(knowledge, Path(root), paths)
