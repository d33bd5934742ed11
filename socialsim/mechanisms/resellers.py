"""Micro-store resellers: a recruitment forest, multi-level commission and pyramid flags.

Yunji- and Beidian-style members open a micro-store (for a membership fee, or
free), sell to their strong ties for a commission and recruit new store owners
for a referral reward. Every owner records who recruited it, so the owners
form a forest of recruitment trees: a founder is level 1 and a recruit sits one
level below its recruiter. Commission on a sale can flow up that tree to at
most ``max_levels`` levels. The forest can then be checked against the legal
thresholds: the criminal threshold for a pyramid is a tree of at least 3 levels
and at least 30 participants [4]_; pyramid selling is an entry fee, pay per
recruit or pay on the downline's sales [2]_; legal direct selling pays one
level only, at most 30 % of the seller's own sales [3]_.

Recruitment and commission are vectorised over owners and sales; the only
Python loop is over commission levels.

References
----------
.. [1] KrASIA/Nikkei on Yunji: RMB 398 membership, referral pays back about a
   quarter of the fee, commission on friends' purchases.
.. [2] Regulation on Prohibition of Pyramid Selling (2005), art. 7.
.. [3] Direct Selling Regulation (2005).
.. [4] Prosecution Standards (II), art. 78: at least 30 participants and at
   least 3 levels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit

from socialsim._arrays import distinct_first
from socialsim._csr import gather_rows
from socialsim.columns import MetricColumn
from socialsim.enums import Channel, ShopperStatus, Source
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers

if TYPE_CHECKING:
    from socialsim.day import Day

__all__ = ["MicroStores", "ResellerTree", "commission_flows", "recruitment_attempts"]


@dataclass(eq=False)
class ResellerTree:
    """Mutable state of the store owners' recruitment forest over n consumers.

    Attributes
    ----------
    is_owner : ndarray of bool, shape (n,)
        Whether the consumer runs a micro-store.
    parent : ndarray of int32, shape (n,)
        The owner's recruiter; -1 for founders and non-owners.
    root : ndarray of int32, shape (n,)
        The founder of the owner's tree; -1 for non-owners.
    level : ndarray of int16, shape (n,)
        1 for founders, the recruiter's level + 1 for recruits, 0 for non-owners.
    joined_step : ndarray of int32, shape (n,)
        Step the owner joined; -1 for non-owners.
    income_selling : ndarray of float64, shape (n,)
        Commission earned on own and downline sales (the caller credits it).
    income_recruiting : ndarray of float64, shape (n,)
        Referral rewards earned (the caller credits it).

    Examples
    --------
    >>> tree = ResellerTree.initial(6, founders=np.array([0]))
    >>> tree.add_owners(np.array([1, 2]), np.array([0, 0]), step=1)
    >>> tree.add_owners(np.array([3]), np.array([1]), step=2)
    >>> tree.level.tolist(), tree.root.tolist()
    ([1, 2, 2, 3, 0, 0], [0, 0, 0, 0, -1, -1])
    >>> tree.n_owners, tree.depth(), tree.deepest_root()
    (4, 3, 0)
    """

    is_owner: np.ndarray
    parent: np.ndarray
    root: np.ndarray
    level: np.ndarray
    joined_step: np.ndarray
    income_selling: np.ndarray
    income_recruiting: np.ndarray

    @classmethod
    def initial(cls, n: int, founders: np.ndarray) -> ResellerTree:
        """Return a forest over `n` consumers in which only `founders` own stores (step 0).

        Parameters
        ----------
        n : int
            Number of consumers.
        founders : ndarray of int
            Distinct consumers who start a tree each, at level 1.

        Returns
        -------
        ResellerTree
        """
        if n < 0:
            raise ValueError(f"n: must be >= 0, got {n}")
        tree = cls(
            is_owner=np.zeros(n, dtype=bool),
            parent=np.full(n, -1, dtype=np.int32),
            root=np.full(n, -1, dtype=np.int32),
            level=np.zeros(n, dtype=np.int16),
            joined_step=np.full(n, -1, dtype=np.int32),
            income_selling=np.zeros(n, dtype=np.float64),
            income_recruiting=np.zeros(n, dtype=np.float64),
        )
        founders = np.asarray(founders, dtype=np.int64)
        tree.add_owners(founders, np.full(founders.size, -1, dtype=np.int64), step=0)
        return tree

    @property
    def n_owners(self) -> int:
        """Number of store owners."""
        return int(np.count_nonzero(self.is_owner))

    def add_owners(self, new: np.ndarray, recruiter: np.ndarray, step: int) -> None:
        """Make `new` store owners, each recruited by the matching `recruiter`.

        Parameters
        ----------
        new : ndarray of int
            Distinct consumers who are not owners yet.
        recruiter : ndarray of int, same length as `new`
            Each one's recruiter, an owner before this call; -1 makes a founder.
        step : int
            The current step, recorded as the join step.

        Raises
        ------
        ValueError
            If lengths differ, an index is out of range, `new` repeats a consumer
            or holds an owner, or a recruiter is not already an owner.
        """
        new = np.asarray(new, dtype=np.int64)
        recruiter = np.asarray(recruiter, dtype=np.int64)
        n = self.is_owner.size
        if new.shape != recruiter.shape or new.ndim != 1:
            raise ValueError(
                f"new and recruiter: must be 1-d of equal length, got {new.shape} "
                f"and {recruiter.shape}"
            )
        if new.size == 0:
            return
        if new.min() < 0 or new.max() >= n:
            raise ValueError(f"new: must be in [0, {n}), got {new.min()}..{new.max()}")
        if recruiter.min() < -1 or recruiter.max() >= n:
            raise ValueError(
                f"recruiter: must be -1 or in [0, {n}), got {recruiter.min()}..{recruiter.max()}"
            )
        if np.unique(new).size != new.size:
            raise ValueError("new: must not repeat a consumer")
        if self.is_owner[new].any():
            raise ValueError(f"new: already owners: {new[self.is_owner[new]].tolist()}")
        recruited = recruiter >= 0
        # Recruiters must already be owners: a same-batch recruit cannot recruit yet.
        not_owner = recruited & ~self.is_owner[np.maximum(recruiter, 0)]
        if not_owner.any():
            raise ValueError(f"recruiter: not owners: {recruiter[not_owner].tolist()}")

        up = recruiter[recruited]
        self.parent[new] = recruiter
        self.root[new] = np.where(recruited, 0, new)
        self.root[new[recruited]] = self.root[up]
        self.level[new] = 1
        self.level[new[recruited]] = self.level[up] + 1
        self.joined_step[new] = step
        self.is_owner[new] = True

    def tree_sizes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return every tree's founder, number of participants and number of levels.

        Returns
        -------
        roots : ndarray of int32
            Founders, ascending.
        participants : ndarray of int64
            Owners in each tree, the founder included.
        levels : ndarray of int64
            Deepest level in each tree (1 for a lone founder).

        Examples
        --------
        >>> tree = ResellerTree.initial(5, founders=np.array([0, 4]))
        >>> tree.add_owners(np.array([1, 2]), np.array([0, 0]), step=1)
        >>> [a.tolist() for a in tree.tree_sizes()]
        [[0, 4], [3, 1], [2, 1]]
        """
        owners = np.flatnonzero(self.is_owner)
        roots, which = np.unique(self.root[owners], return_inverse=True)
        participants = np.bincount(which, minlength=roots.size).astype(np.int64)
        levels = np.zeros(roots.size, dtype=np.int64)
        np.maximum.at(levels, which, self.level[owners].astype(np.int64))
        return roots.astype(np.int32), participants, levels

    def pyramid_trees(self, min_levels: int = 3, min_participants: int = 30) -> np.ndarray:
        """Return the founders of trees with at least `min_levels` levels and `min_participants`.

        The defaults are the criminal threshold for pyramid selling [1]_.

        Parameters
        ----------
        min_levels : int
            Minimum number of levels (a founder alone is 1 level).
        min_participants : int
            Minimum number of owners in the tree, the founder included.

        Returns
        -------
        ndarray of int32
            Founders of the trees meeting both conditions, ascending.

        References
        ----------
        .. [1] Prosecution Standards (II), art. 78.
        """
        if min_levels < 1 or min_participants < 1:
            raise ValueError(
                f"min_levels and min_participants: must be >= 1, got {min_levels} "
                f"and {min_participants}"
            )
        roots, participants, levels = self.tree_sizes()
        return roots[(levels >= min_levels) & (participants >= min_participants)]

    def depth(self) -> int:
        """Return the number of levels of the deepest tree (0 when there are no owners)."""
        return int(self.level.max()) if self.level.size else 0

    def deepest_root(self) -> int:
        """Return the founder of the tree with the most levels (lowest founder on ties), -1 if none.

        Its depth is :meth:`depth`.
        """
        if not self.is_owner.any():
            return -1
        deepest = np.flatnonzero(self.level == self.level.max())
        return int(self.root[deepest].min())


