"""KOLs, KOCs and the directed follow graph from creators to their followers.

KOL audiences are heavy tailed: a Pareto share of the consumers, segmented
like Douyin's head / shoulder / waist / tail, and concentrated around each
KOL's focus tier. KOCs are consumers with small circles of high trust: their
own strong ties plus a few people from their city.

References
----------
.. [1] Kas Data, via hb2b: Douyin follower segments, head >= 10 M, shoulder
   5-10 M, waist 1-5 M, tail 0.1-1 M.
.. [2] pkmarketing; eac-consulting: KOCs have under about 50 k followers.
.. [3] ducksell (2019); "E-Commerce is Social in China's Small Cities" (2020):
   Kuaishou's audience is 64 % tier 3 and below, Douyin's 52 % tiers 1-2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from socialsim._csr import gather_rows
from socialsim.config.schema import InfluencerConfig
from socialsim.enums import InfluencerKind
from socialsim.world._common import beta_around, freeze_arrays
from socialsim.world.network import SocialNetwork
from socialsim.world.population import Population

__all__ = ["Influencers", "build_influencers", "kol_segment"]

# Segment thresholds relative to the smallest audience: tail x1, waist x10, shoulder x50, head x100
# (0.1 M, 1 M, 5 M, 10 M followers on Douyin).
_SEGMENT_FACTORS = np.array([10.0, 50.0, 100.0])


@dataclass(frozen=True, eq=False)
class Influencers:
    """All content creators: KOLs first, then KOCs.

    Attributes
    ----------
    kind : ndarray of int8
        :class:`~socialsim.enums.InfluencerKind` per creator.
    consumer : ndarray of int32
        The creator's consumer index for KOCs, -1 for KOLs (who are not consumers).
    segment : ndarray of int8
        :class:`~socialsim.enums.KOLSegment` for KOLs, -1 for KOCs.
    focus_tier : ndarray of int8
        The tier a KOL's audience concentrates on; a KOC's own tier.
    post_rate, post_reach : ndarray of float32
        Daily probability of posting, and that a follower sees a post.
    follows : scipy.sparse.csr_array of float32
        Creator-by-consumer matrix; entry ``(k, i)`` is follower ``i``'s trust in
        creator ``k``. Edges point in the direction of influence.
    prospects : scipy.sparse.csr_array of float32
        Creator-by-consumer matrix of consumers who do not follow yet but may
        start to after good livestreams (KOLs only), with the trust they would
        have; disjoint from ``follows``.
    """

    kind: np.ndarray
    consumer: np.ndarray
    segment: np.ndarray
    focus_tier: np.ndarray
    post_rate: np.ndarray
    post_reach: np.ndarray
    follows: sparse.csr_array
    prospects: sparse.csr_array

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of creators (KOLs and KOCs)."""
        return int(self.kind.shape[0])

    @property
    def n_kols(self) -> int:
        """Number of KOLs; they occupy creator indices ``0 .. n_kols - 1``."""
        return int(np.count_nonzero(self.kind == InfluencerKind.KOL))

    def follower_counts(self) -> np.ndarray:
        """Followers per creator."""
        return np.diff(self.follows.indptr).astype(np.int64)

    def followers(self, k: int) -> np.ndarray:
        """Consumer indices following creator `k`."""
        lo, hi = self.follows.indptr[k], self.follows.indptr[k + 1]
        return self.follows.indices[lo:hi]


def kol_segment(follower_share: np.ndarray, min_share: float) -> np.ndarray:
    """Classify KOL audiences into Douyin segments.

    Parameters
    ----------
    follower_share : ndarray of float
        Audience as a share of consumers.
    min_share : float
        The smallest audience share, the bottom of the tail segment.

    Returns
    -------
    ndarray of int8
        :class:`~socialsim.enums.KOLSegment` values.

    Examples
    --------
    >>> kol_segment(np.array([0.002, 0.03, 0.15, 0.5]), 0.002).tolist()
    [0, 1, 2, 3]
    """
    ratio = np.asarray(follower_share) / min_share
    return np.searchsorted(_SEGMENT_FACTORS, ratio, side="right").astype(np.int8)


