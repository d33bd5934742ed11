"""Calibration records: reading one, and drawing worlds from its posterior."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from socialsim.calibration.record import default_record, load_record, posterior_draws


@pytest.fixture
def record(tmp_path):
    posterior = pd.DataFrame(
        {
            "generation": [0, 0, 1, 1, 1, 1],
            "particle": [0, 1, 0, 1, 2, 3],
            "weight": [0.5, 0.5, 0.0, 0.7, 0.3, 0.0],
            "distance": [2.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            "a.b": [9.0, 9.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    posterior.to_parquet(tmp_path / "posterior.parquet")
    summary = {"name": "x", "stopped": "2 generations", "parameters": {"a.b": {"mean": 2.3}}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    return load_record(tmp_path)


def test_a_record_keeps_the_last_generation_only(record):
    assert record.posterior["a.b"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert record.parameters == ["a.b"] and record.mean() == {"a.b": 2.3}


def test_draws_follow_the_weights_and_the_seed(record):
    draws = posterior_draws(record, 1000, seed=3)
    values = np.array([d["a.b"] for d in draws])
    assert set(values) == {2.0, 3.0}, "particles of weight 0 are never drawn"
    # systematic resampling: each particle's count is within one of n * weight
    assert abs((values == 2.0).sum() - 700) <= 1
    assert posterior_draws(record, 10, seed=3) == posterior_draws(record, 10, seed=3)
    several = {tuple(d["a.b"] for d in posterior_draws(record, 3, seed=s)) for s in range(20)}
    assert len(several) > 1, "the seed moves the draws"


def test_the_default_record_ships_with_the_package():
    shipped = default_record()
    assert set(shipped.parameters) >= {"behaviour.budget_share"}
    assert shipped.record["command"].startswith("socialsim calibrate")
    assert np.isclose(shipped.posterior["weight"].sum(), 1.0)


def test_the_shipped_record_s_hash_is_its_spec_s_hash_today():
    from socialsim.calibration.spec import check_against_world, load_calibration_spec

    shipped = default_record()
    spec = load_calibration_spec(shipped.directory / shipped.record["spec"])
    assert spec.spec_hash(check_against_world(spec)) == shipped.record["spec_hash"]
