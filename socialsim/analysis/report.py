"""One self-contained HTML report of a sweep or of a single run.

:func:`build_report` reads a sweep store (made by ``socialsim sweep``) or a
run's output directory (made by ``socialsim run``) and writes one HTML file
that opens in any browser without a server: figures are embedded as PNG data
URIs, the little CSS there is sits inline, and nothing is fetched from the
network.

A sweep's report has four parts: what was run (spec, design, seeds, versions,
sessions), summary tables (per design point, the mean of each key outcome
over the replications that finished ok with the half-width of its 95 %
Student-t interval, ``t(0.975, n - 1) · sd / sqrt(n)``), figures (penetration
by tier, channel mix, market shares, funnels; response curves, heat maps or
arm comparisons depending on the design), and sensitivity indices when the
design is ``sobol`` or ``morris``. A run's report has its provenance, its
headline totals and the same per-step figures.

Only the columns the figures need are read from the per-step tables (a
column projection, one table at a time), but every ok run's rows of those
columns are read at once; a sweep of many thousands of long runs would want
a streaming aggregation by step instead.

Numbers are shown by :func:`format_number`: whole numbers with thousands
separators, other values of magnitude 1,000 or more to the unit, the rest to
four significant digits.
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import yaml
from matplotlib.axes import Axes

from socialsim.analysis import html
from socialsim.analysis.compare import MIN_REPLICATIONS, point_labels
from socialsim.analysis.html import format_number
from socialsim.analysis.intervals import half_width
from socialsim.errors import ConfigError, Problem

__all__ = ["KEY_OUTCOMES", "build_report", "format_number"]

KEY_OUTCOMES: tuple[str, ...] = (
    "gmv",
    "orders",
    "penetration",
    "penetration_lower_tiers",
    "average_order_value",
    "group_success_rate",
    "livestream_conversion",
    "return_rate",
)
"""Outcomes summarised when none are asked for (those a sweep has; see
:data:`socialsim.experiment.outcomes.DERIVED_OUTCOMES`). Campaign outcomes are
added when a campaign spent money, membership ones when anyone joined."""

LEVEL = 0.95
_MAX_ROWS = 60  # rows of a long table shown in the report; the rest are counted
_SAMPLED = ("random", "lhs", "sobol", "morris")

# --------------------------------------------------------------------------- public API


def build_report(
    directory: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    outcomes: Sequence[str] | None = None,
) -> Path:
    """Write a self-contained HTML report of a sweep or of a single run.

    Parameters
    ----------
    directory : str or Path
        A sweep store (holds ``manifest.json``) or a run's output directory
        (holds ``summary.json`` and ``steps.parquet``).
    out : str or Path, optional
        The HTML file to write; ``report.html`` in `directory` if omitted.
    outcomes : sequence of str, optional
        Outcomes to summarise, plot and analyse (columns of a sweep's runs
        table, or outcomes of a run); :data:`KEY_OUTCOMES` (those present) if
        omitted.

    Returns
    -------
    Path
        The report's path.

    Raises
    ------
    ConfigError
        If `directory` does not exist or is neither a sweep nor a run's
        outputs, or an outcome asked for is unknown (a ``ValueError``).

    Examples
    --------
    >>> import tempfile
    >>> from socialsim import ModelConfig
    >>> from socialsim.experiment import run_simulation, write_run
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_run(run_simulation(ModelConfig.small(300), seed=1, steps=3), tmp)
    ...     path = build_report(tmp)
    ...     text = path.read_text(encoding="utf-8")
    >>> path.name, "Headline totals" in text, "<script" in text
    ('report.html', True, False)
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(
            [
                Problem(
                    "", "does not exist or is not a directory; expected a sweep or run directory"
                )
            ],
            str(directory),
        )
    if (directory / "manifest.json").is_file():
        page = _sweep_report(directory, outcomes)
    elif (directory / "summary.json").is_file() and (directory / "steps.parquet").is_file():
        page = _run_report(directory, outcomes)
    else:
        raise ConfigError(
            [
                Problem(
                    "",
                    "is neither a sweep store (no manifest.json, as 'socialsim sweep' writes) "
                    "nor a run's output directory (no summary.json and steps.parquet, as "
                    "'socialsim run' writes)",
                )
            ],
            str(directory),
        )
    from socialsim.files import atomic_write

    path = directory / "report.html" if out is None else Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: p.write_text(page, encoding="utf-8"))
    return path


