"""KOLs and KOCs: heavy-tailed audiences with tier affinity, small trusted KOC circles."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim._csr import entry_rows
from socialsim.enums import InfluencerKind, KOLSegment
from socialsim.world import build_world, kol_segment
from tests.conftest import rng


@pytest.fixture(scope="module")
def world():
    cfg = ModelConfig().with_overrides(
        {"population.n_consumers": 30_000, "influencers.n_kols": 400, "influencers.n_kocs": 600}
    )
    return build_world(cfg, rng(21))


def kol_counts(world):
    return world.influencers.follower_counts()[: world.influencers.n_kols]


def test_kols_come_first_and_kocs_are_consumers(world):
    creators = world.influencers
    assert creators.n_kols == 400 and creators.n == 1000
    assert np.all(creators.kind[:400] == InfluencerKind.KOL)
    assert np.all(creators.consumer[:400] == -1)
    kocs = creators.consumer[400:]
    assert np.all(world.role[kocs] == 1)  # Role.KOC


def test_kol_follower_counts_are_heavy_tailed(world):
    counts = np.sort(kol_counts(world))[::-1]
    # the top 5 % of KOLs hold a large share of all KOL follows, far above 5 %
    top = counts[: len(counts) // 20].sum() / counts.sum()
    assert top > 0.25
    assert counts.max() > 20 * np.median(counts)
    # Hill estimate of the Pareto exponent over the top 20 % is near the config (1.2)
    k = len(counts) // 5
    hill = 1 / np.mean(np.log(counts[:k] / counts[k]))
    assert 0.8 < hill < 1.8


def test_segments_follow_douyin_pyramid(world):
    segments = world.influencers.segment[: world.influencers.n_kols]
    counts = np.bincount(segments, minlength=4)
    assert counts[KOLSegment.TAIL] > counts[KOLSegment.WAIST] > counts[KOLSegment.HEAD]
    assert kol_segment(np.array([0.0019, 0.02, 0.1, 0.2]), 0.002).tolist() == [0, 1, 2, 3]


def test_kol_followers_are_online_and_concentrate_on_focus_tier(world):
    creators, pop = world.influencers, world.population
    follows = creators.follows
    kol_rows = slice(0, follows.indptr[creators.n_kols])
    followers = follows.indices[kol_rows]
    assert pop.online[followers].all()
    focus = np.repeat(creators.focus_tier[: creators.n_kols], kol_counts(world))
    in_focus = (pop.tier[followers] == focus).mean()
    # random followers would be in the focus tier about 17 % of the time
    online_by_tier = np.bincount(pop.tier[pop.online], minlength=7)[1:] / pop.online.sum()
    baseline = online_by_tier[focus - 1].mean()
    assert in_focus > 1.5 * baseline


def test_koc_circles_are_small_include_strong_ties_and_trust_more(world):
    creators, net = world.influencers, world.network
    koc_counts = creators.follower_counts()[creators.n_kols :]
    assert koc_counts.mean() < 0.1 * kol_counts(world).mean()
    for k in range(creators.n_kols, creators.n_kols + 20):
        consumer = creators.consumer[k]
        followers = set(creators.followers(k).tolist())
        assert set(net.strong_ties(consumer).tolist()) <= followers
        assert consumer not in followers
    trust = creators.follows.data
    kol_trust = trust[: creators.follows.indptr[creators.n_kols]]
    koc_trust = trust[creators.follows.indptr[creators.n_kols] :]
    cfg = world.config.influencers
    assert kol_trust.mean() == pytest.approx(cfg.kol_trust, abs=0.02)
    assert koc_trust.mean() == pytest.approx(cfg.koc_trust, abs=0.02)
    assert trust.min() > 0 and trust.max() < 1


def test_follow_graph_has_no_duplicate_edges(world):
    follows = world.influencers.follows
    rows = entry_rows(follows.indptr)
    same_row = rows[1:] == rows[:-1]
    # within each creator, follower indices strictly increase: no one follows twice
    assert np.all(np.diff(follows.indices)[same_row] > 0)


def test_changing_kols_leaves_the_social_graph_alone():
    cfg = ModelConfig.small()
    a = build_world(cfg, rng(8))
    b = build_world(cfg.with_overrides({"influencers.n_kols": 7}), rng(8))
    assert np.array_equal(a.network.adjacency.indices, b.network.adjacency.indices)
    assert np.array_equal(a.population.income, b.population.income)
