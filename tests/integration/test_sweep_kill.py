"""A sweep killed mid-way (SIGKILL, in a real process) resumes with every run exactly once.

:func:`kill_repeatedly` kills a sweep again and again at random moments (while
Python starts, while runs compute, while parts are written) and checks the
store after every kill; tests/slow/test_sweep_kill_many.py runs it with many
more kills.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from socialsim.experiment import load_sweep, run_sweep
from tests.conftest import TINY_WORLD, assert_same_sweep_tables

N_POINTS, REPS, STEPS = 6, 2, 15
SPEC = {
    "name": "killed",
    "seed": 5,
    "steps": STEPS,
    "replications": REPS,
    "base": {
        "population.n_consumers": 600,
        "influencers.n_kols": 3,
        "influencers.n_kocs": 12,
        "stores.n_owners": 6,
        "daigou.n_shoppers": 1,
    },
    "outputs": ["platforms"],
    "design": {
        "kind": "grid",
        "parameters": {
            "platforms.pinduoduo.group_buying.discount": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
        },
    },
}


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.glob("*.parquet") if not p.name.startswith(".")]


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_a_killed_sweep_resumes_with_every_run_exactly_once(tmp_path: Path, executor: str):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
    command += ["--executor", executor, "--workers", "2", "--no-progress"]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    try:
        while len(_parts(out / "runs")) < 3:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep did not record 3 runs in time"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the sweep and its worker processes
        process.wait()
    recorded = len(_parts(out / "runs"))
    assert 3 <= recorded < N_POINTS * REPS

    # every file on disk reads, and the store is consistent before the resume
    for path in out.rglob("*.parquet"):
        if not path.name.startswith("."):
            pq.read_table(path)
    partial = load_sweep(out)
    assert len(partial.runs) == recorded
    assert set(partial.steps["run_id"]) == set(partial.runs["run_id"])

    summary = run_sweep(spec_path, out=out, executor="serial", progress=False)
    assert summary.skipped == recorded
    assert summary.done == N_POINTS * REPS - recorded and summary.failed == 0

    data = load_sweep(out)
    planned = [r["run_id"] for r in data.manifest["runs"]]
    assert sorted(data.runs["run_id"]) == sorted(planned)
    assert data.runs["run_id"].is_unique and data.runs["status"].eq("ok").all()
    assert len(data.steps) == len(planned) * STEPS
    assert not data.steps.duplicated(["run_id", "step"]).any()
    assert not data.platforms.duplicated(["run_id", "step", "platform"]).any()
    sessions = data.manifest["sessions"]
    assert len(sessions) == 2 and sessions[0]["finished_at"] is None
    assert data.manifest["finished_at"] is not None


def _default_sigint() -> None:  # in the child, before it starts Python
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_the_sweep_and_its_workers_and_it_resumes(tmp_path: Path):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
    command += ["--executor", "process", "--workers", "2", "--no-progress"]
    process = subprocess.Popen(
        command,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # as from a terminal: a test run started in the background (`cmd &` in a script)
        # ignores SIGINT, and its children would inherit that and never see the Ctrl-C
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 120
    try:
        while len(_parts(out / "runs")) < 2:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep did not record 2 runs in time"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)  # to the sweep only, as a notebook's interrupt does
        code = process.wait(timeout=30)
        assert code == 130, process.stderr.read().decode()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    err = process.stderr.read().decode()
    assert "sweep interrupted; the runs finished so far are saved" in err
    assert "Traceback" not in err
    recorded = len(_parts(out / "runs"))
    manifest = load_sweep(out).manifest
    assert manifest["sessions"][-1]["interrupted"] is True
    summary = run_sweep(spec_path, out=out, executor="serial", progress=False)
    assert summary.skipped == recorded and summary.done == N_POINTS * REPS - recorded


# ----------------------------------------------------------------- killed at random moments

RANDOM_STEPS = 8
TABLES = ("runs", "steps", "platforms", "orders")


def random_kill_spec(n_points: int) -> dict:
    """A spec of `n_points` x 2 tiny runs (about 0.3 s each) that keeps every kind of table."""
    return {
        "name": "killed_at_random",
        "seed": 11,
        "steps": RANDOM_STEPS,
        "replications": 2,
        "base": TINY_WORLD,
        "outputs": ["platforms", "orders"],
        "design": {
            "kind": "grid",
            "parameters": {
                "platforms.pinduoduo.group_buying.discount": [
                    round(0.05 + 0.3 * i / max(n_points - 1, 1), 4) for i in range(n_points)
                ]
            },
        },
    }


@dataclass
class Kill:
    """Where one kill landed: the sweep's state just after it."""

    executor: str
    delay: float
    mode: str
    manifest: bool  # the manifest existed (the kill came after the store was created)
    before: int  # runs recorded before this session
    after: int  # runs recorded after the kill
    mid_write: bool  # a temporary file or an uncommitted part was left by this session


