"""Which class a call's receiver is, when the file says so with certainty.

``x.m()`` is judged only when ``x``'s class is known: a parameter or attribute
annotation (``def f(x: Client)``, ``client: Client`` in a class body,
``constructor(private client: Client)``), an assignment from a constructor in
scope (``x = Client()``, ``self.x = Client()``, ``const x = new Client()``), or an
attribute set from a typed parameter (``self.app = app`` in ``__init__(self, app: Flask)``).
Every binding of the name in that scope must agree; a name also bound to
anything else (another value, an untyped parameter, a loop variable) is unknown.
"""

from __future__ import annotations

import builtins
import dataclasses
import io
from collections.abc import Iterable, Sequence

from kairos_lsp.checks.model import CheckedFile, Point
from kairos_lsp.extract import Symbol
from kairos_lsp.languages import platform_method
from kairos_lsp.sites import NameBinding

_RECEIVERS = ("self", "this")
_CLASS_KINDS = ("class", "interface")
# (a JavaScript or TypeScript module constant too: what its value's anonymous functions bind is
# theirs, `const toPullIn = dual(2, (self, scope) => ... ([executor]) => executor.run())`)
_SCOPES = ("function", "method", "constructor", "class", "interface", "constant")

# Methods of Python's own types, as the running interpreter has them: a call of one of these
# names is as likely to be on a str or a list as on the one workspace class that defines it.
# JavaScript's, and those of the classes of a module a file imports, are the tables of
# languages.platform_method.
_PYTHON_BUILTIN_METHODS = frozenset(
    name
    for kind in (
        str,
        bytes,
        bytearray,
        list,
        dict,
        set,
        frozenset,
        tuple,
        int,
        float,
        complex,
        object,
        io.TextIOWrapper,
        io.BytesIO,
        io.StringIO,
        BaseException,
    )
    for name in dir(kind)
) | frozenset(dir(builtins))


def innermost(scopes: list[Symbol], points: list[Point]) -> list[Symbol | None]:
    """For each point, the scope holding it that starts last (of several starting there, the
    first listed), or None: one sweep over both in order, not every scope for each point (a
    scipy module has 1,400 scopes and 5,000 bindings: 0.7 s).

    >>> from types import SimpleNamespace as S
    >>> f, g = S(qualname="f", start=(0, 0), end=(9, 0)), S(qualname="f.g", start=(2, 0), end=(3, 0))
    >>> [s and s.qualname for s in innermost([f, g], [(1, 0), (2, 4), (5, 0), (10, 0)])]
    ['f', 'f.g', 'f', None]
    """
    ordered = sorted(range(len(scopes)), key=lambda i: (scopes[i].start, -i))  # ties: the first listed on top
    found: list[Symbol | None] = [None] * len(points)
    open_scopes: list[Symbol] = []  # nested, the innermost last
    next_scope = 0
    for point_index in sorted(range(len(points)), key=points.__getitem__):
        at = points[point_index]
        while next_scope < len(ordered) and scopes[ordered[next_scope]].start <= at:
            scope = scopes[ordered[next_scope]]
            while open_scopes and open_scopes[-1].end < scope.start:
                open_scopes.pop()
            open_scopes.append(scope)
            next_scope += 1
        while open_scopes and open_scopes[-1].end < at:
            open_scopes.pop()
        found[point_index] = open_scopes[-1] if open_scopes else None
    return found


def builtin_method(language: str, name: str, modules: Iterable[str] = ()) -> bool:
    """A method name the language's own types define (``get``, ``join``, ``push``), or a class
    of its platform: everywhere (``addEventListener``, a fetch ``Request``'s ``text``) or in one
    of the ``modules`` the file imports (``ssl``: ``wrap_socket``; see
    :func:`kairos_lsp.languages.platform_method`)."""
    if name.startswith("__") or language == "python" and name in _PYTHON_BUILTIN_METHODS:
        return True
    return platform_method(language, name, modules)


