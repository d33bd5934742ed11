"""The consumers' changing state: one NumPy array per attribute, owned by the model.

Mechanisms read and write these arrays in vectorised phases; ``Consumer``
agents are views on one row of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim.enums import ShopperStatus
from socialsim.world.world import World

__all__ = ["NEVER", "ConsumerState"]

NEVER = np.int32(-(2**30))
"""Step stored for "never happened", far enough in the past for any window test."""


@dataclass(eq=False)
class ConsumerState:
    """Mutable per-consumer arrays (row = consumer, column = category).

    Attributes
    ----------
    status : ndarray of int8
        :class:`~socialsim.enums.ShopperStatus` per consumer.
    need : ndarray of bool, shape (n, C)
        Open needs per category.
    budget_left : ndarray of float32
        RMB left to spend in the current budget period.
    monthly_budget : ndarray of float32
        RMB the budget is renewed to each period.
    last_purchase_step : ndarray of int32, shape (n, C)
        Step of the latest purchase per category (``NEVER`` if none).
    last_product : ndarray of int32, shape (n, C)
        Product of the latest purchase per category (-1 if none).
    orders : ndarray of int32
        Orders placed so far.
    spend : ndarray of float64
        RMB spent so far.
    """

    status: np.ndarray
    need: np.ndarray
    budget_left: np.ndarray
    monthly_budget: np.ndarray
    last_purchase_step: np.ndarray
    last_product: np.ndarray
    orders: np.ndarray
    spend: np.ndarray

    @classmethod
    def initial(cls, world: World) -> ConsumerState:
        """Return the state at step 0: no needs, no purchases, full budgets."""
        n = world.n_consumers
        n_categories = world.catalogue.n_categories
        status = np.where(world.population.online, ShopperStatus.ONLINE, ShopperStatus.OFFLINE)
        budget = (world.population.income * world.config.behaviour.budget_share).astype(np.float32)
        return cls(
            status=status.astype(np.int8),
            need=np.zeros((n, n_categories), dtype=bool),
            budget_left=budget.copy(),
            monthly_budget=budget,
            last_purchase_step=np.full((n, n_categories), NEVER, dtype=np.int32),
            last_product=np.full((n, n_categories), -1, dtype=np.int32),
            orders=np.zeros(n, dtype=np.int32),
            spend=np.zeros(n, dtype=np.float64),
        )

    @property
    def n(self) -> int:
        """Number of consumers."""
        return int(self.status.shape[0])

    def customers(self) -> np.ndarray:
        """Whether each consumer has bought at least once."""
        return self.status == ShopperStatus.CUSTOMER
