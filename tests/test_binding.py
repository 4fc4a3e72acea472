"""Binding a call to parameters as the language does (``kairos_lsp.checks.binding``), and the
receivers a file's bindings give, called directly: no store, no server."""

from __future__ import annotations

import pytest

from kairos_lsp.checks.binding import bind, describe_change, parameters, receiver_dropped
from kairos_lsp.extract import extract_tree, parse
from kairos_lsp.sites import find_sites


def params_of(source: str, language: str = "python", index: int = 1):
    """The parameters of the ``index``-th symbol of ``source``, as the extractor saw them."""
    data = source.encode()
    symbol = extract_tree(parse(data, language), data, language).symbols[index]
    return parameters([list(p) for p in symbol.parameters], symbol.signature)


@pytest.mark.parametrize(
    "signature,positional,keywords,ok,why",
    [
        ("def f(a, b=1): pass", 1, (), True, None),
        ("def f(a, b=1): pass", 3, (), False, "extra"),
        ("def f(a, *, key): pass", 1, (), False, "missing"),
        ("def f(a, *, key): pass", 2, (), False, "extra"),  # keyword-only is not positional
        ("def f(a, /, b): pass", 1, ("a", "b"), False, "unknown"),  # positional-only by name
        ("def f(a, /, b, **kw): pass", 1, ("a", "b"), True, None),  # ... unless **kw takes it
        ("def f(a, b, c=0): pass", 3, ("c",), False, "twice"),
        ("def f(*args, **options): pass", 5, ("x", "y"), True, None),
        ("def f(a, *rest, flag=False): pass", 4, ("flag",), True, None),
        ("def f(__self, __cmd, *args, **kwargs): pass", 1, ("cmd",), False, "missing"),  # click's forward()
    ],
)
def test_python_binding_rules(signature, positional, keywords, ok, why):
    bound = bind(params_of(signature), positional, keywords)
    assert bound.ok is ok
    if why:
        assert getattr(bound, why), bound


@pytest.mark.parametrize(
    "signature,positional,ok",
    [
        ("function f(a: number, b?: number) {}", 1, True),
        ("function f(a: number, b = 2) {}", 1, True),
        ("function f(a: number, ...rest: number[]) {}", 5, True),
        ("function f(a: number, b: number) {}", 1, False),
        ("function f(a: number) {}", 2, False),
    ],
)
def test_typescript_binding_rules(signature, positional, ok):
    assert bind(params_of(signature, "typescript"), positional, ()).ok is ok


def test_a_bound_method_loses_its_receiver_whatever_its_name():
    params = params_of("class C:\n    def forward(__self, __cmd, *args):\n        pass\n", index=2)
    assert [p.name for p in receiver_dropped(params)] == ["__cmd", "args"]
    assert receiver_dropped(params)[0].positional_only  # the __x convention


def test_typescript_parameter_properties_are_parameters():
    params = params_of(
        "class A {\n  constructor(private x: number, public readonly y?: string) {}\n}\n", "typescript", index=2
    )
    assert [(p.name, p.required) for p in params] == [("x", True), ("y", False)]


def test_a_signature_that_does_not_show_every_parameter_is_unknown():
    signature = "def f(" + ", ".join(f"parameter_{i}: dict[str, int] = {{}}" for i in range(20)) + "): pass"
    assert params_of(signature) is None  # cut short


@pytest.mark.parametrize(
    "source,language",
    [
        ("def f(a,  # the first\n      b, *,\n      # deprecated:\n      c=None): pass", "python"),
        ("function f(a /* the first */, // the second\n  b, c = null) {}", "javascript"),
    ],
)
def test_the_comments_in_a_parameter_list_are_left_out(source, language):
    """(A memory read before extraction 8 held them in the signature: there a comment swallows
    the parameters after it, and the signature reads as unknown.)"""
    params = params_of(source, language)
    assert params is not None and [p.name for p in params] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "before,after,words",
    [
        ("def f(a): pass", "def f(a, region): pass", "gained `region`"),
        ("def f(a, b): pass", "def f(a): pass", "lost `b`"),
        ("def f(a, units): pass", "def f(a, unit): pass", "renamed `units` to `unit`"),
        ("def f(a, b=1): pass", "def f(a, b): pass", "made `b` required"),
        ("def f(a, b): pass", "def f(b, a): pass", "reordered its parameters"),
    ],
)
def test_a_change_is_described_in_a_few_words(before, after, words):
    assert describe_change(params_of(before), params_of(after)) == words


@pytest.mark.parametrize(
    "source,name,expected",
    [
        ("def f(c: Client):\n    c.send()\n", "c", "Client"),
        ("def f(c: 'Optional[m.Client]'):\n    pass\n", "c", "m.Client"),
        ("c = Client()\n", "c", "Client"),
        ("c = make()\n", "c", "make"),  # a candidate: only a class the resolver finds counts
        ("c = registry['x']\n", "c", None),
        ("c: list[Client] = []\n", "c", None),
    ],
)
def test_bindings_name_a_class_only_when_the_code_says_so(source, name, expected):
    data = source.encode()
    found = {b.type for b in find_sites(parse(data, "python"), data, "python").bindings if b.name == name}
    assert found == {expected}
