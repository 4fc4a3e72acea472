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

START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def die_with_parent() -> None:
    """In a worker process: be killed when the process that started it dies, so that a
    ``kill -9`` of kairos leaves no worker holding the memory open (Linux:
    ``PR_SET_PDEATHSIG``; elsewhere workers notice their closed pipes and exit on their own).
    A worker whose parent is already gone exits now."""
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
    _let_the_fork_server_go()


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
