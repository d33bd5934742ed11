"""Arms against a baseline: paired differences by hand, Welch when unpaired, warnings, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats

from socialsim.analysis.compare import (
    COLUMNS,
    PAIRED,
    UNPAIRED,
    compare_arms,
    plot_comparison,
)
from socialsim.errors import ConfigError
from socialsim.experiment import load_sweep, run_sweep
from tests.conftest import TINY_WORLD

DISCOUNT = "platforms.pinduoduo.group_buying.discount"
SIZE = "platforms.pinduoduo.group_buying.size"
# With no campaign budget the campaign's fees buy nothing: the arm runs as the baseline does.
INERT = {"campaign.fee_per_follower.head": 0.2}
ARMS = {"baseline": {}, "deep": {DISCOUNT: 0.45}, "inert": INERT}
OUTCOMES = ["gmv", "orders", "orders_group", "penetration"]


def sweep(tmp_path_factory, name: str, design: dict, **spec) -> str:
    out = tmp_path_factory.mktemp(name) / "sweep"
    document = {
        "name": name,
        "seed": 7,
        "steps": 8,
        "replications": 3,
        "base": {**TINY_WORLD, DISCOUNT: 0.05},
        "design": design,
        **spec,
    }
    run_sweep(document, out=out, executor="serial", progress=False)
    return out


@pytest.fixture(scope="module")
def paired(tmp_path_factory):
    return sweep(tmp_path_factory, "paired", {"kind": "scenarios", "scenarios": ARMS})


@pytest.fixture(scope="module")
def unpaired(tmp_path_factory):
    design = {"kind": "scenarios", "scenarios": ARMS, "common_random_numbers": False}
    return sweep(tmp_path_factory, "unpaired", design)


def row(comparison, arm: str, outcome: str) -> dict:
    table = comparison.table
    found = table[(table["arm"] == arm) & (table["outcome"] == outcome)]
    assert len(found) == 1, (arm, outcome)
    return found.iloc[0].to_dict()


def by_replication(runs: pd.DataFrame, scenario: str, outcome: str) -> pd.Series:
    mine = runs[(runs["scenario"] == scenario) & (runs["status"] == "ok")]
    return mine.set_index("replication")[outcome].astype(float).sort_index()


# --------------------------------------------------------------------------- paired


def test_paired_differences_are_the_mean_of_per_replication_differences(paired):
    comparison = compare_arms(paired, outcomes=OUTCOMES)
    assert comparison.pairing == PAIRED and comparison.baseline == "baseline"
    assert list(comparison.table.columns) == list(COLUMNS)
    runs = load_sweep(paired).runs
    # common random numbers: replication r of every arm ran on one seed
    assert (runs.groupby("replication")["seed"].nunique() == 1).all()
    for outcome in OUTCOMES:
        base = by_replication(runs, "baseline", outcome)
        deep = by_replication(runs, "deep", outcome)
        diffs = deep - base
        r = row(comparison, "deep", outcome)
        half = stats.t.ppf(0.975, 2) * diffs.std(ddof=1) / math.sqrt(3)
        assert r["paired"] and r["n"] == 3 and r["baseline"] == "baseline"
        assert r["difference"] == pytest.approx(diffs.mean(), rel=1e-12)
        assert r["mean_baseline"] == pytest.approx(base.mean(), rel=1e-12)
        assert r["mean_arm"] == pytest.approx(deep.mean(), rel=1e-12)
        assert r["ci_low"] == pytest.approx(diffs.mean() - half, rel=1e-9)
        assert r["ci_high"] == pytest.approx(diffs.mean() + half, rel=1e-9)
        assert r["relative_change"] == pytest.approx(diffs.mean() / base.mean(), rel=1e-12)
        assert r["warning"] == ""


def test_a_real_effect_excludes_zero_and_an_inert_lever_changes_nothing_when_paired(paired):
    comparison = compare_arms(paired, outcomes=OUTCOMES)
    deep = row(comparison, "deep", "orders_group")
    assert deep["ci_low"] > 0  # a discount of 0.45 against 0.05 sells more group orders
    for outcome in OUTCOMES:
        inert = row(comparison, "inert", outcome)
        # the same worlds and draws, and a lever that acts on nothing: no difference at all
        assert inert["difference"] == 0 and inert["ci_low"] == 0 and inert["ci_high"] == 0


def test_unpaired_arms_use_welch_and_say_so(unpaired):
    comparison = compare_arms(unpaired, outcomes=OUTCOMES)
    assert comparison.pairing == UNPAIRED
    assert not comparison.table["paired"].any()
    runs = load_sweep(unpaired).runs
    assert runs.groupby("replication")["seed"].nunique().eq(3).all()  # no seed shared
    for outcome in OUTCOMES:
        base = by_replication(runs, "baseline", outcome)
        deep = by_replication(runs, "deep", outcome)
        r = row(comparison, "deep", outcome)
        welch = stats.ttest_ind(deep, base, equal_var=False).confidence_interval(0.95)
        assert (r["n"], r["n_baseline"], r["n_arm"]) == (3, 3, 3)
        assert r["difference"] == pytest.approx(deep.mean() - base.mean(), rel=1e-12)
        assert r["ci_low"] == pytest.approx(welch.low, rel=1e-9)
        assert r["ci_high"] == pytest.approx(welch.high, rel=1e-9)
        # not a pooled-variance interval: that one differs when the spreads differ
        pooled = stats.ttest_ind(deep, base, equal_var=True).confidence_interval(0.95)
        if not math.isclose(deep.std(), base.std(), rel_tol=0.05):
            assert r["ci_low"] != pytest.approx(pooled.low, rel=1e-6)
    assert row(comparison, "deep", "orders_group")["ci_low"] > 0
    # independent seeds: the inert arm differs by noise only, and its intervals say so
    for outcome in ("gmv", "orders", "penetration"):
        inert = row(comparison, "inert", outcome)
        assert inert["difference"] != 0 and inert["ci_low"] < 0 < inert["ci_high"]
    text = str(comparison)
    assert "unpaired (independent seeds)" in text and "Welch intervals" in text


def test_pairing_uses_only_replications_ok_in_both_arms_and_warns_under_three(paired):
    data = load_sweep(paired)
    runs = data.runs.copy()
    lost = (runs["scenario"] == "deep") & (runs["replication"] == 1)
    runs.loc[lost, "status"] = "failed"
    data.runs = runs  # as if that run had failed
    comparison = compare_arms(data, outcomes=["gmv"])
    r = row(comparison, "deep", "gmv")
    deep = by_replication(runs, "deep", "gmv")
    assert list(deep.index) == [0, 2]
    base = by_replication(runs, "baseline", "gmv").loc[deep.index]
    assert r["n"] == 2 and r["mean_baseline"] == pytest.approx(base.mean(), rel=1e-12)
    assert r["difference"] == pytest.approx((deep - base).mean(), rel=1e-12)
    half = stats.t.ppf(0.975, 1) * (deep - base).std(ddof=1) / math.sqrt(2)
    assert r["ci_high"] - r["difference"] == pytest.approx(half, rel=1e-9)
    assert "only 2 replications (fewer than 3)" in r["warning"]
    assert row(comparison, "inert", "gmv")["warning"] == ""  # its pairs are all there
    assert comparison.warnings() == [f"deep: {r['warning']}"]
    assert f"warning: deep: {r['warning']}" in str(comparison)

    runs.loc[(runs["scenario"] == "deep") & (runs["replication"] == 2), "status"] = "failed"
    one = row(compare_arms(data, outcomes=["gmv"]), "deep", "gmv")
    assert one["n"] == 1 and np.isnan(one["ci_low"]) and "no interval" in one["warning"]


# --------------------------------------------------------------------------- choices and errors


def test_the_baseline_is_a_scenario_or_a_point_and_an_unknown_one_lists_the_arms(paired):
    by_name = compare_arms(paired, "deep", ["gmv"])
    assert by_name.baseline == "deep" and list(by_name.table["arm"]) == ["baseline", "inert"]
    by_point = compare_arms(paired, 1, ["gmv"])
    pd.testing.assert_frame_equal(by_point.table, by_name.table)
    assert list(compare_arms(paired, "point 2", ["gmv"]).table["arm"]) == ["baseline", "deep"]
    with pytest.raises(ConfigError) as excinfo:
        compare_arms(paired, "shallow")
    message = str(excinfo.value)
    assert message.startswith("baseline: is not an arm of this sweep")
    assert "0 (baseline), 1 (deep), 2 (inert)" in message and "got 'shallow'" in message
    with pytest.raises(ConfigError, match="baseline: is not an arm"):
        compare_arms(paired, 3)


def test_outcomes_are_checked_by_index_and_default_to_the_key_ones_and_market_shares(paired):
    with pytest.raises(ConfigError) as excinfo:
        compare_arms(paired, outcomes=["gmv", "orders_grop", "scenario", "nope"])
    found = [str(p) for p in excinfo.value.problems]
    assert found[0] == (
        "outcomes.1: is not an outcome of the runs table; did you mean 'orders_group'?, "
        "got 'orders_grop'"
    )
    assert found[1].startswith("outcomes.2: ") and found[2].startswith("outcomes.3: ")
    assert len(found) == 3
    default = compare_arms(paired).outcomes
    assert default[:4] == ["gmv", "orders", "penetration", "average_order_value"]
    shares = default[4:]
    assert shares and all(o.startswith("gmv_share_") for o in shares)
    assert "gmv_share_pinduoduo" in shares


def test_the_spec_s_outcomes_are_the_default(tmp_path_factory):
    out = sweep(
        tmp_path_factory,
        "about",
        {"kind": "scenarios", "scenarios": {"baseline": {}, "deep": {DISCOUNT: 0.45}}},
        steps=4,
        replications=2,
        outcomes=["orders_group", "gmv_share_pinduoduo"],
    )
    comparison = compare_arms(out)
    assert comparison.outcomes == ["orders_group", "gmv_share_pinduoduo"]
    assert compare_arms(out, outcomes=["gmv"]).outcomes == ["gmv"]  # asked for wins
    assert all("only 2 replications" in w for w in comparison.table["warning"])


def test_arms_crossed_with_a_grid_meet_the_baseline_at_the_same_grid_point(tmp_path_factory):
    out = sweep(
        tmp_path_factory,
        "crossed",
        {
            "kind": "scenarios",
            "scenarios": {"base": {}, "deep": {DISCOUNT: 0.45}},
            "parameters": {SIZE: [2, 3]},
        },
        steps=4,
        replications=2,
    )
    comparison = compare_arms(out, outcomes=["gmv"])
    table = comparison.table
    # points: base size 2, base size 3, deep size 2, deep size 3
    assert list(zip(table["point"], table["baseline_point"], strict=True)) == [(2, 0), (3, 1)]
    assert list(table["arm"]) == [f"deep, {SIZE}=2", f"deep, {SIZE}=3"]
    assert comparison.baseline == "base" and table["paired"].all()
    # a point number is the one baseline of every other point
    assert list(compare_arms(out, 0, ["gmv"]).table["baseline_point"]) == [0, 0, 0]


def test_a_grid_without_common_random_numbers_is_unpaired_with_numbered_arms(tmp_path_factory):
    out = sweep(
        tmp_path_factory,
        "grid",
        {"kind": "grid", "parameters": {DISCOUNT: [0.05, 0.45]}},
        steps=4,
        replications=2,
    )
    comparison = compare_arms(out, outcomes=["orders"])
    assert comparison.pairing == UNPAIRED
    assert comparison.baseline == f"point 0: {DISCOUNT}=0.05"
    assert list(comparison.table["arm"]) == [f"point 1: {DISCOUNT}=0.45"]


def test_a_single_point_has_nothing_to_compare(tmp_path_factory):
    out = sweep(
        tmp_path_factory,
        "single",
        {"kind": "grid", "parameters": {DISCOUNT: [0.3]}},
        steps=3,
        replications=1,
    )
    with pytest.raises(ConfigError, match="single design point"):
        compare_arms(out)


# --------------------------------------------------------------------------- outputs


def test_write_gives_the_table_as_parquet_and_csv_and_a_forest_plot(paired, tmp_path):
    comparison = compare_arms(paired, outcomes=OUTCOMES)
    paths = comparison.write(tmp_path / "out")
    assert [p.name for p in paths] == ["compare.parquet", "compare.csv", "compare.png"]
    pd.testing.assert_frame_equal(pd.read_parquet(paths[0]), comparison.table)
    csv = pd.read_csv(paths[1], keep_default_na=False)
    assert list(csv.columns) == list(COLUMNS) and len(csv) == 2 * len(OUTCOMES)
    assert csv["difference"].astype(float).tolist() == pytest.approx(
        comparison.table["difference"].tolist(), rel=1e-12
    )
    with Image.open(paths[2]) as image:
        assert image.format == "PNG" and image.width > 500


def test_the_forest_plot_marks_zero_and_writes_each_relative_change():
    table = pd.DataFrame(
        {
            "outcome": ["gmv"] * 3,
            "arm": ["a", "b", "c"],
            "difference": [5.0, -1.0, 2.0],
            "ci_low": [2.0, -4.0, np.nan],
            "ci_high": [8.0, 2.0, np.nan],
            "relative_change": [0.5, -0.1, np.nan],
        }
    )
    ax = plot_comparison(table, baseline="base")
    assert [t.get_text() for t in ax.texts] == ["+50.0%", "-10.0%", "n/a"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    zero = [line for line in ax.lines if list(line.get_xdata()) == [0.0, 0.0]]
    assert len(zero) == 1  # the line at no difference
    intervals = [line for line in ax.lines if len(line.get_xdata()) == 2 and line not in zero]
    assert [list(line.get_xdata()) for line in intervals] == [[2.0, 8.0], [-4.0, 2.0]]
    # an interval that excludes zero is drawn in colour, one that straddles it in grey
    assert intervals[0].get_color() != intervals[1].get_color()
    assert ax.get_xlabel() == "difference to base (95% CI)"


def test_an_outcome_undefined_in_every_run_has_nothing_to_pair_and_says_for_which(paired):
    # no campaign spent anything: its return on spend is 0 / 0, missing in every run
    comparison = compare_arms(paired, outcomes=["gmv", "campaign_roi"])
    roi = comparison.table[comparison.table["outcome"] == "campaign_roi"]
    assert (roi["n"] == 0).all() and roi["difference"].isna().all()
    assert comparison.warnings() == [
        "deep (campaign_roi), inert (campaign_roi): nothing to pair: no replication has a "
        "value in both arms (the outcome is undefined, or the runs failed)"
    ]
    assert "n/a" in str(comparison).splitlines()[-2]  # the last roi row: no numbers
