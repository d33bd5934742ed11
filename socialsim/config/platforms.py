"""Platforms as data: which social commerce mechanisms a platform runs, and how.

A world holds one or more platforms (``ModelConfig.platforms``, a table keyed
by name). Each is a :class:`PlatformConfig`: its audience, prices and feed,
and one section per mechanism (group buying, livestreams, micro-stores,
membership, promotions, cross-border listings, C2M), each off unless switched
on. Named presets stylised after real platforms ship as package data
(``socialsim/config/presets/*.yaml``); a platform row names one with
``preset:`` and overrides any of its values::

    platforms:
      pdd: {preset: pinduoduo, group_buying: {discount: 0.3}}
      dy: {preset: douyin}

A row whose name is not a preset's must say where it starts (``preset:`` a
preset's name, or ``preset: null`` for the schema's defaults), so that a
misspelt name is refused instead of adding a platform. ``enabled: false``
leaves a platform out of the world, as if its row were not there.

Every default cites ``shared/domain.md`` or says *assumption*; assumptions are
meant to be swept.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from itertools import pairwise
from types import MappingProxyType
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, model_validator

from socialsim.config._base import (
    MAX_RMB,
    Field,
    Section,
    Table,
    deep_merge,
    located,
    read_only,
)
from socialsim.config.brands import PlatformBrandsConfig

__all__ = [
    "PRESETS",
    "C2MConfig",
    "CrossBorderListingConfig",
    "FeedConfig",
    "GroupBuyingConfig",
    "KanjiaConfig",
    "LivestreamConfig",
    "MembershipConfig",
    "MicroStoreConfig",
    "PlatformConfig",
    "PromotionConfig",
    "RegulationConfig",
    "plain_platform",
    "platform_of_key",
    "preset_data",
]

MAX_PLATFORMS = 100
"""Platforms are stored as int8 indices."""


@cache
def _preset_files() -> dict[str, str]:
    folder = resources.files("socialsim.config") / "presets"
    return {
        entry.name.removesuffix(".yaml"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


PRESETS: tuple[str, ...] = tuple(sorted(_preset_files()))
"""Names of the platform presets shipped with socialsim."""


def preset_data(name: str) -> dict[str, Any]:
    """Return the settings of a platform preset as a nested dict.

    Raises
    ------
    KeyError
        If there is no preset of that name.

    Examples
    --------
    >>> preset_data("pinduoduo")["group_buying"]["enabled"]
    True
    """
    # a deep copy of the parsed file: every config validation applies presets, and parsing
    # YAML each time made validation ~15 ms, too slow to plan sweeps of thousands of points
    return copy.deepcopy(_parsed_preset(name))


@cache
def _parsed_preset(name: str) -> dict[str, Any]:
    files = _preset_files()
    if name not in files:
        raise KeyError(name)
    return yaml.safe_load(files[name]) or {}


# --------------------------------------------------------------------------- feeds


class FeedConfig(Section):
    """The platform's recommendation feed.

    ``social`` feeds recommend what a user's friends bought (Kuaishou style);
    ``algorithmic`` feeds recommend by interest and popularity to anyone
    (Douyin style). Kuaishou's socially driven recommendation converts 3-5 x
    Douyin's algorithm-driven feed ("E-Commerce is Social in China's Small
    Cities", 2020); the default conversion logits
    (``behaviour.conversion.base_feed_social`` and ``base_feed_algorithmic``)
    are set to give 3-5 x in the default world (about 3.3-3.4 x measured at 30,000
    consumers, seeds 1-2).
    """

    kind: Literal["none", "social", "algorithmic"] = Field(
        default="none",
        description="What the feed recommends.",
        unit="- (choice)",
        source=(
            "social feeds (Kuaishou) convert 3-5 x algorithmic ones (Douyin) "
            '("E-Commerce is Social in China\'s Small Cities", 2020)'
        ),
    )
    reach: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "Daily probability that a user with an open need is shown a product for it "
            "(assumption). A social feed can only show what a friend bought lately."
        ),
        unit="probability per day (0-1)",
        source="assumption",
    )


# --------------------------------------------------------------------------- group buying


class KanjiaConfig(Section):
    """Price-cut sharing ("kanjia"): friends' clicks cut the initiator's price.

    Each friend's click cuts the price by a shrinking amount within the group's
    window (Pinduoduo explainers, ``shared/domain.md``); clicks bring new users
    to the platform. Sizes are *assumptions*.
    """

    enabled: bool = Field(
        default=False,
        description="Initiators also share a price-cut link.",
        unit="- (flag)",
        source="price-cut sharing (Pinduoduo explainers, shared/domain.md)",
    )
    share_to: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="Friends (any tie) the link is sent to.",
        unit="friends",
        source="assumption",
    )
    click_prob: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Probability a friend who gets the link clicks it.",
        unit="probability (0-1)",
        source="assumption",
    )
    first_cut: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Price cut of the first click, as a share of price.",
        unit="share of the price (0-1)",
        source="assumption",
    )
    decay: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Each further click cuts this times the previous.",
        unit="multiplier per click",
        source="assumption (each click cuts a shrinking amount: Pinduoduo explainers)",
    )
    max_cut: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Largest total cut.",
        unit="share of the price (0-1)",
        source="assumption",
    )
    acquire_prob: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Probability a clicking friend who does not use the platform starts using it.",
        unit="probability (0-1)",
        source="assumption",
    )


class GroupBuyingConfig(Section):
    """Pinduoduo-style group buying.

    Every product has a solo price and a group price. A buyer chooses group or
    solo by utility; an initiator pays, opens a group for ``window_days`` and
    shares it with friends (strong ties first); friends and strangers browsing
    the product join; the group ships when it reaches ``size`` members and is
    refunded in full if it expires. Group size 2 by default: 99.4 % of
    successful groups in the BeiBei log had one joiner, failed groups had none
    (Zhang et al., ICDE 2021); the window is 24 h with automatic refunds
    (Pinduoduo rules). The group-vs-solo price gap has no reliable typical
    value: 10-40 % (*assumption*, sweepable).
    """

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType({"friend_join": 0.3})

    enabled: bool = Field(
        default=False,
        description="Whether the platform sells in groups.",
        unit="- (flag)",
        source="Pinduoduo-style group buying (Pinduoduo rules, shared/domain.md)",
    )
    discount: float = Field(
        default=0.25,
        ge=0,
        lt=1,
        description="Group price = solo price x (1 - discount).",
        unit="share of the solo price (0-1)",
        source="no reliable typical value: 10-40 % (assumption, meant to be swept)",
    )
    size: int = Field(
        default=2,
        ge=2,
        le=100,
        description="Members a group needs to ship.",
        unit="members",
        source=(
            "99.4 % of successful groups in the BeiBei log had one joiner (Zhang et al., ICDE 2021)"
        ),
    )
    window_days: int = Field(
        default=1,
        ge=1,
        le=365,
        description="Days a group stays open (24 h on Pinduoduo).",
        unit="days",
        source="24 h window with automatic refunds (Pinduoduo rules)",
    )
    price_ladder: Annotated[Mapping[int, float], AfterValidator(read_only), Table] = Field(
        default_factory=dict,
        description=(
            "Optional deeper discounts for larger groups: {members: discount}. A group with a "
            "ladder stays open for its whole window, admits up to the largest size and "
            "ships at the discount of the largest step it reached (members are refunded "
            "the difference)."
        ),
        unit="share of the solo price (0-1), by members",
        source="assumption",
    )
    preference: float = Field(
        default=-1.0,
        description=(
            "Logit of choosing group over solo before the saving: the wait and the risk of "
            "failure; under the joint group decision, the wait only, as the risk is the "
            "chance a group completes (assumption)."
        ),
        unit="logit",
        source="assumption",
    )
    saving_weight: float = Field(
        default=10.0,
        ge=0,
        description=(
            "Logit per unit of relative saving (discount x price sensitivity) in the "
            "group-or-solo choice (assumption)."
        ),
        unit="logit per unit of relative saving",
        source="assumption (the perceived saving as transaction utility, Thaler 1985)",
    )
    friend_join: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description=(
            "Under the joint group decision: the chance, as a buyer reckons it, that a "
            "friend with the need who uses the platform joins a shared group; with the "
            "platform's traffic it sets the chance a group completes (assumption)."
        ),
        unit="probability (0-1)",
        source="assumption",
    )
    join_open_group: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description=(
            "Probability a group buyer browses the product's open groups and joins one "
            "(strangers can join; Pinduoduo explainer 2020) instead of starting its own."
        ),
        unit="probability (0-1)",
        source=(
            "strangers browsing the product can join (Pinduoduo explainer 2020); size assumption"
        ),
    )
    share_to: int = Field(
        default=3,
        ge=0,
        le=1000,
        description="Friends an initiator shares the group with, strong ties first.",
        unit="friends",
        source="assumption",
    )
    failure_penalty: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "After a group expires, the initiator's propensity to choose groups is multiplied "
            "by this; a completed group restores it by the inverse (assumption)."
        ),
        unit="multiplier",
        source="assumption",
    )
    kanjia: KanjiaConfig = Field(default_factory=KanjiaConfig)

    @model_validator(mode="after")
    def _ladder_is_monotone(self) -> GroupBuyingConfig:
        steps = sorted(self.price_ladder.items())
        for members, discount in steps:
            if members <= self.size:
                raise located(
                    f".price_ladder.{members}",
                    f"ladder sizes must be larger than size ({self.size})",
                )
            if not 0 <= discount < 1:
                raise located(f".price_ladder.{members}", f"must be in [0, 1), got {discount}")
        discounts = [self.discount] + [d for _, d in steps]
        if any(b < a for a, b in pairwise(discounts)):
            raise located(
                ".price_ladder",
                f"discounts must not fall as groups grow, got {discounts} from size {self.size} up",
            )
        return self


# --------------------------------------------------------------------------- livestreams


class LivestreamConfig(Section):
    """Livestream selling by the platform's KOLs.

    A KOL goes live with ``session_rate`` a day and features products at a
    discount, with limited stock and a time limit. Best-case conversion is
    near 30 %, up to 10 x ordinary e-commerce (McKinsey 2021); returns are
    30-50 % against 10-15 % (trade press); the streamer earns about 20 %
    commission plus a fixed slot fee (KrASIA / Nikkei; one reported deal was
    RMB 300 k + 25 % + a 40 % price cut, SCMP 2020). Follower curves rise
    faster than they fall (Garimella & West, arXiv 2103.10754). Audience sizes,
    rates and the follower dynamics are *assumptions* scaled to the simulated
    world.
    """

    enabled: bool = Field(
        default=False,
        description="Whether the platform's KOLs stream.",
        unit="- (flag)",
        source="livestream selling (McKinsey 2021; shared/domain.md)",
    )
    session_rate: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Daily probability that a KOL goes live.",
        unit="probability per day (0-1)",
        source="assumption",
    )
    products_per_session: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Products featured in one session.",
        unit="products",
        source="assumption",
    )
    discount: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        description="Livestream price = price x (1 - discount).",
        unit="share of the price (0-1)",
        source="assumption (one reported deal: a 40 % price cut, SCMP 2020)",
    )
    stock_share: float = Field(
        default=0.05,
        gt=0,
        le=10,
        description="Units of each featured product in stock, per expected viewer.",
        unit="units per expected viewer",
        source="assumption",
    )
    attend_rate: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description=(
            "Probability that a follower of average trust attends, scaled by the follower's "
            "trust (engagement), the KOL's segment (popularity) and tier distance."
        ),
        unit="probability per session (0-1)",
        source="assumption",
    )
    traffic_share: float = Field(
        default=0.3,
        ge=0,
        le=100,
        description=(
            "Viewers the platform allocates from its other users, per follower who attends."
        ),
        unit="viewers per attending follower",
        source="assumption; Douyin's was tuned to the market-level GMV shares (issue 22)",
    )
    impulse: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Probability a viewer without a need in the category wants the product.",
        unit="probability (0-1)",
        source="assumption",
    )
    urgency: float = Field(
        default=0.8,
        ge=0,
        description="Logit bonus of buying in a session: limited stock and a time limit.",
        unit="logit",
        source="assumption",
    )
    commission: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Streamer's share of livestream sales (CPS).",
        unit="share of sales (0-1)",
        source=(
            "about 20 % commission plus a slot fee (KrASIA / Nikkei; SCMP 2020: RMB 300 k + 25 %)"
        ),
    )
    slot_fee: float = Field(
        default=20.0,
        ge=0,
        le=MAX_RMB,
        description="Fixed RMB per session the brand pays the streamer (scaled down).",
        unit="RMB per session",
        source="assumption, scaled down from reported slot fees (SCMP 2020: RMB 300 k)",
    )
    return_rate: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Share of livestream purchases of average quality that are returned.",
        unit="share of orders (0-1)",
        source=(
            "30-50 % of livestream purchases are returned, against 10-15 % (trade press, weak)"
        ),
    )
    good_session_conversion: float = Field(
        default=0.03,
        ge=0,
        le=1,
        description="Orders per viewer at or above which a session counts as good.",
        unit="orders per viewer",
        source="assumption",
    )
    follower_growth: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="New followers after a good session, per viewer who bought.",
        unit="followers per buying viewer",
        source=(
            "assumption (follower curves rise faster than they fall: Garimella & "
            "West, arXiv 2103.10754)"
        ),
    )
    follower_churn: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Share of followers lost after a bad session.",
        unit="share of followers (0-1)",
        source="assumption (Garimella & West, arXiv 2103.10754)",
    )
    daily_churn: float = Field(
        default=0.0005,
        ge=0,
        le=1,
        description="Share of followers lost each day regardless.",
        unit="share of followers per day (0-1)",
        source="assumption",
    )
    trust_penalty: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description=(
            "Share of a follower's trust lost when it returns a livestream purchase (poorer "
            "products are returned more often, so disappointment costs trust)."
        ),
        unit="share of trust (0-1)",
        source="assumption",
    )


# --------------------------------------------------------------------------- micro-stores


class RegulationConfig(Section):
    """A regulator's intervention against a recruitment scheme.

    Yunji was fined RMB 9.58 M in 2017 and switched to fee-free membership
    from June 2019 (Yunji filings). Pyramid selling is an entry fee, pay per
    recruit or pay on the downline's sales (Regulation on Prohibition of
    Pyramid Selling, 2005, art. 7); legal direct selling pays one level of
    commission (Direct Selling Regulation, 2005).
    """

    step: int | None = Field(
        default=None,
        ge=1,
        description="Day the regulator acts; None for never.",
        unit="day (step number)",
        source=(
            "a study's choice; Yunji was fined in 2017 and went fee-free in June "
            "2019 (Yunji filings)"
        ),
    )
    action: Literal["fine", "one_level"] = Field(
        default="one_level",
        description=(
            "'fine' charges the platform; 'one_level' forces fee-free membership, one level "
            "of commission and no referral rewards."
        ),
        unit="- (choice)",
        source=(
            "Regulation on Prohibition of Pyramid Selling (2005, art. 7); Direct "
            "Selling Regulation (2005): one level of commission"
        ),
    )
    fine: float = Field(
        default=9.58e6,
        ge=0,
        le=1e12,
        description="RMB fined (Yunji 2017).",
        unit="RMB",
        source="Yunji was fined RMB 9.58 M in 2017 (Yunji filings)",
    )
    only_if_flagged: bool = Field(
        default=True,
        description="Act only if some recruitment tree meets the pyramid conditions.",
        unit="- (flag)",
        source="Regulation on Prohibition of Pyramid Selling (2005, art. 7)",
    )


class MicroStoreConfig(Section):
    """Micro-store resellers (Yunji / Beidian style).

    Consumers become store owners by paying ``fee`` (Yunji RMB 398, earlier
    365; Beidian later RMB 99; KrASIA / Nikkei, TechNode 2021), buy at a
    member discount (up to 30 % on Yunji), sell to their strong ties for a
    commission and recruit owners for a referral reward (about a quarter of the
    fee on Yunji). Commission flows up the recruitment tree at most
    ``max_levels`` levels; Beidian took 25 % commission from merchants, which
    the default rates share out. Rates of recruiting and promoting are
    *assumptions*.
    """

    enabled: bool = Field(
        default=False,
        description="Whether the platform runs micro-stores.",
        unit="- (flag)",
        source="micro-store resellers, Yunji / Beidian style (KrASIA / Nikkei; TechNode 2021)",
    )
    fee: float = Field(
        default=398.0,
        ge=0,
        le=MAX_RMB,
        description="Membership fee, RMB.",
        unit="RMB",
        source=(
            "Yunji RMB 398, earlier 365; Beidian later RMB 99 (KrASIA / Nikkei, TechNode 2021)"
        ),
    )
    member_discount: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        description="Owners' discount on their own purchases.",
        unit="share of the price (0-1)",
        source="up to 30 % on Yunji (KrASIA / Nikkei)",
    )
    commission_rates: tuple[float, ...] = Field(
        default=(0.15, 0.06, 0.04),
        min_length=1,
        max_length=20,
        description="Commission on a store sale to the seller, its recruiter, and so on up.",
        unit="share of the sale (0-1), by level",
        source=(
            "Beidian took 25 % commission from merchants, which the default rates "
            "share out (TechNode 2021)"
        ),
    )
    max_levels: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Levels of the tree a sale's commission reaches.",
        unit="levels",
        source=(
            "assumption (legal direct selling pays one level: Direct Selling Regulation, 2005)"
        ),
    )
    referral_reward: float = Field(
        default=100.0,
        ge=0,
        le=MAX_RMB,
        description="RMB paid to the recruiter per recruit.",
        unit="RMB per recruit",
        source="about a quarter of the fee on Yunji (KrASIA / Nikkei)",
    )
    promote_rate: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Daily probability an owner promotes a product to its strong ties.",
        unit="probability per day (0-1)",
        source="assumption; Yunji's preset was tuned to the market-level GMV shares (issue 22)",
    )
    activity_sigma: float = Field(
        default=2.0,
        ge=0,
        le=5,
        description=(
            "Spread of owners' activity: each owner promotes with probability promote_rate "
            "times a mean-one lognormal factor with this sigma, capped at once a day, so most "
            "owners rarely promote and a few do daily. Set so that store owners' income is "
            "very concentrated (Gini above 0.6; 0 gave 0.49), stylized fact 4 of socialsim "
            "validate (assumption)."
        ),
        unit="sigma of log activity",
        source=(
            "assumption, set so owners' income is very concentrated (stylized fact 4; NetEase 2016)"
        ),
    )
    recruit_rate: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "Daily probability an owner tries to recruit a strong-tie friend, while recruiting "
            "pays (a referral reward, or commission on more than one level): under one-level "
            "rules nobody recruits. Set (with refusal_final) so that owners more than "
            "double within two months and growth then stalls: Yunji reached 7.4 M owners by "
            "2018 (Fung) and stalled (stylized fact 6; assumption)."
        ),
        unit="probability per day (0-1)",
        source=(
            "assumption, set so owners more than double in two months and growth "
            "then stalls: Yunji reached 7.4 M owners by 2018 and stalled (Fung; "
            "stylized fact 6)"
        ),
    )
    refusal_final: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description=(
            "Probability that a friend who turns a pitch down is never pitched again: the "
            "warm market of friends runs out, and with recruits who have not earned back "
            "their fee the scheme stalls (stylized fact 6 of socialsim validate; "
            "assumption)."
        ),
        unit="probability (0-1)",
        source="assumption: the warm market runs out (stylized fact 6)",
    )
    accept_base: float = Field(
        default=-1.0,
        description="Logit of accepting a recruitment offer, before fee and income.",
        unit="logit",
        source="assumption",
    )
    accept_income_weight: float = Field(
        default=1.0,
        ge=0,
        description=(
            "Logit per unit of the recruiter's income so far, net of the fee it paid to join, "
            "relative to the fee: visible earnings make recruiting easier, and recruits who "
            "have not earned their fee back make the scheme stall."
        ),
        unit="logit per unit of income / fee",
        source="assumption (stylized fact 6)",
    )
    accept_fee_weight: float = Field(
        default=1.0,
        ge=0,
        description=(
            "Logit lost per unit of fee relative to the candidate's monthly income (the fee "
            "is an investment paid out of income, not the shopping budget; a candidate whose "
            "monthly income is below the fee cannot join)."
        ),
        unit="logit per unit of fee / monthly income",
        source="assumption",
    )
    regulation: RegulationConfig = Field(default_factory=RegulationConfig)

    @model_validator(mode="after")
    def _rates_are_shares(self) -> MicroStoreConfig:
        if any(not 0 <= r <= 1 for r in self.commission_rates):
            raise located(".commission_rates", f"must be in [0, 1], got {self.commission_rates}")
        if sum(self.commission_rates) > 1:
            raise located(
                ".commission_rates",
                f"must not pay out more than the sale (sum <= 1), got {self.commission_rates}",
            )
        return self


# --------------------------------------------------------------------------- membership, prices


class MembershipConfig(Section):
    """Paid annual membership with member prices and price protection (Kaola style).

    Kaola's member price is below the earlier 96 % member rate, price
    protection lasts 30 days for members, and membership pays most above
    about RMB 10,000 of yearly spending (interview with Kaola's CEO, 2020).
    The fee and join rate are *assumptions*.

    The membership as a relationship (``renewal`` and the options after it)
    is on by default since issue 22; ``renewal: false`` and
    ``loyalty_shift: 0`` give back the earlier membership
    (``docs/membership.md``).
    """

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType(
        {"term_days": 365, "renewal": False, "renewal_sharpness": 5.0, "loyalty_shift": 0.0}
    )

    enabled: bool = Field(
        default=False,
        description="Whether the platform sells memberships.",
        unit="- (flag)",
        source="paid membership, Kaola style (interview with Kaola's CEO, 2020)",
    )
    fee: float = Field(
        default=279.0,
        ge=0,
        le=MAX_RMB,
        description="Annual fee, RMB.",
        unit="RMB per term",
        source="assumption",
    )
    discount: float = Field(
        default=0.05,
        ge=0,
        lt=1,
        description="Member price discount.",
        unit="share of the price (0-1)",
        source=(
            "Kaola's member price is below the earlier 96 % member rate (interview "
            "with Kaola's CEO, 2020)"
        ),
    )
    price_protection_days: int = Field(
        default=30,
        ge=0,
        le=365,
        description="Days after a purchase in which a price drop is refunded to members.",
        unit="days",
        source="30 days for Kaola's members (interview with Kaola's CEO, 2020)",
    )
    join_rate: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Daily probability of joining for a user whose saving clearly beats the fee.",
        unit="probability per day (0-1)",
        source="assumption",
    )
    lookback_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days of past spending a user projects its yearly saving from.",
        unit="days",
        source="assumption",
    )
    term_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description=(
            "Length of a membership term, days, bought with one fee: Kaola's fee is yearly, 365 "
            "(interview with Kaola's CEO, 2020)."
        ),
        unit="days",
        source="Kaola's fee is yearly (interview with Kaola's CEO, 2020)",
    )
    renewal: bool = Field(
        default=True,
        description=(
            "At the end of a term, a member renews (and pays the fee again) with a chance that "
            "rises with the value the term gave against the fee: member-price savings on the "
            "orders shipped plus price-protection refunds; one who does not, or cannot pay the "
            "fee out of the month's budget left, lapses. Off: every membership ends with its "
            "term (the consumer may join again by the join rule). Default: true (members "
            "renew by the value they received; the rule is an assumption)."
        ),
        unit="- (flag)",
        source="assumption (issue 22; docs/membership.md)",
    )
    renewal_sharpness: float = Field(
        default=5.0,
        ge=0,
        le=100,
        description=(
            "How sharply the renewal chance rises as the term's value passes the fee: "
            "sigmoid(renewal_sharpness x (value / fee - 1)), a half when the value just pays "
            "the fee. Recommended: 5, the join rule's sharpness (assumption)."
        ),
        unit="logit per unit of value / fee",
        source="assumption: the join rule's sharpness",
    )
    loyalty_shift: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description=(
            "Logit shift on every offer a member gets on the platform of the membership: members "
            "move their share of wallet towards it (loyalty). Default: 1.0 (assumption; "
            "in a small world it raises members' share of their orders placed on Kaola from "
            "about 0.29 to 0.46, see docs/membership.md)."
        ),
        unit="logit",
        source="assumption (issue 22; docs/membership.md)",
    )


class PromotionConfig(Section):
    """Temporary price cuts (flash sales), which price protection refunds.

    Sizes are *assumptions*; Taobao Tejia and Jingxi run constant deals
    ("E-Commerce is Social in China's Small Cities", 2020).
    """

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType({"wait_shift": 0.0})

    rate: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Daily probability a product goes on promotion.",
        unit="probability per day (0-1)",
        source=(
            'assumption (Taobao Tejia and Jingxi run constant deals: "E-Commerce is'
            " Social in China's Small Cities\", 2020)"
        ),
    )
    depth: float = Field(
        default=0.15,
        ge=0,
        lt=1,
        description="Price cut during a promotion.",
        unit="share of the price (0-1)",
        source="assumption",
    )
    days: int = Field(
        default=3,
        ge=1,
        le=365,
        description="Length of a promotion.",
        unit="days",
        source="assumption",
    )
    wait_shift: float = Field(
        default=-0.3,
        ge=-10,
        le=0,
        description=(
            "Logit shift on an offer at the platform's full price (the product not on promotion "
            "today, no group or livestream price) when promotions run (rate > 0): a buyer who "
            "expects one may wait for it. Price protection takes the waiting away: a member "
            "whose purchase is protected for at least need_patience_days waits not at all, one "
            "protected for fewer days in proportion (a later drop within the window is "
            "refunded; Kaola protects members for 30 days, interview with Kaola's CEO, 2020). "
            "-0.3 on every platform (assumption; 0 gives back the earlier behaviour; the "
            "default market was tuned with it, see docs/membership.md)."
        ),
        unit="logit",
        source=(
            "assumption (issue 22); Kaola protects members' prices for 30 days "
            "(interview with Kaola's CEO, 2020)"
        ),
    )


class CrossBorderListingConfig(Section):
    """Whether the platform lists imported (cross-border) products, Kaola / Tmall Global style.

    Imported products are sold only on such platforms, under the personal
    quota and cross-border tax of ``ModelConfig.cross_border``.
    """

    enabled: bool = Field(
        default=False,
        description="List imported products.",
        unit="- (flag)",
        source=(
            "Kaola / Tmall Global style cross-border listings (interview with "
            "Kaola's CEO, 2020; RooLife)"
        ),
    )
    search_share: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description=(
            "Share of searches that land on an imported product when the category has one: "
            "the platform's curation (Kaola: 'selected, not comprehensive')."
        ),
        unit="share of searches (0-1)",
        source=(
            "assumption (Kaola: 'selected, not comprehensive', interview with Kaola's CEO, 2020)"
        ),
    )


class C2MConfig(Section):
    """Consumer-to-manufacturer: made-to-order products are made in batches as demand aggregates.

    Livestreams and group buys aggregate demand so factories make to order
    with near-zero inventory ("E-Commerce is Social in China's Small Cities",
    2020). With ``mode: production`` (the default since issue 25) units of a
    made-to-order product ordered through groups and livestreams on the
    platform join that product's open batch; batches close every
    ``batch_days`` days and are made ``production_lag`` days later. The unit
    cost falls with the units made (Wright's law, down to the materials'
    share) and the price is the unit cost plus ``markup``, never above the
    catalogue price (:mod:`socialsim.mechanisms.made_to_order`). With
    ``mode: steps`` (the rule before issue 25) the price is cut by
    ``discounts`` as the units ordered pass ``thresholds``. Units are per
    10,000 consumers in the world (a simulated world is a sample of a
    market); sizes are *assumptions*.

    A row that gives ``thresholds`` or ``discounts`` without ``mode`` is read
    as ``mode: steps`` (configs written before production existed keep their
    meaning and their hash); in ``mode: production`` they must stay at their
    defaults, since they would do nothing.
    """

    # options added after run ids were stored, with the values that behave as before. The
    # production settings change nothing in mode "steps", the rule before they existed, so at
    # their defaults they are left out of the hash; mode "production" itself counts.
    hash_neutral = MappingProxyType(
        {
            "mode": "steps",
            "batch_days": 7,
            "production_lag": 5,
            "experience_units": 20.0,
            "cost_per_doubling": 0.9,
            "material_share": 0.6,
            "unit_cost": 0.8,
            "markup": 0.25,
        }
    )

    enabled: bool = Field(
        default=False,
        description="Whether made-to-order products are made and priced by C2M on the platform.",
        unit="- (flag)",
        source=(
            "livestreams and group buys aggregate demand so factories make to order"
            ' ("E-Commerce is Social in China\'s Small Cities", 2020)'
        ),
    )
    mode: Literal["production", "steps"] = Field(
        default="production",
        description=(
            "production: aggregated orders are made in batches and the price follows the unit "
            "cost, which falls with the units made; steps: the price is cut by `discounts` as "
            "the units ordered pass `thresholds` (the rule before issue 25). A row giving "
            "thresholds or discounts without mode is read as steps."
        ),
        unit="- (choice)",
        source="a study's choice (issue 25: C2M as production)",
    )
    batch_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description=(
            "Days between batch closings: at the end of days batch_days, 2 x batch_days, ... "
            "each product's open batch (the units ordered since the last closing) goes into "
            "production (mode production)."
        ),
        unit="days",
        source="assumption (a weekly production run)",
    )
    production_lag: int = Field(
        default=5,
        ge=1,
        le=365,
        description=(
            "Days from a batch's closing to its units being made; the unit cost, and the "
            "price from the next day on, moves then (mode production)."
        ),
        unit="days",
        source=(
            'assumption (factories make to order with near-zero inventory: "E-Commerce is '
            "Social in China's Small Cities\", 2020)"
        ),
    )
    experience_units: float = Field(
        default=20.0,
        gt=0,
        le=MAX_RMB,
        description=(
            "Units of the product the factory had made before the run: the unit cost's first "
            "fall by cost_per_doubling comes once as many again are made (mode production)."
        ),
        unit="units per 10,000 consumers",
        source="assumption (the first step of the earlier thresholds, 20 units)",
    )
    cost_per_doubling: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description=(
            "Wright's law: the part of the unit cost that learns is multiplied by this each "
            "time the units made (with experience_units) double; 1 for no learning "
            "(mode production)."
        ),
        unit="multiplier per doubling (0-1)",
        source=(
            "Wright (1936): 0.8 in airframes; Dutton & Thomas (1984): progress ratios of 108 "
            "studies mostly 0.7-0.9; 0.9 for consumer goods made to order is an assumption"
        ),
    )
    material_share: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description=(
            "Share of the starting unit cost that does not fall with the units made "
            "(materials): the unit cost never falls below it (mode production)."
        ),
        unit="share of the starting unit cost (0-1)",
        source="assumption",
    )
    unit_cost: float = Field(
        default=0.8,
        gt=0,
        le=10,
        description=(
            "Unit cost before the run's production, as a share of the catalogue price "
            "(mode production). With markup it sets where the price starts: unit_cost x "
            "(1 + markup), capped at 1 (0.8 x 1.25 = 1: the catalogue price)."
        ),
        unit="share of the catalogue price",
        source="assumption",
    )
    markup: float = Field(
        default=0.25,
        ge=0,
        le=10,
        description=(
            "Price = unit cost x (1 + markup), never above the catalogue price (both times "
            "the platform's price_level, promotions and festival cuts) (mode production)."
        ),
        unit="share of the unit cost",
        source="assumption",
    )
    thresholds: tuple[float, ...] = Field(
        default=(20.0, 80.0, 300.0),
        max_length=50,
        description=(
            "Cumulative units ordered at which the next price step applies (mode steps only)."
        ),
        unit="units per 10,000 consumers",
        source="assumption",
    )
    discounts: tuple[float, ...] = Field(
        default=(0.05, 0.10, 0.15),
        max_length=50,
        description=("Price cut once each threshold is passed, not cumulative (mode steps only)."),
        unit="share of the price (0-1), by threshold",
        source="assumption",
    )

    @model_validator(mode="before")
    @classmethod
    def _steps_when_given(cls, data: Any) -> Any:
        # a row written before production existed (or one that asks for thresholds) says
        # thresholds or discounts and no mode: it keeps the rule it was written for
        given = isinstance(data, Mapping) and ("thresholds" in data or "discounts" in data)
        if given and "mode" not in data:
            return {**data, "mode": "steps"}
        return data

    @model_validator(mode="after")
    def _steps_match(self) -> C2MConfig:
        if self.mode == "production":
            fields = type(self).model_fields
            for name in ("thresholds", "discounts"):
                if getattr(self, name) != fields[name].default:
                    raise located(
                        f".{name}",
                        "applies only with mode: steps (C2M now makes to order and prices "
                        "follow the unit cost); set mode: steps to keep the threshold prices, "
                        f"or leave {name} out, got {getattr(self, name)}",
                    )
        if len(self.thresholds) != len(self.discounts):
            raise located(
                ".discounts",
                f"must have one discount per threshold ({len(self.thresholds)}), "
                f"got {len(self.discounts)}",
            )
        if any(b <= a for a, b in pairwise(self.thresholds)) or any(
            t <= 0 for t in self.thresholds
        ):
            raise located(".thresholds", f"must be positive and increasing, got {self.thresholds}")
        if any(not 0 <= d < 1 for d in self.discounts) or any(
            b < a for a, b in pairwise(self.discounts)
        ):
            raise located(
                ".discounts", f"must be in [0, 1) and not decreasing, got {self.discounts}"
            )
        return self


# --------------------------------------------------------------------------- the platform


class PlatformConfig(Section):
    """One platform: its audience, prices, feed and mechanisms.

    ``preset`` names a shipped preset (see :data:`PRESETS`); the row's other
    keys override the preset's values, section by section. In a config's
    ``platforms`` table a row named after a preset may leave ``preset`` out
    (it then starts from the schema's defaults, not from the preset); a row
    with any other name must give ``preset``, a preset's name or null.
    ``enabled: false`` leaves the platform out of the world
    (:attr:`~socialsim.config.schema.ModelConfig.active_platforms`).

    Examples
    --------
    >>> pdd = PlatformConfig(preset="pinduoduo", group_buying={"discount": 0.3})
    >>> pdd.group_buying.enabled, pdd.group_buying.discount
    (True, 0.3)
    >>> PlatformConfig(preset="yunji", enabled=False).enabled
    False
    """

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType({"enabled": True})

    preset: str | None = Field(
        default=None,
        description=(
            f"A preset to start from: one of {', '.join(PRESETS)}; null for the schema's "
            "defaults. A platform whose name is not a preset's must give it."
        ),
        unit="- (preset name)",
        source=(
            "the shipped presets (socialsim/config/presets/*.yaml), each citing its "
            "sources in its header"
        ),
    )
    enabled: bool = Field(
        default=True,
        description=(
            "Whether the platform is in the world. false leaves it out: the world, the model "
            "and every table and outcome are those of the config without its row (the row is "
            "still validated, and a sweep can switch it back on)."
        ),
        unit="- (flag)",
        source="a study's choice",
    )
    initial_users: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of online shoppers who use the platform at the start.",
        unit="share of online shoppers (0-1)",
        source=(
            "assumption; the presets' values were tuned to the market-level GMV shares (issue 22)"
        ),
    )
    tier_appeal: float = Field(
        default=0.0,
        ge=-5,
        le=5,
        description=(
            "Logit shift per tier, in tier steps from the mean tier: positive favours lower "
            "tiers, for initial users and for buying on the platform. Pinduoduo's users were "
            "57 % tier 3 and below (2018 filing); Kuaishou 64 %; Douyin 52 % in tiers 1-2."
        ),
        unit="logit per tier step",
        source=(
            "direction: Pinduoduo 57 % of users in tier 3 and below (2018 filing), "
            "Kuaishou 64 %, Douyin 52 % in tiers 1-2; sizes assumption"
        ),
    )
    price_level: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Multiplier on catalogue prices (low price points below 1).",
        unit="multiplier",
        source="assumption",
    )
    search_weight: float = Field(
        default=1.0,
        ge=0,
        description="Relative weight of the platform when a user of several searches.",
        unit="weight (relative)",
        source=(
            "assumption; the presets' values were tuned to the market-level GMV shares (issue 22)"
        ),
    )
    kol_share: float = Field(
        default=0.0,
        ge=0,
        description="Relative share of the world's KOLs whose home is this platform.",
        unit="weight (relative)",
        source="assumption",
    )
    feed: FeedConfig = Field(default_factory=FeedConfig)
    group_buying: GroupBuyingConfig = Field(default_factory=GroupBuyingConfig)
    livestream: LivestreamConfig = Field(default_factory=LivestreamConfig)
    micro_stores: MicroStoreConfig = Field(default_factory=MicroStoreConfig)
    membership: MembershipConfig = Field(default_factory=MembershipConfig)
    promotions: PromotionConfig = Field(default_factory=PromotionConfig)
    cross_border: CrossBorderListingConfig = Field(default_factory=CrossBorderListingConfig)
    c2m: C2MConfig = Field(default_factory=C2MConfig)
    brands: PlatformBrandsConfig = Field(default_factory=PlatformBrandsConfig)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or data.get("preset") is None:
            return data
        name = data["preset"]
        if not isinstance(name, str) or name not in PRESETS:
            close = difflib.get_close_matches(str(name), PRESETS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise located(
                ".preset",
                f"unknown platform preset {name!r}; {hint}choose one of {', '.join(PRESETS)}",
            )
        return deep_merge(preset_data(name), data)


def default_platforms() -> dict[str, PlatformConfig]:
    """Return the default world's competing platforms: every shipped preset, by its name."""
    return {name: PlatformConfig(preset=name) for name in PRESETS}


def platform_of_key(key: str) -> str | None:
    """Return the platform whose setting a dotted config key changes, or None.

    ``platforms.NAME.enabled`` (and ``preset``, a label) is not counted: it
    means something even while the platform is switched off.

    Examples
    --------
    >>> platform_of_key("platforms.yunji.micro_stores.fee")
    'yunji'
    >>> platform_of_key("platforms.yunji.enabled") is None
    True
    >>> platform_of_key("population.n_consumers") is None
    True
    """
    parts = key.split(".")
    if len(parts) < 3 or parts[0] != "platforms" or parts[2] in ("enabled", "preset"):
        return None
    return parts[1]


def plain_platform(**fields: Any) -> dict[str, Any]:
    """Return a platform row with every mechanism off: a shop that sells solo, found by search.

    No feed, group buying, kanjia, livestreams, micro-stores, membership,
    promotions, cross-border listings or C2M; `fields` are merged over it (a
    mapping merges key by key). For docking, reference runs and tests that
    need a platform stripped to its prices and its audience. The row says
    ``preset: None`` (it starts from the schema's defaults), so any name may
    hold it.

    Parameters
    ----------
    **fields
        Platform keys to set as well (``initial_users=1.0``, ``kol_share=0.0``).

    Returns
    -------
    dict
        A fresh platform row for a config's ``platforms`` table.

    Examples
    --------
    >>> row = plain_platform(initial_users=1.0)
    >>> row["preset"], row["group_buying"], row["feed"], row["initial_users"]
    (None, {'enabled': False, 'kanjia': {'enabled': False}}, {'kind': 'none'}, 1.0)
    """
    row: dict[str, Any] = {
        "preset": None,
        "feed": {"kind": "none"},
        "group_buying": {"enabled": False, "kanjia": {"enabled": False}},
        "livestream": {"enabled": False},
        "micro_stores": {"enabled": False},
        "membership": {"enabled": False},
        "promotions": {"rate": 0.0},
        "cross_border": {"enabled": False},
        "c2m": {"enabled": False},
    }
    return deep_merge(row, fields)
