"""socialsim run never simulates what it cannot save (issue 20, point 6).

The output directory is created and written to before the world is built; an
``--out`` that is a file, cannot be created, cannot be written or lacks the
room for the outputs is refused at once. A write that fails at the end (a
real file size limit, in a real process) names the file and the reason, and
leaves the directory as it was: no half-written table, no mix of two runs.
"""

from __future__ import annotations

import hashlib
import resource
import signal
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

import socialsim.experiment.single_run as single_run
from socialsim.cli import main

SMALL = ["--set", "population.n_consumers=2000", "--steps", "3", "--no-dashboard"]


@pytest.fixture
def no_world(monkeypatch):
    """Fail the test if a model is built."""

    def refuse(*args, **kwargs):
        raise AssertionError("a world was built")

    monkeypatch.setattr(single_run, "SocialCommerceModel", refuse)


def run_cli(capsys, args: list[str]) -> tuple[int, str]:
    code = main(["run", *args])
    return code, capsys.readouterr().err.strip()


def test_an_out_that_cannot_hold_the_outputs_is_refused_before_the_world_is_built(
    tmp_path, capsys, no_world
):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    cases = [
        (notes, f"--out: {notes} is a file, not a directory; nothing was run"),
        (notes / "run", f"--out: {notes / 'run'} cannot be created: [Errno 20] Not a directory"),
        # procfs: a directory that exists and takes no new file, whoever asks
        (Path("/proc/self"), "--out: /proc/self cannot be written: [Errno 2]"),
    ]
    for out, message in cases:
        code, err = run_cli(capsys, [*SMALL, "--out", str(out)])
        assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
        assert err.startswith(f"socialsim: error: {message}"), err
    assert notes.read_text() == "mine"


def test_a_disk_without_room_for_the_outputs_is_refused_first(
    tmp_path, capsys, monkeypatch, no_world
):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(single_run.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
    out = tmp_path / "run"
    code, err = run_cli(capsys, [*SMALL, "--events", "--out", str(out)])
    assert code == 2 and "Traceback" not in err
    assert f"--out: {out} has 0.0 MB free, less than the about " in err
    assert "the run's outputs need; nothing was run" in err
    assert not out.exists()  # the directory it made is gone again


FILE_LIMIT = 100 * 1024


def limit_file_size() -> None:  # in the child: writes past the limit fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the signal kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def test_a_failing_write_names_the_file_and_leaves_the_directory_as_it_was(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "socialsim", "run", "--out", str(out), "--seed", "4"]
    command += ["--set", "population.n_consumers=10000", "--no-dashboard", "--no-progress"]
    # an earlier run's outputs, small enough for the limit
    first = subprocess.run([*command, "--steps", "2"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = digests(out)
    assert set(before) == {
        "steps.parquet",
        "platforms.parquet",
        "tiers.parquet",
        "brands.parquet",
        "exports.parquet",
        "summary.json",
        "config.yaml",
    }
    # the order log of 25 days is larger than the limit: its write fails at the end
    second = subprocess.run(
        [*command, "--steps", "25", "--events", "--overwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_file_size,
    )
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert second.stderr.strip() == (
        f"socialsim: error: could not write {out / 'orders.parquet'}: [Errno 27] File too "
        f"large; nothing of this run was written to {out} (files of an earlier run there are "
        "as they were)"
    )
    assert "outputs              not saved" in second.stdout  # the totals are still shown
    assert digests(out) == before  # no half-written table, no mix of the two runs
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
