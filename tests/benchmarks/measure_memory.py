"""Measure how much memory building and running a world takes, and fit the estimate's coefficients.

A runnable script, not a test::

    python tests/benchmarks/measure_memory.py            # every case, then the fit
    python tests/benchmarks/measure_memory.py --quick    # the cases up to 200k consumers

Each case runs in a fresh Python process. The child imports socialsim, builds
and runs a tiny warm-up model (so lazily imported modules and caches are
already resident), frees it, reads its resident set size (``VmRSS``) as the
baseline and resets the peak (``VmHWM``, via ``/proc/self/clear_refs``). It then
builds ``SocialCommerceModel(config)``, runs ``run.steps`` days and collects the
results a run hands on (the step table and, with ``run.record_orders``, the
order table), and reports the peak resident memory above the baseline. That
growth is what :func:`socialsim.world.memory.estimate_memory` estimates; the
interpreter and libraries (the baseline) are the separate per-process
constant ``PROCESS_BYTES``.

The parent prints one row per case, then fits the peak growth by non-negative
least squares on the quantities that drive it (consumers, consumers x
categories, consumers x platforms, adjacency entries, follow entries, eager
consumer agents, orders) and prints the coefficients to copy into
``socialsim/world/memory.py``. The last table compares the module's current
estimate with every measured peak.

Keep other heavy jobs off the machine while measuring: resident memory is a
per-process figure, but page cache pressure and a swapping neighbour can still
move it. The largest case (1M consumers, 90 days) takes about a minute and
about 1.3 GB.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

# (label, n_consumers, overrides, extra): extra names a structural change the overrides
# cannot express ("categories12": every category twice, "platforms12": every platform twice).
CASES: list[tuple[str, int, dict[str, Any], str]] = [
    ("10k", 10_000, {}, ""),
    ("20k 5 days", 20_000, {"run.steps": 5}, ""),
    ("50k", 50_000, {}, ""),
    ("50k lazy agents", 50_000, {"agents.eager_consumer_limit": 0}, ""),
    ("100k", 100_000, {}, ""),
    ("200k", 200_000, {}, ""),
    ("200k degree 5", 200_000, {"network.mean_degree": 5}, ""),
    ("200k degree 30", 200_000, {"network.mean_degree": 30}, ""),
    ("200k no orders", 200_000, {"run.record_orders": False}, ""),
    ("200k 400 KOLs", 200_000, {"influencers.n_kols": 400}, ""),
    ("200k 12 categories", 200_000, {}, "categories12"),
    ("200k 12 platforms", 200_000, {}, "platforms12"),
    ("500k", 500_000, {}, ""),
    ("500k degree 30, 30 days", 500_000, {"network.mean_degree": 30, "run.steps": 30}, ""),
    ("1M", 1_000_000, {}, ""),
    ("1M no orders, 30 days", 1_000_000, {"run.record_orders": False, "run.steps": 30}, ""),
]
QUICK_LIMIT = 200_000
# The phases whose peaks are fitted: generating the social graph, the rest of the world,
# the rest of the model's construction, and the run with its results.
PHASES = ("network_peak", "world_peak", "model_peak", "run_peak")
SEED = 20261123
FEATURES = (
    "fixed",
    "consumer",
    "consumer_category",
    "consumer_platform",
    "adjacency_entry",
    "follow_entry",
    "eager_agent",
    "order",
)


def make_config(n: int, overrides: dict[str, Any], extra: str):
    """Return the case's ModelConfig."""
    from socialsim import ModelConfig

    config = ModelConfig().with_overrides({"population.n_consumers": n, **overrides})
    if not extra:
        return config
    data = config.model_dump()
    if extra == "categories12":
        table = data["catalogue"]["categories"]
        table.update({f"{name}_b": dict(row) for name, row in list(table.items())})
    elif extra == "platforms12":
        table = data["platforms"]
        table.update({f"{name}_b": dict(row) for name, row in list(table.items())})
    else:
        raise ValueError(f"unknown extra {extra!r}")
    return type(config).model_validate(data)


# --------------------------------------------------------------------------- child


def _status(key: str) -> int | None:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return None


