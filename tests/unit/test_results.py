"""The results API's step table: a calendar date per step when the run has a start date."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.errors import ConfigError
from socialsim.experiment.outcomes import run_outcomes

SMALL = {
    "population.n_consumers": 3_000,
    "influencers.n_kols": 10,
    "influencers.n_kocs": 60,
    "stores.n_owners": 30,
}


def steps_of(**run) -> pd.DataFrame:
    config = ModelConfig().with_overrides({**SMALL, **{f"run.{k}": v for k, v in run.items()}})
    model = SocialCommerceModel(config, rng=4)
    model.run(4)
    return model.step_metrics()


def test_step_one_falls_on_the_start_date_and_each_step_a_day_later():
    # across a month's end: 2021-10-30, 10-31, 11-01, 11-02
    steps = steps_of(start_date="2021-10-30")
    assert list(steps.columns[:2]) == ["step", "date"]
    assert steps["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-10-30",
        "2021-10-31",
        "2021-11-01",
        "2021-11-02",
    ]
    assert pd.api.types.is_datetime64_any_dtype(steps["date"])


def test_without_a_start_date_there_is_no_date_and_the_numbers_are_the_same():
    dated, plain = steps_of(start_date=datetime.date(2021, 10, 30)), steps_of()
    assert "date" not in plain
    # the same days: no festival falls on 10-30 ... 11-02
    assert (dated["demand_multiplier"] == 1).all()
    dated = dated.drop(columns=["date", "demand_multiplier"])
    pd.testing.assert_frame_equal(dated, plain, check_exact=True)


def test_the_date_is_not_an_outcome():
    steps = steps_of(start_date="2021-10-30")
    outcomes = run_outcomes(steps, None, 3_000)
    assert "date" not in outcomes and outcomes["gmv"] == pytest.approx(steps["gmv"].sum())


@pytest.mark.parametrize("value", ["2021-13-01", "next monday", 20211001.5])
def test_a_bad_start_date_names_the_key_and_the_value(value):
    with pytest.raises(ConfigError, match=r"run\.start_date: .*date") as caught:
        ModelConfig().with_overrides({"run.start_date": value})
    assert str(value) in str(caught.value)
