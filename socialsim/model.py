"""The social commerce model: a Mesa model whose step is a fixed sequence of vectorised phases.

One step is one day:

1. **needs**: budgets renew at the start of each period; needs open and lapse;
2. **content**: KOLs post and KOCs review; followers who see a post get an offer
   (and sometimes a new need);
3. **word of mouth**: for every open need, friends' recent purchases give
   social proof and an offer;
4. **search**: online consumers with an open need browse a product of the category;
5. *(group buying, livestreams, micro-store selling: the mechanisms issue
   inserts its phases here, each producing offers or orders)*;
6. **purchase**: offers convert by a logit, one purchase per need, within budget;
7. **record**: state, order log and the step's metrics row.

All randomness flows from the model's ``numpy.random.Generator`` (Mesa's
``rng``): two child streams are spawned from it, one that builds the world and
one for behaviour, so the same seed always gives the same numbers, bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from importlib.metadata import version
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from scipy.special import expit
from tqdm import tqdm

from socialsim._csr import entry_rows
from socialsim._version import __version__
from socialsim.agents import KOL, ConsumerAgents
from socialsim.config.schema import ModelConfig
from socialsim.enums import Channel, InfluencerKind, ShopperStatus, Source
from socialsim.mechanisms.needs import renew_budgets, update_needs
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.posts import draw_posts, post_offers
from socialsim.mechanisms.purchase import conversion_logit, select_purchases
from socialsim.mechanisms.word_of_mouth import friend_signals, word_of_mouth_offers
from socialsim.metrics import OrderLog, StepRecorder
from socialsim.state import ConsumerState
from socialsim.world.world import World, build_world

__all__ = ["SocialCommerceModel"]

SeedLike = int | np.random.SeedSequence | np.random.Generator | None


class SocialCommerceModel(mesa.Model):
    """Social commerce in a tiered-city market.

    Parameters
    ----------
    config : ModelConfig, optional
        The world and its behaviour; the default world if omitted.
    rng : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        The root seed. If omitted, ``config.run.seed`` is used, and if that is
        None too, fresh entropy is drawn and recorded in :attr:`seed`.
    graph : networkx.Graph, optional
        A social graph to use instead of the generated one (see
        :func:`socialsim.world.build_world` for the attributes it may carry).

    Attributes
    ----------
    config : ModelConfig
        The config, with ``run.seed`` set to the seed actually used.
    seed : int or None
        The root seed (None when a Generator was passed).
    world : World
        Population, graphs, creators, stores and catalogue (read-only).
    state : ConsumerState
        The consumers' changing arrays.
    consumers : ConsumerAgents
        Consumer agents, ``model.consumers[i]``.
    kols : list of KOL
        KOL agents.

    Examples
    --------
    >>> model = SocialCommerceModel(ModelConfig.small(), rng=42)
    >>> model.run(10)
    >>> metrics = model.step_metrics()
    >>> len(metrics), int(metrics["step"].iloc[-1])
    (10, 10)
    """

    def __init__(
        self,
        config: ModelConfig | None = None,
        *,
        rng: SeedLike = None,
        graph: nx.Graph | None = None,
    ) -> None:
        started = time.perf_counter()
        config = ModelConfig() if config is None else config
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
        seed, source = _seed_source(config.run.seed if rng is None else rng)
        super().__init__(rng=source)
        self.seed = seed
        # Record the seed actually used; None when it cannot be written as one integer.
        self.config = config.with_overrides({"run.seed": seed})

        world_rng, self._behaviour_rng = self.rng.spawn(2)
        self.world: World = build_world(self.config, world_rng, graph=graph)
        self.state = ConsumerState.initial(self.world)
        self._customers_by_tier = np.zeros(self.world.population.n_tiers, dtype=np.int64)
        self._recorder = StepRecorder(self.world.population.tier_counts())
        self._orders = OrderLog(self.world.catalogue.category_names)

        eager = self.world.n_consumers <= self.config.agents.eager_consumer_limit
        self.kols = [KOL(self, k) for k in range(self.world.influencers.n_kols)]
        self.consumers = ConsumerAgents(self, eager=eager)
        self.build_seconds = time.perf_counter() - started
        self.step_seconds = 0.0

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance one day (see the module docstring for the phases)."""
        started = time.perf_counter()
        t = self.steps  # Mesa has already counted this step
        cfg = self.config.behaviour
        world, state, rng = self.world, self.state, self._behaviour_rng
        catalogue, population = world.catalogue, world.population

        # 1. needs
        renew_budgets(state, t, cfg.budget_period_days)
        opened, lapsed = update_needs(state, catalogue.need_rate, cfg.need_patience_days, rng)

        # 2. content
        posts = draw_posts(world.influencers, catalogue, state, t, cfg.word_of_mouth_days, rng)
        content = post_offers(posts, world.influencers, catalogue, state, cfg.post_sparks_need, rng)

        # 3. word of mouth, for every open need (after posts may have sparked some)
        need_consumer, need_category = np.nonzero(state.need)
        signals = friend_signals(
            world.network.adjacency,
            state.last_purchase_step,
            state.last_product,
            t,
            cfg.word_of_mouth_days,
            need_consumer,
            need_category,
            rng,
        )
        friends = word_of_mouth_offers(need_consumer, need_category, signals)

        # 4. search, by consumers who already shop online
        online = state.status[need_consumer] != ShopperStatus.OFFLINE
        search = Offers.build(
            need_consumer[online],
            need_category[online],
            catalogue.random_products(need_category[online], rng),
            Source.SEARCH,
            0.0,
        )

        # 5. (group buying, livestreams and micro-stores slot in here)

        # 6. purchase
        offers = Offers.concat([content, friends, search])
        n_categories = catalogue.n_categories
        need_key = need_consumer.astype(np.int64) * n_categories + need_category
        offer_key = offers.consumer.astype(np.int64) * n_categories + offers.category
        social_share = signals.social_share[np.searchsorted(need_key, offer_key)]
        logit = conversion_logit(
            offers,
            social_share,
            catalogue.price,
            catalogue.quality,
            population.price_sensitivity,
            state.monthly_budget,
            state.status,
            cfg.conversion,
        )
        accepted = rng.random(len(offers), dtype=np.float32) < expit(logit)
        bought = select_purchases(offers, accepted, catalogue.price, state.budget_left, rng)

        # 7. record
        kol_posts = int(
            np.count_nonzero(world.influencers.kind[posts.creator] == InfluencerKind.KOL)
        )
        self._record(
            t,
            offers,
            bought,
            funnel={
                "open_needs": int(need_consumer.size),
                "needs_opened": opened,
                "needs_lapsed": lapsed,
                "offers": len(offers),
                "kol_posts": kol_posts,
                "koc_posts": len(posts) - kol_posts,
            },
        )
        self.step_seconds += time.perf_counter() - started

    def _record(self, t: int, offers: Offers, bought: np.ndarray, funnel: dict[str, int]) -> None:
        state, world = self.state, self.world
        buyer = offers.consumer[bought]
        category = offers.category[bought]
        product = offers.product[bought]
        price = world.catalogue.price[product]
        channel = np.full(bought.size, Channel.SOLO, dtype=np.int8)
        source = offers.source[bought]

        state.need[buyer, category] = False
        state.last_purchase_step[buyer, category] = t
        state.last_product[buyer, category] = product
        np.subtract.at(state.budget_left, buyer, price)
        np.add.at(state.orders, buyer, 1)
        np.add.at(state.spend, buyer, price.astype(np.float64))
        first_time = np.unique(buyer[state.status[buyer] != ShopperStatus.CUSTOMER])
        state.status[first_time] = ShopperStatus.CUSTOMER
        tiers = world.population.tier[first_time]
        self._customers_by_tier += np.bincount(tiers, minlength=len(self._customers_by_tier) + 1)[
            1:
        ]

        if self.config.run.record_orders:
            self._orders.append(
                step=np.full(bought.size, t, dtype=np.int32),
                buyer=buyer,
                tier=world.population.tier[buyer],
                product=product,
                category=category,
                price=price,
                channel=channel,
                source=source,
            )
        self._recorder.record(
            t,
            price=price,
            channel=channel,
            source=source,
            buyer=buyer,
            new_buyers=first_time.size,
            customers_by_tier=self._customers_by_tier,
            funnel=funnel,
        )

    # ------------------------------------------------------------------ running

    def run(
        self,
        steps: int | None = None,
        *,
        progress: bool = False,
        callback: Callable[[SocialCommerceModel], None] | None = None,
    ) -> None:
        """Run several steps.

        Parameters
        ----------
        steps : int, optional
            Number of steps; ``config.run.steps`` if omitted.
        progress : bool
            Show a progress bar (tqdm) on standard error.
        callback : callable, optional
            Called with the model after every step.
        """
        steps = self.config.run.steps if steps is None else steps
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        bar = tqdm(total=steps, desc="simulating", unit="day", disable=not progress, leave=False)
        with bar:
            for _ in range(steps):
                self.step()
                bar.update()
                if callback is not None:
                    callback(self)

    # ------------------------------------------------------------------ results

    def step_metrics(self) -> pd.DataFrame:
        """One row per step run so far; see :mod:`socialsim.metrics` for the columns."""
        return self._recorder.frame()

    def orders(self) -> pd.DataFrame:
        """Every order so far (empty if ``run.record_orders`` is off)."""
        return self._orders.frame()

    def summary(self) -> dict[str, Any]:
        """Run totals and provenance: seed, config hash, versions, wall time."""
        metrics = self._recorder.frame()
        tiers = self.world.population.tier_counts()
        n_tiers = tiers.size
        gmv = float(metrics["gmv"].sum()) if len(metrics) else 0.0
        orders = int(metrics["orders"].sum()) if len(metrics) else 0
        return {
            "socialsim_version": __version__,
            "mesa_version": version("mesa"),
            "numpy_version": np.__version__,
            "seed": self.seed,
            "config_hash": self.config.config_hash(),
            "steps": int(self.steps),
            "n_consumers": self.world.n_consumers,
            "n_edges": self.world.network.n_edges,
            "n_kols": self.world.influencers.n_kols,
            "n_kocs": int(self.world.influencers.n - self.world.influencers.n_kols),
            "n_store_owners": self.world.stores.n,
            "gmv": gmv,
            "orders": orders,
            "average_order_value": gmv / orders if orders else None,
            "customers": int(self._customers_by_tier.sum()),
            "penetration": float(self._customers_by_tier.sum() / self.world.n_consumers),
            "penetration_by_tier": {
                f"t{k}": float(self._customers_by_tier[k - 1] / max(tiers[k - 1], 1))
                for k in range(1, n_tiers + 1)
            },
            "build_seconds": round(self.build_seconds, 4),
            "step_seconds": round(self.step_seconds, 4),
        }

    # ------------------------------------------------------------------ graphs

    @cached_property
    def graph(self) -> nx.Graph:
        """The social graph as networkx (built on first access; see :meth:`World.to_networkx`)."""
        return self.world.to_networkx()

    @cached_property
    def follow_graph(self) -> nx.DiGraph:
        """Who follows whom, as a networkx DiGraph, edges from creator to follower.

        KOL nodes are ``("kol", k)``; consumers (KOCs included) are their
        indices. Edge attribute ``trust`` is the follower's trust in the creator.
        """
        creators = self.world.influencers
        follows = creators.follows
        graph = nx.DiGraph()
        node = [("kol", k) if c < 0 else int(c) for k, c in enumerate(creators.consumer.tolist())]
        rows = entry_rows(follows.indptr)
        graph.add_nodes_from(node[k] for k in range(creators.n_kols))
        graph.add_edges_from(
            (node[k], int(i), {"trust": float(w)})
            for k, i, w in zip(
                rows.tolist(), follows.indices.tolist(), follows.data.tolist(), strict=True
            )
        )
        return graph


