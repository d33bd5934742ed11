"""Stylized facts: whether the default world shows what is known about the market.

Each fact listed at the end of ``shared/domain.md`` becomes one or more
:class:`FactCheck` rows, measured on replications of the default world (for
fact 6, the default world with a regulator acting against the recruitment
scheme). A check reports the mean over replications, its 95 % Student-t
confidence interval and the expected range, and passes only if the whole
interval lies inside the range: a direction ("greater than zero") must be
clear of zero, not merely on the right side of it on average.

The expected ranges come from the sources in ``shared/domain.md`` where there
is a number, and are stated as judgements where the source is qualitative
("grows fast, then stalls"); each :class:`FactCheck` says which.

References
----------
.. [1] W. Rand and R. T. Rust (2011), "Agent-based modeling in marketing:
   Guidelines for rigor", IJRM 28(3): validation against stylized facts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from tqdm import tqdm

from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.seeds import run_seed
from socialsim.model import SocialCommerceModel

__all__ = [
    "FACTS",
    "REGULATION_DAY",
    "SOCIAL_PLATFORMS",
    "FactCheck",
    "FactRuns",
    "check_fact_world",
    "check_facts",
    "facts_table",
    "gini",
    "logistic_inflection",
    "run_fact_worlds",
]

FACTS: dict[int, str] = {
    1: "Social commerce skews to lower tiers: group buying and social-feed platforms win a "
    "larger share of buyers in tiers 3-6 than in tiers 1-2.",
    2: "Socially driven feeds convert better than algorithmic feeds (3-5 x) at equal exposure.",
    3: "Livestreams convert much better than ordinary listings and are returned much more often.",
    4: "Influencer and seller revenue is very concentrated (a heavy tail, high Gini).",
    5: "Group-deal adoption follows an S-curve with a tipping point.",
    6: "Recruitment-driven membership schemes grow fast, then stall, and stop when a regulator "
    "steps in.",
}
"""The stylized facts of ``shared/domain.md``, by number."""

SOCIAL_PLATFORMS: tuple[str, ...] = ("pinduoduo", "kuaishou")
"""The default world's group-buying and social-feed platforms for fact 1. Kaola's group
buys are a side feature of a cross-border store for the new middle class (domain.md), so
it is left out."""

REGULATION_DAY = 60
"""Day the regulator forces one-level, fee-free membership on Yunji in the fact-6 world."""


@dataclass(frozen=True)
class FactCheck:
    """One measured check of one stylized fact.

    Attributes
    ----------
    fact : int
        The fact's number in :data:`FACTS`.
    name : str
        Short identifier of the check.
    measure : str
        What is measured, in words.
    expected : str
        The expected range and where it comes from.
    lower, upper : float
        The expected range (``-inf`` or ``inf`` for a direction).
    values : tuple of float
        The measure in each replication.
    """

    fact: int
    name: str
    measure: str
    expected: str
    lower: float
    upper: float
    values: tuple[float, ...] = field(repr=False)

    @property
    def value(self) -> float:
        """Mean over the replications (NaN if none could be measured)."""
        finite = [v for v in self.values if math.isfinite(v)]
        return float(np.mean(finite)) if finite else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        """95 % Student-t confidence interval of the mean (the mean twice if one replication)."""
        finite = np.array([v for v in self.values if math.isfinite(v)])
        if finite.size < 2:
            return self.value, self.value
        half = stats.t.ppf(0.975, finite.size - 1) * finite.std(ddof=1) / math.sqrt(finite.size)
        return self.value - half, self.value + half

    @property
    def passed(self) -> bool:
        """Whether the whole confidence interval lies in the expected range."""
        low, high = self.interval
        return bool(math.isfinite(self.value) and self.lower <= low and high <= self.upper)


@dataclass(frozen=True)
class FactRuns:
    """The runs the facts are measured on.

    Attributes
    ----------
    default : list of SocialCommerceModel
        Replications of the default world, with the order log.
    regulated : list of SocialCommerceModel
        Replications of the default world with a regulator acting on Yunji on
        :data:`REGULATION_DAY`.
    """

    default: list[SocialCommerceModel]
    regulated: list[SocialCommerceModel]


def run_fact_worlds(
    base: ModelConfig | None = None,
    replications: int = 3,
    seed: int = 1,
    *,
    progress: bool = False,
) -> FactRuns:
    """Run the worlds the stylized facts are measured on.

    Parameters
    ----------
    base : ModelConfig, optional
        The world; the default world if omitted. The order log is switched on.
    replications : int
        Runs of each world; replication ``r`` has seed ``run_seed(seed, 0, r)``.
    seed : int
        Root seed.
    progress : bool
        Show a progress bar.

    Returns
    -------
    FactRuns
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    base = check_fact_world(base)
    default = base.with_overrides({"run.record_orders": True})
    regulated = default.with_overrides(
        {
            "platforms.yunji.micro_stores.regulation.step": REGULATION_DAY,
            "platforms.yunji.micro_stores.regulation.action": "one_level",
            "platforms.yunji.micro_stores.regulation.only_if_flagged": False,
        }
    )
    bar = tqdm(total=2 * replications, desc="stylized facts", disable=not progress, leave=False)
    runs: dict[str, list[SocialCommerceModel]] = {"default": [], "regulated": []}
    with bar:
        for key, config in (("default", default), ("regulated", regulated)):
            for r in range(replications):
                model = SocialCommerceModel(config, rng=run_seed(seed, 0, r, crn=False))
                model.run()
                runs[key].append(model)
                bar.update()
    return FactRuns(**runs)


