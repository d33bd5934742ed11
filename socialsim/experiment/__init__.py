"""Running models: one run now; sweeps over designs come with the experiment layer."""

from socialsim.experiment.single_run import (
    OUTPUT_FILES,
    RunResult,
    atomic_write,
    existing_outputs,
    run_simulation,
    write_run,
)

__all__ = [
    "OUTPUT_FILES",
    "RunResult",
    "atomic_write",
    "existing_outputs",
    "run_simulation",
    "write_run",
]
