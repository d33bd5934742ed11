"""The report of a calibration: ``report.html`` in its output directory.

:func:`write_report` reads what ``socialsim calibrate`` wrote
(``summary.json``, ``calibration.json``, ``posterior.parquet``, for a point
fit ``trials.parquet``, and the row counts of ``simulations/``) and writes
one self-contained HTML file (figures inline as PNG; see
:mod:`socialsim.analysis.html`) in five parts: what was run and the command
that runs it again; the posterior, as a table, as marginals against the
prior and as pairs; how the fit went (epsilon and acceptance by generation
for ABC-SMC, the distance by trial for ``optimize``, recognised by its
``trials.parquet``); each target against the posterior predictive; and the
held-out checks. A value the summary could not compute (``null``) is shown
as ``n/a``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from socialsim.analysis import html
from socialsim.analysis.html import format_number
from socialsim.files import atomic_write

__all__ = ["write_report"]

_MAX_PAIRS = 15  # pair panels drawn (every pair of six parameters)
_BINS = 20


def write_report(directory: Path) -> Path:
    """Write ``report.html`` of the calibration whose outputs are in `directory`.

    Parameters
    ----------
    directory : Path
        A calibration's output directory (``socialsim calibrate --out``). It
        must hold ``summary.json``; ``calibration.json``,
        ``posterior.parquet``, ``trials.parquet`` and ``simulations/`` are
        used when present, and a part without its file says so.

    Returns
    -------
    Path
        ``directory / "report.html"``, written atomically.

    Raises
    ------
    FileNotFoundError
        If `directory` holds no ``summary.json``.
    """
    directory = Path(directory)
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    manifest = _read(directory / "calibration.json", lambda p: json.loads(p.read_bytes()))
    posterior = _read(directory / "posterior.parquet", pd.read_parquet)
    trials = _read(directory / "trials.parquet", pd.read_parquet)  # only a point fit has one
    sections = [
        ("run", "What was run", _header(directory, summary, manifest or {})),
        ("posterior", "Posterior", _posterior(summary.get("parameters") or {}, posterior, trials)),
        ("progress", "Progress of the fit", _progress(summary.get("generations") or [], trials)),
        ("targets", "Targets against the posterior predictive", _targets(summary, trials)),
        ("held-out", "Held-out checks", _held_out(summary.get("held_out") or [])),
    ]
    title = f"Calibration report: {summary.get('name') or directory.name}"
    if summary.get("variant"):
        title += f" (variant {summary['variant']})"
    text = html.page(title, sections)
    path = directory / "report.html"
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path


def _read(path: Path, read: Callable[[Path], Any]) -> Any:
    return read(path) if path.is_file() else None


def _interval(low: Any, high: Any) -> str:
    if low is None or high is None:
        return "n/a"
    return f"{format_number(low)} to {format_number(high)}"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _header(directory: Path, summary: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    method = summary.get("method") or {}
    settings = ", ".join(f"{k} {v}" for k, v in method.items() if k != "kind" and v is not None)
    spec = manifest.get("spec") or {}
    # rows per generation's file, from the parquet footers alone
    counts = {
        int(m.group(1)): pq.ParquetFile(p).metadata.num_rows
        for p in (directory / "simulations").glob("generation-*.parquet")
        if (m := re.fullmatch(r"generation-(-?\d+)\.parquet", p.name))
    }
    simulations = f"{sum(counts.values()):,}" if counts else "n/a (no simulations/ on file)"
    if counts.get(-1):
        simulations += f" ({counts[-1]:,} of them drawn from the prior to set the first epsilon)"
    per_candidate = (
        f"{spec.get('replications', 'n/a')} simulation(s) of {spec.get('steps', 'n/a')} days, "
        f"seeded from {spec.get('seed', 'n/a')}"
    )
    rows = [
        ("name", summary.get("name")),
        ("variant", summary.get("variant") or "none"),
        ("description", (spec.get("description") or "").strip() or "n/a"),
        ("method", method.get("kind", "n/a") + (f" ({settings})" if settings else "")),
        ("stopped", summary.get("stopped") or "n/a"),
        ("started", summary.get("started_at") or "n/a"),
        ("finished", summary.get("finished_at") or "n/a"),
        ("socialsim", summary.get("socialsim") or "n/a"),
        ("executor", summary.get("executor") or "n/a"),
        ("simulations", simulations),
        ("per candidate", per_candidate if spec else "n/a"),
        ("spec file", manifest.get("spec_file") or "n/a"),
        ("spec hash", manifest.get("spec_hash") or "n/a"),
    ]
    command = manifest.get("command") or "n/a (calibration.json is missing)"
    parts = [html.pairs(rows), "<h3>Command</h3>", html.pre(command)]
    if not command.startswith("socialsim "):  # started from Python: sys.argv was "-c"
        equivalent = f"socialsim calibrate {manifest.get('spec_file') or 'SPEC.yaml'} --out DIR"
        equivalent += f" --variant {summary['variant']}" if summary.get("variant") else ""
        parts.append(html.note(f"Not a command line; the equivalent is: {equivalent}"))
    parts.append(
        html.note(
            "Run into a new directory it repeats the fit (the seeds derive from the spec's "
            "seed); into this one it resumes. 'socialsim run calibrated.yaml' in this "
            "directory runs the calibrated world."
        )
    )
    if spec:
        text = html.pre(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
        parts.append(f"<details><summary>Spec</summary>{text}</details>")
    if manifest.get("versions"):
        text = html.table(["package", "version"], sorted(manifest["versions"].items()))
        parts.append(f"<details><summary>Versions</summary>{text}</details>")
    return "".join(parts)


def _posterior(
    parameters: Mapping[str, Any], posterior: pd.DataFrame | None, trials: pd.DataFrame | None
) -> str:
    point = trials is not None
    rows = [
        [
            key,
            format_number(p.get("mean")),
            _interval(p.get("q05"), p.get("q95")),
            format_number(p.get("q50")),
            format_number(p.get("sd")),
            f"[{format_number(p.get('low'))}, {format_number(p.get('high'))}]",
            p.get("prior") or "n/a",
        ]
        for key, p in parameters.items()
    ]
    headers = ["parameter", "mean", "90 % interval", "median", "sd", "prior bounds", "prior"]
    parts = [
        html.table(headers, rows, [False, True, True, True, True, True, False]),
        html.note(
            "optimize is a point fit: 'mean' is the best trial's value and there is no "
            "posterior spread; the figures show the trials, not a posterior."
            if point
            else "The last generation's particles, weighted: weighted mean, sd and the 5 %, "
            "50 % and 95 % weighted quantiles."
        ),
    ]
    if posterior is None or not len(posterior) or not parameters:
        return "".join([*parts, html.note("posterior.parquet is missing or empty.", warn=True)])
    caption = (
        "The best point (red) and every value tried (ticks) against the prior density (dashed)"
        if point
        else "Posterior marginals: the last generation (filled, weighted) and earlier ones "
        "(grey) against the prior density (dashed); shaded, the 90 % interval"
    )
    draw = partial(_draw_marginals, parameters=parameters, posterior=posterior, trials=trials)
    parts.append(html.figure_grid(draw, len(parameters), caption, panel=(4.2, 3.2)))
    keys = list(parameters)
    pairs = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :]]
    if not pairs:
        return "".join([*parts, html.note("One parameter: no pairs to draw.")])
    caption = (
        "Pairs over the trials, coloured by distance (darker is closer); red star: the best"
        if point
        else "Pairs: the last generation, each particle sized by its weight; axes span the "
        "prior bounds"
    )
    shown = pairs[:_MAX_PAIRS]
    draw = partial(
        _draw_pairs, pairs=shown, parameters=parameters, posterior=posterior, trials=trials
    )
    parts.append(html.figure_grid(draw, len(shown), caption, panel=(4.2, 3.6)))
    if len(pairs) > len(shown):
        parts.append(html.note(f"The first {len(shown)} of {len(pairs)} pairs."))
    return "".join(parts)


def _span(p: Mapping[str, Any], n: int) -> np.ndarray:
    """`n` points over the prior bounds, evenly spaced on the prior's own scale."""
    spacing = np.geomspace if p.get("prior") == "loguniform" else np.linspace
    return spacing(p["low"], p["high"], n)


