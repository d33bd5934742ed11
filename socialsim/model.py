"""The social commerce model: a Mesa model whose step is a fixed sequence of vectorised phases.

One step is one day:

1. **the new day**: today's date and festivals (the calendar) and shocks (a
   lockdown brings offline consumers online and raises demand; a regulator
   fines or changes a rule); budgets renew each period, the cross-border quota each
   year; membership terms renew or end; needs open and lapse; promotions start
   and end and members get price protection refunds; orders shipped
   ``return_days`` ago are returned (refunded) or kept (streamers are paid);
   overseas consumers order through the export channel (which changes no
   domestic state);
2. **content**: KOLs post and KOCs review to their current followers; on a
   marketing campaign's days, the campaign buys sponsored posts;
3. **word of mouth and feeds**: for every open need, friends' recent
   purchases give social proof and an offer on the friend's platform; each
   platform's social or algorithmic feed shows its users a product;
4. **search** on one of the consumer's platforms;
5. **livestreams and stores**: KOLs go live with limited stock to followers
   and platform traffic; store owners promote to their strong ties;
6. **decide**: every offer converts by a logit (shifted by the components'
   ``logit_shift``: members' loyalty, waiting for a promotion); one purchase
   per need, within budget;
7. **settle**: livestream stock is served first come, first served; imports
   over the personal quota are blocked; ordinary buyers choose solo or group;
   groups open, are shared with friends and joined by strangers, and complete
   (ship) or expire (refund in full); store sales pay commission up the
   recruitment tree;
8. **after the sale**: followers grow after good sessions and churn after bad
   ones; users join paid memberships; store owners recruit; a regulator may
   act on its day;
9. **record**: made-to-order batches due are made and today's close, which
   sets tomorrow's C2M prices; the order log, the per-step row and the
   per-platform and per-tier rows.

Each mechanism is a component in its own module under
:mod:`socialsim.mechanisms` (the hooks are documented in
:mod:`socialsim.mechanisms.component`); this module builds the world, composes
the components and calls them phase by phase. All randomness flows from the
model's ``numpy.random.Generator`` (Mesa's ``rng``): child streams are spawned
from it, one that builds the world and one from which every draw of the day is
keyed by purpose and day (:mod:`socialsim.streams`), so the same seed always
gives the same numbers, bit for bit, with threads or without, and two runs of
one seed that differ in one lever keep their other draws in step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import mesa
import networkx as nx
import numpy as np
from tqdm import tqdm

from socialsim import _threads, plugins
from socialsim.agents import KOL, Brand, ConsumerAgents
from socialsim.checkout import Checkout, per_need
from socialsim.columns import MetricColumn
from socialsim.config.schema import ModelConfig
from socialsim.day import Day
from socialsim.enums import ShopperStatus
from socialsim.mechanisms.assortment import Assortment
from socialsim.mechanisms.audience import Audience
from socialsim.mechanisms.brands import Brands
from socialsim.mechanisms.calendar import Calendar
from socialsim.mechanisms.campaign import Campaign
from socialsim.mechanisms.component import Component
from socialsim.mechanisms.cross_border import CrossBorder
from socialsim.mechanisms.daigou import Daigou
from socialsim.mechanisms.exports import Exports
from socialsim.mechanisms.feeds import Feeds
from socialsim.mechanisms.group_buying import GroupBuying
from socialsim.mechanisms.livestream import Livestreams
from socialsim.mechanisms.made_to_order import MadeToOrder
from socialsim.mechanisms.membership import Membership
from socialsim.mechanisms.needs import Needs
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.posts import CreatorPosts
from socialsim.mechanisms.pricing import Pricing
from socialsim.mechanisms.resellers import MicroStores
from socialsim.mechanisms.returns import Returns
from socialsim.mechanisms.search import Search
from socialsim.mechanisms.shocks import Shocks
from socialsim.mechanisms.word_of_mouth import WordOfMouth
from socialsim.metrics import (
    BUILTIN_COLUMNS,
)
from socialsim.recording import Recording
from socialsim.results import ModelResults
from socialsim.runs import Runs
from socialsim.state import ConsumerState
from socialsim.streams import RandomStreams
from socialsim.world.cache import WorldCache
from socialsim.world.memory import check_memory
from socialsim.world.world import World, build_world

__all__ = [
    "BUILTIN_COMPONENTS",
    "MECHANISM_COLUMNS",
    "SocialCommerceModel",
    "builtin_columns",
    "enabled_plugins",
    "fresh_seed",
    "mechanism_columns",
]

SeedLike = int | np.random.SeedSequence | np.random.Generator | None


class SocialCommerceModel(ModelResults, mesa.Model):
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
    components : sequence of Component classes or factories, optional
        Mechanisms of one's own, after the built-in ones and the plug-ins.
    agents : {"auto", "eager", "lazy"}
        When consumer agents are created: ``"auto"`` all at build time in worlds
        of at most ``agents.eager_consumer_limit`` consumers, otherwise each on
        first access (KOCs, store owners and daigou at build time); ``"lazy"``
        every one on first access (what a sweep's worker uses: it never looks
        at them). No number of the run depends on it.
    worlds : WorldCache, optional
        Take the world from this cache, or build it and put it there
        (:class:`~socialsim.world.cache.WorldCache`): runs of one seed whose
        configs agree on everything the world is built from share it.

    Raises
    ------
    MemoryLimitError
        Before anything is built, if the world would need more memory than the
        machine has available (see :func:`socialsim.world.memory.check_memory`;
        ``SOCIALSIM_SKIP_MEMORY_CHECK=1`` skips the check).

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
    brands : list of Brand
        Brand agents; their decisions are taken by ``brand_rules``
        (:class:`~socialsim.mechanisms.brands.Brands`).
    campaign_category : str
        The category a marketing campaign promotes (``campaign.category``, or the
        one with the highest influencer affinity).
    campaign_product : int
        The product a marketing campaign promotes: chosen from the world without
        drawing random numbers (see
        :func:`~socialsim.mechanisms.campaign.promoted_product`), so it is the
        same whether or not the campaign runs.

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
        components: Sequence[type[Component] | Callable[..., Component]] = (),
        agents: Literal["auto", "eager", "lazy"] = "auto",
        worlds: WorldCache | None = None,
    ) -> None:
        started = time.perf_counter()
        config = ModelConfig() if config is None else config
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
        if agents not in ("auto", "eager", "lazy"):
            raise ValueError(f"agents must be 'auto', 'eager' or 'lazy', got {agents!r}")
        # refused now with the estimate, rather than killed by the OS halfway through the build
        check_memory(config)
        seed, source = _seed_source(config.run.seed if rng is None else rng)
        super().__init__(rng=source)
        self.seed = seed
        # Record the seed actually used; None when it cannot be written as one integer.
        self.config = config.with_overrides({"run.seed": seed})

        # The world from one stream; every draw of the day from streams keyed by purpose and
        # day (socialsim.streams), so that a lever's change moves no unrelated draw.
        world_rng, behaviour_rng = self.rng.spawn(2)
        self.streams = RandomStreams(behaviour_rng.bit_generator.seed_seq)
        if worlds is None or graph is not None or seed is None:
            self.world: World = build_world(self.config, world_rng, graph=graph)
        else:
            self.world = worlds.get(self.config, seed, world_rng)
        self.state = ConsumerState.initial(self.world)
        self.runs = Runs.single(self.world.n_consumers)
        self._compose(components)
        small = self.world.n_consumers <= self.config.agents.eager_consumer_limit
        eager = agents == "eager" or (agents == "auto" and small)
        self.kols = [KOL(self, k) for k in range(self.world.influencers.n_kols)]
        self.consumers = ConsumerAgents(self, eager=eager, roles=agents != "lazy")
        self.brands = [Brand(self, b) for b in range(self.world.brands.n_brands)]
        self.build_seconds = time.perf_counter() - started
        self.step_seconds = 0.0

    def _compose(self, components: Sequence[type[Component] | Callable[..., Component]]) -> None:
        """Create the mechanisms, the checkout and the recording on the model's world and state."""
        # Mechanisms from outside the package: installed plug-ins whose section is enabled,
        # then those given here; each draws from a stream of its own, spawned after the
        # built-in ones, so that adding one shifts no built-in draw.
        factories = [*enabled_plugins(self.config), *components]
        self.components: list[Component] = [
            factory(self, rng=self.rng.spawn(1)[0]) for factory in factories
        ]
        self.columns: tuple[MetricColumn, ...] = (
            *builtin_columns(self.config),
            *(column for c in self.components for column in c.columns_for(self.config)),
        )
        # Which products each platform lists (brands come and go), and how often its draws
        # land on an import; `listed` changes in place.
        self.assortment = Assortment.of(
            self.config,
            self.world,
            self.runs.layout.product.run if self.runs.batched else None,
        )
        self.import_share, self.listed = self.assortment.import_share, self.assortment.listed
        # Creators' followers and their trust: posts, livestreams and the campaign reach them.
        self.audience = Audience.of(self.world.influencers)

        # The built-in mechanisms, each a component that owns its parameters, state and
        # columns; each draws from its own streams (Component.random), by purpose and day.
        self.calendar = Calendar(self)
        self.shocks = Shocks(self)
        self.needs = Needs(self)
        self.pricing = Pricing(self)
        self.brand_rules = Brands(self)  # before anything reads what the platforms list
        self.made_to_order = MadeToOrder(self)  # sets the C2M factor of pricing's book
        self.posts = CreatorPosts(self)
        self.word_of_mouth = WordOfMouth(self)
        self.feeds = Feeds(self)
        self.search = Search(self)
        self.membership = Membership(self)
        self.cross_border = CrossBorder(self)
        self.daigou = Daigou(self)
        self.campaign = Campaign(self)
        self.group_buying = GroupBuying(self)
        self.returns = Returns(self)
        self.livestream = Livestreams(self)
        self.stores = MicroStores(self)
        # overseas consumers and the export channel, built from a stream of their own
        self.exports = Exports(self)

        # The checkout prices, decides, charges and ships for every channel; what hears of
        # shipped orders, in this order (then the plug-ins):
        self.checkout = Checkout(
            self,
            shipped=[
                self.feeds.shipped,
                self.made_to_order.shipped,
                self.cross_border.shipped,
                self.membership.shipped,
                self.campaign.shipped,
                self.brand_rules.shipped,  # draws the fakes found, which returns send back
                self.returns.shipped,
                self.stores.shipped,
            ],
        )
        # mechanisms with tables of their own (ModelResults.component_tables)
        self.table_mechanisms = [self.brand_rules, self.exports, *self.components]
        self.recording = self._recording()
        self.order_log = self.recording.orders
        # Zeroed between uses: a dense per-need lookup table (see checkout.per_need).
        self._need_scratch = np.zeros(self.state.need.shape, dtype=np.float32)

    def _recording(self) -> Any:
        """Return what writes the model's tables day by day."""
        return Recording(self, self.columns)

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance one day (see the module docstring for the phases)."""
        started = time.perf_counter()
        # (Mesa counted the step; in a batched ensemble each counter is one per run)
        day = Day.start(self.steps, self.world.population.n_tiers, self.columns, self.runs.n)
        self.streams.begin_day()
        threaded = _threads.use_threads(self.world.n_consumers)

        # 1. needs, budgets, quotas, prices, memberships; earlier orders are returned or kept
        for mechanism in (
            self.calendar,  # today's date and festivals, which needs and pricing read
            self.shocks,  # lockdowns (demand, first-time online shoppers) and regulators
            self.word_of_mouth,  # looks up who bought lately, on a second thread if large
            self.needs,
            self.cross_border,
            self.brand_rules,  # on review days, before today's prices are set
            self.pricing,
            self.membership,
            self.returns,
            self.exports,  # overseas orders: reads who bought lately, changes no domestic state
            *self.components,
        ):
            mechanism.start_day(day)

        # 2. content: posts reach current followers with today's trust; sponsored posts
        content = [self.posts.content(day), self.campaign.content(day)]
        content += [o for c in self.components if (o := c.content(day)) is not None]
        # Today's livestreams only read the state that phases 3 and 4 read.
        livestreams = _threads.run_later(threaded, self.livestream.draw, day.step)

        # 3. word of mouth and feeds, for every open need (after posts may have sparked some)
        needs = self.needs.open(day)
        self.group_buying.see_needs(needs)  # who could join a group today
        signals = self.word_of_mouth.signals(day, needs)
        friend_platform = self.word_of_mouth.friend_platform(needs, signals)
        feeds = self.feeds.feed_offers(day, needs, signals, friend_platform)
        # a friend's purchase a social feed showed is not offered again by word of mouth
        friends = self.word_of_mouth.friend_offers(
            needs, signals, friend_platform, self.feeds.carried
        )

        # 4. search, by consumers who already shop online, on one of their platforms
        search = self.search.search_offers(day, needs)

        # 5. livestream sessions, daigou and store owners' promotions (which may meet no
        # open need; a livestream offer stands only for a viewer with a need or an impulse)
        live = self.livestream.open(livestreams.result(), day)
        more = [self.daigou.offers(day), self.stores.offers(day)]
        more += [o for c in self.components if (o := c.offers(day)) is not None]

        # 6. decide: offers convert by the logit, one purchase per need, within budget
        offers = Offers.concat([*content, friends, *feeds, search, live, *more])
        by_count = self.config.behaviour.conversion.social_proof == "count"
        social_proof = per_need(
            signals.social_count if by_count else signals.social_share,
            needs.consumer,
            needs.category,
            offers,
            self._need_scratch,
        )
        purchases, paid = self.checkout.decide(day, offers, social_proof)
        if self.runs.batched:
            day.count["offers"] = self.runs.count(self.runs.of_consumers(offers.consumer))
        else:
            day.count["offers"] = len(offers)
        self.recording.count_offers(day, offers)

        # 7. settle: stock, quota, fees, group or solo, pay; groups open, are shared, close
        purchases, paid = self.livestream.serve_stock(day, purchases, paid)
        purchases, paid = self.cross_border.screen(day, purchases, paid)
        paid = self.daigou.charge_fees(day, purchases, paid)
        in_group = self.group_buying.claim(day, purchases)
        solo, solo_paid = purchases.take(~in_group), paid[~in_group]
        self.checkout.pay(solo, solo_paid)
        self.checkout.ship(day, solo, solo_paid, group=np.full(len(solo), -1, dtype=np.int64))
        self.group_buying.buy(day, purchases.take(in_group))
        self.group_buying.close(day)

        # 8. after the sale: followers, memberships, store recruitment, regulators
        for mechanism in (self.livestream, self.membership, self.stores, *self.components):
            mechanism.after_sale(day)

        # 9. record
        for mechanism in (
            self.livestream,
            self.membership,
            self.stores,
            self.feeds,
            self.brand_rules,
            self.made_to_order,  # batches made and closed; tomorrow's C2M prices
            *self.components,
        ):
            mechanism.end_day(day)
        self.recording.record(day)
        self.step_seconds += time.perf_counter() - started

    # ------------------------------------------------------------------ running

    def seed_adopters(self, consumers: Any, category: int = 0) -> None:
        """Make consumers initial adopters, as if each had bought `category` on day 0.

        Their friends see the purchase from day 1 for ``word_of_mouth_days``
        days; they count as customers and use the platform they bought on
        (the first they use, or the first platform if they use none). The
        product is the category's first product. Seeding a cascade with
        chosen consumers is how influence-maximisation experiments start
        (Kempe, Kleinberg and Tardos 2003).

        Parameters
        ----------
        consumers : array_like of int
            Consumer indices (positions, not graph labels).
        category : int
            The category they bought.

        Raises
        ------
        RuntimeError
            If the model has already stepped.
        ValueError
            If a consumer or the category is out of range.

        Examples
        --------
        >>> model = SocialCommerceModel(ModelConfig.small(n_consumers=200), rng=1)
        >>> model.seed_adopters([0, 5])
        >>> int(model.state.customers().sum())
        2
        """
        if self.steps:
            raise RuntimeError(
                f"seed adopters before the first step (this model is on day {self.steps})"
            )
        seeds = np.unique(np.asarray(consumers, dtype=np.int64))
        n, n_categories = self.world.n_consumers, self.world.catalogue.n_categories
        if seeds.size and (seeds[0] < 0 or seeds[-1] >= n):
            raise ValueError(
                f"consumers must be in 0..{n - 1}, got {seeds[0] if seeds[0] < 0 else seeds[-1]}"
            )
        if not 0 <= category < n_categories:
            raise ValueError(f"category must be in 0..{n_categories - 1}, got {category}")
        state = self.state
        platform = np.argmax(state.uses[seeds], axis=1)  # 0 when a seed uses none
        state.last_purchase_step[seeds, category] = 0
        state.last_product[seeds, category] = self.world.catalogue.category_start[category]
        state.last_platform[seeds, category] = platform
        state.need[seeds, category] = False
        state.set_uses(seeds, platform)
        new = seeds[state.status[seeds] != ShopperStatus.CUSTOMER]
        state.status[new] = ShopperStatus.CUSTOMER
        self.checkout.customers_by_tier += np.bincount(
            self.world.population.tier[new], minlength=len(self.checkout.customers_by_tier) + 1
        )[1:]

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


BUILTIN_COMPONENTS: tuple[type[Component], ...] = (
    Needs,
    Pricing,
    MadeToOrder,
    CreatorPosts,
    WordOfMouth,
    Feeds,
    Search,
    Livestreams,
    Daigou,
    MicroStores,
    GroupBuying,
    CrossBorder,
    Membership,
    Returns,
    Campaign,
    Calendar,
    Brands,
    Shocks,
    Exports,
)
"""The built-in mechanisms, in the order of the day; their columns follow in this order."""

MECHANISM_COLUMNS: tuple[MetricColumn, ...] = (
    *BUILTIN_COLUMNS,
    *(column for component in BUILTIN_COMPONENTS for column in component.columns),
)
"""The built-in mechanisms' step columns that every model records, after the core ones.

