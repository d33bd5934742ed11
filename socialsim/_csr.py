"""Small vectorised helpers over CSR index arrays, shared by the world and the mechanisms."""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["entry_rows", "find_entries", "gather_rows", "index_dtype", "offsets", "tie_strength"]


def index_dtype(largest: int) -> type:
    """Return int32 when every index and count up to `largest` fits it, else int64.

    Half-width indices halve the memory traffic of long index arrays.

    Examples
    --------
    >>> index_dtype(1000).__name__, index_dtype(2**31).__name__
    ('int32', 'int64')
    """
    return np.int32 if largest < np.iinfo(np.int32).max else np.int64


def offsets(counts: np.ndarray) -> np.ndarray:
    """Return where each run starts when runs of the given lengths are laid end to end.

    Examples
    --------
    >>> offsets(np.array([3, 0, 2])).tolist()
    [0, 3, 3]
    """
    out = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def entry_rows(indptr: np.ndarray) -> np.ndarray:
    """Return the row of every stored entry of a CSR matrix with this `indptr`.

    Examples
    --------
    >>> entry_rows(np.array([0, 2, 2, 3])).tolist()
    [0, 0, 2]
    """
    return np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))


def gather_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Locate all stored entries of the selected rows, in order, without a Python loop.

    Parameters
    ----------
    indptr : ndarray
        CSR row pointer.
    rows : ndarray of int
        Rows to gather; repeats are allowed.

    Returns
    -------
    owner : ndarray of int32 (int64 when the counts do not fit)
        For each gathered entry, its position in `rows`.
    entry : ndarray of int32 (int64 when the counts do not fit)
        For each gathered entry, its index into the matrix's ``indices`` / ``data``.
    run_start : ndarray of int64
        For each position in `rows`, where its entries start in `owner` / `entry`.

    Examples
    --------
    >>> owner, entry, start = gather_rows(np.array([0, 2, 2, 5]), np.array([2, 0]))
    >>> owner.tolist(), entry.tolist(), start.tolist()
    ([0, 0, 0, 1, 1], [2, 3, 4, 0, 1], [0, 3])
    """
    lo = indptr[rows].astype(np.int64)
    count = indptr[rows + 1].astype(np.int64) - lo
    run_start = offsets(count)
    total = int(run_start[-1] + count[-1]) if len(rows) else 0
    # Half-width indices halve the memory traffic of these (often millions long) arrays.
    dtype = index_dtype(max(total, len(rows), int(indptr[-1]) if len(indptr) else 0))
    owner = np.repeat(np.arange(len(rows), dtype=dtype), count)
    entry = np.repeat((lo - run_start).astype(dtype), count)
    entry += np.arange(total, dtype=dtype)
    return owner, entry, run_start


def tie_strength(adjacency: sparse.csr_array) -> np.ndarray:
    """Return each row's summed weight, in float64, added up in the row's stored order.

    The fixed order makes the sums bit-for-bit the same wherever they are taken.

    Examples
    --------
    >>> a = sparse.csr_array(np.array([[0, 1, 0.5], [1, 0, 0], [0.5, 0, 0]], dtype=np.float32))
    >>> tie_strength(a).tolist()
    [1.5, 1.0, 0.5]
    """
    n = adjacency.shape[0]
    weights = adjacency.data.astype(np.float64)
    return np.bincount(entry_rows(adjacency.indptr), weights=weights, minlength=n)


def find_entries(
    indptr: np.ndarray, indices: np.ndarray, row: np.ndarray, col: np.ndarray
) -> np.ndarray:
    """Locate entries ``(row, col)`` of a CSR matrix by binary search within each row.

    Vectorised over the pairs: about ``log2(longest row)`` halving rounds. The
    column indices of every row must be sorted (canonical CSR, as scipy builds
    after ``sum_duplicates``).

    Parameters
    ----------
    indptr, indices : ndarray of int
        CSR structure, with sorted indices within each row.
    row, col : ndarray of int
        Pairs to look up.

    Returns
    -------
    ndarray of int64
        Entry index of each pair, -1 where the pair is not stored.

    Examples
    --------
    >>> find_entries(np.array([0, 2, 3]), np.array([1, 4, 0]), np.array([0, 0, 1, 1]),
    ...              np.array([4, 2, 0, 1])).tolist()
    [1, -1, 2, -1]
    """
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    row = np.asarray(row, np.int64)
    col = np.asarray(col, np.int64)
    lo = indptr[row].astype(np.int64)
    end = indptr[row + 1].astype(np.int64)
    hi = end.copy()
    last = max(indices.size - 1, 0)
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        right = indices[np.minimum(mid, last)] < col if indices.size else np.zeros_like(open_)
        lo = np.where(open_ & right, mid + 1, lo)
        hi = np.where(open_ & ~right, mid, hi)
    hit = lo < end
    hit[hit] = indices[lo[hit]] == col[hit]
    return np.where(hit, lo, -1)
