"""How worker processes start in a process that runs threads (the server).

Forking a threaded process is unsafe (a lock held by another thread stays
held in the child forever), so workers come from a fork server where the
platform has one, else from a fresh interpreter.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading

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
