"""A plain per-agent reference: the core consumer rules written the ordinary Mesa way.

:class:`~socialsim.model.SocialCommerceModel` runs each step as vectorised
phases over NumPy arrays. This module writes the same consumer rules the way a
Mesa model usually is: every consumer is a :class:`mesa.Agent` holding its own
state in Python attributes, with a ``step`` that looks at its needs, asks its
friends, searches, decides and pays, and :class:`PerAgentModel` steps them in
random order with ``model.agents.shuffle_do("step")``. It is used only by the
tests (which check that both give the same outcomes, statistically) and the
benchmarks (which report how much faster the vectorised step is); nothing in
the package depends on it.

It is slow because it is plain, not by contrivance: every consumer is visited
every day, and per open need it loops in Python over its friends and offers,
drawing scalar random numbers. Each of those costs a fraction of a microsecond
of interpreter time (an attribute lookup, a method call, a draw), where the
vectorised model pays a few nanoseconds per array element, and touches only
the rows of consumers with open needs.

Only the *core* rules are implemented, those left by :func:`reference_config`:
no KOLs, KOCs, store owners, daigou or campaign; plain platforms that sell
solo at their price level (no group buying, livestreams, micro-stores,
memberships, cross-border listings, C2M, promotions or feeds); no returns.
:class:`PerAgentModel` refuses a config with any of those switched on. What
is left, one day for one consumer, in the fast model's order:

1. **budget**: on days ``1 + pay_day + k * budget_period_days`` (after day 1)
   the budget left is refilled to the monthly budget (``income *
   budget_share``); the pay day is the world's (0 for everyone unless
   ``budget_renewal`` is staggered), and the first period's budget is prorated
   to the days until it;
2. **needs**: one uniform draw per category: an open need lapses if it is
   below ``1 / need_patience_days``, a closed one opens if it is below the
   category's ``need_rate`` (so lapse is geometric and a need's age does not
   matter);
3. **word of mouth**, per open need: the friends whose latest purchase in the
   category was in the last ``word_of_mouth_days`` days, *today excluded*,
   give social proof (their tie weight over the consumer's total tie weight);
   one of them, drawn in proportion to tie weight, offers the product they
   bought on the platform they bought it on, with the tie weight as trust;
4. **search**, per open need, if the consumer shops online: one of the
   platforms it uses, drawn in proportion to ``search_weight``, offers a
   uniformly drawn product of the category;
5. **decide**: each offer converts with ``sigmoid(logit)``, where the logit is
   :func:`~socialsim.mechanisms.purchase.conversion_logit`'s: the source's base,
   trust, the need's social proof (once per need, on the offer with the
   highest logit without it, under ``social_exposure: per_need``; on every
   offer under ``per_offer``), quality, price
   against the monthly budget weighted by price sensitivity, the
   first-purchase and offline shifts and the platform's tier appeal; a need
   with several converting offers keeps one at random; the kept purchases are
   taken in random order until the first that does not fit the budget left;
6. **pay and ship**: the price (catalogue price x price level) leaves the
   budget, the need closes, the consumer uses the platform from now on,
   becomes a customer and records the purchase (step, product, platform) for
   its friends to see.

**Sequential versus simultaneous.** In the fast model every consumer decides
against the state at the start of the day. Here consumers act one after
another, so one consumer may already have bought today when a friend asks
about it. A consumer reads only one thing of another's: its latest purchase in
the category, and only if it was made before today. To keep that exact, a
consumer that buys in a category it had bought in before keeps the superseded
purchase (:meth:`ReferenceConsumer.shown_purchase`), so its friends still see
what they would have seen at the start of the day. Everything else a
consumer reads (needs, budget, status, platforms) is its own. The two models
are therefore the same stochastic process on the same world; they differ only
in how random numbers are drawn (different streams, drawn in a different
order, so runs agree in distribution, not number for number) and in
arithmetic: the fast model computes the logit in float32, this one in float64.

Randomness: the world is built exactly as :class:`SocialCommerceModel` builds
it, from the first of two streams spawned from the model's generator, so the
same seed gives the same world. Consumers draw from the model's ``rng`` (a
:class:`numpy.random.Generator`); the only other source is Mesa's own
``model.random``, seeded from the same seed, with which ``shuffle_do``
shuffles the agents.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

import mesa
import numpy as np
import pandas as pd

from socialsim.config.platforms import plain_platform
from socialsim.config.schema import ModelConfig
from socialsim.enums import ShopperStatus, Source
from socialsim.state import first_budget
from socialsim.world.world import World, build_world

__all__ = [
    "REFERENCE_COUNTS",
    "PerAgentModel",
    "Purchase",
    "ReferenceConsumer",
    "reference_config",
    "run_outcomes",
    "unsupported",
]

# Every mechanism a platform can run, switched off: what is left is a shop that sells
# solo at its price level and is found by search.
_PLAIN_PLATFORM: dict[str, Any] = plain_platform(kol_share=0.0)

# Two plain platforms keep the platform choices in play (which one to search, where a
# friend bought, tier appeal): audiences, price levels and search weights of the
# Pinduoduo and Taobao presets, with none of their mechanisms.
_REFERENCE_PLATFORMS: dict[str, dict[str, Any]] = {
    "bargain": {
        **_PLAIN_PLATFORM,
        "initial_users": 0.35,
        "tier_appeal": 0.35,
        "price_level": 0.85,
        "search_weight": 1.0,
    },
    "market": {
        **_PLAIN_PLATFORM,
        "initial_users": 0.45,
        "tier_appeal": 0.0,
        "price_level": 1.0,
        "search_weight": 1.5,
    },
}

REFERENCE_COUNTS: tuple[str, ...] = (
    "orders",
    "buyers",
    "new_buyers",
    "customers",
    "orders_solo",
    "orders_search",
    "orders_word_of_mouth",
    "open_needs",
    "needs_opened",
    "needs_lapsed",
    "offers",
)
"""Integer columns of :meth:`PerAgentModel.step_metrics`, as in the fast model's step table.

