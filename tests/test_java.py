"""Java: calls and names held to what the memory saw change, across a package's classes and
through imports, by Java's own rules (every parameter required, a last ``T...`` taking any
number, no keywords; a call meets every method of its name its class and bases have)."""

from __future__ import annotations

from workspaces import problems, rewrite, workspace

from kairos_lsp.checks import apply_fix, unfit_calls
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse

SRC = "src/main/java/com/shop/"


def project(tmp_path, files: dict[str, str]):
    """A Java source tree (``files`` under ``src/main/java/com/shop/``) scanned and dreamed."""
    knowledge = workspace(tmp_path, {SRC + rel: text for rel, text in files.items()})
    dream(knowledge.store, trigger="test")
    return knowledge


def change(knowledge, tmp_path, files: dict[str, str]) -> None:
    rewrite(knowledge, tmp_path, {SRC + rel: text for rel, text in files.items()})


def alarms(knowledge, root, rel):
    return [(p.code, p.start[0]) for p in problems(knowledge, root, SRC + rel, "java")]


def check_unfit(knowledge, root, rel):
    """(calls judged, those that do not bind) in ``rel`` as it is on disk."""
    source = (root / SRC / rel).read_bytes()
    judged, unfit = unfit_calls(knowledge, SRC + rel, "java", source, parse(source, "java"))
    return judged, [call.callee for call, _, _ in unfit]


PRICER = (
    "package com.shop;\n\npublic class Pricer {\n"
    "    public double price(int qty, double unit) { return qty * unit; }\n"
    "    public static String label(String name) { return name; }\n}\n"
)
CART = (
    "package com.shop;\n\n"
    "public class Cart {\n"
    "    private final Pricer pricer;\n"  # 3
    "    Cart(Pricer pricer) { this.pricer = pricer; }\n"
    "    double total(Pricer other) {\n"
    "        Pricer local = new Pricer();\n"
    "        var made = new Pricer();\n"
    '        String s = Pricer.label("a");\n'  # 8
    "        return pricer.price(2, 1.5)\n"  # 9: a field read bare
    "            + this.pricer.price(1, 3)\n"  # 10
    "            + other.price(1, 2)\n"  # 11: a parameter
    "            + local.price(1, 1)\n"  # 12: a local's declared type
    "            + made.price(3, 1);\n"  # 13: what `var` was given
    "    }\n}\n"
)


def test_calls_through_fields_parameters_and_locals_are_held_to_a_method_of_another_class(tmp_path):
    knowledge = project(tmp_path, {"Pricer.java": PRICER, "Cart.java": CART})
    assert alarms(knowledge, tmp_path, "Cart.java") == []
    assert check_unfit(knowledge, tmp_path, "Cart.java") == (6, [])
    change(
        knowledge,
        tmp_path,
        {
            "Pricer.java": PRICER.replace("double unit)", "double unit, String currency)").replace(
                "label(String name)", "label(String name, int width)"
            )
        },
    )
    found = problems(knowledge, tmp_path, SRC + "Cart.java", "java")
    assert [(p.code, p.start[0]) for p in found] == [("stale-call", line) for line in (8, 9, 10, 11, 12, 13)]
    assert "`price` gained `currency`" in found[1].message and "leaves out `currency`" in found[1].message
    # the fix writes the parameter's name where the argument goes (no value is every type's)
    fixed = apply_fix((tmp_path / SRC / "Cart.java").read_bytes(), found[1].fixes[0])
    assert b"return pricer.price(2, 1.5, currency)" in fixed and not parse(fixed, "java").root_node.has_error


def test_imports_static_imports_and_nested_classes_lead_to_the_method_called(tmp_path):
    util = (
        "package com.shop.util;\n\npublic final class Strings {\n"
        "    public static String join(String sep, String... parts) { return sep; }\n"
        "    public static String pad(String s, int width) { return s; }\n"
        "    public static class Box {\n        public Box(int size) {}\n"
        "        public int fill(int n) { return n; }\n    }\n}\n"
    )
    use = (
        "package com.shop;\n\n"
        "import com.shop.util.Strings;\n"
        "import static com.shop.util.Strings.pad;\n\n"
        "class Use {\n"
        "    String run() {\n"
        "        Strings.Box box = new Strings.Box(2);\n"  # 7
        "        box.fill(1);\n"  # 8
        '        return Strings.join(",") + pad("x", 3);\n'  # 9
        "    }\n}\n"
    )
    knowledge = project(tmp_path, {"util/Strings.java": util, "Use.java": use})
    assert check_unfit(knowledge, tmp_path, "Use.java") == (4, [])
    change(
        knowledge,
        tmp_path,
        {
            "util/Strings.java": util.replace("String sep, String... parts", "String sep, int limit, String... parts")
            .replace("String s, int width", "String s")
            .replace("Box(int size)", "Box(int size, int depth)")
            .replace("fill(int n)", "fill()")
        },
    )
    assert alarms(knowledge, tmp_path, "Use.java") == [
        ("stale-call", 7),
        ("stale-call", 8),
        ("stale-call", 9),
        ("stale-call", 9),
    ]


