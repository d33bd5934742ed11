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

    Each cell of the need table is one Bernoulli draw: an open need lapses with
    probability ``1 / patience_days``, a closed one opens with its category's
    rate. A draw is made from one random byte ``u``: with ``k = floor(256 p)``,
    it succeeds if ``u < k``, fails if ``u > k`` and, on ``u == k`` (one cell in
    256), succeeds with probability ``256 p - k`` by a uniform draw, so its
    probability is exactly ``p``. A byte costs a third of a float32 and the
    need table is the largest draw of the step.

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

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> state = SimpleNamespace(need=np.zeros((1000, 2), dtype=bool))
    >>> opened, lapsed = update_needs(state, np.array([0.0, 1.0]), 5.0, np.random.default_rng(0))
    >>> opened, lapsed, int(state.need[:, 1].sum())
    (1000, 0, 1000)
    """
    n_rows, n_categories = state.need.shape
    arrive_level, arrive_rest = _byte_levels(np.asarray(need_rate, np.float64))
    lapse_level, lapse_rest = _byte_levels(np.full(n_categories, 1.0 / patience_days))
    # Whole blocks of levels: NumPy broadcasts a short last axis slowly, and np.where
    # is slower than arithmetic (bytes wrap around, so closed + open * step is exact).
    rows = min(_BLOCK_ROWS, n_rows)
    closed_levels = np.tile(arrive_level, (rows, 1))
    level_step = np.tile(lapse_level - arrive_level, (rows, 1))
    opened = lapsed = 0
    # In blocks of rows that stay in cache.
    for lo in range(0, n_rows, _BLOCK_ROWS):
        need = state.need[lo : lo + _BLOCK_ROWS]
        size = need.shape[0]
        byte = np.frombuffer(rng.bytes(need.size), dtype=np.uint8).reshape(need.shape)
        level = need.view(np.uint8) * level_step[:size]
        level += closed_levels[:size]
        flip = byte < level
        tie = np.flatnonzero(byte == level)
        if tie.size:
            was_open = need.ravel().take(tie)
            column = tie % n_categories
            rest = np.where(was_open, lapse_rest.take(column), arrive_rest.take(column))
            flip.ravel()[tie] = rng.random(tie.size) < rest
        n_lapsed = int(np.count_nonzero(flip & need))
        lapsed += n_lapsed
        opened += int(np.count_nonzero(flip)) - n_lapsed
        need ^= flip
    return opened, lapsed


def _byte_levels(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split probabilities into a byte level ``k = floor(256 p)`` and the rest ``256 p - k``.

    A probability of 1 is level 255 with rest 1 (the byte 255 then always succeeds).
    """
    scaled = np.clip(p, 0.0, 1.0) * 256.0
    level = np.minimum(np.floor(scaled), 255.0)
    return level.astype(np.uint8), scaled - level


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
