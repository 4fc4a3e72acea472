"""Go: calls and names held to what the memory saw change, across a package's files and
through a module's imports, by Go's own rules (every parameter required, a last ``...T``
taking any number, no keywords)."""

from __future__ import annotations

import pytest
from workspaces import problems, rewrite, workspace

from kairos_lsp.checks import apply_fix, unfit_calls
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.resolve import Found, Gone

GO_MOD = "module example.com/shop\n\ngo 1.22\n"


def module(tmp_path, files: dict[str, str]):
    """A Go module (its ``go.mod`` and ``files``) scanned and dreamed: the memory before a change."""
    knowledge = workspace(tmp_path, {"go.mod": GO_MOD, **files})
    dream(knowledge.store, trigger="test")
    return knowledge


def check_unfit(knowledge, root, rel):
    """(calls judged, those that do not bind) in ``rel`` as it is on disk."""
    source = (root / rel).read_bytes()
    judged, unfit = unfit_calls(knowledge, rel, "go", source, parse(source, "go"))
    return judged, [call.callee for call, _, _ in unfit]


def alarms(knowledge, root, rel):
    return [(p.code, p.start[0]) for p in problems(knowledge, root, rel, "go")]


def test_a_call_is_held_to_a_function_of_another_file_of_its_package(tmp_path):
    knowledge = module(
        tmp_path,
        {
            "price.go": "package shop\n\nfunc Price(qty int, unit float64) float64 { return float64(qty) * unit }\n",
            "cart.go": "package shop\n\nfunc Total() float64 {\n\treturn Price(2, 1.5) + Price(1, 3)\n}\n",
        },
    )
    assert alarms(knowledge, tmp_path, "cart.go") == []
    rewrite(knowledge, tmp_path, {"price.go": "package shop\n\nfunc Price(qty int) float64 { return float64(qty) }\n"})
    found = problems(knowledge, tmp_path, "cart.go", "go")
    assert [(p.code, p.start[0]) for p in found] == [("stale-call", 3), ("stale-call", 3)]
    assert "`Price` lost `unit`" in found[0].message and "1 positional argument too many" in found[0].message
    fixed = apply_fix((tmp_path / "cart.go").read_bytes(), found[0].fixes[0])
    assert b"return Price(2) + Price(1, 3)" in fixed and not parse(fixed, "go").root_node.has_error


def test_calls_through_a_modules_imports_and_typed_receivers_are_judged(tmp_path):
    knowledge = module(
        tmp_path,
        {
            "store/store.go": "package store\n\ntype Store struct{ n int }\n\n"
            "func New(n int) *Store { return &Store{n: n} }\n\n"
            "func Open(path string) (*Store, error) { return nil, nil }\n",
            "store/get.go": "package store\n\nfunc (s *Store) Get(key string) string { return key }\n\n"
            "func (s *Store) Both(key string) string { return s.Get(key) }\n",
            "store/keys/keys.go": "package keys\n\nfunc Key(a string) string { return a }\n",
            "api/api.go": "package api\n\n"
            'import (\n\t"example.com/shop/store"\n\tk "example.com/shop/store/keys"\n)\n\n'
            "func Serve(db *store.Store) {\n"
            "\ts := store.New(1)\n"  # 8
            '\ts.Get("a")\n'  # 9
            "\tt := &store.Store{}\n"
            '\tt.Get("b")\n'  # 11
            '\tdb.Get(k.Key("c"))\n'  # 12
            '\tu, err := store.Open("p")\n'
            "\t_ = err\n"
            '\tu.Get("d")\n'  # 15
            "}\n",
        },
    )
    assert alarms(knowledge, tmp_path, "api/api.go") == []
    rewrite(
        knowledge,
        tmp_path,
        {
            "store/get.go": "package store\n\n"
            "func (s *Store) Get(key string, fallback string) string { return key }\n\n"
            "func (s *Store) Both(key string) string { return s.Get(key) }\n",
            "store/keys/keys.go": "package keys\n\nfunc Key(a, b string) string { return a }\n",
        },
    )
    assert alarms(knowledge, tmp_path, "api/api.go") == [
        ("stale-call", 9),
        ("stale-call", 11),
        # (`k.Key("c")`, and `db.Get`: passed what a call returns, which was one value when
        # the call was written, as `Get` took one)
        ("stale-call", 12),
        ("stale-call", 12),
        ("stale-call", 15),
    ]
    # (a method's own receiver, whatever its name, is of the method's type)
    assert alarms(knowledge, tmp_path, "store/get.go") == [("stale-call", 4)]


