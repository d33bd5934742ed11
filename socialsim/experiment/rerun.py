"""Reproducing one run of a sweep from its manifest, and checking it against the stored run.

A sweep's manifest keeps the resolved base world, every design point's exact
overrides and every run's seed. :func:`rerun` rebuilds a run's config from
them, checks that it hashes to the run's id (so it is the very config that
ran), runs it again in this process and compares every table the sweep kept
for it, value by value and bit for bit, with the stored one. ``socialsim
rerun DIR RUN_ID`` is its command.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from socialsim.config.loading import stable_hash
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.design import expand_design
from socialsim.experiment.plan import TIMING_COLUMNS
from socialsim.experiment.runner import RunOutput, RunTask, run_one
from socialsim.experiment.spec import ExperimentSpec
from socialsim.experiment.store import SweepStore, package_versions

__all__ = ["RerunReport", "rerun"]

_MAX_DIFFERENCES = 10


@dataclass
class RerunReport:
    """What :func:`rerun` found.

    Attributes
    ----------
    run_id : str
        The full id of the run.
    point, replication, seed : int
        Its place in the design and its seed.
    config : ModelConfig
        Its resolved config (``socialsim run`` on it gives the same numbers).
    output : RunOutput
        The new run's tables and outcomes.
    compared : dict of str to str
        Table -> what was compared (``"30 rows x 41 columns"``).
    differences : list of str
        One line per difference found; empty when the run was reproduced.
    version_changes : list of str
        Packages whose version differs from the sweep's first session.
    seconds : float
        Wall time of the new run.
    """

    run_id: str
    point: int
    replication: int
    seed: int
    config: ModelConfig
    output: RunOutput
    compared: dict[str, str] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    version_changes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def matches(self) -> bool:
        """Whether every stored table was reproduced exactly."""
        return not self.differences

    def __str__(self) -> str:
        lines = [
            f"run {self.run_id} (point {self.point}, replication {self.replication}, "
            f"seed {self.seed}): {self.config.population.n_consumers:,} consumers x "
            f"{self.config.run.steps} days, rerun in {self.seconds:.1f} s"
        ]
        lines += [f"  {name}: {what}" for name, what in self.compared.items()]
        if self.version_changes:
            lines.append(f"  versions differ from the sweep's: {', '.join(self.version_changes)}")
        if self.matches:
            lines.append("reproduced: every stored table matches bit for bit")
        else:
            lines.append(f"NOT reproduced: {len(self.differences)} difference(s)")
            lines += [f"  {d}" for d in self.differences[:_MAX_DIFFERENCES]]
            if len(self.differences) > _MAX_DIFFERENCES:
                lines.append(f"  ... and {len(self.differences) - _MAX_DIFFERENCES} more")
        return "\n".join(lines)


def rerun(directory: str | os.PathLike[str], run_id: str) -> RerunReport:
    """Run one run of a sweep again and compare it with the stored run.

    Parameters
    ----------
    directory : str or Path
        The sweep's directory.
    run_id : str
        The run's id, or an unambiguous prefix of it (at least 4 characters).

    Returns
    -------
    RerunReport
        ``.matches`` tells whether every stored table (the runs row's status
        and outcomes, ``steps`` and each kept table) was reproduced exactly;
        ``.differences`` lists what was not.

    Raises
    ------
    ConfigError
        If `directory` holds no sweep, `run_id` names no run of it, or the
        manifest no longer gives the run's config (it hashes to another id).

    Examples
    --------
    >>> import tempfile
    >>> from socialsim.experiment import load_sweep, run_sweep
    >>> spec = {
    ...     "name": "doc", "seed": 1, "steps": 3, "replications": 1,
    ...     "base": {"population.n_consumers": 400, "influencers.n_kocs": 8,
    ...              "stores.n_owners": 4, "daigou.n_shoppers": 0},
    ...     "design": {"kind": "grid", "parameters": {"network.mean_degree": [6, 10]}},
    ... }
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = run_sweep(spec, out=tmp, executor="serial", progress=False)
    ...     run_id = load_sweep(tmp).runs["run_id"][1]
    ...     report = rerun(tmp, run_id)
    >>> report.matches, report.point
    (True, 1)
    """
    path = Path(directory)
    store = SweepStore(path)
    manifest = store.read_manifest()
    record = _find_run(manifest, run_id, str(path))
    run_id = record["run_id"]
    config = _run_config(manifest, record, str(path))
    outputs = tuple(t for t in manifest["outputs"] if t != "steps")
    task = RunTask(
        run_id=run_id,
        point=record["point"],
        replication=record["replication"],
        seed=record["seed"],
        config=config.model_dump(),
        outputs=outputs,
    )
    started = time.perf_counter()
    output = run_one(task)
    report = RerunReport(
        run_id=run_id,
        point=record["point"],
        replication=record["replication"],
        seed=record["seed"],
        config=config,
        output=output,
        seconds=time.perf_counter() - started,
    )
    now = package_versions()
    report.version_changes = [
        f"{name} {was} -> {now.get(name, '?')}"
        for name, was in manifest.get("versions", {}).items()
        if now.get(name) != was
    ]
    _compare(store, manifest, report)
    return report


def _find_run(manifest: dict[str, Any], run_id: str, where: str) -> dict[str, Any]:
    runs = manifest["runs"]
    exact = [r for r in runs if r["run_id"] == run_id]
    if exact:
        return exact[0]
    matches = [r for r in runs if len(run_id) >= 4 and r["run_id"].startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        rule = f"matches {len(matches)} runs of this sweep; give more of the id"
    else:
        examples = ", ".join(r["run_id"] for r in runs[:3])
        rule = (
            f"is not a run of this sweep (its {len(runs)} runs include {examples}; "
            f"'socialsim status {where}' or the runs table lists them)"
        )
    raise ConfigError([Problem("RUN_ID", rule, run_id)], where)


def _run_config(manifest: dict[str, Any], record: dict[str, Any], where: str) -> ModelConfig:
    """Rebuild the run's config from the manifest and check it is the one that ran."""
    base = ModelConfig.model_validate(manifest["base_config"])
    design = manifest["design"][record["point"]]
    if "overrides" in design:
        overrides = design["overrides"]
    else:  # a manifest written before the overrides were kept: expand the design again
        spec = ExperimentSpec.model_validate(manifest["spec"])
        overrides = expand_design(spec.design, spec.seed)[record["point"]].overrides
    config = base.with_overrides({**overrides, "run.seed": record["seed"]})
    steps = config.run.steps
    again = stable_hash({"config": config.config_hash(), "seed": record["seed"], "steps": steps})
    if again[:16] != record["run_id"]:
        raise ConfigError(
            [
                Problem(
                    "manifest.json",
                    f"does not give back run {record['run_id']}'s config (it hashes to "
                    f"{again[:16]}): the manifest was edited, or this socialsim resolves "
                    "configs differently from the one that ran the sweep",
                )
            ],
            where,
        )
    return config


