"""Livestream selling: sessions, audiences, limited stock and follower dynamics.

A KOL whose platform streams goes live with the platform's daily
``session_rate`` and features a few products, picked like posts: a category by
influencer affinity (beauty, mother-and-baby and fashion first) and a product
in it [4]_. Its active followers attend with a probability that grows with
their trust (engagement), with the KOL's popularity segment and falls with
the distance between the follower's city tier and the KOL's focus tier; the
platform adds viewers from its other users in proportion (traffic
allocation). Each viewer is offered one featured product at the livestream
discount; buying through a session carries urgency because stock is limited
and units go first come, first served [1]_ [3]_.

After the day, a good session (conversion above a threshold) turns some of
the KOL's prospects into followers; a bad one loses a share of them, and every
KOL loses a small share each day. Growth per good session is meant to be much
larger than churn, so follower curves rise faster than they fall [2]_.
Returned purchases cost the streamer the buyer's trust (the model applies
:func:`trust_penalty` when a livestream order comes back; poorer products come
back more often) [5]_.

Every function is vectorised over sessions, viewers and follow entries; the
only Python loops are over platforms and over a few halving or resampling
rounds.

Assumptions (not from the sources): the popularity factor of a KOL segment is
``1 + 0.25 * segment`` (tail 1.0 ... head 1.75); attendance falls by a factor
``exp(-0.3)`` per tier of distance from the KOL's focus tier.

References
----------
.. [1] McKinsey, "It's showtime! How live commerce is transforming the
   shopping experience" (2021): best-case conversion near 30 %, up to 10 x
   ordinary e-commerce.
.. [2] Garimella & West, arXiv 2103.10754; Azoya; Schönmüller et al.:
   influencer lifetimes are uncertain and follower curves rise faster than
   they fall.
.. [3] KrASIA/Nikkei; SCMP 2020: about 20 % commission plus a fixed slot fee;
   one deal was RMB 300 k + 25 % + a 40 % price cut.
.. [4] Azoya, "4 things you should know about KOL marketing in China":
   influencers work best in beauty, cosmetics, mother-and-baby and fashion.
.. [5] Trade press (weak): 30-50 % of livestream purchases are returned, vs
   10-15 % for ordinary e-commerce.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socialsim._arrays import distinct, distinct_first, take_at
from socialsim._csr import find_entries, gather_rows, offsets
from socialsim._random import bernoulli_from_bytes, byte_levels
from socialsim.columns import MetricColumn
from socialsim.enums import Channel, Source
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers
from socialsim.runs import Runs
from socialsim.streams import distinct_keys, mix_keys

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.returns import Settlement

__all__ = [
    "POPULARITY_STEP",
    "TIER_DECAY",
    "Attendance",
    "DrawnSessions",
    "Livestreams",
    "Sessions",
    "allocate_stock",
    "expected_viewers",
    "feature_products",
    "find_entries",
    "follower_attendance",
    "follower_dynamics",
    "livestream_offers",
    "schedule_sessions",
    "session_audience",
    "session_outcomes",
    "stock_units",
    "trust_penalty",
]

POPULARITY_STEP = 0.25
"""Assumption: attendance is scaled by ``1 + POPULARITY_STEP * segment`` (tail 0 .. head 3)."""

TIER_DECAY = 0.3
"""Assumption: attendance is scaled by ``exp(-TIER_DECAY * |tier - focus tier|)``."""

_MAX_TRAFFIC_ROUNDS = 64


@dataclass(frozen=True, eq=False)
class Sessions:
    """Livestream sessions of one day and the products they feature.

    Featured products are stored flat, grouped by session like a CSR matrix:
    the slots of session ``s`` are ``slot_indptr[s]:slot_indptr[s + 1]`` in
    `product` and `stock`, sorted by product id, without repeats (the
    lookup in :func:`allocate_stock` relies on the sorting). Sessions made
    by :func:`feature_products` feature at least one product.

    Attributes
    ----------
    kol : ndarray of int32, shape (S,)
        Creator index of the streamer.
    platform : ndarray of int8, shape (S,)
        Platform the session streams on.
    product : ndarray of int32, shape (F,)
        Featured products, all sessions' slots laid end to end.
    stock : ndarray of int64, shape (F,)
        Units in stock of each featured product (at least 1).
    slot_indptr : ndarray of int64, shape (S + 1,)
        Where each session's slots start and end in `product` / `stock`.

    Examples
    --------
    >>> s = Sessions(
    ...     kol=np.array([4, 9], np.int32), platform=np.array([0, 1], np.int8),
    ...     product=np.array([3, 7, 2], np.int32), stock=np.array([5, 5, 1]),
    ...     slot_indptr=np.array([0, 2, 3]))
    >>> len(s), s.n_products.tolist(), s.slot_session.tolist()
    (2, [2, 1], [0, 0, 1])
    """

    kol: np.ndarray
    platform: np.ndarray
    product: np.ndarray
    stock: np.ndarray
    slot_indptr: np.ndarray

    def __len__(self) -> int:
        return int(self.kol.shape[0])

    @property
    def n_products(self) -> np.ndarray:
        """Featured products per session."""
        return np.diff(self.slot_indptr)

    @property
    def slot_session(self) -> np.ndarray:
        """The session of every featured slot."""
        return np.repeat(np.arange(len(self)), self.n_products)

    @classmethod
    def empty(cls) -> Sessions:
        """No sessions."""
        return cls(
            kol=np.empty(0, np.int32),
            platform=np.empty(0, np.int8),
            product=np.empty(0, np.int32),
            stock=np.empty(0, np.int64),
            slot_indptr=np.zeros(1, np.int64),
        )


def schedule_sessions(
    kol_platform: np.ndarray,
    session_rate_by_platform: np.ndarray,
    enabled_by_platform: np.ndarray,
    rng: np.random.Generator | None,
    *,
    uniform: np.ndarray | None = None,
) -> np.ndarray:
    """Decide which KOLs go live today.

    Parameters
    ----------
    kol_platform : ndarray of int, shape (n_kols,)
        Platform of each KOL (creator rows ``0 .. n_kols - 1``); negative for
        a KOL on no platform, who never streams.
    session_rate_by_platform : ndarray of float, shape (P,)
        Daily probability that a KOL of the platform goes live.
    enabled_by_platform : ndarray of bool, shape (P,)
        Whether the platform has livestreams.
    rng : numpy.random.Generator or None
        Source of randomness (one draw per KOL); unused with `uniform`.
    uniform : ndarray of float, shape (n_kols,), optional
        The KOLs' uniforms, if drawn already (a batched ensemble draws each
        run's KOLs from its own stream).

    Returns
    -------
    ndarray of int32
        Indices of the KOLs going live, ascending.

    Examples
    --------
    >>> schedule_sessions(np.array([0, 1, 0, -1]), np.array([1.0, 1.0]),
    ...                   np.array([True, False]), np.random.default_rng(0)).tolist()
    [0, 2]
    """
    kol_platform = np.asarray(kol_platform)
    rate = np.where(np.asarray(enabled_by_platform, bool), session_rate_by_platform, 0.0)
    on = kol_platform >= 0
    p = np.where(on, rate[np.where(on, kol_platform, 0)], 0.0)
    u = rng.random(kol_platform.size) if uniform is None else uniform
    return np.flatnonzero(u < p).astype(np.int32)


def expected_viewers(
    kols: np.ndarray,
    session_platform: np.ndarray,
    follows_indptr: np.ndarray,
    follows_indices: np.ndarray,
    follow_trust: np.ndarray,
    follow_active: np.ndarray,
    consumer_tier: np.ndarray,
    kol_focus_tier: np.ndarray,
    kol_segment: np.ndarray,
    *,
    attend_rate_by_platform: np.ndarray,
    traffic_share_by_platform: np.ndarray,
    mean_trust: float,
    attendance: Attendance | None = None,
) -> np.ndarray:
    """Return the expected viewers of each session, known when it is scheduled.

    The sum of the active followers' attendance probabilities (as in
    :func:`session_audience`), times ``1 + traffic_share`` for the viewers the
    platform adds. The cap on traffic by the number of eligible users is
    ignored.

    Parameters
    ----------
    kols, session_platform : ndarray of int, shape (S,)
        Streamer and platform of each session.
    follows_indptr, follows_indices, follow_trust, follow_active : ndarray
        The follow matrix and its state, as in :func:`session_audience`.
    consumer_tier, kol_focus_tier, kol_segment : ndarray of int
        As in :func:`session_audience`.
    attend_rate_by_platform, traffic_share_by_platform : ndarray of float, shape (P,)
        As in :func:`session_audience`.
    mean_trust : float
        As in :func:`session_audience`.
    attendance : Attendance, optional
        :func:`follower_attendance` of these sessions, if already computed.

    Returns
    -------
    ndarray of float64, shape (S,)

    Examples
    --------
    >>> expected_viewers(np.array([0]), np.array([0]), np.array([0, 2]), np.array([0, 1]),
    ...     np.array([0.5, 0.5]), np.array([True, True]), np.array([1, 2]), np.array([1]),
    ...     np.array([0]), attend_rate_by_platform=np.array([0.5]),
    ...     traffic_share_by_platform=np.array([1.0]), mean_trust=0.5).round(4).tolist()
    [1.7408]
    """
    kols = np.asarray(kols, np.int64)
    session_platform = np.asarray(session_platform, np.int64)
    attend = attendance or follower_attendance(
        kols,
        session_platform,
        follows_indptr,
        follows_indices,
        follow_trust,
        follow_active,
        consumer_tier,
        kol_focus_tier,
        kol_segment,
        attend_rate_by_platform,
        mean_trust,
    )
    session, p = attend.session, attend.p
    followers = np.bincount(session, weights=p, minlength=kols.size)
    return followers * (1.0 + np.asarray(traffic_share_by_platform, np.float64)[session_platform])


def stock_units(expected: np.ndarray, stock_share: np.ndarray | float) -> np.ndarray:
    """Units in stock of each featured product: ``max(1, ceil(stock_share * expected))``.

    Parameters
    ----------
    expected : ndarray of float
        Expected viewers per session (:func:`expected_viewers`).
    stock_share : float or ndarray of float
        Units per expected viewer (per session, e.g. the session platform's).

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> stock_units(np.array([0.0, 10.0, 101.0]), 0.05).tolist()
    [1, 1, 6]
    """
    units = np.ceil(np.asarray(stock_share, np.float64) * np.asarray(expected, np.float64))
    return np.maximum(1, units).astype(np.int64)


def feature_products(
    kols: np.ndarray,
    kol_platform: np.ndarray,
    products_per_session_by_platform: np.ndarray,
    draw_products: Callable[[np.ndarray, np.ndarray], np.ndarray],
    category_weights: np.ndarray,
    rng: np.random.Generator,
    *,
    stock: np.ndarray | int,
) -> Sessions:
    """Pick the products each KOL going live features, and make the sessions.

    Each of a session's ``products_per_session`` slots gets a category drawn
    by `category_weights` (influencer affinity), then a product drawn by
    `draw_products`. Slots where no product was found (-1) are dropped, a
    product drawn twice in one session is featured once, and a KOL left with
    no product does not stream (so session ``s`` need not be ``kols[s]``:
    read ``Sessions.kol``).

    Parameters
    ----------
    kols : ndarray of int
        KOLs going live (:func:`schedule_sessions`).
    kol_platform : ndarray of int, shape (n_kols,)
        Platform of every KOL.
    products_per_session_by_platform : ndarray of int, shape (P,)
        Slots per session.
    draw_products : callable
        ``draw_products(category, platform)`` returns one product id per slot,
        or -1 where the platform has none in the category.
    category_weights : ndarray of float, shape (n_categories,)
        Non-negative weights of the categories (need not sum to 1).
    rng : numpy.random.Generator
        Source of randomness (one category draw per slot, by ``rng.choice``;
        `draw_products` should take the same generator). Anything with a
        generator's ``choice`` will do (a batched ensemble passes one that
        draws each run's slots from its own stream).
    stock : int or ndarray of int, aligned with `kols`
        Units of each featured product (:func:`stock_units`).

    Returns
    -------
    Sessions

    Raises
    ------
    ValueError
        If the weights are negative or all zero, or `draw_products` returns
        the wrong number of products.

    Examples
    --------
    >>> s = feature_products(np.array([0, 1]), np.array([0, 0]), np.array([2]),
    ...     lambda category, platform: 10 * category, np.array([0.0, 1.0]),
    ...     np.random.default_rng(0), stock=np.array([3, 4]))
    >>> s.kol.tolist(), s.product.tolist(), s.stock.tolist(), s.slot_indptr.tolist()
    ([0, 1], [10, 10], [3, 4], [0, 1, 2])
    """
    kols = np.asarray(kols, np.int64)
    weights = np.asarray(category_weights, np.float64)
    if np.any(weights < 0) or not weights.sum() > 0:
        raise ValueError(
            f"category_weights: must be non-negative with a positive sum, got {weights.tolist()}"
        )
    platform = np.asarray(kol_platform)[kols]
    per = np.asarray(products_per_session_by_platform, np.int64)[platform]
    stock = np.broadcast_to(np.asarray(stock, np.int64), kols.shape)
    slot_session = np.repeat(np.arange(kols.size), per)
    category = rng.choice(weights.size, size=slot_session.size, p=weights / weights.sum())
    product = np.asarray(draw_products(category, platform[slot_session]), np.int64)
    if product.shape != slot_session.shape:
        raise ValueError(
            f"draw_products: must return one product per slot ({slot_session.size}), "
            f"got shape {product.shape}"
        )
    found = product >= 0
    slot_session, product = slot_session[found], product[found]
    span = int(product.max()) + 1 if product.size else 1
    key = distinct(slot_session * span + product)  # dedupes, sorted by session then product
    slot_session, product = key // span, key % span
    counts = np.bincount(slot_session, minlength=kols.size)
    live = counts > 0
    return Sessions(
        kol=kols[live].astype(np.int32),
        platform=platform[live].astype(np.int8),
        product=product.astype(np.int32),
        stock=stock[slot_session].copy(),
        slot_indptr=np.concatenate(([0], np.cumsum(counts[live]))).astype(np.int64),
    )


def session_audience(
    kols: np.ndarray,
    session_platform: np.ndarray,
    follows_indptr: np.ndarray,
    follows_indices: np.ndarray,
    follow_trust: np.ndarray,
    follow_active: np.ndarray,
    consumer_tier: np.ndarray,
    kol_focus_tier: np.ndarray,
    kol_segment: np.ndarray,
    platform_users: np.ndarray,
    *,
    attend_rate_by_platform: np.ndarray,
    traffic_share_by_platform: np.ndarray,
    mean_trust: float,
    rng: np.random.Generator,
    attendance: Attendance | None = None,
    traffic_uniform: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    session_run: np.ndarray | None = None,
    run_start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw who watches each session: followers, then traffic from the platform.

    An active follower of the streamer attends with probability ::

        clip(attend_rate * (trust / mean_trust) * (1 + 0.25 * segment)
             * exp(-0.3 * |tier - focus_tier|), 0, 1)

    (the two constants are assumptions: :data:`POPULARITY_STEP`,
    :data:`TIER_DECAY`). Inactive (churned or never activated) follow entries
    never attend. A follower attends whether or not `platform_users` marks it
    a user of the platform: following the KOL is taken as access.

    The platform then adds ``round(traffic_share * attending followers)``
    viewers to the session (round half to even), drawn uniformly without
    replacement among its users who are not active followers of the streamer
    (so never already in the session), with trust 0 and ``followed`` False;
    fewer if fewer such users exist. They are drawn for all sessions at once
    by rounds of sampling with replacement from the platform's user list,
    discarding repeats and followers; the first distinct draws are kept, which
    is a uniform sample without replacement.

    Parameters
    ----------
    kols : ndarray of int, shape (S,)
        Streamer (creator index) of each session.
    session_platform : ndarray of int, shape (S,)
        Platform of each session.
    follows_indptr, follows_indices : ndarray of int
        CSR structure of the creator-by-consumer follow matrix.
    follow_trust : ndarray of float, aligned with the follow entries
        Follower's trust in the creator.
    follow_active : ndarray of bool, aligned with the follow entries
        Whether the entry is a current follower.
    consumer_tier : ndarray of int, shape (n_consumers,)
        City tier of every consumer.
    kol_focus_tier, kol_segment : ndarray of int, indexed by creator
        Focus tier and :class:`~socialsim.enums.KOLSegment` (0 tail .. 3
        head; negative values count as 0).
    platform_users : ndarray of bool, shape (n_consumers, P)
        Who uses each platform.
    attend_rate_by_platform : ndarray of float, shape (P,)
        Attendance probability of a follower of average trust.
    traffic_share_by_platform : ndarray of float, shape (P,)
        Traffic viewers per attending follower.
    mean_trust : float
        Average follower trust, where the trust factor is 1.
    rng : numpy.random.Generator
        Source of randomness.
    attendance : Attendance, optional
        :func:`follower_attendance` of these sessions, if already computed
        (the arguments above are then used only for the traffic viewers).
        Followers' attendance is drawn over every entry of the streamers'
        rows, so that churn and growth elsewhere move no follower's number.
    traffic_uniform : callable, optional
        ``(session, candidate number) -> uniform``: traffic viewers are then
        the first eligible consumers of a fixed sequence per session
        (``_draw_traffic``), the same in two runs that differ in how many
        viewers a session gets or in who uses the platform.
    session_run : ndarray of int, shape (S,), optional
        In a batched ensemble, each session's run: traffic viewers are then
        drawn among the users of the session's own run only (needs
        `traffic_uniform` and `run_start`).
    run_start : ndarray of int, shape (K + 1,), optional
        Where each run's block of consumers starts, and the total
        (:attr:`socialsim.runs.Runs.consumer_start`).

    Returns
    -------
    session : ndarray of int32
        Session (position in `kols`) of each viewer; rows are grouped by
        session, followers first.
    viewer : ndarray of int32
        Consumer index.
    trust : ndarray of float32
        The follower's trust, 0 for traffic viewers.
    followed : ndarray of bool
        True for followers, False for traffic viewers.

    Raises
    ------
    ValueError
        If `mean_trust` is not positive.

    Examples
    --------
    >>> users = np.ones((4, 1), bool)
    >>> s, v, t, f = session_audience(
    ...     np.array([0]), np.array([0]), np.array([0, 2]), np.array([0, 1]),
    ...     np.array([0.5, 0.5], np.float32), np.array([True, True]), np.ones(4, int),
    ...     np.array([1]), np.array([0]), users, attend_rate_by_platform=np.array([1.0]),
    ...     traffic_share_by_platform=np.array([0.5]), mean_trust=0.5,
    ...     rng=np.random.default_rng(0))
    >>> s.tolist(), v[:2].tolist(), t.tolist(), f.tolist()
    ([0, 0, 0], [0, 1], [0.5, 0.5, 0.0], [True, True, False])
    >>> int(v[2]) in (2, 3)
    True
    """
    kols = np.asarray(kols, np.int64)
    session_platform = np.asarray(session_platform, np.int64)
    n_sessions = kols.size
    attend = attendance or follower_attendance(
        kols,
        session_platform,
        follows_indptr,
        follows_indices,
        follow_trust,
        follow_active,
        consumer_tier,
        kol_focus_tier,
        kol_segment,
        attend_rate_by_platform,
        mean_trust,
    )
    session, entry, p = attend.session, attend.entry, attend.p
    follower = np.asarray(follows_indices)[entry].astype(np.int64)
    attends = attend.draws(rng) < p
    attending = np.bincount(session[attends], minlength=n_sessions)
    share = np.asarray(traffic_share_by_platform, np.float64)[session_platform]
    wanted = np.rint(share * attending).astype(np.int64)

    users = np.asarray(platform_users, bool)
    t_session, t_viewer = _draw_traffic(
        wanted,
        session_platform,
        session,
        follower,
        users,
        rng,
        traffic_uniform,
        session_run=session_run,
        run_start=run_start,
    )
    f_session, f_viewer = session[attends], follower[attends]
    f_trust = np.asarray(follow_trust)[entry[attends]]
    all_session = np.concatenate((f_session, t_session))
    order = np.argsort(all_session, kind="stable")
    return (
        all_session[order].astype(np.int32),
        np.concatenate((f_viewer, t_viewer))[order].astype(np.int32),
        np.concatenate((f_trust, np.zeros(t_viewer.size)))[order].astype(np.float32),
        np.concatenate((np.ones(f_viewer.size, bool), np.zeros(t_viewer.size, bool)))[order],
    )


@dataclass(frozen=True, eq=False)
class Attendance:
    """The active follow entries of some sessions' streamers and their attendance probabilities.

    Attributes
    ----------
    session : ndarray of int
        Session (position in the sessions' `kols`) of each entry, non-decreasing.
    entry : ndarray of int
        The follow entry.
    p : ndarray of float64
        Probability that the follower attends.
    gathered : int
        Number of entries, active or not, in the streamers' rows (-1 if unknown).
    position : ndarray of int, optional
        Each entry's place among those `gathered` (:meth:`draws`).
    """

    session: np.ndarray
    entry: np.ndarray
    p: np.ndarray
    gathered: int = -1
    position: np.ndarray | None = None

    def draws(self, rng: np.random.Generator) -> np.ndarray:
        """One uniform per entry, drawn over every entry of the streamers' rows.

        Inactive entries draw too and drop their number, so that which
        followers are active (follower growth and churn, which differ between
        two arms of a comparison) does not move the other entries' numbers.
        """
        if self.position is None:
            return rng.random(self.p.size)
        return rng.random(self.gathered).take(self.position)

    def of_sessions(self, keep: np.ndarray) -> Attendance:
        """Return the entries of the sessions where `keep` (bool, one per session) is True.

        Kept sessions are renumbered ``0, 1, ...`` in their order; each entry
        keeps its place in the original gather (:meth:`draws`).
        """
        keep = np.asarray(keep, bool)
        number = np.cumsum(keep) - 1
        mask = keep[self.session]
        position = None if self.position is None else self.position[mask]
        return Attendance(
            number[self.session[mask]], self.entry[mask], self.p[mask], self.gathered, position
        )


def follower_attendance(
    kols: np.ndarray,
    session_platform: np.ndarray,
    follows_indptr: np.ndarray,
    follows_indices: np.ndarray,
    follow_trust: np.ndarray,
    follow_active: np.ndarray,
    consumer_tier: np.ndarray,
    kol_focus_tier: np.ndarray,
    kol_segment: np.ndarray,
    attend_rate_by_platform: np.ndarray,
    mean_trust: float,
) -> Attendance:
    """Active follow entries of the sessions' streamers and their attendance probabilities.

    The arguments are those of :func:`session_audience`; the probability is
    the one its docstring gives. Computing it once and passing it to both
    :func:`expected_viewers` and :func:`session_audience` saves the work twice.
    `mean_trust` may also be one value per session (in a batched ensemble,
    each session's run's own mean).
    """
    if not np.all(np.asarray(mean_trust) > 0):
        raise ValueError(f"mean_trust: must be > 0, got {mean_trust}")
    session, entry, _ = gather_rows(np.asarray(follows_indptr), kols)
    gathered = int(entry.size)
    active = np.flatnonzero(np.asarray(follow_active, bool).take(entry))
    session, entry = session.take(active), entry.take(active)
    # Per-session values are looked up once per session, then spread to its entries.
    follower = np.asarray(follows_indices).take(entry)
    tier = np.asarray(consumer_tier).take(follower).astype(np.int64)
    distance = np.abs(tier - np.asarray(kol_focus_tier)[kols].astype(np.int64).take(session))
    # Distances are a few whole tiers: look their decay up rather than take exp per entry.
    decay = np.exp(-TIER_DECAY * np.arange(int(distance.max(initial=0)) + 1, dtype=np.float64))
    segment = np.maximum(np.asarray(kol_segment)[kols], 0).astype(np.float64).take(session)
    rate = np.asarray(attend_rate_by_platform, np.float64)[session_platform]
    if np.ndim(mean_trust):  # one per session (each run's own, in a batched ensemble)
        mean_trust = np.asarray(mean_trust, np.float64).take(session)
    p = (
        rate.take(session)
        * (np.asarray(follow_trust).take(entry).astype(np.float64) / mean_trust)
        * (1.0 + POPULARITY_STEP * segment)
        * decay.take(distance)
    )
    return Attendance(session, entry, np.clip(p, 0.0, 1.0), gathered, active)


def _draw_traffic(
    wanted: np.ndarray,
    session_platform: np.ndarray,
    follower_session: np.ndarray,
    follower: np.ndarray,
    users: np.ndarray,
    rng: np.random.Generator,
    candidate_uniform: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    *,
    session_run: np.ndarray | None = None,
    run_start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform samples without replacement of platform users, excluding each session's followers.

    With `candidate_uniform` (session, candidate number -> uniform), session
    ``s`` looks at consumers in a fixed sequence, the ``k``-th being
    ``floor(u(s, k) * n)``, and keeps the first eligible ones: a session that
    wants one more viewer gets the same viewers and one more, whoever else
    uses the platform (common random numbers). Without it, positions in the
    platform's user list are drawn from `rng`.

    With `session_run` and `run_start` (a batched ensemble; keyed candidates
    only), ``n`` and the users counted are those of the session's own run, and
    candidate ``j`` of its run is consumer ``run_start[run] + j``.
    """
    n = users.shape[0]
    n_platforms = users.shape[1] if users.ndim == 2 else 0
    if wanted.size == 0 or not wanted.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # Only the platforms that send traffic today need their user lists (the
    # others' sessions draw nobody, whatever their eligible count says).
    sending = np.zeros(n_platforms, dtype=bool)
    sending[session_platform[wanted > 0]] = True
    if candidate_uniform is None:
        pool_parts = [
            np.flatnonzero(users[:, q]) if sending[q] else np.empty(0, np.int64)
            for q in range(n_platforms)
        ]
        pool_size = np.array([part.size for part in pool_parts], np.int64)
        pool_start = offsets(pool_size)
        pool = np.concatenate(pool_parts) if pool_parts else np.empty(0, np.int64)
    elif session_run is None:  # candidates are consumers: only the user counts are needed
        pool_size = np.array(
            [np.count_nonzero(users[:, q]) if sending[q] else 0 for q in range(n_platforms)],
            np.int64,
        )
    else:  # the same, per run: a session draws among its own run's consumers
        if run_start is None:
            raise ValueError("session_run needs run_start")
        run_start = np.asarray(run_start, np.int64)
        n_runs = run_start.size - 1
        pool_size = np.zeros((n_runs, n_platforms), np.int64)
        for q in np.flatnonzero(sending).tolist():
            pool_size[:, q] = np.add.reduceat(users[:, q], run_start[:-1], dtype=np.int64)
        pool_size[np.diff(run_start) == 0] = 0  # (reduceat of an empty block is not 0)
    looked = np.zeros(wanted.size, np.int64)  # candidates looked at per session (keyed draws)

    n_sessions = wanted.size
    if session_run is None:
        session_pool = pool_size[session_platform]
        among_of_session: np.ndarray | int = n  # candidates are numbered 0 .. n - 1
    else:
        if candidate_uniform is None:
            raise ValueError("traffic of several runs needs keyed candidates")
        session_run = np.asarray(session_run, np.int64)
        session_pool = pool_size[session_run, session_platform]
        among_of_session = np.diff(run_start)[session_run]
    # Users of the platform who already follow the streamer are not eligible.
    is_user = take_at(users, follower, session_platform.take(follower_session))
    eligible = session_pool - np.bincount(follower_session[is_user], minlength=n_sessions)
    short = np.minimum(wanted, eligible)
    remaining = eligible.copy()
    taken = follower_session.astype(np.int64) * n + follower
    if taken.size > 1 and not (taken[1:] >= taken[:-1]).all():
        taken = np.sort(taken)  # follow rows are usually sorted already
    got_session, got_viewer = [], []
    for _ in range(_MAX_TRAFFIC_ROUNDS):
        need = np.flatnonzero(short > 0)
        if need.size == 0:
            break
        plat = session_platform[need]
        # Expected draws to find `short` new eligible users, with a margin.
        if candidate_uniform is None:
            among = pool_size[plat]
        elif session_run is None:
            among = n
        else:
            among = among_of_session[need]
        draws = np.ceil(short[need] * among / remaining[need] * 1.25).astype(np.int64)
        draws += 4
        sess = np.repeat(need, draws)
        plat_of_draw = session_platform[sess]
        if candidate_uniform is None:
            pos = (rng.random(sess.size) * pool_size[plat_of_draw]).astype(np.int64)
            user = pool[pool_start[plat_of_draw] + np.minimum(pos, pool_size[plat_of_draw] - 1)]
        else:
            number = looked[sess] + np.arange(sess.size) - np.repeat(offsets(draws), draws)
            looked[need] += draws
            u = candidate_uniform(sess, number)
            if session_run is None:
                user = np.minimum((u * n).astype(np.int64), n - 1)
            else:  # the run's consumer j is the union's run_start[run] + j
                n_of = among_of_session[sess]
                user = np.minimum((u * n_of).astype(np.int64), n_of - 1)
                user += run_start[session_run[sess]]
            using = take_at(users, user, plat_of_draw)
            sess, plat_of_draw, user = sess[using], plat_of_draw[using], user[using]
        key = sess * n + user
        at = np.minimum(np.searchsorted(taken, key), max(taken.size - 1, 0))
        fresh = taken[at] != key if taken.size else np.ones(key.size, bool)
        key, sess, user = key[fresh], sess[fresh], user[fresh]
        _, first = distinct_first(key)
        first = np.sort(first)  # distinct draws in the order they were drawn
        sess, user = sess[first], user[first]
        rank = np.arange(sess.size) - np.searchsorted(sess, sess, side="left")
        keep = rank < short[sess]
        sess, user = sess[keep], user[keep]
        got_session.append(sess)
        got_viewer.append(user)
        # Merge today's few draws into the sorted keys without sorting them all again.
        new = np.sort(sess * n + user)
        taken = np.insert(taken, np.searchsorted(taken, new), new)
        got = np.bincount(sess, minlength=n_sessions)
        short -= got
        remaining -= got
    if not got_session:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(got_session), np.concatenate(got_viewer)


def livestream_offers(
    session: np.ndarray,
    viewer: np.ndarray,
    trust: np.ndarray,
    sessions: Sessions,
    product_category: np.ndarray,
    discount_by_platform: np.ndarray,
    rng: np.random.Generator,
) -> Offers:
    """Offer each viewer one of the session's featured products, drawn uniformly.

    Need and impulse handling is left to the caller.

    Parameters
    ----------
    session, viewer, trust : ndarray
        Viewers, as returned by :func:`session_audience` (session indices
        into `sessions`).
    sessions : Sessions
        Today's sessions.
    product_category : ndarray of int, shape (n_products,)
        Category of every product.
    discount_by_platform : ndarray of float, shape (P,)
        Livestream discount of each platform.
    rng : numpy.random.Generator
        Source of randomness (one draw per viewer).

    Returns
    -------
    Offers
        Source ``LIVESTREAM``, channel ``LIVESTREAM``, the session platform's
        discount, ``ref`` the session index, ``trust`` the viewer's.

    Examples
    --------
    >>> s = Sessions(np.array([7], np.int32), np.array([1], np.int8), np.array([5], np.int32),
    ...              np.array([2]), np.array([0, 1]))
    >>> o = livestream_offers(np.array([0]), np.array([3]), np.array([0.4]), s,
    ...                       np.arange(6) % 2, np.array([0.1, 0.2]), np.random.default_rng(0))
    >>> o.product.tolist(), o.category.tolist(), o.platform.tolist(), o.ref.tolist()
    ([5], [1], [1], [0])
    """
    session = np.asarray(session, np.int64)
    count = sessions.n_products[session]
    has = count > 0
    session, count = session[has], count[has]
    pick = np.minimum((rng.random(has.size)[has] * count).astype(np.int64), count - 1)
    product = sessions.product[sessions.slot_indptr[session] + pick]
    platform = sessions.platform[session]
    return Offers.build(
        np.asarray(viewer)[has],
        np.asarray(product_category)[product],
        product,
        Source.STREAMER,
        np.asarray(trust)[has],
        platform,
        channel=Channel.LIVESTREAM,
        discount=np.asarray(discount_by_platform)[platform],
        ref=session,
    )


def allocate_stock(
    session_of_purchase: np.ndarray,
    product_of_purchase: np.ndarray,
    sessions: Sessions,
    rng: np.random.Generator,
) -> np.ndarray:
    """Serve livestream purchases from limited stock, first come, first served.

    Each purchase asks for one unit. Where a featured product has more buyers
    than units, a uniformly random subset of exactly ``stock`` buyers is
    served (random arrival order). ``sessions.stock`` is not changed: call
    once per day with all the day's purchases.

    Parameters
    ----------
    session_of_purchase, product_of_purchase : ndarray of int
        Session index (the offer's ``ref``) and product of each purchase.
    sessions : Sessions
        Today's sessions.
    rng : numpy.random.Generator
        Source of randomness (one draw per purchase).

    Returns
    -------
    ndarray of bool
        Which purchases are served.

    Raises
    ------
    ValueError
        If a product is not featured in the session it is bought in.

    Examples
    --------
    >>> s = Sessions(np.array([0], np.int32), np.array([0], np.int8), np.array([4], np.int32),
    ...              np.array([2]), np.array([0, 1]))
    >>> int(allocate_stock(np.zeros(5, int), np.full(5, 4), s, np.random.default_rng(0)).sum())
    2
    """
    session = np.asarray(session_of_purchase, np.int64)
    product = np.asarray(product_of_purchase, np.int64)
    slot = _find_slots(sessions, session, product)
    if np.any(slot < 0):
        bad = int(np.flatnonzero(slot < 0)[0])
        raise ValueError(
            f"allocate_stock: product {product[bad]} is not featured in session {session[bad]}"
        )
    arrival = rng.random(slot.size)
    order = np.lexsort((arrival, slot))
    sorted_slot = slot[order]
    rank = np.arange(slot.size) - np.searchsorted(sorted_slot, sorted_slot, side="left")
    served = np.empty(slot.size, bool)
    served[order] = rank < sessions.stock[sorted_slot]
    return served


def _find_slots(sessions: Sessions, session: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Slot index of each (session, product), -1 where it is not featured."""
    if session.size == 0:
        return np.empty(0, np.int64)
    if np.any((session < 0) | (session >= len(sessions))):
        raise ValueError(f"session: must be in [0, {len(sessions)}), got {session.tolist()}")
    return find_entries(sessions.slot_indptr, sessions.product, session, product)


def session_outcomes(
    session_index_of_orders: np.ndarray, viewers_per_session: np.ndarray, n_sessions: int
) -> tuple[np.ndarray, np.ndarray]:
    """Orders and conversion (orders per viewer) of each session.

    Parameters
    ----------
    session_index_of_orders : ndarray of int
        Session of every order (served purchases).
    viewers_per_session : ndarray of int, shape (n_sessions,)
        Viewers of every session, e.g. ``np.bincount(session, minlength=S)``.
    n_sessions : int
        Number of sessions.

    Returns
    -------
    orders_per_session : ndarray of int64
    conversion : ndarray of float64
        Orders per viewer; 0 for a session nobody watched.

    Examples
    --------
    >>> orders, conversion = session_outcomes(np.array([0, 0, 2]), np.array([4, 0, 1]), 3)
    >>> orders.tolist(), conversion.tolist()
    ([2, 0, 1], [0.5, 0.0, 1.0])
    """
    orders = np.bincount(np.asarray(session_index_of_orders, np.int64), minlength=n_sessions)
    viewers = np.asarray(viewers_per_session, np.float64)
    conversion = np.divide(orders, viewers, out=np.zeros(n_sessions), where=viewers > 0)
    return orders.astype(np.int64), conversion


def follower_dynamics(
    kols_good: np.ndarray,
    growth_count: np.ndarray,
    kols_bad: np.ndarray,
    churn_share_by_kol: np.ndarray,
    daily_churn: np.ndarray,
    follows_indptr: np.ndarray,
    follow_active: np.ndarray,
    prospects_indptr: np.ndarray,
    prospect_active: np.ndarray,
    rng: np.random.Generator,
    entry_uniform: Callable[[str, np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lose and gain followers after the day's sessions (updates the flags in place).

    Churn first: every active follow entry of KOL ``k`` (creator rows
    ``0 .. len(daily_churn) - 1``) becomes inactive with probability
    ``daily_churn[k]``, or ``1 - (1 - churn_share_by_kol[k]) * (1 -
    daily_churn[k])`` if ``k`` had a bad session. Churned entries simply stay
    inactive; this function never reactivates a follow entry. Then growth:
    each KOL in `kols_good` activates ``growth_count`` of its inactive
    prospect entries, chosen uniformly (all of them if it has fewer).

    Follower curves rise faster than they fall when growth per good session
    outweighs churn per bad session plus daily churn [1]_. If the
    caller passes the same matrix (and flag array) as follows and prospects,
    churned followers can be won back by later growth.

    Parameters
    ----------
    kols_good : ndarray of int
        KOLs after a good session (repeats add up).
    growth_count : ndarray of int, aligned with `kols_good`
        Prospects each gains.
    kols_bad : ndarray of int
        KOLs after a bad session.
    churn_share_by_kol : ndarray of float, indexed by KOL
        Share of followers lost after a bad session (e.g. the KOL's platform's).
    daily_churn : ndarray of float, shape (n_kols,)
        Share of followers every KOL loses every day (by its platform).
    follows_indptr : ndarray of int
        CSR row pointer of the follow matrix.
    follow_active : ndarray of bool, aligned with the follow entries
        Updated in place.
    prospects_indptr : ndarray of int
        CSR row pointer of the prospect matrix.
    prospect_active : ndarray of bool, aligned with the prospect entries
        Updated in place.
    rng : numpy.random.Generator
        Source of randomness.
    entry_uniform : callable, optional
        ``(kind, entries) -> uniforms``, a number per entry that depends on the
        entry alone (``kind`` is ``"churn"`` or ``"growth"``): the churn draws
        that fall on their level and the prospects' ranks then do not move
        when other entries change between two runs (common random numbers).
        Drawn from `rng` in order if omitted.

    Returns
    -------
    gained : ndarray of int64
        Prospect entries activated; ``np.bincount(entry_rows(prospects_indptr)[gained])``
        counts them per KOL.
    lost : ndarray of int64
        Follow entries deactivated.

    References
    ----------
    .. [1] Garimella & West, arXiv 2103.10754; Azoya; Schönmüller et al.:
       follower curves rise faster than they fall.

    Examples
    --------
    >>> follow_active, prospect_active = np.ones(3, bool), np.zeros(4, bool)
    >>> gained, lost = follower_dynamics(
    ...     np.array([0]), np.array([2]), np.array([1]), np.array([0.0, 1.0]), np.zeros(2),
    ...     np.array([0, 1, 3]), follow_active, np.array([0, 4, 4]), prospect_active,
    ...     np.random.default_rng(0))
    >>> lost.tolist(), follow_active.tolist(), int(prospect_active.sum()), gained.size
    ([1, 2], [True, False, False], 2, 2)
    """
    daily = np.asarray(daily_churn, np.float64)
    n_kols = daily.size
    follows_indptr = np.asarray(follows_indptr)
    p = daily.copy()
    bad = np.unique(np.asarray(kols_bad, np.int64))
    share = np.asarray(churn_share_by_kol, np.float64)[bad]
    p[bad] = 1.0 - (1.0 - share) * (1.0 - p[bad])
    end = int(follows_indptr[n_kols])
    # One exact draw per KOL follow entry from a byte (socialsim._random): churn is
    # rare, so the KOL of an entry is looked up only for the 1 in 256 on its level.
    level, rest = byte_levels(p)
    entry_level = np.repeat(level, np.diff(follows_indptr[: n_kols + 1]))

    def rest_at(tie: np.ndarray) -> np.ndarray:
        return rest.take(np.searchsorted(follows_indptr, tie, side="right") - 1)

    tie_uniform = None if entry_uniform is None else (lambda tie: entry_uniform("churn", tie))
    churned = bernoulli_from_bytes(entry_level, rest_at, rng, tie_uniform=tie_uniform)
    churned &= follow_active[:end]
    lost = np.flatnonzero(churned)
    follow_active[lost] = False

    kols_good = np.asarray(kols_good, np.int64)
    want = np.bincount(
        kols_good, weights=np.asarray(growth_count, np.float64), minlength=n_kols
    ).astype(np.int64)
    rows = np.flatnonzero(want > 0)
    owner, entry, _ = gather_rows(np.asarray(prospects_indptr), rows)
    inactive = np.flatnonzero(~prospect_active[entry])
    owner, entry = owner.take(inactive), entry.take(inactive)
    # Each KOL gains the `want` prospects with the smallest keys. Only keys under
    # a threshold that leaves a few times `want` per KOL need sorting: the smallest
    # `want` are among them whenever at least `want` are (else the KOL keeps all).
    key = rng.random(entry.size) if entry_uniform is None else entry_uniform("growth", entry)
    wanted = want[rows]
    pool = np.bincount(owner, minlength=rows.size)
    threshold = np.minimum(1.0, (2.0 * wanted + 32.0) / np.maximum(pool, 1))
    below = key < threshold[owner]
    scarce = np.bincount(owner[below], minlength=rows.size) < np.minimum(wanted, pool)
    below |= scarce[owner]
    kept = np.flatnonzero(below)
    owner, entry, key = owner.take(kept), entry.take(kept), key.take(kept)
    order = np.lexsort((key, owner))
    owner, entry = owner[order], entry[order]
    rank = np.arange(owner.size) - np.searchsorted(owner, owner, side="left")
    gained = np.sort(entry[rank < wanted[owner]])
    prospect_active[gained] = True
    return gained.astype(np.int64), lost.astype(np.int64)


def trust_penalty(
    follow_trust: np.ndarray,
    follows_indptr: np.ndarray,
    follows_indices: np.ndarray,
    kol: np.ndarray,
    consumer: np.ndarray,
    penalty: np.ndarray | float,
) -> None:
    """Cut followers' trust in streamers after returns or disappointment, in place.

    The trust of each ``(kol, consumer)`` follow entry is multiplied by
    ``1 - penalty``; a pair listed twice is cut twice. Pairs that are not
    follow entries are ignored. Follow indices must be sorted within rows
    (see :func:`find_entries`).

    Parameters
    ----------
    follow_trust : ndarray of float, aligned with the follow entries
        Updated in place.
    follows_indptr, follows_indices : ndarray of int
        CSR structure of the follow matrix.
    kol, consumer : ndarray of int
        The pairs.
    penalty : float or ndarray of float, aligned with the pairs
        Share of trust lost, in [0, 1].

    Raises
    ------
    ValueError
        If a penalty is outside [0, 1].

    Examples
    --------
    >>> trust = np.array([0.5, 0.8, 1.0])
    >>> trust_penalty(trust, np.array([0, 2, 3]), np.array([1, 4, 0]),
    ...               np.array([0, 1, 1]), np.array([4, 0, 3]), 0.5)
    >>> trust.tolist()
    [0.5, 0.4, 0.5]
    """
    kol = np.asarray(kol, np.int64)
    penalty = np.broadcast_to(np.asarray(penalty, np.float64), kol.shape)
    if np.any((penalty < 0) | (penalty > 1)):
        raise ValueError(f"penalty: must be in [0, 1], got {np.unique(penalty).tolist()}")
    entry = find_entries(follows_indptr, follows_indices, kol, consumer)
    hit = entry >= 0
    factor = (1.0 - penalty[hit]).astype(follow_trust.dtype)
    np.multiply.at(follow_trust, entry[hit], factor)


class _ByRun:
    """A generator's draws for items of several runs, each run's from its own stream.

    The items are laid out run by run (``counts[k]`` of run ``k``, end to
    end); each call draws run ``k``'s part from ``generators[k]``, so that
    every run's stream gives, call by call, what it gives the run alone. A run
    with no item draws nothing.
    """

    def __init__(self, generators: Sequence[np.random.Generator], counts: np.ndarray) -> None:
        self.generators = generators
        self.counts = np.asarray(counts, np.int64)
        self.bounds = np.concatenate(([0], np.cumsum(self.counts)))

    def _check(self, n: int) -> None:
        if n != int(self.bounds[-1]):
            raise ValueError(f"draws for {int(self.bounds[-1])} items, not {n}")

    def _runs(self) -> list[int]:
        return np.flatnonzero(self.counts).tolist()

    def random(self, size: int) -> np.ndarray:
        self._check(int(size))
        parts = [self.generators[k].random(int(self.counts[k])) for k in self._runs()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def bytes(self, length: int) -> bytes:
        self._check(int(length))
        return b"".join(self.generators[k].bytes(int(self.counts[k])) for k in self._runs())

    def choice(self, a: int, size: int, p: np.ndarray) -> np.ndarray:
        self._check(int(size))
        parts = [self.generators[k].choice(a, size=int(self.counts[k]), p=p) for k in self._runs()]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        lam = np.asarray(lam)
        self._check(lam.size)
        b = self.bounds
        parts = [self.generators[k].poisson(lam[b[k] : b[k + 1]]) for k in self._runs()]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _identity(offers: Offers, consumer: np.ndarray, ref: np.ndarray, run: np.ndarray) -> np.ndarray:
    """:meth:`Offers.identity` of offers of several runs: local consumer and ref, repeats per run.

    (Offers.identity packs the consumer, category, source, platform, channel
    and ref; this packs the same, with each offer's consumer and session as
    its run alone numbers them, and tells repeats apart within a run only.)
    """
    who = (consumer.astype(np.int64) << 16) | (offers.category.astype(np.int64) & 0xFFFF)
    packed = (offers.source.astype(np.int64) & 0xFF) | (
        (offers.platform.astype(np.int64) & 0xFF) << 8
    )
    packed |= (offers.channel.astype(np.int64) & 0xFF) << 16
    packed |= (ref.astype(np.int64) & 0xFFFFFFFF) << 24
    return distinct_keys(mix_keys(who, packed), run=run)


class _Batch:
    """Where each run's KOLs and their follow entries are in a batched ensemble.

    KOLs are the union's first creators, run by run; so are their rows of
    the audience matrix, whose entries of run ``k`` are those of the run
    alone, shifted by ``entry_start[k]``.
    """

    def __init__(self, runs: Runs, indptr: np.ndarray, n_kols: int) -> None:
        kols = np.arange(n_kols)
        self.runs = runs
        self.kol_run = runs.run_of("creator", kols).astype(np.int64)
        self.kol_local = runs.local("creator", kols).astype(np.int64)
        if (np.diff(self.kol_run) < 0).any():
            raise ValueError("a batched ensemble's KOLs must be laid out run by run")
        counts = np.bincount(self.kol_run, minlength=runs.n)
        self.kol_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.entry_start = np.asarray(indptr, np.int64)[self.kol_start]
        self.product_run = runs.layout.product.run.astype(np.int64)

    def per_run(self, run: np.ndarray) -> np.ndarray:
        """Return the number of items of each run, given each item's run."""
        return np.bincount(run, minlength=self.runs.n)

    def entry_run(self, entry: np.ndarray) -> np.ndarray:
        """Return the run of each KOL follow entry."""
        return np.searchsorted(self.entry_start, entry, side="right") - 1


@dataclass(frozen=True, eq=False)
class DrawnSessions:
    """Today's livestreams as drawn: the sessions, viewers per session and the offers."""

    sessions: Sessions
    viewers: np.ndarray
    offers: Offers


class Livestreams(Component):
    """KOLs' livestream sessions: audiences, limited stock, commission, followers won and lost.

    Parameters (each platform's ``livestream`` section): ``enabled``,
    ``session_rate``, ``products_per_session``, ``discount``, ``stock_share``,
    ``attend_rate``, ``traffic_share``, ``impulse``, ``urgency``, ``commission``,
    ``slot_fee``, ``return_rate``, ``good_session_conversion``,
    ``follower_growth``, ``follower_churn``, ``daily_churn``, ``trust_penalty``.
    State: today's sessions and viewers, each KOL's income; the followers are
    the model's :class:`~socialsim.mechanisms.audience.Audience`.

    Day by day: today's sessions are drawn, from the livestream stream, while
    word of mouth, feeds and search run (:meth:`draw`, on a second thread in
    large worlds); their offers join the day's (:meth:`open`); buyers are
    served while stock lasts (:meth:`serve_stock`); the sessions' orders are
    noted as they ship (:meth:`shipped_orders`); settled orders pay the
    streamer its commission, and returned ones cost it the buyer's trust
    (:meth:`settled`); good sessions win followers, bad ones lose some
    (:meth:`after_sale`); the follows are counted (:meth:`end_day`).

    Parameters
    ----------
    model : SocialCommerceModel
    rng : numpy.random.Generator, optional
        Unused: it draws from its streams by purpose and day (:meth:`Component.random
        <socialsim.mechanisms.component.Component.random>`).

    References
    ----------
    .. [1] McKinsey (2021); KrASIA/Nikkei; SCMP (2020); Garimella & West;
       Azoya; trade press (see the module docstring).
    """

    name = "livestream"
    batch_ready = True
    columns = (
        MetricColumn.count("livestream_sessions", "sessions streamed today"),
        MetricColumn.count("livestream_viewers", "viewers of today's sessions"),
        MetricColumn.count(
            "livestream_stockouts", "livestream purchases not served today: sold out"
        ),
        MetricColumn.count("kol_followers", "current follows of KOLs", level=True),
        MetricColumn.count("followers_gained", "follows of KOLs won today"),
        MetricColumn.count("followers_lost", "follows of KOLs lost today"),
        MetricColumn.total(
            "kol_commission", "RMB of streamers' commission on orders settled today"
        ),
        MetricColumn.total("kol_slot_fees", "RMB of slot fees of today's sessions"),
        MetricColumn.total(
            "brand_net_livestream", "livestream revenue kept after commission and slot fees"
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world, cfg = model.world, model.config
        names = world.platforms.names

        def values(field: str, dtype: Any = np.float64) -> np.ndarray:
            return platform_values(cfg, names, f"livestream.{field}", dtype)

        self.enabled = values("enabled", bool)
        self.rate = values("session_rate")
        self.products = values("products_per_session", np.int64)
        self.discount = values("discount")
        self.stock_share = values("stock_share")
        self.attend_rate = values("attend_rate")
        self.traffic_share = values("traffic_share")
        self.impulse = values("impulse")
        #: a livestream offer's added logit: limited stock and a time limit press the buyer
        self.urgency = values("urgency", np.float32)
        self.commission = values("commission")
        self.slot_fee = values("slot_fee")
        #: the share of livestream orders returned (before the quality effect)
        self.return_rate = values("return_rate")
        self.good_conversion = values("good_session_conversion")
        self.follower_growth = values("follower_growth")
        self.follower_churn = values("follower_churn")
        self.daily_churn = np.where(self.enabled, values("daily_churn"), 0.0)
        self.trust_penalty = values("trust_penalty")
        audience = model.audience
        n_kols = world.influencers.n_kols
        runs = getattr(model, "runs", None)
        #: where each run's KOLs are in a batched ensemble (None for one run)
        self._batch = _Batch(runs, audience.indptr, n_kols) if runs and runs.batched else None
        self._runs = runs if runs is not None else Runs.single(world.n_consumers)
        # Trust is measured against the average KOL follower's: each run's own (a float for one
        # run, one per run in a batched ensemble), over its entries in their order.
        starts = [0, int(audience.indptr[n_kols])]
        if self._batch is not None:
            starts = self._batch.entry_start.tolist()
        means = []
        for lo, hi in itertools.pairwise(starts):
            kol_trust = audience.trust[lo:hi][audience.active[lo:hi]]
            means.append(float(kol_trust.mean()) if kol_trust.size else 1.0)
        self.mean_follow_trust: float | np.ndarray = (
            means[0] if self._batch is None else np.array(means, np.float64)
        )
        #: each KOL's income so far: commission on kept orders plus slot fees
        self.kol_income = np.zeros(n_kols, dtype=np.float64)
        self.sessions = Sessions.empty()
        if self._batch is not None:  # the checkout keys a session's offers by its run's number
            self._runs.local_refs[int(Source.STREAMER)] = self._local_session
        self.session_viewers = np.zeros(0, dtype=np.int64)

    def draw(self, step: int) -> DrawnSessions:
        """Schedule today's sessions, draw their audiences and offer each viewer a product.

        Only viewers who want the product get the offer: those with an open need
        in its category, and the others with the platform's impulse probability.
        It changes nothing (it may run on another thread): :meth:`open` books the result.
        """
        model = self.model
        world, state = model.world, model.state
        catalogue, creators = world.catalogue, world.influencers
        kol_platform = world.platforms.kol_platform
        batch = self._batch
        # each run's KOLs draw from the run's own stream (one run: one draw per KOL, as ever;
        # Component.draw, which this class's draw hides)
        uniform = Component.draw(
            self,
            step,
            "schedule",
            None if batch is None else batch.kol_run,
            kol_platform.size,
            lambda g, m: g.random(m),
        )
        kols = schedule_sessions(kol_platform, self.rate, self.enabled, None, uniform=uniform)
        if kols.size == 0:
            return DrawnSessions(Sessions.empty(), np.zeros(0, dtype=np.int64), Offers.empty())
        audience = (
            model.audience.indptr,
            model.audience.matrix.indices,
            model.audience.trust,
            model.audience.active,
            world.population.tier,
            creators.focus_tier,
            creators.segment,
        )
        if batch is None:
            mean_trust: float | np.ndarray = self.mean_follow_trust
            kol_run = run_start = None
        else:  # each session measures trust against its own run's mean
            kol_run = batch.kol_run[kols]
            mean_trust = self.mean_follow_trust[kol_run]
            run_start = batch.runs.consumer_start
        attendance = follower_attendance(
            kols, kol_platform[kols], *audience, self.attend_rate, mean_trust
        )
        expected = expected_viewers(
            kols,
            kol_platform[kols],
            *audience,
            attend_rate_by_platform=self.attend_rate,
            traffic_share_by_platform=self.traffic_share,
            mean_trust=mean_trust,
            attendance=attendance,
        )
        rngs = self.generators(step, "feature")
        if batch is None:
            rng: Any = rngs

            def draw_products(category: np.ndarray, platform: np.ndarray) -> np.ndarray:
                return model.assortment.random_listed(category, platform, rng)

        else:  # a session's slots draw from its run's stream, among its run's products
            per = self.products[kol_platform[kols]]
            slot_run = np.repeat(kol_run, per)
            rng = _ByRun(rngs, batch.per_run(slot_run))

            def draw_products(category: np.ndarray, platform: np.ndarray) -> np.ndarray:
                return model.assortment.random_listed(category, platform, rng, run=slot_run)

        sessions = feature_products(
            kols,
            kol_platform,
            self.products,
            draw_products,
            catalogue.influencer_affinity,
            rng,
            stock=stock_units(expected, self.stock_share[kol_platform[kols]]),
        )

        def mean_trust_of(sessions: Sessions) -> np.ndarray:
            return self.mean_follow_trust[batch.kol_run[sessions.kol]]

        if batch is None:
            audience_rng: Any = self.random(step, "audience")
            session_run = None
            local_kol = sessions.kol
        else:  # the followers' draws span every entry of the scheduled streamers' rows
            indptr = np.asarray(model.audience.indptr, np.int64)
            rows = indptr[kols + 1] - indptr[kols]
            gathered = np.bincount(kol_run, weights=rows, minlength=batch.runs.n)
            audience_rng = _ByRun(self.generators(step, "audience"), gathered.astype(np.int64))
            session_run = batch.kol_run[sessions.kol]
            local_kol = batch.kol_local[sessions.kol]
        session, viewer, trust, _ = session_audience(
            sessions.kol,
            sessions.platform,
            *audience,
            state.uses,
            attend_rate_by_platform=self.attend_rate,
            traffic_share_by_platform=self.traffic_share,
            mean_trust=self.mean_follow_trust if batch is None else mean_trust_of(sessions),
            rng=audience_rng,
            # Sessions are the scheduled streamers who found products to feature.
            attendance=attendance.of_sessions(np.isin(kols, sessions.kol)),
            traffic_uniform=lambda s, k: self.uniform(
                step,
                "traffic",
                mix_keys(local_kol[s], k),
                run=None if session_run is None else session_run[s],
            ),
            session_run=session_run,
            run_start=run_start,
        )
        if batch is None:
            offer_draws = self.keyed(step, "offer", mix_keys(sessions.kol[session], viewer))
        else:  # keys of the streamer and viewer as their run alone numbers them
            run = session_run[session]
            offer_draws = self.keyed(
                step,
                "offer",
                mix_keys(local_kol[session], self._runs.local_consumer(viewer, run)),
                run=run,
            )
        offers = livestream_offers(
            session, viewer, trust, sessions, catalogue.category, self.discount, offer_draws
        )
        need = state.need[offers.consumer, offers.category]
        impulse_draw = self._keyed_offers(step, "impulse", offers, sessions).random(len(offers))
        impulse = ~need & (impulse_draw < self.impulse[offers.platform])
        viewers = np.bincount(session, minlength=len(sessions))
        return DrawnSessions(sessions, viewers, offers.take(need | impulse))

    def _local_session(self, ref: np.ndarray, run: np.ndarray) -> np.ndarray:
        """Return today's sessions `ref` (of runs `run`) as each run alone numbers them."""
        batch, sessions = self._batch, self.sessions
        first = np.searchsorted(batch.kol_run[sessions.kol], np.arange(self._runs.n))
        return ref - first[run]

    def _keyed_offers(self, day: Day | int, kind: str, offers: Offers, sessions: Sessions) -> Any:
        """Return keyed draws for livestream offers (``ref``: a session of `sessions`)."""
        if self._batch is None:
            return self.keyed(day, kind, offers.identity())
        run = self._batch.kol_run[sessions.kol[offers.ref]]
        first = np.searchsorted(self._batch.kol_run[sessions.kol], np.arange(self._runs.n))
        consumer = self._runs.local_consumer(offers.consumer, run)
        key = _identity(offers, consumer, offers.ref - first[run], run)
        return self.keyed(day, kind, key, run=run)

    def open(self, drawn: DrawnSessions, day: Day) -> Offers:
        """Keep today's sessions, pay the streamers' slot fees and count; return the offers.

        In a batched ensemble each run's counts and fees are its own (its
        sessions' fees summed in their order).
        """
        sessions = drawn.sessions
        self.sessions = sessions
        self.session_viewers = drawn.viewers
        slot_fees = self.slot_fee[sessions.platform]
        np.add.at(self.kol_income, sessions.kol, slot_fees)
        runs = self._runs
        run = None if self._batch is None else self._batch.kol_run[sessions.kol]
        if run is None:
            day.count["livestream_sessions"] += len(sessions)
            day.count["livestream_viewers"] += int(drawn.viewers.sum())
        else:
            day.count["livestream_sessions"] += runs.count(run)
            viewers = np.bincount(run, weights=drawn.viewers, minlength=runs.n)
            day.count["livestream_viewers"] += viewers.astype(np.int64)
        fees = runs.sums(slot_fees, run)
        day.total["kol_slot_fees"] += fees
        day.total["brand_net_livestream"] -= fees
        return drawn.offers

    def serve_stock(
        self, day: Day, purchases: Offers, paid: np.ndarray
    ) -> tuple[Offers, np.ndarray]:
        """Livestream buyers get a unit while stock lasts, first come first served."""
        live = np.flatnonzero(purchases.channel == Channel.LIVESTREAM)
        if live.size == 0:
            return purchases, paid
        if self._batch is None:
            arrival: Any = self.keyed(day, "stock", purchases.identity()[live])
            run = None
        else:  # each purchase's arrival keyed as its run alone keys it
            bought = purchases.take(live)
            arrival = self._keyed_offers(day, "stock", bought, self.sessions)
            run = arrival.run
        # Slots are per session, so the first come first served queue is within a run.
        served = allocate_stock(
            purchases.ref[live], purchases.product[live], self.sessions, arrival
        )
        keep = np.ones(len(purchases), dtype=bool)
        keep[live[~served]] = False
        day.count["livestream_stockouts"] += self._runs.count(run, ~served)
        return purchases.take(keep), paid[keep]

    def shipped_orders(self, day: Day, orders: Offers, live: np.ndarray) -> np.ndarray:
        """Note the sessions' orders that ship; return each order's streamer (-1 if none)."""
        streamer = np.full(len(orders), -1, dtype=np.int32)
        if live.any():
            streamer[live] = self.sessions.kol[orders.ref[live]]
            day.session_orders.append(orders.ref[live].astype(np.int64))
        return streamer

    def settled(self, day: Day, settled: Settlement) -> None:
        """Pay streamers on the livestream orders kept; a returned one costs the buyer's trust."""
        back = settled.returned
        live = settled.channel == Channel.LIVESTREAM
        kept = live & ~back
        commission = self.commission[settled.platform[kept]] * settled.price[kept]
        np.add.at(self.kol_income, settled.streamer[kept], commission)
        # each run's totals over its own orders, in their order (the streamer tells the run)
        run = None if self._batch is None else self._batch.kol_run[settled.streamer[kept]]
        day.total["kol_commission"] += self._runs.sums(commission, run)
        day.total["brand_net_livestream"] += self._runs.sums(settled.price[kept] - commission, run)
        lost = live & back
        audience = self.model.audience
        trust_penalty(
            audience.trust,
            audience.indptr,
            audience.matrix.indices,
            settled.streamer[lost],
            settled.buyer[lost],
            self.trust_penalty[settled.platform[lost]],
        )

    def after_sale(self, day: Day) -> None:
        """Good sessions win followers, bad ones lose some, and every KOL loses a few daily."""
        world = self.model.world
        n_kols = world.influencers.n_kols
        if n_kols == 0 or not self.enabled.any():
            return
        sessions = self.sessions
        sold = np.concatenate(day.session_orders) if day.session_orders else np.zeros(0, np.int64)
        orders, conversion = session_outcomes(sold, self.session_viewers, len(sessions))
        good = conversion >= self.good_conversion[sessions.platform]
        batch = self._batch
        rngs = self.generators(day, "followers")
        if batch is None:
            rng: Any = rngs
            churn_rng: Any = rngs
            entry_uniform = lambda kind, entry: self.uniform(day, f"followers/{kind}", entry)  # noqa: E731
        else:  # each run's good sessions, then its KOLs' entries, from its own stream
            rng = _ByRun(rngs, batch.per_run(batch.kol_run[sessions.kol[good]]))
            churn_rng = _ByRun(rngs, np.diff(batch.entry_start))

            def entry_uniform(kind: str, entry: np.ndarray) -> np.ndarray:
                run = batch.entry_run(entry)
                local = entry - batch.entry_start[run]
                return self.uniform(day, f"followers/{kind}", local, run=run)

        growth = rng.poisson(self.follower_growth[sessions.platform[good]] * orders[good])
        kol_platform = world.platforms.kol_platform.astype(np.int64)
        home = np.maximum(kol_platform, 0)
        on = kol_platform >= 0
        audience = self.model.audience
        indptr = audience.indptr
        gained, lost = follower_dynamics(
            sessions.kol[good],
            growth,
            sessions.kol[~good],
            np.where(on, self.follower_churn[home], 0.0),
            np.where(on, self.daily_churn[home], 0.0),
            indptr,
            audience.active,
            indptr,
            audience.active,
            churn_rng,
            entry_uniform,
        )
        # A new follower starts using the streamer's platform.
        kol = np.searchsorted(indptr, gained, side="right") - 1
        self.model.state.set_uses(audience.matrix.indices[gained], home[kol])
        if batch is None:
            day.count["followers_gained"] += int(gained.size)
            day.count["followers_lost"] += int(lost.size)
        else:
            day.count["followers_gained"] += self._runs.count(batch.entry_run(gained))
            day.count["followers_lost"] += self._runs.count(batch.entry_run(lost))

    def end_day(self, day: Day) -> None:
        """Count the current follows of KOLs (each run's, in a batched ensemble)."""
        n_kols = self.model.world.influencers.n_kols
        audience = self.model.audience
        if self._batch is None:
            day.count["kol_followers"] = audience.active_follows(n_kols)
            return
        follows = audience.counts(np.arange(n_kols))
        per_run = np.bincount(self._batch.kol_run, weights=follows, minlength=self._runs.n)
        day.count["kol_followers"] = per_run.astype(np.int64)

    def income_table(self) -> pd.DataFrame:
        """Each KOL's income so far: commission on kept livestream orders plus slot fees."""
        world = self.model.world
        return pd.DataFrame(
            {
                "kol": np.arange(world.influencers.n_kols),
                "platform": pd.Categorical.from_codes(
                    np.maximum(world.platforms.kol_platform, 0).astype(np.int64),
                    categories=list(world.platforms.names),
                ),
                "income": self.kol_income.copy(),
            }
        )