def test_what_go_calls_may_pass_is_not_taken_for_a_change(tmp_path):
    knowledge = module(
        tmp_path,
        {
            "log.go": 'package shop\n\nfunc Log(msg string) {}\n\nfunc Pair() (string, int) { return "", 0 }\n\n'
            "func Two(a string, b int) {}\n\nfunc Any(xs ...string) {}\n\n"
            "type D struct{}\n\nfunc (d D) Compare(this, other D, x int) bool { return true }\n",
            "use.go": 'package shop\n\nfunc Use(parts []string) {\n\tLog("a")\n\tTwo(Pair())\n\tAny(Pair())\n}\n',
        },
    )
    rewrite(
        knowledge,
        tmp_path,
        {
            # a variadic parameter added takes nothing; the pair a call returns fills two; what
            # it passed to one taking any number is as many as it returns: unknown
            "log.go": "package shop\n\nfunc Log(msg string, args ...any) {}\n\nfunc Pair() (string, int) "
            '{ return "", 0 }\n\nfunc Two(a string, b int, c ...bool) {}\n\nfunc Any(a, b string, xs ...string) {}\n'
            # (Go's `this` is a parameter like any other)
            "\ntype D struct{}\n\nfunc (d D) Compare(this, other D, x, y int) bool { return true }\n",
            "use.go": 'package shop\n\nfunc Use(parts []string) {\n\tLog("a")\n\tTwo(Pair())\n\tAny(Pair())\n'
            '\tLog("b", parts)\n\td := D{}\n\t_ = d.Compare(d, d, 1, 2)\n}\n',
        },
    )
    assert alarms(knowledge, tmp_path, "use.go") == []


def test_a_function_each_platform_defines_for_itself_is_not_judged(tmp_path):
    knowledge = module(
        tmp_path,
        {
            "open_linux.go": "//go:build linux\n\npackage shop\n\nfunc open(path string) error { return nil }\n",
            "open_windows.go": "//go:build windows\n\npackage shop\n\nfunc open(path string) error { return nil }\n",
            "main.go": 'package shop\n\nfunc Run() { _ = open("a") }\n',
        },
    )
    rewrite(
        knowledge,
        tmp_path,
        {"open_linux.go": "//go:build linux\n\npackage shop\n\nfunc open(path string, n int) error { return nil }\n"},
    )
    assert alarms(knowledge, tmp_path, "main.go") == []
    rewrite(knowledge, tmp_path, {"open_windows.go": None})  # one definition left: its own
    assert alarms(knowledge, tmp_path, "main.go") == [("stale-call", 2)]


@pytest.mark.parametrize(
    ("change", "warned"),
    [
        ({"util.go": "package shop\n"}, [("missing-symbol", 3)]),
        # moved to another file of the package: still the package's
        ({"util.go": "package shop\n", "more.go": "package shop\n\nfunc helper() int { return 1 }\n"}, []),
        # a test's file is not the package's for code that is not a test: moved there, out of its reach
        (
            {"util.go": "package shop\n", "util_test.go": "package shop\n\nfunc helper() int { return 1 }\n"},
            [("renamed-symbol", 3)],
        ),
    ],
)
def test_a_function_gone_from_its_package_is_said_where_it_is_called(tmp_path, change, warned):
    knowledge = module(
        tmp_path,
        {
            "util.go": "package shop\n\nfunc helper() int { return 1 }\n",
            "main.go": "package shop\n\nfunc Run() int {\n\treturn helper()\n}\n",
            "local.go": "package shop\n\nfunc Local() int {\n\thelper := func() int { return 2 }\n"
            "\treturn helper()\n}\n",
        },
    )
    rewrite(knowledge, tmp_path, change)
    assert alarms(knowledge, tmp_path, "main.go") == warned
    assert alarms(knowledge, tmp_path, "local.go") == []  # (the function's own `helper`)


