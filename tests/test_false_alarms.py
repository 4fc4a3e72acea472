"""No false alarms on released projects: a first scan of released code raises no warning.

Each project of ``released.PROJECTS`` (Python sdists from PyPI, npm packages
with their TypeScript sources or their JavaScript, at fixed versions, downloaded once into a cache)
is copied to a temporary folder, scanned, dreamed and checked file by file, as
an editor opening every file would. Released code has seen no change in
kairos's memory, so any ``stale-call``, ``renamed-symbol``, ``missing-symbol``
or ``docstring-drift`` there is a false alarm; a failure lists them as
``path:line: code: message``. Without network (and no cache) the projects are
skipped. ``benchmarks/bench_false_alarms.py`` prints the same counts as a table.
"""

from __future__ import annotations

import pytest
import released
from released import PROJECTS

from kairos_lsp.config import Settings
from kairos_lsp.extract import parse
from kairos_lsp.scan import scan_paths, scan_workspace
from kairos_lsp.store import Store

TYPESCRIPT = [p for p in PROJECTS if p.registry == "npm" and p.tree == "src"]  # (the JavaScript ones ship lib/)


@pytest.fixture(scope="module", params=PROJECTS, ids=str)
def report(request, tmp_path_factory) -> released.Report:
    """One project scanned, dreamed and checked, once per module."""
    project = request.param
    return released.examine(project, released.fetched(project), tmp_path_factory.mktemp(project.slug))


def test_released_project_raises_no_false_alarm(report):
    assert report.files > 0, f"{report.project}: no source file was checked"
    found = report.lines()
    if found:
        counts = ", ".join(f"{report.count(code)} {code}" for code in released.ALARMS if report.count(code))
        head = f"{report.project}: {counts or 'no alarm'}, {len(report.crashes)} crashes in {report.files} files"
        pytest.fail("\n".join([head, *found]), pytrace=False)


def test_calls_judged_in_released_code_bind_to_their_callee(report):
    """Resolution and binding follow the language: every call of the library's own code that is
    judged with certainty binds to its callee as it is (tests may call things wrongly on purpose)."""
    unfit = report.unfit_outside_tests()
    assert not unfit, f"{report.project}: {len(unfit)} calls judged wrongly:\n" + "\n".join(unfit[:30])


@pytest.mark.parametrize(
    "name,minified,read",
    [
        ("axios", ["dist/axios.min.js", "dist/esm/axios.min.js"], ["dist/axios.js", "lib/axios.js"]),
        # a WebAssembly module in a string (one line of 12 KB, base64), beside the parser's JavaScript
        ("undici", ["lib/llhttp/llhttp-wasm.js", "lib/llhttp/llhttp_simd-wasm.js"], ["lib/llhttp/constants.js"]),
    ],
)
def test_the_minified_files_a_release_ships_are_not_read(tmp_path, name, minified, read):
    """A whole npm package, `dist/` too: the bundles made unreadable are skipped (said why), the
    code as written and a bundle left readable are read. Checked, axios' minified bundles drew 15
    warnings about their one-letter names (`kairos check .` from v1.2.0 to v1.7.9)."""
    (project,) = [p for p in PROJECTS if p.name == name]
    package = released.fetched(project).parent
    store = Store(tmp_path / "memory.db")
    try:
        report = scan_workspace(package, store, Settings())
        skipped = {path: why for path, why in report.skipped}
        assert {path for path, why in skipped.items() if why.startswith("minified")} == set(minified)
        assert all(path not in skipped and store.file_states().get(path) for path in read)
    finally:
        store.close()


def test_a_file_that_became_minified_is_forgotten(tmp_path):
    """A file the memory read as code and that a build then minified in place, whether the whole
    workspace or that file is looked at again: the memory no longer holds it (a fresh look would
    not), while a file grown over the size limit keeps what was read of it."""
    (axios,) = [p for p in PROJECTS if p.name == "axios"]
    bundle = (released.fetched(axios).parent / "dist" / "axios.min.js").read_bytes()
    root = tmp_path / "ws"
    root.mkdir()
    code = "export function add(a, b) {\n  return a + b;\n}\n"
    for name in ("whole.js", "one.js", "big.js", "kept.js"):
        (root / name).write_text(code)
    store = Store(tmp_path / "memory.db")
    try:
        scan_workspace(root, store, Settings())
        (root / "whole.js").write_bytes(bundle)
        (root / "big.js").write_text(code + "// padding\n" * 20_000)  # 220 KB, over the limit below
        scan_workspace(root, store, Settings(max_file_bytes=len(bundle) * 2))
        (root / "one.js").write_bytes(bundle)
        scan_paths(root, store, ["one.js"], Settings())
        held = set(store.file_states())
        assert held == {"big.js", "kept.js"}
    finally:
        store.close()


@pytest.mark.parametrize("project", TYPESCRIPT, ids=str)
def test_typescript_projects_exercise_overloads_and_parameter_properties(project):
    """The npm releases keep holding the TypeScript cases the suite is there for."""
    overloads = properties = 0
    for path in sorted(released.fetched(project).rglob("*.ts")):
        tree = parse(path.read_bytes(), "typescript")
        overloads += overload_signatures(tree.root_node)
        properties += parameter_properties(tree.root_node)
    assert overloads > 0, f"{project}: no overload signature before an implementation"
    assert properties > 0, f"{project}: no constructor parameter property"


def overload_signatures(root) -> int:
    """Signatures (``function f(a: A): R;``, in a class ``m(a: A): R;``) followed by their implementation."""
    signatures, bodies = [], set()
    for node in walk(root):
        if node.type in ("function_signature", "method_signature", "function_declaration", "method_definition"):
            parent = node.parent.parent if node.parent.type == "export_statement" else node.parent
            key = (parent.id, node.child_by_field_name("name").text)
            if node.type.endswith("signature"):
                signatures.append((key, node.start_byte))
            else:
                bodies.add((key, node.start_byte))
    return sum(any(k == key and start < at for k, at in bodies) for key, start in signatures)


def parameter_properties(root) -> int:
    """Constructor parameters that declare a property: ``private x: X``, ``readonly y``, ``public z?``."""
    return sum(
        1
        for node in walk(root)
        if node.type in ("required_parameter", "optional_parameter")
        and node.parent.parent.type == "method_definition"
        and node.parent.parent.child_by_field_name("name").text == b"constructor"
        and any(child.type in ("accessibility_modifier", "readonly") for child in node.children)
    )


def walk(root):
    """Every named node under ``root``, depth first (no recursion: some trees are deep)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.named_children))