def commission_flows(
    seller: np.ndarray,
    amount: np.ndarray,
    parent: np.ndarray,
    rates: Sequence[float],
    max_levels: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each sale's commission between the seller and its line of recruiters.

    The seller earns ``rates[0] * amount``, its recruiter ``rates[1] * amount``
    and so on, up to ``min(max_levels, len(rates))`` levels; a line stops early
    at its founder (parent -1). One level with ``rates[0] <= 0.3`` is the shape
    of legal direct selling; paying on the downline's sales (two or more
    levels) is pyramid selling [1]_ [2]_.

    Parameters
    ----------
    seller : ndarray of int
        Store owner credited with each sale.
    amount : ndarray of float
        Value of each sale.
    parent : ndarray of int
        Recruiter of every consumer, -1 for founders (``ResellerTree.parent``).
    rates : sequence of float
        Commission rates, non-negative; ``rates[k]`` goes to the seller's k-th ancestor.
    max_levels : int
        Most levels paid (>= 0), the seller being level 1.

    Returns
    -------
    recipient : ndarray of int64
        Who is paid, one row per payment, level by level and in sale order within a level.
    commission : ndarray of float64
        How much.
    level : ndarray of int16
        1 for the seller, 2 for its recruiter, ...

    Examples
    --------
    A chain 0 <- 1 <- 2 (2 was recruited by 1, 1 by 0); 2 sells for 100:

    >>> parent = np.array([-1, 0, 1])
    >>> rates = [0.1, 0.05, 0.02]
    >>> who, paid, lvl = commission_flows(np.array([2]), np.array([100.0]), parent, rates, 2)
    >>> who.tolist(), paid.tolist(), lvl.tolist()
    ([2, 1], [10.0, 5.0], [1, 2])

    References
    ----------
    .. [1] Regulation on Prohibition of Pyramid Selling (2005), art. 7.
    .. [2] Direct Selling Regulation (2005).
    """
    seller = np.asarray(seller, dtype=np.int64)
    amount = np.asarray(amount, dtype=np.float64)
    parent = np.asarray(parent)
    rates = np.asarray(rates, dtype=np.float64)
    if seller.shape != amount.shape or seller.ndim != 1:
        raise ValueError(
            f"seller and amount: must be 1-d of equal length, got {seller.shape} and {amount.shape}"
        )
    if max_levels < 0:
        raise ValueError(f"max_levels: must be >= 0, got {max_levels}")
    if rates.ndim != 1 or (rates < 0).any():
        raise ValueError(f"rates: must be a sequence of non-negative numbers, got {rates.tolist()}")
    if seller.size and (seller.min() < 0 or seller.max() >= parent.size):
        raise ValueError(
            f"seller: must be in [0, {parent.size}), got {seller.min()}..{seller.max()}"
        )

    recipients, commissions, levels = [], [], []
    sale = np.arange(seller.size)
    current = seller
    for k in range(min(max_levels, rates.size)):
        recipients.append(current)
        commissions.append(rates[k] * amount[sale])
        levels.append(np.full(current.size, k + 1, dtype=np.int16))
        # Climb one level; lines that reached their founder drop out.
        up = parent[current].astype(np.int64)
        alive = up >= 0
        current, sale = up[alive], sale[alive]
        if current.size == 0:
            break
    if not recipients:
        return np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.int16)
    return np.concatenate(recipients), np.concatenate(commissions), np.concatenate(levels)


def recruitment_attempts(
    tree: ResellerTree,
    strong_indptr: np.ndarray,
    strong_indices: np.ndarray,
    *,
    attempt_rate: np.ndarray | float,
    accept_prob: np.ndarray | float | Callable[[np.ndarray, np.ndarray], np.ndarray],
    eligible: np.ndarray | None,
    rng: np.random.Generator | Sequence[np.random.Generator],
    refusals: list[tuple[np.ndarray, np.ndarray]] | None = None,
    run: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one day's recruitment pitches and who accepts; the tree is not changed.

    Each owner pitches with probability `attempt_rate` to one strong-tie friend
    drawn uniformly (owners without strong ties skip). A pitch to an eligible
    non-owner succeeds with the friend's `accept_prob`, each pitch independently,
    so a friend pitched by several owners is more likely to join; among the
    successful pitches to one friend, one recruiter is chosen uniformly. The
    caller charges the fee, pays the referral reward and calls
    :meth:`ResellerTree.add_owners`.

    Parameters
    ----------
    tree : ResellerTree
        Current owners.
    strong_indptr, strong_indices : ndarray of int
        CSR structure of the (symmetric) strong ties over the same n consumers.
    attempt_rate : float or ndarray of float, shape (n,)
        Daily probability that an owner pitches, in [0, 1] (per consumer: the
        entries of owners are used).
    accept_prob : float, ndarray of float of shape (n,), or callable
        Probability that a pitched consumer accepts, in [0, 1]; a callable is
        called as ``accept_prob(candidate, recruiter)`` with one entry per
        pitch and returns one probability per pitch (for odds that depend on
        the recruiter, such as its visible earnings).
    eligible : ndarray of bool, shape (n,), or None
        Who may become an owner (None: everyone); owners never are.
    rng : numpy.random.Generator or sequence of numpy.random.Generator
        Source of randomness: one, or one per run of a batched ensemble (with `run`).
    refusals : list, optional
        Appended with one pair of arrays: the eligible friends who turned down
        every pitch today (distinct, ascending) and, for each, an owner it
        turned down. The caller decides whether a refusal is final. Its size
        follows the day's pitches, not the number of consumers.
    run : ndarray of int, shape (n,), optional
        Each consumer's run in a batched ensemble (consumers run by run, ties
        within a run): each run's owners draw from their run's generator in
        ``rng``, as that run alone draws, and recruiters are picked within a run.

    Returns
    -------
    recruits : ndarray of int64
        New owners, distinct and ascending.
    recruiters : ndarray of int64
        The owner who recruited each.

    Examples
    --------
    A star whose leaves 1, 2 and 3 own stores: all pitch the centre 0, one gets it.

    >>> tree = ResellerTree.initial(4, founders=np.array([1, 2, 3]))
    >>> indptr, indices = np.array([0, 3, 4, 5, 6]), np.array([1, 2, 3, 0, 0, 0])
    >>> recruits, recruiters = recruitment_attempts(
    ...     tree, indptr, indices, attempt_rate=1.0, accept_prob=1.0, eligible=None,
    ...     rng=np.random.default_rng(0))
    >>> recruits.tolist(), recruiters.size, int(recruiters[0]) in (1, 2, 3)
    ([0], 1, True)

    References
    ----------
    .. [1] KrASIA/Nikkei on Yunji: owners recruit members among friends for a
       referral reward.
    """
    n = tree.is_owner.size
    if len(strong_indptr) != n + 1:
        raise ValueError(
            f"strong_indptr: must have length n + 1 = {n + 1}, got {len(strong_indptr)}"
        )
    rate = np.asarray(attempt_rate, dtype=np.float64)
    if rate.ndim not in (0, 1) or (rate.ndim == 1 and rate.size != n):
        raise ValueError(f"attempt_rate: must be a scalar or of shape ({n},), got {rate.shape}")
    if ((rate < 0) | (rate > 1)).any():
        raise ValueError(f"attempt_rate: must be in [0, 1], got {np.unique(rate).tolist()[:5]}")
    if not callable(accept_prob):
        accept = np.asarray(accept_prob, dtype=np.float64)
        if accept.ndim not in (0, 1) or (accept.ndim == 1 and accept.size != n):
            raise ValueError(
                f"accept_prob: must be a scalar or of shape ({n},), got {accept.shape}"
            )
        if ((accept < 0) | (accept > 1)).any():
            raise ValueError("accept_prob: must be in [0, 1]")
    if eligible is not None and np.shape(eligible) != (n,):
        raise ValueError(f"eligible: must have shape ({n},), got {np.shape(eligible)}")

    def runs_of(items: np.ndarray) -> np.ndarray | None:
        return None if run is None else run[items]

    owners = np.flatnonzero(tree.is_owner)
    owner_rate = rate[owners] if rate.ndim else np.full(owners.size, float(rate))
    pitching = owners[_by_run(rng, runs_of(owners), owners.size, _uniforms) < owner_rate]
    lo = np.asarray(strong_indptr[pitching], dtype=np.int64)
    degree = np.asarray(strong_indptr[pitching + 1], dtype=np.int64) - lo
    has_friends = degree > 0
    pitching, lo, degree = pitching[has_friends], lo[has_friends], degree[has_friends]
    slot = _by_run(
        rng, runs_of(pitching), pitching.size, lambda g, a, b: g.integers(0, degree[a:b])
    )
    friend = np.asarray(strong_indices[lo + slot], dtype=np.int64)

    open_to = ~tree.is_owner[friend]
    if eligible is not None:
        open_to &= np.asarray(eligible, dtype=bool)[friend]
    if callable(accept_prob):
        pitch_accept = np.asarray(accept_prob(friend, pitching), dtype=np.float64)
        if pitch_accept.shape != friend.shape or ((pitch_accept < 0) | (pitch_accept > 1)).any():
            raise ValueError(
                "accept_prob: the callable must return one probability in [0, 1] per pitch"
            )
    else:
        pitch_accept = accept[friend] if accept.ndim else np.full(friend.size, float(accept))
    # (pitches are in their owners' order: run by run)
    success = open_to & (_by_run(rng, runs_of(pitching), friend.size, _uniforms) < pitch_accept)
    recruit, recruiter = friend[success], pitching[success]
    if refusals is not None:
        turned_down = open_to & ~success
        refused, owner = friend[turned_down], pitching[turned_down]
        keep = ~np.isin(refused, recruit)  # a friend who accepted one pitch refused nothing
        # each refusing friend once, with the last owner it turned down
        refused, first = np.unique(refused[keep][::-1], return_index=True)
        refusals.append((refused.astype(np.int64), owner[keep][::-1][first].astype(np.int64)))

    # Shuffle, then keep each recruit's first success: a uniform pick among its recruiters.
    # (each run's recruits shuffled among themselves, from its own generator)
    order = _by_run(rng, runs_of(recruit), recruit.size, lambda g, a, b: g.permutation(b - a) + a)
    recruit, recruiter = recruit[order], recruiter[order]
    recruits, first = distinct_first(recruit)
    return recruits.astype(np.int64), recruiter[first].astype(np.int64)


