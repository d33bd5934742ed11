"""The consumers' changing state: one NumPy array per attribute, owned by the model.

Mechanisms read and write these arrays in vectorised phases; ``Consumer``
agents are views on one row of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim._arrays import column_counts, distinct, distinct_first
from socialsim.enums import ShopperStatus
from socialsim.world.world import World

__all__ = ["NEVER", "ConsumerState", "first_budget", "latest_purchase"]

NEVER = np.int32(-(2**30))
"""Step stored for "never happened", far enough in the past for any window test."""


@dataclass(eq=False)
class ConsumerState:
    """Mutable per-consumer arrays (row = consumer, column = category).

    Attributes
    ----------
    status : ndarray of int8
        :class:`~socialsim.enums.ShopperStatus` per consumer.
    need : ndarray of bool, shape (n, C)
        Open needs per category.
    budget_left : ndarray of float32
        RMB left to spend in the current budget period.
    monthly_budget : ndarray of float32
        RMB the budget is renewed to each period.
    last_purchase_step : ndarray of int32, shape (n, C)
        Step of the latest purchase per category (``NEVER`` if none).
    last_product : ndarray of int32, shape (n, C)
        Product of the latest purchase per category (-1 if none).
    last_platform : ndarray of int8, shape (n, C)
        Platform of the latest purchase per category (-1 if none).
    orders : ndarray of int32
        Orders placed so far.
    spend : ndarray of float64
        RMB spent so far.
    group_propensity : ndarray of float32
        Propensity to buy in groups (1, lowered after groups expire).
    cross_border_spent : ndarray of float64
        RMB of imports bought in the current quota year.
    uses : ndarray of bool, shape (n, P)
        Which platforms each consumer uses. Read-only: write it with
        :meth:`set_uses` (or :meth:`write_uses`), which keep
        :attr:`user_counts` true.
    member : ndarray of bool, shape (n, P)
        Paid members of each platform.
    member_until : ndarray of int32, shape (n, P)
        Last day of each membership's current term.
    recent_spend : ndarray of float32, shape (n, P)
        Spend per platform over about the last month (an exponential moving sum).
    last_order_step : ndarray of int32, shape (n, P)
        Step of the latest order per platform (``NEVER`` if none). Read-only:
        write it with :meth:`set_last_order`, which keeps the running count
        behind :meth:`active_users`.
    user_counts : ndarray of int64, shape (P,)
        Users of each platform (``uses``' column sums), kept as a running total
        so that recording a day does not scan the whole table.
    """

    status: np.ndarray
    need: np.ndarray
    budget_left: np.ndarray
    monthly_budget: np.ndarray
    last_purchase_step: np.ndarray
    last_product: np.ndarray
    last_platform: np.ndarray
    orders: np.ndarray
    spend: np.ndarray
    group_propensity: np.ndarray
    cross_border_spent: np.ndarray
    uses: np.ndarray
    member: np.ndarray
    member_until: np.ndarray
    recent_spend: np.ndarray
    last_order_step: np.ndarray

    def __post_init__(self) -> None:
        # The two tables are written only through the methods below, which keep the
        # running totals the day's record reads; their public arrays are read-only views.
        self._uses, self._last_order_step = self.uses, self.last_order_step
        self.uses = _read_only(self._uses)
        self.last_order_step = _read_only(self._last_order_step)
        self.user_counts = column_counts(self._uses)
        # orders_on[p, s]: consumers whose latest order on platform p was on step s (s >= 0)
        n_platforms = self._uses.shape[1]
        seen = np.flatnonzero(self._last_order_step.reshape(-1) != NEVER)
        steps = self._last_order_step.reshape(-1)[seen]
        if (steps < 0).any():
            raise ValueError("ConsumerState.last_order_step: steps are >= 0 or NEVER")
        self._orders_on = np.zeros((n_platforms, int(steps.max(initial=-1)) + 1), np.int64)
        np.add.at(self._orders_on, (seen % n_platforms, steps), 1)

    @classmethod
    def initial(cls, world: World) -> ConsumerState:
        """Return the state at step 0: no needs, no purchases, full budgets."""
        n = world.n_consumers
        n_categories = world.catalogue.n_categories
        n_platforms = world.platforms.n
        status = np.where(world.population.online, ShopperStatus.ONLINE, ShopperStatus.OFFLINE)
        behaviour = world.config.behaviour
        budget = (world.population.income * behaviour.budget_share).astype(np.float32)
        return cls(
            status=status.astype(np.int8),
            need=np.zeros((n, n_categories), dtype=bool),
            budget_left=first_budget(budget, world.pay_day, behaviour.budget_period_days),
            monthly_budget=budget,
            last_purchase_step=np.full((n, n_categories), NEVER, dtype=np.int32),
            last_product=np.full((n, n_categories), -1, dtype=np.int32),
            last_platform=np.full((n, n_categories), -1, dtype=np.int8),
            orders=np.zeros(n, dtype=np.int32),
            spend=np.zeros(n, dtype=np.float64),
            group_propensity=np.ones(n, dtype=np.float32),
            cross_border_spent=np.zeros(n, dtype=np.float64),
            uses=world.platforms.initial_users.copy(),
            member=np.zeros((n, n_platforms), dtype=bool),
            member_until=np.full((n, n_platforms), -1, dtype=np.int32),
            recent_spend=np.zeros((n, n_platforms), dtype=np.float32),
            last_order_step=np.full((n, n_platforms), NEVER, dtype=np.int32),
        )

    @property
    def n(self) -> int:
        """Number of consumers."""
        return int(self.status.shape[0])

    def customers(self) -> np.ndarray:
        """Whether each consumer has bought at least once."""
        return self.status == ShopperStatus.CUSTOMER

    def set_uses(
        self, consumer: np.ndarray, platform: np.ndarray | int, value: bool = True
    ) -> np.ndarray:
        """Make `consumer` users (or, with ``value=False``, non-users) of `platform`.

        Pairs may repeat; :attr:`user_counts` changes by the number of distinct
        pairs whose value changed.

        Parameters
        ----------
        consumer : ndarray of int
            Consumers.
        platform : ndarray of int or int
            Their platforms (one per consumer, or one for all).
        value : bool
            Use (True) or stop using (False).

        Returns
        -------
        ndarray of bool
            Per item, whether its pair held the other value before (a repeated
            pair is marked at each of its items).

        Examples
        --------
        >>> from socialsim.config import ModelConfig
        >>> from socialsim.world import build_world
        >>> world = build_world(ModelConfig.small(), np.random.default_rng(1))
        >>> state = ConsumerState.initial(world)
        >>> _ = state.set_uses(np.array([0, 1]), 1, False)
        >>> state.set_uses(np.array([0, 0, 1]), 1).tolist()  # consumer 0 twice: counted once
        [True, True, True]
        >>> _ = state.set_uses(np.array([2]), np.array([0]), False)
        >>> bool((state.user_counts == state.uses.sum(axis=0)).all())
        True
        """
        n_platforms = self._uses.shape[1]
        at = np.asarray(consumer, dtype=np.int64) * n_platforms + platform
        flat = self._uses.reshape(-1)
        changes = flat.take(at) != value
        changed = at[changes]
        if changed.size:
            changed = distinct(changed)
            step = 1 if value else -1
            self.user_counts += step * np.bincount(changed % n_platforms, minlength=n_platforms)
        flat[at] = value
        return changes

    def write_uses(self, index: object, value: np.ndarray | bool) -> None:
        """Write ``uses[index] = value`` for any NumPy index, and count users again.

        For setting up a state (tests, scenarios); a step's mechanisms use the
        cheaper :meth:`set_uses`.
        """
        self._uses[index] = value
        self.user_counts = column_counts(self._uses)

    def set_last_order(self, purchaser: np.ndarray, platform: np.ndarray, step: int) -> None:
        """Record that `purchaser` ordered on `platform` at `step` (pairs may repeat).

        Steps only move forward: `step` is at least every step recorded before.
        """
        n_platforms = self._last_order_step.shape[1]
        at = np.asarray(purchaser, dtype=np.int64) * n_platforms + platform
        flat = self._last_order_step.reshape(-1)
        old = flat.take(at)
        fresh = old != step  # pairs already counted on `step` stay
        at, old = at[fresh], old[fresh]
        if at.size == 0:
            return
        # One winner per distinct pair, without a sort: each item writes its own tag and
        # the item whose tag survives stands for the pair.
        tag = -(np.arange(at.size, dtype=np.int64) + 2**30 + 1)
        if at.size < 2**30:
            flat[at] = tag.astype(np.int32)
            first = flat.take(at) == tag
        else:  # pragma: no cover - more than a billion orders in one call
            first = np.zeros(at.size, dtype=bool)
            first[distinct_first(at)[1]] = True
        flat[at] = step
        at, old = at[first], old[first]
        if step >= self._orders_on.shape[1]:
            grown = np.zeros((n_platforms, max(2 * self._orders_on.shape[1], step + 1)), np.int64)
            grown[:, : self._orders_on.shape[1]] = self._orders_on
            self._orders_on = grown
        p = at % n_platforms
        seen = old != NEVER
        width = self._orders_on.shape[1]
        moved = np.bincount(p[seen] * width + old[seen], minlength=n_platforms * width)
        self._orders_on -= moved.reshape(n_platforms, width)
        self._orders_on[:, step] += np.bincount(p, minlength=n_platforms)

    def active_users(self, since: int) -> np.ndarray:
        """Per platform: consumers whose latest order on it was at step `since` or later.

        The same as ``(last_order_step >= since).sum(axis=0)``, from a running
        count rather than a scan of the table.
        """
        return self._orders_on[:, max(since, 0) :].sum(axis=1)


def _read_only(table: np.ndarray) -> np.ndarray:
    view = table.view()
    view.flags.writeable = False
    return view


def latest_purchase(
    last_purchase_step: np.ndarray, consumer: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each consumer's most recent purchase: its category and step.

    Parameters
    ----------
    last_purchase_step : ndarray of int, shape (n, C)
        ``ConsumerState.last_purchase_step``.
    consumer : ndarray of int
        The consumers to look up.

    Returns
    -------
    category, step : ndarray
        The step is ``NEVER`` for a consumer who never bought (the category is
        then 0); on a tie the lowest category is taken.

    Examples
    --------
    >>> steps = np.array([[3, 7, NEVER], [NEVER, NEVER, NEVER]], dtype=np.int32)
    >>> category, step = latest_purchase(steps, np.array([0, 1]))
    >>> category.tolist(), (step == NEVER).tolist()
    ([1, 0], [False, True])
    """
    history = last_purchase_step[consumer]
    category = np.argmax(history, axis=1)
    return category, history[np.arange(category.size), category]


def first_budget(monthly_budget: np.ndarray, pay_day: np.ndarray, period_days: int) -> np.ndarray:
    """Return the budget each consumer starts with: the share of a period until its pay day.

    A consumer whose pay day is ``d > 0`` renews on step ``1 + d``, so it
    lives ``d`` days of the first period on ``d / period_days`` of its
    budget, as if it had spent the rest evenly; one whose pay day is 0 starts
    with the whole budget. So staggered pay days start the market near its
    steady state rather than with everyone's budget full.

    Examples
    --------
    >>> first_budget(np.array([300.0, 300.0], np.float32), np.array([0, 10]), 30).tolist()
    [300.0, 100.0]
    """
    share = np.where(pay_day > 0, pay_day / np.float32(period_days), np.float32(1.0))
    return np.where(pay_day > 0, monthly_budget * share.astype(np.float32), monthly_budget).astype(
        np.float32
    )
