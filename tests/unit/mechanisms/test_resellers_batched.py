"""Micro-stores in a batched ensemble: each run's forest, offers, income and counts are its own."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.resellers import MicroStores, ResellerTree
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_stores import (
    assert_same_day,
    assert_same_offers,
    set_consumer_rows,
    union_offers,
    union_prices,
)

SEEDS = (41, 42, 43)
TREE = ("is_owner", "level", "joined_step", "income_selling", "income_recruiting")
PER_CONSUMER = ("owner_platform", "fee_paid", "refused", "activity")


def config(regulation: dict | None) -> ModelConfig:
    # yunji runs micro-stores in small configs; more promotion and recruiting, so every run
    # promotes, sells and recruits every day
    stores = {"promote_rate": 0.5, "recruit_rate": 0.9, "accept_base": 1.0}
    if regulation is not None:
        stores["regulation"] = regulation
    return ModelConfig.small().with_overrides(
        {f"platforms.yunji.micro_stores.{name}": value for name, value in stores.items()}
    )


def stand_in(both: Ensemble) -> None:
    """Give the stand-in the inputs micro-stores read: assortment, prices, state."""
    world, solo = both.model.world, both.solo
    cb = solo[0].assortment.cross_border
    both.model.assortment = Assortment(
        world.catalogue, cb, solo[0].assortment.import_share, both.model.runs.layout.product.run
    )
    listed = np.zeros_like(both.model.assortment.listed)
    layout = both.model.runs.layout
    for k, m in enumerate(solo):
        listed[:, layout.product.global_of(k, np.arange(m.world.catalogue.n_products))] = (
            m.assortment.listed
        )
    both.model.assortment.update(listed)
    both.model.prices = union_prices(both)
    for name in ("status", "uses"):
        set_consumer_rows(both, name, [getattr(m.state, name) for m in solo])


def assert_same_forest(both: Ensemble, batched: MicroStores, alone: list[MicroStores]) -> None:
    runs = both.model.runs
    for k, (m, stores) in enumerate(zip(both.solo, alone, strict=True)):
        start = runs.consumer_start[k]
        for name in TREE:
            assert np.array_equal(
                both.block(getattr(batched.tree, name), k), getattr(stores.tree, name)
            ), (k, name)
        for name in ("parent", "root"):
            union = both.block(getattr(batched.tree, name), k).astype(np.int64)
            local = np.where(union >= 0, union - start, -1)
            assert np.array_equal(local, getattr(stores.tree, name)), (k, name)
        for name in PER_CONSUMER:
            assert np.array_equal(both.block(getattr(batched, name), k), getattr(stores, name))
        assert np.array_equal(both.block(both.model.state.uses, k), m.state.uses)
        for name in ("fee", "referral", "levels"):
            assert np.array_equal(getattr(batched, name)[k], getattr(stores, name)), (k, name)


@pytest.mark.parametrize(
    "regulation",
    [
        None,
        {"step": 4, "action": "one_level", "only_if_flagged": False},
        # a regulator only where the run has a flagged tree (thresholds lowered so that some
        # runs have one and others not)
        {"step": 5, "action": "one_level", "only_if_flagged": True},
        {"step": 5, "action": "fine", "only_if_flagged": True},
    ],
)
def test_micro_stores_of_each_run_in_an_ensemble_are_the_run_s_alone(regulation, monkeypatch):
    if regulation is not None and regulation["only_if_flagged"]:
        original = ResellerTree.pyramid_trees
        monkeypatch.setattr(ResellerTree, "pyramid_trees", lambda self, **_: original(self, 2, 12))
    both = Ensemble(config(regulation), SEEDS)
    stand_in(both)
    batched = MicroStores(both.model)
    alone = [MicroStores(m) for m in both.solo]
    assert (batched.activity != 1).any()
    assert_same_forest(both, batched, alone)
    rng = np.random.default_rng(1)  # the test's own: open needs, which offers sell
    names = [c.name for c in MicroStores.columns]
    totals = np.zeros((len(SEEDS), len(names)))
    for step in range(1, 8):
        days, day = both.days(step, MicroStores.columns)
        for m in both.solo:
            m.state.need[:] = rng.random(m.state.need.shape) < 0.2
        set_consumer_rows(both, "need", [m.state.need for m in both.solo])
        solo_offers = [s.offers(d) for s, d in zip(alone, days, strict=True)]
        offers = batched.offers(day)
        assert_same_offers(both, offers, solo_offers, refs="consumer")
        # a third of the offers ship, in two batches, at the platform's price
        sold = [o.take(np.flatnonzero(rng.random(len(o)) < 0.3)) for o in solo_offers]
        for half in (0, 1):
            batch = [o.take(np.arange(half, len(o), 2)) for o in sold]
            price = [
                m.prices.price[o.platform, o.product] for m, o in zip(both.solo, batch, strict=True)
            ]
            for s, d, o, p in zip(alone, days, batch, price, strict=True):
                s.shipped(d, o, p)
            batched.shipped(day, union_offers(both, batch, "consumer"), np.concatenate(price))
        for s, d in zip(alone, days, strict=True):
            s.after_sale(d)
            s.end_day(d)
        batched.after_sale(day)
        batched.end_day(day)
        assert_same_forest(both, batched, alone)
        assert_same_day(days, day, names)
        totals += [[d.count.get(n, d.total.get(n)) for n in names] for d in days]
    by_name = dict(zip(names, totals.T, strict=True))
    # every run sold, paid commission and recruited; the runs differ
    for name in ("store_commissions", "store_recruits", "store_fees"):
        assert (by_name[name] > 0).all(), name
        assert len(set(by_name[name].tolist())) == len(SEEDS), name
    if regulation is not None:
        acted = by_name["regulations"]
        assert acted.max() == 1
        if regulation["only_if_flagged"]:  # some runs' regulators act, not all
            assert acted.min() == 0, acted
