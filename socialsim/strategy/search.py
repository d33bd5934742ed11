"""``socialsim optimize``: search a platform's levers for the best strategies, and write the front.

Evaluations are asked ``batch`` at a time from Optuna: TPE (Bergstra et al.
2011) for one objective, NSGA-II (Deb et al. 2002) for several, each seeded
from the spec's seed and the batch's number, with the constraints passed to
the sampler (an infeasible evaluation is never on the front). Every
evaluation runs ``replications`` simulations with common random numbers
(replication ``r`` of every evaluation shares its seed, so evaluations differ
only by their levers) on the sweep executors, through the sweep's run
function; an objective is the mean over them. The study lives in Optuna's
SQLite storage (``DIR/optuna.db``): a killed search resumes from its finished
evaluations.

The output directory holds ``search.json`` (the spec, its hash, versions,
the command), ``trials.parquet`` (every evaluation: its levers, objectives,
constrained outcomes, feasibility and whether it is on the front),
``front.parquet`` and ``front.png`` (the Pareto front, or the best
evaluation for one objective), ``front/`` (a config per front point, which
``socialsim run`` takes), ``summary.json`` and ``simulations/`` (every
simulation with every outcome).

References
----------
Deb, K., Pratap, A., Agarwal, S. and Meyarivan, T. (2002). A fast and elitist
multiobjective genetic algorithm: NSGA-II. *IEEE Trans. Evol. Comput.* 6(2),
182-197.

Bergstra, J., Bardenet, R., Bengio, Y. and Kegl, B. (2011). Algorithms for
hyper-parameter optimization. *NeurIPS* 24.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from socialsim._version import __version__
from socialsim.calibration.abc_smc import write_simulations
from socialsim.calibration.directory import locked, open_manifest, write_json
from socialsim.calibration.progress import CalibrationProgress
from socialsim.calibration.simulate import Simulator
from socialsim.config.loading import dump_yaml
from socialsim.experiment.executors import open_executor
from socialsim.files import atomic_write
from socialsim.strategy.spec import SearchSpec, check_search_world, load_search_spec

__all__ = ["SearchResult", "default_out", "search"]

MANIFEST = "search.json"
STUDY_FILE = "optuna.db"
_CONSTRAINTS = "constraints"


@dataclass
class SearchResult:
    """What a strategy search found.

    Attributes
    ----------
    directory : Path
    spec : SearchSpec
    trials : pandas.DataFrame
        ``trials.parquet``.
    front : pandas.DataFrame
        ``front.parquet``: the Pareto-optimal feasible evaluations.
    summary : dict
        ``summary.json``.
    """

    directory: Path
    spec: SearchSpec
    trials: pd.DataFrame
    front: pd.DataFrame
    summary: dict[str, Any]

    def __str__(self) -> str:
        spec = self.spec
        lines = [
            f"search {spec.name} ({spec.sampler}): {len(self.trials)} evaluations, "
            f"{int(self.trials['feasible'].sum())} feasible, {len(self.front)} on the front"
        ]
        names = [f"{o.direction[:3]} {o.outcome}" for o in spec.objectives]
        lines.append("  front: " + "; ".join(names))
        for _, row in self.front.iterrows():
            levers = ", ".join(f"{k}={_short(row[k])}" for k in spec.lever_keys)
            values = ", ".join(_short(row[o.outcome]) for o in spec.objectives)
            lines.append(f"  trial {int(row['trial'])}: {values}  <- {levers}")
        lines.append(f"outputs in {self.directory} (configs of the front in front/)")
        return "\n".join(lines)


def default_out(spec: SearchSpec) -> Path:
    """Return the default output directory: ``searches/NAME[-VARIANT]``."""
    name = spec.name if spec.variant is None else f"{spec.name}-{spec.variant}"
    return Path("searches") / name


def search(
    spec: SearchSpec | str | Path,
    *,
    out: str | Path | None = None,
    variant: str | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    command: str | None = None,
    batch_runs: int = 1,
) -> SearchResult:
    """Search a spec's levers for the strategies that do best on its objectives.

    Parameters
    ----------
    spec : SearchSpec, str or Path
        The spec, or the YAML file it is in.
    out : str or Path, optional
        Output directory (default ``searches/NAME[-VARIANT]``); running again
        into it resumes.
    variant : str, optional
        A variant of the spec file (``quick``).
    executor : {"serial", "process", "dask"}, optional
        Where simulations run (default: the spec's ``execution.executor``).
    workers : int, optional
        Worker processes (default: the usable cores).
    scheduler : str, optional
        A Dask scheduler's address (implies ``dask``).
    progress : bool
        Show progress.
    command : str, optional
        The command line, recorded in ``search.json``.
    batch_runs : int
        Simulate up to this many replications of a candidate together as one
        batched ensemble (``serial`` and ``process``): the same outcomes, for
        less CPU (:mod:`socialsim.ensemble`). 1 runs them one by one.

    Returns
    -------
    SearchResult

    Raises
    ------
    ConfigError
        For a bad spec (naming each key path) or a directory holding another search.
    CalibrationRunError
        If a simulation raised.
    """
    import optuna

    source = None
    if not isinstance(spec, SearchSpec):
        source = str(spec)
        spec = load_search_spec(spec, variant=variant)
    base = check_search_world(spec, source)
    kind, n_workers, address = spec.executor_settings(executor, workers, scheduler)
    directory = Path(out) if out is not None else default_out(spec)
    directory.mkdir(parents=True, exist_ok=True)
    shown = CalibrationProgress(show=progress)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with locked(directory, "searching"):
        started = open_manifest(
            directory / MANIFEST,
            spec,
            spec.spec_hash(base),
            kind="search",
            source=source,
            command=command,
        )
        with open_executor(kind, n_workers, address, batch=batch_runs) as pool:
            simulator = Simulator(spec, base, pool, keys=spec.lever_keys)
            shown.say(
                f"searching {spec.name} ({spec.sampler}): {len(spec.levers)} levers, "
                f"{len(spec.objectives)} objective(s), {spec.method.trials} evaluations of "
                f"{spec.replications} simulation(s) of {base.population.n_consumers:,} "
                f"consumers x {base.run.steps} days, on {pool.describe()}; writing to {directory}"
            )
            study = _run(spec, simulator, directory, shown)
        trials = trials_table(study, spec)
        front = trials[trials["front"]].reset_index(drop=True)
        folder = directory / "front"
        folder.mkdir(exist_ok=True)
        for old in folder.glob("trial-*.yaml"):
            old.unlink()
        for _, row in front.iterrows():
            config = simulator.config({k: row[k] for k in spec.lever_keys}, seed=spec.seed)
            header = f"# socialsim optimize {spec.name}: front point, trial {int(row['trial'])}\n"
            header += "".join(
                f"#   {o.outcome} ({o.direction}) = {row[o.outcome]!r}\n" for o in spec.objectives
            )
            text = header + dump_yaml(config)
            path = folder / f"trial-{int(row['trial'])}.yaml"
            atomic_write(path, lambda p, t=text: p.write_text(t, encoding="utf-8"))
        atomic_write(directory / "trials.parquet", lambda p: trials.to_parquet(p, index=False))
        atomic_write(directory / "front.parquet", lambda p: front.to_parquet(p, index=False))
        _front_figure(spec, trials, directory / "front.png")
        summary = {
            "name": spec.name,
            "variant": spec.variant,
            "sampler": spec.sampler,
            "started_at": started,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "socialsim": __version__,
            "evaluations": len(trials),
            "feasible": int(trials["feasible"].sum()),
            "simulations_this_session": simulator.simulations,
            "objectives": [o.model_dump() for o in spec.objectives],
            "constraints": [c.model_dump() for c in spec.constraints],
            "front": front.to_dict(orient="records"),
        }
        write_json(directory / "summary.json", summary)
    return SearchResult(directory, spec, trials, front, summary)


def _run(spec: SearchSpec, simulator: Simulator, directory: Path, shown: Any) -> Any:
    import optuna

    study = optuna.create_study(
        study_name=spec.name,
        storage=f"sqlite:///{directory / STUDY_FILE}",
        directions=[o.direction for o in spec.objectives],
        load_if_exists=True,
    )
    running = (optuna.trial.TrialState.RUNNING,)
    for trial in study.get_trials(deepcopy=False, states=running):
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    distributions = {key: _distribution(key, lever) for key, lever in spec.levers.items()}
    method = spec.method
    while (done := _finished(study)) < method.trials:
        batch = done // method.batch
        study.sampler = _sampler(spec, batch)
        size = min(method.batch, method.trials - done)
        shown.start_generation(batch, size, None)
        asked = [study.ask(distributions) for _ in range(size)]
        candidates = {trial.number: dict(trial.params) for trial in asked}
        simulated = simulator.run(candidates, -1, common=True)
        rows = []
        for k, trial in enumerate(asked):
            simulations = simulated[trial.number]
            values = [simulations.mean(o.outcome) for o in spec.objectives]
            violations = [
                v for c in spec.constraints for v in c.violations(simulations.mean(c.outcome))
            ]
            for i, violation in enumerate(violations):  # the samplers read these
                trial.set_constraint(f"{i}", violation)
            trial.set_user_attr(_CONSTRAINTS, violations)
            rows += simulations.rows(batch, trial.number, accepted=True, distance=math.nan)
            if all(math.isfinite(v) for v in values):
                study.tell(trial, values)
            else:  # an objective no simulation defined: the evaluation is failed, not ranked
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            shown.accepted(k + 1, k + 1)
        write_simulations(directory, batch, rows)
        shown.end_generation(batch, size, size, None)
    return study


def _finished(study: Any) -> int:
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    return len(study.get_trials(deepcopy=False, states=states)) - _abandoned(study)


def _abandoned(study: Any) -> int:
    # trials asked by a killed session and marked failed on resume: not evaluations
    import optuna

    return sum(
        1
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
        if _CONSTRAINTS not in t.user_attrs
    )


def _sampler(spec: SearchSpec, batch: int) -> Any:
    import optuna

    seed = int(np.random.SeedSequence(spec.seed, spawn_key=(0x5EA, batch)).generate_state(1)[0])
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=spec.method.startup_trials)
    return optuna.samplers.NSGAIISampler(
        seed=seed, population_size=spec.method.population or spec.method.batch
    )


def _distribution(key: str, lever: Any) -> Any:
    import optuna

    from socialsim.config.loading import field_type

    if lever.choices is not None:
        return optuna.distributions.CategoricalDistribution(lever.choices)
    if field_type(key) is int:
        return optuna.distributions.IntDistribution(
            round(lever.low), round(lever.high), log=lever.log
        )
    return optuna.distributions.FloatDistribution(lever.low, lever.high, log=lever.log)


def trials_table(study: Any, spec: SearchSpec) -> pd.DataFrame:
    """Return every evaluation: trial, state, levers, objectives, constraints, feasible, front.

    ``front`` marks the feasible evaluations no other feasible evaluation
    dominates (for one objective: the best).
    """
    import optuna

    rows = []
    for t in study.get_trials(deepcopy=False):
        if _CONSTRAINTS not in t.user_attrs:
            continue  # asked by a killed session, never evaluated
        violations = t.user_attrs[_CONSTRAINTS]
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        row.update({k: t.params.get(k) for k in spec.lever_keys})
        values = t.values if t.state == optuna.trial.TrialState.COMPLETE else None
        for i, objective in enumerate(spec.objectives):
            row[objective.outcome] = float(values[i]) if values else math.nan
        row["feasible"] = values is not None and all(v <= 0 for v in violations)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["front"] = _pareto(frame, spec)
    return frame


def _pareto(frame: pd.DataFrame, spec: SearchSpec) -> np.ndarray:
    """Mark the feasible rows no other feasible row dominates."""
    signs = np.array([1.0 if o.direction == "minimize" else -1.0 for o in spec.objectives])
    values = frame[[o.outcome for o in spec.objectives]].to_numpy(float) * signs
    feasible = frame["feasible"].to_numpy(bool)
    front = np.zeros(len(frame), dtype=bool)
    for i in np.flatnonzero(feasible):
        others = values[feasible]
        dominated = np.any(np.all(others <= values[i], axis=1) & np.any(others < values[i], axis=1))
        front[i] = not dominated
    if len(spec.objectives) == 1 and front.any():
        # ties for the best: keep the earliest evaluation
        best = np.flatnonzero(front)[0]
        front[:] = False
        front[best] = True
    return front


def _front_figure(spec: SearchSpec, trials: pd.DataFrame, path: Path) -> None:
    objectives = spec.objectives
    fig = Figure(figsize=(6.5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    feasible = trials[trials["feasible"]]
    infeasible = trials[~trials["feasible"] & trials["state"].eq("COMPLETE")]
    front = trials[trials["front"]]
    if len(objectives) == 1:
        name = objectives[0].outcome
        best = feasible[name].cummax() if objectives[0].direction == "maximize" else None
        if best is None:
            best = feasible[name].cummin()
        ax.plot(trials["trial"], trials[name], "o", color="0.7", label="evaluations")
        ax.plot(feasible["trial"], best, "-", color="C0", label="best so far")
        ax.plot(front["trial"], front[name], "*", color="C3", markersize=14, label="best")
        ax.set_xlabel("evaluation")
        ax.set_ylabel(f"{name} ({objectives[0].direction})")
    else:
        x, y = objectives[0].outcome, objectives[1].outcome
        ax.plot(infeasible[x], infeasible[y], "x", color="0.6", label="infeasible")
        ax.plot(feasible[x], feasible[y], "o", color="0.7", label="feasible")
        ordered = front.sort_values(x)
        ax.plot(ordered[x], ordered[y], "o-", color="C3", label="Pareto front")
        ax.set_xlabel(f"{x} ({objectives[0].direction})")
        ax.set_ylabel(f"{y} ({objectives[1].direction})")
        if len(objectives) > 2:
            ax.set_title(f"the first two of {len(objectives)} objectives", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110))


def _short(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)
