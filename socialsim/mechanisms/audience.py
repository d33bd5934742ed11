"""Creators' audiences today: who follows each KOL and KOC, and how much they trust it.

The world builds each creator's followers and prospective followers once
(:class:`~socialsim.world.influencers.Influencers`); during a run livestreams
win KOLs followers among their prospects and lose them some, and returned
livestream orders cut trust. :class:`Audience` holds that changing state, for
posts, sponsored posts and livestreams to reach, and for agents to read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from socialsim._csr import entry_rows, find_entries
from socialsim.world.influencers import Influencers

__all__ = ["Audience", "current_followers"]


@dataclass(eq=False)
class Audience:
    """Followers and prospective followers of every creator, with today's trust.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        Creators (KOLs first, then KOCs) by consumers; an entry for every
        follower and prospective follower, sorted within rows (the entry
        lookups need it). Its ``data`` is today's trust (a writable copy).
    active : ndarray of bool
        Per entry, whether the consumer follows the creator today.

    Examples
    --------
    >>> from socialsim import ModelConfig, SocialCommerceModel
    >>> model = SocialCommerceModel(ModelConfig.small(), rng=1)
    >>> followers, trust = model.audience.current(0)
    >>> followers.size == trust.size == int(model.audience.counts(np.array([0]))[0])
    True
    """

    matrix: sparse.csr_array
    active: np.ndarray

    @classmethod
    def of(cls, influencers: Influencers) -> Audience:
        """Stack the world's followers and prospects into one matrix; prospects start inactive."""
        follows, prospects = influencers.follows, influencers.prospects
        matrix = sparse.csr_array(follows + prospects, dtype=np.float32)
        matrix.sort_indices()
        matrix.data = matrix.data.copy()
        # Which entries are follows: the same sum with follows marked 2 and prospects 1 has the
        # same entries in the same order (no sum of positive values is 0), so the mark says;
        # a binary search per entry did the same in 7 s at 10M consumers.
        marks = sparse.csr_array(_ones(follows) * 2 + _ones(prospects), dtype=np.float32)
        marks.sort_indices()
        if np.array_equal(marks.indptr, matrix.indptr) and np.array_equal(
            marks.indices, matrix.indices
        ):
            return cls(matrix, marks.data >= 2)
        rows = entry_rows(matrix.indptr)  # a sum cancelled to 0 somewhere: search entry by entry
        current = follows.copy()
        current.sort_indices()
        active = find_entries(current.indptr, current.indices, rows, matrix.indices) >= 0
        return cls(matrix, active)

    @property
    def trust(self) -> np.ndarray:
        """Today's trust of every entry (the matrix's data: changing it changes the matrix)."""
        return self.matrix.data

    @property
    def indptr(self) -> np.ndarray:
        """The matrix's row pointers (one row per creator)."""
        return self.matrix.indptr

    def current(self, creator: int) -> tuple[np.ndarray, np.ndarray]:
        """Return a creator's current followers and their trust in it today (copies)."""
        lo, hi = self.matrix.indptr[creator], self.matrix.indptr[creator + 1]
        active = self.active[lo:hi]
        return self.matrix.indices[lo:hi][active], self.trust[lo:hi][active].copy()

    def counts(self, creators: np.ndarray) -> np.ndarray:
        """Return how many current followers each of `creators` has."""
        return current_followers(self.matrix.indptr, self.active, creators)

    def active_follows(self, n_creators: int) -> int:
        """Return the current follows of the first `n_creators` creators (the KOLs)."""
        end = int(self.matrix.indptr[n_creators])
        return int(np.count_nonzero(self.active[:end]))


def current_followers(indptr: np.ndarray, active: np.ndarray, creators: np.ndarray) -> np.ndarray:
    """Count each creator's current followers in an audience matrix.

    Parameters
    ----------
    indptr : ndarray of int
        Row pointer of the creator-by-consumer audience matrix.
    active : ndarray of bool
        Per entry: whether that consumer currently follows.
    creators : ndarray of int
        The creators to count.

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> active = np.array([True, False, True, True])
    >>> current_followers(np.array([0, 2, 2, 4]), active, np.array([0, 1, 2])).tolist()
    [1, 0, 2]
    """
    creators = np.asarray(creators, dtype=np.int64)
    start, end = indptr[creators].astype(np.int64), indptr[creators + 1].astype(np.int64)
    # Entries less the inactive ones, found by binary search among the (few) inactive
    # entries: four times faster than a running count over all entries.
    inactive = np.flatnonzero(~np.asarray(active, dtype=bool))
    gone = np.searchsorted(inactive, end) - np.searchsorted(inactive, start)
    return (end - start - gone).astype(np.int64)


def _ones(matrix: sparse.csr_array) -> sparse.csr_array:
    """Return the matrix's stored entries, each 1 (explicit zeros included)."""
    return sparse.csr_array(
        (np.ones(matrix.data.size, dtype=np.float32), matrix.indices, matrix.indptr),
        shape=matrix.shape,
    )
