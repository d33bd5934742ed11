"""The calendar on small worlds: dates, festival days, demand, price cuts and urgency."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.config.schema import FestivalConfig
from socialsim.errors import ConfigError
from socialsim.mechanisms.calendar import festival_days, step_date

SMALL = {
    "population.n_consumers": 3_000,
    "influencers.n_kols": 10,
    "influencers.n_kocs": 60,
    "stores.n_owners": 30,
}
D = datetime.date


def run(overrides: dict, steps: int = 6, seed: int = 2) -> SocialCommerceModel:
    model = SocialCommerceModel(ModelConfig().with_overrides({**SMALL, **overrides}), rng=seed)
    model.run(steps)
    return model


# a festival on the run's third day only, and nothing else in the calendar
ONLY = {f"calendar.festivals.{name}": None for name in ModelConfig().calendar.festivals}
THIRD_DAY = {**ONLY, "run.start_date": "2021-03-01"}


def festival(**fields) -> dict:
    return {"calendar.festivals.fair": {"on": "03-03", **fields}}


def test_festival_days_every_year_across_a_year_s_end_and_on_given_dates():
    yearly = FestivalConfig(on="12-31", days=2)
    assert [festival_days(yearly, d) for d in (D(2021, 12, 30), D(2021, 12, 31))] == [False, True]
    assert [festival_days(yearly, d) for d in (D(2022, 1, 1), D(2022, 1, 2))] == [True, False]
    leap = FestivalConfig(on="02-29")
    assert festival_days(leap, D(2024, 2, 29)) and not festival_days(leap, D(2023, 3, 1))
    moving = FestivalConfig(dates=(D(2021, 2, 11), D(2022, 1, 31)), days=14)
    assert festival_days(moving, D(2021, 2, 24)) and not festival_days(moving, D(2021, 2, 25))
    assert festival_days(moving, D(2022, 2, 13)) and not festival_days(moving, D(2021, 6, 1))
    assert step_date(D(2021, 2, 28), 2) == D(2021, 3, 1)


def test_a_festival_s_demand_opens_more_needs_on_its_day_and_changes_nothing_before():
    plain = run(THIRD_DAY).step_metrics()
    busy = run({**THIRD_DAY, **festival(demand=4.0)}).step_metrics()
    # common random numbers: the days before the festival are the same, bit for bit
    pd.testing.assert_frame_equal(
        plain.iloc[:2].drop(columns="demand_multiplier"),
        busy.iloc[:2].drop(columns="demand_multiplier"),
        check_exact=True,
    )
    assert busy["demand_multiplier"].tolist() == [1, 1, 4, 1, 1, 1]
    assert busy["needs_opened"].iloc[2] > 2.5 * plain["needs_opened"].iloc[2]
    assert busy["orders"].iloc[2] > plain["orders"].iloc[2]


def test_a_festival_cuts_the_prices_of_the_promoting_platforms_only():
    names = list(ModelConfig().with_overrides(SMALL).platforms)
    promoting = names[:2]
    plain = SocialCommerceModel(ModelConfig().with_overrides({**SMALL, **THIRD_DAY}), rng=2)
    cut = SocialCommerceModel(
        ModelConfig().with_overrides(
            {**SMALL, **THIRD_DAY, **festival(promotion_depth=0.25, platforms=promoting)}
        ),
        rng=2,
    )
    for step in range(1, 5):
        plain.step()
        cut.step()
        ratio = cut.prices.price / plain.prices.price
        if step == 3:
            # a brand's marketplace store joins no cut deeper than its limit (premium: 15 %)
            takes = cut.prices.max_cut[:2] >= 0.25
            assert (~takes).any() and takes.any()
            tol = 0.01 / plain.prices.price[:2].min()
            assert np.allclose(ratio[:2][takes], 0.75, atol=tol)
            assert np.array_equal(ratio[:2][~takes], np.ones((~takes).sum(), dtype=np.float32))
            assert np.array_equal(cut.prices.price[2:], plain.prices.price[2:])
        else:
            assert np.array_equal(cut.prices.price, plain.prices.price)


def test_urgency_shifts_the_logit_of_the_promoting_platforms_offers_on_its_days():
    names = list(ModelConfig().with_overrides(SMALL).platforms)
    model = SocialCommerceModel(
        ModelConfig().with_overrides(
            {**SMALL, **THIRD_DAY, **festival(urgency=1.5, platforms=[names[1]])}
        ),
        rng=2,
    )
    offers = type("O", (), {"platform": np.arange(len(names), dtype=np.int8)})()
    shifts = []
    for _ in range(4):
        model.step()
        shifts.append(model.calendar.logit_shift(offers))
    assert shifts[0] is None and shifts[1] is None and shifts[3] is None
    assert shifts[2].tolist() == [0.0, 1.5] + [0.0] * (len(names) - 2)


def test_without_a_start_date_festivals_change_nothing_and_stay_out_of_the_hash():
    loud = {"calendar.festivals.singles_day.demand": 50.0, "calendar.festivals.fair": None}
    default = ModelConfig().with_overrides(SMALL)
    assert ModelConfig().with_overrides({**SMALL, **loud}).config_hash() == default.config_hash()
    a = run({**festival(demand=9.0)}, steps=4).step_metrics()
    b = run({}, steps=4).step_metrics()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_with_a_start_date_the_date_and_the_calendar_enter_the_hash():
    dated = ModelConfig().with_overrides({"run.start_date": "2021-10-01"})
    assert dated.config_hash() != ModelConfig().config_hash()
    assert (
        dated.config_hash() != dated.with_overrides({"run.start_date": "2021-10-02"}).config_hash()
    )
    louder = dated.with_overrides({"calendar.festivals.singles_day.demand": 6.0})
    assert louder.config_hash() != dated.config_hash()


def test_a_festival_naming_an_unknown_platform_is_refused_before_the_run():
    config = ModelConfig().with_overrides({**SMALL, **THIRD_DAY, **festival(platforms=["tmal"])})
    with pytest.raises(ConfigError, match=r"calendar\.festivals\.fair\.platforms.*tmal"):
        SocialCommerceModel(config, rng=1)


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"on": "02-30"}, "MM-DD"),
        ({"on": "11-11", "dates": ["2021-11-11"]}, "either 'on'"),
        ({"demand": -1.0}, "greater than or equal to 0"),
        ({"promotion_depth": 1.0}, "less than 1"),
    ],
)
def test_a_bad_festival_is_refused_naming_its_key(fields, rule):
    with pytest.raises(ConfigError, match=rf"calendar\.festivals\.fair.*{rule}"):
        ModelConfig().with_overrides({"calendar.festivals.fair": {"on": "03-03", **fields}})


def test_a_presale_moves_the_arrivals_of_the_days_before_into_the_first_day():
    plain = run({**THIRD_DAY, **festival(demand=2.0)}, steps=4).step_metrics()
    pre = run(
        {**THIRD_DAY, **festival(demand=2.0, presale_days=2, presale_share=0.5)}, steps=4
    ).step_metrics()
    assert plain["demand_multiplier"].tolist() == [1.0, 1.0, 2.0, 1.0]
    assert pre["demand_multiplier"].tolist() == [0.5, 0.5, 3.0, 1.0]
    # moved, not added: the multipliers sum alike over the window
    assert pre["demand_multiplier"].sum() == plain["demand_multiplier"].sum()
    assert pre["needs_opened"].iloc[:2].sum() < plain["needs_opened"].iloc[:2].sum()
    assert pre["needs_opened"].iloc[2] > plain["needs_opened"].iloc[2]


def test_days_to_a_festival_count_across_a_year_s_end_and_given_dates():
    from socialsim.mechanisms.calendar import days_to_festival

    yearly = FestivalConfig(on="01-02")
    assert days_to_festival(yearly, D(2021, 12, 30)) == 3
    assert days_to_festival(yearly, D(2022, 1, 2)) == 0
    moving = FestivalConfig(dates=(D(2021, 2, 11),), days=14)
    assert days_to_festival(moving, D(2021, 2, 1)) == 10
    assert days_to_festival(moving, D(2021, 3, 1)) is None


def test_presale_settings_at_zero_leave_a_dated_configs_hash_alone():
    dated = ModelConfig().with_overrides({"run.start_date": "2021-10-01"})
    zero = dated.with_overrides({"calendar.festivals.singles_day.presale_share": 0.0})
    some = dated.with_overrides(
        {
            "calendar.festivals.singles_day.presale_days": 20,
            "calendar.festivals.singles_day.presale_share": 0.3,
        }
    )
    assert zero.config_hash() == dated.config_hash() != some.config_hash()
