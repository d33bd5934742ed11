"""Drawing a listed product in a batched ensemble: each run's draws land on its own products."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.streams import EnsembleStreams, KeyedDraws, RandomStreams, mix_keys
from socialsim.world import build_world
from socialsim.world.union import union_of_worlds

SEEDS = (41, 42, 43)


def test_each_run_draws_the_products_it_draws_alone_before_and_after_brands_withdraw():
    config = ModelConfig.small().with_overrides({"platforms.kaola.cross_border.search_share": 0.5})
    worlds = [build_world(config, np.random.default_rng(s)) for s in SEEDS]
    union, layout = union_of_worlds(worlds)
    alone = [Assortment.of(config, w) for w in worlds]
    batched = Assortment.of(config, union, layout.product.run)
    n_platforms, n_categories = len(union.platforms.names), union.catalogue.n_categories
    rng = np.random.default_rng(0)
    per_run = 2_000
    run = np.repeat(np.arange(3), per_run)
    item = np.tile(np.arange(per_run), 3)
    category = rng.integers(0, n_categories, run.size)
    platform = rng.integers(0, n_platforms, run.size)
    streams = [RandomStreams(np.random.SeedSequence(s)) for s in SEEDS]
    for day in (1, 2):
        if day == 2:  # some brands leave some platforms: every run's listing changes
            sold = rng.random((n_platforms, union.catalogue.n_products)) < 0.7
            assert batched.update(sold)
            for k, shop in enumerate(alone):
                assert shop.update(sold[:, layout.product.of_run(k)])
        draws = KeyedDraws(EnsembleStreams(streams), "search", day, mix_keys(item), run=run)
        picks = batched.random_listed(category, platform, draws, run=run)
        some = picks >= 0
        assert (layout.product.run_of(picks[some]) == run[some]).all()
        for k, shop in enumerate(alone):
            rows = run == k
            solo = KeyedDraws(streams[k], "search", day, mix_keys(item[rows]))
            mine = shop.random_listed(category[rows], platform[rows], solo)
            local = np.where(
                picks[rows] >= 0, layout.product.local_of(np.maximum(picks[rows], 0)), -1
            )
            assert np.array_equal(local, mine)
            assert union.catalogue.cross_border[picks[rows & some]].any()  # imports are drawn
    with pytest.raises(ValueError, match="each draw's run"):
        batched.random_listed(category, platform, np.random.default_rng(1))
