"""The per-tier table: it adds up to the step table, the order log and the model's state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.metrics import TIER_COLUMNS

STEPS = 20


@pytest.fixture(scope="module")
def tier_run() -> SocialCommerceModel:
    """A small seeded run with a campaign and members (read-only)."""
    config = ModelConfig.small().with_overrides(
        {
            # A membership on Taobao Live, used in every tier, that members join much
            # faster than the default, so that every tier has some to count (Kaola has
            # too few users in the smallest tiers of 2,000 consumers).
            "platforms.taobao_live.membership.enabled": True,
            "platforms.taobao_live.membership.join_rate": 0.5,
            "platforms.taobao_live.membership.fee": 20.0,
            "campaign.budget": 500.0,
        }
    )
    model = SocialCommerceModel(config, rng=17)
    model.run(STEPS)
    return model


def by_step(tiers: pd.DataFrame, column: str) -> np.ndarray:
    return tiers.groupby("step")[column].sum().to_numpy()


def test_table_has_one_row_per_step_and_tier_with_its_columns(tier_run):
    tiers = tier_run.tier_metrics()
    assert list(tiers.columns) == list(TIER_COLUMNS)
    assert tiers.dtypes.astype(str).to_dict() == TIER_COLUMNS
    n_tiers = tier_run.world.population.n_tiers
    assert len(tiers) == STEPS * n_tiers
    assert tiers["tier"].tolist() == list(range(1, n_tiers + 1)) * STEPS
    assert tiers["step"].tolist() == np.repeat(np.arange(1, STEPS + 1), n_tiers).tolist()
    sizes = tier_run.world.population.tier_counts()
    assert (tiers.groupby("tier")["consumers"].first().to_numpy() == sizes).all()


def test_tiers_add_up_to_the_step_totals(tier_run):
    tiers, steps = tier_run.tier_metrics(), tier_run.step_metrics()
    assert steps["orders"].sum() > 0 and steps["member_gmv"].sum() > 0
    for column in ("orders", "customers", "buyers", "offers"):
        np.testing.assert_array_equal(by_step(tiers, column), steps[column], err_msg=column)
    for column in ("gmv", "member_gmv"):
        np.testing.assert_allclose(by_step(tiers, column), steps[column], rtol=1e-6)
    feeds = ("feed_social", "feed_algorithmic")
    np.testing.assert_array_equal(
        by_step(tiers, "feed_orders"), steps[[f"orders_{f}" for f in feeds]].sum(axis=1)
    )
    np.testing.assert_allclose(
        by_step(tiers, "feed_gmv"), steps[[f"gmv_{f}" for f in feeds]].sum(axis=1), rtol=1e-6
    )
    np.testing.assert_array_equal(
        by_step(tiers, "feed_offers"), steps[[f"exposures_{f}" for f in feeds]].sum(axis=1)
    )
    last = tiers[tiers["step"] == STEPS]
    for k, row in enumerate(last.itertuples(), start=1):
        assert row.penetration == pytest.approx(steps[f"penetration_t{k}"].iloc[-1])
        assert row.penetration == pytest.approx(row.customers / row.consumers)


def test_orders_by_tier_match_the_order_log(tier_run):
    orders = tier_run.orders()
    assert (orders["source"] == "daigou").any()  # daigou orders count the client's tier
    tiers = tier_run.tier_metrics().set_index(["step", "tier"])
    grouped = orders.groupby(["step", "tier"])
    log = pd.DataFrame(
        {
            "orders": grouped.size(),
            "gmv": grouped["price_paid"].sum().astype(float),
            "buyers": grouped["buyer"].nunique(),
        }
    )
    feed = orders[orders["source"].isin(["feed_social", "feed_algorithmic"])]
    log["feed_orders"] = feed.groupby(["step", "tier"]).size()
    log = log.reindex(tiers.index, fill_value=0).fillna(0)
    np.testing.assert_array_equal(tiers["orders"], log["orders"])
    np.testing.assert_array_equal(tiers["buyers"], log["buyers"])
    np.testing.assert_array_equal(tiers["feed_orders"], log["feed_orders"])
    np.testing.assert_allclose(tiers["gmv"], log["gmv"], rtol=1e-6)


def test_feed_reach_is_cumulative_and_bounded(tier_run):
    tiers = tier_run.tier_metrics()
    reached = tiers.pivot(index="step", columns="tier", values="feed_reached")
    assert (reached.diff().iloc[1:] >= 0).all().all()
    assert (tiers["feed_reached"] <= tiers["consumers"]).all()
    assert (reached.iloc[-1] > 0).all()
    # No more consumers can have been reached than feed offers were made so far.
    offers = tiers.pivot(index="step", columns="tier", values="feed_offers").cumsum()
    assert (reached <= offers).all().all()


def test_without_feeds_nobody_is_reached_by_one():
    config = ModelConfig.small().with_overrides(
        {f"platforms.{name}.feed.kind": "none" for name in ModelConfig().platforms}
    )
    model = SocialCommerceModel(config, rng=17)
    model.run(8)
    tiers = model.tier_metrics()
    assert tiers["orders"].sum() > 0
    assert (tiers[["feed_offers", "feed_reached", "feed_orders"]] == 0).all().all()
    assert (tiers["feed_gmv"] == 0).all()


def test_members_and_active_members_match_the_state(tier_run):
    state, tier = tier_run.state, tier_run.world.population.tier
    last = tier_run.tier_metrics().query("step == @STEPS")
    member = state.member.any(axis=1)
    # placed an order that shipped in the 30 days up to and including the last step
    active = (state.last_order_step >= STEPS - 29).any(axis=1)
    n_tiers = tier_run.world.population.n_tiers
    members = np.bincount(tier[member], minlength=n_tiers + 1)[1:]
    active_members = np.bincount(tier[member & active], minlength=n_tiers + 1)[1:]
    assert (members > 0).all()
    np.testing.assert_array_equal(last["members"], members)
    np.testing.assert_array_equal(last["active_members"], active_members)
    assert (last["active_members"] <= last["members"]).all()
    # A member of two platforms counts once here and twice in the step table's `members`.
    assert last["members"].sum() <= tier_run.step_metrics()["members"].iloc[-1]


def test_members_who_stop_buying_leave_the_active_count():
    # Everyone holds a membership from the start, and budgets are never renewed: by day 35
    # many members have bought nothing for 30 days (or never bought at all).
    config = ModelConfig.small().with_overrides({"behaviour.budget_period_days": 3650})
    model = SocialCommerceModel(config, rng=5)
    model.state.member[:, 0] = True
    model.state.member_until[:, 0] = 10_000
    model.run(35)
    tiers = model.tier_metrics()
    last = tiers[tiers["step"] == 35]
    assert (last["members"] == last["consumers"]).all()
    state = model.state
    active = (state.last_order_step >= 35 - 29).any(axis=1)
    tier = model.world.population.tier
    expected = np.bincount(tier[active], minlength=7)[1:]
    np.testing.assert_array_equal(last["active_members"], expected)
    assert (last["active_members"] < last["members"]).all()


def test_no_steps_gives_an_empty_table_with_all_columns():
    model = SocialCommerceModel(ModelConfig.small(), rng=1)
    empty = model.tier_metrics()
    assert len(empty) == 0 and list(empty.columns) == list(TIER_COLUMNS)
    model.step()
    assert (model.tier_metrics().dtypes == empty.dtypes).all()
