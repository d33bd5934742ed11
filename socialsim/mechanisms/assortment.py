"""What each platform sells today, and drawing a product from it.

A platform lists a product if the product's brand sells there (brands
withdraw from and rejoin platforms at their reviews, see
:mod:`socialsim.mechanisms.brands`) and, for an import, if the platform sells
cross-border. Search, livestreams, posts and store owners draw the product
they show from the platform's listing: one category at a time, uniformly,
landing on an import with the platform's ``cross_border.search_share`` when
the category has one there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialsim._csr import offsets

__all__ = ["Assortment"]


class Assortment:
    """Which products each platform lists, with per-category tables for uniform draws.

    Parameters
    ----------
    catalogue : Catalogue
        The world's products.
    cross_border : ndarray of bool, shape (P,)
        Platforms that sell imports.
    import_share : ndarray of float, shape (P,)
        Per platform, the chance a draw lands on an import when the category has one.
    product_run : ndarray of int, optional
        In a batched ensemble, each product's run: a draw for an item of run
        ``k`` lands on one of run ``k``'s products (see :meth:`random_listed`).

    Attributes
    ----------
    listed : ndarray of bool, shape (P, n_products)
        Products on sale on each platform today (changed in place, through :meth:`update`).
    import_share : ndarray of float64, shape (P,)

    Examples
    --------
    >>> from socialsim.config import CatalogueConfig
    >>> from socialsim.world.catalogue import build_catalogue
    >>> cat = build_catalogue(CatalogueConfig(), np.random.default_rng(0))
    >>> shop = Assortment(cat, np.array([False, True]), np.array([0.0, 0.5]))
    >>> picks = shop.random_listed(np.zeros(2000, int), np.zeros(2000, int),
    ...                            np.random.default_rng(1))
    >>> bool(cat.cross_border[picks].any())
    False
    """

    def __init__(
        self,
        catalogue: Any,
        cross_border: np.ndarray,
        import_share: np.ndarray,
        product_run: np.ndarray | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.product_run = product_run
        self._n_runs = 1 if product_run is None else int(product_run.max(initial=-1)) + 1
        self.cross_border = np.asarray(cross_border, dtype=bool)
        self.import_share = np.asarray(import_share, dtype=np.float64)
        self.listed = ~catalogue.cross_border[None, :] | self.cross_border[:, None]
        self._tables()

    @classmethod
    def of(cls, config: Any, world: Any, product_run: np.ndarray | None = None) -> Assortment:
        """Return the assortment of a world: every product its platforms can sell.

        A platform sells imports only with ``cross_border.enabled``; there,
        ``cross_border.search_share`` of the draws of a category with imports
        land on one. `product_run` as for the class (a batched ensemble).
        """
        rows = [config.platforms[name].cross_border for name in world.platforms.names]
        cross_border = np.array([row.enabled for row in rows], dtype=bool)
        share = np.array([row.search_share for row in rows], dtype=np.float64)
        return cls(world.catalogue, cross_border, np.where(cross_border, share, 0.0), product_run)

    def update(self, sold: np.ndarray) -> bool:
        """Set what each platform lists, from `sold`; return whether anything changed.

        Parameters
        ----------
        sold : ndarray of bool, shape (P, n_products)
            Products whose brand sells on the platform; imports are kept off
            platforms that do not sell cross-border.

        Returns
        -------
        bool
        """
        listed = sold & (~self.catalogue.cross_border[None, :] | self.cross_border[:, None])
        if np.array_equal(listed, self.listed):
            return False
        self.listed[:] = listed
        self._tables()
        return True

    def _tables(self) -> None:
        # per (platform, imported, category): where its listed products start in `products`
        cat = self.catalogue
        runs = [None] if self.product_run is None else range(self._n_runs)
        # per (run, platform, imported, category) in a batched ensemble: each run's own products
        listings = [
            cat.listing(
                self.listed[p]
                & (cat.cross_border == imported)
                & (True if k is None else self.product_run == k)
            )
            for k in runs
            for p in range(self.listed.shape[0])
            for imported in (False, True)
        ]
        self._products = np.concatenate([listing.products for listing in listings])
        self._size = np.concatenate([listing.size for listing in listings])
        self._start = offsets(self._size)
        self._n_categories = cat.n_categories

    def random_listed(
        self, category: np.ndarray, platform: np.ndarray, rng: Any, run: np.ndarray | None = None
    ) -> np.ndarray:
        """Draw one product of each category from each draw's platform.

        Where the platform lists both, an import with probability
        ``import_share[platform]``; else whichever it lists. With every product
        listed, the draws are those of
        :meth:`~socialsim.world.catalogue.Catalogue.random_listed` with the
        platform's import share.

        Parameters
        ----------
        category : ndarray of int
            Category per draw.
        platform : ndarray of int
            Platform per draw.
        rng : numpy.random.Generator or KeyedDraws
            Two numbers per draw, in two calls.
        run : ndarray of int, optional
            In a batched ensemble, each draw's run (a product of that run).

        Returns
        -------
        ndarray of int32
            Product indices, -1 where the platform lists nothing of the category.
        """
        category = np.asarray(category, dtype=np.int64)
        platform = np.asarray(platform, dtype=np.int64)
        n = category.shape[0]
        u = rng.random(n)
        want_import = rng.random(n) < self.import_share[platform]
        if run is not None:
            platform = np.asarray(run, dtype=np.int64) * self.listed.shape[0] + platform
        elif self._n_runs > 1:
            raise ValueError("a batched ensemble's draws of a product need each draw's run")
        domestic = (platform * 2) * self._n_categories + category
        imported = domestic + self._n_categories
        has_import = self._size[imported] > 0
        has_domestic = self._size[domestic] > 0
        table = np.where(has_import & (want_import | ~has_domestic), imported, domestic)
        size = self._size[table]
        pick = self._start[table] + (u * size).astype(np.int64)
        out = np.full(n, -1, dtype=np.int32)
        some = size > 0
        out[some] = self._products[pick[some]]
        return out
