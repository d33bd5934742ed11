"""The sweep store: one directory per sweep, crash-safe, resumable, verifiable.

Layout::

    DIR/manifest.json            spec, expanded design, run plan, hashes, versions, sessions
    DIR/runs/<run_id>.parquet    one row per finished run (ok or failed): the run's receipt
    DIR/steps/<run_id>.parquet   per-step metrics of each run that finished ok
    DIR/platforms/...            per-step, per-platform metrics (if kept)
    DIR/tiers/...                per-step, per-tier metrics (if kept)
    DIR/orders/...               the order log (if kept)
    DIR/damaged/<time>/...       parts a resume set aside (never deleted)

Every file is written under a hidden temporary name and renamed into place,
so a reader (or a crash) never sees half a file. A run's tables are written
before its row in ``runs``: the ``runs`` part is the commit, and a run counts
as done only once it exists. Parts of a run killed between the two are
leftovers; the next session of the sweep deletes them and does the run again,
and :func:`load_sweep` ignores them meanwhile. A write that fails (a full
disk, a permission error) raises :class:`SweepWriteError` after deleting the
parts of that run it had written, so the store holds only whole runs.

**Verification.** Each run's ``runs`` part is its receipt: its Parquet
metadata records, for every other part of the run, its row count, its size
in bytes and its SHA-256, and the part itself carries Parquet page checksums.
The manifest carries the SHA-256 of its own content. :meth:`SweepStore.check`
finds every part that is damaged (truncated, changed, unreadable, missing) or
foreign (a ``.parquet`` file that belongs to no run of the sweep);
``socialsim status`` lists them, a resume moves them (and the other parts of
their runs) aside into ``DIR/damaged/`` and runs those runs again, and
:func:`load_sweep` refuses to read a store with any, naming the file and the
command that repairs it. A store written before receipts existed (format 1)
is checked for readable parts only.

**Resuming and growing.** A directory holds the runs of one spec; running
that spec again resumes it (only runs not recorded yet run). A different spec
is accepted only if it *extends* the sweep: every run the sweep planned is a
run of the new spec, with the same run id, seed, replication and scenario
(more replications, more arms, more grid values; see
:mod:`~socialsim.experiment.growth` for which additions keep the runs). The
manifest then takes the new spec and plan and lists the growth under
``extensions`` (each session that grew the sweep says so under
``extended``), and only the new runs run. Nothing recorded is rewritten, so
a ``runs`` part keeps the design point it was written with: the runs table
of :func:`load_sweep` takes each run's point from the manifest
(:func:`runs_as_planned`), and so does a reader who joins
``runs/*.parquet`` to the manifest's ``runs`` on ``run_id``. Any other spec
is refused with what differs, and so is a spec with fewer runs: results are
never dropped.

The tables read directly in DuckDB (``SELECT * FROM 'DIR/steps/*.parquet'``),
polars (``pl.scan_parquet("DIR/steps/*.parquet")``) and pandas.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import socket
import subprocess
import time
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from socialsim._version import __version__
from socialsim.errors import (
    ConfigError,
    Problem,
    StoreDamagedError,
    SweepBusyError,
    SweepWriteError,
)
from socialsim.experiment.growth import SweepGrowth, sweep_growth
from socialsim.experiment.plan import SweepPlan
from socialsim.experiment.progress import utc_now
from socialsim.experiment.runner import RunOutput
from socialsim.experiment.spec import OUTPUT_TABLES
from socialsim.files import atomic_write, os_error_text

__all__ = [
    "FORMAT_VERSION",
    "PartProblem",
    "StoreCheck",
    "StoreDamagedError",
    "SweepBusyError",
    "SweepData",
    "SweepStore",
    "SweepWriteError",
    "load_sweep",
    "machine_description",
    "package_versions",
    "runs_as_planned",
]

FORMAT_VERSION = 2
"""2: every run's ``runs`` part records its other parts' rows, bytes and SHA-256."""
MANIFEST = "manifest.json"
DAMAGED = "damaged"
"""Where a resume sets damaged and foreign parts aside: ``DIR/damaged/<time>/<table>/``."""
_LOCK = ".lock"
_RECEIPT_KEY = b"socialsim.parts"
_CHECKSUM_KEY = "checksum"
# Read in chunks when hashing, so a large order log is not held twice in memory.
_CHUNK = 1 << 22
# Threads that check and read parts (Parquet reads and hashing release the GIL).
_THREADS = min(8, 2 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class PartProblem:
    """A file of a sweep's store that cannot be trusted.

    Attributes
    ----------
    path : Path
        The file.
    table : str
        Its table (``runs``, ``steps``, ...), or ``manifest``.
    run_id : str or None
        The run it belongs to; None for a foreign part (of no run of the sweep).
    reason : str
        What is wrong with it, for people.
    """

    path: Path
    table: str
    run_id: str | None
    reason: str

    @property
    def foreign(self) -> bool:
        """Whether the part belongs to no run of the sweep."""
        return self.run_id is None and self.table != "manifest"

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class StoreCheck:
    """What :meth:`SweepStore.check` found.

    Attributes
    ----------
    recorded : dict
        run_id -> status (``ok``/``failed``) of the recorded runs whose parts
        are all sound.
    problems : list of PartProblem
        Damaged parts (of a recorded run: truncated, changed, unreadable or
        missing), foreign parts (of no run of the sweep) and a damaged manifest.
    receipts : dict
        run_id -> the run's receipt: table -> ``rows``, ``bytes``, ``sha256``
        of each of its other parts (None for a run recorded before receipts).
    leftovers : list of Path
        Parts of runs not recorded yet and temporary files: a running sweep's
        work in progress, or what a killed one left (a resume deletes them).
    parts : int
        Parts checked.
    bytes : int
        Bytes read to check them (0 when only sizes were compared).
    seconds : float
        Time the check took.
    runs_tables : dict of str to pyarrow.Table
        The sound runs parts, read whole (only when asked for with ``keep_runs``).
    """

    recorded: dict[str, str] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    problems: list[PartProblem] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)
    parts: int = 0
    bytes: int = 0
    seconds: float = 0.0
    runs_tables: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    @property
    def sound(self) -> bool:
        """Whether nothing is damaged or foreign."""
        return not self.problems

    def runs_frame(
        self, run_ids: Iterable[str] | None = None, manifest: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Return the ``runs`` parts read (``keep_runs``) as one table, in run-id order.

        Parameters
        ----------
        run_ids : iterable of str, optional
            Which runs; every sound recorded run if omitted.
        manifest : dict, optional
            The sweep's manifest: a sweep that grew gets its points and
            parameters from it (:func:`runs_as_planned`).
        """
        ids = sorted(self.recorded if run_ids is None else run_ids)
        tables = [self.runs_tables[run_id] for run_id in ids if run_id in self.runs_tables]
        if not tables:
            return pd.DataFrame(columns=["run_id", "point", "replication", "seed", "status"])
        table = _concat(tables)
        if manifest is not None:
            table = runs_as_planned(table, manifest)
        return table.to_pandas()

    @property
    def damaged_runs(self) -> set[str]:
        """Runs with a damaged part: set aside and run again by a resume."""
        return {p.run_id for p in self.problems if p.run_id is not None}


