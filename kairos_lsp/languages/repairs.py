"""Rewrites of a file's bytes before parsing, for syntax its grammar wheel misreads.

A repair keeps every byte where it is (same length, no line added or removed),
so every node's bytes and points are the file's own: what kairos reads of a
node it reads from the file, never from what the parser was given (see
``languages.node_text``). A language lists the repairs its grammar needs in its
``LanguageSpec.repairs``; each is a function from bytes to bytes here.

tree-sitter-typescript 0.23.2 (the newest wheel) misreads four things that
TypeScript's own compiler accepts, and recovers from each by losing the rest
of the declaration, often of the file:

- **variance annotations** on type parameters, TypeScript 4.7
  (``interface Brand<in out K>``): read as a type parameter named ``out``
  followed by an error. Effect writes them on every model, zod 4 on its
  schemas. Repaired by blanking the modifiers (``<in out K>`` becomes
  ``<       K>``): what a parameter's variance is says nothing kairos keeps.
- **a generic call signature on its own line after another member without a
  semicolon** (tree-sitter/tree-sitter-typescript#335): ``<A>(self: A): A``
  after ``(a: A): A`` is read as type arguments of the line before, the way
  ``string<T>`` would be; TypeScript reads type arguments only on the same
  line. Effect's style for every dual API. Repaired by a ``;`` in the
  indentation before the ``<``, when what comes before (past comments) can
  end a type: a name, ``)``, ``]``, ``}``, a closing ``>`` (not ``=>``), a
  quote, ``?``.
- **an escaped backquote in a template literal type** (effect's Schema.ts):
  repaired as ``__`` (:func:`typescript_escaped_backquotes`).
- **a type-only star export**, TypeScript 5.0 (``export type * from './array'``,
  type-fest's barrel): the whole statement an error, every re-export of the file
  lost. Repaired by blanking ``type``: what a barrel re-exports is the same names.

All four are textual, so an open document repairs each new text the same way its
file is repaired when scanned.

>>> typescript_variance(b"interface Box<in out T> { x: T }")
b'interface Box<       T> { x: T }'
>>> typescript_call_signatures(b"type F = {\\n  (a: number): number\\n  <A>(a: A): A\\n}")
b'type F = {\\n  (a: number): number\\n ;<A>(a: A): A\\n}'
"""

from __future__ import annotations

import re

# Modifiers of a type parameter list's entry: after `<` or `,`, or after the `*/` of a comment
# before it (zod's `</** @ts-ignore */ out Shape`), then a name followed by what follows a type
# parameter. `f(a, out as any)` and prose ("values, in order") are left alone: `as`, `order` are
# not followed by `,` `=` `>` or `extends` (a `// in x,` comment may lose its `in`: the comment
# is read from the file). Led by a character class, it runs at the regex engine's speed: about
# 3 ms for effect's Effect.ts (600 KB), 2 more for the signatures, what a change to that open
# buffer pays.
_VARIANCE = re.compile(rb"[<,/]\s*((?:(?:in|out)\s+)+)(?=[A-Za-z_$][\w$]*\s*(?:extends\b|[,=>]))")

# Indentation before a line's generic call signature (`<A>(`, `<const A extends B>(`, a `<`
# alone on its line before the parameters); the ; goes on its last byte.
_CALL_SIGNATURE_HINT = re.compile(rb"\n[ \t]+<")
_CALL_SIGNATURE = re.compile(rb"\n([ \t]+)(?=<\s*(?:const\s+)?[A-Za-z_$][\w$]*\s*(?:extends\b|[,=>]))")
# A backslash and a backquote, after an even run of backslashes (each escaping the next).
_ESCAPED_BACKQUOTE = re.compile(rb"(?<!\\)((?:\\\\)*)\\`")
_TYPE_STAR = re.compile(rb"(\bexport\s+)type(?=\s*\*)")
_NOT_SPACE = re.compile(rb"\S")
_TYPE_END = frozenset(b"_$)]}>'\"`?")


def typescript_variance(source: bytes) -> bytes:
    """Variance modifiers (``in``, ``out``) on type parameters as spaces (``source`` itself when
    it has none)."""
    found = [match.span(1) for match in _VARIANCE.finditer(source)]
    if not found:
        return source
    repaired = bytearray(source)
    for start, end in found:
        repaired[start:end] = _NOT_SPACE.sub(b" ", source[start:end])  # (line breaks stay)
    return bytes(repaired)


def typescript_escaped_backquotes(source: bytes) -> bytes:
    r"""Each escaped backquote (``\` ``) as ``__``: the wheel reads one in a template literal
    *type* as an error (effect's Schema.ts, ``type MissingSelfGeneric = `... \`Self\` generic``),
    and lost the rest of the file. In a string, a template or a regular expression it is a
    character of its text either way; a backslash's own escape (``\\``) is left alone.

    >>> typescript_escaped_backquotes(b"type M = `use \\`x\\``; const s = '\\\\`'")
    b"type M = `use __x__`; const s = '\\\\`'"
    """
    if b"\\`" not in source:
        return source
    return _ESCAPED_BACKQUOTE.sub(_underscores, source)


def typescript_type_star_exports(source: bytes) -> bytes:
    """``export type * from`` (and ``* as ns``) as ``export      * from``: the names a type-only
    star export re-exports are the names.

    >>> typescript_type_star_exports(b"export type * from './array';\\nexport type { A } from './a'")
    b"export      * from './array';\\nexport type { A } from './a'"
    """
    if b"type" not in source:
        return source
    repaired, count = _TYPE_STAR.subn(rb"\1    ", source)
    return repaired if count else source  # (``source`` itself: no repair, no wider edit)


def _underscores(match: re.Match[bytes]) -> bytes:
    return match.group(1) + b"__"


def typescript_call_signatures(source: bytes) -> bytes:
    """A ``;`` before each generic call signature that starts a line after a member that did not
    end with one."""
    if _CALL_SIGNATURE_HINT.search(source) is None:
        return source
    found = [m.end() - 1 for m in _CALL_SIGNATURE.finditer(source) if _ends_a_type(source, m.start() + 1)]
    if not found:
        return source
    repaired = bytearray(source)
    for at in found:
        repaired[at] = 0x3B  # ;
    return bytes(repaired)


def _ends_a_type(source: bytes, at: int) -> bool:
    """Whether the last code before ``at`` (past white space and comments) can end a type."""
    i = at
    while True:
        while i > 0 and source[i - 1] in b" \t\r\n":
            i -= 1
        if source[i - 2 : i] == b"*/":  # a block comment: go before it
            opened = source.rfind(b"/*", 0, i - 2)
            if opened < 0:
                return False
            i = opened
            continue
        line_start = source.rfind(b"\n", 0, i) + 1
        comment = source.find(b"//", line_start, i)
        if comment >= 0 and _outside_quotes(source[line_start:comment]):
            i = comment
            continue
        break
    if i == 0:
        return False
    last = source[i - 1]
    if last == 0x3E and source[i - 2 : i] == b"=>":  # an arrow function's body, not a type
        return False
    return chr(last).isalnum() or last in _TYPE_END


def _outside_quotes(text: bytes) -> bool:
    return text.count(b'"') % 2 == 0 and text.count(b"'") % 2 == 0 and text.count(b"`") % 2 == 0


REPAIRS = {
    "typescript-variance": typescript_variance,
    "typescript-call-signatures": typescript_call_signatures,
    "typescript-escaped-backquotes": typescript_escaped_backquotes,
    "typescript-type-star-exports": typescript_type_star_exports,
}
