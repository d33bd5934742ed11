"""Membership in a batched ensemble: each run's joins, renewals, refunds and counts are its own."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from socialsim import ModelConfig
from socialsim.mechanisms.membership import Membership
from tests.unit.mechanisms.batched import Ensemble
from tests.unit.mechanisms.batched_brands import orders_of, products_to_union, to_union

SEEDS = (51, 52, 53)


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    # two membership platforms, cheap and short terms (renewals within the test), high joining
    member = {"fee": 2.0, "join_rate": 0.3, "term_days": 3, "price_protection_days": 4}
    overrides = {f"platforms.kaola.membership.{k}": v for k, v in member.items()}
    overrides |= {f"platforms.douyin.membership.{k}": v for k, v in member.items()}
    overrides |= {"platforms.douyin.membership.enabled": True}
    overrides |= {"platforms.douyin.membership.renewal": False}
    return ModelConfig.small().with_overrides(overrides)


def prices_of(model, rng: np.random.Generator, step: int) -> tuple[np.ndarray, np.ndarray]:
    """A day's prices (some drop from day to day) and promotions' ends, for one run."""
    base = model.world.catalogue.price.astype(np.float64)
    n_platforms = len(model.world.platforms.names)
    price = base[None, :] * rng.uniform(0.6, 1.0, (n_platforms, base.size))
    promo_until = np.where(rng.random(price.shape) < 0.3, step + 1, -1).astype(np.int32)
    return price, promo_until


def test_membership_of_each_run_in_an_ensemble_is_the_run_s_alone(config):
    both = Ensemble(config, SEEDS)
    runs = both.model.runs
    batched = Membership(both.model)
    alone = [m.membership for m in both.solo]
    rng = np.random.default_rng(7)
    state = both.model.state
    seen = dict.fromkeys(("members_joined", "members_renewed", "members_lapsed"), 0)
    for step in range(1, 11):
        days, day = both.days(step, Membership.columns)
        books = [prices_of(model, rng, step) for model in both.solo]
        for model, (price, until) in zip(both.solo, books, strict=True):
            model.pricing.book.price, model.pricing.book.promo_until = price, until
        both.model.prices = SimpleNamespace(
            price=products_to_union(both, [b[0] for b in books]),
            promo_until=products_to_union(both, [b[1] for b in books]),
        )
        for membership, solo_day in zip(alone, days, strict=True):
            membership.start_day(solo_day)
        batched.start_day(day)
        for _ in range(2):  # two batches of orders; the purchasers spend
            parts, prices = [], []
            for model in both.solo:
                o, p = orders_of(model, rng, int(rng.integers(100, 300)))
                parts.append(o)
                prices.append(p)
            union, price = to_union(both, parts, prices, rng)
            shift = batched.logit_shift(union)
            run = runs.of_consumers(union.consumer)
            for k, (model, membership) in enumerate(zip(both.solo, alone, strict=True)):
                assert np.array_equal(shift[run == k], membership.logit_shift(parts[k]))
                membership.shipped(days[k], parts[k], prices[k])
                np.add.at(model.state.recent_spend, (parts[k].purchaser(), parts[k].platform), 50)
            batched.shipped(day, union, price)
            np.add.at(state.recent_spend, (union.purchaser(), union.platform), 50)
        for membership, solo_day in zip(alone, days, strict=True):
            membership.after_sale(solo_day)
            membership.end_day(solo_day)
        batched.after_sale(day)
        batched.end_day(day)
        for name in seen:
            seen[name] += int(day.count[name].sum())
        for k, (model, membership) in enumerate(zip(both.solo, alone, strict=True)):
            for name in ("member", "member_until", "budget_left", "recent_spend"):
                got = both.block(getattr(state, name), k)
                assert np.array_equal(got, getattr(model.state, name)), (step, k, name)
            assert np.array_equal(both.block(batched.value, k), membership.value), (step, k)
            for name, value in days[k].count.items():
                assert day.count[name][k] == value, (step, k, name)
            for name, value in days[k].total.items():
                assert day.total[name][k] == value, (step, k, name)
            assert np.array_equal(day.tier_member_gmv[k], days[k].tier_member_gmv), (step, k)
            start = runs.rows(k).start
            for p, listed in enumerate(membership.member_lists):
                mine = batched.member_lists[p]
                got = mine[runs.of_consumers(mine) == k] - start
                assert np.array_equal(got, listed), (step, k, p)
    # the runs differ, and members joined, renewed, lapsed and were refunded
    assert len(set(day.count["members"].tolist())) == both.n_runs
    assert min(seen.values()) > 0, seen
    assert day.total["price_protection_refunds"].min() > 0
