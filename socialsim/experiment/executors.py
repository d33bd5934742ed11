"""Executors: how the runs of a sweep are spread over processes or machines.

Every executor takes :class:`~socialsim.experiment.runner.RunTask` objects and
yields :class:`~socialsim.experiment.runner.RunOutput` objects as runs finish,
in whatever order they finish; the store writes them in the calling process.
Runs are pure functions of their task, so the tables do not depend on the
executor or the number of workers. At most about two tasks per worker are in
flight at a time, so memory stays flat however long the sweep, and a killed
sweep loses only those.

Only an exception raised by a run itself makes it ``failed``; a run lost to
the machinery (a worker process that died, a lost Dask worker or scheduler,
a cancelled future) comes back with status ``lost``: the sweep does not
record it, so a resume runs it again. When an executor cannot go on at all
(the Dask scheduler is gone, worker processes cannot start) it raises
:class:`ExecutorLostError`, and the runs in flight stay pending.

Worker processes die with the sweep that started them: on Linux each asks
the kernel for ``SIGKILL`` when its parent dies
(:mod:`~socialsim.experiment._worker_guard`), so a ``kill -9`` of a sweep
leaves no worker and no resource tracker behind.

``serial``
    Runs in this process, one after another.
``process``
    A pool of local processes, started with ``spawn`` (not ``fork``, which is
    unsafe in a process with threads and in Jupyter). Safe from notebooks; a
    script must start its sweep under ``if __name__ == "__main__":``, as for
    any multiprocessing on macOS and Windows. A run whose worker process dies
    (killed, out of memory) is tried once more alone in a fresh pool, then
    given back as ``lost`` (pending, not failed).
``dask``
    A ``dask.distributed`` client: of the scheduler at ``scheduler`` (a real
    cluster whose workers have socialsim installed), or of a local cluster of
    ``workers`` single-threaded processes when no address is given.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from socialsim.errors import ExecutorError, ExecutorLostError
from socialsim.experiment._worker_guard import die_with_parent
from socialsim.experiment.runner import LOST, RunOutput, RunTask, run_many, run_one
from socialsim.world.cache import process_cache

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "ExecutorLostError",
    "ProcessExecutor",
    "SerialExecutor",
    "available_cores",
    "batches",
    "open_executor",
]

EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")


class Executor(Protocol):
    """What the sweep needs from an executor."""

    name: str
    workers: int

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunOutput]:
        """Run the tasks; yield their outputs as they finish."""
        ...  # pragma: no cover

    def describe(self) -> str:
        """Return a short description for progress lines and the manifest."""
        ...  # pragma: no cover


def available_cores() -> int:
    """Return the number of cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)  # pragma: no cover - macOS, Windows


def batches(tasks: Iterable[RunTask], size: int) -> Iterator[list[RunTask]]:
    """Group consecutive tasks of one design point into lists of at most `size`.

    A sweep lists a point's replications one after another, so these are
    the runs a batched ensemble can step together (:func:`run_many`).

    Examples
    --------
    >>> from socialsim.experiment.runner import RunTask
    >>> tasks = [RunTask(str(i), i // 3, i % 3, i, {}) for i in range(7)]
    >>> [[t.run_id for t in b] for b in batches(tasks, 2)]
    [['0', '1'], ['2'], ['3', '4'], ['5'], ['6']]
    """
    chunk: list[RunTask] = []
    for task in tasks:
        if chunk and (len(chunk) >= size or task.point != chunk[0].point):
            yield chunk
            chunk = []
        chunk.append(task)
    if chunk:
        yield chunk


class SerialExecutor:
    """Run every task in this process, in order.

    Parameters
    ----------
    batch : int
        Replications of one design point run together as one batched
        ensemble, up to this many (1: one by one).
    """

    name = "serial"
    workers = 1

    def __init__(self, batch: int = 1) -> None:
        self.batch = int(batch)

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunOutput]:
        """Run the tasks one after another (a batch of replications at a time)."""
        if self.batch <= 1:
            for task in tasks:
                yield run_one(task)
            return
        for chunk in batches(tasks, self.batch):
            yield from run_many(chunk)

    def describe(self) -> str:
        """Return ``serial``."""
        return "serial"