# --------------------------------------------------------------------------- statistics


def _mean_ci(values: pd.Series, level: float = LEVEL) -> tuple[float, float, int]:
    """Mean, Student-t half-width (NaN below two values) and count of the finite values."""
    x = pd.to_numeric(values, errors="coerce").astype(float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, n
    return mean, half_width(x.std(ddof=1), n, level), n


_FEW = "⚠"  # marks a mean over fewer than MIN_REPLICATIONS values


def _cell(mean: float, half: float, n: int, expected: int) -> str:
    text = format_number(mean)
    if math.isfinite(half):
        text += f" ± {format_number(half)}"
    if n != expected:
        text += f" (n={n})"
    if 0 < n < MIN_REPLICATIONS:
        text += f" {_FEW}"
    return text


def _few_note(cells: Sequence[str]) -> str:
    """Return a warning for under a table if any of its cells rests on too few values."""
    if not any(str(c).endswith(_FEW) for c in cells):
        return ""
    return html.note(
        f"{_FEW}: fewer than {MIN_REPLICATIONS} values. With 2 the interval's t quantile is "
        "12.7 (one degree of freedom) and with 1 there is none: the interval is too wide or "
        "too unreliable to tell arms apart; run more replications.",
        warn=True,
    )


def _choose_outcomes(
    available: Mapping[str, Any], requested: Sequence[str] | None, extra: Sequence[str]
) -> list[str]:
    if requested is not None:
        unknown = [o for o in requested if o not in available]
        if unknown:
            known = ", ".join(list(available)[:12])
            raise ConfigError(
                [
                    Problem(
                        "outcomes", f"unknown outcome(s) {', '.join(unknown)}; known: {known}, ..."
                    )
                ]
            )
        return list(dict.fromkeys(requested))
    return [o for o in (*KEY_OUTCOMES, *extra) if o in available]


def _extra_outcomes(frame: pd.DataFrame) -> list[str]:
    """Campaign and membership outcomes, when the runs had a campaign or members."""
    extra = []

    def active(column: str) -> bool:
        return column in frame and bool((pd.to_numeric(frame[column], errors="coerce") > 0).any())

    if active("campaign_fees"):
        extra += ["campaign_gmv", "campaign_roi"]
    if active("members"):
        extra += ["members", "membership_fees"]
    return extra


# --------------------------------------------------------------------------- per-step figures


def _step_figures(
    steps: pd.DataFrame,
    platforms: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    pooled: str,
) -> str:
    from socialsim.analysis import plots

    parts = [
        html.figure(
            lambda ax: plots.plot_penetration_bands(steps, ax), f"Penetration by tier{pooled}"
        ),
        html.figure(lambda ax: plots.plot_channel_mix(steps, ax), f"GMV by channel{pooled}"),
        html.figure(
            lambda ax: plots.plot_channel_mix(steps, ax, by="source"), f"GMV by source{pooled}"
        ),
    ]
    if platforms is not None and len(platforms):
        parts.append(
            html.figure(
                lambda ax: plots.plot_market_shares(platforms, ax), f"Market shares{pooled}"
            )
        )
    parts.append(
        html.figure(lambda ax: plots.plot_group_funnel(steps, ax), f"Group buying{pooled}")
    )
    parts.append(
        html.figure(
            lambda ax: plots.plot_livestream_funnel(steps, ax, orders=orders),
            f"Livestream funnel{pooled}",
        )
    )
    body = html.figure_row(parts)
    if platforms is None:
        body += html.note("Market shares: the per-platform table was not kept.")
    return body


_STEP_COLUMNS_PREFIXES = ("penetration_t", "gmv_", "orders_")
_STEP_COLUMNS = (
    "run_id",
    "step",
    "gmv",
    "orders",
    "groups_started",
    "groups_completed",
    "groups_expired",
    "livestream_viewers",
    "returns",
)


def _read_columns(files: list[str], wanted: Callable[[str], bool]) -> pd.DataFrame | None:
    """Read only the wanted columns of a table's part files (schemas may differ)."""
    if not files:
        return None
    schemas = [pq.read_schema(f) for f in files]
    schema = (
        schemas[0]
        if all(s.equals(schemas[0]) for s in schemas)
        else pa.unify_schemas(schemas, promote_options="permissive")
    )
    columns = [name for name in schema.names if wanted(name)]
    return ds.dataset(files, schema=schema, format="parquet").to_table(columns=columns).to_pandas()


# --------------------------------------------------------------------------- sweeps


def _sweep_report(directory: Path, requested: Sequence[str] | None) -> str:
    from socialsim.experiment.store import load_sweep

    sweep = load_sweep(directory)
    manifest = sweep.manifest
    runs = sweep.runs
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    failed = runs[runs["status"] == "failed"] if len(runs) else runs
    available = {
        c: None
        for c in runs.columns
        if c not in ("point", "replication", "seed", *manifest.get("parameters", []))
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
        and not c.endswith("_seconds")
    }
    # asked for, else the outcomes the spec says the experiment is about
    chosen = requested if requested is not None else manifest.get("spec", {}).get("outcomes")
    if chosen is not None and not len(runs):
        outcomes = list(chosen)  # nothing recorded yet: nothing to check against
    else:
        outcomes = _choose_outcomes(available, chosen, _extra_outcomes(ok))

    name = manifest.get("name", "?")
    if manifest.get("variant"):
        name += f" (variant {manifest['variant']})"
    sections = [
        ("run", "What was run", _sweep_provenance(manifest, runs)),
        ("summary", "Summary across replications", _sweep_summary(manifest, ok, failed, outcomes)),
        ("compare", "Arms against the baseline", _comparison(sweep, ok, requested)),
        ("figures", "Figures", _sweep_figures(sweep, ok, outcomes)),
    ]
    kind = manifest.get("spec", {}).get("design", {}).get("kind")
    sections.append(("sensitivity", "Sensitivity indices", _sensitivity(sweep, kind, outcomes)))
    return html.page(f"Sweep report: {name}", sections)


def _sweep_provenance(manifest: Mapping[str, Any], runs: pd.DataFrame) -> str:
    spec = manifest.get("spec", {})
    design = spec.get("design", {})
    kind = design.get("kind", "?")
    planned = len(manifest.get("runs", []))
    statuses = runs["status"].value_counts().to_dict() if len(runs) else {}
    done, failed = int(statuses.get("ok", 0)), int(statuses.get("failed", 0))
    crn = bool(manifest.get("common_random_numbers"))
    key = "(replication,)" if crn else "(point, replication)"
    seeds = (
        f"Each run's seed derives from the root seed {manifest.get('root_seed')} as "
        f"SeedSequence(root, spawn_key={key}), turned into one 63-bit integer recorded in "
        "the runs table ('socialsim run --seed S' with the point's config reproduces a run)."
        + (
            " Common random numbers are on: all points of one replication share their seeds."
            if crn
            else ""
        )
    )
    parts = [
        html.pairs(
            [
                ("name", manifest.get("name")),
                ("variant", manifest.get("variant") or "none"),
                ("description", (manifest.get("description") or "").strip() or "none"),
                ("design", f"{kind}, {len(manifest.get('design', []))} points"),
                ("parameters", ", ".join(manifest.get("parameters", [])) or "none"),
                ("replications", manifest.get("replications")),
                ("steps (days per run)", manifest.get("steps")),
                ("root seed", manifest.get("root_seed")),
                ("common random numbers", "yes" if crn else "no"),
                ("tables kept", ", ".join(manifest.get("outputs", []))),
                (
                    "runs",
                    f"{planned} planned: {done} ok, {failed} failed, "
                    f"{planned - done - failed} not recorded",
                ),
                ("git commit", manifest.get("git_commit") or "not recorded"),
                ("created", manifest.get("created_at")),
                ("started", manifest.get("started_at") or "-"),
                ("finished", manifest.get("finished_at") or "-"),
                ("spec hash", manifest.get("spec_hash")),
                *(
                    [("grown", _growth_text(manifest["extensions"]))]
                    if manifest.get("extensions")
                    else []
                ),
            ]
        ),
        html.note(seeds),
    ]
    if planned - done - failed > 0:
        parts.append(
            html.note(
                f"{planned - done - failed} planned run(s) are not recorded: the sweep is not "
                "complete (run the same 'socialsim sweep' command to resume).",
                warn=True,
            )
        )
    parts.append("<h3>Design points</h3>")
    parts.append(_design_table(manifest))
    parts.append("<h3>Spec</h3>")
    parts.append(html.pre(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)))
    versions = manifest.get("versions", {})
    parts.append("<h3>Versions</h3>")
    parts.append(html.table(["package", "version"], sorted(versions.items())))
    sessions = manifest.get("sessions", [])
    parts.append(f"<h3>Sessions ({len(sessions)})</h3>")
    columns = ["started_at", "finished_at", "executor", "workers", "to_run", "done", "failed"]
    rows = [[*(s.get(c, "") for c in columns), s.get("interrupted", "")] for s in sessions]
    parts.append(html.table([*columns, "interrupted"], [[_plain(v) for v in r] for r in rows]))
    return "".join(parts)


