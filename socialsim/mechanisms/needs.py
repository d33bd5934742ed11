"""Needs and budgets: why and how much consumers shop.

A need for a category arises each day with the category's ``need_rate`` and,
if nothing satisfies it, lapses after ``need_patience_days`` on average
(geometric). A durable category's need never arises again once the consumer
has bought in it (first purchases only, as in Bass 1969). Budgets are a share
of monthly income, renewed every ``budget_period_days``: for everyone on
the same day, or (``budget_renewal = "staggered"``) for each consumer on a
pay day of their own, so that no day of the market stands out. The needs of
the high-net-worth segment arise ``high_net_worth_need_multiplier`` times as
often (:func:`open_more_needs`).

References
----------
.. [1] Pinduoduo annual results: RMB 1,127 / 1,720 / 2,115 / 2,810 spent per
   active buyer in 2018-2021, which the need rates and budget share are set to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim._random import bernoulli_from_bytes, byte_levels
from socialsim.columns import MetricColumn
from socialsim.mechanisms.component import Component
from socialsim.state import NEVER, ConsumerState

if TYPE_CHECKING:
    from socialsim.day import Day

__all__ = [
    "Needs",
    "OpenNeeds",
    "extra_need_rate",
    "open_more_needs",
    "open_needs",
    "pay_day_groups",
    "renew_budgets",
    "update_needs",
]


#: Rows of the need table updated at a time (measured: a fifth faster than all at once at 1M).
_BLOCK_ROWS = 1 << 14


def update_needs(
    state: ConsumerState,
    need_rate: np.ndarray,
    patience_days: float,
    rng: np.random.Generator | Sequence[np.random.Generator],
    durable: np.ndarray | None = None,
    consumer_start: np.ndarray | None = None,
) -> tuple[Any, Any]:
    """Open new needs and let old ones lapse, in place.

    Each cell of the need table is one Bernoulli draw: an open need lapses with
    probability ``1 / patience_days``, a closed one opens with its category's
    rate. The draws are made from random bytes, exactly
    (:func:`socialsim._random.bernoulli_from_bytes`): the need table is the
    step's largest draw.

    Parameters
    ----------
    state : ConsumerState
        Its ``need`` matrix is updated.
    need_rate : ndarray of float, shape (C,)
        Daily probability of a new need per category.
    patience_days : float
        Mean lifetime of an unmet need; each day it lapses with probability
        ``1 / patience_days``.
    rng : numpy.random.Generator, or one per run
        Source of randomness; in a batched ensemble, each run's own stream.
    durable : ndarray of bool, shape (C,), optional
        Categories bought once: no need opens for a consumer whose
        ``state.last_purchase_step`` shows a purchase in one.
    consumer_start : ndarray of int, shape (K + 1,), optional
        Where each run's block of rows starts (with several generators).

    Returns
    -------
    (int, int), or (ndarray, ndarray) with several runs
        Needs opened and needs lapsed (per run).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> state = SimpleNamespace(need=np.zeros((1000, 2), dtype=bool))
    >>> opened, lapsed = update_needs(state, np.array([0.0, 1.0]), 5.0, np.random.default_rng(0))
    >>> opened, lapsed, int(state.need[:, 1].sum())
    (1000, 0, 1000)
    """
    rngs = [rng] if isinstance(rng, np.random.Generator) else list(rng)
    n_rows, n_categories = state.need.shape
    start = np.array([0, n_rows]) if consumer_start is None else np.asarray(consumer_start)
    arrive_level, arrive_rest = byte_levels(need_rate)
    lapse_level, lapse_rest = byte_levels(np.full(n_categories, 1.0 / patience_days))
    # Whole blocks of levels: NumPy broadcasts a short last axis slowly, and np.where
    # is slower than arithmetic (bytes wrap around, so closed + open * step is exact).
    rows = min(_BLOCK_ROWS, n_rows)
    closed_levels = np.tile(arrive_level, (rows, 1))
    level_step = np.tile(lapse_level - arrive_level, (rows, 1))
    once = () if durable is None else np.flatnonzero(durable).tolist()
    opened = np.zeros(len(rngs), dtype=np.int64)
    lapsed = np.zeros(len(rngs), dtype=np.int64)
    sizes = np.diff(start)
    n_blocks = int(-(-int(sizes.max()) // _BLOCK_ROWS)) if n_rows else 0
    # In blocks of rows that stay in cache, each run's from its own first row (so a run
    # draws the same alone and in an ensemble). Runs of one block each are drawn together.
    for block in range(n_blocks):
        pieces = []
        for k in range(len(rngs)):
            lo = int(start[k]) + block * _BLOCK_ROWS
            hi = min(lo + _BLOCK_ROWS, int(start[k + 1]))
            if lo < hi:
                pieces.append((k, lo, hi))
        together = all(p[2] == q[1] for p, q in pairwise(pieces))
        for group in [pieces] if together else [[piece] for piece in pieces]:
            lo, hi = group[0][1], group[-1][2]
            need = state.need[lo:hi]
            if hi - lo <= rows:
                level = need.view(np.uint8) * level_step[: hi - lo]
                level += closed_levels[: hi - lo]
            else:
                level = need.view(np.uint8) * np.tile(lapse_level - arrive_level, (hi - lo, 1))
                level += np.tile(arrive_level, (hi - lo, 1))

            def rest_at(tie: np.ndarray, need: np.ndarray = need) -> np.ndarray:
                column = tie % n_categories
                open_ = need.ravel().take(tie)
                return np.where(open_, lapse_rest.take(column), arrive_rest.take(column))

            if len(group) == 1:
                flip = bernoulli_from_bytes(level, rest_at, rngs[group[0][0]])
            else:
                flip = bernoulli_from_bytes(
                    level,
                    rest_at,
                    rngs[0],
                    byte=_bytes_by_run(rngs, group, n_categories).reshape(level.shape),
                    tie_uniform=lambda tie, g=group: _ties_by_run(rngs, g, tie, n_categories),
                )
            for c in once:
                bought = state.last_purchase_step[lo:hi, c] != NEVER
                flip[:, c] &= need[:, c] | ~bought
            flipped = flip & need
            if len(group) == 1:
                n_lapsed = int(np.count_nonzero(flipped))
                lapsed[group[0][0]] += n_lapsed
                opened[group[0][0]] += int(np.count_nonzero(flip)) - n_lapsed
            else:
                first = np.array([p[1] - lo for p in group])
                runs = [p[0] for p in group]
                n_lapsed = np.add.reduceat(np.count_nonzero(flipped, axis=1), first)
                lapsed[runs] += n_lapsed
                opened[runs] += np.add.reduceat(np.count_nonzero(flip, axis=1), first) - n_lapsed
            need ^= flip
    if len(rngs) == 1:
        return int(opened[0]), int(lapsed[0])
    return opened, lapsed


def _bytes_by_run(rngs: Sequence[np.random.Generator], group: list, width: int) -> np.ndarray:
    """Draw each run's random bytes for its rows of a block, from its own stream, end to end."""
    return np.concatenate(
        [np.frombuffer(rngs[k].bytes((hi - lo) * width), dtype=np.uint8) for k, lo, hi in group]
    )


