"""How well common random numbers pair the arms of a comparison (issue 24, point 1).

Run from the repository root::

    python benchmarks/common_random_numbers.py          # 8 replications (about 1 minute)
    python benchmarks/common_random_numbers.py --reps 16

Two arms differ only in Pinduoduo's group discount (0.20 against 0.22) on a
6,000-consumer default world over 40 days; replication ``r`` runs both arms
with seed ``1000 + r``, so they share their world and every random stream.
For GMV and for group orders (``orders_group``) over the run it reports
var(paired difference) / (var(a) + var(b)): 1 for unpaired arms, 0 for arms
whose difference is the same in every replication. Goals: at most 0.01 for
GMV and 0.03 for group orders. It prints the machine, the date, and CPU
seconds beside wall seconds, and appends nothing: copy the figures into
``benchmarks/results.md`` by hand.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import numpy as np

from socialsim import ModelConfig, SocialCommerceModel, __version__

GOALS = {"gmv": 0.01, "orders_group": 0.03}


def totals(discount: float, seed: int, consumers: int, days: int) -> dict[str, float]:
    """Run one arm; return its totals of the measured outcomes."""
    config = ModelConfig().with_overrides(
        {
            "population.n_consumers": consumers,
            "platforms.pinduoduo.group_buying.discount": discount,
        }
    )
    model = SocialCommerceModel(config, rng=seed)
    model.run(days)
    steps = model.step_metrics()
    return {name: float(steps[name].sum()) for name in GOALS}


def variance_ratio(a: np.ndarray, b: np.ndarray) -> float:
    """Return var(b - a) / (var(a) + var(b)), with n - 1 denominators."""
    return float(np.var(b - a, ddof=1) / (np.var(a, ddof=1) + np.var(b, ddof=1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=8, help="replications (default 8)")
    parser.add_argument("--consumers", type=int, default=6000)
    parser.add_argument("--days", type=int, default=40)
    args = parser.parse_args(argv)
    wall, cpu = time.perf_counter(), time.process_time()
    arms = {
        d: [totals(d, 1000 + r, args.consumers, args.days) for r in range(args.reps)]
        for d in (0.20, 0.22)
    }
    print(
        f"socialsim {__version__}, {platform.processor() or platform.machine()}, "
        f"{datetime.date.today()}: {args.reps} replications of {args.consumers} consumers, "
        f"{args.days} days, Pinduoduo discount 0.20 against 0.22"
    )
    met = True
    for name, goal in GOALS.items():
        a = np.array([row[name] for row in arms[0.20]])
        b = np.array([row[name] for row in arms[0.22]])
        ratio = variance_ratio(a, b)
        ok = ratio <= goal
        met &= ok
        print(
            f"  {name}: mean {a.mean():,.0f} -> {b.mean():,.0f}, paired difference "
            f"{(b - a).mean():,.0f} (sd {(b - a).std(ddof=1):,.0f}); var ratio {ratio:.4f} "
            f"(goal <= {goal}: {'met' if ok else 'NOT met'})"
        )
    print(
        f"  {2 * args.reps} runs: {time.process_time() - cpu:.1f} s CPU, "
        f"{time.perf_counter() - wall:.1f} s wall"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
