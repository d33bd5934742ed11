"""Confidence intervals of means across replications, for the plots and the report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["half_width"]


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
