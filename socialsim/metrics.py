"""Per-step metrics and the order log.

The per-step table has one row per step (day) with, at least: ``step``,
``gmv``, ``orders``, ``buyers``, ``new_buyers``, ``customers`` and
``penetration_t1`` ... ``penetration_tK`` (the share of a tier's consumers who
have ever bought). Orders and GMV are also split by channel
(``orders_solo``, ``orders_group``, ``orders_livestream``, ``orders_store``;
they add up to ``orders``) and by :class:`~socialsim.enums.Source`
(``orders_search`` ... ``orders_store_owner``). :data:`FUNNEL_COLUMNS`
is the checkout's funnel column; every mechanism is a component that declares
its own columns (:class:`~socialsim.columns.MetricColumn`);
:data:`MECHANISM_COUNTS` and :data:`MECHANISM_TOTALS` are kept, empty, for
code that imported them. docs/outputs.md explains each column.

The per-platform table (:data:`PLATFORM_COLUMNS`) and the per-tier table
(:data:`TIER_COLUMNS`) are long tables, one row per step and platform or tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from socialsim._arrays import distinct
from socialsim.columns import Aggregate, MetricColumn, check_columns
from socialsim.enums import Channel, Source

__all__ = [
    "BUILTIN_COLUMNS",
    "CHANNELS_IN_USE",
    "FUNNEL_COLUMNS",
    "MECHANISM_COUNTS",
    "MECHANISM_TOTALS",
    "ORDER_COLUMNS",
    "PLATFORM_COLUMNS",
    "TIER_COLUMNS",
    "OrderLog",
    "PlatformRecorder",
    "StepRecorder",
    "TierRecorder",
    "core_columns",
    "penetration_columns",
    "step_columns",
]

CHANNELS_IN_USE: tuple[Channel, ...] = tuple(Channel)
"""Channels the model places orders through: solo, group, livestream and store.

Every order goes through exactly one, so ``orders`` is the sum of the
``orders_<channel>`` columns on every step.
"""

FUNNEL_COLUMNS: tuple[str, ...] = ("offers",)
"""The funnel's column the checkout keeps: offers made today, before the decision.

The mechanisms' own funnel columns (needs, posts, exposures) are declared by
their components.
"""

MECHANISM_COUNTS: tuple[str, ...] = ()
"""Kept for compatibility: every mechanism now declares its own columns (empty)."""

MECHANISM_TOTALS: tuple[str, ...] = ()
"""Kept for compatibility: every mechanism now declares its own columns (empty)."""

BUILTIN_COLUMNS: tuple[MetricColumn, ...] = (
    MetricColumn.count("offers", "offers made today, from every source, before the decision"),
)
"""The checkout's own column, after the core ones; every mechanism declares its own.

:data:`socialsim.model.MECHANISM_COLUMNS` has them all, in the step table's order.
"""


PLATFORM_COLUMNS: dict[str, str] = {
    "step": "int64",
    "platform": "category",
    "gmv": "float64",
    "orders": "int64",
    "buyers": "int64",
    "users": "int64",
    "active_users": "int64",
    "members": "int64",
    "authenticity": "float64",
}
"""The per-platform table: one row per step and platform. ``authenticity`` is the
platform's authenticity reputation at the end of the step: the share of its orders
not found counterfeit, remembered over ``brands.reputation_days``
(:mod:`socialsim.mechanisms.brands`)."""


def penetration_columns(n_tiers: int) -> list[str]:
    """Return the column names ``penetration_t1`` ... ``penetration_tK``."""
    return [f"penetration_t{k}" for k in range(1, n_tiers + 1)]


def core_columns(n_tiers: int) -> list[MetricColumn]:
    """Return the step table's core columns: the day, sales, customers, channels and sources.

    Examples
    --------
    >>> [c.name for c in core_columns(2)][:7]
    ['step', 'gmv', 'orders', 'buyers', 'new_buyers', 'customers', 'penetration_t1']
    """
    columns = [
        MetricColumn("step", "int64", Aggregate.LEVEL, "the day"),
        MetricColumn.total("gmv", "RMB of the orders shipped that day, before returns"),
        MetricColumn.count("orders", "orders shipped that day"),
        MetricColumn.count("buyers", "distinct buyers that day"),
        MetricColumn.count("new_buyers", "consumers whose first order shipped that day"),
        MetricColumn.count("customers", "consumers who have ever bought", level=True),
    ]
    columns += [
        MetricColumn.total(name, f"share of tier {k}'s consumers who have ever bought", level=True)
        for k, name in enumerate(penetration_columns(n_tiers), start=1)
    ]
    for member in (*CHANNELS_IN_USE, *Source):
        name = member.name.lower()
        columns.append(MetricColumn.count(f"orders_{name}", f"orders of {name}"))
        columns.append(MetricColumn.total(f"gmv_{name}", f"RMB of the orders of {name}"))
    return columns


def step_columns(n_tiers: int, columns: tuple[MetricColumn, ...] | None = None) -> dict[str, str]:
    """Return the per-step table's columns, in order, with their dtypes.

    Parameters
    ----------
    n_tiers : int
        City tiers of the world (one penetration column each).
    columns : tuple of MetricColumn, optional
        The mechanisms' columns, after the core ones (a model's ``columns``):
        :data:`BUILTIN_COLUMNS` if omitted, the columns the model still
        declares here rather than in a component.

    Examples
    --------
    >>> list(step_columns(2))[:7]
    ['step', 'gmv', 'orders', 'buyers', 'new_buyers', 'customers', 'penetration_t1']
    """
    core = core_columns(n_tiers)
    extra = BUILTIN_COLUMNS if columns is None else columns
    check_columns(extra, taken=[c.name for c in core])
    return {c.name: c.dtype for c in (*core, *extra)}


@dataclass
class StepRecorder:
    """Collects one row of metrics per step.

    Parameters
    ----------
    tier_sizes : ndarray of int
        Consumers per tier, for penetration.
    columns : tuple of MetricColumn
        The mechanisms' columns, after the core ones (default :data:`BUILTIN_COLUMNS`).
    """

    tier_sizes: np.ndarray
    columns: tuple[MetricColumn, ...] = BUILTIN_COLUMNS
    rows: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        step: int,
        *,
        price: np.ndarray,
        channel: np.ndarray,
        source: np.ndarray,
        buyer: np.ndarray,
        new_buyers: int,
        customers_by_tier: np.ndarray,
        counts: dict[str, float],
    ) -> dict[str, Any]:
        """Add the row of `step` and return it.

        Parameters
        ----------
        step : int
            The step just run.
        price, channel, source, buyer : ndarray
            One entry per order of the step.
        new_buyers : int
            Consumers whose first purchase was this step.
        customers_by_tier : ndarray of int
            Consumers per tier who have ever bought, after this step.
        counts : dict
            The value of each of the recorder's `columns`.
        """
        price = price.astype(np.float64)
        row: dict[str, Any] = {
            "step": int(step),
            "gmv": float(price.sum()),
            "orders": int(price.size),
            "buyers": int(distinct(buyer).size),
            "new_buyers": int(new_buyers),
            "customers": int(customers_by_tier.sum()),
        }
        shares = customers_by_tier / np.maximum(self.tier_sizes, 1)
        row.update(zip(penetration_columns(len(self.tier_sizes)), shares.tolist(), strict=True))
        for values, members in ((channel, CHANNELS_IN_USE), (source, tuple(Source))):
            size = max(members) + 1
            per_member = np.bincount(values, minlength=size)
            sums = np.bincount(values, weights=price, minlength=size)
            for member in members:
                name = member.name.lower()
                row[f"orders_{name}"] = int(per_member[member])
                row[f"gmv_{name}"] = float(sums[member])
        row.update(
            (c.name, int(counts[c.name]) if c.dtype == "int64" else float(counts[c.name]))
            for c in self.columns
        )
        self.rows.append(row)
        return row

    def frame(self) -> pd.DataFrame:
        """Return all rows so far as a DataFrame (one row per step, fixed columns)."""
        columns = step_columns(len(self.tier_sizes), self.columns)
        # one typed array per column: casting a ~100-column frame column by column took
        # 40 % of a small sweep run
        n = len(self.rows)
        data = {
            name: np.fromiter((row[name] for row in self.rows), dtype=dtype, count=n)
            for name, dtype in columns.items()
        }
        return pd.DataFrame(data, columns=list(columns))


@dataclass
class PlatformRecorder:
    """Collects one row per step and platform: GMV, orders, buyers, users, active users, members.

    Parameters
    ----------
    names : tuple of str
        Platform names, by platform index.
    """

    names: tuple[str, ...]
    rows: list[dict[str, np.ndarray]] = field(default_factory=list)

    def record(
        self,
        step: int,
        *,
        platform: np.ndarray,
        price: np.ndarray,
        buyer: np.ndarray,
        users: np.ndarray,
        active_users: np.ndarray,
        members: np.ndarray,
        authenticity: np.ndarray | None = None,
    ) -> None:
        """Add the rows of `step` from its orders and the platforms' user counts."""
        n = len(self.names)
        span = int(buyer.max()) + 1 if buyer.size else 1
        pairs = distinct(platform.astype(np.int64) * span + buyer)  # distinct (platform, buyer)
        per_platform_buyers = np.bincount(pairs // span, minlength=n)
        self.rows.append(
            {
                "step": np.full(n, step, dtype=np.int64),
                "platform": np.arange(n),
                "gmv": np.bincount(platform, weights=price.astype(np.float64), minlength=n),
                "orders": np.bincount(platform, minlength=n),
                "buyers": per_platform_buyers,
                "users": np.asarray(users),
                "active_users": np.asarray(active_users),
                "members": np.asarray(members),
                "authenticity": np.ones(n)
                if authenticity is None
                else np.asarray(authenticity, dtype=np.float64),
            }
        )

    def frame(self) -> pd.DataFrame:
        """Return the long table (see :data:`PLATFORM_COLUMNS`)."""
        data: dict[str, Any] = {
            name: _stacked(self.rows, name, np.int64 if dtype == "category" else dtype)
            for name, dtype in PLATFORM_COLUMNS.items()
        }
        data["platform"] = pd.Categorical.from_codes(data["platform"], categories=self.names)
        return pd.DataFrame(data)


TIER_COLUMNS: dict[str, str] = {
    "step": "int64",
    "tier": "int64",
    "consumers": "int64",
    "customers": "int64",
    "penetration": "float64",
    "gmv": "float64",
    "orders": "int64",
    "buyers": "int64",
    "offers": "int64",
    "feed_offers": "int64",
    "feed_orders": "int64",
    "feed_gmv": "float64",
    "feed_reached": "int64",
    "members": "int64",
    "member_gmv": "float64",
    "active_members": "int64",
}
"""The per-tier table: one row per step and city tier (1..K).

Orders, GMV and buyers count the buyer's tier (for a daigou order, the
client's); ``offers`` are the offers made to the tier's consumers before the
purchase decision and ``feed_*`` those whose source is a feed;
``feed_reached`` counts consumers who have had at least one feed offer so far;
``members`` consumers with a paid membership on any platform at the end of
the step, ``member_gmv`` the GMV bought at member prices by purchasers of the
tier, and ``active_members`` the members who placed an order that shipped in
the 30 days up to and including the step (``active_members / members`` is the
30-day member retention). Summed over tiers, ``gmv``, ``orders``, ``buyers``,
``customers``, ``offers`` and ``member_gmv`` give the step table's columns of
the same names.
"""


@dataclass
class TierRecorder:
    """Collects one row per step and city tier (see :data:`TIER_COLUMNS`).

    Parameters
    ----------
    tier : ndarray of int
        Each consumer's tier, 1..K.
    n_tiers : int, optional
        K, the number of tiers; the highest tier present if omitted (a tiny
        world may have nobody in the top tiers).

    Examples
    --------
    >>> recorder = TierRecorder(np.array([1, 1, 2]))
    >>> recorder.record(
    ...     1,
    ...     buyer=np.array([0, 0, 2]),
    ...     price=np.array([10.0, 5.0, 7.0]),
    ...     source=np.array([0, 4, 0]),
    ...     offers=np.array([3, 1]),
    ...     feed_offers=np.array([1, 0]),
    ...     customers=np.array([1, 1]),
    ...     member_gmv=np.zeros(2),
    ...     feed_reached=np.array([1, 0]),
    ...     members=np.array([], dtype=int),
    ...     active_members=np.array([], dtype=int),
    ... )
    >>> frame = recorder.frame()
    >>> frame[["tier", "gmv", "orders", "buyers", "feed_orders", "penetration"]].values.tolist()
    [[1.0, 15.0, 2.0, 1.0, 1.0, 0.5], [2.0, 7.0, 1.0, 1.0, 0.0, 1.0]]
    """

    tier: np.ndarray
    n_tiers: int | None = None
    rows: list[dict[str, np.ndarray]] = field(default_factory=list)
    consumers: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.tier = np.asarray(self.tier)
        if self.n_tiers is None:
            self.n_tiers = int(self.tier.max()) if self.tier.size else 0
        self.consumers = self._per_tier(self.tier)

    def _per_tier(self, tier: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(tier, weights=weights, minlength=self.n_tiers + 1)[1:]

    def record(
        self,
        step: int,
        *,
        buyer: np.ndarray,
        price: np.ndarray,
        source: np.ndarray,
        offers: np.ndarray,
        feed_offers: np.ndarray,
        customers: np.ndarray,
        member_gmv: np.ndarray,
        feed_reached: np.ndarray,
        members: np.ndarray,
        active_members: np.ndarray,
    ) -> None:
        """Add the rows of `step`.

        Parameters
        ----------
        step : int
            The step just run.
        buyer, price, source : ndarray
            One entry per order of the step.
        offers, feed_offers, customers, member_gmv, feed_reached : ndarray
            Per tier: all offers and feed offers of the step, consumers who have
            ever bought, GMV at member prices (by the purchaser's tier),
            consumers reached by a feed so far.
        members, active_members : ndarray of int
            The consumers who hold a paid membership now, and those of them
            who placed an order in the last 30 days (each listed once).
        """
        tier = self.tier
        buyer_tier = tier[buyer]
        price = np.asarray(price, dtype=np.float64)
        feed = (source == Source.FEED_SOCIAL) | (source == Source.FEED_ALGORITHMIC)
        # Copies: the model keeps updating its own arrays after this step.
        customers = np.array(customers, dtype=np.int64)
        self.rows.append(
            {
                "step": np.full(self.n_tiers, step, dtype=np.int64),
                "tier": np.arange(1, self.n_tiers + 1),
                "consumers": self.consumers,
                "customers": customers,
                "penetration": customers / np.maximum(self.consumers, 1),
                "gmv": self._per_tier(buyer_tier, price),
                "orders": self._per_tier(buyer_tier),
                "buyers": self._per_tier(tier[distinct(buyer)]),
                "offers": np.array(offers),
                "feed_offers": np.array(feed_offers),
                "feed_orders": self._per_tier(buyer_tier[feed]),
                "feed_gmv": self._per_tier(buyer_tier[feed], price[feed]),
                "feed_reached": np.array(feed_reached, dtype=np.int64),
                "members": self._per_tier(tier[members]),
                "member_gmv": np.array(member_gmv, dtype=np.float64),
                "active_members": self._per_tier(tier[active_members]),
            }
        )

    def frame(self) -> pd.DataFrame:
        """Return the long table (see :data:`TIER_COLUMNS`)."""
        data = {name: _stacked(self.rows, name, dtype) for name, dtype in TIER_COLUMNS.items()}
        return pd.DataFrame(data)


ORDER_COLUMNS: tuple[str, ...] = (
    "step",
    "buyer",
    "tier",
    "product",
    "category",
    "brand",
    "platform",
    "channel",
    "source",
    "price_paid",
    "group_id",
    "returned",
)
"""Columns of the order log, in order (``brand`` is the product's brand, a label)."""


_ORDER_DTYPES: dict[str, type] = {
    "step": np.int32,
    "buyer": np.int32,
    "tier": np.int8,
    "product": np.int32,
    "category": np.int16,
    "platform": np.int8,
    "channel": np.int8,
    "source": np.int8,
    "price_paid": np.float32,
    "group_id": np.int64,
}


@dataclass
class OrderLog:
    """Every order shipped, kept as compact array chunks (one per step).

    Columns: :data:`ORDER_COLUMNS`. ``price_paid`` is what the buyer paid
    (after every discount, with import tax), ``group_id`` the group of a group
    order (-1 otherwise) and ``returned`` whether the buyer sent it back
    before the end of the run (an order is returned ``behaviour.return_days``
    after it ships, so the last days' orders cannot have been returned yet).
    Row ``i`` is order id ``i``.
    """

    category_names: tuple[str, ...]
    platform_names: tuple[str, ...] = ()
    #: each product's brand and the brands' names, for the ``brand`` column
    product_brand: np.ndarray | None = None
    brand_names: tuple[str, ...] = ()
    chunks: list[dict[str, np.ndarray]] = field(default_factory=list)
    returned_ids: list[np.ndarray] = field(default_factory=list)

    def append(self, **columns: np.ndarray) -> None:
        """Add the orders of one step (every column but ``returned``)."""
        self.chunks.append(columns)

    def mark_returned(self, order_ids: np.ndarray) -> None:
        """Record that the orders with these ids were returned."""
        if len(order_ids):
            self.returned_ids.append(np.asarray(order_ids, dtype=np.int64))

    def __len__(self) -> int:
        return sum(len(chunk["buyer"]) for chunk in self.chunks)

    def frame(self) -> pd.DataFrame:
        """Return the orders as a DataFrame; platform, channel, source and category are labels."""
        # Fixed dtypes, an empty log included, so that every run's table has the same schema.
        data = {
            name: np.concatenate([np.empty(0, dtype), *(c[name] for c in self.chunks)]).astype(
                dtype, copy=False
            )
            for name, dtype in _ORDER_DTYPES.items()
        }
        returned = np.zeros(len(data["buyer"]), dtype=bool)
        if self.returned_ids:
            returned[np.concatenate(self.returned_ids)] = True
        data["returned"] = returned
        frame = pd.DataFrame(data)
        frame["channel"] = _labels(frame["channel"], [c.name.lower() for c in Channel])
        frame["source"] = _labels(frame["source"], [s.name.lower() for s in Source])
        frame["category"] = _labels(frame["category"], list(self.category_names))
        if self.product_brand is None:
            brand = np.full(len(frame), -1, dtype=np.int64)
        else:
            brand = self.product_brand[frame["product"].to_numpy()].astype(np.int64)
        frame.insert(
            frame.columns.get_loc("category") + 1,
            "brand",
            pd.Categorical.from_codes(brand, categories=list(self.brand_names)),
        )
        frame["platform"] = _labels(frame["platform"], list(self.platform_names))
        return frame


def _stacked(rows: list[dict[str, np.ndarray]], name: str, dtype: Any) -> np.ndarray:
    """Return column `name` of every row, end to end, as one array of `dtype`."""
    if not rows:
        return np.empty(0, dtype=dtype)
    return np.concatenate([r[name] for r in rows]).astype(dtype, copy=False)


def _labels(codes: pd.Series, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.to_numpy().astype(np.int64), categories=names)
