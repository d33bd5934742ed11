"""Returns in a batched ensemble: each run's draws, order ids, refunds and counts are its own."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.livestream import Livestreams
from socialsim.mechanisms.returns import Returns
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_brands import orders_of, to_union

SEEDS = (41, 42, 43)


class OrderLogs:
    """What returns mark in the ensemble's order log: each run's returned ids."""

    def __init__(self, n_runs: int) -> None:
        self.returned = [[] for _ in range(n_runs)]

    def mark_returned(self, ids: np.ndarray, run: np.ndarray) -> None:
        for k, part in enumerate(self.returned):
            part.append(ids[run == k])


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    return ModelConfig.small().with_overrides({"behaviour.return_days": 3})


def test_returns_of_each_run_in_an_ensemble_are_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    runs = both.model.runs
    both.model.order_log = OrderLogs(both.n_runs)
    both.model.livestream = SimpleNamespace(
        return_rate=both.solo[0].livestream.return_rate,
        shipped_orders=lambda day, orders, live: np.full(len(orders), -1, dtype=np.int32),
        settled=lambda day, settled: None,
    )
    batched = Returns(both.model)
    alone = [m.returns for m in both.solo]
    rng = np.random.default_rng(6)
    for step in range(1, 12):
        # (the solo runs' livestreams settle too: their columns are open)
        days, day = both.days(step, Returns.columns + Livestreams.columns)
        for returns, solo_day in zip(alone, days, strict=True):
            returns.start_day(solo_day)
        batched.start_day(day)
        settled = batched.settled
        run = runs.of_consumers(settled.buyer)
        for k, returns in enumerate(alone):
            mine = run == k
            assert np.array_equal(settled.order[mine], returns.settled.order), (step, k)
            assert np.array_equal(settled.returned[mine], returns.settled.returned), (step, k)
            assert np.array_equal(settled.price[mine], returns.settled.price), (step, k)
            local = runs.local("product", settled.product[mine])
            assert np.array_equal(local, returns.settled.product), (step, k)
        # three batches: run 0 ships in each, run 1 in the second, run 2 in the first and last
        # (a run counts only the batches it ships in: its second is the ensemble's third)
        for batch in range(3):
            parts, prices = [], []
            for k, (model, returns) in enumerate(zip(both.solo, alone, strict=True)):
                ships = batch in ((0, 1, 2), (1,), (0, 2))[k]
                o, p = orders_of(model, rng, int(rng.integers(30, 150)) if ships else 0)
                if ships:
                    returns.shipped(days[k], o, p)
                parts.append(o)
                prices.append(p)
            union, price = to_union(both, parts, prices, rng)
            batched.shipped(day, union, price)
        for k, (model, returns) in enumerate(zip(both.solo, alone, strict=True)):
            assert batched.n_shipped[k] == returns.n_shipped
            assert np.array_equal(
                both.block(both.model.state.budget_left, k), model.state.budget_left
            )
            assert day.count["returns"][k] == days[k].count["returns"], (step, k)
            assert day.total["refunds_value"][k] == days[k].total["refunds_value"], (step, k)
    for k, model in enumerate(both.solo):
        marked = np.concatenate(both.model.order_log.returned[k])
        assert np.array_equal(marked, np.concatenate(model.order_log.returned_ids))
    # the runs differ, and orders came back
    assert day.count["returns"].min() > 0
    assert len(set(day.total["refunds_value"].tolist())) == both.n_runs
