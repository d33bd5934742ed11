"""Offers: the products put in front of consumers in one step, as parallel arrays.

Every exposure mechanism (search, word of mouth, KOL and KOC posts, and later
group shares and livestreams) produces offers; the purchase decision consumes
them. Keeping them columnar keeps the step vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    """

    consumer: np.ndarray
    category: np.ndarray
    product: np.ndarray
    source: np.ndarray
    trust: np.ndarray

    def __len__(self) -> int:
        return int(self.consumer.shape[0])

    @classmethod
    def build(
        cls,
        consumer: np.ndarray,
        category: np.ndarray,
        product: np.ndarray,
        source: int,
        trust: np.ndarray | float,
    ) -> Offers:
        """Make offers from one source, casting to the compact dtypes."""
        m = np.shape(consumer)[0]
        return cls(
            consumer=np.asarray(consumer, dtype=np.int32),
            category=np.asarray(category, dtype=np.int16),
            product=np.asarray(product, dtype=np.int32),
            source=np.full(m, source, dtype=np.int8),
            trust=np.broadcast_to(np.asarray(trust, dtype=np.float32), (m,)).copy(),
        )

    @classmethod
    def concat(cls, parts: Sequence[Offers]) -> Offers:
        """Stack offers from several sources."""
        if not parts:
            return cls.build(np.empty(0), np.empty(0), np.empty(0), 0, np.empty(0))
        return cls(
            consumer=np.concatenate([p.consumer for p in parts]),
            category=np.concatenate([p.category for p in parts]),
            product=np.concatenate([p.product for p in parts]),
            source=np.concatenate([p.source for p in parts]),
            trust=np.concatenate([p.trust for p in parts]),
        )
