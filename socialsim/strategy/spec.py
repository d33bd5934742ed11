"""Strategy-search specs: the levers a platform may pull, its objectives and its limits.

A strategy-search spec is YAML, validated as completely as a sweep spec, and
shares a sweep spec's ``name``, ``description``, ``config``, ``base``,
``steps``, ``replications`` (simulations per evaluation, with common random
numbers), ``seed``, ``execution`` and ``variants``. It adds:

``levers``
    Dotted config keys -> ``[low, high]``, ``{low, high, log}`` or
    ``{choices: [...]}``. An integer setting with bounds takes whole numbers.
``objectives``
    Outcomes of the runs table with a ``direction`` (``maximize`` or
    ``minimize``): one objective is searched with TPE, two or more with
    NSGA-II, whose answer is a Pareto front.
``constraints``
    Outcomes with a ``min`` and/or a ``max``: an evaluation outside them is
    infeasible and never on the front.
``method``
    ``trials`` (evaluations in all), ``batch`` (evaluations asked at a time and
    run in parallel), ``startup_trials`` (random ones before TPE takes over),
    ``population`` (NSGA-II's generation size; ``batch`` if omitted).

Examples
--------
>>> spec = search_spec_from_dict({
...     "name": "gb",
...     "seed": 1,
...     "levers": {"platforms.pinduoduo.group_buying.discount": [0.05, 0.45],
...                "platforms.pinduoduo.group_buying.size": {"choices": [2, 3, 5]}},
...     "objectives": [{"outcome": "gmv_pinduoduo", "direction": "maximize"},
...                    {"outcome": "group_refunds_value", "direction": "minimize"}],
... })
>>> spec.sampler, spec.levers["platforms.pinduoduo.group_buying.size"].choices
('nsga2', [2, 3, 5])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from socialsim.calibration.spec import CandidateSpec, bounds_shorthand
from socialsim.config._base import Section, located
from socialsim.config.loading import field_type, stable_hash
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.outcomes import outcome_problems, world_outcome_columns
from socialsim.experiment.spec import (
    document_from_dict,
    load_document,
)

__all__ = [
    "Constraint",
    "Lever",
    "Objective",
    "SearchMethod",
    "SearchSpec",
    "check_search_world",
    "load_search_spec",
    "search_spec_from_dict",
]

_RESERVED = ("run.seed", "run.steps", "run.record_orders")


class Lever(Section):
    """A lever: a range of numbers or a list of choices."""

    low: float | None = Field(default=None, description="Lowest value.")
    high: float | None = Field(default=None, description="Highest value.")
    log: bool = Field(default=False, description="Search the range on a log scale.")
    choices: list[Any] | None = Field(default=None, min_length=2, description="The values.")

    @model_validator(mode="after")
    def _one_kind(self) -> Lever:
        ranged = self.low is not None or self.high is not None
        if ranged == (self.choices is not None):
            raise ValueError("give either low and high, or choices")
        if ranged:
            if self.low is None or self.high is None:
                raise ValueError("give both low and high")
            if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
                raise ValueError(f"low must be below high, got [{self.low}, {self.high}]")
            if self.log and self.low <= 0:
                raise located(".low", f"must be above 0 on a log scale, got {self.low}")
        elif len({repr(c) for c in self.choices or ()}) != len(self.choices or ()):
            raise located(".choices", "must not repeat a value")
        return self


class Objective(Section):
    """An outcome to make as large or as small as possible."""

    outcome: str = Field(description="An outcome of the runs table.")
    direction: Literal["maximize", "minimize"] = Field(description="maximize or minimize.")


class Constraint(Section):
    """A limit an evaluation's outcome must keep to (its mean over the replications)."""

    outcome: str = Field(description="An outcome of the runs table.")
    min: float | None = Field(default=None, description="Lowest feasible value.")
    max: float | None = Field(default=None, description="Highest feasible value.")

    @model_validator(mode="after")
    def _bounded(self) -> Constraint:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min must not be above max, got [{self.min}, {self.max}]")
        return self

    def violations(self, value: float) -> list[float]:
        """Return Optuna's constraint values: each at most 0 when satisfied (nan: violated)."""
        if not math.isfinite(value):
            return [1.0] * ((self.min is not None) + (self.max is not None))
        out = []
        if self.min is not None:
            out.append(self.min - value)
        if self.max is not None:
            out.append(value - self.max)
        return out


class SearchMethod(Section):
    """How many evaluations, and how many at a time."""

    trials: int = Field(default=40, ge=1, le=100_000, description="Evaluations in all.")
    batch: int = Field(
        default=8,
        ge=1,
        le=1000,
        description=(
            "Evaluations asked at a time and run in parallel; part of the result (the "
            "sampler is seeded per batch), unlike the number of workers."
        ),
    )
    startup_trials: int = Field(
        default=10, ge=1, description="Random evaluations before TPE (one objective) takes over."
    )
    population: int | None = Field(
        default=None, ge=2, le=10_000, description="NSGA-II's generation size; batch if omitted."
    )


