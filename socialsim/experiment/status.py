"""A sweep's progress, as ``socialsim status DIR`` prints it."""

from __future__ import annotations

import os
from pathlib import Path

from socialsim.experiment.store import SweepStore, load_sweep
from socialsim.experiment.sweep import _duration

__all__ = ["sweep_status"]


def sweep_status(path: str | os.PathLike[str], *, max_failures: int = 5) -> str:
    """Describe a sweep's progress: runs done, failed and pending, sessions and failures.

    Parameters
    ----------
    path : str or Path
        A sweep directory.
    max_failures : int
        How many failed runs to list.

    Returns
    -------
    str
        Several lines of text.

    Raises
    ------
    ConfigError
        If `path` holds no sweep.
    """
    path = Path(path)
    sweep = load_sweep(path)
    manifest = sweep.manifest
    store = SweepStore(path)
    planned = {r["run_id"] for r in manifest["runs"]}
    recorded = {k: v for k, v in store.finished().items() if k in planned}
    done = sum(s == "ok" for s in recorded.values())
    failed = sum(s == "failed" for s in recorded.values())
    pending = len(planned) - len(recorded)
    name = manifest["name"] + (f" (variant {manifest['variant']})" if manifest["variant"] else "")
    lines = [
        f"sweep {name} in {path}",
        f"  {len(planned)} runs planned ({len(manifest['design'])} points x "
        f"{manifest['replications']} replications): {done} done, {failed} failed, "
        f"{pending} pending",
    ]
    holder = store.running()
    sessions = manifest.get("sessions", [])
    if holder is not None:
        state = f"running now ({holder})"
    elif pending == 0 and failed == 0:
        state = "complete"
    elif pending == 0:
        state = f"finished, with {failed} failed run(s): fix, then rerun with --retry-failed"
    elif sessions and sessions[-1].get("interrupted"):
        state = "interrupted; run the same 'socialsim sweep' command to resume"
    elif sessions and sessions[-1].get("finished_at") is None:
        state = "stopped before the end (killed?); run the same command to resume"
    else:
        state = "not complete; run the same command to resume"
    lines.append(f"  state: {state}")
    lines.append(
        f"  created {manifest['created_at']}, {len(sessions)} session(s); socialsim "
        f"{manifest['versions'].get('socialsim')}, mesa {manifest['versions'].get('mesa')}, "
        f"spec hash {manifest['spec_hash'][:12]}"
    )
    runs = sweep.runs
    if len(runs) and "wall_seconds" in runs:
        ok = runs[runs["status"] == "ok"]
        if len(ok):
            mean = float(ok["wall_seconds"].mean())
            lines.append(
                f"  mean run time {mean:.2f} s; the {pending} pending runs need about "
                f"{_duration(mean * pending)} of one worker"
            )
    if failed:
        bad = runs[runs["status"] == "failed"].head(max_failures)
        lines.append("  failed runs (rerun with --retry-failed once fixed):")
        for row in bad.itertuples():
            lines.append(f"    {row.run_id} point {row.point} rep {row.replication}: {row.error}")
        if failed > max_failures:
            lines.append(f"    ... and {failed - max_failures} more (load_sweep(DIR).runs)")
    return "\n".join(lines)
