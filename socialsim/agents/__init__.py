"""Mesa agents: consumers, KOCs, micro-store owners, daigou (all consumers) and KOLs.

Agents are views on the model's arrays; the step itself is vectorised and does
not call agent methods.
"""

from socialsim.agents.consumer import Consumer
from socialsim.agents.daigou import PersonalShopper
from socialsim.agents.influencers import KOC, KOL
from socialsim.agents.registry import ConsumerAgents
from socialsim.agents.store_owner import MicroStoreOwner

__all__ = ["KOC", "KOL", "Consumer", "ConsumerAgents", "MicroStoreOwner", "PersonalShopper"]
