"""Marketing campaigns: a fixed budget buys sponsored posts from head KOLs, small KOLs and KOCs.

A brand promotes one product over ``campaign.days`` days from
``campaign.start_step``. Each campaign day releases ``budget / days``, split
between three creator classes (:func:`campaign_classes`): ``head`` KOLs,
``mid`` (the smallest KOLs, standing for the cost-effective 50k-100k-follower
accounts) and ``koc``. Each class's money buys sponsored posts from the
class's creators taken in random order (:func:`buy_posts`): a creator whose
post costs more than what is left is skipped and the next, perhaps cheaper, one
is tried; each creator posts at most once a day; the cost is
``fee_per_follower`` x the creator's current followers. What a class does not
spend carries to its next day; what is left after the last day is not spent.

A sponsored post goes out like an ordinary post (:func:`sponsored_offers`
wraps :func:`~socialsim.mechanisms.posts.post_offers`: same reach, same trust,
it sparks needs alike) on a platform that sells the product
(:func:`sponsor_platforms`), but its offers carry ``ref`` = the creator, so the
orders it brings are attributed to the campaign: an order whose source is
``KOL`` or ``KOC`` and whose offer's ``ref`` is >= 0 is a campaign order (an
ordinary post's offers have ``ref`` -1). The creators earn ``commission`` on
that GMV, so the campaign's ROI is ``campaign_gmv / (campaign_fees +
campaign_commission)``.

References
----------
.. [1] Azoya, "4 things you should know about KOL marketing in China": KOLs
   with 50k-100k followers are the cost-effective ones (growth-hungry,
   engaged, commission-driven); contracts pay a commission per sale (CPS) or
   give a free trial; influencers make unknown products "dark horses".
.. [2] KrASIA/Nikkei; SCMP (2020): about 20 % commission plus a fixed slot fee.
.. [3] Kas Data, via hb2b: Douyin follower segments, head >= 10 M, shoulder
   5-10 M, waist 1-5 M, tail 0.1-1 M.
.. [4] pkmarketing; eac-consulting: KOCs have under about 50 k followers.
.. [5] AllXHS, "The complete guide to KOL marketing on Xiaohongshu"; jfound
   (2025), "Building a China KOL roster without overpaying": per-post prices
   by follower band, from which the default fees per follower are set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from socialsim.columns import MetricColumn
from socialsim.enums import CampaignClass, InfluencerKind, KOLSegment, Source
from socialsim.mechanisms.audience import current_followers
from socialsim.mechanisms.component import Component
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.posts import Posts, post_offers
from socialsim.state import NEVER, ConsumerState, latest_purchase
from socialsim.world.catalogue import Catalogue
from socialsim.world.influencers import Influencers

if TYPE_CHECKING:
    from socialsim.day import Day

__all__ = [
    "Campaign",
    "CampaignBudget",
    "GroupAttribution",
    "buy_posts",
    "campaign_classes",
    "campaign_mask",
    "current_followers",
    "promoted_category",
    "promoted_product",
    "sponsor_platforms",
    "sponsored_offers",
]

NO_CLASS = -1
"""Class of a creator the campaign never sponsors."""

# Consumer indices are below 2**31 (int32), so group * 2**31 + consumer is a unique int64 key.
_KEY_SPAN = np.int64(2**31)


def campaign_classes(kind: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Assign each creator its campaign class.

    ``KOC`` for KOCs; ``MID`` for KOLs of the ``TAIL`` segment, the smallest
    (they stand for the 50k-100k-follower accounts); ``HEAD`` for KOLs of the
    ``SHOULDER`` and ``HEAD`` segments (5 M+ followers on Douyin's scale). A
    world with no KOL in those two segments lets its ``WAIST`` KOLs stand in for
    the head, so that a head budget can be spent; otherwise ``WAIST`` KOLs are
    not sponsored (-1).

    Parameters
    ----------
    kind : ndarray of int8
        :class:`~socialsim.enums.InfluencerKind` per creator.
    segment : ndarray of int8
        :class:`~socialsim.enums.KOLSegment` per creator (-1 for KOCs).

    Returns
    -------
    ndarray of int8
        :class:`~socialsim.enums.CampaignClass` per creator, -1 for none.

    Examples
    --------
    >>> kol, koc = InfluencerKind.KOL, InfluencerKind.KOC
    >>> campaign_classes(np.array([kol, kol, kol, koc]), np.array([0, 1, 3, -1])).tolist()
    [1, -1, 0, 2]
    >>> campaign_classes(np.array([kol, kol]), np.array([0, 1])).tolist()  # waist stands in
    [1, 0]
    """
    kind = np.asarray(kind)
    segment = np.asarray(segment)
    is_kol = kind == InfluencerKind.KOL
    out = np.full(kind.shape, NO_CLASS, dtype=np.int8)
    out[kind == InfluencerKind.KOC] = CampaignClass.KOC
    out[is_kol & (segment == KOLSegment.TAIL)] = CampaignClass.MID
    top = is_kol & (segment >= KOLSegment.SHOULDER)
    if not top.any():
        top = is_kol & (segment == KOLSegment.WAIST)
    out[top] = CampaignClass.HEAD
    return out


