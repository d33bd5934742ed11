"""A check as data: its kind, band and pass rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from socialsim.validation.checks import Check, Kind, checks_table, format_band


def _check(values, lower=0.0, upper=math.inf, **kwargs):
    kwargs.setdefault("kind", Kind.HELD_OUT)
    return Check("x", "fact 1", "x", lower, upper, "band", "source", **kwargs).measured(values)


def test_a_check_passes_only_when_its_whole_interval_is_in_range():
    clear = _check([0.5, 0.6, 0.55, 0.52])
    assert clear.passed
    low, high = clear.interval
    assert low > 0 and high < 1
    # positive on average but the 95 % interval reaches below zero: not shown
    assert not _check([0.5, -0.3, 0.1]).passed
    # a range: inside passes, a mean inside with an interval poking out does not
    assert _check([3.4, 3.5, 3.45], 3.0, 5.0).passed
    assert not _check([3.1, 4.9, 2.5], 3.0, 5.0).passed


def test_the_interval_is_the_student_t_interval_of_the_mean():
    values = [1.0, 2.0, 4.0]
    low, high = _check(values).interval
    half = 4.302652729911275 * np.std(values, ddof=1) / math.sqrt(3)  # t(0.975, 2)
    assert (low, high) == pytest.approx((np.mean(values) - half, np.mean(values) + half))


def test_a_check_that_cannot_be_measured_fails():
    assert not _check([]).passed
    assert not _check([math.nan, math.nan]).passed
    # one replication undefined: the others' mean is shown, but the check is not passed
    partly = _check([0.5, math.nan, 0.6, 0.55])
    assert partly.value == pytest.approx(0.55)
    assert not partly.passed


def test_a_value_check_compares_its_single_value_with_the_band():
    assert _check([3.9], -math.inf, 4.0, rule="value").passed
    assert not _check([4.1], -math.inf, 4.0, rule="value").passed
    assert _check([3.9], -math.inf, 4.0, rule="value").interval == (3.9, 3.9)


def test_calibration_targets_name_what_was_tuned_and_held_out_checks_nothing():
    target = _check([1.0], kind=Kind.CALIBRATION, tuned=("behaviour.budget_share",))
    assert target.tuned == ("behaviour.budget_share",)
    with pytest.raises(ValueError, match="must name what was tuned"):
        _check([1.0], kind=Kind.CALIBRATION)
    with pytest.raises(ValueError, match="was not tuned"):
        _check([1.0], tuned=("behaviour.budget_share",))
    with pytest.raises(ValueError, match="lower must be <= upper"):
        _check([1.0], 2.0, 1.0)


def test_the_table_has_one_row_per_check_with_kind_band_source_and_tuned():
    checks = [
        _check([1.0, 1.1], kind=Kind.CALIBRATION, tuned=("a.b", "c.d")),
        _check([-1.0, -1.1]),
    ]
    table = checks_table(checks)
    assert table["kind"].tolist() == ["calibration target", "held-out"]
    assert table["tuned"].tolist() == ["a.b; c.d", ""]
    assert table["passed"].tolist() == [True, False]
    assert table["replications"].tolist() == [2, 2]
    assert {"band", "source", "value", "ci_low", "ci_high", "note"} <= set(table.columns)


def test_bands_read_as_ranges_or_directions():
    assert format_band(0.35, 0.75) == "0.35-0.75"
    assert format_band(1.5, math.inf) == ">= 1.5"
    assert format_band(-math.inf, 0.5) == "<= 0.5"
