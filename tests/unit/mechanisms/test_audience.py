"""The audience matrix: followers and prospects in one matrix, followers active."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from socialsim import ModelConfig
from socialsim._csr import entry_rows
from socialsim.mechanisms.audience import Audience
from socialsim.world import build_world
from socialsim.world.union import union_of_worlds


def _followed(matrix, follows):
    """Whether each entry of `matrix` is stored in `follows`, pair by pair."""
    pairs = set(zip(entry_rows(follows.indptr).tolist(), follows.indices.tolist(), strict=True))
    rows = entry_rows(matrix.indptr).tolist()
    return np.array([p in pairs for p in zip(rows, matrix.indices.tolist(), strict=True)])


def test_followers_are_active_and_prospects_are_not():
    world = build_world(ModelConfig.small(n_consumers=3_000), np.random.default_rng(4))
    audience = Audience.of(world.influencers)
    follows = world.influencers.follows
    assert np.array_equal(audience.active, _followed(audience.matrix, follows))
    assert audience.active.sum() == follows.nnz and not audience.active.all()


def test_a_follower_who_is_also_a_prospect_is_active_and_a_cancelled_sum_is_searched():
    follows = sparse.csr_array(np.array([[0.5, 0.0, 0.2], [0.0, 0.3, 0.0]], np.float32))
    both = sparse.csr_array(np.array([[0.1, 0.4, 0.0], [0.2, 0.0, 0.0]], np.float32))
    audience = Audience.of(_Creators(follows, both))
    assert audience.active.tolist() == [True, False, True, False, True]
    # a follow entry of trust -0.1 cancelled by a prospect of 0.1: the sum drops it
    odd = sparse.csr_array(np.array([[-0.1, 0.0, 0.2]], np.float32))
    back = sparse.csr_array(np.array([[0.1, 0.4, 0.0]], np.float32))
    audience = Audience.of(_Creators(odd, back))
    assert audience.matrix.indices.tolist() == [1, 2]
    assert audience.active.tolist() == [False, True]


class _Creators:
    def __init__(self, follows, prospects):
        self.follows, self.prospects = follows, prospects


def test_the_audience_of_a_union_of_worlds_is_each_world_s_audience_in_its_rows():
    worlds = [build_world(ModelConfig.small(), np.random.default_rng(s)) for s in (51, 52, 53)]
    union, layout = union_of_worlds(worlds)
    both = Audience.of(union.influencers)
    for k, world in enumerate(worlds):
        alone = Audience.of(world.influencers)
        creators = layout.creator.of_run(k)
        for j, creator in enumerate(creators.tolist()):
            lo, hi = both.matrix.indptr[creator], both.matrix.indptr[creator + 1]
            a, b = alone.matrix.indptr[j], alone.matrix.indptr[j + 1]
            # the same entries in the same order: an entry's position means the same follow
            assert np.array_equal(
                layout.consumer.local_of(both.matrix.indices[lo:hi]), alone.matrix.indices[a:b]
            )
            assert np.array_equal(both.matrix.data[lo:hi], alone.matrix.data[a:b])
            assert np.array_equal(both.active[lo:hi], alone.active[a:b])
        assert alone.active.any() and not alone.active.all()
