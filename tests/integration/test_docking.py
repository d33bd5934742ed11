"""Docking: the model reduced to Bass and Independent Cascade gives their exact or limiting answers.

Every statistical check compares a mean over independent runs with a known
expectation, within 4 standard errors. For a check made at m points at once,
4 SE is a two-sided normal tail of 6.3e-5 per point, so about 1.6e-3 over the
25 steps of a Bass curve (Bonferroni): a correct model fails it about once in
600 seeds, and the seeds are fixed.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from scipy import sparse
from scipy.integrate import solve_ivp

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.mechanisms.needs import update_needs
from socialsim.mechanisms.word_of_mouth import friend_signals
from socialsim.state import NEVER
from socialsim.validation.docking import (
    MAX_COMPLETE_GRAPH,
    NetworkBassBounds,
    _bass_runs,
    bass_expectation,
    bass_recursion,
    bass_runs,
    cascade_sizes,
    continuous_bass,
    diffusion_config,
    giant_component_spread,
    network_bass_bounds,
    network_bass_runs,
)
from tests.conftest import rng

P, Q = 0.03, 0.38
Z = 4.0  # see the module docstring

# Complete mixing: 300 consumers, 30 replications of 25 periods (about 11 s).
N, STEPS, REPLICATIONS = 300, 25, 30


@pytest.fixture(scope="module")
def complete_runs() -> np.ndarray:
    return bass_runs(N, P, Q, steps=STEPS, replications=REPLICATIONS, seed=2024)


def within(observed: np.ndarray, expected: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Per step: whether the observed mean lies within Z standard errors of the expectation."""
    return np.abs(observed - expected) <= Z * se


# ------------------------------------------------------------------------ Bass: exact theory


def test_bass_expectation_for_one_consumer_is_a_geometric_waiting_time():
    # Alone, a consumer never sees an adopter: each period it adopts with chance p.
    p, steps = 0.2, 6
    mean, sd = bass_expectation(1, p, 0.5, steps)
    t = np.arange(steps + 1)
    adopted = 1 - (1 - p) ** t
    assert np.allclose(mean, adopted, atol=1e-12)
    assert np.allclose(sd, np.sqrt(adopted * (1 - adopted)), atol=1e-12)
    # k sub-steps, each with p / k
    mean, _ = bass_expectation(1, p, 0.5, steps, substeps=4)
    assert np.allclose(mean, 1 - (1 - p / 4) ** (4 * t), atol=1e-12)


def test_bass_expectation_is_a_non_decreasing_mean_with_a_non_negative_sd():
    mean, sd = bass_expectation(50, P, Q, 40)
    assert mean[0] == 0 and sd[0] == 0
    assert np.all(np.diff(mean) >= 0)
    assert np.all(sd >= 0)
    assert 0.99 < mean[-1] <= 1.0 + 1e-12
    # the spread peaks mid-diffusion and vanishes as everyone adopts
    assert 0 < sd[-1] < sd.max() / 10


def test_bass_expectation_tends_to_the_recursion_like_one_over_n():
    # The exact mean lags the mean-field recursion by O(1/n) (the variance of A slows
    # imitation): measured n * gap = 1.79 at both n = 300 and n = 1,200. So matching
    # the expectation means matching the recursion as n grows.
    recursion = bass_recursion(P, Q, STEPS)
    gaps = {}
    for n in (300, 1200):
        mean, _ = bass_expectation(n, P, Q, STEPS)
        assert np.all(mean <= recursion + 1e-12)  # the lag is one-sided
        gaps[n] = float(np.max(recursion - mean))
        assert gaps[n] < 2 / n
    assert gaps[300] / gaps[1200] == pytest.approx(4, rel=0.05)


# ------------------------------------------------------------------------ Bass: the model


def test_innovation_alone_adopts_with_chance_p_each_period():
    # No ties and q = 0: every consumer waits a geometric time, F_t = 1 - (1 - p)^t,
    # here over 40,000 independent consumers (4 SE is about 0.003).
    n, replications, steps = 10_000, 4, 5
    runs = network_bass_runs(nx.empty_graph(n), P, 0.0, steps, replications, seed=3)
    adopted = 1 - (1 - P) ** np.arange(steps + 1)
    se = np.sqrt(adopted * (1 - adopted) / (n * replications))
    assert within(runs.mean(axis=0), adopted, se).all()


