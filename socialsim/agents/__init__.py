"""Mesa agents: consumers, KOCs, micro-store owners, daigou (all consumers), KOLs and brands.

Agents are views on the model's arrays; the step itself is vectorised and does
not call agent methods.
"""

from socialsim.agents.brand import Brand
from socialsim.agents.consumer import Consumer
from socialsim.agents.daigou import PersonalShopper
from socialsim.agents.influencers import KOC, KOL
from socialsim.agents.registry import ConsumerAgents
from socialsim.agents.store_owner import MicroStoreOwner

__all__ = [
    "KOC",
    "KOL",
    "Brand",
    "Consumer",
    "ConsumerAgents",
    "MicroStoreOwner",
    "PersonalShopper",
]
