"""ABC-SMC through pyabc, with socialsim's seeds, executors and progress.

pyabc runs the sequential Monte Carlo (Toni et al. 2009; Del Moral et al.
2012): its priors, its multivariate-normal perturbation kernels, its
quantile epsilon schedule, its distances and its History database (SQLite in
the output directory), from which a killed calibration resumes.

socialsim supplies the sampler. pyabc's own samplers draw proposals from
NumPy's global random state and run the model where they draw it; here
candidate ``i`` of generation ``t`` is proposed under NumPy's global state
seeded from (the spec's seed, t, i), and simulated from seeds spawned from
(the spec's seed, t, i, replication) on the sweep executors. Proposals are
made in batches: first every proposal of the batch (the model defers),
then all its simulations at once, in parallel, then each candidate is
replayed in order, from the same seed, to be weighed and accepted or
rejected. A generation keeps the first ``population`` accepted candidates
in candidate order, so the posterior is the same on every executor and for
any number of workers; the global random state is restored afterwards.

References
----------
Toni, T., Welch, D., Strelkowa, N., Ipsen, A. and Stumpf, M. P. H. (2009).
Approximate Bayesian computation scheme for parameter inference and model
selection in dynamical systems. *J. R. Soc. Interface* 6, 187-202.

Schaelte, Y., Klinger, E., Alamoudi, E. and Hasenauer, J. (2022). pyABC:
Efficient and robust easy-to-use approximate Bayesian computation.
*Journal of Open Source Software* 7(74), 4304.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialsim.calibration.progress import CalibrationProgress
from socialsim.calibration.simulate import (
    Simulations,
    Simulator,
    check_targets_defined,
    proposal_seed,
)
from socialsim.calibration.spec import AbcSmcMethod, CalibrationSpec
from socialsim.files import atomic_write

__all__ = [
    "HISTORY_FILE",
    "AbcSmcRun",
    "posterior_table",
    "read_simulations",
    "run_abc_smc",
    "scaled_distance",
    "write_simulations",
]

HISTORY_FILE = "history.db"
"""pyabc's History database, in the output directory."""

_LOGGERS = ("ABC", "Epsilon", "Distance", "Acceptor", "Sampler", "Transitions", "History")


def scaled_distance(targets: dict[str, tuple[float, float]]) -> Callable[..., float]:
    """Return the distance of the ``scaled`` method: the Euclidean norm of the scaled misses.

    A candidate whose simulations leave a target undefined (a ratio of 0 by 0)
    is infinitely far.

    Parameters
    ----------
    targets : dict
        Outcome -> (value, scale).

    Examples
    --------
    >>> distance = scaled_distance({"a": (10.0, 2.0), "b": (1.0, 0.5)})
    >>> distance({"a": 12.0, "b": 1.0}, None)
    1.0
    >>> distance({"a": float("nan"), "b": 1.0}, None)
    inf
    """

    def distance(x: dict[str, float], x_0: Any = None) -> float:
        total = 0.0
        for key, (value, scale) in targets.items():
            miss = (float(x[key]) - value) / scale
            if not math.isfinite(miss):
                return math.inf
            total += miss * miss
        return math.sqrt(total)

    return distance


class _Deferred(Exception):
    """Raised by the model when asked for a simulation that has not been run yet."""

    def __init__(self, parameters: dict[str, float]) -> None:
        super().__init__("deferred")
        self.parameters = parameters


@contextlib.contextmanager
def _numpy_seeded(words: np.ndarray) -> Iterator[None]:
    # pyabc and scipy.stats draw from NumPy's global state (they take no generator): seed it
    # from the candidate's own seed, and put the caller's state back after
    saved = np.random.get_state()  # noqa: NPY002
    np.random.seed(words)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(saved)  # noqa: NPY002


