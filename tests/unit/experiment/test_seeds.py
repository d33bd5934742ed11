"""Seeds: spawned from the root over (point, replication); shared across points under CRN."""

from __future__ import annotations

import numpy as np

from socialsim import SocialCommerceModel
from socialsim.experiment.plan import plan_sweep
from socialsim.experiment.seeds import run_seed, seed_sequence
from socialsim.experiment.spec import spec_from_dict
from tests.conftest import TINY_WORLD as TINY


def test_run_seeds_are_the_children_of_the_spawn_tree():
    root = np.random.SeedSequence(11)
    tree = [child.spawn(3) for child in root.spawn(4)]
    for point in range(4):
        for rep in range(3):
            ours = seed_sequence(11, point, rep, crn=False).generate_state(4)
            np.testing.assert_array_equal(ours, tree[point][rep].generate_state(4))
    crn = np.random.SeedSequence(11).spawn(3)
    np.testing.assert_array_equal(
        seed_sequence(11, 2, 1, crn=True).generate_state(4), crn[1].generate_state(4)
    )


def test_seeds_are_distinct_across_runs_without_common_random_numbers():
    spec = spec_from_dict(
        {
            "name": "t",
            "seed": 3,
            "replications": 5,
            "base": TINY,
            "design": {"kind": "grid", "parameters": {"network.mean_degree": [4, 6, 8, 10]}},
        }
    )
    plan = plan_sweep(spec)
    seeds = [r.seed for r in plan.runs]
    assert len(seeds) == 20 and len(set(seeds)) == 20
    assert all(0 <= s < 2**63 for s in seeds)
    assert len({r.run_id for r in plan.runs}) == 20


def test_scenarios_share_seeds_per_replication_by_default():
    spec = spec_from_dict(
        {
            "name": "t",
            "seed": 3,
            "replications": 3,
            "base": TINY,
            "design": {
                "kind": "scenarios",
                "scenarios": {
                    "cheap": {"platforms.pinduoduo.group_buying.discount": 0.1},
                    "deep": {"platforms.pinduoduo.group_buying.discount": 0.4},
                },
            },
        }
    )
    assert spec.crn
    runs = plan_sweep(spec).runs
    by_arm = {p: [r.seed for r in runs if r.point == p] for p in (0, 1)}
    assert by_arm[0] == by_arm[1]
    assert len(set(by_arm[0])) == 3
    off = spec_from_dict(
        spec.model_dump() | {"design": spec.design.model_dump() | {"common_random_numbers": False}}
    )
    runs_off = plan_sweep(off).runs
    assert {r.seed for r in runs_off if r.point == 0}.isdisjoint(
        {r.seed for r in runs_off if r.point == 1}
    )


def test_arms_under_common_random_numbers_share_their_world():
    spec = spec_from_dict(
        {
            "name": "t",
            "seed": 8,
            "base": TINY,
            "design": {
                "kind": "scenarios",
                "scenarios": {
                    "cheap": {"platforms.pinduoduo.group_buying.discount": 0.1},
                    "deep": {"platforms.pinduoduo.group_buying.discount": 0.4},
                },
            },
        }
    )
    plan = plan_sweep(spec)
    worlds = [SocialCommerceModel(plan.config(run)).world for run in plan.runs]
    a, b = (w.network.adjacency for w in worlds)
    assert (a != b).nnz == 0
    np.testing.assert_array_equal(worlds[0].population.income, worlds[1].population.income)
    # and a different replication gets a different world
    assert run_seed(8, 0, 0, crn=True) != run_seed(8, 0, 1, crn=True)
