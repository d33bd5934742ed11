"""Daigou in a batched ensemble: each run's requests, offers, fees and budgets are its own."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.daigou import Daigou
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_stores import (
    assert_same_day,
    assert_same_offers,
    set_consumer_rows,
    union_offers,
    union_prices,
)

SEEDS = (31, 32, 33)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # more contact than the default, so that every run asks on most days
    return ModelConfig.small().with_overrides({"daigou": {"contact_rate": 0.3}})


def test_daigou_of_each_run_in_an_ensemble_is_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    assert all(m.world.daigou.n > 0 for m in both.solo)
    both.model.prices = union_prices(both)
    batched = Daigou(both.model)
    alone = [Daigou(m) for m in both.solo]
    set_consumer_rows(both, "budget_left", [m.state.budget_left for m in both.solo])
    rng = np.random.default_rng(0)  # the test's own: open needs, the price paid
    asked = np.zeros(len(SEEDS), dtype=np.int64)
    for step in range(1, 7):
        days, day = both.days(step, Daigou.columns)
        for m in both.solo:
            m.state.need[:] = rng.random(m.state.need.shape) < 0.3
        set_consumer_rows(both, "need", [m.state.need for m in both.solo])
        solo_offers = [d.offers(sd) for d, sd in zip(alone, days, strict=True)]
        offers = batched.offers(day)
        assert_same_offers(both, offers, solo_offers, refs="consumer")
        asked += [len(o) for o in solo_offers]
        # every other request is bought, at the platform's price plus the fee
        paid = []
        for m, d, sd, o in zip(both.solo, alone, days, solo_offers, strict=True):
            price = m.prices.price[o.platform, o.product] * (1 - o.discount)
            price[::2] *= 1.5
            paid.append(price)
            d.charge_fees(sd, o, price)
        to_platform = batched.charge_fees(
            day, union_offers(both, solo_offers, "consumer"), np.concatenate(paid)
        )
        assert to_platform.dtype == paid[0].dtype
        for k, m in enumerate(both.solo):
            assert np.array_equal(both.block(both.model.state.budget_left, k), m.state.budget_left)
        assert_same_day(days, day, ["daigou_fees"])
    assert (asked > 0).all() and len(set(asked.tolist())) > 1
