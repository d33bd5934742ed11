"""The calendar in a batched ensemble: driven by the config and the date alone, it needs no change.

Every replication of a config has the same dates and festivals, so the one
calendar serves every run: its demand multiplier (set for each run) and its
per-platform cut and urgency are each run's alone.
"""

from __future__ import annotations

import datetime

import numpy as np

from socialsim import ModelConfig
from socialsim.mechanisms.calendar import Calendar
from tests.unit.mechanisms.batched import Ensemble

SEEDS = (61, 62, 63)


def test_calendar_of_each_run_in_an_ensemble_is_the_run_s_alone():
    config = ModelConfig.small().with_overrides({"run.start_date": datetime.date(2021, 11, 1)})
    both = Ensemble(config, SEEDS)
    columns = Calendar.columns_for(config)
    batched = Calendar(both.model)
    alone = [Calendar(m) for m in both.solo]
    seen = set()
    for step in range(1, 16):
        days, day = both.days(step, columns)
        for calendar, solo_day in zip(alone, days, strict=True):
            calendar.start_day(solo_day)
        batched.start_day(day)
        for k, calendar in enumerate(alone):
            assert day.total["demand_multiplier"][k] == days[k].total["demand_multiplier"]
            assert np.array_equal(batched.cut, calendar.cut)
            assert (batched.urgency is None) == (calendar.urgency is None)
            if calendar.urgency is not None:
                assert np.array_equal(batched.urgency, calendar.urgency)
        seen.add(days[0].total["demand_multiplier"])
    assert len(seen) > 1  # Singles' Day and ordinary days
