"""``socialsim validate``: the report it writes and its exit status.

The docking runs are shrunk (``SIZES``) and the stylized facts replaced by
given checks, so that both outcomes, pass and fail, are exercised in seconds;
the real fact runs are tested in tests/unit/validation/test_facts.py and the
full command is run by hand (README, "Validation").
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from socialsim import cli
from socialsim.validation import report
from socialsim.validation.facts import FACTS, FactCheck

TINY = report._Sizes(
    bass_n=100,
    bass_replications=3,
    bass_steps=10,
    substeps=2,
    substep_replications=2,
    cascade_n=300,
    cascade_runs=12,
    network_n=300,
    network_replications=3,
    fact_replications=1,
)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(report.SIZES, "quick", TINY)
    monkeypatch.setattr(report, "run_fact_worlds", lambda *args, **kwargs: None)

    def given(checks):
        monkeypatch.setattr(report, "check_facts", lambda runs: checks)

    return given


def _fact(name, values, fact=1):
    return FactCheck(fact, name, f"the {name}", "> 0", 0.0, math.inf, tuple(values))


def test_a_failing_check_makes_validate_exit_1_and_the_report_says_so(tiny, tmp_path, capsys):
    tiny([_fact("clear", [1.0, 1.1, 0.9]), _fact("unclear", [1.0, -2.0, 0.5], fact=2)])
    out = tmp_path / "val"
    status = cli.main(["validate", "--quick", "--out", str(out), "--seed", "4"])
    assert status == 1
    printed = capsys.readouterr().out
    assert "FAIL  fact 2    unclear" in printed
    assert "pass  fact 1    clear" in printed
    assert "pass  docking   bass_discrete" in printed
    table = pd.read_csv(out / "checks.csv")
    assert table.set_index("name").loc["unclear", "passed"] == False  # noqa: E712
    assert table["area"].tolist()[:4] == ["docking"] * 4
    text = (out / "report.md").read_text()
    assert "| fact 2 | unclear |" in text and "**FAIL**" in text
    for figure in ["bass.png", "cascade.png", "network_bass.png"] + [
        f"fact_{k}.png" for k in FACTS if k in (1, 2)
    ]:
        assert (out / figure).stat().st_size > 5_000, figure
        assert f"({figure})" in text


def test_validate_exits_0_when_every_check_passes(tiny, tmp_path, capsys):
    tiny([_fact("clear", [1.0, 1.1, 0.9])])
    status = cli.main(["validate", "--quick", "--out", str(tmp_path / "v")])
    assert status == 0
    assert "checks passed" in capsys.readouterr().out


def test_a_fact_world_too_short_is_refused_before_anything_runs(tmp_path, capsys):
    status = cli.main(["validate", "--quick", "--out", str(tmp_path), "--set", "run.steps=30"])
    assert status == 2
    assert "run.steps: must be >= 70" in capsys.readouterr().err
    assert not (tmp_path / "checks.csv").exists()
