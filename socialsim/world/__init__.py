"""The simulated market's fixed parts: consumers, graphs, creators, stores, daigou and products."""

from socialsim.world.catalogue import Catalogue, build_catalogue
from socialsim.world.daigou import Daigou, build_daigou
from socialsim.world.influencers import Influencers, build_influencers, kol_segment
from socialsim.world.network import (
    SocialNetwork,
    generate_social_network,
    social_network_from_edges,
)
from socialsim.world.population import Population, apportion, build_population
from socialsim.world.stores import Stores, choose_store_owners
from socialsim.world.world import World, build_world

__all__ = [
    "Catalogue",
    "Daigou",
    "Influencers",
    "Population",
    "SocialNetwork",
    "Stores",
    "World",
    "apportion",
    "build_catalogue",
    "build_daigou",
    "build_influencers",
    "build_population",
    "build_world",
    "choose_store_owners",
    "generate_social_network",
    "kol_segment",
    "social_network_from_edges",
]