def _ties_by_run(
    rngs: Sequence[np.random.Generator], group: list, tie: np.ndarray, width: int
) -> np.ndarray:
    """Draw the uniforms of the ties (flat cells, ascending) of a block, each run's from its own."""
    ends = np.array([hi - group[0][1] for _, _, hi in group]) * width
    counts = np.bincount(np.searchsorted(ends, tie, side="right"), minlength=len(group))
    return np.concatenate(
        [rngs[k].random(int(m)) for (k, _, _), m in zip(group, counts, strict=True)]
    )


def extra_need_rate(need_rate: np.ndarray, multiplier: float) -> np.ndarray:
    """Return the extra daily chance of a need that makes its chance ``1 - (1 - r) ** multiplier``.

    A closed need that the ordinary rate ``r`` did not open opens with this
    chance ``q``: ``r + (1 - r) q = 1 - (1 - r) ** multiplier``, about
    ``multiplier`` times ``r`` for small rates.

    Examples
    --------
    >>> q = extra_need_rate(np.array([0.01, 0.5]), 4.0)
    >>> (1 - (1 - np.array([0.01, 0.5])) * (1 - q)).round(6).tolist()
    [0.039404, 0.9375]
    """
    rate = np.asarray(need_rate, dtype=np.float64)
    return (1.0 - (1.0 - rate) ** (multiplier - 1.0)).astype(np.float32)


