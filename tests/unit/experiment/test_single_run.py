"""Running one config and writing its outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from socialsim import ModelConfig
from socialsim.config import load_config
from socialsim.experiment import run_simulation, write_run
from socialsim.experiment.single_run import OUTPUT_FILES, atomic_write
from socialsim.metrics import TIER_COLUMNS


def test_run_and_write_outputs(tmp_path):
    result = run_simulation(ModelConfig.small(), seed=5, steps=6)
    out = write_run(result, tmp_path / "run")
    steps = pd.read_parquet(out / "steps.parquet")
    pd.testing.assert_frame_equal(steps, result.steps)
    tiers = pd.read_parquet(out / "tiers.parquet")
    pd.testing.assert_frame_equal(tiers, result.tiers)
    assert list(tiers.columns) == list(TIER_COLUMNS) and len(tiers) == 6 * 6
    np.testing.assert_array_equal(tiers.groupby("step")["orders"].sum(), steps["orders"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["steps"] == 6
    assert summary["config_hash"] == ModelConfig.small().config_hash()
    assert {"started_at", "finished_at", "wall_seconds", "socialsim_version"} <= set(summary)
    config = load_config(out / "config.yaml")
    assert config.run.seed == 5 and config.run.steps == 6
    assert yaml.safe_load((out / "config.yaml").read_text())["population"]["n_consumers"] == 2000


def test_resolved_config_reproduces_the_run(tmp_path):
    first = run_simulation(ModelConfig.small(), steps=4)  # fresh entropy
    write_run(first, tmp_path)
    again = run_simulation(load_config(tmp_path / "config.yaml"))
    pd.testing.assert_frame_equal(first.steps, again.steps, check_exact=True)


def test_existing_outputs_are_not_overwritten_by_accident(tmp_path):
    result = run_simulation(ModelConfig.small(), seed=1, steps=2)
    write_run(result, tmp_path)
    before = (tmp_path / "summary.json").read_text()
    with pytest.raises(FileExistsError, match="already holds the outputs"):
        write_run(result, tmp_path)
    assert (tmp_path / "summary.json").read_text() == before
    write_run(result, tmp_path, overwrite=True)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "table.parquet"
    target.write_text("old")

    def fail(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_tiers_table_matches_the_model_and_counts_as_an_output(tmp_path):
    from socialsim import SocialCommerceModel

    result = run_simulation(ModelConfig.small(), seed=8, steps=3)
    model = SocialCommerceModel(ModelConfig.small(), rng=8)
    model.run(3)
    pd.testing.assert_frame_equal(result.tiers, model.tier_metrics(), check_exact=True)
    assert "tiers.parquet" in OUTPUT_FILES
    (tmp_path / "tiers.parquet").write_text("an earlier run's table")
    with pytest.raises(FileExistsError, match=r"tiers\.parquet"):
        write_run(result, tmp_path)
