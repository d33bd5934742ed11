"""A stand-in for a batched ensemble of K runs, to check a mechanism against the runs alone.

``Ensemble.of(config, seeds)`` builds one ordinary model per seed and, beside
them, a stand-in model whose world is the union of their worlds
(:func:`socialsim.world.union.union_of_worlds`), whose state is the union's
initial state and whose streams are each run's own (copies of the models'
streams before any draw). A test runs a mechanism's hooks on each model and on
the stand-in, day by day, and compares each run's block with the run alone.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.day import Day
from socialsim.runs import Runs
from socialsim.state import ConsumerState
from socialsim.streams import EnsembleStreams
from socialsim.world.union import union_of_worlds


class Ensemble:
    """K ordinary models and the stand-in that holds the same K runs as one."""

    def __init__(self, config: ModelConfig, seeds: tuple[int, ...]) -> None:
        self.solo = [SocialCommerceModel(config, rng=seed, agents="lazy") for seed in seeds]
        world, layout = union_of_worlds([m.world for m in self.solo])
        self.model = SimpleNamespace(
            config=self.solo[0].config,
            world=world,
            state=ConsumerState.initial(world),
            runs=Runs([m.world.n_consumers for m in self.solo], layout),
            streams=EnsembleStreams([copy.deepcopy(m.streams) for m in self.solo]),
            calendar=self.solo[0].calendar,
            shocks=self.solo[0].shocks,
        )

    @property
    def n_runs(self) -> int:
        return len(self.solo)

    def days(self, step: int, columns) -> tuple[list[Day], Day]:
        """Open day `step` for each run alone and for the ensemble."""
        tiers = self.model.world.population.n_tiers
        alone = [Day.start(step, tiers, columns) for _ in self.solo]
        for model in self.solo:
            model.streams.begin_day()
        self.model.streams.begin_day()
        return alone, Day.start(step, tiers, columns, n_runs=self.n_runs)

    def block(self, array: np.ndarray, k: int) -> np.ndarray:
        """Run `k`'s rows of a per-consumer array of the ensemble."""
        return array[self.model.runs.rows(k)]
