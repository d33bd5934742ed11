"""Shared helpers of the batched tests of micro-stores, daigou and the campaign.

Inputs that other mechanisms make (open needs, prices, offers) are taken from
the runs alone and put into the stand-in ensemble's union, each run's block
where the union holds it (:class:`socialsim.world.union.RunLayout`).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from socialsim.mechanisms.offers import Offers
from tests.unit.mechanisms.batched import Ensemble


def union_prices(both: Ensemble) -> SimpleNamespace:
    """Return a stand-in price book of the union: each run's prices at its products."""
    layout, world = both.model.runs.layout, both.model.world
    price = np.zeros((world.platforms.n, world.catalogue.n_products), dtype=np.float32)
    for k, model in enumerate(both.solo):
        local = np.arange(model.world.catalogue.n_products)
        price[:, layout.product.global_of(k, local)] = model.prices.price
    return SimpleNamespace(price=price)


def set_consumer_rows(both: Ensemble, name: str, values: list[np.ndarray]) -> None:
    """Set each run's block of the union's per-consumer state `name` from its run alone."""
    state = both.model.state
    for k, value in enumerate(values):
        if name == "uses":  # read-only: written through the state, which counts its users
            state.write_uses(both.model.runs.rows(k), value)
        else:
            getattr(state, name)[both.model.runs.rows(k)] = value


def offers_of_run(both: Ensemble, offers: Offers, k: int, refs: str | None = None) -> dict:
    """Return run `k`'s offers of the union, in local indices (``ref`` of entity kind `refs`)."""
    runs = both.model.runs
    mine = runs.of_consumers(offers.consumer) == k
    out = {f: getattr(offers, f)[mine] for f in Offers.__dataclass_fields__}
    out["consumer"] = runs.local("consumer", out["consumer"])
    out["product"] = runs.local("product", out["product"])
    if refs is not None:
        ref = out["ref"]
        out["ref"] = np.where(ref >= 0, runs.local(refs, np.maximum(ref, 0)), ref)
    return out


def union_offers(both: Ensemble, alone: list[Offers], refs: str | None = None) -> Offers:
    """Return the runs' offers as one batch of the union, run by run, ids mapped to the union."""
    layout = both.model.runs.layout
    parts = []
    for k, o in enumerate(alone):
        fields = {f: getattr(o, f).copy() for f in Offers.__dataclass_fields__}
        fields["consumer"] = layout.consumer.global_of(k, o.consumer).astype(np.int32)
        fields["product"] = layout.product.global_of(k, o.product).astype(np.int32)
        if refs is not None:
            ref = o.ref
            mapped = getattr(layout, refs).global_of(k, np.maximum(ref, 0))
            fields["ref"] = np.where(ref >= 0, mapped, ref).astype(np.int32)
        parts.append(fields)
    return Offers(**{f: np.concatenate([p[f] for p in parts]) for f in Offers.__dataclass_fields__})


def assert_same_offers(both: Ensemble, batched: Offers, alone: list[Offers], refs=None) -> None:
    """Assert each run's offers of the ensemble are the run's alone, field by field, in order."""
    assert len(batched) == sum(len(o) for o in alone)
    for k, o in enumerate(alone):
        mine = offers_of_run(both, batched, k, refs)
        for f in Offers.__dataclass_fields__:
            assert np.array_equal(mine[f], getattr(o, f)), (k, f)


def assert_same_day(days, day, names) -> None:
    """Assert every run's counters of the ensemble's day are the run's alone, bit for bit."""
    for k, solo in enumerate(days):
        for name in names:
            if name in solo.count:
                assert day.count[name][k] == solo.count[name], (k, name)
            else:
                assert day.total[name][k] == solo.total[name], (k, name)
