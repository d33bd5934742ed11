"""Shocks on small and hand-built worlds: lockdowns and regulators as data."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.config.shocks import ShockConfig
from socialsim.day import Day
from socialsim.enums import ShopperStatus
from socialsim.errors import ConfigError
from socialsim.mechanisms.shocks import Shocks, shock_steps
from socialsim.model import builtin_columns
from socialsim.runs import Runs
from socialsim.streams import RandomStreams

SMALL = {
    "population.n_consumers": 3_000,
    "influencers.n_kols": 10,
    "influencers.n_kocs": 60,
    "stores.n_owners": 30,
}
D = datetime.date
EXPORT_COLUMNS = ["export_orders", "export_gmv"]
LOCKDOWN_COLUMNS = [
    "lockdown",
    "first_time_online",
    "first_time_online_top_tiers",
    "first_time_online_lower_tiers",
]


def config(overrides: dict) -> ModelConfig:
    return ModelConfig().with_overrides({**SMALL, **overrides})


def run(overrides: dict, steps: int = 6, seed: int = 2) -> SocialCommerceModel:
    model = SocialCommerceModel(config(overrides), rng=seed)
    model.run(steps)
    return model


def lockdown(**fields) -> dict:
    return {"shocks.lock": {"kind": "lockdown", "start": 3, "days": 2, **fields}}


def regulator(**fields) -> dict:
    return {"shocks.rule": {"kind": "regulator", "start": 3, **fields}}


# --------------------------------------------------------------------------- the config


def test_no_shocks_no_columns_and_the_hash_is_unchanged_with_shocks_it_counts():
    plain = ModelConfig()
    assert "shocks" in plain.to_dict() and plain.shocks == {}
    assert Shocks.columns_for(plain) == ()
    assert builtin_columns(plain) == builtin_columns(plain.with_overrides({}))
    locked = plain.with_overrides(lockdown())
    assert [c.name for c in Shocks.columns_for(locked)] == LOCKDOWN_COLUMNS
    assert locked.config_hash() != plain.config_hash()
    assert locked.with_overrides({"shocks.lock": None}).config_hash() == plain.config_hash()
    louder = locked.with_overrides({"shocks.lock.demand": 1.5})
    assert louder.config_hash() != locked.config_hash()
    # a regulator alone records in the stores' columns: no columns of its own
    fined = plain.with_overrides(regulator(platform="pinduoduo", fine=1e6))
    assert Shocks.columns_for(fined) == ()


def test_a_shock_s_steps_from_a_date_or_a_step():
    dated = ShockConfig(kind="lockdown", start=D(2020, 1, 23), days=76)
    assert shock_steps(dated, D(2020, 1, 1)) == (23, 99)
    assert shock_steps(dated, D(2020, 2, 1)) == (-8, 68)  # began before the run
    assert shock_steps(ShockConfig(kind="lockdown", start=4), None) == (4, None)
    with pytest.raises(ValueError, match=r"run\.start_date"):
        shock_steps(dated, None)


def test_a_date_without_a_start_date_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"shocks\.lock\.start: a date needs run\.start_date"):
        config(lockdown(start="2020-01-23"))
    dated = config({"run.start_date": "2020-01-20", **lockdown(start="2020-01-23")})
    assert dated.shocks["lock"].start == D(2020, 1, 23)


@pytest.mark.parametrize(
    ("row", "path", "rule"),
    [
        ({"kind": "curfew", "start": 3}, "kind", "'lockdown' or 'regulator'"),
        ({"kind": "lockdown", "start": 0}, "start", "a step number"),
        ({"kind": "lockdown", "start": "2020-13-01"}, "start", r"a date \(YYYY-MM-DD\)"),
        ({"kind": "lockdown", "start": True}, "start", "a date"),
        ({"kind": "lockdown", "start": 3, "days": 0}, "days", "greater than or equal to 1"),
        ({"kind": "lockdown", "start": 3, "fine": 5.0}, "fine", "applies to regulators only"),
        (
            {"kind": "lockdown", "start": 3, "first_time_rate": 0.6},
            "lower_tier_ratio",
            "must be <= 1",
        ),
        (
            {"kind": "lockdown", "start": 3, "lower_tiers_from": 7},
            "lower_tiers_from",
            "a tier after the first",
        ),
        ({"kind": "regulator", "start": 3, "fine": 1.0}, "platform", "must name the platform"),
        (
            {"kind": "regulator", "start": 3, "platform": "pinduoduo", "rule": "price_cap"},
            "rule",
            "'promotion_depth_cap', 'group_discount_cap' or 'one_level'",
        ),
        ({"kind": "regulator", "start": 3, "platform": "pinduoduo"}, "rule", "got neither"),
        (
            {"kind": "regulator", "start": 3, "platform": "pinduoduo", "demand": 2.0},
            "demand",
            "applies to lockdowns only",
        ),
        (
            {"kind": "regulator", "start": 3, "platform": "pdd", "fine": 1.0},
            "platform",
            "must be a platform of the world",
        ),
        (
            {"kind": "regulator", "start": 3, "platform": "pinduoduo", "rule": "one_level"},
            "rule",
            "runs micro-stores",
        ),
        (
            {"kind": "regulator", "start": 3, "platform": "douyin"}
            | {"rule": "group_discount_cap", "cap": 0.1},
            "rule",
            "runs group-buying",
        ),
        (
            {"kind": "regulator", "start": 3, "platform": "kaola", "rule": "promotion_depth_cap"},
            "cap",
            "needs a cap",
        ),
        (
            {"kind": "regulator", "start": 3, "platform": "kaola", "fine": 1.0, "cap": 0.1},
            "cap",
            "take a cap",
        ),
    ],
)
def test_a_bad_shock_is_refused_naming_its_key_the_rule_and_the_value(row, path, rule):
    with pytest.raises(ConfigError, match=rf"shocks\.s\.{path}: .*{rule}"):
        ModelConfig().with_overrides({"shocks.s": row})


def test_a_regulator_s_date_must_not_be_before_the_run_and_names_are_identifiers():
    with pytest.raises(ConfigError, match=r"shocks\.s\.start: a regulator's date"):
        ModelConfig().with_overrides(
            {
                "run.start_date": "2020-02-01",
                "shocks.s": {"kind": "regulator", "start": "2020-01-31", "platform": "kaola"}
                | {"fine": 1.0},
            }
        )
    with pytest.raises(ConfigError, match=r"shocks\.Wuhan: .*lower-case identifiers"):
        ModelConfig().with_overrides({"shocks.Wuhan": {"kind": "lockdown", "start": 1}})


# --------------------------------------------------------------------------- lockdown


def hand_built(n_top: int, n_lower: int, overrides: dict, uses: bool = True) -> SimpleNamespace:
    """A stand-in model: every consumer offline, tier 1 or 2 (top) and 3 to 6 (lower)."""
    cfg = ModelConfig().with_overrides(overrides)
    tier = np.concatenate([np.arange(n_top) % 2 + 1, np.arange(n_lower) % 4 + 3]).astype(np.int8)
    n, names = tier.size, tuple(cfg.platforms)
    table = np.full((n, len(names)), uses, dtype=bool)

    def set_uses(consumer: np.ndarray, platform: np.ndarray, value: bool = True) -> None:
        table[consumer, platform] = value

    return SimpleNamespace(
        config=cfg,
        world=SimpleNamespace(
            platforms=SimpleNamespace(names=names),
            population=SimpleNamespace(tier=tier, n_tiers=6, n=n),
        ),
        state=SimpleNamespace(
            status=np.full(n, ShopperStatus.OFFLINE, dtype=np.int8),
            uses=table,
            set_uses=set_uses,
        ),
        streams=RandomStreams(np.random.SeedSequence(7)),
        runs=Runs.single(n),
    )


def convert(model: SimpleNamespace, steps: range) -> list[dict[str, int]]:
    shocks = Shocks(model)
    days = []
    for step in steps:
        model.streams.begin_day()
        day = Day.start(step, 6, Shocks.columns_for(model.config))
        shocks.start_day(day)
        days.append(day.count)
    return days


def test_a_lockdown_converts_lower_tiers_at_twice_the_top_tiers_rate_per_capita():
    # fewer offline consumers in the top tiers than in the lower: the ratio is per capita
    n_top, n_lower, rate = 60_000, 140_000, 0.05
    model = hand_built(n_top, n_lower, lockdown(start=1, days=1, first_time_rate=rate))
    (day,) = convert(model, range(1, 2))
    top, lower = day["first_time_online_top_tiers"], day["first_time_online_lower_tiers"]
    assert day["first_time_online"] == top + lower == int((model.state.status == 1).sum())
    p_top, p_lower = top / n_top, lower / n_lower
    ratio = p_lower / p_top
    # delta method on two independent binomial proportions
    se = ratio * np.sqrt((1 - p_top) / (p_top * n_top) + (1 - p_lower) / (p_lower * n_lower))
    assert abs(ratio - 2.0) < 4 * se, (ratio, se)
    assert 4 * se < 0.25  # tight enough that a ratio of 1.75 or 2.25 would fail
    assert abs(p_top - rate) < 4 * np.sqrt(rate * (1 - rate) / n_top)
    # in head counts the lower tiers bring more than twice as many
    assert lower > 2 * top


def test_the_ratio_and_the_tier_split_are_parameters():
    model = hand_built(
        40_000,
        40_000,
        lockdown(start=1, days=1, first_time_rate=0.04, lower_tier_ratio=1.0, lower_tiers_from=5),
    )
    (day,) = convert(model, range(1, 2))
    # tiers 1-4 are now 'top': 60,000 of them; tiers 5-6 'lower': 20,000; one rate for all
    top, lower = day["first_time_online_top_tiers"], day["first_time_online_lower_tiers"]
    assert abs(top / 60_000 - 0.04) < 4 * np.sqrt(0.04 * 0.96 / 60_000)
    assert abs(lower / 20_000 - 0.04) < 4 * np.sqrt(0.04 * 0.96 / 20_000)


def test_a_lockdown_acts_only_while_it_lasts_and_first_timers_get_a_platform():
    model = hand_built(2_000, 2_000, lockdown(start=3, days=2, first_time_rate=0.2), uses=False)
    days = convert(model, range(1, 7))
    assert [d["lockdown"] for d in days] == [0, 0, 1, 1, 0, 0]
    converted = [d["first_time_online"] for d in days]
    assert converted[0] == converted[1] == converted[4] == converted[5] == 0
    assert converted[2] > 0 and converted[3] > 0
    online = model.state.status == ShopperStatus.ONLINE
    assert online.sum() == sum(converted)
    # each first-time shopper uses exactly one platform (they used none), the rest none
    assert (model.state.uses[online].sum(axis=1) == 1).all()
    assert not model.state.uses[~online].any()


def test_a_consumer_s_conversion_is_keyed_by_consumer_and_day():
    # the same consumers convert whatever else the world holds (common random numbers)
    a = hand_built(1_000, 1_000, lockdown(start=1, days=1, first_time_rate=0.3))
    b = hand_built(1_000, 1_000, lockdown(start=1, days=1, first_time_rate=0.3))
    b.state.status[::3] = ShopperStatus.CUSTOMER  # fewer offline consumers
    convert(a, range(1, 2))
    convert(b, range(1, 2))
    offline_in_b = np.arange(2_000) % 3 != 0
    assert np.array_equal(
        a.state.status[offline_in_b] == ShopperStatus.ONLINE,
        b.state.status[offline_in_b] == ShopperStatus.ONLINE,
    )


def test_in_a_run_a_lockdown_raises_demand_online_during_it_and_nothing_before():
    plain = run({}, steps=7).step_metrics()
    locked = run(lockdown(demand=3.0, first_time_rate=0.05), steps=7).step_metrics()
    # common random numbers: the days before the lockdown are the same, bit for bit
    pd.testing.assert_frame_equal(
        plain.iloc[:2], locked.iloc[:2].drop(columns=LOCKDOWN_COLUMNS), check_exact=True
    )
    assert locked["lockdown"].tolist() == [0, 0, 1, 1, 0, 0, 0]
    first = locked["first_time_online"].tolist()
    assert first[2] > 0 and first[3] > 0 and first[:2] == [0, 0] and first[4:] == [0, 0, 0]
    ratio = locked["needs_opened"] / plain["needs_opened"]
    assert (ratio.iloc[2:4] > 2.5).all()
    assert (locked["orders"].iloc[2:4] > plain["orders"].iloc[2:4]).all()
    # after it, needs arise at the ordinary rate again
    assert ((ratio.iloc[5:] > 0.8) & (ratio.iloc[5:] < 1.2)).all(), ratio.tolist()


def test_a_lockdown_s_demand_multiplies_the_calendar_s():
    dated = {"run.start_date": "2021-03-01"}
    dated |= {f"calendar.festivals.{name}": None for name in ModelConfig().calendar.festivals}
    fair = {"calendar.festivals.fair": {"on": "03-03", "demand": 2.0}}
    both = run({**dated, **fair, **lockdown(start=3, days=1, demand=1.5, first_time_rate=0.0)})
    single = run({**dated, "calendar.festivals.fair": {"on": "03-03", "demand": 3.0}})
    both_steps = both.step_metrics()
    assert both_steps["lockdown"].tolist() == [0, 0, 1, 0, 0, 0]
    # 2 x 1.5 is 3: the same rates, the same draws, the same days
    pd.testing.assert_frame_equal(
        # a lockdown at home leaves demand abroad alone: the exports differ
        both_steps.drop(columns=[*LOCKDOWN_COLUMNS, *EXPORT_COLUMNS, "demand_multiplier"]),
        single.step_metrics().drop(columns=[*EXPORT_COLUMNS, "demand_multiplier"]),
        check_exact=True,
    )


# --------------------------------------------------------------------------- regulator


def test_a_regulator_s_fine_lands_on_its_day():
    plain = run({}, steps=5).step_metrics()
    fined = run(regulator(platform="pinduoduo", fine=2.5e6), steps=5).step_metrics()
    assert (fined["regulation_fines"] - plain["regulation_fines"]).tolist() == [0, 0, 2.5e6, 0, 0]
    assert (fined["regulations"] - plain["regulations"]).tolist() == [0, 0, 1, 0, 0]
    # a fine alone changes nothing else
    pd.testing.assert_frame_equal(
        plain.drop(columns=["regulation_fines", "regulations"]),
        fined.drop(columns=["regulation_fines", "regulations"]),
        check_exact=True,
    )


def test_a_promotion_depth_cap_holds_from_its_day_for_its_days():
    p = list(config({}).platforms).index("pinduoduo")
    plain = SocialCommerceModel(config({}), rng=2)
    capped = SocialCommerceModel(
        config(regulator(platform="pinduoduo", rule="promotion_depth_cap", cap=0.05, days=2)),
        rng=2,
    )
    depths = []
    for step in range(1, 6):
        plain.step()
        capped.step()
        depths.append(float(capped.pricing.book.promo_depth[p]))
        book = plain.pricing.book
        on_promo = book.promo_until[p] >= step
        if step < 3:
            assert np.array_equal(capped.prices.price, plain.prices.price)
        if step == 3:  # the regulator's day: the same promotions, at most 5 % off
            assert on_promo.any()
            assert np.array_equal(capped.pricing.book.promo_until, book.promo_until)
            ratio = capped.prices.price[p] / plain.prices.price[p]
            tolerance = 0.01 / plain.prices.price[p]
            # products whose brand refused the 20 % promotion (premium, up to 15 %) take 5 %
            took = plain.pricing.book.max_cut[p] >= 0.2
            expected = np.where(took, 0.95 / 0.8, 0.95)[on_promo]
            assert np.allclose(ratio[on_promo], expected, atol=tolerance[on_promo].max())
            assert np.allclose(ratio[~on_promo], 1.0, atol=tolerance[~on_promo].max())
            assert np.array_equal(
                np.delete(capped.prices.price, p, axis=0), np.delete(plain.prices.price, p, axis=0)
            )
    assert depths == [0.2, 0.2, 0.05, 0.05, 0.2]


def test_a_group_discount_cap_caps_the_group_price_and_its_ladder_from_its_day():
    cfg = config(regulator(platform="pinduoduo", rule="group_discount_cap", cap=0.1))
    p = list(cfg.platforms).index("pinduoduo")
    model = SocialCommerceModel(cfg, rng=2)
    before = model.group_buying.discount.copy()
    ladder = [d.copy() for d in model.group_buying.ladder_discounts]
    model.run(2)
    assert np.array_equal(model.group_buying.discount, before) and before[p] > 0.1
    model.step()
    after = model.group_buying.discount
    assert after[p] == 0.1 and np.array_equal(np.delete(after, p), np.delete(before, p))
    assert (model.group_buying.ladder_discounts[p] <= 0.1).all()
    assert np.array_equal(model.group_buying.ladder_discounts[p], np.minimum(ladder[p], 0.1))


def test_one_level_stops_recruiting_from_its_day_on_the_regulated_platform():
    cfg = config({**regulator(platform="yunji", rule="one_level"), "stores.n_owners": 150})
    p = list(cfg.platforms).index("yunji")
    plain = run({"stores.n_owners": 150}, steps=8).step_metrics()
    model = SocialCommerceModel(cfg, rng=2)
    model.run(8)
    ruled = model.step_metrics()
    assert plain["store_recruits"].iloc[2:].sum() > 0  # recruiting would have gone on
    assert ruled["store_recruits"].iloc[2:].sum() == 0
    assert ruled["regulations"].iloc[2] >= 1
    stores = model.stores
    assert stores.fee[p] == 0 and stores.referral[p] == 0 and stores.levels[p] == 1


def test_a_rule_with_days_is_undone_after_them():
    cfg = config(regulator(platform="yunji", rule="one_level", days=2))
    p = list(cfg.platforms).index("yunji")
    model = SocialCommerceModel(cfg, rng=2)
    fee, referral, levels = model.stores.fee[p], model.stores.referral[p], model.stores.levels[p]
    seen = []
    for _ in range(5):
        model.step()
        seen.append((model.stores.fee[p], model.stores.referral[p], int(model.stores.levels[p])))
    ruled = (0.0, 0.0, 1)
    assert seen == [(fee, referral, levels)] * 2 + [ruled] * 2 + [(fee, referral, levels)]


def test_overlapping_rules_combine_the_strictest_holding_and_end_in_any_order():
    later = {"kind": "regulator", "platform": "pinduoduo", "rule": "promotion_depth_cap"}
    cfg = config(
        {  # the later, stricter rule listed first, outlasting the first one
            "shocks.strict": {**later, "start": 5, "days": 5, "cap": 0.05},
            "shocks.mild": {**later, "start": 3, "days": 5, "cap": 0.15},
            # a cap above the platform's depth changes nothing: a cap never raises it
            "shocks.loose": {**later, "start": 1, "cap": 0.5},
        }
    )
    p = list(cfg.platforms).index("pinduoduo")
    model = SocialCommerceModel(cfg, rng=2)
    depths = []
    for _ in range(10):
        model.step()
        depths.append(round(float(model.pricing.book.promo_depth[p]), 6))
    assert depths == [0.2, 0.2, 0.15, 0.15] + [0.05] * 5 + [0.2]
