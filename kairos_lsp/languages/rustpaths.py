"""Rust's modules as files: which module a file is, and which files a module may be.

A crate's root is the folder of its ``lib.rs`` or ``main.rs``; under it ``net/client.rs``
(or ``net/client/mod.rs``) is the module ``crate::net::client``, and a file's child modules
are beside it in a folder of its name (``net/mod.rs``'s in ``net/``, ``net.rs``'s too).

>>> module_parts("src", "src/net/client.rs"), module_parts("src", "src/net/mod.rs"), module_parts("src", "src/lib.rs")
(['net', 'client'], ['net'], [])
>>> module_files("src", ["net", "client"]), module_files("", [])
(['src/net/client.rs', 'src/net/client/mod.rs'], ['lib.rs', 'main.rs'])
"""

from __future__ import annotations

import posixpath

ROOT_FILES = ("lib.rs", "main.rs")
# What every Rust module sees without a `use` (the standard prelude's functions and the
# variants it brings), besides what it defines: a module's own function of such a name that
# went leaves the prelude's.
PRELUDE = frozenset("drop Some None Ok Err Box Vec String Option Result Default".split())


def module_parts(root: str, path: str) -> list[str]:
    """The module a file is, as the path under its crate's root folder ``root``."""
    rel = path[len(root) + 1 :] if root else path
    rel = rel.removesuffix(".rs")
    if rel in ("lib", "main"):
        return []
    parts = rel.split("/")
    return parts[:-1] if parts[-1] == "mod" else parts


def module_files(root: str, parts: list[str]) -> list[str]:
    """The files module ``parts`` of the crate rooted at ``root`` may be, in Rust's order."""
    if not parts:
        return [posixpath.join(root, name) for name in ROOT_FILES]
    base = posixpath.join(root, *parts)
    return [f"{base}.rs", f"{base}/mod.rs"]
