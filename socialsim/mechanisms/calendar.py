"""The calendar: which date each step falls on, and the festivals of that date.

A run with ``run.start_date`` puts step 1 on that date and each later step a
day after. On a festival's days (``calendar.festivals``: Singles' Day on
11-11, 618, Chinese New Year's two slow weeks, or any a study adds) every
category's need arrival rate is multiplied by the festival's ``demand``, the
platforms that promote cut every price by its ``promotion_depth``, and their
offers' conversion logit rises by its ``urgency``. With a pre-sale, on each
of the ``presale_days`` before the festival's first day need arrival is
multiplied by ``1 - presale_share`` (those needs are pre-ordered), and on
the first day those arrivals come back at once: the festival's multiplier
that day is ``demand + presale_share * presale_days``, so pre-sale moves
demand into the peak without adding any.
Festivals that overlap multiply. A run without a start date has no dates and
no festivals; then this component changes nothing.

References
----------
.. [1] Alibaba Group releases: Singles' Day 2019 GMV RMB 268.4 bn in 24 hours,
   about 10-15 x a normal day on the largest platform (``shared/domain.md``).
.. [2] 618 (JD's anniversary sale, mid-June) and Chinese New Year's slower
   logistics (about two weeks): press; their sizes are assumptions
   (``shared/domain.md``).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.errors import ConfigError, Problem
from socialsim.mechanisms.component import Component

if TYPE_CHECKING:
    from socialsim.config.schema import FestivalConfig
    from socialsim.day import Day

__all__ = ["Calendar", "date_step", "days_to_festival", "festival_days", "step_date"]


def step_date(start: datetime.date, step: int) -> datetime.date:
    """Return the date of `step` in a run whose step 1 falls on `start`.

    Examples
    --------
    >>> step_date(datetime.date(2021, 10, 31), 2)
    datetime.date(2021, 11, 1)
    """
    return start + datetime.timedelta(days=step - 1)


def date_step(start: datetime.date, date: datetime.date) -> int:
    """Return the step that falls on `date` in a run whose step 1 falls on `start`.

    The inverse of :func:`step_date`; below 1 for a date before the run.

    Examples
    --------
    >>> date_step(datetime.date(2021, 10, 31), datetime.date(2021, 11, 11))
    12
    >>> step_date(datetime.date(2021, 10, 31), 12)
    datetime.date(2021, 11, 11)
    """
    return (date - start).days + 1


def festival_days(festival: FestivalConfig, date: datetime.date) -> bool:
    """Whether `date` is one of the festival's days.

    A festival given by ``on`` (MM-DD) starts on that day every year; one
    given by ``dates`` starts on each of them. It lasts ``days`` days from
    each start, across a year's end too.

    Examples
    --------
    >>> from socialsim.config.schema import FestivalConfig
    >>> new_year = FestivalConfig(on="12-30", days=4)
    >>> [festival_days(new_year, datetime.date(y, m, d)) for y, m, d in
    ...  [(2021, 12, 29), (2021, 12, 30), (2022, 1, 2), (2022, 1, 3)]]
    [False, True, True, False]
    """
    starts = _starts(festival, (date.year - 1, date.year))
    return any(0 <= (date - start).days < festival.days for start in starts)


def days_to_festival(festival: FestivalConfig, date: datetime.date) -> int | None:
    """Return how many days after `date` the festival next starts (0 on a first day).

    None if it does not start within the next 366 days (a festival given by
    ``dates`` with none ahead).

    Examples
    --------
    >>> from socialsim.config.schema import FestivalConfig
    >>> singles = FestivalConfig(on="11-11")
    >>> [days_to_festival(singles, datetime.date(2021, 11, d)) for d in (1, 11, 12)]
    [10, 0, 364]
    """
    starts = _starts(festival, (date.year, date.year + 1))
    ahead = [(start - date).days for start in starts if 0 <= (start - date).days <= 366]
    return min(ahead) if ahead else None


def _starts(festival: FestivalConfig, years: tuple[int, ...]) -> list[datetime.date]:
    """Return the festival's start dates: on its month and day in `years`, or its dates."""
    if festival.on is None:
        return list(festival.dates)
    month, day = (int(part) for part in festival.on.split("-"))
    starts = []
    for year in years:
        try:
            starts.append(datetime.date(year, month, day))
        except ValueError:  # 02-29 in a year without it
            continue
    return starts


