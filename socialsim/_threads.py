"""Two worker threads for the hot path of large worlds.

NumPy and SciPy release the GIL in their array loops, so on a 2-core machine a
second thread halves the work that has no randomness (the buying-friend
search) or that draws from its own random stream (the livestreams). Below
:data:`THREADED_SIZE` items the threads cost more than they save. Nothing
that uses them may depend on which thread ran first: results are the same
with threads and without. Work on the pool must never wait for other work on
the pool (with two workers, two such waits would block each other): only the
model's own thread waits for results.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["THREADED_SIZE", "run_later", "use_threads", "worker_pool"]

T = TypeVar("T")

#: Work items (open needs, consumers) from which a phase is worth splitting over threads.
THREADED_SIZE = 100_000

_POOL: ThreadPoolExecutor | None = None


def use_threads(size: int) -> bool:
    """Whether work of `size` items is split over threads: when large and 2 cores are usable."""
    return size >= THREADED_SIZE and len(os.sched_getaffinity(0)) >= 2


def worker_pool() -> ThreadPoolExecutor:
    """Return the process-wide pool of two threads, made on first use."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="socialsim")
    return _POOL


class _Done:
    """A finished result with the interface of a future."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self) -> Any:
        return self._value


def run_later(threaded: bool, function: Callable[..., T], *args: Any) -> Future[T] | _Done:
    """Start ``function(*args)`` on the pool if `threaded`, else run it now.

    Either way, ``.result()`` of the returned object gives its value (or raises its error).
    """
    if threaded:
        return worker_pool().submit(function, *args)
    return _Done(function(*args))
