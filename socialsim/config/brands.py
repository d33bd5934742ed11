"""Brands as data: who owns the catalogue's products, how they position and sell them.

Every product belongs to a brand. The default world *generates* its brands
from the catalogue: within each category, the dearest products are premium,
the cheapest discount and the rest mass, and imported products belong to
imported brands (``brands.generated``). A study adds *named* brands
(``brands.named``), each with its own products, positioning, origin and
channel per platform::

    brands:
      named:
        aurora: {category: beauty, positioning: premium, origin: imported,
                 channels: {kaola: direct}}

What each positioning holds to (its price floor, the deepest cut it accepts)
is in ``brands.premium``, ``brands.mass`` and ``brands.discount``; how a
brand reviews its price and listings, and how counterfeits are found, in the
rest of the section. A platform's side (its default channel, commission,
counterfeit rates) is in its ``brands`` row (:class:`PlatformBrandsConfig`).

References
----------
.. [1] Seed on Kaola (shared/domain.md, "Calendar, exports and brands"):
   direct purchase from overseas brands against Tmall Global's marketplace;
   premium brands avoid heavy discounters; JD Worldwide's "99 % counterfeit-free".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, model_validator

from socialsim.config._base import (
    Field,
    Section,
    Table,
    check_row_names,
    drop_null_rows,
    located,
    read_only,
)

__all__ = [
    "BrandConfig",
    "BrandsConfig",
    "GeneratedBrandsConfig",
    "PlatformBrandsConfig",
    "PositioningConfig",
]

_KAOLA = (
    "seed on Kaola (shared/domain.md): Kaola buys from overseas brands and sets the price; "
    "Tmall Global's merchants run their own stores; premium brands avoid heavy discounters"
)
_COUNTERFEIT = (
    "assumption; anchored on JD Worldwide's '99 % counterfeit-free' claim (seed on Kaola, "
    "shared/domain.md)"
)

ChannelName = Literal["direct", "marketplace"]


class PositioningConfig(Section):
    """What a brand of one positioning holds to: its price range and the deepest cut it takes."""

    price_index: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description=(
            "A named brand's price, as a multiple of its category's median price "
            "(generated brands keep the catalogue's prices)."
        ),
        unit="x (category median price)",
        source="assumption",
    )
    max_discount: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description=(
            "Deepest cut the brand accepts: it joins no promotion deeper than this, and lists "
            "on no platform whose standing discounts it cannot refuse (a direct-purchase "
            "platform's promotions, any platform's group-buying discount) are deeper."
        ),
        unit="share of price (0-1)",
        source=_KAOLA + "; sizes assumption",
    )
    price_floor: float = Field(
        default=0.8,
        gt=0,
        le=10,
        description="Lowest price the brand's reviews take it to, as a multiple of its list price.",
        unit="x (list price)",
        source="assumption",
    )
    price_ceiling: float = Field(
        default=1.2,
        gt=0,
        le=10,
        description="Highest price the brand's reviews take it to, as a multiple of list price.",
        unit="x (list price)",
        source="assumption",
    )

    @model_validator(mode="after")
    def _range_holds_list_price(self) -> PositioningConfig:
        if self.price_floor > 1.0 or self.price_ceiling < 1.0:
            raise located(
                ".price_floor",
                "the price range must hold the list price (price_floor <= 1 <= price_ceiling), "
                f"got [{self.price_floor}, {self.price_ceiling}]",
            )
        return self


class GeneratedBrandsConfig(Section):
    """The default world's brands, made from the catalogue without drawing any number.

    Within each category the products are ranked by price: the top
    ``premium_share`` are premium, the bottom ``discount_share`` discount, the
    rest mass; each (positioning, origin) of a category is split among
    ``per_positioning`` brands by product number.
    """

    premium_share: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="Share of each category's products, the dearest, that premium brands own.",
        unit="share of products (0-1)",
        source="assumption",
    )
    discount_share: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of each category's products, the cheapest, that discount brands own.",
        unit="share of products (0-1)",
        source="assumption",
    )
    per_positioning: int = Field(
        default=1,
        ge=1,
        le=100,
        description="Brands per category, positioning and origin.",
        unit="brands",
        source="assumption",
    )
    exporting: tuple[Literal["premium", "mass", "discount"], ...] = Field(
        default=("premium", "mass"),
        description=(
            "Positionings whose domestic brands sell abroad through the export channel "
            "(Tmall World's first programme: Haier, Midea, Gree, HLA, Peacebird, ...)."
        ),
        unit="positioning names",
        source="seed 'Tmall World' (2018): 100 Chinese brands, mostly mass and premium makers",
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> GeneratedBrandsConfig:
        if self.premium_share + self.discount_share > 1.0:
            raise located(
                ".discount_share",
                "premium_share + discount_share must be <= 1, got "
                f"{self.premium_share} + {self.discount_share}",
            )
        return self


class BrandConfig(Section):
    """A named brand: its products, positioning, origin and channel on each platform."""

    category: str = Field(
        description="Catalogue category of its products.",
        unit="category name",
        source="a study's choice",
    )
    positioning: Literal["premium", "mass", "discount"] = Field(
        default="mass",
        description="premium, mass or discount: its price level and the cuts it accepts.",
        unit="- (choice)",
        source="a study's choice",
    )
    origin: Literal["domestic", "imported"] = Field(
        default="domestic",
        description="imported brands' products are cross-border imports.",
        unit="- (choice)",
        source="a study's choice",
    )
    n_products: int = Field(
        default=3,
        ge=1,
        le=10_000,
        description="Its products, added to its category.",
        unit="products",
        source="a study's choice",
    )
    price_index: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description=(
            "Its products' price as a multiple of the category's median price "
            "(null: its positioning's price_index)."
        ),
        unit="x (category median price)",
        source="a study's choice",
    )
    max_discount: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description=(
            "Deepest cut it accepts, in promotions and in the standing discounts of where it "
            "lists (null: its positioning's max_discount)."
        ),
        unit="share of price (0-1)",
        source="a study's choice",
    )
    quality: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Its products' quality.",
        unit="quality (0-1)",
        source="a study's choice",
    )
    channels: Annotated[Mapping[str, ChannelName], AfterValidator(read_only), Table] | None = Field(
        default=None,
        description=(
            "Platform -> direct or marketplace: where it sells and how; a platform left out "
            "does not sell it (null: every platform, on the platform's default channel)."
        ),
        unit="platform -> channel",
        source=_KAOLA,
    )
    exports: bool = Field(
        default=False,
        description="Whether it sells abroad through the export channel (domestic brands only).",
        unit="- (flag)",
        source="seed 'Tmall World' (2018)",
    )

    @model_validator(mode="after")
    def _domestic_exports(self) -> BrandConfig:
        if self.exports and self.origin == "imported":
            raise located(".exports", "only domestic brands export, got an imported brand")
        return self


def _premium() -> PositioningConfig:
    # premium: priced at 2.5 x the median, takes cuts of 15 % at most
    return PositioningConfig(price_index=2.5, max_discount=0.15, price_floor=0.9, price_ceiling=1.3)


def _mass() -> PositioningConfig:
    return PositioningConfig(price_index=1.0, max_discount=0.35, price_floor=0.8, price_ceiling=1.2)


def _discount() -> PositioningConfig:
    return PositioningConfig(price_index=0.5, max_discount=0.6, price_floor=0.7, price_ceiling=1.1)


class BrandsConfig(Section):
    """Brands and merchants: positioning, channels, price reviews and counterfeits.

    Every ``review_days`` days each brand reviews its price (up ``price_step``
    after sales grew by more than ``sales_band`` over the last review period,
    down after they fell by more; within its positioning's floor and
    ceiling), which promotions it joins (none deeper than its
    ``max_discount``) and where it lists (nowhere whose standing discounts it
    cannot refuse are deeper). A share of the orders of some channels are
    counterfeits (each platform's ``brands.counterfeit_rate``); buyers find
    ``detection`` of them, return them and may leave the platform, and each
    platform's authenticity reputation follows the share found genuine.
    Reputation shifts the conversion of premium and imported brands' offers.
    """

    generated: GeneratedBrandsConfig = Field(default_factory=GeneratedBrandsConfig)
    premium: PositioningConfig = Field(default_factory=_premium)
    mass: PositioningConfig = Field(default_factory=_mass)
    discount: PositioningConfig = Field(default_factory=_discount)
    named: Annotated[
        Mapping[str, BrandConfig],
        BeforeValidator(drop_null_rows),
        AfterValidator(check_row_names("brands.named", "brand")),
        Table,
    ] = Field(
        default_factory=lambda: read_only({}),
        description="Brands a study adds, keyed by name; each brings its own products.",
        row="brand",
    )
    review_days: int = Field(
        default=7,
        ge=1,
        le=366,
        description="Days between a brand's reviews of its price, promotions and listings.",
        unit="days",
        source="assumption (a weekly trading review)",
    )
    price_step: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description="Change of a brand's price at a review, as a share of its list price.",
        unit="share of list price (0-1)",
        source="assumption",
    )
    sales_band: float = Field(
        default=0.2,
        ge=0,
        le=10,
        description=(
            "Relative change of units sold, against the period before, beyond which a "
            "brand moves its price (up after growth, down after a fall)."
        ),
        unit="share of units (0-1)",
        source="assumption",
    )
    detection: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of counterfeits their buyers find out (and return).",
        unit="probability per counterfeit order (0-1)",
        source="assumption",
    )
    leave_after_counterfeit: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Chance that a buyer who found a counterfeit stops using the platform.",
        unit="probability (0-1)",
        source="assumption",
    )
    reputation_weight: float = Field(
        default=4.0,
        ge=0,
        le=100,
        description=(
            "Conversion logit lost by a premium or imported brand's offer per unit of the "
            "platform's authenticity reputation below 1 (shoppers of such goods fear fakes)."
        ),
        unit="logit per unit of reputation",
        source=_COUNTERFEIT,
    )
    reputation_days: float = Field(
        default=30.0,
        gt=0,
        le=3650,
        description=(
            "Memory of a platform's authenticity reputation: each day it moves 1/days of the "
            "way to the share of branded orders found genuine that day."
        ),
        unit="days",
        source="assumption",
    )

    def positioning(self, name: str) -> PositioningConfig:
        """Return the rules of positioning `name` (``premium``, ``mass`` or ``discount``)."""
        return getattr(self, name)


class PlatformBrandsConfig(Section):
    """A platform's side of brands: its default channel, commission and counterfeit rates."""

    channel: ChannelName = Field(
        default="marketplace",
        description=(
            "How generated brands (and named brands without channels) sell on it: direct "
            "(the platform buys and prices, Kaola) or marketplace (the brand's store, Tmall)."
        ),
        unit="- (choice)",
        source=_KAOLA,
    )
    commission: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Commission a marketplace brand pays on each sale.",
        unit="share of price (0-1)",
        source="assumption (Tmall's category commissions are of the order of 2-5 %)",
    )
    counterfeit_rate: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Share of branded marketplace orders that are counterfeits.",
        unit="share of orders (0-1)",
        source=_COUNTERFEIT,
    )
    direct_counterfeit_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of direct-purchase orders that are counterfeits.",
        unit="share of orders (0-1)",
        source=_COUNTERFEIT,
    )
