"""Confidence intervals of means across replications, for the plots and the report."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["half_width", "welch_half_width"]


def half_width(sd: Any, n: Any, level: float) -> Any:
    """Half-width of the Student-t interval of a mean; NaN where ``n < 2``.

    Element-wise over Series (returns a Series on `sd`'s index) or scalars (a float).

    Parameters
    ----------
    sd : float or Series
        Sample standard deviations (``ddof=1``).
    n : int or Series
        Sample sizes.
    level : float
        Confidence level, between 0 and 1.

    Returns
    -------
    float or Series

    Examples
    --------
    >>> round(half_width(1.0, 4, 0.95), 4)  # t(3) quantile 3.1824 x 1 / 2
    1.5912
    >>> import math; math.isnan(half_width(1.0, 1, 0.95))
    True
    """
    count = np.asarray(n, dtype=float)
    quantile = stats.t.ppf((1 + level) / 2, np.maximum(count - 1, 1))
    half = np.where(count >= 2, quantile * np.asarray(sd, dtype=float) / np.sqrt(count), np.nan)
    if isinstance(sd, pd.Series):
        return pd.Series(half, index=sd.index)
    return float(half)


def welch_half_width(sd_a: float, n_a: int, sd_b: float, n_b: int, level: float) -> float:
    """Half-width of Welch's interval of a difference of two means; NaN below two values each.

    The standard error is ``sqrt(sd_a² / n_a + sd_b² / n_b)`` and the degrees
    of freedom Welch-Satterthwaite's; two samples without spread give 0.

    Parameters
    ----------
    sd_a, sd_b : float
        Sample standard deviations (``ddof=1``) of the two samples.
    n_a, n_b : int
        Their sizes.
    level : float
        Confidence level, between 0 and 1.

    Returns
    -------
    float

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of "Student's" problem when
       several different population variances are involved. Biometrika 34(1/2).

    Examples
    --------
    >>> round(welch_half_width(1.0, 4, 2.0, 9, 0.95), 4)  # se 0.8333 on 10.59 df
    1.8428
    >>> welch_half_width(0.0, 3, 0.0, 3, 0.95), math.isnan(welch_half_width(1.0, 1, 1.0, 5, 0.95))
    (0.0, True)
    """
    if n_a < 2 or n_b < 2:
        return math.nan
    va, vb = sd_a**2 / n_a, sd_b**2 / n_b
    se = math.sqrt(va + vb)
    if se == 0:
        return 0.0
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    return float(stats.t.ppf((1 + level) / 2, df) * se)
