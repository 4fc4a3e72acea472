"""Hover, called directly: ``render`` on hand-made cards, ``hover`` on an open document over a real store."""

from __future__ import annotations

import contextlib
import doctest
import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from workspaces import workspace

from kairos_lsp.documents import Document
from kairos_lsp.dream import dream
from kairos_lsp.features import hover as hover_feature
from kairos_lsp.features.hover import first_paragraph, render
from kairos_lsp.knowledge import Callers, Card

ROW = {
    "qualname": "Cart.total",
    "name": "total",
    "path": "shop/cart.py",
    "kind": "method",
    "start_line": 9,
    "name_line": 11,
}


def fact(predicate, value="true", status="firm", evidence=2):
    return {"predicate": predicate, "object": value, "status": status, "evidence_count": evidence}


def caller(qualname, path="shop/cart.py"):
    return {"qualname": qualname, "path": path}


@pytest.mark.parametrize(
    "card, row, language, first_line",
    [
        (Card("k", kind="function", signature="add(a, b=1)"), {"qualname": "add"}, "python", "def add(a, b=1)"),
        (Card("k", kind="method", signature="total(self)"), ROW, "python", "def total(self)"),
        (Card("k", kind="class", signature="Cart"), ROW, "python", "class Cart"),
        (Card("k", kind="function", signature="f(a: number)"), {}, "typescript", "function f(a: number)"),
        (Card("k", kind="interface", signature="Shape"), {}, "tsx", "interface Shape"),
        # anonymous default exports (named `default`, as importers reach them), shown as written
        (
            Card("k", kind="function", signature="default(n: number): number"),
            {"qualname": "default"},
            "typescript",
            "export default function (n: number): number",
        ),
        (
            Card("k", kind="class", signature="default extends Component"),
            {"qualname": "default"},
            "javascript",
            "export default class extends Component",
        ),
        (Card("k", kind="class"), {"qualname": "default"}, "tsx", "export default class"),
        (Card("k", kind="function", signature="default(o)"), {"qualname": "default"}, "python", "def default(o)"),
        (Card("k", kind="function", signature="Run() error"), {}, "go", "func Run() error"),
        (Card("k", kind="interface", signature="Draw"), {}, "rust", "trait Draw"),
        (Card("k", kind="variable", signature="LIMIT = 3"), {}, "python", "LIMIT = 3"),  # no keyword
        (Card("k"), {"qualname": "Cart.total", "kind": "method"}, "python", "def Cart.total"),  # no signature
        (Card("k"), {"name": "x"}, None, "x"),
        (Card("k"), {}, "python", "?"),
    ],
)
def test_the_signature_comes_first_with_its_language_keyword(card, row, language, first_line):
    text = render(card, row, language)
    assert text.startswith(f"```{language or ''}\n{first_line}\n```")


@pytest.mark.parametrize(
    "card, expected, absent",
    [
        (Card("k", docstring="Add two numbers.\n\nLong story.", summary="Adds."), "Add two numbers.", "Long story"),
        (Card("k", summary="Adds numbers."), "Adds numbers.", None),  # the dream's summary, else
        (Card("k", docstring="   \n\n", summary="Adds."), "Adds.", None),  # a blank docstring says nothing
    ],
)
def test_what_it_does(card, expected, absent):
    text = render(card, ROW, "python")
    assert expected in text
    if absent:
        assert absent not in text


@pytest.mark.parametrize(
    "insights, expected",
    [
        ([fact("pure")], "**pure**"),
        ([fact("may_handle", "network")], "**handles** network"),
        (
            [fact("role", "entry point", status="tentative", evidence=1)],
            "**role** entry point *(tentative, 1 evidence)*",
        ),
        ([fact("renamed_from", "python:shop/cart.py:Cart.sum")], "**renamed from** Cart.sum"),
        ([fact("tested_by", "python:tests/test_cart.py:test_total")], "**tested by** `test_total`"),
        (
            [fact("tested_by", f"python:tests/t.py:test_{i}") for i in range(5)],
            "**tested by** `test_0`, `test_1` and 3 more",
        ),
        ([fact("role", "x", status="tentative"), fact("pure")], "**pure** · **role** x *(tentative, 2 evidence)*"),
        (  # what a tentative claim rests on, when the card knows: a name says less than calls
            [{**fact("may_handle", "file I/O", status="tentative", evidence=1), "sources": ["name"]}],
            "**handles** file I/O *(tentative: its name)*",
        ),
        (
            [{**fact("may_handle", "network", status="tentative"), "sources": ["imports", "calls", "docstring"]}],
            "**handles** network *(tentative: its docstring, calls and imports)*",
        ),
    ],
)
def test_facts_firm_plainly_tentative_marked(insights, expected):
    assert expected in render(Card("k", signature="total(self)", insights=insights), ROW, "python")


