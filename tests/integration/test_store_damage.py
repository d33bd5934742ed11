"""Damaged store parts are found, named and repaired, through the command line (issue 20, point 1).

A part of each table is truncated, changed in place, deleted or joined by a
junk file, and the manifest is truncated; each time ``socialsim status``
names the file (and exits 1), ``load_sweep`` and ``socialsim report`` refuse
with one error naming the file and the command that repairs the store, and
running the sweep's command again moves the bad parts aside (deleting
nothing), runs exactly the runs they belonged to, and ends with the tables of
an undamaged sweep.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import socialsim.experiment.runner as runner
from socialsim.cli import main
from socialsim.experiment import load_sweep, run_sweep
from socialsim.experiment.store import StoreDamagedError
from tests.conftest import TINY_WORLD, assert_same_sweep_tables

TABLES = ("runs", "steps", "platforms", "tiers", "orders")
SPEC = {
    "name": "damage",
    "seed": 17,
    "steps": 4,
    "replications": 2,
    "base": TINY_WORLD,
    "outputs": ["platforms", "tiers", "orders"],
    "design": {"kind": "grid", "parameters": {"network.mean_degree": [5, 7, 9]}},
    "execution": {"executor": "serial"},
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """A finished sweep keeping every table, never damaged (the reference)."""
    root = tmp_path_factory.mktemp("clean")
    spec = root / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    run_sweep(spec, out=root / "sweep", progress=False)
    return root


@pytest.fixture
def sweep(clean: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the clean sweep to damage, and its spec (the one its manifest names)."""
    shutil.copytree(clean / "sweep", tmp_path / "sweep")
    return clean / "spec.yaml", tmp_path / "sweep"


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    """Count the runs computed (the serial executor runs them in this process)."""
    seeds: list[int] = []
    real = runner.run_tables

    def counting(config, seed, outputs=("steps",)):
        seeds.append(seed)
        return real(config, seed, outputs)

    monkeypatch.setattr(runner, "run_tables", counting)
    return seeds


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def third_run(out: Path) -> str:
    return load_sweep(out).runs["run_id"][2]


def assert_refused(capsys, spec: Path, out: Path, path: Path, kind: str = "damaged") -> None:
    """load_sweep and report refuse, naming the file and the repairing command."""
    command = f"socialsim sweep {spec.resolve()} --out {out}"
    with pytest.raises(StoreDamagedError) as refused:
        data = load_sweep(out)
        for table in data.tables:  # a change in place is found when the part is read
            data.table(table)
    message = str(refused.value)
    assert message.startswith(f"{path} is {kind}: "), message
    assert f"to repair the sweep, run '{command}'" in message
    assert "(nothing is deleted)" in message
    code, _, err = cli(capsys, "report", str(out))
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [f"socialsim: error: {message}"]


def assert_repaired(capsys, spec: Path, out: Path, clean: Path, runs: int, moved: list[Path]):
    damaged = {path: path.read_bytes() for path in moved}
    code, printed, err = cli(capsys, "sweep", str(spec), "--out", str(out), "--no-progress")
    assert code == 0, err
    assert f"{runs} done, 0 failed, {6 - runs} skipped" in printed
    assert "moved into" in err and "(nothing is deleted)" in err
    for path, data in damaged.items():  # set aside, byte for byte, never deleted
        copies = list((out / "damaged").glob(f"*/{path.parent.name}/{path.name}"))
        assert len(copies) == 1 and copies[0].read_bytes() == data
    assert_same_sweep_tables(out, clean / "sweep")
    code, printed, _ = cli(capsys, "status", str(out))
    assert code == 0 and "all sound" in printed and "state: complete" in printed
    assert "set aside earlier in" in printed


@pytest.mark.parametrize("table", TABLES)
def test_a_truncated_part_of_any_table_is_named_refused_and_its_run_redone(
    sweep, clean, capsys, counted, table
):
    spec, out = sweep
    run_id = third_run(out)
    part = out / table / f"{run_id}.parquet"
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])

    code, printed, _ = cli(capsys, "status", str(out))
    assert code == 1
    assert f"    {part}: " in printed and f"(run {run_id})" in printed
    assert "5 done, 0 failed, 1 pending" in printed
    assert "1 run(s) have damaged parts and count as pending" in printed
    assert f"to repair: socialsim sweep {spec.resolve()} --out {out}" in printed
    assert_refused(capsys, spec, out, part)
    code, printed, _ = cli(capsys, "sweep", str(spec), "--out", str(out), "--dry-run")
    assert code == 0 and "would run 1 run (5 already recorded in" in printed
    assert "first, 1 damaged or foreign part(s) would be set aside into" in printed

    assert_repaired(capsys, spec, out, clean, runs=1, moved=[part])
    assert len(counted) == 1  # exactly the damaged run, nothing else
    assert counted[0] == int(load_sweep(out).runs.set_index("run_id").loc[run_id, "seed"])


