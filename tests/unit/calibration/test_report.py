"""The calibration's report.html: numbers from summary.json, figures, checks, optimize, n/a."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from socialsim.calibration.report import write_report

EXAMPLE = Path(__file__).parents[2] / "data" / "calibration_example"
BUDGET = "behaviour.budget_share"
DISCOUNT = "platforms.pinduoduo.group_buying.discount"


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (header row first)."""

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


def section(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def tables(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def images(html: str) -> dict[str, Image.Image]:
    """Each embedded figure by its alt text, checked to be a whole PNG."""
    found = {}
    for alt, data in re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', html):
        raw = base64.b64decode(data, validate=True)
        Image.open(io.BytesIO(raw)).verify()
        found[alt] = Image.open(io.BytesIO(raw))
    assert len(found) == html.count("<img"), "every image is an inline PNG with its own caption"
    return found


def edit_summary(directory: Path, change) -> None:
    path = directory / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    change(summary)
    path.write_text(json.dumps(summary), encoding="utf-8")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    directory = tmp_path / "recover"
    shutil.copytree(EXAMPLE, directory)
    return directory


@pytest.fixture
def summary() -> dict:
    return json.loads((EXAMPLE / "summary.json").read_text(encoding="utf-8"))


def test_the_abc_report_has_every_parameter_and_target_with_its_numbers(example, summary):
    path = write_report(example)
    assert path == example / "report.html"
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page and "https://" not in page

    posterior = {row[0]: row for row in tables(section(page, "posterior"))[0][1:]}
    assert set(posterior) == {BUDGET, DISCOUNT}
    budget = posterior[BUDGET]
    assert budget[1:] == [
        "0.06451",
        "0.03395 to 0.08338",
        "0.07674",
        "0.01907",
        "[0.03, 0.12]",
        "uniform",
    ]

    targets = {row[0]: row for row in tables(section(page, "targets"))[0][1:]}
    assert set(targets) == {t["outcome"] for t in summary["targets"]}
    for t in summary["targets"]:
        miss = (t["mean"] - t["value"]) / t["scale"]
        assert targets[t["outcome"]][5] == f"{miss:+.2f}"
        assert targets[t["outcome"]][6] == t["source"]
    assert targets["gmv_share_pinduoduo"][1:5] == ["0.5", "0.05", "0.4757", "0.433 to 0.5087"]

    progress = tables(section(page, "progress"))[0]
    assert progress[1:] == [
        ["0", "3.186", "27", "10", "37.0%"],
        ["1", "1.653", "21", "10", "47.6%"],
    ]

    run = dict(row for row in tables(section(page, "run"))[0] if len(row) == 2)
    simulations = sum(len(pd.read_parquet(p)) for p in (example / "simulations").iterdir())
    assert run["simulations"].startswith(f"{simulations} (10 of them drawn from the prior")
    assert run["method"].startswith("abc-smc (population 10, generations 2")
    # the recorded command is "-c" (started from Python): the report gives the equivalent
    assert "<pre>-c</pre>" in page and "socialsim calibrate recover.yaml --out DIR" in page
    assert "None were given" in section(page, "held-out")

    figures = images(page)
    assert len(figures) == 4  # marginals, pairs, epsilon and acceptance, targets
    marginals = next(image for alt, image in figures.items() if alt.startswith("Posterior"))
    assert marginals.width > 2 * marginals.height  # the two parameters side by side


def test_held_out_checks_show_pass_and_miss_from_the_summary(example):
    checks = [
        {
            "outcome": "penetration",
            "low": 0.2,
            "high": 0.9,
            "band": "[0.2, 0.9]",
            "source": "CNNIC <b>2020</b> & co",
            "mean": 0.5,
            "q05": 0.4,
            "q95": 0.6,
            "passes": True,
        },
        {
            "outcome": "return_rate",
            "low": None,
            "high": 0.05,
            "band": "<= 0.05",
            "source": "survey",
            "mean": 0.12,
            "q05": 0.1,
            "q95": 0.14,
            "passes": False,
        },
    ]
    edit_summary(example, lambda s: s.update(held_out=checks))
    held_out = section(write_report(example).read_text(encoding="utf-8"), "held-out")
    rows = tables(held_out)[0]
    assert rows[0] == ["outcome", "band", "predicted mean", "90 % interval", "verdict", "source"]
    assert rows[1] == [
        "penetration",
        "[0.2, 0.9]",
        "0.5",
        "0.4 to 0.6",
        "pass",
        "CNNIC <b>2020</b> & co",
    ]
    assert rows[2][:5] == ["return_rate", "<= 0.05", "0.12", "0.1 to 0.14", "MISS"]
    assert "1 of 2 pass" in held_out
    assert "CNNIC &lt;b&gt;2020&lt;/b&gt; &amp; co" in held_out and "<b>2020" not in held_out


def test_missing_values_render_as_n_a(example):
    def blank(s: dict) -> None:
        s["parameters"][BUDGET].update(sd=None, q05=None)
        s["targets"][0].update(mean=None, q05=None, q95=None)
        s["generations"][0]["epsilon"] = None
        s["held_out"] = [
            {
                "outcome": "penetration",
                "low": 0.2,
                "high": None,
                "band": ">= 0.2",
                "source": "x",
                "mean": None,
                "q05": None,
                "q95": None,
                "passes": False,
            },
        ]

    edit_summary(example, blank)
    page = write_report(example).read_text(encoding="utf-8")
    posterior = {row[0]: row for row in tables(section(page, "posterior"))[0][1:]}
    assert posterior[BUDGET][2] == "n/a" and posterior[BUDGET][4] == "n/a"
    target = tables(section(page, "targets"))[0][1]
    assert target[3:6] == ["n/a", "n/a", "n/a"]
    assert tables(section(page, "progress"))[0][1][1] == "n/a"
    assert tables(section(page, "held-out"))[0][1][2:5] == ["n/a", "n/a", "MISS"]
    assert len(images(page)) == 4  # a target without a prediction is still drawn (as a note)


def test_an_optimize_fit_shows_its_trials_instead_of_generations(example):
    rng = np.random.default_rng(3)
    trials = pd.DataFrame(
        {
            "trial": np.arange(12),
            "distance": rng.uniform(0.5, 4.0, 12),
            BUDGET: rng.uniform(0.03, 0.12, 12),
            DISCOUNT: rng.uniform(0.05, 0.45, 12),
        }
    )
    trials.loc[7, "distance"] = np.inf  # a failed trial is told infinity
    trials = trials.sort_values(["distance", "trial"], ignore_index=True)  # as trials_table does
    trials.to_parquet(example / "trials.parquet", index=False)
    best = trials.iloc[0]
    pd.DataFrame(
        [
            {
                "generation": 0,
                "particle": int(best["trial"]),
                "weight": 1.0,
                "distance": best["distance"],
                BUDGET: best[BUDGET],
                DISCOUNT: best[DISCOUNT],
            }
        ]
    ).to_parquet(example / "posterior.parquet", index=False)

    def point_fit(s: dict) -> None:
        s["method"] = {"kind": "optimize", "trials": 12, "batch": 4}
        s["generations"] = []
        s["stopped"] = f"12 trials, best distance {best['distance']:.4g}"
        for key in (BUDGET, DISCOUNT):
            value = float(best[key])
            s["parameters"][key].update(mean=value, sd=0.0, q05=value, q50=value, q95=value)

    edit_summary(example, point_fit)
    page = write_report(example).read_text(encoding="utf-8")
    progress = section(page, "progress")
    assert "optimize has no generations" in progress and "Epsilon" not in progress
    figures = images(page)
    assert "Distance by trial" in figures
    assert len(figures) == 4  # marginals, pairs over the trials, distance by trial, targets
    assert "point fit" in section(page, "posterior")
    assert "the best point's simulations" in unescape(section(page, "targets"))


def test_one_parameter_has_no_pairs_and_a_missing_manifest_is_n_a(example):
    edit_summary(example, lambda s: s["parameters"].pop(DISCOUNT))
    (example / "calibration.json").unlink()
    page = write_report(example).read_text(encoding="utf-8")
    assert "One parameter: no pairs to draw." in page
    assert len(images(page)) == 3
    run = dict(row for row in tables(section(page, "run"))[0] if len(row) == 2)
    assert run["spec file"] == "n/a" and run["per candidate"] == "n/a"


def test_a_loguniform_prior_is_drawn_on_a_log_axis(example):
    edit_summary(example, lambda s: s["parameters"][BUDGET].update(prior="loguniform"))
    page = write_report(example).read_text(encoding="utf-8")
    assert "not drawn" not in page and len(images(page)) == 4
    posterior = {row[0]: row for row in tables(section(page, "posterior"))[0][1:]}
    assert posterior[BUDGET][-1] == "loguniform"
