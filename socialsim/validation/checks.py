"""A validation check as data: what it measures, its band and source, tuned or held out.

Every row of ``socialsim validate`` is a :class:`Check`. It says what is
measured, the band the measure must lie in and where the band comes from, and
its :class:`Kind`: a *calibration target* names the parameters that were
tuned to reach it (so passing it shows the tuning still holds, not that the
model is right), a *held-out* check was not used to set any default (so
passing it is evidence). The measured values ride along, one per replication,
with the rule that turns them into pass or fail.

References
----------
.. [1] W. Rand and R. T. Rust (2011), "Agent-based modeling in marketing:
   Guidelines for rigor", IJRM 28(3), 181-193: calibrate on some facts,
   validate on others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Check", "Kind", "checks_table", "format_band"]


class Kind(StrEnum):
    """Whether a check was used to tune the model."""

    CALIBRATION = "calibration target"
    """A default was tuned to reach it: passing shows the tuning holds."""

    HELD_OUT = "held-out"
    """No default was tuned to it: passing is evidence."""


@dataclass(frozen=True)
class Check:
    """One validation check and what was measured.

    Parameters
    ----------
    name : str
        Short identifier, unique in a report.
    area : str
        ``docking``, ``fact N`` (a stylized fact of ``shared/domain.md``) or ``market``.
    measure : str
        What is measured, in words.
    lower, upper : float
        The band the measure must lie in (``-inf`` or ``inf`` for a direction).
    band : str
        The band in words, with why it is that wide.
    source : str
        Where the band comes from (the source of the ``domain.md`` row), or
        ``judgement`` where the source is qualitative.
    kind : Kind
        Calibration target or held-out.
    tuned : tuple of str
        For a calibration target, the parameters tuned to reach it (dotted
        config keys, or a named rule of a mechanism); empty for a held-out check.
    values : tuple of float
        The measure, one value per replication (one value for a docking check).
    rule : {"interval", "value"}
        ``interval``: pass when the whole 95 % Student-t confidence interval of
        the mean over replications lies in the band (a direction must be clear
        of its threshold, not merely on the right side on average);
        ``value``: pass when the single value lies in the band (docking
        checks, whose value is already a statistic with its own tolerance).
    note : str
        Anything a reader must know to judge the check.

    Raises
    ------
    ValueError
        If the band is empty, a calibration target names no tuned parameter or
        a held-out check names one.

    Examples
    --------
    >>> c = Check("ratio", "fact 2", "a ratio", 3.0, 5.0, "3-5", "a source",
    ...           Kind.HELD_OUT, values=(3.4, 3.5, 3.45))
    >>> c.passed, round(c.value, 2)
    (True, 3.45)
    >>> Check("ratio", "fact 2", "a ratio", 3.0, 5.0, "3-5", "a source",
    ...       Kind.HELD_OUT, values=(3.1, 4.9, 2.5)).passed
    False
    """

    name: str
    area: str
    measure: str
    lower: float
    upper: float
    band: str
    source: str
    kind: Kind
    tuned: tuple[str, ...] = ()
    values: tuple[float, ...] = field(default=(), repr=False)
    rule: Literal["interval", "value"] = "interval"
    note: str = ""

    def __post_init__(self) -> None:
        if not self.lower <= self.upper:
            raise ValueError(
                f"check {self.name}: lower must be <= upper, got {self.lower} > {self.upper}"
            )
        if self.kind == Kind.CALIBRATION and not self.tuned:
            raise ValueError(f"check {self.name}: a calibration target must name what was tuned")
        if self.kind == Kind.HELD_OUT and self.tuned:
            raise ValueError(
                f"check {self.name}: a held-out check was not tuned, got tuned={self.tuned}"
            )
        if self.rule not in ("interval", "value"):
            raise ValueError(f"check {self.name}: rule must be 'interval' or 'value'")

    def measured(self, values: Iterable[float]) -> Check:
        """Return this check with the measured `values` (one per replication)."""
        return replace(self, values=tuple(float(v) for v in values))

    @property
    def value(self) -> float:
        """Mean of the finite values (NaN if none could be measured)."""
        finite = [v for v in self.values if math.isfinite(v)]
        return float(np.mean(finite)) if finite else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        """95 % Student-t confidence interval of the mean (the mean twice if one value).

        A replication whose measure is undefined (NaN) is left out of the mean,
        but it makes the check fail (see :attr:`passed`).
        """
        finite = np.array([v for v in self.values if math.isfinite(v)])
        if finite.size < 2 or self.rule == "value":
            return self.value, self.value
        half = stats.t.ppf(0.975, finite.size - 1) * finite.std(ddof=1) / math.sqrt(finite.size)
        return self.value - half, self.value + half

    @property
    def passed(self) -> bool:
        """Whether the measure lies in the band under the check's rule.

        Fails when nothing was measured or any replication's measure is
        undefined (NaN): a check that cannot be measured is not passed.
        """
        if not self.values or any(math.isnan(v) for v in self.values):
            return False
        low, high = self.interval
        return bool(self.lower <= low and high <= self.upper)


def format_band(lower: float, upper: float, digits: int = 3) -> str:
    """Return a band as text: ``a-b``, ``>= a`` or ``<= b``.

    Examples
    --------
    >>> format_band(3.0, 5.0), format_band(0.6, math.inf), format_band(-math.inf, 0.01)
    ('3-5', '>= 0.6', '<= 0.01')
    """
    if math.isinf(upper):
        return f">= {lower:.{digits}g}"
    if math.isinf(lower):
        return f"<= {upper:.{digits}g}"
    return f"{lower:.{digits}g}-{upper:.{digits}g}"


def checks_table(checks: Iterable[Check]) -> pd.DataFrame:
    """Return the checks as a table, one row each.

    Columns: ``kind``, ``area``, ``name``, ``measure``, ``value``, ``ci_low``,
    ``ci_high``, ``lower``, ``upper``, ``band``, ``passed``, ``tuned`` (the
    tuned parameters joined by ``; ``), ``source``, ``note`` and
    ``replications``.
    """
    columns = [
        "kind",
        "area",
        "name",
        "measure",
        "value",
        "ci_low",
        "ci_high",
        "lower",
        "upper",
        "band",
        "passed",
        "tuned",
        "source",
        "note",
        "replications",
    ]
    rows = [
        {
            "kind": str(c.kind),
            "area": c.area,
            "name": c.name,
            "measure": c.measure,
            "value": c.value,
            "ci_low": c.interval[0],
            "ci_high": c.interval[1],
            "lower": c.lower,
            "upper": c.upper,
            "band": c.band,
            "passed": c.passed,
            "tuned": "; ".join(c.tuned),
            "source": c.source,
            "note": c.note,
            "replications": len(c.values),
        }
        for c in checks
    ]
    return pd.DataFrame(rows, columns=columns)
