"""The validated, frozen description of a socialsim world.

A :class:`ModelConfig` holds everything that determines a run except the
seed's randomness: the population and its city tiers, the social and follow
networks, the product catalogue, consumer behaviour and the run length. Every
section is a frozen pydantic model that rejects unknown keys, and every default
cites where its value comes from (``shared/domain.md`` in the project
repository collects the sources; values marked *assumption* are not from a
source and are meant to be swept).

Tables keyed by tier (``population.tiers``, ``network.tiers``) and by category
(``catalogue.categories``) are read-only mappings; dotted override paths index
them by key, as in ``population.tiers.3.share``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ValidationError,
    model_serializer,
    model_validator,
)

from socialsim import plugins
from socialsim.config._base import (
    MAX_RMB,
    Field,
    Section,
    Table,
    check_row_names,
    drop_hash_neutral,
    drop_null_rows,
    located,
    read_only,
)
from socialsim.config.brands import BrandsConfig
from socialsim.config.documents import (
    closest_name,
    dump_yaml,
    load_document,
    override_document,
    stable_hash,
    validate_document,
)
from socialsim.config.exports import ExportsConfig
from socialsim.config.platforms import (
    MAX_PLATFORMS,
    PRESETS,
    PlatformConfig,
    default_platforms,
)
from socialsim.config.shocks import ShockConfig

__all__ = [
    "AgentsConfig",
    "BehaviourConfig",
    "CampaignConfig",
    "CampaignFeeConfig",
    "CampaignSplitConfig",
    "CatalogueConfig",
    "CategoryConfig",
    "ConversionConfig",
    "CrossBorderConfig",
    "DaigouConfig",
    "InfluencerConfig",
    "ModelConfig",
    "NetworkConfig",
    "PopulationConfig",
    "RunConfig",
    "StoreConfig",
    "TierConfig",
    "TierNetworkConfig",
]

_SHARE_TOLERANCE = 1e-6
# Limits that keep identifiers inside the compact dtypes of the model's arrays:
# tiers are int8, categories int16, consumer indices int32.
MAX_TIERS = 100
MAX_CATEGORIES = 1000
MAX_CONSUMERS = 2**31 - 1
# --------------------------------------------------------------------------- population


class TierConfig(Section):
    """One row of the city-tier table.

    The default table is an *assumption* built to match the tier facts in
    ``shared/domain.md`` ("City tiers"): tiers 3-6 hold 73 % of the population
    (Morgan Stanley 2017, quoted in "E-Commerce is Social in China's Small
    Cities", 2020), the urban-rural income ratio is about 2.4 (NBS 2023),
    internet use is 79.8 % urban vs 55.9 % rural (CNNIC 47th report) and 83.8 %
    of internet users shop online (CNNIC 53rd report).
    """

    share: float = Field(
        ge=0,
        le=1,
        description="Share of consumers living in this tier.",
        unit="share of consumers (0-1)",
        source=(
            "tiers 3-6 hold 73 % of the population (Morgan Stanley 2017, quoted in "
            '"E-Commerce is Social in China\'s Small Cities", 2020); the split '
            "between the tiers is an assumption"
        ),
    )
    median_income: float = Field(
        gt=0,
        le=MAX_RMB,
        description="Median monthly disposable income in RMB (incomes are lognormal).",
        unit="RMB per month",
        source="assumption, spread to match the urban-rural income ratio of about 2.4 (NBS 2023)",
    )
    online_share: float = Field(
        ge=0,
        le=1,
        description="Share of consumers who already shop online at the start.",
        unit="share of the tier's consumers (0-1)",
        source=(
            "internet use 79.8 % urban vs 55.9 % rural (CNNIC 47th report) and 83.8 "
            "% of internet users shop online (CNNIC 53rd report); the per-tier "
            "values are an assumption"
        ),
    )
    price_sensitivity: float = Field(
        ge=0,
        description="Relative weight of price in the purchase utility (tier 3 = 1).",
        unit="multiplier (tier 3 = 1)",
        source="assumption",
    )
    n_cities: int = Field(
        ge=1,
        le=1_000_000,
        description=(
            "Number of cities (locality units) in the tier. Defaults follow the Yicai / "
            "New First-tier Cities Institute 2021 list; tier 6 (county and rural) is an "
            "assumption."
        ),
        unit="cities",
        source=(
            "Yicai / New First-tier Cities Institute 2021 list (4; 15 new tier 1 + "
            "30 tier 2; 70; 90; 128); tier 6 (county and rural) is an assumption"
        ),
    )


def _default_tiers() -> dict[int, TierConfig]:
    # share, median income, online share, price sensitivity: shared/domain.md default tier
    # table. Cities: Yicai 2021 (4 tier 1; 15 new tier 1 + 30 tier 2; 70; 90; 128); tier 6
    # county-level towns are an assumption.
    rows = {
        1: (0.09, 6500.0, 0.92, 0.6, 4),
        2: (0.18, 4500.0, 0.88, 0.8, 45),
        3: (0.22, 3300.0, 0.82, 1.0, 70),
        4: (0.20, 2600.0, 0.76, 1.2, 90),
        5: (0.16, 2100.0, 0.68, 1.4, 128),
        6: (0.15, 1800.0, 0.56, 1.6, 300),
    }
    return {
        tier: TierConfig(share=s, median_income=m, online_share=o, price_sensitivity=p, n_cities=c)
        for tier, (s, m, o, p, c) in rows.items()
    }


def _check_tier_keys(tiers: Mapping[int, Any], path: str) -> None:
    keys = sorted(tiers)
    if not keys:
        raise located(path, "must define at least one tier")
    if len(keys) > MAX_TIERS:
        raise located(path, f"at most {MAX_TIERS} tiers are supported, got {len(keys)}")
    if keys != list(range(1, len(keys) + 1)):
        raise located(path, f"tiers must be numbered 1..{len(keys)} without gaps, got {keys}")


class PopulationConfig(Section):
    """Consumers and the cities they live in."""

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType(
        {
            "high_net_worth_share": 0.0,
            "high_net_worth_income_multiplier": 5.0,
            "high_net_worth_need_multiplier": 6.0,
        }
    )

    n_consumers: int = Field(
        default=50_000,
        ge=2,
        le=MAX_CONSUMERS,
        description="Number of consumers (KOCs and store owners included).",
        unit="consumers",
        source="model size, not a source: a world is a sample of the market",
    )
    tiers: Annotated[Mapping[int, TierConfig], AfterValidator(read_only), Table] = Field(
        default_factory=_default_tiers,
        description="The tier table, keyed by tier number 1..K.",
        row="tier",
    )
    income_sigma: float = Field(
        default=0.6,
        gt=0,
        le=3,
        description="Sigma of log income around each tier's median (assumption, domain.md).",
        unit="sigma of log income",
        source="assumption (shared/domain.md)",
    )
    city_size_exponent: float = Field(
        default=1.0,
        ge=0,
        le=3,
        description=(
            "Zipf exponent of city sizes within a tier: the r-th largest city has weight "
            "r**-exponent (Zipf's law for cities, Gabaix 1999). 0 gives equal cities."
        ),
        unit="exponent",
        source="Zipf's law for cities (Gabaix 1999)",
    )
    min_city_size: int = Field(
        default=50,
        ge=1,
        description=(
            "Fewest consumers in a city. A tier too small to give each of its n_cities this "
            "many residents uses fewer cities, so small worlds keep their local structure "
            "(assumption: about two close-knit communities)."
        ),
        unit="consumers",
        source="assumption: about two close-knit communities",
    )
    high_net_worth_share: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description=(
            "Share of consumers in the high-net-worth segment: the richest by drawn income (no "
            "extra draws), whose income is multiplied by high_net_worth_income_multiplier and "
            "whose needs arise high_net_worth_need_multiplier times as often; a paid "
            "membership pays for them. Kaola's CEO: membership pays most above about RMB "
            "10,000 of yearly spending, and a high-net-worth member saves about RMB 3,808 a "
            "year (interview, 2020). Default 0.02 (assumption; 0 turns the segment off). With "
            "the recommended multipliers the segment's median yearly spending is about RMB "
            "10,000 to 12,000 (docs/membership.md)."
        ),
        unit="share of consumers (0-1)",
        source=(
            "Kaola's CEO: membership pays most above about RMB 10,000 of yearly "
            "spending, a high-net-worth member saves about RMB 3,808 a year "
            "(interview, 2020); the share is an assumption"
        ),
    )
    high_net_worth_income_multiplier: float = Field(
        default=5.0,
        ge=1,
        le=100,
        description=(
            "Income of a high-net-worth consumer as a multiple of the income drawn for it. "
            "Recommended: 5 (assumption)."
        ),
        unit="multiplier",
        source="assumption",
    )
    high_net_worth_need_multiplier: float = Field(
        default=6.0,
        ge=1,
        le=50,
        description=(
            "How many times as often a high-net-worth consumer's needs arise: a category's "
            "daily chance is 1 - (1 - need_rate) ** multiplier. Recommended: 6, which puts "
            "their yearly spending above the RMB 10,000 where Kaola's membership pays "
            "(assumption; see high_net_worth_share)."
        ),
        unit="multiplier",
        source=(
            "assumption, set so the segment's yearly spending passes the RMB 10,000 "
            "where Kaola's membership pays (interview with Kaola's CEO, 2020)"
        ),
    )

    @model_validator(mode="after")
    def _tier_table_is_consistent(self) -> PopulationConfig:
        _check_tier_keys(self.tiers, "population.tiers")
        total = sum(t.share for t in self.tiers.values())
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            shares = {k: t.share for k, t in sorted(self.tiers.items())}
            raise located(
                "population.tiers", f"tier shares must sum to 1, got {total:.6g} from {shares}"
            )
        return self


# --------------------------------------------------------------------------- network


class TierNetworkConfig(Section):
    """Local network structure of one tier.

    Lower-tier towns are close-knit: smaller communities that hold more of each
    person's ties, so their communities are denser and more clustered ("strong
    sense of social support and connectedness" in lower-tier communities, "E-Commerce
    is Social in China's Small Cities", 2020). The numbers are an *assumption*.
    """

    community_size: int = Field(
        ge=2,
        description="Mean size of a close-knit community (neighbourhood, village, workplace).",
        unit="consumers",
        source=(
            'assumption (lower-tier communities are close-knit: "E-Commerce is '
            "Social in China's Small Cities\", 2020)"
        ),
    )
    community_tie_share: float = Field(
        ge=0,
        le=1,
        description="Share of a consumer's local ties that fall inside the own community.",
        unit="share of local ties (0-1)",
        source=(
            'assumption (lower-tier communities are close-knit: "E-Commerce is '
            "Social in China's Small Cities\", 2020)"
        ),
    )


def _default_tier_networks() -> dict[int, TierNetworkConfig]:
    rows = {
        1: (60, 0.50),
        2: (50, 0.58),
        3: (40, 0.65),
        4: (35, 0.72),
        5: (30, 0.78),
        6: (25, 0.85),
    }
    return {
        tier: TierNetworkConfig(community_size=size, community_tie_share=share)
        for tier, (size, share) in rows.items()
    }


class NetworkConfig(Section):
    """The undirected social (friendship) graph between consumers."""

    mean_degree: float = Field(
        default=15.0,
        gt=0,
        description=(
            "Mean number of social ties per consumer: the ties that talk about purchases. "
            "About the size of Dunbar's 'sympathy group' (Dunbar 1998); assumption."
        ),
        unit="ties per consumer",
        source="assumption: about Dunbar's 'sympathy group' (Dunbar 1998)",
    )
    weak_tie_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of ties that link to consumers anywhere in the country (assumption).",
        unit="share of ties (0-1)",
        source="assumption",
    )
    weak_tie_weight: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description=(
            "Influence of a weak tie (city or country wide) relative to a strong community "
            "tie (Granovetter 1973: weak ties bridge but persuade less); assumption."
        ),
        unit="multiplier (strong tie = 1)",
        source="assumption (Granovetter 1973: weak ties bridge but persuade less)",
    )
    tiers: Annotated[Mapping[int, TierNetworkConfig], AfterValidator(read_only), Table] = Field(
        default_factory=_default_tier_networks,
        description="Community structure per tier, keyed like population.tiers.",
        row="tier",
    )

    @model_validator(mode="after")
    def _tier_keys(self) -> NetworkConfig:
        _check_tier_keys(self.tiers, "network.tiers")
        return self


# --------------------------------------------------------------------------- influencers


class InfluencerConfig(Section):
    """KOLs (influencers) and KOCs (consumer-creators) and whom they reach.

    KOL follower counts are heavy tailed. The Douyin segments are head >= 10 M,
    shoulder 5-10 M, waist 1-5 M, tail 0.1-1 M followers (Kas Data, via hb2b):
    a factor of 100 from the bottom of the tail to the head. Here follower
    counts are drawn as a share of the consumers, Pareto distributed from
    ``kol_min_follower_share`` up, and segmented with the same factors (tail x1,
    waist x10, shoulder x50, head x100). KOCs have under about 50 k followers
    (pkmarketing; eac-consulting): small circles of friends and neighbours with
    high trust.
    """

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType({"kol_homes": "random"})

    n_kols: int = Field(
        default=100,
        ge=0,
        description="Number of KOLs (not consumers).",
        unit="KOLs",
        source="assumption, scaled to the world",
    )
    n_kocs: int = Field(
        default=1000,
        ge=0,
        description="Number of consumers who are KOCs.",
        unit="consumers",
        source="assumption, scaled to the world",
    )
    kol_min_follower_share: float = Field(
        default=0.002,
        gt=0,
        le=1,
        description="Smallest KOL audience, as a share of consumers (assumption).",
        unit="share of consumers (0-1)",
        source="assumption",
    )
    kol_max_follower_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Largest KOL audience share (cap; assumption).",
        unit="share of consumers (0-1)",
        source="assumption",
    )
    kol_follower_exponent: float = Field(
        default=0.8,
        gt=0,
        le=5,
        description=(
            "Pareto tail exponent of KOL audience sizes; smaller is heavier. Calibrated so "
            "that KOL income is very concentrated (Gini about 0.75 in the default world; 1.2 "
            "gave 0.45): 1 % of streamers take 80 % of income (NetEase 2016), stylized fact 4 "
            "of socialsim validate."
        ),
        unit="Pareto exponent",
        source=(
            "calibrated to KOL income concentration: 1 % of streamers take 80 % of "
            "income (NetEase 2016), stylized fact 4"
        ),
    )
    kol_prospect_ratio: float = Field(
        default=0.5,
        ge=0,
        le=100,
        description=(
            "Prospective followers per initial follower of a KOL: consumers who may follow "
            "later, after good livestreams (assumption)."
        ),
        unit="prospects per initial follower",
        source="assumption",
    )
    kol_tier_affinity: float = Field(
        default=0.7,
        ge=0,
        description=(
            "How strongly a KOL's audience concentrates around the KOL's focus tier: "
            "weight exp(-affinity * |tier - focus|). Kuaishou has 64 % of users in tier 3 "
            "and below while Douyin has 52 % in tiers 1-2 (domain.md); size assumption."
        ),
        unit="per tier step (exponent)",
        source=(
            "direction: Kuaishou 64 % of users in tier 3 and below, Douyin 52 % in "
            "tiers 1-2 (shared/domain.md); size assumption"
        ),
    )
    kol_trust: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Mean trust of a follower in a KOL (assumption).",
        unit="trust (0-1)",
        source="assumption",
    )
    koc_trust: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="Mean trust of a follower in a KOC: small reach, high trust (assumption).",
        unit="trust (0-1)",
        source="assumption (KOCs: small circles with high trust; pkmarketing, eac-consulting)",
    )
    trust_concentration: float = Field(
        default=10.0,
        gt=0,
        le=1e6,
        description="Beta concentration of per-follower trust around its mean (assumption).",
        unit="Beta concentration",
        source="assumption",
    )
    koc_extra_followers: float = Field(
        default=10.0,
        ge=0,
        le=1e6,
        description="Mean followers a KOC has beyond its own strong ties, from its city.",
        unit="followers per KOC",
        source="assumption (KOCs have under about 50 k followers: pkmarketing, eac-consulting)",
    )
    kol_post_rate: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Daily probability that a KOL posts a product.",
        unit="probability per day (0-1)",
        source="assumption",
    )
    koc_post_rate: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Daily probability that a KOC reviews a product it bought.",
        unit="probability per day (0-1)",
        source="assumption",
    )
    kol_post_reach: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Probability a follower sees a given KOL post.",
        unit="probability per post (0-1)",
        source="assumption",
    )
    koc_post_reach: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Probability a follower sees a given KOC post.",
        unit="probability per post (0-1)",
        source="assumption",
    )

    @model_validator(mode="after")
    def _follower_shares_ordered(self) -> InfluencerConfig:
        if self.kol_min_follower_share > self.kol_max_follower_share:
            raise located(
                "influencers.kol_min_follower_share",
                f"must be <= influencers.kol_max_follower_share ({self.kol_max_follower_share})",
            )
        return self

    kol_homes: Literal["random", "by_followers"] = Field(
        default="by_followers",
        description=(
            "How KOLs get their home platform: 'random', each drawn in proportion to the "
            "platforms' kol_share (one draw can then put most followers on one platform); "
            "'by_followers' (the default), the followers shared out by kol_share, most "
            "followed KOLs first, so each platform's audience is its share in every world."
        ),
        unit="- (choice)",
        source=(
            "model choice (issue 22): 'by_followers' keeps each platform's share of "
            "followers in every world"
        ),
    )


class StoreConfig(Section):
    """Micro-store owners (Yunji / Beidian style resellers).

    Yunji had 7.4 M store owners at the end of 2018 (Fung Business
    Intelligence), about 1 % of its users; the default 500 per 50 k consumers
    follows that order of magnitude (assumption). Without an enabled platform
    that runs micro-stores (Yunji switched off), owners are chosen but have no
    store: they shop as consumers and nobody sells or recruits.
    """

    n_owners: int = Field(
        default=500,
        ge=0,
        description="Number of consumers who own a store.",
        unit="consumers",
        source=(
            "assumption of the order of Yunji's 7.4 M store owners, about 1 % of "
            "its users, end of 2018 (Fung Business Intelligence)"
        ),
    )


class DaigouConfig(Section):
    """Daigou: personal shoppers who order imports for their clients under their own name.

    A daigou (代购, "buying on behalf") buys imported goods for friends and
    WeChat contacts and resells them with a service fee. Buying through
    cross-border e-commerce, the daigou is the purchaser of record, so every
    client's order counts against the daigou's personal quota (RMB 5,000 per
    order, RMB 26,000 a year): the quota is meant for personal use, and it is
    what stops a busy daigou (``cross_border``; 2019 E-commerce Law crackdown on
    WeChat daigou, Jing Daily 2019). Head count, client numbers, contact rate,
    trust and fee are *assumptions* to be swept; the defaults let a busy
    daigou reach the annual quota within one 90-day season. Without an enabled
    platform that lists imports (Kaola switched off), daigou buy nothing.
    """

    n_shoppers: int = Field(
        default=50,
        ge=0,
        description="Number of consumers who are daigou (0.1 % by default).",
        unit="consumers",
        source="assumption",
    )
    extra_clients: float = Field(
        default=150.0,
        ge=0,
        le=1e5,
        description=(
            "Mean clients a daigou has beyond its own friends (Lomax with shape 2: heavy "
            "tailed; drawn uniformly from all consumers): WeChat contacts who buy through it "
            "(assumption)."
        ),
        unit="clients per daigou",
        source="assumption",
    )
    contact_rate: float = Field(
        default=0.03,
        ge=0,
        le=1,
        description=(
            "Daily probability that a client sees the daigou's offers and asks for an import "
            "for one of the client's open needs (assumption; tuned with the market-level GMV "
            "shares, as daigou orders made up most of Kaola's sales at 0.15)."
        ),
        unit="probability per day (0-1)",
        source="assumption, tuned with the market-level GMV shares (issue 22)",
    )
    trust: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description=(
            "Mean trust of clients in their daigou (Beta around it, concentration "
            "influencers.trust_concentration): a personal guarantee that the goods are genuine."
        ),
        unit="trust (0-1)",
        source="assumption",
    )
    service_fee: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description=(
            "Fee the daigou adds to the platform's price, as a share of it; the daigou keeps "
            "it and does not refund it on a return (assumption)."
        ),
        unit="share of the platform's price (0-1)",
        source="assumption",
    )


# --------------------------------------------------------------------------- catalogue


class CategoryConfig(Section):
    """One product category.

    Prices are lognormal around the median. The default medians are an
    *assumption* set so the average order lands near Pinduoduo's RMB 43.5-51
    (FY2019-2020 GMV / orders); need rates are set so yearly spend per buyer is
    of the order of Pinduoduo's RMB 1,127-2,810 per active buyer (2018-2021).
    Influencers work best in beauty, mother-and-baby and fashion (Azoya), which
    the ``influencer_affinity`` weights reflect.
    """

    n_products: int = Field(
        ge=1,
        description="Number of products in the category.",
        unit="products",
        source="assumption",
    )
    median_price: float = Field(
        gt=0,
        le=MAX_RMB,
        description="Median price in RMB.",
        unit="RMB",
        source=(
            "assumption, set so the average order lands near Pinduoduo's RMB "
            "43.5-51 (FY2019-2020 GMV / orders)"
        ),
    )
    price_sigma: float = Field(
        ge=0,
        le=3,
        description="Sigma of log price.",
        unit="sigma of log price",
        source="assumption",
    )
    need_rate: float = Field(
        ge=0,
        le=1,
        description="Daily probability that a consumer without one develops a need.",
        unit="probability per day (0-1)",
        source=(
            "assumption, set so yearly spend per buyer is of the order of "
            "Pinduoduo's RMB 1,127-2,810 per active buyer (2018-2021)"
        ),
    )
    influencer_affinity: float = Field(
        ge=0,
        description="Relative weight of the category in KOL posts.",
        unit="weight (relative)",
        source=(
            "influencers work best in beauty, mother-and-baby and fashion (Azoya); "
            "the weights are an assumption"
        ),
    )
    mean_quality: float = Field(
        default=0.65,
        gt=0,
        lt=1,
        description="Mean product quality on a 0-1 scale.",
        unit="quality (0-1)",
        source="assumption",
    )
    cross_border_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description=(
            "Share of the category's products that are imported (sold only on platforms that "
            "list cross-border goods)."
        ),
        unit="share of the category's products (0-1)",
        source=(
            "assumption following Kaola's categories (mothers, beauty; interview "
            "with Kaola's CEO, 2020)"
        ),
    )
    cross_border_tax: float = Field(
        default=0.091,
        ge=0,
        le=1,
        description=(
            "Cross-border tax inside the personal quota: no tariff, VAT and consumption tax at "
            "70 %, about 9.1 % for ordinary goods and 23 % for cosmetics (customs rules)."
        ),
        unit="share of the price (0-1)",
        source=(
            "customs rules: 13 % VAT x 0.7 = 9.1 % for ordinary goods, about 23 % "
            "for cosmetics (shared/domain.md)"
        ),
    )
    c2m_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of the category's products made to order (C2M pricing applies).",
        unit="share of the category's products (0-1)",
        source=(
            "assumption following the C2M goods sold in groups (farm produce, "
            'household; "E-Commerce is Social in China\'s Small Cities", 2020)'
        ),
    )
    durable: bool = Field(
        default=False,
        description=(
            "Bought once: a consumer who has bought in the category never needs it again. "
            "Bass (1969) models the first purchases of such durables; the validation's "
            "diffusion runs use it, the default world's categories are all repeat purchases."
        ),
        unit="- (flag)",
        source=(
            "Bass (1969): first purchases of durables; used by the validation's diffusion runs"
        ),
    )


def _default_categories() -> dict[str, CategoryConfig]:
    rows = {
        # n products, median price, price sigma, daily need rate, influencer affinity,
        # imported share, cross-border tax, made-to-order share
        "beauty": (60, 100.0, 0.7, 0.015, 3.0, 0.3, 0.23, 0.0),
        "mother_baby": (40, 90.0, 0.6, 0.008, 2.5, 0.3, 0.091, 0.0),
        "fashion": (80, 90.0, 0.7, 0.015, 2.5, 0.05, 0.091, 0.2),
        "food_farm": (80, 30.0, 0.6, 0.045, 1.0, 0.05, 0.091, 0.3),
        "electronics": (40, 400.0, 0.9, 0.003, 0.8, 0.1, 0.091, 0.1),
        "household": (60, 45.0, 0.7, 0.022, 1.0, 0.05, 0.091, 0.3),
    }
    # Imported shares follow Kaola's categories (mothers, beauty; CEO interview 2020) and
    # made-to-order shares the C2M goods sold in groups (farm produce, household); both
    # assumptions. Taxes: 23 % cosmetics, 9.1 % ordinary (customs rules, domain.md).
    return {
        name: CategoryConfig(
            n_products=n,
            median_price=price,
            price_sigma=sigma,
            need_rate=rate,
            influencer_affinity=aff,
            cross_border_share=imported,
            cross_border_tax=tax,
            c2m_share=c2m,
        )
        for name, (n, price, sigma, rate, aff, imported, tax, c2m) in rows.items()
    }


def _check_category_names(categories: Mapping[str, CategoryConfig]) -> Mapping[str, CategoryConfig]:
    if not categories:
        raise located("catalogue.categories", "must define at least one category")
    if len(categories) > MAX_CATEGORIES:
        raise located(
            "catalogue.categories",
            f"at most {MAX_CATEGORIES} categories are supported, got {len(categories)}",
        )
    for name in categories:
        if not name.isidentifier() or not name.islower():
            raise located(
                f"catalogue.categories.{name}",
                "category names must be lower-case identifiers (letters, digits, _)",
            )
    return read_only(categories)


def _check_new_platforms(platforms: Any) -> Any:
    # Before validation, while it can still be told whether a row gave `preset`: a row
    # under a name that is no preset's, without `preset`, is most likely a misspelt
    # platform (`--set platforms.pdd.group_buying.discount=0.3` would add a seventh,
    # plain platform), so a new platform must say where it starts.
    if not isinstance(platforms, Mapping):
        return platforms  # pydantic names the type
    names = [name for name in platforms if isinstance(name, str)]
    for name, row in platforms.items():
        if row is None:
            raise located(
                f"platforms.{name}",
                "a platform is a mapping of its settings, got None; to leave it out of "
                f"the world, set platforms.{name}.enabled to false",
            )
        if not isinstance(name, str) or name in PRESETS or not _is_lower_identifier(name):
            continue  # a preset's name, or a bad name the name check reports
        if isinstance(row, PlatformConfig):
            given = "preset" in row.model_fields_set
        elif isinstance(row, Mapping):
            given = "preset" in row
        else:
            continue  # not a row: pydantic names the type
        if not given:
            close = closest_name(name, [n for n in {*PRESETS, *names} if n != name])
            hint = f"; did you mean {close!r}?" if close else "."
            raise located(
                f"platforms.{name}",
                f"unknown platform{hint} A new platform needs 'preset: NAME' (one of "
                f"{', '.join(PRESETS)}), or 'preset: null' to start from the defaults",
            )
    return platforms


def _is_lower_identifier(name: str) -> bool:
    return name.isidentifier() and name.islower()


def _check_platform_names(platforms: Mapping[str, PlatformConfig]) -> Mapping[str, PlatformConfig]:
    if not platforms:
        raise located("platforms", "must define at least one platform")
    if len(platforms) > MAX_PLATFORMS:
        raise located(
            "platforms", f"at most {MAX_PLATFORMS} platforms are supported, got {len(platforms)}"
        )
    for name in platforms:
        if not name.isidentifier() or not name.islower():
            raise located(
                f"platforms.{name}",
                "platform names must be lower-case identifiers (letters, digits, _)",
            )
    return read_only(platforms)


class CatalogueConfig(Section):
    """The products on sale, by category."""

    categories: Annotated[
        Mapping[str, CategoryConfig], AfterValidator(_check_category_names), Table
    ] = Field(
        default_factory=_default_categories, description="Categories keyed by name.", row="category"
    )
    quality_concentration: float = Field(
        default=6.0,
        gt=0,
        le=1e6,
        description="Beta concentration of product quality around the mean.",
        unit="Beta concentration",
        source="assumption",
    )


# --------------------------------------------------------------------------- behaviour


class ConversionConfig(Section):
    """The logit of buying a product the consumer is exposed to, per day.

    ``logit = base[source] + trust_weight * trust + social_proof_weight * share of
    friends who bought the category recently + quality_weight * (quality - 0.5)
    - price_weight * price_sensitivity * price / monthly budget + shifts``,
    turned into a chance by ``link`` (the logistic function by default).
    All coefficients are *assumptions* to be swept. Five of them
    (``price_weight``, ``base_feed_social``, ``base_search``,
    ``base_livestream``, ``offline_shift``), with ``behaviour.budget_share``,
    are the posterior mean of the default world's calibration by ABC-SMC
    (``experiments/calibrate_default.yaml``; record, with the command that
    reproduces it, in ``socialsim/calibration/records/default``), rounded to
    three significant figures. Tuned to: the 2020 GMV shares of Pinduoduo
    (55-60 %), Douyin (15-20 %) and Kuaishou (about 13 %) among the six
    platforms (company results and press estimates), Pinduoduo's average
    order (RMB 43.5-51, FY2019-2020 results), the social feed's lift over the
    algorithmic feed (3-5 x, 2020 article) and yearly spend per customer
    (RMB 2,115, Pinduoduo FY2020). Held out: Taobao Live's, Kaola's and
    Yunji's shares, the livestream's lift and the held-out checks of
    ``socialsim validate``. The posterior predictive puts Pinduoduo at 56 %
    of GMV, Douyin at 20 %, Kuaishou at 8 % (a miss), Pinduoduo's average
    order at RMB 33 (a miss), the feed lift at 4.2 x and spend per customer
    at RMB 2,180 a year. The other coefficients were set by hand before
    issue 23.
    """

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType({"social_exposure": "per_offer", "group_decision": "after"})

    link: Literal["logit", "linear", "hazard"] = Field(
        default="logit",
        description=(
            "How the score (the sum above) becomes the chance of buying: 'logit', "
            "1 / (1 + exp(-score)); 'linear', the score itself clipped to [0, 1] (a linear "
            "probability model, with which the Bass (1969) model is reproduced exactly); "
            "'hazard', 1 - exp(-score) for a positive score and 0 otherwise (the score is a "
            "rate, each unit of it an independent chance: with social_proof 'count' this is "
            "the Independent Cascade of Kempe, Kleinberg and Tardos 2003)."
        ),
        unit="- (choice)",
        source=(
            "model choice; 'linear' docks with Bass (1969), 'hazard' with the "
            "Independent Cascade (Kempe, Kleinberg and Tardos 2003)"
        ),
    )
    social_proof: Literal["share", "count", "population"] = Field(
        default="share",
        description=(
            "What social_proof_weight multiplies: the tie-weighted 'share' of the consumer's "
            "ties who bought the category lately, or their tie-weighted 'count' (the number "
            "of such friends when every tie weighs 1), or the 'population' share of all "
            "consumers who bought it lately, whoever their friends are (global mixing, the "
            "mean field of the Bass model, used to dock large worlds without a complete "
            "graph; friends' offers still come from the social graph)."
        ),
        unit="- (choice)",
        source="model choice; 'population' is the mean field of the Bass (1969) model",
    )
    group_decision: Literal["after", "joint"] = Field(
        default="joint",
        description=(
            "How a buyer on a platform that sells in groups chooses group or solo. 'after': "
            "the decision sees the solo price, and a purchase then becomes a group purchase "
            "by a separate draw (so a deeper group discount cannot win a sale); 'joint' "
            "(the default; logit link only): solo, group or neither in one multinomial logit "
            "whose group option has the group price, the perceived saving, the wait and the "
            "chance the group completes (see GroupBuying.group_logit)."
        ),
        unit="- (choice)",
        source=(
            "model choice (issue 22): a multinomial logit (McFadden 1974) with the "
            "perceived saving (Thaler 1985)"
        ),
    )
    social_exposure: Literal["per_offer", "per_need"] = Field(
        default="per_need",
        description=(
            "How friends' purchases reach a need. 'per_offer': word of mouth and a social "
            "feed each offer the friend's purchase word of mouth drew (one purchase becomes "
            "two offers) and social proof is added to every offer for the need; 'per_need' "
            "(the default): a friend's purchase becomes at most one offer for a need (a "
            "platform's social feed carries a friend's purchase made on that platform, "
            "instead of word of mouth) and social proof enters once per need, on its most "
            "attractive offer."
        ),
        unit="- (choice)",
        source="model choice (issue 22)",
    )
    base_search: float = Field(
        default=-3.46,
        description=(
            "Base logit for a product found by browsing the platform. Default: the posterior "
            "mean of the default world's calibration (-3.46, 90 % interval -4.24 to -2.42; "
            "-3.04 before brands, C2M production and exports joined the world in issue 25, "
            "-3.0 before the first fit), which fitted six market figures (see ConversionConfig)."
        ),
        unit="logit",
        source=(
            "calibrated: posterior mean of the default world's ABC-SMC calibration "
            "(socialsim/calibration/records/default)"
        ),
    )
    base_word_of_mouth: float = Field(
        default=-3.0,
        description="Base logit for a product a friend bought.",
        unit="logit",
        source="assumption",
    )
    base_kol: float = Field(
        default=-2.0,
        description="Base logit for a KOL-posted product.",
        unit="logit",
        source="assumption",
    )
    base_koc: float = Field(
        default=-2.0,
        description="Base logit for a KOC-reviewed product.",
        unit="logit",
        source="assumption",
    )
    base_feed_social: float = Field(
        default=-0.391,
        description=(
            "Base logit for a product a social feed shows (what a friend bought). "
            "Calibrated, with the lift of a social-feed exposure over an algorithmic one as a "
            "target: Kuaishou's social feed converts 3-5 x Douyin's (2020 article); posterior "
            "mean -0.391 (90 % interval -1.51 to 0.16), giving about 4.0 x; -0.355 in the "
            "fit before issue 25, -1.0 by hand in issue 22, -2.0 before."
        ),
        unit="logit",
        source=(
            "calibrated: posterior mean of the default world's calibration, with "
            "Kuaishou's social feed converting 3-5 x Douyin's (2020 article) among "
            "the targets"
        ),
    )
    base_feed_algorithmic: float = Field(
        default=-2.2,
        description="Base logit for a product an algorithmic feed recommends to a stranger.",
        unit="logit",
        source=(
            "assumption, set with base_feed_social to give the 3-5 x feed lift "
            '("E-Commerce is Social in China\'s Small Cities", 2020)'
        ),
    )
    base_livestream: float = Field(
        default=-2.42,
        description=(
            "Base logit for a product featured in a livestream the consumer watches, before "
            "the session's urgency. Calibrated to the market figures (posterior mean -2.42, "
            "90 % interval -3.38 to -1.74; -2.26 in the fit before issue 25, -1.5 by hand "
            "before); the livestream's lift over "
            "search (best cases near 30 %, up to 10 x ordinary e-commerce, McKinsey 2021) "
            "was kept out of the fit and is checked by socialsim validate (fact 3)."
        ),
        unit="logit",
        source=(
            "calibrated: posterior mean of the default world's calibration; the "
            "livestream's lift (McKinsey 2021) was held out"
        ),
    )
    base_group_share: float = Field(
        default=-1.5,
        description="Base logit for joining a group a friend shared (a cheap, trusted ask).",
        unit="logit",
        source="assumption",
    )
    base_store: float = Field(
        default=-2.0,
        description="Base logit for a product a store-owner friend promotes.",
        unit="logit",
        source="assumption",
    )
    base_daigou: float = Field(
        default=-1.0,
        description=(
            "Base logit for an import a client asked its daigou for (the client's own "
            "request, so higher than an unasked offer's)."
        ),
        unit="logit",
        source="assumption",
    )
    review_weight: float = Field(
        default=4.0,
        ge=0,
        description=(
            "Extra weight of quality in a KOC's honest review: good products are talked up, "
            "poor ones down (assumption)."
        ),
        unit="logit per unit of quality",
        source="assumption",
    )
    no_need_shift: float = Field(
        default=-2.0,
        le=0,
        description=(
            "Logit shift for an offer outside an open need (a shared group, a store owner's "
            "promotion): people buy less of what they did not plan to. Livestream viewers "
            "without a need are filtered by livestream.impulse instead."
        ),
        unit="logit",
        source="assumption",
    )
    tier_appeal_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of the platform's tier appeal in the logit of buying on it.",
        unit="multiplier",
        source="assumption",
    )
    trust_weight: float = Field(
        default=2.0,
        ge=0,
        description="Weight of trust in the source.",
        unit="logit per unit of trust",
        source="assumption",
    )
    social_proof_weight: float = Field(
        default=2.0,
        ge=0,
        description="Weight of the (tie-weighted) share of friends who bought the category.",
        unit="logit per unit of social proof",
        source="assumption",
    )
    quality_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of product quality.",
        unit="logit per unit of quality",
        source="assumption",
    )
    price_weight: float = Field(
        default=0.816,
        ge=0,
        description=(
            "Weight of price relative to the monthly budget. Calibrated: posterior mean 0.816 "
            "(90 % interval 0.31 to 1.25, loguniform prior 0.3-3; 0.555 in the fit before "
            "issue 25, 1.0 before)."
        ),
        unit="logit per unit of price / monthly budget",
        source=(
            "calibrated: posterior mean of the default world's calibration "
            "(socialsim/calibration/records/default)"
        ),
    )
    first_purchase_shift: float = Field(
        default=-1.0,
        le=0,
        description="Logit shift for consumers who have not yet bought (trying is a hurdle).",
        unit="logit",
        source="assumption",
    )
    offline_shift: float = Field(
        default=-2.79,
        le=0,
        description=(
            "Logit shift for consumers who do not shop online yet (they do not search; "
            "friends, followed creators, shared groups and store owners reach them). Lower "
            "tiers had twice the top tiers' first-time online shoppers in 2020 (GfK, quoted "
            "in the 2020 article). Calibrated: posterior mean -2.79 (90 % interval -5.02 to "
            "-1.50; -3.33 in the fit before issue 25, -3.5 by hand before), weakly identified "
            "by the market figures."
        ),
        unit="logit",
        source=(
            "calibrated: posterior mean of the default world's calibration; lower "
            "tiers had twice the top tiers' first-time online shoppers in 2020 "
            "(GfK)"
        ),
    )


class BehaviourConfig(Section):
    """How consumers need, notice and buy."""

    # options added after run ids were stored, with the values that behave as before
    hash_neutral = MappingProxyType({"budget_renewal": "common"})

    budget_share: float = Field(
        default=0.171,
        gt=0,
        le=1,
        description=(
            "Share of monthly disposable income a consumer can spend through social "
            "commerce: a ceiling, not the spend. Calibrated with yearly spend per customer "
            "(Pinduoduo: RMB 2,115 per active buyer in 2020) and Pinduoduo's average order "
            "among the targets: posterior mean 0.171 (90 % interval 0.126 to 0.200, prior "
            "0.03-0.2; 0.175 in the fit before issue 25, 0.07 before, about 7 % of a tier-3 "
            "median income). The fit presses it up to lift Pinduoduo's average order, which "
            "it still misses (RMB 30 against 43.5-51)."
        ),
        unit="share of monthly income (0-1)",
        source=(
            "calibrated: posterior mean of the default world's calibration, with "
            "yearly spend per customer (Pinduoduo: RMB 2,115 in 2020) among the "
            "targets"
        ),
    )
    budget_period_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days after which the budget is renewed.",
        unit="days",
        source="assumption: a monthly budget",
    )
    budget_renewal: Literal["common", "staggered"] = Field(
        default="staggered",
        description=(
            "When budgets renew: 'common', everyone's on the same day (steps 1 + k x "
            "budget_period_days), which makes daily GMV jump on renewal days; or "
            "'staggered', each consumer on a pay day of their own, drawn once and uniformly "
            "over the period, with the first period's budget prorated, so no day stands out "
            "(the default; an assumption: pay days are spread over the month)."
        ),
        unit="- (choice)",
        source="assumption (issue 22): pay days are spread over the month",
    )
    need_patience_days: float = Field(
        default=7.0,
        ge=1,
        le=1e9,
        description="Mean days an unmet need stays open before it lapses (assumption).",
        unit="days",
        source="assumption",
    )
    word_of_mouth_days: int = Field(
        default=7,
        ge=1,
        le=3650,
        description="Days a friend's purchase stays visible to the friend's ties (assumption).",
        unit="days",
        source="assumption",
    )
    post_sparks_need: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description=(
            "Probability that seeing a post creates a need in its category: influencers turn "
            "unknown products into 'dark horses' (Azoya); size assumption."
        ),
        unit="probability per post seen (0-1)",
        source="influencers turn unknown products into 'dark horses' (Azoya); size assumption",
    )
    return_rate: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description=(
            "Share of ordinary purchases of average quality that are returned: 10-15 % for "
            "ordinary e-commerce (trade press, domain.md); livestreams set their own. 0.12 "
            "until issue 22; 0.15 keeps livestream orders returned about 3.7-3.8 x as often "
            "(stylized fact 3, 2-5 x) now that Pinduoduo's cheap group orders fill the "
            "ordinary ones (0.12 gave 4.8 x)."
        ),
        unit="share of orders (0-1)",
        source=(
            "10-15 % for ordinary e-commerce (trade press, shared/domain.md); 0.15 "
            "keeps livestream orders returned 3.7-3.8 x as often (stylized fact 3)"
        ),
    )
    return_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description=(
            "Days between a purchase and its return or settlement: China's seven-day "
            "no-reason return rule for online purchases (Consumer Rights Protection Law, "
            "art. 25); that returns come on the last day is an assumption."
        ),
        unit="days",
        source=(
            "China's seven-day no-reason return rule (Consumer Rights Protection "
            "Law, art. 25); returns on the last day are an assumption"
        ),
    )
    conversion: ConversionConfig = Field(default_factory=ConversionConfig)


# --------------------------------------------------------------------------- cross-border rules


class CrossBorderConfig(Section):
    """The personal quota on cross-border e-commerce imports (law, not platform strategy).

    RMB 5,000 per transaction and RMB 26,000 per person per year since 2019
    (Ningbo Customs Q&A; HKTDC); orders over quota are blocked. Tax rates are
    per category (``catalogue.categories.*.cross_border_tax``).
    """

    per_order_limit: float = Field(
        default=5000.0,
        ge=0,
        le=MAX_RMB,
        description="RMB per transaction.",
        unit="RMB per order",
        source="Ningbo Customs Q&A; HKTDC (since 2019)",
    )
    annual_limit: float = Field(
        default=26000.0,
        ge=0,
        le=MAX_RMB,
        description="RMB per consumer per year.",
        unit="RMB per consumer per year",
        source="Ningbo Customs Q&A; HKTDC (since 2019)",
    )
    year_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Days in a quota year.",
        unit="days",
        source="a calendar year",
    )


# --------------------------------------------------------------------------- marketing campaign


class CampaignSplitConfig(Section):
    """Shares of a campaign's budget for each creator class; they must sum to 1.

    The classes: ``head``, the largest KOLs; ``mid``, the smallest KOLs, who
    stand for the cost-effective 50k-100k-follower accounts (Azoya); ``koc``,
    consumer-creators with under about 50k followers (pkmarketing;
    eac-consulting). The default, about a third each, is a neutral starting point
    for comparing splits (assumption).
    """

    head: float = Field(
        default=0.34,
        ge=0,
        le=1,
        description="Share of the budget for head KOLs (assumption).",
        unit="share of the budget (0-1)",
        source="assumption: about a third each, a neutral start for comparing splits",
    )
    mid: float = Field(
        default=0.33,
        ge=0,
        le=1,
        description="Share of the budget for small (tail-segment) KOLs (assumption).",
        unit="share of the budget (0-1)",
        source="assumption: about a third each, a neutral start for comparing splits",
    )
    koc: float = Field(
        default=0.33,
        ge=0,
        le=1,
        description="Share of the budget for KOCs (assumption).",
        unit="share of the budget (0-1)",
        source="assumption: about a third each, a neutral start for comparing splits",
    )


class CampaignFeeConfig(Section):
    """Fee of one sponsored post, in RMB per current follower of the creator, by class.

    Rate cards quote a price per post by follower band; divided by the band's
    followers they give RMB per follower. Xiaohongshu 2024-25 benchmarks: 1M+
    followers RMB 50k-500k a post, 10k-100k followers RMB 800-8,000 (AllXHS KOL
    guide); 1k-5k followers RMB 150-450 (jfound 2025). All three defaults are
    *assumptions* inside those ranges, ordered as the sources describe: the
    50k-100k accounts are the cost-effective ones, growth-hungry and
    commission-driven (Azoya), so the cheapest per follower; head KOLs charge a
    premium for reach; KOCs charge more per follower than small KOLs, as small
    accounts price a post above their follower count, but less than head KOLs
    (and their followers trust them more, ``influencers.koc_trust``).
    """

    head: float = Field(
        default=0.10,
        gt=0,
        le=MAX_RMB,
        description=(
            "RMB per follower for a head KOL's post: a premium for reach (assumption; "
            "AllXHS: RMB 0.05-0.5 a follower at 1M followers)."
        ),
        unit="RMB per follower",
        source=(
            "assumption inside AllXHS's Xiaohongshu rate card (RMB 50k-500k a post "
            "at 1M+ followers)"
        ),
    )
    mid: float = Field(
        default=0.06,
        gt=0,
        le=MAX_RMB,
        description=(
            "RMB per follower for a small KOL's post, the cheapest per follower: the "
            "cost-effective 50k-100k accounts (assumption; Azoya; AllXHS: about RMB 0.08 a "
            "follower at 10k-100k)."
        ),
        unit="RMB per follower",
        source=(
            "assumption inside AllXHS's rate card (RMB 800-8,000 a post at 10k-100k "
            "followers); the cost-effective 50k-100k accounts (Azoya)"
        ),
    )
    koc: float = Field(
        default=0.08,
        gt=0,
        le=MAX_RMB,
        description=(
            "RMB per follower for a KOC's post (assumption; jfound: RMB 150-450 a post at "
            "1k-5k followers, about 0.1 a follower)."
        ),
        unit="RMB per follower",
        source="assumption inside jfound's RMB 150-450 a post at 1k-5k followers (2025)",
    )


class CampaignConfig(Section):
    """A brand's marketing campaign: a fixed budget for sponsored posts of one product.

    Each campaign day releases ``budget / days``, split by ``split``; each
    class's money buys sponsored posts from that class's creators in random
    order at ``fee_per_follower`` x current followers, at most one a creator a
    day, and what a day leaves carries to the next. Creators also earn
    ``commission`` on the orders their sponsored posts bring (cost per sale).
    KOL contracts are a commission per sale or a free trial; about 20 %
    commission plus a fixed slot fee (Azoya; KrASIA/Nikkei; SCMP 2020). With
    ``budget`` 0 (the default) there is no campaign. See
    :mod:`socialsim.mechanisms.campaign`.
    """

    budget: float = Field(
        default=0.0,
        ge=0,
        le=MAX_RMB,
        description="RMB for post fees over the whole campaign; 0 runs no campaign.",
        unit="RMB",
        source="a study's choice; 0 runs no campaign",
    )
    start_step: int = Field(
        default=1,
        ge=1,
        description="First day of the campaign.",
        unit="day (step number)",
        source="a study's choice",
    )
    days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description=(
            "Days the budget is spread over evenly; unspent money carries to the next day, "
            "and what is left after the last day is not spent."
        ),
        unit="days",
        source="a study's choice",
    )
    category: str | None = Field(
        default=None,
        description=(
            "Name of the promoted product's category; None takes the category with the "
            "highest influencer_affinity (the first by name on a tie)."
        ),
        unit="- (category name)",
        source="a study's choice",
    )
    split: CampaignSplitConfig = Field(default_factory=CampaignSplitConfig)
    fee_per_follower: CampaignFeeConfig = Field(default_factory=CampaignFeeConfig)
    commission: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        description=(
            "Share of the campaign's attributed GMV paid to the creators (cost per sale): "
            "about 20 % (KrASIA/Nikkei; SCMP 2020)."
        ),
        unit="share of attributed GMV (0-1)",
        source="about 20 % commission plus a slot fee (Azoya; KrASIA/Nikkei; SCMP 2020)",
    )

    @model_validator(mode="after")
    def _split_sums_to_one(self) -> CampaignConfig:
        split = self.split
        total = split.head + split.mid + split.koc
        if abs(total - 1.0) > 1e-9:
            raise located(
                "campaign.split",
                f"shares must sum to 1, got {total:.10g} from "
                f"{{head: {split.head}, mid: {split.mid}, koc: {split.koc}}}",
            )
        return self


# --------------------------------------------------------------------------- calendar

_FESTIVAL_SOURCE = (
    "Singles' Day: Alibaba GMV RMB 268.4 bn in 24 h (2019), about 10-15 x a normal day on "
    "the largest platform (Alibaba releases, shared/domain.md); 618 and Chinese New Year: "
    "press, sizes an assumption (shared/domain.md)"
)


class FestivalConfig(Section):
    """A festival: days on which demand and the platforms' prices change.

    It starts every year on a month and day (``on: "11-11"``) or on given dates
    (``dates``, for festivals that move, such as Chinese New Year). It acts only
    in a run with ``run.start_date``. With a pre-sale (``presale_days``), a
    share of the needs that arrive in the days before it are pre-ordered
    (a deposit) and bought on its first day instead.
    """

    hash_neutral = MappingProxyType({"presale_days": 0, "presale_share": 0.0})

    on: str | None = Field(
        default=None,
        description="Month and day it starts every year, MM-DD (give this or dates).",
        unit="MM-DD",
        source=_FESTIVAL_SOURCE,
    )
    dates: tuple[datetime.date, ...] = Field(
        default=(),
        description="Dates it starts, for a festival that moves (give this or on).",
        unit="dates (YYYY-MM-DD)",
        source=_FESTIVAL_SOURCE,
    )
    days: int = Field(
        default=1,
        ge=1,
        le=366,
        description="How many days it lasts from each start.",
        unit="days",
        source=_FESTIVAL_SOURCE,
    )
    demand: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="Multiplier on every category's need arrival rate on its days.",
        unit="x (multiplier of the daily need rate)",
        source=_FESTIVAL_SOURCE,
    )
    promotion_depth: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Price cut on every product of the promoting platforms on its days.",
        unit="share of price (0-1)",
        source=_FESTIVAL_SOURCE,
    )
    urgency: float = Field(
        default=0.0,
        ge=-10,
        le=10,
        description=(
            "Shift of the conversion logit of offers on the promoting platforms on its days "
            "(the day's buzz and countdown make shoppers buy now)."
        ),
        unit="logit shift",
        source=_FESTIVAL_SOURCE,
    )
    presale_days: int = Field(
        default=0,
        ge=0,
        le=90,
        description=(
            "Days before its first day on which a pre-sale runs: shoppers pay a deposit and "
            "buy on the first day (Tmall's Singles' Day pre-sale opens in late October)."
        ),
        unit="days",
        source="Tmall's Singles' Day pre-sale (press); the length is a study's choice",
    )
    presale_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description=(
            "Share of the needs arriving on a pre-sale day that are pre-ordered and bought on "
            "the festival's first day instead (arrivals are moved, not added)."
        ),
        unit="share of needs (0-1)",
        source="assumption",
    )
    platforms: tuple[str, ...] | None = Field(
        default=None,
        description="Platforms that run its promotion (null: every platform).",
        unit="platform names",
        source="a study's choice",
    )

    @model_validator(mode="after")
    def _one_way_to_start(self) -> FestivalConfig:
        if (self.on is None) == (not self.dates):
            raise located(
                ".on", "give either 'on' (MM-DD, every year) or 'dates', not both or none"
            )
        if self.on is not None:
            try:
                datetime.date.fromisoformat(f"2000-{self.on}")  # a leap year: 02-29 is a day
            except ValueError:
                raise located(".on", f"must be a month and day as MM-DD, got {self.on!r}") from None
        return self


def _default_festivals() -> Mapping[str, FestivalConfig]:
    return read_only(
        {
            # the year's peak. demand and urgency tuned so that its GMV is at least 3 x a
            # normal October day in the default world (3.9 x the October mean, 3.1-3.3 x
            # the busiest October day, 20,000 consumers, seeds 1-2), below the 10-15 x of
            # Alibaba's own platform; the 20 % cut is an assumption
            "singles_day": FestivalConfig(on="11-11", demand=5.0, promotion_depth=0.2, urgency=1.5),
            # JD's anniversary sale, mid-June: smaller (assumption)
            "six_eighteen": FestivalConfig(
                on="06-18", demand=2.0, promotion_depth=0.1, urgency=0.5
            ),
            # logistics slow for about two weeks from New Year's Eve: fewer needs met online
            # (assumption); New Year's Eve 2020-2026
            "chinese_new_year": FestivalConfig(
                dates=(
                    datetime.date(2020, 1, 24),
                    datetime.date(2021, 2, 11),
                    datetime.date(2022, 1, 31),
                    datetime.date(2023, 1, 21),
                    datetime.date(2024, 2, 9),
                    datetime.date(2025, 1, 28),
                    datetime.date(2026, 2, 16),
                ),
                days=14,
                demand=0.6,
            ),
        }
    )


class CalendarConfig(Section):
    """Festivals as data: demand and promotions on given days of the year.

    The calendar acts only in a run with ``run.start_date``: without dates a
    run has no festivals, and the calendar is left out of the config hash.
    """

    festivals: Annotated[
        Mapping[str, FestivalConfig],
        BeforeValidator(drop_null_rows),
        AfterValidator(check_row_names("calendar.festivals", "festival")),
        Table,
    ] = Field(
        default_factory=_default_festivals,
        description="Festivals keyed by name; remove one with null.",
        row="festival",
    )


# --------------------------------------------------------------------------- run and agents


class AgentsConfig(Section):
    """How consumers appear as Mesa agents."""

    eager_consumer_limit: int = Field(
        default=100_000,
        ge=0,
        description=(
            "Worlds with at most this many consumers create every Consumer agent at build "
            "time; larger worlds create each on first access (model.consumers[i])."
        ),
        unit="consumers",
        source="performance setting; it changes no result",
    )


class RunConfig(Section):
    """How long to run, from which seed, and what to record."""

    steps: int = Field(
        default=90, ge=0, description="Days to simulate.", unit="days", source="a study's choice"
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        description="Root seed; None draws fresh entropy, which is recorded with the results.",
        unit="seed (whole number)",
        source="a study's choice; recorded with every result",
    )
    record_orders: bool = Field(
        default=True,
        description="Keep the order log (one row per order) in memory.",
        unit="- (flag)",
        source="a study's choice",
    )
    start_date: datetime.date | None = Field(
        default=None,
        description=(
            "Calendar date of the first simulated day (step 1); the step table then gains "
            "a 'date' column, step s falling on start_date + (s - 1) days. None: steps only."
        ),
        unit="date (YYYY-MM-DD)",
        source="a study's choice",
    )


# --------------------------------------------------------------------------- the whole world


class ModelConfig(Section):
    """The complete, validated description of a socialsim world and run.

    Examples
    --------
    >>> cfg = ModelConfig()
    >>> cfg.population.n_consumers
    50000
    >>> round(sum(t.share for k, t in cfg.population.tiers.items() if k >= 3), 2)
    0.73
    >>> cfg.with_overrides({"population.n_consumers": 2_000}).population.n_consumers
    2000
    """

    population: PopulationConfig = Field(default_factory=PopulationConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    influencers: InfluencerConfig = Field(default_factory=InfluencerConfig)
    stores: StoreConfig = Field(default_factory=StoreConfig)
    daigou: DaigouConfig = Field(default_factory=DaigouConfig)
    catalogue: CatalogueConfig = Field(default_factory=CatalogueConfig)
    behaviour: BehaviourConfig = Field(default_factory=BehaviourConfig)
    platforms: Annotated[
        Mapping[str, PlatformConfig],
        BeforeValidator(_check_new_platforms),
        AfterValidator(_check_platform_names),
        Table,
    ] = Field(
        default_factory=default_platforms,
        description=(
            "Competing platforms keyed by name; each may start from a preset, and one whose "
            "name is not a preset's must give 'preset' (a preset's name or null). "
            "enabled: false leaves a platform out of the world."
        ),
        row="platform",
    )
    cross_border: CrossBorderConfig = Field(default_factory=CrossBorderConfig)
    campaign: CampaignConfig = Field(default_factory=CampaignConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    brands: BrandsConfig = Field(default_factory=BrandsConfig)
    shocks: Annotated[
        Mapping[str, ShockConfig],
        BeforeValidator(drop_null_rows),
        AfterValidator(check_row_names("shocks", "shock")),
        Table,
    ] = Field(
        default_factory=lambda: read_only({}),
        description=(
            "Shocks keyed by a name of the study's choosing: lockdowns and regulators, each "
            "with a kind, a start (a date or a step) and a length (socialsim.mechanisms.shocks); "
            "none by default. Remove one with null."
        ),
        row="shock",
    )
    exports: ExportsConfig = Field(default_factory=ExportsConfig)
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    extensions: Annotated[Mapping[str, Any], Table] = Field(
        default_factory=dict,
        exclude=True,
        description=(
            "The sections of installed plug-in mechanisms (socialsim.plugins), each under its "
            "own name at the top of the config (config.flash_sale), not under this key."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _plugin_sections(cls, data: Any) -> Any:
        # Each registered plug-in's section is validated by its own model and kept in
        # `extensions`; written, dumped and overridden under its own name.
        if not isinstance(data, Mapping):
            return data
        models = plugins.sections()
        data = dict(data)
        given = dict(data.pop("extensions", None) or {})
        for name in models:
            if name in data:
                given[name] = data.pop(name)
        extensions = {}
        for name, model in models.items():
            value = given.get(name, {})
            if isinstance(value, model):
                extensions[name] = value
                continue
            try:
                extensions[name] = model.model_validate(value)
            except ValidationError as exc:
                from socialsim.config.documents import validation_problems

                first = validation_problems(exc, model)[0]
                path = f"{name}.{first.path}" if first.path else name
                rule = f"{first.rule}, got {first.value!r}" if first.has_value else first.rule
                raise located(path, rule) from None
        data["extensions"] = read_only(extensions)
        return data

    @model_serializer(mode="wrap")
    def _plugin_sections_by_name(self, handler: Any, info: Any) -> dict[str, Any]:
        data = handler(self)
        for name, section in self.extensions.items():
            data[name] = section.model_dump(mode=info.mode)
        return data

    def __getattr__(self, name: str) -> Any:
        # a plug-in's section reads like a built-in one: config.flash_sale.depth
        extensions = self.__dict__.get("extensions")
        if extensions is not None and name in extensions:
            return extensions[name]
        return super().__getattr__(name)  # type: ignore[misc]

    @classmethod
    def extension_fields(cls) -> dict[str, Any]:
        """Return the registered plug-in sections' models by name (for dotted key paths)."""
        return dict(plugins.sections())

    @property
    def active_platforms(self) -> Mapping[str, PlatformConfig]:
        """The platforms in the world: the rows of ``platforms`` not switched off, in order.

        The world, the model and every table and outcome are built from these
        alone; a platform with ``enabled: false`` is as absent as if its row
        were not in the config (only the config and its hash still show it).

        Examples
        --------
        >>> cfg = ModelConfig().with_overrides({"platforms.yunji.enabled": False})
        >>> "yunji" in cfg.platforms, "yunji" in cfg.active_platforms
        (True, False)
        """
        return MappingProxyType({k: v for k, v in self.platforms.items() if v.enabled})

    @model_validator(mode="after")
    def _sections_agree(self) -> ModelConfig:
        n = self.population.n_consumers
        if not any(row.enabled for row in self.platforms.values()):
            raise located(
                "platforms",
                "at least one platform must be enabled, got every one switched off "
                f"({', '.join(self.platforms)})",
            )
        if sorted(self.network.tiers) != sorted(self.population.tiers):
            raise located(
                "network.tiers",
                f"must have the same tiers as population.tiers {sorted(self.population.tiers)}, "
                f"got {sorted(self.network.tiers)}",
            )
        if self.network.mean_degree >= n:
            raise located(
                "network.mean_degree",
                f"must be < population.n_consumers ({n}), got {self.network.mean_degree}",
            )
        affinity = [c.influencer_affinity for c in self.catalogue.categories.values()]
        if self.influencers.n_kols > 0 and not any(a > 0 for a in affinity):
            raise located(
                "catalogue.categories",
                "influencer_affinity must be > 0 for at least one category when "
                f"influencers.n_kols > 0 (KOLs pick what to post by it), got {affinity}",
            )
        category = self.campaign.category
        if category is not None and category not in self.catalogue.categories:
            raise located(
                "campaign.category",
                f"must be one of the catalogue's categories {sorted(self.catalogue.categories)}, "
                f"got {category!r}",
            )
        for name, brand in self.brands.named.items():
            where = f"brands.named.{name}"
            if brand.category not in self.catalogue.categories:
                raise located(
                    f"{where}.category",
                    f"must be one of the catalogue's categories {sorted(self.catalogue.categories)}"
                    f", got {brand.category!r}",
                )
            for platform in brand.channels or {}:
                if platform not in self.platforms:
                    raise located(
                        f"{where}.channels.{platform}",
                        f"must be one of the platforms {sorted(self.platforms)}, got {platform!r}",
                    )
        roles = self.influencers.n_kocs + self.stores.n_owners + self.daigou.n_shoppers
        if roles > n:
            raise located(
                "influencers.n_kocs",
                "KOCs, store owners and daigou must not outnumber consumers "
                f"({self.influencers.n_kocs} + {self.stores.n_owners} + "
                f"{self.daigou.n_shoppers} > {n})",
            )
        return self

    @model_validator(mode="after")
    def _shocks_agree(self) -> ModelConfig:
        # what a shock's row cannot check alone: its date against the run's, its platform
        start = self.run.start_date
        for name, shock in self.shocks.items():
            where = f"shocks.{name}"
            if isinstance(shock.start, datetime.date):
                if start is None:
                    raise located(
                        f"{where}.start",
                        "a date needs run.start_date (the date of step 1; a sweep's start_date "
                        "sets it); set it or give a step number, got "
                        f"{shock.start.isoformat()}",
                    )
                if shock.kind == "regulator" and shock.start < start:
                    raise located(
                        f"{where}.start",
                        "a regulator's date must not be before run.start_date "
                        f"({start.isoformat()}), got {shock.start.isoformat()}",
                    )
            if shock.kind == "lockdown":
                tiers = sorted(self.population.tiers)
                if not tiers[0] < shock.lower_tiers_from <= tiers[-1]:
                    raise located(
                        f"{where}.lower_tiers_from",
                        f"must be a tier after the first and at most the last of "
                        f"population.tiers ({tiers[0]}-{tiers[-1]}), so that there are top "
                        f"and lower tiers, got {shock.lower_tiers_from}",
                    )
                continue
            active = self.active_platforms
            if shock.platform not in active:
                raise located(
                    f"{where}.platform",
                    f"must be a platform of the world ({', '.join(active)}), "
                    f"got {shock.platform!r}",
                )
            row = active[shock.platform]
            needs = {
                "one_level": ("micro_stores", row.micro_stores.enabled),
                "group_discount_cap": ("group_buying", row.group_buying.enabled),
            }
            if shock.rule in needs and not needs[shock.rule][1]:
                part = needs[shock.rule][0]
                raise located(
                    f"{where}.rule",
                    f"{shock.rule!r} needs a platform that runs {part.replace('_', '-')} "
                    f"(platforms.{shock.platform}.{part}.enabled), got {shock.platform!r}",
                )
        return self

    @classmethod
    def small(cls, n_consumers: int = 2_000) -> ModelConfig:
        """Return a small world for examples, tests and quick exploration.

        Defaults everywhere except the head counts, scaled to `n_consumers`:
        five KOLs, 20 KOCs, 10 store owners and one daigou per thousand consumers, 30 steps.
        (The default world has two KOLs per thousand; a small world needs more
        for KOL posts to reach enough people to be seen in its results.)

        Examples
        --------
        >>> ModelConfig.small().influencers.n_kols
        10
        """
        per_thousand = n_consumers / 1000
        return cls().with_overrides(
            {
                "population.n_consumers": n_consumers,
                "influencers.n_kols": max(1, round(5 * per_thousand)),
                "influencers.n_kocs": round(20 * per_thousand),
                "stores.n_owners": round(10 * per_thousand),
                "daigou.n_shoppers": round(per_thousand),
                "run.steps": 30,
            }
        )

    # Loading and overriding: the general machinery is socialsim.config.documents.
    @classmethod
    def from_file(cls, path: Any) -> ModelConfig:
        """Load a config from a YAML file (safe loader); see :func:`load_config`."""
        return load_document(cls, path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> ModelConfig:
        """Validate a nested mapping; see :func:`validate_config`."""
        return validate_document(cls, data, source)

    def with_overrides(self, overrides: Mapping[str, Any]) -> ModelConfig:
        """Return a copy with dotted-key overrides applied and validated.

        Raises
        ------
        ConfigError
            If a path does not exist or the result is not valid (source ``--set``).
        """
        # model_dump builds fresh containers, so they need no second copy
        data = override_document(self.model_dump(), overrides, type(self), copy=False)
        return validate_document(type(self), data, source="--set" if overrides else None)

    def to_dict(self) -> dict[str, Any]:
        """Return the config as plain JSON-compatible data (string keys)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """Return the fully resolved config as YAML that :meth:`from_file` reads back."""
        return dump_yaml(self)

    def config_hash(self) -> str:
        """Return a stable hash of the world and behaviour (the ``run`` section excluded).

        Two configs with the same hash build the same world and behave the same
        way for the same seed; the seed and step count are reported beside it.
        """
        data = self.to_dict()
        run = data.pop("run")
        # without dates there are no festivals: the calendar changes nothing, and configs
        # from before it existed keep their hash; with dates, the date and calendar count
        if run["start_date"] is None:
            data.pop("calendar")
        else:
            data["start_date"] = run["start_date"]
        # no shocks: configs from before shocks existed keep their hash
        if not data.get("shocks"):
            data.pop("shocks", None)
        # an option added later, at the value that behaves as before it existed, changes
        # nothing: adding it leaves the hash, and every run id, as it was (Section.hash_neutral)
        drop_hash_neutral(self, data)
        # a plug-in's section at its defaults (off) changes nothing: installing a plug-in
        # leaves the hash, and every run id, of a config that does not use it as it was
        for name, section in self.extensions.items():
            if section == type(section)():
                data.pop(name, None)
            elif isinstance(data.get(name), dict):
                drop_hash_neutral(section, data[name])
        return stable_hash(data)
