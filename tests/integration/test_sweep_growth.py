"""Sweeps that grow: only the new runs run, the old ones stay as written, and every reader
sees the tables of a fresh sweep of the grown spec."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from socialsim.analysis.compare import compare_arms
from socialsim.analysis.report import _sweep_provenance
from socialsim.cli import main
from socialsim.errors import ConfigError
from socialsim.experiment import load_sweep, rerun, run_sweep
from tests.conftest import TINY_WORLD, assert_same_sweep_tables

DISCOUNT = "platforms.pinduoduo.group_buying.discount"
DEGREE = "network.mean_degree"


def spec(**fields):
    data = {
        "name": "grow",
        "seed": 9,
        "steps": 3,
        "replications": 2,
        "base": TINY_WORLD,
        "design": {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3]}},
    }
    data.update(fields)
    return data


def sweep(out: Path, data: dict, stream: io.StringIO | None = None):
    return run_sweep(data, out=out, executor="serial", progress=False, stream=stream)


def receipts(out: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every part file: (inode, mtime in ns, bytes), to show that nothing was rewritten."""
    return {
        str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.glob("*/*.parquet"))
    }


def test_more_replications_run_only_the_new_replication(tmp_path: Path):
    out = tmp_path / "grown"
    sweep(out, spec())
    before = receipts(out)
    printed = io.StringIO()
    summary = sweep(out, spec(replications=3), printed)
    assert (summary.done, summary.skipped, summary.planned) == (2, 4, 6)
    assert (
        f"extending sweep 'grow' in {out} from 4 to 6 runs: 4 recorded runs kept, "
        "2 new runs to run" in printed.getvalue()
    )
    after = receipts(out)
    assert {k: after[k] for k in before} == before  # the recorded runs are untouched
    data = load_sweep(out)
    assert data.runs["replication"].tolist() == [0, 1, 2, 0, 1, 2]
    (extension,) = data.manifest["extensions"]
    assert (extension["runs_before"], extension["runs_after"]) == (4, 6)
    assert data.manifest["sessions"][-1]["extended"]["runs_added"] == 2
    # bit for bit the sweep that had three replications from the start
    sweep(tmp_path / "fresh", spec(replications=3))
    assert_same_sweep_tables(out, tmp_path / "fresh")
    # and the grown spec is now the sweep's own: it resumes, the old one is refused
    assert sweep(out, spec(replications=3)).skipped == 6
    with pytest.raises(ConfigError, match="a sweep never drops results; choose another --out"):
        sweep(out, spec())


def test_a_grid_value_runs_only_the_new_point(tmp_path: Path):
    out = tmp_path / "grown"
    sweep(out, spec())
    bigger = spec(design={"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3, 0.45]}})
    summary = sweep(out, bigger)
    assert (summary.done, summary.skipped) == (2, 4)
    sweep(tmp_path / "fresh", bigger)
    assert_same_sweep_tables(out, tmp_path / "fresh")


def test_an_arm_runs_only_its_runs_and_every_reader_sees_the_grown_sweep(tmp_path: Path, capsys):
    # the new arm goes first and sets a key the others do not: every recorded run's point
    # is renumbered, and the new parameter column is filled in for them
    two = {"shallow": {DISCOUNT: 0.1}, "deep": {DISCOUNT: 0.4}}
    three = {"wide": {DISCOUNT: 0.1, DEGREE: 20}, **two}
    out = tmp_path / "grown"
    sweep(out, spec(design={"kind": "scenarios", "scenarios": two}))
    before = receipts(out)
    summary = sweep(out, spec(design={"kind": "scenarios", "scenarios": three}))
    assert (summary.done, summary.skipped) == (2, 4)
    assert {k: receipts(out)[k] for k in before} == before
    sweep(tmp_path / "fresh", spec(design={"kind": "scenarios", "scenarios": three}))
    assert_same_sweep_tables(out, tmp_path / "fresh")
    runs = load_sweep(out).runs
    assert runs["scenario"].tolist() == ["wide"] * 2 + ["shallow"] * 2 + ["deep"] * 2
    assert runs["point"].tolist() == [0, 0, 1, 1, 2, 2]
    # a run written as point 1 is point 2 now: rerun rebuilds it from the grown manifest
    deep = runs.loc[runs["scenario"] == "deep", "run_id"].iloc[0]
    report = rerun(out, deep)
    assert report.matches and report.point == 2
    # the manifest describes the grown sweep as it would a fresh one, so the report and
    # compare (which read it and the tables above) see the same sweep
    grown, fresh = load_sweep(out).manifest, load_sweep(tmp_path / "fresh").manifest
    for key in ("spec_hash", "spec", "parameters", "design", "runs", "runs_columns"):
        assert grown[key] == fresh[key], key
    capsys.readouterr()
    assert main(["status", str(out)]) == 0
    status = capsys.readouterr().out
    assert "6 runs planned (3 points x 2 replications): 6 done, 0 failed, 0 pending" in status
    table = compare_arms(out, outcomes=["gmv"], baseline="shallow").table
    assert sorted(table["arm"]) == ["deep", "wide"] and table["paired"].all()
    assert "from 4 to 6 runs on" in _sweep_provenance(grown, runs)


def test_a_changed_spec_is_still_refused_and_the_dry_run_says_what_would_grow(
    tmp_path: Path, capsys
):
    out = tmp_path / "s"
    sweep(out, spec())
    with pytest.raises(ConfigError, match=r"--out: .* of a different spec .*: steps 3 -> 4;"):
        sweep(out, spec(replications=3, steps=4))
    spec_file = tmp_path / "spec.yaml"
    import yaml

    spec_file.write_text(yaml.safe_dump(spec(replications=3)))
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert f"would extend sweep 'grow' in {out} from 4 to 6 runs" in printed
    assert "would run 2 runs (4 already recorded in" in printed
    assert len(load_sweep(out).runs) == 4  # a dry run changes nothing