def _bounds(ax: Axes, p: Mapping[str, Any], axis: str) -> None:
    getattr(ax, f"set_{axis}lim")(p["low"], p["high"])
    if p.get("prior") == "loguniform":
        getattr(ax, f"set_{axis}scale")("log")
        # plain numbers at a few ticks: the default 3x10^-1 labels on every minor tick collide
        target = ax.xaxis if axis == "x" else ax.yaxis
        target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        target.set_major_formatter(ScalarFormatter())
        target.set_minor_formatter(NullFormatter())


def _draw_marginals(
    axes: list[Axes],
    parameters: Mapping[str, Any],
    posterior: pd.DataFrame,
    trials: pd.DataFrame | None,
) -> None:
    first, last = posterior["generation"].min(), posterior["generation"].max()
    for ax, (key, p) in zip(axes, parameters.items(), strict=True):
        x = _span(p, 200)
        if p.get("prior") == "loguniform":
            density = 1 / (x * math.log(p["high"] / p["low"]))
        else:
            density = np.full_like(x, 1 / (p["high"] - p["low"]))
        ax.plot(x, density, color="0.2", ls="--", lw=1, label=f"prior ({p.get('prior')})")
        if trials is not None:
            ax.plot(trials[key], np.zeros(len(trials)), "|", color="C0", ms=12, alpha=0.5)
            ax.axvline(posterior[key].iloc[0], color="C3", lw=2, label="best point")
        else:
            for t, generation in posterior.groupby("generation", sort=True):
                ax.hist(
                    generation[key].to_numpy(float),
                    bins=_span(p, _BINS + 1),
                    weights=generation["weight"].to_numpy(float),
                    density=True,
                    histtype="stepfilled" if t == last else "step",
                    color="C0" if t == last else "0.6",
                    alpha=0.55 if t == last else 0.8,
                    zorder=2 if t == last else 3,  # earlier outlines stay visible on top
                    label=f"generation {t}" if t == last else "earlier" if t == first else None,
                )
            if _finite(p.get("q05")) and _finite(p.get("q95")):
                ax.axvspan(p["q05"], p["q95"], color="C0", alpha=0.1)
            if _finite(p.get("mean")):
                ax.axvline(p["mean"], color="C0", lw=1.5, label="mean")
        _bounds(ax, p, "x")
        ax.set_title(key, fontsize=9)
        ax.set_ylabel("density")
        ax.legend(fontsize=7)