Some options add columns of their own (:meth:`Component.columns_for`); those of a
given config are :func:`builtin_columns`."""


def builtin_columns(config: ModelConfig) -> tuple[MetricColumn, ...]:
    """Return the core and built-in mechanisms' step columns of a model of `config`.

    :data:`MECHANISM_COLUMNS`, and the columns some options add (a component's
    :meth:`~socialsim.mechanisms.component.Component.columns_for`), in the
    components' order.

    Examples
    --------
    >>> builtin_columns(ModelConfig()) == MECHANISM_COLUMNS
    True
    """
    return (
        *BUILTIN_COLUMNS,
        *(column for component in BUILTIN_COMPONENTS for column in component.columns_for(config)),
    )


def enabled_plugins(config: ModelConfig) -> list[type[Component]]:
    """Return the installed plug-in components whose config section is enabled, by name."""
    registered = plugins.components()
    return [
        registered[name]
        for name, section in sorted(config.extensions.items())
        if getattr(section, "enabled", False) and name in registered
    ]


def mechanism_columns(
    config: ModelConfig, components: Sequence[Any] = ()
) -> tuple[MetricColumn, ...]:
    """Return the step table's mechanism columns of a model of `config` (after the core ones).

    The built-in mechanisms' columns, then those of the enabled plug-ins and of
    `components` (classes, or factories from ``Component.with_config``).
    """
    extra = [*enabled_plugins(config), *components]
    return (
        *builtin_columns(config),
        *(column for c in extra for column in getattr(c, "component", c).columns_for(config)),
    )


def fresh_seed() -> int:
    """Return a new root seed from fresh OS entropy: 63 bits, a seed ``run.seed`` takes.

    Short enough to retype, too many to collide by chance. A model built without
    a seed draws one this way and records it.

    Examples
    --------
    >>> 0 <= fresh_seed() < 2**63
    True
    """
    return int(np.random.SeedSequence().entropy) >> 65


def _seed_source(
    rng: SeedLike,
) -> tuple[int | None, int | np.random.SeedSequence | np.random.Generator]:
    """Return the integer seed to record and what to hand to Mesa as ``rng``.

    A SeedSequence is copied, so that spawning the model's streams does not
    advance the caller's sequence: the same sequence always gives the same run.
    A Generator is used as is; it is a stream, and a second model continues it.
    """
    if rng is None:
        fresh = fresh_seed()
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
