"""Running one config from one seed, and writing its outputs to a directory.

:func:`run_simulation` is a pure function of (config, seed, steps): it returns
the tables and the summary, and touches no files. :func:`write_run` writes
them all under temporary names first and renames them into place only once
every one is written, so an interrupted or failed write leaves no half-written
table and no mix of two runs' files. :func:`prepare_output` checks, before a
run starts, that its directory can be created and written and has room for
the outputs, so that no run is simulated only to be lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import pandas as pd

from socialsim.config.schema import ModelConfig
from socialsim.errors import OutputWriteError
from socialsim.files import atomic_write, os_error_text, temporary_name
from socialsim.model import SeedLike, SocialCommerceModel
from socialsim.world.cache import WorldCache

__all__ = [
    "OUTPUT_FILES",
    "OutputWriteError",
    "RunResult",
    "atomic_write",
    "estimate_output_bytes",
    "existing_outputs",
    "prepare_output",
    "run_simulation",
    "write_run",
]

OUTPUT_FILES = (
    "steps.parquet",
    "platforms.parquet",
    "tiers.parquet",
    "orders.parquet",
    "brands.parquet",
    "exports.parquet",
    "summary.json",
    "config.yaml",
)
"""Files :func:`write_run` may write (``orders.parquet`` on request; the mechanisms'
own tables, such as ``brands.parquet``, as the run has them; the CLI adds
``dashboard.png``)."""


# Bytes of each output, measured on the default world (50,000 consumers, 90 days, seed 1):
# the step table about 1.1 kB a day, a platform or tier row under 100 bytes, an order about
# 7 bytes (Parquet compresses the log well); the dashboard and the config are about 250 kB
# and 16 kB. Rounded up.
_STEP_ROW_BYTES = 1500
_LONG_ROW_BYTES = 100
_ORDER_BYTES = 10
_FIXED_BYTES = 400_000


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
    tables : dict of str to pandas.DataFrame
        The mechanisms' own long tables by name (``brands``, ``exports``; see
        :meth:`~socialsim.results.ModelResults.component_tables`).
    """

    config: ModelConfig
    steps: pd.DataFrame
    summary: dict[str, Any]
    orders: pd.DataFrame | None
    platforms: pd.DataFrame
    tiers: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def run_simulation(
    config: ModelConfig | None = None,
    *,
    seed: SeedLike = None,
    steps: int | None = None,
    progress: bool = False,
    graph: nx.Graph | None = None,
    callback: Callable[[SocialCommerceModel], None] | None = None,
    worlds: WorldCache | None = None,
    agents: Literal["auto", "eager", "lazy"] = "auto",
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
    worlds : WorldCache, optional
        Share worlds with other runs of this seed (see
        :class:`~socialsim.world.cache.WorldCache`); no number changes.
    agents : {"auto", "eager", "lazy"}
        When consumer agents are created (see
        :class:`~socialsim.model.SocialCommerceModel`); no number changes.

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
    if steps is not None and steps != config.run.steps:
        # before the model is built: the memory check sizes the run by run.steps
        config = config.with_overrides({"run.steps": steps})
    steps = config.run.steps
    started_at = datetime.now(UTC)
    wall = time.perf_counter()
    model = SocialCommerceModel(config, rng=seed, graph=graph, worlds=worlds, agents=agents)
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
        tables=model.component_tables(),
    )


def write_run(
    result: RunResult,
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    events: bool = False,
    extra: dict[str, Callable[[Path], Any]] | None = None,
) -> Path:
    """Write a run's tables, summary and config to a directory, all or nothing.

    The files are ``steps.parquet``, ``platforms.parquet``, ``tiers.parquet``,
    one ``<name>.parquet`` per table of the mechanisms (``brands.parquet``,
    ...), ``summary.json``, ``config.yaml`` and, with `events`, ``orders.parquet``.
    Each is written under a temporary name first; only when every one is
    written are they renamed into place. If a write fails (a full disk), the
    temporary files are deleted and the directory is left as it was: no
    half-written table, and no mix of this run's files with an earlier run's.

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
    extra : dict of str to callable, optional
        More files to write in the same all-or-nothing step: file name ->
        function that writes that file to the path it is given (the command
        line adds ``dashboard.png``).

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
    OutputWriteError
        If the directory cannot be created or a file cannot be written; the
        message names it and says that nothing of the run was written.
    """
    if events and result.orders is None:
        raise ValueError("events: the run kept no order log (run.record_orders was false)")
    directory = Path(directory)
    names = (*OUTPUT_FILES, *(f"{name}.parquet" for name in result.tables), *(extra or {}))
    existing = existing_outputs(directory, names)
    if existing and not overwrite:
        raise FileExistsError(
            f"{directory} already holds the outputs of a run ({', '.join(existing)}); "
            "choose another directory or pass overwrite=True (--overwrite)"
        )
    _make_directory(directory)
    writers: dict[str, Callable[[Path], Any]] = {
        "steps.parquet": lambda p: result.steps.to_parquet(p, index=False),
        "platforms.parquet": lambda p: result.platforms.to_parquet(p, index=False),
        "tiers.parquet": lambda p: result.tiers.to_parquet(p, index=False),
    }
    for name, table in result.tables.items():
        writers[f"{name}.parquet"] = lambda p, table=table: table.to_parquet(p, index=False)
    if events:
        orders = result.orders
        writers["orders.parquet"] = lambda p: orders.to_parquet(p, index=False)
    summary = json.dumps(result.summary, indent=2) + "\n"
    config = result.config.to_yaml()
    writers["summary.json"] = lambda p: p.write_text(summary, encoding="utf-8")
    writers["config.yaml"] = lambda p: p.write_text(config, encoding="utf-8")
    writers.update(extra or {})
    _write_all(directory, writers)
    return directory


