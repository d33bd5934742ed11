"""Arms of a sweep compared with a baseline arm: differences with their intervals.

:func:`compare_arms` takes a sweep and, per outcome, sets every design point
(an *arm*) against a baseline arm. When the sweep used common random numbers
(``common_random_numbers: true``, the default for ``scenarios`` designs),
replication *r* of every arm ran on the same seed, so the arms are paired:
the difference is the mean of the per-replication differences and its
interval the Student-t interval of that mean, over the replications that
finished ok in both arms. Otherwise the arms are independent samples: the
difference of the two means with Welch's interval. Each row says which.

With a ``scenarios`` design crossed with a grid (``parameters``), a baseline
named by its scenario is met at the same grid point: arm ``deep, size=3``
is compared with ``baseline, size=3``. A baseline given as a point number is
the one baseline of every other point.

Examples
--------
>>> import tempfile
>>> from socialsim.experiment import run_sweep
>>> spec = {
...     "name": "arms", "seed": 5, "steps": 3, "replications": 3,
...     "base": {"population.n_consumers": 300, "influencers.n_kols": 2,
...              "influencers.n_kocs": 6, "stores.n_owners": 3, "daigou.n_shoppers": 0},
...     "design": {"kind": "scenarios", "scenarios": {
...         "baseline": {}, "deep": {"platforms.pinduoduo.group_buying.discount": 0.45}}},
... }
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = run_sweep(spec, out=tmp, executor="serial", progress=False)
...     comparison = compare_arms(tmp, outcomes=["gmv", "orders_group"])
>>> comparison.pairing, comparison.baseline
('paired (common random numbers)', 'baseline')
>>> comparison.table[["arm", "outcome", "n"]].to_dict("records")[0]
{'arm': 'deep', 'outcome': 'gmv', 'n': 3}
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from socialsim.analysis.html import design_value, format_number
from socialsim.analysis.intervals import half_width, welch_half_width
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.outcomes import outcome_problems
from socialsim.experiment.store import SweepData, load_sweep

__all__ = [
    "COLUMNS",
    "COMPARE_OUTCOMES",
    "MIN_REPLICATIONS",
    "PAIRED",
    "TEXT_COLUMNS",
    "UNPAIRED",
    "Comparison",
    "compare_arms",
    "comparison_size",
    "draw_comparison",
    "outcome_names",
    "plot_comparison",
    "point_labels",
]

COMPARE_OUTCOMES: tuple[str, ...] = ("gmv", "orders", "penetration", "average_order_value")
"""Outcomes compared when neither the caller nor the spec (``outcomes:``) names any;
every platform's GMV share (``gmv_share_<platform>``) follows them."""

MIN_REPLICATIONS = 3
"""Below this many replications a row carries a warning: with 2 the Student-t
quantile is 12.7 and the interval is wide and rests on one degree of freedom."""

PAIRED = "paired (common random numbers)"
"""What :attr:`Comparison.pairing` says when every arm is paired with its baseline."""
UNPAIRED = "unpaired (independent seeds)"
"""What :attr:`Comparison.pairing` says when no arm is."""

COLUMNS: tuple[str, ...] = (
    "arm",
    "point",
    "baseline",
    "baseline_point",
    "outcome",
    "paired",
    "n",
    "n_baseline",
    "n_arm",
    "mean_baseline",
    "mean_arm",
    "difference",
    "ci_low",
    "ci_high",
    "relative_change",
    "warning",
)
"""The columns of :attr:`Comparison.table`, in order."""

TEXT_COLUMNS: tuple[str, ...] = (
    "outcome",
    "arm",
    "n",
    "baseline",
    "arm mean",
    "difference",
    "interval",
    "change",
)
"""The columns of :meth:`Comparison.formatted` and of the printed table."""

# identify or time a run rather than measure it: never an outcome
_NOT_OUTCOMES = ("point", "replication", "seed")
_LISTED = 20  # arms named in an error message


