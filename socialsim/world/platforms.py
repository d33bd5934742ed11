"""Where the platforms stand at the start: who uses which, where KOLs and stores live.

Each platform's initial users are drawn among online shoppers with a logit
that shifts with tier (``tier_appeal``): Pinduoduo and Kuaishou lean to the
lower tiers, Douyin and Kaola to the upper ones. KOLs are assigned a home
platform by ``kol_share``; their followers use it. Store owners found their
stores on platforms that run micro-stores. Every online shopper uses at least
one platform.

References
----------
.. [1] Pinduoduo 2018 filing: users 9.7 % tier 1, 33.3 % tier 2, 57 % tier 3
   and below.
.. [2] ducksell (2019); "E-Commerce is Social in China's Small Cities" (2020):
   Kuaishou 64 % tier 3 and below, Douyin 52 % tiers 1-2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from socialsim._csr import entry_rows
from socialsim.config.platforms import PlatformConfig
from socialsim.world._common import freeze_arrays
from socialsim.world.influencers import Influencers
from socialsim.world.population import Population
from socialsim.world.stores import Stores

__all__ = [
    "PlatformSetup",
    "build_platform_setup",
    "homes_by_followers",
    "platform_reach",
    "tier_shift",
]


@dataclass(frozen=True, eq=False)
class PlatformSetup:
    """The platforms of a world at step 0.

    Attributes
    ----------
    names : tuple of str
        Platform names in alphabetical order; platform ``p`` is ``names[p]``.
    initial_users : ndarray of bool, shape (n_consumers, P)
        Who uses each platform at the start.
    kol_platform : ndarray of int8
        Home platform of each KOL.
    store_platform : ndarray of int8
        Platform of each store (``-1`` when no platform runs micro-stores).
    """

    names: tuple[str, ...]
    initial_users: np.ndarray
    kol_platform: np.ndarray
    store_platform: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of platforms."""
        return len(self.names)


def tier_shift(tier: np.ndarray, appeal: float, mean_tier: float) -> np.ndarray:
    """Return a platform's logit shift for consumers of each tier.

    Examples
    --------
    >>> tier_shift(np.array([1, 3, 5]), 0.5, 3.0).tolist()
    [-1.0, 0.0, 1.0]
    """
    return (appeal * (np.asarray(tier, dtype=np.float64) - mean_tier)).astype(np.float32)


def platform_reach(row: PlatformConfig, tier: np.ndarray, mean_tier: float) -> np.ndarray:
    """Return the chance an online shopper of each `tier` uses the platform at the start.

    ``sigmoid(logit(initial_users) + tier_shift(tier, tier_appeal, mean_tier))``.

    Examples
    --------
    >>> row = PlatformConfig(preset=None, initial_users=0.5, tier_appeal=0.0)
    >>> platform_reach(row, np.array([1, 6]), 3.0).tolist()
    [0.5, 0.5]
    """
    base = logit(np.clip(row.initial_users, 1e-9, 1 - 1e-9))
    return expit(base + tier_shift(tier, row.tier_appeal, mean_tier))


def build_platform_setup(
    platforms: dict[str, PlatformConfig],
    population: Population,
    influencers: Influencers,
    stores: Stores,
    rng: np.random.Generator,
    *,
    kol_homes: str = "random",
) -> PlatformSetup:
    """Draw the platforms' initial users and the homes of KOLs and stores.

    Parameters
    ----------
    platforms : mapping of str to PlatformConfig
        The config's platform table.
    population : Population
        The consumers.
    influencers : Influencers
        KOLs (their followers use their home platform).
    stores : Stores
        Store owners (each store belongs to a platform that runs micro-stores).
    rng : numpy.random.Generator
        Source of all randomness.
    kol_homes : {"random", "by_followers"}
        ``influencers.kol_homes``: each KOL's home drawn in proportion to
        ``kol_share``, or the followers shared out by ``kol_share``
        (:func:`homes_by_followers`).

    Returns
    -------
    PlatformSetup
    """
    names = tuple(sorted(platforms))
    rows = [platforms[name] for name in names]
    n, n_platforms = population.n, len(rows)
    mean_tier = float(population.tier.mean()) if n else 0.0

    users = np.zeros((n, n_platforms), dtype=bool)
    online = population.online

    for p, row in enumerate(rows):
        users[:, p] = online & (rng.random(n) < platform_reach(row, population.tier, mean_tier))

    # KOLs live where kol_share puts them (everywhere alike if no platform asks for them).
    share = np.array([r.kol_share for r in rows], dtype=np.float64)
    share = share if share.sum() > 0 else np.ones(n_platforms)
    n_kols = influencers.n_kols
    follows = influencers.follows
    if kol_homes == "by_followers":
        kol_platform = homes_by_followers(np.diff(follows.indptr[: n_kols + 1]), share)
    else:
        kol_platform = rng.choice(n_platforms, size=n_kols, p=share / share.sum()).astype(np.int8)
    kol_entries = slice(0, int(follows.indptr[n_kols]))
    follower_platform = kol_platform[entry_rows(follows.indptr[: n_kols + 1])]
    users[follows.indices[kol_entries], follower_platform] = True

    # Online shoppers without a platform pick one in proportion to its reach in their tier.
    lonely = np.flatnonzero(online & ~users.any(axis=1))
    if lonely.size:
        weight = np.stack(
            [platform_reach(r, population.tier[lonely], mean_tier) for r in rows], axis=1
        )
        cum = np.cumsum(weight, axis=1)
        pick = (rng.random(lonely.size) * cum[:, -1])[:, None] >= cum
        users[lonely, np.minimum(pick.sum(axis=1), n_platforms - 1)] = True

    hosts = np.flatnonzero([r.micro_stores.enabled for r in rows])
    if hosts.size and stores.n:
        store_platform = hosts[rng.integers(0, hosts.size, size=stores.n)].astype(np.int8)
        users[stores.owner, store_platform] = True
    else:
        store_platform = np.full(stores.n, -1, dtype=np.int8)
    return PlatformSetup(
        names=names,
        initial_users=users,
        kol_platform=kol_platform,
        store_platform=store_platform,
    )


def homes_by_followers(followers: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Give KOLs homes so that each platform gets its ``kol_share`` of the followers.

    KOLs are taken from the most followed down; each goes to the platform
    furthest below its share of the followers placed so far (the earliest of
    equals). Followers are so concentrated (1 % of streamers take 80 % of
    income, NetEase 2016) that drawing each KOL's home at random lets one draw
    decide a platform's whole livestream business; sharing the followers out
    keeps the platforms' audiences at their shares in every world.

    Parameters
    ----------
    followers : ndarray of int
        Each KOL's number of followers.
    share : ndarray of float
        Each platform's ``kol_share`` (any non-negative weights, not all 0).

    Returns
    -------
    ndarray of int8
        Each KOL's platform.

    Examples
    --------
    >>> homes_by_followers(np.array([100, 10, 60, 40]), np.array([1.0, 1.0])).tolist()
    [0, 0, 1, 1]
    """
    target = share / share.sum()
    home = np.empty(followers.size, dtype=np.int8)
    placed = np.zeros(share.size)
    total = 0.0
    for k in np.argsort(-followers, kind="stable").tolist():
        total += float(followers[k])
        short = np.where(target > 0, target * total - placed, -np.inf)
        p = int(np.argmax(short))
        home[k] = p
        placed[p] += float(followers[k])
    return home
