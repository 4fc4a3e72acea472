"""One command timed with its family's memory, alone or alternating with the code of another checkout.

    python benchmarks/bench_command.py [--before CHECKOUT] [--runs N] [--copy DB] -- kairos export --json --store DB

Runs the command ``--runs`` times (default 1); with ``--before``, each run is followed by
the same command on the code of CHECKOUT (a ``git worktree`` of an earlier commit, put
first on ``PYTHONPATH``), so that both see the same machine. A command that starts with
``kairos`` runs as ``python -m kairos_lsp.cli``, so the code it runs is the one chosen.
Each run prints: its wall seconds, the CPU seconds of the process and its descendants,
the peak RSS of the process alone and of the whole family (workers, children, helpers;
sampled every 50 ms from /proc, as ``bench_large.py`` does), and the MD5 of what it
printed (two versions' outputs compared byte for byte without keeping them).

``--copy DB``: before each run, DB is copied to a temporary file, and ``{db}`` in the
command names that copy (a command that changes the memory, such as ``kairos verify``).

What session 29 ran with it (README, "Large trees"): ``kairos verify`` and ``kairos export
--json`` of the dreamed large memory, and ``kairos scan`` of the large tree.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_large import PeakRSS

REPO = Path(__file__).resolve().parent.parent


def run(command: list[str], code: Path, copy: Path | None) -> str:
    """One run on the code at ``code``: its line of figures."""
    with tempfile.TemporaryDirectory(prefix="kairos-bench-command-") as work:
        db = Path(work) / "memory.db"
        if copy is not None:
            shutil.copyfile(copy, db)
        argv = [part.replace("{db}", str(db)) for part in command]
        if argv[0] == "kairos":
            argv = [sys.executable, "-m", "kairos_lsp.cli", *argv[1:]]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))}
        digest = hashlib.md5()
        start = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        peak = PeakRSS(process.pid)
        assert process.stdout is not None
        while chunk := process.stdout.read(1 << 20):
            digest.update(chunk)
        process.wait()
        elapsed = time.perf_counter() - start
        peak.stop()
    return (
        f"{elapsed:7.2f} s  CPU {peak.cpu:7.2f} s  peak RSS {peak.main / 1e6:4.0f} MB alone, "
        f"{peak.total / 1e6:4.0f} MB with its family  exit {process.returncode}  output md5 {digest.hexdigest()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--copy", type=Path, help="a memory copied before each run, named {db} in the command")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (after --)")
    print(f"command: {' '.join(command)}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    for number in range(1, args.runs + 1):
        print(f"run {number} now    : {run(command, REPO, args.copy)}", flush=True)
        if args.before is not None:
            print(f"run {number} before : {run(command, args.before.resolve(), args.copy)}", flush=True)


if __name__ == "__main__":
    main()
