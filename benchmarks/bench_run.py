"""What `kairos run` adds to a trivial command, against running it bare in the same run.

    python benchmarks/bench_run.py [N]

Target (issue 9): at most 50 ms. Measured N times each (default 50), bare and wrapped
alternating, medians printed:

- ``runner.run(["true"])`` against ``subprocess.run(["true"])``, with pipes (stdout not a
  terminal) and under a pseudo-terminal (stdout a terminal: the pty path, raw mode and back);
- the real CLI, ``kairos run -- true`` (the console script beside this interpreter) against ``true``,
  in a fresh workspace
  (it includes the interpreter's start, kairos' imports and recording the run); skipped with
  a note while ``kairos run`` is not wired into the CLI. ``python -c pass`` is printed beside it
  to show how much of that is the interpreter alone. The CLI runs with its bytecode cached (in a
  private ``PYTHONPYCACHEPREFIX``, as an installed kairos has it; this overrides
  ``PYTHONDONTWRITEBYTECODE``), and each wrapped run is followed by a pause so that the background
  recorder it starts does not slow the next measurement.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from kairos_lsp.runner import run

TARGET_MS = 50.0


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def compare(
    label: str,
    bare: Callable[[], object],
    wrapped: Callable[[], object],
    n: int,
    target: bool = True,
    pause: float = 0.0,
) -> None:
    bare(), wrapped()  # warm the caches
    time.sleep(pause)
    bare_ms, wrapped_ms = [], []
    for _ in range(n):
        bare_ms.append(timed(bare))
        wrapped_ms.append(timed(wrapped))
        time.sleep(pause)
    b, w = statistics.median(bare_ms), statistics.median(wrapped_ms)
    verdict = ("ok" if w - b <= TARGET_MS else "MISS") if target else "(not against the target)"
    print(f"{label:<34} bare {b:8.2f} ms   wrapped {w:8.2f} ms   overhead {w - b:+8.2f} ms   {verdict}")


def kairos_script(env: dict[str, str]) -> str | None:
    """The ``kairos`` console script, when it passes a command's exit code through ``kairos run``."""
    beside = os.path.join(os.path.dirname(sys.executable), "kairos")
    script = beside if os.path.exists(beside) else shutil.which("kairos")
    if script is None:
        return None
    with tempfile.TemporaryDirectory() as workspace:
        probe = subprocess.run(
            [script, "run", "--wait", "--", "sh", "-c", "exit 3"], cwd=workspace, capture_output=True, env=env
        )
    return script if probe.returncode == 3 else None


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print(f"N={n}, medians, target: overhead at most {TARGET_MS:.0f} ms")
    with open(os.devnull, "wb") as sink:
        compare(
            "runner.run, pipes",
            lambda: subprocess.run(["true"], stdout=sink, stderr=sink),
            lambda: run(["true"], stdout=sink, stderr=sink),
            n,
        )
    master, slave = os.openpty()
    try:
        terminal = os.fdopen(slave, "wb", closefd=False)
        compare(
            "runner.run, pty",
            lambda: subprocess.run(["true"], stdin=slave, stdout=slave, stderr=slave),
            lambda: run(["true"], stdin=terminal, stdout=terminal, stderr=terminal),
            n,
        )
    finally:
        os.close(master)
        os.close(slave)
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = os.path.join(scratch, "pycache")
        workspace = os.path.join(scratch, "workspace")
        os.mkdir(workspace)
        script = kairos_script(env)  # also fills the bytecode cache
        if script is None:
            print("kairos run -- true                 skipped: `kairos run` is not wired into the CLI yet")
            return
        compare(
            "python -c pass (interpreter alone)",
            lambda: subprocess.run(["true"], cwd=workspace, env=env),
            lambda: subprocess.run([sys.executable, "-c", "pass"], cwd=workspace, env=env),
            n,
            target=False,
        )
        compare(
            "kairos run -- true (CLI, pipes)",
            lambda: subprocess.run(["true"], cwd=workspace, capture_output=True, env=env),
            lambda: subprocess.run([script, "run", "--", "true"], cwd=workspace, capture_output=True, env=env),
            n,
            pause=1.0,
        )


if __name__ == "__main__":
    main()