def test_complete_mixing_matches_the_exact_finite_n_expectation(complete_runs):
    assert complete_runs.shape == (REPLICATIONS, STEPS + 1)
    assert np.all(complete_runs[:, 0] == 0)
    assert np.all(np.diff(complete_runs, axis=1) >= 0)  # nobody un-adopts
    mean, sd = bass_expectation(N, P, Q, STEPS)
    observed = complete_runs.mean(axis=0)
    ok = within(observed, mean, sd / math.sqrt(REPLICATIONS))
    assert ok.all(), np.flatnonzero(~ok)


def test_a_wrong_imitation_coefficient_fails_the_same_tolerance(complete_runs):
    # Negative control: the check has teeth. q = 0.30 instead of 0.38 misses by
    # about 20 SE around the inflection point.
    _, sd = bass_expectation(N, P, Q, STEPS)
    se = sd / math.sqrt(REPLICATIONS)
    observed = complete_runs.mean(axis=0)
    assert not within(observed, bass_recursion(P, 0.30, STEPS), se).all()
    assert not within(observed, bass_expectation(N, P, 0.30, STEPS)[0], se).all()


@pytest.mark.slow  # 10 s; tests/slow/test_docking.py docks substeps at 1,000 consumers too
def test_substeps_match_the_exact_expectation_with_split_coefficients():
    n, steps, substeps, replications = 200, 8, 4, 30
    runs = bass_runs(n, P, Q, steps=steps, replications=replications, seed=7, substeps=substeps)
    mean, sd = bass_expectation(n, P, Q, steps, substeps=substeps)
    ok = within(runs.mean(axis=0), mean, sd / math.sqrt(replications))
    assert ok.all(), np.flatnonzero(~ok)


def test_recursion_with_substeps_converges_to_the_continuous_curve_at_first_order():
    # Euler's method: the error falls like 1 / k (0.071 at k = 1, 0.0036 at k = 20).
    steps = 25
    exact = continuous_bass(P, Q, np.arange(steps + 1))
    error = {
        k: float(np.max(np.abs(bass_recursion(P, Q, steps, substeps=k) - exact)))
        for k in (1, 5, 20)
    }
    assert error[20] < 0.005
    assert error[1] / error[20] == pytest.approx(20, rel=0.2)
    assert error[1] > error[5] > error[20]


def test_continuous_bass_is_the_closed_form_and_solves_the_bass_ode():
    t = np.array([0.0, 1.0, 5.0, 10.0, 30.0])
    e = np.exp(-(P + Q) * t)
    assert np.allclose(continuous_bass(P, Q, t), (1 - e) / (1 + Q / P * e), rtol=0, atol=1e-15)
    assert float(continuous_bass(P, Q, 0.0)) == 0.0
    # near 0 the slope is p (only innovators), and F tends to 1
    assert float(continuous_bass(P, Q, 1e-6)) == pytest.approx(P * 1e-6, rel=1e-5)
    assert float(continuous_bass(P, Q, 200.0)) == pytest.approx(1.0, abs=1e-12)

    grid = np.linspace(0, 30, 61)
    ode = solve_ivp(
        lambda _, f: (P + Q * f) * (1 - f), (0, 30), [0.0], t_eval=grid, rtol=1e-10, atol=1e-12
    )
    assert np.max(np.abs(ode.y[0] - continuous_bass(P, Q, grid))) < 1e-6


# ------------------------------------------------------------------------ Bass at scale


def test_bass_docks_at_100_000_consumers_under_population_mixing():
    # No graph: every consumer's social proof is the adopted share of all 100,000.
    # One run's curve stays within 0.01 of the recursion at every period (measured
    # 0.006 at seed 1: the early periods' binomial noise shifts the curve in time).
    steps = 30
    runs = bass_runs(100_000, P, Q, steps=steps, replications=1, seed=1, mixing="population")
    error = np.abs(runs[0] - bass_recursion(P, Q, steps))
    assert error.max() <= 0.01, error.max()
    assert runs[0, -1] > 0.99
    # Negative control: the same tolerance rejects the recursion of a wrong imitation
    # coefficient (q = 0.34 instead of 0.38 is 0.03 away at the steepest period).
    assert np.abs(runs[0] - bass_recursion(P, 0.34, steps)).max() > 0.01


