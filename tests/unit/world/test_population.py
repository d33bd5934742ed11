"""Population: tier shares, cities within tiers, incomes and online shares by tier."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialsim import ModelConfig
from socialsim.world import apportion, build_population
from tests.conftest import rng


@pytest.fixture(scope="module")
def population():
    cfg = ModelConfig().with_overrides({"population.n_consumers": 40_000})
    return cfg.population, build_population(cfg.population, rng(11))


def test_tier_shares_match_config(population):
    config, pop = population
    shares = pop.tier_counts() / pop.n
    expected = np.array([config.tiers[k].share for k in sorted(config.tiers)])
    # exact apportionment: each count within one consumer of n * share
    assert np.all(np.abs(shares - expected) <= 1 / pop.n)
    assert shares[2:].sum() == pytest.approx(0.73, abs=1e-4)


def test_tiers_are_assigned_in_random_order(population):
    _, pop = population
    # not sorted: the first thousand consumers hold every tier
    assert set(np.unique(pop.tier[:1000])) == {1, 2, 3, 4, 5, 6}


def test_cities_belong_to_one_tier_and_respect_minimum_size(population):
    config, pop = population
    assert np.all(pop.city_tier[pop.city] == pop.tier)
    assert pop.city_size.min() >= config.min_city_size
    # tier 1 keeps its 4 cities; tier 6 cannot fill 300 cities of 50 and uses fewer
    assert np.count_nonzero(pop.city_tier == 1) == 4
    assert np.count_nonzero(pop.city_tier == 6) == pop.tier_counts()[5] // config.min_city_size
    # the city index is consistent with city_order / city_start / city_size
    for c in (0, pop.n_cities // 2, pop.n_cities - 1):
        members = pop.city_order[pop.city_start[c] : pop.city_start[c] + pop.city_size[c]]
        assert np.all(pop.city[members] == c)


def test_city_sizes_are_zipf_skewed(population):
    _, pop = population
    tier3 = np.flatnonzero(pop.city_tier == 3)
    sizes = pop.city_size[tier3]
    # the largest city of a tier is several times its median city
    assert sizes.max() > 3 * np.median(sizes)


def test_incomes_are_lognormal_around_tier_medians(population):
    config, pop = population
    for k, row in config.tiers.items():
        # as drawn: the high-net-worth segment's incomes are multiplied afterwards
        drawn = np.where(
            pop.high_net_worth, pop.income / config.high_net_worth_income_multiplier, pop.income
        )
        income = drawn[pop.tier == k]
        assert np.median(income) == pytest.approx(row.median_income, rel=0.05)
        assert np.std(np.log(income)) == pytest.approx(config.income_sigma, rel=0.05)
        assert np.all(pop.price_sensitivity[pop.tier == k] == np.float32(row.price_sensitivity))


def test_online_share_by_tier(population):
    config, pop = population
    for k, row in config.tiers.items():
        members = pop.tier == k
        share = pop.online[members].mean()
        se = np.sqrt(row.online_share * (1 - row.online_share) / members.sum())
        assert abs(share - row.online_share) < 4 * se


def test_arrays_are_read_only(population):
    _, pop = population
    with pytest.raises(ValueError, match="read-only"):
        pop.income[0] = 1.0


def test_same_seed_same_population_different_seed_different():
    cfg = ModelConfig.small().population
    a, b, c = (build_population(cfg, rng(s)) for s in (1, 1, 2))
    assert np.array_equal(a.tier, b.tier) and np.array_equal(a.income, b.income)
    assert not np.array_equal(a.tier, c.tier)


def test_given_tiers_and_cities_are_used():
    cfg = ModelConfig.small().population.model_copy(update={"n_consumers": 6, "min_city_size": 1})
    tier = np.array([1, 1, 6, 6, 3, 3])
    city = np.array(["sh", "sh", "x", "y", "z", "z"])
    pop = build_population(cfg, rng(), tier=tier, city=city)
    assert pop.tier.tolist() == tier.tolist()
    assert pop.n_cities == 4
    assert pop.city[0] == pop.city[1] != pop.city[2]
    with pytest.raises(ValueError, match="several tiers"):
        build_population(cfg, rng(), tier=tier, city=np.array(["a"] * 6))


@given(
    total=st.integers(min_value=0, max_value=10**7),
    shares=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=10).filter(
        lambda s: sum(s) > 0
    ),
)
def test_apportion_sums_and_stays_within_one(total, shares):
    counts = apportion(total, np.array(shares))
    assert counts.sum() == total
    exact = total * np.array(shares) / np.sum(shares)
    assert np.all(np.abs(counts - exact) < 1 + 1e-9)


def test_the_high_net_worth_segment_is_the_richest_share_and_draws_nothing():
    plain = (
        ModelConfig()
        .with_overrides({"population.n_consumers": 5_000, "population.high_net_worth_share": 0.0})
        .population
    )
    rich = plain.model_copy(
        update={"high_net_worth_share": 0.02, "high_net_worth_income_multiplier": 5.0}
    )
    before, after = build_population(plain, rng(4)), build_population(rich, rng(4))
    assert not before.high_net_worth.any()
    assert after.high_net_worth.sum() == 100
    # the same world otherwise: no draw was added
    for name in ("tier", "city", "price_sensitivity", "online", "city_order"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))
    segment = after.high_net_worth
    assert before.income[segment].min() >= before.income[~segment].max()
    np.testing.assert_allclose(after.income[segment], before.income[segment] * 5.0, rtol=1e-6)
    np.testing.assert_array_equal(after.income[~segment], before.income[~segment])
    assert not after.high_net_worth.flags.writeable
    # the richest live mostly in the largest cities
    assert np.bincount(after.tier[segment], minlength=7)[1:3].sum() > 50


@pytest.mark.parametrize("seed", range(4))
def test_richest_is_the_top_of_a_stable_sort(seed):
    from socialsim.world.population import richest

    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(1, 80))
        # many ties (and a negative zero, equal to zero) where the cut falls
        income = rng.choice(np.array([100.0, 250.0, 0.0, -0.0, 900.0]), n)
        if rng.random() < 0.5:
            income = rng.lognormal(8.0, 1.0, n)
        share = float(rng.random())
        count = round(share * n)
        expected = np.sort(np.argsort(-income, kind="stable")[:count])
        assert np.array_equal(richest(income, share), expected)
