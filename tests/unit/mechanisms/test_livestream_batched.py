"""Livestreams in a batched ensemble: each run's sessions, stock and followers are its own.

Three runs of the small config (livestreams on Douyin, Kuaishou and Taobao
Live) step the livestream hooks for several days, alone and as one stand-in
ensemble; the purchases and settlements a day brings are taken from the runs
alone and mapped into the union, run by run. Every run's sessions, offers,
served purchases, follows, trust, platform use, income and counters must be
the run's alone, bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.enums import Channel
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.audience import Audience
from socialsim.mechanisms.livestream import Livestreams, _identity
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.returns import Settlement
from tests.unit.mechanisms.batched import Ensemble

SEEDS = (41, 42, 43)
DAYS = 6


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    return ModelConfig.small()  # livestreams are on by default on three platforms


def _stand_in(both: Ensemble) -> None:
    """Give the stand-in the runs' audiences, assortments, needs and platform use."""
    model, layout = both.model, both.model.runs.layout
    model.audience = Audience.of(model.world.influencers)
    model.assortment = Assortment.of(model.config, model.world, model.runs.layout.product.run)
    listed = model.assortment.listed.copy()
    for k, solo in enumerate(both.solo):
        listed[:, layout.product.of_run(k)] = solo.assortment.listed
        rows = model.runs.rows(k)
        model.state.need[rows] = solo.state.need
        model.state.write_uses(rows, solo.state.uses)
    model.assortment.update(listed)


def _kol_entries(audience: Audience, kols: np.ndarray) -> slice:
    return slice(int(audience.indptr[kols[0]]), int(audience.indptr[kols[-1] + 1]))


def _check_audience(both: Ensemble, step: int) -> None:
    model, layout = both.model, both.model.runs.layout
    for k, solo in enumerate(both.solo):
        n_kols = solo.world.influencers.n_kols
        kols = layout.creator.of_run(k)[:n_kols]
        mine = _kol_entries(model.audience, kols)
        alone = slice(0, int(solo.audience.indptr[n_kols]))
        assert np.array_equal(model.audience.active[mine], solo.audience.active[alone]), (step, k)
        assert np.array_equal(model.audience.trust[mine], solo.audience.trust[alone]), (step, k)
        assert np.array_equal(both.block(model.state.uses, k), solo.state.uses), (step, k)
        assert np.array_equal(model.livestream_income[kols], solo.livestream.kol_income)


def _to_union(both: Ensemble, k: int, offers: Offers, first_session: int) -> Offers:
    """Run `k`'s livestream offers (or purchases) with the union's consumers, products, sessions."""
    runs = both.model.runs
    return dataclasses.replace(
        offers,
        consumer=(offers.consumer + runs.consumer_start[k]).astype(offers.consumer.dtype),
        product=runs.layout.product.global_of(k, offers.product).astype(offers.product.dtype),
        ref=(offers.ref + first_session).astype(offers.ref.dtype),
    )


def _same_offers(a: Offers, b: Offers) -> bool:
    return all(
        np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(Offers)
    )


def _bought(offers: Offers, step: int) -> np.ndarray:
    """Which offers are bought: a rule of each offer's own (local) consumer and the day."""
    return (offers.consumer.astype(np.int64) * 7 + step) % 3 != 0