def test_population_mixing_matches_the_exact_finite_n_expectation():
    # The same process as on the complete graph, with share A / n instead of q scaled.
    n, replications = 400, 16
    runs = bass_runs(n, P, Q, steps=STEPS, replications=replications, seed=8, mixing="population")
    mean, sd = bass_expectation(n, P, Q, STEPS)
    ok = within(runs.mean(axis=0), mean, sd / math.sqrt(replications))
    assert ok.all(), np.flatnonzero(~ok)
    # and not that of another imitation coefficient
    wrong, _ = bass_expectation(n, P, 0.30, STEPS)
    assert not within(runs.mean(axis=0), wrong, sd / math.sqrt(replications)).all()


# ------------------------------------------------------------------------ Bass on networks


def test_network_bass_is_no_faster_than_the_mean_field_and_faster_than_silence():
    # Fibich and Gibori (2010): on a sparse graph a non-adopter's neighbours are adopters
    # less often than the population is, so adoption lags the mean-field curve. The
    # lag is real: where the mean field passes 0.5 the network is far more than 4 SE behind.
    # And word of mouth does work on the graph: the same world with q = 0 is far slower.
    graph = nx.random_regular_graph(4, 1000, seed=3)
    steps, replications = 25, 12
    bounds = network_bass_bounds(graph, P, Q, steps=steps, replications=replications, seed=5)
    runs = bounds.network
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / math.sqrt(replications)
    mean_field = bass_recursion(P, Q, steps)
    assert np.all(mean <= mean_field + Z * se)
    half = int(np.argmax(mean_field >= 0.5))
    assert mean[half] < mean_field[half] - Z * se[half]
    assert bounds.no_faster_than_mean_field() and bounds.ahead_of_mean_field < 0
    # silence: innovation only, 1 - (1 - p)^t within 4 SE (40 s = 12,000 consumer draws)
    silent = bounds.silent.mean(axis=0)
    alone = 1 - (1 - P) ** np.arange(steps + 1)
    assert within(silent, alone, np.sqrt(alone * (1 - alone) / (1000 * replications))).all()
    assert bounds.faster_than_silent() and bounds.lead_over_silent > 10
    assert bounds.largest_gain > 0.2


def test_the_two_sided_network_check_fails_both_ways():
    graph = nx.random_regular_graph(4, 600, seed=4)
    steps, replications = 15, 4
    # Word of mouth off: the network world is the silent world, not faster than it.
    off = network_bass_bounds(graph, P, 0.0, steps=steps, replications=replications, seed=2)
    assert np.array_equal(off.network, off.silent)
    assert not off.faster_than_silent() and off.lead_over_silent == 0.0
    assert off.no_faster_than_mean_field()
    # A bug that counts buying friends instead of taking their share (each of the four
    # worth q) runs far ahead of the mean field: the upper bound fails.
    counted = _bass_runs(graph, P, Q, steps, replications, 2, 1, False, social_proof="count")
    wrong = NetworkBassBounds(counted, off.silent, bass_recursion(P, Q, steps))
    assert wrong.faster_than_silent()
    assert not wrong.no_faster_than_mean_field() and wrong.ahead_of_mean_field > 10


# ------------------------------------------------------------------------ Independent Cascade


def test_cascade_along_a_path_reaches_one_plus_p_plus_p_squared():
    # 0 - 1 - 2 from 0: node 1 with chance p, node 2 with p^2. Each run holds 100
    # disjoint copies of the path, each seeded at its end: independent cascades, so one
    # model run gives 100 draws of the spread.
    p, copies, runs = 0.5, 100, 20
    graph = nx.disjoint_union_all([nx.path_graph(3)] * copies)
    sizes = cascade_sizes(graph, range(0, 3 * copies, 3), p, runs=runs, seed=1)
    expected = copies * (1 + p + p * p)
    se = sizes.std(ddof=1) / math.sqrt(runs)
    # 4 SE is under 0.1 nodes per path: one hop only (1 + p = 1.5 per path) or a
    # two-day window (two chances each: 1 + 0.75 + 0.75^2 = 2.3) would be far outside
    assert abs(sizes.mean() - expected) <= Z * se
    assert Z * se / copies < 0.1


def test_cascade_from_a_star_centre_reaches_each_leaf_with_chance_p():
    p, leaves, runs = 0.3, 400, 30
    sizes = cascade_sizes(nx.star_graph(leaves), [0], p, runs=runs, seed=2)
    se = sizes.std(ddof=1) / math.sqrt(runs)
    assert abs(sizes.mean() - (1 + leaves * p)) <= Z * se
    # the hazard weight -ln(1 - p) matters: a weight of p would give 1 - e^-p = 0.26
    assert Z * se < leaves * (p - (1 - math.exp(-p)))


