"""Running one run of a sweep: a pure function of a config and a seed.

:func:`run_tables` builds and runs a model and returns its tables and summary
outcomes; it touches no files and no global state, so any executor (this
process, a local process pool, a Dask worker on another machine) gives the
same tables for the same task. :func:`run_one` wraps it for executors: it never
raises, but returns a failed :class:`RunOutput` carrying the error, so that one
bad run does not stop a sweep.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from socialsim.config.schema import ModelConfig
from socialsim.experiment.outcomes import LEVEL_COLUMNS, run_outcomes
from socialsim.experiment.single_run import run_simulation
from socialsim.model import mechanism_columns
from socialsim.world.cache import process_cache

__all__ = ["LOST", "RunOutput", "RunTask", "run_many", "run_one", "run_tables"]

LOST = "lost"
"""Status of a run the executor lost (its worker died, its scheduler went away): not recorded."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to do one run.

    Attributes
    ----------
    run_id : str
        Stable hash of the resolved config and the seed.
    point, replication : int
        Design point and replication indices.
    seed : int
        The run's seed.
    config : dict
        The resolved config as a plain mapping (``ModelConfig.model_dump()``;
        a mapping pickles to any worker, the frozen config does not), with
        ``run.seed`` and ``run.steps`` set.
    outputs : tuple of str
        Tables to return besides ``steps``.
    """

    run_id: str
    point: int
    replication: int
    seed: int
    config: dict[str, Any]
    outputs: tuple[str, ...] = ("steps",)


@dataclass
class RunOutput:
    """What one run gave back.

    Attributes
    ----------
    run_id : str
        The task's run id.
    status : str
        ``"ok"``, ``"failed"`` (the run raised: recorded with its error) or
        :data:`LOST` (the executor lost it: not recorded, so it stays pending).
    outcomes : dict
        Summary outcomes (empty for a failed run).
    tables : dict of str to pyarrow.Table
        ``steps`` and the requested tables (empty for a failed run), each with
        a ``run_id`` column first, ready to write. The worker converts them from
        pandas, so that the process writing the store does little per run.
    error : str or None
        ``ExceptionType: message`` for a failed run; what happened, for a lost one.
    traceback : str or None
        The full traceback for a failed run.
    timing : dict
        ``wall_seconds``, ``build_seconds``, ``step_seconds``, ``started_at``,
        ``finished_at`` and ``worker`` (host:pid); these alone differ between
        repeats of the same run.
    """

    run_id: str
    status: str
    outcomes: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    timing: dict[str, Any] = field(default_factory=dict)


def run_tables(
    config: ModelConfig, seed: int, outputs: tuple[str, ...] = ("steps",)
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, float]]:
    """Run `config` from `seed` for ``config.run.steps`` days and return its tables.

    Parameters
    ----------
    config : ModelConfig
        The world; ``run.record_orders`` must be on if ``"orders"`` is in `outputs`.
    seed : int
        The run's seed.
    outputs : tuple of str
        Tables to return besides ``steps``: any of ``platforms``, ``tiers``, ``orders``,
        ``brands``, ``exports``.

    Returns
    -------
    tables : dict of str to DataFrame
        The requested tables.
    outcomes : dict
        Summary outcomes (see :mod:`socialsim.experiment.outcomes`).
    seconds : dict
        ``build_seconds`` and ``step_seconds``.

    Examples
    --------
    >>> cfg = ModelConfig.small().with_overrides({"run.steps": 3})
    >>> tables, outcomes, _ = run_tables(cfg, seed=5)
    >>> list(tables), len(tables["steps"])
    (['steps'], 3)
    >>> outcomes["orders"] == int(tables["steps"]["orders"].sum())
    True
    """
    # a worker shares worlds between runs of one seed (common random numbers) and never
    # looks at agents; neither changes a number
    result = run_simulation(config, seed=seed, worlds=process_cache(), agents="lazy")
    return _collect(result, config, outputs)


def _collect(
    result: Any, config: ModelConfig, outputs: tuple[str, ...]
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, float]]:
    """Return a run's requested tables, outcomes and seconds (:func:`run_tables`)."""
    available = {
        "steps": result.steps,
        "platforms": result.platforms,
        "tiers": result.tiers,
        "orders": result.orders,
        **result.tables,
    }
    tables = {}
    for name in ("steps", *outputs):
        table = available.get(name)
        if table is None:
            raise ValueError(f"outputs: the run kept no {name} table")
        tables[name] = table
    levels = LEVEL_COLUMNS | {c.name for c in mechanism_columns(config) if c.is_level}
    outcomes = run_outcomes(
        result.steps,
        result.tiers,
        result.summary["n_consumers"],
        levels,
        platforms=result.platforms,
        brands=result.tables.get("brands"),
        exports=result.tables.get("exports"),
    )
    seconds = {
        "build_seconds": float(result.summary["build_seconds"]),
        "step_seconds": float(result.summary["step_seconds"]),
    }
    return tables, outcomes, seconds


