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
from typing import TYPE_CHECKING, Any

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.enums import Channel
from socialsim.mechanisms.component import Component

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = ["ReturnBook", "Returns", "Settlement", "return_probability"]


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
    product : ndarray of int32
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
    product: np.ndarray
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
    "product": np.int32,
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
    >>> book.add(8, order=np.array([0, 1]), buyer=np.array([3, 4]), product=np.array([5, 6]),
    ...          price=np.array([9.0, 5.0]),
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


class Returns(Component):
    """Returns and settlement: which orders come back, and when orders are settled.

    Parameters: ``behaviour.return_rate``, ``return_days`` and the livestream
    sections' ``return_rate`` (through :class:`~socialsim.mechanisms.livestream.Livestreams`).
    State: the :class:`ReturnBook` of orders awaiting settlement, and the
    number of orders shipped so far (an order's id is its row of the order log).

    Day by day: the orders due today settle (start of the day): returned ones
    are refunded and marked in the order log, and the livestream component
    pays streamers on the ones kept; as orders ship, each draws whether it will
    come back (worse products more often; a counterfeit its buyer found always
    does, see :mod:`~socialsim.mechanisms.brands`), and returned and livestream
    orders wait for settlement ``return_days`` later (:meth:`shipped`).

    References
    ----------
    .. [1] Trade press (see the module docstring).
    """

    name = "returns"
    columns = (
        MetricColumn.count("returns", "orders returned today"),
        MetricColumn.total("refunds_value", "RMB refunded today for returned orders"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        self.book = ReturnBook()
        self.n_shipped = 0
        # which shipped batch of the day this is (each batch keys its draws apart)
        self.batch_step, self.batches_today = -1, 0
        self.mean_quality = float(model.world.catalogue.quality.mean())
        #: the orders settled today (returned or kept), for the brands' table
        self.settled = self.book.settle(-1)

    def start_day(self, day: Day) -> None:
        """Refund the orders returned today; the livestream component settles its streamers."""
        settled = self.settled = self.book.settle(day.step)
        if len(settled) == 0:
            return
        back = settled.returned
        np.add.at(self.model.state.budget_left, settled.buyer[back], settled.price[back])
        self.model.order_log.mark_returned(settled.order[back])
        day.count["returns"] += int(back.sum())
        day.total["refunds_value"] += float(settled.price[back].sum())
        self.model.livestream.settled(day, settled)

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Give shipped orders their ids and draw which will come back."""
        model = self.model
        catalogue, behaviour = model.world.catalogue, model.config.behaviour
        n = len(orders)
        order_id = self.n_shipped + np.arange(n, dtype=np.int64)
        self.n_shipped += n
        live = orders.channel == Channel.LIVESTREAM
        base_rate = np.where(
            live, model.livestream.return_rate[orders.platform], behaviour.return_rate
        )
        chance = return_probability(base_rate, catalogue.quality[orders.product], self.mean_quality)
        self.batches_today = self.batches_today + 1 if self.batch_step == day.step else 0
        self.batch_step = day.step
        # keyed by the order, so an order both arms ship has the same chance draw in both
        draw = self.keyed(day, f"return/{self.batches_today}", orders.identity()).random(n)
        returned = draw < chance
        # a counterfeit its buyer found comes back (the brands drew it as the batch shipped)
        brands = getattr(model, "brand_rules", None)
        if brands is not None:
            returned |= brands.found_in(orders)
        streamer = model.livestream.shipped_orders(day, orders, live)
        # Livestream orders wait for settlement too: their streamer is paid on those kept.
        held = returned | live
        self.book.add(
            day.step + behaviour.return_days,
            order=order_id[held],
            buyer=orders.consumer[held],
            product=orders.product[held],
            price=price[held],
            platform=orders.platform[held],
            channel=orders.channel[held],
            streamer=streamer[held],
            returned=returned[held],
        )
