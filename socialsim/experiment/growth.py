"""Growing a sweep: a spec that keeps every run of the sweep in a directory and adds more.

A sweep's directory holds the runs of one spec, and a different spec pointed
at it is refused, with one exception: a spec whose plan *contains* the sweep's
plan. Every run the sweep planned must be a run of the new spec with the same
identity (run id, a hash of its resolved config, seed and steps; its seed; its
replication; its scenario), and the new spec must vary every parameter the
sweep varied. The new spec then extends the sweep: the runs recorded are kept,
the manifest takes the new spec (and lists the growth under ``extensions``),
and only the runs not recorded yet run. Common ways to grow:

- raise ``replications`` (a replication's seed does not depend on how many
  there are, see :mod:`~socialsim.experiment.seeds`);
- add a scenario arm (with common random numbers, the default for scenarios,
  anywhere in the list; without them, at the end);
- add a grid or zip value. Without common random numbers (the default for
  grid and zip designs) a run's seed is spawned from its design point's
  index, so the recorded points must keep their indices: add values at the
  end of the list of a grid's first key (it varies slowest) or at the end of
  a zip design's lists;
- raise the ``samples`` of a ``random``, ``sobol`` or ``morris`` design: with
  the samplers socialsim uses their first points stay the same (a ``sobol``
  design grows by a power of 2). The runs are compared one by one, so a
  sampler that drew other points would be refused, not trusted; an ``lhs``
  design draws all its points anew and cannot grow.

Growing may renumber the design points (an arm inserted before others); the
runs table :func:`~socialsim.experiment.store.load_sweep` returns gives each
run its point in the current spec, from the manifest (a run's ``runs`` part
keeps the point it was written with), and a parameter the sweep did not vary
before gets its value at the earlier points, so the tables are those of a
fresh sweep of the grown spec.

Everything else stays refused, naming the first difference found: the name,
the root seed, the steps, the tables kept (``outputs``), common random
numbers, the base world, a parameter the spec no longer varies, or a planned
run that is not a run of the new spec (and why). A spec with fewer runs is
refused too: results are never dropped, a smaller sweep goes to another
``--out``. Changes that do not touch the runs (``description``,
``outcomes``, ``execution``) are not differences at all: they keep the spec
hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialsim.errors import ConfigError, Problem
from socialsim.experiment.plan import SweepPlan
from socialsim.experiment.progress import utc_now

__all__ = ["SweepGrowth", "sweep_growth"]

_SAMPLED = ("random", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class SweepGrowth:
    """A sweep that a new spec extends.

    Attributes
    ----------
    name : str
        The sweep's name.
    previous_hash : str
        The spec hash the sweep had.
    previous_runs : int
        Runs the sweep planned.
    runs : int
        Runs the new spec plans (all of the previous ones among them).
    """

    name: str
    previous_hash: str
    previous_runs: int
    runs: int

    @property
    def added(self) -> int:
        """Runs the new spec adds."""
        return self.runs - self.previous_runs

    def record(self, spec_hash: str) -> dict[str, Any]:
        """Return the manifest's entry of ``extensions`` for this growth."""
        return {
            "at": utc_now(),
            "from_spec_hash": self.previous_hash,
            "spec_hash": spec_hash,
            "runs_before": self.previous_runs,
            "runs_after": self.runs,
        }


def sweep_growth(manifest: dict[str, Any], plan: SweepPlan, where: Path) -> SweepGrowth:
    """Return how `plan` extends the sweep of `manifest`, or refuse it.

    Parameters
    ----------
    manifest : dict
        The manifest of the sweep in `where`, of another spec hash than `plan`'s.
    plan : SweepPlan
        The new spec's plan.
    where : Path
        The sweep's directory, named in the messages.

    Returns
    -------
    SweepGrowth

    Raises
    ------
    ConfigError
        Naming ``--out`` and the first difference that is not growth (see the
        module docstring), or saying that the spec has fewer runs.
    """
    name = str(manifest.get("name", "?"))
    old_runs = list(manifest.get("runs", ()))
    reason = _spec_difference(manifest, plan)
    if reason is None:
        reason = _runs_difference(manifest, plan, where)
    if reason is not None:
        was = name + (f" (variant {manifest['variant']})" if manifest.get("variant") else "")
        raise ConfigError(
            [
                Problem(
                    "--out",
                    f"{where} holds sweep {was!r} of a different spec (spec hash "
                    f"{str(manifest.get('spec_hash'))[:12]}, this spec {plan.spec_hash[:12]}): "
                    f"{reason}; results of two specs are never mixed (a sweep grows only by "
                    "runs added to it: more replications, arms or values): choose another "
                    "--out, or delete that directory to start over",
                )
            ]
        )
    return SweepGrowth(
        name=name,
        previous_hash=str(manifest.get("spec_hash")),
        previous_runs=len(old_runs),
        runs=len(plan.runs),
    )


