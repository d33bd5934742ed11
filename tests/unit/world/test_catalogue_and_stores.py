"""Catalogue prices and quality; store owners embedded in their communities."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ConfigError, ModelConfig
from socialsim.enums import Role
from socialsim.world import build_catalogue, build_world
from tests.conftest import rng


def test_catalogue_categories_prices_and_quality():
    cfg = ModelConfig().with_overrides(
        {f"catalogue.categories.{c}.n_products": 2_000 for c in ModelConfig().catalogue.categories}
    )
    cat = build_catalogue(cfg.catalogue, rng(2))
    assert cat.category_names == tuple(sorted(cfg.catalogue.categories))
    assert np.all(np.diff(cat.category) >= 0)
    for c, name in enumerate(cat.category_names):
        row = cfg.catalogue.categories[name]
        prices = cat.price[cat.category == c]
        assert prices.size == row.n_products
        assert np.median(prices) == pytest.approx(row.median_price, rel=0.06)
        quality = cat.quality[cat.category == c]
        assert quality.mean() == pytest.approx(row.mean_quality, abs=0.02)
    assert cat.quality.min() > 0 and cat.quality.max() < 1
    drawn = cat.random_products(np.full(1000, 3), rng(0))
    assert np.all(cat.category[drawn] == 3)


def test_store_owners_are_online_consumers_with_more_strong_ties():
    cfg = ModelConfig().with_overrides({"population.n_consumers": 20_000, "stores.n_owners": 800})
    world = build_world(cfg, rng(4))
    owners = world.stores.owner
    assert owners.size == 800 and np.unique(owners).size == 800
    assert np.all(world.role[owners] == Role.STORE_OWNER)
    assert world.population.online[owners].all()
    net = world.network
    rows = np.repeat(np.arange(net.n), np.diff(net.adjacency.indptr))
    strong_degree = np.bincount(rows[net.strong], minlength=net.n)
    assert strong_degree[owners].mean() > 1.05 * strong_degree.mean()


def test_roles_do_not_overlap():
    world = build_world(ModelConfig.small(), rng(6))
    kocs = world.influencers.consumer[world.influencers.n_kols :]
    assert not set(kocs.tolist()) & set(world.stores.owner.tolist())
    assert np.count_nonzero(world.role == Role.KOC) == kocs.size
    assert np.count_nonzero(world.role == Role.STORE_OWNER) == world.stores.n


def test_too_many_owners_for_online_consumers_is_a_clear_error():
    cfg = ModelConfig.small().with_overrides(
        {f"population.tiers.{k}.online_share": 0.01 for k in range(1, 7)}
        | {"stores.n_owners": 500, "influencers.n_kocs": 0}
    )
    with pytest.raises(ConfigError, match=r"stores\.n_owners: must not exceed the \d+ consumers"):
        build_world(cfg, rng(1))


def test_too_many_kocs_for_online_consumers_is_a_clear_error():
    cfg = ModelConfig.small(1_000).with_overrides(
        {"influencers.n_kocs": 1_000, "stores.n_owners": 0, "daigou.n_shoppers": 0}
    )
    with pytest.raises(ConfigError) as info:
        build_world(cfg, rng(1))
    assert info.value.problems[0].path == "influencers.n_kocs"
    assert "got 1000" in str(info.value)


def test_category_order_in_the_config_does_not_change_the_world():
    cfg = ModelConfig.small()
    categories = cfg.catalogue.categories
    reordered = cfg.model_copy(
        update={
            "catalogue": cfg.catalogue.model_copy(
                update={"categories": dict(reversed(list(categories.items())))}
            )
        }
    )
    assert reordered == cfg and reordered.config_hash() == cfg.config_hash()
    a, b = build_world(cfg, rng(3)), build_world(reordered, rng(3))
    assert a.catalogue.category_names == b.catalogue.category_names
    assert np.array_equal(a.catalogue.price, b.catalogue.price)
