"""Batched runs: K replications of one config stepped as one ensemble.

A small world's day is mostly fixed cost: thousands of small NumPy calls,
whatever its size. :class:`BatchedModel` builds each run's world as an
ordinary model would (the same seed gives the same world), stacks them into
one union world (:mod:`socialsim.world.union`) and steps the union with the
ordinary model's mechanisms, which keep each run's draws, counts and sums its
own (``docs/architecture.md``, "Batched runs"). Each run's tables are then
what the run gives alone, bit for bit; :func:`run_batch` returns them as
:func:`~socialsim.experiment.single_run.run_simulation` would, one result per
seed.

A batch holds replications of one config (different seeds, the same world
sections and levers), without plug-in components or a user's graph.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from socialsim._arrays import column_counts, group_by_run
from socialsim.config.schema import ModelConfig
from socialsim.day import Day
from socialsim.model import (
    BUILTIN_COMPONENTS,
    SocialCommerceModel,
    enabled_plugins,
)
from socialsim.recording import Recording
from socialsim.runs import Runs
from socialsim.state import ConsumerState
from socialsim.streams import EnsembleStreams, RandomStreams
from socialsim.world.cache import WorldCache
from socialsim.world.memory import check_memory
from socialsim.world.union import union_of_worlds
from socialsim.world.world import World, build_world

__all__ = ["BatchedModel", "run_batch"]


class BatchedModel(SocialCommerceModel):
    """K runs of one config, from K seeds, stepped together as one model.

    Parameters
    ----------
    config : ModelConfig
        The runs' config (``run.seed`` is replaced by each run's seed).
    seeds : sequence of int
        One seed per run; run ``k`` is what ``SocialCommerceModel(config,
        rng=seeds[k])`` would be.
    worlds : WorldCache, optional
        Worlds built before (shared with ordinary runs of the same seeds).

    Attributes
    ----------
    seeds : list of int
    run_worlds : list of World
        Each run's own world.
    run_configs : list of ModelConfig
        Each run's config (its seed recorded).

    Raises
    ------
    ValueError
        If `seeds` is empty or repeats a seed.
    """

    def __init__(
        self,
        config: ModelConfig,
        seeds: Sequence[int],
        *,
        worlds: WorldCache | None = None,
    ) -> None:
        started = time.perf_counter()
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
        seeds = [int(s) for s in seeds]
        if len(seeds) < 2 or len(set(seeds)) != len(seeds):
            raise ValueError(
                f"a batch needs two or more distinct seeds (one run is a SocialCommerceModel), "
                f"got {seeds}"
            )
        mechanisms = [*BUILTIN_COMPONENTS, *enabled_plugins(config)]
        not_ready = [c.__name__ for c in mechanisms if not c.batch_ready]
        if not_ready:
            raise NotImplementedError(
                "batched runs need every mechanism ready for them; not yet: " + ", ".join(not_ready)
            )
        check_memory(config)  # one run's estimate; the batch holds len(seeds) of them
        mesa.Model.__init__(self, rng=seeds[0])
        self.seeds = seeds
        self.seed = None
        self.config = config
        self.run_configs: list[ModelConfig] = []
        self.run_worlds: list[World] = []
        streams = []
        if min(seeds) < 0:
            raise ValueError(f"seeds must be >= 0, got {min(seeds)}")
        for seed in seeds:
            # as SocialCommerceModel: the world from one child stream, the day from the other
            world_rng, behaviour_rng = np.random.default_rng(seed).spawn(2)
            run_config = config.with_overrides({"run.seed": seed})
            if worlds is None:
                world = build_world(run_config, world_rng)
            else:
                world = worlds.get(run_config, seed, world_rng)
            self.run_configs.append(run_config)
            self.run_worlds.append(world)
            streams.append(RandomStreams(behaviour_rng.bit_generator.seed_seq))
        self.world, layout = union_of_worlds(self.run_worlds)
        self.streams = EnsembleStreams(streams)
        self.state = ConsumerState.initial(self.world)
        self.runs = Runs([w.n_consumers for w in self.run_worlds], layout)
        self._compose(())
        self.build_seconds = time.perf_counter() - started
        self.step_seconds = 0.0

    def _recording(self) -> Any:
        return BatchedRecording(self, self.columns)

    def run_results(self, k: int) -> RunTables:
        """Return run `k`'s tables and summary so far."""
        return RunTables(self, k)