def promoted_category(catalogue: Catalogue, name: str | None) -> int:
    """Return the promoted category's index: `name`, or the highest influencer affinity.

    Ties of affinity go to the first category by name (the catalogue's order).

    Examples
    --------
    >>> from socialsim.config import CatalogueConfig
    >>> from socialsim.world.catalogue import build_catalogue
    >>> cat = build_catalogue(CatalogueConfig(), np.random.default_rng(0))
    >>> cat.category_names[promoted_category(cat, None)]
    'beauty'
    >>> cat.category_names[promoted_category(cat, "household")]
    'household'
    """
    if name is None:
        return int(np.argmax(catalogue.influencer_affinity))
    return catalogue.category_names.index(name)


def promoted_product(catalogue: Catalogue, category: int) -> int:
    """Choose the promoted product of a category, deterministically.

    The category's product whose price is closest to the category's median
    price, among its domestic products if it has any (they are sold on every
    platform; imports only where cross-border goods are listed); ties go to the
    lowest index. It draws no random numbers, so a campaign arm and a
    no-campaign arm share the same world under common random numbers.

    Parameters
    ----------
    catalogue : Catalogue
        The products.
    category : int
        The category's index.

    Returns
    -------
    int
        The product's index.

    Examples
    --------
    >>> from socialsim.config import CatalogueConfig
    >>> from socialsim.world.catalogue import build_catalogue
    >>> cat = build_catalogue(CatalogueConfig(), np.random.default_rng(0))
    >>> product = promoted_product(cat, 0)
    >>> int(cat.category[product]), bool(cat.cross_border[product])
    (0, False)
    """
    start = int(catalogue.category_start[category])
    products = np.arange(start, start + int(catalogue.category_size[category]))
    median = float(np.median(catalogue.price[products].astype(np.float64)))
    domestic = products[~catalogue.cross_border[products]]
    candidates = domestic if domestic.size else products
    distance = np.abs(catalogue.price[candidates].astype(np.float64) - median)
    return int(candidates[np.argmin(distance)])  # argmin takes the first of equals


