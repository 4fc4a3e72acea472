"""Child processes: the scans' workers, the server's and the daemon's scans and dreams.

Forking a process that runs threads (the server, the daemon) is unsafe: a lock held by
another thread stays held in the child forever. And multiprocessing's pools start from a
fork server, which brings a resource tracker with it: two more processes (26 MB here) that
stay as long as the process that started them. So kairos starts its workers as
:class:`Child` processes, new interpreters spoken to over pipes; nothing of them stays
once they end.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


def code_fingerprint(package: str | None = None) -> str:
    """What kairos' code on disk is now: the name, size and mtime of every source file of the
    package (a few hundred microseconds).

    >>> code_fingerprint() == code_fingerprint()
    True
    """
    top = package or os.path.dirname(os.path.abspath(__file__))
    seen = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".scm", ".sql")):
                st = os.stat(os.path.join(folder, name))
                seen.append(f"{os.path.relpath(os.path.join(folder, name), top)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.blake2b("\n".join(seen).encode(), digest_size=8).hexdigest()


# The code this process runs, read when it started: a child is a new interpreter that imports
# what is on disk now, and after an upgrade (`pip install -U` while the editor is open) that is
# other code, whose calls and answers this one may not read.
CODE = code_fingerprint()
CODE_CHANGED_EXIT = 75  # a child's exit status when the code on disk is not its parent's
CODE_CHANGED = "kairos-lsp changed on disk since this process started (an upgrade?): restart it to use the new version"


class ChildGone(RuntimeError):
    """The child process died (killed, out of memory) or could not be spoken to."""


class CodeChanged(ChildGone):
    """The child would run other code than its parent: kairos changed on disk since the parent
    started. Its message says to restart."""


class ChildFailed(RuntimeError):
    """What the child ran raised: the message is its one line."""


class Child:
    """A child interpreter that runs calls in the order sent: ``target(*args, should_stop)``
    there, its result here. ``target`` is a module-level function; it and ``args`` are pickled.

    ::

        child = Child()
        report = child.call(scan_in_child, args, stop=edited.is_set, heard=progress)
        first, second = child.send(observe, (chunk1,)), child.send(observe, (chunk2,))
        results = child.receive(first), child.receive(second)
        child.close()

    The calls, and a stop for one of them, go on its stdin; the answers, and what a target
    says meanwhile (:func:`say`: a scan's progress), come back on its stdout, sent by a thread
    of their own so that the next call starts while the parent has not read the last answer
    yet. The end of its stdin is a stop too (the parent is gone), and it dies with the thread
    that started it (``PR_SET_PDEATHSIG``, Linux), so a ``kill -9`` of the parent leaves
    nothing holding the memory open.
    """

    def __init__(self, niceness: int = 0):
        self.process = subprocess.Popen(
            python_command(f"from kairos_lsp.workers import child_main; child_main({niceness}, {CODE!r})"),
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
        self._sent = 0

    def send(self, target: Callable[..., Any], args: tuple) -> int:
        """Queue ``target(*args, should_stop)`` in the child; its number, for :meth:`receive`."""
        self._sent += 1
        try:
            self._calls.send(("call", self._sent, target, args))
        except OSError as exc:
            if self.process.poll() == CODE_CHANGED_EXIT:
                raise CodeChanged(CODE_CHANGED) from None
            raise ChildGone(f"the child process is gone ({exc})") from None
        return self._sent

    def receive(
        self,
        number: int,
        stop: Callable[[], bool] = lambda: False,
        heard: Callable[[Any], None] = lambda message: None,
        give_up: Callable[[], bool] = lambda: False,
    ) -> Any:
        """What call ``number`` returned (received in the order they were sent). Once ``stop()``
        is true its ``should_stop()`` is too; ``heard(message)`` for each :func:`say` meanwhile;
        once ``give_up()`` is true the child is killed (:class:`ChildGone`)."""
        asked = False
        while True:
            if self._answers.poll(0.05):  # (the child works meanwhile: a short wait is fine here)
                try:
                    kind, answered, payload = self._answers.recv()
                except (EOFError, OSError):
                    self.close(wait=1.0)
                    if self.process.returncode == CODE_CHANGED_EXIT:
                        raise CodeChanged(CODE_CHANGED) from None
                    raise ChildGone(f"the child process ended (exit {self.process.returncode})") from None
                if kind == "said":
                    heard(payload)
                    continue
                if answered != number:
                    raise ChildGone(f"the child answered call {answered} when {number} was awaited")
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

    def call(
        self,
        target: Callable[..., Any],
        args: tuple,
        stop: Callable[[], bool] = lambda: False,
        heard: Callable[[Any], None] = lambda message: None,
        give_up: Callable[[], bool] = lambda: False,
    ) -> Any:
        """:meth:`send`, then :meth:`receive`."""
        return self.receive(self.send(target, args), stop, heard, give_up)

    def close(self, wait: float = 5.0) -> None:
        """End the child: its stdin closes, so what it runs stops (``should_stop()``) and it
        exits; killed if it has not within ``wait`` seconds."""
        self._calls.close()
        self._answers.close()
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def rss(self) -> int | None:
        """The child's resident memory in bytes (from ``/proc``; None where it cannot tell)."""
        return resident(self.process.pid)


def shared_pages(
    items: Iterable[T],
    size: int,
    here: Callable[[list[T]], R],
    there: Callable[..., R] | None,
    args: Callable[[list[T]], tuple],
) -> Iterator[R]:
    """``here(page)`` for each page of ``size`` items, in order, every other page done by
    ``there(*args(page))`` in a :class:`Child` meanwhile (two cores for a long job: an export,
    a folder's checks). ``there`` None: every page here; a child that cannot start or is
    gone: the rest here.

    >>> list(shared_pages(range(5), 2, sum, None, lambda page: (page,)))
    [1, 5, 4]
    """
    pages = _pages(items, size)
    child: Child | None = None
    try:
        for ours in pages:
            theirs = next(pages, None)
            asked = None
            if theirs is not None and there is not None:
                try:
                    child = child or Child()
                    asked = child.send(there, args(theirs))
                except (OSError, ChildGone):
                    there = None
            yield here(ours)
            done: list[R] = []
            if asked is not None and child is not None:
                try:
                    done.append(child.receive(asked))
                except ChildGone:
                    there = None
            if theirs is not None:
                yield done[0] if done else here(theirs)
    finally:
        if child is not None:
            child.close(wait=1.0)


def _pages(items: Iterable[T], size: int) -> Iterator[list[T]]:
    items = iter(items)
    while page := list(islice(items, size)):
        yield page


def resident(pid: int) -> int | None:
    """A process's resident memory in bytes (from ``/proc``; None where it cannot tell).

    >>> resident(os.getpid()) > 1 << 20
    True
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def family_resident(pid: int | None = None) -> int | None:
    """The resident memory of a process (default: this one) and of all its descendants, in
    bytes; None where ``/proc`` cannot tell. A child that ends meanwhile counts as nothing."""
    top = os.getpid() if pid is None else pid
    total = resident(top)
    if total is None:
        return None
    pending = [top]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    found = [int(child) for child in children.read().split()]
            except (OSError, ValueError):
                continue
            for child in found:
                total += resident(child) or 0
                pending.append(child)
    return total


_SAY: Callable[[Any], None] | None = None  # in a child: sends what its target says to the parent


def say(message: Any) -> None:
    """In a :class:`Child`'s call: tell the parent ``message`` (its ``heard``); elsewhere nothing."""
    if _SAY is not None:
        _SAY(message)


def child_main(niceness: int = 0, code: str | None = None) -> None:
    """A :class:`Child`: the calls from stdin, one at a time; the answers on stdout. ``code``:
    the parent's :data:`CODE`; when the code on disk is other, the child exits at once with
    :data:`CODE_CHANGED_EXIT` (the parent raises :class:`CodeChanged`)."""
    global _SAY
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the parent's terminal: the parent decides
    die_with_parent()
    if code is not None and code != CODE:
        os._exit(CODE_CHANGED_EXIT)
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    # the descriptors, not sys.stdin: a thread blocked in sys.stdin at exit aborts the interpreter
    calls, answers = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed meanwhile goes to stderr, not into the answers
    outbox: queue.Queue = queue.Queue()
    todo: queue.Queue = queue.Queue()
    stops: dict[int, threading.Event] = {}
    running = 0  # the call under way (what say() is about)

    def send_all() -> None:
        with contextlib.suppress(OSError):
            while (message := outbox.get()) is not None:
                answers.send(message)

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
        for stop in list(stops.values()):  # the parent is gone: whatever runs or waits stops
            stop.set()
        todo.put(None)

    _SAY = lambda message: outbox.put(("said", running, message))  # noqa: E731 - set once, here
    sender = threading.Thread(target=send_all, name="kairos-child-answers", daemon=True)
    sender.start()
    threading.Thread(target=listen, name="kairos-child-calls", daemon=True).start()
    while (message := todo.get()) is not None:
        _, running, target, args = message
        try:
            answer: tuple = ("done", running, target(*args, stops[running].is_set))
        except Exception as exc:  # noqa: BLE001 - the parent gets its line
            answer = ("failed", running, f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
        finally:
            stops.pop(running, None)
        outbox.put(answer)
    outbox.put(None)
    sender.join()


def die_with_parent() -> None:
    """In a child process: be killed when the process that started it dies, so that a
    ``kill -9`` of kairos leaves no worker holding the memory open (Linux:
    ``PR_SET_PDEATHSIG``; elsewhere children notice their closed pipes and exit on their own).
    A child whose parent is already gone exits now. The signal comes when the *thread* that
    started the child ends: the threads that start children live as long as they do."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1
