"""Planning: stable run ids, duplicate runs refused, a fixed runs schema."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from socialsim.config.loading import stable_hash
from socialsim.errors import ConfigError
from socialsim.experiment.outcomes import outcome_columns
from socialsim.experiment.plan import RUN_COLUMNS, plan_sweep
from socialsim.experiment.spec import spec_from_dict
from socialsim.experiment.store import load_sweep
from socialsim.experiment.sweep import run_sweep
from tests.conftest import TINY_WORLD

DISCOUNT = "platforms.pinduoduo.group_buying.discount"
YUNJI_ON = "platforms.yunji.enabled"


def spec(**fields):
    data = {
        "name": "t",
        "seed": 4,
        "steps": 5,
        "replications": 2,
        "design": {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3]}},
    }
    data.update(fields)
    return spec_from_dict(data)


def test_run_ids_are_stable_and_follow_config_seed_and_steps():
    ids = [r.run_id for r in plan_sweep(spec()).runs]
    assert ids == [r.run_id for r in plan_sweep(spec()).runs]
    assert len(set(ids)) == 4 and all(len(i) == 16 for i in ids)
    # the same run keeps its id in another sweep that contains it
    more = plan_sweep(spec(design={"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.2, 0.3]}})).runs
    assert ids[:2] == [r.run_id for r in more[:2]]
    assert set(ids).isdisjoint(r.run_id for r in plan_sweep(spec(steps=6)).runs)
    assert set(ids).isdisjoint(r.run_id for r in plan_sweep(spec(seed=5)).runs)
    changed = plan_sweep(spec(base={"network.mean_degree": 9})).runs
    assert set(ids).isdisjoint(r.run_id for r in changed)


def test_the_task_config_is_the_resolved_config_with_seed_and_steps():
    plan = plan_sweep(spec(outputs=["orders"]))
    run = plan.runs[3]
    task = plan.task(run)
    assert task.config["run"] == {
        "steps": 5,
        "seed": run.seed,
        "record_orders": True,
        "start_date": None,  # without the spec's start_date, runs have no dates
    }
    assert task.config["platforms"]["pinduoduo"]["group_buying"]["discount"] == 0.3
    assert task.outputs == ("orders",)


def test_the_same_run_twice_is_refused():
    twice = {"kind": "grid", "parameters": {DISCOUNT: [0.2, 0.2]}, "common_random_numbers": True}
    with pytest.raises(ConfigError, match="points 0 and 1 give the same config and seed"):
        plan_sweep(spec(design=twice))


def test_the_runs_schema_has_identity_parameters_and_outcomes():
    plan = plan_sweep(spec())
    schema = plan.runs_schema()
    names = schema.names
    assert names[: len(RUN_COLUMNS)] == list(RUN_COLUMNS)
    assert DISCOUNT in names
    assert set(outcome_columns(6)) <= set(names)
    assert str(schema.field(DISCOUNT).type) == "double"
    assert plan.parameters == {DISCOUNT: [0.1, 0.3]}


def test_a_task_s_config_validates_into_the_run_s_config():
    from socialsim import ModelConfig

    plan = plan_sweep(spec(base={"population.tiers.3.median_income": 3500.0}))
    for run in plan.runs:
        task = plan.task(run)
        assert ModelConfig.model_validate(task.config) == plan.config(run)


def test_a_scenario_arm_can_switch_a_platform_off():
    arms = {"kind": "scenarios", "scenarios": {"all": {}, "no_yunji": {YUNJI_ON: False}}}
    plan = plan_sweep(spec(design=arms, replications=1))
    assert plan.parameters == {YUNJI_ON: [True, False]}
    assert "yunji" in plan.platforms  # some point runs it, so it has outcome columns
    assert {"gmv_yunji", "users_yunji"} <= set(plan.runs_schema().names)
    no_yunji = plan.config(plan.runs[1])
    assert "yunji" not in no_yunji.active_platforms
    assert plan.runs[0].run_id != plan.runs[1].run_id


def test_a_platform_every_point_switches_off_has_no_outcome_columns():
    base = {YUNJI_ON: False}
    plan = plan_sweep(spec(base=base))
    assert "yunji" not in plan.platforms and "pinduoduo" in plan.platforms
    assert "gmv_yunji" not in plan.runs_schema().names


def test_a_key_of_a_platform_switched_off_at_every_point_is_refused():
    design = {"kind": "grid", "parameters": {"platforms.yunji.micro_stores.fee": [100, 200]}}
    with pytest.raises(ConfigError) as caught:
        plan_sweep(spec(design=design, base={YUNJI_ON: False}))
    [problem] = caught.value.problems
    assert problem.path == "design.parameters.platforms.yunji.micro_stores.fee"
    assert "switched off (enabled: false) at every design point" in problem.rule


def test_a_misspelt_platform_in_a_design_is_named_at_its_key_once():
    design = {"kind": "grid", "parameters": {"platforms.pdd.group_buying.discount": [0.1, 0.3]}}
    with pytest.raises(ConfigError) as caught:
        plan_sweep(spec(design=design))
    [problem] = caught.value.problems
    assert problem.path == "design.parameters.platforms.pdd.group_buying.discount"
    assert problem.rule.startswith("unknown platform; did you mean 'pinduoduo'?")


# --------------------------------------------------------------------------- start date


def test_a_spec_s_start_date_dates_every_run_and_enters_ids_and_hash_only_when_set():
    plain, dated = plan_sweep(spec()), plan_sweep(spec(start_date="2021-11-09"))
    assert dated.spec.start_date == datetime.date(2021, 11, 9)
    assert plan_sweep(spec(start_date=None)).spec_hash == plain.spec_hash
    # unset, it is not in the spec hash: the hash of a spec from before it existed
    before = plain.spec.model_dump(
        mode="json", exclude={"execution", "config", "description", "outcomes", "start_date"}
    )
    before["base_config"] = plain.base.config_hash()
    assert plain.spec.spec_hash(plain.base) == stable_hash(before)
    assert dated.spec_hash != plain.spec_hash
    assert set(r.run_id for r in plain.runs).isdisjoint(r.run_id for r in dated.runs)
    later = plan_sweep(spec(start_date="2021-11-10"))
    assert set(r.run_id for r in later.runs).isdisjoint(r.run_id for r in dated.runs)
    assert dated.task(dated.runs[0]).config["run"]["start_date"] == datetime.date(2021, 11, 9)
    assert [r.seed for r in dated.runs] == [r.seed for r in plain.runs]


def test_a_dated_sweep_s_steps_table_has_dates(tmp_path):
    quick = {
        "name": "dated",
        "seed": 1,
        "steps": 3,
        "base": TINY_WORLD,
        "start_date": "2021-11-10",
        "design": {"kind": "grid", "parameters": {"network.mean_degree": [6]}},
    }
    run_sweep(quick, out=tmp_path / "d", executor="serial", progress=False)
    steps = load_sweep(tmp_path / "d").steps.sort_values("step")
    assert [d.isoformat()[:10] for d in pd.to_datetime(steps["date"])] == [
        "2021-11-10",
        "2021-11-11",
        "2021-11-12",
    ]
    # Singles' Day acts in a dated sweep
    assert steps["demand_multiplier"].tolist() == [1.0, 5.0, 1.0]


@pytest.mark.parametrize("bad", ["2021-02-30", "11-11", 20211111, True])
def test_a_bad_start_date_is_refused_naming_the_key(bad):
    with pytest.raises(ConfigError, match=r"start_date: .*(date|YYYY-MM-DD)"):
        spec(start_date=bad)


def test_run_start_date_in_the_base_points_to_the_spec_s_start_date():
    with pytest.raises(ConfigError, match=r"base\.run\.start_date: .*the spec's start_date"):
        plan_sweep(spec(base={"run.start_date": "2021-11-10"}))


def test_the_base_may_date_its_shocks_by_the_spec_s_start_date():
    lock = {"shocks.lock": {"kind": "lockdown", "start": "2021-11-12", "days": 5}}
    with pytest.raises(ConfigError, match=r"shocks\.lock\.start: .*a sweep's start_date"):
        plan_sweep(spec(base=lock))
    plan = plan_sweep(spec(base=lock, start_date="2021-11-10"))
    assert plan.base.shocks["lock"].start == datetime.date(2021, 11, 12)
    assert plan.base.run.start_date == datetime.date(2021, 11, 10)
