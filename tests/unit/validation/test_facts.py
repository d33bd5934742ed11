"""Stylized-fact checks: the measures, the pass rule and the runs they are measured on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from socialsim.config import ModelConfig
from socialsim.errors import ConfigError
from socialsim.validation.facts import (
    FACTS,
    REGULATION_DAY,
    FactCheck,
    check_fact_world,
    check_facts,
    facts_table,
    gini,
    run_fact_worlds,
)


def test_gini_is_zero_for_equal_incomes_and_grows_with_concentration():
    assert gini(np.full(10, 3.0)) == 0.0
    # one of n holding everything: (n - 1) / n
    assert gini(np.array([0.0] * 9 + [5.0])) == pytest.approx(0.9)
    assert gini(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(0.25)
    assert math.isnan(gini(np.zeros(3)))


def _check(values, lower=0.0, upper=math.inf):
    return FactCheck(1, "x", "x", "x", lower, upper, tuple(values))


def test_a_check_passes_only_when_its_whole_interval_is_in_range():
    clear = _check([0.5, 0.6, 0.55, 0.52])
    assert clear.passed
    low, high = clear.interval
    assert low > 0 and high < 1
    # positive on average but the 95 % interval reaches below zero: not shown
    assert not _check([0.5, -0.3, 0.1]).passed
    # a range: inside passes, a mean inside with an interval poking out does not
    assert _check([3.4, 3.5, 3.45], 3.0, 5.0).passed
    assert not _check([3.1, 4.9, 2.5], 3.0, 5.0).passed
    assert not _check([math.nan, math.nan]).passed


def test_the_interval_is_the_student_t_interval_of_the_mean():
    values = [1.0, 2.0, 4.0]
    low, high = _check(values).interval
    half = 4.302652729911275 * np.std(values, ddof=1) / math.sqrt(3)  # t(0.975, 2)
    assert (low, high) == pytest.approx((np.mean(values) - half, np.mean(values) + half))


def test_the_fact_world_must_run_past_the_regulation_and_have_yunji():
    with pytest.raises(ConfigError, match=r"run\.steps: must be >= 70"):
        check_fact_world(ModelConfig.small())
    no_yunji = ModelConfig.small().with_overrides({"run.steps": 90})
    platforms = {k: v for k, v in no_yunji.to_dict()["platforms"].items() if k != "yunji"}
    with pytest.raises(ConfigError, match="yunji"):
        check_fact_world(no_yunji.with_overrides({"platforms": platforms}))


@pytest.fixture(scope="module")
def small_fact_checks():
    base = ModelConfig.small(3_000).with_overrides({"run.steps": REGULATION_DAY + 15})
    runs = run_fact_worlds(base, replications=2, seed=3)
    return runs, check_facts(runs)


def test_every_fact_is_checked_on_every_replication(small_fact_checks):
    runs, checks = small_fact_checks
    assert {c.fact for c in checks} == set(FACTS)
    assert all(len(c.values) == 2 for c in checks)
    table = facts_table(checks)
    assert list(table.columns) == [
        "fact", "check", "value", "ci_low", "ci_high", "expected", "passed"
    ]  # fmt: skip
    assert len(table) == len(checks)
    # the two worlds differ only by the regulator
    assert len(runs.default) == len(runs.regulated) == 2
    assert runs.default[0].config.platforms["yunji"].micro_stores.regulation.step is None
    assert runs.regulated[0].config.platforms["yunji"].micro_stores.regulation.step == 60


def test_the_regulator_stops_recruitment_after_it_grew(small_fact_checks):
    runs, checks = small_fact_checks
    by_name = {c.name: c for c in checks}
    assert by_name["recruitment_after_regulation"].values == (0.0, 0.0)
    assert all(v > 1.0 for v in by_name["recruitment_growth"].values)
    for model in runs.regulated:
        metrics = model.step_metrics()
        assert metrics["regulations"].sum() == 1
        assert metrics.loc[metrics["step"] < REGULATION_DAY, "store_recruits"].sum() > 0


def test_the_lower_tier_skew_is_measured_from_the_order_log(small_fact_checks):
    runs, checks = small_fact_checks
    skew = next(c for c in checks if c.name == "lower_tier_skew")
    orders = runs.default[0].orders()
    social = orders["platform"].isin(["pinduoduo", "kuaishou"])
    per_buyer = (
        orders.assign(social=social)
        .groupby("buyer")
        .agg(tier=("tier", "first"), social=("social", "any"))
    )
    low = per_buyer.loc[per_buyer["tier"] >= 3, "social"].mean()
    high = per_buyer.loc[per_buyer["tier"] <= 2, "social"].mean()
    assert skew.values[0] == pytest.approx(low - high)