def _growth_text(extensions: list[Mapping[str, Any]]) -> str:
    """Say how a sweep grew: ``from 8 to 12 runs on DATE``, one entry per growth."""
    return "; ".join(
        f"from {e.get('runs_before')} to {e.get('runs_after')} runs on {e.get('at')} "
        f"(spec hash {str(e.get('from_spec_hash'))[:12]} before)"
        for e in extensions
    )


def _plain(value: Any) -> str:
    return "-" if value is None else str(value)


def _design_table(manifest: Mapping[str, Any]) -> str:
    records = manifest.get("design", [])
    parameters = list(manifest.get("parameters", []))
    scenarios = any(r.get("scenario") is not None for r in records)
    headers = ["point", *(["scenario"] if scenarios else []), *parameters]
    rows = []
    for r in records[:_MAX_ROWS]:
        values = [html.design_value(r.get("parameters", {}).get(p)) for p in parameters]
        rows.append([r["point"], *([r.get("scenario") or ""] if scenarios else []), *values])
    text = html.table(headers, rows)
    if len(records) > _MAX_ROWS:
        text += html.note(f"First {_MAX_ROWS} of {len(records)} points (all are in manifest.json).")
    return text


def _point_summary(
    manifest: Mapping[str, Any], ok: pd.DataFrame, outcomes: list[str]
) -> pd.DataFrame:
    """One row per design point with ok runs: n and mean/half-width/count of each outcome."""
    rows = []
    labels = point_labels(manifest)
    for point, group in ok.groupby("point", sort=True):
        row: dict[str, Any] = {"point": int(point), "label": labels.get(int(point), str(point))}
        row["n"] = len(group)
        for outcome in outcomes:
            row[outcome] = _mean_ci(group[outcome]) if outcome in group else (math.nan, math.nan, 0)
        rows.append(row)
    return pd.DataFrame(rows)


