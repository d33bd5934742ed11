"""Expanding a design into design points: the overrides each point applies to the base world.

``grid`` takes every combination of its value lists (the first key varies
slowest), ``zip`` takes the lists together, ``scenarios`` takes the named arms
(each crossed with an optional grid). ``random`` draws uniformly within the
bounds; ``lhs``, ``sobol`` and ``morris`` use SALib's samplers [1]_ [2]_ [3]_.
Sampled values of whole-number keys (``group_buying.size``) are rounded to the
nearest integer.

References
----------
.. [1] Herman, J. and Usher, W. (2017). SALib: An open-source Python library
   for sensitivity analysis. Journal of Open Source Software 2(9).
.. [2] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model
   output. Design and estimator for the total sensitivity index. Computer
   Physics Communications 181(2).
.. [3] Morris, M. D. (1991). Factorial sampling plans for preliminary
   computational experiments. Technometrics 33(2).
"""

from __future__ import annotations

import itertools
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialsim.config.loading import field_type
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.seeds import design_seed
from socialsim.experiment.spec import (
    GridDesign,
    LatinHypercubeDesign,
    MorrisDesign,
    RandomDesign,
    ScenarioDesign,
    SobolDesign,
    ZipDesign,
)

__all__ = ["DesignPoint", "design_size", "expand_design", "integer_key"]


@dataclass(frozen=True)
class DesignPoint:
    """One point of a design.

    Attributes
    ----------
    index : int
        Position in the design, from 0.
    overrides : dict
        Dotted config key -> value, applied over the base world.
    scenario : str or None
        The arm's name, for a scenarios design.
    """

    index: int
    overrides: dict[str, Any] = field(default_factory=dict)
    scenario: str | None = None


def design_size(design: Any) -> int:
    """Return the number of design points without expanding them.

    Examples
    --------
    >>> from socialsim.experiment.spec import SobolDesign
    >>> design_size(SobolDesign(kind="sobol", bounds={"a": (0, 1), "b": (0, 1)}, samples=8))
    32
    """
    return design.size()


def expand_design(design: Any, root_seed: int) -> list[DesignPoint]:
    """Expand a design into its points.

    Parameters
    ----------
    design : Design
        A validated design from an :class:`~socialsim.experiment.spec.ExperimentSpec`.
    root_seed : int
        The sweep's root seed; sampled designs draw from a stream of their own.

    Returns
    -------
    list of DesignPoint

    Raises
    ------
    ConfigError
        If a sampled key is not a number in the config (naming ``design.bounds.KEY``).

    Examples
    --------
    >>> from socialsim.experiment.spec import GridDesign
    >>> grid = GridDesign(kind="grid", parameters={"a": [1, 2], "b": ["x", "y", "z"]})
    >>> [p.overrides for p in expand_design(grid, 0)][:4]
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 1, 'b': 'z'}, {'a': 2, 'b': 'x'}]
    """
    if isinstance(design, GridDesign):
        return [DesignPoint(i, o) for i, o in enumerate(_grid(design.parameters))]
    if isinstance(design, ZipDesign):
        keys = list(design.parameters)
        rows = zip(*design.parameters.values(), strict=True)
        return [DesignPoint(i, dict(zip(keys, row, strict=True))) for i, row in enumerate(rows)]
    if isinstance(design, ScenarioDesign):
        points = []
        for arm, overrides in design.scenarios.items():
            for grid in _grid(design.parameters):
                points.append(DesignPoint(len(points), {**overrides, **grid}, scenario=arm))
        return points
    return _sampled(design, root_seed)


def _grid(parameters: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(parameters)
    return [dict(zip(keys, row, strict=True)) for row in itertools.product(*parameters.values())]


def _sampled(design: Any, root_seed: int) -> list[DesignPoint]:
    keys = list(design.bounds)
    integer = [integer_key(key) for key in keys]
    problem = {
        "num_vars": len(keys),
        "names": keys,
        "bounds": [list(design.bounds[k]) for k in keys],
    }
    seed = design_seed(root_seed)
    if isinstance(design, RandomDesign):
        rng = np.random.default_rng(seed)
        low, high = np.array(problem["bounds"], dtype=np.float64).T
        values = rng.uniform(low, high, size=(design.samples, len(keys)))
    elif isinstance(design, LatinHypercubeDesign):
        from SALib.sample import latin

        values = latin.sample(problem, design.samples, seed=seed)
    elif isinstance(design, SobolDesign):
        from SALib.sample import sobol

        values = sobol.sample(
            problem, design.samples, calc_second_order=design.second_order, seed=seed
        )
    elif isinstance(design, MorrisDesign):
        from SALib.sample import morris

        values = morris.sample(problem, design.samples, num_levels=design.levels, seed=seed)
    else:  # pragma: no cover - the spec's discriminator admits no other kind
        raise TypeError(f"unknown design {type(design).__name__}")
    points = []
    for i, row in enumerate(np.asarray(values, dtype=np.float64)):
        overrides = {
            key: (round(float(v)) if is_int else float(v))
            for key, v, is_int in zip(keys, row, integer, strict=True)
        }
        points.append(DesignPoint(i, overrides))
    return points


def integer_key(key: str) -> bool:
    """Return whether a sampled key takes whole numbers (floats: False).

    Raises
    ------
    ConfigError
        If `key` is not a config key, or does not take a number.

    Examples
    --------
    >>> integer_key("platforms.pinduoduo.group_buying.size")
    True
    """
    kind = field_type(key)
    if kind is None:
        raise ConfigError([Problem(f"design.bounds.{key}", "not a config key")])
    options = set(typing.get_args(kind)) if isinstance(kind, types.UnionType) else {kind}
    options.discard(type(None))
    if options == {int}:
        return True
    if options == {float}:
        return False
    raise ConfigError(
        [
            Problem(
                f"design.bounds.{key}",
                f"sampled designs vary numbers only; this key takes {_describe(kind)} "
                "(use a grid, zip or scenarios design)",
            )
        ]
    )


def _describe(kind: Any) -> str:
    return getattr(kind, "__name__", None) or str(kind).replace("typing.", "")
