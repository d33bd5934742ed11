"""The record of one simulated day: what the components count and what ships.

The model opens a :class:`Day` at the start of each step with a counter for
every declared metric column (:mod:`socialsim.columns`); components add to the
counters as the day runs (``day.add("groups_started", n)``) and the shipped
orders are collected for the order log and the step's row. At the end of the
step the model records it (:mod:`socialsim.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from socialsim.columns import MetricColumn

__all__ = ["ORDER_FIELDS", "Day"]

ORDER_FIELDS: dict[str, type] = {
    "buyer": np.int32,
    "product": np.int32,
    "category": np.int16,
    "price_paid": np.float32,
    "channel": np.int8,
    "source": np.int8,
    "platform": np.int8,
    "group_id": np.int64,
}
"""The fields of a shipped order, with the dtypes the order log keeps."""


@dataclass(eq=False)
class Day:
    """What one step accumulates for its metrics row: counts, RMB totals, shipped orders.

    Attributes
    ----------
    step : int
        The day (Mesa's step count, from 1).
    n_tiers : int
        City tiers of the world.
    count : dict of str to int
        The day's whole-number columns (``int64`` declarations).
    total : dict of str to float
        The day's real-number columns (``float64`` declarations).
    orders : list of dict
        Batches of orders shipped today, each a dict of :data:`ORDER_FIELDS` arrays.
    session_orders : list of ndarray
        Livestream session of each livestream order shipped today.
    tier_offers, tier_feed_offers, tier_member_gmv : ndarray
        Per tier (index 0 is tier 1): offers, feed offers, GMV at member prices.

    Examples
    --------
    >>> day = Day.start(3, 2, [MetricColumn.count("groups"), MetricColumn.total("fees")])
    >>> day.add("groups", 2); day.add("fees", 1.5); day.add("groups", 1)
    >>> day.count, day.total
    ({'groups': 3}, {'fees': 1.5})
    """

    step: int
    n_tiers: int = 0
    count: dict[str, int] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    orders: list[dict[str, np.ndarray]] = field(default_factory=list)
    session_orders: list[np.ndarray] = field(default_factory=list)
    n_runs: int = 1
    tier_offers: np.ndarray = field(init=False)
    tier_feed_offers: np.ndarray = field(init=False)
    tier_member_gmv: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        shape = self.n_tiers if self.n_runs == 1 else (self.n_runs, self.n_tiers)
        self.tier_offers = np.zeros(shape, dtype=np.int64)
        self.tier_feed_offers = np.zeros(shape, dtype=np.int64)
        self.tier_member_gmv = np.zeros(shape, dtype=np.float64)

    @classmethod
    def start(
        cls, step: int, n_tiers: int, columns: Iterable[MetricColumn], n_runs: int = 1
    ) -> Day:
        """Open the day with a zero counter for each declared column.

        With ``n_runs > 1`` (a batched ensemble) each counter holds one value
        per run: an ``int64`` or ``float64`` array, to which mechanisms add
        per-run values (:class:`socialsim.runs.Runs`).
        """
        count: dict[str, int] = {}
        total: dict[str, float] = {}
        for column in columns:
            if column.dtype == "int64":
                count[column.name] = 0 if n_runs == 1 else np.zeros(n_runs, np.int64)
            else:
                total[column.name] = 0.0 if n_runs == 1 else np.zeros(n_runs, np.float64)
        return cls(step, n_tiers, count, total, n_runs=n_runs)

    def add(self, name: str, value: float) -> None:
        """Add `value` to the counter of column `name` (declared by the component that adds).

        In an ensemble `value` is one value per run (or one for all).

        Raises
        ------
        KeyError
            If no component declared a column of that name.
        """
        if self.n_runs > 1:
            if name in self.count:
                self.count[name] = self.count[name] + np.asarray(value).astype(np.int64)
            elif name in self.total:
                self.total[name] = self.total[name] + np.asarray(value, dtype=np.float64)
            else:
                self.set(name, value)  # raises the error that names the rule
            return
        if name in self.count:
            self.count[name] += int(value)
        elif name in self.total:
            self.total[name] += float(value)
        else:
            raise KeyError(
                f"no metric column {name!r} was declared: a component declares the columns it "
                "records in its 'columns' attribute"
            )

    def set(self, name: str, value: float) -> None:
        """Set the counter of column `name` (for levels, recorded at the end of the day)."""
        if name in self.count:
            if self.n_runs > 1:
                self.count[name] = np.broadcast_to(value, self.n_runs).astype(np.int64)
            else:
                self.count[name] = int(value)
        elif name in self.total:
            if self.n_runs > 1:
                self.total[name] = np.broadcast_to(value, self.n_runs).astype(np.float64)
            else:
                self.total[name] = float(value)
        else:
            raise KeyError(
                f"no metric column {name!r} was declared: a component declares the columns it "
                "records in its 'columns' attribute"
            )

    def concat_orders(self) -> dict[str, np.ndarray]:
        """Return today's shipped orders as one array per :data:`ORDER_FIELDS` field."""
        return {
            name: np.concatenate([np.empty(0, dtype)] + [o[name] for o in self.orders]).astype(
                dtype
            )
            for name, dtype in ORDER_FIELDS.items()
        }