def buy_posts(
    cost: np.ndarray, balance: float, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Buy posts in random order while the money lasts, skipping those that cost too much.

    Creators are taken in a random order; each is bought if its cost fits in
    what is left, and skipped otherwise (a cheaper one later may still fit). The
    result is that of this sequential rule, computed in a few vectorised rounds:
    each round drops the creators that no longer fit and buys the longest run
    whose running total fits.

    Parameters
    ----------
    cost : ndarray of float
        Cost of each candidate's post (RMB, >= 0).
    balance : float
        Money available (RMB).
    rng : numpy.random.Generator
        Source of the random order (one permutation; nothing is drawn without
        candidates).

    Returns
    -------
    chosen : ndarray of int64
        Positions in `cost` bought, in the order they were bought.
    left : float
        Money left: `balance` less the cost of the chosen posts, never negative.

    Examples
    --------
    >>> chosen, left = buy_posts(np.array([5.0, 5.0, 5.0]), 12.0, np.random.default_rng(0))
    >>> len(chosen), left
    (2, 2.0)
    >>> chosen, left = buy_posts(np.array([50.0, 1.0]), 10.0, np.random.default_rng(0))
    >>> chosen.tolist(), left
    ([1], 9.0)
    """
    cost = np.asarray(cost, dtype=np.float64)
    if cost.size == 0:
        return np.empty(0, dtype=np.int64), float(balance)
    order = rng.permutation(cost.size)
    queue, queue_cost = order, cost[order]
    left = float(balance)
    bought = [np.empty(0, dtype=np.int64)]
    while True:
        # Money only decreases, so a candidate that does not fit now never will.
        fits = queue_cost <= left
        queue, queue_cost = queue[fits], queue_cost[fits]
        if queue.size == 0:
            break
        running = np.cumsum(queue_cost)
        n = int(np.searchsorted(running, left, side="right"))  # >= 1: the first fits
        bought.append(queue[:n])
        left = max(left - float(running[n - 1]), 0.0)
        queue, queue_cost = queue[n:], queue_cost[n:]
    return np.concatenate(bought).astype(np.int64), left


def sponsor_platforms(
    creators: np.ndarray,
    influencers: Influencers,
    kol_platform: np.ndarray,
    state: ConsumerState,
    sells: np.ndarray,
) -> np.ndarray:
    """Choose the platform of each creator's sponsored post (-1 where there is none).

    A KOL posts on its home platform, if that platform sells the product. A KOC
    posts on the platform of its latest purchase if that platform sells the
    product, and otherwise on the first platform (by name) that sells it.

    Parameters
    ----------
    creators : ndarray of int
        Creator indices.
    influencers : Influencers
        The creators.
    kol_platform : ndarray of int
        Home platform per KOL (-1 for none).
    state : ConsumerState
        The KOCs' purchase history.
    sells : ndarray of bool, shape (P,) or (len(creators), P)
        Per platform: whether it sells the promoted product; or per creator and
        platform (in a batched ensemble each run promotes its own product).

    Returns
    -------
    ndarray of int8
    """
    creators = np.asarray(creators, dtype=np.int64)
    out = np.full(creators.size, -1, dtype=np.int8)
    if sells.ndim == 2:
        return _sponsor_platforms_per_creator(creators, influencers, kol_platform, state, sells)
    if not sells.any():
        return out
    is_kol = influencers.kind[creators] == InfluencerKind.KOL
    home = np.asarray(kol_platform, dtype=np.int64)[creators[is_kol]]
    out[is_kol] = np.where((home >= 0) & sells[np.maximum(home, 0)], home, -1)

    consumer = influencers.consumer[creators[~is_kol]]
    latest, when = latest_purchase(state.last_purchase_step, consumer)
    last = state.last_platform[consumer, latest].astype(np.int64)
    bought = (when > NEVER) & (last >= 0)
    first_seller = int(np.argmax(sells))
    out[~is_kol] = np.where(bought & sells[np.maximum(last, 0)], last, first_seller)
    return out


def _sponsor_platforms_per_creator(
    creators: np.ndarray,
    influencers: Influencers,
    kol_platform: np.ndarray,
    state: ConsumerState,
    sells: np.ndarray,
) -> np.ndarray:
    """:func:`sponsor_platforms` with `sells` given per creator (row) and platform."""
    out = np.full(creators.size, -1, dtype=np.int8)
    is_kol = influencers.kind[creators] == InfluencerKind.KOL
    kol, koc = np.flatnonzero(is_kol), np.flatnonzero(~is_kol)
    home = np.asarray(kol_platform, dtype=np.int64)[creators[kol]]
    out[kol] = np.where((home >= 0) & sells[kol, np.maximum(home, 0)], home, -1)
    consumer = influencers.consumer[creators[koc]]
    latest, when = latest_purchase(state.last_purchase_step, consumer)
    last = state.last_platform[consumer, latest].astype(np.int64)
    bought = (when > NEVER) & (last >= 0)
    first_seller = np.argmax(sells[koc], axis=1)
    koc_out = np.where(bought & sells[koc, np.maximum(last, 0)], last, first_seller)
    out[koc] = np.where(sells[koc].any(axis=1), koc_out, -1)
    return out


def _buy_posts_by_run(
    cost: np.ndarray, run: np.ndarray, balance: np.ndarray, rngs: list[np.random.Generator]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`buy_posts` for candidates of several runs, each run with its own money and stream.

    Parameters
    ----------
    cost : ndarray of float
        Each candidate's cost.
    run : ndarray of int
        Each candidate's run, ascending (candidates run by run).
    balance : ndarray of float, shape (K,)
        Each run's money; a run with none (or no candidate) draws nothing.
    rngs : list of numpy.random.Generator
        Each run's stream.

    Returns
    -------
    chosen : ndarray of int64
        Positions in `cost` bought: run by run, each run's in the order it bought them.
    left : ndarray of float64, shape (K,)
        Each run's money left (its `balance` where it bought nothing).
    drew : ndarray of bool, shape (K,)
        Which runs drew an order (had candidates and money), as :func:`buy_posts` is called.
    """
    cost = np.asarray(cost, dtype=np.float64)
    n_runs = len(rngs)
    bounds = np.searchsorted(run, np.arange(n_runs + 1))
    size = np.diff(bounds)
    drew = (size > 0) & (balance > 0)
    left = np.asarray(balance, dtype=np.float64).copy()
    width = int(size.max()) if size.size else 0
    # Each run's queue in its own random order, one row per run, padded with inf (never fits).
    queue = np.full((n_runs, width), -1, dtype=np.int64)
    for k in np.flatnonzero(drew).tolist():
        queue[k, : size[k]] = bounds[k] + rngs[k].permutation(int(size[k]))
    queue_cost = np.where(queue >= 0, cost.take(np.maximum(queue, 0)), np.inf)
    bought: list[tuple[np.ndarray, np.ndarray]] = []
    while True:
        # as buy_posts, every run at once: drop what no longer fits, keep the order
        fits = queue_cost <= left[:, None]
        if not fits.any():
            break
        rank = np.cumsum(fits, axis=1) - 1
        width = int(fits.sum(axis=1).max())
        kept = np.full((n_runs, width), -1, dtype=np.int64)
        kept_cost = np.full((n_runs, width), np.inf)
        row, col = np.nonzero(fits)
        kept[row, rank[row, col]] = queue[row, col]
        kept_cost[row, rank[row, col]] = queue_cost[row, col]
        queue, queue_cost = kept, kept_cost
        # each row's running total in its order (a cumsum along the row: the run's own sums)
        running = np.cumsum(np.where(np.isinf(queue_cost), 0.0, queue_cost), axis=1)
        running[np.isinf(queue_cost)] = np.inf
        n = np.sum(running <= left[:, None], axis=1)  # the searchsorted of buy_posts
        active = n > 0
        take = np.arange(width)[None, :] < n[:, None]
        r, c = np.nonzero(take)
        bought.append((r, queue[r, c]))
        last = running[active, n[active] - 1]
        left[active] = np.maximum(left[active] - last, 0.0)
        queue = np.where(take, -1, queue)
        queue_cost = np.where(take, np.inf, queue_cost)
    if not bought:
        return np.empty(0, dtype=np.int64), left, drew
    which = np.concatenate([r for r, _ in bought])
    chosen = np.concatenate([q for _, q in bought])
    # run by run, each run's rounds in order (a stable sort keeps the order within a run)
    return chosen[np.argsort(which, kind="stable")], left, drew


def sponsored_offers(
    posts: Posts,
    influencers: Influencers,
    catalogue: Catalogue,
    state: ConsumerState,
    sparks_need: float,
    rng: np.random.Generator,
    *,
    follows: sparse.csr_array | None = None,
    trust: np.ndarray | None = None,
    active: np.ndarray | None = None,
) -> Offers:
    """Turn sponsored posts into offers, exactly as ordinary posts, with ``ref`` = the creator.

    Parameters
    ----------
    posts : Posts
        Today's sponsored posts, at most one per creator.
    influencers, catalogue, state, sparks_need, rng, follows, trust, active
        As for :func:`~socialsim.mechanisms.posts.post_offers`.

    Returns
    -------
    Offers
        Sources ``KOL`` or ``KOC``, each with ``ref`` set to its creator.
    """
    return post_offers(
        posts,
        influencers,
        catalogue,
        state,
        sparks_need,
        rng,
        follows=follows,
        trust=trust,
        active=active,
        ref=posts.creator.astype(np.int32),
    )


@dataclass(eq=False)
class CampaignBudget:
    """The money of a campaign, per class: released each campaign day, spent on posts.

    Parameters
    ----------
    daily : ndarray of float64
        RMB released per campaign day for each :class:`~socialsim.enums.CampaignClass`.
    start, days : int
        First campaign day and number of days.

    Examples
    --------
    >>> budget = CampaignBudget(np.array([10.0, 5.0, 0.0]), start=2, days=2)
    >>> budget.open_day(1), budget.open_day(2), budget.balance.tolist()
    (False, True, [10.0, 5.0, 0.0])
    >>> budget.spend(0, 4.0)
    >>> budget.open_day(3), budget.balance.tolist()
    (True, [16.0, 10.0, 0.0])
    >>> budget.open_day(4), budget.released.tolist(), budget.spent.tolist()
    (False, [20.0, 10.0, 0.0], [4.0, 0.0, 0.0])
    """

    daily: np.ndarray
    start: int
    days: int
    balance: np.ndarray = field(init=False)
    released: np.ndarray = field(init=False)
    spent: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.daily = np.asarray(self.daily, dtype=np.float64)
        self.balance = np.zeros_like(self.daily)
        self.released = np.zeros_like(self.daily)
        self.spent = np.zeros_like(self.daily)

    def open_day(self, step: int) -> bool:
        """Release the day's money if `step` is a campaign day; return whether it is."""
        if not self.start <= step < self.start + self.days:
            return False
        self.balance += self.daily
        self.released += self.daily
        return True

    def spend(self, cls: int, amount: float, left: float | None = None) -> None:
        """Record `amount` spent by class `cls`; `left`, if given, is its exact balance after."""
        self.spent[cls] += amount
        self.balance[cls] = max(self.balance[cls] - amount, 0.0) if left is None else left


@dataclass(eq=False)
class GroupAttribution:
    """Campaign purchases waiting in open groups, so their orders are attributed when they ship.

    A group order ships when its group completes, and the group book keeps
    each member's source but not its offer's ``ref``; this keeps the creator
    of each campaign member, keyed by (group, consumer).

    Examples
    --------
    >>> pending = GroupAttribution()
    >>> pending.add(np.array([7, 3]), np.array([1, 2]), np.array([40, 41]))
    >>> pending.pop(np.array([3, 7, 7]), np.array([2, 5, 1])).tolist()
    [41, -1, 40]
    >>> len(pending)
    0
    """

    group: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    consumer: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    creator: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))

    def __len__(self) -> int:
        return int(self.group.size)

    def add(self, group: np.ndarray, consumer: np.ndarray, creator: np.ndarray) -> None:
        """Remember that `consumer` joined `group` through `creator`'s sponsored post."""
        self.group = np.concatenate((self.group, np.asarray(group, dtype=np.int64)))
        self.consumer = np.concatenate((self.consumer, np.asarray(consumer, dtype=np.int64)))
        self.creator = np.concatenate((self.creator, np.asarray(creator, dtype=np.int32)))

    def pop(self, group: np.ndarray, consumer: np.ndarray) -> np.ndarray:
        """Return the creator of each closing member (-1 if none) and forget those members."""
        out = np.full(np.shape(group)[0], -1, dtype=np.int32)
        if len(self) == 0 or out.size == 0:
            return out
        # A consumer is in a group once, so (group, consumer) identifies a member.
        pending = self.group * _KEY_SPAN + self.consumer
        closing = np.asarray(group, dtype=np.int64) * _KEY_SPAN + np.asarray(consumer, np.int64)
        order = np.argsort(pending)
        pos = np.minimum(np.searchsorted(pending[order], closing), pending.size - 1)
        hit = pending[order][pos] == closing
        out[hit] = self.creator[order[pos[hit]]]
        # the members found are those closing (keys are distinct): no np.isin over all closing
        keep = np.ones(pending.size, dtype=bool)
        keep[order[pos[hit]]] = False
        self.group, self.consumer, self.creator = (
            self.group[keep],
            self.consumer[keep],
            self.creator[keep],
        )
        return out


