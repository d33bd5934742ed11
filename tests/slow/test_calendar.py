"""Singles' Day in the default world (pytest -m slow): the year's peak, over 3 x October.

Issue 25's check: a run from 2021-10-01 over 60 days. At 20,000 consumers,
seeds 1-2, Singles' Day's GMV was 3.9 x the October mean (October 8-31, after
the first week's ramp-up) and 3.1-3.3 x the busiest October day.
"""

from __future__ import annotations

import pytest

from socialsim import ModelConfig, SocialCommerceModel

pytestmark = pytest.mark.slow


def test_singles_day_is_the_peak_and_over_three_times_a_normal_october_day():
    config = ModelConfig().with_overrides(
        {"population.n_consumers": 20_000, "run.start_date": "2021-10-01"}
    )
    model = SocialCommerceModel(config, rng=1)
    model.run(60)
    gmv = model.step_metrics().set_index("date")["gmv"]
    october = gmv["2021-10-08":"2021-10-31"]
    peak = gmv["2021-11-11"]
    assert gmv.idxmax().strftime("%m-%d") == "11-11"
    assert peak >= 3 * october.median()
    assert peak >= 2.5 * october.max()
