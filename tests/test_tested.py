"""``tested_by``: which tests exercise a symbol, derived by the dream across files."""

from __future__ import annotations

import ast
from pathlib import Path

from released import stdlib_source

from kairos_lsp.config import Settings
from kairos_lsp.documents import Document
from kairos_lsp.dream import dream, facts_for, record_verdict
from kairos_lsp.dream.tested import is_test
from kairos_lsp.features.hover import hover, render
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

LIB = "def price(qty):\n    return qty * 2\n\n\ndef other():\n    return 1\n"
TEST = "from shop.prices import price\n\n\ndef test_price():\n    assert price(2) == 4\n"
TEST_KEY = "python:tests/test_prices.py:test_price"


def exercised_by(store: Store, key: str) -> dict[str, tuple[str, float]]:
    """{test: (status, confidence)} of ``key``'s tested_by facts; of a test that exercised it,
    then not, then again, the live fact (the retracted one is kept in the history)."""
    found: dict[str, tuple[str, float]] = {}
    for fact in facts_for(store, key):
        if fact["predicate"] == "tested_by" and (fact["value"] not in found or fact["status"] != "retracted"):
            found[fact["value"]] = (fact["status"], fact["confidence"])
    return found


def step(root: Path, store: Store, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    scan_workspace(root, store, Settings())
    dream(store, trigger="test")


def test_a_test_that_calls_a_function_and_then_runs_makes_a_firm_fact(tmp_path):
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": LIB, "tests/test_prices.py": TEST})
    assert exercised_by(store, "python:shop/prices.py:price") == {TEST_KEY: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/prices.py:other") == {}

    store.record_outcomes([(TEST_KEY, False, "passed")])  # a captured run: the second source
    dream(store, trigger="test")
    assert exercised_by(store, "python:shop/prices.py:price") == {TEST_KEY: ("firm", 0.88)}

    # The test now calls other(): the old fact is retracted, a new one appears.
    step(
        tmp_path,
        store,
        {"tests/test_prices.py": "from shop.prices import other\n\n\ndef test_price():\n    assert other() == 1\n"},
    )
    assert exercised_by(store, "python:shop/prices.py:price") == {TEST_KEY: ("retracted", 0.88)}
    assert exercised_by(store, "python:shop/prices.py:other")[TEST_KEY][0] == "firm"


def test_a_symbol_gone_and_back_within_one_dream_keeps_the_tests_settled_before_it_went(tmp_path):
    """Three looks, one dream, a batch each: the test file changes (its tests are settled),
    then ``price`` goes (the merge retracts the facts naming it), then comes back. The tests
    settled before it went are settled again: their facts are live at the end, as a fresh
    look at the tree finds them."""
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": LIB, "tests/test_prices.py": TEST})
    more = TEST + "\n\ndef test_more():\n    assert price(1) == 2\n"
    for files in (
        {"tests/test_prices.py": more},
        {"shop/prices.py": "def other():\n    return 1\n"},
        {"shop/prices.py": LIB},
    ):
        for rel, text in files.items():
            (tmp_path / rel).write_text(text)
        scan_workspace(tmp_path, store, Settings())
    dream(store, trigger="test", batch_size=1)
    found = exercised_by(store, "python:shop/prices.py:price")
    assert {test: status for test, (status, _) in found.items()} == {
        TEST_KEY: "tentative",
        "python:tests/test_prices.py:test_more": "tentative",
    }
    fresh = Store(tmp_path / "fresh.db")
    scan_workspace(tmp_path, fresh, Settings())
    dream(fresh, trigger="test")
    assert {test: status for test, (status, _) in exercised_by(fresh, "python:shop/prices.py:price").items()} == {
        test: status for test, (status, _) in found.items()
    }


def test_a_rejected_tested_by_is_not_brought_back_by_the_same_test(tmp_path):
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": LIB, "tests/test_prices.py": TEST})
    fact = next(f for f in facts_for(store, "python:shop/prices.py:price") if f["predicate"] == "tested_by")
    record_verdict(store, fact["id"], confirm=False)
    step(tmp_path, store, {"tests/test_prices.py": TEST + "\n\ndef test_more():\n    assert price(1) == 2\n"})
    facts = exercised_by(store, "python:shop/prices.py:price")
    assert facts[TEST_KEY][0] == "retracted"  # rejected, and it stays so
    assert facts["python:tests/test_prices.py:test_more"][0] == "tentative"  # another test is new evidence


def test_what_counts_as_a_test():
    assert is_test("python:tests/test_a.py:test_b") and is_test("python:pkg/a_test.py:Suite.test_x")
    assert is_test("go:net/http_test.go:TestServe") and is_test("typescript:src/a.test.ts:testParse")
    assert is_test("rust:src/lib.rs:parses", decorators=["test"])
    assert not is_test("python:src/tests.py:helper") and not is_test("python:src/app.py:test_mode")


def test_a_module_consolidated_after_its_tests_keeps_its_tested_by(tmp_path):
    # "tests/" sorts before "zoo/": the dream reads the test first, then the module
    # (whose own insights are re-derived then), and the tested_by fact must survive that.
    store = Store(tmp_path / "memory.db")
    for rel, text in {"zoo/prices.py": LIB, "tests/test_prices.py": TEST.replace("shop.prices", "zoo.prices")}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    scan_workspace(tmp_path, store, Settings())
    dream(store, trigger="test", batch_size=1)  # one file per batch: the module comes in a later one
    assert exercised_by(store, "python:zoo/prices.py:price") == {TEST_KEY: ("tentative", 0.6)}


def test_a_card_names_the_first_tests_firm_first_and_counts_them_all(tmp_path):
    # A helper every test calls has thousands of tested_by facts: the card holds two, and the count.
    tests = "from shop.prices import price\n" + "".join(
        f"\n\ndef test_{name}():\n    assert price({i}) == {2 * i}\n" for i, name in enumerate("edcba")
    )
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": LIB, "tests/test_prices.py": tests})
    store.record_outcomes([("python:tests/test_prices.py:test_d", False, "passed")])  # firm: named first
    dream(store, trigger="test")
    card = Knowledge(store).card("python:shop/prices.py:price")
    assert (card.tests, card.more_tests) == (5, False)
    assert [(f["object"].rsplit(":", 1)[1], f["status"]) for f in card.insights if f["predicate"] == "tested_by"] == [
        ("test_d", "firm"),
        ("test_a", "tentative"),
    ]
    text = render(card, store.symbol("python:shop/prices.py:price"), "python")
    assert "**tested by** `test_d`, `test_a` *(tentative, 1 evidence)* and 3 more" in text


def test_a_card_counts_a_hundred_tests_and_says_there_are_more(tmp_path, monkeypatch):
    monkeypatch.setattr("kairos_lsp.knowledge.TESTS_COUNTED", 3)
    tests = "from shop.prices import price\n" + "".join(
        f"\n\ndef test_{name}():\n    assert price({i}) == {2 * i}\n" for i, name in enumerate("edcba")
    )
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": LIB, "tests/test_prices.py": tests})
    card = Knowledge(store).card("python:shop/prices.py:price")
    assert (card.tests, card.more_tests) == (3, True)
    text = render(card, store.symbol("python:shop/prices.py:price"), "python")
    assert " and 1+ more" in text


def test_a_test_reading_a_package_through_star_imports_follows_a_change_anywhere_in_it(tmp_path):
    """Resolving ``from pkg import f`` reads every module ``pkg/__init__.py`` star-imports
    before the one defining ``f``: a definition that now comes first in any of them, in a
    later look at that file alone, moves each test file's fact."""
    modules = {f"pkg/m{i}.py": f"def helper{i}():\n    return {i}\n" for i in range(12)}
    modules["pkg/m9.py"] += "\n\ndef target():\n    return 'm9'\n"
    order = [9, *range(9), 10, 11]  # m9 first: any later star import defining target overrides it
    modules["pkg/__init__.py"] = "".join(f"from .m{i} import *\n" for i in order)
    tests = {f"tests/test_{n}.py": f"from pkg import target\n\n\ndef test_{n}():\n    assert target()\n" for n in "ab"}
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {**modules, **tests})
    test_keys = {f"python:tests/test_{n}.py:test_{n}" for n in "ab"}
    assert set(exercised_by(store, "python:pkg/m9.py:target")) == test_keys

    # m4 now defines target too: imported after m9, its target is the package's
    step(tmp_path, store, {"pkg/m4.py": modules["pkg/m4.py"] + "\n\ndef target():\n    return 'm4'\n"})
    now = exercised_by(store, "python:pkg/m4.py:target")
    assert set(now) == test_keys and all(status == "tentative" for status, _ in now.values())
    assert {status for status, _ in exercised_by(store, "python:pkg/m9.py:target").values()} == {"retracted"}


def test_tests_that_star_import_the_module_they_test_are_its_tests_and_hover_shows_it(tmp_path):
    # Real code: the standard library's contextlib and test_contextlib, which ``from contextlib
    # import *``. Until the resolver followed a file's own star imports, closing() had no tests
    # and a hover on its calls there said nothing.
    lib, tests = stdlib_source("contextlib.py"), stdlib_source("test/test_contextlib.py")
    expected = {  # the test methods calling closing(...) themselves, as Python's own parser finds them
        f"python:test/test_contextlib.py:{cls.name}.{method.name}"
        for cls in ast.parse(tests).body
        if isinstance(cls, ast.ClassDef)
        for method in cls.body
        if isinstance(method, ast.FunctionDef) and method.name.startswith("test")
        for node in ast.walk(method)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "closing"
    }
    assert expected, "test_contextlib.py should call closing() in its tests"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"contextlib.py": lib, "test/test_contextlib.py": tests})
    assert set(exercised_by(store, "python:contextlib.py:closing")) == expected

    line = next(n for n, text in enumerate(tests.split("\n")) if "closing(" in text and "aclosing(" not in text)
    doc = Document("file:///t.py", "test/test_contextlib.py", "python", tests)
    shown = hover(Knowledge(store), doc, line, tests.split("\n")[line].index("closing(") + 2)
    assert shown is not None and "class closing" in shown.contents.value, shown


