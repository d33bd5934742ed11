"""The purchase decision: which offers convert, one purchase per need, within budget.

An offer converts with probability ``sigmoid(logit)`` (or, with the
``linear`` and ``hazard`` links used to dock the model against the Bass and
Independent Cascade models, ``clip(logit, 0, 1)`` and ``1 - exp(-logit)``) where

``logit = base[source] + trust_weight * trust + social_proof_weight * social_share
+ quality_weight * (quality - 0.5) - price_weight * price_sensitivity * price / monthly_budget
+ review_weight * (quality - 0.5) [KOC reviews] + first_purchase_shift [if never bought]
+ offline_shift [if not yet online] + no_need_shift [if no open need] + shift``,
where ``price`` is what this consumer would pay on this platform through this
channel and ``shift`` carries the platform's tier appeal and a livestream's
urgency.

Price is weighed against the consumer's own budget, so the same product is a
larger hurdle for a tier-6 household than for a tier-1 one, and more so the
more price-sensitive its tier. A consumer with several converting offers for
one need buys one of them, chosen at random; then the consumer goes through
the day's purchases in random order and stops at the first that no longer fits
the budget left.

References
----------
.. [1] W. Rand and R. T. Rust (2011), "Agent-based modeling in marketing:
   Guidelines for rigor", IJRM 28(3): purchase rules as logit choice.
.. [2] F. M. Bass (1969), "A new product growth for model consumer durables",
   Management Science 15(5): adoption chance p + q F, linear in the adopted share.
.. [3] D. Kempe, J. Kleinberg and E. Tardos (2003), "Maximizing the spread of
   influence through a social network", KDD: each newly active friend one
   independent chance, 1 - (1 - p)^k for k of them.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy.special import expit

from socialsim._arrays import order_by_key_then_descending
from socialsim.config.schema import ConversionConfig
from socialsim.enums import ShopperStatus, Source
from socialsim.mechanisms.offers import Offers

__all__ = [
    "add_social_proof_once",
    "choose_channel",
    "conversion_chance",
    "conversion_logit",
    "select_purchases",
    "source_base_logits",
]


def source_base_logits(config: ConversionConfig) -> np.ndarray:
    """Return the base logit per :class:`~socialsim.enums.Source` value."""
    base = np.zeros(len(Source), dtype=np.float32)
    base[Source.SEARCH] = config.base_search
    base[Source.WORD_OF_MOUTH] = config.base_word_of_mouth
    base[Source.KOL] = config.base_kol
    base[Source.KOC] = config.base_koc
    base[Source.FEED_SOCIAL] = config.base_feed_social
    base[Source.FEED_ALGORITHMIC] = config.base_feed_algorithmic
    base[Source.STREAMER] = config.base_livestream
    base[Source.GROUP_SHARE] = config.base_group_share
    base[Source.STORE_OWNER] = config.base_store
    base[Source.DAIGOU] = config.base_daigou
    return base


def conversion_logit(
    offers: Offers,
    social_share: np.ndarray,
    price: np.ndarray,
    quality: np.ndarray,
    price_sensitivity: np.ndarray,
    monthly_budget: np.ndarray,
    status: np.ndarray,
    config: ConversionConfig,
    *,
    has_need: np.ndarray | None = None,
    shift: np.ndarray | None = None,
) -> np.ndarray:
    """Compute the logit of buying each offered product today.

    Parameters
    ----------
    offers : Offers
        The offers to evaluate.
    social_share : ndarray of float
        Per offer: share of the consumer's ties who bought the category lately
        (or their count, under ``social_proof="count"``).
    price : ndarray of float
        Per offer: the price the consumer would pay.
    quality : ndarray of float
        Per product.
    price_sensitivity, monthly_budget : ndarray of float
        Per consumer.
    status : ndarray of int8
        :class:`~socialsim.enums.ShopperStatus` per consumer.
    config : ConversionConfig
        Coefficients.
    has_need : ndarray of bool, optional
        Per offer: whether it meets an open need; offers that do not get
        ``config.no_need_shift``. All offers meet a need if omitted.
    shift : ndarray of float, optional
        Per offer: further logit terms worked out by the caller (a platform's
        tier appeal, a livestream's urgency).

    Returns
    -------
    ndarray of float32
        One logit per offer.

    Examples
    --------
    A dearer product is less likely to be bought:

    >>> from socialsim.config import ConversionConfig
    >>> offers = Offers.build(np.array([0, 0]), np.array([0, 0]), np.array([0, 1]), 0, 0.0, 0)
    >>> logit = conversion_logit(offers, np.zeros(2), np.array([10.0, 100.0]),
    ...     np.array([0.5, 0.5]), np.array([1.0]), np.array([200.0]),
    ...     np.array([2], dtype=np.int8), ConversionConfig())
    >>> bool(logit[0] > logit[1])
    True
    """
    c = offers.consumer
    p = offers.product
    # ``take`` gathers these per-offer values markedly faster than fancy indexing.
    budget = np.maximum(monthly_budget.take(c), np.float32(1e-6))
    quality_gap = quality.take(p) - np.float32(0.5)
    logit = (
        source_base_logits(config).take(offers.source)
        + np.float32(config.trust_weight) * offers.trust
        + np.float32(config.social_proof_weight) * social_share
        + np.float32(config.quality_weight) * quality_gap
        - np.float32(config.price_weight) * price_sensitivity.take(c) * price / budget
    )
    # An honest KOC review talks good products up and poor ones down.
    logit += np.where(
        offers.source == Source.KOC, np.float32(config.review_weight) * quality_gap, np.float32(0)
    )
    customer_status = status.take(c)
    logit += np.where(
        customer_status != ShopperStatus.CUSTOMER,
        np.float32(config.first_purchase_shift),
        np.float32(0),
    )
    logit += np.where(
        customer_status == ShopperStatus.OFFLINE, np.float32(config.offline_shift), np.float32(0)
    )
    if has_need is not None:
        logit += np.where(has_need, np.float32(0), np.float32(config.no_need_shift))
    if shift is not None:
        logit += shift
    return logit.astype(np.float32)


def conversion_chance(logit: np.ndarray, link: str) -> np.ndarray:
    """Turn scores from :func:`conversion_logit` into chances of buying.

    Parameters
    ----------
    logit : ndarray of float
        One score per offer.
    link : {"logit", "linear", "hazard"}
        ``ConversionConfig.link``: the logistic function; the score clipped to
        [0, 1]; or ``1 - exp(-score)`` for positive scores and 0 otherwise.

    Returns
    -------
    ndarray of float
        One chance per offer, in [0, 1].

    Raises
    ------
    ValueError
        For an unknown link.

    Examples
    --------
    >>> score = np.array([-1.0, 0.25, 2.0])
    >>> conversion_chance(score, "linear").tolist()
    [0.0, 0.25, 1.0]
    >>> [round(c, 4) for c in conversion_chance(score, "hazard").tolist()]
    [0.0, 0.2212, 0.8647]
    """
    if link == "logit":
        return expit(logit)
    if link == "linear":
        return np.clip(logit, 0, 1)
    if link == "hazard":
        # -expm1(-x) is 1 - exp(-x) without the cancellation for small rates
        return -np.expm1(-np.maximum(logit, 0))
    raise ValueError(f"unknown conversion link {link!r}; choose logit, linear or hazard")


def add_social_proof_once(
    offers: Offers, logit: np.ndarray, social_proof: np.ndarray, weight: float
) -> np.ndarray:
    """Add social proof once per need: to the need's offer with the highest logit.

    Friends' purchases make a consumer likelier to buy the category, not each
    offer for it independently; added to every offer, the same social proof
    would count once per offer. It goes to the offer the consumer finds most
    attractive without it (the earliest of equals).

    Parameters
    ----------
    offers : Offers
        The day's offers.
    logit : ndarray of float32
        Per offer, the logit without social proof.
    social_proof : ndarray of float32
        Per offer, its need's social proof (0 for an offer that meets no open need).
    weight : float
        ``ConversionConfig.social_proof_weight``.

    Returns
    -------
    ndarray of float32
        The logits, social proof added once per need.

    Examples
    --------
    Two offers for one need, one for another: the better of the two gets it.

    >>> offers = Offers.build(np.array([0, 0, 1]), np.array([2, 2, 2]), 0, 0, 0.0, 0)
    >>> logit = np.array([-3.0, -2.0, -3.0], np.float32)
    >>> add_social_proof_once(offers, logit, np.full(3, 0.5, np.float32), 2.0).tolist()
    [-3.0, -1.0, -2.0]
    """
    idx = np.flatnonzero(social_proof)
    if idx.size == 0:
        return logit
    key = offers.consumer.take(idx).astype(np.int64) * (int(offers.category.max()) + 1)
    key += offers.category.take(idx)
    # by need, then best logit first; lexsort is stable, so the earliest of equals leads
    order = order_by_key_then_descending(key, logit.take(idx))
    best = idx.take(order[_run_starts(key.take(order))])
    out = logit.copy()
    out[best] += np.float32(weight) * social_proof[best]
    return out


def choose_channel(
    solo_logit: np.ndarray, group_logit: np.ndarray, draw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Choose solo, group or neither in one logit decision, from one uniform draw per offer.

    With ``u_s`` and ``u_g`` the utilities of buying alone and in a group,
    against 0 for not buying, ``P(solo) = e^u_s / (1 + e^u_s + e^u_g)`` and
    ``P(group) = e^u_g / (1 + e^u_s + e^u_g)`` (the multinomial logit [1]_).
    An offer without a group price has ``u_g = -inf``, and then the decision
    is exactly the binary one, ``draw < sigmoid(u_s)``.

    Parameters
    ----------
    solo_logit, group_logit : ndarray of float32
        Per offer, ``u_s`` and ``u_g`` (``-inf`` where there is no group price).
    draw : ndarray of float32
        One uniform draw in [0, 1) per offer.

    Returns
    -------
    accepted, group : ndarray of bool
        Whether the offer is bought, and whether in a group.

    Examples
    --------
    >>> solo = np.zeros(3, np.float32)
    >>> group = np.array([-np.inf, 0.0, 0.0], np.float32)
    >>> accepted, in_group = choose_channel(solo, group, np.array([0.4, 0.4, 0.5], np.float32))
    >>> accepted.tolist(), in_group.tolist()
    ([True, True, True], [False, True, True])

    References
    ----------
    .. [1] D. McFadden (1974), "Conditional logit analysis of qualitative
       choice behavior", in Frontiers in Econometrics.
    """
    solo_only = np.isneginf(group_logit)
    accepted = draw < expit(solo_logit)
    group = np.zeros(draw.shape[0], dtype=bool)
    both = np.flatnonzero(~solo_only)
    if both.size:
        us, ug = solo_logit[both].astype(np.float64), group_logit[both].astype(np.float64)
        top = np.maximum(np.maximum(us, ug), 0.0)  # a stable softmax
        es, eg, e0 = np.exp(us - top), np.exp(ug - top), np.exp(-top)
        total = e0 + es + eg
        p_solo, p_group = es / total, eg / total
        u = draw[both].astype(np.float64)
        accepted[both] = u < p_solo + p_group
        group[both] = (u >= p_solo) & (u < p_solo + p_group)
    return accepted, group


def select_purchases(
    offers: Offers,
    accepted: np.ndarray,
    price: np.ndarray,
    budget_left: np.ndarray,
    rng: np.random.Generator,
    *,
    draw_all: bool = False,
    consumer_start: np.ndarray | None = None,
) -> np.ndarray:
    """Choose the offers that become orders.

    Among the accepted offers, each (consumer, category) need keeps one, chosen
    uniformly at random. Each consumer then takes its purchases in random order
    and stops at the first one that does not fit the budget left.

    Parameters
    ----------
    offers : Offers
        All offers of the step.
    accepted : ndarray of bool
        Which offers converted.
    price : ndarray of float
        Per offer: the price the consumer would pay.
    budget_left : ndarray of float
        Budget left per consumer.
    rng : numpy.random.Generator
        Source of randomness (tie-breaking and order).
    draw_all : bool
        Draw each number for every offer, and use the accepted ones' (for
        keyed draws, :class:`~socialsim.streams.KeyedDraws`, which give one
        number per offer); else for the accepted offers only.
    consumer_start : ndarray of int, optional
        In a batched ensemble, where each run's consumers start
        (:attr:`socialsim.runs.Runs.consumer_start`): each run's spending is
        added up from its own first purchase, as the run alone adds it.

    Returns
    -------
    ndarray of int64
        Indices into `offers` of the purchases, in no particular order.

    Examples
    --------
    Two converting offers for the same need give one purchase:

    >>> offers = Offers.build(np.array([0, 0]), np.array([3, 3]), np.array([5, 6]), 0, 0.0, 0)
    >>> chosen = select_purchases(offers, np.array([True, True]), np.ones(2), np.array([100.0]),
    ...                           np.random.default_rng(0))
    >>> len(chosen)
    1
    """
    idx = np.flatnonzero(accepted)
    if idx.size == 0:
        return idx
    # One offer per need: the one with the smallest random key (the earliest on a tie),
    # needs in (consumer, category) order. Sorting by the need alone and taking each
    # need's minimum gives exactly what sorting by (need, key) would, at half the cost.
    need_key = offers.consumer[idx].astype(np.int64) * (int(offers.category.max()) + 1)
    need_key += offers.category[idx]
    key = rng.random(len(offers))[idx] if draw_all else rng.random(idx.size)
    order = np.argsort(need_key)
    need_key, key = need_key[order], key[order]
    start = _run_starts(need_key)
    run = np.repeat(np.arange(start.size), np.diff(np.append(start, need_key.size)))
    lowest = np.flatnonzero(key == np.minimum.reduceat(key, start)[run])
    # a tie in the key (almost never) goes to the offer that came first
    tied_start = _run_starts(run[lowest])
    idx = idx[np.minimum.reduceat(order[lowest], tied_start)]

    # Budget: random order within each consumer, stop at the first purchase that does
    # not fit. Consumers are already in order; only those with several purchases need
    # their purchases shuffled (by sorting on random keys, as a full sort would).
    key = rng.random(len(offers))[idx] if draw_all else rng.random(idx.size)
    consumer = offers.consumer[idx]
    start = _run_starts(consumer)
    size = np.diff(np.append(start, consumer.size))
    several = np.flatnonzero(np.repeat(size > 1, size))
    order = np.arange(idx.size)
    order[several] = several[np.lexsort((key[several], consumer[several]))]
    idx = idx[order]
    consumer = offers.consumer[idx]
    cost = price[idx].astype(np.float64)
    new_run = np.ones(idx.size, dtype=bool)
    new_run[1:] = consumer[1:] != consumer[:-1]
    run = np.cumsum(new_run) - 1
    if consumer_start is None:
        cum = np.cumsum(cost)
    else:  # each run's running total from its own first purchase, as the run alone adds
        bounds = np.searchsorted(consumer, consumer_start)
        cum = np.concatenate([np.cumsum(cost[a:b]) for a, b in pairwise(bounds.tolist())])
    run_start = np.flatnonzero(new_run)
    spent_so_far = cum - (cum[run_start] - cost[run_start])[run]
    fits = spent_so_far <= budget_left[consumer]
    misses = np.cumsum(~fits)
    misses_before_run = (misses[run_start] - (~fits[run_start]))[run]
    return idx[fits & (misses - misses_before_run == 0)]


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted, non-empty array."""
    change = np.ones(sorted_values.size, dtype=bool)
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=change[1:])
    return np.flatnonzero(change)
