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

__all__ = ["LOST", "RunOutput", "RunTask", "run_one", "run_tables"]

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


def _arrow_table(frame: pd.DataFrame, run_id: str) -> pa.Table:
    """Return the run's table with its ``run_id`` first, as Arrow (with pandas' metadata)."""
    frame = frame.copy()
    frame.insert(0, "run_id", run_id)
    return pa.Table.from_pandas(frame, preserve_index=False)
