"""A command run with the terminal untouched: ``kairos run -- CMD ARGS...``.

``run`` starts the command, passes its output through as it comes and keeps
only the tail of it, forwards signals and stdin, and returns what happened:

    >>> import sys
    >>> done = run([sys.executable, "-c", "print('hi')"], stdout=open(os.devnull, "wb"))
    >>> done.exit_code, done.output.strip(), done.truncated, done.error
    (0, b'hi', False, None)
    >>> run(["kairos-no-such-command"], stderr=open(os.devnull, "w")).exit_code
    127

When stdout is a terminal the command runs in a pseudo-terminal of the same
size (tools keep their colours and progress bars), the user's terminal is put
in raw mode while it runs and restored on every way out; otherwise it runs
with pipes, stdout and stderr passed through to ours. The exit code is the
command's, ``128 + N`` when signal N killed it, 127 for a missing command and
126 for one that cannot be executed (one line on stderr, no traceback).

``files_written`` finds the reports (JUnit XML, SARIF) a run left behind.

Standard library only: the CLI imports this module for every ``kairos run``.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque, namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and pathlib cost milliseconds to import, and kairos run imports this module first
    from pathlib import Path
    from typing import Any

FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGWINCH", "SIGTSTP", "SIGCONT", "SIGCHLD")
"""Signals ``run`` listens to while the command runs (SIGCHLD only wakes the loop)."""

CHUNK = 1 << 16


class Completed(
    namedtuple("Completed", "command cwd exit_code started_at duration output truncated error started", defaults=(0.0,))
):
    """What one run did (a named tuple: ``dataclasses`` would cost ``kairos run`` milliseconds to import).

    - ``command`` (list of str), ``cwd`` (str);
    - ``exit_code``: the command's exit code; 128+N when killed by signal N; 127 command not found;
      126 not executable;
    - ``started_at``: ISO 8601, UTC, milliseconds (``2025-01-31T14:02:00.123Z``);
    - ``duration``: seconds, wall clock;
    - ``output``: the last ``keep`` bytes the command printed, stdout and stderr interleaved as they came;
    - ``truncated``: ``output`` is only the tail of what was printed;
    - ``error``: one line when the command could not start (``kairos: no such command: foo``), already
      printed to stderr; else None;
    - ``started``: ``time.time()`` when the command started: the ``since`` of ``files_written``.
    """

    __slots__ = ()


class Tail:
    """The last ``keep`` bytes of a stream, in a deque of chunks.

    >>> t = Tail(5)
    >>> for chunk in (b"abc", b"defg", b"h"):
    ...     t.add(chunk)
    >>> t.value(), t.truncated
    (b'defgh', True)
    """

    def __init__(self, keep: int):
        self.keep = max(0, keep)
        self.chunks: deque[bytes] = deque()
        self.held = 0
        self.seen = 0

    def add(self, data: bytes) -> None:
        self.seen += len(data)
        if len(data) >= self.keep:
            self.chunks.clear()
            self.chunks.append(data[len(data) - self.keep :] if self.keep else b"")
            self.held = self.keep
            return
        self.chunks.append(data)
        self.held += len(data)
        while self.chunks and self.held - len(self.chunks[0]) >= self.keep:
            self.held -= len(self.chunks.popleft())

    def value(self) -> bytes:
        data = b"".join(self.chunks)
        return data[len(data) - self.keep :] if len(data) > self.keep else data

    @property
    def truncated(self) -> bool:
        return self.seen > self.keep


def _fileno(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return None


def _isatty(stream: Any) -> bool:
    fd = _fileno(stream)
    return fd is not None and os.isatty(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])


class _Sink:
    """Where passed-through output goes: a file descriptor, or a binary or text stream without one."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.fd = _fileno(stream)
        if self.fd is not None:
            try:
                stream.flush()
            except (AttributeError, ValueError, OSError):
                pass
        self.broken = False

    def write(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            if self.fd is not None:
                _write_all(self.fd, data)
            elif hasattr(self.stream, "buffer"):
                self.stream.buffer.write(data)
                self.stream.flush()
            else:
                try:
                    self.stream.write(data)
                except TypeError:
                    self.stream.write(data.decode(errors="replace"))
                self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.broken = True
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.EBADF):
                raise
            self.broken = True