def open_more_needs(
    state: ConsumerState,
    rows: np.ndarray,
    was_open: np.ndarray,
    extra_rate: np.ndarray,
    rng: np.random.Generator | Sequence[np.random.Generator],
    durable: np.ndarray | None = None,
    row_run: np.ndarray | None = None,
) -> Any:
    """Open more needs for some consumers, after :func:`update_needs`, in place.

    A need of one of `rows` that was closed before today's update and is
    still closed opens with ``extra_rate`` of its category (see
    :func:`extra_need_rate`); a durable category's need only for a consumer
    who never bought in it.

    Parameters
    ----------
    state : ConsumerState
        Its ``need`` matrix is updated.
    rows : ndarray of int
        The consumers (the high-net-worth segment).
    was_open : ndarray of bool, shape (len(rows), C)
        ``state.need[rows]`` before today's update.
    extra_rate : ndarray of float32, shape (C,)
        Extra daily chance per category.
    rng : numpy.random.Generator, or one per run
        Source of randomness: one float32 per row and category (in a batched
        ensemble, each run's rows from its own stream).
    durable : ndarray of bool, shape (C,), optional
        Categories bought once.
    row_run : ndarray of int, optional
        The run of each of `rows` (non-decreasing), with one generator per run.

    Returns
    -------
    int, or ndarray of int64 with several runs
        Needs opened (per run).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> state = SimpleNamespace(need=np.zeros((3, 2), dtype=bool))
    >>> rows = np.array([0, 2])
    >>> open_more_needs(state, rows, state.need[rows], np.array([1.0, 0.0], dtype=np.float32),
    ...     np.random.default_rng(0))
    2
    >>> state.need.tolist()
    [[True, False], [False, False], [True, False]]
    """
    width = state.need.shape[1]
    if isinstance(rng, np.random.Generator):
        draw = rng.random((rows.shape[0], width), dtype=np.float32)
    else:
        counts = np.bincount(row_run, minlength=len(rng))
        draw = np.concatenate(
            [np.zeros((0, width), np.float32)]
            + [rng[k].random((int(m), width), dtype=np.float32) for k, m in enumerate(counts) if m]
        )
    need = state.need[rows]
    opened = ~was_open & ~need & (draw < extra_rate)
    if durable is not None:
        for c in np.flatnonzero(durable).tolist():
            opened[:, c] &= state.last_purchase_step[rows, c] == NEVER
    state.need[rows] = need | opened
    if isinstance(rng, np.random.Generator):
        return int(np.count_nonzero(opened))
    per_row = np.count_nonzero(opened, axis=1)
    return np.bincount(row_run, weights=per_row, minlength=len(rng)).astype(np.int64)


def renew_budgets(
    state: ConsumerState,
    step: int,
    period_days: int,
    payees: list[np.ndarray] | None = None,
) -> bool:
    """Refill the budgets of the consumers whose pay day it is.

    Without `payees` everyone is paid at the start of each period (steps
    1 + period, 1 + 2 period, ...). With them, ``payees[d]`` are the
    consumers paid on the steps ``s > 1`` with ``(s - 1) % period_days == d``
    (see :func:`pay_day_groups`).

    Returns
    -------
    bool
        Whether any budget was renewed this step.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> state = SimpleNamespace(budget_left=np.zeros(3), monthly_budget=np.array([1.0, 2.0, 3.0]))
    >>> payees = pay_day_groups(np.array([0, 1, 1]), 2)
    >>> renew_budgets(state, 2, 2, payees), state.budget_left.tolist()
    (True, [0.0, 2.0, 3.0])
    """
    if step <= 1:
        return False
    if payees is None:
        if (step - 1) % period_days:
            return False
        state.budget_left[:] = state.monthly_budget
        return True
    paid = payees[(step - 1) % period_days]
    state.budget_left[paid] = state.monthly_budget[paid]
    return paid.size > 0


def pay_day_groups(pay_day: np.ndarray, period_days: int) -> list[np.ndarray]:
    """Group consumers by pay day: element ``d`` lists those paid on day ``d`` of a period.

    Examples
    --------
    >>> [g.tolist() for g in pay_day_groups(np.array([1, 0, 1]), 3)]
    [[1], [0, 2], []]
    """
    order = np.argsort(pay_day, kind="stable")
    bounds = np.searchsorted(pay_day[order], np.arange(period_days + 1))
    return [order[bounds[d] : bounds[d + 1]] for d in range(period_days)]