Besides these and ``step``, the table has ``gmv``, ``gmv_solo``, ``gmv_search``,
``gmv_word_of_mouth`` (RMB) and ``penetration_t1`` ... ``penetration_tK``.
"""

_GMV_COLUMNS = ("gmv", "gmv_solo", "gmv_search", "gmv_word_of_mouth")


def _zero_tally() -> dict[str, float]:
    return dict.fromkeys(REFERENCE_COUNTS, 0) | dict.fromkeys(_GMV_COLUMNS, 0.0)


def reference_config(n_consumers: int = 2_000, **overrides: Any) -> ModelConfig:
    """Return the default world reduced to the core consumer rules the reference implements.

    The default population tiers, social network, catalogue, needs, budgets and
    conversion coefficients are kept. Removed, by config only: KOLs, KOCs,
    store owners, daigou and the marketing campaign; returns
    (``behaviour.return_rate`` 0). The platforms are two plain ones, ``bargain``
    and ``market``, with the audience, tier appeal, price level and search
    weight of the Pinduoduo and Taobao presets and every mechanism off: no
    feed, group buying, price-cut sharing, livestreams, micro-stores,
    memberships, cross-border listings, C2M or promotions. Under this config
    the fast model's only orders are solo orders from word of mouth and search.

    Parameters
    ----------
    n_consumers : int
        Number of consumers.
    **overrides
        Further dotted-key overrides applied last, as for
        :meth:`ModelConfig.with_overrides`; pass them unpacked from a dict, as in
        ``reference_config(1_000, **{"behaviour.conversion.price_weight": 2.0})``.

    Returns
    -------
    ModelConfig

    Examples
    --------
    >>> cfg = reference_config(1_000)
    >>> cfg.influencers.n_kols, cfg.stores.n_owners, sorted(cfg.platforms)
    (0, 0, ['bargain', 'market'])
    >>> doubled = reference_config(**{"behaviour.conversion.price_weight": 2.0})
    >>> doubled.behaviour.conversion.price_weight
    2.0
    """
    config = ModelConfig().with_overrides(
        {
            "population.n_consumers": n_consumers,
            "influencers.n_kols": 0,
            "influencers.n_kocs": 0,
            "stores.n_owners": 0,
            "daigou.n_shoppers": 0,
            "campaign.budget": 0.0,
            "behaviour.return_rate": 0.0,
            "population.high_net_worth_share": 0.0,
            "platforms": _REFERENCE_PLATFORMS,
        }
    )
    return config.with_overrides(overrides) if overrides else config


def unsupported(config: ModelConfig) -> list[str]:
    """Return what a config switches on that the reference does not implement.

    Parameters
    ----------
    config : ModelConfig
        The config to check.

    Returns
    -------
    list of str
        Dotted names of the settings that would have to be off (empty if none).

    Examples
    --------
    >>> unsupported(reference_config(500))
    []
    >>> unsupported(ModelConfig.small())[:2]
    ['influencers.n_kols', 'influencers.n_kocs']
    """
    found = [
        name
        for name, on in (
            ("influencers.n_kols", config.influencers.n_kols > 0),
            ("influencers.n_kocs", config.influencers.n_kocs > 0),
            ("stores.n_owners", config.stores.n_owners > 0),
            ("daigou.n_shoppers", config.daigou.n_shoppers > 0),
            ("campaign.budget", config.campaign.budget > 0),
            ("behaviour.return_rate", config.behaviour.return_rate > 0),
            ("population.high_net_worth_share", config.population.high_net_worth_share > 0),
            ("behaviour.conversion.link", config.behaviour.conversion.link != "logit"),
            (
                "behaviour.conversion.social_proof",
                config.behaviour.conversion.social_proof != "share",
            ),
        )
        if on
    ]
    found += [
        f"catalogue.categories.{name}.durable"
        for name, category in config.catalogue.categories.items()
        if category.durable
    ]
    for name, platform in config.active_platforms.items():
        switches = {
            "feed.kind": platform.feed.kind != "none",
            "group_buying.enabled": platform.group_buying.enabled,
            "livestream.enabled": platform.livestream.enabled,
            "micro_stores.enabled": platform.micro_stores.enabled,
            "membership.enabled": platform.membership.enabled,
            "promotions.rate": platform.promotions.rate > 0,
            "cross_border.enabled": platform.cross_border.enabled,
            "c2m.enabled": platform.c2m.enabled,
        }
        found += [f"platforms.{name}.{key}" for key, on in switches.items() if on]
    return found


class Purchase(NamedTuple):
    """A consumer's purchase in one category, as its friends see it."""

    step: int
    product: int
    platform: int