class ProcessExecutor:
    """Run tasks in a pool of ``workers`` local processes (spawned).

    A new pool is first checked by a trivial task per worker, so that workers
    that cannot start (a script without the ``__main__`` guard) are told apart
    from a run that kills its worker; the check also starts every worker at
    once, each importing socialsim as it starts (about 2 s), rather than one
    when the first is busy. When a worker dies, every run in flight is lost
    with the pool; those runs are tried again one at a time in a fresh pool,
    so the run that killed it dies alone and is recorded as failed, and the
    others finish.

    Parameters
    ----------
    workers : int
        Number of worker processes.
    function : callable
        What each worker does with a task (:func:`run_one`; tests inject others).
    batch : int
        Replications of one design point a worker runs together as one
        batched ensemble, up to this many (1: one by one; only with
        :func:`run_one`). A batch lost with its worker is tried again run by
        run.
    """

    name = "process"

    def __init__(
        self,
        workers: int,
        function: Callable[[RunTask], RunOutput] = run_one,
        batch: int = 1,
    ) -> None:
        self.workers = int(workers)
        self._function = function
        self.batch = int(batch) if function is run_one else 1
        self._pool: ProcessPoolExecutor | None = None

    def describe(self) -> str:
        """Return e.g. ``process, 4 workers``."""
        return f"process, {self.workers} worker{'s' * (self.workers != 1)}"

    def _start_pool(self) -> None:
        self.close()
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        try:
            # Submitted together, the checks start all workers at once (the pool starts
            # a worker only when none is idle).
            for check in [pool.submit(os.getpid) for _ in range(self.workers)]:
                check.result()
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            raise ExecutorError(_BOOT_FAILURE) from None
        self._pool = pool

    def close(self, *, kill: bool = False) -> None:
        """Shut the pool down, cancelling queued tasks; with `kill`, stop runs in flight too.

        Killing is for an interrupted sweep: the runs in flight would be thrown
        away anyway, so there is no point waiting for them.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            # ProcessPoolExecutor has no public way to stop busy workers before Python 3.14
            terminate = getattr(pool, "terminate_workers", None)
            if terminate is not None:
                terminate()
                return
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        # after a kill, do not wait: the pool's manager thread winds down by itself
        pool.shutdown(wait=not kill, cancel_futures=True)

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunOutput]:
        """Run the tasks in the pool; yield outputs as they finish."""
        source = iter(tasks) if self.batch <= 1 else batches(tasks, self.batch)
        retry: deque[RunTask] = deque()
        attempts: dict[str, int] = {}
        pending: dict[Future[Any], RunTask | list[RunTask]] = {}
        if self._pool is None:
            self._start_pool()

        def fill() -> bool:
            """Submit up to two tasks per worker (retries one at a time); False if broken."""
            while len(pending) < 2 * self.workers:
                if retry and pending:
                    return True  # a retried run runs alone
                task = retry.popleft() if retry else next(source, None)
                if task is None:
                    return True
                chunk = task if isinstance(task, list) else [task]
                try:
                    if isinstance(task, list):
                        future = self._pool.submit(run_many, task)
                    else:
                        future = self._pool.submit(self._function, task)
                except BrokenProcessPool:
                    if isinstance(task, list):
                        retry.extendleft(reversed(task))
                    else:
                        retry.appendleft(task)
                    return False
                for one in chunk:
                    attempts[one.run_id] = attempts.get(one.run_id, 0) + 1
                pending[future] = task
                if any(attempts[one.run_id] > 1 for one in chunk):
                    return True
            return True

        try:
            healthy = fill()
            while pending or retry:
                lost: list[RunTask] = []
                if pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = pending.pop(future)
                        chunk = task if isinstance(task, list) else [task]
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            lost.extend(chunk)
                            continue
                        except Exception as exc:  # e.g. a result that could not be unpickled
                            result = [
                                RunOutput(
                                    one.run_id, "failed", error=f"{type(exc).__name__}: {exc}"
                                )
                                for one in chunk
                            ]
                        yield from result if isinstance(result, list) else [result]
                if lost or not healthy:
                    # the pool is broken: whatever else was in flight is lost with it
                    for other in pending.values():
                        lost.extend(other if isinstance(other, list) else [other])
                    pending.clear()
                    self._start_pool()
                    for task in lost:
                        if attempts[task.run_id] >= 2:
                            yield RunOutput(task.run_id, LOST, error=_WORKER_DIED)
                        else:
                            retry.append(task)
                healthy = fill()
        finally:
            for future in pending:
                future.cancel()


_BOOT_FAILURE = (
    "the worker processes could not start. If the sweep is started from a script, put it "
    "under 'if __name__ == \"__main__\":' (worker processes are spawned, and each imports "
    "the script); from standard input, use a file or the serial executor"
)
_WORKER_DIED = (
    "its worker process died twice while running it, the second time alone (killed, or out "
    "of memory?)"
)


_RECOUNT_SECONDS = 10.0
"""How often the Dask executor asks the scheduler how many workers it has."""


def _start_worker(parent: int) -> None:
    """Start a pool worker: it dies with the sweep `parent` (see :mod:`._worker_guard`).

    To call this, a new worker imports this module and the runner, so it
    imports what runs need as it starts, not on its first task.
    """
    die_with_parent(parent)


class DaskExecutor:
    """Run tasks on a Dask cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); a local cluster
        of `workers` single-threaded processes is started if omitted.
    workers : int
        Processes of the local cluster (ignored with `scheduler`).
    """

    name = "dask"

    def __init__(self, scheduler: str | None, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - a dependency
            raise ExecutorError(f"the dask executor needs dask.distributed: {exc}") from None
        self.scheduler = scheduler
        self._cluster = None
        if scheduler is None:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                # the workers die with this process, even while a run holds the GIL
                preload=["socialsim.experiment._worker_guard"],
            )
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(scheduler, timeout="30s")
            except OSError as exc:
                raise ExecutorError(
                    f"could not connect to the Dask scheduler at {scheduler}: {exc}"
                ) from None
        self.workers = 1
        self._counted = -float("inf")
        self._count_workers(force=True)

    def _count_workers(self, *, force: bool = False) -> None:
        """Follow the cluster's size (at most every few seconds): workers come and go.

        A worker may die and be restarted, and on a real cluster workers join
        after the client connects (a batch job queued behind the scheduler's)
        or leave (adaptive scaling); the number of runs kept in flight follows.
        """
        now = time.monotonic()
        if not force and now - self._counted < _RECOUNT_SECONDS:
            return
        self._counted = now
        try:
            threads = sum(self._client.nthreads().values())
        except Exception:  # a scheduler too busy to answer: keep the last count
            return
        # never 0 (all workers lost for a moment): tasks wait on the scheduler meanwhile
        self.workers = max(int(threads), 1)

    def describe(self) -> str:
        """Return e.g. ``dask, local cluster, 2 worker threads`` (the count when last asked)."""
        where = "local cluster" if self.scheduler is None else self.scheduler
        return f"dask, {where}, {self.workers} worker thread{'s' * (self.workers != 1)}"

    def close(self) -> None:
        """Close the client and any local cluster."""
        if self._client.status != "running":
            # a lost scheduler: the client's own reconnection attempts would log tracebacks
            # as it closes, after the sweep has said what happened in one line
            for name in ["distributed", *logging.root.manager.loggerDict]:
                if name.startswith("distributed"):
                    logging.getLogger(name).setLevel(logging.CRITICAL)
        with contextlib.suppress(Exception):
            self._client.close(timeout=5)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunOutput]:
        """Submit the tasks to the cluster; yield outputs as they finish.

        A task the cluster could not run (a worker lost too often: Dask's
        ``KilledWorker``) comes back ``lost``, not failed: the run raised
        nothing. A lost scheduler cancels every task in flight: this raises
        :class:`ExecutorLostError` at once, and those runs stay pending.
        """
        from asyncio import CancelledError

        from distributed import as_completed

        source = iter(tasks)
        by_key: dict[str, RunTask] = {}
        finished = as_completed(with_results=True, raise_errors=False)

        def lost_scheduler(reason: str) -> ExecutorLostError:
            where = self.scheduler or "the local cluster"
            return ExecutorLostError(
                f"lost the connection to the Dask scheduler at {where} ({reason})",
                in_flight=len(by_key),
            )

        def fill() -> None:
            # about two runs per worker thread in flight: enough to keep every worker busy
            while len(by_key) < 2 * self.workers:
                if self._client.status != "running":
                    # never submit then: such futures are never resolved
                    raise lost_scheduler(f"the client is {self._client.status}")
                task = next(source, None)
                if task is None:
                    return
                future = self._client.submit(run_one, task, pure=False)
                by_key[future.key] = task
                finished.add(future)

        # A run on a worker that dies is run again elsewhere by the scheduler (up to its
        # distributed.scheduler.allowed-failures, 3 by default) and its future completes
        # once; only after that does it come back as a KilledWorker error, a lost run.
        fill()
        for future, result in finished:
            task = by_key.pop(future.key)
            future.release()
            if isinstance(result, RunOutput):
                yield result
            elif self._client.status != "running" or _scheduler_lost(result):
                reason = getattr(result, "reason", None) or self._client.status
                raise lost_scheduler(str(reason))
            elif isinstance(result, CancelledError):  # cancelled by someone: left pending
                reason = getattr(result, "reason", None) or "no reason given"
                yield RunOutput(task.run_id, LOST, error=f"its task was cancelled ({reason})")
            else:  # Dask's (type, exception, traceback) of a task it could not run
                error = result[1] if isinstance(result, tuple) and len(result) == 3 else result
                yield RunOutput(task.run_id, LOST, error=f"{type(error).__name__}: {error}")
            self._count_workers()
            fill()


def _scheduler_lost(result: Any) -> bool:
    """Whether a cancelled task's reason is the client's lost connection to the scheduler.

    In-flight futures are cancelled with that reason a moment before the
    client's status changes, so the reason is the first sign.
    """
    reason = str(getattr(result, "reason", "") or "")
    return "scheduler" in reason or "connection" in reason


@contextlib.contextmanager
def open_executor(
    kind: str, workers: int | None = None, scheduler: str | None = None, batch: int = 1
) -> Iterator[Any]:
    """Start an executor, and stop it (and its processes) on the way out.

    Parameters
    ----------
    kind : {"serial", "process", "dask"}
    workers : int, optional
        Worker processes; default: the cores this process may use.
    scheduler : str, optional
        Dask scheduler address (``dask`` only).
    batch : int
        Replications of one design point run together as one batched
        ensemble, up to this many (``serial`` and ``process``; 1: one by one).

    Yields
    ------
    Executor

    Raises
    ------
    ValueError
        For an unknown executor, a scheduler without Dask, or a malformed
        ``SOCIALSIM_WORLD_CACHE_MB`` (see :func:`~socialsim.world.cache.process_cache`).
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    if scheduler is not None and kind != "dask":
        raise ValueError(f"--scheduler needs the dask executor, not {kind}")
    process_cache()  # a malformed SOCIALSIM_WORLD_CACHE_MB is refused before any run
    n = available_cores() if workers is None else int(workers)
    if kind == "serial":
        yield SerialExecutor(batch)
        return
    if kind == "process":
        executor: Any = ProcessExecutor(n, batch=batch)
    else:
        executor = DaskExecutor(scheduler, n)
    try:
        yield executor
    except BaseException:
        if isinstance(executor, ProcessExecutor):
            # already failing or interrupted: cleaning up must not replace that error
            with contextlib.suppress(Exception):
                executor.close(kill=True)
        raise
    finally:
        executor.close()
