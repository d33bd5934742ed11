"""Shocks: a lockdown that closes offline shopping, a regulator that fines or changes a rule.

Shocks are data (``shocks``, a table of named rows; none by default), each
with a ``kind``, a ``start`` (a date, which needs ``run.start_date``, or a
step number) and a length in ``days`` (null: to the end of the run).

**Lockdown.** While it lasts offline shopping is closed. Each day every
offline consumer (:attr:`~socialsim.enums.ShopperStatus.OFFLINE`) becomes a
first-time online shopper (``ONLINE``) with probability ``first_time_rate``
in the top tiers (below ``lower_tiers_from``, tier 3 by default) and
``lower_tier_ratio`` times that in the lower tiers: twice by default, as GfK
found for 2020 [1]_. The ratio is read per capita of each tier's offline
consumers; the lower tiers have more of them, so in head counts they bring
more than twice the top tiers' first-time shoppers. A first-time shopper who
uses no platform yet picks one as the world's online shoppers did at the
start (in proportion to each platform's reach in their tier), so that they
can search. First-time shoppers are no longer held back by
``offline_shift``, may be recruited as store owners, and stay online after
the lockdown. Every
category's need arrival rate (everyone's) is multiplied by ``demand``
(the demand that shops met offline moves online), on top of the calendar's
festivals. Overlapping lockdowns combine: their chances of staying offline
and their demand multipliers multiply. A consumer's draw is keyed by
consumer and day, so a run with a lockdown and one without share every other
draw, and the same consumer converts on the same day whatever else differs.

**Regulator.** On its first day it fines ``platform`` ``fine`` RMB (recorded
in ``regulation_fines``; the fine changes no price or budget) and changes its
``rule`` from a closed set, on the live arrays of the mechanism it governs:

=======================  ============================================================
rule                     effect on ``platform`` from the regulator's day
=======================  ============================================================
``promotion_depth_cap``  promotions cut prices by at most ``cap`` (also those running)
``group_discount_cap``   the group discount, and each step of a price ladder, is at
                         most ``cap``; open groups keep the price their members paid
``one_level``            micro-stores become fee-free, with one level of commission and
                         no referral reward (as ``micro_stores.regulation`` does)
=======================  ============================================================

Each counts in ``regulations``. A rule with ``days`` is undone after them.
Rules that overlap on one platform combine, the strictest holding: a value
some rule touched is, on each day a rule starts or ends, the value it had
before the first rule touched it, capped by every rule that holds that day;
once none holds it has that value again (so a change of it by another
mechanism while a rule held, such as ``micro_stores.regulation``, is undone
with the rule). The shocks act at the
start of the day, after the calendar and before needs and prices, so a rule
holds from its first day's prices on.

References
----------
.. [1] GfK, quoted in "E-Commerce is Social in China's Small Cities" (2020;
   the small-cities seed, 003): first-time online shoppers in lower tiers
   during the pandemic were twice those in top tiers (``shared/domain.md``).
.. [2] Morgan Stanley 2017, as quoted in the same article: tier 3 and below
   are the "lower tiers".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.enums import ShopperStatus
from socialsim.mechanisms.calendar import date_step
from socialsim.mechanisms.component import Component
from socialsim.streams import mix_keys
from socialsim.world.platforms import platform_reach

if TYPE_CHECKING:
    from socialsim.config.shocks import ShockConfig
    from socialsim.day import Day

__all__ = ["Shocks", "shock_steps"]


def shock_steps(shock: ShockConfig, start_date: datetime.date | None) -> tuple[int, int | None]:
    """Return a shock's first step and the step after its last (None: it never ends).

    Parameters
    ----------
    shock : ShockConfig
        Its ``start`` (a date or a step) and ``days``.
    start_date : datetime.date or None
        ``run.start_date``, the date of step 1 (needed when ``start`` is a date).

    Returns
    -------
    (int, int or None)
        It acts on the steps ``first <= step < end``; ``first`` may be below 1
        for a shock that began before the run.

    Raises
    ------
    ValueError
        If ``start`` is a date and there is no start date.

    Examples
    --------
    >>> from socialsim.config.shocks import ShockConfig
    >>> wuhan = ShockConfig(kind="lockdown", start=datetime.date(2020, 1, 23), days=76)
    >>> shock_steps(wuhan, datetime.date(2020, 1, 1))
    (23, 99)
    >>> shock_steps(ShockConfig(kind="lockdown", start=5), None)
    (5, None)
    """
    if isinstance(shock.start, datetime.date):
        if start_date is None:
            raise ValueError("a shock dated by a date needs run.start_date")
        first = date_step(start_date, shock.start)
    else:
        first = int(shock.start)
    return first, None if shock.days is None else first + shock.days


@dataclass(eq=False)
class _Regulator:
    """One regulator shock, as the component runs it."""

    name: str
    shock: Any
    platform: int
    first: int
    end: int | None
    #: the values its rule sets, once it has acted: (array, index, value at most)
    changes: list[tuple[np.ndarray, int, float]] = field(default_factory=list)

    def on(self, step: int) -> bool:
        """Whether its rule holds on `step`."""
        return self.first <= step and (self.end is None or step < self.end)


class Shocks(Component):
    """Lockdowns and regulators, from the ``shocks`` table (see the module docstring).

    Parameters: ``run.start_date`` and each shock's ``kind``, ``start`` and
    ``days``; a lockdown's ``first_time_rate``, ``lower_tier_ratio``,
    ``lower_tiers_from`` and ``demand``; a regulator's ``platform``, ``fine``,
    ``rule`` and ``cap``. Day by day, at the start of the day, after the
    calendar (:meth:`start_day`): :attr:`demand` is today's lockdowns'
    multiplier on need arrival, which the needs mechanism applies with the
    calendar's; offline consumers become first-time online shoppers; a
    regulator fines and changes its rule on its first day and undoes the
    rule after its last.

    Attributes
    ----------
    demand : float
        Today's multiplier on need arrival (1 without a lockdown today).
    locked : bool
        Whether a lockdown is on today.

    References
    ----------
    .. [1] GfK via "E-Commerce is Social in China's Small Cities" (2020), see the
       module docstring.
    """

    name = "shocks"
    batch_ready = True

    @classmethod
    def columns_for(cls, config: Any) -> tuple[MetricColumn, ...]:
        """Return the lockdown columns, in a run whose ``shocks`` has a lockdown only."""
        if not any(s.kind == "lockdown" for s in config.shocks.values()):
            return ()
        return (
            MetricColumn.count("lockdown", "1 while a lockdown is on today, else 0", level=True),
            MetricColumn.count(
                "first_time_online", "offline consumers who became online shoppers today"
            ),
            MetricColumn.count(
                "first_time_online_top_tiers",
                "of them, in the top tiers (below the lockdown's lower_tiers_from)",
            ),
            MetricColumn.count(
                "first_time_online_lower_tiers",
                "of them, in the lower tiers (lower_tiers_from and above)",
            ),
        )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        cfg, world = model.config, model.world
        names = world.platforms.names
        start_date = cfg.run.start_date
        n_tiers = world.population.n_tiers
        tiers = np.arange(1, n_tiers + 1)
        #: lockdowns: (first step, end step or None, daily chance per tier, demand, lower tier)
        self.lockdowns: list[tuple[int, int | None, np.ndarray, float, np.ndarray]] = []
        self.regulators: list[_Regulator] = []
        #: each value a rule has touched, as it was before the first: (array, index, value)
        self._before: dict[tuple[int, int], tuple[np.ndarray, int, Any]] = {}
        for name, shock in cfg.shocks.items():
            first, end = shock_steps(shock, start_date)
            if shock.kind == "lockdown":
                lower = tiers >= shock.lower_tiers_from
                rate = np.where(
                    lower, shock.first_time_rate * shock.lower_tier_ratio, shock.first_time_rate
                )
                self.lockdowns.append((first, end, rate, shock.demand, lower))
            else:
                # the config checked the platform is in the world
                self.regulators.append(
                    _Regulator(name, shock, names.index(shock.platform), first, end)
                )
        self.demand = 1.0
        self.locked = False
        self._reach: np.ndarray | None = None
        if self.lockdowns:
            # each platform's reach by tier, as the world's online shoppers chose at the start;
            # it rests on the mean tier of a run's population: one table per run in a batch
            population, runs = world.population, model.runs
            blocks = [runs.rows(k) for k in range(runs.n)] if runs.batched else [slice(None)]
            reach = []
            for rows in blocks:
                tier = population.tier[rows]
                mean_tier = float(tier.mean()) if tier.size else 0.0
                reach.append(
                    np.stack(
                        [platform_reach(cfg.platforms[name], tiers, mean_tier) for name in names],
                        axis=1,
                    )
                )
            # (tiers, platforms) for one run, (runs, tiers, platforms) for a batch
            self._reach = reach[0] if not runs.batched else np.stack(reach)

    @staticmethod
    def _on(step: int, first: int, end: int | None) -> bool:
        return first <= step and (end is None or step < end)

    def start_day(self, day: Day) -> None:
        """Set today's demand, convert offline consumers under a lockdown, let regulators act."""
        if self.lockdowns:
            self._lockdown(day)
        if self.regulators:
            self._regulate(day)

    # ------------------------------------------------------------------ lockdown

    def _lockdown(self, day: Day) -> None:
        stay = None
        demand = 1.0
        lower = None
        for first, end, rate, multiplier, lower_tier in self.lockdowns:
            if not self._on(day.step, first, end):
                continue
            stay = (1.0 - rate) if stay is None else stay * (1.0 - rate)
            demand *= multiplier
            lower = lower_tier if lower is None else lower  # the first lockdown's split
        self.demand = demand
        self.locked = stay is not None
        day.set("lockdown", int(self.locked))
        if stay is None:
            return
        state, population = self.model.state, self.model.world.population
        offline = np.flatnonzero(state.status == ShopperStatus.OFFLINE)
        if offline.size == 0:
            return
        tier = population.tier[offline].astype(np.int64)
        chance = 1.0 - stay[tier - 1]
        # keyed by each consumer's index in its own run, with its run's stream
        runs = self.model.runs
        run = runs.of_consumers(offline)
        key = mix_keys(runs.local_consumer(offline, run))
        converts = self.uniform(day, "first_time", key, run=run) < chance
        new = offline[converts]
        if new.size == 0:
            return
        new_run = None if run is None else run[converts]
        state.status[new] = ShopperStatus.ONLINE
        self._give_platform(day, new, new_run)
        new_lower = lower[population.tier[new].astype(np.int64) - 1]
        n_new, n_lower = (
            runs.count(new_run, np.ones(new.size, bool)),
            runs.count(new_run, new_lower),
        )
        day.add("first_time_online", n_new)
        day.add("first_time_online_lower_tiers", n_lower)
        day.add("first_time_online_top_tiers", n_new - n_lower)

    def _give_platform(self, day: Day, new: np.ndarray, run: np.ndarray | None = None) -> None:
        """First-time shoppers who use no platform pick one by its reach in their tier.

        `run` is each new shopper's run in a batched ensemble (None for one run).
        """
        state, runs = self.model.state, self.model.runs
        alone = ~state.uses[new].any(axis=1)
        lonely = new[alone]
        if lonely.size == 0 or self._reach is None:
            return
        tier = self.model.world.population.tier[lonely].astype(np.int64) - 1
        run = None if run is None else run[alone]
        weight = self._reach[tier] if run is None else self._reach[run, tier]
        cum = np.cumsum(weight, axis=1)
        key = mix_keys(runs.local_consumer(lonely, run))
        target = self.uniform(day, "platform", key, run=run) * cum[:, -1]
        pick = np.minimum((target[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)
        state.set_uses(lonely, pick)

    # ------------------------------------------------------------------ regulator

    def _regulate(self, day: Day) -> None:
        """Regulators whose day it is fine and change their rule; rules that end are undone.

        Each value a rule touches keeps the value it had before the first rule
        touched it; on a day a rule starts or ends, it is set to that value
        capped by every rule that holds today, so overlapping rules on one
        platform combine (the strictest holds) and end in any order.
        """
        step = day.step
        starting = [r for r in self.regulators if r.first == step]
        ending = [r for r in self.regulators if r.end == step]
        if not starting and not ending:
            return
        for regulator in starting:
            day.add("regulations", 1)
            if regulator.shock.fine > 0:
                day.add("regulation_fines", regulator.shock.fine)
            regulator.changes = self._changes(regulator)
            for array, index, _ in regulator.changes:
                self._before.setdefault((id(array), index), (array, index, array[index].item()))
        touched = {(id(a), i) for r in (*starting, *ending) for a, i, _ in r.changes}
        holding = [r for r in self.regulators if r.on(step)]
        for key in touched:
            array, index, value = self._before[key]
            for regulator in holding:
                for a, i, cap in regulator.changes:
                    if (id(a), i) == key:
                        value = min(value, cap)
            array[index] = value

    def _changes(self, regulator: _Regulator) -> list[tuple[np.ndarray, int, float]]:
        """Return the live values a regulator's rule sets: (array, index, value at most)."""
        shock, p, model = regulator.shock, regulator.platform, self.model
        if shock.rule == "promotion_depth_cap":
            return [(model.pricing.book.promo_depth, p, shock.cap)]
        if shock.rule == "group_discount_cap":
            groups = model.group_buying
            ladder = groups.ladder_discounts[p]
            return [(groups.discount, p, shock.cap)] + [
                (ladder, k, shock.cap) for k in range(ladder.size)
            ]
        if shock.rule == "one_level":
            stores = model.stores
            return [(stores.fee, p, 0.0), (stores.referral, p, 0.0), (stores.levels, p, 1)]
        return []  # a fine only
