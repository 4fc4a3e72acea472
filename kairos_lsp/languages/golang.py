"""Go's packages: which folder an import path names, and what name it binds.

A Go package is a folder; an import path is the module's path (``go.mod``'s ``module``
line) followed by the folder under the module's root. The memory keeps source files only, so
the module's path is read from the imports themselves: an import whose tail is a folder the
memory knows (``github.com/gin-gonic/gin/internal/json`` and ``internal/json/``) says the
module ``github.com/gin-gonic/gin`` is rooted at the workspace's root.

>>> modules = infer_modules({"", "binding", "internal/json"},
...     ["github.com/gin-gonic/gin/binding", "github.com/gin-gonic/gin/internal/json", "net/http"])
>>> modules
{'github.com/gin-gonic/gin': ''}
>>> package_folder(modules, "github.com/gin-gonic/gin/internal/json"), package_folder(modules, "net/http")
('internal/json', None)
>>> package_folder(modules, "github.com/gin-gonic/gin")
''
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What Go declares in every package's universe block (the language specification's
# "Predeclared identifiers"): a package's own name shadows it, and once that goes, it is Go's.
PREDECLARED = frozenset(
    "any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune "
    "string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap clear close complex copy "
    "delete imag len make max min new panic print println real recover".split()
)
_MAJOR = re.compile(r"v\d+")  # a module's major version as a path element: `.../echo/v4`
_GOPKG = re.compile(r"(.+)\.v\d+")  # gopkg.in's: `gopkg.in/yaml.v3`


def package_name(import_path: str) -> str:
    """The name an import binds when it gives none: the package's own, which by convention is
    the path's last element, less a major version (``github.com/labstack/echo/v4`` binds
    ``echo``; ``gopkg.in/yaml.v3``, ``yaml``) and a ``go-`` prefix (``go-yaml``: ``yaml``).

    >>> [package_name(p) for p in ("fmt", "net/http", "github.com/labstack/echo/v4", "gopkg.in/yaml.v3")]
    ['fmt', 'http', 'echo', 'yaml']
    """
    parts = import_path.split("/")
    last = parts[-1]
    if _MAJOR.fullmatch(last) and len(parts) > 1:
        last = parts[-2]
    gopkg = _GOPKG.fullmatch(last)
    if gopkg:
        last = gopkg.group(1)
    return last.removeprefix("go-").removesuffix("-go").replace("-", "_").replace(".", "_")


def is_standard(import_path: str) -> bool:
    """Whether an import path is the standard library's (no domain in its first element).

    >>> is_standard("net/http"), is_standard("github.com/a/b")
    (True, False)
    """
    return "." not in import_path.split("/")[0]


def infer_modules(folders: set[str], imports: Iterable[str]) -> dict[str, str]:
    """``{module path: its root folder}`` as the imports show them, for the Go ``folders``
    the memory knows (``""``: the workspace's root).

    A reading counts when an import's tail is a folder under one root, and the module path left
    is one a module may have (three elements at least on a forge: ``github.com/owner/repo``).
    It is kept only if every import under that path names a folder the memory knows, and if no
    other module reads as rooted there as often (then which one is the workspace's is unknown):
    a folder ``errors/`` of one's own and an import of ``github.com/pkg/errors`` make no module
    ``github.com/pkg``.

    >>> infer_modules({"", "errors", "api"}, ["github.com/pkg/errors", "example.com/shop/api"])
    {'example.com/shop': ''}
    >>> infer_modules({"", "sync"}, ["golang.org/x/sync", "example.org/a/sync"])  # one root, two readings
    {}
    """
    wanted = sorted({path for path in imports if not is_standard(path)})
    by_last: dict[str, list[str]] = {}
    for folder in folders:
        if folder:
            by_last.setdefault(folder.rpartition("/")[2], []).append(folder)
    tails: dict[tuple[str, str], set[str]] = {}
    for path in wanted:
        parts = path.split("/")
        for k in range(1, len(parts)):
            tail, module = "/".join(parts[-k:]), "/".join(parts[:-k])
            if not _may_be_module(module):
                continue
            for folder in by_last.get(parts[-1], ()):
                if folder == tail:
                    tails.setdefault((module, ""), set()).add(tail)
                elif folder.endswith("/" + tail):
                    tails.setdefault((module, folder[: -len(tail) - 1]), set()).add(tail)
    by_root: dict[str, list[tuple[int, str]]] = {}
    for (module, root), found in tails.items():
        under = [path[len(module) + 1 :] for path in wanted if path.startswith(module + "/")]
        if all(_joined(root, rest) in folders for rest in under):
            by_root.setdefault(root, []).append((len(found), module))
    modules: dict[str, str] = {}
    for root, readings in sorted(by_root.items()):
        readings.sort(reverse=True)
        if len(readings) > 1 and readings[0][0] == readings[1][0]:
            continue
        modules.setdefault(readings[0][1], root)
    # (`gin/internal` at `internal/` says what `gin` at the root says)
    return {module: root for module, root in modules.items() if package_folder(modules, module, module) != root}


_FORGES = ("github.com", "gitlab.com", "bitbucket.org")


def _may_be_module(path: str) -> bool:
    """Whether a module may have this path: a domain first, and on a forge an owner and a
    repository after it."""
    parts = path.split("/")
    return not is_standard(path) and len(parts) >= (3 if parts[0] in _FORGES else 2)


def package_folder(modules: dict[str, str], import_path: str, besides: str = "") -> str | None:
    """The folder ``import_path`` names under ``modules`` (:func:`infer_modules`; not through
    the module ``besides``), or None."""
    path = import_path if import_path != besides else import_path.rpartition("/")[0]
    while path:
        if path in modules:
            return _joined(modules[path], import_path[len(path) + 1 :])
        path = path.rpartition("/")[0]
    return None


def _joined(root: str, rest: str) -> str:
    return f"{root}/{rest}" if root and rest else root or rest
