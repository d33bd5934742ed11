"""Shared fixtures: small worlds that build and run in well under a second."""

from __future__ import annotations

import os

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel

TINY_WORLD = {
    "population.n_consumers": 400,
    "influencers.n_kols": 2,
    "influencers.n_kocs": 8,
    "stores.n_owners": 4,
    "daigou.n_shoppers": 0,
}
"""Dotted overrides for a 400-consumer world that runs a few days in a blink (sweep tests)."""

PRE_CALIBRATION = {
    "behaviour.budget_share": 0.07,
    "behaviour.conversion.price_weight": 1.0,
    "behaviour.conversion.base_feed_social": -1.0,
    "behaviour.conversion.base_search": -3.0,
    "behaviour.conversion.base_livestream": -1.5,
    "behaviour.conversion.offline_shift": -3.5,
}
"""The six coefficients as they were before the default world's calibration (issue 23).

Mechanism tests that measure an effect size on a default-like world (a
budget that binds, a feed that carries enough purchases) pin them, so that
they test the mechanism, not where the calibration happened to land.
"""


def assert_same_sweep_tables(found: str | os.PathLike, expected: str | os.PathLike) -> None:
    """Assert two sweep directories hold the same tables, bit for bit, but for the timing columns.

    Every table the expected sweep keeps is compared, in the order load_sweep reads it.
    """
    from socialsim.experiment import load_sweep
    from socialsim.experiment.plan import TIMING_COLUMNS

    a, b = load_sweep(found), load_sweep(expected)
    assert a.tables == b.tables
    for name in b.tables:
        x, y = a.table(name), b.table(name)
        if name == "runs":
            x, y = x.drop(columns=list(TIMING_COLUMNS)), y.drop(columns=list(TIMING_COLUMNS))
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)


@pytest.fixture(scope="session")
def small_config() -> ModelConfig:
    return ModelConfig.small()


@pytest.fixture(scope="session")
def small_run(small_config: ModelConfig) -> SocialCommerceModel:
    """A 2,000-consumer model run for 30 days (read-only: do not step it further)."""
    model = SocialCommerceModel(small_config, rng=2024)
    model.run(30)
    return model


def one_tier_config(n: int, **overrides: object) -> ModelConfig:
    """A single-tier, single-category, single-platform world for hand-built tests."""
    base = {
        "population": {
            "n_consumers": n,
            "income_sigma": 1e-9,
            "high_net_worth_share": 0.0,
            "min_city_size": 1,
            "tiers": {
                1: {
                    "share": 1.0,
                    "median_income": 3000.0,
                    "online_share": 1.0,
                    "price_sensitivity": 1.0,
                    "n_cities": 1,
                }
            },
        },
        "network": {
            "mean_degree": 1.0,
            "tiers": {1: {"community_size": 10, "community_tie_share": 1.0}},
        },
        "influencers": {"n_kols": 0, "n_kocs": 0},
        "stores": {"n_owners": 0},
        "daigou": {"n_shoppers": 0},
        "catalogue": {
            "categories": {
                "food_farm": {
                    "n_products": 1,
                    "median_price": 20.0,
                    "price_sigma": 0.0,
                    "need_rate": 1.0,
                    "influencer_affinity": 1.0,
                }
            }
        },
        # Everyone's budget full from day 1, renewed together: sums a test can do by hand.
        "behaviour": {"need_patience_days": 1e9, "budget_renewal": "common"},
        # One plain platform at catalogue prices: no groups, feeds or promotions, and a
        # membership (when a test sells one) that is a price tag unless the test says more.
        # Not a preset's name, so it says it starts from the schema's defaults.
        "platforms": {
            "plain": {
                "preset": None,
                "promotions": {"rate": 0.0, "wait_shift": 0.0},
                "membership": {"renewal": False, "loyalty_shift": 0.0},
            }
        },
    }
    return ModelConfig.from_dict(base).with_overrides(overrides)


def path_graph(n: int) -> nx.Graph:
    """Consumers 0 - 1 - ... - n-1, all in tier 1 of city 'A', strong ties."""
    graph = nx.path_graph(n)
    nx.set_node_attributes(graph, 1, "tier")
    nx.set_node_attributes(graph, "A", "city")
    return graph


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
