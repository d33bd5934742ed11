"""A lockdown in the default world (pytest -m slow): lower tiers go online at twice the rate.

The unit tests check the rule on a hand-built world; here the whole model
runs, where offline consumers also leave the offline pool by buying (and so
become customers), differently by tier. Each day's first-time shoppers are
divided by the offline consumers at that day's start (the end of the day
before: nothing changes a status between a day's end and the next day's
lockdown), per tier group, and the ratio of the pooled rates is checked
against 2 with a tolerance of four binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.enums import ShopperStatus

pytestmark = pytest.mark.slow


def test_in_the_default_world_lower_tiers_go_online_at_twice_the_top_tiers_rate():
    config = ModelConfig().with_overrides(
        {
            "population.n_consumers": 50_000,
            "shocks.lockdown": {
                "kind": "lockdown",
                "start": 6,
                "days": 20,
                "first_time_rate": 0.03,
            },
        }
    )
    model = SocialCommerceModel(config, rng=3)
    lower_tier = model.world.population.tier >= 3
    offline = []  # (top, lower) offline consumers at each day's end

    def count(m: SocialCommerceModel) -> None:
        off = m.state.status == ShopperStatus.OFFLINE
        offline.append((int((off & ~lower_tier).sum()), int((off & lower_tier).sum())))

    model.run(30, callback=count)
    steps = model.step_metrics()
    during = steps["lockdown"].to_numpy() == 1
    assert during.tolist() == [False] * 5 + [True] * 20 + [False] * 5
    assert steps.loc[~during, "first_time_online"].sum() == 0
    # exposed: offline at the start of each lockdown day (the end of the day before)
    at_start = np.array(offline[4:24], dtype=np.float64)
    n_top, n_lower = at_start.sum(axis=0)
    top = steps.loc[during, "first_time_online_top_tiers"].sum()
    lower = steps.loc[during, "first_time_online_lower_tiers"].sum()
    p_top, p_lower = top / n_top, lower / n_lower
    assert abs(p_top - 0.03) < 4 * np.sqrt(0.03 * 0.97 / n_top)
    ratio = p_lower / p_top
    se = ratio * np.sqrt((1 - p_top) / (p_top * n_top) + (1 - p_lower) / (p_lower * n_lower))
    assert abs(ratio - 2.0) < 4 * se, (ratio, se)
    assert 4 * se < 0.4
    # in head counts the lower tiers bring far more than twice the top tiers' shoppers
    assert lower > 3 * top
