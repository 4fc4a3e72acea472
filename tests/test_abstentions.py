"""``stale-call`` abstains where its callee is not resolved with certainty, or where
something it does not model may change what the callee takes.

Each test builds a history the memory saw change (scan, dream, rewrite the callee,
scan and dream again) twice: once with the feature that must make the check abstain,
once without it (the control), which must be flagged, so that every test can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from workspaces import problems, rewrite, workspace

from kairos_lsp.dream import dream


def stale(root: Path, before: dict[str, str], after: dict[str, str], rel: str, language: str = "python") -> list[str]:
    """The lines of ``rel`` flagged ``stale-call`` once ``before`` became ``after``."""
    root.mkdir()
    knowledge = workspace(root, before)
    dream(knowledge.store, trigger="test")
    assert [p for p in problems(knowledge, root, rel, language) if p.code == "stale-call"] == []
    rewrite(knowledge, root, after)
    lines = (root / rel).read_text().split("\n")
    return sorted(lines[p.start[0]].strip() for p in problems(knowledge, root, rel, language) if p.code == "stale-call")


def grows(
    tmp_path: Path,
    lib: str,
    caller: str,
    name: str,
    rel: str = "lib.py",
    use: str = "use.py",
    old: str = "(a)",
    new: str = "(a, b)",
    language: str = "python",
) -> list[str]:
    """``lib`` whose first ``old`` becomes ``new`` (a required parameter added), called by ``caller``."""
    before = {rel: lib} if use == rel else {rel: lib, use: caller}
    return stale(tmp_path / name, before, {rel: lib.replace(old, new, 1)}, use, language)


# -- 1. overloads and redefinitions ---------------------------------------------------------------

OVERLOADED = "{imp}\n\n@{o}\ndef f(a: int) -> int: ...\n@{o}\ndef f(a: str) -> str: ...\ndef f(a):\n    return a\n"


@pytest.mark.parametrize("imp,o", [("import typing", "typing.overload"), ("from typing import overload", "overload")])
def test_typing_overloads_are_not_judged(tmp_path, imp, o):
    caller = "from lib import f\n\nf(1)\n"
    lib = OVERLOADED.format(imp=imp, o=o)
    after = {
        "lib.py": lib.replace("(a: int)", "(a: int, b: int)")
        .replace("(a: str)", "(a: str, b: str)")
        .replace("(a)", "(a, b)")
    }
    assert stale(tmp_path / "overloads", {"lib.py": lib, "use.py": caller}, after, "use.py") == []
    assert grows(tmp_path, "def f(a):\n    return a\n", caller, "control") == ["f(1)"]


def test_a_redefined_function_is_not_judged(tmp_path):
    caller = "from lib import f\n\nf(1)\n"
    lib = "def f(a):\n    return a\n\n\ndef f(a):\n    return a\n"  # keys f and f~2
    after = {"lib.py": lib.replace("def f(a)", "def f(a, b)")}
    assert stale(tmp_path / "twice", {"lib.py": lib, "use.py": caller}, after, "use.py") == []
    assert grows(tmp_path, "def f(a):\n    return a\n", caller, "control") == ["f(1)"]


TS_OVERLOADED = (
    "export function f(a: string): string;\nexport function f(a: number): number;\n"
    "export function f(a: any): any {\n  return a;\n}\n"
)
TS_CONSTRUCTORS = (
    "export class C {\n  constructor(a: string);\n  constructor(a: number);\n  constructor(a: any) {}\n}\n"
)


@pytest.mark.parametrize(
    "lib,call,control",
    [
        (TS_OVERLOADED, "f(1)", "export function f(a: any): any {\n  return a;\n}\n"),
        (TS_CONSTRUCTORS, "new C(1)", "export class C {\n  constructor(a: any) {}\n}\n"),
    ],
)
def test_typescript_overload_signatures_are_not_judged(tmp_path, lib, call, control):
    caller = f"import {{ f, C }} from './lib';\n{call};\n"
    ts = dict(rel="lib.ts", use="use.ts", old="(a: any)", new="(a: any, b: any)", language="typescript")
    after = {
        "lib.ts": lib.replace("(a: string)", "(a: string, b: any)")
        .replace("(a: number)", "(a: number, b: any)")
        .replace("(a: any)", "(a: any, b: any)")
    }
    assert stale(tmp_path / "overloads", {"lib.ts": lib, "use.ts": caller}, after, "use.ts", "typescript") == []
    assert grows(tmp_path, control, caller, "control", **ts) == [f"{call};"]


@pytest.mark.parametrize(
    "value",
    [
        "function computed(a: any) { return a } as any",  # mobx 7's `computed`
        "(function computed(a: any) { return a }) as Computed",
        "Object.assign(function computed(a: any) { return a }, { struct: true })",  # mobx 7's `flow`
    ],
)
def test_a_function_whose_value_declares_or_casts_its_type_is_not_judged_by_its_parameters(tmp_path, value):
    """TypeScript calls `computed` as its declared type or its cast says (`IComputedFactory`:
    `(options)` or `(func, options?)`), not as the function in its value takes: mobx 7's tests
    make 60 calls of `computed(fn)` against its `function computed(arg1, arg2)`."""
    typed = "export interface Computed {\n  (a: any, b?: any): any\n}\n"
    lib = f"{typed}export const computed: Computed = {value}\n"
    caller = "import { computed } from './lib';\ncomputed(1);\n"
    ts = dict(rel="lib.ts", use="use.ts", old="(a: any)", new="(a: any, b: any)", language="typescript")
    assert grows(tmp_path, lib, caller, "typed", **ts) == []
    control = f"{typed}export const computed = {value.replace(' as any', '').replace(' as Computed', '')}\n"
    assert grows(tmp_path, control, caller, "control", **ts) == ["computed(1);"]


@pytest.mark.parametrize("call,judged", [("_startAction('a1')", False), ("_startAction('a1', true)", True)])
def test_a_javascript_call_of_a_typescript_function_is_judged_only_if_it_ever_fit(tmp_path, call, judged):
    """Nothing holds JavaScript to a TypeScript signature: mobx 7's JavaScript tests call
    `_startAction("a1")` of a function of three required parameters, as meant (a parameter left
    out is undefined), and such a call written after the function changed is no stale one. One
    that passed all it took is held to what the function takes now."""
    lib = "export function _startAction(name: string, derive: boolean) {\n  return name\n}\n"
    imported = "import { _startAction } from './lib';\n"
    grown = lib.replace("derive: boolean)", "derive: boolean, scope: any)")
    before = {"lib.ts": lib, "use.js": imported, "old.js": imported + call + ";\n"}
    after = {"lib.ts": grown, "use.js": imported + call + ";\n"}  # written with the change
    said = [call + ";"] if judged else []
    assert stale(tmp_path / "new", before, after, "use.js", "javascript") == said
    assert stale(tmp_path / "old", before, {"lib.ts": grown}, "old.js", "javascript") == said


@pytest.mark.parametrize(
    "lib,rel,use,caller,replace,old,new",
    [
        (
            "class Manager:\n    def get_engine(self):\n        return 1\n",
            "lib.py",
            "test_lib.py",
            "from lib import Manager\n\n\ndef test_engine():\n    s = Manager()\n{replace}    s.get_engine()\n",
            "    s.get_engine = Mock(name='get_engine')\n",
            "(self)",
            "(self, dburi)",
        ),
        (
            "export class Client {\n  fetch(): number {\n    return 1\n  }\n}\n",
            "lib.ts",
            "lib.test.ts",
            "import { Client } from './lib';\n\ntest('fetch', () => {\n  const client = new Client()\n"
            "{replace}  client.fetch()\n})\n",
            "  client.fetch = vi.fn()\n",
            "fetch()",
            "fetch(url: string)",
        ),
    ],
)
def test_a_member_the_scope_assigns_is_not_judged_as_the_method(tmp_path, lib, rel, use, caller, replace, old, new):
    """celery's tests put a mock in a method's place (`s.get_engine = Mock(name='get_engine')`)
    and call it: the call is the mock's, whatever the method takes."""
    language = "python" if rel.endswith(".py") else "typescript"
    args = dict(rel=rel, use=use, old=old, new=new, language=language)
    plain = caller.replace("{replace}", "")
    assert grows(tmp_path, lib, caller.replace("{replace}", replace), "mocked", **args) == []
    called = plain.splitlines()[-1 if language == "python" else -2].strip()
    assert grows(tmp_path, lib, plain, "control", **args) == [called]


