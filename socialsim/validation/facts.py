"""Stylized facts: whether the default world shows what is known about the market.

Each fact listed at the end of ``shared/domain.md`` becomes one or more
:class:`~socialsim.validation.checks.Check` rows, measured on replications of
the default world (for fact 6, also on the default world with a regulator
acting against the recruitment scheme, the default world serving as its
control). A check reports the mean over replications, its 95 % Student-t
confidence interval and the band, and passes only if the whole interval lies
inside the band: a direction ("greater than zero") must be clear of zero,
not merely on the right side of it on average.

Each check says whether it is a *calibration target* (and which parameters
were tuned to reach it) or *held-out*. Most of the stylized facts were used
to set defaults: fact 1 and the return ratio of fact 3 echo inputs (the
platforms' tier appeal, the return rates), facts 4 and 6 were tuned to their
thresholds by hand, and fact 2 is a target of the default calibration
(issue 23). Fact 3's conversion lift is held out since that calibration set
``base_livestream`` without it, and fact 5 (the S-curve of group adoption)
was always left alone. The bands come from the sources in
``shared/domain.md`` where there is a number and are stated as judgements
where the source is qualitative ("grows fast, then stalls").

References
----------
.. [1] W. Rand and R. T. Rust (2011), "Agent-based modeling in marketing:
   Guidelines for rigor", IJRM 28(3): validation against stylized facts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from tqdm import tqdm

from socialsim.calibration.record import default_record
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.seeds import run_seed
from socialsim.model import SocialCommerceModel
from socialsim.validation.checks import Check, Kind, checks_table

__all__ = [
    "FACTS",
    "REGULATION_DAY",
    "SOCIAL_PLATFORMS",
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

_TIER_SOURCES = (
    "Pinduoduo filing 2018 (57 % of users in tier 3 and below); ducksell 2019 (Kuaishou "
    "64 %); 'E-Commerce is Social in China's Small Cities' 2020 (Douyin 52 % in tiers 1-2)"
)
_YUNJI_SOURCES = (
    "Fung Business Intelligence (Yunji: 7.4 M store owners by end 2018); Yunji filings "
    "(fee-free membership from June 2019); Direct Selling Regulation 2005 (one level only)"
)
_RECRUITING = (
    "platforms.yunji.micro_stores.recruit_rate",
    "platforms.yunji.micro_stores.refusal_final",
    "platforms.yunji.micro_stores.accept_income_weight",
)


@dataclass(frozen=True)
class FactRuns:
    """The runs the facts are measured on.

    Attributes
    ----------
    default : list of SocialCommerceModel
        Replications of the world, with the order log. For fact 6 they are the
        control of the regulated runs: the same seeds, no regulator.
    regulated : list of SocialCommerceModel
        Replications of the world with a regulator acting on Yunji on
        :data:`REGULATION_DAY`, on the same seeds as `default`.
    """

    default: list[SocialCommerceModel]
    regulated: list[SocialCommerceModel]


def run_fact_worlds(
    base: ModelConfig | None = None,
    replications: int = 3,
    seed: int = 1,
    *,
    progress: bool = False,
    draws: Sequence[Mapping[str, Any]] | None = None,
) -> FactRuns:
    """Run the worlds the stylized facts (and the market checks) are measured on.

    Parameters
    ----------
    base : ModelConfig, optional
        The world; the default world if omitted. The order log is switched on.
    replications : int
        Runs of each world; replication ``r`` of both worlds has seed
        ``run_seed(seed, 0, r)``, so the regulated world differs from its
        control only from the regulator's day on.
    seed : int
        Root seed.
    progress : bool
        Show a progress bar.
    draws : sequence of mapping, optional
        Parameter sets drawn from a calibration's posterior
        (:func:`~socialsim.calibration.record.posterior_draws`), one per
        replication: replication ``r`` of both worlds runs with ``draws[r]``
        set, so the checks measure the posterior predictive.

    Returns
    -------
    FactRuns
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if draws is not None and len(draws) != replications:
        raise ValueError(f"need one draw per replication, got {len(draws)} for {replications}")
    base = check_fact_world(base)
    default = base.with_overrides({"run.record_orders": True})
    regulated = default.with_overrides(
        {
            "platforms.yunji.micro_stores.regulation.step": REGULATION_DAY,
            "platforms.yunji.micro_stores.regulation.action": "one_level",
            "platforms.yunji.micro_stores.regulation.only_if_flagged": False,
        }
    )
    bar = tqdm(total=2 * replications, desc="fact worlds", disable=not progress, leave=False)
    runs: dict[str, list[SocialCommerceModel]] = {"default": [], "regulated": []}
    with bar:
        for key, config in (("default", default), ("regulated", regulated)):
            for r in range(replications):
                world = config if draws is None else config.with_overrides(dict(draws[r]))
                model = SocialCommerceModel(world, rng=run_seed(seed, 0, r, crn=False))
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
    if "yunji" not in base.active_platforms:
        rule = "must include yunji, enabled: fact 6 measures its recruitment scheme"
        problems.append(Problem("platforms", rule, sorted(base.active_platforms)))
    if problems:
        raise ConfigError(problems)
    return base


