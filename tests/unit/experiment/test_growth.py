"""Which specs extend a sweep and which are refused (manifests only: no run is run here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialsim.errors import ConfigError
from socialsim.experiment.plan import plan_sweep
from socialsim.experiment.spec import spec_from_dict
from socialsim.experiment.store import SweepStore
from tests.conftest import TINY_WORLD

DISCOUNT = "platforms.pinduoduo.group_buying.discount"
DEGREE = "network.mean_degree"


def spec(**fields):
    data = {
        "name": "grow",
        "seed": 5,
        "steps": 4,
        "replications": 2,
        "base": TINY_WORLD,
        "design": {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3], DEGREE: [6, 8]}},
    }
    data.update(fields)
    return data


def arms(*names: str, **extra):
    values = {"low": {DISCOUNT: 0.1}, "mid": {DISCOUNT: 0.2}, "high": {DISCOUNT: 0.3}}
    scenarios = {name: values[name] for name in names}
    return {"kind": "scenarios", "scenarios": scenarios, **extra}


def store_of(tmp_path: Path, data: dict) -> SweepStore:
    store = SweepStore(tmp_path / "s")
    store.initialise(plan_sweep(spec_from_dict(data)))
    return store


def growth(tmp_path: Path, before: dict, after: dict):
    return store_of(tmp_path, before).check_can_hold(plan_sweep(spec_from_dict(after)))


def refusal(tmp_path: Path, before: dict, after: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        growth(tmp_path, before, after)
    text = str(caught.value)
    assert "--out" in text
    return text


def test_the_same_spec_is_no_growth(tmp_path: Path):
    assert growth(tmp_path, spec(), spec(description="prose only")) is None


def test_more_replications_extend_the_sweep(tmp_path: Path):
    found = growth(tmp_path, spec(), spec(replications=3))
    assert (found.previous_runs, found.runs, found.added) == (8, 12, 4)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # a value at the end of the first (slowest) key keeps every point's index
        ({DISCOUNT: [0.1, 0.3], DEGREE: [6, 8]}, {DISCOUNT: [0.1, 0.3, 0.5], DEGREE: [6, 8]}),
        ({DISCOUNT: [0.1]}, {DISCOUNT: [0.1, 0.3]}),
    ],
)
def test_grid_values_that_keep_the_points_extend_the_sweep(tmp_path, before, after):
    found = growth(
        tmp_path,
        spec(design={"kind": "grid", "parameters": before}),
        spec(design={"kind": "grid", "parameters": after}),
    )
    assert found.added > 0


def test_a_grid_value_that_renumbers_points_needs_common_random_numbers(tmp_path: Path):
    before = {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3], DEGREE: [6, 8]}}
    after = {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3], DEGREE: [6, 8, 10]}}
    text = refusal(tmp_path, spec(design=before), spec(design=after))
    assert "of the 8 runs that sweep planned are not runs of this spec" in text
    assert "without common random numbers a run's seed follows its point's index" in text
    crn = {"common_random_numbers": True}
    found = growth(tmp_path / "crn", spec(design={**before, **crn}), spec(design={**after, **crn}))
    assert (found.previous_runs, found.runs) == (8, 12)


def test_an_arm_anywhere_extends_a_scenarios_sweep(tmp_path: Path):
    # common random numbers (the default for scenarios): an arm may go before others
    found = growth(
        tmp_path, spec(design=arms("low", "high")), spec(design=arms("low", "mid", "high"))
    )
    assert found.added == 2
    # an arm that sets a key no other arm set: the earlier points take the base world's value
    wider = arms("low", "high")
    wider["scenarios"]["wide"] = {DEGREE: 20}
    assert growth(tmp_path / "b", spec(design=arms("low", "high")), spec(design=wider)).added == 2


def test_a_changed_arm_is_refused(tmp_path: Path):
    after = arms("low", "high")
    after["scenarios"]["high"] = {DISCOUNT: 0.35}
    text = refusal(tmp_path, spec(design=arms("low", "high")), spec(design=after))
    assert "2 of the 4 runs that sweep planned are not runs of this spec" in text
    assert f"(point 1: scenario high, {DISCOUNT}=0.3; replication 0)" in text
    assert "has values no point of this spec has" in text
    renamed = {"low": {DISCOUNT: 0.1}, "top": {DISCOUNT: 0.3}}
    text = refusal(
        tmp_path / "b",
        spec(design=arms("low", "high")),
        spec(design={"kind": "scenarios", "scenarios": renamed}),
    )
    assert "scenario high" in text and "is in arm 'top' of this spec" in text


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        ({"steps": 5}, "steps 4 -> 5"),
        ({"seed": 6}, "seed 5 -> 6"),
        ({"name": "other"}, "name grow -> other"),
        ({"outputs": ["steps", "tiers"]}, 'outputs ["steps"] -> ["steps", "tiers"]'),
        (
            {"base": {**TINY_WORLD, "population.n_consumers": 500}},
            "the base world changed (population.n_consumers: 400 -> 500)",
        ),
    ],
)
def test_other_changes_are_refused_naming_the_difference(tmp_path, change, difference):
    text = refusal(tmp_path, spec(), spec(replications=3, **change))
    assert "holds sweep 'grow' of a different spec" in text and difference in text


def test_switching_common_random_numbers_is_refused(tmp_path: Path):
    crn = {"kind": "grid", "parameters": {DISCOUNT: [0.1]}, "common_random_numbers": True}
    text = refusal(tmp_path, spec(), spec(design=crn))
    assert "common_random_numbers false -> true" in text


def test_a_parameter_no_longer_varied_is_refused(tmp_path: Path):
    after = {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3]}}
    assert "no longer varies network.mean_degree" in refusal(tmp_path, spec(), spec(design=after))


def test_fewer_runs_are_refused_results_are_never_dropped(tmp_path: Path):
    text = refusal(tmp_path, spec(replications=3), spec(replications=2))
    assert "holds sweep 'grow' of 12 runs, and this spec plans only 8 of them" in text
    assert "a sweep never drops results; choose another --out" in text


def test_sampled_designs_grow_only_if_their_points_stay(tmp_path: Path):
    bounds = {DISCOUNT: [0.05, 0.4]}
    # a Latin hypercube of another size is another hypercube
    text = refusal(
        tmp_path,
        spec(design={"kind": "lhs", "bounds": bounds, "samples": 4}),
        spec(design={"kind": "lhs", "bounds": bounds, "samples": 6}),
    )
    assert "has values no point of this spec has (a lhs design draws other points" in text
    assert "draws them all anew" in text
    # uniform draws come in order: more samples keep the first ones
    found = growth(
        tmp_path / "b",
        spec(design={"kind": "random", "bounds": bounds, "samples": 4}),
        spec(design={"kind": "random", "bounds": bounds, "samples": 6}),
    )
    assert (found.previous_runs, found.runs) == (8, 12)


def test_the_manifest_takes_the_grown_spec_and_records_the_growth(tmp_path: Path):
    store = store_of(tmp_path, spec(design=arms("low", "high")))
    before = store.read_manifest()
    plan = plan_sweep(spec_from_dict(spec(design=arms("low", "mid", "high"), replications=3)))
    manifest = store.initialise(plan)
    assert manifest == store.read_manifest()  # written at once
    assert manifest["spec_hash"] == plan.spec_hash and manifest["replications"] == 3
    assert [r["scenario"] for r in manifest["design"]] == ["low", "mid", "high"]
    assert [r["run_id"] for r in manifest["runs"]] == [r.run_id for r in plan.runs]
    assert manifest["created_at"] == before["created_at"]
    (entry,) = manifest["extensions"]
    assert entry["from_spec_hash"] == before["spec_hash"]
    assert (entry["runs_before"], entry["runs_after"]) == (4, 9)
    # the spec that grew it is now the sweep's own: no growth any more
    assert store.check_can_hold(plan) is None
