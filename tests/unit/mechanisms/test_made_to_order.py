"""C2M as production: batches, the production lag, Wright's law and the price that follows cost.

Most tests drive the component on a stand-in model (two platforms, three
products) with hand-built orders, so that every number is known; one runs a
tiny world end to end.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from socialsim import ConfigError, ModelConfig, SocialCommerceModel
from socialsim.config.platforms import C2MConfig, plain_platform
from socialsim.day import Day
from socialsim.enums import Channel, Source
from socialsim.mechanisms.made_to_order import (
    Batches,
    MadeToOrder,
    c2m_price_factor,
    unit_cost_index,
)
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.pricing import PriceBook

BASE = np.array([100.0, 50.0, 20.0])
MADE_TO_ORDER = np.array([True, False, True])
N_CONSUMERS = 10_000  # one order is one unit per 10,000 consumers


def stand_in(c2m: dict | None = None, other: dict | None = None) -> SimpleNamespace:
    """A model of two platforms ("a" runs C2M with `c2m`, "b" with `other`) and three products."""
    cfg = ModelConfig(
        platforms={
            "a": plain_platform(c2m={"enabled": True, **(c2m or {})}),
            "b": plain_platform(price_level=0.9, c2m=other or {"enabled": False}),
        }
    )
    names = ("a", "b")
    world = SimpleNamespace(
        platforms=SimpleNamespace(names=names),
        catalogue=SimpleNamespace(made_to_order=MADE_TO_ORDER),
        n_consumers=N_CONSUMERS,
    )
    prices = PriceBook(
        base_price=BASE,
        price_level=np.array([1.0, 0.9]),
        made_to_order=MADE_TO_ORDER,
        promo_rate=np.zeros(2),
        promo_depth=np.zeros(2),
        promo_days=np.ones(2, dtype=np.int32),
    )
    return SimpleNamespace(config=cfg, world=world, prices=prices)


def orders(platform, product, channel) -> Offers:
    """Orders of `product` on `platform` placed through `channel` (one or one per order)."""
    n = len(product)
    plain = Offers.build(
        np.arange(n, dtype=np.int32),
        0,
        np.asarray(product, dtype=np.int32),
        Source.SEARCH,
        0.0,
        np.asarray(platform, dtype=np.int8),
    )
    return replace(plain, channel=np.broadcast_to(np.asarray(channel, np.int8), (n,)).copy())


def day(step: int, component: MadeToOrder) -> Day:
    return Day.start(step, 6, component.columns)


def run_day(mto: MadeToOrder, step: int, *shipments: Offers) -> Day:
    """One day: orders ship, the day ends, tomorrow's prices are set."""
    today = day(step, mto)
    for shipped in shipments:
        mto.shipped(today, shipped, np.zeros(len(shipped), np.float32))
    mto.end_day(today)
    mto.model.prices.advance(step + 1, np.random.default_rng(0))
    return today


GROUP, LIVE, SOLO, STORE = Channel.GROUP, Channel.LIVESTREAM, Channel.SOLO, Channel.STORE


# ---------------------------------------------------------------- the pure rules


def test_a_batch_is_made_after_exactly_the_production_lag():
    line = Batches(2, 1, batch_days=np.array([1, 1]), lag=np.array([3, 1]))
    line.order(np.array([0, 0, 1]), np.array([0, 0, 0]))
    assert line.end_day(1) == (2, 0, 0)  # both platforms' batches close on day 1
    assert line.in_production() == 3
    assert line.end_day(2) == (0, 1, 1)  # platform 1: lag 1, made at the end of day 2
    assert line.made.tolist() == [[0], [1]]
    assert line.end_day(3) == (0, 0, 0)  # platform 0: not on day 3...
    assert line.end_day(4) == (0, 2, 1)  # ...but on day 1 + 3
    assert line.made.tolist() == [[2], [1]] and line.in_production() == 0


