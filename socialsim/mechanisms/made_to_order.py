"""Made to order (C2M): aggregated demand is made in batches, and production lowers the price.

On a platform with ``c2m.enabled`` (``mode: production``, the default), every
unit of a made-to-order product ordered through a group or a livestream (the
channels that aggregate demand) joins the open batch of that (platform,
product) as it ships. At the end of every ``batch_days``-th day (days
``batch_days``, ``2 x batch_days``, ...) the open batches with any units close
and go into production, and a batch closed at the end of day *t* is made at
the end of day *t* + ``production_lag``. Orders of other channels (solo
orders, search, stores) do not join a batch: that product is kept in stock.
A buyer's order is paid and ships (counts in GMV and orders) when the checkout
ships it; the batch is the factory's side of it, and returns do not unmake it.

The unit cost of each (platform, product) follows Wright's law on the units
made, ``Q`` (per 10,000 consumers, so worlds of different sizes learn alike),
above the factory's experience before the run, ``Q0`` (``experience_units``):
the part of the cost that learns is multiplied by ``cost_per_doubling`` each
time ``Q0 + Q`` doubles, and the materials' share (``material_share``, *m*)
does not learn::

    cost index = 1 - (1 - m) * (1 - (1 + Q / Q0) ** -b),   b = -log2(cost_per_doubling)

so it starts at 1 and falls smoothly towards *m*. The price follows the cost:
the C2M price factor is ``min(1, unit_cost x (1 + markup) x cost index)``
(the defaults 0.8 x 1.25 = 1 start at the catalogue price), applied in the
:class:`~socialsim.mechanisms.pricing.PriceBook` with the platform's price
level, promotions and festival cuts, from the morning after a batch is made.
It never rises: units made only grow.

``mode: steps`` keeps the rule from before: units of every product ordered
through groups and livestreams add to a cumulative volume (per 10,000
consumers), and a made-to-order product's price is cut by ``discounts`` once
the volume passes each of ``thresholds`` (:func:`c2m_discount`).

References
----------
.. [1] "E-Commerce is Social in China's Small Cities" (2020): livestreams and
   group buys aggregate demand so factories make to order with near-zero
   inventory.
.. [2] T. P. Wright, "Factors affecting the cost of airplanes", Journal of the
   Aeronautical Sciences 3(4), 122-128 (1936): unit cost falls by a constant
   share with each doubling of cumulative output (80 % in airframes).
.. [3] J. M. Dutton and A. Thomas, "Treating progress functions as a
   managerial opportunity", Academy of Management Review 9(2), 235-247
   (1984): progress ratios of 108 studies, mostly 0.7-0.9.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.enums import Channel
from socialsim.mechanisms.component import Component, platform_values

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = [
    "Batches",
    "MadeToOrder",
    "c2m_discount",
    "c2m_price_factor",
    "unit_cost_index",
]

PER_CONSUMERS = 1e4
"""C2M volumes are in units per this many consumers."""


def unit_cost_index(
    made: np.ndarray,
    experience: np.ndarray | float,
    cost_per_doubling: np.ndarray | float,
    material_share: np.ndarray | float,
) -> np.ndarray:
    """Return the unit cost relative to its level before the run, by Wright's law.

    Parameters
    ----------
    made : ndarray of float
        Units made so far (per 10,000 consumers), ``>= 0``.
    experience : float or ndarray
        Units made before the run (same unit), ``> 0``; broadcast against `made`.
    cost_per_doubling : float or ndarray
        Multiplier of the learning part of the cost per doubling, in (0, 1].
    material_share : float or ndarray
        Share of the cost that does not learn, in [0, 1].

    Returns
    -------
    ndarray of float64
        1 where nothing was made; falls towards `material_share` as `made` grows.

    References
    ----------
    .. [1] Wright (1936) (see the module docstring).

    Examples
    --------
    >>> unit_cost_index(np.array([0.0, 20.0, 60.0]), 20.0, 0.9, 0.0).round(4).tolist()
    [1.0, 0.9, 0.81]
    >>> unit_cost_index(np.array([0.0, 20.0, 1e30]), 20.0, 0.9, 0.6).round(4).tolist()
    [1.0, 0.96, 0.6]
    """
    made = np.asarray(made, dtype=np.float64)
    b = -np.log2(np.asarray(cost_per_doubling, dtype=np.float64))
    learnt = 1.0 - (1.0 + made / experience) ** -b  # 0 where nothing was made, exactly
    return 1.0 - (1.0 - np.asarray(material_share, dtype=np.float64)) * learnt


def c2m_price_factor(
    cost_index: np.ndarray, unit_cost: np.ndarray | float, markup: np.ndarray | float
) -> np.ndarray:
    """Return the C2M price factor: unit cost plus markup, never above the catalogue price.

    Parameters
    ----------
    cost_index : ndarray of float
        Unit cost relative to its starting level (:func:`unit_cost_index`).
    unit_cost : float or ndarray
        Starting unit cost, as a share of the catalogue price.
    markup : float or ndarray
        Share of the unit cost added to it.

    Returns
    -------
    ndarray of float64
        ``min(1, unit_cost x (1 + markup) x cost_index)``.

    Examples
    --------
    >>> c2m_price_factor(np.array([1.0, 0.9, 0.5]), 0.8, 0.25).tolist()
    [1.0, 0.9, 0.5]
    >>> c2m_price_factor(np.array([1.0, 0.9, 0.5]), 1.0, 0.5).tolist()
    [1.0, 1.0, 0.75]
    """
    start = np.asarray(unit_cost, dtype=np.float64) * (1.0 + np.asarray(markup, dtype=np.float64))
    return np.minimum(1.0, start * np.asarray(cost_index, dtype=np.float64))


def c2m_discount(volume: np.ndarray, thresholds: np.ndarray, discounts: np.ndarray) -> np.ndarray:
    """Return the C2M discount reached by each cumulative volume (``mode: steps``).

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


