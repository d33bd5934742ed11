"""``socialsim validate``: run the docking checks and the stylized facts, write the report.

The report directory holds ``report.md`` (every check with its value, its
tolerance or confidence interval, the expected range and pass or fail),
``checks.csv`` (the same table) and the figures: the Bass curves side by side,
the Independent Cascade spread against theory, network Bass against the mean
field, and one figure per stylized fact.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from tqdm import tqdm

from socialsim.config.schema import ModelConfig
from socialsim.validation import docking
from socialsim.validation.facts import (
    FACTS,
    FactCheck,
    check_fact_world,
    check_facts,
    run_fact_worlds,
)

__all__ = ["SIZES", "Check", "ValidationReport", "validate"]

#: Z of the docking tolerances: Bonferroni over about 30 steps at familywise 0.002.
Z = 4.0


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


SIZES: dict[str, _Sizes] = {
    "quick": _Sizes(500, 20, 30, 5, 10, 2_000, 100, 2_000, 10, 5),
    "full": _Sizes(1_000, 50, 30, 10, 20, 10_000, 400, 10_000, 20, 10),
}
"""Run sizes of ``socialsim validate --quick`` and of the full version."""


@dataclass(frozen=True)
class Check:
    """One row of the report.

    Attributes
    ----------
    area : str
        ``docking`` or ``fact N``.
    name : str
        Short identifier.
    measure : str
        What is measured.
    value : float
        The measured value.
    interval : str
        Its tolerance or 95 % confidence interval, as text.
    expected : str
        The expected range and its source.
    passed : bool
        Whether the check passed.
    """

    area: str
    name: str
    measure: str
    value: float
    interval: str
    expected: str
    passed: bool


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate` found and wrote.

    Attributes
    ----------
    checks : list of Check
        Every check, docking first.
    directory : Path
        Where the report was written.
    seconds : float
        Wall time.
    """

    checks: list[Check]
    directory: Path
    seconds: float

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)

    def table(self) -> pd.DataFrame:
        """Return the checks as a table."""
        return pd.DataFrame([c.__dict__ for c in self.checks])


def validate(
    out: str | Path,
    *,
    base: ModelConfig | None = None,
    quick: bool = False,
    seed: int = 1,
    progress: bool = False,
) -> ValidationReport:
    """Run the docking checks and the stylized facts and write the report to `out`.

    Parameters
    ----------
    out : str or Path
        Report directory (created; files in it are overwritten).
    base : ModelConfig, optional
        The world the stylized facts are measured on; the default world if
        omitted. It needs at least ``REGULATION_DAY + 10`` steps.
    quick : bool
        Smaller runs (:data:`SIZES` ``"quick"``), a few minutes on two cores.
    seed : int
        Root seed of every run.
    progress : bool
        Show progress bars.

    Returns
    -------
    ValidationReport
    """
    started = time.perf_counter()
    sizes = SIZES["quick" if quick else "full"]
    check_fact_world(base)  # before hours of docking runs, not after
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    checks = [
        *_bass_checks(sizes, seed, directory, progress),
        _cascade_check(sizes, seed, directory, progress),
        _network_check(sizes, seed, directory, progress),
    ]
    runs = run_fact_worlds(base, replications=sizes.fact_replications, seed=seed, progress=progress)
    facts = check_facts(runs)
    checks += [_fact_row(c) for c in facts]
    _fact_figures(facts, directory)
    report = ValidationReport(checks, directory, time.perf_counter() - started)
    report.table().to_csv(directory / "checks.csv", index=False)
    (directory / "report.md").write_text(_markdown(report, sizes, seed, quick))
    return report


# ------------------------------------------------------------------------ docking


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
            Check(
                "docking",
                name,
                f"largest |model mean - exact expectation| over the steps, in standard errors "
                f"({len(runs)} runs of {n} consumers); the largest gap to {label} is {gap:.4f}",
                z,
                f"<= {Z:g}",
                f"<= {Z:g} standard errors (Bonferroni over {steps} steps); the exact "
                f"finite-n expectation is within {_gap(mean, target):.4f} of {label}",
                z <= Z,
            )
        )
    return rows


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
    return Check(
        "docking",
        "cascade_giant_component",
        f"|mean spread - n s²| in standard errors over {spread.size} random seeds; "
        f"{big.mean():.2f} of runs went large (theory s = {s:.3f}), reaching "
        f"{spread[big].mean() / n if big.any() else 0:.3f} n on average",
        float(z),
        f"mean {spread.mean():.0f} ± {Z * se:.0f}",
        f"<= {Z:g}: n s² = {theory:.0f} (Kempe et al. 2003; giant component of G(n, cp/n))",
        bool(z <= Z),
    )


