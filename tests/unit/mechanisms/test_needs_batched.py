"""Needs in a batched ensemble: each run's needs, budgets and counts are those of the run alone."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.needs import Needs
from tests.unit.mechanisms.batched import Ensemble

SEEDS = (21, 22, 23)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # the high-net-worth segment (its draws) and staggered pay days are on by default
    return ModelConfig.small()


@pytest.mark.parametrize("rows_per_block", [None, 700])
def test_needs_of_each_run_in_an_ensemble_are_the_run_s_alone(config, rows_per_block, monkeypatch):
    if rows_per_block is not None:  # runs of several blocks each: drawn run by run
        monkeypatch.setattr("socialsim.mechanisms.needs._BLOCK_ROWS", rows_per_block)
    both = Ensemble(config, SEEDS)
    assert both.model.world.population.high_net_worth.any()
    batched = Needs(both.model)
    alone = [m.needs for m in both.solo]
    for step in range(1, 9):
        days, day = both.days(step, Needs.columns)
        for model, needs, solo_day in zip(both.solo, alone, days, strict=True):
            model.calendar.start_day(solo_day)
            model.shocks.start_day(solo_day)
            needs.start_day(solo_day)
            needs.open(solo_day)
        batched.start_day(day)
        opened = batched.open(day)
        for k, model in enumerate(both.solo):
            assert np.array_equal(both.block(both.model.state.need, k), model.state.need)
            assert np.array_equal(
                both.block(both.model.state.budget_left, k), model.state.budget_left
            )
            for name in ("needs_opened", "needs_lapsed", "open_needs"):
                assert day.count[name][k] == days[k].count[name], (step, k, name)
        assert np.array_equal(opened.run, both.model.runs.of_consumers(opened.consumer))
    # the runs differ (so a mix-up of streams would show) and needs did open and lapse
    assert days[0].count["open_needs"] != days[1].count["open_needs"]
    assert day.count["needs_lapsed"].min() > 0
