"""Planning a sweep: every run's config, seed and id, checked before anything runs.

:func:`plan_sweep` resolves the base world, expands the design and validates
every design point's config, reporting bad values under the spec key that
gave them (``design.parameters.KEY``, ``design.scenarios.ARM.KEY``,
``design.bounds.KEY``). Each run gets its seed (:mod:`~socialsim.experiment.seeds`)
and its ``run_id``: the first 16 hex digits of a hash of the resolved config,
the seed and the number of steps, so the same run has the same id in any
sweep, and a resumed sweep knows what it has already done.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from socialsim.columns import MetricColumn
from socialsim.config.loading import override_data, stable_hash
from socialsim.config.platforms import platform_of_key
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.design import DesignPoint, expand_design, integer_key
from socialsim.experiment.outcomes import outcome_columns, outcome_problems
from socialsim.experiment.runner import RunTask
from socialsim.experiment.seeds import run_seed
from socialsim.experiment.spec import ExperimentSpec, base_config
from socialsim.model import MECHANISM_COLUMNS, mechanism_columns
from socialsim.world.memory import estimate_memory

__all__ = ["RUN_COLUMNS", "PlannedRun", "SweepPlan", "plan_sweep"]

RUN_COLUMNS: dict[str, pa.DataType] = {
    "run_id": pa.string(),
    "point": pa.int64(),
    "replication": pa.int64(),
    "seed": pa.int64(),
    "scenario": pa.string(),
    "status": pa.string(),
    "error": pa.string(),
    "traceback": pa.string(),
    "wall_seconds": pa.float64(),
    "build_seconds": pa.float64(),
    "step_seconds": pa.float64(),
    "started_at": pa.string(),
    "finished_at": pa.string(),
    "worker": pa.string(),
}
"""Columns every runs table starts with; the parameters and the outcomes follow."""

TIMING_COLUMNS: tuple[str, ...] = (
    "wall_seconds",
    "build_seconds",
    "step_seconds",
    "started_at",
    "finished_at",
    "worker",
)
"""Runs-table columns that differ between repeats of the same run (everything else is equal)."""

_MAX_PROBLEMS = 20


@dataclass(frozen=True)
class PlannedRun:
    """One run of the plan: identity, place in the design and seed."""

    run_id: str
    point: int
    replication: int
    seed: int


@dataclass(eq=False)
class SweepPlan:
    """A validated, expanded sweep.

    Attributes
    ----------
    spec : ExperimentSpec
    base : ModelConfig
        The base world, with the spec's steps and output settings.
    points : list of DesignPoint
    runs : list of PlannedRun
        Point-major: every replication of point 0, then of point 1, ...
    parameters : dict
        Parameter key -> its resolved value at each point.
    n_tiers : int
        The most tiers of any point's world (fixes the outcome columns).
    columns : tuple of MetricColumn
        The mechanisms' step columns of every point's world (plug-ins enabled at
        some points add theirs).
    platforms : tuple of str
        The platforms of every point's world, in order (each adds its
        per-platform outcomes); one that every point switches off
        (``enabled: false``) is not among them.
    spec_hash : str
        Hash of the spec and base world (a store refuses a different one).
    largest_world : ModelConfig or None
        The point's config whose world needs the most memory (the sweep checks
        that enough workers' worlds of that size fit before it starts).
    """

    spec: ExperimentSpec
    base: ModelConfig
    points: list[DesignPoint]
    runs: list[PlannedRun]
    parameters: dict[str, list[Any]]
    n_tiers: int
    spec_hash: str
    largest_world: ModelConfig | None = None
    columns: tuple[MetricColumn, ...] = MECHANISM_COLUMNS
    platforms: tuple[str, ...] = ()
    _base_data: dict[str, Any] | None = field(default=None, repr=False)

    def config(self, run: PlannedRun) -> ModelConfig:
        """Return the resolved config of a run (seed included)."""
        overrides = {**self.points[run.point].overrides, "run.seed": run.seed}
        return self.base.with_overrides(overrides)

    def task(self, run: PlannedRun) -> RunTask:
        """Return what a worker needs to do `run`.

        The config goes as the base world's data with the point's overrides set;
        the worker validates it into exactly :meth:`config`. Keeping pydantic out
        of the sweep's own loop keeps it fast, and lets Ctrl-C arrive as a
        KeyboardInterrupt (pydantic would wrap one raised inside it).
        """
        if self._base_data is None:
            self._base_data = self.base.model_dump()
        overrides = {**self.points[run.point].overrides, "run.seed": run.seed}
        return RunTask(
            run_id=run.run_id,
            point=run.point,
            replication=run.replication,
            seed=run.seed,
            config=override_data(self._base_data, overrides),
            outputs=tuple(t for t in self.spec.outputs if t != "steps"),
        )

    def run_row(self, run: PlannedRun) -> dict[str, Any]:
        """Return the identity and parameter columns of a run's row in the runs table."""
        row = {
            "run_id": run.run_id,
            "point": run.point,
            "replication": run.replication,
            "seed": run.seed,
            "scenario": self.points[run.point].scenario,
        }
        row.update((key, values[run.point]) for key, values in self.parameters.items())
        return row

    def runs_schema(self) -> pa.Schema:
        """Return the Arrow schema of the runs table, fixed before any run so all parts agree."""
        fields = [pa.field(name, kind) for name, kind in RUN_COLUMNS.items()]
        for key, values in self.parameters.items():
            kind = pa.array(values).type
            fields.append(pa.field(key, pa.string() if pa.types.is_null(kind) else kind))
        for name, dtype in outcome_columns(self.n_tiers, self.columns, self.platforms).items():
            fields.append(pa.field(name, pa.int64() if dtype == "int64" else pa.float64()))
        return pa.schema(fields)

    def design_records(self) -> list[dict[str, Any]]:
        """Return the expanded design, one record per point, for the manifest.

        Each record keeps the point's exact ``overrides`` as well as its resolved
        ``parameters``: with the manifest's base config they give back every
        run's config, without expanding the design again (a sampler's new
        version could draw other points).
        """
        return [
            {
                "point": p.index,
                "scenario": p.scenario,
                "parameters": {k: v[p.index] for k, v in self.parameters.items()},
                "overrides": _jsonable(p.overrides),
            }
            for p in self.points
        ]