def run_one(task: RunTask) -> RunOutput:
    """Do one run of a sweep; never raises for an error of the run itself.

    Parameters
    ----------
    task : RunTask

    Returns
    -------
    RunOutput
        Status ``"ok"`` with tables and outcomes, or ``"failed"`` with the error.
    """
    started = datetime.now(UTC)
    wall = time.perf_counter()
    timing: dict[str, Any] = {
        "started_at": started.isoformat(timespec="milliseconds"),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        config = ModelConfig.model_validate(task.config)
        tables, outcomes, seconds = run_tables(config, task.seed, task.outputs)
        arrow = {name: _arrow_table(frame, task.run_id) for name, frame in tables.items()}
        output = RunOutput(task.run_id, "ok", outcomes=outcomes, tables=arrow)
        timing.update(seconds)
    except Exception as exc:  # a run's own failure is recorded, and the sweep goes on
        output = RunOutput(
            task.run_id,
            "failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    timing["wall_seconds"] = time.perf_counter() - wall
    timing["finished_at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    output.timing = timing
    return output


def run_many(tasks: Sequence[RunTask]) -> list[RunOutput]:
    """Do runs of one design point (replications) as one batched ensemble; never raises.

    The runs of one point differ only in their seeds; stepped together
    (:func:`socialsim.ensemble.run_batch`) each gives the tables it gives
    alone, bit for bit, for a fraction of the CPU. Tasks of several points,
    or a single task, are done one by one (:func:`run_one`), and so is every
    task of a batch that raises: each failing run then fails alone, with its
    own error.

    Parameters
    ----------
    tasks : sequence of RunTask

    Returns
    -------
    list of RunOutput
        One per task, in order.
    """
    from socialsim.ensemble import run_batch

    first = tasks[0] if tasks else None
    if (
        first is None
        or len(tasks) == 1
        or any(t.point != first.point or t.outputs != first.outputs for t in tasks)
        or any(_without_seed(t.config) != _without_seed(first.config) for t in tasks)
    ):
        return [run_one(task) for task in tasks]
    started = datetime.now(UTC)
    wall = time.perf_counter()
    try:
        config = ModelConfig.model_validate(first.config)
        results = run_batch(config, [t.seed for t in tasks], worlds=process_cache())
        outputs = []
        for task, result in zip(tasks, results, strict=True):
            tables, outcomes, seconds = _collect(result, result.config, task.outputs)
            arrow = {name: _arrow_table(frame, task.run_id) for name, frame in tables.items()}
            output = RunOutput(task.run_id, "ok", outcomes=outcomes, tables=arrow)
            output.timing = {
                "started_at": started.isoformat(timespec="milliseconds"),
                "worker": f"{socket.gethostname()}:{os.getpid()}",
                **seconds,
                "batch": len(tasks),
            }
            outputs.append(output)
    except Exception:  # a run's own failure: each run alone, so it fails with its own error
        outputs = []
    if not outputs:  # (outside the handler: a run's traceback is its own, not the batch's)
        return [run_one(task) for task in tasks]
    finished = datetime.now(UTC).isoformat(timespec="milliseconds")
    for output in outputs:  # the batch's time, shared equally among its runs
        output.timing["wall_seconds"] = (time.perf_counter() - wall) / len(tasks)
        output.timing["finished_at"] = finished
    return outputs


def _without_seed(config: dict[str, Any]) -> dict[str, Any]:
    """Return a task's config without its seed (what the runs of one point share)."""
    run = {key: value for key, value in config.get("run", {}).items() if key != "seed"}
    return {**config, "run": run}


def _arrow_table(frame: pd.DataFrame, run_id: str) -> pa.Table:
    """Return the run's table with its ``run_id`` first, as Arrow (with pandas' metadata)."""
    frame = frame.copy()
    frame.insert(0, "run_id", run_id)
    return pa.Table.from_pandas(frame, preserve_index=False)