def test_a_bare_call_is_the_nearest_classs_and_an_anonymous_class_is_not_judged(tmp_path):
    source = (
        "package com.shop;\n\n"
        "class Http {\n"
        "    void execute() { run(1); }\n"  # 3: Http's run
        "    void run(int a) {}\n"
        "    static class Response {\n"
        "        static void run(int a, int b) {}\n"
        "        void go() { run(1, 2); }\n"  # 7: Response's own run, not Http's
        "    }\n"
        "    void timer() {\n"
        "        new Runnable() { public void run() { execute(); } };\n"  # 10
        "    }\n}\n"
    )
    knowledge = project(tmp_path, {"Http.java": source})
    assert check_unfit(knowledge, tmp_path, "Http.java") == (2, [])
    change(knowledge, tmp_path, {"Http.java": source.replace("void execute()", "void execute(int n)")})
    # (a bare call in an anonymous class may be of the class it extends: not said)
    assert alarms(knowledge, tmp_path, "Http.java") == []
    change(knowledge, tmp_path, {"Http.java": source.replace("void run(int a) {}", "void run(int a, int b) {}")})
    assert alarms(knowledge, tmp_path, "Http.java") == [("stale-call", 3)]


def test_a_method_of_a_name_a_base_also_has_is_not_judged(tmp_path):
    # jsoup: `Document.text(String)` beside `Element.text()`; `Elements extends ArrayList`:
    # Java chooses among every method of the name in the class and its bases
    knowledge = project(
        tmp_path,
        {
            "Element.java": 'package com.shop;\n\npublic class Element {\n    public String text() { return ""; }\n'
            "    public int size(int depth) { return depth; }\n}\n",
            "Document.java": "package com.shop;\n\npublic class Document extends Element {\n"
            "    public Document text(String t) { return this; }\n"
            "    @Override public int size(int depth) { return 1; }\n}\n",
            "Elements.java": "package com.shop;\n\nimport java.util.ArrayList;\n\n"
            "public class Elements extends ArrayList<Element> {\n    public Elements remove() { return this; }\n}\n",
            "Use.java": "package com.shop;\n\nclass Use {\n    void f(Document doc, Elements els) {\n"
            '        doc.text();\n        doc.text("a");\n        els.remove(1);\n        doc.size(2);\n    }\n}\n',
        },
    )
    # (`doc.size(2)` is judged: an override takes what the method it overrides does)
    assert check_unfit(knowledge, tmp_path, "Use.java") == (1, [])


def test_constructors_are_the_classs_own(tmp_path):
    knowledge = project(
        tmp_path,
        {
            "Client.java": "package com.shop;\n\npublic class Client {\n    public Client(String host) {}\n}\n",
            "Pool.java": "package com.shop;\n\npublic class Pool {\n    public Pool(int n) {}\n"
            "    public Pool() { this(1); }\n}\n",
            "Point.java": "package com.shop;\n\npublic record Point(int x, int y) {\n"
            "    public Point(int x) { this(x, 0); }\n}\n",
            "Plain.java": "package com.shop;\n\npublic class Plain {\n    public Plain(int n) {}\n}\n",
            "Use.java": 'package com.shop;\n\nclass Use {\n    void f() {\n        new Client("h");\n'
            "        new Pool(2);\n        new Pool();\n        new Point(1, 2);\n        new Plain(3);\n    }\n}\n",
        },
    )
    # (overloaded constructors, and a record's canonical one the compiler writes: not judged)
    assert check_unfit(knowledge, tmp_path, "Use.java") == (2, [])
    change(
        knowledge,
        tmp_path,
        {
            "Client.java": "package com.shop;\n\npublic class Client {\n"
            "    public Client(String host, int port) {}\n}\n",
            # (its constructor gone: the one Java writes takes nothing)
            "Plain.java": "package com.shop;\n\npublic class Plain {\n}\n",
        },
    )
    assert alarms(knowledge, tmp_path, "Use.java") == [("stale-call", 4), ("stale-call", 8)]


