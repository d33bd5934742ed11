"""Measure the membership relationship with the settings docs/membership.md recommends.

Run from the repository root (about two minutes of one core)::

    python benchmarks/membership_relationship.py

and compare with the numbers in ``docs/membership.md``. Every comparison
is paired: the arms of a seed share it (common random numbers) and differ
only in the setting named.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from socialsim import ModelConfig, SocialCommerceModel

PLATFORMS = tuple(ModelConfig().platforms)
WAIT = {f"platforms.{name}.promotions.wait_shift": -0.3 for name in PLATFORMS}
NO_WAIT = {key: 0.0 for key in WAIT}
FLIPS: dict[str, Any] = {
    "platforms.kaola.membership.renewal": True,
    "platforms.kaola.membership.loyalty_shift": 1.0,
    "population.high_net_worth_share": 0.02,
    **WAIT,
}
"""The recommended flips (the segment's multipliers already default to 5 and 6)."""


def run(n: int, days: int, seed: int, overrides: dict[str, Any], members: bool = False) -> Any:
    """Run a small world; with `members`, Kaola's first users are members throughout."""
    model = SocialCommerceModel(ModelConfig.small(n).with_overrides(overrides), rng=seed)
    kaola = model.world.platforms.names.index("kaola")
    if members:
        first = np.flatnonzero(model.state.uses[:, kaola])
        model.state.member[first, kaola] = True
        model.state.member_until[first, kaola] = 10_000
        model.first_members = first
    best = np.zeros(n)

    def track(m: Any) -> None:
        np.maximum(best, m.membership.value[:, kaola], out=best)

    started = time.process_time()
    model.run(days, callback=track)
    model.cpu = time.process_time() - started
    model.best_value = best
    model.kaola = kaola
    return model


def renewals() -> None:
    print("## renewals and the segment: 1,000 consumers, 420 days")
    fee = ModelConfig().platforms["kaola"].membership.fee
    for seed in range(1, 6):
        m = run(1_000, 420, seed, FLIPS)
        steps, segment = m.step_metrics(), m.world.population.high_net_worth
        orders = m.orders()
        year = orders[orders["step"] > 420 - 365]
        spend = np.bincount(year["buyer"], weights=year["price_paid"], minlength=1_000)
        print(
            f"seed {seed}: renewed {steps['members_renewed'].sum()}, "
            f"lapsed {steps['members_lapsed'].sum()}, joined {steps['members_joined'].sum()}; "
            f"segment members whose term saved more than the fee "
            f"{(m.best_value[segment] > fee).sum()} of {segment.sum()}, others "
            f"{(m.best_value[~segment] > fee).sum()} of {(~segment).sum()}; yearly spend median "
            f"segment {np.median(spend[segment]):.0f}, others {np.median(spend[~segment]):.0f} "
            f"RMB; {m.cpu:.1f} s CPU"
        )


def protection() -> None:
    print("## protection 0 vs 30 days, members joining by the rule: 2,000 consumers, 420 days")
    for label, waiting in (("wait_shift -0.3", WAIT), ("wait_shift 0", NO_WAIT)):
        for seed in (1, 2, 3):
            per_day = []
            for days in (0, 30):
                window = {"platforms.kaola.membership.price_protection_days": days}
                steps = run(2_000, 420, seed, {**FLIPS, **waiting, **window}).step_metrics()
                per_day.append(steps["member_gmv"].sum() / max(steps["members"].sum(), 1))
            print(
                f"{label}, seed {seed}: member GMV per member-day {per_day[0]:.2f} -> "
                f"{per_day[1]:.2f} RMB"
            )
    print("## the same members (Kaola's first users), joining off: 2,000 consumers, 120 days")
    for seed in (1, 2, 3, 4):
        found = []
        for days in (0, 30):
            over = {
                **FLIPS,
                "platforms.kaola.membership.join_rate": 0.0,
                "platforms.kaola.membership.price_protection_days": days,
            }
            m = run(2_000, 120, seed, over, members=True)
            orders = m.orders()
            mine = orders[
                (orders["platform"].cat.codes == m.kaola) & orders["buyer"].isin(m.first_members)
            ]
            found.append((len(mine), mine["price_paid"].sum(), m.cpu))
        (o0, g0, c0), (o1, g1, c1) = found
        print(
            f"seed {seed}: members' Kaola orders {o0} -> {o1}, GMV {g0:.0f} -> {g1:.0f} RMB "
            f"({c0:.1f} + {c1:.1f} s CPU)"
        )


def loyalty() -> None:
    print("## loyalty_shift 0 vs 1: 2,000 consumers, 240 days (days 121-240)")
    for shift in (0.0, 1.0):
        shares, column = [], []
        for seed in (1, 2, 3):
            m = run(2_000, 240, seed, {**FLIPS, "platforms.kaola.membership.loyalty_shift": shift})
            member = m.state.member[:, m.kaola]
            orders = m.orders()
            late = orders[orders["step"] > 120]
            on_kaola = (late["platform"].cat.codes == m.kaola).to_numpy()
            spend = np.bincount(late["buyer"], weights=late["price_paid"], minlength=2_000)
            kaola = np.bincount(
                late["buyer"][on_kaola], weights=late["price_paid"][on_kaola], minlength=2_000
            )
            shares.append(kaola[member].sum() / spend[member].sum())
            column.append(m.step_metrics()["member_share_of_wallet"].iloc[-60:].mean())
        print(
            f"loyalty_shift {shift}: members' spending on Kaola {np.mean(shares):.3f} of their "
            f"spending; member_share_of_wallet {np.mean(column):.3f}"
        )


def gmv() -> None:
    print("## GMV: 10,000 consumers, 120 days, seeds 1 and 2")
    arms = {
        "defaults": {},
        "wait_shift -0.3 only": WAIT,
        "all flips": FLIPS,
    }
    for label, over in arms.items():
        found = [run(10_000, 120, seed, over) for seed in (1, 2)]
        total = np.mean([m.step_metrics()["gmv"].sum() for m in found])
        members = np.mean([m.step_metrics()["members"].iloc[-1] for m in found])
        cpu = np.mean([m.cpu for m in found])
        print(f"{label}: GMV {total:.0f} RMB, members {members:.1f}, {cpu:.1f} s CPU a run")


if __name__ == "__main__":
    renewals()
    protection()
    loyalty()
    gmv()
