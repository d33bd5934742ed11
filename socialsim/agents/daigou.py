"""Daigou as Mesa agents: consumers who buy imports for their clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from socialsim.agents.consumer import Consumer
from socialsim.enums import Role

if TYPE_CHECKING:
    from socialsim.agents.host import AgentHost

__all__ = ["PersonalShopper"]


class PersonalShopper(Consumer):
    """A daigou (代购): a consumer who orders imports for clients under its own quota.

    Parameters
    ----------
    model : AgentHost
        The model.
    index : int
        Consumer row.
    daigou_index : int
        Row in ``model.world.daigou``.
    """

    role = Role.DAIGOU

    def __init__(self, model: AgentHost, index: int, daigou_index: int) -> None:
        super().__init__(model, index)
        self.daigou_index = int(daigou_index)

    @property
    def clients(self) -> np.ndarray:
        """The consumers who buy imports through this daigou."""
        clients = self.model.world.daigou.clients
        d = self.daigou_index
        return clients.indices[clients.indptr[d] : clients.indptr[d + 1]].astype(np.int64)

    @property
    def quota_left(self) -> float:
        """RMB of this year's personal cross-border quota not yet used."""
        spent = float(self.model.state.cross_border_spent[self.index])
        return max(self.model.config.cross_border.annual_limit - spent, 0.0)
