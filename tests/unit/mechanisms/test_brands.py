"""Brands on small hand-built worlds: listings, channels, promotions, prices, counterfeits."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.config.platforms import plain_platform
from socialsim.enums import BrandChannel, Positioning
from socialsim.mechanisms.brands import listing_rule, price_review
from socialsim.mechanisms.offers import Offers

SMALL = {
    "population.n_consumers": 1_500,
    "influencers.n_kols": 4,
    "influencers.n_kocs": 20,
    "stores.n_owners": 0,
    "daigou.n_shoppers": 0,
}


def shop(**fields):
    """A platform everyone uses, found by search, with promotions on every product every day."""
    row = {
        "initial_users": 1.0,
        "promotions": {"rate": 1.0, "depth": 0.3, "days": 1},
        "cross_border": {"enabled": True, "search_share": 0.5},
    }
    return plain_platform(**{**row, **fields})


TWO_SHOPS = {
    "platforms": {
        "direct_shop": shop(brands={"channel": "direct"}),
        "market": shop(brands={"channel": "marketplace"}),
    }
}
AURORA = {
    "category": "beauty",
    "positioning": "premium",
    "origin": "imported",
    "n_products": 3,
}


def model(overrides=None, seed=1):
    config = ModelConfig().with_overrides({**SMALL, **TWO_SHOPS, **(overrides or {})})
    return SocialCommerceModel(config, rng=seed)


def test_listing_rule_direct_platforms_force_their_promotions_marketplaces_only_groups():
    channel = np.array([[1, 1, 2, 0], [2, 2, 2, 2]], dtype=np.int8)
    max_discount = np.array([0.15, 0.35, 0.15, 0.9])
    listed = listing_rule(channel, max_discount, np.array([0.2, 0.2]), np.array([0.0, 0.25]))
    # platform 0 (promotions 20 %): direct brands that take 20 % list, the marketplace brand
    # refuses promotions and lists, a brand without a channel does not
    assert listed[0].tolist() == [False, True, True, False]
    # platform 1 (group discount 25 %, no refusing it): only brands that take 25 %
    assert listed[1].tolist() == [False, True, False, True]


def test_price_review_moves_by_the_step_only_beyond_the_band_and_within_the_range():
    new = price_review(
        np.array([1.0, 1.0, 1.2, 0.8, 1.0]),
        units=np.array([121, 79, 200, 10, 50]),
        units_before=np.array([100, 100, 100, 100, 0]),
        band=0.2,
        step=0.05,
        floor=np.full(5, 0.8),
        ceiling=np.full(5, 1.2),
    )
    assert new.tolist() == [1.05, 0.95, 1.2, 0.8, 1.0]


def test_a_premium_brand_never_joins_a_platform_whose_group_price_undercuts_it():
    groups = {"enabled": True, "discount": 0.25, "size": 2, "window_days": 1}
    m = model(
        {
            "platforms.market.group_buying": groups,
            "platforms.direct_shop.promotions.rate": 0.0,  # no standing cut there
            "brands.named.aurora": AURORA,
        }
    )
    b = m.world.brands.names.index("aurora")
    market = m.world.platforms.names.index("market")
    assert not m.brand_rules.listed[market, b]
    mine = m.world.catalogue.brand == b
    assert not m.listed[market, mine].any()
    m.run(8)
    orders = m.orders()
    premium = m.world.brands.positioning[m.world.catalogue.brand[orders["product"]]] == 0
    assert not (premium & (orders["platform"] == "market").to_numpy()).any()
    assert (premium & (orders["platform"] == "direct_shop").to_numpy()).any()
    # with a standing 30 % promotion the direct platform loses its premium brands too
    promoting = model({"platforms.market.group_buying": groups})
    premium_brands = promoting.world.brands.positioning == Positioning.PREMIUM
    assert not promoting.brand_rules.listed[:, premium_brands].any()


def test_a_named_brand_sells_only_where_its_channels_say():
    m = model({"brands.named.aurora": {**AURORA, "channels": {"market": "marketplace"}}})
    b = m.world.brands.names.index("aurora")
    names = m.world.platforms.names
    assert m.brand_rules.channel[:, b].tolist() == [
        BrandChannel.MARKETPLACE if n == "market" else BrandChannel.NONE for n in names
    ]
    assert m.brands[b].platforms == ["market"]


def test_direct_purchase_takes_the_platforms_promotions_a_marketplace_premium_brand_does_not():
    m = model({"brands.named.aurora": {**AURORA, "channels": {"market": "marketplace"}}})
    m.run(1)  # every product on promotion at 30 % on both platforms
    cat, book = m.world.catalogue, m.prices
    names = m.world.platforms.names
    direct, market = names.index("direct_shop"), names.index("market")
    aurora = np.flatnonzero(cat.brand == m.world.brands.names.index("aurora"))
    assert book.price[market, aurora] == pytest.approx(cat.price[aurora])  # refused 30 %
    # a premium generated brand on the direct platform takes the platform's cut
    premium = np.flatnonzero(m.world.brands.positioning[cat.brand] == Positioning.PREMIUM)
    premium = premium[~cat.cross_border[premium]]
    assert book.price[direct, premium] == pytest.approx(cat.price[premium] * 0.7, abs=0.01)
    # a mass brand on the marketplace joins a 30 % promotion (it takes up to 35 %)
    mass = np.flatnonzero(m.world.brands.positioning[cat.brand] == Positioning.MASS)
    assert book.price[market, mass] == pytest.approx(cat.price[mass] * 0.7, abs=0.01)


def test_a_review_moves_the_price_pricing_charges():
    m = model({"brands.review_days": 3, "brands.price_step": 0.1, "brands.sales_band": 0.0})
    m.run(6)  # the review on day 4 closes the first period; day 7 compares two
    assert (m.brand_rules.price_index == 1.0).all()
    m.step()
    index = m.brand_rules.price_index
    assert (index != 1.0).any()
    brand = m.world.catalogue.brand
    base = m.world.catalogue.price.astype(np.float64)
    direct = m.world.platforms.names.index("direct_shop")
    expected = np.round(base * index[brand] * 0.7, 2)
    assert m.prices.price[direct] == pytest.approx(expected, abs=0.011)
    table = m.component_tables()["brands"]
    assert table.loc[table["step"] == 7, "price_index"].tolist() == pytest.approx(index.tolist())
    assert m.step_metrics()["brand_price_changes"].iloc[-1] == int((index != 1.0).sum())


def test_found_counterfeits_come_back_and_cost_the_platform_its_reputation_and_users():
    fakes = {
        "platforms.market.brands.counterfeit_rate": 0.5,
        "brands.detection": 1.0,
        "brands.leave_after_counterfeit": 1.0,
        "behaviour.return_days": 1,
    }
    m = model(fakes)
    market = m.world.platforms.names.index("market")
    # it starts where its rates hold it: half its orders found fake
    assert m.brand_rules.reputation[market] == pytest.approx(0.5)
    m.brand_rules.reputation[market] = 1.0  # as if its past had been clean
    users_before = int(m.state.uses[:, market].sum())
    m.run(6)
    steps, orders = m.step_metrics(), m.orders()
    on_market = (orders["platform"] == "market").to_numpy()
    found = int(steps["counterfeits_found"].sum())
    assert found == steps["counterfeits_sold"].sum()  # every fake found
    n = on_market.sum()
    assert abs(found - n / 2) < 4 * np.sqrt(n / 4)  # half the market's orders
    # every found fake is returned a day later (the last day's not yet): as many returned
    early = on_market & (orders["step"] < 6).to_numpy()
    assert orders.loc[early, "returned"].sum() >= found - steps["counterfeits_found"].iloc[-1]
    assert int(m.state.uses[:, market].sum()) < users_before
    authenticity = m.platform_metrics().set_index(["step", "platform"])["authenticity"]
    falling = authenticity.xs("market", level="platform").to_numpy()
    assert (np.diff(falling) <= 0).all() and 0.5 < falling[-1] < 0.95
    assert authenticity[(6, "direct_shop")] == 1.0
    table = m.component_tables()["brands"]
    assert table["counterfeits_found"].sum() == found


def test_reputation_lowers_only_premium_and_imported_brands_offers():
    m = model({"brands.reputation_weight": 2.0})
    m.brand_rules.reputation[:] = [1.0, 0.8]
    cat, brands = m.world.catalogue, m.world.brands
    products = np.arange(cat.n_products)
    offers = Offers.build(
        np.zeros(products.size, dtype=np.int32),
        cat.category[products],
        products.astype(np.int32),
        0,
        0.0,
        np.ones(products.size, dtype=np.int8),
    )
    shift = m.brand_rules.logit_shift(offers)
    fears = (brands.positioning[cat.brand] == Positioning.PREMIUM) | cat.cross_border
    assert shift[fears] == pytest.approx(-0.4)
    assert (shift[~fears] == 0).all()


def test_the_brands_table_adds_up_to_the_step_table():
    m = model()
    m.run(10)
    table, steps = m.component_tables()["brands"], m.step_metrics()
    assert len(table) == 10 * m.world.brands.n_brands
    per_day = table.groupby("step")[["gmv", "orders", "returns"]].sum()
    assert per_day["gmv"].to_numpy() == pytest.approx(steps["gmv"].to_numpy())
    assert per_day["orders"].tolist() == steps["orders"].tolist()
    assert per_day["returns"].tolist() == steps["returns"].tolist()
    assert set(table["positioning"]) == {"premium", "mass", "discount"}
    sold = table["orders"] > 0
    assert (table.loc[sold, "average_price"] * table.loc[sold, "orders"]).to_numpy() == (
        pytest.approx(table.loc[sold, "gmv"].to_numpy())
    )
    # the order log carries each order's brand
    orders = m.orders()
    assert orders["brand"].astype(str).tolist() == [
        m.world.brands.names[b] for b in m.world.catalogue.brand[orders["product"]]
    ]


def test_a_named_brand_may_accept_deeper_cuts_than_its_positioning():
    groups = {"enabled": True, "discount": 0.25, "size": 2, "window_days": 1}
    aurora = {**AURORA, "channels": {"market": "marketplace"}}
    market = ["direct_shop", "market"].index("market")
    refuses = model({"platforms.market.group_buying": groups, "brands.named.aurora": aurora})
    accepts = model(
        {
            "platforms.market.group_buying": groups,
            "brands.named.aurora": {**aurora, "max_discount": 0.3},
        }
    )
    b = refuses.world.brands.names.index("aurora")
    assert not refuses.brand_rules.listed[market, b]
    assert accepts.brand_rules.listed[market, b]
    # and it then joins the marketplace's 30 % promotions
    accepts.run(1)
    mine = accepts.world.catalogue.brand == b
    assert accepts.prices.price[market, mine] == pytest.approx(
        accepts.world.catalogue.price[mine] * 0.7, abs=0.01
    )


def test_a_premium_brand_returns_at_its_next_review_once_a_regulator_caps_the_group_price():
    groups = {"enabled": True, "discount": 0.25, "size": 2, "window_days": 1}
    cap = {"kind": "regulator", "start": 3, "platform": "market"}
    cap.update(rule="group_discount_cap", cap=0.1)
    m = model(
        {
            "platforms.market.group_buying": groups,
            "brands.review_days": 4,
            "brands.named.aurora": {**AURORA, "channels": {"market": "marketplace"}},
            "shocks.cap_groups": cap,
        }
    )
    b = m.world.brands.names.index("aurora")
    listed = []
    for _ in range(6):
        m.step()
        listed.append(bool(m.brand_rules.listed[1, b]))
    # capped from day 3; the brand reviews on day 5 and lists from then on
    assert listed == [False, False, False, False, True, True]


def test_the_brands_table_carries_each_brands_exports():
    m = model({"exports.storefront_reach": 1.0})
    m.run(8)
    table, steps = m.component_tables()["brands"], m.step_metrics()
    per_day = table.groupby("step")[["export_orders", "export_gmv"]].sum()
    assert per_day["export_orders"].tolist() == steps["export_orders"].tolist()
    assert per_day["export_gmv"].to_numpy() == pytest.approx(steps["export_gmv"].to_numpy())
    assert steps["export_orders"].sum() > 0
    exporting = m.world.brands.exports[table["brand"].cat.codes.to_numpy()]
    assert (table.loc[~exporting, "export_orders"] == 0).all()
