"""Docking: the model's own word of mouth reduced to the Bass and Independent Cascade models.

Following Rand and Rust (2011), a marketing ABM is first *docked*: reduced by
configuration to a model whose behaviour is known, and checked against it.
Nothing here is a separate toy. Every function builds a
:class:`~socialsim.model.SocialCommerceModel` from :func:`diffusion_config` and
steps it; adoption is the share of consumers who have bought (``CUSTOMER``).
What the reduction leaves is the model's own path: needs open
(:mod:`~socialsim.mechanisms.needs`), friends' recent purchases give social
proof (:func:`~socialsim.mechanisms.word_of_mouth.friend_signals`), search and
word-of-mouth offers are scored (:func:`~socialsim.mechanisms.purchase.conversion_logit`),
turned into chances by the conversion link and drawn, and purchases ship.

**Bass.** One durable category whose need is always open, one platform
everyone uses, every weight zero but two: a search offer converts with chance
``base_search + social_proof_weight * share`` (the ``linear`` link), where the
share is the tie-weighted share of friends who have bought (word of mouth
visible for the whole run). With ``base_search = p`` and
``social_proof_weight = q`` a consumer who has not adopted adopts on a day with
chance ``p + q * share``: the Bass (1969) rule. Friends' own products are not
offered as such (``base_word_of_mouth`` far below zero), so imitation acts only
through social proof. Complete mixing comes in two forms. On the complete
graph (``mixing="complete_graph"``, up to :data:`MAX_COMPLETE_GRAPH`
consumers) a consumer's share is the adopted fraction of the *others*,
``A / (n - 1)``, computed by the model's word-of-mouth code over every tie;
:func:`bass_runs` scales ``q`` by ``(n - 1) / n`` so that it is ``q A / n``,
exactly the Bass imitation term. With ``mixing="population"`` there is no
social graph: ``behaviour.conversion.social_proof = "population"`` makes every
consumer's social proof the adopted share of the whole population, ``A / n``
(:func:`~socialsim.mechanisms.word_of_mouth.population_share`), which costs
one pass over the purchase table a day, so the Bass model docks at 100,000
consumers and more.

**Network Bass, two-sided.** On a sparse social graph the same rule uses
the share of a consumer's own neighbours. Adoption then runs no faster than
the mean field (Fibich and Gibori 2010) and, if word of mouth does anything,
clearly faster than the same world with imitation off (``q = 0``, where the
curve is ``1 - (1 - p)^t``). :func:`network_bass_bounds` measures both.

**The default decision path.** :func:`reference_docking` runs the
vectorised model and the plain per-agent reference
(:mod:`socialsim.reference`) on :func:`~socialsim.reference.reference_config`:
the default world's logit link and ``share`` social proof, with word-of-mouth
and search offers on two platforms. It compares the distributions of their
run totals over independent replications, as models are docked in
distribution (Axtell et al. 1996).

**Independent Cascade.** Everyone offline (so nobody searches), word of mouth
visible for one day (only yesterday's adopters count), social proof as the
*count* of such friends and the ``hazard`` link with weight ``-ln(1 - p)``: a
consumer with ``k`` friends who adopted yesterday adopts with chance
``1 - (1 - p)^k``, each of them one independent chance, as in Kempe, Kleinberg
and Tardos (2003). The seeds are made adopters on day 0
(:meth:`~socialsim.model.SocialCommerceModel.seed_adopters`).

References
----------
.. [1] F. M. Bass (1969), "A new product growth for model consumer durables",
   Management Science 15(5), 215-227.
.. [2] D. Kempe, J. Kleinberg and E. Tardos (2003), "Maximizing the spread of
   influence through a social network", KDD, 137-146.
.. [3] G. Fibich and R. Gibori (2010), "Aggregate diffusion dynamics in
   agent-based models with a spatial structure", Operations Research 58(5),
   1450-1468: on sparse networks adoption is slower than in the mean field.
.. [4] W. Rand and R. T. Rust (2011), "Agent-based modeling in marketing:
   Guidelines for rigor", IJRM 28(3), 181-193.
.. [5] R. Axtell, R. Axelrod, J. M. Epstein and M. D. Cohen (1996), "Aligning
   simulation models: a case study and results", Computational and
   Mathematical Organization Theory 1(2), 123-141: docking in distribution.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from socialsim.config.platforms import plain_platform
from socialsim.config.schema import ModelConfig
from socialsim.experiment.seeds import run_seed
from socialsim.model import SocialCommerceModel
from socialsim.reference import PerAgentModel, reference_config, run_outcomes

__all__ = [
    "BASS_P",
    "BASS_Q",
    "MAX_COMPLETE_GRAPH",
    "REFERENCE_OUTCOMES",
    "TOLERANCE_Z",
    "Mixing",
    "NetworkBassBounds",
    "ReferenceDocking",
    "bass_curve",
    "bass_expectation",
    "bass_recursion",
    "bass_runs",
    "cascade_sizes",
    "continuous_bass",
    "diffusion_config",
    "giant_component_spread",
    "independent_cascade",
    "network_bass_bounds",
    "network_bass_curve",
    "network_bass_runs",
    "outcome_sample",
    "reference_docking",
]

TOLERANCE_Z = 4.0
"""Docking tolerance in standard errors: a two-sided normal tail of 6.3e-5 per
point, about 2e-3 over the 30 steps of a curve (Bonferroni)."""

BASS_P = 0.03
"""Innovation coefficient: mean of 213 estimates (Sultan, Farley and Lehmann 1990)."""

BASS_Q = 0.38
"""Imitation coefficient: mean of 213 estimates (Sultan, Farley and Lehmann 1990)."""

MAX_COMPLETE_GRAPH = 5_000
"""Largest ``n_consumers`` :func:`bass_runs` accepts on the complete graph: it has
``n (n - 1)`` adjacency entries (5,000 consumers: 25 M entries, about 300 MB).
Population mixing needs no graph and has no such limit."""

# Population mixing holds a few bytes per consumer and day of the run: far below any machine.
_MAX_POPULATION = 50_000_000

Mixing = Literal["complete_graph", "population"]
"""How :func:`bass_runs` makes every consumer see every other."""

# A score this low keeps a friend's own product from ever converting under the linear link.
_NEVER_CONVERTS = -2.0
# The hazard weight standing in for p = 1 (1 - exp(-100) is 1 in float32).
_CERTAIN = 100.0


def diffusion_config(
    n_consumers: int,
    *,
    innovation: float,
    imitation: float,
    link: str = "linear",
    social_proof: str = "share",
    window_days: int = 3650,
    online: bool = True,
    steps: int = 0,
) -> ModelConfig:
    """Return the default world reduced to one durable product spreading by search and friends.

    The default tiers, incomes and conversion code are kept. Removed, by config
    only: KOLs, KOCs, store owners, daigou, the campaign and returns; the
    catalogue is one durable category of one product at RMB 1 whose need is
    always open (``need_rate`` 1, patience of 10^9 days); there is one plain
    platform, ``market``, with every mechanism off; budgets are the whole
    income. In the conversion score every weight and shift is zero except
    ``base_search = innovation`` and ``social_proof_weight = imitation``.

    Parameters
    ----------
    n_consumers : int
        Number of consumers.
    innovation : float
        ``behaviour.conversion.base_search``: the score of a search offer
        before social proof.
    imitation : float
        ``behaviour.conversion.social_proof_weight``.
    link : {"linear", "hazard", "logit"}
        ``behaviour.conversion.link``.
    social_proof : {"share", "count", "population"}
        ``behaviour.conversion.social_proof``.
    window_days : int
        ``behaviour.word_of_mouth_days``: how long an adoption is visible to friends.
    online : bool
        Whether everyone shops online (and so searches the platform, which
        everyone then uses) or nobody does (and only friends reach them).
    steps : int
        ``run.steps``.

    Returns
    -------
    ModelConfig

    Examples
    --------
    >>> cfg = diffusion_config(100, innovation=0.03, imitation=0.38)
    >>> cfg.behaviour.conversion.link, cfg.catalogue.categories["product"].durable
    ('linear', True)
    """
    base = ModelConfig()
    tiers = {f"population.tiers.{k}.online_share": float(online) for k in base.population.tiers}
    return base.with_overrides(
        {
            "population.n_consumers": n_consumers,
            **tiers,
            "influencers.n_kols": 0,
            "influencers.n_kocs": 0,
            "stores.n_owners": 0,
            "daigou.n_shoppers": 0,
            "campaign.budget": 0.0,
            # the social graph is always given: the generated network's size is unused
            "network.mean_degree": 1.0,
            "catalogue.categories": {
                "product": {
                    "n_products": 1,
                    "median_price": 1.0,
                    "price_sigma": 0.0,
                    "need_rate": 1.0,
                    "influencer_affinity": 1.0,
                    "durable": True,
                }
            },
            "platforms": {"market": plain_platform(initial_users=1.0)},
            "behaviour.budget_share": 1.0,
            "behaviour.need_patience_days": 1e9,
            "behaviour.word_of_mouth_days": window_days,
            "behaviour.return_rate": 0.0,
            "behaviour.post_sparks_need": 0.0,
            "behaviour.conversion": {
                "link": link,
                "social_proof": social_proof,
                "base_search": innovation,
                "base_word_of_mouth": _NEVER_CONVERTS if link == "linear" else 0.0,
                "social_proof_weight": imitation,
                "trust_weight": 0.0,
                "quality_weight": 0.0,
                "price_weight": 0.0,
                "review_weight": 0.0,
                "first_purchase_shift": 0.0,
                "offline_shift": 0.0,
                "tier_appeal_weight": 0.0,
            },
            "run.steps": steps,
        }
    )


# ------------------------------------------------------------------------ Bass


def bass_recursion(p: float, q: float, steps: int, substeps: int = 1) -> np.ndarray:
    """Return the discrete Bass curve ``F_t = F_{t-1} + (p + q F_{t-1})(1 - F_{t-1})``.

    Parameters
    ----------
    p, q : float
        Innovation and imitation coefficients per period.
    steps : int
        Number of periods.
    substeps : int
        Steps per period, each with ``p / substeps`` and ``q / substeps``
        (Euler's method for the continuous curve); only whole periods are returned.

    Returns
    -------
    ndarray of float64, shape (steps + 1,)
        ``F_0 = 0, F_1, ..., F_steps``.

    Examples
    --------
    >>> bass_recursion(0.1, 0.5, 2).round(4).tolist()
    [0.0, 0.1, 0.235]
    """
    f, out = 0.0, [0.0]
    for _ in range(steps):
        for _ in range(substeps):
            f += (p + q * f) * (1.0 - f) / substeps
        out.append(f)
    return np.array(out)


def bass_expectation(
    n: int, p: float, q: float, steps: int, substeps: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Return the exact mean and standard deviation of the stochastic Bass process with n consumers.

    With ``A`` adopters, each of the ``n - A`` others adopts independently with
    chance ``p + q A / n`` (divided by ``substeps`` per sub-step), so
    ``A_{t+1} - A_t`` is binomial given ``A_t``. The distribution of ``A`` is
    carried forward exactly. Its mean is below :func:`bass_recursion` by
    ``O(1/n)`` (imitation is linear in ``A`` but multiplied by ``n - A``: the
    variance of ``A`` slows it); the recursion is its limit as ``n`` grows.

    Parameters
    ----------
    n : int
        Consumers.
    p, q, steps, substeps
        As for :func:`bass_recursion`.

    Returns
    -------
    mean, sd : ndarray of float64, shape (steps + 1,)
        Mean and standard deviation of the adopted fraction ``A_t / n``.

    Raises
    ------
    ValueError
        Unless ``0 <= p``, ``0 <= q``, ``p + q <= 1`` and the counts are positive.

    Examples
    --------
    >>> mean, sd = bass_expectation(1, 0.5, 0.0, 2)
    >>> mean.tolist(), sd.round(4).tolist()
    ([0.0, 0.5, 0.75], [0.0, 0.5, 0.433])
    """
    _check_bass(p, q, n=n, steps=steps, substeps=substeps)
    count = np.arange(n + 1)
    dist = np.zeros(n + 1)
    dist[0] = 1.0
    mean, sd = [0.0], [0.0]
    for _ in range(steps):
        for _ in range(substeps):
            # Counts below 1e-15 are dropped: at most n * 1e-15 of the mass, far below any
            # Monte Carlo error, and it keeps the transition matrix small.
            support = np.flatnonzero(dist > 1e-15)
            dist_support = dist[support]
            low = int(support[0])
            chance = (p + q * support / n) / substeps
            moves = stats.binom.pmf(
                count[None, low:] - support[:, None], (n - support)[:, None], chance[:, None]
            )
            dist = np.zeros(n + 1)
            dist[low:] = dist_support @ moves
        m = float(dist @ count) / n
        mean.append(m)
        sd.append(math.sqrt(max(float(dist @ (count / n) ** 2) - m * m, 0.0)))
    return np.array(mean), np.array(sd)


def continuous_bass(p: float, q: float, t: Any) -> np.ndarray:
    """Return the Bass (1969) curve ``F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)``.

    Examples
    --------
    >>> round(float(continuous_bass(0.03, 0.38, 10.0)), 4)
    0.8128
    """
    t = np.asarray(t, dtype=np.float64)
    decay = np.exp(-(p + q) * t)
    return (1.0 - decay) / (1.0 + (q / p) * decay)


def bass_runs(
    n_consumers: int,
    p: float = BASS_P,
    q: float = BASS_Q,
    steps: int = 30,
    replications: int = 10,
    seed: int | None = None,
    *,
    substeps: int = 1,
    mixing: Mixing = "complete_graph",
    progress: bool = False,
) -> np.ndarray:
    """Run the Bass reduction of the model under complete mixing; return every run's curve.

    With ``mixing="complete_graph"`` every consumer is tied to every other, so
    the social proof of a consumer who has not adopted is the adopted fraction
    of the others, found by the model's word-of-mouth code over every tie. With
    ``mixing="population"`` there are no ties: the social proof is the adopted
    fraction of the whole population
    (``behaviour.conversion.social_proof = "population"``), and the size is
    limited only by memory. See the module docstring for the reduction.

    Parameters
    ----------
    n_consumers : int
        Number of consumers: 2 to :data:`MAX_COMPLETE_GRAPH` on the complete
        graph, at least 2 with population mixing.
    p, q : float
        Innovation and imitation coefficients per step; ``p + q <= 1``.
    steps : int
        Periods to return.
    replications : int
        Independent runs, each with its own world and seed.
    seed : int, optional
        Root seed; replication ``r`` runs with ``run_seed(seed, 0, r)``.
        Fresh entropy if omitted.
    substeps : int
        Model steps per period, each with ``p / substeps`` and ``q / substeps``:
        as ``substeps`` grows, the curve tends to the continuous Bass curve.
    mixing : {"complete_graph", "population"}
        How every consumer sees every other (see above).
    progress : bool
        Show a progress bar over the replications.

    Returns
    -------
    ndarray of float64, shape (replications, steps + 1)
        The adopted fraction after each period, starting with ``F_0 = 0``.

    Raises
    ------
    ValueError
        For a size, coefficient, count or mixing out of range.

    Examples
    --------
    A hundred thousand consumers under population mixing follow the recursion
    closely (a few seconds):

    >>> runs = bass_runs(100_000, steps=10, replications=1, seed=1, mixing="population")
    >>> bool(np.abs(runs[0] - bass_recursion(BASS_P, BASS_Q, 10)).max() < 0.01)
    True
    """
    if mixing not in ("complete_graph", "population"):
        raise ValueError(f"mixing must be 'complete_graph' or 'population', got {mixing!r}")
    limit = MAX_COMPLETE_GRAPH if mixing == "complete_graph" else _MAX_POPULATION
    if not 2 <= n_consumers <= limit:
        why = "complete mixing needs the complete graph" if limit == MAX_COMPLETE_GRAPH else ""
        raise ValueError(
            f"n_consumers must be in 2..{limit}"
            + (f" ({why}; mixing='population' needs no graph)" if why else "")
            + f", got {n_consumers}"
        )
    _check_bass(p, q, steps=steps, replications=replications, substeps=substeps)
    if mixing == "population":
        # Each consumer's social proof is A / n: exactly the Bass imitation term.
        graph = nx.empty_graph(n_consumers)
        return _bass_runs(
            graph, p, q, steps, replications, seed, substeps, progress, social_proof="population"
        )
    # A consumer's share counts the n - 1 others; q (n - 1) / n makes it q A / n.
    imitation = q * (n_consumers - 1) / n_consumers
    graph = nx.complete_graph(n_consumers)
    return _bass_runs(graph, p, imitation, steps, replications, seed, substeps, progress)


def bass_curve(
    n_consumers: int,
    p: float = BASS_P,
    q: float = BASS_Q,
    steps: int = 30,
    replications: int = 10,
    seed: int | None = None,
    *,
    substeps: int = 1,
    mixing: Mixing = "complete_graph",
    progress: bool = False,
) -> np.ndarray:
    """Return the mean adopted fraction of the model's Bass reduction under complete mixing.

    Parameters
    ----------
    n_consumers, p, q, steps, replications, seed, substeps, mixing, progress
        As for :func:`bass_runs`.

    Returns
    -------
    ndarray of float64, shape (steps + 1,)
        Mean ``F_t`` over the replications, ``F_0 = 0``; it matches
        :func:`bass_recursion` (with ``substeps``, :func:`continuous_bass`)
        within Monte Carlo error.

    Examples
    --------
    >>> curve = bass_curve(200, 0.03, 0.38, steps=5, replications=2, seed=1)
    >>> curve.shape, float(curve[0])
    ((6,), 0.0)
    """
    runs = bass_runs(
        n_consumers,
        p,
        q,
        steps,
        replications,
        seed,
        substeps=substeps,
        mixing=mixing,
        progress=progress,
    )
    return runs.mean(axis=0)


def network_bass_runs(
    graph: nx.Graph,
    p: float = BASS_P,
    q: float = BASS_Q,
    steps: int = 30,
    replications: int = 10,
    seed: int | None = None,
    *,
    substeps: int = 1,
    progress: bool = False,
) -> np.ndarray:
    """Run the Bass reduction of the model on a social graph; return every run's curve.

    Imitation is driven by the adopted share of each consumer's neighbours
    (every tie weighs 1; edge attributes are ignored); a consumer without
    neighbours adopts by innovation only.

    Parameters
    ----------
    graph : networkx.Graph
        The social graph (undirected, not a multigraph).
    p, q : float
        Innovation and imitation coefficients per step; ``p + q <= 1``.
    steps, replications, seed, substeps, progress
        As for :func:`bass_runs`.

    Returns
    -------
    ndarray of float64, shape (replications, steps + 1)

    Raises
    ------
    ValueError
        For a directed graph or multigraph, or a coefficient or count out of range.
    """
    _check_bass(p, q, steps=steps, replications=replications, substeps=substeps)
    plain = _plain_graph(graph)
    return _bass_runs(plain, p, q, steps, replications, seed, substeps, progress)


def network_bass_curve(
    graph: nx.Graph,
    p: float = BASS_P,
    q: float = BASS_Q,
    steps: int = 30,
    replications: int = 10,
    seed: int | None = None,
    *,
    substeps: int = 1,
    progress: bool = False,
) -> np.ndarray:
    """Return the mean adopted fraction of the model's Bass reduction on a social graph.

    On sparse networks adoption does not run ahead of the mean-field curve
    (:func:`bass_recursion`): adopters' neighbours are more often adopters
    already, so a non-adopter sees fewer of them than the global fraction
    (Fibich and Gibori 2010).

    Parameters
    ----------
    graph, p, q, steps, replications, seed, substeps, progress
        As for :func:`network_bass_runs`.

    Returns
    -------
    ndarray of float64, shape (steps + 1,)

    Examples
    --------
    >>> ring = nx.cycle_graph(100)
    >>> curve = network_bass_curve(ring, steps=5, replications=2, seed=1)
    >>> bool(curve[-1] <= bass_recursion(0.03, 0.38, 5)[-1])
    True
    """
    runs = network_bass_runs(
        graph, p, q, steps, replications, seed, substeps=substeps, progress=progress
    )
    return runs.mean(axis=0)


@dataclass(frozen=True)
class NetworkBassBounds:
    """Network Bass held between two bounds: the mean field above, no word of mouth below.

    Attributes
    ----------
    network : ndarray of float64, shape (replications, steps + 1)
        The adopted fraction on the social graph, one row per run.
    silent : ndarray of float64, shape (replications, steps + 1)
        The same world and seeds with imitation off (``q = 0``): word of mouth
        does nothing, and the curve is ``1 - (1 - p)^t`` in expectation.
    mean_field : ndarray of float64, shape (steps + 1,)
        The Bass recursion with the same ``p`` and ``q``.
    """

    network: np.ndarray
    silent: np.ndarray
    mean_field: np.ndarray

    @property
    def ahead_of_mean_field(self) -> float:
        """Largest lead of the network's mean over the mean field, in standard errors.

        Over the steps where the runs differ (a positive standard error); it is
        negative when the network is behind at every step.
        """
        se = self.network.std(axis=0, ddof=1) / math.sqrt(len(self.network))
        return _largest_lead(self.network.mean(axis=0) - self.mean_field, se)

    @property
    def lead_over_silent(self) -> float:
        """Largest lead of the network's mean over the silent world's, in standard errors.

        The standard error is that of a difference of two independent means.
        Both worlds run on the same seeds, so their runs are positively
        correlated and this standard error is too large: the test is conservative.
        """
        var = self.network.var(axis=0, ddof=1) / len(self.network) + self.silent.var(
            axis=0, ddof=1
        ) / len(self.silent)
        return _largest_lead(self.network.mean(axis=0) - self.silent.mean(axis=0), np.sqrt(var))

    @property
    def largest_gain(self) -> float:
        """Largest difference of the mean adopted fractions, network minus silent."""
        return float((self.network.mean(axis=0) - self.silent.mean(axis=0)).max())

    def no_faster_than_mean_field(self, z: float = TOLERANCE_Z) -> bool:
        """Whether the network never runs more than `z` standard errors ahead of the mean field."""
        return self.ahead_of_mean_field <= z

    def faster_than_silent(self, z: float = TOLERANCE_Z) -> bool:
        """Whether the network gets at least `z` standard errors ahead of the silent world."""
        return self.lead_over_silent >= z


def network_bass_bounds(
    graph: nx.Graph,
    p: float = BASS_P,
    q: float = BASS_Q,
    steps: int = 30,
    replications: int = 10,
    seed: int | None = None,
    *,
    progress: bool = False,
) -> NetworkBassBounds:
    """Run the network Bass reduction with word of mouth and without it, on the same seeds.

    The two-sided check: adoption on a sparse graph is no faster than the
    mean field (Fibich and Gibori 2010), and clearly faster than the same
    world with imitation off, or word of mouth is doing nothing.

    Parameters
    ----------
    graph, p, q, steps, replications, seed, progress
        As for :func:`network_bass_runs`; the silent world runs with ``q = 0``.

    Returns
    -------
    NetworkBassBounds

    Examples
    --------
    >>> ring = nx.watts_strogatz_graph(400, 4, 0.0, seed=1)
    >>> bounds = network_bass_bounds(ring, steps=15, replications=4, seed=1)
    >>> bounds.no_faster_than_mean_field(), bounds.faster_than_silent()
    (True, True)
    >>> silent = network_bass_bounds(ring, q=0.0, steps=15, replications=4, seed=1)
    >>> silent.faster_than_silent()
    False
    """
    network = network_bass_runs(graph, p, q, steps, replications, seed, progress=progress)
    silent = network_bass_runs(graph, p, 0.0, steps, replications, seed, progress=progress)
    return NetworkBassBounds(network, silent, bass_recursion(p, q, steps))


# ------------------------------------------------------------------------ the default decision path

REFERENCE_OUTCOMES: tuple[str, ...] = (
    "orders",
    "gmv",
    "customers",
    "word_of_mouth_share",
    "search_orders",
)
"""Run totals :func:`reference_docking` compares (:func:`socialsim.reference.run_outcomes`)."""


@dataclass(frozen=True)
class ReferenceDocking:
    """Run totals of the per-agent reference and of the vectorised model, one row per run.

    Attributes
    ----------
    reference, fast : pandas.DataFrame
        Columns :data:`REFERENCE_OUTCOMES`, one row per replication; the two
        come from disjoint seeds, so they are independent samples.
    """

    reference: pd.DataFrame
    fast: pd.DataFrame

    def welch_z(self) -> pd.Series:
        """Per outcome: fast mean minus reference mean, in standard errors of the difference."""
        return pd.Series(
            {name: _welch_z(self.reference[name], self.fast[name]) for name in REFERENCE_OUTCOMES}
        )

    def ks_pvalues(self) -> pd.Series:
        """Per outcome: the two-sample Kolmogorov-Smirnov p-value."""
        return pd.Series(
            {
                name: float(stats.ks_2samp(self.reference[name], self.fast[name]).pvalue)
                for name in REFERENCE_OUTCOMES
            }
        )

    @property
    def worst_z(self) -> float:
        """The largest absolute Welch z over the outcomes."""
        return float(self.welch_z().abs().max())

    def inconsistencies(
        self, z: float = TOLERANCE_Z, ks_alpha: float | None = None
    ) -> dict[str, str]:
        """Return the outcomes whose distributions differ beyond the tolerance, with why.

        Parameters
        ----------
        z : float
            Largest accepted absolute Welch z.
        ks_alpha : float, optional
            Also flag an outcome whose Kolmogorov-Smirnov p-value is below this.

        Returns
        -------
        dict of str to str
            Empty if the two agree.
        """
        found = {}
        welch, ks = self.welch_z(), self.ks_pvalues() if ks_alpha is not None else None
        for name in REFERENCE_OUTCOMES:
            if abs(welch[name]) > z:
                found[name] = f"means differ by {welch[name]:+.1f} standard errors"
            elif ks is not None and ks_alpha is not None and ks[name] < ks_alpha:
                found[name] = f"Kolmogorov-Smirnov p = {ks[name]:.1e}"
        return found

    def summary(self) -> pd.DataFrame:
        """Means of both models and the Welch z, one row per outcome."""
        frame = pd.DataFrame(
            {
                "reference": self.reference[list(REFERENCE_OUTCOMES)].mean(),
                "fast": self.fast[list(REFERENCE_OUTCOMES)].mean(),
            }
        )
        frame["welch_z"] = self.welch_z()
        return frame


def reference_docking(
    n_consumers: int = 1_000,
    steps: int = 25,
    replications: int = 20,
    seed: int = 1,
    *,
    config: ModelConfig | None = None,
    fast_config: ModelConfig | None = None,
    progress: bool = False,
) -> ReferenceDocking:
    """Dock the default decision path: the vectorised model against the per-agent reference.

    Both run :func:`~socialsim.reference.reference_config` (the default logit
    link, ``share`` social proof, word-of-mouth and search offers on two
    platforms with tier appeal and price levels) for `steps` days,
    `replications` times each, from disjoint seeds: replication ``r`` of the
    reference runs with ``run_seed(seed, 0, r)`` and of the vectorised model
    with ``run_seed(seed, 1, r)``. Each run builds its own world.

    Parameters
    ----------
    n_consumers : int
        Consumers (ignored if `config` is given).
    steps : int
        Days per run.
    replications : int
        Runs of each model.
    seed : int
        Root seed.
    config : ModelConfig, optional
        The world both run; ``reference_config(n_consumers)`` if omitted. It
        must be one the reference implements.
    fast_config : ModelConfig, optional
        A different world for the vectorised model only: a negative control
        (a changed rule must be flagged).
    progress : bool
        Show a progress bar.

    Returns
    -------
    ReferenceDocking

    Examples
    --------
    >>> docked = reference_docking(300, steps=5, replications=3, seed=1)
    >>> docked.reference.shape, docked.fast.shape
    ((3, 5), (3, 5))
    """
    _check_counts(steps=steps, replications=replications)
    config = reference_config(n_consumers) if config is None else config
    fast_config = config if fast_config is None else fast_config
    bar = tqdm(total=2 * replications, desc="reference", disable=not progress, leave=False)
    with bar:
        frames = [
            outcome_sample(
                model_type,
                world,
                [run_seed(seed, point, r, crn=False) for r in range(replications)],
                steps,
                on_run=bar.update,
            )
            for point, (model_type, world) in enumerate(
                ((PerAgentModel, config), (SocialCommerceModel, fast_config))
            )
        ]
    return ReferenceDocking(*frames)


def outcome_sample(
    model_type: type,
    config: ModelConfig,
    seeds: Iterable[int],
    steps: int,
    *,
    on_run: Callable[[], Any] | None = None,
) -> pd.DataFrame:
    """Run a model once per seed for `steps` days; return the run totals, one row per run.

    Parameters
    ----------
    model_type : type
        :class:`~socialsim.model.SocialCommerceModel` or
        :class:`~socialsim.reference.PerAgentModel`.
    config : ModelConfig
        The world.
    seeds : iterable of int
        One run per seed.
    steps : int
        Days per run.
    on_run : callable, optional
        Called after each run (a progress bar's ``update``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REFERENCE_OUTCOMES`.
    """
    rows = []
    for seed in seeds:
        model = model_type(config, rng=seed)
        for _ in range(steps):
            model.step()
        rows.append(run_outcomes(model.step_metrics()))
        if on_run is not None:
            on_run()
    return pd.DataFrame(rows, columns=list(REFERENCE_OUTCOMES))


# ------------------------------------------------------------------------ Independent Cascade


def cascade_sizes(
    graph: nx.Graph,
    seeds: Iterable[Hashable],
    p: float,
    runs: int = 100,
    seed: int | None = None,
    *,
    progress: bool = False,
) -> np.ndarray:
    """Run the Independent Cascade reduction of the model; return each run's final spread.

    Parameters
    ----------
    graph : networkx.Graph
        The social graph (undirected, not a multigraph); edge attributes are ignored.
    seeds : iterable of node
        The nodes active at the start.
    p : float
        Chance that a newly active node activates each inactive neighbour, in [0, 1].
    runs : int
        Independent runs, each with its own world and seed.
    seed : int, optional
        Root seed; run ``r`` uses ``run_seed(seed, 0, r)``. Fresh entropy if omitted.
    progress : bool
        Show a progress bar over the runs.

    Returns
    -------
    ndarray of int64, shape (runs,)
        Activated nodes at the end of each run, the seeds included.

    Raises
    ------
    ValueError
        For a directed graph or multigraph, a seed not in the graph, or a
        probability or count out of range.
    """
    _check_counts(runs=runs)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    plain = _plain_graph(graph)
    index = {node: i for i, node in enumerate(plain.nodes)}
    seeds = list(seeds)
    missing = [s for s in seeds if s not in index]
    if missing:
        raise ValueError(f"seed {missing[0]!r} is not a node of the graph")
    start = np.array([index[s] for s in seeds], dtype=np.int64)
    weight = _CERTAIN if p == 1.0 else -math.log1p(-p)
    config = diffusion_config(
        plain.number_of_nodes(),
        innovation=0.0,
        imitation=weight,
        link="hazard",
        social_proof="count",
        window_days=1,
        online=False,
    )
    sizes = np.zeros(runs, dtype=np.int64)
    for r in tqdm(range(runs), desc="cascade", disable=not progress, leave=False):
        model = SocialCommerceModel(config, rng=_replication_seed(seed, r), graph=plain)
        model.seed_adopters(start)
        active = int(model.state.customers().sum())
        # Nobody who adopted yesterday means nobody to see today: the cascade is over.
        for _ in range(plain.number_of_nodes()):
            model.step()
            now = int(model.state.customers().sum())
            if now == active:
                break
            active = now
        sizes[r] = active
    return sizes


def independent_cascade(
    graph: nx.Graph,
    seeds: Iterable[Hashable],
    p: float,
    runs: int = 100,
    seed: int | None = None,
    *,
    progress: bool = False,
) -> float:
    """Return the mean final spread of an Independent Cascade run by the model.

    Parameters
    ----------
    graph, seeds, p, runs, seed, progress
        As for :func:`cascade_sizes`.

    Returns
    -------
    float
        Mean number of activated nodes, the seeds included.

    Examples
    --------
    A path of three from one end with p = 1 reaches all three:

    >>> independent_cascade(nx.path_graph(3), [0], 1.0, runs=2, seed=1)
    3.0
    """
    return float(cascade_sizes(graph, seeds, p, runs, seed, progress=progress).mean())


def giant_component_spread(n: int, c: float, p: float) -> tuple[float, float]:
    """Large-n theory of the cascade from one random seed on Erdős–Rényi G(n, c/n).

    The cascade's final set is the seed's cluster in the graph with each edge
    kept with chance ``p``, itself G(n, c p / n). Its giant component holds a
    fraction ``s`` of the nodes, the root of ``s = 1 - exp(-c p s)``; a random
    seed lies in it with chance ``s``, so the expected spread tends to ``n s^2``.

    Parameters
    ----------
    n : int
        Nodes.
    c : float
        Mean degree.
    p : float
        Activation probability.

    Returns
    -------
    (float, float)
        ``s`` and ``n s^2`` (``s = 0`` when ``c p <= 1``).

    Examples
    --------
    >>> s, spread = giant_component_spread(10_000, 4.0, 0.5)
    >>> round(s, 4), round(spread)
    (0.7968, 6349)
    """
    mean = c * p
    if mean <= 1.0:
        return 0.0, 0.0
    s = 1.0
    for _ in range(10_000):  # a contraction for mean > 1: converges from s = 1
        new = 1.0 - math.exp(-mean * s)
        if abs(new - s) < 1e-15:
            break
        s = new
    return s, n * s * s


# ------------------------------------------------------------------------ helpers


def _plain_graph(graph: nx.Graph) -> nx.Graph:
    """Copy the nodes and edges, undirected and without attributes (every tie weighs 1)."""
    if graph.is_directed() or graph.is_multigraph():
        raise ValueError(
            "the model's ties are undirected single edges: pass nx.Graph(graph) "
            f"(got a {type(graph).__name__})"
        )
    if graph.number_of_nodes() < 2:
        raise ValueError(f"the graph needs at least 2 nodes, got {graph.number_of_nodes()}")
    plain = nx.Graph()
    plain.add_nodes_from(graph.nodes)
    plain.add_edges_from(graph.edges)
    return plain


def _check_bass(p: float, q: float, **counts: int) -> None:
    _check_counts(**counts)
    if not (0.0 <= p <= 1.0 and q >= 0.0 and p + q <= 1.0):
        raise ValueError(
            f"need 0 <= p, 0 <= q and p + q <= 1 for a chance p + q F, got p={p}, q={q}"
        )
    if "replications" not in counts:  # the exact expectation: no model run, no day limit
        return
    if counts["steps"] * counts["substeps"] >= 3650:
        raise ValueError(
            f"steps * substeps must be below 3650 days, got {counts['steps'] * counts['substeps']}"
        )


def _bass_runs(
    graph: nx.Graph,
    p: float,
    imitation: float,
    steps: int,
    replications: int,
    seed: int | None,
    substeps: int,
    progress: bool,
    social_proof: str = "share",
) -> np.ndarray:
    """Run the Bass reduction on a plain graph (checked by the caller); one row per run."""
    config = diffusion_config(
        graph.number_of_nodes(),
        innovation=p / substeps,
        imitation=imitation / substeps,
        social_proof=social_proof,
        window_days=steps * substeps + 1,
        steps=steps * substeps,
    )
    curves = np.zeros((replications, steps + 1))
    for r in tqdm(range(replications), desc="bass", disable=not progress, leave=False):
        model = SocialCommerceModel(config, rng=_replication_seed(seed, r), graph=graph)
        for t in range(1, steps + 1):
            model.run(substeps)
            curves[r, t] = model.state.customers().mean()
    return curves


def _largest_lead(difference: np.ndarray, se: np.ndarray) -> float:
    """Largest ``difference / se`` over the steps with a positive standard error.

    Where no step has one (identical runs), 0 if the difference is nowhere
    positive and infinity otherwise.
    """
    defined = se > 0
    if not defined.any():
        return 0.0 if np.all(difference <= 0) else math.inf
    return float((difference[defined] / se[defined]).max())


def _welch_z(a: pd.Series, b: pd.Series) -> float:
    """Return ``mean(b) - mean(a)`` in standard errors of the difference (Welch)."""
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    diff = float(b.mean() - a.mean())
    if se == 0.0:
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / se


def _replication_seed(seed: int | None, replication: int) -> int | None:
    return None if seed is None else run_seed(seed, 0, replication, crn=False)


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
