"""Micro-store owners as Mesa agents: consumers who resell to their strong ties."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from socialsim.agents.consumer import Consumer
from socialsim.enums import Role

if TYPE_CHECKING:
    from socialsim.agents.host import AgentHost

__all__ = ["MicroStoreOwner"]


class MicroStoreOwner(Consumer):
    """A consumer who runs a micro-store (Yunji / Beidian style) for its community.

    Parameters
    ----------
    model : AgentHost
        The model.
    index : int
        Consumer row.
    store_index : int
        Row in ``model.world.stores``.
    """

    role = Role.STORE_OWNER

    def __init__(self, model: AgentHost, index: int, store_index: int) -> None:
        super().__init__(model, index)
        self.store_index = int(store_index)

    @property
    def customers(self) -> np.ndarray:
        """The people the store sells to: the owner's strong ties."""
        return self.strong_ties
