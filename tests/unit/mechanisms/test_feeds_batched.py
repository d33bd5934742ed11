"""Feeds in a batched ensemble: each run's feeds, popularity and counts are the run's alone."""

from __future__ import annotations

import numpy as np

from socialsim import ModelConfig
from socialsim.enums import Source
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.feeds import Feeds
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.word_of_mouth import FriendSignals
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_social import (
    assert_offers_match,
    by_product,
    union_by_product,
    union_consumers,
    union_needs,
    union_offers,
    union_products,
)
from tests.unit.mechanisms.test_search_batched import open_needs
from tests.unit.mechanisms.test_word_of_mouth_batched import buy_lately

SEEDS = (91, 92, 93)


def union_signals(both: Ensemble, signals: list[FriendSignals]) -> FriendSignals:
    """The runs' friend signals end to end, with the union's products and friends."""
    return FriendSignals(
        social_share=np.concatenate([s.social_share for s in signals]),
        social_count=np.concatenate([s.social_count for s in signals]),
        product=np.concatenate(
            [union_products(both, k, s.product) for k, s in enumerate(signals)]
        ).astype(np.int32),
        tie_weight=np.concatenate([s.tie_weight for s in signals]),
        friend=np.concatenate(
            [union_consumers(both, k, s.friend) for k, s in enumerate(signals)]
        ).astype(np.int32),
    )


def orders(model, rng: np.random.Generator) -> Offers:
    """A day's shipped orders: popular products sell more (some products sell a lot)."""
    catalogue = model.world.catalogue
    m = int(rng.integers(300, 600))
    product = (rng.pareto(1.5, m) * 7).astype(np.int64) % catalogue.n_products
    return Offers.build(
        rng.integers(0, model.world.n_consumers, m),
        catalogue.category[product],
        product,
        Source.SEARCH,
        0.0,
        rng.integers(0, 6, m),
    )


def test_feeds_of_each_run_in_an_ensemble_are_the_run_s_alone():
    config = ModelConfig.small()
    both = Ensemble(config, SEEDS)
    both.model.assortment = Assortment.of(
        both.model.config, both.model.world, both.model.runs.layout.product.run
    )
    both.model.assortment.update(union_by_product(both, [m.listed for m in both.solo]))
    both.model.listed = both.model.assortment.listed
    rng = np.random.default_rng(9)
    batched = Feeds(both.model)
    alone = [m.feeds for m in both.solo]
    for step in range(1, 6):
        buy_lately(both, step, rng)
        columns = (*Feeds.columns, *type(both.solo[0].needs).columns)
        days, day, needs = open_needs(both, step, columns)
        sold = []
        for model in both.solo:  # each run lists a different part of the catalogue
            keep = rng.random(model.listed.shape) < 0.9
            model.assortment.update(keep)
            sold.append(keep)
        both.model.assortment.update(union_by_product(both, sold))
        shown, signals, platforms, shipped = [], [], [], []
        for model, feeds, solo_day, need in zip(both.solo, alone, days, needs, strict=True):
            signal = model.word_of_mouth.signals(solo_day, need)
            platform = model.word_of_mouth.friend_platform(need, signal)
            shown.append(feeds.feed_offers(solo_day, need, signal, platform))
            signals.append(signal)
            platforms.append(platform)
            shipped.append(orders(model, rng))
            feeds.shipped(solo_day, shipped[-1], np.zeros(len(shipped[-1])))
            feeds.end_day(solo_day)
        union = union_needs(both, needs)
        out = batched.feed_offers(
            day, union, union_signals(both, signals), np.concatenate(platforms)
        )
        batched.shipped(day, union_offers(both, shipped), np.zeros(sum(map(len, shipped))))
        batched.end_day(day)
        for p in range(len(out)):
            assert_offers_match(both, out[p], [s[p] for s in shown], f"feed {p}")
        at = np.cumsum([0] + [n.size for n in needs])
        for k, feeds in enumerate(alone):
            assert np.array_equal(batched.carried[at[k] : at[k + 1]], feeds.carried)
            assert np.array_equal(by_product(both, batched.recent_sales, k), feeds.recent_sales)
            for name in ("exposures_feed_social", "exposures_feed_algorithmic"):
                assert day.count[name][k] == days[k].count[name], (step, k, name)
    algorithmic = [d.count["exposures_feed_algorithmic"] for d in days]
    assert min(algorithmic) > 0 and len(set(algorithmic)) > 1
    assert min(d.count["exposures_feed_social"] for d in days) > 0