def test_raises_and_withheld_facts():
    card = Card("k", raises=["ValueError", "KeyError", "A", "B", "C"], stale=True)
    text = render(card, ROW, "python")
    assert "**raises** `ValueError`, `KeyError`, `A`, `B`" in text and "`C`" not in text
    assert "*changed since the last dream: facts withheld*" in text


@pytest.mark.parametrize(
    "callers, expected",
    [
        (Callers(), None),
        (Callers(1, [caller("Shop.checkout")]), "**called by** 1: `Shop.checkout`"),
        (
            Callers(2, [caller("main", "app.py"), caller("", "run.py")]),
            "**called by** 2: `main` (app.py), `run.py` (run.py)",
        ),
        (Callers(7, [caller("a"), caller("b"), caller("c")]), "**called by** 7: `a`, `b`, `c`, …"),
        (Callers(400, [caller("a")], more=True), "**called by** 400+: `a`, …"),
        (Callers(0, [], more=True), "**called by** none found yet; hover again to look further"),
    ],
)
def test_callers(callers, expected):
    text = render(Card("k", path="shop/cart.py", callers=callers), ROW, "python")
    if expected is None:
        assert "called by" not in text
    else:
        assert expected in text


@pytest.mark.parametrize(
    "changed, test, expected",
    [
        ({"at": "2026-11-23T20:14:03.120Z", "changed": True}, None, "changed 2026-11-23 20:14"),
        ({"at": "2026-11-23T20:14:03.120Z", "changed": False}, None, "first seen 2026-11-23 20:14"),
        (
            None,
            {
                "failed": True,
                "at": "2026-11-24T08:00:00Z",
                "detail": "AssertionError at t.py:5",
                "runs": 5,
                "failures": 2,
            },
            "**failed 2 of the last 5 runs**; last: AssertionError at t.py:5, 2026-11-24 08:00",
        ),
        (
            None,
            {"failed": True, "at": "2026-11-24T08:00:00Z", "detail": "AssertionError", "runs": 1, "failures": 1},
            "**failed its last run**; last: AssertionError, 2026-11-24 08:00",
        ),
        (
            None,
            {"failed": False, "at": "2026-11-24T08:00:00Z", "detail": "", "runs": 3, "failures": 1},
            "failed 1 of the last 3 runs; passed the last, 2026-11-24 08:00",
        ),
        (None, {"failed": False, "at": "2026-11-24T08:00:00Z", "detail": "", "runs": 2, "failures": 0}, None),
    ],
)
def test_history(changed, test, expected):
    text = render(Card("k", changed=changed, test=test), ROW, "python")
    if expected is None:
        assert "changed" not in text and "failed" not in text
    else:
        assert expected in text


@pytest.mark.parametrize(
    "row, expected",
    [
        (ROW, "*method* in `Cart` · `shop/cart.py` line 12"),  # the name's line, 1-based
        ({"qualname": "f", "path": "a.py", "start_line": 0}, "*function* · `a.py` line 1"),
        ({"qualname": "f"}, "*function*"),
    ],
)
def test_where(row, expected):
    assert render(Card("k", kind="function" if row is not ROW else "method"), row, "python").endswith(expected)


def test_first_paragraph_is_cut_to_size():
    assert first_paragraph(None) is None and first_paragraph("") is None
    long = "word " * 200
    assert len(first_paragraph(long)) == 600 and first_paragraph(long).endswith("…")


def test_module_examples():
    assert doctest.testmod(hover_feature).failed == 0


# -- hover() on a document over a real store ----------------------------------------------

LIB = '''def price(amount, rate=0.2):
    """Price with tax.

    Rounded to cents.
    """
    return round(amount * (1 + rate), 2)
'''
APP = 'from lib import price\n\n\ndef total(items):\n    return ("😀", sum(price(i) for i in items))\n'


