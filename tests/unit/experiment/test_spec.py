"""Experiment specs: every error names its key path, rule and value, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialsim.config.loading import stable_hash
from socialsim.errors import ConfigError
from socialsim.experiment.plan import plan_sweep
from socialsim.experiment.spec import load_spec, spec_from_dict

GRID = {"kind": "grid", "parameters": {"platforms.pinduoduo.group_buying.discount": [0.1, 0.2]}}


def spec(**fields):
    data = {"name": "t", "seed": 1, "design": GRID}
    data.update(fields)
    return data


def messages(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def test_a_minimal_spec_takes_the_defaults():
    s = spec_from_dict(spec())
    assert s.replications == 1
    assert s.steps is None
    assert s.outputs == ("steps",)
    assert s.execution.executor == "process"
    assert s.crn is False


def test_outputs_always_keep_steps_in_a_fixed_order():
    s = spec_from_dict(spec(outputs=["orders", "platforms"]))
    assert s.outputs == ("steps", "platforms", "orders")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"seed": None}, "seed: input should be a valid integer"),
        ({"replications": 0}, "replications: input should be greater than or equal to 1, got 0"),
        ({"name": "a b"}, "name: use letters, digits"),
        ({"outputs": ["steps", "agents"]}, "outputs.1: input should be 'steps'"),
        ({"replication": 3}, "replication: unknown key (did you mean 'replications'?)"),
        ({"design": {"kind": "factorial"}}, "design.kind: must be one of 'grid', 'zip'"),
        (
            {"design": {"kind": "grid", "parameters": {"a.b": []}}},
            "design.parameters.a.b: must list at least one value",
        ),
        (
            {"design": {"kind": "zip", "parameters": {"a": [1, 2], "b": [1]}}},
            "design.parameters.b: zip lists must have equal lengths: 1 values here, 2 for a",
        ),
        (
            {"design": {"kind": "lhs", "bounds": {"a": [0.5, 0.1]}, "samples": 4}},
            "design.bounds.a: low must be < high, got [0.5, 0.1]",
        ),
        (
            {"design": {"kind": "sobol", "bounds": {"a": [0, 1]}, "samples": 12}},
            "design.samples: must be a power of 2 for Sobol sampling (try 8 or 16), got 12",
        ),
        (
            {"design": {"kind": "morris", "bounds": {"a": [0, 1]}, "sample": 4}},
            "design.sample: unknown key (did you mean 'samples'?)",
        ),
        (
            {"design": {"kind": "random", "bounds": {}, "samples": 4}},
            "design.bounds: must not be empty, got {}",
        ),
        (
            {"design": {"kind": "scenarios", "scenarios": {}}},
            "design.scenarios: must not be empty, got {}",
        ),
    ],
)
def test_spec_errors_name_the_key_path(fields, expected):
    with pytest.raises(ConfigError) as excinfo:
        spec_from_dict(spec(**fields))
    assert any(m.startswith(expected) for m in messages(excinfo)), messages(excinfo)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as excinfo:
        spec_from_dict({"name": "t", "replications": -1, "design": GRID})
    paths = {p.path for p in excinfo.value.problems}
    assert {"seed", "replications"} <= paths


def test_bad_base_overrides_name_the_base_key():
    s = spec_from_dict(spec(base={"population.n_consumer": 10}))
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(s)
    assert messages(excinfo) == [
        "base.population.n_consumer: unknown key (did you mean 'n_consumers'?)"
    ]


def test_bad_design_values_name_the_design_key_and_position():
    design = {
        "kind": "grid",
        "parameters": {
            "platforms.pinduoduo.group_buying.discount": [0.1, 1.5],
            "platforms.pinduoduo.group_buying.sise": [2],
        },
    }
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(design=design)))
    found = messages(excinfo)
    assert any(
        m.startswith("design.parameters.platforms.pinduoduo.group_buying.discount[1]: ")
        and "1.5" in m
        for m in found
    ), found
    assert (
        "design.parameters.platforms.pinduoduo.group_buying.sise: unknown key "
        "(did you mean 'size'?)" in found
    )


def test_bad_scenario_values_name_the_arm():
    design = {"kind": "scenarios", "scenarios": {"base": {}, "deep": {"network.mean_degree": -3}}}
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(design=design)))
    assert messages(excinfo)[0].startswith("design.scenarios.deep.network.mean_degree: ")
    assert "-3" in messages(excinfo)[0]


def test_bounds_outside_the_valid_range_are_refused():
    design = {
        "kind": "lhs",
        "bounds": {"platforms.pinduoduo.group_buying.discount": [0.1, 1.0]},
        "samples": 4,
    }
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(design=design)))
    assert messages(excinfo)[0].startswith(
        "design.bounds.platforms.pinduoduo.group_buying.discount: "
    )


def test_sampling_a_key_that_is_not_a_number_is_refused():
    design = {"kind": "random", "bounds": {"platforms.douyin.feed.kind": [0, 1]}, "samples": 3}
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(design=design)))
    assert messages(excinfo)[0].startswith(
        "design.bounds.platforms.douyin.feed.kind: sampled designs vary numbers only"
    )


def test_cross_field_errors_name_the_design_point():
    # each value is valid alone, the combination is not
    design = {
        "kind": "zip",
        "parameters": {
            "influencers.kol_min_follower_share": [0.01, 0.2],
            "influencers.kol_max_follower_share": [0.2, 0.1],
        },
    }
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(design=design)))
    found = messages(excinfo)
    assert len(found) == 1
    assert found[0].startswith("design point 1 (influencers.kol_min_follower_share=0.2, ")
    assert "influencers.kol_min_follower_share: must be <=" in found[0]


def test_variants_merge_over_the_spec():
    data = spec(
        base={"population.n_consumers": 5000, "network.mean_degree": 8},
        replications=10,
        variants={"quick": {"replications": 2, "base": {"population.n_consumers": 500}}},
    )
    quick = spec_from_dict(data, variant="quick")
    assert quick.variant == "quick"
    assert quick.replications == 2
    assert quick.base == {"population.n_consumers": 500, "network.mean_degree": 8}
    full = spec_from_dict(data)
    assert full.variant is None and full.replications == 10


def test_a_broken_variant_is_found_even_when_not_chosen():
    data = spec(variants={"quick": {"replications": 0}})
    with pytest.raises(ConfigError) as excinfo:
        spec_from_dict(data)
    assert messages(excinfo)[0].startswith("variants.quick: replications: ")


def test_an_unknown_variant_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"no variant 'fast' in this spec \(it has: quick\)"):
        spec_from_dict(spec(variants={"quick": {}}), variant="fast")


def test_the_spec_hash_ignores_how_a_sweep_runs_but_not_what_it_runs():
    from socialsim import ModelConfig

    base = ModelConfig()
    one = spec_from_dict(spec())
    other_executor = spec_from_dict(spec(execution={"executor": "serial", "workers": 3}))
    more_reps = spec_from_dict(spec(replications=2))
    assert one.spec_hash(base) == other_executor.spec_hash(base)
    assert one.spec_hash(base) != more_reps.spec_hash(base)
    assert one.spec_hash(base) != one.spec_hash(base.with_overrides({"network.mean_degree": 9}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty"),
        ("name: [unclosed", "not valid YAML (line "),
        ("- a\n- b\n", "a spec must be a mapping"),
        ("name: t\nseed: 1\ndesign: !!python/object:os.system {}\n", "not valid YAML"),
    ],
)
def test_spec_files_that_are_not_specs_give_one_line_errors(tmp_path: Path, text, expected):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as excinfo:
        load_spec(path)
    assert str(excinfo.value).startswith(f"{path}: ")
    assert expected in str(excinfo.value)


def test_a_missing_spec_file_is_named(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_a_relative_config_file_is_found_next_to_the_spec(tmp_path: Path):
    (tmp_path / "world.yaml").write_text("population: {n_consumers: 3000}\n")
    (tmp_path / "spec.yaml").write_text(
        "name: t\nseed: 1\nconfig: world.yaml\nbase: {network.mean_degree: 7}\n"
        "design: {kind: zip, parameters: {network.mean_degree: [6]}}\n"
    )
    plan = plan_sweep(load_spec(tmp_path / "spec.yaml"))
    assert plan.base.population.n_consumers == 3000
    assert plan.base.network.mean_degree == 7


def test_a_scenario_arm_is_checked_as_a_whole():
    # shares must sum to 1: each key alone breaks the rule, the arm as a whole keeps it
    arms = {
        "heads": {"campaign.split.head": 1.0, "campaign.split.mid": 0.0, "campaign.split.koc": 0.0},
        "broken": {"campaign.split.head": 1.0},
    }
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(design={"kind": "scenarios", "scenarios": arms})))
    found = messages(excinfo)
    assert len(found) == 1 and found[0].startswith("design.scenarios.broken: campaign.split")


def test_a_grid_over_keys_bound_by_a_shared_rule_is_judged_per_point():
    design = {
        "kind": "zip",
        "parameters": {"campaign.split.head": [0.34, 0.5], "campaign.split.mid": [0.33, 0.17]},
    }
    plan = plan_sweep(spec_from_dict(spec(design=design)))
    assert plan.parameters["campaign.split.head"] == [0.34, 0.5]
    bad = {"kind": "zip", "parameters": {"campaign.split.head": [0.34, 0.5]}}
    with pytest.raises(ConfigError, match=r"design point 1 \(campaign.split.head=0.5\): campaign"):
        plan_sweep(spec_from_dict(spec(design=bad)))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"base": {"run.seed": 5}}, "base.run.seed: a sweep sets the run section itself: use"),
        (
            {"design": {"kind": "grid", "parameters": {"run.steps": [5, 10]}}},
            "design.parameters.run.steps: a sweep sets the run section itself: use the spec's",
        ),
    ],
)
def test_run_keys_are_refused_in_favour_of_the_spec_s_own(fields, expected):
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(**fields)))
    assert messages(excinfo)[0].startswith(expected)


def test_outcomes_name_what_the_report_shows_and_stay_out_of_the_spec_hash():
    from socialsim import ModelConfig

    base = ModelConfig()
    plain = spec_from_dict(spec())
    about = spec_from_dict(spec(outcomes=["gmv", "orders_group"]))
    assert plain.outcomes is None and about.outcomes == ["gmv", "orders_group"]
    assert plain.spec_hash(base) == about.spec_hash(base)
    # a spec without outcomes hashes as before the field existed: no "outcomes" key at all
    data = plain.model_dump(mode="json", exclude={"execution", "config", "description"})
    assert data.pop("outcomes") is None
    assert data.pop("start_date") is None  # nor a start_date key, unset (the runs' dates)
    assert plain.spec_hash(base) == stable_hash(data | {"base_config": base.config_hash()})
    with pytest.raises(ConfigError) as excinfo:
        spec_from_dict(spec(outcomes=[]))
    assert messages(excinfo)[0].startswith("outcomes: ")


def test_an_unknown_outcome_is_refused_when_planned_with_its_index():
    with pytest.raises(ConfigError) as excinfo:
        plan_sweep(spec_from_dict(spec(outcomes=["gmv", "gvm", "gmv_share_pinduoduo", "nope"])))
    found = messages(excinfo)
    assert (
        found[0]
        == "outcomes.1: is not an outcome of the runs table; did you mean 'gmv'?, got 'gvm'"
    )
    assert found[1].startswith("outcomes.3: is not an outcome of the runs table")
    assert len(found) == 2  # gmv and the per-platform share are outcomes
