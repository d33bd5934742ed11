"""The same spec gives the same tables, bit for bit: on every executor, with any number of
workers, across an interrupted and resumed sweep, and under every supported Python and Mesa
(.ci/run runs this file under Python 3.11 with Mesa 3.3 and Python 3.12 with Mesa 3.5; both
must match the fingerprints stored in tests/data/golden_sweep.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from socialsim.experiment import load_sweep, run_sweep
from socialsim.experiment.store import SweepStore
from tests.golden import GOLDEN_SWEEP, SWEEP_SPEC, golden_sweep, sweep_fingerprints

N_RUNS = 8  # 4 Sobol points x 2 replications


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict[str, dict[str, str]]]:
    out = tmp_path_factory.mktemp("golden") / "serial"
    return out, golden_sweep(out)


def test_the_golden_sweep_matches_its_stored_fingerprints(reference):
    import mesa

    _, found = reference
    stored = json.loads(GOLDEN_SWEEP.read_text())
    assert sorted(found) == sorted(stored), "run ids differ: configs hash differently"
    differing = [
        f"{run_id}.{table}"
        for run_id, tables in stored.items()
        for table, digest in tables.items()
        if found[run_id].get(table) != digest
    ]
    assert not differing, (
        f"under Mesa {mesa.__version__}, these tables differ from the stored golden sweep: "
        f"{differing}; if the change is deliberate, run 'python tests/golden.py' and say why"
    )
    assert len(found) == N_RUNS


# with test_sweep.py's serial, process and dask on 2 workers: 1, 2 and 3 workers on each pool
@pytest.mark.parametrize(("executor", "workers"), [("process", 3), ("dask", 1)])
def test_any_executor_and_worker_count_gives_the_same_tables(
    reference, tmp_path: Path, executor: str, workers: int
):
    _, expected = reference
    out = tmp_path / f"{executor}-{workers}"
    run_sweep(SWEEP_SPEC, out=out, executor=executor, workers=workers, progress=False)
    assert sweep_fingerprints(load_sweep(out)) == expected


def test_an_interrupted_and_resumed_sweep_gives_the_same_tables(
    reference, tmp_path: Path, monkeypatch
):
    reference_dir, expected = reference
    out = tmp_path / "resumed"
    write_run = SweepStore.write_run
    written = []

    def interrupt_on_the_fourth(self, row, output, schema):
        if len(written) == 3:
            raise KeyboardInterrupt  # as Ctrl-C would, while the fourth run is being written
        write_run(self, row, output, schema)
        written.append(output.run_id)

    monkeypatch.setattr(SweepStore, "write_run", interrupt_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SWEEP_SPEC, out=out, executor="serial", progress=False)
    monkeypatch.undo()
    assert len(load_sweep(out).runs) == 3

    # resumed on another executor, with another number of workers
    summary = run_sweep(SWEEP_SPEC, out=out, executor="process", workers=2, progress=False)
    assert (summary.skipped, summary.done) == (3, N_RUNS - 3)
    resumed = load_sweep(out)
    assert sweep_fingerprints(resumed) == expected
    # and the tables read back in the same order as the uninterrupted sweep's
    straight = load_sweep(reference_dir)
    for name in ("steps", "platforms", "tiers", "orders"):
        pd.testing.assert_frame_equal(resumed.table(name), straight.table(name), check_exact=True)
