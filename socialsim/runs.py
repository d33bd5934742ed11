"""The runs a model steps: one, or several as one batched ensemble.

An ordinary model steps one run. A batched ensemble steps K runs whose worlds
are disjoint blocks of one union world (:mod:`socialsim.world.union`), so
that the thousands of small NumPy calls of a day are paid once for all K. A
mechanism then does three things per run that it does once in a single run,
and :class:`Runs` does them both ways, so that the mechanism has one code
path and a single run (``Runs.single``) costs what it did:

* **counting and summing** the day's columns per run (:meth:`Runs.count`,
  :meth:`Runs.count_rows`, :meth:`Runs.sums`): an int or float for one run,
  one per run in an ensemble; each run's sum adds its items in the order one
  run alone would, so float totals agree bit for bit;
* **drawing** from each run's own streams (:meth:`socialsim.mechanisms.component.Component.draw`);
* **naming items** by their index in their own run's world, for keyed draws
  (:meth:`Runs.local_consumer`, and the :class:`~socialsim.world.union.RunLayout`
  for the other entities).

Consumers are laid out run by run, so run ``k``'s consumers are the rows
``consumer_start[k]:consumer_start[k + 1]`` of every per-consumer array.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from socialsim.world.union import RunLayout

__all__ = ["Runs"]


class Runs:
    """The runs of a model and where their consumers are.

    Parameters
    ----------
    consumers : sequence of int
        Consumers of each run, in the runs' order (their blocks, end to end).
    layout : RunLayout, optional
        The union's layout (for the other entities); None for one run.

    Attributes
    ----------
    n : int
        Number of runs K.
    consumer_start : ndarray of int64, shape (K + 1,)
        Where each run's block of consumers starts, and the total.
    consumer_run : ndarray of int32 or None
        Each consumer's run (None for one run).
    layout : RunLayout or None

    Examples
    --------
    >>> runs = Runs([3, 2])
    >>> runs.count(runs.of_consumers(np.array([0, 4, 3])))
    array([1, 2])
    >>> Runs.single(5).count(None, np.array([True, False, True]))
    2
    """

    def __init__(self, consumers: Sequence[int], layout: RunLayout | None = None) -> None:
        counts = np.asarray(consumers, dtype=np.int64)
        if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
            raise ValueError(f"consumers must be one count per run, got {consumers!r}")
        self.n = int(counts.size)
        self.layout = layout
        self.consumer_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.consumer_run = (
            None if self.n == 1 else np.repeat(np.arange(self.n, dtype=np.int32), counts)
        )
        #: per offer source (an int :class:`~socialsim.enums.Source`), how to number an
        #: offer's ``ref`` as its run alone numbers it, ``local(ref, run)``: set by the
        #: mechanism that owns the refs (a livestream's sessions), read by Offers.identity
        self.local_refs: dict[int, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {}

    @classmethod
    def single(cls, n_consumers: int) -> Runs:
        """Return the runs of an ordinary model: one, of `n_consumers`."""
        return cls([n_consumers])

    @property
    def batched(self) -> bool:
        """Whether several runs step together."""
        return self.n > 1

    def rows(self, k: int) -> slice:
        """Return run `k`'s block of consumer rows."""
        return slice(int(self.consumer_start[k]), int(self.consumer_start[k + 1]))

    def entities(self, kind: str, k: int) -> np.ndarray:
        """Return run `k`'s entities of `kind` in the union, in their local order."""
        if self.layout is None:
            raise ValueError("one run has no layout: its entities are its world's")
        return getattr(self.layout, kind).of_run(k)

    def of_consumers(self, consumer: np.ndarray) -> np.ndarray | None:
        """Return the run of each consumer (None for one run: every item is run 0's)."""
        return None if self.consumer_run is None else self.consumer_run.take(consumer)

    def local_consumer(self, consumer: np.ndarray, run: np.ndarray | None) -> np.ndarray:
        """Return each consumer's index in its own run's world (the same array for one run)."""
        if run is None:
            return consumer
        return consumer - self.consumer_start.take(run)

    def local(self, kind: str, index: np.ndarray) -> np.ndarray:
        """Return each entity's index in its own run's world (the same array for one run).

        Parameters
        ----------
        kind : str
            ``"consumer"``, ``"city"``, ``"community"``, ``"creator"``,
            ``"product"``, ``"brand"``, ``"store"`` or ``"daigou"`` (the
            :class:`~socialsim.world.union.RunLayout`'s fields).
        index : ndarray of int
            Entities of the union.
        """
        if self.layout is None:
            if self.batched:
                raise ValueError("runs made without a layout know only their consumers")
            return index
        return getattr(self.layout, kind).local_of(index)

    def run_of(self, kind: str, index: np.ndarray) -> np.ndarray | None:
        """Return each entity's run (None for one run); `kind` as for :meth:`local`."""
        if self.layout is None:
            if self.batched:
                raise ValueError("runs made without a layout know only their consumers")
            return None
        return getattr(self.layout, kind).run_of(index)

    def count(self, run: np.ndarray | None, where: np.ndarray | None = None) -> int | np.ndarray:
        """Count items (those `where` is true, if given) per run.

        Parameters
        ----------
        run : ndarray of int or None
            Each item's run (None for one run; then `where` or nothing is counted).
        where : ndarray of bool, optional
            Which items count.

        Returns
        -------
        int or ndarray of int64
            An int for one run, one count per run in an ensemble.
        """
        if run is None:
            return 0 if where is None else int(np.count_nonzero(where))
        chosen = run if where is None else run[where]
        return np.bincount(chosen, minlength=self.n).astype(np.int64)

    def count_rows(self, table: np.ndarray) -> int | np.ndarray:
        """Count the true cells of a per-consumer table (rows are consumers) per run."""
        if self.consumer_run is None:
            return int(np.count_nonzero(table))
        per_row = np.count_nonzero(table.reshape(table.shape[0], -1), axis=1)
        return np.bincount(self.consumer_run, weights=per_row, minlength=self.n).astype(np.int64)

    def sums(self, values: np.ndarray, run: np.ndarray | None) -> float | np.ndarray:
        """Sum `values` per run, each run's items added as one run alone adds them.

        NumPy's sum of an array depends on its items and their order; each
        run's items are taken out in their order and summed as one array, so
        a run's total is bit for bit what that run alone gets.

        Returns
        -------
        float or ndarray of float64
        """
        if run is None:
            return float(values.sum())
        out = np.zeros(self.n, dtype=np.float64)
        if values.size == 0:
            return out
        if (run[1:] >= run[:-1]).all():
            bounds = np.searchsorted(run, np.arange(self.n + 1))
            for k in np.flatnonzero(np.diff(bounds)).tolist():
                out[k] = values[bounds[k] : bounds[k + 1]].sum()
            return out
        for k in np.unique(run).tolist():
            out[k] = values[run == k].sum()
        return out
