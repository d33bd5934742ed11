"""Size guards: the memory estimate, the available-memory probe and the check."""

from __future__ import annotations

import tracemalloc

import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.errors import ConfigError
from socialsim.world import memory
from socialsim.world.memory import (
    SKIP_ENV,
    MemoryEstimate,
    MemoryLimitError,
    available_memory,
    check_memory,
    estimate_memory,
)

GB = 1e9


def config(n: int, **overrides) -> ModelConfig:
    return ModelConfig().with_overrides({"population.n_consumers": n, **overrides})


@pytest.fixture(autouse=True)
def no_skip(monkeypatch):
    # A developer's own SOCIALSIM_SKIP_MEMORY_CHECK must not turn the check off in tests.
    monkeypatch.delenv(SKIP_ENV, raising=False)


# --------------------------------------------------------------------------- estimate


def test_estimate_grows_linearly_with_consumers():
    # Above the eager-agent limit, so that no agent objects switch on or off in between.
    small, mid, large = (estimate_memory(config(n)).total for n in (200_000, 400_000, 800_000))
    assert small < mid < large
    assert large - mid == pytest.approx(2 * (mid - small), rel=1e-3)


def test_estimate_grows_linearly_with_mean_degree():
    totals = [
        estimate_memory(config(200_000, **{"network.mean_degree": d})).total for d in (4, 8, 12)
    ]
    assert totals[0] < totals[1] < totals[2]
    assert totals[2] - totals[1] == pytest.approx(totals[1] - totals[0], rel=1e-3)
    # Past the point where generating the graph is the largest peak it still grows.
    dense = [estimate_memory(config(200_000, **{"network.mean_degree": d})).total for d in (40, 80)]
    assert totals[2] < dense[0] < dense[1]


def test_estimate_counts_the_order_log_and_days():
    with_log = estimate_memory(config(200_000)).parts["recorded tables"]
    without = estimate_memory(config(200_000, **{"run.record_orders": False}))
    assert without.parts["recorded tables"] < with_log / 10  # the step tables alone
    longer = estimate_memory(config(200_000, **{"run.steps": 180})).parts["recorded tables"]
    assert longer == pytest.approx(2 * with_log, rel=0.01)


def test_estimate_is_above_a_measured_peak_and_not_absurdly_so():
    cfg = config(20_000, **{"run.steps": 5})
    estimate = estimate_memory(cfg)
    tracemalloc.start()
    try:
        model = SocialCommerceModel(cfg, rng=3)
        model.run()
        model.step_metrics(), model.orders()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimate.total < 3 * peak, (peak, str(estimate))


def test_estimate_parts_add_up_and_read_well():
    estimate = estimate_memory(config(1_000_000))
    assert estimate.total == sum(estimate.parts.values())
    assert set(estimate.parts) >= {"network", "consumers", "influencers", "recorded tables"}
    text = str(estimate)
    assert text.startswith(f"about {estimate.total / GB:.1f} GB (")
    assert "network" in text
    with pytest.raises(TypeError):
        estimate.parts["network"] = 0  # read-only


def test_memory_estimate_str():
    est = MemoryEstimate(1_300_000_000, {"fixed": 5_000_000, "network": 800_000_000})
    assert str(est) == "about 1.3 GB (network 0.8 GB, fixed 5 MB)"
    assert str(MemoryEstimate(31_200_000_000)) == "about 31.2 GB"


# --------------------------------------------------------------------------- check


def test_check_raises_with_a_clear_message():
    cfg = config(1_000_000)
    estimate = estimate_memory(cfg)
    with pytest.raises(MemoryLimitError) as caught:
        check_memory(cfg, available=int(1.0 * GB))
    err = caught.value
    assert isinstance(err, ConfigError)
    assert [p.path for p in err.problems] == ["population.n_consumers"]
    assert err.problems[0].value == 1_000_000
    message = str(err)
    assert message.startswith("population.n_consumers: ")
    assert "1000000" in message
    assert f"about {estimate.total / GB:.1f} GB" in message
    assert "1.0 GB available" in message
    assert f"{SKIP_ENV}=1" in message
    assert len(message.splitlines()) == 1


def test_check_passes_when_memory_is_plentiful():
    cfg = config(1_000_000)
    assert check_memory(cfg, available=10**12) == estimate_memory(cfg)