class SearchSpec(CandidateSpec):
    """A validated strategy-search spec (see the module docstring)."""

    levers: dict[str, Lever] = Field(min_length=1, description="Dotted config key -> range.")
    objectives: list[Objective] = Field(min_length=1, max_length=4, description="Outcomes.")
    constraints: list[Constraint] = Field(default_factory=list, description="Limits.")
    method: SearchMethod = Field(default_factory=SearchMethod)

    @field_validator("levers", mode="before")
    @classmethod
    def _pairs(cls, levers: Any) -> Any:
        return bounds_shorthand("levers", levers)

    @model_validator(mode="after")
    def _distinct(self) -> SearchSpec:
        seen: dict[str, int] = {}
        for i, objective in enumerate(self.objectives):
            if objective.outcome in seen:
                raise located(
                    f"objectives.{i}.outcome",
                    f"{objective.outcome!r} is already objectives.{seen[objective.outcome]}",
                )
            seen[objective.outcome] = i
        for key in self.levers:
            if key in _RESERVED:
                raise located(f"levers.{key}", "is set by the search itself, not a lever")
        return self

    @property
    def sampler(self) -> str:
        """``tpe`` for one objective, ``nsga2`` for several."""
        return "tpe" if len(self.objectives) == 1 else "nsga2"

    @property
    def lever_keys(self) -> list[str]:
        """The levers' dotted keys, in the spec's order."""
        return list(self.levers)

    def spec_hash(self, base: ModelConfig) -> str:
        """Hash of everything that decides the result (not execution, prose or length).

        The base world is hashed with every lever at its first value: what
        the base says of a lever never reaches a simulation. ``method.trials``
        is left out: the first evaluations of a longer search are those of a
        shorter one, so raising it extends a finished search.
        """
        data = self.model_dump(mode="json", exclude={"execution", "config", "base", "description"})
        del data["method"]["trials"]
        data["base_config"] = base.with_overrides(self.first_values()).config_hash()
        return stable_hash(data)

    def first_values(self) -> dict[str, Any]:
        """Each lever at its low end or first choice, as the config takes it."""
        return {key: _first(key, lever) for key, lever in self.levers.items()}


def _first(key: str, lever: Lever) -> Any:
    if lever.choices is not None:
        return lever.choices[0]
    return round(lever.low) if field_type(key) is int else lever.low


def search_spec_from_dict(
    data: Mapping[str, Any], *, variant: str | None = None, source: str | None = None
) -> SearchSpec:
    """Validate a strategy-search spec given as a nested mapping, applying `variant` first.

    Raises
    ------
    ConfigError
        Naming the key path of every problem.
    """
    return document_from_dict(data, SearchSpec, variant=variant, source=source)


def load_search_spec(path: str | Path, *, variant: str | None = None) -> SearchSpec:
    """Load and validate a strategy-search spec file (a relative ``config`` is relative to it).

    Raises
    ------
    ConfigError
        If the file cannot be read or the spec is invalid, naming each key path.
    """
    return load_document(path, SearchSpec, variant=variant)


def check_search_world(spec: SearchSpec, source: str | None = None) -> ModelConfig:
    """Check the spec against its world and return the base config every evaluation starts from.

    Each lever must name a config value the world accepts at both ends of
    its range and at every choice (a bounded lever must be a number);
    objectives and constraints must be outcomes of the runs table.

    Raises
    ------
    ConfigError
        Naming ``levers.KEY``, ``objectives.N.outcome`` or ``constraints.N.outcome``.
    """
    base = spec.world()
    problems: list[Problem] = []
    for key, lever in spec.levers.items():
        kind = field_type(key)
        if kind is None:
            problems.append(Problem(f"levers.{key}", "is not a key of the config"))
            continue
        if lever.choices is None:
            if kind not in (int, float):
                problems.append(Problem(f"levers.{key}", f"must name a number setting, not {kind}"))
                continue
            values = {"low": lever.low, "high": lever.high}
            if kind is int:
                values = {k: round(v) for k, v in values.items()}
                if values["low"] == values["high"]:
                    problems.append(
                        Problem(f"levers.{key}", "an integer setting needs two whole numbers apart")
                    )
        else:
            values = {f"choices.{i}": c for i, c in enumerate(lever.choices)}
        for where, value in values.items():
            try:
                base.with_overrides({key: value})
            except ConfigError as exc:
                rule = "; ".join(p.rule for p in exc.problems)
                problems.append(Problem(f"levers.{key}.{where}", rule, value))
    problems += outcome_problems(
        [(f"objectives.{i}.outcome", o.outcome) for i, o in enumerate(spec.objectives)]
        + [(f"constraints.{i}.outcome", c.outcome) for i, c in enumerate(spec.constraints)],
        world_outcome_columns(base),
    )
    if problems:
        raise ConfigError(problems, source)
    return base