def _write_all(directory: Path, writers: dict[str, Callable[[Path], Any]]) -> None:
    """Write every file under a temporary name, then rename them all into place."""
    temporary: dict[Path, Path] = {}
    try:
        for name, write in writers.items():
            path = directory / name
            tmp = temporary_name(path)
            temporary[path] = tmp
            try:
                write(tmp)
            except OSError as exc:
                raise OutputWriteError(
                    f"could not write {path}: {os_error_text(exc)}; nothing of this run was "
                    f"written to {directory} (files of an earlier run there are as they were)",
                    errno=exc.errno,
                    path=path,
                ) from exc
        for path, tmp in temporary.items():
            os.replace(tmp, path)
    finally:
        for tmp in temporary.values():
            tmp.unlink(missing_ok=True)


def prepare_output(
    directory: str | os.PathLike[str], *, needed_bytes: int = 0, option: str = "--out"
) -> bool:
    """Make sure a run's outputs can be saved in `directory`, before the run starts.

    Creates the directory (and its parents) if missing, writes and deletes a
    small file in it, and compares the free space with `needed_bytes`.

    Parameters
    ----------
    directory : path
        Where the outputs will go.
    needed_bytes : int
        About how much the outputs take (:func:`estimate_output_bytes`); 0 skips
        the free-space check.
    option : str
        The option that named `directory`, for messages.

    Returns
    -------
    bool
        Whether the directory was created here (so a caller can remove it
        again if the run does not happen).

    Raises
    ------
    ConfigError
        If `directory` is a file, cannot be created or written, or has less
        free space than `needed_bytes`; naming `option`, the path and the reason.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     prepare_output(Path(tmp) / "run")
    True
    """
    from socialsim.errors import ConfigError, Problem

    directory = Path(directory)

    def refuse(reason: str) -> ConfigError:
        return ConfigError([Problem(option, f"{directory} {reason}; nothing was run")])

    if directory.exists() and not directory.is_dir():
        raise refuse("is a file, not a directory")
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise refuse(f"cannot be created: {os_error_text(exc)}") from None
    probe = directory / f".socialsim-probe-{uuid.uuid4().hex}.tmp"
    try:
        with probe.open("wb") as handle:
            handle.write(b"socialsim checks that it can write here\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        _remove_if_empty(directory, created)
        raise refuse(f"cannot be written: {os_error_text(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    if needed_bytes > 0:
        free = shutil.disk_usage(directory).free
        if free < needed_bytes:
            _remove_if_empty(directory, created)
            raise refuse(
                f"has {_megabytes(free)} free, less than the about {_megabytes(needed_bytes)} "
                "the run's outputs need"
            )
    return created


def estimate_output_bytes(config: ModelConfig, *, events: bool = False) -> int:
    """Return about how many bytes :func:`write_run` writes for a run of `config`.

    From the sizes of the default world's files (see the module's constants):
    the step, platform and tier tables grow with the days, the order log with
    the orders (estimated as in :func:`socialsim.world.memory.estimate_memory`).

    Examples
    --------
    >>> small = estimate_output_bytes(ModelConfig.small())
    >>> small < estimate_output_bytes(ModelConfig.small(), events=True)
    True
    """
    from socialsim.world.memory import ORDERS_PER_NEED

    steps = config.run.steps
    rows = len(config.active_platforms) + len(config.population.tiers)
    size = _FIXED_BYTES + steps * (_STEP_ROW_BYTES + rows * _LONG_ROW_BYTES)
    if events:
        need = sum(c.need_rate for c in config.catalogue.categories.values())
        orders = ORDERS_PER_NEED * need * config.population.n_consumers * steps
        size += int(orders * _ORDER_BYTES)
    return int(size)


def _make_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputWriteError(
            f"could not create {directory}: {os_error_text(exc)}; nothing of this run was written",
            errno=exc.errno,
            path=directory,
        ) from exc


def _remove_if_empty(directory: Path, created: bool) -> None:
    if created:
        with contextlib.suppress(OSError):
            directory.rmdir()


def _megabytes(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def existing_outputs(
    directory: str | os.PathLike[str], names: tuple[str, ...] = OUTPUT_FILES
) -> list[str]:
    """Return which of the run output files `names` already exist in `directory`."""
    return [name for name in names if (Path(directory) / name).exists()]