def test_a_method_gone_is_said_where_nothing_else_may_serve_it(tmp_path):
    base = "package com.shop;\n\npublic class Util {\n    public static int twice(int n) { return 2 * n; }\n}\n"
    widget = (
        "package com.shop;\n\nimport javax.swing.JPanel;\n\npublic class Widget extends JPanel {\n"
        '    public void paint2() {}\n    @Override public String toString() { return ""; }\n}\n'
    )
    # (a class that implements `AutoCloseable` gets `close` from it, nothing else: jsoup's
    # `CharacterReader.containsIgnoreCase`, deleted)
    client = (
        "package com.shop;\n\npublic class Client implements AutoCloseable {\n    public void ping() {}\n"
        "    public void close() {}\n}\n"
    )
    use = (
        "package com.shop;\n\nclass Use {\n    private Client client;\n    void f(Widget w) {\n"
        "        Util.twice(2);\n"  # 5
        "        w.paint2();\n        w.toString();\n"
        "        client.ping();\n"  # 8: a field's class
        "    }\n}\n"
    )
    knowledge = project(tmp_path, {"Util.java": base, "Widget.java": widget, "Client.java": client, "Use.java": use})
    change(
        knowledge,
        tmp_path,
        {
            "Util.java": "package com.shop;\n\npublic class Util {\n}\n",
            # (a method gone from a class whose base the memory does not hold may be the base's;
            # every class has `Object`'s `toString`)
            "Widget.java": "package com.shop;\n\nimport javax.swing.JPanel;\n\n"
            "public class Widget extends JPanel {\n}\n",
            "Client.java": client.replace("    public void ping() {}\n", ""),
        },
    )
    found = problems(knowledge, tmp_path, SRC + "Use.java", "java")
    assert [(p.code, p.start[0]) for p in found] == [("missing-symbol", 5), ("missing-symbol", 8)]
    assert "`twice` no longer exists" in found[0].message and "`ping` no longer exists" in found[1].message


def test_what_java_calls_may_pass_is_not_taken_for_a_change(tmp_path):
    source = (
        "package com.shop;\n\nimport lombok.AllArgsConstructor;\n\n"
        "@AllArgsConstructor\nclass Made {\n    Made(String a) {}\n}\n\n"
        "class Log {\n    static void log(String msg) {}\n}\n\n"
        "class Use {\n    void f(java.util.List<Log> logs) {\n"
        '        Log.log("a");\n        logs.forEach(l -> l.log("b"));\n        new Made("x", 2);\n    }\n}\n'
    )
    knowledge = project(tmp_path, {"Use.java": source})
    change(
        knowledge,
        tmp_path,
        {
            # a variadic parameter added takes nothing; a lambda's parameter is not typed here; a
            # class Lombok gives constructors is not judged
            "Use.java": source.replace("log(String msg)", "log(String msg, Object... args)")
        },
    )
    assert alarms(knowledge, tmp_path, "Use.java") == []
    assert check_unfit(knowledge, tmp_path, "Use.java") == (1, [])


def test_a_builders_chain_is_followed_through_what_each_method_returns(tmp_path):
    spec = (
        "package com.shop;\n\npublic class Spec {\n"
        "    public static Builder builder(String name) { return new Builder(); }\n"
        "    public static class Builder {\n"
        "        public Builder add(int n) { return this; }\n"
        "        public Spec build() { return new Spec(); }\n    }\n"
        "    public void emit(int depth) {}\n}\n"
    )
    use = (
        "package com.shop;\n\nclass Use {\n    void f() {\n"
        '        Spec.builder("a").add(1).build().emit(2);\n'  # 4
        "        new Spec.Builder()\n            .add(2)\n            .build();\n    }\n}\n"  # 5: `.add(2)` on 6
    )
    knowledge = project(tmp_path, {"Spec.java": spec, "Use.java": use})
    assert check_unfit(knowledge, tmp_path, "Use.java") == (6, [])
    change(knowledge, tmp_path, {"Spec.java": spec.replace("add(int n)", "add(int n, int times)")})
    assert alarms(knowledge, tmp_path, "Use.java") == [("stale-call", 4), ("stale-call", 6)]


def test_a_constructors_super_call_is_held_to_its_superclasss_constructor(tmp_path):
    base = "package com.shop;\n\npublic abstract class Shape {\n    protected Shape(String name) {}\n}\n"
    square = (
        "package com.shop;\n\nimport java.io.Serializable;\n\n"
        "public class Square extends Shape implements Serializable {\n"
        '    public Square(int side) {\n        super("square");\n    }\n'  # 6
        "    public Square() {\n        this(1);\n    }\n}\n"  # 9: overloaded, not judged
    )
    listed = (
        "package com.shop;\n\nimport java.util.ArrayList;\n\n"
        "public class Listed extends ArrayList<String> {\n    public Listed() {\n        super(4);\n    }\n}\n"
    )
    knowledge = project(tmp_path, {"Shape.java": base, "Square.java": square, "Listed.java": listed})
    assert check_unfit(knowledge, tmp_path, "Square.java") == (1, [])
    assert check_unfit(knowledge, tmp_path, "Listed.java") == (0, [])  # (a superclass the memory does not hold)
    change(knowledge, tmp_path, {"Shape.java": base.replace("String name", "String name, int sides")})
    found = problems(knowledge, tmp_path, SRC + "Square.java", "java")
    assert [(p.code, p.start[0]) for p in found] == [("stale-call", 6)]
    assert "`Shape` gained `sides`" in found[0].message