def _sweep_summary(
    manifest: Mapping[str, Any], ok: pd.DataFrame, failed: pd.DataFrame, outcomes: list[str]
) -> str:
    parts = [
        html.note(
            f"Per design point: mean ± half-width of the {LEVEL:.0%} Student-t confidence "
            "interval of the mean over the replications that finished ok (n of them; a "
            "value undefined in some runs shows its own n). Outcomes are totals over the "
            "run for flows and end values for levels."
        )
    ]
    if not len(ok):
        parts.append(html.note("No run has finished ok yet: nothing to summarise.", warn=True))
    else:
        summary = _point_summary(manifest, ok, outcomes)
        failed_by_point = failed["point"].value_counts() if len(failed) else pd.Series(dtype=int)
        design = manifest.get("design", [])
        has_scenarios = any(r.get("scenario") is not None for r in design)
        headers = ["point", "scenario" if has_scenarios else "parameters", "n ok", "failed"]
        rows = []
        for record in summary.head(_MAX_ROWS).to_dict("records"):
            cells = [
                record["point"],
                record["label"],
                record["n"],
                int(failed_by_point.get(record["point"], 0)),
            ]
            cells += [_cell(*record[o], record["n"]) for o in outcomes]
            rows.append(cells)
        numeric = [True, False, True, True, *([True] * len(outcomes))]
        parts.append(html.table([*headers, *outcomes], rows, numeric))
        parts.append(_few_note([c for r in rows for c in r[4:]]))
        if len(summary) > _MAX_ROWS:
            parts.append(html.note(f"First {_MAX_ROWS} of {len(summary)} points."))
        parts.append(_share_table(manifest, ok, headers[1]))
        # across the whole design: how much the outcomes vary from point to point
        rows = []
        for outcome in outcomes:
            values = pd.to_numeric(ok[outcome], errors="coerce") if outcome in ok else None
            if values is None:
                continue
            finite = values[np.isfinite(values.astype(float))]
            mean, half, n = _mean_ci(finite)
            rows.append(
                [
                    outcome,
                    n,
                    _cell(mean, half, n, n),
                    format_number(finite.std(ddof=1) if n > 1 else math.nan),
                    format_number(finite.min() if n else math.nan),
                    format_number(finite.max() if n else math.nan),
                ]
            )
        parts.append("<h3>All ok runs together</h3>")
        parts.append(
            html.table(
                ["outcome", "runs", "mean ± CI", "sd", "min", "max"],
                rows,
                [False, True, True, True, True, True],
            )
        )
        parts.append(_few_note([r[2] for r in rows]))
        parts.append(
            html.note(
                "Pooled over every design point: the spread mixes the design's effect with "
                "replication noise."
            )
        )
    parts.append(f"<h3>Failed runs ({len(failed)})</h3>")
    if len(failed):
        rows = [
            [r.run_id, r.point, r.replication, r.error]
            for r in failed.head(_MAX_ROWS).itertuples(index=False)
        ]
        parts.append(html.table(["run id", "point", "replication", "error"], rows))
        if len(failed) > _MAX_ROWS:
            parts.append(html.note(f"First {_MAX_ROWS} of {len(failed)} failed runs."))
    else:
        parts.append(html.note("None."))
    return "".join(parts)


