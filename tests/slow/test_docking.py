"""Docking at scale (pytest -m slow): Bass, Independent Cascade and network Bass, larger and longer.

The fast versions are in tests/integration/test_docking.py; the tolerances
are the same 4 standard errors (about 1.6e-3 familywise over 25 steps).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from socialsim.validation.docking import (
    bass_expectation,
    bass_recursion,
    bass_runs,
    cascade_sizes,
    continuous_bass,
    giant_component_spread,
    network_bass_bounds,
)

pytestmark = pytest.mark.slow

P, Q = 0.03, 0.38
Z = 4.0


@pytest.mark.parametrize(("substeps", "steps"), [(1, 25), (10, 10)])
def test_bass_with_a_thousand_consumers_matches_the_exact_expectation(substeps, steps):
    # 1,000 consumers, 50 replications: about 1.5 minutes for 25 periods, 2.5 for 10
    # periods of 10 sub-steps (2,000 consumers take four times as long).
    n, replications = 1000, 50
    runs = bass_runs(n, P, Q, steps, replications, seed=31, substeps=substeps)
    mean, sd = bass_expectation(n, P, Q, steps, substeps=substeps)
    observed = runs.mean(axis=0)
    se = sd / math.sqrt(replications)
    ok = np.abs(observed - mean) <= Z * se
    assert ok.all(), np.flatnonzero(~ok)
    # The exact mean lags the recursion by under 2 / n (1.8 / n measured), so the model
    # also matches the recursion at this size ...
    recursion = bass_recursion(P, Q, steps, substeps=substeps)
    assert np.all(np.abs(observed - recursion) <= Z * se + 2 / n)
    # ... and, with sub-steps, the continuous curve up to Euler's error (0.0072 at k = 10).
    if substeps > 1:
        euler = np.max(np.abs(recursion - continuous_bass(P, Q, np.arange(steps + 1))))
        assert euler < 0.08 / substeps
        assert np.all(
            np.abs(observed - continuous_bass(P, Q, np.arange(steps + 1))) <= Z * se + 2 / n + euler
        )


def test_cascade_on_a_large_erdos_renyi_graph_matches_giant_component_theory():
    # 300 runs, each on a fresh G(10,000, 4 / 10,000) from one random seed: about 2.5 minutes.
    n, c, p, runs = 10_000, 4.0, 0.5, 300
    s, limit = giant_component_spread(n, c, p)
    draw = np.random.default_rng(2010)
    sizes = np.empty(runs)
    for r in range(runs):
        graph = nx.fast_gnp_random_graph(n, c / n, seed=int(draw.integers(2**31)))
        sizes[r] = cascade_sizes(graph, [int(draw.integers(n))], p, runs=1, seed=r)[0]

    # n s^2 leaves out the seeds outside the giant: their mean cluster is 1 / (1 - c p (1 - s))
    dual = c * p * (1 - s)
    allowance = (1 - s) / (1 - dual)
    assert abs(sizes.mean() - limit) <= Z * sizes.std(ddof=1) / math.sqrt(runs) + allowance
    giant = sizes > n / 10
    assert abs(giant.mean() - s) <= Z * math.sqrt(s * (1 - s) / runs)
    # The giant's share has SD sqrt(s (1 - s) / n) / (1 - c p (1 - s)) = 0.007 per run.
    assert sizes[giant].mean() / n == pytest.approx(s, abs=0.007)
    small = sizes[~giant]
    assert abs(small.mean() - 1 / (1 - dual)) <= Z * math.sqrt(dual / (1 - dual) ** 3 / small.size)


SPARSE_GRAPHS = {
    "random-regular-4": lambda: nx.random_regular_graph(4, 5000, seed=8),
    "ring-lattice-4": lambda: nx.watts_strogatz_graph(5000, 4, 0.0, seed=8),
}


@pytest.mark.parametrize("name", list(SPARSE_GRAPHS))
def test_network_bass_lies_between_silence_and_the_mean_field_on_sparse_graphs(name):
    # Fibich and Gibori (2010): adoption on a sparse graph lags the mean field; and word
    # of mouth still speeds it up, far beyond the same world with q = 0.
    steps, replications = 25, 30
    bounds = network_bass_bounds(SPARSE_GRAPHS[name](), P, Q, steps, replications, seed=9)
    assert bounds.no_faster_than_mean_field() and bounds.faster_than_silent()
    runs = bounds.network
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / math.sqrt(replications)
    mean_field = bass_recursion(P, Q, steps)
    assert np.all(mean <= mean_field + Z * se)
    half = int(np.argmax(mean_field >= 0.5))
    assert mean[half] < mean_field[half] - Z * se[half]


def test_bass_at_100_000_consumers_over_replications():
    # Five runs of 100,000: each within 0.01 of the recursion, and their mean within
    # 0.005 (the O(1/n) lag of the stochastic process is 2e-5 here).
    steps, replications = 30, 5
    runs = bass_runs(
        100_000, P, Q, steps=steps, replications=replications, seed=9, mixing="population"
    )
    recursion = bass_recursion(P, Q, steps)
    assert np.abs(runs - recursion).max() <= 0.01
    assert np.abs(runs.mean(axis=0) - recursion).max() <= 0.005
