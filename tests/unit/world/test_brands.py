"""Brands of the world: generated from the catalogue by price rank, named ones with products."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.enums import BrandChannel, Origin, Positioning
from socialsim.errors import ConfigError
from socialsim.world import build_world
from socialsim.world.brands import positioning_by_price


def _world(overrides=None, n=500):
    cfg = ModelConfig.small(n_consumers=n).with_overrides(overrides or {})
    return build_world(cfg, np.random.default_rng(3))


AURORA = {
    "brands.named.aurora": {
        "category": "beauty",
        "positioning": "premium",
        "origin": "imported",
        "n_products": 4,
        "channels": {"kaola": "direct", "pinduoduo": "marketplace"},
    }
}


def test_positioning_ranks_each_category_by_price_on_its_own():
    price = np.array([1.0, 9.0, 5.0, 3.0, 100.0, 200.0, 50.0, 10.0])
    category = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    out = positioning_by_price(price, category, premium_share=0.25, discount_share=0.5)
    # category 0: 9 premium; 1 and 3 discount; category 1: 200 premium; 50 and 10 discount
    assert out.tolist() == [2, 0, 1, 2, 1, 0, 2, 2]


def test_every_product_has_a_brand_of_its_category_and_origin():
    world = _world()
    cat, brands = world.catalogue, world.brands
    assert (cat.brand >= 0).all()
    assert (brands.category[cat.brand] == cat.category).all()
    assert (brands.origin[cat.brand] == cat.cross_border.astype(np.int8)).all()
    assert set(brands.positioning.tolist()) == {p.value for p in Positioning}


def test_premium_products_are_the_dearest_of_their_category():
    world = _world()
    cat, brands = world.catalogue, world.brands
    positioning = brands.positioning[cat.brand]
    for c in range(cat.n_categories):
        mine = cat.category == c
        premium = cat.price[mine & (positioning == Positioning.PREMIUM)]
        mass = cat.price[mine & (positioning == Positioning.MASS)]
        discount = cat.price[mine & (positioning == Positioning.DISCOUNT)]
        assert premium.min() >= mass.max() >= mass.min() >= discount.max()
        share = premium.size / mine.sum()
        assert share == pytest.approx(0.15, abs=1 / mine.sum())


def test_only_domestic_premium_and_mass_brands_export_by_default():
    brands = _world().brands
    exports = brands.exports
    assert exports.any()
    assert (brands.origin[exports] == Origin.DOMESTIC).all()
    assert (brands.positioning[exports] != Positioning.DISCOUNT).all()


def test_generated_brands_sell_on_each_platforms_default_channel():
    world = _world()
    names = world.platforms.names
    channel = world.brands.channel
    assert (channel[names.index("kaola")] == BrandChannel.DIRECT).all()
    assert (channel[names.index("pinduoduo")] == BrandChannel.MARKETPLACE).all()


def test_a_named_brand_adds_its_products_at_its_positioning_price():
    plain, named = _world(), _world(AURORA)
    cat, brands = named.catalogue, named.brands
    b = brands.names.index("aurora")
    mine = np.flatnonzero(cat.brand == b)
    beauty = cat.category_names.index("beauty")
    assert mine.size == 4
    assert (cat.category[mine] == beauty).all()
    assert cat.cross_border[mine].all()
    median = ModelConfig().catalogue.categories["beauty"].median_price
    assert cat.price[mine] == pytest.approx(np.full(4, round(median * 2.5, 2)))
    assert cat.n_products == plain.catalogue.n_products + 4
    # the generated products keep their prices, in order
    assert np.array_equal(np.delete(cat.price, mine), plain.catalogue.price)
    names = named.platforms.names
    expected = np.zeros(len(names), dtype=np.int8)
    expected[names.index("kaola")] = BrandChannel.DIRECT
    expected[names.index("pinduoduo")] = BrandChannel.MARKETPLACE
    assert brands.channel[:, b].tolist() == expected.tolist()
    assert brands.named.tolist() == [False] * (brands.n_brands - 1) + [True]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"brands.named.aurora": {"category": "toys"}}, "brands.named.aurora.category"),
        (
            {"brands.named.aurora": {"category": "beauty", "channels": {"tmall": "direct"}}},
            "brands.named.aurora.channels.tmall",
        ),
        (
            {"brands.named.aurora": {"category": "beauty", "channels": {"kaola": "wholesale"}}},
            "brands.named.aurora.channels.kaola",
        ),
        (
            {"brands.named.aurora": {"category": "beauty", "origin": "imported", "exports": True}},
            "brands.named.aurora.exports",
        ),
        ({"brands.named.Aurora": {"category": "beauty"}}, "brands.named.Aurora"),
        ({"brands.premium.price_floor": 1.2}, "brands.premium.price_floor"),
        ({"brands.generated.premium_share": 0.8}, "brands.generated.discount_share"),
    ],
)
def test_bad_brand_settings_name_their_key(overrides, path):
    with pytest.raises((ConfigError, ValueError)) as info:
        ModelConfig().with_overrides(overrides)
    assert path in str(info.value)
