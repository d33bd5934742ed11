"""What an agent sees of the model it lives in: a small protocol, not the model class.

Agents are views on the model's arrays; they read the world (fixed), the
state (changing), the config and the other agents, and ask for a creator's
current followers. Any ``mesa.Model`` that offers these can host them, so the
agents never import the model (and the model's module can import them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from socialsim.config.schema import ModelConfig
    from socialsim.state import ConsumerState
    from socialsim.world.world import World

__all__ = ["AgentHost"]


class AgentHost(Protocol):
    """The model as agents see it (``SocialCommerceModel`` is one).

    Attributes
    ----------
    world : World
        The world as built: population, network, creators, stores, catalogue.
    state : ConsumerState
        The consumers' changing arrays.
    config : ModelConfig
        The resolved config.
    consumers : sequence of Consumer
        The consumer agents, by index.
    """

    world: World
    state: ConsumerState
    config: ModelConfig
    consumers: Sequence[Any]

    def current_followers(self, creator: int) -> tuple[np.ndarray, np.ndarray]:
        """Return a creator's current followers and their trust in it today."""
        ...  # pragma: no cover
