"""The socialsim command: run a small world, read its outputs, report errors cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socialsim.cli import main
from socialsim.config import load_config
from socialsim.metrics import ORDER_COLUMNS, penetration_columns

SMALL = [
    "--set",
    "population.n_consumers=3000",
    "influencers.n_kols=10",
    "influencers.n_kocs=60",
    "stores.n_owners=30",
]


def test_run_writes_readable_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--steps", "12", "--seed", "3", "--out", str(out), *SMALL]) == 0
    printed = capsys.readouterr().out
    assert "GMV (RMB)" in printed and "t6" in printed and str(out) in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "brands.parquet",
        "config.yaml",
        "dashboard.png",
        "exports.parquet",
        "platforms.parquet",
        "steps.parquet",
        "summary.json",
        "tiers.parquet",
    ]
    steps = pd.read_parquet(out / "steps.parquet")
    platforms = pd.read_parquet(out / "platforms.parquet")
    config_names = sorted(load_config(out / "config.yaml").platforms)
    assert len(platforms) == 12 * len(config_names)
    assert sorted(platforms["platform"].unique()) == config_names
    per_step = platforms.groupby("step")[["orders", "gmv"]].sum()
    assert (per_step["orders"].to_numpy() == steps["orders"].to_numpy()).all()
    assert np.allclose(per_step["gmv"].to_numpy(), steps["gmv"].to_numpy())
    assert len(steps) == 12
    assert {"step", "gmv", "orders", "buyers", "new_buyers", *penetration_columns(6)} <= set(steps)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["n_consumers"] == 3000
    assert summary["orders"] == steps["orders"].sum()
    assert summary["export_orders"] == steps["export_orders"].sum()
    exports = pd.read_parquet(out / "exports.parquet")
    assert exports["orders"].sum() == summary["export_orders"]
    assert "exports" in printed and "through tmall_world" in printed
    config = load_config(out / "config.yaml")
    assert config.population.n_consumers == 3000 and config.run.steps == 12

    # passing the resolved config back reproduces the run exactly
    again = tmp_path / "again"
    assert (
        main(["run", str(out / "config.yaml"), "--out", str(again), "--quiet", "--no-dashboard"])
        == 0
    )
    pd.testing.assert_frame_equal(steps, pd.read_parquet(again / "steps.parquet"), check_exact=True)


def test_a_run_with_a_start_date_writes_dates_and_its_config_keeps_it(tmp_path):
    out = tmp_path / "dated"
    args = ["run", "--steps", "3", "--seed", "3", "--out", str(out), "--quiet", *SMALL]
    assert main([*args, "run.start_date=2021-10-31"]) == 0
    steps = pd.read_parquet(out / "steps.parquet")
    assert steps["date"].dt.strftime("%m-%d").tolist() == ["10-31", "11-01", "11-02"]
    assert (out / "dashboard.png").stat().st_size > 0
    again = tmp_path / "again"
    assert main(["run", str(out / "config.yaml"), "--out", str(again), "--quiet"]) == 0
    pd.testing.assert_frame_equal(steps, pd.read_parquet(again / "steps.parquet"), check_exact=True)


def test_config_file_with_set_and_config_command(tmp_path, capsys):
    path = tmp_path / "w.yaml"
    path.write_text("population:\n  n_consumers: 4000\nrun:\n  steps: 3\n")
    assert main(["config", str(path), "--set", "network.mean_degree=9"]) == 0
    printed = capsys.readouterr().out
    assert "n_consumers: 4000" in printed and "mean_degree: 9.0" in printed


def test_config_explain_describes_a_key_in_the_world_given(tmp_path, capsys):
    assert main(["config", "--explain", "platforms.pinduoduo.group_buying.discount"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("platforms.pinduoduo.group_buying.discount\n")
    for fragment in (
        "Group price = solo price x (1 - discount).",
        "type     float",
        "unit     share of the solo price (0-1)",
        "default  0.25 in the default world (the pinduoduo preset's value",
        "bounds   >= 0, < 1",
        "source   no reliable typical value",
    ):
        assert fragment in text
    path = tmp_path / "w.yaml"
    path.write_text("population:\n  n_consumers: 4000\n")
    args = ["config", str(path), "--set", "population.tiers.3.share=0.3"]
    args += ["population.tiers.4.share=0.12", "--explain", "population.n_consumers"]
    assert main(args) == 0
    assert f"default  4000 in {path} with --set (the schema's default: 50000)" in (
        capsys.readouterr().out
    )
    assert main(["config", "--explain", "population"]) == 0
    assert "n_consumers = 50000 (consumers): Number of consumers" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        (
            "population.n_consumer",
            "population.n_consumer: unknown key (did you mean 'n_consumers'?)",
        ),
        ("platforms.pdd.fee", "platforms.pdd: no platform 'pdd' in this config; did you mean"),
    ],
)
def test_config_explain_an_unknown_key_is_one_clear_line_and_exit_two(key, fragment, capsys):
    assert main(["config", "--explain", key]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"socialsim: error: --explain: {fragment}")
    assert "Traceback" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["run", "--set", "population.n_consumer=5"],
            "population.n_consumer: unknown key (did you mean 'n_consumers'?)",
        ),
        (["run", "--set", "population.tiers.2.share=0.5"], "tier shares must sum to 1"),
        (["run", "/no/such/file.yaml"], "/no/such/file.yaml: file not found"),
        (["run", "--set", "justakey"], "KEY=VALUE"),
        # the page's world is checked before its server starts
        (["viz", "/no/such/file.yaml", "--no-browser"], "/no/such/file.yaml: file not found"),
        (
            ["viz", "--set", "population.n_consumers=0", "--no-browser"],
            "population.n_consumers: input should be greater than or equal to 2, got 0",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_two(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_a_platform_switched_off_from_the_command_line_is_in_no_table(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", "--steps", "6", "--seed", "2", "--out", str(out), "--events", "--quiet"]
    off = ["--set", "platforms.yunji.enabled=false"]
    assert main([*args, "--no-dashboard", *SMALL, *off]) == 0
    platforms = pd.read_parquet(out / "platforms.parquet")
    orders = pd.read_parquet(out / "orders.parquet")
    config = load_config(out / "config.yaml")
    names = ["douyin", "kaola", "kuaishou", "pinduoduo", "taobao_live"]
    assert sorted(platforms["platform"].unique()) == names
    assert len(platforms) == 6 * len(names)
    assert sorted(orders["platform"].cat.categories) == names and len(orders) > 0
    # the written config keeps the row, switched off, and reruns the same run
    assert config.platforms["yunji"].enabled is False and "yunji" not in config.active_platforms
    again = tmp_path / "again"
    rerun = ["run", str(out / "config.yaml"), "--out", str(again), "--quiet", "--no-dashboard"]
    assert main(rerun) == 0
    pd.testing.assert_frame_equal(
        platforms, pd.read_parquet(again / "platforms.parquet"), check_exact=True
    )
    # a misspelt platform is refused before anything runs
    capsys.readouterr()
    typo = tmp_path / "typo"
    assert (
        main(["run", "--out", str(typo), "--set", "platforms.pdd.group_buying.discount=0.3"]) == 2
    )
    err = capsys.readouterr().err
    assert "--set: platforms.pdd: unknown platform; did you mean 'pinduoduo'?" in err
    assert "A new platform needs 'preset: NAME'" in err and not typo.exists()


def test_zero_steps_still_writes_every_output(tmp_path):
    out = tmp_path / "zero"
    assert main(["run", "--steps", "0", "--seed", "1", "--out", str(out), "--quiet", *SMALL]) == 0
    steps = pd.read_parquet(out / "steps.parquet")
    assert len(steps) == 0 and "penetration_t6" in steps.columns
    assert (out / "dashboard.png").exists()


def test_bad_numbers_are_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--steps", "-3"])
    assert info.value.code == 2
    assert "must be >= 0" in capsys.readouterr().err


def test_refuses_to_overwrite_a_previous_run(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", "--steps", "1", "--seed", "1", "--out", str(out), "--quiet", *SMALL]
    assert main(args) == 0
    summary = (out / "summary.json").read_text()
    assert main(args) == 2
    assert "already holds the outputs of a run" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == summary
    assert main([*args, "--overwrite"]) == 0


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for option in (
        "CONFIG",
        "--steps",
        "--seed",
        "--out",
        "--set",
        "--overwrite",
        "--no-dashboard",
        "--no-progress",
        "--quiet",
    ):
        assert option in text


def test_console_script_runs_in_a_fresh_process(tmp_path):
    exe = Path(sys.executable).with_name("socialsim")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "socialsim"]
    out = tmp_path / "cli"
    result = subprocess.run(
        [
            *command,
            "run",
            "--steps",
            "2",
            "--seed",
            "9",
            "--out",
            str(out),
            "--no-dashboard",
            *SMALL,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "steps.parquet").exists()
    bad = subprocess.run([*command, "run", "--set", "run.steps=-1"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "run.steps:" in bad.stderr and "Traceback" not in bad.stderr


def test_events_writes_the_orders_table(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--steps", "10", "--seed", "4", "--out", str(out), "--events", "--quiet"]
    assert main([*args, "--no-dashboard", *SMALL]) == 0
    orders = pd.read_parquet(out / "orders.parquet")
    assert list(orders.columns) == list(ORDER_COLUMNS)
    steps = pd.read_parquet(out / "steps.parquet")
    assert len(orders) == steps["orders"].sum()
    assert orders["price_paid"].sum() == pytest.approx(steps["gmv"].sum(), rel=1e-6)
    # returns happen return_days after shipping: only orders old enough can be returned
    returned = orders[orders["returned"]]
    assert len(returned) == steps["returns"].sum() > 0
    assert (returned["step"] <= 10 - 7).all()
    assert set(orders["channel"].unique()) == {"solo", "group", "livestream", "store"}
    # without --events there is no orders table
    plain = tmp_path / "plain"
    assert (
        main(["run", "--steps", "2", "--out", str(plain), "--quiet", "--no-dashboard", *SMALL]) == 0
    )
    assert not (plain / "orders.parquet").exists()