def _reset_peak() -> bool:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def child(n: int, overrides: dict[str, Any], extra: str, trace: bool) -> dict[str, Any]:
    """Build and run one world; return its measurements."""
    import tracemalloc

    from socialsim import ModelConfig, SocialCommerceModel

    warm = SocialCommerceModel(ModelConfig.small(), rng=1)
    warm.run(2)
    warm.step_metrics(), warm.orders()
    del warm
    config = make_config(n, overrides, extra)
    gc.collect()
    base = _status("VmRSS")
    if not _reset_peak():
        raise SystemExit("cannot reset VmHWM (/proc/self/clear_refs); Linux only")
    if trace:
        tracemalloc.start()
    # The build's peak is the largest of its phases' peaks, and each phase grows with other
    # things (the network's edge lists with the degree, the model's arrays with categories),
    # so each phase is measured on its own: wrap the phase's function, read the peak when it
    # returns and start a new one.
    phase_peaks = {}

    def measured(name, func):
        def wrapper(*args, **kwargs):
            value = func(*args, **kwargs)
            phase_peaks[name] = _status("VmHWM") - base
            _reset_peak()
            return value

        return wrapper

    import socialsim.model
    import socialsim.world.world

    originals = (socialsim.world.world.generate_social_network, socialsim.model.build_world)
    socialsim.world.world.generate_social_network = measured("network", originals[0])
    socialsim.model.build_world = measured("world", originals[1])
    started = time.perf_counter()
    try:
        model = SocialCommerceModel(config, rng=SEED)
    finally:
        socialsim.world.world.generate_social_network, socialsim.model.build_world = originals
    build_s = time.perf_counter() - started
    phase_peaks["model"] = _status("VmHWM") - base
    build_peak = max(phase_peaks.values())
    resident = _status("VmRSS") - base
    # The run's peak on its own: the build's transients (edge lists, COO copies) are gone.
    _reset_peak()
    model.run()
    metrics = model.step_metrics()
    orders = model.orders() if config.run.record_orders else None
    run_peak = _status("VmHWM") - base
    peak = max(build_peak, run_peak)
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    world = model.world
    eager = n if n <= config.agents.eager_consumer_limit else 0
    result = {
        "n": n,
        "degree": config.network.mean_degree,
        "steps": config.run.steps,
        "categories": world.catalogue.n_categories,
        "platforms": len(config.platforms),
        "adjacency_entries": int(world.network.adjacency.nnz),
        "follow_entries": int(world.influencers.follows.nnz + world.influencers.prospects.nnz),
        "eager_agents": eager,
        "orders": 0 if orders is None else len(orders),
        "order_rate": float(metrics["orders"].sum()) / (n * max(config.run.steps, 1)),
        "build_s": build_s,
        "run_s": time.perf_counter() - started - build_s,
        "network_peak": phase_peaks["network"],
        "world_peak": phase_peaks["world"],
        "model_peak": phase_peaks["model"],
        "build_peak": build_peak,
        "resident": resident,
        "run_peak": run_peak,
        "peak": peak,
        "traced_peak": traced,
        "baseline": base,
    }
    del model, metrics, orders
    return result


# --------------------------------------------------------------------------- parent


def features(r: dict[str, Any]) -> np.ndarray:
    """The fit's regressors for one measured case (actual counts, not expected ones)."""
    n = r["n"]
    return np.array(
        [
            1.0,
            n,
            n * r["categories"],
            n * r["platforms"],
            r["adjacency_entries"],
            r["follow_entries"],
            r["eager_agents"],
            r["orders"],
        ],
        dtype=np.float64,
    )


def fit(rows: list[dict[str, Any]], target: str) -> dict[str, float]:
    """Non-negative least squares of one phase's peak (`target`) on the features.

    Dividing each row by its peak fits relative error, so the 10k worlds count as
    much as the 1M ones. Only the run has orders, so only its fit uses them.
    """
    from scipy.optimize import nnls

    use = [name != "order" or target == "run_peak" for name in FEATURES]
    x = np.array([features(r)[use] for r in rows])
    y = np.array([r[target] for r in rows], dtype=np.float64)
    coef, _ = nnls(x / y[:, None], np.ones_like(y))
    full = np.zeros(len(FEATURES))
    full[use] = coef
    return dict(zip(FEATURES, full.tolist(), strict=True))


def _implied(r: dict[str, Any]) -> dict[str, Any]:
    """The row with its counts replaced by those the module infers from the config."""
    from socialsim.world.memory import _counts

    counts = _counts(make_config(r["n"], r["overrides"], r["extra"]))
    implied = dict(r)
    implied["adjacency_entries"] = counts.adjacency_entry
    implied["follow_entries"] = counts.follow_entry
    implied["orders"] = counts.order
    return implied


def predict(coef: dict[str, float], r: dict[str, Any]) -> float:
    """A fit's value for one measured case."""
    return float(features(r) @ np.array([coef[name] for name in FEATURES]))


