"""Write ``kairos_lsp/languages/platform/*.txt``: the method names the platform's own classes define.

    python tools/platform_methods.py [--node-modules DIR]

A check that guesses the class of an untyped receiver (``x.m()`` where one class of
the workspace alone defines ``m``) must not guess where the platform defines ``m``
too: ``req.text()`` is a fetch ``Request``'s, ``ctx.wrap_socket()`` an ``ssl.SSLContext``'s.
The names come from the declarations type checkers use, read with tree-sitter:

* Python: typeshed's standard library stubs, as bundled with mypy (a dev dependency),
  by top-level module: a file that imports ``ssl`` (or ``http.client``: ``http``) may
  hold any class of it;
* JavaScript and TypeScript: TypeScript's ``lib.es*.d.ts`` and ``lib.dom*.d.ts`` (what
  TypeScript checks every file against by default) and ``@types/node`` with
  ``undici-types`` (Node's globals, its fetch), under ``*``; what ``@types/node``
  declares in ``declare module "fs" {...}`` under ``fs``, for files that import it.

``--node-modules`` is where ``typescript`` and ``@types/node`` are installed (by default
the VS Code extension's, ``editors/vscode/node_modules``: ``npm ci`` there). Each
output line is ``module: name name ...``; the files say which versions they came from.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import mypy
import tree_sitter_python
import tree_sitter_typescript
from mypy.version import __version__ as mypy_version
from tree_sitter import Language, Node, Parser, Query, QueryCursor

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "kairos_lsp" / "languages" / "platform"
GLOBAL = "*"

PYTHON_METHODS = """
(class_definition body: (block [
  (function_definition name: (identifier) @name)
  (decorated_definition definition: (function_definition name: (identifier) @name))]))
"""
ECMASCRIPT_METHODS = """
(method_signature name: (property_identifier) @name)
(method_definition name: (property_identifier) @name)
(abstract_method_signature name: (property_identifier) @name)
"""


def finder(language: Language, query: str) -> Callable[[bytes], list[Node]]:
    """The ``@name`` captures of ``query`` in a file's bytes (parser and query made once)."""
    parser, compiled = Parser(language), Query(language, query)
    return lambda source: QueryCursor(compiled).captures(parser.parse(source).root_node).get("name", [])


def python_methods() -> tuple[dict[str, set[str]], str]:
    """Method names of typeshed's standard library classes, by top-level module."""
    stdlib = Path(mypy.__file__).parent / "typeshed" / "stdlib"
    names = finder(Language(tree_sitter_python.language()), PYTHON_METHODS)
    found: dict[str, set[str]] = defaultdict(set)
    for stub in sorted(stdlib.rglob("*.pyi")):
        module = stub.relative_to(stdlib).parts[0].removesuffix(".pyi")
        found[module].update(node.text.decode() for node in names(stub.read_bytes()))
    return found, f"typeshed's stdlib stubs as bundled with mypy {mypy_version}"


def _module_of(node: Node) -> str:
    """``fs`` for a method declared inside ``declare module "fs" {...}`` (``node:fs`` too),
    else ``*``: declared globally (``declare global``, a global ``namespace NodeJS``)."""
    while node.parent is not None:
        previous = node.prev_named_sibling
        if node.type == "statement_block" and previous is not None and previous.text == b"global":
            return GLOBAL  # (`global { ... }` inside a module: tree-sitter reads `global` as a statement)
        if node.type == "module" and (name := node.child_by_field_name("name")) is not None:
            if name.type == "string":
                return name.text.decode().strip("\"'").removeprefix("node:").split("/")[0]
        node = node.parent
    return GLOBAL


def ecmascript_methods(node_modules: Path) -> tuple[dict[str, set[str]], str]:
    """Method names of the ECMAScript, DOM and Node declarations, by module (``*``: global)."""
    names = finder(Language(tree_sitter_typescript.language_typescript()), ECMASCRIPT_METHODS)
    typescript = node_modules / "typescript"
    files = sorted((typescript / "lib").glob("lib.es*.d.ts")) + sorted((typescript / "lib").glob("lib.dom*.d.ts"))
    node_files = sorted((node_modules / "@types" / "node").rglob("*.d.ts"))
    undici = sorted((node_modules / "undici-types").rglob("*.d.ts"))
    found: dict[str, set[str]] = defaultdict(set)
    for file in files + undici:
        found[GLOBAL].update(node.text.decode() for node in names(file.read_bytes()))
    for file in node_files:
        if "ts5." in file.relative_to(node_modules).as_posix():
            continue  # (copies for older TypeScript versions)
        for node in names(file.read_bytes()):
            found[_module_of(node)].add(node.text.decode())
    versions = ", ".join(
        f"{package} {_version(node_modules / package)}" for package in ("typescript", "@types/node", "undici-types")
    )
    return found, versions


def _version(package: Path) -> str:
    return json.loads((package / "package.json").read_text())["version"]


def write(path: Path, found: dict[str, set[str]], source: str) -> None:
    lines = [f"# Method names the platform's classes define, by module ({GLOBAL}: every file). Generated by"]
    lines.append(f"# tools/platform_methods.py from {source}: run it again, do not edit.")
    for module in sorted(found, key=lambda m: (m != GLOBAL, m)):
        if found[module]:
            lines.append(f"{module}: {' '.join(sorted(found[module]))}")
    path.write_text("\n".join(lines) + "\n")
    print(f"{path.relative_to(REPO)}: {len(found)} modules, {sum(map(len, found.values())):,} names", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--node-modules", type=Path, default=REPO / "editors" / "vscode" / "node_modules")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    write(OUT / "python.txt", *python_methods())
    write(OUT / "ecmascript.txt", *ecmascript_methods(args.node_modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