@pytest.mark.parametrize(
    "lib,rel,use,caller,replace,old,new",
    [
        (
            "class Client:\n    def fetch(self):\n        return 1\n",
            "lib.py",
            "test_lib.py",
            "import unittest\nfrom unittest.mock import Mock\nfrom lib import Client\n\n\n"
            "class TestClient(unittest.TestCase):\n    def setUp(self):\n        self.client = Client()\n"
            "{replace}\n    def test_fetch(self):\n        self.client.fetch()\n",
            "        self.client.fetch = Mock()\n",
            "(self)",
            "(self, url)",
        ),
        (
            "export class Client {\n  fetch(): number {\n    return 1\n  }\n}\n",
            "lib.ts",
            "lib.test.ts",
            "import { Client } from './lib';\n\nclass Suite {\n  client: Client\n  constructor() {\n"
            "    this.client = new Client()\n{replace}  }\n  run() {\n    this.client.fetch()\n  }\n}\n",
            "    this.client.fetch = vi.fn()\n",
            "fetch()",
            "fetch(url: string)",
        ),
    ],
)
def test_a_member_another_method_assigns_through_self_is_not_judged(tmp_path, lib, rel, use, caller, replace, old, new):
    """tornado's tests put a mock in a method's place in `setUp` (`self.client.fetch = Mock()`)
    and call it in the test methods: the instance is the same, so the call is the mock's."""
    language = "python" if rel.endswith(".py") else "typescript"
    args = dict(rel=rel, use=use, old=old, new=new, language=language)
    plain = caller.replace("{replace}", "")
    assert grows(tmp_path, lib, caller.replace("{replace}", replace), "mocked", **args) == []
    called = "self.client.fetch()" if language == "python" else "this.client.fetch()"
    assert grows(tmp_path, lib, plain, "control", **args) == [called]


@pytest.mark.parametrize(
    "language,written,judged",
    [
        ("python", "    with pytest.raises(TypeError):\n        f(1)\n", False),
        ("python", "    with pytest.raises((TypeError, ValueError), match='b'):\n        f(1)\n", False),
        ("python", "    with self.assertRaises(TypeError):\n        f(1)\n", False),
        ("python", "    f(1)  # type: ignore[call-arg]\n", False),
        ("python", "    f(1)  # pyright: ignore[reportCallIssue]\n", False),
        # the controls: another error, another ignore
        ("python", "    with pytest.raises(ValueError):\n        f(1)\n", True),
        ("python", "    f(1)  # type: ignore[attr-defined]\n", True),
        ("python", "    f(1)  # type: ignore[arg-type]\n", True),
        # TypeScript's directive does not say which error (mostly a type's, and the call binds):
        # a call that fit `f` before is judged, one that never did is meant (ky's `new HTTPError(r, q)`)
        ("typescript", "  // @ts-expect-error\n  f(1)\n", True),
        ("typescript", "  // @ts-expect-error missing b\n  f()\n", False),
        ("typescript", "  // a comment\n  f()\n", True),
    ],
)
def test_a_call_the_code_means_to_fail_is_not_judged(tmp_path, language, written, judged):
    """urllib3's tests call `request("GET", url, body)` under `pytest.raises(TypeError)` to see
    `body` is keyword-only (`# type: ignore[misc]`). Written after `f` gained `b`, such a call
    is the test's point."""
    if language == "python":
        lib, grown = "def f(a):\n    return a\n", "def f(a, b):\n    return a\n"
        rel, use, head, empty, tail = (
            "lib.py",
            "test_use.py",
            "import pytest\nfrom lib import f\n\n\ndef test_f():\n",
            "    pass\n",
            "",
        )
    else:
        lib = "export function f(a: number) {\n  return a\n}\n"
        grown = lib.replace("(a: number)", "(a: number, b: number)")
        rel, use, head, empty, tail = (
            "lib.ts",
            "use.test.ts",
            "import { f } from './lib';\n\ntest('f', () => {\n",
            "",
            "})\n",
        )
    before = {rel: lib, use: head + empty + tail}
    after = {rel: grown, use: head + written + tail}
    called = [line.strip() for line in written.splitlines() if line.strip().startswith("f(")]
    assert stale(tmp_path / "t", before, after, use, language) == (called if judged else [])


