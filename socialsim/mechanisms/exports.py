"""Exports: overseas-Chinese consumers buy Chinese brands through an export channel (Tmall World).

The overseas population is built once, when the model starts, from a stream
of this component's own (``exports/build``): ``exports.population_share``
times the home consumers, split among ``exports.regions`` by their shares
(largest remainder, so the split is exact), each with a lognormal income
around its region's ``income_index`` times the home median income, and a
Poisson number (mean ``ties_per_consumer``) of ties to home consumers drawn
uniformly among them, family (weight 1) with chance ``family_share`` and
otherwise weak (``network.weak_tie_weight``). Nothing of it is drawn from the
world's generator, so the domestic world, and every domestic draw, are the
same with exports on or off.

Each day (:meth:`Exports.start_day`, after word of mouth has looked up who
bought lately):

1. **needs**: an overseas consumer's closed need for category ``c`` opens
   with chance ``need_rate[c] * need_share * income_index ** income_elasticity``
   times the calendar's demand multiplier (Singles' Day lifts export demand
   too: Tmall World ran a Singles' Day programme); an open need lapses with
   chance ``1 / behaviour.need_patience_days``. One keyed uniform per
   (consumer, category) and day decides both.
2. **exposure**: (a) *ties*: the home ties who bought the category in the
   last ``behaviour.word_of_mouth_days`` days up to yesterday (as domestic
   friends see purchases) give social proof, their tie-weighted share of all
   the consumer's ties; among those whose product the channel lists, one,
   drawn in proportion to tie weight (an exponential race on keyed uniforms),
   shows the consumer that product. (b) *storefront*: with chance
   ``storefront_reach`` the export storefront shows a product of the need's
   category, uniformly among those it lists.
3. **decision**: each offer converts with chance ``expit(logit)``::

       logit = base[channel] + trust_weight * tie weight (ties only)
             + social_proof_weight * social share
             + quality_weight * (quality - 0.5)
             - price_weight * price_sensitivity * (price + logistics_cost) / budget
             - days_weight * logistics_days

   with ``trust_weight``, ``social_proof_weight``, ``quality_weight`` and
   ``price_weight`` the domestic ones (``behaviour.conversion``), ``budget``
   the consumer's income times ``behaviour.budget_share`` and ``price`` the
   product's list price. The tie's offer is tried first; one purchase per
   need, which closes it.

Exports leave the domestic state alone: overseas buyers have no domestic
budget, quota or order-log rows, and their orders neither enter domestic
word of mouth nor any platform's GMV; they are counted in the step columns
``export_orders`` and ``export_gmv`` (RMB at list price, logistics excluded)
and, by region and by what showed the product, in the ``exports`` table.
Overseas consumers are not Mesa agents: they are a few arrays (a few
thousand rows in the default world).

References
----------
.. [1] Seed "Tmall World" (2018), shared/domain.md, "Calendar, exports and
   brands": Alibaba's export platform for Chinese brands to overseas Chinese
   and foreign buyers; 100 Chinese brands (Haier, Midea, Gree, HLA,
   Peacebird, Joyoung, Jahwa, ...) in its first Singles' Day programme;
   logistics by Cainiao, South-East Asia through Lazada.
.. [2] Overseas Chinese about 60 million (common estimate, approximate),
   against 915 M online shoppers at home (CNNIC 53rd report):
   shared/domain.md.
.. [3] P. S. Efraimidis and P. G. Spirakis (2006), "Weighted random sampling
   with a reservoir", IPL 97(5): the race that picks a tie by weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit

from socialsim._csr import gather_rows
from socialsim.columns import MetricColumn
from socialsim.enums import Origin
from socialsim.mechanisms.component import Component
from socialsim.mechanisms.word_of_mouth import bought_lately
from socialsim.streams import mix_keys
from socialsim.world._common import freeze_arrays
from socialsim.world.population import apportion

if TYPE_CHECKING:
    from socialsim.config.exports import ExportsConfig
    from socialsim.day import Day

__all__ = ["EXPORT_TABLE_COLUMNS", "Exports", "Overseas", "build_overseas", "export_logit"]

EXPORT_TABLE_COLUMNS: dict[str, str] = {
    "step": "the day",
    "region": "the overseas region (exports.regions)",
    "consumers": "overseas consumers living there",
    "open_needs": "their needs open today, before buying",
    "offers_via_ties": "open needs shown a listed product a home tie bought lately",
    "offers_via_storefront": "open needs shown a product by the export storefront",
    "orders": "export orders",
    "orders_via_ties": "orders of a product a home tie showed",
    "orders_via_storefront": "orders of a product the storefront showed",
    "gmv": "RMB of the orders at list price (logistics excluded)",
    "gmv_via_ties": "RMB of the orders a home tie showed",
    "gmv_via_storefront": "RMB of the orders the storefront showed",
    "buyers": "overseas consumers who ordered today",
    "logistics_cost": "RMB the buyers paid for delivery",
}
"""The ``exports`` table's columns (one row per day and region) and what each holds."""

