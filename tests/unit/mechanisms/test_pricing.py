"""Platform prices: price level, promotions and the C2M factor on a hand-built catalogue.

How the C2M factor is set (batches, unit cost, threshold steps) is tested in
test_made_to_order.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from socialsim.mechanisms.pricing import PriceBook, c2m_discount


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


BASE = np.array([100.0, 50.0, 20.0])
MADE_TO_ORDER = np.array([True, False, True])


def book(
    *,
    base=BASE,
    level=(1.0, 0.9),
    made_to_order=MADE_TO_ORDER,
    rate=(0.0, 0.0),
    depth=(0.2, 0.3),
    days=(3, 2),
) -> PriceBook:
    n_platforms = len(level)

    def per_platform(x):
        return np.resize(np.asarray(x), n_platforms)

    return PriceBook(
        base_price=np.asarray(base, dtype=float),
        price_level=np.asarray(level, dtype=float),
        made_to_order=np.asarray(made_to_order),
        promo_rate=per_platform(rate).astype(float),
        promo_depth=per_platform(depth).astype(float),
        promo_days=per_platform(days),
    )


# ---------------------------------------------------------------- price level


def test_price_is_base_price_times_price_level_per_platform():
    prices = book(level=(1.0, 0.9, 1.25))
    assert prices.price.shape == (3, 3)
    assert prices.price.dtype == np.float32
    assert prices.price[0] == pytest.approx(BASE)
    assert prices.price[1] == pytest.approx(0.9 * BASE)
    assert prices.price[2] == pytest.approx(1.25 * BASE)


def test_prices_are_rounded_to_the_cent():
    prices = book(base=[33.333, 100.0, 1.0], level=(1.0, 0.3))
    assert prices.price[0, 0] == pytest.approx(33.33, abs=1e-5)
    assert prices.price[1, 0] == pytest.approx(10.0, abs=1e-5)  # 9.9999
    prices = book(base=[100.0, 2.0, 1.0], level=(1 / 3, 1.0))
    assert prices.price[0, 0] == pytest.approx(33.33, abs=1e-5)  # not 33.3333
    assert prices.price[0, 1] == pytest.approx(0.67, abs=1e-5)


def test_advance_without_promotions_or_volume_keeps_prices():
    prices = book()
    before = prices.price.copy()
    for step in range(5):
        assert prices.advance(step, rng(step)) == 0
    np.testing.assert_array_equal(prices.price, before)


# ---------------------------------------------------------------- promotions


def test_promotions_start_at_the_configured_rate():
    n = 20_000
    prices = book(
        base=np.full(n, 10.0),
        made_to_order=np.zeros(n, bool),
        rate=(0.15, 0.0),
        depth=(0.5, 0.5),
        days=(1, 1),
    )
    started = prices.advance(0, rng())
    assert started / n == pytest.approx(0.15, abs=0.01)
    # the count is the number of products now on promotion, all on platform 0
    assert started == np.isclose(prices.price[0], 5.0).sum()
    assert np.isclose(prices.price[1], 9.0).all()


def test_a_promotion_cuts_the_price_by_its_depth_for_its_days_and_then_ends():
    prices = book(rate=(1.0, 1.0), days=(3, 2))
    assert prices.advance(1, rng()) == 6  # every product on both platforms
    discounted = prices.price.copy()
    assert discounted[0] == pytest.approx(0.8 * BASE)
    assert discounted[1] == pytest.approx(0.9 * 0.7 * BASE)
    prices.promo_rate = np.array([0.0, 0.0])  # no new promotions from now on
    prices.advance(2, rng())
    # platform 1's two-day promotion ran on days 1 and 2; platform 0's runs until day 3
    assert prices.price[0] == pytest.approx(0.8 * BASE)
    assert prices.price[1] == pytest.approx(0.9 * 0.7 * BASE)
    prices.advance(3, rng())
    assert prices.price[0] == pytest.approx(0.8 * BASE)
    assert prices.price[1] == pytest.approx(0.9 * BASE)
    prices.advance(4, rng())
    assert prices.price[0] == pytest.approx(BASE)


def test_a_product_on_promotion_does_not_start_another_until_it_ends():
    prices = book(rate=(1.0, 0.0), days=(3, 2))
    assert prices.advance(0, rng()) == 3
    assert prices.advance(1, rng()) == 0
    assert prices.advance(2, rng()) == 0
    # the promotion of days 0-2 is over: all three start again on day 3
    assert prices.advance(3, rng()) == 3
    assert prices.price[0] == pytest.approx(0.8 * BASE)


def test_promotions_are_drawn_afresh_for_idle_products_only():
    n = 10_000
    prices = book(
        base=np.full(n, 10.0),
        made_to_order=np.zeros(n, bool),
        rate=(0.3, 0.0),
        depth=(0.5, 0.5),
        days=(5, 5),
    )
    first = prices.advance(0, rng(1))
    second = prices.advance(1, rng(2))
    # day 1: only the ~70 % not on promotion can start one
    assert first / n == pytest.approx(0.3, abs=0.015)
    assert second / (n - first) == pytest.approx(0.3, abs=0.015)
    assert np.isclose(prices.price[0], 5.0).sum() == first + second


# ---------------------------------------------------------------- C2M


def test_c2m_discount_steps_at_each_threshold():
    # still importable from pricing, where it lived before made_to_order
    volume = np.array([0.0, 9.99, 10.0, 29.0, 30.0, 1e6])
    out = c2m_discount(volume, np.array([10.0, 30.0]), np.array([0.05, 0.1]))
    assert out.tolist() == [0.0, 0.0, 0.05, 0.05, 0.1, 0.1]
    assert out.dtype == np.float64
    assert c2m_discount(volume, np.array([]), np.array([])).tolist() == [0.0] * 6


def test_the_c2m_factor_starts_at_one_and_applies_from_the_next_repricing():
    prices = book()
    assert prices.c2m.shape == (2, 3) and (prices.c2m == 1.0).all()
    prices.c2m[0, 0] = 0.9
    assert prices.price[0, 0] == pytest.approx(100.0)  # today's price stands
    prices.advance(1, rng())
    assert prices.price[:, 0] == pytest.approx([90.0, 90.0])  # platform 1: its level, 0.9


def test_promotion_c2m_and_a_festival_cut_multiply():
    prices = book(rate=(1.0, 0.0))
    prices.c2m[0, 0] = 0.95
    prices.event_cut = np.array([0.1, 0.0])
    prices.advance(0, rng())
    assert prices.price[0, 0] == pytest.approx(100.0 * 0.8 * 0.95 * 0.9)
    assert prices.price[1, 0] == pytest.approx(90.0)
