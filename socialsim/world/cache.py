"""Reusing built worlds: runs of one seed whose configs agree on the world share it.

Under common random numbers every design point of a replication runs from one
seed, and a sweep over a platform's strategy changes nothing the world is
built from, yet each run would build the same world again (population, social
graph, follow graph, catalogue): at 5,000 consumers that is about a tenth of
a 30-day run's CPU, at a million several seconds. A :class:`WorldCache` keeps
the worlds a process has built, keyed by the seed and by :func:`world_key`
(the parts of the config :func:`~socialsim.world.build_world` reads), and
hands a run the same arrays when both agree. A world is read-only (its arrays
are frozen), so sharing it cannot carry state from one run to the next.

The cache is bounded by the bytes its worlds hold and forgets the least
recently used first. A sweep's worker keeps one (:func:`process_cache`);
``SOCIALSIM_WORLD_CACHE_MB`` sets its size (0 switches it off).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from scipy import sparse

from socialsim.config.schema import ModelConfig
from socialsim.world.world import World, build_world

__all__ = [
    "DEFAULT_CACHE_MB",
    "PLATFORM_FIELDS",
    "WORLD_SECTIONS",
    "WorldCache",
    "process_cache",
    "world_bytes",
    "world_key",
]

WORLD_SECTIONS: tuple[str, ...] = (
    "population",
    "network",
    "influencers",
    "daigou",
    "catalogue",
    "brands",
    "stores.n_owners",
    "behaviour.budget_renewal",
    "behaviour.budget_period_days",
)
"""The config paths, besides the platforms' rows, that the world is built from.

A whole section is listed where the world reads most of it; ``stores`` and
``behaviour`` hold mostly rules of the day, so only the keys the world reads
are. Each active platform adds :data:`PLATFORM_FIELDS`."""

PLATFORM_FIELDS: tuple[str, ...] = (
    "initial_users",
    "tier_appeal",
    "kol_share",
    "micro_stores.enabled",
    "brands",
)
"""What the world reads of each active platform's row (its initial users, KOL and
store homes, the brands' channels)."""

#: Default bound of a process's cache: a world of 5,000 consumers holds about 1.1 MB,
#: one of 50,000 about 10 MB (measured with world_bytes), so a sweep's replications fit.
DEFAULT_CACHE_MB = 256


def world_key(config: ModelConfig) -> str:
    """Return a digest of everything in `config` that the world is built from.

    Two configs with the same key, built from the same seed, give the same
    world; a change anywhere else (a platform's discounts, the conversion
    logit, the run's length) leaves the key alone.

    Parameters
    ----------
    config : ModelConfig

    Returns
    -------
    str
        A SHA-256 hex digest.

    Examples
    --------
    >>> base = ModelConfig.small()
    >>> arm = base.with_overrides({"platforms.pinduoduo.group_buying.discount": 0.3})
    >>> world_key(base) == world_key(arm)
    True
    >>> world_key(base) == world_key(base.with_overrides({"network.mean_degree": 8}))
    False
    """
    document = config.model_dump(mode="json")
    parts: dict[str, Any] = {path: _at(document, path) for path in WORLD_SECTIONS}
    for name in config.active_platforms:
        row = document["platforms"][name]
        for field in PLATFORM_FIELDS:
            parts[f"platforms.{name}.{field}"] = _at(row, field)
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _at(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        value = value[key]
    return value


def world_bytes(world: World) -> int:
    """Return about how many bytes a world's arrays hold (arrays shared by parts once).

    Examples
    --------
    >>> cfg = ModelConfig.small()
    >>> world_bytes(build_world(cfg, np.random.default_rng(1))) > 0
    True
    """
    seen: set[int] = set()
    total = 0
    stack: list[Any] = [world]
    while stack:
        value = stack.pop()
        if isinstance(value, np.ndarray):
            if id(value) not in seen:
                seen.add(id(value))
                total += value.nbytes
        elif sparse.issparse(value):
            stack.extend((value.data, value.indices, value.indptr))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            stack.extend(
                getattr(value, f.name) for f in dataclasses.fields(value) if f.name != "config"
            )
    return total


class WorldCache:
    """Worlds built in this process, keyed by seed and :func:`world_key`, bounded in bytes.

    Parameters
    ----------
    max_bytes : int
        The most the cached worlds may hold together; the least recently used
        go first. A world larger than the bound alone is built but not kept.

    Attributes
    ----------
    hits, misses : int
        How often a world was found, and built.

    Examples
    --------
    >>> cache = WorldCache(max_bytes=100_000_000)
    >>> cfg = ModelConfig.small()
    >>> a = cache.get(cfg, 7, np.random.default_rng(7))
    >>> b = cache.get(cfg.with_overrides({"behaviour.return_rate": 0.2}), 7,
    ...               np.random.default_rng(7))
    >>> a.network is b.network, cache.hits, cache.misses
    (True, 1, 1)
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_MB * 1_000_000) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self.hits = 0
        self.misses = 0
        self._worlds: OrderedDict[tuple[int, str], tuple[World, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._worlds)

    @property
    def bytes(self) -> int:
        """Bytes the cached worlds hold."""
        return sum(size for _, size in self._worlds.values())

    def get(self, config: ModelConfig, seed: int, rng: np.random.Generator) -> World:
        """Return the world of `config` built from `seed`, building it from `rng` if not cached.

        Parameters
        ----------
        config : ModelConfig
            The run's config; the world returned carries it as ``world.config``.
        seed : int
            The run's root seed, of which `rng` is the world's stream.
        rng : numpy.random.Generator
            The world's stream, used only when the world is built here.

        Returns
        -------
        World
        """
        key = (int(seed), world_key(config))
        with self._lock:
            found = self._worlds.get(key)
            if found is not None:
                self._worlds.move_to_end(key)
                self.hits += 1
                return dataclasses.replace(found[0], config=config)
        world = build_world(config, rng)
        size = world_bytes(world)
        with self._lock:
            self.misses += 1
            if size <= self.max_bytes:
                self._worlds[key] = (world, size)
                while self.bytes > self.max_bytes:
                    self._worlds.popitem(last=False)
        return world

    def clear(self) -> None:
        """Forget every world."""
        with self._lock:
            self._worlds.clear()


_PROCESS_CACHE: WorldCache | None = None


def process_cache() -> WorldCache | None:
    """Return this process's world cache (None when ``SOCIALSIM_WORLD_CACHE_MB=0``).

    Sized by ``SOCIALSIM_WORLD_CACHE_MB`` (default 256) when first asked for.

    Raises
    ------
    ValueError
        If ``SOCIALSIM_WORLD_CACHE_MB`` is not a whole number >= 0.
    """
    global _PROCESS_CACHE
    text = os.environ.get("SOCIALSIM_WORLD_CACHE_MB", str(DEFAULT_CACHE_MB)).strip()
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = -1
    if megabytes < 0:
        raise ValueError(f"SOCIALSIM_WORLD_CACHE_MB must be a whole number >= 0, got {text!r}")
    if megabytes == 0:
        return None
    if _PROCESS_CACHE is None or _PROCESS_CACHE.max_bytes != megabytes * 1_000_000:
        _PROCESS_CACHE = WorldCache(megabytes * 1_000_000)
    return _PROCESS_CACHE