def _promoted_of_run(catalogue: Catalogue, category: int, products: np.ndarray) -> int:
    """:func:`promoted_product` among one run's `products` (the union's indices, in its order)."""
    products = products[catalogue.category[products] == category]
    median = float(np.median(catalogue.price[products].astype(np.float64)))
    domestic = products[~catalogue.cross_border[products]]
    candidates = domestic if domestic.size else products
    distance = np.abs(catalogue.price[candidates].astype(np.float64) - median)
    return int(candidates[np.argmin(distance)])


def _concat_offers(parts: list[Offers]) -> Offers:
    """Return batches of offers as one, in order."""
    if not parts:
        return Offers.empty()
    return Offers(
        **{f: np.concatenate([getattr(o, f) for o in parts]) for f in Offers.__dataclass_fields__}
    )


def campaign_mask(offers: Offers) -> np.ndarray:
    """Return which offers come from a sponsored post: a KOL or KOC source, a creator in ``ref``.

    Examples
    --------
    >>> source = np.array([Source.KOL, Source.KOL, Source.SEARCH])
    >>> o = Offers.build(np.array([1, 2, 3]), 0, 0, source, 0.0, 0, ref=np.array([4, -1, 4]))
    >>> campaign_mask(o).tolist()
    [True, False, False]
    """
    post = (offers.source == Source.KOL) | (offers.source == Source.KOC)
    return post & (offers.ref >= 0)