class Receivers:
    """The bindings of one file, by scope, and the class they give a receiver."""

    def __init__(
        self,
        file: CheckedFile,
        bindings: list[NameBinding],
        replaced: Sequence[tuple[str, Point]] = (),
        unnamed: Sequence[tuple[Point, Point]] = (),
        anonymous_classes: Sequence[tuple[int, int]] = (),
    ):
        self._file = file
        self._unnamed = sorted(unnamed)
        self._anonymous_classes = anonymous_classes
        self._classes = {s.qualname for s in file.symbols[1:] if s.kind in _CLASS_KINDS}
        scopes = [s for s in file.symbols[1:] if s.kind in _SCOPES]
        # (a member assigned, by the scope that assigns it: see replaced)
        self._replaced = {
            (inside.qualname if inside is not None else "", text)
            for (text, _), inside in zip(replaced, innermost(scopes, [at for _, at in replaced]))
        }
        # ... and one assigned through the instance, by the class whose method assigns it
        self._replaced_on_instance = {
            (owner, text)
            for scope, text in self._replaced
            if text.split(".", 1)[0] in _RECEIVERS and (owner := self.owner_class(scope)) is not None
        }
        self._locals: dict[tuple[str, str], list[NameBinding]] = {}
        self._attributes: dict[tuple[str, str], list[NameBinding]] = {}
        # (A module-level assignment is a symbol of its own, a constant, not a scope.)
        where = innermost(scopes, [binding.at for binding in bindings])
        copied: list[tuple[list[NameBinding], int, str]] = []  # (an attribute's bindings, which, its scope)
        for binding, inside in zip(bindings, where):
            scope = inside.qualname if inside is not None and not binding.module else ""
            if binding.attribute:
                owner = self.owner_class(scope)
                if owner is not None:
                    found = self._attributes.setdefault((owner, binding.name), [])
                    if binding.copies is not None and binding.type is None:
                        copied.append((found, len(found), scope))
                    found.append(binding)
            elif scope in self._classes:  # `client: Client` in a class body: an attribute
                self._attributes.setdefault((scope, binding.name), []).append(binding)
            else:
                self._locals.setdefault((scope, binding.name), []).append(binding)
        # `self.app = app` in `def __init__(self, app: Flask)`: the attribute holds what the
        # method's typed parameter does (Flask's `AppContext.app`), when the parameter is bound
        # nothing else there; as an assignment, so that every other binding must agree.
        for found, i, scope in copied:
            held = self._locals.get((scope, found[i].copies or ""))
            if held and all(b.parameter and b.annotated for b in held):
                found[i] = dataclasses.replace(found[i], type=_agreed(held))

    def replaced(self, member: str, scope: str | None) -> bool:
        """Whether ``scope`` assigns the member ``x.m`` itself (celery's tests: `s.get_engine =
        Mock(name='get_engine')`, then `s.get_engine()`): a call of it there is of what it holds."""
        if (scope or "", member) in self._replaced:
            return True
        # `self.client.fetch = Mock()` in `setUp`, called in a test method: the same instance's
        # member, whichever method put it there (tornado's tests)
        owner = self.owner_class(scope or "")
        return owner is not None and (owner, member) in self._replaced_on_instance

    def seen(self, defined: Point, at: Point) -> bool:
        """Whether something defined at ``defined`` is seen at ``at``: it is unless an anonymous
        function holds it and not ``at`` (mikro-orm's `function test<T>()` in one test's callback
        is not the `test(...)` of the others)."""
        holding = [(start, end) for start, end in self._unnamed if start <= defined < end]
        if not holding:
            return True
        start, end = max(holding)  # (the innermost: it starts last)
        return start <= at < end

    def in_anonymous_class(self, at: int) -> bool:
        """Whether the byte ``at`` is in the body of an anonymous class (Java's ``new T() {...}``)."""
        return any(start <= at < end for start, end in self._anonymous_classes)

    def owner_class(self, scope: str) -> str | None:
        """The class ``scope`` is, or is a method of."""
        parts = scope.split(".") if scope else []
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in self._classes:
                return ".".join(parts[:end])
        return None

    def local(self, name: str, scope: str | None, at: Point | None = None) -> list[NameBinding] | None:
        """The bindings of a plain name seen from ``scope`` (innermost function first, then the
        module; class bodies are not enclosing scopes), or None when no scope binds it. ``at``:
        where it is read; a binding that holds only in an anonymous function or a loop
        (:attr:`NameBinding.within`) counts there only (anywhere, without ``at``)."""
        parts = scope.split(".") if scope else []
        for end in range(len(parts), -1, -1):
            here = ".".join(parts[:end])
            if here in self._classes:
                continue
            found = _holding(self._locals.get((here, name)), at)
            if found:
                return found
        return None

    def bound_inside(self, name: str, scope: str | None, at: Point | None = None) -> bool:
        """Whether a scope around ``scope`` other than the module binds ``name`` (a parameter, a
        local): then the name there is that, not what the module imports or defines."""
        parts = scope.split(".") if scope else []
        return any(
            _holding(self._locals.get((".".join(parts[:end]), name)), at)
            for end in range(len(parts), 0, -1)
            if ".".join(parts[:end]) not in self._classes
        )

    def has_parameter(self, scope: str, name: str) -> bool:
        """Whether the function ``scope`` has a parameter ``name`` (not a binding of its own name:
        ``const f = () => f()`` binds ``f`` where ``f`` begins)."""
        return any(binding.parameter for binding in self._locals.get((scope, name), ()))

    def has_variable(self, scope: str, name: str, besides: Point) -> bool:
        """Whether the function ``scope`` (or an anonymous function in it) assigns ``name``
        elsewhere than at ``besides`` (where `const run = () => ...` names its function)."""
        return any(not b.parameter and b.at != besides for b in self._locals.get((scope, name), ()))

    def only_parameters(self, receiver: str, scope: str | None, at: Point | None = None) -> bool:
        """``x`` is bound, if at all, only as parameters without a type: nothing says what it is."""
        found = self._bindings(receiver, scope, at)
        return all(b.parameter and b.type is None for b in found or ())

    def _bindings(self, receiver: str, scope: str | None, at: Point | None = None) -> list[NameBinding] | None:
        """The bindings of ``x`` or ``self.x`` / ``this.x`` seen from ``scope``."""
        parts = receiver.split(".")
        found: list[NameBinding] | None = None
        if len(parts) == 1 and parts[0] not in _RECEIVERS:
            found = self.local(parts[0], scope, at)
            if found is None and self._file.language == "java" and scope:
                found = self._field(parts[0], scope)
        elif len(parts) == 2 and parts[0] in _RECEIVERS and scope:
            owner = self.owner_class(scope)
            found = self._attributes.get((owner, parts[1])) if owner else None
        return found

    def _field(self, name: str, scope: str) -> list[NameBinding] | None:
        """A Java field read bare (``client.send()``): of the class around ``scope`` nearest it
        that declares one of the name."""
        parts = scope.split(".")
        for end in range(len(parts), 0, -1):
            found = self._attributes.get((".".join(parts[:end]), name))
            if found:
                return found
        return None

    def class_of(self, receiver: str, scope: str | None, at: Point | None = None) -> str | None:
        """The class (as the file names it) of ``x`` or ``self.x`` / ``this.x``; None when unsure."""
        return _agreed(self._bindings(receiver, scope, at))


def _holding(bindings: list[NameBinding] | None, at: Point | None) -> list[NameBinding] | None:
    """``bindings`` that hold at ``at`` (all of them without it)."""
    if not bindings or at is None:
        return bindings
    return [b for b in bindings if b.within is None or b.within[0] <= at < b.within[1]]


def _agreed(bindings: list[NameBinding] | None) -> str | None:
    """The one class every binding names (annotations outrank assignments)."""
    if not bindings:
        return None
    annotated = {b.type for b in bindings if b.annotated}
    kinds = annotated or {b.type for b in bindings}
    return next(iter(kinds)) if len(kinds) == 1 and None not in kinds else None
