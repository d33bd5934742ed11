"""Parameter recovery (pytest -m slow): ABC-SMC finds values the model itself was run at.

Synthetic targets are made by the model at known values (the truth) from
seeds the calibration never uses; the calibration starts from wide uniform
priors. Tolerance, stated: each posterior mean within 15 % of its prior's
width of the truth, and the truth inside the posterior's 90 % interval
widened by 5 % of the prior's width.
"""

from __future__ import annotations

import numpy as np
import pytest

from socialsim.calibration import calibrate, calibration_spec_from_dict
from socialsim.config import ModelConfig
from socialsim.experiment.runner import run_tables

pytestmark = pytest.mark.slow

TRUTH = {"behaviour.budget_share": 0.07, "platforms.pinduoduo.group_buying.discount": 0.3}
PRIORS = {
    "behaviour.budget_share": (0.03, 0.15),
    "platforms.pinduoduo.group_buying.discount": (0.05, 0.45),
}
WORLD = {"population.n_consumers": 3000}
STEPS = 30


def synthetic_targets() -> dict[str, float]:
    config = ModelConfig().with_overrides({**WORLD, "run.steps": STEPS, **TRUTH})
    runs = [run_tables(config, seed=10_000 + s, outputs=("platforms",))[1] for s in range(4)]
    return {k: float(np.mean([r[k] for r in runs])) for k in ("gmv", "gmv_share_pinduoduo")}


def test_abc_smc_recovers_both_parameters_from_the_model_s_own_targets(tmp_path):
    targets = synthetic_targets()
    spec = calibration_spec_from_dict(
        {
            "name": "recover",
            "base": WORLD,
            "steps": STEPS,
            "replications": 1,
            "seed": 99,
            "parameters": {k: list(v) for k, v in PRIORS.items()},
            "targets": [
                {
                    "outcome": "gmv",
                    "value": targets["gmv"],
                    "scale": 0.05 * targets["gmv"],
                    "source": "the model at the truth",
                },
                {
                    "outcome": "gmv_share_pinduoduo",
                    "value": targets["gmv_share_pinduoduo"],
                    "scale": 0.03,
                    "source": "the model at the truth",
                },
            ],
            "method": {"kind": "abc-smc", "population": 30, "generations": 4},
        }
    )
    result = calibrate(spec, out=tmp_path, executor="process", workers=2, progress=False)
    for key, truth in TRUTH.items():
        low, high = PRIORS[key]
        width = high - low
        found = result.summary["parameters"][key]
        assert abs(found["mean"] - truth) <= 0.15 * width, (key, found)
        assert found["q05"] - 0.05 * width <= truth <= found["q95"] + 0.05 * width, (key, found)
        # and the posterior is much narrower than the prior
        assert found["q95"] - found["q05"] < 0.6 * width, (key, found)
