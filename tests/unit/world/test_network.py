"""Social graph: degree, structure by tier, reproducibility, user graphs."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.world import build_population, build_world, generate_social_network
from socialsim.world.network import _block_pairs, social_network_from_edges
from tests.conftest import rng


@pytest.fixture(scope="module")
def world():
    cfg = ModelConfig().with_overrides({"population.n_consumers": 20_000})
    return build_world(cfg, rng(5))


def test_graph_is_simple_and_symmetric(world):
    adj = world.network.adjacency
    assert adj.shape == (20_000, 20_000)
    assert (adj - adj.T).count_nonzero() == 0
    assert adj.diagonal().sum() == 0
    assert adj.has_canonical_format
    assert adj.indices.dtype == np.int32


def test_mean_degree_near_config(world):
    degree = world.network.degree()
    assert degree.mean() == pytest.approx(world.config.network.mean_degree, rel=0.08)


def test_strong_ties_are_inside_communities_and_weak_ties_weigh_less(world):
    net = world.network
    rows = np.repeat(np.arange(net.n), np.diff(net.adjacency.indptr))
    cols = net.adjacency.indices
    strong = net.strong
    assert np.all(net.community[rows[strong]] == net.community[cols[strong]])
    assert np.all(net.adjacency.data[strong] == 1.0)
    assert np.allclose(net.adjacency.data[~strong], world.config.network.weak_tie_weight)
    share_strong = strong.mean()
    # about (1 - weak share) * mean community share of ties are strong
    assert 0.45 < share_strong < 0.8


def test_communities_nest_in_cities(world):
    net, pop = world.network, world.population
    frame = np.unique(np.stack([net.community, pop.city]), axis=1)
    assert np.unique(frame[0]).size == frame.shape[1]  # each community in exactly one city


def _tier_clustering(world, tier):
    graph = world.to_networkx()
    nodes = [n for n, t in graph.nodes(data="tier") if t == tier]
    sample = np.random.default_rng(0).choice(nodes, size=min(800, len(nodes)), replace=False)
    return nx.average_clustering(graph, nodes=sample.tolist())


def _community_density(world, tier):
    net, pop = world.network, world.population
    rows = np.repeat(np.arange(net.n), np.diff(net.adjacency.indptr))
    in_tier = pop.tier[rows] == tier
    strong_edges = np.count_nonzero(net.strong & in_tier) / 2
    sizes = np.bincount(net.community[pop.tier == tier])
    sizes = sizes[sizes > 0]
    pairs = (sizes * (sizes - 1) / 2).sum()
    return strong_edges / pairs


def test_lower_tiers_are_more_clustered_and_denser_than_tier_one(world):
    c1, c6 = _tier_clustering(world, 1), _tier_clustering(world, 6)
    assert c6 > 1.5 * c1
    assert _community_density(world, 6) > 2 * _community_density(world, 1)
    # clustering rises steadily down the tiers
    assert _tier_clustering(world, 4) > c1


def test_same_seed_gives_the_same_edges():
    cfg = ModelConfig.small()
    pop = build_population(cfg.population, rng(3))
    a = generate_social_network(pop, cfg.network, rng(4))
    b = generate_social_network(pop, cfg.network, rng(4))
    c = generate_social_network(pop, cfg.network, rng(5))
    assert np.array_equal(a.adjacency.indices, b.adjacency.indices)
    assert np.array_equal(a.adjacency.indptr, b.adjacency.indptr)
    assert np.array_equal(a.strong, b.strong)
    assert not (
        a.adjacency.nnz == c.adjacency.nnz
        and np.array_equal(a.adjacency.indices, c.adjacency.indices)
    )


def test_block_pairs_give_gnp_edge_density():
    # 400 blocks of 30 with target degree 6: p = 6/29, expected edges p * 435 per block
    start = np.arange(400) * 30
    size = np.full(400, 30)
    u, v = _block_pairs(start, size, np.full(400, 6.0), rng(9))
    keep = u != v
    lo, hi = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    edges = np.unique(lo * 12_000 + hi).size
    expected = 400 * 435 * 6 / 29
    sd = np.sqrt(400 * 435 * (6 / 29) * (1 - 6 / 29))
    assert abs(edges - expected) < 4 * sd
    assert np.all(lo // 30 == hi // 30)  # no pair crosses blocks


def test_repeated_pairs_collapse_and_strong_wins():
    net = social_network_from_edges(
        3,
        np.array([0, 1, 0, 2, 2]),
        np.array([1, 0, 1, 2, 1]),
        np.array([False, True, False, True, False]),
        weak_tie_weight=0.3,
        community=np.zeros(3, int),
    )
    assert net.n_edges == 2  # 0-1 (three copies) and 1-2; the self-loop 2-2 is dropped
    assert net.strong_ties(0).tolist() == [1]
    assert net.friends(2).tolist() == [1]
    assert net.adjacency[1, 2] == pytest.approx(0.3)


def test_user_graph_replaces_generated_one():
    graph = nx.karate_club_graph()
    for node in graph:
        graph.nodes[node]["tier"] = 1 if node < 17 else 6
        graph.nodes[node]["city"] = "big" if node < 17 else "town"
    cfg = ModelConfig.small(34).with_overrides(
        {"influencers.n_kols": 1, "influencers.n_kocs": 2, "stores.n_owners": 1}
    )
    world = build_world(cfg, rng(1), graph=graph)
    assert world.network.n_edges == graph.number_of_edges()
    assert world.population.tier.tolist() == [graph.nodes[n]["tier"] for n in graph]
    back = world.to_networkx()
    assert nx.utils.graphs_equal(nx.Graph(back.edges()), nx.Graph(graph.edges()))
    assert back.nodes[0]["tier"] == 1 and back.nodes[33]["tier"] == 6
    assert back.nodes[5]["label"] == 5


def test_user_graph_with_other_labels_and_weights():
    graph = nx.Graph()
    graph.add_edge("ann", "bo", tie="weak", weight=0.5)
    graph.add_edge("bo", "cy")
    cfg = ModelConfig.small().with_overrides(
        {
            "population.n_consumers": 3,
            "influencers.n_kols": 0,
            "influencers.n_kocs": 0,
            "stores.n_owners": 0,
            "network.mean_degree": 1,
            "population.min_city_size": 1,
        }
    )
    with pytest.raises(ValueError, match="weight"):
        build_world(cfg, rng(), graph=graph)  # weight on some edges only: all or none
    graph["bo"]["cy"]["weight"] = 1.0
    world = build_world(cfg, rng(), graph=graph)
    assert world.labels == ("ann", "bo", "cy")
    assert world.network.adjacency[0, 1] == pytest.approx(0.5)
    assert not world.network.strong_ties(0).size


def test_user_graph_tiers_are_checked_and_tier_count_comes_from_config():
    cfg = ModelConfig.small().with_overrides(
        {
            "population.n_consumers": 4,
            "network.mean_degree": 1,
            "influencers.n_kols": 0,
            "influencers.n_kocs": 0,
            "stores.n_owners": 0,
            "population.min_city_size": 1,
        }
    )
    graph = nx.path_graph(4)
    for bad, message in (
        (2.7, "whole number in 1..6, got 2.7"),
        ("2", "whole number"),
        (9, "must be in 1..6 (population.tiers), got 9"),
    ):
        nx.set_node_attributes(graph, 1, "tier")
        graph.nodes[3]["tier"] = bad
        with pytest.raises(ValueError, match=re.escape(message)):
            build_world(cfg, rng(), graph=graph)
    nx.set_node_attributes(graph, 1, "tier")
    world = build_world(cfg, rng(), graph=graph)
    assert world.population.n_tiers == 6
    assert world.population.tier_counts().tolist() == [4, 0, 0, 0, 0, 0]


def test_building_from_edges_does_not_freeze_the_callers_arrays():
    community = np.zeros(3, dtype=np.int32)
    social_network_from_edges(
        3, np.array([0]), np.array([1]), np.array([True]), weak_tie_weight=0.3, community=community
    )
    community[0] = 5  # still writable


def test_user_graph_size_must_match():
    cfg = ModelConfig.small(100)
    with pytest.raises(ValueError, match=r"set population\.n_consumers=10"):
        build_world(cfg, rng(), graph=nx.path_graph(10))


def test_strong_adjacency_holds_the_strong_ties_in_order(world):
    from scipy import sparse

    from socialsim._csr import entry_rows

    net = world.network
    adj = net.adjacency
    rows, keep = entry_rows(adj.indptr), net.strong
    built = sparse.csr_array(
        (np.ones(int(keep.sum()), np.float32), (rows[keep], adj.indices[keep])), shape=adj.shape
    )
    strong = net.strong_adjacency()
    assert np.array_equal(strong.indptr, built.indptr)
    assert np.array_equal(strong.indices, built.indices)
    assert strong.nnz == int(keep.sum()) > 0 and (strong.data == 1).all()
    for i in (0, 7, world.n_consumers - 1):
        assert set(strong.indices[strong.indptr[i] : strong.indptr[i + 1]]) == set(
            net.strong_ties(i).tolist()
        )
