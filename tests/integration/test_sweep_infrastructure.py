"""What the machinery does when it breaks: no orphans, and no run failed for it (issue 20).

A sweep killed with ``kill -9`` leaves no worker process (nor multiprocessing's
resource tracker) behind, on the process executor and on a local Dask
cluster. A Dask scheduler killed mid-sweep stops the sweep with one line; the
runs in flight stay pending, not failed, and the same command, once the
scheduler is back, completes the sweep with the tables a serial run gives.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from socialsim.experiment import load_sweep, run_sweep
from tests.conftest import TINY_WORLD, assert_same_sweep_tables

SPEC = {
    "name": "machinery",
    "seed": 11,
    "steps": 20,
    "replications": 2,
    "base": {
        "population.n_consumers": 1500,
        "influencers.n_kols": 3,
        "influencers.n_kocs": 20,
        "stores.n_owners": 8,
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


def recorded(out: Path) -> int:
    folder = out / "runs"
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.suffix == ".parquet" and p.name[0] != ".")


def wait_for(condition, seconds: float, what: str, process=None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the sweep ended first: {process.stderr.read()}")
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.02)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    living = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                living.append(process)
        except psutil.NoSuchProcess:
            pass
    return living


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_no_worker_outlives_a_sweep_killed_with_kill_9(tmp_path: Path, executor: str):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
    command += ["--executor", executor, "--workers", "2", "--no-progress"]
    sweep = subprocess.Popen(
        command,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: recorded(out) >= 1, 120, "a first run", sweep)
        children = psutil.Process(sweep.pid).children(recursive=True)
        workers = [c for c in children if "python" in c.name().lower()]
        assert len(workers) >= 2, [c.cmdline() for c in children]  # the workers, busy
        os.kill(sweep.pid, signal.SIGKILL)  # the main process alone, as the OOM killer does
        sweep.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = alive(children)
        assert not survivors, [(p.pid, " ".join(p.cmdline())[-80:]) for p in survivors]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(sweep.pid, signal.SIGKILL)
        sweep.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DaskCluster:
    """A real ``dask scheduler`` and ``dask worker`` on 127.0.0.1, as separate processes."""

    def __init__(self, port: int, logs: Path):
        self.address = f"tcp://127.0.0.1:{port}"
        dask = str(Path(sys.executable).with_name("dask"))
        logs.mkdir(exist_ok=True)
        self.scheduler = subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=(logs / "scheduler.log").open("a"),
            start_new_session=True,
        )
        self.workers = subprocess.Popen(
            [dask, "worker", self.address, "--nthreads", "1", "--nworkers", "2", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=(logs / "workers.log").open("a"),
            start_new_session=True,
        )

    def wait_for_workers(self, n: int = 2, seconds: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n, timeout=seconds)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait()

    def close(self) -> None:
        for process in (self.scheduler, self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_lost_scheduler_stops_the_dask_executor_at_once_with_its_runs_pending():
    """The same path as below in a second: a cluster in this process, closed mid-sweep."""
    import logging

    from distributed import LocalCluster

    from socialsim.experiment.executors import DaskExecutor, ExecutorLostError
    from socialsim.experiment.plan import plan_sweep
    from socialsim.experiment.spec import spec_from_dict

    plan = plan_sweep(spec_from_dict({**SPEC, "steps": 3, "base": TINY_WORLD}))
    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    executor = DaskExecutor(cluster.scheduler_address, 1)
    outputs = []
    try:
        with pytest.raises(ExecutorLostError) as lost:
            for output in executor.map_unordered(plan.task(r) for r in plan.runs):
                outputs.append(output)
                if len(outputs) == 1:
                    cluster.close()  # the scheduler goes away with a run or two in flight
    finally:
        executor.close()
        cluster.close()
    assert [o.status for o in outputs] == ["ok"]  # no run came back failed for it
    assert str(lost.value).startswith("lost the connection to the Dask scheduler at inproc://")
    assert lost.value.in_flight >= 1


@pytest.mark.slow
def test_a_killed_dask_scheduler_leaves_runs_pending_and_the_same_command_resumes(
    tmp_path: Path,
):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "dask"
    port = free_port()
    command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
    command += ["--scheduler", f"tcp://127.0.0.1:{port}", "--no-progress"]
    clusters: list[DaskCluster] = []
    try:
        clusters.append(DaskCluster(port, tmp_path / "logs"))
        # the serial reference runs while the cluster starts
        run_sweep(spec_path, out=tmp_path / "serial", executor="serial", progress=False)
        clusters[0].wait_for_workers()
        sweep = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: recorded(out) >= 2, 120, "two runs", sweep)
        clusters[0].kill_scheduler()
        _, stderr = sweep.communicate(timeout=60)
        assert sweep.returncode == 1, stderr
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in stderr, stderr
        saved = recorded(out)
        assert lines[0].startswith(
            f"socialsim: error: the sweep stopped: lost the connection to the Dask scheduler at "
            f"tcp://127.0.0.1:{port} ("
        ), lines[0]
        assert f"the {saved} runs recorded are saved in {out}" in lines[0]
        assert lines[0].endswith(
            "run the same command again to resume (once the scheduler is back)"
        )
        assert 2 <= saved < 12
        runs = load_sweep(out).runs
        assert runs["status"].eq("ok").all()  # nothing recorded as failed for the lost scheduler
        session = load_sweep(out).manifest["sessions"][-1]
        assert session["error"].startswith("ExecutorLostError: lost the connection")

        clusters[0].close()
        clusters.append(DaskCluster(port, tmp_path / "logs"))  # the scheduler is back
        clusters[1].wait_for_workers()
        again = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert f"{12 - saved} done, 0 failed, {saved} skipped" in again.stdout
    finally:
        for cluster in clusters:
            cluster.close()
    assert_same_sweep_tables(out, tmp_path / "serial")
