"""Per-step metrics and the order log.

The per-step table has one row per step (day) with, at least: ``step``,
``gmv``, ``orders``, ``buyers``, ``new_buyers``, ``customers`` and
``penetration_t1`` ... ``penetration_tK`` (the share of a tier's consumers who
have ever bought). Orders and GMV are also split by channel
(``orders_solo``, ``orders_group``, ``orders_livestream``, ``orders_store``;
they add up to ``orders``) and by :class:`~socialsim.enums.Source`
(``orders_search`` ... ``orders_store_owner``). :data:`FUNNEL_COLUMNS`
describe the funnel, :data:`MECHANISM_COUNTS` and :data:`MECHANISM_TOTALS` the
mechanisms; the README explains each column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from socialsim.enums import Channel, Source

__all__ = [
    "CHANNELS_IN_USE",
    "FUNNEL_COLUMNS",
    "MECHANISM_COUNTS",
    "MECHANISM_TOTALS",
    "ORDER_COLUMNS",
    "PLATFORM_COLUMNS",
    "OrderLog",
    "PlatformRecorder",
    "StepRecorder",
    "penetration_columns",
    "step_columns",
]

CHANNELS_IN_USE: tuple[Channel, ...] = tuple(Channel)
"""Channels the model places orders through: solo, group, livestream and store.

Every order goes through exactly one, so ``orders`` is the sum of the
``orders_<channel>`` columns on every step.
"""

FUNNEL_COLUMNS: tuple[str, ...] = (
    "open_needs",
    "needs_opened",
    "needs_lapsed",
    "offers",
    "kol_posts",
    "koc_posts",
)
"""Counts of the step's funnel, in table order."""

MECHANISM_COUNTS: tuple[str, ...] = (
    "promotions_started",
    "exposures_feed_social",
    "exposures_feed_algorithmic",
    "groups_started",
    "groups_completed",
    "groups_expired",
    "group_members",
    "kanjia_clicks",
    "users_acquired_shares",
    "cbec_orders",
    "cbec_blocked_orders",
    "members_joined",
    "members",
    "livestream_sessions",
    "livestream_viewers",
    "livestream_stockouts",
    "kol_followers",
    "followers_gained",
    "followers_lost",
    "returns",
    "store_owners",
    "store_recruits",
    "deepest_tree",
    "pyramid_trees",
    "regulations",
)
"""Per-step counts of the mechanisms, in table order (see the README for each)."""

MECHANISM_TOTALS: tuple[str, ...] = (
    "group_refunds_value",
    "cbec_tax",
    "member_gmv",
    "membership_fees",
    "price_protection_refunds",
    "refunds_value",
    "kol_commission",
    "kol_slot_fees",
    "brand_net_livestream",
    "store_commissions",
    "store_referral_rewards",
    "store_fees",
    "recruiting_income_share",
    "regulation_fines",
    "daigou_fees",
)
"""Per-step RMB totals of the mechanisms, in table order.

``recruiting_income_share`` is a share: recruiting income over all owner income so far.
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
}
"""The per-platform table: one row per step and platform."""


def penetration_columns(n_tiers: int) -> list[str]:
    """Return the column names ``penetration_t1`` ... ``penetration_tK``."""
    return [f"penetration_t{k}" for k in range(1, n_tiers + 1)]


def step_columns(n_tiers: int) -> dict[str, str]:
    """Return the per-step table's columns, in order, with their dtypes.

    Examples
    --------
    >>> list(step_columns(2))[:7]
    ['step', 'gmv', 'orders', 'buyers', 'new_buyers', 'customers', 'penetration_t1']
    """
    columns = {
        "step": "int64",
        "gmv": "float64",
        "orders": "int64",
        "buyers": "int64",
        "new_buyers": "int64",
        "customers": "int64",
    }
    columns.update(dict.fromkeys(penetration_columns(n_tiers), "float64"))
    for member in (*CHANNELS_IN_USE, *Source):
        columns[f"orders_{member.name.lower()}"] = "int64"
        columns[f"gmv_{member.name.lower()}"] = "float64"
    columns.update(dict.fromkeys(FUNNEL_COLUMNS, "int64"))
    columns.update(dict.fromkeys(MECHANISM_COUNTS, "int64"))
    columns.update(dict.fromkeys(MECHANISM_TOTALS, "float64"))
    return columns


@dataclass
class StepRecorder:
    """Collects one row of metrics per step.

    Parameters
    ----------
    tier_sizes : ndarray of int
        Consumers per tier, for penetration.
    """

    tier_sizes: np.ndarray
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
            The values named in :data:`FUNNEL_COLUMNS`, :data:`MECHANISM_COUNTS`
            and :data:`MECHANISM_TOTALS`.
        """
        price = price.astype(np.float64)
        row: dict[str, Any] = {
            "step": int(step),
            "gmv": float(price.sum()),
            "orders": int(price.size),
            "buyers": int(np.unique(buyer).size),
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
        row.update((name, int(counts[name])) for name in (*FUNNEL_COLUMNS, *MECHANISM_COUNTS))
        row.update((name, float(counts[name])) for name in MECHANISM_TOTALS)
        self.rows.append(row)
        return row

    def frame(self) -> pd.DataFrame:
        """Return all rows so far as a DataFrame (one row per step, fixed columns)."""
        columns = step_columns(len(self.tier_sizes))
        frame = pd.DataFrame.from_records(self.rows, columns=list(columns))
        return frame.astype(columns)


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
    ) -> None:
        """Add the rows of `step` from its orders and the platforms' user counts."""
        n = len(self.names)
        span = int(buyer.max()) + 1 if buyer.size else 1
        pairs = np.unique(platform.astype(np.int64) * span + buyer)  # distinct (platform, buyer)
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
            }
        )

    def frame(self) -> pd.DataFrame:
        """Return the long table (see :data:`PLATFORM_COLUMNS`)."""
        data = {
            name: np.concatenate([r[name] for r in self.rows]) if self.rows else np.empty(0, int)
            for name in PLATFORM_COLUMNS
        }
        frame = pd.DataFrame(data)
        frame["platform"] = _labels(frame["platform"], list(self.names))
        return frame.astype({k: v for k, v in PLATFORM_COLUMNS.items() if k != "platform"})


ORDER_COLUMNS: tuple[str, ...] = (
    "step",
    "buyer",
    "tier",
    "product",
    "category",
    "platform",
    "channel",
    "source",
    "price_paid",
    "group_id",
    "returned",
)
"""Columns of the order log, in order."""


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
        stored = [name for name in ORDER_COLUMNS if name != "returned"]
        if not self.chunks:
            data = {name: np.empty(0, dtype=np.int64) for name in stored}
        else:
            data = {name: np.concatenate([c[name] for c in self.chunks]) for name in stored}
        returned = np.zeros(len(data["buyer"]), dtype=bool)
        if self.returned_ids:
            returned[np.concatenate(self.returned_ids)] = True
        data["returned"] = returned
        frame = pd.DataFrame(data)
        frame["channel"] = _labels(frame["channel"], [c.name.lower() for c in Channel])
        frame["source"] = _labels(frame["source"], [s.name.lower() for s in Source])
        frame["category"] = _labels(frame["category"], list(self.category_names))
        frame["platform"] = _labels(frame["platform"], list(self.platform_names))
        return frame


def _labels(codes: pd.Series, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.to_numpy().astype(np.int64), categories=names)
