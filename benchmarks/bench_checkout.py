"""A checkout while the editor is open: what the open files are told after it, when the
editor's file watcher tells the server what changed on disk, when the server watches the
disk itself, and when nothing does.

    python benchmarks/bench_checkout.py GIT_DIR OLD NEW [--open N] [--runs editor,server,none]

The tree of GIT_DIR (a clone or a bare mirror) at OLD; the real server over stdio; its scan, a
dream; the first N source files that NEW changes opened, as an editor opens them. Then the
checkout, done the way git does it: only the files that differ are written or deleted. The
editor reloads the open buffers (``didChange``). In the ``editor`` run it has the capabilities
VS Code sends and tells what changed on disk (``workspace/didChangeWatchedFiles``, one event
per file, as VS Code sends them); in the ``server`` run it has Neovim's on Linux (no file
watching): the server watches the workspace itself; in the ``none`` run it has VS Code's but
tells nothing (what every editor's changes on disk came to before session 46). Then
``kairos.dreamNow``, and the open files' diagnostics once they are quiet.

With ``--unsaved`` the open buffers keep OLD's text instead, as unsaved work the editor does not
reload: their warnings are then what the pull changed under them (the user's copy is stale).
Otherwise NEW is released code: each warning on it is a false alarm unless its authors left a site
broken (``bench_history.py GIT_DIR --revs OLD NEW`` checks the same jump with a memory that
always follows the disk). Printed per run: the files the checkout changed, how long the memory
took to hold what the disk holds for every one of them (its content hash), how many it holds
otherwise at the end, and the warnings.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_history import checkout, git
from editor import Editor
from lsprotocol import types

from kairos_lsp.languages import language_for_path
from kairos_lsp.observe import content_hash
from kairos_lsp.store import Store

REPO = Path(__file__).resolve().parents[1]
QUIET = 3.0  # seconds without a new diagnostic: the checks are done
MATCH_WAIT = 60.0  # seconds the memory has to hold the disk's content


def changes(git_dir: Path, old: str, new: str) -> list[tuple[str, str]]:
    """``(status, path)`` of the source and ignore files that differ: A, M or D."""
    listed = git(git_dir, "diff", "--no-renames", "--name-status", "-z", old, new).split("\0")
    pairs = list(zip(listed[0::2], listed[1::2], strict=False))
    return [(status[0], path) for status, path in pairs if language_for_path(path) or path.endswith(".gitignore")]


def apply(git_dir: Path, new: str, tree: Path, changed: list[tuple[str, str]]) -> None:
    """What ``git checkout NEW`` does to the tree: the changed files written, the gone deleted."""
    written = [path for status, path in changed if status != "D"]
    for status, path in changed:
        if status == "D":
            (tree / path).unlink(missing_ok=True)
    for at in range(0, len(written), 2000):
        command = ["git", "--literal-pathspecs", f"--git-dir={git_dir}", "archive", new, "--", *written[at : at + 2000]]
        archive = subprocess.run(command, check=True, capture_output=True).stdout
        # (-m: written now, as git writes them; the archive's mtimes are the commit's, and two
        # commits in one second would leave a same-size change with the old file's size and mtime)
        subprocess.run(["tar", "-x", "-m", "-C", str(tree)], input=archive, check=True)


def stale(store_file: Path, tree: Path, changed: list[tuple[str, str]]) -> list[str]:
    """The changed files the memory holds other than the disk holds them."""
    store = Store(store_file)
    try:
        wrong = []
        for _, path in changed:
            if not language_for_path(path):
                continue
            row = store.file(path)
            disk = tree / path
            if disk.exists():
                if row is None or row["content_hash"] != content_hash(disk.read_bytes()):
                    wrong.append(path)
            elif row is not None:
                wrong.append(path)
        return wrong
    finally:
        store.close()


RUNS = {  # run: (the capabilities sent, whether the editor tells of changes on disk)
    "editor": ("visual-studio-code", True),
    "server": ("neovim", False),
    "none": ("visual-studio-code", False),
}


async def run(git_dir: Path, old: str, new: str, count: int, mode: str, unsaved: bool = False) -> dict:
    capabilities, tell = RUNS[mode]
    work = Path(tempfile.mkdtemp(prefix="kairos-checkout-"))
    tree = work / "tree"
    tree.mkdir()
    store_file = work / "memory.db"
    try:
        checkout(git_dir, old, tree)
        changed = changes(git_dir, old, new)
        opened = [path for status, path in changed if status == "M" and language_for_path(path)][:count]
        editor = await Editor.start(tree, {"storePath": str(store_file), "dream": {"idleSeconds": 3600}}, capabilities)
        await editor.scanned_and_dreamed()
        for path in opened:
            editor.open(path)
        await asyncio.sleep(QUIET)
        before = sum(len(found) for found in editor.diagnostics.values())

        apply(git_dir, new, tree, changed)
        # (unsaved buffers hold their own text: the memory follows them, not the disk)
        followed = [(status, path) for status, path in changed if not (unsaved and path in opened)]
        started = time.monotonic()
        for path in [] if unsaved else opened:  # the editor reloads the open buffers the checkout changed
            editor.reload(path)
        if tell:
            kinds = {"A": types.FileChangeType.Created, "M": types.FileChangeType.Changed}
            editor.client.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[
                        types.FileEvent(uri=editor.uri(path), type=kinds.get(status, types.FileChangeType.Deleted))
                        for status, path in changed
                    ]
                )
            )
        took = None
        while time.monotonic() - started < (15 if mode == "none" else MATCH_WAIT):
            if not stale(store_file, tree, followed):
                took = time.monotonic() - started
                break
            await asyncio.sleep(0.1)
        await editor.command("kairos.dreamNow")
        await editor.quiet(QUIET)
        left = stale(store_file, tree, followed)
        warnings = [
            (Path(uri).name, d.code, d.range.start.line + 1, d.message)
            for uri, found in sorted(editor.diagnostics.items())
            for d in found
        ]
        await editor.stop()
        return {
            "changed": len(changed),
            "opened": len(opened),
            "before": before,
            "took": took,
            "stale": left,
            "warnings": warnings,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("git_dir", type=Path)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--open", type=int, default=20, help="source files the checkout changes, opened (20)")
    parser.add_argument("--show", type=int, default=10, help="warnings printed per run (10)")
    parser.add_argument(
        "--unsaved",
        action="store_true",
        help="the open buffers keep OLD's text (unsaved work the editor does not reload): what the pull changed "
        "under them is what their warnings say",
    )
    parser.add_argument("--runs", default="editor,server,none", help="which runs, in order (editor,server,none)")
    args = parser.parse_args()
    git_dir = args.git_dir / ".git" if (args.git_dir / ".git").is_dir() else args.git_dir
    name = git_dir.parent.name if git_dir.name in (".git", "repo") else git_dir.name  # (a mirror: owner+name/repo)
    print(f"{name}: {args.old} -> {args.new}{' (the open buffers unsaved)' if args.unsaved else ''}")
    labels = {"editor": "the editor tells  ", "server": "the server watches", "none": "nothing tells     "}
    for mode in args.runs.split(","):
        result = asyncio.run(run(git_dir, args.old, args.new, args.open, mode, args.unsaved))
        waited = 15 if mode == "none" else MATCH_WAIT
        took = f"{result['took']:.2f} s" if result["took"] is not None else f"never (waited {waited:g} s)"
        codes = Counter(code for _, code, _, _ in result["warnings"])
        print(
            f"  {labels[mode]}: {result['changed']} files changed, "
            f"{result['opened']} open (warnings before {result['before']}); the memory held the disk after {took} "
            f"({len(result['stale'])} files held otherwise at the end); "
            f"warnings on the open files after the dream: {len(result['warnings'])} {dict(codes)}"
        )
        for name, code, line, message in result["warnings"][: args.show]:
            print(f"      {name}:{line} {code}: {message}")
        for path in result["stale"][: args.show]:
            print(f"      held otherwise: {path}")


if __name__ == "__main__":
    main()
