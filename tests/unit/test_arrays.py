"""The hot-path array helpers give exactly what the NumPy one-liners they replace give."""

import numpy as np
import pytest

from socialsim._arrays import (
    add_at,
    column_counts,
    distinct,
    distinct_first,
    order_by_key_then_descending,
    order_runs_by_draw,
    row_max,
    scale_columns,
)
from socialsim._csr import gather_rows, tie_strength


@pytest.mark.parametrize("size", [0, 1, 7, 5000])
def test_distinct_matches_unique(size):
    values = np.random.default_rng(size).integers(0, 50, size).astype(np.int32)
    assert np.array_equal(distinct(values), np.unique(values))
    got, first = distinct_first(values)
    want, want_first = np.unique(values, return_index=True)
    assert np.array_equal(got, want) and np.array_equal(first, want_first)


@pytest.mark.parametrize(("n", "m"), [(10, 5), (3000, 2000), (200_000, 50_000), (5000, 40_000)])
def test_add_at_is_numpy_add_at_bit_for_bit(n, m):
    # a float32 budget with float64 amounts, indices repeating rarely (n >> m) or often
    rng = np.random.default_rng(n + m)
    budget = (rng.random(n) * 1000).astype(np.float32)
    index = rng.integers(0, n, m)
    amount = rng.random(m) * 37.3 - 5.0
    want, got = budget.copy(), budget.copy()
    np.add.at(want, index, amount)
    add_at(got, index, amount)
    assert want.tobytes() == got.tobytes()
    # the repeats go in their order: a - b + b is not a in float32
    want, got = budget.copy(), budget.copy()
    index = np.repeat(index[:3], 4)
    amount = rng.random(index.size) * 1e7
    np.add.at(want, np.tile(index, 100), np.tile(amount, 100))
    add_at(got, np.tile(index, 100), np.tile(amount, 100))
    assert want.tobytes() == got.tobytes()


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


@pytest.mark.parametrize("seed", range(5))
def test_order_runs_by_draw_is_lexsort(seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    run = np.sort(rng.integers(0, 3_000, n))
    last = rng.random(n) < 0.4
    draw = rng.random(n)
    assert np.array_equal(order_runs_by_draw(run, last, draw), np.lexsort((draw, last, run)))


def test_order_runs_by_draw_falls_back_when_draws_tie_in_their_leading_bits(monkeypatch):
    calls = []
    lexsort = np.lexsort
    monkeypatch.setattr(np, "lexsort", lambda keys: calls.append(1) or lexsort(keys))
    last = np.zeros(3, dtype=bool)
    # run numbers of 21 bits leave 42 for the draw: the first two draws, 2^-52 apart,
    # pack alike, and lexsort (which sees every bit) puts the smaller first
    run = np.full(3, 2**20)
    draw = np.array([0.5 + 2.0**-52, 0.5, 0.25])
    assert order_runs_by_draw(run, last, draw).tolist() == [2, 1, 0]
    assert len(calls) == 1
    # runs too many for the draw's bits: lexsort too
    big = np.array([0, 2**40, 2**40])
    assert order_runs_by_draw(big, last, draw).tolist() == [0, 2, 1]
    assert len(calls) == 2
    order_runs_by_draw(np.array([0, 0]), np.zeros(2, bool), np.array([0.5, 0.25]))
    assert len(calls) == 2  # no tie: one packed sort


@pytest.mark.parametrize("seed", range(5))
def test_order_by_key_then_descending_is_lexsort(seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    key = rng.integers(0, 4_000, n)
    value = rng.choice(np.array([-1.5, 0.0, -0.0, 2.25, 3.0], np.float32), n)
    value[::7] = rng.normal(size=value[::7].size).astype(np.float32)
    expected = np.lexsort((-value, key))
    assert np.array_equal(order_by_key_then_descending(key, value), expected)
    big = key.astype(np.int64) + 2**33  # too wide to pack: lexsort
    assert np.array_equal(order_by_key_then_descending(big, value), np.lexsort((-value, big)))