@pytest.mark.parametrize("call,judged", [("_Base.setup(self, a=1)", False), ("_Base().setup(1, 2, 3)", True)])
def test_a_method_called_through_its_class_under_another_name_is_passed_self_by_hand(tmp_path, call, judged):
    """networkx's tests: `from .test_graph import TestGraph as _TestGraph`, then in a subclass
    `_TestGraph.setup_method(self)`: judged as if `self` were filled, one argument too many."""
    lib = "class Base:\n    def setup(self, a):\n        return a\n"
    caller = "from lib import Base as _Base\n\n\nclass Mine(_Base):\n    def setup(self):\n        return {}\n"
    after = {"lib.py": lib.replace("(self, a)", "(self, a, b=None)"), "use.py": caller.format(call)}  # written with it
    said = stale(tmp_path / "alias", {"lib.py": lib, "use.py": caller.format("1")}, after, "use.py")
    assert said == ([f"return {call}"] if judged else [])


# -- 2. decorators --------------------------------------------------------------------------------

DECORATED = (
    "import functools\nimport click\n\n\ndef my_decorator(fn):\n    return fn\n\n\n"
    "class Tools:\n    {deco}\n    def run(a):\n        return a\n\n\n{deco}\ndef f(a):\n    return a\n"
)


@pytest.mark.parametrize(
    "deco,judged",
    [
        ("@my_decorator", False),
        ("@click.command()", False),
        ("@functools.lru_cache", True),
        ("@functools.lru_cache(maxsize=None)", True),
        ("@staticmethod", True),
    ],
)
def test_decorators_that_may_change_the_signature_are_not_judged(tmp_path, deco, judged):
    caller = "from lib import f, Tools\n\nf(1)\nTools.run(1)\n"
    found = grows(tmp_path, DECORATED.format(deco=deco), caller, "decorated", old="def run(a)", new="def run(a, b)")
    found += grows(tmp_path, DECORATED.format(deco=deco), caller, "decorated_f", old="def f(a)", new="def f(a, b)")
    # Tools.run without @staticmethod is an unbound method called by hand: never judged.
    assert found == ["Tools.run(1)"] * (deco == "@staticmethod") + ["f(1)"] * judged
    if not judged:  # control: the same history without the decorator
        plain = DECORATED.format(deco="").replace("    \n", "")
        assert grows(tmp_path, plain, caller, "control", old="def f(a)", new="def f(a, b)") == ["f(1)"]


# -- 3. partial and __call__ ----------------------------------------------------------------------


def test_partial_and_call_operator_are_not_judged(tmp_path):
    lib = "def f(a, b):\n    return a\n\n\nclass Thing:\n    def __call__(self, x):\n        return x\n"
    caller = (
        "from functools import partial\nfrom lib import f, Thing\n\n\ndef use():\n    g = partial(f, 1)\n"
        "    g(2)\n    obj = Thing()\n    obj(1)\n    f(1, 2)\n    obj.__call__(1)\n"
    )  # the last two: controls
    after = {"lib.py": lib.replace("(a, b)", "(a, b, c)").replace("(self, x)", "(self, x, y)")}
    found = stale(tmp_path / "w", {"lib.py": lib, "use.py": caller}, after, "use.py")
    assert found == ["f(1, 2)", "obj.__call__(1)"]


# -- 4. generated and inherited constructors ------------------------------------------------------

OWN_INIT = "class C{base}:\n    def __init__(self, a):\n        self.a = a\n"
HEAD = "import attr\nimport attrs\nfrom dataclasses import dataclass\nfrom ext import SomeExternal\n\n\n"


@pytest.mark.parametrize(
    "before,after",
    [
        ("@dataclass\n" + OWN_INIT, None),
        ("@attr.s\n" + OWN_INIT, None),
        ("@attrs.define\n" + OWN_INIT, None),
        ("@dataclass\nclass C:\n    a: int\n", "@dataclass\nclass C:\n    a: int\n    b: int\n"),
        (OWN_INIT.format(base="(SomeExternal)"), "class C(SomeExternal):\n    pass\n"),  # now inherits
        (OWN_INIT + "\n    def __new__(cls, *args):\n        return super().__new__(cls)\n", None),
    ],
    ids=["dataclass", "attr.s", "attrs.define", "dataclass-fields", "inherits-external", "__new__"],
)
def test_constructors_not_modelled_are_not_judged(tmp_path, before, after):
    caller = "from lib import C\n\nC(1)\n"
    before = HEAD + before.replace("{base}", "")
    after = HEAD + after if after else before.replace("(self, a)", "(self, a, b)")
    assert stale(tmp_path / "w", {"lib.py": before, "use.py": caller}, {"lib.py": after}, "use.py") == []
    control = HEAD + OWN_INIT.format(base="")
    assert grows(tmp_path, control, caller, "control", old="(self, a)", new="(self, a, b)") == ["C(1)"]


# -- 5. imports rebound per scope -----------------------------------------------------------------


def test_an_import_rebound_in_another_scope_is_not_judged(tmp_path):
    one = "def one():\n    from .a import x as f\n    return f(1)\n"
    two = "\n\ndef two():\n    from .b import y as f\n    return f(2)\n"
    libs = {"pkg/__init__.py": "", "pkg/a.py": "def x(a):\n    return a\n", "pkg/b.py": "def y(a):\n    return a\n"}
    after = {"pkg/a.py": "def x(a, b):\n    return a\n", "pkg/b.py": "def y(a, b):\n    return a\n"}
    assert stale(tmp_path / "both", {**libs, "pkg/use.py": one + two}, after, "pkg/use.py") == []
    assert stale(tmp_path / "control", {**libs, "pkg/use.py": one}, after, "pkg/use.py") == ["return f(1)"]