class Batches:
    """Made-to-order units of every (platform, product): waiting, in production, made.

    Parameters
    ----------
    n_platforms, n_products : int
        The shape of every array.
    batch_days : ndarray of int, shape (n_platforms,)
        Each platform's days between batch closings, ``>= 1``.
    lag : ndarray of int, shape (n_platforms,)
        Each platform's production lag in days, ``>= 1``.
    product_run : ndarray of int, shape (n_products,), optional
        In a batched ensemble, the run of each product (products of several
        runs are columns of one array): :meth:`end_day` and
        :meth:`in_production` then count per run. None for one run.
    n_runs : int, optional
        Number of runs K (with `product_run`).

    Attributes
    ----------
    waiting : ndarray of int64, shape (n_platforms, n_products)
        Units in the open batches.
    made : ndarray of int64, shape (n_platforms, n_products)
        Units made so far.
    pipeline : ndarray of int64, shape (max lag, n_platforms, n_products)
        Units in production, by the day they are made (modulo the max lag).

    Examples
    --------
    >>> line = Batches(1, 2, batch_days=np.array([2]), lag=np.array([3]))
    >>> line.order(np.array([0, 0, 0]), np.array([1, 1, 0]))
    >>> line.end_day(1), line.end_day(2)  # (batches started, units made, batches finished)
    ((0, 0, 0), (2, 0, 0))
    >>> line.in_production(), [line.end_day(step) for step in (3, 4, 5)]
    (3, [(0, 0, 0), (0, 0, 0), (0, 3, 2)])
    >>> line.made.tolist()
    [[1, 2]]
    """

    def __init__(
        self,
        n_platforms: int,
        n_products: int,
        batch_days: np.ndarray,
        lag: np.ndarray,
        product_run: np.ndarray | None = None,
        n_runs: int = 1,
    ) -> None:
        self.product_run, self.n_runs = product_run, n_runs
        self.batch_days = np.asarray(batch_days, dtype=np.int64)
        self.lag = np.asarray(lag, dtype=np.int64)
        if self.batch_days.shape != (n_platforms,) or self.lag.shape != (n_platforms,):
            raise ValueError(
                f"batch_days and lag must have one value per platform ({n_platforms}), "
                f"got {self.batch_days.shape} and {self.lag.shape}"
            )
        if n_platforms and (self.batch_days.min() < 1 or self.lag.min() < 1):
            raise ValueError(
                f"batch_days and lag must be >= 1, got {self.batch_days.tolist()} "
                f"and {self.lag.tolist()}"
            )
        shape = (n_platforms, n_products)
        self.waiting = np.zeros(shape, dtype=np.int64)
        self.made = np.zeros(shape, dtype=np.int64)
        self.ring = int(self.lag.max()) if n_platforms else 1
        self.pipeline = np.zeros((self.ring, *shape), dtype=np.int64)

    def order(self, platform: np.ndarray, product: np.ndarray) -> None:
        """Add one unit per order to its (platform, product)'s open batch."""
        np.add.at(self.waiting, (platform, product), 1)

    def end_day(self, step: int) -> tuple[Any, Any, Any]:
        """Finish the batches due today, then close today's batches into production.

        Returns
        -------
        (int, int, int), or three ndarrays of int64 (one value per run) with `product_run`
            Batches started, units made and batches finished today.
        """
        due = step % self.ring
        finished = self.pipeline[due]
        units_made = self.total(finished)
        batches_finished = self.total(finished != 0)
        self.made += finished
        finished[:] = 0
        closing = (step % self.batch_days) == 0
        start = np.where(closing[:, None], self.waiting, 0)
        rows = np.arange(self.waiting.shape[0])
        self.pipeline[(step + self.lag) % self.ring, rows] += start
        self.waiting -= start
        return self.total(start != 0), units_made, batches_finished

    def in_production(self) -> Any:
        """Units in batches that are closed and not made yet (per run with `product_run`)."""
        if self.product_run is None:
            return int(self.pipeline.sum())
        return self.total(self.pipeline.sum(axis=0))

    def total(self, cells: np.ndarray) -> Any:
        """Sum integer (or bool) cells of shape (..., n_products): an int, or one per run.

        Examples
        --------
        >>> line = Batches(1, 3, np.array([1]), np.array([1]), product_run=np.array([1, 0, 1]),
        ...                n_runs=2)
        >>> line.total(np.array([[2, 5, 1]])).tolist()
        [5, 3]
        """
        if self.product_run is None:
            return int(cells.sum()) if cells.dtype != bool else int(np.count_nonzero(cells))
        per_product = cells.reshape(-1, cells.shape[-1]).sum(axis=0, dtype=np.int64)
        # integer weights: exact in float64 far beyond any count of units
        return np.bincount(self.product_run, weights=per_product, minlength=self.n_runs).astype(
            np.int64
        )


