"""The benchmark's verdicts: every 1M seed must meet the targets, ratios are computed right."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("socialsim_benchmarks_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def world(n, seed, step, total, edges=None, build=1.0, peak=1.0):
    return {
        "n": n,
        "seed": seed,
        "edges": 15 * n if edges is None else edges,
        "follows": n,
        "build_s": build,
        "step_median_s": step,
        "steps_total_s": total,
        "steps": 100,
        "peak_gb": peak,
        "mechanisms": {"group orders": 1},
    }


REFERENCES = [
    {"n": 10_000, "step_median_s": 0.2},
    {"n": 10_000, "step_median_s": 0.01},
    {"n": 100_000, "step_median_s": 2.0},
    {"n": 100_000, "step_median_s": 0.03},
]
SWEEP = {
    "serial": 40.0,
    "process": 22.0,
    "runs": 64,
    "serial_first_run": 0.1,
    "process_first_run": 2.0,
}


def test_all_targets_met(bench):
    worlds = [world(100_000, 7, 0.015, 1.5), world(1_000_000, 7, 0.15, 15.0)]
    text, ok = bench.report(worlds, REFERENCES, 10.0, SWEEP, quick=False)
    assert ok
    # 2.0 / 0.03 = 67x; (0.15 / 16M) / (0.015 / 1.6M) = 1.00; 22 / 40 = 0.55
    assert "| 67x | met |" in text and "| 1.00 | met |" in text and "0.55 (" in text


def big_world(n, step_cpu, *, build=30.0, peak=10.0, days=10):
    w = world(n, 7, step_cpu, step_cpu * days, build=build, peak=peak)
    w.update(step_cpu_median_s=step_cpu, step_cpu_s=[step_cpu] * days, steps=days)
    return w


def test_issue_26_targets_at_scale(bench):
    one_m = big_world(1_000_000, 0.18, days=100)
    ten_m = big_world(10_000_000, 2.5)
    checks = dict((name, (value, ok)) for name, value, ok in bench._scale_checks([one_m, ten_m]))
    assert all(ok for _, ok in checks.values()), checks
    # per (consumer + entry): (2.5 / 160M) / (0.18 / 16M) = 1.39
    assert (
        checks["CPU step per (consumer + entry), 10M / 1M <= 1.5 (first 10 days, seed 7)"][0]
        == "1.39"
    )
    slow = big_world(10_000_000, 3.2, build=50.0, peak=13.0)
    failed = [name for name, _, ok in bench._scale_checks([one_m, slow]) if not ok]
    assert len(failed) == 4  # step, build, peak and scaling
    assert not bench._scale_checks([big_world(1_000_000, 0.25, days=100)])[0][2]


def test_bulk_runs_target_and_the_kept_section(bench, tmp_path):
    bulk = {
        "runs": 32,
        "one_cpu_s": 0.5,
        "one_wall_s": 0.5,
        "plain_cpu_s": 19.0,
        "plain_wall_s": 19.0,
        "cached_cpu_s": 18.0,
        "cached_wall_s": 18.0,
        "build_plain_cpu_s": 1.5,
        "build_cached_cpu_s": 0.5,
    }
    old = tmp_path / "results.md"
    old.write_text("# r\n\n## Targets\n\nx\n\n## Common random numbers\n\nby hand\n")
    kept = bench.kept_sections(old)
    assert kept == "## Common random numbers\n\nby hand\n"
    worlds = [world(10_000, 7, 0.02, 2.0), world(100_000, 7, 0.05, 5.0)]
    text, ok = bench.report(worlds, REFERENCES, 10.0, SWEEP, quick=True, bulk=bulk, kept=kept)
    assert not ok  # 18 / 0.5 = 36 x one run
    # the build alone: 1.5 - 0.5 = 1.0 s saved, of the 19 s of the runs without a cache
    assert "| 36.0 x (one by one" in text and "saves 1.00 s, 5.3% of" in text
    assert text.rstrip().endswith("by hand")
    bulk.update(cached_cpu_s=4.0)
    assert bench.report(worlds, REFERENCES, 10.0, SWEEP, quick=True, bulk=bulk)[1]


def test_the_batched_target_compares_the_batch_with_its_own_runs_alone(bench):
    bulk = {
        "runs": 32,
        "one_cpu_s": 0.3,  # the sweep's world: cheaper than the replications' own
        "one_wall_s": 0.3,
        "plain_cpu_s": 19.0,
        "plain_wall_s": 19.0,
        "cached_cpu_s": 18.0,
        "cached_wall_s": 18.0,
        "replications_cpu_s": 16.0,  # 0.5 s a replication
        "replications_wall_s": 16.0,
        "batched_cpu_s": 4.8,
        "batched_wall_s": 4.8,
    }
    worlds = [world(10_000, 7, 0.02, 2.0), world(100_000, 7, 0.05, 5.0)]
    text, _ = bench.report(worlds, REFERENCES, 10.0, SWEEP, quick=True, bulk=bulk)
    row = next(line for line in text.splitlines() if line.startswith("| 32 runs of 5,000"))
    assert "9.6 x the mean replication alone" in row and row.endswith("| met |")
    assert "| one replication (mean of the 32) | 0.50 |" in text
    bulk.update(batched_cpu_s=6.0)  # 12 x
    text, _ = bench.report(worlds, REFERENCES, 10.0, SWEEP, quick=True, bulk=bulk)
    row = next(line for line in text.splitlines() if line.startswith("| 32 runs of 5,000"))
    assert "12.0 x the mean replication alone" in row and "**not met**" in row


def test_one_slow_seed_fails_the_target(bench):
    worlds = [
        world(100_000, 7, 0.05, 5.0),
        world(1_000_000, 7, 0.5, 50.0),
        world(1_000_000, 8, 0.7, 70.0),
    ]
    text, ok = bench.report(worlds, REFERENCES, 10.0, SWEEP, quick=False)
    assert not ok
    assert "50.0 s, 70.0 s | **not met** |" in text


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"default_run": 25.0}, "default `socialsim run`"),
        ({"sweep": {**SWEEP, "process": 30.0}}, "2-worker process sweep"),
        ({"reference_100k": 1.0}, "faster than per-agent"),
    ],
)
def test_each_other_target_can_fail(bench, change, target):
    references = [dict(r) for r in REFERENCES]
    if "reference_100k" in change:
        references[2]["step_median_s"] = change["reference_100k"]
    text, ok = bench.report(
        [world(10_000, 7, 0.02, 2.0), world(100_000, 7, 0.05, 5.0)],
        references,
        change.get("default_run", 10.0),
        change.get("sweep", SWEEP),
        quick=True,
    )
    assert not ok
    line = next(line for line in text.splitlines() if target in line)
    assert line.endswith("**not met** |")
