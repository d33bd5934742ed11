"""Micro-store owners: consumers who resell to the people they know.

Owners are drawn among online consumers with weights proportional to their
number of strong ties: a micro-store lives off its owner's close community
(Yunji / Beidian style social reselling, ``shared/domain.md``, "Micro-stores").

References
----------
.. [1] KrASIA / Nikkei; Fung Business Intelligence: Yunji had 7.4 M store
   owners at the end of 2018, selling to friends for a commission.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsim._csr import entry_rows
from socialsim.world._common import candidates_for, freeze_arrays
from socialsim.world.network import SocialNetwork

__all__ = ["Stores", "choose_store_owners"]


@dataclass(frozen=True, eq=False)
class Stores:
    """The micro-stores of a world.

    Attributes
    ----------
    owner : ndarray of int32
        Consumer index of each store's owner.
    """

    owner: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of stores."""
        return int(self.owner.shape[0])


def choose_store_owners(
    network: SocialNetwork,
    eligible: np.ndarray,
    n_owners: int,
    rng: np.random.Generator,
) -> Stores:
    """Choose store owners among eligible consumers, favouring well-embedded ones.

    Parameters
    ----------
    network : SocialNetwork
        The social graph; weights are strong-tie counts (plus one, so that
        isolated consumers can still be chosen).
    eligible : ndarray of bool
        Which consumers may own a store.
    n_owners : int
        How many owners to choose.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Stores

    Raises
    ------
    ConfigError
        If fewer consumers are eligible than owners are wanted.
    """
    if n_owners == 0:
        return Stores(owner=np.empty(0, dtype=np.int32))
    candidates = candidates_for(
        eligible,
        n_owners,
        "stores.n_owners",
        "consumers who can own a store (online shoppers who are not KOCs)",
    )
    rows = entry_rows(network.adjacency.indptr)
    strong_degree = np.bincount(rows[network.strong], minlength=network.n)
    weights = strong_degree[candidates] + 1.0
    owners = rng.choice(candidates, size=n_owners, replace=False, p=weights / weights.sum())
    return Stores(owner=np.sort(owners).astype(np.int32))
