"""Rust: calls and names held to what the memory saw change, through the crate's modules
(``crate::``, ``super::``, ``self::``, a child module's path, ``use``), ``Self`` and ``self``
in an ``impl``, and the ``mod tests`` block inside a file, by Rust's own rules (every
parameter required and passed by position; a method's ``self`` is its receiver)."""

from __future__ import annotations

import pytest
from workspaces import problems, rewrite, workspace

from kairos_lsp.checks import apply_fix, unfit_calls
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.resolve import Found

CARGO = '[package]\nname = "shop"\nversion = "0.1.0"\nedition = "2021"\n'
CLIENT = (
    "pub struct Client {\n    port: u16,\n}\n\nimpl Client {\n"
    "    pub fn new(port: u16) -> Self {\n        Client { port }\n    }\n\n"
    "    pub fn send(&self, data: &[u8], retries: u32) -> usize {\n        data.len()\n    }\n}\n"
)
LIB = (
    "pub mod net;\nmod util;\n\nuse crate::net::client::Client;\nuse util::join;\n\n"
    "pub fn run(port: u16) -> usize {\n"
    "    let c = Client::new(port);\n"  # 7
    '    let s = join("a", "b");\n'  # 8
    "    c.send(s.as_bytes(), 3)\n"  # 9
    "}\n\n"
    'pub fn again(c: &Client) -> usize {\n    c.send(b"x", 1) + crate::util::join("a", "b").len()\n}\n'  # 13
)


def alarms(knowledge, root, rel):
    return [(p.code, p.start[0]) for p in problems(knowledge, root, rel, "rust")]


def crate(tmp_path, files: dict[str, str]):
    base = {
        "Cargo.toml": CARGO,
        "src/lib.rs": LIB,
        "src/util.rs": 'pub fn join(a: &str, b: &str) -> String {\n    format!("{a}{b}")\n}\n',
        "src/net/mod.rs": "pub mod client;\n",
        "src/net/client.rs": CLIENT,
    }
    knowledge = workspace(tmp_path, {**base, **files})
    dream(knowledge.store, trigger="test")
    return knowledge


def test_paths_through_the_crates_modules_resolve(tmp_path):
    knowledge = crate(tmp_path, {})
    resolver = knowledge.resolver
    assert resolver.lookup("src/lib.rs", "Client.new", "run") == Found("rust:src/net/client.rs:Client.new")
    assert resolver.lookup("src/lib.rs", "join", "run") == Found("rust:src/util.rs:join")
    assert resolver.lookup("src/lib.rs", "crate.util.join", "again") == Found("rust:src/util.rs:join")
    assert resolver.lookup("src/lib.rs", "net.client.Client.new", "run") == Found("rust:src/net/client.rs:Client.new")
    assert resolver.lookup("src/net/client.rs", "Self.new", "Client.send") == Found("rust:src/net/client.rs:Client.new")
    assert resolver.lookup("src/net/client.rs", "super.super.util.join", "Client.send") == Found(
        "rust:src/util.rs:join"
    )
    assert resolver.lookup("src/lib.rs", "std.mem.take", "run") is None  # (another crate's)
    assert alarms(knowledge, tmp_path, "src/lib.rs") == []


def test_calls_are_held_to_what_their_function_takes_now(tmp_path):
    knowledge = crate(tmp_path, {})
    rewrite(
        knowledge,
        tmp_path,
        {
            "src/util.rs": 'pub fn join(a: &str, b: &str, sep: &str) -> String {\n    format!("{a}{sep}{b}")\n}\n',
            "src/net/client.rs": CLIENT.replace("data: &[u8], retries: u32", "data: &[u8]"),
        },
    )
    found = problems(knowledge, tmp_path, "src/lib.rs", "rust")
    # (`Client::new(port)` makes a Client, `-> Self`: its `send`; a parameter typed `&Client` too)
    assert [(p.code, p.start[0]) for p in found] == [
        ("stale-call", 8),
        ("stale-call", 9),
        ("stale-call", 13),
        ("stale-call", 13),
    ]
    assert "`join` gained `sep`" in found[0].message and "`send` lost `retries`" in found[1].message
    fixed = apply_fix((tmp_path / "src/lib.rs").read_bytes(), found[0].fixes[0])
    assert b'join("a", "b", sep)' in fixed and not parse(fixed, "rust").root_node.has_error