def open_needs(need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``np.nonzero(need)`` for the (n, C) need table, in the same (row-major) order.

    Examples
    --------
    >>> consumer, category = open_needs(np.array([[False, True], [True, True]]))
    >>> consumer.tolist(), category.tolist()
    ([0, 1, 1], [1, 0, 1])
    """
    flat = np.flatnonzero(need)
    # Division by a scalar is several times faster than np.divmod, which also takes the
    # remainder by division.
    consumer = flat // need.shape[1]
    return consumer, flat - consumer * need.shape[1]


@dataclass(frozen=True, eq=False)
class OpenNeeds:
    """Today's open needs, as word of mouth, feeds and search see them (phase 3).

    Attributes
    ----------
    consumer, category : ndarray of int
        One entry per open need.
    uses : ndarray of bool, shape (needs, platforms)
        The platforms each need's consumer uses (one row take serves feeds and search).
    run : ndarray of int32 or None
        Each need's run in a batched ensemble (None for one run).
    """

    consumer: np.ndarray
    category: np.ndarray
    uses: np.ndarray
    run: np.ndarray | None = None

    @property
    def size(self) -> int:
        """The number of open needs."""
        return int(self.consumer.size)


class Needs(Component):
    """Needs and budgets: budgets renew each period, needs open and lapse each day.

    Parameters: ``behaviour.budget_period_days``, ``budget_renewal``,
    ``need_patience_days``,
    the categories' ``need_rate`` and ``durable``, and
    ``population.high_net_worth_need_multiplier``. Day by day: budgets renew
    and needs open and lapse, the high-net-worth segment's more often, all of
    them at today's festival and lockdown demand multipliers (start of the
    day); after posts have sparked some, today's open needs are listed for
    word of mouth, feeds and search (:meth:`open`).

    References
    ----------
    .. [1] Pinduoduo annual results (see the module docstring).
    """

    name = "needs"
    batch_ready = True
    columns = (
        MetricColumn.count(
            "open_needs", "needs open when word of mouth, feeds and search run", level=True
        ),
        MetricColumn.count("needs_opened", "needs that arose today"),
        MetricColumn.count("needs_lapsed", "needs that lapsed unmet today"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        behaviour = model.config.behaviour
        #: consumers by pay day (None: everyone is paid on the first day of each period)
        self.payees = (
            None
            if behaviour.budget_renewal == "common"
            else pay_day_groups(model.world.pay_day, behaviour.budget_period_days)
        )
        #: the high-net-worth consumers, whose needs arise more often
        self.high_net_worth = np.flatnonzero(model.world.population.high_net_worth)
        multiplier = model.config.population.high_net_worth_need_multiplier
        self.extra_rate = extra_need_rate(model.world.catalogue.need_rate, multiplier)

    def start_day(self, day: Day) -> None:
        """Renew the budgets of those paid today, then open and lapse needs."""
        state, catalogue = self.model.state, self.model.world.catalogue
        behaviour = self.model.config.behaviour
        renew_budgets(state, day.step, behaviour.budget_period_days, self.payees)
        rich = self.high_net_worth
        was_open = state.need[rich] if rich.size else None
        # a festival's day multiplies every category's arrival rate (the calendar), and so
        # does a lockdown (the shocks)
        demand = self.model.calendar.demand * self.model.shocks.demand
        rate, extra_rate = catalogue.need_rate, self.extra_rate
        if demand != 1.0:
            rate, extra_rate = rate * demand, extra_rate * demand
        runs = self.model.runs
        opened, lapsed = update_needs(
            state,
            rate,
            behaviour.need_patience_days,
            self.generators(day, "update"),
            catalogue.durable,
            runs.consumer_start,
        )
        if was_open is not None:  # draws only when the segment exists
            opened += open_more_needs(
                state,
                rich,
                was_open,
                extra_rate,
                self.generators(day, "rich"),
                catalogue.durable,
                runs.of_consumers(rich),
            )
        day.count["needs_opened"] = opened
        day.count["needs_lapsed"] = lapsed

    def open(self, day: Day) -> OpenNeeds:
        """List today's open needs (and count them)."""
        state, runs = self.model.state, self.model.runs
        consumer, category = open_needs(state.need)
        run = runs.of_consumers(consumer)
        day.count["open_needs"] = int(consumer.size) if run is None else runs.count(run)
        return OpenNeeds(consumer, category, state.uses.take(consumer, axis=0), run)
