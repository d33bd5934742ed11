"""Helpers for the batched tests of brands, exports, made to order, returns and membership.

Each run alone gets batches of orders made up for it (:func:`orders_of`); the
ensemble gets the same orders as one batch, each mapped to the union's indices
and the runs' orders interleaved at random, each run's in its own order
(:func:`to_union`), as a checkout that ships several runs' orders at once may
hand them over.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from socialsim.enums import Channel, InfluencerKind, Source
from socialsim.mechanisms.offers import Offers
from tests.unit.mechanisms.batched import Ensemble

SOURCES = (
    Source.SEARCH,
    Source.WORD_OF_MOUTH,
    Source.FEED_SOCIAL,
    Source.KOL,
    Source.KOC,
    Source.STORE_OWNER,
    Source.DAIGOU,
)


def orders_of(
    model,
    rng: np.random.Generator,
    n: int,
    channels: tuple[int, ...] = (Channel.SOLO, Channel.GROUP),
    platforms: np.ndarray | None = None,
) -> tuple[Offers, np.ndarray]:
    """Return `n` orders of one run's world (some repeated: alike in every key) and prices paid."""
    world = model.world
    catalogue, influencers = world.catalogue, world.influencers
    consumer = rng.integers(0, world.n_consumers, n)
    product = rng.integers(0, catalogue.n_products, n)
    if platforms is None:
        platforms = np.arange(len(world.platforms.names))
    platform = rng.choice(platforms, n)
    channel = rng.choice(np.asarray(channels), n)
    source = rng.choice(np.asarray(SOURCES), n)
    ref = np.full(n, -1, dtype=np.int64)
    kols = np.flatnonzero(influencers.kind == InfluencerKind.KOL)
    kocs = np.flatnonzero(influencers.kind == InfluencerKind.KOC)
    for which, pool in ((Source.KOL, kols), (Source.KOC, kocs)):
        at = source == which
        ref[at] = rng.choice(pool, int(at.sum()))
    at = (source == Source.STORE_OWNER) | (source == Source.DAIGOU)
    ref[at] = rng.integers(0, world.n_consumers, int(at.sum()))
    # a few orders alike in consumer, category, source, platform, channel and ref
    again = rng.integers(0, n, n // 10)
    take = np.concatenate([np.arange(n), again])
    consumer, product, platform = consumer[take], product[take], platform[take]
    channel, source, ref = channel[take], source[take], ref[take]
    plain = Offers.build(consumer, catalogue.category[product], product, 0, 0.0, platform, ref=ref)
    orders = replace(plain, source=source.astype(np.int8), channel=channel.astype(np.int8))
    price = (catalogue.price[product] * rng.uniform(0.7, 1.0, take.size)).astype(np.float32)
    return orders, price


def to_union(
    both: Ensemble, parts: list[Offers], prices: list[np.ndarray], rng: np.random.Generator
) -> tuple[Offers, np.ndarray]:
    """Map each run's orders to the union and interleave them, each run's kept in its order."""
    layout = both.model.runs.layout
    mapped = []
    for k, o in enumerate(parts):
        ref = o.ref.astype(np.int64)
        creator = ((o.source == Source.KOL) | (o.source == Source.KOC)) & (ref >= 0)
        person = ((o.source == Source.STORE_OWNER) | (o.source == Source.DAIGOU)) & (ref >= 0)
        ref[creator] = layout.creator.global_of(k, ref[creator])
        ref[person] = layout.consumer.global_of(k, ref[person])
        mapped.append(
            replace(
                o,
                consumer=layout.consumer.global_of(k, o.consumer).astype(np.int32),
                product=layout.product.global_of(k, o.product).astype(np.int32),
                ref=ref.astype(np.int32),
            )
        )
    run = np.concatenate([np.full(len(o), k) for k, o in enumerate(parts)])
    # a random interleaving; each run's orders keep their order (its k-th slot, its k-th)
    run_at_slot = rng.permutation(run)
    order = np.empty(run.size, dtype=np.int64)
    for k in range(len(parts)):
        order[np.flatnonzero(run_at_slot == k)] = np.flatnonzero(run == k)
    union = Offers.concat(mapped)
    union = type(union)(**{f.name: getattr(union, f.name)[order] for f in fields(union)})
    return union, np.concatenate(prices)[order]


def products_to_union(both: Ensemble, arrays: list[np.ndarray]) -> np.ndarray:
    """Put each run's per-product arrays (last axis products) into the union's columns."""
    layout = both.model.runs.layout
    shape = (*arrays[0].shape[:-1], both.model.world.catalogue.n_products)
    out = np.zeros(shape, dtype=arrays[0].dtype)
    for k, a in enumerate(arrays):
        out[..., layout.product.global_of(k, np.arange(a.shape[-1]))] = a
    return out


def of_run_products(both: Ensemble, array: np.ndarray, k: int) -> np.ndarray:
    """Run `k`'s columns of a per-product array of the union, in its local order."""
    return array[..., both.model.runs.entities("product", k)]