def _draw_pairs(
    axes: list[Axes],
    pairs: Sequence[tuple[str, str]],
    parameters: Mapping[str, Any],
    posterior: pd.DataFrame,
    trials: pd.DataFrame | None,
) -> None:
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    for ax, (a, b) in zip(axes, pairs, strict=True):
        if trials is not None:
            tried = trials[np.isfinite(trials["distance"].to_numpy(float))]
            ax.scatter(tried[a], tried[b], c=tried["distance"], cmap="viridis", s=18)
            ax.scatter(last[a], last[b], marker="*", s=160, color="C3")
        else:
            weight = last["weight"].to_numpy(float)
            size = 15 + 200 * weight / weight.max()  # area by weight: heavy particles stand out
            ax.scatter(last[a], last[b], s=size, alpha=0.5, color="C0", edgecolors="none")
        _bounds(ax, parameters[a], "x")
        _bounds(ax, parameters[b], "y")
        ax.set_xlabel(a, fontsize=8)
        ax.set_ylabel(b, fontsize=8)


def _progress(generations: Sequence[Mapping[str, Any]], trials: pd.DataFrame | None) -> str:
    if trials is not None:
        text = html.note(
            "optimize has no generations, so no epsilon or acceptance rate: instead, the "
            "distance of each trial and the best so far."
        )
        if not len(trials):
            return text + html.note("trials.parquet holds no trial.", warn=True)
        return text + html.figure(lambda ax: _draw_trials(ax, trials), "Distance by trial")
    if not generations:
        return html.note("No generation is recorded (and there is no trials.parquet).", warn=True)
    rows = [
        [
            g.get("generation"),
            format_number(g.get("epsilon")),
            format_number(g.get("candidates")),
            format_number(g.get("accepted")),
            "n/a" if g.get("acceptance_rate") is None else f"{g['acceptance_rate']:.1%}",
        ]
        for g in generations
    ]
    headers = ["generation", "epsilon", "candidates", "accepted", "acceptance rate"]
    caption = "Epsilon (the distance a candidate must beat) and acceptance rate by generation"
    return html.table(headers, rows, [True] * 5) + html.figure_of(
        lambda fig: _draw_generations(fig, generations), caption, size=(9, 3.4)
    )


def _draw_generations(fig: Figure, generations: Sequence[Mapping[str, Any]]) -> None:
    frame = pd.DataFrame(list(generations))
    for column in ("epsilon", "acceptance_rate"):  # None (n/a) becomes NaN: a gap
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    left, right = fig.subplots(1, 2)
    left.plot(frame["generation"], frame["epsilon"], "o-", color="C0")
    left.set(xlabel="generation", ylabel="epsilon", title="Epsilon", ylim=(0, None))
    right.bar(frame["generation"], 100 * frame["acceptance_rate"], color="C1")
    right.set(xlabel="generation", ylabel="accepted / candidates (%)", title="Acceptance rate")
    right.set_ylim(0, 100)
    for ax in (left, right):
        ax.set_xticks(frame["generation"])


