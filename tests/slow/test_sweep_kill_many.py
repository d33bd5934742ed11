"""A sweep SIGKILLed 25 times at random moments ends with every run exactly once (pytest -m slow).

The quick version (3 kills) is in tests/integration/test_sweep_kill.py, which
holds the machinery: each kill lands while Python starts, while runs compute,
or during a write, and the store is checked after every one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_sweep_kill import assert_same_tables, kill_repeatedly, random_kill_spec

pytestmark = pytest.mark.slow

N_KILLS = 25


@pytest.mark.parametrize(("executor", "seed"), [("serial", 101), ("process", 202)])
def test_a_sweep_killed_25_times_ends_with_every_run_exactly_once(
    tmp_path: Path, executor: str, seed: int
):
    # 320 runs of about 0.2 s: a session killed within a few seconds of its runs starting
    # records about 7, so 25 of them do not finish the sweep (64 runs, enough when a run
    # took 0.3 s, were done after 9 kills once small runs got cheaper)
    spec = random_kill_spec(160)
    out, kills = kill_repeatedly(tmp_path, spec, [executor], N_KILLS, seed, running=2.0)
    assert len(kills) == N_KILLS, f"the sweep finished after {len(kills)} kills; enlarge it"
    # the kills landed at every kind of moment (else the test proves less than it says)
    assert any(k.after == k.before for k in kills), "no kill before a session's first commit"
    assert any(k.after > k.before for k in kills), "no kill after a session recorded runs"
    assert any(k.mid_write for k in kills), "no kill during a write"
    assert_same_tables(out, spec, tmp_path)
