"""Brands as Mesa agents: views on the world's brands and the brands mechanism's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from socialsim.agents._ids import AGENT_IDS
from socialsim.enums import BrandChannel, Origin, Positioning

if TYPE_CHECKING:
    from socialsim.agents.host import AgentHost

__all__ = ["Brand"]


class Brand(mesa.Agent):
    """A brand: its products, positioning, origin, and where and at what price it sells today.

    The brand's decisions (reviews of its listings, price and promotions) are
    taken for all brands at once by :class:`~socialsim.mechanisms.brands.Brands`;
    the agent reads them.

    Parameters
    ----------
    model : AgentHost
        The model (it has ``brand_rules``, the brands mechanism).
    brand_index : int
        Row in ``model.world.brands``.
    """

    _ids = AGENT_IDS  # shared with the other agents: ids unique across types

    def __init__(self, model: AgentHost, brand_index: int) -> None:
        super().__init__(model)
        self.brand_index = int(brand_index)

    def __repr__(self) -> str:
        return (
            f"Brand({self.name!r}, {self.positioning.name.lower()}, {self.origin.name.lower()}, "
            f"platforms={self.platforms})"
        )

    @property
    def name(self) -> str:
        """The brand's name."""
        return self.model.world.brands.names[self.brand_index]

    @property
    def positioning(self) -> Positioning:
        """Premium, mass or discount."""
        return Positioning(int(self.model.world.brands.positioning[self.brand_index]))

    @property
    def origin(self) -> Origin:
        """Domestic or imported."""
        return Origin(int(self.model.world.brands.origin[self.brand_index]))

    @property
    def products(self) -> np.ndarray:
        """Indices of its products in the catalogue."""
        return np.flatnonzero(self.model.world.catalogue.brand == self.brand_index)

    @property
    def channels(self) -> dict[str, BrandChannel]:
        """How it may sell on each platform it has a channel on (direct or marketplace)."""
        rules = self.model.brand_rules
        return {
            name: BrandChannel(int(rules.channel[p, self.brand_index]))
            for p, name in enumerate(self.model.world.platforms.names)
            if rules.channel[p, self.brand_index] != BrandChannel.NONE
        }

    @property
    def platforms(self) -> list[str]:
        """The platforms it sells on today."""
        listed = self.model.brand_rules.listed[:, self.brand_index]
        return [n for n, on in zip(self.model.world.platforms.names, listed, strict=True) if on]

    @property
    def price_index(self) -> float:
        """Its price today as a multiple of its list price."""
        return float(self.model.brand_rules.price_index[self.brand_index])

    @property
    def gmv(self) -> float:
        """RMB sold so far (at home)."""
        return float(self.model.brand_rules.gmv_total[self.brand_index])

    @property
    def orders(self) -> int:
        """Orders shipped so far (at home)."""
        return int(self.model.brand_rules.orders_total[self.brand_index])
