"""Pricing in a batched ensemble: each run's promotions, prices and counts are the run's alone."""

from __future__ import annotations

import numpy as np

from socialsim import ModelConfig
from socialsim.mechanisms.pricing import Pricing
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_social import by_product

SEEDS = (31, 32, 33)


def test_prices_of_each_run_in_an_ensemble_are_the_run_s_alone():
    # promotions often enough that every run starts some every day
    config = ModelConfig.small().with_overrides(
        {f"platforms.{name}.promotions.rate": 0.05 for name in ModelConfig.small().platforms}
    )
    both = Ensemble(config, SEEDS)
    batched = Pricing(both.model)
    alone = [Pricing(m) for m in both.solo]
    for step in range(1, 7):
        days, day = both.days(step, Pricing.columns)
        for model, pricing, solo_day in zip(both.solo, alone, days, strict=True):
            model.calendar.start_day(solo_day)
            pricing.start_day(solo_day)
        batched.start_day(day)
        for k, pricing in enumerate(alone):
            for name in ("price", "promo_until"):
                ours = by_product(both, getattr(batched.book, name), k)
                assert np.array_equal(ours, getattr(pricing.book, name)), (step, k, name)
            assert day.count["promotions_started"][k] == days[k].count["promotions_started"]
    counts = [d.count["promotions_started"] for d in days]
    assert min(counts) > 0 and len(set(counts)) > 1  # the runs differ: a mix-up would show