class AbcSmcRun:
    """The glue between pyabc and socialsim for one calibration (see the module docstring).

    Parameters
    ----------
    spec : CalibrationSpec
    simulator : Simulator
    progress : CalibrationProgress
    """

    def __init__(
        self, spec: CalibrationSpec, simulator: Simulator, progress: CalibrationProgress
    ) -> None:
        import pyabc

        self.spec = spec
        self.method: AbcSmcMethod = spec.method  # type: ignore[assignment]
        self.simulator = simulator
        self.progress = progress
        self.directory: Path = Path(".")
        self.acceptance: dict[int, tuple[int, int]] = {}
        run = self

        class Model(pyabc.Model):
            """socialsim as a pyabc model: it hands back the simulations the sampler ran."""

            def __init__(self) -> None:
                super().__init__(name="socialsim")
                self.ready: dict[str, float] | None = None

            def sample(self, pars: Any) -> dict[str, float]:
                if self.ready is None:
                    raise _Deferred({k: float(v) for k, v in pars.items()})
                ready, self.ready = self.ready, None
                return ready

        class Sampler(pyabc.sampler.Sampler):
            """Propose in batches, simulate on the executor, accept in candidate order."""

            def sample_until_n_accepted(
                self,
                n: int,
                simulate_one: Callable[[], Any],
                t: int,
                *,
                max_eval: float = np.inf,
                all_accepted: bool = False,
                ana_vars: Any = None,
            ) -> Any:
                return run._sample(self, n, simulate_one, t, max_eval)

        self.model = Model()
        self.sampler = Sampler()
        self.sampler.show_progress = False
        self.abc: Any = None

    def _sample(
        self, sampler: Any, n: int, simulate_one: Callable[[], Any], t: int, max_eval: float
    ) -> Any:
        sample = sampler._create_empty_sample()  # pyabc's own factory (records rejections)
        accepted = evaluated = 0
        rows: list[dict[str, Any]] = []
        epsilon = self._epsilon(t)
        self.progress.start_generation(t, n, epsilon)
        start = 0
        while accepted < n and start < max_eval:
            rate = (accepted + 1) / (evaluated + 1) if evaluated else 1.0
            size = max(self.simulator.executor.workers, math.ceil((n - accepted) / rate))
            size = int(min(size, 4 * n, max_eval - start))
            numbers = range(start, start + size)
            proposals = {}
            for i in numbers:
                with _numpy_seeded(proposal_seed(self.spec.seed, t, i)):
                    try:
                        simulate_one()
                    except _Deferred as deferred:
                        proposals[i] = deferred.parameters
                    else:  # pragma: no cover - pyabc always asks the model
                        raise RuntimeError("pyabc did not ask the model for a simulation")
            simulated = self.simulator.run(proposals, t, common=False)
            if start == 0 and t <= 0:
                check_targets_defined(self.spec, simulated)
            for i in numbers:
                self.model.ready = self._summary(simulated[i])
                with _numpy_seeded(proposal_seed(self.spec.seed, t, i)):
                    particle = simulate_one()
                sample.append(particle)
                evaluated = i + 1
                rows.extend(
                    simulated[i].rows(t, i, accepted=particle.accepted, distance=particle.distance)
                )
                if particle.accepted:
                    accepted += 1
                    self.progress.accepted(accepted, evaluated)
                    if accepted == n:
                        break
            start = numbers.stop
        sampler.nr_evaluations_ = evaluated
        if accepted < n:
            sample.ok = False
        write_simulations(self.directory, t, rows)
        self.acceptance[t] = (accepted, evaluated)
        self.progress.end_generation(t, accepted, evaluated, epsilon)
        return sample

    def _epsilon(self, t: int) -> float | None:
        if t < 0 or self.abc is None:
            return None
        with contextlib.suppress(Exception):
            return float(self.abc.eps(t))
        return None

    def _summary(self, simulations: Simulations) -> dict[str, float]:
        return {t.outcome: simulations.mean(t.outcome) for t in self.spec.targets}

    def run(self, directory: Path) -> Any:
        """Run (or resume) the calibration into `directory`; return pyabc's History."""
        import pyabc

        self.directory = directory

        method = self.method
        targets = {t.outcome: (t.value, t.scale) for t in self.spec.targets}
        observed = {k: v for k, (v, _) in targets.items()}
        if method.distance == "scaled":
            distance: Any = scaled_distance(targets)
        else:
            distance = pyabc.AdaptivePNormDistance(
                p=2, initial_scale_weights={k: 1 / s for k, (_, s) in targets.items()}
            )
        priors = {}
        for key, bounds in self.spec.parameters.items():
            if bounds.prior == "uniform":
                priors[key] = pyabc.RV("uniform", bounds.low, bounds.high - bounds.low)
            else:
                priors[key] = pyabc.RV("loguniform", bounds.low, bounds.high)
        self.abc = pyabc.ABCSMC(
            self.model,
            pyabc.Distribution(**priors),
            distance,
            population_size=method.population,
            sampler=self.sampler,
            eps=pyabc.QuantileEpsilon(alpha=method.quantile),
        )
        database = directory / HISTORY_FILE
        url = f"sqlite:///{database}"
        with _quiet():
            history = None
            if database.exists():
                history = self.abc.load(url, 1)
                if history.max_t < 0:  # killed before its first generation: start again
                    history = None
                    self.abc = self._fresh(self.abc)
                    database.unlink()
            if history is None:
                history = self.abc.new(url, observed)
            done = history.max_t + 1
            left = math.inf if method.generations is None else method.generations - done
            if left > 0 and not self._reached(history):
                self.abc.run(
                    minimum_epsilon=method.min_epsilon or 0.0,
                    max_nr_populations=left,
                    max_total_nr_simulations=method.max_simulations or np.inf,
                )
        return history

    def _fresh(self, abc: Any) -> Any:
        import pyabc

        return pyabc.ABCSMC(
            abc.models,
            abc.parameter_priors,
            abc.distance_function,
            population_size=self.method.population,
            sampler=self.sampler,
            eps=pyabc.QuantileEpsilon(alpha=self.method.quantile),
        )

    def _reached(self, history: Any) -> bool:
        if self.method.min_epsilon is None or history.max_t < 0:
            return False
        epsilons = history.get_all_populations()["epsilon"]
        return bool(float(epsilons.iloc[-1]) <= self.method.min_epsilon)


