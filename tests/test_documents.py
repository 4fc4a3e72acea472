"""Open buffers: incremental reparse, position conversions, the registry."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kairos_lsp.documents import (
    Document,
    Documents,
    common_prefix,
    common_suffix,
    diff_edit,
    from_byte_col,
    to_byte_col,
)
from kairos_lsp.languages import new_parser, repaired

PY = '''"""Greeting helpers — héllo 😀 世界."""


def greet(name, punctuation="!"):
    """Say hello."""
    return "Hello, " + name + punctuation


class Greeter:
    def __init__(self, prefix):
        self.prefix = prefix  # 前缀 🎉

    def say(self, name):
        return self.prefix + greet(name)
'''

TS = """// 日本語のコメント 🚀
export function total(prices: number[], tax = 0.2): number {
  return prices.reduce((a, b) => a + b, 0) * (1 + tax);
}

export class Cart {
  items: string[] = [];
  add(item: string): void { this.items.push(item); }
}
"""


def fresh_sexp(text: str, language: str) -> str:
    return str(new_parser(language).parse(repaired(language, text.encode())).root_node)


def test_incremental_edits_match_a_fresh_parse():
    doc = Document("file:///w/greet.py", "greet.py", "python", PY)
    edits = [
        PY.replace('punctuation="!"', 'punctuation="!", loud=False'),
        None,  # filled below: delete a line
        None,  # insert non-ASCII text in the middle of a line
        None,  # break the syntax
        None,  # and repair it
    ]
    edits[1] = edits[0].replace('    """Say hello."""\n', "")
    edits[2] = edits[1].replace("self.prefix = prefix", "self.prefix = prefix or '¡hola 👋!'")
    edits[3] = edits[2].replace("def say(self, name):", "def say(self, name")
    edits[4] = edits[3].replace("def say(self, name", "def say(self, name, *rest):")
    for text in edits:
        old_tree = doc.tree
        doc.update(text)
        assert doc.text == text.encode()
        assert str(doc.tree.root_node) == fresh_sexp(text, "python")
        assert doc.tree is not old_tree
    assert doc.update(edits[-1]) is None  # no change, no reparse


def test_random_edits_typescript_stay_in_sync():
    rng = random.Random(7)
    doc = Document("file:///w/cart.ts", "cart.ts", "typescript", TS)
    text = TS
    pieces = ["x", "é", "😀", "\n", "{", "}", "(", ")", "世界", "  ", ";", "const a = 1;\n"]
    for _ in range(60):
        start = rng.randrange(len(text) + 1)
        end = min(len(text), start + rng.randrange(4))
        text = text[:start] + rng.choice(pieces) * rng.randrange(3) + text[end:]
        doc.update(text)
        assert str(doc.tree.root_node) == fresh_sexp(text, "typescript")


# Effect's style: variance annotations, generic call signatures without semicolons (what the
# grammar wheel misreads, so the language's repairs change what the parser is given).
DUAL = """export interface Mapper<in out A> {
  <B>(f: (a: A) => B): (self: A) => B
  /** data first */
  <B>(self: A, f: (a: A) => B): B
}

export class Box<out T> {
  constructor(readonly value: T) {}
}

