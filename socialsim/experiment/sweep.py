"""Running a sweep: plan it, open its store, run what is not done yet, record each run.

:func:`run_sweep` is the Python entry point behind ``socialsim sweep``. Running
the same spec into the same directory again resumes: finished runs are
skipped, failed ones too unless ``retry_failed``, and the rest run. A
spec that keeps every run of the sweep in the directory and adds more (more
replications, arms or grid values) extends it and runs only the new runs
(:mod:`~socialsim.experiment.growth`); any other spec pointed at an existing
sweep is refused, with what differs. A write that fails (a
full disk) stops the sweep with a :class:`~socialsim.experiment.store.SweepWriteError`
that says what is saved; once fixed, running it again resumes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

from socialsim.errors import ConfigError, ExecutorError, SweepStoppedError
from socialsim.experiment.executors import available_cores, open_executor
from socialsim.experiment.growth import SweepGrowth
from socialsim.experiment.plan import PlannedRun, SweepPlan, plan_sweep
from socialsim.experiment.progress import SweepProgress, format_duration, utc_now
from socialsim.experiment.runner import LOST
from socialsim.experiment.spec import ExperimentSpec, load_spec, spec_from_dict
from socialsim.experiment.store import (
    DAMAGED,
    PartProblem,
    SweepBusyError,
    SweepData,
    SweepStore,
    SweepWriteError,
    load_sweep,
    machine_description,
    package_versions,
)
from socialsim.files import os_error_text
from socialsim.world.memory import MemoryEstimate, check_memory

__all__ = [
    "SweepSetup",
    "SweepStoppedError",
    "SweepSummary",
    "check_sweep",
    "default_out",
    "growth_line",
    "resolve_spec",
    "run_sweep",
]


@dataclass
class SweepSummary:
    """What one session of a sweep did.

    Attributes
    ----------
    out : Path
        The sweep's directory.
    planned : int
        Runs in the design (points x replications).
    done : int
        Runs that finished ok in this session.
    failed : int
        Runs that failed in this session.
    skipped : int
        Runs already recorded by an earlier session, not run again.
    wall_seconds : float
        Time this session took.
    interrupted : bool
        Whether the session was stopped (Ctrl-C) before the end.
    failures : list of (run_id, error)
        The failures of this session.
    lost : list of (run_id, what happened)
        Runs the executor lost (their worker died): not recorded, so still
        pending; running the sweep again runs them.
    set_aside : list of Path
        Damaged or foreign parts this session moved into ``DIR/damaged/``
        (where they are now); the runs they belonged to ran again.
    """

    out: Path
    planned: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    wall_seconds: float = 0.0
    interrupted: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)
    set_aside: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every planned run is now recorded as ok."""
        recorded = SweepStore(self.out).check(deep=False).recorded
        return sum(status == "ok" for status in recorded.values()) == self.planned

    def load(self) -> SweepData:
        """Return the sweep's tables (:func:`~socialsim.experiment.store.load_sweep`)."""
        return load_sweep(self.out)

    def __str__(self) -> str:
        state = "interrupted" if self.interrupted else "finished"
        lost = f"{len(self.lost)} lost (still pending), " if self.lost else ""
        return (
            f"sweep {state} in {format_duration(self.wall_seconds)}: {self.done} done, "
            f"{self.failed} failed, {lost}{self.skipped} skipped (already recorded), "
            f"{self.planned} planned; results in {self.out}"
        )


def resolve_spec(
    spec: ExperimentSpec | Mapping[str, Any] | str | os.PathLike[str],
    variant: str | None = None,
) -> ExperimentSpec:
    """Return a validated spec from a spec object, a mapping or a YAML file's path."""
    if isinstance(spec, ExperimentSpec):
        if variant is not None and variant != spec.variant:
            raise ValueError("variant: apply variants when loading the spec (load_spec)")
        return spec
    if isinstance(spec, Mapping):
        return spec_from_dict(spec, variant=variant)
    return load_spec(spec, variant=variant)


def default_out(spec: ExperimentSpec) -> Path:
    """Return the default directory of a sweep: ``sweeps/NAME`` or ``sweeps/NAME-VARIANT``."""
    name = spec.name if spec.variant is None else f"{spec.name}-{spec.variant}"
    return Path("sweeps") / name