# -- 6. local names shadowing the callee ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "def g({n}):\n    helper(1)\n",  # a parameter
        "def g():\n    {n} = print\n    helper(1)\n",  # an assignment
        "def g(p):\n    {n}, other = p\n    helper(1)\n",  # tuple unpacking
        "def g(fs):\n    if ({n} := fs[0]):\n        helper(1)\n",  # an assignment expression
        "def g(fs):\n    return map(lambda {n}: helper(1), fs)\n",  # a lambda's parameter
        "def g(fs):\n    return [helper(1) for {n} in fs]\n",  # a comprehension's variable
    ],
    ids=["parameter", "assignment", "tuple-unpacking", "walrus", "lambda", "comprehension"],
)
def test_a_local_name_shadowing_an_import_is_not_judged(tmp_path, body):
    lib = "def helper(a):\n    return a\n"
    head = "from lib import helper\n\n\n"
    assert grows(tmp_path, lib, head + body.format(n="helper"), "shadowed") == []
    flagged = grows(tmp_path, lib, head + body.format(n="other"), "control")  # the import is called
    assert len(flagged) == 1 and "helper(1)" in flagged[0]


def test_a_nested_function_shadows_the_module_level_callee(tmp_path):
    module = "def helper(a):\n    return a\n\n\ndef g():\n{inner}    return helper(1)\n"
    inner = "    def helper(x):\n        return x\n\n"
    assert grows(tmp_path, module.format(inner=inner), "", "nested", use="lib.py") == []
    assert grows(tmp_path, module.format(inner=""), "", "control", use="lib.py") == ["return helper(1)"]


def test_a_nested_function_beside_a_variable_of_its_name_is_not_judged(tmp_path):
    """effect's platform-bun (3.19.0, released): `const runRaw = Effect.fnUntraced(function*
    (handler) { function runRaw(data) {...} ... })`, then `runRaw(f, opts)` calls the variable;
    the inner function, named in the method as anonymous functions are not, was judged instead
    and the call flagged when it changed. The control has no variable: the call is the function's."""
    method = (
        "export class Server {\n  upgrade() {\nVARIABLE"
        "      function runRaw(data: string) {\n        return data\n      }\nEND"
        "    return runRaw('x')\n  }\n}\n"
    )
    both = method.replace("VARIABLE", "    const runRaw = wrap(function* (h: string) {\n").replace("END", "    })\n")
    alone = method.replace("VARIABLE", "").replace("END", "")
    change = dict(rel="lib.ts", use="lib.ts", old="(data: string)", new="(data: string, more: number)")
    assert grows(tmp_path, both, "", "variable", language="typescript", **change) == []
    assert grows(tmp_path, alone, "", "control", language="typescript", **change) == ["return runRaw('x')"]


@pytest.mark.parametrize("local", [True, False])
def test_a_variable_nearer_the_call_shadows_the_enclosing_functions_nested_function(tmp_path, local):
    """TanStack router's buildMiddlewareChain: `const applyNext = (...) => { const middleware =
    middlewares[index]!; return middleware({...}) }` beside the returned `function
    middleware(search, dest, _includeValidateSearch)`: the call is the variable's. Without
    the variable (the control) it is the nested function's."""
    lib = (
        "export function chain(list: Array<(a: number) => number>) {\n"
        "  const applyNext = (index: number): number => {\n"
        + ("    const middleware = list[index]!\n" if local else "")
        + "    return middleware(index)\n  }\n"
        "  return function middleware(search: number) {\n    return applyNext(search)\n  }\n}\n"
    )
    change = dict(rel="lib.ts", use="lib.ts", old="(search: number)", new="(search: number, dest: number)")
    grown = grows(tmp_path, lib, "", f"local-{local}", language="typescript", **change)
    assert grown == ([] if local else ["return middleware(index)"])


@pytest.mark.parametrize(
    "declared, judged",
    [
        # vue 3.5.0's renderSlot: `let slot = slots[name]`, then maybe `slot = () => []`: which one runs
        ("    let run = table[0]\n    if (!run) run = (data: string) => data\n", False),
        # the variable is the function: `const run = (data) => ...` (as before, judged)
        ("    const run = (data: string) => data\n", True),
    ],
)
def test_a_local_arrow_function_is_judged_only_where_it_is_all_the_name_holds(tmp_path, declared, judged):
    lib = "export function render(table: any[]) {\nDECLARED    return run('x')\n}\n".replace("DECLARED", declared)
    change = dict(rel="lib.ts", use="lib.ts", old="(data: string)", new="(data: string, more: number)")
    flagged = grows(tmp_path, lib, "", "w", language="typescript", **change)
    assert flagged == (["return run('x')"] if judged else [])


# -- 7. receivers of unknown class ----------------------------------------------------------------


def test_only_untyped_parameters_reach_the_one_class_defining_a_method(tmp_path):
    lib = "class Client:\n    def send(self, r):\n        return r\n"
    caller = (
        "from clients import make_client, registry\n\n\ndef a():\n    x = make_client()\n    x.send('call')\n\n\n"
        "def c():\n    x = registry['c']\n    x.send('item')\n\n\ndef d(xs):\n    for x in xs:\n"
        "        x.send('loop')\n\n\ndef b(x):\n    x.send('parameter')\n"
    )  # only b is judged
    assert grows(tmp_path, lib, caller, "w", old="(self, r)", new="(self, r, timeout)") == ["x.send('parameter')"]


@pytest.mark.parametrize("name", ["get", "append", "__enter__"])
def test_method_names_of_the_language_own_types_are_not_judged_by_name(tmp_path, name):
    lib = "class Box:\n    def {}(self, r):\n        return r\n"
    caller = "def b(x):\n    x.{}(1)\n"
    change = dict(old="(self, r)", new="(self, r, more)")
    assert grows(tmp_path, lib.format(name), caller.format(name), "builtin", **change) == []
    assert grows(tmp_path, lib.format("stow"), caller.format("stow"), "control", **change) == ["x.stow(1)"]


