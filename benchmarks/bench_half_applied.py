"""What the warnings catch on real changes: each commit's files applied one at a time.

    python benchmarks/bench_half_applied.py GIT_DIR [--commits N] [--until REV] [--files K] [--show N]

A commit that changes a function and the files that call it, applied in part, is
the moment kairos is for: the developer has changed the callee and not yet its
callers. For each of the last N first-parent commits of a real repository that
modifies two to K source files, the benchmark checks the parent out into one
memory (a scan and a dream, the memory rolling on from commit to commit), then
for each modified file F: writes F as the commit has it, looks at it, dreams,
and checks the other modified files as the parent has them; then puts F back.

The commit itself is the judge. Each warning (``stale-call``, ``renamed-symbol``,
``missing-symbol``, ``docstring-drift``, ``deprecated-symbol``) lands on a line the commit went on to
change (**caught**: the authors had to touch it once F changed), or on a line it
left as it was (**left**: a false alarm, unless the authors left a site broken;
the line is printed to judge; **answered** when the commit's own version of that
file draws no such warning there: the commit answered it on another line, a
``filterwarnings`` mark above a test of a deprecated function, an import). What it
should have caught, for Python (``ast``, not kairos), TypeScript, Go, Rust and Java (tree-sitter's
own tree, not kairos's extraction): the functions whose parameters F's change altered or that
it removed (for TypeScript, a required parameter added or one taken away), and the lines
of the other files that call or import them by name
(``name(``, ``import name``) and that the commit changed; **missed** are those of
them no warning was on. That is an upper bound, to judge line by line (printed): the
names are matched as text, so a line may call another function of that name, or a
call that still binds (a parameter renamed in its place and passed by position, one
moved into ``**kwargs``, a name a module's ``__getattr__`` keeps for a deprecation),
or one kairos leaves alone by design (``f(*args, **kwargs)``).
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kairos_lsp.checks import Problem, check_file
from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.scan import scan_paths, scan_workspace
from kairos_lsp.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_history import ALARMS, checkout, git, last_commits  # noqa: E402  (a benchmark beside this one)


@dataclass
class Flag:
    commit: str
    applied: str  # the file written as the commit has it
    path: str  # the file flagged, as the parent has it
    line: int  # 0-based, in the parent's version: where the warning starts
    text: str
    code: str
    message: str
    caught: bool  # the commit changed a line the warning covers (a call's arguments may span several)
    # not caught, but gone from the file as the commit has it (with F applied): the commit answered
    # it elsewhere in the file (a `filterwarnings` mark above a test, an import)
    answered: bool = False


@dataclass
class Site:
    """A line the commit changed that calls or imports a function whose parameters it changed."""

    commit: str
    applied: str
    path: str
    line: int
    text: str
    name: str
    caught: bool = False
    # a Python call through the file's own import of the changed module's name (``from m
    # import f`` then ``f(``, ``import m`` then ``m.f(``): the site calls that function, not
    # another of its name; None for a TypeScript site
    imported: bool | None = None


def imported_from(caller: str, source: bytes, applied: str, name: str, text: str) -> bool:
    """Whether the Python file ``caller`` reaches ``name`` of the module ``applied`` on the line
    ``text`` through its own imports: ``name(`` after ``from <applied> import name``, or
    ``x.name(`` after ``import <applied> as x`` or ``from <its package> import <it> as x``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    module = applied.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    package = caller.rpartition("/")[0].replace("/", ".")
    held: set[str] = set()  # the local names bound to the module itself
    direct = False  # `name` bound to the module's own `name`
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative to the caller's package
                up = package.split(".") if package else []
                up = up[: len(up) - (node.level - 1)] if node.level > 1 else up
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                if _same_module(base, module) and alias.name == name and (alias.asname or name) == name:
                    direct = True
                if _same_module(f"{base}.{alias.name}" if base else alias.name, module):
                    held.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _same_module(alias.name, module):
                    held.add(alias.asname or alias.name)
    if direct and re.search(rf"(?<![\w.]){re.escape(name)}\s*\(|\bimport\b", text):
        return True
    return any(re.search(rf"(?<![\w.]){re.escape(h)}\.{re.escape(name)}\s*\(", text) for h in held)


def _same_module(written: str, module: str) -> bool:
    """``written`` (``pkg.m``) names ``module`` (a path's dotted form, maybe under ``src.``)."""
    return bool(written) and (module == written or module.endswith("." + written))


def modified(git_dir: Path, parent: str, commit: str) -> list[str]:
    """Source files the commit modifies (added, deleted and renamed ones aside)."""
    out = git(git_dir, "diff", "--no-renames", "--name-status", "-z", parent, commit).split("\0")
    pairs = zip(out[0::2], out[1::2], strict=False)
    return [path for status, path in pairs if status == "M" and language_for_path(path)]


def changed_lines(git_dir: Path, parent: str, commit: str, path: str) -> set[int]:
    """0-based lines of the parent's ``path`` the commit changes or removes, and the two lines
    around each place it only inserts (an argument added on a line of its own inside a call)."""
    diff = git(git_dir, "diff", "--no-renames", "-U0", parent, commit, "--", path)
    lines: set[int] = set()
    for m in re.finditer(r"^@@ -(\d+)(?:,(\d+))? \+", diff, re.M):
        start, count = int(m[1]), int(m[2] if m[2] is not None else 1)
        # (``-N,0``: lines inserted after the parent's line N, 1-based)
        lines.update(range(start - 1, start - 1 + count) if count else (start - 1, start))
    return lines


def show(git_dir: Path, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"], check=True, capture_output=True
    ).stdout


@dataclass(frozen=True)
class Shape:
    """What a call must fit: the parameters by position and by keyword, and which are required."""

    positional: tuple[str, ...]
    keyword_only: tuple[str, ...]
    required: int  # of the positional ones
    required_keywords: frozenset[str]
    star: bool
    star_star: bool

    def breaks(self, new: Shape | None) -> bool:
        """Whether a call that fit ``self`` may not fit ``new`` (None: the function is gone)."""
        if new is None:
            return True
        if new.required > self.required or new.required_keywords - self.required_keywords:
            return True
        if new.positional[: len(self.positional)] != self.positional and not (self.star and new.star):
            return True  # a parameter moved, renamed or removed ahead of positional arguments
        gone = set(self.positional + self.keyword_only) - set(new.positional + new.keyword_only)
        lost_stars = (self.star and not new.star) or (self.star_star and not new.star_star)
        return bool(gone and not new.star_star) or lost_stars


def python_shapes(source: bytes) -> dict[str, Shape | None] | None:
    """``{name: Shape}`` of the module's functions and its classes' methods (None for a name
    defined twice: an overload, a property's setter, two classes' methods), or None when the
    file does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    seen: dict[str, list[Shape]] = {}

    def visit(body: list[ast.stmt], in_class: bool) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                positional = [x.arg for x in a.posonlyargs + a.args]
                if (
                    in_class
                    and positional
                    and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
                ):
                    positional = positional[1:]  # the receiver: bound by the call's object
                required = len(positional) - len(a.defaults)
                shape = Shape(
                    tuple(positional),
                    tuple(x.arg for x in a.kwonlyargs),
                    max(required, 0),
                    frozenset(x.arg for x, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None),
                    a.vararg is not None,
                    a.kwarg is not None,
                )
                seen.setdefault(node.name, []).append(shape)

    visit(tree.body, False)
    return {name: shapes[0] if len(shapes) == 1 else None for name, shapes in seen.items()}


@dataclass(frozen=True)
class Arity:
    """What a TypeScript call must fit: how many arguments it may pass and how many it must."""

    count: int  # parameters (``this`` aside, a rest parameter aside)
    required: int  # neither optional (``a?``) nor given a default (``a = 1``)
    rest: bool

    def breaks(self, new: Arity | None) -> bool:
        """Whether a call that fit ``self`` may not fit ``new`` (None: the function is gone)."""
        if new is None:
            return True
        too_many = not new.rest and (new.count < self.count or self.rest)
        return new.required > self.required or too_many


# (what declares a function by a name of its own; the name of a function held by a variable or a
# class field is the declarator's)
_DECLARATIONS = {"function_declaration", "generator_function_declaration", "method_definition"}
_HELD = {"arrow_function", "function_expression", "function"}
_HOLDERS = {"variable_declarator", "public_field_definition"}
_OVERLOADS = {"function_signature"}


def typescript_shapes(source: bytes, language: str) -> dict[str, Arity | None]:
    """``{name: Arity}`` of a TypeScript file's functions, methods (a constructor under its
    class's name) and functions held by a variable or a class field, read with tree-sitter (not
    kairos's extraction); None for a name defined twice or overloaded."""
    seen: dict[str, list[Arity]] = {}
    stack = [parse(source, language).root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "formal_parameters" or node.parent is None:
            continue
        owner, name = node.parent, node.parent.child_by_field_name("name")
        if owner.type in _HELD and owner.parent is not None and owner.parent.type in _HOLDERS:
            name = owner.parent.child_by_field_name("name")
        elif owner.type not in _DECLARATIONS | _OVERLOADS:
            continue
        if name is None or name.text is None:
            continue
        text = name.text.decode()
        if text == "constructor" and owner.type == "method_definition":
            body = owner.parent
            cls = body.parent if body is not None else None
            named = cls.child_by_field_name("name") if cls is not None else None
            if named is None or named.text is None:
                continue
            text = named.text.decode()
        params = [p for p in node.named_children if p.type in ("required_parameter", "optional_parameter")]
        patterns = [p.child_by_field_name("pattern") for p in params]
        kept = [(p, q) for p, q in zip(params, patterns, strict=True) if q is not None and q.type != "this"]
        rest = any(q.type == "rest_pattern" for _, q in kept)
        plain = [p for p, q in kept if q.type != "rest_pattern"]
        required = sum(p.type == "required_parameter" and p.child_by_field_name("value") is None for p in plain)
        arity = Arity(len(plain), required, rest)
        # (an overload's signature counts twice: its implementation takes what every one does)
        seen.setdefault(text, []).extend([arity, arity] if owner.type in _OVERLOADS else [arity])
    return {name: shapes[0] if len(shapes) == 1 else None for name, shapes in seen.items()}


def go_shapes(source: bytes) -> dict[str, Arity | None]:
    """``{name: Arity}`` of a Go file's functions and methods (a method by its own name), read
    with tree-sitter (not kairos's extraction); None for a name defined twice (two types'
    methods of one name: which one a line calls, its text does not say)."""
    return _declared_shapes(source, "go", ("function_declaration", "method_declaration"), _go_arity)


def _go_arity(params) -> Arity:
    count, rest = 0, False
    for param in params.named_children:
        if param.type == "variadic_parameter_declaration":
            rest = True
        elif param.type == "parameter_declaration":
            count += max(1, len(param.children_by_field_name("name")))
    return Arity(count, count, rest)


def rust_shapes(source: bytes) -> dict[str, Arity | None]:
    """``{name: Arity}`` of a Rust file's functions and methods (a method by its own name, its
    ``self`` aside), read with tree-sitter (not kairos's extraction); None for a name defined
    twice."""
    return _declared_shapes(source, "rust", ("function_item",), _rust_arity)


def _rust_arity(params) -> Arity:
    count = sum(1 for param in params.named_children if param.type == "parameter")
    return Arity(count, count, False)


def java_shapes(source: bytes) -> dict[str, Arity | None]:
    """``{name: Arity}`` of a Java file's methods and constructors (a constructor by its class's
    name, which ``new T(`` calls), read with tree-sitter (not kairos's extraction); None for a
    name defined twice (overloads)."""
    return _declared_shapes(source, "java", ("method_declaration", "constructor_declaration"), _java_arity)


def _java_arity(params) -> Arity:
    count = sum(1 for param in params.named_children if param.type == "formal_parameter")
    return Arity(count, count, any(param.type == "spread_parameter" for param in params.named_children))


def _declared_shapes(source: bytes, language: str, kinds: tuple[str, ...], arity) -> dict[str, Arity | None]:
    """``{name: arity(parameters)}`` of the definitions of ``kinds`` (each with a ``name`` and
    its ``parameters``); None for a name defined twice."""
    seen: dict[str, list[Arity]] = {}
    for node in _walk(parse(source, language).root_node):
        if node.type not in kinds:
            continue
        name, params = node.child_by_field_name("name"), node.child_by_field_name("parameters")
        if name is None or params is None or name.text is None:
            continue
        seen.setdefault(name.text.decode(), []).append(arity(params))
    return {name: shapes[0] if len(shapes) == 1 else None for name, shapes in seen.items()}


def _walk(node):
    stack = [node]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        yield node


def altered(path: str, before: bytes, after: bytes) -> set[str]:
    """Names of the functions and methods the change removed, or whose parameters it changed so
    that a call that fit before may not fit now (a parameter with a default added: not). Python's
    are read with ``ast``, TypeScript's with tree-sitter; other languages name none."""
    spec = language_for_path(path)
    if path.endswith(".py"):
        old, new = python_shapes(before), python_shapes(after)
        if old is None or new is None:
            return set()
        return {name for name, shape in old.items() if not name.startswith("__") and _breaks(shape, name, new)}
    if spec is not None and spec.name in _SHAPES:
        was, now = _SHAPES[spec.name](before), _SHAPES[spec.name](after)
        return {name for name, arity in was.items() if _breaks(arity, name, now)}
    if spec is None or spec.name not in ("typescript", "tsx"):
        return set()
    was, now = typescript_shapes(before, spec.name), typescript_shapes(after, spec.name)
    return {name for name, arity in was.items() if _breaks(arity, name, now)}


_SHAPES = {"go": go_shapes, "rust": rust_shapes, "java": java_shapes}


def _breaks(shape: Shape | Arity | None, name: str, now: dict) -> bool:
    """Whether ``name``, of ``shape`` before, is gone from ``now`` or no longer takes what a call
    that fit it passed (a name defined twice, before or after, is not judged: which is meant?)."""
    if shape is None or (name in now and now[name] is None):
        return False
    return shape.breaks(now.get(name))


def alarms(knowledge: Knowledge, rel: str, source: bytes) -> list[Problem]:
    """The warnings ``source``, as file ``rel``, draws (the test runs' own aside)."""
    spec = language_for_path(rel)
    assert spec is not None  # (modified() keeps files of a language kairos reads)
    return [p for p in check_file(knowledge, rel, spec.name, source, parse(source, spec.name)) if p.code in ALARMS]


def flags_of(knowledge: Knowledge, tree: Path, paths: list[str]) -> dict[tuple[str, int, str], tuple[str, range]]:
    """``{(path, first line, code): (message, the lines it covers)}`` of the warnings in ``paths``."""
    found = {}
    for rel in paths:
        for problem in alarms(knowledge, rel, (tree / rel).read_bytes()):
            covered = range(problem.start[0], problem.end[0] + 1)
            found[(rel, problem.start[0], problem.code)] = (problem.message, covered)
    return found


def warned_in(knowledge: Knowledge, rel: str, source: bytes) -> set[tuple[str, str]]:
    """(code, the stripped text of its first line) of each warning in ``source`` as ``rel``."""
    lines = source.decode("utf-8", "replace").split("\n")
    return {(p.code, lines[p.start[0]].strip()) for p in alarms(knowledge, rel, source)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir", type=Path, help="a repository's .git folder, or a bare mirror")
    parser.add_argument("--commits", type=int, default=100, help="how many of the last commits (first parent)")
    parser.add_argument("--until", default="HEAD", help="the last commit (default HEAD)")
    parser.add_argument("--files", type=int, default=12, help="skip commits modifying more source files")
    parser.add_argument("--show", type=int, default=20, help="print this many of each kind")
    args = parser.parse_args()
    git_dir, commits = last_commits(args.git_dir, args.commits, args.until)

    started = time.perf_counter()
    flags: list[Flag] = []
    sites: list[Site] = []
    examined = applications = 0
    with tempfile.TemporaryDirectory(prefix="kairos-half-") as work:
        tree = Path(work) / "tree"
        tree.mkdir()
        store = Store(tree / ".kairos" / "memory.db")
        knowledge = Knowledge(store)
        settings = Settings()
        for n, commit in enumerate(commits):
            parent = git(git_dir, "rev-parse", f"{commit}^1").strip()
            files = modified(git_dir, parent, commit)
            print(f"\r{n + 1}/{len(commits)} commits, {len(flags)} warnings", end="", file=sys.stderr)
            if not 2 <= len(files) <= args.files:
                continue
            examined += 1
            checkout(git_dir, parent, tree)
            scan_workspace(tree, store, settings)
            dream(store, trigger="half-applied")
            touched = {path: changed_lines(git_dir, parent, commit, path) for path in files}
            own = {path: _defined_here(path, (tree / path).read_bytes()) for path in files}  # as the parent has them
            for applied in files:
                before, after = (tree / applied).read_bytes(), show(git_dir, commit, applied)
                others = [path for path in files if path != applied]
                names = altered(applied, before, after)
                expected = []
                for path in others:
                    lines = (tree / path).read_bytes().decode("utf-8", "replace").split("\n")
                    for line in sorted(touched[path]):
                        text = lines[line] if line < len(lines) else ""
                        hit = next((n for n in sorted(names) if n not in own[path] and _names(text, n)), None)
                        if hit is not None:
                            site = Site(commit[:10], applied, path, line, text.strip(), hit)
                            if path.endswith(".py") and applied.endswith(".py"):
                                site.imported = imported_from(path, (tree / path).read_bytes(), applied, hit, text)
                            expected.append(site)
                applications += 1
                # What is flagged before F is applied (asked again for each F: the memory saw the
                # files applied before it go and come back)
                baseline = flags_of(knowledge, tree, others)
                (tree / applied).write_bytes(after)
                scan_paths(tree, store, [applied], settings)
                dream(store, trigger="half-applied")
                now = flags_of(knowledge, tree, others)
                answers: dict[str, set[tuple[str, str]]] = {}  # what the commit's own version of a file is warned of
                for (path, line, code), (message, covered) in now.items():
                    if (path, line, code) in baseline:
                        continue
                    text = (tree / path).read_bytes().decode("utf-8", "replace").split("\n")[line].strip()
                    changed = any(n in touched[path] for n in covered)
                    flag = Flag(commit[:10], applied, path, line, text, code, message, changed)
                    if not changed:
                        if path not in answers:
                            answers[path] = warned_in(knowledge, path, show(git_dir, commit, path))
                        flag.answered = (code, text) not in answers[path]
                    flags.append(flag)
                for site in expected:
                    site.caught = any(site.path == path and site.line in covered for path, _, covered in _spans(now))
                sites.extend(expected)
                (tree / applied).write_bytes(before)  # the parent's again, for the next file
                scan_paths(tree, store, [applied], settings)
                dream(store, trigger="half-applied")
        store.close()
    print(file=sys.stderr)
    seconds = time.perf_counter() - started

    caught = [f for f in flags if f.caught]
    left = [f for f in flags if not f.caught]
    missed = [s for s in sites if not s.caught]
    print(
        f"{git_dir}: {len(commits)} commits ({commits[0][:10]}..{commits[-1][:10]}), {examined} modify 2 - "
        f"{args.files} source files; {applications} files applied alone; {seconds:.0f} s"
    )
    answered_count = sum(f.answered for f in left)
    print(
        f"warnings: {len(flags)}; on lines the commit changed (caught): {len(caught)}; on lines it left: {len(left)}"
        f" ({answered_count} of them answered elsewhere in their file by the commit)"
    )
    for code in ALARMS:
        mine = [f for f in flags if f.code == code]
        if mine:
            print(
                f"  {code:<17} caught {sum(f.caught for f in mine):>4}   left {sum(not f.caught for f in mine):>4}"
                f"   (answered {sum(f.answered for f in mine):>3})"
            )
    print(
        "Python, TypeScript, Go, Rust and Java call sites the commit changed after their callee's parameters changed: "
        f"{len(sites)}; "
        f"warned: {len(sites) - len(missed)}; missed: {len(missed)}"
    )
    through = [s for s in sites if s.imported]
    print(
        f"  of them, Python calls through the file's own import of the changed module's function: {len(through)}; "
        f"warned: {sum(s.caught for s in through)}; missed: {sum(not s.caught for s in through)}"
    )
    for title, shown in (("left", left), ("caught", caught)):
        if shown:
            print(f"\n{title}:")
        for f in shown[: args.show]:
            answered = " (answered elsewhere in the file)" if f.answered else ""
            print(f"  {f.commit} {f.applied} -> {f.path}:{f.line + 1}: {f.code}{answered}: {f.text[:90]}")
            print(f"      {f.message[:160]}")
    if missed:
        print("\nmissed:")
    for s in missed[: args.show]:
        through_import = " [imported]" if s.imported else ""
        print(f"  {s.commit} {s.applied} ({s.name}){through_import} -> {s.path}:{s.line + 1}: {s.text[:100]}")
    return 0


def _defined_here(path: str, source: bytes) -> set[str]:
    """The functions a TypeScript file defines itself: its calls of those names are its own (the
    helpers parallel test files each define, TanStack Query's `fetchItems`); none for others."""
    spec = language_for_path(path)
    if spec and spec.name in _SHAPES:
        return set(_SHAPES[spec.name](source))
    return set(typescript_shapes(source, spec.name)) if spec and spec.name in ("typescript", "tsx") else set()


def _spans(found: dict[tuple[str, int, str], tuple[str, range]]) -> Iterator[tuple[str, str, range]]:
    """(path, code, lines covered) of each warning."""
    for (path, _, code), (_, covered) in found.items():
        yield path, code, covered


# a TypeScript definition's line, its name captured: ``function f(``, ``async m(a: T): R {``,
# ``const f = (``, ``f = async (a) =>`` (a class field)
_DEFINES = re.compile(
    r"\s*(?:(?:export|default|public|private|protected|static|async|abstract|override|declare|readonly|get|set)\s+)*"
    r"(?:function\*?\s*(?P<function>[\w$]+)"
    r"|(?:(?:const|let|var)\s+)?(?P<held>[\w$]+)\s*(?::[^=]*)?=\s*(?:async\s*)?(?:function\b|\(|[\w$]+\s*=>)"
    r"|(?P<method>[\w$]+)\s*(?:<.*>)?\s*\(.*\)\s*(?::.*)?\{\s*$)"
)


def _names(text: str, name: str) -> bool:
    """Whether a line calls or imports ``name``: ``f(``, ``.f(``, ``new f(``, ``f<T>(``,
    ``import f``, ``import a, f``, ``import { a, f } from``; not a definition's line (``def f(``,
    ``function f(``, ``m(a: T) {``), a comment's or one that starts a (Python) string."""
    if re.match(r"\s*(?:async\s+def|def|class)\s|\s*#|\s*[rbuf]*['\"]|\s*(?://|/\*|\*)", text):
        return False
    if re.match(r"\s*func\s+(?:\([^)]*\)\s*)?\w+\s*[\[(]", text):  # (Go's `func (s *T) m(`)
        return False
    if re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe|extern)\s+)*fn\s", text):  # (Rust's `fn m(`)
        return False
    if _java_defines(text, name):
        return False
    defined = _DEFINES.match(text)
    if defined and name in (defined["function"], defined["held"], defined["method"]):
        return False
    if re.search(rf"(?<![\w$]){re.escape(name)}\s*(?:<[^()]*>)?\s*\(", text):
        return True
    return bool(re.search(rf"\bimport\b.*(?<![\w.]){re.escape(name)}\b", text))


def _java_defines(text: str, name: str) -> bool:
    """Whether a line declares the Java method or constructor ``name``: ``public int name(``,
    ``<T> List<T> name(``, ``static name(`` (modifiers, a type, or both, before it)."""
    found = re.match(
        r"\s*((?:(?:public|protected|private|static|final|abstract|synchronized|native|default)\s+)*)"
        r"(?:<[^()]*?>\s+)?([\w.$]+(?:<[^()]*>)?(?:\[\])*\s+)?" + re.escape(name) + r"\s*\(",
        text,
    )
    if found is None or not (found.group(1) or found.group(2)):
        return False
    return (found.group(2) or "").split("<")[0].strip() not in (
        "return",
        "throw",
        "new",
        "else",
        "yield",
        "case",
        "await",
    )


if __name__ == "__main__":
    sys.exit(main())
