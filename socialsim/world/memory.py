"""Size guards: estimate a world's memory from its config and refuse one that cannot fit.

A world that does not fit in memory is not refused by anything else: the
operating system kills the process halfway through the build or the run, with
no message. :func:`check_memory` compares the estimate of
:func:`estimate_memory` (times the number of worker processes) with
:func:`available_memory` before anything is built, and raises a
:class:`MemoryLimitError` (a :class:`~socialsim.errors.ConfigError`, shown by
the command line as one line) that names ``population.n_consumers``, both
sizes and how to override the check.

The estimate models the *measured* peak resident memory of a fresh process
that builds ``SocialCommerceModel(config)``, runs ``run.steps`` days and
collects the step and order tables: one linear model per phase (generating the
graph, the rest of the world, the rest of the model, the run), the largest
phase being the peak. Its coefficients were fitted by
``tests/benchmarks/measure_memory.py`` (see :data:`PHASES`), scaled so that
the estimate lies above every measured world from 10 k to 1 M consumers, and
raised by :data:`MARGIN`. On the measured worlds it was 5 % to 65 % above the
peak; 25 % to 40 % for default worlds of 50 k to 1 M consumers. The interpreter and libraries
themselves (:data:`PROCESS_BYTES`) are not part of the estimate: the process
that checks already holds them, but each extra worker process needs its own.

Set the environment variable ``SOCIALSIM_SKIP_MEMORY_CHECK=1`` to skip the
check (for a machine where swap or overcommit make the figures too strict, or
an estimate that is wrong for an unusual config).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem

__all__ = [
    "MARGIN",
    "PHASES",
    "PROCESS_BYTES",
    "SKIP_ENV",
    "MemoryEstimate",
    "MemoryLimitError",
    "available_memory",
    "check_memory",
    "dominant_key",
    "estimate_memory",
]

SKIP_ENV = "SOCIALSIM_SKIP_MEMORY_CHECK"

# --------------------------------------------------------------------------- coefficients


class _Bytes(NamedTuple):
    """Bytes of one phase's peak per unit of each quantity that drives it."""

    fixed: float
    consumer: float
    consumer_category: float
    consumer_platform: float
    adjacency_entry: float
    follow_entry: float
    eager_agent: float
    order: float


# Peak resident memory of each phase of a build and run, above a warmed-up process: generating
# the social graph (edge lists and the COO copies the CSR is built from), the rest of the world
# (follow matrices, stores, daigou), the rest of the model's construction (state arrays,
# audience matrix, eager Consumer agents) and the run with its results (orders, step tables and
# the order DataFrame). The peak of the whole is the largest of the four. Fitted by
# `python tests/benchmarks/measure_memory.py` on 2026-11-23 (2-core AMD EPYC, 24.7 GB, Linux
# 6.18, Python 3.11.7, numpy 2.4.6, scipy 1.17.1, pandas 3.1.1, mesa 3.3.1) on 16 worlds
# (10k-1M consumers, mean degree 5-30, 6 or 12 categories and platforms, 100 or 400 KOLs,
# eager and lazy agents, with and without the order log): non-negative least squares on
# relative error (the fits were within -15 % .. +9 % of the phases' peaks), each phase's fit
# then scaled until, applied to the counts _counts infers from the configs, it lay just above
# every measured world. Re-run the script after a change that adds
# per-consumer, per-edge or per-order arrays, and copy the printed table here.
PHASES: Mapping[str, _Bytes] = MappingProxyType(
    {
        "network": _Bytes(0.0, 0.0, 0.0, 0.0, 80.5, 0.0, 0.0, 0.0),
        "world": _Bytes(3672393.0, 0.0, 3.2, 3.3, 26.2, 46.5, 55.3, 0.0),
        "model": _Bytes(0.0, 0.0, 10.0, 15.1, 39.5, 72.1, 250.7, 0.0),
        "run": _Bytes(0.0, 0.0, 61.0, 14.5, 23.0, 92.4, 408.3, 89.9),
    }
)
# Orders per consumer-day per unit of summed need rate: 0.65 in the default world from 50k
# to 1M consumers over 90 days, 0.81 at 10k (KOC circles are a larger share of a small world),
# 1.12 with four times the KOLs (their posts sell without a need); same measurements.
ORDERS_PER_NEED = 0.75
# A step's row in the step, platform and tier tables: a few hundred numbers each (generous).
TABLE_ROW_BYTES = 4096
# Safety factor on top of the scaled fits, for what the 16 worlds did not vary: other seeds
# (KOL audiences aside, which _follow_entries bounds), Python 3.12 / Mesa 3.5, allocators.
MARGIN = 1.05
# The interpreter with numpy, scipy, pandas, networkx, mesa and socialsim imported and a
# small model run once (179 MB, the measuring script's baseline, rounded up): what each extra
# worker process costs before its world.
PROCESS_BYTES = 200_000_000

