"""The campaign in a batched ensemble: each run's budget, posts, offers and counts are its own."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.audience import Audience
from socialsim.mechanisms.campaign import Campaign
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_stores import (
    assert_same_day,
    assert_same_offers,
    set_consumer_rows,
    union_offers,
    union_prices,
)

SEEDS = (51, 52, 53)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # a campaign (off by default) over the first five days, whose money runs short
    return ModelConfig.small().with_overrides(
        {"campaign.budget": 400.0, "campaign.start_step": 2, "campaign.days": 5}
    )


def stand_in(both: Ensemble) -> None:
    """Give the stand-in what the campaign reads: audience, listings, prices, purchases."""
    world, solo, layout = both.model.world, both.solo, both.model.runs.layout
    both.model.audience = Audience.of(world.influencers)
    first = solo[0].assortment
    both.model.assortment = Assortment(
        world.catalogue,
        first.cross_border,
        first.import_share,
        both.model.runs.layout.product.run,
    )
    listed = np.zeros_like(both.model.assortment.listed)
    for k, m in enumerate(solo):
        local = np.arange(m.world.catalogue.n_products)
        listed[:, layout.product.global_of(k, local)] = m.assortment.listed
    both.model.assortment.update(listed)
    both.model.listed = both.model.assortment.listed
    both.model.prices = union_prices(both)
    for m in solo:  # some consumers (KOCs among them) bought before, somewhere
        bought = np.random.default_rng(7).random(m.state.last_platform.shape) < 0.3
        m.state.last_platform[bought] = np.random.default_rng(8).integers(0, 6, bought.sum())
        m.state.last_purchase_step[bought] = 0
    for name in ("last_platform", "last_purchase_step"):
        set_consumer_rows(both, name, [getattr(m.state, name) for m in solo])


def assert_same_campaign(both: Ensemble, batched: Campaign, alone: list[Campaign]) -> None:
    layout = both.model.runs.layout
    for k, (m, campaign) in enumerate(zip(both.solo, alone, strict=True)):
        creators = layout.creator.global_of(k, np.arange(m.world.influencers.n))
        for name, values in campaign.tally.items():
            assert np.array_equal(batched.tally[name][creators], values), (k, name)
        assert np.array_equal(batched.budget.balance[k], campaign.budget.balance), k
        assert np.array_equal(batched.budget.spent[k], campaign.budget.spent), k
        assert np.array_equal(both.block(both.model.state.need, k), m.state.need), k


def test_campaign_of_each_run_in_an_ensemble_is_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    stand_in(both)
    batched = Campaign(both.model)
    alone = [Campaign(m) for m in both.solo]
    layout = both.model.runs.layout
    for k, campaign in enumerate(alone):
        assert batched.product[k] == layout.product.global_of(k, campaign.product)
        creators = layout.creator.global_of(k, np.arange(both.solo[k].world.influencers.n))
        assert np.array_equal(batched.creator_class[creators], campaign.creator_class)
    rng = np.random.default_rng(2)  # the test's own: open needs, which offers sell
    names = [c.name for c in Campaign.columns]
    totals = np.zeros((len(SEEDS), len(names)))
    for step in range(1, 9):
        days, day = both.days(step, Campaign.columns)
        for m in both.solo:
            m.state.need[:] = rng.random(m.state.need.shape) < 0.2
        set_consumer_rows(both, "need", [m.state.need for m in both.solo])
        solo_offers = [c.content(d) for c, d in zip(alone, days, strict=True)]
        offers = batched.content(day)
        assert_same_offers(both, offers, solo_offers, refs="creator")
        assert_same_campaign(both, batched, alone)
        # a fifth of the offers ship, in two batches, at the platform's price
        sold = [o.take(np.flatnonzero(rng.random(len(o)) < 0.2)) for o in solo_offers]
        for half in (0, 1):
            batch = [o.take(np.arange(half, len(o), 2)) for o in sold]
            price = [
                m.prices.price[o.platform, o.product] for m, o in zip(both.solo, batch, strict=True)
            ]
            for c, d, o, p in zip(alone, days, batch, price, strict=True):
                c.shipped(d, o, p)
            batched.shipped(day, union_offers(both, batch, "creator"), np.concatenate(price))
        assert_same_campaign(both, batched, alone)
        assert_same_day(days, day, names)
        totals += [[d.count.get(n, d.total.get(n)) for n in names] for d in days]
    by_name = dict(zip(names, totals.T, strict=True))
    # every run bought posts of every class and sold through them; the runs differ; the money
    # ran short (a class's money left unspent after the last day)
    assert (by_name["campaign_fees"] < config.campaign.budget).all()
    assert (batched.budget.balance.sum(axis=1) > 0).all()
    for name in (
        "campaign_posts",
        "campaign_orders",
        "campaign_gmv",
        "campaign_spend_head",
        "campaign_spend_mid",
        "campaign_spend_koc",
    ):
        assert (by_name[name] > 0).all(), name
        assert len(set(by_name[name].tolist())) > 1, name