def check_facts(runs: FactRuns, facts: Iterable[int] | None = None) -> list[Check]:
    """Measure the stylized facts on the runs.

    Parameters
    ----------
    runs : FactRuns
        From :func:`run_fact_worlds`. Only fact 6 reads ``runs.regulated``.
    facts : iterable of int, optional
        The facts to measure (numbers of :data:`FACTS`); all if omitted.

    Returns
    -------
    list of Check
        In fact order.
    """
    wanted = set(FACTS) if facts is None else set(facts)
    unknown = wanted - set(FACTS)
    if unknown:
        raise ValueError(f"facts must be among {sorted(FACTS)}, got {sorted(unknown)}")
    checks: list[Check] = []
    for fact, build in _CHECKS:
        if fact in wanted:
            checks.extend(build(runs))
    return checks


def facts_table(checks: list[Check]) -> pd.DataFrame:
    """Return the checks as a table (see :func:`~socialsim.validation.checks.checks_table`)."""
    return checks_table(checks)


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


def _lower_tier_skew(runs: FactRuns) -> list[Check]:
    values = []
    for model in runs.default:
        orders = model.orders()
        per_buyer = orders.assign(
            social=orders["platform"].isin(SOCIAL_PLATFORMS), low=orders["tier"] >= 3
        ).groupby("buyer")
        buyers = per_buyer.agg(low=("low", "first"), social=("social", "any"))
        share = buyers.groupby("low")["social"].mean()
        values.append(float(share.get(True, np.nan) - share.get(False, np.nan)))
    check = Check(
        "lower_tier_skew",
        "fact 1",
        "share of tier 3-6 buyers who bought on Pinduoduo or Kuaishou minus that share "
        "among tier 1-2 buyers",
        0.0,
        math.inf,
        "> 0: the social platforms skew to lower tiers, Douyin to upper ones",
        _TIER_SOURCES,
        Kind.CALIBRATION,
        (
            "platforms.NAME.tier_appeal",
            "behaviour.conversion.tier_appeal_weight",
        ),
        note="An input echoed back: the signs of the presets' tier appeal were set from "
        "these sources, and with tier_appeal 0 on every platform the skew vanishes.",
    )
    return [check.measured(values)]