class _Offer(NamedTuple):
    """A product put in front of a consumer for one of its needs."""

    source: Source
    category: int
    product: int
    platform: int
    trust: float
    price: float


def _sigmoid(x: float) -> float:
    # Written so that exp never overflows, whatever the sign of x.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class ReferenceConsumer(mesa.Agent):
    """One consumer with its own state and its own ``step`` (see the module docstring).

    Parameters
    ----------
    model : PerAgentModel
        The model.
    index : int
        The consumer's row in the world's arrays (``unique_id`` is Mesa's).
    tier : int
        City tier, 1 to K.
    income : float
        Monthly disposable income, RMB.
    budget_share : float
        Share of income the consumer spends through social commerce each period.
    price_sensitivity : float
        Weight of price in the purchase logit.
    online : bool
        Whether the consumer shops online at the start.
    platforms : iterable of int
        Platforms the consumer uses at the start.
    pay_day : int
        The day of the budget period the budget renews (see
        :func:`socialsim.world.draw_pay_days`).

    Attributes
    ----------
    monthly_budget : float
        RMB the budget is refilled to each period.
    budget_left : float
        RMB left in the current period.
    status : ShopperStatus
        Offline, online, or a customer who has bought.
    platforms : set of int
        Platforms the consumer uses; buying on one makes it a user.
    needs : dict of int to int
        Open needs: category -> step the need opened.
    last_purchase : dict of int to Purchase
        Latest purchase per category.
    friends : list of (ReferenceConsumer, float)
        Social ties and their weights, in the world's order (set by the model).
    tie_total : float
        Sum of the tie weights.
    orders : int
        Orders placed so far.
    spend : float
        RMB spent so far.
    """

    model: PerAgentModel

    def __init__(
        self,
        model: PerAgentModel,
        index: int,
        *,
        tier: int,
        income: float,
        budget_share: float,
        price_sensitivity: float,
        online: bool,
        platforms: Iterable[int],
        pay_day: int = 0,
    ) -> None:
        super().__init__(model)
        self.pay_day = pay_day
        self.index = index
        self.tier = tier
        self.income = income
        # The fast model works out budgets in float32; so does this, to start from the same sums.
        self.monthly_budget = float(np.float32(income) * np.float32(budget_share))
        period = model.rules.budget_period_days
        budget = np.array([self.monthly_budget], np.float32)
        self.budget_left = float(first_budget(budget, np.array([pay_day]), period)[0])
        self.price_sensitivity = price_sensitivity
        self.status = ShopperStatus.ONLINE if online else ShopperStatus.OFFLINE
        self.platforms: set[int] = set(platforms)
        self.needs: dict[int, int] = {}
        self.last_purchase: dict[int, Purchase] = {}
        # Per category, the purchase the latest one replaced: on the day of the latest,
        # friends still see this one.
        self._replaced: dict[int, Purchase] = {}
        self.friends: list[tuple[ReferenceConsumer, float]] = []
        self.tie_total = 0.0
        self.orders = 0
        self.spend = 0.0
        self._bought_on = -1  # the last step with a purchase, to count the day's buyers

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(index={self.index}, tier={self.tier}, "
            f"status={self.status.name})"
        )

    def need_age(self, category: int) -> int:
        """Return how many days ago the open need in `category` opened (0: today)."""
        return self.model.steps - self.needs[category]

    def shown_purchase(self, category: int, step: int) -> Purchase | None:
        """Return the purchase in `category` friends see on `step`, if any.

        That is the consumer's latest purchase in the category made before
        `step`, if it was made in the last ``word_of_mouth_days`` days. A
        purchase made on `step` itself is not seen yet; the one it replaced
        still is.
        """
        purchase = self.last_purchase.get(category)
        if purchase is not None and purchase.step == step:
            purchase = self._replaced.get(category)
        if purchase is None or purchase.step < step - self.model.rules.window_days:
            return None
        return purchase

    def step(self) -> None:
        """Live one day: budget, needs, word of mouth, search, decide, pay."""
        model, rules, rng = self.model, self.model.rules, self.model.rng
        t = model.steps
        tally = model.tally

        if t > 1 and (t - 1) % rules.budget_period_days == self.pay_day:
            self.budget_left = self.monthly_budget

        # One draw per category decides both whether an open need lapses and whether a
        # closed one opens.
        draws = rng.random(len(rules.need_rate)).tolist()
        for category, (draw, rate) in enumerate(zip(draws, rules.need_rate, strict=True)):
            if category in self.needs:
                if draw < rules.lapse_prob:
                    del self.needs[category]
                    tally["needs_lapsed"] += 1
            elif draw < rate:
                self.needs[category] = t
                tally["needs_opened"] += 1
        tally["open_needs"] += len(self.needs)

        chosen: list[_Offer] = []
        for category in sorted(self.needs):
            share, offers = self._word_of_mouth(category, t)
            search = self._search(category)
            if search is not None:
                offers.append(search)
            tally["offers"] += len(offers)
            if rules.proof_once:
                # social proof once per need, on its most attractive offer (the first of equals)
                logits = [self._logit(offer, 0.0) for offer in offers]
                if logits and share:
                    best = max(range(len(logits)), key=logits.__getitem__)
                    logits[best] += rules.conversion.social_proof_weight * share
            else:
                logits = [self._logit(offer, share) for offer in offers]
            accepted = [
                offer
                for offer, logit in zip(offers, logits, strict=True)
                if rng.random() < _sigmoid(logit)
            ]
            if accepted:
                chosen.append(accepted[int(rng.integers(len(accepted)))])

        # The day's purchases in random order, until the first that does not fit the budget.
        if not chosen:
            return
        for k in rng.permutation(len(chosen)).tolist():
            offer = chosen[k]
            if offer.price > self.budget_left:
                break
            self._buy(offer, t)

    def _word_of_mouth(self, category: int, t: int) -> tuple[float, list[_Offer]]:
        """Return the social proof for a need and the offer of one buying friend, if any."""
        signal = 0.0
        buyers: list[tuple[float, Purchase]] = []
        for friend, weight in self.friends:
            purchase = friend.shown_purchase(category, t)
            if purchase is not None:
                signal += weight
                buyers.append((weight, purchase))
        share = signal / self.tie_total if self.tie_total > 0 else 0.0
        if not buyers:
            return share, []
        # One buying friend in proportion to tie weight: the first whose running total of
        # weights passes the target (the last one if rounding leaves the target beyond all).
        target = self.model.rng.random() * signal
        running = 0.0
        weight, purchase = buyers[-1]
        for weight_k, purchase_k in buyers:
            running += weight_k
            if running > target:
                weight, purchase = weight_k, purchase_k
                break
        price = self.model.rules.price[purchase.platform][purchase.product]
        offer = _Offer(
            Source.WORD_OF_MOUTH, category, purchase.product, purchase.platform, weight, price
        )
        return share, [offer]

    def _search(self, category: int) -> _Offer | None:
        """Browse one of the consumer's platforms, by search weight, for a product of `category`."""
        rules, rng = self.model.rules, self.model.rng
        if self.status == ShopperStatus.OFFLINE or not self.platforms:
            return None
        used = sorted(self.platforms)
        weights = [rules.search_weight[p] for p in used]
        total = sum(weights)
        products = rules.products[category]
        if total <= 0 or not products:
            return None
        target = rng.random() * total
        platform = used[-1]
        running = 0.0
        for p, w in zip(used, weights, strict=True):
            running += w
            if target < running:
                platform = p
                break
        product = products[int(rng.random() * len(products))]
        return _Offer(
            Source.SEARCH, category, product, platform, 0.0, rules.price[platform][product]
        )

    def _logit(self, offer: _Offer, social_share: float) -> float:
        """Return the logit of buying an offer, as ``purchase.conversion_logit`` has it."""
        rules = self.model.rules
        c = rules.conversion
        budget = max(self.monthly_budget, 1e-6)
        logit = (
            rules.base_logit[offer.source]
            + c.trust_weight * offer.trust
            + c.social_proof_weight * social_share
            + c.quality_weight * (rules.quality[offer.product] - 0.5)
            - c.price_weight * self.price_sensitivity * offer.price / budget
            + rules.tier_shift[offer.platform][self.tier]
        )
        if self.status != ShopperStatus.CUSTOMER:
            logit += c.first_purchase_shift
        if self.status == ShopperStatus.OFFLINE:
            logit += c.offline_shift
        return logit

    def _buy(self, offer: _Offer, t: int) -> None:
        """Pay, close the need, use the platform, and record the purchase for friends."""
        tally = self.model.tally
        self.budget_left -= offer.price
        del self.needs[offer.category]
        self.platforms.add(offer.platform)
        earlier = self.last_purchase.get(offer.category)
        if earlier is not None:  # made before today: one purchase per category a day
            self._replaced[offer.category] = earlier
        self.last_purchase[offer.category] = Purchase(t, offer.product, offer.platform)
        self.orders += 1
        self.spend += offer.price
        if self.status != ShopperStatus.CUSTOMER:
            self.status = ShopperStatus.CUSTOMER
            self.model.customers_by_tier[self.tier - 1] += 1
            tally["new_buyers"] += 1
        if self._bought_on != t:
            self._bought_on = t
            tally["buyers"] += 1
        tally["orders"] += 1
        tally["orders_solo"] += 1
        tally["gmv"] += offer.price
        tally["gmv_solo"] += offer.price
        name = "search" if offer.source == Source.SEARCH else "word_of_mouth"
        tally[f"orders_{name}"] += 1
        tally[f"gmv_{name}"] += offer.price


