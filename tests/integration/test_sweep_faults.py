"""Faults while a sweep writes its store, and lost Dask workers: no run is lost or duplicated.

A write that fails (a full disk, a permission error, a file size limit) stops
the sweep with a message that says what is saved; the finished runs stay
intact, the failing run leaves no file behind, and running the sweep again
resumes. Tests run as root here, so permission errors are injected by
replacing the writing function; the file size limit is a real OS error, in a
real process.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

import socialsim.experiment.runner as runner
from socialsim.experiment import load_sweep, run_sweep
from socialsim.experiment.plan import plan_sweep
from socialsim.experiment.spec import spec_from_dict
from socialsim.experiment.store import SweepStore, SweepWriteError
from tests.conftest import TINY_WORLD, assert_same_sweep_tables

DISCOUNT = "platforms.pinduoduo.group_buying.discount"
STEPS = 5


def spec(**fields) -> dict:
    data = {
        "name": "faults",
        "seed": 8,
        "steps": STEPS,
        "replications": 2,
        "base": TINY_WORLD,
        "outputs": ["platforms"],
        "design": {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.2, 0.3]}},
    }
    data.update(fields)
    return data


def planned_ids(the_spec: dict) -> list[str]:
    return [r.run_id for r in plan_sweep(spec_from_dict(the_spec)).runs]


def files_of(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


def assert_whole_runs_only(out: Path, expected: list[str]) -> None:
    """The store holds exactly the runs `expected`, each whole, and no other file of a run."""
    data = load_sweep(out)
    assert data.runs["run_id"].tolist() == expected  # the plan's order, each once
    assert data.runs["status"].eq("ok").all()
    assert data.steps.groupby("run_id", sort=False).size().to_dict() == dict.fromkeys(
        expected, STEPS
    )
    for table in ("runs", "steps", "platforms"):
        folder = out / table
        assert sorted(p.stem for p in folder.iterdir()) == sorted(expected), table
    assert not [p for p in files_of(out) if p.name.endswith(".tmp")]


class FullDisk:
    """Make the `fail_on`-th Parquet write into table `table` fail, as a full disk would.

    It writes part of the file first (a disk fills up part-way through a write),
    then raises ``OSError(code)``; with `stay_full`, every later write fails too.
    """

    def __init__(self, table: str, fail_on: int, code: int, stay_full: bool = False):
        self.table, self.fail_on, self.code, self.stay_full = table, fail_on, code, stay_full
        self.seen = 0
        self.full = False
        self.real = pq.write_table

    def __call__(self, table, where, *args, **kwargs):
        path = Path(where)
        if path.parent.name == self.table:
            self.seen += 1
            if self.seen == self.fail_on:
                self.full = True
        if self.full and (self.stay_full or self.seen == self.fail_on):
            path.write_bytes(b"PAR1 half a file")
            raise OSError(self.code, os.strerror(self.code))
        return self.real(table, where, *args, **kwargs)


@pytest.mark.parametrize(
    ("table", "code"),
    [("steps", errno.ENOSPC), ("platforms", errno.ENOSPC), ("runs", errno.EACCES)],
)
def test_a_write_error_stops_the_sweep_keeps_finished_runs_and_it_resumes(
    tmp_path: Path, monkeypatch, table: str, code: int
):
    the_spec = spec()
    planned = planned_ids(the_spec)
    out = tmp_path / "s"
    computed: list[int] = []
    real_run_tables = runner.run_tables

    def counting(*args, **kwargs):
        computed.append(1)
        return real_run_tables(*args, **kwargs)

    monkeypatch.setattr(runner, "run_tables", counting)
    fault = FullDisk(table, fail_on=3, code=code)
    monkeypatch.setattr(pq, "write_table", fault)
    with pytest.raises(SweepWriteError) as caught:
        run_sweep(the_spec, out=out, executor="serial", progress=False)
    error = caught.value
    failing = planned[2]
    assert isinstance(error, OSError) and error.errno == code and error.run_id == failing
    fix = "free some space" if code == errno.ENOSPC else "fix the permissions"
    assert str(error) == (
        f"could not write run {failing} to {out / table}: [Errno {code}] {os.strerror(code)}; "
        f"the sweep stopped; the 2 runs recorded before it are saved in {out}; "
        f"{fix}, then run the same command again to resume"
    )
    assert len(computed) == 3  # it stopped at once, not computing runs it cannot keep
    assert_whole_runs_only(out, planned[:2])  # and nothing of the failing run
    session = load_sweep(out).manifest["sessions"][-1]
    assert session["error"].startswith("SweepWriteError: could not write run")
    assert (session["done"], session["finished_at"] is not None) == (2, True)

    monkeypatch.setattr(pq, "write_table", fault.real)  # space freed
    summary = run_sweep(the_spec, out=out, executor="serial", progress=False)
    assert (summary.skipped, summary.done, summary.failed) == (2, 4, 0)
    assert_whole_runs_only(out, planned)
    assert load_sweep(out).manifest["finished_at"] is not None


def test_a_failing_manifest_update_does_not_hide_the_write_error(tmp_path: Path, monkeypatch):
    the_spec = spec()
    planned = planned_ids(the_spec)
    out = tmp_path / "s"
    fault = FullDisk("steps", fail_on=2, code=errno.ENOSPC, stay_full=True)
    monkeypatch.setattr(pq, "write_table", fault)
    real_manifest = SweepStore.write_manifest

    def manifest_on_a_full_disk(store, manifest):
        if fault.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_manifest(store, manifest)

    monkeypatch.setattr(SweepStore, "write_manifest", manifest_on_a_full_disk)
    with pytest.raises(SweepWriteError, match=f"could not write run {planned[1]} to") as caught:
        run_sweep(the_spec, out=out, executor="serial", progress=False)
    assert caught.value.errno == errno.ENOSPC
    assert any("manifest could not be updated either" in n for n in caught.value.__notes__)
    assert_whole_runs_only(out, planned[:1])
    # the session's record is lost with the manifest update, the run is not
    assert load_sweep(out).manifest["sessions"][-1]["finished_at"] is None

    monkeypatch.setattr(pq, "write_table", fault.real)
    monkeypatch.setattr(SweepStore, "write_manifest", real_manifest)
    assert run_sweep(the_spec, out=out, executor="serial", progress=False).done == 5
    assert_whole_runs_only(out, planned)


def test_a_manifest_update_failing_after_every_run_is_saved_says_so(tmp_path: Path, monkeypatch):
    the_spec = spec(replications=1, design={"kind": "grid", "parameters": {DISCOUNT: [0.1]}})
    out = tmp_path / "s"
    real_manifest = SweepStore.write_manifest
    calls: list[int] = []

    def third_write_fails(store, manifest):  # creation, session start, then session end
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_manifest(store, manifest)

    monkeypatch.setattr(SweepStore, "write_manifest", third_write_fails)
    with pytest.raises(SweepWriteError) as caught:
        run_sweep(the_spec, out=out, executor="serial", progress=False)
    assert str(caught.value) == (
        f"the runs of this session are saved in {out}, but its manifest.json could not be "
        "updated: [Errno 28] No space left on device; free some space, then run the same "
        "command again to record the session"
    )
    assert len(load_sweep(out).runs) == 1


def test_a_directory_that_cannot_be_created_gives_a_clear_message(tmp_path: Path, monkeypatch):
    # a real OS error, even for root: a directory inside a regular file
    (tmp_path / "notes.txt").write_text("mine")
    out = tmp_path / "notes.txt" / "sweep"
    with pytest.raises(SweepWriteError) as caught:
        run_sweep(spec(), out=out, executor="serial", progress=False)
    assert str(caught.value).startswith(
        f"could not prepare the sweep directory {out}: [Errno 20] Not a directory: "
    )
    assert str(caught.value).endswith(
        "; no run was started; fix the cause, then run the same command again"
    )

    # permission denied creating the manifest (root bypasses chmod: injected)
    def denied(store, manifest):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(store.path / ".x.tmp"))

    monkeypatch.setattr(SweepStore, "write_manifest", denied)
    out = tmp_path / "denied"
    with pytest.raises(SweepWriteError) as caught:
        run_sweep(spec(), out=out, executor="serial", progress=False)
    assert str(caught.value) == (
        f"could not prepare the sweep directory {out}: [Errno 13] Permission denied; no run "
        "was started; fix the permissions, then run the same command again"
    )


def test_the_cli_reports_a_write_error_in_a_line_or_two(tmp_path: Path, monkeypatch, capsys):
    from socialsim.cli import main

    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec()))
    out = tmp_path / "s"
    monkeypatch.setattr(pq, "write_table", FullDisk("steps", fail_on=2, code=errno.ENOSPC))
    code = main(["sweep", str(spec_path), "--out", str(out), "--executor", "serial"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith("running ")]  # progress
    assert len(lines) == 1 and lines[0].startswith("socialsim: error: could not write run")
    assert "could not write run" in lines[0] and "No space left on device" in lines[0]
    assert "the 1 run recorded before it is saved in" in lines[0]


FILE_LIMIT = 128 * 1024


def test_a_real_file_size_limit_stops_the_sweep_and_it_resumes(tmp_path: Path):
    from socialsim import ModelConfig

    # a calm world, then a frenzy whose order log is bigger than the file size limit
    categories = list(ModelConfig().catalogue.categories)
    frenzy = {f"catalogue.categories.{c}.need_rate": 0.3 for c in categories}
    frenzy["population.n_consumers"] = 10_000
    the_spec = spec(
        steps=8,
        outputs=["orders"],
        design={"kind": "scenarios", "scenarios": {"calm": {}, "frenzy": frenzy}},
    )
    planned = planned_ids(the_spec)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(the_spec))
    out = tmp_path / "s"

    def limit_file_size():  # in the child: writes past the limit fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the signal kills the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    command = [sys.executable, "-m", "socialsim", "sweep", str(spec_path), "--out", str(out)]
    command += ["--executor", "serial", "--no-progress"]
    limited = subprocess.run(
        command, capture_output=True, text=True, timeout=300, preexec_fn=limit_file_size
    )
    assert limited.returncode == 1, limited.stderr
    assert "Traceback" not in limited.stderr
    assert (
        f"could not write run {planned[2]} to {out / 'orders'}: [Errno 27] File too large; "
        f"the sweep stopped; the 2 runs recorded before it are saved in {out}; raise the file "
        "size limit (ulimit -f) or free some space, then run the same command again to resume"
    ) in limited.stderr
    data = load_sweep(out)
    assert data.runs["run_id"].tolist() == planned[:2] and data.runs["status"].eq("ok").all()
    for table in ("runs", "steps", "orders"):
        assert sorted(p.stem for p in (out / table).iterdir()) == sorted(planned[:2])
    assert not [p for p in files_of(out) if p.name.endswith(".tmp")]

    summary = run_sweep(spec_path, out=out, executor="serial", progress=False)
    assert (summary.skipped, summary.done, summary.failed) == (2, 2, 0)
    data = load_sweep(out)
    assert data.runs["run_id"].tolist() == planned and data.runs["status"].eq("ok").all()
    assert len(data.steps) == 4 * 8 and not data.steps.duplicated(["run_id", "step"]).any()
    # the premise: the calm runs' files fit under the limit, a frenzy's order log does not
    sizes = {p: p.stat().st_size for p in files_of(out) if p.suffix == ".parquet"}
    assert all(size < FILE_LIMIT for p, size in sizes.items() if p.stem in planned[:2])
    assert sizes[out / "orders" / f"{planned[2]}.parquet"] > FILE_LIMIT


# ----------------------------------------------------------------- Dask: a worker lost mid-sweep


def test_a_dask_worker_killed_mid_sweep_loses_and_duplicates_no_run(tmp_path: Path):
    import io
    import logging
    from concurrent.futures import ThreadPoolExecutor

    from distributed import LocalCluster

    steps = 10
    the_spec = spec(
        steps=steps, design={"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.2, 0.3, 0.4]}}
    )
    planned = planned_ids(the_spec)
    out = tmp_path / "dask"
    killed: dict[str, int] = {}

    def start_cluster() -> LocalCluster:
        return LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )

    def kill_a_busy_worker(cluster: LocalCluster) -> None:
        # once a run is recorded (the workers are warm), SIGKILL a worker running a run
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            folder = out / "runs"
            if folder.is_dir() and any(p.suffix == ".parquet" for p in folder.iterdir()):
                busy = [
                    ws
                    for ws in list(cluster.scheduler.workers.values())
                    if any(ts.state == "processing" for ts in ws.processing)
                ]
                if busy:
                    killed["pid"], killed["tasks"] = busy[0].pid, len(busy[0].processing)
                    os.kill(busy[0].pid, signal.SIGKILL)
                    return
            time.sleep(0.01)

    # the cluster starts (about 5 s) while the serial reference sweep runs
    with ThreadPoolExecutor(1) as background:
        starting = background.submit(start_cluster)
        run_sweep(the_spec, out=tmp_path / "serial", executor="serial", progress=False)
        cluster = starting.result()
    stream = io.StringIO()
    try:
        killer = threading.Thread(target=kill_a_busy_worker, args=(cluster,), daemon=True)
        killer.start()
        summary = run_sweep(
            the_spec,
            out=out,
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress=True,
            stream=stream,
        )
        killer.join(timeout=10)
    finally:
        cluster.close()
    assert killed.get("tasks", 0) >= 1, "no worker was killed while it held a run"
    assert (summary.done, summary.failed) == (len(planned), 0)
    data = load_sweep(out)
    assert sorted(data.runs["run_id"]) == sorted(planned)
    assert data.runs["run_id"].is_unique and data.runs["status"].eq("ok").all()
    assert not data.steps.duplicated(["run_id", "step"]).any()
    assert len(data.steps) == len(planned) * steps
    assert f"{len(planned)}/{len(planned)} runs (0 failed)" in stream.getvalue()

    assert_same_sweep_tables(out, tmp_path / "serial")


def test_the_dask_executor_follows_the_number_of_workers():
    from socialsim.experiment.executors import DaskExecutor

    # the scheduler's answers as workers are lost, restarted and added
    answers = [{"a": 1, "b": 1}, {"a": 1}, {}, RuntimeError("busy"), {"a": 1, "b": 1, "c": 2}]

    class Client:
        def nthreads(self):
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

    executor = object.__new__(DaskExecutor)  # no cluster: only the counting is tested
    executor.scheduler, executor._client, executor.workers = "tcp://x:8786", Client(), 1
    seen = []
    for _ in range(5):
        executor._count_workers(force=True)
        seen.append(executor.describe())
    assert seen == [
        "dask, tcp://x:8786, 2 worker threads",
        "dask, tcp://x:8786, 1 worker thread",
        "dask, tcp://x:8786, 1 worker thread",  # none left for a moment: still 1, not 0
        "dask, tcp://x:8786, 1 worker thread",  # no answer: the last count
        "dask, tcp://x:8786, 4 worker threads",
    ]
    executor._count_workers()  # not asked again within a few seconds
    assert executor.workers == 4
