"""The numbers of a small seeded run must not change by accident (see tests/golden.py).

CI runs this under Mesa 3.3 (Python 3.11) and Mesa 3.5 (Python 3.12), so it also
checks that both give the same numbers, bit for bit.
"""

from __future__ import annotations

import pandas as pd

from tests.golden import fingerprint, golden_run, in_golden_order, read_golden


def test_golden_run_is_unchanged():
    expected = read_golden()
    got = golden_run()
    # the same columns, each with the same values bit for bit; their order may change
    assert sorted(got.columns) == sorted(expected.columns)
    pd.testing.assert_frame_equal(
        got[list(expected.columns)], expected, check_dtype=False, check_exact=True
    )


def test_the_golden_order_moves_columns_and_keeps_values():
    expected = read_golden()
    shuffled = expected[list(reversed(expected.columns))]
    assert list(in_golden_order(shuffled).columns) == list(expected.columns)
    with_id = shuffled.assign(run_id="r")[["run_id", *shuffled.columns]]
    assert list(in_golden_order(with_id).columns) == ["run_id", *expected.columns]
    runs = pd.DataFrame(columns=["run_id", "seed", "gmv", "orders", "penetration", "gmv_t1"])
    assert list(in_golden_order(runs).columns) == list(runs.columns)
    assert fingerprint(in_golden_order(shuffled)) == fingerprint(expected)
