"""Paired arms (pytest -m slow): keyed streams shrink the variance of a paired difference.

The measurement of ``benchmarks/common_random_numbers.py``: Pinduoduo's
group discount 0.20 against 0.22 on a 6,000-consumer world over 40 days, 24
replications, both arms of a replication on one seed. At 48 replications, with
one behaviour stream for the whole run, var(paired difference) / (var(a) +
var(b)) was 0.073 for GMV and 0.60 for group orders; with streams keyed by
purpose, day and item it is 0.020 and 0.22. Tolerances, stated: at most 0.04
for GMV and 0.40 for group orders, about two thirds of the one-stream figures
at the lower end of their ±30 % uncertainty at 24 replications (issue 24's
goals, 0.01 and 0.03, are not met: see ``benchmarks/results.md``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "common_random_numbers.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("crn_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_paired_differences_vary_far_less_than_the_arms():
    bench = load_benchmark()
    rows = {d: [bench.totals(d, 1000 + r, 6000, 40) for r in range(24)] for d in (0.20, 0.22)}
    for outcome, tolerance in (("gmv", 0.04), ("orders_group", 0.40)):
        a = np.array([row[outcome] for row in rows[0.20]])
        b = np.array([row[outcome] for row in rows[0.22]])
        assert b.mean() > a.mean()  # a deeper discount sells more, in groups especially
        assert bench.variance_ratio(a, b) <= tolerance, outcome