class _Rules:
    """The world's fixed numbers the consumers read, as plain Python lists and floats."""

    def __init__(self, config: ModelConfig, world: World) -> None:
        behaviour = config.behaviour
        catalogue = world.catalogue
        self.conversion = behaviour.conversion
        self.proof_once = behaviour.conversion.social_exposure == "per_need"
        self.budget_period_days = behaviour.budget_period_days
        self.window_days = behaviour.word_of_mouth_days
        self.lapse_prob = 1.0 / behaviour.need_patience_days
        self.need_rate = catalogue.need_rate.astype(np.float64).tolist()
        self.quality = catalogue.quality.astype(np.float64).tolist()
        # Products search can find, per category: the domestic ones, as no platform lists
        # imports under a supported config.
        category = catalogue.category.tolist()
        imported = catalogue.cross_border.tolist()
        self.products: list[list[int]] = [[] for _ in range(catalogue.n_categories)]
        for product, (k, is_import) in enumerate(zip(category, imported, strict=True)):
            if not is_import:
                self.products[k].append(product)
        names = world.platforms.names
        rows = [config.platforms[name] for name in names]
        self.search_weight = [r.search_weight for r in rows]
        # A platform's price: the catalogue price times its level, in whole fen, as float32.
        self.price = [
            np.round(catalogue.price.astype(np.float64) * r.price_level, 2)
            .astype(np.float32)
            .astype(np.float64)
            .tolist()
            for r in rows
        ]
        # Tier appeal: a logit shift per tier step away from the world's mean tier.
        tiers = world.population.tier.tolist()
        mean_tier = sum(tiers) / len(tiers)
        weight = self.conversion.tier_appeal_weight
        self.tier_shift = [
            [weight * r.tier_appeal * (k - mean_tier) for k in range(world.population.n_tiers + 1)]
            for r in rows
        ]
        c = self.conversion
        self.base_logit = {Source.SEARCH: c.base_search, Source.WORD_OF_MOUTH: c.base_word_of_mouth}


