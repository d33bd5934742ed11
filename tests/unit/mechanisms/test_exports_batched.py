"""Exports in a batched ensemble: each run's overseas consumers, needs, orders and counts."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.exports import Exports
from tests.unit.mechanisms.batched import Ensemble

SEEDS = (71, 72, 73)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # exports are on in small worlds; more needs and a wider storefront, for more orders
    return ModelConfig.small().with_overrides(
        {"exports.need_share": 3.0, "exports.storefront_reach": 0.5}
    )


def purchases(both: Ensemble, rng: np.random.Generator, step: int) -> None:
    """Some home consumers of each run buy a product (who bought lately shows to their ties)."""
    layout, state = both.model.runs.layout, both.model.state
    for k, model in enumerate(both.solo):
        catalogue = model.world.catalogue
        buyer = rng.integers(0, model.world.n_consumers, 300)
        product = rng.integers(0, catalogue.n_products, 300)
        category = catalogue.category[product]
        model.state.last_purchase_step[buyer, category] = step
        model.state.last_product[buyer, category] = product
        home = layout.consumer.global_of(k, buyer)
        state.last_purchase_step[home, category] = step
        state.last_product[home, category] = layout.product.global_of(k, product)


def test_exports_of_each_run_in_an_ensemble_are_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    runs = both.model.runs
    layout = runs.layout
    # the copies of the runs' streams were taken after each model built its overseas
    # consumers (their step-0 streams open, part drawn): start them afresh, as a new run would
    both.model.streams.begin_day()
    batched = Exports(both.model)
    alone = [m.exports for m in both.solo]
    start = batched.overseas_start
    # each run's overseas consumers are those it builds alone, tied to its own home consumers
    for k, exports in enumerate(alone):
        mine = slice(int(start[k]), int(start[k + 1]))
        abroad, solo = batched.overseas, exports.overseas
        assert np.array_equal(abroad.income[mine], solo.income)
        assert np.array_equal(abroad.tie_total[mine], solo.tie_total)
        ties = slice(int(abroad.tie_indptr[mine.start]), int(abroad.tie_indptr[mine.stop]))
        assert np.array_equal(abroad.tie_home[ties] - runs.consumer_start[k], solo.tie_home)
    rng = np.random.default_rng(9)
    orders = np.zeros(both.n_runs, dtype=np.int64)
    for step in range(1, 9):
        purchases(both, rng, step)
        days, day = both.days(step, Exports.columns)
        for model, exports, solo_day in zip(both.solo, alone, days, strict=True):
            model.calendar.start_day(solo_day)
            exports.start_day(solo_day)
        batched.start_day(day)
        orders += day.count["export_orders"]
        for k, exports in enumerate(alone):
            mine = slice(int(start[k]), int(start[k + 1]))
            assert np.array_equal(batched.need[mine], exports.need), (step, k)
            brands = layout.brand.of_run(k)
            for name in ("export_orders_by_brand", "export_gmv_by_brand"):
                got = getattr(batched, name)[brands]
                assert np.array_equal(got, getattr(exports, name)), (step, k, name)
            for name, value in batched._rows[-1].items():
                assert np.array_equal(value[k], exports._rows[-1][name]), (step, k, name)
            assert day.count["export_orders"][k] == days[k].count["export_orders"], (step, k)
            assert day.total["export_gmv"][k] == days[k].total["export_gmv"], (step, k)
    # the runs differ, and their consumers bought through ties and the storefront
    assert orders.min() > 0 and len(set(orders.tolist())) == both.n_runs
    rows = batched._rows
    assert sum(r["orders_via_ties"].sum() for r in rows) > 0
    assert sum(r["orders_via_storefront"].sum() for r in rows) > 0