class Campaign(Component):
    """A brand's marketing campaign: a budget buys sponsored posts of one product.

    Parameters: the ``campaign`` section (``budget`` 0 runs none). State: the
    budget's balance by creator class, the creators of sponsored purchases
    waiting in groups, and a tally per creator. Nothing is drawn before the
    first campaign day, so a campaign arm and a no-campaign arm share their
    world and their days before the campaign.

    Day by day: on a campaign day each class's money buys sponsored posts,
    which reach followers like ordinary posts (:meth:`content`, phase 2); the
    orders they bring are attributed to their creator as they ship, with the
    creator's commission (:meth:`shipped`); a sponsored purchase that waits in
    a group keeps its creator until the group ships (:meth:`remember_group_members`,
    :meth:`group_creators`).

    In a batched ensemble (``model.runs``) each run keeps its own campaign:
    ``product`` holds each run's promoted product (the union's index), the
    budget's arrays a row per run, and each run buys its posts with its own
    money and streams.

    References
    ----------
    .. [1] Azoya; KrASIA/Nikkei; Kas Data; pkmarketing; AllXHS (see the module docstring).
    """

    name = "campaign"
    batch_ready = True
    columns = (
        MetricColumn.count("campaign_posts", "sponsored posts bought today"),
        MetricColumn.count("campaign_orders", "orders shipped today that a sponsored post brought"),
        MetricColumn.total("campaign_fees", "RMB paid to creators today as post fees"),
        MetricColumn.total("campaign_commission", "RMB of commission on today's campaign GMV"),
        MetricColumn.total("campaign_gmv", "RMB of those orders"),
        MetricColumn.total("campaign_gmv_head", "campaign GMV of head KOLs' posts"),
        MetricColumn.total("campaign_gmv_mid", "campaign GMV of tail (mid) KOLs' posts"),
        MetricColumn.total("campaign_gmv_koc", "campaign GMV of KOCs' posts"),
        MetricColumn.total("campaign_spend_head", "post fees paid to head KOLs today"),
        MetricColumn.total("campaign_spend_mid", "post fees paid to tail (mid) KOLs today"),
        MetricColumn.total("campaign_spend_koc", "post fees paid to KOCs today"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        cfg, world = model.config.campaign, model.world
        catalogue, creators = world.catalogue, world.influencers
        runs = model.runs
        category = promoted_category(catalogue, cfg.category)
        self.category: str = catalogue.category_names[category]
        if not runs.batched:
            self.product: int | np.ndarray = promoted_product(catalogue, category)
            self.creator_class = campaign_classes(creators.kind, creators.segment)
        else:
            # Each run's product (among its own products of the category) and classes (the
            # waist stands in for a run without a head): one per run, in the union's indices.
            # A loop over runs, once, when the campaign is built.
            self.product = np.array(
                [
                    _promoted_of_run(catalogue, category, runs.entities("product", k))
                    for k in range(runs.n)
                ]
            )
            self.creator_class = np.full(creators.n, NO_CLASS, dtype=np.int8)
            for k in range(runs.n):
                mine = runs.entities("creator", k)
                self.creator_class[mine] = campaign_classes(
                    creators.kind[mine], creators.segment[mine]
                )
        self.creators = np.flatnonzero(self.creator_class >= 0)
        fees, split = cfg.fee_per_follower, cfg.split
        self.fee = np.array([fees.head, fees.mid, fees.koc], dtype=np.float64)
        self.budget: CampaignBudget | None = None
        if cfg.budget > 0:
            shares = np.array([split.head, split.mid, split.koc], dtype=np.float64)
            daily = cfg.budget * shares / cfg.days
            if runs.batched:  # each run's own money: one row per run
                daily = np.tile(daily, (runs.n, 1))
            self.budget = CampaignBudget(daily=daily, start=cfg.start_step, days=cfg.days)
        self.groups = GroupAttribution()
        # Per creator, so far: sponsored posts, fees, attributed orders, GMV and commission.
        self.tally = {
            "posts": np.zeros(creators.n, dtype=np.int64),
            "fees": np.zeros(creators.n, dtype=np.float64),
            "orders": np.zeros(creators.n, dtype=np.int64),
            "gmv": np.zeros(creators.n, dtype=np.float64),
            "commission": np.zeros(creators.n, dtype=np.float64),
        }

    @property
    def running(self) -> bool:
        """Whether there is a campaign at all (a budget above 0)."""
        return self.budget is not None

    def content(self, day: Day) -> Offers:
        """On a campaign day, each class's money buys sponsored posts, which reach followers.

        Candidates are the class's creators with at least one current follower
        and a platform that sells the promoted product; each class draws its
        random order only when it has candidates and money.
        """
        budget = self.budget
        if budget is None or not budget.open_day(day.step):
            return Offers.empty()
        model, product, runs = self.model, self.product, self.model.runs
        world, audience = model.world, model.audience
        creators = self.creators
        cls = self.creator_class[creators]
        followers = audience.counts(creators)
        run = runs.run_of("creator", creators)  # None for one run
        # what sells the promoted product: per platform, or per creator (its run's product)
        sells = model.listed[:, product] if run is None else model.listed[:, product[run]].T
        platform = sponsor_platforms(
            creators, world.influencers, world.platforms.kol_platform, model.state, sells
        )
        cost = self.fee[cls] * followers
        eligible = (followers > 0) & (platform >= 0)
        if run is None:
            pick = self._buy(day, budget, cls, cost, eligible)
        else:
            pick = self._buy_by_run(day, budget, cls, cost, eligible, run)
        if pick is None:
            return Offers.empty()
        sponsor = creators[pick]
        self.tally["posts"][sponsor] += 1  # each creator at most once a day: no repeats
        self.tally["fees"][sponsor] += cost[pick]
        pick_run = None if run is None else run[pick]
        day.add("campaign_posts", pick.size if run is None else runs.count(pick_run))
        # (class by class, each run's posts in the order the run alone bought them)
        day.add("campaign_fees", runs.sums(cost[pick], pick_run))
        posts = Posts(
            creator=sponsor.astype(np.int32),
            product=np.full(pick.size, product, dtype=np.int32)
            if run is None
            else product[pick_run].astype(np.int32),
            platform=platform[pick],
        )
        if run is None:
            rng = self.random(day, "reach")
            return self._offers(posts, rng)
        # Each run's posts reach followers with its own stream, drawn as post_offers draws
        # (bytes, then ties, then sparks, in one call): one call per run with posts, until
        # post_offers takes one stream per run.
        rngs, parts = self.generators(day, "reach"), []
        for k in np.unique(pick_run).tolist():
            mine = np.flatnonzero(pick_run == k)
            of_run = Posts(posts.creator[mine], posts.product[mine], posts.platform[mine])
            parts.append(self._offers(of_run, rngs[k]))
        return _concat_offers(parts)

    def _offers(self, posts: Posts, rng: np.random.Generator) -> Offers:
        """Turn sponsored posts into offers to the followers who see them."""
        model, audience = self.model, self.model.audience
        return sponsored_offers(
            posts,
            model.world.influencers,
            model.world.catalogue,
            model.state,
            model.config.behaviour.post_sparks_need,
            rng,
            follows=audience.matrix,
            trust=audience.trust,
            active=audience.active,
        )

    def _buy(
        self,
        day: Day,
        budget: CampaignBudget,
        cls: np.ndarray,
        cost: np.ndarray,
        eligible: np.ndarray,
    ) -> np.ndarray | None:
        """Buy each class's posts with its money (one run); return the bought positions."""
        rng = self.random(day, "posts")
        bought = []
        for c in CampaignClass:
            candidates = np.flatnonzero(eligible & (cls == c))
            if candidates.size == 0 or budget.balance[c] <= 0:
                continue
            chosen, left = buy_posts(cost[candidates], float(budget.balance[c]), rng)
            spent = float(cost[candidates[chosen]].sum())
            budget.spend(c, spent, left)
            day.total[f"campaign_spend_{c.name.lower()}"] += spent
            bought.append(candidates[chosen])
        return np.concatenate(bought) if bought else None

    def _buy_by_run(
        self,
        day: Day,
        budget: CampaignBudget,
        cls: np.ndarray,
        cost: np.ndarray,
        eligible: np.ndarray,
        run: np.ndarray,
    ) -> np.ndarray | None:
        """Buy each run's posts of each class with that run's money and stream (an ensemble).

        A class's candidates are run by run (KOLs, and KOCs, are run by run among
        creators); the positions come back class by class, run by run within a class.
        """
        rngs, runs = self.generators(day, "posts"), self.model.runs
        bought = []
        for c in CampaignClass:
            candidates = np.flatnonzero(eligible & (cls == c))
            if candidates.size == 0:
                continue
            balance = budget.balance[:, c]
            chosen, left, drew = _buy_posts_by_run(cost[candidates], run[candidates], balance, rngs)
            picked = candidates[chosen]
            spent = runs.sums(cost[picked], run[picked])
            budget.spent[drew, c] += spent[drew]
            budget.balance[drew, c] = left[drew]
            day.add(f"campaign_spend_{c.name.lower()}", np.where(drew, spent, 0.0))
            bought.append(picked)
        return np.concatenate(bought) if bought else None

    def remember_group_members(self, buyers: Offers, groups: np.ndarray) -> None:
        """Keep the creator of sponsored purchases that wait in groups, until they ship."""
        if self.budget is None:
            return
        sponsored = campaign_mask(buyers)
        if sponsored.any():
            self.groups.add(groups[sponsored], buyers.consumer[sponsored], buyers.ref[sponsored])

    def group_creators(self, group: np.ndarray, consumer: np.ndarray) -> np.ndarray | int:
        """Return the creator each member of closing groups came through (-1 if none)."""
        return -1 if self.budget is None else self.groups.pop(group, consumer)

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Count the shipped orders that sponsored posts brought, and pay their commission."""
        if self.budget is None:
            return
        sponsored = campaign_mask(orders)
        if not sponsored.any():
            return
        creator = orders.ref[sponsored].astype(np.int64)
        gmv = price[sponsored].astype(np.float64)
        commission = self.model.config.campaign.commission * gmv
        runs = self.model.runs
        run = runs.run_of("creator", creator)  # None for one run
        n_classes = len(CampaignClass)
        if run is None:
            by_class = np.bincount(self.creator_class[creator], weights=gmv, minlength=n_classes)
        else:  # per run and class: each bin adds its orders in order, as the run alone does
            by_class = np.bincount(
                run * n_classes + self.creator_class[creator],
                weights=gmv,
                minlength=runs.n * n_classes,
            ).reshape(runs.n, n_classes)
        for c in CampaignClass:
            day.add(f"campaign_gmv_{c.name.lower()}", by_class[..., c])
        day.add("campaign_orders", creator.size if run is None else runs.count(run))
        day.add("campaign_gmv", runs.sums(gmv, run))
        day.add("campaign_commission", runs.sums(commission, run))
        np.add.at(self.tally["orders"], creator, 1)
        np.add.at(self.tally["gmv"], creator, gmv)
        np.add.at(self.tally["commission"], creator, commission)

    def creators_table(self) -> pd.DataFrame:
        """Return the creators the campaign can sponsor, with what it bought from each so far.

        See :meth:`socialsim.model.SocialCommerceModel.campaign_creators`.
        """
        creators = self.creators
        influencers = self.model.world.influencers
        return pd.DataFrame(
            {
                "creator": creators,
                "kind": pd.Categorical.from_codes(
                    influencers.kind[creators].astype(np.int64),
                    categories=[k.name.lower() for k in InfluencerKind],
                ),
                "campaign_class": pd.Categorical.from_codes(
                    self.creator_class[creators].astype(np.int64),
                    categories=[c.name.lower() for c in CampaignClass],
                ),
                "followers": self.model.audience.counts(creators),
                **{name: values[creators] for name, values in self.tally.items()},
            }
        )