class PerAgentModel(mesa.Model):
    """The core consumer rules, one :class:`ReferenceConsumer` per consumer.

    Parameters
    ----------
    config : ModelConfig
        A config the reference supports (see :func:`reference_config` and
        :func:`unsupported`).
    rng : int
        The root seed; the same seed gives the same world as
        ``SocialCommerceModel(config, rng=seed)``.

    Attributes
    ----------
    config : ModelConfig
        The config, with ``run.seed`` set to the seed.
    seed : int
        The seed.
    world : World
        The world, built as the fast model builds it.
    consumers : list of ReferenceConsumer
        Consumer ``i`` is ``consumers[i]``; all of them are also in ``model.agents``.
    customers_by_tier : list of int
        Consumers per tier (index 0 is tier 1) who have bought.
    tally : dict of str to float
        The counts of the step being run.
    step_seconds : float
        Wall time spent in :meth:`step` so far.

    Raises
    ------
    ValueError
        If the config switches on something the reference does not implement.

    Examples
    --------
    >>> model = PerAgentModel(reference_config(300), rng=1)
    >>> model.run(3)
    >>> model.step_metrics()["step"].tolist()
    [1, 2, 3]
    """

    def __init__(self, config: ModelConfig, *, rng: int) -> None:
        started = time.perf_counter()
        if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
            raise TypeError(f"rng must be a non-negative int seed, got {rng!r}")
        missing = unsupported(config)
        if missing:
            raise ValueError(
                "the per-agent reference implements only the core consumer rules; "
                f"switch these off (see reference_config): {', '.join(missing)}"
            )
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.config = config.with_overrides({"run.seed": self.seed})
        # The same two streams as SocialCommerceModel: the first builds the world. Spawning
        # does not advance self.rng, which the consumers then draw from.
        world_rng, _ = self.rng.spawn(2)
        self.world: World = build_world(self.config, world_rng)
        self.rules = _Rules(self.config, self.world)
        population, network = self.world.population, self.world.network
        self.customers_by_tier = [0] * population.n_tiers
        self.tally = _zero_tally()
        self._rows: list[dict[str, float]] = []

        budget_share = self.config.behaviour.budget_share
        users = self.world.platforms.initial_users
        self.consumers = [
            ReferenceConsumer(
                self,
                i,
                tier=tier,
                income=income,
                budget_share=budget_share,
                price_sensitivity=sensitivity,
                online=online,
                platforms=np.flatnonzero(users[i]).tolist(),
                pay_day=pay_day,
            )
            for i, (tier, income, sensitivity, online, pay_day) in enumerate(
                zip(
                    population.tier.tolist(),
                    population.income.tolist(),
                    population.price_sensitivity.tolist(),
                    population.online.tolist(),
                    self.world.pay_day.tolist(),
                    strict=True,
                )
            )
        ]
        adjacency = network.adjacency
        indptr, indices = adjacency.indptr.tolist(), adjacency.indices.tolist()
        weights = adjacency.data.astype(np.float64).tolist()
        for i, consumer in enumerate(self.consumers):
            lo, hi = indptr[i], indptr[i + 1]
            consumer.friends = [
                (self.consumers[j], w) for j, w in zip(indices[lo:hi], weights[lo:hi], strict=True)
            ]
            consumer.tie_total = sum(weights[lo:hi])
        self.build_seconds = time.perf_counter() - started
        self.step_seconds = 0.0

    def step(self) -> None:
        """Advance one day: every consumer steps once, in random order; then record."""
        started = time.perf_counter()
        self.tally = _zero_tally()
        self.agents.shuffle_do("step")
        self._record()
        self.step_seconds += time.perf_counter() - started

    def run(self, steps: int) -> None:
        """Run several steps.

        Parameters
        ----------
        steps : int
            Number of steps.
        """
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        for _ in range(steps):
            self.step()

    def _record(self) -> None:
        row: dict[str, float] = {"step": self.steps, **self.tally}
        row["customers"] = sum(self.customers_by_tier)
        sizes = self.world.population.tier_counts().tolist()
        for k, (customers, size) in enumerate(zip(self.customers_by_tier, sizes, strict=True)):
            row[f"penetration_t{k + 1}"] = customers / max(size, 1)
        self._rows.append(row)

    def step_metrics(self) -> pd.DataFrame:
        """One row per step run so far, with the fast model's names and meanings.

        Columns: ``step``, :data:`REFERENCE_COUNTS`, ``gmv``, ``gmv_solo``,
        ``gmv_search``, ``gmv_word_of_mouth`` and ``penetration_t1`` ...
        ``penetration_tK`` (see :mod:`socialsim.metrics`).
        """
        n_tiers = self.world.population.n_tiers
        columns: dict[str, str] = {"step": "int64"}
        columns |= dict.fromkeys(REFERENCE_COUNTS, "int64")
        columns |= dict.fromkeys(_GMV_COLUMNS, "float64")
        columns |= {f"penetration_t{k}": "float64" for k in range(1, n_tiers + 1)}
        frame = pd.DataFrame.from_records(self._rows, columns=list(columns))
        return frame.astype(columns)


def run_outcomes(metrics: pd.DataFrame) -> dict[str, float]:
    """Return the totals of a run from its step table (the fast model's or the reference's).

    Parameters
    ----------
    metrics : pandas.DataFrame
        A step table with ``orders``, ``gmv``, ``customers``, ``orders_word_of_mouth``
        and ``orders_search``.

    Returns
    -------
    dict of str to float
        ``orders``, ``gmv``, ``customers`` (at the end), ``word_of_mouth_share``
        (of orders) and ``search_orders``.
    """
    orders = float(metrics["orders"].sum())
    return {
        "orders": orders,
        "gmv": float(metrics["gmv"].sum()),
        "customers": float(metrics["customers"].iloc[-1]) if len(metrics) else 0.0,
        "word_of_mouth_share": (
            float(metrics["orders_word_of_mouth"].sum()) / orders if orders else 0.0
        ),
        "search_orders": float(metrics["orders_search"].sum()),
    }
