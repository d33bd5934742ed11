"""The hot-path array helpers give exactly what the NumPy one-liners they replace give."""

import numpy as np
import pytest

from socialsim._arrays import column_counts, distinct, distinct_first, row_max, scale_columns
from socialsim._csr import gather_rows, tie_strength


@pytest.mark.parametrize("size", [0, 1, 7, 5000])
def test_distinct_matches_unique(size):
    values = np.random.default_rng(size).integers(0, 50, size).astype(np.int32)
    assert np.array_equal(distinct(values), np.unique(values))
    got, first = distinct_first(values)
    want, want_first = np.unique(values, return_index=True)
    assert np.array_equal(got, want) and np.array_equal(first, want_first)


def test_column_and_row_reductions_match_numpy():
    rng = np.random.default_rng(1)
    flags = rng.random((1000, 5)) < 0.3
    steps = rng.integers(-5, 100, (1000, 5)).astype(np.int32)
    assert column_counts(flags).tolist() == flags.sum(axis=0).tolist()
    assert np.array_equal(row_max(steps, initial=-10), steps.max(axis=1, initial=-10))
    assert row_max(np.zeros((3, 0), np.int32), initial=-1).tolist() == [-1, -1, -1]


@pytest.mark.parametrize("rows", [0, 5, 1024, 2500])
def test_scale_columns_matches_broadcast_multiplication(rows):
    # 2,500 rows: two whole blocks of 1,024 and a partial one.
    table = np.random.default_rng(rows).random((rows, 6), dtype=np.float32)
    factor = np.array([0.9, 0.5, 1.0, 0.0, 2.0, 0.97])
    want = table * factor.astype(np.float32)
    scale_columns(table, factor)
    assert np.array_equal(table, want)


def test_scale_columns_refuses_a_view_it_cannot_scale_in_place():
    table = np.ones((10, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        scale_columns(table[:, :2], np.ones(2))


def test_gather_rows_uses_int32_and_finds_every_entry():
    indptr = np.array([0, 2, 2, 5, 6])
    rows = np.array([3, 0, 2, 0])
    owner, entry, start = gather_rows(indptr, rows)
    assert owner.dtype == np.int32 and entry.dtype == np.int32
    assert entry.tolist() == [5, 0, 1, 2, 3, 4, 0, 1]
    assert owner.tolist() == [0, 1, 1, 2, 2, 2, 3, 3]
    assert start.tolist() == [0, 1, 3, 6]


def test_tie_strength_is_the_row_sum():
    from scipy import sparse

    dense = np.random.default_rng(2).random((30, 30)).astype(np.float32)
    dense[dense < 0.7] = 0
    matrix = sparse.csr_array(dense)
    assert np.allclose(tie_strength(matrix), dense.astype(np.float64).sum(axis=1))
