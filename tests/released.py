"""Released projects at fixed versions, and what kairos says about them on a first scan.

Shared by ``tests/test_false_alarms.py`` (which asserts that kairos raises no
false alarm on them) and ``benchmarks/bench_false_alarms.py`` (which counts
them). Code that was released as it is cannot hold a call that no longer fits
its callee, a reference to a renamed or deleted symbol, or a docstring that
drifted *because of a change kairos saw*: a fresh memory has seen no change,
so every ``stale-call``, ``renamed-symbol``, ``missing-symbol`` and
``docstring-drift`` it raises there is a false alarm.

The projects are Python sdists from PyPI and npm packages that ship their
TypeScript sources (their ``src/``: the compiled ``dist/`` next to it is build
output a developer's workspace would ignore). The TypeScript ones were chosen
for overload signatures declared before an implementation and constructor
parameter properties (``constructor(private x: X)``). Two are JavaScript as
written (their ``lib/``): axios (ES modules, default exports) and undici
(CommonJS), whose calls leave parameters out or pass more, as JavaScript allows.

Downloads go to the registries' JSON APIs for the archive's address and
digest (PEP 691 for PyPI, sha256; the npm registry, sha512), are verified, and
are unpacked once into a cache that survives between runs:
``$KAIROS_TEST_CACHE`` if set, else ``~/.cache/kairos-lsp-tests/``.

>>> tree = fetch(PROJECTS[0])                                  # doctest: +SKIP
>>> report = examine(PROJECTS[0], tree, Path("/tmp/work"))     # doctest: +SKIP
>>> report.count("stale-call")                                 # doctest: +SKIP
0
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sysconfig
import tarfile
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kairos_lsp.checks import (
    DEPRECATED_SYMBOL,
    DOCSTRING_DRIFT,
    MISSING_SYMBOL,
    RENAMED_SYMBOL,
    STALE_CALL,
    Problem,
    check_file,
    unfit_calls,
)
from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.scan import iter_source_files, scan_workspace
from kairos_lsp.store import Store

# The codes that must never fire on released code (recent-failure needs a recorded test run).
ALARMS = (STALE_CALL, RENAMED_SYMBOL, MISSING_SYMBOL, DOCSTRING_DRIFT, DEPRECATED_SYMBOL)

PYPI_SIMPLE = "https://pypi.org/simple/{name}/"
NPM_REGISTRY = "https://registry.npmjs.org/{name}/{version}"
TIMEOUT = 60  # seconds, per request


@dataclass(frozen=True)
class Project:
    """One release: where it comes from and which of its folders is the workspace."""

    name: str
    version: str
    registry: str  # "pypi" or "npm"
    tree: str = "."  # the workspace, relative to the archive's top folder

    def __str__(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def slug(self) -> str:
        """A file name for the release (npm scopes have a slash)."""
        return str(self).lstrip("@").replace("/", "-")


PROJECTS: tuple[Project, ...] = (
    Project("requests", "2.32.3", "pypi"),
    Project("click", "8.1.7", "pypi"),
    Project("flask", "3.0.3", "pypi"),
    Project("attrs", "24.2.0", "pypi"),
    Project("httpx", "0.28.1", "pypi"),
    Project("rich", "13.9.4", "pypi"),
    # Overloads by the hundred (operators), classes with `constructor(private ...)`.
    Project("rxjs", "7.8.1", "npm", "src"),
    # Classes whose constructors declare `public name_: string` properties; overloaded API functions.
    Project("mobx", "6.13.5", "npm", "src"),
    # QueryClient, QueryCache, observers: `constructor(public config: ...)`.
    Project("@tanstack/query-core", "5.59.20", "npm", "src"),
    # JavaScript: ES modules of default exports, `AxiosError.from = (...) => {}`; calls that leave
    # parameters out or pass more, as JavaScript allows.
    Project("axios", "1.7.9", "npm", "lib"),
    # JavaScript, CommonJS: `webidl.brandCheck = function () {}`, private methods, `require`.
    Project("undici", "6.21.0", "npm", "lib"),
)

# Releases tried in sessions 48 and 49, counted by ``bench_false_alarms.py --more`` (not by the
# tests: effect alone takes 10 s). Each found calls judged against what they do not call.
MORE_PROJECTS: tuple[Project, ...] = (
    Project("jinja2", "3.1.4", "pypi"),  # `def pformat(obj): from pprint import pformat`
    Project("werkzeug", "3.1.3", "pypi"),  # `super().load(...)` in `load`, examples of its own
    Project("pluggy", "1.5.0", "pypi"),
    Project("packaging", "24.2", "pypi"),
    Project("marshmallow", "3.23.1", "pypi"),
    Project("starlette", "0.41.3", "pypi"),
    Project("typer", "0.15.1", "pypi"),
    Project("urllib3", "2.2.3", "pypi"),
    Project("commander", "12.1.0", "npm", "lib"),
    Project("express", "4.21.2", "npm", "lib"),
    Project("immer", "10.1.1", "npm", "src"),
    # A reducer in an object literal and its action creator destructured; an object's method
    # calling the module's function of the same name.
    Project("@reduxjs/toolkit", "2.5.0", "npm", "src"),
    Project("@trpc/server", "10.45.2", "npm", "src"),
    # Dual APIs: overloaded generic call signatures without semicolons, and variance annotations,
    # which half of its files did not parse for (tree-sitter/tree-sitter-typescript#335; read
    # since session 49: languages/repairs.py).
    Project("effect", "3.11.0", "npm", "src"),
    # Session 49: variance annotations (`out Output`), `Number.isFinite` beside a class's own.
    Project("zod", "4.1.12", "npm", "src"),
    Project("@effect/platform", "0.70.0", "npm", "src"),
)


class Unavailable(Exception):
    """A release that cannot be downloaded (no network, registry down); the message is one line."""


def cache_root() -> Path:
    return Path(os.environ.get("KAIROS_TEST_CACHE") or Path.home() / ".cache" / "kairos-lsp-tests")


def fetch(project: Project, cache: Path | None = None) -> Path:
    """The unpacked workspace of ``project``, downloaded and verified on first use."""
    home = (cache or cache_root()) / project.registry / project.slug
    tree = home / "unpacked"
    if not tree.is_dir():
        url, algorithm, digest = _locate(project)
        data = _get(url, project)
        if hashlib.new(algorithm, data).hexdigest() != digest:
            raise RuntimeError(f"{project}: {url} does not match the registry's {algorithm} digest")
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=home) as scratch:
            archive = Path(scratch) / "archive.tar.gz"
            archive.write_bytes(data)
            with tarfile.open(archive) as tar:
                tar.extractall(Path(scratch) / "unpacked", filter="data")
            try:
                (Path(scratch) / "unpacked").rename(tree)  # atomic: a half-unpacked tree is never seen
            except OSError:
                if not tree.is_dir():  # another run unpacked it meanwhile: fine
                    raise
    (top,) = tree.iterdir()  # sdists unpack to name-version/, npm packages to package/
    return top / project.tree


def fetched(project: Project) -> Path:
    """:func:`fetch` for a test: without network (and no cache) the test is skipped."""
    import pytest  # (the benchmarks import this module too, without pytest)

    try:
        return fetch(project)
    except Unavailable as exc:
        pytest.skip(str(exc))


def _locate(project: Project) -> tuple[str, str, str]:
    """The archive's address and the registry's digest of it: (url, algorithm, hex digest)."""
    if project.registry == "pypi":
        index = _get_json(PYPI_SIMPLE.format(name=project.name), project, accept="application/vnd.pypi.simple.v1+json")
        wanted = {
            f"{project.name}-{project.version}.tar.gz".lower(),
            f"{project.name.replace('-', '_')}-{project.version}.tar.gz".lower(),
        }
        for entry in index["files"]:
            if entry["filename"].lower() in wanted:
                return entry["url"], "sha256", entry["hashes"]["sha256"]
        raise RuntimeError(f"{project}: PyPI has no sdist of this version")
    if project.registry == "npm":
        meta = _get_json(
            NPM_REGISTRY.format(name=urllib.parse.quote(project.name, safe="@"), version=project.version), project
        )
        algorithm, _, encoded = meta["dist"]["integrity"].partition("-")
        return meta["dist"]["tarball"], algorithm, base64.b64decode(encoded).hex()
    raise ValueError(f"{project}: unknown registry {project.registry!r}")


def _get(url: str, project: Project, accept: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as exc:  # HTTPError, timeouts, no route
        raise Unavailable(f"cannot download {project} from {url}: {getattr(exc, 'reason', exc)}") from exc


def _get_json(url: str, project: Project, accept: str = "application/json") -> dict:
    return json.loads(_get(url, project, accept))


@dataclass
class Report:
    """What kairos said about every source file of one release after a scan and a dream."""

    project: Project
    files: int = 0  # files checked
    problems: list[tuple[str, Problem]] = field(default_factory=list)  # (path, problem), all codes
    skipped: list[tuple[str, str]] = field(default_factory=list)  # the scan's (path, reason)
    crashes: list[tuple[str, str]] = field(default_factory=list)  # (path, the exception's last line)
    # Calls judged with certainty that do not bind to their callee as it is (``checks.unfit_calls``):
    # on released code each is a mistake of resolution or binding, unless the call is wrong on purpose.
    unfit: list[tuple[str, str]] = field(default_factory=list)  # (path:line, "callee -> key: why")
    judged: int = 0  # calls judged with certainty
    seconds: float = 0.0

    def unfit_outside_tests(self) -> list[str]:
        """Unfit calls in the library's own sources (tests may call things wrongly on purpose)."""
        return [f"{where}: {what}" for where, what in self.unfit if not is_test(where)]

    @property
    def alarms(self) -> list[tuple[str, Problem]]:
        return [(path, p) for path, p in self.problems if p.code in ALARMS]

    def count(self, code: str) -> int:
        return sum(p.code == code for _, p in self.problems)

    def lines(self, limit: int = 30) -> list[str]:
        """The alarms and crashes as ``path:line: code: message``, at most ``limit`` of them."""
        found = [f"{path}:{p.start[0] + 1}: {p.code}: {p.message}" for path, p in self.alarms]
        found += [f"{path}: crashed: {error}" for path, error in self.crashes]
        if len(found) > limit:
            found[limit:] = [f"... and {len(found) - limit} more"]
        return found


