"""Pinduoduo-style group buying: open groups, joining, completion, expiry and refunds.

A buyer on a platform that sells in groups chooses group or solo by utility
(:func:`group_choice`). A group buyer either joins an open group for the same
product on the same platform (strangers browsing the product can join) or
opens one, paying at once; the initiator shares it with friends, strong ties
first (:func:`share_targets`). A group ships when it has ``size`` members (or,
with a price ladder, at the end of its window at the discount of the largest
size it reached); a group that expires short of its size refunds every
member in full, and its initiator becomes less likely to start groups.
Optional price-cut sharing ("kanjia", :func:`kanjia_cut`) lets friends' clicks
cut the initiator's price.

The :class:`GroupBook` holds the open groups and their members as parallel
arrays; every operation is vectorised over groups and members.

References
----------
.. [1] Zhang et al. (ICDE 2021), the BeiBei group-buying log: 99.4 % of
   successful groups had exactly one joiner; failed groups had none.
.. [2] Pinduoduo rules and explainers (2020): 24 h window, automatic refunds,
   friends or strangers browsing the item can join, price-cut sharing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit

from socialsim._arrays import add_at, column_counts, order_runs_by_draw
from socialsim._csr import gather_rows, offsets
from socialsim.columns import MetricColumn
from socialsim.enums import Channel, Source
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers
from socialsim.streams import distinct_keys, extend_keys, mix_keys

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.needs import OpenNeeds
    from socialsim.runs import Runs

__all__ = [
    "ClosedGroups",
    "GroupBook",
    "GroupBuying",
    "group_choice",
    "kanjia_cut",
    "share_targets",
]


def group_choice(
    discount: np.ndarray,
    price_sensitivity: np.ndarray,
    propensity: np.ndarray,
    preference: np.ndarray,
    saving_weight: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Decide, per purchase, whether to buy in a group rather than alone.

    ``P(group) = sigmoid(preference + saving_weight * price_sensitivity *
    discount + log(propensity))``: the saving weighs more for price-sensitive
    (lower-tier) buyers, and a buyer whose groups failed before has a lower
    propensity.

    Parameters
    ----------
    discount : ndarray of float
        Group discount per purchase (0 where the platform has no groups).
    price_sensitivity, propensity : ndarray of float
        Per purchase: the buyer's price sensitivity and group propensity (0-1].
    preference, saving_weight : ndarray of float
        Per purchase: the platform's group-buying parameters.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of bool
        True for a group purchase. Callers pass ``preference = -inf`` where
        the platform has no groups, which makes the probability exactly 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ones = np.ones(10_000)
    >>> cheap = group_choice(0.4 * ones, ones, ones, -1 * ones, 10 * ones, rng).mean()
    >>> dear = group_choice(0.05 * ones, ones, ones, -1 * ones, 10 * ones, rng).mean()
    >>> bool(cheap > dear)
    True
    """
    with np.errstate(divide="ignore"):
        logit = preference + saving_weight * price_sensitivity * discount + np.log(propensity)
    return rng.random(np.shape(discount)[0]) < expit(logit)


def kanjia_cut(
    clicks: np.ndarray,
    first_cut: float | np.ndarray,
    decay: float | np.ndarray,
    max_cut: float | np.ndarray,
) -> np.ndarray:
    """Return the total price cut (share of price) that `clicks` friends' clicks give.

    The k-th click cuts ``first_cut * decay**(k-1)``, so the total is a
    geometric sum, capped at `max_cut`. Parameters may be scalars or arrays
    aligned with `clicks`.

    Examples
    --------
    >>> kanjia_cut(np.array([0, 1, 2, 50]), 0.1, 0.5, 0.5).round(3).tolist()
    [0.0, 0.1, 0.15, 0.2]
    """
    clicks = np.asarray(clicks, dtype=np.float64)
    decay = np.asarray(decay, dtype=np.float64)
    flat = decay == 1.0  # the geometric sum degenerates to first_cut per click
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = (1.0 - decay**clicks) / (1.0 - decay)
    total = np.asarray(first_cut) * np.where(flat, clicks, geometric)
    return np.minimum(total, max_cut)


