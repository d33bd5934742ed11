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

from socialsim._arrays import add_at
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
    mean_quality : float or ndarray of float
        The catalogue's mean quality, in [0, 1) (per order in a batched
        ensemble: the mean of its run's catalogue).

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
    if np.ndim(mean_quality) == 0:
        if not 0.0 <= mean_quality < 1.0:
            raise ValueError(f"mean_quality: must be in [0, 1), got {mean_quality}")
    elif not ((mean_quality >= 0.0) & (mean_quality < 1.0)).all():
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


def order_keys(orders: Offers, runs: Any) -> np.ndarray:
    """Return each order's key (:meth:`Offers.identity`), made of its indices in its own run.

    For one run (or no :class:`~socialsim.runs.Runs`) this is
    ``orders.identity()``. In a batched ensemble the consumer, and a ``ref``
    that names a creator (KOL and KOC posts) or a consumer (a store owner, a
    daigou) or what a mechanism numbers (a livestream session,
    :attr:`socialsim.runs.Runs.local_refs`), are taken to their index in the
    order's run, and repeats are told apart within each run
    (:func:`~socialsim.streams.distinct_keys`), so that each order gets the
    key it has in its run alone.

    Parameters
    ----------
    orders : Offers
    runs : Runs or None

    Returns
    -------
    ndarray of uint64
    """
    return orders.identity(runs)


class BatchCount:
    """Which shipped batch of the day this is, for each run: purposes keyed by it.

    A run alone counts the batches the checkout ships to it (0 for the first
    of a day); in a batched ensemble a batch ships orders of some runs, and
    only those runs count it, as each would alone.
    """

    def __init__(self, runs: Any) -> None:
        self.runs = runs if runs is not None and runs.batched else None
        k = 1 if self.runs is None else self.runs.n
        self.step = np.full(k, -1, dtype=np.int64)
        self.today = np.zeros(k, dtype=np.int64)

    def next(self, step: int, run: np.ndarray | None) -> int | np.ndarray:
        """Count a batch shipped on `step` to the runs of `run`; return its number (per run)."""
        if self.runs is None:
            self.today[0] = self.today[0] + 1 if self.step[0] == step else 0
            self.step[0] = step
            return int(self.today[0])
        here = np.bincount(run, minlength=self.runs.n) > 0
        again = here & (self.step == step)
        self.today = np.where(here, np.where(again, self.today + 1, 0), self.today)
        self.step = np.where(here, step, self.step)
        return self.today


class RunKeyedDraws:
    """Keyed draws (:class:`~socialsim.streams.KeyedDraws`) whose purpose names a batch per run.

    Item ``i`` of run ``k`` draws as it would alone: from the purpose
    ``kind/number[k]`` (``#2``, ``#3`` on later calls), with its run's keys.

    Parameters
    ----------
    component : Component
    day : Day
    kind : str
        The purpose before the batch number (``"return"``).
    number : ndarray of int, shape (K,)
        Each run's batch number (:class:`BatchCount`).
    key : ndarray of uint64
        The items' keys (of indices in their own runs).
    run : ndarray of int
        Each item's run.
    """

    def __init__(
        self,
        component: Component,
        day: Day,
        kind: str,
        number: np.ndarray,
        key: np.ndarray,
        run: np.ndarray,
    ) -> None:
        self._component, self._day, self._key, self._run = component, day, key, run
        item_number = number.take(run)
        self._groups = [
            (f"{kind}/{b}", np.flatnonzero(item_number == b))
            for b in np.unique(item_number).tolist()
        ]
        self._calls = 0

    def random(self, size: int | None = None) -> np.ndarray:
        """Return one uniform per item (`size` must be the number of items)."""
        n = self._key.size
        if size is not None and int(size) != n:
            raise ValueError(f"keyed draws give one number per item ({n}), not {size}")
        self._calls += 1
        suffix = "" if self._calls == 1 else f"#{self._calls}"
        out = np.empty(n, dtype=np.float64)
        for kind, at in self._groups:
            out[at] = self._component.uniform(
                self._day, kind + suffix, self._key.take(at), run=self._run.take(at)
            )
        return out