def _draw_trials(ax: Axes, trials: pd.DataFrame) -> None:
    frame = trials.sort_values("trial")
    frame = frame[np.isfinite(frame["distance"].to_numpy(float))]  # a failed trial has no place
    ax.plot(frame["trial"], frame["distance"], "o", ms=4, color="C0", alpha=0.6, label="trial")
    ax.step(frame["trial"], frame["distance"].cummin(), where="post", color="C3", label="best")
    ax.set(xlabel="trial", ylabel="distance", title=f"{len(frame)} of {len(trials)} trials finite")
    ax.legend(fontsize=8)


def _targets(summary: Mapping[str, Any], trials: pd.DataFrame | None) -> str:
    targets = summary.get("targets") or []
    if not targets:
        return html.note("No targets are recorded in summary.json.", warn=True)
    rows = []
    for t in targets:
        known = all(_finite(t.get(k)) for k in ("mean", "value", "scale"))
        miss = f"{(t['mean'] - t['value']) / t['scale']:+.2f}" if known else "n/a"
        rows.append(
            [
                t.get("outcome"),
                format_number(t.get("value")),
                format_number(t.get("scale")),
                format_number(t.get("mean")),
                _interval(t.get("q05"), t.get("q95")),
                miss,
                t.get("source") or "n/a",
            ]
        )
    headers = ["outcome", "target", "scale", "predicted mean", "90 % interval", "miss", "source"]
    whose = (
        "the best point's simulations"
        if trials is not None
        else "the last generation's accepted candidates, weighted as the posterior"
    )
    caption = (
        "Each target's miss in scale units: predicted mean (dot) and 90 % interval (bar); "
        "the target is at 0, the grey band one scale either side"
    )
    return (
        html.table(headers, rows, [False, True, True, True, True, True, False])
        + html.note(
            f"Predicted: {whose} (replications averaged per candidate). Miss: (predicted "
            "mean - target) / scale, the units the distance counts in."
        )
        + html.figure(
            lambda ax: _draw_targets(ax, targets), caption, size=(7, 1.4 + 0.45 * len(targets))
        )
    )


def _draw_targets(ax: Axes, targets: Sequence[Mapping[str, Any]]) -> None:
    ax.axvspan(-1, 1, color="0.9")
    ax.axvline(0, color="C3", lw=1.5)
    for y, t in enumerate(targets):
        miss = {
            k: (t[k] - t["value"]) / t["scale"] if _finite(t.get(k)) else math.nan
            for k in ("mean", "q05", "q95")
        }
        if math.isnan(miss["mean"]):
            ax.annotate(
                "no prediction",
                (0, y),
                ha="center",
                va="center",
                fontsize=8,
                bbox={"fc": "white", "ec": "none"},
            )
            continue
        # the interval as a capped line, not an error bar: a weighted mean may lie outside it
        ax.plot([miss["q05"], miss["q95"]], [y, y], "|-", color="C0", ms=10)
        ax.plot(miss["mean"], y, "o", color="C0")
    ax.set_yticks(range(len(targets)), [str(t.get("outcome")) for t in targets])
    ax.set_ylim(len(targets) - 0.5, -0.5)  # the first target on top, as in the table
    ax.set_xlabel("(predicted - target) / scale")


def _held_out(checks: Sequence[Mapping[str, Any]]) -> str:
    if not checks:
        return html.note(
            "None were given: the spec has no held_out facts, so nothing outside the targets "
            "checks the fit."
        )
    rows = [
        [
            c.get("outcome"),
            c.get("band") or "n/a",
            format_number(c.get("mean")),
            _interval(c.get("q05"), c.get("q95")),
            {True: "pass", False: "MISS"}.get(c.get("passes"), "n/a"),
            c.get("source") or "n/a",
        ]
        for c in checks
    ]
    passed = sum(c.get("passes") is True for c in checks)
    headers = ["outcome", "band", "predicted mean", "90 % interval", "verdict", "source"]
    return html.table(headers, rows, [False, False, True, True, False, False]) + html.note(
        f"{passed} of {len(checks)} pass: a check passes when the predicted mean lies in its "
        "band (a missing prediction does not)."
    )