def _now_iso(moment: float) -> str:
    seconds = int(moment)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int((moment - seconds) * 1000):03d}Z"


def _decode_status(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def _start_error(exc: OSError, command: list[str], cwd: str) -> tuple[int, str]:
    name = command[0]
    if isinstance(exc, FileNotFoundError) and exc.filename == cwd and cwd != name:
        return 127, f"kairos: no such directory: {cwd}"
    if isinstance(exc, FileNotFoundError):
        return 127, f"kairos: no such command: {name}"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EISDIR):
        return 126, f"kairos: not executable: {name}"
    return 126, f"kairos: cannot run {name}: {exc.strerror or exc}"


class _Signals:
    """While the command runs: signals wake the loop through a pipe instead of running handlers.

    Only possible on the main thread; elsewhere ``available`` is False and the loop polls.
    """

    def __init__(self) -> None:
        self.available = False
        self.previous: dict[int, Any] = {}
        self.previous_fd = -1
        self.read_fd = self.write_fd = -1

    def __enter__(self) -> _Signals:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return self
        self.read_fd, self.write_fd = os.pipe()
        for fd in (self.read_fd, self.write_fd):
            os.set_blocking(fd, False)
            os.set_inheritable(fd, False)
        self.previous_fd = signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)
        for name in FORWARDED:
            number = getattr(signal, name, None)
            if number is not None:
                self.previous[number] = signal.signal(number, _note)
        self.available = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.available:
            return
        for number, handler in self.previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(self.previous_fd)
        os.close(self.read_fd)
        os.close(self.write_fd)

    def pending(self) -> list[int]:
        try:
            return list(os.read(self.read_fd, 512))
        except BlockingIOError:
            return []


def _note(number: int, frame: object) -> None:
    """The Python-level handler: nothing to do, the wakeup pipe carries the signal number."""


