"""A worker function for tests: the process dies on the runs of design point 1."""

from __future__ import annotations

import os

from socialsim.experiment.runner import RunOutput, RunTask, run_one


def die_on_point_one(task: RunTask) -> RunOutput:
    if task.point == 1:
        os._exit(1)  # as if killed, or out of memory
    return run_one(task)
