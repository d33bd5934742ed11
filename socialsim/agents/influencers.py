"""KOLs and KOCs as Mesa agents: views on the model's creator arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from socialsim.agents._ids import AGENT_IDS
from socialsim.agents.consumer import Consumer
from socialsim.enums import KOLSegment, Role

if TYPE_CHECKING:
    from socialsim.agents.host import AgentHost

__all__ = ["KOC", "KOL"]


class _Creator:
    """What KOLs and KOCs share: a row in the creator arrays and a follower list."""

    model: AgentHost
    creator_index: int

    @property
    def followers(self) -> np.ndarray:
        """Consumer indices of the current followers (livestreams win and lose some)."""
        return self.model.current_followers(self.creator_index)[0]

    @property
    def follower_count(self) -> int:
        """Number of current followers."""
        return int(self.followers.shape[0])

    @property
    def mean_trust(self) -> float:
        """Mean trust of the current followers in this creator (0-1)."""
        trust = self.model.current_followers(self.creator_index)[1]
        return float(trust.mean()) if trust.size else 0.0

    @property
    def post_rate(self) -> float:
        """Daily probability of posting."""
        return float(self.model.world.influencers.post_rate[self.creator_index])


class KOL(_Creator, mesa.Agent):
    """A key opinion leader: an influencer with a large, heavy-tailed audience.

    KOLs are not consumers. Their audience concentrates around a focus tier.

    Parameters
    ----------
    model : AgentHost
        The model.
    creator_index : int
        Row in ``model.world.influencers``.
    """

    _ids = AGENT_IDS  # shared with Consumer: ids unique across types, models freed (Mesa 3.3)

    def __init__(self, model: AgentHost, creator_index: int) -> None:
        super().__init__(model)
        self.creator_index = int(creator_index)

    def __repr__(self) -> str:
        return (
            f"KOL(creator_index={self.creator_index}, segment={self.segment.name}, "
            f"followers={self.follower_count})"
        )

    @property
    def segment(self) -> KOLSegment:
        """Head, shoulder, waist or tail, by audience size."""
        return KOLSegment(int(self.model.world.influencers.segment[self.creator_index]))

    @property
    def focus_tier(self) -> int:
        """The tier the audience concentrates on."""
        return int(self.model.world.influencers.focus_tier[self.creator_index])


class KOC(_Creator, Consumer):
    """A key opinion consumer: a consumer who reviews what it buys to a small, trusting circle.

    Parameters
    ----------
    model : AgentHost
        The model.
    index : int
        Consumer row.
    creator_index : int
        Row in ``model.world.influencers``.
    """

    role = Role.KOC

    def __init__(self, model: AgentHost, index: int, creator_index: int) -> None:
        super().__init__(model, index)
        self.creator_index = int(creator_index)
