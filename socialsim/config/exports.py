"""Exports as data: overseas-Chinese buyers, their regions, and the export channel (Tmall World).

Overseas Chinese buy Chinese brands through an export storefront (Tmall
World, Alibaba's export platform: about 100 Chinese brands in its first
Singles' Day programme, delivered through Cainiao, and in South-East Asia
through Lazada) and because family and friends at home bought them. The
section describes that population abroad (its size against the home
population, its regions with their incomes and logistics), its ties to home
and how it buys::

    exports:
      population_share: 0.066
      regions:
        south_east_asia: {share: 0.73, income_index: 1.5, logistics_days: 5,
                          logistics_cost: 15}

Which brands sell abroad is the brands' side (``brands.generated.exporting``,
``brands.named.NAME.exports``); what the storefront lists of them is
``exports.lists``.

References
----------
.. [1] Seed "Tmall World" (2018), shared/domain.md, "Calendar, exports and
   brands": Tmall World sells Chinese brands to overseas Chinese and foreign
   buyers; 100 brands (Haier, Midea, Gree, HLA, Peacebird, Joyoung, Jahwa,
   ...) in its first Singles' Day programme; logistics by Cainiao, South-East
   Asia through Lazada.
.. [2] Overseas Chinese: about 60 million people (common estimate,
   approximate; shared/domain.md). Online shoppers in China: 915 M (Dec 2023,
   CNNIC 53rd report; shared/domain.md, "City tiers").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator

from socialsim.config._base import (
    MAX_RMB,
    Field,
    Section,
    Table,
    check_row_names,
    drop_null_rows,
    located,
    read_only,
)

__all__ = ["ExportRegionConfig", "ExportsConfig"]

_TMALL_WORLD = (
    "seed 'Tmall World' (2018, shared/domain.md): Alibaba's export platform for Chinese brands "
    "to overseas Chinese and foreign buyers; logistics by Cainiao, South-East Asia via Lazada"
)
_SHARE_TOLERANCE = 1e-6


class ExportRegionConfig(Section):
    """A region where overseas Chinese live: its share of them, their income, the logistics."""

    share: float = Field(
        ge=0,
        le=1,
        description="Share of the overseas-Chinese population living in the region.",
        unit="share of overseas consumers (0-1)",
        source=(
            "assumption: common estimates put about 70 % of the about 60 million overseas "
            "Chinese in South-East Asia, most of the rest in North America, Europe and "
            "Oceania (shared/domain.md: 60 million, approximate)"
        ),
    )
    income_index: float = Field(
        gt=0,
        le=1000,
        description=(
            "Median monthly income of the region's overseas Chinese as a multiple of the "
            "home population's median income (incomes are lognormal around it with "
            "population.income_sigma)."
        ),
        unit="x (home median income)",
        source="assumption (near the ratio of GDP per head to China's)",
    )
    logistics_days: float = Field(
        ge=0,
        le=365,
        description="Days from order to delivery through the export channel's logistics.",
        unit="days",
        source=_TMALL_WORLD + "; days an assumption",
    )
    logistics_cost: float = Field(
        ge=0,
        le=MAX_RMB,
        description="Shipping cost the buyer pays per order, on top of the product's price.",
        unit="RMB per order",
        source=_TMALL_WORLD + "; cost an assumption",
    )


def _default_regions() -> Mapping[str, ExportRegionConfig]:
    # share, income index, logistics days, logistics cost (RMB): all assumptions
    rows = {
        "south_east_asia": (0.73, 1.5, 5.0, 15.0),  # Lazada's last mile
        "north_america": (0.15, 5.0, 10.0, 45.0),
        "europe": (0.07, 4.0, 12.0, 45.0),
        "oceania": (0.05, 4.5, 9.0, 40.0),
    }
    return read_only(
        {
            name: ExportRegionConfig(share=s, income_index=i, logistics_days=d, logistics_cost=c)
            for name, (s, i, d, c) in rows.items()
        }
    )


def _check_regions(regions: Mapping[str, ExportRegionConfig]) -> Mapping[str, ExportRegionConfig]:
    check_row_names("exports.regions", "region")(regions)
    if not regions:
        raise located("exports.regions", "must define at least one region")
    total = sum(row.share for row in regions.values())
    if abs(total - 1.0) > _SHARE_TOLERANCE:
        raise located("exports.regions", f"the regions' shares must sum to 1, got {total:.6g}")
    return read_only(regions)


class ExportsConfig(Section):
    """Exports: overseas-Chinese consumers who buy Chinese brands through an export channel.

    The overseas population is ``population_share`` times the home
    population, split among ``regions`` by their shares; each overseas
    consumer has about ``ties_per_consumer`` family and friends among the home
    consumers. Each day an overseas consumer's need for a category arises at
    the home rate times ``need_share``, times its region's ``income_index``
    to the power ``income_elasticity`` (and a festival's demand on its days);
    a need lapses as at home (``behaviour.need_patience_days``). A need sees
    what a home tie bought lately of an exporting brand, and (with chance
    ``storefront_reach`` a day) a product the export storefront lists; it buys
    by a logit with the domestic coefficients (``behaviour.conversion``) and
    the channel's base logits, price with the region's logistics cost and
    ``days_weight`` per day of delivery.
    """

    enabled: bool = Field(
        default=True,
        description=(
            "Run the export channel: overseas consumers buy exporting brands (off: the export "
            "columns stay zero; no domestic number changes either way)."
        ),
        unit="- (flag)",
        source=_TMALL_WORLD,
    )
    channel: str = Field(
        default="tmall_world",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Name of the export channel (a label in the outputs and documents).",
        unit="- (name)",
        source=_TMALL_WORLD,
    )
    lists: Literal["exporting_brands", "domestic_brands"] = Field(
        default="exporting_brands",
        description=(
            "What the export channel sells: the products of brands that export "
            "(brands.generated.exporting, brands.named.NAME.exports) or of every domestic brand."
        ),
        unit="- (choice)",
        source=_TMALL_WORLD + ": Chinese brands that joined its programme",
    )
    population_share: float = Field(
        default=0.066,
        ge=0,
        le=10,
        description=(
            "Overseas-Chinese consumers per home consumer of the world: about 60 million "
            "overseas Chinese against 915 million online shoppers at home (60 / 915 = 0.066)."
        ),
        unit="overseas consumers per home consumer",
        source=(
            "overseas Chinese about 60 million (common estimate, approximate; shared/domain.md); "
            "915 M online shoppers (CNNIC 53rd report, Dec 2023; shared/domain.md)"
        ),
    )
    regions: Annotated[
        Mapping[str, ExportRegionConfig],
        BeforeValidator(drop_null_rows),
        AfterValidator(_check_regions),
        Table,
    ] = Field(
        default_factory=_default_regions,
        description=(
            "Regions of the overseas-Chinese population, keyed by name; their shares sum to 1 "
            "(remove one with null)."
        ),
        row="region",
    )
    ties_per_consumer: float = Field(
        default=4.0,
        ge=0,
        le=1000,
        description=(
            "Mean number of home consumers an overseas consumer is tied to (family and "
            "friends; Poisson, drawn uniformly among the home consumers)."
        ),
        unit="ties per overseas consumer",
        source="assumption",
    )
    family_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "Share of those ties that are family (strong, weight 1); the others weigh "
            "network.weak_tie_weight."
        ),
        unit="share of ties (0-1)",
        source="assumption",
    )
    need_share: float = Field(
        default=0.3,
        ge=0,
        le=100,
        description=(
            "Daily rate of an overseas consumer's need for a category that a Chinese brand "
            "bought online could meet, as a multiple of the category's home need rate (at "
            "income index 1)."
        ),
        unit="x (home need rate)",
        source="assumption",
    )
    income_elasticity: float = Field(
        default=0.5,
        ge=0,
        le=5,
        description="Need rate abroad grows as the region's income_index to this power.",
        unit="elasticity",
        source="assumption",
    )
    price_sensitivity: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="Weight of price in an overseas consumer's purchase logit (home tier 3 = 1).",
        unit="multiplier (tier 3 = 1)",
        source="assumption",
    )
    storefront_reach: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description=(
            "Daily chance that an overseas consumer's open need is shown a product of its "
            "category on the export storefront."
        ),
        unit="probability per need per day (0-1)",
        source="assumption",
    )
    base_ties: float = Field(
        default=-3.0,
        ge=-50,
        le=50,
        description=(
            "Base logit for buying a product a home tie bought lately (as "
            "behaviour.conversion.base_word_of_mouth at home)."
        ),
        unit="logit",
        source="assumption (the default of behaviour.conversion.base_word_of_mouth)",
    )
    base_storefront: float = Field(
        default=-3.04,
        ge=-50,
        le=50,
        description=(
            "Base logit for buying a product the export storefront shows (as "
            "behaviour.conversion.base_search at home)."
        ),
        unit="logit",
        source=(
            "assumption (-3.04, behaviour.conversion.base_search as the default world's first "
            "calibration set it)"
        ),
    )
    days_weight: float = Field(
        default=0.05,
        ge=0,
        le=10,
        description="Logit lost per day of delivery (a longer wait puts buyers off).",
        unit="logit per day",
        source="assumption",
    )