def _compare(store: SweepStore, manifest: dict[str, Any], report: RerunReport) -> None:
    run_id, output, diffs = report.run_id, report.output, report.differences
    stored_path = store.table_dir("runs") / f"{run_id}.parquet"
    if not stored_path.exists():
        diffs.append(f"runs: the sweep has not recorded run {run_id} yet; nothing to compare")
        return
    stored = pq.read_table(stored_path).to_pylist()[0]
    if stored["status"] != output.status:
        diffs.append(
            f"runs.status: stored {stored['status']!r}, rerun {output.status!r}"
            + (f" ({output.error})" if output.error else "")
        )
        return
    if output.status != "ok":
        if stored.get("error") != output.error:
            diffs.append(f"runs.error: stored {stored.get('error')!r}, rerun {output.error!r}")
        report.compared["runs"] = "failed run: status and error"
        return
    outcome_diffs = [
        f"runs.{name}: stored {stored.get(name)!r}, rerun {value!r}"
        for name, value in output.outcomes.items()
        if name not in TIMING_COLUMNS and not _same(stored.get(name), value)
    ]
    diffs.extend(outcome_diffs)
    report.compared["runs"] = f"status and {len(output.outcomes)} outcomes"
    for name in manifest["outputs"]:
        part = store.table_dir(name) / f"{run_id}.parquet"
        if not part.exists():
            diffs.append(f"{name}: the stored part {part} is missing")
            continue
        old = pq.read_table(part).to_pandas()
        new = output.tables[name].to_pandas()
        report.compared[name] = f"{len(new):,} rows x {new.shape[1]} columns"
        diffs.extend(_frame_differences(name, old, new))


def _frame_differences(name: str, old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    if list(old.columns) != list(new.columns):
        gone = [c for c in old.columns if c not in new.columns]
        added = [c for c in new.columns if c not in old.columns]
        return [f"{name}: columns differ (only stored: {gone}; only rerun: {added})"]
    if len(old) != len(new):
        return [f"{name}: stored {len(old)} rows, rerun {len(new)}"]
    found = []
    for column in old.columns:
        if old[column].dtype != new[column].dtype:
            found.append(f"{name}.{column}: stored {old[column].dtype}, rerun {new[column].dtype}")
            continue
        a, b = old[column], new[column]
        try:
            pd.testing.assert_series_equal(a, b, check_exact=True, check_names=False)
        except AssertionError:
            unequal = ~((a == b) | (a.isna() & b.isna()))
            row = int(unequal.to_numpy().nonzero()[0][0]) if unequal.any() else 0
            found.append(
                f"{name}.{column}: {int(unequal.sum())} value(s) differ; first at row {row}: "
                f"stored {a.iloc[row]!r}, rerun {b.iloc[row]!r}"
            )
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