def _feed_conversion(runs: FactRuns) -> list[Check]:
    values = []
    for model in runs.default:
        total = model.step_metrics().sum()
        social = _ratio(total["orders_feed_social"], total["exposures_feed_social"])
        algorithmic = _ratio(total["orders_feed_algorithmic"], total["exposures_feed_algorithmic"])
        values.append(_ratio(social, algorithmic))
    check = Check(
        "social_feed_conversion_ratio",
        "fact 2",
        "orders per exposure of social feeds over that of algorithmic feeds",
        3.0,
        5.0,
        "3-5",
        "'E-Commerce is Social in China's Small Cities' (2020): Kuaishou's social feed "
        "converts 3-5 x Douyin's algorithmic feed",
        Kind.CALIBRATION,
        (*default_record().parameters, "behaviour.conversion.base_feed_algorithmic"),
        note="The default calibration (issue 23) fits this ratio (feed_social_lift) with five "
        "other market figures; base_feed_algorithmic was set by hand.",
    )
    return [check.measured(values)]


def _livestreams(runs: FactRuns) -> list[Check]:
    lift, returns = [], []
    for model in runs.default:
        total = model.step_metrics().sum()
        live = _ratio(total["orders_livestream"], total["livestream_viewers"])
        listing = _ratio(total["orders_search"], total["exposures_search"])
        lift.append(_ratio(live, listing))
        orders = model.orders()
        returned = orders.groupby(orders["channel"] == "livestream")["returned"].mean()
        returns.append(_ratio(returned.get(True, np.nan), returned.get(False, np.nan)))
    conversion = Check(
        "livestream_conversion_lift",
        "fact 3",
        "orders per livestream viewer over orders per search exposure (an ordinary listing)",
        2.0,
        10.0,
        "2-10: up to 10 x; 'much better' read as at least 2 x (judgement)",
        "McKinsey, 'It's showtime!' (2021): livestreams convert up to 10 x ordinary e-commerce",
        Kind.HELD_OUT,
        (),
        note="Held out since issue 23: base_livestream is set by the default calibration, "
        "which does not fit this ratio (by hand before it, -2.5 gave 1.45 x and -1.5 about "
        "2.8 x).",
    )
    ratio = Check(
        "livestream_return_ratio",
        "fact 3",
        "return rate of livestream orders over that of all other orders",
        2.0,
        5.0,
        "2-5: 30-50 % against 10-15 %",
        "trade press (weak): 30-50 % of livestream orders returned, 10-15 % in ordinary e-commerce",
        Kind.CALIBRATION,
        ("platforms.NAME.livestream.return_rate", "behaviour.return_rate"),
        note="An input echoed back: the two return rates are set from the same source, "
        "and with equal rates the ratio is about 1.",
    )
    return [conversion.measured(lift), ratio.measured(returns)]


def _income_concentration(runs: FactRuns) -> list[Check]:
    kol, seller = [], []
    for model in runs.default:
        kol.append(gini(model.kol_income()["income"].to_numpy()))
        owners = model.store_owners()
        seller.append(gini((owners["income_selling"] + owners["income_recruiting"]).to_numpy()))
    band = ">= 0.6: the conventional line for very unequal incomes (judgement)"
    source = "NetEase survey 2016: 1 % of streamers take 80 % of income"
    kol_check = Check(
        "kol_income_gini",
        "fact 4",
        "Gini of KOL income",
        0.6,
        1.0,
        band,
        source,
        Kind.CALIBRATION,
        ("influencers.kol_follower_exponent",),
        note="The exponent went from 1.2 (Gini 0.45) to 0.8 to reach the band.",
    )
    seller_check = Check(
        "store_owner_income_gini",
        "fact 4",
        "Gini of store owners' income (selling and recruiting)",
        0.6,
        1.0,
        band,
        source,
        Kind.CALIBRATION,
        ("platforms.yunji.micro_stores.activity_sigma",),
        note="activity_sigma 0 gave 0.49; 2 reaches the band.",
    )
    return [kol_check.measured(kol), seller_check.measured(seller)]