def _share_table(manifest: Mapping[str, Any], ok: pd.DataFrame, label: str) -> str:
    """Return a table of each platform's GMV share per design point, if the runs have them."""
    shares = [c for c in ok.columns if c.startswith("gmv_share_")]
    if not shares:
        return ""
    summary = _point_summary(manifest, ok, shares)
    rows = [
        [r["point"], r["label"], *(_cell(*r[c], r["n"]) for c in shares)]
        for r in summary.head(_MAX_ROWS).to_dict("records")
    ]
    names = [c.removeprefix("gmv_share_") for c in shares]
    return (
        "<h3>GMV share by platform</h3>"
        + html.note(
            "Each platform's share of the GMV of all platforms over the run "
            "(gmv_share_PLATFORM in the runs table), mean ± half-width of the "
            f"{LEVEL:.0%} interval per design point."
        )
        + html.table(["point", label, *names], rows, [True, False, *([True] * len(names))])
        + _few_note([c for r in rows for c in r[2:]])
    )


def _comparison(sweep: Any, ok: pd.DataFrame, requested: Sequence[str] | None) -> str:
    """Return every arm against the baseline arm (scenario designs, any design under CRN)."""
    from socialsim.analysis.compare import compare_arms, comparison_size, draw_comparison

    manifest = sweep.manifest
    kind = manifest.get("spec", {}).get("design", {}).get("kind")
    if kind != "scenarios" and not manifest.get("common_random_numbers"):
        return html.note(
            f"Not shown for a {kind} design without common random numbers: its points are "
            "compared in the summary and figures. 'socialsim compare DIR' sets every point "
            "against point 0 (unpaired, Welch intervals)."
        )
    if len(manifest.get("design", [])) < 2:
        return html.note("A single design point: no arms to compare.")
    if not len(ok):
        return html.note("No run has finished ok yet: nothing to compare.", warn=True)
    try:
        comparison = compare_arms(sweep, outcomes=requested, level=LEVEL)
    except ConfigError as error:
        return html.note(f"Not computed: {error}", warn=True)
    table = comparison.table
    text = comparison.formatted()
    described = comparison.describe()
    parts = [
        html.note(
            f"{described[0].upper()}{described[1:]}. Paired: the difference is the mean of "
            "the per-replication differences (replication r of both arms ran on one seed, "
            "so the noise they share cancels), over the replications ok in both; unpaired: "
            "the difference of the means. Change: the difference over the baseline's mean. "
            "'socialsim compare DIR' writes this table as compare.parquet and compare.csv."
        )
    ]
    rows = [
        [*cells[:6], cells[6], cells[7], "⚠" if warning else ""]
        for cells, warning in zip(
            text.head(_MAX_ROWS).to_numpy().tolist(), table["warning"], strict=False
        )
    ]
    headers = ["outcome", "arm", "n", "baseline mean", "arm mean", "difference"]
    headers += [f"{LEVEL:.0%} CI", "change", ""]
    numeric = [False, False, True, True, True, True, True, True, False]
    parts.append(html.table(headers, rows, numeric))
    if len(table) > _MAX_ROWS:
        parts.append(html.note(f"First {_MAX_ROWS} of {len(table)} rows."))
    parts.extend(html.note(f"⚠ {warning}", warn=True) for warning in comparison.warnings())
    parts.append(
        html.figure_of(
            lambda fig: draw_comparison(
                table, fig, baseline=comparison.baseline, level=comparison.level
            ),
            f"Difference to {comparison.baseline} per outcome ({LEVEL:.0%} CI; blue: the "
            "interval excludes 0; label: relative change)",
            size=comparison_size(table),
        )
    )
    return "".join(parts)


