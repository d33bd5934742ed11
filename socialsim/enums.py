"""Named states and labels used across the model.

Integer values are what the model's arrays store (``int8``); the names are what
tables and agents show.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "BrandChannel",
    "CampaignClass",
    "Channel",
    "InfluencerKind",
    "KOLSegment",
    "Origin",
    "Positioning",
    "Role",
    "ShopperStatus",
    "Source",
]


class Role(IntEnum):
    """What a consumer is besides a buyer. KOLs are influencers, not consumers."""

    CONSUMER = 0
    KOC = 1
    STORE_OWNER = 2
    DAIGOU = 3


class ShopperStatus(IntEnum):
    """Where a consumer stands with social commerce.

    ``OFFLINE`` consumers do not shop online yet: they do not search and are
    not recruited as store owners, but friends, followed creators, shared
    groups, store owners and the feeds and livestreams of platforms they
    use reach them (with ``behaviour.conversion.offline_shift``); ``ONLINE``
    consumers shop online but have not bought in the simulated market;
    ``CUSTOMER`` consumers have bought at least once (they count towards
    penetration).
    """

    OFFLINE = 0
    ONLINE = 1
    CUSTOMER = 2


class Channel(IntEnum):
    """How an order was placed."""

    SOLO = 0
    GROUP = 1
    LIVESTREAM = 2
    STORE = 3


class Source(IntEnum):
    """What put the product in front of the buyer.

    ``WORD_OF_MOUTH`` is a friend's purchase heard of off-platform; ``FEED_SOCIAL``
    and ``FEED_ALGORITHMIC`` are a platform's feed; ``GROUP_SHARE`` is a group a
    friend shared; ``STREAMER`` is a livestream the consumer watched;
    ``STORE_OWNER`` is a store-owner friend's promotion; ``DAIGOU`` an import a
    daigou (personal shopper) orders for the consumer. (Names differ from the
    channels ``LIVESTREAM`` and ``STORE`` so that per-step columns stay unique.)
    """

    SEARCH = 0
    WORD_OF_MOUTH = 1
    KOL = 2
    KOC = 3
    FEED_SOCIAL = 4
    FEED_ALGORITHMIC = 5
    STREAMER = 6
    GROUP_SHARE = 7
    STORE_OWNER = 8
    DAIGOU = 9


class InfluencerKind(IntEnum):
    """The two kinds of content creators."""

    KOL = 0
    KOC = 1


class KOLSegment(IntEnum):
    """Douyin follower segments: tail 0.1-1 M, waist 1-5 M, shoulder 5-10 M, head >= 10 M.

    Source: Kas Data, via hb2b (``shared/domain.md``, "Content").
    """

    TAIL = 0
    WAIST = 1
    SHOULDER = 2
    HEAD = 3


class CampaignClass(IntEnum):
    """The creator classes a marketing campaign's budget is split between.

    ``HEAD`` are the largest KOLs (segments ``SHOULDER`` and ``HEAD``, or
    ``WAIST`` in a world without those), ``MID`` the smallest KOLs (segment
    ``TAIL``, standing for the cost-effective 50k-100k-follower accounts) and
    ``KOC`` the consumer-creators; see :func:`socialsim.mechanisms.campaign.campaign_classes`.
    """

    HEAD = 0
    MID = 1
    KOC = 2


class Positioning(IntEnum):
    """A brand's place in the market: what price level it holds and what cuts it accepts."""

    PREMIUM = 0
    MASS = 1
    DISCOUNT = 2


class Origin(IntEnum):
    """Where a brand comes from: imported brands' products are cross-border imports."""

    DOMESTIC = 0
    IMPORTED = 1


class BrandChannel(IntEnum):
    """How a brand sells on a platform.

    ``DIRECT``: the platform buys the stock and sets the price, its promotions
    included (Kaola's direct purchase); ``MARKETPLACE``: the brand runs a
    flagship store, sets its price, chooses which promotions to join and pays
    the platform a commission (Tmall Global); ``NONE``: not sold there.
    """

    NONE = 0
    DIRECT = 1
    MARKETPLACE = 2
