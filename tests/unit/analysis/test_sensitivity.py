"""Sobol indices and Morris effects from sweeps: known answers, ordering, replications, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import morris as salib_morris
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as saltelli
from SALib.test_functions import Ishigami
from scipy.stats import norm

from socialsim.analysis.sensitivity import (
    morris_from_runs,
    sobol_from_runs,
    sobol_indices,
    sobol_interactions,
    sobol_interactions_from_runs,
)
from socialsim.experiment import load_sweep, run_sweep

PI_BOUNDS = [-np.pi, np.pi]
NAMES = ["x1", "x2", "x3"]


def ishigami_truth(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic Sobol indices of the Ishigami function on [-pi, pi]^3 (Ishigami & Homma 1990)."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * 8 / 225
    total = v1 + v2 + v13
    return {
        "S1": np.array([v1, v2, 0.0]) / total,
        "ST": np.array([v1 + v13, v2, v13]) / total,
        "S13": v13 / total,
    }


def sobol_design(samples: int, second_order: bool = False) -> dict:
    bounds = dict.fromkeys(NAMES, PI_BOUNDS)
    return {"kind": "sobol", "samples": samples, "second_order": second_order, "bounds": bounds}


def ishigami_runs(samples: int, second_order: bool = False, seed: int = 0) -> pd.DataFrame:
    problem = {"num_vars": 3, "names": NAMES, "bounds": [PI_BOUNDS] * 3}
    x = saltelli.sample(problem, samples, calc_second_order=second_order, seed=seed)
    return pd.DataFrame(
        {"point": np.arange(len(x)), "replication": 0, "status": "ok", "y": Ishigami.evaluate(x)}
    )


@pytest.fixture(scope="module")
def ishigami():
    return ishigami_runs(1024)


# ---------------------------------------------------------------------------- Sobol


def test_sobol_recovers_the_ishigami_indices(ishigami):
    truth = ishigami_truth()
    table = sobol_from_runs(ishigami, sobol_design(1024), "y")
    assert table.columns.tolist() == [
        "parameter",
        *("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"),
    ]
    assert table["parameter"].tolist() == NAMES
    # at N = 1024 the estimates are off by at most ~0.02 over seeds; the bootstrap
    # half-widths are ~0.03-0.09, so 0.04 is a tight but safe tolerance
    assert table["S1"].to_numpy() == pytest.approx(truth["S1"], abs=0.04)
    assert table["ST"].to_numpy() == pytest.approx(truth["ST"], abs=0.04)
    for name in ("S1", "ST"):
        low, high = table[f"{name}_low"].to_numpy(), table[f"{name}_high"].to_numpy()
        assert (low <= truth[name]).all() and (truth[name] <= high).all(), name
        assert (high - low < 0.2).all()  # the intervals are informative, not vacuous
    assert table.attrs == {"outcome": "y", "conf_level": 0.95, "points": 1024 * 5}


def test_interval_is_index_plus_minus_the_half_width_at_the_confidence_level(ishigami):
    wide = sobol_from_runs(ishigami, sobol_design(1024), "y", conf_level=0.95, seed=3)
    narrow = sobol_from_runs(ishigami, sobol_design(1024), "y", conf_level=0.5, seed=3)
    assert narrow["S1"].tolist() == wide["S1"].tolist()
    # same seed, same bootstrap: the half-widths scale with the normal quantile
    ratio = norm.ppf(0.75) / norm.ppf(0.975)
    for name in ("S1", "ST"):
        half_wide = wide[f"{name}_high"] - wide[name]
        assert (wide[name] - wide[f"{name}_low"]).to_numpy() == pytest.approx(half_wide)
        half_narrow = narrow[f"{name}_high"] - narrow[name]
        assert half_narrow.to_numpy() == pytest.approx(ratio * half_wide.to_numpy())


def test_the_bootstrap_is_reproducible_by_its_seed(ishigami):
    runs = ishigami.iloc[: 64 * 5]
    # seed 0 (the default) too: SALib itself leaves a falsy seed unseeded
    first = sobol_from_runs(runs, sobol_design(64), "y", num_resamples=50)
    again = sobol_from_runs(runs, sobol_design(64), "y", num_resamples=50, seed=0)
    other = sobol_from_runs(runs, sobol_design(64), "y", num_resamples=50, seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert first["S1"].tolist() == other["S1"].tolist()
    assert first["S1_low"].tolist() != other["S1_low"].tolist()


def test_rows_are_sorted_by_point_first():
    runs = ishigami_runs(128)
    design = sobol_design(128)
    shuffled = runs.sample(frac=1.0, random_state=np.random.default_rng(5))
    assert not shuffled["point"].is_monotonic_increasing
    expected = sobol_from_runs(runs, design, "y")
    pd.testing.assert_frame_equal(sobol_from_runs(shuffled, design, "y"), expected)
    # and the order does matter: outputs read in the wrong order give other indices
    wrong = shuffled.assign(point=np.arange(len(shuffled)))
    assert not np.allclose(sobol_from_runs(wrong, design, "y")["S1"], expected["S1"])


def test_replications_are_averaged_and_failed_runs_left_out():
    runs = ishigami_runs(128)
    design = sobol_design(128)
    noise = np.random.default_rng(1).normal(0.0, 2.0, len(runs))
    replicated = pd.concat(
        [
            runs.assign(y=runs["y"] + noise, replication=0),
            runs.assign(y=runs["y"] - noise, replication=1),
            # a failed run's outcome is garbage; it must not enter the mean
            runs.iloc[::7].assign(y=1e9, replication=2, status="failed"),
        ]
    ).sort_values(["point", "replication"])
    single = sobol_from_runs(runs, design, "y")
    averaged = sobol_from_runs(replicated, design, "y")
    columns = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    np.testing.assert_allclose(averaged[columns], single[columns], rtol=1e-9, atol=1e-12)
    # the noise is large: one replication alone gives visibly different indices
    alone = sobol_from_runs(replicated[replicated["replication"] == 0], design, "y")
    assert not np.allclose(alone["S1"], single["S1"], atol=0.01)


def test_second_order_indices_of_ishigami():
    truth = ishigami_truth()
    runs = ishigami_runs(512, second_order=True)
    pairs = sobol_interactions_from_runs(runs, sobol_design(512, second_order=True), "y")
    assert pairs[["parameter_1", "parameter_2"]].to_numpy().tolist() == [
        ["x1", "x2"],
        ["x1", "x3"],
        ["x2", "x3"],
    ]
    # only x1 and x3 interact; at N = 512 the estimates are within ~0.04 over seeds
    assert pairs["S2"].to_numpy() == pytest.approx([0.0, truth["S13"], 0.0], abs=0.06)
    assert (pairs["S2_low"] <= [0.0, truth["S13"], 0.0]).all()
    assert (pairs["S2_high"] >= [0.0, truth["S13"], 0.0]).all()
    # first-order indices come from the same design (read with its second_order flag:
    # SALib refuses 512 * 8 outputs as a first-order sample)
    first = sobol_from_runs(runs, sobol_design(512, second_order=True), "y")
    assert first["S1"].to_numpy() == pytest.approx(truth["S1"], abs=0.05)


def test_second_order_needs_a_second_order_design(ishigami):
    with pytest.raises(ValueError, match="second_order: true"):
        sobol_interactions_from_runs(ishigami, sobol_design(1024), "y")


# ---------------------------------------------------------------------------- Morris


def morris_runs(bounds: dict, trajectories: int, levels: int, f, seed: int = 0, rounded=()):
    names = list(bounds)
    problem = {"num_vars": len(names), "names": names, "bounds": list(bounds.values())}
    x = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    stored = x.copy()
    for i, name in enumerate(names):
        if name in rounded:  # as socialsim.experiment.design rounds whole-number keys
            stored[:, i] = np.round(stored[:, i])
    runs = pd.DataFrame(stored, columns=names).assign(
        point=np.arange(len(x)), replication=0, status="ok"
    )
    runs["y"] = f(stored)
    design = {"kind": "morris", "samples": trajectories, "levels": levels, "bounds": bounds}
    return runs, design, problem, x, stored


def test_morris_ranks_known_effects():
    bounds = {"linear": [0.0, 2.0], "inert": [0.0, 1.0], "square": [0.0, 1.0]}
    runs, design, *_ = morris_runs(
        bounds, 20, 4, lambda x: 3 * x[:, 0] + 0 * x[:, 1] + x[:, 2] ** 2
    )
    table = morris_from_runs(runs, design, "y").set_index("parameter")
    assert table.columns.tolist() == ["mu", "mu_star", "mu_star_low", "mu_star_high", "sigma"]
    assert table.index.tolist() == list(bounds)
    # effects are per whole range: 3 per unit over a range of 2
    assert table.loc["linear", ["mu", "mu_star", "sigma"]].tolist() == pytest.approx([6, 6, 0])
    assert table.loc["inert", ["mu", "mu_star", "sigma"]].tolist() == pytest.approx([0, 0, 0])
    # x^2 on [0, 1] with a step of 2/3: effects 2x + 2/3, between 2/3 and 4/3, varying
    assert 2 / 3 - 1e-9 <= table.loc["square", "mu_star"] <= 4 / 3 + 1e-9
    assert table.loc["square", "sigma"] > 0.1
    ranking = table["mu_star"].sort_values(ascending=False).index.tolist()
    assert ranking == ["linear", "square", "inert"]
    low, high = table.loc["square", ["mu_star_low", "mu_star_high"]]
    assert low < table.loc["square", "mu_star"] < high


def test_morris_reads_the_stored_rounded_values():
    # A whole-number key on [0.4, 1.4] rounds to 0 or 1, so some of its Morris steps
    # vanish after rounding. Between different design points the outcome still moves
    # (different seeds: noise), which only the unrounded values would blame on it.
    bounds = {"x": [0.0, 1.0], "n": [0.4, 1.4]}
    noise = np.random.default_rng(2).normal(0.0, 1.0, 12 * 3)
    runs, design, problem, raw, stored = morris_runs(
        bounds, 12, 4, lambda x: 2 * x[:, 0] + 5 * x[:, 1] + noise, rounded=("n",)
    )
    assert (stored[:, 1] != raw[:, 1]).any()
    table = morris_from_runs(runs, design, "y", seed=4)

    def salib(x):
        return salib_morris.analyze(
            problem, x, runs["y"].to_numpy(), num_levels=4, num_resamples=1000, seed=4
        )

    expected, unrounded = salib(stored), salib(raw)
    assert table["mu_star"].to_numpy() == pytest.approx(expected["mu_star"])
    assert table["sigma"].to_numpy() == pytest.approx(expected["sigma"])
    half = (table["mu_star_high"] - table["mu_star"]).to_numpy()
    assert half == pytest.approx(expected["mu_star_conf"])
    assert (table["mu_star"] - table["mu_star_low"]).to_numpy() == pytest.approx(half)
    assert not np.allclose(table["mu_star"], unrounded["mu_star"])
    # the manifest's records give the same inputs as the runs table's parameter columns
    records = [
        {"point": p, "scenario": None, "parameters": {"x": float(a), "n": int(b)}}
        for p, (a, b) in enumerate(stored)
    ]
    from_records = morris_from_runs(
        runs.drop(columns=["x", "n"]), design, "y", records=records, seed=4
    )
    pd.testing.assert_frame_equal(from_records, table)


def test_morris_sorts_by_point_and_averages_replications():
    bounds = {"a": [0.0, 1.0], "b": [0.0, 1.0]}
    runs, design, *_ = morris_runs(bounds, 10, 4, lambda x: x[:, 0] * x[:, 1] + x[:, 1])
    expected = morris_from_runs(runs, design, "y")
    twice = pd.concat([runs.assign(y=runs["y"] + 1, replication=1), runs.assign(y=runs["y"] - 1)])
    shuffled = twice.sample(frac=1.0, random_state=np.random.default_rng(0))
    got = morris_from_runs(shuffled, design, "y")
    np.testing.assert_allclose(got.drop(columns="parameter"), expected.drop(columns="parameter"))


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "design",
    [
        {"kind": "grid", "parameters": {"x1": [0, 1]}},
        {"kind": "lhs", "samples": 8, "bounds": {"x1": [0, 1]}},
        {"kind": "morris", "samples": 8, "bounds": {"x1": [0, 1]}},
    ],
)
def test_sobol_refuses_other_designs(ishigami, design):
    with pytest.raises(ValueError, match=f"this design is '{design['kind']}', not 'sobol'") as e:
        sobol_from_runs(ishigami, design, "y")
    assert "Sobol indices need a sweep of a sobol design" in str(e.value)
    assert "morris_effects" in str(e.value)


def test_morris_refuses_a_sobol_design(ishigami):
    with pytest.raises(ValueError, match="this design is 'sobol', not 'morris'"):
        morris_from_runs(ishigami, sobol_design(1024), "y")


def test_missing_points_ask_to_resume_the_sweep():
    runs = ishigami_runs(64)
    runs.loc[runs["point"] == 7, "status"] = "failed"
    incomplete = runs[~runs["point"].isin([3, 100, 200])]
    with pytest.raises(ValueError, match="Resume the sweep") as e:
        sobol_from_runs(incomplete, sobol_design(64), "y")
    message = str(e.value)
    assert "4 of 320 points have no successful run (3 not run yet, 1 failed)" in message
    assert "points 3, 7, 100, 200" in message


def test_a_sweep_with_no_runs_yet_is_incomplete_not_missing_its_outcome():
    empty = pd.DataFrame(columns=["run_id", "point", "replication", "seed", "status"])
    with pytest.raises(ValueError, match=r"320 of 320 points .* \(320 not run yet, 0 failed\)"):
        sobol_from_runs(empty, sobol_design(64), "gmv")


def test_unknown_and_non_numeric_outcomes_list_the_valid_ones(ishigami):
    with pytest.raises(ValueError, match=r"no column 'gmvv'.*outcomes are its numeric columns: y"):
        sobol_from_runs(ishigami, sobol_design(1024), "gmvv")
    with pytest.raises(ValueError, match="'status' of the runs table is not numeric"):
        sobol_from_runs(ishigami, sobol_design(1024), "status")
    with pytest.raises(ValueError, match="'seed' of the runs table identifies a run"):
        sobol_from_runs(ishigami.assign(seed=1), sobol_design(1024), "seed")


def test_a_constant_outcome_is_refused(ishigami):
    with pytest.raises(ValueError, match=r"'flat' is constant .* Sobol indices are undefined"):
        sobol_from_runs(ishigami.assign(flat=2.5), sobol_design(1024), "flat")


def test_an_undefined_outcome_is_refused():
    runs = ishigami_runs(64)
    runs.loc[runs["point"] == 5, "y"] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite at 1 of 320 points \\(5\\)"):
        sobol_from_runs(runs, sobol_design(64), "y")


def test_a_point_count_that_does_not_match_the_design_is_refused():
    second = ishigami_runs(64, second_order=True)  # 64 * 8 points
    with pytest.raises(ValueError, match=r"has samples × \(k \+ 2\) = 64 × 5 = 320 points") as e:
        sobol_from_runs(second, sobol_design(64), "y")
    assert "do not come from this design" in str(e.value)
    records = [{"point": p, "parameters": {}} for p in range(100)]
    with pytest.raises(ValueError, match="expanded design has 100 points"):
        sobol_from_runs(ishigami_runs(64), sobol_design(64), "y", records=records)


def test_bad_bootstrap_settings_are_refused(ishigami):
    with pytest.raises(ValueError, match="conf_level must be between 0 and 1"):
        sobol_from_runs(ishigami, sobol_design(1024), "y", conf_level=95)
    with pytest.raises(ValueError, match="num_resamples must be a whole number >= 2"):
        sobol_from_runs(ishigami, sobol_design(1024), "y", num_resamples=1)


# ---------------------------------------------------------------------------- end to end


def test_sobol_indices_of_a_real_sweep(tmp_path: Path):
    discount = "platforms.pinduoduo.group_buying.discount"
    size = "platforms.pinduoduo.group_buying.size"  # a whole-number key, rounded
    spec = {
        "name": "sens",
        "seed": 5,
        "steps": 3,
        "base": {
            "population.n_consumers": 300,
            "influencers.n_kols": 2,
            "influencers.n_kocs": 8,
            "stores.n_owners": 4,
            "daigou.n_shoppers": 0,
        },
        "design": {"kind": "sobol", "samples": 4, "bounds": {discount: [0.05, 0.4], size: [2, 5]}},
    }
    out = tmp_path / "sweep"
    summary = run_sweep(spec, out=out, executor="serial", progress=False)
    assert summary.done == 16
    table = sobol_indices(out, "gmv", num_resamples=100)
    assert table.shape == (2, 7)
    assert table["parameter"].tolist() == [discount, size]
    assert np.isfinite(table.drop(columns="parameter").to_numpy()).all()
    assert table.attrs["points"] == 16
    data = load_sweep(out)
    pd.testing.assert_frame_equal(sobol_indices(data, "gmv", num_resamples=100), table)
    with pytest.raises(ValueError, match="second_order: true"):
        sobol_interactions(out, "gmv")
    # a run lost from the store (an interrupted sweep) is found and named
    lost = data.runs.loc[data.runs["point"] == 9, "run_id"].item()
    (out / "runs" / f"{lost}.parquet").unlink()
    with pytest.raises(
        ValueError, match=r"1 of 16 points .* \(1 not run yet, 0 failed\): points 9"
    ):
        sobol_indices(out, "gmv")
