"""Posts in a batched ensemble: each run's posts, sparked needs and offers are the run's alone."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from socialsim import ModelConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.posts import CreatorPosts
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_social import (
    assert_offers_match,
    union_audience,
    union_by_product,
)
from tests.unit.mechanisms.test_search_batched import open_needs
from tests.unit.mechanisms.test_word_of_mouth_batched import buy_lately

SEEDS = (101, 102, 103)


def test_posts_of_each_run_in_an_ensemble_are_the_run_s_alone():
    # posts seen often and sparking needs often: many offers, sparks and ties a day
    config = ModelConfig.small().with_overrides(
        {"behaviour.post_sparks_need": 0.3, "influencers.kol_post_reach": 0.6}
    )
    both = Ensemble(config, SEEDS)
    both.model.assortment = Assortment.of(
        both.model.config, both.model.world, both.model.runs.layout.product.run
    )
    rng = np.random.default_rng(10)
    # each run's audience has its own inactive follows and trust
    for model in both.solo:
        audience = model.audience
        audience.active[:] = rng.random(audience.active.size) < 0.8
        audience.matrix.data[:] = rng.random(audience.matrix.data.size).astype(np.float32)
    matrix, active = union_audience(both, [m.audience for m in both.solo])
    both.model.audience = SimpleNamespace(matrix=matrix, trust=matrix.data, active=active)
    batched = CreatorPosts(both.model)
    alone = [m.posts for m in both.solo]
    columns = (*CreatorPosts.columns, *type(both.solo[0].needs).columns)
    for step in range(1, 6):
        buy_lately(both, step, rng)
        days, day, _ = open_needs(both, step, columns)
        sold = []
        for k, model in enumerate(both.solo):  # each run lists a different part
            keep = rng.random(model.listed.shape) < 0.9
            for p in range(keep.shape[0]):
                keep[p, model.world.catalogue.category == (k + p + step) % 5] = False
            model.assortment.update(keep)
            sold.append(keep)
        both.model.assortment.update(union_by_product(both, sold))
        both.model.state.need[:] = np.concatenate([m.state.need for m in both.solo])
        shown = [posts.content(d) for posts, d in zip(alone, days, strict=True)]
        offers = batched.content(day)
        assert_offers_match(both, offers, shown, "posts")
        assert min(len(o) for o in shown) > 10
        for k, model in enumerate(both.solo):
            assert np.array_equal(both.block(both.model.state.need, k), model.state.need)
            for name in ("kol_posts", "koc_posts"):
                assert day.count[name][k] == days[k].count[name], (step, k, name)
    for name in ("kol_posts", "koc_posts"):
        counts = [d.count[name] for d in days]
        assert min(counts) > 0 and len(set(counts)) > 1, name
