"""Brands: who owns each product of the catalogue, with its positioning, origin and channels.

The default world's brands are generated from the catalogue without drawing a
number (so the rest of the world is the same with them or without): within
each category the dearest products belong to premium brands, the cheapest to
discount brands and the rest to mass brands; imported products belong to
imported brands. Named brands (``brands.named``) bring products of their own,
added at the end of their category's products at their positioning's price.

References
----------
.. [1] Seed on Kaola (shared/domain.md, "Calendar, exports and brands"):
   direct purchase against a marketplace; premium brands avoid heavy discounters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from socialsim._csr import offsets
from socialsim.config.schema import ModelConfig
from socialsim.enums import BrandChannel, Origin, Positioning
from socialsim.world._common import freeze_arrays
from socialsim.world.catalogue import Catalogue

__all__ = ["Brands", "build_brands", "positioning_by_price"]

_POSITIONINGS = tuple(p.name.lower() for p in Positioning)
_ORIGINS = tuple(o.name.lower() for o in Origin)


@dataclass(frozen=True, eq=False)
class Brands:
    """The brands of a world (brand ``b`` is row ``b`` of every array).

    Attributes
    ----------
    names : tuple of str
        Generated brands are named ``category_positioning_origin_k``; named
        brands keep their config name.
    positioning : ndarray of int8
        :class:`~socialsim.enums.Positioning` of each brand.
    origin : ndarray of int8
        :class:`~socialsim.enums.Origin` of each brand.
    category : ndarray of int16
        The category its products are in.
    exports : ndarray of bool
        Sells abroad through the export channel.
    channel : ndarray of int8, shape (platforms, brands)
        :class:`~socialsim.enums.BrandChannel` of each brand on each platform
        of the world, as configured (a brand's reviews may still keep it off a
        platform it could sell on).
    named : ndarray of bool
        Brands from ``brands.named`` (the others are generated).
    """

    names: tuple[str, ...]
    positioning: np.ndarray
    origin: np.ndarray
    category: np.ndarray
    exports: np.ndarray
    channel: np.ndarray
    named: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_brands(self) -> int:
        """Number of brands."""
        return len(self.names)

    def positioning_names(self) -> list[str]:
        """Return each brand's positioning as a lower-case name."""
        return [_POSITIONINGS[p] for p in self.positioning.tolist()]

    def origin_names(self) -> list[str]:
        """Return each brand's origin as a lower-case name."""
        return [_ORIGINS[o] for o in self.origin.tolist()]


def positioning_by_price(
    price: np.ndarray, category: np.ndarray, premium_share: float, discount_share: float
) -> np.ndarray:
    """Return each product's positioning from its price rank within its category.

    The ``round(premium_share * n)`` dearest products of a category of ``n``
    are premium, the ``round(discount_share * n)`` cheapest discount, the rest
    mass; ties are broken by product number.

    Parameters
    ----------
    price : ndarray of float
        Product prices.
    category : ndarray of int
        Product categories (products of one category consecutive).
    premium_share, discount_share : float
        Shares of each category.

    Returns
    -------
    ndarray of int8
        :class:`~socialsim.enums.Positioning` per product.

    Examples
    --------
    >>> price = np.array([10.0, 50.0, 20.0, 30.0, 5.0])
    >>> positioning_by_price(price, np.zeros(5, int), 0.2, 0.4).tolist()
    [2, 0, 1, 1, 2]
    """
    n = price.shape[0]
    out = np.full(n, Positioning.MASS, dtype=np.int8)
    # rank within category, dearest first: sort by (category, -price, index)
    order = np.lexsort((np.arange(n), -price, category))
    sizes = np.bincount(category, minlength=int(category.max(initial=-1)) + 1)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(offsets(sizes), sizes)
    size = sizes[category]
    n_premium = np.round(premium_share * size)
    n_discount = np.round(discount_share * size)
    out[rank < n_premium] = Positioning.PREMIUM
    out[rank >= size - n_discount] = Positioning.DISCOUNT
    return out