def test_each_adopting_friend_is_one_independent_chance():
    # K(3, 300) seeded on the 3 side: each of the 300 sees 3 adopters and adopts with
    # 1 - (1 - p)^3 (social proof as a count). As a share it would see 1, chance p.
    p, seeds, targets, runs = 0.3, 3, 300, 20
    sizes = cascade_sizes(
        nx.complete_bipartite_graph(seeds, targets), range(seeds), p, runs=runs, seed=3
    )
    chance = 1 - (1 - p) ** seeds
    expected = seeds + targets * chance
    se = math.sqrt(targets * chance * (1 - chance) / runs)  # binomial: exact
    assert abs(sizes.mean() - expected) <= Z * se
    assert abs(sizes.std(ddof=1) ** 2 / (targets * chance * (1 - chance)) - 1) < 0.8


def test_certain_cascade_fills_the_seed_component_and_nothing_beyond():
    # two components, 30 and 20 nodes; edge attributes (weights, weak ties) are ignored
    graph = nx.disjoint_union(nx.random_regular_graph(3, 30, seed=1), nx.cycle_graph(20))
    nx.set_edge_attributes(graph, 0.01, "weight")
    assert cascade_sizes(graph, [0], 1.0, runs=2, seed=1).tolist() == [30, 30]
    assert cascade_sizes(graph, [35], 1.0, runs=2, seed=1).tolist() == [20, 20]
    assert cascade_sizes(graph, [0, 35], 1.0, runs=1, seed=1).tolist() == [50]


def test_impossible_cascade_stays_at_the_seeds():
    graph = nx.complete_graph(40)
    assert cascade_sizes(graph, [3, 7, 7], 0.0, runs=3, seed=1).tolist() == [2, 2, 2]
    assert cascade_sizes(graph, [], 0.5, runs=2, seed=1).tolist() == [0, 0]


def test_seeds_may_be_any_node_labels():
    graph = nx.relabel_nodes(nx.path_graph(5), {i: f"v{i}" for i in range(5)})
    graph.add_node(("lone", 1))
    assert cascade_sizes(graph, ["v4"], 1.0, runs=2, seed=1).tolist() == [5, 5]
    assert cascade_sizes(graph, [("lone", 1)], 1.0, runs=1, seed=1).tolist() == [1]
    # two string seeds and p = 0: exactly the seeds
    assert cascade_sizes(graph, ["v0", "v1"], 0.0, runs=1, seed=1).tolist() == [2]


@pytest.mark.slow
def test_cascade_on_erdos_renyi_matches_giant_component_theory():
    # One random seed on G(n, c/n): the spread is the seed's cluster in G(n, c p / n).
    # A fresh graph and seed node for every run, so runs are independent draws.
    n, c, p, runs = 2000, 4.0, 0.5, 80
    s, limit = giant_component_spread(n, c, p)  # s = 0.797, n s^2 = 1270
    draw = np.random.default_rng(11)
    sizes = np.empty(runs)
    for r in range(runs):
        graph = nx.fast_gnp_random_graph(n, c / n, seed=int(draw.integers(2**31)))
        seed_node = int(draw.integers(n))
        sizes[r] = cascade_sizes(graph, [seed_node], p, runs=1, seed=r)[0]

    # The spread is bimodal (SD about n s sqrt(s (1 - s)) = 640); n s^2 leaves out the
    # seeds outside the giant, whose clusters are the dual (subcritical) graph's with
    # mean degree c p (1 - s): mean size 1 / (1 - c p (1 - s)) = 1.7. Other finite-n
    # terms are O(1) nodes too, against 4 SE of about 290.
    small_mean = 1 / (1 - c * p * (1 - s))
    allowance = (1 - s) * small_mean
    assert abs(sizes.mean() - limit) <= Z * sizes.std(ddof=1) / math.sqrt(runs) + allowance

    # Sharper: a run reaches the giant with chance s, and then covers a share s of n
    # (the giant's size has SD sqrt(n s (1 - s)) / (1 - c p (1 - s)) = 30 nodes).
    giant = sizes > n / 10
    assert abs(giant.mean() - s) <= Z * math.sqrt(s * (1 - s) / runs)
    assert sizes[giant].mean() / n == pytest.approx(s, abs=0.03)
    # The others stay small: Borel-distributed with mean 1.7 and variance
    # lambda / (1 - lambda)^3 for lambda = c p (1 - s).
    dual = c * p * (1 - s)
    small = sizes[~giant]
    assert small.size >= 5
    assert abs(small.mean() - small_mean) <= Z * math.sqrt(dual / (1 - dual) ** 3 / small.size)


