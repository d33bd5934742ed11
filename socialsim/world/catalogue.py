"""The product catalogue: categories, prices and quality.

References
----------
.. [1] Pinduoduo FY2019-2020 results: average order value RMB 51 (2019) and
   43.5 (2020), from GMV / orders.
.. [2] Azoya, "4 things you should know about KOL marketing in China":
   influencers work best in beauty, mother-and-baby and fashion.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from socialsim._csr import offsets
from socialsim.config.schema import CatalogueConfig
from socialsim.world._common import freeze_arrays

__all__ = ["Catalogue", "Listing", "build_catalogue"]


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Products on sale, stored category by category.

    Attributes
    ----------
    category_names : tuple of str
        Category names in alphabetical order; category ``c`` is ``category_names[c]``.
    category : ndarray of int16
        Category of each product; products of one category are consecutive.
    price : ndarray of float32
        Price in RMB.
    quality : ndarray of float32
        Quality on a 0-1 scale.
    category_start, category_size : ndarray of int64
        Products of category ``c`` are ``category_start[c] .. + category_size[c] - 1``.
    need_rate : ndarray of float32
        Daily probability of a new need, per category.
    durable : ndarray of bool
        Categories bought once: a consumer who has bought one never needs it again.
    influencer_affinity : ndarray of float64
        Relative weight of each category in KOL posts.
    cross_border : ndarray of bool
        Imported products, sold only on platforms that list them.
    tax_rate : ndarray of float32
        Cross-border tax rate of each product (applies to imported ones).
    made_to_order : ndarray of bool
        Products whose price falls with aggregated demand (C2M).
    brand : ndarray of int32
        The brand that owns each product (:class:`~socialsim.world.brands.Brands`;
        -1 before brands are given, as from :func:`build_catalogue` alone).
    """

    category_names: tuple[str, ...]
    category: np.ndarray
    price: np.ndarray
    quality: np.ndarray
    category_start: np.ndarray
    category_size: np.ndarray
    need_rate: np.ndarray
    durable: np.ndarray
    influencer_affinity: np.ndarray
    cross_border: np.ndarray
    tax_rate: np.ndarray
    made_to_order: np.ndarray
    brand: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.brand is None:
            object.__setattr__(self, "brand", np.full(self.n_products, -1, dtype=np.int32))
        freeze_arrays(self)

    @property
    def n_products(self) -> int:
        """Number of products."""
        return int(self.category.shape[0])

    @property
    def n_categories(self) -> int:
        """Number of categories."""
        return len(self.category_names)

    def random_products(self, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw one product uniformly from each given category.

        Parameters
        ----------
        category : ndarray of int
            Category index per draw.
        rng : numpy.random.Generator
            Source of randomness.

        Returns
        -------
        ndarray of int32
            Product indices.
        """
        offset = (rng.random(category.shape[0]) * self.category_size[category]).astype(np.int64)
        return (self.category_start[category] + offset).astype(np.int32)

    def listing(self, mask: np.ndarray) -> Listing:
        """Return the products where `mask` is true, grouped by category, for uniform draws."""
        return Listing.of(self, mask)

    @cached_property
    def _domestic(self) -> Listing:
        return Listing.of(self, ~self.cross_border)

    @cached_property
    def _imported(self) -> Listing:
        return Listing.of(self, self.cross_border)

    def random_listed(
        self,
        category: np.ndarray,
        imported_share: np.ndarray | float,
        rng: np.random.Generator,
        run: np.ndarray | None = None,
        product_run: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draw one product of each category, domestic or imported.

        Parameters
        ----------
        category : ndarray of int
            Category index per draw.
        imported_share : float or ndarray of float
            Per draw, the probability of drawing an imported product when the
            category has one; 0 draws domestic products only (platforms that do
            not list imports).
        rng : numpy.random.Generator
            Source of randomness (two numbers per draw, in two calls).
        run, product_run : ndarray of int, optional
            In a batched ensemble's union catalogue: each draw's run and each
            product's run. A draw then picks among its own run's products of
            the category (listed run by run within it), so the same numbers
            pick the product its run alone picks.

        Returns
        -------
        ndarray of int32
            Product indices, -1 where the category has nothing to offer.

        Examples
        --------
        >>> from socialsim.config import CatalogueConfig
        >>> cat = build_catalogue(CatalogueConfig(), np.random.default_rng(0))
        >>> drawn = cat.random_listed(np.zeros(1000, dtype=int), 0.0, np.random.default_rng(1))
        >>> bool(cat.cross_border[drawn].any())
        False
        """
        category = np.asarray(category, dtype=np.int64)
        domestic, imported = self._domestic, self._imported
        u = rng.random(category.shape[0])
        want_import = rng.random(category.shape[0]) < imported_share
        if run is None:
            cell = category
            tables = [(listing, listing.start, listing.size) for listing in (imported, domestic)]
        else:
            if product_run is None:
                raise ValueError("draws of several runs need each product's run (product_run)")
            n_runs = int(np.max(product_run, initial=0)) + 1
            cell = np.asarray(run, dtype=np.int64) * self.n_categories + category
            tables = [
                (listing, *self._run_blocks(listing, product_run, n_runs))
                for listing in (imported, domestic)
            ]
        (_, _, imported_size), (_, _, domestic_size) = tables
        has_import = imported_size[cell] > 0
        has_domestic = domestic_size[cell] > 0
        use_import = has_import & (want_import | ~has_domestic)
        out = np.full(category.shape[0], -1, dtype=np.int32)
        chosen_of = (use_import, ~use_import & has_domestic)
        for (listing, start, size), chosen in zip(tables, chosen_of, strict=True):
            c = cell[chosen]
            pick = start[c] + (u[chosen] * size[c]).astype(np.int64)
            out[chosen] = listing.products[pick]
        return out

    def _run_blocks(
        self, listing: Listing, product_run: np.ndarray, n_runs: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Where each (run, category)'s products start in `listing`, and how many: flat arrays."""
        product_run = np.asarray(product_run, dtype=np.int64).take(listing.products)
        size = np.bincount(
            product_run * self.n_categories + self.category[listing.products],
            minlength=n_runs * self.n_categories,
        ).reshape(n_runs, self.n_categories)
        start = listing.start[None, :] + np.cumsum(size, axis=0) - size
        return start.reshape(-1), size.reshape(-1)


@dataclass(frozen=True, eq=False)
class Listing:
    """A subset of the catalogue, grouped by category, for uniform draws.

    The products of category ``c`` in it are
    ``products[start[c] : start[c] + size[c]]``.
    """

    products: np.ndarray
    start: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, catalogue: Catalogue, mask: np.ndarray) -> Listing:
        """Return the products of `catalogue` where `mask` is true, by category."""
        products = np.flatnonzero(mask).astype(np.int32)  # already ordered by category
        size = np.bincount(catalogue.category[products], minlength=catalogue.n_categories)
        return cls(products=products, start=offsets(size), size=size.astype(np.int64))


def build_catalogue(config: CatalogueConfig, rng: np.random.Generator) -> Catalogue:
    """Draw the products of each category.

    Prices are lognormal around the category median; quality is Beta
    distributed around the category mean with ``config.quality_concentration``.
    Categories are laid out in alphabetical order, whatever their order in the
    config, so that two configs that compare equal build the same catalogue.

    Parameters
    ----------
    config : CatalogueConfig
        The catalogue section of the config.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Catalogue

    Examples
    --------
    >>> from socialsim.config import CatalogueConfig
    >>> cat = build_catalogue(CatalogueConfig(), np.random.default_rng(0))
    >>> cat.category_names[:3]
    ('beauty', 'electronics', 'fashion')
    >>> bool(np.all(np.diff(cat.category) >= 0))
    True
    """
    names = tuple(sorted(config.categories))
    rows = [config.categories[name] for name in names]
    sizes = np.array([r.n_products for r in rows], dtype=np.int64)
    category = np.repeat(np.arange(len(rows), dtype=np.int16), sizes)
    median = np.repeat([r.median_price for r in rows], sizes)
    sigma = np.repeat([r.price_sigma for r in rows], sizes)
    price = median * np.exp(sigma * rng.standard_normal(category.size))
    mean_q = np.repeat([r.mean_quality for r in rows], sizes)
    k = config.quality_concentration
    quality = rng.beta(mean_q * k, (1.0 - mean_q) * k)
    # Drawn after prices and quality, so those stay the same whatever the shares.
    imported = rng.random(category.size) < np.repeat([r.cross_border_share for r in rows], sizes)
    made_to_order = rng.random(category.size) < np.repeat([r.c2m_share for r in rows], sizes)
    return Catalogue(
        category_names=names,
        category=category,
        price=np.round(price, 2).astype(np.float32),
        quality=quality.astype(np.float32),
        category_start=offsets(sizes),
        category_size=sizes,
        need_rate=np.array([r.need_rate for r in rows], dtype=np.float32),
        durable=np.array([r.durable for r in rows], dtype=bool),
        influencer_affinity=np.array([r.influencer_affinity for r in rows], dtype=np.float64),
        cross_border=imported,
        tax_rate=np.repeat([r.cross_border_tax for r in rows], sizes).astype(np.float32),
        made_to_order=made_to_order,
    )