def build_brands(
    config: ModelConfig, catalogue: Catalogue, platform_names: tuple[str, ...]
) -> tuple[Catalogue, Brands]:
    """Give every product a brand, adding the named brands' products to the catalogue.

    Parameters
    ----------
    config : ModelConfig
        The world's config (``brands``, ``catalogue`` and the platforms' ``brands`` rows).
    catalogue : Catalogue
        The generated catalogue.
    platform_names : tuple of str
        The world's platforms, in order.

    Returns
    -------
    catalogue : Catalogue
        With the named brands' products and ``brand`` set.
    brands : Brands

    Examples
    --------
    >>> from socialsim.world.catalogue import build_catalogue
    >>> cfg = ModelConfig().with_overrides(
    ...     {"brands.named.aurora": {"category": "beauty", "positioning": "premium"}})
    >>> cat, brands = build_brands(cfg, build_catalogue(cfg.catalogue, np.random.default_rng(0)),
    ...                            ("kaola", "pinduoduo"))
    >>> int((cat.brand == brands.names.index("aurora")).sum())
    3
    """
    settings = config.brands
    catalogue = _with_named_products(config, catalogue)
    n_named_products = np.zeros(catalogue.n_categories, dtype=np.int64)
    named_rows = sorted(settings.named.items())
    for _, row in named_rows:
        n_named_products[catalogue.category_names.index(row.category)] += row.n_products
    # the generated products are each category's first ones; the named ones follow
    generated = np.ones(catalogue.n_products, dtype=bool)
    first_named = catalogue.category_start + catalogue.category_size - n_named_products
    for c in np.flatnonzero(n_named_products):
        generated[first_named[c] : catalogue.category_start[c] + catalogue.category_size[c]] = False

    gen = settings.generated
    idx = np.flatnonzero(generated)
    positioning = np.full(catalogue.n_products, Positioning.MASS, dtype=np.int8)
    positioning[idx] = positioning_by_price(
        catalogue.price[idx].astype(np.float64),
        catalogue.category[idx],
        gen.premium_share,
        gen.discount_share,
    )
    origin = catalogue.cross_border.astype(np.int8)
    # generated brand of each product: (category, positioning, origin, k), k by product number
    k = gen.per_positioning
    slot = np.zeros(catalogue.n_products, dtype=np.int64)
    combo = (catalogue.category.astype(np.int64) * 3 + positioning) * 2 + origin
    for key in np.unique(combo[idx]):
        members = idx[combo[idx] == key]
        slot[members] = np.arange(members.size) % k
    brand_key = combo * k + slot
    used = np.unique(brand_key[idx])
    brand = np.full(catalogue.n_products, -1, dtype=np.int32)
    brand[idx] = np.searchsorted(used, brand_key[idx]).astype(np.int32)

    names: list[str] = []
    pos_list: list[int] = []
    origin_list: list[int] = []
    category_list: list[int] = []
    exports_list: list[bool] = []
    exporting = {Positioning[p.upper()] for p in gen.exporting}
    for key in used.tolist():
        combo_key, s = divmod(key, k)
        rest, o = divmod(combo_key, 2)
        c, p = divmod(rest, 3)
        suffix = f"_{s + 1}" if k > 1 else ""
        names.append(f"{catalogue.category_names[c]}_{_POSITIONINGS[p]}_{_ORIGINS[o]}{suffix}")
        pos_list.append(p)
        origin_list.append(o)
        category_list.append(c)
        exports_list.append(o == Origin.DOMESTIC and p in exporting)
    n_generated = len(names)

    # named brands: their products, in name order, at the end of their categories
    cursor = first_named.copy()
    for b, (name, row) in enumerate(named_rows):
        c = catalogue.category_names.index(row.category)
        brand[cursor[c] : cursor[c] + row.n_products] = n_generated + b
        cursor[c] += row.n_products
        names.append(name)
        pos_list.append(int(Positioning[row.positioning.upper()]))
        origin_list.append(int(Origin[row.origin.upper()]))
        category_list.append(c)
        exports_list.append(row.exports)

    channel = np.zeros((len(platform_names), len(names)), dtype=np.int8)
    for p, platform in enumerate(platform_names):
        default = BrandChannel[config.platforms[platform].brands.channel.upper()]
        channel[p, :n_generated] = default
        for b, (_, row) in enumerate(named_rows):
            if row.channels is None:
                channel[p, n_generated + b] = default
            elif platform in row.channels:
                channel[p, n_generated + b] = BrandChannel[row.channels[platform].upper()]
    named = np.zeros(len(names), dtype=bool)
    named[n_generated:] = True
    brands = Brands(
        names=tuple(names),
        positioning=np.array(pos_list, dtype=np.int8),
        origin=np.array(origin_list, dtype=np.int8),
        category=np.array(category_list, dtype=np.int16),
        exports=np.array(exports_list, dtype=bool),
        channel=channel,
        named=named,
    )
    return dataclasses.replace(catalogue, brand=brand), brands


def _with_named_products(config: ModelConfig, catalogue: Catalogue) -> Catalogue:
    """Return the catalogue with each named brand's products at the end of its category."""
    named = sorted(config.brands.named.items())
    if not named:
        return catalogue
    rows = config.catalogue.categories
    price = catalogue.price.astype(np.float64)
    columns = {
        "category": catalogue.category,
        "price": price,
        "quality": catalogue.quality,
        "cross_border": catalogue.cross_border,
        "tax_rate": catalogue.tax_rate,
        "made_to_order": catalogue.made_to_order,
    }
    # insert from the last category back, so earlier insertion points stay valid
    ends = catalogue.category_start + catalogue.category_size
    additions: list[tuple[int, dict[str, np.ndarray]]] = []
    for _, row in named:
        c = catalogue.category_names.index(row.category)
        category_row = rows[row.category]
        index = row.price_index or config.brands.positioning(row.positioning).price_index
        n = row.n_products
        additions.append(
            (
                c,
                {
                    "category": np.full(n, c, dtype=np.int16),
                    "price": np.full(n, round(category_row.median_price * index, 2)),
                    "quality": np.full(n, row.quality, dtype=np.float32),
                    "cross_border": np.full(n, row.origin == "imported"),
                    "tax_rate": np.full(n, category_row.cross_border_tax, dtype=np.float32),
                    "made_to_order": np.zeros(n, dtype=bool),
                },
            )
        )
    for c in sorted({c for c, _ in additions}, reverse=True):
        parts = [part for cc, part in additions if cc == c]
        at = int(ends[c])
        for name in columns:
            added = np.concatenate([part[name] for part in parts])
            columns[name] = np.insert(columns[name], at, added.astype(columns[name].dtype))
    sizes = np.bincount(columns["category"], minlength=catalogue.n_categories).astype(np.int64)
    return dataclasses.replace(
        catalogue,
        category=columns["category"],
        price=np.round(columns["price"], 2).astype(np.float32),
        quality=columns["quality"],
        cross_border=columns["cross_border"],
        tax_rate=columns["tax_rate"],
        made_to_order=columns["made_to_order"],
        category_start=offsets(sizes),
        category_size=sizes,
        brand=np.full(columns["category"].shape[0], -1, dtype=np.int32),
    )
