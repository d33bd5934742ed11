"""``socialsim calibrate``: fit a spec's free parameters and write what the fit found.

The output directory holds, besides the method's own database (pyabc's
``history.db`` or Optuna's ``optuna.db``, from which a killed calibration
resumes):

``calibration.json``
    The spec, its hash (a different spec pointed at the directory is
    refused), versions and the command.
``posterior.parquet``
    Every generation's particles: ``generation``, ``particle``, ``weight``,
    ``distance`` and one column per free parameter, named by its dotted key
    (for ``optimize``: the best candidate, weight 1).
``simulations/``
    Every simulation: candidate, replication, seed, acceptance, parameters
    and every outcome of the runs table.
``calibrated.yaml``
    A config: the spec's world with the posterior mean (or the best point);
    ``socialsim run DIR/calibrated.yaml`` runs it.
``summary.json``
    Posterior summary, epsilon and acceptance by generation, each target and
    held-out check against the posterior predictive.
``report.html``
    The figures (see :mod:`socialsim.calibration.report`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialsim._version import __version__
from socialsim.calibration.abc_smc import posterior_table, read_simulations, run_abc_smc
from socialsim.calibration.directory import locked, open_manifest, write_json
from socialsim.calibration.optimize import run_optimize, trials_table
from socialsim.calibration.progress import CalibrationProgress
from socialsim.calibration.simulate import Simulator
from socialsim.calibration.spec import (
    CalibrationSpec,
    check_against_world,
    load_calibration_spec,
)
from socialsim.config.loading import dump_yaml
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.executors import open_executor
from socialsim.files import atomic_write

__all__ = ["CalibrationResult", "calibrate", "default_out", "weighted_quantile"]

MANIFEST = "calibration.json"
PREDICTIVE_INTERVAL = (0.05, 0.95)
"""The posterior-predictive interval the report and checks use (90 %)."""


@dataclass
class CalibrationResult:
    """What a calibration found.

    Attributes
    ----------
    directory : Path
        Where its outputs are.
    spec : CalibrationSpec
    posterior : pandas.DataFrame
        ``posterior.parquet``.
    config : ModelConfig
        The calibrated world (``calibrated.yaml``).
    summary : dict
        ``summary.json``.
    """

    directory: Path
    spec: CalibrationSpec
    posterior: pd.DataFrame
    config: ModelConfig
    summary: dict[str, Any]

    def __str__(self) -> str:
        lines = [f"calibration {self.spec.name}: {self.summary['stopped']}"]
        for key, value in self.summary["parameters"].items():
            lines.append(
                f"  {key} = {_g(value['mean'])} (90 % interval {_g(value['q05'])} to "
                f"{_g(value['q95'])}; prior {value['low']:g} to {value['high']:g})"
            )
        for row in self.summary["targets"]:
            lines.append(
                f"  target {row['outcome']}: {row['value']:g}, predicted {_g(row['mean'])} "
                f"({_g(row['q05'])} to {_g(row['q95'])})"
            )
        for row in self.summary["held_out"]:
            verdict = "passes" if row["passes"] else "MISSES"
            lines.append(
                f"  held out {row['outcome']}: band {row['band']}, predicted "
                f"{_g(row['mean'])}: {verdict}"
            )
        lines.append(f"outputs in {self.directory}")
        return "\n".join(lines)


def _g(value: float | None) -> str:
    """Format a number shortly; a missing one (an outcome no simulation defined) as n/a."""
    return "n/a" if value is None else f"{value:.4g}"


def default_out(spec: CalibrationSpec) -> Path:
    """Return the default output directory: ``calibrations/NAME[-VARIANT]``."""
    name = spec.name if spec.variant is None else f"{spec.name}-{spec.variant}"
    return Path("calibrations") / name


def calibrate(
    spec: CalibrationSpec | str | Path,
    *,
    out: str | Path | None = None,
    variant: str | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    command: str | None = None,
    batch_runs: int = 1,
) -> CalibrationResult:
    """Fit a calibration spec's free parameters to its targets, or resume a fit.

    Parameters
    ----------
    spec : CalibrationSpec, str or Path
        The spec, or the YAML file it is in.
    out : str or Path, optional
        Output directory (default ``calibrations/NAME[-VARIANT]``). Running
        again into the same directory resumes.
    variant : str, optional
        A variant of the spec file (``quick``).
    executor : {"serial", "process", "dask"}, optional
        Where simulations run (default: the spec's ``execution.executor``).
    workers : int, optional
        Worker processes (default: the usable cores).
    scheduler : str, optional
        A Dask scheduler's address (implies ``dask``).
    progress : bool
        Show a bar (a terminal) or a line (a log) per generation.
    command : str, optional
        The command line, recorded in ``calibration.json``.
    batch_runs : int
        Simulate up to this many replications of a candidate together as one
        batched ensemble (``serial`` and ``process``): the same outcomes, for
        less CPU (:mod:`socialsim.ensemble`). 1 runs them one by one.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    ConfigError
        For a bad spec (naming each key path), or a directory that holds a
        different calibration.
    CalibrationRunError
        If a simulation raised.

    Examples
    --------
    A spec as in the worked example of docs/calibration.md, then
    ``result = calibrate("recover.yaml", variant="quick")`` and
    ``result.posterior``, ``result.config``.
    """
    source = None
    if not isinstance(spec, CalibrationSpec):
        source = str(spec)
        spec = load_calibration_spec(spec, variant=variant)
    elif variant is not None and spec.variant != variant:
        raise ConfigError([Problem("variant", "pass a spec file to apply a variant", variant)])
    base = check_against_world(spec, source)
    kind, n_workers, address = spec.executor_settings(executor, workers, scheduler)
    directory = Path(out) if out is not None else default_out(spec)
    directory.mkdir(parents=True, exist_ok=True)
    digest = spec.spec_hash(base)
    shown = CalibrationProgress(show=progress)
    with locked(directory, "calibrating"):
        started = open_manifest(
            directory / MANIFEST,
            spec,
            digest,
            kind="calibration",
            source=source,
            command=command,
        )
        with open_executor(kind, n_workers, address, batch=batch_runs) as pool:
            simulator = Simulator(spec, base, pool)
            shown.say(
                f"calibrating {spec.name} ({spec.method.kind}): {len(spec.parameters)} "
                f"parameters, {len(spec.targets)} targets, {spec.replications} simulation(s) "
                f"of {base.population.n_consumers:,} consumers x {base.run.steps} days per "
                f"candidate, on {pool.describe()}; writing to {directory}"
            )
            if spec.method.kind == "abc-smc":
                _, history = run_abc_smc(spec, simulator, directory, shown)
                posterior = posterior_table(history, spec.parameter_keys)
                generations = _generations(history)
                trials = None
            else:
                study = run_optimize(spec, simulator, directory, shown)
                trials = trials_table(study, spec.parameter_keys)
                best = trials.iloc[0]
                posterior = pd.DataFrame(
                    [
                        {
                            "generation": 0,
                            "particle": int(best["trial"]),
                            "weight": 1.0,
                            "distance": float(best["distance"]),
                            **{k: float(best[k]) for k in spec.parameter_keys},
                        }
                    ]
                )
                generations = []
        result = _finish(directory, spec, simulator, posterior, generations, trials, started, kind)
    return result


def _finish(
    directory: Path,
    spec: CalibrationSpec,
    simulator: Simulator,
    posterior: pd.DataFrame,
    generations: list[dict[str, Any]],
    trials: pd.DataFrame | None,
    started: str,
    executor: str,
) -> CalibrationResult:
    keys = spec.parameter_keys
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    weights = last["weight"].to_numpy(float)
    weights = weights / weights.sum()
    point = {k: float(np.sum(weights * last[k].to_numpy(float))) for k in keys}
    config = simulator.config(point, seed=spec.seed)
    predictive = _predictive(spec, directory, last, trials)
    summary: dict[str, Any] = {
        "name": spec.name,
        "variant": spec.variant,
        "method": spec.method.model_dump(mode="json"),
        "stopped": _stopped(spec, generations, trials),
        "started_at": started,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "socialsim": __version__,
        "executor": executor,
        "simulations_this_session": int(simulator.simulations),
        "parameters": {
            k: {
                "mean": point[k],
                "sd": _weighted_sd(last[k].to_numpy(float), weights),
                "q05": weighted_quantile(last[k].to_numpy(float), weights, 0.05),
                "q50": weighted_quantile(last[k].to_numpy(float), weights, 0.5),
                "q95": weighted_quantile(last[k].to_numpy(float), weights, 0.95),
                "low": spec.parameters[k].low,
                "high": spec.parameters[k].high,
                "prior": spec.parameters[k].prior,
            }
            for k in keys
        },
        "generations": generations,
        "targets": [
            {
                "outcome": t.outcome,
                "value": t.value,
                "scale": t.scale,
                "source": t.source,
                **predictive.get(t.outcome, _missing()),
            }
            for t in spec.targets
        ],
        "held_out": [],
    }
    for check in spec.held_out:
        row = predictive.get(check.outcome, _missing())
        summary["held_out"].append(
            {
                "outcome": check.outcome,
                "low": check.low,
                "high": check.high,
                "band": check.band,
                "source": check.source,
                **row,
                "passes": check.passes(row["mean"]),
            }
        )
    atomic_write(directory / "posterior.parquet", lambda p: posterior.to_parquet(p, index=False))
    if trials is not None:
        atomic_write(directory / "trials.parquet", lambda p: trials.to_parquet(p, index=False))
    header = (
        f"# calibrated by socialsim {__version__} ({spec.method.kind}) from spec "
        f"{spec.name!r}{'' if spec.variant is None else f' variant {spec.variant!r}'}\n"
        f"# on {summary['finished_at']}: the spec's world with the "
        f"{'posterior mean' if trials is None else 'best point'} of\n"
        + "".join(f"#   {k} = {point[k]!r}\n" for k in keys)
    )
    text = header + dump_yaml(config)
    atomic_write(directory / "calibrated.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    write_json(directory / "summary.json", summary)
    from socialsim.calibration.report import write_report

    write_report(directory)
    return CalibrationResult(directory, spec, posterior, config, summary)


def _predictive(
    spec: CalibrationSpec, directory: Path, last: pd.DataFrame, trials: pd.DataFrame | None
) -> dict[str, dict[str, float | None]]:
    """Each target's and held-out outcome's posterior predictive: mean and 90 % interval.

    ABC-SMC: the last generation's accepted candidates (their replications'
    mean), weighted as the posterior. optimize: the best candidate's
    replications.
    """
    simulations = read_simulations(directory)
    outcomes = [t.outcome for t in spec.targets] + [c.outcome for c in spec.held_out]
    if simulations.empty:
        return {}
    if trials is None:
        t = int(last["generation"].iloc[0])
        rows = simulations[(simulations["generation"] == t) & simulations["accepted"]]
        means = rows.groupby("candidate", sort=True)[_present(rows, outcomes)].mean()
        if len(means) != len(last):
            raise RuntimeError(
                f"generation {t}: {len(means)} accepted candidates on file, "
                f"{len(last)} particles in the history"
            )
        for key in spec.parameter_keys:  # particles and candidates must be the same, in order
            on_file = rows.groupby("candidate", sort=True)[key].first().to_numpy(float)
            if not np.allclose(on_file, last[key].to_numpy(float), rtol=1e-12, atol=0):
                raise RuntimeError(f"generation {t}: the simulations do not match the history")
        weights = last["weight"].to_numpy(float)
    else:
        best = int(last["particle"].iloc[0])
        means = simulations[simulations["candidate"] == best][_present(simulations, outcomes)]
        weights = np.ones(len(means))
    weights = weights / weights.sum()
    out = {}
    for outcome in outcomes:
        if outcome not in means:
            out[outcome] = _missing()
            continue
        values = means[outcome].to_numpy(float)
        ok = np.isfinite(values)
        if not ok.any():
            out[outcome] = _missing()
            continue
        w = weights[ok] / weights[ok].sum()
        out[outcome] = {
            "mean": float(np.sum(w * values[ok])),
            "q05": weighted_quantile(values[ok], w, PREDICTIVE_INTERVAL[0]),
            "q95": weighted_quantile(values[ok], w, PREDICTIVE_INTERVAL[1]),
        }
    return out


def _present(frame: pd.DataFrame, names: list[str]) -> list[str]:
    return [n for n in names if n in frame]


def _missing() -> dict[str, None]:
    return {"mean": None, "q05": None, "q95": None}


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Return the `q` quantile of `values` under `weights` (the inverse of the weighted CDF).

    Examples
    --------
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5]), 0.5)
    2.0
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5]), 0.51)
    3.0
    """
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    index = int(np.searchsorted(cumulative, q - 1e-12, side="left"))
    return float(values[order][min(index, len(values) - 1)])


def _weighted_sd(values: np.ndarray, weights: np.ndarray) -> float:
    mean = np.sum(weights * values)
    return float(math.sqrt(max(np.sum(weights * (values - mean) ** 2), 0.0)))


def _generations(history: Any) -> list[dict[str, Any]]:
    populations = history.get_all_populations()
    rows = []
    for _, row in populations[populations["t"] >= 0].iterrows():
        rows.append(
            {
                "generation": int(row["t"]),
                "epsilon": float(row["epsilon"]),
                "candidates": int(row["samples"]),
                "accepted": int(row["particles"]),
                "acceptance_rate": float(row["particles"]) / max(float(row["samples"]), 1.0),
            }
        )
    return rows


def _stopped(
    spec: CalibrationSpec, generations: list[dict[str, Any]], trials: pd.DataFrame | None
) -> str:
    if trials is not None:
        return f"{len(trials)} trials, best distance {trials['distance'].iloc[0]:.4g}"
    if not generations:
        return "no generation finished"
    last = generations[-1]
    return (
        f"{len(generations)} generation(s), last epsilon {last['epsilon']:.4g}, "
        f"acceptance {last['acceptance_rate']:.0%}"
    )