# Where the memory figures come from; module-level so tests can point them at other files.
MEMINFO = Path("/proc/meminfo")
SELF_CGROUP = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")
# A cgroup v1 "no limit" is a huge page-aligned number rather than a word.
_UNLIMITED = 2**60
# Quantiles of the KOL audience-share distribution averaged over (see _follow_entries).
_AUDIENCE_GRID = 400
_GB = 1e9


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory of building and running one world.

    Attributes
    ----------
    total : int
        Bytes, the sum of `parts`.
    parts : mapping of str to int
        Bytes by part of the model, largest first: ``network`` (the social
        graph), ``consumers`` (population and per-consumer state arrays),
        ``agents`` (eager :class:`~socialsim.agents.Consumer` objects),
        ``influencers`` (follow and prospect matrices), ``stores and daigou``
        (client lists), ``recorded tables`` (order log and step tables) and
        ``fixed`` (catalogue, platforms and everything that does not grow).

    Examples
    --------
    >>> est = MemoryEstimate(1_300_000_000, {"network": 800_000_000, "fixed": 500_000_000})
    >>> print(est)
    about 1.3 GB (network 0.8 GB, fixed 0.5 GB)
    """

    total: int
    parts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ordered = dict(sorted(self.parts.items(), key=lambda kv: -kv[1]))
        object.__setattr__(self, "parts", MappingProxyType(ordered))

    def __str__(self) -> str:
        shown = ", ".join(f"{name} {_gb(size)}" for name, size in self.parts.items())
        return self.brief + (f" ({shown})" if shown else "")

    @property
    def brief(self) -> str:
        """The total alone, for people: ``"about 1.3 GB"``."""
        return f"about {_gb(self.total)}"


class MemoryLimitError(ConfigError):
    """A world that would need more memory than the machine has available.

    A :class:`~socialsim.errors.ConfigError` about the config key that makes
    the world too big (see :func:`dominant_key`), so it is reported like any
    other bad value (one line, exit status 2 on the command line): the key and
    its value, the memory needed, its largest part and the memory available.

    Parameters
    ----------
    config : ModelConfig
        The config that was refused.
    estimate : MemoryEstimate
        The estimate for one world.
    required : int
        Bytes all workers need together.
    available : int
        Bytes available.
    workers : int
        Worker processes, each with a world of its own.

    Attributes
    ----------
    key : str
        The dotted config key blamed.

    Examples
    --------
    >>> cfg = ModelConfig().with_overrides({"population.n_consumers": 1_000_000})
    >>> err = MemoryLimitError(cfg, estimate_memory(cfg), 2 * 10**9, 10**9, 1)
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    population.n_consumers: needs about 2.0 GB of memory (the largest part: recorded tables
    0.7 GB),
    more than the 1.0 GB available; use fewer consumers, or set
    SOCIALSIM_SKIP_MEMORY_CHECK=1 to skip this check, got 1000000
    """

    def __init__(
        self,
        config: ModelConfig,
        estimate: MemoryEstimate,
        required: int,
        available: int,
        workers: int,
    ) -> None:
        self.estimate = estimate
        self.required = required
        self.available = available
        self.workers = workers
        self.key, value = dominant_key(config)
        notes = []
        if workers > 1:
            notes.append(f"{workers} workers, each about {_gb(estimate.total + PROCESS_BYTES)}")
        if estimate.parts:
            part, size = next(iter(estimate.parts.items()))
            notes.append(f"the largest part: {part} {_gb(size)}")
        need = f"needs about {_gb(required)} of memory"
        if notes:
            need += f" ({'; '.join(notes)})"
        advice = _ADVICE.get(self.key, "use fewer products" if "n_products" in self.key else "")
        advice = advice or "use a smaller value"
        if workers > 1:
            advice += " or fewer workers"
        rule = (
            f"{need}, more than the {_gb(available)} available; {advice}, or set "
            f"{SKIP_ENV}=1 to skip this check"
        )
        super().__init__([Problem(self.key, rule, value)])


# Config keys a world's size grows with, and what to tell someone whose world is too big.
_ADVICE: Mapping[str, str] = MappingProxyType(
    {
        "population.n_consumers": "use fewer consumers",
        "network.mean_degree": "use a lower mean degree",
        "run.steps": "run fewer days (or set run.record_orders to false)",
        "influencers.n_kols": "use fewer KOLs",
        "influencers.n_kocs": "use fewer KOCs",
        "influencers.koc_extra_followers": "give KOCs fewer extra followers",
        "daigou.n_shoppers": "use fewer daigou",
        "daigou.extra_clients": "give daigou fewer clients",
    }
)


def dominant_key(config: ModelConfig) -> tuple[str, object]:
    """Return the config key that makes a world's memory estimate large, and its value.

    The key whose return to its default value would save the most estimated
    memory: ``run.steps`` for a run of ten million days, ``influencers.n_kols``
    for a hundred million KOLs. The keys are those of the estimate's parts (the
    consumers, the mean degree, the days, the KOL, KOC and daigou counts and
    the products of the largest category); ``population.n_consumers`` when
    none of them saves anything.

    Parameters
    ----------
    config : ModelConfig

    Returns
    -------
    (str, object)
        The dotted key and its value in `config`.

    Examples
    --------
    >>> dominant_key(ModelConfig().with_overrides({"run.steps": 10**7}))
    ('run.steps', 10000000)
    >>> dominant_key(ModelConfig())
    ('population.n_consumers', 50000)
    """
    default = ModelConfig()
    total = estimate_memory(config).total
    candidates = [(key, _get(config, key), _get(default, key)) for key in _ADVICE]
    categories = config.catalogue.categories
    if categories:
        name = max(categories, key=lambda c: categories[c].n_products)
        typical = max(c.n_products for c in default.catalogue.categories.values())
        key = f"catalogue.categories.{name}.n_products"
        candidates.append((key, categories[name].n_products, typical))
    best, saving = ("population.n_consumers", config.population.n_consumers), 0
    for key, value, usual in candidates:
        if not value > usual:
            continue
        smaller = estimate_memory(_replace(config, key, usual)).total
        if total - smaller > saving:
            best, saving = (key, value), total - smaller
    return best


def _get(config: ModelConfig, key: str) -> object:
    node: object = config
    for part in key.split("."):
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return node


def _replace(node: object, key: str, value: object) -> object:
    """Return `node` with the value at dotted `key` replaced, unvalidated (for estimates only)."""
    head, _, rest = key.partition(".")
    if isinstance(node, Mapping):
        child = node[head]
        return {**node, head: _replace(child, rest, value) if rest else value}
    child = getattr(node, head)
    return node.model_copy(update={head: _replace(child, rest, value) if rest else value})


def estimate_memory(config: ModelConfig) -> MemoryEstimate:
    """Estimate the peak memory of building and running a model from `config`.

    The peak of building ``SocialCommerceModel(config)``, running
    ``run.steps`` days and collecting the step tables and (with
    ``run.record_orders``) the order table, above what the process held
    before. Measured coefficients (bytes per consumer, per adjacency entry, per
    follow entry, per order, ...) applied to the counts the config implies,
    times :data:`MARGIN`.

    Parameters
    ----------
    config : ModelConfig
        The world and run to estimate.

    Returns
    -------
    MemoryEstimate
        Total bytes and a breakdown by part.

    Notes
    -----
    Counts the config does not fix are bounded from above: the social graph as
    ``n_consumers * mean_degree`` adjacency entries (the generator falls short
    of the mean degree in small cities), KOL audiences as the mean of the
    capped Pareto audience shares plus two standard deviations, and orders
    as ``ORDERS_PER_NEED * sum(need_rate)`` per consumer and day. Worlds built
    from a user graph are estimated as generated ones. A config far from the
    measured range (much higher need rates, say) may be estimated less well.

    Examples
    --------
    >>> small = estimate_memory(ModelConfig().with_overrides({"population.n_consumers": 10_000}))
    >>> large = estimate_memory(ModelConfig().with_overrides({"population.n_consumers": 100_000}))
    >>> small.total < large.total
    True
    >>> sorted(large.parts)  # doctest: +NORMALIZE_WHITESPACE
    ['agents', 'consumers', 'fixed', 'influencers', 'network', 'recorded tables',
     'stores and daigou']
    """
    count = _counts(config)
    # The breakdown is that of the phase with the largest peak.
    phase = max(PHASES.values(), key=lambda b: sum(x * c for x, c in zip(b, count, strict=True)))
    term = {name: per * count[i] for i, (name, per) in enumerate(phase._asdict().items())}
    # Steps, platforms and tiers each add a row per day to the result tables.
    rows = config.run.steps * (1 + len(config.active_platforms) + len(config.population.tiers))
    daigou = config.daigou.n_shoppers * (config.daigou.extra_clients + config.network.mean_degree)
    raw = {
        "network": term["adjacency_entry"],
        "consumers": term["consumer"] + term["consumer_category"] + term["consumer_platform"],
        "agents": term["eager_agent"],
        "influencers": term["follow_entry"],
        "stores and daigou": max(phase.follow_entry, phase.adjacency_entry) * daigou,
        "recorded tables": term["order"] + TABLE_ROW_BYTES * rows,
        "fixed": term["fixed"] + _catalogue_bytes(config),
    }
    parts = {name: math.ceil(MARGIN * size) for name, size in raw.items()}
    return MemoryEstimate(sum(parts.values()), parts)


def _counts(config: ModelConfig) -> _Bytes:
    """Return how many of each unit of :class:`_Bytes` a world from `config` has (upper bounds)."""
    n = config.population.n_consumers
    need = sum(c.need_rate for c in config.catalogue.categories.values())
    return _Bytes(
        fixed=1.0,
        consumer=n,
        consumer_category=n * len(config.catalogue.categories),
        consumer_platform=n * len(config.active_platforms),
        # An upper bound: the generator falls short of the mean degree in small cities.
        adjacency_entry=n * min(config.network.mean_degree, n - 1),
        follow_entry=_follow_entries(config),
        eager_agent=n if n <= config.agents.eager_consumer_limit else 0,
        order=ORDERS_PER_NEED * need * n * config.run.steps if config.run.record_orders else 0.0,
    )


def available_memory() -> int | None:
    """Return the bytes this process can still allocate, or None if unknown.

    ``MemAvailable`` from ``/proc/meminfo`` (memory the kernel can hand out
    without swapping, reclaimable page cache included), capped by the memory
    limit of the process's cgroup and of each cgroup above it, less what the
    cgroup already uses: ``memory.max - memory.current`` (cgroup v2) or
    ``memory.limit_in_bytes - memory.usage_in_bytes`` (v1). A cgroup's
    inactive file cache (``inactive_file`` in ``memory.stat``) counts as free,
    because the kernel reclaims it before killing anything.

    Returns
    -------
    int or None
        Bytes, or None where none of these files can be read (not Linux): then
        :func:`check_memory` does not check.

    Examples
    --------
    >>> free = available_memory()
    >>> free is None or free > 0
    True
    """
    candidates = [x for x in (_meminfo_available(), _cgroup_available()) if x is not None]
    return max(0, min(candidates)) if candidates else None


def check_memory(
    config: ModelConfig, *, workers: int = 1, available: int | None = None
) -> MemoryEstimate:
    """Refuse a config whose world would not fit in the memory available.

    Parameters
    ----------
    config : ModelConfig
        The world about to be built.
    workers : int, default 1
        Worker processes that each build a world of this size at the same
        time. With more than one, each also needs :data:`PROCESS_BYTES` for its
        interpreter and libraries.
    available : int, optional
        Bytes available; :func:`available_memory` if omitted. When that is
        unknown too, nothing is checked.

    Returns
    -------
    MemoryEstimate
        The estimate for one world.

    Raises
    ------
    MemoryLimitError
        If the workers' worlds together need more than `available`, unless
        the environment variable ``SOCIALSIM_SKIP_MEMORY_CHECK`` is set to
        ``1`` (or ``true``, ``yes``).
    ValueError
        If `workers` is less than 1.

    Examples
    --------
    >>> cfg = ModelConfig().with_overrides({"population.n_consumers": 10_000})
    >>> print(check_memory(cfg, available=10**12).total > 0)
    True
    >>> check_memory(cfg, available=10**6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    socialsim.world.memory.MemoryLimitError: population.n_consumers: needs about 34 MB ...
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    estimate = estimate_memory(config)
    if _skip_requested():
        return estimate
    if available is None:
        available = available_memory()
    if available is None:
        return estimate
    required = estimate.total if workers == 1 else workers * (estimate.total + PROCESS_BYTES)
    if required > available:
        raise MemoryLimitError(config, estimate, required, available, workers)
    return estimate


# --------------------------------------------------------------------------- helpers


def _gb(size: float) -> str:
    """Format a size for people: '31.2 GB', or MB below a tenth of a gigabyte."""
    if size < 0.1 * _GB:
        return f"{size / 1e6:.0f} MB" if size >= 1e6 else "under 1 MB"
    if size >= 1000 * _GB:
        return f"{size / (1000 * _GB):,.1f} TB"
    return f"{size / _GB:.1f} GB"


def _skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _follow_entries(config: ModelConfig) -> float:
    """Return an upper estimate of follow plus prospect entries (KOL audiences, KOC circles).

    A KOL with audience share ``s`` (Pareto, capped) and focus tier ``f`` draws
    ``s * n * grow`` online consumers spread over tiers by weight, each tier capped
    at its online consumers (as in :func:`~socialsim.world.influencers.build_influencers`).
    Its expected audience is averaged over a quantile grid of ``s`` and over ``f``;
    the sum over KOLs is bounded by its mean plus two standard deviations, since
    the heavy tail makes the audience one seed draws vary a lot between worlds (in 30
    default worlds of 100k consumers: 2.9 +- 0.6 entries per consumer, at most 4.3;
    this bound gives 4.1).
    """
    inf = config.influencers
    net = config.network
    pop = config.population
    n = pop.n_consumers
    tiers = np.array(sorted(pop.tiers), dtype=np.float64)
    tier_share = np.array([pop.tiers[t].share for t in sorted(pop.tiers)])
    online = tier_share * np.array([pop.tiers[t].online_share for t in sorted(pop.tiers)])
    grow = 1.0 + inf.kol_prospect_ratio
    quantile = (np.arange(_AUDIENCE_GRID) + 0.5) / _AUDIENCE_GRID
    shares = np.minimum(
        inf.kol_max_follower_share,
        inf.kol_min_follower_share * (1.0 - quantile) ** (-1.0 / inf.kol_follower_exponent),
    )
    # weight[f, t]: how a KOL focused on tier f spreads its audience over tiers t.
    weight = online * np.exp(-inf.kol_tier_affinity * np.abs(tiers[:, None] - tiers))
    weight /= np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)
    # audience[f, s] = sum over t of min(s * grow * weight[f, t], online[t]), times n.
    drawn = shares[None, :, None] * grow * weight[:, None, :]
    audience = np.minimum(drawn, online).sum(axis=2) * n
    first = float(tier_share @ audience.mean(axis=1))
    second = float(tier_share @ (audience**2).mean(axis=1))
    spread = math.sqrt(max(0.0, second - first * first) * inf.n_kols)
    kol = min(inf.n_kols * first + 2.0 * spread, inf.n_kols * float(online.sum()) * n)
    # A KOC's circle: its strong ties (the largest community share of any tier) plus extras.
    strong_share = max(t.community_tie_share for t in net.tiers.values())
    strong = net.mean_degree * (1.0 - net.weak_tie_share) * strong_share
    koc = inf.n_kocs * min(strong + inf.koc_extra_followers, n)
    return kol + koc