class MadeToOrder(Component):
    """C2M: groups' and livestreams' orders of made-to-order products made in batches.

    Parameters (each platform, ``c2m``): ``enabled``, ``mode``,
    ``batch_days``, ``production_lag``, ``experience_units``,
    ``cost_per_doubling``, ``material_share``, ``unit_cost``, ``markup``
    (``mode: production``) or ``thresholds``, ``discounts`` (``mode:
    steps``); the catalogue's ``made_to_order`` products
    (``catalogue.categories.NAME.c2m_share``). State: the :class:`Batches`
    and, for ``mode: steps``, the cumulative volume; it sets the C2M factor of
    the :class:`~socialsim.mechanisms.pricing.PriceBook`
    (``model.prices.c2m``).

    Day by day: orders join the open batches as they ship (:meth:`shipped`);
    at the end of the day batches due are made, today's close, and the unit
    cost and tomorrow's C2M price factor follow the units made
    (:meth:`end_day`); see the module docstring for the rule.

    References
    ----------
    .. [1] "E-Commerce is Social in China's Small Cities" (2020); Wright (1936)
       (see the module docstring).
    """

    name = "made_to_order"
    batch_ready = True
    columns = (
        MetricColumn.count(
            "c2m_units_ordered",
            "made-to-order units ordered today through groups and livestreams on C2M "
            "platforms (they join the open batches)",
        ),
        MetricColumn.count("c2m_batches_started", "(platform, product) batches closed today"),
        MetricColumn.count("c2m_batches_finished", "(platform, product) batches made today"),
        MetricColumn.count("c2m_units_made", "made-to-order units made today"),
        MetricColumn.count("c2m_units_waiting", "made-to-order units in open batches", level=True),
        MetricColumn.count(
            "c2m_units_in_production",
            "made-to-order units in closed batches not yet made",
            level=True,
        ),
        MetricColumn.total(
            "c2m_unit_cost_index",
            "made-to-order unit cost relative to before the run, the mean over (platform, "
            "product) weighted by units ordered through groups and livestreams so far "
            "(1 before any)",
            level=True,
        ),
    )

    @classmethod
    def columns_for(cls, config: Any) -> tuple[MetricColumn, ...]:
        """Return the columns, in a world with a platform whose C2M makes to order only."""
        if not any(
            p.c2m.enabled and p.c2m.mode == "production" for p in config.active_platforms.values()
        ):
            return ()
        return cls.columns

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world, cfg = model.world, model.config
        names = world.platforms.names
        self.made_to_order = world.catalogue.made_to_order
        enabled = platform_values(cfg, names, "c2m.enabled", bool)
        mode = platform_values(cfg, names, "c2m.mode", object)
        #: platforms whose C2M makes to order (mode production), and those that step prices
        self.production = enabled & (mode == "production")
        self.steps = enabled & (mode == "steps")
        runs = getattr(model, "runs", None)
        #: each run's products in the union (None for one run): counts and means per run
        self.runs = runs if runs is not None and runs.batched else None
        product_run = None if self.runs is None else self.runs.layout.product.run
        if self.runs is None:
            self.units_per_order = PER_CONSUMERS / world.n_consumers
        else:  # per product: each run's volumes are per 10,000 of its own consumers
            per_run = PER_CONSUMERS / np.diff(self.runs.consumer_start).astype(np.float64)
            self.units_per_order = per_run.take(product_run)
        self.batches = Batches(
            len(names),
            self.made_to_order.shape[0],
            batch_days=platform_values(cfg, names, "c2m.batch_days", np.int64),
            lag=platform_values(cfg, names, "c2m.production_lag", np.int64),
            product_run=product_run,
            n_runs=1 if self.runs is None else self.runs.n,
        )
        self.experience = platform_values(cfg, names, "c2m.experience_units")[:, None]
        self.cost_per_doubling = platform_values(cfg, names, "c2m.cost_per_doubling")[:, None]
        self.material_share = platform_values(cfg, names, "c2m.material_share")[:, None]
        self.unit_cost = platform_values(cfg, names, "c2m.unit_cost")[:, None]
        self.markup = platform_values(cfg, names, "c2m.markup")[:, None]
        #: units ordered through groups and livestreams so far, the cost index's weights
        self.ordered = np.zeros(self.batches.made.shape, dtype=np.int64)
        #: mode steps: cumulative units per 10,000 consumers ordered through the two channels
        self.volume = np.zeros(self.batches.made.shape, dtype=np.float64)
        rows = [cfg.platforms[name].c2m for name in names]
        self.thresholds = [np.array(r.thresholds) for r in rows]
        self.discounts = [np.array(r.discounts) for r in rows]
        #: today's unit cost relative to before the run, per (platform, product)
        self.cost_index = np.ones(self.batches.made.shape, dtype=np.float64)
        # where the price starts (below the catalogue price if cost plus markup is): from the
        # first morning, when pricing sets the day's prices
        self._set_prices()

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Add units ordered through groups and livestreams to batches (and step volumes)."""
        aggregated = (orders.channel == Channel.GROUP) | (orders.channel == Channel.LIVESTREAM)
        if self.steps.any():
            units = self.units_per_order
            if self.runs is not None:  # each order's run's units
                units = units.take(orders.product[aggregated])
            np.add.at(
                self.volume,
                (orders.platform[aggregated], orders.product[aggregated]),
                units,
            )
        batched = aggregated & self.made_to_order[orders.product] & self.production[orders.platform]
        if batched.any():
            platform, product = orders.platform[batched], orders.product[batched]
            self.batches.order(platform, product)
            np.add.at(self.ordered, (platform, product), 1)
            if self.runs is None:
                day.add("c2m_units_ordered", int(batched.sum()))
            else:
                day.add("c2m_units_ordered", self.runs.count(self.runs.run_of("product", product)))

    def end_day(self, day: Day) -> None:
        """Make the batches due, close today's, and set tomorrow's C2M price factor."""
        factor = self.model.prices.c2m
        for p in np.flatnonzero(self.steps):  # a few platforms, each over its products
            cut = c2m_discount(self.volume[p], self.thresholds[p], self.discounts[p])
            factor[p] = np.where(self.made_to_order, 1.0 - cut, 1.0)
        if not self.production.any():
            return
        started, units_made, finished = self.batches.end_day(day.step)
        # (in an ensemble, when any run made units: the cost index is a function of the
        # units made alone, 1 exactly where none were, so a run that made none today gets
        # back the index and prices it has)
        if np.any(units_made):
            made = self.batches.made * self.units_per_order
            index = unit_cost_index(
                made, self.experience, self.cost_per_doubling, self.material_share
            )
            self.cost_index = np.where(self.production[:, None], index, 1.0)
            self._set_prices()
        day.add("c2m_batches_started", started)
        day.add("c2m_batches_finished", finished)
        day.add("c2m_units_made", units_made)
        day.set("c2m_units_waiting", self.batches.total(self.batches.waiting))
        day.set("c2m_units_in_production", self.batches.in_production())
        if self.runs is None:
            day.set("c2m_unit_cost_index", _mean_cost(self.cost_index, self.ordered))
        else:  # each run's mean over its own (platform, product) cells, in its own order
            day.set(
                "c2m_unit_cost_index",
                [
                    # take: C-ordered as the run's own arrays (a[:, cells] may not be), so
                    # the sum adds the cells in the run's order
                    _mean_cost(
                        self.cost_index.take(cells, axis=1), self.ordered.take(cells, axis=1)
                    )
                    for cells in (self.runs.entities("product", k) for k in range(self.runs.n))
                ],
            )

    def _set_prices(self) -> None:
        """Set the price factor of made-to-order products on production platforms."""
        on = self.production[:, None] & self.made_to_order[None, :]
        price = c2m_price_factor(self.cost_index, self.unit_cost, self.markup)
        self.model.prices.c2m[on] = price[on]


def _mean_cost(cost_index: np.ndarray, ordered: np.ndarray) -> float:
    """Return the cost index's mean weighted by units ordered (1 before any order)."""
    weight = ordered.sum()
    return float((cost_index * ordered).sum() / weight) if weight else 1.0