def test_batches_close_every_batch_days_and_hold_every_unit_ordered_since():
    line = Batches(1, 2, batch_days=np.array([3]), lag=np.array([2]))
    for step, (units_0, units_1) in enumerate([(2, 1), (1, 0), (4, 0)], start=1):
        line.order(np.zeros(units_0 + units_1, int), np.repeat([0, 1], [units_0, units_1]))
        started, _, _ = line.end_day(step)
        assert started == (2 if step == 3 else 0)
    # the batches closed on day 3 hold every unit of days 1-3: 7 and 1
    assert line.waiting.tolist() == [[0, 0]]
    assert line.pipeline.sum(axis=0).tolist() == [[7, 1]]
    line.end_day(4)
    assert line.end_day(5) == (0, 8, 2)
    assert line.made.tolist() == [[7, 1]]


def test_an_empty_batch_is_not_started():
    line = Batches(1, 3, batch_days=np.array([1]), lag=np.array([1]))
    line.order(np.array([0]), np.array([2]))
    assert line.end_day(1) == (1, 0, 0)
    assert line.end_day(2) == (0, 1, 1)


def test_batches_refuse_a_lag_or_batch_days_below_one():
    with pytest.raises(ValueError, match="must be >= 1"):
        Batches(1, 1, batch_days=np.array([1]), lag=np.array([0]))
    with pytest.raises(ValueError, match="one value per platform"):
        Batches(2, 1, batch_days=np.array([1]), lag=np.array([1, 1]))


def test_wrights_law_cuts_the_learning_cost_by_the_ratio_at_each_doubling():
    made = np.array([0.0, 10.0, 30.0, 70.0, 150.0])  # experience 10: 10 x 1, 2, 4, 8, 16
    index = unit_cost_index(made, 10.0, 0.8, 0.0)
    np.testing.assert_allclose(index, [1.0, 0.8, 0.64, 0.512, 0.4096])
    # materials do not learn: 40 % of the cost stays
    np.testing.assert_allclose(unit_cost_index(made, 10.0, 0.8, 0.4), 0.4 + 0.6 * index)


def test_the_unit_cost_falls_smoothly_as_units_made_grow_and_never_below_materials():
    made = np.linspace(0, 1e6, 2001)
    index = unit_cost_index(made, 20.0, 0.9, 0.6)
    assert index[0] == 1.0
    assert (np.diff(index) < 0).all()  # every unit made lowers it: no steps
    assert index.min() > 0.6
    assert unit_cost_index(made, 20.0, 1.0, 0.6).tolist() == [1.0] * made.size  # no learning


def test_the_price_is_cost_plus_markup_and_never_above_the_catalogue_price():
    index = np.array([1.0, 0.9, 0.5, 0.2])
    np.testing.assert_allclose(c2m_price_factor(index, 0.8, 0.25), index)
    # cost plus markup above the catalogue price: capped there until the cost falls
    np.testing.assert_allclose(c2m_price_factor(index, 1.0, 0.5), [1.0, 1.0, 0.75, 0.3])
    assert (c2m_price_factor(np.linspace(0, 1, 50), 3.0, 2.0) <= 1.0).all()


# ---------------------------------------------------------------- the component


def test_only_group_and_livestream_orders_of_made_to_order_products_join_a_batch():
    mto = MadeToOrder(stand_in({"batch_days": 1, "production_lag": 1}))
    today = day(1, mto)
    for shipped in (
        orders([0, 0], [0, 2], SOLO),  # search and solo orders: kept in stock
        orders([0], [0], STORE),
        orders([0, 0], [1, 1], GROUP),  # product 1 is not made to order
        orders([1, 1], [0, 2], LIVE),  # platform b runs no C2M
    ):
        mto.shipped(today, shipped, np.zeros(len(shipped), np.float32))
    assert today.count["c2m_units_ordered"] == 0 and mto.batches.waiting.sum() == 0
    mto.shipped(today, orders([0, 0, 0, 1], [0, 0, 2, 0], [GROUP, LIVE, GROUP, GROUP]), None)
    mto.shipped(today, orders([0], [2], SOLO), None)
    # the units in platform a's batches are its aggregated orders: two of 0, one of 2
    assert today.count["c2m_units_ordered"] == 3
    assert mto.batches.waiting.tolist() == [[2, 0, 1], [0, 0, 0]]
    mto.end_day(today)
    assert today.count["c2m_batches_started"] == 2
    assert today.count["c2m_units_in_production"] == 3


