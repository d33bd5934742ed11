"""Building a whole world from a config: population, graphs, creators, stores, daigou, catalogue.

Each component draws from its own random stream, spawned from the world's
generator in a fixed order, so that changing one part of the config (the
number of KOLs, say) leaves the other parts (the social graph) unchanged for
the same seed. This is what lets strategy arms share one world.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx
import numpy as np

from socialsim.config.schema import BehaviourConfig, ModelConfig
from socialsim.enums import Role
from socialsim.world._common import candidates_for, freeze_arrays
from socialsim.world.brands import Brands, build_brands
from socialsim.world.catalogue import Catalogue, build_catalogue
from socialsim.world.daigou import Daigou, build_daigou
from socialsim.world.influencers import Influencers, build_influencers
from socialsim.world.network import (
    SocialNetwork,
    generate_social_network,
    social_network_from_edges,
)
from socialsim.world.platforms import PlatformSetup, build_platform_setup
from socialsim.world.population import Population, build_population
from socialsim.world.stores import Stores, choose_store_owners

__all__ = ["World", "build_world", "draw_pay_days"]


@dataclass(frozen=True, eq=False)
class World:
    """Everything about a simulated market that does not change during a run.

    Attributes
    ----------
    config : ModelConfig
        The config it was built from.
    population : Population
        Consumers, tiers, cities, incomes.
    network : SocialNetwork
        The social graph between consumers.
    influencers : Influencers
        KOLs and KOCs and the follow graph.
    stores : Stores
        Micro-store owners.
    daigou : Daigou
        Personal shoppers who buy imports for their clients.
    catalogue : Catalogue
        Products.
    brands : Brands
        Who owns each product (``catalogue.brand``), and how each brand sells.
    platforms : PlatformSetup
        Platforms' initial users, and the homes of KOLs and stores.
    role : ndarray of int8
        :class:`~socialsim.enums.Role` of each consumer.
    pay_day : ndarray of int16
        Each consumer's pay day: its budget renews on the steps ``s > 1`` with
        ``(s - 1) % budget_period_days == pay_day`` (all 0 unless
        ``behaviour.budget_renewal`` is ``"staggered"``; see :func:`draw_pay_days`).
    labels : tuple or None
        Original node labels when the graph was supplied by the user.
    """

    config: ModelConfig
    population: Population
    network: SocialNetwork
    influencers: Influencers
    stores: Stores
    daigou: Daigou
    catalogue: Catalogue
    platforms: PlatformSetup
    role: np.ndarray
    pay_day: np.ndarray
    brands: Brands
    labels: tuple[Hashable, ...] | None = None

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_consumers(self) -> int:
        """Number of consumers."""
        return self.population.n

    def to_networkx(self) -> nx.Graph:
        """Return the social graph with node attributes ``tier``, ``city``, ``community``, ``role``.

        ``role`` is the lower-case :class:`~socialsim.enums.Role` name. When the
        world was built from a user graph, ``label`` holds the original node.
        """
        names = {int(r): r.name.lower() for r in Role}
        return self.network.to_networkx(
            {
                "tier": self.population.tier,
                "city": self.population.city,
                "role": [names[r] for r in self.role.tolist()],
            },
            labels=self.labels,
        )


def build_world(
    config: ModelConfig, rng: np.random.Generator, graph: nx.Graph | None = None
) -> World:
    """Build a world from a config.

    Parameters
    ----------
    config : ModelConfig
        The world's description.
    rng : numpy.random.Generator
        The world's random stream; eight child streams are spawned from it.
    graph : networkx.Graph, optional
        A social graph to use instead of the generated one. It must have
        ``population.n_consumers`` nodes. Node attributes ``tier`` (1..K) and
        ``city`` are used when every node has them; edge attribute ``tie``
        (``"strong"`` or ``"weak"``, default strong) and ``weight`` are read
        when present. Directed graphs are treated as undirected.

    Returns
    -------
    World

    Raises
    ------
    ConfigError
        If the config asks for more KOCs or store owners than can be drawn.
    ValueError
        If the graph does not fit the config.

    Examples
    --------
    >>> cfg = ModelConfig().with_overrides({"population.n_consumers": 3000})
    >>> world = build_world(cfg, np.random.default_rng(1))
    >>> world.n_consumers, world.catalogue.n_categories
    (3000, 6)
    """
    streams = rng.spawn(8)
    population_rng, network_rng, role_rng, influencer_rng, catalogue_rng, platform_rng = streams[:6]
    daigou_rng = streams[6]  # spawned after the others, so they do not depend on it
    pay_day_rng = streams[7]
    labels = None
    if graph is None:
        population = build_population(config.population, population_rng)
        network = generate_social_network(population, config.network, network_rng)
    else:
        labels, population, network = _from_user_graph(graph, config, population_rng)

    n = population.n
    role = np.full(n, Role.CONSUMER, dtype=np.int8)
    kocs = _choose_kocs(population.online, config.influencers.n_kocs, role_rng)
    role[kocs] = Role.KOC
    stores = choose_store_owners(
        network, population.online & (role == Role.CONSUMER), config.stores.n_owners, role_rng
    )
    role[stores.owner] = Role.STORE_OWNER
    daigou = build_daigou(
        population,
        network,
        population.online & (role == Role.CONSUMER),
        config.daigou,
        config.influencers.trust_concentration,
        daigou_rng,
    )
    role[daigou.shopper] = Role.DAIGOU
    influencers = build_influencers(population, network, kocs, config.influencers, influencer_rng)
    catalogue = build_catalogue(config.catalogue, catalogue_rng)
    platforms = build_platform_setup(
        dict(config.active_platforms),  # a platform switched off is not in the world
        population,
        influencers,
        stores,
        platform_rng,
        kol_homes=config.influencers.kol_homes,
    )
    # drawn from no stream: the world is the same with brands as without
    catalogue, brands = build_brands(config, catalogue, platforms.names)
    return World(
        config=config,
        population=population,
        network=network,
        influencers=influencers,
        stores=stores,
        daigou=daigou,
        catalogue=catalogue,
        platforms=platforms,
        role=role,
        pay_day=draw_pay_days(n, config.behaviour, pay_day_rng),
        brands=brands,
        labels=labels,
    )


def draw_pay_days(n: int, behaviour: BehaviourConfig, rng: np.random.Generator) -> np.ndarray:
    """Draw each consumer's pay day: the day of the budget period its budget renews.

    Under ``behaviour.budget_renewal = "staggered"`` pay days are uniform over
    ``0 .. budget_period_days - 1``: wages, pensions and transfers arrive on
    different days of the month, so the market as a whole renews a little
    every day (an *assumption*: no source gives the spread of pay days).
    Under ``"common"`` everyone's pay day is 0 and nothing is drawn.

    Parameters
    ----------
    n : int
        Number of consumers.
    behaviour : BehaviourConfig
        ``budget_renewal`` and ``budget_period_days``.
    rng : numpy.random.Generator
        A stream of its own (drawing from it moves no other part of the world).

    Returns
    -------
    ndarray of int16, shape (n,)

    Examples
    --------
    >>> from socialsim.config import BehaviourConfig
    >>> staggered = BehaviourConfig(budget_renewal="staggered", budget_period_days=30)
    >>> days = draw_pay_days(3000, staggered, np.random.default_rng(0))
    >>> int(days.min()), int(days.max())
    (0, 29)
    >>> draw_pay_days(3, BehaviourConfig(budget_renewal="common"), np.random.default_rng(0))
    array([0, 0, 0], dtype=int16)
    """
    if behaviour.budget_renewal == "common":
        return np.zeros(n, dtype=np.int16)
    return rng.integers(0, behaviour.budget_period_days, size=n, dtype=np.int16)


def _choose_kocs(online: np.ndarray, n_kocs: int, rng: np.random.Generator) -> np.ndarray:
    """KOCs are drawn uniformly among consumers who shop online."""
    if n_kocs == 0:
        return np.empty(0, dtype=np.int64)
    candidates = candidates_for(
        online,
        n_kocs,
        "influencers.n_kocs",
        "consumers who shop online (KOCs are drawn among them)",
    )
    return np.sort(rng.choice(candidates, size=n_kocs, replace=False)).astype(np.int64)


def _from_user_graph(
    graph: nx.Graph, config: ModelConfig, rng: np.random.Generator
) -> tuple[tuple[Hashable, ...], Population, SocialNetwork]:
    labels = tuple(graph.nodes)
    n = len(labels)
    if n != config.population.n_consumers:
        raise ValueError(
            f"the graph has {n} nodes but population.n_consumers is "
            f"{config.population.n_consumers}; set population.n_consumers={n}"
        )
    tier = city = None
    tiers = [graph.nodes[v].get("tier") for v in labels]
    if all(t is not None for t in tiers):
        tier = np.asarray(tiers)
    cities = [graph.nodes[v].get("city") for v in labels]
    if all(c is not None for c in cities):
        if tier is None:
            raise ValueError("graph nodes have 'city' but not 'tier'; give both or neither")
        city = np.asarray(cities)
    population = build_population(config.population, rng, tier=tier, city=city)

    index = {label: i for i, label in enumerate(labels)}
    # iter(): list() of the view itself would first count the edges, a second full pass
    edges = list(iter(graph.edges(data=True)))
    u = np.fromiter((index[a] for a, _, _ in edges), dtype=np.int64, count=len(edges))
    v = np.fromiter((index[b] for _, b, _ in edges), dtype=np.int64, count=len(edges))
    ties = [d.get("tie", "strong") for _, _, d in edges]
    bad = sorted({t for t in ties if t not in ("strong", "weak")}, key=str)
    if bad:
        raise ValueError(f"edge attribute 'tie' must be 'strong' or 'weak', got {bad[0]!r}")
    strong = np.array([t == "strong" for t in ties], dtype=bool)
    weight = None
    weighted = sum("weight" in d for _, _, d in edges)
    if weighted and weighted < len(edges):
        raise ValueError(
            f"edge attribute 'weight' is set on {weighted} of {len(edges)} edges; "
            "set it on all edges or none"
        )
    if weighted:
        weight = np.array([d["weight"] for _, _, d in edges], dtype=np.float64)
        if np.any(weight <= 0) or not np.all(np.isfinite(weight)):
            raise ValueError("edge attribute 'weight' must be positive and finite")
    network = social_network_from_edges(
        n,
        u,
        v,
        strong,
        weak_tie_weight=config.network.weak_tie_weight,
        community=population.city,
        weight=weight,
    )
    return labels, population, network