SIMULATIONS_DIR = "simulations"


def write_simulations(directory: Path, generation: int, rows: list[dict[str, Any]]) -> None:
    """Write one generation's simulations to ``simulations/generation-T.parquet``, atomically.

    One row per simulation: ``generation`` (-1: the sample from the prior),
    ``candidate``, ``replication``, ``seed``, ``accepted``, ``distance``, the
    free parameters and every outcome of the runs table.
    """
    folder = directory / SIMULATIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    atomic_write(
        folder / f"generation-{generation}.parquet",
        lambda path: frame.to_parquet(path, index=False),
    )


def read_simulations(directory: Path) -> pd.DataFrame:
    """Read every generation's simulations (see :func:`write_simulations`)."""
    parts = sorted((directory / SIMULATIONS_DIR).glob("generation-*.parquet"))
    if not parts:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # pyabc logs every generation at INFO; socialsim shows its own progress
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def run_abc_smc(
    spec: CalibrationSpec, simulator: Simulator, directory: Path, progress: CalibrationProgress
) -> tuple[AbcSmcRun, Any]:
    """Run or resume ABC-SMC; return the glue (with this session's records) and the History."""
    run = AbcSmcRun(spec, simulator, progress)
    history = run.run(directory)
    return run, history


def posterior_table(history: Any, keys: list[str]) -> pd.DataFrame:
    """Return every generation's particles: generation, particle, weight, distance, parameters.

    ``particle`` numbers the accepted candidates of a generation in the order
    they were accepted (the order of the candidates).
    """
    frames = []
    for t in range(history.max_t + 1):
        population = history.get_population(t)
        rows = []
        for k, particle in enumerate(population.particles):
            row = {
                "generation": t,
                "particle": k,
                "weight": float(particle.weight),
                "distance": float(particle.distance),
            }
            row.update({key: float(particle.parameter[key]) for key in keys})
            rows.append(row)
        frames.append(pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True)
