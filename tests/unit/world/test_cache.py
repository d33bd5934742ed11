"""The world cache: runs of one seed that agree on the world's config share one world."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest

from socialsim.config.schema import ModelConfig
from socialsim.experiment.single_run import run_simulation
from socialsim.world import cache as cache_module
from socialsim.world.cache import (
    PLATFORM_FIELDS,
    WORLD_SECTIONS,
    WorldCache,
    process_cache,
    world_bytes,
    world_key,
)
from socialsim.world.world import build_world

SMALL = ModelConfig.small(n_consumers=2_000)


class _Recorder:
    """A config stand-in that records the dotted path of every field read through it."""

    def __init__(self, value: Any, path: str, seen: set[str]) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._value, name)
        # a property computed from the whole platform table reads every row's switch
        path = "platforms" if name == "active_platforms" else f"{self._path}{name}"
        return _wrap(value, path, self._seen)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._value[key], f"{self._path.rstrip('.')}.{key}", self._seen)

    def __iter__(self) -> Any:
        return iter(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def items(self) -> Any:
        return [(k, self[k]) for k in self._value]

    def keys(self) -> Any:
        return self._value.keys()

    def values(self) -> Any:
        return [self[k] for k in self._value]


def _wrap(value: Any, path: str, seen: set[str]) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return _Recorder(value, f"{path}.", seen)
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(v, pydantic.BaseModel) for v in value.values())
    ):
        return _Recorder(value, f"{path}.", seen)
    seen.add(path)
    return value


def _covered(path: str) -> bool:
    patterns = [*WORLD_SECTIONS, *(f"platforms.*.{f}" for f in PLATFORM_FIELDS)]
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, f"{p}.*") for p in patterns)


def test_the_key_covers_every_field_the_world_is_built_from():
    named = SMALL.with_overrides(
        {
            "brands.named.aurora": {"category": "beauty", "positioning": "premium"},
            "influencers.kol_homes": "by_followers",
            "behaviour.budget_renewal": "staggered",
        }
    )
    for config in (SMALL, named):
        seen: set[str] = set()
        build_world(_Recorder(config, "", seen), np.random.default_rng(1))  # type: ignore[arg-type]
        assert seen, "the recorder saw no read"
        leaves = {p for p in seen if not p.endswith(".")}
        missing = sorted(p for p in leaves if not _covered(p))
        assert not missing, f"build_world reads fields world_key leaves out: {missing}"


@pytest.mark.parametrize(
    ("path", "value", "same"),
    [
        ("platforms.pinduoduo.group_buying.discount", 0.4, True),
        ("behaviour.conversion.price_weight", 2.0, True),
        ("run.steps", 3, True),
        ("stores.n_owners", 30, False),
        ("platforms.pinduoduo.initial_users", 0.5, False),
        ("platforms.douyin.kol_share", 0.9, False),
        ("behaviour.budget_renewal", "common", False),
        ("platforms.yunji.enabled", False, False),
    ],
)
def test_the_key_moves_only_with_the_world(path, value, same):
    assert (world_key(SMALL) == world_key(SMALL.with_overrides({path: value}))) is same


def _tables(config: ModelConfig, seed: int, worlds: WorldCache | None) -> dict[str, pd.DataFrame]:
    from socialsim.model import SocialCommerceModel

    model = SocialCommerceModel(config, rng=seed, worlds=worlds, agents="lazy")
    model.run(config.run.steps)
    return {
        "steps": model.step_metrics(),
        "platforms": model.platform_metrics(),
        "tiers": model.tier_metrics(),
        **model.component_tables(),
    }


def test_a_run_on_a_cached_world_is_the_run_on_its_own():
    base = SMALL.with_overrides({"run.steps": 8})
    arm = base.with_overrides({"platforms.pinduoduo.group_buying.discount": 0.35})
    cache = WorldCache()
    _tables(base, 11, cache)  # builds the world and keeps it
    shared = _tables(arm, 11, cache)
    assert (cache.hits, cache.misses) == (1, 1)
    alone = _tables(arm, 11, None)
    for name, table in alone.items():
        pd.testing.assert_frame_equal(shared[name], table, check_exact=True)
    # and the arm differs from the base (the lever did something on the shared world)
    assert not shared["steps"].equals(_tables(base, 11, None)["steps"])


def test_a_cached_world_carries_the_config_of_the_run_that_asked():
    cache = WorldCache()
    arm = SMALL.with_overrides({"behaviour.return_rate": 0.2})
    first = cache.get(SMALL, 5, np.random.default_rng(5))
    second = cache.get(arm, 5, np.random.default_rng(5))
    assert second.config is arm and first.config is SMALL
    assert second.network is first.network
    # another seed is another world
    third = cache.get(SMALL, 6, np.random.default_rng(6))
    assert third.network is not first.network
    assert cache.misses == 2 and cache.hits == 1


def test_the_cache_forgets_the_least_recently_used_beyond_its_bound():
    size = world_bytes(build_world(SMALL, np.random.default_rng(0)))
    cache = WorldCache(max_bytes=int(2.5 * size))
    for seed in (1, 2, 1, 3):  # 1 is used again, so 2 goes when 3 arrives
        cache.get(SMALL, seed, np.random.default_rng(seed))
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    cache.get(SMALL, 1, np.random.default_rng(1))
    assert cache.hits == 2
    cache.get(SMALL, 2, np.random.default_rng(2))
    assert cache.misses == 4
    tiny = WorldCache(max_bytes=size // 2)
    tiny.get(SMALL, 1, np.random.default_rng(1))
    assert len(tiny) == 0  # too large to keep


def test_the_process_cache_follows_the_environment(monkeypatch):
    monkeypatch.setattr(cache_module, "_PROCESS_CACHE", None)
    monkeypatch.setenv("SOCIALSIM_WORLD_CACHE_MB", "0")
    assert process_cache() is None
    monkeypatch.setenv("SOCIALSIM_WORLD_CACHE_MB", "64")
    cache = process_cache()
    assert cache is not None and cache.max_bytes == 64_000_000 and process_cache() is cache
    monkeypatch.setenv("SOCIALSIM_WORLD_CACHE_MB", "lots")
    with pytest.raises(ValueError, match=r"SOCIALSIM_WORLD_CACHE_MB.*'lots'"):
        process_cache()


def test_lazy_agents_change_no_number():
    config = SMALL.with_overrides({"run.steps": 5})
    from socialsim.model import SocialCommerceModel

    lazy = SocialCommerceModel(config, rng=3, agents="lazy")
    eager = SocialCommerceModel(config, rng=3, agents="eager")
    assert lazy.consumers.created == 0
    assert eager.consumers.created == config.population.n_consumers
    lazy.run(5)
    eager.run(5)
    pd.testing.assert_frame_equal(lazy.step_metrics(), eager.step_metrics(), check_exact=True)
    assert lazy.consumers[7].unique_id is not None and lazy.consumers.created == 1
    with pytest.raises(ValueError, match="agents must be"):
        SocialCommerceModel(config, rng=3, agents="some")  # type: ignore[arg-type]


def test_run_simulation_may_share_a_world():
    cache = WorldCache()
    config = SMALL.with_overrides({"run.steps": 3})
    a = run_simulation(config, seed=2, worlds=cache)
    b = run_simulation(config, seed=2, worlds=cache)
    assert cache.hits == 1
    pd.testing.assert_frame_equal(a.steps, b.steps, check_exact=True)


def test_a_malformed_cache_size_is_refused_before_any_executor_starts(monkeypatch):
    from socialsim.experiment.executors import open_executor

    monkeypatch.setattr(cache_module, "_PROCESS_CACHE", None)
    monkeypatch.setenv("SOCIALSIM_WORLD_CACHE_MB", "-3")
    with (
        pytest.raises(ValueError, match=r"SOCIALSIM_WORLD_CACHE_MB .*'-3'"),
        open_executor("serial"),
    ):
        pass  # pragma: no cover - never reached