def _uniforms(rng: np.random.Generator, lo: int, hi: int) -> np.ndarray:
    """Return one uniform for each of the items ``lo:hi`` (a :func:`_by_run` draw)."""
    return rng.random(hi - lo)


def _by_run(
    rng: np.random.Generator | Sequence[np.random.Generator],
    run: np.ndarray | None,
    n: int,
    how: Callable[[np.random.Generator, int, int], np.ndarray],
) -> np.ndarray:
    """Draw for `n` items, each run's from its own generator: ``how(generator, lo, hi)``.

    With one run (`run` None) this is ``how(rng, 0, n)``. In a batched
    ensemble `run` holds each item's run, ascending (items are run by run),
    and run ``k``'s items ``lo:hi`` get ``how(rng[k], lo, hi)``, what run
    ``k`` alone draws for them; a run without items draws nothing.
    """
    if run is None:
        return how(rng, 0, n)
    bounds = np.searchsorted(run, np.arange(len(rng) + 1)).tolist()
    parts = [
        how(rng[k], bounds[k], bounds[k + 1]) for k in range(len(rng)) if bounds[k + 1] > bounds[k]
    ]
    if not parts:  # no item: an empty result of the right dtype, from a throwaway stream
        return how(np.random.Generator(np.random.PCG64(0)), 0, 0)
    return np.concatenate(parts)