def _foreground(fds: list[int]) -> bool:
    """Our process group owns the terminal: keys like Ctrl-C already reached a child in our group."""
    for fd in fds:
        try:
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def run(
    command: list[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    keep: int = 1 << 20,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    run_id: str | None = None,
) -> Completed:
    """Run ``command`` as if typed in the terminal, and return what happened.

    ``env`` is the command's whole environment (default ``os.environ``); ``KAIROS_RECORD=1``
    is added unless ``env`` sets it, and ``KAIROS_RUN_ID`` when ``run_id`` is given.
    ``stdin`` (default: ours, inherited), ``stdout`` and ``stderr`` (default ``sys.stdout`` and
    ``sys.stderr``) are streams or file descriptors. When ``stdout`` is a terminal the command
    runs in a pseudo-terminal and its stdout and stderr both go to ``stdout``.
    Only the last ``keep`` bytes of output are held in memory.

    >>> import sys
    >>> sink = open(os.devnull, "wb")
    >>> run([sys.executable, "-c", "import sys; sys.exit(3)"], stdout=sink).exit_code
    3
    >>> done = run(["sh", "-c", "echo 0123456789"], keep=4, stdout=sink)
    >>> done.output, done.truncated
    (b'789\\n', True)
    """
    if not command:
        raise ValueError("run: an empty command")
    command = [os.fspath(part) for part in command]
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    where = os.path.abspath(os.fspath(cwd) if cwd is not None else os.getcwd())
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("KAIROS_RECORD", "1")
    if run_id is not None:
        child_env["KAIROS_RUN_ID"] = run_id
    tail = Tail(keep)
    started = time.time()
    clock = time.perf_counter()
    if isinstance(out, int):
        out = os.fdopen(out, "wb", closefd=False)
    if isinstance(err, int):
        err = os.fdopen(err, "wb", closefd=False)
    with _Signals() as signals:
        if _isatty(out):
            code, error = _run_pty(command, where, child_env, stdin, out, tail, signals)
        else:
            code, error = _run_pipes(command, where, child_env, stdin, out, err, tail, signals)
    if error:
        _Sink(err).write(error.encode() + b"\n")
    return Completed(
        command=command,
        cwd=where,
        exit_code=code,
        started_at=_now_iso(started),
        duration=time.perf_counter() - clock,
        output=tail.value(),
        truncated=tail.truncated,
        error=error,
        started=started,
    )


def _run_pipes(
    command: list[str],
    cwd: str,
    env: dict[str, str],
    stdin: Any,
    out: Any,
    err: Any,
    tail: Tail,
    signals: _Signals,
) -> tuple[int, str | None]:
    try:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        return _start_error(exc, command, cwd)
    assert child.stdout is not None and child.stderr is not None
    sinks = {child.stdout.fileno(): _Sink(out), child.stderr.fileno(): _Sink(err)}
    open_fds = list(sinks)
    status: int | None = None
    try:
        while open_fds or status is None:
            watched = open_fds + ([signals.read_fd] if signals.available else [])
            timeout = None if signals.available and status is None else 0.05
            if status is not None:
                timeout = 0.0  # the command is gone: take what is buffered, don't wait for its children
            ready, _, _ = select.select(watched, [], [], timeout)
            for fd in ready:
                if fd == signals.read_fd:
                    for number in signals.pending():
                        if number in (signal.SIGCHLD, signal.SIGWINCH, signal.SIGTSTP, signal.SIGCONT):
                            continue
                        if number in (signal.SIGINT, signal.SIGQUIT) and _foreground([0, 1, 2]):
                            continue  # the terminal sent it to our whole process group, the command included
                        _send(child.pid, number)
                    continue
                data = os.read(fd, CHUNK)
                if not data:
                    open_fds.remove(fd)
                    continue
                tail.add(data)
                sinks[fd].write(data)
                if sinks[fd].broken:  # our reader went away: the command sees it too (SIGPIPE / EPIPE)
                    open_fds.remove(fd)
                    (child.stdout if fd == child.stdout.fileno() else child.stderr).close()
            if status is None:
                status = _reap(child.pid, block=not open_fds)
            elif not ready:
                break
    finally:
        if status is None:
            _, status = os.waitpid(child.pid, 0)
        child.returncode = _decode_status(status)  # so Popen never waits for it again
        for stream in (child.stdout, child.stderr):
            stream.close()
    return _decode_status(status), None


def _reap(pid: int, *, block: bool, untraced: bool = False) -> int | None:
    flags = (0 if block else os.WNOHANG) | (os.WUNTRACED if untraced else 0)
    try:
        found, status = os.waitpid(pid, flags)
    except ChildProcessError:
        return 0
    return status if found else None


def _send(pid: int, number: int, group: bool = False) -> None:
    try:
        if group:
            os.killpg(pid, number)
        else:
            os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _window(fd: int) -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.lines, size.columns


def _copy_window(source_fds: list[int], target: int) -> None:
    import termios

    for fd in source_fds:
        size = _window(fd)
        if size:
            import fcntl
            import struct

            fcntl.ioctl(target, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
            return


def _run_pty(
    command: list[str],
    cwd: str,
    env: dict[str, str],
    stdin: Any,
    out: Any,
    tail: Tail,
    signals: _Signals,
) -> tuple[int, str | None]:
    import termios
    import tty

    out_fd = _fileno(out)
    assert out_fd is not None
    in_fd = _fileno(sys.stdin) if stdin is None else (stdin if isinstance(stdin, int) else _fileno(stdin))
    in_tty = in_fd is not None and os.isatty(in_fd)
    master, slave = os.openpty()
    os.set_inheritable(master, False)
    saved = None
    try:
        if in_tty:
            assert in_fd is not None
            try:
                termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(in_fd))
            except termios.error:
                pass
        _copy_window([out_fd] + ([in_fd] if in_fd is not None else []), slave)
        try:
            child = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=slave if in_tty else stdin,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
                preexec_fn=_controlling_terminal,
            )
        except OSError as exc:
            return _start_error(exc, command, cwd)
        finally:
            os.close(slave)
            slave = -1
        sink = _Sink(out)
        if in_tty:
            assert in_fd is not None
            saved = termios.tcgetattr(in_fd)
            tty.setraw(in_fd, termios.TCSANOW)
        status = _pump_pty(child.pid, master, in_fd if in_tty else None, sink, tail, signals, saved, out_fd)
        child.returncode = _decode_status(status)
        return _decode_status(status), None
    finally:
        if saved is not None and in_fd is not None:
            termios.tcsetattr(in_fd, termios.TCSAFLUSH, saved)
        if slave >= 0:
            os.close(slave)
        os.close(master)


