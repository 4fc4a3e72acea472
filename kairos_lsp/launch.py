"""The light front of ``kairos run -- CMD ARGS...``: run the command, hand the recording on.

The terminal waits only for the command: this module imports the standard
library and ``runner`` alone, runs the command (``runner.run``), and passes
what happened to a background ``kairos record-run`` that opens the memory,
reads the reports the command wrote and records it all, then exits with the
command's own exit code. ``--wait`` (or ``KAIROS_RUN_WAIT=1``) records before
exiting, for scripts that read the memory next.

The output tail goes to the recorder in a private temporary file (0600) that
it deletes; nothing of the run leaves the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from kairos_lsp import runner

USAGE = "usage: kairos run [--wait] -- CMD [ARGS...]"


def main(argv: list[str]) -> int:
    """``argv``: what follows ``kairos run``."""
    wait = os.environ.get("KAIROS_RUN_WAIT") == "1"
    args = list(argv)
    while args and args[0].startswith("-") and args[0] != "--":
        flag = args.pop(0)
        if flag == "--wait":
            wait = True
        elif flag in ("-h", "--help"):
            print(USAGE + "\n\nRuns CMD with the terminal untouched and records what it said in the memory.")
            return 0
        else:
            print(f"kairos run: unknown option {flag}; {USAGE}", file=sys.stderr)
            return 2
    if args and args[0] == "--":
        args.pop(0)
    if not args:
        print(f"kairos run: no command given; {USAGE}", file=sys.stderr)
        return 2
    token = os.urandom(8).hex()
    started = time.time()
    done = runner.run(args, run_id=token)
    if done.error is not None:
        return done.exit_code  # the command never started: nothing to record
    reports = runner.files_written(done.cwd, started, args)
    handoff = _handoff(done, token, reports)
    if handoff is None:
        return done.exit_code
    recorder = [sys.executable, "-m", "kairos_lsp.cli", "record-run", handoff]
    try:
        if wait:
            # what was recorded goes to stderr: stdout is the command's alone (it may be piped)
            subprocess.run(recorder, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False)
        else:
            subprocess.Popen(
                recorder,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C at the prompt must not stop it
                close_fds=True,
            )
    except OSError as exc:
        print(f"kairos run: the run was not recorded: {exc.strerror or exc}", file=sys.stderr)
    return done.exit_code


def _handoff(done: runner.Completed, token: str, reports: list) -> str | None:
    """A private file with what the recorder needs: a header of ``key=value`` lines, a blank
    line, then the output tail."""
    header = {
        "token": token,
        "cwd": done.cwd,
        "command": "\0".join(done.command),
        "exit_code": str(done.exit_code),
        "started_at": done.started_at,
        "duration_ms": str(int(done.duration * 1000)),
        "truncated": "1" if done.truncated else "0",
        "reports": "\0".join(str(path) for path in reports),
    }
    try:
        # tempfile.mkstemp, without loading tempfile: O_EXCL, 0600, an unguessable name
        path = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"kairos-run-{token}.txt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for key, value in header.items():
                handle.write(f"{key}={value.encode('unicode_escape').decode('ascii')}\n".encode())
            handle.write(b"\n")
            handle.write(done.output)
    except OSError as exc:
        print(f"kairos run: the run was not recorded: {exc.strerror or exc}", file=sys.stderr)
        return None
    return path


def read_handoff(path: str) -> tuple[dict[str, str], bytes]:
    """What :func:`_handoff` wrote (the file is removed once read)."""
    with open(path, "rb") as handle:
        data = handle.read()
    os.unlink(path)
    head, _, output = data.partition(b"\n\n")
    header = {}
    for line in head.decode("ascii").splitlines():
        key, _, value = line.partition("=")
        header[key] = value.encode("ascii").decode("unicode_escape")
    return header, output
