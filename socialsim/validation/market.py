"""Market checks: the default world's platforms against the market-level figures.

``shared/domain.md`` ("Market-level targets") gives each platform's reported
GMV and some moments of their users and orders. These checks hold the
default world (or any world with the same six platform names) to them, on the
same replications as the stylized facts (:func:`~socialsim.validation.facts.run_fact_worlds`):

* **GMV shares** of the six platforms, each in its band, and Pinduoduo the
  largest. The platform presets were tuned to them (``initial_users``,
  ``search_weight``, ``feed.reach`` and the like; see each check's tuned
  parameters): *calibration targets*.
* **Average order value** and **annual spend per active buyer** on
  Pinduoduo. The catalogue's median prices were set to the average order and
  the need rates and budget share to the spend per buyer (over all
  platforms): *calibration targets*, here held to Pinduoduo's own orders.
* **Lower-tier users**: Pinduoduo's and Kuaishou's share of users in tier 3
  and below, Douyin's in tiers 1-2; **Taobao Live's new users** from lower
  tiers; **repurchase on Kuaishou**. No default was tuned to these numbers:
  *held-out*. (The presets' tier appeal has the sign these sources suggest,
  set by hand; its size was not fitted to them.)

Not checked: the Taobao Live funnel (heard 77 %, watched 68 %, bought 61 %;
Data100). The model has no awareness state ("heard"), and it keeps only the
daily number of livestream viewers over all platforms, not who watched on
which platform, so two of the three shares cannot be measured without
recording more; the livestream return rates (30-50 % against 10-15 %) are
inputs.

Every check is measured per replication, and passes when the 95 %
confidence interval of its mean lies in the band. A platform the world does
not have makes its checks undefined, and so failed.

References
----------
.. [1] Pinduoduo FY2018-2020 results and 2018 filing (GMV, orders, active
   buyers, users by tier); Kuaishou results 2019-2022; Yunji results
   2018-2019; Douyin and Taobao Live press estimates; RooLife on Kaola
   (all as collected in ``shared/domain.md``).
.. [2] ducksell (2019) and "E-Commerce is Social in China's Small Cities"
   (2020): Kuaishou 64 % of users in tier 3 and below, Douyin 52 % in tiers 1-2.
.. [3] Yicai Global, quoted in the 2020 article: 70 % of Taobao Live's new
   users from lower tiers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from socialsim.calibration.record import default_record
from socialsim.model import SocialCommerceModel
from socialsim.validation.checks import Check, Kind, format_band

__all__ = [
    "GMV_SHARE_BANDS",
    "LOWER_TIERS",
    "NOT_CHECKED",
    "TIER_SHARE_TOLERANCE",
    "annual_spend_per_buyer",
    "average_order_value",
    "check_market",
    "gmv_shares",
    "new_user_tier_share",
    "repurchase_share",
    "user_tier_share",
]

GMV_SHARE_BANDS: dict[str, tuple[float, float]] = {
    "pinduoduo": (0.35, 0.75),
    "douyin": (0.08, 0.35),
    "kuaishou": (0.05, 0.25),
    "taobao_live": (0.04, 0.25),
    "kaola": (0.0, 0.06),
    "yunji": (0.0, 0.05),
}
"""Each platform's band of GMV share among the six (``domain.md``, "Market-level
targets"): about 2020, Pinduoduo 55-60 %, Douyin 15-20 %, Kuaishou about 13 %,
Taobao Live 10-13 %, Kaola and Yunji 1-2 % each, widened for a stylised world."""

LOWER_TIERS = 3
"""Tier 3 and below ("lower tier") is tiers 3 to 6 of the model."""

TIER_SHARE_TOLERANCE = 0.10
"""Half-width of the bands around the reported tier shares of users.