@dataclass(frozen=True)
class Comparison:
    """The arms of a sweep against a baseline arm (see :func:`compare_arms`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm and outcome (outcome by outcome, arms in design
        order), with the columns of :data:`COLUMNS`: the arm's label and
        point, its baseline's label and point; ``paired``; ``n`` (pairs when
        paired, else the smaller of ``n_baseline`` and ``n_arm``, the ok runs
        with a value in each arm); the two means (over the pairs when
        paired); ``difference`` (arm minus baseline: the mean of the
        per-replication differences when paired, the difference of the means
        otherwise); ``ci_low`` and ``ci_high`` (Student-t, or Welch's when
        unpaired; missing below two values); ``relative_change``
        (``difference / mean_baseline``, missing when the baseline's mean is
        0); ``warning`` (empty, or why the row is weak).
    baseline : str
        The baseline arm's label (a scenario name or ``point N``).
    pairing : str
        ``"paired (common random numbers)"``, ``"unpaired (independent seeds)"``
        or, if rows differ, both.
    level : float
        Confidence level of the intervals.
    name : str
        The sweep's name.
    """

    table: pd.DataFrame
    baseline: str
    pairing: str
    level: float = 0.95
    name: str = ""

    @property
    def outcomes(self) -> list[str]:
        """The outcomes compared, in order."""
        return list(dict.fromkeys(self.table["outcome"]))

    def warnings(self) -> list[str]:
        """Return each distinct warning once, with the arms (and outcomes) it concerns.

        An arm is named alone when the warning holds for every outcome, else
        with the outcomes it holds for: ``deep (feed_social_conversion)``.
        """
        every = set(self.table["outcome"])
        found: dict[str, dict[str, list[str]]] = {}
        for arm, outcome, text in zip(
            self.table["arm"], self.table["outcome"], self.table["warning"], strict=True
        ):
            if text:
                found.setdefault(text, {}).setdefault(arm, []).append(outcome)
        return [
            ", ".join(
                arm if set(outcomes) == every else f"{arm} ({', '.join(outcomes)})"
                for arm, outcomes in arms.items()
            )
            + f": {text}"
            for text, arms in found.items()
        ]

    def describe(self) -> str:
        """Return one line: the baseline, how arms were paired and which intervals."""
        kind = {
            PAIRED: "Student-t intervals of the paired differences",
            UNPAIRED: "Welch intervals of the differences of means",
        }.get(self.pairing, "Student-t intervals (paired) and Welch intervals (unpaired)")
        return f"arms against baseline {self.baseline!r}, {self.pairing}, {self.level:.0%} {kind}"

    def formatted(self) -> pd.DataFrame:
        """Return the table as text, as printed: one column per :data:`TEXT_COLUMNS`.

        Differences and interval ends carry their sign, relative changes are
        percentages and a missing value is ``n/a``.
        """
        rows = []
        for r in self.table.to_dict("records"):
            interval = (
                f"[{_signed(r['ci_low'])}, {_signed(r['ci_high'])}]"
                if _finite(r["ci_low"])
                else "n/a"
            )
            rows.append(
                [
                    r["outcome"],
                    r["arm"],
                    str(r["n"]),
                    format_number(r["mean_baseline"]),
                    format_number(r["mean_arm"]),
                    _signed(r["difference"]),
                    interval,
                    _percent(r["relative_change"]),
                ]
            )
        return pd.DataFrame(rows, columns=list(TEXT_COLUMNS), dtype=object)

    def __str__(self) -> str:
        """Return an aligned table, one block per outcome, then the warnings."""
        rows = [list(TEXT_COLUMNS), *self.formatted().to_numpy().tolist()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(TEXT_COLUMNS))]
        left = {0, 1}  # text columns; the numbers align right
        lines = [f"{self.name}: {self.describe()}", ""]
        for i, row in enumerate(rows):
            if i > 1 and row[0] != rows[i - 1][0]:
                lines.append("")  # a blank line between outcomes
            cells = [
                c.ljust(w) if j in left else c.rjust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        lines += [f"warning: {text}" for text in self.warnings()]
        return "\n".join(lines)

    def figure(self) -> Figure:
        """Return the forest plot of every outcome (see :func:`draw_comparison`)."""
        fig = Figure(figsize=comparison_size(self.table), layout="constrained")
        FigureCanvasAgg(fig)  # Agg, never pyplot: nothing is left open
        draw_comparison(self.table, fig, baseline=self.baseline, level=self.level)
        return fig

    def write(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Write ``compare.parquet``, ``compare.csv`` and ``compare.png`` into `directory`.

        Each file is written under a temporary name and renamed into place.

        Returns
        -------
        list of Path
            The three files.
        """
        from socialsim.files import atomic_write

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = [directory / f"compare.{ext}" for ext in ("parquet", "csv", "png")]
        table = self.table
        atomic_write(paths[0], lambda p: table.to_parquet(p, index=False))
        atomic_write(paths[1], lambda p: table.to_csv(p, index=False))
        fig = self.figure()
        atomic_write(paths[2], lambda p: fig.savefig(p, format="png", dpi=110))
        return paths


def compare_arms(
    sweep: SweepData | str | os.PathLike[str],
    baseline: str | int | None = None,
    outcomes: Sequence[str] | None = None,
    *,
    level: float = 0.95,
) -> Comparison:
    """Compare every arm of a sweep with a baseline arm, outcome by outcome.

    Parameters
    ----------
    sweep : SweepData or path
        A sweep, or its directory.
    baseline : str or int, optional
        The baseline arm: a scenario name, or a design point's number (an
        int or its digits). If omitted, the scenario named ``baseline`` if
        there is one, else the arm of point 0.
    outcomes : sequence of str, optional
        Runs-table outcomes to compare. If omitted, the spec's ``outcomes:``
        if it names any, else :data:`COMPARE_OUTCOMES` and every platform's
        GMV share (those the runs table has).
    level : float
        Confidence level of the intervals, in (0, 1).

    Returns
    -------
    Comparison

    Raises
    ------
    ConfigError
        If `baseline` names no arm (the arms are listed), an outcome is not
        a runs-table outcome (``outcomes.N``), or the sweep has a single
        arm or no run that finished ok.

    Notes
    -----
    Pairing needs the same seed for the same replication in both arms; it is
    used when the sweep recorded common random numbers and the seeds bear it
    out. A paired difference removes the noise the arms share (the same
    world, the same draws), so its interval is usually much narrower than
    the unpaired one from the same runs.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    sweep = sweep if isinstance(sweep, SweepData) else load_sweep(sweep)
    manifest = sweep.manifest
    where = str(sweep.path)
    runs = sweep.runs
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    records = list(manifest.get("design", []))
    if len(records) < 2:
        raise ConfigError(
            [Problem("", "has a single design point: there are no arms to compare")], where
        )
    if not len(ok):
        raise ConfigError(
            [Problem("", "no run has finished ok yet: nothing to compare (resume the sweep)")],
            where,
        )
    chosen = _outcomes(runs, manifest, outcomes)
    labels = _arm_labels(manifest)
    pairs = _baselines(manifest, baseline, labels)
    if not pairs:
        raise ConfigError(
            [Problem("baseline", "leaves no other arm to compare with it", baseline)], where
        )
    crn = _common_random_numbers(manifest, runs)
    rows = []
    for outcome in chosen:
        for arm, base in pairs:
            row = _compare(ok, base, arm, outcome, crn, level)
            rows.append(
                {
                    "arm": labels[arm],
                    "point": arm,
                    "baseline": labels[base],
                    "baseline_point": base,
                    "outcome": outcome,
                    **row,
                }
            )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table = table.astype(
        {
            "point": "int64",
            "baseline_point": "int64",
            "paired": "bool",
            "n": "int64",
            "n_baseline": "int64",
            "n_arm": "int64",
        }
    )
    kinds = set(table["paired"])
    pairing = PAIRED if kinds == {True} else UNPAIRED if kinds == {False} else "paired and unpaired"
    bases = list(dict.fromkeys(labels[b] for _, b in pairs))
    baseline_label = bases[0] if len(bases) == 1 else _scenario_of(manifest, pairs[0][1])
    return Comparison(
        table=table,
        baseline=baseline_label,
        pairing=pairing,
        level=level,
        name=str(manifest.get("name", "")),
    )


# --------------------------------------------------------------------------- arms and outcomes


def point_labels(manifest: Mapping[str, Any]) -> dict[int, str]:
    """Return each design point's short label: its scenario (and grid values) or its values.

    Parameters
    ----------
    manifest : mapping
        A sweep's manifest (:attr:`SweepData.manifest`).

    Returns
    -------
    dict
        Point -> ``"arm"`` or ``"arm, key=value"`` for a scenario design (the
        grid's keys only), ``"key=value, ..."`` otherwise.

    Examples
    --------
    >>> manifest = {"design": [{"point": 0, "scenario": None, "parameters": {"a.b": 0.5}}]}
    >>> point_labels(manifest)
    {0: 'a.b=0.5'}
    """
    labels = {}
    grid = _grid_keys(manifest)
    for r in manifest.get("design", []):
        parameters = r.get("parameters", {}).items()
        bits = [f"{k}={design_value(v)}" for k, v in parameters if v is not None]
        scenario = r.get("scenario")
        if scenario is not None:
            bits = [scenario, *(b for b in bits if b.split("=")[0] in grid)]
        labels[int(r["point"])] = ", ".join(bits) or f"point {r['point']}"
    return labels


def outcome_names(runs: pd.DataFrame, manifest: Mapping[str, Any]) -> list[str]:
    """Return the outcome columns of a runs table: numeric, not identity, parameter or timing."""
    parameters = set(manifest.get("parameters", []))
    return [
        c
        for c in runs.columns
        if c not in _NOT_OUTCOMES
        and c not in parameters
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
        and not c.endswith("_seconds")
    ]


def _grid_keys(manifest: Mapping[str, Any]) -> list[str]:
    """Return the keys of a scenario design's grid (crossed with every arm), or none."""
    design = manifest.get("spec", {}).get("design", {})
    return list(design.get("parameters") or {}) if design.get("kind") == "scenarios" else []


def _arm_labels(manifest: Mapping[str, Any]) -> dict[int, str]:
    labels = point_labels(manifest)
    return {
        int(r["point"]): labels[int(r["point"])]
        if r.get("scenario") is not None
        else f"point {r['point']}: {labels[int(r['point'])]}"
        for r in manifest.get("design", [])
    }


def _scenario_of(manifest: Mapping[str, Any], point: int) -> str:
    return str(manifest["design"][point].get("scenario") or f"point {point}")


def _baselines(
    manifest: Mapping[str, Any], baseline: str | int | None, labels: Mapping[int, str]
) -> list[tuple[int, int]]:
    """Return (arm point, its baseline point) for every arm but the baselines, in design order."""
    records = manifest["design"]
    scenarios = [r.get("scenario") for r in records]
    names = list(dict.fromkeys(s for s in scenarios if s is not None))
    if baseline is None:
        baseline = "baseline" if "baseline" in names else (names[0] if names else 0)
    if isinstance(baseline, str) and baseline in names:
        grid = _grid_keys(manifest)

        def cell(record: Mapping[str, Any]) -> str:
            values = record.get("parameters", {})
            return json.dumps([values.get(k) for k in grid], sort_keys=True, default=str)

        base_of = {cell(r): int(r["point"]) for r in records if r.get("scenario") == baseline}
        return [
            (int(r["point"]), base_of[cell(r)])
            for r in records
            if r.get("scenario") != baseline and cell(r) in base_of
        ]
    point = _point_number(baseline)
    if point is None or not 0 <= point < len(records):
        listed = [f"{p} ({labels[p]})" for p in sorted(labels)[:_LISTED]]
        more = f", ... ({len(labels)} in all)" if len(labels) > _LISTED else ""
        kind = "a scenario name or a point number" if names else "a point number"
        raise ConfigError(
            [
                Problem(
                    "baseline",
                    f"is not an arm of this sweep; give {kind}: {', '.join(listed)}{more}",
                    baseline,
                )
            ]
        )
    return [(int(r["point"]), point) for r in records if int(r["point"]) != point]


def _point_number(baseline: str | int) -> int | None:
    if isinstance(baseline, bool):
        return None
    if isinstance(baseline, int):
        return baseline
    text = baseline.strip().removeprefix("point").strip()
    return int(text) if text.isdigit() else None


def _outcomes(
    runs: pd.DataFrame, manifest: Mapping[str, Any], requested: Sequence[str] | None
) -> list[str]:
    available = outcome_names(runs, manifest)
    spec_outcomes = manifest.get("spec", {}).get("outcomes")
    if requested is None and spec_outcomes:
        requested = spec_outcomes
    if requested is None:
        shares = [c for c in available if c.startswith("gmv_share_")]
        return [o for o in COMPARE_OUTCOMES if o in available] + shares
    problems = outcome_problems(
        [(f"outcomes.{i}", name) for i, name in enumerate(requested)], available
    )
    if problems:
        raise ConfigError(problems)
    return list(dict.fromkeys(requested))


def _common_random_numbers(manifest: Mapping[str, Any], runs: pd.DataFrame) -> bool:
    """Whether replication r of every point shares a seed (recorded, or read off the seeds)."""
    recorded = manifest.get("common_random_numbers")
    if recorded is not None:
        return bool(recorded)
    planned = pd.DataFrame(manifest.get("runs", [])) if manifest.get("runs") else runs
    return bool(len(planned)) and bool(
        (planned.groupby("replication")["seed"].nunique() == 1).all()
    )


# --------------------------------------------------------------------------- statistics


def _values(ok: pd.DataFrame, point: int, outcome: str) -> pd.DataFrame:
    """Return a point's ok runs by replication: seed and outcome (a float, NaN if missing)."""
    mine = ok[ok["point"] == point]
    values = pd.to_numeric(mine[outcome], errors="coerce").astype(float)
    return pd.DataFrame(
        {"seed": mine["seed"].to_numpy(), "value": values.to_numpy()},
        index=mine["replication"].to_numpy(),
    )


def _compare(
    ok: pd.DataFrame, base: int, arm: int, outcome: str, crn: bool, level: float
) -> dict[str, Any]:
    b, a = _values(ok, base, outcome), _values(ok, arm, outcome)
    common = b.index.intersection(a.index)
    # the seeds must bear pairing out: the same replication ran on the same seed in both arms
    paired = crn and bool((b.loc[common, "seed"] == a.loc[common, "seed"]).all())
    if paired:
        both = pd.DataFrame({"b": b.loc[common, "value"], "a": a.loc[common, "value"]}).dropna()
        n = n_b = n_a = len(both)
        mean_b, mean_a = _mean(both["b"]), _mean(both["a"])
        diffs = both["a"] - both["b"]
        difference = _mean(diffs)
        half = half_width(float(diffs.std(ddof=1)), n, level) if n >= 2 else math.nan
    else:
        xb, xa = b["value"].dropna(), a["value"].dropna()
        n_b, n_a = len(xb), len(xa)
        n = min(n_b, n_a)
        mean_b, mean_a = _mean(xb), _mean(xa)
        difference = mean_a - mean_b
        half = (
            welch_half_width(float(xa.std(ddof=1)), n_a, float(xb.std(ddof=1)), n_b, level)
            if n >= 2
            else math.nan
        )
    relative = difference / mean_b if _finite(mean_b) and mean_b != 0 else math.nan
    return {
        "paired": paired,
        "n": n,
        "n_baseline": n_b,
        "n_arm": n_a,
        "mean_baseline": mean_b,
        "mean_arm": mean_a,
        "difference": difference,
        "ci_low": difference - half,
        "ci_high": difference + half,
        "relative_change": relative,
        "warning": _warning(n, paired),
    }


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else math.nan


def _warning(n: int, paired: bool) -> str:
    if n >= MIN_REPLICATIONS:
        return ""
    if n == 0:
        return (
            "nothing to pair: no replication has a value in both arms (the outcome is "
            "undefined, or the runs failed)"
            if paired
            else "nothing to compare: an arm has no ok run with a value"
        )
    what = "replication" if paired else "run in an arm"
    if n == 1:
        return f"only 1 {what}: no interval; run at least {MIN_REPLICATIONS} replications"
    return (
        f"only {n} {what}s (fewer than {MIN_REPLICATIONS}): the interval rests on "
        f"{'1 degree' if paired else 'few degrees'} of freedom and is wide and unreliable"
    )


def _finite(value: Any) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(float(value))


def _signed(value: Any) -> str:
    if not _finite(value):
        return "n/a"
    text = format_number(value)
    return text if text.startswith("-") or float(value) == 0 else f"+{text}"


def _percent(value: Any) -> str:
    return f"{float(value):+.1%}" if _finite(value) else "n/a"


# --------------------------------------------------------------------------- figures

_PANEL_WIDTH = 4.6
_COLUMNS = 2


def comparison_size(table: pd.DataFrame) -> tuple[float, float]:
    """Return the size in inches of :func:`draw_comparison`'s figure of `table`."""
    outcomes = max(1, table["outcome"].nunique())
    arms = max(1, len(table) // outcomes)
    rows = math.ceil(outcomes / _COLUMNS)
    return _PANEL_WIDTH * min(outcomes, _COLUMNS) + 1.6, rows * (1.0 + 0.34 * arms)


def draw_comparison(
    table: pd.DataFrame, fig: Figure, *, baseline: str = "baseline", level: float = 0.95
) -> list[Axes]:
    """Draw a forest plot of a comparison table, one panel per outcome, on `fig`.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`Comparison.table`.
    fig : matplotlib.figure.Figure
        An empty figure; its panels are added here, two to a row.
    baseline : str
        The baseline's label, for the axis titles.
    level : float
        The intervals' confidence level, for the axis titles.

    Returns
    -------
    list of Axes
        One per outcome, in the table's order.
    """
    outcomes = list(dict.fromkeys(table["outcome"]))
    columns = min(len(outcomes), _COLUMNS)
    rows = math.ceil(len(outcomes) / columns)
    grid = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in grid[len(outcomes) :]:
        ax.set_visible(False)
    axes = list(grid[: len(outcomes)])
    for i, (ax, outcome) in enumerate(zip(axes, outcomes, strict=True)):
        plot_comparison(
            table[table["outcome"] == outcome],
            ax,
            labels=i % columns == 0,
            baseline=baseline,
            level=level,
        )
    return axes


def plot_comparison(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    labels: bool = True,
    baseline: str = "baseline",
    level: float = 0.95,
) -> Axes:
    """Plot one outcome's differences to the baseline, an arm a row, with their intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows of :attr:`Comparison.table` of one outcome.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    labels : bool
        Whether to name the arms on the vertical axis.
    baseline : str
        The baseline's label, for the horizontal axis.
    level : float
        The intervals' confidence level, for the horizontal axis.

    Returns
    -------
    matplotlib.axes.Axes
        A point per arm at its difference, a bar for its interval (dark when
        it excludes zero, grey when it does not or is missing), a line at
        zero and the relative change written beside each arm.

    Examples
    --------
    >>> table = pd.DataFrame({"outcome": ["gmv"] * 2, "arm": ["a", "b"],
    ...     "difference": [5.0, -1.0], "ci_low": [2.0, -4.0], "ci_high": [8.0, 2.0],
    ...     "relative_change": [0.5, -0.1], "n": [3, 3]})
    >>> [t.get_text() for t in plot_comparison(table).texts]
    ['+50.0%', '-10.0%']
    """
    if ax is None:
        fig = Figure(figsize=(_PANEL_WIDTH, 1.0 + 0.34 * len(table)), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
    outcome = str(table["outcome"].iloc[0]) if len(table) else ""
    y = np.arange(len(table))
    diff = table["difference"].to_numpy(dtype=float)
    low, high = table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float)
    has = np.isfinite(low) & np.isfinite(high)
    clear = has & ((low > 0) | (high < 0))  # the interval excludes zero
    for i in range(len(table)):
        colour = "C0" if clear[i] else "0.55"
        if has[i]:
            ax.plot([low[i], high[i]], [y[i], y[i]], color=colour, lw=2.2, solid_capstyle="butt")
        ax.plot([diff[i]], [y[i]], "o", color=colour, ms=5)
        right = high[i] if has[i] else diff[i]
        if np.isfinite(right):
            ax.annotate(
                _percent(table["relative_change"].iloc[i]),
                (right, y[i]),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
    ax.axvline(0.0, color="0.3", lw=0.8, ls="--")
    span = np.concatenate([diff, low, high])
    if not np.any(np.isfinite(span) & (span != 0)):
        ax.set_xlim(-1.0, 1.0)  # nothing but zeros: a plain axis, not one of width 1e-17
    ax.set_yticks(y, [textwrap.fill(str(a), 34) for a in table["arm"]] if labels else [])
    ax.set_ylim(len(table) - 0.5, -0.5)  # design order, top to bottom
    ax.margins(x=0.22)
    ax.set_title(outcome, fontsize=10)
    ax.set_xlabel(f"difference to {baseline} ({level:.0%} CI)", fontsize=8)
    ax.tick_params(labelsize=7.5)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    return ax