def _spec_difference(manifest: dict[str, Any], plan: SweepPlan) -> str | None:
    """Return the first difference outside the design that changes every run, or None."""
    spec = plan.spec
    checks = (
        ("name", manifest.get("name"), spec.name),
        ("seed", manifest.get("root_seed"), spec.seed),
        ("steps", manifest.get("steps"), plan.base.run.steps),
        ("outputs", list(manifest.get("outputs", ())), list(spec.outputs)),
        ("common_random_numbers", manifest.get("common_random_numbers"), spec.crn),
    )
    for label, was, now in checks:
        if was != now:
            return f"{label} {_text(was)} -> {_text(now)}"
    base = json.loads(json.dumps(plan.base.model_dump(mode="json"), default=str))
    found = _first_difference(manifest.get("base_config"), base)
    if found is not None:
        path, was, now = found
        return f"the base world changed ({path}: {_text(was)} -> {_text(now)})"
    gone = [k for k in manifest.get("parameters", ()) if k not in plan.parameters]
    if gone:
        return f"this spec no longer varies {gone[0]}"
    return None


def _runs_difference(manifest: dict[str, Any], plan: SweepPlan, where: Path) -> str | None:
    """Return why the sweep's planned runs are not all runs of `plan`, or None if they are."""
    planned = {run.run_id: run for run in plan.runs}
    design = list(manifest.get("design", ()))
    old_runs = list(manifest.get("runs", ()))

    def kept(record: dict[str, Any]) -> bool:
        run = planned.get(record["run_id"])
        return (
            run is not None
            and run.seed == record.get("seed")
            and run.replication == record.get("replication")
            and plan.points[run.point].scenario == _record(design, record).get("scenario")
        )

    lost = [record for record in old_runs if not kept(record)]
    if not lost:
        return None
    kept_ids = {record["run_id"] for record in old_runs if kept(record)}
    if all(run.run_id in kept_ids for run in plan.runs):
        raise ConfigError(
            [
                Problem(
                    "--out",
                    f"{where} holds sweep {manifest.get('name', '?')!r} of {len(old_runs)} runs, "
                    f"and this spec plans only {len(plan.runs)} of them (fewer replications, "
                    "arms or values): a sweep never drops results; choose another --out for "
                    "the smaller spec, or run the spec of that sweep",
                )
            ]
        )
    first = lost[0]
    point = _record(design, first)
    label = (
        f"run {first['run_id']} (point {first.get('point')}: {_describe(point)}; "
        f"replication {first.get('replication')})"
    )
    return (
        f"{len(lost)} of the {len(old_runs)} runs that sweep planned are not runs of this "
        f"spec; the first, {label}, {_why_lost(first, point, plan)}"
    )


def _why_lost(record: dict[str, Any], point: dict[str, Any], plan: SweepPlan) -> str:
    """Say why a planned run of the sweep is not a run of `plan`: the first thing found."""
    values = point.get("parameters") or {}
    scenario = point.get("scenario")
    same_values = [
        r
        for r in json.loads(json.dumps(plan.design_records(), default=str))
        if all(r["parameters"].get(k) == v for k, v in values.items())
    ]
    matches = [r["point"] for r in same_values if r.get("scenario") == scenario]
    if not matches and same_values and scenario is not None:
        return (
            f"is in arm {same_values[0].get('scenario')!r} of this spec (an arm's name is "
            "part of its runs' identity)"
        )
    if not matches:
        kind = plan.spec.design.kind
        if kind in _SAMPLED:
            anew = ": an lhs design draws them all anew" if kind == "lhs" else ""
            return (
                f"has values no point of this spec has (a {kind} design draws other points "
                f"when its samples or bounds change{anew})"
            )
        return "has values no point of this spec has"
    replication = record.get("replication")
    runs = [r for r in plan.runs if r.point in matches and r.replication == replication]
    if not runs:
        return f"is of replication {replication}, and this spec has {plan.spec.replications}"
    if runs[0].seed != record.get("seed"):
        return (
            f"is at point {runs[0].point} of this spec, with another seed: without common "
            "random numbers a run's seed follows its point's index, so the sweep's points "
            "must keep theirs (add grid values at the end of the first key's list, zip "
            "values or arms at the end)"
        )
    new_keys = [k for k in plan.parameters if k not in values]
    return "gets another config from this spec at that point" + (
        f" (it also varies {', '.join(new_keys)})" if new_keys else ""
    )


def _record(design: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    index = run.get("point")
    if isinstance(index, int) and 0 <= index < len(design):
        return design[index]
    return {}


def _describe(point: dict[str, Any], limit: int = 120) -> str:
    parts = [f"{k}={_text(v)}" for k, v in (point.get("parameters") or {}).items()]
    if point.get("scenario") is not None:
        parts.insert(0, f"scenario {point['scenario']}")
    text = ", ".join(parts) or "the base world"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_difference(was: Any, now: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """Return the first path (dotted) where two JSON values differ, and the two values there."""
    if isinstance(was, dict) and isinstance(now, dict):
        for key in sorted(set(was) | set(now), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in was or key not in now:
                return where, was.get(key), now.get(key)
            found = _first_difference(was[key], now[key], where)
            if found is not None:
                return found
        return None
    if was != now:
        return path or "(the whole config)", was, now
    return None


def _text(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."
