"""Helpers for the batched tests of the social mechanisms: solo inputs mapped into the union.

A hook that reads other mechanisms' outputs (open needs, offers, orders, the
audience, what the platforms list) is given in the ensemble what the runs
alone had, their ids mapped to the union (``layout.<kind>.global_of``) and
the runs' items end to end, in run order.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from socialsim.mechanisms.needs import OpenNeeds
from socialsim.mechanisms.offers import Offers
from tests.unit.mechanisms.batched import Ensemble


def union_consumers(both: Ensemble, k: int, local: np.ndarray) -> np.ndarray:
    """Run `k`'s consumers `local` as the union's consumers (-1 stays -1)."""
    local = np.asarray(local)
    return np.where(local >= 0, local + both.model.runs.consumer_start[k], local)


def union_products(both: Ensemble, k: int, local: np.ndarray) -> np.ndarray:
    """Run `k`'s products `local` as the union's products (-1 stays -1)."""
    local = np.asarray(local)
    out = both.model.runs.layout.product.global_of(k, np.maximum(local, 0))
    return np.where(local >= 0, out, local).astype(local.dtype)


def union_by_product(both: Ensemble, per_run: list[np.ndarray]) -> np.ndarray:
    """Stack per-run arrays whose last axis is products into the union's products."""
    layout = both.model.runs.layout.product
    out = np.empty((*per_run[0].shape[:-1], layout.run.size), dtype=per_run[0].dtype)
    for k, array in enumerate(per_run):
        out[..., layout.of_run(k)] = array
    return out


def by_product(both: Ensemble, array: np.ndarray, k: int) -> np.ndarray:
    """Run `k`'s columns of an array whose last axis is the union's products, in local order."""
    return array[..., both.model.runs.layout.product.of_run(k)]


def union_needs(both: Ensemble, needs: list[OpenNeeds]) -> OpenNeeds:
    """The runs' open needs end to end, as the union's."""
    consumer = np.concatenate(
        [union_consumers(both, k, n.consumer) for k, n in enumerate(needs)]
    ).astype(needs[0].consumer.dtype)
    return OpenNeeds(
        consumer,
        np.concatenate([n.category for n in needs]),
        np.concatenate([n.uses for n in needs]),
        both.model.runs.of_consumers(consumer),
    )


def union_offers(both: Ensemble, offers: list[Offers], runs: list[int] | None = None) -> Offers:
    """The runs' offers (orders) end to end, with the union's consumers and products.

    `runs` names the run of each part (0, 1, ... by default).
    """
    mapped = []
    for k, o in zip(range(len(offers)) if runs is None else runs, offers, strict=True):
        fields = {name: getattr(o, name) for name in o.__dataclass_fields__}
        fields["consumer"] = union_consumers(both, k, o.consumer).astype(o.consumer.dtype)
        fields["product"] = union_products(both, k, o.product).astype(o.product.dtype)
        mapped.append(type(o)(**fields))
    return Offers.concat(mapped)


def assert_offers_match(both: Ensemble, union: Offers, solo: list[Offers], what: str) -> None:
    """Each run's offers in the ensemble are, in order, those of the run alone."""
    run = both.model.runs.of_consumers(union.consumer)
    for k, alone in enumerate(solo):
        got = union.take(np.flatnonzero(run == k))
        expected = union_offers(both, [alone], [k])
        for name in union.__dataclass_fields__:
            a, b = getattr(got, name), getattr(expected, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), (what, k, name, a.size, b.size)


def union_audience(both: Ensemble, audiences) -> tuple[sparse.csr_array, np.ndarray]:
    """The runs' audience matrices (creators by consumers) stacked as the union's creators."""
    layout = both.model.runs.layout.creator
    n = int(both.model.runs.consumer_start[-1])
    indptr, indices, data, active = [np.zeros(1, np.int64)], [], [], []
    at = 0
    for c in range(layout.run.size):
        k, j = int(layout.run[c]), int(layout.local[c])
        m = audiences[k].matrix
        lo, hi = int(m.indptr[j]), int(m.indptr[j + 1])
        indices.append(m.indices[lo:hi].astype(np.int64) + both.model.runs.consumer_start[k])
        data.append(m.data[lo:hi])
        active.append(audiences[k].active[lo:hi])
        at += hi - lo
        indptr.append(np.array([at]))
    matrix = sparse.csr_array(
        (np.concatenate(data), np.concatenate(indices), np.concatenate(indptr)),
        shape=(layout.run.size, n),
    )
    return matrix, np.concatenate(active)