def _seed_source(
    rng: SeedLike,
) -> tuple[int | None, int | np.random.SeedSequence | np.random.Generator]:
    """Return the integer seed to record and what to hand to Mesa as ``rng``.

    A SeedSequence is copied, so that spawning the model's streams does not
    advance the caller's sequence: the same sequence always gives the same run.
    A Generator is used as is; it is a stream, and a second model continues it.
    """
    if rng is None:
        # 63 bits of fresh entropy: short enough to retype, too many to collide by chance
        fresh = int(np.random.SeedSequence().entropy) >> 65
        return fresh, fresh
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError("rng must be an int, a SeedSequence or a Generator, not a bool")
    if isinstance(rng, (int, np.integer)):
        if rng < 0:
            raise ValueError(f"seed must be >= 0, got {rng}")
        return int(rng), int(rng)
    if isinstance(rng, np.random.SeedSequence):
        copy = np.random.SeedSequence(
            rng.entropy,
            spawn_key=rng.spawn_key,
            pool_size=rng.pool_size,
            n_children_spawned=rng.n_children_spawned,
        )
        plain = not rng.spawn_key and not rng.n_children_spawned
        as_int = isinstance(rng.entropy, (int, np.integer))
        return (int(rng.entropy) if plain and as_int else None), copy
    if isinstance(rng, np.random.Generator):
        return None, rng
    raise TypeError(f"rng must be an int, a SeedSequence or a Generator, got {type(rng).__name__}")