def package_versions() -> dict[str, str]:
    """Return the versions of Python, socialsim and the packages that decide its numbers."""
    versions = {"python": platform.python_version(), "socialsim": __version__}
    names = ("mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "pydantic", "SALib")
    for name in (*names, "dask", "distributed"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            versions[name] = "not installed"
    return versions


def machine_description() -> dict[str, str]:
    """Return what ran the sweep: operating system, processor architecture, Python build.

    Runs are the same bit for bit on every machine socialsim supports; this is
    recorded so that a reviewer who finds otherwise knows where each session ran.
    """
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "host": socket.gethostname(),
    }


def git_commit() -> str | None:
    """Return socialsim's git commit (``+dirty`` if modified) when run from a checkout."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        # --no-optional-locks: never take the index lock of a checkout someone is working in
        command = ["git", "--no-optional-locks", "-C", str(here), *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        # only if this very file is tracked: an installed copy inside another repository
        # (a virtual environment in a project) must not report that project's commit
        git("ls-files", "--error-unmatch", Path(__file__).name)
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


@dataclass(eq=False)
class SweepStore:
    """A sweep's directory (see the module docstring).

    Parameters
    ----------
    path : Path
        The directory; created by :meth:`initialise`.
    """

    path: Path
    _lock_file: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    @property
    def manifest_path(self) -> Path:
        """Path of ``manifest.json``."""
        return self.path / MANIFEST

    def table_dir(self, name: str) -> Path:
        """Directory holding the part files of table `name`."""
        return self.path / name

    def exists(self) -> bool:
        """Whether the directory already holds a sweep."""
        return self.manifest_path.exists()

    def read_manifest(self) -> dict[str, Any]:
        """Return the manifest.

        Raises
        ------
        ConfigError
            If the directory holds no sweep.
        StoreDamagedError
            If the manifest is not valid JSON or its content does not match its
            checksum.
        """
        manifest, problem = self.manifest_state()
        if problem is not None:
            raise StoreDamagedError(
                f"{problem.path} is damaged ({problem.reason}); run the sweep's command "
                f"('socialsim sweep SPEC --out {self.path}') again: it sets the damaged "
                "manifest aside and writes it anew",
                self.path,
                [problem],
            )
        assert manifest is not None  # no problem: a manifest
        return manifest

    def manifest_state(self) -> tuple[dict[str, Any] | None, PartProblem | None]:
        """Return the manifest and None, or None and what is wrong with it.

        Raises
        ------
        ConfigError
            If the directory holds no sweep (no manifest at all), or is a file.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError([Problem("", "is a file, not a sweep directory")], str(self.path))
        try:
            text = self.manifest_path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                [Problem("", "holds no sweep (no manifest.json)")], str(self.path)
            ) from None

        def damaged(reason: str) -> tuple[None, PartProblem]:
            return None, PartProblem(self.manifest_path, "manifest", None, reason)

        try:
            manifest = json.loads(text.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return damaged(f"not valid JSON: {exc}")
        if not isinstance(manifest, dict) or "runs" not in manifest:
            return damaged("not a sweep's manifest")
        recorded = manifest.get(_CHECKSUM_KEY)
        if recorded is not None and recorded != _manifest_digest(manifest):
            return damaged("its content does not match its checksum")
        return manifest, None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically, with the checksum of its content."""
        manifest.pop(_CHECKSUM_KEY, None)
        # what a reader gets back (default=str turns dates and paths into text)
        plain = json.loads(json.dumps(manifest, default=str))
        plain[_CHECKSUM_KEY] = _manifest_digest(plain)
        text = json.dumps(plain, indent=1) + "\n"
        atomic_write(self.manifest_path, lambda p: p.write_text(text, encoding="utf-8"))
        manifest[_CHECKSUM_KEY] = plain[_CHECKSUM_KEY]

    def check_can_hold(self, plan: SweepPlan) -> SweepGrowth | None:
        """Check, changing nothing, that this directory can hold the sweep of `plan`.

        It must not exist yet, be empty (but for scratch files of a killed
        start), hold the sweep of this very spec, or hold a sweep that `plan`
        extends (:mod:`~socialsim.experiment.growth`: every run it planned is
        a run of `plan`).

        Returns
        -------
        SweepGrowth or None
            How `plan` extends the sweep here; None for a new sweep or the same one.

        Raises
        ------
        ConfigError
            Naming ``--out``: a file, a directory holding something else, a
            sweep of a different spec (with the first difference), or a sweep
            with runs this spec does not have.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError([Problem("--out", f"{self.path} is a file, not a directory")])
        if self.exists():
            manifest, _ = self.manifest_state()
            if manifest is None:
                # damaged: a resume rebuilds it, if the runs recorded here are of this plan
                recorded = {Path(p).stem for p in self._parts("runs")}
                planned = {r.run_id for r in plan.runs}
                if recorded and not recorded & planned:
                    raise ConfigError(
                        [
                            Problem(
                                "--out",
                                f"{self.path}: its manifest.json is damaged and none of the "
                                f"{len(recorded)} runs recorded there is a run of this spec; "
                                "choose another --out, or the spec of that sweep",
                            )
                        ]
                    )
                return None
            if manifest.get("spec_hash") != plan.spec_hash:
                # a different spec: allowed only if it keeps every run of this one
                return sweep_growth(manifest, plan, self.path)
            return None
        if self.path.is_dir() and any(not self._is_scratch(p) for p in self.path.iterdir()):
            raise ConfigError(
                [
                    Problem(
                        "--out",
                        f"{self.path} is not empty and holds no sweep; choose an empty or "
                        "new directory",
                    )
                ]
            )
        return None

    def initialise(self, plan: SweepPlan, spec_file: str | None = None) -> dict[str, Any]:
        """Create the store for `plan`, or check that an existing one holds the same sweep.

        A damaged manifest (see :meth:`manifest_state`) is set aside into
        ``DIR/damaged/`` and written anew from `plan` (the sessions it listed
        are lost; the runs, which are files of their own, are not). An
        existing manifest takes the spec's ``outcomes`` (left out of the spec
        hash: what a report shows, not what runs). A sweep that `plan` extends
        (see :meth:`check_can_hold`) takes the new spec, design and run plan,
        and its manifest lists the growth under ``extensions``; it is written
        at once.

        Parameters
        ----------
        plan : SweepPlan
        spec_file : str, optional
            The spec file the sweep was started from, recorded so that messages
            can give the command that resumes it.

        Returns
        -------
        dict
            The manifest.

        Raises
        ------
        ConfigError
            If the directory is not empty and holds no sweep, or holds a
            sweep of a different spec that `plan` does not extend.
        """
        growth = self.check_can_hold(plan)
        rebuilt = None
        if self.exists():
            manifest, problem = self.manifest_state()
            if manifest is not None:
                manifest.setdefault("format_version", 1)
                if spec_file is not None:
                    manifest["spec_file"] = spec_file
                if growth is not None:
                    manifest.update(_plan_entries(plan))
                    manifest["finished_at"] = None
                    extensions = manifest.setdefault("extensions", [])
                    extensions.append(growth.record(plan.spec_hash))
                    self.write_manifest(manifest)
                # presentation, outside the spec hash: the report follows the spec as last run
                manifest.setdefault("spec", {})["outcomes"] = plan.spec.outcomes
                self._make_table_dirs(manifest.get("outputs", ()))
                return manifest
            assert problem is not None
            moved = self.set_aside([problem])
            rebuilt = {"at": utc_now(), "reason": problem.reason, "damaged_copy": str(moved[0])}
        spec = plan.spec
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": spec.name,
            **_plan_entries(plan),
            "base_config": plan.base.model_dump(mode="json"),
            "root_seed": spec.seed,
            "common_random_numbers": spec.crn,
            "steps": plan.base.run.steps,
            "outputs": list(spec.outputs),
            "versions": package_versions(),
            "machine": machine_description(),
            "git_commit": git_commit(),
            "created_at": utc_now(),
            "started_at": None,
            "finished_at": None,
            "sessions": [],
            "spec_file": spec_file,
        }
        if rebuilt is not None:
            # the sessions and times of the damaged manifest are lost; the runs are not
            manifest["rebuilt"] = rebuilt
        self.path.mkdir(parents=True, exist_ok=True)
        # The manifest first: a sweep killed before it is written leaves nothing but
        # scratch files, and its directory still counts as empty.
        self.write_manifest(manifest)
        self._make_table_dirs(spec.outputs)
        return manifest

    def _make_table_dirs(self, outputs: Any) -> None:
        # also on a resume: a sweep killed just after writing its manifest has none yet
        for name in ("runs", *outputs):
            self.table_dir(name).mkdir(exist_ok=True)

    def _is_scratch(self, path: Path) -> bool:
        """Whether `path` is the lock or a manifest's temporary file (of a killed start)."""
        return path.name == _LOCK or (
            path.name.startswith(f".{MANIFEST}.") and path.name.endswith(".tmp")
        )

    # ----------------------------------------------------------------- locking

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the sweep's lock: only one process runs a sweep into a directory at a time.

        The lock is an ``flock`` on ``DIR/.lock``, released by the OS when the
        process ends, even if it is killed. (Not available on Windows, where
        this does nothing.)

        Raises
        ------
        SweepBusyError
            If another process holds it.
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        self.path.mkdir(parents=True, exist_ok=True)
        handle = (self.path / _LOCK).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise SweepBusyError(
                f"{self.path} is in use by a running sweep ({holder}); wait for it to finish "
                "or stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def running(self) -> str | None:
        """Return who holds the lock (``pid N on HOST``), or None if no sweep is running."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return None
        path = self.path / _LOCK
        if not path.exists():
            return None
        with path.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "another process"
            fcntl.flock(handle, fcntl.LOCK_UN)
        return None

    # ----------------------------------------------------------------- runs

    def finished(self) -> dict[str, str]:
        """Return run_id -> status (``ok`` or ``failed``) of every run recorded with sound parts.

        Runs whose parts are damaged are left out: they count as not done.
        """
        return self.check(deep=False).recorded

    def check(
        self,
        planned: Collection[str] | None = None,
        *,
        deep: bool = True,
        keep_runs: bool = False,
    ) -> StoreCheck:
        """Check every part of the store against the receipts of its runs.

        Each ``runs`` part must read (its Parquet page checksums verified),
        hold one row of a run of the sweep under its own name, and, for a run
        that finished ok, list the run's other parts; each of those must exist
        with the recorded size and, with `deep`, the recorded SHA-256 (which
        implies the recorded row count; parts of a store written before
        receipts have their row count read instead). Parts are read on a few
        threads. A ``.parquet`` file of no run of the sweep is foreign. Parts
        of runs not recorded yet, and temporary files, are leftovers.

        Parameters
        ----------
        planned : collection of str, optional
            The sweep's run ids; the manifest's if omitted (when it is damaged,
            a ``runs`` part's own name is taken as its run id).
        deep : bool
            Read every part and compare checksums (about 1.5 GB/s); otherwise
            compare sizes only (the ``runs`` parts are read either way).
        keep_runs : bool
            Keep the ``runs`` parts read, whole, in ``runs_tables`` (for
            :class:`SweepData`, which would read them again otherwise).

        Returns
        -------
        StoreCheck
        """
        started = time.perf_counter()
        result = StoreCheck()
        outputs: tuple[str, ...] = ()
        manifest, problem = self.manifest_state()
        if problem is not None:
            result.problems.append(problem)
        if manifest is not None:
            outputs = tuple(t for t in manifest.get("outputs", ()) if t != "runs")
            if planned is None:
                planned = {r["run_id"] for r in manifest.get("runs", ())}
        else:  # the tables a damaged manifest named are not known: look at what is there
            outputs = tuple(t for t in OUTPUT_TABLES if self.table_dir(t).is_dir())
        receipts = result.receipts
        runs_parts = []
        for path in self._entries("runs", result):
            result.parts += 1
            if planned is not None and path.stem not in planned:
                result.problems.append(
                    PartProblem(path, "runs", None, "not a part of any run of this sweep")
                )
            else:
                runs_parts.append(path)
        full = deep or keep_runs
        for path, (status, receipt, table, reason) in zip(
            runs_parts, _parallel(lambda p: _runs_part(p, full), runs_parts), strict=True
        ):
            run_id = path.stem
            if reason is not None:
                result.problems.append(PartProblem(path, "runs", run_id, reason))
                continue
            result.recorded[run_id] = status
            receipts[run_id] = receipt if status == "ok" else {}
            if keep_runs:
                result.runs_tables[run_id] = table
        for table_name in outputs:
            seen: set[str] = set()
            to_check: list[tuple[Path, str, dict[str, Any] | None]] = []
            for path in self._entries(table_name, result):
                run_id = path.stem
                if planned is not None and run_id not in planned:
                    result.parts += 1
                    result.problems.append(
                        PartProblem(path, table_name, None, "not a part of any run of this sweep")
                    )
                    continue
                if result.recorded.get(run_id) != "ok":
                    # a run in flight, killed, damaged (set aside with it) or failed since
                    if run_id not in result.damaged_runs:
                        result.leftovers.append(path)
                    continue
                result.parts += 1
                seen.add(run_id)
                to_check.append((path, run_id, (receipts.get(run_id) or {}).get(table_name)))
            found = _parallel(lambda item: _check_part(item[0], item[2], deep), to_check)
            for (path, run_id, _), (reason, read) in zip(to_check, found, strict=True):
                result.bytes += read
                if reason is not None:
                    result.problems.append(PartProblem(path, table_name, run_id, reason))
            for run_id, status in result.recorded.items():
                receipt = receipts.get(run_id)
                needed = table_name in receipt if receipt else status == "ok"
                if needed and run_id not in seen:
                    path = self.table_dir(table_name) / f"{run_id}.parquet"
                    result.problems.append(PartProblem(path, table_name, run_id, "missing"))
        for run_id in result.damaged_runs:
            result.recorded.pop(run_id, None)
            receipts.pop(run_id, None)
            result.runs_tables.pop(run_id, None)
        result.seconds = time.perf_counter() - started
        return result

    def _entries(self, table: str, result: StoreCheck) -> list[Path]:
        """Return the table's ``.parquet`` entries, sorted; temporary files go to leftovers."""
        folder = self.table_dir(table)
        if not folder.is_dir():
            return []
        entries = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                if path.name.endswith(".tmp"):
                    result.leftovers.append(path)
                continue
            if path.suffix == ".parquet":
                entries.append(path)
        return entries

    def set_aside(self, problems: Iterable[PartProblem]) -> list[Path]:
        """Move damaged and foreign parts into ``DIR/damaged/<time>/``, with their runs' others.

        A damaged run's every part goes (its receipt too), so the run counts as
        not done and runs again; nothing is deleted. Call it only while holding
        the :meth:`lock`.

        Returns
        -------
        list of Path
            Where each moved file is now.
        """
        problems = list(problems)
        if not problems:
            return []
        paths = {p.path for p in problems}
        for run_id in {p.run_id for p in problems if p.run_id is not None}:
            for table in ("runs", *OUTPUT_TABLES):
                part = self.table_dir(table) / f"{run_id}.parquet"
                if part.exists():
                    paths.add(part)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        root = self.path / DAMAGED / stamp
        moved = []
        for path in sorted(paths):
            if not path.exists():
                continue  # a missing part: nothing to move
            target = root / path.relative_to(self.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(target)
        return moved

    def remove_leftovers(self, leftovers: Iterable[Path]) -> int:
        """Delete parts of unrecorded runs and temporary files; return how many.

        They are this sweep's own work in progress, of a session that was
        killed. Call it only while holding the :meth:`lock`: a running sweep's
        temporary files are not stale. Manifest scratch files go too.
        """
        removed = 0
        for path in self.path.iterdir() if self.path.is_dir() else ():
            if path.name != _LOCK and self._is_scratch(path):
                path.unlink(missing_ok=True)
                removed += 1
        for path in leftovers:
            if path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def write_run(self, row: dict[str, Any], output: RunOutput, schema: pa.Schema) -> None:
        """Write a finished run: its tables first, then its row in ``runs`` (the commit).

        The ``runs`` part is the run's receipt: its metadata records each
        other part's rows, bytes and SHA-256, and it is written with Parquet
        page checksums.

        Raises
        ------
        SweepWriteError
            If a file cannot be written (disk full, permission denied). The
            parts of this run written before it are deleted again, so that
            the store holds whole runs only; the runs recorded before are
            untouched.
        """
        run_id = output.run_id
        receipt: dict[str, dict[str, Any]] = {}
        written: list[Path] = []
        tables = list(output.tables.items())
        for name, table in (*tables, ("runs", None)):
            path = self.table_dir(name) / f"{run_id}.parquet"
            try:
                if table is None:
                    record = self._run_record(row, output, schema, receipt)
                    atomic_write(
                        path, lambda p, t=record: pq.write_table(t, p, write_page_checksum=True)
                    )
                else:
                    atomic_write(path, lambda p, t=table: pq.write_table(t, p))
                    size, digest = _digest(path)
                    receipt[name] = {"rows": table.num_rows, "bytes": size, "sha256": digest}
            except OSError as exc:
                # No table of an uncommitted run stays behind: a later session would delete
                # it as a leftover, but a reader should not have to wonder about it. (Not on
                # Ctrl-C: an interrupt just after the runs part's rename would delete the
                # tables of a committed run; leftovers are safe, so leave them.)
                for part in written:
                    with contextlib.suppress(OSError):
                        part.unlink(missing_ok=True)
                raise SweepWriteError(
                    f"could not write run {run_id} to {path.parent}: {os_error_text(exc)}",
                    errno=exc.errno,
                    run_id=run_id,
                    path=path,
                ) from exc
            written.append(path)

    @staticmethod
    def _run_record(
        row: dict[str, Any],
        output: RunOutput,
        schema: pa.Schema,
        receipt: dict[str, dict[str, Any]],
    ) -> pa.Table:
        """Return the run's row of ``runs`` as a one-row table, its receipt in the metadata."""
        record = dict(row)
        record.update(
            status=output.status,
            error=output.error,
            traceback=output.traceback,
            **output.timing,
        )
        unknown = set(output.outcomes) - set(schema.names)
        if unknown:  # the outcome columns are fixed by the plan; a new one is a bug
            raise RuntimeError(f"outcomes missing from the runs schema: {sorted(unknown)}")
        record.update(output.outcomes)
        metadata = dict(schema.metadata or {})
        metadata[_RECEIPT_KEY] = json.dumps(receipt, sort_keys=True).encode()
        return pa.Table.from_pylist([record], schema=schema.with_metadata(metadata))

    def _parts(self, name: str) -> list[str]:
        folder = self.table_dir(name)
        if not folder.is_dir():
            return []
        return sorted(
            str(p)
            for p in folder.iterdir()
            if p.suffix == ".parquet" and not p.name.startswith(".")
        )


def _plan_entries(plan: SweepPlan) -> dict[str, Any]:
    """Return the manifest's entries that a sweep's growth replaces: its spec and its plan."""
    spec = plan.spec
    return {
        "variant": spec.variant,
        "description": spec.description,
        "spec_hash": plan.spec_hash,
        "spec": spec.model_dump(mode="json"),
        "replications": spec.replications,
        "parameters": list(plan.parameters),
        "design": plan.design_records(),
        "runs": [
            {"run_id": r.run_id, "point": r.point, "replication": r.replication, "seed": r.seed}
            for r in plan.runs
        ],
        "runs_columns": plan.runs_schema().names,
    }


class SweepData:
    """A sweep's tables as pandas DataFrames, read when first used.

    ``runs`` has every recorded run (ok and failed), ordered by design point
    and replication; the other tables hold the runs that finished ok, in the
    same order, keyed by ``run_id`` (and ``step``). Join them on ``run_id``.

    Opening a sweep checks its store (sizes against the runs' receipts, see
    :meth:`SweepStore.check`); reading a table checks each of its parts'
    checksums as it reads them. Parts of runs still in flight are left out.

    Attributes
    ----------
    path : Path
    manifest : dict

    Raises
    ------
    StoreDamagedError
        If any part is damaged or foreign, or the manifest is damaged.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._store = SweepStore(self.path)
        self.manifest = self._store.read_manifest()
        self._check = self._store.check(deep=False, keep_runs=True)
        if not self._check.sound:
            raise damaged_store_error(self.path, self.manifest, self._check.problems)

    def __repr__(self) -> str:
        return f"SweepData({str(self.path)!r}, name={self.manifest.get('name')!r})"

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables this sweep keeps (``runs`` and ``steps`` always)."""
        return ("runs", *self.manifest["outputs"])

    def files(self, name: str) -> str:
        """Return a glob of the table's part files, for DuckDB or polars."""
        return str(self._store.table_dir(name) / "*.parquet")

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per recorded run."""
        frame = self._check.runs_frame(manifest=self.manifest)
        return frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)

    @cached_property
    def steps(self) -> pd.DataFrame:
        """Per-step metrics, keyed by ``run_id`` and ``step``."""
        return self.table("steps")

    @cached_property
    def platforms(self) -> pd.DataFrame:
        """Per-step, per-platform metrics (if the sweep kept them)."""
        return self.table("platforms")

    @cached_property
    def tiers(self) -> pd.DataFrame:
        """Per-step, per-tier metrics (if the sweep kept them)."""
        return self.table("tiers")

    @cached_property
    def orders(self) -> pd.DataFrame:
        """The order logs (if the sweep kept them)."""
        return self.table("orders")

    @cached_property
    def brands(self) -> pd.DataFrame:
        """Per-step, per-brand metrics (if the sweep kept them)."""
        return self.table("brands")

    @cached_property
    def exports(self) -> pd.DataFrame:
        """Per-step, per-region export metrics (if the sweep kept them)."""
        return self.table("exports")

    def table(self, name: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Return table `name` for the runs that finished ok, in run order.

        Parameters
        ----------
        name : str
            ``runs``, ``steps`` or a table the sweep kept.
        columns : iterable of str, optional
            Read only these columns (those a part lacks are left out of it).

        Raises
        ------
        KeyError
            If the sweep does not keep that table.
        StoreDamagedError
            If a part does not match its run's receipt.
        """
        if name == "runs":
            return self.runs
        if name not in self.tables:
            raise KeyError(
                f"this sweep did not keep the {name!r} table (it kept: {', '.join(self.tables)}); "
                "add it to the spec's outputs"
            )
        wanted = None if columns is None else list(columns)

        def read(path: Path) -> pa.Table:
            table = pq.read_table(path)
            if wanted is not None:
                table = table.select([c for c in wanted if c in table.column_names])
            return table

        parts = _parallel(read, self.part_files(name))
        if not parts:
            return pd.DataFrame(columns=["run_id"] if wanted is None else wanted)
        return _concat(parts).to_pandas()

    def part_files(self, name: str) -> list[Path]:
        """Return the part files of table `name` of the runs that finished ok, in run order.

        Each is checked against its run's receipt (size, rows, SHA-256) first.

        Raises
        ------
        StoreDamagedError
            If a part does not match its run's receipt, or is missing.
        """
        ok = self.runs.loc[self.runs["status"] == "ok", "run_id"].tolist()
        folder = self._store.table_dir(name)
        files = []
        problems = []
        expected = {}
        for run_id in ok:
            path = folder / f"{run_id}.parquet"
            receipt = self._check.receipts.get(run_id)
            expected[path] = (receipt or {}).get(name)
            if not path.exists():
                if expected[path] is None and receipt is not None:
                    continue  # a table this run did not keep
                problems.append(PartProblem(path, name, run_id, "missing"))
                continue
            files.append(path)
        found = _parallel(lambda path: _check_part(path, expected[path], deep=True), files)
        for path, (reason, _) in zip(files, found, strict=True):
            if reason is not None:
                problems.append(PartProblem(path, name, path.stem, reason))
        if problems:
            raise damaged_store_error(self.path, self.manifest, problems)
        return files


def runs_as_planned(table: pa.Table, manifest: dict[str, Any]) -> pa.Table:
    """Return the runs of a sweep that grew as its current plan numbers and describes them.

    A run's ``runs`` part keeps the design point it was written with, and the
    parameters its spec varied then. After a growth that renumbered the
    points or added a parameter (:mod:`~socialsim.experiment.growth`), each
    run gets its point in the manifest's plan, a parameter its part lacks
    gets the value of that point, and the columns come in the order of the
    plan's runs table: the table of a fresh sweep of the grown spec. (The
    runs of a sweep that never grew already are so, and come back unchanged;
    they are not told apart by the manifest's ``extensions``, which a
    manifest rebuilt after damage no longer lists.)

    Parameters
    ----------
    table : pyarrow.Table
        ``runs`` parts of the sweep, concatenated.
    manifest : dict
        The sweep's manifest.

    Returns
    -------
    pyarrow.Table
    """
    if not manifest.get("runs") or "point" not in table.column_names:
        return table
    point_of = {r["run_id"]: r["point"] for r in manifest.get("runs", ())}
    written = table["point"].to_pylist()
    points = [point_of.get(i, p) for i, p in zip(table["run_id"].to_pylist(), written, strict=True)]
    if points != written:
        table = table.set_column(
            table.column_names.index("point"), "point", pa.array(points, pa.int64())
        )
    design = manifest.get("design", [])
    for key in manifest.get("parameters", ()):
        have = table[key] if key in table.column_names else None
        if have is not None and have.null_count == 0:
            continue
        planned = [
            design[p].get("parameters", {}).get(key) if 0 <= p < len(design) else None
            for p in points
        ]
        if have is None:
            values, kind = planned, None
        else:
            pairs = zip(have.to_pylist(), planned, strict=True)
            values = [h if h is not None else v for h, v in pairs]
            kind = None if pa.types.is_null(have.type) else have.type
        array = pa.array(values, kind)
        if pa.types.is_null(array.type):
            array = array.cast(pa.string())  # as the plan stores a parameter that is always None
        if have is None:
            table = table.append_column(key, array)
        else:
            table = table.set_column(table.column_names.index(key), key, array)
    order = manifest.get("runs_columns")
    if order:
        names = table.column_names
        first = [c for c in order if c in names]
        table = table.select(first + [c for c in names if c not in first])
    return table


def load_sweep(path: str | os.PathLike[str]) -> SweepData:
    """Open a sweep store; its tables load as pandas DataFrames on first use.

    Parameters
    ----------
    path : str or Path
        The sweep's directory.

    Returns
    -------
    SweepData
        ``.runs``, ``.steps`` and, if kept, ``.platforms``, ``.tiers``, ``.orders``;
        ``.manifest`` holds the spec, the design and the versions.

    Raises
    ------
    ConfigError
        If the directory holds no sweep.
    StoreDamagedError
        If a part of the store is damaged or foreign, or the manifest is
        damaged: the message names the file and the command that repairs it.
    """
    return SweepData(path)


def repair_command(path: Path, manifest: dict[str, Any] | None) -> str:
    """Return the command that resumes (and so repairs) the sweep in `path`."""
    manifest = manifest or {}
    spec = manifest.get("spec_file") or "SPEC"
    variant = manifest.get("variant")
    return f"socialsim sweep {spec}{f' --variant {variant}' if variant else ''} --out {path}"


def damaged_store_error(
    path: Path, manifest: dict[str, Any] | None, problems: list[PartProblem]
) -> StoreDamagedError:
    """Return the one error for a store with damaged or foreign parts: the first, and the fix."""
    first = problems[0]
    kind = "foreign" if first.foreign else "damaged"
    more = len(problems) - 1
    others = f" (and {more} more: 'socialsim status {path}' lists them)" if more else ""
    return StoreDamagedError(
        f"{first.path} is {kind}: {first.reason}{others}; to repair the sweep, run "
        f"'{repair_command(path, manifest)}': it moves such parts into {path / DAMAGED} "
        "(nothing is deleted) and runs their runs again",
        path,
        problems,
    )


class _Unsound(Exception):
    """A part that cannot be read or does not say what it should."""


def _parallel(function: Any, items: list[Any]) -> list[Any]:
    """Return ``[function(item) for item in items]``, on a few threads for many items.

    Parquet reads and SHA-256 release the GIL: a store of thousands of small
    parts is checked and read about as many times faster as there are cores.
    """
    if len(items) < 8:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        return list(pool.map(function, items))


def _runs_part(
    path: Path, full: bool
) -> tuple[str | None, dict[str, Any] | None, pa.Table | None, str | None]:
    """Return a runs part's status, receipt, table (if `full`) and None, or what is wrong."""
    try:
        status, receipt, table = _read_runs_part(path, full)
    except _Unsound as exc:
        return None, None, None, str(exc)
    return status, receipt, table, None


def _read_runs_part(path: Path, full: bool) -> tuple[str, dict[str, Any] | None, pa.Table]:
    """Return a ``runs`` part's status, receipt (None before receipts) and table; or raise."""
    try:
        part = pq.ParquetFile(path, page_checksum_verification=True)
        if part.metadata.num_rows != 1:
            raise _Unsound(f"holds {part.metadata.num_rows} rows, not one run's")
        table = part.read() if full else part.read(columns=["run_id", "status"])
        schema_metadata = part.schema_arrow.metadata or {}
    except _Unsound:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _Unsound(f"unreadable ({_first_line(exc)})") from None
    names = table.column_names
    if "run_id" not in names or "status" not in names:
        raise _Unsound("not a runs part (no run_id and status)")
    run_id, status = table["run_id"][0].as_py(), table["status"][0].as_py()
    if run_id != path.stem:
        raise _Unsound(f"records run {run_id!r}, not the run it is named after")
    if status not in ("ok", "failed"):
        raise _Unsound(f"has status {status!r}")
    receipt = schema_metadata.get(_RECEIPT_KEY)
    if receipt is None:
        return status, None, table
    try:
        parsed = json.loads(receipt)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _Unsound("its receipt of the run's parts is unreadable") from None
    if not isinstance(parsed, dict):
        raise _Unsound("its receipt of the run's parts is unreadable")
    return status, parsed, table


def _check_part(path: Path, expected: dict[str, Any] | None, deep: bool) -> tuple[str | None, int]:
    """Return what is wrong with a table part (None if nothing) and the bytes read."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            return "not a file", 0
        if expected is not None and size != expected.get("bytes"):
            return f"{size:,} bytes where its run recorded {expected.get('bytes'):,}", 0
        if expected is not None:
            if not deep:
                return None, 0
            # the same bytes as written: the same rows too
            _, digest = _digest(path)
            if digest != expected.get("sha256"):
                return "its content does not match its run's checksum", size
            return None, size
        # written before receipts: readable, with rows, is all that can be asked
        rows = pq.read_metadata(path).num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"unreadable ({_first_line(exc)})", 0
    if rows < 1:
        return "holds no rows", 0
    return None, 0


def _digest(path: Path) -> tuple[int, str]:
    """Return a file's size and SHA-256, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _manifest_digest(manifest: dict[str, Any]) -> str:
    content = {k: v for k, v in manifest.items() if k != _CHECKSUM_KEY}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _read(files: list[str]) -> pd.DataFrame | None:
    if not files:
        return None
    tables = _parallel(lambda f: pq.read_table(f, page_checksum_verification=True), files)
    return _concat(tables).to_pandas()


def _concat(tables: list[pa.Table]) -> pa.Table:
    # Parts of one sweep normally share a schema; unify anyway, so that a column present in
    # some parts only (a design that varies the number of tiers) is kept, not dropped.
    first = tables[0].schema
    if all(t.schema.equals(first) for t in tables):
        return pa.concat_tables(tables)
    schema = _unify([t.schema for t in tables])
    return pa.concat_tables([_conform(t, schema) for t in tables])


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for fld in schema:
        if fld.name in table.column_names:
            columns.append(table[fld.name].cast(fld.type))
        else:
            columns.append(pa.nulls(table.num_rows, type=fld.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _unify(schemas: list[pa.Schema]) -> pa.Schema:
    return pa.unify_schemas(schemas, promote_options="permissive")
