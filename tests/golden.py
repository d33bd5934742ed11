"""The golden run: a small seeded run whose per-step table is stored in tests/data.

Any change to the model's numbers shows up as a difference from the stored
table. When a change is deliberate, regenerate the file and say why in the
commit message:

    python tests/golden.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from socialsim import ModelConfig, SocialCommerceModel

GOLDEN = Path(__file__).parent / "data" / "golden_small_steps.csv"
SEED = 20261122
STEPS = 20


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


if __name__ == "__main__":
    golden_run().to_csv(GOLDEN, index=False)
    print(f"wrote {GOLDEN}")
