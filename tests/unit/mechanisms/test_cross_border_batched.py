"""Cross-border quota in a batched ensemble: each run's quota, blocks and tax are its own."""

from __future__ import annotations

import numpy as np

from socialsim import ModelConfig
from socialsim.enums import Source
from socialsim.mechanisms.cross_border import CrossBorder
from socialsim.mechanisms.offers import Offers
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_social import assert_offers_match, union_offers

SEEDS = (41, 42, 43)


def _purchases(model, rng: np.random.Generator) -> tuple[Offers, np.ndarray]:
    """A day's purchases of imports (and some domestic ones) by a few repeat buyers."""
    catalogue = model.world.catalogue
    imports = np.flatnonzero(catalogue.cross_border)
    domestic = np.flatnonzero(~catalogue.cross_border)
    m = int(rng.integers(150, 250))
    product = np.where(rng.random(m) < 0.8, rng.choice(imports, m), rng.choice(domestic, m))
    consumer = rng.integers(0, 60, m)  # few buyers: several orders each, quotas fill up
    offers = Offers.build(consumer, catalogue.category[product], product, Source.SEARCH, 0.0, 1)
    paid = rng.uniform(50.0, 6_000.0, m).astype(np.float32)
    return offers, paid


def test_quota_of_each_run_in_an_ensemble_is_the_run_s_alone():
    config = ModelConfig.small().with_overrides({"cross_border.year_days": 3})
    both = Ensemble(config, SEEDS)
    batched = CrossBorder(both.model)
    alone = [CrossBorder(m) for m in both.solo]
    rng = np.random.default_rng(0)
    for model in both.solo:
        model.state.cross_border_spent[:] = rng.uniform(0.0, 25_000.0, model.world.n_consumers)
    both.model.state.cross_border_spent[:] = np.concatenate(
        [m.state.cross_border_spent for m in both.solo]
    )
    for step in range(1, 8):
        days, day = both.days(step, CrossBorder.columns)
        solo_kept = []
        inputs = [_purchases(m, rng) for m in both.solo]
        for cross_border, solo_day, (offers, paid) in zip(alone, days, inputs, strict=True):
            cross_border.start_day(solo_day)
            kept, kept_paid = cross_border.screen(solo_day, offers, paid)
            cross_border.shipped(solo_day, kept, kept_paid)
            solo_kept.append(kept)
        batched.start_day(day)
        purchases = union_offers(both, [o for o, _ in inputs])
        kept, kept_paid = batched.screen(day, purchases, np.concatenate([p for _, p in inputs]))
        batched.shipped(day, kept, kept_paid)
        assert_offers_match(both, kept, solo_kept, "kept")
        for k, model in enumerate(both.solo):
            assert np.array_equal(
                both.block(both.model.state.cross_border_spent, k), model.state.cross_border_spent
            )
            for name in ("cbec_orders", "cbec_blocked_orders"):
                assert day.count[name][k] == days[k].count[name], (step, k, name)
            assert day.total["cbec_tax"][k] == days[k].total["cbec_tax"], (step, k)
    blocked = [d.count["cbec_blocked_orders"] for d in days]
    assert min(blocked) > 0 and len(set(blocked)) > 1
