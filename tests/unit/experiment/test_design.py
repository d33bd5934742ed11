"""Design expansion: sizes and values of every design kind."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from socialsim.experiment.design import design_size, expand_design
from socialsim.experiment.spec import spec_from_dict

DISCOUNT = "platforms.pinduoduo.group_buying.discount"
SIZE = "platforms.pinduoduo.group_buying.size"
DEGREE = "network.mean_degree"


def design(**fields):
    return spec_from_dict({"name": "t", "seed": 1, "design": fields}).design


def values(points, key):
    return np.array([p.overrides[key] for p in points], dtype=float)


def test_grid_is_the_cartesian_product_first_key_slowest():
    d = design(kind="grid", parameters={DISCOUNT: [0.1, 0.2, 0.3], SIZE: [2, 5]})
    points = expand_design(d, 0)
    assert design_size(d) == len(points) == 6
    assert [(p.overrides[DISCOUNT], p.overrides[SIZE]) for p in points] == [
        (0.1, 2), (0.1, 5), (0.2, 2), (0.2, 5), (0.3, 2), (0.3, 5)
    ]  # fmt: skip
    assert [p.index for p in points] == list(range(6))


def test_zip_takes_the_lists_together():
    d = design(kind="zip", parameters={DISCOUNT: [0.1, 0.2, 0.3], SIZE: [2, 3, 4]})
    points = expand_design(d, 0)
    assert design_size(d) == 3
    assert [(p.overrides[DISCOUNT], p.overrides[SIZE]) for p in points] == [
        (0.1, 2), (0.2, 3), (0.3, 4)
    ]  # fmt: skip


def test_scenarios_are_the_named_arms_crossed_with_an_optional_grid():
    d = design(
        kind="scenarios",
        scenarios={"baseline": {}, "deep": {DISCOUNT: 0.4}},
        parameters={SIZE: [2, 3]},
    )
    points = expand_design(d, 0)
    assert design_size(d) == 4
    assert [(p.scenario, p.overrides) for p in points] == [
        ("baseline", {SIZE: 2}),
        ("baseline", {SIZE: 3}),
        ("deep", {DISCOUNT: 0.4, SIZE: 2}),
        ("deep", {DISCOUNT: 0.4, SIZE: 3}),
    ]
    assert d.parameter_keys() == [DISCOUNT, SIZE]


def test_random_is_uniform_within_bounds_and_fixed_by_the_seed():
    d = design(kind="random", bounds={DISCOUNT: [0.1, 0.4], DEGREE: [4, 12]}, samples=400)
    points = expand_design(d, 5)
    assert len(points) == design_size(d) == 400
    x = values(points, DISCOUNT)
    assert x.min() >= 0.1 and x.max() < 0.4
    # uniform: mean within 4 standard errors of the midpoint
    assert abs(x.mean() - 0.25) < 4 * 0.3 / np.sqrt(12 * 400)
    assert [p.overrides for p in expand_design(d, 5)] == [p.overrides for p in points]
    assert [p.overrides for p in expand_design(d, 6)] != [p.overrides for p in points]


def test_latin_hypercube_puts_one_sample_in_each_stratum_of_every_parameter():
    n = 16
    d = design(kind="lhs", bounds={DISCOUNT: [0.1, 0.5], DEGREE: [4, 12]}, samples=n)
    points = expand_design(d, 2)
    assert len(points) == n
    for key, (low, high) in d.bounds.items():
        strata = np.floor((values(points, key) - low) / (high - low) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n))


@pytest.mark.parametrize(("second_order", "per_sample"), [(False, 3 + 2), (True, 2 * 3 + 2)])
def test_sobol_gives_saltelli_sizes_within_bounds(second_order, per_sample):
    bounds = {DISCOUNT: [0.1, 0.5], DEGREE: [4, 12], "behaviour.budget_share": [0.03, 0.1]}
    d = design(kind="sobol", bounds=bounds, samples=8, second_order=second_order)
    points = expand_design(d, 3)
    assert len(points) == design_size(d) == 8 * per_sample
    for key, (low, high) in bounds.items():
        x = values(points, key)
        assert x.min() >= low and x.max() <= high


def test_sobol_matches_salib_for_the_design_seed():
    from SALib.sample import sobol

    from socialsim.experiment.seeds import design_seed

    d = design(kind="sobol", bounds={DISCOUNT: [0.1, 0.5], DEGREE: [4, 12]}, samples=4)
    problem = {"num_vars": 2, "names": [DISCOUNT, DEGREE], "bounds": [[0.1, 0.5], [4, 12]]}
    expected = sobol.sample(problem, 4, calc_second_order=False, seed=design_seed(9))
    got = np.array([[p.overrides[DISCOUNT], p.overrides[DEGREE]] for p in expand_design(d, 9)])
    np.testing.assert_array_equal(got, expected)


def test_morris_gives_trajectories_on_the_level_grid():
    levels = 4
    d = design(kind="morris", bounds={DISCOUNT: [0.1, 0.4], DEGREE: [4, 10]}, samples=5)
    points = expand_design(d, 1)
    assert len(points) == design_size(d) == 5 * (2 + 1)
    grid = 0.1 + 0.3 * np.arange(levels) / (levels - 1)
    x = values(points, DISCOUNT)
    assert np.isclose(x[:, None], grid[None, :]).any(axis=1).all()
    # along a trajectory, consecutive points differ in exactly one parameter
    for start in range(0, len(points), 3):
        trajectory = points[start : start + 3]
        for a, b in itertools.pairwise(trajectory):
            changed = [k for k in a.overrides if a.overrides[k] != b.overrides[k]]
            assert len(changed) == 1


def test_sampled_whole_number_keys_are_rounded():
    d = design(kind="lhs", bounds={SIZE: [2, 6], DISCOUNT: [0.1, 0.2]}, samples=20)
    points = expand_design(d, 0)
    sizes = [p.overrides[SIZE] for p in points]
    assert all(type(s) is int for s in sizes)
    assert set(sizes) <= {2, 3, 4, 5, 6} and len(set(sizes)) >= 4
    assert all(type(p.overrides[DISCOUNT]) is float for p in points)
