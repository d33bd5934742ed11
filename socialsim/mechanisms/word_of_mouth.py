"""Word of mouth: what friends bought lately, and how many of them bought it.

For each open need, the consumer's friends who bought in the category within
the last ``word_of_mouth_days`` are its social proof (their tie-weighted share
of all the consumer's ties, or their tie-weighted count) and one of them, drawn in proportion to tie
weight, shows the consumer what they bought. Only the rows of consumers with
an open need are touched, so the cost follows the number of open needs, not
the number of consumers.

References
----------
.. [1] "E-Commerce is Social in China's Small Cities" (2020): social sharing
   drives purchases in close-knit lower-tier communities.
.. [2] M. Granovetter (1973), "The strength of weak ties", AJS 78(6): weak
   ties weigh less.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from socialsim import _threads
from socialsim._arrays import take_at
from socialsim._csr import tie_strength
from socialsim.enums import Source
from socialsim.mechanisms.component import Component
from socialsim.mechanisms.offers import Offers
from socialsim.streams import extend_keys, mix_keys

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.needs import OpenNeeds

__all__ = [
    "FriendSignals",
    "WordOfMouth",
    "bought_lately",
    "friend_signals",
    "population_share",
    "word_of_mouth_offers",
]


@dataclass(frozen=True, eq=False)
class FriendSignals:
    """Per open need: social proof and a friend's recent purchase.

    Attributes
    ----------
    social_share : ndarray of float32
        Tie-weighted share of the consumer's ties who bought the category lately.
    social_count : ndarray of float32
        Their summed tie weight: the number of friends who bought lately when
        every tie weighs 1.
    product : ndarray of int32
        A product a recently buying friend bought, -1 if no friend did.
    tie_weight : ndarray of float32
        Weight of the tie to that friend (0 if none).
    friend : ndarray of int32
        That friend (-1 if none).
    """

    social_share: np.ndarray
    social_count: np.ndarray
    product: np.ndarray
    tie_weight: np.ndarray
    friend: np.ndarray


def friend_signals(
    adjacency: sparse.csr_array,
    last_purchase_step: np.ndarray,
    last_product: np.ndarray,
    step: int,
    window_days: int,
    consumer: np.ndarray,
    category: np.ndarray,
    rng: np.random.Generator,
    *,
    tie_total: np.ndarray | None = None,
    lately: np.ndarray | None = None,
    hit_uniform: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> FriendSignals:
    """Compute social proof and pick a friend's product for each (consumer, category).

    Parameters
    ----------
    adjacency : scipy.sparse.csr_array
        Tie weights between consumers.
    last_purchase_step, last_product : ndarray, shape (n, C)
        Latest purchase step and product per consumer and category.
    step : int
        The current step; purchases in steps ``step - window_days .. step - 1`` count.
    window_days : int
        How long a purchase stays visible to friends.
    consumer, category : ndarray of int
        The open needs to evaluate.
    rng : numpy.random.Generator
        Source of randomness.
    tie_total : ndarray of float64, optional
        Each consumer's summed tie weight (the row sums of `adjacency`, added
        up in row order in float64); computed when omitted. Pass it to save
        that work on every step.
    lately : ndarray, optional
        :func:`bought_lately` of `last_purchase_step`, `step` and `window_days`,
        if already computed.
    hit_uniform : callable, optional
        ``(need, friend) -> uniform``: a number per need and buying friend that
        depends on the pair alone. The friend shown is then the winner of a
        race, the smallest ``-log(u) / tie weight`` (Efraimidis and Spirakis
        2006), which picks in proportion to tie weight as the inverse CDF does;
        but a friend who starts or stops buying changes the pick only if it
        wins the race, so two runs that differ in a few friends' purchases
        mostly show the same friend (common random numbers). Without it, one
        number per need from `rng` is taken through the inverse CDF.

    References
    ----------
    .. [1] Efraimidis, P. S. and Spirakis, P. G. (2006). Weighted random
       sampling with a reservoir. Information Processing Letters 97(5), 181-185.

    Returns
    -------
    FriendSignals
    """
    m = consumer.shape[0]
    if tie_total is None:
        tie_total = tie_strength(adjacency)
    total = tie_total[consumer]

    if lately is None:
        lately = bought_lately(last_purchase_step, step, window_days)
    # No randomness in the search for buying friends: on large days two threads take
    # half the needs each, and their hits are joined in need order, as one pass would.
    workers = _search_threads(m)
    bounds = np.linspace(0, m, workers + 1).astype(np.int64)
    parts = [(int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds)]
    if workers > 1:
        found = list(
            _threads.worker_pool().map(
                lambda part: _buying_friends(adjacency, lately, consumer, category, *part),
                parts,
            )
        )
    else:
        found = [_buying_friends(adjacency, lately, consumer, category, *parts[0])]
    hit_need, hit_friend, hit_weight = (
        np.concatenate(column) for column in zip(*found, strict=True)
    )
    signal = np.bincount(hit_need, weights=hit_weight, minlength=m)
    share = np.divide(signal, total, out=np.zeros(m), where=total > 0)

    # Draw one buying friend per need in proportion to tie weight (inverse CDF per need).
    product = np.full(m, -1, dtype=np.int32)
    tie = np.zeros(m, dtype=np.float32)
    chosen = np.full(m, -1, dtype=np.int32)
    has = np.flatnonzero(signal > 0)
    if has.size:
        cum = np.cumsum(hit_weight)
        # Hits are in need order: each need's hits form one run, one run per need in `has`.
        first = np.flatnonzero(np.diff(hit_need, prepend=-1))
        last = np.append(first[1:], hit_need.size) - 1
        if hit_uniform is None:
            before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
            # one number per need, drawn for all (so a need's number is its own, CRN)
            target = before + rng.random(m)[has] * signal[has]
            # Rounding can push the target past the run: fall back to its last buying friend.
            pick = np.minimum(np.searchsorted(cum, target, side="right"), last)
        else:
            score = -np.log(np.maximum(hit_uniform(hit_need, hit_friend), 1e-300)) / hit_weight
            run = np.repeat(np.arange(first.size), last - first + 1)
            best = np.flatnonzero(score == np.minimum.reduceat(score, first)[run])
            # a tie in the score (almost never) goes to the friend that came first
            pick = best[np.flatnonzero(np.diff(run[best], prepend=-1))]
        category_of_pick = category[hit_need[pick]]
        product[has] = last_product[hit_friend[pick], category_of_pick]
        tie[has] = hit_weight[pick]
        chosen[has] = hit_friend[pick]
    return FriendSignals(
        social_share=share.astype(np.float32),
        social_count=signal.astype(np.float32),
        product=product,
        tie_weight=tie,
        friend=chosen,
    )


def population_share(
    last_purchase_step: np.ndarray,
    step: int,
    window_days: int,
    consumer_start: np.ndarray | None = None,
) -> np.ndarray:
    """Share of all consumers who bought each category in steps ``step - window_days .. step - 1``.

    The social proof of ``behaviour.conversion.social_proof = "population"``:
    every consumer sees the whole population (global mixing), as in the mean
    field of the Bass (1969) model, where a non-adopter adopts with chance
    ``p + q A / n``. It costs one pass over the purchase table, with no social
    graph at all.

    Parameters
    ----------
    last_purchase_step : ndarray of int, shape (n, C)
        Latest purchase step per consumer and category.
    step, window_days : int
        As in :func:`friend_signals`.
    consumer_start : ndarray of int, shape (K + 1,), optional
        In a batched ensemble, where each run's block of rows starts: each
        run's share is then of its own population.

    Returns
    -------
    ndarray of float32, shape (C,), or (K, C) with `consumer_start`

    Examples
    --------
    >>> population_share(np.array([[3, 9], [0, 4], [4, -1], [1, 1]]), 5, 2).tolist()
    [0.5, 0.25]
    >>> population_share(np.array([[3, 9], [0, 4], [4, -1], [1, 1]]), 5, 2, np.array([0, 1, 4]))
    array([[1.        , 0.        ],
           [0.33333334, 0.33333334]], dtype=float32)
    """
    n = last_purchase_step.shape[0]
    recent = _in_window(last_purchase_step, step, window_days)
    if consumer_start is None:
        return (recent.sum(axis=0) / max(n, 1)).astype(np.float32)
    # whole numbers per run (exact), each divided by its run's population as one run does
    start = np.asarray(consumer_start, dtype=np.int64)
    sizes = np.diff(start)
    counts = np.zeros((sizes.size, recent.shape[1]), dtype=np.int64)
    some = np.flatnonzero(sizes > 0)
    if some.size:
        counts[some] = np.add.reduceat(recent, start[some], axis=0, dtype=np.int64)
    return (counts / np.maximum(sizes, 1)[:, None]).astype(np.float32)


def bought_lately(last_purchase_step: np.ndarray, step: int, window_days: int) -> np.ndarray:
    """Which categories each consumer bought in steps ``step - window_days .. step - 1``.

    Parameters
    ----------
    last_purchase_step : ndarray of int, shape (n, C)
        Latest purchase step per consumer and category.
    step, window_days : int
        As in :func:`friend_signals`.

    Returns
    -------
    ndarray, shape (n,) or (n * C,)
        With at most 64 categories, category ``c`` is bit ``c`` of each consumer's
        entry (an unsigned integer of the smallest sufficient width): a table of
        ``n`` bytes when ``C <= 8``, which stays in cache while millions of
        friends are looked up. With more, the flattened (n, C) boolean table.

    Examples
    --------
    >>> bought_lately(np.array([[3, 9], [0, 4]]), 5, 2).tolist()
    [1, 2]
    """
    n_categories = last_purchase_step.shape[1]
    recent = _in_window(last_purchase_step, step, window_days)
    if n_categories > 64:
        return recent.ravel()
    bit_type = np.min_scalar_type((1 << n_categories) - 1)
    lookup = np.zeros(recent.shape[0], dtype=bit_type)
    for c in range(n_categories):
        lookup |= recent[:, c].astype(bit_type) << bit_type.type(c)
    return lookup


def word_of_mouth_offers(
    consumer: np.ndarray,
    category: np.ndarray,
    signals: FriendSignals,
    friend_platform: np.ndarray,
) -> Offers:
    """Offers of the products friends bought, where they bought them; trust is the tie's weight.

    Parameters
    ----------
    consumer, category : ndarray of int
        The open needs.
    signals : FriendSignals
        From :func:`friend_signals`.
    friend_platform : ndarray of int
        Per need, the platform the chosen friend bought on (ignored where none did).
    """
    has = np.flatnonzero(signals.product >= 0)  # one index array, several takes
    return Offers.build(
        consumer.take(has),
        category.take(has),
        signals.product.take(has),
        Source.WORD_OF_MOUTH,
        signals.tie_weight.take(has),
        friend_platform.take(has),
    )


def _in_window(last_purchase_step: np.ndarray, step: int, window_days: int) -> np.ndarray:
    """Which purchases fall in steps ``step - window_days .. step - 1`` (seen by friends today)."""
    return (last_purchase_step >= step - window_days) & (last_purchase_step < step)


def _search_threads(n_needs: int) -> int:
    """How many threads search buying friends for `n_needs` needs: 2 on big days, if 2 cores."""
    return 2 if _threads.use_threads(n_needs) else 1


def _buying_friends(
    adjacency: sparse.csr_array,
    lookup: np.ndarray,
    consumer: np.ndarray,
    category: np.ndarray,
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For needs ``lo:hi``: each tie to a friend who bought the need's category lately.

    `lookup` is per consumer a bit set of the categories bought lately (an
    unsigned integer array) or, for more than 64 categories, the flat (n, C)
    bool table. Returns, per hit in need order and then tie order, the need
    (position in `consumer`), the friend and the tie weight (float64).
    """
    # The need rows' friends and tie weights, copied out by SciPy's row indexing (C++:
    # about three times faster than gathering entry positions first in NumPy).
    rows = adjacency[np.asarray(consumer[lo:hi], dtype=np.int64)]
    friend = rows.indices
    per_need = np.diff(rows.indptr)
    if lookup.dtype != bool:
        need_bit = lookup.dtype.type(1) << category[lo:hi].astype(lookup.dtype)
        bought = lookup.take(friend) & np.repeat(need_bit, per_need)  # non-zero: bought
    else:
        n_categories = lookup.size // adjacency.shape[0]
        entry_category = np.repeat(category[lo:hi], per_need)
        bought = lookup.take(friend.astype(np.int64) * n_categories + entry_category)
    # From here on only the entries of friends who bought matter (a few per cent).
    hit = np.flatnonzero(bought)
    hit_need = np.searchsorted(rows.indptr, hit, side="right") - 1 + lo
    return hit_need, friend.take(hit), rows.data.take(hit).astype(np.float64)