def plan_sweep(spec: ExperimentSpec, source: str | None = None) -> SweepPlan:
    """Resolve, expand and validate a spec into a :class:`SweepPlan`.

    Parameters
    ----------
    spec : ExperimentSpec
    source : str, optional
        Where the spec came from (its file), named in error messages.

    Returns
    -------
    SweepPlan

    Raises
    ------
    ConfigError
        Naming the spec key of every bad value (at most 20 are listed), two
        design points that would be the same run, or an entry of ``outcomes``
        that is not a runs-table outcome (``outcomes.N``).

    Examples
    --------
    >>> from socialsim.experiment.spec import spec_from_dict
    >>> plan = plan_sweep(spec_from_dict({
    ...     "name": "demo", "seed": 3, "replications": 2, "steps": 5,
    ...     "design": {"kind": "zip", "parameters": {"network.mean_degree": [6, 9]}},
    ... }))
    >>> len(plan.points), len(plan.runs), plan.parameters
    (2, 4, {'network.mean_degree': [6.0, 9.0]})
    """
    try:
        return _plan(spec)
    except ConfigError as exc:
        raise (exc.with_source(source) if source and exc.source is None else exc) from None


def _plan(spec: ExperimentSpec) -> SweepPlan:
    _check_run_keys(spec)
    base = base_config(spec)
    steps = base.run.steps if spec.steps is None else spec.steps
    settings: dict[str, Any] = {
        "run.steps": steps,
        "run.seed": None,
        "run.record_orders": "orders" in spec.outputs,
    }
    if spec.start_date is not None:
        # dates enter each config's hash, and so the run ids, only when set
        settings["run.start_date"] = spec.start_date.isoformat()
    base = base.with_overrides(settings)
    _check_values(spec, base)
    points = expand_design(spec.design, spec.seed)
    keys = spec.design.parameter_keys()
    parameters: dict[str, list[Any]] = {key: [] for key in keys}
    problems: list[Problem] = []
    runs: list[PlannedRun] = []
    seen: dict[str, PlannedRun] = {}
    n_tiers = len(base.population.tiers)
    columns: dict[str, MetricColumn] = {c.name: c for c in mechanism_columns(base)}
    # per-platform outcome columns: the platforms some point runs (a platform every point
    # switches off has none), in the order they first appear
    platforms: dict[str, None] = {}
    largest_need, largest_world = -1, None
    for point in points:
        try:
            config = base.with_overrides(point.overrides)
        except ConfigError as exc:
            where = f"design point {point.index} ({_describe(point)})"
            problems.extend(Problem(f"{where}: {p.path}", p.rule) for p in exc.problems)
            if len(problems) >= _MAX_PROBLEMS:
                break
            continue
        n_tiers = max(n_tiers, len(config.population.tiers))
        for column in mechanism_columns(config):
            columns.setdefault(column.name, column)
        platforms.update(dict.fromkeys(config.active_platforms))
        need = estimate_memory(config).total
        if need > largest_need:
            largest_need, largest_world = need, config
        for key in keys:
            parameters[key].append(_value_at(config, key))
        config_hash = config.config_hash()
        for replication in range(spec.replications):
            seed = run_seed(spec.seed, point.index, replication, crn=spec.crn)
            run_id = stable_hash({"config": config_hash, "seed": seed, "steps": steps})[:16]
            run = PlannedRun(run_id, point.index, replication, seed)
            if run_id in seen:
                other = seen[run_id]
                problems.append(
                    Problem(
                        "design",
                        f"points {other.point} and {point.index} give the same config and "
                        "seed (the same run twice); remove the duplicate"
                        + (" or set common_random_numbers: false" if spec.crn else ""),
                    )
                )
                break
            seen[run_id] = run
            runs.append(run)
    for key in keys if not problems else ():
        name = platform_of_key(key)
        if name is not None and name not in platforms:
            problems.append(
                Problem(
                    _spec_key(spec, key),
                    f"platforms.{name} is switched off (enabled: false) at every design point, "
                    "so this key changes nothing",
                )
            )
    if problems:
        raise ConfigError(problems[:_MAX_PROBLEMS])
    platforms = platforms or dict.fromkeys(base.active_platforms)
    _check_outcomes(spec, outcome_columns(n_tiers, tuple(columns.values()), tuple(platforms)))
    # The plan's order decides points and seeds, and key order in the spec decides the plan's
    # order: two specs that differ only in key order are different sweeps.
    order = [[r.run_id, r.point, r.replication] for r in runs]
    plan = SweepPlan(
        spec=spec,
        base=base,
        points=points,
        runs=runs,
        parameters=parameters,
        n_tiers=n_tiers,
        spec_hash=stable_hash({"spec": spec.spec_hash(base), "runs": order}),
        largest_world=largest_world,
        columns=tuple(columns.values()),
        platforms=tuple(platforms),
    )
    plan.runs_schema()  # fails now, not after the first run, if a parameter has no Arrow type
    return plan