Ten percentage points: wider than the spread of the two Kuaishou figures (64 %
and 70 %), since the sources differ in year (2018-2020), in the city list
behind "tier 3 and below" and in what counts as a user, and the model's
tiers are those of the population, not of each platform's app users; narrow
enough that a platform skewed the wrong way (Douyin to lower tiers, Pinduoduo
to upper ones) fails."""

NOT_CHECKED: dict[str, str] = {
    "taobao_live_funnel": (
        "Taobao Live funnel heard / watched / bought 77 / 68 / 61 % (Data100): the model "
        "has no awareness state, and records only the daily number of livestream viewers "
        "over all platforms, not who watched on which platform."
    ),
    "livestream_return_levels": (
        "Livestream returns 30-50 % against 10-15 % (trade press): the two rates are inputs "
        "(platforms.NAME.livestream.return_rate, behaviour.return_rate)."
    ),
}
"""Market figures of ``domain.md`` left out, and why."""

_PRESETS = (
    "platforms.pinduoduo.{initial_users, search_weight, feed.reach}",
    "platforms.douyin.{initial_users, search_weight, feed.reach, livestream.traffic_share}",
    "platforms.kaola.{initial_users, search_weight}",
    "platforms.yunji.micro_stores.promote_rate",
    "daigou.contact_rate",
)
_PRESET_NOTE = (
    "Tuned by hand to these bands, on 30,000-consumer default worlds over 90 days, seeds 1-5, "
    "after group buying joined the purchase decision (issue 22)."
)
_FITTED_SHARES = ("pinduoduo", "douyin", "kuaishou")
_FITTED_NOTE = (
    " Since issue 23 the default calibration fits Pinduoduo's, Douyin's and Kuaishou's shares "
    "(with three other market figures) through the behavioural coefficients."
)
_GMV_SOURCES: dict[str, str] = {
    "pinduoduo": "Pinduoduo results: GMV RMB 1,006.6 bn (2019), 1,667.6 bn (2020)",
    "douyin": "press estimates (approximate): about RMB 500 bn (2020)",
    "kuaishou": "Kuaishou results: GMV RMB 381.2 bn (2020)",
    "taobao_live": "Yicai Global; Alibaba (approximate): RMB 300 bn in 12 months (2019-20)",
    "kaola": "RooLife: 27.5 % of cross-border imports (Q1 2019), a RMB 100-150 bn market",
    "yunji": "Yunji results: GMV RMB 35.2 bn (2019)",
}
_AOV = (43.5, 51.0)
_AOV_BAND = (43.5 - 7.5, 51.0 + 7.5)
_SPEND = (1_127.0, 2_810.0)


# ------------------------------------------------------------------------ measures


def gmv_shares(model: SocialCommerceModel) -> dict[str, float]:
    """Return each platform's share of the run's GMV (orders at the price paid, returns included).

    Parameters
    ----------
    model : SocialCommerceModel
        A model that has run.

    Returns
    -------
    dict of str to float
        Platform name to share; NaN for every platform if nothing was sold.
    """
    gmv = model.platform_metrics().groupby("platform")["gmv"].sum()
    total = float(gmv.sum())
    return {
        name: float(gmv.get(name, 0.0)) / total if total > 0 else math.nan
        for name in model.world.platforms.names
    }


def user_tier_share(model: SocialCommerceModel, platform: str, tiers: Sequence[int]) -> float:
    """Return the share of a platform's users who live in the given tiers, at the end of the run.

    A user is a consumer who uses the platform: one of its initial users or
    anyone who bought on it since.

    Parameters
    ----------
    model : SocialCommerceModel
        A model that has run.
    platform : str
        Platform name.
    tiers : sequence of int
        City tiers (1 to K).

    Returns
    -------
    float
        NaN if the world has no such platform or it has no users.
    """
    j = _platform_index(model, platform)
    if j is None:
        return math.nan
    return _share_in_tiers(model, model.state.uses[:, j], tiers)


def new_user_tier_share(model: SocialCommerceModel, platform: str, tiers: Sequence[int]) -> float:
    """Return the share of a platform's new users (gained during the run) in the given tiers.

    Parameters
    ----------
    model : SocialCommerceModel
        A model that has run.
    platform : str
        Platform name.
    tiers : sequence of int
        City tiers (1 to K).

    Returns
    -------
    float
        NaN if the world has no such platform or it gained no users.
    """
    j = _platform_index(model, platform)
    if j is None:
        return math.nan
    new = model.state.uses[:, j] & ~model.world.platforms.initial_users[:, j].astype(bool)
    return _share_in_tiers(model, new, tiers)


def _share_in_tiers(model: SocialCommerceModel, who: np.ndarray, tiers: Sequence[int]) -> float:
    """Return the share of the consumers in mask `who` who live in `tiers` (NaN if none)."""
    if not who.any():
        return math.nan
    return float(np.isin(model.world.population.tier[who], tiers).mean())


def average_order_value(model: SocialCommerceModel, platform: str) -> float:
    """Return a platform's GMV per order over the run (RMB; NaN without orders).

    Parameters
    ----------
    model : SocialCommerceModel
        A model that has run.
    platform : str
        Platform name.

    Returns
    -------
    float
    """
    totals = model.platform_metrics().groupby("platform")[["gmv", "orders"]].sum()
    if platform not in totals.index or totals.loc[platform, "orders"] <= 0:
        return math.nan
    return float(totals.loc[platform, "gmv"] / totals.loc[platform, "orders"])


def annual_spend_per_buyer(model: SocialCommerceModel, platform: str) -> float:
    """Return a platform's GMV per active buyer, annualised from the run's length (RMB a year).

    GMV over the run divided by the consumers who ordered on the platform at
    least once, times ``365 / steps``. It needs the order log. Over a run
    shorter than a year fewer consumers are active than in a year, so this
    overstates a year's figure somewhat.

    Parameters
    ----------
    model : SocialCommerceModel
        A model that has run with ``run.record_orders``.
    platform : str
        Platform name.

    Returns
    -------
    float
        NaN if nobody ordered on the platform.
    """
    orders = model.orders()
    mine = orders.loc[orders["platform"] == platform]
    buyers = mine["buyer"].nunique()
    if buyers == 0 or model.steps == 0:
        return math.nan
    return float(mine["price_paid"].sum()) / buyers * 365.0 / model.steps


def repurchase_share(model: SocialCommerceModel, platform: str) -> float:
    """Return the share of a platform's buyers in the run who ordered on it more than once.

    Parameters
    ----------
    model : SocialCommerceModel
        A model that has run with ``run.record_orders``.
    platform : str
        Platform name.

    Returns
    -------
    float
        NaN if nobody ordered on the platform.
    """
    orders = model.orders()
    per_buyer = orders.loc[orders["platform"] == platform].groupby("buyer").size()
    return float((per_buyer >= 2).mean()) if len(per_buyer) else math.nan


def _platform_index(model: SocialCommerceModel, platform: str) -> int | None:
    names = model.world.platforms.names
    return names.index(platform) if platform in names else None


# ------------------------------------------------------------------------ checks


def check_market(runs: Sequence[SocialCommerceModel]) -> list[Check]:
    """Measure the market checks on replications of a world.

    Parameters
    ----------
    runs : sequence of SocialCommerceModel
        Replications that have run, with the order log (the ``default`` runs of
        :func:`~socialsim.validation.facts.run_fact_worlds`).

    Returns
    -------
    list of Check
        GMV shares and Pinduoduo first, average order value and annual spend
        (calibration targets), then the held-out checks.

    Raises
    ------
    ValueError
        If `runs` is empty.
    """
    if not runs:
        raise ValueError("check_market needs at least one run")
    n_tiers = runs[0].world.population.n_tiers
    lower = list(range(LOWER_TIERS, n_tiers + 1))
    calibrated = tuple(default_record().parameters)
    shares = [gmv_shares(model) for model in runs]
    checks = [
        Check(
            f"gmv_share_{name}",
            "market",
            f"{name}'s share of the six platforms' GMV over the run",
            low,
            high,
            format_band(low, high)
            + " (domain.md: about 2020 shares, widened for a stylised world)",
            _GMV_SOURCES[name],
            Kind.CALIBRATION,
            (*_PRESETS, *(calibrated if name in _FITTED_SHARES else ())),
            note=_PRESET_NOTE + (_FITTED_NOTE if name in _FITTED_SHARES else ""),
        ).measured(s.get(name, math.nan) for s in shares)
        for name, (low, high) in GMV_SHARE_BANDS.items()
    ]
    checks.append(
        Check(
            "pinduoduo_first",
            "market",
            "Pinduoduo's GMV share minus the largest other platform's",
            0.0,
            math.inf,
            "> 0: Pinduoduo the largest of the six",
            "Pinduoduo, Kuaishou and Yunji results; Douyin and Taobao Live press estimates "
            "(domain.md, Market-level targets)",
            Kind.CALIBRATION,
            (*_PRESETS, *calibrated),
            note=_PRESET_NOTE + _FITTED_NOTE,
        ).measured(_lead(s, "pinduoduo") for s in shares)
    )
    checks += [
        Check(
            "aov_pinduoduo",
            "market",
            "Pinduoduo's GMV per order over the run (RMB)",
            *_AOV_BAND,
            f"RMB {_AOV_BAND[0]:g}-{_AOV_BAND[1]:g}: the reported {_AOV[0]:g}-{_AOV[1]:g}, "
            "widened on each side by the change between the two years",
            "Pinduoduo FY2019-2020 results (GMV / orders): RMB 51 (2019), 43.5 (2020)",
            Kind.CALIBRATION,
            ("catalogue.categories.NAME.median_price", *calibrated),
            note="The median prices were set by hand to the average order over all "
            "platforms; the default calibration (issue 23) fits Pinduoduo's own.",
        ).measured(average_order_value(m, "pinduoduo") for m in runs),
        Check(
            "annual_spend_pinduoduo",
            "market",
            "Pinduoduo's GMV per buyer who ordered on it during the run, times 365 / days run "
            "(RMB a year)",
            *_SPEND,
            f"RMB {_SPEND[0]:,.0f}-{_SPEND[1]:,.0f}: the reported range of 2018-2021",
            "Pinduoduo annual results: RMB 1,127 / 1,720 / 2,115 / 2,810 per active buyer "
            "(2018-2021)",
            Kind.CALIBRATION,
            ("catalogue.categories.NAME.need_rate", *calibrated),
            note="Need rates were set by hand, and the default calibration (issue 23) fits "
            "the budget share and the conversion coefficients to the yearly spend per "
            "customer over all platforms (RMB 2,115); a run shorter than a year overstates the "
            "annual figure somewhat.",
        ).measured(annual_spend_per_buyer(m, "pinduoduo") for m in runs),
    ]
    tolerance = f"± {TIER_SHARE_TOLERANCE * 100:.0f} points (see TIER_SHARE_TOLERANCE)"
    for name, tiers, reported, words, source in (
        ("pinduoduo", lower, 0.57, "tier 3 and below", "Pinduoduo filing (2018)"),
        ("kuaishou", lower, 0.64, "tier 3 and below", "ducksell (2019); 70 % in another source"),
        (
            "douyin",
            [1, 2],
            0.52,
            "tiers 1-2",
            "'E-Commerce is Social in China's Small Cities' (2020)",
        ),
    ):
        low, high = reported - TIER_SHARE_TOLERANCE, reported + TIER_SHARE_TOLERANCE
        short = "lower_tier" if tiers is lower else "tier12"
        checks.append(
            Check(
                f"{short}_users_{name}",
                "market",
                f"share of {name}'s users (at the end of the run) in {words}",
                low,
                high,
                f"{format_band(low, high)}: {reported * 100:.0f} % {tolerance}",
                f"{reported * 100:.0f} % of {name}'s users in {words}: {source}",
                Kind.HELD_OUT,
                note="The preset's tier appeal has this direction, set by hand; its size "
                "was not fitted to the figure.",
            ).measured(user_tier_share(m, name, tiers) for m in runs)
        )
    checks += [
        Check(
            "lower_tier_new_users_taobao_live",
            "market",
            "share of Taobao Live's new users (gained during the run) in tier 3 and below",
            0.70 - TIER_SHARE_TOLERANCE,
            0.70 + TIER_SHARE_TOLERANCE,
            f"{format_band(0.6, 0.8)}: 70 % {tolerance}",
            "Yicai Global, quoted in 'E-Commerce is Social in China's Small Cities' (2020): "
            "70 % of Taobao Live's new users from lower tiers",
            Kind.HELD_OUT,
            note="Taobao Live's preset has no tier appeal.",
        ).measured(new_user_tier_share(m, "taobao_live", lower) for m in runs),
        Check(
            "repurchase_kuaishou",
            "market",
            "share of Kuaishou's buyers during the run who ordered on it more than once",
            0.70,
            1.0,
            ">= 0.7",
            "2021 press (weak): repurchase on Kuaishou over 70 %",
            Kind.HELD_OUT,
            note="The source's period is not stated; the run's is its length.",
        ).measured(repurchase_share(m, "kuaishou") for m in runs),
    ]
    return checks


def _lead(shares: dict[str, float], platform: str) -> float:
    if platform not in shares:
        return math.nan
    others = [v for k, v in shares.items() if k != platform]
    return shares[platform] - max(others) if others else math.nan