@pytest.fixture
def knowledge(tmp_path):
    knowledge = workspace(tmp_path, {"lib.py": LIB, "app.py": APP})
    dream(knowledge.store, trigger="test")
    yield knowledge
    knowledge.store.close()


@pytest.mark.parametrize(
    "path, line, character, encoding, expected",
    [
        ("lib.py", 0, 5, "utf-16", "def price(amount, rate=0.2)"),  # on the definition
        ("app.py", 3, 5, "utf-16", "def total(items)"),
        ("app.py", 4, 23, "utf-16", "def price(amount, rate=0.2)"),  # a reference, after an emoji
        ("app.py", 4, 28, "utf-8", "def price(amount, rate=0.2)"),
        ("app.py", 4, 28, "utf-16", None),  # the same column in UTF-16: `i`
        ("app.py", 0, 17, "utf-8", "def price(amount, rate=0.2)"),  # the name in the import
        ("app.py", 1, 0, "utf-16", None),  # an empty line
        ("app.py", 40, 0, "utf-16", None),  # past the end
    ],
)
def test_hover_on_a_document(knowledge, path, line, character, encoding, expected):
    doc = Document(f"file:///ws/{path}", path, "python", {"lib.py": LIB, "app.py": APP}[path])
    result = hover_feature.hover(knowledge, doc, line, character, encoding)
    if expected is None:
        assert result is None
        return
    assert isinstance(result, types.Hover) and result.contents.kind == types.MarkupKind.Markdown
    assert expected in result.contents.value


@pytest.mark.parametrize("encoding, character, start", [("utf-16", 23, 22), ("utf-8", 25, 24), ("utf-32", 22, 21)])
def test_hover_card_and_word_range(knowledge, encoding, character, start):
    doc = Document("file:///ws/app.py", "app.py", "python", APP)
    result = hover_feature.hover(knowledge, doc, 4, character, encoding)
    assert "Price with tax." in result.contents.value and "Rounded to cents" not in result.contents.value
    assert "**called by** 1: `total` (app.py)" in result.contents.value
    assert result.range == types.Range(
        start=types.Position(line=4, character=start), end=types.Position(line=4, character=start + 5)
    )


def test_the_card_is_typed(knowledge):
    card = knowledge.card("python:lib.py:price")
    assert isinstance(card, Card) and card.kind == "function" and card.callers.count == 1
    assert card.path == "lib.py" and not card.stale


@contextlib.contextmanager
def stdlib_hovers(tmp_path: Path, modules: list[str]):
    """``hover_of(key)`` over copies of the standard library's ``modules``, scanned and dreamed."""
    import sysconfig

    from kairos_lsp.knowledge import Knowledge
    from kairos_lsp.scan import scan_workspace
    from kairos_lsp.store import Store

    for module in modules:
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(sysconfig.get_paths()["stdlib"]) / module, tmp_path / module)
    with Store(tmp_path / "memory.db") as store:
        scan_workspace(tmp_path, store, jobs=1)
        dream(store, trigger="test")
        knowledge = Knowledge(store)
        yield lambda key: render(knowledge.card(key), store.symbol(key), "python")


def test_a_tentative_claim_says_what_it_rests_on(tmp_path):
    """The standard library's json package: ``json.load(fp)`` handles file I/O by its name
    (beside its ``fp``) and its docstring ("a .read()-supporting file-like object"),
    ``json.dump`` by its docstring alone; a hover says so, where it said "2 evidence"."""
    json = [f"json/{module}" for module in ("__init__.py", "decoder.py", "encoder.py", "scanner.py")]
    with stdlib_hovers(tmp_path, json) as hover_of:
        assert "**handles** file I/O *(tentative: its name and docstring)*" in hover_of("python:json/__init__.py:load")
        assert "**handles** file I/O *(tentative: its docstring)*" in hover_of("python:json/__init__.py:dump")