def run_case(label: str, n: int, overrides: dict[str, Any], extra: str, trace: bool) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        json.dumps({"n": n, "overrides": overrides, "extra": extra, "trace": trace}),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["label"] = label
    result["overrides"] = overrides
    result["extra"] = extra
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="only worlds up to 200k consumers")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help=(
            "also report the tracemalloc peak (worlds up to 200k consumers); tracing costs "
            "memory of its own, so do not fit on such a run"
        ),
    )
    parser.add_argument("--json", help="write the measured rows to this file")
    parser.add_argument("--fit", help="refit rows saved with --json instead of measuring")
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(spec["n"], spec["overrides"], spec["extra"], spec["trace"])))
        return

    import socialsim

    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"socialsim {socialsim.__version__}"
    )
    if args.fit:
        print(f"# refit of the rows in {args.fit}; the time above is now, not when measured")
        with open(args.fit) as f:
            rows = json.load(f)["rows"]
    else:
        rows = []
        for label, n, overrides, extra in CASES:
            if args.quick and n > QUICK_LIMIT:
                continue
            trace = args.tracemalloc and n <= QUICK_LIMIT
            print(f"measuring {label} ...", file=sys.stderr, flush=True)
            rows.append(run_case(label, n, overrides, extra, trace))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rows": rows}, f, indent=1)
    report(rows)


def report(rows: list[dict[str, Any]]) -> None:
    """Print the measured table, the fits and how the module's estimate compares."""
    from socialsim.world.memory import PROCESS_BYTES, estimate_memory

    mb = 1e6
    print(
        f"{'case':<26} {'n':>9} {'deg':>4} {'days':>4} {'adj entries':>11} {'follows':>9} "
        f"{'orders':>9} {'net MB':>6} {'world':>6} {'model':>6} {'run MB':>6} {'peak MB':>7} "
        f"{'traced':>6} "
        f"{'est MB':>7} {'est/pk':>6} {'secs':>5}"
    )
    ratios = []
    for r in rows:
        estimate = estimate_memory(make_config(r["n"], r["overrides"], r["extra"])).total
        ratios.append(estimate / r["peak"])
        traced = f"{r['traced_peak'] / mb:6.0f}" if r["traced_peak"] is not None else " " * 6
        print(
            f"{r['label']:<26} {r['n']:>9,} {r['degree']:>4.0f} {r['steps']:>4} "
            f"{r['adjacency_entries']:>11,} {r['follow_entries']:>9,} {r['orders']:>9,} "
            f"{r['network_peak'] / mb:>6.0f} {r['world_peak'] / mb:>6.0f} "
            f"{r['model_peak'] / mb:>6.0f} {r['run_peak'] / mb:>6.0f} {r['peak'] / mb:>7.0f} "
            f"{traced} {estimate / mb:>7.0f} {estimate / r['peak']:>6.2f} "
            f"{r['build_s'] + r['run_s']:>5.1f}"
        )
    baseline = np.median([r["baseline"] for r in rows])
    print(
        f"\nbaseline (interpreter + libraries, warmed up): {baseline / mb:.0f} MB "
        f"(PROCESS_BYTES = {PROCESS_BYTES / mb:.0f} MB)"
    )
    per_need = []
    for r in rows:
        config = make_config(r["n"], r["overrides"], r["extra"])
        need = sum(c.need_rate for c in config.catalogue.categories.values())
        per_need.append(r["order_rate"] / need)
    print(
        "orders per consumer-day per unit of summed need rate: "
        f"max {max(per_need):.3f} ({rows[int(np.argmax(per_need))]['label']}), "
        f"median {np.median(per_need):.3f}"
    )
    both = {}
    constants = []
    for target in PHASES:
        coef = fit(rows, target)
        both[target] = coef
        ratio = np.array([predict(coef, r) / r[target] for r in rows])
        print(f"\nfit of {target} (bytes per unit; NNLS on relative error):")
        for name, value in coef.items():
            print(f"  {name:<18} {value:12.2f}")
        print(f"  fit / measured: min {ratio.min():.3f}, max {ratio.max():.3f}")
        # Scaled so that, applied to the counts the module infers from the config (upper
        # bounds: n * mean_degree entries, a generous KOL audience, ORDERS_PER_NEED), the fit
        # is just above every measured world: the module's coefficients.
        implied = np.array([predict(coef, _implied(r)) / r[target] for r in rows])
        scale = 1.0 / implied.min()
        both[target] = {name: value * scale for name, value in coef.items()}
        constants.append(
            f"    {target.removesuffix('_peak')!r}: _Bytes("
            + ", ".join(f"{name}={value * scale:.1f}" for name, value in coef.items())
            + "),"
        )
    print("\nfor socialsim/world/memory.py (each phase scaled to lie just above every world):")
    print("PHASES = {")
    print("\n".join(constants))
    print("}")
    fitted = [max(predict(both[target], _implied(r)) for target in PHASES) for r in rows]
    combined = np.array(fitted) / np.array([r["peak"] for r in rows])
    print(
        f"\nraised phase fits / peak: min {combined.min():.3f}, max {combined.max():.3f}; "
        f"module estimate / peak: min {min(ratios):.2f}, max {max(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