def test_the_price_falls_the_morning_after_a_batch_is_made_not_before():
    model = stand_in({"batch_days": 2, "production_lag": 3, "experience_units": 1.0})
    mto = MadeToOrder(model)
    run_day(mto, 1, orders([0, 0], [0, 0], GROUP))
    run_day(mto, 2)  # the batch closes: two units in production
    for step in (3, 4):
        run_day(mto, step)
        assert model.prices.price[0, 0] == pytest.approx(100.0), step
    made = run_day(mto, 5)  # made at the end of day 2 + 3; the price falls from day 6
    assert made.count["c2m_units_made"] == 2 and made.count["c2m_batches_finished"] == 1
    # 2 units per 10,000 consumers over 1 unit of experience: 1.585 doublings of 0.9 on 40 %
    expected = 1.0 - 0.4 * (1.0 - 3.0 ** np.log2(0.9))
    assert mto.cost_index[0, 0] == pytest.approx(expected)
    assert made.total["c2m_unit_cost_index"] == pytest.approx(expected)
    assert model.prices.price[0, 0] == pytest.approx(round(100.0 * expected, 2))
    # product 2 had no orders, product 1 is not made to order, platform b runs no C2M
    assert model.prices.price[0, 1:].tolist() == pytest.approx([50.0, 20.0])
    assert model.prices.price[1].tolist() == pytest.approx([90.0, 45.0, 18.0])


def test_more_aggregated_demand_lowers_cost_and_price_and_they_never_rise():
    model = stand_in({"batch_days": 1, "production_lag": 1})
    mto = MadeToOrder(model)
    prices, costs = [], []
    for step in range(1, 40):
        units = [0] * (step % 4)  # a varying trickle of group orders of product 0
        run_day(mto, step, orders(units, units, GROUP))
        prices.append(float(model.prices.price[0, 0]))
        costs.append(mto.cost_index[0, 0])
    assert costs[0] == 1.0  # day 1's units are made at the end of day 2
    assert (np.diff(costs) <= 0).all() and costs[-1] < costs[1] < 1.0
    assert (np.diff(prices) <= 0).all() and prices[-1] < 95.0
    assert max(prices) <= 100.0  # the catalogue price times the level, the cap

    # twice the demand gives a lower price than once
    doubled = stand_in({"batch_days": 1, "production_lag": 1})
    mto2 = MadeToOrder(doubled)
    for step in range(1, 40):
        units = [0] * (2 * (step % 4))
        run_day(mto2, step, orders(units, units, GROUP))
    assert doubled.prices.price[0, 0] < model.prices.price[0, 0]


def test_a_markup_below_the_start_prices_below_the_catalogue_from_the_first_morning():
    model = stand_in({"unit_cost": 0.8, "markup": 0.1})
    MadeToOrder(model)
    model.prices.advance(1, np.random.default_rng(0))
    assert model.prices.price[0].tolist() == pytest.approx([88.0, 50.0, 17.6])


def test_threshold_steps_still_work_with_mode_steps():
    model = stand_in({"mode": "steps", "thresholds": (10.0, 30.0), "discounts": (0.05, 0.1)})
    mto = MadeToOrder(model)
    assert mto.columns_for(model.config) == ()  # no batches: no batch columns
    run_day(mto, 1, orders([0] * 9 + [0] * 10, [0] * 9 + [2] * 10, GROUP))
    assert model.prices.price[0].tolist() == pytest.approx([100.0, 50.0, 19.0])
    run_day(mto, 2, orders([0] * 21, [0] * 21, LIVE), orders([0] * 50, [0] * 50, SOLO))
    assert model.prices.price[0, 0] == pytest.approx(90.0)  # 30 units: the second step


