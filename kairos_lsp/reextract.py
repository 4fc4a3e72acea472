"""Re-extraction after an edit: only the symbols the edit touched are looked at again.

>>> extraction = reextract(doc.tree, doc.text, "python", previous, edit)   # doctest: +SKIP

The result equals a full :func:`kairos_lsp.extract.extract_tree` of the new
text (tests replay edits and compare); the point is the cost, which follows
the edited symbol rather than the file.
"""

from __future__ import annotations

import copy
import hashlib

from tree_sitter import Tree

from kairos_lsp.documents import Edit
from kairos_lsp.extract import Extraction, Symbol, body_hash, extract_tree


def reextract(tree: Tree, source: bytes, language: str, previous: Extraction | None, edit: Edit | None) -> Extraction:
    """Re-observe only the symbols an edit touched; keep (and shift) the rest.

    ``tree`` is the new tree, parsed with the edit applied. The region is the
    innermost symbol holding the edit, else whole top-level nodes around it.
    Falls back to a full extraction whenever the shortcut could be wrong: no
    previous result, syntax errors (recovery can regroup the whole file), an
    edit in the first top-level statement (module docstring), a region that
    does not settle, a renamed enclosing symbol, or names that now collide.
    """
    if previous is None or edit is None or previous.has_errors or tree.root_node.has_error:
        return extract_tree(tree, source, language)
    result = _reextract_symbol(tree, source, language, previous, edit)
    if result is None:
        region = _edited_region(tree, previous, edit)
        if region is not None:
            result = _reextract_region(tree, source, language, previous, edit, region, [])
    return result or extract_tree(tree, source, language)


def _reextract_symbol(tree, source, language, previous, edit) -> Extraction | None:
    """The edit lies strictly inside one symbol's node: re-extract just that node."""
    holders = [s for s in previous.symbols[1:] if s.span[0] < edit.start_byte and edit.old_end_byte < s.span[1]]
    if not holders:
        return None
    target = min(holders, key=lambda s: s.span[1] - s.span[0])
    delta = edit.new_end_byte - edit.old_end_byte
    lo, hi = target.span[0], target.span[1] + delta
    node = tree.root_node.descendant_for_byte_range(lo, hi)
    if node is None or (node.start_byte, node.end_byte) != (lo, hi):
        return None
    ancestors = [s for s in holders if s is not target]
    if any(a.end[0] == target.end[0] for a in ancestors):
        return None  # an enclosing symbol ends on the same line: its end column moves
    return _reextract_region(tree, source, language, previous, edit, (lo, hi), ancestors, replaces=target)


def _reextract_region(
    tree, source, language, previous, edit, region, ancestors, replaces: Symbol | None = None
) -> Extraction | None:
    lo, hi = region
    delta = edit.new_end_byte - edit.old_end_byte
    rows = edit.new_end_point[0] - edit.old_end_point[0]
    old_hi = hi - delta
    if b"__all__" in source[lo:hi] or any(
        s.qualname == "__all__" and lo <= s.span[0] < old_hi for s in previous.symbols
    ):
        return None  # (what the module's `__all__` lists, its exports, is read from the whole file)
    fresh = extract_tree(tree, source, language, (lo, hi))
    inside = [s for s in fresh.symbols[1:] if lo <= s.span[0] and s.span[1] <= hi]
    if replaces is not None:
        spanning = [s for s in inside if s.span == (lo, hi)]
        if len(spanning) != 1:
            return None
        if spanning[0].qualname != replaces.qualname:
            # Without its container in view the symbol lost its prefix; put it back.
            if not replaces.qualname.endswith("." + spanning[0].qualname):
                return None
            prefix = replaces.qualname[: -len(spanning[0].qualname)]
            inside = [_renamed(s, prefix + s.qualname) for s in inside]
        outer = next(s for s in inside if s.span == (lo, hi))
        outer.kind = replaces.kind
    held = {id(a) for a in ancestors}
    before = [s for s in previous.symbols[1:] if s.span[1] <= lo and id(s) not in held]
    after = [_shifted(s, delta, rows) for s in previous.symbols[1:] if s.span[0] >= old_hi]
    end_row = tree.root_node.descendant_for_byte_range(max(hi - 1, 0), max(hi - 1, 0)).end_point[0]
    if after and after[0].start[0] <= end_row:
        return None  # shares a line with the region: its columns moved
    grown = [_grown(a, delta, rows, source, edit.start_byte) for a in ancestors]
    names = [s.qualname for s in before + grown + inside + after]
    if len(names) != len(set(names)):
        return None
    refs = [r for r in previous.module_refs if r[0] < lo]
    refs += [r for r in fresh.module_refs if lo <= r[0] < hi]
    refs += [(r[0] + delta, r[1], r[2]) for r in previous.module_refs if r[0] >= old_hi]
    end = tree.root_node.end_point
    module = Symbol(
        "",
        "module",
        (0, 0),
        (end[0], end[1]),
        (0, 0),
        (0, 0),
        hashlib.blake2b(source, digest_size=8).hexdigest(),
        docstring=previous.symbols[0].docstring,
        exports=previous.symbols[0].exports,
        span=(0, len(source)),
    )
    for what in ("calls", "imports", "raises", "deprecated", "binds"):
        setattr(module, what, sorted({value for _, kind, value in refs if kind == what}))
    rest = sorted(before + grown + inside + after, key=lambda s: (s.span[0], -s.span[1]))
    return Extraction(language, [module] + rest, tree.root_node.has_error, refs)


