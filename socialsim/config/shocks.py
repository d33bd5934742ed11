"""Shocks as data: a lockdown or a regulator, each with a start and a length.

``shocks`` is a table of named rows, empty by default. Each row has a
``kind``: ``lockdown`` (offline shopping closes; offline consumers become
first-time online shoppers, lower tiers at a multiple of the top tiers' rate;
demand moves online) or ``regulator`` (a fine against a platform and/or a
rule change from a closed set, on its day). A shock starts on a date
(``YYYY-MM-DD``, which needs ``run.start_date``) or a step number and lasts
``days`` days (null: to the end of the run). Nothing in a row is evaluated
as code. The mechanism is :mod:`socialsim.mechanisms.shocks`.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import field_validator, model_validator

from socialsim.config._base import Field, Section, located

__all__ = [
    "CAP_RULES",
    "LOCKDOWN_FIELDS",
    "REGULATOR_FIELDS",
    "REGULATOR_RULES",
    "SHOCK_KINDS",
    "ShockConfig",
]

SHOCK_KINDS = ("lockdown", "regulator")
"""The kinds of shock the model knows."""

REGULATOR_RULES = ("promotion_depth_cap", "group_discount_cap", "one_level")
"""The rule changes a regulator can make (:class:`~socialsim.mechanisms.shocks.Shocks`)."""

CAP_RULES = ("promotion_depth_cap", "group_discount_cap")
"""The rules that take a ``cap``."""

LOCKDOWN_FIELDS = ("first_time_rate", "lower_tier_ratio", "lower_tiers_from", "demand")
"""A lockdown's own keys (a regulator leaves them at their defaults)."""

REGULATOR_FIELDS = ("platform", "fine", "rule", "cap")
"""A regulator's own keys (a lockdown leaves them at their defaults)."""

_GFK = (
    "GfK, quoted in 'E-Commerce is Social in China's Small Cities' (2020; the small-cities "
    "seed, 003): first-time online shoppers in lower tiers during the 2020 pandemic were "
    "twice those in top tiers (shared/domain.md)"
)
_TIERS = (
    "Morgan Stanley 2017, as quoted in 'E-Commerce is Social in China's Small Cities' "
    "(2020): tier 3 and below is the 'lower tier' (shared/domain.md)"
)
_YUNJI = (
    "a study's choice; for scale, Yunji was fined RMB 9.58 M in 2017 (Yunji filings, "
    "shared/domain.md)"
)


