"""Platform prices: price level, promotions, and the C2M factor made-to-order products carry.

A product's price on a platform is its catalogue price times its brand's
price index, times the platform's ``price_level``, times ``1 - depth`` while a
promotion runs (where the product takes the platform's promotions: a
marketplace brand joins none deeper than it accepts), times the C2M factor
(``PriceBook.c2m``: below 1 for made-to-order products whose aggregated
demand was made in batches, set by :mod:`socialsim.mechanisms.made_to_order`),
times ``1 - cut`` on a festival's days (:mod:`socialsim.mechanisms.calendar`;
where the product takes it).

References
----------
.. [1] "E-Commerce is Social in China's Small Cities" (2020): livestreams and
   group buys aggregate demand so factories make to order with near-zero
   inventory; Taobao Tejia and Jingxi run constant deals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.made_to_order import c2m_discount

if TYPE_CHECKING:
    from socialsim.day import Day

# c2m_discount moved to made_to_order (issue 25); it is still importable from here
__all__ = ["PriceBook", "Pricing", "c2m_discount"]


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

    Attributes
    ----------
    price : ndarray of float32, shape (P, n_products)
        Today's prices, rounded to the fen.
    c2m : ndarray of float64, shape (P, n_products)
        The C2M price factor (1 but for made-to-order products on platforms
        that run C2M); :class:`~socialsim.mechanisms.made_to_order.MadeToOrder`
        sets it, and it applies from the next repricing.
    event_cut : ndarray of float64, shape (P,)
        Today's festival cut per platform (the calendar sets it).
    """

    base_price: np.ndarray
    price_level: np.ndarray
    made_to_order: np.ndarray
    promo_rate: np.ndarray
    promo_depth: np.ndarray
    promo_days: np.ndarray

    def __post_init__(self) -> None:
        n_platforms, n_products = self.price_level.shape[0], self.base_price.shape[0]
        self.promo_until = np.full((n_platforms, n_products), -1, dtype=np.int32)
        self.price = np.empty((n_platforms, n_products), dtype=np.float32)
        self.c2m = np.ones((n_platforms, n_products), dtype=np.float64)
        self.event_cut = np.zeros(n_platforms, dtype=np.float64)
        #: each product's brand price index (its brand's reviews move it)
        self.brand_factor = np.ones(n_products, dtype=np.float64)
        #: the deepest cut each product takes on each platform (1: any; brands set it)
        self.max_cut = np.ones((n_platforms, n_products), dtype=np.float64)
        self._reprice(0)

    def advance(
        self,
        step: int,
        rng: np.random.Generator | Sequence[np.random.Generator],
        products: Sequence[np.ndarray] | None = None,
        product_run: np.ndarray | None = None,
    ) -> Any:
        """Start today's promotions and reprice; return how many promotions started.

        Parameters
        ----------
        step : int
            Today.
        rng : numpy.random.Generator, or one per run
            One float32 per platform and product, platform by platform (in a
            batched ensemble each run's from its own stream, over its own
            products in their local order, as the run alone draws them).
        products : sequence of ndarray, optional
            With one generator per run: each run's products in the book, in
            their local order (:meth:`socialsim.runs.Runs.entities`).
        product_run : ndarray of int, optional
            With one generator per run: each product's run (to count per run).

        Returns
        -------
        int, or ndarray of int64 with several runs
            Promotions started (per run).
        """
        shape = self.promo_until.shape
        idle = self.promo_until < step
        if isinstance(rng, np.random.Generator):
            draw = rng.random(shape, dtype=np.float32)
        else:
            # each run draws its (platforms, own products) block, platform by platform, as
            # alone; the columns then go to its products' places in the book
            draw = np.empty(shape, dtype=np.float32)
            for generator, columns in zip(rng, products, strict=True):
                if columns.size:
                    draw[:, columns] = generator.random((shape[0], columns.size), np.float32)
        start = idle & (draw < self.promo_rate[:, None])
        ends = (step + self.promo_days[:, None] - 1).astype(np.int32)
        self.promo_until = np.where(start, ends, self.promo_until)
        self._reprice(step)
        if product_run is None:
            return int(np.count_nonzero(start))
        per_product = np.count_nonzero(start, axis=0)
        return np.bincount(product_run, weights=per_product, minlength=len(rng)).astype(np.int64)

    def _reprice(self, step: int) -> None:
        takes_promo = (self.promo_until >= step) & (self.promo_depth[:, None] <= self.max_cut)
        promo = np.where(takes_promo, 1.0 - self.promo_depth[:, None], 1.0)
        base = self.base_price * self.brand_factor
        price = base[None, :] * self.price_level[:, None] * promo * self.c2m
        if self.event_cut.any():
            takes_event = self.event_cut[:, None] <= self.max_cut
            price = price * np.where(takes_event, 1.0 - self.event_cut[:, None], 1.0)
        self.price[:] = np.round(price, 2)


class Pricing(Component):
    """Platform prices: price level and promotions, set every morning.

    Parameters (each platform): ``price_level`` and ``promotions.{rate, depth,
    days}``. State: the :class:`PriceBook` (``book.price[platform, product]``
    is today's price). Day by day: promotions start and prices are set (start
    of the day), with the calendar's festival cut and the C2M factor that
    :class:`~socialsim.mechanisms.made_to_order.MadeToOrder` keeps.

    References
    ----------
    .. [1] "E-Commerce is Social in China's Small Cities" (2020) (see the module docstring).
    """

    name = "pricing"
    batch_ready = True
    columns = (
        MetricColumn.count("promotions_started", "(product, platform) promotions started today"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world, cfg = model.world, model.config
        names = world.platforms.names
        self.book = PriceBook(
            base_price=world.catalogue.price.astype(np.float64),
            price_level=platform_values(cfg, names, "price_level"),
            made_to_order=world.catalogue.made_to_order,
            promo_rate=platform_values(cfg, names, "promotions.rate", np.float32),
            promo_depth=platform_values(cfg, names, "promotions.depth"),
            promo_days=platform_values(cfg, names, "promotions.days", np.int32),
        )

    def start_day(self, day: Day) -> None:
        """Start today's promotions and set today's prices (each run's from its own stream)."""
        runs = self.model.runs
        products = product_run = None
        if runs.batched:
            products = [runs.entities("product", k) for k in range(runs.n)]
            product_run = runs.layout.product.run
        self.book.event_cut = self.model.calendar.cut
        day.count["promotions_started"] = self.book.advance(
            day.step, self.generators(day, "promotions"), products, product_run
        )
