"""Make a worker process die with the process that started it (Linux), not outlive it.

A sweep's worker processes block on their task queue or run a world; if the
sweep's main process is killed (``kill -9``, the out-of-memory killer), nothing
tells them, and they would live on, holding memory, with the multiprocessing
resource tracker beside them. :func:`die_with_parent` asks the kernel to send
``SIGKILL`` to the calling process when its parent dies (``prctl``'s
``PR_SET_PDEATHSIG``), then checks the parent is still the one expected, in
case it died before the request was made. The resource tracker exits by itself
once no process holds its pipe any more.

The process pool calls it as its initializer; a local Dask cluster's workers
run this module as a ``preload`` (its :func:`dask_setup`). Elsewhere (macOS,
Windows) it does nothing: there, workers notice a lost parent when their task
queue breaks.

The kernel sends the signal when the *thread* that started the child ends, not
only the process: the sweep starts its workers from the thread that runs the
sweep, which lives until the sweep's end, and a Dask worker is started by a
thread of its own that lives as long as the worker.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
from typing import Any

__all__ = ["dask_setup", "die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> bool:
    """Have the kernel kill this process when its parent dies; exit now if it already has.

    Parameters
    ----------
    parent : int, optional
        The pid of the expected parent (the sweep's main process); the
        multiprocessing parent's if omitted.

    Returns
    -------
    bool
        Whether the request was made (False where ``prctl`` is not available).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent is None:
        process = multiprocessing.parent_process()
        parent = None if process is None else process.pid
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the request: nobody is left to kill us
    return True


def dask_setup(worker: Any) -> None:
    """Dask's preload hook: a local cluster's worker dies with the sweep that started it."""
    die_with_parent()
