"""Per-run counts and sums of a batched ensemble, and the day's per-run counters."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim.columns import MetricColumn
from socialsim.day import Day
from socialsim.runs import Runs

COLUMNS = (MetricColumn.count("groups"), MetricColumn.total("fees"))


def test_each_run_s_sum_is_bit_for_bit_the_run_s_own_sum_in_any_item_order():
    rng = np.random.default_rng(3)
    values = (rng.random(50_000) * np.logspace(0, 9, 50_000)).astype(np.float32)
    runs = Runs([10, 20, 30])
    for run in (np.sort(rng.integers(0, 3, values.size)), rng.integers(0, 3, values.size)):
        sums = runs.sums(values, run)
        for k in range(3):
            assert sums[k] == float(values[run == k].sum())
        # adding the same items one by one differs in its last bits: the check can fail
        assert float(np.cumsum(values[run == 0])[-1]) != sums[0]
    assert runs.sums(values[:0], run[:0]).tolist() == [0.0, 0.0, 0.0]
    assert Runs.single(4).sums(values, None) == float(values.sum())


def test_counts_per_run_and_per_consumer_row():
    runs = Runs([2, 0, 3])
    assert runs.consumer_run.tolist() == [0, 0, 2, 2, 2]
    table = np.array([[1, 1], [0, 1], [1, 0], [0, 0], [1, 1]], dtype=bool)
    assert runs.count_rows(table).tolist() == [3, 0, 3]
    run = runs.of_consumers(np.array([4, 0, 3]))
    assert runs.count(run).tolist() == [1, 0, 2]
    assert runs.count(run, np.array([True, False, True])).tolist() == [0, 0, 2]
    assert runs.local_consumer(np.array([4, 0, 3]), run).tolist() == [2, 0, 1]
    assert Runs.single(5).count_rows(table) == 6
    with pytest.raises(ValueError, match="one count per run"):
        Runs([])


def test_a_day_of_an_ensemble_counts_per_run_and_refuses_an_undeclared_column():
    day = Day.start(3, 2, COLUMNS, n_runs=3)
    day.add("groups", np.array([1, 0, 2]))
    day.add("groups", 1)
    day.add("fees", np.array([0.5, 0.25, 0.0]))
    day.set("fees", day.total["fees"] * 2)
    assert day.count["groups"].tolist() == [2, 1, 3]
    assert day.total["fees"].tolist() == [1.0, 0.5, 0.0]
    assert day.tier_offers.shape == (3, 2)
    with pytest.raises(KeyError, match="no metric column 'grups'"):
        day.add("grups", np.zeros(3))
    alone = Day.start(3, 2, COLUMNS)
    alone.add("groups", 2)
    assert alone.count == {"groups": 2} and alone.tier_offers.shape == (2,)