def _returned(consumer: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Which orders come back: a rule of the (local) buyer and product."""
    return (consumer.astype(np.int64) + product) % 4 == 0


def _settlement(
    orders: Offers, paid: np.ndarray, streamer: np.ndarray, returned: np.ndarray
) -> Settlement:
    return Settlement(
        order=np.arange(len(orders), dtype=np.int64),
        buyer=orders.consumer,
        product=orders.product,
        price=paid,
        platform=orders.platform,
        channel=orders.channel,
        streamer=streamer,
        returned=returned,
    )


def test_livestreams_of_each_run_in_an_ensemble_are_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    _stand_in(both)
    model, runs, layout = both.model, both.model.runs, both.model.runs.layout
    batched = Livestreams(model)
    model.livestream_income = batched.kol_income
    for k, solo in enumerate(both.solo):
        assert batched.mean_follow_trust[k] == solo.livestream.mean_follow_trust
    _check_audience(both, 0)
    seen = {"stockouts": 0, "gained": 0, "lost": 0, "returned": 0}
    for step in range(1, DAYS + 1):
        days, day = both.days(step, Livestreams.columns)
        parts = {"offers": [], "purchases": [], "paid": [], "sessions": [], "settled": []}
        first = 0
        session_first = []
        for k, (solo, solo_day) in enumerate(zip(both.solo, days, strict=True)):
            live = solo.livestream
            session_first.append(first)
            offers = live.open(live.draw(step), solo_day)
            purchases = offers.take(_bought(offers, step))
            paid = 20.0 + (purchases.product % 13).astype(np.float64) * 7.5
            parts["offers"].append(_to_union(both, k, offers, first))
            parts["purchases"].append(_to_union(both, k, purchases, first))
            parts["paid"].append(paid)
            parts["sessions"].append(live.sessions)
            first += len(live.sessions)
        drawn = batched.draw(step)
        offers = batched.open(drawn, day)
        # today's sessions and offers: each run's, numbered as the run alone numbers them
        assert _same_offers(offers, Offers.concat(parts["offers"])), step
        session_run = layout.creator.run_of(batched.sessions.kol)
        for k, alone in enumerate(parts["sessions"]):
            mine = session_run == k
            assert np.array_equal(layout.creator.local_of(batched.sessions.kol[mine]), alone.kol)
            slots = np.repeat(mine, batched.sessions.n_products)
            local = layout.product.local_of(batched.sessions.product[slots])
            assert np.array_equal(local, alone.product), (step, k)
            assert np.array_equal(batched.sessions.stock[slots], alone.stock), (step, k)
            assert np.array_equal(batched.sessions.n_products[mine], alone.n_products)
        # purchases: served first come, first served within each run's sessions
        served_alone, paid_alone, streamers = [], [], []
        for k, (solo, solo_day) in enumerate(zip(both.solo, days, strict=True)):
            live = solo.livestream
            purchases = parts["purchases"][k]
            local = dataclasses.replace(
                purchases,
                consumer=(purchases.consumer - runs.consumer_start[k]).astype(np.int32),
                product=layout.product.local_of(purchases.product).astype(np.int32),
                ref=(purchases.ref - session_first[k]).astype(np.int32),
            )
            served, paid = live.serve_stock(solo_day, local, parts["paid"][k])
            streamer = live.shipped_orders(solo_day, served, served.channel == Channel.LIVESTREAM)
            returned = _returned(served.consumer, served.product)
            live.settled(solo_day, _settlement(served, paid, streamer, returned))
            seen["returned"] += int(returned.sum())
            served_alone.append(_to_union(both, k, served, session_first[k]))
            paid_alone.append(paid)
            streamers.append(
                np.where(streamer >= 0, layout.creator.global_of(k, np.maximum(streamer, 0)), -1)
            )
        purchases = Offers.concat(parts["purchases"])
        served, paid = batched.serve_stock(day, purchases, np.concatenate(parts["paid"]))
        assert np.array_equal(paid, np.concatenate(paid_alone)), step
        assert _same_offers(served, Offers.concat(served_alone)), step
        streamer = batched.shipped_orders(day, served, served.channel == Channel.LIVESTREAM)
        assert np.array_equal(streamer, np.concatenate(streamers).astype(np.int32)), step
        returned = _returned(
            runs.local_consumer(served.consumer, runs.of_consumers(served.consumer)),
            layout.product.local_of(served.product),
        )
        batched.settled(day, _settlement(served, paid, streamer, returned))
        for solo, solo_day in zip(both.solo, days, strict=True):
            solo.livestream.after_sale(solo_day)
            solo.livestream.end_day(solo_day)
        batched.after_sale(day)
        batched.end_day(day)
        _check_audience(both, step)
        for k, solo_day in enumerate(days):
            for name, value in solo_day.count.items():
                assert day.count[name][k] == value, (step, k, name)
            for name, value in solo_day.total.items():
                assert day.total[name][k] == value, (step, k, name)
            seen["stockouts"] += solo_day.count["livestream_stockouts"]
            seen["gained"] += solo_day.count["followers_gained"]
            seen["lost"] += solo_day.count["followers_lost"]
    # the hooks did their work (stock ran out, follows were won and lost, orders came back)
    # and the runs differ, so a mix-up of runs would show
    assert min(seen.values()) > 0, seen
    assert days[0].count["livestream_viewers"] != days[1].count["livestream_viewers"]


def test_offers_alike_in_two_runs_get_each_run_s_own_key():
    # the same local consumer, category, platform and session in runs 0 and 1 are not
    # repeats of each other: each keeps the key its run alone gives it (while a repeat
    # within one run is told apart, as Offers.identity does)
    alike = Offers.build(
        np.array([5, 5, 5]), 2, np.array([9, 9, 9]), 0, 0.5, 1, channel=Channel.LIVESTREAM
    )
    alike = dataclasses.replace(alike, ref=np.zeros(3, np.int32))
    key = _identity(alike, alike.consumer, alike.ref, np.array([0, 1, 1]))
    alone = alike.identity()
    assert key[0] == key[1] == alone[0]
    assert key[2] == alone[1] != alone[0]