@dataclass
class SweepSetup:
    """A sweep checked and ready to start: what :func:`check_sweep` found.

    Attributes
    ----------
    spec : ExperimentSpec
    plan : SweepPlan
    out : Path
        The sweep's directory (it may not exist yet).
    executor : str
        ``serial``, ``process`` or ``dask``.
    scheduler : str or None
        The Dask scheduler's address (a remote cluster), if any.
    requested_workers : int or None
        Workers asked for (the command line's, else the spec's); None: the cores.
    workers : int or None
        Worker processes that will start: the requested number (or the usable
        cores), but never more than there are pending runs; 1 for ``serial``;
        None on a remote Dask cluster, whose workers are its own.
    recorded : dict
        run_id -> status of the runs already recorded in `out`.
    pending : int
        Runs this session would run.
    memory : MemoryEstimate or None
        The estimate of the largest world (None on a remote Dask cluster).
    problems : list of PartProblem
        Damaged or foreign parts found in `out` (by size; a resume sets them
        aside and runs their runs again).
    warnings : list of str
        Things worth saying before the sweep starts (more workers than cores).
    growth : SweepGrowth or None
        How the spec extends the sweep already in `out` (None: a new sweep, or
        the same one).
    """

    spec: ExperimentSpec
    plan: SweepPlan
    out: Path
    executor: str
    scheduler: str | None
    requested_workers: int | None
    workers: int | None
    recorded: dict[str, str]
    pending: int
    memory: MemoryEstimate | None
    problems: list[PartProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    growth: SweepGrowth | None = None

    def growth_text(self) -> str | None:
        """Return the line that says how the sweep grows, or None if it does not."""
        return None if self.growth is None else growth_line(self.growth, self.out, self.recorded)


def growth_line(growth: SweepGrowth, out: Path, recorded: Mapping[str, str]) -> str:
    """Return the line printed when a spec extends the sweep in `out`."""
    if not growth.added:
        return (
            f"sweep {growth.name!r} in {out}: this spec plans the same {growth.runs} runs as the "
            "spec recorded (it is written differently); the manifest now records this spec"
        )
    return (
        f"extending sweep {growth.name!r} in {out} from {growth.previous_runs} to {growth.runs} "
        f"runs: {len(recorded)} recorded run{'s' * (len(recorded) != 1)} kept, "
        f"{growth.added} new run{'s' * (growth.added != 1)} to run"
    )


def check_sweep(
    spec: ExperimentSpec | Mapping[str, Any] | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    variant: str | None = None,
) -> SweepSetup:
    """Run every check a sweep runs before it starts, and change nothing.

    ``socialsim sweep --dry-run`` is this; :func:`run_sweep` starts with it.
    The spec, the base world and every design point's config are validated;
    the sweep directory must be new, empty, hold this very sweep or one that
    the spec extends, and not be in use; the number of workers is capped at
    the pending runs; and the largest world times the workers running at once
    must fit in memory.

    Parameters
    ----------
    spec, out, executor, workers, scheduler, retry_failed, variant
        As for :func:`run_sweep`.

    Returns
    -------
    SweepSetup

    Raises
    ------
    ConfigError
        For an invalid spec, an unusable `out`, or worlds that do not fit in
        memory (:class:`~socialsim.world.memory.MemoryLimitError`).
    SweepBusyError
        If another process is running a sweep into `out`.
    """
    source = None if isinstance(spec, ExperimentSpec | Mapping) else str(spec)
    spec = resolve_spec(spec, variant)
    plan = plan_sweep(spec, source)
    out_path = Path(out) if out is not None else default_out(spec)
    kind = executor or spec.execution.executor
    requested = workers if workers is not None else spec.execution.workers
    address = scheduler if scheduler is not None else spec.execution.scheduler
    if scheduler is None and executor not in (None, "dask"):
        address = None  # an executor asked for here wins over the spec's Dask scheduler
    if address is not None and executor is None:
        kind = "dask"
    if address is not None and kind != "dask":
        raise ValueError(f"scheduler: a Dask scheduler address needs the dask executor, not {kind}")
    store = SweepStore(out_path)
    growth = store.check_can_hold(plan)
    holder = store.running()
    if holder is not None:
        raise SweepBusyError(
            f"{out_path} is in use by a running sweep ({holder}); wait for it to finish "
            "or stop it first"
        )
    problems: list[PartProblem] = []
    recorded: dict[str, str] = {}
    if store.exists():
        # sizes only: a resume reads every part before it trusts it
        check = store.check({run.run_id for run in plan.runs}, deep=False)
        recorded, problems = check.recorded, check.problems
    pending = len(_to_do(plan, recorded, retry_failed))
    setup = SweepSetup(
        spec=spec,
        plan=plan,
        out=out_path,
        executor=kind,
        scheduler=address,
        requested_workers=requested,
        workers=None,
        recorded=recorded,
        pending=pending,
        memory=None,
        problems=problems,
        growth=growth,
    )
    if kind == "dask" and address is not None:
        return setup  # a remote cluster's workers are its own, and check their own worlds
    cores = available_cores()
    wanted = 1 if kind == "serial" else (requested or cores)
    setup.workers = max(1, min(wanted, pending))
    if kind != "serial" and requested is not None and requested > cores:
        setup.warnings.append(
            f"warning: {requested} workers asked for, more than the {cores} usable "
            f"core{'s' * (cores != 1)}; runs will share cores, each slower"
            + (
                f" (starting {setup.workers}, one per pending run)"
                if setup.workers < requested
                else ""
            )
        )
    setup.memory = _check_memory(plan, setup.workers, source)
    return setup


def _spec_file(source: str | None) -> str | None:
    """Return the spec file's absolute path, for the commands that messages suggest."""
    return None if source is None else str(Path(source).resolve())


def _to_do(plan: SweepPlan, recorded: dict[str, str], retry_failed: bool) -> list[PlannedRun]:
    """Return the runs not recorded yet (and the failed ones, with `retry_failed`)."""
    return [
        run
        for run in plan.runs
        if recorded.get(run.run_id) is None
        or (retry_failed and recorded.get(run.run_id) == "failed")
    ]


def run_sweep(
    spec: ExperimentSpec | Mapping[str, Any] | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    variant: str | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
    batch_runs: int = 1,
) -> SweepSummary:
    """Run an experiment spec into a sweep store, resuming one that exists.

    Parameters
    ----------
    spec : ExperimentSpec, mapping, or path of a YAML file
        The experiment.
    out : path, optional
        The sweep's directory; default ``sweeps/NAME[-VARIANT]``.
    executor : {"serial", "process", "dask"}, optional
        How to run; default: the spec's ``execution.executor`` (``process``).
    workers : int, optional
        Worker processes; default: the spec's, else the usable cores.
    scheduler : str, optional
        Dask scheduler address; default: the spec's, else a local cluster.
    retry_failed : bool
        Run again the runs an earlier session recorded as failed.
    variant : str, optional
        A variant of the spec file to apply (``"quick"``).
    progress : bool, optional
        Show progress (the default): a bar with an ETA on a terminal, else a
        line every 30 s (for the logs of batch jobs).
    stream : file, optional
        Where progress goes; default ``sys.stderr``.
    batch_runs : int
        Run up to this many replications of a design point together as one
        batched ensemble (:mod:`socialsim.ensemble`; ``serial`` and
        ``process`` executors): the same tables, for less CPU. 1 runs them
        one by one.

    Returns
    -------
    SweepSummary

    Raises
    ------
    ConfigError
        If the spec is invalid, or `out` holds a different sweep.
    SweepBusyError
        If another process is running a sweep into `out`.
    SweepWriteError
        If a file of the store cannot be written (a full disk, a permission
        error). The sweep stops there; the runs recorded before stay intact,
        and running it again resumes.

    Examples
    --------
    >>> import tempfile
    >>> spec = {
    ...     "name": "doc", "seed": 1, "steps": 3, "replications": 2,
    ...     "base": {"population.n_consumers": 500, "influencers.n_kocs": 10,
    ...              "stores.n_owners": 5, "daigou.n_shoppers": 0},
    ...     "design": {"kind": "grid", "parameters": {"network.mean_degree": [6, 10]}},
    ... }
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     summary = run_sweep(spec, out=tmp, executor="serial", progress=False)
    ...     again = run_sweep(spec, out=tmp, executor="serial", progress=False)
    ...     sweep = summary.load()
    ...     (summary.done, again.skipped, len(sweep.runs), len(sweep.steps))
    (4, 4, 4, 12)
    """
    started = time.perf_counter()
    stream = sys.stderr if stream is None else stream
    setup = check_sweep(
        spec,
        out,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        retry_failed=retry_failed,
        variant=variant,
    )
    plan, out_path, kind, address = setup.plan, setup.out, setup.executor, setup.scheduler
    source = None if isinstance(spec, ExperimentSpec | Mapping) else str(spec)
    for warning in setup.warnings:
        print(warning, file=stream)
    store = SweepStore(out_path)
    summary = SweepSummary(out=out_path, planned=len(plan.runs))
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(store.lock())
            growth = store.check_can_hold(plan)  # again, now that the directory is ours
            manifest = store.initialise(plan, spec_file=_spec_file(source))
            check = store.check({run.run_id for run in plan.runs})
            # damaged and foreign parts go aside, never deleted; their runs run again
            summary.set_aside = store.set_aside(check.problems)
            store.remove_leftovers(check.leftovers)
            recorded = dict(check.recorded)
        except OSError as exc:
            raise _setup_error(out_path, exc) from exc
        if "rebuilt" in manifest:
            print(
                f"warning: {store.manifest_path} was damaged ({manifest['rebuilt']['reason']}); "
                f"it is set aside as {manifest['rebuilt']['damaged_copy']} and written anew "
                "(the record of earlier sessions is lost, no run is)",
                file=stream,
            )
        if summary.set_aside:
            runs = check.damaged_runs
            print(
                f"warning: {len(check.problems)} damaged or foreign part(s) in {out_path} moved "
                f"into {out_path / DAMAGED} (nothing is deleted); "
                f"{len(runs)} run{'s' * (len(runs) != 1)} they belonged to will run again",
                file=stream,
            )
        if growth is not None:
            print(growth_line(growth, out_path, recorded), file=stream)
        todo = _to_do(plan, recorded, retry_failed)
        summary.skipped = len(plan.runs) - len(todo)
        n_workers = None
        if setup.workers is not None:  # never more workers than runs to do
            n_workers = max(1, min(setup.requested_workers or available_cores(), len(todo)))
            if kind == "serial":
                n_workers = 1
            elif n_workers > setup.workers:  # more to do than checked (parts set aside)
                _check_memory(plan, n_workers, source)
        session: dict[str, Any] = {
            "started_at": utc_now(),
            "finished_at": None,
            "executor": kind,
            "workers": n_workers,
            "scheduler": address,
            "retry_failed": retry_failed,
            "to_run": len(todo),
            "skipped": summary.skipped,
            "set_aside": [str(p) for p in summary.set_aside],
            "versions": package_versions(),
            "machine": machine_description(),
        }
        if growth is not None:
            session["extended"] = {
                "from_spec_hash": growth.previous_hash,
                "runs_before": growth.previous_runs,
                "runs_added": growth.added,
            }
        changed = _changed_versions(manifest["versions"], session["versions"])
        if changed and todo:
            # run ids name configs and seeds, not code: a new version may compute other numbers
            print(
                f"warning: this sweep was started with {changed[0]}; it resumes with "
                f"{changed[1]}, and runs of the two may differ (the manifest records "
                "each session's versions)",
                file=stream,
            )
        manifest["sessions"].append(session)
        manifest["started_at"] = manifest.get("started_at") or session["started_at"]
        manifest["finished_at"] = None
        try:
            store.write_manifest(manifest)
        except OSError as exc:
            raise _setup_error(out_path, exc) from exc
        reporter = SweepProgress(len(todo), summary.skipped, stream, progress)
        schema = plan.runs_schema()
        failure: BaseException | None = None
        try:
            if todo:
                with open_executor(kind, n_workers, address, batch=batch_runs) as pool:
                    session["executor_detail"] = pool.describe()
                    reporter.start(pool.describe())
                    by_id = {run.run_id: run for run in todo}
                    tasks = (plan.task(run) for run in todo)
                    for output in pool.map_unordered(tasks):
                        run = by_id[output.run_id]
                        if output.status == LOST:
                            # not the run's fault: left pending, for a resume to run again
                            summary.lost.append((output.run_id, output.error or ""))
                            reporter.update(summary)
                            continue
                        try:
                            store.write_run(plan.run_row(run), output, schema)
                        except SweepWriteError as exc:
                            # stop at once: running on would only compute runs we cannot keep
                            raise _write_error(exc, out_path, len(recorded)) from exc
                        recorded[output.run_id] = output.status
                        if output.status == "ok":
                            summary.done += 1
                        else:
                            summary.failed += 1
                            summary.failures.append((output.run_id, output.error or ""))
                        reporter.update(summary)
        except KeyboardInterrupt as exc:
            summary.interrupted = True
            failure = exc
            raise
        except pa.ArrowCancelled:
            # Ctrl-C during a Parquet read or write reaches us as Arrow's own exception
            summary.interrupted = True
            failure = KeyboardInterrupt()
            raise failure from None
        except ExecutorError as exc:
            # the machinery, not a run: what was in flight stays pending
            session["error"] = f"{type(exc).__name__}: {exc}"
            failure = _stopped_error(exc, out_path, summary, recorded)
            raise failure from exc
        except Exception as exc:  # a full disk, say: the session says why it stopped
            session["error"] = f"{type(exc).__name__}: {exc}"
            failure = exc
            raise
        finally:
            reporter.close()
            summary.wall_seconds = time.perf_counter() - started
            session.update(
                finished_at=utc_now(),
                done=summary.done,
                failed=summary.failed,
                lost=len(summary.lost),
                interrupted=summary.interrupted,
                wall_seconds=round(summary.wall_seconds, 3),
            )
            if not summary.interrupted and all(run.run_id in recorded for run in plan.runs):
                manifest["finished_at"] = session["finished_at"]
            try:
                store.write_manifest(manifest)
            except OSError as exc:
                if failure is None:
                    raise SweepWriteError(
                        f"the runs of this session are saved in {out_path}, but its "
                        f"manifest.json could not be updated: {os_error_text(exc)}; "
                        f"{_what_to_do(exc.errno)}, then run the same command again to "
                        "record the session",
                        errno=exc.errno,
                        path=store.manifest_path,
                    ) from exc
                # Already failing (likely of the same full disk): that error is the one to
                # report, and the session's record is lost either way.
                failure.add_note(f"(the manifest could not be updated either: {exc})")
    return summary


def _check_memory(plan: SweepPlan, workers: int, source: str | None) -> MemoryEstimate | None:
    """Refuse, before anything starts, a sweep whose workers' worlds would not fit in memory.

    Only where the worlds are built on this machine: on a remote Dask cluster
    each worker checks its own world as it builds it (a run refused there is
    recorded as failed, with the estimate).
    """
    if plan.largest_world is None:
        return None
    try:
        return check_memory(plan.largest_world, workers=max(workers, 1))
    except ConfigError as exc:
        raise (exc.with_source(source) if source else exc) from None


def _setup_error(out: Path, exc: OSError) -> SweepWriteError:
    """Return the error for a sweep that could not open or create its directory."""
    where = f": {exc.filename}" if exc.filename and not _is_temporary(exc.filename) else ""
    return SweepWriteError(
        f"could not prepare the sweep directory {out}: {os_error_text(exc)}{where}; no run "
        f"was started; {_what_to_do(exc.errno)}, then run the same command again",
        errno=exc.errno,
        path=out,
    )


def _stopped_error(
    exc: ExecutorError, out: Path, summary: SweepSummary, recorded: dict[str, str]
) -> SweepStoppedError:
    """Return the one-line error of a sweep whose executor gave up: what is saved, what to do."""
    saved = len(recorded)
    runs = "run" if saved == 1 else "runs"
    flying = getattr(exc, "in_flight", 0)
    pending = f"; the {flying} in flight are left pending, not failed" if flying else ""
    return SweepStoppedError(
        f"the sweep stopped: {exc}; the {saved} {runs} recorded are saved in {out}{pending}; "
        "run the same command again to resume"
        + (" (once the scheduler is back)" if "Dask scheduler" in str(exc) else "")
    )


def _write_error(exc: SweepWriteError, out: Path, saved: int) -> SweepWriteError:
    """Return the error for a run that could not be written: what is saved, how to go on."""
    runs = "run" if saved == 1 else "runs"
    verb = "is" if saved == 1 else "are"
    return SweepWriteError(
        f"{exc}; the sweep stopped; the {saved} {runs} recorded before it {verb} saved in "
        f"{out}; {_what_to_do(exc.errno)}, then run the same command again to resume",
        errno=exc.errno,
        run_id=exc.run_id,
        path=exc.path,
    )


def _what_to_do(number: int | None) -> str:
    """Return the fix for a write error with this errno, for the end of a message."""
    if number in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "free some space"
    if number == errno.EFBIG:
        return "raise the file size limit (ulimit -f) or free some space"
    if number in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "fix the permissions"
    return "fix the cause"


def _is_temporary(name: Any) -> bool:
    return Path(str(name)).name.startswith(".") and str(name).endswith(".tmp")


def _changed_versions(before: dict[str, str], now: dict[str, str]) -> tuple[str, str] | None:
    """Return the versions, before and now, of the packages that decide the numbers, if changed."""
    names = [
        k
        for k in ("socialsim", "mesa", "numpy", "scipy", "networkx")
        if before.get(k) != now.get(k)
    ]
    if not names:
        return None
    return (
        ", ".join(f"{k} {before.get(k)}" for k in names),
        ", ".join(f"{k} {now.get(k)}" for k in names),
    )