def test_a_call_that_never_fit_the_method_its_name_guesses_is_not_judged(tmp_path):
    """vitest 4.0.0's `runner.worker.canReuse(task)` calls its `PoolWorker`'s; the one class of
    the workspace with a `canReuse` method took no argument, ever: a guess by name that the call
    never fit is a wrong guess, not a change (a release that changed that method flagged the call
    as written after it). Where the class is known (the control), such a call is flagged."""
    lib = "class Worker:\n    def can_reuse(self):\n        return True\n"
    changed = lib.replace("(self)", "(self, a, b)")
    caller = "from lib import Worker\n\n\ndef pick(runner{typed}, task):\n    return runner{via}.can_reuse(task)\n"
    before = {"lib.py": lib, "use.py": "from lib import Worker\n\n\ndef pick(runner, task):\n    return runner\n"}

    def flagged(name: str, typed: str, via: str) -> list[str]:
        after = {"lib.py": changed, "use.py": caller.format(typed=typed, via=via)}
        return stale(tmp_path / name, before, after, "use.py")

    assert flagged("guessed", "", ".worker") == []
    assert flagged("known", ": Worker", "") == ["return runner.can_reuse(task)"]


def test_a_method_a_class_of_an_imported_standard_module_has_is_not_judged_by_name(tmp_path):
    """urllib3's tests call `ctx.wrap_socket(sock)` on an `ssl.SSLContext` beside the workspace's
    own `PyOpenSSLContext.wrap_socket`: where the file imports `ssl`, the call may be either."""
    lib = "class PyOpenSSLContext:\n    def wrap_socket(self, sock):\n        return sock\n"
    caller = "{imports}\n\ndef serve(ctx, sock):\n    return ctx.wrap_socket(sock)\n"
    change = dict(old="(self, sock)", new="(self, sock, server_side)")
    assert grows(tmp_path, lib, caller.format(imports="import ssl"), "ssl", **change) == []
    assert grows(tmp_path, lib, caller.format(imports="from http import client"), "http", **change) == [
        "return ctx.wrap_socket(sock)"
    ]  # (the control: `http` has no class with a `wrap_socket`)


@pytest.mark.parametrize(
    "method, call",
    [
        ("text", "opts.req.text('a')"),  # a fetch Request's (trpc's fetch adapter)
        ("addEventListener", "options.signal.addEventListener('abort')"),  # an AbortSignal's (effect)
        ("deref", "ref.deref('a')"),  # a WeakRef's (undici)
        ("groupCollapsed", "console.groupCollapsed('a')"),  # a Console's, passed in (effect)
    ],
)
def test_a_method_the_javascript_platform_defines_is_not_judged_by_name(tmp_path, method, call):
    """TypeScript checks every file against the ECMAScript, DOM and Node declarations: an untyped
    receiver of a method they define is as likely theirs as the one workspace class's."""
    lib = "export class NodeOnDiskFile {\n  METHOD(path: string) {\n    return path\n  }\n}\n"
    caller = (
        "import type { NodeOnDiskFile } from './lib'\n\n"  # (the file's imports lead to the class)
        "export const handler = (opts, options, ref, console) => {\n  return CALL\n}\n"
    )
    change = dict(rel="lib.ts", use="use.ts", old="(path: string)", new="(path: string, mode: number)")

    def flagged(name: str, method: str, call: str) -> list[str]:
        return grows(
            tmp_path, lib.replace("METHOD", method), caller.replace("CALL", call), name, **change, language="typescript"
        )

    assert flagged("platform", method, call) == []
    assert flagged("control", "byId", "opts.req.byId('a')") == ["return opts.req.byId('a')"]


def test_a_typescript_class_the_files_imports_do_not_lead_to_is_not_guessed(tmp_path):
    """trpc's monorepo: a test's `client.useQueries((t) => [t.post.byId(...)])` is not a call of
    the one workspace class defining `byId`, in an example's generated client that nothing the
    test imports leads to. Through its imports (a barrel's `export *` too), it may be."""
    sdk = "export class User {\n  byId(options: object) {\n    return options\n  }\n}\n"
    test = "{imports}\n\nexport const run = () => client.useQueries((t) => [t.post.byId({{ id: '1' }})])\n"
    barrel = "export * from './sdk'\n"
    change = dict(old="(options: object)", new="(options: object, signal: AbortSignal)")

    def flagged(name: str, imports: str) -> list[str]:
        files = {"examples/api/sdk.ts": sdk, "examples/api/index.ts": barrel}
        files["packages/query/test/q.test.ts"] = test.format(imports=imports)
        after = {"examples/api/sdk.ts": sdk.replace(change["old"], change["new"])}
        return stale(tmp_path / name, files, after, "packages/query/test/q.test.ts", "typescript")

    assert flagged("unrelated", "import { client } from './helpers'") == []
    expected = ["export const run = () => client.useQueries((t) => [t.post.byId({ id: '1' })])"]
    assert flagged("imported", "import { client } from '../../../examples/api/index'") == expected


def test_a_call_of_new_passes_the_class_by_hand(tmp_path):
    """Python's `__new__` is a static method without the decorator: sqlalchemy's
    `super().__new__(cls, value, quote)` passes the class itself, and was judged one argument too
    many (so a change to `quoted_name.__new__` would have gone unseen, or been said wrong)."""
    lib = (
        "class quoted_name(str):\n    def __new__(cls, value, quote):\n        return str.__new__(cls, value)\n\n\n"
        "class truncated(quoted_name):\n    def __new__(cls, value, quote=None):\n"
        "        return super().__new__(cls, value, quote)\n"
    )
    change = dict(use="lib.py", old="(cls, value, quote)", new="(cls, value, quote, style)")
    assert grows(tmp_path, lib, "", "new", **change) == ["return super().__new__(cls, value, quote)"]


