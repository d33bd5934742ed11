"""Slow statistical checks at larger scale and over many replications (pytest -m slow)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.world import build_world

pytestmark = pytest.mark.slow


def test_clustering_rises_tier_by_tier_in_a_large_world():
    cfg = ModelConfig().with_overrides({"population.n_consumers": 200_000})
    world = build_world(cfg, np.random.default_rng(17))
    graph = world.to_networkx()
    pick = np.random.default_rng(0)
    clustering = []
    for tier in range(1, 7):
        nodes = np.flatnonzero(world.population.tier == tier)
        sample = pick.choice(nodes, size=3000, replace=False).tolist()
        clustering.append(nx.average_clustering(graph, nodes=sample))
    assert clustering == sorted(clustering), clustering
    assert clustering[5] > 2 * clustering[0]


def test_kol_audience_exponent_is_recovered():
    cfg = ModelConfig().with_overrides(
        {
            "population.n_consumers": 400_000,
            "influencers.n_kols": 3000,
            "influencers.kol_max_follower_share": 1.0,
        }
    )
    world = build_world(cfg, np.random.default_rng(5))
    counts = np.sort(world.influencers.follower_counts()[:3000])[::-1].astype(float)
    k = 600  # Hill estimator over the top fifth; audiences are capped by online consumers
    hill = 1 / np.mean(np.log(counts[:k] / counts[k]))
    assert hill == pytest.approx(cfg.influencers.kol_follower_exponent, abs=0.15)


def test_adoption_is_s_shaped_over_replications():
    cfg = ModelConfig.small(5_000).with_overrides({"run.steps": 90})
    peaks, late_share = [], []
    for seed in range(12):
        model = SocialCommerceModel(cfg, rng=seed)
        model.run()
        new = model.step_metrics()["new_buyers"].rolling(7, center=True, min_periods=1).mean()
        peaks.append(int(new.idxmax()) + 1)
        late_share.append(new.iloc[-7:].mean() / new.max())
    # first purchases rise, peak inside the run, then fall off: an S-shaped cumulative curve
    assert 7 < np.mean(peaks) < 60
    assert np.mean(late_share) < 0.5


def test_default_world_social_feed_converts_three_to_five_times_an_algorithmic_one():
    # The default world over replications: per exposure, Kuaishou-style social feeds
    # convert 3-5 x Douyin-style algorithmic ones (shared/domain.md).
    ratios, live_returns, ordinary_returns = [], [], []
    for seed in (1, 2, 3):
        model = SocialCommerceModel(ModelConfig(), rng=seed)
        model.run()
        m = model.step_metrics()
        social = m["orders_feed_social"].sum() / m["exposures_feed_social"].sum()
        algorithmic = m["orders_feed_algorithmic"].sum() / m["exposures_feed_algorithmic"].sum()
        ratios.append(social / algorithmic)
        # Livestream purchases come back far more often than ordinary ones.
        orders = model.orders()
        settled = orders[orders["step"] <= model.steps - model.config.behaviour.return_days]
        returned = settled.groupby("channel", observed=True)["returned"].mean()
        live_returns.append(returned["livestream"])
        ordinary_returns.append(returned["solo"])
    assert 3.0 <= np.mean(ratios) <= 5.0, ratios
    assert 0.3 <= np.mean(live_returns) <= 0.5, live_returns
    assert 0.08 <= np.mean(ordinary_returns) <= 0.15, ordinary_returns
