"""The default world's calibration record, shipped with the package.

``records/default/`` holds what ``socialsim calibrate
experiments/calibrate_default.yaml`` found and what the package's defaults
were set from: the spec (``calibrate_default.yaml``), the last generation's
particles (``posterior.parquet``), the summary (``summary.json``: posterior,
epsilon and acceptance by generation, targets and held-out checks against
the posterior predictive) and ``record.json`` (date, package version, spec
hash, the command that reproduces it, and the defaults set from it).

``socialsim validate`` measures the default world's held-out facts on worlds
drawn from this posterior (:func:`posterior_draws`), so that the checks see
the calibration's uncertainty, not one point of it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_RECORD",
    "CalibrationRecord",
    "default_record",
    "load_record",
    "posterior_draws",
    "write_record",
]

DEFAULT_RECORD = "default"
"""Name of the default world's record under ``socialsim/calibration/records/``."""

_DRAW_KEY = 0xD4A


class CalibrationRecord:
    """A calibration's record: its spec, last posterior generation and summary.

    Parameters
    ----------
    directory : Path
        A record directory, or any ``socialsim calibrate`` output directory.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        posterior = pd.read_parquet(self.directory / "posterior.parquet")
        last = posterior["generation"].max()
        self.posterior = posterior[posterior["generation"] == last].reset_index(drop=True)
        self.summary: dict[str, Any] = json.loads(
            (self.directory / "summary.json").read_text(encoding="utf-8")
        )
        record = self.directory / "record.json"
        self.record: dict[str, Any] = (
            json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
        )

    @property
    def parameters(self) -> list[str]:
        """The free parameters' dotted keys."""
        return list(self.summary["parameters"])

    def mean(self) -> dict[str, float]:
        """Return the posterior mean of each free parameter."""
        return {k: float(v["mean"]) for k, v in self.summary["parameters"].items()}

    def describe(self) -> str:
        """One line: which calibration, when, and how to reproduce it."""
        when = self.record.get("date") or self.summary.get("finished_at", "?")
        command = self.record.get("command", "")
        return (
            f"calibration {self.summary.get('name')!r} ({self.summary.get('stopped')}), "
            f"{when}" + (f"; reproduce with: {command}" if command else "")
        )


def load_record(directory: str | Path) -> CalibrationRecord:
    """Load a calibration record or a ``socialsim calibrate`` output directory."""
    return CalibrationRecord(directory)


@cache
def default_record() -> CalibrationRecord:
    """Return the default world's shipped calibration record."""
    root = resources.files("socialsim.calibration") / "records" / DEFAULT_RECORD
    return CalibrationRecord(Path(str(root)))


def posterior_draws(record: CalibrationRecord, n: int, seed: int) -> list[dict[str, float]]:
    """Draw `n` parameter sets from a record's posterior (weighted, with replacement).

    Systematic resampling (Kitagawa 1996) from one uniform draw spawned from
    `seed`: the draws follow the weights with the least extra noise, and the
    same seed gives the same draws.

    Parameters
    ----------
    record : CalibrationRecord
    n : int
        Draws to make.
    seed : int
        Root seed.

    Returns
    -------
    list of dict
        Dotted key -> value, one per draw.

    References
    ----------
    Kitagawa, G. (1996). Monte Carlo filter and smoother for non-Gaussian
    nonlinear state space models. *J. Comput. Graph. Stat.* 5(1), 1-25.
    """
    posterior = record.posterior
    weights = posterior["weight"].to_numpy(float)
    cumulative = np.cumsum(weights / weights.sum())
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_DRAW_KEY,)))
    points = (rng.random() + np.arange(n)) / n
    rows = np.minimum(np.searchsorted(cumulative, points, side="right"), len(posterior) - 1)
    return [{k: float(posterior.loc[int(i), k]) for k in record.parameters} for i in rows]


def write_record(
    calibration: str | Path,
    record: str | Path,
    *,
    defaults: dict[str, float],
    spec_file: str | Path | None = None,
) -> CalibrationRecord:
    """Write a record from a finished calibration's directory (a maintainer's step).

    Copies the spec the calibration ran (from its ``calibration.json``), its
    last posterior generation and its summary, and writes ``record.json``
    with the date, the versions, the spec's hash, the command that
    reproduces it and the `defaults` the package took from it.

    Parameters
    ----------
    calibration : str or Path
        A ``socialsim calibrate`` output directory.
    record : str or Path
        The record directory to write (``socialsim/calibration/records/NAME``).
    defaults : dict
        Dotted key -> the value the package's defaults were set to.
    spec_file : str or Path, optional
        The spec file, copied as it is (its comments and prose kept); the
        spec as the calibration recorded it if omitted.

    Returns
    -------
    CalibrationRecord
    """
    import yaml

    source, target = Path(calibration), Path(record)
    target.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((source / "calibration.json").read_text(encoding="utf-8"))
    summary = json.loads((source / "summary.json").read_text(encoding="utf-8"))
    posterior = pd.read_parquet(source / "posterior.parquet")
    posterior[posterior["generation"] == posterior["generation"].max()].to_parquet(
        target / "posterior.parquet", index=False
    )
    (target / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    spec = manifest["spec"]
    name = f"{spec['name']}.yaml"
    text = (
        Path(spec_file).read_text(encoding="utf-8")
        if spec_file is not None
        else yaml.safe_dump(spec, sort_keys=False)
    )
    (target / name).write_text(text, encoding="utf-8")
    command = f"socialsim calibrate experiments/{name} --out calibrations/{spec['name']}"
    info = {
        "date": summary["finished_at"],
        "spec": name,
        "spec_hash": manifest["spec_hash"],
        "command": command,
        "command_run": manifest.get("command"),
        "versions": manifest.get("versions", {}),
        "defaults": defaults,
        "note": "The package's defaults for these keys are the posterior mean, rounded to "
        "three significant figures.",
    }
    (target / "record.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return CalibrationRecord(target)
