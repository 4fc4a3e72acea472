"""Docstring drift: documented parameters that no longer exist, parameters left undocumented.

Works on the raw text of one docstring or doc comment, exactly as it stands in
the file, and knows nothing about LSP:

>>> raw = "'''Add.\\n\\n    Args:\\n        a: first.\\n        c: gone.\\n    '''"
>>> drift(raw, ["a", "b"])
Drift(stale=['c'], missing=['b'])
>>> print(fix(raw, ["a", "b"]))
'''Add.
<BLANKLINE>
    Args:
        a: first.
        b: TODO: describe.
    '''

Styles: Google, NumPy, Sphinx/reST (Python docstrings), JSDoc/TSDoc/Javadoc
(``/** */`` comments) and Rust (``# Arguments`` in ``///`` comments).
The text is handled line by line; every line the fix does not touch is kept
byte for byte (tabs, ``\\r\\n`` line ends, trailing spaces).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

PLACEHOLDER = "TODO: describe."
IGNORED = frozenset({"self", "cls"})  # receivers are never parameters to document


@dataclass(frozen=True)
class Documented:
    """One documented parameter: its name and the span of the line holding its entry.

    ``start``/``end`` are offsets into the raw text given to :func:`documented`, covering the
    entry's first line from its first non-blank character to its last one.
    """

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Drift:
    """Parameters documented but gone (doc order) and parameters undocumented (signature order)."""

    stale: list[str]
    missing: list[str]


# --- lines ----------------------------------------------------------------------------------

# Python string prefix and opening quotes: r\"\"\", '''', u", ...
_PY_OPEN = re.compile(r"""[ \t]*[rRuUbBfF]{0,2}(\"\"\"|'''|"|')""")
# "/**" opening a doc comment, with the one space that usually follows it.
_JS_OPEN = re.compile(r"[ \t]*/\*\*+(?!/)[ \t]?")
# " * " decorating a comment line (but not the "*/" closing it).
_JS_DECO = re.compile(r"[ \t]*\*(?!/)[ \t]?")
# "*/" closing a comment, with the blanks before it.
_JS_CLOSE = re.compile(r"[ \t]*\*+/[ \t]*$")
# "/// " or "//! " opening every line of a Rust doc comment.
_RUST_DECO = re.compile(r"[ \t]*//[/!][ \t]?")


@dataclass
class _Line:
    """One line: ``prefix + content + suffix + eol`` is its exact text.

    ``prefix`` is comment decoration or the opening quotes, ``suffix`` the closing delimiter
    (only on the last line), ``eol`` ``"\\n"``, ``"\\r\\n"`` or ``""`` (last line).
    """

    offset: int
    prefix: str
    content: str
    suffix: str
    eol: str

    @property
    def blank(self) -> bool:
        return not self.content.strip()

    @property
    def indent(self) -> int:
        """Width of the leading blanks, tabs expanded: ``_Line(0, '', '\\tx', '', '').indent == 8``."""
        return len(_leading(self.content).expandtabs(8))

    @property
    def start(self) -> int:
        return self.offset + len(self.prefix) + len(_leading(self.content))

    @property
    def stop(self) -> int:
        return self.offset + len(self.prefix) + len(self.content.rstrip())


@dataclass
class _Doc:
    """The raw doc split into lines, with what a new line needs: decoration and line end."""

    kind: str  # "python", "jsdoc", "rust" or "plain"
    lines: list[_Line]
    deco: str
    eol: str


def _leading(text: str) -> str:
    """The leading blanks of ``text``: ``_leading('  a b') == '  '``."""
    return text[: len(text) - len(text.lstrip(" \t"))]


def _physical(raw: str) -> list[tuple[int, str, str]]:
    """``(offset, text, eol)`` per line, ``\\r\\n`` kept as one line end.

    >>> _physical('a\\r\\nb')
    [(0, 'a', '\\r\\n'), (3, 'b', '')]
    """
    pieces, out, offset = raw.split("\n"), [], 0
    for k, text in enumerate(pieces):
        eol = "" if k == len(pieces) - 1 else "\n"
        if eol and text.endswith("\r"):
            text, eol = text[:-1], "\r\n"
        out.append((offset, text, eol))
        offset += len(text) + len(eol)
    return out


def _kind(raw: str) -> str:
    """Which delimiters ``raw`` uses: ``_kind('/** x */') == 'jsdoc'``."""
    head = raw.lstrip()
    if head.startswith("/**"):
        return "jsdoc"
    if head.startswith("//"):
        return "rust"
    return "python" if _PY_OPEN.match(raw) else "plain"


def _split(raw: str) -> _Doc:
    """``raw`` as a :class:`_Doc`, delimiters and decoration separated from the content."""
    kind = _kind(raw)
    physical = _physical(raw)
    quote = m.group(1) if kind == "python" and (m := _PY_OPEN.match(raw)) else ""
    lines = []
    for k, (offset, text, eol) in enumerate(physical):
        suffix = _suffix(kind, text, quote, first=k == 0) if k == len(physical) - 1 else ""
        text = text[: len(text) - len(suffix)]
        prefix = _prefix(kind, text, first=k == 0)
        lines.append(_Line(offset, prefix, text[len(prefix) :], suffix, eol))
    eol = next((line.eol for line in lines if line.eol), "\n")
    return _Doc(kind, lines, _deco(kind, lines), eol)


def _prefix(kind: str, text: str, first: bool) -> str:
    """The opening delimiter or decoration at the start of a line."""
    pattern = {"python": _PY_OPEN if first else None, "jsdoc": _JS_OPEN if first else _JS_DECO, "rust": _RUST_DECO}.get(
        kind
    )
    m = pattern.match(text) if pattern else None
    return m.group(0) if m else ""


def _suffix(kind: str, text: str, quote: str, first: bool) -> str:
    """The closing delimiter at the end of the last line."""
    if kind == "jsdoc":
        m = _JS_CLOSE.search(text)
        return m.group(0) if m and (not first or m.start() >= 3) else ""
    opening = _PY_OPEN.match(text) if first and quote else None
    opened = len(opening.group(0)) if opening else 0
    if quote and text.endswith(quote) and len(text) - len(quote) >= opened:
        return quote
    return ""


def _deco(kind: str, lines: list[_Line]) -> str:
    """Decoration for a new line: copied from an existing middle line, else a default."""
    if kind in ("jsdoc", "rust"):
        mark = "*" if kind == "jsdoc" else "/"
        found = [line.prefix for line in lines[1:] if mark in line.prefix and not line.blank]
        found += [line.prefix.rstrip() + " " for line in lines[1:] if mark in line.prefix]
        return found[0] if found else " * " if kind == "jsdoc" else lines[0].prefix
    return ""


# --- sections and entries --------------------------------------------------------------------


@dataclass(eq=False)
class _Section:
    """A parameter section: its heading lines (none for Sphinx/JSDoc) and entries."""

    style: str
    header: range
    end: int
    keyword: bool = False
    template: Callable[[str], list[str]] = lambda name: []
    entries: list[_Entry] = field(default_factory=list)


@dataclass(eq=False)
class _Entry:
    """One entry: lines ``line..end`` (plus ``extra`` lines elsewhere) documenting ``names``."""

    names: list[str]
    line: int
    end: int
    section: _Section
    names_at: tuple[int, int] = (0, 0)  # where ``names`` sit in the line's content
    keyword: bool = False
    extra: list[int] = field(default_factory=list)


def _norm(name: str) -> str:
    """A doc name as a parameter name: ``_norm('**kwargs') == _norm('\\\\*\\\\*kwargs') == 'kwargs'``."""
    return name.replace("\\", "").lstrip("*").removeprefix("...")


def _trim(lines: list[_Line], start: int, stop: int) -> int:
    """``stop`` moved back over blank lines, not before ``start``."""
    while stop > start and lines[stop - 1].blank:
        stop -= 1
    return stop


def _block(lines: list[_Line], start: int, inside: Callable[[_Line], bool]) -> int:
    """End of the run of lines from ``start`` that are blank or ``inside``, trailing blanks trimmed."""
    stop = start
    while stop < len(lines) and (lines[stop].blank or inside(lines[stop])):
        stop += 1
    return _trim(lines, start, stop)


def _add_entries(lines, section, starts, stop, names_of) -> None:
    """One entry per start line, each running to the next start (or ``stop``), blanks trimmed."""
    for k, (i, match) in enumerate(starts):
        end = _trim(lines, i + 1, starts[k + 1][0] if k + 1 < len(starts) else stop)
        names, at = names_of(lines[i], match)
        section.entries.append(_Entry(names, i, end, section, at, section.keyword))


# Google: "Args:" etc. alone on a line; entries are indented below it.
_GOOGLE_HEADER = re.compile(
    r"(?P<title>Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Kwargs"
    r"|Other Parameters)[ \t]*:[ \t]*$"
)
# Google entry: "name: text" or "name (type): text"; the type may hold parentheses.
_GOOGLE_ENTRY = re.compile(r"(?P<name>(?:\\?\*){0,2}\w+)[ \t]*(?:\(.*?\))?[ \t]*:(?:\s|$)")
_KEYWORD_TITLES = {"Keyword Args", "Keyword Arguments", "Kwargs", "Other Parameters"}


def _google(lines: list[_Line]) -> list[_Section]:
    """Google sections: ``Args:`` then ``name (type): text`` lines, continuations indented deeper.

    >>> [e.names for s in _google(_split('Do.\\n\\nArgs:\\n    a (int): x\\n        more\\n    b: y').lines)
    ...  for e in s.entries]
    [['a'], ['b']]
    """
    sections, i = [], 0
    while i < len(lines):
        m = _GOOGLE_HEADER.match(lines[i].content.strip())
        if m:
            end = _indented_end(lines, i)
            section = _Section("google", range(i, i + 1), end, m["title"] in _KEYWORD_TITLES)
            _google_entries(lines, section)
            sections.append(section)
            i = end - 1
        i += 1
    return sections


def _google_entries(lines: list[_Line], section: _Section) -> None:
    """Entries start at the indentation of the section's first line; deeper lines continue them."""
    body = [j for j in range(section.header.stop, section.end) if not lines[j].blank]
    if not body:
        return
    depth, ws = lines[body[0]].indent, _leading(lines[body[0]].content)
    starts = [
        (j, m) for j in body if lines[j].indent <= depth and (m := _GOOGLE_ENTRY.match(lines[j].content.lstrip()))
    ]
    _add_entries(lines, section, starts, section.end, _single_name)
    section.template = lambda name: [f"{ws}{name}: {PLACEHOLDER}"]


def _single_name(line: _Line, match: re.Match) -> tuple[list[str], tuple[int, int]]:
    """The one name an entry line documents, and where it sits in the line's content."""
    lead = len(_leading(line.content))
    return [match["name"]], (lead + match.start("name"), lead + match.end("name"))


# NumPy: "Parameters" underlined by dashes; entries at the heading's indentation.
_NUMPY_TITLES = {"Parameters", "Other Parameters", "Keyword Arguments", "Params"}
_UNDERLINE = re.compile(r"[-=~]{3,}$")  # "----------" under a NumPy heading
# NumPy entry: "x", "x : int", "x, y : float" (several names share one description).
_NUMPY_ENTRY = re.compile(r"(?P<names>(?:\\?\*){0,2}\w+(?:[ \t]*,[ \t]*(?:\\?\*){0,2}\w+)*)[ \t]*(?::.*)?$")
_NAME = re.compile(r"(?:\\?\*){0,2}\w+")


def _numpy(lines: list[_Line]) -> list[_Section]:
    """NumPy sections: a heading, its underline, then ``name : type`` lines and indented text.

    >>> [e.names for s in _numpy(_split('Parameters\\n---\\nx, y : int\\n    Both.').lines)
    ...  for e in s.entries]
    [['x', 'y']]
    """
    sections, i = [], 0
    while i + 1 < len(lines):
        title = lines[i].content.strip()
        if title in _NUMPY_TITLES and _UNDERLINE.match(lines[i + 1].content.strip()):
            end = _numpy_end(lines, i + 2, lines[i].indent)
            section = _Section("numpy", range(i, i + 2), end, title != "Parameters")
            _numpy_entries(lines, section, _leading(lines[i].content))
            sections.append(section)
            i = end - 1
        i += 1
    return sections


def _numpy_end(lines: list[_Line], start: int, depth: int) -> int:
    """A NumPy section ends at a dedent or at the next underlined heading."""
    stop = start
    while stop < len(lines):
        line = lines[stop]
        heading = stop + 1 < len(lines) and _UNDERLINE.match(lines[stop + 1].content.strip())
        if not line.blank and (line.indent < depth or (line.indent <= depth and heading)):
            break
        stop += 1
    return _trim(lines, start, stop)


def _numpy_entries(lines: list[_Line], section: _Section, ws: str) -> None:
    """Entries sit at the heading's indentation ``ws``; descriptions are indented below them."""
    depth = len(ws.expandtabs(8))
    body = range(section.header.stop, section.end)
    starts = [
        (j, m)
        for j in body
        if not lines[j].blank and lines[j].indent <= depth and (m := _NUMPY_ENTRY.match(lines[j].content.lstrip()))
    ]
    _add_entries(lines, section, starts, section.end, _numpy_names)
    deeper = [j for j in body if not lines[j].blank and lines[j].indent > depth]
    inner = _leading(lines[deeper[0]].content) if deeper else ws + ("\t" if "\t" in ws else "    ")
    section.template = lambda name: [f"{ws}{name}", f"{inner}{PLACEHOLDER}"]


def _numpy_names(line: _Line, match: re.Match) -> tuple[list[str], tuple[int, int]]:
    """All names of an entry (``x, y : int`` documents two) and where the list sits."""
    lead = len(_leading(line.content))
    at = (lead + match.start("names"), lead + match.end("names"))
    return _NAME.findall(match["names"]), at


# Sphinx: ":param name:" or ":param type name:"; keyword fields document **kwargs.
_SPHINX_PARAM = re.compile(
    r":(?P<kind>param|parameter|arg|argument|key|keyword|kwarg|kwparam)[ \t]+"
    r"(?:(?P<type>[^:]*?)[ \t]+)?(?P<name>(?:\\?\*){0,2}\w+)[ \t]*:"
)
# Sphinx ":type name:" line, which belongs to the entry of the same name.
_SPHINX_TYPE = re.compile(r":type[ \t]+(?P<name>(?:\\?\*){0,2}\w+)[ \t]*:")
_SPHINX_KEYWORD = {"key", "keyword", "kwarg", "kwparam"}


def _sphinx(lines: list[_Line]) -> list[_Section]:
    """Sphinx field lists: ``:param x:`` entries, each taking its ``:type x:`` lines along.

    >>> [e.names for s in _sphinx(_split(':param a: x\\n:type a: int\\n:param str b: y').lines)
    ...  for e in s.entries]
    [['a'], ['b']]
    """
    section, types = _Section("sphinx", range(0), 0), []
    for i, line in enumerate(lines):
        text = line.content.lstrip()
        if m := _SPHINX_PARAM.match(text):
            names, at = _single_name(line, m)
            keyword = m["kind"] in _SPHINX_KEYWORD
            section.entries.append(_Entry(names, i, _indented_end(lines, i), section, at, keyword))
        elif m := _SPHINX_TYPE.match(text):
            types.append((_norm(m["name"]), i, _indented_end(lines, i)))
    if not section.entries:
        return []
    _attach_types(section.entries, types)
    section.end = max(entry.end for entry in section.entries)
    section.template = _sphinx_template(lines, section.entries)
    return [section]


def _indented_end(lines: list[_Line], i: int) -> int:
    """A reST field (or a Google section) runs on over the lines indented deeper than its own."""
    depth = lines[i].indent
    return _block(lines, i + 1, lambda line: line.indent > depth)


def _sphinx_template(lines: list[_Line], entries: list[_Entry]) -> Callable[[str], list[str]]:
    """New fields shaped like the first: its indentation and field word (``param``, ``arg``...)."""
    ws = _leading(lines[entries[0].line].content)
    word = next(
        (m["kind"] for e in entries if not e.keyword and (m := _SPHINX_PARAM.match(lines[e.line].content.lstrip()))),
        "param",
    )
    return lambda name: [f"{ws}:{word} {name}: {PLACEHOLDER}"]


def _attach_types(entries: list[_Entry], types: list[tuple[str, int, int]]) -> None:
    """Each ``:type x:`` block joins the entry of ``x``: at its end when adjacent, else as extra lines."""
    for name, start, stop in types:
        owner = next((e for e in entries if _norm(e.names[0]) == name), None)
        if owner is None:
            continue
        if start == owner.end:
            owner.end = stop
        else:
            owner.extra.extend(range(start, stop))


# JSDoc/TSDoc/Javadoc block tag at the start of a line: "@param", "@returns", ...
_JS_TAG = re.compile(r"@(?P<tag>\w+)")
_JS_PARAM_TAGS = {"param", "arg", "argument"}
# JSDoc parameter name: "name", "...rest", "obj.prop", "list[].prop"
_JS_NAME = re.compile(r"(?:\.\.\.)?(?P<name>[\w$]+(?:\[\])?(?:\.[\w$]+(?:\[\])?)*)")
# TSDoc separates name and description with a hyphen: "@param name - text".
_JS_HYPHEN = re.compile(r"\S*[ \t]+-(?:\s|$)")


def _jsdoc(lines: list[_Line]) -> list[_Section]:
    """``@param`` tags; ``@param obj.prop`` lines go with the entry of ``obj``.

    >>> [e.names for s in _jsdoc(_split('/**\\n * @param {Object} o\\n * @param o.x\\n */').lines)
    ...  for e in s.entries]
    [['o']]
    """
    section = _Section("jsdoc", range(0), 0)
    tags = [i for i, line in enumerate(lines) if line.content.lstrip().startswith("@")]
    for k, i in enumerate(tags):
        end = _trim(lines, i + 1, tags[k + 1] if k + 1 < len(tags) else len(lines))
        parsed = _js_param(lines[i].content)
        if parsed is None:
            continue
        name, at, _ = parsed
        root = re.sub(r"\[\]$", "", name.split(".")[0])
        if "." not in name:
            section.entries.append(_Entry([name], i, end, section, at))
        elif owner := next((e for e in reversed(section.entries) if e.names[0] == root), None):
            owner.extra.extend(range(i, end))
    if not section.entries:
        return []
    section.end = max(entry.end for entry in section.entries)
    section.template = _js_template(lines[section.entries[0].line].content)
    return [section]


def _js_param(content: str) -> tuple[str, tuple[int, int], str] | None:
    """Name, its span in ``content`` and the tag word of a ``@param`` line; None for other tags.

    >>> _js_param('@param {Array<{a: number}>} [xs=[]] - items')
    ('xs', (29, 31), 'param')
    """
    lead = len(_leading(content))
    m = _JS_TAG.match(content, lead)
    if not m or m["tag"] not in _JS_PARAM_TAGS:
        return None
    pos = _skip_blanks(content, m.end())
    if content.startswith("{", pos):
        pos = _skip_blanks(content, _skip_braces(content, pos))
    if content.startswith("[", pos):
        pos = _skip_blanks(content, pos + 1)
    name = _JS_NAME.match(content, pos)
    if not name:
        return None  # e.g. Javadoc "@param <T>", a type parameter
    return name["name"], (name.start("name"), name.end("name")), m["tag"]


def _skip_blanks(text: str, pos: int) -> int:
    """Index of the first non-blank at or after ``pos``: ``_skip_blanks('a  b', 1) == 3``."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _skip_braces(text: str, pos: int) -> int:
    """Index after the balanced ``{...}`` starting at ``pos``: ``_skip_braces('{a{b}} x', 0) == 6``."""
    depth = 0
    for k in range(pos, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return k + 1
    return len(text)


def _js_template(first: str) -> Callable[[str], list[str]]:
    """New ``@param`` lines shaped like the first one: same tag word, indentation and separator."""
    param = _js_param(first)
    assert param is not None  # the template is made from a line that is a @param entry
    ws, (_, (_, stop), tag) = _leading(first), param
    separator = " - " if _JS_HYPHEN.match(first, stop) else " "
    return lambda name: [f"{ws}@{tag} {name}{separator}{PLACEHOLDER}"]


# Rust: a Markdown heading "# Arguments" (or Parameters); the list below it is the entries.
_RUST_HEADING = re.compile(r"#{1,6}[ \t]+(?:Arguments|Parameters|Args|Params)[ \t]*:?[ \t]*$")
_MD_HEADING = re.compile(r"#{1,6}[ \t]")
_MD_BULLET = re.compile(r"[*+-][ \t]")
# Rust entry: "* `name` - text", also without backticks or with ":" as separator.
_RUST_ITEM = re.compile(r"(?P<bullet>[*+-])[ \t]+(?P<tick>`?)(?P<name>\w+)`?[ \t]*(?:[-:–—](?:\s|$)|$)")


def _rust(lines: list[_Line]) -> list[_Section]:
    """Rust ``# Arguments`` sections with a ``* `name` - text`` list.

    >>> [e.names for s in _rust(_split('/// # Arguments\\n///\\n/// * `a` - x').lines) for e in s.entries]
    [['a']]
    """
    sections, i = [], 0
    while i < len(lines):
        if _RUST_HEADING.match(lines[i].content.strip()):
            stop = next(
                (j for j in range(i + 1, len(lines)) if _MD_HEADING.match(lines[j].content.lstrip())), len(lines)
            )
            section = _Section("rust", range(i, i + 1), _trim(lines, i + 1, stop))
            _rust_entries(lines, section)
            sections.append(section)
            i = section.end - 1
        i += 1
    return sections


def _rust_entries(lines: list[_Line], section: _Section) -> None:
    """The list items at the first item's indentation; nested lists belong to their item."""
    body = range(section.header.stop, section.end)
    items = [(j, m) for j in body if (m := _RUST_ITEM.match(lines[j].content.lstrip()))]
    if not items:
        return
    depth = lines[items[0][0]].indent
    items = [(j, m) for j, m in items if lines[j].indent <= depth]
    for k, (i, m) in enumerate(items):
        stop = _item_end(lines, i, items[k + 1][0] if k + 1 < len(items) else section.end)
        names, at = _single_name(lines[i], m)
        section.entries.append(_Entry(names, i, stop, section, at))
    first, shape = lines[items[0][0]], items[0][1]
    ws, bullet, tick = _leading(first.content), shape["bullet"], shape["tick"]
    section.template = lambda name: [f"{ws}{bullet} {tick}{name}{tick} - {PLACEHOLDER}"]


def _item_end(lines: list[_Line], start: int, stop: int) -> int:
    """A list item ends at the next bullet or at a paragraph after a blank line, not indented."""
    depth = lines[start].indent
    for j in range(start + 1, stop):
        line = lines[j]
        if line.blank or line.indent > depth:
            continue
        if _MD_BULLET.match(line.content.lstrip()) or lines[j - 1].blank:
            return _trim(lines, start + 1, j)
    return _trim(lines, start + 1, stop)


_PARSERS = {
    "python": (_sphinx, _numpy, _google),
    "jsdoc": (_jsdoc, _rust),
    "rust": (_rust,),
    "plain": (_sphinx, _numpy, _google, _jsdoc, _rust),
}


def _parse(raw: str) -> tuple[_Doc, list[_Section]] | None:
    """The doc and the parameter sections of the first style that has any."""
    doc = _split(raw)
    for parser in _PARSERS[doc.kind]:
        if sections := parser(doc.lines):
            return doc, sections
    return None


# --- public API ------------------------------------------------------------------------------


def documented(raw: str) -> tuple[str, list[Documented]] | None:
    """The documentation style found in `raw` ("google", "numpy", "sphinx", "jsdoc", "rust") and the
    parameters it documents; None when the doc has no parameter section at all (then there is no drift).

    >>> documented('/** Add.\\n * @param {number} a - first.\\n */')
    ('jsdoc', [Documented(name='a', start=12, end=38)])
    """
    parsed = _parse(raw)
    if parsed is None:
        return None
    doc, sections = parsed
    found = [
        Documented(_norm(name), doc.lines[e.line].start, doc.lines[e.line].stop)
        for s in sections
        for e in s.entries
        for name in e.names
        if _norm(name) not in IGNORED
    ]
    return sections[0].style, found


@dataclass
class _Plan:
    """What drifted and which entries/names stay."""

    stale: list[str]
    missing: list[str]
    params: list[str]
    keeps: Callable[[_Entry, str], bool]


def _plan(sections: list[_Section], parameters: list[str]) -> _Plan | None:
    """Stale and missing names; None when the doc documents nothing."""
    entries = [e for s in sections for e in s.entries]
    if not entries:
        return None
    params = list(dict.fromkeys(_norm(p) for p in parameters if _norm(p) not in IGNORED))
    # A destructured parameter (`{ nonce, crossOrigin }: LinksProps`) has no name: its
    # documentation names it as it likes (react-router's `@param props Props` with `props.nonce`),
    # so it takes the first names no other parameter does, and is never asked for.
    destructured = sum(1 for p in params if p[:1] in "{[")
    params = [p for p in params if p[:1] not in "{["]
    wanted = set(params)
    # A function taking **kwargs may document the keywords it forwards through them.
    var_keyword = (
        "kwargs" in wanted
        or any(p.startswith("**") for p in parameters)
        or any(n.replace("\\", "").startswith("**") and _norm(n) in wanted for e in entries for n in e.names)
    )
    unnamed = list(dict.fromkeys(_norm(n) for e in entries for n in e.names))
    unnamed = [n for n in unnamed if n not in IGNORED and n not in wanted and not var_keyword]
    taken = set(unnamed[:destructured])

    def keeps(entry: _Entry, name: str) -> bool:
        key = _norm(name)
        return key in IGNORED or key in wanted or var_keyword or key in taken

    stale = [_norm(n) for e in entries for n in e.names if not keeps(e, n)]
    have = {_norm(n) for e in entries for n in e.names}
    # A parameter named private (`_seen`) is the function's own business: not asked for, as
    # pydocstyle's D417 leaves it; documented and then dropped, it is stale all the same.
    missing = [p for p in params if p not in have and not p.startswith("_")]
    # ... and one that documents them by their names documents the **kwargs (arrow 1.4's
    # `floor(self, frame, **kwargs)` with `:param week_start:`, the keyword it passes on)
    if any(key not in wanted and key not in IGNORED for key in have):
        forwards = {_norm(p) for p in parameters if p.startswith("**")}
        missing = [p for p in missing if p not in forwards]
    return _Plan(list(dict.fromkeys(stale)), missing, params, keeps)


def drift(raw: str, parameters: list[str]) -> Drift | None:
    """None when nothing drifted or the doc documents no parameters.

    >>> drift(':param a: first.\\n:param c: third.', ["a", "b"])
    Drift(stale=['c'], missing=['b'])
    >>> drift('/** @param props Props\\n * @param props.nonce n/a */', ["{ nonce }", "b"])
    Drift(stale=[], missing=['b'])
    """
    parsed = _parse(raw)
    plan = parsed and _plan(parsed[1], parameters)
    if not plan or not (plan.stale or plan.missing):
        return None
    return Drift(plan.stale, plan.missing)


def fix(raw: str, parameters: list[str]) -> str:
    """`raw` rewritten: stale entries removed (with their continuation lines), missing ones added in the
    same style, in parameter order, with a placeholder description ("TODO: describe."), keeping the
    indentation and everything else byte for byte.

    >>> fix('/** @param a x */', ["b"])
    '/** @param b TODO: describe. */'
    """
    parsed = _parse(raw)
    plan = _plan(parsed[1], parameters) if parsed else None
    if parsed is None or not plan or not (plan.stale or plan.missing):
        return raw
    doc, sections = parsed
    deleted, replaced = _removals(doc, sections, plan)
    inserts, used = _insertions(sections, plan)
    deleted |= _empty_sections(sections, deleted, used)
    deleted |= _spare_blanks(doc.lines, deleted, inserts)
    return _render(doc, deleted, replaced, inserts)


# --- the fix ---------------------------------------------------------------------------------


def _removals(doc: _Doc, sections: list[_Section], plan: _Plan) -> tuple[set[int], dict[int, str]]:
    """Lines of wholly stale entries, and rewritten lines of partly stale ones (NumPy ``x, y``)."""
    deleted, replaced = set(), {}
    for entry in (e for s in sections for e in s.entries):
        kept = [n for n in entry.names if plan.keeps(entry, n)]
        if not kept:
            deleted |= set(range(entry.line, entry.end)) | set(entry.extra)
        elif len(kept) < len(entry.names):
            content, (a, b) = doc.lines[entry.line].content, entry.names_at
            replaced[entry.line] = content[:a] + ", ".join(kept) + content[b:]
    return deleted, replaced


def _insertions(sections: list[_Section], plan: _Plan) -> tuple[dict[int, list[str]], set[_Section]]:
    """New entry lines keyed by the line they go before, and the sections receiving them.

    A missing parameter goes after the entry of the nearest parameter before it in the
    signature, else before the doc's first entry.
    """
    entries = [e for s in sections for e in s.entries]
    where: dict[str, tuple[int, _Section]] = {}
    for entry in entries:
        for name in entry.names:
            if plan.keeps(entry, name):
                where.setdefault(_norm(name), (entry.end, entry.section))
    inserts, used = defaultdict(list), set()
    for k, name in enumerate(plan.params):
        if name not in plan.missing:
            continue
        before = (where[p] for p in reversed(plan.params[:k]) if p in where)
        key, section = where[name] = next(before, (entries[0].line, entries[0].section))
        inserts[key].extend(section.template(name))
        used.add(section)
    return inserts, used


def _empty_sections(sections: list[_Section], deleted: set[int], used: set[_Section]) -> set[int]:
    """Headed sections whose entries all went and that received none: drop them whole."""
    return {
        j
        for s in sections
        if s.header and s.entries and s not in used and all(e.line in deleted for e in s.entries)
        for j in range(s.header.start, s.end)
    }


def _runs(indices: set[int]) -> list[tuple[int, int]]:
    """Maximal runs ``[start, stop)``: ``_runs({1, 2, 5}) == [(1, 3), (5, 6)]``."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _spare_blanks(lines: list[_Line], deleted: set[int], inserts: dict[int, list[str]]) -> set[int]:
    """Blank lines a removal leaves doubled or dangling before the end of the doc.

    A removed block between blanks takes the blanks after it; one at the end of the doc takes
    the blanks before it too (never the first line, which holds the opening delimiter).
    """
    spare, last = set(), len(lines) - 1
    for start, stop in _runs(deleted):
        if any(start <= key <= stop for key in inserts):
            continue
        after = stop
        while after < last and lines[after].blank:
            after += 1
        at_end = after > last or (after == last and lines[last].blank)
        if at_end or (start > 0 and lines[start - 1].blank):
            spare |= set(range(stop, after))
        if at_end:
            k = start - 1
            while k > 0 and lines[k].blank and k not in deleted:
                spare.add(k)
                k -= 1
    return spare


def _render(doc: _Doc, deleted: set[int], replaced: dict[int, str], inserts: dict[int, list[str]]) -> str:
    """The lines put back together; the first line keeps the opener, the last the closer."""
    lines = doc.lines
    items: list[tuple[int | None, str]] = []
    for i in range(len(lines) + 1):
        items += [(None, content) for content in inserts.get(i, ())]
        if i < len(lines) and i not in deleted:
            items.append((i, replaced.get(i, lines[i].content)))
    opener, closer = lines[0].prefix, lines[-1].suffix
    if not items:
        return f"{opener.rstrip()} {closer.lstrip()}" if closer else ""
    out = []
    for k, (at, content) in enumerate(items):
        line = lines[at] if at is not None else None
        prefix = opener if k == 0 else line.prefix if line is not None and at != 0 else doc.deco
        if (k == 0) != (at == 0) and not content:
            prefix = prefix.rstrip()
        last = k == len(items) - 1
        eol = "" if last else (line.eol if line is not None else "") or doc.eol
        out.append(prefix + content + (closer if last else "") + eol)
    return "".join(out)
