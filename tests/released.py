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
import re
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
    registry: str  # "pypi", "npm" or "debian"
    tree: str = "."  # the workspace, relative to the archive's top folder
    # Debian's: the package's file in the archive's pool (a `.deb`, or a source package's upstream
    # tarball), and its SHA-256 as the suite's index gives it (`apt-cache show`, `Sources`): Go,
    # Rust and Java have no registry of their own here, Debian packages their sources
    pool: str = ""
    sha256: str = ""

    def __str__(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def slug(self) -> str:
        """A file name for the release (npm scopes have a slash)."""
        return str(self).lstrip("@").replace("/", "-")


def _go(module: str, source: str, version: str, sha256: str, binary: str = "") -> Project:
    """A Go module on GitHub as Debian packages its sources (``github.com/{module}``, from the
    source package ``source``'s ``-dev`` package, ``binary`` when named otherwise)."""
    name = f"{binary or source}-dev"
    pool = f"pool/main/{source[0]}/{source}/{name}_{version}_all.deb"
    # (Debian keeps a module's major version out of its folder: `echo/v4` is `echo/`)
    folder = "/".join(part for part in module.split("/") if not _GO_MAJOR.fullmatch(part))
    return Project(name, version, "debian", f"share/gocode/src/github.com/{folder}", pool, sha256)


def _crate(name: str, version: str, debian: str, sha256: str) -> Project:
    """A Rust crate as Debian packages its sources (``librust-{name}-dev``, version ``debian``
    of its package: the crate's own version, a Debian revision after it)."""
    package = f"librust-{name}-dev"
    pool = f"pool/main/r/rust-{name}/{package}_{debian}_amd64.deb"
    return Project(package, debian, "debian", f"share/cargo/registry/{name}-{version}", pool, sha256)


def _java(source: str, version: str, sha256: str, suffix: str = ".tar.xz") -> Project:
    """A Java project's sources as Debian 12 keeps them: the upstream tarball of the source
    package ``source`` (``{source}_{version}.orig.tar.xz``), tests and all."""
    folder = source[:4] if source.startswith("lib") else source[0]
    pool = f"pool/main/{folder}/{source}/{source}_{version}.orig{suffix}"
    return Project(source, version, "debian", ".", pool, sha256)


_GO_MAJOR = re.compile(r"v\d+")
DEBIAN = "http://deb.debian.org/debian/"

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
    # Go (Debian 12's packages of their sources): methods across a package's files, functions
    # of the module's own packages, `f(g())` passing what a call returns, variadic parameters.
    _go(
        "gin-gonic/gin",
        "golang-github-gin-gonic-gin",
        "1.8.1-1",
        "66d916769bcd36a6722b0c92a81719b8faca56f69662b17d1ef7ba257c85367a",
    ),
    _go(
        "spf13/cobra",
        "golang-github-spf13-cobra",
        "1.6.1-1",
        "4f5d20855133319beef3c5b49d3c21a0406f270bf94fb4b6f4d406b691283cb2",
    ),
    _go(
        "miekg/dns",
        "golang-github-miekg-dns",
        "1.1.50-2",
        "a722f465c3035661d4d6f0e67f11824c9f8d90e478bde7e458e3cce49cac4c01",
    ),
    # Rust (Debian 12's packages of the crates' sources): `Self::new()` in a trait's impl, a
    # `mod tests` block's own functions, `_` parameters, `#[cfg]` on a parameter.
    _crate("regex", "1.7.1", "1.7.1-1", "9b8c87bb5aa87c0095f4cc36ed829c80e815c2f71337325bd6e25f8de1fba7f7"),
    _crate("clap", "4.0.32", "4.0.32-1", "00922f24c3eb5a899ae4438ebf7be2e82085559ee45055dbc856cdb113de9ebb"),
    _crate("anyhow", "1.0.69", "1.0.69-1", "f877f024d95d8af3c3f62e2cf74e6ba5eb976a3cf27c920bda786cd32029b79d"),
    # Java (Debian 12's upstream tarballs): overloads across a class and its bases (jsoup's
    # `Document.text(String)` beside `Element.text()`), nested classes' own methods, builders.
    _java("jsoup", "1.15.3", "052511f0be47511f9b2a17d44fc1eccc4b5373e77cc5a3221e34b6af437e1e2e"),
    _java("javapoet", "1.13.0", "b2181f46a78d1362df6ce422a07d00a9320a195fc15d412f26479e4781ffb276"),
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
    # Session 56: Go and Rust, Debian 12's packages (nats-server alone takes 30 s, go-git 50 s).
    _go(
        "labstack/echo/v4",
        "golang-github-labstack-echo",
        "4.2.1-3",
        "3ec383b8cb239c415d9ab83b3e8871524931f6da13e75e41baf580b74b3599ef",
    ),
    _go(
        "stretchr/testify",
        "golang-testify",
        "1.8.1-1",
        "214a31391cf60e1d1abd9f218cb5134a1fd646340a147a04c2d95a981024a305",
        "golang-github-stretchr-testify",
    ),
    _go(
        "go-git/go-git/v5",
        "golang-github-go-git-go-git",
        "5.4.2-3",
        "a2d87579f6ee3ae85322c035d914722d411d17fcb5da68044809490913ea04a1",
    ),
    _go(
        "nats-io/nats-server/v2",
        "nats-server",
        "2.9.10-1",
        "56afde201813d17fd3a55ecf87be54d275c2f00daa7b01eab1a97ea367b4f6c0",
        "golang-github-nats-io-nats-server",
    ),
    _go(
        "minio/minio-go/v7",
        "golang-github-minio-minio-go-v7",
        "7.0.46-1",
        "9d50291956dcd96483c8f447c210758925b6b4ea4c109aecdfbbf5b91116a35e",
    ),
    _go(
        "hashicorp/raft",
        "golang-github-hashicorp-raft",
        "1.1.2-1",
        "f34877bf2e6d361137752e477ed94bb92556fd43a6ed29fa6135cc010f7d1954",
    ),
    _go(
        "spf13/viper",
        "golang-github-spf13-viper",
        "1.10.1-1",
        "2506cd72663b1ea239207546697dc4151517813a9c87f606897b84c9e1d19e73",
    ),
    _go(
        "urfave/cli/v2",
        "golang-github-urfave-cli-v2",
        "2.3.0-2",
        "13d2a5cdf924d4c161d2f75d173888fc4dd4b1d0e04f64418f915979c811aa53",
    ),
    _go(
        "google/go-cmp",
        "golang-github-google-go-cmp",
        "0.5.9-1",
        "b68bd919daa7c1bdf02abfb68894e29e532f19b03b68c8615f50626c48f553b6",
    ),
    _go(
        "gorilla/mux",
        "golang-github-gorilla-mux",
        "1.8.0-1",
        "0880a4019fe68496a0e0a749c2948c029e489f49edd448bed2fedaba33f848c2",
    ),
    _go(
        "gorilla/websocket",
        "golang-github-gorilla-websocket",
        "1.5.0-2",
        "c43a1b15cf1446303e8683b3c877c04c88ea813c6b201876eac9388d60240ff1",
    ),
    _go(
        "caddyserver/certmagic",
        "golang-github-caddyserver-certmagic",
        "0.17.2-2",
        "95077778998de8d8defbb2a3884705d2b4e27ee5a9baf1fa399e04bc0bc46f36",
    ),
    _crate("tokio", "1.24.2", "1.24.2-1", "8b6d6c9cbfcf1980136c4a1472c31053c3282bcd905b73f5201292c62fb5f873"),
    _crate("hyper", "0.14.19", "0.14.19-1", "aece343fc0a52b2bc5f479962d8ed191ee4ac75716224cfdc693515234e2beef"),
    _crate("chrono", "0.4.23", "0.4.23-2", "e3d5c2220c1441bdbe550cece4480b70863c39f2856cf8c7b39b2aeb7c47606c"),
    _crate("syn", "1.0.107", "1.0.107-1", "64bfca244ab8ec45a4da1f5d64411af34f2d6eac7ac094f4f1dce9bf0b8a3699"),
    _crate("crossbeam-channel", "0.5.6", "0.5.6-1", "5ae819d6a49927b98fe588101e4feb792499121f4df1457d9ee30793e3f2abcd"),
    _crate("ignore", "0.4.18", "0.4.18-2+b1", "9b193694e88b3c8533c4fe1553ed0f3aae8bd06ff1f3ee652ca3b738d2959204"),
    _crate("regex-syntax", "0.6.27", "0.6.27-1", "16c9879e07d6f9c6b2618906126d17e51ec8b04bced0fe3bb0cf0f3062f8a353"),
    # Session 57: Java (guava alone takes minutes).
    _java("junit4", "4.13.2", "8cb9e6cd3c1188e93ce6ed56df12f8dab9db379256386973dbc61690ad184c60"),
    _java("libcommons-lang3-java", "3.12.0", "f7c22574707611b63bae19ff17f59e24cdd32e2b0e61a50ec9b1b525fbc909d1"),
    _java("jackson-core", "2.14.1", "d9eb6aa1898c4d5a582c52e69da249efae25e4d2c809c57dc6b6ee01c4b0fb3b"),
    _java("commons-io", "2.11.0", "5a55361cf2b97228f94b3c65e3a4af784581debe322be551c44b2776db1c6483", ".tar.gz"),
    _java("guava-libraries", "31.1", "3dbb56b34e5ebd1b97184f72d31fbf9da24cc26c28f1ad3714aeeefdeedaed2a"),
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
            archive.write_bytes(_deb_data(data, project) if project.pool.endswith(".deb") else data)
            with tarfile.open(archive) as tar:
                tar.extractall(Path(scratch) / "unpacked", filter="data")
            try:
                (Path(scratch) / "unpacked").rename(tree)  # atomic: a half-unpacked tree is never seen
            except OSError:
                if not tree.is_dir():  # another run unpacked it meanwhile: fine
                    raise
    (top,) = tree.iterdir()  # sdists unpack to name-version/, npm packages to package/, Debian's to usr/
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
    if project.registry == "debian":
        return DEBIAN + project.pool, "sha256", project.sha256
    raise ValueError(f"{project}: unknown registry {project.registry!r}")


def _deb_data(package: bytes, project: Project) -> bytes:
    """The file tree (``data.tar.*``) of a Debian package, an ``ar`` archive of three members."""
    if not package.startswith(b"!<arch>\n"):
        raise RuntimeError(f"{project}: not a Debian package")
    at = 8
    while at + 60 <= len(package):
        header = package[at : at + 60]  # name (16 bytes), dates and modes, size (10 bytes at 48)
        size = int(header[48:58])
        if header[:16].decode("ascii", "replace").startswith("data.tar"):
            return package[at + 60 : at + 60 + size]
        at += 60 + size + size % 2  # (members start on even offsets)
    raise RuntimeError(f"{project}: no data.tar in the Debian package")


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
        return [f"{where}: {what}" for where, what in self.unfit if not is_test(where) and _IN_TESTS not in where]

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


_IN_TESTS = " (in a test module)"


def _in_test_module(knowledge: Knowledge, rel: str, call) -> bool:
    """Whether a call is in a module of tests inside a source file (Rust's `#[cfg(test)] mod
    tests`: clap 4.0.32's `mod test` calls `did_you_mean_flag(...)` with one argument fewer than
    it takes, a test its features never build)."""
    row, col = call.callee_span.start
    symbol = knowledge.store.symbol_at(rel, row, col)
    head = symbol["qualname"].split(".")[0] if symbol is not None else ""
    return head in ("test", "tests") and knowledge.store.symbol_by_qualname(rel, head) is not None


def is_test(path: str) -> bool:
    """A test file or a file under a test folder: ``tests/test_x.py``, ``src/a.spec.ts``, ``x_test.go``."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in ("test", "tests", "testing", "__tests__", "spec") for p in parts[:-1])
        or name.startswith("test_")
        or ".test." in name
        or ".spec." in name
        or name.endswith("_test.go")
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
                (
                    f"{rel}:{call.callee_span.start[0] + 1}"
                    + (_IN_TESTS if _in_test_module(knowledge, rel, call) else ""),
                    f"{call.callee} -> {key}: {why}",
                )
                for call, key, why in unfit
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