class BatchedRecording:
    """One :class:`~socialsim.recording.Recording` per run of a batch, each fed its run's day."""

    def __init__(self, model: BatchedModel, columns: tuple[Any, ...]) -> None:
        self.model = model
        self.runs: list[Recording] = [
            Recording(_RunView(model, k), columns) for k in range(model.runs.n)
        ]
        self.orders = _RunOrderLogs(self.runs)

    def count_offers(self, day: Day, offers: Any) -> None:
        """Count each run's offers by tier (and whom a feed reached)."""
        runs = self.model.runs
        order, bounds = group_by_run(runs.of_consumers(offers.consumer), runs.n)
        grouped = offers if order is None else offers.take(order)
        for k, recording in enumerate(self.runs):
            mine = _run_day(day, k)
            part = grouped.take(slice(bounds[k], bounds[k + 1]))
            local = replace(
                part, consumer=(part.consumer - runs.consumer_start[k]).astype(np.int32)
            )
            recording.count_offers(mine, local)
            day.tier_offers[k] = mine.tier_offers
            day.tier_feed_offers[k] = mine.tier_feed_offers

    def record(self, day: Day) -> None:
        """Write each run's day into its tables."""
        model = self.model
        checkout = model.checkout
        orders = day.concat_orders()
        order, bounds = group_by_run(model.runs.of_consumers(orders["buyer"]), model.runs.n)
        if order is not None:
            orders = {name: column.take(order) for name, column in orders.items()}
        for k, recording in enumerate(self.runs):
            view = recording.model
            view.refresh()
            mine = _run_day(day, k)
            part = {name: column[bounds[k] : bounds[k + 1]] for name, column in orders.items()}
            mine.orders = _local_orders(model, part, k)
            recording.record(mine)
        checkout.new_buyers_today = np.zeros(model.runs.n, dtype=np.int64)


class _RunOrderLogs:
    """The runs' order logs, as one log for the mechanisms that mark orders (returns)."""

    def __init__(self, recordings: list[Recording]) -> None:
        self.recordings = recordings

    def mark_returned(self, order_ids: np.ndarray, run: np.ndarray) -> None:
        """Record returned orders: ids are rows of each run's own log, `run` their runs."""
        for k, recording in enumerate(self.recordings):
            mine = run == k
            if mine.any():
                recording.orders.mark_returned(order_ids[mine])


class _RunView:
    """What a run's Recording reads of the model, as the run alone would have it."""

    def __init__(self, model: BatchedModel, k: int) -> None:
        self.batch, self.k = model, k
        self.world = model.run_worlds[k]
        self.config = model.run_configs[k]
        self.rows = model.runs.rows(k)
        self.refresh()

    def refresh(self) -> None:
        batch, k = self.batch, self.k
        state = batch.state
        uses, last_order_step = state.uses[self.rows], state.last_order_step[self.rows]
        self.state = SimpleNamespace(
            last_order_step=last_order_step,
            user_counts=column_counts(uses),
            # a run's block is small: its counts are taken from it directly
            active_users=lambda since: column_counts(last_order_step >= since),
        )
        checkout = getattr(batch, "checkout", None)
        if checkout is not None:
            self.checkout = SimpleNamespace(
                customers_by_tier=checkout.customers_by_tier[k],
                new_buyers_today=int(checkout.new_buyers_today[k]),
            )
        membership = getattr(batch, "membership", None)
        if membership is not None:
            start = batch.runs.consumer_start[k]
            lists = []
            for members in membership.member_lists:
                members = np.asarray(members)
                mine = members[batch.runs.of_consumers(members) == k] if members.size else members
                lists.append(mine - start)
            self.membership = SimpleNamespace(member_lists=lists)
        brand_rules = getattr(batch, "brand_rules", None)
        if brand_rules is not None:
            reputation = np.asarray(brand_rules.reputation)
            self.brand_rules = SimpleNamespace(
                reputation=reputation[k] if reputation.ndim > 1 else reputation
            )


def _run_day(day: Day, k: int) -> Day:
    """Return run `k`'s share of a batch's day (counters, tier counts; no orders)."""
    mine = Day(day.step, day.n_tiers)
    mine.count = {name: int(value[k]) for name, value in day.count.items()}
    mine.total = {name: float(value[k]) for name, value in day.total.items()}
    mine.tier_offers = day.tier_offers[k].copy()
    mine.tier_feed_offers = day.tier_feed_offers[k].copy()
    mine.tier_member_gmv = day.tier_member_gmv[k].copy()
    return mine