def _sweep_figures(sweep: Any, ok: pd.DataFrame, outcomes: list[str]) -> str:
    manifest = sweep.manifest
    if not len(ok):
        return html.note("No run has finished ok yet: no figures.", warn=True)
    ok_ids = ok["run_id"].tolist()

    def files(table: str) -> list[str]:
        # each part checked against its run's receipt before it is read
        return [str(path) for path in sweep.part_files(table)]

    steps = _read_columns(
        files("steps"),
        lambda c: c in _STEP_COLUMNS or c.startswith(_STEP_COLUMNS_PREFIXES),
    )
    platforms = None
    if "platforms" in manifest.get("outputs", []):
        platforms = _read_columns(
            files("platforms"), lambda c: c in ("run_id", "step", "platform", "gmv")
        )
    orders = None
    if "orders" in manifest.get("outputs", []):
        orders = _read_columns(files("orders"), lambda c: c in ("run_id", "channel", "returned"))
    n_runs = len(ok_ids)
    pooled = f" (all {n_runs} ok runs of every point)" if n_runs > 1 else ""
    parts = ["<h3>Over time and funnels</h3>"]
    if steps is None or not len(steps):
        parts.append(html.note("The per-step tables of the ok runs are missing.", warn=True))
    else:
        parts.append(_step_figures(steps, platforms, orders, pooled))
        parts.append(
            html.note(
                "These pool the runs of all design points; for one point's or one arm's "
                "view, filter load_sweep(DIR).steps by run_id."
            )
        )
    parts.append("<h3>Outcomes across the design</h3>")
    parts.append(_design_figures(manifest, ok, outcomes))
    return "".join(parts)