# ------------------------------------------------------------------------ errors, seeds


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_consumers": MAX_COMPLETE_GRAPH + 1}, "n_consumers must be in 2"),
        ({"n_consumers": 1}, "n_consumers must be in 2"),
        ({"p": 0.7, "q": 0.4}, r"p \+ q <= 1"),
        ({"p": -0.01}, "0 <= p"),
        ({"replications": 0}, "replications must be a positive integer"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"steps": 400, "substeps": 10}, r"steps \* substeps must be below 3650"),
        ({"mixing": "star"}, "mixing must be 'complete_graph' or 'population'"),
    ],
)
def test_bass_runs_rejects_out_of_range_arguments(kwargs, message):
    args = {"n_consumers": 50} | kwargs
    with pytest.raises(ValueError, match=message):
        bass_runs(**args)


def test_graphs_and_seeds_that_the_model_cannot_take_are_rejected():
    with pytest.raises(ValueError, match="undirected"):
        network_bass_runs(nx.DiGraph(nx.path_graph(4)))
    with pytest.raises(ValueError, match="undirected"):
        cascade_sizes(nx.MultiGraph(nx.path_graph(4)), [0], 0.5)
    with pytest.raises(ValueError, match="seed 7 is not a node"):
        cascade_sizes(nx.path_graph(4), [0, 7], 0.5)
    with pytest.raises(ValueError, match="p must be in"):
        cascade_sizes(nx.path_graph(4), [0], 1.5)
    with pytest.raises(ValueError, match="runs must be a positive integer"):
        cascade_sizes(nx.path_graph(4), [0], 0.5, runs=0)
    with pytest.raises(ValueError, match="at least 2 nodes"):
        network_bass_runs(nx.empty_graph(1))


def test_a_seed_gives_the_same_runs_bit_for_bit_and_another_seed_others():
    first = bass_runs(60, steps=8, replications=3, seed=11)
    assert np.array_equal(first, bass_runs(60, steps=8, replications=3, seed=11))
    assert not np.array_equal(first, bass_runs(60, steps=8, replications=3, seed=12))
    # replications differ from each other
    assert not np.array_equal(first[0], first[1])

    ring = nx.cycle_graph(60)
    net = network_bass_runs(ring, steps=8, replications=2, seed=4)
    assert np.array_equal(net, network_bass_runs(ring, steps=8, replications=2, seed=4))
    assert not np.array_equal(net, network_bass_runs(ring, steps=8, replications=2, seed=5))

    star = nx.star_graph(200)
    sizes = cascade_sizes(star, [0], 0.5, runs=3, seed=5)
    assert np.array_equal(sizes, cascade_sizes(star, [0], 0.5, runs=3, seed=5))
    assert not np.array_equal(sizes, cascade_sizes(star, [0], 0.5, runs=3, seed=6))


# ------------------------------------------------------------------------ model options for docking


def test_durable_needs_never_reopen_after_a_purchase_but_may_lapse():
    # Rate 1 and patience 1 flip every cell: closed needs open, open ones lapse. In the
    # durable column a consumer who bought keeps a closed need closed. 40,000 rows span
    # several blocks of the need table.
    n = 40_000
    g = np.random.default_rng(5)
    need = g.random((n, 2)) < 0.3
    last = np.full((n, 2), NEVER, dtype=np.int32)
    bought = g.random((n, 2)) < 0.5
    last[bought] = g.integers(0, 50, int(bought.sum()))
    state = SimpleNamespace(need=need.copy(), last_purchase_step=last)
    opened, lapsed = update_needs(state, np.ones(2), 1.0, rng(1), durable=np.array([True, False]))
    expected = ~need
    stays_closed = bought[:, 0] & ~need[:, 0]
    expected[stays_closed, 0] = False
    assert np.array_equal(state.need, expected)
    assert lapsed == int(need.sum())
    assert opened == int((~need).sum() - stays_closed.sum())
    assert stays_closed.sum() > 10_000  # the rule was exercised