def test_what_a_function_writes_beyond_its_scope_is_on_its_hover(tmp_path):
    """The standard library's ``gettext.textdomain`` sets the module's ``_current_domain``
    and ``operator.setitem`` its argument's item: the hover says so, where the memory
    called both pure."""
    with stdlib_hovers(tmp_path, ["gettext.py", "operator.py"]) as hover_of:
        textdomain = hover_of("python:gettext.py:textdomain")
        assert "**writes** `_current_domain`" in textdomain and "**pure**" not in textdomain
        setitem = hover_of("python:operator.py:setitem")
        assert "**writes** `a[…]`" in setitem and "**pure**" not in setitem
        assert "**pure**" in hover_of("python:operator.py:getitem") and "**writes**" not in hover_of(
            "python:operator.py:getitem"
        )


def test_a_long_list_of_writes_is_counted():
    text = render(Card("k", writes=["_a", "_b", "_c", "_d", "_e", "_f"]), ROW, "python")
    assert "**writes** `_a`, `_b`, `_c`, `_d` and 2 more" in text


def test_claudes_summary_is_shown_marked_and_only_for_an_undocumented_symbol():
    claude = {"text": "Adds tax for the region to a price.", "model": "claude-haiku-5-5", "at": "2026-12-01T10:00:00Z"}
    text = render(Card("k", summary="Takes price and region.", claude=claude), ROW, "python")
    assert "Adds tax for the region to a price.  \n*summary by Claude (claude-haiku-5-5, 2026-12-01)*" in text
    assert "Takes price and region." not in text  # the offline sentence gives way
    documented = render(Card("k", docstring="Price with tax.", claude=claude), ROW, "python")
    assert "Price with tax." in documented and "Claude" not in documented  # the author's words come first


def test_a_claude_summary_stands_for_the_body_it_was_written_for(tmp_path):
    from kairos_lsp.knowledge import Knowledge
    from kairos_lsp.scan import scan_workspace
    from kairos_lsp.store import Store

    (tmp_path / "tax.py").write_text("def add_tax(price, region):\n    return price * RATES[region]\n")
    with Store(tmp_path / "memory.db") as store:
        scan_workspace(tmp_path, store, jobs=1)
        key = "python:tax.py:add_tax"
        body = store.body_hash(key)
        store.add_claude_summaries([(key, body, "claude-haiku-5-5", "Adds the region's tax.", "2026-12-01T10:00:00Z")])
        knowledge = Knowledge(store)
        assert "*summary by Claude (claude-haiku-5-5, 2026-12-01)*" in render(
            knowledge.card(key), store.symbol(key), "python"
        )
        (tmp_path / "tax.py").write_text("def add_tax(price, region):\n    return price * RATES[region] + 1\n")
        scan_workspace(tmp_path, store, jobs=1)
        assert "Claude" not in render(knowledge.card(key), store.symbol(key), "python")  # another body now


def test_callers_beyond_the_budget_come_with_the_next_hovers(tmp_path):
    # Ten functions call price(); with no time to spare, each look still gets further.
    calls = "".join(f"\n\ndef use_{i}(x):\n    return price(x)\n" for i in range(10))
    knowledge = workspace(tmp_path, {"lib.py": LIB, "app.py": "from lib import price\n" + calls})
    try:
        looks = [knowledge.callers("python:lib.py:price", until=0.0) for _ in range(11)]
        # the first look reads app.py's imports and stops (its lookup has lib.py left to read),
        # the next examines 2 call sites, each next look one more (then the answer is kept)
        assert [(c.count, c.more) for c in looks] == [(0, True)] + [(n, True) for n in range(2, 10)] + [(10, False)] * 2
        assert [c["qualname"] for c in looks[-1].first] == ["use_0", "use_1", "use_2"]
    finally:
        knowledge.store.close()