def test_columns_are_declared_only_where_a_platform_makes_to_order():
    assert MadeToOrder.columns_for(ModelConfig()) == MadeToOrder.columns
    names = {column.name for column in MadeToOrder.columns}
    assert {"c2m_batches_started", "c2m_units_in_production", "c2m_unit_cost_index"} <= names
    off = {name: plain_platform() for name in ("x", "y")}
    assert MadeToOrder.columns_for(ModelConfig(platforms=off)) == ()


def test_a_tiny_world_accounts_for_every_aggregated_unit():
    cfg = ModelConfig.small(n_consumers=300).with_overrides(
        {"platforms.pinduoduo.c2m.batch_days": 2, "platforms.pinduoduo.c2m.production_lag": 3}
    )
    model = SocialCommerceModel(cfg, rng=3)
    model.run(15)
    steps = model.step_metrics()
    last = steps.iloc[-1]
    # every unit ordered is waiting, in production or made
    assert steps["c2m_units_ordered"].sum() > 0
    assert steps["c2m_units_ordered"].sum() == (
        steps["c2m_units_made"].sum() + last["c2m_units_waiting"] + last["c2m_units_in_production"]
    )
    assert (steps["c2m_batches_started"][steps["step"] % 2 == 1] == 0).all()  # even days only
    assert steps["c2m_unit_cost_index"].max() <= 1.0
    assert steps["c2m_unit_cost_index"].iloc[-1] < 1.0
    # the factor is below 1 for some made-to-order products, and only for them
    mto = model.world.catalogue.made_to_order
    factor = model.prices.c2m[model.world.platforms.names.index("pinduoduo")]
    assert (factor[mto] <= 1.0).all() and (factor[mto] < 1.0).any()
    assert (factor[~mto] == 1.0).all()


# ---------------------------------------------------------------- the config


def test_config_errors_name_the_key_the_rule_and_the_value():
    cfg = ModelConfig()
    with pytest.raises(ConfigError) as raised:
        cfg.with_overrides({"platforms.pinduoduo.c2m.production_lag": 0})
    assert "platforms.pinduoduo.c2m.production_lag: input should be greater than or equal to 1" in (
        str(raised.value)
    )
    assert ", got 0" in str(raised.value)
    with pytest.raises(ConfigError, match=r"platforms\.douyin\.c2m\.cost_per_doubling: .* 1\.5"):
        cfg.with_overrides({"platforms.douyin.c2m.cost_per_doubling": 1.5})
    # thresholds do nothing when C2M makes to order: refused, with the way back
    with pytest.raises(ConfigError) as raised:
        cfg.with_overrides({"platforms.pinduoduo.c2m.thresholds": [10, 50]})
    text = str(raised.value)
    assert "platforms.pinduoduo.c2m.thresholds: applies only with mode: steps" in text
    assert "got (10.0, 50.0)" in text


def test_a_row_written_before_production_keeps_its_threshold_prices():
    row = {"enabled": True, "thresholds": [10.0, 50.0], "discounts": [0.1, 0.2]}
    assert C2MConfig(**row).mode == "steps"
    assert C2MConfig(enabled=True).mode == "production"
    # a whole old default config (every platform stepping prices) keeps its hash: the
    # default world's hash without C2M production (brands and exports as they are now)
    old = ModelConfig().with_overrides(
        {f"platforms.{name}.c2m.mode": "steps" for name in ModelConfig().platforms}
    )
    assert old.config_hash() == "7b469a6873120c8323e7d7f4b68edf8e2d8bdd6b577b0a7014b8822e46976edd"
