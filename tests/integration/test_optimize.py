"""socialsim optimize on tiny worlds: the front, determinism across executors, resuming, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from socialsim.cli import main
from socialsim.config.loading import load_config
from socialsim.strategy import search, search_spec_from_dict
from tests.conftest import TINY_WORLD

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"

SPEC = {
    "name": "tiny_gb",
    "base": TINY_WORLD,
    "steps": 6,
    "replications": 2,
    "seed": 11,
    "levers": {
        "platforms.pinduoduo.group_buying.discount": [0.05, 0.45],
        "platforms.pinduoduo.group_buying.size": {"choices": [2, 3]},
    },
    "objectives": [
        {"outcome": "gmv_pinduoduo", "direction": "maximize"},
        {"outcome": "group_refunds_value", "direction": "minimize"},
    ],
    "constraints": [{"outcome": "orders", "min": 1}],
    "method": {"trials": 8, "batch": 4},
}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return search(search_spec_from_dict(SPEC), out=out, executor="serial", progress=False)


def dominated(row, others, spec) -> bool:
    signs = np.array([-1.0 if o["direction"] == "maximize" else 1.0 for o in spec["objectives"]])
    names = [o["outcome"] for o in spec["objectives"]]
    mine = row[names].to_numpy(float) * signs
    theirs = others[names].to_numpy(float) * signs
    return bool(np.any(np.all(theirs <= mine, axis=1) & np.any(theirs < mine, axis=1)))


def test_the_front_is_exactly_the_undominated_feasible_evaluations(serial):
    trials = serial.trials
    assert len(trials) == 8 and trials["state"].eq("COMPLETE").all()
    feasible = trials[trials["feasible"]]
    for _, row in trials.iterrows():
        expected = bool(row["feasible"]) and not dominated(row, feasible, SPEC)
        assert bool(row["front"]) == expected, row["trial"]
    assert len(serial.front) >= 1
    assert set(serial.front["platforms.pinduoduo.group_buying.size"]) <= {2, 3}
    stored = pd.read_parquet(serial.directory / "front.parquet")
    pd.testing.assert_frame_equal(stored, serial.front)
    assert (serial.directory / "front.png").stat().st_size > 5000


def test_each_front_point_has_a_config_with_its_levers(serial):
    for _, row in serial.front.iterrows():
        config = load_config(serial.directory / "front" / f"trial-{int(row['trial'])}.yaml")
        gb = config.platforms["pinduoduo"].group_buying
        assert gb.discount == pytest.approx(row["platforms.pinduoduo.group_buying.discount"])
        assert gb.size == row["platforms.pinduoduo.group_buying.size"]
        assert config.population.n_consumers == 400 and config.run.steps == 6


def test_an_infeasible_evaluation_is_never_on_the_front(tmp_path):
    strict = {**SPEC, "constraints": [{"outcome": "orders", "max": 0}]}
    result = search(search_spec_from_dict(strict), out=tmp_path, executor="serial", progress=False)
    assert not result.trials["feasible"].any() and result.front.empty


def test_evaluations_share_their_seeds_common_random_numbers(serial):
    simulations = pd.concat(
        pd.read_parquet(p) for p in (serial.directory / "simulations").glob("*.parquet")
    )
    seeds = simulations.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all() and simulations["seed"].nunique() == 2


def test_the_process_executor_gives_the_serial_trials(serial, tmp_path):
    found = search(
        search_spec_from_dict(SPEC), out=tmp_path, executor="process", workers=2, progress=False
    )
    pd.testing.assert_frame_equal(found.trials, serial.trials)


@pytest.mark.slow
def test_a_finished_search_resumes_without_simulating_and_more_trials_extend_it(serial, tmp_path):
    again = search(
        search_spec_from_dict(SPEC), out=serial.directory, executor="serial", progress=False
    )
    assert again.summary["simulations_this_session"] == 0
    pd.testing.assert_frame_equal(again.trials, serial.trials)
    longer = {**SPEC, "method": {"trials": 12, "batch": 4}}
    short = tmp_path / "short"
    search(search_spec_from_dict(SPEC), out=short, executor="serial", progress=False)
    extended = search(search_spec_from_dict(longer), out=short, executor="serial", progress=False)
    assert extended.summary["simulations_this_session"] == 4 * 2
    fresh = search(
        search_spec_from_dict(longer), out=tmp_path / "fresh", executor="serial", progress=False
    )
    pd.testing.assert_frame_equal(extended.trials, fresh.trials)


def test_one_objective_keeps_the_best_feasible_evaluation(tmp_path):
    one = {
        **SPEC,
        "objectives": SPEC["objectives"][:1],
        "method": {"trials": 6, "batch": 3, "startup_trials": 3},
    }
    result = search(search_spec_from_dict(one), out=tmp_path, executor="serial", progress=False)
    assert result.spec.sampler == "tpe"
    feasible = result.trials[result.trials["feasible"]]
    assert len(result.front) == 1
    assert result.front["gmv_pinduoduo"].iloc[0] == feasible["gmv_pinduoduo"].max()


@pytest.mark.slow
def test_the_shipped_experiment_s_quick_variant_writes_a_front_from_the_cli(tmp_path, capsys):
    out = tmp_path / "gb"
    spec = EXPERIMENTS / "optimize_group_buying.yaml"
    args = ["optimize", str(spec), "--variant", "quick", "--out", str(out), "--no-progress"]
    assert main([*args, "--executor", "process", "--workers", "2"]) == 0
    assert "on the front" in capsys.readouterr().out
    front = pd.read_parquet(out / "front.parquet")
    assert len(front) >= 1 and front["feasible"].all()
    assert len(list((out / "front").glob("trial-*.yaml"))) == len(front)
    data = yaml.safe_load(spec.read_text())
    assert len(data["description"]) > 200


def test_a_different_spec_in_the_same_directory_is_refused(serial, tmp_path, capsys):
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump({**SPEC, "seed": 12}))
    assert main(["optimize", str(path), "--out", str(serial.directory), "--no-progress"]) == 2
    assert "different spec" in capsys.readouterr().err
