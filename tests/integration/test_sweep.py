"""Sweeps end to end: the store, resuming, failures, and identical tables on every executor."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from socialsim.errors import ConfigError
from socialsim.experiment import load_sweep, run_sweep
from socialsim.experiment.store import SweepBusyError, SweepStore
from tests.conftest import TINY_WORLD as TINY
from tests.conftest import assert_same_sweep_tables

DISCOUNT = "platforms.pinduoduo.group_buying.discount"


def spec(**fields):
    data = {
        "name": "it",
        "seed": 21,
        "steps": 6,
        "replications": 2,
        "base": TINY,
        "design": {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.3]}},
    }
    data.update(fields)
    return data


# passes validation, fails when the world is built: too few online consumers to be daigou
FAILING = {
    "kind": "grid",
    "parameters": {DISCOUNT: [0.1, 0.3], "daigou.n_shoppers": [0, 385]},
}


def sweep(tmp_path: Path, name: str = "s", **kwargs):
    kwargs.setdefault("executor", "serial")
    kwargs.setdefault("progress", False)
    return run_sweep(kwargs.pop("spec", spec()), out=tmp_path / name, **kwargs)


def test_a_sweep_writes_one_row_per_run_and_its_steps(tmp_path: Path):
    summary = sweep(tmp_path, spec=spec(outputs=["platforms", "orders"]))
    assert (summary.planned, summary.done, summary.failed, summary.skipped) == (4, 4, 0, 0)
    data = load_sweep(tmp_path / "s")
    runs = data.runs
    assert len(runs) == 4 and runs["status"].eq("ok").all()
    assert runs[["point", "replication"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert runs[DISCOUNT].tolist() == [0.1, 0.1, 0.3, 0.3]
    assert runs["seed"].nunique() == 4
    steps = data.steps
    assert len(steps) == 4 * 6
    assert not steps.duplicated(["run_id", "step"]).any()
    assert steps["run_id"].drop_duplicates().tolist() == runs["run_id"].tolist()
    # the summary outcomes are the totals of the per-step table
    totals = steps.groupby("run_id", sort=False)[["orders", "gmv"]].sum()
    merged = runs.set_index("run_id")[["orders", "gmv"]]
    assert (merged["orders"] == totals["orders"]).all()
    assert merged["gmv"].to_numpy() == pytest.approx(totals["gmv"].to_numpy())
    orders = data.orders
    assert orders.groupby("run_id", sort=False).size().tolist() == runs["orders"].tolist()
    assert set(data.platforms["platform"].astype(str)) >= {"pinduoduo", "douyin"}
    manifest = data.manifest
    assert manifest["root_seed"] == 21 and len(manifest["design"]) == 2
    assert [r["run_id"] for r in manifest["runs"]] == runs["run_id"].tolist()
    assert manifest["finished_at"] is not None and manifest["versions"]["mesa"]


def test_a_run_is_reproduced_by_its_seed_and_config(tmp_path: Path):
    from socialsim import ModelConfig
    from socialsim.experiment.single_run import run_simulation

    sweep(tmp_path)
    data = load_sweep(tmp_path / "s")
    run = data.runs.iloc[3]
    config = ModelConfig.model_validate(data.manifest["base_config"]).with_overrides(
        {DISCOUNT: run[DISCOUNT]}
    )
    again = run_simulation(config, seed=int(run["seed"]))
    stored = data.steps[data.steps["run_id"] == run["run_id"]].drop(columns="run_id")
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), again.steps)


def test_running_the_same_spec_again_skips_finished_runs(tmp_path: Path):
    sweep(tmp_path)
    before = sorted((tmp_path / "s" / "runs").iterdir())
    again = sweep(tmp_path)
    assert (again.done, again.failed, again.skipped) == (0, 0, 4)
    assert sorted((tmp_path / "s" / "runs").iterdir()) == before
    sessions = load_sweep(tmp_path / "s").manifest["sessions"]
    assert [s["to_run"] for s in sessions] == [4, 0]


def test_changing_only_the_outcomes_resumes_the_sweep_and_the_manifest_follows(tmp_path: Path):
    sweep(tmp_path, spec=spec(outcomes=["gmv"]))
    again = sweep(tmp_path, spec=spec(outcomes=["orders_group", "gmv_share_pinduoduo"]))
    assert (again.done, again.skipped) == (0, 4)  # the same sweep: nothing runs again
    manifest = load_sweep(tmp_path / "s").manifest
    assert manifest["spec"]["outcomes"] == ["orders_group", "gmv_share_pinduoduo"]
    sweep(tmp_path, spec=spec())
    assert load_sweep(tmp_path / "s").manifest["spec"]["outcomes"] is None


def test_a_run_that_raises_is_recorded_and_the_others_finish(tmp_path: Path):
    summary = sweep(tmp_path, spec=spec(design=FAILING))
    assert (summary.done, summary.failed) == (4, 4)
    runs = load_sweep(tmp_path / "s").runs
    failed = runs[runs["status"] == "failed"]
    assert failed["daigou.n_shoppers"].eq(385).all() and len(failed) == 4
    assert failed["error"].str.startswith("ConfigError: daigou.n_shoppers: must not exceed").all()
    assert failed["traceback"].str.contains("Traceback").all()
    assert failed["gmv"].isna().all()
    ok = runs[runs["status"] == "ok"]
    assert ok["error"].isna().all() and (ok["orders"] > 0).all()
    steps = load_sweep(tmp_path / "s").steps
    assert set(steps["run_id"]) == set(ok["run_id"])
    # failed runs are not retried unless asked
    assert sweep(tmp_path, spec=spec(design=FAILING)).skipped == 8
    retried = sweep(tmp_path, spec=spec(design=FAILING), retry_failed=True)
    assert (retried.done, retried.failed, retried.skipped) == (0, 4, 4)
    assert len(load_sweep(tmp_path / "s").runs) == 8


def test_a_different_spec_is_refused(tmp_path: Path):
    sweep(tmp_path)
    with pytest.raises(ConfigError, match="holds sweep 'it' of a different spec"):
        sweep(tmp_path, spec=spec(steps=7))  # more replications would extend it
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="is not empty and holds no sweep"):
        sweep(tmp_path, "other")


def test_a_running_sweep_locks_its_directory(tmp_path: Path):
    sweep(tmp_path)
    store = SweepStore(tmp_path / "s")
    with store.lock():
        assert store.running() is not None
        with pytest.raises(SweepBusyError, match="in use by a running sweep"):
            sweep(tmp_path)
    assert store.running() is None


def test_orphan_parts_of_unfinished_runs_are_ignored_then_removed(tmp_path: Path):
    sweep(tmp_path)
    folder = tmp_path / "s" / "steps"
    first = sorted(folder.iterdir())[0]
    # a run killed between writing its steps and its runs part: its steps are a leftover
    (tmp_path / "s" / "runs" / first.name).unlink()
    (folder / ".x.parquet.1234.tmp").write_bytes(b"half a file")
    assert first.stem not in set(load_sweep(tmp_path / "s").steps["run_id"])
    summary = sweep(tmp_path)
    assert (summary.done, summary.skipped, summary.set_aside) == (1, 3, [])
    assert not (folder / ".x.parquet.1234.tmp").exists()
    assert len(list(folder.iterdir())) == 4
    assert first.stem in set(load_sweep(tmp_path / "s").steps["run_id"])


def test_the_tables_read_directly_in_duckdb(tmp_path: Path):
    import duckdb

    sweep(tmp_path)
    data = load_sweep(tmp_path / "s")
    con = duckdb.connect()
    n_runs = con.execute(f"SELECT count(*) FROM '{data.files('runs')}'").fetchone()[0]
    by_run = con.execute(
        f"SELECT r.point, sum(s.orders) FROM '{data.files('steps')}' s "
        f"JOIN '{data.files('runs')}' r USING (run_id) GROUP BY r.point ORDER BY r.point"
    ).fetchall()
    assert n_runs == 4
    expected = data.runs.groupby("point")["orders"].sum().tolist()
    assert [int(total) for _, total in by_run] == expected


def test_every_executor_gives_identical_tables(tmp_path: Path):
    the_spec = spec(outputs=["platforms", "orders"], design=FAILING, replications=1)
    sweep(tmp_path, "serial", spec=the_spec)
    sweep(tmp_path, "process", spec=the_spec, executor="process", workers=2)
    sweep(tmp_path, "dask", spec=the_spec, executor="dask", workers=2)
    for name in ("process", "dask"):
        assert_same_sweep_tables(tmp_path / name, tmp_path / "serial")
    runs = load_sweep(tmp_path / "serial").runs
    assert runs["status"].value_counts().to_dict() == {"ok": 2, "failed": 2}


def test_replications_run_as_batches_give_the_tables_run_one_by_one(tmp_path: Path):
    # three replications a point, in batches of two and one; a failing point's runs fail
    # alone (each with its own error), as one by one
    the_spec = spec(
        outputs=["platforms", "orders", "brands", "exports"], design=FAILING, replications=3
    )
    sweep(tmp_path, "serial", spec=the_spec)
    sweep(tmp_path, "batched", spec=the_spec, batch_runs=2)
    sweep(tmp_path, "process", spec=the_spec, executor="process", workers=2, batch_runs=3)
    for name in ("batched", "process"):
        assert_same_sweep_tables(tmp_path / name, tmp_path / "serial")
    runs = load_sweep(tmp_path / "batched").runs
    assert runs["status"].value_counts().to_dict() == {"ok": 6, "failed": 6}
    # replications 0 and 1 of a point ran as one batch (they finished together), 2 alone
    for _, point in runs[runs["status"] == "ok"].groupby("point"):
        finished = point.sort_values("replication")["finished_at"].tolist()
        assert finished[0] == finished[1] != finished[2]
    errors = load_sweep(tmp_path / "serial").runs["error"]
    assert load_sweep(tmp_path / "batched").runs["error"].equals(errors)


def test_resuming_with_other_package_versions_warns(tmp_path: Path, capsys):
    import json

    sweep(tmp_path, spec=spec(design=FAILING))
    manifest_path = tmp_path / "s" / "manifest.json"
    store = SweepStore(tmp_path / "s")
    manifest = store.read_manifest()
    manifest["versions"]["numpy"] = "0.0.1"
    store.write_manifest(manifest)  # as an older socialsim wrote it, checksum and all
    sweep(tmp_path, spec=spec(design=FAILING), retry_failed=True)
    err = capsys.readouterr().err
    assert "warning: this sweep was started with numpy 0.0.1; it resumes with numpy" in err
    sessions = json.loads(manifest_path.read_text())["sessions"]
    assert sessions[-1]["versions"]["numpy"] != "0.0.1"


def test_a_run_that_kills_its_worker_is_left_pending_and_the_others_finish(
    tmp_path: Path, monkeypatch, capsys
):
    import contextlib

    import socialsim.experiment.sweep as sweep_module
    from socialsim.cli import main
    from socialsim.experiment.executors import ProcessExecutor
    from socialsim.experiment.plan import plan_sweep
    from socialsim.experiment.spec import spec_from_dict
    from tests.integration._dying_worker import die_on_point_one

    design = {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.2, 0.3]}}
    the_spec = spec(design=design)
    plan = plan_sweep(spec_from_dict(the_spec))

    @contextlib.contextmanager
    def dying_pool(kind, workers=None, scheduler=None, batch=1):
        executor = ProcessExecutor(2, function=die_on_point_one)
        try:
            yield executor
        finally:
            executor.close()

    monkeypatch.setattr(sweep_module, "open_executor", dying_pool)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(the_spec))
    out = tmp_path / "s"
    code = main(["sweep", str(spec_path), "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    dying = [r.run_id for r in plan.runs if r.point == 1]
    assert "4 done, 0 failed, 2 lost (still pending)" in captured.out
    error = [line for line in captured.err.splitlines() if line.startswith("socialsim:")]
    assert len(error) == 1 and error[0].startswith(
        "socialsim: error: 2 run(s) were lost, not failed (run "
    )
    assert "its worker process died twice while running it" in error[0]
    assert "run the same command again to run them" in error[0]
    # nothing recorded of the lost runs: a resume runs exactly them
    data = load_sweep(out)
    assert sorted(data.runs["run_id"]) == sorted(r.run_id for r in plan.runs if r.point != 1)
    assert data.runs["status"].eq("ok").all()
    monkeypatch.undo()
    summary = run_sweep(the_spec, out=out, executor="serial", progress=False)
    assert (summary.done, summary.skipped, summary.failed) == (2, 4, 0)
    assert sorted(load_sweep(out).runs["run_id"]) == sorted(r.run_id for r in plan.runs)
    assert set(dying) <= set(load_sweep(out).steps["run_id"])


def test_a_failed_run_that_succeeds_on_retry_replaces_its_row(tmp_path: Path, monkeypatch):
    import socialsim.experiment.runner as runner

    real = runner.run_tables

    def flaky(config, seed, outputs=("steps",)):
        if config.platforms["pinduoduo"].group_buying.discount == 0.3:
            raise RuntimeError("disk hiccup")
        return real(config, seed, outputs)

    monkeypatch.setattr(runner, "run_tables", flaky)
    first = sweep(tmp_path)
    assert (first.done, first.failed) == (2, 2)
    monkeypatch.setattr(runner, "run_tables", real)
    second = sweep(tmp_path, retry_failed=True)
    assert (second.done, second.failed, second.skipped) == (2, 0, 2)
    data = load_sweep(tmp_path / "s")
    assert len(data.runs) == 4 and data.runs["status"].eq("ok").all()
    assert data.runs["error"].isna().all()
    assert len(data.steps) == 4 * 6


def test_reordering_the_design_keys_is_a_different_sweep(tmp_path: Path):
    grid = {DISCOUNT: [0.1, 0.3], "network.mean_degree": [6, 8]}
    swapped = dict(reversed(list(grid.items())))
    sweep(tmp_path, spec=spec(design={"kind": "grid", "parameters": grid}))
    with pytest.raises(ConfigError, match="of a different spec"):
        sweep(tmp_path, spec=spec(design={"kind": "grid", "parameters": swapped}))
    # prose and execution settings do not change the runs: resuming is allowed
    again = sweep(
        tmp_path,
        spec=spec(design={"kind": "grid", "parameters": grid}, description="typo fixed"),
    )
    assert again.skipped == 8


def test_list_and_mapping_parameters_are_stored_flat(tmp_path: Path):
    tiers = {
        "population.tiers": {
            1: {"share": 0.5, "median_income": 9000.0, "online_share": 0.9,
                "price_sensitivity": 0.6, "n_cities": 4},
            2: {"share": 0.5, "median_income": 3000.0, "online_share": 0.6,
                "price_sensitivity": 1.4, "n_cities": 20},
        },
        "network.tiers": {1: {"community_size": 30, "community_tie_share": 0.7},
                          2: {"community_size": 20, "community_tie_share": 0.8}},
    }  # fmt: skip
    design = {
        "kind": "scenarios",
        "scenarios": {"six_tiers": {}, "two_tiers": tiers},
        "parameters": {
            "platforms.yunji.micro_stores.commission_rates": [[0.1, 0.05], [0.2, 0.1]],
            "platforms.yunji.micro_stores.regulation.step": [None, 3],
        },
    }
    sweep(tmp_path, spec=spec(design=design, replications=1))
    runs = load_sweep(tmp_path / "s").runs
    assert runs["status"].eq("ok").all() and len(runs) == 8
    rates = runs["platforms.yunji.micro_stores.commission_rates"]
    assert [list(v) for v in rates.iloc[[0, 2]]] == [
        [0.1, 0.05],
        [0.2, 0.1],
    ]
    import json

    stored = runs["population.tiers"].map(json.loads)
    assert set(stored.iloc[0]) == {"1", "2", "3", "4", "5", "6"}
    assert set(stored.iloc[-1]) == {"1", "2"}
    steps = runs["platforms.yunji.micro_stores.regulation.step"]
    assert steps.iloc[:2].isna().tolist() == [True, False] and steps.iloc[1] == 3
    # two-tier worlds have no tier-3 outcomes: missing, not 0
    two = runs[runs["scenario"] == "two_tiers"]
    assert two["penetration_t3"].isna().all() and two["penetration_t1"].notna().all()
