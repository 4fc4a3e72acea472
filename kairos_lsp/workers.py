"""How worker processes start in a process that runs threads (the server, the daemon).

Forking a threaded process is unsafe (a lock held by another thread stays
held in the child forever). The server and the daemon hand their scans and
dreams to a :class:`Child`, a new interpreter spoken to over pipes; a scan's
own workers (on every core) come from a fork server started in that child, or
in ``kairos scan``, where the platform has one, else from fresh interpreters.
A fork server brings multiprocessing's resource tracker with it: two more
processes (26 MB on Linux) that stay as long as the process that started them.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
# In the environment of a fork server started by start_fork_server: the pid of the process that
# started it (so that only that fork server, importing this module, acts on it).
_FORK_SERVER_OF = "KAIROS_FORK_SERVER_OF"


def python_command(code: str) -> list[str]:
    """The command line of a new interpreter that runs ``code`` with this process's module
    search path (as multiprocessing's spawn does), so that it imports the same kairos_lsp
    and libraries. ``python -c`` alone puts its working folder first: in a workspace with its
    own ``kairos_lsp/``, ``select.py`` or ``queue.py`` at the top, the child imported those.

    >>> import subprocess
    >>> out = subprocess.run(python_command("import sys; print(sys.path[0] != '')"), capture_output=True, text=True)
    >>> out.stdout
    'True\\n'
    """
    return [sys.executable, "-c", f"import sys\nsys.path[:] = {sys.path!r}\n{code}"]


class ChildGone(RuntimeError):
    """The child process died (killed, out of memory) or could not be spoken to."""


class ChildFailed(RuntimeError):
    """What the child ran raised: the message is its one line."""


class Child:
    """A child interpreter that runs calls one at a time: ``target(*args, should_stop)`` there,
    its result here. ``target`` and ``args`` are pickled (a module-level function).

    >>> child = Child()
    >>> child.call(os.getppid, ()) == os.getpid()                # doctest: +SKIP
    True
    >>> child.close()                                              # doctest: +SKIP

    The calls, and a stop for the one under way, go on its stdin; the answers, and what the
    target says meanwhile (:func:`say`: a scan's progress), come back on its stdout. The end
    of its stdin is a stop too (the parent is gone), and it dies with the thread that
    started it (``PR_SET_PDEATHSIG``, Linux), so a ``kill -9`` of the parent leaves nothing
    holding the memory open. No fork server and no resource tracker: nothing of
    multiprocessing stays beside the parent once the child ends.
    """

    def __init__(self, niceness: int = 0):
        self.process = subprocess.Popen(
            python_command(f"from kairos_lsp.workers import child_main; child_main({niceness})"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # both are PIPE
        # (descriptors of their own: the file objects' buffers are not used)
        self._calls = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._answers = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self._made = 0

    def call(
        self,
        target: Callable[..., Any],
        args: tuple,
        stop: Callable[[], bool] = lambda: False,
        heard: Callable[[Any], None] = lambda message: None,
        give_up: Callable[[], bool] = lambda: False,
    ) -> Any:
        """``target(*args, should_stop)`` in the child, waited for. Once ``stop()`` is true its
        ``should_stop()`` is too; ``heard(message)`` for each :func:`say` meanwhile; once
        ``give_up()`` is true the child is killed (:class:`ChildGone`)."""
        self._made += 1
        number = self._made
        try:
            self._calls.send(("call", number, target, args))
        except OSError as exc:
            raise ChildGone(f"the child process is gone ({exc})") from None
        asked = False
        while True:
            if self._answers.poll(0.05):  # (the child works meanwhile: a short wait is fine here)
                try:
                    kind, payload = self._answers.recv()
                except (EOFError, OSError):
                    raise ChildGone(f"the child process ended (exit {self.process.wait()})") from None
                if kind == "said":
                    heard(payload)
                    continue
                if kind == "failed":
                    raise ChildFailed(payload)
                return payload
            if not asked and stop():
                asked = True
                with contextlib.suppress(OSError):
                    self._calls.send(("stop", number))
            if give_up():
                self.kill()
                raise ChildGone("the child process was stopped")

    def close(self, wait: float = 5.0) -> None:
        """End the child: its stdin closes, it finishes the call under way (stopped) and exits."""
        self._calls.close()
        self._answers.close()
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


_SAY: Callable[[Any], None] | None = None  # in a child: sends what its target says to the parent


def say(message: Any) -> None:
    """In a :class:`Child`'s call: tell the parent ``message`` now (its ``heard``); elsewhere nothing."""
    if _SAY is not None:
        _SAY(message)


def child_main(niceness: int = 0) -> None:
    """A :class:`Child`: the calls from stdin, one at a time; the answers on stdout."""
    global _SAY
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the parent's terminal: the parent decides
    die_with_parent()
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    # the descriptors, not sys.stdin: a thread blocked in sys.stdin at exit aborts the interpreter
    calls, answers = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed meanwhile goes to stderr, not into the answers
    sending = threading.Lock()

    def send(message: tuple) -> None:
        with sending:
            answers.send(message)

    _SAY = lambda message: send(("said", message))  # noqa: E731 - set once, here
    todo: queue.Queue = queue.Queue()
    stops: dict[int, threading.Event] = {}

    def listen() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                message = calls.recv()
                if message[0] == "stop":
                    if message[1] in stops:
                        stops[message[1]].set()
                else:
                    stops[message[1]] = threading.Event()
                    todo.put(message)
        for stop in list(stops.values()):  # the parent is gone: whatever runs stops
            stop.set()
        todo.put(None)

    threading.Thread(target=listen, name="kairos-child-calls", daemon=True).start()
    while (message := todo.get()) is not None:
        _, number, target, args = message
        try:
            answer: tuple = ("done", target(*args, stops[number].is_set))
        except Exception as exc:  # noqa: BLE001 - the parent gets its line
            answer = ("failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
        finally:
            stops.pop(number, None)
        try:
            send(answer)
        except OSError:
            break


def start_fork_server() -> None:
    """Start the fork server now, from this process's main thread, so that it dies with this
    process, and each of its workers with it from the moment it is forked.

    Without this, a ``kill -9`` of the server left its fork server alive until every worker had
    reached its initializer (:func:`die_with_parent`) and handed back the fork server's "alive"
    pipe: on a loaded machine a worker took seconds to import what it runs, and the fork server,
    the worker and the resource tracker held the memory open that long. ``PR_SET_PDEATHSIG``
    fires when the *thread* that started a process ends, so only a fork server started from the
    main thread can use it; one started elsewhere works as before. Linux only; elsewhere a
    no-op."""
    if (
        START_METHOD != "forkserver"
        or not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(["__main__", __name__])
    os.environ[_FORK_SERVER_OF] = str(os.getpid())
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(_FORK_SERVER_OF, None)


def die_with_parent() -> None:
    """In a worker process: be killed when the process that started it dies, so that a
    ``kill -9`` of kairos leaves no worker holding the memory open (Linux:
    ``PR_SET_PDEATHSIG``; elsewhere workers notice their closed pipes and exit on their own).
    A worker whose parent is already gone exits now."""
    if sys.platform.startswith("linux") and _die_with(os.getppid()):
        _let_the_fork_server_go()


def _die_with(parent: int) -> bool:
    """Be killed when ``parent`` (this process's parent now) dies; exit now if it already has.
    False where ``prctl`` is missing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the call took effect
        os._exit(1)
    return True


def _let_the_fork_server_go() -> None:
    """A fork server's worker: its parent is the fork server, which lives as long as anyone
    holds its "alive" pipe, and each worker is handed one. Closing ours lets the death of the
    process that started the fork server (a ``kill -9`` of the server) end the fork server,
    and so, through ``PR_SET_PDEATHSIG``, this worker: before, a killed server's fork server,
    dream worker and resource tracker lived on for minutes, holding the memory open."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    state = getattr(forkserver, "_forkserver", None)
    alive = getattr(state, "_forkserver_alive_fd", None)
    # (in the process that runs the fork server, its pid is known and the pipe is its own: kept)
    if alive is None or getattr(state, "_forkserver_pid", None) is not None:
        return
    try:
        os.close(alive)
    except OSError:
        pass
    state._forkserver_alive_fd = None  # type: ignore[union-attr]  # (state is not None: alive came from it)


_PR_SET_PDEATHSIG = 1


def _as_fork_server() -> None:
    """Run on import: in the fork server that :func:`start_fork_server` started (it imports this
    module before it serves), die with the process that started it, and have every worker it
    forks die with the fork server from its first step."""
    if os.environ.get(_FORK_SERVER_OF) != str(os.getppid()):
        return
    del os.environ[_FORK_SERVER_OF]  # (not for the workers' own children)
    fork_server = os.getpid()
    if _die_with(os.getppid()):
        os.register_at_fork(after_in_child=lambda: _die_with(fork_server))


_as_fork_server()
