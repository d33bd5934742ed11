"""Paid membership: 30-day price protection refunds and who joins."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.mechanisms.membership import (
    PriceProtection,
    membership_joins,
    protection_cover,
    relationship_shift,
    renewal_chance,
    share_of_wallet,
)
from tests.conftest import PRE_CALIBRATION

# ---------------------------------------------------------------- price protection


def prices(n_platforms=2, n_products=3, value=100.0):
    return np.full((n_platforms, n_products), value)


def protect(buyer, product, platform, paid, step, window_days=30, protection=None):
    if protection is None:  # not `or`: an empty PriceProtection is falsy
        protection = PriceProtection(window_days=window_days)
    protection.add(np.array(buyer), np.array(product), np.array(platform), np.array(paid), step)
    return protection


def as_lists(refunds):
    buyer, amount, platform = refunds
    return buyer.tolist(), amount.tolist(), platform.tolist()


def test_refund_is_exactly_the_difference():
    p = protect([4], [1], [0], [99.9], step=0)
    price = prices()
    price[0, 1] = 89.95
    buyer, amount, platform = p.refunds(price, step=5)
    assert buyer.tolist() == [4]
    assert platform.tolist() == [0]
    assert amount.tolist() == [99.9 - 89.95]
    assert buyer.dtype == np.int32 and platform.dtype == np.int8 and amount.dtype == np.float64


def test_protected_through_step_plus_window_inclusive():
    price = prices()
    price[1, 2] = 80.0
    on_last_day = protect([0], [2], [1], [100.0], step=10).refunds(price, step=40)
    assert as_lists(on_last_day) == ([0], [20.0], [1])
    day_after = protect([0], [2], [1], [100.0], step=10)
    assert as_lists(day_after.refunds(price, step=41)) == ([], [], [])
    assert len(day_after) == 0


def test_window_length_is_honoured():
    price = prices(value=90.0)
    assert as_lists(protect([0], [0], [0], [100.0], 10, window_days=7).refunds(price, 17))[1] == [
        10.0
    ]
    assert as_lists(protect([0], [0], [0], [100.0], 10, window_days=7).refunds(price, 18))[1] == []
    # A window of 0 protects the day of purchase only.
    assert as_lists(protect([0], [0], [0], [100.0], 10, window_days=0).refunds(price, 10))[1] == [
        10.0
    ]


def test_two_drops_refund_the_total_drop_once():
    p = protect([3], [0], [0], [100.0], step=0)
    price = prices()
    price[0, 0] = 90.0
    assert as_lists(p.refunds(price, 1)) == ([3], [10.0], [0])
    # Same price again: nothing more.
    assert as_lists(p.refunds(price, 2)) == ([], [], [])
    price[0, 0] = 75.0
    assert as_lists(p.refunds(price, 3)) == ([3], [15.0], [0])
    # Back up, then down but not below the lowest price so far: nothing.
    price[0, 0] = 95.0
    assert as_lists(p.refunds(price, 4)) == ([], [], [])
    price[0, 0] = 80.0
    assert as_lists(p.refunds(price, 5)) == ([], [], [])
    price[0, 0] = 70.0
    assert as_lists(p.refunds(price, 6)) == ([3], [5.0], [0])


def test_price_rise_or_no_change_refunds_nothing():
    p = protect([0, 1], [0, 1], [0, 0], [100.0, 100.0], step=0)
    price = prices()
    price[0, 0] = 120.0
    assert as_lists(p.refunds(price, 1)) == ([], [], [])
    assert len(p) == 2


def test_only_added_purchases_on_the_right_platform_and_product_are_refunded():
    # Members 1 and 5 bought; consumer 2 (not a member) bought too but was never added.
    p = protect([1, 5, 5], [0, 0, 2], [0, 1, 1], [100.0, 100.0, 50.0], step=0)
    price = prices()
    price[1, 0] = 60.0  # drop on platform 1 only
    price[0, 2] = 10.0  # drop of product 2 on platform 0, where nobody protected bought it
    buyer, amount, platform = p.refunds(price, 1)
    assert buyer.tolist() == [5]
    assert amount.tolist() == [40.0]
    assert platform.tolist() == [1]
    assert 2 not in buyer and 1 not in buyer


def test_repeated_purchases_each_get_their_refund():
    p = protect([7, 7], [0, 0], [0, 0], [100.0, 90.0], step=0)
    p = protect([7], [0], [0], [95.0], step=2, protection=p)
    assert len(p) == 3
    buyer, amount, _ = p.refunds(prices(value=80.0), 3)
    assert buyer.tolist() == [7, 7, 7]
    assert sorted(amount.tolist()) == [10.0, 15.0, 20.0]
    assert np.bincount(buyer, weights=amount).tolist()[7] == 45.0


def test_expiry_keeps_later_purchases_and_their_paid_price():
    p = PriceProtection(window_days=30)
    for step in range(5):
        protect([step], [0], [0], [100.0], step=step, protection=p)
    price = prices(value=90.0)
    # At step 32 purchases of steps 0 and 1 have expired.
    assert as_lists(p.refunds(price, 32)) == ([2, 3, 4], [10.0] * 3, [0] * 3)
    assert len(p) == 3
    protect([9], [0], [0], [100.0], step=32, protection=p)
    price[:] = 85.0
    assert as_lists(p.refunds(price, 34)) == ([4, 9], [5.0, 15.0], [0, 0])


def test_add_copies_and_empty_add_is_a_no_op():
    paid = np.array([100.0])
    p = PriceProtection(window_days=30)
    p.add(np.array([0]), np.array([0]), np.array([0]), paid, 0)
    paid[0] = 1_000.0  # the caller's array is not the store
    p.add(np.array([], int), np.array([], int), np.array([], int), np.array([]), 1)
    assert len(p) == 1
    assert p.refunds(prices(value=90.0), 1)[1].tolist() == [10.0]
    assert PriceProtection(window_days=30).refunds(prices(), 0)[0].size == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [0], [0], [1.0]), "equal length"),
        (([-1], [0], [0], [1.0]), r"buyer: must be integers in 0 \.\. 2147483647"),
        (([0], [0], [128], [1.0]), r"platform: must be integers in 0 \.\. 127"),
        (([0], [0.0], [0], [1.0]), "product: must be integers"),
        (([0], [0], [0], [-1.0]), "paid: must be >= 0, got -1.0"),
        (([0], [0], [0], [np.nan]), "paid: must be >= 0, got nan"),
    ],
)
def test_bad_purchases_are_rejected(args, message):
    p = PriceProtection(window_days=30)
    with pytest.raises(ValueError, match=message):
        p.add(*(np.array(a) for a in args), step=0)
    assert len(p) == 0


def test_bad_window_and_price_table_are_rejected():
    with pytest.raises(ValueError, match="window_days: must be an integer >= 0, got -1"):
        PriceProtection(window_days=-1)
    p = protect([0], [3], [0], [1.0], step=0)
    with pytest.raises(ValueError, match="does not cover"):
        p.refunds(prices(n_products=3), 0)
    with pytest.raises(ValueError, match=r"current_price: must have shape"):
        p.refunds(np.ones(4), 0)


# ---------------------------------------------------------------- joining

JOIN = {"fee": 300.0, "discount": 0.05, "lookback_days": 30, "join_rate": 0.2}


def spend_for_saving(saving, lookback_days=30, discount=0.05):
    """Recent spend whose yearly saving is `saving`."""
    return saving / discount * lookback_days / 365


def test_saving_far_above_the_fee_joins_far_more_often():
    n = 20_000
    member = np.zeros(2 * n, dtype=bool)
    spend = np.repeat([spend_for_saving(900.0), spend_for_saving(60.0)], n)
    joined = membership_joins(member, spend, **JOIN, rng=np.random.default_rng(1))
    high, low = np.bincount(joined // n, minlength=2) / n
    p_high = 0.2 * expit(5 * (900 / 300 - 1))  # ~0.2
    p_low = 0.2 * expit(5 * (60 / 300 - 1))  # ~0.0036
    assert high == pytest.approx(p_high, abs=4 * np.sqrt(p_high / n))
    assert low == pytest.approx(p_low, abs=4 * np.sqrt(p_low / n))
    assert high > 20 * low


def test_saving_equal_to_the_fee_joins_at_half_the_rate():
    n = 40_000
    spend = np.full(n, spend_for_saving(300.0))
    joined = membership_joins(np.zeros(n, bool), spend, **JOIN, rng=np.random.default_rng(2))
    assert joined.size / n == pytest.approx(0.1, abs=4 * np.sqrt(0.1 * 0.9 / n))


def test_probability_follows_the_rule_draw_by_draw():
    # One float32 uniform per consumer, in order: the same seed replays the same draws.
    spend = np.array([0.0, 500.0, 1_000.0, 3_000.0, 10_000.0, 0.0])
    member = np.array([False, False, False, False, False, True])
    kwargs = {"fee": 279.0, "discount": 0.08, "lookback_days": 90, "join_rate": 0.9}
    saving = 0.08 * spend * 365 / 90
    chance = 0.9 * expit(2.0 * (saving / 279.0 - 1.0))
    for seed in range(30):
        draw = np.random.default_rng(seed).random(6, dtype=np.float32)
        want = np.flatnonzero(~member & (draw < chance))
        got = membership_joins(
            member, spend, **kwargs, sharpness=2.0, rng=np.random.default_rng(seed)
        )
        assert got.tolist() == want.tolist()


def test_members_and_ineligible_never_join():
    member = np.array([True, False, False, True, False])
    eligible = np.array([True, True, False, False, True])
    for seed in range(20):
        joined = membership_joins(
            member,
            np.full(5, 1e6),
            **JOIN | {"join_rate": 1.0},
            eligible=eligible,
            rng=np.random.default_rng(seed),
        )
        assert joined.tolist() == [1, 4]


def test_free_membership_joins_at_the_join_rate_whatever_the_spend():
    n = 20_000
    joined = membership_joins(
        np.zeros(n, bool), np.zeros(n), **JOIN | {"fee": 0.0}, rng=np.random.default_rng(3)
    )
    assert joined.size / n == pytest.approx(0.2, abs=4 * np.sqrt(0.2 * 0.8 / n))
    everyone = membership_joins(
        np.zeros(4, bool),
        np.zeros(4),
        **JOIN | {"fee": 0.0, "join_rate": 1.0},
        rng=np.random.default_rng(3),
    )
    assert everyone.tolist() == [0, 1, 2, 3]


def test_zero_join_rate_or_no_spend_with_a_sharp_rule_joins_nobody():
    n = 1_000
    rich = np.full(n, 1e6)
    nobody = membership_joins(
        np.zeros(n, bool), rich, **JOIN | {"join_rate": 0.0}, rng=np.random.default_rng(4)
    )
    assert nobody.size == 0
    poor = membership_joins(
        np.zeros(n, bool), np.zeros(n), **JOIN, sharpness=50.0, rng=np.random.default_rng(4)
    )
    assert poor.size == 0


def test_same_seed_same_joins_and_one_draw_per_consumer():
    n = 500
    spend = np.linspace(0, 2_000, n)
    member = np.arange(n) % 3 == 0
    a = membership_joins(member, spend, **JOIN, rng=np.random.default_rng(7))
    b = membership_joins(member, spend, **JOIN, rng=np.random.default_rng(7))
    c = membership_joins(member, spend, **JOIN, rng=np.random.default_rng(8))
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()
    # The stream advances by exactly n float32 uniforms whoever is a member (common random
    # numbers).
    rng = np.random.default_rng(7)
    membership_joins(np.ones(n, bool), spend, **JOIN, rng=rng)
    after = np.random.default_rng(7)
    after.random(n, dtype=np.float32)
    assert rng.random() == after.random()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fee": -1.0}, r"fee: must be in \[0.0, inf\], got -1.0"),
        ({"discount": 1.5}, r"discount: must be in \[0.0, 1.0\], got 1.5"),
        ({"join_rate": np.nan}, "join_rate: must be in"),
        ({"sharpness": -1.0}, "sharpness: must be in"),
        ({"lookback_days": 0}, "lookback_days: must be >= 1, got 0"),
        ({"recent_spend": np.zeros(2)}, "recent_spend: must have the shape"),
        ({"is_member": np.zeros(3, int)}, "is_member: must be a 1-D bool array"),
        ({"eligible": np.ones(2, bool)}, "eligible: must be a bool array of shape"),
    ],
)
def test_bad_join_arguments_are_rejected(change, message):
    args = {"is_member": np.zeros(3, bool), "recent_spend": np.zeros(3)} | JOIN | change
    member, spend = args.pop("is_member"), args.pop("recent_spend")
    with pytest.raises(ValueError, match=message):
        membership_joins(member, spend, **args, rng=np.random.default_rng(0))


# ---------------------------------------------------------------- renewal and share of wallet


def test_the_renewal_chance_rises_with_the_value_a_term_gave():
    value = np.linspace(0.0, 1_000.0, 101)
    chance = renewal_chance(value, fee=279.0)
    assert (np.diff(chance) > 0).all()
    assert chance[0] < 0.01 and chance[-1] > 0.99
    assert renewal_chance(np.array([279.0]), fee=279.0)[0] == 0.5
    np.testing.assert_allclose(chance, expit(5.0 * (value / 279.0 - 1.0)))


def test_a_sharper_rule_separates_good_terms_from_bad_ones_more():
    value = np.array([200.0, 400.0])  # below and above a fee of 300
    soft = renewal_chance(value, fee=300.0, sharpness=1.0)
    sharp = renewal_chance(value, fee=300.0, sharpness=20.0)
    assert sharp[0] < soft[0] < 0.5 < soft[1] < sharp[1]
    assert renewal_chance(value, fee=300.0, sharpness=0.0).tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    ("change", "message"),
    [({"fee": -1.0}, "fee: must be in"), ({"sharpness": float("nan")}, "sharpness: must be in")],
)
def test_bad_renewal_arguments_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        renewal_chance(np.array([1.0]), **{"fee": 279.0, "sharpness": 5.0, **change})


def test_share_of_wallet_counts_each_member_once_and_only_their_membership_platforms():
    member = np.array([[True, False, True], [False, False, False], [False, True, False]])
    spend = np.array([[10.0, 20.0, 30.0], [100.0, 0.0, 0.0], [5.0, 5.0, 0.0]])
    # consumers 0 and 2: 40 of 60 and 5 of 10 on their membership platforms
    assert share_of_wallet(member, spend, np.array([0, 2, 0, 2])) == pytest.approx(45 / 70)
    assert share_of_wallet(member, spend, np.array([1])) == 0.0  # no member platform
    assert share_of_wallet(member, np.zeros((3, 3)), np.array([0])) == 0.0
    assert share_of_wallet(member, spend, np.array([], dtype=np.int64)) == 0.0


# ---------------------------------------------------------------- loyalty and waiting


def test_protection_covers_the_waiting_in_proportion_to_its_window():
    assert protection_cover(0, 7.0) == 0.0
    assert protection_cover(7, 7.0) == protection_cover(30, 7.0) == 1.0
    windows = [protection_cover(d, 10.0) for d in range(11)]
    assert windows == sorted(windows) and windows[5] == 0.5
    with pytest.raises(ValueError, match="window_days"):
        protection_cover(-1, 7.0)
    with pytest.raises(ValueError, match="patience_days"):
        protection_cover(30, 0.5)


def test_the_relationship_shift_is_loyalty_for_members_and_waiting_at_full_price():
    # platform 0 sells a membership (loyalty 0.5, protection covers 40 % of the waiting),
    # platform 1 does not; both run promotions (waiting -1)
    kwargs = dict(
        loyalty=np.array([0.5, 0.0]), wait=np.array([-1.0, -1.0]), cover=np.array([0.4, 0.0])
    )
    member = np.array([True, True, False, False, False])
    full = np.array([True, False, True, False, True])
    platform = np.array([0, 0, 0, 0, 1])
    shift = relationship_shift(member, full, platform, **kwargs)
    assert shift.dtype == np.float32
    np.testing.assert_allclose(shift, [0.5 - 0.6, 0.5, -1.0, 0.0, -1.0], rtol=1e-6)
    off = relationship_shift(
        member, full, platform, loyalty=np.zeros(2), wait=np.zeros(2), cover=np.ones(2)
    )
    assert not off.any()


# ---------------------------------------------------------------- the relationship in a small world

FEE = ModelConfig().platforms["kaola"].membership.fee
#: the relationship's settings (the defaults since issue 22), spelled out
RELATIONSHIP = {
    **PRE_CALIBRATION,  # effect sizes measured with the budgets of before issue 23
    "platforms.kaola.membership.renewal": True,
    "platforms.kaola.membership.loyalty_shift": 1.0,
    "population.high_net_worth_share": 0.02,  # its multipliers' defaults: 5 and 6
    **{f"platforms.{name}.promotions.wait_shift": -0.3 for name in ModelConfig().platforms},
}


@pytest.fixture(scope="module")
def year_and_more():
    """3,000 consumers for 420 days with the relationship on; the highest value of each term."""
    model = SocialCommerceModel(ModelConfig.small(3_000).with_overrides(RELATIONSHIP), rng=2)
    kaola = model.world.platforms.names.index("kaola")
    best = np.zeros(model.world.n_consumers)

    def track(m):
        np.maximum(best, m.membership.value[:, kaola], out=best)

    model.run(420, callback=track)
    return model, best


def test_a_420_day_run_renews_some_memberships_and_lapses_others(year_and_more):
    model, _ = year_and_more
    steps = model.step_metrics()
    first_year = steps[steps["step"] <= 365]
    assert first_year["members_renewed"].sum() == first_year["members_lapsed"].sum() == 0
    assert steps["members_renewed"].sum() > 0 and steps["members_lapsed"].sum() > 0
    bought = steps["members_joined"].sum() + steps["members_renewed"].sum()
    assert steps["membership_fees"].sum() == pytest.approx(bought * FEE)


def test_the_high_net_worth_segment_holds_members_for_whom_membership_pays(year_and_more):
    # Kaola's CEO: membership pays above about RMB 10,000 of yearly spending (2020)
    model, best = year_and_more
    segment = model.world.population.high_net_worth
    assert (best[segment] > FEE).sum() >= 3
    assert (best[segment] > FEE).mean() > 5 * (best[~segment] > FEE).mean()
    orders = model.orders()
    year = orders[orders["step"] > 420 - 365]
    spend = np.bincount(year["buyer"], weights=year["price_paid"], minlength=len(segment))
    assert np.median(spend[segment]) > 8_000 > 5 * np.median(spend[~segment])


def test_members_spend_more_of_their_wallet_on_the_membership_platform(year_and_more):
    model, _ = year_and_more
    share = model.step_metrics()["member_share_of_wallet"]
    assert share.between(0, 1).all() and share.iloc[-1] > 0
    kaola = model.world.platforms.names.index("kaola")
    state = model.state
    users = state.uses[:, kaola] & ~state.member[:, kaola]
    others = share_of_wallet(np.ones_like(state.member), state.recent_spend, np.flatnonzero(users))
    kaola_share = state.recent_spend[users, kaola].sum() / state.recent_spend[users].sum()
    assert others == pytest.approx(1.0)  # every platform counts: the check's own sanity
    assert share.iloc[-30:].mean() > 1.5 * kaola_share


def members_kaola_orders(protection_days: int, wait_shift: float, seed: int, n: int, days: int):
    """Orders on Kaola of the same members (its first users), with this protection window."""
    waiting = {
        f"platforms.{name}.promotions.wait_shift": wait_shift for name in ModelConfig().platforms
    }
    overrides = {
        **RELATIONSHIP,
        **waiting,
        "platforms.kaola.membership.join_rate": 0.0,  # the same members in both arms
        "platforms.kaola.membership.price_protection_days": protection_days,
    }
    model = SocialCommerceModel(ModelConfig.small(n).with_overrides(overrides), rng=seed)
    kaola = model.world.platforms.names.index("kaola")
    members = np.flatnonzero(model.state.uses[:, kaola])
    model.state.member[members, kaola] = True
    model.state.member_until[members, kaola] = 10_000
    model.run(days)
    orders = model.orders()
    mine = orders[(orders["platform"].cat.codes == kaola) & orders["buyer"].isin(members)]
    return len(mine), float(mine["price_paid"].sum())


def test_protected_members_buy_now_instead_of_waiting_for_a_promotion():
    # paired: the same seed and members; only the protection window differs
    unprotected = members_kaola_orders(0, wait_shift=-1.0, seed=1, n=1_000, days=90)
    protected = members_kaola_orders(30, wait_shift=-1.0, seed=1, n=1_000, days=90)
    assert protected[0] > 1.1 * unprotected[0]
    assert protected[1] > 1.1 * unprotected[1]


@pytest.mark.slow
def test_price_protection_raises_members_spending_at_the_recommended_waiting():
    # paired runs of 2,000 consumers for 120 days, four seeds, wait_shift -0.3
    pairs = [
        (
            members_kaola_orders(0, -0.3, seed, 2_000, 120),
            members_kaola_orders(30, -0.3, seed, 2_000, 120),
        )
        for seed in (1, 2, 3, 4)
    ]
    gmv = np.array([[off[1], on[1]] for off, on in pairs])
    assert (gmv[:, 1] > gmv[:, 0]).sum() >= 3
    assert gmv[:, 1].sum() > 1.05 * gmv[:, 0].sum()
