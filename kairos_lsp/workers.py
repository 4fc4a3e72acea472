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


_PR_SET_PDEATHSIG = 1
