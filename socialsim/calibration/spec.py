"""Calibration specs: which free parameters to fit, to which published targets, and how.

A calibration spec is YAML, validated as completely as a sweep spec (every
error names its key path, the rule and the value), and shares a sweep spec's
``name``, ``description``, ``config``, ``base``, ``steps``, ``replications``
(simulations per candidate), ``seed`` and ``variants``. It adds:

``parameters``
    Dotted config keys -> ``[low, high]``, or ``{low, high, prior}`` with
    ``prior`` ``uniform`` (the default) or ``loguniform``. Integer settings
    are fitted as real numbers and rounded when applied.
``targets``
    Outcomes of the runs table (:func:`~socialsim.experiment.outcomes.outcome_columns`,
    per-platform outcomes included), each with the published ``value``, a
    ``scale`` (the size of a miss that counts as one unit of distance) and
    its ``source``.
``held_out``
    Facts kept out of the fit, as bands ``{outcome, low, high, source}``: the
    report checks them against the posterior predictive.
``method``
    ``kind: abc-smc`` (pyabc's ABC-SMC: ``population``, ``generations`` and/or
    ``min_epsilon``, ``distance``) or ``kind: optimize`` (an Optuna TPE point
    fit: ``trials``, ``batch``).

Examples
--------
>>> spec = calibration_spec_from_dict({
...     "name": "recover",
...     "base": {"population.n_consumers": 2000},
...     "steps": 20,
...     "seed": 1,
...     "parameters": {"behaviour.budget_share": [0.03, 0.12]},
...     "targets": [{"outcome": "average_order_value", "value": 47.0, "scale": 3.0,
...                  "source": "Pinduoduo FY2020 results"}],
...     "method": {"kind": "abc-smc", "population": 20, "generations": 3},
... })
>>> spec.parameters["behaviour.budget_share"].low, spec.method.kind
(0.03, 'abc-smc')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from socialsim.config._base import Section, located
from socialsim.config.loading import field_type, stable_hash
from socialsim.config.platforms import platform_of_key
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.executors import available_cores
from socialsim.experiment.outcomes import outcome_problems, world_outcome_columns
from socialsim.experiment.spec import (
    ExecutionConfig,
    base_config,
    check_name,
    document_from_dict,
    load_document,
)

__all__ = [
    "AbcSmcMethod",
    "CalibrationSpec",
    "CandidateSpec",
    "HeldOutCheck",
    "OptimizeMethod",
    "ParameterRange",
    "Target",
    "apply_value",
    "bounds_shorthand",
    "calibration_spec_from_dict",
    "check_against_world",
    "load_calibration_spec",
]

_RESERVED = ("run.seed", "run.steps", "run.record_orders")


class ParameterRange(Section):
    """A free parameter's prior: bounds and shape."""

    low: float = Field(description="Lower bound.")
    high: float = Field(description="Upper bound (greater than low).")
    prior: Literal["uniform", "loguniform"] = Field(
        default="uniform", description="uniform, or loguniform (low must then be above 0)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> ParameterRange:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"low and high must be finite numbers, got [{self.low}, {self.high}]")
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got [{self.low}, {self.high}]")
        if self.prior == "loguniform" and self.low <= 0:
            raise located(".low", f"must be above 0 for a loguniform prior, got {self.low}")
        return self

    @property
    def mid(self) -> float:
        """The middle of the prior (geometric for a loguniform prior)."""
        if self.prior == "loguniform":
            return math.sqrt(self.low * self.high)
        return (self.low + self.high) / 2


class Target(Section):
    """A published figure the calibration fits."""

    outcome: str = Field(description="An outcome of the runs table.")
    value: float = Field(description="The published value.", allow_inf_nan=False)
    scale: float = Field(
        gt=0, allow_inf_nan=False, description="The size of a miss that counts as one unit."
    )
    source: str = Field(min_length=1, description="Where the value comes from.")


class HeldOutCheck(Section):
    """A published fact kept out of the fit and checked against the posterior predictive."""

    outcome: str = Field(description="An outcome of the runs table.")
    low: float | None = Field(default=None, description="Lowest value that passes.")
    high: float | None = Field(default=None, description="Highest value that passes.")
    source: str = Field(min_length=1, description="Where the band comes from.")

    @model_validator(mode="after")
    def _band(self) -> HeldOutCheck:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low must not be above high, got [{self.low}, {self.high}]")
        return self

    def passes(self, value: float | None) -> bool:
        """Whether `value` lies in the band (a missing value does not)."""
        if value is None or not math.isfinite(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @property
    def band(self) -> str:
        """The band, written out: ``[0.5, 0.7]``, ``>= 0.5``."""
        if self.low is None:
            return f"<= {self.high:g}"
        if self.high is None:
            return f">= {self.low:g}"
        return f"[{self.low:g}, {self.high:g}]"


class AbcSmcMethod(Section):
    """ABC-SMC through pyabc."""

    kind: Literal["abc-smc"]
    population: int = Field(default=40, ge=2, le=100_000, description="Particles a generation.")
    generations: int | None = Field(
        default=5, ge=1, le=1000, description="Most generations; null: until min_epsilon."
    )
    min_epsilon: float | None = Field(
        default=None, ge=0, description="Stop once the acceptance threshold is this low."
    )
    distance: Literal["scaled", "adaptive"] = Field(
        default="scaled",
        description=(
            "scaled: the Euclidean distance of the misses, each divided by its target's scale; "
            "adaptive: pyabc's adaptive p-norm, reweighting the targets every generation by "
            "the spread of the simulations (the scales then only set the first weights)."
        ),
    )
    quantile: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Each generation's threshold is this quantile of the last one's distances.",
    )
    max_simulations: int | None = Field(
        default=None, ge=1, description="Stop after this many candidates in all (a guard)."
    )

    @model_validator(mode="after")
    def _stops(self) -> AbcSmcMethod:
        if self.generations is None and self.min_epsilon is None:
            raise ValueError("give generations, min_epsilon or both, so that the fit stops")
        return self


class OptimizeMethod(Section):
    """A quick point fit: Optuna's TPE sampler minimising the distance."""

    kind: Literal["optimize"]
    trials: int = Field(default=60, ge=1, le=100_000, description="Candidates to try.")
    batch: int = Field(
        default=8,
        ge=1,
        le=1000,
        description=(
            "Candidates proposed at a time and run in parallel; part of the result (changing "
            "it changes the proposals), unlike the number of workers."
        ),
    )
    startup_trials: int = Field(
        default=10, ge=1, description="Random candidates before TPE takes over."
    )


Method = Annotated[AbcSmcMethod | OptimizeMethod, Field(discriminator="kind")]


class CandidateSpec(Section):
    """What calibration and strategy-search specs share with each other and with sweep specs.

    Both run candidates (sets of values of dotted config keys), each
    ``replications`` times, in the world of ``config`` and ``base``.
    """

    name: str = Field(description="Short name, used for the default output directory.")
    description: str = Field(default="", description="What is looked for, from what, and why.")
    config: str | None = Field(
        default=None,
        description="Base config file, relative to the spec file; the default world if omitted.",
    )
    base: dict[str, Any] = Field(
        default_factory=dict, description="Dotted config overrides shared by every simulation."
    )
    steps: int | None = Field(
        default=None, ge=1, le=100_000, description="Days per simulation; run.steps if omitted."
    )
    replications: int = Field(
        default=1, ge=1, le=1000, description="Simulations per candidate (their mean counts)."
    )
    seed: int = Field(ge=0, le=2**63 - 1, description="Root seed of every simulation's seed.")
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    variant: str | None = Field(default=None, description="The variant applied, if any.")

    _name = field_validator("name")(check_name)

    def world(self) -> ModelConfig:
        """Return the base world every candidate starts from (the spec's steps, no seed).

        Raises
        ------
        ConfigError
            Naming ``config`` or ``base.KEY`` for a bad file or override.
        """
        base = base_config(self)
        steps = base.run.steps if self.steps is None else self.steps
        return base.with_overrides(
            {"run.steps": steps, "run.seed": None, "run.record_orders": False}
        )

    def executor_settings(
        self, executor: str | None, workers: int | None, scheduler: str | None
    ) -> tuple[str, int | None, str | None]:
        """Return the executor, its workers and the Dask address: the options over ``execution``.

        A scheduler address implies ``dask``; the serial executor takes no
        worker count.

        Raises
        ------
        ConfigError
            For ``--scheduler`` with another executor.
        """
        if scheduler is not None:
            if executor not in (None, "dask"):
                raise ConfigError(
                    [Problem("--scheduler", f"needs --executor dask, not {executor}")]
                )
            executor = "dask"
        kind = executor or self.execution.executor
        address = scheduler or (self.execution.scheduler if kind == "dask" else None)
        n = workers or self.execution.workers or available_cores()
        return kind, (None if kind == "serial" else n), address


def bounds_shorthand(field: str, ranges: Any) -> Any:
    """Turn ``KEY: [low, high]`` entries of `field` into ``KEY: {low, high}``.

    Examples
    --------
    >>> bounds_shorthand("levers", {"a": [1, 2], "b": {"choices": [3]}})
    {'a': {'low': 1, 'high': 2}, 'b': {'choices': [3]}}
    """
    if not isinstance(ranges, Mapping):
        return ranges
    out = {}
    for key, value in ranges.items():
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise located(
                    f"{field}.{key}", f"give [low, high] (two numbers), got {list(value)!r}"
                )
            value = {"low": value[0], "high": value[1]}
        out[key] = value
    return out


class CalibrationSpec(CandidateSpec):
    """A validated calibration spec (see the module docstring)."""

    parameters: dict[str, ParameterRange] = Field(
        min_length=1, description="Free parameters: dotted config key -> [low, high]."
    )
    targets: list[Target] = Field(min_length=1, description="Outcomes to fit.")
    held_out: list[HeldOutCheck] = Field(
        default_factory=list, description="Facts kept out of the fit, checked afterwards."
    )
    method: Method

    @field_validator("parameters", mode="before")
    @classmethod
    def _pairs(cls, parameters: Any) -> Any:
        return bounds_shorthand("parameters", parameters)

    @model_validator(mode="after")
    def _distinct(self) -> CalibrationSpec:
        for field, items in (("targets", self.targets), ("held_out", self.held_out)):
            seen: dict[str, int] = {}
            for i, item in enumerate(items):
                if item.outcome in seen:
                    raise located(
                        f"{field}.{i}.outcome",
                        f"{item.outcome!r} is already {field}.{seen[item.outcome]}; "
                        "give each outcome once",
                    )
                seen[item.outcome] = i
        fitted = {t.outcome for t in self.targets}
        for i, check in enumerate(self.held_out):
            if check.outcome in fitted:
                raise located(
                    f"held_out.{i}.outcome",
                    f"{check.outcome!r} is a target; a held-out check must be kept out of the fit",
                )
        for key in self.parameters:
            if key in _RESERVED:
                raise located(
                    f"parameters.{key}", "is set by the calibration itself, not a free parameter"
                )
        return self

    @property
    def parameter_keys(self) -> list[str]:
        """The free parameters' dotted keys, in the spec's order."""
        return list(self.parameters)

    def spec_hash(self, base: ModelConfig) -> str:
        """Hash of everything that decides the result (not execution, prose or held-out checks).

        The base world is hashed with every free parameter at its low bound:
        what the base says of a free parameter never reaches a simulation, so
        a record stays reproducible after the defaults take its result. How
        long the fit runs (``generations``, ``min_epsilon``,
        ``max_simulations``, ``trials``) is left out: running a finished fit
        again with more generations extends it.
        """
        # the base and config file count through the world they resolve to
        data = self.model_dump(
            mode="json", exclude={"execution", "config", "base", "description", "held_out"}
        )
        # how long it runs: the first generations (trials) of a longer fit are a shorter one's
        for length in ("generations", "min_epsilon", "max_simulations", "trials"):
            data["method"].pop(length, None)
        pinned = {k: apply_value(field_type(k), b.low) for k, b in self.parameters.items()}
        data["base_config"] = base.with_overrides(pinned).config_hash()
        return stable_hash(data)


def calibration_spec_from_dict(
    data: Mapping[str, Any], *, variant: str | None = None, source: str | None = None
) -> CalibrationSpec:
    """Validate a calibration spec given as a nested mapping, applying `variant` first.

    Parameters
    ----------
    data : mapping
        The spec document.
    variant : str, optional
        Name of an entry of ``variants`` to merge over the spec.
    source : str, optional
        Where the spec came from, shown before each error.

    Returns
    -------
    CalibrationSpec

    Raises
    ------
    ConfigError
        Naming the key path of every problem.
    """
    return document_from_dict(data, CalibrationSpec, variant=variant, source=source)


def load_calibration_spec(path: str | Path, *, variant: str | None = None) -> CalibrationSpec:
    """Load and validate a calibration spec file (a relative ``config`` is relative to it).

    Raises
    ------
    ConfigError
        If the file cannot be read or the spec is invalid, naming each key path.
    """
    return load_document(path, CalibrationSpec, variant=variant)


def check_against_world(spec: CalibrationSpec, source: str | None = None) -> ModelConfig:
    """Check the spec against its world and return the base config every simulation starts from.

    Checks that each parameter names a numeric config value and that the
    world is valid with every parameter at its low and at its high bound, and
    that each target and held-out outcome is an outcome of the runs table.

    Raises
    ------
    ConfigError
        Naming ``parameters.KEY``, ``targets.N.outcome`` or ``held_out.N.outcome``.
    """
    base = spec.world()
    problems: list[Problem] = []
    for key, bounds in spec.parameters.items():
        kind = field_type(key)
        if kind is None:
            problems.append(Problem(f"parameters.{key}", "is not a key of the config"))
            continue
        if kind not in (int, float):
            problems.append(
                Problem(f"parameters.{key}", f"must name a number setting, not a {kind}")
            )
            continue
        name = platform_of_key(key)
        if name in base.platforms and name not in base.active_platforms:
            problems.append(
                Problem(
                    f"parameters.{key}",
                    f"platforms.{name} is switched off (enabled: false) in the world, so this "
                    "parameter changes nothing",
                )
            )
            continue
        for end in ("low", "high"):
            value = apply_value(kind, getattr(bounds, end))
            try:
                base.with_overrides({key: value})
            except ConfigError as exc:
                rule = "; ".join(p.rule for p in exc.problems)
                problems.append(Problem(f"parameters.{key}.{end}", rule, value))
    for end in ("low", "high") if not problems else ():
        corner = {
            k: apply_value(field_type(k), getattr(b, end)) for k, b in spec.parameters.items()
        }
        try:
            base.with_overrides(corner)
        except ConfigError as exc:
            rule = "; ".join(f"{p.path}: {p.rule}" for p in exc.problems)
            problems.append(
                Problem("parameters", f"with every parameter at its {end} bound, {rule}")
            )
    problems += outcome_problems(
        [(f"targets.{i}.outcome", t.outcome) for i, t in enumerate(spec.targets)]
        + [(f"held_out.{i}.outcome", c.outcome) for i, c in enumerate(spec.held_out)],
        world_outcome_columns(base),
    )
    if problems:
        raise ConfigError(problems, source)
    return base


def apply_value(kind: Any, value: float) -> float | int:
    """Return a fitted value as the config takes it: rounded for an integer setting."""
    return round(value) if kind is int else float(value)