def check_fact_world(base: ModelConfig | None) -> ModelConfig:
    """Return the world the facts are measured on, after checking it can show them.

    Raises
    ------
    ConfigError
        If it runs fewer than ``REGULATION_DAY + 10`` steps or has no ``yunji`` platform.
    """
    base = ModelConfig() if base is None else base
    problems = []
    if base.run.steps < REGULATION_DAY + 10:
        rule = f"must be >= {REGULATION_DAY + 10} for the stylized facts (the regulator acts "
        problems.append(Problem("run.steps", rule + f"on day {REGULATION_DAY})", base.run.steps))
    if "yunji" not in base.platforms:
        rule = "must include yunji: fact 6 measures its recruitment scheme"
        problems.append(Problem("platforms", rule, sorted(base.platforms)))
    if problems:
        raise ConfigError(problems)
    return base


def check_facts(runs: FactRuns) -> list[FactCheck]:
    """Measure every stylized fact on the runs.

    Parameters
    ----------
    runs : FactRuns
        From :func:`run_fact_worlds`.

    Returns
    -------
    list of FactCheck
        In fact order.
    """
    checks: list[FactCheck] = []
    for build in _CHECKS:
        checks.extend(build(runs))
    return checks


def gini(values: np.ndarray) -> float:
    """Return the Gini coefficient of non-negative values (0 equal, towards 1 concentrated).

    Examples
    --------
    >>> gini(np.array([1.0, 1.0, 1.0, 1.0]))
    0.0
    >>> gini(np.array([0.0, 0.0, 0.0, 1.0]))
    0.75
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0 or x.sum() <= 0:
        return math.nan
    rank = np.arange(1, x.size + 1)
    return float((2 * rank - x.size - 1) @ x / (x.size * x.sum()))


# ------------------------------------------------------------------------ the facts


def _lower_tier_skew(runs: FactRuns) -> list[FactCheck]:
    values = []
    for model in runs.default:
        orders = model.orders()
        per_buyer = orders.assign(
            social=orders["platform"].isin(SOCIAL_PLATFORMS), low=orders["tier"] >= 3
        ).groupby("buyer")
        buyers = per_buyer.agg(low=("low", "first"), social=("social", "any"))
        share = buyers.groupby("low")["social"].mean()
        values.append(float(share.get(True, np.nan) - share.get(False, np.nan)))
    return [
        FactCheck(
            1,
            "lower_tier_skew",
            "share of tier 3-6 buyers who bought on Pinduoduo or Kuaishou minus that share "
            "among tier 1-2 buyers",
            "> 0: Pinduoduo has 57 % of its users in tier 3 and below, Kuaishou 64 % "
            "(filings, ducksell 2019), against Douyin's 52 % in tiers 1-2",
            0.0,
            math.inf,
            tuple(values),
        )
    ]


def _feed_conversion(runs: FactRuns) -> list[FactCheck]:
    values = []
    for model in runs.default:
        total = model.step_metrics().sum()
        social = _ratio(total["orders_feed_social"], total["exposures_feed_social"])
        algorithmic = _ratio(total["orders_feed_algorithmic"], total["exposures_feed_algorithmic"])
        values.append(_ratio(social, algorithmic))
    return [
        FactCheck(
            2,
            "social_feed_conversion_ratio",
            "orders per exposure of social feeds over that of algorithmic feeds",
            "3-5: Kuaishou's social feed converts 3-5 x Douyin's algorithmic feed "
            "('E-Commerce is Social in China's Small Cities', 2020)",
            3.0,
            5.0,
            tuple(values),
        )
    ]


def _livestreams(runs: FactRuns) -> list[FactCheck]:
    lift, returns = [], []
    for model in runs.default:
        total = model.step_metrics().sum()
        live = _ratio(total["orders_livestream"], total["livestream_viewers"])
        listing = _ratio(total["orders_search"], total["exposures_search"])
        lift.append(_ratio(live, listing))
        orders = model.orders()
        returned = orders.groupby(orders["channel"] == "livestream")["returned"].mean()
        returns.append(_ratio(returned.get(True, np.nan), returned.get(False, np.nan)))
    return [
        FactCheck(
            3,
            "livestream_conversion_lift",
            "orders per livestream viewer over orders per search exposure (an ordinary listing)",
            "2-10: livestreams convert up to 10 x ordinary e-commerce (McKinsey 2021); "
            "'much better' read as at least 2 x",
            2.0,
            10.0,
            tuple(lift),
        ),
        FactCheck(
            3,
            "livestream_return_ratio",
            "return rate of livestream orders over that of all other orders",
            "2-5: 30-50 % of livestream orders are returned against 10-15 % in ordinary "
            "e-commerce (trade press)",
            2.0,
            5.0,
            tuple(returns),
        ),
    ]


def _income_concentration(runs: FactRuns) -> list[FactCheck]:
    kol, seller = [], []
    for model in runs.default:
        kol.append(gini(model.kol_income()["income"].to_numpy()))
        owners = model.store_owners()
        seller.append(gini((owners["income_selling"] + owners["income_recruiting"]).to_numpy()))
    expected = (
        ">= 0.6: 1 % of streamers take 80 % of income (NetEase 2016); 0.6 is the "
        "conventional line for very unequal incomes"
    )
    return [
        FactCheck(4, "kol_income_gini", "Gini of KOL income", expected, 0.6, 1.0, tuple(kol)),
        FactCheck(
            4,
            "store_owner_income_gini",
            "Gini of store owners' income (selling and recruiting)",
            expected,
            0.6,
            1.0,
            tuple(seller),
        ),
    ]


def _group_adoption(runs: FactRuns) -> list[FactCheck]:
    start, tip, end = [], [], []
    for model in runs.default:
        orders = model.orders()
        first = orders.loc[orders["channel"] == "group"].groupby("buyer")["step"].min()
        steps = model.config.run.steps
        daily = np.bincount(first.to_numpy(), minlength=steps + 1)[1:].astype(np.float64)
        weekly = np.convolve(daily, np.ones(7) / 7, mode="valid")  # weekly[i]: days i+1..i+7
        peak = int(np.argmax(weekly))
        start.append(_ratio(weekly[0], weekly[peak]))
        tip.append(logistic_inflection(np.cumsum(daily) / model.world.n_consumers))
        end.append(_ratio(weekly[-1], weekly[peak]))
    steps = runs.default[0].config.run.steps
    return [
        FactCheck(
            5,
            "group_adoption_slow_start",
            "new group buyers a day in the first week over the peak week",
            "<= 0.5: an S-curve starts slowly (judgement)",
            0.0,
            0.5,
            tuple(start),
        ),
        FactCheck(
            5,
            "group_adoption_tipping_day",
            "inflection day of a logistic curve fitted to the share of consumers who have "
            "bought in a group (the tipping point)",
            f"inside the run, days 11-{steps - 10}: adoption accelerates, then slows (judgement)",
            11.0,
            float(steps - 10),
            tuple(tip),
        ),
        FactCheck(
            5,
            "group_adoption_slowdown",
            "new group buyers a day in the last week over the peak week",
            "<= 0.75: past the tipping point adoption slows (judgement)",
            0.0,
            0.75,
            tuple(end),
        ),
    ]


def _recruitment(runs: FactRuns) -> list[FactCheck]:
    growth, stall, after = [], [], []
    day = REGULATION_DAY
    for model in runs.regulated:
        metrics = model.step_metrics().set_index("step")
        owners = metrics["store_owners"]
        initial = float(owners.iloc[0] - metrics["store_recruits"].iloc[0])
        growth.append(_ratio(owners.loc[day - 1], initial))
        early = owners.loc[20] - initial
        late = owners.loc[day - 1] - owners.loc[day - 21]
        stall.append(_ratio(late, early))
        after.append(float(metrics.loc[day + 1 :, "store_recruits"].sum()))
    return [
        FactCheck(
            6,
            "recruitment_growth",
            f"store owners the day before the regulator acts (day {day}) over those at the start",
            ">= 1.5: grows fast, half as many again in two months (judgement; Yunji reached "
            "7.4 M owners by 2018)",
            1.5,
            math.inf,
            tuple(growth),
        ),
        FactCheck(
            6,
            "recruitment_stall",
            f"owners gained in the 20 days before day {day} over those gained in the first 20",
            "<= 0.5: growth stalls (judgement)",
            -math.inf,
            0.5,
            tuple(stall),
        ),
        FactCheck(
            6,
            "recruitment_after_regulation",
            f"owners recruited after the regulator forces one-level, fee-free membership "
            f"on day {day}",
            "0: recruitment stops (Yunji fee-free from 2019; legal direct selling pays one level)",
            0.0,
            0.0,
            tuple(after),
        ),
    ]


_CHECKS: tuple[Callable[[FactRuns], list[FactCheck]], ...] = (
    _lower_tier_skew,
    _feed_conversion,
    _livestreams,
    _income_concentration,
    _group_adoption,
    _recruitment,
)


def logistic_inflection(cumulative: np.ndarray) -> float:
    """Fit ``K / (1 + exp(-r (t - t0)))`` to a cumulative curve over days 1..T; return ``t0``.

    Least squares (:func:`scipy.optimize.curve_fit`) with ``0 < K <= 1``,
    ``0 < r <= 5`` and ``-T <= t0 <= 3 T``; NaN if the fit does not converge.
    The inflection day is where adoption is fastest: the tipping point of an S-curve.

    Examples
    --------
    >>> t = np.arange(1, 91)
    >>> round(logistic_inflection(0.4 / (1 + np.exp(-0.15 * (t - 30)))), 3)
    30.0
    """
    y = np.asarray(cumulative, dtype=np.float64)
    t = np.arange(1, y.size + 1, dtype=np.float64)
    if y.size < 4 or y[-1] <= 0:
        return math.nan

    def curve(t: np.ndarray, k: float, r: float, t0: float) -> np.ndarray:
        return k / (1.0 + np.exp(-r * (t - t0)))

    try:
        (_, _, t0), _ = optimize.curve_fit(
            curve,
            t,
            y,
            p0=(min(2.0 * y[-1], 1.0), 0.1, y.size / 2),
            bounds=((1e-9, 1e-6, -y.size), (1.0, 5.0, 3.0 * y.size)),
            maxfev=10_000,
        )
    except RuntimeError:
        return math.nan
    return float(t0)


def _ratio(numerator: float, denominator: float) -> float:
    numerator, denominator = float(numerator), float(denominator)
    return numerator / denominator if denominator > 0 else math.nan


def facts_table(checks: list[FactCheck]) -> pd.DataFrame:
    """Return the checks as a table: one row each, with value, interval, range and result."""
    return pd.DataFrame(
        [
            {
                "fact": c.fact,
                "check": c.name,
                "value": c.value,
                "ci_low": c.interval[0],
                "ci_high": c.interval[1],
                "expected": c.expected,
                "passed": c.passed,
            }
            for c in checks
        ]
    )