def _renamed(sym: Symbol, qualname: str) -> Symbol:
    moved = copy.copy(sym)
    moved.qualname = qualname
    return moved


def _grown(sym: Symbol, delta: int, rows: int, source: bytes, at: int) -> Symbol:
    """An enclosing symbol after an edit inside it: same start, moved end, new body hash."""
    grown = copy.copy(sym)
    if sym.doc_span is not None and sym.doc_span[0] >= at:  # a docstring below the edit
        grown.doc_span = (sym.doc_span[0] + delta, sym.doc_span[1] + delta)
    grown.span = (sym.span[0], sym.span[1] + delta)
    grown.end = (sym.end[0] + rows, sym.end[1])
    grown.body_hash = body_hash(source, grown.span, sym.name_span)
    return grown


def _edited_region(tree: Tree, previous: Extraction, edit: Edit) -> tuple[int, int] | None:
    """The byte range (new coordinates) of whole top-level nodes and old symbols around an edit."""
    top = tree.root_node.children
    if not top or edit.start_byte <= top[0].end_byte:
        return None
    delta = edit.new_end_byte - edit.old_end_byte
    lo, hi = edit.start_byte, edit.new_end_byte
    for _ in range(6):
        new_lo, new_hi = lo, hi
        for node in top:
            if node.end_byte >= lo and node.start_byte <= hi:
                new_lo, new_hi = min(new_lo, node.start_byte), max(new_hi, node.end_byte)
        for sym in previous.symbols[1:]:  # old coordinates: after the edit, shift by delta
            start, end = sym.span
            start = start if start < edit.old_end_byte else start + delta
            end = end if end <= edit.start_byte else end + delta
            if end >= new_lo and start <= new_hi:
                new_lo, new_hi = min(new_lo, start), max(new_hi, end)
        if (new_lo, new_hi) == (lo, hi):
            return lo, hi
        lo, hi = new_lo, new_hi
    return None


def _shifted(sym: Symbol, delta: int, rows: int) -> Symbol:
    if not delta and not rows:
        return sym
    moved = copy.copy(sym)
    moved.span = (sym.span[0] + delta, sym.span[1] + delta)
    moved.name_span = (sym.name_span[0] + delta, sym.name_span[1] + delta)
    if sym.doc_span is not None:
        moved.doc_span = (sym.doc_span[0] + delta, sym.doc_span[1] + delta)
    moved.start = (sym.start[0] + rows, sym.start[1])
    moved.end = (sym.end[0] + rows, sym.end[1])
    moved.name_start = (sym.name_start[0] + rows, sym.name_start[1])
    moved.name_end = (sym.name_end[0] + rows, sym.name_end[1])
    return moved
