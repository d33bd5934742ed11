"""A run's summary outcomes: the one-row view of a run that the runs table holds.

Every column of the per-step table becomes an outcome of the same name: the
total over the run for a flow (``gmv``, ``orders_group``, ``groups_expired``,
...), the value at the last step for a level (:data:`LEVEL_COLUMNS`:
``customers``, ``penetration_t3``, ``members``, ``pyramid_trees``, ...). To
these come ratios a researcher would otherwise recompute by hand, per-tier
outcomes from the per-tier table and per-platform outcomes from the
per-platform table (``gmv_<platform>``, ``orders_<platform>``,
``gmv_share_<platform>``, ``users_<platform>``, ``active_users_<platform>``;
see :func:`outcome_columns`), so that market shares can be calibration
targets and compared across arms.
A ratio whose denominator is 0 is missing (null), not 0.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from socialsim.columns import MetricColumn
from socialsim.config.schema import ModelConfig
from socialsim.errors import Problem
from socialsim.metrics import step_columns
from socialsim.model import MECHANISM_COLUMNS, mechanism_columns

__all__ = [
    "DERIVED_OUTCOMES",
    "LEVEL_COLUMNS",
    "PLATFORM_OUTCOMES",
    "outcome_columns",
    "outcome_problems",
    "platform_outcome_names",
    "run_outcomes",
    "world_outcome_columns",
]

LEVEL_COLUMNS: frozenset[str] = frozenset(
    {"customers"} | {c.name for c in MECHANISM_COLUMNS if c.is_level}
)
"""Per-step columns that are levels (the state at the end of the day), reported at the
last step; ``penetration_t*`` columns are levels too. A component's own columns say
whether they are levels (:class:`~socialsim.columns.MetricColumn`)."""

DERIVED_OUTCOMES: dict[str, str] = {
    "penetration": "share of all consumers who have ever bought, at the end",
    "penetration_lower_tiers": "the same for consumers of tier 3 and below",
    "average_order_value": "gmv / orders",
    "group_success_rate": "groups_completed / (groups_completed + groups_expired)",
    "return_rate": "returns / orders",
    "livestream_conversion": "orders_livestream / livestream_viewers",
    "feed_social_conversion": "orders_feed_social / exposures_feed_social",
    "feed_algorithmic_conversion": "orders_feed_algorithmic / exposures_feed_algorithmic",
    "feed_social_lift": "feed_social_conversion / feed_algorithmic_conversion",
    "search_conversion": "orders_search / exposures_search",
    "livestream_lift": "livestream_conversion / search_conversion",
    "annual_spend_per_customer": "gmv / customers, scaled from the run's days to 365",
    "store_income": "store_commissions + store_referral_rewards",
    "pyramid_flagged": "1 if a recruitment tree ever had >= 3 levels and >= 30 owners, else 0",
    "campaign_roi": "campaign_gmv / (campaign_fees + campaign_commission)",
    "peak_gmv": "the highest daily GMV of the run",
    "peak_step": "the day of peak_gmv (the first, on a tie)",
    "peak_gmv_ratio": "peak_gmv / the median daily GMV",
    "gmv_after_peak": "GMV of the 7 days after the peak day",
    "returns_after_peak": "orders returned in the 14 days after the peak day",
    "gmv_premium": "GMV of premium brands' products (from the brands table)",
    "gmv_mass": "GMV of mass brands' products",
    "gmv_discount": "GMV of discount brands' products",
    "named_brand_gmv": "GMV of the named brands (brands.named) over the run",
    "named_brand_orders": "orders of the named brands over the run",
    "named_brand_average_price": "named_brand_gmv / named_brand_orders",
    "named_brand_platforms": "platforms selling a named brand at the end, summed over them",
    "named_brand_counterfeits": "counterfeits of the named brands their buyers found",
    "export_gmv_premium": "export GMV of premium brands (from the brands table)",
    "export_gmv_mass": "export GMV of mass brands",
    "export_gmv_discount": "export GMV of discount brands",
    "export_ties_share": "share of export orders a tie at home showed (from the exports table)",
    "export_logistics_cost": "RMB overseas buyers paid for delivery over the run",
}
"""Ratios and flags computed from the totals, with their definitions."""

_DERIVED_INT = {
    "pyramid_flagged",
    "peak_step",
    "named_brand_orders",
    "named_brand_platforms",
    "named_brand_counterfeits",
}
_PEAK_AFTER_DAYS, _RETURNS_AFTER_DAYS = 7, 14

# Per tier k, from the per-tier table: name pattern -> definition.
_TIER_OUTCOMES: dict[str, str] = {
    "gmv_t{k}": "GMV bought by tier-k consumers",
    "orders_t{k}": "orders bought by tier-k consumers",
    "feed_conversion_t{k}": "feed orders / feed offers, tier k",
    "feed_reach_t{k}": "share of tier-k consumers reached by a feed at least once",
    "members_t{k}": "tier-k paid members at the end",
    "member_gmv_t{k}": "GMV bought at member prices by tier-k members",
    "member_spend_t{k}": "member GMV per tier-k member at the end",
    "member_retention_t{k}": "share of tier-k members at the end who bought in the last 30 days",
}
_TIER_INT = {"orders_t{k}", "members_t{k}"}

PLATFORM_OUTCOMES: dict[str, str] = {
    "gmv_{p}": "GMV sold on platform p over the run",
    "orders_{p}": "orders on platform p over the run",
    "gmv_share_{p}": "platform p's share of the GMV of all platforms",
    "users_{p}": "consumers who use platform p at the end",
    "active_users_{p}": "platform p's active users at the end (bought in the last 30 days)",
    "average_order_value_{p}": "gmv_p / orders_p",
    "authenticity_{p}": "platform p's authenticity reputation at the end",
}
"""Per platform p, from the per-platform table: name pattern -> definition."""
_PLATFORM_INT = {"orders_{p}", "users_{p}", "active_users_{p}"}


def platform_outcome_names(platform: str) -> list[str]:
    """Return the outcome names of one platform, in table order.

    Examples
    --------
    >>> platform_outcome_names("jd")[:5]
    ['gmv_jd', 'orders_jd', 'gmv_share_jd', 'users_jd', 'active_users_jd']
    """
    return [pattern.format(p=platform) for pattern in PLATFORM_OUTCOMES]


def outcome_columns(
    n_tiers: int,
    columns: tuple[MetricColumn, ...] | None = None,
    platforms: tuple[str, ...] | list[str] = (),
) -> dict[str, str]:
    """Return the outcome columns of a world with `n_tiers` tiers, with their dtypes.

    `columns` are the mechanisms' step columns (the built-in ones,
    :data:`socialsim.model.MECHANISM_COLUMNS`, if omitted;
    see :func:`socialsim.model.mechanism_columns` for a model with plug-ins);
    `platforms` are the platform names, each adding :data:`PLATFORM_OUTCOMES`.

    Examples
    --------
    >>> columns = outcome_columns(2, platforms=["jd"])
    >>> columns["gmv"], columns["orders"], columns["group_success_rate"], columns["gmv_t2"]
    ('float64', 'int64', 'float64', 'float64')
    >>> columns["gmv_share_jd"], columns["users_jd"]
    ('float64', 'int64')
    """
    columns = MECHANISM_COLUMNS if columns is None else columns
    out = {k: v for k, v in step_columns(n_tiers, columns).items() if k != "step"}
    out.update({k: "int64" if k in _DERIVED_INT else "float64" for k in DERIVED_OUTCOMES})
    for k in range(1, n_tiers + 1):
        for pattern in _TIER_OUTCOMES:
            out[pattern.format(k=k)] = "int64" if pattern in _TIER_INT else "float64"
    for name in platforms:
        for pattern in PLATFORM_OUTCOMES:
            out[pattern.format(p=name)] = "int64" if pattern in _PLATFORM_INT else "float64"
    return out


def world_outcome_columns(config: ModelConfig) -> dict[str, str]:
    """Return the outcome columns a run of `config` has (its tiers, plug-ins, enabled platforms)."""
    return outcome_columns(
        len(config.population.tiers),
        mechanism_columns(config),
        platforms=list(config.active_platforms),
    )


def outcome_problems(entries: Iterable[tuple[str, str]], known: Iterable[str]) -> list[Problem]:
    """Return a problem for each (key path, outcome name) that is not a known outcome.

    Examples
    --------
    >>> [p.path for p in outcome_problems([("a.0", "gmvv"), ("a.1", "gmv")], ["gmv", "orders"])]
    ['a.0']
    >>> outcome_problems([("a.0", "gmvv")], ["gmv"])[0].rule
    "is not an outcome of the runs table; did you mean 'gmv'?"
    """
    known = list(known)
    names = set(known)
    problems = []
    for path, name in entries:
        if name not in names:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(path, f"is not an outcome of the runs table{hint}", name))
    return problems


def run_outcomes(
    steps: pd.DataFrame,
    tiers: pd.DataFrame | None,
    n_consumers: int,
    levels: frozenset[str] | set[str] = LEVEL_COLUMNS,
    platforms: pd.DataFrame | None = None,
    brands: pd.DataFrame | None = None,
    exports: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Summarise a run's tables into its outcomes (see :func:`outcome_columns`).

    Parameters
    ----------
    steps : pandas.DataFrame
        The per-step table.
    tiers : pandas.DataFrame or None
        The per-tier table; without it the per-tier outcomes are missing.
    n_consumers : int
        Consumers in the world.
    levels : set of str
        The step columns that are levels (:data:`LEVEL_COLUMNS`, and a plug-in's).
    platforms : pandas.DataFrame, optional
        The per-platform table; without it the per-platform outcomes are missing.
    brands : pandas.DataFrame, optional
        The brands' table; without it the brand outcomes are missing.
    exports : pandas.DataFrame, optional
        The export regions' table; without it the export channel's outcomes are missing.

    Returns
    -------
    dict
        Outcome name -> Python int, float or None.
    """
    out: dict[str, Any] = {}
    for column, series in steps.items():
        if column in ("step", "date"):  # the day itself, not an outcome
            continue
        # on the column's array: pandas' own indexing and sum cost 100 x more on a short run
        values = series.to_numpy()
        level = column in levels or column.startswith("penetration_t")
        # a level is read at the end of the run (an empty run has none: 0), a flow is summed
        # (numpy's pairwise sum, the one pandas uses: the same bits)
        value = (values[-1] if values.size else 0) if level else values.sum()
        out[column] = _python(value)

    def total(name: str) -> float:
        return float(out.get(name) or 0)

    out["penetration"] = _ratio(total("customers"), n_consumers)
    out["average_order_value"] = _ratio(total("gmv"), total("orders"))
    out["group_success_rate"] = _ratio(
        total("groups_completed"), total("groups_completed") + total("groups_expired")
    )
    out["return_rate"] = _ratio(total("returns"), total("orders"))
    out["livestream_conversion"] = _ratio(total("orders_livestream"), total("livestream_viewers"))
    for kind in ("social", "algorithmic"):
        out[f"feed_{kind}_conversion"] = _ratio(
            total(f"orders_feed_{kind}"), total(f"exposures_feed_{kind}")
        )
    out["feed_social_lift"] = _ratio(
        out["feed_social_conversion"] or 0.0, out["feed_algorithmic_conversion"] or 0.0
    )
    out["search_conversion"] = _ratio(total("orders_search"), total("exposures_search"))
    out["livestream_lift"] = _ratio(
        out["livestream_conversion"] or 0.0, out["search_conversion"] or 0.0
    )
    spend = _ratio(total("gmv"), total("customers"))
    out["annual_spend_per_customer"] = (
        None if spend is None or not len(steps) else (spend * 365 / len(steps))
    )
    out["store_income"] = total("store_commissions") + total("store_referral_rewards")
    flagged = len(steps) and "pyramid_trees" in steps and bool((steps["pyramid_trees"] > 0).any())
    out["pyramid_flagged"] = int(flagged)
    out["campaign_roi"] = _ratio(
        total("campaign_gmv"), total("campaign_fees") + total("campaign_commission")
    )
    out.update(_peak_outcomes(steps))
    out.update(dict.fromkeys(_BRAND_OUTCOMES))
    if brands is not None and len(brands):
        out.update(_brand_outcomes(brands))
    out["export_ties_share"] = out["export_logistics_cost"] = None
    if exports is not None and len(exports):
        orders = float(exports["orders"].sum())
        out["export_ties_share"] = _ratio(exports["orders_via_ties"].sum(), orders)
        out["export_logistics_cost"] = float(exports["logistics_cost"].sum())
    out["penetration_lower_tiers"] = None
    if tiers is not None and len(tiers):
        out.update(_tier_outcomes(tiers))
    if platforms is not None and len(platforms):
        out.update(_platform_outcomes(platforms))
    return out