def _catalogue_bytes(config: ModelConfig) -> float:
    # Products live in a few arrays per platform (prices, recent sales); a kilobyte each
    # is generous and keeps a catalogue of millions of products from being free.
    products = sum(c.n_products for c in config.catalogue.categories.values())
    return 1024.0 * products * max(1, len(config.active_platforms))


def _read_int(path: Path) -> int | None:
    """Read the integer in a one-value file; None if unreadable or 'max' (no limit)."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return None if value >= _UNLIMITED else value


def _stat_value(path: Path, key: str) -> int:
    """Read one counter of a cgroup ``memory.stat`` file, 0 if absent."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def _meminfo_available() -> int | None:
    try:
        lines = MEMINFO.read_text().splitlines()
    except OSError:
        return None
    fields = {}
    for line in lines:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            # Values are in kB (KiB) whatever the unit column says.
            fields[name.strip()] = int(parts[0]) * 1024
    if "MemAvailable" in fields:
        return fields["MemAvailable"]
    # Kernels before 3.14 lack MemAvailable: free memory plus the page cache approximates it.
    if "MemFree" in fields:
        return fields["MemFree"] + fields.get("Buffers", 0) + fields.get("Cached", 0)
    return None


def _cgroup_available() -> int | None:
    """Return the least headroom (limit - usage + inactive file cache) along the cgroup path."""
    own_v2, own_v1 = _own_cgroups()
    # (directory, limit file, usage file, inactive-file key in memory.stat) from the own
    # cgroup up to the mount point: a limit anywhere above applies as well.
    checks = [
        (d, "memory.max", "memory.current", "inactive_file") for d in _up_to(CGROUP_ROOT, own_v2)
    ]
    checks += [
        (d, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
        for d in _up_to(CGROUP_ROOT / "memory", own_v1)
    ]
    headroom = []
    for directory, limit_file, usage_file, inactive_key in checks:
        limit = _read_int(directory / limit_file)
        usage = _read_int(directory / usage_file)
        if limit is None or usage is None:
            continue
        inactive = _stat_value(directory / "memory.stat", inactive_key)
        headroom.append(limit - max(0, usage - inactive))
    return min(headroom) if headroom else None


def _own_cgroups() -> tuple[str, str]:
    """Return the process's cgroup v2 path and its cgroup v1 memory path ('' if unknown)."""
    v2 = v1 = ""
    try:
        lines = SELF_CGROUP.read_text().splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            v2 = path
        elif "memory" in controllers.split(","):
            v1 = path
    return v2, v1


def _up_to(root: Path, own: str) -> list[Path]:
    """Return the directory of cgroup `own` under `root` and each parent up to `root`."""
    parts = [p for p in own.strip("/").split("/") if p and p != ".."]
    return [root.joinpath(*parts[:k]) for k in range(len(parts), -1, -1)]
