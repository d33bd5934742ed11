"""The checkout: price an offer, decide, pay, ship. One module, shared by every channel.

Every offer of the day, whatever its source, goes through the same steps:

1. **price** (:meth:`Checkout.price`): the platform's price today for the
   product (promotions and C2M included), less the channel's discount (a
   group or livestream price; a daigou's fee is a negative discount), less the
   member discount if the purchaser is a member of the platform, less the
   owner discount if the purchaser owns a store on it, plus the cross-border
   tax of an import. The purchaser is the buyer, or the daigou for its client.
2. **decide** (:meth:`Checkout.decide`): the conversion logit (source, trust,
   social proof, quality, price against the monthly budget, tier appeal of
   the platform, a livestream's urgency, no-need and offline shifts, and the
   shifts components add through :meth:`~socialsim.mechanisms.component.Component.logit_shift`),
   one purchase per need, within the budget left.
3. **pay** (:meth:`Checkout.pay`): the buyer is charged, its need closes and
   the purchaser becomes a user of the platform.
4. **ship** (:meth:`Checkout.ship`): the order counts (what friends see and
   what makes a customer is an order that ships), and every component that
   follows shipped orders hears of it, in order.

Between deciding and paying the model lets the mechanisms screen purchases
(livestream stock, the cross-border quota, daigou fees) and route some to
groups; group buying pays and ships through this same checkout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from socialsim import _threads
from socialsim._arrays import add_at, distinct, take_at
from socialsim.day import Day
from socialsim.enums import Channel, ShopperStatus
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.purchase import (
    add_social_proof_once,
    choose_channel,
    conversion_chance,
    conversion_logit,
    select_purchases,
)
from socialsim.streams import KeyedDraws
from socialsim.world.platforms import tier_shift

__all__ = ["Checkout", "per_need"]

ShippedHook = Callable[[Day, Offers, np.ndarray], None]


class Checkout:
    """Prices, decides, charges and ships for a model (see the module docstring).

    Parameters
    ----------
    model : SocialCommerceModel
        The model whose state, prices and components it uses: ``membership``
        (member discount), ``stores`` (owners and their discount) and
        ``livestream`` (urgency) shape prices and chances.
    shipped : sequence of callable
        What hears of every shipped batch, in order: ``hook(day, orders, price)``.

    Attributes
    ----------
    customers_by_tier : ndarray of int64
        Consumers of each tier who have ever bought (index 0 is tier 1).
    new_buyers_today : int
        Consumers whose first order shipped today (the model resets it daily).
    """

    def __init__(self, model: Any, shipped: Sequence[ShippedHook] = ()) -> None:
        self.model = model
        self.shipped_hooks = list(shipped)
        world, config = model.world, model.config
        population = world.population
        names = world.platforms.names
        appeal = platform_values(config, names, "tier_appeal")
        tiers = np.arange(population.n_tiers + 1)
        weight = config.behaviour.conversion.tier_appeal_weight
        self.runs = runs = getattr(model, "runs", None)

        def shift_of(mean_tier: float) -> np.ndarray:
            return np.stack(
                [weight * tier_shift(tiers, float(a), mean_tier) for a in appeal]
            ).astype(np.float32)

        #: per platform and tier, the logit shift of the platform's appeal to the tier (per
        #: run, platform and tier in a batched ensemble: each run's mean tier is its own)
        if runs is None or not runs.batched:
            self.tier_shift = shift_of(float(population.tier.mean()))
            self.customers_by_tier = np.zeros(population.n_tiers, dtype=np.int64)
            self.new_buyers_today: Any = 0
        else:
            self.tier_shift = np.stack(
                [shift_of(float(population.tier[runs.rows(k)].mean())) for k in range(runs.n)]
            )
            self.customers_by_tier = np.zeros((runs.n, population.n_tiers), dtype=np.int64)
            self.new_buyers_today = np.zeros(runs.n, dtype=np.int64)
        #: the components that shift the conversion logit (those that override logit_shift)
        self.shifters = [
            c
            for c in (model.membership, model.calendar, model.brand_rules, *model.components)
            if type(c).logit_shift is not Component.logit_shift
        ]

    def price(self, offers: Offers) -> np.ndarray:
        """Price each offer: platform price less channel and member discounts, plus import tax.

        Member and store-owner prices are the purchaser's: the daigou's for a daigou order.
        """
        model = self.model
        catalogue = model.world.catalogue
        # A negative discount is a daigou's service fee.
        prices = model.prices.price
        price = (take_at(prices, offers.platform, offers.product) * (1.0 - offers.discount)).astype(
            np.float64
        )
        purchaser = offers.purchaser()
        # Each factor touches only the few offers it applies to (x 1.0 elsewhere changes nothing).
        member = np.flatnonzero(take_at(model.state.member, purchaser, offers.platform))
        price[member] *= 1.0 - model.membership.discount[offers.platform[member]]
        stores = model.stores
        owner = np.flatnonzero(stores.owner_platform[purchaser] == offers.platform)
        price[owner] *= 1.0 - stores.owner_discount[offers.platform[owner]]
        imported = np.flatnonzero(catalogue.cross_border[offers.product])
        price[imported] *= 1.0 + catalogue.tax_rate[offers.product[imported]]
        return price.astype(np.float32)

    def price_and_logit(
        self, offers: Offers, social_proof: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return each offer's price and its conversion logit (no randomness)."""
        model = self.model
        state, population = model.state, model.world.population
        price = self.price(offers)
        tier = population.tier.take(offers.consumer)
        if self.tier_shift.ndim == 2:
            shift = take_at(self.tier_shift, offers.platform, tier)
        else:
            shift = self.tier_shift[self.runs.of_consumers(offers.consumer), offers.platform, tier]
        # Limited stock and a time limit make a livestream offer more pressing.
        live = offers.channel == Channel.LIVESTREAM
        shift = shift + np.where(live, model.livestream.urgency[offers.platform], np.float32(0))
        for component in self.shifters:
            extra = component.logit_shift(offers)
            if extra is not None:  # None: no shift today, and not even +0.0 added
                shift = shift + extra
        conversion = model.config.behaviour.conversion
        logit = conversion_logit(
            offers,
            social_proof,
            price,
            model.world.catalogue.quality,
            population.price_sensitivity,
            state.monthly_budget,
            state.status,
            conversion,
            has_need=offers.has_need,
            shift=shift,
        )
        return price, logit

    def decide(
        self,
        day: Day,
        offers: Offers,
        social_proof: np.ndarray,
        kind: str = "decide",
        key: np.ndarray | None = None,
    ) -> tuple[Offers, np.ndarray]:
        """Convert offers; keep one purchase per need within budget.

        Under ``social_exposure = "per_need"`` social proof enters once per
        need (:func:`~socialsim.mechanisms.purchase.add_social_proof_once`).
        Under ``group_decision = "joint"`` (with the logit link) an offer on a
        platform that sells in groups is bought alone, in a group or not at
        all in one decision (:meth:`GroupBuying.group_logit
        <socialsim.mechanisms.group_buying.GroupBuying.group_logit>`), at the
        price of the channel chosen.

        Each offer's draws are keyed by the offer itself
        (:meth:`Offers.identity <socialsim.mechanisms.offers.Offers.identity>`),
        the day and `kind`: an offer two runs of one seed both make is decided
        on the same numbers in both (common random numbers). `key` replaces
        the offers' identity where it is not stable between runs (a group's
        number).

        Returns the purchases (group purchases with the group channel and
        discount) and the prices they are bought at.
        """
        runs = self.runs
        batched = runs is not None and runs.batched
        run = runs.of_consumers(offers.consumer) if batched else None
        if key is None:
            key = offers.identity(runs)
        rng = KeyedDraws(self.model.streams, f"checkout/{kind}", day.step, key, run=run)
        conversion = self.model.config.behaviour.conversion
        once = conversion.social_exposure == "per_need"
        joint = conversion.group_decision == "joint" and conversion.link == "logit"
        proof = np.zeros_like(social_proof) if once else social_proof
        price, logit = self._in_halves(self.price_and_logit, offers, proof)
        if once:
            logit = add_social_proof_once(
                offers, logit, social_proof, conversion.social_proof_weight
            )
        draw = rng.random(len(offers), dtype=np.float32)
        if joint:
            group_logit, group_discount = self.model.group_buying.group_logit(offers, price, logit)
            accepted, in_group = choose_channel(logit, group_logit, draw)
            if in_group.any():
                offers = replace(
                    offers,
                    channel=np.where(in_group, np.int8(Channel.GROUP), offers.channel),
                    discount=np.where(in_group, group_discount, offers.discount).astype(np.float32),
                )
                grouped = np.flatnonzero(in_group)
                price = price.copy()
                price[grouped] = self.price(offers.take(grouped))
        else:
            accepted = draw < conversion_chance(logit, conversion.link)
        bought = select_purchases(
            offers,
            accepted,
            price,
            self.model.state.budget_left,
            rng,
            draw_all=True,
            consumer_start=runs.consumer_start if batched else None,
        )
        return offers.take(bought), price[bought]

    def _in_halves(
        self,
        work: Callable[[Offers, np.ndarray], tuple[np.ndarray, np.ndarray]],
        offers: Offers,
        social_proof: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run `work` on all offers, or, on large days, on two halves on two threads."""
        if not _threads.use_threads(len(offers)):
            return work(offers, social_proof)
        # Prices and chances are offer by offer: two threads take half each.
        halves = [slice(0, len(offers) // 2), slice(len(offers) // 2, None)]
        first, second = ((offers.take(half), social_proof[half]) for half in halves)
        later = _threads.worker_pool().submit(work, *first)
        mine = work(*second)
        parts = (later.result(), mine)
        price, value = (np.concatenate(column) for column in zip(*parts, strict=True))
        return price, value

    def pay(self, offers: Offers, paid: np.ndarray) -> int:
        """Charge buyers, close their needs and make the purchasers users of the platform.

        Returns how many purchasers used the platform for the first time (per
        run in a batched ensemble). The purchaser is the buyer, except that a
        daigou buys for its client.
        """
        state = self.model.state
        buyer, category, platform = offers.consumer, offers.category, offers.platform
        purchaser = offers.purchaser()
        # Flat positions in the C-ordered (n, P) and (n, C) tables (ravel is a view of them).
        at_platform = purchaser.astype(np.int64) * state.uses.shape[1] + platform
        fresh = state.set_uses(purchaser, platform)  # who did not use the platform before
        if self.runs is not None and self.runs.batched:
            new_users: Any = self.runs.count(self.runs.of_consumers(purchaser), fresh)
        else:
            new_users = int(np.count_nonzero(fresh))
        add_at(state.budget_left, buyer, -paid)  # a - v is a + (-v), exactly
        state.need.ravel()[buyer.astype(np.int64) * state.need.shape[1] + category] = False
        add_at(state.recent_spend.reshape(-1), at_platform, paid)
        return new_users

    def ship(self, day: Day, offers: Offers, price: np.ndarray, group: np.ndarray) -> None:
        """Record orders that ship today, and tell every component that follows them."""
        if len(offers) == 0:
            return
        model = self.model
        state, t = model.state, day.step
        buyer, category, platform = offers.consumer, offers.category, offers.platform
        # What friends see and what makes a customer is an order that ships.
        state.last_purchase_step[buyer, category] = t
        state.last_product[buyer, category] = offers.product
        state.last_platform[buyer, category] = platform
        purchaser = offers.purchaser()
        state.set_last_order(purchaser, platform, t)
        first_time = distinct(buyer[state.status[buyer] != ShopperStatus.CUSTOMER])
        state.status[first_time] = ShopperStatus.CUSTOMER
        tiers = model.world.population.tier[first_time]
        if self.customers_by_tier.ndim == 1:
            per_tier = np.bincount(tiers, minlength=len(self.customers_by_tier) + 1)[1:]
            self.customers_by_tier += per_tier
            self.new_buyers_today += first_time.size
        else:  # per run and tier
            run = self.runs.of_consumers(first_time)
            n_runs, n_tiers = self.customers_by_tier.shape
            cell = run.astype(np.int64) * (n_tiers + 1) + tiers
            counts = np.bincount(cell, minlength=n_runs * (n_tiers + 1))
            self.customers_by_tier += counts.reshape(n_runs, n_tiers + 1)[:, 1:]
            self.new_buyers_today += self.runs.count(run)
        np.add.at(state.orders, offers.consumer, np.int32(1))  # a Python 1 is 25x slower
        np.add.at(state.spend, offers.consumer, price.astype(np.float64))
        for hook in self.shipped_hooks:
            hook(day, offers, price)
        day.orders.append(
            {
                "buyer": offers.consumer,
                "product": offers.product,
                "category": offers.category,
                "price_paid": price.astype(np.float32),
                "channel": offers.channel,
                "source": offers.source,
                "platform": offers.platform,
                "group_id": group.astype(np.int64),
            }
        )
        for component in model.components:
            component.shipped(day, offers, price)


def per_need(
    values: np.ndarray,
    need_consumer: np.ndarray,
    need_category: np.ndarray,
    offers: Offers,
    scratch: np.ndarray,
) -> np.ndarray:
    """Look up a per-need value for each offer (0 where the offer meets no open need).

    `scratch` is a zeroed float32 (n, C) table; it is used as a dense lookup
    (cheaper than searching the sorted need keys) and left zeroed again.

    Examples
    --------
    >>> scratch = np.zeros((3, 2), dtype=np.float32)
    >>> offers = Offers.build(np.array([0, 2, 1]), np.array([1, 0, 1]), 0, 0, 0.0, 0)
    >>> per_need(np.array([0.5, 0.25]), np.array([0, 2]), np.array([1, 0]), offers, scratch)
    array([0.5 , 0.25, 0.  ], dtype=float32)
    >>> bool(scratch.any())
    False
    """
    if need_consumer.size == 0:
        return np.zeros(len(offers), dtype=np.float32)
    flat = scratch.ravel()
    n_categories = scratch.shape[1]
    need_key = need_consumer.astype(np.int64) * n_categories + need_category
    flat[need_key] = values
    out = flat.take(offers.consumer.astype(np.int64) * n_categories + offers.category)
    flat[need_key] = 0.0
    return out
