"""``kairos run``'s process side, with real processes: exit codes, live output, the kept tail,
stdin, signals, a real pseudo-terminal (and the user's terminal restored), reports written."""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from kairos_lsp.runner import files_written, run

PY = sys.executable
REPO = Path(__file__).resolve().parents[1]

# `python -c DRIVER REPORT CMD...`: kairos run's process side in a process of its own, so the tests can
# give it a terminal and send it signals. It exits with the command's code and writes what it saw to REPORT.
DRIVER = """
import json, sys
from kairos_lsp.runner import run
done = run(sys.argv[2:])
fields = done._asdict()
fields["output"] = done.output.decode(errors="replace")
with open(sys.argv[1], "w") as handle:
    json.dump(fields, handle)
sys.exit(done.exit_code)
"""


def child(code: str) -> list[str]:
    return [PY, "-c", code]


def quiet(**kwargs):
    """run() with the passed-through output thrown away."""
    sink = open(os.devnull, "wb")
    try:
        return run(stdout=sink, stderr=sink, **kwargs)
    finally:
        sink.close()


def driver_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


# -- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 3])
def test_exit_code_passed_through(code):
    done = quiet(command=child(f"import sys; sys.exit({code})"))
    assert (done.exit_code, done.error) == (code, None)


def test_killed_by_a_signal_is_128_plus_n():
    done = quiet(command=child("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    assert done.exit_code == 128 + signal.SIGKILL


def test_missing_command_is_127_with_one_line(tmp_path):
    report = tmp_path / "report.json"
    result = subprocess.run(
        [PY, "-c", DRIVER, str(report), "kairos-no-such-command-x"], capture_output=True, env=driver_env()
    )
    assert result.returncode == 127
    assert result.stderr == b"kairos: no such command: kairos-no-such-command-x\n"
    assert json.loads(report.read_text())["error"] == "kairos: no such command: kairos-no-such-command-x"


def test_not_executable_is_126(tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    done = quiet(command=[str(script)])
    assert done.exit_code == 126
    assert done.error == f"kairos: not executable: {script}"


def test_environment_marks_the_run(tmp_path):
    code = "import os; print(os.environ['KAIROS_RECORD'], os.environ['KAIROS_RUN_ID'])"
    done = quiet(command=child(code), run_id="r1", cwd=tmp_path)
    assert done.output == b"1 r1\n"
    assert done.cwd == str(tmp_path)
    assert done.started_at.endswith("Z") and done.duration > 0


# -- output -------------------------------------------------------------------------------------


def test_output_passes_through_live_and_interleaved(tmp_path):
    code = (
        "import sys, time\n"
        "print('out1', flush=True); time.sleep(0.05)\n"
        "print('err1', file=sys.stderr, flush=True); time.sleep(0.05)\n"
        "print('out2', flush=True); time.sleep(1.0)\n"
        "print('last', flush=True)\n"
    )
    report = tmp_path / "report.json"
    started = time.monotonic()
    proc = subprocess.Popen(
        [PY, "-c", DRIVER, str(report), *child(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=driver_env(),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"out1\n"
    assert proc.stdout.readline() == b"out2\n"
    arrived = time.monotonic() - started
    out, err = proc.communicate(timeout=20)
    finished = time.monotonic() - started
    assert arrived < finished - 0.5, "output arrived only when the command ended"
    assert (out, err) == (b"last\n", b"err1\n")
    assert json.loads(report.read_text())["output"] == "out1\nerr1\nout2\nlast\n"


def test_only_the_tail_is_kept():
    code = "import sys\nfor i in range(20000): sys.stdout.write(f'{i:07d}\\n')"
    done = quiet(command=child(code), keep=1000)
    assert done.truncated and len(done.output) == 1000
    assert done.output.endswith(b"0019999\n")
    whole = quiet(command=child(code), keep=1 << 20)
    assert not whole.truncated and len(whole.output) == 160000


def test_stdin_is_inherited_with_pipes(tmp_path):
    report = tmp_path / "report.json"
    result = subprocess.run(
        [PY, "-c", DRIVER, str(report), *child("import sys; print(sys.stdin.read().upper())")],
        input=b"hello",
        capture_output=True,
        env=driver_env(),
    )
    assert (result.returncode, result.stdout) == (0, b"HELLO\n")


def test_pipes_are_not_a_terminal():
    done = quiet(command=child("import sys; print(sys.stdout.isatty())"))
    assert done.output == b"False\n"


# -- signals ------------------------------------------------------------------------------------

TRAP = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
    "signal.signal(signal.SIGINT, lambda *a: sys.exit(43))\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


@pytest.mark.parametrize("sent, expected", [(signal.SIGTERM, 42), (signal.SIGINT, 43)])
def test_signals_are_forwarded_with_pipes(tmp_path, sent, expected):
    proc = subprocess.Popen(
        [PY, "-c", DRIVER, str(tmp_path / "r.json"), *child(TRAP)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=driver_env(),
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    proc.send_signal(sent)
    assert proc.wait(timeout=10) == expected


# -- a real terminal ----------------------------------------------------------------------------


def set_window(fd: int, rows: int, cols: int) -> None:
    """termios.tcsetwinsize, which Python 3.10 lacks."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Terminal:
    """A pseudo-terminal the test owns, given to a driver process as its stdin, stdout and stderr."""

    def __init__(self, rows: int = 40, cols: int = 100):
        self.master, self.slave = os.openpty()
        set_window(self.slave, rows, cols)
        self.before = termios.tcgetattr(self.slave)
        self.seen = b""

    def start(self, report: Path, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            [PY, "-c", DRIVER, str(report), *command],
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=driver_env(),
            start_new_session=True,
        )

    def read_until(self, marker: bytes, timeout: float = 10) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no {marker!r} in {self.seen!r}"
            self.seen += os.read(self.master, 65536)
        return self.seen

    def finish(self, proc: subprocess.Popen, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while proc.poll() is None or select.select([self.master], [], [], 0.05)[0]:
            assert time.monotonic() < deadline, "the driver did not end"
            if select.select([self.master], [], [], 0.05)[0]:
                self.seen += os.read(self.master, 65536)
        return proc.returncode

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal():
    t = Terminal()
    yield t
    t.close()


def test_under_a_terminal_the_command_sees_one_of_the_same_size(tmp_path, terminal):
    code = "import os, sys; print(sys.stdout.isatty(), sys.stderr.isatty(), sys.stdin.isatty(), os.get_terminal_size())"
    proc = terminal.start(tmp_path / "r.json", child(code))
    assert terminal.finish(proc) == 0
    assert b"True True True os.terminal_size(columns=100, lines=40)" in terminal.seen
    assert termios.tcgetattr(terminal.slave) == terminal.before
    assert "True True True" in json.loads((tmp_path / "r.json").read_text())["output"]


def test_under_a_terminal_raw_while_running_restored_after_and_keys_reach_the_command(tmp_path, terminal):
    code = "import sys\nprint('ready', flush=True)\nline = sys.stdin.readline()\nprint('got', line.strip().upper())"
    proc = terminal.start(tmp_path / "r.json", child(code))
    terminal.read_until(b"ready")
    assert not termios.tcgetattr(terminal.slave)[3] & termios.ICANON, "the user's terminal is raw during the run"
    os.write(terminal.master, b"hello\r")
    terminal.read_until(b"got HELLO")
    assert terminal.finish(proc) == 0
    assert termios.tcgetattr(terminal.slave) == terminal.before


def test_under_a_terminal_ctrl_c_reaches_the_command(tmp_path, terminal):
    proc = terminal.start(tmp_path / "r.json", child(TRAP))
    terminal.read_until(b"ready")
    os.write(terminal.master, b"\x03")
    assert terminal.finish(proc) == 43
    assert termios.tcgetattr(terminal.slave) == terminal.before


def test_under_a_terminal_sigterm_is_forwarded_and_the_terminal_restored(tmp_path, terminal):
    proc = terminal.start(tmp_path / "r.json", child(TRAP))
    terminal.read_until(b"ready")
    proc.send_signal(signal.SIGTERM)
    assert terminal.finish(proc) == 42
    assert termios.tcgetattr(terminal.slave) == terminal.before


def test_under_a_terminal_the_window_size_follows(tmp_path, terminal):
    code = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGWINCH, lambda *a: (print(os.get_terminal_size(), flush=True), sys.exit(0)))\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = terminal.start(tmp_path / "r.json", child(code))
    terminal.read_until(b"ready")
    set_window(terminal.slave, 30, 77)
    proc.send_signal(signal.SIGWINCH)
    terminal.read_until(b"os.terminal_size(columns=77, lines=30)")
    assert terminal.finish(proc) == 0


def test_under_a_terminal_a_missing_command_leaves_it_untouched(tmp_path, terminal):
    proc = terminal.start(tmp_path / "r.json", ["kairos-no-such-command-x"])
    assert terminal.finish(proc) == 127
    assert b"kairos: no such command: kairos-no-such-command-x" in terminal.seen
    assert termios.tcgetattr(terminal.slave) == terminal.before


# -- reports written ----------------------------------------------------------------------------

JUNIT = '<?xml version="1.0"?><testsuites><testsuite name="s" tests="1"><testcase name="t"/></testsuite></testsuites>'


def test_files_written_finds_new_reports_and_ignores_old_ones(tmp_path):
    old = tmp_path / "old.xml"
    old.write_text(JUNIT)
    os.utime(old, (time.time() - 60, time.time() - 60))
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    write = (
        "import pathlib, sys\n"
        f"junit = {JUNIT!r}\n"
        "pathlib.Path('reports').mkdir()\n"
        "pathlib.Path('reports/junit.xml').write_text(junit)\n"
        "pathlib.Path('node_modules/x/junit.xml').write_text(junit)\n"
        "pathlib.Path('pom.xml').write_text('<project/>')\n"
        "pathlib.Path('stray.json').write_text('{}')\n"
        "pathlib.Path('a/b/c').mkdir(parents=True)\n"
        "pathlib.Path('a/b/c/deep.xml').write_text(junit)\n"
        "pathlib.Path('ruff.out').write_text('{}')\n"
        "pathlib.Path('results.json').write_text('{}')\n"
    )
    command = [*child(write), "--junitxml=a/b/c/deep.xml", "-o", "ruff.out", "results.json"]
    done = quiet(command=command, cwd=tmp_path)
    assert done.exit_code == 0, done.output
    found = files_written(tmp_path, done.started, command)
    names = sorted(str(p.relative_to(tmp_path.resolve())) for p in found)
    assert names == ["a/b/c/deep.xml", "reports/junit.xml", "results.json", "ruff.out"]


def test_files_written_is_bounded(tmp_path):
    for i in range(50):
        (tmp_path / f"d{i}").mkdir()
        for j in range(100):
            (tmp_path / f"d{i}" / f"f{j}.txt").write_text("")
    start = time.perf_counter()
    assert files_written(tmp_path, time.time() + 60, []) == []
    assert time.perf_counter() - start < 1.0