_RUN_KEYS = {
    "run.seed": "the spec's seed (every run's seed is spawned from it)",
    "run.steps": "the spec's steps",
    "run.record_orders": "'orders' in the spec's outputs",
    "run.start_date": "the spec's start_date",
}


def _check_run_keys(spec: ExperimentSpec) -> None:
    """Refuse run.* keys: the spec sets them for every run, so a value here would be overridden."""
    keys = [(f"base.{k}", k) for k in spec.base]
    design = spec.design
    for arm, overrides in getattr(design, "scenarios", {}).items():
        keys.extend((f"design.scenarios.{arm}.{k}", k) for k in overrides)
    for section in ("parameters", "bounds"):
        keys.extend((f"design.{section}.{k}", k) for k in getattr(design, section, {}))
    problems = []
    for where, key in keys:
        if key == "run" or key.startswith("run."):
            use = _RUN_KEYS.get(key, "the spec's seed, steps, start_date and outputs")
            problems.append(Problem(where, f"a sweep sets the run section itself: use {use}"))
    if problems:
        raise ConfigError(problems)


def _check_outcomes(spec: ExperimentSpec, known: Mapping[str, str]) -> None:
    """Refuse an ``outcomes:`` entry that is not a column of this sweep's runs table."""
    entries = [(f"outcomes.{i}", name) for i, name in enumerate(spec.outcomes or ())]
    problems = outcome_problems(entries, known)
    if problems:
        raise ConfigError(problems[:_MAX_PROBLEMS])


