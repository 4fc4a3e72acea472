"""A test run in the terminal while the editor is open: how long until the open file shows it.

    python benchmarks/bench_news.py TREE OPEN_FILE -- COMMAND [ARGS...]

The real server over stdio on TREE (a project; its memory in TREE/.kairos), scanned and dreamed,
with OPEN_FILE open; then ``kairos run -- COMMAND`` in TREE, a process of its own (the pytest
plugin records each test's outcome), while the editor does nothing. Printed: the run's time and
exit status, and when the open file's ``recent-failure`` diagnostic came, counted from the run's
end (it needs a failing test that goes through OPEN_FILE). Example, click 8.1.7, whose
``test_expand_args`` fails here (a docs path the sdist lacks)::

    git --git-dir=CLICK_GIT archive 8.1.7 src tests setup.cfg | tar -x -C /tmp/click
    (cd /tmp/click && git init -q)
    PYTHONPATH=/tmp/click/src python benchmarks/bench_news.py /tmp/click src/click/utils.py -- \\
        python -m pytest -q tests/test_utils.py -p no:cacheprovider -p no:asyncio -W ignore
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from editor import Editor

WAIT = 20.0  # seconds after the run's end


async def run(root: Path, rel: str, command: list[str]) -> None:
    editor = await Editor.start(root, {"dream": {"idleSeconds": 3600}})
    await editor.scanned_and_dreamed()
    editor.open(rel)
    await asyncio.sleep(3)
    uri = editor.uri(rel)
    before = sorted(d.code for d in editor.diagnostics.get(uri, []))
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kairos_lsp.cli",
        "run",
        "--",
        *command,
        cwd=str(root),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await process.wait()
    ended = time.monotonic()
    came = None
    while time.monotonic() - ended < WAIT:
        if any(d.code == "recent-failure" for d in editor.diagnostics.get(uri, [])):
            came = time.monotonic() - ended
            break
        await asyncio.sleep(0.05)
    shown = [d.message[:120] for d in editor.diagnostics.get(uri, []) if d.code == "recent-failure"]
    when = f"{came:.2f} s after the run ended" if came is not None else f"not within {WAIT:.0f} s"
    print(f"{rel}: before the run {before or 'no warnings'}; the run took {ended - started:.1f} s")
    print(f"  (exit {process.returncode}); recent-failure {when}: {shown}")
    await editor.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path)
    parser.add_argument("open_file")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    asyncio.run(run(args.tree.resolve(), args.open_file, command))


if __name__ == "__main__":
    main()