def _local_orders(model: BatchedModel, orders: dict[str, np.ndarray], k: int) -> list[dict]:
    """Return run `k`'s shipped orders of the day (`orders`), numbered as in its own world."""
    runs = model.runs
    out = dict(orders)
    out["buyer"] = (out["buyer"] - runs.consumer_start[k]).astype(np.int32)
    out["product"] = runs.local("product", out["product"]).astype(np.int32)
    group = out["group_id"]
    local_group = getattr(model.group_buying, "local_group_id", None)
    if local_group is not None:
        out["group_id"] = np.where(group >= 0, local_group(np.maximum(group, 0)), group)
    return [out]


class RunTables(SimpleNamespace):
    """One run's tables of a batch: ``steps``, ``platforms``, ``tiers``, ``orders``, ``tables``."""

    @classmethod
    def of_model(cls, model: SocialCommerceModel, started_at: datetime) -> RunTables:
        """Return an ordinary model's tables, as a batch gives a run's."""
        out = SimpleNamespace.__new__(cls)
        SimpleNamespace.__init__(
            out,
            config=model.config,
            summary=model.summary(),
            steps=model.step_metrics(),
            platforms=model.platform_metrics(),
            tiers=model.tier_metrics(),
            orders=model.orders() if model.config.run.record_orders else None,
            tables=model.component_tables(),
            started_at=started_at,
        )
        return out

    def __init__(self, model: BatchedModel, k: int) -> None:
        recording = model.recording.runs[k]
        config = model.run_configs[k]
        steps = recording.steps.frame()
        start = config.run.start_date
        if start is not None:
            days = pd.to_timedelta(steps["step"].to_numpy() - 1, unit="D")
            steps.insert(1, "date", pd.Timestamp(start) + days)
        tables = {}
        for mechanism in model.table_mechanisms:
            run_tables = getattr(mechanism, "run_tables", None)
            if run_tables is not None:
                tables.update(run_tables(k))
        world = model.run_worlds[k]
        rows = recording.steps.rows
        customers = model.checkout.customers_by_tier[k]
        tiers = world.population.tier_counts()
        gmv = float(np.sum(np.array([r["gmv"] for r in rows], dtype=np.float64)))
        orders = int(sum(r["orders"] for r in rows))
        summary = {
            "seed": model.seeds[k],
            "config_hash": config.config_hash(),
            "steps": int(model.steps),
            "n_consumers": world.n_consumers,
            "gmv": gmv,
            "orders": orders,
            "customers": int(customers.sum()),
            "penetration": float(customers.sum() / world.n_consumers),
            "penetration_by_tier": {
                f"t{t}": float(customers[t - 1] / max(tiers[t - 1], 1))
                for t in range(1, tiers.size + 1)
            },
            # the batch's time, shared equally among its runs
            "build_seconds": round(model.build_seconds / model.runs.n, 4),
            "step_seconds": round(model.step_seconds / model.runs.n, 4),
        }
        super().__init__(
            config=config,
            summary=summary,
            steps=steps,
            platforms=recording.platforms.frame(),
            tiers=recording.tiers.frame(),
            orders=recording.orders.frame() if config.run.record_orders else None,
            tables=tables,
        )


def run_batch(
    config: ModelConfig, seeds: Sequence[int], *, worlds: WorldCache | None = None
) -> list[RunTables]:
    """Run K replications of `config` as one batch and return each run's tables.

    Parameters
    ----------
    config : ModelConfig
        The runs' config; ``run.steps`` days each.
    seeds : sequence of int
        One seed per run.
    worlds : WorldCache, optional
        Worlds built before.

    Returns
    -------
    list of RunTables
        Per seed, in order: what :func:`~socialsim.experiment.single_run.run_simulation`
        gives for that seed (``steps``, ``platforms``, ``tiers``, ``orders``, ``tables``).
    """
    started_at = datetime.now(UTC)
    if len(seeds) == 1:  # one run is an ordinary model
        one = SocialCommerceModel(config, rng=seeds[0], worlds=worlds, agents="lazy")
        one.run(config.run.steps)
        return [RunTables.of_model(one, started_at)]
    model = BatchedModel(config, seeds, worlds=worlds)
    model.run(config.run.steps)
    out = []
    for k in range(len(seeds)):
        result = model.run_results(k)
        result.started_at = started_at
        out.append(result)
    return out