def _scratch(out: Path) -> set[str]:
    """Temporary files and parts without a runs row: traces of writes in progress."""
    found: set[str] = set()
    with contextlib.suppress(FileNotFoundError):
        found |= {n for n in os.listdir(out) if n.endswith(".tmp")}
    try:
        committed = set(os.listdir(out / "runs"))
    except FileNotFoundError:
        committed = set()
    for table in TABLES:
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(out / table):
                if name.endswith(".tmp") or (table != "runs" and name not in committed):
                    found.add(f"{table}/{name}")
    return found


def _table_parts(out: Path, table: str) -> list[Path]:
    folder = out / table
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def check_store(out: Path, planned: set[str]) -> int:
    """Check a sweep's store as a kill left it; return how many runs it records.

    Every Parquet file present reads; :func:`load_sweep` gives each recorded run
    once, only planned runs, each ok run with all its steps and no duplicate rows;
    a part left by a run killed before its commit holds that run only.
    """
    for path in out.rglob("*.parquet"):
        if not path.name.startswith("."):
            pq.read_table(path)  # a half-written part would fail here
    if not (out / "manifest.json").exists():
        # killed before the store was created: nothing but scratch
        assert not any(_table_parts(out, table) for table in TABLES)
        return 0
    data = load_sweep(out)
    runs = data.runs
    assert runs["run_id"].is_unique
    assert set(runs["run_id"]) <= planned
    assert [p.stem for p in _table_parts(out, "runs")] == sorted(runs["run_id"])
    ok = set(runs.loc[runs["status"] == "ok", "run_id"])
    assert set(runs["status"]) <= {"ok"}, runs[["run_id", "status", "error"]]
    steps = data.steps
    assert set(steps["run_id"]) == ok  # a committed run has its tables, whole
    assert steps.groupby("run_id").size().eq(RANDOM_STEPS).all()
    assert not steps.duplicated(["run_id", "step"]).any()
    assert set(data.platforms["run_id"]) <= ok
    assert not data.platforms.duplicated(["run_id", "step", "platform"]).any()
    assert set(data.orders["run_id"]) <= ok
    for table in TABLES[1:]:
        for part in _table_parts(out, table):  # orphans included: one run per part, its own
            assert set(pq.read_table(part, columns=["run_id"])["run_id"].to_pylist()) <= {part.stem}
    return len(runs)


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the sweep and its worker processes
    process.wait()


def _wait_for_a_write(out: Path, before: set[str], process: subprocess.Popen, limit: float):
    """Return as soon as this session leaves a new trace of a write in progress (or at `limit`)."""
    end = time.monotonic() + limit
    while time.monotonic() < end and process.poll() is None:
        if _scratch(out) - before:
            return
        time.sleep(0.0005)


# seconds a session of each executor needs before its runs start, beyond Python's start-up
BOOT = {"serial": 0.0, "process": 2.5}


