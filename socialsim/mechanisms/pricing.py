"""Platform prices: price level, promotions and C2M demand aggregation.

A product's price on a platform is its catalogue price times its brand's
price index, times the platform's ``price_level``, times ``1 - depth`` while a
promotion runs (where the product takes the platform's promotions: a
marketplace brand joins none deeper than it accepts), times the C2M factor for
made-to-order products. C2M: units of a made-to-order product
ordered through groups and livestreams on the platform accumulate; each batch
threshold passed lowers its price to the next step's discount, so aggregated
demand lowers prices.

References
----------
.. [1] "E-Commerce is Social in China's Small Cities" (2020): livestreams and
   group buys aggregate demand so factories make to order with near-zero
   inventory; Taobao Tejia and Jingxi run constant deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.enums import Channel
from socialsim.mechanisms.component import Component, platform_values

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = ["PriceBook", "Pricing", "c2m_discount"]


def c2m_discount(volume: np.ndarray, thresholds: np.ndarray, discounts: np.ndarray) -> np.ndarray:
    """Return the C2M discount reached by each cumulative volume.

    Parameters
    ----------
    volume : ndarray of float
        Units ordered so far.
    thresholds : ndarray of float
        Increasing batch thresholds, in units.
    discounts : ndarray of float
        Discount once each threshold is reached.

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> volume = np.array([0, 99, 100, 500])
    >>> c2m_discount(volume, np.array([100, 400]), np.array([0.05, 0.1])).tolist()
    [0.0, 0.0, 0.05, 0.1]
    """
    steps = np.searchsorted(np.asarray(thresholds, dtype=np.float64), volume, side="right")
    table = np.concatenate(([0.0], np.asarray(discounts, dtype=np.float64)))
    return table[steps]


@dataclass(eq=False)
class PriceBook:
    """Today's price of every product on every platform, and what moves it.

    Parameters
    ----------
    base_price : ndarray of float, shape (n_products,)
        Catalogue prices.
    price_level : ndarray of float, shape (P,)
        Platforms' price levels.
    made_to_order : ndarray of bool, shape (n_products,)
        C2M products.
    promo_rate, promo_depth : ndarray of float, shape (P,)
        Daily probability a product goes on promotion, and the cut.
    promo_days : ndarray of int, shape (P,)
        Length of a promotion.
    c2m_thresholds, c2m_discounts : list of ndarray
        Per platform (empty where C2M is off), thresholds already in units.
    """

    base_price: np.ndarray
    price_level: np.ndarray
    made_to_order: np.ndarray
    promo_rate: np.ndarray
    promo_depth: np.ndarray
    promo_days: np.ndarray
    c2m_thresholds: list[np.ndarray]
    c2m_discounts: list[np.ndarray]

    def __post_init__(self) -> None:
        n_platforms, n_products = self.price_level.shape[0], self.base_price.shape[0]
        self.promo_until = np.full((n_platforms, n_products), -1, dtype=np.int32)
        self.volume = np.zeros((n_platforms, n_products), dtype=np.float64)
        self.price = np.empty((n_platforms, n_products), dtype=np.float32)
        #: today's festival cut per platform (share of price; the calendar sets it)
        self.event_cut = np.zeros(n_platforms, dtype=np.float64)
        #: each product's brand price index (its brand's reviews move it)
        self.brand_factor = np.ones(n_products, dtype=np.float64)
        #: the deepest cut each product takes on each platform (1: any; brands set it)
        self.max_cut = np.ones((n_platforms, n_products), dtype=np.float64)
        self._reprice(0)

    def advance(self, step: int, rng: np.random.Generator) -> int:
        """Start today's promotions and reprice; return how many promotions started."""
        shape = self.promo_until.shape
        idle = self.promo_until < step
        start = idle & (rng.random(shape, dtype=np.float32) < self.promo_rate[:, None])
        ends = (step + self.promo_days[:, None] - 1).astype(np.int32)
        self.promo_until = np.where(start, ends, self.promo_until)
        self._reprice(step)
        return int(np.count_nonzero(start))

    def add_volume(self, platform: np.ndarray, product: np.ndarray, units: np.ndarray) -> None:
        """Count units ordered through groups and livestreams (for C2M)."""
        np.add.at(self.volume, (platform, product), units)

    def c2m_factor(self) -> np.ndarray:
        """Price factor from C2M, shape (P, n_products)."""
        factor = np.ones(self.volume.shape, dtype=np.float64)
        for p, (thresholds, discounts) in enumerate(
            zip(self.c2m_thresholds, self.c2m_discounts, strict=True)
        ):
            if thresholds.size:
                cut = c2m_discount(self.volume[p], thresholds, discounts)
                factor[p] = np.where(self.made_to_order, 1.0 - cut, 1.0)
        return factor

    def _reprice(self, step: int) -> None:
        takes_promo = (self.promo_until >= step) & (self.promo_depth[:, None] <= self.max_cut)
        promo = np.where(takes_promo, 1.0 - self.promo_depth[:, None], 1.0)
        base = self.base_price * self.brand_factor
        price = base[None, :] * self.price_level[:, None] * promo * self.c2m_factor()
        if self.event_cut.any():
            takes_event = self.event_cut[:, None] <= self.max_cut
            price = price * np.where(takes_event, 1.0 - self.event_cut[:, None], 1.0)
        self.price[:] = np.round(price, 2)


class Pricing(Component):
    """Platform prices: price level, promotions and C2M, set every morning.

    Parameters (each platform): ``price_level``, ``promotions.{rate, depth,
    days}`` and ``c2m.{enabled, thresholds, discounts}``. State: the
    :class:`PriceBook` (``book.price[platform, product]`` is today's price)
    and the C2M volumes.

    Day by day: promotions start and prices are set (start of the day); units
    of made-to-order products ordered through groups and livestreams count
    towards the C2M thresholds as they ship (thresholds are per 10,000
    consumers, so each order counts ``10,000 / n`` units).

    References
    ----------
    .. [1] "E-Commerce is Social in China's Small Cities" (2020) (see the module docstring).
    """

    name = "pricing"
    columns = (
        MetricColumn.count("promotions_started", "(product, platform) promotions started today"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world, cfg = model.world, model.config
        names = world.platforms.names
        rows = [cfg.platforms[name] for name in names]
        self.book = PriceBook(
            base_price=world.catalogue.price.astype(np.float64),
            price_level=platform_values(cfg, names, "price_level"),
            made_to_order=world.catalogue.made_to_order,
            promo_rate=platform_values(cfg, names, "promotions.rate", np.float32),
            promo_depth=platform_values(cfg, names, "promotions.depth"),
            promo_days=platform_values(cfg, names, "promotions.days", np.int32),
            c2m_thresholds=[np.array(r.c2m.thresholds if r.c2m.enabled else ()) for r in rows],
            c2m_discounts=[np.array(r.c2m.discounts if r.c2m.enabled else ()) for r in rows],
        )
        self.units_per_order = 1e4 / world.n_consumers

    def start_day(self, day: Day) -> None:
        """Start today's promotions and set today's prices."""
        promotions = self.random(day, "promotions")
        self.book.event_cut = self.model.calendar.cut
        day.count["promotions_started"] = self.book.advance(day.step, promotions)

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Count units ordered through groups and livestreams towards C2M."""
        aggregated = (orders.channel == Channel.GROUP) | (orders.channel == Channel.LIVESTREAM)
        self.book.add_volume(
            orders.platform[aggregated],
            orders.product[aggregated],
            np.full(int(aggregated.sum()), self.units_per_order),
        )