@pytest.mark.parametrize(
    "metaclass,judged",
    [
        ("_EDMeta", False),  # its own: its `__call__` makes one as it likes
        ("abc.ABCMeta", True),  # the standard library's: `__init__` takes the call
    ],
)
def test_a_class_a_metaclass_makes_is_judged_by_its_init_only_when_the_metaclass_is_known(tmp_path, metaclass, judged):
    """hypothesis 6.165's `ExampleDatabase(metaclass=_EDMeta)`: the metaclass's `__call__`
    takes `ExampleDatabase(path)` and returns a `DirectoryBasedExampleDatabase`, while the
    class's `__init__(self)` takes nothing: 3 calls judged one argument too many."""
    lib = (
        "import abc\n\n\nclass _EDMeta(abc.ABCMeta):\n    def __call__(self, *args, **kwargs):\n"
        "        return super().__call__()\n\n\n"
        f"class ExampleDatabase(metaclass={metaclass}):\n    def __init__(self, a):\n        self.a = a\n"
    )
    caller = "from lib import ExampleDatabase\n\nDB = ExampleDatabase(1)\n"
    change = dict(old="(self, a)", new="(self, a, b)")
    assert grows(tmp_path, lib, caller, "meta", **change) == (["DB = ExampleDatabase(1)"] if judged else [])


@pytest.mark.parametrize("override", ["other", "same", "none"])
def test_a_call_through_self_of_a_method_overridden_otherwise_is_not_judged(tmp_path, override):
    """sanic 25's `RouteMixin.route` calls `self._apply_route(route, overwrite=overwrite)`; the
    mixin's own `_apply_route(self, route)` raises NotImplementedError, and `Sanic`, two classes
    down, defines the one that runs, taking `overwrite`. Which a call through `self` meets is the
    instance's class's: not ours to say. An override taking what the method takes (a template
    method's: Django REST framework's `get_queryset(self)`), or none, leaves it judged."""
    lib = (
        "class RouteMixin:\n    def _apply_route(self, route, overwrite=False):\n"
        "        raise NotImplementedError\n\n    def route(self, r, overwrite=False):\n"
        "        return self._apply_route(r, overwrite=overwrite)\n\n\n"
        "class BaseSanic(RouteMixin):\n    pass\n\n\n"
        "class Sanic(BaseSanic):\n    def _apply_route(self, route, overwrite=False):\n        return route\n"
    )
    if override == "same":
        lib = lib.replace(
            "class Sanic(BaseSanic):\n    def _apply_route(self, route, overwrite=False):",
            "class Sanic(BaseSanic):\n    def _apply_route(self, route):",
        )
    elif override == "none":
        lib = lib.replace("    def _apply_route(self, route, overwrite=False):\n        return route\n", "    pass\n")
    change = dict(use="lib.py", old="(self, route, overwrite=False)", new="(self, route)")
    flagged = [] if override == "other" else ["return self._apply_route(r, overwrite=overwrite)"]
    assert grows(tmp_path, lib, "", "self", **change) == flagged


@pytest.mark.parametrize(
    "typed,judged",
    [
        ("T", False),  # the class's type parameter: `Subject<void>` makes it void
        ("TValue", False),
        ("T | PromiseLike<T>", False),  # RxJS's `AbortableDeferred.resolve`, as a `Promise`'s
        ("Item", True),  # an interface the file defines: required
    ],
)
def test_a_typescript_parameter_of_a_type_parameter_may_be_left_out(tmp_path, typed, judged):
    """RxJS's `new Subject<void>()`, then `notifier.next()`; lit's `new Deferred<void>()`, then
    `loading.resolve()`: a parameter typed by a type parameter is void there, and TypeScript
    lets a call leave it out (8 calls judged unfit in the two as released). The memory keeps no
    type arguments: such a parameter is not asked for."""
    lib = (
        "export interface Item { id: number }\n\n"
        f"export class Subject<T, TValue = T> {{\n  next(value?: {typed}) {{\n    return value\n  }}\n}}\n"
    )
    caller = "import { Subject } from './lib'\n\nconst notifier = new Subject<void>()\nnotifier.next()\n"
    change = dict(rel="lib.ts", use="app.ts", old=f"(value?: {typed})", new=f"(value: {typed})", language="typescript")
    assert grows(tmp_path, lib, caller, "generic", **change) == (["notifier.next()"] if judged else [])


@pytest.mark.parametrize("language", ["typescript", "javascript"])
@pytest.mark.parametrize("parameter", ["(lib)", "lib"])  # (written bare: Vue's `new Promise(resolve => ...)`)
def test_a_name_an_anonymous_function_binds_holds_inside_it_only(tmp_path, language, parameter):
    """mobx 7's extras.js requires the package as `mobx`, and one test does `[mobxDevelopment,
    mobxProduction].forEach(mobx => ...)`: that parameter is the callback's own. Taken for the
    module's (kairos names no anonymous function), it hid what `mobx` is everywhere else in the
    file: 87 calls went unjudged. Inside the callback it is still the parameter."""
    rel, use = ("lib.ts", "app.test.ts") if language == "typescript" else ("lib.ts", "app.test.js")
    typed = ": string" if language == "typescript" else ""
    lib = "export function fetchAll(url: string) {\n  return url\n}\n"
    caller = (
        "import * as lib from './lib'\n\n"
        f"test('each', () => {{\n  [a, b].forEach({parameter} => lib.fetchAll('y'))\n}})\n\n"
        f"test('one', () => {{\n  const url{typed} = 'x'\n  lib.fetchAll(url)\n}})\n"
    )
    change = dict(rel=rel, use=use, old="(url: string)", new="(url: string, token: string)", language=language)
    assert grows(tmp_path, lib, caller, "anonymous", **change) == ["lib.fetchAll(url)"]


def test_a_function_declared_in_an_anonymous_function_is_not_called_outside_it(tmp_path):
    """mikro-orm 7's types.test.ts declares `function test<T>() {...}` inside one test's
    callback; kairos names no anonymous function, so the file's every `test('...', async () =>
    ...)` (the test runner's global) was taken for a call of it: 53 calls unfit. Outside that
    callback the name is something else; inside, it is the function."""
    lib = (
        "describe('typings', () => {\n"
        "  test('loaded', async () => {\n"
        "    function test(name: string, body: () => void) {\n      return name\n    }\n"
        "    test('inner', () => {})\n"
        "  })\n\n"
        "  test('other', async () => {})\n"
        "})\n"
    )
    change = dict(rel="types.test.ts", use="types.test.ts", old="(name: string, body: () => void)", new="()")
    assert grows(tmp_path, lib, "", "anonymous", language="typescript", **change) == ["test('inner', () => {})"]


