"""Batched runs: each run's tables from a batch are bit for bit the run's tables alone."""

from __future__ import annotations

import pandas as pd
import pytest

from socialsim import ModelConfig
from socialsim.ensemble import BatchedModel, run_batch
from socialsim.experiment.single_run import run_simulation
from socialsim.mechanisms.component import Component
from socialsim.model import BUILTIN_COMPONENTS

SEEDS = (20261207, 11, 12, 13)

#: every mechanism acting: kanjia on two platforms, a campaign whose budget runs short, a
#: lockdown, a regulator of the micro-stores, a start date (festivals, the calendar)
BUSY = {
    "run.steps": 24,
    "run.start_date": "2024-06-10",
    "platforms.kaola.group_buying.kanjia.enabled": True,
    "campaign.budget": 400.0,
    "campaign.start_step": 3,
    "campaign.days": 10,
}


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    return ModelConfig.small().with_overrides(BUSY)


@pytest.fixture(scope="module")
def batched(config):
    return run_batch(config, SEEDS)


@pytest.fixture(scope="module")
def alone(config):
    return [run_simulation(config, seed=seed, agents="lazy") for seed in SEEDS]


def test_every_built_in_mechanism_is_ready_for_batched_runs():
    assert [c.__name__ for c in BUILTIN_COMPONENTS if not c.batch_ready] == []


@pytest.mark.parametrize("table", ["steps", "platforms", "tiers", "orders"])
def test_each_run_s_table_from_a_batch_is_the_run_s_table_alone(batched, alone, table):
    for mine, theirs in zip(batched, alone, strict=True):
        pd.testing.assert_frame_equal(
            getattr(mine, table), getattr(theirs, table), check_exact=True
        )


def test_each_run_s_mechanism_tables_from_a_batch_are_the_run_s_alone(batched, alone):
    for mine, theirs in zip(batched, alone, strict=True):
        assert sorted(mine.tables) == sorted(theirs.tables) == ["brands", "exports"]
        for name, frame in theirs.tables.items():
            pd.testing.assert_frame_equal(mine.tables[name], frame, check_exact=True)


def test_the_batch_exercised_every_mechanism_and_its_runs_differ(batched):
    steps = [r.steps for r in batched]
    total = sum(s.select_dtypes("number").sum() for s in steps)
    for column in (
        "orders",
        "groups_completed",
        "kanjia_clicks",
        "livestream_viewers",
        "returns",
        "campaign_posts",
        "store_recruits",
        "daigou_fees",
        "export_orders",
        "promotions_started",
    ):
        assert total[column] > 0, column
    assert len({float(s["gmv"].sum()) for s in steps}) == len(SEEDS)
    assert batched[0].summary["seed"] == SEEDS[0]


def test_a_batch_of_one_run_is_the_run(config, alone):
    one = run_batch(config.with_overrides({"run.steps": 6}), SEEDS[:1])[0]
    short = run_simulation(config.with_overrides({"run.steps": 6}), seed=SEEDS[0])
    pd.testing.assert_frame_equal(one.steps, short.steps, check_exact=True)
    pd.testing.assert_frame_equal(one.orders, short.orders, check_exact=True)


def test_a_batch_needs_distinct_seeds():
    with pytest.raises(ValueError, match="distinct seeds"):
        BatchedModel(ModelConfig.small(), [3, 3])
    with pytest.raises(ValueError, match="two or more distinct seeds"):
        BatchedModel(ModelConfig.small(), [4])


def test_a_batch_refuses_an_enabled_plug_in_that_is_not_ready_for_it(monkeypatch):
    class FlashSale(Component):
        name = "flash_sale"

    monkeypatch.setattr("socialsim.ensemble.enabled_plugins", lambda config: [FlashSale])
    with pytest.raises(NotImplementedError, match="not yet: FlashSale"):
        BatchedModel(ModelConfig.small(), [1, 2])
