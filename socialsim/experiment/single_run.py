"""Running one config from one seed, and writing its outputs to a directory.

:func:`run_simulation` is a pure function of (config, seed, steps): it returns
the tables and the summary, and touches no files. :func:`write_run` writes
them, each file atomically (written under a temporary name, then renamed), so
an interrupted write never leaves a half-written table behind.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from socialsim.config.schema import ModelConfig
from socialsim.model import SeedLike, SocialCommerceModel

__all__ = [
    "OUTPUT_FILES",
    "RunResult",
    "atomic_write",
    "existing_outputs",
    "run_simulation",
    "write_run",
]

OUTPUT_FILES = (
    "steps.parquet",
    "platforms.parquet",
    "tiers.parquet",
    "orders.parquet",
    "summary.json",
    "config.yaml",
)
"""Files :func:`write_run` may write (``orders.parquet`` on request; the CLI adds
``dashboard.png``)."""


@dataclass(frozen=True, eq=False)
class RunResult:
    """What one run produced.

    Attributes
    ----------
    config : ModelConfig
        The fully resolved config, with ``run.seed`` and ``run.steps`` as run;
        passing it back reproduces the run.
    steps : pandas.DataFrame
        Per-step metrics.
    summary : dict
        Totals and provenance.
    orders : pandas.DataFrame or None
        The order log, if ``run.record_orders`` was on.
    platforms : pandas.DataFrame
        Per-step, per-platform metrics (a long table).
    tiers : pandas.DataFrame
        Per-step, per-city-tier metrics (a long table; see
        :data:`socialsim.metrics.TIER_COLUMNS`).
    """

    config: ModelConfig
    steps: pd.DataFrame
    summary: dict[str, Any]
    orders: pd.DataFrame | None
    platforms: pd.DataFrame
    tiers: pd.DataFrame


def run_simulation(
    config: ModelConfig | None = None,
    *,
    seed: SeedLike = None,
    steps: int | None = None,
    progress: bool = False,
    graph: nx.Graph | None = None,
    callback: Callable[[SocialCommerceModel], None] | None = None,
) -> RunResult:
    """Build a model, run it, and collect its tables.

    Parameters
    ----------
    config : ModelConfig, optional
        The world; the default world if omitted.
    seed : int, optional
        Root seed; ``config.run.seed`` if omitted, fresh entropy if that is None.
    steps : int, optional
        Days to run; ``config.run.steps`` if omitted.
    progress : bool
        Show a progress bar.
    graph : networkx.Graph, optional
        A user-supplied social graph.
    callback : callable, optional
        Called with the model after every step.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> result = run_simulation(ModelConfig.small(), seed=3, steps=5)
    >>> len(result.steps), result.summary["seed"], result.config.run.steps
    (5, 3, 5)
    """
    config = ModelConfig() if config is None else config
    steps = config.run.steps if steps is None else steps
    started_at = datetime.now(UTC)
    wall = time.perf_counter()
    model = SocialCommerceModel(config, rng=seed, graph=graph)
    model.run(steps, progress=progress, callback=callback)
    resolved = model.config.with_overrides({"run.steps": steps})
    summary = model.summary()
    summary.update(
        started_at=started_at.isoformat(timespec="seconds"),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_seconds=round(time.perf_counter() - wall, 4),
    )
    orders = model.orders() if config.run.record_orders else None
    return RunResult(
        config=resolved,
        steps=model.step_metrics(),
        summary=summary,
        orders=orders,
        platforms=model.platform_metrics(),
        tiers=model.tier_metrics(),
    )


def write_run(
    result: RunResult,
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    events: bool = False,
) -> Path:
    """Write a run's tables, summary and config to a directory.

    The files are ``steps.parquet``, ``platforms.parquet``, ``tiers.parquet``,
    ``summary.json``, ``config.yaml`` and, with `events`, ``orders.parquet``.

    Parameters
    ----------
    result : RunResult
        What :func:`run_simulation` returned.
    directory : path
        Created if missing.
    overwrite : bool
        Replace outputs of an earlier run in `directory`; without it, finding
        them is an error, so no result is lost by accident.
    events : bool
        Also write the order log as ``orders.parquet``.

    Returns
    -------
    Path
        The directory.

    Raises
    ------
    FileExistsError
        If `directory` already holds run outputs and `overwrite` is false.
    ValueError
        If `events` is asked for but the run kept no order log.
    """
    if events and result.orders is None:
        raise ValueError("events: the run kept no order log (run.record_orders was false)")
    directory = Path(directory)
    existing = existing_outputs(directory)
    if existing and not overwrite:
        raise FileExistsError(
            f"{directory} already holds the outputs of a run ({', '.join(existing)}); "
            "choose another directory or pass overwrite=True (--overwrite)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(directory / "steps.parquet", lambda p: result.steps.to_parquet(p, index=False))
    atomic_write(
        directory / "platforms.parquet", lambda p: result.platforms.to_parquet(p, index=False)
    )
    atomic_write(directory / "tiers.parquet", lambda p: result.tiers.to_parquet(p, index=False))
    if events:
        orders = result.orders
        atomic_write(directory / "orders.parquet", lambda p: orders.to_parquet(p, index=False))
    atomic_write(
        directory / "summary.json",
        lambda p: p.write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8"),
    )
    atomic_write(directory / "config.yaml", lambda p: p.write_text(result.config.to_yaml()))
    return directory


def existing_outputs(
    directory: str | os.PathLike[str], names: tuple[str, ...] = OUTPUT_FILES
) -> list[str]:
    """Return which of the run output files `names` already exist in `directory`."""
    return [name for name in names if (Path(directory) / name).exists()]


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Write `path` through a temporary file in the same directory, then rename it.

    A crash part-way leaves either the old file or none, never a partial one.
    """
    # A fresh name in the same directory (rename is atomic only within one file system);
    # unlike mkstemp, the file gets the usual permissions.
    tmp_path = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
