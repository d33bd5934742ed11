"""Stylized-fact checks: the measures, their kinds, the runs they are measured on, and that
each of them fails on a world built to break it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from socialsim.config import ModelConfig
from socialsim.errors import ConfigError
from socialsim.validation.checks import Kind
from socialsim.validation.facts import (
    FACTS,
    REGULATION_DAY,
    check_fact_world,
    check_facts,
    facts_table,
    gini,
)
from tests.unit.validation.conftest import one_run, small_world


def _by_name(checks):
    return {c.name: c for c in checks}


def test_gini_is_zero_for_equal_incomes_and_grows_with_concentration():
    assert gini(np.full(10, 3.0)) == 0.0
    # one of n holding everything: (n - 1) / n
    assert gini(np.array([0.0] * 9 + [5.0])) == pytest.approx(0.9)
    assert gini(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(0.25)
    assert math.isnan(gini(np.zeros(3)))


def test_the_fact_world_must_run_past_the_regulation_and_have_yunji():
    with pytest.raises(ConfigError, match=r"run\.steps: must be >= 70"):
        check_fact_world(ModelConfig.small())
    no_yunji = ModelConfig.small().with_overrides({"run.steps": 90})
    platforms = {k: v for k, v in no_yunji.to_dict()["platforms"].items() if k != "yunji"}
    with pytest.raises(ConfigError, match="yunji"):
        check_fact_world(no_yunji.with_overrides({"platforms": platforms}))
    # a yunji switched off is as absent
    with pytest.raises(ConfigError, match="platforms: must include yunji, enabled"):
        check_fact_world(no_yunji.with_overrides({"platforms.yunji.enabled": False}))
    assert check_fact_world(no_yunji) is no_yunji


def test_every_fact_is_checked_on_every_replication(small_runs):
    checks = check_facts(small_runs)
    assert {int(c.area.split()[-1]) for c in checks} == set(FACTS)
    assert all(len(c.values) == 2 for c in checks)
    table = facts_table(checks)
    assert len(table) == len(checks)
    assert {"kind", "tuned", "source", "band", "passed"} <= set(table.columns)
    # the two worlds differ only by the regulator, and share seeds
    runs = small_runs
    assert len(runs.default) == len(runs.regulated) == 2
    assert runs.default[0].config.platforms["yunji"].micro_stores.regulation.step is None
    assert runs.regulated[0].config.platforms["yunji"].micro_stores.regulation.step == 60
    assert runs.default[0].seed == runs.regulated[0].seed != runs.default[1].seed
    with pytest.raises(ValueError, match="facts must be among"):
        check_facts(runs, facts=[7])
    assert [c.area for c in check_facts(runs, facts=[2])] == ["fact 2"]


def test_the_facts_are_classified_honestly(small_runs):
    """Fact 5 and fact 3's conversion lift tuned nothing; the rest name what was tuned."""
    held_out = {"livestream_conversion_lift"}
    for check in check_facts(small_runs):
        assert check.source, check.name
        if check.area == "fact 5" or check.name in held_out:
            assert check.kind == Kind.HELD_OUT and not check.tuned
        else:
            assert check.kind == Kind.CALIBRATION and check.tuned, check.name
    by_name = _by_name(check_facts(small_runs))
    # the default calibration (issue 23) fits the feed lift and sets base_livestream without
    # the livestream lift among its targets
    assert "behaviour.conversion.base_feed_social" in by_name["social_feed_conversion_ratio"].tuned
    assert "issue 23" in by_name["livestream_conversion_lift"].note
    assert "influencers.kol_follower_exponent" in by_name["kol_income_gini"].tuned
    assert "echoed" in by_name["lower_tier_skew"].note
    assert "echoed" in by_name["livestream_return_ratio"].note


