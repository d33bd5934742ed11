"""The numbers of a small seeded run must not change by accident (see tests/golden.py).

CI runs this under Mesa 3.3 (Python 3.11) and Mesa 3.5 (Python 3.12), so it also
checks that both give the same numbers, bit for bit.
"""

from __future__ import annotations

import pandas as pd

from tests.golden import golden_run, read_golden


def test_golden_run_is_unchanged():
    expected = read_golden()
    got = golden_run()
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)
