"""Several runs' worlds as disjoint blocks of one world: the layout of a batched ensemble.

A sweep's small runs spend most of a step on fixed costs (thousands of small
NumPy calls a day), not on their consumers. Running K of them as one world
whose arrays hold every run's entities in disjoint blocks pays those calls
once for all K (``docs/performance.md``, "Batched runs"). :func:`union_of_worlds`
builds that world from K worlds of one config (replications: the same
config, different seeds), and a :class:`RunLayout` says, for every kind of
entity, which run each entity of the union belongs to and which entity it is
in its own run's world.

Nothing links two runs' blocks: a consumer's friends, followers, clients
and products are all of its own run. Platforms, categories and tiers are not
entities of a run: the union has the same platforms and categories as each
world, and what is per platform in a run (its state, its counters) becomes
per run and platform in an ensemble.

The order of the union keeps the orders the model relies on:

==============  ===========================================================
entity          order in the union
==============  ===========================================================
consumer        run by run (run ``k``'s consumers are one contiguous block)
city            run by run
community       run by run
creator         every run's KOLs, run by run, then every run's KOCs: KOLs
                keep creator indices ``0 .. n_kols - 1``
product         category by category, and within a category run by run:
                products of one category stay consecutive
brand           run by run
store           run by run
daigou          run by run (so shoppers stay sorted by consumer)
==============  ===========================================================

Examples
--------
>>> from socialsim import ModelConfig
>>> from socialsim.world import build_world
>>> config = ModelConfig.small()
>>> worlds = [build_world(config, np.random.default_rng(s)) for s in (1, 2)]
>>> union, layout = union_of_worlds(worlds)
>>> union.n_consumers == worlds[0].n_consumers + worlds[1].n_consumers
True
>>> layout.consumer.local_of(np.array([0, worlds[0].n_consumers])).tolist()
[0, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from socialsim._csr import index_dtype, offsets
from socialsim.enums import InfluencerKind
from socialsim.world.brands import Brands
from socialsim.world.catalogue import Catalogue
from socialsim.world.daigou import Daigou
from socialsim.world.influencers import Influencers
from socialsim.world.network import SocialNetwork
from socialsim.world.platforms import PlatformSetup
from socialsim.world.population import Population
from socialsim.world.stores import Stores
from socialsim.world.world import World

__all__ = ["EntityRuns", "RunLayout", "union_of_worlds"]


@dataclass(frozen=True, eq=False)
class EntityRuns:
    """Where the entities of one kind in a union come from.

    Attributes
    ----------
    run : ndarray of int32
        The run of each entity of the union.
    local : ndarray of int64
        Each entity's index in its own run's world.
    start : ndarray of int64, shape (K + 1,)
        Run ``k`` has ``start[k + 1] - start[k]`` entities of this kind.
    members : ndarray of int64
        The union's entities run by run, each run's in its local order: run
        ``k``'s local entity ``j`` is ``members[start[k] + j]``.
    """

    run: np.ndarray
    local: np.ndarray
    start: np.ndarray
    members: np.ndarray

    @classmethod
    def from_order(cls, run: np.ndarray, local: np.ndarray, counts: np.ndarray) -> EntityRuns:
        """Describe a union whose entity ``i`` is run ``run[i]``'s entity ``local[i]``.

        Parameters
        ----------
        run, local : ndarray of int
            Per entity of the union.
        counts : ndarray of int, shape (K,)
            Entities of this kind in each run (every local index of a run once).

        Returns
        -------
        EntityRuns

        Raises
        ------
        ValueError
            If some run's local indices are not each of ``0 .. counts[k] - 1`` once.

        Examples
        --------
        >>> e = EntityRuns.from_order(np.array([1, 0, 0]), np.array([0, 1, 0]), np.array([2, 1]))
        >>> e.members.tolist(), e.global_of(np.array([0, 1]), np.array([1, 0])).tolist()
        ([2, 1, 0], [1, 0])
        """
        run = np.asarray(run, dtype=np.int32)
        local = np.asarray(local, dtype=np.int64)
        start = _bounds(counts)
        members = np.full(int(start[-1]), -1, dtype=np.int64)
        if run.shape != local.shape or run.size != members.size:
            raise ValueError(f"{run.size} entities for {members.size} local indices")
        slot = start[run] + local
        if run.size and (
            (local < 0).any()
            or (local >= np.diff(start)[run]).any()
            or np.bincount(slot, minlength=members.size).max() > 1
        ):
            raise ValueError("each run's local indices must be 0 .. count - 1, once each")
        members[slot] = np.arange(run.size)
        return cls(run, local, start, members)

    @property
    def n_runs(self) -> int:
        """Number of runs K."""
        return int(self.start.size - 1)

    def counts(self) -> np.ndarray:
        """Entities of this kind in each run."""
        return np.diff(self.start)

    def global_of(self, run: np.ndarray | int, local: np.ndarray | int) -> np.ndarray:
        """Return the union's index of run `run`'s entity `local`."""
        return self.members[self.start[run] + local]

    def local_of(self, index: np.ndarray) -> np.ndarray:
        """Return the local index (in its run's world) of each of the union's entities `index`."""
        return self.local[index]

    def run_of(self, index: np.ndarray) -> np.ndarray:
        """Return the run of each of the union's entities `index`."""
        return self.run[index]

    def of_run(self, k: int) -> np.ndarray:
        """Return run `k`'s entities in the union, in their local order."""
        return self.members[self.start[k] : self.start[k + 1]]


@dataclass(frozen=True, eq=False)
class RunLayout:
    """Which run each entity of a union of K worlds belongs to (see the module docstring).

    Attributes
    ----------
    consumer, city, community, creator, product, brand, store, daigou : EntityRuns
    """

    consumer: EntityRuns
    city: EntityRuns
    community: EntityRuns
    creator: EntityRuns
    product: EntityRuns
    brand: EntityRuns
    store: EntityRuns
    daigou: EntityRuns

    @property
    def n_runs(self) -> int:
        """Number of runs K."""
        return self.consumer.n_runs


def _bounds(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    """Return ``[0, c0, c0 + c1, ...]``: where each run's block starts, and the total."""
    return np.concatenate([[0], np.cumsum(np.asarray(counts, dtype=np.int64))]).astype(np.int64)


def _run_major(counts: Sequence[int]) -> EntityRuns:
    """Return the layout of entities stacked run by run."""
    counts = np.asarray(counts, dtype=np.int64)
    start = _bounds(counts)
    run = np.repeat(np.arange(counts.size, dtype=np.int32), counts)
    local = np.arange(int(start[-1]), dtype=np.int64) - start[run]
    return EntityRuns(run, local, start, np.arange(int(start[-1]), dtype=np.int64))


def _pieces_layout(pieces: list[tuple[int, int, int]], counts: Sequence[int]) -> EntityRuns:
    """Return the layout of a union made of pieces ``(run, first local, count)``, in order."""
    run = np.concatenate(
        [np.zeros(0, np.int32)] + [np.full(n, k, dtype=np.int32) for k, _, n in pieces]
    )
    local = np.concatenate(
        [np.zeros(0, np.int64)] + [np.arange(lo, lo + n, dtype=np.int64) for _, lo, n in pieces]
    )
    return EntityRuns.from_order(run, local, np.asarray(counts))


def _stack_rows(
    matrices: Sequence[sparse.csr_array],
    pieces: list[tuple[int, int, int]],
    column_offset: np.ndarray,
    n_columns: int,
) -> sparse.csr_array:
    """Stack row pieces ``(run, first row, rows)`` of CSR matrices, shifting their columns.

    Each row keeps its entries in their stored order, so arrays aligned with a
    matrix's entries (the strong ties) can be stacked the same way.
    """
    indptr, indices, data = [np.zeros(1, np.int64)], [], []
    at = 0
    for k, lo, n in pieces:
        m = matrices[k]
        first, last = int(m.indptr[lo]), int(m.indptr[lo + n])
        indptr.append(m.indptr[lo + 1 : lo + n + 1].astype(np.int64) - first + at)
        indices.append(m.indices[first:last].astype(np.int64) + column_offset[k])
        data.append(m.data[first:last])
        at += last - first
    indptr_all = np.concatenate(indptr)
    dtype = index_dtype(max(n_columns, at))
    dtype_data = matrices[0].data.dtype if matrices else np.float32
    return sparse.csr_array(
        (
            np.concatenate([np.zeros(0, dtype_data), *data]),
            np.concatenate([np.zeros(0, np.int64), *indices]).astype(dtype),
            indptr_all.astype(dtype),
        ),
        shape=(len(indptr_all) - 1, n_columns),
    )


def _entries(matrices: Sequence[sparse.csr_array], pieces, values: Sequence[np.ndarray]):
    """Stack per-entry arrays (aligned with each matrix's entries) as :func:`_stack_rows` does."""
    out = [values[0][:0]]
    for k, lo, n in pieces:
        m = matrices[k]
        out.append(values[k][int(m.indptr[lo]) : int(m.indptr[lo + n])])
    return np.concatenate(out)


def _shift(index: np.ndarray, by: int) -> np.ndarray:
    """Shift indices into a run's block by `by`, leaving -1 ("none") as it is; same dtype."""
    return np.where(index >= 0, index + by, index).astype(index.dtype)


def _same(worlds: Sequence[World], what: str, arrays: list[np.ndarray]) -> None:
    """Refuse worlds that differ in something the union keeps once (a category's rate)."""
    for k, array in enumerate(arrays[1:], start=1):
        if array.shape != arrays[0].shape or not np.array_equal(array, arrays[0]):
            raise ValueError(f"the worlds differ in {what} (run 0 and run {k}): one config only")


def union_of_worlds(worlds: Sequence[World]) -> tuple[World, RunLayout]:
    """Return K worlds of one config as one world of K disjoint blocks, and its layout.

    Parameters
    ----------
    worlds : sequence of World
        Worlds built from one config (the same world sections,
        :func:`socialsim.world.cache.world_key`), usually from different
        seeds; none built from a user's graph.

    Returns
    -------
    world : World
        The union, with the first world's config. Brand names repeat from run
        to run.
    layout : RunLayout
        Each entity's run and local index.

    Raises
    ------
    ValueError
        If there is no world, a world was built from a user's graph, or the
        worlds' configs describe different worlds.

    Examples
    --------
    >>> from socialsim import ModelConfig
    >>> from socialsim.world import build_world
    >>> world = build_world(ModelConfig.small(), np.random.default_rng(3))
    >>> union, layout = union_of_worlds([world])
    >>> bool((union.catalogue.price == world.catalogue.price).all()), layout.n_runs
    (True, 1)
    """
    from socialsim.world.cache import world_key

    if not worlds:
        raise ValueError("a union needs at least one world")
    if any(w.labels is not None for w in worlds):
        raise ValueError("worlds built from a user's graph cannot be batched")
    key = world_key(worlds[0].config)
    for k, w in enumerate(worlds[1:], start=1):
        if world_key(w.config) != key:
            raise ValueError(
                f"run {k}'s world is built from another config than run 0's: a batch holds "
                "replications of one world config"
            )
    names = worlds[0].platforms.names
    _same(worlds, "platforms", [np.array(w.platforms.names) for w in worlds])
    catalogues = [w.catalogue for w in worlds]
    for what in ("need_rate", "durable", "influencer_affinity"):
        _same(worlds, f"the categories' {what}", [getattr(c, what) for c in catalogues])
    _same(worlds, "categories", [np.array(c.category_names) for c in catalogues])

    n = np.array([w.n_consumers for w in worlds], dtype=np.int64)
    consumer_at = offsets(n)
    consumer = _run_major(n)

    # population: consumers and cities run by run
    pops = [w.population for w in worlds]
    n_cities = np.array([p.n_cities for p in pops], dtype=np.int64)
    city_at = offsets(n_cities)
    city_size = np.concatenate([p.city_size for p in pops]).astype(np.int64)
    population = Population(
        tier=np.concatenate([p.tier for p in pops]),
        city=np.concatenate([p.city + city_at[k] for k, p in enumerate(pops)]).astype(
            pops[0].city.dtype
        ),
        income=np.concatenate([p.income for p in pops]),
        price_sensitivity=np.concatenate([p.price_sensitivity for p in pops]),
        online=np.concatenate([p.online for p in pops]),
        high_net_worth=np.concatenate([p.high_net_worth for p in pops]),
        city_tier=np.concatenate([p.city_tier for p in pops]),
        city_order=np.concatenate(
            [p.city_order + consumer_at[k] for k, p in enumerate(pops)]
        ).astype(pops[0].city_order.dtype),
        city_start=offsets(city_size),
        city_size=city_size,
        n_tiers=pops[0].n_tiers,
    )

    # the social graph: one block per run
    nets = [w.network for w in worlds]
    n_communities = np.array(
        [int(net.community.max()) + 1 if net.community.size else 0 for net in nets], np.int64
    )
    community_at = offsets(n_communities)
    whole = [(k, 0, int(n[k])) for k in range(len(worlds))]
    adjacency = [net.adjacency for net in nets]
    network = SocialNetwork(
        adjacency=_stack_rows(adjacency, whole, consumer_at, int(n.sum())),
        strong=_entries(adjacency, whole, [net.strong for net in nets]),
        community=np.concatenate(
            [net.community + community_at[k] for k, net in enumerate(nets)]
        ).astype(nets[0].community.dtype),
    )

    # creators: every run's KOLs, then every run's KOCs
    infls = [w.influencers for w in worlds]
    n_kols = [i.n_kols for i in infls]
    for k, i in enumerate(infls):
        if not (i.kind[: n_kols[k]] == InfluencerKind.KOL).all():
            raise ValueError(f"run {k}'s creators do not list their KOLs first")
    creator_pieces = [(k, 0, n_kols[k]) for k in range(len(worlds))]
    creator_pieces += [(k, n_kols[k], infls[k].n - n_kols[k]) for k in range(len(worlds))]

    def creators(field: str) -> np.ndarray:
        return np.concatenate(
            [getattr(infls[k], field)[lo : lo + m] for k, lo, m in creator_pieces]
        )

    creator_consumer = np.concatenate(
        [_shift(infls[k].consumer[lo : lo + m], consumer_at[k]) for k, lo, m in creator_pieces]
    )
    influencers = Influencers(
        kind=creators("kind"),
        consumer=creator_consumer,
        segment=creators("segment"),
        focus_tier=creators("focus_tier"),
        post_rate=creators("post_rate"),
        post_reach=creators("post_reach"),
        follows=_stack_rows([i.follows for i in infls], creator_pieces, consumer_at, int(n.sum())),
        prospects=_stack_rows(
            [i.prospects for i in infls], creator_pieces, consumer_at, int(n.sum())
        ),
    )
    creator = _pieces_layout(creator_pieces, [i.n for i in infls])

    # stores and daigou, run by run
    stores = Stores(
        owner=np.concatenate(
            [w.stores.owner + consumer_at[k] for k, w in enumerate(worlds)]
        ).astype(worlds[0].stores.owner.dtype)
    )
    shoppers = [w.daigou for w in worlds]
    daigou = Daigou(
        shopper=np.concatenate([d.shopper + consumer_at[k] for k, d in enumerate(shoppers)]).astype(
            shoppers[0].shopper.dtype
        ),
        clients=_stack_rows(
            [d.clients for d in shoppers],
            [(k, 0, d.n) for k, d in enumerate(shoppers)],
            consumer_at,
            int(n.sum()),
        ),
    )

    # brands run by run; products category by category, run by run within one
    brand_sets = [w.brands for w in worlds]
    n_brands = np.array([b.n_brands for b in brand_sets], dtype=np.int64)
    brand_at = offsets(n_brands)
    brands = Brands(
        names=tuple(name for b in brand_sets for name in b.names),
        positioning=np.concatenate([b.positioning for b in brand_sets]),
        origin=np.concatenate([b.origin for b in brand_sets]),
        category=np.concatenate([b.category for b in brand_sets]),
        exports=np.concatenate([b.exports for b in brand_sets]),
        channel=np.concatenate([b.channel for b in brand_sets], axis=1),
        named=np.concatenate([b.named for b in brand_sets]),
    )
    product_pieces = [
        (k, int(c.category_start[cat]), int(c.category_size[cat]))
        for cat in range(catalogues[0].n_categories)
        for k, c in enumerate(catalogues)
    ]

    def products(field: str) -> np.ndarray:
        return np.concatenate(
            [getattr(catalogues[k], field)[lo : lo + m] for k, lo, m in product_pieces]
        )

    brand_of = np.concatenate(
        [_shift(catalogues[k].brand[lo : lo + m], brand_at[k]) for k, lo, m in product_pieces]
    )
    category_size = np.sum([c.category_size for c in catalogues], axis=0).astype(np.int64)
    first = catalogues[0]
    catalogue = Catalogue(
        category_names=first.category_names,
        category=products("category"),
        price=products("price"),
        quality=products("quality"),
        category_start=offsets(category_size),
        category_size=category_size,
        need_rate=first.need_rate,
        durable=first.durable,
        influencer_affinity=first.influencer_affinity,
        cross_border=products("cross_border"),
        tax_rate=products("tax_rate"),
        made_to_order=products("made_to_order"),
        brand=brand_of,
    )
    product = _pieces_layout(product_pieces, [c.n_products for c in catalogues])

    setups = [w.platforms for w in worlds]
    platforms = PlatformSetup(
        names=names,
        initial_users=np.concatenate([s.initial_users for s in setups]),
        kol_platform=np.concatenate([s.kol_platform for s in setups]),
        store_platform=np.concatenate([s.store_platform for s in setups]),
    )
    union = World(
        config=worlds[0].config,
        population=population,
        network=network,
        influencers=influencers,
        stores=stores,
        daigou=daigou,
        catalogue=catalogue,
        platforms=platforms,
        role=np.concatenate([w.role for w in worlds]),
        pay_day=np.concatenate([w.pay_day for w in worlds]),
        brands=brands,
    )
    layout = RunLayout(
        consumer=consumer,
        city=_run_major(n_cities),
        community=_run_major(n_communities),
        creator=creator,
        product=product,
        brand=_run_major(n_brands),
        store=_run_major([w.stores.n for w in worlds]),
        daigou=_run_major([d.n for d in shoppers]),
    )
    return union, layout
