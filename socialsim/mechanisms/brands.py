"""Brands and merchants: where each brand lists, at what price, which cuts it takes; counterfeits.

A brand sells on a platform through one channel (:class:`~socialsim.enums.BrandChannel`):

* **direct purchase** (Kaola): the platform buys the stock and sets the price,
  so the brand's products take every promotion the platform runs;
* **marketplace** (Tmall Global): the brand runs a flagship store, sets its
  price, joins only promotions no deeper than its positioning's
  ``max_discount``, and pays the platform ``commission`` on each sale.

Every ``brands.review_days`` days each brand reviews, by a fixed rule:

1. *where it lists*: on every platform of its channels except those whose
   standing discounts it cannot refuse are deeper than its ``max_discount``:
   on a direct-purchase platform its promotions' depth and its group-buying
   discount, on a marketplace the group-buying discount (a premium brand
   never joins, or withdraws from, a heavy discounter);
2. *its price*: up ``price_step`` of its list price if its units sold over
   the last review period grew by more than ``sales_band`` against the
   period before, down ``price_step`` if they fell by more, within its
   positioning's ``[price_floor, price_ceiling]``;
3. *its promotions*: the deepest cut it takes (1 on direct purchase, its
   ``max_discount`` on a marketplace), which pricing applies to the platform's
   promotions and festival cuts.

Counterfeits: each order of a brand is a fake with the platform's rate for
its channel (``counterfeit_rate``, ``direct_counterfeit_rate``); a buyer
finds a fake with probability ``detection``, returns it (refunded, see
:mod:`~socialsim.mechanisms.returns`) and stops using the platform with
probability ``leave_after_counterfeit``. Each platform's *authenticity
reputation* is the share of its orders not found fake, remembered over
``reputation_days``; it starts where its rates would hold it. Shoppers of
premium and imported brands fear fakes: their offers' conversion logit falls
by ``reputation_weight * (1 - reputation)`` of the platform.

References
----------
.. [1] Seed on Kaola (shared/domain.md, "Calendar, exports and brands"): Kaola's
   direct purchase from overseas brands against Tmall Global's marketplace;
   premium brands avoid heavy discounters; JD Worldwide's "99 % counterfeit-free"
   reputation as a reason to buy there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socialsim.columns import MetricColumn
from socialsim.enums import BrandChannel, Origin, Positioning
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.returns import BatchCount, RunKeyedDraws, order_keys

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = ["Brands", "listing_rule", "price_review"]


def listing_rule(
    channel: np.ndarray,
    max_discount: np.ndarray,
    promotion_depth: np.ndarray,
    group_discount: np.ndarray,
) -> np.ndarray:
    """Return where each brand lists: its channels, bar platforms whose standing cuts are too deep.

    Parameters
    ----------
    channel : ndarray of int8, shape (P, B)
        :class:`~socialsim.enums.BrandChannel` of each brand on each platform.
    max_discount : ndarray of float, shape (B,)
        The deepest cut each brand accepts.
    promotion_depth, group_discount : ndarray of float, shape (P,) or (P, B)
        Each platform's promotion depth (0 without promotions) and group-buying
        discount (0 without group buying); per brand where they differ from
        run to run of a batched ensemble (each brand its run's).

    Returns
    -------
    ndarray of bool, shape (P, B)

    Examples
    --------
    >>> channel = np.array([[1, 2], [2, 2]])  # platform 0: direct, marketplace
    >>> listing_rule(channel, np.array([0.15, 0.15]), np.array([0.2, 0.2]),
    ...              np.array([0.1, 0.25])).tolist()
    [[False, True], [False, False]]
    """
    direct = channel == BrandChannel.DIRECT
    depth = promotion_depth[:, None] if promotion_depth.ndim == 1 else promotion_depth
    discount = group_discount[:, None] if group_discount.ndim == 1 else group_discount
    forced = np.where(direct, np.maximum(depth, discount), discount)
    return (channel != BrandChannel.NONE) & (forced <= max_discount[None, :] + 1e-12)


def price_review(
    index: np.ndarray,
    units: np.ndarray,
    units_before: np.ndarray,
    band: float,
    step: float,
    floor: np.ndarray,
    ceiling: np.ndarray,
) -> np.ndarray:
    """Return each brand's price index after a review of its sales.

    Up `step` where units grew by more than `band` (relative to the period
    before), down `step` where they fell by more; unchanged where the period
    before sold nothing; within ``[floor, ceiling]``.

    Examples
    --------
    >>> price_review(np.array([1.0, 1.0, 1.0, 0.9]), np.array([130, 70, 100, 10]),
    ...              np.array([100, 100, 100, 100]), 0.2, 0.05,
    ...              np.full(4, 0.9), np.full(4, 1.2)).tolist()
    [1.05, 0.95, 1.0, 0.9]
    """
    before = units_before.astype(np.float64)
    change = np.divide(units - before, before, out=np.zeros_like(before), where=before > 0)
    move = (change > band).astype(np.float64) - (change < -band)
    return np.clip(np.round(index + step * move, 6), floor, ceiling)


class Brands(Component):
    """Brands' listings, prices and promotions on review days; counterfeits and reputation.

    Parameters: the ``brands`` section (positionings, ``review_days``,
    ``price_step``, ``sales_band``, ``detection``, ``leave_after_counterfeit``,
    ``reputation_weight``, ``reputation_days``) and each platform's ``brands``
    row (channel, commission, counterfeit rates). State: where each brand
    lists, its price index, its units sold this review period and the last,
    each platform's authenticity reputation, and the brands' daily table.

    Day by day: on review days (start of the day, before prices are set) the
    brands review (see the module docstring) and the platforms' listings and
    prices follow; offers of premium and imported brands lose conversion where
    reputation is low (:meth:`logit_shift`); shipped orders count towards each
    brand's sales and commission, and some are fakes, some of them found
    (:meth:`shipped`); at the end of the day the reputations move and the
    brands' row is written.

    In a batched ensemble (``model.runs``; brands run by run in the union)
    what is per platform is per run and platform: :attr:`reputation` has shape
    (K, P), the day's counts are per run, and each run's orders draw their
    fakes from its own streams, keyed by its own indices and its own count of
    the day's batches. The brands' table (:meth:`tables`) lists the union's
    brands.

    References
    ----------
    .. [1] Seed on Kaola (see the module docstring).
    """

    name = "brands"
    batch_ready = True
    columns = (
        MetricColumn.count("counterfeits_sold", "counterfeit orders shipped today"),
        MetricColumn.count(
            "counterfeits_found", "counterfeits their buyers found today (returned, refunded)"
        ),
        MetricColumn.count(
            "brand_listings", "(platform, brand) pairs on sale at the end of the day", level=True
        ),
        MetricColumn.count(
            "brand_withdrawals", "(platform, brand) listings withdrawn at today's reviews"
        ),
        MetricColumn.count("brand_price_changes", "brands that moved their price today"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world, cfg = model.world, model.config
        rules = cfg.brands
        self.settings = rules
        brands, catalogue = world.brands, world.catalogue
        self.product_brand = catalogue.brand.astype(np.int64)
        names = world.platforms.names
        self.platform_names = names
        positioning = [rules.positioning(p) for p in brands.positioning_names()]
        self.max_discount = np.array([p.max_discount for p in positioning], dtype=np.float64)
        first_named = brands.n_brands - len(rules.named)
        for b, (_, row) in enumerate(sorted(rules.named.items()), start=first_named):
            if row.max_discount is not None:  # a named brand's own limit
                self.max_discount[b] = row.max_discount
        self.floor = np.array([p.price_floor for p in positioning], dtype=np.float64)
        self.ceiling = np.array([p.price_ceiling for p in positioning], dtype=np.float64)
        # an imported brand sells only where the platform sells cross-border
        sells_imports = np.array([cfg.platforms[n].cross_border.enabled for n in names], dtype=bool)
        imported = brands.origin == Origin.IMPORTED
        self.channel = np.where(
            imported[None, :] & ~sells_imports[:, None], BrandChannel.NONE, brands.channel
        ).astype(np.int8)
        self.has_promotions = platform_values(cfg, names, "promotions.rate") > 0
        # before group buying exists (the first review), its discount from the config
        self.group_discount = np.where(
            platform_values(cfg, names, "group_buying.enabled", bool),
            platform_values(cfg, names, "group_buying.discount"),
            0.0,
        )
        self.commission = platform_values(cfg, names, "brands.commission")
        direct_rate = platform_values(cfg, names, "brands.direct_counterfeit_rate")
        market_rate = platform_values(cfg, names, "brands.counterfeit_rate")
        self.counterfeit_rate = np.select(
            [self.channel == BrandChannel.DIRECT, self.channel == BrandChannel.MARKETPLACE],
            [
                np.broadcast_to(direct_rate[:, None], self.channel.shape),
                np.broadcast_to(market_rate[:, None], self.channel.shape),
            ],
            0.0,
        )
        default_direct = np.array(
            [cfg.platforms[n].brands.channel == "direct" for n in names], dtype=bool
        )
        # where the platform's own rates would hold it: the share of orders not found fake
        self.reputation = 1.0 - rules.detection * np.where(default_direct, direct_rate, market_rate)
        runs = getattr(model, "runs", None)
        #: the runs of a batched ensemble (None for one run), and each brand's run
        self.runs = runs if runs is not None and runs.batched else None
        self.brand_run = None if self.runs is None else self.runs.layout.brand.run
        if self.runs is not None:  # each run's platforms: (K, P)
            self.reputation = np.tile(self.reputation, (self.runs.n, 1))
        #: products of premium and imported brands, whose shoppers fear fakes
        self.fears_fakes = (
            (brands.positioning == Positioning.PREMIUM) | (brands.origin == Origin.IMPORTED)
        )[self.product_brand]
        n_brands, n_platforms = brands.n_brands, len(names)
        self.price_index = np.ones(n_brands, dtype=np.float64)
        self.listed = np.zeros((n_platforms, n_brands), dtype=bool)
        self.units = np.zeros(n_brands, dtype=np.int64)
        self.units_before: np.ndarray | None = None
        self.found: np.ndarray | None = None
        self._today = self._fresh_day()
        self._rows: list[dict[str, np.ndarray]] = []
        self.gmv_total = np.zeros(n_brands, dtype=np.float64)
        self.orders_total = np.zeros(n_brands, dtype=np.int64)
        # which shipped batch of the day this is, per run (each batch keys its draws apart)
        self.batch = BatchCount(runs)
        self.review(0)  # a premium brand never joins a platform that undercuts it

    # ------------------------------------------------------------------ rules

    def review(self, step: int) -> tuple[Any, Any]:
        """Review every brand's listings, price and promotions; return (withdrawals, price moves).

        Parameters
        ----------
        step : int
            The day (0 when the model is built: listings only).

        Returns
        -------
        (int, int), or two ndarrays of int64 (one value per run) in a batched ensemble
        """
        listed = listing_rule(self.channel, self.max_discount, *self._standing_cuts())
        withdrawals = self._per_run(self.listed & ~listed)
        self.listed = listed
        moved = self._per_run(np.zeros(self.price_index.shape, dtype=bool))
        if step > 0:
            if self.units_before is not None:
                new = price_review(
                    self.price_index,
                    self.units,
                    self.units_before,
                    self.settings.sales_band,
                    self.settings.price_step,
                    self.floor,
                    self.ceiling,
                )
                moved = self._per_run(new != self.price_index)
                self.price_index = new
            self.units_before, self.units = self.units, np.zeros_like(self.units)
        self._apply()
        return withdrawals, moved

    def _standing_cuts(self) -> tuple[np.ndarray, np.ndarray]:
        """Each platform's promotion depth and group discount today (a regulator may cap them).

        Shape (P,), or (P, B) where they have a run axis (K, P) in a batched
        ensemble: each brand sees its own run's platforms.
        """
        model = self.model
        depth = np.where(self.has_promotions, model.pricing.book.promo_depth, 0.0)
        discount = self.group_discount
        if hasattr(model, "group_buying"):  # built after the brands' first review
            discount = model.group_buying.discount
        if self.brand_run is not None:
            depth, discount = (
                a if np.ndim(a) == 1 else np.asarray(a).take(self.brand_run, axis=0).T
                for a in (depth, discount)
            )
        return depth, discount

    def _per_run(self, cells: np.ndarray) -> Any:
        """Count the true cells of a per-brand mask (last axis brands): an int, or one per run."""
        if self.brand_run is None:
            return int(np.count_nonzero(cells))
        per_brand = np.count_nonzero(cells.reshape(-1, cells.shape[-1]), axis=0)
        return np.bincount(self.brand_run, weights=per_brand, minlength=self.runs.n).astype(
            np.int64
        )

    def _per_platform(self, run: np.ndarray | None, platform: np.ndarray) -> np.ndarray:
        """Count items per platform: shape (P,), or (K, P) per run and platform."""
        n_platforms = self.reputation.shape[-1]
        if run is None:
            return np.bincount(platform, minlength=n_platforms)
        cell = run.astype(np.int64) * n_platforms + platform
        return np.bincount(cell, minlength=self.runs.n * n_platforms).reshape(-1, n_platforms)

    def _apply(self) -> None:
        """Hand the brands' decisions to the platforms' listings and prices."""
        model, brand = self.model, self.product_brand
        model.assortment.update(self.listed[:, brand])
        book = model.pricing.book
        book.brand_factor[:] = self.price_index[brand]
        takes = np.where(self.channel == BrandChannel.DIRECT, 1.0, self.max_discount[None, :])
        book.max_cut[:] = takes[:, brand]

    # ------------------------------------------------------------------ hooks

    def start_day(self, day: Day) -> None:
        """On review days, review every brand (before today's prices are set)."""
        self._today = self._fresh_day()
        if day.step > 1 and (day.step - 1) % self.settings.review_days == 0:
            withdrawals, moved = self.review(day.step)
            day.add("brand_withdrawals", withdrawals)
            day.add("brand_price_changes", moved)

    def logit_shift(self, offers: Offers) -> np.ndarray | None:
        """Premium and imported brands' offers convert less where fakes are feared."""
        weight = self.settings.reputation_weight
        if weight == 0 or len(offers) == 0:
            return None
        fears = self.fears_fakes[offers.product]
        if self.runs is None:
            reputation = self.reputation[offers.platform]
        else:  # the reputation of the offer's run's platform
            reputation = self.reputation[self.runs.of_consumers(offers.consumer), offers.platform]
        loss = weight * (1.0 - reputation)
        return np.where(fears, -loss, 0.0).astype(np.float32)

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Count each brand's sales and commission; draw the fakes and which are found."""
        n, today = len(orders), self._today
        runs = self.runs
        run = None if runs is None else runs.of_consumers(orders.consumer)
        number = self.batch.next(day.step, run)
        self.found = np.zeros(n, dtype=bool)
        if n == 0:
            return
        brand = self.product_brand[orders.product]
        platform = orders.platform.astype(np.int64)
        n_brands = self.price_index.shape[0]
        counts = np.bincount(brand, minlength=n_brands)
        today["orders"] += counts
        today["gmv"] += np.bincount(brand, weights=price, minlength=n_brands)
        market = self.channel[platform, brand] == BrandChannel.MARKETPLACE
        fee = np.where(market, self.commission[platform] * price, 0.0)
        today["commission"] += np.bincount(brand, weights=fee, minlength=n_brands)
        self.units += counts
        today["platform_orders"] += self._per_platform(run, platform)
        rate = self.counterfeit_rate[platform, brand]
        # (in an ensemble, runs without a rate in this batch draw too: their fakes, found
        # and leavers are none whatever the draws, as when they draw nothing alone)
        if not rate.any():
            return
        # keyed by the order: an order both arms ship is a fake, found or not, in both
        if runs is None:
            draws = self.keyed(day, f"counterfeit/{number}", orders.identity())
        else:  # each run's orders: its keys, its streams, its batch number
            draws = RunKeyedDraws(self, day, "counterfeit", number, order_keys(orders, runs), run)
        fake = draws.random(n) < rate
        found = fake & (draws.random(n) < self.settings.detection)
        leaves = found & (draws.random(n) < self.settings.leave_after_counterfeit)
        self.found = found
        today["counterfeits"] += np.bincount(brand[found], minlength=n_brands)
        today["platform_found"] += self._per_platform(
            None if run is None else run[found], platform[found]
        )
        self.model.state.set_uses(orders.consumer[leaves], platform[leaves], False)
        if runs is None:
            day.count["counterfeits_sold"] += int(fake.sum())
            day.count["counterfeits_found"] += int(found.sum())
        else:
            day.add("counterfeits_sold", runs.count(run, fake))
            day.add("counterfeits_found", runs.count(run, found))

    def found_in(self, orders: Offers) -> np.ndarray:
        """Return which of the batch of `orders` that just shipped are fakes their buyers found."""
        found = self.found
        if found is None or found.shape[0] != len(orders):
            return np.zeros(len(orders), dtype=bool)
        return found

    def end_day(self, day: Day) -> None:
        """Move each platform's reputation and write the brands' row of the day."""
        today = self._today
        sold = today["platform_orders"]
        seen = sold > 0
        observed = 1.0 - np.divide(
            today["platform_found"], sold, out=np.zeros(sold.shape), where=seen
        )
        memory = 1.0 / self.settings.reputation_days
        self.reputation = np.where(
            seen, self.reputation + memory * (observed - self.reputation), self.reputation
        )
        day.set("brand_listings", self._per_run(self.listed))
        settled = self.model.returns.settled
        returned = self.product_brand[settled.product[settled.returned]]
        n_brands = self.price_index.shape[0]
        self.gmv_total += today["gmv"]
        self.orders_total += today["orders"]
        exports = self.model.exports  # today's orders abroad (zeros with exports off)
        self._rows.append(
            {
                "step": day.step,
                "gmv": today["gmv"],
                "orders": today["orders"],
                "price_index": self.price_index.copy(),
                "platforms_listed": self.listed.sum(axis=0).astype(np.int16),
                "returns": np.bincount(returned, minlength=n_brands),
                "commission": today["commission"],
                "counterfeits_found": today["counterfeits"].copy(),
                "export_orders": exports.export_orders_by_brand,
                "export_gmv": exports.export_gmv_by_brand,
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the ``brands`` table: one row per day and brand.

        Columns: ``step``, ``brand``, ``positioning``, ``origin``, ``named``
        (a brand of ``brands.named``), ``gmv``
        (RMB), ``orders``, ``average_price`` (RMB per order; NaN without
        orders), ``price_index`` (the brand's price as a multiple of its list
        price), ``platforms_listed``, ``returns`` (orders returned that day),
        ``commission`` (RMB paid to marketplaces), ``counterfeits_found``, and
        ``export_orders`` and ``export_gmv`` (sold abroad through the export
        channel, at list prices; not part of ``gmv``).
        """
        return {"brands": self._frame(None)}

    def run_tables(self, k: int) -> dict[str, pd.DataFrame]:
        """Return run `k`'s ``brands`` table in a batched ensemble (as :meth:`tables` alone)."""
        return {"brands": self._frame(self.model.runs.entities("brand", k))}

    def _frame(self, chosen: np.ndarray | None) -> pd.DataFrame:
        """Return the brands table of the brands `chosen` (all: None), numbered among them."""
        brands = self.model.world.brands
        ids = np.arange(brands.n_brands) if chosen is None else chosen
        n_brands, n_days = ids.size, len(self._rows)

        def stacked(name: str, dtype: Any) -> np.ndarray:
            if not self._rows:
                return np.empty(0, dtype=dtype)
            return np.concatenate([row[name].take(ids) for row in self._rows]).astype(dtype)

        gmv, orders = stacked("gmv", np.float64), stacked("orders", np.int64)
        index = np.tile(np.arange(n_brands), n_days)
        names = [brands.names[b] for b in ids.tolist()]
        frame = pd.DataFrame(
            {
                "step": np.repeat([row["step"] for row in self._rows], n_brands).astype(np.int64),
                "brand": pd.Categorical.from_codes(index, categories=names),
                "positioning": pd.Categorical(
                    np.asarray(brands.positioning_names(), dtype=object)[ids][index],
                    categories=[p.name.lower() for p in Positioning],
                ),
                "origin": pd.Categorical(
                    np.asarray(brands.origin_names(), dtype=object)[ids][index],
                    categories=[o.name.lower() for o in Origin],
                ),
                "named": brands.named[ids][index],
                "gmv": gmv,
                "orders": orders,
                "average_price": np.divide(
                    gmv, orders, out=np.full(gmv.shape, np.nan), where=orders > 0
                ),
                "price_index": stacked("price_index", np.float64),
                "platforms_listed": stacked("platforms_listed", np.int64),
                "returns": stacked("returns", np.int64),
                "commission": stacked("commission", np.float64),
                "counterfeits_found": stacked("counterfeits_found", np.int64),
                "export_orders": stacked("export_orders", np.int64),
                "export_gmv": stacked("export_gmv", np.float64),
            }
        )
        return frame

    def _fresh_day(self) -> dict[str, np.ndarray]:
        n_brands = self.model.world.brands.n_brands
        n_platforms = len(self.model.world.platforms.names)
        runs = getattr(self.model, "runs", None)
        if runs is not None and runs.batched:  # per run and platform
            n_platforms = (runs.n, n_platforms)
        return {
            "gmv": np.zeros(n_brands, dtype=np.float64),
            "orders": np.zeros(n_brands, dtype=np.int64),
            "commission": np.zeros(n_brands, dtype=np.float64),
            "counterfeits": np.zeros(n_brands, dtype=np.int64),
            "platform_orders": np.zeros(n_platforms, dtype=np.int64),
            "platform_found": np.zeros(n_platforms, dtype=np.int64),
        }
