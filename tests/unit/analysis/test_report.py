"""HTML reports of sweeps and runs: self-contained, numbers right, sensitivity, errors, escaping."""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from PIL import Image
from scipy import stats

from socialsim.analysis.compare import compare_arms
from socialsim.analysis.report import build_report
from socialsim.analysis.sensitivity import sobol_indices
from socialsim.cli import main
from socialsim.errors import ConfigError
from socialsim.experiment import load_sweep, run_sweep

TINY = {
    "population.n_consumers": 300,
    "influencers.n_kols": 2,
    "influencers.n_kocs": 6,
    "stores.n_owners": 3,
    "daigou.n_shoppers": 0,
}
DISCOUNT = "platforms.pinduoduo.group_buying.discount"
SIZE = "platforms.pinduoduo.group_buying.size"
DESCRIPTION = 'Does <b>depth</b> pay? Tom & Jerry say "yes" <script>alert(1)</script>'


def fmt(x: float) -> str:
    """The report's number format, written out again: four significant digits, or units."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def t_interval(values: pd.Series) -> tuple[float, float]:
    n = len(values)
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return float(values.mean()), float(half)


class _Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def section(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def assert_self_contained(page: str) -> int:
    """Check nothing is fetched from elsewhere; return how many images were checked."""
    lowered = page.lower()
    assert "<link" not in lowered and "<script" not in lowered and "@import" not in lowered
    assert "http://" not in lowered and "https://" not in lowered
    sources = re.findall(r'src="([^"]*)"', page)
    for source in sources:
        assert source.startswith("data:image/png;base64,"), source[:40]
        data = base64.b64decode(source.split(",", 1)[1], validate=True)
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        Image.open(io.BytesIO(data)).verify()  # a whole, well-formed PNG
    return len(sources)


def sweep(tmp_path_factory, name: str, design: dict, **spec) -> Path:
    out = tmp_path_factory.mktemp(name) / "sweep"
    document = {"name": name, "seed": 11, "steps": 3, "base": TINY, "design": design, **spec}
    run_sweep(document, out=out, executor="serial", progress=False)
    return out


# --------------------------------------------------------------------------- a grid sweep


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    out = sweep(
        tmp_path_factory,
        "depth",
        {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.4]}},
        steps=4,
        replications=2,
        description=DESCRIPTION,
        outputs=["platforms", "tiers"],
    )
    path = build_report(out)
    return out, path, path.read_text(encoding="utf-8")


def test_grid_report_is_written_next_to_the_sweep_and_self_contained(grid):
    out, path, page = grid
    assert path == out / "report.html"
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    outcomes = next(t for t in tables(page) if "n ok" in t[0])[0][4:]
    assert outcomes[:5] == [
        "gmv",
        "orders",
        "penetration",
        "penetration_lower_tiers",
        "average_order_value",
    ]
    # six per-step figures (market shares: platforms was kept) and one response per outcome
    assert assert_self_contained(page) == 6 + len(outcomes)


def test_grid_report_says_what_was_run(grid):
    out, _, page = grid
    manifest = load_sweep(out).manifest
    run = section(page, "run")
    assert "depth" in run and "grid, 2 points" in run and DISCOUNT in run
    rows = {r[0]: r[1] for r in tables(run)[0] if len(r) == 2}
    assert rows["root seed"] == "11" and rows["replications"] == "2"
    assert rows["runs"] == "4 planned: 4 ok, 0 failed, 0 not recorded"
    assert rows["git commit"] == (manifest["git_commit"] or "not recorded")
    versions = next(t for t in tables(run) if t[0] == ["package", "version"])
    assert dict(versions[1:]) == manifest["versions"]
    assert "SeedSequence(root, spawn_key=(point, replication))" in run
    spec = re.search(r"<h3>Spec</h3><pre>(.*?)</pre>", run, re.S).group(1)
    assert yaml.safe_load(html.unescape(spec)) == manifest["spec"]
    assert manifest["created_at"] in run and manifest["sessions"][0]["started_at"] in run


def test_grid_report_has_the_mean_and_t_interval_of_every_point(grid):
    out, _, page = grid
    runs = load_sweep(out).runs
    summary = next(t for t in tables(section(page, "summary")) if "n ok" in t[0])
    header, body = (
        summary[0],
        {row[0]: dict(zip(summary[0], row, strict=True)) for row in summary[1:]},
    )
    assert set(body) == {"0", "1"}
    checked = 0
    for outcome in (
        "gmv",
        "orders",
        "penetration",
        "penetration_lower_tiers",
        "average_order_value",
    ):
        assert outcome in header
        for point, group in runs.groupby("point"):
            values = group[outcome].astype(float)
            assert values.notna().all() and len(values) == 2
            mean, half = t_interval(values)
            # two replications per point: every cell is flagged, and the table says why
            assert body[str(point)][outcome] == f"{fmt(mean)} ± {fmt(half)} ⚠", (outcome, point)
            checked += 1
    assert checked == 10
    assert "⚠: fewer than 3 values" in section(page, "summary")
    assert body["0"]["parameters"] == f"{DISCOUNT}=0.1" and body["1"]["n ok"] == "2"
    assert "Failed runs (0)" in page


def test_grid_report_draws_a_response_curve_per_outcome_and_no_sensitivity(grid):
    _, _, page = grid
    assert f"gmv vs {DISCOUNT} (mean, 95% CI)" in page
    assert "Market shares" in page and "Livestream funnel" in page
    assert "sensitivity indices need a sobol or morris design; this one is &#x27;grid&#x27;" in (
        section(page, "sensitivity")
    )


def test_text_from_the_spec_is_escaped(grid):
    _, _, page = grid
    assert DESCRIPTION not in page and "<b>depth</b>" not in page and "<script>" not in page
    assert "Does &lt;b&gt;depth&lt;/b&gt; pay? Tom &amp; Jerry say &quot;yes&quot;" in page


def test_out_and_outcomes_choose_the_file_and_the_columns(grid, tmp_path):
    out, _, _ = grid
    path = build_report(out, tmp_path / "deep" / "r.html", outcomes=["gmv_t1", "orders_group"])
    assert path == tmp_path / "deep" / "r.html"
    page = path.read_text(encoding="utf-8")
    summary = next(t for t in tables(page) if "n ok" in t[0])
    assert summary[0][4:] == ["gmv_t1", "orders_group"]
    with pytest.raises(ConfigError, match=r"unknown outcome.*no_such_outcome"):
        build_report(out, tmp_path / "x.html", outcomes=["gmv", "no_such_outcome"])


# --------------------------------------------------------------------------- other designs


def test_failed_runs_are_counted_and_listed(tmp_path_factory):
    # 385 daigou shoppers pass validation in a 400-consumer world but fail when it is built
    out = sweep(
        tmp_path_factory,
        "fails",
        {"kind": "grid", "parameters": {"daigou.n_shoppers": [0, 385]}},
        base={**TINY, "population.n_consumers": 400, "influencers.n_kocs": 8, "stores.n_owners": 4},
        replications=2,
    )
    page = build_report(out, outcomes=["gmv"]).read_text(encoding="utf-8")
    runs = load_sweep(out).runs
    bad = runs[runs["status"] == "failed"]
    assert len(bad) == 2
    assert "Failed runs (2)" in page
    listed = next(t for t in tables(page) if t[0][:2] == ["run id", "point"])
    assert sorted(r[0] for r in listed[1:]) == sorted(bad["run_id"])
    assert all(r[3] for r in listed[1:])  # the error is shown
    summary = next(t for t in tables(page) if "n ok" in t[0])
    assert [row[:4] for row in summary[1:]] == [["0", "daigou.n_shoppers=0", "2", "0"]]


def test_scenarios_compare_arms_and_two_parameters_give_a_heat_map(tmp_path_factory):
    arms = sweep(
        tmp_path_factory,
        "arms",
        {"kind": "scenarios", "scenarios": {"base": {}, "deep": {DISCOUNT: 0.45}}},
        replications=2,
    )
    page = build_report(arms, outcomes=["gmv", "orders"]).read_text(encoding="utf-8")
    assert "gmv by arm (mean, 95% CI)" in page and "orders by arm (mean, 95% CI)" in page
    summary = next(t for t in tables(page) if "n ok" in t[0])
    assert summary[0][1] == "scenario" and [r[1] for r in summary[1:]] == ["base", "deep"]
    assert "spawn_key=(replication,)" in page  # common random numbers by default for arms
    # no market shares: this sweep kept no per-platform table, and says so; the arms'
    # comparison adds one figure
    assert assert_self_contained(page) == 5 + 2 + 1
    assert "Market shares: the per-platform table was not kept." in page

    # the arms against the baseline, as 'socialsim compare' computes them
    compare = section(page, "compare")
    expected = compare_arms(arms, outcomes=["gmv", "orders"])
    assert "paired (common random numbers)" in compare and "against baseline &#x27;base" in compare
    shown = next(t for t in tables(compare) if t[0][:2] == ["outcome", "arm"])
    assert shown[0][6] == "95% CI"
    text = expected.formatted().to_numpy().tolist()
    assert [row[:8] for row in shown[1:]] == text and len(text) == 2
    assert [row[8] for row in shown[1:]] == ["⚠", "⚠"]  # two replications
    assert "deep: only 2 replications (fewer than 3)" in compare
    assert "Difference to base per outcome (95% CI" in compare

    grid2 = sweep(
        tmp_path_factory,
        "two",
        {"kind": "grid", "parameters": {DISCOUNT: [0.1, 0.4], SIZE: [2, 3]}},
    )
    page = build_report(grid2, outcomes=["gmv"]).read_text(encoding="utf-8")
    # every cell of the heat map says its n and the half-width of its interval
    assert f"Mean gmv over {DISCOUNT} × {SIZE} (in each cell: n and the half-width" in page
    # no common random numbers: no arms' comparison, and the page says where to get one
    assert "Not shown for a grid design without common random numbers" in section(page, "compare")


def test_the_spec_s_outcomes_fill_the_summary_and_platform_shares_have_their_table(
    tmp_path_factory,
):
    out = sweep(
        tmp_path_factory,
        "about",
        {"kind": "scenarios", "scenarios": {"base": {}, "deep": {DISCOUNT: 0.45}}},
        replications=3,
        outcomes=["orders_group", "gmv_share_pinduoduo"],
    )
    page = build_report(out).read_text(encoding="utf-8")
    summary = next(t for t in tables(section(page, "summary")) if "n ok" in t[0])
    assert summary[0][4:] == ["orders_group", "gmv_share_pinduoduo"]
    assert "⚠" not in section(page, "summary")  # three replications: nothing flagged
    # every platform's GMV share per point, as the runs table has it
    runs = load_sweep(out).runs
    assert "<h3>GMV share by platform</h3>" in section(page, "summary")
    shares = next(t for t in tables(section(page, "summary")) if "pinduoduo" in t[0])
    platforms = [c.removeprefix("gmv_share_") for c in runs if c.startswith("gmv_share_")]
    assert shares[0][2:] == platforms and "pinduoduo" in platforms
    for row in shares[1:]:
        values = runs.loc[runs["point"] == int(row[0]), "gmv_share_pinduoduo"].astype(float)
        mean, half = t_interval(values)
        assert row[2 + platforms.index("pinduoduo")] == f"{fmt(mean)} ± {fmt(half)}"
    # the comparison follows the spec's outcomes too
    compare = next(t for t in tables(section(page, "compare")) if t[0][:2] == ["outcome", "arm"])
    assert [r[0] for r in compare[1:]] == ["orders_group", "gmv_share_pinduoduo"]
    # asked for on the command line wins over the spec
    asked = build_report(out, out / "gmv.html", outcomes=["gmv"]).read_text(encoding="utf-8")
    assert next(t for t in tables(asked) if "n ok" in t[0])[0][4:] == ["gmv"]


# --------------------------------------------------------------------------- sensitivity


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    return sweep(
        tmp_path_factory,
        "sens",
        {"kind": "sobol", "samples": 4, "bounds": {DISCOUNT: [0.05, 0.4], SIZE: [2, 5]}},
    )


def test_sobol_report_shows_the_indices_of_sobol_indices(sobol):
    page = build_report(sobol, outcomes=["gmv", "orders"]).read_text(encoding="utf-8")
    part = section(page, "sensitivity")
    for outcome in ("gmv", "orders"):
        expected = sobol_indices(sobol, outcome)
        start = part.index(f"<h3>{outcome}</h3>")
        table = tables(part[start:])[0]
        assert table[0] == ["parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
        assert [r[0] for r in table[1:]] == [DISCOUNT, SIZE]
        for row, want in zip(table[1:], expected.to_dict("records"), strict=True):
            assert row[1:] == [fmt(want[c]) for c in table[0][1:]], outcome
    assert "sobol indices of gmv" in part and "Indices unavailable" not in part
    assert assert_self_contained(part) == 2
    assert "no response curves are drawn" in page


def test_an_incomplete_sobol_sweep_still_gets_a_report_saying_why_indices_are_missing(
    sobol, tmp_path
):
    copy = tmp_path / "incomplete"
    shutil.copytree(sobol, copy)
    runs = load_sweep(copy).runs
    lost = runs.loc[runs["point"] == 9, "run_id"].item()
    (copy / "runs" / f"{lost}.parquet").unlink()
    page = build_report(copy, outcomes=["gmv", "orders"]).read_text(encoding="utf-8")
    part = section(page, "sensitivity")
    assert "Indices unavailable for gmv, orders" in part
    assert "1 of 16 points have no successful run (1 not run yet, 0 failed): points 9" in part
    assert "Resume the sweep" in part and "S1_low" not in part
    assert "16 planned: 15 ok, 0 failed, 1 not recorded" in page
    assert "the sweep is not complete" in page


# --------------------------------------------------------------------------- single runs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    overrides = [f"{k}={v}" for k, v in TINY.items() if k != "population.n_consumers"]
    argv = ["run", "--set", "population.n_consumers=500", *overrides]
    assert main([*argv, "--steps", "5", "--seed", "123456789", "--out", str(out), "--quiet"]) == 0
    return out


def test_run_report_has_the_headline_totals_and_provenance(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    path = build_report(run_dir)
    page = path.read_text(encoding="utf-8")
    assert path == run_dir / "report.html"
    totals = dict(r for r in tables(section(page, "summary"))[0] if len(r) == 2)
    assert totals["GMV (RMB)"] == fmt(summary["gmv"])
    assert totals["orders"] == f"{summary['orders']:,}"
    assert totals["customers"] == f"{summary['customers']:,}"
    assert totals["penetration"] == fmt(summary["penetration"])
    assert totals["penetration t3"] == fmt(summary["penetration_by_tier"]["t3"])
    assert totals["consumers"] == "500" and totals["days"] == "5" and totals["seed"] == "123456789"
    provenance = dict(r for r in tables(section(page, "run"))[0] if len(r) == 2)
    assert provenance["config_hash"] == summary["config_hash"]
    assert provenance["mesa_version"] == summary["mesa_version"]
    assert "n_consumers: 500" in page and "seed: 123456789" in page  # config.yaml
    # the six figures and the run's own dashboard.png
    assert assert_self_contained(page) == 7
    assert "Market shares" in page


# --------------------------------------------------------------------------- errors


def test_a_directory_that_is_neither_is_refused_by_name(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="neither a sweep store") as error:
        build_report(tmp_path)
    assert str(tmp_path) in str(error.value) and "summary.json" in str(error.value)
    with pytest.raises(ConfigError, match="does not exist"):
        build_report(tmp_path / "missing")
    assert not (tmp_path / "report.html").exists()