def test_a_module_a_package_imports_relatively_that_appears_later_gets_its_tests(tmp_path):
    """``from .tax import rate`` in a package's ``__init__.py``, before ``tax.py`` exists: the
    lookup read four files that are not there (``tax.py``, ``tax/__init__.py`` and their
    stubs), which the memory keeps as one dependency; the file's coming still moves the test."""
    package = {"shop/__init__.py": "from .tax import rate\n", "shop/prices.py": LIB}
    test = "from shop import rate\n\n\ndef test_rate():\n    assert rate(3) == 0\n"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {**package, "tests/test_rate.py": test})
    reads = {row[0] for row in store.db.execute("SELECT name FROM dependencies")}
    assert "tail:shop/tax" in reads and not any(name.startswith("file:shop/tax") for name in reads)

    step(tmp_path, store, {"shop/tax/__init__.py": "def rate(x):\n    return 0\n"})  # a package, not tax.py
    assert exercised_by(store, "python:shop/tax/__init__.py:rate") == {
        "python:tests/test_rate.py:test_rate": ("tentative", 0.6)
    }


def test_a_helpers_finding_without_changes_still_moves_the_tests_a_change_concerns(tmp_path, monkeypatch):
    """A read-ahead helper whose snapshot held no dependencies yet sends what a batch's tests
    call without the changes to look up (a first dream's case). If the dream itself has
    earlier dependencies, it lists the changes on its own: the tests that read the changed
    module still follow the definition that now wins."""
    from kairos_lsp.dream import replay, tested

    modules = {f"pkg/m{i}.py": f"def helper{i}():\n    return {i}\n" for i in range(3)}
    modules["pkg/m2.py"] += "\n\ndef target():\n    return 'm2'\n"
    modules["pkg/__init__.py"] = "from .m2 import *\nfrom .m0 import *\nfrom .m1 import *\n"
    tests = {f"tests/test_{n}.py": f"from pkg import target\n\n\ndef test_{n}():\n    assert target()\n" for n in "ab"}
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {**modules, **tests})
    test_keys = {f"python:tests/test_{n}.py:test_{n}" for n in "ab"}
    assert set(exercised_by(store, "python:pkg/m2.py:target")) == test_keys

    # what such a helper sends: the batch's own tests and calls, no list of changes
    found = [0]

    def from_a_helper(self, versions, store):
        found[0] += 1
        return tested.exercised(store, versions, tested.resolver_for(store), changes=False)

    monkeypatch.setattr(replay.InProcess, "exercised", from_a_helper)
    # m0 now defines target too: star-imported after m2, its target is the package's
    step(tmp_path, store, {"pkg/m0.py": modules["pkg/m0.py"] + "\n\ndef target():\n    return 'm0'\n"})
    assert found[0] >= 1
    assert set(exercised_by(store, "python:pkg/m0.py:target")) == test_keys
    assert {status for status, _ in exercised_by(store, "python:pkg/m2.py:target").values()} == {"retracted"}