def _controlling_terminal() -> None:
    """In the child, after ``setsid``: its pseudo-terminal (fd 1) becomes its controlling terminal."""
    import fcntl
    import termios

    try:
        fcntl.ioctl(1, termios.TIOCSCTTY, 0)
    except OSError:  # colours still work; only keys that send signals (Ctrl-C) would not
        pass


def _pump_pty(
    pid: int,
    master: int,
    in_fd: int | None,
    sink: _Sink,
    tail: Tail,
    signals: _Signals,
    saved: list[Any] | None,
    out_fd: int,
) -> int:
    import termios

    status: int | None = None
    master_open = True
    suspend = saved[6][termios.VSUSP] if saved is not None else None
    try:
        while master_open:
            watched = [master] + ([in_fd] if in_fd is not None else [])
            watched += [signals.read_fd] if signals.available else []
            timeout = None if signals.available and status is None else 0.05
            if status is not None:
                timeout = 0.0
            ready, _, _ = select.select(watched, [], [], timeout)
            stop = False
            for fd in ready:
                if fd == master:
                    try:
                        data = os.read(master, CHUNK)
                    except OSError as exc:  # EIO: every holder of the terminal's other side has closed it
                        if exc.errno != errno.EIO:
                            raise
                        data = b""
                    if not data:
                        master_open = False
                        continue
                    tail.add(data)
                    sink.write(data)
                elif fd == in_fd:
                    data = os.read(in_fd, CHUNK)
                    if not data:
                        in_fd = None
                        continue
                    if suspend and suspend in data and _isig(master):
                        before, _, rest = data.partition(suspend)
                        _write_all(master, before)
                        stop = True
                        data = rest
                    _write_all(master, data)
                else:
                    for number in signals.pending():
                        if number == signal.SIGWINCH:
                            _copy_window([out_fd] + ([in_fd] if in_fd is not None else []), master)
                            _send(pid, signal.SIGWINCH, group=True)
                        elif number == signal.SIGTSTP:
                            stop = True
                        elif number == signal.SIGCONT:
                            _send(pid, signal.SIGCONT, group=True)
                        elif number != signal.SIGCHLD:
                            _send(pid, number, group=True)
            if stop and status is None:
                _suspend(pid, in_fd, saved, master, out_fd)
            if status is None:
                status = _reap(pid, block=False)
            elif not ready:
                break
    finally:
        if status is None:
            _, status = os.waitpid(pid, 0)
    return status


def _isig(master: int) -> bool:
    """The command's terminal turns keys into signals (it is not in raw mode itself)."""
    import termios

    try:
        return bool(termios.tcgetattr(master)[3] & termios.ISIG)
    except termios.error:
        return True


def _suspend(pid: int, in_fd: int | None, saved: list[Any] | None, master: int, out_fd: int) -> None:
    """Ctrl-Z: stop the command (its own session ignores a terminal stop), give the terminal back, stop ourselves.

    On ``fg`` we continue here: raw mode again, the window size again, the command continued.
    """
    import termios
    import tty

    _send(pid, signal.SIGSTOP, group=True)
    if saved is not None and in_fd is not None:
        termios.tcsetattr(in_fd, termios.TCSAFLUSH, saved)
    previous = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    try:
        os.kill(0, signal.SIGTSTP)
    finally:
        signal.signal(signal.SIGTSTP, previous)
    if saved is not None and in_fd is not None:
        tty.setraw(in_fd, termios.TCSANOW)
    _copy_window([out_fd] + ([in_fd] if in_fd is not None else []), master)
    _send(pid, signal.SIGCONT, group=True)