class Calendar(Component):
    """Dates and festivals: today's demand multiplier and promotion cut per platform.

    Parameters: ``run.start_date`` and ``calendar.festivals`` (each with
    ``on`` or ``dates``, ``days``, ``demand``, ``promotion_depth``,
    ``urgency`` and ``platforms``). Day by day, before the other mechanisms start their day
    (:meth:`start_day`): :attr:`demand` is the product of today's festivals'
    demand multipliers, which the needs mechanism applies to the need arrival
    rates; :attr:`cut` the share of price each platform takes off every
    product, which pricing applies to today's prices; and :attr:`urgency` the
    summed conversion logit shift of offers on each promoting platform
    (:meth:`logit_shift`).

    Raises
    ------
    ConfigError
        If a festival names a platform the world does not have.

    References
    ----------
    .. [1] See the module docstring.
    """

    name = "calendar"
    batch_ready = True

    @classmethod
    def columns_for(cls, config: Any) -> tuple[MetricColumn, ...]:
        """Return the day's demand multiplier column, in a run with dates only."""
        if config.run.start_date is None:
            return ()
        return (
            MetricColumn.total(
                "demand_multiplier",
                "today's festivals' multiplier on need arrival (1 on ordinary days)",
                level=True,
            ),
        )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        names = model.world.platforms.names
        self.start: datetime.date | None = model.config.run.start_date
        self.festivals = dict(model.config.calendar.festivals)
        #: per festival, which platforms promote (bool, one per platform)
        self.promotes: dict[str, np.ndarray] = {}
        for name, festival in self.festivals.items():
            chosen = names if festival.platforms is None else festival.platforms
            unknown = [p for p in chosen if p not in names]
            if unknown:
                raise ConfigError(
                    [
                        Problem(
                            f"calendar.festivals.{name}.platforms",
                            f"must name platforms of the world ({', '.join(names)})",
                            unknown[0],
                        )
                    ]
                )
            self.promotes[name] = np.isin(np.asarray(names), np.asarray(chosen, dtype=object))
        #: today's multiplier on need arrival rates
        self.demand = 1.0
        #: today's price cut per platform (share of price)
        self.cut = np.zeros(len(names), dtype=np.float64)
        #: today's conversion logit shift per platform (None: no shift today)
        self.urgency: np.ndarray | None = None
        #: today's date (None in a run without dates)
        self.date: datetime.date | None = None

    def today(self, step: int) -> list[str]:
        """Return the festivals on `step`'s date (none in a run without dates)."""
        if self.start is None:
            return []
        date = step_date(self.start, step)
        return [name for name, f in self.festivals.items() if festival_days(f, date)]

    def start_day(self, day: Day) -> None:
        """Set today's date, demand multiplier and price cuts."""
        if self.start is None:
            return
        self.date = step_date(self.start, day.step)
        demand, keep, urgency = 1.0, np.ones_like(self.cut), np.zeros_like(self.cut)
        today = self.today(day.step)
        for name in today:
            festival = self.festivals[name]
            if festival.presale_days and days_to_festival(festival, self.date) == 0:
                # the needs pre-ordered in the pre-sale are bought on the first day
                demand *= festival.demand + festival.presale_share * festival.presale_days
            else:
                demand *= festival.demand
            keep *= np.where(self.promotes[name], 1.0 - festival.promotion_depth, 1.0)
            urgency += np.where(self.promotes[name], festival.urgency, 0.0)
        for name, festival in self.festivals.items():
            ahead = days_to_festival(festival, self.date) if festival.presale_days else None
            if ahead is not None and 0 < ahead <= festival.presale_days and name not in today:
                demand *= 1.0 - festival.presale_share  # pre-ordered: bought on its first day
        self.demand, self.cut = demand, 1.0 - keep
        self.urgency = urgency.astype(np.float32) if urgency.any() else None
        day.set("demand_multiplier", demand)

    def logit_shift(self, offers: Any) -> np.ndarray | None:
        """Today's festivals' urgency on offers of the promoting platforms (None on other days)."""
        if self.urgency is None:
            return None
        return self.urgency.take(offers.platform)
