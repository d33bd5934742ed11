"""Per-platform outcomes of the runs table, checked against the run's own tables."""

import math

import pytest

from socialsim.config import ModelConfig
from socialsim.experiment.outcomes import outcome_columns, platform_outcome_names
from socialsim.experiment.runner import run_tables


@pytest.fixture(scope="module")
def run():
    config = ModelConfig.small().with_overrides({"run.steps": 12})
    tables, outcomes, _ = run_tables(config, seed=3, outputs=("platforms",))
    return config, tables["platforms"], outcomes


def test_every_platform_has_its_five_outcomes_in_the_schema_and_the_row(run):
    config, _, outcomes = run
    columns = outcome_columns(6, platforms=list(config.platforms))
    for name in config.platforms:
        for outcome in platform_outcome_names(name):
            assert outcome in columns
            assert outcome in outcomes


def test_platform_flows_add_up_to_the_market_and_shares_to_one(run):
    config, _, outcomes = run
    names = list(config.platforms)
    assert math.isclose(sum(outcomes[f"gmv_{p}"] for p in names), outcomes["gmv"], rel_tol=1e-9)
    assert sum(outcomes[f"orders_{p}"] for p in names) == outcomes["orders"]
    assert math.isclose(sum(outcomes[f"gmv_share_{p}"] for p in names), 1.0, rel_tol=1e-12)
    top = max(names, key=lambda p: outcomes[f"gmv_{p}"])
    assert outcomes[f"gmv_share_{top}"] == outcomes[f"gmv_{top}"] / outcomes["gmv"]


def test_users_are_read_at_the_last_step_not_summed(run):
    config, platforms, outcomes = run
    last = platforms[platforms["step"] == platforms["step"].max()].set_index("platform")
    for name in config.platforms:
        assert outcomes[f"users_{name}"] == int(last.loc[name, "users"])
        assert outcomes[f"active_users_{name}"] == int(last.loc[name, "active_users"])
        everyday = platforms.loc[platforms["platform"] == name, "users"].sum()
        assert outcomes[f"users_{name}"] < everyday
