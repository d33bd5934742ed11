"""The social graph: close-knit city communities plus weak ties, as a sparse adjacency.

Each consumer's ties are of three kinds:

* **community** ties (strong): inside a close-knit community of the own city
  (a neighbourhood, a village, a workplace), a share ``community_tie_share``
  of the local ties;
* **city** ties (weak): to anyone in the same city;
* **national** ties (weak): to anyone anywhere, a share ``weak_tie_share`` of
  all ties (relatives and classmates who moved away).

Communities and cities are random graphs G(s, p) with p set so the expected
degree matches the config. Lower tiers have smaller communities that hold more
of each person's ties, so their communities are denser and more clustered than
in tier 1. The graph is generated straight into a SciPy CSR matrix: a million
consumers take about a second, where networkx generators take tens of seconds
(``shared/design.md``, "Scale").

References
----------
.. [1] "E-Commerce is Social in China's Small Cities" (2020): close-knit
   lower-tier communities with a strong sense of connectedness.
.. [2] M. Granovetter (1973), "The strength of weak ties", AJS 78(6).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse

from socialsim._csr import entry_rows, index_dtype, offsets, tie_strength
from socialsim.config.schema import NetworkConfig
from socialsim.world._common import freeze_arrays
from socialsim.world.population import Population

__all__ = ["SocialNetwork", "generate_social_network", "social_network_from_edges"]

# G(s, p) inside a block needs p < 1 for the Poisson pair-drawing trick below.
_MAX_DENSITY = 0.99
# Code of a strong tie copy when summing repeated pairs; weak copies count 1 (see below).
_STRONG = 1024.0


@dataclass(frozen=True, eq=False)
class SocialNetwork:
    """The undirected social graph between consumers.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array of float32
        Symmetric tie weights, no self-loops: 1 for a strong tie, the weak
        tie weight for a weak one. Row ``i`` lists consumer ``i``'s friends.
        Its arrays are read-only; do not replace them or change the matrix's
        structure (``setdiag`` and the like), or `strong` no longer lines up.
    strong : ndarray of bool
        Per stored entry of `adjacency` (aligned with ``adjacency.indices``):
        whether the tie is strong.
    community : ndarray of int32
        Community of each consumer; communities are nested in cities.
    """

    adjacency: sparse.csr_array
    strong: np.ndarray
    community: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n(self) -> int:
        """Number of consumers."""
        return int(self.adjacency.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of undirected ties."""
        return int(self.adjacency.nnz // 2)

    @cached_property
    def tie_strength(self) -> np.ndarray:
        """Each consumer's summed tie weight (float64, read-only), computed once."""
        strength = tie_strength(self.adjacency)
        strength.flags.writeable = False
        return strength

    def degree(self) -> np.ndarray:
        """Return the number of ties of each consumer (int32)."""
        return np.diff(self.adjacency.indptr).astype(np.int32)

    def friends(self, i: int) -> np.ndarray:
        """Return the indices of consumer `i`'s friends."""
        indptr = self.adjacency.indptr
        return self.adjacency.indices[indptr[i] : indptr[i + 1]]

    def strong_ties(self, i: int) -> np.ndarray:
        """Return the indices of consumer `i`'s strong-tie friends."""
        lo, hi = self.adjacency.indptr[i], self.adjacency.indptr[i + 1]
        return self.adjacency.indices[lo:hi][self.strong[lo:hi]]

    def strong_adjacency(self) -> sparse.csr_array:
        """Return the sub-graph of strong ties only, as a CSR matrix of ones.

        The adjacency's entries are already in CSR order, so the strong ones are
        kept where they are and the row pointers counted, without the sort of
        building the matrix anew (at 10M consumers: under a second, not 12 s).
        """
        adj = self.adjacency
        keep = self.strong
        kept_before = np.zeros(keep.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        indptr = kept_before[adj.indptr]
        indices = adj.indices[keep]
        index = index_dtype(indices.size)
        return sparse.csr_array(
            (np.ones(indices.size, dtype=np.float32), indices.astype(index), indptr.astype(index)),
            shape=adj.shape,
        )

    def to_networkx(
        self,
        node_attributes: dict[str, Sequence[Any]] | None = None,
        labels: Sequence[Hashable] | None = None,
    ) -> nx.Graph:
        """Return the graph as a :class:`networkx.Graph`.

        Parameters
        ----------
        node_attributes : dict of str to sequence, optional
            Per-consumer attributes to set on the nodes (``tier``, ``city``, ...).
        labels : sequence, optional
            Original node labels, stored as the ``label`` attribute.

        Returns
        -------
        networkx.Graph
            Nodes ``0..n-1`` (consumer indices) with attribute ``community``
            and the given attributes; edges with ``weight`` and ``tie``
            (``"strong"`` or ``"weak"``).
        """
        graph = nx.Graph()
        columns = {"community": self.community.tolist()}
        for name, values in (node_attributes or {}).items():
            columns[name] = values.tolist() if isinstance(values, np.ndarray) else list(values)
        if labels is not None:
            columns["label"] = list(labels)
        names = list(columns)
        graph.add_nodes_from(
            (i, dict(zip(names, row, strict=True)))
            for i, row in enumerate(zip(*columns.values(), strict=True))
        )
        adj = self.adjacency
        rows = entry_rows(adj.indptr)
        upper = rows < adj.indices
        kinds = np.where(self.strong[upper], "strong", "weak")
        graph.add_edges_from(
            (int(u), int(v), {"weight": float(w), "tie": t})
            for u, v, w, t in zip(
                rows[upper], adj.indices[upper], adj.data[upper], kinds, strict=True
            )
        )
        return graph


def generate_social_network(
    population: Population, config: NetworkConfig, rng: np.random.Generator
) -> SocialNetwork:
    """Generate the social graph of a population.

    Parameters
    ----------
    population : Population
        Consumers with their tiers and cities.
    config : NetworkConfig
        Mean degree, weak-tie share and weight, and per-tier community structure.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    SocialNetwork

    Notes
    -----
    Each block (community or city) of size ``s`` with target degree ``d``
    becomes G(s, p) with ``p = d / (s - 1)``, capped at 0.99. Rather than
    testing every pair, a Poisson number of random ordered pairs is drawn with
    mean ``-ln(1 - p) s^2 / 2``; by Poisson thinning each unordered pair is then
    hit independently with probability exactly ``p``, and duplicates collapse.
    Blocks too small for their target degree fall short of it, so tiny cities
    have fewer ties.

    Examples
    --------
    >>> from socialsim.config import ModelConfig
    >>> from socialsim.world.population import build_population
    >>> cfg = ModelConfig().with_overrides({"population.n_consumers": 5000})
    >>> rng = np.random.default_rng(7)
    >>> net = generate_social_network(build_population(cfg.population, rng), cfg.network, rng)
    >>> bool(13 < net.degree().mean() < 16)
    True
    """
    n = population.n
    tiers = np.arange(1, population.n_tiers + 1)
    size_by_tier = np.array([config.tiers[int(t)].community_size for t in tiers], dtype=np.float64)
    share_by_tier = np.array(
        [config.tiers[int(t)].community_tie_share for t in tiers], dtype=np.float64
    )
    local_degree = config.mean_degree * (1.0 - config.weak_tie_share)

    # Communities: split each city's (city-sorted) residents into near-equal consecutive runs.
    city_tier_index = population.city_tier.astype(np.int64) - 1
    city_size = population.city_size
    n_comm = np.maximum(1, np.rint(city_size / size_by_tier[city_tier_index])).astype(np.int64)
    n_comm[city_size == 0] = 0
    comm_offset = offsets(n_comm)
    sorted_city = np.repeat(np.arange(population.n_cities), city_size)
    pos_in_city = np.arange(n) - population.city_start[sorted_city]
    local_comm = pos_in_city * n_comm[sorted_city] // np.maximum(city_size[sorted_city], 1)
    sorted_comm = comm_offset[sorted_city] + local_comm
    community = np.empty(n, dtype=np.int32)
    community[population.city_order] = sorted_comm

    comm_size = np.bincount(sorted_comm, minlength=int(n_comm.sum()))
    comm_start = offsets(comm_size)
    comm_tier_index = np.repeat(city_tier_index, n_comm)

    u_comm, v_comm = _block_pairs(
        comm_start, comm_size, local_degree * share_by_tier[comm_tier_index], rng
    )
    u_city, v_city = _block_pairs(
        population.city_start, city_size, local_degree * (1 - share_by_tier[city_tier_index]), rng
    )
    n_national = rng.poisson(n * config.mean_degree * config.weak_tie_share / 2)
    u_nat = rng.integers(0, n, size=n_national)
    v_nat = rng.integers(0, n, size=n_national)

    # half-width indices halve the memory traffic of the (at 10M consumers, 150M long) edge lists
    index = index_dtype(n)
    order = population.city_order.astype(index)
    u = np.concatenate((order[u_comm], order[u_city], u_nat.astype(index)))
    v = np.concatenate((order[v_comm], order[v_city], v_nat.astype(index)))
    strong = np.concatenate((np.ones(u_comm.size, bool), np.zeros(u_city.size + n_national, bool)))
    return social_network_from_edges(
        n, u, v, strong, weak_tie_weight=config.weak_tie_weight, community=community
    )


def social_network_from_edges(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    strong: np.ndarray,
    *,
    weak_tie_weight: float,
    community: np.ndarray,
    weight: np.ndarray | None = None,
) -> SocialNetwork:
    """Build a :class:`SocialNetwork` from an edge list.

    Self-loops are dropped and repeated pairs collapse to one tie, strong if
    any copy is strong.

    Parameters
    ----------
    n : int
        Number of consumers.
    u, v : ndarray of int
        Edge endpoints.
    strong : ndarray of bool
        Whether each edge is a strong tie.
    weak_tie_weight : float
        Weight of weak ties; strong ties weigh 1.
    community : ndarray of int
        Community of each consumer.
    weight : ndarray of float, optional
        Explicit tie weights, overriding the strong/weak weights.

    Returns
    -------
    SocialNetwork
    """
    index = index_dtype(max(n, 2 * np.shape(u)[0]))
    u = np.asarray(u).astype(index, copy=False)
    v = np.asarray(v).astype(index, copy=False)
    strong = np.asarray(strong, dtype=bool)
    keep = u != v
    if not keep.all():
        u, v, strong = u[keep], v[keep], strong[keep]
    rows = np.concatenate((u, v))
    cols = np.concatenate((v, u))
    # SciPy's COO -> CSR conversion is a counting sort that sums repeated pairs; a code that
    # survives summation (each strong copy adds _STRONG, each weak copy adds 1) keeps what we
    # need to know about the copies without sorting the edge list ourselves.
    code = np.where(strong, np.float32(_STRONG), np.float32(1.0))  # float32 throughout
    codes = sparse.coo_array((np.concatenate((code, code)), (rows, cols)), shape=(n, n)).tocsr()
    codes.sum_duplicates()
    strong_entries = codes.data >= _STRONG
    if weight is None:
        w = np.where(strong_entries, np.float32(1.0), np.float32(weak_tie_weight))
    else:
        # repeated pairs (u-v and v-u in a directed graph, say) take their mean weight
        weight = np.asarray(weight, dtype=np.float32)[keep]
        sums = sparse.coo_array(
            (np.concatenate((weight, weight)), (rows, cols)), shape=(n, n)
        ).tocsr()
        sums.sum_duplicates()
        copies = np.floor_divide(codes.data, _STRONG) + np.mod(codes.data, _STRONG)
        w = (sums.data / copies).astype(np.float32)
    adjacency = sparse.csr_array((w, codes.indices, codes.indptr), shape=(n, n))
    return SocialNetwork(
        adjacency=adjacency,
        strong=strong_entries,
        community=np.array(community, dtype=np.int32),  # a copy: it is made read-only
    )


def _block_pairs(
    start: np.ndarray, size: np.ndarray, target_degree: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random G(s, p) edges inside consecutive blocks of positions.

    Returns positions (not consumer indices) of the endpoints; self-pairs and
    duplicates are removed later, when the adjacency is built.
    """
    s = size.astype(np.float64)
    p = np.minimum(target_degree / np.maximum(s - 1.0, 1.0), _MAX_DENSITY)
    p[size < 2] = 0.0
    draws = rng.poisson(-np.log1p(-p) * s * s / 2.0)
    index = index_dtype(int(start[-1] + size[-1]) if size.size else 0)
    block = np.repeat(np.arange(size.size, dtype=index), draws)
    width = s[block]
    first = start.astype(index)[block]
    u = first + (rng.random(block.size) * width).astype(index)
    v = first + (rng.random(block.size) * width).astype(index)
    return u, v
