"""Influencer content: KOLs post products, KOCs review what they bought.

Each day a creator posts with its ``post_rate``. A KOL picks a category by the
categories' influencer affinity (beauty, mother-and-baby and fashion first)
and a product in it; a KOC reviews its most recent purchase, if it bought
within the word-of-mouth window. Each follower sees a post with the creator's
``post_reach``; a follower with an open need in the category gets an offer
carrying its trust in the creator, and a follower without one develops the
need with probability ``post_sparks_need``.

References
----------
.. [1] Azoya, "4 things you should know about KOL marketing in China":
   influencers work best in beauty, cosmetics, mother-and-baby and fashion,
   and turn unknown products into "dark horses".
.. [2] pkmarketing; eac-consulting: KOCs are consumers with small, trusted
   audiences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from socialsim._arrays import take_at
from socialsim._csr import gather_rows
from socialsim._random import bernoulli_from_bytes, byte_levels
from socialsim.columns import MetricColumn
from socialsim.enums import InfluencerKind, Source
from socialsim.mechanisms.component import Component
from socialsim.mechanisms.offers import Offers
from socialsim.state import NEVER, ConsumerState, latest_purchase
from socialsim.world.catalogue import Catalogue
from socialsim.world.influencers import Influencers

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.assortment import Assortment
    from socialsim.runs import Runs

__all__ = ["CreatorPosts", "Posts", "draw_posts", "post_offers"]


@dataclass(frozen=True, eq=False)
class Posts:
    """Posts of one day: the creator, the product and the platform of each."""

    creator: np.ndarray
    product: np.ndarray
    platform: np.ndarray

    def __len__(self) -> int:
        return int(self.creator.shape[0])


class _RunStreams:
    """A generator's ``random`` for items of several runs: each run's from its own stream.

    Run ``k``'s items (in array order) get ``generators[k].random(n_k)``, what
    run ``k`` alone draws for them; for code that draws with ``rng.random(n)``
    (:meth:`~socialsim.mechanisms.assortment.Assortment.random_listed`).
    """

    def __init__(self, generators: Sequence[np.random.Generator], run: np.ndarray) -> None:
        self._generators, self._run = generators, np.asarray(run)

    def random(self, size: Any = None, dtype: type = np.float64) -> np.ndarray:
        """Return one uniform per item (``size`` must be the number of items)."""
        run = self._run
        wanted = run.size if size is None else int(np.prod(size))
        if wanted != run.size:
            raise ValueError(f"one number per item ({run.size}), not {wanted}")
        order = np.argsort(run, kind="stable")
        counts = np.bincount(run, minlength=len(self._generators))
        drawn = np.concatenate(
            [np.zeros(0, dtype)]
            + [g.random(int(m), dtype) for g, m in zip(self._generators, counts, strict=True) if m]
        )
        out = np.empty_like(drawn)
        out[order] = drawn
        return out


@dataclass(frozen=True, eq=False)
class _EntryRuns:
    """Where the entries of the union's audience matrix are in their own runs' matrices.

    Attributes
    ----------
    generators : list of numpy.random.Generator
        Each run's stream of the reach draws.
    creator_run : ndarray of int
        Each creator's run.
    local_shift : ndarray of int64
        Per creator: add it to the union's entry to get the entry in its run's matrix.
    entry_base : ndarray of int64, shape (K + 1,)
        Where each run's entries start when the runs' entries are laid end to end.
    """

    generators: list
    creator_run: np.ndarray
    local_shift: np.ndarray
    entry_base: np.ndarray

    @classmethod
    def of(cls, indptr: np.ndarray, runs: Runs, generators: list) -> _EntryRuns:
        """Locate each creator's row of a creator-by-consumer matrix in its run's matrix."""
        layout = runs.layout.creator
        length = np.diff(indptr).astype(np.int64)
        in_order = length.take(layout.members)  # run by run, each run's rows in local order
        starts = np.cumsum(in_order) - in_order
        entry_base = np.concatenate(([0], np.cumsum(in_order)))[layout.start]
        local_start = np.empty_like(starts)
        local_start[layout.members] = starts - np.repeat(entry_base[:-1], layout.counts())
        shift = local_start - indptr[:-1].astype(np.int64)
        return cls(generators, layout.run, shift, entry_base)


def draw_posts(
    influencers: Influencers,
    catalogue: Catalogue,
    state: ConsumerState,
    step: int,
    window_days: int,
    rng: np.random.Generator,
    *,
    kol_platform: np.ndarray | None = None,
    assortment: Assortment | None = None,
    runs: Runs | None = None,
) -> Posts:
    """Decide who posts today and about what.

    A KOL posts on its home platform, a product that platform sells; a KOC
    reviews its latest purchase where it bought it (if that platform still sells it).

    Parameters
    ----------
    influencers : Influencers
        The creators.
    catalogue : Catalogue
        Products and category affinities.
    state : ConsumerState
        Purchase history; KOCs review their latest purchase.
    step : int
        Current step.
    window_days : int
        A KOC only reviews a purchase made within this many days.
    rng : numpy.random.Generator, or one per run
        Source of randomness (in a batched ensemble, each run's stream).
    kol_platform : ndarray of int, optional
        Home platform of each KOL (all on platform 0 if omitted).
    assortment : Assortment, optional
        What each platform lists: a KOL posts a product its home platform
        sells (:meth:`~socialsim.mechanisms.assortment.Assortment.random_listed`).
        Any product of the category if omitted (one run only).
    runs : Runs, optional
        The runs of a batched ensemble (with one generator per run): each run's
        creators draw from its own stream, in their local order, and a KOL
        posts a product of its own run.

    Returns
    -------
    Posts
    """
    batched = runs is not None and runs.batched
    if not batched:
        posting = np.flatnonzero(rng.random(influencers.n) < influencers.post_rate)
    else:
        if assortment is None:
            raise ValueError("a batched ensemble's posts need the assortment")
        drawn = np.empty(influencers.n)
        for k, generator in enumerate(rng):  # each run's creators in their local order
            creators = runs.entities("creator", k)
            drawn[creators] = generator.random(creators.size)
        posting = np.flatnonzero(drawn < influencers.post_rate)
    kind = influencers.kind[posting]
    kols = posting[kind == InfluencerKind.KOL]
    affinity = catalogue.influencer_affinity
    p = affinity / affinity.sum()
    if not batched:
        kol_category = rng.choice(affinity.size, size=kols.size, p=p)
    else:  # the KOLs are first, run by run: each run's choices from its stream, end to end
        kol_run = runs.layout.creator.run.take(kols)
        counts = np.bincount(kol_run, minlength=runs.n)
        kol_category = np.concatenate(
            [np.zeros(0, np.int64)]
            + [g.choice(affinity.size, size=int(m), p=p) for g, m in zip(rng, counts, strict=True)]
        )
    kol_home = np.zeros(kols.size, dtype=np.int8) if kol_platform is None else kol_platform[kols]
    if assortment is None:
        kol_product = catalogue.random_products(kol_category, rng)
    else:
        if not batched:
            kol_product = assortment.random_listed(kol_category, kol_home, rng)
        else:
            draws = _RunStreams(rng, kol_run)
            kol_product = assortment.random_listed(kol_category, kol_home, draws, run=kol_run)
        listed = kol_product >= 0
        kols, kol_product, kol_home = kols[listed], kol_product[listed], kol_home[listed]

    kocs = posting[kind == InfluencerKind.KOC]
    latest, when = latest_purchase(state.last_purchase_step, influencers.consumer[kocs])
    recent = when >= step - window_days
    kocs, latest = kocs[recent], latest[recent]
    koc_product = state.last_product[influencers.consumer[kocs], latest]
    koc_platform = state.last_platform[influencers.consumer[kocs], latest]
    reviewed = koc_product >= 0  # guards against a "never" marker inside the window
    if assortment is not None:  # where it bought it still sells it
        reviewed &= assortment.listed[koc_platform, np.maximum(koc_product, 0)]
    kocs, koc_product = kocs[reviewed], koc_product[reviewed]
    return Posts(
        creator=np.concatenate((kols, kocs)).astype(np.int32),
        product=np.concatenate((kol_product, koc_product)).astype(np.int32),
        platform=np.concatenate((kol_home, koc_platform[reviewed])).astype(np.int8),
    )


def post_offers(
    posts: Posts,
    influencers: Influencers,
    catalogue: Catalogue,
    state: ConsumerState,
    sparks_need: float,
    rng: np.random.Generator,
    *,
    follows: sparse.csr_array | None = None,
    trust: np.ndarray | None = None,
    active: np.ndarray | None = None,
    ref: np.ndarray | None = None,
    entry_uniform: Callable[..., np.ndarray] | None = None,
    entry_runs: _EntryRuns | None = None,
) -> Offers:
    """Turn posts into offers to the followers who see them.

    Followers who see a post in a category they have no need for develop the
    need with probability `sparks_need` (``state.need`` is updated in place),
    unless it is a durable category they have bought in.

    Parameters
    ----------
    posts : Posts
        Today's posts.
    influencers : Influencers
        Creators and the follow graph (trust on the edges).
    catalogue : Catalogue
        Product categories.
    state : ConsumerState
        Needs of the followers.
    sparks_need : float
        Probability that seeing a post creates a need.
    rng : numpy.random.Generator
        Source of randomness.
    follows : scipy.sparse.csr_array, optional
        Creator-by-consumer follow matrix to use instead of
        ``influencers.follows`` (the model passes its audience matrix, which
        also holds the KOLs' prospective followers, marked inactive).
    trust : ndarray of float32, optional
        Per follow entry: today's trust (the matrix's values if omitted).
    active : ndarray of bool, optional
        Per follow entry: whether the follower currently follows (all if omitted).
    ref : ndarray of int, optional
        Per post: the ``ref`` its offers carry (-1 if omitted); sponsored posts
        pass their creator, so that their orders can be attributed.
    entry_uniform : callable, optional
        ``(kind, entries) -> uniforms``, a number per follow entry that depends
        on the entry alone (``kind`` is ``"seen"`` or ``"spark"``). Whether a
        follower sees a post is then decided by a byte drawn for every entry
        of `follows` and taken at the entry, and a spark by the entry's own
        number: who else posts and who follows whom today move no one's draw
        (common random numbers). Drawn from `rng` in order if omitted.
    entry_runs : _EntryRuns, optional
        In a batched ensemble (with `entry_uniform`): each run draws the bytes
        of its own matrix's entries from its own stream, and `entry_uniform`
        is called ``(kind, entries, runs)`` with each entry's index in its
        own run's matrix and its run.

    Returns
    -------
    Offers
        Sources ``KOL`` or ``KOC``, with the follower's trust, on the post's platform.
    """
    follows = influencers.follows if follows is None else follows
    trust = follows.data if trust is None else trust
    post, entry, _ = gather_rows(follows.indptr, posts.creator)
    # ``take`` and one index array of the survivors: over a million follow entries
    # a day, both are markedly cheaper than fancy and boolean indexing. Each entry
    # sees the post with its creator's reach, drawn exactly from a byte
    # (socialsim._random), the creator looked up only for the 1 in 256 ties.
    level, rest = byte_levels(influencers.post_reach)
    post_level = level.take(posts.creator)

    def rest_at(tie: np.ndarray, post: np.ndarray = post) -> np.ndarray:
        return rest.take(posts.creator.take(post.take(tie)))

    if entry_uniform is None:
        seen = bernoulli_from_bytes(post_level.take(post), rest_at, rng)
    elif entry_runs is None:
        every = np.frombuffer(rng.bytes(follows.nnz), dtype=np.uint8)
        seen = bernoulli_from_bytes(
            post_level.take(post),
            rest_at,
            rng,
            byte=every.take(entry),
            tie_uniform=lambda tie: entry_uniform("seen", entry.take(tie)),
        )
    else:
        # each run's bytes for its own matrix's entries, from its own stream, end to end;
        # an entry is named by its index in its own run's matrix
        on = posts.creator.take(post)
        run = entry_runs.creator_run.take(on)
        local = entry.astype(np.int64) + entry_runs.local_shift.take(on)
        base = entry_runs.entry_base
        every = np.frombuffer(
            b"".join(
                g.bytes(int(base[k + 1] - base[k])) for k, g in enumerate(entry_runs.generators)
            ),
            dtype=np.uint8,
        )
        seen = bernoulli_from_bytes(
            post_level.take(post),
            rest_at,
            rng,
            byte=every.take(local + base.take(run)),
            tie_uniform=lambda tie: entry_uniform("seen", local.take(tie), run.take(tie)),
        )
    if active is not None:
        seen &= active.take(entry)
    kept = np.flatnonzero(seen)
    post, entry = post.take(kept), entry.take(kept)
    if entry_runs is not None:
        local, run = local.take(kept), run.take(kept)
    creator = posts.creator.take(post)
    follower = follows.indices.take(entry)
    product = posts.product[post]
    category = catalogue.category[product]
    needed = take_at(state.need, follower, category)
    if entry_uniform is None:
        sparked = ~needed & (rng.random(follower.size, dtype=np.float32) < sparks_need)
    else:
        sparked = np.zeros(follower.size, dtype=bool)
        open_to = np.flatnonzero(~needed)
        if entry_runs is None:
            sparked[open_to] = entry_uniform("spark", entry.take(open_to)) < sparks_need
        else:
            spark = entry_uniform("spark", local.take(open_to), run.take(open_to))
            sparked[open_to] = spark < sparks_need
    if catalogue.durable.any():  # a durable bought once is never needed again
        owned = catalogue.durable.take(category) & (
            take_at(state.last_purchase_step, follower, category) != NEVER
        )
        sparked &= ~owned
    state.need[follower[sparked], category[sparked]] = True
    keep = needed | sparked
    is_kol = influencers.kind[creator[keep]] == InfluencerKind.KOL
    offers = Offers.build(
        follower[keep],
        category[keep],
        product[keep],
        Source.KOC,
        trust[entry[keep]],
        posts.platform[post[keep]],
        ref=-1 if ref is None else ref[post[keep]],
    )
    offers.source[is_kol] = Source.KOL
    return offers


class CreatorPosts(Component):
    """KOLs' posts and KOCs' reviews, which reach their current followers (phase 2).

    Parameters: ``influencers.{koc_post_rate, koc_post_reach, ...}`` (in the
    world's creators), ``behaviour.word_of_mouth_days`` and
    ``post_sparks_need``. Each day creators post (a KOL a product of its home
    platform, a KOC its latest purchase, honestly reviewed); current
    followers who see a post get an offer carrying today's trust, and a post
    may spark a need (:meth:`content`).

    References
    ----------
    .. [1] pkmarketing; eac-consulting; Azoya (see the module docstring).
    """

    name = "posts"
    batch_ready = True
    columns = (
        MetricColumn.count("kol_posts", "posts by KOLs today"),
        MetricColumn.count("koc_posts", "reviews by KOCs today"),
    )

    def content(self, day: Day) -> Offers:
        """Creators post; their current followers who see a post get an offer.

        In a batched ensemble each run's creators and audience draw from its
        own streams, and keys name entries by their index in their own run.
        """
        model = self.model
        world, state, behaviour, runs = model.world, model.state, model.config.behaviour, model.runs
        posts = draw_posts(
            world.influencers,
            world.catalogue,
            state,
            day.step,
            behaviour.word_of_mouth_days,
            self.generators(day, "post"),
            kol_platform=world.platforms.kol_platform,
            assortment=model.assortment,
            runs=runs,
        )
        reach = self.generators(day, "reach")
        entry_runs = None
        if runs.batched:
            entry_runs = _EntryRuns.of(model.audience.matrix.indptr, runs, reach)
            reach = reach[0]  # bytes and keyed numbers only: no draw from it in order
        offers = post_offers(
            posts,
            world.influencers,
            world.catalogue,
            state,
            behaviour.post_sparks_need,
            reach,
            follows=model.audience.matrix,
            trust=model.audience.trust,
            active=model.audience.active,
            entry_uniform=lambda kind, entry, run=None: self.uniform(day, kind, entry, run=run),
            entry_runs=entry_runs,
        )
        post_run = runs.run_of("creator", posts.creator)
        kol_posts = runs.count(
            post_run, world.influencers.kind[posts.creator] == InfluencerKind.KOL
        )
        day.count["kol_posts"] = kol_posts
        day.count["koc_posts"] = (
            len(posts) if post_run is None else runs.count(post_run)
        ) - kol_posts
        return offers