class _Drawn:
    """Uniforms drawn before, handed out in order by ``random(n)`` (as a generator would)."""

    def __init__(self, *drawn: np.ndarray) -> None:
        self._drawn = list(drawn)

    def random(self, n: int) -> np.ndarray:
        out = self._drawn.pop(0)
        if out.size != n:
            raise ValueError(f"{out.size} uniforms drawn, {n} asked for")
        return out


def _random(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return `n` uniforms (a :meth:`Component.draw` draw)."""
    return rng.random(n)


def _per_run(values: np.ndarray, runs: Any) -> np.ndarray:
    """Return per-platform `values` as they are for one run, one row per run for several."""
    return values if not runs.batched else np.tile(values, (runs.n, 1))


class MicroStores(Component):
    """Micro-store resellers: promotion to friends, commission up the tree, recruitment, regulation.

    Parameters (each platform's ``micro_stores`` section): ``enabled``,
    ``fee``, ``member_discount`` (the owners' own discount), ``commission_rates``,
    ``max_levels``, ``referral_reward``, ``promote_rate``, ``activity_sigma``,
    ``recruit_rate``, ``refusal_final``, the ``accept_*`` weights and
    ``regulation``. State: the recruitment forest (:class:`ResellerTree`),
    each owner's platform, the fees paid, the friends who refused for good, and
    each consumer's selling activity (a mean-one lognormal factor, drawn once).

    Day by day: owners promote a product to their strong ties, who buy
    through the store with or without a need (:meth:`offers`, phase 5); a store
    sale pays commission up the seller's recruitment line (:meth:`shipped`);
    owners pitch to strong ties, recruits pay the fee and recruiters earn the
    referral reward, and on its day a regulator fines a scheme or forces
    one-level rules (:meth:`after_sale`); the trees are measured (:meth:`end_day`).

    Parameters
    ----------
    model : SocialCommerceModel
    rng : numpy.random.Generator
        The behaviour stream (the activity factor is drawn from it when built).

    References
    ----------
    .. [1] KrASIA/Nikkei; Fung Business Intelligence; the 2005 regulations on
       pyramid selling and direct selling; Prosecution Standards (II), art. 78
       (see the module docstring).
    """

    name = "micro_stores"
    batch_ready = True
    columns = (
        MetricColumn.count("store_owners", "current store owners, founders included", level=True),
        MetricColumn.count("store_recruits", "owners recruited today"),
        MetricColumn.count(
            "deepest_tree", "levels of the deepest recruitment tree now", level=True
        ),
        MetricColumn.count(
            "pyramid_trees", "trees with at least 3 levels and 30 owners now", level=True
        ),
        MetricColumn.count("regulations", "regulatory interventions today"),
        MetricColumn.total("store_commissions", "RMB of commission paid on today's store sales"),
        MetricColumn.total("store_referral_rewards", "RMB of referral rewards paid today"),
        MetricColumn.total("store_fees", "RMB of membership fees paid by today's recruits"),
        MetricColumn.total(
            "recruiting_income_share",
            "share of all owners' income so far that came from referral rewards",
            level=True,
        ),
        MetricColumn.total("regulation_fines", "RMB fined today"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world, cfg = model.world, model.config
        names, n = world.platforms.names, world.n_consumers

        def values(field: str, dtype: Any = np.float64) -> np.ndarray:
            return platform_values(cfg, names, f"micro_stores.{field}", dtype)

        self.enabled = values("enabled", bool)
        self.promote_rate = values("promote_rate")
        self.recruit_rate = values("recruit_rate")
        self.refusal_final = values("refusal_final")
        #: the owners' own discount on their store's platform (0 where there are no stores)
        self.owner_discount = np.where(self.enabled, values("member_discount"), 0.0)
        self.accept_base = values("accept_base")
        self.accept_income_weight = values("accept_income_weight")
        self.accept_fee_weight = values("accept_fee_weight")
        # the rules a regulator can change: per platform, and in a batched ensemble per run
        # and platform (a regulator acts on a run's own trees)
        runs = model.runs
        self.fee = _per_run(values("fee"), runs)
        self.referral = _per_run(values("referral_reward"), runs)
        self.levels = _per_run(values("max_levels", np.int64), runs)
        self.rates = [
            np.array(cfg.platforms[name].micro_stores.commission_rates, dtype=np.float64)
            for name in names
        ]
        # the recruitment forest and each owner's platform
        store_platform = world.platforms.store_platform
        founders = world.stores.owner[store_platform >= 0]
        self.tree = ResellerTree.initial(n, founders)
        self.owner_platform = np.full(n, -1, dtype=np.int8)
        self.owner_platform[founders] = store_platform[store_platform >= 0]
        # Fees paid to join (founders paid none) and friends whose refusal was final.
        self.fee_paid = np.zeros(n, dtype=np.float64)
        self.refused = np.zeros(n, dtype=bool)
        # How actively each consumer would sell if it owned a store: a mean-one lognormal
        # factor on promote_rate (drawn only where some platform spreads it).
        self.activity = np.ones(n, dtype=np.float64)
        sigma = max(
            (
                cfg.platforms[name].micro_stores.activity_sigma
                for name, on in zip(names, self.enabled.tolist(), strict=True)
                if on
            ),
            default=0,
        )
        if sigma > 0:  # each run's consumers from its own stream
            spread = self.draw(
                0, "activity", runs.consumer_run, n, lambda g, m: g.standard_normal(m)
            )
            self.activity = np.exp(sigma * spread - sigma**2 / 2)
        strong = world.network.strong_adjacency()
        self.strong_ties = (strong.indptr, strong.indices)

    def offers(self, day: Day) -> Offers:
        """Store owners promote a product to their strong ties, who buy through the store.

        An offer may meet no open need of the friend (``has_need``): friends
        without one may still buy to help, at the no-need shift.
        """
        model, runs = self.model, self.model.runs
        state, catalogue = model.state, model.world.catalogue
        owners = np.flatnonzero(self.tree.is_owner)
        run = runs.of_consumers(owners)  # owners ascending: run by run
        platform = self.owner_platform[owners].astype(np.int64)
        rate = self.promote_rate[platform] * self.activity[owners]
        # one stream, drawn on in turn (each run's from its own): who promotes, a category each,
        # then the product's two uniforms
        promoting = self.draw(day, "promote", run, owners.size, _random) < np.minimum(rate, 1.0)
        owners, platform = owners[promoting], platform[promoting]
        run = None if run is None else run[promoting]
        weight = catalogue.need_rate.astype(np.float64)
        p = weight / weight.sum()
        category = self.draw(
            day, "promote", run, owners.size, lambda g, m: g.choice(weight.size, size=m, p=p)
        )
        if run is None:
            product = model.assortment.random_listed(
                category, platform, self.random(day, "promote")
            )
        else:
            u = self.draw(day, "promote", run, owners.size, _random)
            want = self.draw(day, "promote", run, owners.size, _random)
            # the two uniforms random_listed draws, each run's from its own stream
            product = model.assortment.random_listed(category, platform, _Drawn(u, want), run=run)
        listed = product >= 0
        owners, platform, category, product = (
            owners[listed],
            platform[listed],
            category[listed],
            product[listed],
        )
        strong_indptr, strong_indices = self.strong_ties
        promo, entry, _ = gather_rows(strong_indptr, owners)
        friend = strong_indices[entry]
        return Offers.build(
            friend,
            category[promo],
            product[promo],
            Source.STORE_OWNER,
            1.0,  # strong ties: the tie weight is 1
            platform[promo],
            channel=Channel.STORE,
            ref=owners[promo],
            has_need=state.need[friend, category[promo]],
        )

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Pay the commission on store sales up the seller's recruitment line."""
        store = orders.channel == Channel.STORE
        if not store.any():
            return
        seller, amount = orders.ref[store], price[store]
        tree, platform, runs = self.tree, self.owner_platform[seller], self.model.runs
        for p in np.unique(platform).tolist():
            on = platform == p
            levels = self.levels[..., p]  # one, or each run's
            recipient, commission, level = commission_flows(
                seller[on],
                amount[on].astype(np.float64),
                tree.parent,
                self.rates[p],
                int(levels.max()),
            )
            run = runs.of_consumers(recipient)
            if run is not None:  # each run's line paid only as deep as its own rules pay
                paid = level <= levels[run]
                recipient, commission, run = recipient[paid], commission[paid], run[paid]
            np.add.at(tree.income_selling, recipient, commission)
            # (level by level: each run's commissions in the order the run alone has them)
            day.add("store_commissions", runs.sums(commission, run))

    def after_sale(self, day: Day) -> None:
        """Owners recruit among their strong ties; on its day, a regulator acts."""
        self.recruit(day)
        self.regulate(day)

    def recruit(self, day: Day) -> None:
        """Owners pitch their store to strong ties; recruits pay the fee, recruiters a reward."""
        tree, state, runs = self.tree, self.model.state, self.model.runs
        if tree.n_owners == 0:
            return
        rng = self.generators(day, "recruit")  # one, or each run's
        consumer_run = runs.consumer_run  # None for one run
        owner_platform = self.owner_platform.astype(np.int64)
        home = np.maximum(owner_platform, 0)
        # Owners recruit only while recruiting pays them: a referral reward, or commission
        # on the recruit's sales (more than one level). One-level rules stop it.
        pays = (self.referral > 0) | (self.levels > 1)
        pays_home = pays[home] if consumer_run is None else pays[consumer_run, home]
        rate = np.where((owner_platform >= 0) & pays_home, self.recruit_rate[home], 0.0)
        fee = self.fee
        income = self.model.world.population.income

        def fee_of(consumer: np.ndarray, p: np.ndarray) -> np.ndarray:
            # platform p's fee, in the consumer's own run
            return fee[p] if consumer_run is None else fee[consumer_run[consumer], p]

        def accept(candidate: np.ndarray, recruiter: np.ndarray) -> np.ndarray:
            # Visible earnings make a pitch persuasive; a fee large against income puts off.
            p = home[recruiter]
            fee_p = fee_of(recruiter, p)
            # what the recruiter has made so far, net of the fee it paid to join
            earned = (
                tree.income_selling[recruiter]
                + tree.income_recruiting[recruiter]
                - self.fee_paid[recruiter]
            )
            monthly = np.maximum(income[candidate].astype(np.float64), 1.0)
            logit = (
                self.accept_base[p]
                + self.accept_income_weight[p] * earned / np.maximum(fee_p, 100.0)
                - self.accept_fee_weight[p] * fee_p / monthly
            )
            # The fee is an investment paid out of income, not the shopping budget.
            return np.where(monthly >= fee_p, expit(logit), 0.0)

        refusals: list[tuple[np.ndarray, np.ndarray]] = []
        recruits, recruiters = recruitment_attempts(
            tree,
            *self.strong_ties,
            attempt_rate=rate,
            accept_prob=accept,
            eligible=(state.status != ShopperStatus.OFFLINE) & ~self.refused,
            rng=rng,
            refusals=refusals,
            run=consumer_run,
        )
        # Some refusals are final: the odds of the platform of an owner turned down.
        refusing, turned_down = refusals[0]
        if refusing.size and self.refusal_final.any():
            final = self.refusal_final[home[turned_down]]
            # (refusing ascending: run by run, each run's from its own stream)
            refusing_run = None if consumer_run is None else consumer_run[refusing]
            drawn = _by_run(rng, refusing_run, refusing.size, _uniforms)
            self.refused[refusing[drawn < final]] = True
        if recruits.size == 0:
            return
        p = home[recruiters]
        run = runs.of_consumers(recruits)  # ascending: run by run
        referral = self.referral[p] if run is None else self.referral[run, p]
        paid = fee_of(recruits, p)
        np.add.at(tree.income_recruiting, recruiters, referral)
        self.fee_paid[recruits] = paid
        tree.add_owners(recruits, recruiters, day.step)
        self.owner_platform[recruits] = p
        state.set_uses(recruits, p)
        day.add("store_recruits", recruits.size if run is None else runs.count(run))
        day.add("store_fees", runs.sums(paid, run))
        day.add("store_referral_rewards", runs.sums(referral, run))

    def regulate(self, day: Day) -> None:
        """On its configured day, a regulator fines a scheme or forces one-level membership."""
        # Founders of trees past the criminal threshold: 3+ levels and 30+ owners.
        flagged = self.tree.pyramid_trees(min_levels=3, min_participants=30)
        names, runs = self.model.world.platforms.names, self.model.runs
        flagged_run = runs.of_consumers(flagged)
        for p in np.flatnonzero(self.enabled).tolist():
            rule = self.model.config.platforms[names[p]].micro_stores.regulation
            if rule.step != day.step:
                continue
            if flagged_run is None:
                if rule.only_if_flagged and not np.any(self.owner_platform[flagged] == p):
                    continue
                acts: Any = 1
                where: Any = p
            else:  # each run's regulator looks at its own trees
                acts = np.ones(runs.n, dtype=np.int64)
                if rule.only_if_flagged:
                    on_p = self.owner_platform[flagged] == p
                    acts = (np.bincount(flagged_run[on_p], minlength=runs.n) > 0).astype(np.int64)
                    if not acts.any():
                        continue
                where = (acts > 0, p)
            day.add("regulations", acts)
            if rule.action == "fine":
                day.add("regulation_fines", acts * rule.fine)
            else:  # fee-free, one level of commission, no pay per recruit
                self.fee[where] = 0.0
                self.referral[where] = 0.0
                self.levels[where] = 1
        if flagged_run is None:
            day.count["pyramid_trees"] = int(flagged.size)
        else:
            day.set("pyramid_trees", runs.count(flagged_run))

    def end_day(self, day: Day) -> None:
        """Measure the forest: owners, the deepest tree, recruiting's share of income."""
        tree, runs = self.tree, self.model.runs
        if not runs.batched:
            day.count["store_owners"] = tree.n_owners
            day.count["deepest_tree"] = tree.depth()
            selling, recruiting = tree.income_selling.sum(), tree.income_recruiting.sum()
            income = selling + recruiting
            day.total["recruiting_income_share"] = float(recruiting / income) if income > 0 else 0.0
            return
        # each run's forest: its own block of consumers, summed as the run alone sums it
        day.set("store_owners", runs.count_rows(tree.is_owner))
        day.set("deepest_tree", np.maximum.reduceat(tree.level, runs.consumer_start[:-1]))
        selling = runs.sums(tree.income_selling, runs.consumer_run)
        recruiting = runs.sums(tree.income_recruiting, runs.consumer_run)
        income = selling + recruiting
        share = np.divide(recruiting, income, out=np.zeros(runs.n), where=income > 0)
        day.set("recruiting_income_share", share)

    def owners_table(self) -> pd.DataFrame:
        """Every store owner: platform, recruiter, tree, level, join step and income so far."""
        tree = self.tree
        owner = np.flatnonzero(tree.is_owner)
        return pd.DataFrame(
            {
                "owner": owner,
                "platform": pd.Categorical.from_codes(
                    self.owner_platform[owner].astype(np.int64),
                    categories=list(self.model.world.platforms.names),
                ),
                "recruiter": tree.parent[owner],
                "founder": tree.root[owner],
                "level": tree.level[owner],
                "joined_step": tree.joined_step[owner],
                "income_selling": tree.income_selling[owner],
                "income_recruiting": tree.income_recruiting[owner],
            }
        )
