"""Made to order in a batched ensemble: each run's batches, costs, prices and counts are its own."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.enums import Channel
from socialsim.mechanisms.made_to_order import MadeToOrder
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_brands import (
    of_run_products,
    orders_of,
    products_to_union,
    to_union,
)

SEEDS = (31, 32, 33)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # batches close every other day and are made the next; pinduoduo steps its prices
    return ModelConfig.small().with_overrides(
        {
            "platforms.douyin.c2m.batch_days": 2,
            "platforms.douyin.c2m.production_lag": 1,
            "platforms.douyin.c2m.experience_units": 2.0,
            "platforms.pinduoduo.c2m.mode": "steps",
            "platforms.pinduoduo.c2m.thresholds": [2.0, 8.0],
            "platforms.pinduoduo.c2m.discounts": [0.05, 0.1],
            "platforms.kaola.c2m.enabled": True,
            "platforms.kaola.c2m.batch_days": 3,
            "platforms.kaola.c2m.production_lag": 2,
        }
    )


def test_made_to_order_of_each_run_in_an_ensemble_is_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    n_platforms = len(both.model.world.platforms.names)
    both.model.prices = SimpleNamespace(
        c2m=np.ones((n_platforms, both.model.world.catalogue.n_products))
    )
    batched = MadeToOrder(both.model)
    alone = [m.made_to_order for m in both.solo]
    rng = np.random.default_rng(5)
    channels = (Channel.SOLO, Channel.GROUP, Channel.LIVESTREAM)
    columns = MadeToOrder.columns
    for step in range(1, 13):
        days, day = both.days(step, columns)
        for _ in range(2):  # two batches a day; run 2 ships nothing in the second
            parts, prices = [], []
            for k, (model, mto) in enumerate(zip(both.solo, alone, strict=True)):
                n = 0 if (k == 2 and _) else int(rng.integers(20, 120))
                o, p = orders_of(model, rng, n, channels)
                if len(o):
                    mto.shipped(days[k], o, p)
                parts.append(o)
                prices.append(p)
            union, price = to_union(both, parts, prices, rng)
            batched.shipped(day, union, price)
        for mto, solo_day in zip(alone, days, strict=True):
            mto.end_day(solo_day)
        batched.end_day(day)
        for k, (model, mto) in enumerate(zip(both.solo, alone, strict=True)):
            for name in ("waiting", "made", "pipeline"):
                got = of_run_products(both, getattr(batched.batches, name), k)
                assert np.array_equal(got, getattr(mto.batches, name)), (step, k, name)
            for name in ("ordered", "volume", "cost_index"):
                got = of_run_products(both, getattr(batched, name), k)
                assert np.array_equal(got, getattr(mto, name)), (step, k, name)
            assert np.array_equal(
                of_run_products(both, both.model.prices.c2m, k), model.prices.c2m
            ), (step, k)
            for name, value in days[k].count.items():
                assert day.count[name][k] == value, (step, k, name)
            for name, value in days[k].total.items():
                assert day.total[name][k] == value, (step, k, name)
    # the runs differ, and batches were made, costs fell and steps cut prices
    assert day.count["c2m_units_ordered"][0] != day.count["c2m_units_ordered"][1]
    assert (batched.batches.made > 0).any() and (batched.cost_index < 1).any()
    assert (both.model.prices.c2m < 1).any()
    assert np.array_equal(
        products_to_union(both, [m.prices.c2m for m in both.solo]), both.model.prices.c2m
    )
