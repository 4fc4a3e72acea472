"""``kairos shell-init``: each snippet parses in its shell, and real interactive shells record what ran.

``kairos`` on PATH is replaced by a script that appends its arguments to a file.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kairos_lsp.shell import SHELLS, snippet

SEP = "\x1f"
SYNTAX = {"bash": ["bash", "-n"], "zsh": ["zsh", "-n"], "fish": ["fish", "--no-execute"]}


def needs(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")


@pytest.fixture
def fake_kairos(tmp_path):
    """A ``kairos`` that logs each call as one line of arguments separated by \\x1f; returns (PATH, log)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    script = bin_dir / "kairos"
    # one write per call (a line under PIPE_BUF, appended: atomic), since calls run in the background at once
    script.write_text(
        "#!/bin/sh\nsep=$(printf '\\037')\nline=''\n"
        f'for a in "$@"; do line="$line$a$sep"; done\nprintf \'%s\\n\' "$line" >> {log}\n'
    )
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}", log


def calls(log: Path, expected: int, timeout: float = 10) -> list[dict]:
    """The recorded calls, once ``expected`` of them arrived (they run in the background, in any order)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # anything more would show up now
    lines = log.read_text().splitlines() if log.exists() else []
    found = []
    for line in lines:
        args = line.split(SEP)[:-1]
        if args[:1] != ["record-command"]:
            continue  # the session's own `kairos scan`, which the fake logs too
        assert args[7] == "--", args
        options = dict(zip(args[1:7:2], args[2:7:2]))
        found.append(
            {
                "exit": int(options["--exit"]),
                "duration": float(options["--duration"]),
                "cwd": options["--cwd"],
                "line": args[8],
                "argc": len(args),
            }
        )
    return found


def duration(found: list[dict], line: str) -> float:
    return next(c["duration"] for c in found if c["line"] == line)


@pytest.mark.parametrize("shell", SHELLS)
def test_snippet_is_valid_syntax(tmp_path, shell):
    needs(shell)
    rc = tmp_path / f"rc.{shell}"
    rc.write_text(snippet(shell))
    result = subprocess.run([*SYNTAX[shell], str(rc)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_unknown_shell_is_one_line():
    with pytest.raises(ValueError, match=r"^kairos shell-init: unknown shell 'csh' \(bash, zsh or fish\)$"):
        snippet("csh")


SESSION = [
    "echo hi",
    "",
    "cd {sub}",
    "false",
    "kairos scan",
    'echo "a  b" | cat; (exit 7)',
    "sleep 0.3",
]
EXPECTED = [
    ("echo hi", 0, "{home}"),
    ("cd {sub}", 0, "{sub}"),
    ("false", 1, "{sub}"),
    ('echo "a  b" | cat; (exit 7)', 7, "{sub}"),
    ("sleep 0.3", 0, "{sub}"),
]


@pytest.fixture
def session(tmp_path):
    sub = tmp_path / "sub dir"
    sub.mkdir()
    typed = [line.replace("{sub}", f"'{sub}'") for line in SESSION]
    want = [
        (line.replace("{sub}", f"'{sub}'"), code, cwd.format(home=tmp_path, sub=sub)) for line, code, cwd in EXPECTED
    ]
    return "".join(f"{line}\n" for line in typed) + "exit\n", want


def test_interactive_bash_records_each_command(tmp_path, fake_kairos, session):
    path, log = fake_kairos
    typed, want = session
    rc = tmp_path / "bashrc"
    rc.write_text(snippet("bash"))
    result = subprocess.run(
        ["bash", "--rcfile", str(rc), "-i"],
        input=typed,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": path, "HISTFILE": str(tmp_path / "history")},
        timeout=30,
    )
    assert "a  b" in result.stdout
    got = calls(log, len(want))
    assert sorted((c["line"], c["exit"], c["cwd"]) for c in got) == sorted(want)
    assert all(c["argc"] == 9 for c in got), "the command line is one argument"
    assert duration(got, "sleep 0.3") >= 0.25 and duration(got, "echo hi") < 0.25


def test_bash_keeps_the_exit_code_for_the_prompt_and_honours_ignorespace(tmp_path, fake_kairos):
    path, log = fake_kairos
    rc = tmp_path / "bashrc"
    rc.write_text("PROMPT_COMMAND='echo \"status=$?\"'\nHISTCONTROL=ignorespace\nset -u\n" + snippet("bash"))
    typed = "(exit 5)\n echo secret\necho visible\nexit\n"
    result = subprocess.run(
        ["bash", "--rcfile", str(rc), "-i"],
        input=typed,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": path, "HISTFILE": str(tmp_path / "history")},
        timeout=30,
    )
    assert "status=5" in result.stdout
    assert "unbound" not in result.stderr
    assert sorted((c["line"], c["exit"]) for c in calls(log, 2)) == [("(exit 5)", 5), ("echo visible", 0)]


def test_the_prompt_never_waits_for_kairos_nor_shows_its_failures(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    slow = bin_dir / "kairos"
    slow.write_text("#!/bin/sh\necho noisy; echo loud >&2; sleep 3; exit 1\n")
    slow.chmod(0o755)
    rc = tmp_path / "bashrc"
    rc.write_text(snippet("bash"))
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "--rcfile", str(rc), "-i"],
        input="true\ntrue\ntrue\nexit\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HISTFILE": str(tmp_path / "h")},
        timeout=30,
    )
    assert time.monotonic() - started < 2.5
    assert "noisy" not in result.stdout and "loud" not in result.stderr


def test_interactive_zsh_records_each_command(tmp_path, fake_kairos, session):
    needs("zsh")
    path, log = fake_kairos
    typed, want = session
    zdot = tmp_path / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_text(snippet("zsh"))
    subprocess.run(
        ["zsh", "-i"],
        input=typed,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": path, "ZDOTDIR": str(zdot)},
        timeout=30,
    )
    got = calls(log, len(want))
    assert sorted((c["line"], c["exit"], c["cwd"]) for c in got) == sorted(want)
    assert duration(got, "sleep 0.3") >= 0.25 and duration(got, "echo hi") < 0.25


def test_interactive_fish_records_each_command(tmp_path, fake_kairos, session):
    """fish fires fish_postexec only when it reads from a terminal: it gets one."""
    needs("fish")
    path, log = fake_kairos
    typed, want = session
    typed = typed.replace("(exit 7)", "fish -c 'exit 7'")
    want = [(line.replace("(exit 7)", "fish -c 'exit 7'"), code, cwd) for line, code, cwd in want]
    rc = tmp_path / "config.fish"
    rc.write_text(snippet("fish"))
    env = {**os.environ, "PATH": path, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path)}
    pid, master = pty.fork()
    if pid == 0:  # the child: exec fish at once
        os.chdir(tmp_path)
        os.execvpe("fish", ["fish", "-i", "-C", f"source {rc}"], env)
    try:
        deadline = time.monotonic() + 30
        for line in typed.splitlines():
            os.write(master, line.encode() + b"\r")
            time.sleep(0.5 if "sleep" in line else 0.2)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            try:
                if ready and not os.read(master, 65536):
                    break
            except OSError:
                break
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
    finally:
        os.close(master)
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    got = calls(log, len(want))
    assert sorted((c["line"], c["exit"], c["cwd"]) for c in got) == sorted(want)
    assert duration(got, "sleep 0.3") >= 0.25
