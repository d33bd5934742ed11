"""A sweep killed mid-way (SIGKILL, in a real process) resumes with every run exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from socialsim.experiment import load_sweep, run_sweep

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


def test_ctrl_c_stops_the_sweep_and_its_workers_and_it_resumes(tmp_path: Path):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
    command += ["--executor", "process", "--workers", "2", "--no-progress"]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
