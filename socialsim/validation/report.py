"""``socialsim validate``: run every check and write the report, calibration targets apart.

The checks fall in two sections. **Calibration targets** are the facts and
market figures some default was tuned to reach; each names the parameters
tuned, and passing one shows that the tuning still holds, not that the model
is right. **Held-out checks** were used to set nothing: the docking checks
(the model reduced to the Bass model, the Independent Cascade and network
Bass, and the vectorised decision path against the per-agent reference),
the S-curve of group adoption and the market figures nobody tuned to.

The report directory holds ``report.md`` (both sections, each check with its
value, its tolerance or confidence interval, its band, its source and the
tuned parameters), ``checks.csv`` (the same table) and the figures: the Bass
curves, the Independent Cascade spread against theory, network Bass between
its bounds, the reference docking, and one figure per stylized fact and for
the market.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from tqdm import tqdm

from socialsim.calibration.record import CalibrationRecord, posterior_draws
from socialsim.config.schema import ModelConfig
from socialsim.validation import docking
from socialsim.validation.checks import Check, Kind, checks_table
from socialsim.validation.facts import FACTS, check_fact_world, check_facts, run_fact_worlds
from socialsim.validation.market import NOT_CHECKED, check_market

__all__ = ["SECTIONS", "SIZES", "Check", "ValidationReport", "validate"]

#: Z of the docking tolerances: Bonferroni over about 30 steps at familywise 0.002.
Z = docking.TOLERANCE_Z

SECTIONS: tuple[tuple[Kind, str, str], ...] = (
    (
        Kind.CALIBRATION,
        "Calibration targets",
        "Some default was tuned to reach each of these (the tuned parameters are named): "
        "a pass shows the tuning holds, not that the model is right.",
    ),
    (
        Kind.HELD_OUT,
        "Held-out checks",
        "No default was tuned to these: docking against known models, and facts and market "
        "figures used to set nothing. A pass here is evidence.",
    ),
)
"""The report's sections in order: the kind of check, the heading and what it means."""


@dataclass(frozen=True)
class _Sizes:
    bass_n: int
    bass_replications: int
    bass_steps: int
    substeps: int
    substep_replications: int
    cascade_n: int
    cascade_runs: int
    network_n: int
    network_replications: int
    fact_replications: int
    large_bass_n: int = 100_000
    large_bass_replications: int = 1
    reference_n: int = 1_000
    reference_steps: int = 25
    reference_replications: int = 20