def keyed_by_batch(
    component: Component, day: Day, kind: str, counter: BatchCount, orders: Offers
) -> Any:
    """Return the keyed draws of a shipped batch: per run, as each run alone draws them.

    Counts the batch (:meth:`BatchCount.next`) and keys the orders
    (:func:`order_keys`); for one run, ``component.keyed(day, f"{kind}/{number}", key)``.
    """
    runs = counter.runs
    run = None if runs is None else runs.of_consumers(orders.consumer)
    number = counter.next(day.step, run)
    if runs is None:
        return component.keyed(day, f"{kind}/{number}", orders.identity())
    return RunKeyedDraws(component, day, kind, number, order_keys(orders, runs), run)


class Returns(Component):
    """Returns and settlement: which orders come back, and when orders are settled.

    Parameters: ``behaviour.return_rate``, ``return_days`` and the livestream
    sections' ``return_rate`` (through :class:`~socialsim.mechanisms.livestream.Livestreams`).
    State: the :class:`ReturnBook` of orders awaiting settlement, and the
    number of orders shipped so far (an order's id is its row of the order log).
    In a batched ensemble (``model.runs``) each run counts its own orders (an
    order's id is its row of its run's order log) and its own shipped
    batches, and its orders draw from its streams with its own keys.

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
    batch_ready = True
    columns = (
        MetricColumn.count("returns", "orders returned today"),
        MetricColumn.total("refunds_value", "RMB refunded today for returned orders"),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        self.book = ReturnBook()
        runs = getattr(model, "runs", None)
        self.runs = runs if runs is not None and runs.batched else None
        quality = model.world.catalogue.quality
        if self.runs is None:
            self.n_shipped = 0
            self.mean_quality = float(quality.mean())
        else:  # per run: its orders so far, its catalogue's mean (summed in its own order)
            self.n_shipped = np.zeros(self.runs.n, dtype=np.int64)
            self.mean_quality = np.array(
                [
                    float(quality[self.runs.entities("product", k)].mean())
                    for k in range(self.runs.n)
                ],
                dtype=np.float64,
            )
        # which shipped batch of the day this is (each batch keys its draws apart)
        self.batch = BatchCount(runs)
        #: the orders settled today (returned or kept), for the brands' table
        self.settled = self.book.settle(-1)

    def start_day(self, day: Day) -> None:
        """Refund the orders returned today; the livestream component settles its streamers."""
        settled = self.settled = self.book.settle(day.step)
        if len(settled) == 0:
            return
        back = settled.returned
        add_at(self.model.state.budget_left, settled.buyer[back], settled.price[back])
        if self.runs is None:
            self.model.order_log.mark_returned(settled.order[back])
            day.count["returns"] += int(back.sum())
            day.total["refunds_value"] += float(settled.price[back].sum())
        else:  # ids are rows of each run's order log; counts and sums per run
            run = self.runs.of_consumers(settled.buyer[back])
            self.model.order_log.mark_returned(settled.order[back], run)
            day.add("returns", self.runs.count(run))
            day.add("refunds_value", self.runs.sums(settled.price[back], run))
        self.model.livestream.settled(day, settled)

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Give shipped orders their ids and draw which will come back."""
        model = self.model
        catalogue, behaviour = model.world.catalogue, model.config.behaviour
        n = len(orders)
        if self.runs is None:
            order_id = self.n_shipped + np.arange(n, dtype=np.int64)
            self.n_shipped += n
            mean_quality = self.mean_quality
        else:
            order_id, mean_quality = self._ids(orders)
        live = orders.channel == Channel.LIVESTREAM
        base_rate = np.where(
            live, model.livestream.return_rate[orders.platform], behaviour.return_rate
        )
        chance = return_probability(base_rate, catalogue.quality[orders.product], mean_quality)
        # keyed by the order, so an order both arms ship has the same chance draw in both
        draw = keyed_by_batch(self, day, "return", self.batch, orders).random(n)
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

    def _ids(self, orders: Offers) -> tuple[np.ndarray, np.ndarray]:
        """Return the orders' ids, numbered within each run after its orders so far, and means."""
        runs = self.runs
        run = runs.of_consumers(orders.consumer)
        order = np.argsort(run, kind="stable")
        counts = np.bincount(run, minlength=runs.n)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.empty(run.size, dtype=np.int64)
        rank[order] = np.arange(run.size, dtype=np.int64) - first.take(run.take(order))
        order_id = self.n_shipped.take(run) + rank
        self.n_shipped += counts
        return order_id, self.mean_quality.take(run)