def test_the_regulator_stops_recruitment_that_goes_on_without_it(small_runs):
    by_name = _by_name(check_facts(small_runs, facts=[6]))
    stopped = by_name["recruitment_stopped_by_regulator"]
    assert stopped.values == (0.0, 0.0) and stopped.passed
    assert all(v > 1.0 for v in by_name["recruitment_growth"].values)
    for model, control in zip(small_runs.regulated, small_runs.default, strict=True):
        metrics = model.step_metrics()
        assert metrics["regulations"].sum() == 1
        assert metrics.loc[metrics["step"] < REGULATION_DAY, "store_recruits"].sum() > 0
        # the control: the same seed, no regulator, and recruitment goes on after day 60
        after = control.step_metrics()
        assert after.loc[after["step"] > REGULATION_DAY, "store_recruits"].sum() > 0


def test_the_lower_tier_skew_is_measured_from_the_order_log(small_runs):
    skew = _by_name(check_facts(small_runs, facts=[1]))["lower_tier_skew"]
    orders = small_runs.default[0].orders()
    social = orders["platform"].isin(["pinduoduo", "kuaishou"])
    per_buyer = (
        orders.assign(social=social)
        .groupby("buyer")
        .agg(tier=("tier", "first"), social=("social", "any"))
    )
    low = per_buyer.loc[per_buyer["tier"] >= 3, "social"].mean()
    high = per_buyer.loc[per_buyer["tier"] <= 2, "social"].mean()
    assert skew.values[0] == pytest.approx(low - high)


# ------------------------------------------------------------------------ each fact can fail


def test_facts_1_to_4_and_the_regulator_fail_on_a_world_built_to_break_them(wrong_runs):
    by_name = _by_name(check_facts(wrong_runs))
    expect_below = {
        "lower_tier_skew": 0.0,  # the social platforms court the upper tiers
        "social_feed_conversion_ratio": 3.0,  # feeds convert alike
        "livestream_conversion_lift": 2.0,  # livestreams scored like search
        "livestream_return_ratio": 2.0,  # equal return rates
        "kol_income_gini": 0.6,  # thin-tailed audiences
    }
    for name, line in expect_below.items():
        check = by_name[name]
        assert not check.passed and check.value < line, (name, check.value)
    # a regulator that only fines stops nobody: as many recruits as without it
    stopped = by_name["recruitment_stopped_by_regulator"]
    assert not stopped.passed and stopped.value > 0.5


def test_store_owners_income_is_not_concentrated_when_every_owner_is_as_active():
    # every owner as active, and busy enough that chance alone does not concentrate income
    runs = one_run(
        small_world(**{_MS + "activity_sigma": 0.0, _MS + "promote_rate": 0.3}), twin=False
    )
    check = _by_name(check_facts(runs, facts=[4]))["store_owner_income_gini"]
    assert not check.passed and check.value < 0.6


def test_recruitment_that_never_starts_or_never_stalls_fails_fact_6():
    never = _by_name(check_facts(one_run(small_world(**{_MS + "recruit_rate": 0.0})), facts=[6]))
    assert never["recruitment_growth"].values == (1.0,)
    assert not never["recruitment_growth"].passed
    # nobody recruits without the regulator either: it cannot be shown to stop anything
    assert math.isnan(never["recruitment_stopped_by_regulator"].values[0])
    assert not never["recruitment_stopped_by_regulator"].passed
    # refusals that are never final keep the warm market open: growth does not stall
    endless = _by_name(check_facts(one_run(small_world(**{_MS + "refusal_final": 0.0})), [6]))
    assert not endless["recruitment_stall"].passed and endless["recruitment_stall"].value > 0.5


def test_group_adoption_without_a_slow_start_fails_fact_5():
    # Everyone online, on Pinduoduo and quick to buy what search shows: adoption is
    # front-loaded, the first week is about the busiest.
    online = {f"population.tiers.{k}.online_share": 1.0 for k in range(1, 7)}
    world = small_world(
        **online,
        **{
            "platforms.pinduoduo.initial_users": 1.0,
            "platforms.pinduoduo.search_weight": 10.0,
            "platforms.pinduoduo.group_buying.discount": 0.5,
            "behaviour.conversion.first_purchase_shift": 0.0,
            "behaviour.conversion.base_search": -1.0,
        },
    )
    runs = one_run(world, twin=False)
    start = _by_name(check_facts(runs, facts=[5]))["group_adoption_slow_start"]
    assert not start.passed and start.value > 0.7


_MS = "platforms.yunji.micro_stores."
