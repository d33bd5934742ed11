"""A quick point fit: Optuna's TPE sampler minimising the calibration distance.

Candidates are asked ``batch`` at a time from a TPE sampler (Bergstra et al.
2011) seeded from the spec's seed and the batch's number, simulated in
parallel on the sweep executors with common random numbers (replication
``r`` of every candidate shares its seed, so candidates differ only by their
parameters), and told their distance. The study lives in Optuna's SQLite
storage in the output directory: a killed fit resumes from its finished
trials (candidates asked but not told are marked failed, and TPE ignores
them).

References
----------
Bergstra, J., Bardenet, R., Bengio, Y. and Kegl, B. (2011). Algorithms for
hyper-parameter optimization. *NeurIPS* 24.

Akiba, T., Sano, S., Yanase, T., Ohta, T. and Koyama, M. (2019). Optuna: a
next-generation hyperparameter optimization framework. *KDD '19*.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialsim.calibration.abc_smc import scaled_distance, write_simulations
from socialsim.calibration.progress import CalibrationProgress
from socialsim.calibration.simulate import Simulator, check_targets_defined
from socialsim.calibration.spec import CalibrationSpec, OptimizeMethod

__all__ = ["STUDY_FILE", "run_optimize", "trials_table"]

STUDY_FILE = "optuna.db"
"""Optuna's storage, in the output directory."""


def run_optimize(
    spec: CalibrationSpec, simulator: Simulator, directory: Path, progress: CalibrationProgress
) -> Any:
    """Run or resume the point fit; return the Optuna study."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    method: OptimizeMethod = spec.method  # type: ignore[assignment]
    storage = f"sqlite:///{directory / STUDY_FILE}"
    study = optuna.create_study(
        study_name=spec.name, storage=storage, direction="minimize", load_if_exists=True
    )
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    distributions = {
        key: optuna.distributions.FloatDistribution(
            bounds.low, bounds.high, log=bounds.prior == "loguniform"
        )
        for key, bounds in spec.parameters.items()
    }
    distance = scaled_distance({t.outcome: (t.value, t.scale) for t in spec.targets})
    while True:
        done = _complete(study)
        if done >= method.trials:
            break
        batch = done // method.batch
        seed = int(np.random.SeedSequence(spec.seed, spawn_key=(0x0F7, batch)).generate_state(1)[0])
        study.sampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=method.startup_trials
        )
        size = min(method.batch, method.trials - done)
        progress.start_generation(batch, size, None)
        trials = [study.ask(distributions) for _ in range(size)]
        candidates = {trial.number: dict(trial.params) for trial in trials}
        simulated = simulator.run(candidates, -1, common=True)
        if done == 0:
            check_targets_defined(spec, simulated)
        rows = []
        for k, trial in enumerate(trials):
            simulations = simulated[trial.number]
            summary = {t.outcome: simulations.mean(t.outcome) for t in spec.targets}
            value = distance(summary)
            rows += simulations.rows(batch, trial.number, accepted=True, distance=value)
            study.tell(trial, value if np.isfinite(value) else float("inf"))
            progress.accepted(k + 1, k + 1)
        write_simulations(directory, batch, rows)
        progress.end_generation(batch, size, size, None)
    return study


def _complete(study: Any) -> int:
    import optuna

    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def trials_table(study: Any, keys: list[str]) -> pd.DataFrame:
    """Return the finished trials: trial, distance and the parameters, best first."""
    import optuna

    rows = [
        {"trial": t.number, "distance": float(t.value), **{k: float(t.params[k]) for k in keys}}
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    ]
    return pd.DataFrame(rows).sort_values(["distance", "trial"], ignore_index=True)
