"""The record of each day: the step, platform and tier rows and the order log.

:class:`Recording` holds a model's recorders (:mod:`socialsim.metrics`) and
writes one day into them: the orders shipped, the day's counters (every
declared column), each platform's users, active users and members, and each
tier's offers, feed reach, customers and members.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialsim._arrays import distinct, row_max
from socialsim.columns import MetricColumn
from socialsim.day import Day
from socialsim.enums import Source
from socialsim.mechanisms.offers import Offers
from socialsim.metrics import OrderLog, PlatformRecorder, StepRecorder, TierRecorder
from socialsim.state import NEVER

__all__ = ["ACTIVE_DAYS", "Recording"]

ACTIVE_DAYS = 30
"""A user or member is active if an order of theirs shipped in the last 30 days (today included)."""


class Recording:
    """A model's tables as they grow, day by day.

    Parameters
    ----------
    model : SocialCommerceModel
        The model it records (its world, state, checkout and membership).
    columns : tuple of MetricColumn
        The mechanisms' step columns (after the core ones).

    Attributes
    ----------
    steps : StepRecorder
    platforms : PlatformRecorder
    tiers : TierRecorder
    orders : OrderLog
        Every shipped order (kept only with ``run.record_orders``).
    """

    def __init__(self, model: Any, columns: tuple[MetricColumn, ...]) -> None:
        self.model = model
        world = model.world
        population = world.population
        self.steps = StepRecorder(population.tier_counts(), columns=columns)
        self.platforms = PlatformRecorder(world.platforms.names)
        self.tiers = TierRecorder(population.tier, population.n_tiers)
        self.orders = OrderLog(
            world.catalogue.category_names,
            world.platforms.names,
            product_brand=world.catalogue.brand,
            brand_names=world.brands.names,
        )
        # Who has had at least one feed offer so far, for the per-tier table.
        self.feed_reached = np.zeros(world.n_consumers, dtype=bool)
        self.feed_reached_by_tier = np.zeros(population.n_tiers, dtype=np.int64)

    def count_offers(self, day: Day, offers: Offers) -> None:
        """Count the day's offers and feed offers by tier; mark whom a feed reached."""
        tier = self.model.world.population.tier
        feed = (offers.source == Source.FEED_SOCIAL) | (offers.source == Source.FEED_ALGORITHMIC)
        n = day.n_tiers + 1
        offer_tier = tier.take(offers.consumer)
        day.tier_offers = np.bincount(offer_tier, minlength=n)[1:]
        day.tier_feed_offers = np.bincount(offer_tier[feed], minlength=n)[1:]
        reached = offers.consumer[feed]
        fresh = distinct(reached[~self.feed_reached[reached]])
        self.feed_reached[fresh] = True
        self.feed_reached_by_tier += np.bincount(tier[fresh], minlength=n)[1:]

    def record(self, day: Day) -> None:
        """Write the day into the order log and the step, platform and tier tables."""
        model = self.model
        state, world, checkout = model.state, model.world, model.checkout
        orders = day.concat_orders()
        n_orders = orders["buyer"].size
        # Members are few: listed platform by platform, once, for every count below.
        member_lists = model.membership.member_lists
        if model.config.run.record_orders and n_orders:
            self.orders.append(
                step=np.full(n_orders, day.step, dtype=np.int32),
                tier=world.population.tier[orders["buyer"]],
                **orders,
            )
        self.steps.record(
            day.step,
            price=orders["price_paid"],
            channel=orders["channel"],
            source=orders["source"],
            buyer=orders["buyer"],
            new_buyers=checkout.new_buyers_today,
            customers_by_tier=checkout.customers_by_tier,
            counts={**day.count, **day.total},
        )
        recent = day.step - (ACTIVE_DAYS - 1)
        self.platforms.record(
            day.step,
            platform=orders["platform"],
            price=orders["price_paid"],
            buyer=orders["buyer"],
            users=state.user_counts.copy(),
            active_users=state.active_users(recent),
            members=np.array([len(m) for m in member_lists], dtype=np.int64),
            authenticity=self.model.brand_rules.reputation,
        )
        members = distinct(np.concatenate(member_lists))
        active = row_max(state.last_order_step[members], initial=int(NEVER)) >= recent
        self.tiers.record(
            day.step,
            buyer=orders["buyer"],
            price=orders["price_paid"],
            source=orders["source"],
            offers=day.tier_offers,
            feed_offers=day.tier_feed_offers,
            customers=checkout.customers_by_tier,
            member_gmv=day.tier_member_gmv,
            feed_reached=self.feed_reached_by_tier,
            members=members,
            active_members=members[active],
        )
        checkout.new_buyers_today = 0
