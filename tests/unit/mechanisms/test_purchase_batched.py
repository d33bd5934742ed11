"""Offers' keys and the choice of purchases in a batched ensemble: each run's are its own alone."""

from __future__ import annotations

import numpy as np

from socialsim.enums import Source
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.purchase import select_purchases
from socialsim.runs import Runs
from socialsim.streams import EnsembleStreams, KeyedDraws, RandomStreams
from socialsim.world.union import EntityRuns, RunLayout

CONSUMERS = (400, 300, 500)
CREATORS = (6, 4, 5)
SEEDS = (31, 32, 33)


def layout() -> RunLayout:
    def blocks(counts):
        counts = np.asarray(counts)
        run = np.repeat(np.arange(counts.size), counts)
        local = np.concatenate([np.arange(c) for c in counts])
        return EntityRuns.from_order(run, local, counts)

    empty = blocks([0, 0, 0])
    return RunLayout(
        consumer=blocks(CONSUMERS),
        city=empty,
        community=empty,
        creator=blocks(CREATORS),
        product=empty,
        brand=empty,
        store=empty,
        daigou=empty,
    )


def offers_of_run(k: int) -> Offers:
    """Offers of run k alone: repeats, daigou and store-owner refs, sponsored posts."""
    rng = np.random.default_rng(100 + k)
    n, m = CONSUMERS[k], 3_000
    consumer = np.sort(rng.integers(0, n, m))
    source = rng.choice([Source.SEARCH, Source.DAIGOU, Source.STORE_OWNER, Source.KOL], m)
    ref = np.where(source == Source.SEARCH, -1, rng.integers(0, n, m))
    ref = np.where(source == Source.KOL, rng.integers(-1, CREATORS[k], m), ref)
    return Offers.build(
        consumer,
        rng.integers(0, 4, m),
        rng.integers(0, 50, m),
        source,
        0.5,
        rng.integers(0, 3, m),
        ref=ref,
    )


def to_union(parts: list[Offers], runs: Runs, lay: RunLayout) -> Offers:
    mapped = []
    for k, o in enumerate(parts):
        ref = o.ref.copy()
        by_consumer = ((o.source == Source.DAIGOU) | (o.source == Source.STORE_OWNER)) & (ref >= 0)
        ref[by_consumer] += runs.consumer_start[k]
        by_creator = (o.source == Source.KOL) & (ref >= 0)
        ref[by_creator] = lay.creator.global_of(k, ref[by_creator])
        mapped.append(
            Offers.build(
                o.consumer + runs.consumer_start[k],
                o.category,
                o.product,
                o.source,
                o.trust,
                o.platform,
                ref=ref,
            )
        )
    return Offers.concat(mapped)


def test_offer_keys_and_purchases_of_each_run_are_the_run_s_alone():
    lay = layout()
    runs = Runs(CONSUMERS, lay)
    parts = [offers_of_run(k) for k in range(3)]
    union = to_union(parts, runs, lay)
    run = runs.of_consumers(union.consumer)
    key = union.identity(runs)
    ensemble = EnsembleStreams([RandomStreams(np.random.SeedSequence(s)) for s in SEEDS])
    draws = KeyedDraws(ensemble, "checkout/decide", 4, key, run=run)
    # prices of many magnitudes and budgets that bind: a running total's rounding shows
    rng = np.random.default_rng(7)
    price = (rng.random(len(union)) * np.logspace(-2, 4, len(union))).astype(np.float32)
    budget = rng.random(runs.consumer_start[-1]) * 3_000
    accepted = rng.random(len(union)) < 0.6
    chosen = select_purchases(
        union, accepted, price, budget, draws, draw_all=True, consumer_start=runs.consumer_start
    )
    chosen_run = run[chosen]
    for k, alone in enumerate(parts):
        rows = np.flatnonzero(run == k)
        assert np.array_equal(key[rows], alone.identity())
        solo = KeyedDraws(
            RandomStreams(np.random.SeedSequence(SEEDS[k])), "checkout/decide", 4, alone.identity()
        )
        mine = select_purchases(
            alone, accepted[rows], price[rows], budget[runs.rows(k)], solo, draw_all=True
        )
        assert np.array_equal(np.sort(chosen[chosen_run == k] - rows[0]), np.sort(mine))
        assert 0 < mine.size < accepted[rows].sum()  # some budgets bind
    # one running total over all runs would round differently for the later runs
    whole = select_purchases(union, accepted, price, budget, draws, draw_all=True)
    assert not np.array_equal(np.sort(whole), np.sort(chosen))