def test_a_change_many_test_files_read_settles_them_in_groups_as_if_all_at_once(tmp_path, monkeypatch):
    """A change to a much-imported module makes the dream settle every test file that read it
    again; it does so a few files at a time (to bound its memory on a large tree). Settled in
    groups of two files, with a test file's tests never split between groups (one file's path
    is a prefix of another's), the facts, their evidence and what each file depends on are
    those of settling all the files together; so are they when the dream keeps the tests of
    one test file at a time (it reads a file's tests again rather than keep every file's)."""
    from kairos_lsp.dream import tested

    package = {"shop/__init__.py": "from shop.prices import *\n", "shop/prices.py": LIB}
    tests = {
        f"tests/{name}.py": (
            f"from shop import price, other\n\n\ndef test_{n}_a():\n    assert price({n}) == {2 * n}\n\n\n"
            f"def test_{n}_b():\n    assert other() == 1\n"
            + ("\n\ndef test_0_c():\n    assert price(1)\n" if n == 0 else "")  # 3 tests: a group may not split them
        )
        for n, name in enumerate(["test_a", "test_a.py-old/test_b", "test_c", "test_d", "test_e"])
    }
    outcomes = {}
    for files, label in ((2, "groups"), (1000, "together")):
        monkeypatch.setattr(tested, "SETTLE_FILES", files)
        monkeypatch.setattr(tested, "TEST_FILES_KEPT", 1 if label == "groups" else 1000)
        root = tmp_path / label
        store = Store(tmp_path / f"{label}.db")
        step(root, store, {**package, **tests})
        # evidence grows: a new fact is firm at once, a live one seen again is promoted
        store.record_outcomes([(f"python:tests/test_c.py:test_2_{x}", False, "passed") for x in "ab"])
        # price moves to a module of its own: every test file's calls mean something else now
        step(
            root,
            store,
            {
                "shop/prices.py": "def other():\n    return 1\n",
                "shop/cost.py": "def price(qty):\n    return qty * 2\n",
                "shop/__init__.py": "from shop.prices import *\nfrom shop.cost import *\n",
            },
        )
        outcomes[label] = (
            sorted(
                store.db.execute(
                    "SELECT subject, object, status, confidence, evidence_count FROM derived_facts "
                    "WHERE predicate = 'tested_by'"
                ).fetchall()
            ),
            sorted(store.db.execute("SELECT name, unit, dream FROM dependencies").fetchall()),
        )
        assert {row[1] for row in outcomes[label][0] if row[2] == "firm"} == {
            "python:tests/test_c.py:test_2_a",
            "python:tests/test_c.py:test_2_b",
        }
        assert {row[0] for row in outcomes[label][0] if row[2] == "tentative"} == {
            "python:shop/cost.py:price",
            "python:shop/prices.py:other",
        }
    assert outcomes["groups"] == outcomes["together"]
    assert len(outcomes["groups"][0]) == 17  # 5 files: price in prices, then in cost; other


