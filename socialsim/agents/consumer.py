"""Consumers as Mesa agents: thin views on the model's arrays.

A consumer's data lives in one row of the model's arrays (``model.world`` for
what is fixed, ``model.state`` for what changes); a :class:`Consumer` reads
and writes that row. The step never goes through agent objects: it runs
vectorised over the arrays. Agents exist for people: notebooks, Mesa's
``model.agents``, data collectors and the interactive page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from socialsim.agents._ids import AGENT_IDS
from socialsim.enums import Role, ShopperStatus

if TYPE_CHECKING:
    from socialsim.agents.host import AgentHost

__all__ = ["Consumer"]


class Consumer(mesa.Agent):
    """A consumer in a tiered city.

    Parameters
    ----------
    model : AgentHost
        The model whose arrays hold this consumer's data.
    index : int
        Row of the consumer in the model's arrays.

    Examples
    --------
    >>> from socialsim import ModelConfig, SocialCommerceModel
    >>> model = SocialCommerceModel(ModelConfig.small(), rng=1)
    >>> consumer = model.consumers[0]
    >>> consumer.tier in range(1, 7)
    True
    """

    role = Role.CONSUMER
    model: AgentHost
    _ids = AGENT_IDS  # Mesa 3.3's own table would keep every model alive

    def __init__(self, model: AgentHost, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(index={self.index}, tier={self.tier}, "
            f"status={self.status.name})"
        )

    # fixed attributes (model.world)
    @property
    def tier(self) -> int:
        """City tier, 1 (largest cities) to K."""
        return int(self.model.world.population.tier[self.index])

    @property
    def city(self) -> int:
        """City index."""
        return int(self.model.world.population.city[self.index])

    @property
    def community(self) -> int:
        """Close-knit community index (nested in the city)."""
        return int(self.model.world.network.community[self.index])

    @property
    def income(self) -> float:
        """Monthly disposable income, RMB."""
        return float(self.model.world.population.income[self.index])

    @property
    def price_sensitivity(self) -> float:
        """Weight of price in the purchase utility."""
        return float(self.model.world.population.price_sensitivity[self.index])

    @property
    def friends(self) -> np.ndarray:
        """Consumer indices of this consumer's social ties."""
        return self.model.world.network.friends(self.index)

    @property
    def strong_ties(self) -> np.ndarray:
        """Consumer indices of this consumer's strong (community) ties."""
        return self.model.world.network.strong_ties(self.index)

    def friend_agents(self) -> list[Consumer]:
        """Return this consumer's friends as agents."""
        consumers = self.model.consumers
        return [consumers[int(i)] for i in self.friends]

    # changing attributes (model.state)
    @property
    def status(self) -> ShopperStatus:
        """Offline, online, or a customer who has bought."""
        return ShopperStatus(int(self.model.state.status[self.index]))

    @property
    def needs(self) -> dict[str, bool]:
        """Open needs by category name."""
        names = self.model.world.catalogue.category_names
        row = self.model.state.need[self.index]
        return {name: bool(flag) for name, flag in zip(names, row, strict=True)}

    @property
    def budget_left(self) -> float:
        """RMB left to spend this budget period."""
        return float(self.model.state.budget_left[self.index])

    @budget_left.setter
    def budget_left(self, value: float) -> None:
        self.model.state.budget_left[self.index] = value

    @property
    def orders(self) -> int:
        """Orders placed so far."""
        return int(self.model.state.orders[self.index])

    @property
    def spend(self) -> float:
        """RMB spent so far."""
        return float(self.model.state.spend[self.index])
