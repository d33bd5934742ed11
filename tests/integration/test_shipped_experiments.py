"""The experiments in experiments/: every spec and variant is valid; the quick variants run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socialsim.calibration.spec import check_against_world, load_calibration_spec
from socialsim.cli import main
from socialsim.experiment import load_sweep
from socialsim.experiment.plan import plan_sweep
from socialsim.experiment.spec import load_spec
from socialsim.strategy.spec import check_search_world, load_search_spec

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
SPECS = sorted(
    p for p in EXPERIMENTS.glob("*.yaml") if not p.stem.startswith(("calibrate_", "optimize_"))
)
CALIBRATIONS = sorted(EXPERIMENTS.glob("calibrate_*.yaml"))
SEARCHES = sorted(EXPERIMENTS.glob("optimize_*.yaml"))
REQUIRED = {
    "group_buying",
    "kol_budget",
    "feeds",
    "membership",
    "micro_stores",
    "sensitivity",
    "brand_positioning",
    "singles_day",
    "exports",
}

# Outcomes each experiment is about: in its quick variant they must be measured (not missing).
OUTCOMES = {
    "group_buying": ["gmv", "group_success_rate", "penetration_t1", "penetration_t6"],
    "kol_budget": ["gmv", "campaign_gmv", "campaign_posts"],
    "feeds": ["gmv", "feed_reach_t1", "feed_reach_t6"],
    "membership": ["members", "member_gmv", "members_t1"],
    "micro_stores": ["store_income", "store_owners", "pyramid_flagged", "deepest_tree"],
    "sensitivity": ["gmv", "penetration_lower_tiers"],
    "brand_positioning": ["named_brand_orders", "named_brand_platforms", "authenticity_kaola"],
    "singles_day": ["peak_gmv", "peak_gmv_ratio", "gmv_after_peak", "returns_after_peak"],
    "exports": ["export_orders", "export_gmv", "export_ties_share", "export_gmv_premium"],
}


def test_the_issue_s_experiments_are_all_shipped():
    assert {p.stem for p in SPECS} >= REQUIRED
    assert "calibrate_default" in {p.stem for p in CALIBRATIONS}
    assert "optimize_group_buying" in {p.stem for p in SEARCHES}


@pytest.mark.parametrize("path", CALIBRATIONS, ids=lambda p: p.stem)
@pytest.mark.parametrize("variant", [None, "quick"])
def test_every_calibration_spec_and_its_quick_variant_is_valid(path: Path, variant):
    spec = load_calibration_spec(path, variant=variant)
    assert len(spec.description) > 200, "each calibration says what is fitted, to what, and why"
    check_against_world(spec, str(path))
    assert all(len(t.source) > 20 for t in [*spec.targets, *spec.held_out]), "cite sources"


@pytest.mark.parametrize("path", SEARCHES, ids=lambda p: p.stem)
@pytest.mark.parametrize("variant", [None, "quick"])
def test_every_search_spec_and_its_quick_variant_is_valid(path: Path, variant):
    spec = load_search_spec(path, variant=variant)
    assert len(spec.description) > 200, "each search says what it looks for, and why"
    check_search_world(spec, str(path))
    assert spec.method.trials >= (8 if variant else 32)


@pytest.mark.parametrize(
    "path",
    [
        p if p.stem == "calibrate_default" else pytest.param(p, marks=pytest.mark.slow)
        for p in CALIBRATIONS
    ],
    ids=lambda p: p.stem,
)
def test_each_calibration_s_quick_variant_runs_from_the_cli(tmp_path: Path, path: Path):
    out = tmp_path / path.stem
    args = ["calibrate", str(path), "--variant", "quick", "--out", str(out), "--no-progress"]
    assert main([*args, "--executor", "process", "--workers", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generations"] and summary["targets"]
    assert all(t["mean"] is not None for t in summary["targets"])
    assert (out / "report.html").stat().st_size > 10_000


# planning the full Sobol sensitivity spec (2,560 runs) takes 10-14 s: with the slow tests
VALID = [
    pytest.param(p, v, marks=pytest.mark.slow) if (p.stem, v) == ("sensitivity", None) else (p, v)
    for v in (None, "quick")
    for p in SPECS
]


@pytest.mark.parametrize(("path", "variant"), VALID, ids=lambda x: getattr(x, "stem", str(x)))
def test_every_spec_and_its_quick_variant_is_valid(path: Path, variant):
    spec = load_spec(path, variant=variant)
    assert len(spec.description) > 200, "each experiment says what question it answers"
    plan = plan_sweep(spec, str(path))
    if variant == "quick":
        assert len(plan.runs) <= 200
        assert spec.replications >= 1
    else:
        assert spec.replications >= 5 or spec.design.kind == "sobol"


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_each_quick_variant_runs_from_the_cli(tmp_path: Path, path: Path):
    out = tmp_path / path.stem
    args = ["sweep", str(path), "--variant", "quick", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    data = load_sweep(out)
    runs = data.runs
    assert runs["status"].eq("ok").all()
    assert len(runs) == len(data.manifest["runs"])
    assert len(data.steps) == len(runs) * data.manifest["steps"]
    for outcome in OUTCOMES[path.stem]:
        assert runs[outcome].notna().all(), outcome
    if path.stem == "brand_positioning":  # the premium brand keeps off Pinduoduo's group price
        by_arm = runs.groupby("scenario")["named_brand_platforms"].max()
        assert by_arm["pinduoduo"] == 0 and by_arm["pinduoduo_discounted"] == 1
        assert by_arm["kaola_direct"] == by_arm["kaola_marketplace"] == 1
    if path.stem == "singles_day":  # 2021-10-01 + 41 days: 11-11 is the peak in every arm
        assert (runs["peak_step"] == 42).all()
        presale = runs["calendar.festivals.singles_day.presale_days"] > 0
        assert runs.loc[presale, "peak_gmv"].mean() > runs.loc[~presale, "peak_gmv"].mean()
    if path.stem == "exports":  # exports touch no domestic table: the same GMV in every arm
        assert runs.groupby("replication")["gmv"].nunique().eq(1).all()
        discount = runs.set_index("scenario")["export_gmv_discount"]
        assert (discount.drop("all_domestic") == 0).all() and (discount["all_domestic"] > 0).all()
    if path.stem == "kol_budget":
        spent = runs[runs["scenario"] != "no_campaign"]
        assert (spent["campaign_posts"] > 0).all() and spent["campaign_roi"].notna().all()