def test_durable_needs_open_at_their_rate_for_consumers_who_never_bought():
    n, rate = 20_000, 0.3
    last = np.full((n, 1), NEVER, dtype=np.int32)
    last[: n // 2] = 4
    state = SimpleNamespace(need=np.zeros((n, 1), dtype=bool), last_purchase_step=last)
    update_needs(state, np.array([rate]), 5.0, rng(2), durable=np.array([True]))
    assert not state.need[: n // 2].any()
    opened = state.need[n // 2 :].sum()
    assert abs(opened - n / 2 * rate) <= Z * math.sqrt(n / 2 * rate * (1 - rate))


def test_seed_adopters_only_before_the_first_step_and_within_range():
    cfg = diffusion_config(30, innovation=0.0, imitation=0.0)
    model = SocialCommerceModel(cfg, rng=1, graph=nx.cycle_graph(30))
    with pytest.raises(ValueError, match=r"consumers must be in 0\.\.29, got 30"):
        model.seed_adopters([0, 30])
    with pytest.raises(ValueError, match=r"consumers must be in 0\.\.29, got -1"):
        model.seed_adopters([-1])
    with pytest.raises(ValueError, match="category must be in"):
        model.seed_adopters([0], category=1)
    model.seed_adopters([4, 9, 9])
    state = model.state
    assert np.flatnonzero(state.customers()).tolist() == [4, 9]
    assert state.last_purchase_step[[4, 9], 0].tolist() == [0, 0]
    assert not state.need[[4, 9], 0].any()
    model.step()
    with pytest.raises(RuntimeError, match="before the first step"):
        model.seed_adopters([1])


def test_seed_adopters_are_seen_by_friends_from_day_one():
    # The Independent Cascade config with p = 1 on a ring: the seed's two neighbours
    # adopt on day 1, theirs on day 2: one ring step a day.
    cfg = diffusion_config(
        30,
        innovation=0.0,
        imitation=100.0,
        link="hazard",
        social_proof="count",
        window_days=1,
        online=False,
    )
    model = SocialCommerceModel(cfg, rng=1, graph=nx.cycle_graph(30))
    model.seed_adopters([0])
    counts = []
    for _ in range(3):
        model.step()
        counts.append(int(model.state.customers().sum()))
    assert counts == [3, 5, 7]


def test_social_count_is_the_tie_weighted_count_of_recent_buyers():
    # 0 is tied to 1 (weight 1), 2 (1) and 3 (0.5); 1 and 3 bought lately, 2 too long ago.
    rows, cols = [0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]
    weight = np.array([1.0, 1.0, 0.5, 1.0, 1.0, 0.5], np.float32)
    adjacency = sparse.csr_array((weight, (rows, cols)), shape=(4, 4))
    step = np.array([[NEVER], [9], [1], [8]], dtype=np.int32)
    product = np.array([[-1], [100], [200], [300]], dtype=np.int32)
    got = friend_signals(adjacency, step, product, 10, 7, np.array([0, 1]), np.array([0, 0]), rng())
    assert got.social_count.tolist() == [1.5, 0.0]
    assert got.social_share[0] == pytest.approx(1.5 / 2.5)


def test_diffusion_config_reduces_the_default_world():
    cfg = diffusion_config(
        100, innovation=0.1, imitation=0.4, link="hazard", social_proof="count", online=False
    )
    conversion = cfg.behaviour.conversion
    assert (conversion.link, conversion.social_proof) == ("hazard", "count")
    assert (conversion.base_search, conversion.social_proof_weight) == (0.1, 0.4)
    assert cfg.population.n_consumers == 100
    assert all(t.online_share == 0.0 for t in cfg.population.tiers.values())
    assert list(cfg.catalogue.categories) == ["product"]
    assert cfg.catalogue.categories["product"].durable
    assert isinstance(cfg, ModelConfig)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((10, 0.5, 0.7, 3), r"p \+ q <= 1"),
        ((0, 0.1, 0.1, 3), "n must be"),
        ((5, 0.1, 0.1, 0), "steps"),
    ],
)
def test_bass_expectation_rejects_chances_above_one_and_empty_counts(args, message):
    # p + q A / n above 1 is no chance: binom.pmf would give NaN and an IndexError.
    with pytest.raises(ValueError, match=message):
        bass_expectation(*args)
