"""The experiments in experiments/: every spec and variant is valid; the quick variants run."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialsim.cli import main
from socialsim.experiment import load_sweep
from socialsim.experiment.plan import plan_sweep
from socialsim.experiment.spec import load_spec

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
SPECS = sorted(EXPERIMENTS.glob("*.yaml"))
REQUIRED = {"group_buying", "kol_budget", "feeds", "membership", "micro_stores", "sensitivity"}

# Outcomes each experiment is about: in its quick variant they must be measured (not missing).
OUTCOMES = {
    "group_buying": ["gmv", "group_success_rate", "penetration_t1", "penetration_t6"],
    "kol_budget": ["gmv", "campaign_gmv", "campaign_posts"],
    "feeds": ["gmv", "feed_reach_t1", "feed_reach_t6"],
    "membership": ["members", "member_gmv", "members_t1"],
    "micro_stores": ["store_income", "store_owners", "pyramid_flagged", "deepest_tree"],
    "sensitivity": ["gmv", "penetration_lower_tiers"],
}


def test_the_issue_s_experiments_are_all_shipped():
    assert {p.stem for p in SPECS} >= REQUIRED


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
@pytest.mark.parametrize("variant", [None, "quick"])
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
    if path.stem == "kol_budget":
        spent = runs[runs["scenario"] != "no_campaign"]
        assert (spent["campaign_posts"] > 0).all() and spent["campaign_roi"].notna().all()
