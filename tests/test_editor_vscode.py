"""The VS Code extension (editors/vscode): its unit tests, its settings against the server's
options, and the packaged .vsix in a real VS Code.

The real one is code-server (VS Code in a browser, from npm) on 127.0.0.1 with the .vsix
installed, driven through Debian's chromium by playwright-core (tests/editors/vscode_session.js):
the status bar item, a hover with kairos' text, a stale-call diagnostic after the callee's
signature is edited, its quick fix, the Review view (and a Reject there), the status dialog.
Screenshots go to $KAIROS_ARTIFACTS (default .artifacts/editors/vscode).

.ci/editors installs node 24, code-server, playwright-core and chromium, cached outside the
repository; without them these tests say "skipped" with the reason, and with
KAIROS_EDITOR_TESTS=required (.ci/run) that is a failure.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kairos_lsp.config import InitializationOptions, camel

REPO = Path(__file__).resolve().parents[1]
EXTENSION = REPO / "editors" / "vscode"
DEMO = REPO / "kairos_lsp" / "demo"
SESSION = Path(__file__).parent / "editors" / "vscode_session.js"
CACHE = Path(os.environ.get("KAIROS_EDITORS_CACHE", Path.home() / ".cache" / "kairos-lsp-editors"))


def missing(reason: str):
    if os.environ.get("KAIROS_EDITOR_TESTS") == "required":
        pytest.fail(f"KAIROS_EDITOR_TESTS=required, but {reason}")
    pytest.skip(reason)


def tools() -> dict[str, str]:
    """What .ci/editors installed (its env file), checked."""
    env_file = CACHE / "env"
    if not env_file.exists():
        missing(f"the editor tools are not installed ({env_file} is missing: run .ci/editors)")
    found = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    for name in ("KAIROS_NODE", "KAIROS_CODE_SERVER", "KAIROS_PLAYWRIGHT", "KAIROS_CHROMIUM"):
        if not found.get(name) or not Path(found[name]).exists():
            missing(f"{name} is not installed ({found.get(name) or 'no path'}: run .ci/editors)")
    if not (EXTENSION / "node_modules").is_dir():
        missing("editors/vscode has no node_modules (run .ci/editors, or npm ci there)")
    return found


def node_env(found: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(found['KAIROS_NODE']).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


# -- settings: one per initialization option ------------------------------------------------


def option_paths(cls=InitializationOptions, prefix: str = "") -> set[str]:
    paths = set()
    for f in dataclasses.fields(cls):
        name = prefix + camel(f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            paths |= option_paths(type(default), name + ".")
        else:
            paths.add(name)
    return paths


def test_every_initialization_option_is_a_setting():
    manifest = json.loads((EXTENSION / "package.json").read_text())
    settings = set(manifest["contributes"]["configuration"]["properties"])
    options = {f"kairos.{p}" for p in option_paths()}
    assert options <= settings, f"options without a VS Code setting: {sorted(options - settings)}"
    assert settings - options == {"kairos.serverPath", "kairos.trace.server"}
    source = (EXTENSION / "src" / "settings.ts").read_text()
    for path in option_paths():  # ... and the extension sends each of them
        assert f'path: "{path}"' in source, path


def test_commands_are_declared_and_activation_is_by_language():
    manifest = json.loads((EXTENSION / "package.json").read_text())
    titles = {c["command"]: c["title"] for c in manifest["contributes"]["commands"]}
    for title in ("Dream now", "Show memory for symbol", "Forget this file", "Status", "Restart server"):
        assert title in titles.values()
    assert manifest["main"] == "./dist/extension.js" and "browser" not in manifest
    assert "onLanguage:python" in manifest["activationEvents"]
    assert "extensionDependencies" not in manifest
    sources = "".join(p.read_text() for p in (EXTENSION / "src").glob("*.ts"))
    for command in titles:  # every declared command is registered
        assert f'"{command}"' in sources, command


# -- the extension's own unit tests (node's test runner) --------------------------------------


def test_extension_unit_tests():
    found = tools()
    proc = subprocess.run(
        ["npm", "test", "--silent"], cwd=EXTENSION, env=node_env(found), capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    counts = dict(re.findall(r"^(?:#|ℹ) (pass|fail) (\d+)$", proc.stdout, re.M))
    assert counts.get("fail") == "0" and int(counts.get("pass", 0)) >= 15, proc.stdout[-2000:]


# -- the real thing ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def vsix(tmp_path_factory) -> Path:
    found = tools()
    env = node_env(found)
    target = tmp_path_factory.mktemp("vsix") / "kairos.vsix"
    package = ["npx", "--no-install", "vsce", "package", "-o", str(target)]
    for command in (["npm", "run", "compile", "--silent"], package):
        proc = subprocess.run(command, cwd=EXTENSION, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{' '.join(command)}: {proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return target


def test_vsix_holds_the_bundle(vsix):
    import zipfile

    names = set(zipfile.ZipFile(vsix).namelist())
    assert "extension/dist/extension.js" in names and "extension/package.json" in names
    assert not any("node_modules" in n or n.startswith("extension/src/") for n in names)


def run_code_server(vsix: Path, work: Path, opened: Path, artifacts_name: str, **extra: str) -> dict:
    """code-server with the .vsix installed, ``opened`` (a folder or a .code-workspace file)
    in Chromium, tests/editors/vscode_session.js driving it (``extra``: more of its
    environment); what the session wrote down, with the logs and where the screenshots are."""
    found = tools()
    env = node_env(found)
    data, extensions = work / "user-data", work / "extensions"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(
        json.dumps(
            {
                "kairos.serverPath": str(Path(sys.executable).parent / "kairos-lsp"),
                "kairos.dream.idleSeconds": 1,
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "workbench.enableExperiments": False,
                "security.workspace.trust.enabled": False,
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "telemetry.telemetryLevel": "off",
                "editor.hover.delay": 200,
                "update.mode": "none",
                "chat.disableAIFeatures": True,
                "workbench.secondarySideBar.defaultVisibility": "hidden",
            }
        )
    )
    code_server = found["KAIROS_CODE_SERVER"]
    common = ["--user-data-dir", str(data), "--extensions-dir", str(extensions)]
    cs_env = {**env, "EXTENSIONS_GALLERY": "{}", "HOME": str(work)}
    cs_env.pop("KAIROS_STORE", None)
    install = [code_server, *common, "--install-extension", str(vsix)]
    proc = subprocess.run(install, env=cs_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    port = free_port()
    log = (work / "code-server.log").open("w")
    server = subprocess.Popen(
        [
            code_server,
            *common,
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--vscode-option",
            "force-disable-user-env",
            str(opened),
        ],
        env=cs_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    artifacts = Path(os.environ.get("KAIROS_ARTIFACTS", REPO / ".artifacts" / "editors")) / artifacts_name
    shutil.rmtree(artifacts, ignore_errors=True)
    out = work / "result.json"
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"code-server did not start: {(work / 'code-server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        run = subprocess.run(
            [found["KAIROS_NODE"], str(SESSION)],
            env={
                **env,
                "KAIROS_PLAYWRIGHT": found["KAIROS_PLAYWRIGHT"],
                "KAIROS_CHROMIUM": found["KAIROS_CHROMIUM"],
                "KAIROS_URL": url,
                "KAIROS_TEST_OUT": str(out),
                "KAIROS_ARTIFACTS": str(artifacts),
                **extra,
            },
            capture_output=True,
            text=True,
            timeout=420,
        )
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    if not out.exists():
        said = run.stdout[-2000:] + run.stderr[-2000:]
        pytest.fail(f"the browser session wrote nothing (exit {run.returncode}): {said}")
    result = json.loads(out.read_text())
    logs = sorted(data.glob("logs/**/*kairos*.log"))
    result["log"] = "\n".join(p.read_text()[-3000:] for p in logs) + (work / "code-server.log").read_text()[-2000:]
    result["artifacts"] = str(artifacts)
    return result


def demo_copy(root: Path) -> Path:
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", ".kairos"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture(scope="module")
def session(vsix, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("vscode")
    root = demo_copy(work / "shop")
    return run_code_server(vsix, work, root, "vscode", KAIROS_TEST_ROOT=str(root))


def passed(session: dict, name: str) -> None:
    for step in session["steps"]:
        if step["name"] == name:
            assert step["ok"], f"{name}: {step['err']}\nscreenshots in {session['artifacts']}\n{session['log']}"
            return
    failed = [s for s in session["steps"] if not s["ok"]]
    reason = f"{failed[0]['name']!r} failed first: {failed[0]['err']}" if failed else session.get("error", "")
    pytest.fail(f"step {name!r} never ran; {reason}\nscreenshots in {session['artifacts']}\n{session['log']}")


def test_status_bar_item(session):
    passed(session, "status bar item")
    assert session["status_text"].startswith("kairos")
    assert "Click for the memory's status" in (session["status_tooltip"] or "")


def test_hover_shows_kairos_text(session):
    passed(session, "hover")
    assert "price_with_tax(amount: float, rate: float = TAX_RATE) -> float" in session["hover"]
    assert "Add tax to a net amount, rounded to cents." in session["hover"]


def test_memory_view(session):
    passed(session, "memory view")
    assert "price_with_tax" in session["memory_description"]  # the symbol the view shows
    assert any(row.startswith(("firm (", "tentative (")) for row in session["memory_rows"]), session["memory_rows"]
    assert {"Confirm", "Reject"} <= set(session["memory_actions"])
    body = next(row for row in session["memory_rows"] if row.startswith("body hash: "))  # the first row, by name
    assert "stale" not in body  # checked against pricing.py, not against the buffer the cursor is in


def test_stale_call_diagnostic(session):
    passed(session, "edit the callee")
    assert "region: str" in session["edited_line"]
    passed(session, "diagnostic")
    assert "price_with_tax" in session["problem"] and "leaves out `region`" in session["problem"]
    assert "kairos" in session["problem"]


def test_quick_fix(session):
    passed(session, "quick fix")
    assert "region" in session["fix_title"]
    assert "price_with_tax(unit_price * quantity, region=" in session["fixed_line"]


def test_review_view(session):
    passed(session, "review view")
    rows = [r for r in session["review_rows"] if "price_with_tax" in r]
    assert rows and "signature" in rows[0] and "superseded" in rows[0], session["review_rows"]
    assert {"Confirm", "Reject", "Open code"} <= set(session["review_actions"])
    assert not any("price_with_tax" in r and "signature" in r for r in session["review_after"])


def test_status_dialog(session):
    passed(session, "status command")
    assert "facts:" in session["status_dialog"] and "files" in session["status_dialog"]
    assert "disk: followed: the editor tells of files changed on disk" in session["status_dialog"]


def test_a_change_outside_the_editor_reaches_the_open_caller(session):
    """VS Code's own file watcher, registered by the server, tells it of a file rewritten on
    disk while closed (a pull): the open caller is warned of the rename."""
    passed(session, "a change on disk outside the editor")
    assert "price_after_tax" in session["outside_problem"] and "price_with_tax" in session["outside_problem"]


def test_screenshots_saved(session):
    names = {Path(p).name for p in session.get("screenshots", [])}
    assert {"status-bar.png", "hover.png", "memory.png", "diagnostic.png", "review.png"} <= names


# -- a workspace of two folders ---------------------------------------------------------------


@pytest.fixture(scope="module")
def multi_root(vsix, tmp_path_factory) -> dict:
    """A .code-workspace of two folders, the demo and a copy whose pricing says VAT, with one
    absolute ``kairos.storePath`` for the workspace (which would mix the two folders' files)."""
    work = tmp_path_factory.mktemp("vscode-multi")
    shop, annex = demo_copy(work / "shop"), demo_copy(work / "annex")
    pricing = annex / "inventory" / "pricing.py"
    pricing.write_text(pricing.read_text().replace("Add tax to a net amount", "Add VAT to a net amount"))
    workspace = work / "two.code-workspace"
    shared = work / "shared.db"
    settings = {"kairos.storePath": str(shared)}
    workspace.write_text(json.dumps({"folders": [{"path": "shop"}, {"path": "annex"}], "settings": settings}))
    result = run_code_server(
        vsix,
        work,
        workspace,
        "vscode-multi",
        KAIROS_TEST_MODE="multi",
        KAIROS_TEST_WORKSPACE=str(workspace),
        KAIROS_TEST_ROOT=str(shop),
        KAIROS_TEST_OTHER=str(annex),
    )
    result["memories"] = sorted(str(p.relative_to(work)) for p in [*work.glob("*/.kairos/memory.db"), shared])
    return result


def test_each_folder_of_a_multi_root_workspace_has_its_own_memory(multi_root):
    """A workspace of two folders: the second folder's files get hovers from its own memory
    (before, the server knew the first folder only), and the status bar, the status dialog
    and the Review view follow the active editor's folder."""
    passed(multi_root, "open the workspace")
    passed(multi_root, "the second folder's hover")
    assert "Add VAT to a net amount" in multi_root["other_hover"], multi_root["other_hover"]
    passed(multi_root, "the status follows the folder")
    assert "(annex)" in multi_root["other_status"] and "(shop)" in multi_root["first_status"], multi_root
    assert "annex/.kairos/memory.db" in multi_root["other_dialog"], multi_root["other_dialog"]
    assert "annex" in multi_root["other_review"]  # the Review view says whose memory it shows
    # the workspace's storePath is the first folder's; the second keeps its own, and says so
    assert multi_root["memories"] == ["annex/.kairos/memory.db", "shared.db"]
    assert "is shop's memory; annex keeps its own in .kairos/" in multi_root["store_warning"]
