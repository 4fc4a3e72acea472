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

    A reading counts when the tails of two imports, or one tail of two elements or more,
    are folders under one root: one tail of one element (``errors``) may be any module's.
    It is kept only if every import under the module's path names a folder the memory
    knows: an import ``github.com/pkg/errors`` and a folder ``errors/`` of one's own are not
    a module ``github.com/pkg`` when ``github.com/pkg/sftp`` is imported too.
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
            for folder in by_last.get(parts[-1], ()):
                if folder == tail:
                    tails.setdefault((module, ""), set()).add(tail)
                elif folder.endswith("/" + tail):
                    tails.setdefault((module, folder[: -len(tail) - 1]), set()).add(tail)
    modules: dict[str, str] = {}
    for (module, root), found in sorted(tails.items()):
        if len(found) < 2 and all("/" not in tail for tail in found):
            continue
        under = [path[len(module) + 1 :] for path in wanted if path.startswith(module + "/")]
        if all(_joined(root, rest) in folders for rest in under) and module not in modules:
            modules[module] = root
    return modules


def package_folder(modules: dict[str, str], import_path: str) -> str | None:
    """The folder ``import_path`` names under ``modules`` (:func:`infer_modules`), or None."""
    path = import_path
    while path:
        if path in modules:
            return _joined(modules[path], import_path[len(path) + 1 :])
        path = path.rpartition("/")[0]
    return None


def _joined(root: str, rest: str) -> str:
    return f"{root}/{rest}" if root and rest else root or rest
