"""A world too big for the machine is refused before anything is built, with the estimate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.cli import main
from socialsim.experiment import run_sweep
from socialsim.experiment.sweep import check_sweep
from socialsim.world import memory
from socialsim.world.memory import SKIP_ENV, MemoryLimitError, estimate_memory
from tests.conftest import TINY_WORLD

GB = 10**9


@pytest.fixture
def machine_with(monkeypatch):
    """Pretend the machine has `size` bytes available (and that the check is not skipped)."""
    monkeypatch.delenv(SKIP_ENV, raising=False)

    def set_available(size: int) -> None:
        monkeypatch.setattr(memory, "available_memory", lambda: size)

    return set_available


def test_run_refuses_a_world_that_does_not_fit_before_building_it(tmp_path, machine_with, capsys):
    machine_with(1 * GB)
    out = tmp_path / "run"
    code = main(["run", "--set", "population.n_consumers=3000000", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    needed = estimate_memory(ModelConfig().with_overrides({"population.n_consumers": 3_000_000}))
    assert err.startswith("socialsim: error: population.n_consumers: needs about ")
    part, size = next(iter(needed.parts.items()))
    assert (
        f"needs {needed.brief} of memory (the largest part: {part} {memory._gb(size)}), "
        "more than the 1.0 GB available; use fewer consumers"
    ) in err
    assert f"set {SKIP_ENV}=1 to skip this check, got 3000000" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("arguments", "key", "value", "advice"),
    [
        (["--steps", "10000000"], "run.steps", "10000000", "run fewer days"),
        (["--set", "run.steps=10000000"], "run.steps", "10000000", "run fewer days"),
        (["--set", "influencers.n_kols=100000000"], "influencers.n_kols", "100000000", "KOLs"),
        (["--set", "network.mean_degree=20000"], "network.mean_degree", "20000.0", "degree"),
        (
            ["--set", "population.n_consumers=20000000", "--steps", "1000"],
            "population.n_consumers",  # 400 times the consumers outweigh 11 times the days
            "20000000",
            "use fewer consumers",
        ),
    ],
)
def test_a_refusal_names_the_key_that_makes_the_world_too_big(
    tmp_path, machine_with, capsys, arguments, key, value, advice
):
    machine_with(20 * GB)
    out = tmp_path / "run"
    code = main(["run", *arguments, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"socialsim: error: {key}: needs about "), err
    assert advice in err and err.endswith(f"got {value}")
    assert not out.exists()


def test_the_key_blamed_is_the_one_whose_default_saves_the_most():
    default = ModelConfig()
    assert memory.dominant_key(default) == ("population.n_consumers", 50_000)
    big = default.with_overrides({"population.n_consumers": 2_000_000, "run.steps": 100})
    # twenty times the consumers outweigh a tenth more days
    assert memory.dominant_key(big) == ("population.n_consumers", 2_000_000)
    long = default.with_overrides({"population.n_consumers": 60_000, "run.steps": 50_000})
    assert memory.dominant_key(long) == ("run.steps", 50_000)
    # a key below its default never takes the blame
    short = default.with_overrides({"population.n_consumers": 900_000, "run.steps": 5})
    assert memory.dominant_key(short) == ("population.n_consumers", 900_000)


def test_the_model_checks_and_the_variable_skips_the_check(machine_with, monkeypatch):
    config = ModelConfig.small()
    machine_with(estimate_memory(config).total - 1)
    with pytest.raises(MemoryLimitError) as refused:
        SocialCommerceModel(config, rng=1)
    assert refused.value.problems[0].path == "population.n_consumers"
    monkeypatch.setenv(SKIP_ENV, "1")
    assert SocialCommerceModel(config, rng=1).world.n_consumers == config.population.n_consumers


def _spec(tmp_path: Path) -> Path:
    spec = {
        "name": "mem",
        "seed": 2,
        "steps": 2,
        "base": TINY_WORLD,
        "design": {"kind": "grid", "parameters": {"population.n_consumers": [300, 400]}},
        "replications": 2,
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_a_sweep_counts_its_workers_and_refuses_before_creating_anything(
    tmp_path, machine_with, capsys
):
    spec = _spec(tmp_path)
    one_world = estimate_memory(
        ModelConfig().with_overrides({**TINY_WORLD, "population.n_consumers": 400})
    )
    machine_with(one_world.total + memory.PROCESS_BYTES)  # one world fits, four do not
    out = tmp_path / "sweep"
    args = ["sweep", str(spec), "--out", str(out), "--no-progress"]
    assert main([*args, "--executor", "process", "--workers", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{spec}: population.n_consumers: needs about" in err
    assert "(4 workers, each about" in err and err.endswith("got 400")
    assert not out.exists()
    # serially, one world at a time fits
    assert main([*args, "--executor", "serial"]) == 0
    assert "4 done, 0 failed" in capsys.readouterr().out


def test_a_remote_dask_cluster_is_left_to_check_its_own_workers(tmp_path, machine_with):
    spec = yaml.safe_load(_spec(tmp_path).read_text())
    machine_with(1)
    # the workers are elsewhere: nothing to check here
    setup = check_sweep(spec, tmp_path / "s", scheduler="tcp://10.0.0.5:8786")
    assert (setup.workers, setup.memory) == (None, None)
    with pytest.raises(MemoryLimitError):
        check_sweep(spec, tmp_path / "s", executor="dask")  # a local cluster is on this machine
    with pytest.raises(MemoryLimitError):
        run_sweep(spec, out=tmp_path / "s", executor="serial", progress=False)
    assert not (tmp_path / "s").exists()
