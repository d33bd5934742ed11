"""Search in a batched ensemble: each run's consumers find what they find in the run alone."""

from __future__ import annotations

import numpy as np

from socialsim import ModelConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.search import Search
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_social import assert_offers_match, union_by_product, union_needs

SEEDS = (71, 72, 73)


def open_needs(both: Ensemble, step: int, columns) -> tuple[list, object, list]:
    """Open day `step`: each run's needs alone, and the union's (the runs' end to end)."""
    days, day = both.days(step, columns)
    needs = []
    for model, solo_day in zip(both.solo, days, strict=True):
        model.calendar.start_day(solo_day)
        model.shocks.start_day(solo_day)
        model.needs.start_day(solo_day)
        needs.append(model.needs.open(solo_day))
    return days, day, needs


def test_search_of_each_run_in_an_ensemble_is_the_run_s_alone():
    both = Ensemble(ModelConfig.small(), SEEDS)
    both.model.assortment = Assortment.of(
        both.model.config, both.model.world, both.model.runs.layout.product.run
    )
    rng = np.random.default_rng(5)
    batched = Search(both.model)
    alone = [m.search for m in both.solo]
    for step in range(1, 6):
        columns = (*Search.columns, *type(both.solo[0].needs).columns)
        days, day, needs = open_needs(both, step, columns)
        # each run's platforms list a different part of the catalogue (whole categories
        # go missing on some platforms): a draw must pick among its own run's listing
        sold = []
        for k, model in enumerate(both.solo):
            keep = rng.random(model.listed.shape) < 0.9
            keep[:, rng.random(model.listed.shape[1]) < 0.05] = False
            for p in range(keep.shape[0]):  # a category this run's platform lists nothing of
                keep[p, model.world.catalogue.category == (k + p + step) % 5] = False
            model.assortment.update(keep)
            sold.append(keep)
        both.model.assortment.update(union_by_product(both, sold))
        found = [s.search_offers(d, n) for s, d, n in zip(alone, days, needs, strict=True)]
        offers = batched.search_offers(day, union_needs(both, needs))
        assert_offers_match(both, offers, found, "search")
        for k in range(both.n_runs):
            assert day.count["exposures_search"][k] == days[k].count["exposures_search"]
    assert len({d.count["exposures_search"] for d in days}) > 1