def test_a_caller_behind_a_long_star_import_chase_comes_within_a_few_reads_per_hover(tmp_path):
    # networkx's and sympy's packages re-export hundreds of modules with ``import *``: resolving
    # one call site read a hundred files, 15 ms, past a hover's budget. Each look stops after a
    # read once out of time, and the next goes on from what it read.
    sub = {f"pkg/s{i}/__init__.py": "".join(f"from pkg.s{i}.m{j} import *\n" for j in range(6)) for i in range(6)}
    mods = {f"pkg/s{i}/m{j}.py": f"def f_{i}_{j}(x):\n    return x\n" for i in range(6) for j in range(6)}
    mods["pkg/s5/m5.py"] += "\n\ndef price(x):\n    return x\n"
    files = {
        "pkg/__init__.py": "".join(f"from pkg.s{i} import *\n" for i in range(6)),
        **sub,
        **mods,
        "app.py": "import pkg\n\n\ndef checkout(x):\n    return pkg.price(x)\n",
    }
    knowledge = workspace(tmp_path, files)
    knowledge.resolver.index_modules()  # as the server does once it starts
    statements: list[str] = []
    reads: list[int] = []
    try:
        knowledge.store.db.conn.set_trace_callback(statements.append)
        looks = []
        while not looks or looks[-1].more:
            statements.clear()
            looks.append(knowledge.callers("python:pkg/s5/m5.py:price", until=0.0))
            reads.append(sum("FROM files WHERE path IN" in s for s in statements))  # files read together
            assert len(looks) < 40
        assert [(c.count, c.more) for c in looks] == [(0, True)] * (len(looks) - 1) + [(1, False)]
        assert max(reads) == 1 and len(looks) >= 4, reads  # the chase took several looks, one read each
        assert [c["qualname"] for c in looks[-1].first] == ["checkout"]
    finally:
        knowledge.store.db.conn.set_trace_callback(None)
        knowledge.store.close()
    fresh = workspace(tmp_path, {})  # the same search with time to spare: one look, all the reads
    fresh.resolver.index_modules()
    try:
        statements.clear()
        fresh.store.db.conn.set_trace_callback(statements.append)
        whole = fresh.callers("python:pkg/s5/m5.py:price")
        assert (whole.count, whole.more, [c["qualname"] for c in whole.first]) == (1, False, ["checkout"])
        assert sum("FROM files WHERE path IN" in s for s in statements) == sum(reads)
    finally:
        fresh.store.close()


def test_a_word_no_import_binds_is_taken_for_its_one_top_level_definition_unless_the_name_is_everywhere(tmp_path):
    # ``obj.handle(1)``: nothing says what obj is; a name defined once at the top level is a fair
    # guess, one that a thousand classes define too (``__init__``, ``__call__``) is none.
    method = "\n\nclass {}:\n    def handle(self, x):\n        return x\n"
    lib = "def handle(x):\n    return x\n" + "".join(method.format(f"Job{i}") for i in range(3))
    app = "def run(obj):\n    return obj.handle(1)\n"
    doc = Document("file:///ws/app.py", "app.py", "python", app)
    few = workspace(tmp_path / "few", {"lib.py": lib, "app.py": app})
    try:
        shown = hover_feature.hover(few, doc, 1, 16)
        assert shown is not None and "def handle(x)" in shown.contents.value
        assert "`lib.py` line 1" in shown.contents.value
    finally:
        few.store.close()
    crowded = "".join(method.format(f"Task{i}") for i in range(1000))
    many = workspace(tmp_path / "many", {"lib.py": lib, "tasks.py": crowded, "app.py": app})
    try:
        assert hover_feature.hover(many, doc, 1, 16) is None
        on_the_definition = Document("file:///ws/lib.py", "lib.py", "python", lib)
        assert "def handle(x)" in hover_feature.hover(many, on_the_definition, 0, 5).contents.value
    finally:
        many.store.close()


def test_a_private_method_s_hover_says_who_calls_it(tmp_path):
    """TanStack Query's ``Query`` changes its state through ``#dispatch``, called from its
    public methods and the closures of ``fetch``: the private method was no symbol, so its
    hover was empty and "called by" counted nothing (the call index took ``this.#dispatch``
    for a call of ``dispatch``)."""
    import released

    from kairos_lsp.knowledge import Knowledge
    from kairos_lsp.scan import scan_workspace
    from kairos_lsp.store import Store

    tree = released.fetched(released.Project("@tanstack/query-core", "5.59.20", "npm", "src"))
    shutil.copytree(tree, tmp_path / "src")
    with Store(tmp_path / "memory.db") as store:
        scan_workspace(tmp_path, store, jobs=1)
        dream(store, trigger="test")
        knowledge = Knowledge(store)
        key = "typescript:src/query.ts:Query.#dispatch"
        card = knowledge.card(key, callers=20)
        text = render(card, store.symbol(key), "typescript")
    assert text.startswith("```typescript\n#dispatch(action: Action<TData, TError>): void")
    callers = {c["qualname"] for c in card.callers.first}
    # (read in query.ts: `this.#dispatch(` in these methods and fetch's callbacks)
    assert {"Query.setData", "Query.setState", "Query.invalidate", "Query.fetch"} <= callers
    assert {"Query.fetch.onError", "Query.fetch.onFail", "Query.fetch.onPause", "Query.fetch.onContinue"} <= callers
    assert "**called by** 8:" in text


