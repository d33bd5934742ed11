"""The union of several runs' worlds: each run's block is its world, and no tie crosses runs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import sparse

from socialsim import ModelConfig
from socialsim.enums import InfluencerKind
from socialsim.world import build_world
from socialsim.world.union import EntityRuns, union_of_worlds

SEEDS = (11, 12, 13)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    return ModelConfig.small()


@pytest.fixture(scope="module")
def worlds(config):
    return [build_world(config, np.random.default_rng(seed)) for seed in SEEDS]


@pytest.fixture(scope="module")
def union(worlds):
    return union_of_worlds(worlds)


def dense(matrix) -> np.ndarray:
    return sparse.csr_array(matrix).toarray()


def test_the_worlds_differ_so_that_the_checks_below_can_tell_runs_apart(worlds):
    a, b = worlds[0], worlds[1]
    assert not np.array_equal(a.population.income, b.population.income)
    assert a.network.adjacency.nnz != b.network.adjacency.nnz
    assert not np.array_equal(a.catalogue.price, b.catalogue.price)


def test_each_run_s_consumers_are_its_world_s_consumers(worlds, union):
    world, layout = union
    assert world.n_consumers == sum(w.n_consumers for w in worlds)
    for k, w in enumerate(worlds):
        ids = layout.consumer.of_run(k)
        assert (layout.consumer.run_of(ids) == k).all()
        assert np.array_equal(layout.consumer.local_of(ids), np.arange(w.n_consumers))
        for field in ("tier", "income", "price_sensitivity", "online", "high_net_worth"):
            assert np.array_equal(
                getattr(world.population, field)[ids], getattr(w.population, field)
            )
        assert np.array_equal(world.role[ids], w.role)
        assert np.array_equal(world.pay_day[ids], w.pay_day)
        assert np.array_equal(world.platforms.initial_users[ids], w.platforms.initial_users)
        cities = layout.city.global_of(k, w.population.city)
        assert np.array_equal(world.population.city[ids], cities)
        for c in range(w.population.n_cities):
            g = int(layout.city.global_of(k, c))
            residents = world.population.city_order[
                world.population.city_start[g] : world.population.city_start[g]
                + world.population.city_size[g]
            ]
            lo, size = w.population.city_start[c], w.population.city_size[c]
            assert np.array_equal(residents, ids[w.population.city_order[lo : lo + size]])
            assert world.population.city_tier[g] == w.population.city_tier[c]


def test_each_run_s_block_of_the_graph_is_its_graph_and_no_tie_crosses_runs(worlds, union):
    world, layout = union
    adjacency = world.network.adjacency
    rows = np.repeat(np.arange(adjacency.shape[0]), np.diff(adjacency.indptr))
    assert np.array_equal(layout.consumer.run[rows], layout.consumer.run[adjacency.indices])
    strong = sparse.csr_array(
        (world.network.strong.astype(np.float32), adjacency.indices, adjacency.indptr),
        shape=adjacency.shape,
    )
    for k, w in enumerate(worlds):
        ids = layout.consumer.of_run(k)
        block = dense(adjacency[ids][:, ids])
        assert np.array_equal(block, dense(w.network.adjacency))
        own = sparse.csr_array(
            (
                w.network.strong.astype(np.float32),
                w.network.adjacency.indices,
                w.network.adjacency.indptr,
            ),
            shape=w.network.adjacency.shape,
        )
        assert np.array_equal(dense(strong[ids][:, ids]), dense(own))
        communities = layout.community.global_of(k, w.network.community)
        assert np.array_equal(world.network.community[ids], communities)


def test_creators_keep_kols_first_and_each_its_followers(worlds, union):
    world, layout = union
    infl = world.influencers
    n_kols = sum(w.influencers.n_kols for w in worlds)
    assert infl.n_kols == n_kols
    assert (infl.kind[:n_kols] == InfluencerKind.KOL).all()
    assert (infl.kind[n_kols:] != InfluencerKind.KOL).all()
    kol_platform = []
    for k, w in enumerate(worlds):
        consumers = layout.consumer.of_run(k)
        creators = layout.creator.of_run(k)
        assert (layout.creator.run_of(creators) == k).all()
        for field in ("kind", "segment", "focus_tier", "post_rate", "post_reach"):
            assert np.array_equal(getattr(infl, field)[creators], getattr(w.influencers, field))
        own = w.influencers.consumer
        expected = np.where(own >= 0, layout.consumer.global_of(k, np.maximum(own, 0)), -1)
        assert np.array_equal(infl.consumer[creators], expected)
        for matrix in ("follows", "prospects"):
            mine = getattr(infl, matrix)[creators]
            assert np.array_equal(dense(mine[:, consumers]), dense(getattr(w.influencers, matrix)))
            assert mine.nnz == getattr(w.influencers, matrix).nnz  # nothing outside the block
        kol_platform.append(w.platforms.kol_platform)
    assert np.array_equal(world.platforms.kol_platform, np.concatenate(kol_platform))


def test_products_stay_consecutive_by_category_and_keep_their_brand(worlds, union):
    world, layout = union
    cat = world.catalogue
    assert (np.diff(cat.category) >= 0).all()
    for c in range(cat.n_categories):
        lo, size = cat.category_start[c], cat.category_size[c]
        assert (cat.category[lo : lo + size] == c).all()
    for k, w in enumerate(worlds):
        products = layout.product.of_run(k)
        for field in ("category", "price", "quality", "cross_border", "tax_rate", "made_to_order"):
            assert np.array_equal(getattr(cat, field)[products], getattr(w.catalogue, field))
        brands = layout.brand.of_run(k)
        assert np.array_equal(cat.brand[products], brands[w.catalogue.brand])
        for field in ("positioning", "origin", "category", "exports", "named"):
            assert np.array_equal(getattr(world.brands, field)[brands], getattr(w.brands, field))
        assert np.array_equal(world.brands.channel[:, brands], w.brands.channel)
        assert [world.brands.names[b] for b in brands] == list(w.brands.names)


def test_stores_and_daigou_are_their_run_s_consumers(worlds, union):
    world, layout = union
    assert (np.diff(world.daigou.shopper) > 0).all()  # still sorted
    for k, w in enumerate(worlds):
        consumers = layout.consumer.of_run(k)
        stores = layout.store.of_run(k)
        assert np.array_equal(world.stores.owner[stores], consumers[w.stores.owner])
        shoppers = layout.daigou.of_run(k)
        assert np.array_equal(world.daigou.shopper[shoppers], consumers[w.daigou.shopper])
        clients = world.daigou.clients[shoppers]
        assert np.array_equal(dense(clients[:, consumers]), dense(w.daigou.clients))
        assert clients.nnz == w.daigou.clients.nnz


def test_a_union_of_one_world_is_that_world(worlds):
    w = worlds[0]
    one, layout = union_of_worlds([w])
    assert layout.n_runs == 1
    assert np.array_equal(layout.product.members, np.arange(w.catalogue.n_products))
    assert np.array_equal(layout.creator.members, np.arange(w.influencers.n))
    for part in (
        "population",
        "network",
        "influencers",
        "stores",
        "daigou",
        "catalogue",
        "platforms",
        "brands",
    ):
        mine, theirs = getattr(one, part), getattr(w, part)
        for name, value in vars(theirs).items():
            other = getattr(mine, name)
            if sparse.issparse(value):
                for array in ("data", "indices", "indptr"):
                    assert np.array_equal(getattr(other, array), getattr(value, array)), name
            elif isinstance(value, np.ndarray):
                assert np.array_equal(other, value), f"{part}.{name}"
                assert other.dtype == value.dtype, f"{part}.{name}"
            else:
                assert other == value, f"{part}.{name}"


def test_worlds_of_different_configs_or_user_graphs_are_refused(config, worlds):
    other = build_world(config.with_overrides({"network.mean_degree": 8}), np.random.default_rng(1))
    with pytest.raises(ValueError, match="run 1's world is built from another config"):
        union_of_worlds([worlds[0], other])
    graph = nx.relabel_nodes(
        nx.watts_strogatz_graph(config.population.n_consumers, 6, 0.1, seed=2), str
    )
    with pytest.raises(ValueError, match="user's graph"):
        union_of_worlds([build_world(config, np.random.default_rng(1), graph=graph)])
    with pytest.raises(ValueError, match="at least one world"):
        union_of_worlds([])


def test_a_layout_refuses_a_local_index_given_twice():
    with pytest.raises(ValueError, match="once each"):
        EntityRuns.from_order(np.array([0, 0]), np.array([1, 1]), np.array([2]))
    with pytest.raises(ValueError, match="once each"):
        EntityRuns.from_order(np.array([0, 0]), np.array([0, 2]), np.array([2]))
