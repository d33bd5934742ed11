"""Small vectorised helpers over CSR index arrays, shared by the world and the mechanisms."""

from __future__ import annotations

import numpy as np

__all__ = ["entry_rows", "gather_rows", "offsets"]


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
    owner : ndarray of int64
        For each gathered entry, its position in `rows`.
    entry : ndarray of int64
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
    owner = np.repeat(np.arange(len(rows)), count)
    entry = np.repeat(lo - run_start, count) + np.arange(owner.size)
    return owner, entry, run_start
