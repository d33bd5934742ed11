"""The golden run and the golden sweep, stored in tests/data.

The golden run is a small seeded run whose per-step table is stored as CSV.
The golden sweep is a small sweep (a Sobol design, every output table) whose
run ids and per-run table fingerprints are stored as JSON: the suite runs under
Python 3.11 with Mesa 3.3 and under Python 3.12 with Mesa 3.5, so both must
give the same bits. Any change to the model's numbers shows up as a difference
from the stored files. When a change is deliberate, regenerate them and say why
in the commit message:

    python tests/golden.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialsim import ModelConfig, SocialCommerceModel

GOLDEN = Path(__file__).parent / "data" / "golden_small_steps.csv"
SEED = 20261122
STEPS = 20

GOLDEN_SWEEP = Path(__file__).parent / "data" / "golden_sweep.json"
SWEEP_SPEC: dict[str, Any] = {
    "name": "golden",
    "seed": 20261123,
    "steps": 8,
    "replications": 2,
    "base": {
        "population.n_consumers": 500,
        "influencers.n_kols": 2,
        "influencers.n_kocs": 10,
        "stores.n_owners": 5,
        "daigou.n_shoppers": 1,
    },
    "outputs": ["platforms", "tiers", "orders"],
    "design": {
        "kind": "sobol",
        "samples": 1,
        "bounds": {
            "network.mean_degree": [5, 10],
            "platforms.pinduoduo.group_buying.discount": [0.1, 0.3],
        },
    },
}
"""4 Sobol points x 2 replications = 8 runs of 500 consumers x 8 days, every table kept."""


def legacy_step_columns() -> list[str]:
    """Return the step table's column order when the golden files were written (the CSV's).

    Column order may change (the components declare their own columns, in their
    order); values may not. The fingerprints hash a table's columns in this
    order, so a new order of the same columns keeps them.
    """
    return list(pd.read_csv(GOLDEN, nrows=0).columns)


def in_golden_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with the step table's columns in the golden files' order.

    For a step table (with or without ``run_id``) and for a runs table, whose
    outcomes follow the step columns (not for the platform and tier tables,
    whose columns are fixed): every column of the golden step table takes its
    golden place among them; the other columns keep theirs.
    """
    legacy = [c for c in legacy_step_columns() if c in frame.columns]
    if not legacy:
        return frame
    columns = list(frame.columns)
    moved = set(legacy) - ({"step"} if "step" not in columns else set())
    first = min(columns.index(c) for c in moved)
    before = [c for c in columns[:first] if c not in moved]
    after = [c for c in columns[first:] if c not in moved]
    return frame[[*before, *[c for c in legacy if c in moved], *after]]


def golden_run() -> pd.DataFrame:
    """Run the golden configuration and return its per-step table."""
    model = SocialCommerceModel(ModelConfig.small(), rng=SEED)
    model.run(STEPS)
    return model.step_metrics()


def read_golden() -> pd.DataFrame:
    """Read the stored table, parsing every number exactly as written.

    Python's ``float`` is correctly rounded, so the shortest repr written by
    ``to_csv`` reads back to the same bits on every pandas version.
    """
    text = pd.read_csv(GOLDEN, dtype=str)
    return text.apply(lambda column: column.map(float if "." in "".join(column) else int))


def fingerprint(frame: pd.DataFrame) -> str:
    """Return a hash of a table's column names, kinds and values, bit for bit.

    Numbers are hashed as their bytes, text as itself, so the hash does not
    depend on how pandas or Parquet of a given version store the table.
    """
    digest = hashlib.sha256()
    for name in frame.columns:
        column = frame[name]
        digest.update(f"{name}:{column.dtype.kind}:".encode())
        if column.dtype.kind in "biuf":
            digest.update(np.ascontiguousarray(column.to_numpy()).tobytes())
        else:
            digest.update("\x1f".join(map(str, column.tolist())).encode())
    return digest.hexdigest()[:24]


def sweep_fingerprints(data: Any) -> dict[str, dict[str, str]]:
    """Return run id -> table -> fingerprint for a loaded sweep (timing columns left out)."""
    from socialsim.experiment.plan import TIMING_COLUMNS

    runs = in_golden_order(data.runs.drop(columns=list(TIMING_COLUMNS)))
    found: dict[str, dict[str, str]] = {}
    for _, row in runs.iterrows():
        run_id = row["run_id"]
        found[run_id] = {"runs": fingerprint(runs[runs["run_id"] == run_id])}
        for name in data.manifest["outputs"]:
            table = data.table(name)
            table = in_golden_order(table) if name == "steps" else table
            rows = table[table["run_id"] == run_id].reset_index(drop=True)
            found[run_id][name] = fingerprint(rows)
    return found


def golden_sweep(out: Path) -> dict[str, dict[str, str]]:
    """Run the golden sweep into `out` (serially) and return its fingerprints."""
    from socialsim.experiment import load_sweep, run_sweep

    run_sweep(SWEEP_SPEC, out=out, executor="serial", progress=False)
    return sweep_fingerprints(load_sweep(out))


if __name__ == "__main__":
    import tempfile

    golden_run().to_csv(GOLDEN, index=False)
    print(f"wrote {GOLDEN}")
    with tempfile.TemporaryDirectory() as tmp:
        prints = golden_sweep(Path(tmp) / "golden")
    GOLDEN_SWEEP.write_text(json.dumps(prints, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN_SWEEP}")
