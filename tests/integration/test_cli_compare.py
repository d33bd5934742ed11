"""socialsim compare: an aligned table that says how arms were paired, files, one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest

from socialsim.analysis.compare import compare_arms
from socialsim.analysis.html import format_number
from socialsim.cli import main
from socialsim.experiment import run_sweep
from tests.conftest import TINY_WORLD

DISCOUNT = "platforms.pinduoduo.group_buying.discount"


@pytest.fixture(scope="module")
def arms(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "arms"
    spec = {
        "name": "arms",
        "seed": 3,
        "steps": 6,
        "replications": 2,
        "base": {**TINY_WORLD, DISCOUNT: 0.05},
        "design": {"kind": "scenarios", "scenarios": {"shallow": {}, "deep": {DISCOUNT: 0.45}}},
    }
    run_sweep(spec, out=out, executor="serial", progress=False)
    return out


def test_compare_prints_the_table_and_writes_it_next_to_the_sweep(arms, capsys):
    capsys.readouterr()
    assert main(["compare", str(arms), "--outcomes", "gmv", "orders_group"]) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    lines = printed.out.splitlines()
    assert lines[0].startswith("arms: arms against baseline 'shallow', paired (common random")
    header = lines[2].split()
    assert header[:3] == ["outcome", "arm", "n"] and header[-1] == "change"
    table = pd.read_parquet(arms / "compare.parquet")
    assert list(table["outcome"]) == ["gmv", "orders_group"]
    # one row per outcome, a blank line between outcomes, the table's numbers in columns
    # that line up
    rows = [line for line in lines if " deep " in line]
    assert rows == [lines[3], lines[5]] and lines[4] == ""
    for line, record in zip(rows, table.to_dict("records"), strict=True):
        cells = line.split()
        assert cells[:3] == [record["outcome"], "deep", "2"]
        assert cells[5] == ("+" if record["difference"] > 0 else "") + format_number(
            record["difference"]
        )
        assert cells[-1] == f"{record['relative_change']:+.1%}"
    assert len({line.index(" deep ") for line in rows}) == 1
    assert len({len(line) for line in [lines[2], *rows]}) == 1
    # two replications: every row warns
    assert "warning: deep: only 2 replications (fewer than 3)" in printed.out
    assert lines[-1] == (
        f"wrote {arms / 'compare.parquet'}, {arms / 'compare.csv'}, {arms / 'compare.png'}"
    )
    assert (arms / "compare.png").stat().st_size > 0


def test_baseline_and_out_options(arms, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "elsewhere"
    assert main(["compare", str(arms), "--baseline", "deep", "--out", str(out)]) == 0
    assert "against baseline 'deep'" in capsys.readouterr().out
    table = pd.read_csv(out / "compare.csv")
    expected = compare_arms(arms, "deep").table
    assert list(table["arm"]) == list(expected["arm"]) == ["shallow"] * len(expected)
    assert table["difference"].tolist() == pytest.approx(expected["difference"].tolist())
    assert main(["compare", str(arms), "--baseline", "1", "--out", str(out)]) == 0
    assert "against baseline 'deep'" in capsys.readouterr().out


def test_an_unknown_baseline_or_outcome_is_a_one_line_usage_error(arms, capsys):
    capsys.readouterr()
    assert main(["compare", str(arms), "--baseline", "medium"]) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and len(printed.err.strip().splitlines()) == 1
    assert printed.err.startswith("socialsim: error: --baseline: is not an arm of this sweep")
    assert "0 (shallow), 1 (deep)" in printed.err
    assert main(["compare", str(arms), "--outcomes", "gmv", "ordrs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("socialsim: error: --outcomes: is not an outcome of the runs table")
    assert "did you mean 'orders'?" in err
    assert main(["compare", str(arms / "missing")]) == 2
    assert "holds no sweep" in capsys.readouterr().err
