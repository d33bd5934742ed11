"""Run a serial sweep of many tiny runs in this process and print its memory after each run.

Used by test_sweep_memory.py in a fresh interpreter, so that nothing else the test
session did counts:

    python -m tests.integration._sweep_memory OUT N_RUNS N_CONSUMERS STEPS [TABLE ...]

Prints one JSON object: ``rss`` (bytes, after each run is written), ``models`` (models
still alive at the end, after a collection) and ``seconds``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time

from socialsim.experiment import run_sweep
from socialsim.experiment.store import SweepStore
from socialsim.model import SocialCommerceModel


def resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main(out: str, n_runs: int, n_consumers: int, steps: int, outputs: list[str]) -> None:
    spec = {
        "name": "memory",
        "seed": 3,
        "steps": steps,
        "replications": n_runs,
        "base": {
            "population.n_consumers": n_consumers,
            "influencers.n_kols": 1,
            "influencers.n_kocs": max(n_consumers // 40, 2),
            "stores.n_owners": max(n_consumers // 60, 1),
            "daigou.n_shoppers": 0,
        },
        "outputs": outputs,
        "design": {"kind": "grid", "parameters": {"network.mean_degree": [8]}},
    }
    samples: list[int] = []
    write_run = SweepStore.write_run

    def write_and_measure(self, row, output, schema):
        write_run(self, row, output, schema)
        samples.append(resident_bytes())

    SweepStore.write_run = write_and_measure  # no collection forced: as a real worker runs
    started = time.perf_counter()
    summary = run_sweep(spec, out=out, executor="serial", progress=False)
    assert summary.done == n_runs, summary
    gc.collect()
    alive = sum(isinstance(o, SocialCommerceModel) for o in gc.get_objects())
    seconds = time.perf_counter() - started
    print(json.dumps({"rss": samples, "models": alive, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:5]), outputs=sys.argv[5:])