def test_a_test_modules_own_function_hides_the_files_and_super_brings_the_rest(tmp_path):
    knowledge = crate(
        tmp_path,
        {
            "src/util.rs": 'pub fn join(a: &str, b: &str) -> String {\n    format!("{a}{b}")\n}\n\n'
            "fn pad(s: &str) -> String {\n    s.to_string()\n}\n\n"
            "#[cfg(test)]\nmod tests {\n    use super::*;\n\n"
            "    fn join(a: &str) -> String {\n        a.to_string()\n    }\n\n"
            # (a macro's arguments are tokens to tree-sitter: the calls are written outside one)
            '    #[test]\n    fn t() {\n        let (a, b) = (join("a"), pad("a"));\n'
            "        assert_eq!(a, b);\n    }\n}\n",
        },
    )
    resolver = knowledge.resolver
    assert resolver.lookup("src/util.rs", "join", "tests.t") == Found("rust:src/util.rs:tests.join")
    assert resolver.lookup("src/util.rs", "pad", "tests.t") == Found("rust:src/util.rs:pad")
    source = (tmp_path / "src/util.rs").read_bytes()
    judged, unfit = unfit_calls(knowledge, "src/util.rs", "rust", source, parse(source, "rust"))
    assert judged == 2 and unfit == []
    rewrite(
        knowledge, tmp_path, {"src/util.rs": source.decode().replace("fn pad(s: &str)", "fn pad(s: &str, n: usize)")}
    )
    assert alarms(knowledge, tmp_path, "src/util.rs") == [("stale-call", 18)]


@pytest.mark.parametrize(
    ("client", "warned"),
    [
        # the function went: said where it is called
        (None, [("missing-symbol", 8), ("missing-symbol", 13)]),
        # a method went from its `impl`: another file's `impl`, or a trait's, may have it
        (
            CLIENT.replace(
                "    pub fn send(&self, data: &[u8], retries: u32) -> usize {\n        data.len()\n    }\n", ""
            ),
            [],
        ),
    ],
)
def test_a_function_gone_is_said_and_a_method_gone_from_one_impl_is_not(tmp_path, client, warned):
    knowledge = crate(tmp_path, {})
    change = {"src/net/client.rs": client} if client is not None else {"src/util.rs": "pub fn other() {}\n"}
    rewrite(knowledge, tmp_path, change)
    assert alarms(knowledge, tmp_path, "src/lib.rs") == warned


def test_a_method_called_through_its_type_passes_its_receiver_by_hand(tmp_path):
    knowledge = crate(
        tmp_path,
        {
            "src/use.rs": "use crate::net::client::Client;\n\npub fn f(c: &Client) -> usize {\n"
            '    Client::send(c, b"x", 1)\n}\n',
            "src/lib.rs": LIB + "mod r#use;\n",
        },
    )
    rewrite(knowledge, tmp_path, {"src/net/client.rs": CLIENT.replace("retries: u32", "retries: u32, wait: bool")})
    source = (tmp_path / "src/use.rs").read_bytes()
    judged, unfit = unfit_calls(knowledge, "src/use.rs", "rust", source, parse(source, "rust"))
    assert (judged, unfit) == (0, [])  # (`Client::send(c, ...)`: not judged as `c.send(...)`)


def test_a_call_inside_a_standard_macros_arguments_is_judged(tmp_path):
    knowledge = crate(
        tmp_path,
        {
            "src/util.rs": 'pub fn join(a: &str, b: &str) -> String {\n    format!("{a}{b}")\n}\n\n'
            "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn t() {\n"
            '        assert_eq!(join("a", "b"), "ab");\n'  # 10
            '        println!("{}", join("c", "d"));\n'  # 11
            '        let v = vec![join("e", "f")];\n'  # 12 (brackets: not read)
            "        assert!(v.len() == 1);\n    }\n}\n",
        },
    )
    source = (tmp_path / "src/util.rs").read_text()
    rewrite(knowledge, tmp_path, {"src/util.rs": source.replace("b: &str) -> String", "b: &str, sep: &str) -> String")})
    found = problems(knowledge, tmp_path, "src/util.rs", "rust")
    assert [(p.code, p.start[0]) for p in found] == [("stale-call", 10), ("stale-call", 11)]
    assert found[0].start[1] == source.split("\n")[10].index('("a"')  # (where the call's arguments are)
