"""Exports on tiny worlds: what sells abroad, where, through whom, and what it leaves alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialsim import ConfigError, ModelConfig, SocialCommerceModel
from socialsim.day import Day
from socialsim.enums import Positioning
from tests.conftest import TINY_WORLD

EXPORT_COLUMNS = ["export_orders", "export_gmv"]

# two regions alike in everything but their size, delivery free and instant
TWO_REGIONS = {
    "exports.regions": {
        "big": {"share": 0.7, "income_index": 3.0, "logistics_days": 0, "logistics_cost": 0},
        "small": {"share": 0.3, "income_index": 3.0, "logistics_days": 0, "logistics_cost": 0},
    },
}
# many overseas consumers with many needs, each shown the storefront every day
BUSY = {"exports.population_share": 5.0, "exports.need_share": 5.0}


def build(overrides: dict | None = None, seed: int = 3) -> SocialCommerceModel:
    config = ModelConfig().with_overrides({**TINY_WORLD, **(overrides or {})})
    return SocialCommerceModel(config, rng=seed)


def run_exports(model: SocialCommerceModel, days: int) -> tuple[list[int], list[float]]:
    """Run only the export channel for `days` days; return its step columns per day."""
    orders, gmv = [], []
    by_brand = np.zeros(model.world.brands.n_brands, dtype=np.int64)
    for step in range(1, days + 1):
        day = Day.start(step, model.world.population.n_tiers, model.columns)
        model.exports.start_day(day)
        orders.append(day.count["export_orders"])
        gmv.append(day.total["export_gmv"])
        by_brand += model.exports.export_orders_by_brand
        assert model.exports.export_orders_by_brand.sum() == orders[-1]
        assert model.exports.export_gmv_by_brand.sum() == pytest.approx(gmv[-1])
    model.total_by_brand = by_brand
    return orders, gmv


def home_bought(model: SocialCommerceModel, listed: bool | None, step: int = 1) -> None:
    """Make every home consumer buy every category the day before `step`.

    A product the export channel lists (True), one it does not (False), or
    half and half (None).
    """
    state, catalogue = model.state, model.world.catalogue
    n = state.n
    for c in range(catalogue.n_categories):
        products = np.arange(
            catalogue.category_start[c], catalogue.category_start[c] + catalogue.category_size[c]
        )
        yes = products[model.exports.listed[products]][0]
        no = products[~model.exports.listed[products]][0]
        if listed is None:
            chosen = np.where(np.arange(n) % 2 == 0, yes, no)
        else:
            chosen = np.full(n, yes if listed else no)
        state.last_product[:, c] = chosen
        state.last_purchase_step[:, c] = step - 1


def table(model: SocialCommerceModel) -> pd.DataFrame:
    return model.exports.tables()["exports"]


def test_only_exporting_brands_products_are_sold_abroad():
    model = build({**BUSY, "exports.storefront_reach": 1.0})
    home_bought(model, None)  # half the ties bought a product of a brand that does not export
    run_exports(model, 4)
    brands = model.world.brands
    sold = model.total_by_brand > 0
    assert sold.sum() > 5
    assert brands.exports[sold].all()
    assert table(model)["orders_via_ties"].sum() > 0
    # the generated exporters are the domestic premium and mass brands; discount ones do not
    assert not brands.exports[brands.positioning == Positioning.DISCOUNT].any()
    # a storefront listing every domestic brand sells discount brands too
    everyone = build({**BUSY, "exports.storefront_reach": 1.0, "exports.lists": "domestic_brands"})
    run_exports(everyone, 4)
    assert (everyone.total_by_brand[brands.positioning == Positioning.DISCOUNT]).sum() > 0


def test_orders_per_region_follow_the_regions_population_shares():
    model = build({**BUSY, **TWO_REGIONS, "exports.storefront_reach": 1.0})
    run_exports(model, 8)
    by_region = table(model).groupby("region")[["orders", "consumers"]].sum()
    n = int(by_region["orders"].sum())
    assert n > 400
    share = by_region.loc["big", "orders"] / n
    consumers = model.exports.consumers_by_region
    assert consumers[0] / consumers.sum() == pytest.approx(0.7, abs=1e-3)
    se = np.sqrt(0.7 * 0.3 / n)
    assert abs(share - 0.7) < 4 * se, (share, se)


def test_a_dearer_delivery_lowers_orders():
    def orders(cost: float) -> tuple[int, int]:
        regions = {k: dict(v) for k, v in TWO_REGIONS["exports.regions"].items()}
        for row in regions.values():
            row["logistics_cost"] = cost
        model = build({**BUSY, "exports.regions": regions, "exports.storefront_reach": 1.0})
        found, _ = run_exports(model, 3)
        return found[0], sum(found)

    cheap_first, cheap = orders(0.0)
    dear_first, dear = orders(1000.0)
    # same keyed draws: on the first day the dearer world's orders are fewer, need by need
    assert dear_first < cheap_first
    assert dear < 0.8 * cheap


def test_ties_purchases_raise_the_tie_channel_s_orders():
    quiet = build(BUSY)
    run_exports(quiet, 1)
    busy = build(BUSY)
    home_bought(busy, True)
    run_exports(busy, 1)
    assert table(quiet)["orders_via_ties"].sum() == 0
    assert table(quiet)["offers_via_ties"].sum() == 0
    assert table(busy)["orders_via_ties"].sum() > 20
    assert table(busy)["orders"].sum() > table(quiet)["orders"].sum()
    # products the channel does not list are not shown through ties
    unlisted = build(BUSY)
    home_bought(unlisted, False)
    run_exports(unlisted, 1)
    assert table(unlisted)["offers_via_ties"].sum() == 0


def test_a_festival_s_demand_opens_more_needs_abroad():
    plain, festive = build(BUSY), build(BUSY)
    festive.calendar.demand = 5.0
    run_exports(plain, 1)
    run_exports(festive, 1)
    assert table(festive)["open_needs"].sum() > 3 * table(plain)["open_needs"].sum()


def test_exports_off_changes_no_domestic_column_and_records_zero():
    on = build({"exports.population_share": 2.0}, seed=5)
    off = build({"exports.population_share": 2.0, "exports.enabled": False}, seed=5)
    on.run(6)
    off.run(6)
    a, b = on.step_metrics(), off.step_metrics()
    pd.testing.assert_frame_equal(
        a.drop(columns=EXPORT_COLUMNS), b.drop(columns=EXPORT_COLUMNS), check_exact=True
    )
    pd.testing.assert_frame_equal(on.platform_metrics(), off.platform_metrics(), check_exact=True)
    pd.testing.assert_frame_equal(on.tier_metrics(), off.tier_metrics(), check_exact=True)
    assert (b[EXPORT_COLUMNS] == 0).all().all()
    assert a["export_orders"].sum() > 0
    assert table(off).empty and list(table(off).columns) == list(table(on).columns)
    # the step columns are the table's sums, day by day
    sums = table(on).groupby("step")[["orders", "gmv"]].sum()
    assert sums["orders"].tolist() == a["export_orders"].tolist()
    np.testing.assert_allclose(sums["gmv"].to_numpy(), a["export_gmv"].to_numpy(), rtol=1e-12)
    assert (
        table(on)["orders"] == table(on)[["orders_via_ties", "orders_via_storefront"]].sum(axis=1)
    ).all()


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"exports.regions.europe.share": 0.5}, "exports.regions"),
        ({"exports.regions.europe.logistics_days": -1}, "exports.regions.europe.logistics_days"),
        ({"exports.storefront_reach": 2}, "exports.storefront_reach"),
        (
            {
                "exports.regions.Mars": {
                    "share": 0.0,
                    "income_index": 1,
                    "logistics_days": 1,
                    "logistics_cost": 1,
                }
            },
            "exports.regions.Mars",
        ),
    ],
)
def test_a_config_error_names_its_key_path(override, path):
    with pytest.raises(ConfigError) as info:
        ModelConfig().with_overrides(override)
    assert info.value.problems[0].path == path


def test_a_tie_shows_its_purchase_in_proportion_to_its_weight():
    from socialsim.mechanisms.exports import Overseas

    model = build()
    exports, state = model.exports, model.state
    n = 4000
    # every overseas consumer is tied to home 0 (family, weight 1) and home 1 (weak, 0.3)
    exports.overseas = Overseas(
        region=np.zeros(n, dtype=np.int16),
        income=np.full(n, 5000.0),
        tie_indptr=np.arange(0, 2 * n + 1, 2, dtype=np.int64),
        tie_home=np.tile(np.array([0, 1], dtype=np.int32), n),
        tie_weight=np.tile(np.array([1.0, 0.3], dtype=np.float32), n),
        tie_total=np.full(n, 1.3),
    )
    listed = np.flatnonzero(exports.listed & (model.world.catalogue.category == 0))
    state.last_purchase_step[:2, 0] = 0
    state.last_product[:2, 0] = listed[:2]
    day = Day.start(1, model.world.population.n_tiers, model.columns)
    product, weight, share = exports._ties(day, np.arange(n), np.zeros(n, dtype=np.int64), n)
    assert np.all(share == pytest.approx(1.0))
    assert set(np.unique(product)) == set(listed[:2].tolist())
    first = np.mean(product == listed[0])
    se = np.sqrt(1 / 1.3 * 0.3 / 1.3 / n)
    assert abs(first - 1 / 1.3) < 4 * se, (first, se)
    assert np.all(weight[product == listed[0]] == 1.0)
