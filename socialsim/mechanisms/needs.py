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
    draw = rng.random(state.need.shape, dtype=np.float32)
    lapse = state.need & (draw < np.float32(1.0 / patience_days))
    arrive = ~state.need & (draw < need_rate.astype(np.float32))
    state.need ^= lapse | arrive
    return int(np.count_nonzero(arrive)), int(np.count_nonzero(lapse))


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