def share_targets(
    indptr: np.ndarray,
    indices: np.ndarray,
    strong: np.ndarray,
    sharer: np.ndarray,
    count: np.ndarray | int,
    rng: np.random.Generator,
    *,
    strong_first: bool = True,
    sharer_key: np.ndarray | None = None,
    sharer_run: np.ndarray | None = None,
    consumer_start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pick the friends each sharer sends a link to.

    Each sharer sends to `count` of its ties (all of them if it has fewer),
    strong ties first and at random within strong and weak ones (or at random
    over all ties when `strong_first` is False).

    Parameters
    ----------
    indptr, indices : ndarray
        The social graph's CSR arrays.
    strong : ndarray of bool
        Per stored entry, whether the tie is strong.
    sharer : ndarray of int
        Who shares (repeats allowed: one row per share).
    count : int or ndarray of int
        Friends per share.
    rng : numpy.random.Generator
        Source of randomness.
    strong_first : bool
        Order strong ties before weak ones.
    sharer_key : ndarray of uint64, optional
        A key per share (:func:`~socialsim.streams.mix_keys`): when given,
        `rng` is a :class:`~socialsim.streams.KeyedDraws`-like ``uniform(key)``
        callable and each (share, friend) pair's number depends on that pair
        alone, so a share two runs both make reaches the same friends in both.
    sharer_run : ndarray of int, optional
        In a batched ensemble (with `sharer_key`, made of each sharer's
        indices in its own run's world): each share's run. Each pair is then
        keyed by the friend's index in its own run's world
        (``friend - consumer_start[run]``) and `rng` is called as
        ``rng(key, run)`` with each pair's run, so every run's shares reach
        the friends they reach in that run alone.
    consumer_start : ndarray of int, optional
        With `sharer_run`: where each run's block of consumers starts
        (:attr:`socialsim.runs.Runs.consumer_start`).

    Returns
    -------
    share : ndarray of int64
        Position in `sharer` of each link sent.
    friend : ndarray of int32
        Who receives it.
    entry : ndarray of int64
        The tie's stored entry in the graph (for its weight).

    Examples
    --------
    A sharer with two strong ties and one weak one, sharing with two friends:

    >>> indptr, indices = np.array([0, 3]), np.array([5, 6, 7])
    >>> strong = np.array([False, True, True])
    >>> share, friend, _ = share_targets(indptr, indices, strong, np.array([0]), 2,
    ...                               np.random.default_rng(0))
    >>> sorted(friend.tolist())
    [6, 7]
    """
    owner, entry, run_start = gather_rows(indptr, np.asarray(sharer, dtype=np.int64))
    if owner.size == 0:
        return owner.astype(np.int64), np.empty(0, dtype=np.int32), entry.astype(np.int64)
    weak = ~strong[entry] if strong_first else np.zeros(owner.size, dtype=bool)
    if sharer_key is None:
        if sharer_run is not None:
            raise ValueError("shares of several runs are keyed: pass sharer_key")
        draw = rng.random(owner.size)
    else:
        # the pair's key is mix_keys(share key, friend), with each share's key hashed once
        pair_key = mix_keys(sharer_key).take(owner)
        if sharer_run is None:
            # alike shares (one initiator sharing one product twice) reach the same friends
            draw = rng(extend_keys(pair_key, indices.take(entry)))
        else:
            # each pair keyed as its run alone keys it: the friend's index in its own run
            run = sharer_run[owner]
            friend = indices[entry].astype(np.int64) - np.asarray(consumer_start).take(run)
            draw = rng(extend_keys(pair_key, friend), run)
    order = order_runs_by_draw(owner, weak, draw)  # np.lexsort((draw, weak, owner)), faster
    # each sharer's first `count` ties in that order (all when it has fewer), found from the
    # kept counts alone rather than by ranking every tie
    ties = np.diff(run_start, append=owner.size)
    kept = np.minimum(ties, np.broadcast_to(np.asarray(count, dtype=np.int64), ties.shape))
    share = np.repeat(np.arange(len(sharer), dtype=np.int64), kept)
    position = np.arange(share.size, dtype=np.int64) + np.repeat(run_start - offsets(kept), kept)
    entry = entry.take(order.take(position)).astype(np.int64)
    return share, indices.take(entry).astype(np.int32), entry


@dataclass(frozen=True, eq=False)
class ClosedGroups:
    """Groups that closed in one step, and their members.

    Attributes
    ----------
    group, platform, product, initiator, size : ndarray
        Per closed group; ``size`` is its number of members.
    completed : ndarray of bool
        Per closed group: shipped (True) or expired and refunded (False).
    member_group : ndarray of int64
        Per member: index into the group arrays above.
    consumer, category, source : ndarray
        Per member.
    paid : ndarray of float64
        Per member: what it paid when it joined.
    final_price : ndarray of float64
        Per member of a completed group: the price it ends up paying (less than
        `paid` after a ladder step or a price cut); 0 for expired groups.
    number : ndarray of int64
        Per closed group: its number in its own run (the ``group_id`` of its
        shipped orders); ``group`` itself for a book of one run.
    """

    group: np.ndarray
    platform: np.ndarray
    product: np.ndarray
    initiator: np.ndarray
    size: np.ndarray
    completed: np.ndarray
    member_group: np.ndarray
    consumer: np.ndarray
    category: np.ndarray
    source: np.ndarray
    paid: np.ndarray
    final_price: np.ndarray
    number: np.ndarray


def _empty(dtype: type) -> np.ndarray:
    return np.empty(0, dtype=dtype)


def _rank_within(run: np.ndarray) -> np.ndarray:
    """Return each item's rank among the items of its run, in array order (0, 1, ...)."""
    order = np.argsort(run, kind="stable")
    ordered = run[order]
    rank = np.empty(run.size, dtype=np.int64)
    rank[order] = np.arange(run.size) - np.searchsorted(ordered, ordered, side="left")
    return rank


def _part(run: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
    """Return the runs of the items at `index` (None for one run)."""
    return None if run is None else run[index]


def _tally(runs: Runs, run: np.ndarray | None, n: int) -> int | np.ndarray:
    """Count `n` items whose runs are `run`: ``n`` for one run, one count per run for several."""
    return n if run is None else runs.count(run)


def _by_run(runs: Runs, run: np.ndarray | None, index: np.ndarray, width: int) -> np.ndarray:
    """Count items by `index` (< `width`): shape (width,) for one run, (K, width) per run."""
    if run is None:
        return np.bincount(index, minlength=width)
    cell = run.astype(np.int64) * width + index
    return np.bincount(cell, minlength=runs.n * width).reshape(runs.n, width)


def _column_counts(runs: Runs, table: np.ndarray) -> np.ndarray:
    """Count the true cells of each column of a per-consumer table: (P,), or (K, P) per run."""
    if not runs.batched:
        return column_counts(table)
    # each run's block of rows summed at once (every run has consumers, so no block is empty)
    return np.add.reduceat(table, runs.consumer_start[:-1], axis=0, dtype=np.int64)


def _int_sums(runs: Runs, values: np.ndarray, run: np.ndarray | None) -> int | np.ndarray:
    """Sum whole numbers per run (an int for one run); exact below 2**53."""
    if run is None:
        return int(values.sum())
    return np.bincount(run, weights=values, minlength=runs.n).astype(np.int64)


def _identity(offers: Offers, run: np.ndarray | None, runs: Runs) -> np.ndarray:
    """Return :meth:`Offers.identity` as each offer's own run alone makes it.

    One run: the offers' identity itself. Several: the same key made of the
    consumer's index in its run and the ref's (a creator for posts, the
    shopper for a daigou order, the owner for a store promotion), repeats made
    distinct within each run. Livestream sessions and shared groups keep their
    ref: such offers are never bought in a group by :meth:`GroupBuying.claim`
    (their channel is not solo), and their source keeps their keys apart from
    every other offer's.
    """
    if run is None:
        return offers.identity()
    source = offers.source
    consumer = runs.local_consumer(offers.consumer.astype(np.int64), run)
    ref = offers.ref.astype(np.int64)
    creator = np.flatnonzero(((source == Source.KOL) | (source == Source.KOC)) & (ref >= 0))
    ref[creator] = runs.local("creator", ref[creator])
    person = np.flatnonzero(
        ((source == Source.DAIGOU) | (source == Source.STORE_OWNER)) & (ref >= 0)
    )
    ref[person] = runs.local_consumer(ref[person], run[person])
    # Offers.identity's packing, of the local indices
    who = (consumer << 16) | (offers.category.astype(np.int64) & 0xFFFF)
    packed = (source.astype(np.int64) & 0xFF) | ((offers.platform.astype(np.int64) & 0xFF) << 8)
    packed |= (offers.channel.astype(np.int64) & 0xFF) << 16
    packed |= (ref & 0xFFFFFFFF) << 24
    return distinct_keys(mix_keys(who, packed), run=run)


@dataclass(eq=False)
class GroupBook:
    """The open groups of every platform and their members.

    Groups are identified by a running id (``group``). Each member row records
    what it paid at the group price; when a group closes after climbing a
    price ladder or collecting price cuts, the final price is what was paid
    scaled by the deeper discount.

    A book of a batched ensemble holds every run's groups: ids run over all
    of them (so a group is found by its id alone), and each group also has
    its ``number`` in its own run, the id it has when the run is stepped
    alone (see :meth:`open`). In a book of one run the two are the same.
    """

    # per group
    group: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    platform: np.ndarray = field(default_factory=lambda: _empty(np.int8))
    product: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    initiator: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    opened: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    closes: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    target: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    capacity: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    members: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    kanjia: np.ndarray = field(default_factory=lambda: _empty(np.float64))
    number: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    # per member
    m_group: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    m_consumer: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    m_category: np.ndarray = field(default_factory=lambda: _empty(np.int16))
    m_source: np.ndarray = field(default_factory=lambda: _empty(np.int8))
    m_paid: np.ndarray = field(default_factory=lambda: _empty(np.float64))
    next_id: int = 0
    #: per run, the number its next group gets (books of several runs only)
    next_number: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))

    _GROUP_FIELDS = (
        "group",
        "platform",
        "product",
        "initiator",
        "opened",
        "closes",
        "target",
        "capacity",
        "members",
        "kanjia",
        "number",
    )
    _MEMBER_FIELDS = ("m_group", "m_consumer", "m_category", "m_source", "m_paid")

    def __len__(self) -> int:
        """Return the number of open groups."""
        return int(self.group.shape[0])

    @property
    def n_members(self) -> int:
        """Members of open groups."""
        return int(self.m_group.shape[0])

    def open(
        self,
        *,
        platform: np.ndarray,
        product: np.ndarray,
        initiator: np.ndarray,
        category: np.ndarray,
        source: np.ndarray,
        paid: np.ndarray,
        step: int,
        window_days: np.ndarray,
        target: np.ndarray,
        capacity: np.ndarray,
        run: np.ndarray | None = None,
    ) -> np.ndarray:
        """Open one group per initiator, the initiator its first (paying) member.

        Parameters are per new group (but `step`). With `run` (each new
        group's run, in a book of several runs) each group is also numbered
        within its run, in the order given, after the run's earlier groups:
        as the run alone numbers it. Returns the new groups' ids.
        """
        m = int(np.shape(initiator)[0])
        ids = np.arange(self.next_id, self.next_id + m, dtype=np.int64)
        self.next_id += m
        if run is None:
            number = ids
        else:
            run = np.asarray(run, dtype=np.int64)
            number = self.next_number.take(run) + _rank_within(run)
            self.next_number += np.bincount(run, minlength=self.next_number.size)
        new = {
            "group": ids,
            "platform": np.asarray(platform, dtype=np.int8),
            "product": np.asarray(product, dtype=np.int32),
            "initiator": np.asarray(initiator, dtype=np.int32),
            "opened": np.full(m, step, dtype=np.int32),
            "closes": (step + np.asarray(window_days) - 1).astype(np.int32),
            "target": np.asarray(target, dtype=np.int32),
            "capacity": np.asarray(capacity, dtype=np.int32),
            "members": np.ones(m, dtype=np.int32),
            "kanjia": np.zeros(m, dtype=np.float64),
            "number": number,
        }
        for name in self._GROUP_FIELDS:
            setattr(self, name, np.concatenate((getattr(self, name), new[name])))
        self._append_members(ids, initiator, category, source, paid)
        return ids

    def _append_members(
        self,
        group: np.ndarray,
        consumer: np.ndarray,
        category: np.ndarray,
        source: np.ndarray,
        paid: np.ndarray,
    ) -> None:
        self.m_group = np.concatenate((self.m_group, np.asarray(group, dtype=np.int64)))
        self.m_consumer = np.concatenate((self.m_consumer, np.asarray(consumer, dtype=np.int32)))
        self.m_category = np.concatenate((self.m_category, np.asarray(category, dtype=np.int16)))
        self.m_source = np.concatenate((self.m_source, np.asarray(source, dtype=np.int8)))
        self.m_paid = np.concatenate((self.m_paid, np.asarray(paid, dtype=np.float64)))

    def rows(self, group: np.ndarray) -> np.ndarray:
        """Return the row of each group id in the open-group arrays (-1 if not open)."""
        group = np.asarray(group, dtype=np.int64)
        if len(self) == 0:
            return np.full(group.shape, -1, dtype=np.int64)
        # Ids only grow and closing keeps order, so the ids stay sorted.
        pos = np.minimum(np.searchsorted(self.group, group), len(self) - 1)
        return np.where(self.group[pos] == group, pos, -1)

    def match(
        self,
        platform: np.ndarray,
        product: np.ndarray,
        rng: np.random.Generator,
        n_products: int,
    ) -> np.ndarray:
        """Assign buyers to free places in open groups of the same product, oldest groups first.

        Buyers are taken in random order; a buyer gets a place while the
        product's open groups on its platform have room. Places are not taken
        yet: pass the result to :meth:`join`. In a book of several runs the
        products are the union's, each of one run, so buyers meet only their
        own run's groups, in their run's order (`rng` gives each buyer the
        number its run alone gives it).

        Returns
        -------
        ndarray of int64
            The group id each buyer can join, -1 where no place was left.
        """
        m = int(np.shape(platform)[0])
        out = np.full(m, -1, dtype=np.int64)
        free = self.capacity - self.members
        if m == 0 or not np.any(free > 0):
            return out
        key_group = self.platform.astype(np.int64) * n_products + self.product
        has = np.flatnonzero(free > 0)
        order = has[np.lexsort((self.opened[has], key_group[has]))]
        slot_group = np.repeat(order, free[order])  # one entry per free place, by key then age
        slot_key = key_group[slot_group]
        key = np.asarray(platform, dtype=np.int64) * n_products + np.asarray(product)
        buyer_order = np.lexsort((rng.random(m), key))
        sorted_key = key[buyer_order]
        first_of_key = np.searchsorted(sorted_key, sorted_key, side="left")
        rank = np.arange(m) - first_of_key
        slot_start = np.searchsorted(slot_key, sorted_key, side="left")
        slot_end = np.searchsorted(slot_key, sorted_key, side="right")
        ok = slot_start + rank < slot_end
        out[buyer_order[ok]] = self.group[slot_group[(slot_start + rank)[ok]]]
        return out

    def join(
        self,
        group: np.ndarray,
        consumer: np.ndarray,
        category: np.ndarray,
        source: np.ndarray,
        paid: np.ndarray,
    ) -> np.ndarray:
        """Add members to open groups while they have room; return which joined.

        Members are taken in the order given; a group that fills turns the
        rest away (the returned mask is False for them).
        """
        group = np.asarray(group, dtype=np.int64)
        row = self.rows(group)
        ok = row >= 0
        # Rank each joiner within its group, in the given order, against the room left.
        order = np.argsort(np.where(ok, row, -1), kind="stable")
        r = row[order]
        first = np.searchsorted(r, r, side="left")
        rank = np.arange(r.size) - first
        free = self.capacity - self.members
        # np.take on an empty book would fail even where the mask discards the value.
        room = np.where(r >= 0, free[np.maximum(r, 0)], 0) if free.size else np.zeros_like(r)
        fits = np.zeros(group.size, dtype=bool)
        fits[order] = (r >= 0) & (rank < room)
        np.add.at(self.members, row[fits], np.int32(1))
        self._append_members(
            group[fits],
            np.asarray(consumer)[fits],
            np.asarray(category)[fits],
            np.asarray(source)[fits],
            np.asarray(paid)[fits],
        )
        return fits

    def add_price_cut(self, group: np.ndarray, cut: np.ndarray) -> None:
        """Record kanjia price cuts (share of price) for the initiators of these groups."""
        row = self.rows(group)
        self.kanjia[row[row >= 0]] = np.asarray(cut, dtype=np.float64)[row >= 0]

    def close(
        self,
        step: int,
        ladder_sizes: list[np.ndarray],
        ladder_discounts: list[np.ndarray],
        base_discount: np.ndarray,
    ) -> ClosedGroups:
        """Close the groups that complete or expire at the end of `step`.

        A group without a ladder completes as soon as it has ``target``
        members. A group with a ladder (``capacity > target``) completes when
        full, or at the end of its window if it reached ``target``. Groups
        whose window ends short of ``target`` expire.

        Parameters
        ----------
        step : int
            The step ending.
        ladder_sizes, ladder_discounts : list of ndarray
            Per platform: the ladder's sizes and discounts (empty without one).
        base_discount : ndarray of float
            Per platform: the group discount at ``target`` members.

        Returns
        -------
        ClosedGroups
            The closed groups are removed from the book.
        """
        full = self.members >= self.capacity
        window_over = self.closes <= step
        reached = self.members >= self.target
        completed = full | (window_over & reached)
        expired = window_over & ~reached
        closing = completed | expired
        rows = np.flatnonzero(closing)

        member_row = self.rows(self.m_group)
        member_closing = closing[member_row]
        mrow = member_row[member_closing]
        group_pos = np.searchsorted(rows, mrow)

        # Discount of the size reached (ladder), relative to what members paid at the base price.
        discount = base_discount[self.platform[rows]].astype(np.float64)
        for p, (sizes, discounts) in enumerate(zip(ladder_sizes, ladder_discounts, strict=True)):
            on_p = self.platform[rows] == p
            for size, d in zip(sizes.tolist(), discounts.tolist(), strict=True):
                discount[on_p & (self.members[rows] >= size)] = d
        paid = self.m_paid[member_closing]
        # Members paid at the base group price; a deeper ladder step scales that down.
        base = base_discount[self.platform[rows]].astype(np.float64)
        scale = (1.0 - discount) / (1.0 - base)
        final = paid * scale[group_pos]
        is_initiator = self.m_consumer[member_closing] == self.initiator[rows][group_pos]
        final = np.where(is_initiator, final * (1.0 - self.kanjia[rows][group_pos]), final)
        done = completed[rows]
        result = ClosedGroups(
            group=self.group[rows],
            platform=self.platform[rows],
            product=self.product[rows],
            initiator=self.initiator[rows],
            size=self.members[rows].copy(),
            completed=done,
            member_group=group_pos.astype(np.int64),
            consumer=self.m_consumer[member_closing],
            category=self.m_category[member_closing],
            source=self.m_source[member_closing],
            paid=paid,
            final_price=np.where(done[group_pos], final, 0.0),
            number=self.number[rows],
        )
        keep = ~closing
        for name in self._GROUP_FIELDS:
            setattr(self, name, getattr(self, name)[keep])
        for name in self._MEMBER_FIELDS:
            setattr(self, name, getattr(self, name)[~member_closing])
        return result


class GroupBuying(Component):
    """Group buying with price-cut sharing (kanjia), on the platforms that run it.

    Parameters (each platform's ``group_buying`` section and its ``kanjia``):
    ``enabled``, ``discount``, ``size``, ``window_days``, ``price_ladder``,
    ``preference``, ``saving_weight``, ``join_open_group``, ``share_to``,
    ``failure_penalty``; ``kanjia.enabled``, ``share_to``, ``click_prob``,
    ``first_cut``, ``decay``, ``max_cut``, ``acquire_prob``. State: the open
    groups (:class:`GroupBook`), the sizes of the completed ones, and each
    consumer's group propensity (in ``model.state``).

    Day by day (phase 7): each ordinary purchase on a group-buying platform may
    become a group purchase (:meth:`claim`); group buyers pay the group price,
    join an open group or open one, initiators share it with friends, who join
    by the purchase logit, and send price-cut links (:meth:`buy`); groups that
    are full ship at their final price, groups whose window ends short of
    their size refund every member (:meth:`close`). It pays and ships through
    the model's checkout, and its friends' purchases pass the cross-border
    quota like any other.

    In a batched ensemble (``model.runs``) one book holds every run's groups,
    each numbered as its run alone numbers it; buyers meet only their own
    run's groups (the products are each of one run); every draw is keyed by
    indices in the item's own run and made from its run's streams; the
    per-platform tables (``need_share``, ``group_buyers``, ``traffic``,
    ``sizes``) get a leading run axis; and the day's counts and refunds are
    per run.

    Parameters
    ----------
    model : SocialCommerceModel
    rng : numpy.random.Generator
        The behaviour stream.

    References
    ----------
    .. [1] Zhang et al., ICDE 2021 (the BeiBei log); Pinduoduo rules and
       explainers (see the module docstring).
    """

    name = "group_buying"
    batch_ready = True
    columns = (
        MetricColumn.count("groups_started", "groups opened today"),
        MetricColumn.count("groups_completed", "groups that reached their size and shipped today"),
        MetricColumn.count("groups_expired", "groups whose window ended short of their size"),
        MetricColumn.count("group_members", "members of the groups completed today"),
        MetricColumn.count("kanjia_clicks", "price-cut link clicks today"),
        MetricColumn.count(
            "users_acquired_shares",
            "consumers who started using a platform through a shared group or price-cut link",
        ),
        MetricColumn.total(
            "group_refunds_value", "RMB refunded in full to members of groups that expired today"
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        cfg, names = model.config, model.world.platforms.names
        groups = [cfg.platforms[name].group_buying for name in names]
        kanjia = [g.kanjia for g in groups]

        def values(path: str, dtype: Any = np.float64) -> np.ndarray:
            return platform_values(cfg, names, f"group_buying.{path}", dtype)

        self.enabled = values("enabled", bool)
        #: the group price's discount on each platform (0 where there are no groups)
        self.discount = np.where(self.enabled, values("discount"), 0.0)
        self.size = values("size", np.int32)
        self.capacity = np.array([max([g.size, *g.price_ladder]) for g in groups], np.int32)
        self.window = values("window_days", np.int32)
        self.preference = values("preference")
        self.saving_weight = values("saving_weight")
        self.join_open_group = values("join_open_group")
        self.share_to = values("share_to", np.int64)
        self.failure_penalty = values("failure_penalty", np.float32)
        self.ladder_sizes = [np.array(sorted(g.price_ladder), np.int64) for g in groups]
        self.ladder_discounts = [
            np.array([g.price_ladder[k] for k in sorted(g.price_ladder)], np.float64)
            for g in groups
        ]
        self.kanjia_enabled = self.enabled & np.array([k.enabled for k in kanjia], bool)
        self.kanjia_share_to = values("kanjia.share_to", np.int64)
        self.kanjia_click_prob = values("kanjia.click_prob")
        self.kanjia_acquire_prob = values("kanjia.acquire_prob")
        self.kanjia_first_cut = values("kanjia.first_cut")
        self.kanjia_decay = values("kanjia.decay")
        self.kanjia_max_cut = values("kanjia.max_cut")
        runs = model.runs
        # a batched ensemble's book numbers each run's groups as the run alone does
        self.book = GroupBook(next_number=np.zeros(runs.n, dtype=np.int64))
        # The tables below are per run in a batched ensemble (a leading run axis), so that
        # each run's groups and buyers see only their own run's; one run keeps their shapes.
        lead = () if not runs.batched else (runs.n,)
        #: completed groups by number of members, so far (per run in an ensemble)
        self.sizes = np.zeros((*lead, 1), dtype=np.int64)
        conversion = cfg.behaviour.conversion
        #: whether buyers choose solo, group or neither in one decision (see group_logit)
        self.joint = conversion.group_decision == "joint" and conversion.link == "logit"
        self.friend_join = values("friend_join")
        world = model.world
        n_categories = world.catalogue.n_categories
        self.degree = np.diff(world.network.adjacency.indptr).astype(np.float64)
        #: per platform and category: share of users with an open need today (see_needs)
        self.need_share = np.zeros((*lead, len(names), n_categories))
        #: per platform and category: today's and yesterday's group buyers
        self.group_buyers = np.zeros((*lead, len(names), n_categories))
        #: per platform and category: expected strangers joining a group (completion_chance)
        self.traffic = np.zeros((*lead, len(names), n_categories))
        category = world.catalogue.category
        product_run = runs.run_of("product", np.arange(category.size))
        listed_per_category = np.stack(
            [
                _by_run(runs, _part(product_run, listed), category[listed], n_categories)
                for listed in model.listed
            ],
            axis=-2,
        ).astype(np.float64)
        self._stranger_rate = (self.join_open_group * self.window)[:, None] / np.maximum(
            listed_per_category, 1.0
        )

    def size_counts(self, run: int | None = None) -> pd.Series:
        """Return how many completed groups had each number of members, so far.

        Parameters
        ----------
        run : int, optional
            In a batched ensemble, the run whose groups are counted (required there).
        """
        counts = self.sizes
        if counts.ndim == 2:
            if run is None:
                raise ValueError("an ensemble counts group sizes per run: pass run")
            counts = counts[run]
        sizes = np.flatnonzero(counts)
        return pd.Series(counts[sizes], index=pd.Index(sizes, name="members"), name="groups")

    def see_needs(self, needs: OpenNeeds) -> None:
        """Reckon today's share of each platform's users with an open need in each category.

        Under the joint group decision it tells a buyer how many friends could
        join a group (see :meth:`completion_chance`); otherwise nothing is done.
        """
        if not self.joint:
            return
        state, runs = self.model.state, self.model.runs
        # each run's users of each platform, and each run's open needs by category
        counted = _column_counts(runs, state.uses) if runs.batched else state.user_counts
        users = np.maximum(counted, 1)
        run = runs.of_consumers(needs.consumer)
        n_categories = self.need_share.shape[-1]
        for p in np.flatnonzero(self.enabled):
            on = needs.uses[:, p]
            counts = _by_run(runs, _part(run, on), needs.category[on], n_categories)
            self.need_share[..., p, :] = counts / users[..., p, None]

    def completion_chance(
        self,
        consumer: np.ndarray,
        platform: np.ndarray,
        category: np.ndarray,
        run: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return the chance, as a buyer reckons it, that a group it opens today completes.

        ``1 - exp(-(friends + strangers))``: the expected joiners among the
        buyer's friends, ``friend_join x min(share_to, ties x share of the
        platform's users with the need)``, and among strangers browsing the
        product, ``join_open_group x window_days x`` the platform's group
        buyers of the category yesterday per product of the category it lists.
        A buyer with many friends, on a busy platform, expects its group to
        fill; a new platform's first groups look risky.

        Parameters
        ----------
        consumer, platform, category : ndarray of int
            Per buyer.
        run : ndarray of int, optional
            Each buyer's run in a batched ensemble (its run's tables are read).

        Returns
        -------
        ndarray of float64

        References
        ----------
        .. [1] Pinduoduo explainers (2020): friends the initiator shares to, or
           strangers browsing the item, can join.
        """
        cell = (platform, category) if run is None else (run, platform, category)
        friends = self.friend_join[platform] * np.minimum(
            self.share_to[platform], self.degree[consumer] * self.need_share[cell]
        )
        strangers = self.traffic[cell]
        return -np.expm1(-(friends + strangers))

    def group_logit(
        self, offers: Offers, price: np.ndarray, solo_logit: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the utility of buying each offer in a group, for the joint decision.

        ``u_g = u_s + price_weight x sensitivity x (solo price - group price) /
        budget + saving_weight x sensitivity x discount + preference +
        ln(completion chance) + ln(group propensity)``: the price actually paid,
        the saving as the buyer perceives it (the transaction utility of a
        deal [1]_), the wait, and the risk that the group fails and the money
        comes back with the need unmet (an expected utility: a good obtained
        with chance pi is worth ``ln pi`` on the logit scale). Offers that
        cannot be bought in a group (other channels, daigou orders, platforms
        without groups) get ``-inf``.

        Parameters
        ----------
        offers : Offers
            The day's offers.
        price : ndarray of float32
            Their solo prices.
        solo_logit : ndarray of float32
            Their logits of buying alone.

        Returns
        -------
        group_logit : ndarray of float32
        group_discount : ndarray of float32
            Each offer's group discount (0 where there is none).

        References
        ----------
        .. [1] R. Thaler (1985), "Mental accounting and consumer choice",
           Marketing Science 4(3): transaction utility.
        .. [2] Zhang et al., ICDE 2021 (BeiBei: sizes and failures); Pinduoduo
           explainers (see the module docstring).
        """
        out = np.full(len(offers), -np.inf, dtype=np.float32)
        discount = np.zeros(len(offers), dtype=np.float32)
        platform = offers.platform
        can = np.flatnonzero(
            self.enabled[platform]
            & (offers.channel == Channel.SOLO)
            & (offers.source != Source.DAIGOU)
        )
        if can.size == 0:
            return out, discount
        model = self.model
        p, i = platform.take(can), offers.consumer.take(can)
        d = self.discount[p]
        sensitivity = model.world.population.price_sensitivity.take(i).astype(np.float64)
        budget = np.maximum(model.state.monthly_budget.take(i), 1e-6).astype(np.float64)
        price_weight = model.config.behaviour.conversion.price_weight
        cheaper = price_weight * sensitivity * price.take(can) * d / budget
        chance = self.completion_chance(i, p, offers.category.take(can), model.runs.of_consumers(i))
        with np.errstate(divide="ignore"):
            risk = np.log(chance) + np.log(model.state.group_propensity.take(i))
        out[can] = (
            solo_logit.take(can)
            + cheaper
            + self.saving_weight[p] * sensitivity * d
            + self.preference[p]
            + risk
        )
        discount[can] = d
        return out, discount

    def claim(self, day: Day, purchases: Offers) -> np.ndarray:
        """Which of the ordinary purchases are made in a group instead.

        Under the joint decision the buyers chose already (their channel is
        the group's); otherwise each decides now (:func:`group_choice`).
        """
        if self.joint:
            return purchases.channel == Channel.GROUP
        params, state = self, self.model.state
        p = purchases.platform
        c = purchases.consumer
        can = (
            params.enabled[p]
            & (purchases.channel == Channel.SOLO)
            & (purchases.source != Source.DAIGOU)
        )
        preference = np.where(can, params.preference[p], -np.inf)
        run = self.model.runs.of_consumers(c)
        return group_choice(
            params.discount[p],
            self.model.world.population.price_sensitivity[c],
            state.group_propensity[c],
            preference,
            params.saving_weight[p],
            self.keyed(day, "choose", _identity(purchases, run, self.model.runs), run=run),
        )

    def buy(self, day: Day, buyers: Offers) -> None:
        """Group buyers join open groups or open their own; initiators share with friends."""
        params, book, t = self, self.book, day.step
        buyers = replace(
            buyers,
            channel=np.full(len(buyers), Channel.GROUP, dtype=np.int8),
            discount=params.discount[buyers.platform].astype(np.float32),
        )
        paid = self.model.checkout.price(buyers)
        self.model.checkout.pay(buyers, paid)
        runs = self.model.runs
        run = runs.of_consumers(buyers.consumer)
        if self.joint:
            cell = (buyers.platform, buyers.category)
            np.add.at(self.group_buyers, cell if run is None else (run, *cell), 1.0)

        # Buyers who do not browse open groups start their own; browsers then fill open
        # places (oldest groups first, today's new ones included) and start one if none is left.
        buyer_key = _identity(buyers, run, runs)
        browse = (
            self.keyed(day, "browse", buyer_key, run=run).random(len(buyers))
            < params.join_open_group[buyers.platform]
        )
        openers = buyers.take(~browse)
        new_groups = [self._open(openers, paid[~browse], t)]
        started = _tally(runs, _part(run, ~browse), len(openers))
        self.model.campaign.remember_group_members(openers, new_groups[0])
        browsers, browser_paid = buyers.take(browse), paid[browse]
        # (products are of one run each: browsers meet only their own run's groups)
        place = book.match(
            browsers.platform,
            browsers.product,
            self.keyed(day, "match", buyer_key[browse], run=_part(run, browse)),
            self.model.world.catalogue.n_products,
        )
        # Nobody fills a place in a group they started themselves (windows over a day).
        own = place >= 0
        own[own] = book.initiator[book.rows(place[own])] == browsers.consumer[own]
        place[own] = -1
        has_place = place >= 0
        book.join(
            place[has_place],
            browsers.consumer[has_place],
            browsers.category[has_place],
            browsers.source[has_place],
            browser_paid[has_place],
        )
        self.model.campaign.remember_group_members(browsers.take(has_place), place[has_place])
        openers = browsers.take(~has_place)
        new_groups.append(self._open(openers, browser_paid[~has_place], t))
        started = started + _tally(runs, runs.of_consumers(openers.consumer), len(openers))
        self.model.campaign.remember_group_members(openers, new_groups[1])
        shared = np.concatenate(new_groups)
        day.add("groups_started", started)
        self._share(shared, t, day)
        self._kanjia(shared, day)

    def _open(self, initiators: Offers, paid: np.ndarray, t: int) -> np.ndarray:
        """Open a group for each initiator, paid at the group price, with the platform's rules."""
        params = self
        p = initiators.platform
        # (in an ensemble each run's groups are numbered as that run alone numbers them)
        return self.book.open(
            platform=p,
            product=initiators.product,
            initiator=initiators.consumer,
            category=initiators.category,
            source=initiators.source,
            paid=paid,
            step=t,
            window_days=params.window[p],
            target=params.size[p],
            capacity=params.capacity[p],
            run=self.model.runs.of_consumers(initiators.consumer),
        )

    def _share(self, groups: np.ndarray, t: int, day: Day) -> None:
        """Share new groups with the initiators' friends, who join by the purchase logit."""
        params, book, network, runs = self, self.book, self.model.world.network, self.model.runs
        row = book.rows(groups)
        initiator, platform = book.initiator[row], book.platform[row]
        run = runs.of_consumers(initiator)
        # keyed by who shares what, not by the group's number (which differs between runs);
        # in an ensemble by the initiator's and the product's indices in their own run
        group_key = mix_keys(
            runs.local_consumer(initiator, run), runs.local("product", book.product[row]), platform
        )
        share, friend, entry = share_targets(
            network.adjacency.indptr,
            network.adjacency.indices,
            network.strong,
            initiator,
            params.share_to[platform],
            lambda key, r=None: self.uniform(day, "share", key, run=r),
            sharer_key=group_key,
            sharer_run=run,
            consumer_start=runs.consumer_start,
        )
        share_run = _part(run, share)
        product = book.product[row][share]
        category = self.model.world.catalogue.category[product]
        invites = Offers.build(
            friend,
            category,
            product,
            Source.GROUP_SHARE,
            network.adjacency.data[entry],
            platform[share],
            channel=Channel.GROUP,
            discount=params.discount[platform[share]],
            ref=groups[share],
            has_need=self.model.state.need[friend, category],
        )
        joiners, paid = self.model.checkout.decide(
            day,
            invites,
            np.zeros(len(invites), np.float32),
            kind="invited",
            key=distinct_keys(
                extend_keys(
                    mix_keys(group_key).take(share), runs.local_consumer(friend, share_run)
                ),
                run=share_run,
            ),
        )
        joiners, paid = self.model.cross_border.screen(day, joiners, paid)
        # (in an ensemble the checkout counts the new users per run)
        day.add("users_acquired_shares", self.model.checkout.pay(joiners, paid))
        joined = book.join(
            joiners.ref.astype(np.int64),
            joiners.consumer,
            joiners.category,
            joiners.source,
            paid,
        )
        # Friends who accepted a group that filled meanwhile start one of their own.
        late = ~joined
        starters = joiners.take(late)
        extra = self._open(starters, paid[late], t)
        day.add("groups_started", _tally(runs, runs.of_consumers(starters.consumer), extra.size))

    def _kanjia(self, groups: np.ndarray, day: Day) -> None:
        """Price-cut sharing: friends' clicks cut the initiator's price and bring new users."""
        params, book, network, state = self, self.book, self.model.world.network, self.model.state
        runs = self.model.runs
        row = book.rows(groups)
        on = (row >= 0) & params.kanjia_enabled[book.platform[np.maximum(row, 0)]]
        if not on.any():
            return
        groups, row = groups[on], row[on]
        platform, initiator = book.platform[row], book.initiator[row]
        run = runs.of_consumers(initiator)
        group_key = mix_keys(
            runs.local_consumer(initiator, run), runs.local("product", book.product[row]), platform
        )
        share, friend, _ = share_targets(
            network.adjacency.indptr,
            network.adjacency.indices,
            network.strong,
            initiator,
            params.kanjia_share_to[platform],
            lambda key, r=None: self.uniform(day, "kanjia", key, run=r),
            strong_first=False,
            sharer_key=group_key,
            sharer_run=run,
            consumer_start=runs.consumer_start,
        )
        share_run = _part(run, share)
        link_key = extend_keys(
            mix_keys(group_key).take(share), runs.local_consumer(friend, share_run)
        )
        link = self.keyed(
            day, "kanjia_click", distinct_keys(link_key, run=share_run), run=share_run
        )
        click_draw, acquire_draw = link.random(share.size), link.random(share.size)
        click = click_draw < params.kanjia_click_prob[platform[share]]
        clicks = np.bincount(share[click], minlength=groups.size)
        cut = kanjia_cut(
            clicks,
            params.kanjia_first_cut[platform],
            params.kanjia_decay[platform],
            params.kanjia_max_cut[platform],
        )
        book.add_price_cut(groups, cut)
        day.add("kanjia_clicks", runs.count(share_run, click))
        clicker, clicker_platform = friend[click], platform[share[click]]
        newcomer = ~state.uses[clicker, clicker_platform]
        acquired = newcomer & (acquire_draw[click] < params.kanjia_acquire_prob[clicker_platform])
        state.set_uses(clicker[acquired], clicker_platform[acquired])
        day.add("users_acquired_shares", runs.count(_part(share_run, click), acquired))

    def close(self, day: Day) -> None:
        """Ship completed groups (refunding ladder and price-cut savings); refund expired ones."""
        params, state, t, runs = self, self.model.state, day.step, self.model.runs
        closed = self.book.close(t, params.ladder_sizes, params.ladder_discounts, params.discount)
        done_member = closed.completed[closed.member_group]
        group = closed.group[closed.member_group]
        # each member's and each group's run (None for one run)
        member_run, group_run = (
            runs.of_consumers(closed.consumer),
            runs.of_consumers(closed.initiator),
        )
        # Members who came through a sponsored post keep its creator, for attribution.
        ref = self.model.campaign.group_creators(group, closed.consumer)
        members = Offers.build(
            closed.consumer,
            closed.category,
            closed.product[closed.member_group],
            closed.source,
            0.0,
            closed.platform[closed.member_group],
            channel=Channel.GROUP,
            ref=ref,
        )
        # Completed: ship at the final price and give back any saving over what was paid.
        shipped = members.take(done_member)
        final = closed.final_price[done_member]
        add_at(state.budget_left, shipped.consumer, closed.paid[done_member] - final)
        # the orders carry each group's number in its own run
        number = closed.number[closed.member_group]
        self.model.checkout.ship(day, shipped, final.astype(np.float32), number[done_member])
        # Expired: refund in full, reopen the need, release the quota; the initiator loses heart.
        gone = ~done_member
        refund = closed.paid[gone]
        add_at(state.budget_left, closed.consumer[gone], refund)
        state.need[closed.consumer[gone], closed.category[gone]] = True
        self.model.cross_border.release(closed.consumer[gone], members.product[gone], refund)
        penalty = params.failure_penalty[closed.platform]
        failed = ~closed.completed
        state.group_propensity[closed.initiator[failed]] *= penalty[failed]
        ok = closed.completed
        state.group_propensity[closed.initiator[ok]] = np.minimum(
            1.0, state.group_propensity[closed.initiator[ok]] / penalty[ok]
        )
        day.add("groups_completed", runs.count(group_run, ok))
        day.add("groups_expired", runs.count(group_run, failed))
        day.add("group_members", _int_sums(runs, closed.size[ok], _part(group_run, ok)))
        # each run's refunds summed in its members' order, as the run alone sums them
        day.add("group_refunds_value", runs.sums(refund, _part(member_run, gone)))
        if self.joint:
            # tomorrow's buyers see today's group buyers browsing for open groups
            self.traffic = self._stranger_rate * self.group_buyers
            self.group_buyers[:] = 0.0
        size = closed.size[ok]
        width = max(int(size.max(initial=0)) + 1, self.sizes.shape[-1])
        if width > self.sizes.shape[-1]:
            grow = [(0, 0)] * (self.sizes.ndim - 1) + [(0, width - self.sizes.shape[-1])]
            self.sizes = np.pad(self.sizes, grow)
        sizes = _by_run(runs, _part(group_run, ok), size, width)
        self.sizes[..., : sizes.shape[-1]] += sizes
