"""The repairs a language's bytes get before parsing (``kairos_lsp/languages/repairs.py``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kairos_lsp.languages import new_parser, repaired

PIECES = [
    "<",
    ">",
    "(",
    ")",
    ",",
    ";",
    "in ",
    "out ",
    "const ",
    "A",
    "extends",
    "=>",
    "\n",
    "  ",
    "//",
    "/*",
    "*/",
    "'",
    "é",
    "\\",
    "`",
    "export ",
    "type ",
    "*",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_a_repair_keeps_every_byte_and_line_in_place(pieces):
    source = "".join(pieces).encode()
    given_ = repaired("typescript", source)
    assert len(given_) == len(source)
    assert [i for i, b in enumerate(given_) if b == 0x0A] == [i for i, b in enumerate(source) if b == 0x0A]
    # (only blanks become `;`, only modifiers become blanks)
    for before, after in zip(source, given_, strict=True):
        assert (
            before == after
            or (before in b" \t" and after == 0x3B)  # a `;` before a call signature
            or (chr(before) in "inout" and after == 0x20)  # a variance modifier
            or (before in b"\\`" and after == 0x5F)  # an escaped backquote
            or (chr(before) in "type" and after == 0x20)  # a type-only star export's `type`
        )


@pytest.mark.parametrize(
    "source",
    [
        # what must stay as written: a variable named `out`, prose, an arrow function's generic body,
        # members that end with `;`, JSX, a comparison continued on the next line
        "f(a, out as any)\nconst b = [x, out]\n",
        "// values, in order, of each\n/** a, in turn, out of b */\nlet x = 1\n",
        "export const make =\n  <K>(ord: K) =>\n  <E extends K>(e: E) => e\n",
        "interface F {\n  (a: number): number;\n  <A>(a: A): A;\n}\n",
        "const a = b\n  < c\n",
        "export type { A } from './a'\nexport type Star = typeof a\nconst n = 2 * 3\n",
    ],
)
def test_code_that_parses_is_read_as_it_was(source):
    data = source.encode()
    parser = new_parser("typescript")
    as_written = parser.parse(data).root_node
    assert not as_written.has_error
    # (prose in a comment may lose an `in`: the comment is read from the file)
    assert str(parser.parse(repaired("typescript", data)).root_node) == str(as_written)


@pytest.mark.parametrize(
    "source",
    [
        "interface Brand<in out K extends string> { readonly k: K }\n",
        "export interface ZodType<\n  /** @ts-ignore */\n  out Output = unknown,\n  in Input = unknown\n> {}\n",
        "type Dual = {\n  <A>(a: A): A\n  /** data first */\n  <A, B>(a: A, b: B): A\n}\n",
        "type Missing<U extends string> = `use \\`class Self extends ${U}<Self>()\\``\nconst x = 1\n",
        "export const provide: {\n  (a: number): Layer<number>\n"
        "  <\n    const L extends Array<number>\n  >(l: L): L\n}\n",
        "export type * from './array'\nexport type * as chars from './characters'\nexport const x = 1\n",
    ],
)
def test_what_the_grammar_misreads_is_given_to_it_repaired(source):
    data = source.encode()
    assert new_parser("typescript").parse(data).root_node.has_error  # (the wheel's misreading)
    assert not new_parser("typescript").parse(repaired("typescript", data)).root_node.has_error


def test_languages_without_repairs_are_given_their_bytes():
    data = b"def f(a, out=None):\n    return [x for x in out]\n"
    assert repaired("python", data) is data
