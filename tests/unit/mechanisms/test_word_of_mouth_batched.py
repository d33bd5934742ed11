"""Word of mouth in a batched ensemble: each run's signals and offers are the run's alone."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.word_of_mouth import WordOfMouth
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_social import (
    assert_offers_match,
    union_by_product,
    union_consumers,
    union_needs,
    union_products,
)
from tests.unit.mechanisms.test_search_batched import open_needs

SEEDS = (81, 82, 83)


def buy_lately(both: Ensemble, step: int, rng: np.random.Generator) -> None:
    """Each run's consumers bought some categories in the last days; the union the same."""
    union = both.model.state
    for k, model in enumerate(both.solo):
        state, catalogue = model.state, model.world.catalogue
        n, n_categories = state.last_purchase_step.shape
        bought = rng.random((n, n_categories)) < 0.2
        row, category = np.nonzero(bought)
        start, size = catalogue.category_start[category], catalogue.category_size[category]
        product = (start + (rng.random(row.size) * size).astype(np.int64)).astype(np.int32)
        state.last_purchase_step[row, category] = step - 1 - rng.integers(0, 10, row.size)
        state.last_product[row, category] = product
        state.last_platform[row, category] = rng.integers(0, 6, row.size)
        rows = both.model.runs.rows(k)
        union.last_purchase_step[rows] = state.last_purchase_step
        union.last_platform[rows] = state.last_platform
        union.last_product[rows] = union_products(both, k, state.last_product)


@pytest.mark.parametrize("proof", ["share", "population"])
def test_word_of_mouth_of_each_run_in_an_ensemble_is_the_run_s_alone(proof):
    config = ModelConfig.small().with_overrides({"behaviour.conversion.social_proof": proof})
    both = Ensemble(config, SEEDS)
    both.model.assortment = Assortment.of(
        both.model.config, both.model.world, both.model.runs.layout.product.run
    )
    both.model.assortment.update(union_by_product(both, [m.listed for m in both.solo]))
    both.model.listed = both.model.assortment.listed
    rng = np.random.default_rng(8)
    batched = WordOfMouth(both.model)
    alone = [m.word_of_mouth for m in both.solo]
    for step in range(1, 5):
        buy_lately(both, step, rng)
        columns = type(both.solo[0].needs).columns
        days, day, needs = open_needs(both, step, columns)
        solo = []
        for wom, solo_day, need in zip(alone, days, needs, strict=True):
            wom.start_day(solo_day)
            signals = wom.signals(solo_day, need)
            platform = wom.friend_platform(need, signals)
            solo.append((signals, platform, wom.friend_offers(need, signals, platform)))
        batched.start_day(day)
        union = union_needs(both, needs)
        signals = batched.signals(day, union)
        platform = batched.friend_platform(union, signals)
        offers = batched.friend_offers(union, signals, platform)
        assert_offers_match(both, offers, [s[2] for s in solo], "word of mouth")
        at = np.cumsum([0] + [n.size for n in needs])
        for k, (alone_signals, alone_platform, _) in enumerate(solo):
            mine = slice(int(at[k]), int(at[k + 1]))
            for name in ("social_share", "social_count", "tie_weight"):
                ours, theirs = getattr(signals, name)[mine], getattr(alone_signals, name)
                assert np.array_equal(ours, theirs), (step, k, name)
            assert np.array_equal(
                signals.product[mine], union_products(both, k, alone_signals.product)
            )
            assert np.array_equal(
                signals.friend[mine], union_consumers(both, k, alone_signals.friend)
            )
            assert np.array_equal(platform[mine], alone_platform)
        assert (signals.friend >= 0).sum() > 100