def _check_values(spec: ExperimentSpec, base: ModelConfig) -> None:
    """Check the design's values so errors name the spec key that gave them.

    A scenario arm is checked as a whole; a grid, zip or bounds value on its
    own, keeping only problems with that very key (a rule across keys, like
    shares that must sum to 1, can only be judged at the design point).
    """
    design = spec.design
    # (where, overrides, whole): whole checks report every problem
    checks: list[tuple[str, dict[str, Any], bool]] = []
    if hasattr(design, "scenarios"):
        checks.extend(
            (f"design.scenarios.{arm}", dict(overrides), True)
            for arm, overrides in design.scenarios.items()
        )
    if hasattr(design, "parameters"):
        for key, values in design.parameters.items():
            many = len(values) > 1
            checks.extend(
                (f"design.parameters.{key}" + (f"[{i}]" if many else ""), {key: v}, False)
                for i, v in enumerate(values)
            )
    if hasattr(design, "bounds"):
        for key, (low, high) in design.bounds.items():
            whole = integer_key(key)
            checks.extend(
                (f"design.bounds.{key}", {key: round(end) if whole else end}, False)
                for end in (low, high)
            )
    problems: list[Problem] = []
    for where, overrides, whole in checks:
        try:
            base.with_overrides(overrides)
        except ConfigError as exc:
            for p in exc.problems:
                value = (p.value,) if p.has_value else ()
                if whole:
                    path = f"{where}.{p.path}" if p.path in overrides else f"{where}: {p.path}"
                    problems.append(Problem(path, p.rule, *value))
                elif p.path in overrides:
                    problems.append(Problem(where, p.rule, *value))
                elif any(_row_of(key) == p.path for key in overrides):
                    # the platform row the key would create (an unknown platform): the key's
                    # problem whatever its value, so named once
                    above = Problem(where.partition("[")[0], p.rule)
                    if above not in problems:
                        problems.append(above)
        if len(problems) >= _MAX_PROBLEMS:
            break
    if problems:
        raise ConfigError(problems[:_MAX_PROBLEMS])


def _row_of(key: str) -> str | None:
    """Return the platform row a key lies in (``platforms.NAME``), or None."""
    parts = key.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 and parts[0] == "platforms" else None


def _spec_key(spec: ExperimentSpec, key: str) -> str:
    """Return where in the spec a design key is given (the first place that names it)."""
    for where in ("bounds", "parameters"):
        if key in getattr(spec.design, where, {}):
            return f"design.{where}.{key}"
    for arm, overrides in getattr(spec.design, "scenarios", {}).items():
        if key in overrides:
            return f"design.scenarios.{arm}.{key}"
    return key


def _value_at(config: ModelConfig, key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        if isinstance(node, Mapping):
            node = node[int(part)] if part.isdigit() and int(part) in node else node[part]
        else:
            node = getattr(node, part)
    # A mapping (a section, a table) is stored as JSON text, so every part of the runs
    # table has one flat schema; a list of numbers stays a list.
    if isinstance(node, BaseModel):
        node = node.model_dump(mode="json")
    if isinstance(node, Mapping):
        return json.dumps(_jsonable(node), sort_keys=True)
    if isinstance(node, tuple | list):
        items = list(node)
        scalar = all(isinstance(v, int | float | str | bool) or v is None for v in items)
        return items if scalar else json.dumps(_jsonable(items), sort_keys=True)
    return node


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _describe(point: DesignPoint, limit: int = 120) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in point.overrides.items())
    if point.scenario is not None:
        text = f"scenario {point.scenario}" + (f", {text}" if text else "")
    return text if len(text) <= limit else text[: limit - 3] + "..."
