"""Calibration specs: every mistake is reported at its key path, before anything runs."""

from __future__ import annotations

import copy

import pytest

from socialsim.calibration.spec import (
    calibration_spec_from_dict,
    check_against_world,
    load_calibration_spec,
)
from socialsim.errors import ConfigError
from tests.conftest import TINY_WORLD

SPEC = {
    "name": "recover",
    "base": TINY_WORLD,
    "steps": 5,
    "replications": 2,
    "seed": 31415,
    "parameters": {
        "behaviour.budget_share": [0.03, 0.12],
        "platforms.pinduoduo.group_buying.discount": {"low": 0.05, "high": 0.45},
    },
    "targets": [
        {"outcome": "average_order_value", "value": 47.0, "scale": 3.0, "source": "PDD FY2020"}
    ],
    "method": {"kind": "abc-smc", "population": 10, "generations": 2},
}


def spec_with(**changes):
    data = copy.deepcopy(SPEC)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return data


def problems(data, world=False):
    with pytest.raises(ConfigError) as caught:
        spec = calibration_spec_from_dict(data)
        if world:
            check_against_world(spec)
    return [(p.path, p.rule) for p in caught.value.problems]


def test_a_valid_spec_takes_lists_and_mappings_and_defaults():
    spec = calibration_spec_from_dict(SPEC)
    budget = spec.parameters["behaviour.budget_share"]
    assert (budget.low, budget.high, budget.prior) == (0.03, 0.12, "uniform")
    assert spec.method.distance == "scaled"
    assert spec.parameter_keys == list(SPEC["parameters"])
    base = check_against_world(spec)
    assert base.run.steps == 5 and base.population.n_consumers == 400


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        (
            {"parameters__behaviour.budget_share": [0.12, 0.03]},
            "parameters.behaviour.budget_share",
            "below",
        ),
        ({"parameters__behaviour.budget_share": [0.1]}, "parameters.behaviour.budget_share", "two"),
        (
            {"parameters__behaviour.budget_share": {"low": 0, "high": 0.1, "prior": "loguniform"}},
            "parameters.behaviour.budget_share.low",
            "above 0",
        ),
        (
            {"parameters__behaviour.budget_share": {"low": 0.01, "high": 0.1, "prior": "normal"}},
            "parameters.behaviour.budget_share.prior",
            "uniform",
        ),
        ({"parameters__run.seed": [1, 2]}, "parameters.run.seed", "set by the calibration"),
        ({"targets__0__scale": 0}, "targets.0.scale", "greater than 0"),
        ({"targets__0__source": KeyError}, "targets.0.source", "required"),
        ({"targets": []}, "targets", "not be empty"),
        ({"parameters": {}}, "parameters", "not be empty"),
        ({"method__kind": "mcmc"}, "method.kind", "abc-smc"),
        ({"method__population": 1}, "method.population", "greater than or equal to 2"),
        ({"method__generations": None}, "method", "generations, min_epsilon"),
        ({"replications": 0}, "replications", "greater than or equal to 1"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"name": "a b"}, "name", "letters"),
        ({"bogus": 1}, "bogus", "unknown key"),
    ],
)
def test_each_spec_error_names_its_key_path_and_rule(changes, path, words):
    found = problems(spec_with(**changes))
    assert any(p == path and words.lower() in rule.lower() for p, rule in found), found


def test_an_outcome_given_twice_or_both_fitted_and_held_out_is_refused():
    twice = spec_with(targets=SPEC["targets"] * 2)
    assert any(p == "targets.1.outcome" for p, _ in problems(twice))
    held = spec_with(held_out=[{"outcome": "average_order_value", "low": 40, "source": "FY2019"}])
    assert any(p == "held_out.0.outcome" and "target" in r for p, r in problems(held))
    bandless = spec_with(held_out=[{"outcome": "gmv", "source": "x"}])
    assert any(p == "held_out.0" and "low, high" in r for p, r in problems(bandless))


def test_the_world_check_names_unknown_keys_outcomes_and_bad_bounds():
    data = spec_with(
        **{
            "parameters__behaviour.budget_shares": [0.1, 0.2],
            "parameters__behaviour.conversion.link": [0.0, 1.0],
            "parameters__platforms.pinduoduo.group_buying.discount": [0.05, 1.5],
            "targets__0__outcome": "average_order_valu",
        }
    )
    data["held_out"] = [{"outcome": "gmv_share_pdd", "high": 0.5, "source": "x"}]
    found = dict(problems(data, world=True))
    assert "not a key" in found["parameters.behaviour.budget_shares"]
    assert "number" in found["parameters.behaviour.conversion.link"]
    assert "parameters.platforms.pinduoduo.group_buying.discount.high" in found
    assert "did you mean 'average_order_value'" in found["targets.0.outcome"]
    assert "did you mean 'gmv_share_pinduoduo'" in found["held_out.0.outcome"]


def test_per_platform_outcomes_can_be_targets():
    data = spec_with(targets__0__outcome="gmv_share_pinduoduo")
    check_against_world(calibration_spec_from_dict(data))


def test_variants_are_validated_and_applied(tmp_path):
    data = spec_with(variants={"quick": {"steps": 2, "method": {"population": 4}}})
    path = tmp_path / "spec.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data))
    quick = load_calibration_spec(path, variant="quick")
    assert (quick.steps, quick.method.population, quick.method.generations) == (2, 4, 2)
    assert quick.variant == "quick"
    broken = spec_with(variants={"quick": {"method": {"population": 0}}})
    assert any(p.startswith("variants.quick") for p, _ in problems(broken))
    with pytest.raises(ConfigError, match="no variant 'slow'"):
        load_calibration_spec(path, variant="slow")


def test_the_spec_hash_ignores_prose_execution_and_held_out_checks():
    spec = calibration_spec_from_dict(SPEC)
    base = check_against_world(spec)
    other = calibration_spec_from_dict(
        spec_with(
            description="why",
            execution={"executor": "serial"},
            held_out=[{"outcome": "gmv", "low": 1, "source": "x"}],
        )
    )
    assert spec.spec_hash(base) == other.spec_hash(base)
    moved = calibration_spec_from_dict(spec_with(seed=1))
    assert moved.spec_hash(base) != spec.spec_hash(base)


def test_the_spec_hash_ignores_what_the_base_says_of_a_free_parameter():
    spec = calibration_spec_from_dict(SPEC)
    moved = calibration_spec_from_dict(spec_with(**{"base__behaviour.budget_share": 0.2}))
    assert spec.spec_hash(check_against_world(spec)) == moved.spec_hash(check_against_world(moved))
    other = calibration_spec_from_dict(spec_with(**{"base__behaviour.return_rate": 0.2}))
    assert other.spec_hash(check_against_world(other)) != spec.spec_hash(check_against_world(spec))


def test_a_parameter_of_a_switched_off_platform_is_refused():
    data = spec_with(**{"base": {**TINY_WORLD, "platforms.pinduoduo.enabled": False}})
    found = dict(problems(data, world=True))
    rule = found["parameters.platforms.pinduoduo.group_buying.discount"]
    assert "platforms.pinduoduo is switched off (enabled: false)" in rule
    assert "parameters.behaviour.budget_share" not in found
    # nor can its outcomes be targets: the switched-off platform has none
    data["targets"][0]["outcome"] = "gmv_share_pinduoduo"
    data["parameters"].pop("platforms.pinduoduo.group_buying.discount")
    found = dict(problems(data, world=True))
    assert "targets.0.outcome" in found