def test_a_method_of_a_function_local_class_is_not_judged_by_name(tmp_path):
    local = "def factory():\n    class Local:\n        def ping(self, r):\n            return r\n    return Local()\n"
    top = "class Local:\n    def ping(self, r):\n        return r\n"
    caller = "def b(x):\n    x.ping(1)\n"
    change = dict(old="(self, r)", new="(self, r, more)")
    assert grows(tmp_path, local, caller, "local", **change) == []
    assert grows(tmp_path, top, caller, "control", **change) == ["x.ping(1)"]


def test_a_non_null_assertion_does_not_hide_what_a_receiver_is(tmp_path):
    """vue 3.5.0's tokenizer: `this.entityDecoder!.startEntity(...)` calls the `EntityDecoder`
    (the `entities` package's) the field is typed with; read with its `!`, the field was
    unknown and the call judged against the tokenizer's own `startEntity`, the one class of the
    workspace that has one. The control calls the tokenizer's own."""
    lib = (
        "import { EntityDecoder } from 'entities'\n\nexport class Tokenizer {\n"
        "  private entityDecoder?: EntityDecoder\n  startEntity(kind: number) {\n    return kind\n  }\n"
        "  feed() {\n    return CALL\n  }\n}\n"
    )
    change = dict(rel="lib.ts", use="lib.ts", old="(kind: number)", new="(kind: number, more: number)")
    asserted = lib.replace("CALL", "this.entityDecoder!.startEntity(1)")
    assert grows(tmp_path, asserted, "", "asserted", language="typescript", **change) == []
    own = lib.replace("CALL", "this.startEntity(1)")
    assert grows(tmp_path, own, "", "control", language="typescript", **change) == ["return this.startEntity(1)"]


# -- 8. a signature too long to be stored whole ---------------------------------------------------


def test_a_signature_cut_short_is_not_judged(tmp_path):
    rest = ", ".join(f"option_number_{i:02}: dict[str, list[tuple[int, str]]] | None = None" for i in range(30))
    lib = "def f(a, {}):\n    return a\n"
    caller = "from lib import f\n\nf(1)\n"
    assert len(rest) > 400
    change = dict(old="(a, ", new="(a, b, ")  # b: a required parameter, before the cut
    assert grows(tmp_path, lib.format(rest), caller, "long", **change) == []
    assert grows(tmp_path, lib.format("option_number_00=None"), caller, "control", **change) == ["f(1)"]


# -- 9. spread arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language,lib,call,control,old,new",
    [
        ("python", "def f(a):\n    return a\n", "f(*args)", "f(1)", "(a)", "(a, b)"),
        ("python", "def f(a):\n    return a\n", "f(**kw)", "f(1)", "(a)", "(a, b)"),
        ("python", "def f(a):\n    return a\n", "f(1, *args)", "f(1)", "(a)", "(a, b)"),
        (
            "typescript",
            "export function f(a: number): number {\n  return a;\n}\n",
            "f(...xs);",
            "f(1);",
            "(a: number)",
            "(a: number, b: number)",
        ),
    ],
)
def test_spread_arguments_may_pass_what_a_change_requires(tmp_path, language, lib, call, control, old, new):
    head, files = spread_case(language, old, new)
    assert grows(tmp_path, lib, f"{head}{call}\n", "spread", **files) == []
    assert grows(tmp_path, lib, f"{head}{control}\n", "control", **files) == [control]


def spread_case(language: str, old: str, new: str) -> tuple[str, dict[str, str]]:
    """The caller's first lines (``f`` imported, things to spread) and :func:`grows`' arguments."""
    python = language == "python"
    head = (
        "from lib import f\n\nnames, args, kw = ['a'], [1], {'a': 1}\n"
        if python
        else "import { f } from './lib';\nconst xs = [1];\n"
    )
    files = dict(
        rel="lib.py" if python else "lib.ts", use="use.py" if python else "use.ts", old=old, new=new, language=language
    )
    return head, files


@pytest.mark.parametrize(
    "language,lib,old,new,call,quiet",
    [
        # a keyword-only parameter added: `*names` cannot pass it (nox's `get_virtualenv(*backends,
        # envdir=...)` when `download_python` came), `**kw` can
        (
            "python",
            "def f(*names, envdir):\n    return names\n",
            "envdir)",
            "envdir, python)",
            "f(*names, envdir='.')",
            "f(*names, envdir='.', **kw)",
        ),
        # a keyword taken away: a spread does not take it back
        ("python", "def f(a, b=None):\n    return a\n", "(a, b=None)", "(a)", "f(*args, b=2)", "f(*args)"),
        # positional arguments past every parameter, whatever `**kw` holds
        ("python", "def f(a, b=None):\n    return a\n", "(a, b=None)", "(a)", "f(1, 2, **kw)", "f(1, **kw)"),
        (
            "typescript",
            "export function f(a: number, b?: number): number {\n  return a;\n}\n",
            "(a: number, b?: number)",
            "(a: number)",
            "f(1, 2, ...xs);",
            "f(...xs);",
        ),
    ],
)
def test_what_a_spread_cannot_pass_is_judged(tmp_path, language, lib, old, new, call, quiet):
    head, files = spread_case(language, old, new)
    assert grows(tmp_path, lib, f"{head}{call}\n", "flagged", **files) == [call]
    assert grows(tmp_path, lib, f"{head}{quiet}\n", "quiet", **files) == []


# -- code as first scanned ------------------------------------------------------------------------


def test_mismatched_calls_in_code_as_first_scanned_raise_nothing(tmp_path):
    knowledge = workspace(
        tmp_path,
        {
            "lib.py": "def f(a, b):\n    return a\n\n\nclass C:\n    def __init__(self, a, b):\n        self.a = a\n",
            "use.py": "from lib import f, C\n\nf(1)\nf(1, 2, 3)\nf(1, c=2)\nC(1)\n",
        },
    )
    assert problems(knowledge, tmp_path, "use.py") == []
    dream(knowledge.store, trigger="test")
    assert problems(knowledge, tmp_path, "use.py") == []