def test_a_default_export_is_called_by_whatever_name_it_is_imported_under(tmp_path):
    """``import twice from './anon'`` calls an anonymous default export, ``import hi from './c'``
    one bound by ``export { hello as default }``, ``var Conn = require('./client')`` a class its
    module exports (``module.exports = Client``): "called by" finds their callers."""
    files = {
        "src/anon.ts": "export default function (n: number) {\n  return n * 2\n}\n",
        "src/c.ts": "function hello(x: string) { return x }\nexport { hello as default }\n",
        "src/b.ts": "import twice from './anon'\nimport hi from './c'\n\n"
        "export function main() {\n  return [twice(2), hi('y')]\n}\n",
        "src/d.ts": "import hello from './c'\n\nexport const run = () => hello('z')\n",
        # CommonJS: what `require` returns, under another name
        "lib/router/index.js": "module.exports = function (options) { return options; };\n",
        "lib/client.js": "class Client { close() {} }\nmodule.exports = Client;\n",
        "lib/app.js": "var Router = require('./router');\nvar Conn = require('./client');\n"
        "function lazy() { return Router({}); }\nfunction open() { return new Conn(); }\n",
    }
    knowledge = workspace(tmp_path, files)
    anon = knowledge.callers("typescript:src/anon.ts:default", 5)
    hello = knowledge.callers("typescript:src/c.ts:hello", 5)
    router = knowledge.callers("javascript:lib/router/index.js:exports", 5)
    client = knowledge.callers("javascript:lib/client.js:Client", 5)
    knowledge.store.close()
    assert [c["key"] for c in router.first] == ["javascript:lib/app.js:lazy"]
    assert [c["key"] for c in client.first] == ["javascript:lib/app.js:open"]
    assert [c["key"] for c in anon.first] == ["typescript:src/b.ts:main"]
    assert sorted(c["key"] for c in hello.first) == ["typescript:src/b.ts:main", "typescript:src/d.ts:run"]


def test_a_constant_an_expression_makes_is_hovered_and_called_from_another_file(tmp_path):
    """A zod schema or a zustand store is a module constant made by a call: hovering its use in
    another file shows what it is and who calls it (before, it was no symbol: no hover at all)."""
    files = {
        "src/store.ts": "/** The counter's store. */\nexport const useStore = create((set) => ({ count: 0 }))\n",
        "src/app.ts": "import { useStore } from './store'\n\nexport function Counter() {\n  return useStore()\n}\n",
    }
    knowledge = workspace(tmp_path, files)
    dream(knowledge.store, trigger="test")
    try:
        doc = Document("file:///ws/src/app.ts", "src/app.ts", "typescript", files["src/app.ts"])
        result = hover_feature.hover(knowledge, doc, 3, 11, "utf-16")
    finally:
        knowledge.store.close()
    assert isinstance(result, types.Hover)
    assert "The counter's store." in result.contents.value
    assert "**called by** 1: `Counter` (src/app.ts)" in result.contents.value


