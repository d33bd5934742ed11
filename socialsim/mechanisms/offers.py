"""Offers: the products put in front of consumers in one step, as parallel arrays.

Every exposure mechanism (search, feeds, word of mouth, KOL and KOC posts,
livestreams, shared groups, store promotions) produces offers; the purchase
decision consumes them. Keeping them columnar keeps the step vectorised. An
offer names the platform it is made on and the channel it would be bought
through; its price is worked out centrally from the platform's price for the
product and the offer's ``discount``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from socialsim.enums import Channel, Source
from socialsim.streams import distinct_keys, mix_keys

__all__ = ["Offers"]


@dataclass(frozen=True, eq=False)
class Offers:
    """Products offered to consumers, one row per (consumer, product, source).

    Attributes
    ----------
    consumer : ndarray of int32
        Who sees the offer.
    category : ndarray of int16
        The product's category.
    product : ndarray of int32
        The product.
    source : ndarray of int8
        :class:`~socialsim.enums.Source` of the exposure.
    trust : ndarray of float32
        Trust in the source, 0-1 (0 for search).
    platform : ndarray of int8
        Platform the offer is made on.
    channel : ndarray of int8
        :class:`~socialsim.enums.Channel` it would be bought through.
    discount : ndarray of float32
        Channel discount off the platform's price (livestream or group price).
    ref : ndarray of int32
        What the offer belongs to: the group for a shared group, the session
        for a livestream, the selling owner for a store promotion; -1 otherwise.
    has_need : ndarray of bool
        Whether the offer meets an open need of the consumer. Offers made for
        an open need (search, feeds, word of mouth) always do; a store
        promotion or a shared group may not, and then converts at the
        no-need shift (see :func:`~socialsim.mechanisms.purchase.conversion_logit`).
    """

    consumer: np.ndarray
    category: np.ndarray
    product: np.ndarray
    source: np.ndarray
    trust: np.ndarray
    platform: np.ndarray
    channel: np.ndarray
    discount: np.ndarray
    ref: np.ndarray
    has_need: np.ndarray

    def __len__(self) -> int:
        return int(self.consumer.shape[0])

    @classmethod
    def build(
        cls,
        consumer: np.ndarray,
        category: np.ndarray | int,
        product: np.ndarray | int,
        source: np.ndarray | int,
        trust: np.ndarray | float,
        platform: np.ndarray | int,
        *,
        channel: int = Channel.SOLO,
        discount: np.ndarray | float = 0.0,
        ref: np.ndarray | int = -1,
        has_need: np.ndarray | bool = True,
    ) -> Offers:
        """Make offers from one source, casting to the compact dtypes.

        Examples
        --------
        >>> offers = Offers.build(np.array([4, 5]), np.array([0, 0]), np.array([1, 2]), 0, 0.0, 1)
        >>> len(offers), offers.platform.tolist(), offers.ref.tolist(), offers.has_need.tolist()
        (2, [1, 1], [-1, -1], [True, True])
        """
        m = np.shape(consumer)[0]

        def column(value: np.ndarray | float, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=dtype), (m,)).copy()

        def array(value: np.ndarray | int, dtype: type) -> np.ndarray:
            # an array as it is (no copy on the hot path); one value for every offer
            out = np.asarray(value, dtype=dtype)
            return np.full(m, out, dtype=dtype) if out.ndim == 0 else out

        return cls(
            consumer=np.asarray(consumer, dtype=np.int32),
            category=array(category, np.int16),
            product=array(product, np.int32),
            source=column(source, np.int8),
            trust=column(trust, np.float32),
            platform=column(platform, np.int8),
            channel=np.full(m, channel, dtype=np.int8),
            discount=column(discount, np.float32),
            ref=column(ref, np.int32),
            has_need=column(has_need, np.bool_),
        )

    @classmethod
    def empty(cls) -> Offers:
        """No offers."""
        none = np.empty(0)
        return cls.build(none, none, none, 0, none, none)

    @classmethod
    def concat(cls, parts: Sequence[Offers]) -> Offers:
        """Stack offers from several sources."""
        if not parts:
            return cls.empty()
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def take(self, index: np.ndarray | slice) -> Offers:
        """Return the offers at `index` (an integer index, a boolean mask or a slice: views)."""
        if isinstance(index, np.ndarray) and index.dtype == bool:
            index = np.flatnonzero(index)  # once, not once per column
        if isinstance(index, np.ndarray):
            return type(self)(**{f.name: getattr(self, f.name).take(index) for f in fields(self)})
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def identity(self, runs: Any = None) -> np.ndarray:
        """Return a key per offer: its consumer, category, source, platform, channel and ref.

        In a batched ensemble (`runs`, a :class:`~socialsim.runs.Runs` of
        several runs) the key is made of each offer's indices in its own run:
        its consumer, and a ref that names a consumer (a store owner's or a
        daigou's offer), a creator (a sponsored post) or what a mechanism
        numbers (a livestream's session, :attr:`socialsim.runs.Runs.local_refs`);
        the repeats are told apart within each run.

        The product is left out on purpose: where two runs offer a consumer
        different products for one need through one source (a feed that ranks
        by sales, which differ), the offer keeps its random numbers, so the
        runs still buy, or not, alike (common random numbers hold for the
        totals even where the products drift apart). Offers alike in all of
        these are told apart by their order
        (:func:`~socialsim.streams.distinct_keys`), so no two offers share a
        key.

        Examples
        --------
        >>> o = Offers.build(np.array([4, 4, 5]), 0, np.array([1, 1, 1]), 0, 0.0, 0)
        >>> key = o.identity()
        >>> len(set(key.tolist()))
        3
        """
        consumer, ref, run = self.consumer, self.ref, None
        if runs is not None and runs.batched:
            run = runs.of_consumers(consumer)
            consumer = runs.local_consumer(consumer, run)
            ref = ref.copy()
            by_consumer = (self.source == Source.DAIGOU) | (self.source == Source.STORE_OWNER)
            mapped = np.flatnonzero(by_consumer & (ref >= 0))
            ref[mapped] = runs.local_consumer(ref[mapped], run[mapped])
            by_creator = ((self.source == Source.KOL) | (self.source == Source.KOC)) & (ref >= 0)
            mapped = np.flatnonzero(by_creator)
            ref[mapped] = runs.local("creator", ref[mapped])
            for source, local in runs.local_refs.items():  # refs their mechanisms number
                mapped = np.flatnonzero((self.source == source) & (ref >= 0))
                if mapped.size:
                    ref[mapped] = local(ref[mapped], run[mapped])
        who = (consumer.astype(np.int64) << 16) | (self.category.astype(np.int64) & 0xFFFF)
        packed = (self.source.astype(np.int64) & 0xFF) | (
            (self.platform.astype(np.int64) & 0xFF) << 8
        )
        packed |= (self.channel.astype(np.int64) & 0xFF) << 16
        packed |= (ref.astype(np.int64) & 0xFFFFFFFF) << 24
        return distinct_keys(mix_keys(who, packed), run=run)

    def purchaser(self) -> np.ndarray:
        """Return who orders from the platform: the buyer, or the daigou (``ref``) for a client.

        Examples
        --------
        >>> o = Offers.build(np.array([4, 5]), 0, 1, np.array([Source.SEARCH, Source.DAIGOU]),
        ...                  0.0, 0, ref=np.array([-1, 9]))
        >>> o.purchaser().tolist()
        [4, 9]
        """
        return np.where(self.source == Source.DAIGOU, self.ref, self.consumer)

    def service_fee(self) -> np.ndarray:
        """Return a daigou's fee as a share of the platform's price (0 for other offers).

        A daigou's offer carries its fee as a negative discount.
        """
        return np.maximum(-self.discount, np.float32(0))