_COUNTS = (
    "consumers",
    "open_needs",
    "offers_via_ties",
    "offers_via_storefront",
    "orders",
    "orders_via_ties",
    "orders_via_storefront",
    "buyers",
)


@dataclass(frozen=True, eq=False)
class Overseas:
    """The overseas-Chinese consumers and their ties to home (consumer ``o`` is row ``o``).

    Attributes
    ----------
    region : ndarray of int16
        Region of each overseas consumer (index into the config's regions).
    income : ndarray of float64
        Monthly income, RMB.
    tie_indptr : ndarray of int64, shape (n + 1,)
        CSR row pointer of the ties: consumer ``o``'s ties are entries
        ``tie_indptr[o]:tie_indptr[o + 1]``.
    tie_home : ndarray of int32
        The home consumer of each tie.
    tie_weight : ndarray of float32
        Each tie's weight (1 for family, the weak tie weight otherwise).
    tie_total : ndarray of float64
        Each overseas consumer's summed tie weight.
    """

    region: np.ndarray
    income: np.ndarray
    tie_indptr: np.ndarray
    tie_home: np.ndarray
    tie_weight: np.ndarray
    tie_total: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of overseas consumers."""
        return int(self.region.shape[0])


def build_overseas(
    settings: ExportsConfig,
    n_home: int,
    home_median_income: float,
    income_sigma: float,
    weak_tie_weight: float,
    rng: np.random.Generator,
) -> Overseas:
    """Build the overseas consumers, their regions, incomes and ties to home consumers.

    Parameters
    ----------
    settings : ExportsConfig
        ``population_share``, ``regions``, ``ties_per_consumer``, ``family_share``.
    n_home : int
        Home consumers (the ties' targets are ``0 .. n_home - 1``).
    home_median_income : float
        Median monthly income at home, RMB.
    income_sigma : float
        Sigma of log income around each region's median.
    weak_tie_weight : float
        Weight of a tie that is not family.
    rng : numpy.random.Generator
        The component's build stream (not the world's).

    Returns
    -------
    Overseas

    Examples
    --------
    >>> from socialsim.config.exports import ExportsConfig
    >>> abroad = build_overseas(ExportsConfig(), 1000, 3000.0, 0.6, 0.3,
    ...                         np.random.default_rng(0))
    >>> abroad.n, np.bincount(abroad.region).tolist()
    (66, [48, 10, 5, 3])
    """
    rows = list(settings.regions.values())
    n = round(settings.population_share * n_home)
    counts = apportion(n, np.array([row.share for row in rows]))
    region = np.repeat(np.arange(len(rows), dtype=np.int16), counts)
    index = np.array([row.income_index for row in rows], dtype=np.float64)
    income = home_median_income * index[region] * np.exp(income_sigma * rng.standard_normal(n))
    n_ties = (
        rng.poisson(settings.ties_per_consumer, n) if n_home > 0 else np.zeros(n, dtype=np.int64)
    )
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_ties, out=indptr[1:])
    total = int(indptr[-1])
    home = rng.integers(0, max(n_home, 1), total).astype(np.int32)
    family = rng.random(total) < settings.family_share
    weight = np.where(family, np.float32(1.0), np.float32(weak_tie_weight)).astype(np.float32)
    tie_total = np.zeros(n, dtype=np.float64)
    if total:
        tie_total = np.bincount(
            np.repeat(np.arange(n), n_ties), weights=weight.astype(np.float64), minlength=n
        )
    return Overseas(
        region=region,
        income=income,
        tie_indptr=indptr,
        tie_home=home,
        tie_weight=weight,
        tie_total=tie_total,
    )


def export_logit(
    base: np.ndarray,
    trust: np.ndarray,
    social_share: np.ndarray,
    quality: np.ndarray,
    price: np.ndarray,
    logistics_cost: np.ndarray,
    logistics_days: np.ndarray,
    budget: np.ndarray,
    price_sensitivity: float,
    days_weight: float,
    conversion: Any,
) -> np.ndarray:
    """Return the logit of buying each export offer (see the module docstring).

    Parameters
    ----------
    base : ndarray of float
        The channel's base logit per offer.
    trust : ndarray of float
        Tie weight per offer (0 for the storefront's).
    social_share : ndarray of float
        Tie-weighted share of the buyer's home ties who bought the category lately.
    quality, price : ndarray of float
        The product's quality and list price (RMB).
    logistics_cost, logistics_days : ndarray of float
        Of the buyer's region.
    budget : ndarray of float
        The buyer's monthly budget (RMB).
    price_sensitivity, days_weight : float
        ``exports.price_sensitivity`` and ``exports.days_weight``.
    conversion : ConversionConfig
        The domestic coefficients (``trust_weight``, ``social_proof_weight``,
        ``quality_weight``, ``price_weight``).

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> from socialsim.config import ConversionConfig
    >>> one = np.ones(2)
    >>> logit = export_logit(-3 * one, 0 * one, 0 * one, 0.5 * one, 100 * one,
    ...                      np.array([10.0, 60.0]), 5 * one, 1000 * one, 1.0, 0.05,
    ...                      ConversionConfig())
    >>> bool(logit[0] > logit[1])  # dearer delivery, fewer orders
    True
    """
    return (
        base
        + conversion.trust_weight * trust
        + conversion.social_proof_weight * social_share
        + conversion.quality_weight * (quality - 0.5)
        - conversion.price_weight
        * price_sensitivity
        * (price + logistics_cost)
        / np.maximum(budget, 1e-6)
        - days_weight * logistics_days
    )


def _bought(lookup: np.ndarray, home: np.ndarray, category: np.ndarray, n_categories: int):
    """Whether each home consumer bought the category lately (`lookup` from bought_lately)."""
    if lookup.dtype == bool:  # more than 64 categories: the flat (n, C) table
        return lookup.take(home.astype(np.int64) * n_categories + category)
    bit = lookup.dtype.type(1) << category.astype(lookup.dtype)
    return (lookup.take(home) & bit) != 0


class Exports(Component):
    """The export channel: overseas-Chinese consumers buy exporting Chinese brands.

    Parameters: the ``exports`` section (:class:`~socialsim.config.exports.ExportsConfig`),
    ``behaviour.need_patience_days``, ``word_of_mouth_days``, ``budget_share``
    and ``conversion``, ``population.income_sigma``, ``network.weak_tie_weight``;
    which brands export is ``brands`` (``world.brands.exports``). The
    overseas population is built once from the component's own stream; the day's work
    is done in :meth:`start_day` (see the module docstring).

    In a batched ensemble (``model.runs``) each run builds its overseas
    consumers from its own stream, as it does alone (ties to its own home
    consumers, its own median income), and they are stacked run by run; their
    draws are keyed by their indices in their own run, the storefront picks
    among the run's own products, and the day's counts are per run (the
    ``exports`` table's rows of a day are then one per run and region).

    Attributes
    ----------
    overseas : Overseas
        The overseas consumers and their ties (empty with exports off).
    listed : ndarray of bool
        Per product: the export channel sells it.
    need : ndarray of bool, shape (n_overseas, C)
        The overseas consumers' open needs.
    overseas_start : ndarray of int64, shape (K + 1,)
        Where each run's overseas consumers start (``[0, n]`` for one run).
    export_orders_by_brand : ndarray of int64, shape (n_brands,)
        Today's export orders per brand (``world.brands``), set each day (zeros with
        exports off); the brands table reads it.
    export_gmv_by_brand : ndarray of float64, shape (n_brands,)
        Today's export GMV per brand, RMB at list price.

    References
    ----------
    .. [1] See the module docstring.
    """

    name = "exports"
    batch_ready = True
    columns = (
        MetricColumn.count(
            "export_orders", "orders of overseas consumers through the export channel"
        ),
        MetricColumn.total(
            "export_gmv", "RMB of export orders at list price (logistics cost excluded)"
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        settings = model.config.exports if config is None else config
        super().__init__(model, settings, rng)
        world = model.world
        catalogue, brands = world.catalogue, world.brands
        self.enabled = bool(settings.enabled)
        self.region_names = tuple(settings.regions)
        rows = list(settings.regions.values())
        self.logistics_days = np.array([r.logistics_days for r in rows], dtype=np.float64)
        self.logistics_cost = np.array([r.logistics_cost for r in rows], dtype=np.float64)
        income_index = np.array([r.income_index for r in rows], dtype=np.float64)
        population = model.config.population
        runs = getattr(model, "runs", None)
        #: the runs of a batched ensemble (None for one run)
        self.runs = runs if runs is not None and runs.batched else None
        if self.runs is not None:  # no one abroad in any run, until built
            self.overseas_start = np.zeros(self.runs.n + 1, dtype=np.int64)
        if self.enabled and self.runs is not None:
            self.overseas = self._build_by_run(settings)
        elif self.enabled:
            self.overseas = build_overseas(
                settings,
                world.n_consumers,
                float(np.median(world.population.income)) if world.n_consumers else 0.0,
                population.income_sigma,
                model.config.network.weak_tie_weight,
                self.random(0, "build"),
            )
        else:
            self.overseas = build_overseas(
                settings.model_copy(update={"population_share": 0.0}),
                0,
                0.0,
                population.income_sigma,
                1.0,
                np.random.default_rng(0),  # draws nothing: no one abroad
            )
        if settings.lists == "exporting_brands":
            self.listed = brands.exports.take(catalogue.brand)
        else:
            self.listed = brands.origin.take(catalogue.brand) == Origin.DOMESTIC
        # the listed products by category, for the storefront's uniform pick
        self.shelf = catalogue.listing(self.listed)
        n, n_categories = self.overseas.n, catalogue.n_categories
        n_regions = len(rows)
        if self.runs is None:
            self.overseas_start = np.array([0, n], dtype=np.int64)
            self._run = self._cell_run = None
            self._shelf_start, self._shelf_size = self.shelf.start, self.shelf.size
        else:
            self._run = np.repeat(
                np.arange(self.runs.n, dtype=np.int64), np.diff(self.overseas_start)
            )
            self._cell_run = np.repeat(self._run, n_categories)
            # each run's shelf of a category: its products are a block of the category's
            # (products are run by run within a category), in its own order
            shelf_run = self.runs.run_of("product", self.shelf.products).astype(np.int64)
            cell = shelf_run * n_categories + catalogue.category[self.shelf.products]
            size = np.bincount(cell, minlength=self.runs.n * n_categories)
            size = size.reshape(self.runs.n, n_categories)
            before = np.cumsum(size, axis=0) - size
            self._shelf_start = (self.shelf.start[None, :] + before).astype(np.int64)
            self._shelf_size = size.astype(np.int64)
        #: daily chance of a new need, per region and category (before a festival's demand)
        self.need_rate = (
            catalogue.need_rate[None, :].astype(np.float64)
            * settings.need_share
            * income_index[:, None] ** settings.income_elasticity
        )
        self.budget = self.overseas.income * model.config.behaviour.budget_share
        self.need = np.zeros((n, n_categories), dtype=bool)
        # (each overseas consumer's index in its own run: its cell's key there)
        local = np.arange(n, dtype=np.int64) - self.overseas_start[:-1].repeat(
            np.diff(self.overseas_start)
        )
        self._local = None if self.runs is None else local
        self._cell_key = mix_keys(
            (local[:, None] * n_categories + np.arange(n_categories)).ravel()
            if self.runs is not None
            else np.arange(n * n_categories, dtype=np.int64)
        )
        self.consumers_by_region = self._per_region(
            self._run, self.overseas.region.astype(np.int64), n_regions
        ).astype(np.int64)
        self.export_orders_by_brand = np.zeros(brands.n_brands, dtype=np.int64)
        self.export_gmv_by_brand = np.zeros(brands.n_brands, dtype=np.float64)
        self._rows: list[dict[str, np.ndarray]] = []
        self._steps: list[int] = []

    def _build_by_run(self, settings: ExportsConfig) -> Overseas:
        """Build each run's overseas consumers as it does alone, stacked run by run."""
        model, runs = self.model, self.runs
        income = model.world.population.income
        streams = self.generators(0, "build")
        parts = []
        for k in range(runs.n):
            rows = runs.rows(k)
            n_home = rows.stop - rows.start
            parts.append(
                build_overseas(
                    settings,
                    n_home,
                    float(np.median(income[rows])) if n_home else 0.0,
                    model.config.population.income_sigma,
                    model.config.network.weak_tie_weight,
                    streams[k],
                )
            )
        self.overseas_start = np.concatenate([[0], np.cumsum([p.n for p in parts])]).astype(
            np.int64
        )
        tie_at = np.cumsum([0] + [int(p.tie_indptr[-1]) for p in parts])
        return Overseas(
            region=np.concatenate([p.region for p in parts]),
            income=np.concatenate([p.income for p in parts]),
            tie_indptr=np.concatenate(
                [parts[0].tie_indptr[:1]]
                + [p.tie_indptr[1:] + tie_at[k] for k, p in enumerate(parts)]
            ),
            tie_home=np.concatenate(
                [p.tie_home + np.int32(runs.consumer_start[k]) for k, p in enumerate(parts)]
            ).astype(np.int32),
            tie_weight=np.concatenate([p.tie_weight for p in parts]),
            tie_total=np.concatenate([p.tie_total for p in parts]),
        )

    # ------------------------------------------------------------------ the day

    def start_day(self, day: Day) -> None:
        """Open and lapse the overseas needs, show them products, decide and count the orders."""
        self.export_orders_by_brand = np.zeros_like(self.export_orders_by_brand)
        self.export_gmv_by_brand = np.zeros_like(self.export_gmv_by_brand)
        if not self.enabled:
            return
        model, settings = self.model, self.config
        catalogue = model.world.catalogue
        n_categories = catalogue.n_categories
        behaviour = model.config.behaviour
        region_of = self.overseas.region

        # 1. needs open and lapse: one keyed uniform per (consumer, category)
        calendar = getattr(model, "calendar", None)
        demand = 1.0 if calendar is None else calendar.demand
        if self.need.size:
            u = self.uniform(day, "need", self._cell_key, run=self._cell_run)
            u = u.reshape(self.need.shape)
            rate = np.minimum(self.need_rate[region_of] * demand, 1.0)
            lapse = 1.0 / behaviour.need_patience_days
            self.need = np.where(self.need, u >= lapse, u < rate)
        cell = np.flatnonzero(self.need.ravel())
        consumer, category = cell // n_categories, cell % n_categories
        region = region_of.take(consumer)
        run = None if self._run is None else self._run.take(consumer)
        key = mix_keys(consumer if run is None else self._local.take(consumer), category)
        m = cell.size

        # 2a. ties: who at home bought the category lately, and one listed product they bought
        tie_product, tie_weight, share = self._ties(day, consumer, category, m, run)
        has_tie = tie_product >= 0
        # 2b. the storefront: a listed product of the category (of the need's run), uniformly
        shelf = category if run is None else run * n_categories + category
        size = self._shelf_size.take(shelf)
        reach = (self.uniform(day, "reach", key, run=run) < settings.storefront_reach) & (size > 0)
        pick = np.minimum(
            np.floor(self.uniform(day, "shelf", key, run=run) * size), np.maximum(size - 1, 0)
        )
        at = (self._shelf_start.take(shelf) + pick.astype(np.int64))[reach]
        store_product = np.full(m, -1, dtype=np.int64)
        store_product[reach] = self.shelf.products.take(at)

        # 3. decide: the tie's offer first, then the storefront's; one purchase per need
        conversion = behaviour.conversion

        def chance(product: np.ndarray, base: float, trust: np.ndarray) -> np.ndarray:
            safe = np.maximum(product, 0)
            logit = export_logit(
                np.full(m, base),
                trust,
                share,
                catalogue.quality.take(safe).astype(np.float64),
                catalogue.price.take(safe).astype(np.float64),
                self.logistics_cost.take(region),
                self.logistics_days.take(region),
                self.budget.take(consumer),
                settings.price_sensitivity,
                settings.days_weight,
                conversion,
            )
            return expit(logit)

        buy_tie = has_tie & (
            self.uniform(day, "buy_ties", key, run=run)
            < chance(tie_product, settings.base_ties, tie_weight.astype(np.float64))
        )
        buy_store = (
            ~buy_tie
            & reach
            & (
                self.uniform(day, "buy_storefront", key, run=run)
                < chance(store_product, settings.base_storefront, np.zeros(m))
            )
        )
        bought = buy_tie | buy_store
        self.need[consumer[bought], category[bought]] = False

        # 4. count, by region, by what showed the product, and by brand
        product = np.where(buy_tie, tie_product, store_product)[bought]
        price = catalogue.price.take(product).astype(np.float64)
        r = region[bought]
        via_ties = buy_tie[bought]
        n_regions = len(self.region_names)
        run_bought = None if run is None else run[bought]

        def per_region(
            where: np.ndarray,
            weights: np.ndarray | None = None,
            at: np.ndarray | None = None,
            of: np.ndarray | None = run,
        ) -> np.ndarray:
            # counts per region (per run and region: shape (K, R) in an ensemble) of the
            # items `at` (all if None) of the items whose runs are `of`
            items = None if of is None else (of if at is None else of[at])
            return self._per_region(items, where, n_regions, weights)

        buyers = np.unique(consumer[bought])
        row = {
            "consumers": self.consumers_by_region,
            "open_needs": per_region(region),
            "offers_via_ties": per_region(region[has_tie], at=has_tie),
            "offers_via_storefront": per_region(region[reach], at=reach),
            "orders": per_region(r, of=run_bought),
            "orders_via_ties": per_region(r[via_ties], at=via_ties, of=run_bought),
            "orders_via_storefront": per_region(r[~via_ties], at=~via_ties, of=run_bought),
            "gmv": per_region(r, price, of=run_bought),
            "gmv_via_ties": per_region(r[via_ties], price[via_ties], via_ties, run_bought),
            "gmv_via_storefront": per_region(r[~via_ties], price[~via_ties], ~via_ties, run_bought),
            "buyers": per_region(
                region_of.take(buyers), of=None if run is None else self._run.take(buyers)
            ),
            "logistics_cost": per_region(r, self.logistics_cost.take(r), of=run_bought),
        }
        self._rows.append(row)
        self._steps.append(day.step)
        brand = catalogue.brand.take(product)
        n_brands = self.export_orders_by_brand.size
        self.export_orders_by_brand = np.bincount(brand, minlength=n_brands).astype(np.int64)
        self.export_gmv_by_brand = np.bincount(brand, weights=price, minlength=n_brands)
        if run is None:
            day.add("export_orders", int(product.size))
            day.add("export_gmv", float(row["gmv"].sum()))
        else:  # each run's GMV summed over its regions, as the run alone sums its row
            day.add("export_orders", self.runs.count(run_bought))
            day.add("export_gmv", [float(gmv.sum()) for gmv in row["gmv"]])

    def _per_region(
        self,
        run: np.ndarray | None,
        region: np.ndarray,
        n_regions: int,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """Count (or sum `weights`) per region, or per run and region (K, R) with `run`.

        A (run, region) bin adds its items in their order, as the run alone adds them.
        """
        if run is None:
            return np.bincount(region, weights=weights, minlength=n_regions)
        k = self.runs.n
        cell = run.astype(np.int64) * n_regions + region
        return np.bincount(cell, weights=weights, minlength=k * n_regions).reshape(k, n_regions)

    def _ties(
        self,
        day: Day,
        consumer: np.ndarray,
        category: np.ndarray,
        m: int,
        run: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return per open need a listed product a home tie bought lately, and the ties' share.

        The product is -1 where no tie bought a listed one; the tie weight is
        that tie's; the share is the tie-weighted share of all the consumer's
        ties who bought the category lately (any product). `run` is each
        need's run in a batched ensemble (its ties' draws keyed by their run's
        indices).
        """
        model, abroad = self.model, self.overseas
        state = model.state
        n_categories = state.last_purchase_step.shape[1]
        product = np.full(m, -1, dtype=np.int64)
        weight = np.zeros(m, dtype=np.float32)
        share = np.zeros(m, dtype=np.float64)
        owner, entry, _ = gather_rows(abroad.tie_indptr, consumer)
        if entry.size == 0:
            return product, weight, share
        # who bought lately, as word of mouth looked it up this morning (up to yesterday)
        future = getattr(getattr(model, "word_of_mouth", None), "lately", None)
        days = model.config.behaviour.word_of_mouth_days
        lookup = (
            future.result()
            if future is not None
            else bought_lately(state.last_purchase_step, day.step, days)
        )
        home = abroad.tie_home.take(entry)
        tie_weight = abroad.tie_weight.take(entry)
        need_category = category.take(owner)
        hit = np.flatnonzero(_bought(lookup, home, need_category, n_categories))
        owner, home, tie_weight = owner[hit], home[hit], tie_weight[hit]
        signal = np.bincount(owner, weights=tie_weight.astype(np.float64), minlength=m)
        total = abroad.tie_total.take(consumer)
        share = np.divide(signal, total, out=np.zeros(m), where=total > 0)
        seen = state.last_product[home, need_category[hit]].astype(np.int64)
        listed = (seen >= 0) & self.listed.take(np.maximum(seen, 0))
        owner, home = owner[listed], home[listed]
        tie_weight, seen = tie_weight[listed], seen[listed]
        if owner.size:
            # the exponential race: the smallest -log(u) / weight wins, in proportion to weight
            if run is None:
                tie_key = mix_keys(consumer.take(owner), category.take(owner), home)
            else:  # the overseas consumer and its home tie by their indices in their run
                tie_run = run.take(owner)
                tie_key = mix_keys(
                    self._local.take(consumer.take(owner)),
                    category.take(owner),
                    self.runs.local_consumer(home.astype(np.int64), tie_run),
                )
            u = self.uniform(day, "tie", tie_key, run=None if run is None else tie_run)
            score = -np.log(np.maximum(u, 1e-300)) / tie_weight
            order = np.lexsort((score, owner))
            first = order[np.flatnonzero(np.diff(owner[order], prepend=-1))]
            product[owner[first]] = seen[first]
            weight[owner[first]] = tie_weight[first]
        return product, weight, share

    # ------------------------------------------------------------------ results

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the ``exports`` table: one row per day and region (:data:`EXPORT_TABLE_COLUMNS`).

        With exports off it has the columns and no rows.
        """
        return {"exports": self._frame(None)}

    def run_tables(self, k: int) -> dict[str, pd.DataFrame]:
        """Return run `k`'s ``exports`` table in a batched ensemble (as :meth:`tables` alone)."""
        return {"exports": self._frame(k)}

    def _frame(self, k: int | None) -> pd.DataFrame:
        """Return the exports table (of run `k` in a batched ensemble: rows per run)."""
        n_regions = len(self.region_names)
        days = len(self._steps)
        frame = {
            "step": np.repeat(np.asarray(self._steps, dtype=np.int64), n_regions),
            "region": np.tile(np.asarray(self.region_names, dtype=object), days),
        }
        for name in EXPORT_TABLE_COLUMNS:
            if name in frame:
                continue
            values = [row[name] if k is None else row[name][k] for row in self._rows]
            dtype = np.int64 if name in _COUNTS else np.float64
            frame[name] = (
                np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype=dtype)
            )
        return pd.DataFrame(frame)
