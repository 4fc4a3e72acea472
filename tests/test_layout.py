"""The layout README promises: data flows one way, and the Store owns every write.

README's "Layout" lists the modules in the order data flows through them; each
module may import only modules listed before it (or its own folder). SQL is
written only in ``store/``, and read in ``knowledge.py`` and ``resolve.py``;
no module reaches into another's private names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "kairos_lsp"
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM|CREATE TABLE|DROP TABLE)\b")
SQL_READERS = {"knowledge.py", "resolve.py"}


def layout_order() -> list[str]:
    """Top-level modules and folders (``store``, ``dream``...) in README's Layout order."""
    text = (REPO / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    order = []
    for name in re.findall(r"(?:^|[\s;:])([a-z_]+(?:\.py|/))(?=[\s:])", block, re.M):
        unit = name.removesuffix(".py").removesuffix("/")
        if (PACKAGE / f"{unit}.py").exists() or (PACKAGE / unit).is_dir():
            if unit not in order:
                order.append(unit)
    return order


def unit_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def sources() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "demo" not in p.parts
        and p.name != "__main__.py"
        and p.parent != PACKAGE
        or p.parent == PACKAGE
        and p.name not in ("__init__.py", "__main__.py")
    ]


def imported_units(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        for name in names:
            if name.startswith("kairos_lsp."):
                found.add(name.split(".")[1])
    return found


def test_every_module_is_in_the_layout():
    order = layout_order()
    missing = sorted({unit_of(p) for p in sources()} - set(order))
    assert not missing, f"README's Layout does not list: {missing}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path):
    order = layout_order()
    here = unit_of(path)
    assert here in order, f"README's Layout does not list {here!r}"
    later = sorted(u for u in imported_units(path) - {here} if u in order and order.index(u) > order.index(here))
    assert not later, f"{path.relative_to(REPO)} imports {later}, listed after {here!r} in README's Layout"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_sql_lives_in_the_store(path: Path):
    if unit_of(path) == "store" or path.name in SQL_READERS:
        return
    strings = [
        n.value
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    written = [s for s in strings if SQL.search(s) and ("FROM" in s or "INTO" in s or "SET" in s)]
    assert not written, f"{path.relative_to(REPO)} writes SQL: {written[0][:80]!r}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_names_across_modules(path: Path):
    """``from kairos_lsp.x import _name`` and ``store._name`` reach into another module's own business."""
    tree = ast.parse(path.read_text())
    crossing = [
        f"from {n.module} import {a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("kairos_lsp")
        for a in n.names
        if a.name.startswith("_") and not a.name.endswith("__")
    ]
    crossing += [
        f"store.{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and n.attr.startswith("_")
        and not n.attr.startswith("__")
        and isinstance(n.value, (ast.Name, ast.Attribute))
        and (n.value.id if isinstance(n.value, ast.Name) else n.value.attr) == "store"
    ]
    assert not crossing, f"{path.relative_to(REPO)}: {crossing}"