@pytest.mark.parametrize(
    "after,flagged",
    [
        # A module-level variable moved into a conditional block still exists: the parse does not see it there.
        (
            "import typing\n\nif typing.TYPE_CHECKING:\n    Errors = (ValueError,)\n\n\ndef check(x):\n    return x\n",
            [],
        ),
        # The control: a function deleted is flagged where it is imported.
        ("Errors = (ValueError,)\n", ["missing-symbol"]),
    ],
)
def test_a_variable_that_left_the_parses_view_is_not_called_deleted(tmp_path, after, flagged):
    knowledge = workspace(
        tmp_path,
        {
            "lib.py": "Errors = (ValueError,)\n\n\ndef check(x):\n    return x\n",
            "use.py": "from lib import Errors, check\n",
        },
    )
    dream(knowledge.store, trigger="test")
    rewrite(knowledge, tmp_path, {"lib.py": after})
    assert [p.code for p in problems(knowledge, tmp_path, "use.py")] == flagged


@pytest.mark.parametrize("body,flagged", [("    __init__ = _init\n", False), ("    size = 0\n", True)])
def test_a_class_that_lost_its_constructor_but_assigns_one_in_its_body_is_not_judged(tmp_path, body, flagged):
    """A class whose `def __init__` went takes nothing, unless its body binds `__init__` some
    other way (`__init__ = _init`): then what it takes is not what the memory read."""
    head = "def _init(self, size):\n    self.size = size\n\n\nclass Box:\n"
    lib, after = head + "    def __init__(self, size):\n        self.size = size\n", head + body
    caller = "from lib import Box\n\nbox = Box(3)\n"
    found = stale(tmp_path / "box", {"lib.py": lib, "use.py": caller}, {"lib.py": after}, "use.py")
    assert found == (["box = Box(3)"] if flagged else [])


@pytest.mark.parametrize(
    "heritage,flagged", [(' extends Schema.Class<A>("A")({ a: Schema.String })', False), ("", True)]
)
def test_a_typescript_class_on_a_base_a_call_makes_is_not_taken_for_one_without(tmp_path, heritage, flagged):
    """effect 3.19's test `class A { constructor(readonly a: number) {} }` became `class A extends
    Schema.Class<A>("A")({ a: Schema.String }) {}`: the constructor is the base's now, and what
    the call made takes `{ a }`. A class with no base at all takes nothing (the control)."""
    before = "export class A {\n  constructor(readonly a: number) {}\n}\n"
    after = "import { Schema } from 'effect'\n\nexport class A" + heritage + " {}\n"
    caller = "import { A } from './a'\n\nexport const made = new A({ a: 'a' })\n"
    found = stale(tmp_path / "a", {"a.ts": before, "use.ts": caller}, {"a.ts": after}, "use.ts", "typescript")
    assert found == (["export const made = new A({ a: 'a' })"] if flagged else [])


def test_a_typescript_object_literal_method_called_through_its_constant_is_not_a_static_method(tmp_path):
    """A method called through its class is a static one, judged; one of an object literal a
    constant holds is not (lit-html's `const d = NODE_MODE ? ({ createTreeWalker() {...} } as
    unknown as Document) : document`, then `d.createTreeWalker(d, 129)`: the DOM's, most days)."""
    lit = (
        "declare const NODE_MODE: boolean\n\nconst d =\n  NODE_MODE\n    ? ({\n"
        "        createTreeWalker(root: Node, what: number) {\n"
        "          return {};\n        },\n      } as unknown as Document)\n    : document;\n\n"
        "export const walker = d.createTreeWalker(d, 129);\n"
    )
    shrunk = lit.replace("createTreeWalker(root: Node, what: number) {", "createTreeWalker(root: Node) {")
    assert stale(tmp_path / "object", {"lit.ts": lit}, {"lit.ts": shrunk}, "lit.ts", "typescript") == []
    static = "export class Walker {\n  static createTreeWalker() {\n    return {};\n  }\n}\n"
    caller = "import { Walker } from './walker';\n\nexport const walker = Walker.createTreeWalker();\n"
    after = {"walker.ts": static.replace("createTreeWalker() {", "createTreeWalker(root: Node) {")}
    found = stale(tmp_path / "class", {"walker.ts": static, "use.ts": caller}, after, "use.ts", "typescript")
    assert found == ["export const walker = Walker.createTreeWalker();"]


ATTRIBUTES = """class AttributeImpl:
    def set(self, state, value, _adapt=True):
        return value


{below}

class State:
    def get_impl(self, key) -> AttributeImpl:
        return IMPLS[key]
"""
COLLECTION = "class CollectionAttributeImpl(AttributeImpl):\n" + ATTRIBUTES.split("\n\n\n")[0].split("\n", 1)[1] + "\n"


@pytest.mark.parametrize(
    "below,narrowed,flagged",
    [
        (COLLECTION, "    assert is_has_collection_adapter(dest_impl)\n", False),
        (COLLECTION, "    assert isinstance(dest_impl, CollectionAttributeImpl)\n", False),
        (COLLECTION, "", True),  # not narrowed: the method the annotation names
        ("", "    assert is_has_collection_adapter(dest_impl)\n", True),  # no override takes it
    ],
)
def test_a_call_an_override_takes_on_a_narrowed_receiver_is_not_judged_by_the_base(tmp_path, below, narrowed, flagged):
    """SQLAlchemy's `dest_impl = dest_state.get_impl(key)` is declared an `AttributeImpl`; narrowed
    by `assert is_has_collection_adapter(dest_impl)` (a type guard), `dest_impl.set(...,
    _adapt=False)` is the collection's. A call the base's method no longer takes but an
    override does, on a receiver the code narrowed, may be meant for the override."""
    caller = (
        "from attributes import State\n\n\ndef populate(dest_state: State, key):\n"
        f"    dest_impl = dest_state.get_impl(key)\n{narrowed}    return dest_impl.set(dest_state, [], _adapt=False)\n"
    )
    before = ATTRIBUTES.format(below=below)
    after = {
        "attributes.py": before.replace("def set(self, state, value, _adapt=True)", "def set(self, state, value)", 1)
    }
    found = stale(tmp_path / "impl", {"attributes.py": before, "use.py": caller}, after, "use.py")
    assert found == (["return dest_impl.set(dest_state, [], _adapt=False)"] if flagged else [])
