"""socialsim sweep and socialsim status: summaries, dry runs, failures and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from socialsim.cli import main
from socialsim.experiment import load_sweep
from tests.conftest import TINY_WORLD

SPEC = {
    "name": "cli",
    "description": "A tiny sweep for the command-line tests.",
    "seed": 2,
    "steps": 4,
    "replications": 2,
    "base": TINY_WORLD,
    "design": {"kind": "grid", "parameters": {"network.mean_degree": [6, 9]}},
    "execution": {"executor": "serial"},
    "variants": {"quick": {"replications": 1}},
}


def write_spec(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({**SPEC, **changes}, sort_keys=False))
    return path


def test_sweep_runs_resumes_and_reports(tmp_path, capsys):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "sweep finished" in printed and "4 done, 0 failed, 0 skipped" in printed
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 0
    assert "0 done, 0 failed, 4 skipped" in capsys.readouterr().out
    assert main(["status", str(out)]) == 0
    status = capsys.readouterr().out
    assert "4 runs planned (2 points x 2 replications): 4 done, 0 failed, 0 pending" in status
    assert "state: complete" in status
    assert len(load_sweep(out).runs) == 4


def test_the_quick_variant_has_its_own_default_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path)
    assert main(["sweep", str(spec), "--variant", "quick", "--no-progress"]) == 0
    data = load_sweep(tmp_path / "sweeps" / "cli-quick")
    assert len(data.runs) == 2 and data.manifest["variant"] == "quick"


def test_progress_lines_go_to_stderr(tmp_path, capsys):
    spec = write_spec(tmp_path)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "running 4 runs on serial" in err and "4/4 runs (0 failed)" in err


def test_dry_run_validates_and_runs_nothing(tmp_path, capsys):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "grid design, 2 points x 2 replications = 4 runs of 400 consumers x 4 days" in printed
    assert not out.exists()


def test_failed_runs_are_listed_and_exit_one(tmp_path, capsys):
    design = {"kind": "grid", "parameters": {"daigou.n_shoppers": [0, 385]}}
    spec, out = write_spec(tmp_path, design=design), tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 1
    printed = capsys.readouterr().out
    assert "2 done, 2 failed" in printed
    assert "failed " in printed and "ConfigError: daigou.n_shoppers" in printed
    assert "--retry-failed" in printed
    assert main(["status", str(out)]) == 0
    status = capsys.readouterr().out
    assert "2 done, 2 failed, 0 pending" in status and "point 1 rep 0: ConfigError" in status
    assert "state: finished, with 2 failed run(s)" in status and "complete" not in status


@pytest.mark.parametrize(
    ("changes", "args", "fragment"),
    [
        ({"replications": 0}, [], "spec.yaml: replications: input should be greater than"),
        ({"base": {"network.mean_degre": 5}}, [], "spec.yaml: base.network.mean_degre: unknown"),
        ({}, ["--variant", "slow"], "spec.yaml: variants: no variant 'slow'"),
        ({}, ["--executor", "process", "--scheduler", "tcp://x:1"], "--scheduler: needs"),
    ],
)
def test_bad_specs_and_arguments_are_one_clear_line(tmp_path, capsys, changes, args, fragment):
    spec = write_spec(tmp_path, **changes)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2


def test_status_of_a_directory_without_a_sweep(tmp_path, capsys):
    assert main(["status", str(tmp_path)]) == 2
    assert "holds no sweep (no manifest.json)" in capsys.readouterr().err


def test_sweep_refuses_a_directory_of_another_spec(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(write_spec(tmp_path)), "--out", str(out), "--no-progress"]) == 0
    spec = write_spec(tmp_path, seed=3)
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 2
    assert "holds sweep 'cli' of a different spec" in capsys.readouterr().err
