"""Experiment specs: what a sweep runs, as a validated YAML document.

A spec names the experiment, the base world (config overrides in the dotted
keys of ``--set``, optionally on top of a config file), the number of days and
replications, the root seed, the design that varies parameters, which tables
to keep and how to run. It is validated completely, the design expanded and
every design point's config checked, before anything runs; each error names
its key path, the rule and the value.

Variants (``variants: {quick: {...}}``) are partial specs merged over the
spec: mappings merge key by key, everything else is replaced. ``quick``
variants make a shipped experiment finish in minutes on a laptop.

Examples
--------
>>> spec = spec_from_dict({
...     "name": "discount",
...     "base": {"population.n_consumers": 2000},
...     "steps": 10,
...     "replications": 2,
...     "seed": 1,
...     "design": {
...         "kind": "grid",
...         "parameters": {"platforms.pinduoduo.group_buying.discount": [0.1, 0.3]},
...     },
... })
>>> spec.design.kind, spec.crn
('grid', False)
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator

from socialsim.config._base import Section, deep_merge, located
from socialsim.config.loading import (
    apply_overrides,
    load_config,
    read_yaml,
    stable_hash,
    validation_problems,
)
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem

__all__ = [
    "DESIGN_KINDS",
    "MAX_DESIGN_POINTS",
    "MAX_RUNS",
    "OUTPUT_TABLES",
    "Design",
    "ExecutionConfig",
    "ExperimentSpec",
    "GridDesign",
    "LatinHypercubeDesign",
    "MorrisDesign",
    "RandomDesign",
    "ScenarioDesign",
    "SobolDesign",
    "ZipDesign",
    "base_config",
    "check_name",
    "document_from_dict",
    "load_document",
    "load_spec",
    "spec_from_dict",
]

OUTPUT_TABLES: tuple[str, ...] = ("steps", "platforms", "tiers", "orders", "brands", "exports")
"""Tables a sweep can keep; ``steps`` (per-step metrics) is always kept."""

EXECUTORS = ("serial", "process", "dask")

MAX_DESIGN_POINTS = 100_000
"""The most design points a spec may have (computed from the design's parts, not expanded).

Planning checks every point's config, about 6 ms a point on one core, so this
many take about ten minutes to plan; a design of millions of points is a
mistake (a grid of too many lists), refused at once.
"""

MAX_RUNS = 1_000_000
"""The most runs (design points x replications) a spec may have."""

_Doc = TypeVar("_Doc", bound=Section)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_name(name: str) -> str:
    """Check an experiment's name: it names a directory (the error formatter adds the value).

    Raises
    ------
    ValueError
        If it is not letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit.
    """
    if not _NAME.match(name):
        raise ValueError("use letters, digits, '_', '.' and '-', starting with a letter or digit")
    return name


class _Design(Section):
    common_random_numbers: bool | None = Field(
        default=None,
        description=(
            "Give every design point the same seeds for the same replication, so that "
            "points differ only by their parameters. Default: true for scenarios, false "
            "otherwise."
        ),
    )

    def parameter_keys(self) -> list[str]:
        """Return the dotted config keys this design varies, in order."""
        raise NotImplementedError

    def size(self) -> int:
        """Return the number of design points, computed without expanding them."""
        raise NotImplementedError

    def size_text(self) -> str:
        """Return how :meth:`size` comes about, e.g. ``100 x 100 x 100``."""
        return f"{self.size():,}"


def _grid_size(parameters: dict[str, list[Any]]) -> int:
    return math.prod(len(values) for values in parameters.values())


def _grid_text(parameters: dict[str, list[Any]]) -> str:
    return " x ".join(str(len(values)) for values in parameters.values())


def _non_empty_lists(parameters: dict[str, list[Any]]) -> dict[str, list[Any]]:
    for key, values in parameters.items():
        if not values:
            raise located(f".{key}", "must list at least one value")
    return parameters


class _ListDesign(_Design):
    parameters: dict[str, list[Any]] = Field(
        description="Dotted config key -> list of values.", min_length=1
    )

    _check_lists = field_validator("parameters")(_non_empty_lists)

    def parameter_keys(self) -> list[str]:
        """Return the dotted config keys this design varies, in order."""
        return list(self.parameters)


class GridDesign(_ListDesign):
    """Every combination of the listed values (the first key varies slowest)."""

    kind: Literal["grid"]

    def size(self) -> int:
        """Return the product of the lists' lengths."""
        return _grid_size(self.parameters)

    def size_text(self) -> str:
        """Return the lists' lengths, multiplied: ``3 x 4``."""
        return f"{_grid_text(self.parameters)} = {self.size():,}"


class ZipDesign(_ListDesign):
    """The lists taken together: point ``i`` takes the ``i``-th value of every list."""

    kind: Literal["zip"]

    @model_validator(mode="after")
    def _equal_lengths(self) -> ZipDesign:
        lengths = {key: len(values) for key, values in self.parameters.items()}
        first_key, first = next(iter(lengths.items()))
        for key, n in lengths.items():
            if n != first:
                raise located(
                    f".parameters.{key}",
                    f"zip lists must have equal lengths: {n} values here, {first} for {first_key}",
                )
        return self

    def size(self) -> int:
        """Return the lists' common length."""
        return len(next(iter(self.parameters.values())))


class ScenarioDesign(_Design):
    """Named arms, each a set of overrides, optionally crossed with a grid.

    With ``parameters``, every arm is run at every grid point.
    """

    kind: Literal["scenarios"]
    scenarios: dict[str, dict[str, Any]] = Field(
        min_length=1, description="Arm name -> dotted config overrides ({} for the baseline)."
    )
    parameters: dict[str, list[Any]] = Field(
        default_factory=dict, description="Optional grid crossed with every arm."
    )

    @field_validator("scenarios")
    @classmethod
    def _arm_names(cls, scenarios: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name in scenarios:
            if not _NAME.match(str(name)):
                raise located(
                    f".{name}",
                    "arm names use letters, digits, '_', '.' and '-', starting with a "
                    "letter or digit",
                )
        return scenarios

    _check_lists = field_validator("parameters")(_non_empty_lists)

    def size(self) -> int:
        """Return the number of arms times the size of the grid."""
        return len(self.scenarios) * _grid_size(self.parameters)

    def size_text(self) -> str:
        """Return ``arms x grid``."""
        if not self.parameters:
            return f"{self.size():,} arms"
        return f"{len(self.scenarios)} arms x {_grid_text(self.parameters)} = {self.size():,}"

    def parameter_keys(self) -> list[str]:
        """Return the dotted config keys this design varies, in order."""
        keys: dict[str, None] = {}
        for overrides in self.scenarios.values():
            keys.update(dict.fromkeys(overrides))
        keys.update(dict.fromkeys(self.parameters))
        return list(keys)


class _SampledDesign(_Design):
    bounds: dict[str, tuple[float, float]] = Field(
        min_length=1, description="Dotted config key -> [low, high]."
    )
    samples: int = Field(ge=1, le=10_000_000, description="Sample size (see each design).")

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, bounds: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for key, (low, high) in bounds.items():
            if not low < high:
                raise located(f".{key}", f"low must be < high, got [{low}, {high}]")
        return bounds

    def parameter_keys(self) -> list[str]:
        """Return the dotted config keys this design varies, in order."""
        return list(self.bounds)

    def size(self) -> int:
        """Return ``samples`` (Sobol and Morris designs multiply it)."""
        return self.samples


class RandomDesign(_SampledDesign):
    """``samples`` points drawn uniformly within the bounds."""

    kind: Literal["random"]


class LatinHypercubeDesign(_SampledDesign):
    """A Latin hypercube of ``samples`` points (SALib ``sample.latin``)."""

    kind: Literal["lhs"]


class SobolDesign(_SampledDesign):
    """Saltelli's extension of a Sobol sequence (SALib ``sample.sobol``).

    Gives ``samples × (D + 2)`` points for D parameters, or ``samples × (2D + 2)``
    with ``second_order``; ``samples`` must be a power of 2.
    """

    kind: Literal["sobol"]
    second_order: bool = Field(
        default=False, description="Also allow second-order indices (about twice the runs)."
    )

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, samples: int) -> int:
        if samples & (samples - 1):
            low = 1 << (samples.bit_length() - 1)
            raise ValueError(f"must be a power of 2 for Sobol sampling (try {low} or {2 * low})")
        return samples

    def size(self) -> int:
        """Return ``samples x (D + 2)``, or ``samples x (2D + 2)`` with ``second_order``."""
        d = len(self.bounds)
        return self.samples * ((2 * d + 2) if self.second_order else (d + 2))

    def size_text(self) -> str:
        """Return ``samples x (D + 2)`` written out."""
        d = len(self.bounds)
        factor = f"(2 x {d} + 2)" if self.second_order else f"({d} + 2)"
        return f"{self.samples:,} samples x {factor} = {self.size():,}"


class MorrisDesign(_SampledDesign):
    """Morris trajectories (SALib ``sample.morris``): ``samples × (D + 1)`` points."""

    kind: Literal["morris"]
    levels: int = Field(default=4, ge=2, le=1000, description="Grid levels per parameter.")

    def size(self) -> int:
        """Return ``samples x (D + 1)``."""
        return self.samples * (len(self.bounds) + 1)

    def size_text(self) -> str:
        """Return ``samples x (D + 1)`` written out."""
        return f"{self.samples:,} trajectories x ({len(self.bounds)} + 1) = {self.size():,}"


Design = Annotated[
    GridDesign
    | ZipDesign
    | ScenarioDesign
    | RandomDesign
    | LatinHypercubeDesign
    | SobolDesign
    | MorrisDesign,
    Field(discriminator="kind"),
]
"""Any design, chosen by its ``kind``."""

DESIGN_KINDS: tuple[str, ...] = ("grid", "zip", "scenarios", "random", "lhs", "sobol", "morris")


class ExecutionConfig(Section):
    """How a sweep runs by default; command-line options override it."""

    executor: Literal["serial", "process", "dask"] = Field(
        default="process", description="serial, process (local processes) or dask."
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Worker processes (process, local dask); default: the usable cores.",
    )
    scheduler: str | None = Field(
        default=None, description="Dask scheduler address; a local cluster if omitted."
    )


class ExperimentSpec(Section):
    """A validated experiment spec (see the module docstring)."""

    name: str = Field(description="Short name, used for the default output directory.")
    description: str = Field(default="", description="What question the experiment answers.")
    config: str | None = Field(
        default=None,
        description="Base config file, relative to the spec file; the default world if omitted.",
    )
    base: dict[str, Any] = Field(
        default_factory=dict, description="Dotted config overrides shared by every run."
    )
    steps: int | None = Field(
        default=None, ge=0, le=100_000, description="Days per run; run.steps if omitted."
    )
    start_date: datetime.date | None = Field(
        default=None,
        description=(
            "Calendar date of every run's first day (sets run.start_date, YYYY-MM-DD): the "
            "steps table gains a 'date' column and the calendar's festivals and dated shocks "
            "act. Omitted: runs without dates, as before (it enters run ids and the spec hash "
            "only when set)."
        ),
    )
    replications: int = Field(default=1, ge=1, le=1_000_000, description="Runs per point.")
    seed: int = Field(ge=0, le=2**63 - 1, description="Root seed of every run's seed.")
    design: Design
    outputs: tuple[Literal["steps", "platforms", "tiers", "orders", "brands", "exports"], ...] = (
        Field(default=("steps",), description="Tables to keep; per-step metrics are always kept.")
    )
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    variant: str | None = Field(default=None, description="The variant applied, if any.")
    outcomes: list[str] | None = Field(
        default=None,
        min_length=1,
        description=(
            "The runs-table outcomes the experiment is about: what its report summarises and "
            "'socialsim compare' compares (checked against the runs table when planned)."
        ),
    )

    _name = field_validator("name")(check_name)

    @field_validator("start_date", mode="before")
    @classmethod
    def _a_date(cls, value: Any) -> Any:
        # pydantic would read a number as seconds since 1970
        if value is not None and not isinstance(value, (str, datetime.date)):
            raise ValueError("must be a date, YYYY-MM-DD")
        if isinstance(value, datetime.datetime):
            raise ValueError("must be a date, YYYY-MM-DD, without a time")
        return value

    @field_validator("outputs")
    @classmethod
    def _steps_always(cls, outputs: tuple[str, ...]) -> tuple[str, ...]:
        # per-step metrics are always kept; order and duplicates do not matter
        return tuple(t for t in OUTPUT_TABLES if t == "steps" or t in outputs)

    @model_validator(mode="after")
    def _bounded_size(self) -> ExperimentSpec:
        # from the design's parts: expanding a design of 10^8 points would hang first
        points = self.design.size()
        if points > MAX_DESIGN_POINTS:
            raise located(
                "design",
                f"has {self.design.size_text()} points, more than the {MAX_DESIGN_POINTS:,} a "
                "sweep may have; use fewer values or samples, or split the sweep",
            )
        runs = points * self.replications
        if runs > MAX_RUNS:
            raise located(
                "replications",
                f"{points:,} design points x {self.replications:,} replications = {runs:,} "
                f"runs, more than the {MAX_RUNS:,} a sweep may have; use fewer replications "
                "or points, or split the sweep",
            )
        return self

    @property
    def crn(self) -> bool:
        """Whether common random numbers are on (explicitly, or by default for scenarios)."""
        flag = self.design.common_random_numbers
        return self.design.kind == "scenarios" if flag is None else flag

    def spec_hash(self, base_config: ModelConfig) -> str:
        """Hash of everything that decides the runs: spec fields and the resolved base config.

        ``execution`` (how a sweep runs), ``description`` (prose) and
        ``outcomes`` (what the report shows) are left out: changing them does
        not change the results; so is ``start_date`` when it is not set.
        """
        exclude = {"execution", "config", "description", "outcomes"}
        if self.start_date is None:
            exclude.add("start_date")  # specs from before it existed keep their hash
        data = self.model_dump(mode="json", exclude=exclude)
        data["base_config"] = base_config.config_hash()
        return stable_hash(data)


def spec_from_dict(
    data: Mapping[str, Any], *, variant: str | None = None, source: str | None = None
) -> ExperimentSpec:
    """Validate a spec given as a nested mapping, applying `variant` first.

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
    ExperimentSpec

    Raises
    ------
    ConfigError
        Naming the key path of every problem.
    """
    return document_from_dict(data, ExperimentSpec, variant=variant, source=source)


def document_from_dict(
    data: Mapping[str, Any],
    kind: type[_Doc],
    *,
    variant: str | None = None,
    source: str | None = None,
) -> _Doc:
    """Validate a spec-like document (a sweep or a calibration spec) with its variants.

    Every variant is validated, so that a broken ``quick`` variant is found
    now, not when it is first used; `variant`, if given, is merged over the
    document (see the module docstring) and the result returned.

    Parameters
    ----------
    data : mapping
        The document.
    kind : type
        The pydantic model of the document (:class:`ExperimentSpec`,
        :class:`~socialsim.calibration.spec.CalibrationSpec`).
    variant : str, optional
        Name of an entry of ``variants`` to merge over the document.
    source : str, optional
        Where the document came from, shown before each error.

    Returns
    -------
    An instance of `kind`.

    Raises
    ------
    ConfigError
        Naming the key path of every problem.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            [Problem("", "a spec must be a mapping (name:, seed:, ...)", data)], source
        )
    data = dict(data)
    variants = data.pop("variants", None) or {}
    if not isinstance(variants, Mapping):
        raise ConfigError([Problem("variants", "must map variant names to partial specs")], source)
    problems: list[Problem] = []
    for name, partial in variants.items():
        if not isinstance(partial, Mapping):
            problems.append(Problem(f"variants.{name}", "must be a mapping", partial))
        elif "variants" in partial or "name" in partial:
            problems.append(Problem(f"variants.{name}", "may not set 'name' or 'variants'"))
    if problems:
        raise ConfigError(problems, source)
    if variant is not None and variant not in variants:
        known = ", ".join(map(str, variants)) or "none"
        raise ConfigError(
            [Problem("variants", f"no variant {variant!r} in this spec (it has: {known})")],
            source,
        )
    # The spec itself first: its own errors are reported at their own key paths, not under
    # the first variant that inherits them.
    spec = _validate(kind, data, source, None)
    for name in variants:
        if name != variant:
            _validate(
                kind,
                deep_merge(data, variants[name]) | {"variant": name},
                source,
                f"variants.{name}",
            )
    if variant is None:
        return spec
    return _validate(kind, deep_merge(data, variants[variant]) | {"variant": variant}, source, None)


def load_spec(path: str | Path, *, variant: str | None = None) -> ExperimentSpec:
    """Load and validate a YAML spec file; a relative ``config`` is relative to the file.

    Parameters
    ----------
    path : str or Path
        The spec file.
    variant : str, optional
        A variant to apply (``"quick"`` for the shipped experiments).

    Returns
    -------
    ExperimentSpec

    Raises
    ------
    ConfigError
        If the file cannot be read or the spec is invalid.
    """
    return load_document(path, ExperimentSpec, variant=variant)


def load_document(path: str | Path, kind: type[_Doc], *, variant: str | None = None) -> _Doc:
    """Load and validate a YAML spec-like document; see :func:`load_spec`.

    The document's ``config`` field, if relative, is made relative to the file.
    """
    path = Path(path)
    data = read_yaml(path)
    if data is None:
        raise ConfigError([Problem("", "file is empty; expected a spec mapping")], str(path))
    spec = document_from_dict(data, kind, variant=variant, source=str(path))
    config = getattr(spec, "config", None)
    if config is not None and not Path(config).is_absolute():
        spec = spec.model_copy(update={"config": str(path.parent / config)})
    return spec


class _HasBase(Protocol):
    config: str | None
    base: dict[str, Any]


def base_config(spec: _HasBase) -> ModelConfig:
    """Return the spec's base world: its config file (or the default) with ``base`` applied.

    A spec's ``start_date``, if it has one, is set first (as ``run.start_date``).

    Raises
    ------
    ConfigError
        Naming ``config`` or ``base.KEY`` for a bad file or override.
    """
    if spec.config is None:
        config = ModelConfig()
    else:
        try:
            config = load_config(spec.config)
        except ConfigError as exc:
            raise ConfigError(
                [Problem(f"config ({spec.config})", str(p)) for p in exc.problems]
            ) from None
    # a sweep's start date first, so that the base may date its shocks
    start_date = getattr(spec, "start_date", None)
    dated = {} if start_date is None else {"run.start_date": start_date.isoformat()}
    try:
        return apply_overrides(config, {**dated, **spec.base})
    except ConfigError as exc:
        raise ConfigError([_under("base", p, spec.base) for p in exc.problems]) from None


def _under(prefix: str, problem: Problem, overrides: Mapping[str, Any]) -> Problem:
    """Re-attribute a config problem to the spec key that caused it."""
    path = problem.path
    if path in overrides:
        return Problem(f"{prefix}.{path}", problem.rule, *_value(problem))
    return Problem(f"{prefix}: {path}" if path else prefix, problem.rule, *_value(problem))


def _value(problem: Problem) -> tuple[Any, ...]:
    return (problem.value,) if problem.has_value else ()


def _validate(
    kind: type[_Doc], data: Mapping[str, Any], source: str | None, prefix: str | None
) -> _Doc:
    try:
        return kind.model_validate(dict(data))
    except ValidationError as exc:
        problems = []
        for p in validation_problems(exc, kind):
            path = _strip_design_tag(p.path)
            if prefix:
                path = f"{prefix}: {path}"
            problems.append(Problem(path, p.rule, *_value(p)))
        raise ConfigError(problems, source) from None


_TAGGED = {"design": DESIGN_KINDS, "method": ("abc-smc", "optimize")}


def _strip_design_tag(path: str) -> str:
    # pydantic puts the discriminator's value in the location: design.grid.parameters
    parts = path.split(".")
    if len(parts) > 1 and parts[1] in _TAGGED.get(parts[0], ()):
        del parts[1]
    return ".".join(parts)