def is_test(path: str) -> bool:
    """A test file or a file under a test folder: ``tests/test_x.py``, ``src/a.spec.ts``."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in ("test", "tests", "testing", "__tests__", "spec") for p in parts[:-1])
        or name.startswith("test_")
        or ".test." in name
        or ".spec." in name
    )


def examine(project: Project, tree: Path, work: Path) -> Report:
    """Copy ``tree`` into ``work``, scan and dream it into a fresh store, and check every source file.

    The copy keeps the cache clean (the store lives in the workspace's ``.kairos/``).
    """
    started = time.perf_counter()
    root = work / project.slug
    shutil.copytree(tree, root)
    report = Report(project)
    store = Store(root / ".kairos" / "memory.db")
    try:
        scan = scan_workspace(root, store, Settings())
        dream(store, trigger="test")
        report.skipped = scan.skipped
        skipped = {path for path, _ in scan.skipped}
        knowledge = Knowledge(store)
        for rel in iter_source_files(root):
            if rel in skipped:
                continue
            language = language_for_path(rel).name
            source = (root / rel).read_bytes()
            report.files += 1
            try:
                problems = check_file(knowledge, rel, language, source, parse(source, language))
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with its file
                where = traceback.extract_tb(exc.__traceback__)[-1]
                report.crashes.append((rel, f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"))
                continue
            report.problems += [(rel, problem) for problem in problems]
            judged, unfit = unfit_calls(knowledge, rel, language, source, parse(source, language))
            report.judged += judged
            report.unfit += [
                (f"{rel}:{call.callee_span.start[0] + 1}", f"{call.callee} -> {key}: {why}") for call, key, why in unfit
            ]
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def stdlib_source(rel: str) -> str:
    """A file of the standard library of the interpreter running the tests (released code);
    the test is skipped where the interpreter ships without it."""
    import pytest  # (the benchmarks import this module too, without pytest)

    path = Path(sysconfig.get_paths()["stdlib"]) / rel
    if not path.is_file():
        pytest.skip(f"this interpreter ships no {rel}")
    return path.read_text(encoding="utf-8")