def test_check_counts_every_worker():
    cfg = config(200_000)
    one = estimate_memory(cfg).total
    check_memory(cfg, workers=1, available=one + 1)
    with pytest.raises(MemoryLimitError, match="4 workers"):
        check_memory(cfg, workers=4, available=3 * one)
    with pytest.raises(ValueError, match="workers"):
        check_memory(cfg, workers=0)


def test_environment_variable_skips_the_check(monkeypatch):
    cfg = config(1_000_000)
    monkeypatch.setenv(SKIP_ENV, "1")
    assert check_memory(cfg, available=1).total > 0
    monkeypatch.setenv(SKIP_ENV, "0")
    with pytest.raises(MemoryLimitError):
        check_memory(cfg, available=1)


def test_check_does_nothing_when_memory_is_unknown(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: None)
    assert check_memory(config(1_000_000)).total > 0


# --------------------------------------------------------------------------- available memory


@pytest.fixture
def fake_system(tmp_path, monkeypatch):
    """Point the module at fake /proc and /sys files; return a writer for them."""
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    proc.mkdir()
    cgroup.mkdir()
    monkeypatch.setattr(memory, "MEMINFO", proc / "meminfo")
    monkeypatch.setattr(memory, "SELF_CGROUP", proc / "cgroup")
    monkeypatch.setattr(memory, "CGROUP_ROOT", cgroup)

    def write(path: str, text: str) -> None:
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    return write


MEMINFO = "MemTotal:       24684092 kB\nMemFree:        2000000 kB\nMemAvailable:   3000000 kB\n"


def test_available_reads_meminfo(fake_system):
    fake_system("proc/meminfo", MEMINFO)
    assert available_memory() == 3_000_000 * 1024


def test_available_without_memavailable_uses_free_plus_cache(fake_system):
    fake_system("proc/meminfo", "MemFree: 100 kB\nBuffers: 10 kB\nCached: 50 kB\n")
    assert available_memory() == 160 * 1024


def test_available_is_capped_by_a_cgroup_v2_limit(fake_system):
    fake_system("proc/meminfo", MEMINFO)
    fake_system("proc/cgroup", "0::/\n")
    fake_system("cgroup/memory.max", "2000000000\n")
    fake_system("cgroup/memory.current", "600000000\n")
    fake_system("cgroup/memory.stat", "anon 400000000\ninactive_file 100000000\n")
    # limit - (usage - reclaimable cache)
    assert available_memory() == 2_000_000_000 - 500_000_000


def test_cgroup_v2_max_means_no_limit(fake_system):
    fake_system("proc/meminfo", MEMINFO)
    fake_system("proc/cgroup", "0::/\n")
    fake_system("cgroup/memory.max", "max\n")
    fake_system("cgroup/memory.current", "600000000\n")
    assert available_memory() == 3_000_000 * 1024


def test_meminfo_wins_when_it_is_smaller(fake_system):
    fake_system("proc/meminfo", MEMINFO)
    fake_system("proc/cgroup", "0::/\n")
    fake_system("cgroup/memory.max", str(100 * 10**9))
    fake_system("cgroup/memory.current", "0")
    assert available_memory() == 3_000_000 * 1024


def test_nested_cgroup_v1_limit_applies(fake_system):
    fake_system("proc/meminfo", MEMINFO)
    fake_system("proc/cgroup", "4:memory:/jobs/one\n1:cpu:/\n")
    # The mount point is unlimited (v1 writes a huge number); the job's own cgroup is not.
    fake_system("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    fake_system("cgroup/memory/memory.usage_in_bytes", "5000000000\n")
    fake_system("cgroup/memory/jobs/one/memory.limit_in_bytes", "1000000000\n")
    fake_system("cgroup/memory/jobs/one/memory.usage_in_bytes", "300000000\n")
    fake_system("cgroup/memory/jobs/one/memory.stat", "total_inactive_file 100000000\n")
    assert available_memory() == 1_000_000_000 - 200_000_000


def test_cgroup_alone_is_enough(fake_system):
    fake_system("proc/cgroup", "0::/\n")
    fake_system("cgroup/memory.max", "1000")
    fake_system("cgroup/memory.current", "400")
    assert available_memory() == 600


def test_available_is_none_when_nothing_is_readable(fake_system):
    assert available_memory() is None
    fake_system("proc/meminfo", "garbage\n")
    fake_system("cgroup/memory.max", "not a number")
    assert available_memory() is None


def test_available_is_never_negative(fake_system):
    fake_system("proc/cgroup", "0::/\n")
    fake_system("cgroup/memory.max", "1000")
    fake_system("cgroup/memory.current", "4000")
    assert available_memory() == 0