def test_a_constant_is_shown_as_declared_where_it_is_used(tmp_path):
    """A constant's hover is headed by its declaration as written, read from the file (the
    memory keeps no value): `TIMEOUT = 60 * 1000`, not the bare name, in whichever file it is
    used; past a doc comment; one line, cut short. When the file no longer has the name where
    the memory saw it (changed since), the name alone: never another line's text."""
    files = {
        "lib.py": "#: seconds\nTIMEOUT: float = 60 * 1.5\napp = Flask(\n    __name__,\n)\n"
        f"BIG = [{', '.join(str(n) for n in range(100))}]\n",
        "use.py": "from lib import TIMEOUT, app, BIG\n\nprint(TIMEOUT, app, BIG)\n",
        "src/store.ts": "/** The users' schema. */\nexport const User = z.object({ name: z.string() })\n",
        "src/app.ts": "import { User } from './store'\n\nexport function parse(x: unknown) {\n"
        "  return User.parse(x)\n}\n",
    }
    knowledge = workspace(tmp_path, files)

    def heading(path: str, language: str, line: int, character: int) -> str:
        doc = Document((tmp_path / path).as_uri(), path, language, (tmp_path / path).read_text())
        return hover_feature.hover(knowledge, doc, line, character).contents.value.split("\n")[1]

    try:
        assert heading("use.py", "python", 2, 7) == "TIMEOUT: float = 60 * 1.5"
        assert heading("use.py", "python", 2, 16) == "app = Flask( __name__, )"
        big = heading("use.py", "python", 2, 21)
        assert big.startswith("BIG = [0, 1, 2") and big.endswith("…") and len(big) <= 120
        assert heading("lib.py", "python", 1, 2) == "TIMEOUT: float = 60 * 1.5"  # (on its definition)
        assert heading("src/app.ts", "typescript", 3, 10) == "const User = z.object({ name: z.string() })"
        (tmp_path / "lib.py").write_text("\n" + files["lib.py"])  # (not looked at since)
        assert heading("use.py", "python", 2, 7) == "TIMEOUT"
    finally:
        knowledge.store.close()


def test_a_constant_far_down_a_large_file_shows_its_whole_declaration(tmp_path):
    """The file on disk is read only as far as the lines shown: a constant written across
    lines that straddle where a read stops, far down a module with Windows line ends, still
    shows whole, and one near the top of the same file too."""
    filler = "".join(f"def f{n}(x):\r\n    return x + {n}\r\n\r\n" for n in range(4000))  # (about 150 KB)
    head = "FIRST = 1\r\n" + filler
    pad = "#" * (2 * 65536 - 12 - len(head) % 65536) + "\r\n"  # (LIMITS' lines astride 256 KiB)
    lib = head + pad + "LIMITS = {\r\n    'a': 1,\r\n    'b': 2,\r\n}\r\n" + filler
    files = {"lib.py": lib, "use.py": "from lib import FIRST, LIMITS\n\nprint(FIRST, LIMITS)\n"}
    knowledge = workspace(tmp_path, files)
    doc = Document((tmp_path / "use.py").as_uri(), "use.py", "python", files["use.py"])
    try:
        limits = hover_feature.hover(knowledge, doc, 2, 14).contents.value.split("\n")[1]
        first = hover_feature.hover(knowledge, doc, 2, 7).contents.value.split("\n")[1]
    finally:
        knowledge.store.close()
    assert limits == "LIMITS = { 'a': 1, 'b': 2, }"
    assert first == "FIRST = 1"


def test_what_the_code_says_is_deprecated_leads_the_facts():
    text = render(Card("k", deprecated=["'fetch' is deprecated; use 'get'"], raises=["KeyError"]), ROW, "python")
    assert "**deprecated** 'fetch' is deprecated; use 'get' · **raises** `KeyError`" in text


KEEPING = """def _split(s):
    return s.split()


def __getattr__(name):
    if name == "split_opt":
        import warnings

        warnings.warn("'parser.split_opt' is deprecated; use 'str.split'", DeprecationWarning, stacklevel=2)
        return _split
    raise AttributeError(name)
"""


def test_a_name_a_modules_getattr_keeps_shows_its_warning(tmp_path):
    """click 8.2's `parser.split_opt` has no definition left: a hover on a use says what its
    module's `__getattr__` warns (on released code too: it is what the code says, no alarm)."""
    app = "from pkg.parser import split_opt\nfrom pkg import parser\n\nparser.split_opt('a b')\nparser.other\n"
    knowledge = workspace(tmp_path, {"pkg/__init__.py": "", "pkg/parser.py": KEEPING, "app.py": app})
    doc = Document("file:///ws/app.py", "app.py", "python", app)
    for line, character in ((0, 25), (3, 10)):
        shown = hover_feature.hover(knowledge, doc, line, character).contents.value
        assert shown.startswith("```python\nsplit_opt\n```")
        assert "**deprecated** 'parser.split_opt' is deprecated; use 'str.split'" in shown
        assert "`__getattr__`* · `pkg/parser.py`" in shown
    assert hover_feature.hover(knowledge, doc, 4, 9) is None  # a name it does not keep