def test_an_import_is_a_workspace_package_only_under_the_modules_path(tmp_path):
    # `github.com/pkg/errors` ends in a folder of the workspace's, `errors/`, but the imports
    # do not show the workspace to be `github.com/pkg`: `github.com/pkg/sftp` is imported too
    knowledge = module(
        tmp_path,
        {
            "errors/errors.go": "package errors\n\nfunc Wrap(err error) error { return err }\n",
            "a/a.go": 'package a\n\nimport (\n\t"github.com/pkg/errors"\n\t"github.com/pkg/sftp"\n)\n\n'
            "func A() { errors.Wrap(nil); sftp.Dial() }\n",
            "b/b.go": 'package b\n\nimport "example.com/shop/errors"\n\nfunc B() { errors.Wrap(nil) }\n',
            "c/c.go": 'package c\n\nimport "example.com/shop/a"\n\nfunc C() { a.A() }\n',
        },
    )
    resolver = knowledge.resolver
    assert resolver.lookup("a/a.go", "errors.Wrap") is None
    assert resolver.lookup("b/b.go", "errors.Wrap") == Found("go:errors/errors.go:Wrap")
    dream(knowledge.store, trigger="test")
    rewrite(knowledge, tmp_path, {"errors/errors.go": "package errors\n\nfunc Wrap(err error, msg string) error {}\n"})
    assert alarms(knowledge, tmp_path, "a/a.go") == []
    assert alarms(knowledge, tmp_path, "b/b.go") == [("stale-call", 4)]
    rewrite(knowledge, tmp_path, {"errors/errors.go": "package errors\n"})
    assert isinstance(knowledge.resolver.lookup("b/b.go", "errors.Wrap"), Gone)


@pytest.mark.parametrize(
    ("holder", "warned"),
    [
        ("type Cache struct{ n int }", [("missing-symbol", 3)]),
        # an embedded field brings its methods: the struct's own went, the base's serves
        ("type Cache struct {\n\tBase\n}\n\ntype Base struct{}\n\nfunc (b *Base) Flush(key string) {}", []),
        # ... or may: one of a package the memory does not hold
        ("type Cache struct {\n\t*sync.Mutex\n}", []),
        # a field of the name holds a function: calling it calls what it holds
        ("type Cache struct {\n\tFlush func(key string)\n}", []),
    ],
)
def test_a_method_gone_from_its_type_is_said_unless_an_embedded_field_brings_one(tmp_path, holder, warned):
    knowledge = workspace(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cache.go": "package shop\n\ntype Cache struct{ n int }\n\nfunc (c *Cache) Flush(key string) {}\n",
            "use.go": 'package shop\n\nfunc Use(c *Cache) {\n\tc.Flush("a")\n}\n',
        },
    )
    rewrite(knowledge, tmp_path, {"cache.go": f'package shop\n\nimport "sync"\n\n{holder}\n'})
    assert alarms(knowledge, tmp_path, "use.go") == warned


def test_what_new_and_a_type_assertion_make_are_of_their_type(tmp_path):
    knowledge = module(
        tmp_path,
        {
            "cache.go": "package shop\n\ntype Cache struct{ n int }\n\nfunc (c *Cache) Put(key string) {}\n",
            "use.go": 'package shop\n\nfunc Use(v any) {\n\tc := new(Cache)\n\tc.Put("a")\n'
            '\td := v.(*Cache)\n\td.Put("b")\n}\n',
        },
    )
    rewrite(
        knowledge,
        tmp_path,
        {"cache.go": "package shop\n\ntype Cache struct{ n int }\n\nfunc (c *Cache) Put(key, value string) {}\n"},
    )
    assert alarms(knowledge, tmp_path, "use.go") == [("stale-call", 4), ("stale-call", 6)]