def test_a_method_two_bases_bring_of_one_name_is_not_judged(tmp_path):
    # guava's `AbstractLoadingCache extends AbstractCache implements LoadingCache`: `get(key)` is
    # `LoadingCache.get(K)`, not `AbstractCache.get(K, Callable)`
    knowledge = project(
        tmp_path,
        {
            "Cache.java": "package com.shop;\n\npublic abstract class Cache<K, V> {\n"
            "    public V get(K key, Runnable loader) { return null; }\n}\n",
            "Loading.java": "package com.shop;\n\npublic interface Loading<K, V> {\n    V get(K key);\n}\n",
            "LoadingCache.java": "package com.shop;\n\n"
            "public abstract class LoadingCache<K, V> extends Cache<K, V> implements Loading<K, V> {\n"
            "    public V unchecked(K key) { return get(key); }\n}\n",
            "Use.java": "package com.shop;\n\nclass Use {\n    void f(LoadingCache<String, String> c) {\n"
            '        c.get("a");\n    }\n}\n',
        },
    )
    assert check_unfit(knowledge, tmp_path, "LoadingCache.java") == (0, [])
    assert check_unfit(knowledge, tmp_path, "Use.java") == (0, [])


def test_a_test_calls_its_packages_class_under_another_source_root(tmp_path):
    # Maven's and Gradle's tests are in `src/test/java`, their package's classes in
    # `src/main/java`: no import names them
    test = "src/test/java/com/shop/PricerTest.java"
    knowledge = workspace(
        tmp_path,
        {
            SRC + "Pricer.java": PRICER,
            test: "package com.shop;\n\nclass PricerTest {\n    void prices() {\n"
            '        new Pricer().price(2, 1.5);\n        Pricer.label("a");\n    }\n}\n',
        },
    )
    dream(knowledge.store, trigger="test")
    change(knowledge, tmp_path, {"Pricer.java": PRICER.replace("double unit)", "double unit, String currency)")})
    assert [(p.code, p.start[0]) for p in problems(knowledge, tmp_path, test, "java")] == [("stale-call", 4)]


def test_a_base_nested_in_the_outer_classs_base_is_looked_up_without_end(tmp_path):
    # junit4's `StubbedTheoryAnchor extends TheoryAnchor` in `StubbedTheories extends Theories`:
    # the class `Theories` nests, which the outer class inherits (its constructor, `TheoryAnchor`
    # of `TheoryAnchor`, was taken for a method of the name the base brings, and the base's name
    # looked up again, without end)
    knowledge = project(
        tmp_path,
        {
            "Theories.java": "package com.shop;\n\npublic class Theories {\n"
            "    public static class TheoryAnchor {\n        public TheoryAnchor(int n) {}\n"
            "        public void run(int n) {}\n    }\n}\n",
            "stubs/Stubbed.java": "package com.shop.stubs;\n\nimport com.shop.Theories;\n\n"
            "public class Stubbed extends Theories {\n    public static class Anchor extends TheoryAnchor {\n"
            "        Anchor() {\n            super(1);\n        }\n"
            "        void go() {\n            run(1);\n            handle();\n        }\n    }\n}\n",
        },
    )
    # (checked without end; what the base brings through a type no rule here names is not judged)
    assert check_unfit(knowledge, tmp_path, "stubs/Stubbed.java") == (0, [])


def test_a_method_of_what_a_constant_held_is_not_said_gone(tmp_path):
    # gson's `TypeAdapters.JSON_ELEMENT`, an anonymous `TypeAdapter` until it held another
    # class's adapter: `JSON_ELEMENT.read(...)` is its declared type's `read`
    adapters = (
        "package com.shop;\n\nimport java.util.function.Function;\n\npublic final class Adapters {\n"
        "    public static final Function<String, String> TRIM = new Function<String, String>() {\n"
        "        @Override public String apply(String s) { return s.trim(); }\n    };\n}\n"
    )
    use = 'package com.shop;\n\nclass Use {\n    String f() {\n        return Adapters.TRIM.apply(" a ");\n    }\n}\n'
    knowledge = project(tmp_path, {"Adapters.java": adapters, "Use.java": use})
    change(
        knowledge,
        tmp_path,
        {
            "Adapters.java": "package com.shop;\n\nimport java.util.function.Function;\n\n"
            "public final class Adapters {\n    public static final Function<String, String> TRIM = String::trim;\n}\n"
        },
    )
    assert alarms(knowledge, tmp_path, "Use.java") == []
