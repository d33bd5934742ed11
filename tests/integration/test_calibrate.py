"""socialsim calibrate on tiny worlds: same posterior on every executor, after a kill, from the CLI.

Parameter recovery at a realistic size is in tests/slow/test_calibration_recovery.py; the
Dask executor, extending a fit and the optimize path of the undefined-target check run
with ``pytest -m slow``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from socialsim.calibration import calibrate, calibration_spec_from_dict
from socialsim.calibration.simulate import CalibrationRunError
from socialsim.cli import main
from socialsim.config.loading import load_config
from tests.conftest import TINY_WORLD

ROOT = Path(__file__).resolve().parents[2]

SPEC = {
    "name": "tiny",
    "description": "two parameters of a 400-consumer world against two outcomes",
    "base": TINY_WORLD,
    "steps": 4,
    "replications": 2,
    "seed": 2718,
    "parameters": {
        "behaviour.budget_share": [0.03, 0.15],
        "platforms.pinduoduo.group_buying.discount": [0.05, 0.45],
    },
    "targets": [
        {"outcome": "gmv", "value": 30000.0, "scale": 5000.0, "source": "made up"},
        {"outcome": "gmv_share_pinduoduo", "value": 0.4, "scale": 0.1, "source": "made up"},
    ],
    "held_out": [
        {"outcome": "orders", "low": 1, "source": "any world sells something"},
        {"outcome": "buyers", "high": 0, "source": "a band it cannot meet"},
    ],
    "method": {"kind": "abc-smc", "population": 4, "generations": 2},
}


def value_at(config, key: str):
    node = config
    for part in key.split("."):
        node = (
            node[part] if isinstance(node, dict) or hasattr(node, "keys") else getattr(node, part)
        )
    return node


def write_spec(tmp_path: Path, data: dict, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return calibrate(calibration_spec_from_dict(SPEC), out=out, executor="serial", progress=False)


def test_the_outputs_hold_the_posterior_the_config_and_the_checks(serial):
    posterior = serial.posterior
    assert list(posterior.columns[:4]) == ["generation", "particle", "weight", "distance"]
    assert set(SPEC["parameters"]) <= set(posterior.columns)
    assert sorted(posterior["generation"].unique()) == [0, 1]
    for _, generation in posterior.groupby("generation"):
        assert len(generation) == 4
        assert generation["weight"].sum() == pytest.approx(1.0)
    stored = pd.read_parquet(serial.directory / "posterior.parquet")
    pd.testing.assert_frame_equal(stored, posterior)

    # the calibrated config is the base world with the last generation's weighted mean
    last = posterior[posterior["generation"] == 1]
    config = load_config(serial.directory / "calibrated.yaml")
    for key in SPEC["parameters"]:
        mean = float(np.sum(last["weight"] * last[key]) / last["weight"].sum())
        assert value_at(config, key) == pytest.approx(mean, rel=1e-12)
    assert config.population.n_consumers == 400 and config.run.steps == 4

    summary = json.loads((serial.directory / "summary.json").read_text())
    epsilons = [g["epsilon"] for g in summary["generations"]]
    assert epsilons[1] <= epsilons[0]
    assert [c["passes"] for c in summary["held_out"]] == [True, False]
    for target in summary["targets"]:
        assert target["q05"] <= target["mean"] <= target["q95"]

    # every accepted particle of the last generation is on file with both replications
    simulations = pd.concat(
        pd.read_parquet(p) for p in sorted((serial.directory / "simulations").glob("*.parquet"))
    )
    accepted = simulations[(simulations["generation"] == 1) & simulations["accepted"]]
    assert len(accepted) == 4 * 2
    assert accepted["seed"].nunique() == 8


def test_the_same_seed_gives_the_same_posterior_and_another_seed_another(tmp_path):
    small = {**SPEC, "method": {"kind": "abc-smc", "population": 4, "generations": 1}}

    def posterior(seed: int, out: str) -> pd.DataFrame:
        spec = calibration_spec_from_dict({**small, "seed": seed})
        return calibrate(spec, out=tmp_path / out, executor="serial", progress=False).posterior

    first = posterior(2718, "a")
    pd.testing.assert_frame_equal(posterior(2718, "b"), first)
    assert not posterior(2719, "c").equals(first)


def test_the_process_executor_gives_the_serial_posterior_with_batched_replications(
    serial, tmp_path
):
    # each candidate's two replications simulated as one batched ensemble
    found = calibrate(
        calibration_spec_from_dict(SPEC),
        out=tmp_path / "p",
        executor="process",
        workers=2,
        progress=False,
        batch_runs=2,
    )
    pd.testing.assert_frame_equal(found.posterior, serial.posterior)
    for generation in sorted((serial.directory / "simulations").glob("*.parquet")):
        batched = pd.read_parquet(tmp_path / "p" / "simulations" / generation.name)
        pd.testing.assert_frame_equal(batched, pd.read_parquet(generation))


@pytest.mark.slow
def test_the_dask_executor_gives_the_serial_posterior(serial, tmp_path):
    found = calibrate(
        calibration_spec_from_dict(SPEC),
        out=tmp_path / "d",
        executor="dask",
        workers=2,
        progress=False,
    )
    pd.testing.assert_frame_equal(found.posterior, serial.posterior)


@pytest.mark.slow
def test_more_generations_extend_a_finished_fit_to_the_longer_fit_s_posterior(serial, tmp_path):
    short = {**SPEC, "method": {"kind": "abc-smc", "population": 4, "generations": 1}}
    out = tmp_path / "extended"
    calibrate(calibration_spec_from_dict(short), out=out, executor="serial", progress=False)
    extended = calibrate(
        calibration_spec_from_dict(SPEC), out=out, executor="serial", progress=False
    )
    pd.testing.assert_frame_equal(extended.posterior, serial.posterior)


def test_numpy_s_global_state_is_left_as_it_was(tmp_path):
    spec = calibration_spec_from_dict(
        {**SPEC, "method": {"kind": "abc-smc", "population": 3, "generations": 1}}
    )
    np.random.seed(11)  # noqa: NPY002 - the state a user's own code relies on
    calibrate(spec, out=tmp_path / "g", executor="serial", progress=False)
    after = np.random.random(3)  # noqa: NPY002
    np.random.seed(11)  # noqa: NPY002
    assert np.array_equal(after, np.random.random(3))  # noqa: NPY002


def test_a_calibration_killed_mid_generation_resumes_to_the_same_posterior(serial, tmp_path):
    spec = write_spec(tmp_path, SPEC)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "socialsim", "calibrate", str(spec), "--out", str(out)]
    command += ["--executor", "serial", "--no-progress"]
    process = subprocess.Popen(
        command,
        start_new_session=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        first = out / "simulations" / "generation-0.parquet"
        deadline = time.monotonic() + 120
        while not first.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.exists(), process.stderr.read().decode() if process.poll() else "too slow"
        time.sleep(0.3)  # into generation 1
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()
    assert not (out / "posterior.parquet").exists(), "killed after it had finished"
    resumed = calibrate(spec, out=out, executor="serial", progress=False)
    pd.testing.assert_frame_equal(resumed.posterior, serial.posterior)


def test_a_different_spec_is_refused_in_the_same_directory(serial, tmp_path, capsys):
    spec = write_spec(tmp_path, {**SPEC, "seed": 1})
    code = main(["calibrate", str(spec), "--out", str(serial.directory), "--no-progress"])
    assert code == 2
    assert "different spec" in capsys.readouterr().err


@pytest.mark.parametrize(
    "method",
    [
        {"kind": "abc-smc", "population": 3, "generations": 1},
        pytest.param({"kind": "optimize", "trials": 3, "batch": 3}, marks=pytest.mark.slow),
    ],
    ids=["abc-smc", "optimize"],
)
def test_a_target_no_simulation_defines_stops_the_fit_with_its_key_path(tmp_path, method):
    undefined = {"outcome": "campaign_roi", "value": 2.0, "scale": 1.0, "source": "made up"}
    spec = calibration_spec_from_dict(
        {**SPEC, "targets": [*SPEC["targets"], undefined], "method": method}
    )
    with pytest.raises(CalibrationRunError, match=r"targets\.2\.outcome: 'campaign_roi'"):
        calibrate(spec, out=tmp_path / method["kind"], executor="serial", progress=False)


def test_the_cli_fits_and_its_calibrated_config_runs(tmp_path, capsys):
    data = {**SPEC, "method": {"kind": "abc-smc", "population": 3, "generations": 1}}
    spec = write_spec(tmp_path, data)
    out = tmp_path / "cli"
    args = ["calibrate", str(spec), "--out", str(out), "--executor", "serial", "--no-progress"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "behaviour.budget_share = " in printed and "MISSES" in printed
    assert (out / "report.html").exists()
    run = ["run", str(out / "calibrated.yaml"), "--out", str(tmp_path / "run")]
    assert main([*run, "--no-dashboard", "--quiet"]) == 0
    assert (tmp_path / "run" / "steps.parquet").exists()


def test_a_point_fit_with_optuna_writes_its_trials_and_resumes(tmp_path):
    data = {**SPEC, "method": {"kind": "optimize", "trials": 6, "batch": 3, "startup_trials": 3}}
    spec = write_spec(tmp_path, data)
    out = tmp_path / "optimize"
    result = calibrate(spec, out=out, executor="serial", progress=False)
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 6 and trials["distance"].is_monotonic_increasing
    assert len(result.posterior) == 1
    best = trials.iloc[0]
    config = load_config(out / "calibrated.yaml")
    for key in SPEC["parameters"]:
        assert result.posterior[key].iloc[0] == best[key]
        assert value_at(config, key) == pytest.approx(best[key], rel=1e-12)
    assert (out / "optuna.db").exists()
    again = calibrate(spec, out=out, executor="serial", progress=False)
    assert again.summary["simulations_this_session"] == 0
    pd.testing.assert_frame_equal(again.posterior, result.posterior)
