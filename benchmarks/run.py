"""socialsim's benchmark suite: build time, step time and memory from 10k to 10M consumers.

Run from the repository root::

    python benchmarks/run.py            # 10k to 10M consumers (about 20 minutes, 8 GB)
    python benchmarks/run.py --quick    # 10k and 100k only (about 5 minutes)

and read ``benchmarks/results.md`` (``--out`` writes elsewhere). Each
measurement runs in a fresh Python process, so that its peak resident memory
is its own and no cache or allocation carries over from another size.

What is measured, against the targets of issue 5 (checked here, not by timed
unit tests):

* **the default world at scale**: the built-in default config with only
  ``population.n_consumers`` changed (the default head counts of KOLs, KOCs,
  store owners and daigou stay as they are) and a marketing campaign switched
  on, so that every mechanism runs on the six default platforms. Reported:
  world build time, median and total time of 100 steps, peak resident
  memory. The 1M world runs for three world seeds, since its cost depends on
  how many follow entries its KOLs draw. Targets at 1M, for every seed: build
  <= 10 s, 100 steps <= 60 s, peak < 3 GB.
* **linear cost**: time per step per (consumer + stored adjacency entry) at
  1M is at most 1.5 times that at 100k.
* **against a plain per-agent Mesa model** (:mod:`socialsim.reference`): the
  same consumer rules, one ``mesa.Agent`` per consumer stepped with
  ``shuffle_do``, timed side by side with socialsim on the same reduced
  config, at 10k and 100k consumers. Target: socialsim's step at least 50
  times faster at 100k.
* **the default** ``socialsim run`` **(50,000 consumers, 90 days)**: wall
  time of the command, target under 20 s.
* **sweeps scale**: a sweep of 192 small runs on the ``process`` executor
  with 2 workers against ``serial``. Target: at most 0.6 times the serial
  wall time. The workers' start-up (about 2 s) is reported on its own.

And against the targets of issue 26 (performance at both ends):

* **at scale**: 3M and 10M consumers (fewer steps: :data:`SIZE_STEPS`). Targets:
  the 1M step at most 0.2 s of CPU with every mechanism on; the 10M step at
  most 3 s of CPU, its cost per (consumer + adjacency entry) at most 1.5
  times the 1M world's over the same first days, its build at most 45 s and
  its peak memory at most 12 GB.
* **small runs in bulk**: 32 runs of a 5,000-consumer, 30-day world, one
  sweep's points under common random numbers, against one run's CPU. Target
  (for batched runs): at most 10 times. Reported as run one by one in one
  process, with and without the world cache, so the cache's saving shows.

Every step time is given in CPU seconds (``time.process_time``, all threads)
beside wall seconds: the machine is shared, and a loaded machine stretches
wall time without a change in the code. The targets on the step are read on
CPU. The hand-written "Common random numbers" section of ``results.md``
(:mod:`benchmarks.common_random_numbers`) is kept as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"

#: Default-world sizes of the quick mode (the full mode adds 1M, 3M and 10M) and the steps timed.
QUICK_SIZES = (10_000, 100_000)
LARGE_SIZES = (3_000_000, 10_000_000)
STEPS = 100
#: Fewer steps in the largest worlds (a 10M step takes seconds); their per-entry cost is
#: compared with the 1M world's over the same first days (a step's cost grows over the
#: first weeks as groups, followers and stores build up).
SIZE_STEPS = {3_000_000: 30, 10_000_000: 10}
#: World seeds of the 1M world. Its cost depends on the draw: with 100 KOLs, Pareto
#: follower counts put about 0.9 to 1.5 million follow entries in a 1M world, and every
#: follow entry is work in posts, livestreams and churn. The targets must hold for each.
SEEDS = (20261122, 1, 2)
#: Sizes at which the per-agent reference is timed, and its steps (it is slow).
REFERENCE_SIZES = (10_000, 100_000)
REFERENCE_WARMUP = 2
REFERENCE_STEPS = 3
#: Every mechanism on: the default world plus a campaign over the whole run.
EVERY_MECHANISM = {"campaign.budget": 2_000_000.0, "campaign.days": STEPS}

TARGETS = {
    "step_cpu_1m_s": 0.2,
    "step_cpu_10m_s": 3.0,
    "scaling_10m": 1.5,
    "build_10m_s": 45.0,
    "peak_10m_gb": 12.0,
    "bulk_ratio": 10.0,
    "build_1m_s": 10.0,
    "steps_1m_s": 60.0,
    "peak_1m_gb": 3.0,
    "speedup_100k": 50.0,
    "scaling_ratio": 1.5,
    "default_run_s": 20.0,
    "sweep_ratio": 0.6,
}


# --------------------------------------------------------------------------- child processes


def _peak_gb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _child_world(n: int, steps: int, seed: int) -> dict[str, Any]:
    from socialsim import ModelConfig, SocialCommerceModel

    config = ModelConfig().with_overrides({"population.n_consumers": n, **EVERY_MECHANISM})
    started, cpu = time.perf_counter(), time.process_time()
    model = SocialCommerceModel(config, rng=seed)
    build = time.perf_counter() - started
    build_cpu = time.process_time() - cpu
    times, cpus = [], []
    for _ in range(steps):
        started, cpu = time.perf_counter(), time.process_time()
        model.step()
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    table = model.step_metrics()
    mechanisms = {
        "group orders": int(table["orders_group"].sum()),
        "livestream orders": int(table["orders_livestream"].sum()),
        "store orders": int(table["orders_store"].sum()),
        "daigou orders": int(table["orders_daigou"].sum()),
        "cross-border orders": int(table["cbec_orders"].sum()),
        "feed orders": int(
            table["orders_feed_social"].sum() + table["orders_feed_algorithmic"].sum()
        ),
        "members joined": int(table["members_joined"].sum()),
        "campaign posts": int(table["campaign_posts"].sum()),
    }
    return {
        "n": n,
        "seed": seed,
        "edges": int(model.world.network.adjacency.nnz),
        "follows": int(model.world.influencers.follows.nnz),
        "build_s": build,
        "build_cpu_s": build_cpu,
        "step_median_s": statistics.median(times),
        "step_cpu_median_s": statistics.median(cpus),
        "steps_total_s": sum(times),
        "steps_total_cpu_s": sum(cpus),
        "step_cpu_s": cpus,
        "steps": steps,
        "peak_gb": _peak_gb(),
        "mechanisms": mechanisms,
    }


def _child_reference(n: int, which: str) -> dict[str, Any]:
    from socialsim import SocialCommerceModel
    from socialsim.reference import PerAgentModel, reference_config

    config = reference_config(n)
    model_class = PerAgentModel if which == "reference" else SocialCommerceModel
    started = time.perf_counter()
    model = model_class(config, rng=20261122)
    build = time.perf_counter() - started
    for _ in range(REFERENCE_WARMUP):
        model.step()
    times = []
    for _ in range(REFERENCE_STEPS):
        started = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - started)
    return {"n": n, "build_s": build, "step_median_s": statistics.median(times)}


#: Small runs in bulk: one sweep's 32 points under common random numbers (one world seed),
#: Pinduoduo's group discount from 0.10 to 0.41; 5,000 consumers, 30 days.
BULK_RUNS = 32
BULK_BASE = {"population.n_consumers": 5000, "run.steps": 30}
BULK_LEVER = "platforms.pinduoduo.group_buying.discount"


def _child_bulk() -> dict[str, Any]:
    from socialsim import ModelConfig
    from socialsim.experiment.runner import run_tables
    from socialsim.experiment.seeds import run_seed
    from socialsim.world import cache as world_cache

    base = ModelConfig().with_overrides(BULK_BASE)
    configs = [base.with_overrides({BULK_LEVER: 0.10 + 0.01 * i}) for i in range(BULK_RUNS)]
    seed = run_seed(7, 0, 0, crn=True)

    def timed(todo: list[Any], cache_mb: int) -> tuple[float, float]:
        os.environ["SOCIALSIM_WORLD_CACHE_MB"] = str(cache_mb)
        world_cache._PROCESS_CACHE = None  # a fresh cache for each measurement
        wall, cpu = time.perf_counter(), time.process_time()
        for config in todo:
            run_tables(config, seed)
        return time.process_time() - cpu, time.perf_counter() - wall

    timed(configs[:1], 0)  # warm-up: lazy imports, allocator
    singles = [timed(configs[i : i + 1], 0) for i in range(3)]
    one_cpu, one_wall = sorted(singles)[1]
    plain_cpu, plain_wall = timed(configs, 0)
    cached_cpu, cached_wall = timed(configs, world_cache.DEFAULT_CACHE_MB)
    # The build alone, which is what the cache saves, without 30 days of noisy steps after it:
    # each point's model built with and without a cache, alternately.
    from socialsim import SocialCommerceModel

    cache = world_cache.WorldCache()
    build = {"plain": 0.0, "cached": 0.0}
    for config in configs:
        for kind, worlds in (("plain", None), ("cached", cache)):
            cpu = time.process_time()
            SocialCommerceModel(config, rng=seed, worlds=worlds, agents="lazy")
            build[kind] += time.process_time() - cpu
    # Replications (one config, 32 seeds): one by one, and as one batched ensemble.
    from socialsim.ensemble import run_batch
    from socialsim.model import BUILTIN_COMPONENTS

    seeds = [run_seed(7, 0, r, crn=True) for r in range(BULK_RUNS)]
    batched: dict[str, float] = {}
    if all(c.batch_ready for c in BUILTIN_COMPONENTS):
        world_cache._PROCESS_CACHE = None
        cpu, wall = time.process_time(), time.perf_counter()
        for s in seeds:
            run_tables(base, s)
        batched["replications_cpu_s"] = time.process_time() - cpu
        batched["replications_wall_s"] = time.perf_counter() - wall
        cpu, wall = time.process_time(), time.perf_counter()
        run_batch(base, seeds)
        batched["batched_cpu_s"] = time.process_time() - cpu
        batched["batched_wall_s"] = time.perf_counter() - wall
    return {
        **batched,
        "runs": BULK_RUNS,
        "one_cpu_s": one_cpu,
        "one_wall_s": one_wall,
        "plain_cpu_s": plain_cpu,
        "plain_wall_s": plain_wall,
        "cached_cpu_s": cached_cpu,
        "cached_wall_s": cached_wall,
        "build_plain_cpu_s": build["plain"],
        "build_cached_cpu_s": build["cached"],
    }


def _run_child(*args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child {' '.join(args)} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- measurements


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_default_run() -> float:
    """Wall time of the default ``socialsim run``: start-up, simulation, files and dashboard."""
    out = Path(tempfile.mkdtemp(prefix="socialsim-bench-")) / "run"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "socialsim", "run", "--out", str(out), "--no-progress", "--quiet"],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    shutil.rmtree(out.parent, ignore_errors=True)
    return wall


SWEEP_SPEC: dict[str, Any] = {
    "name": "bench_sweep",
    "seed": 7,
    "steps": 30,
    "replications": 12,
    "base": {
        "population.n_consumers": 5000,
        "influencers.n_kols": 25,
        "influencers.n_kocs": 100,
        "stores.n_owners": 50,
        "daigou.n_shoppers": 5,
    },
    "design": {
        "kind": "grid",
        "parameters": {
            "platforms.pinduoduo.group_buying.discount": [0.1, 0.2, 0.3, 0.4],
            "platforms.pinduoduo.group_buying.size": [2, 3, 4, 5],
        },
    },
}
"""192 runs of 5,000 consumers and 30 days (about 0.6 s each): a sweep of hundreds of
small runs, as the issue has researchers run. The workers' start-up (each spawned worker
imports socialsim, about 2 s, both at once) is a fixed cost, reported on its own."""


def measure_sweep() -> dict[str, float]:
    """Wall time of one small sweep, serial and with 2 process workers (fresh stores)."""
    import pandas as pd

    from socialsim.experiment.store import load_sweep
    from socialsim.experiment.sweep import run_sweep

    out: dict[str, float] = {}
    for executor, workers in (("serial", 1), ("process", 2)):
        root = Path(tempfile.mkdtemp(prefix="socialsim-bench-"))
        started_at = pd.Timestamp.now(tz="UTC")
        started = time.perf_counter()
        cpu = _cpu_with_children()
        summary = run_sweep(
            SWEEP_SPEC, root / "sweep", executor=executor, workers=workers, progress=False
        )
        out[executor] = time.perf_counter() - started
        out[f"{executor}_cpu"] = _cpu_with_children() - cpu
        first_run = pd.to_datetime(load_sweep(root / "sweep").runs["started_at"]).min()
        out[f"{executor}_first_run"] = (first_run - started_at).total_seconds()
        shutil.rmtree(root, ignore_errors=True)
        if summary.failed or summary.done != summary.planned:
            raise SystemExit(f"benchmark sweep on {executor}: {summary.failed} runs failed")
        out["runs"] = summary.planned
    return out


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its finished child processes (the pool's workers)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1e6:.1f} GB"
                break
    except OSError:
        pass
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("socialsim", "mesa", "numpy", "scipy", "pandas")
    )
    return {
        "CPU": cpu,
        "usable cores": str(len(os.sched_getaffinity(0))),
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "packages": packages,
    }


# --------------------------------------------------------------------------- report


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(
    worlds: list[dict[str, Any]],
    references: list[dict[str, Any]],
    default_run: float,
    sweep: dict[str, float],
    quick: bool,
    bulk: dict[str, float] | None = None,
    kept: str = "",
) -> tuple[str, bool]:
    """Return the Markdown results and whether every checked target was met.

    `kept` is Markdown written by hand (the "Common random numbers" section),
    appended as it is.
    """
    lines = [
        "# socialsim benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
        f"`python benchmarks/run.py{' --quick' if quick else ''}`"
        + (" (quick mode: no 1M world)." if quick else "."),
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in machine().items()),
        "",
        "## Default world, every mechanism on",
        "",
        "The default config with `population.n_consumers` set and a marketing campaign on "
        f"(`{EVERY_MECHANISM}`); default head counts (100 KOLs, 1,000 KOCs, 500 store owners, "
        f"50 daigou), six platforms; {STEPS} steps, one fresh process per world. The 1M "
        f"world is run for {len(SEEDS)} world seeds: how many follow entries the 100 KOLs' "
        "Pareto audiences draw varies from world to world, and so does the cost.",
        "",
        "Times are wall seconds with CPU seconds (all threads) in brackets; the step is the "
        "median over the steps run; the last column is that CPU median per (consumer + "
        "adjacency entry).",
        "",
        "| consumers | seed | adjacency entries | follow entries | build (s) "
        "| median step (s) | steps | all steps (s) | peak memory (GB) "
        "| CPU step per (consumer + entry) (ns) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in worlds:
        cpu_step = w.get("step_cpu_median_s", w["step_median_s"])
        per = cpu_step / (w["n"] + w["edges"]) * 1e9
        lines.append(
            f"| {w['n']:,} | {w['seed']} | {w['edges']:,} | {w['follows']:,} "
            f"| {w['build_s']:.2f} ({w.get('build_cpu_s', w['build_s']):.2f}) "
            f"| {w['step_median_s']:.3f} ({cpu_step:.3f}) | {w['steps']} "
            f"| {w['steps_total_s']:.1f} ({w.get('steps_total_cpu_s', w['steps_total_s']):.1f}) "
            f"| {w['peak_gb']:.2f} | {per:.1f} |"
        )
    last = worlds[-1]
    lines += [
        "",
        f"Mechanisms at work in the last world above ({last['n']:,} consumers, seed "
        f"{last['seed']}, over {last['steps']} steps): "
        + ", ".join(f"{k} {v:,}" for k, v in last["mechanisms"].items())
        + ".",
        "",
        "## Per-agent reference",
        "",
        "The same consumer rules (needs, budgets, word of mouth, search, the conversion logit, "
        "one purchase per need within budget) on `socialsim.reference.reference_config(n)`: "
        "`socialsim.reference.PerAgentModel` (one `mesa.Agent` per consumer, "
        "`shuffle_do('step')`) against `SocialCommerceModel` on the same config, timed "
        f"in one run (median of {REFERENCE_STEPS} steps after {REFERENCE_WARMUP} warm-up "
        "steps).",
        "",
        "| consumers | per-agent step (s) | socialsim step (s) | socialsim faster by |",
        "|---:|---:|---:|---:|",
    ]
    speedup: dict[int, float] = {}
    for ref, fast in zip(references[::2], references[1::2], strict=True):
        speedup[ref["n"]] = ref["step_median_s"] / fast["step_median_s"]
        lines.append(
            f"| {ref['n']:,} | {ref['step_median_s']:.3f} | {fast['step_median_s']:.4f} "
            f"| {speedup[ref['n']]:.0f}x |"
        )

    checks: list[tuple[str, str, bool]] = []
    big = [w for w in worlds if w["n"] == 1_000_000]
    if big:

        def each(key: str, unit: str, digits: int) -> str:
            return ", ".join(f"{w[key]:.{digits}f}{unit}" for w in big)

        checks += [
            (
                "1M world builds in <= 10 s",
                each("build_s", " s", 1),
                all(w["build_s"] <= TARGETS["build_1m_s"] for w in big),
            ),
            (
                f"1M world, {STEPS} steps in <= 60 s",
                each("steps_total_s", " s", 1),
                all(w["steps_total_s"] <= TARGETS["steps_1m_s"] for w in big),
            ),
            (
                "1M world peak memory < 3 GB",
                each("peak_gb", " GB", 2),
                all(w["peak_gb"] < TARGETS["peak_1m_gb"] for w in big),
            ),
        ]
        mid = next((w for w in worlds if w["n"] == 100_000), None)
        same = next((w for w in big if mid is not None and w["seed"] == mid["seed"]), None)
        if mid is not None and same is not None:
            ratio = (same["step_median_s"] / (same["n"] + same["edges"])) / (
                mid["step_median_s"] / (mid["n"] + mid["edges"])
            )
            checks.append(
                (
                    f"step per (consumer + entry), 1M / 100k <= 1.5 (seed {mid['seed']})",
                    f"{ratio:.2f}",
                    ratio <= TARGETS["scaling_ratio"],
                )
            )
    checks += _scale_checks(worlds)
    if 100_000 in speedup:
        checks.append(
            (
                "socialsim >= 50x faster than per-agent at 100k",
                f"{speedup[100_000]:.0f}x",
                speedup[100_000] >= TARGETS["speedup_100k"],
            )
        )
    checks.append(
        (
            "default `socialsim run` < 20 s",
            f"{default_run:.1f} s",
            default_run < TARGETS["default_run_s"],
        )
    )
    ratio = sweep["process"] / sweep["serial"]
    checks.append(
        (
            "2-worker process sweep <= 0.6 x serial",
            f"{ratio:.2f} ({sweep['process']:.1f} s / {sweep['serial']:.1f} s)",
            ratio <= TARGETS["sweep_ratio"],
        )
    )
    cpu = ""
    if "serial_cpu" in sweep:
        cpu = (
            f" CPU: serial {sweep['serial_cpu']:.1f} s, process {sweep['process_cpu']:.1f} s "
            "(the workers' included)."
        )
    lines += [
        "",
        "## Default run and sweeps",
        "",
        f"- `socialsim run` (50,000 consumers, 90 days, dashboard included): {default_run:.1f} s "
        "wall, start-up and writing included.",
        f"- A sweep of {int(sweep['runs'])} runs (5,000 consumers, 30 steps each): serial "
        f"{sweep['serial']:.1f} s, `process` with 2 workers {sweep['process']:.1f} s. The "
        f"first run started {sweep['serial_first_run']:.1f} s after the call in serial and "
        f"{sweep['process_first_run']:.1f} s after it with the workers (their start-up).{cpu}",
        "",
        *_bulk_lines(bulk, checks),
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---:|---|",
        *(f"| {name} | {value} | {_verdict(ok)} |" for name, value, ok in checks),
        "",
    ]
    if kept:
        lines += [kept.rstrip(), ""]
    return "\n".join(lines), all(ok for _, _, ok in checks)


def _scale_checks(worlds: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """Issue 26's targets at scale: the 1M and 10M steps' CPU, the 10M build, peak and scaling."""
    checks: list[tuple[str, str, bool]] = []
    big = [w for w in worlds if w["n"] == 1_000_000]
    huge = next((w for w in worlds if w["n"] == 10_000_000), None)
    if big:
        checks.append(
            (
                "1M step <= 0.2 s of CPU (median, every mechanism on)",
                ", ".join(f"{w.get('step_cpu_median_s', w['step_median_s']):.3f} s" for w in big),
                all(
                    w.get("step_cpu_median_s", w["step_median_s"]) <= TARGETS["step_cpu_1m_s"]
                    for w in big
                ),
            )
        )
    if huge is None:
        return checks
    huge_cpu = huge.get("step_cpu_median_s", huge["step_median_s"])
    checks += [
        (
            f"10M step <= 3 s of CPU (median of {huge['steps']} steps)",
            f"{huge_cpu:.2f} s",
            huge_cpu <= TARGETS["step_cpu_10m_s"],
        ),
        (
            "10M world builds in <= 45 s",
            f"{huge['build_s']:.1f} s",
            huge["build_s"] <= TARGETS["build_10m_s"],
        ),
        (
            "10M world peak memory <= 12 GB",
            f"{huge['peak_gb']:.2f} GB",
            huge["peak_gb"] <= TARGETS["peak_10m_gb"],
        ),
    ]
    same = next((w for w in big if w["seed"] == huge["seed"] and "step_cpu_s" in w), None)
    if same is not None and "step_cpu_s" in huge:
        days = len(huge["step_cpu_s"])
        per_huge = statistics.median(huge["step_cpu_s"]) / (huge["n"] + huge["edges"])
        per_big = statistics.median(same["step_cpu_s"][:days]) / (same["n"] + same["edges"])
        ratio = per_huge / per_big
        checks.append(
            (
                f"CPU step per (consumer + entry), 10M / 1M <= 1.5 (first {days} days, "
                f"seed {huge['seed']})",
                f"{ratio:.2f}",
                ratio <= TARGETS["scaling_10m"],
            )
        )
    return checks


def _bulk_lines(bulk: dict[str, float] | None, checks: list[tuple[str, str, bool]]) -> list[str]:
    """The section on small runs in bulk; adds its target to `checks`."""
    if bulk is None:
        return []
    one = bulk["one_cpu_s"]
    runs = int(bulk["runs"])
    plain, cached = bulk["plain_cpu_s"] / one, bulk["cached_cpu_s"] / one
    saved = bulk.get("build_plain_cpu_s", 0.0) - bulk.get("build_cached_cpu_s", 0.0)
    if "batched_cpu_s" in bulk:
        # against the mean of the same replications run alone: their seeds' worlds, not the
        # sweep's, so the batch is compared with the runs it holds
        one_replication = bulk["replications_cpu_s"] / runs
        batched = bulk["batched_cpu_s"] / one_replication
        checks.append(
            (
                f"{runs} runs of 5,000 consumers x 30 days in <= 10 x one run's CPU",
                f"{batched:.1f} x the mean replication alone ({runs} replications as one "
                "batched ensemble)",
                batched <= TARGETS["bulk_ratio"],
            )
        )
    else:
        checks.append(
            (
                f"{runs} runs of 5,000 consumers x 30 days in <= 10 x one run's CPU",
                f"{cached:.1f} x (one by one, world cache on; batched runs not ready)",
                cached <= TARGETS["bulk_ratio"],
            )
        )
    return [
        "## Small runs in bulk",
        "",
        f"{runs} runs of a 5,000-consumer, 30-day default world: one sweep's points under "
        f"common random numbers (one world seed; `{BULK_LEVER}` from 0.10 to "
        f"{0.10 + 0.01 * (runs - 1):.2f}), each through `run_tables` as a sweep's worker "
        "runs it (lazy agents), in one process.",
        "",
        "| | CPU (s) | wall (s) | x one run's CPU |",
        "|---|---:|---:|---:|",
        f"| one run (median of 3) | {one:.2f} | {bulk['one_wall_s']:.2f} | 1 |",
        f"| {runs} runs, each building its world | {bulk['plain_cpu_s']:.1f} "
        f"| {bulk['plain_wall_s']:.1f} | {plain:.1f} |",
        f"| {runs} runs, the world built once (world cache) | {bulk['cached_cpu_s']:.1f} "
        f"| {bulk['cached_wall_s']:.1f} | {cached:.1f} |",
        *(
            [
                "",
                f"Replications: one config (the sweep's first point) on {runs} seeds, one by "
                "one and as one batched ensemble (`socialsim.ensemble.run_batch`), in the same "
                "process. Each seed builds a world of its own, whose cost differs from the "
                "sweep's world above, so the batch is compared with the mean of the same "
                "replications run alone.",
                "",
                "| | CPU (s) | wall (s) | x the mean replication's CPU |",
                "|---|---:|---:|---:|",
                f"| one replication (mean of the {runs}) | "
                f"{bulk['replications_cpu_s'] / runs:.2f} | "
                f"{bulk['replications_wall_s'] / runs:.2f} | 1 |",
                f"| {runs} replications one by one | "
                f"{bulk['replications_cpu_s']:.1f} | {bulk['replications_wall_s']:.1f} | "
                f"{runs} |",
                f"| {runs} replications as one batched ensemble | "
                f"{bulk['batched_cpu_s']:.1f} | {bulk['batched_wall_s']:.1f} | "
                f"{bulk['batched_cpu_s'] / (bulk['replications_cpu_s'] / runs):.1f} |",
            ]
            if "batched_cpu_s" in bulk
            else []
        ),
        "",
        f"Building the {runs} models alone (alternately with and without a cache, no steps) "
        f"took {bulk.get('build_plain_cpu_s', 0.0):.2f} s of CPU building every world and "
        f"{bulk.get('build_cached_cpu_s', 0.0):.2f} s building it once: the cache saves "
        f"{saved:.2f} s, {saved / bulk['plain_cpu_s']:.1%} of the {runs} runs' CPU (the "
        "difference between the two rows above is mostly the machine's noise). Run one by "
        "one, a run's cost is mostly the step's fixed cost (thousands of small NumPy calls a "
        "day), which only running the runs as one vectorised ensemble would share.",
        "",
    ]


def kept_sections(path: Path) -> str:
    """Return the hand-written sections of an earlier ``results.md`` ("Common random numbers").

    From its heading to the next section's heading, or to the end of the file.
    """
    if not path.exists():
        return ""
    text = path.read_text()
    start = text.find(f"\n{KEPT_HEADING}")
    if start < 0:
        return ""
    rest = text[start + 1 :]
    end = rest.find("\n## ", len(KEPT_HEADING))
    return rest if end < 0 else rest[: end + 1]


#: The section written by hand (with ``benchmarks/common_random_numbers.py``) that a new
#: run of this script keeps.
KEPT_HEADING = "## Common random numbers"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k consumers only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--steps", type=int, default=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind = args.child[0]
        if kind == "bulk":
            result = _child_bulk()
        elif kind == "world":
            result = _child_world(int(args.child[1]), int(args.child[2]), int(args.child[3]))
        else:
            result = _child_reference(int(args.child[1]), kind)
        print(json.dumps(result))
        return 0

    kept = kept_sections(args.out if args.out.exists() else RESULTS)
    runs = [(n, SEEDS[0], args.steps) for n in QUICK_SIZES]
    if not args.quick:
        runs += [(1_000_000, seed, args.steps) for seed in SEEDS]
        runs += [(n, SEEDS[0], min(args.steps, SIZE_STEPS[n])) for n in LARGE_SIZES]
    worlds = []
    for n, seed, steps in runs:
        _say(f"default world, {n:,} consumers, seed {seed}, {steps} steps ...")
        worlds.append(_run_child("world", str(n), str(steps), str(seed)))
        w = worlds[-1]
        _say(
            f"  build {w['build_s']:.1f} s, median step {w['step_median_s']:.3f} s "
            f"({w['step_cpu_median_s']:.3f} s CPU), {steps} steps {w['steps_total_s']:.1f} s, "
            f"peak {w['peak_gb']:.2f} GB"
        )
    _say(f"{BULK_RUNS} small runs in bulk, with and without the world cache ...")
    bulk = _run_child("bulk")
    _say(f"  one run {bulk['one_cpu_s']:.2f} s CPU, {BULK_RUNS} runs {bulk['cached_cpu_s']:.1f} s")
    references = []
    for n in REFERENCE_SIZES:
        for which in ("reference", "socialsim"):
            _say(f"{which} on the reference config, {n:,} consumers ...")
            references.append(_run_child(which, str(n)))
            _say(f"  median step {references[-1]['step_median_s']:.4f} s")
    _say("default `socialsim run` ...")
    default_run = measure_default_run()
    _say(f"  {default_run:.1f} s")
    _say("sweep, serial and 2 process workers ...")
    sweep = measure_sweep()
    _say(f"  serial {sweep['serial']:.1f} s, process {sweep['process']:.1f} s")

    text, ok = report(worlds, references, default_run, sweep, args.quick, bulk=bulk, kept=kept)
    args.out.write_text(text)
    print(text)
    _say(f"wrote {args.out}" + ("" if ok else " (some targets not met)"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