def _design_figures(manifest: Mapping[str, Any], ok: pd.DataFrame, outcomes: list[str]) -> str:
    from socialsim.analysis import plots

    design = manifest.get("spec", {}).get("design", {})
    kind = design.get("kind")
    parameters = [p for p in manifest.get("parameters", []) if p in ok.columns]
    figures: list[str] = []
    note = ""
    if kind == "scenarios":
        summary = _point_summary(manifest, ok, outcomes)
        for outcome in outcomes:
            figures.append(
                html.figure(
                    lambda ax, o=outcome: _plot_arms(summary, o, ax),
                    f"{outcome} by arm (mean, {LEVEL:.0%} CI)",
                    size=(6, 3.8 + 0.12 * len(summary)),
                )
            )
    elif kind == "grid" and len(parameters) == 2:
        x, y = parameters[1], parameters[0]
        for outcome in outcomes:
            figures.append(
                html.figure(
                    lambda ax, o=outcome: plots.plot_response_heatmap(ok, x, y, o, ax),
                    f"Mean {outcome} over {y} × {x} (in each cell: n and the half-width "
                    f"of the {LEVEL:.0%} interval)",
                )
            )
    elif kind in ("grid", "zip") and parameters:
        shown = parameters if kind == "grid" else parameters[:1]
        for parameter in shown:
            for outcome in outcomes:
                figures.append(
                    html.figure(
                        lambda ax, p=parameter, o=outcome: plots.plot_response(ok, p, o, ax),
                        f"{outcome} vs {parameter} (mean, {LEVEL:.0%} CI)",
                    )
                )
        if kind == "grid" and len(parameters) > 2:
            note = "Each curve averages over the other parameters of the grid."
        elif kind == "zip" and len(parameters) > 1:
            note = f"The zip design moves {', '.join(parameters[1:])} together with {shown[0]}."
    elif kind in _SAMPLED:
        note = (
            f"A {kind} design samples its parameters: see the sensitivity indices (sobol, "
            "morris) and the points table; no response curves are drawn."
        )
    return html.figure_row(figures) + (html.note(note) if note else "")


def _plot_arms(summary: pd.DataFrame, outcome: str, ax: Axes) -> Axes:
    """Horizontal bars of each arm's mean with its confidence interval."""
    stats_ = summary[outcome].tolist()
    means = np.array([s[0] for s in stats_], dtype=float)
    halves = np.array([s[1] for s in stats_], dtype=float)
    position = np.arange(len(summary))
    ax.barh(
        position,
        means,
        xerr=np.where(np.isfinite(halves), halves, 0.0),
        capsize=3,
        color="C0",
    )
    ax.set_yticks(position, summary["label"].tolist())
    ax.invert_yaxis()  # design order, top to bottom
    ax.set(title=f"{outcome} by arm", xlabel=outcome)
    return ax


def _sensitivity(sweep: Any, kind: str | None, outcomes: list[str]) -> str:
    if kind not in ("sobol", "morris"):
        return html.note(
            f"Not computed: sensitivity indices need a sobol or morris design; this one is "
            f"{kind!r}."
        )
    from socialsim.analysis import plots
    from socialsim.analysis.sensitivity import morris_effects, sobol_indices

    compute = sobol_indices if kind == "sobol" else morris_effects
    columns = (
        ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
        if kind == "sobol"
        else ["mu", "mu_star", "mu_star_low", "mu_star_high", "sigma"]
    )
    parts = [
        html.note(
            (
                "First-order (S1) and total (ST) Sobol indices"
                if kind == "sobol"
                else "Morris elementary effects (mu, mu_star = mean |effect|, sigma)"
            )
            + f" of each outcome's mean per design point, with {LEVEL:.0%} bootstrap "
            "intervals (SALib, 1,000 resamples, seed 0)."
        )
    ]
    failures: dict[str, list[str]] = {}
    figures = []
    for outcome in outcomes:
        try:
            table = compute(sweep, outcome)
        except ValueError as error:
            failures.setdefault(str(error), []).append(outcome)
            continue
        parts.append(f"<h3>{html.escape(outcome)}</h3>")
        rows = [
            [r["parameter"], *(format_number(r[c]) for c in columns)]
            for r in table.to_dict("records")
        ]
        parts.append(html.table(["parameter", *columns], rows, [False, *([True] * len(columns))]))
        figures.append(
            html.figure(
                lambda ax, t=table, o=outcome: plots.plot_sensitivity(t, ax, kind=kind).set_title(
                    f"{'Sobol indices' if kind == 'sobol' else 'Morris μ*'}: {o}"
                ),
                f"{kind} indices of {outcome}",
                size=(6, 4.8),  # room for the rotated, dotted parameter names
            )
        )
    if figures:
        parts.append("<h3>Charts</h3>")
        parts.append(html.figure_row(figures))
    for message, names in failures.items():
        parts.append(html.note(f"Indices unavailable for {', '.join(names)}: {message}", warn=True))
    return "".join(parts)


