"""Platform feeds: social (what friends bought) or algorithmic (interest and popularity).

A platform's feed shows each user with an open need, with probability
``reach``, one product for that need. A *social* feed (Kuaishou style) shows
what a friend bought lately, with the friend's tie as trust, so it can only
reach consumers whose friends buy; an *algorithmic* feed (Douyin style) shows
a product of the needed category drawn by popularity (recent sales on the
platform), to anyone, with no trust. The conversion logits make a social
exposure convert 3-5 x an algorithmic one in the default world (about
3.3-3.4 x measured at 30,000 consumers, seeds 1-2; a slow test checks the
range). Under ``social_exposure: per_need`` (the default) a platform's social
feed carries the friend's purchase word of mouth drew only if the friend
bought it on that platform, and then word of mouth does not offer it again.

References
----------
.. [1] "E-Commerce is Social in China's Small Cities" (2020): Kuaishou's
   socially driven recommendation converts 3-5 x Douyin's algorithm-driven
   feed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.enums import Source
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers
from socialsim.streams import mix_keys

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.needs import OpenNeeds
    from socialsim.mechanisms.word_of_mouth import FriendSignals

__all__ = ["Feeds", "algorithmic_feed_offers", "popular_products", "social_feed_offers"]


def social_feed_offers(
    consumer: np.ndarray,
    category: np.ndarray,
    friend_product: np.ndarray,
    tie_weight: np.ndarray,
    platform: int,
    reach: float,
    listed: np.ndarray,
    rng: np.random.Generator,
    *,
    shown_before: np.ndarray | None = None,
) -> Offers:
    """Show users what a friend bought lately, on one platform.

    Parameters
    ----------
    consumer, category : ndarray of int
        Open needs of the platform's users.
    friend_product, tie_weight : ndarray
        Per need, a product a friend bought lately (-1 if none) and the tie's weight.
    platform : int
        The platform.
    reach : float
        Probability a need is shown a product today.
    listed : ndarray of bool
        Products the platform sells.
    rng : numpy.random.Generator
        Source of randomness.
    shown_before : ndarray of bool, optional
        Per need, whether the friend's purchase was already shown (by another
        social feed): it is not shown again, and those shown now are marked.

    Returns
    -------
    Offers
        Source ``FEED_SOCIAL``.

    Examples
    --------
    >>> offers = social_feed_offers(np.array([0, 1]), np.array([0, 0]), np.array([3, -1]),
    ...     np.array([1.0, 0.0]), 2, 1.0, np.ones(5, bool), np.random.default_rng(0))
    >>> offers.consumer.tolist(), offers.product.tolist(), offers.platform.tolist()
    ([0], [3], [2])
    """
    shown = rng.random(consumer.shape[0]) < reach
    has = friend_product >= 0
    ok = shown & has
    ok[has] &= listed[friend_product[has]]
    if shown_before is not None:
        ok &= ~shown_before
        shown_before |= ok
    return Offers.build(
        consumer[ok],
        category[ok],
        friend_product[ok],
        Source.FEED_SOCIAL,
        tie_weight[ok],
        platform,
    )


def popular_products(sales: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """Return the running total of popularity weights over the catalogue.

    The weight of a listed product is ``1 + sales`` (every listed product can
    be recommended, best sellers more often); unlisted products weigh 0.

    Examples
    --------
    >>> popular_products(np.array([3.0, 0.0, 1.0]), np.array([True, True, False])).tolist()
    [4.0, 5.0, 5.0]
    """
    return np.cumsum(np.where(listed, 1.0 + sales, 0.0))


def algorithmic_feed_offers(
    consumer: np.ndarray,
    category: np.ndarray,
    popularity: np.ndarray,
    category_start: np.ndarray,
    category_size: np.ndarray,
    platform: int,
    reach: float,
    rng: np.random.Generator,
    *,
    run: np.ndarray | None = None,
    products: np.ndarray | None = None,
) -> Offers:
    """Recommend popular products of the needed category, on one platform.

    A shown need gets a product of its category with probability
    proportional to its popularity weight. The product is found by halving the
    category's range of products (in catalogue order) with one number per need
    and level, rather than by one inverse CDF over the category: the
    distribution is the same, but a change in one product's popularity (sales
    that differ between two arms of a comparison) moves far fewer needs' picks
    (common random numbers). The numbers are drawn for every need, shown or
    not; each 53-bit uniform gives two levels (26 and 27 bits).

    Parameters
    ----------
    consumer, category : ndarray of int
        Open needs of the platform's users.
    popularity : ndarray of float
        :func:`popular_products` of the platform; in a batched ensemble one
        row per run, over the run's products in their local order.
    category_start, category_size : ndarray of int
        The catalogue's category layout (shape (K, C) in a batched ensemble:
        each run's, in its local product order).
    platform : int
        The platform.
    reach : float
        Probability a need is shown a product today.
    rng : numpy.random.Generator
        Source of randomness; in a batched ensemble keyed draws (a call per
        two levels: the ensemble may halve a few levels more than a run
        alone, which changes no pick).
    run : ndarray of int, optional
        Each need's run in a batched ensemble: a need picks among its own
        run's products, weighed by its own run's popularity.
    products : ndarray of int, shape (K, n), optional
        With `run`: each run's products in the union, in their local order.

    Returns
    -------
    Offers
        Source ``FEED_ALGORITHMIC``, trust 0.

    Examples
    --------
    A best seller is recommended far more often than a product nobody bought:

    >>> pop = popular_products(np.array([99.0, 0.0]), np.ones(2, bool))
    >>> offers = algorithmic_feed_offers(np.arange(1000), np.zeros(1000, int), pop,
    ...     np.array([0]), np.array([2]), 0, 1.0, np.random.default_rng(0))
    >>> int((offers.product == 0).sum()) > 900
    True
    """
    # numbers drawn for every need (so a need's numbers are its own, CRN)
    m = consumer.shape[0]
    shown = np.flatnonzero(rng.random(m) < reach)
    c = category[shown]
    if run is None:
        lo = category_start[c].astype(np.int64)
        hi = lo + category_size[c]
        weight_before = np.concatenate(([0.0], popularity))  # weight of products [0, i)
    else:
        # each run's row of running weights, end to end: a need halves its own run's range
        # of the category, with the run's own running sums (bit for bit the run's alone)
        r = run[shown].astype(np.int64)
        width = popularity.shape[1] + 1
        lo = category_start[r, c].astype(np.int64) + r * width
        hi = lo + category_size[r, c]
        weight_before = np.concatenate(
            (np.zeros((popularity.shape[0], 1)), popularity), axis=1
        ).ravel()
    ok = weight_before[hi] - weight_before[lo] > 0
    shown, c, lo, hi = shown[ok], c[ok], lo[ok], hi[ok]
    # Halve each need's range of products, level by level, going left with the left
    # half's share of the weight. A product whose popularity differs between two runs
    # then moves only the needs whose choice at one of its ~log2(size) ancestors falls
    # in the small band it shifts, where an inverse CDF over the category moves every
    # need whose number lies past it. Each 53-bit uniform serves two levels: its top
    # 26 bits and its low 27 bits are two independent uniforms.
    w_lo, w_hi = weight_before[lo], weight_before[hi]
    halves: list[np.ndarray] = []
    for _ in range(int(np.max(category_size, initial=1) - 1).bit_length()):
        if not halves:
            bits = rng.random(m)[shown] * 2.0**26
            top = np.floor(bits)
            halves = [bits - top, top * 2.0**-26]
        mid = (lo + hi) >> 1  # a range of one product stays put: mid == lo, no weight left
        w_mid = weight_before[mid]
        go_left = halves.pop() * (w_hi - w_lo) < w_mid - w_lo
        hi = np.where(go_left, mid, hi)
        w_hi = np.where(go_left, w_mid, w_hi)
        lo = np.where(go_left, lo, mid)
        w_lo = np.where(go_left, w_lo, w_mid)
    if run is not None:  # a place in a run's row: that run's product, in the union
        r = r[ok]
        lo = products[r, lo - r * width]
    return Offers.build(consumer[shown], c, lo, Source.FEED_ALGORITHMIC, 0.0, platform)


class Feeds(Component):
    """Each platform's social or algorithmic feed shows its users a product for an open need.

    Parameters (each platform's ``feed``): ``kind`` and ``reach``. State: each
    platform's recent sales (a sum that decays by 10 % a day), the algorithmic
    feeds' popularity. Day by day: feeds make offers (:meth:`feed_offers`,
    phase 3); shipped orders add to recent sales (:meth:`shipped`); recent
    sales decay (:meth:`end_day`).

    References
    ----------
    .. [1] "E-Commerce is Social in China's Small Cities" (2020) (see the module docstring).
    """

    name = "feeds"
    batch_ready = True
    columns = (
        MetricColumn.count(
            "exposures_feed_social", "products a social feed showed for an open need today"
        ),
        MetricColumn.count(
            "exposures_feed_algorithmic",
            "products an algorithmic feed showed for an open need today",
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        self.carried: np.ndarray | None = None
        cfg, world = model.config, model.world
        names = world.platforms.names
        self.kind = tuple(cfg.platforms[name].feed.kind for name in names)
        self.reach = platform_values(cfg, names, "feed.reach")
        # Popularity for algorithmic feeds: sales with a ten-day memory.
        self.recent_sales = np.zeros((len(names), world.catalogue.n_products), dtype=np.float64)
        self.sales_decay = 0.9
        # In a batched ensemble popularity is ranked within each run, over its own products
        # in their local order: each run's products (padded with a product of no weight)
        # and each run's category layout
        self._by_run: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        runs = model.runs
        if runs.batched:
            catalogue, layout = world.catalogue, runs.layout.product
            counts = layout.counts()
            table = np.full((runs.n, int(counts.max())), catalogue.n_products, dtype=np.int64)
            for k in range(runs.n):
                table[k, : counts[k]] = layout.of_run(k)
            n_categories = catalogue.n_categories
            size = np.bincount(
                layout.run.astype(np.int64) * n_categories + catalogue.category,
                minlength=runs.n * n_categories,
            ).reshape(runs.n, n_categories)
            self._by_run = (table, np.cumsum(size, axis=1) - size, size)

    def feed_offers(
        self, day: Day, needs: OpenNeeds, signals: FriendSignals, friend_platform: np.ndarray
    ) -> list[Offers]:
        """Each platform's feed shows its users a product for an open need.

        `friend_platform` is, per need, where the friend word of mouth drew
        bought (:meth:`WordOfMouth.friend_platform
        <socialsim.mechanisms.word_of_mouth.WordOfMouth.friend_platform>`).
        """
        catalogue, listed, runs = self.model.world.catalogue, self.model.listed, self.model.runs
        consumer, category, uses = needs.consumer, needs.category, needs.uses
        # keyed by each need's consumer in its own run, drawn from its run's stream
        run = needs.run
        need_key = mix_keys(runs.local_consumer(consumer, run), category)
        once = self.model.config.behaviour.conversion.social_exposure == "per_need"
        #: per open need, whether a social feed showed the friend's purchase word of mouth drew
        self.carried = np.zeros(needs.size, dtype=bool) if once else None
        out = []
        for p, kind in enumerate(self.kind):
            if kind == "none":
                continue
            # one index array and takes: cheaper than several boolean masks over the needs
            on = np.flatnonzero(uses[:, p])
            run_on = None if run is None else run.take(on)
            if kind == "social":
                seen = None if self.carried is None else self.carried[on]
                product = signals.product.take(on)
                if seen is not None:
                    # a social feed carries a friend's purchase made on its own platform
                    product = np.where(friend_platform.take(on) == p, product, -1)
                out.append(
                    social_feed_offers(
                        consumer.take(on),
                        category.take(on),
                        product,
                        signals.tie_weight.take(on),
                        p,
                        self.reach[p],
                        listed[p],
                        self.keyed(day, f"social/{p}", need_key.take(on), run=run_on),
                        shown_before=seen,
                    )
                )
                if seen is not None:
                    self.carried[on] = seen
            else:
                start, size, table = catalogue.category_start, catalogue.category_size, None
                if run is None:
                    popularity = popular_products(self.recent_sales[p], listed[p])
                else:  # each run's running weights over its own products, in local order
                    table, start, size = self._by_run
                    weight = np.append(np.where(listed[p], 1.0 + self.recent_sales[p], 0.0), 0)
                    popularity = np.cumsum(weight.take(table), axis=1)
                out.append(
                    algorithmic_feed_offers(
                        consumer.take(on),
                        category.take(on),
                        popularity,
                        start,
                        size,
                        p,
                        self.reach[p],
                        self.keyed(day, f"algorithmic/{p}", need_key.take(on), run=run_on),
                        run=run_on,
                        products=table,
                    )
                )
        for source in (Source.FEED_SOCIAL, Source.FEED_ALGORITHMIC):
            shown = sum(runs.count(runs.of_consumers(o.consumer), o.source == source) for o in out)
            day.set(f"exposures_{source.name.lower()}", shown)
        return out

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Add shipped orders to the platforms' recent sales."""
        np.add.at(self.recent_sales, (orders.platform, orders.product), 1.0)

    def end_day(self, day: Day) -> None:
        """Recent sales fade by 10 % a day."""
        self.recent_sales *= self.sales_decay
