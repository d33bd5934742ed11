"""The personal cross-border e-commerce quota and the tax paid inside it.

Since 2019 a Chinese consumer may import goods through cross-border
e-commerce (CBEC) worth at most RMB 5,000 per transaction and RMB 26,000 per
year [1]_. An order over either limit is blocked here. Orders are judged in
the order given, as if one by one: an order is allowed when it fits the
per-order limit and the consumer's year-to-date spending plus the order still
fits the annual limit. A blocked order does not use up quota, so a later,
smaller order of the same consumer may still fit.

Inside the quota there is no tariff, and VAT and consumption tax are charged
at 70 % of the statutory rate [2]_: about 9.1 % of the value for ordinary goods
(13 % VAT × 0.7) and about 23 % for cosmetics (VAT and a 15 % consumption tax,
levied on the tax-inclusive price, × 0.7).

References
----------
.. [1] Ningbo Customs, Q&A on cross-border e-commerce retail imports; HKTDC
   Research: RMB 5,000 per transaction and RMB 26,000 per person per year
   since 1 January 2019.
.. [2] Customs rules on cross-border e-commerce retail imports (derived
   rates): no tariff inside the quota, VAT and consumption tax at 70 %.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.mechanisms.component import Component

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = [
    "ANNUAL_LIMIT",
    "PER_ORDER_LIMIT",
    "TAX_RATE_COSMETICS",
    "TAX_RATE_ORDINARY",
    "CrossBorder",
    "cross_border_allowed",
    "cross_border_tax",
    "goods_value",
]

PER_ORDER_LIMIT = 5_000.0
"""RMB per transaction (since 2019)."""

ANNUAL_LIMIT = 26_000.0
"""RMB per person per calendar year (since 2019)."""

TAX_RATE_ORDINARY = 0.13 * 0.7
"""Share of the goods value paid as tax inside the quota: 13 % VAT at 70 % (about 9.1 %)."""

TAX_RATE_COSMETICS = (0.13 + 0.15) / (1 - 0.15) * 0.7
"""Same for cosmetics: VAT and a 15 % consumption tax on the tax-inclusive price, at 70 %."""


def cross_border_allowed(
    buyer: np.ndarray,
    value: np.ndarray,
    spent_this_year: np.ndarray,
    *,
    per_order_limit: float,
    annual_limit: float,
) -> np.ndarray:
    """Decide which cross-border orders the personal quota allows, and book them.

    Orders are judged in the given order. Order ``i`` is allowed iff
    ``value[i] <= per_order_limit`` and ``spent + value[i] <= annual_limit``,
    where ``spent`` is the buyer's spending this year including the buyer's
    earlier allowed orders in this batch. Blocked orders use no quota.

    The work runs in rounds: round ``r`` takes the ``r``-th order of every
    buyer at once, so there are as many rounds as the most orders one buyer
    has in the batch (after orders over the per-order limit are dropped).

    Parameters
    ----------
    buyer : ndarray of int, shape (m,)
        Consumer of each order, in ``0 .. n_consumers - 1``.
    value : ndarray of float, shape (m,)
        Goods value of each order (RMB), non-negative.
    spent_this_year : ndarray of float64, shape (n_consumers,)
        Cross-border spending so far this year per consumer. Updated in place:
        the value of every allowed order is added to its buyer.
    per_order_limit : float
        Largest allowed value of one order (RMB), non-negative;
        :data:`PER_ORDER_LIMIT` under the 2019 rules.
    annual_limit : float
        Largest allowed yearly spending per consumer (RMB), non-negative;
        :data:`ANNUAL_LIMIT` under the 2019 rules.

    Returns
    -------
    ndarray of bool, shape (m,)
        True where the order is allowed.

    Raises
    ------
    ValueError
        If the arrays do not match in length, a buyer is out of range, a value
        is negative or NaN, or a limit is negative or NaN.
    TypeError
        If `buyer` is not an integer array or `spent_this_year` is not float64.

    Examples
    --------
    Consumer 0 has spent 24,000 this year; a 3,000 order would exceed the
    annual quota and is blocked, but the later 2,000 order still fits. The
    6,000 order of consumer 1 is over the per-order limit.

    >>> spent = np.array([24_000.0, 0.0])
    >>> cross_border_allowed(
    ...     np.array([0, 0, 1, 1]),
    ...     np.array([3_000.0, 2_000.0, 6_000.0, 5_000.0]),
    ...     spent,
    ...     per_order_limit=PER_ORDER_LIMIT,
    ...     annual_limit=ANNUAL_LIMIT,
    ... ).tolist()
    [False, True, False, True]
    >>> spent.tolist()
    [26000.0, 5000.0]
    """
    buyer = np.asarray(buyer)
    value = np.asarray(value, dtype=np.float64)
    _check_limits(per_order_limit, annual_limit)
    _check_orders(buyer, value, spent_this_year)

    allowed = np.zeros(buyer.shape[0], dtype=bool)
    # An order over the per-order limit is blocked whatever the buyer spent.
    candidate = np.flatnonzero(value <= per_order_limit)
    if candidate.size == 0:
        return allowed
    who = buyer[candidate]

    # Rank of each candidate among its buyer's candidates (0 = first in the batch).
    by_buyer = np.argsort(who, kind="stable")
    sorted_who = who[by_buyer]
    run_start = np.flatnonzero(np.r_[True, sorted_who[1:] != sorted_who[:-1]])
    run_length = np.diff(np.r_[run_start, sorted_who.size])
    rank = np.empty(candidate.size, dtype=np.int64)
    rank[by_buyer] = np.arange(candidate.size) - np.repeat(run_start, run_length)

    # Lay the candidates out round by round; within a round each buyer appears once,
    # so the fancy-indexed update of spent_this_year below cannot lose an addition.
    by_round = np.argsort(rank, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank))]
    for lo, hi in pairwise(bounds):
        order = candidate[by_round[lo:hi]]
        b = buyer[order]
        after = spent_this_year[b] + value[order]
        fits = after <= annual_limit
        spent_this_year[b[fits]] = after[fits]
        allowed[order[fits]] = True
    return allowed


def cross_border_tax(value: np.ndarray, tax_rate: float | np.ndarray) -> np.ndarray:
    """Return the tax on each order inside the quota: value times the combined rate.

    Parameters
    ----------
    value : ndarray of float
        Goods value per order (RMB).
    tax_rate : float or ndarray of float
        Combined rate, one for all orders or one per order, e.g.
        :data:`TAX_RATE_ORDINARY` or :data:`TAX_RATE_COSMETICS`.

    Returns
    -------
    ndarray of float64
        Tax per order (RMB).

    Examples
    --------
    >>> cross_border_tax(np.array([1_000.0, 200.0]), TAX_RATE_ORDINARY).round(2).tolist()
    [91.0, 18.2]
    >>> round(TAX_RATE_COSMETICS, 4)
    0.2306
    """
    return np.asarray(value, dtype=np.float64) * np.asarray(tax_rate, dtype=np.float64)


def _check_limits(per_order_limit: float, annual_limit: float) -> None:
    # "not >=" also rejects NaN; infinity means "no limit" and is allowed.
    if not per_order_limit >= 0:
        raise ValueError(f"per_order_limit: must be >= 0, got {per_order_limit}")
    if not annual_limit >= 0:
        raise ValueError(f"annual_limit: must be >= 0, got {annual_limit}")


def _check_orders(buyer: np.ndarray, value: np.ndarray, spent: np.ndarray) -> None:
    if not np.issubdtype(buyer.dtype, np.integer):
        raise TypeError(f"buyer: must be an integer array, got dtype {buyer.dtype}")
    if not isinstance(spent, np.ndarray) or spent.dtype != np.float64 or spent.ndim != 1:
        raise TypeError(
            "spent_this_year: must be a 1-D float64 ndarray (it is updated in place), got "
            f"{type(spent).__name__} of dtype {getattr(spent, 'dtype', None)}"
        )
    if buyer.ndim != 1 or value.ndim != 1 or buyer.shape != value.shape:
        raise ValueError(
            "buyer and value: must be 1-D arrays of equal length, got shapes "
            f"{buyer.shape} and {value.shape}"
        )
    if buyer.size and (buyer.min() < 0 or buyer.max() >= spent.shape[0]):
        raise ValueError(
            f"buyer: must be in 0 .. {spent.shape[0] - 1} (len(spent_this_year) - 1), "
            f"got values from {buyer.min()} to {buyer.max()}"
        )
    bad = np.flatnonzero(~(value >= 0))
    if bad.size:
        raise ValueError(f"value: must be >= 0, got {value[bad[0]]} at order {bad[0]}")


def goods_value(paid: np.ndarray, tax_rate: np.ndarray) -> np.ndarray:
    """Return an import's value before cross-border tax, in whole fen (what the quota counts).

    Examples
    --------
    >>> goods_value(np.array([109.1]), np.array([0.091])).tolist()
    [100.0]
    """
    return np.round(np.asarray(paid, np.float64) / (1.0 + tax_rate), 2)


class CrossBorder(Component):
    """The personal import quota and the tax inside it, applied to every import bought.

    Parameters: ``cross_border.per_order_limit``, ``annual_limit`` and
    ``year_days``; imports' tax rates come with the catalogue. State: each
    consumer's ``cross_border_spent`` this quota year (in ``model.state``).

    Day by day: the quota year restarts every ``year_days`` (start of the day);
    purchases of imports over the purchaser's quota are blocked before they
    are paid, their needs left open (:meth:`screen`; a daigou's order counts
    against the daigou's quota, without its fee); shipped imports are counted
    with the tax they carried; an expired group gives its members' quota back
    (:meth:`release`).

    References
    ----------
    .. [1] Ningbo Customs; HKTDC Research (see the module docstring).
    """

    name = "cross_border"
    batch_ready = True
    columns = (
        MetricColumn.count("cbec_orders", "imported orders shipped today"),
        MetricColumn.count(
            "cbec_blocked_orders", "imported purchases blocked today by the personal quota"
        ),
        MetricColumn.total("cbec_tax", "RMB of cross-border tax in today's imported orders"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        self.law = model.config.cross_border

    def start_day(self, day: Day) -> None:
        """Restart the quota year every ``year_days`` days."""
        t = day.step
        if t > 1 and (t - 1) % self.law.year_days == 0:
            self.model.state.cross_border_spent[:] = 0.0

    def screen(self, day: Day, purchases: Offers, paid: np.ndarray) -> tuple[Offers, np.ndarray]:
        """Block imports over the purchaser's quota; return the purchases that go ahead.

        The purchaser of a daigou order is the daigou, and its service fee is
        not goods value.
        """
        catalogue = self.model.world.catalogue
        imported = catalogue.cross_border[purchases.product]
        if not imported.any():
            return purchases, paid
        idx = np.flatnonzero(imported)
        to_platform = paid[idx] / (1.0 + purchases.take(idx).service_fee())
        goods = goods_value(to_platform, catalogue.tax_rate[purchases.product[idx]])
        allowed = cross_border_allowed(
            purchases.purchaser()[idx].astype(np.int64),
            goods.astype(np.float64),
            self.model.state.cross_border_spent,
            per_order_limit=self.law.per_order_limit,
            annual_limit=self.law.annual_limit,
        )
        keep = np.ones(len(purchases), dtype=bool)
        keep[idx[~allowed]] = False
        # a purchaser's quota is its own, so the screen never looks across runs; only the
        # count is per run
        runs = self.model.runs
        run = runs.of_consumers(purchases.consumer[idx])
        day.count["cbec_blocked_orders"] += runs.count(run, ~allowed)
        return purchases.take(keep), paid[keep]

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Count the imported orders that shipped and the tax they carried."""
        catalogue = self.model.world.catalogue
        imported = catalogue.cross_border[orders.product]
        goods = np.where(imported, goods_value(price, catalogue.tax_rate[orders.product]), price)
        runs = self.model.runs
        run = runs.of_consumers(orders.consumer)
        day.count["cbec_orders"] += runs.count(run, imported)
        # each run's tax summed over its own imports, in their order (bit for bit as alone)
        day.total["cbec_tax"] += runs.sums(
            (price - goods)[imported], None if run is None else run[imported]
        )

    def release(self, consumer: np.ndarray, product: np.ndarray, refund: np.ndarray) -> None:
        """Give back the quota of refunded purchases (members of a group that expired)."""
        catalogue = self.model.world.catalogue
        imported = catalogue.cross_border[product]
        goods = goods_value(refund, catalogue.tax_rate[product])
        np.subtract.at(self.model.state.cross_border_spent, consumer[imported], goods[imported])