# --------------------------------------------------------------------------- single runs


def _run_report(directory: Path, requested: Sequence[str] | None) -> str:
    from socialsim.experiment.outcomes import run_outcomes

    try:
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [Problem("summary.json", f"is not valid JSON ({exc})")], str(directory)
        ) from None
    steps = pd.read_parquet(directory / "steps.parquet")
    tiers = _optional(directory / "tiers.parquet")
    platforms = _optional(directory / "platforms.parquet")
    orders = _optional(directory / "orders.parquet", columns=["channel", "returned"])
    n_consumers = int(summary.get("n_consumers") or 0)
    brands = _optional(directory / "brands.parquet")
    exports = _optional(directory / "exports.parquet")
    values = (
        run_outcomes(steps, tiers, n_consumers, platforms=platforms, brands=brands, exports=exports)
        if n_consumers
        else {}
    )
    outcomes = _choose_outcomes(values, requested, _extra_outcomes(pd.DataFrame([values])))

    provenance = [
        html.pairs(
            [
                (k, _plain(v) if "seed" in k else _summary_value(v))
                for k, v in summary.items()
                if k != "penetration_by_tier"
            ]
        ),
        html.note(
            "A run's outputs do not record the git commit; the config hash and versions "
            "identify the model. Reproduce the run with 'socialsim run config.yaml' (the "
            "resolved config holds the seed and the number of days)."
        ),
    ]
    config = directory / "config.yaml"
    if config.is_file():
        text = config.read_text(encoding="utf-8")
        provenance.append(
            f"<details><summary>Resolved config (config.yaml, {len(text.splitlines())} lines)"
            f"</summary>{html.pre(text)}</details>"
        )
    else:
        provenance.append(html.note("config.yaml is missing.", warn=True))

    aov = summary.get("average_order_value")
    headline = [
        ("consumers", format_number(summary.get("n_consumers"))),
        ("days", format_number(summary.get("steps"))),
        ("seed", _plain(summary.get("seed"))),
        ("GMV (RMB)", format_number(summary.get("gmv"))),
        ("orders", format_number(summary.get("orders"))),
        ("average order (RMB)", format_number(aov)),
        ("customers", format_number(summary.get("customers"))),
        ("penetration", format_number(summary.get("penetration"))),
    ]
    for tier, share in (summary.get("penetration_by_tier") or {}).items():
        headline.append((f"penetration {tier}", format_number(share)))
    totals = [html.pairs(headline)]
    if outcomes:
        totals.append("<h3>Key outcomes</h3>")
        totals.append(
            html.table(
                ["outcome", "value"],
                [(o, format_number(values.get(o))) for o in outcomes],
                [False, True],
            )
        )
        totals.append(
            html.note("Totals over the run for flows, end values for levels (as a sweep records).")
        )
    figures = [_step_figures(steps, platforms, orders, "")]
    dashboard = directory / "dashboard.png"
    if dashboard.is_file():
        data = base64.b64encode(dashboard.read_bytes()).decode("ascii")
        figures.append(
            '<h3>Dashboard</h3><figure><img alt="dashboard" '
            f'src="data:image/png;base64,{data}"><figcaption>dashboard.png</figcaption></figure>'
        )
    sections = [
        ("run", "What was run", "".join(provenance)),
        ("summary", "Headline totals", "".join(totals)),
        ("figures", "Figures", "".join(figures)),
    ]
    return html.page(f"Run report: {directory.name} (seed {summary.get('seed')})", sections)


def _optional(path: Path, columns: list[str] | None = None) -> pd.DataFrame | None:
    return pd.read_parquet(path, columns=columns) if path.is_file() else None


def _summary_value(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return _plain(value)