class ShockConfig(Section):
    """A shock: a lockdown or a regulator, from a start for a number of days.

    A **lockdown** closes offline shopping while it lasts: each day an
    offline consumer becomes a first-time online shopper with
    ``first_time_rate`` in the top tiers and ``lower_tier_ratio`` times that in
    the lower tiers (per capita of the tier's offline consumers), and every
    category's need arrival is multiplied by ``demand``. A **regulator** acts
    against ``platform`` on its first day: it fines it ``fine`` RMB and/or
    changes a ``rule``, which holds for ``days`` days (to the end of the run if
    null) and is then undone.
    """

    kind: Literal["lockdown", "regulator"] = Field(
        description="What the shock is: 'lockdown' or 'regulator'.",
        unit="- (choice)",
        source="a study's choice",
    )
    start: int | datetime.date = Field(
        description=(
            "When it starts: a date (YYYY-MM-DD, which needs run.start_date) or a step "
            "number (step 1 is the run's first day). A lockdown may have started before "
            "the run (it then acts from step 1); a regulator's date must not be before "
            "run.start_date."
        ),
        unit="date (YYYY-MM-DD) or day (step number)",
        source="a study's choice",
    )
    days: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description=(
            "How many days it lasts from its start; null: to the end of the run. A "
            "regulator's fine lands on its first day only; its rule holds for these days."
        ),
        unit="days",
        source="a study's choice (Wuhan's lockdown lasted 76 days in 2020)",
    )
    # ---- lockdown
    first_time_rate: float = Field(
        default=0.002,
        ge=0,
        le=1,
        description=(
            "Lockdown: daily chance that an offline consumer of a top tier (below "
            "lower_tiers_from) becomes a first-time online shopper while it lasts."
        ),
        unit="probability per offline consumer per day (0-1)",
        source=(
            "assumption (about 11 % of the top tiers' offline consumers over a 60-day "
            "lockdown); meant to be swept"
        ),
    )
    lower_tier_ratio: float = Field(
        default=2.0,
        ge=0,
        le=100,
        description=(
            "Lockdown: the lower tiers' first-time rate as a multiple of the top tiers', per "
            "capita of each tier's offline consumers (in head counts the lower tiers' share "
            "is larger still: they have more offline consumers)."
        ),
        unit="x (multiple of first_time_rate)",
        source=_GFK + "; read per capita of the offline consumers, an assumption",
    )
    lower_tiers_from: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Lockdown: the first tier counted as a lower tier (tiers from it on).",
        unit="tier number",
        source=_TIERS,
    )
    demand: float = Field(
        default=1.2,
        ge=0,
        le=100,
        description=(
            "Lockdown: multiplier on every category's need arrival rate while it lasts "
            "(demand that offline shops met moves online); multiplies the calendar's."
        ),
        unit="x (multiplier of the daily need rate)",
        source="assumption; meant to be swept",
    )
    # ---- regulator
    platform: str | None = Field(
        default=None,
        description="Regulator: the platform it acts against (a regulator must name one).",
        unit="platform name",
        source="a study's choice",
    )
    fine: float = Field(
        default=0.0,
        ge=0,
        le=1e12,
        description=(
            "Regulator: RMB fined on its first day, recorded in regulation_fines (the "
            "fine is recorded; it changes no price or budget)."
        ),
        unit="RMB",
        source=_YUNJI,
    )
    rule: Literal["promotion_depth_cap", "group_discount_cap", "one_level"] | None = Field(
        default=None,
        description=(
            "Regulator: the rule it changes for its days. 'promotion_depth_cap': the "
            "platform's promotions cut prices by at most cap; 'group_discount_cap': its "
            "group price (and price ladder) is at most cap below the solo price; "
            "'one_level': its micro-stores become fee-free, with one level of commission "
            "and no referral rewards. null: a fine only."
        ),
        unit="- (choice)",
        source=(
            "a study's choice; 'one_level' as Direct Selling Regulation (2005) and Yunji's "
            "fee-free membership from June 2019 (Yunji filings)"
        ),
    )
    cap: float | None = Field(
        default=None,
        ge=0,
        lt=1,
        description="Regulator: the cap of a *_cap rule (required by them, refused by others).",
        unit="share of price (0-1)",
        source="a study's choice",
    )

    @field_validator("start", mode="before")
    @classmethod
    def _date_or_step(cls, value: Any) -> Any:
        # one rule for both forms, rather than pydantic's error for each member of the union
        rule = "must be a date (YYYY-MM-DD) or a step number (>= 1; step 1 is the first day)"
        if isinstance(value, datetime.datetime):
            raise ValueError(f"{rule}, not a date and time")
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError(rule)
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return cls._date_or_step(int(text))
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                pass
        raise ValueError(rule)

    @model_validator(mode="after")
    def _kind_s_own_keys(self) -> ShockConfig:
        other = REGULATOR_FIELDS if self.kind == "lockdown" else LOCKDOWN_FIELDS
        defaults = type(self).model_fields
        for name in other:
            value = getattr(self, name)
            if value != defaults[name].default:
                raise located(
                    f".{name}",
                    f"applies to {'regulators' if self.kind == 'lockdown' else 'lockdowns'} "
                    f"only, got {value!r} on a {self.kind}",
                )
        if self.kind == "lockdown":
            lower = self.first_time_rate * self.lower_tier_ratio
            if lower > 1:
                raise located(
                    ".lower_tier_ratio",
                    "first_time_rate x lower_tier_ratio is the lower tiers' daily chance and "
                    f"must be <= 1, got {self.first_time_rate} x {self.lower_tier_ratio} = "
                    f"{lower:.6g}",
                )
            return self
        if self.platform is None:
            raise located(".platform", "a regulator must name the platform it acts against")
        if self.fine == 0 and self.rule is None:
            raise located(
                ".rule",
                "a regulator must fine (fine > 0) or change a rule "
                f"({', '.join(REGULATOR_RULES)}), got neither",
            )
        if self.rule in CAP_RULES and self.cap is None:
            raise located(".cap", f"rule {self.rule!r} needs a cap (a share of price, 0-1)")
        if self.rule not in CAP_RULES and self.cap is not None:
            raise located(
                ".cap",
                f"only {' and '.join(CAP_RULES)} take a cap, got {self.cap} with "
                f"rule {self.rule!r}",
            )
        return self