_BRAND_OUTCOMES = (
    "gmv_premium",
    "gmv_mass",
    "gmv_discount",
    "export_gmv_premium",
    "export_gmv_mass",
    "export_gmv_discount",
    "named_brand_gmv",
    "named_brand_orders",
    "named_brand_average_price",
    "named_brand_platforms",
    "named_brand_counterfeits",
)


def _peak_outcomes(steps: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(
        ("peak_gmv", "peak_step", "peak_gmv_ratio", "gmv_after_peak", "returns_after_peak")
    )
    if not len(steps) or "gmv" not in steps:
        return out
    gmv = steps["gmv"].to_numpy(dtype=np.float64)
    day = steps["step"].to_numpy()
    top = int(np.argmax(gmv))
    out["peak_gmv"] = float(gmv[top])
    out["peak_step"] = int(day[top])
    out["peak_gmv_ratio"] = _ratio(gmv[top], np.median(gmv))
    after = (day > day[top]) & (day <= day[top] + _PEAK_AFTER_DAYS)
    out["gmv_after_peak"] = float(gmv[after].sum())
    if "returns" in steps:
        later = (day > day[top]) & (day <= day[top] + _RETURNS_AFTER_DAYS)
        out["returns_after_peak"] = int(steps["returns"].to_numpy()[later].sum())
    return out


def _brand_outcomes(brands: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    positioning = brands["positioning"].astype(str).to_numpy()
    gmv = brands["gmv"].to_numpy(dtype=np.float64)
    exported = brands["export_gmv"].to_numpy(dtype=np.float64) if "export_gmv" in brands else None
    for name in ("premium", "mass", "discount"):
        out[f"gmv_{name}"] = float(gmv[positioning == name].sum())
        if exported is not None:
            out[f"export_gmv_{name}"] = float(exported[positioning == name].sum())
    named = brands["named"].to_numpy(dtype=bool) if "named" in brands else np.zeros(len(gmv), bool)
    last = brands["step"].to_numpy() == brands["step"].max()
    if named.any():
        orders = int(brands["orders"].to_numpy()[named].sum())
        out["named_brand_gmv"] = float(gmv[named].sum())
        out["named_brand_orders"] = orders
        out["named_brand_average_price"] = _ratio(out["named_brand_gmv"], orders)
        out["named_brand_platforms"] = int(
            brands["platforms_listed"].to_numpy()[named & last].sum()
        )
        out["named_brand_counterfeits"] = int(brands["counterfeits_found"].to_numpy()[named].sum())
    return out


def _platform_outcomes(platforms: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = platforms["platform"].astype(str).to_numpy()
    last = platforms["step"].to_numpy() == platforms["step"].max()
    gmv = platforms["gmv"].to_numpy()
    orders = platforms["orders"].to_numpy()
    users = platforms["users"].to_numpy()
    active = platforms["active_users"].to_numpy()
    order = list(dict.fromkeys(names.tolist()))
    totals = {name: float(gmv[names == name].sum()) for name in order}
    market = sum(totals.values())
    for name in order:
        rows = names == name
        out[f"gmv_{name}"] = totals[name]
        out[f"orders_{name}"] = int(orders[rows].sum())
        out[f"gmv_share_{name}"] = _ratio(totals[name], market)
        out[f"users_{name}"] = int(users[rows & last].sum())
        out[f"active_users_{name}"] = int(active[rows & last].sum())
        out[f"average_order_value_{name}"] = _ratio(totals[name], out[f"orders_{name}"])
        if "authenticity" in platforms:
            final = platforms["authenticity"].to_numpy()[rows & last]
            out[f"authenticity_{name}"] = float(final[0]) if final.size else None
        else:
            out[f"authenticity_{name}"] = None
    return out


def _tier_outcomes(tiers: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    final = tiers[tiers["step"] == tiers["step"].max()].set_index("tier")
    sums = tiers.groupby("tier")[
        ["gmv", "orders", "feed_offers", "feed_orders", "member_gmv"]
    ].sum()
    for k in final.index.tolist():
        row, total = final.loc[k], sums.loc[k]
        out[f"gmv_t{k}"] = float(total["gmv"])
        out[f"orders_t{k}"] = int(total["orders"])
        out[f"feed_conversion_t{k}"] = _ratio(total["feed_orders"], total["feed_offers"])
        out[f"feed_reach_t{k}"] = _ratio(row["feed_reached"], row["consumers"])
        out[f"members_t{k}"] = int(row["members"])
        out[f"member_gmv_t{k}"] = float(total["member_gmv"])
        out[f"member_spend_t{k}"] = _ratio(total["member_gmv"], row["members"])
        out[f"member_retention_t{k}"] = _ratio(row["active_members"], row["members"])
    lower = final[final.index >= 3]
    out["penetration_lower_tiers"] = _ratio(lower["customers"].sum(), lower["consumers"].sum())
    return out


def _ratio(numerator: Any, denominator: Any) -> float | None:
    denominator = float(denominator)
    return float(numerator) / denominator if denominator else None


def _python(value: Any) -> Any:
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return value
