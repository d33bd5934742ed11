"""Strategy-search specs: every mistake named at its key path before anything runs."""

from __future__ import annotations

import copy

import pytest

from socialsim.errors import ConfigError
from socialsim.strategy.spec import check_search_world, search_spec_from_dict
from tests.conftest import TINY_WORLD

SPEC = {
    "name": "gb",
    "base": TINY_WORLD,
    "steps": 5,
    "seed": 3,
    "levers": {
        "platforms.pinduoduo.group_buying.discount": [0.05, 0.45],
        "platforms.pinduoduo.group_buying.size": {"low": 2, "high": 5},
        "platforms.pinduoduo.group_buying.window_days": {"choices": [1, 2]},
    },
    "objectives": [{"outcome": "gmv_pinduoduo", "direction": "maximize"}],
    "constraints": [{"outcome": "group_success_rate", "min": 0.5}],
}


def problems(data, world=False):
    with pytest.raises(ConfigError) as caught:
        spec = search_spec_from_dict(data)
        if world:
            check_search_world(spec)
    return {p.path: p.rule for p in caught.value.problems}


def changed(**levers):
    data = copy.deepcopy(SPEC)
    data["levers"].update(levers)
    return data


def test_one_objective_searches_with_tpe_and_two_with_nsga2():
    spec = search_spec_from_dict(SPEC)
    assert spec.sampler == "tpe"
    two = search_spec_from_dict(
        {**SPEC, "objectives": [*SPEC["objectives"], {"outcome": "gmv", "direction": "minimize"}]}
    )
    assert two.sampler == "nsga2"
    assert check_search_world(spec).run.steps == 5


@pytest.mark.parametrize(
    ("lever", "path", "words"),
    [
        ([0.4, 0.1], "levers.platforms.pinduoduo.group_buying.discount", "below"),
        ([0.1], "levers.platforms.pinduoduo.group_buying.discount", "two numbers"),
        ({"low": 0.1}, "levers.platforms.pinduoduo.group_buying.discount", "both"),
        (
            {"low": 0.1, "high": 0.2, "choices": [1, 2]},
            "levers.platforms.pinduoduo.group_buying.discount",
            "either",
        ),
        (
            {"low": 0.0, "high": 0.2, "log": True},
            "levers.platforms.pinduoduo.group_buying.discount.low",
            "log scale",
        ),
        (
            {"choices": [0.1, 0.1]},
            "levers.platforms.pinduoduo.group_buying.discount.choices",
            "repeat",
        ),
    ],
)
def test_lever_errors_name_the_lever(lever, path, words):
    found = problems(changed(**{"platforms.pinduoduo.group_buying.discount": lever}))
    assert words in found[path], found


def test_the_world_check_names_bad_keys_values_and_outcomes():
    data = changed(
        **{
            "platforms.pinduoduo.group_buying.discounts": [0.1, 0.2],
            "behaviour.conversion.link": [0.0, 1.0],
            "platforms.pinduoduo.group_buying.discount": [0.05, 1.5],
            "platforms.pinduoduo.group_buying.window_days": {"choices": [1, 0]},
        }
    )
    data["objectives"] = [{"outcome": "gmv_pinduoduoo", "direction": "maximize"}]
    data["constraints"] = [{"outcome": "group_succes_rate", "min": 0.5}]
    found = problems(data, world=True)
    assert "not a key" in found["levers.platforms.pinduoduo.group_buying.discounts"]
    assert "number" in found["levers.behaviour.conversion.link"]
    assert "levers.platforms.pinduoduo.group_buying.discount.high" in found
    assert "levers.platforms.pinduoduo.group_buying.window_days.choices.1" in found
    assert "did you mean 'gmv_pinduoduo'" in found["objectives.0.outcome"]
    assert "did you mean 'group_success_rate'" in found["constraints.0.outcome"]


def test_objectives_directions_and_constraints_are_checked():
    found = problems({**SPEC, "objectives": [{"outcome": "gmv", "direction": "up"}]})
    assert "maximize" in found["objectives.0.direction"]
    found = problems({**SPEC, "objectives": []})
    assert "objectives" in found
    found = problems({**SPEC, "constraints": [{"outcome": "gmv"}]})
    assert "min, max" in found["constraints.0"]
    twice = {**SPEC, "objectives": SPEC["objectives"] * 2}
    assert "objectives.1.outcome" in problems(twice)
    assert "set by the search" in problems(changed(**{"run.steps": [1, 5]}))["levers.run.steps"]


def test_the_hash_ignores_prose_execution_and_what_the_base_says_of_a_lever():
    spec = search_spec_from_dict(SPEC)
    base = check_search_world(spec)
    other = search_spec_from_dict(
        {
            **SPEC,
            "description": "why",
            "execution": {"executor": "serial"},
            "base": {**TINY_WORLD, "platforms.pinduoduo.group_buying.discount": 0.3},
        }
    )
    assert other.spec_hash(check_search_world(other)) == spec.spec_hash(base)
    assert search_spec_from_dict({**SPEC, "seed": 4}).spec_hash(base) != spec.spec_hash(base)