def build_influencers(
    population: Population,
    network: SocialNetwork,
    kocs: np.ndarray,
    config: InfluencerConfig,
    rng: np.random.Generator,
) -> Influencers:
    """Create KOLs and KOCs and draw who follows them.

    Parameters
    ----------
    population : Population
        The consumers.
    network : SocialNetwork
        The social graph; a KOC's strong ties all follow it.
    kocs : ndarray of int
        Consumer indices of the KOCs.
    config : InfluencerConfig
        The influencer section of the config.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Influencers
    """
    n = population.n
    n_kols = config.n_kols
    n_tiers = population.n_tiers
    tier_shares = population.tier_counts() / n

    # KOL audiences: Pareto share of consumers, among online consumers, around a focus tier.
    shares = config.kol_min_follower_share * (1.0 - rng.random(n_kols)) ** (
        -1.0 / config.kol_follower_exponent
    )
    shares = np.minimum(shares, config.kol_max_follower_share)
    focus = (rng.choice(n_tiers, size=n_kols, p=tier_shares) + 1).astype(np.int8)
    online_by_tier = [
        np.flatnonzero(population.online & (population.tier == t)) for t in range(1, n_tiers + 1)
    ]
    online_counts = np.array([m.size for m in online_by_tier], dtype=np.float64)
    tiers = np.arange(1, n_tiers + 1)
    # each draw's KOL and how many follow / are prospects (rows built at the end, not per draw)
    kol_of, kol_cols, prospect_cols, n_following, n_prospects = [], [], [], [], []
    grow = 1.0 + config.kol_prospect_ratio
    for k in range(n_kols):
        wanted = round(shares[k] * n * grow)
        weights = online_counts * np.exp(-config.kol_tier_affinity * np.abs(tiers - focus[k]))
        if wanted == 0 or weights.sum() == 0:
            continue
        per_tier = np.minimum(rng.multinomial(wanted, weights / weights.sum()), online_counts)
        for t, count in enumerate(per_tier.astype(np.int64)):
            if count:
                # A uniform draw in random order: its first part follows, the rest are prospects.
                chosen = rng.choice(online_by_tier[t], size=count, replace=False)
                following = round(count / grow)
                kol_of.append(k)
                kol_cols.append(chosen[:following])
                n_following.append(following)
                prospect_cols.append(chosen[following:])
                n_prospects.append(count - following)
    kol_rows = [np.repeat(np.array(kol_of, dtype=np.int64), n_following)] if kol_of else []
    prospect_rows = [np.repeat(np.array(kol_of, dtype=np.int64), n_prospects)] if kol_of else []

    # KOC circles: own strong ties plus a few residents of the same city.
    n_kocs = int(kocs.size)
    adj = network.adjacency
    tie_owner, entry, _ = gather_rows(adj.indptr, kocs)
    strong = network.strong[entry]
    friend_rows = tie_owner[strong]
    friend_cols = adj.indices[entry][strong].astype(np.int64)
    extra = rng.poisson(config.koc_extra_followers, size=n_kocs)
    extra_rows = np.repeat(np.arange(n_kocs), extra)
    city = population.city[kocs][extra_rows]
    pick = population.city_start[city] + (
        rng.random(extra_rows.size) * population.city_size[city]
    ).astype(np.int64)
    extra_cols = population.city_order[pick].astype(np.int64)
    koc_rows = np.concatenate((friend_rows, extra_rows)) + n_kols
    koc_cols = np.concatenate((friend_cols, extra_cols))
    not_self = koc_cols != np.concatenate((kocs[friend_rows], kocs[extra_rows]))

    rows = np.concatenate([*kol_rows, koc_rows[not_self]]) if kol_rows else koc_rows[not_self]
    cols = np.concatenate([*kol_cols, koc_cols[not_self]]) if kol_cols else koc_cols[not_self]
    n_creators = n_kols + n_kocs
    follows = sparse.csr_array(
        (np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n_creators, n)
    )
    follows.sum_duplicates()
    # Trust: Beta around the KOL / KOC mean, one draw per follow edge.
    kind = np.concatenate(
        (np.full(n_kols, InfluencerKind.KOL, np.int8), np.full(n_kocs, InfluencerKind.KOC, np.int8))
    )
    mean = np.where(kind == InfluencerKind.KOL, config.kol_trust, config.koc_trust)
    edge_mean = np.repeat(mean, np.diff(follows.indptr))
    follows.data = beta_around(edge_mean, config.trust_concentration, rng).astype(np.float32)
    follows.indices = follows.indices.astype(np.int32)
    follows.indptr = follows.indptr.astype(np.int32)

    prospects = _trust_matrix(prospect_rows, prospect_cols, (n_creators, n), config.kol_trust)
    prospects.data = beta_around(
        np.full(prospects.nnz, config.kol_trust), config.trust_concentration, rng
    ).astype(np.float32)

    is_kol = kind == InfluencerKind.KOL
    segment = np.full(n_creators, -1, dtype=np.int8)
    segment[:n_kols] = kol_segment(shares, config.kol_min_follower_share)
    return Influencers(
        kind=kind,
        consumer=np.concatenate((np.full(n_kols, -1, np.int32), kocs.astype(np.int32))),
        segment=segment,
        focus_tier=np.concatenate((focus, population.tier[kocs])).astype(np.int8),
        post_rate=np.where(is_kol, config.kol_post_rate, config.koc_post_rate).astype(np.float32),
        post_reach=np.where(is_kol, config.kol_post_reach, config.koc_post_reach).astype(
            np.float32
        ),
        follows=follows,
        prospects=prospects,
    )


def _trust_matrix(
    rows: list[np.ndarray], cols: list[np.ndarray], shape: tuple[int, int], trust: float
) -> sparse.csr_array:
    """Build a creator-by-consumer CSR (int32 indices) of the given entries."""
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    matrix = sparse.csr_array((np.full(r.size, trust, dtype=np.float32), (r, c)), shape=shape)
    matrix.sum_duplicates()
    matrix.data = np.full(matrix.nnz, trust, dtype=np.float32)
    matrix.indices = matrix.indices.astype(np.int32)
    matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix
