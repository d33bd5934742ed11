"""Returns and settlement: what happens to an order in the days after it ships.

Every order may be returned ``return_days`` after it ships, with a probability
that depends on its channel and the product's quality: ordinary e-commerce
sees 10-15 % of purchases returned, livestream selling 30-50 % [1]_, and a
poorer product comes back more often. The probability of an order of quality
``q`` (0-1) is ::

    clip(base_rate * (1 - q) / (1 - mean_quality), 0, 1)

so a product of the catalogue's mean quality is returned at the base rate
and a perfect one never. That the odds are proportional to ``1 - q`` is an
assumption. Whether an order will come back is drawn when it
ships; the :class:`ReturnBook` holds it until the day it settles, when it is
either refunded in full or kept (and a streamer's commission is paid on it).

References
----------
.. [1] Trade press (weak; shared/domain.md): 30-50 % of livestream purchases
   are returned, against 10-15 % for ordinary e-commerce.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["ReturnBook", "Settlement", "return_probability"]


def return_probability(
    base_rate: np.ndarray | float, quality: np.ndarray, mean_quality: float = 0.5
) -> np.ndarray:
    """Probability that an order is returned: ``base_rate * (1 - quality) / (1 - mean_quality)``.

    Clipped to [0, 1].

    Parameters
    ----------
    base_rate : float or ndarray of float
        Share returned of products of mean quality, per order.
    quality : ndarray of float
        Quality of each order's product, 0-1.
    mean_quality : float
        The catalogue's mean quality, in [0, 1).

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If `mean_quality` is not in [0, 1).

    Examples
    --------
    >>> return_probability(0.4, np.array([0.5, 0.25, 1.0, 0.0])).round(6).tolist()
    [0.4, 0.6, 0.0, 0.8]
    >>> return_probability(0.3, np.array([0.6, 0.8]), mean_quality=0.6).round(6).tolist()
    [0.3, 0.15]
    """
    if not 0.0 <= mean_quality < 1.0:
        raise ValueError(f"mean_quality: must be in [0, 1), got {mean_quality}")
    scale = np.asarray(base_rate, np.float64) / (1.0 - mean_quality)
    return np.clip(scale * (1.0 - np.asarray(quality, np.float64)), 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class Settlement:
    """Orders settling on one day, as parallel arrays.

    Attributes
    ----------
    order : ndarray of int64
        Order id (its row in the run's order log).
    buyer : ndarray of int32
    price : ndarray of float64
        What the buyer paid.
    platform : ndarray of int8
    channel : ndarray of int8
    streamer : ndarray of int32
        KOL whose session sold a livestream order; -1 otherwise.
    returned : ndarray of bool
        Whether the buyer sends it back (refunded in full).
    """

    order: np.ndarray
    buyer: np.ndarray
    price: np.ndarray
    platform: np.ndarray
    channel: np.ndarray
    streamer: np.ndarray
    returned: np.ndarray

    def __len__(self) -> int:
        return int(self.order.shape[0])


_DTYPES = {
    "order": np.int64,
    "buyer": np.int32,
    "price": np.float64,
    "platform": np.int8,
    "channel": np.int8,
    "streamer": np.int32,
    "returned": bool,
}


@dataclass(eq=False)
class ReturnBook:
    """Orders waiting for the day they are returned or kept.

    Only orders whose settlement matters are kept: those that will be
    returned, and livestream orders (their streamer's commission is paid when
    they are kept).

    Examples
    --------
    >>> book = ReturnBook()
    >>> book.add(8, order=np.array([0, 1]), buyer=np.array([3, 4]), price=np.array([9.0, 5.0]),
    ...          platform=np.array([0, 0]), channel=np.array([2, 0]), streamer=np.array([7, -1]),
    ...          returned=np.array([False, True]))
    >>> len(book.settle(7)), book.settle(8).returned.tolist(), len(book)
    (0, [False, True], 0)
    """

    _due: dict[int, list[dict[str, np.ndarray]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(chunk["order"].size for chunks in self._due.values() for chunk in chunks)

    def add(self, due: int, **columns: np.ndarray) -> None:
        """Hold orders until step `due`; columns as in :class:`Settlement`."""
        if len(columns["order"]) == 0:
            return
        chunk = {name: np.asarray(columns[name], dtype) for name, dtype in _DTYPES.items()}
        self._due.setdefault(int(due), []).append(chunk)

    def settle(self, step: int) -> Settlement:
        """Remove and return every order due at or before `step`."""
        due = sorted(d for d in self._due if d <= step)
        chunks = [chunk for d in due for chunk in self._due.pop(d)]
        return Settlement(
            **{
                f.name: np.concatenate([np.empty(0, _DTYPES[f.name])] + [c[f.name] for c in chunks])
                for f in fields(Settlement)
            }
        )