def kill_repeatedly(
    tmp_path: Path,
    spec: dict,
    executors: list[str],
    n_kills: int,
    seed: int,
    *,
    startup: float = 3.0,
    running: float = 3.0,
    finish_in_process: bool = False,
) -> tuple[Path, list[Kill]]:
    """Run ``socialsim sweep`` in a subprocess and SIGKILL it `n_kills` times, then let it finish.

    Session ``i`` uses ``executors[i % len(executors)]``. Each kill comes after
    a delay drawn from ``numpy.random.default_rng(seed)``: a third while Python
    and socialsim start (up to `startup` s), a third while runs compute, a third
    at the first write in progress after a random delay. The store is checked
    after every kill. The last session runs to the end, in a subprocess too
    unless `finish_in_process` (which saves a Python start-up).
    """
    rng = np.random.default_rng(seed)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "sweep"
    from socialsim.experiment.plan import plan_sweep
    from socialsim.experiment.spec import spec_from_dict

    planned = {r.run_id for r in plan_sweep(spec_from_dict(spec)).runs}
    kills: list[Kill] = []
    while len(kills) < n_kills:
        executor = executors[len(kills) % len(executors)]
        before = check_store(out, planned) if out.exists() else 0
        scratch = _scratch(out)
        mode = ("startup", "running", "write")[int(rng.integers(3))]
        start = startup + BOOT[executor]
        delay = float(
            rng.uniform(0.0, startup) if mode == "startup" else rng.uniform(start, start + running)
        )
        command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
        command += ["--executor", executor, "--workers", "2", "--no-progress"]
        process = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if mode == "write":  # from a moment in the first half of the runs, the next write
            time.sleep(delay - 0.5 * running)
            _wait_for_a_write(out, scratch, process, limit=running)
        else:
            time.sleep(delay)
        if process.poll() is not None:  # it finished first: the sweep is complete
            assert process.returncode == 0, process.stderr.read().decode()
            process.stderr.close()
            break
        _kill_group(process)
        process.stderr.close()
        after = check_store(out, planned)
        new_scratch = bool(_scratch(out) - scratch)
        manifest = (out / "manifest.json").exists()
        kills.append(Kill(executor, delay, mode, manifest, before, after, new_scratch))
    else:
        if finish_in_process:
            run_sweep(spec, out=out, executor=executors[0], workers=2, progress=False)
        else:
            command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path)]
            command += ["--out", str(out), "--executor", executors[0], "--no-progress"]
            finished = subprocess.run(command, capture_output=True, timeout=600, check=False)
            assert finished.returncode == 0, finished.stderr.decode()

    data = load_sweep(out)
    assert check_store(out, planned) == len(planned)
    assert sorted(data.runs["run_id"]) == sorted(planned)
    assert data.runs["status"].eq("ok").all()
    assert len(data.steps) == len(planned) * RANDOM_STEPS
    for table in TABLES[1:]:  # the last session removed every orphan part
        assert {p.stem for p in _table_parts(out, table)} == planned
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    assert data.manifest["finished_at"] is not None
    return out, kills


def assert_same_tables(out: Path, spec: dict, tmp_path: Path) -> None:
    """Assert the tables of `out` equal those of an uninterrupted serial sweep of `spec`."""
    reference = tmp_path / "uninterrupted"
    run_sweep(spec, out=reference, executor="serial", progress=False)
    assert_same_sweep_tables(out, reference)


def test_a_sweep_killed_at_random_moments_ends_with_every_run_exactly_once(tmp_path: Path):
    # sessions alternate executors (a resume may use another one), so both get killed
    spec = random_kill_spec(3)
    out, kills = kill_repeatedly(
        tmp_path, spec, ["serial", "process"], n_kills=3, seed=2024, finish_in_process=True
    )
    assert kills, "the sweep finished before the first kill"
    assert_same_tables(out, spec, tmp_path)


def test_a_sweep_killed_while_creating_its_store_resumes(tmp_path: Path):
    from socialsim.experiment.plan import plan_sweep
    from socialsim.experiment.spec import spec_from_dict
    from socialsim.experiment.store import SweepStore

    spec = random_kill_spec(1)
    # killed while writing the first manifest: the lock and half a manifest under a temporary name
    out = tmp_path / "during_manifest"
    out.mkdir()
    (out / ".lock").write_text("pid 1 on gone")
    (out / ".manifest.json.0123abcd.tmp").write_text('{"format_ver')
    assert run_sweep(spec, out=out, executor="serial", progress=False).done == 2
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lock"]

    # killed just after the manifest, before the table directories were made
    out = tmp_path / "after_manifest"
    SweepStore(out).initialise(plan_sweep(spec_from_dict(spec)))
    for table in TABLES:
        (out / table).rmdir()
    assert run_sweep(spec, out=out, executor="serial", progress=False).done == 2
    assert check_store(out, set(load_sweep(out).runs["run_id"])) == 2
