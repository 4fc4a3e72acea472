"""How worker processes start in a process that runs threads (the server).

Forking a threaded process is unsafe (a lock held by another thread stays
held in the child forever), so workers come from a fork server where the
platform has one, else from a fresh interpreter.
"""

from __future__ import annotations

import multiprocessing

START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