export const size = (xs: Array<number>) => xs.length
"""


def test_an_open_buffer_whose_repairs_come_and_go_keeps_the_tree_a_fresh_parse_gives():
    rng = random.Random(11)
    doc = Document("file:///w/dual.ts", "dual.ts", "typescript", DUAL)
    assert not doc.tree.root_node.has_error  # (read as TypeScript reads it: no error)
    text = DUAL
    pieces = [";", "\n  <C>(c: C): C", " out ", "in ", "<", ">", "=>", "//", "/*", "*/", "\n", "x", "  "]
    for step in range(150):
        start = rng.randrange(len(text) + 1)
        end = min(len(text), start + rng.randrange(4))
        text = text[:start] + rng.choice(pieces) * rng.randrange(1, 3) + text[end:]
        if step % 2:
            doc.update(text)
        else:  # the same change as an editor sends it: a range and its new text
            before = doc.text.decode()
            lines = before[:start].split("\n")
            end_lines = before[:end].split("\n")
            doc.apply_change(
                (len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2),
                (len(end_lines) - 1, len(end_lines[-1].encode("utf-16-le")) // 2),
                text[start : len(text) - (len(before) - end)],
            )
        assert doc.text == text.encode()
        assert every_node(doc.tree) == every_node(new_parser("typescript").parse(repaired("typescript", doc.text))), (
            step
        )


def every_node(tree) -> list[tuple[str, int, int]]:
    """Each node, anonymous ones too (a ``;``), with its bytes: what ``str(root_node)`` leaves out."""
    found, cursor, going = [], tree.walk(), True
    while going:
        found.append((cursor.node.type, cursor.node.start_byte, cursor.node.end_byte))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                going = False
                break
    return found


def test_diff_edit_points_are_bytes():
    old = "a = '世界'\nb = 1\n".encode()
    new = "a = '世界'\nb = 12\n".encode()
    edit = diff_edit(old, new)
    assert (edit.start_byte, edit.old_end_byte, edit.new_end_byte) == (len(old) - 1, len(old) - 1, len(old))
    assert edit.start_point == (1, 5) and edit.new_end_point == (1, 6)
    # Replacing one multi-byte character by another never splits a character.
    edit = diff_edit("x = '世'".encode(), "x = '界'".encode())
    assert (edit.start_byte, edit.old_end_byte, edit.new_end_byte) == (5, 8, 8)


@pytest.mark.parametrize(
    "a,b",
    [
        (b"", b""),
        (b"abc", b"abd"),
        (b"abc", b"abc"),
        (b"x" * 1000, b"x" * 999 + b"y"),
        (b"hello", b"help"),
        (b"", b"a"),
    ],
)
def test_prefix_and_suffix(a, b):
    p = common_prefix(a, b)
    assert a[:p] == b[:p] and (p == min(len(a), len(b)) or a[p] != b[p])
    s = common_suffix(a, b, min(len(a), len(b)) - p)
    assert a[len(a) - s :] == b[len(b) - s :]


@pytest.mark.parametrize(
    "line,utf16,byte",
    [
        ("abc", 2, 2),
        ("é", 1, 2),  # 2 bytes, 1 UTF-16 unit
        ("世界x", 2, 6),  # CJK: 3 bytes, 1 unit each
        ("😀x", 2, 4),  # astral: 4 bytes, 2 units
        ("a😀b🎉c", 4, 6),
        ("a😀b🎉c", 7, 11),
    ],
)
def test_utf16_columns(line, utf16, byte):
    data = line.encode()
    assert to_byte_col(data, utf16) == byte
    assert from_byte_col(data, byte) == utf16


def test_other_encodings_and_clamping():
    data = "é😀x".encode()  # bytes: é=2, 😀=4, x=1
    assert to_byte_col(data, 2, "utf-32") == 6 and from_byte_col(data, 6, "utf-32") == 2
    assert to_byte_col(data, 6, "utf-8") == 6 and from_byte_col(data, 6, "utf-8") == 6
    assert to_byte_col(data, 4, "utf-8") == 2  # inside 😀: back to its start
    assert to_byte_col(data, 2) == 2  # inside the surrogate pair: its start
    assert to_byte_col(data, 99) == len(data)  # past the end of the line
    assert from_byte_col(data, 4) == 1  # inside 😀's bytes: not reached yet
    assert to_byte_col(b"abc", -1) == 0


def test_lines_and_positions():
    doc = Document("file:///w/a.py", "a.py", "python", "x = '😀'\r\ny = 1\n")
    assert doc.line(0) == "x = '😀'".encode() and doc.line(1) == b"y = 1" and doc.line(2) == b""
    assert doc.line(3) is None and doc.line_count == 3
    assert doc.byte_position(0, 7) == (0, 9)
    doc.update("x = '😀'\r\ny = 12\nz = 3\n")
    assert doc.line(2) == b"z = 3"


def test_registry_paths_and_languages(tmp_path):
    docs = Documents(tmp_path)
    inside = docs.open((tmp_path / "src" / "app.ts").as_uri(), "let a = 1;\n", "typescript", 1)
    assert (inside.path, inside.in_workspace, inside.language) == ("src/app.ts", True, "typescript")
    outside = docs.open("file:///elsewhere/tool.py", "x = 1\n", "python")
    assert not outside.in_workspace and outside.path == "/elsewhere/tool.py"
    unknown = docs.open("untitled:Untitled-1", "hello", "plaintext")
    assert unknown.language is None and unknown.tree is None
    unknown.update("hello world")  # no parser: text still follows
    assert unknown.text == b"hello world"
    by_extension = docs.open((tmp_path / "m.py").as_uri(), "x = 1\n", None)
    assert by_extension.language == "python"
    assert len(docs) == 4 and inside.uri in docs
    assert docs.close(inside.uri) is inside and docs.get(inside.uri) is None
    assert docs.close(inside.uri) is None


def test_snapshot_is_independent():
    doc = Document("file:///w/a.py", "a.py", "python", "def f():\n    pass\n")
    snap = doc.snapshot()
    doc.update("def g(a):\n    pass\n")
    assert snap.text == b"def f():\n    pass\n"
    assert str(snap.tree.root_node) == fresh_sexp("def f():\n    pass\n", "python")


def test_range_changes_match_full_updates_and_a_fresh_parse():
    text = 'x = "😀"\r\n\x0cdef f(a):  # 世界\n    return a\n'
    doc = Document("file:///w/a.py", "a.py", "python", text)
    # Line 1 starts after \r\n; the form feed is not a line break for LSP. Columns in UTF-16.
    doc.apply_change((1, 7), (1, 8), "a, b")
    text = text.replace("f(a)", "f(a, b)")
    assert doc.text == text.encode()
    doc.apply_change((0, 5), (0, 7), "🎉🎉")  # replace the emoji (2 units) inside quotes
    text = text.replace("😀", "🎉🎉")
    doc.apply_change((2, 0), (3, 0), "")  # delete the last line
    text = text[: text.index("    return")]
    doc.apply_change((99, 0), (99, 0), "pass\n")  # past the end: appended
    text += "pass\n"
    assert doc.text == text.encode()
    assert str(doc.tree.root_node) == fresh_sexp(text, "python")


def test_separator_characters_do_not_break_lines():
    text = 'let a = "x\u2028y";\nlet b = 1;\n'
    doc = Document("file:///w/a.js", "a.js", "javascript", text)
    doc.apply_change((1, 8), (1, 9), "2")
    assert doc.text.decode() == text.replace("b = 1", "b = 2")
    assert str(doc.tree.root_node) == fresh_sexp(doc.text.decode(), "javascript")


# -- classic Mac line ends (a lone \r): lines as the editor counts them ---------------

LONE_CR = "def a():\r    return 1\r\rdef b(x):\r    return x\r"


def test_a_lone_cr_file_has_its_symbols_on_the_editors_lines(tmp_path):
    from kairos_lsp.scan import scan_workspace
    from kairos_lsp.store import Store

    (tmp_path / "mac.py").write_bytes(LONE_CR.encode())
    with Store(tmp_path / "memory.db") as store:
        scan_workspace(tmp_path, store, jobs=1)
        rows = {row["qualname"]: row["start_line"] for row in store.symbols_in("mac.py")}
        assert rows == {"": 0, "a": 0, "b": 3}
        assert store.symbol_at("mac.py", 4)["qualname"] == "b"


def test_a_lone_cr_buffer_takes_edits_at_the_editors_positions():
    doc = Document("file:///w/mac.py", "mac.py", "python", LONE_CR)
    assert doc.line_count == 6 and doc.line(3) == b"def b(x):"
    doc.apply_change((3, 6), (3, 7), "y")  # the editor renames the parameter on line 3
    assert doc.line(3) == b"def b(y):"
    assert doc.tree.root_node.children[1].start_point == (3, 0)
    assert not doc.tree.root_node.has_error


def test_the_trees_parsed_longest_ago_are_let_go_and_parsed_again_when_needed():
    """Within ``tree_bytes`` of source the last buffers opened or edited keep their trees;
    the others keep their text, and give the same tree when a thread needs one (a check, a
    record) or when they are edited (then they are kept again)."""
    docs = Documents("/w", tree_bytes=2 * len(PY.encode()))
    a, b = (docs.open(f"file:///w/{name}.py", PY, "python") for name in ("a", "b"))
    assert a.tree is not None and b.tree is not None
    c = docs.open("file:///w/c.py", PY, "python")
    assert a.tree is None and b.tree is not None and c.tree is not None  # a: opened longest ago
    assert a.text == PY.encode() and a.line(3) == b'def greet(name, punctuation="!"):'
    language, tree = a.snapshot().parsed()  # another thread's own parse: a keeps none
    assert (language, str(tree.root_node)) == ("python", fresh_sexp(PY, "python"))
    assert a.tree is None
    edited = PY.replace('punctuation="!"', 'punctuation="?"')
    a.update(edited)  # an edit parses it again, and it is the last one now: b goes
    assert str(a.tree.root_node) == fresh_sexp(edited, "python")
    assert b.tree is None and c.tree is not None
    assert docs.get(b.uri).parsed()[1] is b.tree is not None  # asked for here: kept again (c goes)
    assert c.tree is None and a.tree is not None
    docs.close(a.uri)  # a closed buffer's bytes no longer count: c may keep its tree next time
    c.update(edited)  # (as long as PY)
    assert c.tree is not None and b.tree is not None


def test_open_buffers_of_a_released_library_hold_a_bounded_share_of_their_trees():
    """Every module of sqlite-utils (released code) open at once: the trees kept take a
    fraction of what all of them take (tracemalloc counts tree-sitter's nodes)."""
    import tracemalloc

    import sqlite_utils

    root = Path(sqlite_utils.__file__).parent
    texts = {path: path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.py"))}
    source = sum(len(text.encode()) for text in texts.values())

    def held(tree_bytes: int) -> int:
        tracemalloc.start()
        try:
            docs = Documents(root, tree_bytes=tree_bytes)
            for path, text in texts.items():
                docs.open(path.as_uri(), text, "python")
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    everything = held(source)  # room for every tree
    bounded = held(source // 4)
    assert bounded < everything / 2, (bounded, everything)
