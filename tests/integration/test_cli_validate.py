"""``socialsim validate``: the report it writes, its two sections and its exit status.

The docking runs are shrunk (``SIZES``) and the fact and market checks
replaced by given checks, so that both outcomes, pass and fail, are exercised
in seconds; the real fact and market runs are tested in tests/unit/validation
and the full command is run by hand (docs/validation.md).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from socialsim import cli
from socialsim.validation import report
from socialsim.validation.checks import Check, Kind

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
    large_bass_n=20_000,
    large_bass_replications=1,
    reference_n=300,
    reference_steps=8,
    reference_replications=4,
)

DOCKING = [
    "bass_discrete",
    "bass_continuous",
    "bass_large_population",
    "cascade_giant_component",
    "network_bass_no_faster_than_mean_field",
    "network_bass_faster_than_silent",
    "reference_default_path",
]


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(report.SIZES, "quick", TINY)
    no_runs = SimpleNamespace(default=[], regulated=[])
    monkeypatch.setattr(report, "run_fact_worlds", lambda *args, **kwargs: no_runs)
    monkeypatch.setattr(report, "check_market", lambda runs: [])

    def given(checks):
        monkeypatch.setattr(report, "check_facts", lambda runs: checks)

    return given


def _check(name, values, area="fact 1", tuned=()):
    kind = Kind.CALIBRATION if tuned else Kind.HELD_OUT
    return Check(
        name, area, f"the {name}", 0.0, math.inf, "> 0", f"{name} source", kind, tuned
    ).measured(values)


def test_validate_prints_two_sections_and_a_failing_check_makes_it_exit_1(tiny, tmp_path, capsys):
    tiny(
        [
            _check("clear", [1.0, 1.1, 0.9], tuned=("behaviour.budget_share",)),
            _check("unclear", [1.0, -2.0, 0.5], area="fact 2"),
        ]
    )
    out = tmp_path / "val"
    status = cli.main(["validate", "--quick", "--out", str(out), "--seed", "4"])
    assert status == 1
    printed = capsys.readouterr().out
    targets, held_out = printed.index("Calibration targets"), printed.index("Held-out checks")
    assert targets < held_out
    # the tuned check is a target, with its parameter and source; the other is held out
    clear = printed.index("pass    fact 1: clear")
    assert targets < clear < held_out
    assert "behaviour.budget_share; clear source" in printed
    unclear = printed.index("FAIL    fact 2: unclear")
    assert held_out < unclear
    assert "unclear source" in printed
    for name in DOCKING:
        assert held_out < printed.index(f"docking: {name}"), name
    assert "pass    docking: bass_discrete" in printed
    assert "Calibration targets (1 of 1 passed)" in printed
    assert "s CPU" in printed

    table = pd.read_csv(out / "checks.csv")
    assert table["kind"].tolist()[0] == "calibration target"
    assert set(table["kind"].tolist()[1:]) == {"held-out"}
    assert table.set_index("name").loc["unclear", "passed"] == False  # noqa: E712
    assert table.set_index("name").loc["clear", "tuned"] == "behaviour.budget_share"
    assert table.loc[table["area"] == "docking", "name"].tolist() == DOCKING
    text = (out / "report.md").read_text()
    assert text.index("## Calibration targets") < text.index("## Held-out checks")
    assert "| fact 2 | unclear |" in text and "**FAIL**" in text
    assert "## Not checked" in text and "taobao_live_funnel" in text
    figures = ["bass.png", "bass_large.png", "cascade.png", "network_bass.png", "reference.png"]
    for figure in [*figures, "fact_1.png", "fact_2.png"]:
        assert (out / figure).stat().st_size > 5_000, figure
        assert f"({figure})" in text


def test_validate_exits_0_when_every_check_passes(tiny, tmp_path, capsys):
    tiny([_check("clear", [1.0, 1.1, 0.9])])
    status = cli.main(["validate", "--quick", "--out", str(tmp_path / "v")])
    assert status == 0
    assert "checks passed" in capsys.readouterr().out


def test_a_fact_world_too_short_is_refused_before_anything_runs(tmp_path, capsys):
    status = cli.main(["validate", "--quick", "--out", str(tmp_path), "--set", "run.steps=30"])
    assert status == 2
    assert "run.steps: must be >= 70" in capsys.readouterr().err
    assert not (tmp_path / "checks.csv").exists()
