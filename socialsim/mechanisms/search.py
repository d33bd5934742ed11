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


class _RunKeyed:
    """Keyed draws for items of several runs, each from its own run's stream (a batched ensemble).

    What :class:`~socialsim.streams.KeyedDraws` is for one run: each call of
    :meth:`random` gives one uniform per item, the n-th call a purpose of its
    own (``kind#n``), but each item's number comes from its run's stream
    (keys made of its indices in its own run). ``Component.keyed`` takes no
    runs yet; this stands in for it.
    """

    def __init__(self, component: Component, day: Any, kind: str, key: np.ndarray, run: Any):
        self._component, self._day, self._kind = component, day, kind
        self.key, self._run = np.asarray(key, dtype=np.uint64), run
        self._calls = 0

    def random(self, size: Any = None, dtype: type = np.float64) -> np.ndarray:
        """Return one uniform per item (``size`` must be the number of items)."""
        n = self.key.size
        wanted = n if size is None else int(np.prod(size))
        if wanted != n:
            raise ValueError(f"keyed draws give one number per item ({n}), not {wanted}")
        self._calls += 1
        kind = self._kind if self._calls == 1 else f"{self._kind}#{self._calls}"
        return self._component.uniform(self._day, kind, self.key, dtype, run=self._run)


def _keyed(component: Component, day: Any, kind: str, key: np.ndarray, run: Any) -> Any:
    """Return keyed draws for items with `key`: one run's (``run`` None), or each item's run's."""
    if run is None:
        return component.keyed(day, kind, key)
    return _RunKeyed(component, day, kind, key, run)


def _run_listing(assortment: Any, product_run: np.ndarray, n_runs: int) -> tuple[Any, ...]:
    """Split the assortment's listing tables by run: each run's size and start in each table.

    Within a table (platform, imported, category) the union's products are run
    by run, each run's in its local order (products stay by category, run by
    run within one), so run ``k``'s part of a table is the table its world
    alone would have. Kept until the assortment rebuilds its tables.
    """
    products, size, start = assortment._products, assortment._size, assortment._start
    table = np.repeat(np.arange(size.size), size)
    per_run = np.bincount(
        table * n_runs + product_run.take(products), minlength=size.size * n_runs
    ).reshape(size.size, n_runs)
    before = np.cumsum(per_run, axis=1) - per_run
    return products, per_run, start[:, None] + before


def _random_listed(
    assortment: Any,
    category: np.ndarray,
    platform: np.ndarray,
    rng: Any,
    run: np.ndarray | None,
    tables: tuple[Any, ...] | None,
) -> np.ndarray:
    """Draw one listed product of each category on each draw's platform, within each draw's run.

    :meth:`~socialsim.mechanisms.assortment.Assortment.random_listed` for one
    run (``run`` None). In a batched ensemble the same two numbers per draw
    pick among the products of the draw's own run only (`tables` from
    :func:`_run_listing`), as that run's assortment alone would:
    ``Assortment.random_listed`` draws over every run's products.
    """
    if run is None:
        return assortment.random_listed(category, platform, rng)
    products, size_of, start_of = tables
    category = np.asarray(category, dtype=np.int64)
    platform = np.asarray(platform, dtype=np.int64)
    n = category.shape[0]
    u = rng.random(n)
    want_import = rng.random(n) < assortment.import_share[platform]
    n_categories = assortment._n_categories
    domestic = (platform * 2) * n_categories + category
    imported = domestic + n_categories
    has_import = size_of[imported, run] > 0
    has_domestic = size_of[domestic, run] > 0
    table = np.where(has_import & (want_import | ~has_domestic), imported, domestic)
    size = size_of[table, run]
    pick = start_of[table, run] + (u * size).astype(np.int64)
    out = np.full(n, -1, dtype=np.int32)
    some = size > 0
    out[some] = products[pick[some]]
    return out


class Search(Component):
    """Online consumers browse one of their platforms, chosen by search weight (phase 4)."""

    name = "search"
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
        rng = _keyed(self, day, "find", key, run)
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
        product = _random_listed(
            self.model.assortment, category, platform, rng, run, self._tables(run)
        )
        ok = (total > 0) & (product >= 0)
        offers = Offers.build(
            consumer[ok], category[ok], product[ok], Source.SEARCH, 0.0, platform[ok]
        )
        day.count["exposures_search"] = runs.count(run, ok)
        return offers

    def _tables(self, run: np.ndarray | None) -> tuple[Any, ...] | None:
        """Return the assortment's tables split by run (None for one run), rebuilt when it is."""
        if run is None:
            return None
        assortment, runs = self.model.assortment, self.model.runs
        cached = getattr(self, "_run_tables", None)
        if cached is None or cached[0] is not assortment._products:
            cached = _run_listing(assortment, runs.layout.product.run, runs.n)
            self._run_tables = cached
        return cached