class WordOfMouth(Component):
    """Friends' recent purchases: social proof for every open need, and a friend's offer.

    Parameters: ``behaviour.word_of_mouth_days``. Who bought what lately is
    looked up at the start of the day (on a second thread in large worlds,
    :meth:`start_day`); for every open need the tie-weighted share (or count)
    of friends who bought the category lately is its social proof, and one of
    them shows the consumer what they bought, on the platform where they
    bought it (:meth:`signals`, :meth:`offers`). Under
    ``behaviour.conversion.social_proof = "population"`` the social proof is
    instead the share of all consumers who bought the category lately
    (:func:`population_share`; global mixing, for docking).

    References
    ----------
    .. [1] See the module docstring.
    """

    name = "word_of_mouth"
    batch_ready = True

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        self.lately: Future[Any] | None = None

    def start_day(self, day: Day) -> None:
        """Start looking up who bought lately (it changes only when today's orders ship)."""
        state = self.model.state
        threaded = _threads.use_threads(self.model.world.n_consumers)
        days = self.model.config.behaviour.word_of_mouth_days
        self.lately = _threads.run_later(
            threaded, bought_lately, state.last_purchase_step, day.step, days
        )

    def signals(self, day: Day, needs: OpenNeeds) -> FriendSignals:
        """Return each open need's social proof and the friend whose purchase it shows."""
        model = self.model
        state, network, runs = model.state, model.world.network, model.runs
        lately = self.lately.result() if self.lately is not None else None
        days = model.config.behaviour.word_of_mouth_days
        # keys of each need's consumer (and friend: no tie crosses runs) in its own run
        run = needs.run
        local = runs.local_consumer(needs.consumer, run)
        need_key = mix_keys(local, needs.category)

        def hit_uniform(need: np.ndarray, friend: np.ndarray) -> np.ndarray:
            hit_run = None if run is None else run.take(need)
            # mix_keys(consumer, category, friend), each need's part hashed once
            key = extend_keys(need_key.take(need), runs.local_consumer(friend, hit_run))
            return self.uniform(day, "race", key, run=hit_run)

        signals = friend_signals(
            network.adjacency,
            state.last_purchase_step,
            state.last_product,
            day.step,
            days,
            needs.consumer,
            needs.category,
            self.keyed(day, "friend", need_key, run=run),
            tie_total=network.tie_strength,
            lately=lately,
            hit_uniform=hit_uniform,
        )
        if model.config.behaviour.conversion.social_proof != "population":
            return signals
        if run is None:
            share = population_share(state.last_purchase_step, day.step, days)
            return replace(signals, social_share=share.take(needs.category))
        # each run's population is its own: one share per run and category
        share = population_share(state.last_purchase_step, day.step, days, runs.consumer_start)
        return replace(signals, social_share=share[run, needs.category])

    def friend_platform(self, needs: OpenNeeds, signals: FriendSignals) -> np.ndarray:
        """Return, per open need, the platform its chosen friend bought on (0 where none did)."""
        friend = np.maximum(signals.friend, 0)
        if needs.run is not None:  # where none did, its own run's first consumer, as alone
            friend = np.where(
                signals.friend >= 0, friend, self.model.runs.consumer_start[needs.run]
            )
        last_platform = self.model.state.last_platform
        return np.maximum(take_at(last_platform, friend, needs.category), 0)

    def friend_offers(
        self,
        needs: OpenNeeds,
        signals: FriendSignals,
        friend_platform: np.ndarray,
        carried: np.ndarray | None = None,
    ) -> Offers:
        """Return each need's offer of what a friend bought, on the friend's platform.

        `friend_platform` is :meth:`friend_platform`'s. Needs whose friend's
        purchase a social feed already showed (`carried`) get no second offer of it,
        nor do those whose friend's platform no longer sells the product (its brand
        withdrew, or the friend bought it off the platform, from a daigou): the
        friend's purchase is still social proof.
        """
        offers = word_of_mouth_offers(needs.consumer, needs.category, signals, friend_platform)
        keep = self.model.listed[offers.platform, offers.product]
        if carried is not None and carried.any():
            keep &= ~carried[signals.product >= 0]
        return offers if keep.all() else offers.take(keep)