SIZES: dict[str, _Sizes] = {
    "quick": _Sizes(500, 20, 30, 5, 10, 2_000, 100, 2_000, 10, 5, 100_000, 1, 1_000, 25, 20),
    "full": _Sizes(1_000, 50, 30, 10, 20, 10_000, 400, 10_000, 20, 10, 100_000, 5, 1_000, 25, 50),
}
"""Run sizes of ``socialsim validate --quick`` and of the full version."""


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate` found and wrote.

    Attributes
    ----------
    checks : list of Check
        Every check: calibration targets, then held-out checks.
    directory : Path
        Where the report was written.
    seconds : float
        Wall time.
    cpu_seconds : float
        CPU time of this process (all threads).
    """

    checks: list[Check]
    directory: Path
    seconds: float
    cpu_seconds: float = math.nan

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)

    def section(self, kind: Kind) -> list[Check]:
        """Return the checks of one kind, in report order."""
        return [c for c in self.checks if c.kind == kind]

    def table(self) -> pd.DataFrame:
        """Return the checks as a table (see :func:`~socialsim.validation.checks.checks_table`)."""
        return checks_table(self.checks)


def validate(
    out: str | Path,
    *,
    base: ModelConfig | None = None,
    quick: bool = False,
    seed: int = 1,
    progress: bool = False,
    posterior: CalibrationRecord | None = None,
) -> ValidationReport:
    """Run the docking checks, the stylized facts and the market checks; write the report.

    Parameters
    ----------
    out : str or Path
        Report directory (created; files in it are overwritten).
    base : ModelConfig, optional
        The world the stylized facts and market checks are measured on; the
        default world if omitted. It needs at least ``REGULATION_DAY + 10``
        steps and a ``yunji`` platform.
    quick : bool
        Smaller runs (:data:`SIZES` ``"quick"``), a few minutes on two cores.
    seed : int
        Root seed of every run.
    progress : bool
        Show progress bars.
    posterior : CalibrationRecord, optional
        A calibration whose posterior the fact and market worlds are drawn
        from, one parameter set per replication (systematic resampling,
        :func:`~socialsim.calibration.record.posterior_draws`): the checks then
        measure the posterior predictive, the calibration's uncertainty
        included. ``socialsim validate`` passes the default world's record.

    Returns
    -------
    ValidationReport
        Its checks are ordered as the report's sections (:data:`SECTIONS`).
    """
    started, cpu = time.perf_counter(), time.process_time()
    sizes = SIZES["quick" if quick else "full"]
    check_fact_world(base)  # before hours of docking runs, not after
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    checks = [
        *_bass_checks(sizes, seed, directory, progress),
        _large_bass_check(sizes, seed, directory, progress),
        _cascade_check(sizes, seed, directory, progress),
        *_network_checks(sizes, seed, directory, progress),
        _reference_check(sizes, seed, directory, progress),
    ]
    draws = None
    if posterior is not None:
        draws = posterior_draws(posterior, sizes.fact_replications, seed)
    runs = run_fact_worlds(
        base, replications=sizes.fact_replications, seed=seed, progress=progress, draws=draws
    )
    measured = [*check_facts(runs), *check_market(runs.default)]
    _area_figures(measured, directory)
    checks += measured
    ordered = [c for kind, _, _ in SECTIONS for c in checks if c.kind == kind]
    report = ValidationReport(
        ordered, directory, time.perf_counter() - started, time.process_time() - cpu
    )
    report.table().to_csv(directory / "checks.csv", index=False)
    text = _markdown(report, sizes, seed, quick)
    if posterior is not None and draws is not None:
        text += (
            "\n## Posterior predictive\n\nEach replication of the fact and market worlds ran "
            f"with parameters drawn from the posterior of {posterior.describe()}:\n\n"
            + "".join(f"- replication {r}: {_draw_text(d)}\n" for r, d in enumerate(draws))
        )
    (directory / "report.md").write_text(text)
    return report


def _draw_text(draw: Mapping[str, Any]) -> str:
    return ", ".join(f"`{k}` = {v:.4g}" for k, v in draw.items())


# ------------------------------------------------------------------------ docking


def _docking(
    name: str, measure: str, value: float, lower: float, upper: float, band: str, source: str
) -> Check:
    return Check(
        name, "docking", measure, lower, upper, band, source, Kind.HELD_OUT, rule="value"
    ).measured([value])


def _bass_checks(sizes: _Sizes, seed: int, directory: Path, progress: bool) -> list[Check]:
    p, q, n, steps = docking.BASS_P, docking.BASS_Q, sizes.bass_n, sizes.bass_steps
    t = np.arange(steps + 1)
    discrete = docking.bass_runs(n, p, q, steps, sizes.bass_replications, seed, progress=progress)
    exact, sd = docking.bass_expectation(n, p, q, steps)
    k = sizes.substeps
    fine = docking.bass_runs(
        n, p, q, steps, sizes.substep_replications, seed, substeps=k, progress=progress
    )
    exact_k, sd_k = docking.bass_expectation(n, p, q, steps, substeps=k)
    recursion = docking.bass_recursion(p, q, steps)
    continuous = docking.continuous_bass(p, q, t)

    figure = Figure(figsize=(10, 4), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    _curve_panel(left, t, discrete, "model, 1 step per period")
    left.plot(t, recursion, "k--", label="Bass recursion")
    left.set_title(f"Discrete Bass, n = {n}, p = {p}, q = {q}")
    _curve_panel(right, t, fine, f"model, {k} steps per period")
    right.plot(t, continuous, "k--", label="continuous Bass curve")
    right.set_title("Continuous Bass")
    for ax in (left, right):
        ax.set_xlabel("period")
        ax.legend(loc="lower right")
    left.set_ylabel("adopted fraction F")
    figure.savefig(directory / "bass.png", dpi=120)

    rows = []
    for name, runs, mean, spread, target, label in (
        ("bass_discrete", discrete, exact, sd, recursion, "the Bass recursion"),
        ("bass_continuous", fine, exact_k, sd_k, continuous, "the continuous Bass curve"),
    ):
        z = _max_z(runs.mean(axis=0), mean, spread / math.sqrt(len(runs)))
        gap = float(np.abs(runs.mean(axis=0) - target).max())
        rows.append(
            _docking(
                name,
                f"largest |model mean - exact expectation| over the steps, in standard errors "
                f"({len(runs)} runs of {n} consumers on the complete graph); the largest gap "
                f"to {label} is {gap:.4f}, the exact finite-n expectation's "
                f"{_gap(mean, target):.4f}",
                z,
                0.0,
                Z,
                f"<= {Z:g}: standard errors, Bonferroni over {steps} steps",
                "Bass (1969); the exact distribution of the stochastic Bass process "
                "(docking.bass_expectation)",
            )
        )
    return rows


def _large_bass_check(sizes: _Sizes, seed: int, directory: Path, progress: bool) -> Check:
    p, q, n, steps = docking.BASS_P, docking.BASS_Q, sizes.large_bass_n, sizes.bass_steps
    runs = docking.bass_runs(
        n,
        p,
        q,
        steps,
        sizes.large_bass_replications,
        seed,
        mixing="population",
        progress=progress,
    )
    recursion = docking.bass_recursion(p, q, steps)
    error = float(np.abs(runs.mean(axis=0) - recursion).max())
    # 0.01 at 100,000 consumers; a smaller world's noise is larger by sqrt(100,000 / n)
    band = 0.01 * max(1.0, math.sqrt(100_000 / n))
    t = np.arange(steps + 1)
    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.subplots()
    _curve_panel(ax, t, runs, f"model, {n:,} consumers, population mixing")
    ax.plot(t, recursion, "k--", label="Bass recursion")
    ax.set_xlabel("period")
    ax.set_ylabel("adopted fraction F")
    ax.set_title(f"Bass at scale: largest error {error:.4f}")
    ax.legend(loc="lower right")
    figure.savefig(directory / "bass_large.png", dpi=120)
    return _docking(
        "bass_large_population",
        f"largest |model mean - Bass recursion| over {steps} periods, {n:,} consumers "
        f"({len(runs)} run(s)), every consumer's social proof the adopted share of all "
        "(population mixing, no graph)",
        error,
        0.0,
        band,
        f"<= {band:.3g}: one run's sampling noise is about 0.005 at 100,000 consumers "
        "and grows as 1/sqrt(consumers)",
        "Bass (1969): F_t = F_{t-1} + (p + q F_{t-1})(1 - F_{t-1})",
    )


def _cascade_check(sizes: _Sizes, seed: int, directory: Path, progress: bool) -> Check:
    n, c, p = sizes.cascade_n, 4.0, 0.5
    graph = nx.fast_gnp_random_graph(n, c / n, seed=seed)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n, size=sizes.cascade_runs)
    spread = np.array(
        [
            docking.cascade_sizes(graph, [int(v)], p, runs=1, seed=seed + i)[0]
            for i, v in enumerate(tqdm(starts, desc="cascade", disable=not progress, leave=False))
        ],
        dtype=np.float64,
    )
    s, theory = docking.giant_component_spread(n, c, p)
    se = spread.std(ddof=1) / math.sqrt(spread.size)
    z = abs(spread.mean() - theory) / se
    big = spread > n / 10

    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.subplots()
    ax.hist(spread / n, bins=40, color="tab:blue", alpha=0.7, label="model, one random seed")
    ax.axvline(s, color="k", ls="--", label=f"giant component s = {s:.3f}")
    ax.axvline(spread.mean() / n, color="tab:red", label=f"mean {spread.mean() / n:.3f}")
    ax.axvline(s * s, color="tab:green", ls=":", label=f"theory s² = {s * s:.3f}")
    ax.set_xlabel("final spread / n")
    ax.set_ylabel("runs")
    ax.set_title(f"Independent Cascade on G(n, c/n), n = {n}, c = {c:g}, p = {p:g}")
    ax.legend()
    figure.savefig(directory / "cascade.png", dpi=120)
    return _docking(
        "cascade_giant_component",
        f"|mean spread - n s²| in standard errors over {spread.size} random seeds (mean "
        f"{spread.mean():.0f}, theory {theory:.0f}); {big.mean():.2f} of runs went large "
        f"(theory s = {s:.3f}), reaching "
        f"{spread[big].mean() / n if big.any() else 0:.3f} n on average",
        float(z),
        0.0,
        Z,
        f"<= {Z:g}: standard errors",
        "Kempe, Kleinberg and Tardos (2003); the giant component of G(n, cp/n)",
    )


def _network_checks(sizes: _Sizes, seed: int, directory: Path, progress: bool) -> list[Check]:
    p, q, steps = docking.BASS_P, docking.BASS_Q, sizes.bass_steps
    t = np.arange(steps + 1)
    graph = nx.watts_strogatz_graph(sizes.network_n, 4, 0.0, seed=seed)
    bounds = docking.network_bass_bounds(
        graph, p, q, steps, sizes.network_replications, seed, progress=progress
    )

    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.subplots()
    _curve_panel(ax, t, bounds.network, "model on a ring lattice (degree 4)")
    ax.plot(t, bounds.mean_field, "k--", label="mean field (Bass recursion)")
    ax.plot(t, bounds.silent.mean(axis=0), "k:", label="same world, word of mouth off (q = 0)")
    ax.set_xlabel("period")
    ax.set_ylabel("adopted fraction F")
    ax.set_title("Network Bass: between silence and the mean field")
    ax.legend(loc="lower right")
    figure.savefig(directory / "network_bass.png", dpi=120)
    where = f"on a ring lattice of {sizes.network_n} consumers ({len(bounds.network)} runs)"
    return [
        _docking(
            "network_bass_no_faster_than_mean_field",
            f"largest (model mean - mean field) over the steps, in standard errors, {where}",
            bounds.ahead_of_mean_field,
            -math.inf,
            Z,
            f"<= {Z:g}: adoption on a sparse network does not run ahead of the mean field",
            "Fibich and Gibori (2010)",
        ),
        _docking(
            "network_bass_faster_than_silent",
            f"largest (model mean - same world with q = 0) over the steps, in standard errors "
            f"of the difference, {where}; the largest gain in adopted share is "
            f"{bounds.largest_gain:.3f}",
            bounds.lead_over_silent,
            Z,
            math.inf,
            f">= {Z:g}: word of mouth must speed adoption up, clearly",
            "Bass (1969): imitation q > 0 (Sultan, Farley and Lehmann 1990: q = 0.38)",
        ),
    ]


def _reference_check(sizes: _Sizes, seed: int, directory: Path, progress: bool) -> Check:
    docked = docking.reference_docking(
        sizes.reference_n,
        sizes.reference_steps,
        sizes.reference_replications,
        seed,
        progress=progress,
    )
    welch = docked.welch_z()
    names = list(docking.REFERENCE_OUTCOMES)
    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.subplots()
    scale = docked.reference[names].mean()
    for k, name in enumerate(names):
        for offset, frame, colour, label in (
            (-0.15, docked.reference, "tab:gray", "per-agent reference"),
            (0.15, docked.fast, "tab:blue", "vectorised model"),
        ):
            values = frame[name] / scale[name]
            ax.scatter(
                np.full(len(values), k + offset),
                values,
                s=10,
                alpha=0.6,
                color=colour,
                label=label if k == 0 else None,
            )
    ax.set_xticks(range(len(names)), [f"{n}\nz = {welch[n]:+.1f}" for n in names], fontsize=8)
    ax.set_ylabel("run total / reference mean")
    ax.set_title("Default decision path: vectorised model against the per-agent reference")
    ax.legend(fontsize=8)
    figure.savefig(directory / "reference.png", dpi=120)
    return _docking(
        "reference_default_path",
        f"largest |Welch z| of five run totals ({', '.join(names)}) between the vectorised "
        f"model and the per-agent reference, {len(docked.reference)} runs each of "
        f"{sizes.reference_n:,} consumers over {sizes.reference_steps} days (logit link, "
        "share social proof, search and word-of-mouth offers, two platforms)",
        docked.worst_z,
        0.0,
        Z,
        f"<= {Z:g}: standard errors of the difference, 1.5e-3 familywise for a correct model",
        "socialsim.reference, the same rules written per agent (Axtell et al. 1996: docking "
        "in distribution)",
    )


def _curve_panel(ax: Axes, t: np.ndarray, runs: np.ndarray, label: str) -> None:
    mean = runs.mean(axis=0)
    ax.fill_between(t, runs.min(axis=0), runs.max(axis=0), color="tab:blue", alpha=0.2)
    ax.plot(t, mean, color="tab:blue", label=f"{label} (mean, range)")


def _max_z(mean: np.ndarray, expected: np.ndarray, se: np.ndarray) -> float:
    """Largest gap in standard errors, over the steps where the spread is not zero."""
    defined = se > 0
    if not defined.any():
        return 0.0
    return float((np.abs(mean - expected)[defined] / se[defined]).max())


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max())


# ------------------------------------------------------------------------ facts and market


def _area_figures(checks: Sequence[Check], directory: Path) -> None:
    """One figure per area (``fact N``, ``market``): replications, mean and CI, band."""
    areas = dict.fromkeys(c.area for c in checks)
    for area in areas:
        mine = [c for c in checks if c.area == area]
        columns = min(len(mine), 5)
        rows = math.ceil(len(mine) / columns)
        figure = Figure(figsize=(3.0 * columns + 0.5, 3.2 * rows), layout="constrained")
        axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
        for ax, check in zip(axes, mine, strict=False):
            _check_panel(ax, check)
        for ax in axes[len(mine) :]:
            ax.set_visible(False)
        axes[0].legend(fontsize=7)
        title = f"Fact {area.split()[-1]}" if area.startswith("fact") else area.capitalize()
        figure.suptitle(title, fontsize=10)
        figure.savefig(directory / f"{_figure_name(area)}.png", dpi=110)


def _check_panel(ax: Axes, check: Check) -> None:
    values = np.array(check.values, dtype=np.float64)
    low, high = check.interval
    ax.scatter(np.zeros(values.size), values, color="tab:blue", alpha=0.6, label="runs")
    if math.isfinite(check.value):
        ax.errorbar(
            [0.25],
            [check.value],
            yerr=[[check.value - low], [high - check.value]],
            fmt="o",
            color="tab:green" if check.passed else "tab:red",
            capsize=4,
            label="mean, 95 % CI",
        )
    finite = values[np.isfinite(values)]
    span = [*finite, check.lower, check.upper]
    span = [v for v in span if math.isfinite(v)] or [0.0, 1.0]
    top = check.upper if math.isfinite(check.upper) else max(span) * 1.5 + 1
    bottom = check.lower if math.isfinite(check.lower) else min(span) - 1
    ax.axhspan(bottom, top, color="tab:green", alpha=0.1, label="band")
    ax.set_xlim(-0.5, 0.75)
    ax.set_xticks([])
    kind = "target" if check.kind == Kind.CALIBRATION else "held-out"
    ax.set_title(f"{check.name.replace('_', ' ')}\n({kind})", fontsize=8)


def _figure_name(area: str) -> str:
    return area.replace(" ", "_")


# ------------------------------------------------------------------------ report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _interval_text(check: Check) -> str:
    if check.rule == "value":
        return "—"
    low, high = check.interval
    return f"[{low:.4g}, {high:.4g}]"


def _markdown(report: ValidationReport, sizes: _Sizes, seed: int, quick: bool) -> str:
    passed = sum(c.passed for c in report.checks)
    lines = [
        f"# socialsim validation ({'quick' if quick else 'full'})",
        "",
        f"Seed {seed}; {report.seconds:.0f} s wall, {report.cpu_seconds:.0f} s CPU. "
        f"**{passed} of {len(report.checks)} checks passed**: "
        + "; ".join(
            f"{heading.lower()} {sum(c.passed for c in report.section(kind))} of "
            f"{len(report.section(kind))}"
            for kind, heading, _ in SECTIONS
        )
        + ".",
        "",
        f"Facts and market checks are measured on {sizes.fact_replications} replications "
        "of the world (fact 6 also on the same world with a regulator acting on Yunji on "
        "day 60); such a check passes when the whole 95 % confidence interval of its mean "
        "lies in its band. A docking check's value is already a statistic with its "
        "tolerance.",
        "",
    ]
    for kind, heading, meaning in SECTIONS:
        mine = report.section(kind)
        lines += [f"## {heading}", "", meaning, ""]
        tuned = kind == Kind.CALIBRATION
        header = "| area | check | value | 95 % CI | band | result | source |"
        rule = "|---|---|---:|---|---|---|---|"
        if tuned:
            header += " tuned |"
            rule += "---|"
        lines += [header, rule]
        for c in mine:
            row = (
                f"| {c.area} | {c.name} | {c.value:.4g} | {_interval_text(c)} | "
                f"{_cell(c.band)} | {'pass' if c.passed else '**FAIL**'} | {_cell(c.source)} |"
            )
            if tuned:
                row += f" {_cell(', '.join(c.tuned))} |"
            lines.append(row)
        lines += ["", "What each measures:", ""]
        for c in mine:
            note = f" *{c.note}*" if c.note else ""
            lines.append(f"- **{c.name}** ({c.area}): {c.measure}.{note}")
        lines.append("")
    lines += ["## Not checked", ""]
    lines += [f"- **{name}**: {why}" for name, why in NOT_CHECKED.items()]
    lines += [
        "",
        "## Figures",
        "",
        "Docking: the model's own word-of-mouth code, reduced by configuration "
        "(`socialsim.validation.diffusion_config`), against the Bass model under complete "
        f"mixing ({sizes.bass_n} consumers on the complete graph, with 1 and "
        f"{sizes.substeps} steps per period, and {sizes.large_bass_n:,} consumers under "
        "population mixing), against the Independent Cascade on an Erdős–Rényi graph and, "
        "on a sparse ring lattice, between the same world without word of mouth and the "
        "mean field; and the vectorised decision path against the per-agent reference.",
        "",
        "![Bass](bass.png)",
        "",
        "![Bass at scale](bass_large.png)",
        "",
        "![Independent Cascade](cascade.png)",
        "",
        "![Network Bass](network_bass.png)",
        "",
        "![Reference docking](reference.png)",
        "",
    ]
    areas = dict.fromkeys(c.area for c in report.checks if c.area != "docking")
    for area in areas:
        if area.startswith("fact"):
            fact = int(area.split()[-1])
            lines += [f"### Fact {fact}", "", FACTS[fact], ""]
        else:
            lines += [f"### {area.capitalize()}", ""]
        lines += [f"![{area}]({_figure_name(area)}.png)", ""]
    return "\n".join(lines)