def test_a_method_reached_through_a_structs_fields_is_of_the_type_they_declare(tmp_path):
    knowledge = module(
        tmp_path,
        {
            "admin/admin.go": "package admin\n\ntype Config struct{ n int }\n\n"
            "func (c *Config) Provision(ctx int) error { return nil }\n",
            "app.go": 'package shop\n\nimport "example.com/shop/admin"\n\n'
            "type Settings struct {\n\tAdmin *admin.Config\n}\n\ntype Context struct {\n\tcfg *Settings\n}\n\n"
            "func (ctx Context) Start() {\n\t_ = ctx.cfg.Admin.Provision(1)\n}\n",
        },
    )
    rewrite(knowledge, tmp_path, {"admin/admin.go": "package admin\n\ntype Config struct{ n int }\n"})
    found = problems(knowledge, tmp_path, "app.go", "go")
    assert [(p.code, p.start[0]) for p in found] == [("missing-symbol", 13)]
    assert "`Provision` no longer exists" in found[0].message


def test_a_function_of_the_packages_own_that_go_now_declares_is_gos_once_gone(tmp_path):
    # gin 1.9's `func min(a, b int) int` in tree.go, deleted once Go 1.21 declared `min`
    knowledge = module(
        tmp_path,
        {
            "tree.go": "package shop\n\nfunc min(a, b int) int {\n\tif a < b {\n\t\treturn a\n\t}\n\treturn b\n}\n\n"
            "func helper() int { return 1 }\n",
            "use.go": "package shop\n\nfunc Use() int {\n\treturn min(1, 2) + helper()\n}\n",
        },
    )
    rewrite(knowledge, tmp_path, {"tree.go": "package shop\n"})
    found = problems(knowledge, tmp_path, "use.go", "go")
    assert [(p.code, p.message.split("`")[1]) for p in found] == [("missing-symbol", "helper")]


def test_a_name_a_block_declares_again_is_not_the_functions_own(tmp_path):
    # go-git's `func (d *Decoder) readExtension(...)`, whose `case` declares `d :=
    # &unknownExtensionDecoder{r}` and calls its `d.Decode()`, not the Decoder's `Decode(idx)`
    knowledge = workspace(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "decoder.go": "package shop\n\ntype Decoder struct{}\n\n"
            "func (d *Decoder) Decode(idx int) error { return nil }\n\n"
            "type other struct{}\n\nfunc (o *other) Decode() error { return nil }\n\n"
            "func (d *Decoder) read(kind int) error {\n\tswitch kind {\n\tcase 1:\n\t\td := &other{}\n"
            "\t\treturn d.Decode()\n\t}\n\treturn d.Decode(kind)\n}\n",
        },
    )
    assert knowledge.store.symbol("go:decoder.go:other.Decode") is not None
    judged, unfit = check_unfit(knowledge, tmp_path, "decoder.go")
    # (neither is judged: which `d` a call means depends on its block, which kairos does not read)
    assert unfit == [] and judged == 0


def test_a_long_doc_comment_is_read_whole_and_a_licence_above_is_not_the_packages():
    from kairos_lsp.extract import extract_source

    lines = "".join(f"// line {n} of the doc.\n" for n in range(400))
    source = (
        "// Copyright the authors.\n// Licensed as it says.\n\n// Package shop sells.\npackage shop\n\n"
        f"// Cache keeps.\n{lines}type Cache struct{{}}\n\n// Flush empties.\n//\n// Twice.\nfunc Flush() {{}}\n"
    ).encode()
    symbols = {s.qualname: s for s in extract_source(source, "go").symbols}
    assert symbols[""].docstring == "Package shop sells."
    doc = symbols["Cache"].docstring
    assert doc.startswith("Cache keeps.\nline 0 of the doc.") and doc.endswith("line 399 of the doc.")
    assert symbols["Flush"].docstring == "Flush empties.\n\nTwice."