REPORT_SUFFIXES = (".xml", ".sarif", ".sarif.json", ".json")
SCANNED_SUFFIXES = (".xml", ".sarif", ".sarif.json")
SKIPPED_DIRS = {".git", "node_modules", ".venv", "venv", ".kairos", "__pycache__", ".tox", ".nox", ".mypy_cache"}
REPORT_DIRS = (
    "build/test-results",
    "target/surefire-reports",
    "target/failsafe-reports",
    "target/nextest",
    "test-results",
    "reports",
    "junit",
)
"""Report folders walked to depth 2 from themselves, beside the workspace root's own depth 2."""
OUTPUT_OPTIONS = ("-o", "--output", "--output-file", "--out", "--junitxml", "--junit-xml", "--report", "--sarif")
MAX_ENTRIES = 4000
"""``files_written`` looks at no more directory entries than this."""
CLOCK_SLACK = 0.02
"""File times come from a coarse kernel clock, a tick behind ``time.time()``."""


def files_written(root: str | os.PathLike[str], since: float, names_in_command: list[str]) -> list[Path]:
    """Reports written at or after ``since``: JUnit XML, SARIF, and JSON files the command named.

    Looks at the paths named on the command line (``--junitxml=out.xml``, ``--output-file x.sarif``,
    ``-o x``, ``--outputFile.junit=x.xml``), at ``root`` and its folders to depth 2 and at well-known
    report folders (``target/surefire-reports``, ``build/test-results``...), skipping hidden folders,
    ``node_modules`` and virtual environments; never more than ``MAX_ENTRIES`` entries. A scanned
    ``*.xml`` counts only when it holds a ``<testsuite``.

    >>> files_written("/nonexistent", 0.0, ["pytest", "--junitxml=out.xml"])
    []
    """
    from pathlib import Path

    base = Path(root)
    since -= CLOCK_SLACK
    found: dict[Path, None] = {}
    for name in _named_paths(names_in_command):
        path = base / name
        if _fresh(path, since):
            found[path.resolve()] = None
    budget = [MAX_ENTRIES]
    _walk(base, 2, since, found, budget)
    for folder in REPORT_DIRS:
        _walk(base / folder, 2, since, found, budget)
    return sorted(found)


def _named_paths(args: list[str]) -> list[str]:
    """Paths a command line names as its output.

    >>> _named_paths(["pytest", "--junitxml=a.xml", "-o", "x", "--outputFile.junit=b.xml", "c.sarif", "-q"])
    ['a.xml', 'x', 'b.xml', 'c.sarif']
    """
    names = []
    for i, arg in enumerate(args[1:], 1):
        option, eq, value = arg.partition("=")
        if eq and option.startswith("-"):
            if _is_output(option) or value.endswith(REPORT_SUFFIXES):
                names.append(value)
        elif i > 1 and "=" not in args[i - 1] and _is_output(args[i - 1]):
            names.append(arg)
        elif not arg.startswith("-") and arg.endswith(REPORT_SUFFIXES):
            names.append(arg)
    return [n for n in dict.fromkeys(names) if n]


def _is_output(option: str) -> bool:
    option = option.split(".", 1)[0]
    return option in OUTPUT_OPTIONS or option.lower().startswith(("--output", "--junit", "--report"))


def _fresh(path: Path, since: float) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_mtime >= since and path.is_file()


def _walk(folder: Path, depth: int, since: float, found: dict[Path, None], budget: list[int]) -> None:
    try:
        entries = os.scandir(folder)
    except OSError:
        return
    with entries:
        for entry in entries:
            budget[0] -= 1
            if budget[0] < 0:
                return
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth > 0 and entry.name not in SKIPPED_DIRS and not entry.name.startswith("."):
                        _walk(folder / entry.name, depth - 1, since, found, budget)
                elif entry.name.endswith(SCANNED_SUFFIXES) and entry.stat().st_mtime >= since:
                    path = folder / entry.name
                    if not entry.name.endswith(".xml") or _junit(path):
                        found[path.resolve()] = None
            except OSError:
                continue


def _junit(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"<testsuite" in handle.read(4096)
    except OSError:
        return False
