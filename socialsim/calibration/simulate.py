"""Simulating candidates: every simulation of a calibration goes through a sweep's run function.

A candidate (one set of free-parameter values) is simulated ``replications``
times, each from its own seed spawned from the spec's seed, on the sweep
executors (serial, process, Dask): the same
:func:`~socialsim.experiment.runner.run_one`, the same outcomes as a sweep's
runs table. Seeds depend only on (generation, candidate, replication), so the
results do not depend on the executor, the number of workers or the order in
which runs finish.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialsim.calibration.spec import CalibrationSpec, apply_value
from socialsim.config.loading import field_type, override_data
from socialsim.config.schema import ModelConfig
from socialsim.errors import SocialsimError
from socialsim.experiment.executors import Executor
from socialsim.experiment.runner import LOST, RunTask

__all__ = [
    "CalibrationRunError",
    "Simulations",
    "Simulator",
    "check_targets_defined",
    "proposal_seed",
    "simulation_seed",
]

# Spawn keys of a calibration start with this, apart from any sweep run's (length 1 or 2).
_SIMULATION_KEY = 0xCA1
_PROPOSAL_KEY = 0xCA2
_COMMON_KEY = 0xCA3
_MAX_LOST = 3


class CalibrationRunError(SocialsimError):
    """A simulation of a candidate raised: the calibration cannot go on without it."""


def simulation_seed(root: int, generation: int, candidate: int, replication: int) -> int:
    """Return the seed of one simulation (63 bits, like a sweep run's).

    ``generation`` is -1 for the sample from the prior that sets the first
    threshold. Optimisation (``candidate`` -1) uses common random numbers:
    every candidate's replication ``r`` gets the same seed.

    Examples
    --------
    >>> simulation_seed(7, 0, 3, 1) == simulation_seed(7, 0, 3, 1)
    True
    >>> simulation_seed(7, 0, 3, 1) != simulation_seed(7, 1, 3, 1)
    True
    """
    if candidate < 0:
        key: tuple[int, ...] = (_COMMON_KEY, replication)
    else:
        key = (_SIMULATION_KEY, generation + 1, candidate, replication)
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def proposal_seed(root: int, generation: int, candidate: int) -> np.ndarray:
    """Return the seed words of one candidate's proposal (what pyabc draws for it).

    Examples
    --------
    >>> proposal_seed(7, 0, 0).shape
    (8,)
    """
    key = (_PROPOSAL_KEY, generation + 1, candidate)
    return np.random.SeedSequence(root, spawn_key=key).generate_state(8)


@dataclass(frozen=True)
class Simulations:
    """The simulations of one candidate.

    Attributes
    ----------
    parameters : dict
        The candidate's values, by dotted key (a real number, or a choice).
    seeds : list of int
        One seed per replication.
    outcomes : list of dict
        The runs-table outcomes of each replication.
    """

    parameters: dict[str, Any]
    seeds: list[int]
    outcomes: list[dict[str, Any]]

    def rows(
        self, generation: int, candidate: int, *, accepted: bool, distance: float
    ) -> list[dict[str, Any]]:
        """Return one ``simulations/`` row per replication: ids, seed, verdict, values, outcomes."""
        return [
            {
                "generation": generation,
                "candidate": candidate,
                "replication": r,
                "seed": seed,
                "accepted": bool(accepted),
                "distance": float(distance),
                **self.parameters,
                **outcomes,
            }
            for r, (seed, outcomes) in enumerate(zip(self.seeds, self.outcomes, strict=True))
        ]

    def mean(self, outcome: str) -> float:
        """Mean of `outcome` over the replications that have it (nan if none has)."""
        values = [v for o in self.outcomes if (v := o.get(outcome)) is not None]
        values = [float(v) for v in values if math.isfinite(float(v))]
        return float(np.mean(values)) if values else math.nan


def check_targets_defined(spec: CalibrationSpec, simulated: Mapping[int, Simulations]) -> None:
    """Refuse to go on when a target is undefined in every simulation of a first sample.

    A ratio of 0 by 0 (``campaign_roi`` in a world without a campaign) makes
    every candidate infinitely far, and nothing could be learnt.

    Raises
    ------
    CalibrationRunError
        Naming the target and how many simulations left it undefined.
    """
    runs = sum(len(s.outcomes) for s in simulated.values())
    for i, target in enumerate(spec.targets):
        if all(math.isnan(s.mean(target.outcome)) for s in simulated.values()):
            raise CalibrationRunError(
                f"targets.{i}.outcome: {target.outcome!r} is undefined (0 by 0) in every one "
                f"of the {runs} simulations of the first sample, so no candidate can come "
                "near it; give the world what it measures (see the base), or drop the target"
            )


class Simulator:
    """Run candidates (sets of values of dotted config keys) on an executor.

    Parameters
    ----------
    spec : CalibrationSpec or any spec with ``replications`` and ``seed``
        Replications per candidate and the root seed.
    base : ModelConfig
        The checked base world (:func:`~socialsim.calibration.spec.check_against_world`).
    executor : Executor
        Where the simulations run.
    keys : list of str, optional
        The dotted keys a candidate sets (default: the spec's ``parameters``).
    """

    def __init__(
        self,
        spec: Any,
        base: ModelConfig,
        executor: Executor,
        keys: list[str] | None = None,
    ) -> None:
        self.spec = spec
        self.base = base
        self.executor = executor
        self.keys = list(spec.parameters) if keys is None else list(keys)
        self.replications = int(spec.replications)
        self.seed = int(spec.seed)
        self._data = base.model_dump()
        self._kinds = {key: field_type(key) for key in self.keys}
        self.simulations = 0

    def overrides(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """Return the config overrides of a candidate (real numbers rounded for integer keys)."""
        return {key: _as_config(self._kinds[key], parameters[key]) for key in self.keys}

    def config(self, parameters: Mapping[str, Any], seed: int | None = None) -> ModelConfig:
        """Return the world of a candidate, as :meth:`run` simulates it."""
        return self.base.with_overrides({**self.overrides(parameters), "run.seed": seed})

    def run(
        self, candidates: Mapping[int, Mapping[str, float]], generation: int, *, common: bool
    ) -> dict[int, Simulations]:
        """Simulate each candidate ``replications`` times and return its outcomes.

        Parameters
        ----------
        candidates : mapping
            Candidate number -> free-parameter values.
        generation : int
            The generation (-1: the sample from the prior), part of each seed.
        common : bool
            Common random numbers: replication ``r`` of every candidate gets the same seed.

        Raises
        ------
        CalibrationRunError
            If a simulation raised, naming the candidate's parameters and the error.
        """
        tasks: dict[str, RunTask] = {}
        for number, parameters in candidates.items():
            for replication in range(self.replications):
                seed = simulation_seed(self.seed, generation, -1 if common else number, replication)
                overrides = {**self.overrides(parameters), "run.seed": seed}
                run_id = f"g{generation}-c{number}-r{replication}"
                tasks[run_id] = RunTask(
                    run_id=run_id,
                    point=number,
                    replication=replication,
                    seed=seed,
                    config=override_data(self._data, overrides),
                    outputs=(),
                )
        outcomes = dict(self._outputs(tasks))
        self.simulations += len(tasks)
        out = {}
        for number, parameters in candidates.items():
            runs = [tasks[f"g{generation}-c{number}-r{r}"] for r in range(self.replications)]
            out[number] = Simulations(
                parameters={k: _plain(v) for k, v in parameters.items()},
                seeds=[t.seed for t in runs],
                outcomes=[outcomes[t.run_id] for t in runs],
            )
        return out

    def _outputs(self, tasks: dict[str, RunTask]) -> Iterator[tuple[str, dict[str, Any]]]:
        pending = list(tasks.values())
        for _ in range(_MAX_LOST):
            lost = []
            for output in self.executor.map_unordered(pending):
                if output.status == "ok":
                    yield output.run_id, output.outcomes
                elif output.status == LOST:
                    lost.append(tasks[output.run_id])
                else:
                    task = tasks[output.run_id]
                    values = ", ".join(f"{k}={v!r}" for k, v in self.overrides_of(task).items())
                    raise CalibrationRunError(
                        f"a simulation failed ({values}, seed {task.seed}): {output.error}\n"
                        f"{output.traceback or ''}"
                    )
            if not lost:
                return
            pending = lost
        raise CalibrationRunError(
            f"{len(pending)} simulation(s) were lost {_MAX_LOST} times by the "
            f"{self.executor.describe()} executor; run again with fewer --workers"
        )

    def overrides_of(self, task: RunTask) -> dict[str, Any]:
        """Return the free-parameter values a task was run with."""
        values = {}
        for key in self.keys:
            node: Any = task.config
            for part in key.split("."):
                node = node[part] if isinstance(node, Mapping) else node[int(part)]
            values[key] = node
        return values


def _as_config(kind: Any, value: Any) -> Any:
    # a choice (a string, a bool) goes in as it is; a number as the setting takes it
    if isinstance(value, bool | str) or value is None:
        return value
    return apply_value(kind, float(value))


def _plain(value: Any) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    return float(value)
