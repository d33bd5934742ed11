"""socialsim report: prints the report's path, and refuses a wrong directory in one line."""

from __future__ import annotations

import pytest

from socialsim.cli import main

WORLD = [
    "--set",
    "population.n_consumers=500",
    "influencers.n_kols=2",
    "influencers.n_kocs=6",
    "stores.n_owners=3",
    "daigou.n_shoppers=0",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["run", *WORLD, "--steps", "5", "--seed", "4", "--out", str(out), "--quiet"]) == 0
    return out


def test_report_prints_the_path_it_wrote(run_dir, capsys):
    capsys.readouterr()
    assert main(["report", str(run_dir)]) == 0
    printed = capsys.readouterr()
    path = run_dir / "report.html"
    assert printed.out.strip() == str(path) and printed.err == ""
    assert "Headline totals" in path.read_text(encoding="utf-8")


def test_report_out_and_outcome_options(run_dir, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "reports" / "run.html"
    assert main(["report", str(run_dir), "--out", str(out), "--outcome", "gmv_t1"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert "<td>gmv_t1</td>" in page and "<td>group_success_rate</td>" not in page


def test_a_directory_that_is_neither_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a run")
    assert main(["report", str(tmp_path)]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"socialsim: error: {tmp_path}: ")
    assert "neither a sweep store" in lines[0] and "Traceback" not in printed.err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_an_unknown_outcome_is_a_usage_error_and_debug_shows_the_traceback(run_dir, capsys):
    assert main(["report", str(run_dir), "--outcome", "nope", "--out", "/dev/null/x"]) == 2
    err = capsys.readouterr().err
    assert "unknown outcome(s) nope" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ValueError, match="unknown outcome"):
        main(["--debug", "report", str(run_dir), "--outcome", "nope"])
