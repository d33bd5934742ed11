"""A sweep's progress and the health of its store, as ``socialsim status DIR`` prints it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from socialsim.experiment.progress import format_duration
from socialsim.experiment.store import (
    DAMAGED,
    StoreCheck,
    SweepStore,
    repair_command,
)

__all__ = ["SweepStatus", "sweep_status"]


@dataclass(frozen=True)
class SweepStatus:
    """What ``socialsim status`` found.

    Attributes
    ----------
    text : str
        Several lines for people.
    sound : bool
        Whether the store has no damaged or foreign part and a sound manifest.
    """

    text: str
    sound: bool

    def __str__(self) -> str:
        return self.text


def sweep_status(
    path: str | os.PathLike[str], *, max_failures: int = 5, max_problems: int = 20
) -> SweepStatus:
    """Describe a sweep's progress and check its store.

    Every part of the store is checked against its run's receipt (sizes, row
    counts and checksums, see :meth:`~socialsim.experiment.store.SweepStore.check`);
    damaged and foreign parts are listed, with the command that repairs the
    store.

    Parameters
    ----------
    path : str or Path
        A sweep directory.
    max_failures : int
        How many failed runs to list.
    max_problems : int
        How many damaged or foreign parts to list.

    Returns
    -------
    SweepStatus
        The text, and whether the store is sound.

    Raises
    ------
    ConfigError
        If `path` holds no sweep, or is a file.
    """
    path = Path(path)
    store = SweepStore(path)
    manifest, manifest_problem = store.manifest_state()
    check = store.check(keep_runs=True)
    lines: list[str] = []
    if manifest is None:
        assert manifest_problem is not None
        lines.append(f"sweep in {path}: its manifest.json is damaged ({manifest_problem.reason})")
        lines.append(
            f"  {len(check.recorded)} runs recorded with sound parts; the plan is unknown "
            "until the manifest is rebuilt"
        )
    else:
        lines.extend(_progress(path, store, manifest, check, max_failures))
    holder = store.running()
    if holder is not None:
        lines.append(f"  running now ({holder}): parts of runs in flight are not checked")
    size = f"{check.bytes / 1e6:,.1f} MB" if check.bytes >= 1e5 else f"{check.bytes:,} bytes"
    if check.sound:
        lines.append(
            f"  store: {check.parts:,} parts checked against their runs' receipts ({size} read "
            f"in {check.seconds:.1f} s): all sound"
        )
    else:
        foreign = sum(p.foreign for p in check.problems)
        damaged = len(check.problems) - foreign
        lines.append(
            f"  store: {damaged} damaged and {foreign} foreign part(s) among {check.parts:,} "
            f"checked ({size} read in {check.seconds:.1f} s):"
        )
        for problem in check.problems[:max_problems]:
            owner = f" (run {problem.run_id})" if problem.run_id else ""
            lines.append(f"    {problem.path}: {problem.reason}{owner}")
        if len(check.problems) > max_problems:
            lines.append(f"    ... and {len(check.problems) - max_problems} more")
        lines.append(
            f"  to repair: {repair_command(path, manifest)} (it moves them into "
            f"{path / DAMAGED}, deleting nothing, and runs their "
            f"{len(check.damaged_runs)} run(s) again)"
        )
    aside = path / DAMAGED
    if aside.is_dir():
        count = sum(1 for p in aside.rglob("*") if p.is_file())
        if count:
            lines.append(f"  {count} file(s) set aside earlier in {aside} (safe to delete)")
    return SweepStatus("\n".join(lines), check.sound)


def _progress(
    path: Path, store: SweepStore, manifest: dict, check: StoreCheck, max_failures: int
) -> list[str]:
    planned = {r["run_id"] for r in manifest["runs"]}
    recorded = {k: v for k, v in check.recorded.items() if k in planned}
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
    sessions = manifest.get("sessions", [])
    damaged = check.damaged_runs & planned
    if store.running() is not None:
        state = "running"
    elif damaged:
        state = (
            f"{len(damaged)} run(s) have damaged parts and count as pending; run the same "
            "'socialsim sweep' command to repair the store and run them again"
        )
    elif pending == 0 and failed == 0:
        state = "complete"
    elif pending == 0:
        state = f"finished, with {failed} failed run(s): fix, then rerun with --retry-failed"
    elif sessions and sessions[-1].get("interrupted"):
        state = "interrupted; run the same 'socialsim sweep' command to resume"
    elif sessions and sessions[-1].get("finished_at") is None:
        state = "stopped before the end (killed?); run the same command to resume"
    elif sessions and sessions[-1].get("lost"):
        state = (
            f"{sessions[-1]['lost']} run(s) were lost to their workers and are pending; run the "
            "same command to resume"
        )
    else:
        state = "not complete; run the same command to resume"
    lines.append(f"  state: {state}")
    if "rebuilt" in manifest:
        lines.append(
            f"  the manifest was rebuilt on {manifest['rebuilt']['at']} (the damaged one is "
            f"{manifest['rebuilt']['damaged_copy']})"
        )
    lines.append(
        f"  created {manifest['created_at']}, {len(sessions)} session(s); socialsim "
        f"{manifest['versions'].get('socialsim')}, mesa {manifest['versions'].get('mesa')}, "
        f"spec hash {manifest['spec_hash'][:12]}"
    )
    runs = check.runs_frame(recorded, manifest=manifest)
    if len(runs) and "wall_seconds" in runs:
        ok = runs[runs["status"] == "ok"]
        if len(ok):
            mean = float(ok["wall_seconds"].mean())
            lines.append(
                f"  mean run time {mean:.2f} s; the {pending} pending runs need about "
                f"{format_duration(mean * pending)} of one worker"
            )
    if failed:
        bad = runs[runs["status"] == "failed"].sort_values(["point", "replication"])
        lines.append("  failed runs (rerun with --retry-failed once fixed):")
        for row in bad.head(max_failures).itertuples():
            lines.append(f"    {row.run_id} point {row.point} rep {row.replication}: {row.error}")
        if failed > max_failures:
            lines.append(f"    ... and {failed - max_failures} more (load_sweep(DIR).runs)")
    return lines
