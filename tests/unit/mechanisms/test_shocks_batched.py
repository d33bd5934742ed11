"""Shocks in a batched ensemble: each run's first-time shoppers and counts are the run's alone."""

from __future__ import annotations

import numpy as np

from socialsim import ModelConfig
from socialsim.enums import ShopperStatus
from socialsim.mechanisms.shocks import Shocks
from tests.unit.mechanisms.batched import Ensemble

SEEDS = (51, 52, 53)


def test_lockdown_of_each_run_in_an_ensemble_is_the_run_s_alone():
    config = ModelConfig.small().with_overrides(
        {"shocks": {"wuhan": {"kind": "lockdown", "start": 2, "days": 5, "first_time_rate": 0.05}}}
    )
    both = Ensemble(config, SEEDS)
    # some offline consumers use no platform yet, so that first-time shoppers pick one
    for model in both.solo:
        offline = np.flatnonzero(model.state.status == ShopperStatus.OFFLINE)
        model.state.write_uses(offline[::2], False)
    both.model.state.write_uses(slice(None), np.concatenate([m.state.uses for m in both.solo]))
    columns = Shocks.columns_for(config)
    batched = Shocks(both.model)
    alone = [Shocks(m) for m in both.solo]
    converted = []
    for step in range(1, 9):
        days, day = both.days(step, columns)
        for shocks, solo_day in zip(alone, days, strict=True):
            shocks.start_day(solo_day)
        batched.start_day(day)
        for k, (model, shocks) in enumerate(zip(both.solo, alone, strict=True)):
            assert np.array_equal(both.block(both.model.state.status, k), model.state.status)
            assert np.array_equal(both.block(both.model.state.uses, k), model.state.uses)
            for column in columns:
                assert day.count[column.name][k] == days[k].count[column.name], (step, column)
            assert batched.demand == shocks.demand and batched.locked == shocks.locked
        converted.append(tuple(d.count["first_time_online"] for d in days))
    # the runs converted different numbers (so a mix-up of streams or keys would show)
    assert min(converted[2]) > 0 and len(set(converted[2])) > 1
