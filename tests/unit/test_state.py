"""The consumers' state: the running totals the day's record reads instead of scanning."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim._arrays import column_counts
from socialsim.state import NEVER, ConsumerState
from socialsim.world import build_world

#: every writer of ``uses`` acting: checkout, kanjia, livestream followers, store recruits,
#: a lockdown's first-time shoppers, and buyers leaving a platform after a counterfeit
BUSY = {
    "run.steps": 20,
    "platforms.kaola.group_buying.kanjia.enabled": True,
    "platforms.pinduoduo.brands.counterfeit_rate": 0.3,
    "brands.leave_after_counterfeit": 0.5,
    "shocks": {"wuhan": {"kind": "lockdown", "start": 3, "days": 5, "first_time_rate": 0.05}},
}


@pytest.fixture
def state() -> ConsumerState:
    return ConsumerState.initial(build_world(ModelConfig.small(), np.random.default_rng(3)))


def test_running_totals_equal_a_scan_of_the_tables_every_day_of_a_busy_run():
    model = SocialCommerceModel(ModelConfig.small().with_overrides(BUSY), rng=20261207)
    state = model.state
    left = 0
    before = state.uses.copy()
    for step in range(1, 21):
        model.step()
        assert (state.user_counts == column_counts(state.uses)).all(), step
        for since in (step - 29, step - 3, step, step + 1):
            scan = column_counts(state.last_order_step >= since)
            assert (state.active_users(since) == scan).all(), (step, since)
        left += int((before & ~state.uses).sum())
        before = state.uses.copy()
    assert model.step_metrics()["counterfeits_found"].sum() > 0
    assert left > 0  # the decrement path ran: some buyers stopped using a platform
    assert state.active_users(0).sum() > 0


def test_set_uses_counts_each_changed_pair_once(state):
    n_platforms = state.uses.shape[1]
    state.write_uses(slice(None), False)
    state.set_uses(np.array([4, 4, 4, 7]), np.array([1, 1, 2, 1]))
    assert state.user_counts.tolist() == [0, 2, 1] + [0] * (n_platforms - 3)
    state.set_uses(np.array([4, 9]), 1)  # 4 already uses platform 1
    state.set_uses(np.array([7, 7]), np.array([1, 1]), False)
    assert state.user_counts[1] == 2
    assert (state.user_counts == column_counts(state.uses)).all()


def test_set_last_order_counts_repeated_pairs_and_repeat_calls_of_a_day_once(state):
    state.set_last_order(np.array([5, 5, 6]), np.array([0, 0, 0]), 1)
    state.set_last_order(np.array([5, 8]), np.array([0, 2]), 1)  # 5 again the same day
    assert state.active_users(1)[[0, 2]].tolist() == [2, 1]
    state.set_last_order(np.array([5, 5]), np.array([0, 0]), 40)  # far past the first growth
    assert state.active_users(2)[0] == 1  # 5 moved to step 40; 6 stayed at step 1
    assert state.active_users(1)[0] == 2
    assert state.active_users(41).sum() == 0
    for since in (-5, 0, 1, 2, 40):
        assert (state.active_users(since) == column_counts(state.last_order_step >= since)).all()


def test_the_tables_refuse_writes_that_would_bypass_the_running_totals(state):
    with pytest.raises(ValueError, match="read-only"):
        state.uses[0, 0] = True
    with pytest.raises(ValueError, match="read-only"):
        state.last_order_step[0, 0] = 3


def test_a_state_built_with_history_counts_it():
    world = build_world(ModelConfig.small(), np.random.default_rng(3))
    fresh = ConsumerState.initial(world)
    last = np.full_like(fresh.last_order_step, NEVER)
    last[[1, 2, 3], [0, 0, 1]] = [4, 6, 6]
    fields = {name: getattr(fresh, name) for name in fresh.__dataclass_fields__}
    state = ConsumerState(**{**fields, "last_order_step": last})
    assert state.active_users(5)[:2].tolist() == [1, 1]
    assert state.active_users(0)[:2].tolist() == [2, 1]
