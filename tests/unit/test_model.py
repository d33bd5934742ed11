"""The model: smoke run, accounting identities, reproducibility, known answers on tiny worlds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.enums import ShopperStatus, Source
from socialsim.metrics import CHANNELS_IN_USE, ORDER_COLUMNS, penetration_columns
from socialsim.state import NEVER
from tests.conftest import one_tier_config, path_graph

REQUIRED = ["step", "gmv", "orders", "buyers", "new_buyers", *penetration_columns(6)]


def test_smoke_run_has_required_columns_and_activity(small_run):
    metrics = small_run.step_metrics()
    assert list(metrics["step"]) == list(range(1, 31))
    assert set(REQUIRED) <= set(metrics.columns)
    assert metrics["orders"].sum() > 0 and metrics["gmv"].sum() > 0
    for source in ("search", "word_of_mouth", "kol", "koc"):
        assert metrics[f"orders_{source}"].sum() > 0, source


def test_metrics_add_up(small_run):
    m = small_run.step_metrics()
    sources = [s.name.lower() for s in Source]
    channels = [c.name.lower() for c in CHANNELS_IN_USE]
    for split in (sources, channels):
        assert (m["orders"] == m[[f"orders_{k}" for k in split]].sum(axis=1)).all()
        assert np.allclose(m["gmv"], m[[f"gmv_{k}" for k in split]].sum(axis=1))
    assert (m["buyers"] <= m["orders"]).all()
    assert (m["new_buyers"] <= m["buyers"]).all()
    assert (m["customers"] == m["new_buyers"].cumsum()).all()
    for col in penetration_columns(6):
        assert m[col].is_monotonic_increasing and m[col].between(0, 1).all()


def test_metrics_agree_with_orders_and_state(small_run):
    m, orders, state = small_run.step_metrics(), small_run.orders(), small_run.state
    assert len(orders) == m["orders"].sum()
    per_step = orders.groupby("step")["price_paid"].sum()
    assert np.allclose(per_step.reindex(m["step"], fill_value=0).to_numpy(), m["gmv"])
    assert state.orders.sum() == len(orders)
    assert state.spend.sum() == pytest.approx(orders["price_paid"].astype(float).sum(), rel=1e-9)
    customers = state.status == ShopperStatus.CUSTOMER
    assert customers.sum() == m["customers"].iloc[-1]
    assert set(np.flatnonzero(customers)) == set(orders["buyer"])
    tiers = small_run.world.population.tier
    for k in range(1, 7):
        share = customers[tiers == k].mean()
        assert m[f"penetration_t{k}"].iloc[-1] == pytest.approx(share)


def test_orders_table_columns(small_run):
    orders = small_run.orders()
    assert list(orders.columns) == list(ORDER_COLUMNS)
    assert set(orders["channel"].unique()) == {c.name.lower() for c in CHANNELS_IN_USE}
    assert {"search", "word_of_mouth", "kol", "koc"} <= set(orders["source"].unique())
    assert set(orders["platform"].unique()) == set(small_run.world.platforms.names)
    world = small_run.world
    assert (orders["tier"].to_numpy() == world.population.tier[orders["buyer"]]).all()
    # Discounts only ever lower a platform's list price (the brand's price, within its
    # positioning's ceiling); imports add their tax.
    product = orders["product"].to_numpy()
    names = list(world.platforms.names)
    level = np.array([small_run.config.platforms[n].price_level for n in names])
    platform = orders["platform"].map(names.index).to_numpy().astype(int)
    tax = np.where(world.catalogue.cross_border[product], 1 + world.catalogue.tax_rate[product], 1)
    brand_ceiling = small_run.brand_rules.ceiling[world.catalogue.brand[product]]
    ceiling = world.catalogue.price[product] * brand_ceiling * level[platform] * tax
    assert (orders["price_paid"].to_numpy() > 0).all()
    assert (orders["price_paid"].to_numpy() <= ceiling + 0.01).all()


def test_budgets_are_never_overspent(small_run):
    assert (small_run.state.budget_left >= -1e-3).all()


def run(config, seed, steps=15):
    model = SocialCommerceModel(config, rng=seed)
    model.run(steps)
    return model


def test_same_seed_gives_identical_tables_and_different_seeds_differ(small_config):
    a, b, c = run(small_config, 7), run(small_config, 7), run(small_config, 8)
    pd.testing.assert_frame_equal(a.step_metrics(), b.step_metrics(), check_exact=True)
    pd.testing.assert_frame_equal(a.orders(), b.orders(), check_exact=True)
    assert not a.step_metrics().equals(c.step_metrics())


def test_seed_can_come_from_config_or_fresh_entropy(small_config):
    from_config = run(small_config.with_overrides({"run.seed": 7}), None)
    assert from_config.seed == 7
    pd.testing.assert_frame_equal(from_config.step_metrics(), run(small_config, 7).step_metrics())
    fresh = run(small_config, None, steps=3)
    assert isinstance(fresh.seed, int) and fresh.config.run.seed == fresh.seed
    again = run(fresh.config, None, steps=3)  # the recorded seed reproduces the run
    pd.testing.assert_frame_equal(fresh.step_metrics(), again.step_metrics())


def test_a_seed_sequence_gives_the_same_run_every_time(small_config):
    child = np.random.SeedSequence(11).spawn(1)[0]
    first = run(small_config, child).step_metrics()
    second = run(small_config, child).step_metrics()
    pd.testing.assert_frame_equal(first, second)
    assert child.n_children_spawned == 0  # the caller's sequence is not advanced
    listed = run(small_config, np.random.SeedSequence([1, 2]), steps=2)
    assert listed.seed is None


def test_an_unrecordable_seed_clears_the_configs_seed(small_config):
    model = SocialCommerceModel(
        small_config.with_overrides({"run.seed": 5}), rng=np.random.default_rng(1)
    )
    assert model.seed is None and model.config.run.seed is None


def test_zero_steps_gives_an_empty_table_with_all_columns(small_config):
    model = SocialCommerceModel(small_config, rng=1)
    empty = model.step_metrics()
    assert len(empty) == 0 and set(REQUIRED) <= set(empty.columns)
    model.step()
    assert list(model.step_metrics().columns) == list(empty.columns)
    assert (model.step_metrics().dtypes == empty.dtypes).all()


def test_generator_and_seed_sequence_are_accepted(small_config):
    seq = np.random.SeedSequence(7)
    pd.testing.assert_frame_equal(
        run(small_config, seq).step_metrics(), run(small_config, 7).step_metrics()
    )
    model = SocialCommerceModel(small_config, rng=np.random.default_rng(3))
    assert model.seed is None
    with pytest.raises(ValueError, match=">= 0"):
        SocialCommerceModel(small_config, rng=-1)
    with pytest.raises(TypeError):
        SocialCommerceModel(small_config, rng="seven")


def test_no_global_random_state_is_used(small_config):
    # Seeding numpy's and Python's global generators must make no difference.
    import random

    np.random.seed(1)  # noqa: NPY002 - deliberately touching the global state
    a = run(small_config, 5, steps=5).step_metrics()
    np.random.seed(2)  # noqa: NPY002
    random.seed(3)
    b = run(small_config, 5, steps=5).step_metrics()
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- hand-built worlds


def tiny_model(n=4, **overrides):
    return SocialCommerceModel(one_tier_config(n, **overrides), rng=1, graph=path_graph(n))


def test_word_of_mouth_travels_one_friend_per_day():
    # search never converts, a friend's purchase always does; consumer 0 bought "yesterday"
    model = tiny_model(
        **{
            "behaviour.conversion.base_search": -60.0,
            "behaviour.conversion.base_word_of_mouth": 60.0,
            "behaviour.word_of_mouth_days": 1,
        }
    )
    model.state.last_purchase_step[0, 0] = 0
    model.state.last_product[0, 0] = 0
    model.step()
    orders = model.orders()
    assert orders["buyer"].tolist() == [1]
    assert orders["source"].tolist() == ["word_of_mouth"]
    model.step()
    assert sorted(model.orders().query("step == 2")["buyer"]) == [0, 2]
    model.step()
    assert sorted(model.orders().query("step == 3")["buyer"]) == [1, 3]
    assert model.step_metrics()["new_buyers"].tolist() == [1, 2, 1]


def test_nobody_buys_what_they_cannot_afford():
    # monthly budget is 3000 * 0.07 = 210; a product costing 250 never sells, however tempting
    # (and nothing is returned, which would give money back)
    model = tiny_model(
        **{
            "catalogue.categories.food_farm.median_price": 250.0,
            "behaviour.conversion.base_search": 60.0,
            "behaviour.return_rate": 0.0,
            "behaviour.budget_share": 0.07,
        }
    )
    model.run(10)
    assert model.step_metrics()["orders"].sum() == 0
    cheap = tiny_model(
        **{
            "catalogue.categories.food_farm.median_price": 100.0,
            "behaviour.conversion.base_search": 60.0,
            "behaviour.return_rate": 0.0,
            "behaviour.budget_share": 0.07,
        }
    )
    cheap.run(10)
    # two purchases of 100 fit in 210: each consumer buys on days 1 and 2, then the money is gone
    assert cheap.step_metrics()["orders"].tolist() == [4, 4] + [0] * 8


def test_offline_consumers_only_buy_through_friends():
    model = tiny_model(
        **{"population.tiers.1.online_share": 0.0, "behaviour.conversion.base_search": 60.0}
    )
    model.run(5)
    assert model.step_metrics()["orders"].sum() == 0  # no search offline, no friend has bought
    assert (model.state.status == ShopperStatus.OFFLINE).all()
    model.state.last_purchase_step[0, 0] = model.steps
    model.state.last_product[0, 0] = 0
    strong_wom = model.config.with_overrides(
        {"behaviour.conversion.base_word_of_mouth": 60.0, "run.seed": 1}
    )
    model.config = strong_wom
    model.step()
    assert model.orders()["buyer"].tolist() == [1]
    assert model.state.status[1] == ShopperStatus.CUSTOMER


def test_price_sensitive_poorer_consumers_buy_less():
    config = ModelConfig.small(4_000)
    model = run(config, 11, steps=30)
    spend_by_tier = pd.Series(model.state.spend).groupby(model.world.population.tier).mean()
    assert spend_by_tier[1] > spend_by_tier[6]


def test_last_purchase_state_is_recorded(small_run):
    orders = small_run.orders()
    last = orders.sort_values("step").groupby(["buyer", "category"], observed=True).tail(1)
    state = small_run.state
    names = list(small_run.world.catalogue.category_names)
    cat = last["category"].map(names.index).to_numpy()
    assert (state.last_purchase_step[last["buyer"], cat] == last["step"]).all()
    assert (state.last_product[last["buyer"], cat] == last["product"]).all()
    never = state.last_product < 0
    assert (state.last_purchase_step[never] == NEVER).all()


def test_graph_and_summary(small_run):
    graph = small_run.graph
    assert graph.number_of_nodes() == small_run.world.n_consumers
    assert graph.number_of_edges() == small_run.world.network.n_edges
    assert {"tier", "city", "community", "role"} <= set(graph.nodes[0])
    roles = {r for _, r in graph.nodes(data="role")}
    assert roles == {"consumer", "koc", "store_owner", "daigou"}
    follow = small_run.follow_graph
    assert follow.number_of_edges() == small_run.world.influencers.follows.nnz
    summary = small_run.summary()
    assert summary["seed"] == 2024 and summary["steps"] == 30
    assert summary["config_hash"] == small_run.config.config_hash()
    assert summary["orders"] == small_run.step_metrics()["orders"].sum()
    assert summary["gmv"] == small_run.step_metrics()["gmv"].sum()  # bit for bit


def test_run_validates_steps_and_calls_back(small_config):
    model = SocialCommerceModel(small_config, rng=1)
    seen = []
    model.run(3, callback=lambda m: seen.append(m.steps))
    assert seen == [1, 2, 3]
    with pytest.raises(ValueError, match="steps must be >= 0"):
        model.run(-1)


def test_an_empty_order_log_has_the_dtypes_of_a_full_one():
    # a sweep writes one orders part per run: they must share one schema
    empty = SocialCommerceModel(ModelConfig.small(500), rng=1).orders()
    model = SocialCommerceModel(ModelConfig.small(500), rng=1)
    model.run(3)
    full = model.orders()
    assert len(empty) == 0 and len(full) > 0
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