def test_a_part_changed_in_place_is_found_by_its_checksum(sweep, clean, capsys, counted):
    spec, out = sweep
    run_id = third_run(out)
    part = out / "steps" / f"{run_id}.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 3] ^= 0xFF  # one flipped byte: same size, other content
    part.write_bytes(bytes(data))
    code, printed, _ = cli(capsys, "status", str(out))
    assert code == 1 and f"{part}: its content does not match its run's checksum" in printed
    assert_refused(capsys, spec, out, part)
    assert_repaired(capsys, spec, out, clean, runs=1, moved=[part])
    assert len(counted) == 1


def test_a_missing_part_is_named_and_its_run_redone(sweep, clean, capsys, counted):
    spec, out = sweep
    run_id = third_run(out)
    part = out / "tiers" / f"{run_id}.parquet"
    part.unlink()
    code, printed, _ = cli(capsys, "status", str(out))
    assert code == 1 and f"{part}: missing (run {run_id})" in printed
    assert_refused(capsys, spec, out, part)
    assert_repaired(capsys, spec, out, clean, runs=1, moved=[])
    assert len(counted) == 1


def test_junk_parts_are_foreign_named_and_set_aside(sweep, clean, capsys, counted):
    spec, out = sweep
    junk = [out / "runs" / "zzz.parquet", out / "orders" / "notes.parquet"]
    for path in junk:
        path.write_bytes(b"not a parquet file at all")
    code, printed, _ = cli(capsys, "status", str(out))
    assert code == 1 and "0 damaged and 2 foreign part(s)" in printed
    for path in junk:
        assert f"    {path}: not a part of any run of this sweep" in printed
    assert "6 done, 0 failed, 0 pending" in printed
    assert_refused(capsys, spec, out, junk[0], kind="foreign")
    assert_repaired(capsys, spec, out, clean, runs=0, moved=junk)
    assert counted == []


def test_a_damaged_manifest_is_named_and_rebuilt(sweep, clean, capsys, counted):
    spec, out = sweep
    manifest = out / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text[: len(text) // 2])
    code, printed, _ = cli(capsys, "status", str(out))
    assert code == 1
    assert f"sweep in {out}: its manifest.json is damaged (not valid JSON" in printed
    assert f"{manifest}: not valid JSON" in printed
    with pytest.raises(StoreDamagedError, match=f"{manifest} is damaged"):
        load_sweep(out)
    code, _, err = cli(capsys, "report", str(out))
    assert code == 1 and err.startswith(f"socialsim: error: {manifest} is damaged (not valid")
    assert f"'socialsim sweep SPEC --out {out}'" in err

    # an edit that keeps the JSON valid is found by the manifest's checksum
    edited = json.loads(text)
    edited["replications"] = 3
    manifest.write_text(json.dumps(edited))
    with pytest.raises(StoreDamagedError, match="does not match its checksum"):
        load_sweep(out)

    code, printed, err = cli(capsys, "sweep", str(spec), "--out", str(out), "--no-progress")
    assert code == 0 and "0 done, 0 failed, 6 skipped" in printed
    assert f"warning: {manifest} was damaged (its content does not match its checksum)" in err
    assert counted == []
    rebuilt = load_sweep(out).manifest["rebuilt"]
    assert Path(rebuilt["damaged_copy"]).read_text() == json.dumps(edited)
    assert_same_sweep_tables(out, clean / "sweep")


def test_another_spec_is_not_let_into_a_store_whose_manifest_is_damaged(sweep, capsys, tmp_path):
    _, out = sweep
    (out / "manifest.json").write_text("{")
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({**SPEC, "seed": 99}))
    code, _, err = cli(capsys, "sweep", str(other), "--out", str(out), "--no-progress")
    assert code == 2 and "its manifest.json is damaged and none of the 6 runs" in err
    assert not (out / "damaged").exists()  # nothing moved for a spec that is not its own
