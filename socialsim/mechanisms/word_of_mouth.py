"""Word of mouth: what friends bought lately, and how many of them bought it.

For each open need, the consumer's friends who bought in the category within
the last ``word_of_mouth_days`` are its social proof (their tie-weighted share
of all the consumer's ties) and one of them, drawn in proportion to tie
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

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from socialsim._csr import gather_rows
from socialsim.enums import Source
from socialsim.mechanisms.offers import Offers

__all__ = ["FriendSignals", "friend_signals", "word_of_mouth_offers"]


@dataclass(frozen=True, eq=False)
class FriendSignals:
    """Per open need: social proof and a friend's recent purchase.

    Attributes
    ----------
    social_share : ndarray of float32
        Tie-weighted share of the consumer's ties who bought the category lately.
    product : ndarray of int32
        A product a recently buying friend bought, -1 if no friend did.
    tie_weight : ndarray of float32
        Weight of the tie to that friend (0 if none).
    friend : ndarray of int32
        That friend (-1 if none).
    """

    social_share: np.ndarray
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

    Returns
    -------
    FriendSignals
    """
    m = consumer.shape[0]
    need_of_entry, entry, run_start = gather_rows(adjacency.indptr, consumer)
    run_end = np.append(run_start[1:], need_of_entry.size)
    friend = adjacency.indices[entry]
    weight = adjacency.data[entry].astype(np.float64)
    entry_category = category[need_of_entry]
    when = last_purchase_step[friend, entry_category]
    bought = (when >= step - window_days) & (when < step)
    bought_weight = np.where(bought, weight, 0.0)

    total = np.bincount(need_of_entry, weights=weight, minlength=m)
    signal = np.bincount(need_of_entry, weights=bought_weight, minlength=m)
    share = np.divide(signal, total, out=np.zeros(m), where=total > 0)

    # Draw one buying friend per need in proportion to tie weight (inverse CDF per run).
    product = np.full(m, -1, dtype=np.int32)
    tie = np.zeros(m, dtype=np.float32)
    chosen = np.full(m, -1, dtype=np.int32)
    has = np.flatnonzero(signal > 0)
    if has.size:
        cum = np.cumsum(bought_weight)
        start = run_start[has]
        before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        target = before + rng.random(has.size) * signal[has]
        pick = np.searchsorted(cum, target, side="right")
        # Rounding can push the target to the end of a run: fall back to its last buying friend.
        buying = np.flatnonzero(bought_weight > 0)
        last_buying = buying[np.searchsorted(buying, run_end[has], side="left") - 1]
        pick = np.minimum(pick, last_buying)
        product[has] = last_product[friend[pick], entry_category[pick]]
        tie[has] = weight[pick]
        chosen[has] = friend[pick]
    return FriendSignals(
        social_share=share.astype(np.float32), product=product, tie_weight=tie, friend=chosen
    )


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
    has = signals.product >= 0
    return Offers.build(
        consumer[has],
        category[has],
        signals.product[has],
        Source.WORD_OF_MOUTH,
        signals.tie_weight[has],
        friend_platform[has],
    )
