"""Brands in a batched ensemble: each run's listings, prices, fakes, reputation and counts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.brands import Brands
from socialsim.mechanisms.returns import ReturnBook
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_brands import of_run_products, orders_of, to_union

SEEDS = (61, 62, 63)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # reviews every other day, many fakes, most found, quick reputations
    return ModelConfig.small().with_overrides(
        {
            "brands.review_days": 2,
            "brands.detection": 0.8,
            "brands.leave_after_counterfeit": 0.5,
            "brands.reputation_days": 3.0,
            "platforms.douyin.brands.counterfeit_rate": 0.3,
            "platforms.kaola.brands.direct_counterfeit_rate": 0.2,
            "platforms.pinduoduo.brands.counterfeit_rate": 0.2,
        }
    )


def test_brands_of_each_run_in_an_ensemble_are_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    runs = both.model.runs
    layout = runs.layout
    world = both.model.world
    n_platforms = len(world.platforms.names)
    solo_book = both.solo[0].pricing.book
    both.model.pricing = SimpleNamespace(
        book=SimpleNamespace(
            promo_depth=solo_book.promo_depth.copy(),
            brand_factor=np.ones(world.catalogue.n_products),
            max_cut=np.ones((n_platforms, world.catalogue.n_products)),
        )
    )
    both.model.assortment = SimpleNamespace(update=lambda sold: True)
    both.model.returns = SimpleNamespace(settled=ReturnBook().settle(-1))
    both.model.exports = SimpleNamespace(
        export_orders_by_brand=np.zeros(world.brands.n_brands, dtype=np.int64),
        export_gmv_by_brand=np.zeros(world.brands.n_brands),
    )
    batched = Brands(both.model)
    # group-buying discounts that differ from run to run (a run axis): each brand sees its run's
    discounts = []
    for k, model in enumerate(both.solo):
        model.group_buying.discount = model.group_buying.discount + 0.06 * k
        discounts.append(model.group_buying.discount)
    both.model.group_buying = SimpleNamespace(discount=np.stack(discounts))
    alone = [m.brand_rules for m in both.solo]
    rng = np.random.default_rng(8)
    seen = np.zeros((3, both.n_runs), dtype=np.int64)
    for step in range(1, 11):
        days, day = both.days(step, Brands.columns)
        for brands, solo_day in zip(alone, days, strict=True):
            brands.start_day(solo_day)
        batched.start_day(day)
        # run 0 ships in every batch, run 1 in the second only, run 2 in the first and last
        for batch in range(3):
            parts, prices = [], []
            for k, (model, brands) in enumerate(zip(both.solo, alone, strict=True)):
                ships = batch in ((0, 1, 2), (1,), (0, 2))[k]
                o, p = orders_of(model, rng, int(rng.integers(50, 200)) if ships else 0)
                if ships:
                    brands.shipped(days[k], o, p)
                parts.append(o)
                prices.append(p)
            union, price = to_union(both, parts, prices, rng)
            batched.shipped(day, union, price)
            shift = batched.logit_shift(union)
            run = runs.of_consumers(union.consumer)
            for k, brands in enumerate(alone):
                if len(parts[k]):
                    assert np.array_equal(batched.found_in(union)[run == k], brands.found)
                    assert np.array_equal(shift[run == k], brands.logit_shift(parts[k]))
        for brands, solo_day in zip(alone, days, strict=True):
            brands.end_day(solo_day)
        batched.end_day(day)
        seen += [
            day.count[c] for c in ("brand_withdrawals", "brand_price_changes", "counterfeits_found")
        ]
        for k, (model, brands) in enumerate(zip(both.solo, alone, strict=True)):
            mine = layout.brand.of_run(k)
            assert np.array_equal(batched.listed[:, mine], brands.listed), (step, k)
            for name in ("price_index", "units", "gmv_total", "orders_total"):
                got = getattr(batched, name)[mine]
                assert np.array_equal(got, getattr(brands, name)), (step, k, name)
            assert np.array_equal(batched.reputation[k], brands.reputation), (step, k)
            row, solo_row = batched._rows[-1], brands._rows[-1]
            for name in ("gmv", "orders", "commission", "counterfeits_found", "platforms_listed"):
                assert np.array_equal(row[name][mine], solo_row[name]), (step, k, name)
            book = both.model.pricing.book
            for name in ("brand_factor", "max_cut"):
                got = of_run_products(both, getattr(book, name), k)
                assert np.array_equal(got, getattr(model.pricing.book, name)), (step, k, name)
            assert np.array_equal(both.block(both.model.state.uses, k), model.state.uses)
            for name, value in days[k].count.items():
                assert day.count[name][k] == value, (step, k, name)
    # listings were withdrawn (more in runs of deeper group discounts), prices moved, fakes
    # were found, and the runs' reputations differ
    assert (seen[:, 1:] > 0).all() and seen[0, 2] > seen[0, 0], seen
    assert len(set(batched.reputation[:, 1].tolist())) == both.n_runs
