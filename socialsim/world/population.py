"""Consumers, the city tiers they live in, their incomes and price sensitivity.

References
----------
.. [1] Morgan Stanley (2017), quoted in "E-Commerce is Social in China's Small
   Cities" (2020): 73 % of the population lives in tier-3-and-below areas.
.. [2] Yicai / New First-tier Cities Institute (2021): 337 cities by tier.
.. [3] X. Gabaix (1999), "Zipf's law for cities: an explanation", QJE 114(3).
.. [4] Interview with Kaola's CEO (2020): a paid membership pays most above
   about RMB 10,000 of yearly spending; a high-net-worth member saves about
   RMB 3,808 a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim._csr import offsets
from socialsim.config.schema import PopulationConfig
from socialsim.world._common import freeze_arrays

__all__ = ["Population", "apportion", "build_population", "richest"]


@dataclass(frozen=True, eq=False)
class Population:
    """Who the consumers are and where they live (read-only arrays, one row per consumer).

    Attributes
    ----------
    tier : ndarray of int8
        City tier, 1 (largest cities) to K.
    city : ndarray of int32
        City index, 0 to ``n_cities - 1``; cities are numbered tier by tier.
    income : ndarray of float32
        Monthly disposable income, RMB.
    price_sensitivity : ndarray of float32
        Weight of price in the purchase utility (the tier's value).
    online : ndarray of bool
        Whether the consumer already shopped online at the start.
    high_net_worth : ndarray of bool
        Whether the consumer belongs to the high-net-worth segment (see
        :func:`build_population`).
    city_tier : ndarray of int8
        Tier of each city.
    city_order : ndarray of int32
        Consumer indices sorted by city, so that city ``c``'s residents are
        ``city_order[city_start[c] : city_start[c] + city_size[c]]``.
    city_start, city_size : ndarray of int64
        Offsets into `city_order` per city.
    n_tiers : int
        Number of tiers K in the config (some may have no consumers).
    """

    tier: np.ndarray
    city: np.ndarray
    income: np.ndarray
    price_sensitivity: np.ndarray
    online: np.ndarray
    high_net_worth: np.ndarray
    city_tier: np.ndarray
    city_order: np.ndarray
    city_start: np.ndarray
    city_size: np.ndarray
    n_tiers: int

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of consumers."""
        return int(self.tier.shape[0])

    @property
    def n_cities(self) -> int:
        """Number of cities."""
        return int(self.city_tier.shape[0])

    def tier_counts(self) -> np.ndarray:
        """Consumers per tier, indexed by tier - 1."""
        return np.bincount(self.tier, minlength=self.n_tiers + 1)[1:]


def apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` into integer counts proportional to `shares` (largest remainder).

    Parameters
    ----------
    total : int
        The number to split.
    shares : array_like of float
        Non-negative weights; they need not sum to one.

    Returns
    -------
    ndarray of int64
        Counts that sum to `total`, each within one of ``total * share``.

    Examples
    --------
    >>> apportion(10, [0.09, 0.18, 0.22, 0.20, 0.16, 0.15]).tolist()
    [1, 2, 2, 2, 2, 1]
    """
    shares = np.asarray(shares, dtype=np.float64)
    if total < 0 or shares.size == 0 or np.any(shares < 0) or shares.sum() <= 0:
        raise ValueError(f"cannot apportion {total} by shares {shares.tolist()}")
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = int(total - counts.sum())
    if remainder:
        # stable sort so ties go to the earlier entry, deterministically
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:remainder]] += 1
    return counts


def build_population(
    config: PopulationConfig,
    rng: np.random.Generator,
    *,
    tier: np.ndarray | None = None,
    city: np.ndarray | None = None,
) -> Population:
    """Draw the consumers of a world.

    Tier counts match the tier shares exactly (largest remainder) and tiers are
    assigned to consumers in random order. Within a tier, consumers are spread
    over the tier's cities with Zipf weights ``rank ** -city_size_exponent``
    [1]_, on top of ``min_city_size`` residents each; a tier with fewer than
    ``n_cities * min_city_size`` consumers uses fewer cities. Incomes are
    lognormal around the tier median, and the online-shopper flag is drawn
    with the tier's online share. The high-net-worth segment, a
    ``high_net_worth_share`` of the consumers, is the richest by drawn income
    (:func:`richest`, no further draws, so that the rest of the world is the
    same with the segment or without it); their income is multiplied by
    ``high_net_worth_income_multiplier``: they are the buyers for whom a paid
    membership pays [2]_.

    Parameters
    ----------
    config : PopulationConfig
        The population section of the config.
    rng : numpy.random.Generator
        Source of all randomness.
    tier, city : ndarray, optional
        Given tiers (1..K) and city labels for each consumer, e.g. from a
        user-supplied graph; drawn when omitted. Cities must not span tiers.

    Returns
    -------
    Population

    Raises
    ------
    ValueError
        If given tiers or cities are inconsistent with the config.

    References
    ----------
    .. [1] X. Gabaix (1999), "Zipf's law for cities: an explanation", QJE 114(3).
    .. [2] Interview with Kaola's CEO (2020): a paid membership pays most above
       about RMB 10,000 of yearly spending.

    Examples
    --------
    >>> from socialsim.config import PopulationConfig
    >>> pop = build_population(PopulationConfig(n_consumers=1000), np.random.default_rng(1))
    >>> pop.tier_counts().tolist()
    [90, 180, 220, 200, 160, 150]
    """
    n = config.n_consumers
    tiers = sorted(config.tiers)
    n_tiers = len(tiers)
    rows = [config.tiers[t] for t in tiers]

    if tier is None:
        counts = apportion(n, np.array([r.share for r in rows]))
        tier = rng.permutation(np.repeat(np.arange(1, n_tiers + 1, dtype=np.int8), counts))
    else:
        tier = _given_tiers(tier, n, n_tiers)

    if city is None:
        city, city_tier = _draw_cities(
            tier, rows, config.city_size_exponent, config.min_city_size, rng
        )
    else:
        city, city_tier = _given_cities(np.asarray(city), tier)

    income = np.empty(n, dtype=np.float32)
    sensitivity = np.empty(n, dtype=np.float32)
    online = np.empty(n, dtype=bool)
    draws = rng.standard_normal(n)
    coins = rng.random(n)
    for k, row in enumerate(rows, start=1):
        members = tier == k
        income[members] = row.median_income * np.exp(config.income_sigma * draws[members])
        sensitivity[members] = row.price_sensitivity
        online[members] = coins[members] < row.online_share

    high_net_worth = np.zeros(n, dtype=bool)
    if config.high_net_worth_share > 0:
        high_net_worth[richest(income, config.high_net_worth_share)] = True
        income[high_net_worth] *= np.float32(config.high_net_worth_income_multiplier)

    city_order = np.argsort(city, kind="stable").astype(np.int32)
    city_size = np.bincount(city, minlength=city_tier.shape[0]).astype(np.int64)
    city_start = offsets(city_size)
    return Population(
        tier=tier,
        city=city,
        income=income,
        price_sensitivity=sensitivity,
        online=online,
        high_net_worth=high_net_worth,
        city_tier=city_tier,
        city_order=city_order,
        city_start=city_start,
        city_size=city_size,
        n_tiers=n_tiers,
    )


def richest(income: np.ndarray, share: float) -> np.ndarray:
    """Return the indices of the richest `share` of consumers (``round(share * n)`` of them).

    Ties go to the lower index, so the choice is deterministic.

    Parameters
    ----------
    income : ndarray of float
        Income per consumer.
    share : float
        In [0, 1].

    Returns
    -------
    ndarray of int64
        Ascending.

    Examples
    --------
    >>> richest(np.array([300.0, 900.0, 100.0, 900.0, 500.0]), 0.4).tolist()
    [1, 3]
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share: must be in [0, 1], got {share}")
    n = income.shape[0]
    count = round(share * n)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    # The count-th largest income by selection, not a sort of all n (2.7 s at 10M): those
    # above it, then the lowest-indexed of those equal to it.
    value = income.astype(np.float64)
    cut = np.partition(value, n - count)[n - count]
    above = np.flatnonzero(value > cut)
    tied = np.flatnonzero(value == cut)[: count - above.size]
    return np.sort(np.concatenate((above, tied)))


def _given_tiers(values: np.ndarray, n: int, n_tiers: int) -> np.ndarray:
    tier = np.asarray(values)
    if tier.shape != (n,):
        raise ValueError(f"given tiers must be one per consumer ({n}), got shape {tier.shape}")
    if (
        tier.dtype.kind not in "iuf"
        or not np.all(np.isfinite(tier))
        or np.any(tier != np.round(tier))
    ):
        bad = next(v for v in tier.tolist() if not isinstance(v, (int, float)) or v != round(v))
        raise ValueError(
            f"node attribute 'tier' must be a whole number in 1..{n_tiers}, got {bad!r}"
        )
    if tier.min() < 1 or tier.max() > n_tiers:
        bad = tier.min() if tier.min() < 1 else tier.max()
        raise ValueError(
            f"node attribute 'tier' must be in 1..{n_tiers} (population.tiers), got {bad}"
        )
    return tier.astype(np.int8)


def _draw_cities(
    tier: np.ndarray, rows: list, exponent: float, min_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    city = np.empty(tier.shape[0], dtype=np.int32)
    n_cities = []
    first_city = 0
    for k, row in enumerate(rows, start=1):
        members = np.flatnonzero(tier == k)
        # every city gets min_size residents; the rest are spread with Zipf weights
        count = max(1, min(row.n_cities, members.size // min_size))
        floor = min(min_size, members.size // count)
        weights = np.arange(1, count + 1, dtype=np.float64) ** -exponent
        sizes = floor + rng.multinomial(members.size - floor * count, weights / weights.sum())
        labels = np.repeat(np.arange(first_city, first_city + count, dtype=np.int32), sizes)
        city[members] = rng.permutation(labels)
        n_cities.append(count)
        first_city += count
    city_tier = np.repeat(np.arange(1, len(rows) + 1, dtype=np.int8), n_cities)
    return city, city_tier


def _given_cities(labels: np.ndarray, tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if labels.shape != tier.shape:
        raise ValueError(f"given cities must be one per consumer ({tier.shape[0]})")
    # Number cities tier by tier, in order of first appearance within the tier.
    uniques, inverse = np.unique(labels, return_inverse=True)
    city_tier_raw = np.zeros(uniques.size, dtype=np.int8)
    np.maximum.at(city_tier_raw, inverse, tier)
    lowest = np.full(uniques.size, 127, dtype=np.int8)
    np.minimum.at(lowest, inverse, tier)
    mixed = np.flatnonzero(lowest != city_tier_raw)
    if mixed.size:
        bad = uniques[mixed[0]]
        raise ValueError(f"city {bad!r} holds consumers of several tiers; a city has one tier")
    order = np.lexsort((np.arange(uniques.size), city_tier_raw))
    renumber = np.empty(uniques.size, dtype=np.int32)
    renumber[order] = np.arange(uniques.size, dtype=np.int32)
    return renumber[inverse].astype(np.int32), city_tier_raw[order]