def _group_adoption(runs: FactRuns) -> list[Check]:
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
    source = "Bass (1969): adoption of a new product follows an S-curve"
    note = (
        "No default was tuned to it. The tipping point's measure was changed once, from the "
        "peak week (a broad, noisy plateau) to a logistic fit."
    )
    return [
        Check(
            "group_adoption_slow_start",
            "fact 5",
            "new group buyers a day in the first week over the peak week",
            0.0,
            0.5,
            "<= 0.5: an S-curve starts slowly (judgement)",
            source,
            Kind.HELD_OUT,
            note=note,
        ).measured(start),
        Check(
            "group_adoption_tipping_day",
            "fact 5",
            "inflection day of a logistic curve fitted to the share of consumers who have "
            "bought in a group (the tipping point)",
            11.0,
            float(steps - 10),
            f"days 11-{steps - 10}: inside the run, adoption accelerates, then slows (judgement)",
            source,
            Kind.HELD_OUT,
            note=note,
        ).measured(tip),
        Check(
            "group_adoption_slowdown",
            "fact 5",
            "new group buyers a day in the last week over the peak week",
            0.0,
            0.75,
            "<= 0.75: past the tipping point adoption slows (judgement)",
            source,
            Kind.HELD_OUT,
            note=note,
        ).measured(end),
    ]


def _recruitment(runs: FactRuns) -> list[Check]:
    growth, stall, stopped = [], [], []
    day = REGULATION_DAY
    for model, control in zip(runs.regulated, runs.default, strict=True):
        metrics = model.step_metrics().set_index("step")
        owners = metrics["store_owners"]
        initial = float(owners.iloc[0] - metrics["store_recruits"].iloc[0])
        growth.append(_ratio(owners.loc[day - 1], initial))
        early = owners.loc[20] - initial
        late = owners.loc[day - 1] - owners.loc[day - 21]
        stall.append(_ratio(late, early))
        after = float(metrics.loc[day + 1 :, "store_recruits"].sum())
        unregulated = control.step_metrics().set_index("step").loc[day + 1 :, "store_recruits"]
        # NaN (a failed check) if the control stopped recruiting by itself: then the
        # regulator cannot be shown to have stopped anything.
        stopped.append(_ratio(after, float(unregulated.sum())))
    return [
        Check(
            "recruitment_growth",
            "fact 6",
            f"store owners the day before the regulator acts (day {day}) over those at the start",
            1.5,
            math.inf,
            ">= 1.5: grows fast, half as many again in two months (judgement)",
            _YUNJI_SOURCES,
            Kind.CALIBRATION,
            _RECRUITING,
        ).measured(growth),
        Check(
            "recruitment_stall",
            "fact 6",
            f"owners gained in the 20 days before day {day} over those gained in the first 20",
            -math.inf,
            0.5,
            "<= 0.5: growth stalls (judgement)",
            _YUNJI_SOURCES,
            Kind.CALIBRATION,
            _RECRUITING,
            note="Growth ran linear until a refusal was made final and recruits' visible "
            "earnings were netted of their fee.",
        ).measured(stall),
        Check(
            "recruitment_stopped_by_regulator",
            "fact 6",
            f"owners recruited after the regulator forces one-level, fee-free membership on "
            f"day {day}, over those recruited after day {day} in the same world and seeds "
            "without a regulator (the control; undefined, and failed, if it recruits nobody)",
            0.0,
            0.1,
            "<= 0.1: the regulator, not saturation, stops at least 90 % of recruitment",
            _YUNJI_SOURCES,
            Kind.CALIBRATION,
            ("platforms.yunji.micro_stores.recruit_rate (owners recruit only while it pays)",),
            note="Fails if the regulator's action does not stop recruiting (action 'fine') or "
            "if the scheme had stopped by itself.",
        ).measured(stopped),
    ]


_CHECKS: tuple[tuple[int, Callable[[FactRuns], list[Check]]], ...] = (
    (1, _lower_tier_skew),
    (2, _feed_conversion),
    (3, _livestreams),
    (4, _income_concentration),
    (5, _group_adoption),
    (6, _recruitment),
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
