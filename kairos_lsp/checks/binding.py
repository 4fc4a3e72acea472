"""Binding a call's arguments to a callee's parameters, by the language's own rules.

Pure functions over text the memory holds (a signature and its ``parameters``
observation); no store, no tree. Python's rules are the reference: positional-only
(``/``), keyword-only (after ``*`` or ``*args``), defaults, ``*args`` and
``**kwargs``. JavaScript and TypeScript are the positional subset (no keywords;
``...rest`` takes the rest; ``x?`` and ``x = 1`` are optional).

>>> params = parameters([["a", "required"], ["b", "optional"], ["kw", "variadic"]], "f(a, b=1, **kw)")
>>> bind(params, positional=1, keywords=("b", "c")).ok        # c meets **kw
True
>>> r = bind(params, positional=2, keywords=("b",))           # b twice
>>> r.twice, r.ok
(['b'], False)
>>> bind(params, positional=0, keywords=()).missing
['a']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kairos_lsp.resolve import parameter_parts, signature_items

SELF_NAMES = ("self", "cls")  # a method's first parameter in Python, not passed by its callers


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    required: bool
    keyword_only: bool = False
    positional_only: bool = False
    star: str = ""  # "*" for *args / ...rest, "**" for **kwargs


@dataclass(slots=True)
class Bound:
    """How one call binds: what went wrong, and which parameter each positional argument fills."""

    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # keywords nothing takes
    twice: list[str] = field(default_factory=list)  # given by position and by keyword
    extra: int = 0  # positional arguments nothing takes
    slots: list[str] = field(default_factory=list)  # parameter name per positional argument

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unknown or self.twice or self.extra)


def parameters(pairs: list, signature: str, language: str = "python") -> list[Param] | None:
    """Parameters with how a call passes them, read from the signature's own text.

    ``pairs`` is the ``parameters`` observation: ``[name, required|optional|variadic]``
    in order; names the signature shows but ``pairs`` lacks (``this: T`` in
    TypeScript, a destructuring pattern) are skipped. None when the text does not
    show every parameter (a signature cut short, a comment between parameters):
    how those are passed is unknown.

    >>> parameters([["a", "required"], ["b", "required"]], "f(a, # the first b)") is None
    True

    >>> [(p.name, p.required, p.keyword_only, p.positional_only, p.star) for p in parameters(
    ...     [["a", "required"], ["b", "optional"], ["args", "variadic"], ["c", "required"]],
    ...     "f(a, /, b=2, *args, c)")]
    [('a', True, False, True, ''), ('b', False, False, False, ''), ('args', False, False, False, '*'), \
('c', True, True, False, '')]
    """
    if language == "go":
        return go_parameters(signature)
    if language == "rust":
        return rust_parameters(signature)
    if language == "java":
        return java_parameters(signature)
    kinds = {name: kind for name, kind in pairs}
    out: list[Param] = []
    keyword_only = False
    for token in signature_items(signature):
        bare = parameter_parts(token)[0]
        if bare == "/":  # everything before it is positional-only
            out = [Param(p.name, p.required, p.keyword_only, True, p.star) for p in out]
            continue
        if bare == "*":
            keyword_only = True
            continue
        star = "**" if bare.startswith("**") else "*" if bare.startswith(("*", "...")) else ""
        name = bare.lstrip("*.").rstrip("?").strip()
        if name not in kinds:
            continue
        # ``__x`` (not ``__x__``): positional-only by the convention older than ``/``.
        private = name.startswith("__") and not name.endswith("__") and not star and not keyword_only
        out.append(Param(name, kinds[name] == "required" and not star, keyword_only and not star, private, star))
        if star == "*":
            keyword_only = True
    return out if len({p.name for p in out}) == len(kinds) else None


def go_parameters(signature: str) -> list[Param] | None:
    """A Go function's parameters, read from its signature (the receiver is not in it): all
    positional and required, but a last ``...T``, which takes any number. Unnamed ones (``f(int,
    string)``) and blank ones (``_``) are named by their place. None for a signature cut short.

    >>> [(p.name, p.required, p.star) for p in go_parameters("Join(a, b string, sep ...string) string")]
    [('a', True, ''), ('b', True, ''), ('sep', False, '*')]
    >>> [p.name for p in go_parameters("f(int, func(a, b int) error, <-chan T)")]
    ['_1', '_2', '_3']
    >>> go_parameters("f(a int, b …") is None
    True
    """
    if "(" not in signature or "…" in signature:
        return None
    items = signature_items(signature, angles=False)
    # (Go names all parameters or none: named, `a` takes the type after it, `a, b int`)
    named = any(_GO_NAMED.match(text) for text in items)
    out = []
    for at, text in enumerate(items, start=1):
        name, _, written = text.partition(" ") if named else ("", "", text)
        star = "*" if written.strip().startswith("...") else ""
        out.append(Param(name if name not in ("", "_") else f"_{at}", not star, star=star))
    return out


def rust_parameters(signature: str) -> list[Param] | None:
    """A Rust function's parameters, read from its signature: all positional and required,
    ``self`` first in a method that takes one (``&self``, ``&mut self``, ``self: Box<Self>``),
    a pattern's (``_: &T``, ``(a, b): (u8, u8)``) named by its place. None for a signature cut
    short, or with a parameter only some builds have (``#[cfg(...)] ctx: Ctx``: tokio's).

    >>> [p.name for p in rust_parameters("send(&mut self, data: &[u8], _: u32, f: impl Fn(u8) -> u8)")]
    ['self', 'data', '_3', 'f']
    >>> rust_parameters("new(n: u32, #[cfg(x)] ctx: Ctx) -> Self") is None
    True
    """
    if "(" not in signature or "…" in signature or "#[" in signature:
        return None
    items = signature_items(signature)
    out = []
    for at, text in enumerate(items, start=1):
        pattern = text.split(":", 1)[0].strip().removeprefix("mut ").strip()
        if at == 1 and _RUST_SELF.fullmatch(pattern):
            name = "self"
        else:
            name = pattern if pattern.isidentifier() and pattern != "_" else f"_{at}"
        out.append(Param(name, True))
    return out


def java_parameters(signature: str) -> list[Param] | None:
    """A Java method's or constructor's parameters, read from its signature: all positional and
    required, but a last ``T... xs``, which takes any number (none too). A receiver parameter
    (``Client this``) names the object called, and is not passed. None for a signature cut short.

    >>> [(p.name, p.required, p.star) for p in java_parameters(
    ...     '<T> Map<K, V> put(final @Named("k") Map<K, List<V>> m, int[] xs, String s[], Object... rest)')]
    [('m', True, ''), ('xs', True, ''), ('s', True, ''), ('rest', False, '*')]
    >>> java_parameters("void f(int a, String …") is None
    True
    """
    if "(" not in signature or "…" in signature:
        return None
    out = []
    for text in signature_items(signature):
        name = _JAVA_NAME.search(text)
        if name is None:
            return None
        if name.group(1) == "this":
            continue
        star = "*" if "..." in text else ""
        out.append(Param(name.group(1), not star, star=star))
    return out


# a Java parameter's name: the last word, maybe with C's array brackets after it (`String s[]`)
_JAVA_NAME = re.compile(r"(\w+)\s*(?:\[\s*\]\s*)*$")

_RUST_SELF = re.compile(r"&?\s*('\w+\s+)?(mut\s+)?self")


# a named Go parameter: a name, then its type (not a type of two words: `chan T`, `func(...)`)
_GO_NAMED = re.compile(r"(?!(chan|func|map|struct|interface)\b)[A-Za-z_]\w*\s+\S")


def receiver_dropped(params: list[Param], language: str = "python") -> list[Param]:
    """A bound method's parameters as its callers see them: in Python the first one is the
    receiver whatever its name (``self``, ``cls``, ``__self``); other languages do not list it
    (TypeScript's ``this: T`` says what it is, and is none; Go's ``this`` is a parameter like
    any: hugo's ``compareDescriptors(category Category, this, other TemplateDescriptor, ...)``)."""
    if language == "go":
        return params
    if language == "rust":  # (`&self`, `&mut self`, `self`: listed as `self`)
        return params[1:] if params and params[0].name == "self" else params
    if language != "python":
        return [p for p in params if p.name != "this"]
    return params[1:] if params and not params[0].star and not params[0].keyword_only else params


def bind(
    params: list[Param],
    positional: int,
    keywords: tuple[str, ...] | list[str],
    spread: bool = False,
    spread_keywords: bool = False,
) -> Bound:
    """Bind ``positional`` arguments then ``keywords`` as the language does.

    A call that spreads (``spread``: ``*xs`` or ``...xs``; ``spread_keywords``: ``**kw``) passes
    what it spreads to any parameter that can take it: none of those is missing, nor given twice
    (``slots`` then says nothing). What the written arguments do is still known: a keyword
    nothing takes, positional arguments beyond every positional parameter, and a keyword-only
    parameter a positional spread cannot fill.

    >>> params = parameters([["backends", "variadic"], ["envdir", "required"]], "f(*backends, envdir)")
    >>> bind(params, 0, (), spread=True).missing        # `f(*names)`: `envdir=` is keyword-only
    ['envdir']
    >>> bind(params, 0, (), spread=True, spread_keywords=True).ok
    True
    """
    result = Bound()
    ordered = [p for p in params if not p.keyword_only and not p.star]
    var_positional = any(p.star == "*" for p in params)
    var_keyword = any(p.star == "**" for p in params)
    filled: set[str] = set()
    for i in range(positional):
        if i < len(ordered):
            result.slots.append(ordered[i].name)
            filled.add(ordered[i].name)
        elif var_positional:
            result.slots.append("*")
        else:
            result.extra += 1
    may_fill: set[str] = set()  # what the spread arguments may fill
    if spread:  # (written positional arguments after `*xs` land further on: which is unknown)
        result.slots, filled = [], set()
        may_fill.update(p.name for p in ordered)
    if spread_keywords:
        may_fill.update(p.name for p in params if not p.star and not p.positional_only)
    by_name = {p.name: p for p in params if not p.star and not p.positional_only}
    for keyword in keywords:
        if keyword in by_name:
            if keyword in filled:
                result.twice.append(keyword)
            filled.add(keyword)
        elif not var_keyword:  # **kwargs takes any other keyword (positional-only names too)
            result.unknown.append(keyword)
    result.missing = [p.name for p in params if p.required and not p.star and p.name not in filled | may_fill]
    return result


def shape(params: list[Param]) -> tuple:
    """What a call depends on, and nothing else (annotations and default values aside)."""
    return tuple((p.name, p.required, p.keyword_only, p.positional_only, p.star) for p in params)


def describe_change(before: list[Param], after: list[Param]) -> str:
    """How a parameter list changed, in a few words: "gained `region`", "renamed `a` to `b`".

    >>> a = parameters([["x", "required"]], "f(x)")
    >>> b = parameters([["x", "required"], ["region", "required"]], "f(x, region)")
    >>> describe_change(a, b)
    'gained `region`'
    >>> describe_change(b, parameters([["x", "required"], ["zone", "required"]], "f(x, zone)"))
    'renamed `region` to `zone`'
    """
    old = [p.name for p in before]
    new = [p.name for p in after]
    added = [n for n in new if n not in old]
    removed = [n for n in old if n not in new]
    words = []
    if len(added) == 1 and len(removed) == 1 and old.index(removed[0]) == new.index(added[0]):
        words.append(f"renamed `{removed[0]}` to `{added[0]}`")
    else:
        if added:
            words.append("gained " + ", ".join(f"`{n}`" for n in added))
        if removed:
            words.append("lost " + ", ".join(f"`{n}`" for n in removed))
    if not words:
        was = {p.name: p for p in before}
        now_required = [p.name for p in after if p.required and not was[p.name].required]
        if now_required:
            words.append("made " + ", ".join(f"`{n}`" for n in now_required) + " required")
        elif [n for n in old if n in new] != [n for n in new if n in old]:
            words.append("reordered its parameters")
        else:
            words.append("changed how its parameters are passed")
    return " and ".join(words)
