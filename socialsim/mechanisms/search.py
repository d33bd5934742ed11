"""Search: consumers who shop online browse a platform they use for what they need.

For each open need of a consumer who shops online, the consumer browses one
of the platforms it uses, chosen in proportion to the platforms'
``search_weight``, and finds a product of the category that the platform
lists (an import with the platform's ``cross_border.search_share``, where it
sells imports). Consumers not yet online do not search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.enums import ShopperStatus, Source
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers
from socialsim.streams import mix_keys

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.needs import OpenNeeds

__all__ = ["Search"]


class Search(Component):
    """Online consumers browse one of their platforms, chosen by search weight (phase 4)."""

    name = "search"
    batch_ready = True
    columns = (
        MetricColumn.count(
            "exposures_search", "products consumers found by browsing for an open need today"
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        self.weight = platform_values(model.config, model.world.platforms.names, "search_weight")

    def search_offers(self, day: Day, needs: OpenNeeds) -> Offers:
        """Each online consumer with an open need finds a product on one of its platforms.

        In a batched ensemble each need's numbers are keyed by its consumer's
        index in its own run and drawn from its run's stream, and the product
        is one of its own run's.
        """
        state, runs = self.model.state, self.model.runs
        consumer, category = needs.consumer, needs.category
        online = np.flatnonzero(state.status.take(consumer) != ShopperStatus.OFFLINE)
        consumer, category = consumer.take(online), category.take(online)
        run = None if needs.run is None else needs.run.take(online)
        key = mix_keys(runs.local_consumer(consumer, run), category)
        rng = self.keyed(day, "find", key, run=run)
        # A platform drawn in proportion to search weight among those used, column by
        # column: NumPy reduces the short axis of an (m, P) array slowly.
        n = self.weight.size
        cum, running = [], np.zeros(consumer.size)
        for p in range(n):
            running = running + needs.uses[:, p].take(online) * self.weight[p]
            cum.append(running)
        total = running
        target = rng.random(consumer.size) * total
        platform = np.zeros(consumer.size, dtype=np.int64)
        for column in cum:
            platform += target >= column
        np.minimum(platform, n - 1, out=platform)
        product = self.model.assortment.random_listed(category, platform, rng, run=run)
        ok = (total > 0) & (product >= 0)
        offers = Offers.build(
            consumer[ok], category[ok], product[ok], Source.SEARCH, 0.0, platform[ok]
        )
        day.count["exposures_search"] = runs.count(run, ok)
        return offers
