"""Daigou: personal shoppers and the clients they buy imports for.

A daigou (代购, "buying on behalf") is a consumer who orders imported goods
for friends and WeChat contacts and resells them with a service fee. Daigou
are drawn uniformly among online consumers who hold no other role; a daigou's
clients are all of its friends (strong and weak ties) plus a number of WeChat
contacts anywhere in the country (heavy-tailed, Lomax with shape 2, so that a
few daigou are much busier than most), each with a Beta-distributed trust in the daigou.

References
----------
.. [1] Jing Daily (2019), "On WeChat, Daigou Get Creative to Skirt New
   E-Commerce Law": daigou sell imports to clients through WeChat; the 2019
   E-commerce Law brought them under scrutiny.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from socialsim._csr import gather_rows
from socialsim.config.schema import DaigouConfig
from socialsim.world._common import beta_around, candidates_for, freeze_arrays
from socialsim.world.network import SocialNetwork
from socialsim.world.population import Population

__all__ = ["Daigou", "build_daigou"]


@dataclass(frozen=True, eq=False)
class Daigou:
    """The daigou of a world and their clients.

    Attributes
    ----------
    shopper : ndarray of int32
        Consumer index of each daigou, sorted.
    clients : scipy.sparse.csr_array of float32, shape (n_daigou, n_consumers)
        Row ``d`` holds daigou ``d``'s clients; the value is the client's trust
        in the daigou, 0-1. Indices are int32.
    """

    shopper: np.ndarray
    clients: sparse.csr_array

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of daigou."""
        return int(self.shopper.shape[0])


def build_daigou(
    population: Population,
    network: SocialNetwork,
    eligible: np.ndarray,
    config: DaigouConfig,
    trust_concentration: float,
    rng: np.random.Generator,
) -> Daigou:
    """Choose the daigou among eligible consumers and give each its clients.

    Parameters
    ----------
    population : Population
        The consumers.
    network : SocialNetwork
        The social graph: a daigou's friends are all its clients.
    eligible : ndarray of bool, shape (n_consumers,)
        Who may become a daigou (online consumers with no other role).
    config : DaigouConfig
        Head count, extra clients and trust.
    trust_concentration : float
        Concentration (alpha + beta) of the Beta draws of trust.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Daigou

    Raises
    ------
    ConfigError
        If fewer consumers are eligible than ``config.n_shoppers``.

    Examples
    --------
    >>> from socialsim.config import ModelConfig
    >>> from socialsim.enums import Role
    >>> from socialsim.world import build_world
    >>> world = build_world(ModelConfig.small(3000), np.random.default_rng(1))
    >>> world.daigou.n, bool((world.role[world.daigou.shopper] == Role.DAIGOU).all())
    (3, True)
    """
    n = population.n
    candidates = candidates_for(
        eligible,
        config.n_shoppers,
        "daigou.n_shoppers",
        "online consumers without another role (daigou are drawn among them)",
    )
    shopper = np.sort(rng.choice(candidates, size=config.n_shoppers, replace=False))
    owner, entry, _ = gather_rows(network.adjacency.indptr, shopper)
    friends = network.adjacency.indices[entry].astype(np.int64)
    # Lomax (Pareto II) with shape 2, whose mean is its scale: most daigou serve a few
    # dozen contacts, a busy few many hundreds.
    extra = np.floor(config.extra_clients * rng.pareto(2.0, size=shopper.size)).astype(np.int64)
    extra_rows = np.repeat(np.arange(shopper.size), extra)
    contacts = rng.integers(0, n, size=extra_rows.size)
    rows = np.concatenate((owner, extra_rows))
    cols = np.concatenate((friends, contacts))
    not_self = cols != shopper[rows]
    clients = sparse.csr_array(
        (np.ones(int(not_self.sum()), dtype=np.float32), (rows[not_self], cols[not_self])),
        shape=(shopper.size, n),
    )
    clients.sum_duplicates()
    mean = np.full(clients.nnz, config.trust)
    clients.data = beta_around(mean, trust_concentration, rng).astype(np.float32)
    clients.indices = clients.indices.astype(np.int32)
    clients.indptr = clients.indptr.astype(np.int32)
    return Daigou(shopper=shopper.astype(np.int32), clients=clients)