def _network_check(sizes: _Sizes, seed: int, directory: Path, progress: bool) -> Check:
    p, q, steps = docking.BASS_P, docking.BASS_Q, sizes.bass_steps
    t = np.arange(steps + 1)
    graph = nx.watts_strogatz_graph(sizes.network_n, 4, 0.0, seed=seed)
    runs = docking.network_bass_runs(
        graph, p, q, steps, sizes.network_replications, seed, progress=progress
    )
    mean_field = docking.bass_recursion(p, q, steps)
    se = runs.std(axis=0, ddof=1) / math.sqrt(len(runs))
    ahead = (runs.mean(axis=0) - mean_field) / np.where(se > 0, se, np.inf)
    worst = float(ahead.max())

    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.subplots()
    _curve_panel(ax, t, runs, "model on a ring lattice (degree 4)")
    ax.plot(t, mean_field, "k--", label="mean field (Bass recursion)")
    ax.set_xlabel("period")
    ax.set_ylabel("adopted fraction F")
    ax.set_title("Network Bass: no faster than the mean field")
    ax.legend(loc="lower right")
    figure.savefig(directory / "network_bass.png", dpi=120)
    return Check(
        "docking",
        "network_bass_bound",
        f"largest (model mean - mean field) over the steps, in standard errors, on a ring "
        f"lattice of {sizes.network_n} consumers ({len(runs)} runs)",
        worst,
        f"<= {Z:g}",
        f"<= {Z:g}: adoption on a sparse network does not run ahead of the mean field "
        "(Fibich and Gibori 2010)",
        worst <= Z,
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


# ------------------------------------------------------------------------ facts


def _fact_row(check: FactCheck) -> Check:
    low, high = check.interval
    return Check(
        f"fact {check.fact}",
        check.name,
        check.measure,
        check.value,
        f"[{low:.3g}, {high:.3g}]",
        check.expected,
        check.passed,
    )


def _fact_figures(checks: list[FactCheck], directory: Path) -> None:
    for fact in FACTS:
        mine = [c for c in checks if c.fact == fact]
        if not mine:
            continue
        figure = Figure(figsize=(3.2 * len(mine) + 0.5, 3.4), layout="constrained")
        axes = np.atleast_1d(figure.subplots(1, len(mine)))
        for ax, check in zip(axes, mine, strict=True):
            values = np.array(check.values)
            low, high = check.interval
            ax.scatter(np.zeros(values.size), values, color="tab:blue", alpha=0.6, label="runs")
            ax.errorbar(
                [0.25],
                [check.value],
                yerr=[[check.value - low], [high - check.value]],
                fmt="o",
                color="tab:red" if not check.passed else "tab:green",
                capsize=4,
                label="mean, 95 % CI",
            )
            top = check.upper if math.isfinite(check.upper) else max(high, check.lower) * 1.5 + 1
            bottom = check.lower if math.isfinite(check.lower) else min(low, check.upper) - 1
            ax.axhspan(bottom, top, color="tab:green", alpha=0.1, label="expected")
            ax.set_xlim(-0.5, 0.75)
            ax.set_xticks([])
            ax.set_title(check.name.replace("_", " "), fontsize=9)
        axes[0].legend(fontsize=7)
        figure.suptitle(f"Fact {fact}", fontsize=10)
        figure.savefig(directory / f"fact_{fact}.png", dpi=110)


# ------------------------------------------------------------------------ report


def _markdown(report: ValidationReport, sizes: _Sizes, seed: int, quick: bool) -> str:
    lines = [
        f"# socialsim validation ({'quick' if quick else 'full'})",
        "",
        f"Seed {seed}; {report.seconds:.0f} s. "
        f"**{sum(c.passed for c in report.checks)} of {len(report.checks)} checks passed.**",
        "",
        "| area | check | value | tolerance or 95 % CI | expected | result |",
        "|---|---|---:|---|---|---|",
    ]
    for c in report.checks:
        lines.append(
            f"| {c.area} | {c.name} | {c.value:.4g} | {c.interval} | {c.expected} | "
            f"{'pass' if c.passed else '**FAIL**'} |"
        )
    lines += [
        "",
        "## Docking",
        "",
        "The model's own word-of-mouth code, reduced by configuration "
        "(`socialsim.validation.diffusion_config`), against the Bass model under complete "
        f"mixing ({sizes.bass_n} consumers) and with {sizes.substeps} steps per period, "
        "against the Independent Cascade on an Erdős–Rényi graph and, on a sparse ring "
        "lattice, against the mean field. The Bass runs are compared with the exact "
        "expectation of the stochastic Bass process at the same size, which differs from "
        "the recursion by O(1/n).",
        "",
        "![Bass](bass.png)",
        "",
        "![Independent Cascade](cascade.png)",
        "",
        "![Network Bass](network_bass.png)",
        "",
        "## Stylized facts",
        "",
        f"Measured on {sizes.fact_replications} replications of the world "
        "(fact 6: with the regulator acting on Yunji on day 60). A check passes when its "
        "whole 95 % confidence interval lies in the expected range.",
        "",
    ]
    for c in report.checks:
        if c.area.startswith("fact"):
            lines.append(f"- **{c.name}** ({c.area}): {c.measure}.")
    lines.append("")
    checked = {c.area for c in report.checks}
    for fact, text in FACTS.items():
        if f"fact {fact}" in checked:
            lines += [f"### Fact {fact}", "", text, "", f"![Fact {fact}](fact_{fact}.png)", ""]
    return "\n".join(lines)
