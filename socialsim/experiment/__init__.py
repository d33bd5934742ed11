"""Running models: one run, and sweeps of many runs over a design.

One run: :func:`run_simulation` and :func:`write_run`. Sweeps:
:func:`run_sweep` takes an experiment spec (:mod:`~socialsim.experiment.spec`),
expands its design (:mod:`~socialsim.experiment.design`), gives every run its
seed (:mod:`~socialsim.experiment.seeds`), runs them on an executor
(:mod:`~socialsim.experiment.executors`) and records each in a crash-safe store
that :func:`load_sweep` reads (:mod:`~socialsim.experiment.store`).
"""

from socialsim.experiment.design import DesignPoint, design_size, expand_design
from socialsim.experiment.plan import SweepPlan, plan_sweep
from socialsim.experiment.rerun import RerunReport, rerun
from socialsim.experiment.runner import RunOutput, RunTask, run_one, run_tables
from socialsim.experiment.single_run import (
    OUTPUT_FILES,
    RunResult,
    atomic_write,
    existing_outputs,
    run_simulation,
    write_run,
)
from socialsim.experiment.spec import ExperimentSpec, load_spec, spec_from_dict
from socialsim.experiment.store import SweepData, SweepWriteError, load_sweep
from socialsim.experiment.sweep import SweepSummary, run_sweep

__all__ = [
    "OUTPUT_FILES",
    "DesignPoint",
    "ExperimentSpec",
    "RerunReport",
    "RunOutput",
    "RunResult",
    "RunTask",
    "SweepData",
    "SweepPlan",
    "SweepSummary",
    "SweepWriteError",
    "atomic_write",
    "design_size",
    "existing_outputs",
    "expand_design",
    "load_spec",
    "load_sweep",
    "plan_sweep",
    "rerun",
    "run_one",
    "run_simulation",
    "run_sweep",
    "run_tables",
    "spec_from_dict",
    "write_run",
]