def test_a_test_calling_through_what_an_instance_holds_follows_a_change_of_what_it_holds(tmp_path):
    """``Holder().engine.run()`` in a test: the test exercises the ``run`` of the class
    ``Holder`` makes its ``engine`` from. When ``Holder.__init__`` makes another class, the
    next dream moves the fact, though the test file and the classes defined did not change."""
    shop = (
        "class Diesel:\n    def run(self):\n        return 1\n\n\nclass Electric:\n    def run(self):\n"
        "        return 2\n\n\nclass Holder:\n    def __init__(self):\n        self.engine = Diesel()\n"
    )
    test = "from shop.cars import Holder\n\n\ndef test_drive():\n    assert Holder().engine.run()\n"
    key = "python:tests/test_cars.py:test_drive"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/cars.py": shop, "tests/test_cars.py": test})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {key: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {}

    step(tmp_path, store, {"shop/cars.py": shop.replace("self.engine = Diesel()", "self.engine = Electric()")})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {key: ("retracted", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {key: ("tentative", 0.6)}


def test_a_test_calling_through_its_own_name_follows_what_made_it(tmp_path):
    """``engine = make(); engine.run()`` in a test: the test exercises the ``run`` of the class
    ``make`` says it returns; ``car = Electric()`` then ``car.run()``, ``Electric.run``. When
    ``make`` is declared to return another class, the next dream moves the fact, though the
    test file did not change."""
    shop = (
        "class Diesel:\n    def run(self):\n        return 1\n\n\nclass Electric:\n    def run(self):\n"
        "        return 2\n\n\ndef make() -> Diesel:\n    return Diesel()\n"
    )
    test = (
        "from shop.cars import Electric, make\n\n\ndef test_made():\n    engine = make()\n    assert engine.run()\n\n\n"
        "def test_built():\n    car = Electric()\n    assert car.run()\n"
    )
    made, built = "python:tests/test_cars.py:test_made", "python:tests/test_cars.py:test_built"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/cars.py": shop, "tests/test_cars.py": test})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {made: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {built: ("tentative", 0.6)}

    step(tmp_path, store, {"shop/cars.py": shop.replace("def make() -> Diesel:", "def make() -> Electric:")})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {made: ("retracted", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {
        built: ("tentative", 0.6),
        made: ("tentative", 0.6),
    }


def test_a_test_calling_through_a_fixture_follows_what_the_fixture_gives(tmp_path):
    """``def test_drive(car): car.run()`` with a ``car`` fixture in ``conftest.py`` that returns
    ``Diesel()``: the test exercises ``Diesel.run``. When the fixture gives another class, the
    next dream moves the fact, though the test file did not change; a fixture defined in the
    test file itself takes the place of conftest's."""
    shop = (
        "class Diesel:\n    def run(self):\n        return 1\n\n\nclass Electric:\n    def run(self):\n"
        "        return 2\n"
    )
    conftest = (
        "import pytest\n\nfrom shop.cars import Diesel, Electric\n\n\n"
        "@pytest.fixture\ndef car():\n    engine = Diesel()\n    yield engine\n"
    )
    test = "def test_drive(car):\n    assert car.run()\n"
    key = "python:tests/test_cars.py:test_drive"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/cars.py": shop, "tests/conftest.py": conftest, "tests/test_cars.py": test})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {key: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {}

    step(tmp_path, store, {"tests/conftest.py": conftest.replace("engine = Diesel()", "engine = Electric()")})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {key: ("retracted", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {key: ("tentative", 0.6)}

    own = "import pytest\n\nfrom shop.cars import Diesel\n\n\n@pytest.fixture\ndef car():\n    return Diesel()\n\n\n"
    step(tmp_path, store, {"tests/test_cars.py": own + test})
    assert exercised_by(store, "python:shop/cars.py:Diesel.run") == {key: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/cars.py:Electric.run") == {key: ("retracted", 0.6)}


def test_a_class_a_test_defines_for_itself_is_not_code_under_test_but_what_it_calls_is(tmp_path):
    """``class Cart`` written inside a test (attrs' tests make hundreds) is the test's own: no
    ``tested_by`` for it or its helper, nor for the module's ``Cart`` its name used to be
    taken for; the library function the test calls beside it is exercised."""
    shop = "class Cart:\n    def total(self):\n        return 1\n\n\ndef price(qty):\n    return qty * 2\n"
    test = (
        "from shop.prices import Cart, price\n\n\ndef test_own():\n    class Cart:\n        def total(self):\n"
        "            return 4\n\n    def helper():\n        return Cart()\n\n"
        "    assert Cart().total() == helper().total() == price(2)\n"
    )
    key = "python:tests/test_prices.py:test_own"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": shop, "tests/test_prices.py": test})
    assert exercised_by(store, "python:shop/prices.py:price") == {key: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/prices.py:Cart") == {}
    assert exercised_by(store, "python:shop/prices.py:Cart.total") == {}
    assert exercised_by(store, f"{key}.Cart") == {}
    assert exercised_by(store, f"{key}.Cart.total") == {}
    assert exercised_by(store, f"{key}.helper") == {}


def test_what_a_test_function_defines_calls_is_exercised_by_that_test(tmp_path):
    """A test exercises what the helpers, classes and methods it defines in its body call
    (attrs' and click's tests build their inputs so): ``tested_by`` that test. A test
    class's own helper method (``setUp``) is no test's, and a change to the helper alone
    re-derives the test."""
    shop = (
        "def price(qty):\n    return qty * 2\n\n\ndef tax(amount):\n    return amount // 10\n\n\n"
        "def discount(amount):\n    return 0\n\n\ndef rounding(amount):\n    return amount\n"
    )
    test = (
        "from shop.prices import discount, price, rounding, tax\n\n\n"
        "def test_total():\n    def cost(qty):\n        return price(qty)\n\n"
        "    class Basket:\n        def total(self):\n            return tax(cost(3))\n\n"
        "    assert Basket().total() == 0\n\n\n"
        "class TestRounding:\n    def setUp(self):\n        self.x = discount(1)\n\n"
        "    def test_round(self):\n        assert rounding(1) == 1\n"
    )
    total = "python:tests/test_prices.py:test_total"
    store = Store(tmp_path / "memory.db")
    step(tmp_path, store, {"shop/prices.py": shop, "tests/test_prices.py": test})
    assert exercised_by(store, "python:shop/prices.py:price") == {total: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/prices.py:tax") == {total: ("tentative", 0.6)}
    assert exercised_by(store, "python:shop/prices.py:discount") == {}
    assert exercised_by(store, "python:shop/prices.py:rounding") == {
        "python:tests/test_prices.py:TestRounding.test_round": ("tentative", 0.6)
    }
    step(tmp_path, store, {"tests/test_prices.py": test.replace("return price(qty)", "return qty")})
    assert exercised_by(store, "python:shop/prices.py:price") == {total: ("retracted", 0.6)}
    assert exercised_by(store, "python:shop/prices.py:tax") == {total: ("tentative", 0.6)}
